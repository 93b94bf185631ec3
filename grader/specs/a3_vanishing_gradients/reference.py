"""Assignment 3, trusted side: input makers, reference implementations and judges.

Nothing here is sent to the student's kernel: the probes (grader/probes/a3_vanishing_gradients.py)
get only a check's inputs without its ``_`` keys. torch is imported inside the functions that
need it, so loading the spec stays cheap; the networks are built with the probes' own builders
(``_flat``, ``_nested``), so the reference sees exactly the network the student's code saw.

Judges (``verify``) say what was observed, never an expected value or the size of an error.
"""
import math

import numpy as np

from ...compare import describe, plain_numbers, plain_scalar, problems

# ================================================================ shared helpers


def _probes():
    from ...probes import a3_vanishing_gradients
    return a3_vanishing_gradients


def _tensor(array):
    from ...wire import Tensor
    return Tensor(np.asarray(array))


def is_python_number(value) -> bool:
    """Whether a decoded answer is a plain Python number: int, float, or NumPy's float64 (a
    subclass of float). Tensors, arrays and other NumPy scalars are not."""
    return type(value) in (int, float, np.float64)


def sequence_problems(actual, expected, subject, rtol, atol, length_words="entries"):
    """Problems of a sequence of numbers (list, tuple, 1-D array or tensor) against
    ``expected``; positions only, nothing about the expected values."""
    numbers = plain_numbers(actual)
    if numbers is None:
        return [f"{subject} is {describe(actual)}, expected a list of numbers"]
    if numbers.shape != np.shape(expected):
        return [f"{subject} has {numbers.size} {length_words} instead of {np.size(expected)}"]
    return problems(numbers, np.asarray(expected, dtype=float), subject, "has", rtol, atol,
                    reveal=False)


def _linear_state(rng, sizes, names, scale):
    """Weights N(0, scale^2 / fan_in) and biases N(0, 0.1^2) for Linear layers ``names``."""
    state = {}
    for name, fan_in, fan_out in zip(names, sizes[:-1], sizes[1:]):
        state[f"{name}.weight"] = (rng.normal(size=(fan_out, fan_in)) * scale
                                   / np.sqrt(fan_in)).astype(np.float32)
        state[f"{name}.bias"] = (rng.normal(size=fan_out) * 0.1).astype(np.float32)
    return state


def _layer(name, kind, *args, **kwargs):
    return [name, kind, list(args), kwargs]


# ================================================================ task 3.1: the 1/4 bound


def ref_gradient_bound(depth: int, w_max: float) -> float:
    """The largest |sigma'(z_1) w_1 ... sigma'(z_L) w_L| for L = depth and |w_l| <= w_max:
    each factor is at most w_max / 4, since sigma' <= 1/4."""
    return (w_max / 4) ** depth


def bounds_reference(cases):
    return {"value": [ref_gradient_bound(depth, w_max) for depth, w_max in cases]}


def verify_python_float(out, inputs, expected):
    """``sigmoid_grad_max`` must be a Python float (the statement says so) equal to 1/4."""
    value = out.get("value")
    if type(value) not in (float, np.float64):
        return [f"`sigmoid_grad_max` is {describe(value)}: store it as a Python float "
                "(with float(...) or .item())"]
    return problems(value, expected["value"], "`sigmoid_grad_max`", rtol=0, atol=1e-4,
                    reveal=False)


def verify_bounds(out, inputs, expected):
    """Every ``gradient_bound`` result is a Python number with the right value. Messages name
    the depth of the first wrong case, not its weight bound (hidden inputs stay hidden)."""
    values, cases = out.get("value"), inputs["cases"]
    if not isinstance(values, list) or len(values) != len(cases):
        return [f"`gradient_bound` could not be called on the {len(cases)} cases"]
    kinds = [k for k, got in enumerate(values) if not is_python_number(got)]
    if kinds:
        return [f"`gradient_bound` returned {describe(values[kinds[0]])} in {len(kinds)} of "
                f"{len(cases)} cases: return a Python float"]
    wrong = [k for k, (got, want) in enumerate(zip(values, expected["value"]))
             if not math.isclose(got, want, rel_tol=1e-4, abs_tol=0)]
    if wrong:
        return [f"`gradient_bound` returned a wrong value in {len(wrong)} of {len(cases)} "
                f"cases (the first with depth={cases[wrong[0]][0]})"]
    return []


# ================================================================ task 3.2: ANN_relu

ANN_WIDTHS = (512, 1024, 512)


def ann_shapes(D_in, D_out):
    """Parameter shapes of ANN_relu(D_in, D_out): linear1 ... linear4, weights (out, in)."""
    sizes = [D_in, *ANN_WIDTHS, D_out]
    shapes = {}
    for k in range(4):
        shapes[f"linear{k + 1}.weight"] = [sizes[k + 1], sizes[k]]
        shapes[f"linear{k + 1}.bias"] = [sizes[k + 1]]
    return shapes


def ann_inputs(D_in, D_out, n, images):
    """Inputs for ``ann_outputs``: He-scaled normal weights and 2n inputs (of which the probe
    uses every other one), drawn in the kernel from a seed."""
    def make(rng):
        shapes = ann_shapes(D_in, D_out)
        scales = {name: (math.sqrt(2.0 / shape[1]) if name.endswith("weight") else 0.1)
                  for name, shape in shapes.items()}
        return {"D_in": D_in, "D_out": D_out, "shapes": shapes, "scales": scales,
                "seed": int(rng.integers(2**31)),
                "X_shape": [2 * n, 1, 28, 28] if images else [2 * n, D_in]}
    return make


