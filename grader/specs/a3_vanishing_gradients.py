"""Assignment 3: vanishing gradients in PyTorch.

Reference implementations live here (trusted side) and import torch lazily, so loading the
spec stays cheap until a check needs an expected value. Probe code runs in the student's
kernel; every probe builds its own small models and data from the check's inputs, because a
task cell is graded on its own (the student's `ANN_relu` is not there when `train_epoch` is
graded). Answers are made plain inside the probes (Python floats, NumPy arrays), so a student
may return floats, NumPy scalars or 0-d tensors where a number is asked for.
"""
import numpy as np

from ..checks import Assignment, Task, boolean, probe
from ..wire import Like

# ------------------------------------------------------------------ probe-side helpers

PLAIN = '''
import numpy as np

def _g_float(v):
    """A number as a Python float (floats, NumPy scalars, 0-d arrays and 1-element tensors)."""
    if type(v) in (int, float) or isinstance(v, np.generic):
        return float(v)
    if type(v) is np.ndarray and v.size == 1:
        return float(v.reshape(-1)[0])
    if type(v).__module__.startswith("torch") and hasattr(v, "numel") and v.numel() == 1:
        return float(v.item())
    return v

def _g_arr(seq):
    """A sequence of numbers (list, tuple, 1-D array or tensor) as a 1-D float array."""
    if type(seq).__module__.startswith("torch") and hasattr(seq, "detach"):
        seq = seq.detach().cpu().numpy()
    if type(seq) not in (list, tuple) and not (type(seq) is np.ndarray and seq.ndim == 1):
        return seq
    values = [_g_float(v) for v in seq]
    if not all(type(v) is float for v in values):
        return values
    return np.array(values, dtype=float)
'''

# A stand-in for ANN_sigmoid with small layers; the train_epoch/evaluate probes use it. It
# records, for every forward call, whether the model was in training mode and whether
# autograd was recording.
NET = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

class _GNet(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.linear1 = nn.Linear(sizes[0], sizes[1])
        self.linear2 = nn.Linear(sizes[1], sizes[2])
        self.linear3 = nn.Linear(sizes[2], sizes[3])
        self.linear4 = nn.Linear(sizes[3], sizes[4])
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, torch.is_grad_enabled()))
        x = torch.sigmoid(self.linear1(x))
        x = torch.sigmoid(self.linear2(x))
        x = torch.sigmoid(self.linear3(x))
        return F.log_softmax(self.linear4(x), dim=1)

def _g_setup(I):
    torch.manual_seed(0)
    net = _GNet(I["sizes"])
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.as_tensor(I["params"][name]))
    data = TensorDataset(torch.as_tensor(I["X"]), torch.as_tensor(I["y"]))
    return net, DataLoader(data, batch_size=I["batch_size"], shuffle=False)

def _g_params(net):
    return {name: p.detach().cpu().numpy().copy() for name, p in net.named_parameters()}
'''

# nn.Sequential models built from weight lists: Linear, activation, ..., Linear.
SEQ = '''
import torch
import torch.nn as nn

def _g_seq(weights, biases, activation):
    act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}[activation]
    layers = []
    for k, (W, b) in enumerate(zip(weights, biases)):
        lin = nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(W))
            lin.bias.copy_(torch.as_tensor(b))
        layers.append(lin)
        if k < len(weights) - 1:
            layers.append(act())
    return nn.Sequential(*layers)

def _g_layout(model):
    rows = []
    for m in model:
        row = [type(m).__name__]
        if isinstance(m, nn.Linear):
            row += [m.in_features, m.out_features]
        elif isinstance(m, nn.BatchNorm1d):
            row += [m.num_features]
        rows.append(row)
    return rows
'''

# Reference solutions, exec'd (with NET and SEQ) into one namespace on first use.
REF = '''
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def sigmoid_grad_max_ref():
    z = np.linspace(-10, 10, 20001)
    s = 1 / (1 + np.exp(-z))
    return float(np.max(s * (1 - s)))


def gradient_bound(depth, w_max):
    return float((0.25 * w_max) ** depth)


