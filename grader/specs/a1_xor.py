"""Assignment 1: the XOR problem.

Reference implementations and expected values live here, on the trusted side. Probe code runs
in the student's kernel and sends back plain data only. The training checks judge behaviour
(the loss goes down, most seeds solve XOR, the given data is used), never one exact trajectory,
so any correct way of writing the training loop passes.
"""
import numpy as np

from ..checks import Assignment, Task, boolean, call, probe, value
from ..wire import Like, Tensor

# ------------------------------------------------------------------ probe-side helpers

# Prepended to probes. NumPy scalars and 0-d arrays become Python numbers (the comparison code
# expects plain numbers for scalar answers); GraderError makes the grader print a probe's own
# message without "your code raised".
HELPERS = '''
import numpy as np

class GraderError(Exception):
    pass

def _g_plain(v):
    if isinstance(v, np.generic) and v.dtype.kind in "biuf":
        return v.item()
    if type(v) is np.ndarray and v.ndim == 0 and v.dtype.kind in "biuf":
        return v.item()
    if type(v) in (list, tuple):
        return type(v)(_g_plain(x) for x in v)
    return v

def _g_result(r):
    """The dict returned by train_xor, checked for its three keys."""
    if type(r) is not dict:
        raise GraderError(f"train_xor must return a dict, not {type(r).__name__}")
    for key in ("losses", "accuracy", "predict"):
        if key not in r:
            raise GraderError(f"the dict returned by train_xor has no key {key!r}")
    if not callable(r["predict"]):
        raise GraderError("r['predict'] must be a function (it is not callable)")
    return r
'''

XOR_X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


def _numbers(value):
    """A float array from decoded data (lists, arrays, tensors), or None if it is not numbers."""
    if isinstance(value, Tensor):
        value = value.array
    if isinstance(value, (list, tuple)):
        value = [v.array if isinstance(v, Tensor) else v for v in value]
        if not all(type(v) in (int, float) or isinstance(v, (np.ndarray, np.number))
                   and np.size(v) == 1 for v in value):
            return None
        value = np.array([float(np.asarray(v).reshape(-1)[0]) for v in value])
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        value = np.asarray(float(value))
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
        return None
    return value.astype(float)


# ------------------------------------------------------------------ reference solutions

def ref_least_squares(X, y):
    A = np.column_stack([X, np.ones(len(X))])
    theta = np.linalg.lstsq(A, y, rcond=None)[0]
    return {"w": theta[:-1], "b": float(theta[-1])}


def ref_relu(z):
    return np.maximum(z, 0.0)


def ref_two_layer_forward(X, W1, b1, w2, b2):
    return np.maximum(X @ W1 + b1, 0.0) @ w2 + b2


def ref_hidden_features(X, W1, b1):
    return np.maximum(X @ W1 + b1, 0.0)


def noisy_corners(rng, n, std, labels=XOR_Y):
    """Points around the four corners (trusted side), labelled by ``labels`` per corner."""
    corner = rng.integers(0, 4, size=n)
    return XOR_X[corner] + std * rng.normal(size=(n, 2)), labels[corner].copy()


# ------------------------------------------------------------------ task 1.1: the data

task_1 = Task("task_1_1", "The XOR data", [
    value("X_xor", shape=(4, 2), dtype="float", points=1, public=True,
          label="shape and dtype of `X_xor`"),
    value("X_xor", XOR_X, points=2, label="`X_xor`"),
    value("y_xor", shape=(4,), dtype="float", points=1, public=True,
          label="shape and dtype of `y_xor`"),
    value("y_xor", XOR_Y, points=2, label="`y_xor`"),
])


# ------------------------------------------------------------------ task 1.2: least squares

_LSQ = HELPERS + '''
_r = least_squares_fit(I["X"], I["y"])
if type(_r) not in (tuple, list) or len(_r) != 2:
    raise GraderError("least_squares_fit must return a pair (w, b)")
OUT = {"w": _r[0], "b": _g_plain(_r[1])}
'''


def _lsq_random(n, d, exact):
    def inputs(rng):
        X = rng.normal(size=(n, d))
        if exact:
            y = X @ rng.normal(size=d) + rng.normal()
        else:
            y = rng.normal(size=n)
        return {"X": X, "y": y}
    return inputs


