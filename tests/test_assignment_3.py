"""Assignment 3 (vanishing gradients): the spec, its checks, the mistake variants, the notebooks,
and the trust boundary (each finding of the attack review, with the attack that must now fail)."""
import functools
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

import assignment_kit

from grader.kernel_runtime import run_probe
from grader.specs.a3_vanishing_gradients import SPEC, TF_ANSWERS
from variants.a3_vanishing_gradients import WRONG

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solutions" / SPEC.solution_name
FAKE_DATA = REPO / "data" / "fake_fashion_mnist.py"
TAGS = [task.tag for task in SPEC.tasks]
PROBES = "grader.probes.a3_vanishing_gradients"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Grade with one torch thread, as the sandbox does: tiny models run faster that way."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def solution():
    nb = nbformat.read(SOLUTION, as_version=4)
    return (nb, *assignment_kit.notebook_parts(nb))


# ---------------------------------------------------------------- grading in this process

def _grade_one(imports, tag, source):
    """One task graded in process, each check's references computed once per session."""
    return assignment_kit.grade_one_cached(SPEC, imports, tag, source)


def _why(results):
    return [m for r in results for m in r.messages]


def _failed(results):
    return [r for r in results if r.points < r.max]


@functools.lru_cache(maxsize=None)
def _graded_variant(tag, name):
    imports = assignment_kit.notebook_parts(nbformat.read(SOLUTION, as_version=4))[0]
    return _grade_one(imports, tag, dict(WRONG[tag])[name])


def _check_of(tag, result):
    return SPEC.task(tag).checks[int(result.id[1:])]


# ---------------------------------------------------------------- the spec and the notebook

def test_points_of_the_tasks_and_questions():
    """The issue's marking (the rest of the spec against the notebook: test_assignments.py)."""
    assert [t.points for t in SPEC.tasks] == [5, 6, 12, 5, 4, 8, 5, 7, 6, 5, 7]
    assert [q.points for q in SPEC.written] == [6, 6, 5, 5, 8]


def test_true_false_statements_match_the_notebook(solution):
    nb, _, tasks = solution
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for name, answer in TF_ANSWERS.items():
        assert f"`{name}`" in text, name
        assert f"{name} = {answer}" in tasks["task_3_5"], name


# ---------------------------------------------------------------- mistake variants

def test_the_issues_mistakes_fail_the_checks_that_target_them():
    targets = {
        ("task_3_2", "R2-relu_only_on_first_layer"): ["on hidden inputs", "on hidden images"],
        ("task_3_2", "R3-softmax_instead_of_log_softmax"): ["on hidden inputs",
                                                            "log-probabilities"],
        ("task_3_3", "R6-signed_instead_of_absolute_mean"): ["mean absolute weight gradients"],
        ("task_3_3", "R4-missing_zero_grad"): ["mean absolute weight gradients",
                                               "updates the parameters"],
        ("task_3_3", "R7-step_outside_the_loop"): ["loss of every batch", "updates the parameters"],
        ("task_3_3", "R9-accuracy_only_on_logged_batches"): ["accuracy over the whole epoch"],
        ("task_3_3", "R2-no_model_train"): ["puts the model in training mode"],
        ("task_3_4", "R5-loss_averaged_per_batch"): ["mean loss per sample"],
        ("task_3_4", "R2-no_model_eval"): ["puts the model in evaluation mode"],
        ("task_3_4", "R3-gradients_tracked"): ["does not track gradients"],
    }
    for (tag, name), wanted in targets.items():
        failed = " | ".join(r.label for r in _failed(_graded_variant(tag, name)[2]))
        for part in wanted:
            assert part in failed, (tag, name, part, failed)
    # the two tasks of the activation zoo and batch normalisation
    targets = {
        ("task_3_10", "R3-elu_mask_product_overflows"): "nan or inf where finite numbers",
        ("task_3_10", "R4-silu_overflows_for_large_negative_z"): "nan or inf where finite",
        ("task_3_10", "R1-writes_into_z"): "changed z",
        ("task_3_11", "R4-running_mean_rebound"): "update it in place",
        ("task_3_11", "R6-evaluation_updates_the_running_averages"): "evaluation mode updates "
                                                                     "nothing",
        ("task_3_11", "R7-output_computed_without_gradients"): "no gradient flows back to `x`",
        ("task_3_11", "R1-normalises_x_in_place"): "do not write into x",
    }
    for (tag, name), wanted in targets.items():
        assert wanted in " ".join(_why(_graded_variant(tag, name)[2])), (tag, name)
    # the signed-gradient mistake costs nothing but the gradient check
    points, maximum, results, _ = _graded_variant("task_3_3",
                                                  "R6-signed_instead_of_absolute_mean")
    gradients = next(r for r in results if "mean absolute weight gradients" in r.label)
    assert points == maximum - gradients.max


