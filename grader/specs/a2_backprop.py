"""Assignment 2: backpropagation by hand and from scratch in NumPy.

Reference implementations live here (trusted side); probe code runs in the student's kernel.
Numbers from NumPy (``np.float64``) are turned into Python floats inside the probes, so a
student may answer with either.
"""
import numpy as np

from ..checks import Assignment, Task, call, probe
from ..wire import Like

# ------------------------------------------------------------------ probe-side helpers

# Prepended to probes that return numbers: NumPy scalars (np.float64, np.bool_, ...) and 0-d
# arrays become Python numbers, which is how the comparison code expects plain answers.
PLAIN = '''
import numpy as np
def _g_plain(v):
    if isinstance(v, np.generic) and v.dtype.kind in "biuf":
        return v.item()
    if type(v) is np.ndarray and v.ndim == 0 and v.dtype.kind in "biuf":
        return v.item()
    if type(v) is dict:
        return {k: _g_plain(x) for k, x in v.items()}
    if type(v) in (list, tuple):
        return type(v)(_g_plain(x) for x in v)
    return v

def _g_list(v):
    """A 1-D array where a list was asked for is accepted as that list."""
    if type(v) is np.ndarray and v.ndim == 1:
        v = list(v)
    return _g_plain(v)
'''

# A small, correct layer library. It is exec'd here (to compute expected values) and shipped
# inside the probe code of the `Net` and `fit` checks, whose task cells must not depend on the
# student's own layers (every task cell is graded on its own).
REF_LAYERS = '''
import numpy as np

class _GLinear:
    def __init__(self, W, b):
        self.W, self.b = np.array(W, dtype=float), np.array(b, dtype=float)
    def forward(self, x):
        return x @ self.W + self.b
    def backward(self, x, dy):
        self.dW = x.T @ dy
        self.db = dy.sum(axis=0)
        return dy @ self.W.T
    def step(self, lr):
        self.W = self.W - lr * self.dW
        self.b = self.b - lr * self.db

class _GReLU:
    def forward(self, x):
        return np.maximum(x, 0.0)
    def backward(self, x, dy):
        return dy * (x > 0)
    def step(self, lr):
        pass

class _GSigmoid:
    def forward(self, x):
        return 1.0 / (1.0 + np.exp(-x))
    def backward(self, x, dy):
        s = 1.0 / (1.0 + np.exp(-x))
        return dy * s * (1.0 - s)
    def step(self, lr):
        pass

class _GNet:
    def __init__(self, layers):
        self.layers = layers
    def forward(self, x):
        trace = []
        for layer in self.layers:
            trace.append(x)
            x = layer.forward(x)
        return x, trace
    def backward(self, trace, dy):
        for layer, x in zip(self.layers[::-1], trace[::-1]):
            dy = layer.backward(x, dy)
        return dy
    def step(self, lr):
        for layer in self.layers:
            layer.step(lr)

def _g_mlp(params):
    """Linear-ReLU-Linear-Sigmoid from params = [W1, b1, W2, b2]."""
    W1, b1, W2, b2 = params
    return _GNet([_GLinear(W1, b1), _GReLU(), _GLinear(W2, b2), _GSigmoid()])

def _g_bce(p, y):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))

def _g_acc(p, y):
    return float(np.mean((p >= 0.5) == (y >= 0.5)))
'''

_REF = {}
exec(REF_LAYERS, _REF)


# ------------------------------------------------------------------ reference solutions

def ref_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def ref_sigmoid_grad(x):
    s = ref_sigmoid(x)
    return s * (1.0 - s)


def ref_relu(x):
    return np.maximum(x, 0.0)


def ref_relu_grad(x):
    return (x > 0).astype(float)


def ref_bce_loss(y_hat, y):
    p = np.clip(y_hat, 1e-12, 1 - 1e-12)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def ref_bce_loss_grad(y_hat, y):
    p = np.clip(y_hat, 1e-12, 1 - 1e-12)
    return (p - y) / (p * (1 - p))