def ann_relu_forward(D_in, D_out, shapes, scales, seed, X_shape):
    """Reference forward pass of ANN_relu on the probe's weights and inputs.

    Inputs:
    - shapes, scales, seed, X_shape: the weights and the inputs, drawn as ``ann_outputs``
      draws them; rows 0, 2, 4, ... of the inputs, (2N, D_in) or (2N, 1, 28, 28), are used

    Returns {"value": Tensor (N, D_out)}: log-probabilities.
    """
    import torch
    import torch.nn.functional as F
    generator = torch.Generator().manual_seed(seed)
    w = {name: torch.randn(shape, generator=generator) * scales[name]
         for name, shape in shapes.items()}
    h = torch.randn(X_shape, generator=generator)[::2].flatten(start_dim=1)
    for k in (1, 2, 3):
        h = F.relu(h @ w[f"linear{k}.weight"].T + w[f"linear{k}.bias"])
    logits = h @ w["linear4.weight"].T + w["linear4.bias"]
    return {"value": _tensor(F.log_softmax(logits, dim=1).numpy())}


def verify_log_probabilities(out, inputs, expected):
    """exp(output) sums to 1 over the classes of every row."""
    from ...wire import Tensor
    value = out.get("value")
    if not isinstance(value, Tensor) or value.array.ndim != 2:
        return [f"the output is {describe(value)}, expected a 2-D torch.Tensor"]
    sums = np.exp(value.array.astype(float)).sum(axis=1)
    off = ~np.isclose(sums, 1.0, rtol=1e-4, atol=1e-5)
    if off.any():
        return [f"exp(output) does not sum to 1 over the classes in {int(off.sum())} of "
                f"{off.size} rows: return log-probabilities (log_softmax over dim 1)"]
    return []


# ================================================================ tasks 3.3 and 3.4: training

def network_inputs(sizes, n, batch_size, scale, norm=False, dropout=False, **extra):
    """A sigmoid network like ANN_sigmoid (layers ``linear1`` ... ``linear4``, log_softmax
    output), small, as a layer list and weights; data with labels from a noisy linear teacher.

    ``norm`` puts a BatchNorm1d after linear1 (its weight is a parameter named "weight" that
    is not a Linear layer's), ``dropout`` a Dropout before linear4 (evaluation mode matters).
    """
    def make(rng):
        layers = []
        for k in range(4):
            layers.append(_layer(f"linear{k + 1}", "Linear", sizes[k], sizes[k + 1]))
            if norm and k == 0:
                layers.append(_layer("norm1", "BatchNorm1d", sizes[1]))
            if dropout and k == 2:
                layers.append(_layer("drop", "Dropout", 0.5))
            if k < 3:
                layers.append(_layer(f"act{k + 1}", "Sigmoid"))
        layers.append(_layer("out", "LogSoftmax", dim=1))
        state = _linear_state(rng, sizes, [f"linear{k + 1}" for k in range(4)], scale)
        if norm:
            state["norm1.weight"] = (1 + 0.2 * rng.normal(size=sizes[1])).astype(np.float32)
            state["norm1.bias"] = (0.1 * rng.normal(size=sizes[1])).astype(np.float32)
        X = rng.normal(size=(n, sizes[0])).astype(np.float32)
        teacher = rng.normal(size=(sizes[0], sizes[-1]))
        y = np.argmax(X @ teacher + rng.normal(size=(n, sizes[-1])) * 0.5, axis=1)
        return {"layers": layers, "state": state, "X": X, "y": y.astype(np.int64),
                "batch_size": batch_size, **extra}
    return make


class SGDCopy:
    """``torch.optim.SGD(params, lr, momentum)`` on CPU, step for step (its single-tensor
    path). The references use it because the first torch.optim optimizer a process creates
    imports torch._dynamo, seconds in every grading worker; a test pins it to torch.optim."""

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


def train_epoch_reference(layers, state, X, y, batch_size, lr, log_interval=None):
    """What ``train_epoch`` must do with the probe's network, data and optimizer.

    Inputs:
    - layers, state: the network (see ``network_inputs``); X: (N, D) float32; y: (N,) int64
    - batch_size: batches in order, the last one smaller; lr: SGD learning rate (momentum 0.5)

    Returns {"stats": {"linear1", "linear2", "linear3", "loss": lists with one float per
    batch, "accuracy": float}, "params": {name: array after the epoch}}.
    """
    import torch
    import torch.nn.functional as F
    model = _probes()._flat(layers, state)
    model.train()
    optimizer = SGDCopy(model.parameters(), lr=lr, momentum=0.5)
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    stats = {"linear1": [], "linear2": [], "linear3": [], "loss": []}
    correct = 0
    for start in range(0, len(X), batch_size):
        data, target = X[start:start + batch_size], y[start:start + batch_size]
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        for name in ("linear1", "linear2", "linear3"):
            stats[name].append(getattr(model, name).weight.grad.abs().mean().item())
        optimizer.step()
        stats["loss"].append(loss.item())
        correct += (output.argmax(dim=1) == target).sum().item()
    stats["accuracy"] = correct / len(X)
    return {"stats": stats,
            "params": {k: p.detach().numpy().copy() for k, p in model.named_parameters()}}