task_2 = Task("task_1_2", "Least squares on XOR", [
    probe("`least_squares_fit` returns (w, b)", _LSQ, points=2, public=True,
          inputs=_lsq_random(6, 3, False),
          expected={"w": Like("ndarray", shape=(3,), dtype="float"), "b": Like("float")}),
    probe("`least_squares_fit(X_xor, y_xor)`", _LSQ, points=2, public=True,
          inputs={"X": XOR_X, "y": XOR_Y}, expected={"w": np.zeros(2), "b": 0.5},
          verb="returned"),
    probe("`least_squares_fit` on hidden data", _LSQ, points=4,
          inputs=_lsq_random(9, 3, False), ref=ref_least_squares, verb="returned"),
    probe("`least_squares_fit` on data that is exactly affine", _LSQ, points=2,
          inputs=_lsq_random(12, 4, True), ref=ref_least_squares, verb="returned"),
])


# ------------------------------------------------------------------ task 1.3: true or false

TRUE_FALSE = {
    "tf_bias_solves_xor": False,
    "tf_sigmoid_solves_xor": False,
    "tf_stacked_linear_is_linear": True,
    "tf_product_feature_solves_xor": True,
    "tf_one_relu_unit_solves_xor": False,
}

task_3 = Task("task_1_3", "True or false: linear models and XOR",
              [boolean(name, answer, points=2) for name, answer in TRUE_FALSE.items()])


# ------------------------------------------------------------------ task 1.4: relu

_RELU_KEEPS_INPUT = '''
import numpy as np
_z = np.array(I["z"], dtype=float)
relu(_z)
OUT = {"value": _z}
'''

task_4 = Task("task_1_4", "ReLU", [
    call("relu", (np.array([-2.0, 0.0, 3.0]),), ref=ref_relu, points=1, public=True),
    call("relu", lambda rng: (rng.normal(size=(3, 4)),), shape=(3, 4), dtype="float",
         points=1, public=True, label="`relu` keeps the shape of its input"),
    call("relu", lambda rng: (rng.normal(size=(6, 5)),), ref=ref_relu, points=2),
    probe("`relu` leaves its input unchanged", _RELU_KEEPS_INPUT, points=1,
          inputs=lambda rng: {"z": rng.normal(size=(4, 3))},
          ref=lambda z: {"value": z}),
])


# ------------------------------------------------------------------ task 1.5: forward pass

def _forward_args(n, d, H, shift=0.0):
    def args(rng):
        return (rng.normal(size=(n, d)), rng.normal(size=(d, H)),
                rng.normal(size=H) + shift, rng.normal(size=H), float(rng.normal()))
    return args


FORWARD_EXAMPLE = (np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 0.0]]),
                   np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([0.0, -1.0]),
                   np.array([2.0, -1.0]), 0.5)

task_5 = Task("task_1_5", "The two-layer forward pass", [
    call("two_layer_forward", _forward_args(5, 2, 3), shape=(5,), dtype="float", points=2,
         public=True, label="`two_layer_forward` returns one number per row of X"),
    call("two_layer_forward", FORWARD_EXAMPLE, ref=ref_two_layer_forward, points=2,
         public=True, label="`two_layer_forward` on the example input"),
    call("two_layer_forward", _forward_args(7, 3, 5), ref=ref_two_layer_forward, points=4),
    call("two_layer_forward", _forward_args(6, 2, 4, shift=-1.0), ref=ref_two_layer_forward,
         points=2, label="`two_layer_forward` on hidden inputs with many inactive units"),
])


# ------------------------------------------------------------------ task 1.6: XOR by hand

_PARAMS = HELPERS + '''
OUT = {"W1_xor": W1_xor, "b1_xor": b1_xor, "w2_xor": w2_xor, "b2_xor": _g_plain(b2_xor)}
'''

_PARAMS_SOLVE = HELPERS + '''
_X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
try:
    _h = np.maximum(_X @ np.asarray(W1_xor, dtype=float) + np.asarray(b1_xor, dtype=float), 0.0)
    _out = _h @ np.asarray(w2_xor, dtype=float) + float(b2_xor)
except (TypeError, ValueError) as _e:
    raise GraderError(f"the network cannot be evaluated with these parameters ({_e})")
OUT = {"value": _out}
'''

