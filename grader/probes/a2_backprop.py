"""Probes for Assignment 2 (backpropagation): they run in the student's kernel, call the
student's code and return what came back. The judges are on the trusted side, in
grader/specs/a2_backprop/reference.py.

``Net`` and ``fit`` need collaborators; here they are test doubles that compute nothing:
``ScriptedLayer`` returns arrays taken from the check's inputs, ``SpyNet`` looks its
predictions up in a table of the inputs. Both record every call, and the grader replays the
record. There is no working layer, network or loss in this module to be found and borrowed.
``Dropout`` and ``BatchNorm`` need no collaborators: their probes build the student's layer,
set its mode and attributes from the inputs, call it and copy what it holds afterwards.
"""
import numpy as np


def values(ns, names):
    """The variables ``names`` as the student's cell left them."""
    return {name: ns[name] for name in names}


def listed(ns, func, args):
    """``func(*args)`` read as a list: a list, a tuple or a 1-D array of numbers all give the
    same list (used where a public check compares with a list of expected values)."""
    return {"value": list(ns[func](*args))}


def call_twice(ns, func, args):
    """``func(*args)``, called twice: a function that starts afresh returns the same twice."""
    first = ns[func](*args)
    return {"first": first, "second": ns[func](*args)}


# ------------------------------------------------------------------ task 2.3

def minibatch(ns, W1, b1, W2, b2, X, Y, lr):
    """What ``minibatch_step`` returns, and its array arguments after the call (a step must
    leave them as they were)."""
    returned = ns["minibatch_step"](W1, b1, W2, b2, X, Y, lr)
    return {"returned": returned, "W1 after": W1, "b1 after": b1, "W2 after": W2,
            "X after": X, "Y after": Y}


# ------------------------------------------------------------------ task 2.4

def numerical_gradient_of(ns, A, B, x, axes, kwargs):
    """``numerical_gradient`` of sum(A v^3 + B sin(5 v)) at ``np.transpose(x, axes)`` (a view
    of x: not contiguous where ``axes`` permutes), and that point after the call."""
    point = np.transpose(x, axes)

    def cubic_sine(v):
        return np.vdot(A, v ** 3) + np.vdot(B, np.sin(5.0 * v))
    grad = ns["numerical_gradient"](cubic_sine, point, **kwargs)
    return {"grad": grad, "x after": point}


# ------------------------------------------------------------------ task 2.6

def _linear(ns, W, b):
    """The student's ``Linear`` with the given parameters in place of its random ones."""
    layer = ns["Linear"](W.shape[0], W.shape[1], np.random.default_rng(0))
    layer.W, layer.b = W, b
    return layer


def linear_new(ns, n_in, n_out, seed, x):
    """A new ``Linear(n_in, n_out, np.random.default_rng(seed))``: W, b and forward(x)."""
    layer = ns["Linear"](n_in, n_out, np.random.default_rng(seed))
    return {"W": layer.W, "b": layer.b, "y": layer.forward(x)}


def linear_init(ns, n_in, n_out, seeds):
    """``Linear(n_in, n_out, np.random.default_rng(seed)).W`` and ``.b`` for each seed."""
    layers = [ns["Linear"](n_in, n_out, np.random.default_rng(seed)) for seed in seeds]
    return {"W": [layer.W for layer in layers], "b": [layer.b for layer in layers]}


def linear_forward(ns, W, b, x):
    """``Linear.forward(x)`` with parameters W, b."""
    return {"y": _linear(ns, W, b).forward(x)}


def linear_backward(ns, W, b, x, dy):
    """``Linear.backward(x, dy)`` after ``forward(x)``: its return value and the gradients it
    stored (None where it stored none)."""
    layer = _linear(ns, W, b)
    layer.forward(x)
    dx = layer.backward(x, dy)
    return {"dx": dx, "dW": getattr(layer, "dW", None), "db": getattr(layer, "db", None)}


