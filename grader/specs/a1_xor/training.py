"""Assignment 1 (XOR), trusted side of Task 1.8 (train_xor): input makers, the grader's own
rerun of the prescribed training, and the judges.

The statement fixes everything a run depends on: torch.manual_seed(seed), then nn.Linear(2, H)
and nn.Linear(H, 1) with their default initialisation, mean BCE of the logits recorded before
each full-batch step p <- p - lr * grad. So the losses and probabilities a submission reports
are compared with a rerun here, and made-up numbers fail; labels that only the judge needs
stay here (``_labels``, ``_y_test``). Judges never print a value or the size of an error.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path

import numpy as np

from ...compare import describe, plain_scalar
from ...wire import Tensor
from .reference import XOR_X, XOR_Y, noisy_corners


def format_inputs(rng) -> dict:
    return {"hidden_units": 4, "lr": 0.5, "epochs": 5, "seed": 0, "X": None, "y": None,
            "points": rng.uniform(-0.5, 1.5, size=(6, 2))}


def first_loss_inputs(rng) -> dict:
    """A few epochs on the default XOR data, with a random width and seed."""
    return {"hidden_units": int(rng.integers(2, 9)), "lr": 0.5, "epochs": 3,
            "seed": int(rng.integers(1000)), "X": None, "y": None, "points": XOR_X.copy()}


def trajectory_inputs(rng) -> dict:
    """Twenty epochs on given random points with random labels (both classes present)."""
    y = np.array([0.0, 1.0] * 5)
    rng.shuffle(y)
    return {"hidden_units": 5, "lr": 0.5, "epochs": 20, "seed": int(rng.integers(1000)),
            "X": rng.uniform(-0.5, 1.5, size=(10, 2)), "y": y, "points": XOR_X.copy()}


def predict_inputs(rng) -> dict:
    """A run on noisy XOR data; predict is asked about points off the data, given as a
    Fortran-ordered (not C-contiguous) array, as np.vstack(...).T makes them."""
    X, y = noisy_corners(rng, 12, 0.2)
    return {"hidden_units": 6, "lr": 0.5, "epochs": 25, "seed": int(rng.integers(1000)),
            "X": X, "y": y, "points": np.asfortranarray(rng.uniform(-1.0, 2.0, size=(30, 2)))}


def accuracy_inputs(rng) -> dict:
    """Noisy XOR data with three labels flipped, so that the final accuracy is not simply 1;
    predict is asked about the training points themselves."""
    X, y = noisy_corners(rng, 16, 0.25)
    flipped = rng.choice(16, 3, replace=False)
    y[flipped] = 1.0 - y[flipped]
    return {"hidden_units": 4, "lr": 1.0, "epochs": 40, "seed": int(rng.integers(1000)),
            "X": X, "y": y, "points": X.copy()}


def seeds_inputs(rng) -> dict:
    seed = int(rng.integers(1000))
    return {"hidden_units": 3, "lr": 0.5, "epochs": 15,
            "seeds": [seed, seed, seed + 1 + int(rng.integers(500))]}


def relabelled_xor_inputs(rng) -> dict:
    """Eight runs on the four corners in a random order, four labelled XOR and four XNOR (in
    random order): a rule written by hand cannot know which, only training can."""
    flips = rng.permutation([0, 0, 0, 0, 1, 1, 1, 1])
    runs, labels = [], []
    for seed, flip in zip(rng.choice(1000, 8, replace=False), flips):
        order = rng.permutation(4)
        truth = np.abs(XOR_Y - flip)
        runs.append({"seed": int(seed), "X": XOR_X[order], "y": truth[order]})
        labels.append(truth)
    return {"hidden_units": 8, "lr": 1.0, "epochs": 60, "runs": runs, "points": XOR_X.copy(),
            "_labels": labels}


def given_data_inputs(rng) -> dict:
    """Noisy XNOR data to train on; the test labels stay here (``_y_test``)."""
    xnor = 1.0 - XOR_Y
    X, y = noisy_corners(rng, 80, 0.1, xnor)
    X_test, y_test = noisy_corners(rng, 200, 0.1, xnor)
    seeds = [int(s) for s in rng.choice(1000, 2, replace=False)]
    return {"hidden_units": 8, "lr": 1.0, "epochs": 60,
            "runs": [{"seed": s, "X": X, "y": y} for s in seeds], "points": X_test,
            "_y_test": y_test}


# The reruns are fixed by the checks' seeds. Computing them needs torch, whose import costs
# seconds in every grading process (the kernels have it, the grader need not): reruns.npz
# holds them, written by `python -m grader.specs.a1_xor.reruns` under the installed torch and
# used only under that same version; any run it lacks is computed here. A test keeps the file
# equal to a fresh rerun of exactly the runs the checks use.
RERUNS = Path(__file__).with_name("reruns.npz")
RUN_FIELDS = ("losses", "after updates", "initial", "final")
_RUNS: dict = {}              # this process's reruns, by key
_stored: dict | None = None   # reruns.npz, once loaded
_use_stored = True


def train_reference(hidden_units: int, lr: float, epochs: int, seed: int,
                    X: np.ndarray | None, y: np.ndarray | None, points: np.ndarray, *,
                    reduction: str = "mean", reset: bool = True) -> dict:
    """Rerun train_xor exactly as its statement prescribes, in float32 like nn.Linear.

    torch.manual_seed(seed), then nn.Linear(2, H) and nn.Linear(H, 1) with their default
    initialisation; per epoch the loss (BCE of the logits, ``reduction`` over the n training
    points) is recorded before the update p <- p - lr * grad. ``reset=False`` lets the
    gradients add up over the epochs (a forgotten zero_grad), for diagnoses.

    Inputs:
    - X: (n, 2) training inputs and y: (n,) labels, or None for the four XOR points
    - points: (m, 2) where the trained network's probabilities are reported

    Returns a dict:
    - "losses": (epochs,) the recorded losses
    - "after updates": (epochs,) the losses after each epoch's update (a common slip)
    - "initial", "final": (m,) the network's probabilities on ``points`` before and after
    The result is kept: every submission is judged against the same runs.
    """
    X = XOR_X if X is None else np.asarray(X, dtype=float)
    y = XOR_Y if y is None else np.asarray(y, dtype=float)
    points = np.asarray(points, dtype=float)
    key = hashlib.sha256(repr((hidden_units, float(lr), epochs, seed, reduction, reset,
                               X.shape, y.shape, points.shape)).encode()
                         + X.tobytes() + y.tobytes() + points.tobytes()).hexdigest()[:24]
    if key not in _RUNS:
        run = stored_reruns().get(key) if _use_stored else None
        _RUNS[key] = run if run is not None else \
            _train(hidden_units, lr, epochs, seed, X, y, points, reduction, reset)
    return _RUNS[key]


def stored_reruns() -> dict:
    """The runs in reruns.npz, if it was written under the installed torch; else none."""
    global _stored
    if _stored is None:
        _stored = {}
        if RERUNS.exists():
            with np.load(RERUNS, allow_pickle=False) as data:
                if str(data["torch"]) == importlib.metadata.version("torch"):
                    keys = {name.split(".")[0] for name in data.files if "." in name}
                    _stored = {k: {f: data[f"{k}.{f.replace(' ', '_')}"] for f in RUN_FIELDS}
                               for k in keys}
    return _stored


def fresh_reruns(spec) -> dict:
    """Every rerun that ``spec``'s checks use, computed now with torch: ``{key: run}``."""
    global _use_stored
    _RUNS.clear()
    _use_stored = False
    try:
        for task in spec.tasks:
            for index, check in enumerate(task.checks):
                if check.ref in (ref_run, ref_trajectory):
                    check.materialize(spec.check_seed(task.tag, index))
        return dict(_RUNS)
    finally:
        _use_stored = True
        _RUNS.clear()


