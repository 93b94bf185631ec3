"""Reports from per-submission result files: gradebook, student feedback and a class summary.

The batch grader writes one ``results/<stem>.json`` per submission (schema
``nncourse-result/1``) as soon as that submission is graded, so an interrupted run keeps
everything finished so far. Everything else in the output folder is derived from those
files by :func:`write_reports` and can be regenerated at any time::

    out/results/<stem>.json     one result per submission (write_result)
    out/gradebook.csv           one row per submission (write_gradebook)
    out/feedback/<stem>.html    for the student, printable (write_feedback)
    out/feedback/<stem>.md      the same as Markdown, e.g. for an LMS comment box
    out/summary.png, .md        class statistics for the instructor (write_summary)

All outputs are deterministic (no timestamps, fixed ordering and number formatting), so two
runs over the same submissions can be compared byte for byte. All writes are atomic.
"""
import csv
import hashlib
import io
import json
import math
import os
import re
import statistics
import tempfile
import warnings
from pathlib import Path, PurePosixPath

import jinja2
import markupsafe

from .result import SCHEMA, Status, SubmissionResult
from .submission import STRUCTURE_LOST

TASK_STATUS = {   # what a task status means, in the student's words
    "ok": "ran",
    "error": "your cell raised an error",
    "missing": "no cell with this task's tag",
    "not code": "the task's cell is not a code cell",
    "timeout": "stopped by the grader: time limit exceeded",
    "crashed": "stopped by the grader: the Python kernel crashed",
    "skipped": "not run by the grader",
}
STOPPED = {"timeout": "time limit exceeded",          # the grader, not a verdict, ended these
           "crashed": "the kernel crashed", "skipped": "not run"}
CODE_PROBLEMS = ("error", "missing", "not code", "interfered")


class ResultFileWarning(UserWarning):
    """A result file that could not be read and was left out of the reports."""


# ---------------------------------------------------------------- files