def linear_step(ns, W, b, x, dy, lr):
    """The parameters after ``forward``, ``backward`` and ``step(lr)``, and just before step."""
    layer = _linear(ns, W, b)
    layer.forward(x)
    layer.backward(x, dy)
    W_before, b_before = np.copy(layer.W), np.copy(layer.b)   # step may update in place
    layer.step(lr)
    return {"W before step": W_before, "b before step": b_before, "W": layer.W, "b": layer.b}


def activation_layer(ns, name, x, dy, lr):
    """A parameterless layer ``name``: ``forward(x)``, ``backward(x, dy)``, then ``step(lr)``."""
    layer = ns[name]()
    y = layer.forward(x)
    dx = layer.backward(x, dy)
    layer.step(lr)
    return {"y": y, "dx": dx}


# ------------------------------------------------------------------ task 2.7

class ScriptedLayer:
    """A layer for testing ``Net``: ``forward`` returns ``script["output"]``, ``backward``
    returns ``script["dx"]``, and every call goes to the shared ``log`` with its arguments.
    ``script["params"]`` become attributes (``W``, ``b``), so it looks like a layer with
    parameters where it stands for one."""

    def __init__(self, index, script, log):
        self.index, self.script, self.log = index, script, log
        for name, value in script["params"].items():
            setattr(self, name, value)

    def forward(self, x):
        self.log.append(("forward", self.index, x))
        return self.script["output"]

    def backward(self, x, dy):
        self.log.append(("backward", self.index, x, dy))
        return self.script["dx"]

    def step(self, lr):
        self.log.append(("step", self.index, lr))


def _scripted_net(ns, layers, log):
    return ns["Net"]([ScriptedLayer(i, script, log) for i, script in enumerate(layers)])


def net_forward(ns, layers, x):
    """``Net(scripted layers).forward(x)`` and the layers' calls."""
    log = []
    returned = _scripted_net(ns, layers, log).forward(x)
    return {"returned": returned, "log": log}


def net_backward(ns, layers, trace, dy):
    """``Net(scripted layers).backward(trace, dy)`` and the layers' calls."""
    log = []
    returned = _scripted_net(ns, layers, log).backward(trace, dy)
    return {"returned": returned, "log": log}


def net_step(ns, layers, lr):
    """The layers' calls during ``Net(scripted layers).step(lr)``."""
    log = []
    _scripted_net(ns, layers, log).step(lr)
    return {"log": log}


# ------------------------------------------------------------------ task 2.8

class SpyNet:
    """A network for testing ``fit`` that learns nothing: its prediction for a sample is
    ``tables[s][i]``, where ``i`` is the sample's index (column 0 of x holds it) and ``s`` the
    number of ``step`` calls so far. It records every call; the grader recomputes from the
    same tables the dy, batches and history that ``fit`` must produce."""

    def __init__(self, tables):
        self.tables, self.steps, self.log = tables, 0, []

    def forward(self, x):
        self.log.append(("forward", x))
        table = np.take(self.tables, self.steps, axis=0, mode="clip")
        return table[x[:, 0].astype(int)], [x]

    def backward(self, trace, dy):
        self.log.append(("backward", trace, dy))

    def step(self, lr):
        self.steps = self.steps + 1
        self.log.append(("step", lr))


def _spy_fit(ns, x, y, tables, epochs, lr, mb_size, x_test, y_test, seed):
    net = SpyNet(tables)
    history = ns["fit"](net, np.copy(x), np.copy(y), epochs, lr, mb_size, x_test=x_test,
                        y_test=y_test, seed=seed)
    return history, net.log


def fit_spy(ns, x, y, tables, epochs, lr, mb_size, x_test, y_test, seed):
    """``fit`` on a ``SpyNet``: the history it returned and the network's calls."""
    history, log = _spy_fit(ns, x, y, tables, epochs, lr, mb_size, x_test, y_test, seed)
    return {"history": history, "log": log}


