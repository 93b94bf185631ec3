"""Assignment 5 (training deep networks in practice): the solution notebook, its data, its tasks.

The grading of the tasks (spec, variants, sandbox) is tested in test_assignment_5.py. This module
checks the notebook itself:

* the notebook follows the authoring conventions (tags, check cells, written questions with
  model answers, points adding up to 100, demonstrations that wait for their tasks with
  ``if done(...)``);
* every task cell runs on its own after the imports cell, as the grader will run it, and its
  functions do what their docstrings say on small inputs;
* the synthetic CIFAR-10 of data/fake_cifar10.py is read alike by torchvision's reader and by
  the notebook's loader, and a failed download stops with the message the notebook promises;
* the solution notebook runs top to bottom in quick mode with every self-check passing, and the
  released student notebook (as ``grader release`` makes it, without the repository) runs to
  the end, every demonstration skipping itself with one line.

Run as a script (``python tests/test_assignment_5_notebook.py full``) to time the notebook in
full mode on a full-size synthetic CIFAR-10.
"""
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import nbformat
import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solutions" / "assignment_5_training_in_practice.ipynb"
FAKE_DATA = REPO / "data" / "fake_cifar10.py"
POINTS = {1: 8, 2: 12, 3: 7, 4: 8, 5: 5, 6: 9, 7: 7, 8: 7, 9: 7, 10: 5, 11: 5}
WRITTEN = {1: 5, 2: 3, 3: 5, 4: 3, 5: 4}
GUARD = re.compile(r'^if done\((.*)\):$', re.M)

torch = pytest.importorskip("torch")


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(SOLUTION, as_version=4)


def _cell(nb, tag):
    return next(c for c in nb.cells if tag in _tags(c))


def _namespace(nb, tag):
    """What the grader will see for one task: the imports cell, then the task cell, nothing else."""
    namespace = {"__name__": "__main__"}
    exec(_cell(nb, "imports").source, namespace)
    exec(_cell(nb, tag).source, namespace)
    return namespace


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module", autouse=True)
def _scratch_folders():
    """The self-checks of Tasks 5.3 and 5.6 write small event files and checkpoints into fresh
    folders /tmp/nncourse-a5-*: the ones made by this module's notebook runs are removed."""
    before = set(Path("/tmp").glob("nncourse-a5-*"))
    yield
    for folder in set(Path("/tmp").glob("nncourse-a5-*")) - before:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- conventions

def test_notebook_follows_the_authoring_conventions(nb):
    meta = nb.metadata["nncourse"]
    assert meta["assignment"] == 5 and meta["title"] and re.fullmatch(r"\w+", meta["topic"])
    code = [c for c in nb.cells if c.cell_type == "code" and "instructor" not in _tags(c)]
    assert _tags(code[0]) == ["imports"] and _tags(code[1]) == ["selfcheck"]
    assert code[1].source == ("from grader.selfcheck import check\n"
                              "from grader.demo_cells import done")
    tasks = [(i, t) for i, c in enumerate(nb.cells) for t in _tags(c) if t.startswith("task_")]
    assert [t for _, t in tasks] == [f"task_5_{k}" for k in POINTS]
    for index, tag in tasks:
        k = int(tag.split("_")[2])
        source = nb.cells[index].source
        assert source.startswith(f"# Task 5.{k} ({POINTS[k]} points):"), tag
        assert source.count("### BEGIN SOLUTION") == source.count("### END SOLUTION") >= 1
        assert nb.cells[index + 1].source == f'check("{tag}")', tag
    assert sum(POINTS.values()) + sum(WRITTEN.values()) == 100
    answers = [(i, c) for i, c in enumerate(nb.cells) if "answer" in _tags(c)]
    assert [c.metadata["nncourse"]["question"] for _, c in answers] == \
        [f"answer_5_{k}" for k in WRITTEN]
    for (index, cell), k in zip(answers, WRITTEN):
        assert cell.cell_type == "markdown"
        assert f"**Question 5.{k} ({WRITTEN[k]} points).**" in nb.cells[index - 1].source
        model = nb.cells[index + 1]
        assert _tags(model) == ["instructor"] and model.source.startswith("**Model answer.**")
    intro = nb.cells[0].source
    for k, points in POINTS.items():
        assert re.search(rf"\| 5\.{k} \|.*\| {points} \|", intro), k