def test_mode_messages_say_what_to_do():
    """The old message ("during `evaluate`, the model (eval_mode) is a bool") said nothing a
    student could act on."""
    text = " ".join(_why(_graded_variant("task_3_4", "R2-no_model_eval")[2]))
    assert "training mode" in text and "model.eval()" in text
    text = " ".join(_why(_graded_variant("task_3_4", "R3-gradients_tracked")[2]))
    assert "torch.no_grad()" in text
    text = " ".join(_why(_graded_variant("task_3_3", "R2-no_model_train")[2]))
    assert "evaluation mode" in text and "model.train()" in text


def test_negative_marking_never_goes_below_zero(solution):
    _, imports, _ = solution
    flipped = "\n".join(f"{name} = {not answer}" for name, answer in TF_ANSWERS.items())
    points, _, results, _ = _grade_one(imports, "task_3_5", flipped)
    assert points == 0 and sum(r.points for r in results) == -4
    half = "\n".join(f"{name} = {answer if k < 6 else None}"
                     for k, (name, answer) in enumerate(TF_ANSWERS.items()))
    assert _grade_one(imports, "task_3_5", half)[0] == 3


def test_the_references_sgd_matches_torch_optim_exactly():
    import torch
    from grader.specs.a3_vanishing_gradients.reference import SGDCopy
    runs = []
    for make in (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.5),
                 lambda p: SGDCopy(p, lr=0.1, momentum=0.5)):
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3))
        opt, X = make(net.parameters()), torch.randn(16, 5)
        for _ in range(5):
            opt.zero_grad()
            net(X).square().mean().backward()
            opt.step()
        runs.append([p.detach().clone() for p in net.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*runs))


def test_the_zoo_reference_keeps_pytorchs_conventions():
    """The statement of Task 3.10 says what PyTorch does at z = 0 and for large |z|; the
    reference is autograd through PyTorch's modules, so a change of PyTorch shows here."""
    from grader.specs.a3_vanishing_gradients.reference import slopes_reference
    z = np.array([-100.0, 0.0, 100.0])
    got = {name: value.array for name, value in zip(
        ("leaky_relu", "elu", "silu", "gelu"),
        slopes_reference([[n, z] for n in ("leaky_relu", "elu", "silu", "gelu")])["value"])}
    assert got["leaky_relu"].tolist() == [0.01, 0.01, 1.0]
    assert got["elu"][1:].tolist() == [1.0, 1.0] and 0 < got["elu"][0] < 1e-40
    assert got["silu"][1] == got["gelu"][1] == 0.5
    assert all(np.isfinite(v).all() for v in got.values())


