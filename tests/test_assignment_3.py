"""Assignment 3 (vanishing gradients): the spec, its checks, the mistake variants, the notebooks."""
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

import assignment_kit

from grader.selfcheck import grade_in_process
from grader.specs.a3_vanishing_gradients import SPEC, TF_ANSWERS
from variants.a3_vanishing_gradients import RIGHT, WRONG

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solutions" / SPEC.solution_name
FAKE_DATA = REPO / "data" / "fake_fashion_mnist.py"
TAGS = [task.tag for task in SPEC.tasks]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Grade with one torch thread, as the sandbox does: tiny models run faster that way."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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
    assert nb.metadata["nncourse"]["assignment"] == 3
    assert nb.metadata["nncourse"]["topic"] == SPEC.topic
    assert all(task.points > 0 for task in SPEC.tasks)
    for tag, source in tasks.items():
        points = SPEC.task(tag).points
        assert source.startswith(f"# Task 3.{tag.split('_')[2]} ({points:g} points):"), tag


def test_public_checks_have_no_custom_verify_and_hidden_ones_exist():
    for task in SPEC.tasks:
        assert any(not c.public for c in task.checks), task.tag
        assert all(c.verify is None for c in task.checks if c.public), task.tag


def test_true_false_statements_match_the_notebook(solution):
    nb, _, tasks = solution
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for name, answer in TF_ANSWERS.items():
        assert f"`{name}`" in text, name
        assert f"{name} = {answer}" in tasks["task_3_5"], name


def test_solution_gets_full_marks_in_process(solution):
    _, imports, tasks = solution
    grade_in_process(SPEC, imports, tasks)  # first run: imports and reference values warm up
    started = time.perf_counter()
    graded = grade_in_process(SPEC, imports, tasks)
    seconds = time.perf_counter() - started
    for tag, (points, results, cell) in graded.items():
        assert cell["ok"], (tag, cell)
        assert points == SPEC.task(tag).points, (tag, _why(results))
    print(f"in-process grading of the solution (with reference values): {seconds:.2f} s")


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
        mixed = dict(tasks, **{tag: WRONG[tag][0][1]})
        graded = grade_in_process(SPEC, imports, mixed)
        lost = [t for t in TAGS if graded[t][0] < SPEC.task(t).points]
        assert lost == [tag], (tag, lost)


def test_the_issues_mistakes_fail_the_checks_that_target_them(solution):
    """The mistakes named in the assignment's issue fail the checks written for them."""
    _, imports, _ = solution
    targets = {
        ("task_3_2", "relu_only_on_first_layer"): ["on hidden inputs", "on hidden images"],
        ("task_3_2", "softmax_instead_of_log_softmax"): ["on hidden inputs", "log-probabilities"],
        ("task_3_3", "signed_instead_of_absolute_mean"): ["mean absolute weight gradients"],
        ("task_3_3", "missing_zero_grad"): ["mean absolute weight gradients",
                                            "updates the parameters"],
        ("task_3_3", "step_outside_the_loop"): ["loss of every batch", "updates the parameters"],
        ("task_3_3", "accuracy_only_on_logged_batches"): ["accuracy over the whole epoch"],
        ("task_3_4", "loss_averaged_per_batch"): ["mean loss per sample"],
    }
    for (tag, name), wanted in targets.items():
        _, _, results, _ = _grade_one(imports, tag, dict(WRONG[tag])[name])
        failed = " | ".join(r["label"] for r in results if r["points"] < r["max"])
        for part in wanted:
            assert part in failed, (tag, name, part, failed)
    # and the signed-gradient mistake costs nothing but the gradient check
    _, maximum, results, _ = _grade_one(
        imports, "task_3_3", dict(WRONG["task_3_3"])["signed_instead_of_absolute_mean"])
    assert sum(r["points"] for r in results) == maximum - 5


def test_hidden_messages_do_not_reveal_expected_values(solution):
    _, imports, _ = solution
    source = dict(WRONG["task_3_4"])["loss_averaged_per_batch"]
    _, _, results, _ = _grade_one(imports, "task_3_4", source)
    hidden = [m for r in results if not r["public"] for m in r["messages"]]
    assert hidden and all("expected" not in m for m in hidden), hidden
    source = dict(WRONG["task_3_8"])["standard_deviation_instead_of_variance"]
    _, _, results, _ = _grade_one(imports, "task_3_8", source)
    text = " ".join(_why(results))
    assert "far from what this initialisation gives" in text and "e-" not in text