def test_demonstrations_wait_for_their_tasks_and_download_is_the_default(nb):
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "datasets.CIFAR10(root=root, train=True, download=True)" in text
    assert "when_done" not in text and len(GUARD.findall(text)) >= 20
    for cell in nb.cells:  # every cell that calls a task's function waits for it
        if cell.cell_type == "code" and not _tags(cell) and not GUARD.search(cell.source):
            for name in ("SmallCNN(", "train_epoch(", "lr_search(", "relabel(",
                         "prepare_transfer(", "one_factor_grid(", "softmax_cross_entropy("):
                assert name not in cell.source, (name, cell.source[:80])


def test_release_accepts_the_guards():
    """``grader release`` follows every name to the tasks that define it: each demonstration
    names all the tasks it needs (a missing one would be a problem of the release)."""
    from grader import release
    release.student_version(release.read_solution(SOLUTION), name=SOLUTION.name)


# ---------------------------------------------------------------- the tasks, each on its own

def test_task_5_1_small_cnn(nb):
    ns = _namespace(nb, "task_5_1")
    torch.manual_seed(0)
    model = ns["SmallCNN"]()
    keys = [f"{layer}.{p}" for layer in ("conv1", "conv2", "conv3", "conv4", "fc1", "fc2")
            for p in ("weight", "bias")]
    assert list(model.state_dict()) == keys
    assert sum(p.numel() for p in model.parameters()) == 198_058
    assert model.dropout.p == 0.3 and ns["SmallCNN"](4, dropout=0.5).dropout.p == 0.5
    x = torch.randn(3, 3, 32, 32)
    model.eval()
    F = torch.nn.functional
    h = F.max_pool2d(F.relu(model.conv1(x)), 2)
    h = F.max_pool2d(F.relu(model.conv2(h)), 2)
    h = F.max_pool2d(F.relu(model.conv4(F.relu(model.conv3(h)))), 2)
    expected = model.fc2(F.relu(model.fc1(h.flatten(1))))
    assert torch.allclose(model(x), expected, atol=1e-6)
    assert ns["SmallCNN"](n_classes=4)(x).shape == (3, 4)
    model.train()
    assert not torch.equal(model(x), model(x))  # dropout is active in training mode


def _tiny_problem(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Dropout(0.0),
                                torch.nn.Linear(8, 3))
    batches = [(torch.randn(n, 5), torch.randint(0, 3, (n,))) for n in (4, 4, 3)]
    return model, batches


def test_task_5_2_train_epoch_and_evaluate(nb):
    ns = _namespace(nb, "task_5_2")
    model, batches = _tiny_problem()
    reference = [p.detach().clone() for p in model.parameters()]
    # the reference loop: per-sample mean of the losses and accuracy before each step
    ref_model, _ = _tiny_problem()
    ref_opt = torch.optim.SGD(ref_model.parameters(), lr=0.1)
    total, correct = 0.0, 0
    for x, y in batches:
        ref_opt.zero_grad()
        logits = ref_model(x)
        loss = torch.nn.functional.cross_entropy(logits, y)
        loss.backward()
        ref_opt.step()
        total += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
    for p in model.parameters():
        p.grad = torch.full_like(p, 100.0)  # stale gradients must be cleared
    model.eval()
    loss, acc = ns["train_epoch"](model, batches, torch.optim.SGD(model.parameters(), lr=0.1),
                                  "cpu")
    assert type(loss) is float and type(acc) is float and model.training
    assert math.isclose(loss, total / 11, rel_tol=1e-6) and math.isclose(acc, correct / 11)
    for p, q in zip(model.parameters(), ref_model.parameters()):
        assert torch.allclose(p, q, atol=1e-6)
    assert not all(torch.equal(p, r) for p, r in zip(model.parameters(), reference))

    before = [p.detach().clone() for p in model.parameters()]
    loss, acc = ns["evaluate"](model, batches, "cpu")
    losses = [torch.nn.functional.cross_entropy(model(x), y, reduction="sum").item()
              for x, y in batches]
    assert not model.training and type(loss) is float
    assert math.isclose(loss, sum(losses) / 11, rel_tol=1e-6)
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