def test_the_batch_norm_reference_is_nn_batchnorm1d():
    """Task 3.11's reference (F.batch_norm in float64) step for step against the module the
    statement names, in training and evaluation mode, running statistics included."""
    import torch
    from grader.specs.a3_vanishing_gradients.reference import (norm_steps_inputs,
                                                                norm_steps_reference)
    inputs = norm_steps_inputs(6, 4, [True, True, False, True], 0.2, 1e-3)(
        np.random.default_rng(0))
    expected = norm_steps_reference(**inputs)
    layer = torch.nn.BatchNorm1d(4, eps=1e-3, momentum=0.2).double()
    with torch.no_grad():
        layer.weight[:] = torch.tensor(inputs["gamma"], dtype=torch.float64)
        layer.bias[:] = torch.tensor(inputs["beta"], dtype=torch.float64)
        layer.running_mean[:] = torch.tensor(inputs["running_mean"], dtype=torch.float64)
        layer.running_var[:] = torch.tensor(inputs["running_var"], dtype=torch.float64)
        for k, (batch, training) in enumerate(zip(inputs["batches"], inputs["modes"])):
            layer.train(training)
            out = layer(torch.tensor(np.asarray(batch, dtype=np.float64).T))
            assert np.allclose(out.numpy(), expected["outputs"][k].array, atol=1e-9)
            assert np.allclose(layer.running_mean.numpy(), expected["means"][k].array)
            assert np.allclose(layer.running_var.numpy(), expected["variances"][k].array)