def _atomic_write(path, data):
    """Write ``data`` (bytes) to ``path`` so readers only ever see the old or the new file.

    The temporary file sits in the target directory (os.replace is only atomic within one
    file system) and is named ``.<name>.<random>.tmp``, which no reader here picks up.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())   # the data must be on disk before the rename is
        os.chmod(tmp, 0o644)            # mkstemp makes it 0600; tutors share these files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def _fsync_dir(directory):
    # Makes the rename itself survive a power cut; not possible on every platform.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_HASHED = re.compile(r"__[0-9a-f]{8}$")


def _stem(file_name):
    """The name (without extension) of a submission's result and feedback files.

    A submission at the top of the graded folder keeps its own name without ``.ipynb``. One
    in a sub-folder (``ada/A1.ipynb``) gets its folders joined with ``__`` and a short hash of
    the whole name (``ada__A1__1f2e3d4c``), so two ``A1.ipynb`` in two students' folders never
    share a result file. Never a path: no separators, no leading dot, at most ~150 bytes."""
    name = str(file_name).replace("\\", "/")
    parts = [p for p in PurePosixPath(name).parts if p not in ("/", "", ".")]
    if not parts:
        parts = ["submission"]
    last = parts[-1][:-len(".ipynb")] if parts[-1].endswith(".ipynb") else Path(parts[-1]).stem
    readable = "__".join([*parts[:-1], last]) or "submission"
    safe = _UNSAFE.sub("_", readable).lstrip(". ") or "submission"
    if len(parts) == 1 and safe == readable and not _HASHED.search(safe) \
            and len(safe.encode()) <= 150:
        return safe
    safe = safe.encode()[:150].decode("utf-8", "ignore")
    return f"{safe}__{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def result_path(out_dir, file_name):
    return Path(out_dir) / "results" / f"{_stem(file_name)}.json"


def _json_default(value):
    # NumPy scalars (e.g. np.float32 points) have .item(); anything else is a grader bug.
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def write_result(result, out_dir):
    """Write a :class:`SubmissionResult` (or its dict) as ``results/<stem>.json``."""
    if not isinstance(result, SubmissionResult):
        result = SubmissionResult.from_dict(result)
    return _atomic_write(result_path(out_dir, result.file), result.to_json().encode())


def load_results(out_dir, skipped=None):
    """All readable results in ``out_dir/results``, sorted by file name.

    An unreadable file (corrupt, cut short, wrong schema) is skipped with a
    :class:`ResultFileWarning`; if ``skipped`` is a list, ``(path, reason)`` is appended.
    """
    results = []
    for path in sorted((Path(out_dir) / "results").glob("*.json")):
        try:
            result = SubmissionResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
            result = result.to_dict()   # the current schema, whichever wrote the file
        except (OSError, ValueError) as error:    # JSONDecodeError is a ValueError
            reason = f"{type(error).__name__}: {error}"
            warnings.warn(f"skipping unreadable result file {path}: {reason}",
                          ResultFileWarning, stacklevel=2)
            if skipped is not None:
                skipped.append((path, reason))
            continue
        results.append(result)
    return sorted(results, key=lambda r: r["file"])


# ---------------------------------------------------------------- small helpers

def fmt(x, digits=4):
    """Points as short, stable text: 87, 87.5, 0.3333 (no float noise, no -0)."""
    if x is None:
        return ""
    return format(round(float(x), digits) + 0.0, ".10g")   # + 0.0 turns -0.0 into 0.0


def _assignment_key(number):
    return (number is None, number or 0)        # unknown assignment last


def _by_assignment(results):
    groups = {}
    for result in sorted(results, key=lambda r: _assignment_key(r.get("assignment"))):
        groups.setdefault(result.get("assignment"), []).append(result)
    return groups


def task_tags(results):
    """Union of task tags in spec order: task_1_2 before task_1_10 (result files store
    their tasks with sorted keys, which would put 10 before 2)."""
    tags = {tag for result in results for tag in result.get("tasks") or {}}
    return sorted(tags, key=lambda tag: [int(p) if p.isdigit() else p for p in tag.split("_")])


def _task_titles(results):
    titles = {}
    for result in results:
        for tag, task in (result.get("tasks") or {}).items():
            titles.setdefault(tag, task.get("title") or tag)
    return titles


# ---------------------------------------------------------------- gradebook

def _cell(text):
    """Student-controlled text for a spreadsheet: a leading = + - @ would make Excel or
    LibreOffice run it as a formula (CSV injection), so such text gets a quote in front."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_gradebook(results, path, missing=()):
    """One row per result; then a row per submission a newer one superseded (status
    "superseded", listed in the newer result's ``superseded``), and a row per roster student
    with no submission (status "missing", from ``missing``: dicts with name, matriculation,
    email). With an LMS deadline in any result, ``late penalty`` (points deducted) and
    ``final`` (the total after it) follow ``total``."""
    from .lms.late import final_points     # here: grader.lms imports this module
    tags = task_tags(results)
    late = any(r.get("late") for r in results)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["file", "name", "matriculation", "assignment", "status", *tags, "total",
                     *(["late penalty", "final"] if late else []), "max", "flags", "error"])
    rows = []
    for r in results:
        student, tasks = r.get("student") or {}, r.get("tasks") or {}
        assignment = "" if r.get("assignment") is None else r.get("assignment")
        deducted = ""                     # blank: no deadline applies to this result
        if r.get("late") and r.get("status") == "graded":
            points = float(r.get("total") or 0) - final_points(r)
            deducted = f"-{fmt(points)}" if points > 0 else "0"
        rows.append([
            _cell(r["file"]), _cell(student.get("name")), _cell(student.get("matriculation")),
            assignment, r.get("status", ""),
            *(fmt(tasks[tag].get("points")) if tag in tasks else "" for tag in tags),
            fmt(r.get("total")),
            *([deducted, fmt(final_points(r))] if late else []),
            fmt(r.get("max")), _cell("; ".join(r.get("flags") or [])), _cell(r.get("error"))])
        for old in r.get("superseded") or []:
            if not isinstance(old, dict) or not isinstance(old.get("file"), str):
                continue
            rows.append([_cell(old["file"]), _cell(old.get("name")),
                         _cell(old.get("matriculation")), assignment, "superseded",
                         *([""] * len(tags)), "", *(["", ""] if late else []), "",
                         _cell(f"superseded by {r['file']}, a newer submission"), ""])
    rows.sort(key=lambda row: row[0])
    for person in sorted(missing, key=lambda m: (m.get("name") or "", m.get("matriculation")
                                                 or "")):
        rows.append(["", _cell(person.get("name")), _cell(person.get("matriculation")), "",
                     "missing", *([""] * len(tags)), "", *(["", ""] if late else []), "", "",
                     _cell("no submission" + (f" ({person['email']})" if person.get("email")
                                              else ""))])
    writer.writerows(rows)
    return _atomic_write(path, buffer.getvalue().encode("utf-8"))


