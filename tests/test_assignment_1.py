"""Assignment 1 (XOR): the spec, its checks, the mistake variants, the notebooks."""
import os
import time
from pathlib import Path

import nbformat
import pytest

import assignment_kit

from grader.selfcheck import grade_in_process
from grader.specs.a1_xor import SPEC, TRUE_FALSE
from variants.a1_xor import RIGHT, WRONG

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solutions" / SPEC.solution_name
TAGS = [task.tag for task in SPEC.tasks]


_tags = assignment_kit.tags


@pytest.fixture(scope="module", autouse=True)
def _quiet_environment():
    """Figures off screen, one thread for tiny tensors (as in the sandbox), and torch._dynamo
    loaded up front (torch.optim's first optimizer imports it; the grader preloads it)."""
    os.environ.setdefault("MPLBACKEND", "agg")
    torch = pytest.importorskip("torch")
    pytest.importorskip("torch._dynamo")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def solution():
    nb = nbformat.read(SOLUTION, as_version=4)
    return (nb, *assignment_kit.notebook_parts(nb))


def _grade_one(imports, tag, source):
    return assignment_kit.grade_one(SPEC, imports, tag, source)


_why = assignment_kit.why


# ---------------------------------------------------------------- the spec and the notebook

def test_spec_totals_100_and_matches_the_notebook(solution):
    nb, _, tasks = solution
    assert SPEC.points == 100
    assert list(tasks) == TAGS
    meta = nb.metadata["nncourse"]
    assert (meta["assignment"], meta["topic"]) == (SPEC.number, SPEC.topic)
    for tag, source in tasks.items():
        points = SPEC.task(tag).points
        assert points > 0
        assert source.startswith(f"# Task 1.{tag.split('_')[2]} ({points:g} points):"), tag


def test_header_states_rules_and_the_points_table_adds_up(solution):
    nb, _, _ = solution
    header = nb.cells[0].source
    for phrase in ("Assignment_1_NameSurname_12345678.ipynb", "self-contained",
                   "Do not add, delete or reorder cells", 'check("task_1_K")'):
        assert phrase in header, phrase
    rows = [line.split("|") for line in header.splitlines() if line.startswith("| ")]
    points = [int(r[-2]) for r in rows if r[-2].strip().isdigit()]
    assert sum(points) == 100


def test_every_task_has_public_and_hidden_checks():
    for task in SPEC.tasks:
        if task.tag == "task_1_3":  # True/False answers: nothing to check publicly
            assert all(c.negative for c in task.checks)
            continue
        assert any(c.public for c in task.checks), task.tag
        assert any(not c.public for c in task.checks), task.tag
        assert all(c.verify is None for c in task.checks if c.public), task.tag


def test_public_bundle_builds_without_hidden_material():
    from grader.selfcheck import build_bundle
    bundle = build_bundle(SPEC)
    shipped = sum(len(t["checks"]) for t in bundle["tasks"])
    assert shipped == sum(c.public for t in SPEC.tasks for c in t.checks)
    text = repr(bundle)
    assert "XNOR" not in text and "tf_bias_solves_xor" not in text


def test_packed_self_checks_pass_on_the_solution(solution):
    """The public checks as shipped in student notebooks (plain JSON) accept the solution."""
    import json
    from grader.kernel_runtime import run_source
    from grader.selfcheck import build_bundle, run_public
    _, imports, tasks = solution
    bundle = json.loads(json.dumps(build_bundle(SPEC), allow_nan=False))
    for tag, source in tasks.items():
        namespace = {"__name__": "__main__"}
        run_source(imports, "<imports>", namespace)
        run_source(source, "<task>", namespace)
        _, results = run_public(bundle, tag, namespace)
        assert all(r["status"] == "passed" for r in results), (tag, _why(results))


def test_solution_gets_full_marks_in_process(solution):
    _, imports, tasks = solution
    started = time.perf_counter()
    graded = grade_in_process(SPEC, imports, tasks)
    seconds = time.perf_counter() - started
    for tag, (points, results, cell) in graded.items():
        assert cell["ok"], (tag, cell)
        assert points == SPEC.task(tag).points, (tag, _why(results))
    print(f"in-process grading of the solution: {seconds:.2f} s")


def test_true_false_answers_use_negative_marking(solution):
    _, imports, _ = solution
    names = list(TRUE_FALSE)
    right = {n: TRUE_FALSE[n] for n in names}
    cases = [({**right, names[0]: None}, 8.0),                       # one unanswered
             ({**right, names[0]: not right[names[0]]}, 6.0),        # one wrong
             ({n: not v for n, v in right.items()}, 0.0)]            # all wrong: floor at 0
    for answers, expected in cases:
        source = "\n".join(f"{n} = {v!r}" for n, v in answers.items())
        points, _, _, _ = _grade_one(imports, "task_1_3", source)
        assert points == expected, answers


# ---------------------------------------------------------------- mistake variants

WRONG_CASES = [(tag, name, src) for tag, cases in WRONG.items() for name, src in cases]
RIGHT_CASES = [(tag, name, src) for tag, cases in RIGHT.items() for name, src in cases]


def test_every_task_has_enough_variants():
    assert set(WRONG) == set(RIGHT) == set(TAGS)
    for tag in TAGS:
        assert len(WRONG[tag]) >= 2, tag
        assert len(RIGHT[tag]) >= 2, tag


@pytest.mark.parametrize("tag,name,source", WRONG_CASES,
                         ids=[f"{t}-{n}" for t, n, _ in WRONG_CASES])
def test_wrong_variant_loses_points(solution, tag, name, source):
    _, imports, _ = solution
    points, maximum, results, _ = _grade_one(imports, tag, source)
    assert points < maximum, f"{tag}/{name} kept full marks"
    assert _why(results), f"{tag}/{name} lost points without a message"