def ref_numerical_gradient(f, x, eps=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        f_plus = f(x)
        x[idx] = old - eps
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def ref_rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


# Task 2.1: the 2-3-1 ReLU network
def ref_by_hand():
    x1, x2, y = 1.0, 2.0, 1.0
    w31, w32, w41, w42, w51, w52 = -0.1, 0.5, 1.0, -1.0, 0.0, -2.0
    w63, w64, w65 = 1.0, 0.5, -1.0
    s3, s4, s5 = w31 * x1 + w32 * x2, w41 * x1 + w42 * x2, w51 * x1 + w52 * x2
    a3, a4, a5 = max(s3, 0.0), max(s4, 0.0), max(s5, 0.0)
    s6 = w63 * a3 + w64 * a4 + w65 * a5
    y_hat = s6
    delta6 = y_hat - y
    delta3 = delta6 * w63 * float(s3 > 0)
    delta4 = delta6 * w64 * float(s4 > 0)
    delta5 = delta6 * w65 * float(s5 > 0)
    return dict(s3=s3, s4=s4, s5=s5, a3=a3, a4=a4, a5=a5, s6=s6, y_hat=y_hat, delta6=delta6,
                delta3=delta3, delta4=delta4, delta5=delta5, dL_dw32=delta3 * x2)


# Task 2.2: the tiny sigmoid network
TINY_W0 = {"w1": 0.7, "w2": 1.3, "w3": 1.5, "w4": 0.1, "w5": 0.0, "w6": 0.0,
           "w7": 0.7, "w8": 0.8, "w9": 0.0}


def ref_tiny_loss_and_grads(w):
    x1 = x2 = b1 = b2 = 1.0
    h1 = ref_sigmoid(x1 * w["w1"] + x2 * w["w3"] + b1 * w["w5"])
    h2 = ref_sigmoid(x1 * w["w2"] + x2 * w["w4"] + b1 * w["w6"])
    err = h1 * w["w7"] + h2 * w["w8"] + b2 * w["w9"] - 1.0
    d1 = err * w["w7"] * h1 * (1 - h1)
    d2 = err * w["w8"] * h2 * (1 - h2)
    grads = {"w1": d1 * x1, "w2": d2 * x1, "w3": d1 * x2, "w4": d2 * x2, "w5": d1 * b1,
             "w6": d2 * b1, "w7": err * h1, "w8": err * h2, "w9": err * b2}
    return 0.5 * err ** 2, {k: float(v) for k, v in grads.items()}


def ref_train_tiny_net(eta, steps):
    w, losses = dict(TINY_W0), []
    for _ in range(steps):
        loss, grads = ref_tiny_loss_and_grads(w)
        losses.append(float(loss))
        w = {k: w[k] - eta * grads[k] for k in w}
    return losses


# Task 2.3: one mini-batch step of a 2-4-1 network
def ref_minibatch_step(W1, b1, W2, b2, X, Y, lr):
    n = X.shape[0]
    Z1 = X @ W1.T + b1
    A1 = np.maximum(Z1, 0.0)
    y_hat = (A1 @ W2.T).ravel() + b2
    e = y_hat - Y                                  # dL/dy_hat per sample, L = 1/2 (y_hat - y)^2
    dW2 = e[None, :] @ A1 / n
    db2 = e.mean()
    dZ1 = (e[:, None] @ W2) * (Z1 > 0)
    dW1 = dZ1.T @ X / n
    db1 = dZ1.mean(axis=0)
    return {"Z1": Z1, "A1": A1, "y_hat": y_hat, "W1": W1 - lr * dW1, "b1": b1 - lr * db1,
            "W2": W2 - lr * dW2, "b2": float(b2 - lr * db2)}


MB_EXAMPLE = {
    "W1": np.array([[1.0, 2.0], [0.0, -1.0], [-1.0, -3.0], [-2.0, 2.0]]),
    "b1": np.array([-2.0, 2.0, 0.0, -2.0]),
    "W2": np.array([[1.0, 0.0, -1.0, 2.0]]),
    "b2": -2.0,
    "X": np.array([[-1.0, 1.0], [2.0, -1.0]]),
    "Y": np.array([1.0, -1.0]),
    "lr": 0.5,
}


# Task 2.6: layers
def ref_xavier_limit(n_in, n_out):
    return float(np.sqrt(6.0 / (n_in + n_out)))


# Task 2.8: training loop
def ref_fit(net, x, y, epochs, lr, mb_size, x_test=None, y_test=None, seed=0):
    rng = np.random.default_rng(seed)
    history = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    n = x.shape[0]
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, mb_size):
            idx = order[start:start + mb_size]
            p, trace = net.forward(x[idx])
            p_safe = np.clip(p, 1e-12, 1 - 1e-12)
            dy = (p_safe - y[idx]) / (p_safe * (1 - p_safe)) / len(idx)
            net.backward(trace, dy)
            net.step(lr)
        for part, (xs, ys) in (("train", (x, y)), ("test", (x_test, y_test))):
            if xs is None:
                continue
            p, _ = net.forward(xs)
            history[part + "_loss"].append(_REF["_g_bce"](p, ys))
            history[part + "_acc"].append(_REF["_g_acc"](p, ys))
    return history


# ------------------------------------------------------------------ task 2.1

BY_HAND = ref_by_hand()
BY_HAND_POINTS = {"s3": 0.5, "s4": 0.5, "s5": 0.5, "a3": 0.5, "a4": 0.5, "a5": 0.5, "s6": 0.5,
                  "y_hat": 0.5, "delta6": 1.0, "delta3": 1.5, "delta4": 0.75, "delta5": 0.75,
                  "dL_dw32": 2.0}


def _number_probe(name):
    return PLAIN + f"OUT = {{'value': _g_plain({name})}}"


def _number(name, points, label=None):
    return probe(label or f"`{name}`", _number_probe(name), expected={"value": BY_HAND[name]},
                 points=points)


_FORMAT_1 = PLAIN + "OUT = {k: _g_plain(v) for k, v in [%s]}" % ", ".join(
    f"('{k}', {k})" for k in BY_HAND)

task_1 = Task("task_2_1", "A 2-3-1 ReLU network by hand", [
    probe("your answers", _FORMAT_1, points=0, public=True,
          requires={k: Like("float") for k in BY_HAND}),
    *[_number(k, p) for k, p in BY_HAND_POINTS.items()],
])


# ------------------------------------------------------------------ task 2.2

_TINY0_LOSS, _TINY0_GRADS = ref_tiny_loss_and_grads(TINY_W0)
_OUTER = ("w7", "w8", "w9")
_INNER = ("w1", "w2", "w3", "w4", "w5", "w6")