# ---------------------------------------------------------------- feedback

def origins(result):
    """Where the problems in a result came from, as ``(kind, text)`` for the top of the
    feedback; kind is "file", "failure" (of the grader), "grader" (it stopped the
    student's code), "blank" (no task answered), "code", "unanswered", "note" or "ok"."""
    error = result.get("error") or ""
    if result.get("status") == Status.FAILED_GRADER.value:
        return [("failure", f"The grader itself failed on your file ({error}). This is not "
                 "a problem with your work; your tutor will look into it.")]
    if result.get("status") == "rejected":
        return [("file", "Your file could not be graded: "
                 f"{result.get('error') or 'unknown reason'}. This is a problem with the "
                 "submitted file itself, not with particular answers, so no task was marked. "
                 "Please check that you submitted the right .ipynb file; ask your tutor "
                 "if in doubt.")]
    tasks = result.get("tasks") or {}
    flags = result.get("flags") or []
    lost_structure = any(str(f).startswith(STRUCTURE_LOST) for f in flags)
    found = [("note", flag) for flag in flags if not str(flag).startswith(STRUCTURE_LOST)]
    if lost_structure:
        found.insert(0, ("file", "Your notebook's structure was lost: its cells no longer "
                         "carry the task tags and ids the grader finds your answers by (some "
                         "editors and converters remove them), so no task cell could be "
                         "found and no task was marked. This is not a problem with your code. "
                         "Please open the original assignment notebook in Jupyter, copy your "
                         "answers into it, save and submit that file."))
    stopped = [f"{t.get('title') or tag} ({STOPPED[t['status']]})"
               for tag, t in tasks.items() if t.get("status") in STOPPED]
    if stopped:
        found.append(("grader", "The grader stopped or did not run your code in: "
                      + "; ".join(stopped) + ". Checks that could not run got no points. "
                      "A time limit or crash usually means an endless loop, a very slow "
                      "computation or too much memory."))
    blank = [tag for tag, t in tasks.items() if t.get("status") not in STOPPED
             and as_handed_out(tag, t)]
    if tasks and len(blank) == len(tasks):
        return found + [("blank", "Every task is still as it was handed out, so every task "
                         "scored 0 (this is not about errors in your code). If you did work "
                         "on this assignment, check that you saved the notebook before "
                         "submitting it and that you submitted the right file.")]
    lost = [t.get("title") or tag for tag, t in tasks.items()
            if t.get("status") not in STOPPED     # those were reported just above
            and tag not in blank
            and not (lost_structure and t.get("status") == "missing")  # the file's fault
            and (t.get("status") in CODE_PROBLEMS
                 or any(c.get("status") != "passed" for c in t.get("checks") or []))]
    if lost:
        found.append(("code", "Points were lost because of your code or its results in: "
                      + _sentence("; ".join(lost)) + " The details are below."))
    if blank:
        found.append(("unanswered", "Still as handed out, so not marked: "
                      + _sentence("; ".join(tasks[tag].get("title") or tag for tag in blank))))
    if not stopped and not lost and not blank and not lost_structure:
        found.append(("ok", "All of your code ran and every check passed."))
    return found


def as_handed_out(tag, task):
    """Whether a task's verdicts show it unanswered: no points, no check passed, and the
    checks met the stub release put there (``NotImplementedError("Task 1.2: ...")``) or a
    None answer. Inferred from the messages: the result does not keep the student's code."""
    checks = task.get("checks") or []
    if task.get("points") or not checks or any(c.get("status") == "passed" for c in checks):
        return False
    number = re.fullmatch(r"task_(\d+)_(\d+)", tag)
    stub = r"raised NotImplementedError" + (rf".*Task {number[1]}\.{number[2]}:" if number
                                            else "")
    messages = " ".join(m for c in checks for m in c.get("messages") or [])
    return bool(re.search(stub, messages) or re.search(r"\b(is|are) None\b|: not answered\b",
                                                        messages))


def _sentence(text):
    """End ``text`` with a full stop unless it already ends a sentence ("True or false?")."""
    return text if text.endswith((".", "?", "!")) else text + "."


