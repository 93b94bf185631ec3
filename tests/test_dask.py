"""Grading on a Dask cluster (issue 17), on the toy assignment 9: real batch runs in a
subprocess, beside the local pool.

* one class (every outcome, sub-folders, a link, a superseded copy) graded by the local pool,
  by ``--dask local:2``, and by a running cluster (``dask scheduler`` + ``dask worker``,
  started here; as root its workers cannot even see the class or the templates, so the
  files must travel with the tasks): byte-identical gradebooks and feedback, identical result
  files apart from timestamps, the same summary line;
* a Dask worker killed mid-batch costs only its submissions in flight: the run still ends with
  the full gradebook; a submission whose worker always dies becomes the same grader failure
  as with the local pool;
* Ctrl-C and SIGTERM with a local cluster: out within 2 s, nothing left behind, no unfinished
  result, and the rerun finishes the gradebook;
* a failed preflight, and one-line errors (exit status 2) for a bad --dask, a scheduler that
  cannot be reached, dask not installed;
* the pieces: the cost-ordered queue, a worker with other specs or templates.
"""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures import toy
from grader import report
from grader.batch import CostQueue
from grader.collect import Item
from grader.result import Status, SubmissionResult
from test_batch import _descendants, _leftovers, _ticks, no_traceback, summary_line
from test_crash_safety import STOPPED, VARIANTS, VOLATILE, stray_kernels, write_class

REPO = Path(__file__).resolve().parent.parent
# full marks, slowly: well inside the cell limit below, as a cell that runs for about the
# limit itself may be stopped or not, depending on the machine's load
SLOW = {"task_9_1": "import time\ntime.sleep(1.0)\n" + toy.SOLUTION["task_9_1"]}
DASK = ["--dask", "local:2"]


def env(**extra):
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests")]),
                **extra)


def command(folder, out, templates, *extra):
    return [sys.executable, "-m", "grader", "grade", str(folder), "-a", "9", "-o", str(out),
            "--templates", str(templates), "--no-progress", "--cell-timeout", "3", *extra]


def grade(folder, out, templates, *extra, environment=None):
    return subprocess.run(command(folder, out, templates, *extra), env=environment or env(),
                          capture_output=True, text=True, timeout=600)


def results(out):
    """Each result file's content without the fields that record when and how long."""
    found = {}
    for path in sorted((Path(out) / "results").glob("*.json")):
        data = json.loads(path.read_text())
        for key in VOLATILE:
            data.pop(key, None)
        found[path.name] = data
    return found


def outputs(out):
    """Every report file, by name: gradebook, feedback, class summary (not the plot)."""
    out = Path(out)
    files = [out / "gradebook.csv", out / "summary.md", *sorted((out / "feedback").iterdir())]
    return {str(p.relative_to(out)): p.read_bytes() for p in files}


def assert_same_grading(out, reference):
    assert results(out) == results(reference)
    assert (out / "gradebook.csv").read_bytes() == (reference / "gradebook.csv").read_bytes()
    assert outputs(out) == outputs(reference)


# ---------------------------------------------------------------- a running cluster