def write_reruns(spec, path: Path = RERUNS) -> int:
    """Write reruns.npz for ``spec``; returns the number of runs."""
    runs = fresh_reruns(spec)
    arrays = {f"{key}.{field.replace(' ', '_')}": np.asarray(run[field])
              for key, run in runs.items() for field in RUN_FIELDS}
    # the installed distribution's version: known without importing torch
    np.savez_compressed(path, torch=np.array(importlib.metadata.version("torch")), **arrays)
    return len(runs)


def _train(hidden_units, lr, epochs, seed, X, y, points, reduction, reset):
    # torch.optim is not used: its first optimizer imports torch._dynamo (seconds per
    # process); p.add_(g, alpha=-lr) is the arithmetic of torch.optim.SGD's plain step
    import torch
    from torch import nn
    with torch.random.fork_rng(devices=[]):   # the grader's own generator is left alone
        torch.default_generator.manual_seed(seed)
        hidden, output = nn.Linear(2, hidden_units), nn.Linear(hidden_units, 1)
    params = [hidden.weight, hidden.bias, output.weight, output.bias]

    def logits(inputs):
        return output(torch.relu(hidden(torch.as_tensor(inputs, dtype=torch.float32))))[:, 0]

    def probabilities():
        with torch.no_grad():
            return torch.sigmoid(logits(points)).double().numpy()

    targets = torch.as_tensor(y, dtype=torch.float32)
    initial, losses = probabilities(), []
    summed = [torch.zeros_like(p) for p in params]
    for _ in range(epochs):
        loss = nn.functional.binary_cross_entropy_with_logits(logits(X), targets,
                                                              reduction=reduction)
        losses.append(loss.item())
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g, total in zip(params, grads, summed):
                p.add_(g if reset else total.add_(g), alpha=-lr)
    with torch.no_grad():
        after = nn.functional.binary_cross_entropy_with_logits(logits(X), targets,
                                                               reduction=reduction).item()
    return {"losses": np.array(losses), "after updates": np.array(losses[1:] + [after]),
            "initial": initial, "final": probabilities()}


