"""Probes for Assignment 4 (optimizers, schedules, regularization): they run in the student's
kernel, call the student's code and return what came back, raw.

Collaborators that must really compute are library calls on the check's inputs: the gradient
``a * (p - c) + b * sin(p)`` of the separable test loss that the optimizers are fed, small torch
models with given weights, ``nn.MSELoss``. Test doubles stand in where the statement allows
any object: a loader that can only be iterated (like a DataLoader), a loss whose values are
scripted. Every verdict, coercion and comparison is made by the trusted grader
(``grader/specs/a4_optimizers/``).
"""
import numpy as np
import torch
from torch import nn

# ------------------------------------------------------------------ variables and plain calls


def variables(ns, names):
    """The variables ``names`` as the student's cell left them."""
    return {name: ns[name] for name in names}


def call_each(ns, func, calls):
    """``func(*args, **kwargs)`` for every ``[args, kwargs]`` in ``calls``: the return values."""
    return {"values": [ns[func](*args, **kwargs) for args, kwargs in calls]}


def descent(ns, args):
    """``optimize_f(*args)``, its five results by name."""
    x, y, f_value, x_hist, y_hist = ns["optimize_f"](*args)
    return {"x": x, "y": y, "f_value": f_value, "x_hist": x_hist, "y_hist": y_hist}


# ------------------------------------------------------------------ from-scratch optimizers

def _strided(array):
    """A copy of ``array`` as a view into a larger buffer (every other entry of padded rows):
    not contiguous, and not flattenable without a copy, so an update made through a
    reshaped or raveled copy of a parameter is lost."""
    width = array.shape[-1]
    view = np.zeros(array.shape[:-1] + (2 * width + 1,))[..., :2 * width:2]
    view[...] = array
    return view


def _separable_gradients(params, a, c, b):
    """The gradient of sum(a/2 (p - c)^2 - b cos(p)) at ``params``: the test loss."""
    return [a_i * (p - c_i) + b_i * np.sin(p) for p, a_i, c_i, b_i in zip(params, a, c, b)]


def _flat(params):
    return np.concatenate([np.ravel(p) for p in params])


def _parameters(problem):
    params = [_strided(np.array(p, dtype=float)) for p in problem["p0"]]
    return params, list(params)


def _step(optimizer, params, kept, problem):
    optimizer.step(params, _separable_gradients(kept, problem["a"], problem["c"], problem["b"]))
    return _flat(kept)


def _trajectory(optimizer, problem):
    params, kept = _parameters(problem)
    return np.array([_step(optimizer, params, kept, problem) for _ in range(problem["steps"])])


def optimizer_trajectory(ns, cls, hyper, problem):
    """``cls(**hyper)`` stepped ``problem["steps"]`` times on the test loss; the parameter
    values after each step, read from the probe's own references to the arrays it passed."""
    return {"trajectory": _trajectory(ns[cls](**hyper), problem)}


def optimizers_side_by_side(ns, classes, hyper, first, second):
    """For each class, two objects stepped in turn on two problems (both trajectories), and
    a third object alone on the first problem."""
    observed = {}
    for name in classes:
        one, two = ns[name](**hyper[name]), ns[name](**hyper[name])
        params_1, kept_1 = _parameters(first)
        params_2, kept_2 = _parameters(second)
        together_1, together_2 = [], []
        for _ in range(first["steps"]):
            together_1.append(_step(one, params_1, kept_1, first))
            together_2.append(_step(two, params_2, kept_2, second))
        observed[name] = {"first": np.array(together_1), "second": np.array(together_2),
                          "alone": _trajectory(ns[name](**hyper[name]), first)}
    return observed


# ------------------------------------------------------------------ the learning-rate finder

class ScriptedLoader:
    """Stands in for a DataLoader: it can be iterated again and again (from its first batch
    each time) and has a length, but cannot be indexed."""

    def __init__(self, batches, count):
        self.batches, self.count = batches, count

    def __iter__(self):
        return iter(self.batches)

    def __len__(self):
        return self.count


