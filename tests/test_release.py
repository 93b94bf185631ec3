"""Tests for ``python -m grader release`` (grader/release.py).

Most tests use a tiny made-up assignment 9 (spec and solution notebook built here), so they do
not depend on the real assignments; the real solutions/ and notebooks/ are only read.
"""
import argparse
import base64
import io
import json
import re
import shutil
import subprocess
import sys
import zlib

import nbformat
import numpy as np
import pytest

import grader.specs
from grader import release, wire
from grader.checks import Assignment, Task, boolean, call, probe, value

# ---------------------------------------------------------------- the fixture assignment

HIDDEN_LABEL = "relu keeps zero exactly (secret hidden check)"
HIDDEN_SUBJECT = "`relu` (hidden-probe-7f3a)"   # how its messages name it: never shipped


def _relu(x):
    return np.maximum(x, 0.0)


SPEC = Assignment(number=9, slug="demo", topic="Demo", title="A demo assignment", tasks=[
    Task("task_9_1", "relu", [
        call("relu", (np.array([-1.0, 2.0]),), ref=_relu, public=True),
        probe(HIDDEN_LABEL, "common.call", subject=HIDDEN_SUBJECT,
              inputs={"func": "relu", "args": [np.array([0.0, -3.0, 4.0])], "kwargs": {}},
              ref=lambda func, args, kwargs: {"value": _relu(*args)}, points=2),
    ]),
    Task("task_9_2", "answers", [
        value("W", np.array([[1.0, 2.0]]), public=True),
        boolean("is_linear", False),
    ]),
    Task("task_9_3", "Layer", [
        probe("`Layer().forward` doubles", "common.method",
              inputs={"cls": "Layer", "init": [], "name": "forward", "args": [np.arange(3.0)]},
              ref=lambda cls, init, name, args: {"value": 2 * args[0]}, public=True),
    ]),
    Task("task_9_4", "a loop", [value("total", 6, public=True)]),
])

RELU_SOLUTION = '''def relu(x):
    """Elementwise max(x, 0)."""
    ### BEGIN SOLUTION
    return np.maximum(x, 0.0)
    ### END SOLUTION'''

ANSWERS_SOLUTION = '''### BEGIN SOLUTION
W = np.array([[1.0, 2.0]])
a, (b, *rest) = 1, (2, 3, 4)
is_linear: bool = False
### END SOLUTION
print(W)'''

LAYER_SOLUTION = '''class Layer:
    def forward(self, x):
        ### BEGIN SOLUTION
        return 2 * x
        ### END SOLUTION
### BEGIN HIDDEN
assert Layer().forward(1) == 2, "SECRET_HIDDEN_ASSERT"
### END HIDDEN'''

LOOP_SOLUTION = '''### BEGIN SOLUTION
total = 0
for i in range(4):
    total += i
### END SOLUTION'''


def _code(cell_id, source, *tags, outputs=()):
    cell = nbformat.v4.new_code_cell(source, id=cell_id, execution_count=3 if outputs else None,
                                     outputs=list(outputs))
    if tags:
        cell.metadata.tags = list(tags)
    return cell


def _markdown(cell_id, source, *tags):
    cell = nbformat.v4.new_markdown_cell(source, id=cell_id)
    if tags:
        cell.metadata.tags = list(tags)
    return cell


SELFCHECK_SOURCE = "from grader.selfcheck import check\nfrom grader.demo_cells import done"