task_6 = Task("task_1_6", "Parameters that compute XOR", [
    probe("shapes and types of the XOR parameters", _PARAMS, points=2, public=True,
          expected={"W1_xor": Like("ndarray", shape=(2, 2), dtype="float"),
                    "b1_xor": Like("ndarray", shape=(2,), dtype="float"),
                    "w2_xor": Like("ndarray", shape=(2,), dtype="float"),
                    "b2_xor": Like("float")}),
    probe("the network with your parameters on the four XOR points", _PARAMS_SOLVE, points=6,
          expected={"value": XOR_Y}, verb="gives", atol=1e-9, rtol=0.0),
])


# ------------------------------------------------------------------ task 1.7: hidden features

task_7 = Task("task_1_7", "The hidden representation", [
    call("hidden_features", lambda rng: (rng.normal(size=(5, 2)), rng.normal(size=(2, 3)),
                                         rng.normal(size=3)),
         shape=(5, 3), dtype="float", points=1, public=True,
         label="`hidden_features` returns an (n, H) array"),
    call("hidden_features", FORWARD_EXAMPLE[:3], ref=ref_hidden_features, points=1,
         public=True, label="`hidden_features` on the example input"),
    call("hidden_features", lambda rng: (rng.normal(size=(8, 3)), rng.normal(size=(3, 4)),
                                         rng.normal(size=4)),
         ref=ref_hidden_features, points=4),
])


# ------------------------------------------------------------------ task 1.8: training

_TRAIN_FORMAT = HELPERS + '''
_r = _g_result(train_xor(4, 0.5, 5, 0))
_losses = _r["losses"]
OUT = {"losses": [_g_plain(v) for v in _losses] if type(_losses) in (list, tuple) else _losses,
       "accuracy": _g_plain(_r["accuracy"]),
       "predictions": _r["predict"](np.array(I["P"]))}
'''

_TRAIN_LOSSES = HELPERS + '''
_r = _g_result(train_xor(I["H"], I["lr"], I["epochs"], I["seed"]))
OUT = {"losses": [_g_plain(v) for v in _r["losses"]]}
'''

_TRAIN_SEEDS = HELPERS + '''
_runs = [_g_result(train_xor(I["H"], I["lr"], I["epochs"], s))["losses"] for s in I["seeds"]]
OUT = {"runs": [[_g_plain(v) for v in losses] for losses in _runs]}
'''

_TRAIN_SOLVES = HELPERS + '''
_X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
OUT = {"predictions": [_g_result(train_xor(I["H"], I["lr"], I["epochs"], s))["predict"](_X)
                       for s in I["seeds"]]}
'''

_TRAIN_CONSISTENT = HELPERS + '''
_X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
_r = _g_result(train_xor(I["H"], I["lr"], I["epochs"], I["seed"]))
OUT = {"accuracy": _g_plain(_r["accuracy"]), "train": _r["predict"](_X),
       "grid": _r["predict"](np.array(I["P"]))}
'''

_TRAIN_DATA = HELPERS + '''
OUT = {"test": [_g_result(train_xor(I["H"], I["lr"], I["epochs"], s, X=np.array(I["X"]),
                                    y=np.array(I["y"])))["predict"](np.array(I["X_test"]))
                for s in I["seeds"]]}
'''


def _verify_losses(out, inputs, expected):
    losses = _numbers(out.get("losses"))
    if losses is None or losses.ndim != 1:
        return ["`losses` must be a list of numbers"]
    if len(losses) != inputs["epochs"]:
        return [f"`losses` has {len(losses)} entries for {inputs['epochs']} epochs"]
    if not np.isfinite(losses).all():
        return ["`losses` contains nan or inf"]
    first, last = losses[:10].mean(), losses[-10:].mean()
    # Lenient on purpose: a correct run can sit near ln 2 for a while before it takes off.
    if not (last < first and losses[-1] < losses[0] - 1e-4):
        return [f"the loss did not go down: it averaged {first:.3g} over the first 10 epochs "
                f"and {last:.3g} over the last 10"]
    return []


