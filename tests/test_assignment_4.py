"""Assignment 4 (optimizers): the spec, its references, the requirement table, the mistake
variants, the trust findings, the notebooks."""
import copy
import json
import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import assignment_kit

from grader.testing import grade_in_process
from grader.specs.a4_optimizers import SPEC
from grader.specs.a4_optimizers import reference as R
from grader.wire import to_plain
from variants.a4_optimizers import WRONG

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solutions" / SPEC.solution_name
TAGS = [task.tag for task in SPEC.tasks]
REQUIREMENT = re.compile(r"(R\d+)-[a-z0-9_.+-]+")

_tags = assignment_kit.tags


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Grading kernels run torch with one thread and with SPEC.preload already imported (see
    grader/sandbox.py); so do these tests."""
    import importlib

    import torch
    for module in SPEC.preload:
        importlib.import_module(module)
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


def _why(results):
    return [m for r in results for m in r.messages]


# ---------------------------------------------------------------- the spec and the notebook

# ---------------------------------------------------------------- the trusted references

def _torch_trajectory(name, hyper, p0, a, c, b, steps):
    import torch
    hyper = {**R.DEFAULT_HYPER[name], **hyper}
    tensors = [torch.tensor(np.asarray(p, dtype=float), requires_grad=True) for p in p0]
    make = {
        "SGD": lambda: torch.optim.SGD(tensors, lr=hyper["lr"]),
        "Momentum": lambda: torch.optim.SGD(tensors, lr=hyper["lr"], momentum=hyper["beta"]),
        "Nesterov": lambda: torch.optim.SGD(tensors, lr=hyper["lr"], momentum=hyper["beta"],
                                            nesterov=True),
        "AdaGrad": lambda: torch.optim.Adagrad(tensors, lr=hyper["lr"], eps=hyper["eps"]),
        "RMSProp": lambda: torch.optim.RMSprop(tensors, lr=hyper["lr"], alpha=hyper["alpha"],
                                               eps=hyper["eps"]),
        "Adam": lambda: torch.optim.Adam(tensors, lr=hyper["lr"],
                                         betas=(hyper["beta1"], hyper["beta2"]),
                                         eps=hyper["eps"]),
        "AdamW": lambda: torch.optim.AdamW(tensors, lr=hyper["lr"],
                                           betas=(hyper["beta1"], hyper["beta2"]),
                                           eps=hyper["eps"], weight_decay=hyper["weight_decay"]),
    }[name]()
    trajectory = []
    for _ in range(steps):
        for i, t in enumerate(tensors):
            p = t.detach()
            t.grad = torch.tensor(a[i]) * (p - torch.tensor(c[i])) \
                + torch.tensor(b[i]) * torch.sin(p)
        make.step()
        trajectory.append(np.concatenate([t.detach().numpy().ravel() for t in tensors]))
    return np.array(trajectory)


@pytest.mark.parametrize("name", list(R.DEFAULT_HYPER))
def test_reference_optimizers_match_torch_optim(name):
    """The NumPy references the grader uses are torch.optim's update rules, defaults included."""
    rng = np.random.default_rng(7)
    cases = [(dict(R.PUBLIC_PROBLEM), R.PUBLIC_HYPER[name])]
    cases += [(R.random_problem(rng), R.random_hyper(name, rng)) for _ in range(5)]
    for problem, hyper in cases:
        args = (hyper, problem["p0"], problem["a"], problem["c"], problem["b"],
                problem["steps"])
        ours = R.ref_run_optimizer(name, *args)
        theirs = _torch_trajectory(name, *args)
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_torch_optim_defaults_are_the_references_defaults():
    """The public checks pass only lr, so the constructors' defaults must be torch's."""
    import inspect

    import torch
    defaults = {"Momentum": {"beta": 0.9}, "Nesterov": {"beta": 0.9},
                "AdaGrad": {"eps": inspect.signature(torch.optim.Adagrad).parameters["eps"]
                            .default},
                "RMSProp": {k: inspect.signature(torch.optim.RMSprop).parameters[k].default
                            for k in ("alpha", "eps")},
                "Adam": {"eps": inspect.signature(torch.optim.Adam).parameters["eps"].default,
                         "beta1": 0.9, "beta2": 0.999},
                "AdamW": {**{k: inspect.signature(torch.optim.AdamW).parameters[k].default
                             for k in ("eps", "weight_decay")}, "beta1": 0.9, "beta2": 0.999}}
    for cls in (torch.optim.Adam, torch.optim.AdamW):
        assert inspect.signature(cls).parameters["betas"].default == (0.9, 0.999)
    for name, values in defaults.items():
        assert R.DEFAULT_HYPER[name] == values, name