def _wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@contextlib.contextmanager
def cluster(base, workers=2, hidden=None, environment=None):
    """A scheduler and single-threaded workers, as `dask scheduler` and `dask worker` start
    them on a cluster's nodes; with ``hidden`` (as root) the workers run in a mount
    namespace where that folder is an empty tmpfs."""
    scheduler_file = base / "scheduler.json"
    log = open(base / "cluster.log", "w")
    dask = [sys.executable, "-m", "dask"]
    processes = [subprocess.Popen(
        [*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", ":0",
         "--scheduler-file", str(scheduler_file)], env=env(), cwd="/", stdout=log, stderr=log,
        start_new_session=True)]
    try:
        _wait_for(lambda: scheduler_file.exists() and scheduler_file.stat().st_size, 60,
                  "the scheduler")
        address = json.loads(scheduler_file.read_text())["address"]
        worker = [*dask, "worker", address, "--nworkers", str(workers), "--nthreads", "1",
                  "--memory-limit", "0", "--no-dashboard"]
        isolated = hidden is not None and os.geteuid() == 0 and shutil.which("unshare")
        if isolated:
            worker = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                      'mount -t tmpfs -o size=1m tmpfs "$0" && exec "$@"', str(hidden), *worker]
        processes.append(subprocess.Popen(worker, env=environment or env(), cwd="/",
                                          stdout=log, stderr=log, start_new_session=True))
        from distributed import Client
        with Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=120)
            # what a worker sees of a file here (the log of this very cluster)
            sees = client.run(os.path.exists, str(base / "cluster.log"))
        yield {"address": address, "isolated": bool(isolated), "sees": sees,
               "workers": processes[1].pid}
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def running_cluster(tmp_path_factory):
    """Two workers that, as root, cannot see the tests' temporary folders (the class, the
    templates, the output)."""
    with cluster(tmp_path_factory.mktemp("cluster"),
                 hidden=tmp_path_factory.getbasetemp()) as running:
        yield running


# ---------------------------------------------------------------- identical results

@pytest.fixture(scope="module")
def same(tmp_path_factory, toy_templates, running_cluster):
    """One class, three backends: the local pool (2 workers), a local Dask cluster (2
    workers, files by path), a running Dask cluster (2 workers, files sent)."""
    base = tmp_path_factory.mktemp("same")
    folder = write_class(base / "class", len(VARIANTS) + len(STOPPED), VARIANTS + STOPPED)
    for student, sources in (("ada", {}), ("bob", toy.BLANK)):   # two A1.ipynb
        (folder / student).mkdir()
        toy.write(folder / student / "A1.ipynb", sources)
    (folder / "Assignment_9_Link_10000099.ipynb").symlink_to(folder / "bob" / "A1.ipynb")
    old = folder / "old" / "Assignment_9_Finn_20000006.ipynb"
    old.parent.mkdir()
    toy.write(old, {})
    os.utime(old, (time.time() - 3600,) * 2)
    toy.write(folder / "Assignment_9_Finn_20000006-1.ipynb", toy.BLANK)
    # the templates where the workers of the running cluster cannot see them either
    templates = base / "templates"
    shutil.copytree(toy_templates, templates)
    runs = {"local": grade(folder, base / "local", templates, "-j", "2"),
            "dask": grade(folder, base / "dask", templates, *DASK),
            "running": grade(folder, base / "running", templates,
                             "--dask", running_cluster["address"])}
    for name, done in runs.items():
        assert done.returncode == 0, (name, done.stdout[-2000:] + done.stderr[-3000:])
        no_traceback(done)
    return base, runs


def test_the_local_pool_and_dask_grade_a_class_identically(same):
    base, runs = same
    assert len(results(base / "local")) == 14   # 10 variants, 2 A1.ipynb, the link, Finn
    assert_same_grading(base / "dask", base / "local")
    lines = {name: summary_line(done) for name, done in runs.items()}
    assert lines["dask"] == lines["local"], lines
    assert "14 submission(s), 12 graded, 2 rejected" in lines["local"], lines
    assert "1 superseded" in lines["local"]
    assert "dask: 2 worker(s), 2 thread(s) at local cluster" in runs["dask"].stdout


def test_a_running_cluster_grades_identically_with_the_files_sent(same, running_cluster):
    base, runs = same
    assert_same_grading(base / "running", base / "local")
    assert summary_line(runs["running"]) == summary_line(runs["local"])
    assert "submissions travel as bytes" in runs["running"].stdout
    assert running_cluster["isolated"] or os.geteuid() != 0   # as root (CI): always
    if running_cluster["isolated"]:   # the workers could not have read a path of ours
        assert running_cluster["sees"] and not any(running_cluster["sees"].values())