def solution_notebook():
    printed = nbformat.v4.new_output("stream", name="stdout", text="task_9_1: all passed\n")
    nb = nbformat.v4.new_notebook(cells=[
        _markdown("header", "# Assignment 9: a demo"),
        _code("imports", "import numpy as np", "imports"),
        _code("selfcheck", SELFCHECK_SOURCE, "selfcheck"),
        _markdown("intro", "Intro text.\n<!-- BEGIN HIDDEN -->\nSECRET_TEACHING_NOTE\n"
                           "<!-- END HIDDEN -->\nMore text."),
        _code("relu", RELU_SOLUTION, "task_9_1"),
        _code("check1", 'check("task_9_1")', outputs=[printed]),
        _code("answers", ANSWERS_SOLUTION, "task_9_2"),
        _code("layer", LAYER_SOLUTION, "task_9_3"),
        _code("loop", LOOP_SOLUTION, "task_9_4"),
        _code("notes", "SECRET_INSTRUCTOR_CELL = 1", "instructor"),
        _markdown("explain", "Explain your result here.", "answer"),
        _code("show", 'if done("task_9_1"):\n    shown = relu(np.array([-1.0, 1.0]))'),
        _code("again", 'if done("task_9_1"):\n    print(shown)  # defined by a guarded cell'),
        _code("own", "def double(relu):\n    return 2 * relu  # an argument, not task 9.1's relu"),
    ])
    nb.metadata.nncourse = {"assignment": 9, "topic": "Demo", "title": "A demo assignment"}
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(autouse=True)
def demo_spec(monkeypatch):
    real = grader.specs.load_spec

    def load_spec(number):
        return SPEC if number == 9 else real(number)
    monkeypatch.setattr(grader.specs, "load_spec", load_spec)


@pytest.fixture
def dirs(tmp_path):
    solutions, notebooks = tmp_path / "solutions", tmp_path / "notebooks"
    solutions.mkdir()
    nbformat.write(solution_notebook(), solutions / "assignment_9_demo.ipynb")
    return solutions, notebooks


def student(nb=None):
    return release.student_version(nb or solution_notebook(), name="assignment_9_demo.ipynb")


def cell(nb, cell_id):
    return next(c for c in nb.cells if c.id == cell_id)


def packed_payload(nb):
    """Decode the data packed into the student's selfcheck cell."""
    source = cell(nb, "selfcheck").source
    packed = source.split('"""')[1]
    return json.loads(zlib.decompress(base64.b64decode(packed)))


# ---------------------------------------------------------------- stub rules

def test_function_body_region_becomes_raise_naming_the_function():
    assert cell(student(), "relu").source == (
        'def relu(x):\n    """Elementwise max(x, 0)."""\n'
        '    raise NotImplementedError("Task 9.1: implement relu")')


def test_method_region_hint_names_class_and_method_and_hidden_part_goes():
    assert cell(student(), "layer").source == (
        'class Layer:\n    def forward(self, x):\n'
        '        raise NotImplementedError("Task 9.3: implement Layer.forward")')


def test_assignment_region_becomes_one_none_per_name_including_tuple_targets():
    assert cell(student(), "answers").source == (
        "# YOUR ANSWER HERE\nW = None\na = None\nb = None\nrest = None\nis_linear = None\n"
        "print(W)")


def test_other_top_level_region_raises():
    assert cell(student(), "loop").source == (
        'raise NotImplementedError("Task 9.4: write your code here")')


def test_region_in_top_level_block_without_def_gets_generic_hint():
    nb = solution_notebook()
    cell(nb, "loop").source = ("total = 0\nfor i in range(4):\n    ### BEGIN SOLUTION\n"
                               "    total += i\n    ### END SOLUTION")
    assert cell(student(nb), "loop").source == (
        'total = 0\nfor i in range(4):\n'
        '    raise NotImplementedError("Task 9.4: write your code here")')


def test_student_cells_are_valid_python():
    for c in student().cells:
        if c.cell_type == "code":
            compile(c.source, c.id, "exec")


# ---------------------------------------------------------------- what is removed and kept

def test_instructor_cells_and_hidden_regions_are_removed():
    nb = student()
    text = nbformat.writes(nb)
    for secret in ("SECRET_INSTRUCTOR_CELL", "SECRET_HIDDEN_ASSERT", "SECRET_TEACHING_NOTE",
                   "BEGIN", "END HIDDEN", "np.maximum", "2 * x"):
        assert secret not in text
    assert "notes" not in [c.id for c in nb.cells]
    assert cell(nb, "intro").source == "Intro text.\nMore text."


def test_ids_and_order_are_preserved_without_instructor_cells():
    solution_ids = [c.id for c in solution_notebook().cells if c.id != "notes"]
    assert [c.id for c in student().cells] == solution_ids