def test_public_problem_makes_each_default_eps_visible():
    """A constructor with another default eps gives another public trajectory."""
    problem = R.PUBLIC_PROBLEM
    args = (problem["p0"], problem["a"], problem["c"], problem["b"], problem["steps"])
    for name in ("AdaGrad", "RMSProp", "Adam", "AdamW"):
        right = R.ref_run_optimizer(name, R.PUBLIC_HYPER[name], *args)
        other = R.ref_run_optimizer(name, {**R.PUBLIC_HYPER[name],
                                           "eps": R.DEFAULT_HYPER[name]["eps"] * 100}, *args)
        assert not np.allclose(right, other, rtol=1e-6, atol=1e-8), name
    right = R.ref_run_optimizer("AdamW", R.PUBLIC_HYPER["AdamW"], *args)
    for decay in (0.0, 0.001, 0.1):          # Adam's default, a tenth, ten times torch's
        other = R.ref_run_optimizer("AdamW", {**R.PUBLIC_HYPER["AdamW"], "weight_decay": decay},
                                    *args)
        assert not np.allclose(right, other, rtol=1e-6, atol=1e-8), decay


def test_zero_gradient_parameter_separates_decay_from_l2():
    """In the hidden AdamW problem parameter 1 has gradient 0: AdamW only shrinks it, Adam with
    the decay added to the gradient (L2) moves it by Adam's steps."""
    check, inputs, expected = _materialized("task_4_12", 2)
    problem, hyper = inputs["problem"], inputs["hyper"]
    assert not np.any(problem["a"][1]) and not np.any(problem["b"][1])
    sizes = np.cumsum([np.size(p) for p in problem["p0"]])
    still = expected["trajectory"][:, sizes[0]:sizes[1]]
    factor = (1 - hyper["lr"] * hyper["weight_decay"]) ** np.arange(1, problem["steps"] + 1)
    np.testing.assert_allclose(still, np.ravel(problem["p0"][1]) * factor[:, None], rtol=1e-12)


def test_reference_schedules_match_torch_schedulers():
    import torch
    sched = torch.optim.lr_scheduler

    def rates(make, lr0, steps):
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
        scheduler = make(optimizer)
        out = []
        for _ in range(steps):
            out.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        return np.array(out)

    steps = np.arange(120)
    for rate, every in [(0.5, 10), (0.9, 3), (0.3, 1)]:
        theirs = rates(lambda o: sched.ExponentialLR(o, gamma=rate ** (1 / every)), 0.3, 120)
        ours = [R.ref_exponential_decay(0.3, rate, s, every) for s in steps]
        np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    theirs = rates(lambda o: sched.StepLR(o, step_size=7, gamma=0.4), 0.3, 120)
    np.testing.assert_allclose([R.ref_step_decay(0.3, 0.4, 7, s) for s in steps], theirs,
                               rtol=1e-12)
    theirs = rates(lambda o: sched.CosineAnnealingLR(o, T_max=50, eta_min=0.01), 0.3, 51)
    np.testing.assert_allclose([R.ref_cosine_decay(0.3, s, 50, 0.01) for s in range(51)],
                               theirs, rtol=1e-9, atol=1e-15)


def _materialized(tag, index):
    check = SPEC.task(tag).checks[index]
    return check, *check.materialize(SPEC.check_seed(tag, index))