def _grads_probe(keys):
    return PLAIN + (f"_g = _g_plain(tiny_grads)\n"
                    f"OUT = {{'value': {{k: _g[k] for k in {keys!r}}} if type(_g) is dict "
                    f"and all(k in _g for k in {keys!r}) else _g}}")


# Only data leaves the kernel; whether it is a list of three numbers is judged here (a verdict
# computed in the kernel could be flipped by a patched len() or type()).
_TRAIN_FORMAT = PLAIN + "OUT = {'value': _g_list(train_tiny_net(0.1, 3))}"

task_2 = Task("task_2_2", "A tiny sigmoid network", [
    probe("`train_tiny_net(0.1, 3)`", _TRAIN_FORMAT, points=0.5, public=True,
          expected={"value": [Like("float")] * 3}, verb="gives"),
    probe("`tiny_loss0`", _number_probe("tiny_loss0"), expected={"value": float(_TINY0_LOSS)},
          points=2),
    probe("`tiny_grads` for the output weights w7, w8, w9", _grads_probe(_OUTER),
          expected={"value": {k: _TINY0_GRADS[k] for k in _OUTER}}, points=2,
          subject="`tiny_grads`"),
    probe("`tiny_grads` for the hidden weights w1 to w6", _grads_probe(_INNER),
          expected={"value": {k: _TINY0_GRADS[k] for k in _INNER}}, points=3,
          subject="`tiny_grads`"),
    probe("`train_tiny_net(0.2, 6)`", PLAIN + "OUT = {'value': _g_list(train_tiny_net(0.2, 6))}",
          expected={"value": ref_train_tiny_net(0.2, 6)}, points=2, verb="returned"),
    probe("`train_tiny_net` with a large learning rate",
          PLAIN + "OUT = {'value': _g_list(train_tiny_net(1.0, 12))}",
          expected={"value": ref_train_tiny_net(1.0, 12)}, points=2.5, verb="returned",
          subject="`train_tiny_net(1.0, 12)`"),
])


# ------------------------------------------------------------------ task 2.3

_MB_CALL = PLAIN + """
_r = minibatch_step(I['W1'], I['b1'], I['W2'], I['b2'], I['X'], I['Y'], I['lr'])
if type(_r) is dict and 'b2' in _r and np.size(_r['b2']) == 1:
    _r = dict(_r, b2=float(np.asarray(_r['b2']).reshape(-1)[0]))
OUT = {k: _r[k] for k in KEYS if k in _r} if type(_r) is dict else {k: _r for k in KEYS}
"""


def _mb_probe(keys):
    return f"KEYS = {tuple(keys)!r}\n" + _MB_CALL


def _mb_ref(keys):
    def ref(**inputs):
        full = ref_minibatch_step(**inputs)
        return {k: full[k] for k in keys}
    return ref


def _mb_inputs(rng):
    n, d, h = 6, 3, 5
    return {"W1": rng.normal(size=(h, d)), "b1": rng.normal(size=h) * 0.5,
            "W2": rng.normal(size=(1, h)), "b2": float(rng.normal()),
            "X": rng.normal(size=(n, d)), "Y": rng.normal(size=n), "lr": 0.1}


_MB_ALL = ("Z1", "A1", "y_hat", "W1", "b1", "W2", "b2")

task_3 = Task("task_2_3", "One mini-batch step", [
    probe("`minibatch_step` on the worked example", _mb_probe(_MB_ALL), inputs=MB_EXAMPLE,
          ref=_mb_ref(_MB_ALL), points=2, public=True, verb="returned"),
    probe("`minibatch_step` forward values on a hidden batch", _mb_probe(("Z1", "A1", "y_hat")),
          inputs=_mb_inputs, ref=_mb_ref(("Z1", "A1", "y_hat")), points=3, verb="returned",
          subject="`minibatch_step`"),
    probe("`minibatch_step` updated output layer on a hidden batch", _mb_probe(("W2", "b2")),
          inputs=_mb_inputs, ref=_mb_ref(("W2", "b2")), points=3, verb="returned",
          subject="`minibatch_step`"),
    probe("`minibatch_step` updated hidden layer on a hidden batch", _mb_probe(("W1", "b1")),
          inputs=_mb_inputs, ref=_mb_ref(("W1", "b1")), points=4, verb="returned",
          subject="`minibatch_step`"),
])


# ------------------------------------------------------------------ task 2.4

_NG_PROBE = """
import numpy as np
_A = I['A']
def _f(x):
    return float(np.sum(_A * x ** 3) + np.sum(np.sin(3.0 * x)))
_x = I['x'].copy()
OUT = {'value': numerical_gradient(_f, _x, **I['kw'])}
"""


def _ng_ref(A, x, kw):
    def f(v):
        return float(np.sum(A * v ** 3) + np.sum(np.sin(3.0 * v)))
    return {"value": ref_numerical_gradient(f, x, **kw)}


def _ng_inputs(shape, kw):
    def inputs(rng):
        return {"A": rng.normal(size=shape), "x": rng.uniform(-1.5, 1.5, size=shape), "kw": kw}
    return inputs


_NG_UNCHANGED = """
import numpy as np
_x = I['x'].copy()
numerical_gradient(lambda v: float(np.sum(np.cos(v) * v)), _x)
OUT = {'value': _x}
"""

_NG_PUBLIC = """
import numpy as np
OUT = {'value': numerical_gradient(lambda v: float(np.sum(v ** 3)), np.array([1.0, -2.0, 3.0]),
                                   eps=0.5)}
"""