def _verify_steps(out, inputs, expected):
    losses = _numbers(out.get("losses"))
    steps = inputs["epochs"] - 1
    if losses is None or losses.shape != (inputs["epochs"],) or not np.isfinite(losses).all():
        return ["`losses` must be a list with one finite number per epoch"]
    first = losses[0] - losses[1]
    if not first > 0:
        return [f"with lr = {inputs['lr']} the first update did not lower the loss"]
    ratio = (losses[0] - losses[-1]) / (steps * first)
    if not 0.5 <= ratio <= 1.5:
        return [f"with a small learning rate (lr = {inputs['lr']}) gradient descent lowers the "
                f"loss by about the same amount in each of the first {steps} steps, but on "
                f"average your steps lowered it {ratio:.1f} times as much as the first one: "
                "is the gradient reset (optimizer.zero_grad()) in every epoch, and is the "
                "update a plain step -lr * gradient?"]
    return []


def _verify_seeds(out, inputs, expected):
    runs = out.get("runs")
    if not isinstance(runs, list) or len(runs) != 3:
        return ["the check could not read the losses of three runs"]
    a, b, c = (_numbers(r) for r in runs)
    if any(r is None or r.shape != (inputs["epochs"],) for r in (a, b, c)):
        return ["`losses` must be a list with one number per epoch"]
    if not np.allclose(a, b, rtol=1e-9, atol=1e-12):
        return ["two runs with the same seed gave different losses: seed all randomness "
                "(torch.manual_seed(seed)) at the start of `train_xor`"]
    if np.allclose(a, c, rtol=1e-9, atol=1e-12):
        return ["runs with different seeds gave identical losses: the initialisation should "
                "depend on `seed`"]
    return []


def _hits(predictions, y):
    """Whether each run's predictions classify every point correctly (None: not readable)."""
    hits = []
    for p in predictions:
        p = _numbers(p)
        if p is None or p.shape != y.shape:
            return None
        hits.append(bool(np.all((p >= 0.5) == (y >= 0.5)) and np.all((p >= 0) & (p <= 1))))
    return hits


def _verify_solves(out, inputs, expected):
    hits = _hits(out.get("predictions") or [], XOR_Y)
    if hits is None or len(hits) != len(inputs["seeds"]):
        return ["`predict` must return an array of shape (n,) for an (n, 2) input"]
    need = len(hits) // 2 + 1
    if sum(hits) < need:
        return [f"with {inputs['H']} hidden units, lr = {inputs['lr']} and {inputs['epochs']} "
                f"epochs, {sum(hits)} of {len(hits)} seeds classified all four XOR points "
                f"correctly (expected at least {need})"]
    return []


def _verify_consistent(out, inputs, expected):
    train, grid = _numbers(out.get("train")), _numbers(out.get("grid"))
    accuracy = out.get("accuracy")
    if train is None or grid is None or train.shape != (4,) or grid.ndim != 1:
        return ["`predict` must return an array of shape (n,) for an (n, 2) input"]
    if not (np.all((grid >= 0) & (grid <= 1)) and np.all((train >= 0) & (train <= 1))):
        return ["`predict` must return probabilities, between 0 and 1"]
    if np.all((grid == 0) | (grid == 1)):
        return ["`predict` returned only 0s and 1s: return the probabilities, not the labels"]
    if type(accuracy) not in (int, float):
        return ["`accuracy` must be a number"]
    options = [np.mean((train >= 0.5) == XOR_Y), np.mean((train > 0.5) == XOR_Y)]
    if not any(abs(accuracy - a) < 1e-9 for a in options):
        return ["`accuracy` is not the fraction of the four points that `predict` classifies "
                "correctly (a number between 0 and 1)"]
    return []


def _verify_data(out, inputs, expected):
    hits = []
    y = np.asarray(inputs["y_test"])
    for p in out.get("test") or []:
        p = _numbers(p)
        if p is None or p.shape != y.shape:
            return ["`predict` must return an array of shape (n,) for an (n, 2) input"]
        hits.append(float(np.mean((p >= 0.5) == (y >= 0.5))))
    if len(hits) != len(inputs["seeds"]):
        return ["the check could not read the predictions"]
    if max(hits) < 0.95:
        return [f"trained on given data X, y (noisy, XNOR labels), the best test accuracy was "
                f"{max(hits):.2f}, expected at least 0.95: does `train_xor` train on the X and "
                f"y it is given?"]
    return []


def _data_inputs(rng):
    xnor = 1.0 - XOR_Y
    X, y = noisy_corners(rng, 80, 0.1, xnor)
    X_test, y_test = noisy_corners(rng, 200, 0.1, xnor)
    return {"H": 8, "lr": 1.0, "epochs": 60, "seeds": [int(s) for s in rng.integers(0, 1000, 2)],
            "X": X, "y": y, "X_test": X_test, "y_test": y_test}


