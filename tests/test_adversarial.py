"""Reliability suite (issue 8): the adversarial corpus, graded in ONE batch with correct work.

The corpus (tests/adversarial/) is generated from a solution notebook; every row of
``adversarial/cases.py`` is one test here. The batch runs through the command line, exactly
as an instructor runs it, with a short cell timeout so the hanging cases stay cheap:

    python -m grader grade SUBMISSIONS -a N -o OUT --cell-timeout 2 --budget 60 \
        --memory-mb 512 -j 2

Around the batch the module watches the host: a TCP listener and an abstract Unix socket no
kernel may reach, the free disk space, files carrying the run's token, processes of the
sandbox users. A table of measured outcomes is written to ``OUT/outcomes.md`` (and to the
file named by NNCOURSE_ADV_REPORT, if set).
"""
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from adversarial import make_corpus
from adversarial.cases import CASES, CONTROL, CORRECT, VICTIM
from grader import sandbox
from grader.sandbox import UID_BASE, full_isolation_available

REPO = Path(__file__).resolve().parent.parent
CELL_TIMEOUT = os.environ.get("NNCOURSE_ADV_CELL_TIMEOUT", "2")
MEMORY_MB = 512          # small, so the memory case fills it quickly; Assignment 2 fits
BUDGET = os.environ.get("NNCOURSE_ADV_BUDGET", "60")
JOBS = 1                 # one worker: every correct submission is graded after attackers
SANDBOX_UIDS = range(UID_BASE, UID_BASE + getattr(sandbox, "UID_SLOTS", 4))
DISK_SLACK = 2 * 2**30   # the machine is shared: other people's files come and go

pytestmark = pytest.mark.skipif(not full_isolation_available(),
                                reason="the adversarial corpus needs the full sandbox "
                                       "(root on Linux with namespaces)")


# ---------------------------------------------------------------- the watched host

class Listener:
    """A TCP port on all interfaces and an abstract Unix socket that count connections."""

    def __init__(self, token):
        self.tcp = socket.socket()
        self.tcp.bind(("0.0.0.0", 0))
        self.tcp.listen(16)
        self.port = self.tcp.getsockname()[1]
        self.abstract = f"nncourse-adv-{token}"
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind("\0" + self.abstract)
        self.unix.listen(16)
        self.connections = []
        self._stop = threading.Event()
        for sock in (self.tcp, self.unix):
            sock.settimeout(0.2)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        while not self._stop.is_set():
            try:
                conn, peer = sock.accept()
            except OSError:
                continue
            self.connections.append(repr(peer))
            conn.close()

    def close(self):
        self._stop.set()
        self.tcp.close()
        self.unix.close()


