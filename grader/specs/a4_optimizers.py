"""Assignment 4: optimizers, learning-rate schedules and regularization.

Reference implementations live here (trusted side, NumPy only); probe code runs in the
student's kernel. The from-scratch optimizers and the schedules are compared with NumPy
re-implementations of the ``torch.optim`` update rules; ``tests/test_assignment_4.py`` checks
those references against ``torch.optim`` itself, so the grader never has to import torch.
"""
import math

import numpy as np

from ..checks import Assignment, Task, boolean, probe

# ------------------------------------------------------------------ probe-side helpers

# Prepended to probes that return numbers: NumPy scalars and 0-d arrays become Python numbers.
PLAIN = '''
import numpy as np
def _g_num(v):
    if hasattr(v, "detach"):
        v = v.detach().cpu().numpy()
    a = np.asarray(v, dtype=float)
    return float(a) if a.ndim == 0 else a
'''


# ------------------------------------------------------------------ Part 1: a bumpy surface

def ref_f(x, y):
    return x ** 2 + y ** 2 + x * (y + 2) + np.cos(3 * x)


def ref_grad_f(x, y):
    return 2 * x + y + 2 - 3 * np.sin(3 * x), 2 * y + x


def ref_optimize_f(x, y, step_size, steps, decay=1.0):
    x_hist, y_hist = [float(x)], [float(y)]
    for t in range(steps):
        gx, gy = ref_grad_f(x, y)
        eta = step_size * decay ** t
        x, y = x - eta * gx, y - eta * gy
        x_hist.append(float(x))
        y_hist.append(float(y))
    return float(x), float(y), float(ref_f(x, y)), np.array(x_hist), np.array(y_hist)


OPTIMIZE_F = PLAIN + '''
r = optimize_f(*I["args"])
OUT = {"x": _g_num(r[0]), "y": _g_num(r[1]), "f_value": _g_num(r[2]),
       "x_hist": np.asarray(r[3], dtype=float), "y_hist": np.asarray(r[4], dtype=float)}
'''


def ref_optimize_f_out(args):
    x, y, fv, xh, yh = ref_optimize_f(*args)
    return {"x": x, "y": y, "f_value": fv, "x_hist": xh, "y_hist": yh}


F_CHECK = PLAIN + '''
OUT = {"value": _g_num(f(*I["args"]))}
'''


def ref_f_out(args):
    value = ref_f(*args)
    return {"value": value if isinstance(value, np.ndarray) else float(value)}


GRAD_F = PLAIN + '''
gx, gy = grad_f(*I["args"])
OUT = {"df_dx": _g_num(gx), "df_dy": _g_num(gy)}
'''


def ref_grad_f_out(args):
    gx, gy = ref_grad_f(*args)
    return {"df_dx": gx if isinstance(gx, np.ndarray) else float(gx),
            "df_dy": gy if isinstance(gy, np.ndarray) else float(gy)}


def hidden_grid(rng):
    return {"args": [rng.uniform(-3, 3, size=(4, 5)), rng.uniform(-3, 3, size=(4, 5))]}


def hidden_descent(rng):
    return {"args": [float(rng.uniform(-2, 2)), float(rng.uniform(-2, 2)),
                     float(rng.uniform(0.05, 0.3)), int(rng.integers(8, 16)),
                     float(rng.uniform(0.85, 0.97))]}


task_1 = Task("task_4_1", "Gradient descent on a bumpy surface", checks=[
    probe("`f(3.0, 2.0)`", F_CHECK, inputs={"args": [3.0, 2.0]}, ref=ref_f_out, points=1,
          public=True, verb="returned"),
    probe("`f` on hidden grids of points (arrays)", F_CHECK, inputs=hidden_grid,
          ref=ref_f_out, points=1, verb="returned"),
    probe("`grad_f(3.0, 2.0)`", GRAD_F, inputs={"args": [3.0, 2.0]}, ref=ref_grad_f_out,
          points=1, public=True, verb="returned"),
    probe("`grad_f` on hidden grids of points (arrays)", GRAD_F, inputs=hidden_grid,
          ref=ref_grad_f_out, points=2, verb="returned"),
    probe("`optimize_f(3.0, 2.0, 0.1, 10)`", OPTIMIZE_F, inputs={"args": [3.0, 2.0, 0.1, 10]},
          ref=ref_optimize_f_out, points=2, public=True, verb="returned"),
    probe("`optimize_f` with a hidden start, step size and decay", OPTIMIZE_F,
          inputs=hidden_descent, ref=ref_optimize_f_out, points=3, verb="returned"),
])


# ------------------------------------------------------------------ Part 1: tuned settings

TUNED = PLAIN + '''
def _g_val(v):
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, (int, np.integer)):
        return int(v)
    return _g_num(v)
OUT = {"step_size": _g_val(my_step_size), "steps": _g_val(my_steps), "decay": _g_val(my_decay)}
'''

MAX_TUNED_STEPS = 10_000


