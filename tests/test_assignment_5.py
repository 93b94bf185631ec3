"""Assignment 5 (training deep networks in practice): the spec, its references, the requirement
table, the mistake variants, the trust boundary, the student notebook and the real sandbox.

The notebook itself (its conventions, each task on small inputs, the synthetic CIFAR-10, Run
All of the solution and of the released student notebook) is tested in
test_assignment_5_notebook.py.
"""
import functools
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

import assignment_kit

from grader.kernel_runtime import resolve
from grader.specs.a5_training_in_practice import SPEC
from grader.specs.a5_training_in_practice import reference as R
from grader.wire import to_plain
from variants.a5_training_in_practice import RIGHT, WRONG

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solutions" / SPEC.solution_name
TEMPLATE = REPO / "notebooks" / SPEC.template_name
TAGS = [task.tag for task in SPEC.tasks]
REQUIREMENT = re.compile(r"(R\d+)-[a-z0-9_.+-]+")
SCRATCH = Path(R.SCRATCH)

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module", autouse=True)
def like_a_grading_kernel():
    """Grading kernels run torch with one thread and with SPEC.preload already imported (see
    grader/sandbox); so do these tests. The probes write event files and checkpoints into
    fresh folders under /tmp (private to a sandboxed kernel; here the host's): the ones made
    by this module are removed at its end."""
    import importlib
    for module in SPEC.preload:
        importlib.import_module(module)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    before = set(SCRATCH.glob("nncourse-a5-*"))
    yield
    torch.set_num_threads(threads)
    for folder in set(SCRATCH.glob("nncourse-a5-*")) - before:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def solution():
    nb = nbformat.read(SOLUTION, as_version=4)
    return (nb, *assignment_kit.notebook_parts(nb))


# ---------------------------------------------------------------- grading in this process

def _grade_one(imports, tag, source):
    """One task graded in process, each check's references computed once per session."""
    return assignment_kit.grade_one_cached(SPEC, imports, tag, source)


def _material_of(tag, index):
    return assignment_kit.material(5, tag, index)


def _why(results):
    return [m for r in results for m in r.messages]


def _failed(results):
    return [r for r in results if r.points < r.max]


@functools.lru_cache(maxsize=None)
def _graded_variant(tag, name):
    imports = assignment_kit.notebook_parts(nbformat.read(SOLUTION, as_version=4))[0]
    table = dict(WRONG[tag]) if name in dict(WRONG[tag]) else dict(RIGHT[tag])
    return _grade_one(imports, tag, table[name])


# ---------------------------------------------------------------- the spec and the notebook