def _read_events(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0})
    events.Reload()
    return events


def test_task_5_3_log_epoch_writes_what_is_read_back(nb, tmp_path):
    ns = _namespace(nb, "task_5_3")
    model, batches = _tiny_problem()
    model[0].weight.requires_grad = False  # frozen: not logged
    torch.nn.functional.cross_entropy(model(batches[0][0]), batches[0][1]).backward()
    model[3].bias.grad = None  # no gradient: only its weights are logged
    before = [(p.detach().clone(), None if p.grad is None else p.grad.clone())
              for p in model.parameters()]
    writer = ns["SummaryWriter"](tmp_path / "run")
    for epoch in (0, 1):
        assert ns["log_epoch"](writer, model, epoch, {"loss/train": 1.5 - epoch,
                                                      "loss/val": float("nan")}) is None
    with torch.no_grad():
        model[3].weight[0, 0] = float("nan")  # a histogram of nan values is skipped
    ns["log_epoch"](writer, model, 2, {"loss/train": 0.25})
    events = _read_events(tmp_path / "run")
    tags = events.Tags()
    assert sorted(tags["scalars"]) == ["loss/train", "loss/val"]
    assert [(e.step, e.value) for e in events.Scalars("loss/train")] == \
        [(0, 1.5), (1, 0.5), (2, 0.25)]
    assert math.isnan(events.Scalars("loss/val")[0].value)
    assert sorted(tags["histograms"]) == sorted([
        "weights/0.bias", "gradients/0.bias", "weights/3.weight", "gradients/3.weight",
        "weights/3.bias"])
    assert [e.step for e in events.Histograms("weights/3.weight")] == [0, 1]
    assert [e.step for e in events.Histograms("weights/0.bias")] == [0, 1, 2]
    histogram = events.Histograms("gradients/3.weight")[0].histogram_value
    assert histogram.num == 24 and math.isclose(histogram.sum, before[2][1].sum().item(),
                                                rel_tol=1e-5, abs_tol=1e-6)
    assert len(list((tmp_path / "run").glob("events.out.tfevents.*"))) == 1  # writer not closed
    writer.close()


def test_task_5_4_lr_search(nb):
    ns = _namespace(nb, "task_5_4")
    rates = ns["geometric_rates"](1e-5, 1e-1, 4)
    assert all(type(r) is float for r in rates)
    assert np.allclose(rates, np.geomspace(1e-5, 1e-1, 4), rtol=1e-12)
    seen = []

    def train_fn(model, optimizer):
        seen.append((type(optimizer), optimizer.param_groups[0]["lr"],
                     optimizer.param_groups[0]["alpha"], model.weight.detach().clone(),
                     [id(p) for p in optimizer.param_groups[0]["params"]] ==
                     [id(p) for p in model.parameters()]))
        return {"val_loss": [1.0 / optimizer.param_groups[0]["lr"]]}

    results = ns["lr_search"](lambda: torch.nn.Linear(3, 2), train_fn, [0.3, 0.01, 0.1], seed=7)
    assert list(results) == [0.3, 0.01, 0.1]
    assert [lr for _, lr, *_ in seen] == [0.3, 0.01, 0.1]
    assert all(kind is torch.optim.RMSprop and alpha == 0.99 and same
               for kind, _, alpha, _, same in seen)
    torch.manual_seed(7)
    expected = torch.nn.Linear(3, 2).weight  # every model starts from the seeded weights
    assert all(torch.equal(weight, expected) for *_, weight, _ in seen)
    histories = {1.0: {"val_loss": [2.0, float("nan")]}, 2.0: {"val_loss": [float("inf")]},
                 3.0: {"val_loss": [3.0, 1.5, float("nan")]}, 4.0: {"val_loss": [1.5]}}
    assert ns["best_rate"](histories) == 3.0
    assert ns["best_rate"]({1: {"acc": [0.5]}, 2: {"acc": [0.2]}}, key="acc") == 2
    with pytest.raises(ValueError):
        ns["best_rate"]({1.0: {"val_loss": [float("nan")]}})