def evaluate_reference(layers, state, X, y, batch_size=None):
    """(mean NLL over all samples, accuracy) of the network in evaluation mode.

    Returns {"value": (mean_loss, accuracy)}.
    """
    import torch
    import torch.nn.functional as F
    model = _probes()._flat(layers, state)
    model.eval()
    with torch.no_grad():
        output = model(torch.as_tensor(X))
        target = torch.as_tensor(y)
        loss = F.nll_loss(output, target, reduction="sum").item() / len(y)
        accuracy = (output.argmax(dim=1) == target).double().mean().item()
    return {"value": (loss, accuracy)}


def _stats(out, function="`train_epoch`"):
    """The dict ``train_epoch`` returned, or a problem."""
    stats = out.get("stats")
    if not isinstance(stats, dict):
        return None, [f"{function} returned {describe(stats)}, expected a dict"]
    return stats, []


def verify_gradients(out, inputs, expected):
    stats, found = _stats(out)
    for name in ("linear1", "linear2", "linear3"):
        if not found:
            found += sequence_problems(stats.get(name), expected["stats"][name],
                                       f"the list of gradients recorded for {name}", 1e-4, 1e-9)
    return found


def verify_losses(out, inputs, expected):
    stats, found = _stats(out)
    return found or sequence_problems(stats.get("loss"), expected["stats"]["loss"],
                                      "the list of recorded losses", 1e-4, 1e-9)


def verify_accuracy(out, inputs, expected):
    stats, found = _stats(out)
    if found:
        return found
    value = plain_scalar(stats.get("accuracy"))
    if type(value) not in (int, float):
        return [f"the training accuracy is {describe(value)}, expected a number"]
    if not math.isclose(value, expected["stats"]["accuracy"], rel_tol=1e-6, abs_tol=1e-9):
        return ["the training accuracy is wrong (it counts the correct predictions of the "
                "epoch's forward passes over all training samples)"]
    return []


def verify_parameters(out, inputs, expected):
    params, found = out.get("params") or {}, []
    for name, want in expected["params"].items():
        got = params.get(name)
        got = getattr(got, "array", got)
        found += problems(got, want, f"`{name}` after the epoch", "has", 1e-4, 1e-7,
                          reveal=False)
    return found[:2]


def verify_training_mode(out, inputs, expected):
    """Every forward pass ran with every module in training mode (the model arrived in
    evaluation mode)."""
    modes = out.get("modes") or []
    if not modes:
        return ["`train_epoch` never called the model"]
    off = sum(1 for flags, _ in modes if not all(flags))
    if off:
        return [f"{off} of {len(modes)} forward passes ran with the model in evaluation mode "
                "(it was handed over in evaluation mode): call model.train() first"]
    return []


def verify_no_grad(out, inputs, expected):
    """Autograd was off in every forward pass of ``evaluate``."""
    modes = out.get("modes") or []
    if not modes:
        return ["`evaluate` never called the model"]
    on = sum(1 for _, grad in modes if grad)
    if on:
        return [f"autograd was recording in {on} of {len(modes)} forward passes: compute "
                "inside torch.no_grad()"]
    return []


def verify_eval_mode(out, inputs, expected):
    """Every forward pass of ``evaluate`` ran with every module in evaluation mode (the model
    arrived in training mode)."""
    modes = out.get("modes") or []
    if not modes:
        return ["`evaluate` never called the model"]
    off = sum(1 for flags, _ in modes if any(flags))
    if off:
        return [f"{off} of {len(modes)} forward passes ran with the model in training mode "
                "(it was handed over in training mode): call model.eval() first"]
    return []


def verify_moved(out, inputs, expected):
    """Every tensor the loader yielded (data and targets) was moved with ``.to(device)``."""
    moves = out.get("moves") or []
    missed = sum(1 for tensor in moves if not any("cpu" in " ".join(m) for m in tensor))
    if not moves or missed:
        return [f"{missed} of {len(moves)} tensors from the loader (data and targets) were not "
                "moved with .to(device)"]
    return []


def verify_progress(out, inputs, expected):
    """The loader went through tqdm, and the loss was shown once every log_interval batches."""
    events, every = out.get("events") or [], inputs["log_interval"]
    batches = events.count("batch")
    if batches == 0:
        return ["no batch came through tqdm(...): wrap the loader in tqdm"]
    shown, seen = set(), 0
    for event in events:
        seen += event == "batch"
        if event in ("postfix", "description") and seen:
            shown.add(seen - 1)
    shown = sorted(shown)
    regular = (shown and shown[0] < every and shown[-1] + every >= batches
               and set(np.diff(shown).tolist()) <= {every})
    if not regular:
        return [f"the progress bar showed the loss at {len(shown)} of {batches} batches; "
                f"with log_interval={every} it should be once every {every} batches "
                "(set_postfix)"]
    return []


def verify_evaluate_part(part):
    """Judge item ``part`` (0: mean loss, 1: accuracy) of what ``evaluate`` returned."""
    name = ("the mean test loss", "the test accuracy")[part]

    def verify(out, inputs, expected):
        value = out.get("value")
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            return [f"`evaluate` returned {describe(value)}, expected two numbers "
                    "(mean_loss, accuracy)"]
        got = plain_scalar(value[part])
        if type(got) not in (int, float):
            return [f"{name} is {describe(got)}, expected a number"]
        if not math.isclose(got, expected["value"][part], rel_tol=1e-5, abs_tol=1e-7):
            return [f"{name} is wrong"]
        return []
    return verify


# ================================================================ task 3.6: make_mlp

ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU"}


