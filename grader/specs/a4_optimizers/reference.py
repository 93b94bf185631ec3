"""Assignment 4, trusted side: references, input makers and judges.

Nothing here reaches the student's kernel. The from-scratch optimizers, schedules and the
learning-rate finder are compared with NumPy re-implementations of ``torch.optim``'s rules
(``tests/test_assignment_4.py`` checks them against ``torch.optim`` itself). The repeated
training runs of Task 4.9 are recomputed here with torch, imported lazily (only the checks of
that task need it) and without ``torch.optim``: the first optimizer a process creates imports
``torch._dynamo``, seconds in every grading worker. Judges (``verify_*``) say what is wrong in
words a student can act on and never show an expected value or the size of an error.
"""
from __future__ import annotations

import math

import numpy as np

from ...compare import describe, plain_numbers, plain_scalar, problems
from ...wire import Tensor

# ------------------------------------------------------------------ helpers for the judges


def _number(value):
    """``value`` as a Python int or float, or None when it is not one number."""
    value = plain_scalar(value)
    return value if type(value) in (int, float) else None


def _array(value):
    """A decoded tensor or array as an ndarray (None for anything else)."""
    if isinstance(value, Tensor):
        return value.array
    return value if isinstance(value, np.ndarray) else None


def _close(actual, expected, rtol, atol):
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    return a.shape == e.shape and bool(np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True))


def _float_list(value, name):
    """Problems with ``value`` as "a list of Python floats" (what the statements ask for)."""
    if isinstance(value, (Tensor, np.ndarray)):
        return [f"`{name}` is an array or tensor: return a list of Python floats"]
    if not isinstance(value, (list, tuple)):
        return [f"`{name}` is not a list"]
    if any(isinstance(v, Tensor) for v in value):
        return [f"`{name}` holds torch tensors: append `loss.item()`, a Python float"]
    if any(_number(v) is None for v in value):
        return [f"`{name}` holds something other than numbers"]
    return []


# ------------------------------------------------------------------ Task 4.1: a bumpy surface

def ref_f(x, y):
    """f(x, y) = x^2 + y^2 + x (y + 2) + cos(3x), element-wise on floats or arrays."""
    return x ** 2 + y ** 2 + x * (y + 2) + np.cos(3 * x)


def ref_grad_f(x, y):
    """(df/dx, df/dy) at (x, y), element-wise."""
    return 2 * x + y + 2 - 3 * np.sin(3 * x), 2 * y + x


def ref_optimize_f(x, y, step_size, steps, decay=1.0):
    """Gradient descent with step size step_size * decay**t at step t, a simultaneous update.

    Returns (x, y, f(x, y), x_hist, y_hist), the histories of shape (steps + 1,)."""
    x_hist, y_hist = [float(x)], [float(y)]
    for t in range(steps):
        gx, gy = ref_grad_f(x, y)
        eta = step_size * decay ** t
        x, y = x - eta * gx, y - eta * gy
        x_hist.append(float(x))
        y_hist.append(float(y))
    return float(x), float(y), float(ref_f(x, y)), np.array(x_hist), np.array(y_hist)


def ref_descent(args):
    x, y, value, x_hist, y_hist = ref_optimize_f(*args)
    return {"x": x, "y": y, "f_value": value, "x_hist": x_hist, "y_hist": y_hist}


def verify_descent(out, inputs, expected):
    """Histories first (type, shape, where the path leaves gradient descent), then the final
    point and f there."""
    for name in ("x_hist", "y_hist"):
        got, want = out.get(name), expected[name]
        if not isinstance(got, np.ndarray):
            return [f"`{name}` is {describe(got)}: return a NumPy array"]
        if got.shape != want.shape:
            return [f"`{name}` has shape {got.shape}: it holds the start point and the point "
                    "after every step, shape (steps + 1,)"]
    wrong = ~(np.isclose(out["x_hist"], expected["x_hist"], rtol=1e-6, atol=1e-8)
              & np.isclose(out["y_hist"], expected["y_hist"], rtol=1e-6, atol=1e-8))
    if wrong.any():
        first = int(np.argmax(wrong))
        if first == 0:
            return ["the histories must start with the start point (x, y)"]
        return [f"the path leaves gradient descent at step {first - 1} (t counted from 0): "
                "step t moves x and y together, by step_size * decay**t times the gradient "
                "at the current point"]
    found = []
    for name in ("x", "y", "f_value"):
        got = _number(out.get(name))
        if got is None:
            found.append(f"`{name}` is {describe(out.get(name))}, expected a number")
        elif not np.isclose(got, expected[name], rtol=1e-6, atol=1e-8):
            found.append(f"`{name}` is not {'f at ' if name == 'f_value' else ''}the final "
                         "point of the path (the last entry of the histories)")
    return found


def surface_grids(rng):
    """Two hidden (4, 5) grids of points; the second one in Fortran order (not C-contiguous)."""
    return (rng.uniform(-3, 3, size=(4, 5)), np.asfortranarray(rng.uniform(-3, 3, size=(4, 5))))


def descent_inputs(rng):
    """A hidden start, step size and decay (< 1)."""
    return {"args": [float(rng.uniform(-2, 2)), float(rng.uniform(-2, 2)),
                     float(rng.uniform(0.05, 0.3)), int(rng.integers(8, 16)),
                     float(rng.uniform(0.85, 0.97))]}


def bouncing_descent_inputs(rng):
    """A start near the global minimum and a step size that grows (decay > 1) past the
    stable range there: the path bounces further and further, so its last point is not its
    lowest one."""
    return {"args": [float(rng.uniform(-1.6, -0.6)), float(rng.uniform(0.0, 1.2)),
                     float(rng.uniform(0.15, 0.17)), int(rng.integers(12, 18)),
                     float(rng.uniform(1.02, 1.05))]}


# ------------------------------------------------------------------ Task 4.2: tuned settings

MAX_TUNED_STEPS = 10_000
TUNED_NAMES = ["my_step_size", "my_steps", "my_decay"]
TUNED_INPUTS = {"names": TUNED_NAMES, "_start": (3.0, 2.0), "_below": -2.0}


def verify_tuned(out, inputs, expected):
    """The settings are numbers; gradient descent run here with them from the stated start
    ends below the stated value."""
    step_size, steps, decay = (plain_scalar(out.get(name)) for name in TUNED_NAMES)
    if any(v is None for v in (step_size, steps, decay)):
        return ["`my_step_size`, `my_steps` and `my_decay` must all be set (one is None)"]
    if type(steps) is not int or not 1 <= steps <= MAX_TUNED_STEPS:
        return [f"`my_steps` must be an int from 1 to {MAX_TUNED_STEPS}"]
    if not all(type(v) in (int, float) and math.isfinite(v) for v in (step_size, decay)):
        return ["`my_step_size` and `my_decay` must be finite numbers"]
    with np.errstate(all="ignore"):
        *_, value, _, _ = ref_optimize_f(*inputs["_start"], float(step_size), steps, float(decay))
    if not value < inputs["_below"]:
        return ["gradient descent from (3, 2) with your settings does not end below f = -2, in "
                "the global minimum (the cell after the task draws your path)"]
    return []