def host_ip():
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))   # no packet is sent; picks the outgoing address
            return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def sandbox_processes():
    """(pid, uid, ppid, cmdline) of every process of a sandbox user."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields.get("Uid", "-1 ").split()[0])
        if uid in SANDBOX_UIDS:
            found.append((int(entry.name), uid, int(fields.get("PPid", "0").strip()), cmdline))
    return found


def files_named(token, roots):
    """Paths under ``roots`` whose name carries ``token`` (the corpus's write attempts)."""
    hits = []
    for root in roots:
        for folder, dirs, files in os.walk(root):
            if folder.count("/") - str(root).count("/") > 4:
                dirs[:] = []
            hits += [os.path.join(folder, n) for n in files + dirs if token in n]
    return hits


# ---------------------------------------------------------------- the one batch run

@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import secrets
    token = secrets.token_hex(8)
    base = tmp_path_factory.mktemp("adversarial")
    sub_dir, out_dir = base / "submissions", base / "graded"
    listener = Listener(token)
    ctx = make_corpus.Context(token=token, out_dir=out_dir, sub_dir=sub_dir,
                              port=listener.port, host_ip=host_ip(), abstract=listener.abstract,
                              memory_mb=MEMORY_MB)
    corpus = make_corpus.build(sub_dir, ctx)
    free_before = shutil.disk_usage("/").free
    env = dict(os.environ, PYTHONPATH=str(REPO), NNCOURSE_ADV_SECRET=f"grader-env-{token}")
    command = [sys.executable, "-m", "grader", "grade", str(sub_dir), "-a", str(corpus.number),
               "-o", str(out_dir), "--cell-timeout", CELL_TIMEOUT, "--budget", BUDGET,
               "--memory-mb", str(MEMORY_MB),
               "-j", str(JOBS), "--no-progress"]
    started = time.monotonic()
    done = subprocess.run(command, env=env, cwd=base, capture_output=True, text=True,
                          timeout=1200)
    seconds = time.monotonic() - started
    time.sleep(0.5)
    listener.close()
    results = {}
    for path in sorted((out_dir / "results").glob("*.json")):
        result = json.loads(path.read_text())
        results[result["file"]] = result
    state = SimpleNamespace(
        corpus=corpus, ctx=ctx, token=token, out_dir=out_dir, sub_dir=sub_dir, done=done,
        seconds=seconds, results=results, listener=listener,
        free_before=free_before, free_after=shutil.disk_usage("/").free,
        names={key: path.name for key, path in corpus.files.items()})
    write_outcomes(state)
    yield state


def result_of(run, key):
    name = run.names[key]
    assert name in run.results, f"no result file for {name!r}"
    return run.results[name]


# ---------------------------------------------------------------- judging one case

def measured(case, run):
    """(points, status, text) of a case as graded."""
    result = result_of(run, case.file)
    tag = run.corpus.resolved[case.name]
    if tag is None:
        return result["total"], result["status"], " ".join(
            [result.get("error") or ""] + result.get("flags", []))
    task = result["tasks"].get(tag)
    if task is None:
        return None, f"no task (file {result['status']}: {result.get('error')})", ""
    text = " ".join(task["messages"] + [m for c in task["checks"] for m in c["messages"]]
                    + result.get("flags", []))
    return task["points"], task["status"], text


def code_max(result):
    """The most a file can score before any written answer is marked."""
    return sum(task["max"] for task in result["tasks"].values())


def expected_points(case, run):
    result = result_of(run, case.file)
    tag = run.corpus.resolved[case.name]
    if case.points == "full":   # of the automatic checks: written answers wait for a marker
        return code_max(result) if tag is None else result["tasks"][tag]["max"]
    if case.points == "wrong":
        return result_of(run, CONTROL)["tasks"][tag]["points"]
    return case.points


def check(case, run):
    points, status, text = measured(case, run)
    problems = []
    if status not in case.status.split("|"):
        problems.append(f"status {status!r}, expected {case.status!r}")
    if case.points == "below max":
        result = result_of(run, case.file)
        full = [t for t, v in result["tasks"].items() if v["points"] >= v["max"]]
        if full or not result["tasks"]:
            problems.append(f"tasks with full marks: {full}")
    elif case.points != "any":
        want = expected_points(case, run)
        if points != want:
            problems.append(f"points {points}, expected {want}")
    for fragment in filter(None, case.message.split(" && ")):
        if fragment.startswith("!") and fragment[1:] in text:
            problems.append(f"message has {fragment[1:]!r}: {text[:400]!r}")
        elif not fragment.startswith("!") and fragment not in text:
            problems.append(f"message {fragment!r} not in {text[:400]!r}")
    return problems


def write_outcomes(run):
    lines = [f"# Adversarial corpus: measured outcomes (assignment {run.corpus.number})", "",
             f"batch: {run.seconds:.0f} s, exit code {run.done.returncode}, "
             f"cell timeout {CELL_TIMEOUT} s, budget {BUDGET} s, memory {MEMORY_MB} MB, "
             f"{JOBS} workers", "",
             "| case | group | task | expected | measured | ok |", "|---|---|---|---|---|---|"]
    for case in run.corpus.cases:
        try:
            points, status, text = measured(case, run)
            problems = check(case, run)
        except (AssertionError, KeyError) as error:
            points, status, text, problems = None, "missing", "", [str(error)]
        want = (f"{case.points} / {case.status}" + (f" / \"{case.message}\"" if case.message
                                                     else "")).replace("|", " or ")
        got = f"{points} / {status}: {text[:140]}".replace("|", "\\|").replace("\n", " ")
        tag = run.corpus.resolved[case.name] or "file"
        lines.append(f"| {case.name} | {case.group} | {tag} | {want} | {got} | "
                     f"{'yes' if not problems else 'NO: ' + '; '.join(problems)[:200]} |")
    text = "\n".join(lines) + "\n"
    (run.out_dir / "outcomes.md").write_text(text)
    if os.environ.get("NNCOURSE_ADV_REPORT"):
        Path(os.environ["NNCOURSE_ADV_REPORT"]).write_text(text)


# ---------------------------------------------------------------- the tests

def test_batch_goes_through(run):
    assert run.done.returncode == 0, run.done.stderr[-3000:]
    print(f"\nadversarial batch: {len(run.corpus.files)} files, {run.seconds:.0f} s; "
          f"outcomes in {run.out_dir / 'outcomes.md'}")
    with open(run.out_dir / "gradebook.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(run.corpus.files) == len(run.results)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(run, case):
    if case not in run.corpus.cases:
        pytest.skip(f"only for assignment {case.only}")
    problems = check(case, run)
    assert not problems, problems


def test_correct_submissions_keep_full_marks(run):
    for key in (*CORRECT, VICTIM):
        result = result_of(run, key)
        lost = {t: v["messages"] + [m for c in v["checks"] for m in c["messages"]]
                for t, v in result["tasks"].items() if v["points"] < v["max"]}
        assert result["total"] == code_max(result) > 0, (key, result.get("error"), lost)


def test_other_tasks_are_still_graded(run):
    """In every graded adversarial file, the tasks no case touches keep full marks."""
    lost = {}
    for key in {c.file for c in run.corpus.cases}:
        mine = [c for c in run.corpus.cases if c.file == key]
        result = result_of(run, key)
        if any(c.build.startswith("file:") or c.points == "below max" for c in mine):
            continue
        targeted = {run.corpus.resolved[c.name] for c in mine}
        for tag, task in result["tasks"].items():
            if tag not in targeted and task["points"] < task["max"]:
                lost[f"{key}/{tag}"] = (task["status"], task["messages"][:1] +
                                        [m for c in task["checks"] for m in c["messages"]][:1])
        if result["status"] != "graded":
            lost[key] = result.get("error")
    assert not lost, lost


def test_no_grader_failures(run):
    """Every file is handled by design; none ends as a crash of the grader itself."""
    failures = {name: r["error"] for name, r in run.results.items()
                if r.get("status") == "grader failure"}
    assert not failures, failures


def test_results_and_feedback_stay_small(run):
    """Whatever the kernel sends (megabyte type names, floods), a result file stays under the
    grader's limit, and the feedback made from it too."""
    from grader.result import RESULT_LIMIT
    out = Path(run.out_dir)
    big = {p.name: p.stat().st_size for folder in ("results", "feedback")
           for p in (out / folder).iterdir() if p.stat().st_size > RESULT_LIMIT}
    assert not big, big


def test_rejections_are_one_line(run):
    for name, result in run.results.items():
        if result["status"] == "rejected":
            assert result["error"] and "\n" not in result["error"], (name, result["error"])
            assert result["total"] == 0.0


def test_no_network_connection_reached_the_host(run):
    assert run.listener.connections == []


def test_no_leftover_processes(run):
    """Daemons, fork bombs and kernels are gone once the batch has finished."""
    deadline = time.monotonic() + 10
    while True:
        ours = [p for p in sandbox_processes() if run.token in p[3]]
        orphans = [p for p in sandbox_processes() if p[2] == 1]
        if not ours and not orphans or time.monotonic() > deadline:
            break
        time.sleep(0.5)   # other people's batches on this machine clean up their own
    assert not ours, ours
    assert not orphans, orphans


def test_host_disk_unchanged(run):
    planted = files_named(run.token, ["/tmp", "/var/tmp", "/run", "/dev/shm", run.out_dir,
                                      run.sub_dir, REPO, "/root"])
    assert not planted, planted
    assert run.free_before - run.free_after < DISK_SLACK, \
        (run.free_before - run.free_after) / 2**20


def test_nothing_leaks_into_results_or_feedback(run):
    secrets = [f"grader-env-{run.token}", f"VICTIM-SECRET-{run.token}", "### BEGIN SOLUTION",
               str(run.sub_dir), str(REPO / "solutions")]
    leaks = []
    for path in run.out_dir.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".md", ".html", ".csv") and \
                path.name != "outcomes.md":
            text = path.read_text(errors="replace")
            leaks += [(path.name, s) for s in secrets if s in text]
    assert not leaks, leaks


def test_forged_result_files_have_no_effect(run):
    """Only the grader's own result files exist: one per submission, none forged."""
    from grader.report import result_path
    expected = {result_path(run.out_dir, path.name).name for path in run.corpus.files.values()}
    found = {p.name for p in (run.out_dir / "results").iterdir()}
    assert found == expected, (found - expected, expected - found)


def test_hostile_file_name_is_defused_in_reports(run):
    for path in (run.out_dir / "feedback").glob("*.html"):
        assert "<img src=x" not in path.read_text(), path.name
