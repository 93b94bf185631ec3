"""Assignment 2, trusted side: reference implementations, input makers and judges.

Nothing in this module is sent to the student's kernel. Input makers draw a check's inputs
from the seeded generator the grader gives them; references (``ref_*``) return the expected
observations; judges (``judge_*``, used as ``verify``) read what a probe returned and say what
is wrong in words the student can act on, never with an expected value or the size of an
error. Where a check judges behaviour (``Net`` with scripted layers, ``fit`` with a spy
network), the judge replays the recorded calls and recomputes every number the statement
defines. The references of Tasks 2.9 and 2.11 are PyTorch's own functions, ``nn.BatchNorm1d``
and autograd (float64), imported here only, on the trusted side.
"""
import math

import numpy as np

from ...compare import describe, plain_numbers, plain_scalar, problems

CLIP = 1e-12          # the statement's clipping of probabilities: [1e-12, 1 - 1e-12]


def pick(ref, *keys):
    """A reference that keeps only ``keys`` of what ``ref`` returns."""
    return lambda **inputs: {k: v for k, v in ref(**inputs).items() if k in keys}


def only(maker, *keys):
    """An input maker that keeps only ``keys`` of what ``maker`` draws (the same draws)."""
    return lambda rng: {k: v for k, v in maker(rng).items() if k in keys}


def _wrong(value, want, subject):
    """Problems of a hidden value, named ``subject``; nothing about ``want`` is revealed."""
    return problems(value, want, subject, reveal=False)


# ------------------------------------------------------------------ element-wise (task 2.5)

def ref_sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-x)); x of any shape, result of the same shape."""
    return 1.0 / (1.0 + np.exp(-x))


def ref_sigmoid_grad(x: np.ndarray) -> np.ndarray:
    """sigma'(x) = sigma(x) (1 - sigma(x)) at the sigmoid's input x (any shape)."""
    s = ref_sigmoid(x)
    return s * (1.0 - s)


def ref_relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0), element-wise."""
    return np.maximum(x, 0.0)


def ref_relu_grad(x: np.ndarray) -> np.ndarray:
    """1.0 where x > 0, 0.0 elsewhere: the statement fixes 0 at x = 0."""
    return (x > 0).astype(float)