def test_negative_marking_never_goes_below_zero(solution):
    _, imports, _ = solution
    flipped = "\n".join(f"{name} = {not answer}" for name, answer in TF_ANSWERS.items())
    points, _, results, _ = _grade_one(imports, "task_3_5", flipped)
    assert points == 0 and sum(r["points"] for r in results) == -8
    half = "\n".join(f"{name} = {answer if k < 6 else None}"
                     for k, (name, answer) in enumerate(TF_ANSWERS.items()))
    assert _grade_one(imports, "task_3_5", half)[0] == 6


# ---------------------------------------------------------------- the synthetic FashionMNIST

def test_fake_fashion_mnist_is_read_by_torchvision_without_download(tmp_path):
    datasets = pytest.importorskip("torchvision.datasets")
    subprocess.run([sys.executable, str(FAKE_DATA), str(tmp_path), "--train", "50",
                    "--test", "20"], check=True, capture_output=True)
    train = datasets.FashionMNIST(root=tmp_path, train=True, download=True)
    test = datasets.FashionMNIST(root=tmp_path, train=False, download=True)
    assert (len(train), len(test)) == (50, 20)
    assert tuple(train.data.shape) == (50, 28, 28) and str(train.data.dtype) == "torch.uint8"
    assert set(train.targets.tolist()) == set(range(10))
    image, label = train[0]
    assert image.size == (28, 28) and 0 <= label < 10
    # deterministic: the same call writes the same bytes
    again = tmp_path / "again"
    subprocess.run([sys.executable, str(FAKE_DATA), str(again), "--train", "50", "--test", "20"],
                   check=True, capture_output=True)
    raw = Path("FashionMNIST") / "raw"
    for name in ("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        assert (tmp_path / raw / name).read_bytes() == (again / raw / name).read_bytes()
    # every pair of classes differs on average, so models can learn something from it
    means = np.stack([train.data[train.targets == k].float().mean(0).numpy() for k in range(10)])
    gaps = np.abs(means[:, None] - means[None]).mean(axis=(2, 3))
    assert gaps[~np.eye(10, dtype=bool)].min() > 5


# ---------------------------------------------------------------- running the notebooks

def test_solution_notebook_runs_top_to_bottom(tmp_path):
    from nbclient import NotebookClient
    data = tmp_path / "data"
    subprocess.run([sys.executable, str(FAKE_DATA), str(data)], check=True, capture_output=True)
    nb = nbformat.read(SOLUTION, as_version=4)
    env = {"NNCOURSE_SMALL": "1", "NNCOURSE_DATA": str(data),
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
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.get("outputs", []) if o.output_type == "stream")
    assert "640 training and 200 test images" in printed
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
    assert "fake_fashion_mnist" not in text and "instructor notes" not in text
    assert "sigmoid_grad_max = None" in text and "tf_relu_always_fixes = None" in text
    assert 'raise NotImplementedError("Task 3.3: implement train_epoch")' in text
    assert "download=True" in text
    given = next(c for c in nb.cells if "class ANN_sigmoid" in c.source)
    assert given.metadata.get("editable") is False and not _tags(given)


def test_released_student_notebook_scores_zero_in_process(released):
    assert [t.tag for t in SPEC.tasks] == TAGS
    assignment_kit.assert_blank_scores_zero_in_process(SPEC, released[1])


@pytest.fixture(scope="module")
def grader(released):
    pytest.importorskip("grader.grade")
    yield from assignment_kit.sandboxed_grader(SPEC, released[0])


def test_sandboxed_grader_solution_100_student_0(grader, released, tmp_path):
    assignment_kit.assert_solution_100_blank_0(grader, 3, SOLUTION, released[1], tmp_path)


def test_the_references_sgd_matches_torch_optim_exactly():
    import torch
    from grader.specs.a3_vanishing_gradients import _SGD
    runs = []
    for make in (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.5),
                 lambda p: _SGD(p, lr=0.1, momentum=0.5)):
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3))
        opt, X = make(net.parameters()), torch.randn(16, 5)
        for _ in range(5):
            opt.zero_grad()
            net(X).square().mean().backward()
            opt.step()
        runs.append([p.detach().clone() for p in net.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*runs))