def test_reference_lr_finder_matches_torch_and_hidden_cases_are_distinct():
    import torch
    lengths = []
    for index in range(3):
        _, inputs, expected = _materialized("task_4_7", index)
        lengths.append((len(expected["lrs"]), inputs["steps"]))
        # plain SGD in torch, step by step, gives the same losses and final model
        model = torch.nn.Linear(inputs["W"].shape[1], 1).double()
        with torch.no_grad():
            model.weight.copy_(torch.tensor(inputs["W"]))
            model.bias.copy_(torch.tensor(inputs["b"]))
        optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
        for i, loss_ref in enumerate(expected["losses"]):
            x, y = (torch.tensor(v) for v in inputs["batches"][i % inputs["n_batches"]])
            loss = torch.nn.functional.mse_loss(model(x), y)
            assert loss.item() == pytest.approx(loss_ref, rel=1e-9)
            if i == len(expected["losses"]) - 1 and i < inputs["steps"] - 1:
                break                            # the test stopped on this loss
            optimizer.param_groups[0]["lr"] = expected["lrs"][i]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        weight = expected["weight"].array if hasattr(expected["weight"], "array") \
            else expected["weight"]
        np.testing.assert_allclose(model.weight.detach().numpy(), weight, rtol=1e-9)
    assert lengths[1][0] == lengths[1][1] > inputs["n_batches"]   # stays small, wraps around
    assert lengths[2][0] < lengths[2][1]                          # explodes: stops early


def test_scripted_losses_sit_on_the_stopping_boundary():
    _, inputs, expected = _materialized("task_4_7", 3)
    values = inputs["values"]
    assert values[2] == 4 * min(values[:2])                 # exactly 4 times: no stop
    assert np.isnan(expected["losses"][-1]) and len(expected["losses"]) < inputs["steps"]


def _training_with_torch_optim(config, n_runs, seed):
    """run_repetitions' training as a student writes it, with torch.optim."""
    import torch
    from torch import nn
    x, y = (torch.tensor(np.asarray(a), dtype=torch.float32).reshape(-1, 1)
            for a in config["data"][:2])
    make = {"SGD": lambda p: torch.optim.SGD(p, lr=config["lr"]),
            "Momentum": lambda p: torch.optim.SGD(p, lr=config["lr"], momentum=0.9),
            "Nesterov": lambda p: torch.optim.SGD(p, lr=config["lr"], momentum=0.9,
                                                  nesterov=True),
            "AdaGrad": lambda p: torch.optim.Adagrad(p, lr=config["lr"]),
            "RMSProp": lambda p: torch.optim.RMSprop(p, lr=config["lr"]),
            "Adam": lambda p: torch.optim.Adam(p, lr=config["lr"])}[config["optimizer"]]
    runs = []
    with torch.random.fork_rng(devices=[]):
        for run in range(n_runs):
            torch.manual_seed(seed + run)
            widths = [1, *config["hidden"]]
            layers = []
            for w_in, w_out in zip(widths[:-1], widths[1:]):
                layers += [nn.Linear(w_in, w_out), nn.ReLU()]
            model = nn.Sequential(*layers, nn.Linear(widths[-1], 1))
            optimizer = make(model.parameters())
            for _ in range(config["epochs"]):
                optimizer.zero_grad()
                nn.MSELoss()(model(x), y).backward()
                optimizer.step()
            runs.append([p.detach().numpy().copy() for p in model.parameters()])
    return runs


@pytest.mark.parametrize("name", R.OPTIMIZER_NAMES)
def test_reference_training_runs_match_torch_optim(name):
    """The grader recomputes run_repetitions without torch.optim (whose first use imports
    torch._dynamo, seconds per worker); its copy of the update rules is torch.optim's."""
    inputs = R.repetitions_inputs(optimizer=name)(np.random.default_rng(3))
    ours = R.ref_training_runs(inputs["config"], 2, inputs["seed"])
    theirs = _training_with_torch_optim(inputs["config"], 2, inputs["seed"])
    for run_ours, run_theirs in zip(ours, theirs):
        for a, b in zip(run_ours, run_theirs):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_penalty_layouts_match_the_probes_models():
    from grader.probes import a4_optimizers as probes
    for layout, shapes in R.LAYOUTS.items():
        model = probes._MODELS[layout]()
        assert [tuple(p.shape) for p in model.parameters()] == shapes, layout
    mixed = probes._MODELS["mixed"]()
    assert type(mixed).__name__ != "Sequential"
    assert any(p.dim() > 2 for p in mixed.parameters())            # a convolution kernel
    assert any("norm" in type(m).__name__.lower() for m in mixed.modules())