task_8 = Task("task_1_8", "Learning XOR with gradient descent", [
    probe("`train_xor(4, 0.5, 5, 0)`", _TRAIN_FORMAT, points=3, public=True,
          inputs=lambda rng: {"P": rng.uniform(-0.5, 1.5, size=(6, 2))},
          expected={"losses": [Like("float")] * 5, "accuracy": Like("float"),
                    "predictions": Like("ndarray", shape=(6,), dtype="float")}),
    probe("`train_xor`: the loss goes down", _TRAIN_LOSSES, points=2,
          inputs=lambda rng: {"H": 8, "lr": 0.5, "epochs": 60, "seed": int(rng.integers(1000))},
          verify=_verify_losses),
    probe("`train_xor` takes plain gradient-descent steps", _TRAIN_LOSSES, points=2,
          inputs=lambda rng: {"H": 8, "lr": 0.005, "epochs": 21,
                              "seed": int(rng.integers(1000))},
          verify=_verify_steps),
    probe("`train_xor`: runs are reproducible and depend on the seed", _TRAIN_SEEDS, points=3,
          inputs=lambda rng: {"H": 3, "lr": 0.5, "epochs": 15,
                              "seeds": [int(s) for s in rng.integers(0, 1000, 1)] * 2 + [1000]},
          verify=_verify_seeds),
    probe("`train_xor` with 8 hidden units solves XOR for most seeds", _TRAIN_SOLVES, points=5,
          inputs=lambda rng: {"H": 8, "lr": 1.0, "epochs": 60,
                              "seeds": [int(s) for s in rng.choice(1000, 8, replace=False)]},
          verify=_verify_solves, timeout=30.0),
    probe("`train_xor`: `predict` gives probabilities and `accuracy` matches them",
          _TRAIN_CONSISTENT, points=2,
          inputs=lambda rng: {"H": 4, "lr": 1.0, "epochs": 40, "seed": int(rng.integers(1000)),
                              "P": rng.uniform(-1.0, 2.0, size=(20, 2))},
          verify=_verify_consistent),
    probe("`train_xor` learns from given data X, y", _TRAIN_DATA, points=3,
          inputs=_data_inputs, verify=_verify_data),
])


# ------------------------------------------------------------------ task 1.9: noisy XOR

_NOISY = HELPERS + '''
_r = make_noisy_xor(I["n"], I["std"], I["seed"])
if type(_r) not in (tuple, list) or len(_r) != 2:
    raise GraderError("make_noisy_xor must return a pair (X, y)")
OUT = {"X": _r[0], "y": _r[1]}
'''

_NOISY_SEEDS = HELPERS + '''
OUT = {"runs": [list(make_noisy_xor(I["n"], I["std"], s)) for s in I["seeds"]]}
'''


def _noisy_arrays(out, n):
    X, y = _numbers(out.get("X")), _numbers(out.get("y"))
    if X is None or y is None or X.shape != (n, 2) or y.shape != (n,):
        return None, None
    return X, y


def _verify_noisy_labels(out, inputs, expected):
    X, y = _noisy_arrays(out, inputs["n"])
    if X is None:
        return [f"`make_noisy_xor` must return X of shape ({inputs['n']}, 2) and y of shape "
                f"({inputs['n']},)"]
    corner = (X > 0.5).astype(int)
    truth = (corner[:, 0] ^ corner[:, 1]).astype(float)
    if np.mean(y == truth) < 0.99:
        return ["the labels are not the XOR of the corners the points come from"]
    return []


def _verify_noisy_spread(out, inputs, expected):
    X, y = _noisy_arrays(out, inputs["n"])
    if X is None:
        return [f"`make_noisy_xor` must return X of shape ({inputs['n']}, 2) and y of shape "
                f"({inputs['n']},)"]
    noise = X - (X > 0.5)
    std = inputs["std"]
    if np.abs(noise.mean(axis=0)).max() > 0.1 * std:
        return ["the points are not centred on the corners (the noise should have mean 0)"]
    spread = noise.std(axis=0)
    if np.any(np.abs(spread - std) > 0.1 * std):
        return [f"with std = {std} the noise has standard deviation {spread.mean():.3g}: "
                f"the noise should have standard deviation `std`"]
    return []