task_4 = Task("task_2_4", "Numerical gradients and relative error", [
    probe("`numerical_gradient` of sum(x**3) at x = [1, -2, 3] with eps=0.5", _NG_PUBLIC,
          expected={"value": ref_numerical_gradient(lambda v: float(np.sum(v ** 3)),
                                                    np.array([1.0, -2.0, 3.0]), eps=0.5)},
          points=1, public=True, verb="returned"),
    probe("`numerical_gradient` on a hidden 2-D input", _NG_PROBE,
          inputs=_ng_inputs((3, 4), {}), ref=_ng_ref, points=2, verb="returned",
          subject="`numerical_gradient`"),
    probe("`numerical_gradient` on a hidden 3-D input with eps=1e-2", _NG_PROBE,
          inputs=_ng_inputs((2, 3, 2), {"eps": 1e-2}), ref=_ng_ref, points=2, verb="returned",
          subject="`numerical_gradient(f, x, eps=1e-2)`"),
    probe("`numerical_gradient` leaves its input x unchanged", _NG_UNCHANGED,
          inputs=lambda rng: {"x": rng.normal(size=(2, 3))},
          ref=lambda x: {"value": x.copy()}, points=1, subject="x after the call"),
    probe("`rel_error(np.array([3.0, 4.0]), np.array([3.0, 2.0]))`",
          PLAIN + "OUT = {'value': _g_plain(rel_error(np.array([3.0, 4.0]), "
                  "np.array([3.0, 2.0])))}",
          expected={"value": ref_rel_error(np.array([3.0, 4.0]), np.array([3.0, 2.0]))},
          points=1, public=True, verb="returned"),
    probe("`rel_error` on hidden inputs",
          PLAIN + "OUT = {'value': _g_plain(rel_error(I['a'], I['b']))}",
          inputs=lambda rng: {"a": rng.normal(size=(3, 5)), "b": rng.normal(size=(3, 5)) * 0.3},
          ref=lambda a, b: {"value": ref_rel_error(a, b)}, points=2, verb="returned"),
    probe("`rel_error` of two zero arrays",
          PLAIN + "OUT = {'value': _g_plain(rel_error(np.zeros((2, 2)), np.zeros((2, 2))))}",
          expected={"value": 0.0}, points=1, verb="returned"),
])


# ------------------------------------------------------------------ task 2.5

def _random(shape, scale):
    return lambda rng: (rng.normal(size=shape) * scale,)


def _bce_inputs(rng):
    y_hat = rng.uniform(0.02, 0.98, size=(4, 3))
    y = (rng.random(size=(4, 3)) < 0.5).astype(float)
    y[0] = rng.uniform(0, 1, size=3)          # soft targets are allowed as well
    return (y_hat, y)


_EDGE = "OUT = {'value': %s(np.array([0.0, 1.0, 0.0, 1.0]), np.array([0.0, 0.0, 1.0, 1.0]))}"


def _bce_safe(out, inputs, expected):
    v = out.get("value")
    if not isinstance(v, np.ndarray) or v.shape != (4,):
        return ["`bce_loss` at y_hat = 0 and 1 should return an array of shape (4,)"]
    if not np.all(np.isfinite(v)):
        return ["`bce_loss` returned nan or inf when y_hat is exactly 0 or 1: clip y_hat first"]
    if abs(v[0]) > 1e-6 or abs(v[3]) > 1e-6 or v[1] < 10 or v[2] < 10:
        return ["`bce_loss` gives wrong values when y_hat is exactly 0 or 1 (right answers "
                "should cost about 0, confidently wrong ones a large finite amount)"]
    return []


def _bce_grad_safe(out, inputs, expected):
    v = out.get("value")
    if not isinstance(v, np.ndarray) or v.shape != (4,):
        return ["`bce_loss_grad` at y_hat = 0 and 1 should return an array of shape (4,)"]
    if not np.all(np.isfinite(v)):
        return ["`bce_loss_grad` returned nan or inf when y_hat is exactly 0 or 1: "
                "clip y_hat first"]
    if abs(v[0] - 1) > 1e-3 or abs(v[3] + 1) > 1e-3 or v[1] < 10 or v[2] > -10:
        return ["`bce_loss_grad` gives wrong values when y_hat is exactly 0 or 1"]
    return []


task_5 = Task("task_2_5", "Activations and the binary cross-entropy", [
    call("sigmoid", (np.array([0.0, 2.0]),), ref=ref_sigmoid, points=0.5, public=True),
    call("sigmoid", _random((5, 4), 4.0), ref=ref_sigmoid, points=1.5),
    call("sigmoid_grad", (np.array([0.0, 2.0]),), ref=ref_sigmoid_grad, points=0.5, public=True),
    call("sigmoid_grad", _random((3, 2, 4), 3.0), ref=ref_sigmoid_grad, points=1.5),
    call("relu", (np.array([-1.5, 2.0]),), ref=ref_relu, points=0.5, public=True),
    call("relu", _random((6, 3), 1.0), ref=ref_relu, points=1.5),
    call("relu_grad", (np.array([-1.5, 2.0]),), ref=ref_relu_grad, points=0.5, public=True),
    call("relu_grad", _random((2, 7), 1.0), ref=ref_relu_grad, points=1.5),
    call("bce_loss", (np.array([0.9, 0.2]), np.array([1.0, 0.0])), ref=ref_bce_loss,
         points=0.5, public=True),
    call("bce_loss", _bce_inputs, ref=ref_bce_loss, points=1),
    probe("`bce_loss` at y_hat = 0 and y_hat = 1", "import numpy as np\n" + _EDGE % "bce_loss",
          verify=_bce_safe, points=0.5),
    call("bce_loss_grad", (np.array([0.9, 0.2]), np.array([1.0, 0.0])), ref=ref_bce_loss_grad,
         points=0.5, public=True),
    call("bce_loss_grad", _bce_inputs, ref=ref_bce_loss_grad, points=1),
    probe("`bce_loss_grad` at y_hat = 0 and y_hat = 1",
          "import numpy as np\n" + _EDGE % "bce_loss_grad", verify=_bce_grad_safe, points=0.5),
])