def verify_tuned(out, inputs, expected):
    step_size, steps, decay = out.get("step_size"), out.get("steps"), out.get("decay")
    if any(v is None for v in (step_size, steps, decay)):
        return ["`my_step_size`, `my_steps` and `my_decay` must all be set (they are None)"]
    if type(steps) is not int or not 1 <= steps <= MAX_TUNED_STEPS:
        return [f"`my_steps` must be an int between 1 and {MAX_TUNED_STEPS}"]
    if not all(type(v) in (int, float) and math.isfinite(v) for v in (step_size, decay)):
        return ["`my_step_size` and `my_decay` must be finite numbers"]
    step_size, decay = float(step_size), float(decay)
    with np.errstate(all="ignore"):
        _, _, value, _, _ = ref_optimize_f(3.0, 2.0, step_size, steps, decay)
    if not value < -2.0:
        shown = f"{value:.3f}" if math.isfinite(value) else "not finite"
        return [f"from (3, 2) your settings end at f = {shown}, which is not below -2 "
                "(the global minimum is near (-1.09, 0.54))"]
    return []


task_2 = Task("task_4_2", "Reaching the global minimum", checks=[
    probe("your `(my_step_size, my_steps, my_decay)`", TUNED, inputs={}, verify=verify_tuned,
          points=3),
])


# ------------------------------------------------------------------ Part 2: optimizers

def ref_run_optimizer(name, hyper, p0, a, c, b, steps):
    """Reference trajectories of the six optimizers, with torch.optim's update rules.

    The loss is separable; its gradient for parameter ``i`` is
    ``a[i] * (p[i] - c[i]) + b[i] * sin(p[i])``. Returns an array (steps, n_values) with the
    concatenated parameters after every step.
    """
    params = [np.array(p, dtype=float) for p in p0]
    state = [dict() for _ in params]
    traj = []
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
            elif name == "Adam":
                b1, b2 = hyper["beta1"], hyper["beta2"]
                s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
                s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
                m_hat = s["m"] / (1 - b1 ** t)
                v_hat = s["v"] / (1 - b2 ** t)
                p -= lr * m_hat / (np.sqrt(v_hat) + hyper["eps"])
            else:
                raise ValueError(name)
        traj.append(np.concatenate([p.ravel() for p in params]))
    return np.array(traj)


# The probe keeps its own references to the parameter arrays: an optimizer that rebinds
# list items instead of updating the arrays in place leaves them unchanged.
OPT_RUN = '''
import numpy as np
def _g_grads(mine, J):
    return [np.asarray(J["a"][i]) * (mine[i] - J["c"][i])
            + np.asarray(J["b"][i]) * np.sin(mine[i]) for i in range(len(mine))]
def _g_run(opt, I):
    params = [np.array(p, dtype=float) for p in I["p0"]]
    mine = list(params)
    traj = []
    for t in range(I["steps"]):
        opt.step(params, _g_grads(mine, I))
        traj.append(np.concatenate([np.array(p, dtype=float).ravel() for p in mine]))
    return np.array(traj)
'''

OPT_CHECK = OPT_RUN + '''
OUT = {"trajectory": _g_run(__CLASS__(**I["hyper"]), I)}
'''

# Two instances stepped in turn must give the same trajectories as each one alone.
OPT_STATE = OPT_RUN + '''
opt1, opt2 = __CLASS__(**I["hyper"]), __CLASS__(**I["hyper"])
p1 = [np.array(p, dtype=float) for p in I["one"]["p0"]]
p2 = [np.array(p, dtype=float) for p in I["two"]["p0"]]
m1, m2 = list(p1), list(p2)
t1, t2 = [], []
for t in range(I["one"]["steps"]):
    opt1.step(p1, _g_grads(m1, I["one"]))
    opt2.step(p2, _g_grads(m2, I["two"]))
    t1.append(np.concatenate([np.array(p, dtype=float).ravel() for p in m1]))
    t2.append(np.concatenate([np.array(p, dtype=float).ravel() for p in m2]))
OUT = {"together_1": np.array(t1), "together_2": np.array(t2),
       "alone_1": _g_run(__CLASS__(**I["hyper"]), I["one"]),
       "alone_2": _g_run(__CLASS__(**I["hyper"]), I["two"])}
'''

PUBLIC_PROBLEM = {
    "p0": [np.array([1.0, -2.0, 0.5]), np.array([[0.3, -0.7], [1.2, 0.0]])],
    "a": [np.array([1.0, 4.0, 0.5]), np.array([[2.0, 1.0], [0.5, 3.0]])],
    "c": [np.array([0.5, 0.5, -1.0]), np.array([[1.0, -1.0], [0.0, 2.0]])],
    "b": [np.array([0.2, 0.0, 0.5]), np.array([[0.0, 0.3], [0.1, 0.0]])],
    "steps": 50,
}