def test_a_running_cluster_with_a_worker_of_another_version_is_refused(tmp_path,
                                                                       toy_templates):
    """A worker without the toy spec (another version of the course) fails the preflight,
    whichever worker the grading tasks would have gone to."""
    folder = tmp_path / "class"
    folder.mkdir()
    toy.write(folder / "Assignment_9_Ada_10000001.ipynb", {})
    other = env()
    other.pop("NNCOURSE_SPECS")
    with cluster(tmp_path, workers=1, environment=other) as running:
        done = grade(folder, tmp_path / "out", toy_templates, "--dask", running["address"])
    assert done.returncode == 1, done.stdout + done.stderr
    assert "preflight failed, nothing was graded: on dask worker tcp://" in done.stderr
    assert "no spec for assignment 9 on this worker" in done.stderr
    assert not (tmp_path / "out" / "gradebook.csv").exists()
    no_traceback(done)


def test_a_worker_with_other_specs_or_templates_refuses_to_grade(tmp_path, toy_templates):
    from grader.specs import fingerprint
    from grader.cluster import GraderPlugin

    class Worker:    # what the plugin uses of a dask Worker
        address = "tcp://10.0.0.1:1234"
        local_directory = str(tmp_path / "worker")

    def plugin(stamp, numbers=(9,), templates=None, notebooks=toy_templates):
        made = GraderPlugin("nncourse-test", {"notebooks": str(notebooks), "hide": []},
                            numbers=list(numbers), stamp=stamp, templates=templates,
                            stop_on_sigterm=False)
        made.setup(Worker())
        return made

    stamp = fingerprint([9], toy_templates)
    assert plugin(stamp).problem is None
    sent = {p.name: p.read_bytes() for p in toy_templates.glob("*.ipynb")}
    assert plugin(stamp, templates=sent, notebooks=tmp_path / "nowhere").problem is None
    other = plugin("0123456789abcdef").problem
    assert "differ from the grading machine's" in other and "0123456789abcdef" in other
    assert "no spec for assignment 99" in plugin(stamp, numbers=(9, 99)).problem
    assert "no template folder" in plugin(stamp, notebooks=tmp_path / "nowhere").problem
    with pytest.raises(Exception, match="could not start: this worker's specs"):
        plugin("0123456789abcdef").grader()


# ---------------------------------------------------------------- lost workers

