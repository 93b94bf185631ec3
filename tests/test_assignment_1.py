"""Assignment 1 (XOR): the spec, its requirements and checks, the mistake variants, the
attacks the trust boundary must stop, the notebooks."""
import copy
import os
from pathlib import Path

import numpy as np

import nbformat
import pytest

import assignment_kit

from grader.specs.a1_xor import SPEC, TRUE_FALSE
from grader.specs.a1_xor import training
from variants.a1_xor import WRONG

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

def test_public_bundle_builds_without_hidden_material():
    from grader.selfcheck import build_bundle
    bundle = build_bundle(SPEC)
    shipped = sum(len(t["checks"]) for t in bundle["tasks"])
    assert shipped == sum(c.public for t in SPEC.tasks for c in t.checks)
    text = repr(bundle)
    assert "XNOR" not in text and "tf_bias_solves_xor" not in text
    assert "_labels" not in text and "_y_test" not in text and "bce" not in text


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


def test_true_false_answers_use_negative_marking(solution):
    _, imports, _ = solution
    names = list(TRUE_FALSE)
    right = {n: TRUE_FALSE[n] for n in names}
    cases = [({**right, names[0]: None}, 4.0),                       # one unanswered
             ({**right, names[0]: not right[names[0]]}, 3.0),        # one wrong
             ({n: not v for n, v in right.items()}, 0.0)]            # all wrong: floor at 0
    for answers, expected in cases:
        source = "\n".join(f"{n} = {v!r}" for n, v in answers.items())
        points, _, _, _ = _grade_one(imports, "task_1_3", source)
        assert points == expected, answers


# ---------------------------------------------------------------- mistake variants

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
    source = dict(WRONG["task_1_2"])["R4-only_y_centred"]
    _, _, results, _ = _grade_one(imports, "task_1_2", source)
    hidden = [m for r in results if not r.public for m in r.messages]
    assert hidden and all("expected" not in m and "wrong values" in m for m in hidden)


# ---------------------------------------------------------------- the trust findings

def _task_cell(tag):
    nb = nbformat.read(SOLUTION, as_version=4)
    return next(c.source for c in nb.cells if tag in _tags(c))


def test_statements_settle_what_the_checks_rely_on():
    """Task 1.1 asks for float64 (not "float array ... float64"); Task 1.8 fixes the order in
    which the layers are built (the grader reruns the seeded network); Task 1.11 says the
    binary classifier has one output unit (softmax and NLL over two units is then wrong)."""
    assert "X_xor  float64 array of shape (4, 2)" in _task_cell("task_1_1")
    assert "y_xor  float64 array of shape (4,)" in _task_cell("task_1_1")
    training = " ".join(_task_cell("task_1_8").split())
    assert ("call torch.manual_seed(seed) first, then build the hidden layer nn.Linear(2, H) "
            "and then the output layer nn.Linear(H, 1)") in training
    assert "The grader repeats short runs itself" in training
    assert "single output unit" in _task_cell("task_1_11")


def test_grader_only_data_never_reaches_the_kernel():
    """The test labels of "learns from given data" and the per-run labels of "solves XOR" are
    trusted-only inputs: the kernel gets the points, never what they should be called."""
    task = SPEC.task("task_1_8")
    for index, check in enumerate(task.checks):
        inputs, _ = check.materialize(SPEC.check_seed(task.tag, index))
        sent = check.kernel_inputs(inputs)
        assert not [k for k in sent if "label" in k or "test" in k], (check.label, list(sent))
        if "_y_test" in inputs:
            assert not _holds_array(sent, inputs["_y_test"]), check.label
    given = next(c for c in task.checks if "given data" in c.label)
    index = task.checks.index(given)
    assert "_y_test" in given.materialize(SPEC.check_seed(task.tag, index))[0]


def _holds_array(data, array):
    if isinstance(data, dict):
        return any(_holds_array(v, array) for v in data.values())
    if isinstance(data, (list, tuple)):
        return any(_holds_array(v, array) for v in data)
    return isinstance(data, np.ndarray) and data.shape == array.shape


HAND_WRITTEN = """
def train_xor(hidden_units, lr, epochs, seed, X=None, y=None):
    losses = [0.7 * 0.9 ** t for t in range(epochs)]      # a plausible curve, made up

    def predict(points):                                  # XOR written by hand
        points = np.asarray(points)
        return np.where((points[:, 0] > 0.5) != (points[:, 1] > 0.5), 0.9, 0.1)

    return {"losses": losses, "accuracy": 1.0, "predict": predict}
"""


def test_a_hand_written_rule_and_made_up_losses_earn_only_the_format_points(solution):
    """The attack that earned 20/20: every hidden check now recomputes or keeps the labels."""
    _, imports, _ = solution
    points, _, results, _ = _grade_one(imports, "task_1_8", HAND_WRITTEN)
    public = sum(r.max for r in results if r.public)
    assert points == public == 2.0, _why(results)
    assert all(r.points == 0 for r in results if not r.public)