# ------------------------------------------------------------------ task 2.6

_LIN_PUBLIC = """
import numpy as np
_layer = Linear(3, 2, np.random.default_rng(0))
OUT = {'W': _layer.W, 'b': _layer.b, 'y': _layer.forward(np.ones((4, 3)))}
"""

_LIN_INIT = """
import numpy as np
_a = Linear(I['n_in'], I['n_out'], np.random.default_rng(I['seed']))
_b = Linear(I['n_in'], I['n_out'], np.random.default_rng(I['seed']))
_c = Linear(I['n_in'], I['n_out'], np.random.default_rng(I['seed'] + 1))
OUT = {'W': _a.W, 'b': _a.b, 'W same seed': _b.W, 'W other seed': _c.W}
"""


def _init_verify(out, inputs, expected):
    n_in, n_out = inputs["n_in"], inputs["n_out"]
    W, b = out.get("W"), out.get("b")
    if not isinstance(W, np.ndarray) or W.shape != (n_in, n_out):
        return [f"`Linear({n_in}, {n_out}, rng).W` should be an array of shape ({n_in}, {n_out})"]
    if not isinstance(b, np.ndarray) or b.shape != (n_out,) or np.any(b != 0):
        return ["`Linear(...).b` should be zeros of shape (n_out,)"]
    same, other = out.get("W same seed"), out.get("W other seed")
    if not (isinstance(same, np.ndarray) and np.array_equal(W, same)) or \
            isinstance(other, np.ndarray) and np.array_equal(W, other):
        return ["`Linear` should draw W from the generator `rng` it is given (the same seed "
                "must give the same W, another seed another W)"]
    limit = ref_xavier_limit(n_in, n_out)
    if np.max(np.abs(W)) > limit * (1 + 1e-9):
        return ["`Linear(...).W` has values outside the Xavier-uniform range "
                "[-sqrt(6/(n_in+n_out)), sqrt(6/(n_in+n_out))]"]
    if abs(W.std() / (limit / np.sqrt(3)) - 1) > 0.03 or abs(W.mean()) > 0.03 * limit:
        return ["`Linear(...).W` does not look uniform on the Xavier range "
                "[-sqrt(6/(n_in+n_out)), sqrt(6/(n_in+n_out))]"]
    return []


def _lin_inputs(rng):
    n, n_in, n_out = 5, 4, 3
    return {"W": rng.normal(size=(n_in, n_out)), "b": rng.normal(size=n_out),
            "x": rng.normal(size=(n, n_in)), "dy": rng.normal(size=(n, n_out)), "lr": 0.3}


_LIN_SETUP = """
import numpy as np
_layer = Linear(I['W'].shape[0], I['W'].shape[1], np.random.default_rng(0))
_layer.W, _layer.b = I['W'].copy(), I['b'].copy()
_y = _layer.forward(I['x'])
"""


def _lin_ref(W, b, x, dy, lr):
    return {"y": x @ W + b, "dx": dy @ W.T, "dW": x.T @ dy, "db": dy.sum(axis=0),
            "W before step": W, "W": W - lr * (x.T @ dy), "b": b - lr * dy.sum(axis=0)}


def _pick(ref, keys):
    return lambda **inputs: {k: ref(**inputs)[k] for k in keys}


_ACT_PROBE = """
import numpy as np
_layer = %s()
_y = _layer.forward(I['x'])
_dx = _layer.backward(I['x'], I['dy'])
_layer.step(0.1)
OUT = {'y': _y, 'dx': _dx}
"""


def _act_inputs(rng):
    return {"x": rng.normal(size=(4, 3)) * 2, "dy": rng.normal(size=(4, 3))}