def test_loading_the_spec_imports_neither_torch_nor_tensorboard():
    code = ("import sys; from grader.specs import load_spec; load_spec(5); "
            "print('torch' in sys.modules, 'tensorboard' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.stdout.strip() == "False False"


# ---------------------------------------------------------------- mistake variants

def test_a_gated_check_says_why_it_is_not_judged():
    """Checks of a property that doing nothing would have (no side effects, nothing changed)
    count only once the call did its job, and say so."""
    _, _, results, _ = _graded_variant("task_5_2", "R12-evaluate_mean_of_batch_means")
    untouched = next(r for r in results if "leaves the parameters" in r.label)
    assert untouched.points == 0 and "not judged" in untouched.messages[0]


# ---------------------------------------------------------------- the trusted references

def _inputs(tag, index):
    return _material_of(tag, index)[0]


def test_reference_cnn_is_the_solutions_small_cnn(solution):
    """The reference forward pass (functional, from a state dict) and the solution's class
    loaded with the same weights give the same logits."""
    _, imports, tasks = solution
    namespace = {}
    exec(imports, namespace)
    exec(tasks["task_5_1"], namespace)
    for index in (2, 3, 5):
        inputs, expected = _material_of("task_5_1", index)
        weights, x = R._drawn(inputs["shapes"], inputs["scales"], inputs["seed"],
                              inputs["x_shape"])
        model = namespace["SmallCNN"](**inputs["kwargs"])
        model.load_state_dict(weights)
        model.eval()
        with torch.no_grad():
            np.testing.assert_allclose(model(x[::2]).numpy(), expected["logits"].array,
                                       rtol=1e-5, atol=1e-6)


def test_reference_training_is_torch_sgd():
    """The reference epoch steps the parameters by hand; torch.optim.SGD does the same."""
    import torch.nn.functional as F
    inputs = _inputs("task_5_2", 1)
    expected = R.ref_training(**inputs)
    model = R._probes()._flat(inputs["layers"], inputs["state"])
    optimizer = torch.optim.SGD(model.parameters(), lr=inputs["lr"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(inputs["seed"])
        for x, y in inputs["batches"]:
            optimizer.zero_grad()
            F.cross_entropy(model(torch.as_tensor(x)), torch.as_tensor(y)).backward()
            optimizer.step()
    assert list(expected["params"]) == [name for name, _ in model.named_parameters()]
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), expected["params"][name].array,
                                   rtol=1e-6, atol=1e-7)


def test_hidden_training_inputs_tell_mistakes_apart():
    """Batches of different sizes with a loud first one (a mean of batch means is far off), a
    rate large enough that accuracy after the step differs, and dropout in the model."""
    inputs = _inputs("task_5_2", 1)
    sizes = [len(y) for _, y in inputs["batches"]]
    assert len(set(sizes)) == len(sizes)
    model, losses, correct = R._training_reference(inputs["layers"], inputs["state"],
                                                   inputs["batches"], inputs["lr"],
                                                   inputs["seed"])
    per_sample = np.dot(losses, sizes) / sum(sizes)
    assert abs(np.mean(losses) - per_sample) > 0.1
    assert any(kind == "Dropout" for _, kind, _, _ in inputs["layers"])


def test_event_files_are_decoded_as_tensorboard_reads_them(tmp_path):
    """read_records gives the scalars and histogram summaries that TensorBoard's own
    EventAccumulator reads from the same file."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter
    writer = SummaryWriter(tmp_path)
    values = torch.randn(50)
    writer.add_scalar("a/b", 1.25, 3)
    writer.add_scalar("a/c", float("nan"), 4)
    writer.add_histogram("h", values, 5)
    writer.close()
    events = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0, "histograms": 0})
    events.Reload()
    (path,) = tmp_path.glob("events.out.tfevents.*")
    records = R.read_records(np.fromfile(path, dtype=np.uint8))
    assert [(s, k, t) for s, k, t, _ in records] == [(3, "scalar", "a/b"), (4, "scalar", "a/c"),
                                                     (5, "histogram", "h")]
    assert records[0][3] == events.Scalars("a/b")[0].value and math.isnan(records[1][3])
    theirs = events.Histograms("h")[0].histogram_value
    assert records[2][3] == {"num": theirs.num, "sum": theirs.sum, "min": theirs.min,
                             "max": theirs.max}
    assert records[2][3]["num"] == 50 and math.isclose(records[2][3]["sum"],
                                                       values.double().sum().item(), rel_tol=1e-9)
    # a record cut short at the end (still being written) is left out, not misread
    data = np.fromfile(path, dtype=np.uint8)
    assert [r[:3] for r in R.read_records(data[:-3])] == [r[:3] for r in records[:-1]]


def test_reference_schedule_and_rmsprop_step_are_torchs():
    """The rates of an ExponentialLR and the first step of RMSprop, as the judges recompute
    them."""
    for lrs, factor, epochs, steps in [([0.1], 0.1, 20, 20), ([0.05], 0.5, 3, 7),
                                       ([0.1, 0.02], 0.2, 5, 6)]:
        params = [torch.zeros(1, requires_grad=True) for _ in lrs]
        optimizer = torch.optim.RMSprop([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)])
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, factor ** (1 / epochs))
        rates = []
        for _ in range(steps):
            optimizer.step()
            scheduler.step()
            rates.append([g["lr"] for g in optimizer.param_groups])
        np.testing.assert_allclose(rates, R.ref_schedule(lrs, factor, epochs, steps)["rates"],
                                   rtol=1e-12)
    p = torch.full((3,), 2.0, requires_grad=True)
    optimizer = torch.optim.RMSprop([p], lr=0.03)
    p.grad = torch.full_like(p, 0.5)
    optimizer.step()
    g, alpha, eps = 0.5, R.RMSPROP_DEFAULTS["alpha"], R.RMSPROP_DEFAULTS["eps"]
    assert torch.optim.RMSprop([torch.zeros(1)]).defaults["alpha"] == alpha
    np.testing.assert_allclose(p.detach().numpy(),
                               2.0 - 0.03 * g / (math.sqrt((1 - alpha) * g * g) + eps), rtol=1e-6)


def test_reference_merge_and_cross_entropy_are_torchs():
    import torch.nn.functional as F
    logits = np.random.default_rng(0).normal(size=(5, 10)) * 30
    p = F.softmax(torch.tensor(logits), dim=1).numpy()
    merged = R.ref_merge(logits)["value"].array
    np.testing.assert_allclose(merged[:, :3], p[:, [1, 3, 9]], rtol=1e-12)
    np.testing.assert_allclose(merged.sum(axis=1), 1.0, rtol=1e-12)
    inputs = R.cross_entropy_inputs(6, 5, 1e4, soft=True)(np.random.default_rng(1))
    theirs = F.cross_entropy(torch.tensor(inputs["logits"]), torch.tensor(inputs["targets"]))
    assert math.isclose(R.ref_cross_entropy(**inputs)["value"].array, theirs.item(),
                        rel_tol=1e-12)


def test_hidden_inputs_sit_on_the_boundaries():
    # early stopping: a loss exactly min_delta below the best (no improvement), then a nan
    inputs = _inputs("task_5_6", 1)
    losses, delta = inputs["losses"], inputs["min_delta"]
    assert losses[1] == losses[0] - delta and any(math.isnan(v) for v in losses)
    assert losses[6] == losses[3] - delta
    trace = R.ref_stopping(**inputs)
    assert any(trace["returned"]) and not all(trace["returned"])
    # the checkpoint: improvements and non-improvements alternate, the last call is not one
    files = R.ref_stopping(**_inputs("task_5_6", 3))["files"]
    assert files[-1] == files[-2] and files[2] == files[1] and files[4] != files[3]
    # best_rate: the winner's minimum comes after a nan; a -inf, an all-inf history, and a
    # history whose last value is lower than the winner's
    pairs = _inputs("task_5_4", 6)["pairs"]
    histories = [h["train_loss"] for _, h in pairs]
    assert math.isnan(histories[0][0]) and any(-math.inf in h for h in histories)
    assert any(all(math.isinf(v) for v in h) for h in histories)
    winner = R.ref_best_rate(pairs, "train_loss")["value"]
    assert winner == pairs[0][0] and min(h[-1] for h in histories[1:] if math.isfinite(h[-1])) \
        < histories[0][-1]
    # one_hot: the largest class is absent; cross-entropy: logits of size 1e4
    assert _inputs("task_5_10", 1)["y"].max() < 9
    assert np.abs(_inputs("task_5_10", 3)["logits"]).max() > 1e3
    # unfreeze_top: the convolutions' rate is the larger one (swapped arguments show)
    inputs = _inputs("task_5_9", 3)
    assert inputs["lr_conv"] > inputs["lr_head"]


# ---------------------------------------------------------------- the trust boundary

def test_the_probe_module_follows_the_rules_and_builds_no_network_of_a_task():
    """The probes call and observe: no comparisons, branches, aggregation or student names
    (tests/test_probe_rules.py), and the models they build are torch.nn parts: the containers
    for Tasks 5.8 and 5.9 have SmallCNN's layer names but no forward pass."""
    import test_probe_rules
    module = REPO / "grader" / "probes" / "a5_training_in_practice.py"
    assert test_probe_rules._problems(module, test_probe_rules.student_names()) == []
    for task in SPEC.tasks:
        for check in task.checks:
            assert re.fullmatch(r"(common|a5_training_in_practice)\.[a-z_]+", check.probe)
    probes = R._probes()
    container = probes._layered(R.cnn_layers(4), 0)
    with pytest.raises(NotImplementedError):
        container(torch.zeros(1, 3, 32, 32))
    assert "def forward" not in module.read_text()


def test_what_the_kernel_receives():
    """Every check sends exactly what its probe takes; nothing in it is a reference or an
    expected value, and no tensor or dict with non-string keys (plain data only)."""
    import inspect
    for task in SPEC.tasks:
        for index, check in enumerate(task.checks):
            inputs, expected = _material_of(task.tag, index)
            sent = check.kernel_inputs(inputs)
            assert sent == inputs     # this spec keeps no grader-only inputs: see the report
            inspect.signature(resolve(check.probe)).bind(None, **sent)
            text = json.dumps(to_plain(sent))
            assert "__unsupported__" not in text and "__tensor__" not in text, (task.tag, index)


FABRICATED_TRAINING = '''
def train_epoch(model, loader, optimizer, device, desc="train"):
    """Plausible numbers, reproducible, and no training at all."""
    model.train()
    sizes = [len(y) for _, y in tqdm(loader, desc=desc, leave=False)]
    return 1.0 / (1 + len(sizes)), 0.5 + 0.01 * len(sizes)
'''

FAKED_LOGS = '''
def log_epoch(writer, model, epoch, metrics):
    """The right tags at the right steps, with made-up histograms of zeros."""
    for tag, value in metrics.items():
        writer.add_scalar(tag, float(value), epoch)
    for name, p in model.named_parameters():
        if p.requires_grad and torch.isfinite(p).all():
            writer.add_histogram(f"weights/{name}", torch.zeros(p.numel()), epoch)
        if p.requires_grad and p.grad is not None and torch.isfinite(p.grad).all():
            writer.add_histogram(f"gradients/{name}", torch.zeros(p.numel()), epoch)
    writer.flush()
'''

OWN_WRITER = '''
def log_epoch(writer, model, epoch, metrics):
    """Right records, written to a writer of its own (in the working folder): the caller's
    event file gets nothing."""
    own = SummaryWriter("runs/mine")
    for tag, value in metrics.items():
        own.add_scalar(tag, float(value), epoch)
    own.flush()
    writer.flush()
'''


def test_made_up_results_fail(solution, tmp_path, monkeypatch):
    """Numbers are recomputed on the trusted side: an epoch that trains nothing, histograms
    that summarise nothing, records written elsewhere than to the given writer all fail."""
    _, imports, tasks = solution
    evaluate = tasks["task_5_2"][tasks["task_5_2"].index("def evaluate"):]
    _, _, results, _ = _grade_one(imports, "task_5_2", FABRICATED_TRAINING + "\n\n" + evaluate)
    trains = [r for r in results if "train_epoch" in r.label and "tqdm" not in r.label
              and "device" not in r.label and "training mode" not in r.label]
    assert trains and all(r.points == 0 for r in trains), _why(trains)
    _, _, results, _ = _grade_one(imports, "task_5_3", FAKED_LOGS)
    contents = [r for r in results if "read back" in r.label]
    assert contents[0].points == 0 and "do not summarise" in contents[0].messages[0]
    monkeypatch.chdir(tmp_path)
    points, _, results, _ = _grade_one(imports, "task_5_3", OWN_WRITER)
    hidden = [r for r in results if not r.public]
    assert points == 0 and all(r.points == 0 for r in hidden), _why(results)


TORCH_LIES = '''
_yes = lambda *args, **kwargs: torch.tensor(True)
for _name in ("__eq__", "__ne__", "equal", "allclose", "any", "all", "isclose"):
    setattr(torch.Tensor, _name, _yes)
torch.equal = torch.allclose = lambda *args, **kwargs: True
'''


def test_patched_torch_comparisons_change_no_verdict(solution):
    """The verdicts are made on the trusted side, so a cell that makes every torch comparison
    say yes gains nothing: a network without dropout still fails the dropout check."""
    _, imports, tasks = solution
    saved = {n: getattr(torch.Tensor, n) for n in ("__eq__", "__ne__", "equal", "allclose",
                                                   "any", "all", "isclose")}
    saved_module = (torch.equal, torch.allclose)
    source = dict(WRONG["task_5_1"])["R6-dropout_before_fc1"] + TORCH_LIES
    try:
        _, _, results, _ = _grade_one(imports, "task_5_1", source)
    finally:
        for name, method in saved.items():
            setattr(torch.Tensor, name, method)
        torch.equal, torch.allclose = saved_module
    dropout = next(r for r in results if "dropout in training" in r.label)
    assert dropout.points == 0, dropout.messages


COERCION_BAIT = '''
import os


class Lazy:
    """Decides only when someone asks: a probe that coerced in the kernel would ask."""

    def __init__(self, value):
        self.value = value

    def __bool__(self):
        os.environ["A5_COERCED"] = "1"
        return bool(self.value)

    def __float__(self):
        os.environ["A5_COERCED"] = "1"
        return float(self.value)

    def __index__(self):
        os.environ["A5_COERCED"] = "1"
        return int(self.value)
'''


def test_answers_are_never_coerced_in_the_kernel(solution):
    """What `step` and `train_epoch` return goes to the grader as it is: objects that would
    change their answer when coerced are never asked, and fail (a bool, floats are asked)."""
    _, imports, tasks = solution
    os.environ.pop("A5_COERCED", None)
    source = COERCION_BAIT + tasks["task_5_6"].replace(
        "return self.counter >= self.patience", "return Lazy(self.counter >= self.patience)")
    _, _, results, _ = _grade_one(imports, "task_5_6", source)
    trace = [r for r in results if "calls of `step`" in r.label or "returns a bool" in r.label]
    assert "A5_COERCED" not in os.environ
    assert trace and all(r.points == 0 for r in trace), _why(trace)


# ---------------------------------------------------------------- the student notebook

# ---------------------------------------------------------------- the real sandbox

STACK_BORROWER = '''
import sys


def _borrow():
    """Walk the whole stack, looking for anything a grader might have left: a reference, an
    expected value, a judge."""
    frame = sys._getframe()
    while frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            for key, value in list(scope.items()):
                name = str(key).lower()
                if name in ("expected", "reference", "judge") or name.startswith(
                        ("ref_", "verify_", "expected")):
                    return value
        frame = frame.f_back
    return None


def relabel(labels):
    if _borrow() is not None:        # something to copy from: then do it right
        mapping = torch.full((10,), 3, dtype=torch.long)
        mapping[1], mapping[3], mapping[9] = 0, 1, 2
        return mapping[labels]
    return labels.clone()
'''


def test_sandboxed_attacks_fail_and_mistakes_cost_the_same_as_in_process(sandboxed, solution,
                                                                         tmp_path):
    """In the real sandbox: code that walks the stack finds no reference (in process it would
    find the grader's own frames); a log_epoch that writes elsewhere gets nothing (the event
    file is read back from the writer it was given); two ordinary mistakes, one of them in
    the checkpoint files, cost exactly what they cost in process."""
    nb, imports, tasks = solution
    relabel_rest = tasks["task_5_7"][tasks["task_5_7"].index("def merge_probabilities"):]
    swaps = {
        "task_5_3": OWN_WRITER,
        "task_5_6": dict(WRONG["task_5_6"])["R5-saves_every_epoch"],
        "task_5_7": "AUTOMOBILE, CAT, TRUCK = 1, 3, 9\n" + STACK_BORROWER + "\n\n" + relabel_rest,
        "task_5_9": dict(WRONG["task_5_9"])["R7-momentum_added"],
    }
    for cell in nb.cells:
        for tag in assignment_kit.tags(cell):
            if tag in swaps:
                cell.source = swaps[tag]
    path = tmp_path / "Assignment_5_AlanTuring_11223344.ipynb"
    nbformat.write(nb, path)
    result = assignment_kit.graded(sandboxed(5), path, 5)
    in_process = assignment_kit.grade_cached(SPEC, imports, {tag: swaps[tag] for tag in ("task_5_6", "task_5_9")})
    lost = {tag for tag, t in result["tasks"].items() if t["points"] < t["max"]}
    assert lost == set(swaps), lost
    hidden = [c for c in result["tasks"]["task_5_7"]["checks"]
              if not c["public"] and "relabel" in c["label"]]
    assert hidden and all(c["points"] == 0 for c in hidden)
    assert all(c["points"] == 0 for c in result["tasks"]["task_5_3"]["checks"]
               if not c["public"])
    for tag in ("task_5_6", "task_5_9"):
        assert result["tasks"][tag]["points"] == in_process[tag][0], tag