@pytest.mark.parametrize("tag,name,source", RIGHT_CASES,
                         ids=[f"{t}-{n}" for t, n, _ in RIGHT_CASES])
def test_right_variant_keeps_full_marks(solution, tag, name, source):
    _, imports, _ = solution
    points, maximum, results, cell = _grade_one(imports, tag, source)
    assert cell["ok"], cell
    assert points == maximum, (name, _why(results))


def test_mistakes_stay_in_their_own_task(solution):
    """Two notebooks, each with one mistake in every task: every task loses points; and one
    mistake in a single task leaves all other tasks at full marks."""
    _, imports, tasks = solution
    for round_ in range(2):
        sources = {tag: WRONG[tag][round_][1] for tag in TAGS}
        graded = grade_in_process(SPEC, imports, sources)
        assert all(graded[tag][0] < SPEC.task(tag).points for tag in TAGS), round_
    mixed = dict(tasks, task_1_5=WRONG["task_1_5"][0][1])
    graded = grade_in_process(SPEC, imports, mixed)
    assert [t for t in TAGS if graded[t][0] < SPEC.task(t).points] == ["task_1_5"]


def test_task_cells_must_be_self_contained(solution):
    """A forward pass that calls relu() from Task 1.4 works in a notebook, not in the grader."""
    _, imports, _ = solution
    source = """
def two_layer_forward(X, W1, b1, w2, b2):
    return relu(X @ W1 + b1) @ w2 + b2
"""
    points, _, results, _ = _grade_one(imports, "task_1_5", source)
    assert points == 0
    assert any("NameError" in m and "'relu'" in m for m in _why(results)), _why(results)


def test_hidden_messages_do_not_reveal_expected_values(solution):
    _, imports, _ = solution
    source = dict(WRONG["task_1_2"])["only_y_centred"]
    _, _, results, _ = _grade_one(imports, "task_1_2", source)
    hidden = [m for r in results if not r["public"] for m in r["messages"]]
    assert hidden and all("expected" not in m and "wrong values" in m for m in hidden)


# ---------------------------------------------------------------- running the notebooks

def _execute(nb, tmp_path, cwd):
    from nbclient import NotebookClient
    env = {"NNCOURSE_SMALL": "1", "NNCOURSE_DATA": str(tmp_path / "data"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "MPLBACKEND": "agg"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    started = time.perf_counter()
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return time.perf_counter() - started


def _errors(nb):
    return [(i, o.get("ename"), o.get("evalue")) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]


def test_solution_notebook_runs_top_to_bottom(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    seconds = _execute(nb, tmp_path, SOLUTION.parent)
    print(f"solution notebook (NNCOURSE_SMALL=1): {seconds:.1f} s")
    assert not _errors(nb)
    assert seconds < 120
    checks = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("check(")]
    assert len(checks) == len(TAGS)
    for cell in checks:
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert "[FAIL]" not in text and text.startswith(("PASS ", "NOT CHECKED ")), text
    noisy = next(c for c in nb.cells if "make_noisy_xor(200, 0.1" in c.source)
    line = "".join(o.get("text", "") for o in noisy.outputs if o.output_type == "stream")
    assert float(line.split("test accuracy")[1].split()[0]) > 0.95, line


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """The student notebook, released from the solution into a temporary folder."""
    release = pytest.importorskip("grader.release")
    folder = tmp_path_factory.mktemp("notebooks")
    student = release.student_version(release.read_solution(SOLUTION), name=SOLUTION.name)
    path = folder / SPEC.template_name
    nbformat.write(student, path)
    return folder, path


def test_released_notebook_has_stubs_and_no_answers(released):
    _, path = released
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "### BEGIN SOLUTION" not in text and "Model answer" not in text
    tasks = "\n".join(c.source for c in nb.cells if any(t.startswith("task_") for t in _tags(c)))
    assert "theta = np.linalg.lstsq" not in tasks and "loss.backward()" not in tasks
    for name in ("X_xor", "W1_xor", "b2_xor", "output_choices", *TRUE_FALSE):
        assert f"{name} = None" in text, name
    assert 'raise NotImplementedError("Task 1.8: implement train_xor")' in text
    answers = [c.source for c in nb.cells if "answer" in _tags(c)]
    assert answers == ["> **Your answer:**\n>\n> *Double-click this cell to write your answer "
                       "here.*"] * 3


def test_released_student_notebook_scores_zero_in_process(released):
    assert [t.tag for t in SPEC.tasks] == TAGS
    assignment_kit.assert_blank_scores_zero_in_process(SPEC, released[1])


def test_released_student_notebook_runs_and_stubs_name_their_task(released, tmp_path):
    folder, path = released
    nb = nbformat.read(path, as_version=4)
    _execute(nb, tmp_path, folder)
    # nothing fails: the demonstrations wait for the tasks they use, naming them
    assert _errors(nb) == []
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs if o.output_type == "stream")
    for tag in ("task_1_2", "task_1_4", "task_1_5", "task_1_7", "task_1_8", "task_1_9"):
        number = "1." + tag.split("_")[2]
        source = next(c.source for c in nb.cells if tag in _tags(c))
        assert f'raise NotImplementedError("Task {number}:' in source, tag
        assert f"Task {number} " in printed and "not done yet" in printed, tag


@pytest.fixture(scope="module")
def grader(released):
    pytest.importorskip("grader.grade")
    yield from assignment_kit.sandboxed_grader(SPEC, released[0])


def test_sandboxed_grader_solution_100_student_0(grader, released, tmp_path):
    assignment_kit.assert_solution_100_blank_0(grader, 1, SOLUTION, released[1], tmp_path)