def _code_spans(text):
    """HTML-escape ``text``, then show its `backtick` spans as <code> (already escaped)."""
    escaped = str(markupsafe.escape(text))
    return markupsafe.Markup(re.sub(r"`([^`\n]+)`", r"<code>\1</code>", escaped))


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#&!~])")


def md_escape(value):
    """Make any text inert in Markdown: keep `code` spans (nothing inside them is
    interpreted), backslash-escape markup characters elsewhere, and fold line breaks so a
    message cannot start a heading, list or table row of its own."""
    if isinstance(value, markupsafe.Markup):       # already made safe by md_code
        return value
    text = " ".join(str(value).split())
    parts = re.split(r"(`[^`]+`)", text)
    return "".join(part if i % 2 else _MD_SPECIAL.sub(r"\\\1", part)
                   for i, part in enumerate(parts))


def md_code(value):
    """Show a tag or file name as a Markdown code span (inert), if it fits in one."""
    text = " ".join(str(value).split())
    return markupsafe.Markup(f"`{text}`") if text and "`" not in text else md_escape(text)


# Lenient about missing fields (the default Undefined): one odd result must not stop
# the feedback for the whole class.
_HTML = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_HTML.filters.update(code=_code_spans, fmt=fmt)
# Markdown: every {{ }} goes through md_escape (finalize), so nothing is emitted raw.
_MD = jinja2.Environment(autoescape=False, trim_blocks=True, lstrip_blocks=True,
                         keep_trailing_newline=True, finalize=md_escape)
_MD.filters.update(fmt=fmt, code=md_code)

FEEDBACK_HTML = _HTML.from_string("""\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ heading }}</title>
<style>
 body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
        color: #222; max-width: 52em; margin: 2em auto; padding: 0 1em; }
 h1 { font-size: 1.5em; margin-bottom: .2em; }
 h2 { font-size: 1.15em; margin: 1.6em 0 .4em; border-bottom: 1px solid #ccc; }
 .meta { color: #555; margin-top: 0; }
 .score { font-size: 1.3em; font-weight: 600; }
 code { font: .92em ui-monospace, Menlo, Consolas, monospace; background: #f2f2f2;
        padding: 0 .2em; border-radius: 3px; }
 table { border-collapse: collapse; width: 100%; margin: .5em 0; }
 th, td { text-align: left; padding: .3em .6em; border-bottom: 1px solid #ddd; }
 td.num, th.num { text-align: right; white-space: nowrap; }
 .box { border-left: 4px solid; padding: .4em .8em; margin: .4em 0; background: #fafafa; }
 .box b { display: block; }
 .file, .grader, .failure { border-color: #c0392b; } .code { border-color: #e08e0b; }
 .note { border-color: #7f8c8d; } .ok { border-color: #27ae60; }
 ul.checks { list-style: none; padding-left: 0; }
 ul.checks > li { margin: .3em 0; }
 .mark { display: inline-block; width: 1.3em; font-weight: bold; }
 .passed .mark { color: #27ae60; } .notpassed .mark { color: #c0392b; }
 .hidden { color: #777; font-size: .85em; }
 .msgs { margin: .15em 0 .15em 1.3em; padding-left: 1em; white-space: pre-wrap; }
 .task { break-inside: avoid; }
 footer { margin-top: 2em; color: #777; font-size: .85em; }
 @media print { body { margin: 0; max-width: none; font-size: 11pt; }
                .box { background: none; } a { color: inherit; text-decoration: none; } }
</style>
</head>
<body>
<h1>{{ heading }}</h1>
<p class="meta">{{ student.name or "(name not recognised)" }}
{% if student.matriculation %} &middot; {{ student.matriculation }}{% endif %}
 &middot; file <code>{{ r.file }}</code></p>
{% if r.status == "graded" %}
<p class="score">{{ r.total|fmt }} / {{ r.max|fmt }} points</p>
{% if late %}
<p class="late">{{ late }}</p>
{% if final is not none %}
<p class="score">After the late penalty: {{ final|fmt }} / {{ r.max|fmt }} points</p>
{% endif %}
{% endif %}
{% endif %}
{% for kind, text in origins %}
<div class="box {{ kind }}"><b>{{ ORIGIN_TITLES[kind] }}</b>{{ text|code }}</div>
{% endfor %}
{% if tasks %}
<p>Below are your points per task, then what each check found. Hidden checks run your
code on inputs you have not seen.</p>
<h2>Overview</h2>
<table>
<tr><th>Task</th><th class="num">Points</th><th>Status</th></tr>
{% for tag, t in tasks.items() %}
<tr><td><a href="#{{ tag }}">{{ t.title or tag }}</a></td>
<td class="num">{{ t.points|fmt }} / {{ t.max|fmt }}</td>
<td>{{ STATUS.get(t.status, t.status) }}</td></tr>
{% endfor %}
<tr><th>Total</th><th class="num">{{ r.total|fmt }} / {{ r.max|fmt }}</th><th></th></tr>
</table>
{% for tag, t in tasks.items() %}
<section class="task" id="{{ tag }}">
<h2>{{ t.title or tag }} &mdash; {{ t.points|fmt }} / {{ t.max|fmt }}</h2>
{% if t.messages %}
<ul class="msgs">{% for m in t.messages %}<li>{{ m|code }}</li>{% endfor %}</ul>
{% endif %}
<ul class="checks">
{% for c in t.checks or [] %}
<li class="{{ 'passed' if c.status == 'passed' else 'notpassed' }}">
<span class="mark">{{ "✓" if c.status == "passed" else "✗" }}</span>{{ c.label|code }}
&mdash; {{ c.points|fmt }} / {{ c.max|fmt }}
{% if c.status not in ("passed", "failed") %} ({{ c.status }}){% endif %}
{% if not c.public %} <span class="hidden">hidden check</span>{% endif %}
{% if c.messages %}
<ul class="msgs">{% for m in c.messages %}<li>{{ m|code }}</li>{% endfor %}</ul>
{% endif %}
</li>
{% endfor %}
</ul>
</section>
{% endfor %}
{% endif %}
<footer>nncourse grader {{ r.grader_version or "" }} &middot; file SHA-256
<code>{{ (r.sha256 or "")[:16] }}</code></footer>
</body>
</html>
""")