def test_task_5_5_exponential_scheduler(nb):
    ns = _namespace(nb, "task_5_5")
    a, b = torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.RMSprop([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.02}])
    scheduler = ns["make_exponential_scheduler"](optimizer, 0.1, 20)
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.02]
    for k in range(1, 25):
        optimizer.step()
        scheduler.step()
        for group, start in zip(optimizer.param_groups, (0.1, 0.02)):
            assert math.isclose(group["lr"], start * 0.1 ** (k / 20), rel_tol=1e-9)


def test_task_5_6_early_stopping_saves_and_restores_from_disk(nb, tmp_path):
    ns = _namespace(nb, "task_5_6")
    model = torch.nn.Linear(3, 2)
    path = tmp_path / "new" / "folder" / "best.pt"
    stopper = ns["EarlyStopping"](path, patience=2)
    states = []
    stops = []
    for loss in (3.0, 2.0, 2.5, float("nan"), 1.0, 1.0, 1.2):
        with torch.no_grad():
            model.weight.add_(1.0)
        states.append({k: v.clone() for k, v in model.state_dict().items()})
        stops.append(stopper.step(loss, model))
    assert stops == [False, False, False, True, False, False, True]
    assert (stopper.best_loss, stopper.best_epoch, stopper.counter, stopper.epochs) == \
        (1.0, 4, 2, 7)
    saved = torch.load(path, weights_only=True)
    assert saved.keys() == states[4].keys()
    assert all(torch.equal(saved[k], states[4][k]) for k in saved)
    torch.save({k: v * 0 + 5 for k, v in states[1].items()}, path)  # restore reads the file
    assert stopper.restore(model) is model and torch.all(model.weight == 5)


def test_task_5_7_relabel_and_merge(nb):
    ns = _namespace(nb, "task_5_7")
    labels = torch.arange(10).repeat(2, 1)
    kept = labels.clone()
    out = ns["relabel"](labels)
    assert out.dtype == torch.long and out.shape == (2, 10) and torch.equal(labels, kept)
    assert out[0].tolist() == [3, 0, 3, 1, 3, 3, 3, 3, 3, 2]
    logits = torch.randn(5, 10, dtype=torch.float64, requires_grad=True)
    merged = ns["merge_probabilities"](logits)
    p = torch.softmax(logits.detach(), dim=1)
    assert merged.shape == (5, 4) and merged.dtype == torch.float64 and not merged.requires_grad
    assert torch.allclose(merged[:, :3], p[:, [1, 3, 9]])
    assert torch.allclose(merged.sum(1), torch.ones(5, dtype=torch.float64))


def test_task_5_8_and_5_9_freeze_and_unfreeze(nb):
    cnn = _namespace(nb, "task_5_1")["SmallCNN"]
    freeze, unfreeze = _namespace(nb, "task_5_8"), _namespace(nb, "task_5_9")
    torch.manual_seed(0)
    model = cnn()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(3)
    assert freeze["prepare_transfer"](model, n_classes=4) is model
    torch.manual_seed(3)
    fresh = torch.nn.Linear(128, 4)
    assert torch.equal(model.fc2.weight, fresh.weight)
    for name, param in model.named_parameters():
        assert param.requires_grad == name.startswith("fc"), name
        if not name.startswith("fc2"):
            assert torch.equal(param, before[name])
    trainable = freeze["trainable_parameters"](model)
    assert [id(p) for p in trainable] == [id(p) for p in model.parameters() if p.requires_grad]
    assert len(trainable) == 4

    optimizer = unfreeze["unfreeze_top"](model, lr_conv=1e-4, lr_head=1e-3)
    assert type(optimizer) is torch.optim.RMSprop and len(optimizer.param_groups) == 2
    conv = [*model.conv3.parameters(), *model.conv4.parameters()]
    head = [*model.fc1.parameters(), *model.fc2.parameters()]
    for group, params, lr in zip(optimizer.param_groups, (conv, head), (1e-4, 1e-3)):
        assert [id(p) for p in group["params"]] == [id(p) for p in params] and group["lr"] == lr
        assert group["alpha"] == 0.99 and group["momentum"] == 0 and group["eps"] == 1e-8
    assert [name for name, p in model.named_parameters() if not p.requires_grad] == \
        ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"]