@pytest.fixture(scope="module")
def slow_class(tmp_path_factory, toy_templates):
    """10 submissions of about a second each, and the gradebook the local pool gives them."""
    base = tmp_path_factory.mktemp("slow")
    folder = base / "class"
    folder.mkdir()
    for index in range(10):
        sources = {**SLOW, **({"task_9_2": "def relu(z):\n    return np.abs(z)"}
                              if index % 3 == 0 else {})}
        toy.write(folder / f"Assignment_9_S{'abcdefghij'[index]}_{10000000 + index}.ipynb",
                  sources)
    reference = base / "reference"
    done = grade(folder, reference, toy_templates, "-j", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    return folder, reference, toy_templates


def _dask_workers(pid):
    """The worker processes of a local cluster started by the batch process ``pid``."""
    return [child for child, info in _descendants(pid).items()
            if info["ppid"] == pid and "spawn_main" in info["cmd"]]


def test_a_killed_dask_worker_costs_only_its_submissions(slow_class, tmp_path):
    folder, reference, templates = slow_class
    out = tmp_path / "out"
    process = subprocess.Popen(command(folder, out, templates, *DASK), env=env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while len(list((out / "results").glob("*.json"))) < 3 and time.monotonic() < deadline \
            and process.poll() is None:
        time.sleep(0.02)
    workers = _dask_workers(process.pid)
    assert len(workers) == 2, workers
    os.kill(workers[0], signal.SIGKILL)          # a node lost in the middle of a submission
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stdout + stderr
    assert "left the cluster" in stderr and "tried again on other workers" in stderr
    done = subprocess.CompletedProcess([], 0, stdout, stderr)
    no_traceback(done)
    assert "10 submission(s), 10 graded, 0 rejected (the file's fault), 0 grader failure(s)" \
        in summary_line(done)
    assert (out / "gradebook.csv").read_bytes() == (reference / "gradebook.csv").read_bytes()
    # the killed worker's kernel was swept when its sandbox uid was claimed again
    deadline = time.monotonic() + 10
    while stray_kernels() and time.monotonic() < deadline:
        time.sleep(0.5)   # another batch on a shared machine may be cleaning up its own
    assert not stray_kernels(), stray_kernels()


def test_a_submission_whose_worker_always_dies_is_a_grader_failure_on_both_backends(
        slow_class, tmp_path):
    """A fault injected into grading (a sitecustomize in the batch's processes): grading the
    submission of student Sc kills the process that grades it, every time."""
    folder, _, templates = slow_class
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import os\n"
        "if os.environ.get('NNCOURSE_TEST_DIE'):\n"
        "    import grader.grade as g\n"
        "    real = g.Grader.grade\n"
        "    def grade(self, path, number=None, *, file=None):\n"
        "        if '_Sc_' in str(file):\n"
        "            os._exit(3)\n"
        "        return real(self, path, number, file=file)\n"
        "    g.Grader.grade = grade\n")
    faulty = env(NNCOURSE_TEST_DIE="1")
    faulty["PYTHONPATH"] = os.pathsep.join([str(hook), faulty["PYTHONPATH"]])
    runs = {name: grade(folder, tmp_path / name, templates, *extra, environment=faulty)
            for name, extra in (("local", ["-j", "2"]), ("dask", DASK))}
    for name, done in runs.items():
        assert done.returncode == 1, (name, done.stdout + done.stderr)
        assert "9 graded, 0 rejected (the file's fault), 1 grader failure(s)" in \
            summary_line(done), name
        failed = results(tmp_path / name)["Assignment_9_Sc_10000002.json"]
        assert failed["status"] == Status.FAILED_GRADER.value
        assert failed["error"] == "a grading worker died twice while grading it"
    assert (tmp_path / "dask" / "gradebook.csv").read_bytes() == \
        (tmp_path / "local" / "gradebook.csv").read_bytes()


# ---------------------------------------------------------------- interruption

@pytest.mark.parametrize("how", ["SIGINT to the group", "SIGTERM to the main process"])
def test_interrupting_a_dask_run_stops_fast_cleanly_and_the_rerun_finishes(
        slow_class, tmp_path, how):
    folder, reference, templates = slow_class
    out = tmp_path / "out"
    process = subprocess.Popen(command(folder, out, templates, *DASK), env=env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 300
    while len(list((out / "results").glob("*.json"))) < 2 and time.monotonic() < deadline \
            and process.poll() is None:
        time.sleep(0.02)
    assert process.poll() is None, process.communicate()
    before = _descendants(process.pid)
    uids = {info["uid"] for info in before.values() if info["uid"] != os.geteuid()}
    assert len(_dask_workers(process.pid)) == 2
    assert any("grader.sandbox" in info["cmd"] for info in before.values()), before
    signum = signal.SIGTERM if "SIGTERM" in how else signal.SIGINT
    sent, ticks = time.monotonic(), _ticks()
    if "group" in how:
        os.killpg(process.pid, signum)
    else:
        os.kill(process.pid, signum)
    stdout, stderr = process.communicate(timeout=60)
    took = time.monotonic() - sent
    print(f"\n{how}: exit {process.returncode} {took:.2f} s after the signal")
    assert took < 2.0, (took, stderr)
    assert process.returncode == 128 + signum, stderr
    time.sleep(0.2)
    assert not _leftovers(before, uids, ticks)
    no_traceback(subprocess.CompletedProcess([], process.returncode, stdout, stderr))
    assert "run the same command again" in stderr
    written = results(out)
    expected = results(reference)
    assert 2 <= len(written) < len(expected), len(written)
    for name, result in written.items():      # only whole, final results
        assert result == expected[name]
    rerun = grade(folder, out, templates, *DASK)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(written)} skipped as already graded" in summary_line(rerun)
    assert (out / "gradebook.csv").read_bytes() == (reference / "gradebook.csv").read_bytes()


def test_interrupting_a_run_on_a_running_cluster_stops_it_and_leaves_the_workers_up(
        slow_class, running_cluster, tmp_path):
    """A running cluster is not the run's to stop: its tasks are cancelled and this run's
    kernels and zygotes killed on every worker, and the workers go on to grade the rerun."""
    folder, reference, templates = slow_class
    out = tmp_path / "out"
    remote = ["--dask", running_cluster["address"]]
    process = subprocess.Popen(command(folder, out, templates, *remote), env=env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 300
    while len(list((out / "results").glob("*.json"))) < 2 and time.monotonic() < deadline \
            and process.poll() is None:
        time.sleep(0.02)
    assert process.poll() is None, process.communicate()

    def zygotes():
        return {pid: info for pid, info in _descendants(running_cluster["workers"]).items()
                if "grader.sandbox" in info["cmd"] and info["state"] not in ("Z", "X")}

    workers = {pid for pid, info in _descendants(running_cluster["workers"]).items()
               if "spawn_main" in info["cmd"]}
    assert len(workers) == 2 and zygotes()
    sent = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    took = time.monotonic() - sent
    assert took < 2.0 and process.returncode == 130, (took, stderr)
    no_traceback(subprocess.CompletedProcess([], 130, stdout, stderr))
    _wait_for(lambda: not zygotes(), 10, "this run's zygotes to be gone")
    assert workers <= set(_descendants(running_cluster["workers"]))   # still up
    written, expected = results(out), results(reference)
    assert 2 <= len(written) < len(expected)
    assert all(result == expected[name] for name, result in written.items())
    rerun = grade(folder, out, templates, *remote)
    assert rerun.returncode == 0, rerun.stderr
    assert (out / "gradebook.csv").read_bytes() == (reference / "gradebook.csv").read_bytes()


def test_a_comm_that_fails_while_a_local_cluster_stops_is_not_logged(toy_templates):
    """When the run stops, the scheduler (in the batch process) may still be writing to a
    worker that was just killed, and distributed logs that failure with a traceback. It
    happens now and then (a CI run saw it); here it is made to happen after the stop."""
    script = (
        "import logging, sys\n"
        "from distributed.comm.core import CommClosedError\n"
        "from grader.cluster import DaskPool, Target\n"
        "cluster = DaskPool(Target(local=True, workers=1), {'notebooks': sys.argv[1]},\n"
        "                   numbers=[9], stamp='-', say=lambda *a: None, warn=print)\n"
        "cluster.stop()\n"
        "try:\n"
        "    raise CommClosedError()\n"
        "except CommClosedError:\n"
        "    logging.getLogger('distributed.batched').info('Batched Comm Closed',\n"
        "                                                  exc_info=True)\n"
        "print('stopped')\n")
    done = subprocess.run([sys.executable, "-c", script, str(toy_templates)], env=env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "stopped" in done.stdout, done.stderr
    no_traceback(done)
    assert "Batched Comm Closed" not in done.stderr, done.stderr


# ---------------------------------------------------------------- refusals

def test_a_failed_preflight_on_dask_grades_nothing(tmp_path, toy_templates):
    folder = tmp_path / "class"
    folder.mkdir()
    for index in range(3):
        toy.write(folder / f"Assignment_9_S{'abc'[index]}_1000000{index}.ipynb", {})
    out = tmp_path / "out"
    done = grade(folder, out, toy_templates, *DASK, "--memory-mb", "1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "preflight failed, nothing was graded: on dask worker tcp://" in done.stderr
    assert "assignment 9" in done.stderr and "try:" in done.stderr
    assert not list((out / "results").glob("*")) if (out / "results").exists() else True
    assert not (out / "gradebook.csv").exists()
    no_traceback(done)


def test_dask_problems_are_one_line_and_exit_2(tmp_path, toy_templates):
    folder = tmp_path / "class"
    folder.mkdir()
    toy.write(folder / "Assignment_9_Ada_10000001.ipynb", {})
    out = tmp_path / "out"

    def last_line(*extra, environment=None):
        done = grade(folder, out, toy_templates, *extra, environment=environment)
        assert done.returncode == 2, done.stdout + done.stderr
        no_traceback(done)
        assert not (out / "gradebook.csv").exists()
        return done.stderr.strip().splitlines()[-1]

    assert last_line("--dask", "somewhere").startswith("error: --dask somewhere: expected local")
    assert last_line("--dask", "local:0").startswith("error: --dask local:0: give a number")
    assert "disagree" in last_line("--dask", "local:2", "-j", "3")
    config = tmp_path / "dask.yaml"
    config.write_text("distributed:\n  comm:\n    timeouts:\n      connect: 1s\n")
    assert "names no scheduler-address" in last_line("--dask-config", str(config))
    config.write_text("scheduler-address: tcp://127.0.0.1:9\n" + config.read_text())
    started = time.monotonic()
    line = last_line("--dask-config", str(config))
    assert line.startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:9"), line
    assert time.monotonic() - started < 30
    # dask not installed: its import fails in the batch's process
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import sys\n"
        "class NoDask:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('dask', 'distributed'):\n"
        "            raise ImportError(f'No module named {name!r}')\n"
        "sys.meta_path.insert(0, NoDask())\n")
    without = env()
    without["PYTHONPATH"] = os.pathsep.join([str(hook), without["PYTHONPATH"]])
    line = last_line(*DASK, environment=without)
    assert line == ("error: --dask needs dask.distributed, which is not installed here: "
                    "pip install 'nncourse[cluster]' (or: pip install 'dask[distributed]')")
    # and without --dask nothing needs dask
    done = grade(folder, out, toy_templates, environment=without)
    assert done.returncode == 0, done.stderr
    helped = subprocess.run([sys.executable, "-m", "grader", "grade", "--help"], env=env(),
                            capture_output=True, text=True, timeout=60)
    assert "--dask WHERE" in helped.stdout and "--dask-config FILE" in helped.stdout \
        and "--dask-files" in helped.stdout


# ---------------------------------------------------------------- the order of submissions

def _item(name, number):
    return Item(Path(name), name, None, number)


def _graded(seconds):
    result = SubmissionResult(file="x")
    result.seconds = seconds
    return result


def test_the_most_expensive_assignment_goes_first_and_costs_are_learned():
    items = [_item(f"a{n}_{i}", n) for n in (1, 2, 3) for i in range(3)]
    queue = CostQueue(items, history={1: [2.0], 2: [30.0, 10.0]})
    # no time known for 3: it goes first, to be measured; then 2 (20 s), then 1 (2 s)
    assert [queue.pop().name for _ in range(2)] == ["a3_0", "a3_1"]
    queue.observe(_item("a3_0", 3), _graded(5.0))
    assert queue.pop().name == "a2_0"
    queue.observe(_item("a2_0", 2), _graded(1.0))        # 2 now takes (30+10+1)/3 s
    queue.retry(_item("a3_1", 3))                        # a lost worker's: first
    assert [queue.pop().name for _ in range(len(queue))] == \
        ["a3_1", "a2_1", "a2_2", "a3_2", "a1_0", "a1_1", "a1_2"]
    rejected = _graded(99.0)
    rejected.status = Status.REJECTED                    # says nothing about grading time
    queue.observe(_item("a1_0", 1), rejected)
    assert queue.cost(1) == 2.0


def test_past_costs_come_from_earlier_results(tmp_path):
    from grader.batch import past_costs
    for name, number, seconds, status in (("a", 3, 20.0, Status.GRADED),
                                          ("b", 3, 10.0, Status.GRADED),
                                          ("c", 1, 99.0, Status.FAILED_GRADER)):
        result = SubmissionResult(file=f"{name}.ipynb", assignment=number, status=status)
        result.seconds = seconds
        report.write_result(result, tmp_path)
    (tmp_path / "results" / "broken.json").write_text("{")
    assert past_costs(tmp_path) == {3: [20.0, 10.0]} or \
        past_costs(tmp_path) == {3: [10.0, 20.0]}