class ANN_relu(nn.Module):
    def __init__(self, D_in, D_out):
        super().__init__()
        self.linear1 = nn.Linear(D_in, 512)
        self.linear2 = nn.Linear(512, 1024)
        self.linear3 = nn.Linear(1024, 512)
        self.linear4 = nn.Linear(512, D_out)

    def forward(self, x):
        x = x.flatten(start_dim=1)
        x = F.relu(self.linear1(x))
        x = F.relu(self.linear2(x))
        x = F.relu(self.linear3(x))
        return F.log_softmax(self.linear4(x), dim=1)


def train_epoch(model, loader, optimizer, device, log_interval=100):
    model.train()
    stats = {"linear1": [], "linear2": [], "linear3": [], "loss": []}
    correct = seen = 0
    for data, target in loader:
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        for name in ("linear1", "linear2", "linear3"):
            stats[name].append(getattr(model, name).weight.grad.abs().mean().item())
        optimizer.step()
        stats["loss"].append(loss.item())
        correct += (output.argmax(dim=1) == target).sum().item()
        seen += len(target)
    stats["accuracy"] = correct / seen
    return stats


def evaluate(model, loader, device):
    model.eval()
    total = correct = seen = 0
    with torch.no_grad():
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            total += F.nll_loss(output, target, reduction="sum").item()
            correct += (output.argmax(dim=1) == target).sum().item()
            seen += len(target)
    return total / seen, correct / seen


def make_mlp(depth, width, activation, in_features=64, out_features=10, batch_norm=False,
             init="xavier"):
    act = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}[activation]
    layers, size = [], in_features
    for _ in range(depth):
        layers.append(nn.Linear(size, width))
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(act())
        size = width
    layers.append(nn.Linear(size, out_features))
    for layer in layers:
        if isinstance(layer, nn.Linear):
            if init == "xavier":
                nn.init.xavier_uniform_(layer.weight)
            elif init == "kaiming":
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            elif init == "uniform":
                nn.init.uniform_(layer.weight, -1.0, 1.0)
            nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


def gradient_ratio(model, X, y):
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    model.zero_grad()
    F.cross_entropy(model(X), y).backward()
    first = linears[0].weight.grad.abs().mean()
    last = linears[-1].weight.grad.abs().mean()
    return (first / last).item()


def activation_variances(init, activation, depth=5, width=512, n=1024):
    std = {"normal_0.01": 0.01, "normal_0.1": 0.1, "1/d_in": (1 / width) ** 0.5,
           "xavier": (2 / (width + width)) ** 0.5, "kaiming": (2 / width) ** 0.5}[init]
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[activation]
    variances = []
    with torch.no_grad():
        h = torch.randn(n, width)
        for _ in range(depth):
            h = act(h @ (torch.randn(width, width) * std).T)
            variances.append(h.var().item())
    return variances


def dead_relu_fraction(model, X):
    fractions, h = [], X
    with torch.no_grad():
        for layer in model:
            h = layer(h)
            if isinstance(layer, nn.ReLU):
                fractions.append((h == 0).all(dim=0).float().mean().item())
    return fractions
'''

_NS = {}


def _ref():
    """The reference namespace (imports torch on first use)."""
    if not _NS:
        exec(NET + SEQ + REF, _NS)
    return _NS


# ------------------------------------------------------------------ task 3.1: the 1/4 bound

_SGM = PLAIN + "OUT = {'value': _g_float(sigmoid_grad_max)}"
_GB = PLAIN + "OUT = {'value': _g_arr([gradient_bound(d, w) for d, w in I['cases']])}"
_GB_SMALL = [[1, 1.0], [2, 1.0], [3, 2.0], [1, 4.0], [0, 3.0]]
_GB_LARGE = [[20, 1.0], [10, 0.5], [3, 8.0], [6, 4.0], [5, 6.0]]


def _gb_ref(cases):
    return {"value": np.array([(0.25 * w) ** d for d, w in cases], dtype=float)}


task_1 = Task("task_3_1", "The 1/4 bound of the sigmoid's derivative", [
    probe("`sigmoid_grad_max`", _SGM, points=1, public=True, requires={"value": Like("float")}),
    probe("`sigmoid_grad_max`", _SGM, expected={"value": 0.25}, points=2, rtol=0, atol=1e-4),
    probe("`gradient_bound(10, 1.0)`", PLAIN + "OUT = {'value': _g_float(gradient_bound(10, 1.0))}",
          expected={"value": 0.25 ** 10}, points=1, public=True, rtol=1e-4, verb="returned"),
    probe("`gradient_bound` for shallow networks", _GB, inputs={"cases": _GB_SMALL},
          ref=_gb_ref, points=2, rtol=1e-4, atol=0, verb="returned",
          subject="`gradient_bound`"),
    probe("`gradient_bound` for deep networks and large weights", _GB,
          inputs={"cases": _GB_LARGE}, ref=_gb_ref, points=2, rtol=1e-4, atol=0,
          verb="returned", subject="`gradient_bound`"),
])


# ------------------------------------------------------------------ task 3.2: ANN_relu

# Weights come from a seeded torch generator inside the probe (1.5 M numbers are not worth
# sending); the reference draws the same ones.
WEIGHTS = '''
import torch