task_6 = Task("task_2_6", "Layers: Linear, Sigmoid, ReLU", [
    probe("`Linear(3, 2, rng)` and its forward pass on a (4, 3) batch", _LIN_PUBLIC, points=1,
          public=True, requires={"W": Like("ndarray", shape=(3, 2), dtype="float"),
                                 "b": Like("ndarray", shape=(2,), dtype="float"),
                                 "y": Like("ndarray", shape=(4, 2), dtype="float")}),
    probe("`Linear` initialisation", _LIN_INIT, points=2, verify=_init_verify,
          inputs=lambda rng: {"n_in": 150, "n_out": 250, "seed": int(rng.integers(1000))}),
    probe("`Linear.forward` on a hidden batch", _LIN_SETUP + "OUT = {'y': _y}",
          inputs=_lin_inputs, ref=_pick(_lin_ref, ["y"]), points=1, verb="returned"),
    probe("`Linear.backward` return value (dx)",
          _LIN_SETUP + "OUT = {'dx': _layer.backward(I['x'], I['dy'])}",
          inputs=_lin_inputs, ref=_pick(_lin_ref, ["dx"]), points=1.5, verb="returned"),
    probe("`Linear.backward` stores dW",
          _LIN_SETUP + "_layer.backward(I['x'], I['dy'])\nOUT = {'dW': _layer.dW}",
          inputs=_lin_inputs, ref=_pick(_lin_ref, ["dW"]), points=1.5),
    probe("`Linear.backward` stores db",
          _LIN_SETUP + "_layer.backward(I['x'], I['dy'])\nOUT = {'db': _layer.db}",
          inputs=_lin_inputs, ref=_pick(_lin_ref, ["db"]), points=1.5),
    probe("`Linear.step` after backward",
          _LIN_SETUP + "_layer.backward(I['x'], I['dy'])\n_Wb = np.array(_layer.W, copy=True)\n"
          "_layer.step(I['lr'])\nOUT = {'W before step': _Wb, 'W': _layer.W, 'b': _layer.b}",
          inputs=_lin_inputs, ref=_pick(_lin_ref, ["W before step", "W", "b"]), points=1.5,
          subject="`Linear`", verb="has"),
    probe("`Sigmoid` layer forward and backward", _ACT_PROBE % "Sigmoid", inputs=_act_inputs,
          ref=lambda x, dy: {"y": ref_sigmoid(x), "dx": dy * ref_sigmoid_grad(x)}, points=2,
          verb="returned"),
    probe("`ReLU` layer forward and backward", _ACT_PROBE % "ReLU", inputs=_act_inputs,
          ref=lambda x, dy: {"y": ref_relu(x), "dx": dy * ref_relu_grad(x)}, points=2,
          verb="returned"),
])


# ------------------------------------------------------------------ task 2.7

# Layers used to test `Net` on its own: an affine layer and tanh, both correct.
_NET_SETUP = REF_LAYERS + """
class _GTanh:
    def forward(self, x):
        return np.tanh(x)
    def backward(self, x, dy):
        return dy * (1.0 - np.tanh(x) ** 2)
    def step(self, lr):
        pass

_l1, _l2 = _GLinear(I['W1'], I['b1']), _GLinear(I['W2'], I['b2'])
_net = Net([_l1, _GTanh(), _l2])
_res = _net.forward(I['x'])
"""

_NET_PUBLIC = REF_LAYERS + """
_net = Net([_GLinear(np.ones((3, 2)), np.zeros(2)), _GReLU()])
_res = _net.forward(np.ones((4, 3)))
_ok = type(_res) is tuple and len(_res) == 2
OUT = {'y': _res[0] if _ok else None,
       'trace is a list of 2 arrays': _ok and type(_res[1]) in (list, tuple) and len(_res[1]) == 2
       and all(isinstance(t, np.ndarray) for t in _res[1])}
"""


def _net_inputs(rng):
    n, d, h, k = 4, 3, 5, 2
    return {"W1": rng.normal(size=(d, h)), "b1": rng.normal(size=h), "W2": rng.normal(size=(h, k)),
            "b2": rng.normal(size=k), "x": rng.normal(size=(n, d)), "dy": rng.normal(size=(n, k)),
            "lr": 0.2}


def _net_ref(W1, b1, W2, b2, x, dy, lr):
    z = x @ W1 + b1
    a = np.tanh(z)
    y = a @ W2 + b2
    dW2, db2 = a.T @ dy, dy.sum(axis=0)
    dz = (dy @ W2.T) * (1 - a ** 2)
    dW1, db1 = x.T @ dz, dz.sum(axis=0)
    return {"y": y, "trace": [x, z, a], "dx": dz @ W1.T, "dW1": dW1, "dW2": dW2,
            "W1": W1 - lr * dW1, "b1": b1 - lr * db1, "W2": W2 - lr * dW2, "b2": b2 - lr * db2}


_NET_Y = "OUT = {'y': _res[0] if type(_res) is tuple else _res}"
_NET_TRACE = "OUT = {'trace': list(_res[1]) if type(_res) is tuple and len(_res) == 2 " \
             "and type(_res[1]) in (list, tuple) else _res}"
_NET_BACK = "_dx = _net.backward(_res[1], I['dy'])\nOUT = {'dx': _dx}"
_NET_GRADS = "_net.backward(_res[1], I['dy'])\nOUT = {'dW1': _l1.dW, 'dW2': _l2.dW}"
_NET_STEP = ("_net.backward(_res[1], I['dy'])\n_net.step(I['lr'])\n"
             "OUT = {'W1': _l1.W, 'b1': _l1.b, 'W2': _l2.W, 'b2': _l2.b}")

task_7 = Task("task_2_7", "A network of layers", [
    probe("`Net([Linear, ReLU]).forward` on a (4, 3) batch", _NET_PUBLIC, points=1, public=True,
          expected={"y": np.full((4, 2), 3.0), "trace is a list of 2 arrays": True},
          verb="gives"),
    probe("`Net.forward` output", _NET_SETUP + _NET_Y, inputs=_net_inputs,
          ref=_pick(_net_ref, ["y"]), points=1.5),
    probe("`Net.forward` trace (the input of every layer)", _NET_SETUP + _NET_TRACE,
          inputs=_net_inputs, ref=_pick(_net_ref, ["trace"]), points=1),
    probe("`Net.backward` return value (gradient w.r.t. the network input)",
          _NET_SETUP + _NET_BACK, inputs=_net_inputs, ref=_pick(_net_ref, ["dx"]), points=1.5,
          verb="returned"),
    probe("`Net.backward` gradients stored in the layers", _NET_SETUP + _NET_GRADS,
          inputs=_net_inputs, ref=_pick(_net_ref, ["dW1", "dW2"]), points=1.5),
    probe("`Net.step` parameters after one step", _NET_SETUP + _NET_STEP, inputs=_net_inputs,
          ref=_pick(_net_ref, ["W1", "b1", "W2", "b2"]), points=1.5),
])