def test_task_5_10_one_hot_and_cross_entropy(nb):
    ns = _namespace(nb, "task_5_10")
    y = torch.tensor([2, 0, 2])
    targets = ns["one_hot"](y, 4)
    assert targets.dtype == torch.float32 and targets.tolist() == \
        [[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 1, 0]]
    z = torch.randn(3, 4, requires_grad=True)
    loss = ns["softmax_cross_entropy"](z, targets)
    assert loss.dim() == 0
    assert torch.allclose(loss, torch.nn.functional.cross_entropy(z, y))
    loss.backward()
    assert torch.allclose(z.grad, (torch.softmax(z.detach(), 1) - targets) / 3, atol=1e-7)
    soft = torch.tensor([[0.5, 0.5, 0.0, 0.0]])
    assert torch.allclose(ns["softmax_cross_entropy"](torch.zeros(1, 4), soft),
                          torch.tensor(math.log(4)))
    huge = ns["softmax_cross_entropy"](torch.tensor([[1e4, 0.0, -1e4]]),
                                       torch.tensor([[0.0, 1.0, 0.0]]))
    assert torch.isfinite(huge) and math.isclose(huge.item(), 1e4)


def test_task_5_11_grid_and_summary(nb):
    ns = _namespace(nb, "task_5_11")
    base, options = {"a": 1, "b": 2}, {"a": [0, 1, 5], "b": [2, 3]}
    grid = ns["one_factor_grid"](base, options)
    assert grid == [{"a": 1, "b": 2}, {"a": 0, "b": 2}, {"a": 5, "b": 2}, {"a": 1, "b": 3}]
    assert base == {"a": 1, "b": 2} and all(g is not base for g in grid)
    records = [{"a": 2, "b": 1, "seed": 0, "val_acc": 0.5}, {"a": 1, "b": 1, "seed": 0,
               "val_acc": 0.9}, {"a": 2, "b": 1, "seed": 1, "val_acc": 0.7}]
    rows = ns["summarise_study"](records, ["a", "b"])
    assert [(r["a"], r["b"], r["n"]) for r in rows] == [(2, 1, 2), (1, 1, 1)]
    assert math.isclose(rows[0]["mean"], 0.6) and math.isclose(rows[0]["std"], math.sqrt(0.02))
    assert rows[1]["std"] == 0.0 and records[0] == {"a": 2, "b": 1, "seed": 0, "val_acc": 0.5}


# ---------------------------------------------------------------- the synthetic CIFAR-10

def _loader(nb):
    namespace = {}
    exec(_cell(nb, "imports").source, namespace)
    exec(next(c.source for c in nb.cells if "def load_cifar10" in c.source), namespace)
    return namespace