# -------------------------------------------------------------- Tasks 4.3, 4.4, 4.12: optimizers

DEFAULT_HYPER = {
    "SGD": {},
    "Momentum": {"beta": 0.9},
    "Nesterov": {"beta": 0.9},
    "AdaGrad": {"eps": 1e-10},
    "RMSProp": {"alpha": 0.99, "eps": 1e-8},
    "Adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    "AdamW": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
}


def ref_run_optimizer(name: str, hyper: dict, p0, a, c, b, steps: int) -> np.ndarray:
    """Trajectory of optimizer ``name`` with torch.optim's update rules on the separable loss.

    Inputs:
    - name: one of DEFAULT_HYPER; hyper: its constructor arguments (missing ones default)
    - p0, a, c, b: lists of arrays of matching shapes; the gradient for parameter i is
      a[i] * (p[i] - c[i]) + b[i] * sin(p[i])
    - steps: number of steps

    Returns:
    - an array (steps, n_values): the concatenated parameters after every step
    """
    hyper = {**DEFAULT_HYPER[name], **hyper}
    params = [np.array(p, dtype=float) for p in p0]
    state = [dict() for _ in params]
    trajectory = []
    for t in range(1, steps + 1):
        grads = [np.asarray(a[i]) * (params[i] - c[i]) + np.asarray(b[i]) * np.sin(params[i])
                 for i in range(len(params))]
        for p, g, s in zip(params, grads, state):
            lr = hyper["lr"]
            if name == "SGD":
                p -= lr * g
            elif name in ("Momentum", "Nesterov"):
                beta = hyper["beta"]
                s["buf"] = g.copy() if "buf" not in s else beta * s["buf"] + g
                p -= lr * (g + beta * s["buf"] if name == "Nesterov" else s["buf"])
            elif name == "AdaGrad":
                s["sum"] = s.get("sum", 0.0) + g * g
                p -= lr * g / (np.sqrt(s["sum"]) + hyper["eps"])
            elif name == "RMSProp":
                alpha = hyper["alpha"]
                s["sq"] = alpha * s.get("sq", 0.0) + (1 - alpha) * g * g
                p -= lr * g / (np.sqrt(s["sq"]) + hyper["eps"])
            elif name in ("Adam", "AdamW"):
                if name == "AdamW":       # decoupled: shrink p, leave the moments to g
                    p *= 1 - lr * hyper["weight_decay"]
                b1, b2 = hyper["beta1"], hyper["beta2"]
                s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
                s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
                p -= lr * (s["m"] / (1 - b1 ** t)) / (np.sqrt(s["v"] / (1 - b2 ** t))
                                                       + hyper["eps"])
            else:
                raise ValueError(name)
        trajectory.append(np.concatenate([p.ravel() for p in params]))
    return np.array(trajectory)


# The example problem: a vector, a matrix and a parameter whose gradient is about 1e-8, tiny
# enough that eps (and so each constructor's default eps) changes the steps visibly.
PUBLIC_PROBLEM = {
    "p0": [np.array([1.0, -2.0, 0.5]), np.array([[0.3, -0.7], [1.2, 0.0]]),
           np.array([0.8, -0.4])],
    "a": [np.array([1.0, 4.0, 0.5]), np.array([[2.0, 1.0], [0.5, 3.0]]), np.array([1e-8, 3e-8])],
    "c": [np.array([0.5, 0.5, -1.0]), np.array([[1.0, -1.0], [0.0, 2.0]]), np.zeros(2)],
    "b": [np.array([0.2, 0.0, 0.5]), np.array([[0.0, 0.3], [0.1, 0.0]]), np.zeros(2)],
    "steps": 50,
}

# Public checks pass only the learning rate: the constructors' defaults must be torch's.
PUBLIC_HYPER = {"SGD": {"lr": 0.05}, "Momentum": {"lr": 0.05}, "Nesterov": {"lr": 0.05},
                "AdaGrad": {"lr": 0.1}, "RMSProp": {"lr": 0.01}, "Adam": {"lr": 0.05},
                "AdamW": {"lr": 0.05}}


def random_problem(rng, steps=30):
    """A hidden problem: the first and last parameters have the same shape, so state shared
    between parameters of equal shape shows."""
    shapes = [(3,), (2, 2), (3,)]
    return {"p0": [rng.normal(size=s) for s in shapes],
            "a": [rng.uniform(0.3, 3.0, size=s) for s in shapes],
            "c": [rng.normal(size=s) for s in shapes],
            "b": [rng.uniform(0.0, 0.8, size=s) for s in shapes],
            "steps": steps}


def random_hyper(name, rng):
    """Hidden hyper-parameters; large eps values make where eps goes visible, large weight
    decays where the decay goes (before or after Adam's step, scaled by lr or not)."""
    lr = float(rng.uniform(0.02, 0.15))
    eps = float(10 ** rng.uniform(-2.5, -1))
    return {"SGD": {"lr": lr},
            "Momentum": {"lr": lr, "beta": float(rng.uniform(0.5, 0.95))},
            "Nesterov": {"lr": lr, "beta": float(rng.uniform(0.5, 0.95))},
            "AdaGrad": {"lr": lr, "eps": eps},
            "RMSProp": {"lr": lr, "alpha": float(rng.uniform(0.8, 0.95)), "eps": eps},
            "Adam": {"lr": lr, "beta1": float(rng.uniform(0.7, 0.9)),
                     "beta2": float(rng.uniform(0.9, 0.99)), "eps": eps},
            "AdamW": {"lr": lr, "beta1": float(rng.uniform(0.7, 0.9)),
                      "beta2": float(rng.uniform(0.9, 0.99)), "eps": eps,
                      "weight_decay": float(rng.uniform(0.3, 1.0))}}[name]


def ref_trajectory(cls, hyper, problem):
    return {"trajectory": ref_run_optimizer(cls, hyper, problem["p0"], problem["a"],
                                            problem["c"], problem["b"], problem["steps"])}


def trajectory_inputs(name):
    def inputs(rng):
        return {"cls": name, "hyper": random_hyper(name, rng), "problem": random_problem(rng)}
    return inputs


