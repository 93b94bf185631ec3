"""Probes for Assignment 3 (vanishing gradients in PyTorch): they run in the student's kernel.

Each probe builds what the student's function needs from the check's inputs, calls it, and
returns what it observed: return values, parameters afterwards, the mode and grad state of
every forward pass, where each batch was moved, what the progress bar was asked to show.
Verdicts are made in the grader (grader/specs/a3_vanishing_gradients/reference.py).

The networks handed to the student's code are built from ``torch.nn`` parts and the layer
list in the inputs (``[name, nn class name, args, kwargs]``, weights from ``state``), so this
module holds no architecture of any task. The classes are test doubles: ``SpyBatch`` (a
tensor that records ``.to(...)``) and ``SpyProgress`` (stands in for tqdm).
"""
from collections import OrderedDict

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, default_collate

# Bound when this module is loaded (before any student code runs in the kernel), so a cell
# that rebinds torch.is_grad_enabled or torch.set_grad_enabled changes neither the state the
# student's function starts from nor what the hooks below record.
_grad_enabled = torch._C.is_grad_enabled
_set_grad_enabled = torch._C._set_grad_enabled


class SpyBatch(torch.Tensor):
    """A batch tensor that records every ``.to(...)`` call in ``self.moves``. Operations on
    it give plain tensors (torch functions are not routed through this class)."""

    __torch_function__ = torch._C._disabled_torch_function_impl

    def to(self, *args, **kwargs):
        self.moves.append([str(a) for a in args] + [f"{k}={v}" for k, v in kwargs.items()])
        return torch.Tensor.to(self, *args, **kwargs)


class SpyProgress:
    """Stands in for ``tqdm``: hands out the wrapped iterable's items unchanged and records,
    in order, each item handed out ("batch") and each call that sets the bar's text."""

    def __init__(self, events, iterable=None, *args, **kwargs):
        self.events, self.iterable = events, iterable

    def __iter__(self):
        for item in self.iterable:
            self.events.append("batch")
            yield item

    def __len__(self):
        return self.iterable.__len__()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def set_postfix(self, *args, **kwargs):
        self.events.append("postfix")

    def set_postfix_str(self, *args, **kwargs):
        self.events.append("postfix")

    def set_description(self, *args, **kwargs):
        self.events.append("description")

    def set_description_str(self, *args, **kwargs):
        self.events.append("description")

    def __getattr__(self, name):  # update, close, refresh, write, ...: accepted, not needed
        return lambda *args, **kwargs: None


# ---------------------------------------------------------------- collaborators from inputs

def _flat(layers, state):
    """``nn.Sequential`` of the listed torch.nn modules, named as listed, with ``state``."""
    model = nn.Sequential(OrderedDict(
        (name, getattr(nn, kind)(*args, **kwargs)) for name, kind, args, kwargs in layers))
    model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()}, strict=False)
    return model


def _nested(blocks, state):
    """``nn.Sequential`` of named ``nn.Sequential`` blocks (``[name, layers]``), with ``state``."""
    model = nn.Sequential(OrderedDict((name, _flat(layers, {})) for name, layers in blocks))
    model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()}, strict=False)
    return model


def _watch(model, seen):
    """Record, for every forward pass of ``model``: the training flag of each of its modules,
    and whether autograd was recording."""
    model.register_forward_pre_hook(lambda module, args: seen.append(
        [[m.training for m in module.modules()], _grad_enabled()]))


def _loader(X, y, batch_size, moves):
    """A DataLoader over (X, y) in order; every tensor it yields is a SpyBatch whose list of
    moves is appended to ``moves``."""
    def collate(items):
        batch = [t.as_subclass(SpyBatch) for t in default_collate(items)]
        for t in batch:
            t.moves = []
            moves.append(t.moves)
        return batch
    return DataLoader(TensorDataset(torch.as_tensor(X), torch.as_tensor(y)),
                      batch_size=batch_size, shuffle=False, collate_fn=collate)