def test_fake_cifar10_is_read_by_torchvision_and_by_the_notebooks_loader(nb, tmp_path):
    datasets = pytest.importorskip("torchvision.datasets")
    import torchvision.datasets.cifar as cifar
    subprocess.run([sys.executable, str(FAKE_DATA), str(tmp_path), "--per-batch", "30",
                    "--test", "40"], check=True, capture_output=True)
    x_train, y_train, x_test, y_test, classes = _loader(nb)["load_cifar10"](tmp_path)
    assert x_train.shape == (150, 3, 32, 32) and x_train.dtype == np.uint8
    assert y_train.dtype == np.int64 and x_test.shape == (40, 3, 32, 32)
    assert classes == ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                       "horse", "ship", "truck"]
    # torchvision's own reader, with only its checksum test switched off (the MD5 sums of the
    # real files cannot match synthetic ones)
    with mock.patch.object(cifar, "check_integrity", return_value=True):
        train = datasets.CIFAR10(root=tmp_path, train=True, download=False)
        test = datasets.CIFAR10(root=tmp_path, train=False, download=False)
    assert np.array_equal(train.data, x_train.transpose(0, 2, 3, 1))
    assert train.targets == y_train.tolist() and test.targets == y_test.tolist()
    assert np.array_equal(test.data, x_test.transpose(0, 2, 3, 1)) and train.classes == classes
    image, label = train[0]
    assert image.size == (32, 32) and label == y_train[0]
    # and without the switch torchvision refuses them, which is why the notebook has a loader
    with pytest.raises(RuntimeError):
        datasets.CIFAR10(root=tmp_path, train=True, download=False)
    # deterministic, and every class looks different on average
    again = tmp_path / "again"
    subprocess.run([sys.executable, str(FAKE_DATA), str(again), "--per-batch", "30",
                    "--test", "40"], check=True, capture_output=True)
    for name in ("data_batch_1", "test_batch", "batches.meta"):
        assert (tmp_path / "cifar-10-batches-py" / name).read_bytes() == \
            (again / "cifar-10-batches-py" / name).read_bytes()
    means = np.stack([x_train[y_train == k].mean(0) for k in range(10)])
    gaps = np.abs(means[:, None] - means[None]).mean(axis=(2, 3, 4))
    assert set(y_train.tolist()) == set(range(10)) and gaps[~np.eye(10, dtype=bool)].min() > 5
    # --hard: the same format; about 20% of the training labels redrawn, test labels clean
    hard = tmp_path / "hard"
    subprocess.run([sys.executable, str(FAKE_DATA), str(hard), "--per-batch", "200",
                    "--test", "40", "--hard"], check=True, capture_output=True)
    subprocess.run([sys.executable, str(FAKE_DATA), str(tmp_path / "easy"), "--per-batch", "200",
                    "--test", "40"], check=True, capture_output=True)
    hard_data = _loader(nb)["load_cifar10"](hard, download=False)
    easy_data = _loader(nb)["load_cifar10"](tmp_path / "easy", download=False)
    changed = np.mean(hard_data[1] != easy_data[1])
    assert 0.12 < changed < 0.24 and np.array_equal(hard_data[3], easy_data[3])


def test_a_failed_download_says_what_to_do(nb, tmp_path):
    namespace = _loader(nb)

    class Offline:
        def __init__(self, *args, **kwargs):
            raise OSError("network is unreachable")

    namespace["datasets"] = mock.Mock(CIFAR10=Offline)
    with pytest.raises(RuntimeError) as error:
        namespace["load_cifar10"](tmp_path)
    message = str(error.value)
    assert "could not be downloaded (OSError: network is unreachable)" in message
    assert "https://www.cs.toronto.edu/~kriz/cifar.html" in message
    assert str(tmp_path.resolve()) in message and "run this cell again" in message
    with pytest.raises(FileNotFoundError):
        namespace["load_cifar10"](tmp_path, download=False)


# ---------------------------------------------------------------- running the notebooks

