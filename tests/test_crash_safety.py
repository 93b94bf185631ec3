"""Crash safety and determinism of batch grading (issue 8), on the toy assignment 9.

* A class of 50 submissions is graded while the batch (its whole process group) is killed with
  SIGKILL at several points: during start-up, after k result files, while the reports are
  written, and once only one worker is killed. After a final re-run the gradebook is byte for
  byte that of an uninterrupted run, with one row per submission and no corrupt result file.
* The uninterrupted reference run uses 1 worker and the interrupted ones 2, so the same
  comparison shows that the number of workers does not matter; a separate small class is also
  graded with 1 and with 2 workers.
* Grading the same files twice gives identical result files apart from `seconds` and
  `graded_at`, and identical gradebooks and feedback.
"""
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures import toy
from grader import sandbox
from grader.result import SCHEMA
from grader.sandbox import UID_BASE

SANDBOX_UIDS = range(UID_BASE, UID_BASE + getattr(sandbox, "UID_SLOTS", 4))

REPO = Path(__file__).resolve().parent.parent
CLASS_SIZE = 50
VOLATILE = ("seconds", "graded_at")

# What the class is made of (cycled): cheap variants that still cover every outcome.
VARIANTS = [
    ("good", {}),
    ("blank", toy.BLANK),
    ("wrong", {"task_9_2": "def relu(z):\n    return np.abs(z)"}),
    ("negative", {"task_9_3": "tf_a = False\ntf_b = True"}),
    ("crash", {"task_9_2": "import os\nos._exit(0)"}),
    ("error", {"task_9_1": "X = 1 / 0"}),
    ("partial", {"task_9_1": "X = np.zeros((4, 2))"}),
    ("broken", None),
]
HANG = ("hang", {"task_9_2": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                             "while True:\n    pass"})
# stopping a cell that floods its output takes a varying time; the feedback must not vary
FLOOD = ("flood", {"task_9_3": "while True:\n    print('x' * 10000)"})
STOPPED = [HANG, FLOOD]