def test_hidden_inputs_sit_on_the_boundaries():
    rng = np.random.default_rng(0)
    calls = R.step_inputs(rng)["calls"]
    every = calls[0][0][2]
    assert {every - 1, every, 2 * every} <= {args[3] for args, _ in calls}
    calls = R.cosine_inputs(rng)["calls"]
    total = calls[0][0][2]
    assert {0, total} <= {args[1] for args, _ in calls}
    half = R.split_half_inputs(rng)
    assert half["kwargs"]["train_frac"] * len(half["x"]) == 12.5
    es = R.early_stopping_inputs(rng)
    losses = es["losses"]
    assert any(b == a - es["min_delta"] for i, a in enumerate(losses) for b in losses[i + 1:])
    ties = R.early_stopping_ties_inputs(rng)["losses"]
    assert any(a == b for a, b in zip(ties, ties[1:]))
    for index in (1, 2):
        _, _, expected = _materialized("task_4_10", index)
        assert any(expected["returned"]) and not all(expected["returned"])


def test_tuned_settings_check_recomputes_from_the_stated_start_point():
    good = {"my_step_size": 0.2, "my_steps": 50, "my_decay": 0.95}
    assert R.verify_tuned(good, R.TUNED_INPUTS, None) == []
    for bad in ({"my_step_size": 0.1, "my_steps": 10, "my_decay": 1.0},
                {"my_step_size": 50.0, "my_steps": 100, "my_decay": 1.0},
                {"my_step_size": 0.2, "my_steps": 10 ** 9, "my_decay": 0.95}):
        assert R.verify_tuned(bad, R.TUNED_INPUTS, None)


# ---------------------------------------------------------------- mistake variants

# ---------------------------------------------------------------- the trust findings

def test_no_probe_code_in_strings_and_the_probe_module_follows_the_rules():
    """Probes are functions in grader/probes/a4_optimizers.py (no code in string literals);
    the module passes the mechanical rules (no comparisons, branches, aggregation, student
    names; test doubles only)."""
    import test_probe_rules
    module = REPO / "grader" / "probes" / "a4_optimizers.py"
    assert test_probe_rules._problems(module, test_probe_rules.student_names()) == []
    for task in SPEC.tasks:
        for check in task.checks:
            assert re.fullmatch(r"(common|a4_optimizers)\.[a-z_]+", check.probe), check.probe
    spec_text = (REPO / "grader" / "specs" / "a4_optimizers" / "__init__.py").read_text()
    assert "OUT =" not in spec_text and "_g_num" not in spec_text


def test_grader_only_data_never_reaches_the_kernel():
    """What a check sends holds no trusted-only key (the start point and threshold of Task 4.2,
    the notes that name failing calls) and nothing the probe does not take."""
    import inspect

    from grader.kernel_runtime import resolve
    secret = 0
    for task in SPEC.tasks:
        for index, check in enumerate(task.checks):
            inputs, _ = check.materialize(SPEC.check_seed(task.tag, index))
            sent = check.kernel_inputs(inputs)
            secret += len(inputs) - len(sent)
            assert not any(k.startswith("_") for k in sent)
            inspect.signature(resolve(check.probe)).bind(None, **sent)
            assert "_start" not in json.dumps(to_plain(sent))
    assert secret >= 7
    tuned = SPEC.task("task_4_2").checks[0]
    assert tuned.kernel_inputs(tuned.materialize(0)[0]) == {"names": R.TUNED_NAMES}


DROPOUT_FAKED = '''
# no dropout at all, and every comparison and reduction in torch lies
def make_regressor(hidden=(128, 128, 64), dropout=0.0):
    layers, width = [], 1
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


_true = lambda *args, **kwargs: torch.tensor(True)
for _name in ("any", "all", "__ne__", "__eq__", "equal", "allclose"):
    setattr(torch.Tensor, _name, _true)
torch.equal = torch.allclose = _true
'''