def _g_weights(D_in, D_out, seed):
    g = torch.Generator().manual_seed(seed)
    sizes = [D_in, 512, 1024, 512, D_out]
    state = {}
    for k in range(4):
        fan_in, fan_out = sizes[k], sizes[k + 1]
        scale = (2.0 / fan_in) ** 0.5
        state[f"linear{k + 1}.weight"] = torch.randn(fan_out, fan_in, generator=g) * scale
        state[f"linear{k + 1}.bias"] = torch.randn(fan_out, generator=g) * 0.1
    return state

def _g_outputs(cls, I):
    model = cls(I["D_in"], I["D_out"])
    model.load_state_dict(_g_weights(I["D_in"], I["D_out"], I["seed"]))
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(I["X"])).detach().cpu().numpy().astype(float)
'''

_ANN_LAYOUT = '''
import torch
_m = ANN_relu(784, 10)
OUT = {"value": [[k, list(v.shape)] for k, v in sorted(_m.state_dict().items())]}
'''

_ANN_SHAPE = '''
import torch
_m = ANN_relu(784, 10)
with torch.no_grad():
    OUT = {"value": _m(torch.rand(3, 1, 28, 28))}
'''

_ANN_OUT = PLAIN + WEIGHTS + 'OUT = {"value": _g_outputs(ANN_relu, I)}'
_ANN_SUM = PLAIN + WEIGHTS + 'OUT = {"value": np.exp(_g_outputs(ANN_relu, I)).sum(axis=1)}'


def _ann_layout():
    return {"value": [[f"linear{k}.{p}", shape] for k, (o, i) in
                      enumerate([(512, 784), (1024, 512), (512, 1024), (10, 512)], 1)
                      for p, shape in (("bias", [o]), ("weight", [o, i]))]}


def _ann_inputs(D_in, D_out, n, images):
    def inputs(rng):
        shape = (n, 1, 28, 28) if images else (n, D_in)
        X = rng.normal(size=shape).astype(np.float32)
        return {"D_in": D_in, "D_out": D_out, "seed": int(rng.integers(2 ** 31)), "X": X}
    return inputs


def _ann_ref(**inputs):
    ns = _ref()
    exec(WEIGHTS, ns)
    return {"value": ns["_g_outputs"](ns["ANN_relu"], inputs)}


task_2 = Task("task_3_2", "A ReLU network", [
    probe("`ANN_relu(784, 10)` has layers `linear1` ... `linear4` of the right sizes",
          _ANN_LAYOUT, expected=_ann_layout(), points=2, public=True,
          subject="the parameters of `ANN_relu(784, 10)`"),
    probe("`ANN_relu(784, 10)` on a batch of 3 images", _ANN_SHAPE, points=1, public=True,
          requires={"value": Like("tensor", shape=(3, 10), dtype="float")},
          subject="the output"),
    probe("`ANN_relu` outputs with given weights, on hidden inputs", _ANN_OUT,
          inputs=_ann_inputs(20, 7, 6, images=False), ref=_ann_ref, points=4,
          rtol=1e-4, atol=1e-5, subject="the output of `ANN_relu(20, 7)`", verb="has"),
    probe("`ANN_relu` outputs with given weights, on hidden images", _ANN_OUT,
          inputs=_ann_inputs(784, 10, 4, images=True), ref=_ann_ref, points=3,
          rtol=1e-4, atol=1e-5, subject="the output of `ANN_relu(784, 10)`", verb="has"),
    probe("`ANN_relu` returns log-probabilities (their exponentials sum to 1)", _ANN_SUM,
          inputs=_ann_inputs(20, 7, 6, images=False), expected={"value": np.ones(6)}, points=2,
          rtol=1e-4, atol=1e-5,
          subject="the sum of exp(output) over the classes", verb="is"),
])


# ------------------------------------------------------------------ task 3.3: train_epoch

def _net_inputs(sizes, n, batch_size, scale=1.0, **extra):
    """Weights, data and labels for a `_GNet`; labels come from a random linear teacher."""
    def inputs(rng):
        params = {}
        for k in range(4):
            fan_in, fan_out = sizes[k], sizes[k + 1]
            params[f"linear{k + 1}.weight"] = (rng.normal(size=(fan_out, fan_in)) * scale
                                               / np.sqrt(fan_in)).astype(np.float32)
            params[f"linear{k + 1}.bias"] = (rng.normal(size=fan_out) * 0.1).astype(np.float32)
        X = rng.normal(size=(n, sizes[0])).astype(np.float32)
        teacher = rng.normal(size=(sizes[0], sizes[-1]))
        y = np.argmax(X @ teacher + rng.normal(size=(n, sizes[-1])) * 0.5, axis=1)
        return {"sizes": list(sizes), "params": params, "X": X, "y": y.astype(np.int64),
                "batch_size": batch_size, **extra}
    return inputs


_TRAIN = PLAIN + NET + '''
net, loader = _g_setup(I)
opt = torch.optim.SGD(net.parameters(), lr=I["lr"], momentum=0.5)
stats = train_epoch(net, loader, opt, torch.device("cpu"), log_interval=I["log_interval"])
'''

_TRAIN_FORMAT = _TRAIN + '''
OUT = {"lengths": [len(stats[k]) for k in ("linear1", "linear2", "linear3", "loss")],
       "accuracy": _g_float(stats["accuracy"])}