def ref_run(hidden_units, lr, epochs, seed, X, y, points) -> dict:
    """The prescribed run, and the runs of two common slips (for diagnoses only): the summed
    instead of the mean BCE, and gradients that add up over the epochs."""
    args = (hidden_units, lr, epochs, seed, X, y, points)
    return {"run": train_reference(*args), "summed": train_reference(*args, reduction="sum"),
            "accumulated": train_reference(*args, reset=False)}


def ref_trajectory(hidden_units, lr, epochs, seed, X, y, points) -> dict:
    """``ref_run``, and the same run on the default XOR points (a function that ignores the
    X and y it is given trains on those)."""
    return {**ref_run(hidden_units, lr, epochs, seed, X, y, points),
            "default data": train_reference(hidden_units, lr, epochs, seed, None, None, points)}


def _python_number(value):
    """A number that is not a tensor or an array (NumPy scalars count), as a float; else None."""
    if isinstance(value, np.generic):
        value = value.item()
    return float(value) if type(value) in (int, float) else None


def _read_losses(value, epochs: int, strict: bool):
    """``(losses as an array, [])`` or ``(None, problems)``. ``strict``: every entry must be a
    Python float, as the statement asks (a list of tensors keeps every epoch's graph alive);
    otherwise one-element tensors and arrays are read as numbers (another check judges the
    types)."""
    if not isinstance(value, (list, tuple)):
        return None, [f"`losses` is {describe(value)}, expected a list of {epochs} Python floats"]
    if len(value) != epochs:
        return None, [f"`losses` has {len(value)} entries for {epochs} epochs: record one loss "
                      "per epoch"]
    read = [_python_number(v) if strict else _python_number(plain_scalar(v)) for v in value]
    bad = [i for i, v in enumerate(read) if v is None]
    if bad:
        return None, [f"losses[{bad[0]}] is {describe(value[bad[0]])}, not a Python float "
                      "(record loss.item())"]
    losses = np.array(read)
    if not np.isfinite(losses).all():
        return None, ["`losses` contains nan or inf"]
    return losses, []