def mlp_layout(depth, width, activation, in_features=64, out_features=10, batch_norm=False,
               init="xavier"):
    """The children make_mlp must return, as the probe describes them: [class name, parameter
    shapes]. Linear(in, out) has a weight (out, in) and a bias (out,)."""
    layers, size = [], in_features
    for _ in range(depth):
        layers.append(["Linear", [[width, size], [width]]])
        if batch_norm:
            layers.append(["BatchNorm1d", [[width], [width]]])
        layers.append([ACTIVATIONS[activation], []])
        size = width
    layers.append(["Linear", [[out_features, size], [out_features]]])
    return layers


def mlp_reference(cases):
    return {"models": [{"type": "Sequential", "layers": mlp_layout(*args, **kwargs)}
                       for args, kwargs in cases]}


def _call_text(args, kwargs):
    shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"`make_mlp({', '.join(shown)})`"


def _module_text(layer):
    name, shapes = layer[0], layer[1] if len(layer) > 1 else []
    if name == "Linear" and len(shapes) == 2 and len(shapes[0]) == 2:
        return f"Linear({shapes[0][1]}, {shapes[0][0]})"
    if name == "BatchNorm1d" and shapes:
        return f"BatchNorm1d({shapes[0][0]})"
    return f"{name}()" if not shapes else f"{name} with parameters of shapes {shapes}"


def layout_problems(out, args, kwargs):
    """What is wrong with the model's type and children, in words about what was found."""
    call = _call_text(args, kwargs)
    want = mlp_layout(*args, **kwargs)
    if out.get("type") != "Sequential":
        return [f"{call} returned a {out.get('type')}, expected an nn.Sequential"]
    got = [[name, [list(s) for s in shapes]] for name, shapes in out.get("layers") or []]
    nested = [name for name, _ in got if name in ("Sequential", "ModuleList")]
    if nested:
        return [f"{call} holds a nested {nested[0]}: make it one flat nn.Sequential of "
                "Linear, [BatchNorm1d,] activation, ..., Linear"]
    for index, (have, should) in enumerate(zip(got, want)):
        if have != should:
            return [f"{call}: module {index} is {_module_text(have)}, which is not what the "
                    f"statement puts there"]
    if len(got) != len(want):
        return [f"{call} has {len(got)} modules; the statement asks for {len(want)}: "
                f"{args[0]} hidden block(s) and an output layer"]
    return []


def verify_layouts(out, inputs, expected):
    """The layout of every model in ``out["models"]``, one per case of the inputs."""
    found = []
    for (args, kwargs), model in zip(inputs["cases"], out.get("models") or []):
        found += layout_problems(model, args, kwargs)
    return found


def _linear_weights(out, args, kwargs):
    """[(index, weight, bias), ...] of the Linear children, or a problem if the layout is
    not right (then nothing is judged about the initialisation)."""
    if layout_problems(out, args, kwargs):
        return None, [f"{_call_text(args, kwargs)} does not return the layers the statement "
                      "describes (see the layout checks), so its initialisation is not judged"]
    linears = []
    for index, ((name, _), params) in enumerate(zip(out["layers"], out["weights"])):
        if name == "Linear":
            linears.append((index, params[0].array.astype(float), params[1].array))
    return linears, []


def _wanted_std(init, fan_in, fan_out):
    return {"xavier": math.sqrt(2.0 / (fan_in + fan_out)), "kaiming": math.sqrt(2.0 / fan_in),
            "uniform": 1 / math.sqrt(3.0)}[init]


def verify_init(init):
    """Every Linear layer's weights have the standard deviation that ``init`` gives (within
    5 %, about 4 standard errors for the smallest layer checked), and for 'uniform' they fill
    [-1, 1]."""
    def verify(out, inputs, expected):
        (args, kwargs), = inputs["cases"]
        linears, found = _linear_weights(_first(out), args, kwargs)
        for index, weight, _ in linears or []:
            fan_out, fan_in = weight.shape
            if abs(weight.std() / _wanted_std(init, fan_in, fan_out) - 1) > 0.05:
                found.append(f"with init={init!r}, the spread of the weights of module {index}, "
                             f"Linear({fan_in}, {fan_out}), is not what {init!r} gives")
            elif init == "uniform" and not (weight.max() > 0.99 and weight.min() < -0.99
                                            and np.abs(weight).max() <= 1.0):
                found.append(f"with init='uniform', the weights of module {index} do not fill "
                             "the interval [-1, 1]")
        return found
    return verify


def _first(out):
    models = out.get("models")
    return models[0] if isinstance(models, list) and models else {}


def verify_zero_biases(out, inputs, expected):
    (args, kwargs), = inputs["cases"]
    linears, found = _linear_weights(_first(out), args, kwargs)
    nonzero = [index for index, _, bias in linears or [] if np.any(bias != 0)]
    if nonzero:
        found.append(f"the biases of the Linear layer(s) at module(s) {nonzero} do not start "
                     "at zero")
    return found


def verify_norm_defaults(out, inputs, expected):
    """With batch_norm=True, the BatchNorm1d layers keep their own initial values (weight 1,
    bias 0): the init option is for Linear layers only."""
    (args, kwargs), = inputs["cases"]
    model = _first(out)
    found = _linear_weights(model, args, kwargs)[1]
    for index, ((name, _), params) in enumerate(zip(model.get("layers") or [],
                                                    model.get("weights") or [])):
        if not found and name == "BatchNorm1d" and not (
                np.all(params[0].array == 1) and np.all(params[1].array == 0)):
            found.append(f"the BatchNorm1d at module {index} does not have its default weight "
                         "1 and bias 0: initialise only the Linear layers")
    return found