'''
_TRAIN_GRADS = _TRAIN + 'OUT = {k: _g_arr(stats[k]) for k in ("linear1", "linear2", "linear3")}'
_TRAIN_LOSS = _TRAIN + 'OUT = {"value": _g_arr(stats["loss"])}'
_TRAIN_PARAMS = _TRAIN + 'OUT = {"value": _g_params(net)}'
_TRAIN_ACC = _TRAIN + 'OUT = {"value": _g_float(stats["accuracy"])}'


class _SGD:
    """``torch.optim.SGD(params, lr, momentum)`` on CPU, step for step (its single-tensor
    path). The grader's own references use this because the first torch.optim optimizer a
    process creates imports torch._dynamo, 2 s in every grading worker."""

    def __init__(self, params, lr, momentum):
        self.params, self.lr, self.momentum, self.buffers = list(params), lr, momentum, {}

    def zero_grad(self):
        for param in self.params:
            param.grad = None

    def step(self):
        import torch
        with torch.no_grad():
            for index, param in enumerate(self.params):
                if param.grad is None:
                    continue
                buffer = self.buffers.get(index)
                if buffer is None:
                    buffer = self.buffers[index] = torch.clone(param.grad).detach()
                else:
                    buffer.mul_(self.momentum).add_(param.grad, alpha=1)
                param.add_(buffer, alpha=-self.lr)


def _train_ref(part):
    def ref(**inputs):
        ns = _ref()
        net, loader = ns["_g_setup"](inputs)
        opt = _SGD(net.parameters(), lr=inputs["lr"], momentum=0.5)
        stats = ns["train_epoch"](net, loader, opt, "cpu", inputs["log_interval"])
        arr = {k: np.array(v, dtype=float) for k, v in stats.items() if k != "accuracy"}
        if part == "grads":
            return {k: arr[k] for k in ("linear1", "linear2", "linear3")}
        if part == "loss":
            return {"value": arr["loss"]}
        if part == "params":
            return {"value": ns["_g_params"](net)}
        return {"value": float(stats["accuracy"])}
    return ref


_TRAIN_PUBLIC = _net_inputs((6, 8, 8, 8, 3), 22, 4, scale=1.0, lr=0.1, log_interval=2)
_TRAIN_HIDDEN = _net_inputs((12, 16, 12, 10, 4), 45, 8, scale=2.0, lr=0.5, log_interval=2)
_TOL = {"rtol": 1e-4, "atol": 1e-9}

task_3 = Task("task_3_3", "A training loop that records gradient flow", [
    probe("`train_epoch` on a small model (6 batches)", _TRAIN_FORMAT, inputs=_TRAIN_PUBLIC,
          expected={"lengths": [6, 6, 6, 6]}, requires={"accuracy": Like("float")},
          points=3, public=True, subject="`train_epoch`'s result"),
    probe("`train_epoch` records the mean absolute weight gradients per batch", _TRAIN_GRADS,
          inputs=_TRAIN_HIDDEN, ref=_train_ref("grads"), points=5, **_TOL,
          subject="the recorded gradients", verb="are"),
    probe("`train_epoch` records the loss of every batch", _TRAIN_LOSS, inputs=_TRAIN_HIDDEN,
          ref=_train_ref("loss"), points=4, **_TOL, subject="the recorded losses", verb="are"),
    probe("`train_epoch` updates the parameters after every batch", _TRAIN_PARAMS,
          inputs=_TRAIN_HIDDEN, ref=_train_ref("params"), points=4, **_TOL,
          subject="the parameters after one epoch", verb="have"),
    probe("`train_epoch` training accuracy over the whole epoch", _TRAIN_ACC,
          inputs=_TRAIN_HIDDEN, ref=_train_ref("accuracy"), points=4,
          subject="the training accuracy", verb="is"),
])


# ------------------------------------------------------------------ task 3.4: evaluate

_EVAL = PLAIN + NET + '''
net, loader = _g_setup(I)
_r = evaluate(net, loader, torch.device("cpu"))
_loss, _acc = _r
'''
_EVAL_BOTH = _EVAL + 'OUT = {"loss": _g_float(_loss), "accuracy": _g_float(_acc)}'
_EVAL_LOSS = _EVAL + 'OUT = {"value": _g_float(_loss)}'
_EVAL_ACC = _EVAL + 'OUT = {"value": _g_float(_acc)}'
_EVAL_MODE = _EVAL + '''
OUT = {"eval_mode": bool(net.seen) and not any(training for training, _ in net.seen),
       "no_grad": bool(net.seen) and not any(grad for _, grad in net.seen)}