def _close(a, b) -> bool:
    # float32 runs written in other correct ways (BCELoss after a sigmoid, float64, by-hand
    # updates) agree with the reference to about 1e-6 over 60 epochs
    return bool(np.allclose(a, b, rtol=1e-4, atol=1e-6))


FIRST_LOSS = ("losses[0] is not the mean BCE that the network built after "
              "torch.manual_seed(seed) has on the training data: seed first, then build "
              "nn.Linear(2, H) and nn.Linear(H, 1) in this order with their default "
              "initialisation, a ReLU between them, the sigmoid once at the output (or "
              "BCEWithLogitsLoss on the logits), and the mean over the training points")


def _first_loss_problems(losses, expected) -> list[str]:
    run = expected["run"]
    if _close(losses[0], run["losses"][0]):
        return []
    if _close(losses[0], expected["summed"]["losses"][0]):
        return ["losses[0] is the sum of the BCE over the training points; the statement asks "
                "for the mean"]
    if _close(losses[0], run["after updates"][0]):
        return ["losses[0] is the loss after the first update; record each epoch's loss "
                "before that epoch's update"]
    return [FIRST_LOSS]


def judge_first_loss(out, inputs, expected):
    losses, found = _read_losses(out.get("losses"), inputs["epochs"], strict=False)
    return found or _first_loss_problems(losses, expected)


def judge_trajectory(out, inputs, expected):
    losses, found = _read_losses(out.get("losses"), inputs["epochs"], strict=True)
    if found:
        return found
    if _close(losses, expected["default data"]["losses"]) \
            and not _close(losses, expected["run"]["losses"]):
        return ["`train_xor` trained on the four XOR points, not on the X and y it was given"]
    found = _first_loss_problems(losses, expected)
    if found or _close(losses, expected["run"]["losses"]):
        return found
    if _close(losses, expected["accumulated"]["losses"]):
        return ["the gradients add up over the epochs: reset them in every epoch "
                "(optimizer.zero_grad())"]
    if _close(losses, expected["run"]["after updates"]):
        return ["the losses are recorded after each update; record each epoch's loss before "
                "that epoch's update"]
    first = int(np.flatnonzero(~np.isclose(losses, expected["run"]["losses"], rtol=1e-4,
                                           atol=1e-6))[0])
    return [f"losses[0] is right, but from losses[{first}] on the losses are not those of "
            "full-batch gradient descent (one step p <- p - lr * grad per epoch, on all training "
            "points, with the gradients reset in every epoch)"]


def judge_seeds(out, inputs, expected):
    runs = out.get("runs")
    if not isinstance(runs, list) or len(runs) != 3:
        return ["the check could not read the losses of three runs"]
    read = [_read_losses(r, inputs["epochs"], strict=False) for r in runs]
    for _, found in read:
        if found:
            return found
    (a, _), (b, _), (c, _) = read
    if not np.allclose(a, b, rtol=1e-9, atol=1e-12):
        return ["two runs with the same seed gave different losses: call "
                "torch.manual_seed(seed) at the start of `train_xor`, before building the network"]
    if np.allclose(a, c, rtol=1e-9, atol=1e-12):
        return ["runs with different seeds gave the same losses: the initialisation must "
                "depend on `seed`"]
    return []