def test_loading_the_spec_does_not_import_torch():
    code = ("import sys; from grader.specs import load_spec; load_spec(3); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- trust findings, one by one

def test_finding_collaborators_no_working_network_in_the_probes(solution):
    """Finding: `_GNet`, a working sigmoid network, was defined inside the probes, where a
    student's code could find it and adapt it. Now the collaborators are built from torch.nn
    parts and the check's inputs; the probe module defines only test doubles. A cell that
    looks for a network to borrow in the grader's kernel-side modules finds none."""
    import importlib
    import torch
    probes = importlib.import_module(PROBES)
    classes = [v for v in vars(probes).values() if isinstance(v, type)
               and v.__module__ == probes.__name__]
    assert {c.__name__ for c in classes} == {"SpyBatch", "SpyProgress"}
    assert not any(issubclass(c, torch.nn.Module) for c in classes)
    attack = '''
import sys
_borrowed = [v for name, module in list(sys.modules.items())
             if name.startswith("grader.probes") and module is not None
             for v in vars(module).values()
             if isinstance(v, type) and issubclass(v, nn.Module) and v.__module__ == name]


class ANN_relu(nn.Module):
    def __init__(self, D_in, D_out):
        super().__init__()
        self.linear1 = nn.Linear(D_in, 512)
        self.linear2 = nn.Linear(512, 1024)
        self.linear3 = nn.Linear(1024, 512)
        self.linear4 = nn.Linear(512, D_out)

    def forward(self, x):
        x = x.flatten(start_dim=1)
        for cls in _borrowed:            # a working network of the grader's, if there is one
            return cls.forward(self, x)
        return torch.zeros(len(x), self.linear4.out_features)
'''
    _, imports, _ = solution
    points, _, results, _ = _grade_one(imports, "task_3_2", attack)
    assert points == 2, _why(results)     # the two public shape checks, nothing else


def test_finding_kernel_side_verdicts_names_rebound_by_the_student(solution):
    """Finding: verdicts such as "evaluate used eval mode" were computed in the kernel with
    any/bool/isinstance, which a student's cell could rebind. Now probes return the raw
    observations (the mode and grad state of every forward pass) and the grader judges."""
    attack = '''
any = all = lambda *args: False
bool = lambda *args: True
isinstance = lambda *args: True
len = lambda *args: 0
float = lambda *args: 0.0


def evaluate(model, loader, device):
    total, correct, seen = 0.0, 0, 0
    for data, target in loader:
        data, target = data.to(device), target.to(device)
        output = model(data)
        total += F.nll_loss(output, target, reduction="sum").item()
        correct += (output.argmax(dim=1) == target).sum().item()
        seen += target.shape[0]
    return total / seen, correct / seen
'''
    _, imports, _ = solution
    _, _, results, _ = _grade_one(imports, "task_3_4", attack)
    failed = [r.label for r in _failed(results)]
    assert "`evaluate` puts the model in evaluation mode" in failed
    assert "`evaluate` does not track gradients" in failed


def test_finding_grader_only_data_never_reaches_the_kernel(monkeypatch, solution):
    """Finding: grader-only data (inputs a probe does not use, data only the judge needs) was
    sent to the kernel. Now every probe receives exactly the inputs it uses (its signature),
    and trusted-only `_` inputs (e.g. the number of reference runs) stay in the grader."""
    import inspect
    from grader import testing
    received = []

    def spy(probe, inputs, namespace, cell_file, seed=0):
        received.append((probe, dict(inputs)))
        return run_probe(probe, inputs, namespace, cell_file, seed)
    monkeypatch.setattr(testing, "run_probe", spy)
    _, imports, tasks = solution
    testing.grade_in_process(SPEC, imports, tasks)
    assert len(received) == sum(len(t.checks) for t in SPEC.tasks)
    for probe, inputs in received:
        assert not any(k.startswith("_") for k in inputs), (probe.__name__, list(inputs))
        parameters = list(inspect.signature(probe).parameters)[1:]
        assert sorted(inputs) == sorted(parameters), (probe.__name__, list(inputs))
    trusted = [k for t in SPEC.tasks for i in range(len(t.checks))
               for k in assignment_kit.material(3, t.tag, i)[0] if k.startswith("_")]
    assert trusted   # there is trusted-only data, and it was not sent


def test_finding_made_up_numbers_fail(solution):
    """Finding: behaviour checks accepted any plausible list of numbers. Now the grader replays
    training on the same network and data and compares; for random answers, the caller's seed
    must fix them. A made-up loss curve and a hand-written rule earn no hidden points."""
    made_up = '''
def train_epoch(model, loader, optimizer, device, log_interval=100):
    model.train()
    n = len(loader)
    progress = tqdm(loader)
    correct = seen = 0
    for batch, (data, target) in enumerate(progress):
        data, target = data.to(device), target.to(device)
        seen += len(target)
        if batch % log_interval == 0:
            progress.set_postfix(loss=1.0)
    return {"linear1": [1e-4 * 0.9 ** k for k in range(n)],
            "linear2": [1e-3 * 0.9 ** k for k in range(n)],
            "linear3": [1e-2 * 0.9 ** k for k in range(n)],
            "loss": [2.3 * 0.8 ** k for k in range(n)], "accuracy": 0.5}
'''
    _, imports, _ = solution
    points, _, results, _ = _grade_one(imports, "task_3_3", made_up)
    earned = sorted(r.label for r in results if r.points == r.max)
    assert points <= 3 + 1 + 1, earned            # format (public), device, progress bar at most
    rule = '''
def activation_variances(init, activation, depth=5, width=512, n=1024):
    std = {"normal_0.01": 0.01, "normal_0.1": 0.1, "1/d_in": (1 / width) ** 0.5,
           "xavier": (1 / width) ** 0.5, "kaiming": (2 / width) ** 0.5}[init]
    gain = {"tanh": 1.0, "relu": 0.34, "sigmoid": 0.04}[activation]
    return [(width * std ** 2 * gain) ** (k + 1) for k in range(depth)]
'''
    _, _, results, _ = _grade_one(imports, "task_3_8", rule)
    assert "`activation_variances` follows the caller's torch seed" in [
        r.label for r in _failed(results)]


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

def test_released_notebook_locks_the_given_network(released_notebook):
    """(Stubs and no answers in the released notebook: test_assignments.py.)"""
    nb = nbformat.read(released_notebook(3)[1], as_version=4)
    given = next(c for c in nb.cells if "class ANN_sigmoid" in c.source)
    assert given.metadata.get("editable") is False and not assignment_kit.tags(given)


# In the real sandbox, attacks that reach beyond the student's own namespace: the trusted
# modules, the call stack, torch's functions.
SANDBOX_ATTACKS = {
    # a rebound torch.is_grad_enabled does not change what the probes record (the probes bind
    # it when they are loaded, before any student code runs)
    "task_3_4": '''
torch.is_grad_enabled = lambda: False


def evaluate(model, loader, device):
    model.eval()
    total, correct, seen = 0.0, 0, 0
    for data, target in loader:
        data, target = data.to(device), target.to(device)
        output = model(data)
        total += F.nll_loss(output, target, reduction="sum").item()
        correct += (output.argmax(dim=1) == target).sum().item()
        seen += len(target)
    return total / seen, correct / seen
''',
    # nothing on the kernel's call stack holds an expected value or a reference
    "task_3_7": '''
import sys


def gradient_ratio(model, X, y):
    frame = sys._getframe(1)
    while frame is not None:
        for name, value in list(frame.f_locals.items()):
            if name in ("expected", "material", "reference", "ref") and value is not None:
                return 1.0 if not isinstance(value, dict) else value.get("value", 1.0)
        frame = frame.f_back
    return -1.0
''',
}

# The references cannot be imported in the kernel: the sandbox hides the repository.
BORROW_REFERENCE = '''
import importlib
try:
    _ref = importlib.import_module("grader.specs.a3_vanishing_gradients.reference")
except Exception:
    _ref = None


class ANN_relu(nn.Module):
    def __init__(self, D_in, D_out):
        super().__init__()
        self.linear1 = nn.Linear(D_in, 512)
        self.linear2 = nn.Linear(512, 1024)
        self.linear3 = nn.Linear(1024, 512)
        self.linear4 = nn.Linear(512, D_out)

    def forward(self, x):
        if _ref is None:
            return torch.zeros(len(x), self.linear4.out_features)
        h = x.flatten(start_dim=1)
        for layer in (self.linear1, self.linear2, self.linear3):
            h = F.relu(layer(h))
        return F.log_softmax(self.linear4(h), dim=1)
'''


def _graded_with(grader, tmp_path, attacks):
    nb = nbformat.read(SOLUTION, as_version=4)
    for cell in nb.cells:
        for tag in assignment_kit.tags(cell):
            if tag in attacks:
                cell.source = f"# Task 3.{tag[-1]}\n" + attacks[tag]
    path = tmp_path / "Assignment_3_MalloryAttacker_12345678.ipynb"
    nbformat.write(nb, path)
    return assignment_kit.graded(grader, path, 3)["tasks"]


def test_sandboxed_attacks_on_the_stack_and_on_torch_fail(sandboxed, tmp_path):
    tasks = _graded_with(sandboxed(3), tmp_path, SANDBOX_ATTACKS)
    lost = {c["label"] for c in tasks["task_3_4"]["checks"] if c["points"] < c["max"]}
    assert lost == {"`evaluate` does not track gradients"}, tasks["task_3_4"]
    assert tasks["task_3_7"]["points"] == 1, tasks["task_3_7"]   # parameters unchanged only
    untouched = [t for t in TAGS if t not in SANDBOX_ATTACKS]
    assert all(tasks[t]["points"] == SPEC.task(t).points for t in untouched)


def test_sandboxed_kernel_cannot_import_the_references(sandboxed, tmp_path):
    grader = sandboxed(3)
    if not grader.zygote.isolate:
        pytest.skip("needs the full sandbox (root on Linux): without it the repository, and "
                    "so the references, are readable by the student's code")
    tasks = _graded_with(grader, tmp_path, {"task_3_2": BORROW_REFERENCE})
    public = sum(c.points for c in SPEC.task("task_3_2").checks if c.public)
    assert tasks["task_3_2"]["points"] == public, tasks["task_3_2"]   # the shape checks only