def test_outputs_cleared_and_cells_locked_except_task_and_answer_cells():
    nb = student()
    for c in nb.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
        tags = c.metadata.get("tags", [])
        if any(t.startswith("task_") for t in tags):
            assert (c.metadata.editable, c.metadata.deletable) == (True, False), c.id
        elif "answer" in tags:
            assert "editable" not in c.metadata and "deletable" not in c.metadata
        else:
            assert (c.metadata.editable, c.metadata.deletable) == (False, False), c.id
    assert cell(nb, "relu").metadata.tags == ["task_9_1"]


def test_notebook_metadata_is_kept_and_records_its_source():
    nb = student()
    assert nb.metadata.nncourse == {"assignment": 9, "topic": "Demo", "title": "A demo assignment",
                                    "generated_from": "solutions/assignment_9_demo.ipynb"}
    assert nb.metadata.kernelspec.name == "python3"
    assert release.output_name(nb) == "Assignment_9_Demo.ipynb"


def test_solution_notebook_is_not_modified():
    nb = solution_notebook()
    before = nbformat.writes(nb)
    student(nb)
    assert nbformat.writes(nb) == before


def test_cells_without_ids_get_stable_ones(tmp_path):
    nb = solution_notebook()
    nb.nbformat_minor = 4
    for c in nb.cells:
        del c["id"]
    first, second = student(nb), student(nb)
    assert [c.id for c in first.cells] == [c.id for c in second.cells]
    assert len({c.id for c in first.cells}) == len(first.cells)
    nbformat.validate(first)


# ---------------------------------------------------------------- files, determinism, --check

def test_release_twice_gives_byte_identical_files(dirs, tmp_path):
    solutions, notebooks = dirs
    assert release.release_all(solutions, notebooks) == []
    first = (notebooks / "Assignment_9_Demo.ipynb").read_bytes()
    other = tmp_path / "again"
    assert release.release_all(solutions, other) == []
    assert (other / "Assignment_9_Demo.ipynb").read_bytes() == first
    written = []
    assert release.release_all(solutions, notebooks, log=written.append) == []
    assert written == []  # nothing changed, nothing rewritten
    assert nbformat.reads(first.decode(), as_version=4).cells[0].id == "header"


def _cli(*argv):
    parser = argparse.ArgumentParser()
    release.add_arguments(parser)
    return release.run(parser.parse_args(list(argv)))


def test_check_passes_in_sync_and_fails_naming_the_stale_file(dirs, capsys):
    solutions, notebooks = dirs
    assert _cli("--solutions", str(solutions), "--notebooks", str(notebooks)) == 0
    args = ("--check", "--solutions", str(solutions), "--notebooks", str(notebooks))
    assert _cli(*args) == 0
    path = solutions / "assignment_9_demo.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell(nb, "intro").source += "\nA new sentence."
    nbformat.write(nb, path)
    before = (notebooks / "Assignment_9_Demo.ipynb").read_bytes()
    capsys.readouterr()
    assert _cli(*args) == 1
    err = capsys.readouterr().err
    assert "Assignment_9_Demo.ipynb: out of date" in err
    assert (notebooks / "Assignment_9_Demo.ipynb").read_bytes() == before  # --check wrote nothing


def test_check_names_missing_and_extra_files_and_release_removes_extras(dirs):
    solutions, notebooks = dirs
    notebooks.mkdir()
    nbformat.write(nbformat.v4.new_notebook(), notebooks / "Assignment_0_Old.ipynb")
    problems = release.release_all(solutions, notebooks, check=True)
    assert len(problems) == 2
    assert "Assignment_9_Demo.ipynb: missing" in problems[0]
    assert "Assignment_0_Old.ipynb: extra" in problems[1]
    assert release.release_all(solutions, notebooks) == []
    assert sorted(p.name for p in notebooks.iterdir()) == ["Assignment_9_Demo.ipynb"]


def test_missing_solutions_folder_is_an_error_not_an_empty_release(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "Assignment_1_X.ipynb").write_text("{}")
    problems = release.release_all(tmp_path / "nope", notebooks)
    assert problems == [f"{tmp_path / 'nope'}: no such folder"]
    assert (notebooks / "Assignment_1_X.ipynb").exists()


