"""Assignment 2 (backpropagation): the spec, its checks, the mistake variants, the notebooks,
and the attacks that the trust boundary must stop."""
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import assignment_kit

from grader.specs.a2_backprop import SPEC
from variants.a2_backprop import BASE, RIGHT, WRONG

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


def _why(results):
    return [m for r in results for m in r.messages]


# ---------------------------------------------------------------- the spec and the notebook

# ---------------------------------------------------------------- mistake variants

def test_hidden_messages_do_not_reveal_expected_values(solution):
    _, imports, _ = solution
    source = dict(WRONG["task_2_1"])["R5-delta_sign_flipped"]
    _, _, results, _ = _grade_one(imports, "task_2_1", source)
    text = " ".join(_why(results))
    assert "wrong values" in text and "-0.1" not in text and "-0.2" not in text


# ---------------------------------------------------------------- the trust findings

def _arrays_and_floats(value):
    if isinstance(value, np.ndarray) and value.size > 1:
        yield value
    elif isinstance(value, float) and value != int(value):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays_and_floats(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _arrays_and_floats(item)


# Checks whose expected observation is their input by definition: x after the call must be x.
EXPECTED_IS_THE_INPUT = {("task_2_4", "R4")}


def test_the_kernel_never_receives_an_expected_value():
    """What a hidden check sends to the kernel holds none of the values it expects back."""
    for task in SPEC.tasks:
        for index, check in enumerate(task.checks):
            if check.public or check.ref is None or \
                    {(task.tag, r) for r in check.covers} <= EXPECTED_IS_THE_INPUT:
                continue
            inputs, expected = check.materialize(SPEC.check_seed(task.tag, index))
            sent = list(_arrays_and_floats(check.kernel_inputs(inputs)))
            for want in _arrays_and_floats(expected):
                assert not any(type(s) is type(want) and np.shape(s) == np.shape(want)
                               and np.array_equal(s, want) for s in sent), (task.tag, check.label)


BORROW = '''
import sys


def _borrowed(kind):
    """A class named like `kind` with forward, backward and step that the grader left within
    reach: in the frames above this call or in a grader module, as a class or as source code
    to exec. Test doubles are skipped: they compute nothing."""
    places, frame = [], sys._getframe(1)
    while frame is not None:
        places += [frame.f_globals, frame.f_locals]
        frame = frame.f_back
    places += [vars(m) for n, m in list(sys.modules.items())
               if n.startswith(("grader", "nncourse")) and m is not None]
    for place in places:
        for name, obj in list(place.items()):
            if isinstance(obj, str) and "def backward" in obj and "_getframe" not in obj:
                found = {}
                try:
                    exec(obj, found)
                except Exception:
                    continue
                places.append(found)
            elif isinstance(obj, type) and kind in name and not issubclass(obj, Borrowing) \
                    and not name.startswith(("Spy", "Scripted", "Fake", "Stub")) and all(
                    hasattr(obj, m) for m in ("forward", "backward", "step")):
                return obj
    raise NotImplementedError("nothing to borrow")


class Borrowing:
    def forward(self, x):
        return self.inner.forward(x)

    def backward(self, *args):
        return self.inner.backward(*args)

    def step(self, lr):
        return self.inner.step(lr)
'''

ATTACKS = {
    # the old probes shipped _GLinear/_GNet: a student's classes delegated to them (full marks
    # for task 2.7, 12/14 for task 2.6 without writing a layer)
    "task_2_6": BORROW + '''

class Linear(Borrowing):
    def __init__(self, n_in, n_out, rng):
        found = _borrowed("Linear")
        try:
            inner = found(n_in, n_out, rng)
        except TypeError:
            inner = found(np.zeros((n_in, n_out)), np.zeros(n_out))
        self.__dict__["inner"] = inner

    def __getattr__(self, name):
        return getattr(self.__dict__["inner"], name)

    def __setattr__(self, name, value):
        setattr(self.__dict__["inner"], name, value)


class Sigmoid(Borrowing):
    def __init__(self):
        self.inner = _borrowed("Sigmoid")()


class ReLU(Borrowing):
    def __init__(self):
        self.inner = _borrowed("ReLU")()
''',
    "task_2_7": BORROW + '''

class Net(Borrowing):
    def __init__(self, layers):
        self.inner = _borrowed("Net")(layers)
''',
}

# Reads the check's own inputs (what each scripted layer returns) from the probe's frame and
# answers without calling a single layer.
NET_FROM_THE_PROBES_LOCALS = '''
import sys


def _probe_local(name):
    frame = sys._getframe(2)
    while frame is not None:
        if name in frame.f_locals:
            return frame.f_locals[name]
        frame = frame.f_back
    raise LookupError(name)


class Net:
    def __init__(self, layers):
        self.scripts = _probe_local("layers")

    def forward(self, x):
        outputs = [s["output"] for s in self.scripts]
        return outputs[-1], [x] + outputs[:-1]

    def backward(self, trace, dy):
        return self.scripts[0]["dx"]

    def step(self, lr):
        pass
'''

# Trains nothing and returns a plausible, made-up learning curve; rebinds the names that the
# old kernel-side verdict called and, in a kernel, NumPy's comparisons and means.
FAKE_FIT = '''
_g_bce = _g_acc = lambda *args: 0.0
PATCH_NUMPY = False
if PATCH_NUMPY:
    np.mean = lambda *args, **kwargs: 0.0
    np.isclose = np.allclose = np.array_equal = lambda *args, **kwargs: True


def fit(net, x, y, epochs, lr, mb_size, x_test=None, y_test=None, seed=0):
    curve = [0.69 * 0.6 ** e for e in range(epochs)]
    acc = [min(0.99, 0.6 + 0.15 * e) for e in range(epochs)]
    tested = x_test is not None
    return {"train_loss": curve, "train_acc": acc,
            "test_loss": [v * 1.1 for v in curve] if tested else [],
            "test_acc": [a - 0.02 for a in acc] if tested else []}
'''


@pytest.mark.parametrize("tag", sorted(ATTACKS))
def test_no_working_layer_or_network_to_borrow(solution, tag):
    """Finding: reference layers and a reference network reached the kernel inside probe code."""
    _, imports, _ = solution
    points, _, results, cell = _grade_one(imports, tag, ATTACKS[tag])
    assert cell["ok"], cell
    assert points == 0, _why(results)


def test_net_that_reads_the_probes_inputs_gets_nothing(solution):
    """Scripted layers' outputs sit in the probe's frame; they only help a Net that calls
    the layers, because every check replays the layers' record of calls."""
    _, imports, _ = solution
    points, _, results, _ = _grade_one(imports, "task_2_7", NET_FROM_THE_PROBES_LOCALS)
    assert points == 0, _why(results)


def test_made_up_learning_curve_fails(solution):
    """Findings: verdict logic ran in the kernel (rebinding its names made a fit that never
    trains earn points) and any plausible loss list was accepted. Now the history is
    recomputed from the spy network's predictions; only the format-only check (the test
    lists stay empty without test data) can pass."""
    _, imports, _ = solution
    points, _, results, _ = _grade_one(imports, "task_2_8", FAKE_FIT)
    passed = [c.covers for r, c in zip(results, SPEC.task("task_2_8").checks) if r.passed]
    assert passed == [("R1", "R7")] and points == 0.5, _why(results)


def test_known_accuracy_findings_lose_points(solution):
    """Findings: an in-place minibatch_step and relu_grad(0) == 1 kept full marks."""
    _, imports, _ = solution
    for tag, name, label in [
            ("task_2_3", "R5-updates_inputs_in_place", "leaves its inputs unchanged"),
            ("task_2_5", "R5-relu_grad_one_at_zero", "relu_grad(np.array([-1.5, 0.0, 2.0]))")]:
        points, maximum, results, _ = _grade_one(imports, tag, dict(WRONG[tag])[name])
        assert points < maximum
        assert any(label in r.label for r in results if not r.passed), (name, _why(results))


# ---------------------------------------------------------------- the chain-rule explorer

class FakeWidgets:
    """Stands in for ipywidgets: records the sliders and the interact call, and calls the
    function once with the sliders' values, as interact does."""

    def __init__(self):
        self.sliders, self.interacted = {}, []

    def FloatSlider(self, **options):
        self.sliders[options["description"]] = options
        return options

    def interact(self, function, **sliders):
        self.interacted.append(sorted(sliders))
        function(**{name: slider["value"] for name, slider in sliders.items()})


def _run_explorer(monkeypatch, capsys, widgets, small):
    """The imports cell and Part 3's explorer cell, with ``widgets`` as the ipywidgets module
    (None: not installed) and quick mode on or off; returns the namespace and the output."""
    import sys
    import types
    import matplotlib
    import matplotlib.pyplot as plt
    matplotlib.use("agg")
    if widgets is not None:
        module = types.ModuleType("ipywidgets")
        module.FloatSlider, module.interact = widgets.FloatSlider, widgets.interact
        widgets = module
    monkeypatch.setitem(sys.modules, "ipywidgets", widgets)
    monkeypatch.setenv("NNCOURSE_SMALL", "1" if small else "0")
    nb = nbformat.read(SOLUTION, as_version=4)
    namespace = {"__name__": "__main__"}
    exec(next(c.source for c in nb.cells if "imports" in _tags(c)), namespace)
    exec(next(c.source for c in nb.cells if c.id == "a2-3b"), namespace)
    plt.close("all")
    return namespace, capsys.readouterr().out


def test_explorer_shows_sliders_where_widgets_exist_and_a_table_elsewhere(monkeypatch, capsys):
    fake = FakeWidgets()
    namespace, out = _run_explorer(monkeypatch, capsys, fake, small=False)
    start = namespace["DIAMOND_START"]
    assert fake.interacted == [sorted(start)]
    assert {name: (s["value"], s["min"], s["max"]) for name, s in fake.sliders.items()} == \
        {name: (value, -3.0, 3.0) for name, value in start.items()}
    assert "dL/dw, the sum" in out
    for widgets, small in ((None, False), (FakeWidgets(), True)):   # no widgets; a test run
        _, out = _run_explorer(monkeypatch, capsys, widgets, small)
        assert "dL/dw, the sum" in out and (widgets is None or not widgets.interacted)


def test_explorer_paths_add_up_to_the_gradient(monkeypatch, capsys):
    """The two printed paths are the chain rule's: their sum is the finite-difference slope,
    at the start and at random weights."""
    namespace, _ = _run_explorer(monkeypatch, capsys, None, small=True)
    rng = np.random.default_rng(0)
    for weights in [namespace["DIAMOND_START"]] + [
            dict(zip("wabcd", rng.uniform(-3, 3, size=5))) for _ in range(5)]:
        namespace["explore"](**weights)
        out = capsys.readouterr().out
        paths = [float(v) for v in re.findall(r"through h\d: .* = ([+-]\d+\.\d+)", out)]
        total, slope = map(float, re.search(r"the sum:\s+(\S+)\s+\(finite differences: (\S+)\)",
                                            out).groups())
        assert len(paths) == 2 and abs(sum(paths) - total) <= 1e-4 and abs(total - slope) <= 1e-4


# ---------------------------------------------------------------- running the notebooks

def test_sandboxed_attacks_earn_nothing(sandboxed, tmp_path):
    """In a real kernel: borrowing layers and networks from anything the grader loaded, and a
    made-up learning curve with NumPy's comparisons and means patched in the kernel."""
    nb = nbformat.read(SOLUTION, as_version=4)
    attacks = dict(ATTACKS, task_2_8=FAKE_FIT.replace("PATCH_NUMPY = False", "PATCH_NUMPY = True"))
    for cell in nb.cells:
        tag = next((t for t in _tags(cell) if t in attacks), None)
        if tag:
            cell.source = f"# Task 2.{tag[-1]} ({SPEC.task(tag).points:g} points):\n" + attacks[tag]
    path = tmp_path / "Assignment_2_MalloryMallory_13371337.ipynb"
    nbformat.write(nb, path)
    result = assignment_kit.graded(sandboxed(2), path, 2)
    points = {tag: task["points"] for tag, task in result["tasks"].items()}
    attacked = {"task_2_6": 0.0, "task_2_7": 0.0, "task_2_8": 0.5}
    assert {tag: points[tag] for tag in attacked} == attacked, points
    # The tasks before the attacks keep their marks. The later ones run in the same kernel,
    # after the attack patched NumPy's mean and comparisons: their own code may compute
    # wrong numbers there (the student's loss), but the verdicts are made outside the kernel.
    before = TAGS[:TAGS.index("task_2_6")]
    assert all(points[tag] == SPEC.task(tag).points for tag in before), points
    assert all(points[tag] <= SPEC.task(tag).points for tag in TAGS), points


def test_variants_start_from_the_base_cells():
    """The base cells the variants edit are themselves correct (graded by the RIGHT tests)."""
    assert all(RIGHT[tag][0] == ("base", BASE[tag]) for tag in TAGS)