PUBLIC_HYPER = {
    "SGD": {"lr": 0.05},
    "Momentum": {"lr": 0.05, "beta": 0.9},
    "Nesterov": {"lr": 0.05, "beta": 0.9},
    "AdaGrad": {"lr": 0.1, "eps": 1e-10},
    "RMSProp": {"lr": 0.01, "alpha": 0.99, "eps": 1e-8},
    "Adam": {"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
}


def random_problem(rng, steps=30):
    shapes = [(3,), (2, 2)]
    return {"p0": [rng.normal(size=s) for s in shapes],
            "a": [rng.uniform(0.3, 3.0, size=s) for s in shapes],
            "c": [rng.normal(size=s) for s in shapes],
            "b": [rng.uniform(0.0, 0.8, size=s) for s in shapes],
            "steps": steps}


def random_hyper(name, rng):
    """Hidden hyper-parameters; large eps values make where eps goes visible."""
    lr = float(rng.uniform(0.02, 0.15))
    eps = float(10 ** rng.uniform(-2.5, -1))
    return {"SGD": {"lr": lr},
            "Momentum": {"lr": lr, "beta": float(rng.uniform(0.5, 0.95))},
            "Nesterov": {"lr": lr, "beta": float(rng.uniform(0.5, 0.95))},
            "AdaGrad": {"lr": lr, "eps": eps},
            "RMSProp": {"lr": lr, "alpha": float(rng.uniform(0.8, 0.95)), "eps": eps},
            "Adam": {"lr": lr, "beta1": float(rng.uniform(0.7, 0.9)),
                     "beta2": float(rng.uniform(0.9, 0.99)), "eps": eps}}[name]


def _opt_ref(name):
    def ref(hyper, p0, a, c, b, steps):
        return {"trajectory": ref_run_optimizer(name, hyper, p0, a, c, b, steps)}
    return ref


def _opt_public(name, points):
    return probe(f"`{name}` against torch.optim, 50 steps on the example problem",
                 OPT_CHECK.replace("__CLASS__", name),
                 inputs={**PUBLIC_PROBLEM, "hyper": PUBLIC_HYPER[name]}, ref=_opt_ref(name),
                 points=points, public=True, subject=f"`{name}` trajectory")


def _opt_hidden(name, points):
    def inputs(rng):
        return {**random_problem(rng), "hyper": random_hyper(name, rng)}
    return probe(f"`{name}` against torch.optim on hidden problems and hyper-parameters",
                 OPT_CHECK.replace("__CLASS__", name), inputs=inputs, ref=_opt_ref(name),
                 points=points, subject=f"`{name}` trajectory")


def verify_same_trajectories(out, inputs, expected):
    for k in ("1", "2"):
        together, alone = out.get("together_" + k), out.get("alone_" + k)
        if not (isinstance(together, np.ndarray) and isinstance(alone, np.ndarray)
                and together.shape == alone.shape):
            return ["the optimizers did not produce trajectories"]
        if not np.allclose(together, alone, rtol=1e-9, atol=1e-12, equal_nan=True):
            return ["two optimizer objects used at the same time disturb each other: "
                    "keep all state on the instance (self), one entry per parameter"]
    return []


def _opt_state(name, points):
    def inputs(rng):
        return {"one": random_problem(rng, steps=10), "two": random_problem(rng, steps=10),
                "hyper": random_hyper(name, rng)}
    return probe(f"two `{name}` objects keep separate state",
                 OPT_STATE.replace("__CLASS__", name), inputs=inputs,
                 verify=verify_same_trajectories, points=points)


task_3 = Task("task_4_3", "SGD, momentum and Nesterov from scratch", checks=[
    _opt_public("SGD", 1), _opt_hidden("SGD", 2),
    _opt_public("Momentum", 1), _opt_hidden("Momentum", 4),
    _opt_public("Nesterov", 1), _opt_hidden("Nesterov", 4),
    _opt_state("Momentum", 2),
])

task_4 = Task("task_4_4", "AdaGrad, RMSProp and Adam from scratch", checks=[
    _opt_public("AdaGrad", 1), _opt_hidden("AdaGrad", 3),
    _opt_public("RMSProp", 1), _opt_hidden("RMSProp", 3),
    _opt_public("Adam", 1), _opt_hidden("Adam", 4),
    _opt_state("Adam", 2),
])


# ------------------------------------------------------------------ Part 3: stability

def ref_stable_lr_range(eigenvalue, momentum=0.0):
    return (2.0 + 2.0 * momentum) / eigenvalue


STABLE = PLAIN + '''
OUT = {"value": _g_num(stable_lr_range(*I["args"]))}
'''


def _stable_out(args):
    return {"value": ref_stable_lr_range(*args)}


task_5 = Task("task_4_5", "The largest stable learning rate", checks=[
    probe("`stable_lr_range(4.0)`", STABLE, inputs={"args": [4.0]}, ref=_stable_out,
          points=1, public=True, verb="returned"),
    probe("`stable_lr_range` for gradient descent on hidden eigenvalues",
          PLAIN + '''
OUT = {"value": np.array([_g_num(stable_lr_range(lam)) for lam in I["lams"]])}
''', inputs=lambda rng: {"lams": rng.uniform(0.05, 20.0, size=5)},
          ref=lambda lams: {"value": np.array([ref_stable_lr_range(l) for l in lams])},
          points=1, verb="returned"),
    probe("`stable_lr_range` with momentum on hidden eigenvalues",
          PLAIN + '''
OUT = {"value": np.array([_g_num(stable_lr_range(lam, momentum=beta))
                          for lam, beta in zip(I["lams"], I["betas"])])}
''', inputs=lambda rng: {"lams": rng.uniform(0.05, 20.0, size=5),
                         "betas": rng.uniform(0.1, 0.99, size=5)},
          ref=lambda lams, betas: {"value": np.array([ref_stable_lr_range(l, b)
                                                      for l, b in zip(lams, betas)])},
          points=2, verb="returned"),
])


# ------------------------------------------------------------------ Part 4: schedules

def ref_exponential_decay(lr0, rate, step, decay_steps):
    return lr0 * rate ** (step / decay_steps)


def ref_step_decay(lr0, factor, every, step):
    return lr0 * factor ** (step // every)


def ref_cosine_decay(lr0, step, total, lr_min=0.0):
    return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * step / total)) / 2