'''


def _eval_ref(part):
    def ref(**inputs):
        ns = _ref()
        net, loader = ns["_g_setup"](inputs)
        loss, acc = ns["evaluate"](net, loader, "cpu")
        return {"loss": loss, "accuracy": acc, "value": loss if part == "loss" else acc}
    return ref


def _only(ref, *keys):
    def wrapped(**inputs):
        full = ref(**inputs)
        return {k: full[k] for k in keys}
    return wrapped


_EVAL_PUBLIC = _net_inputs((5, 6, 6, 6, 3), 10, 4, scale=3.0)
_EVAL_HIDDEN = _net_inputs((8, 10, 10, 10, 4), 37, 10, scale=3.0)

task_4 = Task("task_3_4", "Evaluation on a test set", [
    probe("`evaluate` on a small example (batches of 4, 4 and 2)", _EVAL_BOTH,
          inputs=_EVAL_PUBLIC, ref=_only(_eval_ref("loss"), "loss", "accuracy"), points=2,
          public=True, rtol=1e-5, atol=1e-7, subject="`evaluate`", verb="returned"),
    probe("`evaluate` mean loss per sample (the last batch is smaller)", _EVAL_LOSS,
          inputs=_EVAL_HIDDEN, ref=_only(_eval_ref("loss"), "value"), points=3, rtol=1e-5,
          atol=1e-7, subject="the mean test loss", verb="is"),
    probe("`evaluate` accuracy", _EVAL_ACC, inputs=_EVAL_HIDDEN,
          ref=_only(_eval_ref("accuracy"), "value"), points=2, subject="the accuracy"),
    probe("`evaluate` uses evaluation mode and does not track gradients", _EVAL_MODE,
          inputs=_EVAL_HIDDEN, expected={"eval_mode": True, "no_grad": True}, points=1,
          subject="during `evaluate`, the model"),
])


# ------------------------------------------------------------------ task 3.5: True/False

TF_ANSWERS = {
    "tf_sigmoid_lower_layers_smaller": True,
    "tf_relu_curves_closer": True,
    "tf_sigmoid_factor_quarter": True,
    "tf_relu_derivative": True,
    "tf_dead_relu_learns": False,
    "tf_large_derivatives_stabilise": False,
    "tf_sigmoid_overfits": False,
    "tf_relu_always_fixes": False,
}

task_5 = Task("task_3_5", "What the gradient plots show", [
    boolean(name, answer, points=1) for name, answer in TF_ANSWERS.items()
], min_points=0.0)


# ------------------------------------------------------------------ task 3.6: make_mlp

_MLP_LAYOUT = PLAIN + SEQ + '''
_models = [make_mlp(*args, **kwargs) for args, kwargs in I["cases"]]
OUT = {"sequential": all(isinstance(m, nn.Sequential) for m in _models),
       "layout": [_g_layout(m) for m in _models]}