def fit_history(ns, x, y, tables, epochs, lr, mb_size, x_test, y_test, seed, keys):
    """The lists ``keys`` of the history ``fit`` returns on a ``SpyNet`` (read as lists)."""
    history, _ = _spy_fit(ns, x, y, tables, epochs, lr, mb_size, x_test, y_test, seed)
    return {key: list(history[key]) for key in keys}


def fit_seeds(ns, x, y, tables, epochs, lr, mb_size, seeds):
    """The network's calls in one run of ``fit`` (without test data) per seed."""
    return {"logs": [_spy_fit(ns, x, y, tables, epochs, lr, mb_size, None, None, seed)[1]
                     for seed in seeds]}


# ------------------------------------------------------------------ task 2.9

def logits_unchanged(ns, z, y, zb, yb):
    """The arguments of ``log_softmax(z)``, ``softmax_cross_entropy(z, y)`` and
    ``bce_with_logits(zb, yb)`` after the calls (none may change them in place)."""
    ns["log_softmax"](z)
    ns["softmax_cross_entropy"](z, y)
    ns["bce_with_logits"](zb, yb)
    return {"z after": z, "y after": y, "zb after": zb, "yb after": yb}


# ------------------------------------------------------------------ task 2.10

def dropout_masks(ns, p, seeds, x, dy):
    """For each seed a new ``Dropout(p, np.random.default_rng(seed))`` in training mode:
    forward(x), backward(x, dy), then forward(x) once more."""
    runs = []
    for seed in seeds:
        layer = ns["Dropout"](p, np.random.default_rng(seed))
        first = layer.forward(x)
        dx = layer.backward(x, dy)
        runs.append({"first": first, "dx": dx, "second": layer.forward(x)})
    return {"runs": runs}


def dropout_modes(ns, p, seed, x, dy, lr):
    """``Dropout(p, rng)``: forward(x) in training mode, then, with ``training`` set to False,
    forward(x), backward(x, dy) and step(lr)."""
    layer = ns["Dropout"](p, np.random.default_rng(seed))
    train = layer.forward(x)
    layer.training = False
    y = layer.forward(x)
    dx = layer.backward(x, dy)
    layer.step(lr)
    return {"train": train, "y": y, "dx": dx}


# ------------------------------------------------------------------ task 2.11

def _attributes(layer, names):
    """Copies of the attributes ``names`` (a missing one raises the AttributeError)."""
    return {name: np.copy(getattr(layer, name)) for name in names}


def batchnorm_script(ns, n, kwargs, state, script, lr):
    """``BatchNorm(n, **kwargs)`` with the attributes ``state`` set; for each (training, x,
    dy) of ``script``, in that mode: forward(x) and backward(x, dy), with the attributes after
    each; then step(lr) and gamma and beta after it."""
    names = ("gamma", "beta", "running_mean", "running_var")
    layer = ns["BatchNorm"](n, **kwargs)
    for name, value in state.items():
        setattr(layer, name, np.copy(value))
    records = []
    for training, x, dy in script:
        layer.training = training
        y = layer.forward(x)
        after_forward = _attributes(layer, names)
        dx = layer.backward(x, dy)
        record = {"y": y, "dx": dx, "after forward": after_forward,
                  "after backward": _attributes(layer, names)}
        record.update(_attributes(layer, ("dgamma", "dbeta")))
        records.append(record)
    layer.step(lr)
    return {"records": records, "after step": _attributes(layer, ("gamma", "beta"))}


def batchnorm_once(ns, n, x):
    """``BatchNorm(n)`` with its defaults: forward(x) in training mode, and the parameters and
    running statistics after it."""
    layer = ns["BatchNorm"](n)
    y = layer.forward(x)
    record = _attributes(layer, ("gamma", "beta", "running_mean", "running_var"))
    record.update(y=y)
    return record