class ScriptedLoss:
    """A loss function whose value is the one written into the batch's targets, so it does
    not depend on how often it is called. It is tied to the graph through the MSE with
    weight 0: ``backward`` works and leaves every gradient 0."""

    def __call__(self, prediction, target):
        return nn.functional.mse_loss(prediction, target) * 0.0 + target[0, 0]


def _linear_model(W, b):
    """nn.Linear with the given weights, holding stale gradients (as after an earlier
    backward): each step must start from fresh ones."""
    model = nn.Linear(W.shape[1], W.shape[0]).double()
    with torch.no_grad():
        model.weight.copy_(torch.tensor(W))
        model.bias.copy_(torch.tensor(b))
    for param in model.parameters():
        param.grad = torch.ones_like(param)
    return model


def _loader(batches, n_batches):
    return ScriptedLoader([(torch.tensor(x), torch.tensor(y)) for x, y in batches], n_batches)


def lr_finder_linear(ns, W, b, batches, n_batches, lr_min, lr_max, steps):
    """``lr_finder`` on a linear model with the MSE loss: the recorded lists and the model's
    parameters afterwards."""
    model = _linear_model(W, b)
    lrs, losses = ns["lr_finder"](model, nn.MSELoss(), _loader(batches, n_batches), lr_min,
                                  lr_max, steps)
    return {"lrs": lrs, "losses": losses, "weight": model.weight, "bias": model.bias}


def lr_finder_scripted(ns, values, W, b, lr_min, lr_max, steps):
    """``lr_finder`` with one batch per step whose loss is the next of ``values``."""
    batches = [(torch.zeros(4, W.shape[1], dtype=torch.float64),
                torch.full((4, 1), value, dtype=torch.float64)) for value in values]
    lrs, losses = ns["lr_finder"](_linear_model(W, b), ScriptedLoss(),
                                  ScriptedLoader(batches, steps), lr_min, lr_max, steps)
    return {"lrs": lrs, "losses": losses}


# ------------------------------------------------------------------ Eckerle4: data and regressor

def split(ns, x, y, kwargs):
    """``split_and_scale(x, y, **kwargs)``, its five results by name."""
    x_train, y_train, x_test, y_test, scaler = ns["split_and_scale"](x, y, **kwargs)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test,
            "scaler": scaler}


def regressor_shapes(ns, hidden, dropout, x):
    """The parameter shapes of ``make_regressor(hidden, dropout)`` and its output on ``x``."""
    model = ns["make_regressor"](hidden=hidden, dropout=dropout)
    return {"shapes": [list(p.shape) for p in model.parameters()],
            "output": model(torch.tensor(x, dtype=torch.float32))}


def regressor_outputs(ns, hidden, dropout, params, x, modes):
    """``make_regressor(hidden, dropout)`` with the given parameters (in the order of
    ``parameters()``), its outputs on ``x`` in each of ``modes`` ("train" or "eval")."""
    model = ns["make_regressor"](hidden=hidden, dropout=dropout)
    with torch.no_grad():
        for param, value in zip(model.parameters(), params):
            param.copy_(torch.tensor(value))
    inputs = torch.tensor(x, dtype=torch.float32)
    outputs = []
    for mode in modes:
        getattr(model, mode)()
        with torch.no_grad():
            outputs.append(model(inputs))
    return {"outputs": outputs}


_SUMMARY = ("train_mse", "test_mse", "train_mean", "train_std", "test_mean", "test_std")


def _two_training_passes(model, x):
    model.train()
    with torch.no_grad():
        return [model(x), model(x)]


def repetitions(ns, config, n_runs, seed, x):
    """``run_repetitions(config, n_runs, seed)``: its keys, the summary entries, the
    parameters of the returned models, and two training-mode passes of each on ``x``."""
    result = ns["run_repetitions"](config, n_runs=n_runs, seed=seed)
    models = result["models"]
    observed = {"keys": list(result), "models": [list(m.parameters()) for m in models]}
    observed.update({key: result[key] for key in _SUMMARY})
    inputs = torch.tensor(x, dtype=torch.float32)
    observed["training_passes"] = [_two_training_passes(m, inputs) for m in models]
    return observed