'''

_MLP_INIT = PLAIN + SEQ + '''
_m = make_mlp(3, 300, I["activation"], in_features=200, out_features=50, init=I["init"])
_lin = [m for m in _m.modules() if isinstance(m, nn.Linear)]
OUT = {"shapes": [[m.in_features, m.out_features] for m in _lin],
       "std": [float(m.weight.detach().std()) for m in _lin],
       "max_abs": [float(m.weight.detach().abs().max()) for m in _lin],
       "bias_max": [float(m.bias.detach().abs().max()) for m in _lin]}
'''

_INIT_SHAPES = [[200, 300], [300, 300], [300, 300], [300, 50]]


def _layout_ref(cases):
    ns = _ref()
    models = [ns["make_mlp"](*args, **kwargs) for args, kwargs in cases]
    return {"sequential": True, "layout": [ns["_g_layout"](m) for m in models]}


def _init_verify(init):
    def wanted_std(fan_in, fan_out):
        return {"xavier": np.sqrt(2.0 / (fan_in + fan_out)), "kaiming": np.sqrt(2.0 / fan_in),
                "uniform": 1 / np.sqrt(3.0)}[init]

    def verify(out, inputs, expected):
        shapes = out.get("shapes")
        if shapes is None or [list(s) for s in shapes] != _INIT_SHAPES:
            return [f"`make_mlp(3, 300, ..., in_features=200, out_features=50)` should have "
                    f"Linear layers of sizes {_INIT_SHAPES}, not {shapes}"]
        found = []
        for k, ((fan_in, fan_out), std) in enumerate(zip(_INIT_SHAPES, out["std"])):
            want = wanted_std(fan_in, fan_out)
            if not abs(std / want - 1) < 0.05:
                found.append(f"with init={init!r}, the weights of Linear layer {k} "
                             f"({fan_in} -> {fan_out}) have standard deviation {std:.4g}; "
                             f"that is not what {init!r} initialisation gives")
        if init == "uniform" and not all(0.99 < m <= 1.0 for m in out["max_abs"]):
            found.append("with init='uniform', the weights should fill the interval [-1, 1]")
        return found
    return verify


def _bias_verify(out, inputs, expected):
    if any(b != 0 for b in out.get("bias_max", [1])):
        return ["the biases of the Linear layers should start at zero"]
    return []


task_6 = Task("task_3_6", "Multilayer perceptrons of any depth", [
    probe("`make_mlp(2, 5, 'relu')`", _MLP_LAYOUT,
          inputs={"cases": [[[2, 5, "relu"], {}]]}, ref=_layout_ref, points=2, public=True,
          subject="the layers of `make_mlp(2, 5, 'relu')`", verb="are"),
    probe("`make_mlp` layers for other depths, widths, activations and sizes", _MLP_LAYOUT,
          inputs={"cases": [[[1, 7, "sigmoid"], {}], [[3, 4, "tanh"], {"in_features": 9}],
                            [[6, 3, "sigmoid"], {"out_features": 2}],
                            [[4, 6, "relu"], {"in_features": 2, "out_features": 3}]]},
          ref=_layout_ref, points=4, subject="the layers of `make_mlp`", verb="are"),
    probe("`make_mlp` with batch normalisation", _MLP_LAYOUT,
          inputs={"cases": [[[2, 8, "sigmoid"], {"batch_norm": True}],
                            [[3, 5, "relu"], {"batch_norm": True, "in_features": 4}]]},
          ref=_layout_ref, points=2, subject="the layers of `make_mlp(..., batch_norm=True)`",
          verb="are"),
    probe("`make_mlp` with init='xavier'", _MLP_INIT,
          inputs={"activation": "tanh", "init": "xavier"}, verify=_init_verify("xavier"),
          points=2),
    probe("`make_mlp` with init='kaiming'", _MLP_INIT,
          inputs={"activation": "relu", "init": "kaiming"}, verify=_init_verify("kaiming"),
          points=2),
    probe("`make_mlp` with init='uniform'", _MLP_INIT,
          inputs={"activation": "sigmoid", "init": "uniform"}, verify=_init_verify("uniform"),
          points=1),
    probe("`make_mlp` starts with zero biases", _MLP_INIT,
          inputs={"activation": "relu", "init": "kaiming"}, verify=_bias_verify, points=1),
])


# ------------------------------------------------------------------ task 3.7: gradient_ratio

_RATIO = PLAIN + SEQ + '''
_m = _g_seq(I["weights"], I["biases"], I["activation"])
_X, _y = torch.as_tensor(I["X"]), torch.as_tensor(I["y"])
if I["stale"]:
    (_m(_X) ** 2).sum().backward()