def _verify_noisy_corners(out, inputs, expected):
    X, y = _noisy_arrays(out, inputs["n"])
    if X is None:
        return [f"`make_noisy_xor` must return X of shape ({inputs['n']}, 2) and y of shape "
                f"({inputs['n']},)"]
    corner = (X > 0.5).astype(int) @ np.array([1, 2])
    share = np.bincount(corner, minlength=4) / len(corner)
    if share.min() < 0.15 or share.max() > 0.35:
        return ["the four corners should be used about equally often: shares were "
                + ", ".join(f"{s:.2f}" for s in share)]
    return []


def _verify_noisy_seeds(out, inputs, expected):
    runs = out.get("runs")
    if not isinstance(runs, list) or len(runs) != 3 or not all(
            isinstance(r, list) and len(r) == 2 for r in runs):
        return ["`make_noisy_xor` must return a pair (X, y)"]
    arrays = [[_numbers(part) for part in run] for run in runs]
    if any(part is None for run in arrays for part in run):
        return ["`make_noisy_xor` must return NumPy arrays"]
    (a, ya), (b, yb), (c, yc) = arrays
    if a.shape != b.shape or not (np.array_equal(a, b) and np.array_equal(ya, yb)):
        return ["two calls with the same seed gave different data: draw all randomness from "
                "`np.random.default_rng(seed)`"]
    if a.shape == c.shape and np.array_equal(a, c):
        return ["different seeds gave the same data"]
    return []


task_9 = Task("task_1_9", "Noisy XOR data", [
    probe("`make_noisy_xor(8, 0.1, 0)`", _NOISY, points=2, public=True,
          inputs={"n": 8, "std": 0.1, "seed": 0},
          expected={"X": Like("ndarray", shape=(8, 2), dtype="float"),
                    "y": Like("ndarray", shape=(8,), dtype="float")}),
    probe("`make_noisy_xor`: labels", _NOISY, points=3,
          inputs=lambda rng: {"n": 1000, "std": 0.05, "seed": int(rng.integers(1000))},
          verify=_verify_noisy_labels),
    probe("`make_noisy_xor`: the noise", _NOISY, points=2,
          inputs=lambda rng: {"n": 2000, "std": 0.1, "seed": int(rng.integers(1000))},
          verify=_verify_noisy_spread),
    probe("`make_noisy_xor`: all four corners", _NOISY, points=1,
          inputs=lambda rng: {"n": 1000, "std": 0.05, "seed": int(rng.integers(1000))},
          verify=_verify_noisy_corners),
    probe("`make_noisy_xor`: seeds", _NOISY_SEEDS, points=2,
          inputs=lambda rng: {"n": 50, "std": 0.1,
                              "seeds": [int(s) for s in rng.integers(0, 1000, 1)] * 2 + [1000]},
          verify=_verify_noisy_seeds),
])


# ------------------------------------------------------------------ task 1.10: the plot

_PLOT = HELPERS + '''
import matplotlib.pyplot as plt
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

_calls = []

def _g_predict(P):
    P = np.asarray(P, dtype=float)
    if P.ndim == 2 and P.shape[1] == 2 and len(P):
        _calls.append([len(P), P[:, 0].min(), P[:, 0].max(), P[:, 1].min(), P[:, 1].max()])
    return 1.0 / (1.0 + np.exp(-4.0 * (P[:, 0] - P[:, 1])))

_X, _y = np.array(I["X"]), np.array(I["y"])
_fig = plot_decision_boundary(_g_predict, _X, _y)
_axes = _fig.axes if isinstance(_fig, Figure) else []
_filled = any(isinstance(c, QuadMesh) or isinstance(c, ContourSet) and c.filled
              for ax in _axes for c in ax.get_children()) \\
    or any(isinstance(c, AxesImage) for ax in _axes for c in ax.get_children())
_shown = [np.asarray(c.get_offsets(), dtype=float) for ax in _axes for c in ax.collections
          if isinstance(c, PathCollection)]
_shown += [np.asarray(line.get_xydata(), dtype=float) for ax in _axes for line in ax.lines]
_shown = [s for s in _shown if s.ndim == 2 and s.shape[1] == 2]
_pts = np.concatenate(_shown) if _shown else np.zeros((0, 2))
_found = [bool(len(_pts)) and bool(np.any(np.all(np.isclose(_pts, row), axis=1))) for row in _X]
if isinstance(_fig, Figure):
    plt.close(_fig)
OUT = {"figure": isinstance(_fig, Figure), "axes": len(_axes) >= 1,
       "filled": bool(_filled), "found": float(np.mean(_found)), "calls": _calls}
'''