def _trajectory_problems(actual, expected, p0, who):
    """What is wrong with a trajectory, by step and parameter, without any value."""
    actual = _array(actual)
    if actual is None or actual.shape != expected.shape:
        return [f"{who}: the parameters could not be read back after the steps"]
    if _close(actual, expected, 1e-6, 1e-8):
        return []
    ends = np.cumsum([np.size(p) for p in p0])
    for which, (begin, end) in enumerate(zip([0, *ends[:-1]], ends)):
        start = np.broadcast_to(np.ravel(p0[which]), (len(actual), end - begin))
        if np.array_equal(actual[:, begin:end], start) and not np.array_equal(
                expected[:, begin:end], start):
            return [f"{who}: `step` never changed parameter {which} (of shape "
                    f"{tuple(np.shape(p0[which]))}): update each array in place through p "
                    "itself (p -= ...); the arrays may be views, and replacing the list's "
                    "items or updating a reshaped copy changes nothing"]
    if not np.isfinite(actual).all():
        return [f"{who}: the parameters became nan or inf"]
    bad = ~np.isclose(actual, expected, rtol=1e-6, atol=1e-8)
    step, flat = (int(i) for i in np.argwhere(bad)[0])
    which = int(np.searchsorted(ends, flat, side="right"))
    return [f"{who}: the parameters differ from torch.optim's update rule from step {step + 1} "
            f"on (first in parameter {which}, of shape {tuple(np.shape(p0[which]))})"]


def verify_trajectory(out, inputs, expected):
    return _trajectory_problems(out.get("trajectory"), expected["trajectory"],
                                inputs["problem"]["p0"], f"`{inputs['cls']}`")


def zero_gradient_inputs(rng):
    """AdamW with a large weight decay on a hidden problem whose second parameter has gradient
    0 at every step: decoupled decay shrinks it by (1 - lr * weight_decay) per step and moves
    it in no other way; an L2 term in the gradient would give it Adam's full-size steps."""
    problem = random_problem(rng, steps=20)
    problem["a"][1] = np.zeros((2, 2))
    problem["b"][1] = np.zeros((2, 2))
    return {"cls": "AdamW", "hyper": {**random_hyper("AdamW", rng),
                                      "weight_decay": float(rng.uniform(0.5, 1.0))},
            "problem": problem}


def verify_zero_gradient(out, inputs, expected):
    """The parameter without gradient first (the decoupling), then the whole trajectory."""
    actual, want = _array(out.get("trajectory")), expected["trajectory"]
    if actual is not None and actual.shape == want.shape:
        sizes = np.cumsum([np.size(p) for p in inputs["problem"]["p0"]])
        still = slice(sizes[0], sizes[1])
        if not _close(actual[:, still], want[:, still], 1e-6, 1e-8) and not np.array_equal(
                actual[:, still], np.broadcast_to(np.ravel(inputs["problem"]["p0"][1]),
                                                  actual[:, still].shape)):
            return ["`AdamW`: parameter 1 has gradient 0 at every step, so decoupled weight "
                    "decay must shrink it by the factor (1 - lr * weight_decay) per step and "
                    "move it in no other way (an L2 term weight_decay * p added to the gradient "
                    "would give it Adam's steps)"]
    return verify_trajectory(out, inputs, expected)


def side_by_side_inputs(classes):
    def inputs(rng):
        return {"classes": classes, "hyper": {n: random_hyper(n, rng) for n in classes},
                "first": random_problem(rng, steps=10), "second": random_problem(rng, steps=10)}
    return inputs


def ref_side_by_side(classes, hyper, first, second):
    return {name: {part: ref_trajectory(name, hyper[name], problem)["trajectory"]
                   for part, problem in (("first", first), ("second", second))}
            for name in classes}


def verify_side_by_side(out, inputs, expected):
    found = []
    for name in inputs["classes"]:
        got = out.get(name) if isinstance(out.get(name), dict) else {}
        wrong = {part: _trajectory_problems(got.get(part), expected[name][part],
                                            inputs[part]["p0"], f"`{name}`")
                 for part in ("first", "second")}
        if not any(wrong.values()):
            continue
        if _trajectory_problems(got.get("alone"), expected[name]["first"],
                                inputs["first"]["p0"], name):
            found.append(f"`{name}` does not follow torch.optim even alone (see the other "
                         "checks), so two objects at once cannot either")
        else:
            found.append(f"two `{name}` objects stepped in turn (each on its own parameters) "
                         "disturb each other, although one alone is right: keep all state on "
                         "the instance (self), nothing at module or class level")
    return found


# ------------------------------------------------------------------ Task 4.5: stable learning rate

def ref_stable_lr_range(eigenvalue: float, momentum: float = 0.0) -> float:
    """Largest stable learning rate on a quadratic of curvature ``eigenvalue`` (lambda) with
    heavy-ball momentum beta: (2 + 2 beta) / lambda."""
    return (2.0 + 2.0 * momentum) / eigenvalue


def ref_call_each(ref):
    def reference(func, calls, _notes=None):
        return {"values": [ref(*args, **kwargs) for args, kwargs in calls]}
    return reference


def verify_calls(out, inputs, expected):
    """Each call returns one number; the wrong ones are named by the trusted-only note on
    their inputs ("exactly on a drop"), never by a value."""
    func, values, notes = inputs["func"], out.get("values"), inputs["_notes"]
    numbers = [_number(v) for v in values]
    if any(n is None for n in numbers):
        kind = describe(next(v for v, n in zip(values, numbers) if n is None))
        return [f"`{func}` returned {kind}: it must return one number"]
    wrong = [note for n, want, note in zip(numbers, expected["values"], notes)
             if not np.isclose(n, want, rtol=1e-6, atol=1e-12)]
    if wrong:
        return [f"`{func}` returned wrong values for {len(wrong)} of {len(numbers)} hidden "
                f"calls, the first {wrong[0]}"]
    return []


def gd_eigenvalues(rng):
    """Hidden curvatures, with the default momentum (none passed)."""
    lams = [1.0, *rng.uniform(0.05, 20.0, size=4)]
    return {"func": "stable_lr_range", "calls": [[[float(v)], {}] for v in lams],
            "_notes": ["for eigenvalue 1 without momentum",
                       *["for a hidden eigenvalue without momentum"] * 4]}


def momentum_eigenvalues(rng):
    """Hidden curvatures and momenta (momentum=0.0 passed explicitly once)."""
    betas = [0.0, *rng.uniform(0.1, 0.99, size=4)]
    return {"func": "stable_lr_range",
            "calls": [[[float(lam)], {"momentum": float(beta)}]
                      for lam, beta in zip(rng.uniform(0.05, 20.0, size=5), betas)],
            "_notes": ["with momentum=0 passed explicitly",
                       *["with a hidden momentum"] * 4]}


# ------------------------------------------------------------------ Task 4.6: schedules