def repetitions_each(ns, configs, seed):
    """One run of ``run_repetitions`` per configuration: its train MSEs and model parameters."""
    results = [ns["run_repetitions"](config, n_runs=1, seed=seed) for config in configs]
    return {"train_mse": [r["train_mse"] for r in results],
            "models": [[list(m.parameters()) for m in r["models"]] for r in results]}


# ------------------------------------------------------------------ early stopping

def _progress(stopper):
    return {"best_loss": stopper.best_loss, "best_step": stopper.best_step,
            "counter": stopper.counter, "calls": stopper.calls,
            "best_state": stopper.best_state}


def early_stopping_sequence(ns, patience, min_delta, losses):
    """``EarlyStopping(patience, min_delta).step(loss)`` for each loss (no model): what each
    call returned and the documented attributes after it."""
    stopper = ns["EarlyStopping"](patience=patience, min_delta=min_delta)
    returned, after = [], []
    for loss in losses:
        returned.append(stopper.step(loss))
        after.append(_progress(stopper))
    return {"returned": returned, "after": after}


def _fed_stopper(ns, patience, losses, weights, means):
    """``step(loss, model)`` on a Linear + BatchNorm model whose weight and running mean are
    overwritten in place before each call (as an optimizer and forward passes would)."""
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).double()
    stopper = ns["EarlyStopping"](patience=patience, min_delta=0.0)
    for loss, weight, mean in zip(losses, weights, means):
        with torch.no_grad():
            model[0].weight.copy_(torch.tensor(weight))
            model[1].running_mean.copy_(torch.tensor(mean))
        stopper.step(loss, model)
    return model, stopper


def early_stopping_best_state(ns, patience, losses, weights, means, keys):
    """After the calls: the entries ``keys`` of ``best_state``."""
    _, stopper = _fed_stopper(ns, patience, losses, weights, means)
    return {"best_state": [stopper.best_state[key] for key in keys]}


def early_stopping_restore(ns, patience, losses, weights, means, keys):
    """After the calls: the model's entries ``keys`` after ``restore``, and after a second
    ``restore`` that follows more in-place changes of every tensor of the model."""
    model, stopper = _fed_stopper(ns, patience, losses, weights, means)
    stopper.restore(model)
    restored = [model.state_dict()[key].clone() for key in keys]
    with torch.no_grad():
        for tensor in model.state_dict().values():
            tensor.add_(1)           # training goes on after a restore
    stopper.restore(model)
    return {"restored": restored, "restored_again": [model.state_dict()[key] for key in keys]}


# ------------------------------------------------------------------ penalties

def _mlp():
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def _mixed():
    """Not a Sequential: a ModuleDict with a convolution (a 3-D weight), norm layers (1-D
    weights) and nested containers."""
    return nn.ModuleDict({
        "features": nn.Sequential(nn.Conv1d(2, 3, kernel_size=3), nn.BatchNorm1d(3), nn.ReLU()),
        "head": nn.Sequential(nn.Linear(6, 4), nn.LayerNorm(4), nn.Tanh(), nn.Linear(4, 1)),
    })


_MODELS = {"mlp": _mlp, "mixed": _mixed}


def _model(layout, params):
    model = _MODELS[layout]().double()
    with torch.no_grad():
        for param, value in zip(model.parameters(), params):
            param.copy_(torch.tensor(value))
    return model


def penalty_value(ns, func, layout, params):
    """``func(model)`` for a model of the given layout and parameters."""
    return {"value": ns[func](_model(layout, params))}


def penalty(ns, func, layout, params):
    """``func(model)``, then ``backward()`` on it: the value and what it added to every
    parameter's ``.grad`` (zero before the call)."""
    model = _model(layout, params)
    for param in model.parameters():
        param.grad = torch.zeros_like(param)    # backward must add to these; 1-D ones stay 0
    value = ns[func](model)
    value.backward()
    return {"value": value, "grads": [p.grad for p in model.parameters()]}