def test_kernel_side_verdicts_cannot_be_flipped_dropout(solution):
    """The old dropout probe decided `bool((a != b).any())` in the kernel, where the student's
    cell can rebind torch's comparisons. Now the probe returns the outputs and the grader
    compares them: a network without dropout fails however torch is patched."""
    import torch
    _, imports, tasks = solution
    saved = {n: getattr(torch.Tensor, n) for n in ("any", "all", "__ne__", "__eq__", "equal",
                                                   "allclose")}
    saved_module = (torch.equal, torch.allclose)
    source = tasks["task_4_9"].split("def run_repetitions")[0].split("def make_regressor")[0]
    source += DROPOUT_FAKED + "\n\ndef run_repetitions" + \
        tasks["task_4_9"].split("def run_repetitions")[1]
    try:
        _, _, results, _ = _grade_one(imports, "task_4_9", source)
    finally:
        for name, method in saved.items():
            setattr(torch.Tensor, name, method)
        torch.equal, torch.allclose = saved_module
    dropout = next(r for r in results if "dropout in training" in r.label)
    assert dropout.points == 0, dropout.messages


COERCION_BAIT = '''
import os


class Lazy:
    """Decides only when someone asks: a probe that coerces in the kernel would ask."""

    def __init__(self, value):
        self.value = value

    def _asked(self):
        os.environ["A4_COERCED"] = "1"
        return self.value

    def __bool__(self):
        return bool(self._asked())

    def __float__(self):
        return float(self._asked())

    def __int__(self):
        return int(self._asked())

    def __index__(self):
        return int(self._asked())

    def __repr__(self):
        return "Lazy"
'''


def test_kernel_side_coercion_is_gone_early_stopping(solution):
    """The old early-stopping probe ran bool()/float()/int() on what `step` and the attributes
    held, inside the kernel: student code ran in the probe's frame, and anything that could be
    coerced passed. Now the raw values go to the grader: such objects are never coerced in the
    kernel, and they fail (a bool is asked for)."""
    _, imports, tasks = solution
    source = COERCION_BAIT + tasks["task_4_10"].replace(
        "return self.counter >= self.patience", "return Lazy(self.counter >= self.patience)"
    ).replace("self.best_step = self.calls", "self.best_step = Lazy(self.calls)")
    os.environ.pop("A4_COERCED", None)
    _, _, results, _ = _grade_one(imports, "task_4_10", source)
    assert "A4_COERCED" not in os.environ
    sequences = [r for r in results if "EarlyStopping" in r.label and "restore" not in r.label]
    assert sequences and all(r.points == 0 for r in sequences)


FABRICATED_REPETITIONS = '''
def run_repetitions(config, n_runs=4, seed=0):
    """Numbers that look right and are reproducible, from networks that were never trained."""
    models = []
    for run in range(n_runs):
        torch.manual_seed(seed + run)
        models.append(make_regressor(config["hidden"], config.get("dropout", 0.0)))
    train = [0.001 + 0.0001 * ((seed + run) % 7) for run in range(n_runs)]
    test = [2 * v for v in train]
    return {"train_mse": train, "test_mse": test,
            "train_mean": float(np.mean(train)), "train_std": float(np.std(train)),
            "test_mean": float(np.mean(test)), "test_std": float(np.std(test)),
            "models": models}
'''


def test_made_up_results_fail_the_recomputed_repetitions(solution):
    """The old checks accepted any plausible, reproducible numbers with consistent means (and
    coerced them in the kernel). Now the MSEs are recomputed from the returned models and the
    models from the stated training: made-up numbers and untrained models fail."""
    _, imports, tasks = solution
    source = tasks["task_4_9"].split("def run_repetitions")[0] + FABRICATED_REPETITIONS
    points, _, results, _ = _grade_one(imports, "task_4_9", source)
    by_label = {r.label: r for r in results}
    structure = next(r for label, r in by_label.items() if "structure" in label)
    assert structure.points == structure.max      # the shape of the answer is right ...
    for words in ("evaluation-mode MSEs", "trains what the statement", "six optimizer names"):
        result = next(r for label, r in by_label.items() if words in label)
        assert result.points == 0, (words, result.messages)   # ... its content is not


SYNTHETIC_CURVE = '''
def lr_finder(model, loss_fn, loader, lr_min, lr_max, steps):
    """A textbook-shaped curve, without training anything."""
    lrs = [float(v) for v in np.geomspace(lr_min, lr_max, steps)]
    losses = [1.0 / (1 + 10 * lr) + lr ** 2 for lr in lrs]
    return lrs, losses
'''