FEEDBACK_MD = _MD.from_string("""\
# {{ heading }}

{{ student.name or "(name not recognised)" }}{% if student.matriculation %}, {{ student.matriculation }}{% endif %}, file {{ r.file|code }}
{% if r.status == "graded" %}

**{{ r.total|fmt }} / {{ r.max|fmt }} points**
{% if late %}

{{ late }}
{% if final is not none %}

**After the late penalty: {{ final|fmt }} / {{ r.max|fmt }} points**
{% endif %}
{% endif %}
{% endif %}

{% for kind, text in origins %}
> **{{ ORIGIN_TITLES[kind] }}** {{ text }}

{% endfor %}
{% if tasks %}
Below are your points per task, then what each check found. Hidden checks run your code on inputs you have not seen.

| Task | Points | Status |
|---|---:|---|
{% for tag, t in tasks.items() %}
| {{ t.title or tag }} | {{ t.points|fmt }} / {{ t.max|fmt }} | {{ STATUS.get(t.status, t.status) }} |
{% endfor %}
| **Total** | **{{ r.total|fmt }} / {{ r.max|fmt }}** | |
{% for tag, t in tasks.items() %}

## {{ t.title or tag }}: {{ t.points|fmt }} / {{ t.max|fmt }}

{% for m in t.messages or [] %}
- {{ m }}
{% endfor %}
{% for c in t.checks or [] %}
- {{ "✓" if c.status == "passed" else "✗" }} {{ c.label }}: {{ c.points|fmt }} / {{ c.max|fmt }}{% if c.status not in ("passed", "failed") %} ({{ c.status }}){% endif %}{% if not c.public %} (hidden check){% endif %}

{% for m in c.messages or [] %}
    - {{ m }}
{% endfor %}
{% endfor %}
{% endfor %}
{% endif %}
""")

ORIGIN_TITLES = {"file": "Problem with the submitted file.",
                 "grader": "The grader stopped your code.",
                 "failure": "The grader failed.",
                 "code": "Problems in your code.",
                 "blank": "Nothing was answered.",
                 "unanswered": "Not answered.",
                 "note": "Note about the submission:",
                 "ok": "No problems."}


def _feedback_context(result):
    from .lms.late import final_points, late_line     # here: grader.lms imports this module
    number = result.get("assignment")
    late = late_line(result) if result.get("late") else None
    fraction = float((result.get("late") or {}).get("fraction") or 0)
    return {"r": result, "student": result.get("student") or {},
            "late": late, "final": final_points(result) if late and fraction else None,
            "tasks": {tag: result["tasks"][tag] for tag in task_tags([result])},
            "origins": origins(result),
            "heading": (f"Feedback on Assignment {number}" if number is not None
                        else "Feedback on your submission"),
            "STATUS": TASK_STATUS, "ORIGIN_TITLES": ORIGIN_TITLES}


