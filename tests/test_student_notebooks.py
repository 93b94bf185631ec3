"""The released student notebooks as a student runs them: "Run All" in a real kernel.

Blank notebooks and partly done ones (some tasks answered from the solution, the others as
handed out) must run to the last cell without an exception: demonstration cells skip
themselves with a one-line message until the tasks they use are done. Quick mode
(NNCOURSE_SMALL=1) and the synthetic FashionMNIST keep each run short.
"""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from grader.demo_cells import make_done, waiting_message
from grader.release import read_solution

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("Assignment_*.ipynb"))
SOLUTIONS = {int(p.name.split("_")[1]): p for p in (REPO / "solutions").glob("assignment_*.ipynb")}
GUARD = re.compile(r'^if done\((.*)\):$', re.M)
CHECK_CELL = re.compile(r'(?:#.*\n)*check\("(task_\d+_\d+)"\)')


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def number(path):
    return int(path.name.split("_")[1])


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A data folder with the synthetic FashionMNIST and CIFAR-10, as NNCOURSE_DATA."""
    folder = tmp_path_factory.mktemp("data")
    for script in ("fake_fashion_mnist.py", "fake_cifar10.py"):
        subprocess.run([sys.executable, str(REPO / "data" / script), str(folder)],
                       check=True, capture_output=True)
    return folder


def run_all(nb, folder, **env):
    """Execute every cell like "Run All" (going on after errors, to list them all); returns
    the seconds it took. The kernel starts in ``folder`` with quick-mode settings and no access
    to the repository."""
    from nbclient import NotebookClient
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MPLBACKEND")}
    environment.update(NNCOURSE_SMALL="1", **env)  # inline figures, as in JupyterLab
    started = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute(env=environment)
    return time.perf_counter() - started


def outputs(cell):
    return cell.get("outputs", []) if cell.cell_type == "code" else []


def errors(nb):
    return [(i, f"{o.ename}: {o.evalue}") for i, c in enumerate(nb.cells) for o in outputs(c)
            if o.output_type == "error"]


def printed(cell):
    return "".join(o.get("text", "") for o in outputs(cell) if o.output_type == "stream")


def guard_of(cell):
    match = GUARD.search(cell.source) if cell.cell_type == "code" else None
    return re.findall(r'"(task_\d+_\d+)"', match.group(1)) if match else None


def fill(nb, answered):
    """Replace the task cells in ``answered`` by the solution's (markers left in: they are
    comments)."""
    solution = read_solution(SOLUTIONS[nb.metadata.nncourse.assignment])
    answers = {t: c.source for c in solution.cells for t in tags(c) if t.startswith("task_")}
    for cell in nb.cells:
        for tag in tags(cell):
            if tag in answered:
                cell.source = answers[tag]
    return nb


def task_order(nb):
    return [t for c in nb.cells for t in tags(c) if t.startswith("task_")]


# ---------------------------------------------------------------- Run All on real notebooks

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_blank_notebook_runs_to_the_last_cell(path, data, tmp_path):
    nb = nbformat.read(path, as_version=4)
    seconds = run_all(nb, tmp_path, NNCOURSE_DATA=str(data))
    print(f"{path.name}, blank: {seconds:.1f} s")
    assert errors(nb) == []
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)      # nothing was left out
    guarded = [c for c in code if guard_of(c)]
    assert guarded, "no demonstration cell waits for a task"
    for cell in guarded:
        assert printed(cell) == waiting_message(guard_of(cell)) + "\n", cell.source[:200]
    checks = [c for c in code if CHECK_CELL.fullmatch(c.source)]
    assert len(checks) == len(task_order(nb))
    for cell in checks:
        assert re.match(r"(FAIL|NOT CHECKED) task_", printed(cell)), printed(cell)
        assert not any(o.output_type == "execute_result" for o in outputs(cell))  # no Out[]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_partly_done_notebook_runs_everything_that_can_run(path, data, tmp_path):
    nb = nbformat.read(path, as_version=4)
    answered = set(task_order(nb)[::2])            # the first, third, fifth ... task
    fill(nb, answered)
    seconds = run_all(nb, tmp_path, NNCOURSE_DATA=str(data))
    print(f"{path.name}, tasks {sorted(answered)} answered: {seconds:.1f} s")
    assert errors(nb) == []
    ran = skipped = 0
    for cell in nb.cells:
        needed = guard_of(cell)
        if not needed:
            continue
        waiting = [t for t in needed if t not in answered]
        if waiting:
            skipped += 1
            assert printed(cell) == waiting_message(waiting) + "\n"
        else:
            ran += 1
            assert outputs(cell) and "not done yet" not in printed(cell)
    assert ran and skipped, (ran, skipped)
    for cell in nb.cells:                        # the answered tasks pass their self-checks
        match = CHECK_CELL.fullmatch(cell.source)
        if match and match.group(1) in answered:
            assert re.match(r"(PASS|NOT CHECKED) task_", printed(cell)), printed(cell)


# ---------------------------------------------------------------- done() on its own

STUB = 'raise NotImplementedError("Task 7.2: implement f")'


def _namespace(source):
    namespace = {}
    exec(compile(source, "<cell>", "exec"), namespace)
    return namespace


@pytest.fixture
def main_namespace(monkeypatch):
    """done() reads __main__, as in a kernel; here __main__ is a fresh module."""
    import types
    module = types.ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", module)
    return module.__dict__


@pytest.mark.parametrize("source, ready", [
    ("a = None\nb = 2", False),                                           # an unanswered value
    ("a = 1", False),                                                     # b was never defined
    ("a = 1\nb = [None]", True),                                          # None inside is fine
    (f"def a():\n    {STUB}\nb = 2", False),                              # a stub function
    (f"class a:\n    def f(self):\n        return 1\n    def g(self):\n        {STUB}\nb = 2",
     False),                                                              # one stub method
    (f"class a:\n    @staticmethod\n    def f():\n        {STUB}\nb = 2", False),
    (f"class a:\n    @property\n    def f(self):\n        {STUB}\nb = 2", False),
    (f"def a():\n    def inner():\n        {STUB}\n    return inner\nb = 2", False),
    ("def a():\n    raise NotImplementedError('Task 7.20: other')\nb = 2", True),  # not ours
    ("def a():\n    raise NotImplementedError('not yet')\nb = 2", True),  # the student's own
    ("def a():\n    return 1\nclass b:\n    pass", True),
])
def test_done_tells_a_finished_task_from_one_as_handed_out(source, ready, main_namespace,
                                                           capsys):
    main_namespace.update(_namespace(source))
    done = make_done({"task_7_2": ["a", "b"], "task_7_3": []})
    assert done("task_7_2") is ready
    assert capsys.readouterr().out == ("" if ready else
                                       "Task 7.2 is not done yet: this cell will run once it is.\n")


def test_done_names_every_waiting_task_and_rejects_unknown_ones(main_namespace, capsys):
    main_namespace.update(x=None, y=None, z=1)
    done = make_done({"task_7_1": ["x"], "task_7_2": ["y"], "task_7_3": ["z"],
                      "task_7_10": ["x"]})
    assert done("task_7_1", "task_7_3", "task_7_2", "task_7_10") is False
    assert capsys.readouterr().out == ("Task 7.1, Task 7.2 and Task 7.10 are not done yet: "
                                       "this cell will run once they are.\n")
    assert done("task_7_3") is True
    with pytest.raises(ValueError, match="task_7_9"):
        done("task_7_9")


def test_repository_done_reads_the_solution_notebook(main_namespace, capsys):
    from grader.demo_cells import done
    nb = read_solution(SOLUTIONS[1])
    source = next(c.source for c in nb.cells if "task_1_1" in tags(c))
    main_namespace.update(_namespace("import numpy as np\n" + source))
    assert done("task_1_1") is True
    assert done("task_1_6") is False
    assert "Task 1.6 is not done yet" in capsys.readouterr().out


# ---------------------------------------------------------------- Assignment 3's data

def _data_cells(nb):
    imports = next(c.source for c in nb.cells if "imports" in tags(c))
    loader = next(c.source for c in nb.cells if "datasets.FashionMNIST(" in c.source)
    return imports, loader


def test_fashion_mnist_offline_names_the_folder_then_works_from_a_local_copy(tmp_path):
    """Offline (every download refused at once through a dead proxy), the data cell stops with
    one message naming the folder; with the files put there it runs without a network."""
    path = next(p for p in NOTEBOOKS if number(p) == 3)
    imports, loader = _data_cells(nbformat.read(path, as_version=4))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(imports),
                                         nbformat.v4.new_code_cell(loader)])
    data = tmp_path / "offline-data"
    dead = "http://127.0.0.1:9"
    offline = {"NNCOURSE_DATA": str(data), "http_proxy": dead, "https_proxy": dead,
               "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "no_proxy": "", "NO_PROXY": ""}
    run_all(nb, tmp_path, **offline)
    raw = (data / "FashionMNIST" / "raw").resolve()
    (index, error), = errors(nb)
    assert index == 1 and error.startswith("RuntimeError: FashionMNIST could not be downloaded")
    assert f"into the folder {raw} and run this cell again" in error
    traceback = "".join(nb.cells[1].outputs[-1].traceback)
    assert "During handling" not in traceback and "direct cause" not in traceback  # no chain

    subprocess.run([sys.executable, str(REPO / "data" / "fake_fashion_mnist.py"), str(data)],
                   check=True, capture_output=True)
    run_all(nb, tmp_path, **offline)
    assert errors(nb) == []
    assert f"FashionMNIST from {data.resolve()}" in printed(nb.cells[1])


def test_fashion_mnist_goes_to_google_drive_when_it_is_mounted(tmp_path):
    """On Colab with Drive mounted (simulated by a folder standing in for /content/drive/MyDrive)
    the data is kept in MyDrive/nncourse-data, unless NNCOURSE_DATA says otherwise."""
    path = next(p for p in NOTEBOOKS if number(p) == 3)
    imports, loader = _data_cells(nbformat.read(path, as_version=4))
    drive = tmp_path / "MyDrive"
    subprocess.run([sys.executable, str(REPO / "data" / "fake_fashion_mnist.py"),
                    str(drive / "nncourse-data")], check=True, capture_output=True)
    assert 'Path("/content/drive/MyDrive")' in loader
    loader = loader.replace('Path("/content/drive/MyDrive")', f'Path({str(drive)!r})')
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(imports),
                                         nbformat.v4.new_code_cell(loader)])
    environment = {k: v for k, v in os.environ.items() if k != "NNCOURSE_DATA"}
    from nbclient import NotebookClient
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute(
        env=dict(environment, NNCOURSE_SMALL="1"))
    assert f"FashionMNIST from {(drive / 'nncourse-data').resolve()}" in printed(nb.cells[1])
    assert not (tmp_path / "data").exists()


# ---------------------------------------------------------------- feedback on a blank file

def _task(title, *messages, points=0.0, status="failed"):
    return {"title": title, "points": points, "max": 4.0, "status": "ok", "messages": [],
            "checks": [{"label": "a check", "status": status, "points": points, "max": 4.0,
                        "public": True, "messages": list(messages)}]}


BLANK_TASKS = {
    "task_2_1": _task("By hand", "`s3` is None, expected a number"),
    "task_2_2": _task("Layers", "`Linear.forward`: your code raised NotImplementedError in line "
                                "3 of your cell: Task 2.2: implement Linear.forward",
                      status="error"),
    "task_2_9": _task("True or false?", "`tf_zero_init`: not answered (0 points)"),
    "task_2_4": _task("Settings", "`a`, `b` and `c` must all be set (they are None)"),
}


def test_feedback_on_a_blank_submission_says_nothing_was_answered(tmp_path):
    from grader import report
    result = {"status": "graded", "tasks": BLANK_TASKS, "flags": []}
    (kind, text), = report.origins(result)
    assert kind == "blank" and "Every task is still as it was handed out" in text
    assert report.ORIGIN_TITLES[kind] == "Nothing was answered."
    assert "Problems in your code" not in report.ORIGIN_TITLES[kind] + text


def test_feedback_separates_unanswered_tasks_from_wrong_ones():
    from grader import report
    tasks = dict(BLANK_TASKS, task_2_1=_task("By hand", "`s3` is 0.8, expected 0.9"),
                 task_2_9=_task("True or false?", "`tf_zero_init`: wrong (-2 points)"))
    found = dict(report.origins({"status": "graded", "tasks": tasks, "flags": []}))
    assert found["code"] == ("Points were lost because of your code or its results in: "
                             "By hand; True or false? The details are below.")
    assert found["unanswered"] == "Still as handed out, so not marked: Layers; Settings."
    # a stub of another task's number, met through a call, is not this task's stub
    other = {"task_2_3": _task("Net", "`Net`: your code raised NotImplementedError in line 2 "
                                      "of your cell: Task 2.2: implement Linear.forward")}
    assert dict(report.origins({"status": "graded", "tasks": other}))["code"]