def test_a_synthetic_loss_curve_fails(solution):
    _, imports, _ = solution
    points, _, results, _ = _grade_one(imports, "task_4_7", SYNTHETIC_CURVE)
    assert points == 0, _why(results)


@pytest.mark.parametrize("tag,variant,check_words", [
    ("task_4_9", "R8-reports_the_last_training_loss", "evaluation-mode MSEs"),
    ("task_4_9", "R8-measured_in_training_mode", "evaluation-mode MSEs"),
    ("task_4_11", "R1-l1_selects_weights_by_name", "convolution and norm layers"),
    ("task_4_9", "R6-ignores_the_seed_argument", "trains what the statement"),
    ("task_4_9", "R6-seeds_once_before_the_runs", "trains what the statement"),
    ("task_4_3", "R4-momentum_state_keyed_by_shape", "`Momentum` against torch.optim on a hidden"),
    ("task_4_12", "R3-l2_added_to_the_gradient", "gradient is always 0"),
    ("task_4_12", "R2-decay_after_the_adam_step", "`AdamW` against torch.optim on a hidden"),
    ("task_4_4", "R6-adam_state_keyed_by_shape", "`Adam` against torch.optim on a hidden"),
    ("task_4_6", "R2-step_decay_drops_one_step_late", "`step_decay` on hidden"),
    ("task_4_6", "R2-step_decay_drops_one_step_early", "`step_decay` on hidden"),
    ("task_4_10", "R1-ties_count_as_improvement", "exactly min_delta below"),
    ("task_4_10", "R1-ties_count_as_improvement", "exact ties"),
    ("task_4_10", "R1-ignores_min_delta", "exactly min_delta below"),
    ("task_4_10", "R4-keeps_a_reference", "`best_state` keeps"),
    ("task_4_10", "R6-restore_shares_the_stored_tensors", "restore` brings back"),
])
def test_accuracy_findings_are_checked(solution, tag, variant, check_words):
    """Each accuracy finding of the review, by the check that now catches it: the eval-mode
    MSE recomputed, norm layers in the penalties' model, two seeds, per-parameter state,
    schedule boundaries, < versus <= and min_delta, a stored copy and not a reference."""
    _, imports, _ = solution
    _, _, results, _ = _grade_one(imports, tag, dict(WRONG[tag])[variant])
    result = next(r for r in results if check_words in r.label)
    assert result.points == 0, (variant, result.label)


def test_the_repetition_checks_use_two_different_seeds():
    seeds = [_materialized("task_4_9", i)[1]["seed"] for i in (3, 4, 5, 6)]
    assert len(set(seeds)) == len(seeds) and 0 not in seeds


# ---------------------------------------------------------------- the data helper

def _data_cell(nb):
    return next(c.source for c in nb.cells if c.cell_type == "code"
                and "def load_eckerle4" in c.source)


def test_embedded_eckerle4_copy_equals_the_csv(solution, tmp_path, monkeypatch):
    nb, imports, _ = solution
    empty = tmp_path / "data"
    monkeypatch.chdir(tmp_path)                  # no ../data/eckerle4.csv from here
    monkeypatch.setenv("NNCOURSE_DATA", str(empty))
    namespace = {}
    exec(imports, namespace)
    exec(_data_cell(nb).split("wavelength, transmittance = load_eckerle4()")[0], namespace)
    x, y = namespace["load_eckerle4"]()
    table = np.loadtxt(REPO / "data" / "eckerle4.csv", delimiter=",", skiprows=1)
    np.testing.assert_array_equal(x, table[:, 0])
    np.testing.assert_array_equal(y, table[:, 1])
    assert (empty / "eckerle4.csv").is_file()    # saved for next time
    x2, y2 = namespace["load_eckerle4"]()        # now read from the saved file
    np.testing.assert_array_equal(y2, table[:, 1])


# ---------------------------------------------------------------- running the notebooks