# ================================================================ task 3.7: gradient_ratio

def ratio_inputs(sizes, n, activation, scale=1.0, norm_first=False, norm_inside=False,
                 stale=False):
    """A network of nested blocks (not a flat Sequential): ``blockK`` = Linear, [LayerNorm,]
    activation; ``head`` = Linear. ``norm_first`` puts a LayerNorm block in front (its weight
    is the first parameter named "weight", and not a Linear layer's); ``norm_inside`` puts a
    LayerNorm inside every hidden block; ``stale`` leaves random gradients in every parameter
    beforehand. X is sent transposed, (D, N): the probe passes the non-contiguous X.T."""
    act = ACTIVATIONS[activation]

    def make(rng):
        blocks, names = [], []
        if norm_first:
            blocks.append(["norm", [_layer("ln", "LayerNorm", sizes[0])]])
        for k in range(1, len(sizes) - 1):
            block = [_layer("linear", "Linear", sizes[k - 1], sizes[k])]
            if norm_inside:
                block.append(_layer("ln", "LayerNorm", sizes[k]))
            blocks.append([f"block{k}", block + [_layer("act", act)]])
            names.append(f"block{k}.linear")
        blocks.append(["head", [_layer("linear", "Linear", sizes[-2], sizes[-1])]])
        state = _linear_state(rng, sizes, names + ["head.linear"], scale)
        for name, layers in blocks:
            for layer, kind, args, _ in layers:
                if kind == "LayerNorm":
                    width = args[0]
                    state[f"{name}.{layer}.weight"] = (1 + 0.3 * rng.normal(size=width)
                                                       ).astype(np.float32)
                    state[f"{name}.{layer}.bias"] = (0.1 * rng.normal(size=width)
                                                     ).astype(np.float32)
        grads = {k: rng.normal(size=v.shape).astype(np.float32) for k, v in state.items()}
        X = rng.normal(size=(n, sizes[0])).astype(np.float32)
        return {"blocks": blocks, "state": state, "X": np.ascontiguousarray(X.T),
                "y": rng.integers(0, sizes[-1], size=n).astype(np.int64),
                "stale": grads if stale else {}}
    return make


def gradient_ratio_reference(blocks, state, X, y, stale):
    """mean|dL/dW| of the first Linear layer over that of the last (order of
    model.modules()), L = cross-entropy of the logits on the whole batch, fresh gradients.

    Inputs: the network (see ``ratio_inputs``); X: (D, N) (the batch, transposed); y: (N,).
    Returns {"value": float}.
    """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    model = _probes()._nested(blocks, state)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    F.cross_entropy(model(torch.as_tensor(X).T), torch.as_tensor(y)).backward()
    ratio = linears[0].weight.grad.abs().mean() / linears[-1].weight.grad.abs().mean()
    return {"value": ratio.item()}


def verify_unchanged(out, inputs, expected):
    """The parameters after ``gradient_ratio`` are the ones it was given."""
    params = out.get("params") or {}
    given = inputs["state"]
    changed = [name for name, want in given.items()
               if not np.array_equal(getattr(params.get(name), "array", None), want)]
    if changed:
        return [f"`gradient_ratio` changed {len(changed)} of the model's {len(given)} "
                "parameters; it must only compute gradients"]
    return []


# ================================================================ task 3.8: activation variances

# A student's run draws other random weights than the reference, so the expected variances are
# the geometric mean of `_runs` reference runs, and an answer may be off by this many decades
# (powers of 10) per layer. Largest deviation of single runs from that mean, over 400 seeds at
# width 256 and n 512: 0.03 (tanh), 0.26 (relu, whose outputs are all positive and so
# correlated), 0.15 (sigmoid). Mistakes are off by a decade or more.
VARIANCE_TOLERANCE = {"tanh": 0.1, "relu": 0.4, "sigmoid": 0.25}


def ref_activation_variances(init, activation, depth=5, width=512, n=1024):
    """Variance of the activations after each of ``depth`` random square layers.

    Inputs h ~ N(0, 1) of shape (n, width); per layer a fresh W (width, width) with entries
    N(0, std^2), std from ``init``; h = activation(h @ W.T); no biases. Draws from torch's
    global generator (the caller seeds).

    Returns a list of ``depth`` floats.
    """
    import torch
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


def variances_reference(args, kwargs, _runs):
    """The geometric mean of ``_runs`` reference runs (seeds 0, 1, ...), per layer."""
    import torch
    logs = []
    for seed in range(_runs):
        torch.manual_seed(seed)
        logs.append(np.log10(ref_activation_variances(*args, **kwargs)))
    return {"value": 10 ** np.mean(logs, axis=0)}


def verify_variances(out, inputs, expected):
    (init, activation), want = inputs["args"], expected["value"]
    name = f"`activation_variances({init!r}, {activation!r}, ...)`"
    got = plain_numbers(out.get("value"))
    if got is None or got.shape != want.shape:
        return [f"{name} should return {len(want)} numbers, one per layer"]
    if not (np.isfinite(got).all() and (got > 0).all()):
        return [f"{name} returned non-finite or non-positive variances"]
    off = np.abs(np.log10(got / want)) > VARIANCE_TOLERANCE[activation]
    if off.any():
        layers = ", ".join(str(k + 1) for k in np.flatnonzero(off))
        return [f"{name}: the variance after layer(s) {layers} is far from what this "
                "initialisation gives"]
    return []