def write_feedback(result, out_dir):
    folder, stem = Path(out_dir) / "feedback", _stem(result["file"])
    context = _feedback_context(result)
    return [_atomic_write(folder / f"{stem}.html", FEEDBACK_HTML.render(context).encode()),
            _atomic_write(folder / f"{stem}.md", FEEDBACK_MD.render(context).encode())]


# ---------------------------------------------------------------- summary

def _title(results):
    numbers = sorted({r.get("assignment") for r in results} - {None})
    graded = sum(r.get("status") == "graded" for r in results)
    which = (f"Assignment {numbers[0]}" if len(numbers) == 1
             else "Assignments " + ", ".join(map(str, numbers)) if numbers
             else "No assignment")
    return f"{which}: {graded} graded of N = {len(results)} submissions"


def task_stats(graded):
    """Per task tag: title, max, mean points, full-marks rate and mean of points/max."""
    titles, stats = _task_titles(graded), {}
    for tag in task_tags(graded):
        tasks = [r["tasks"][tag] for r in graded if tag in (r.get("tasks") or {})]
        points = [float(t.get("points") or 0) for t in tasks]
        maxima = [float(t.get("max") or 0) for t in tasks]
        stats[tag] = {
            "title": titles[tag], "max": max(maxima), "mean": statistics.fmean(points),
            "full": statistics.fmean(p >= m for p, m in zip(points, maxima)),
            "rate": statistics.fmean(p / m if m else 0.0 for p, m in zip(points, maxima))}
    return stats


def _plot(results):
    from matplotlib.figure import Figure  # here: grading workers import this module too
    graded = [r for r in results if r.get("status") == "graded"]
    groups = _by_assignment(graded)
    stats = task_stats(graded)
    fig = Figure(figsize=(11, max(4.5, 1.8 + 0.32 * len(stats))), layout="constrained")
    hist, bars = fig.subplots(1, 2, width_ratios=[1, 1.15])
    fig.suptitle(_title(results), fontsize=13, fontweight="bold")
    colours = {a: f"C{i}" for i, a in enumerate(groups)}
    _plot_totals(hist, groups, colours)
    _plot_tasks(bars, graded, stats, colours)
    buffer = io.BytesIO()
    # No "Software" entry: the PNG should not change with the matplotlib version.
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()


def _plot_totals(ax, groups, colours):
    ax.set_title("Totals (graded submissions)")
    if not groups:
        ax.text(0.5, 0.5, "no graded submissions", ha="center", va="center",
                transform=ax.transAxes, color="0.4")
        ax.set_axis_off()
        return
    maxima = {float(r.get("max") or 0) for rs in groups.values() for r in rs}
    common = maxima.pop() if len(maxima) == 1 else 0.0
    # One common maximum: plot points. Assignments of different size: plot % of max.
    if common > 0:
        top, label = common, "total points"
        value = lambda r: float(r.get("total") or 0)
    else:
        top, label = 100.0, "total (% of maximum)"
        value = lambda r: 100 * float(r.get("total") or 0) / float(r.get("max") or 1)
    values = [[value(r) for r in rs] for rs in groups.values()]
    # About 20 bars of a whole number of points, centred on their value, so that a small
    # maximum (say 7) gets one bar per point and full marks get a bar of their own.
    step = max(1, math.ceil(top / 20))
    edges = [step * (i - 0.5) for i in range(math.ceil(top / step) + 2)]
    ax.hist(values, bins=edges, stacked=True,
            color=[colours[a] for a in groups], edgecolor="white",
            label=[f"Assignment {a}" if a is not None else "unknown" for a in groups])
    everything = [v for vs in values for v in vs]
    median = statistics.median(everything)
    ax.axvline(median, color="0.2", linestyle="--", linewidth=1,
               label=f"median {fmt(median, 1)}")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel(label)
    ax.set_ylabel("submissions")
    from matplotlib.ticker import MaxNLocator
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=9, loc="upper left")