# ------------------------------------------------------------------ task 2.8

_FIT_KEYS = ("train_loss", "train_acc", "test_loss", "test_acc")


def _blobs(rng, n):
    """Two overlapping-free Gaussian blobs in 2-D, labels of shape (n, 1)."""
    y = (np.arange(n) % 2).astype(float)
    rng.shuffle(y)
    centers = np.where(y[:, None] == 1, np.array([1.2, -0.8]), np.array([-1.0, 1.0]))
    return centers + 0.6 * rng.normal(size=(n, 2)), y[:, None]


def _mlp_params(rng, d, h):
    return [rng.normal(size=(d, h)) * 0.5, np.zeros(h), rng.normal(size=(h, 1)) * 0.5,
            np.zeros(1)]


def _fit_inputs(n_train, n_test, epochs, lr, mb_size, hidden):
    def inputs(rng):
        x, y = _blobs(rng, n_train + n_test)
        return {"params": _mlp_params(rng, 2, hidden), "x": x[:n_train], "y": y[:n_train],
                "x_test": x[n_train:], "y_test": y[n_train:], "epochs": epochs, "lr": lr,
                "mb_size": mb_size}
    return inputs


_FIT_RUN = REF_LAYERS + PLAIN + """
_net = _g_mlp(I['params'])
_h = fit(_net, I['x'], I['y'], I['epochs'], I['lr'], I['mb_size'],
         x_test=I['x_test'], y_test=I['y_test'])
_h = {k: _g_list(v) for k, v in _h.items()} if type(_h) is dict else _g_plain(_h)
_p_train, _ = _net.forward(I['x'])
_p_test, _ = _net.forward(I['x_test'])
"""

_FIT_PARAMS = _FIT_RUN + """
_lin = [l for l in _net.layers if isinstance(l, _GLinear)]
OUT = {'W1': _lin[0].W, 'b1': _lin[0].b, 'W2': _lin[1].W, 'b2': _lin[1].b}
"""

_FIT_HISTORY = _FIT_RUN + """
OUT = {'history': {k: list(_h[k]) for k in %r if k in _h} if type(_h) is dict else _h}
""" % (_FIT_KEYS,)

_FIT_LEARNS = _FIT_RUN + """
OUT = {'history': _h, 'train_loss': _g_bce(_p_train, I['y']),
       'test_loss': _g_bce(_p_test, I['y_test']),
       'test_acc': _g_acc(_p_test, I['y_test'])}
"""

_FIT_PUBLIC = _FIT_RUN + """
OUT = {'a dict': type(_h) is dict,
       'keys': sorted(_h) if type(_h) is dict else None,
       'lengths': [len(_h[k]) if type(_h) is dict and k in _h and type(_h[k]) in (list, tuple)
                   else -1 for k in %r]}
""" % (_FIT_KEYS,)


def _fit_run_ref(params, x, y, x_test, y_test, epochs, lr, mb_size):
    net = _REF["_g_mlp"](params)
    history = ref_fit(net, x, y, epochs, lr, mb_size, x_test=x_test, y_test=y_test)
    lin = [layer for layer in net.layers if isinstance(layer, _REF["_GLinear"])]
    return net, history, lin


def _fit_params_ref(**inputs):
    _, _, lin = _fit_run_ref(**inputs)
    return {"W1": lin[0].W, "b1": lin[0].b, "W2": lin[1].W, "b2": lin[1].b}


def _fit_history_ref(**inputs):
    _, history, _ = _fit_run_ref(**inputs)
    return {"history": history}


def _fit_learns(out, inputs, expected):
    h = out.get("history")
    if type(h) is not dict or any(type(h.get(k)) not in (list, tuple) for k in _FIT_KEYS):
        return ["`fit` should return a dict with the lists " + ", ".join(_FIT_KEYS)]
    if any(len(h[k]) != inputs["epochs"] for k in _FIT_KEYS):
        return ["`fit` should record one value per epoch in each list of its history"]
    try:
        loss = [float(v) for v in h["train_loss"]]
        last = {k: float(h[k][-1]) for k in ("test_loss", "test_acc")}
    except (TypeError, ValueError):
        return ["`fit` history should hold numbers"]
    if not np.isclose(loss[-1], out["train_loss"], rtol=1e-6) or not np.isclose(
            last["test_loss"], out["test_loss"], rtol=1e-6) or not np.isclose(
            last["test_acc"], out["test_acc"], rtol=1e-6):
        return ["the losses and accuracies `fit` reports after the last epoch do not match "
                "those of the trained network"]
    if not loss[-1] < 0.5 * loss[0]:
        return ["the training loss did not go down enough on a small, easy problem"]
    if out["test_acc"] < 0.9:
        return [f"the trained network reached only {out['test_acc']:.0%} test accuracy on a "
                f"small, easy problem (at least 90% expected)"]
    return []