def verify_seeding(out, inputs, expected):
    """Runs after the same torch seed agree exactly; runs after different seeds differ: the
    draws come from torch's generator, which the caller seeds, and are not re-seeded."""
    runs = [plain_numbers(run) for run in out.get("value") or []]
    if len(runs) != 3 or any(run is None or run.size != inputs["args"][2] for run in runs):
        return [f"`activation_variances` should return {inputs['args'][2]} numbers, one per "
                "layer"]
    if not np.array_equal(runs[0], runs[1]):
        return ["two calls after the same torch.manual_seed(...) gave different variances: "
                "draw with torch (torch.randn), whose generator the caller seeds"]
    if np.array_equal(runs[0], runs[2]):
        return ["calls after different torch.manual_seed(...) gave the same variances: do not "
                "re-seed inside the function (the caller seeds)"]
    return []


# ================================================================ task 3.9: dead ReLUs

def dead_inputs(sizes, n, dead=(), partial=(), zero=(), norm=False):
    """A flat Sequential of Linear, [BatchNorm1d,] ReLU blocks and an output Linear.

    Per hidden layer k: units ``dead[k]`` get a bias of -50 (never active), ``partial[k]`` a
    bias of -1 (active for a few inputs), ``zero[k]`` zero weights and bias (pre-activation
    exactly 0 for every input: the ReLU outputs 0, so the unit is dead). With ``norm`` the
    biases go to the BatchNorm1d (evaluation mode, running statistics 0 and 1), whose input
    is then not the ReLU's. X is sent transposed, (D, N): the probe passes X.T.
    """
    def make(rng):
        hidden = len(sizes) - 2
        names = [f"linear{k + 1}" for k in range(hidden + 1)]
        layers = []
        for k in range(hidden + 1):
            layers.append(_layer(names[k], "Linear", sizes[k], sizes[k + 1]))
            if k < hidden and norm:
                layers.append(_layer(f"norm{k + 1}", "BatchNorm1d", sizes[k + 1]))
            if k < hidden:
                layers.append(_layer(f"relu{k + 1}", "ReLU"))
        state = _linear_state(rng, sizes, names, 1.0)
        for k in range(hidden):
            shift = np.zeros(sizes[k + 1], dtype=np.float32)
            shift[list(dead[k]) if dead else []] = -50.0
            shift[list(partial[k]) if partial else []] = -1.0
            where = f"norm{k + 1}" if norm else names[k]
            if norm:
                state[f"{where}.weight"] = np.ones(sizes[k + 1], dtype=np.float32)
                state[f"{where}.bias"] = shift
                state[f"{where}.running_mean"] = np.zeros(sizes[k + 1], dtype=np.float32)
                state[f"{where}.running_var"] = np.ones(sizes[k + 1], dtype=np.float32)
            else:
                state[f"{where}.bias"] = state[f"{where}.bias"] + shift
            for unit in (zero[k] if zero else []):
                state[f"{names[k]}.weight"][unit] = 0.0
                state[f"{names[k]}.bias"][unit] = 0.0
        X = rng.normal(size=(n, sizes[0])).astype(np.float32)
        return {"layers": layers, "state": state, "X": np.ascontiguousarray(X.T)}
    return make


def dead_relu_reference(layers, state, X):
    """For each nn.ReLU module, in order: the fraction of its units whose output is 0 for
    every row of X (X given transposed, (D, N)). Returns {"value": list of floats}."""
    import torch
    import torch.nn as nn
    model = _probes()._flat(layers, state)
    model.eval()
    fractions, h = [], torch.as_tensor(X).T
    with torch.no_grad():
        for layer in model:
            h = layer(h)
            if isinstance(layer, nn.ReLU):
                fractions.append((h == 0).all(dim=0).double().mean().item())
    return {"value": fractions}


# ================================================================ task 3.10: the activation zoo

ZOO_NAMES = ("leaky_relu", "elu", "silu", "gelu")
SLOPE_TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}


def _zoo_module(name):
    import torch.nn as nn
    return {"leaky_relu": nn.LeakyReLU(), "elu": nn.ELU(), "silu": nn.SiLU(),
            "gelu": nn.GELU()}[name]


def _swapped(z):
    """What the probe hands to the student: z with its first and last axes swapped (a
    non-contiguous view for 2-D and 3-D inputs)."""
    return np.swapaxes(np.asarray(z), 0, -1)


def slopes_reference(cases):
    """The derivative of each ``[name, z]`` case's activation at z (as the probe passes it),
    from autograd through PyTorch's own module, in float64: PyTorch's conventions at z = 0."""
    import torch
    values = []
    for name, z in cases:
        t = torch.tensor(_swapped(z).astype(np.float64), requires_grad=True)
        _zoo_module(name)(t).sum().backward()
        values.append(_tensor(t.grad.numpy()))
    return {"value": values}


def slope_inputs(names, shape, dtype=np.float64, scale=3.0):
    """Hidden z for each name: normal entries times ``scale`` of ``shape`` (sent with the first
    and last axes swapped), with exact zeros, tiny values of both signs and +-100 placed in."""
    def make(rng):
        cases = []
        for name in names:
            z = rng.normal(size=shape) * scale
            flat = z.reshape(-1)
            spots = rng.permutation(flat.size)[:6]
            flat[spots] = [0.0, 0.0, 1e-3, -1e-3, 100.0, -100.0]
            cases.append([name, np.ascontiguousarray(_swapped(z)).astype(dtype)])
        return {"cases": cases}
    return make


