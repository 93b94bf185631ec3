"""Mistake variants for Assignment 2 (backpropagation).

``WRONG[tag]``: plausible student mistakes; each must lose points on task ``tag`` (and no other).
Each name starts with the id of the requirement it violates (``Task.requirements`` in
grader/specs/a2_backprop), e.g. ``"R5-relu_grad_one_at_zero"``; every requirement has at least
one. ``RIGHT[tag]``: correct but differently written cells; each must keep full marks.
Each entry is ``(short_name, full_cell_source)``. Most wrong variants are a correct cell
(``BASE``) with one small edit, so each mistake is easy to see.
"""
from variants.kit import edit


def _edit(tag, *pairs):
    return edit(BASE[tag], *pairs)


BASE = {}

BASE["task_2_1"] = """
s3 = 0.9
s4 = -1.0
s5 = -4.0
a3 = 0.9
a4 = 0.0
a5 = 0.0
s6 = 0.9
y_hat = 0.9
delta6 = -0.1
delta3 = -0.1
delta4 = 0.0
delta5 = 0.0
dL_dw32 = -0.2
"""

BASE["task_2_2"] = """
TINY_W0 = {"w1": 0.7, "w2": 1.3, "w3": 1.5, "w4": 0.1, "w5": 0.0, "w6": 0.0,
           "w7": 0.7, "w8": 0.8, "w9": 0.0}


def tiny_loss_and_grads(w):
    h1 = 1 / (1 + np.exp(-(w["w1"] + w["w3"] + w["w5"])))
    h2 = 1 / (1 + np.exp(-(w["w2"] + w["w4"] + w["w6"])))
    e = h1 * w["w7"] + h2 * w["w8"] + w["w9"] - 1.0
    g1 = e * w["w7"] * h1 * (1 - h1)
    g2 = e * w["w8"] * h2 * (1 - h2)
    grads = {"w1": g1, "w3": g1, "w5": g1, "w2": g2, "w4": g2, "w6": g2,
             "w7": e * h1, "w8": e * h2, "w9": e}
    return 0.5 * e ** 2, grads


def train_tiny_net(eta, steps):
    w = dict(TINY_W0)
    losses = []
    for _ in range(steps):
        loss, grads = tiny_loss_and_grads(w)
        losses.append(loss)
        w = {k: w[k] - eta * grads[k] for k in w}
    return losses


tiny_loss0 = tiny_loss_and_grads(TINY_W0)[0]
tiny_grads = tiny_loss_and_grads(TINY_W0)[1]
"""

BASE["task_2_3"] = """
def minibatch_step(W1, b1, W2, b2, X, Y, lr):
    n = len(X)
    Z1 = X @ W1.T + b1
    A1 = np.maximum(Z1, 0)
    y_hat = A1 @ W2.ravel() + b2
    e = y_hat - Y
    dW2 = (e @ A1).reshape(1, -1) / n
    db2 = np.mean(e)
    dZ1 = e[:, None] * W2 * (Z1 > 0)
    dW1 = dZ1.T @ X / n
    db1 = np.mean(dZ1, axis=0)
    new_W2 = W2 - lr * dW2
    return {"Z1": Z1, "A1": A1, "y_hat": y_hat, "W1": W1 - lr * dW1, "b1": b1 - lr * db1,
            "W2": new_W2, "b2": b2 - lr * db2}
"""

BASE["task_2_4"] = """
def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        keep = x[i]
        x[i] = keep + eps
        up = f(x)
        x[i] = keep - eps
        down = f(x)
        x[i] = keep
        grad[i] = (up - down) / (2 * eps)
    return grad


def rel_error(a, b):
    top = np.linalg.norm(a - b)
    bottom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if bottom == 0 else top / bottom
"""

BASE["task_2_5"] = """
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_grad(x):
    s = 1 / (1 + np.exp(-x))
    return s * (1 - s)


def relu(x):
    return np.maximum(0, x)


def relu_grad(x):
    return np.where(x > 0, 1.0, 0.0)


def bce_loss(y_hat, y):
    p = np.clip(y_hat, 1e-12, 1 - 1e-12)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def bce_loss_grad(y_hat, y):
    p = np.clip(y_hat, 1e-12, 1 - 1e-12)
    return -y / p + (1 - y) / (1 - p)
"""

BASE["task_2_6"] = """
class Linear:
    def __init__(self, n_in, n_out, rng):
        a = np.sqrt(6 / (n_in + n_out))
        self.W = rng.uniform(-a, a, size=(n_in, n_out))
        self.b = np.zeros(n_out)

    def forward(self, x):
        return x @ self.W + self.b

    def backward(self, x, dy):
        self.dW = x.T @ dy
        self.db = dy.sum(axis=0)
        return dy @ self.W.T

    def step(self, lr):
        self.W = self.W - lr * self.dW
        self.b = self.b - lr * self.db


class Sigmoid:
    def forward(self, x):
        return 1 / (1 + np.exp(-x))

    def backward(self, x, dy):
        s = 1 / (1 + np.exp(-x))
        return dy * s * (1 - s)

    def step(self, lr):
        pass


class ReLU:
    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, x, dy):
        return dy * (x > 0)

    def step(self, lr):
        pass
"""

BASE["task_2_7"] = """
class Net:
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
"""

BASE["task_2_8"] = """
def fit(net, x, y, epochs, lr, mb_size, x_test=None, y_test=None, seed=0):
    def bce(p, t):
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return float(np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p))))

    rng = np.random.default_rng(seed)
    history = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    n = len(x)
    for epoch in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, mb_size):
            idx = order[start:start + mb_size]
            p, trace = net.forward(x[idx])
            p = np.clip(p, 1e-12, 1 - 1e-12)
            dy = (p - y[idx]) / (p * (1 - p)) / len(idx)
            net.backward(trace, dy)
            net.step(lr)
        p, _ = net.forward(x)
        history["train_loss"].append(bce(p, y))
        history["train_acc"].append(float(np.mean((p >= 0.5) == (y == 1))))
        if x_test is not None:
            p, _ = net.forward(x_test)
            history["test_loss"].append(bce(p, y_test))
            history["test_acc"].append(float(np.mean((p >= 0.5) == (y_test == 1))))
    return history
"""

BASE["task_2_9"] = """
def log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_cross_entropy(z, y):
    n = len(z)
    logp = log_softmax(z)
    loss = -logp[np.arange(n), y].mean()
    dz = np.exp(logp)
    dz[np.arange(n), y] -= 1
    return loss, dz / n


def bce_with_logits(z, y):
    loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    s = np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))
    return loss.mean(), (s - y) / z.size
"""

BASE["task_2_10"] = """
class Dropout:
    def __init__(self, p, rng):
        self.p = p
        self.rng = rng
        self.training = True

    def forward(self, x):
        if not self.training:
            return x
        self.mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        return x * self.mask

    def backward(self, x, dy):
        if not self.training:
            return dy
        return dy * self.mask

    def step(self, lr):
        pass
"""

BASE["task_2_11"] = """
class BatchNorm:
    def __init__(self, n, momentum=0.1, eps=1e-5):
        self.gamma, self.beta = np.ones(n), np.zeros(n)
        self.running_mean, self.running_var = np.zeros(n), np.ones(n)
        self.momentum, self.eps = momentum, eps
        self.training = True

    def forward(self, x):
        if self.training:
            mean, var = x.mean(axis=0), x.var(axis=0)
            n, m = len(x), self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var
        return self.gamma * (x - mean) / np.sqrt(var + self.eps) + self.beta

    def backward(self, x, dy):
        if self.training:
            mean, var = x.mean(axis=0), x.var(axis=0)
        else:
            mean, var = self.running_mean, self.running_var
        std = np.sqrt(var + self.eps)
        x_hat = (x - mean) / std
        self.dgamma = (dy * x_hat).sum(axis=0)
        self.dbeta = dy.sum(axis=0)
        if not self.training:
            return dy * self.gamma / std
        return self.gamma / std * (dy - dy.mean(axis=0) - x_hat * (dy * x_hat).mean(axis=0))

    def step(self, lr):
        self.gamma = self.gamma - lr * self.dgamma
        self.beta = self.beta - lr * self.dbeta
"""

BASE["task_2_12"] = """
tf_zero_init = False
tf_linear_stack = False
tf_minibatch = True
tf_smaller_eps = False
tf_paths_cancel = False
tf_bn_single = True
"""


