// The review app's page: one answer at a time, marked with the mouse or the keyboard.
// Every change is sent at once (POST with the token header); the server keeps versions,
// so a change made from an outdated view is refused and the newer mark is shown instead.
"use strict";
(() => {
  const token = document.querySelector('meta[name="review-token"]').content;
  const $ = (id) => document.getElementById(id);
  let questions = {};        // tag -> question (title, max, rubric, model answer, counts)
  let order = [];            // question tags in order
  let current = null;        // the question shown
  let items = [];            // its answers in this marker's share
  let index = 0;             // the answer shown
  let commentTimer = null;
  let chain = Promise.resolve();   // saves run one after another, each with the newest version

  async function api(path, body) {
    const options = {credentials: "same-origin", cache: "no-store"};
    if (body !== undefined) {
      Object.assign(options, {method: "POST", body: JSON.stringify(body),
        headers: {"Content-Type": "application/json", "X-Review-Token": token}});
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (error) {
      return {ok: false, status: 0, data: {error: "the review app does not answer"}};
    }
    let data = {};
    try { data = await response.json(); } catch (error) { /* not JSON */ }
    return {ok: response.ok, status: response.status, data};
  }

  function status(text, kind) {
    const box = $("status");
    box.textContent = text;
    box.className = "status " + (kind || "");
  }

  function typeset(root) {
    if (!window.katex) return;
    root.querySelectorAll(".math").forEach((el) => {
      const display = el.tagName === "DIV";
      let tex = el.textContent.trim();
      tex = display ? tex.replace(/^\$\$/, "").replace(/\$\$$/, "")
                    : tex.replace(/^\\\(/, "").replace(/\\\)$/, "");
      try {
        window.katex.render(tex, el, {displayMode: display, throwOnError: false, trust: false,
                                      strict: "ignore", maxSize: 20, maxExpand: 300});
      } catch (error) { el.textContent = tex; }
    });
  }

  function setHTML(el, html) {      // sanitised on the server; the CSP allows no script
    el.innerHTML = html;
    typeset(el);
  }

  const fmt = (x) => (Math.round(x * 1000) / 1000).toString();
  const isMarked = (item) => item.state === "marked";

  // ------------------------------------------------------------------ loading

  async function load() {
    const reply = await api("/api/state");
    if (!reply.ok) { status("Cannot load: " + (reply.data.error || reply.status), "error"); return; }
    const select = $("question");
    select.textContent = "";
    for (const q of reply.data.questions) {
      questions[q.tag] = q;
      order.push(q.tag);
      const option = document.createElement("option");
      option.value = q.tag;
      select.appendChild(option);
    }
    labelQuestions();
    const [tag, at] = decodeURIComponent(location.hash.slice(1)).split("/");
    await openQuestion(questions[tag] ? tag : order[0], Number(at) || 0);
  }

  function labelQuestions() {
    for (const option of $("question").options) {
      const q = questions[option.value];
      option.textContent = `${q.number} ${q.title} (${q.marked}/${q.answered} marked)`;
    }
  }

  async function openQuestion(tag, at) {
    await flush();
    const reply = await api("/api/answers?question=" + encodeURIComponent(tag));
    if (!reply.ok) { status("Cannot load answers: " + (reply.data.error || reply.status), "error"); return; }
    current = questions[tag];
    items = reply.data.items;
    $("question").value = tag;
    $("question-title").textContent = `Question ${current.number}: ${current.title}`;
    $("max").textContent = fmt(current.max);
    $("points").max = current.max;
    const list = $("rubric");
    list.textContent = "";
    current.rubric.forEach((criterion, k) => {
      const li = document.createElement("li");
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.dataset.id = criterion.id;
      box.dataset.points = criterion.points;
      box.addEventListener("change", () => tick());
      const key = document.createElement("kbd");
      key.textContent = k + 1;
      const text = document.createElement("span");
      text.className = "criterion rendered";
      setHTML(text, criterion.html);
      const pts = document.createElement("span");
      pts.className = "criterion-points";
      pts.textContent = "+" + fmt(criterion.points);
      label.append(box, key, text, pts);
      li.appendChild(label);
      list.appendChild(li);
    });
    setHTML($("model"), current.model_html || "<p><em>No model answer found.</em></p>");
    index = Math.min(Math.max(at, 0), Math.max(items.length - 1, 0));
    show();
  }

  // ------------------------------------------------------------------ showing

  function show() {
    const item = items[index];
    const empty = !item;
    document.body.classList.toggle("empty", empty);
    if (empty) {
      $("who").textContent = "No answers to this question in your share.";
      $("answer").textContent = "";
      progress();
      return;
    }
    history.replaceState(null, "", "#" + encodeURIComponent(current.tag + "/" + index));
    $("position").textContent = `${index + 1} of ${items.length}`;
    $("who").textContent = item.name !== undefined ? `${item.name || "(no name)"} · ${item.file}`
                                                   : `Answer ${item.id}`;
    const notes = $("notes");
    notes.textContent = "";
    for (const note of item.notes) {
      const li = document.createElement("li");
      li.textContent = note;
      notes.appendChild(li);
    }
    if (item.html) setHTML($("answer"), item.html);
    else $("answer").innerHTML = '<p class="not-answered">Not answered: the cell is as it was handed out (or missing). It counts 0 points without marking.</p>';
    const mark = item.mark && !item.mark.stale ? item.mark : null;
    $("points").value = mark && mark.points !== null ? fmt(mark.points) : "";
    for (const box of $("rubric").querySelectorAll("input")) {
      box.checked = !!mark && mark.criteria.includes(box.dataset.id);
    }
    $("comment").value = mark ? mark.comment : "";
    describe(item);
    progress();
  }

  function describe(item) {
    const box = $("mark-state");
    const mark = item.mark;
    let text = "", kind = "";
    if (mark && mark.stale) {
      text = `Marked ${mark.points === null ? "" : fmt(mark.points) + " points "}by ${mark.marker} for an earlier version of this answer: mark it again.`;
      kind = "warn";
    } else if (isMarked(item)) {
      text = `Marked by ${mark.marker}` + (mark.updated ? ` · ${mark.updated.replace("T", " ").replace("+00:00", " UTC")}` : "");
      kind = "ok";
    } else if (!item.answered) {
      text = "Not answered: 0 points, nothing to mark.";
    } else {
      text = "Not marked yet.";
      kind = "todo";
    }
    box.textContent = text;
    box.className = "mark-state " + kind;
    document.body.classList.toggle("marked", isMarked(item));
  }

  function progress() {
    const answered = items.filter((i) => i.answered);
    const marked = answered.filter(isMarked).length;
    const blank = items.length - answered.length;
    $("progress").textContent = `${marked} of ${answered.length} marked` +
      (blank ? ` · ${blank} not answered` : "");
    if (current) {
      current.marked = marked;
      current.answered = answered.length;
      labelQuestions();
    }
  }

  // ------------------------------------------------------------------ saving

  function collect() {
    const raw = $("points").value.trim();
    return {
      points: raw === "" ? null : Number(raw),
      criteria: [...$("rubric").querySelectorAll("input:checked")].map((b) => b.dataset.id),
      comment: $("comment").value,
    };
  }

  function save() {
    const item = items[index];
    if (!item) return chain;
    const change = collect();
    if (change.points !== null && !(change.points >= 0 && change.points <= item.max)) {
      status(`Points must be between 0 and ${fmt(item.max)}: not saved`, "error");
      return chain;
    }
    chain = chain.then(async () => {
      status("Saving…", "busy");
      const body = Object.assign({id: item.id, question: item.question,
                                  version: item.mark ? item.mark.version : 0}, change);
      const reply = await api("/api/mark", body);
      if (reply.ok) {
        Object.assign(item, reply.data.item);
        status("Saved", "ok");
      } else if (reply.status === 409 && reply.data.item) {
        Object.assign(item, reply.data.item);
        status("Changed by someone else meanwhile: showing their mark", "warn");
        if (item === items[index]) show();
      } else {
        status("Not saved: " + (reply.data.error || reply.status), "error");
      }
      if (item === items[index]) describe(item);
      progress();
    });
    return chain;
  }

  function flush() {
    if (commentTimer !== null) {
      clearTimeout(commentTimer);
      commentTimer = null;
      save();
    }
    return chain;
  }

  function tick() {
    let sum = 0;
    for (const box of $("rubric").querySelectorAll("input:checked")) sum += Number(box.dataset.points);
    $("points").value = fmt(sum);
    save();
  }

  // ------------------------------------------------------------------ moving

  async function go(to) {
    await flush();
    if (!items.length) return;
    index = (to + items.length) % items.length;
    show();
  }

  async function nextUnmarked() {
    await flush();
    for (let step = 1; step <= items.length; step++) {
      const k = (index + step) % items.length;
      if (items[k].answered && !isMarked(items[k])) { index = k; show(); return; }
    }
    const next = order.find((tag) => questions[tag].marked < questions[tag].answered);
    if (next && next !== current.tag) { await openQuestion(next, 0); await nextUnmarked(); return; }
    status("Every answer is marked", "ok");
  }

  async function otherQuestion(step) {
    const k = order.indexOf(current.tag) + step;
    if (k >= 0 && k < order.length) await openQuestion(order[k], 0);
  }

  // ------------------------------------------------------------------ events

  $("question").addEventListener("change", (e) => openQuestion(e.target.value, 0));
  $("prev").addEventListener("click", () => go(index - 1));
  $("next").addEventListener("click", () => go(index + 1));
  $("next-unmarked").addEventListener("click", () => nextUnmarked());
  $("points").addEventListener("change", () => save());
  $("clear").addEventListener("click", () => {
    $("points").value = "";
    for (const box of $("rubric").querySelectorAll("input")) box.checked = false;
    save();
  });
  $("comment").addEventListener("input", () => {
    clearTimeout(commentTimer);
    commentTimer = setTimeout(() => { commentTimer = null; save(); }, 600);
  });
  $("comment").addEventListener("blur", () => flush());
  $("report").addEventListener("click", async () => {
    await flush();
    status("Updating the gradebook…", "busy");
    const reply = await api("/api/report", {});
    status(reply.ok ? "Gradebook updated" : "Not updated: " + (reply.data.error || reply.status),
           reply.ok ? "ok" : "error");
    $("status").title = reply.ok ? reply.data.gradebook : "";
  });
  window.addEventListener("beforeunload", () => { flush(); });

  document.addEventListener("keydown", (e) => {
    const field = e.target.closest("input, textarea, select");
    if (field) {
      if (e.key === "Escape") { field.blur(); e.preventDefault(); }
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && field.id === "comment") {
        e.preventDefault(); field.blur(); nextUnmarked();
      }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const actions = {
      j: () => go(index + 1), ArrowRight: () => go(index + 1),
      k: () => go(index - 1), ArrowLeft: () => go(index - 1),
      n: () => nextUnmarked(),
      p: () => { $("points").focus(); $("points").select(); },
      c: () => $("comment").focus(),
      "[": () => otherQuestion(-1), "]": () => otherQuestion(1),
    };
    if (/^[1-9]$/.test(e.key)) {
      const box = $("rubric").querySelectorAll("input")[Number(e.key) - 1];
      if (box && items[index]) { box.checked = !box.checked; tick(); }
      e.preventDefault();
    } else if (actions[e.key]) {
      e.preventDefault();
      actions[e.key]();
    }
  });

  load();
})();