OUT = {"value": _g_float(gradient_ratio(_m, _X, _y))}
'''


def _seq_inputs(sizes, n, activation, stale=False, scale=1.0, dead=(), partial=()):
    def inputs(rng):
        weights, biases = [], []
        for k in range(len(sizes) - 1):
            fan_in, fan_out = sizes[k], sizes[k + 1]
            weights.append((rng.normal(size=(fan_out, fan_in)) * scale
                            / np.sqrt(fan_in)).astype(np.float32))
            b = rng.normal(size=fan_out) * 0.1
            if k < len(sizes) - 2:
                b[list(dead[k]) if dead else []] = -50.0          # never active
                b[list(partial[k]) if partial else []] = -1.0     # active for a few inputs
            biases.append(b.astype(np.float32))
        X = rng.normal(size=(n, sizes[0])).astype(np.float32)
        y = rng.integers(0, sizes[-1], size=n).astype(np.int64)
        return {"weights": weights, "biases": biases, "X": X, "y": y,
                "activation": activation, "stale": stale}
    return inputs


def _ratio_ref(weights, biases, X, y, activation, stale):
    ns = _ref()
    model = ns["_g_seq"](weights, biases, activation)
    X, y = ns["torch"].as_tensor(X), ns["torch"].as_tensor(y)
    return {"value": ns["gradient_ratio"](model, X, y)}


_RATIO_TOL = {"rtol": 1e-4, "atol": 0}

task_7 = Task("task_3_7", "First-to-last gradient ratio", [
    probe("`gradient_ratio` on a 2-hidden-layer sigmoid network", _RATIO,
          inputs=_seq_inputs((5, 6, 6, 3), 8, "sigmoid"), ref=_ratio_ref, points=2,
          public=True, **_RATIO_TOL, subject="`gradient_ratio`", verb="returned"),
    probe("`gradient_ratio` on a hidden deep sigmoid network", _RATIO,
          inputs=_seq_inputs((10, 12, 12, 12, 12, 4), 30, "sigmoid", scale=2.0),
          ref=_ratio_ref, points=2, **_RATIO_TOL, subject="`gradient_ratio`",
          verb="returned"),
    probe("`gradient_ratio` on a hidden ReLU network", _RATIO,
          inputs=_seq_inputs((10, 12, 12, 12, 4), 30, "relu", scale=1.5), ref=_ratio_ref,
          points=2, **_RATIO_TOL, subject="`gradient_ratio`", verb="returned"),
    probe("`gradient_ratio` ignores gradients left over from earlier backward passes", _RATIO,
          inputs=_seq_inputs((10, 12, 12, 12, 4), 30, "tanh", stale=True), ref=_ratio_ref,
          points=2, **_RATIO_TOL, subject="`gradient_ratio`", verb="returned"),
])


# ------------------------------------------------------------------ task 3.8: variances

_VAR = PLAIN + '''
_v = activation_variances(I["init"], I["activation"], depth=I["depth"], width=I["width"], n=I["n"])
OUT = {"value": _g_arr(_v)}
'''
# A student's run draws other random weights than the reference, so the expected variances are
# the geometric mean of 5 reference runs, and an answer may be off by this many decades (powers
# of 10) per layer. Largest deviation of single runs from that mean, over 400 seeds at width 256
# and n 512: 0.03 (tanh), 0.26 (relu, whose outputs are all positive and so correlated), 0.15
# (sigmoid). Mistakes are off by a decade or more.
_VAR_TOL = {"tanh": 0.1, "relu": 0.4, "sigmoid": 0.25}
_VAR_RUNS = 5


def _var_ref(init, activation, depth, width, n):
    ns = _ref()
    logs = []
    for seed in range(_VAR_RUNS):
        ns["torch"].manual_seed(seed)
        logs.append(np.log10(ns["activation_variances"](init, activation, depth, width, n)))
    return {"value": 10 ** np.mean(logs, axis=0)}


def _var_verify(out, inputs, expected):
    got, want = out.get("value"), expected["value"]
    name = f"`activation_variances({inputs['init']!r}, {inputs['activation']!r}, ...)`"
    if not (type(got) is np.ndarray and got.shape == want.shape):
        return [f"{name} should return {len(want)} numbers, one per layer"]
    if not (np.isfinite(got).all() and (got > 0).all()):
        return [f"{name} returned non-finite or non-positive variances"]
    off = np.abs(np.log10(got / want)) > _VAR_TOL[inputs["activation"]]
    if off.any():
        layers = ", ".join(str(k + 1) for k in np.flatnonzero(off))
        return [f"{name}: the variance after layer(s) {layers} is far from what this "
                f"initialisation gives"]
    return []


def _var_check(init, activation, points):
    return probe(f"`activation_variances` with init={init!r} and {activation}", _VAR,
                 inputs={"init": init, "activation": activation, "depth": 5, "width": 256,
                         "n": 512},
                 ref=_var_ref, verify=_var_verify, points=points)


task_8 = Task("task_3_8", "Activation variances through a deep network", [
    probe("`activation_variances('xavier', 'tanh', depth=3, width=64, n=128)`", _VAR,
          inputs={"init": "xavier", "activation": "tanh", "depth": 3, "width": 64, "n": 128},
          points=2, public=True, requires={"value": Like("ndarray", shape=(3,), dtype="float")},
          subject="the result"),
    _var_check("normal_0.01", "tanh", 2),
    _var_check("normal_0.1", "relu", 2),
    _var_check("xavier", "tanh", 2),
    _var_check("kaiming", "relu", 2),
    _var_check("1/d_in", "sigmoid", 1),
    _var_check("xavier", "relu", 1),
])


# ------------------------------------------------------------------ task 3.9: dead ReLUs

_DEAD = PLAIN + SEQ + '''
_m = _g_seq(I["weights"], I["biases"], I["activation"])
OUT = {"value": _g_arr(dead_relu_fraction(_m, torch.as_tensor(I["X"])))}
'''


def _dead_ref(weights, biases, X, y, activation, stale):
    ns = _ref()
    model = ns["_g_seq"](weights, biases, activation)
    return {"value": np.array(ns["dead_relu_fraction"](model, ns["torch"].as_tensor(X)))}


task_9 = Task("task_3_9", "Counting dead ReLUs", [
    probe("`dead_relu_fraction` on a small network", _DEAD,
          inputs=_seq_inputs((3, 4, 5, 2), 6, "relu", dead=[[1], [0, 3]]), ref=_dead_ref,
          points=2, public=True, subject="`dead_relu_fraction`", verb="returned"),
    probe("`dead_relu_fraction` on a hidden network with dead units", _DEAD,
          inputs=_seq_inputs((6, 10, 8, 12, 3), 40, "relu",
                             dead=[[0, 4, 7], [2], [1, 5, 6, 9, 11]]),
          ref=_dead_ref, points=4, subject="`dead_relu_fraction`", verb="returned"),
    probe("`dead_relu_fraction` counts only units that are zero for every input", _DEAD,
          inputs=_seq_inputs((6, 10, 8, 4), 40, "relu", dead=[[3], [5, 6]],
                             partial=[[0, 1, 2, 8], [0, 1, 2]]),
          ref=_dead_ref, points=4, subject="`dead_relu_fraction`", verb="returned"),
])


SPEC = Assignment(
    number=3, slug="vanishing_gradients", topic="Vanishing_Gradients",
    title="Vanishing gradients in deep networks",
    tasks=[task_1, task_2, task_3, task_4, task_5, task_6, task_7, task_8, task_9],
    preload=("numpy", "torch", "torch.nn", "torch.nn.functional", "torch.utils.data",
             "torchvision", "matplotlib.pyplot", "sklearn.datasets", "sklearn.model_selection",
             "sklearn.preprocessing", "tqdm.auto"),
    cell_timeout=10.0,
)