SCHEDULE = PLAIN + '''
OUT = {"value": np.array([_g_num(__FUNC__(*args, **I["kwargs"])) for args in I["calls"]])}
'''


def _schedule_checks(func, ref, public_calls, public_kwargs, hidden_inputs, public_label):
    def reference(calls, kwargs):
        return {"value": np.array([ref(*args, **kwargs) for args in calls])}
    code = SCHEDULE.replace("__FUNC__", func)
    return [
        probe(public_label, code, inputs={"calls": public_calls, "kwargs": public_kwargs},
              ref=reference, points=1, public=True, verb="returned"),
        probe(f"`{func}` on hidden settings and steps (compared with torch's scheduler)",
              code, inputs=hidden_inputs, ref=reference, points=2, verb="returned"),
    ]


def _hidden_exponential(rng):
    lr0, rate, every = float(rng.uniform(0.01, 1)), float(rng.uniform(0.3, 0.95)), \
        int(rng.integers(2, 20))
    return {"calls": [[lr0, rate, int(s), every] for s in rng.integers(0, 100, size=8)],
            "kwargs": {}}


def _hidden_step(rng):
    lr0, factor, every = float(rng.uniform(0.01, 1)), float(rng.uniform(0.1, 0.9)), \
        int(rng.integers(2, 20))
    steps = sorted(set(int(s) for s in rng.integers(0, 100, size=6)) | {every - 1, every})
    return {"calls": [[lr0, factor, every, s] for s in steps], "kwargs": {}}


def _hidden_cosine(rng):
    lr0, total = float(rng.uniform(0.01, 1)), int(rng.integers(10, 200))
    steps = sorted(set(int(s) for s in rng.integers(0, total + 1, size=6)) | {0, total})
    return {"calls": [[lr0, s, total] for s in steps],
            "kwargs": {"lr_min": float(lr0 * rng.uniform(0.01, 0.3))}}


task_6 = Task("task_4_6", "Learning-rate schedules", checks=[
    *_schedule_checks("exponential_decay", ref_exponential_decay,
                      [[0.1, 0.5, s, 10] for s in (0, 5, 10, 25)], {}, _hidden_exponential,
                      "`exponential_decay(0.1, 0.5, step, 10)` for step = 0, 5, 10, 25"),
    *_schedule_checks("step_decay", ref_step_decay,
                      [[0.1, 0.5, 10, s] for s in (0, 9, 10, 25)], {}, _hidden_step,
                      "`step_decay(0.1, 0.5, 10, step)` for step = 0, 9, 10, 25"),
    *_schedule_checks("cosine_decay", ref_cosine_decay,
                      [[0.1, s, 100] for s in (0, 25, 50, 100)], {}, _hidden_cosine,
                      "`cosine_decay(0.1, step, 100)` for step = 0, 25, 50, 100"),
])


# ------------------------------------------------------------------ Part 4: the LR finder

def ref_lr_finder(W, b, batches, lr_min, lr_max, steps):
    """The range test on a linear model with the MSE loss and plain SGD, in NumPy."""
    W, b = np.array(W, dtype=float), np.array(b, dtype=float)
    lrs, losses, best = [], [], math.inf
    for i in range(steps):
        lr = lr_min * (lr_max / lr_min) ** (i / (steps - 1))
        x, y = batches[i % len(batches)]
        r = x @ W.T + b - y
        loss = float(np.mean(r ** 2))
        lrs.append(lr)
        losses.append(loss)
        if not math.isfinite(loss) or loss > 4 * best:
            break
        best = min(best, loss)
        n = r.size
        W = W - lr * (2.0 / n) * (r.T @ x)
        b = b - lr * (2.0 / n) * r.sum(axis=0)
    return {"lrs": np.array(lrs), "losses": np.array(losses)}


LR_FINDER = '''
import numpy as np
import torch
_g_model = torch.nn.Linear(I["W"].shape[1], 1).double()
with torch.no_grad():
    _g_model.weight.copy_(torch.tensor(I["W"]))
    _g_model.bias.copy_(torch.tensor(I["b"]))
_g_loader = [(torch.tensor(x), torch.tensor(y)) for x, y in I["batches"]]
_g_lrs, _g_losses = lr_finder(_g_model, torch.nn.MSELoss(), _g_loader, I["lr_min"],
                              I["lr_max"], I["steps"])
OUT = {"lrs": np.array([float(v) for v in _g_lrs]),
       "losses": np.array([float(v) for v in _g_losses])}
'''