def _prediction_problems(value, m: int, probabilities: bool = True) -> list[str]:
    """What is wrong with predict's answer for m points (empty: an (m,) float array, of
    probabilities unless ``probabilities`` is False)."""
    if isinstance(value, Tensor):
        return ["`predict` returned a torch.Tensor; return a NumPy array (.detach().numpy())"]
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
        return [f"`predict` returned {describe(value)}, expected a float NumPy array"]
    if value.shape != (m,):
        return [f"`predict` returned an array of shape {value.shape} for {m} points, expected "
                f"({m},)"]
    if not np.isfinite(value).all():
        return ["`predict` returned nan or inf"]
    if probabilities and ((value < 0).any() or (value > 1).any()):
        return ["`predict` returned values outside [0, 1]: return probabilities (the sigmoid of "
                "the network's output), not logits"]
    if probabilities and np.isin(value, (0.0, 1.0)).all():
        return ["`predict` returned only 0s and 1s: return the probabilities, not labels"]
    return []


def judge_predict(out, inputs, expected):
    predictions = out.get("predictions")
    found = _prediction_problems(predictions, len(inputs["points"]))
    if found:
        return found
    run = expected["run"]
    if np.allclose(predictions, run["final"], rtol=0.0, atol=1e-4):
        return []
    if np.allclose(predictions, run["initial"], rtol=0.0, atol=1e-4):
        return ["`predict` answers with the network as it was before training"]
    return ["`predict` does not give the probabilities of the trained network (the grader "
            "repeated the run with the same seed and data); if the checks of the losses pass, "
            "check that predict applies the sigmoid once to the trained network's output"]


def judge_accuracy(out, inputs, expected):
    accuracy = out.get("accuracy")
    if isinstance(accuracy, (Tensor, np.ndarray)) or _python_number(accuracy) is None:
        return [f"`accuracy` is {describe(accuracy)}, expected a float"]
    found = _prediction_problems(out.get("predictions"), len(inputs["points"]))
    if found:
        return ["the accuracy could not be checked: " + found[0]]
    accuracy, predictions = _python_number(accuracy), out["predictions"]
    truth = np.asarray(inputs["y"]) >= 0.5          # the grader's copy of the labels
    fractions = [np.mean((predictions >= 0.5) == truth), np.mean((predictions > 0.5) == truth)]
    if any(abs(accuracy - f) < 1e-9 for f in fractions):
        return []
    if any(abs(accuracy - 100 * f) < 1e-7 for f in fractions):
        return ["`accuracy` is a percentage; return the fraction, a number between 0 and 1"]
    return ["`accuracy` is not the fraction of training points whose predicted probability "
            "after training (as `predict` gives it) is on the correct side of 0.5"]


def _predictions(out, runs: int, m: int):
    """``(list of (m,) arrays, [])`` or ``(None, problems)`` for a probe that ran train_xor
    ``runs`` times; labels (0s and 1s) are accepted here, only the sides of 0.5 count."""
    value = out.get("predictions")
    if not isinstance(value, list) or len(value) != runs:
        return None, ["the check could not read the predictions of its runs"]
    for p in value:
        found = _prediction_problems(p, m, probabilities=False)
        if found:
            return None, found
    return value, []


def judge_relabelled_xor(out, inputs, expected):
    predictions, found = _predictions(out, len(inputs["runs"]), 4)
    if found:
        return found
    solved = sum(bool(np.all((p >= 0.5) == (truth >= 0.5)))
                 for p, truth in zip(predictions, inputs["_labels"]))
    need = len(predictions) // 2 + 1
    if solved < need:
        return [f"trained with H = {inputs['hidden_units']}, lr = {inputs['lr']} and "
                f"{inputs['epochs']} epochs on the four corners (given as X and y, labelled "
                f"like XOR or like XNOR), {solved} of {len(predictions)} runs classified all "
                f"four corners correctly; at least {need} should"]
    return []


def judge_given_data(out, inputs, expected):
    y_test = np.asarray(inputs["_y_test"]) >= 0.5
    predictions, found = _predictions(out, len(inputs["runs"]), len(y_test))
    if found:
        return found
    if max(np.mean((p >= 0.5) == y_test) for p in predictions) < 0.95:
        return ["trained on given data X, y (noisy points around the corners, not labelled "
                "like XOR), no run reached 95% accuracy on test points from the same "
                "distribution: does `train_xor` train on the X and y it is given?"]
    return []