def _slope_call(name):
    return f"`activation_grad({name!r}, z)`"


def verify_slopes(out, inputs, expected):
    """Every case's derivative against autograd's; positions only, no values."""
    values = out.get("value")
    if not isinstance(values, list) or len(values) != len(inputs["cases"]):
        return ["`activation_grad` could not be called on every case"]
    found = []
    for (name, _), got, want in zip(inputs["cases"], values, expected["value"]):
        found += problems(got, want, _slope_call(name), "returned", reveal=False,
                          **SLOPE_TOLERANCE)
    return found


def verify_slope_format(out, inputs, expected):
    """Each result is a float tensor of z's shape, and z is as it was before the call."""
    from ...wire import Tensor
    values, after = out.get("value"), out.get("z after")
    if not isinstance(values, list) or len(values) != len(inputs["cases"]):
        return ["`activation_grad` could not be called on every case"]
    found = []
    for (name, z), got, z_after in zip(inputs["cases"], values, after):
        shape = _swapped(z).shape
        if not isinstance(got, Tensor) or got.array.dtype.kind != "f":
            found.append(f"{_slope_call(name)} returned {describe(got)}, expected a float "
                         "torch.Tensor")
        elif got.array.shape != shape:
            found.append(f"{_slope_call(name)} returned a tensor of shape {got.array.shape} for "
                         f"z of shape {shape}: return one derivative per entry of z")
        if not (isinstance(z_after, Tensor) and np.array_equal(z_after.array, _swapped(z))):
            found.append(f"{_slope_call(name)} changed z: build a new tensor instead of "
                         "writing into z")
    return found


# ================================================================ task 3.11: batch norm

def _norm_state(rng, D):
    """gamma, beta and running statistics for D features, float32."""
    f32 = np.float32
    return {"gamma": (1 + 0.3 * rng.normal(size=D)).astype(f32),
            "beta": (0.5 * rng.normal(size=D)).astype(f32),
            "running_mean": (0.5 * rng.normal(size=D)).astype(f32),
            "running_var": (0.5 + rng.random(size=D)).astype(f32)}


def _norm_batch(rng, N, D):
    """A batch (N, D) whose features have different means and scales, one of them tiny (so
    that eps matters), sent transposed (D, N)."""
    scales = np.exp(rng.uniform(-0.5, 1.5, size=D))
    scales[rng.integers(D)] = 0.05
    x = rng.normal(size=(N, D)) * scales + rng.normal(size=D) * 3
    return np.ascontiguousarray(x.T).astype(np.float32)


def norm_default_inputs(training):
    """One call with the default momentum and eps on a small batch (public)."""
    def make(rng):
        return {"x": _norm_batch(rng, 4, 3).T.copy(), **_norm_state(rng, 3),
                "training": training}
    return make


def norm_steps_inputs(N, D, modes, momentum, eps):
    """Calls of ``batch_norm`` on fresh batches, training or not as ``modes`` says."""
    def make(rng):
        return {"batches": [_norm_batch(rng, N, D) for _ in modes], "modes": list(modes),
                **_norm_state(rng, D), "momentum": momentum, "eps": eps}
    return make


def _torch_norm(x, gamma, beta, mean, var, training, momentum, eps):
    """F.batch_norm in float64; updates ``mean`` and ``var`` in place in training mode."""
    import torch
    import torch.nn.functional as F
    return F.batch_norm(torch.tensor(np.asarray(x, dtype=np.float64)), mean, var,
                        torch.tensor(np.asarray(gamma, dtype=np.float64)),
                        torch.tensor(np.asarray(beta, dtype=np.float64)), training, momentum,
                        eps)


def _float64(array):
    import torch
    return torch.tensor(np.asarray(array, dtype=np.float64))


def norm_default_reference(x, gamma, beta, running_mean, running_var, training):
    mean, var = _float64(running_mean), _float64(running_var)
    out = _torch_norm(x, gamma, beta, mean, var, training, 0.1, 1e-5)
    return {"value": _tensor(out.numpy()), "running_mean": _tensor(mean.numpy()),
            "running_var": _tensor(var.numpy())}


def norm_steps_reference(batches, modes, gamma, beta, running_mean, running_var, momentum,
                         eps):
    """Per call: the output and the running statistics after it, as nn.BatchNorm1d has them."""
    mean, var = _float64(running_mean), _float64(running_var)
    outputs, means, variances = [], [], []
    for batch, training in zip(batches, modes):
        outputs.append(_tensor(_torch_norm(np.asarray(batch).T, gamma, beta, mean, var,
                                           training, momentum, eps).numpy()))
        means.append(_tensor(mean.numpy().copy()))
        variances.append(_tensor(var.numpy().copy()))
    return {"outputs": outputs, "means": means, "variances": variances}


NORM_TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}
_STATISTIC = {"means": "the running mean", "variances": "the running variance"}


def _calls(out, inputs, key):
    values = out.get(key)
    if not isinstance(values, list) or len(values) != len(inputs["modes"]):
        return None
    return values


def _mode(training):
    return "training" if training else "evaluation"