WRONG = {
    "task_2_1": [
        ("R5-delta_sign_flipped", _edit("task_2_1", "delta6 = -0.1", "delta6 = 0.1",
                                        "delta3 = -0.1", "delta3 = 0.1",
                                        "dL_dw32 = -0.2", "dL_dw32 = 0.2")),
        ("R3-relu_not_applied", _edit("task_2_1", "a4 = 0.0", "a4 = -1.0", "a5 = 0.0", "a5 = -4.0",
                                      "s6 = 0.9", "s6 = 4.4", "y_hat = 0.9", "y_hat = 4.4",
                                      "delta6 = -0.1", "delta6 = 3.4", "delta3 = -0.1",
                                      "delta3 = 3.4", "dL_dw32 = -0.2", "dL_dw32 = 6.8")),
        ("R1-answer_as_text", _edit("task_2_1", "s3 = 0.9", 's3 = "0.9"')),
        ("R1-not_answered", _edit("task_2_1", "dL_dw32 = -0.2", "dL_dw32 = None")),
        ("R2-s4_inputs_swapped", _edit("task_2_1", "s4 = -1.0", "s4 = 1.0")),
        ("R4-output_squashed", _edit("task_2_1", "y_hat = 0.9", "y_hat = 0.7109")),
        ("R6-relu_mask_forgotten", _edit("task_2_1", "delta4 = 0.0", "delta4 = -0.05",
                                         "delta5 = 0.0", "delta5 = 0.1")),
        ("R7-gradient_uses_x1", _edit("task_2_1", "dL_dw32 = -0.2", "dL_dw32 = -0.1")),
    ],
    "task_2_2": [
        ("R3-sigmoid_derivative_missing", _edit(
            "task_2_2", 'g1 = e * w["w7"] * h1 * (1 - h1)', 'g1 = e * w["w7"]',
            'g2 = e * w["w8"] * h2 * (1 - h2)', 'g2 = e * w["w8"]')),
        ("R7-weights_updated_one_after_another", _edit(
            "task_2_2", "        w = {k: w[k] - eta * grads[k] for k in w}",
            "        for k in w:\n"
            "            w[k] = w[k] - eta * tiny_loss_and_grads(w)[1][k]")),
        ("R1-loss_without_one_half", _edit("task_2_2", "return 0.5 * e ** 2, grads",
                                           "return e ** 2, grads")),
        ("R2-output_grads_without_h", _edit("task_2_2", '"w7": e * h1, "w8": e * h2',
                                            '"w7": e, "w8": e')),
        ("R3-bias_input_forgotten", _edit("task_2_2", '"w5": g1,', '"w5": 0.0,',
                                          '"w6": g2,', '"w6": 0.0,')),
        ("R4-returns_grads_then_loss", _edit(
            "task_2_2", "return 0.5 * e ** 2, grads", "return grads, 0.5 * e ** 2",
            "loss, grads = tiny_loss_and_grads(w)", "grads, loss = tiny_loss_and_grads(w)",
            "tiny_loss0 = tiny_loss_and_grads(TINY_W0)[0]",
            "tiny_loss0 = tiny_loss_and_grads(TINY_W0)[1]",
            "tiny_grads = tiny_loss_and_grads(TINY_W0)[1]",
            "tiny_grads = tiny_loss_and_grads(TINY_W0)[0]")),
        ("R5-returns_last_loss_only", _edit("task_2_2", "    return losses\n",
                                            "    return losses[-1]\n")),
        ("R6-loss_recorded_after_update", _edit(
            "task_2_2",
            "        losses.append(loss)\n        w = {k: w[k] - eta * grads[k] for k in w}",
            "        w = {k: w[k] - eta * grads[k] for k in w}\n"
            "        losses.append(tiny_loss_and_grads(w)[0])")),
        ("R8-changes_TINY_W0", _edit(
            "task_2_2", "    w = dict(TINY_W0)\n", "    w = TINY_W0\n",
            "        w = {k: w[k] - eta * grads[k] for k in w}",
            "        for k in w:\n            w[k] -= eta * grads[k]   # grads from before")),
    ],
    "task_2_3": [
        ("R3-sum_instead_of_mean", _edit("task_2_3", "dW2 = (e @ A1).reshape(1, -1) / n",
                                         "dW2 = (e @ A1).reshape(1, -1)", "db2 = np.mean(e)",
                                         "db2 = np.sum(e)", "dW1 = dZ1.T @ X / n",
                                         "dW1 = dZ1.T @ X", "db1 = np.mean(dZ1, axis=0)",
                                         "db1 = np.sum(dZ1, axis=0)")),
        ("R4-relu_mask_forgotten", _edit("task_2_3", "dZ1 = e[:, None] * W2 * (Z1 > 0)",
                                         "dZ1 = e[:, None] * W2")),
        ("R1-y_hat_as_column", _edit("task_2_3", '"y_hat": y_hat,', '"y_hat": y_hat[:, None],')),
        ("R2-Z1_without_bias", _edit("task_2_3", "Z1 = X @ W1.T + b1", "Z1 = X @ W1.T")),
        ("R3-dW2_from_Z1", _edit("task_2_3", "dW2 = (e @ A1)", "dW2 = (e @ Z1)")),
        ("R3-squared_error_without_half", _edit("task_2_3", "e = y_hat - Y",
                                                "e = 2 * (y_hat - Y)")),
        ("R4-W2_updated_before_backprop", _edit(
            "task_2_3", "    dZ1 = e[:, None] * W2 * (Z1 > 0)",
            "    W2 = W2 - lr * dW2\n    dZ1 = e[:, None] * W2 * (Z1 > 0)",
            "new_W2 = W2 - lr * dW2", "new_W2 = W2")),
        ("R4-relu_derivative_one_at_zero", _edit("task_2_3", "* (Z1 > 0)", "* (Z1 >= 0)")),
        ("R5-updates_inputs_in_place", _edit(
            "task_2_3", "    new_W2 = W2 - lr * dW2\n"
                        '    return {"Z1": Z1, "A1": A1, "y_hat": y_hat, "W1": W1 - lr * dW1, '
                        '"b1": b1 - lr * db1,\n            "W2": new_W2, "b2": b2 - lr * db2}',
            "    W1 -= lr * dW1\n    b1 -= lr * db1\n    W2 -= lr * dW2\n"
            '    return {"Z1": Z1, "A1": A1, "y_hat": y_hat, "W1": W1, "b1": b1, "W2": W2,\n'
            '            "b2": b2 - lr * db2}')),
    ],
    "task_2_4": [
        ("R2-forward_difference", _edit("task_2_4",
                                        "        x[i] = keep - eps\n        down = f(x)\n",
                                        "        x[i] = keep\n        down = f(x)\n",
                                        "(up - down) / (2 * eps)", "(up - down) / eps")),
        ("R5-rel_error_absolute", _edit("task_2_4", "0.0 if bottom == 0 else top / bottom",
                                        "top")),
        ("R1-one_dimensional_loop", _edit(
            "task_2_4", "    it = np.nditer(x, flags=[\"multi_index\"])\n    for _ in it:\n"
                        "        i = it.multi_index\n", "    for i in range(len(x)):\n")),
        ("R1-gradient_flattened", _edit("task_2_4", "    return grad\n",
                                        "    return grad.ravel()\n")),
        ("R2-missing_factor_two", _edit("task_2_4", "(up - down) / (2 * eps)",
                                        "(up - down) / eps")),
        ("R2-perturbs_a_reshaped_copy", _edit(
            "task_2_4",
            "    grad = np.zeros_like(x, dtype=float)\n"
            "    it = np.nditer(x, flags=[\"multi_index\"])\n    for _ in it:\n"
            "        i = it.multi_index\n",
            "    grad = np.zeros(x.shape)\n"
            "    flat, gflat = x.reshape(-1), grad.reshape(-1)   # a view only if x is contiguous\n"
            "    for k in range(flat.size):\n",
            "        keep = x[i]\n        x[i] = keep + eps\n",
            "        keep = flat[k]\n        flat[k] = keep + eps\n",
            "        x[i] = keep - eps\n", "        flat[k] = keep - eps\n",
            "        x[i] = keep\n        grad[i] = (up - down) / (2 * eps)\n",
            "        flat[k] = keep\n        gflat[k] = (up - down) / (2 * eps)\n")),
        ("R3-eps_ignored", _edit("task_2_4", "keep + eps", "keep + 1e-5", "keep - eps",
                                 "keep - 1e-5", "(2 * eps)", "(2 * 1e-5)")),
        ("R3-default_eps_1e-3", _edit("task_2_4", "def numerical_gradient(f, x, eps=1e-5):",
                                      "def numerical_gradient(f, x, eps=1e-3):")),
        ("R4-x_not_restored", _edit("task_2_4", "        x[i] = keep\n        grad[i]",
                                    "        grad[i]")),
        ("R5-rel_error_one_sided", _edit("task_2_4",
                                         "bottom = np.linalg.norm(a) + np.linalg.norm(b)",
                                         "bottom = np.linalg.norm(a)")),
        ("R5-rel_error_spectral_norm", _edit(
            "task_2_4", "    top = np.linalg.norm(a - b)\n"
                        "    bottom = np.linalg.norm(a) + np.linalg.norm(b)",
            "    top = np.linalg.norm(a - b, 2)\n"
            "    bottom = np.linalg.norm(a, 2) + np.linalg.norm(b, 2)")),
        ("R6-rel_error_zero_division", _edit("task_2_4", "0.0 if bottom == 0 else top / bottom",
                                             "top / bottom")),
    ],
    "task_2_5": [
        ("R3-sigmoid_grad_returns_sigmoid", _edit("task_2_5", "return s * (1 - s)", "return s")),
        ("R5-relu_grad_one_at_zero", _edit("task_2_5", "np.where(x > 0, 1.0, 0.0)",
                                           "np.where(x >= 0, 1.0, 0.0)")),
        ("R1-relu_with_np_max", _edit("task_2_5", "return np.maximum(0, x)",
                                      "return np.max(x, 0)")),
        ("R1-bce_averaged", _edit("task_2_5",
                                  "return -(y * np.log(p) + (1 - y) * np.log(1 - p))",
                                  "return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))")),
        ("R2-sigmoid_sign", _edit("task_2_5", "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))",
                                  "def sigmoid(x):\n    return 1 / (1 + np.exp(x))")),
        ("R3-sigmoid_grad_of_input", _edit("task_2_5", "return s * (1 - s)",
                                           "return x * (1 - x)")),
        ("R4-leaky_relu", _edit("task_2_5", "return np.maximum(0, x)",
                                "return np.where(x > 0, x, 0.01 * x)")),
        ("R5-relu_grad_returns_relu", _edit("task_2_5", "return np.where(x > 0, 1.0, 0.0)",
                                            "return np.maximum(0, x)")),
        ("R6-bce_missing_minus", _edit("task_2_5",
                                       "return -(y * np.log(p) + (1 - y) * np.log(1 - p))",
                                       "return y * np.log(p) + (1 - y) * np.log(1 - p)")),
        ("R7-bce_not_clipped", _edit("task_2_5", "    p = np.clip(y_hat, 1e-12, 1 - 1e-12)\n"
                                                 "    return -(y",
                                     "    p = y_hat\n    return -(y")),
        ("R8-bce_grad_for_logits", _edit("task_2_5", "return -y / p + (1 - y) / (1 - p)",
                                         "return p - y")),
        ("R8-bce_grad_sign", _edit("task_2_5", "return -y / p + (1 - y) / (1 - p)",
                                   "return y / p - (1 - y) / (1 - p)")),
        ("R9-bce_grad_not_clipped", _edit("task_2_5",
                                          "    p = np.clip(y_hat, 1e-12, 1 - 1e-12)\n"
                                          "    return -y / p",
                                          "    p = y_hat\n    return -y / p")),
    ],
    "task_2_6": [
        ("R6-dW_transposed", _edit("task_2_6", "self.dW = x.T @ dy", "self.dW = dy.T @ x")),
        ("R10-relu_mask_forgotten", _edit("task_2_6", "return dy * (x > 0)", "return dy")),
        ("R1-W_stored_transposed", _edit("task_2_6", "size=(n_in, n_out)", "size=(n_out, n_in)",
                                         "return x @ self.W + self.b",
                                         "return x @ self.W.T + self.b",
                                         "self.dW = x.T @ dy", "self.dW = dy.T @ x",
                                         "return dy @ self.W.T", "return dy @ self.W")),
        ("R1-bias_not_zero", _edit("task_2_6", "self.b = np.zeros(n_out)",
                                   "self.b = rng.uniform(-a, a, size=n_out)")),
        ("R2-glorot_normal_init", _edit("task_2_6",
                                        "self.W = rng.uniform(-a, a, size=(n_in, n_out))",
                                        "self.W = rng.normal(0, np.sqrt(2 / (n_in + n_out)), "
                                        "size=(n_in, n_out))")),
        ("R2-init_range_from_n_in", _edit("task_2_6", "a = np.sqrt(6 / (n_in + n_out))",
                                          "a = np.sqrt(6 / n_in)")),
        ("R3-init_ignores_rng", _edit("task_2_6", "rng.uniform(-a, a, size=(n_in, n_out))",
                                      "np.random.uniform(-a, a, size=(n_in, n_out))")),
        ("R3-init_reseeds", _edit("task_2_6", "        a = np.sqrt(6 / (n_in + n_out))\n",
                                  "        a = np.sqrt(6 / (n_in + n_out))\n"
                                  "        rng = np.random.default_rng(0)\n")),
        ("R4-forward_without_bias", _edit("task_2_6", "return x @ self.W + self.b",
                                          "return x @ self.W")),
        ("R5-dx_uses_dW", _edit("task_2_6", "return dy @ self.W.T", "return dy @ self.dW.T")),
        ("R6-db_not_summed", _edit("task_2_6", "self.db = dy.sum(axis=0)", "self.db = dy")),
        ("R6-db_averaged", _edit("task_2_6", "self.db = dy.sum(axis=0)",
                                 "self.db = dy.mean(axis=0)")),
        ("R7-backward_updates_W", _edit("task_2_6", "        return dy @ self.W.T\n",
                                        "        dx = dy @ self.W.T\n"
                                        "        self.W = self.W - 0.1 * self.dW\n"
                                        "        return dx\n")),
        ("R8-gradient_ascent_step", _edit("task_2_6", "self.W = self.W - lr * self.dW",
                                          "self.W = self.W + lr * self.dW",
                                          "self.b = self.b - lr * self.db",
                                          "self.b = self.b + lr * self.db")),
        ("R8-step_forgets_bias", _edit("task_2_6", "        self.b = self.b - lr * self.db\n",
                                       "")),
        ("R9-sigmoid_backward_ignores_dy", _edit("task_2_6", "return dy * s * (1 - s)",
                                                 "return s * (1 - s)")),
        ("R9-sigmoid_backward_uses_output", _edit("task_2_6", "return dy * s * (1 - s)",
                                                  "return dy * x * (1 - x)")),
        ("R10-relu_mask_from_dy", _edit("task_2_6", "return dy * (x > 0)",
                                        "return dy * (dy > 0)")),
        ("R10-relu_backward_one_at_zero", _edit("task_2_6", "return dy * (x > 0)",
                                                "return dy * (x >= 0)")),
        ("R11-relu_layer_uses_other_cell", _edit("task_2_6", "return np.maximum(x, 0)",
                                                 "return relu(x)")),
        ("R11-sigmoid_layer_uses_other_cell", _edit(
            "task_2_6", "    def forward(self, x):\n        return 1 / (1 + np.exp(-x))",
            "    def forward(self, x):\n        return sigmoid(x)")),
    ],
    "task_2_7": [
        ("R3-backward_in_forward_order", _edit("task_2_7", "zip(self.layers[::-1], trace[::-1])",
                                               "zip(self.layers, trace)")),
        ("R2-trace_holds_outputs", _edit("task_2_7", "            trace.append(x)\n"
                                                     "            x = layer.forward(x)\n",
                                         "            x = layer.forward(x)\n"
                                         "            trace.append(x)\n")),
        ("R1-every_layer_gets_x", _edit("task_2_7", "            trace.append(x)\n"
                                                    "            x = layer.forward(x)\n"
                                                    "        return x, trace",
                                        "            trace.append(x)\n"
                                        "            out = layer.forward(x)\n"
                                        "        return out, trace")),
        ("R2-trace_includes_output", _edit("task_2_7", "        return x, trace",
                                           "        trace.append(x)\n        return x, trace")),
        ("R3-trace_not_reversed", _edit("task_2_7", "zip(self.layers[::-1], trace[::-1])",
                                        "zip(self.layers[::-1], trace)")),
        ("R3-dy_not_chained", _edit("task_2_7", "            dy = layer.backward(x, dy)\n"
                                                "        return dy\n",
                                    "            dx = layer.backward(x, dy)\n"
                                    "        return dx\n")),
        ("R4-backward_returns_nothing", _edit("task_2_7", "            dy = layer.backward(x, dy)\n"
                                                          "        return dy\n",
                                              "            dy = layer.backward(x, dy)\n")),
        ("R5-step_only_last_layer", _edit("task_2_7", "        for layer in self.layers:\n"
                                                      "            layer.step(lr)",
                                          "        self.layers[-1].step(lr)")),
        ("R5-step_fixed_learning_rate", _edit("task_2_7", "layer.step(lr)", "layer.step(0.01)")),
        ("R6-step_uses_class_from_other_cell", _edit(
            "task_2_7", "        for layer in self.layers:\n            layer.step(lr)",
            "        for layer in self.layers:\n            if isinstance(layer, Linear):\n"
            "                layer.step(lr)")),
    ],
    "task_2_8": [
        ("R4-sum_instead_of_mean", _edit("task_2_8",
                                         "dy = (p - y[idx]) / (p * (1 - p)) / len(idx)",
                                         "dy = (p - y[idx]) / (p * (1 - p))")),
        ("R2-last_batch_dropped", _edit("task_2_8", "for start in range(0, n, mb_size):",
                                        "for start in range(0, n - mb_size + 1, mb_size):")),
        ("R1-returns_tuple_of_lists", _edit(
            "task_2_8", "    return history\n",
            '    return (history["train_loss"], history["train_acc"], history["test_loss"],\n'
            '            history["test_acc"])\n')),
        ("R2-same_batch_every_time", _edit("task_2_8", "idx = order[start:start + mb_size]",
                                           "idx = order[:mb_size]")),
        ("R3-no_step", _edit("task_2_8", "            net.step(lr)\n", "")),
        ("R3-step_before_backward", _edit("task_2_8", "            net.backward(trace, dy)\n"
                                                      "            net.step(lr)\n",
                                          "            net.step(lr)\n"
                                          "            net.backward(trace, dy)\n")),
        ("R3-fixed_learning_rate", _edit("task_2_8", "net.step(lr)", "net.step(0.1)")),
        ("R4-gradient_for_logits", _edit("task_2_8",
                                         "dy = (p - y[idx]) / (p * (1 - p)) / len(idx)",
                                         "dy = (p - y[idx]) / len(idx)")),
        ("R4-gradient_sign", _edit("task_2_8", "dy = (p - y[idx]) / (p * (1 - p)) / len(idx)",
                                   "dy = (y[idx] - p) / (p * (1 - p)) / len(idx)")),
        ("R4-dy_not_clipped", _edit("task_2_8", "            p = np.clip(p, 1e-12, 1 - 1e-12)\n",
                                    "")),
        ("R4-targets_not_shuffled", _edit("task_2_8",
                                          "dy = (p - y[idx]) / (p * (1 - p)) / len(idx)",
                                          "t = y[start:start + mb_size]\n"
                                          "            dy = (p - t) / (p * (1 - p)) / len(idx)")),
        ("R4-uses_bce_from_other_cell", _edit(
            "task_2_8", "            p = np.clip(p, 1e-12, 1 - 1e-12)\n"
                        "            dy = (p - y[idx]) / (p * (1 - p)) / len(idx)",
            "            dy = bce_loss_grad(p, y[idx]) / len(idx)")),
        ("R5-running_mean_loss", _edit(
            "task_2_8",
            "        for start in range(0, n, mb_size):",
            "        seen = []\n        for start in range(0, n, mb_size):",
            "            net.step(lr)\n",
            "            net.step(lr)\n            seen.append(bce(p, y[idx]))\n",
            "        history[\"train_loss\"].append(bce(p, y))",
            "        history[\"train_loss\"].append(float(np.mean(seen)))")),
        ("R5-accuracy_compares_probabilities", _edit(
            "task_2_8", "history[\"train_acc\"].append(float(np.mean((p >= 0.5) == (y == 1))))",
            "history[\"train_acc\"].append(float(np.mean(p == y)))",
            "history[\"test_acc\"].append(float(np.mean((p >= 0.5) == (y_test == 1))))",
            "history[\"test_acc\"].append(float(np.mean(p == y_test)))")),
        ("R5-accuracy_rounds_half_to_even", _edit(
            "task_2_8", "np.mean((p >= 0.5) == (y == 1))", "np.mean(np.round(p) == y)",
            "np.mean((p >= 0.5) == (y_test == 1))", "np.mean(np.round(p) == y_test)")),
        ("R5-loss_not_clipped", _edit("task_2_8", "    def bce(p, t):\n"
                                                  "        p = np.clip(p, 1e-12, 1 - 1e-12)\n",
                                      "    def bce(p, t):\n")),
        ("R5-measured_before_the_epoch", """
def fit(net, x, y, epochs, lr, mb_size, x_test=None, y_test=None, seed=0):
    def bce(p, t):
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return float(np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p))))

    rng = np.random.default_rng(seed)
    history = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    for epoch in range(epochs):
        for part, xs, ys in (("train", x, y), ("test", x_test, y_test)):
            if xs is not None:                   # measured before the epoch's updates
                p, _ = net.forward(xs)
                history[part + "_loss"].append(bce(p, ys))
                history[part + "_acc"].append(float(np.mean((p >= 0.5) == (ys == 1))))
        order = rng.permutation(len(x))
        for start in range(0, len(x), mb_size):
            idx = order[start:start + mb_size]
            p, trace = net.forward(x[idx])
            p = np.clip(p, 1e-12, 1 - 1e-12)
            net.backward(trace, (p - y[idx]) / (p * (1 - p)) / len(idx))
            net.step(lr)
    return history
"""),
        ("R6-no_shuffle", _edit("task_2_8", "order = rng.permutation(n)", "order = np.arange(n)")),
        ("R6-global_numpy_rng", _edit("task_2_8", "order = rng.permutation(n)",
                                      "order = np.random.permutation(n)")),
        ("R6-generator_made_every_epoch", _edit(
            "task_2_8", "        order = rng.permutation(n)",
            "        rng = np.random.default_rng(seed)\n        order = rng.permutation(n)")),
        ("R6-seed_ignored", _edit("task_2_8", "rng = np.random.default_rng(seed)",
                                  "rng = np.random.default_rng(0)")),
        ("R7-test_keys_only_with_test_data", _edit(
            "task_2_8",
            '    history = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}\n',
            '    history = {"train_loss": [], "train_acc": []}\n'
            '    if x_test is not None:\n'
            '        history.update(test_loss=[], test_acc=[])\n')),
    ],
    "task_2_9": [
        ("R2-log_softmax_naive", _edit("task_2_9",
                                       "    shifted = z - z.max(axis=1, keepdims=True)\n"
                                       "    return shifted - np.log(np.exp(shifted).sum(axis=1, "
                                       "keepdims=True))",
                                       "    return np.log(np.exp(z) / np.exp(z).sum(axis=1, "
                                       "keepdims=True))")),
        ("R10-shifts_z_in_place", _edit("task_2_9",
                                        "    shifted = z - z.max(axis=1, keepdims=True)\n",
                                        "    z -= z.max(axis=1, keepdims=True)\n"
                                        "    shifted = z\n")),
        ("R1-normalised_over_the_batch", _edit("task_2_9",
                                               "    shifted = z - z.max(axis=1, keepdims=True)\n"
                                               "    return shifted - np.log(np.exp(shifted).sum("
                                               "axis=1, keepdims=True))",
                                               "    shifted = z - z.max(axis=0, keepdims=True)\n"
                                               "    return shifted - np.log(np.exp(shifted).sum("
                                               "axis=0, keepdims=True))")),
        ("R1-forgets_the_log_sum_exp", _edit("task_2_9",
                                             "    return shifted - np.log(np.exp(shifted).sum("
                                             "axis=1, keepdims=True))",
                                             "    return shifted")),
        ("R2-shift_by_the_mean", _edit("task_2_9", "shifted = z - z.max(axis=1, keepdims=True)",
                                       "shifted = z - z.mean(axis=1, keepdims=True)")),
        ("R3-returns_the_loss_only", _edit("task_2_9", "    return loss, dz / n\n",
                                           "    return loss\n")),
        ("R3-returns_dz_then_loss", _edit("task_2_9", "    return loss, dz / n\n",
                                          "    return dz / n, loss\n")),
        ("R4-loss_summed", _edit("task_2_9", "loss = -logp[np.arange(n), y].mean()",
                                 "loss = -logp[np.arange(n), y].sum()")),
        ("R4-wrong_indexing", _edit("task_2_9", "loss = -logp[np.arange(n), y].mean()",
                                    "loss = -logp[:, y].mean()")),
        ("R5-dz_not_divided", _edit("task_2_9", "    return loss, dz / n\n",
                                    "    return loss, dz\n")),
        ("R5-dz_without_onehot", _edit("task_2_9", "    dz[np.arange(n), y] -= 1\n", "")),
        ("R5-dz_sign", _edit("task_2_9", "    return loss, dz / n\n", "    return loss, -dz / n\n")),
        ("R6-softmax_not_stable", _edit(
            "task_2_9", "    logp = log_softmax(z)\n    loss = -logp[np.arange(n), y].mean()\n"
                        "    dz = np.exp(logp)\n",
            "    e = np.exp(z)\n    p = e / e.sum(axis=1, keepdims=True)\n"
            "    loss = -np.log(p[np.arange(n), y]).mean()\n    dz = p.copy()\n")),
        ("R7-bce_summed", _edit("task_2_9", "return loss.mean(), (s - y) / z.size",
                                "return loss.sum(), (s - y)")),
        ("R7-bce_with_y_and_1_minus_y_swapped", _edit(
            "task_2_9", "loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))",
            "loss = np.maximum(z, 0) - z * (1 - y) + np.log1p(np.exp(-np.abs(z)))",
            "return loss.mean(), (s - y) / z.size", "return loss.mean(), (s - 1 + y) / z.size")),
        ("R8-dz_per_row", _edit("task_2_9", "return loss.mean(), (s - y) / z.size",
                                "return loss.mean(), (s - y) / len(z)")),
        ("R8-dz_through_the_bce", _edit("task_2_9", "return loss.mean(), (s - y) / z.size",
                                        "return loss.mean(), (s - y) / (s * (1 - s)) / z.size")),
        ("R9-clipped_probabilities", _edit(
            "task_2_9", "    loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))\n",
            "    p = np.clip(1 / (1 + np.exp(-z)), 1e-12, 1 - 1e-12)\n"
            "    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))\n")),
        ("R9-log_of_sigmoid", _edit(
            "task_2_9", "    loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))\n",
            "    p = 1 / (1 + np.exp(-z))\n"
            "    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))\n")),
        ("R9-softplus_overflows", _edit(
            "task_2_9", "np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))",
            "np.log1p(np.exp(z)) - z * y")),
    ],
    "task_2_10": [
        ("R2-not_inverted", _edit("task_2_10", "(self.rng.random(x.shape) >= self.p) / (1 - self.p)",
                                  "(self.rng.random(x.shape) >= self.p) * 1.0")),
        ("R5-drops_in_eval_mode", _edit("task_2_10", "        if not self.training:\n"
                                                     "            return x\n", "")),
        ("R1-keeps_with_probability_p", _edit("task_2_10", "self.rng.random(x.shape) >= self.p",
                                              "self.rng.random(x.shape) < self.p")),
        ("R1-one_mask_per_sample", _edit("task_2_10", "self.rng.random(x.shape) >= self.p",
                                         "self.rng.random((x.shape[0], 1)) >= self.p")),
        ("R2-divided_by_p", _edit("task_2_10", "/ (1 - self.p)", "/ self.p")),
        ("R3-global_generator", _edit("task_2_10", "self.rng.random(x.shape)",
                                      "np.random.random(x.shape)")),
        ("R3-one_mask_for_every_call", _edit(
            "task_2_10", "        self.mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)\n",
            "        if not hasattr(self, 'mask'):\n"
            "            self.mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)\n")),
        ("R4-backward_draws_a_new_mask", _edit(
            "task_2_10", "        return dy * self.mask\n",
            "        return dy * (self.rng.random(x.shape) >= self.p) / (1 - self.p)\n")),
        ("R4-backward_not_scaled", _edit("task_2_10", "        return dy * self.mask\n",
                                         "        return dy * (self.mask > 0)\n")),
        ("R5-eval_scales_by_keep_probability", _edit("task_2_10",
                                                     "            return x\n",
                                                     "            return x * (1 - self.p)\n")),
        ("R5-eval_backward_uses_the_mask", _edit("task_2_10",
                                                 "        if not self.training:\n"
                                                 "            return dy\n", "")),
    ],
    "task_2_11": [
        ("R2-running_var_biased", _edit("task_2_11", "m * var * n / (n - 1)", "m * var")),
        ("R4-backward_ignores_the_batch_statistics", _edit(
            "task_2_11", "        return self.gamma / std * (dy - dy.mean(axis=0) - x_hat * (dy * x_hat)"
                         ".mean(axis=0))\n",
            "        return dy * self.gamma / std\n")),
        ("R1-eps_outside_the_root", _edit("task_2_11",
                                          "/ np.sqrt(var + self.eps) + self.beta",
                                          "/ (np.sqrt(var) + self.eps) + self.beta")),
        ("R1-unbiased_variance", _edit("task_2_11", "mean, var = x.mean(axis=0), x.var(axis=0)\n"
                                                    "            n, m",
                                       "mean, var = x.mean(axis=0), x.var(axis=0, ddof=1)\n"
                                       "            n, m",
                                       "m * var * n / (n - 1)", "m * var")),
        ("R1-gamma_and_beta_swapped", _edit("task_2_11",
                                            "return self.gamma * (x - mean) / np.sqrt(var + self.eps) "
                                            "+ self.beta",
                                            "return self.beta * (x - mean) / np.sqrt(var + self.eps) "
                                            "+ self.gamma")),
        ("R2-momentum_on_the_old_value", _edit(
            "task_2_11",
            "            self.running_mean = (1 - m) * self.running_mean + m * mean\n"
            "            self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)\n",
            "            self.running_mean = m * self.running_mean + (1 - m) * mean\n"
            "            self.running_var = m * self.running_var + (1 - m) * var * n / (n - 1)\n")),
        ("R2-running_statistics_not_updated", _edit(
            "task_2_11",
            "            self.running_mean = (1 - m) * self.running_mean + m * mean\n"
            "            self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)\n",
            "")),
        ("R3-eval_uses_batch_statistics", _edit(
            "task_2_11",
            "        else:\n            mean, var = self.running_mean, self.running_var\n"
            "        return self.gamma",
            "        else:\n            mean, var = x.mean(axis=0), x.var(axis=0)\n"
            "        return self.gamma")),
        ("R3-eval_updates_running_statistics", _edit(
            "task_2_11",
            "        else:\n            mean, var = self.running_mean, self.running_var\n"
            "        return self.gamma",
            "        else:\n            mean, var = self.running_mean, self.running_var\n"
            "            self.running_mean = 0.9 * self.running_mean + 0.1 * x.mean(axis=0)\n"
            "        return self.gamma")),
        ("R4-backward_forgets_the_variance_path", _edit(
            "task_2_11", "(dy - dy.mean(axis=0) - x_hat * (dy * x_hat).mean(axis=0))",
            "(dy - dy.mean(axis=0))")),
        ("R5-dgamma_without_x_hat", _edit("task_2_11", "self.dgamma = (dy * x_hat).sum(axis=0)",
                                          "self.dgamma = dy.sum(axis=0)")),
        ("R5-gradients_averaged", _edit("task_2_11", "self.dgamma = (dy * x_hat).sum(axis=0)",
                                        "self.dgamma = (dy * x_hat).mean(axis=0)",
                                        "self.dbeta = dy.sum(axis=0)",
                                        "self.dbeta = dy.mean(axis=0)")),
        ("R6-eval_backward_uses_the_training_formula", _edit(
            "task_2_11", "        if not self.training:\n            return dy * self.gamma / std\n",
            "        if not self.training:\n"
            "            return self.gamma / std * (dy - dy.mean(axis=0))\n")),
        ("R6-eval_backward_without_gamma", _edit("task_2_11", "return dy * self.gamma / std",
                                                 "return dy / std")),
        ("R7-gradient_ascent_step", _edit("task_2_11", "self.gamma = self.gamma - lr * self.dgamma",
                                          "self.gamma = self.gamma + lr * self.dgamma")),
        ("R7-backward_steps", _edit(
            "task_2_11", "        self.dbeta = dy.sum(axis=0)\n",
            "        self.dbeta = dy.sum(axis=0)\n        self.beta = self.beta - 0.1 * self.dbeta\n")),
    ],
    "task_2_12": [
        ("R2-zero_init_true", _edit("task_2_12", "tf_zero_init = False", "tf_zero_init = True")),
        ("R1-strings_not_booleans", "tf_zero_init = 'False'\ntf_linear_stack = 'False'\n"
                                    "tf_minibatch = 'True'\ntf_smaller_eps = 'False'\n"
                                    "tf_paths_cancel = 'False'\ntf_bn_single = 'True'\n"),
        ("R1-one_unanswered", _edit("task_2_12", "tf_minibatch = True", "tf_minibatch = None")),
        ("R3-linear_stack_true", _edit("task_2_12", "tf_linear_stack = False",
                                       "tf_linear_stack = True")),
        ("R4-minibatch_false", _edit("task_2_12", "tf_minibatch = True", "tf_minibatch = False")),
        ("R5-smaller_eps_true", _edit("task_2_12", "tf_smaller_eps = False",
                                      "tf_smaller_eps = True")),
        ("R6-paths_cancel_true", _edit("task_2_12", "tf_paths_cancel = False",
                                       "tf_paths_cancel = True")),
        ("R7-bn_single_false", _edit("task_2_12", "tf_bn_single = True", "tf_bn_single = False")),
    ],
}


