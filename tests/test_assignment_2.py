"""Assignment 2 (backpropagation): the spec, its checks, the mistake variants, the notebooks."""
import os
import time
from pathlib import Path

import nbformat
import pytest

import assignment_kit

from grader.selfcheck import grade_in_process
from grader.specs.a2_backprop import SPEC
from variants.a2_backprop import RIGHT, WRONG

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solutions" / SPEC.solution_name
TAGS = [task.tag for task in SPEC.tasks]


_tags = assignment_kit.tags


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
    assert nb.metadata["nncourse"]["assignment"] == 2
    assert nb.metadata["nncourse"]["topic"] == SPEC.topic
    assert all(task.points > 0 for task in SPEC.tasks)
    for tag, source in tasks.items():
        points = SPEC.task(tag).points
        assert source.startswith(f"# Task 2.{tag.split('_')[2]} ({points:g} points):"), tag


def test_public_checks_have_no_custom_verify_and_hidden_ones_exist():
    for task in SPEC.tasks:
        assert any(not c.public for c in task.checks), task.tag
        assert all(c.verify is None for c in task.checks if c.public), task.tag


def test_solution_gets_full_marks_in_process(solution):
    _, imports, tasks = solution
    started = time.perf_counter()
    graded = grade_in_process(SPEC, imports, tasks)
    seconds = time.perf_counter() - started
    for tag, (points, results, cell) in graded.items():
        assert cell["ok"], (tag, cell)
        assert points == SPEC.task(tag).points, (tag, _why(results))
    print(f"in-process grading of the solution: {seconds:.2f} s")


# ---------------------------------------------------------------- mistake variants

WRONG_CASES = [(tag, name, src) for tag, cases in WRONG.items() for name, src in cases]
RIGHT_CASES = [(tag, name, src) for tag, cases in RIGHT.items() for name, src in cases]


def test_every_task_has_enough_variants():
    for tag in TAGS:
        assert len(WRONG.get(tag, [])) >= 2, tag
        assert len(RIGHT.get(tag, [])) >= 2, tag
    assert set(WRONG) == set(RIGHT) == set(TAGS)


@pytest.mark.parametrize("tag,name,source", WRONG_CASES,
                         ids=[f"{t}-{n}" for t, n, _ in WRONG_CASES])
def test_wrong_variant_loses_points(solution, tag, name, source):
    _, imports, _ = solution
    points, maximum, results, _ = _grade_one(imports, tag, source)
    assert points < maximum, f"{tag}/{name} kept full marks"


@pytest.mark.parametrize("tag,name,source", RIGHT_CASES,
                         ids=[f"{t}-{n}" for t, n, _ in RIGHT_CASES])
def test_right_variant_keeps_full_marks(solution, tag, name, source):
    _, imports, _ = solution
    points, maximum, results, cell = _grade_one(imports, tag, source)
    assert cell["ok"], cell
    assert points == maximum, (name, _why(results))


def test_mistakes_stay_in_their_own_task(solution):
    """A notebook with one mistake in every task: each task loses points, independently."""
    _, imports, tasks = solution
    for round_ in range(2):
        sources = {tag: WRONG[tag][round_][1] for tag in TAGS}
        graded = grade_in_process(SPEC, imports, sources)
        for tag in TAGS:
            assert graded[tag][0] < SPEC.task(tag).points, (round_, tag)
        # and one mistake leaves every other task at full marks
        for tag in TAGS:
            mixed = dict(tasks, **{tag: WRONG[tag][round_][1]})
            graded = grade_in_process(SPEC, imports, mixed)
            lost = [t for t in TAGS if graded[t][0] < SPEC.task(t).points]
            assert lost == [tag], (round_, tag, lost)


def test_hidden_messages_do_not_reveal_expected_values(solution):
    _, imports, _ = solution
    source = dict(WRONG["task_2_1"])["delta_sign_flipped"]
    _, _, results, _ = _grade_one(imports, "task_2_1", source)
    text = " ".join(_why(results))
    assert "wrong values" in text and "-0.1" not in text and "-0.2" not in text


# ---------------------------------------------------------------- running the notebooks

def test_solution_notebook_runs_top_to_bottom(tmp_path):
    from nbclient import NotebookClient
    nb = nbformat.read(SOLUTION, as_version=4)
    env = {"NNCOURSE_SMALL": "1", "NNCOURSE_DATA": str(tmp_path / "data"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "MPLBACKEND": "agg"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    started = time.perf_counter()
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(SOLUTION.parent)}}).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    seconds = time.perf_counter() - started
    print(f"solution notebook (NNCOURSE_SMALL=1): {seconds:.1f} s")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert not errors
    assert seconds < 120


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
    assert "dL_dw32 = None" in text and "tf_zero_init = None" in text
    assert 'raise NotImplementedError("Task 2.6: implement Linear.backward")' in text
    assert "-0.1" not in next(c.source for c in nb.cells if "task_2_1" in _tags(c))


def test_released_student_notebook_scores_zero_in_process(released):
    assert [t.tag for t in SPEC.tasks] == TAGS
    assignment_kit.assert_blank_scores_zero_in_process(SPEC, released[1])


@pytest.fixture(scope="module")
def grader(released):
    pytest.importorskip("grader.grade")
    yield from assignment_kit.sandboxed_grader(SPEC, released[0])


def test_sandboxed_grader_solution_100_student_0(grader, released, tmp_path):
    assignment_kit.assert_solution_100_blank_0(grader, 2, SOLUTION, released[1], tmp_path)