def verify_norm_outputs(out, inputs, expected):
    """The outputs of the training-mode calls."""
    outputs = _calls(out, inputs, "outputs")
    if outputs is None:
        return ["`batch_norm` could not be called on every batch"]
    found = []
    for k, (got, want, training) in enumerate(zip(outputs, expected["outputs"],
                                                  inputs["modes"])):
        if training:
            found += problems(got, want, f"the output of training-mode call {k + 1}",
                              reveal=False, **NORM_TOLERANCE)
    return found[:2]


def verify_running(key):
    """The running statistic ``key`` ("means" or "variances") after every training-mode call;
    says so when it was not changed in place at all."""
    def verify(out, inputs, expected):
        values = _calls(out, inputs, key)
        if values is None:
            return ["`batch_norm` could not be called on every batch"]
        start = inputs["running_mean" if key == "means" else "running_var"]
        name = _STATISTIC[key]
        if all(getattr(v, "array", None) is not None and np.array_equal(v.array, start)
               for v in values):
            return [f"{name} tensor passed in was never changed: update it in place "
                    "(e.g. with mul_ and add_), do not assign a new tensor to the name"]
        found = []
        for k, (got, want, training) in enumerate(zip(values, expected[key], inputs["modes"])):
            if training:
                found += problems(got, want, f"{name} after training-mode call {k + 1}",
                                  reveal=False, **NORM_TOLERANCE)
        return found[:2]
    return verify


def verify_norm_evaluation(out, inputs, expected):
    """Evaluation-mode calls: their outputs, and running statistics left as they were."""
    calls = [_calls(out, inputs, key) for key in ("outputs", "means", "variances")]
    if any(values is None for values in calls):
        return ["`batch_norm` could not be called on every batch"]
    outputs, means, variances = calls
    found = []
    for k, training in enumerate(inputs["modes"]):
        if training:
            continue
        for key, values, start in (("means", means, inputs["running_mean"]),
                                   ("variances", variances, inputs["running_var"])):
            before = values[k - 1].array if k else start
            if not np.array_equal(getattr(values[k], "array", None), before):
                found.append(f"{_STATISTIC[key]} changed during evaluation-mode call {k + 1}: "
                             "evaluation mode updates nothing")
        found += problems(outputs[k], expected["outputs"][k],
                          f"the output of evaluation-mode call {k + 1}", reveal=False,
                          **NORM_TOLERANCE)
    return found[:2]


def verify_norm_format(out, inputs, expected):
    """Every output is a tensor of the batch's shape; the batches, gamma and beta are unchanged."""
    from ...wire import Tensor
    outputs = _calls(out, inputs, "outputs")
    if outputs is None:
        return ["`batch_norm` could not be called on every batch"]
    found = []
    for k, (got, batch) in enumerate(zip(outputs, inputs["batches"])):
        shape = np.asarray(batch).T.shape
        if not isinstance(got, Tensor):
            found.append(f"call {k + 1} returned {describe(got)}, expected a torch.Tensor of "
                         f"shape {shape}")
        elif got.array.shape != shape:
            found.append(f"call {k + 1} returned a tensor of shape {got.array.shape} for a "
                         f"batch of shape {shape}")
    after = out.get("batches after") or []
    changed = [k + 1 for k, (batch, x) in enumerate(zip(inputs["batches"], after))
               if not np.array_equal(getattr(x, "array", None), np.asarray(batch).T)]
    if changed or len(after) != len(inputs["batches"]):
        found.append(f"the batch x of call {(changed or [1])[0]} was changed: compute new "
                     "tensors, do not write into x")
    for key in ("gamma", "beta"):
        if not np.array_equal(getattr(out.get(f"{key} after"), "array", None), inputs[key]):
            found.append(f"`{key}` was changed: it is a learned parameter, only read it")
    return found[:2]


def norm_gradient_inputs(N, D):
    def make(rng):
        state = _norm_state(rng, D)
        return {"x": _norm_batch(rng, N, D).T.copy(), "gamma": state["gamma"],
                "beta": state["beta"],
                "weights": rng.normal(size=(N, D)).astype(np.float32)}
    return make


def norm_gradient_reference(x, gamma, beta, weights):
    """Gradients of sum(weights * batch_norm(x)) in training mode w.r.t. x, gamma and beta."""
    import torch
    import torch.nn.functional as F
    X, g, b = (_float64(a).requires_grad_() for a in (x, gamma, beta))
    D = len(gamma)
    out = F.batch_norm(X, torch.zeros(D, dtype=torch.float64),
                       torch.ones(D, dtype=torch.float64), g, b, True, 0.1, 1e-5)
    grads = torch.autograd.grad((out * _float64(weights)).sum(), [X, g, b])
    return {"grads": [_tensor(grad.numpy()) for grad in grads]}


def verify_norm_gradients(out, inputs, expected):
    """Gradients reach x, gamma and beta, and are right (so the output is built with
    differentiable operations)."""
    grads = out.get("grads")
    if not isinstance(grads, list) or len(grads) != 3:
        return ["the gradients of `batch_norm`'s output could not be computed"]
    found = []
    for name, got, want in zip(("x", "gamma", "beta"), grads, expected["grads"]):
        array = getattr(got, "array", None)
        if array is not None and not np.any(array) and np.any(want.array):
            found.append(f"no gradient flows back to `{name}`: compute the output with tensor "
                         "operations on the inputs (no .detach(), no torch.no_grad() around "
                         "it, no detour through NumPy)")
        else:
            found += problems(got, want, f"the gradient with respect to `{name}`",
                              reveal=False, **NORM_TOLERANCE)
    return found[:2]