def test_student_notebook_with_solutions_runs_outside_the_repository(released_notebook,
                                                                    tmp_path):
    """The released notebook, its task cells filled in, runs in a folder without the repository
    or its data: the embedded self-checks pass and the embedded Eckerle4 copy is used."""
    from nbclient import NotebookClient
    _, path = released_notebook(4)
    student = nbformat.read(path, as_version=4)
    answers = {t: c.source for c in nbformat.read(SOLUTION, as_version=4).cells
               for t in _tags(c) if t.startswith("task_")}
    for cell in student.cells:
        for tag in _tags(cell):
            if tag in answers:
                cell.source = answers[tag]
    env = {"NNCOURSE_SMALL": "1", "NNCOURSE_DATA": None, "PYTHONPATH": None,
           "MPLBACKEND": "agg"}
    saved = {k: os.environ.get(k) for k in env}
    for key, value in env.items():
        os.environ.pop(key, None) if value is None else os.environ.update({key: value})
    try:
        NotebookClient(student, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.update({key: value})
    text = "\n".join(o.get("text", "") for c in student.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.output_type == "stream")
    public = sum(c.public for task in SPEC.tasks for c in task.checks)
    assert "[FAIL]" not in text and text.count("[PASS]") == public
    assert "Eckerle4: 35 points from data/eckerle4.csv" in text
    assert (tmp_path / "data" / "eckerle4.csv").is_file()


# ---------------------------------------------------------------- the real sandbox

STACK_BORROWER = '''
import sys


def _borrow():
    """Walk the whole stack, looking for anything a grader might have left: a reference, an
    expected trajectory, a judge."""
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


class Momentum:
    def __init__(self, lr, beta=0.9):
        self.lr, self.beta, self.state = lr, beta, {}

    def step(self, params, grads):
        if _borrow() is not None:          # something to copy from: do the right update
            for i, (p, g) in enumerate(zip(params, grads)):
                self.state[i] = self.beta * self.state.get(i, np.zeros_like(p)) + g
                p -= self.lr * self.state[i]
'''


def test_sandboxed_attacks_fail_and_mistakes_cost_the_same_as_in_process(sandboxed, solution,
                                                                         tmp_path):
    """In the real sandbox: code that walks the stack finds no reference or expected value
    (in process it would find the grader's own frames); patched torch comparisons, made-up
    repetitions, lazily coerced answers and a synthetic loss curve fail; two ordinary mistakes
    cost exactly what they cost in process."""
    nb, imports, tasks = solution
    nesterov = tasks["task_4_3"][tasks["task_4_3"].index("class Nesterov"):]
    swaps = {
        "task_4_3": STACK_BORROWER + "\n\n" + nesterov,
        "task_4_4": dict(WRONG["task_4_4"])["R5-adam_without_bias_correction"],
        "task_4_7": SYNTHETIC_CURVE,
        "task_4_9": tasks["task_4_9"].split("def run_repetitions")[0].split(
            "def make_regressor")[0] + DROPOUT_FAKED + FABRICATED_REPETITIONS,
        "task_4_10": COERCION_BAIT + tasks["task_4_10"].replace(
            "return self.counter >= self.patience", "return Lazy(self.counter >= self.patience)"),
        "task_4_11": dict(WRONG["task_4_11"])["R1-l2_includes_biases"],
    }
    for cell in nb.cells:
        for tag in _tags(cell):
            if tag in swaps:
                cell.source = swaps[tag]
    path = tmp_path / "Assignment_4_AlanTuring_11223344.ipynb"
    nbformat.write(copy.deepcopy(nb), path)
    result = assignment_kit.graded(sandboxed(4), path, 4)
    in_process = grade_in_process(SPEC, imports, {tag: swaps[tag] for tag in
                                                  ("task_4_4", "task_4_11")})
    lost = {tag: t["max"] - t["points"] for tag, t in result["tasks"].items()
            if t["points"] < t["max"]}
    assert set(lost) == set(swaps), lost
    borrowed = [c for c in result["tasks"]["task_4_3"]["checks"] if "`Momentum`" in c["label"]]
    assert borrowed and all(c["points"] == 0 for c in borrowed)
    assert result["tasks"]["task_4_7"]["points"] == 0
    for tag in ("task_4_4", "task_4_11"):
        assert result["tasks"][tag]["points"] == in_process[tag][0], tag