def student(index):
    return "Student" + chr(65 + index // 26) + chr(97 + index % 26)


def write_class(folder, size, variants=VARIANTS):
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(size):
        kind, sources = variants[index % len(variants)]
        path = folder / f"Assignment_9_{student(index)}_{10000000 + index:08d}.ipynb"
        if sources is None:
            path.write_text('{"cells": [')          # cut short: rejected
        else:
            toy.write(path, sources)
    return folder


def command(folder, out, templates, jobs, *extra):
    return [sys.executable, "-m", "grader", "grade", str(folder), "-a", "9", "-o", str(out),
            "--templates", str(templates), "-j", str(jobs), "--no-progress",
            "--cell-timeout", "1", *extra]


def env():
    # the toy spec (found through NNCOURSE_SPECS) imports tests/fixtures
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests")]))


def grade(folder, out, templates, jobs=2, *extra):
    done = subprocess.run(command(folder, out, templates, jobs, *extra), env=env(),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


def results_in(out):
    return sorted((Path(out) / "results").glob("*.json"))


def corrupt_results(out):
    bad = []
    for path in results_in(out):
        try:
            data = json.loads(path.read_text())
            assert data["schema"] == SCHEMA and isinstance(data["file"], str)
        except Exception as error:   # noqa: BLE001  (any problem is a corrupt file)
            bad.append((path.name, repr(error)))
    return bad


def workers_of(pid):
    """The pool workers started by the batch process ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def interrupted_run(folder, out, templates, when, log):
    """Start the batch and SIGKILL it (its process group) at ``when``:
    ("startup", seconds) | ("results", k) | ("worker", k) | ("reports", seconds)."""
    with open(log, "a") as handle:
        process = subprocess.Popen(command(folder, out, templates, 2), env=env(),
                                   stdout=handle, stderr=handle, start_new_session=True)
        kind, value = when
        started, killed = time.monotonic(), None
        while process.poll() is None and time.monotonic() - started < 300:
            count = len(results_in(out))
            if kind in ("startup", "reports") and time.monotonic() - started >= value or \
                    kind == "results" and count >= value:
                os.killpg(process.pid, signal.SIGKILL)
                killed = count
                break
            if kind == "worker" and count >= value and workers_of(process.pid):
                os.kill(workers_of(process.pid)[0], signal.SIGKILL)
                kind = "done"           # the batch must now finish by itself
            time.sleep(0.05)
        process.wait(timeout=300)
        return killed, process.returncode


def gradebook_rows(out):
    with open(Path(out) / "gradebook.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def stray_kernels():
    """Processes of the sandbox users left without a parent (after the kills)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields.get("Uid", "-1").split()[0])
        if uid in SANDBOX_UIDS and fields.get("PPid", "").strip() == "1":
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def klass(tmp_path_factory, toy_templates):
    return write_class(tmp_path_factory.mktemp("crash") / "class", CLASS_SIZE), toy_templates


def test_sigkill_at_random_points_then_resume_gives_the_same_gradebook(klass, tmp_path):
    folder, templates = klass
    started = time.monotonic()
    reference = tmp_path / "reference"
    grade(folder, reference, templates, 1)              # uninterrupted, 1 worker
    reference_seconds = time.monotonic() - started

    out, log = tmp_path / "interrupted", tmp_path / "interrupted.log"
    points = [("startup", 1.5), ("results", 3), ("results", 12), ("results", 25),
              ("results", 38), ("worker", 44)]
    kills = []
    for when in points:
        killed, code = interrupted_run(folder, out, templates, when, log)
        kills.append((when, killed, code))
        assert not corrupt_results(out), (when, corrupt_results(out))
    assert len(results_in(out)) == CLASS_SIZE, (kills, log.read_text()[-3000:])
    # everything is graded now: a re-run only writes the reports; kill it while it does
    kills.append((("reports", 0.8),) + interrupted_run(folder, out, templates,
                                                       ("reports", 0.8), log))
    grade(folder, out, templates, 2)                      # the final, complete re-run
    print(f"\nreference run (1 worker): {reference_seconds:.0f} s; kills: {kills}; "
          f"all: {time.monotonic() - started:.0f} s")

    assert not corrupt_results(out)
    rows = gradebook_rows(out)
    files = [row["file"] for row in rows]
    assert len(files) == len(set(files)) == CLASS_SIZE
    assert sorted(files) == sorted(p.name for p in folder.iterdir())
    assert not [r for r in rows if r["status"] == "grader failure"]
    assert (out / "gradebook.csv").read_bytes() == (reference / "gradebook.csv").read_bytes()
    assert sum(1 for _, killed, _ in kills if killed is not None) >= 5, kills


@pytest.fixture(scope="module")
def small_class(tmp_path_factory, toy_templates):
    """One submission per variant (and two the timeout stops), graded twice with 2 workers and
    once with 1."""
    base = tmp_path_factory.mktemp("twice")
    folder = write_class(base / "class", len(VARIANTS) + len(STOPPED), VARIANTS + STOPPED)
    for name, jobs in (("first", 2), ("second", 2), ("one-worker", 1)):
        grade(folder, base / name, toy_templates, jobs)
    return base


def _without_volatile(path):
    data = json.loads(path.read_text())
    for key in VOLATILE:
        data.pop(key, None)
    return data


def _differences(a, b, where=""):
    """The places where two JSON values differ, as (path, a, b)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b))
                for d in _differences(a.get(k), b.get(k), f"{where}/{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{where}/{i}")]
    return [] if a == b else [(where, a, b)]


def test_grading_twice_gives_identical_results(small_class):
    first, second = small_class / "first", small_class / "second"
    names = [p.name for p in results_in(first)]
    assert names == [p.name for p in results_in(second)]
    assert len(names) == len(VARIANTS) + len(STOPPED)
    differ = [n for n in names if _without_volatile(first / "results" / n)
              != _without_volatile(second / "results" / n)]
    assert not differ, {n: _differences(_without_volatile(first / "results" / n),
                                        _without_volatile(second / "results" / n))
                        for n in differ}
    assert (first / "gradebook.csv").read_bytes() == (second / "gradebook.csv").read_bytes()
    for path in sorted((first / "feedback").iterdir()):
        assert path.read_bytes() == (second / "feedback" / path.name).read_bytes(), path.name


def test_one_and_two_workers_give_identical_gradebooks(small_class):
    assert (small_class / "one-worker" / "gradebook.csv").read_bytes() == \
        (small_class / "first" / "gradebook.csv").read_bytes()


def test_no_kernels_are_left_behind():
    """After the killed batches and their re-runs, no sandbox process is left orphaned."""
    deadline = time.monotonic() + 10
    while stray_kernels() and time.monotonic() < deadline:
        time.sleep(0.5)   # another batch on a shared machine may be cleaning up its own
    assert not stray_kernels(), stray_kernels()