def _run(nb, work, small=True, data=None, repository=True):
    """Execute `nb` in folder `work`; returns (seconds, outputs). With ``repository`` the
    kernel can import the grader (a solution notebook's selfcheck cell does); without, it runs
    as on a student's machine."""
    from nbclient import NotebookClient
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(nb), as_version=4))
    env = {"NNCOURSE_DATA": str(data or work / "data"), "MPLBACKEND": "agg",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO) if repository else None,
                                                       os.environ.get("PYTHONPATH")]))}
    if small:
        env["NNCOURSE_SMALL"] = "1"
    saved = {k: os.environ.get(k) for k in [*env, "NNCOURSE_SMALL"]}
    os.environ.update(env)
    if not small:
        os.environ.pop("NNCOURSE_SMALL", None)
    started = time.perf_counter()
    try:
        NotebookClient(nb, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": str(work)}}).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return time.perf_counter() - started, nb


def _printed(nb):
    return [(i, o.get("text", "")) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.get("outputs", []) if o.output_type == "stream"]


def _errors(nb):
    return [(i, o.ename, o.evalue) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.get("outputs", []) if o.output_type == "error"]


def test_solution_notebook_runs_top_to_bottom_in_quick_mode(nb, tmp_path):
    subprocess.run([sys.executable, str(FAKE_DATA), str(tmp_path / "data")], check=True,
                   capture_output=True)
    seconds, done = _run(nb, tmp_path)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"solution notebook (NNCOURSE_SMALL=1): {seconds:.1f} s; largest child process so "
          f"far {peak:.0f} MB")
    assert not _errors(done)
    printed = "".join(text for _, text in _printed(done))
    assert "400 training, 200 validation, 400 transfer and 200 test images" in printed
    assert "not done yet" not in printed
    assert "FAIL" not in printed and printed.count("PASS task_5_") == len(POINTS)
    assert "largest change of a frozen weight: 0.0;" in printed
    assert "(differs from the best epoch's by 0.0e+00)" in printed
    assert (tmp_path / "checkpoints" / "cifar10_best.pt").exists()
    runs = {p.parent.name for p in (tmp_path / "runs").rglob("events.out.tfevents.*")}
    assert runs == {"lr_1.0e-05", "lr_2.2e-04", "lr_4.6e-03", "lr_1.0e-01", "cifar10",
                    "transfer_head", "transfer_fine", "scratch4"}


def test_released_student_notebook_runs_to_the_end(nb, tmp_path):
    """The student notebook as release makes it, run where the repository is not importable:
    the self-check cell is self-contained, every check says FAIL (nothing is done), and every
    demonstration prints exactly one line naming the tasks it waits for."""
    from grader import release
    from grader.demo_cells import waiting_message
    student = release.student_version(release.read_solution(SOLUTION), name=SOLUTION.name)
    for k in POINTS:
        source = _cell(student, f"task_5_{k}").source
        assert "### BEGIN SOLUTION" not in source
        assert f'raise NotImplementedError("Task 5.{k}: implement' in source, k
    subprocess.run([sys.executable, str(FAKE_DATA), str(tmp_path / "data")], check=True,
                   capture_output=True)
    seconds, done = _run(student, tmp_path, repository=False)
    print(f"released student notebook (NNCOURSE_SMALL=1): {seconds:.1f} s")
    assert not _errors(done)
    printed = {}
    for i, text in _printed(done):
        printed[i] = printed.get(i, "") + text
    guarded = [(i, c) for i, c in enumerate(done.cells)
               if c.cell_type == "code" and GUARD.search(c.source)]
    assert len(guarded) >= 20
    for i, cell in guarded:
        tags = re.findall(r'"(task_\d+_\d+)"', GUARD.search(cell.source).group(1))
        assert printed.get(i) == waiting_message(tags) + "\n", (i, printed.get(i))
    checks = [text for i, text in printed.items() if text.startswith(("PASS", "FAIL", "NOT"))]
    assert len(checks) == len(POINTS) and all(t.startswith("FAIL task_5_") for t in checks)


if __name__ == "__main__":
    # Time the notebook: in full mode on a full-size synthetic CIFAR-10 (50,000 + 10,000 images,
    # the hard variant, so that accuracies stay below 100%), or in quick mode:
    #   python tests/test_assignment_5_notebook.py full|quick [WORK_FOLDER]
    import tempfile
    full = sys.argv[1:2] == ["full"]
    work = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="a5-run-"))
    if not (work / "data" / "cifar-10-batches-py").exists():
        size = ["--per-batch", "10000", "--test", "10000", "--hard"] if full else []
        subprocess.run([sys.executable, str(FAKE_DATA), str(work / "data"), *size], check=True)
    seconds, done = _run(nbformat.read(SOLUTION, as_version=4), work, small=not full)
    nbformat.write(done, work / "executed.ipynb")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{seconds:.0f} s, peak memory of the kernel {peak:.0f} MB; errors: {_errors(done)}")
    print(f"executed notebook: {work / 'executed.ipynb'}")