def lr_finder_inputs(rng, d=3, n_batches=4, batch=20, lr_min=1e-4, lr_max=0.3, steps=15):
    w_true = rng.normal(size=(1, d))
    batches = []
    for _ in range(n_batches):
        x = rng.normal(size=(batch, d))
        batches.append([x, x @ w_true.T + 0.5 + 0.1 * rng.normal(size=(batch, 1))])
    return {"W": 0.1 * rng.normal(size=(1, d)), "b": np.zeros(1), "batches": batches,
            "lr_min": lr_min, "lr_max": lr_max, "steps": steps}


LR_FINDER_PUBLIC = lr_finder_inputs(np.random.default_rng(4), d=2, n_batches=3, batch=4,
                                    lr_min=1e-3, lr_max=0.5, steps=8)

task_7 = Task("task_4_7", "The learning-rate finder", checks=[
    probe("`lr_finder` on the example linear model (8 steps)", LR_FINDER,
          inputs=LR_FINDER_PUBLIC, ref=ref_lr_finder, points=1, public=True, verb="returned"),
    probe("`lr_finder` on a hidden problem (the loss stays small)", LR_FINDER,
          inputs=lambda rng: lr_finder_inputs(rng, steps=15, lr_max=0.3), ref=ref_lr_finder,
          points=2, verb="returned"),
    probe("`lr_finder` on a hidden problem where the loss explodes", LR_FINDER,
          inputs=lambda rng: lr_finder_inputs(rng, steps=30, lr_max=30.0), ref=ref_lr_finder,
          points=2, verb="returned"),
])


# ------------------------------------------------------------------ Part 5: Eckerle4 data

def ref_split_and_scale(x, y, train_frac=0.6, seed=0):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    perm = np.random.default_rng(seed).permutation(len(x))
    n_train = int(round(train_frac * len(x)))
    tr, te = perm[:n_train], perm[n_train:]
    scaler = {"x_min": float(x[tr].min()), "x_max": float(x[tr].max()),
              "y_min": float(y[tr].min()), "y_max": float(y[tr].max())}
    sx = lambda v: (v - scaler["x_min"]) / (scaler["x_max"] - scaler["x_min"])  # noqa: E731
    sy = lambda v: (v - scaler["y_min"]) / (scaler["y_max"] - scaler["y_min"])  # noqa: E731
    return sx(x[tr]), sy(y[tr]), sx(x[te]), sy(y[te]), scaler


SPLIT = PLAIN + '''
r = split_and_scale(I["x"], I["y"], **I["kwargs"])
OUT = {"x_train": np.asarray(r[0], dtype=float), "y_train": np.asarray(r[1], dtype=float),
       "x_test": np.asarray(r[2], dtype=float), "y_test": np.asarray(r[3], dtype=float),
       "scaler": {k: _g_num(v) for k, v in dict(r[4]).items()}}
'''


def _split_out(x, y, kwargs):
    r = ref_split_and_scale(x, y, **kwargs)
    return {"x_train": r[0], "y_train": r[1], "x_test": r[2], "y_test": r[3], "scaler": r[4]}


def _split_scaler_out(x, y, kwargs):
    return {"scaler": _split_out(x, y, kwargs)["scaler"]}