def _plot_tasks(ax, graded, stats, colours):
    ax.set_title("Average score per task (points / max)")
    if not stats:
        ax.set_axis_off()
        return
    owner = {}
    for r in graded:                       # which assignment a tag belongs to, for colour
        for tag in r.get("tasks") or {}:
            owner.setdefault(tag, r.get("assignment"))
    tags = list(stats)
    rates = [stats[t]["rate"] for t in tags]
    rows = range(len(tags))
    ax.barh(rows, rates, color=[colours[owner[t]] for t in tags], height=0.7)
    for row, rate in zip(rows, rates):
        ax.text(min(rate, 1) + 0.01, row, f"{rate:.0%}", va="center", fontsize=8)
    ax.set_yticks(list(rows), [_short(f"{t}: {stats[t]['title']}") for t in tags], fontsize=8)
    # Spec order from the top; room for at least 6 bars so a few do not look bloated.
    ax.set_ylim(max(len(tags), 6) - 0.5, -0.5)
    ax.set_xlim(0, 1.1)
    from matplotlib.ticker import PercentFormatter
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.grid(axis="x", color="0.85")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)


def _short(text, width=38):
    return text if len(text) <= width else text[:width - 1] + "…"


SUMMARY_MD = _MD.from_string("""\
# {{ title }}

| | count |
|---|---:|
| submissions | {{ results|length }} |
| graded | {{ graded|length }} |
| rejected | {{ rejected|length }} |
| flagged | {{ flagged|length }} |
{% if skipped %}
| unreadable result files (left out) | {{ skipped|length }} |
{% endif %}
{% for number, group in groups.items() %}

## Assignment {{ number if number is not none else "unknown" }}

{{ group.graded|length }} graded; total points (max {{ group.max }}): mean {{ group.mean }}, median {{ group.median }}, min {{ group.min }}, max {{ group.top }}.

| Task | Title | Max | Mean | Full marks |
|---|---|---:|---:|---:|
{% for tag, s in group.tasks.items() %}
| {{ tag|code }} | {{ s.title }} | {{ s.max|fmt }} | {{ s.mean|fmt(2) }} | {{ "%.0f%%"|format(100 * s.full) }} |
{% endfor %}
{% else %}

No graded submissions.
{% endfor %}
{% if rejected %}

## Rejected submissions

{% for r in rejected %}
- {{ r.file|code }}: {{ r.error or "no reason given" }}
{% endfor %}
{% endif %}
{% if flagged %}

## Flagged submissions

{% for r in flagged %}
- {{ r.file|code }}: {{ r.flags|join("; ") }}
{% endfor %}
{% endif %}
{% if skipped %}

## Unreadable result files

{% for path, reason in skipped %}
- {{ path|code }}: {{ reason }}
{% endfor %}
{% endif %}
""")


def _group_stats(graded):
    totals = [float(r.get("total") or 0) for r in graded]
    return {"graded": graded, "max": fmt(max(float(r.get("max") or 0) for r in graded)),
            "mean": fmt(statistics.fmean(totals), 2), "median": fmt(statistics.median(totals), 2),
            "min": fmt(min(totals)), "top": fmt(max(totals)), "tasks": task_stats(graded)}


def write_summary(results, out_dir, skipped=()):
    out_dir = Path(out_dir)
    results = sorted(results, key=lambda r: r["file"])
    graded = [r for r in results if r.get("status") == "graded"]
    text = SUMMARY_MD.render(
        title=_title(results), results=results, graded=graded,
        skipped=[(Path(path).name, reason) for path, reason in skipped],  # no abs. paths
        rejected=[r for r in results if r.get("status") == "rejected"],
        flagged=[r for r in results if r.get("flags")],
        groups={a: _group_stats(rs) for a, rs in _by_assignment(graded).items()})
    return [_atomic_write(out_dir / "summary.png", _plot(results)),
            _atomic_write(out_dir / "summary.md", text.encode())]


# ---------------------------------------------------------------- everything

def write_reports(out_dir, missing=()):
    """Regenerate every report from ``out_dir/results``; returns the paths written.
    ``missing``: roster students with no submission (dicts: name, matriculation, email),
    listed in the gradebook."""
    out_dir, skipped = Path(out_dir), []
    results = load_results(out_dir, skipped)
    feedback = [path for r in results for path in write_feedback(r, out_dir)]
    return {"gradebook": write_gradebook(results, out_dir / "gradebook.csv", missing),
            "feedback": feedback,
            "summary": write_summary(results, out_dir, skipped),
            "skipped": [path for path, _ in skipped]}