def ref_exponential_decay(lr0, rate, step, decay_steps):
    return lr0 * rate ** (step / decay_steps)


def ref_step_decay(lr0, factor, every, step):
    return lr0 * factor ** (step // every)


def ref_cosine_decay(lr0, step, total, lr_min=0.0):
    return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * step / total)) / 2


def _schedule_inputs(func, make_args, steps, note):
    steps = sorted(set(steps))
    return {"func": func, "calls": [[make_args(s), {}] for s in steps],
            "_notes": [note(s) for s in steps]}


def exponential_inputs(rng):
    """Steps on multiples of decay_steps and between them."""
    lr0, rate, every = float(rng.uniform(0.01, 1)), float(rng.uniform(0.3, 0.95)), \
        int(rng.integers(3, 20))
    steps = [0, every, 2 * every, every // 2, every + 1, *rng.integers(0, 100, size=3)]
    return _schedule_inputs(
        "exponential_decay", lambda s: [lr0, rate, int(s), every], steps,
        lambda s: "at step 0" if s == 0 else "at a multiple of decay_steps"
        if s % every == 0 else "between two multiples of decay_steps")


def step_inputs(rng):
    """Steps just before and exactly at each drop."""
    lr0, factor, every = float(rng.uniform(0.01, 1)), float(rng.uniform(0.1, 0.9)), \
        int(rng.integers(2, 20))
    steps = [0, every - 1, every, 2 * every - 1, 2 * every, *rng.integers(0, 100, size=3)]
    return _schedule_inputs(
        "step_decay", lambda s: [lr0, factor, every, int(s)], steps,
        lambda s: "at step 0" if s == 0 else "exactly at a drop (a multiple of `every`)"
        if s % every == 0 else "just before a drop" if s % every == every - 1
        else "between two drops")


def cosine_inputs(rng):
    """Both ends (0 and total), the middle, and a hidden lr_min."""
    lr0, total = float(rng.uniform(0.01, 1)), int(rng.integers(10, 200))
    lr_min = float(lr0 * rng.uniform(0.01, 0.3))
    steps = sorted({0, total, total // 2, *(int(s) for s in rng.integers(1, total, size=3))})
    return {"func": "cosine_decay", "calls": [[[lr0, s, total], {"lr_min": lr_min}]
                                              for s in steps],
            "_notes": ["at step 0" if s == 0 else "at step = total" if s == total
                       else "between 0 and total (with a hidden lr_min)" for s in steps]}


# ------------------------------------------------------------------ Task 4.7: the LR finder

def ref_lr_finder(W, b, batches, n_batches, lr_min, lr_max, steps):
    """The range test on a linear model with the MSE loss and plain SGD, in NumPy.

    Returns the recorded ``lrs`` and ``losses`` and the model's ``weight`` and ``bias`` after
    the last step taken."""
    W, b = np.array(W, dtype=float), np.array(b, dtype=float)
    lrs, losses, best = [], [], math.inf
    for i in range(steps):
        lr = lr_min * (lr_max / lr_min) ** (i / (steps - 1))
        x, y = batches[i % n_batches]
        r = x @ W.T + b - y
        loss = float(np.mean(r ** 2))
        lrs.append(lr)
        losses.append(loss)
        if not math.isfinite(loss) or loss > 4 * best:
            break
        best = min(best, loss)
        W = W - lr * (2.0 / r.size) * (r.T @ x)
        b = b - lr * (2.0 / r.size) * r.sum(axis=0)
    return {"lrs": lrs, "losses": losses, "weight": W, "bias": b}


def lr_finder_inputs(rng, d=3, n_batches=4, batch=20, lr_min=1e-4, lr_max=0.3, steps=15):
    w_true = rng.normal(size=(1, d))
    batches = []
    for _ in range(n_batches):
        x = rng.normal(size=(batch, d))
        batches.append([x, x @ w_true.T + 0.5 + 0.1 * rng.normal(size=(batch, 1))])
    return {"W": 0.1 * rng.normal(size=(1, d)), "b": np.zeros(1), "batches": batches,
            "n_batches": n_batches, "lr_min": lr_min, "lr_max": lr_max, "steps": steps}


LR_FINDER_PUBLIC = lr_finder_inputs(np.random.default_rng(4), d=2, n_batches=3, batch=4,
                                    lr_min=1e-3, lr_max=0.5, steps=8)


def ref_lr_finder_public(**inputs):
    expected = ref_lr_finder(**inputs)
    return {**expected, "weight": Tensor(expected["weight"]), "bias": Tensor(expected["bias"])}


# Scripted losses: 2.0 is exactly 4 times the smallest earlier loss (no stop), nan stops.
SCRIPTED_LOSSES = [1.0, 0.5, 2.0, 0.55, 1.9, math.nan, 0.3, 0.2]


def lr_finder_scripted_inputs(rng):
    return {"values": SCRIPTED_LOSSES, "W": 0.1 * rng.normal(size=(1, 2)), "b": np.zeros(1),
            "lr_min": 1e-4, "lr_max": 0.3, "steps": len(SCRIPTED_LOSSES)}


def ref_lr_finder_scripted(values, W, b, lr_min, lr_max, steps):
    lrs, losses, best = [], [], math.inf
    for i, loss in enumerate(values[:steps]):
        lrs.append(lr_min * (lr_max / lr_min) ** (i / (steps - 1)))
        losses.append(loss)
        if not math.isfinite(loss) or loss > 4 * best:
            break
        best = min(best, loss)
    return {"lrs": lrs, "losses": losses}


def verify_lr_finder(out, inputs, expected):
    """The two lists (types, where the test stopped, values), then the trained model."""
    found = _float_list(out.get("lrs"), "lrs") + _float_list(out.get("losses"), "losses")
    if found:
        return found
    lrs, losses = plain_numbers(out["lrs"]), plain_numbers(out["losses"])
    if len(lrs) != len(losses):
        return ["`lrs` and `losses` have different lengths: append to both at every step"]
    want = np.asarray(expected["losses"], dtype=float)
    if len(losses) > len(want):
        return ["the test did not stop where it should: stop right after recording a loss "
                "that is not finite or larger than 4 times the smallest loss before it"]
    if len(losses) < len(want):
        return ["the test stopped too early: stop only after a loss that is not finite or "
                "strictly larger than 4 times the smallest loss recorded before it"]
    if not _close(lrs, expected["lrs"], 1e-6, 0):
        return ["the learning rates are wrong: lr_i = lr_min * (lr_max / lr_min) ** "
                "(i / (steps - 1)), from lr_min at i = 0 to lr_max at i = steps - 1"]
    if not _close(losses, want, 1e-6, 1e-9):
        first = int(np.argmax(~np.isclose(losses, want, rtol=1e-6, atol=1e-9, equal_nan=True)))
        return [f"the recorded losses are wrong from step {first} on: record loss.item() of "
                "batch i (in the loader's order, starting again when it is exhausted) before "
                "that step's update; each update is one plain SGD step with lr_i"]
    if "weight" in expected:
        for key in ("weight", "bias"):
            if not _close(_array(out.get(key)), expected[key], 1e-6, 1e-9):
                return ["the model passed in has not been trained with one plain SGD step per "
                        "recorded loss (lr_i, fresh gradients): train that model in place"]
    return []


# ------------------------------------------------------------------ Task 4.8: split and scale

def ref_split_and_scale(x, y, train_frac=0.6, seed=0):
    """Random split with np.random.default_rng(seed), min-max scaling fitted on the training part.

    Returns x_train, y_train, x_test, y_test (float arrays) and the scaler dict."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    perm = np.random.default_rng(seed).permutation(len(x))
    n_train = int(round(train_frac * len(x)))
    tr, te = perm[:n_train], perm[n_train:]
    scaler = {"x_min": float(x[tr].min()), "x_max": float(x[tr].max()),
              "y_min": float(y[tr].min()), "y_max": float(y[tr].max())}

    def scaled(v, key):
        return (v - scaler[f"{key}_min"]) / (scaler[f"{key}_max"] - scaler[f"{key}_min"])
    return scaled(x[tr], "x"), scaled(y[tr], "y"), scaled(x[te], "x"), scaled(y[te], "y"), scaler


def ref_split(x, y, kwargs):
    r = ref_split_and_scale(x, y, **kwargs)
    return {"x_train": r[0], "y_train": r[1], "x_test": r[2], "y_test": r[3], "scaler": r[4]}


def ref_split_scaler(x, y, kwargs):
    return {"scaler": ref_split(x, y, kwargs)["scaler"]}


def _eckerle_like(rng, n):
    x = np.sort(rng.uniform(300, 600, size=n))
    return x, np.exp(-((x - 450) / 30) ** 2) + 0.01 * rng.normal(size=n)


def split_inputs(rng):
    """train_frac * N ends in .7: rounding and truncating give different splits."""
    n = int(rng.integers(20, 40))
    x, y = _eckerle_like(rng, n)
    n_train = int(rng.integers(n // 2, 3 * n // 4))
    return {"x": x, "y": y,
            "kwargs": {"train_frac": (n_train + 0.7) / n, "seed": int(rng.integers(1, 1000))}}


def split_half_inputs(rng):
    """train_frac * N = 12.5 exactly: round() gives 12 (half to even), int(v + 0.5) gives 13."""
    x, y = _eckerle_like(rng, 20)
    return {"x": x, "y": y, "kwargs": {"train_frac": 0.625, "seed": int(rng.integers(1, 1000))}}


# ------------------------------------------------------------------ Task 4.9: the regressor

def ref_regressor_shapes(hidden):
    """Parameter shapes of Linear(1, h0), ..., Linear(h_last, 1), in parameters() order."""
    widths = [1, *hidden, 1]
    shapes = []
    for w_in, w_out in zip(widths[:-1], widths[1:]):
        shapes += [[w_out, w_in], [w_out]]
    return shapes


def mlp_forward(params, x):
    """Linear, ReLU, ..., Linear in float32 (evaluation mode: dropout is the identity).

    Inputs: params [W1, b1, W2, b2, ...] (Wk of shape (out, in)); x of shape (N, 1).
    Returns: the outputs, shape (N, 1), float32."""
    a = np.asarray(x, dtype=np.float32)
    n_layers = len(params) // 2
    for k in range(n_layers):
        a = a @ np.asarray(params[2 * k], dtype=np.float32).T \
            + np.asarray(params[2 * k + 1], dtype=np.float32)
        if k < n_layers - 1:
            a = np.maximum(a, np.float32(0))
    return a


def forward_inputs(rng):
    """Hidden widths (a tuple), weights and inputs; training mode with dropout 0."""
    hidden = tuple(int(h) for h in rng.integers(3, 9, size=2))
    return {"hidden": hidden, "dropout": 0.0,
            "params": [rng.normal(size=s) for s in ref_regressor_shapes(hidden)],
            "x": rng.uniform(-1, 2, size=(6, 1)), "modes": ["train"]}


def ref_forward(hidden, dropout, params, x, modes):
    return {"outputs": [Tensor(mlp_forward(params, x)) for _ in modes]}


# Dropout, measured: one unit passes the value 1 through two hidden layers (identity weights)
# to the output, so in training mode every output is 0 or 1 / (1 - p)^2, nonzero in a fraction
# (1 - p)^2 of the rows; in evaluation mode every output is exactly 1.
DROPOUT_P, DROPOUT_WIDTH, DROPOUT_ROWS = 0.3, 8, 400
DROPOUT_INPUTS = {
    "hidden": [DROPOUT_WIDTH, DROPOUT_WIDTH], "dropout": DROPOUT_P,
    "params": [np.ones((DROPOUT_WIDTH, 1)), np.zeros(DROPOUT_WIDTH), np.eye(DROPOUT_WIDTH),
               np.zeros(DROPOUT_WIDTH), np.eye(1, DROPOUT_WIDTH), np.zeros(1)],
    "x": np.ones((DROPOUT_ROWS, 1)), "modes": ["train", "train", "eval", "eval"],
}


def verify_dropout(out, inputs, expected):
    outputs = out.get("outputs")
    if not isinstance(outputs, list) or len(outputs) != 4 or any(
            _array(o) is None or _array(o).shape != (DROPOUT_ROWS, 1) for o in outputs):
        return ["the network's outputs on a (400, 1) input are not (400, 1) tensors"]
    train = np.concatenate([_array(o).ravel() for o in outputs[:2]]).astype(float)
    evaluated = np.concatenate([_array(o).ravel() for o in outputs[2:]]).astype(float)
    keep = (1 - DROPOUT_P) ** 2
    found = []
    if not np.allclose(evaluated, 1.0, rtol=1e-5):
        found.append("in evaluation mode (model.eval()) the network still drops units: "
                     "use nn.Dropout modules (or F.dropout with training=self.training)")
    if np.allclose(train, 1.0, rtol=1e-5):
        found.append("with dropout > 0, forward passes in training mode drop "
                     "nothing: add nn.Dropout(dropout) after each hidden ReLU")
    elif not (np.isclose(train, 0.0) | np.isclose(train, 1 / keep, rtol=1e-4)).all():
        found.append("with dropout > 0, training-mode outputs are not what "
                     "nn.Dropout(dropout) after every hidden ReLU gives (each hidden layer "
                     "drops a fraction `dropout` of its units and scales the rest by "
                     "1 / (1 - dropout))")
    elif abs(np.mean(~np.isclose(train, 0.0)) - keep) > 0.1:
        found.append("with dropout > 0, the network drops units at another rate "
                     "than `dropout`")
    return found


# ------------------------------------------------------------------ Task 4.9: repetitions

REPS_KEYS = ["train_mse", "test_mse", "train_mean", "train_std", "test_mean", "test_std",
             "models"]


def _easy_curve(rng, n=30):
    x = np.sort(rng.uniform(0, 1, size=n))
    y = 0.5 + 0.4 * np.sin(5 * x) + 0.02 * rng.normal(size=n)
    idx = rng.permutation(n)
    tr, te = idx[:2 * n // 3], idx[2 * n // 3:]
    return (x[tr], y[tr], x[te], y[te])


def repetitions_inputs(dropout=0.0, optimizer="Adam", n_runs=2):
    """A cheap hidden configuration on a smooth 1-D problem and a seed other than 0."""
    def inputs(rng):
        config = {"optimizer": optimizer, "lr": 0.03, "hidden": [16, 16], "dropout": dropout,
                  "epochs": 40, "data": _easy_curve(rng)}
        return {"config": config, "n_runs": n_runs, "seed": int(rng.integers(1, 100)),
                "x": np.linspace(0, 1, 64)[:, None]}
    return inputs


OPTIMIZER_NAMES = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"]


def names_inputs(rng):
    data = _easy_curve(rng, n=24)
    return {"configs": [{"optimizer": name, "lr": 0.05, "hidden": [8], "dropout": 0.0,
                         "epochs": 6, "data": data} for name in OPTIMIZER_NAMES],
            "seed": int(rng.integers(100, 200))}


def verify_repetitions_structure(out, inputs, expected):
    """Keys in order, one float per run, summaries of those floats, one model per run."""
    n_runs = inputs["n_runs"]
    keys = out.get("keys")
    if keys != REPS_KEYS:
        return [f"the result's keys must be {REPS_KEYS}, in this order; they are {keys}"]
    for key in ("train_mse", "test_mse"):
        found = _float_list(out[key], key)
        if found:
            return found
        if len(out[key]) != n_runs:
            return [f"`{key}` must hold one value per run (n_runs={n_runs})"]
        runs = plain_numbers(out[key])
        part = key.split("_")[0]
        mean, std = _number(out[part + "_mean"]), _number(out[part + "_std"])
        if mean is None or std is None:
            return [f"`{part}_mean` and `{part}_std` must be numbers"]
        if not np.isclose(mean, np.mean(runs), rtol=1e-5, atol=1e-12):
            return [f"`{part}_mean` is not the mean of `{key}`"]
        if not (np.isclose(std, np.std(runs), rtol=1e-5, atol=1e-12)
                or np.isclose(std, np.std(runs, ddof=1), rtol=1e-5, atol=1e-12)):
            return [f"`{part}_std` is not the standard deviation of `{key}` (np.std)"]
    if len(out.get("models", ())) != n_runs:
        return [f"`models` must hold the {n_runs} trained networks, one per run"]
    return []


def _model_mse(params, x, y):
    prediction = mlp_forward([_array(p) for p in params], np.reshape(x, (-1, 1)))
    return float(np.mean((prediction.astype(float) - np.reshape(y, (-1, 1))) ** 2))


def verify_repetitions_mse(out, inputs, expected):
    """The reported MSEs are those of the returned models in evaluation mode, recomputed here
    from their parameters (so numbers that were not measured on those models fail)."""
    found = verify_repetitions_structure(out, inputs, expected)
    if found:
        return found
    if inputs["config"]["dropout"] > 0 and any(
            _close(_array(a), _array(b), 0, 0) for a, b in out["training_passes"]):
        return ["the returned networks have no dropout although config[\"dropout\"] > 0: "
                "build each run's network with make_regressor(config[\"hidden\"], "
                "config[\"dropout\"])"]
    x_tr, y_tr, x_te, y_te = inputs["config"]["data"]
    for run, params in enumerate(out["models"]):
        if not isinstance(params, list) or any(_array(p) is None for p in params):
            return ["the returned models' parameters could not be read"]
        try:
            measured = [_model_mse(params, x_tr, y_tr), _model_mse(params, x_te, y_te)]
        except ValueError:
            return ["the returned models are not Linear/ReLU networks from `make_regressor`"]
        for key, value in zip(("train_mse", "test_mse"), measured):
            if not np.isclose(plain_numbers(out[key])[run], value, rtol=2e-4, atol=1e-7):
                return [f"`{key}[{run}]` is not the MSE of the returned model of run {run}, "
                        "measured after training in evaluation mode (model.eval(), no "
                        "gradients) on the whole "
                        f"{'training' if key == 'train_mse' else 'test'} set"]
    return []


# The training runs, recomputed with torch (imported lazily: only these checks need it).

def _torch_rule(name, lr):
    """``step(params, grads)`` of ``torch.optim``'s optimizer ``name`` with the statement's
    settings (momentum 0.9, nesterov, defaults otherwise), copying its single-tensor CPU path
    operation for operation."""
    import torch
    state = {}

    def step(params, grads):
        with torch.no_grad():
            for i, (p, g) in enumerate(zip(params, grads)):
                s = state.setdefault(i, {"step": 0.0})
                s["step"] += 1.0
                if name == "SGD":
                    p.add_(g, alpha=-lr)
                elif name in ("Momentum", "Nesterov"):
                    if "buf" not in s:
                        s["buf"] = g.detach().clone()
                    else:
                        s["buf"].mul_(0.9).add_(g, alpha=1)
                    update = g.add(s["buf"], alpha=0.9) if name == "Nesterov" else s["buf"]
                    p.add_(update, alpha=-lr)
                elif name == "AdaGrad":
                    total = s.setdefault("sum", torch.zeros_like(p))
                    total.addcmul_(g, g, value=1)
                    p.addcdiv_(g, total.sqrt().add_(1e-10), value=-lr)
                elif name == "RMSProp":
                    square = s.setdefault("square", torch.zeros_like(p))
                    square.mul_(0.99).addcmul_(g, g, value=1 - 0.99)
                    p.addcdiv_(g, square.sqrt().add_(1e-8), value=-lr)
                else:  # Adam
                    m = s.setdefault("m", torch.zeros_like(p))
                    v = s.setdefault("v", torch.zeros_like(p))
                    m.lerp_(g, 1 - 0.9)
                    v.mul_(0.999).addcmul_(g, g, value=1 - 0.999)
                    correction2_sqrt = (1 - 0.999 ** s["step"]) ** 0.5
                    denom = (v.sqrt() / correction2_sqrt).add_(1e-8)
                    p.addcdiv_(m, denom, value=-lr / (1 - 0.9 ** s["step"]))
    return step


def ref_training_runs(config: dict, n_runs: int, seed: int) -> list:
    """The networks ``run_repetitions`` must train (dropout 0 configurations).

    Run r: torch.manual_seed(seed + r), a new Linear/ReLU network, config["epochs"] full-batch
    steps of the named optimizer on the MSE of the training set (float32, shape (n, 1)).

    Returns: per run, the trained parameters as float32 arrays in parameters() order."""
    import torch
    from torch import nn
    x, y = (torch.tensor(np.asarray(a), dtype=torch.float32).reshape(-1, 1)
            for a in config["data"][:2])
    widths = [1, *config["hidden"], 1]
    runs = []
    with torch.random.fork_rng(devices=[]):   # the grader's own generator is left alone
        for run in range(n_runs):
            torch.default_generator.manual_seed(seed + run)
            layers = []
            for w_in, w_out in zip(widths[:-1], widths[1:]):
                layers += [nn.Linear(w_in, w_out), nn.ReLU()]
            model = nn.Sequential(*layers[:-1])
            params = list(model.parameters())
            step = _torch_rule(config["optimizer"], config["lr"])
            for _ in range(config["epochs"]):
                loss = nn.functional.mse_loss(model(x), y)
                step(params, torch.autograd.grad(loss, params))
            runs.append([p.detach().numpy().copy() for p in params])
    return runs


def ref_repetitions(config, n_runs, seed, x):
    return {"models": ref_training_runs(config, n_runs, seed)}


_TRAINING = ("torch.manual_seed(seed + r) right before `make_regressor`, then "
             "config[\"epochs\"] full-batch steps of the named optimizer on the MSE of the "
             "whole training set")


def _same_params(actual, expected):
    return (isinstance(actual, list) and len(actual) == len(expected)
            and all(_array(a) is not None and _close(_array(a), e, 1e-4, 1e-6)
                    for a, e in zip(actual, expected)))


_WIDTHS = ("the returned networks do not have the layers of make_regressor(config[\"hidden\"]) "
           "(parameter shapes differ): build each run's network with config[\"hidden\"]")


def _same_shapes(actual, expected):
    return (isinstance(actual, list) and len(actual) == len(expected)
            and all(_array(a) is not None and _array(a).shape == e.shape
                    for a, e in zip(actual, expected)))


def verify_repetitions_training(out, inputs, expected):
    """The returned models are the networks the statement's procedure trains, recomputed."""
    models = out.get("models")
    want = expected["models"]
    if not isinstance(models, list) or len(models) != len(want):
        return [f"`models` must hold the {len(want)} trained networks, one per run"]
    if not all(_same_shapes(m, e) for m, e in zip(models, want)):
        return [_WIDTHS]
    right = [_same_params(m, e) for m, e in zip(models, want)]
    if all(right):
        return []
    if right[0]:
        return ["run 0 is trained right but run 1 is not: does every run r call "
                "torch.manual_seed(seed + r) and build a new network?"]
    return [f"the trained networks differ from those of the stated procedure ({_TRAINING}); "
            "is the `seed` argument used?"]


def ref_names(configs, seed):
    return {"models": [ref_training_runs(config, 1, seed) for config in configs]}


def verify_names(out, inputs, expected):
    models = out.get("models")
    if not isinstance(models, list) or len(models) != len(OPTIMIZER_NAMES) or any(
            not isinstance(m, list) or len(m) != 1 for m in models):
        return ["`run_repetitions` did not return one model per run for every optimizer name"]
    if not all(_same_shapes(m[0], e[0]) for m, e in zip(models, expected["models"])):
        return [_WIDTHS]
    wrong = [config["optimizer"] for config, got, want in
             zip(inputs["configs"], models, expected["models"])
             if not (isinstance(got, list) and len(got) == 1 and _same_params(got[0], want[0]))]
    if wrong:
        return [f"with \"optimizer\": {', '.join(repr(w) for w in wrong)} the trained network "
                "differs from one trained with the torch.optim optimizer the statement names "
                "(SGD; SGD momentum=0.9; SGD momentum=0.9, nesterov=True; Adagrad; RMSprop; "
                "Adam; other settings default)"]
    return []


# ------------------------------------------------------------------ Task 4.10: early stopping

def ref_early_stopping(losses, patience, min_delta):
    """What each call of ``step`` returns and the attributes after it (no model given)."""
    best, best_step, counter, returned, after = math.inf, -1, 0, [], []
    for calls, loss in enumerate(losses, start=1):
        if loss < best - min_delta:
            best, best_step, counter = loss, calls - 1, 0
        else:
            counter += 1
        returned.append(counter >= patience)
        after.append({"best_loss": float(best), "best_step": best_step, "counter": counter,
                      "calls": calls, "best_state": None})
    return {"returned": returned, "after": after}


ES_PUBLIC = {"losses": [1.0, 0.8, 0.75, 0.72, 0.5, 0.55, 0.6], "patience": 2, "min_delta": 0.1}


def early_stopping_inputs(rng):
    """Losses that improve by more and by less than min_delta, and one exactly min_delta
    below the best (not an improvement). Dyadic values, so the boundary is exact."""
    min_delta = 0.125
    losses = [1.0, 0.75, 0.6875, 0.5, 0.375, 0.4375, 0.25, 0.1875, 0.25, 0.3125, 0.5]
    shift = float(rng.integers(1, 8)) / 8     # dyadic too: sums stay exact
    return {"losses": [v + shift for v in losses], "patience": int(rng.integers(2, 4)),
            "min_delta": min_delta}


def early_stopping_ties_inputs(rng):
    """min_delta = 0 and the best value repeated exactly: a tie is not an improvement."""
    n = 14
    losses = 1.0 / (1 + 0.3 * np.arange(n)) + 0.03 * rng.normal(size=n)
    k = int(np.argmin(losses[:n - 4]))
    losses[k + 1:k + 3] = losses[k]
    losses[k + 3:] = np.maximum(losses[k + 3:], losses[k] + 0.001)
    return {"losses": [float(v) for v in losses], "patience": int(rng.integers(2, 4)),
            "min_delta": 0.0}


def verify_early_stopping(out, inputs, expected):
    """Call by call: the returned bool, then the documented attributes."""
    returned, after = out.get("returned"), out.get("after")
    if not (isinstance(returned, list) and isinstance(after, list)):
        return ["the calls of `step` could not be observed"]
    for call, (got, want) in enumerate(zip(returned, expected["returned"])):
        got = plain_scalar(got)
        if type(got) is not bool:
            return [f"call {call} of `step` returned {describe(got)}, expected True or False"]
        if got != want:
            return [f"call {call} (counting from 0) of `step` returned the wrong answer: it "
                    "returns True exactly when counter >= patience"]
        seen = after[call] if isinstance(after[call], dict) else {}
        for name, value in expected["after"][call].items():
            if not problems(seen.get(name), value, name, reveal=False):
                continue
            if name == "best_state":
                return ["`best_state` must stay None while `step` is called without a model"]
            return [f"after call {call} (counting from 0), `{name}` is wrong ({_ES_RULES[name]})"]
    return []


_ES_RULES = {
    "best_loss": "an improvement is a loss smaller than best_loss - min_delta; only an "
                 "improvement changes best_loss",
    "best_step": "best_step is the number of the call that made the last improvement, counting "
                 "the calls from 0",
    "counter": "counter goes back to 0 on an improvement and grows by 1 on every other call",
    "calls": "calls counts every call of step",
}


STATE_KEYS = ["0.weight", "1.running_mean"]


def restore_inputs(rng):
    """Six calls; the best loss in the middle; weights and running means change every call."""
    n = 6
    losses = [float(v) for v in rng.uniform(0.5, 1.0, size=n)]
    losses[int(rng.integers(1, n - 2))] = 0.1
    return {"patience": 100, "losses": losses, "weights": rng.normal(size=(n, 2, 3)),
            "means": rng.normal(size=(n, 2)), "keys": STATE_KEYS}


def ref_best_state(patience, losses, weights, means, keys):
    best = int(np.argmin(losses))
    return {"best_state": [weights[best], means[best]]}


def verify_best_state(out, inputs, expected):
    stored = out.get("best_state")
    if not isinstance(stored, list) or any(_array(t) is None for t in stored):
        return ["`best_state` is not a state_dict copy (its entries could not be read)"]
    if not all(_close(_array(t), e, 1e-12, 0) for t, e in zip(stored, expected["best_state"])):
        return ["`best_state` does not hold the state of the best call once training has "
                "changed the model's tensors in place: store copy.deepcopy(model.state_dict())"]
    return []


def ref_restored(patience, losses, weights, means, keys):
    best = int(np.argmin(losses))
    return {"restored": [weights[best], means[best]]}


def verify_restored(out, inputs, expected):
    found = []
    for key, words in (("restored", "`restore(model)` does not load the best state (weights "
                                    "and buffers) into the model it is given"),
                       ("restored_again", "a second `restore` after more training does not "
                                          "bring back the best state: the stored copy must not "
                                          "share tensors with the model")):
        got = out.get(key)
        if not isinstance(got, list) or not all(
                _close(_array(t), e, 1e-12, 0) for t, e in zip(got, expected["restored"])):
            found.append(words)
            break
    return found


# ------------------------------------------------------------------ Task 4.11: penalties

# Parameter shapes of the probe's models, in parameters() order (tests check them against
# grader/probes/a4_optimizers.py).
LAYOUTS = {
    "mlp": [(4, 3), (4,), (2, 4), (2,)],
    "mixed": [(3, 2, 3), (3,), (3,), (3,), (4, 6), (4,), (4,), (4,), (1, 4), (1,)],
}


def ref_penalty(kind: str, params: list) -> dict:
    """Value and gradient of the L1 or L2 penalty over the parameters with 2+ dimensions.

    Returns {"value": 0-d float, "grads": per parameter sign(w) / 2 w, or zeros if 1-D}."""
    value, grads = 0.0, []
    for p in (np.asarray(p, dtype=float) for p in params):
        if p.ndim > 1:
            value += float(np.abs(p).sum() if kind == "l1" else (p ** 2).sum())
            grads.append(np.sign(p) if kind == "l1" else 2 * p)
        else:
            grads.append(np.zeros_like(p))
    return {"value": value, "grads": grads}


def penalty_inputs(func, layout):
    def inputs(rng):
        return {"func": func, "layout": layout,
                "params": [rng.normal(size=s) for s in LAYOUTS[layout]]}
    return inputs


PENALTY_PUBLIC_PARAMS = [np.arange(12.0).reshape(4, 3) / 10 - 0.55,
                         np.array([1.0, -2.0, 3.0, -4.0]),
                         np.arange(8.0).reshape(2, 4) / 4 - 0.9, np.array([0.5, 0.5])]


def ref_penalty_public(func, layout, params):
    ref = ref_penalty(func.split("_")[0], params)
    return {"value": Tensor(np.array(ref["value"])), "grads": [Tensor(g) for g in ref["grads"]]}


def ref_penalty_value(func, layout, params):
    return {"value": Tensor(np.array(ref_penalty(func.split("_")[0], params)["value"]))}


def verify_penalty_value(out, inputs, expected):
    value = out.get("value")
    if not isinstance(value, Tensor):
        kind = "a Python number" if _number(value) is not None else describe(value)
        return [f"`{inputs['func']}` returned {kind}: return a torch tensor (no .item(), no "
                "NumPy), so that the penalty can be backpropagated"]
    if value.array.ndim != 0:
        return [f"`{inputs['func']}` returned a tensor of shape {value.array.shape}: return a "
                "0-d tensor (a sum of sums, not a tensor of shape (1,))"]
    return problems(value, expected["value"], f"`{inputs['func']}`", "returned", reveal=False)


def ref_penalty_grads(func, layout, params):
    return {"grads": ref_penalty(func.split("_")[0], params)["grads"]}


def verify_penalty_gradients(out, inputs, expected):
    grads = out.get("grads")
    want = expected["grads"]
    if not isinstance(grads, list) or len(grads) != len(want):
        return ["the gradients could not be read back"]
    for i, (got, w, p) in enumerate(zip(grads, want, inputs["params"])):
        got = _array(got)
        if got is None or not _close(got, w, 1e-6, 1e-9):
            if np.ndim(p) < 2:
                return [f"backward() changed the gradient of parameter {i}, which has "
                        f"{np.ndim(p)} dimension: 1-D parameters (biases, norm-layer weights) "
                        "must stay out of the penalty"]
            return [f"the gradient that backward() adds to parameter {i} (a weight with "
                    f"{np.ndim(p)} dimensions) is wrong"]
    return []


# ------------------------------------------------------------------ Task 4.13: concepts

CONCEPTS = {
    "tf_adam_bias_early": True,
    "tf_adagrad_only_shrinks": True,
    "tf_adam_l2_equals_decay": False,
    "tf_batch_noise_halves": True,
    "tf_sgd_l2_equals_decay": True,
    "tf_momentum_same_range": False,
    "tf_rmsprop_forgets": True,
    "tf_early_stop_on_test": False,
    "tf_dropout_in_eval": False,
    "tf_plateau_fixed_epochs": False,
}