def _copy_solutions(target):
    shutil.copytree(release.REPO / "solutions", target)


def test_check_passes_on_the_committed_notebooks(tmp_path):
    _copy_solutions(tmp_path / "solutions")
    problems = release.release_all(tmp_path / "solutions", release.REPO / "notebooks",
                                   check=True)
    assert problems == []


def _repack(path, nudge):
    """Rewrite a released notebook's payload as another machine might: other zlib settings, and
    every packed float array scaled by (1 + nudge)."""
    nb = nbformat.read(path, as_version=4)
    data = packed_payload(nb)

    def scale(node):
        if isinstance(node, dict) and "__npy__" in node:
            array = wire._load_npy(node["__npy__"])
            if array.dtype.kind == "f":
                buffer = io.BytesIO()
                np.save(buffer, array * (1 + nudge), allow_pickle=False)
                node["__npy__"] = base64.b64encode(buffer.getvalue()).decode()
        elif isinstance(node, (dict, list)):
            for child in node.values() if isinstance(node, dict) else node:
                scale(child)
    scale(data["bundle"])
    old = cell(nb, "selfcheck").source.split('"""')[1]
    new = base64.b64encode(zlib.compress(json.dumps(data).encode(), 1)).decode()
    cell(nb, "selfcheck").source = cell(nb, "selfcheck").source.replace(old, "\n" + new + "\n")
    path.write_text(nbformat.writes(nb) + "\n")
    return path.read_bytes()


def test_round_off_in_packed_data_is_not_a_change_but_real_differences_are(dirs):
    solutions, notebooks = dirs
    assert release.release_all(solutions, notebooks) == []
    path = notebooks / "Assignment_9_Demo.ipynb"
    fresh = path.read_bytes()
    drifted = _repack(path, 1e-13)
    assert drifted != fresh
    assert release.release_all(solutions, notebooks, check=True) == []
    assert release.release_all(solutions, notebooks) == []
    assert path.read_bytes() == drifted  # left alone, no churn between machines
    _repack(path, 1e-5)
    assert release.release_all(solutions, notebooks, check=True) == [f"{path}: out of date"]
    assert release.release_all(solutions, notebooks) == []
    assert path.read_bytes() == fresh


REAL_SOLUTIONS = sorted((release.REPO / "solutions").glob("assignment_*.ipynb"))


@pytest.mark.parametrize("solution", REAL_SOLUTIONS, ids=lambda p: p.name)
def test_check_fails_after_a_real_solution_changes(solution, tmp_path):
    solutions, notebooks = tmp_path / "solutions", tmp_path / "notebooks"
    _copy_solutions(solutions)
    shutil.copytree(release.REPO / "notebooks", notebooks)
    assert release.release_all(solutions, notebooks, check=True) == []
    nb = nbformat.read(solutions / solution.name, as_version=4)
    nb.cells[0].source += "\n\nOne more sentence."
    nbformat.write(nb, solutions / solution.name)
    problems = release.release_all(solutions, notebooks, check=True)
    assert len(problems) == 1 and "out of date" in problems[0]
    assert release.output_name(release.student_version(nb, name=solution.name)) in problems[0]


# ---------------------------------------------------------------- the embedded self-check

RUNNER = '''
import json, sys
sys.modules["grader"] = None  # block it even if it is pip-installed (editable) in this Python
cells = json.load(open("cells.json"))
exec(cells["imports"])
_before = set(globals())
exec(cells["selfcheck"])
print("NEW NAMES", sorted(set(globals()) - _before - {"_before"}))
for _source in cells["tasks"]:
    try:
        exec(_source)
    except NotImplementedError as error:
        print("CELL RAISED", error)
for _tag in cells["tags"]:
    print("RETURNED", repr(check(_tag)))
'''


