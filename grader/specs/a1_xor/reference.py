"""Assignment 1 (XOR), trusted side: references, input makers and judges.

Nothing here is sent to the student's kernel. Input makers draw a check's inputs from a seeded
generator (keys starting with ``_`` stay here); references compute the expected observations
once per grader process; judges (``verify``) turn the raw observations that the probes in
grader/probes/a1_xor.py send back into messages. Judges never print an expected value or the
size of an error: they say what is wrong in words the student can act on.
"""
from __future__ import annotations

import numpy as np

from ...compare import describe, plain_scalar, problems
from ...wire import Tensor

XOR_X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


# ================================================================== Part 1 to 3: NumPy

def exact_float64(name):
    """A judge for a variable that must equal the expected array and have dtype float64."""
    def verify(out, inputs, expected):
        value, subject = out.get("value"), f"`{name}`"
        if not isinstance(value, np.ndarray):
            return [f"{subject} is {describe(value)}, expected a NumPy array"]
        found = problems(value, expected["value"], subject, reveal=False)
        if not found and value.dtype != np.float64:
            found = [f"{subject} has dtype {value.dtype}; the task asks for float64 "
                     "(write the entries as floats, e.g. 0.0 and 1.0)"]
        return found
    return verify


def ref_least_squares(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Least squares with a bias.

    Inputs:
    - X: (n, d) inputs, one example per row
    - y: (n,) targets

    Returns (w, b): w of shape (d,) and the number b minimising sum_i (X[i] @ w + b - y[i])**2.
    """
    A = np.column_stack([X, np.ones(len(X))])
    theta = np.linalg.lstsq(A, y, rcond=None)[0]
    return theta[:-1], float(theta[-1])


def least_squares_inputs(n: int, d: int, exact: bool):
    """Random (n, d) data; with ``exact`` the targets are an affine function of the inputs."""
    def inputs(rng):
        X = rng.normal(size=(n, d))
        y = X @ rng.normal(size=d) + rng.normal() if exact else rng.normal(size=n)
        return {"func": "least_squares_fit", "args": [X, y], "kwargs": {}}
    return inputs


def ref_least_squares_call(func, args, kwargs):
    return {"value": ref_least_squares(*args)}


def judge_pair(func: str, names: tuple[str, str]):
    """A judge for a function that returns a pair: the pair's form first, then each part
    against the reference, by position only."""
    def verify(out, inputs, expected):
        value = out.get("value")
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            return [f"`{func}` returned {describe(value)}, expected a pair "
                    f"({', '.join(names)})"]
        found = []
        for name, got, want in zip(names, value, expected["value"]):
            found += problems(got, want, f"`{name}` returned by `{func}`", reveal=False)
        return found
    return verify


def ref_relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0) entry-wise; z of any shape."""
    return np.maximum(z, 0.0)


def relu_inputs_3d(rng) -> tuple:
    """A 3-D input with entries exactly 0 (the boundary), as a one-argument tuple."""
    z = rng.normal(size=(2, 3, 4))
    z[0, 1, :2] = 0.0
    return (z,)


def relu_view_inputs(rng) -> dict:
    """A base array; the probe hands relu the non-contiguous view base[:, ::2]."""
    return {"base": rng.normal(size=(4, 6))}


def ref_relu_view(base: np.ndarray) -> dict:
    return {"value": ref_relu(base[:, ::2]), "input after": base}


def judge_relu_view(out, inputs, expected):
    found = problems(out.get("value"), expected["value"], "`relu` on a view of an array",
                     verb="returned", reveal=False)
    after = out.get("input after")
    if not isinstance(after, np.ndarray) or after.shape != expected["input after"].shape \
            or not np.array_equal(after, expected["input after"]):
        found.append("`relu` changed the array it was given: it must return a new array and "
                     "leave z as it was (z may be a view of a larger array)")
    return found


def ref_two_layer_forward(X: np.ndarray, W1: np.ndarray, b1: np.ndarray, w2: np.ndarray,
                          b2: float) -> np.ndarray:
    """relu(X @ W1 + b1) @ w2 + b2: X (n, d), W1 (d, H), b1 (H,), w2 (H,), b2 a number;
    returns (n,)."""
    return np.maximum(X @ W1 + b1, 0.0) @ w2 + b2


def forward_args(n: int, d: int, H: int, shift: float = 0.0):
    """Random arguments of two_layer_forward; a negative ``shift`` of b1 switches many hidden
    units off."""
    def args(rng):
        return (rng.normal(size=(n, d)), rng.normal(size=(d, H)), rng.normal(size=H) + shift,
                rng.normal(size=H), float(rng.normal()))
    return args


def ref_hidden_features(X: np.ndarray, W1: np.ndarray, b1: np.ndarray) -> np.ndarray:
    """relu(X @ W1 + b1): X (n, d), W1 (d, H), b1 (H,); returns (n, H)."""
    return np.maximum(X @ W1 + b1, 0.0)


def judge_xor_network(out, inputs, expected):
    """Evaluate the student's hand-chosen 2-2-1 network here, on the four XOR points."""
    shapes = {"W1_xor": (2, 2), "b1_xor": (2,), "w2_xor": (2,), "b2_xor": ()}
    params = {}
    for name, shape in shapes.items():
        value = plain_scalar(out.get(name))
        if type(value) in (int, float):
            value = np.asarray(value, dtype=float)
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf" \
                or value.size != int(np.prod(shape)):
            return [f"the network cannot be evaluated: `{name}` is {describe(value)}, "
                    f"expected {'a number' if not shape else f'an array of shape {shape}'}"]
        params[name] = value.astype(float).reshape(shape)
    outputs = ref_two_layer_forward(XOR_X, *params.values())
    wrong = ~np.isclose(outputs, XOR_Y, rtol=0.0, atol=1e-9)
    if wrong.any():
        rows = ", ".join(str(tuple(int(v) for v in XOR_X[i])) for i in np.flatnonzero(wrong))
        return [f"the network with your parameters does not output exactly the XOR label at "
                f"{int(wrong.sum())} of the 4 points: {rows}"]
    return []


# ================================================================== Part 4: train_xor

def _corners(rng, n: int, std: float, labels: np.ndarray = XOR_Y):
    """n points around the four corners, labelled per corner by ``labels``."""
    corner = rng.integers(0, 4, size=n)
    return XOR_X[corner] + std * rng.normal(size=(n, 2)), labels[corner].astype(float)


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
    X, y = _corners(rng, 12, 0.2)
    return {"hidden_units": 6, "lr": 0.5, "epochs": 25, "seed": int(rng.integers(1000)),
            "X": X, "y": y, "points": np.asfortranarray(rng.uniform(-1.0, 2.0, size=(30, 2)))}


def accuracy_inputs(rng) -> dict:
    """Noisy XOR data with three labels flipped, so that the final accuracy is not simply 1;
    predict is asked about the training points themselves."""
    X, y = _corners(rng, 16, 0.25)
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
    X, y = _corners(rng, 80, 0.1, xnor)
    X_test, y_test = _corners(rng, 200, 0.1, xnor)
    seeds = [int(s) for s in rng.choice(1000, 2, replace=False)]
    return {"hidden_units": 8, "lr": 1.0, "epochs": 60,
            "runs": [{"seed": s, "X": X, "y": y} for s in seeds], "points": X_test,
            "_y_test": y_test}


_RUNS: dict = {}


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
    The result is cached: every submission is judged against the same runs.
    """
    X = XOR_X if X is None else np.asarray(X, dtype=float)
    y = XOR_Y if y is None else np.asarray(y, dtype=float)
    points = np.asarray(points, dtype=float)
    key = (hidden_units, lr, epochs, seed, reduction, reset,
           *(a.tobytes() + str(a.shape).encode() for a in (X, y, points)))
    if key not in _RUNS:
        _RUNS[key] = _train(hidden_units, lr, epochs, seed, X, y, points, reduction, reset)
    return _RUNS[key]


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


# ================================================================== Part 5: noisy XOR, plots

def noisy_call(n: int, std: float):
    """Inputs of ``common.call`` for make_noisy_xor(n, std, seed) with a random seed."""
    def inputs(rng):
        return {"func": "make_noisy_xor", "args": [n, std, int(rng.integers(1000))],
                "kwargs": {}}
    return inputs


def noisy_seeds_inputs(rng) -> dict:
    seed = int(rng.integers(1000))
    return {"n": 50, "std": 0.1, "seeds": [seed, seed, seed + 1 + int(rng.integers(500))]}


def _noisy_pair(value, n: int):
    """``(X, y, [])`` as float arrays, or ``(None, None, problems)``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return None, None, [f"`make_noisy_xor` returned {describe(value)}, expected a pair "
                            "(X, y)"]
    X, y = value
    if not all(isinstance(a, np.ndarray) and a.dtype.kind in "iuf" for a in (X, y)) \
            or X.shape != (n, 2) or y.shape != (n,):
        return None, None, [f"`make_noisy_xor({n}, ...)` must return NumPy arrays X of shape "
                            f"({n}, 2) and y of shape ({n},); it returned {describe(X)} and "
                            f"{describe(y)}"]
    return X.astype(float), y.astype(float), []


def judge_noisy_labels(out, inputs, expected):
    X, y, found = _noisy_pair(out.get("value"), inputs["args"][0])
    if found:
        return found
    corner = (X > 0.5).astype(int)       # std is small: every point is near its corner
    truth = (corner[:, 0] ^ corner[:, 1]).astype(float)
    if np.mean(y == truth) < 0.99:
        return ["the labels are not the XOR of the corners the points come from (1.0 for "
                "(1, 0) and (0, 1), 0.0 for (0, 0) and (1, 1))"]
    return []


def judge_noisy_spread(out, inputs, expected):
    n, std, _ = inputs["args"]
    X, _, found = _noisy_pair(out.get("value"), n)
    if found:
        return found
    noise = X - (X > 0.5)
    if np.abs(noise.mean(axis=0)).max() > 0.1 * std:
        return ["the points are not centred on their corners: the noise must have mean 0"]
    if np.any(np.abs(noise.std(axis=0) - std) > 0.1 * std):
        return ["the noise does not have standard deviation `std` in each coordinate (`std` is "
                "a standard deviation, not a variance)"]
    if abs(np.corrcoef(noise.T)[0, 1]) > 0.1:
        return ["the noise of the two coordinates is not independent: draw it separately for "
                "each coordinate, e.g. with size=(n, 2)"]
    return []


def judge_noisy_corners(out, inputs, expected):
    X, _, found = _noisy_pair(out.get("value"), inputs["args"][0])
    if found:
        return found
    corner = (X > 0.5).astype(int) @ np.array([1, 2])
    share = np.bincount(corner, minlength=4) / len(corner)
    if share.min() < 0.15 or share.max() > 0.35:
        return ["the four corners are not used about equally often: each row's corner should "
                "be each of the four with probability 1/4"]
    return []


def judge_noisy_seeds(out, inputs, expected):
    runs = out.get("runs")
    if not isinstance(runs, list) or len(runs) != 3:
        return ["the check could not read the data of three calls"]
    read = [_noisy_pair(run, inputs["n"]) for run in runs]
    for _, _, found in read:
        if found:
            return found
    (a, ya, _), (b, yb, _), (c, _, _) = read
    if not (np.array_equal(a, b) and np.array_equal(ya, yb)):
        return ["two calls with the same seed gave different data: draw all randomness from "
                "one generator, np.random.default_rng(seed)"]
    if np.array_equal(a, c):
        return ["calls with different seeds gave the same data: the generator must be "
                "np.random.default_rng(seed)"]
    if not _same_state(out.get("global state before"), out.get("global state after")):
        return ["`make_noisy_xor` used NumPy's global random generator (np.random.seed, "
                "np.random.rand, ...): draw everything from np.random.default_rng(seed)"]
    return []


def _same_state(a, b) -> bool:
    """Whether two observations of np.random.get_state() are the same state."""
    if not isinstance(a, (list, tuple)) or not isinstance(b, (list, tuple)) or len(a) != len(b):
        return False
    return all(np.array_equal(x, y) if isinstance(x, np.ndarray) else
               plain_scalar(x) == plain_scalar(y) for x, y in zip(a, b))


def plot_inputs(rng) -> dict:
    """40 noisy points around stretched corners, and a stand-in classifier's parameters."""
    X, y = _corners(rng, 40, 0.3)
    return {"X": 2.0 * X - 0.5, "y": y, "weights": 3.0 * rng.normal(size=2),
            "offset": float(rng.normal())}


FILLED = ("matplotlib.collections.QuadMesh", "matplotlib.collections.PolyQuadMesh",
          "matplotlib.image.AxesImage")          # pcolormesh, pcolor, imshow; or a filled
CONTOURS = "matplotlib.contour.ContourSet"       # ContourSet (contourf, tricontourf)


def _plot_axes(out):
    """The observed Axes of the figure, without colorbars (they hold a mesh of their own)."""
    axes = out.get("axes")
    if not isinstance(axes, list):
        return []
    return [ax for ax in axes if isinstance(ax, dict) and ax.get("label") != "<colorbar>"]


NO_AXES = ("no Axes were found in what `plot_decision_boundary` returned (it must return the "
           "Figure, e.g. from plt.subplots())")


def judge_filled(out, inputs, expected):
    axes = _plot_axes(out)
    if not axes:
        return [NO_AXES]
    lines_only = False
    for ax in axes:
        for artist in ax.get("collections", []) + ax.get("images", []):
            classes = artist.get("classes") or []
            if any(name in classes for name in FILLED):
                return []
            if CONTOURS in classes:
                if artist.get("filled") is True:
                    return []
                lines_only = True
    if lines_only:
        return ["only contour lines were drawn; draw the probabilities as a filled contour "
                "plot (ax.contourf)"]
    return ["no filled plot of the predicted probabilities was found (draw them with "
            "ax.contourf)"]


def _rgba(value):
    """A colour observation as an RGBA tuple, or None if it is not one."""
    from matplotlib.colors import to_rgba
    try:
        return to_rgba(value.tolist() if isinstance(value, np.ndarray) else value)
    except (TypeError, ValueError):
        return None


def _markers(out):
    """``(positions (k, 2), colours)`` of every marker drawn on the Axes: scatter collections
    and lines with markers. A marker's colour is its face colour, or its edge colour where the
    face is transparent."""
    positions, colours = [], []
    for ax in _plot_axes(out):
        for c in ax.get("collections", []):
            offsets = c.get("offsets")
            if "matplotlib.collections.PathCollection" not in (c.get("classes") or []) \
                    or not isinstance(offsets, np.ndarray) or offsets.ndim != 2 \
                    or offsets.shape[1] != 2:
                continue
            face, edge = (_colour_rows(c.get(k), len(offsets)) for k in ("facecolors",
                                                                          "edgecolors"))
            for xy, f, e in zip(offsets, face, edge):
                positions.append(xy)
                colours.append(f if f is not None and f[3] > 0 else e)
        for line in ax.get("lines", []):
            xy = line.get("xy")
            if line.get("marker") in (None, "None", "none", "", " ") \
                    or not isinstance(xy, np.ndarray) or xy.ndim != 2 or xy.shape[1] != 2:
                continue
            face, edge = _rgba(line.get("markerfacecolor")), _rgba(line.get("markeredgecolor"))
            for point in xy:
                positions.append(point)
                colours.append(face if face is not None and face[3] > 0 else edge)
    return np.array(positions, dtype=float).reshape(-1, 2), colours


def _colour_rows(value, k):
    """k colours from a collection's colour rows: one row means every marker has it."""
    if not isinstance(value, np.ndarray) or value.ndim != 2 or value.shape[1] != 4 \
            or value.shape[0] not in (1, k):
        return [None] * k
    rows = [tuple(float(v) for v in row) for row in value]
    return rows * k if len(rows) == 1 else rows


def _drawn(out, X):
    """For each row of X, the set of colours of the markers drawn exactly there."""
    positions, colours = _markers(out)
    found = []
    for row in X:
        at = np.flatnonzero(np.isclose(positions, row, rtol=1e-9, atol=1e-12).all(axis=1)) \
            if len(positions) else []
        found.append({tuple(round(v, 4) for v in colours[i]) for i in at
                      if colours[i] is not None})
    return found


def judge_points_drawn(out, inputs, expected):
    if not _plot_axes(out):
        return [NO_AXES]
    missing = sum(1 for colours in _drawn(out, inputs["X"]) if not colours)
    if missing:
        return [f"{missing} of the {len(inputs['X'])} points of X were not drawn as markers "
                "(draw them with ax.scatter)"]
    return []


def judge_points_coloured(out, inputs, expected):
    drawn = _drawn(out, inputs["X"])
    if not all(drawn):
        return ["the points of X were not all drawn, so their colours could not be checked"]
    label = np.asarray(inputs["y"]) >= 0.5
    # some colour must be shared by all points of one label and by no point of the other
    # (points drawn twice, e.g. a black ring under a coloured dot, are fine)
    for mine, other in ((label, ~label), (~label, label)):
        common = set.intersection(*[drawn[i] for i in np.flatnonzero(mine)])
        common -= set.union(*[drawn[i] for i in np.flatnonzero(other)])
        if not common:
            return ["the points are not coloured by their labels: all points with label 0 "
                    "should share one colour and all points with label 1 another (e.g. "
                    "ax.scatter(..., c=y))"]
    return []


def judge_grid(out, inputs, expected):
    calls = out.get("calls")
    if not isinstance(calls, list) or not calls:
        return ["`predict` was never called"]
    X = np.asarray(inputs["X"])
    problems_by_size = []
    for points in calls:
        problem = _grid_problem(points, X)
        if problem is None:
            return []
        size = points.shape[0] if isinstance(points, np.ndarray) and points.ndim else 0
        problems_by_size.append((size, problem))
    return [max(problems_by_size, key=lambda p: p[0])[1]]


def _grid_problem(points, X):
    """Why one call of predict did not get the whole grid (None if it did)."""
    if not isinstance(points, np.ndarray) or points.ndim != 2 or points.shape[1] != 2 \
            or points.dtype.kind not in "iuf":
        return (f"`predict` was called with {describe(points)}; give it one (m, 2) NumPy array "
                "with all grid points")
    xs, ys = np.unique(points[:, 0]), np.unique(points[:, 1])
    if len(xs) < 20 or len(ys) < 20:
        return ("no call of `predict` got a grid of at least 20 x 20 points: evaluate predict "
                "once, on all points of the grid")
    regular = all(np.allclose(np.diff(v), np.diff(v).mean(), rtol=1e-6, atol=0) for v in (xs, ys))
    if points.shape[0] != len(xs) * len(ys) or len(np.unique(points, axis=0)) != len(points) \
            or not regular:
        return ("the points given to `predict` are not a regular grid (use np.meshgrid of two "
                "np.linspace ranges)")
    if not (xs[0] < X[:, 0].min() and xs[-1] > X[:, 0].max() and ys[0] < X[:, 1].min()
            and ys[-1] > X[:, 1].max()):
        return "the grid does not cover all points of X plus a margin"
    return None


# ================================================================== Part 6: output layers

def judge_choice(key: str, part: int):
    """A judge for one entry of output_choices; names are compared case-blind and stripped."""
    what = ("output activation", "loss")[part]

    def verify(out, inputs, expected):
        choices = out.get("value")
        pair = choices.get(key) if isinstance(choices, dict) else None
        if not isinstance(pair, (tuple, list)) or len(pair) != 2 \
                or not isinstance(pair[part], str):
            return [f"`output_choices[{key!r}]` is not a pair of strings (activation, loss)"]
        if pair[part].strip().lower() != expected["value"]:
            return [f"{pair[part]!r} is not the {what} that suits {key}"]
        return []
    return verify