NEAREST_NEIGHBOUR = """
def train_xor(hidden_units, lr, epochs, seed, X=None, y=None):
    if X is None:
        X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        y = np.array([0.0, 1.0, 1.0, 0.0])
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    rate = np.random.default_rng(seed).uniform(10, 30)      # made up, but seed-dependent
    losses = [float(0.7 * np.exp(-t / rate)) for t in range(epochs)]

    def predict(points):                                    # learns, but is no network
        distances = ((np.asarray(points)[:, None, :] - X[None]) ** 2).sum(axis=-1)
        return 0.8 * y[distances.argmin(axis=1)] + 0.1

    return {"losses": losses, "accuracy": float(np.mean((predict(X) >= 0.5) == y)),
            "predict": predict}
"""


def test_a_learner_that_is_not_the_prescribed_network_loses_the_network_checks(solution):
    """Behaviour checks (seeds, solving XOR, given data) accept any predict that learns; the
    checks against the grader's rerun are what a different learner cannot pass."""
    _, imports, _ = solution
    _, _, results, _ = _grade_one(imports, "task_1_8", NEAREST_NEIGHBOUR)
    failed = {r.label for r in results if r.points < r.max}
    assert {"`train_xor`: the first loss is that of the seeded network",
            "`train_xor`: the losses follow gradient descent",
            "`train_xor`: `predict` gives the trained network's probabilities"} <= failed


PLOT_SHADOWING = """
# names the old kernel-side verdict code used, rebound in the task's namespace
any = all = bool = isinstance = lambda *args, **kwargs: True
float = len = lambda *args, **kwargs: 1.0
_filled = _found = True


def plot_decision_boundary(predict, X, y):
    fig, ax = plt.subplots()
    ax.plot([0.0, 1.0], [0.0, 1.0])            # neither a filled contour nor the data points
    return fig
"""


def test_plot_verdicts_are_made_from_raw_artists_by_the_grader(solution):
    """Rebinding the names that the old in-kernel verdict used changes nothing: the probes
    return artists' data (classes, offsets, colours, the points predict got) and the grader
    decides."""
    _, imports, _ = solution
    points, _, results, _ = _grade_one(imports, "task_1_10", PLOT_SHADOWING)
    failed = {r.label for r in results if r.points < r.max}
    assert points == 1.0, _why(results)          # it does return a Figure with Axes
    assert any("filled contour" in label for label in failed)
    assert any("shows the data points" in label for label in failed)
    assert any("grid" in label for label in failed)


def test_the_reference_rerun_is_what_torch_optim_does(solution):
    """The grader's rerun of train_xor (no torch.optim, to keep _dynamo out of the grader)
    gives the solution's losses and probabilities."""
    _, imports, tasks = solution
    namespace = {"__name__": "__main__"}
    exec(imports, namespace)
    exec(tasks["task_1_8"], namespace)
    rng = np.random.default_rng(5)
    X, y = rng.uniform(-0.5, 1.5, size=(9, 2)), np.array([0, 1, 1, 0, 1, 0, 0, 1, 1.0])
    points = rng.uniform(-1, 2, size=(7, 2))
    for args in [(3, 0.5, 30, 11, None, None), (8, 1.0, 60, 4, X, y)]:
        run = namespace["train_xor"](*args[:4], X=args[4], y=args[5])
        again = training.train_reference(*args, points)
        assert np.allclose(run["losses"], again["losses"], rtol=1e-6, atol=1e-7)
        assert np.allclose(run["predict"](points), again["final"], rtol=0, atol=1e-6)


def test_stored_reruns_are_the_checks_runs_as_torch_gives_them():
    """reruns.npz (so that grading needs no torch in the grader) holds exactly the runs Task
    1.8's checks use, equal to a fresh rerun under the installed torch."""
    stored, fresh = training.stored_reruns(), training.fresh_reruns(SPEC)
    hint = "run `python -m grader.specs.a1_xor.reruns`"
    assert set(stored) == set(fresh), hint
    for key, run in fresh.items():
        for field in training.RUN_FIELDS:
            assert np.array_equal(stored[key][field], run[field]), (key, field, hint)