def _params(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


# ---------------------------------------------------------------- task 3.1

def bounds(ns, cases):
    """``gradient_bound(depth, w_max)`` for each ``[depth, w_max]`` in ``cases``."""
    return {"value": [ns["gradient_bound"](depth, w_max) for depth, w_max in cases]}


# ---------------------------------------------------------------- task 3.2

def ann_parameters(ns, D_in, D_out):
    """The parameter names and shapes of ``ANN_relu(D_in, D_out)``."""
    model = ns["ANN_relu"](D_in, D_out)
    return {"value": {name: list(p.shape) for name, p in model.state_dict().items()}}


def ann_outputs(ns, D_in, D_out, shapes, scales, seed, X_shape):
    """``ANN_relu(D_in, D_out)`` with normal weights drawn from ``seed`` (``scales`` times
    N(0, 1), in the order of ``shapes``), on inputs of ``X_shape`` drawn next, every other row
    (a strided view). Drawn here: 1.5 M numbers are not worth sending."""
    model = ns["ANN_relu"](D_in, D_out)
    generator = torch.Generator().manual_seed(seed)
    model.load_state_dict({name: torch.randn(shape, generator=generator) * scales[name]
                           for name, shape in shapes.items()})
    X = torch.randn(X_shape, generator=generator)
    with torch.no_grad():
        return {"value": model(X[::2])}


# ---------------------------------------------------------------- tasks 3.3 and 3.4

def training_run(ns, layers, state, X, y, batch_size, lr, log_interval):
    """One ``train_epoch`` with SGD (momentum 0.5) on a model that arrives in evaluation mode
    and with stale gradients in every parameter."""
    model = _flat(layers, state)
    model.train(False)              # evaluation mode (model.eval(), by another name)
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    seen, moves = [], []
    _watch(model, seen)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    _set_grad_enabled(True)
    stats = ns["train_epoch"](model, _loader(X, y, batch_size, moves), optimizer,
                              torch.device("cpu"), log_interval=log_interval)
    return {"stats": stats, "params": _params(model), "modes": seen, "moves": moves}


def training_progress(ns, layers, state, X, y, batch_size, lr, log_interval):
    """``training_run`` with the name ``tqdm`` of the student's cell bound to SpyProgress."""
    events = []
    names = ns["train_epoch"].__globals__
    kept = names.get("tqdm")
    names["tqdm"] = lambda *args, **kwargs: SpyProgress(events, *args, **kwargs)
    training_run(ns, layers, state, X, y, batch_size, lr, log_interval)
    names["tqdm"] = kept
    return {"events": events}


def evaluation_run(ns, layers, state, X, y, batch_size):
    """``evaluate`` on a model that arrives in training mode, with autograd recording."""
    model = _flat(layers, state)
    seen, moves = [], []
    _watch(model, seen)
    _set_grad_enabled(True)
    value = ns["evaluate"](model, _loader(X, y, batch_size, moves), "cpu")
    return {"value": value, "modes": seen, "moves": moves}


# ---------------------------------------------------------------- task 3.6

def mlp_models(ns, cases):
    """``make_mlp(*args, **kwargs)`` for each ``[args, kwargs]``: the model's type, and per
    child its class name, its parameter shapes and its parameters."""
    models = [ns["make_mlp"](*args, **kwargs) for args, kwargs in cases]
    return {"models": [
        {"type": type(model).__name__,
         "layers": [[type(m).__name__, [list(p.shape) for p in m.parameters()]]
                    for m in model.children()],
         "weights": [[p.detach() for p in m.parameters()] for m in model.children()]}
        for model in models]}


# ---------------------------------------------------------------- task 3.7

def ratio_run(ns, blocks, state, X, y, stale):
    """``gradient_ratio`` on a model of nested blocks, on ``X.T`` (a non-contiguous view), with
    the gradients in ``stale`` left in the parameters beforehand; and the parameters after."""
    model = _nested(blocks, state)
    params = dict(model.named_parameters())
    for name, grad in stale.items():
        params[name].grad = torch.as_tensor(grad)
    value = ns["gradient_ratio"](model, torch.as_tensor(X).T, torch.as_tensor(y))
    return {"value": value, "params": _params(model)}


# ---------------------------------------------------------------- task 3.8

def variance_run(ns, args, kwargs):
    """The items of ``activation_variances(*args, **kwargs)``."""
    return {"value": list(ns["activation_variances"](*args, **kwargs))}


def variance_seeds(ns, args, seeds):
    """``activation_variances(*args)`` after ``torch.manual_seed(s)``, for each ``s``."""
    found = []
    for seed in seeds:
        torch.manual_seed(seed)
        found.append(list(ns["activation_variances"](*args)))
    return {"value": found}


# ---------------------------------------------------------------- task 3.9

def dead_units(ns, layers, state, X):
    """The items of ``dead_relu_fraction`` on a model in evaluation mode, on ``X.T``."""
    model = _flat(layers, state)
    model.train(False)              # evaluation mode (model.eval(), by another name)
    return {"value": list(ns["dead_relu_fraction"](model, torch.as_tensor(X).T))}


# ---------------------------------------------------------------- task 3.10

def slopes(ns, cases):
    """``activation_grad(name, z)`` for each ``[name, z]``, z passed with its first and last
    axes swapped (a non-contiguous view); and each z after the call."""
    zs = [torch.tensor(z).transpose(0, -1) for _, z in cases]
    return {"value": [ns["activation_grad"](name, z) for (name, _), z in zip(cases, zs)],
            "z after": zs}


# ---------------------------------------------------------------- task 3.11

def norm_default(ns, x, gamma, beta, running_mean, running_var, training):
    """``batch_norm`` with its default momentum and eps: what it returned, and the running
    statistics after the call."""
    mean, var = torch.tensor(running_mean), torch.tensor(running_var)
    value = ns["batch_norm"](torch.tensor(x), torch.tensor(gamma), torch.tensor(beta), mean, var,
                             training)
    return {"value": value, "running_mean": mean, "running_var": var}


def _normalised(function, x, gamma, beta, mean, var, training, momentum, eps):
    """One call of the student's ``batch_norm``, and copies of the running statistics after it."""
    value = function(x, gamma, beta, mean, var, training, momentum=momentum, eps=eps)
    return [value, mean.clone(), var.clone()]


def norm_steps(ns, batches, modes, gamma, beta, running_mean, running_var, momentum, eps):
    """``batch_norm`` on each batch in turn, in training or evaluation mode as ``modes`` says,
    with the same running-statistics tensors throughout. Batches are sent transposed and
    passed as non-contiguous views. Per call: what it returned and the running statistics
    after it; and the batches, gamma and beta after all calls."""
    xs = [torch.tensor(batch).T for batch in batches]
    g, b = torch.tensor(gamma), torch.tensor(beta)
    mean, var = torch.tensor(running_mean), torch.tensor(running_var)
    calls = [_normalised(ns["batch_norm"], x, g, b, mean, var, training, momentum, eps)
             for x, training in zip(xs, modes)]
    return {"outputs": [call[0] for call in calls], "means": [call[1] for call in calls],
            "variances": [call[2] for call in calls], "batches after": xs, "gamma after": g,
            "beta after": b}


def norm_gradients(ns, x, gamma, beta, weights):
    """Gradients of sum(weights * batch_norm(x, gamma, beta, 0, 1, training=True)) with respect
    to x, gamma and beta (autograd's vector-Jacobian product with ``weights``). The added zero
    terms keep the result differentiable when the output is not, so that missing gradients
    come back as zeros instead of an error. Autograd is switched on first, and
    torch.is_grad_enabled is the library's own again: a cell of another task that rebound it
    would otherwise make ``torch.no_grad()`` inside ``batch_norm`` switch autograd off for
    good (its exit restores what the rebound function claims)."""
    torch.is_grad_enabled = _grad_enabled
    _set_grad_enabled(True)
    X = torch.tensor(x, requires_grad=True)
    g = torch.tensor(gamma, requires_grad=True)
    b = torch.tensor(beta, requires_grad=True)
    value = ns["batch_norm"](X, g, b, torch.zeros(g.shape), torch.ones(g.shape), True)
    return {"grads": list(torch.autograd.grad(value + 0 * X + 0 * g + 0 * b, [X, g, b],
                                              grad_outputs=torch.tensor(weights)))}