def _split_hidden(rng):
    n = int(rng.integers(20, 40))
    x = np.sort(rng.uniform(300, 600, size=n))
    # train_frac * n ends in .7, so rounding and truncating give different splits
    n_train = int(rng.integers(n // 2, 3 * n // 4))
    return {"x": x, "y": np.exp(-((x - 450) / 30) ** 2) + 0.01 * rng.normal(size=n),
            "kwargs": {"train_frac": (n_train + 0.7) / n, "seed": int(rng.integers(0, 1000))}}


task_8 = Task("task_4_8", "Splitting and scaling the Eckerle4 data", checks=[
    probe("`split_and_scale` on the example data", SPLIT,
          inputs={"x": np.arange(10.0) * 2 + 1, "y": (np.arange(10.0) - 4) ** 2,
                  "kwargs": {"train_frac": 0.6, "seed": 0}},
          ref=_split_out, points=1, public=True, verb="returned"),
    probe("`split_and_scale` scaler (min and max) on hidden data",
          SPLIT + 'OUT = {"scaler": OUT["scaler"]}\n', inputs=_split_hidden,
          ref=_split_scaler_out, points=2, verb="returned"),
    probe("`split_and_scale` arrays on hidden data", SPLIT, inputs=_split_hidden,
          ref=_split_out, points=2, verb="returned"),
])


# ------------------------------------------------------------------ Part 5: the regressor

def ref_regressor_shapes(hidden):
    widths = [1] + list(hidden) + [1]
    shapes = []
    for w_in, w_out in zip(widths[:-1], widths[1:]):
        shapes += [[w_out, w_in], [w_out]]
    return shapes


SHAPES = '''
import numpy as np
import torch
_g_m = make_regressor(hidden=I["hidden"], dropout=I["dropout"])
_g_out = _g_m(torch.linspace(0, 1, 7).reshape(-1, 1))
OUT = {"shapes": [[int(s) for s in p.shape] for p in _g_m.parameters()],
       "out_shape": [int(s) for s in _g_out.shape]}
'''

FORWARD = '''
import numpy as np
import torch
_g_m = make_regressor(hidden=I["hidden"], dropout=I["dropout"])
with torch.no_grad():
    for _g_p, _g_v in zip(_g_m.parameters(), I["params"]):
        _g_p.copy_(torch.tensor(_g_v, dtype=_g_p.dtype))
_g_m.eval()
with torch.no_grad():
    _g_y = _g_m(torch.tensor(I["x"], dtype=torch.float32))
OUT = {"y": _g_y.double().numpy()}
'''


def ref_regressor_forward(hidden, dropout, params, x):
    a = np.asarray(x, dtype=np.float32)
    n_layers = len(params) // 2
    for k in range(n_layers):
        W = np.asarray(params[2 * k], dtype=np.float32)
        b = np.asarray(params[2 * k + 1], dtype=np.float32)
        a = a @ W.T + b
        if k < n_layers - 1:
            a = np.maximum(a, 0)
    return {"y": a.astype(float)}


def _forward_inputs(rng):
    hidden = [int(h) for h in rng.integers(3, 9, size=2)]
    params = [rng.normal(size=s) for s in ref_regressor_shapes(hidden)]
    return {"hidden": hidden, "dropout": 0.3, "params": params,
            "x": rng.uniform(-1, 2, size=(6, 1))}


DROPOUT = '''
import numpy as np
import torch
_g_x = torch.linspace(0, 1, 50).reshape(-1, 1)
_g_m = make_regressor(hidden=[32, 32], dropout=0.5)
_g_m.train()
_g_a, _g_b = _g_m(_g_x).detach(), _g_m(_g_x).detach()
_g_m.eval()
_g_c, _g_d = _g_m(_g_x).detach(), _g_m(_g_x).detach()
_g_m0 = make_regressor(hidden=[32, 32], dropout=0.0)
_g_m0.train()
OUT = {"train_differs": bool((_g_a != _g_b).any()), "eval_same": bool((_g_c == _g_d).all()),
       "no_dropout_same": bool((_g_m0(_g_x) == _g_m0(_g_x)).all())}
'''


def verify_dropout(out, inputs, expected):
    found = []
    if out.get("train_differs") is not True:
        found.append("with dropout=0.5, two forward passes in training mode gave the same "
                     "output: is there a dropout layer after each hidden layer?")
    if out.get("eval_same") is not True:
        found.append("in evaluation mode (model.eval()) two forward passes differ")
    if out.get("no_dropout_same") is not True:
        found.append("with dropout=0.0 two forward passes in training mode differ")
    return found


# run_repetitions: a cheap configuration on a smooth 1-D problem. The second call repeats the
# first run only, which must give the same numbers (the runs are seeded).
REPS = PLAIN + '''
import torch
_g_cfg = {"optimizer": "Adam", "lr": 0.03, "hidden": [16, 16], "dropout": 0.0,
          "epochs": I["epochs"], "data": tuple(I["data"])}
_g_r1 = run_repetitions(_g_cfg, n_runs=2, seed=I["seed"])
_g_r2 = run_repetitions(_g_cfg, n_runs=1, seed=I["seed"])
OUT = {"keys": [str(k) for k in _g_r1],
       "train_mse": [_g_num(v) for v in _g_r1["train_mse"]],
       "test_mse": [_g_num(v) for v in _g_r1["test_mse"]],
       **{k: _g_num(_g_r1[k]) for k in ("train_mean", "train_std", "test_mean", "test_std")},
       "again": [_g_num(_g_r2["train_mse"][0]), _g_num(_g_r2["test_mse"][0])]}
'''

REPS_KEYS = ["train_mse", "test_mse", "train_mean", "train_std", "test_mean", "test_std",
             "models"]


def _reps_inputs(rng):
    x = np.sort(rng.uniform(0, 1, size=30))
    y = 0.5 + 0.4 * np.sin(5 * x) + 0.02 * rng.normal(size=30)
    idx = rng.permutation(30)
    tr, te = idx[:20], idx[20:]
    return {"data": [x[tr], y[tr], x[te], y[te]], "epochs": 50,
            "seed": int(rng.integers(0, 100))}


def verify_repetitions(out, inputs, expected):
    if out.get("keys") != REPS_KEYS:
        return [f"the result's keys must be {REPS_KEYS} (in this order), "
                f"not {out.get('keys')}"]
    for key in ("train_mse", "test_mse"):
        part = key.split("_")[0]
        runs = out[key]
        if not isinstance(runs, (list, tuple)) or len(runs) != 2:
            return [f"`{key}` must hold one value per run (n_runs=2)"]
        if not all(isinstance(v, float) and math.isfinite(v) and v >= 0 for v in runs):
            return [f"`{key}` must hold finite, non-negative floats"]
        mean, std = out[part + "_mean"], out[part + "_std"]
        if not (isinstance(mean, float) and isinstance(std, float)):
            return ["the means and standard deviations must be numbers"]
        if not np.isclose(mean, np.mean(runs), rtol=1e-5, atol=1e-9):
            return [f"`{part}_mean` is not the mean of `{key}`"]
        if not (np.isclose(std, np.std(runs), rtol=1e-5, atol=1e-9)
                or np.isclose(std, np.std(runs, ddof=1), rtol=1e-5, atol=1e-9)):
            return [f"`{part}_std` is not the standard deviation of `{key}`"]
    if out["train_mse"][0] == out["train_mse"][1]:
        return ["both runs gave exactly the same MSE: each run should start from its own "
                "random initialisation (torch.manual_seed(seed + run))"]
    again = out.get("again")
    if not np.allclose(again, [out["train_mse"][0], out["test_mse"][0]], rtol=1e-6, atol=1e-9):
        return ["two calls with the same seed gave different results for the first run: call "
                "torch.manual_seed(seed + run) before building each run's network"]
    y_train = np.asarray(inputs["data"][1], dtype=float)
    if not out["train_mean"] < 0.6 * float(np.var(y_train)):
        return ["after training, the training MSE is hardly better than always predicting the "
                "mean (Adam, lr 0.03, 50 steps on an easy curve): is the network trained?"]
    return []


NAMES = PLAIN + '''
import torch
_g_res = {}
for _g_name in ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"]:
    _g_cfg = {"optimizer": _g_name, "lr": 0.05, "hidden": [8], "dropout": 0.0, "epochs": 5,
              "data": tuple(I["data"])}
    _g_res[_g_name] = _g_num(run_repetitions(_g_cfg, n_runs=1, seed=3)["train_mse"][0])
OUT = {"mse": _g_res}
'''


def verify_names(out, inputs, expected):
    mse = out.get("mse")
    if not isinstance(mse, dict) or len(mse) != 6:
        return ["`run_repetitions` failed for some optimizer names"]
    values = list(mse.values())
    if not all(isinstance(v, float) and math.isfinite(v) for v in values):
        return ["some optimizer names gave a non-finite training MSE"]
    if len(set(values)) < 6:
        return ["two different optimizer names gave exactly the same result: does every name "
                "select its own torch.optim optimizer (with momentum 0.9 where needed)?"]
    return []


task_9 = Task("task_4_9", "A regressor and repeated runs", checks=[
    probe("`make_regressor(hidden=[4, 3])` parameter shapes", SHAPES,
          inputs={"hidden": [4, 3], "dropout": 0.0},
          ref=lambda hidden, dropout: {"shapes": ref_regressor_shapes(hidden),
                                       "out_shape": [7, 1]},
          points=1, public=True),
    probe("`make_regressor` output with hidden weights (Linear, ReLU, ..., Linear)", FORWARD,
          inputs=_forward_inputs, ref=ref_regressor_forward, points=1, rtol=1e-4, atol=1e-5),
    probe("`make_regressor` dropout in training and evaluation mode", DROPOUT,
          verify=verify_dropout, points=1),
    probe("`run_repetitions` on a hidden configuration (result structure and sanity)", REPS,
          inputs=_reps_inputs, verify=verify_repetitions, points=4),
    probe("`run_repetitions` with each of the six optimizer names", NAMES,
          inputs=_reps_inputs, verify=verify_names, points=1),
])


# ------------------------------------------------------------------ Part 6: early stopping

def ref_early_stopping(losses, patience, min_delta):
    best, best_step, counter, stops = math.inf, -1, 0, []
    for i, loss in enumerate(losses):
        if loss < best - min_delta:
            best, best_step, counter = loss, i, 0
        else:
            counter += 1
        stops.append(counter >= patience)
    return {"stops": np.array(stops), "best_loss": float(best), "best_step": best_step}


ES_SEQUENCE = '''
import numpy as np
_g_es = EarlyStopping(patience=I["patience"], min_delta=I["min_delta"])
_g_stops = [bool(_g_es.step(float(v))) for v in I["losses"]]
OUT = {"stops": np.array(_g_stops), "best_loss": float(_g_es.best_loss),
       "best_step": int(_g_es.best_step)}
'''


def _es_hidden(rng):
    n = 25
    trend = 1.0 / (1 + 0.3 * np.arange(n)) + 0.01 * np.arange(n) ** 1.3 / 10
    losses = trend + 0.03 * rng.normal(size=n)
    # the overall best value, repeated exactly twice, tells `<` from `<=`
    k = int(np.argmin(losses[:n - 3]))
    losses[k + 1:k + 3] = losses[k]
    losses[k + 3:] = np.maximum(losses[k + 3:], losses[k] + 0.001)
    return {"losses": losses, "patience": int(rng.integers(2, 5)),
            "min_delta": float(rng.uniform(0.02, 0.05))}


def _es_hidden_zero_delta(rng):
    inputs = _es_hidden(rng)
    return {**inputs, "min_delta": 0.0}


ES_RESTORE = '''
import numpy as np
import torch
_g_model = torch.nn.Linear(3, 2).double()
_g_es = EarlyStopping(patience=100, min_delta=0.0)
for _g_W, _g_loss in zip(I["weights"], I["losses"]):
    with torch.no_grad():
        _g_model.weight.copy_(torch.tensor(_g_W))
    _g_es.step(float(_g_loss), _g_model)
_g_es.restore(_g_model)
OUT = {"weight": _g_model.weight.detach().numpy().copy()}
'''


def _es_restore_inputs(rng):
    n = 8
    losses = rng.uniform(0.5, 1.0, size=n)
    losses[int(rng.integers(1, n - 2))] = 0.1
    return {"weights": rng.normal(size=(n, 2, 3)), "losses": losses}


def ref_es_restore(weights, losses):
    best = int(np.argmin(losses))
    return {"weight": np.asarray(weights[best], dtype=float)}


task_10 = Task("task_4_10", "Early stopping", checks=[
    probe("`EarlyStopping(patience=2, min_delta=0.1)` on the example losses", ES_SEQUENCE,
          inputs={"losses": [1.0, 0.8, 0.75, 0.72, 0.5, 0.55, 0.6], "patience": 2,
                  "min_delta": 0.1},
          ref=ref_early_stopping, points=1, public=True),
    probe("`EarlyStopping.step` on hidden validation losses", ES_SEQUENCE, inputs=_es_hidden,
          ref=ref_early_stopping, points=2),
    probe("`EarlyStopping.step` on hidden validation losses with min_delta=0", ES_SEQUENCE,
          inputs=_es_hidden_zero_delta, ref=ref_early_stopping, points=2),
    probe("`EarlyStopping.restore` brings back the best weights", ES_RESTORE,
          inputs=_es_restore_inputs, ref=ref_es_restore, points=3,
          subject="the restored weight"),
])


# ------------------------------------------------------------------ Part 6: penalties

def ref_penalty(kind, params):
    """Value and gradients of the L1 or L2 penalty of a Linear-Tanh-Linear model."""
    value, grads = 0.0, []
    for p in params:
        p = np.asarray(p, dtype=float)
        if p.ndim > 1:
            value += float(np.abs(p).sum() if kind == "l1" else (p ** 2).sum())
            grads.append(np.sign(p) if kind == "l1" else 2 * p)
        else:
            grads.append(np.zeros_like(p))
    return {"value": value, "grads": grads}


PENALTY = '''
import numpy as np
import torch
_g_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                               torch.nn.Linear(4, 2)).double()
with torch.no_grad():
    for _g_p, _g_v in zip(_g_model.parameters(), I["params"]):
        _g_p.copy_(torch.tensor(_g_v))
_g_pen = __FUNC__(_g_model)
_g_pen.backward()
OUT = {"value": float(_g_pen.detach()),
       "grads": [np.zeros(tuple(p.shape)) if p.grad is None else p.grad.detach().numpy().copy()
                 for p in _g_model.parameters()]}
'''


def _penalty_inputs(rng):
    return {"params": [rng.normal(size=s) for s in [(4, 3), (4,), (2, 4), (2,)]]}


PENALTY_PUBLIC = {"params": [np.arange(12.0).reshape(4, 3) / 10 - 0.55,
                             np.array([1.0, -2.0, 3.0, -4.0]),
                             np.arange(8.0).reshape(2, 4) / 4 - 0.9, np.array([0.5, 0.5])]}


def _penalty_checks(kind):
    func = f"{kind}_penalty"
    code = PENALTY.replace("__FUNC__", func)
    ref = lambda params: ref_penalty(kind, params)  # noqa: E731
    return [
        probe(f"`{func}` of the example Linear-Tanh-Linear model", code,
              inputs=PENALTY_PUBLIC, ref=ref, points=1, public=True, verb="returned"),
        probe(f"`{func}` value and gradients with hidden weights", code,
              inputs=_penalty_inputs, ref=ref, points=3, verb="returned"),
    ]


task_11 = Task("task_4_11", "L1 and L2 penalties", checks=[
    *_penalty_checks("l1"), *_penalty_checks("l2"),
])


# ------------------------------------------------------------------ Part 7: concepts

CONCEPTS = {
    "tf_adam_bias_early": True,
    "tf_adagrad_only_shrinks": True,
    "tf_adam_l2_equals_decay": False,
    "tf_large_lr_nan": True,
    "tf_sgd_l2_equals_decay": True,
    "tf_momentum_same_range": False,
    "tf_rmsprop_forgets": True,
    "tf_early_stop_on_test": False,
    "tf_dropout_in_eval": False,
    "tf_scaler_on_all_leaks": True,
}

task_12 = Task("task_4_12", "True or false", checks=[
    boolean(name, answer, points=1) for name, answer in CONCEPTS.items()
])


SPEC = Assignment(
    number=4, slug="optimizers", topic="Optimizers",
    title="Optimizers, learning-rate schedules and regularization",
    tasks=[task_1, task_2, task_3, task_4, task_5, task_6, task_7, task_8, task_9, task_10,
           task_11, task_12],
    # torch._dynamo is imported lazily by the first torch.optim optimizer (about 2 s): preloading
    # it in the kernel factory keeps that cost out of every submission.
    preload=("numpy", "torch", "torch._dynamo", "matplotlib", "sklearn.datasets", "tqdm"),
    cell_timeout=10.0)

assert SPEC.points == 100, SPEC.points