def test_judging_assignment_1_needs_no_torch_in_the_grader():
    import subprocess
    import sys
    code = ("import sys; from grader.specs import load_spec; spec = load_spec(1)\n"
            "for task in spec.tasks:\n"
            "    for i, check in enumerate(task.checks):\n"
            "        check.materialize(spec.check_seed(task.tag, i))\n"
            "print('torch' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout.split()
    assert shown == ["False"], shown


def test_the_grader_chose_runs_that_training_solves():
    """The behaviour checks must not fail a correct submission by bad luck: the reference
    rerun of their runs solves them with room to spare."""
    task = SPEC.task("task_1_8")
    found = {}
    for index, check in enumerate(task.checks):
        if check.probe == "a1_xor.train_and_predict":
            found[check.label] = check.materialize(SPEC.check_seed(task.tag, index))[0]
    relabelled, given = (next(v for k, v in found.items() if word in k)
                         for word in ("solves XOR", "given data"))
    solved = 0
    for run, truth in zip(relabelled["runs"], relabelled["_labels"]):
        again = training.train_reference(8, 1.0, 60, run["seed"], run["X"], run["y"],
                                          relabelled["points"])
        solved += bool(np.all((again["final"] >= 0.5) == (truth >= 0.5)))
    assert solved >= 6, solved
    best = max(np.mean((training.train_reference(8, 1.0, 60, run["seed"], run["X"], run["y"],
                                                  given["points"])["final"] >= 0.5)
                       == (given["_y_test"] >= 0.5)) for run in given["runs"])
    assert best >= 0.97, best


# ---------------------------------------------------------------- running the notebooks

def _errors(nb):
    return [(i, o.get("ename"), o.get("evalue")) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]


def test_released_student_notebook_runs_and_stubs_name_their_task(released_notebook, tmp_path):
    folder, path = released_notebook(1)
    nb = nbformat.read(path, as_version=4)
    assignment_kit.execute_notebook(nb, tmp_path / "data", folder)
    # nothing fails: the demonstrations wait for the tasks they use, naming them
    assert _errors(nb) == []
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs if o.output_type == "stream")
    for tag in ("task_1_2", "task_1_4", "task_1_5", "task_1_7", "task_1_8", "task_1_9"):
        number = "1." + tag.split("_")[2]
        source = next(c.source for c in nb.cells if tag in _tags(c))
        assert f'raise NotImplementedError("Task {number}:' in source, tag
        assert f"Task {number} " in printed and "not done yet" in printed, tag


STACK_WALKER = """
import sys


def _labels_on_the_stack(m):
    # what a student could borrow if the grader's data sat in the kernel: any 0/1 array of
    # the right length in the locals of a calling frame (the old probes kept I["y_test"] there)
    frame, seen = sys._getframe(1), []
    while frame is not None:
        seen += list(frame.f_locals.values())
        frame = frame.f_back
    while seen:
        value = seen.pop()
        if isinstance(value, dict):
            seen += list(value.values())
        elif isinstance(value, (list, tuple)) and len(value) < 100:
            seen += list(value)
        elif isinstance(value, np.ndarray) and value.shape == (m,) and np.isin(value, (0, 1)).all():
            return value.astype(float)
    return np.full(m, 0.5)


def train_xor(hidden_units, lr, epochs, seed, X=None, y=None):
    def predict(points):
        return 0.8 * _labels_on_the_stack(len(points)) + 0.1
    return {"losses": [0.7] * epochs, "accuracy": 1.0, "predict": predict}
"""


def test_sandboxed_attacks_fail_and_stay_in_their_tasks(sandboxed, tmp_path):
    """In the real sandbox: a predict that searches the kernel's stack for labels finds none
    (the test labels never left the grader), and a plot with rebound names gets no verdict
    from the kernel; every other task keeps its full marks."""
    nb = nbformat.read(SOLUTION, as_version=4)
    for cell in nb.cells:
        if "task_1_8" in _tags(cell):
            cell.source = STACK_WALKER
        if "task_1_10" in _tags(cell):
            cell.source = PLOT_SHADOWING
    path = tmp_path / "Assignment_1_EveMallory_66666666.ipynb"
    nbformat.write(copy.deepcopy(nb), path)
    result = assignment_kit.graded(sandboxed(1), path, 1)
    lost = {tag: t["max"] - t["points"] for tag, t in result["tasks"].items()
            if t["points"] < t["max"]}
    assert set(lost) == {"task_1_8", "task_1_10"}, lost
    checks = {c["label"]: c for c in result["tasks"]["task_1_8"]["checks"]}
    passed = {label for label, c in checks.items() if c["points"] > 0}
    assert checks["`train_xor` learns from given data X, y"]["points"] == 0, passed
    # what it can still earn: the format, and an accuracy that agrees with its own predict on
    # the training points, whose labels train_xor is given (and the stack walk finds)
    assert passed <= {"`train_xor(4, 0.5, 5, 0)`",
                      "`train_xor`: `accuracy` matches what `predict` gives on the training "
                      "points"}, passed
    public = sum(c.points for c in SPEC.task("task_1_10").checks if c.public)
    assert result["tasks"]["task_1_10"]["points"] == public   # the public format check only