def _plot_inputs(rng):
    X, y = noisy_corners(rng, 40, 0.3)
    return {"X": 2.0 * X - 0.5, "y": y}


def _verify_filled(out, inputs, expected):
    if not out.get("figure"):
        return ["`plot_decision_boundary` must return a matplotlib Figure"]
    if not out.get("filled"):
        return ["no filled contour of the predicted probabilities (e.g. `ax.contourf`) was found"]
    return []


def _verify_grid(out, inputs, expected):
    X = np.asarray(inputs["X"])
    calls = out.get("calls") or []
    if not calls:
        return ["`predict` was never called with an (m, 2) array of grid points"]
    low, high = X.min(axis=0), X.max(axis=0)
    for m, x0, x1, y0, y1 in calls:
        if m >= 400 and x0 <= low[0] and x1 >= high[0] and y0 <= low[1] and y1 >= high[1]:
            return []
    return ["`predict` should be evaluated on a grid (at least 20 x 20 points) that covers all "
            "points of X"]


def _verify_points(out, inputs, expected):
    if out.get("found") != 1.0:
        return ["the data points X were not all drawn (e.g. with `ax.scatter`)"]
    return []


task_10 = Task("task_1_10", "Plotting a decision boundary", [
    probe("`plot_decision_boundary` returns a Figure with at least one Axes", _PLOT, points=2,
          public=True, inputs={"X": XOR_X, "y": XOR_Y},
          expected={"figure": True, "axes": True}, verb="is"),
    probe("`plot_decision_boundary` draws a filled contour", _PLOT, points=2,
          inputs=_plot_inputs, verify=_verify_filled),
    probe("`plot_decision_boundary` evaluates `predict` on a grid around the data", _PLOT,
          points=1, inputs=_plot_inputs, verify=_verify_grid),
    probe("`plot_decision_boundary` shows the data points", _PLOT, points=2,
          inputs=_plot_inputs, verify=_verify_points),
])


# ------------------------------------------------------------------ task 1.11: output layers

OUTPUT_CHOICES = {
    "regression": ("identity", "mse"),
    "binary classification": ("sigmoid", "bce"),
    "multi-class classification": ("softmax", "nll"),
}

_CHOICES_FORMAT = '''
_c = output_choices
OUT = {"dict": type(_c) is dict}
if type(_c) is dict:
    OUT["keys"] = sorted(str(k) for k in _c)
    OUT["pairs"] = all(type(v) in (tuple, list) and len(v) == 2
                       and all(type(s) is str for s in v) for v in _c.values())
'''

_CHOICE = '''
_c = output_choices
_v = _c.get(I["key"]) if type(_c) is dict else None
if type(_v) in (tuple, list) and len(_v) == 2 and type(_v[I["part"]]) is str:
    OUT = {"value": _v[I["part"]].strip().lower()}
else:
    OUT = {"value": None}
'''


def _choice(key, part, answer):
    what = ("output activation", "loss")[part]
    return probe(f"the {what} for {key}", _CHOICE, points=1,
                 inputs={"key": key, "part": part}, expected={"value": answer},
                 subject=f"`output_choices[{key!r}][{part}]`")


task_11 = Task("task_1_11", "Output layers and losses", [
    probe("`output_choices` is a dict of (activation, loss) pairs", _CHOICES_FORMAT,
          points=2, public=True,
          expected={"dict": True, "keys": sorted(OUTPUT_CHOICES), "pairs": True}),
    *[_choice(key, part, pair[part]) for key, pair in OUTPUT_CHOICES.items()
      for part in (0, 1)],
])


SPEC = Assignment(
    number=1, slug="xor", topic="XOR", title="The XOR problem",
    tasks=[task_1, task_2, task_3, task_4, task_5, task_6, task_7, task_8, task_9, task_10,
           task_11],
    # torch.optim's first optimizer imports torch._dynamo (seconds); preload it once, not per kernel
    preload=("numpy", "torch", "torch._dynamo", "matplotlib"), cell_timeout=10.0)

assert SPEC.points == 100, SPEC.points