# A network that does not learn and records what `fit` does with it.
_FIT_SPY = PLAIN + """
class _GSpyNet:
    def __init__(self):
        self.w = np.array([[0.3], [-0.2], [0.1]])
        self.calls = []
    def forward(self, x):
        return 1.0 / (1.0 + np.exp(-(x @ self.w))), [x]
    def backward(self, trace, dy):
        self.calls.append(('backward', [int(round(v)) for v in trace[0][:, 0]]))
        return dy @ self.w.T
    def step(self, lr):
        self.calls.append(('step', float(lr)))

_x = np.column_stack([np.arange(I['n']), I['noise']])
_net = _GSpyNet()
fit(_net, _x, I['y'], I['epochs'], I['lr'], I['mb_size'])
OUT = {'calls': _net.calls}
"""


def _spy_inputs(rng):
    n = 23
    return {"n": n, "noise": rng.normal(size=(n, 2)), "y": (rng.random((n, 1)) < 0.5) * 1.0,
            "epochs": 3, "lr": 0.05, "mb_size": 5}


def _spy_verify(out, inputs, expected):
    calls, n, mb = out.get("calls"), inputs["n"], inputs["mb_size"]
    if type(calls) is not list:
        return ["`fit` could not be followed through its calls to net.backward and net.step"]
    kinds = [c[0] for c in calls]
    if kinds != ["backward", "step"] * (len(kinds) // 2) or len(kinds) % 2:
        return ["`fit` should call net.backward and then net.step once per mini-batch"]
    if any(c[1] != inputs["lr"] for c in calls if c[0] == "step"):
        return ["`fit` should pass its learning rate `lr` to net.step"]
    batches = [c[1] for c in calls if c[0] == "backward"]
    per_epoch = -(-n // mb)
    if len(batches) != per_epoch * inputs["epochs"]:
        return [f"with {n} samples and mb_size={mb}, each epoch should make {per_epoch} updates "
                f"(the last mini-batch may be smaller); `fit` made {len(batches)} updates in "
                f"{inputs['epochs']} epochs"]
    for e in range(inputs["epochs"]):
        epoch = batches[e * per_epoch:(e + 1) * per_epoch]
        if any(len(b) != mb for b in epoch[:-1]) or not 0 < len(epoch[-1]) <= mb:
            return [f"`fit` should use mini-batches of mb_size={mb} samples (only the last one "
                    f"of an epoch may be smaller)"]
        if sorted(i for b in epoch for i in b) != list(range(n)):
            return ["in every epoch, `fit` should use each training sample exactly once"]
    return []


task_8 = Task("task_2_8", "Training with mini-batches", [
    probe("`fit` history (a dict of four lists, one value per epoch)", _FIT_PUBLIC,
          inputs={"params": [np.full((2, 3), 0.1), np.zeros(3), np.full((3, 1), 0.1), np.zeros(1)],
                  "x": np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]),
                  "y": np.array([[1.0], [1.0], [0.0], [0.0]]),
                  "x_test": np.array([[0.5, 0.5], [0.2, 0.9]]), "y_test": np.array([[1.0], [0.0]]),
                  "epochs": 2, "lr": 0.1, "mb_size": 2},
          expected={"a dict": True, "keys": sorted(_FIT_KEYS), "lengths": [2, 2, 2, 2]},
          points=1, public=True, verb="gives"),
    probe("`fit` parameters after full-batch training (mb_size = number of samples)",
          _FIT_PARAMS, inputs=_fit_inputs(12, 6, 3, 0.5, 12, 4), ref=_fit_params_ref, points=4,
          subject="the network trained by `fit`", verb="has"),
    probe("`fit` history after full-batch training", _FIT_HISTORY,
          inputs=_fit_inputs(12, 6, 3, 0.5, 12, 4), ref=_fit_history_ref, points=3,
          subject="the history from `fit`", verb="has"),
    probe("`fit` mini-batches and updates", _FIT_SPY, inputs=_spy_inputs, verify=_spy_verify,
          points=3),
    probe("`fit` trains a small network on a hidden problem", _FIT_LEARNS,
          inputs=_fit_inputs(48, 40, 15, 0.5, 8, 6), verify=_fit_learns, points=3),
])


# ------------------------------------------------------------------ task 2.9

TRUE_FALSE = {
    "tf_zero_init": False,
    "tf_linear_stack": False,
    "tf_minibatch": True,
    "tf_smaller_eps": False,
}



def _true_false(name, answer, points):
    """Like ``boolean``, but a NumPy bool (e.g. from a comparison) counts as True/False too."""
    return probe(f"`{name}`", PLAIN + f"OUT = {{'value': _g_plain({name})}}",
                 expected={"value": bool(answer)}, points=points, negative=True)


task_9 = Task("task_2_9", "True or false?",
              [_true_false(name, answer, 2) for name, answer in TRUE_FALSE.items()])


SPEC = Assignment(
    number=2, slug="backprop", topic="Backpropagation",
    title="Backpropagation by hand and from scratch in NumPy",
    tasks=[task_1, task_2, task_3, task_4, task_5, task_6, task_7, task_8, task_9],
    preload=("numpy", "matplotlib", "scipy.optimize", "sklearn.datasets"), cell_timeout=10.0)

assert SPEC.points == 100, SPEC.points