def ref_bce_loss(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Element-wise binary cross-entropy of predictions y_hat (clipped) and targets y in
    [0, 1], both of the same shape; no averaging."""
    p = np.clip(y_hat, CLIP, 1 - CLIP)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def ref_bce_loss_grad(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d bce_loss / d y_hat, element-wise, with the same clipping: (p - y) / (p (1 - p))."""
    p = np.clip(y_hat, CLIP, 1 - CLIP)
    return (p - y) / (p * (1 - p))


def normal(shape, scale=1.0):
    """Arguments ``(x,)`` for a hidden call: x normal of the given shape and scale."""
    return lambda rng: (rng.normal(size=shape) * scale,)


def normal_with_zeros(shape):
    """Like ``normal``, with three entries exactly 0 (the boundary of ReLU's derivative)."""
    def args(rng):
        x = rng.normal(size=shape)
        x.flat[rng.choice(x.size, 3, replace=False)] = 0.0
        return (x,)
    return args


def bce_args(rng):
    """(y_hat, y) for a hidden BCE call: hard targets, and one row of soft ones."""
    y_hat = rng.uniform(0.02, 0.98, size=(4, 3))
    y = (rng.random(size=(4, 3)) < 0.5).astype(float)
    y[0] = rng.uniform(0, 1, size=3)
    return (y_hat, y)


# y_hat exactly 0 or 1, each with both targets: only clipping keeps these finite.
BCE_EDGE = [np.array([0.0, 1.0, 0.0, 1.0]), np.array([0.0, 0.0, 1.0, 1.0])]


def _edge_values(out, name):
    value = out.get("value")
    if not isinstance(value, np.ndarray) or value.shape != (4,):
        return None, [f"`{name}` at y_hat = 0 and 1 should return an array of shape (4,), "
                      f"like its inputs; it returned {describe(value)}"]
    if not np.all(np.isfinite(value)):
        return None, [f"`{name}` returned nan or inf where y_hat is exactly 0 or 1: clip y_hat "
                      "to [1e-12, 1 - 1e-12] first"]
    return value, []


def judge_bce_edge(out, inputs, expected):
    """Right predictions cost about 0, confident mistakes a large but finite amount."""
    value, found = _edge_values(out, "bce_loss")
    if found:
        return found
    if abs(value[0]) > 1e-6 or abs(value[3]) > 1e-6 or value[1] < 10 or value[2] < 10:
        return ["`bce_loss` gives wrong values where y_hat is exactly 0 or 1 (a right answer "
                "should cost about 0, a confidently wrong one a large, finite amount)"]
    return []


def judge_bce_grad_edge(out, inputs, expected):
    """Near +-1 for right predictions, large and of the right sign for confident mistakes."""
    value, found = _edge_values(out, "bce_loss_grad")
    if found:
        return found
    if abs(value[0] - 1) > 1e-3 or abs(value[3] + 1) > 1e-3 or value[1] < 10 or value[2] > -10:
        return ["`bce_loss_grad` gives wrong values where y_hat is exactly 0 or 1"]
    return []


# ------------------------------------------------------------------ task 2.1

def ref_by_hand() -> dict:
    """The 2-3-1 ReLU network of Part 1 at x = (1, 2), y = 1: forward values, error signals
    delta_j = dL/ds_j for L = 1/2 (y - y_hat)^2, and dL/dw32."""
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


BY_HAND = ref_by_hand()


# ------------------------------------------------------------------ task 2.2

TINY_W0 = {"w1": 0.7, "w2": 1.3, "w3": 1.5, "w4": 0.1, "w5": 0.0, "w6": 0.0,
           "w7": 0.7, "w8": 0.8, "w9": 0.0}


def ref_tiny_loss_and_grads(w: dict) -> tuple:
    """Loss 1/2 (y_hat - 1)^2 of the tiny sigmoid network at x1 = x2 = b1 = b2 = 1, and the
    dict of its nine partial derivatives, at the weights ``w`` ("w1" ... "w9")."""
    x1 = x2 = b1 = b2 = 1.0
    h1 = ref_sigmoid(x1 * w["w1"] + x2 * w["w3"] + b1 * w["w5"])
    h2 = ref_sigmoid(x1 * w["w2"] + x2 * w["w4"] + b1 * w["w6"])
    err = h1 * w["w7"] + h2 * w["w8"] + b2 * w["w9"] - 1.0
    d1 = err * w["w7"] * h1 * (1 - h1)
    d2 = err * w["w8"] * h2 * (1 - h2)
    grads = {"w1": d1 * x1, "w2": d2 * x1, "w3": d1 * x2, "w4": d2 * x2, "w5": d1 * b1,
             "w6": d2 * b1, "w7": err * h1, "w8": err * h2, "w9": err * b2}
    return float(0.5 * err ** 2), {k: float(v) for k, v in grads.items()}


def ref_train_tiny_net(eta: float, steps: int) -> list:
    """The loss before each of ``steps`` simultaneous gradient steps from TINY_W0."""
    w, losses = dict(TINY_W0), []
    for _ in range(steps):
        loss, grads = ref_tiny_loss_and_grads(w)
        losses.append(loss)
        w = {k: w[k] - eta * grads[k] for k in w}
    return losses


TINY0_LOSS, TINY0_GRADS = ref_tiny_loss_and_grads(TINY_W0)


def tiny_weights(rng):
    """Arguments ``(w,)``: hidden weights for ``tiny_loss_and_grads``, as a dict of floats."""
    return ({f"w{i}": float(rng.uniform(-1.5, 1.5)) for i in range(1, 10)},)


def _losses(value, want, subject):
    """A list (or 1-D array) of numbers compared with the list ``want``."""
    numbers = plain_numbers(value)
    if numbers is None:
        return [f"{subject} returned {describe(value)}, expected a list of numbers"]
    return problems(numbers, np.array(want), subject, verb="returned", reveal=False)


def judge_losses(out, inputs, expected):
    return _losses(out.get("value"), expected["value"], _call_text(inputs))


def judge_losses_twice(out, inputs, expected):
    """The first call must be right, and a second call must return the same again."""
    subject = _call_text(inputs)
    found = _losses(out.get("first"), expected["value"], subject)
    first, second = plain_numbers(out.get("first")), plain_numbers(out.get("second"))
    if first is not None and (second is None or second.shape != first.shape
                              or not np.allclose(first, second, rtol=1e-12, atol=0)):
        found.append(f"a second call of {subject} returned other losses than the first: every "
                     "call must start from TINY_W0 (copy it; do not change TINY_W0)")
    return found


def _call_text(inputs):
    return f"`{inputs['func']}({', '.join(repr(a) for a in inputs['args'])})`"


# ------------------------------------------------------------------ task 2.3

def ref_minibatch_step(W1, b1, W2, b2, X, Y, lr) -> dict:
    """One gradient step of a D-H-1 network (ReLU hidden layer, linear output) on the mean
    over the batch of 1/2 (y_hat - y)^2.

    W1: (H, D), b1: (H,), W2: (1, H), b2: float, X: (N, D), Y: (N,), lr: float. Returns the
    forward values "Z1", "A1" (N, H), "y_hat" (N,) and the updated "W1", "b1", "W2", "b2".
    """
    n = X.shape[0]
    Z1 = X @ W1.T + b1
    A1 = np.maximum(Z1, 0.0)
    y_hat = (A1 @ W2.T).ravel() + b2
    e = y_hat - Y                                  # dL/dy_hat per sample
    dW2 = e[None, :] @ A1 / n
    db2 = e.mean()
    dZ1 = (e[:, None] @ W2) * (Z1 > 0)             # ReLU derivative 0 at Z1 = 0
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
MB_FORWARD = ("Z1", "A1", "y_hat")
MB_PUBLIC = ("Z1", "A1", "y_hat", "W1", "b1", "W2")   # "b2" is judged by the hidden checks


def minibatch_inputs(rng):
    """A hidden batch with integer-valued W1, b1 and X, so that Z1 is exact in any order of
    summation and has entries exactly 0 (where the ReLU's derivative is 0)."""
    n, d, h = 6, 3, 5
    W1 = rng.integers(-2, 3, size=(h, d)).astype(float)
    X = rng.integers(-2, 3, size=(n, d)).astype(float)
    b1 = rng.integers(-2, 3, size=h).astype(float)
    b1[0] = -(X[0] @ W1[0])                        # Z1[0, 0] == 0
    b1[3] = -(X[2] @ W1[3])                        # Z1[2, 3] == 0
    W2 = rng.normal(size=(1, h))
    W2[0, [0, 3]] = rng.choice([-1.0, 1.0], 2) * rng.uniform(0.5, 1.5, 2)   # the zeros matter
    return {"W1": W1, "b1": b1, "W2": W2, "b2": float(rng.normal()), "X": X,
            "Y": rng.normal(size=n) * 3, "lr": 0.1}


def ref_minibatch(W1, b1, W2, b2, X, Y, lr):
    return {"returned": ref_minibatch_step(W1, b1, W2, b2, X, Y, lr)}


def ref_minibatch_public(**inputs):
    full = ref_minibatch_step(**inputs)
    return {"returned": {k: full[k] for k in MB_PUBLIC}}


def _one_number(value):
    """A number given as a float, a NumPy scalar, or an array holding one number."""
    value = plain_scalar(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return value.reshape(())[()]
    return value


def judge_minibatch(*keys):
    """A judge of the entries ``keys`` of the dict ``minibatch_step`` returned."""
    def verify(out, inputs, expected):
        returned = out.get("returned")
        if not isinstance(returned, dict):
            return [f"`minibatch_step` returned {describe(returned)}, expected a dict"]
        found = []
        for key in keys:
            if key not in returned:
                found.append(f"the dict from `minibatch_step` has no key {key!r}")
                continue
            value = _one_number(returned[key]) if key == "b2" else returned[key]
            found += _wrong(value, expected["returned"][key], f"{key!r} from `minibatch_step`")
        return found
    return verify


def judge_inputs_unchanged(out, inputs, expected):
    changed = [name for name in ("W1", "b1", "W2", "X", "Y")
               if _wrong(out.get(f"{name} after"), inputs[name], name)]
    if changed:
        return [f"`minibatch_step` changed its input {' and '.join(changed)} in place: compute "
                "new arrays (W1 - lr * dW1, ...) and leave the arguments as they were"]
    return []


# ------------------------------------------------------------------ task 2.4

def ref_numerical_gradient(f, x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) at every index i of
    x (any shape); returns a float array shaped like x and leaves x as it was."""
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


def ref_rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / (||a|| + ||b||) with Euclidean norms of the flattened arrays; 0 for zeros."""
    a, b = np.ravel(a).astype(float), np.ravel(b).astype(float)
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def gradient_inputs(shape, axes, kwargs):
    """Inputs of ``numerical_gradient_of``: x of ``shape``, seen through ``np.transpose(x,
    axes)``, and the coefficients A, B (shaped like that view) of the test function."""
    view = tuple(shape[a] for a in axes)

    def inputs(rng):
        return {"A": rng.normal(size=view), "B": rng.normal(size=view),
                "x": rng.uniform(-1.5, 1.5, size=shape), "axes": tuple(axes),
                "kwargs": dict(kwargs)}
    return inputs


def ref_gradient_of(A, B, x, axes, kwargs):
    """What ``numerical_gradient_of`` must observe: the central differences of the probe's
    test function (the same arithmetic, so the same floats), and x unchanged."""
    point = np.transpose(x, axes)

    def cubic_sine(v):
        return np.vdot(A, v ** 3) + np.vdot(B, np.sin(5.0 * v))
    return {"grad": ref_numerical_gradient(cubic_sine, point, **kwargs), "x after": point.copy()}


# ------------------------------------------------------------------ task 2.6

def xavier_limit(n_in: int, n_out: int) -> float:
    """a = sqrt(6 / (n_in + n_out)): Xavier-uniform weights lie in [-a, a]."""
    return float(np.sqrt(6.0 / (n_in + n_out)))


def init_inputs(rng):
    """A large layer (for the statistics of W) made with seeds s, s and another one."""
    seed = int(rng.integers(1000))
    return {"n_in": 150, "n_out": 250, "seeds": [seed, seed, seed + 1]}


def judge_init(out, inputs, expected):
    """W: (n_in, n_out) from the given generator, uniform on [-a, a]; b: zeros."""
    n_in, n_out = inputs["n_in"], inputs["n_out"]
    Ws, bs = out.get("W"), out.get("b")
    if not (isinstance(Ws, list) and isinstance(bs, list) and len(Ws) == len(bs) == 3):
        return ["the layers made by `Linear` could not be read"]
    W, b = Ws[0], bs[0]
    if not isinstance(W, np.ndarray) or W.shape != (n_in, n_out):
        return [f"`Linear({n_in}, {n_out}, rng).W` should be an array of shape ({n_in}, {n_out}),"
                f" it is {describe(W)}"]
    if not isinstance(b, np.ndarray) or b.shape != (n_out,) or np.any(b != 0):
        return ["`Linear(...).b` should be zeros of shape (n_out,)"]
    same, other = Ws[1], Ws[2]
    if not (isinstance(same, np.ndarray) and np.array_equal(W, same)) or \
            isinstance(other, np.ndarray) and np.array_equal(W, other):
        return ["`Linear` should draw W from the generator `rng` it is given (the same seed "
                "must give the same W, another seed another W)"]
    limit = xavier_limit(n_in, n_out)
    if np.max(np.abs(W)) > limit * (1 + 1e-9):
        return ["`Linear(...).W` has values outside the Xavier-uniform range "
                "[-sqrt(6/(n_in+n_out)), sqrt(6/(n_in+n_out))]"]
    if abs(W.std() / (limit / np.sqrt(3)) - 1) > 0.03 or abs(W.mean()) > 0.03 * limit:
        return ["`Linear(...).W` does not look uniform on the Xavier range "
                "[-sqrt(6/(n_in+n_out)), sqrt(6/(n_in+n_out))]"]
    return []


def linear_inputs(rng):
    """A hidden affine layer W (4, 3), b (3,), a batch x (5, 4), dy (5, 3) and a lr."""
    n, n_in, n_out = 5, 4, 3
    return {"W": rng.normal(size=(n_in, n_out)), "b": rng.normal(size=n_out),
            "x": rng.normal(size=(n, n_in)), "dy": rng.normal(size=(n, n_out)), "lr": 0.3}


def ref_linear(W, b, x, dy=None, lr=0.0):
    """y = x W + b; with dy, backward's dx = dy W^T, dW = x^T dy, db = dy summed over the
    batch, and the parameters after one step of lr."""
    out = {"y": x @ W + b}
    if dy is not None:
        dW, db = x.T @ dy, dy.sum(axis=0)
        out.update(dx=dy @ W.T, dW=dW, db=db, W=W - lr * dW, b=b - lr * db)
    return out


def judge_linear_step(out, inputs, expected):
    found = []
    for name in ("W", "b"):
        if _wrong(out.get(f"{name} before step"), inputs[name], name):
            found.append(f"`Linear.backward` changed {name}: backward only stores the gradients,"
                         " step updates the parameters")
    for name in ("W", "b"):
        found += _wrong(out.get(name), expected[name], f"`Linear.{name}` after step")
    return found


def activation_inputs(name):
    def inputs(rng):
        x = rng.normal(size=(4, 3)) * 2
        x[[0, 2, 3], [1, 0, 2]] = 0.0              # the boundary of ReLU's derivative
        return {"name": name, "x": x, "dy": rng.normal(size=(4, 3)), "lr": 0.1}
    return inputs


def ref_activation(name, x, dy, lr):
    f, grad = {"Sigmoid": (ref_sigmoid, ref_sigmoid_grad), "ReLU": (ref_relu, ref_relu_grad)}[name]
    return {"y": f(x), "dx": dy * grad(x)}


# ------------------------------------------------------------------ task 2.7

def _script(rng, shape_in, shape_out, params):
    """One scripted layer: the output its forward returns, the dx its backward returns."""
    return {"output": rng.normal(size=shape_out), "dx": rng.normal(size=shape_in),
            "params": {"W": rng.normal(size=(shape_in[1], shape_out[1])),
                       "b": np.zeros(shape_out[1])} if params else {}}


def net_inputs(rng):
    """Four scripted layers shaped like Linear, activation, Linear, activation on a batch of
    4 (widths 3 -> 5 -> 5 -> 2 -> 2), an input x, a trace and dy for backward, and a lr."""
    widths, with_params = [3, 5, 5, 2, 2], [True, False, True, False]
    layers = [_script(rng, (4, widths[i]), (4, widths[i + 1]), with_params[i]) for i in range(4)]
    return {"layers": layers, "x": rng.normal(size=(4, 3)),
            "trace": [rng.normal(size=(4, w)) for w in widths[:4]],
            "dy": rng.normal(size=(4, 2)), "lr": 0.037}


def _net_public():
    rng = np.random.default_rng(27)
    layers = [_script(rng, (4, 3), (4, 2), True), _script(rng, (4, 2), (4, 2), False)]
    x = np.round(rng.normal(size=(4, 3)), 2)
    for layer in layers:
        layer["output"], layer["dx"] = np.round(layer["output"], 2), np.round(layer["dx"], 2)
    expected = {"returned": (layers[1]["output"], [x, layers[0]["output"]]),
                "log": [("forward", 0, x), ("forward", 1, layers[0]["output"])]}
    return {"layers": layers, "x": x}, expected


NET_PUBLIC, NET_PUBLIC_EXPECTED = _net_public()


def _same(value, want):
    return isinstance(value, np.ndarray) and value.shape == want.shape and \
        np.array_equal(value, want)


def _calls(out, kind, method):
    """The log's entries of ``kind``, or a problem if the method called anything else."""
    log = out.get("log")
    if not isinstance(log, list):
        return None, [f"the layers' calls during `Net.{method}` could not be read"]
    if any(entry[0] != kind for entry in log):
        return None, [f"`Net.{method}` should only call the layers' {kind} methods"]
    return log, []


def _layer_inputs(inputs):
    """What layer i must be given in forward: x, then the previous layer's output."""
    layers = inputs["layers"]
    return [inputs["x"]] + [layer["output"] for layer in layers[:-1]]


def _pair(returned, method, what):
    if not isinstance(returned, (tuple, list)) or len(returned) != 2:
        return [f"`Net.{method}` should return a pair {what}; it returned {describe(returned)}"]
    return []


def _forward_calls(out, inputs):
    log, found = _calls(out, "forward", "forward")
    if found:
        return found
    count = len(inputs["layers"])
    if [entry[1] for entry in log] != list(range(count)):
        return ["`Net.forward` should call the forward method of every layer once, in order "
                "(first layer first)"]
    for i, (entry, want) in enumerate(zip(log, _layer_inputs(inputs))):
        if not _same(entry[2], want):
            return ["the first layer's forward was not given the network's input x" if i == 0
                    else f"the forward of layer {i} (counting from 0) was not given the output "
                         f"of layer {i - 1}"]
    return []


def judge_net_output(out, inputs, expected):
    """The layers run in order, each on the previous output; y is the last one's output."""
    found = _forward_calls(out, inputs) + _pair(out.get("returned"), "forward", "(y, trace)")
    if not found and not _same(out["returned"][0], inputs["layers"][-1]["output"]):
        found.append("the y returned by `Net.forward` is not the output of the last layer")
    return found


def judge_net_trace(out, inputs, expected):
    """trace[i] is the input that layer i was given (the layers must really be called)."""
    found = _pair(out.get("returned"), "forward", "(y, trace)")
    if found:
        return found
    trace, count = out["returned"][1], len(inputs["layers"])
    if not isinstance(trace, (list, tuple)):
        return [f"the trace from `Net.forward` is {describe(trace)}, expected a list"]
    if len(trace) != count:
        return [f"the trace from `Net.forward` should hold the input of each of the {count} "
                f"layers; it has {len(trace)} entries"]
    log = out.get("log") if isinstance(out.get("log"), list) else []
    given = {entry[1]: entry[2] for entry in log if entry[0] == "forward"}
    for i, want in enumerate(_layer_inputs(inputs)):
        if i not in given or not _same(given[i], want):
            return [f"`Net.forward` did not give layer {i} its input, so the trace cannot hold it"]
        if not _same(trace[i], want):
            return [f"trace[{i}] from `Net.forward` is not the input of layer {i}"]
    return []


def _backward_calls(out, inputs):
    log, found = _calls(out, "backward", "backward")
    if found:
        return None, found
    count = len(inputs["layers"])
    if [entry[1] for entry in log] != list(range(count))[::-1]:
        return None, ["`Net.backward` should call the backward method of every layer once, "
                      "last layer first"]
    return log, []


def judge_net_backward_calls(out, inputs, expected):
    """Layer i gets (trace[i], the dx of layer i + 1), the last layer gets dy."""
    log, found = _backward_calls(out, inputs)
    if found:
        return found
    layers, count = inputs["layers"], len(inputs["layers"])
    for entry in log:
        i, x, dy = entry[1], entry[2], entry[3]
        if not _same(x, inputs["trace"][i]):
            return [f"the backward of layer {i} was not given its own input, trace[{i}]"]
        want = inputs["dy"] if i == count - 1 else layers[i + 1]["dx"]
        if not _same(dy, want):
            return ["the last layer's backward was not given dy" if i == count - 1 else
                    f"the backward of layer {i} was not given what the backward of layer "
                    f"{i + 1} returned"]
    return []


def judge_net_backward_return(out, inputs, expected):
    log, found = _backward_calls(out, inputs)
    if found:
        return found
    if not _same(out.get("returned"), inputs["layers"][0]["dx"]):
        return ["`Net.backward` should return what the first layer's backward returned (the "
                "gradient w.r.t. the network's input); it returned "
                + ("None" if out.get("returned") is None else "something else")]
    return []


def judge_net_step(out, inputs, expected):
    """Every layer with parameters stepped once with lr; a parameterless one at most once."""
    log, found = _calls(out, "step", "step")
    if found:
        return found
    for i, layer in enumerate(inputs["layers"]):
        rates = [entry[2] for entry in log if entry[1] == i]
        if layer["params"] and not rates:
            return [f"`Net.step` did not call the step method of layer {i}, which has parameters"]
        if len(rates) > 1:
            return [f"`Net.step` called the step method of layer {i} more than once"]
        if any(not _is_lr(r, inputs["lr"]) for r in rates):
            return [f"`Net.step` passed a learning rate other than lr to layer {i}"]
    return []


def _is_lr(value, lr):
    value = plain_scalar(value)
    return type(value) in (int, float) and math.isclose(value, lr, rel_tol=1e-12)


# ------------------------------------------------------------------ task 2.8

HISTORY_KEYS = ("train_loss", "train_acc", "test_loss", "test_acc")


def mean_bce(p: np.ndarray, y: np.ndarray) -> float:
    """Mean BCE of probabilities p (clipped) for targets y, both (N, 1)."""
    return float(np.mean(ref_bce_loss(p, y)))


def accuracy(p: np.ndarray, y: np.ndarray) -> float:
    """Fraction of samples with (p >= 0.5) == (y == 1); p = 0.5 counts as predicting 1."""
    return float(np.mean((p >= 0.5) == (y == 1)))


def _tables(rng, count, y_all, n):
    """Predictions of the spy network: ``count`` tables (one per number of steps taken) of
    shape (rows, 1), rows 0..n-1 for the training samples, the rest for the test samples.
    In both parts every table has a prediction of exactly 0.5 on a label 1 (which
    ``p >= 0.5`` gets right) and confident predictions of exactly 0 or 1, one wrong and one
    right (which only clipping keeps finite)."""
    rows = y_all.shape[0]
    tables = rng.uniform(0.02, 0.98, size=(count, rows, 1))
    for table in tables:
        for part in (np.arange(n), np.arange(n, rows)):
            half = rng.choice(part[y_all[part, 0] == 1])
            wrong, *right = rng.permutation(part[part != half])[:2]
            table[half, 0] = 0.5
            table[wrong, 0] = 1.0 - y_all[wrong, 0]
            table[right, 0] = y_all[right, 0]
    return tables


def _fit_data(rng, n, m, steps):
    """x with the sample index in column 0 (the spy's key), labels of both classes in both
    parts, and the spy's tables for up to ``steps`` steps."""
    y_all = np.zeros((n + m, 1))
    y_all[:n:2], y_all[n::2] = 1.0, 1.0
    rng.shuffle(y_all[:n])
    rng.shuffle(y_all[n:])
    x_all = np.column_stack([np.arange(n + m, dtype=float), rng.normal(size=(n + m, 2))])
    return x_all[:n], y_all[:n], x_all[n:], y_all[n:], _tables(rng, steps + 1, y_all, n)


def fit_inputs(n, m, epochs, lr, mb_size, test=True):
    """Inputs of ``fit_spy``: n training samples, m test samples (None without test data)."""
    def inputs(rng):
        steps = epochs * -(-n // mb_size)
        x, y, x_test, y_test, tables = _fit_data(rng, n, m, steps)
        return {"x": x, "y": y, "tables": tables, "epochs": epochs, "lr": lr,
                "mb_size": mb_size, "x_test": x_test if test else None,
                "y_test": y_test if test else None, "seed": int(rng.integers(1000))}
    return inputs


def fit_seed_inputs(n, epochs, mb_size):
    """Inputs of ``fit_seeds``: two runs with one seed, one with another."""
    def inputs(rng):
        x, y, _, _, tables = _fit_data(rng, n, 2, epochs * -(-n // mb_size))
        seed = int(rng.integers(1000))
        return {"x": x, "y": y, "tables": tables, "epochs": epochs, "lr": 0.05,
                "mb_size": mb_size, "seeds": [seed, seed, seed + 1]}
    return inputs


def _replay(log, inputs):
    """Follow ``fit``'s calls to the spy network. Returns ``(updates, steps, problem)``:
    one update per ``backward`` call, with the batch of the forward before it (``idx``, the
    step count ``at`` that forward), the ``trace`` and ``dy`` it passed, the learning rates
    of the ``step`` calls that followed it, and the number of steps taken before it."""
    if not isinstance(log, list):
        return None, 0, "the calls of `fit` to the network could not be read"
    x, n = inputs["x"], inputs["x"].shape[0]
    updates, steps, forward = [], 0, None
    for entry in log:
        if entry[0] == "forward":
            forward = (entry[1], steps)
        elif entry[0] == "backward":
            if forward is None:
                return None, steps, "`fit` called net.backward before net.forward"
            batch, at = forward
            idx = batch[:, 0].astype(int) if isinstance(batch, np.ndarray) and batch.ndim == 2 \
                and batch.shape[0] else None
            if idx is None or idx.min() < 0 or idx.max() >= n or not np.array_equal(batch, x[idx]):
                return None, steps, ("the mini-batch `fit` gave to net.forward is not made of "
                                     "rows of x")
            updates.append({"idx": idx, "at": at, "trace": entry[1], "dy": entry[2],
                            "before": steps, "rates": []})
        else:
            steps += 1
            if not updates:
                return None, steps, "`fit` called net.step before net.backward"
            updates[-1]["rates"].append(entry[1])
    return updates, steps, None


def _per_epoch(updates, inputs):
    """Updates per epoch: what ``fit`` did if it did the same every epoch, else the statement's
    number (one per mini-batch)."""
    epochs, n, mb = inputs["epochs"], inputs["x"].shape[0], inputs["mb_size"]
    if updates and len(updates) % epochs == 0:
        return len(updates) // epochs
    return -(-n // mb)


def _table(inputs, steps):
    tables = inputs["tables"]
    return tables[min(steps, tables.shape[0] - 1)]


def judge_fit_batches(out, inputs, expected):
    """Every epoch: each sample exactly once, in batches of mb_size, only the last smaller."""
    updates, _, problem = _replay(out.get("log"), inputs)
    if problem:
        return [problem]
    n, mb, epochs = inputs["x"].shape[0], inputs["mb_size"], inputs["epochs"]
    per_epoch = -(-n // mb)
    if len(updates) != per_epoch * epochs:
        return [f"with {n} samples and mb_size={mb}, every epoch should make one update per "
                f"mini-batch (the last mini-batch may be smaller); `fit` made {len(updates)} "
                f"updates in {epochs} epochs"]
    for e in range(epochs):
        batches = [u["idx"] for u in updates[e * per_epoch:(e + 1) * per_epoch]]
        if any(b.size != mb for b in batches[:-1]) or not 0 < batches[-1].size <= mb:
            return [f"`fit` should use mini-batches of mb_size={mb} samples (only the last one "
                    "of an epoch may be smaller)"]
        if sorted(int(i) for b in batches for i in b) != list(range(n)):
            return ["in every epoch, `fit` should use each training sample exactly once"]
    return []


def judge_fit_updates(out, inputs, expected):
    """forward(batch), backward(the trace of that forward, dy), step(lr), in this order."""
    updates, _, problem = _replay(out.get("log"), inputs)
    if problem:
        return [problem]
    if not updates:
        return ["`fit` never called net.backward"]
    for u in updates:
        trace = u["trace"]
        if not (isinstance(trace, (list, tuple)) and len(trace) == 1
                and _same(trace[0], inputs["x"][u["idx"]])):
            return ["`fit` did not pass to net.backward the trace that net.forward returned for "
                    "the mini-batch"]
        if not u["rates"]:
            return ["`fit` should call net.step(lr) after every net.backward"]
        if len(u["rates"]) > 1:
            return ["`fit` called net.step more than once per mini-batch"]
        if not _is_lr(u["rates"][0], inputs["lr"]):
            return ["the learning rate `fit` passed to net.step was not lr"]
    return []


def judge_fit_dy(out, inputs, expected):
    """dy of each batch: the gradient of its mean BCE w.r.t. the clipped p, recomputed from
    the spy's predictions for that batch."""
    updates, _, problem = _replay(out.get("log"), inputs)
    if problem:
        return [problem]
    if not updates:
        return ["`fit` never called net.backward"]
    per_epoch = _per_epoch(updates, inputs)
    for k, u in enumerate(updates):
        y = inputs["y"][u["idx"]]
        p = np.clip(_table(inputs, u["at"])[u["idx"]], CLIP, 1 - CLIP)
        want = (p - y) / (p * (1 - p)) / y.shape[0]
        found = _wrong(u["dy"], want, f"the dy that `fit` passed to net.backward for mini-batch "
                                      f"{k % per_epoch + 1} of epoch {k // per_epoch + 1}")
        if found:
            return found + ["dy must be the gradient of the mini-batch's mean BCE w.r.t. p, with "
                            "p clipped to [1e-12, 1 - 1e-12] (bce_loss_grad(p, y) / batch size)"]
    return []


def _history(out, inputs, with_test):
    """The history's four lists as float arrays, or a problem."""
    history, epochs = out.get("history"), inputs["epochs"]
    if not isinstance(history, dict):
        return None, [f"`fit` returned {describe(history)}, expected a dict (the history)"]
    lists = {}
    for key in HISTORY_KEYS:
        if key not in history:
            return None, [f"the history from `fit` has no key {key!r}"]
        lists[key] = plain_numbers(history[key])
        if lists[key] is None:
            return None, [f"history[{key!r}] from `fit` is {describe(history[key])}, expected a "
                          "list of numbers"]
        want = epochs if with_test or key.startswith("train") else 0
        if lists[key].size != want:
            return None, [f"history[{key!r}] from `fit` has {lists[key].size} entries, expected "
                          + ("one per epoch" if want else "none (there was no test data)")]
    return lists, []


def ref_fit_history(x, y, tables, epochs, lr, mb_size, x_test, y_test, seed, steps=None):
    """The history of a correct ``fit`` on the spy network; ``steps[e]``: the steps taken by
    the end of epoch e (default: one per mini-batch)."""
    per_epoch = -(-x.shape[0] // mb_size)
    steps = steps or [per_epoch * (e + 1) for e in range(epochs)]
    n, history = x.shape[0], {key: [] for key in HISTORY_KEYS}
    for s in steps:
        table = tables[min(s, tables.shape[0] - 1)]
        parts = [("train", table[:n], y)]
        if x_test is not None:
            parts.append(("test", table[n:n + x_test.shape[0]], y_test))
        for part, p, labels in parts:
            history[part + "_loss"].append(mean_bce(p, labels))
            history[part + "_acc"].append(accuracy(p, labels))
    return history


def judge_fit_history(out, inputs, expected):
    """After each epoch: mean BCE and accuracy of the network as it is then, on the whole
    training and test sets (recomputed from the spy's tables at that number of steps)."""
    lists, found = _history(out, inputs, with_test=True)
    if found:
        return found
    updates, total, problem = _replay(out.get("log"), inputs)
    if problem:
        return [problem]
    per_epoch = _per_epoch(updates, inputs)
    steps = [updates[per_epoch * (e + 1)]["before"] if per_epoch * (e + 1) < len(updates)
             else total for e in range(inputs["epochs"])]
    want = ref_fit_history(**inputs, steps=steps)
    for key in HISTORY_KEYS:
        found += _wrong(lists[key], np.array(want[key]), f"history[{key!r}] from `fit`")
    if found:
        found.append("each entry must be measured after the epoch's last step, on the whole set: "
                     "mean BCE (p clipped) and the fraction with (p >= 0.5) == (y == 1)")
    return found


def judge_fit_without_test(out, inputs, expected):
    return _history(out, inputs, with_test=False)[1]


def judge_fit_seeds(out, inputs, expected):
    """A new order every epoch; the same batches for the same seed, others for another."""
    logs = out.get("logs")
    if not isinstance(logs, list) or len(logs) != 3:
        return ["the calls of `fit` to the network could not be read"]
    runs = []
    for log in logs:
        updates, _, problem = _replay(log, inputs)
        if problem:
            return [problem]
        runs.append([tuple(int(i) for i in u["idx"]) for u in updates])
    if not runs[0]:
        return ["`fit` never called net.backward"]
    per_epoch = _per_epoch(runs[0], inputs)
    orders = [sum(runs[0][e * per_epoch:(e + 1) * per_epoch], ()) for e in range(inputs["epochs"])]
    if all(order == tuple(sorted(order)) for order in orders):
        return ["`fit` does not shuffle: the samples came in their original order"]
    if runs[0] != runs[1]:
        return ["two calls of `fit` with the same seed used different mini-batches: shuffle with "
                "a generator made by np.random.default_rng(seed), not with np.random's global one"]
    if runs[0] == runs[2]:
        return ["two calls of `fit` with different seeds used the same mini-batches: the order "
                "must come from np.random.default_rng(seed)"]
    if len(set(orders)) < len(orders):
        return ["two epochs went through the samples in the same order: make the generator once "
                "per call of `fit`, so that every epoch gets a new order"]
    return []


def _fit_public():
    """A small public run: 4 training samples in batches of 2, 2 test samples, 2 epochs."""
    inputs = fit_inputs(4, 2, 2, 0.1, 2)(np.random.default_rng(8))
    for key in ("x", "x_test", "tables"):
        inputs[key] = np.round(inputs[key], 3)
    inputs["seed"] = 0
    return inputs, ref_fit_history(**inputs)


FIT_PUBLIC, FIT_PUBLIC_HISTORY = _fit_public()


# ------------------------------------------------------------------ task 2.9
# The references are torch's own functions and autograd (float64), so the statement's
# formulas are checked against what PyTorch computes.

def _torch():
    import torch
    return torch


def _tensor(array, grad=False):
    torch = _torch()
    return torch.tensor(np.asarray(array, dtype=float), dtype=torch.float64, requires_grad=grad)


def ref_log_softmax(z: np.ndarray) -> np.ndarray:
    """torch.log_softmax over the classes (axis 1) of an (N, C) batch of logits."""
    return _torch().log_softmax(_tensor(z), dim=1).numpy()


def ref_softmax_cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple:
    """(loss, dz): torch's cross_entropy (mean over the batch) of logits z (N, C) and integer
    labels y (N,), and its gradient w.r.t. z by autograd."""
    torch = _torch()
    zt = _tensor(z, grad=True)
    loss = torch.nn.functional.cross_entropy(zt, torch.as_tensor(np.asarray(y, dtype=np.int64)))
    loss.backward()
    return float(loss.detach()), zt.grad.numpy()


def ref_bce_with_logits(z: np.ndarray, y: np.ndarray) -> tuple:
    """(loss, dz): torch's binary_cross_entropy_with_logits (the mean over all entries, what
    nn.BCEWithLogitsLoss() computes) and its gradient w.r.t. z by autograd."""
    torch = _torch()
    zt = _tensor(z, grad=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(zt, _tensor(y))
    loss.backward()
    return float(loss.detach()), zt.grad.numpy()


def logits_and_labels(n, c, scale=3.0):
    """Arguments ``(z, y)`` for a hidden call: normal logits (n, c) and labels of 0..c-1."""
    return lambda rng: (rng.normal(size=(n, c)) * scale, rng.integers(0, c, size=n))


# Logits far beyond what exp can take (exp(710) overflows): only a stable form stays finite.
BIG_LOGITS = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -999.0],
                       [0.5, 1000.0, 999.0], [-800.0, -805.0, -790.0]])
BIG_LABELS = np.array([1, 2, 2, 0])


def bce_logit_args(rng):
    """Arguments ``(z, y)``: logits (3, 4) and targets in [0, 1], hard and soft."""
    z = rng.normal(size=(3, 4)) * 4
    y = (rng.random(size=(3, 4)) < 0.5).astype(float)
    y[1] = rng.uniform(0, 1, size=4)
    return (z, y)


# y_hat = sigmoid(z) is 0 or 1 in float64 for |z| > 37: a clipped BCE gives -log(1e-12) = 27.6
# where the loss is 40 or 800, and log(sigmoid(z)) overflows to inf.
BIG_BCE = (np.array([-800.0, 800.0, -40.0, 40.0, 0.0, 3.0, -1000.0, 1000.0]),
           np.array([1.0, 0.0, 1.0, 1.0, 0.5, 0.0, 0.0, 1.0]))


def _loss_and_dz(value, name):
    """``(loss, dz)`` as returned, or a problem."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return None, None, [f"`{name}` should return a pair (loss, dz); it returned "
                            f"{describe(value)}"]
    loss = plain_scalar(value[0])
    if type(loss) not in (int, float):
        return None, None, [f"the loss from `{name}` should be a number; it is "
                            f"{describe(value[0])}"]
    return loss, value[1], []


def judge_pair(name, part):
    """A judge of the loss (``part`` "loss") or the gradient ("dz") of a (loss, dz) pair."""
    def verify(out, inputs, expected):
        loss, dz, found = _loss_and_dz(out.get("value"), name)
        if found:
            return found
        want_loss, want_dz = expected["value"]
        if part == "loss":
            if not math.isfinite(loss):
                return [f"the loss from `{name}` is nan or inf where it is finite: compute it "
                        "in a stable form"]
            return _wrong(loss, want_loss, f"the loss from `{name}`")
        found = _wrong(dz, want_dz, f"dz from `{name}`")
        if found and isinstance(dz, np.ndarray) and dz.shape == want_dz.shape \
                and not np.all(np.isfinite(dz)):
            return [f"dz from `{name}` has nan or inf entries: compute it in a stable form"]
        return found
    return verify


def judge_pairs(name):
    """A judge of both the loss and dz of a (loss, dz) pair."""
    loss, dz = judge_pair(name, "loss"), judge_pair(name, "dz")
    return lambda out, inputs, expected: loss(out, inputs, expected) or dz(out, inputs, expected)


def judge_log_softmax_big(out, inputs, expected):
    value = out.get("value")
    if isinstance(value, np.ndarray) and value.shape == expected["value"].shape \
            and not np.all(np.isfinite(value)):
        return ["`log_softmax` returned nan or inf for large logits: subtract each row's "
                "maximum before exp (it cancels)"]
    return _wrong(value, expected["value"], "`log_softmax` for large logits")


def logits_unchanged_inputs(rng):
    z, y = logits_and_labels(5, 4)(rng)
    zb, yb = bce_logit_args(rng)
    return {"z": z, "y": y, "zb": zb, "yb": yb}


def judge_logits_unchanged(out, inputs, expected):
    changed = [name for name in ("z", "y", "zb", "yb")
               if _wrong(out.get(f"{name} after"), inputs[name], name)]
    if changed:
        return ["a function of this task changed its input arrays in place: compute new arrays "
                "(shifted = z - z.max(...), not z -= ...) and leave the arguments as they were"]
    return []


# ------------------------------------------------------------------ task 2.10

def dropout_mask_inputs(p):
    """Inputs of ``dropout_masks``: x (50, 40) without zeros, dy, and the seeds s, s, s + 1.
    (Small on purpose: 2000 entries pin the fraction dropped to within 0.07, and the reports
    stay small; a large report is a long window for a student's thread that floods.)"""
    def inputs(rng):
        x = rng.normal(size=(50, 40))
        x[x == 0] = 1.0
        seed = int(rng.integers(1000))
        return {"p": p, "seeds": [seed, seed, seed + 1], "x": x, "dy": rng.normal(size=x.shape)}
    return inputs


def _dropout_runs(out, inputs):
    """The three runs of ``dropout_masks``, each with arrays shaped like x, or a problem."""
    runs, shape = out.get("runs"), inputs["x"].shape
    if not isinstance(runs, list) or len(runs) != 3:
        return None, ["the results of `Dropout` could not be read"]
    for run in runs:
        for key, what in (("first", "forward"), ("second", "forward"), ("dx", "backward")):
            value = run.get(key) if isinstance(run, dict) else None
            if not isinstance(value, np.ndarray) or value.shape != shape:
                return None, [f"`Dropout.{what}` on an array of shape {shape} should return an "
                              f"array of that shape; it returned {describe(value)}"]
    return runs, []


def judge_dropout_fraction(out, inputs, expected):
    """Each entry zeroed with probability p, independently: the fraction zeroed is p within
    6 standard deviations, and no row of 50 entries is all zeroed or all kept."""
    runs, found = _dropout_runs(out, inputs)
    if found:
        return found
    p, dropped = inputs["p"], runs[0]["first"] == 0
    if abs(dropped.mean() - p) > 6 * math.sqrt(p * (1 - p) / dropped.size):
        return [f"`Dropout({p}, rng)` in training mode should zero each entry with probability "
                "p (keep it with probability 1 - p); it zeroed a different fraction"]
    if np.mean(dropped.all(axis=1) | ~dropped.any(axis=1)) > 0.05:
        return ["`Dropout` should draw the mask entry by entry (one random number per entry of "
                "x), not per row"]
    return []


def judge_dropout_scale(out, inputs, expected):
    runs, found = _dropout_runs(out, inputs)
    if found:
        return found
    x, y = inputs["x"], runs[0]["first"]
    kept = y != 0
    if not kept.any() or not np.allclose(y[kept], x[kept] / (1 - inputs["p"]), rtol=1e-9, atol=0):
        return ["the entries that `Dropout` keeps in training mode should be divided by 1 - p "
                "(inverted dropout), so that the expected output is x"]
    return []


def judge_dropout_rng(out, inputs, expected):
    runs, found = _dropout_runs(out, inputs)
    if found:
        return found
    masks = [run["first"] != 0 for run in runs]
    if not np.array_equal(masks[0], masks[1]):
        return ["two `Dropout` layers made with generators of the same seed dropped different "
                "entries: draw the mask from the generator `rng` given to the constructor "
                "(self.rng), not from np.random"]
    if np.array_equal(masks[0], masks[2]):
        return ["two `Dropout` layers made with generators of different seeds dropped the same "
                "entries: draw the mask from the generator `rng` given to the constructor"]
    if np.array_equal(masks[0], runs[0]["second"] != 0):
        return ["two forward calls of `Dropout` in training mode dropped the same entries: "
                "draw a new mask in every call"]
    return []


def judge_dropout_backward(out, inputs, expected):
    """dx = dy * (what forward multiplied x by): the derivative of the last forward."""
    runs, found = _dropout_runs(out, inputs)
    if found:
        return found
    x, dy, y, dx = inputs["x"], inputs["dy"], runs[0]["first"], runs[0]["dx"]
    if not np.allclose(dx, dy * (y / x), rtol=1e-9, atol=1e-12):
        return ["`Dropout.backward` in training mode should return dy times the mask of the "
                "last forward call, divided by 1 - p (the derivative of that forward)"]
    return []


def dropout_mode_inputs(p):
    def inputs(rng):
        return {"p": p, "seed": int(rng.integers(1000)), "x": rng.normal(size=(6, 5)),
                "dy": rng.normal(size=(6, 5)), "lr": 0.1}
    return inputs


def judge_dropout_eval(out, inputs, expected):
    """In eval mode, after a forward in training mode: forward returns x, backward dy."""
    return (_wrong(out.get("y"), inputs["x"], "`Dropout.forward` in eval mode")
            + _wrong(out.get("dx"), inputs["dy"], "`Dropout.backward` in eval mode")) and [
        "in eval mode (training False) `Dropout.forward` should return x and `backward` dy, "
        "unchanged"]


# ------------------------------------------------------------------ task 2.11

BN_ATTRIBUTES = ("gamma", "beta", "running_mean", "running_var")


def ref_batchnorm_script(n, kwargs, state, script, lr):
    """What ``batchnorm_script`` must observe, from torch.nn.BatchNorm1d (float64) with the
    same momentum, eps, parameters and running statistics: for each (training, x, dy) of the
    script the output, the running statistics after forward, dx, dgamma and dbeta by
    autograd; then gamma and beta after one step of lr with the last gradients."""
    torch = _torch()
    bn = torch.nn.BatchNorm1d(n, momentum=kwargs.get("momentum", 0.1),
                              eps=kwargs.get("eps", 1e-5), dtype=torch.float64)
    names = {"gamma": bn.weight, "beta": bn.bias, "running_mean": bn.running_mean,
             "running_var": bn.running_var}
    with torch.no_grad():
        for name, value in state.items():
            names[name].copy_(_tensor(value))
    records = []
    for training, x, dy in script:
        bn.train(training)
        bn.zero_grad()
        xt = _tensor(x, grad=True)
        y = bn(xt)
        stats = {name: names[name].detach().numpy().copy() for name in BN_ATTRIBUTES}
        y.backward(_tensor(dy))
        records.append({"y": y.detach().numpy(), "dx": xt.grad.numpy(),
                        "dgamma": bn.weight.grad.numpy().copy(),
                        "dbeta": bn.bias.grad.numpy().copy(), "after forward": stats})
    last = records[-1]
    gamma = bn.weight.detach().numpy() - lr * last["dgamma"]
    beta = bn.bias.detach().numpy() - lr * last["dbeta"]
    return {"records": records, "after step": {"gamma": gamma, "beta": beta}}


def batchnorm_inputs(modes, kwargs=None, state=True, n=4, batch=6):
    """Inputs of ``batchnorm_script``: one (training, x, dy) per mode, features of different
    means and scales, one of them almost constant (where eps matters), and with ``state`` a
    non-trivial gamma, beta and running statistics."""
    def inputs(rng):
        script = []
        for training in modes:
            x = rng.normal(size=(batch, n)) * rng.uniform(0.5, 3, size=n) + rng.normal(size=n)
            x[:, -1] = 0.7 + rng.normal(size=batch) * 2e-3       # variance near eps
            script.append((bool(training), x, rng.normal(size=(batch, n))))
        given = {"gamma": rng.uniform(0.5, 2, size=n), "beta": rng.normal(size=n),
                 "running_mean": rng.normal(size=n), "running_var": rng.uniform(0.5, 2, size=n)}
        return {"n": n, "kwargs": dict(kwargs or {}), "state": given if state else {},
                "script": script, "lr": 0.2}
    return inputs


def _bn_records(out, inputs):
    records = out.get("records")
    if not isinstance(records, list) or len(records) != len(inputs["script"]):
        return None, ["the results of `BatchNorm` could not be read"]
    return records, []


MODE = {True: "training mode", False: "eval mode"}


def judge_batchnorm(*keys):
    """A judge of the entries ``keys`` ("y", "dx", "dgamma", "dbeta", "after forward") of
    every step of the script."""
    what = {"y": "the output of `BatchNorm.forward` in {mode}",
            "dx": "dx from `BatchNorm.backward` in {mode}",
            "dgamma": "`self.dgamma` after backward in {mode}",
            "dbeta": "`self.dbeta` after backward in {mode}"}

    def verify(out, inputs, expected):
        records, found = _bn_records(out, inputs)
        if found:
            return found
        expected = ref_batchnorm_script(**inputs)      # torch, here: never sent to the kernel
        for i, (record, want, (training, _, _)) in enumerate(
                zip(records, expected["records"], inputs["script"])):
            mode = MODE[training] + (f" (call {i + 1})" if len(records) > 1 else "")
            for key in keys:
                value = record.get(key) if isinstance(record, dict) else None
                if key == "after forward":
                    for name in ("running_mean", "running_var"):
                        found += _wrong(value.get(name) if isinstance(value, dict) else None,
                                        want[key][name], f"`self.{name}` after forward in {mode}")
                else:
                    found += problems(value, want[key], what[key].format(mode=mode),
                                      verb="is", reveal=False)
            if found:
                return found
        return found
    return verify


def judge_batchnorm_step(out, inputs, expected):
    """backward changes nothing; step(lr) moves gamma and beta against their gradients."""
    records, found = _bn_records(out, inputs)
    if found:
        return found
    for record in records:
        before, after = record.get("after forward"), record.get("after backward")
        if not (isinstance(before, dict) and isinstance(after, dict)):
            return ["the results of `BatchNorm` could not be read"]
        changed = [name for name in BN_ATTRIBUTES
                   if _wrong(after.get(name), before.get(name), name)]
        if changed:
            return [f"`BatchNorm.backward` changed {' and '.join(changed)}: backward only stores "
                    "dgamma and dbeta (step updates gamma and beta)"]
    step = out.get("after step")
    if not isinstance(step, dict):
        return ["the results of `BatchNorm.step` could not be read"]
    # the step is judged with the student's own gradients, so a wrong backward costs nothing here
    last = records[-1]
    for name, grad in (("gamma", "dgamma"), ("beta", "dbeta")):
        if not isinstance(last.get(grad), np.ndarray):
            return [f"`self.{grad}` after backward is {describe(last.get(grad))}, expected an "
                    "array"]
        want = last["after backward"][name] - inputs["lr"] * last[grad]
        found += _wrong(step.get(name), want, f"`self.{name}` after step(lr)")
    return found


def _batchnorm_public():
    """``BatchNorm(3)`` with its defaults, one forward in training mode on a batch of four."""
    x = np.array([[1.0, 2.0, 0.0], [3.0, 2.0, 1.0], [5.0, 8.0, 0.0], [3.0, 4.0, -1.0]])
    record = ref_batchnorm_script(3, {}, {}, [(True, x, np.zeros_like(x))], 0.0)["records"][0]
    y = np.where(np.abs(record["y"]) < 1e-12, 0.0, record["y"])    # no -1e-16 in the message
    return {"n": 3, "x": x}, dict(record["after forward"], y=y)


BN_PUBLIC, BN_PUBLIC_EXPECTED = _batchnorm_public()


# ------------------------------------------------------------------ task 2.12

TRUE_FALSE = {"tf_zero_init": False, "tf_linear_stack": False, "tf_minibatch": True,
              "tf_smaller_eps": False, "tf_paths_cancel": False, "tf_bn_single": True}