def run_outside_repo(tmp_path, nb, task_sources, tags):
    """Run the imports and selfcheck cells of ``nb``, then task cells, then ``check(tag)`` for
    each tag, in a fresh Python that cannot see the repository."""
    cells = {"imports": cell_tagged(nb, "imports").source,
             "selfcheck": cell_tagged(nb, "selfcheck").source,
             "tasks": list(task_sources), "tags": list(tags)}
    (tmp_path / "cells.json").write_text(json.dumps(cells))
    (tmp_path / "runner.py").write_text(RUNNER)
    # -I: ignore PYTHONPATH and user site-packages, and do not put the script's folder on sys.path
    done = subprocess.run([sys.executable, "-I", "runner.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env={"PATH": "/usr/bin:/bin",
                                                       "HOME": str(tmp_path), "NNCOURSE_SMALL": "1",
                                                       "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def cell_tagged(nb, tag):
    return next(c for c in nb.cells if tag in c.metadata.get("tags", []))


def test_selfcheck_passes_solution_code_without_the_repository(tmp_path):
    out = run_outside_repo(tmp_path, student(), [RELU_SOLUTION], ["task_9_1"])
    assert "NEW NAMES ['check', 'done']" in out
    assert "PASS task_9_1 (relu): 1 of 1 public check(s) passed, 1/1 points" in out
    assert "[PASS] `relu(np.array([-1.0, 2.0]))`" in out
    assert "  (1 more check(s) are run when your submission is graded)" in out
    assert "RETURNED None" in out  # the verdict is printed; no Out[] below it


def test_selfcheck_fails_wrong_code_without_the_repository(tmp_path):
    wrong = RELU_SOLUTION.replace("np.maximum(x, 0.0)", "np.abs(x)")
    out = run_outside_repo(tmp_path, student(), [wrong], ["task_9_1"])
    assert "[FAIL] `relu(np.array([-1.0, 2.0]))`" in out
    assert "FAIL task_9_1 (relu): 0 of 1 public check(s) passed" in out


def test_selfcheck_fails_the_released_stub(tmp_path):
    nb = student()
    out = run_outside_repo(tmp_path, nb, [cell(nb, "answers").source], ["task_9_2"])
    assert "[FAIL] `W`" in out and "FAIL task_9_2 (answers)" in out


def test_selfcheck_reports_a_stub_that_raises(tmp_path):
    nb = student()
    out = run_outside_repo(tmp_path, nb, [cell(nb, "loop").source], ["task_9_4"])
    assert "CELL RAISED Task 9.4: write your code here" in out
    assert "FAIL task_9_4 (a loop)" in out


@pytest.mark.parametrize("solution", REAL_SOLUTIONS, ids=lambda p: p.name)
def test_committed_notebook_selfcheck_passes_the_real_solution(solution, tmp_path):
    """The packed checks of each committed notebook accept its solution's task cells."""
    nb = nbformat.read(solution, as_version=4)
    committed = release.REPO / "notebooks" / release.output_name(
        release.student_version(nb, name=solution.name))
    tasks = [(t, c.source) for c in nb.cells for t in c.metadata.get("tags", [])
             if t.startswith("task_")]
    out = run_outside_repo(tmp_path, nbformat.read(committed, as_version=4),
                           [source for _, source in tasks], [tag for tag, _ in tasks])
    assert "NEW NAMES ['check', 'done']" in out
    for tag, _ in tasks:
        assert re.search(rf"^(PASS|NOT CHECKED) {tag} ", out, re.M), out
    assert "FAIL" not in out


def test_hidden_checks_are_not_shipped():
    nb = student()
    text = nbformat.writes(nb)
    payload = json.dumps(packed_payload(nb))
    for secret in (HIDDEN_LABEL, "hidden-probe-7f3a", "`is_linear`"):
        assert secret not in text and secret not in payload
    assert "`Layer().forward` doubles" in payload  # the public ones are there
    assert set(packed_payload(nb)["sources"]) == {*release.EMBEDDED, "probes.common"}


def test_selfcheck_cell_explains_itself_and_wraps_its_payload():
    source = cell(student(), "selfcheck").source
    header = [line for line in source.splitlines() if line.startswith("#")]
    assert any("do not edit" in line for line in header)
    assert any("Hidden checks are not included" in line for line in header)
    assert any("grader/selfcheck.py" in line for line in header)
    assert max(len(line) for line in source.splitlines()) <= 100


# ---------------------------------------------------------------- malformed solutions

def _set(cell_id, source=None, tags=None):
    def change(nb):
        c = cell(nb, cell_id)
        if source is not None:
            c.source = source
        if tags is not None:
            c.metadata.tags = tags
    return change


def _drop(cell_id):
    def change(nb):
        nb.cells = [c for c in nb.cells if c.id != cell_id]
    return change


def _metadata(**changes):
    def change(nb):
        nb.metadata.nncourse.update(changes)
    return change


MALFORMED = {
    "missing END": (_set("relu", RELU_SOLUTION.replace("    ### END SOLUTION", "")),
                    "cell 4, line 3: BEGIN SOLUTION has no END SOLUTION"),
    "END without BEGIN": (_set("loop", "total = 6\n### END SOLUTION"),
                          "cell 8, line 2: END SOLUTION without a matching BEGIN SOLUTION"),
    "nested": (_set("loop", "### BEGIN SOLUTION\n### BEGIN HIDDEN\nx = 1\n### END HIDDEN\n"
                            "### END SOLUTION"),
               "cell 8, line 2: BEGIN HIDDEN inside the SOLUTION region opened on line 1"),
    "misspelt marker": (_set("loop", "## BEGIN SOLUTION\ntotal = 6\n### END SOLUTION"),
                        "cell 8, line 1: malformed marker '## BEGIN SOLUTION'"),
    "END indented differently": (
        _set("relu", RELU_SOLUTION.replace("    ### END", "### END")),
        "cell 4, line 5: END SOLUTION is indented differently from its BEGIN on line 3"),
    "code left of its marker": (
        _set("relu", "def relu(x):\n    ### BEGIN SOLUTION\n  return x\n    ### END SOLUTION"),
        "cell 4, line 3: line is indented less than its BEGIN SOLUTION marker"),
    "incomplete statement": (_set("loop", "### BEGIN SOLUTION\nfor i in range(3):\n"
                                          "### END SOLUTION\n    total = i"),
                             "cell 8, line 1: the solution region is not complete Python"),
    "task cell without markers": (_set("loop", "total = 6"),
                                  "cell 8: task cell 'task_9_4' has no ### BEGIN SOLUTION"),
    "markers outside a task cell": (
        _set("check1", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"),
        "cell 5, line 1: solution markers outside a task cell"),
    "markers in markdown": (_set("intro", "### BEGIN SOLUTION\nx\n### END SOLUTION"),
                            "cell 3, line 1: solution markers outside a task cell"),
    "tag used twice": (_set("loop", tags=["task_9_1"]),
                       "cell 8: task tag 'task_9_1' already used by cell 4"),
    "two tags on a cell": (_set("relu", tags=["task_9_1", "task_9_4"]),
                           "cell 4: more than one task tag (task_9_1, task_9_4)"),
    "tag of another assignment": (_set("loop", tags=["task_8_4"]),
                                  "cell 8: task tag 'task_8_4' is not for assignment 9"),
    "malformed tag": (_set("loop", tags=["task9_4"]), "cell 8: malformed task tag 'task9_4'"),
    "tag not in the spec": (_set("check1", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION",
                                 tags=["task_9_7"]),
                            "cell 5: task tag 'task_9_7' is not a task in the spec"),
    "spec task without a cell": (_set("loop", tags=[]),
                                 "spec task 'task_9_4' has no cell tagged with it"),
    "imports not first": (_set("imports", tags=[]), "need exactly one code cell tagged 'imports'"),
    "imports after other code": (_set("check1", tags=["imports"]),
                                 "need exactly one code cell tagged 'imports', found 2"),
    "no selfcheck": (_drop("selfcheck"), "need exactly one code cell tagged 'selfcheck', found 0"),
    "selfcheck with other code": (_set("selfcheck", "from grader.selfcheck import check\nx = 1"),
                                  "cell 2: the selfcheck cell must contain only"),
    "instructor task cell": (_set("loop", tags=["task_9_4", "instructor"]),
                             "cell 8: tagged 'instructor' and 'task_9_4'"),
    "result used without waiting": (
        _set("show", "shown = relu(np.array([1.0]))"),
        'cell 11: this cell uses what task_9_1 defines, so it must be a single '
        '`if done("task_9_1"):` block that waits for it'),
    "result used through a guarded cell": (
        _set("again", "print(shown)"), 'cell 12: this cell uses what task_9_1 defines'),
    "guard with an else": (
        _set("again", 'if done("task_9_1"):\n    print(shown)\nelse:\n    print(0)'),
        "cell 12: this cell uses what task_9_1 defines"),
    "guard missing a task": (
        _set("show", 'if done("task_9_2"):\n    shown = relu(W)'),
        "cell 11: `if done(...)` must also name task_9_1: this cell uses what it defines"),
    "guard naming an unknown task": (
        _set("show", 'if done("task_9_1", "task_9_7"):\n    shown = relu(1)'),
        "cell 11: `if done(...)` names task_9_7, which no earlier cell is tagged with"),
    "guard naming a later task": (
        _set("check1", 'if done("task_9_4"):\n    check("task_9_1")'),
        "cell 5: `if done(...)` names task_9_4, which no earlier cell is tagged with"),
    "guard missing a task that an earlier guard added": (
        _set("show", 'if done("task_9_1", "task_9_3"):\n    shown = relu(1)'),
        "cell 12: `if done(...)` must also name task_9_3"),
    "no metadata": (lambda nb: nb.metadata.pop("nncourse"),
                    'notebook metadata has no "nncourse" dict'),
    "bad topic": (_metadata(topic="X O R"), "metadata nncourse.topic must be"),
    "number in file name": (_metadata(assignment=8),
                            "file name says assignment 9 but metadata says 8"),
    "topic differs from spec": (_metadata(topic="Other"), "spec says assignment 9, slug 'demo'"),
    "no spec": (_metadata(assignment=987654), "no spec for assignment 987654"),
}


@pytest.mark.parametrize("change, message", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_solution_gives_one_line_errors_naming_file_and_problem(dirs, change, message):
    solutions, notebooks = dirs
    path = solutions / "assignment_9_demo.ipynb"
    if message.startswith("no spec"):
        path = path.rename(solutions / "assignment_987654_demo.ipynb")
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)
    for check in (True, False):
        problems = release.release_all(solutions, notebooks, check=check)
        assert problems, "no problem reported"
        assert all("\n" not in p and p.startswith(f"{path}: ") for p in problems), problems
        assert any(message in p for p in problems), problems
    assert not notebooks.exists()  # nothing was written for a broken solution


def test_unreadable_notebook_and_bad_file_name_are_reported(dirs):
    solutions, notebooks = dirs
    (solutions / "assignment_9_demo.ipynb").write_text("{not json")
    (solutions / "assignment_x.ipynb").write_text("{}")
    problems = release.release_all(solutions, notebooks)
    assert len(problems) == 2
    assert problems[0].endswith("assignment_9_demo.ipynb: not a readable notebook "
                                "(Notebook does not appear to be JSON: '{not json')")
    assert problems[1].endswith("assignment_x.ipynb: file name is not "
                                "assignment_<N>_<slug>.ipynb")


def test_good_notebooks_are_written_even_when_another_is_broken(dirs):
    solutions, notebooks = dirs
    (solutions / "assignment_7_broken.ipynb").write_text("{}")
    problems = release.release_all(solutions, notebooks)
    assert len(problems) == 1 and "assignment_7_broken.ipynb" in problems[0]
    assert (notebooks / "Assignment_9_Demo.ipynb").exists()


# ---------------------------------------------------------------- what the student sees

def test_locked_code_cells_start_with_a_mark_and_answer_cells_are_quoted():
    from grader.release.cells import LOCKED_MARK
    nb = student()
    for c in nb.cells:
        locked_code = c.cell_type == "code" and c.metadata.editable is False
        if locked_code and "selfcheck" not in c.metadata.get("tags", []):
            assert c.source.startswith(LOCKED_MARK + "\n"), c.id
        else:
            assert LOCKED_MARK not in c.source, c.id
    assert cell(nb, "check1").source == LOCKED_MARK + '\ncheck("task_9_1")'
    assert cell(nb, "explain").source == "> **Your answer:**\n>\n> Explain your result here."
    assert cell(nb, "intro").source == "Intro text.\nMore text."  # markdown is not marked


def test_selfcheck_cell_is_collapsed_in_jupyterlab_and_colab():
    selfcheck = cell(student(), "selfcheck")
    assert selfcheck.metadata.jupyter == {"source_hidden": True}
    assert selfcheck.metadata.cellView == "form"
    assert selfcheck.source.startswith("# @title ")


def test_notebook_metadata_is_what_jupyterlab_writes_for_ipykernel():
    nb = student()
    assert nb.metadata.kernelspec == {"display_name": "Python 3 (ipykernel)",
                                      "language": "python", "name": "python3"}
    info = nb.metadata.language_info
    assert (info.name, info.mimetype, info.pygments_lexer) == ("python", "text/x-python",
                                                               "ipython3")
    assert re.fullmatch(r"3\.\d+\.\d+", info.version)
    binder = (release.REPO / "environment.yml").read_text()
    assert f"- python={info.version} " in binder  # Binder runs the version release writes


def test_demo_guards_are_checked_and_task_names_are_packed():
    nb = student()
    assert packed_payload(nb)["tasks"] == {
        "task_9_1": ["relu"], "task_9_2": ["W", "a", "b", "is_linear", "rest"],
        "task_9_3": ["Layer"], "task_9_4": ["i", "total"]}  # 9.4's stub only raises
    assert cell(nb, "own").source.endswith("def double(relu):\n    return 2 * relu  "
                                           "# an argument, not task 9.1's relu")


def test_check_says_when_a_task_has_no_public_checks():
    from grader.selfcheck import format_results
    text = format_results({"tag": "task_9_5", "title": "Training", "hidden": 3}, [])
    assert text.startswith("NOT CHECKED task_9_5 (Training): this task has no public checks")
    assert "graded after you submit (3 hidden check(s))" in text and "PASS" not in text


def test_compact_sources_drop_comments_and_docstrings_but_keep_strings():
    from grader.release.selfcheck_cell import compact
    source = ('"""Module doc."""\nimport os  # why\n# alone\n\n\ndef f():\n    """Doc."""\n'
              '    return "# not a comment\\n"\n\n\nTEXT = """\n# kept\n\nline\n"""\n'
              'def g():\n    """Only a docstring."""\n')
    out = compact(source)
    assert out == ('import os\n\n\ndef f():\n    return "# not a comment\\n"\n\n\n'
                   'TEXT = """\n# kept\n\nline\n"""\ndef g():\n    """Only a docstring."""\n')
    namespace = {}
    exec(out, namespace)
    assert namespace["TEXT"] == "\n# kept\n\nline\n" and namespace["g"]() is None
    for name in release.EMBEDDED:
        compile(compact(release.selfcheck_cell.grader_source(name)), name, "exec")


# ---------------------------------------------------------------- the README's links

def test_readme_links_are_current_and_follow_the_one_repository_line(tmp_path):
    from grader.release import readme
    names = sorted(p.name for p in (release.REPO / "notebooks").glob("Assignment_*.ipynb"))
    assert readme.sync(release.REPO / "README.md", names, check=True) == []
    copy = tmp_path / "README.md"
    text = (release.REPO / "README.md").read_text(encoding="utf-8")
    assert text.count("Course repository: `OWNER/REPO`") == 1
    copy.write_text(text.replace("Course repository: `OWNER/REPO` (branch `main`)",
                                 "Course repository: `uni-x/nn-course` (branch `ws24`)"))
    assert readme.sync(copy, names, check=True) == ["README.md: the notebook links are out of date"]
    assert readme.sync(copy, names) == []
    block = copy.read_text().split(readme.BEGIN)[1].split(readme.END)[0]
    assert "OWNER/REPO" not in block
    for name in names:
        assert (f"(https://colab.research.google.com/github/uni-x/nn-course/blob/ws24/notebooks/"
                f"{name})") in block
        assert (f"(https://mybinder.org/v2/gh/uni-x/nn-course/ws24?urlpath=lab/tree/notebooks/"
                f"{name})") in block
    assert "(https://mybinder.org/v2/gh/uni-x/nn-course/ws24?urlpath=lab/tree/notebooks)" in block