RIGHT = {
    "task_2_1": [
        ("base", BASE["task_2_1"]),
        ("arithmetic_and_ints", """
# my working
s3 = -0.1 * 1 + 0.5 * 2
s4 = 1 * 1 + (-1) * 2
s5 = 0 * 1 + (-2) * 2
a3, a4, a5 = max(s3, 0), 0, 0
s6 = 1 * a3 + 0.5 * a4 + (-1) * a5
y_hat = s6
delta6 = y_hat - 1
delta3 = delta6 * 1
delta4 = 0
delta5 = -0.0
dL_dw32 = delta3 * 2
"""),
        ("numpy_numbers", """
s3, s4, s5 = np.array([[-0.1, 0.5], [1, -1], [0, -2]]) @ np.array([1.0, 2.0])
a3, a4, a5 = np.maximum([s3, s4, s5], 0)
s6 = np.dot([1, 0.5, -1], [a3, a4, a5])
y_hat = s6
delta6 = y_hat - 1.0
delta3, delta4, delta5 = delta6 * np.array([1, 0.5, -1]) * (np.array([s3, s4, s5]) > 0)
dL_dw32 = delta3 * 2.0
"""),
    ],
    "task_2_2": [
        ("base", BASE["task_2_2"]),
        ("vectorised", """
TINY_W0 = {"w1": 0.7, "w2": 1.3, "w3": 1.5, "w4": 0.1, "w5": 0.0, "w6": 0.0,
           "w7": 0.7, "w8": 0.8, "w9": 0.0}
NAMES = ["w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9"]


def tiny_loss_and_grads(w):
    v = np.array([w[k] for k in NAMES])
    inputs = np.array([1.0, 1.0, 1.0])            # x1, x2, b1
    W = np.array([[v[0], v[2], v[4]], [v[1], v[3], v[5]]])
    h = 1 / (1 + np.exp(-(W @ inputs)))
    y_hat = v[6:8] @ h + v[8]
    err = y_hat - 1
    dz = err * v[6:8] * h * (1 - h)
    dW = np.outer(dz, inputs)
    g = np.array([dW[0, 0], dW[1, 0], dW[0, 1], dW[1, 1], dW[0, 2], dW[1, 2],
                  err * h[0], err * h[1], err])
    return 0.5 * err ** 2, dict(zip(NAMES, g))


def train_tiny_net(eta, steps):
    w = TINY_W0.copy()
    out = np.zeros(steps)
    for t in range(steps):
        out[t], g = tiny_loss_and_grads(w)
        w = {k: w[k] - eta * g[k] for k in NAMES}
    return out


tiny_loss0 = tiny_loss_and_grads(TINY_W0)[0]
tiny_grads = tiny_loss_and_grads(TINY_W0)[1]
"""),
        ("hand_numbers", """
TINY_W0 = {"w1": 0.7, "w2": 1.3, "w3": 1.5, "w4": 0.1, "w5": 0.0, "w6": 0.0,
           "w7": 0.7, "w8": 0.8, "w9": 0.0}


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def tiny_loss_and_grads(w):
    z1 = w["w1"] + w["w3"] + w["w5"]
    z2 = w["w2"] + w["w4"] + w["w6"]
    h1, h2 = sig(z1), sig(z2)
    out = w["w7"] * h1 + w["w8"] * h2 + w["w9"]
    dout = out - 1
    grads = {}
    for k in ("w1", "w3", "w5"):
        grads[k] = float(dout * w["w7"] * sig(z1) * (1 - sig(z1)))
    for k in ("w2", "w4", "w6"):
        grads[k] = float(dout * w["w8"] * sig(z2) * (1 - sig(z2)))
    grads["w7"], grads["w8"], grads["w9"] = float(dout * h1), float(dout * h2), float(dout)
    return float((out - 1) ** 2 / 2), grads


def train_tiny_net(eta, steps):
    w, losses = dict(TINY_W0), []
    for _ in range(steps):
        loss, g = tiny_loss_and_grads(w)
        losses.append(loss)
        for k in g:
            w[k] -= eta * g[k]        # g was computed before this loop: a simultaneous update
    return losses


tiny_loss0 = 0.03697072408
tiny_grads = {"w1": 0.01709306, "w2": 0.0345199, "w3": 0.01709306, "w4": 0.0345199,
              "w5": 0.01709306, "w6": 0.0345199, "w7": 0.24479744, "w8": 0.21813126,
              "w9": 0.27192177}
tiny_grads = tiny_loss_and_grads(TINY_W0)[1]   # checked against my hand computation above
"""),
    ],
    "task_2_3": [
        ("base", BASE["task_2_3"]),
        ("per_sample_loop", """
def minibatch_step(W1, b1, W2, b2, X, Y, lr):
    n = X.shape[0]
    Z1, A1, y_hat = [], [], []
    gW1, gb1 = np.zeros_like(W1), np.zeros_like(b1)
    gW2, gb2 = np.zeros_like(W2), 0.0
    for x, t in zip(X, Y):
        z = W1 @ x + b1
        a = np.maximum(z, 0)
        out = (W2 @ a)[0] + b2
        Z1.append(z)
        A1.append(a)
        y_hat.append(out)
        d = out - t
        gW2 += d * a[None, :]
        gb2 += d
        dz = d * W2[0] * (z > 0)
        gW1 += np.outer(dz, x)
        gb1 += dz
    return {"Z1": np.array(Z1), "A1": np.array(A1), "y_hat": np.array(y_hat),
            "W1": W1 - lr * gW1 / n, "b1": b1 - lr * gb1 / n,
            "W2": W2 - lr * gW2 / n, "b2": b2 - lr * gb2 / n}
"""),
        ("einsum", """
def minibatch_step(W1, b1, W2, b2, X, Y, lr):
    Z1 = np.einsum("hd,nd->nh", W1, X) + b1
    A1 = np.where(Z1 > 0, Z1, 0.0)
    y_hat = np.einsum("h,nh->n", W2[0], A1) + b2
    d = (y_hat - Y) / len(Y)                 # mean over the batch folded in here
    dZ1 = np.einsum("n,h->nh", d, W2[0]) * (Z1 > 0)
    return {"Z1": Z1, "A1": A1, "y_hat": y_hat,
            "W1": W1 - lr * np.einsum("nh,nd->hd", dZ1, X), "b1": b1 - lr * dZ1.sum(0),
            "W2": W2 - lr * (d @ A1)[None], "b2": np.array([b2 - lr * d.sum()])}
"""),
    ],
    "task_2_4": [
        ("base", BASE["task_2_4"]),
        ("flat_copies", """
def numerical_gradient(f, x, eps=1e-5):
    flat = x.reshape(-1)
    grad = np.empty(flat.size)
    for k in range(flat.size):
        plus, minus = flat.copy(), flat.copy()
        plus[k] += eps
        minus[k] -= eps
        grad[k] = (f(plus.reshape(x.shape)) - f(minus.reshape(x.shape))) / (2 * eps)
    return grad.reshape(x.shape)


def rel_error(a, b):
    a, b = np.ravel(a), np.ravel(b)
    denom = np.sqrt(np.sum(a ** 2)) + np.sqrt(np.sum(b ** 2))
    if denom == 0:
        return 0.0
    return float(np.sqrt(np.sum((a - b) ** 2)) / denom)
"""),
        ("ndindex_with_floor", """
def numerical_gradient(f, x, eps=1e-5):
    g = np.zeros(x.shape)
    for i in np.ndindex(*x.shape):
        e = np.zeros(x.shape)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def rel_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)
"""),
    ],
    "task_2_5": [
        ("base", BASE["task_2_5"]),
        ("tanh_where_log1p", """
def sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def sigmoid_grad(x):
    return np.exp(-x) / (1 + np.exp(-x)) ** 2


def relu(x):
    return np.where(x > 0, x, 0.0)


def relu_grad(x):
    return np.heaviside(x, 0.0)


def bce_loss(y_hat, y):
    p = np.minimum(np.maximum(y_hat, 1e-7), 1 - 1e-7)
    return -y * np.log(p) - (1 - y) * np.log1p(-p)


def bce_loss_grad(y_hat, y):
    p = np.minimum(np.maximum(y_hat, 1e-7), 1 - 1e-7)
    return (p - y) / (p - p ** 2)
"""),
        ("eps_added", """
EPS = 1e-10


def sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s - s ** 2


def relu(x):
    return x * (x > 0)


def relu_grad(x):
    return 1.0 * (x > 0)


def bce_loss(y_hat, y):
    return -(y * np.log(y_hat + EPS) + (1 - y) * np.log(1 - y_hat + EPS))


def bce_loss_grad(y_hat, y):
    return -y / (y_hat + EPS) + (1 - y) / (1 - y_hat + EPS)
"""),
    ],
    "task_2_6": [
        ("base", BASE["task_2_6"]),
        ("in_place_and_cached", """
class Linear:
    def __init__(self, n_in, n_out, rng):
        limit = (6.0 / (n_in + n_out)) ** 0.5
        self.W = limit * (2 * rng.random((n_in, n_out)) - 1)
        self.b = np.zeros((n_out,))
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b

    def backward(self, x, dy):
        self.dW = np.dot(x.T, dy)
        self.db = np.sum(dy, axis=0)
        return np.dot(dy, self.W.T)

    def step(self, lr):
        self.W -= lr * self.dW
        self.b -= lr * self.db


class Sigmoid:
    def forward(self, x):
        return 0.5 * (1 + np.tanh(x / 2))

    def backward(self, x, dy):
        s = self.forward(x)
        return dy * (s - s * s)

    def step(self, lr):
        return None


class ReLU:
    def forward(self, x):
        return np.where(x > 0, x, 0.0)

    def backward(self, x, dy):
        return np.where(x > 0, dy, 0.0)

    def step(self, lr):
        return None
"""),
        ("einsum_and_base_class", """
class Layer:
    def step(self, lr):
        pass


class Linear(Layer):
    def __init__(self, n_in, n_out, rng):
        bound = np.sqrt(6 / (n_in + n_out))
        self.W = rng.uniform(low=-bound, high=bound, size=(n_in, n_out))
        self.b = np.zeros(n_out)

    def forward(self, x):
        return np.einsum("ni,io->no", x, self.W) + self.b

    def backward(self, x, dy):
        self.dW = np.einsum("ni,no->io", x, dy)
        self.db = np.einsum("no->o", dy)
        return np.einsum("no,io->ni", dy, self.W)

    def step(self, lr):
        for name in ("W", "b"):
            setattr(self, name, getattr(self, name) - lr * getattr(self, "d" + name))


class Sigmoid(Layer):
    def forward(self, x):
        return 1 / (1 + np.exp(-x))

    def backward(self, x, dy):
        y = self.forward(x)
        return y * (1 - y) * dy


class ReLU(Layer):
    def forward(self, x):
        return np.clip(x, 0, None)

    def backward(self, x, dy):
        out = dy.copy()
        out[x <= 0] = 0
        return out
"""),
    ],
    "task_2_7": [
        ("base", BASE["task_2_7"]),
        ("index_loops", """
class Net:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        trace = [None] * len(self.layers)
        for i in range(len(self.layers)):
            trace[i] = x
            x = self.layers[i].forward(x)
        return x, trace

    def backward(self, trace, dy):
        for i in range(len(self.layers) - 1, -1, -1):
            dy = self.layers[i].backward(trace[i], dy)
        return dy

    def step(self, lr):
        for i in range(len(self.layers)):
            self.layers[i].step(lr)
"""),
        ("skips_parameterless_layers", """
class Net:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        inputs = []
        out = x
        for layer in self.layers:
            inputs.append(out)
            out = layer.forward(out)
        return out, inputs

    def backward(self, trace, dy):
        grad = dy
        for layer, inp in reversed(list(zip(self.layers, trace))):
            grad = layer.backward(inp, grad)
        return grad

    def step(self, lr):
        for layer in self.layers:
            if hasattr(layer, "W"):
                layer.step(lr)
"""),
    ],
    "task_2_8": [
        ("base", BASE["task_2_8"]),
        ("shuffle_in_place_while_loop", """
def fit(net, x, y, epochs, lr, mb_size, x_test=None, y_test=None, seed=0):
    rng = np.random.default_rng(seed + 1)
    keys = ["train_loss", "train_acc", "test_loss", "test_acc"]
    history = {k: [] for k in keys}

    def evaluate(xs, ys):
        p, _ = net.forward(xs)
        p = np.clip(p, 1e-12, 1 - 1e-12)
        loss = -np.mean(ys * np.log(p) + (1 - ys) * np.log1p(-p))
        acc = np.mean(np.where(p >= 0.5, 1.0, 0.0) == ys)
        return float(loss), float(acc)

    idx = np.arange(len(x))
    for _ in range(epochs):
        rng.shuffle(idx)
        start = 0
        while start < len(x):
            b = idx[start:start + mb_size]
            start += mb_size
            p, trace = net.forward(x[b])
            p = np.clip(p, 1e-12, 1 - 1e-12)
            grad = (-y[b] / p + (1 - y[b]) / (1 - p)) / b.size
            net.backward(trace, grad)
            net.step(lr)
        for part, xs, ys in (("train", x, y), ("test", x_test, y_test)):
            if xs is not None:
                loss, acc = evaluate(xs, ys)
                history[part + "_loss"].append(loss)
                history[part + "_acc"].append(acc)
    return history
"""),
        ("batches_listed_first", """
def fit(net, x, y, epochs, lr, mb_size, x_test=None, y_test=None, seed=0):
    gen = np.random.default_rng(seed)
    train_loss, train_acc, test_loss, test_acc = [], [], [], []

    def scores(xs, ys):
        p = np.clip(net.forward(xs)[0], 1e-12, 1 - 1e-12)
        loss = np.mean(-ys * np.log(p) - (1 - ys) * np.log(1 - p))
        return loss, np.mean((p >= 0.5).astype(float) == ys)

    for epoch in range(epochs):
        perm = gen.permutation(x.shape[0])
        batches = [perm[i:i + mb_size] for i in range(0, len(perm), mb_size)]
        for b in batches:
            out, trace = net.forward(x[b])
            out = np.clip(out, 1e-12, 1 - 1e-12)
            net.backward(trace, (out - y[b]) / (out * (1 - out) * len(b)))
            net.step(lr)
        loss, acc = scores(x, y)
        train_loss.append(loss)
        train_acc.append(acc)
        if x_test is not None and y_test is not None:
            loss, acc = scores(x_test, y_test)
            test_loss.append(loss)
            test_acc.append(acc)
    return {"train_loss": np.array(train_loss), "train_acc": np.array(train_acc),
            "test_loss": np.array(test_loss), "test_acc": np.array(test_acc)}
"""),
        ("evaluated_in_chunks_array_split", """
def fit(net, x, y, epochs, lr, mb_size, x_test=None, y_test=None, seed=0):
    rng = np.random.default_rng(seed)
    history = {key: [] for key in ("train_loss", "train_acc", "test_loss", "test_acc")}

    def predict(xs):                      # in chunks, as one would for a large set
        return np.concatenate([net.forward(xs[i:i + 7])[0] for i in range(0, len(xs), 7)])

    def record(part, xs, ys):
        p = predict(xs)
        q = np.clip(p, 1e-12, 1 - 1e-12)
        history[part + "_loss"].append(float(-np.mean(ys * np.log(q) + (1 - ys) * np.log(1 - q))))
        history[part + "_acc"].append(float(np.mean((p >= 0.5) == (ys == 1))))

    for _ in range(epochs):
        perm = rng.permutation(len(x))
        for batch in np.array_split(perm, np.arange(mb_size, len(x), mb_size)):
            p, trace = net.forward(x[batch])
            q = np.clip(p, 1e-12, 1 - 1e-12)
            net.backward(trace, (q - y[batch]) / (q * (1 - q)) / len(batch))
            net.step(lr)
        record("train", x, y)
        if x_test is not None:
            record("test", x_test, y_test)
    return history
"""),
    ],
    "task_2_9": [
        ("base", BASE["task_2_9"]),
        ("logsumexp_by_hand_and_one_hot", """
def log_softmax(z):
    top = np.max(z, axis=-1)[:, None]
    return z - (top + np.log(np.sum(np.exp(z - top), axis=-1))[:, None])


def softmax_cross_entropy(z, y):
    n, c = z.shape
    onehot = np.eye(c)[y]
    logp = log_softmax(z)
    loss = float(-(onehot * logp).sum() / n)
    return loss, (np.exp(logp) - onehot) / n


def bce_with_logits(z, y):
    # log(1 + e^z) - z y, written so that exp never overflows
    softplus = np.logaddexp(0.0, z)
    sig = np.exp(z - softplus)
    return float(np.mean(softplus - z * y)), (sig - y) / np.size(z)
"""),
        ("loops_and_stable_sigmoid", """
def log_softmax(z):
    out = np.empty_like(z, dtype=float)
    for n in range(z.shape[0]):
        row = z[n] - np.max(z[n])
        out[n] = row - np.log(np.sum(np.exp(row)))
    return out


def softmax_cross_entropy(z, y):
    p = np.exp(log_softmax(z))
    losses = [-np.log(p[n, y[n]]) if p[n, y[n]] > 0 else -log_softmax(z)[n, y[n]]
              for n in range(len(y))]
    dz = p.copy()
    for n in range(len(y)):
        dz[n, y[n]] -= 1.0
    return np.float64(np.mean(losses)), dz / len(y)


def sigmoid_stable(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def bce_with_logits(z, y):
    log_p = -np.logaddexp(0, -z)            # log sigmoid(z)
    log_q = -np.logaddexp(0, z)             # log (1 - sigmoid(z))
    loss = -(y * log_p + (1 - y) * log_q)
    return np.array(loss.mean()), (sigmoid_stable(z) - y) / z.size
"""),
    ],
    "task_2_10": [
        ("base", BASE["task_2_10"]),
        ("binomial_mask_and_stored_keep", """
class Dropout:
    def __init__(self, p, rng):
        self.p = p
        self.rng = rng
        self.training = True

    def forward(self, x):
        if self.training:
            self.keep = self.rng.binomial(1, 1 - self.p, size=x.shape).astype(bool)
            return np.where(self.keep, x / (1 - self.p), 0.0)
        return x.copy()

    def backward(self, x, dy):
        if self.training:
            return np.where(self.keep, dy / (1 - self.p), 0.0)
        return dy.copy()

    def step(self, lr):
        pass
"""),
        ("uniform_draws", """
class Dropout:
    def __init__(self, p, rng):
        self.p = p
        self.rng = rng
        self.training = True

    def forward(self, x):
        scale = 1.0
        mask = np.ones_like(x)
        if self.training:
            mask = (self.rng.uniform(0, 1, size=x.shape) > self.p).astype(float)
            scale = 1 / (1 - self.p)
        self.mask, self.scale = mask, scale
        return x * mask * scale

    def backward(self, x, dy):
        return dy * self.mask * self.scale if self.training else dy

    def step(self, lr):
        pass
"""),
    ],
    "task_2_11": [
        ("base", BASE["task_2_11"]),
        ("cached_forward_and_long_backward", """
class BatchNorm:
    def __init__(self, n, momentum=0.1, eps=1e-5):
        self.gamma, self.beta = np.ones(n), np.zeros(n)
        self.running_mean, self.running_var = np.zeros(n), np.ones(n)
        self.momentum, self.eps = momentum, eps
        self.training = True

    def forward(self, x):
        if self.training:
            mu = np.mean(x, axis=0)
            var = np.mean((x - mu) ** 2, axis=0)
            n = x.shape[0]
            self.running_mean *= 1 - self.momentum
            self.running_mean += self.momentum * mu
            self.running_var *= 1 - self.momentum
            self.running_var += self.momentum * var * n / (n - 1)
        else:
            mu, var = self.running_mean, self.running_var
        self.cache = (x, mu, var)
        return self.gamma * (x - mu) / np.sqrt(var + self.eps) + self.beta

    def backward(self, x, dy):
        x, mu, var = self.cache
        n = x.shape[0]
        inv = 1 / np.sqrt(var + self.eps)
        x_hat = (x - mu) * inv
        self.dgamma = np.sum(dy * x_hat, axis=0)
        self.dbeta = np.sum(dy, axis=0)
        dx_hat = dy * self.gamma
        if not self.training:
            return dx_hat * inv
        # the long way: through x directly, through the variance and through the mean
        dvar = np.sum(dx_hat * (x - mu), axis=0) * -0.5 * inv ** 3
        dmu = np.sum(-dx_hat * inv, axis=0) + dvar * np.mean(-2 * (x - mu), axis=0)
        return dx_hat * inv + dvar * 2 * (x - mu) / n + dmu / n

    def step(self, lr):
        self.gamma -= lr * self.dgamma
        self.beta -= lr * self.dbeta
"""),
        ("statistics_helper", """
class BatchNorm:
    def __init__(self, n, momentum=0.1, eps=1e-5):
        self.gamma, self.beta = np.ones(n), np.zeros(n)
        self.running_mean, self.running_var = np.zeros(n), np.ones(n)
        self.momentum, self.eps = momentum, eps
        self.training = True

    def _stats(self, x):
        if self.training:
            return x.mean(0), x.var(0)
        return self.running_mean, self.running_var

    def forward(self, x):
        mean, var = self._stats(x)
        if self.training:
            n, m = x.shape[0], self.momentum
            self.running_mean = self.running_mean + m * (mean - self.running_mean)
            self.running_var = self.running_var + m * (x.var(0, ddof=1) - self.running_var)
        return (x - mean) / np.sqrt(var + self.eps) * self.gamma + self.beta

    def backward(self, x, dy):
        mean, var = self._stats(x)
        x_hat = (x - mean) / np.sqrt(var + self.eps)
        self.dgamma, self.dbeta = np.einsum("ij,ij->j", dy, x_hat), dy.sum(0)
        g = dy * self.gamma / np.sqrt(var + self.eps)
        if self.training:
            g = g - g.mean(0) - x_hat * (g * x_hat).mean(0)
        return g

    def step(self, lr):
        self.gamma = self.gamma - lr * self.dgamma
        self.beta = self.beta - lr * self.dbeta
"""),
    ],
    "task_2_12": [
        ("base", BASE["task_2_12"]),
        ("numpy_bools_and_comments", """
# zero init: symmetric units and no gradient through the ReLU
tf_zero_init = bool(0)
tf_linear_stack = np.bool_(False)
tf_minibatch = 1 == 1
tf_smaller_eps = not True
tf_paths_cancel = False   # a maximum is possible too
tf_bn_single = True
"""),
    ],
}
