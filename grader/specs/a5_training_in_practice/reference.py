"""Assignment 5, trusted side: input makers, reference implementations and judges.

Nothing here is sent to the student's kernel: the probes (grader/probes/a5_training_in_practice.py)
get only a check's inputs without its ``_`` keys. torch and tensorboard are imported inside the
functions that need them, so loading the spec stays cheap. Collaborators are rebuilt here with the
probes' own builders (``_flat``, ``_layered``) and the same seeds, so a reference sees exactly the
network the student's code saw; what the student's code wrote to disk (event files, checkpoints)
comes back as bytes or tensors and is decoded here.

Judges (``verify``) say what was observed and what the statement asks for, never an expected value
or the size of an error.
"""
import math
import re
from typing import TYPE_CHECKING, Callable

import numpy as np

from ...compare import describe, plain_scalar, problems
from ...wire import Tensor

if TYPE_CHECKING:  # torch is imported where it is needed: loading the spec stays cheap
    import torch

SCRATCH = "/tmp"       # where probes write (a private tmpfs in the sandbox); they add a token
Maker = Callable[[np.random.Generator], dict]     # a check's inputs, from a seeded generator


# ================================================================ shared helpers

def _probes():
    from ...probes import a5_training_in_practice
    return a5_training_in_practice


def _tensor(array) -> Tensor:
    return Tensor(np.asarray(array))


def _array(value):
    """The values of a tensor or an array that came back, or None for anything else."""
    if isinstance(value, Tensor):
        return value.array
    return value if isinstance(value, np.ndarray) else None


def _layer(name, kind, *args, **kwargs):
    return [name, kind, list(args), kwargs]


def _seed(rng) -> int:
    return int(rng.integers(2**31))


def _forked(function):
    """Run ``function()`` with torch's global generator saved and restored around it: the
    references seed torch as the probes do, and must not change the grader's own state."""
    import torch
    with torch.random.fork_rng(devices=[]):
        return function()


def is_python_float(value) -> bool:
    """A Python float, as the statements ask (a NumPy or torch number is not one)."""
    return type(value) is float


def _float_problem(value, subject):
    if is_python_float(value):
        return []
    return [f"{subject} is {describe(value)}: return a Python float (float(...) or .item())"]


def _pairs(value):
    """``{name: tensor}`` or ``[[name, tensor], ...]`` that came back -> {name: array}, or
    None."""
    if isinstance(value, dict):
        return {str(name): _array(tensor) for name, tensor in value.items()}
    if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2
                                              for p in value):
        return None
    return {str(name): _array(tensor) for name, tensor in value}


def _same_arrays(got, want, exact=True, rtol=1e-5, atol=1e-7):
    """Names of ``want`` ({name: array}) whose value in ``got`` is missing or different."""
    wrong = []
    for name, expected in want.items():
        actual = got.get(name) if isinstance(got, dict) else None
        if actual is None or actual.shape != np.shape(expected):
            wrong.append(name)
        elif exact and not np.array_equal(actual, expected, equal_nan=True):
            wrong.append(name)
        elif not exact and not np.allclose(actual, expected, rtol=rtol, atol=atol,
                                           equal_nan=True):
            wrong.append(name)
    return wrong


def _listed(names, limit=3):
    names = list(names)
    shown = ", ".join(f"`{n}`" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# ================================================================ task 5.1: SmallCNN

CNN_WIDTHS = (32, 32, 64, 64)
CONVS = ["conv1", "conv2", "conv3", "conv4"]
CNN_LAYERS = [*CONVS, "fc1", "fc2", "dropout"]


def cnn_shapes(n_classes: int = 10, widths=CNN_WIDTHS, hidden: int = 128) -> list:
    """The state dict of SmallCNN(n_classes), in order: ``[[name, shape], ...]``."""
    shapes, c_in = [], 3
    for name, c_out in zip(CONVS, widths):
        shapes += [[f"{name}.weight", [c_out, c_in, 3, 3]], [f"{name}.bias", [c_out]]]
        c_in = c_out
    return shapes + [["fc1.weight", [hidden, c_in * 16]], ["fc1.bias", [hidden]],
                     ["fc2.weight", [n_classes, hidden]], ["fc2.bias", [n_classes]]]


def _scales(shapes):
    """He-scaled weights (activations stay of order one through the layers) and biases of
    both signs large enough that the ReLUs cut off different units for different images."""
    return [math.sqrt(2.0 / int(np.prod(shape[1:]))) if len(shape) > 1 else 0.2
            for _, shape in shapes]


def cnn_layout_expected(n_classes: int = 10) -> dict:
    return {"state": cnn_shapes(n_classes),
            "types": ["Conv2d"] * 4 + ["Linear", "Linear", "Dropout"],
            "convs": [[(3, 3), (1, 1)]] * 4, "p": 0.3}


def cnn_inputs(images, n_classes=10, strided=True, **kwargs) -> Maker:
    """Inputs of ``cnn_forward`` / ``cnn_dropout``: weights and images drawn in the kernel from
    a seed; ``strided`` draws twice the images, of which the probe uses every other one."""
    def make(rng):
        shapes = cnn_shapes(n_classes)
        constructor = dict(kwargs, **({"n_classes": n_classes} if n_classes != 10 else {}))
        return {"kwargs": constructor, "shapes": shapes, "scales": _scales(shapes),
                "seed": _seed(rng), "x_shape": [images * (2 if strided else 1), 3, 32, 32]}
    return make


def _drawn(shapes: list, scales: list, seed: int, x_shape: list) -> tuple:
    import torch
    generator = torch.Generator().manual_seed(seed)
    weights = {name: torch.randn(shape, generator=generator) * scale
               for (name, shape), scale in zip(shapes, scales)}
    return weights, torch.randn(x_shape, generator=generator)


def small_cnn_logits(w: dict, x: "torch.Tensor") -> "torch.Tensor":
    """SmallCNN's forward pass in evaluation mode, from its weights ``w`` (a state dict)."""
    import torch.nn.functional as F

    def block(h, name, pool):
        h = F.relu(F.conv2d(h, w[f"{name}.weight"], w[f"{name}.bias"], padding=1))
        return F.max_pool2d(h, 2) if pool else h
    h = block(block(x, "conv1", True), "conv2", True)
    h = block(block(h, "conv3", False), "conv4", True)
    h = F.relu(F.linear(h.flatten(start_dim=1), w["fc1.weight"], w["fc1.bias"]))
    return F.linear(h, w["fc2.weight"], w["fc2.bias"])


def ref_cnn_forward(kwargs, shapes, scales, seed, x_shape) -> dict:
    """Logits (N, n_classes) of SmallCNN with the drawn weights on every other drawn image."""
    import torch
    weights, x = _drawn(shapes, scales, seed, x_shape)
    with torch.no_grad():
        return {"logits": _tensor(small_cnn_logits(weights, x[::2]).numpy())}


# Dropout is judged on fc2's input: each of its entries must be ReLU(fc1's output) dropped
# (0) or kept and scaled by 1 / (1 - p). The fraction dropped among fc1's positive units may
# be off p by this much: about 1,000 such units with the inputs below, a standard error of
# 0.015, so this is more than five of them.
DROPOUT_WINDOW = 0.08


def verify_dropout(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    p = inputs["kwargs"]["dropout"]
    fc1, fc2, logits = (out.get(k) for k in ("fc1_out", "fc2_in", "logits"))
    if not all(isinstance(v, list) and len(v) == 3 and all(_array(t) is not None for t in v)
               for v in (fc1, fc2, logits)):
        return ["`SmallCNN` did not call its layers `self.fc1` and `self.fc2` once in every "
                "forward pass"]
    got_p = plain_scalar(out.get("p"))
    if type(got_p) not in (int, float) or not math.isclose(got_p, p):
        return ["`dropout.p` is not the `dropout` argument of the constructor"]
    fc1, fc2, logits = ([_array(t).astype(np.float64) for t in v] for v in (fc1, fc2, logits))
    if not np.array_equal(logits[1], logits[2]):
        return ["in evaluation mode two forward passes on the same images gave different "
                "logits: dropout must be active in training mode only"]
    if fc2[1].shape != fc1[1].shape or not np.allclose(fc2[1], np.maximum(fc1[1], 0),
                                                      rtol=1e-5, atol=1e-6):
        return ["in evaluation mode fc2's input is not ReLU of fc1's output"]
    kept, given = np.maximum(fc1[0], 0), fc2[0]
    if given.shape != kept.shape:
        return ["in training mode fc2's input does not have the shape of fc1's output"]
    if np.allclose(given, kept, rtol=1e-5, atol=1e-6):
        return ["in training mode fc2's input is ReLU of fc1's output, unchanged: apply "
                "dropout between fc1's ReLU and fc2 (the model was in training mode)"]
    dropped = given == 0
    scaled = np.isclose(given, kept / (1 - p), rtol=1e-4, atol=1e-6)
    if not (dropped | scaled).all():
        return ["in training mode fc2's input is not ReLU of fc1's output with dropout applied "
                "to it: dropout belongs right after fc1's ReLU and right before fc2"]
    positive = kept > 0
    if abs(dropped[positive].mean() - p) > DROPOUT_WINDOW:
        return ["in training mode dropout does not zero fc1's units at the rate given by the "
                "`dropout` argument"]
    return []


# ================================================================ task 5.2: the training loop

def _mlp(sizes, dropout):
    """Linear, ReLU, [Dropout,] Linear, named "0", "1", ... as in an nn.Sequential."""
    layers = [_layer("0", "Linear", sizes[0], sizes[1]), _layer("1", "ReLU")]
    if dropout:
        layers.append(_layer("2", "Dropout", dropout))
    return layers + [_layer(str(len(layers)), "Linear", sizes[1], sizes[2])]


def _linear_state(rng, layers):
    """``[[name, array], ...]``: weights N(0, 1 / fan_in), biases N(0, 0.1^2), float32."""
    state = []
    for name, kind, args, _ in layers:
        if kind == "Linear":
            fan_in, fan_out = args
            state.append([f"{name}.weight", (rng.normal(size=(fan_out, fan_in))
                                             / np.sqrt(fan_in)).astype(np.float32)])
            state.append([f"{name}.bias", (0.1 * rng.normal(size=fan_out)).astype(np.float32)])
    return state


def _batches(rng, sizes, batch_sizes, loud=None):
    """``[[x, y], ...]``: x float32 (n, d), y int64 (n,); batch ``loud`` has inputs 4 times
    larger (a much larger loss, so that a mean of batch means differs from the mean)."""
    batches = []
    for k, n in enumerate(batch_sizes):
        x = rng.normal(size=(n, sizes[0])) * (4.0 if k == loud else 1.0)
        batches.append([x.astype(np.float32), rng.integers(0, sizes[2], size=n).astype(np.int64)])
    return batches


def training_inputs(sizes, batch_sizes, lr, dropout=0.0, desc="train", loud=None) -> Maker:
    def make(rng):
        layers = _mlp(sizes, dropout)
        return {"layers": layers, "state": _linear_state(rng, layers),
                "batches": _batches(rng, sizes, batch_sizes, loud), "lr": lr,
                "seed": _seed(rng), "desc": desc}
    return make


def evaluation_inputs(sizes, batch_sizes, dropout=0.0) -> Maker:
    def make(rng):
        layers = _mlp(sizes, dropout)
        state = _linear_state(rng, layers)
        grads = [[name, rng.normal(size=value.shape).astype(np.float32)]
                 for name, value in state]
        return {"layers": layers, "state": state,
                "batches": _batches(rng, sizes, batch_sizes, loud=0), "seed": _seed(rng),
                "grads": grads}
    return make


def _training_reference(layers: list, state: list, batches: list, lr: float,
                        seed: int) -> tuple:
    """One epoch as the statement describes it, on the probe's network and batches: training
    mode, for each batch fresh gradients of the batch's mean cross-entropy and one plain SGD
    step; torch seeded with ``seed`` first (dropout masks). Returns the model afterwards, the
    batch losses and the number of correct predictions per batch."""
    import torch
    import torch.nn.functional as F

    def run():
        model = _probes()._flat(layers, state)
        model.train()
        torch.manual_seed(seed)
        losses, correct = [], []
        for x, y in batches:
            x, y = torch.as_tensor(x), torch.as_tensor(y)
            model.zero_grad(set_to_none=True)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(p.grad, alpha=-lr)
            losses.append(loss.item())
            correct.append((logits.argmax(dim=1) == y).sum().item())
        return model, losses, correct
    return _forked(run)


def ref_training(layers, state, batches, lr, seed, desc) -> dict:
    """{"result": (mean loss per sample, accuracy of the forward passes), "params":
    [[name, Tensor], ...] after the epoch}."""
    model, losses, correct = _training_reference(layers, state, batches, lr, seed)
    sizes = [len(y) for _, y in batches]
    return {"result": (sum(l * n for l, n in zip(losses, sizes)) / sum(sizes),
                       sum(correct) / sum(sizes)),
            "params": {n: _tensor(p.detach().numpy().copy())
                       for n, p in model.named_parameters()}}


def ref_progress(layers, state, batches, lr, seed, desc) -> dict:
    """{"running": the mean loss per sample over the batches so far, after each batch}."""
    _, losses, _ = _training_reference(layers, state, batches, lr, seed)
    sizes = [len(y) for _, y in batches]
    totals = np.cumsum([l * n for l, n in zip(losses, sizes)])
    return {"running": (totals / np.cumsum(sizes)).tolist()}


def ref_evaluation(layers, state, batches, seed, grads) -> dict:
    """{"result": (cross-entropy summed over all samples / their number, accuracy),
    "training_after": every module's flag after the call (all False)}."""
    import torch
    import torch.nn.functional as F
    model = _probes()._flat(layers, state)
    model.train(False)
    total, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for x, y in batches:
            x, y = torch.as_tensor(x), torch.as_tensor(y)
            logits = model(x)
            total += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += len(y)
    return {"result": (total / seen, correct / seen),
            "training_after": [False] * len(list(model.modules()))}


def _result_pair(out, function):
    result = out.get("result")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return None, [f"`{function}` returned {describe(result)}, expected a tuple "
                      "(mean_loss, accuracy)"]
    return result, []


def _diagnose(events, n_batches):
    """What the recorded calls say about a loop whose parameters came out wrong."""
    hints = []
    steps = events.count("step")
    if steps != n_batches:
        hints.append(f"optimizer.step() was called {steps} time(s) for {n_batches} batches")
    cleared, unclear = False, 0
    for event in events:
        if event == "zero_grad":
            cleared = True
        elif event == "backward":
            unclear += not cleared
            cleared = False
    if unclear:
        hints.append(f"{unclear} backward pass(es) ran without optimizer.zero_grad() before "
                     "them (gradients left from before the call or from the previous batch "
                     "are added to the new ones)")
    forwards = events.count("forward")
    if forwards != n_batches:
        hints.append(f"the model was called {forwards} time(s) for {n_batches} batches")
    return hints


def verify_training_params(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    got = _pairs(out.get("params"))
    want = {name: value.array for name, value in expected["params"].items()}
    if got is None or _same_arrays(got, want, exact=False, rtol=1e-4, atol=1e-6):
        events = [e for e in out.get("events") or [] if isinstance(e, str)]
        hints = _diagnose(events, len(inputs["batches"]))
        return ["the parameters after the epoch are not those of one SGD step per batch on "
                "the batch's mean cross-entropy, with fresh gradients for every batch, in "
                "training mode" + (": " + "; ".join(hints) if hints else "")]
    return []


def verify_mean_loss(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    result, found = _result_pair(out, "train_epoch")
    if found:
        return found
    found = _float_problem(result[0], "`mean_loss`")
    if not found and not math.isclose(result[0], expected["result"][0], rel_tol=1e-5,
                                      abs_tol=1e-7):
        found = ["`mean_loss` is wrong: it is the sum over the batches of (the batch's mean "
                 "cross-entropy) x (its size), divided by the number of samples (here the "
                 "batches have different sizes)"]
    return found


def verify_train_accuracy(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    result, found = _result_pair(out, "train_epoch")
    if found:
        return found
    found = _float_problem(result[1], "`accuracy`")
    if not found and not math.isclose(result[1], expected["result"][1], abs_tol=1e-9):
        found = ["`accuracy` is wrong: it is the fraction of all samples of the epoch whose "
                 "largest logit is at the label, from the logits of the forward passes that "
                 "gave the losses (before each step)"]
    return found


def verify_training_mode(out: dict, inputs: dict, expected: dict | None) -> list[str]:
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


def verify_moved(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    """Every batch tensor, x and y, was moved with ``.to(...)`` naming the device."""
    moves = out.get("moves") or []
    unmoved = sum(1 for calls in moves
                  if not any(any("cpu" in str(a) for a in call) for call in calls or []))
    if unmoved or not moves:
        return [f"{unmoved} of {len(moves)} batch tensors (x and y of every batch) were not "
                "moved to `device` with .to(device)"]
    return []


NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _shown_numbers(shown):
    """The numbers a set_postfix call showed: its values, and numbers written in strings."""
    numbers = []
    for _, value in shown if isinstance(shown, list) else []:
        value = plain_scalar(value)
        if type(value) in (int, float):
            numbers.append(float(value))
        elif isinstance(value, str):
            numbers += [float(n) for n in NUMBER.findall(value)]
    return numbers


def _shows(numbers, running):
    """Whether one of ``numbers`` is ``running``, as rounded for display (3 digits)."""
    return any(math.isclose(n, running, rel_tol=5e-3, abs_tol=6e-3) for n in numbers)


def verify_progress(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    events = out.get("progress") or []
    made = [e for e in events if isinstance(e, list) and e[:1] == ["tqdm"]]
    if not made:
        return ["`train_epoch` does not show a progress bar with tqdm(loader, ...)"]
    _, desc, leave = made[0]
    found = []
    if desc != inputs["desc"]:
        found.append("the progress bar's label is not the `desc` argument: "
                     "tqdm(loader, desc=desc, leave=False)")
    if leave is not False:
        found.append("the progress bar is made with leave=True (tqdm's default): pass "
                     "leave=False")
    if events.count("batch") != len(inputs["batches"]):
        found.append("the progress bar does not wrap the loader: iterate over "
                     "tqdm(loader, ...)")
    batches, shown, wrong = 0, 0, 0
    for event in events:
        if event == "batch":
            batches += 1
        elif isinstance(event, list) and event[:1] == ["postfix"] and batches:
            shown += 1
            wrong += not _shows(_shown_numbers(event[1]), expected["running"][batches - 1])
    if not shown:
        found.append("the running mean loss is never shown: call set_postfix on the bar")
    elif wrong:
        found.append(f"{wrong} of {shown} set_postfix calls do not show the running mean loss "
                     "(the mean per sample over the batches so far)")
    return found


def _evaluation_result(out, expected):
    result, found = _result_pair(out, "evaluate")
    for value, what in zip(result or [], ("`mean_loss`", "`accuracy`")):
        found += _float_problem(value, what)
    if found:
        return found
    if not math.isclose(result[0], expected["result"][0], rel_tol=1e-5, abs_tol=1e-7):
        found.append("`evaluate`'s mean loss is wrong: the cross-entropy summed over all "
                     "samples, divided by their number (the batches have different sizes), "
                     "in evaluation mode")
    if not math.isclose(result[1], expected["result"][1], abs_tol=1e-9):
        found.append("`evaluate`'s accuracy is wrong: the fraction of all samples whose largest "
                     "logit is at the label, in evaluation mode")
    return found


def verify_evaluation(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    found = _evaluation_result(out, expected)
    modes = out.get("modes") or []
    if not modes:
        return found + ["`evaluate` never called the model"]
    training = sum(1 for flags, _ in modes if any(flags))
    if training:
        found.append(f"{training} of {len(modes)} forward passes ran with the model in training "
                     "mode (it was handed over in training mode): call model.eval() first")
    recording = sum(1 for _, grad in modes if grad)
    if recording:
        found.append(f"autograd was recording in {recording} of {len(modes)} forward passes: "
                     "compute inside torch.no_grad()")
    if any(out.get("training_after") or [True]):
        found.append("after `evaluate` the model is not in evaluation mode: leave it there")
    return found


def verify_evaluation_untouched(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    """Once the results are right: the parameters and gradients are the ones given."""
    found = _evaluation_result(out, expected)
    if found:
        return ["`evaluate` does not return the right results yet, so whether it leaves the "
                "model alone is not judged"]
    params = _pairs(out.get("params"))
    changed = _same_arrays(params, dict(inputs["state"]))
    if changed:
        found.append(f"`evaluate` changed the parameter(s) {_listed(changed)}")
    grads = _pairs(out.get("grads"))
    changed = _same_arrays(grads, dict(inputs["grads"]))
    if changed:
        found.append(f"`evaluate` changed or removed the gradient(s) of {_listed(changed)}: "
                     "it must not touch .grad (no zero_grad, no backward)")
    return found


# ================================================================ task 5.3: log_epoch

def logging_inputs(layers: list, epochs: list, metrics: list, frozen=(), no_grad=(),
                   nan_weight: str | None = None, inf_grad: str | None = None) -> Maker:
    """Inputs of ``logging_run``: the model's layers with weights and gradients (none for the
    parameters in ``no_grad``), parameters ``frozen`` frozen (their stale gradients stay),
    a nan in one weight and an inf in one gradient if asked."""
    def make(rng):
        state = _linear_state(rng, layers)
        grads = [[name, rng.normal(size=value.shape).astype(np.float32)]
                 for name, value in state if name not in no_grad]
        if nan_weight:
            dict(state)[nan_weight].flat[0] = np.nan
        if inf_grad:
            dict(grads)[inf_grad].flat[-1] = np.inf
        return {"root": SCRATCH, "layers": layers, "state": state, "frozen": list(frozen),
                "grads": grads, "epochs": list(epochs),
                "metrics": [[[tag, value] for tag, value in m] for m in metrics]}
    return make


def _histogram_stats(values):
    v = np.asarray(values, dtype=np.float64).ravel()
    return {"num": float(v.size), "sum": float(v.sum()), "min": float(v.min()),
            "max": float(v.max())}


def expected_log(layers: list, state: list, frozen: list, grads: list, epochs: list,
                 metrics: list) -> list[dict]:
    """The records log_epoch must write, per call: its scalars (tag, float32 value) and its
    histograms (tag, summary of the values), each list in the statement's order."""
    names = [n for n, _ in _probes()._flat(layers, state).named_parameters()]
    values, gradients = dict(state), dict(grads)
    calls = []
    for epoch, pairs in zip(epochs, metrics):
        scalars = [(epoch, tag, float(np.float32(value))) for tag, value in pairs]
        histograms = []
        for name in names:
            if name in frozen:
                continue
            for kind, tensor in (("weights", values[name]), ("gradients", gradients.get(name))):
                if tensor is not None and np.isfinite(tensor).all():
                    histograms.append((epoch, f"{kind}/{name}", _histogram_stats(tensor)))
        calls.append({"scalars": scalars, "histograms": histograms})
    return calls


def read_records(data: np.ndarray) -> list[tuple]:
    """The summary records in the bytes of one event file (a sequence of TFRecords: length,
    its checksum, an Event protocol buffer, its checksum): ``[(step, kind, tag, value)]``
    with kind "scalar" (value a float) or "histogram" (value {num, sum, min, max}). A record
    cut short at the end (still being written) is left out."""
    from tensorboard.compat.proto import event_pb2
    raw = np.asarray(data, dtype=np.uint8).tobytes()
    records, position = [], 0
    while position + 12 <= len(raw):
        length = int.from_bytes(raw[position:position + 8], "little")
        start, end = position + 12, position + 12 + length
        if end + 4 > len(raw):
            break
        event = event_pb2.Event.FromString(raw[start:end])
        for value in event.summary.value:
            kind = value.WhichOneof("value")
            if kind == "histo":
                h = value.histo
                records.append((event.step, "histogram", value.tag,
                                {"num": h.num, "sum": h.sum, "min": h.min, "max": h.max}))
            elif kind == "simple_value":
                records.append((event.step, "scalar", value.tag, value.simple_value))
            elif kind == "tensor":                  # add_scalar(..., new_style=True)
                numbers = list(value.tensor.float_val) + list(value.tensor.double_val)
                records.append((event.step, "scalar", value.tag,
                                numbers[0] if numbers else math.nan))
        position = end + 4
    return records


def _file_records(files):
    if not isinstance(files, list) or not all(_array(f) is not None for f in files):
        return None
    return [r for f in files for r in read_records(_array(f))]


def _scalar_equal(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def _histogram_equal(got, want):
    return (got["num"] == want["num"] and got["min"] == want["min"]
            and got["max"] == want["max"]
            and math.isclose(got["sum"], want["sum"], rel_tol=1e-6, abs_tol=1e-6))


def log_problems(records: list | None, wanted: list[dict]) -> list[str]:
    """What differs between the records read from the event file and what the statement asks
    for, in words (tags are named; values and their errors are not)."""
    if records is None:
        return ["the check got no event file to read"]
    found = []
    scalars = [(s, t, v) for s, kind, t, v in records if kind == "scalar"]
    histograms = [(s, t, v) for s, kind, t, v in records if kind == "histogram"]
    want_scalars = [s for call in wanted for s in call["scalars"]]
    want_histograms = [h for call in wanted for h in call["histograms"]]
    for got, want, what in ((scalars, want_scalars, "scalar"),
                            (histograms, want_histograms, "histogram")):
        if [t for _, t, _ in got] == [t for _, t, _ in want] and \
                [s for s, _, _ in got] != [s for s, _, _ in want]:
            found.append(f"the {what}s are not all written at step `epoch` "
                         "(global_step=epoch)")
    if found:
        return found
    if [t for _, t, _ in scalars] != [t for _, t, _ in want_scalars]:
        tags = {t for _, t, _ in scalars}
        missing = [t for _, t, _ in want_scalars if t not in tags]
        found.append("the event file's scalars are not one add_scalar(tag, float(value), epoch) "
                     "per entry of `metrics`, in order"
                     + (f" (missing: {_listed(missing)})" if missing else ""))
    elif not all(_scalar_equal(v, w) for (_, _, v), (_, _, w) in zip(scalars, want_scalars)):
        found.append("some scalar in the event file does not hold the value of its metric")
    got_tags = [t for _, t, _ in histograms]
    want_tags = [t for _, t, _ in want_histograms]
    if got_tags != want_tags:
        extra = [t for t in got_tags if t not in want_tags]
        missing = [t for t in want_tags if t not in got_tags]
        detail = [f"unexpected: {_listed(extra)}"] if extra else []
        detail += [f"missing: {_listed(missing)}"] if missing else []
        found.append("the event file's histograms are not, in the order of named_parameters(), "
                     "weights/<name> and (if .grad is not None) gradients/<name> of each "
                     "parameter with requires_grad, leaving out tensors with nan or inf"
                     + (f" ({'; '.join(detail)})" if detail else " (the order differs)"))
    else:
        wrong = [t for (_, t, v), (_, _, w) in zip(histograms, want_histograms)
                 if not _histogram_equal(v, w)]
        if wrong:
            found.append(f"the histogram(s) {_listed(wrong)} do not summarise the values of "
                         "their tensor (their count, sum, minimum or maximum differ)")
    return found


def ref_logging(root, layers, state, frozen, grads, epochs, metrics) -> dict:
    """The add_scalar and add_histogram calls the statement asks for (for public checks)."""
    calls = expected_log(layers, state, frozen, grads, epochs, metrics)
    return {"scalars": [[t, float(v), s] for c in calls for s, t, v in c["scalars"]],
            "histograms": [[t, s] for c in calls for s, t, _ in c["histograms"]]}


def ref_scalar_calls(**inputs) -> dict:
    """The add_scalar calls [tag, value, step] the statement asks for (public check)."""
    return {"scalars": ref_logging(**inputs)["scalars"]}


def ref_histogram_calls(**inputs) -> dict:
    """The add_histogram calls [tag, step] the statement asks for (public check)."""
    return {"histograms": ref_logging(**inputs)["histograms"]}


def verify_log_file(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    """The records in the event file (after the probe's own flush) are the ones the statement
    asks for, with the right summaries."""
    wanted = expected_log(**{k: v for k, v in inputs.items() if k != "root"})
    return log_problems(_file_records(out.get("files")), wanted)


def verify_log_flush(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    """Once the records are right: every call ends with a flush, nothing closes the writer, one
    event file holds it all, and the records of each call are in the file when the call
    returns (counted: one record per add_scalar or add_histogram call made so far)."""
    wanted = expected_log(**{k: v for k, v in inputs.items() if k != "root"})
    if log_problems(_file_records(out.get("files")), wanted):
        return ["`log_epoch` does not write the right records yet, so how it leaves the writer "
                "is not judged"]
    calls_after = out.get("calls_after") or []
    previous = 0
    for k, calls in enumerate(calls_after):
        own = calls[previous:]
        previous = len(calls)
        if "close" in own:
            return [f"call {k + 1} of `log_epoch` closed the writer: it belongs to the caller, "
                    "who goes on logging to it"]
        if not own or own[-1] != "flush":
            return [f"call {k + 1} of `log_epoch` does not end with writer.flush()"]
    files = out.get("files")
    if not isinstance(files, list) or len(files) != 1:
        return ["the records of the calls went to more than one event file: do not close the "
                "writer"]
    for k, (calls, files_then) in enumerate(zip(calls_after, out.get("files_after") or [])):
        records = _file_records(files_then)
        written = sum(1 for c in calls if c in ("add_scalar", "add_histogram"))
        if records is None or len(records) < written:
            return [f"when call {k + 1} of `log_epoch` returned, the event file did not hold "
                    "its records yet"]
    return []


def verify_log_untouched(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    """Once the records are right: every call returned None and changed no parameter or
    gradient."""
    wanted = expected_log(**{k: v for k, v in inputs.items() if k != "root"})
    if log_problems(_file_records(out.get("files")), wanted):
        return ["`log_epoch` does not write the right records yet, so whether it leaves the "
                "model alone is not judged"]
    found = []
    returned = out.get("returned") or []
    if any(value is not None for value in returned):
        found.append(f"`log_epoch` returned {describe(next(v for v in returned if v is not None))}"
                     ": it returns None")
    changed = _same_arrays(_pairs(out.get("params")), dict(inputs["state"]))
    if changed:
        found.append(f"`log_epoch` changed the parameter(s) {_listed(changed)}")
    grads = _pairs(out.get("grads"))
    changed = _same_arrays(grads, dict(inputs["grads"]))
    if changed:
        found.append(f"`log_epoch` changed or removed the gradient(s) of {_listed(changed)}")
    return found


# ================================================================ task 5.4: the rate search

def ref_geometric_rates(low, high, n) -> dict:
    return [low * (high / low) ** (i / (n - 1)) for i in range(n)]


def verify_rate_grids(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    found = []
    for k, ((low, high, n), got) in enumerate(zip(inputs["calls"], out.get("values") or [])):
        name = f"`geometric_rates` on hidden grid {k + 1} (n = {n})"
        if type(got) is not list:
            found.append(f"{name} returned {describe(got)}, expected a list")
        elif len(got) != n:
            found.append(f"{name} returned {len(got)} rates instead of {n}")
        elif not all(is_python_float(v) for v in got):
            kind = describe(next(v for v in got if not is_python_float(v)))
            found.append(f"{name} holds {kind}: the rates must be Python floats")
        elif not np.allclose(got, ref_geometric_rates(low, high, n), rtol=1e-12, atol=0):
            wrong = [i for i, (a, b) in enumerate(zip(got, ref_geometric_rates(low, high, n)))
                     if not math.isclose(a, b, rel_tol=1e-12)]
            found.append(f"{name}: rate {wrong[0]} is not low * (high / low) ** (i / (n - 1))")
    return found[:2]


def search_inputs(rates, draws) -> Maker:
    def make(rng):
        return {"rates": list(rates), "seed": _seed(rng), "size": [3, 2], "draws": draws}
    return make


SEARCH_PUBLIC = {"rates": [0.3, 0.01], "seed": 7, "size": [3, 2], "draws": 0}
RMSPROP_DEFAULTS = {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0, "momentum": 0,
                    "centered": False}


def _seeded_linear(seed, size):
    import torch
    import torch.nn as nn

    def build():
        torch.manual_seed(seed)
        return [_tensor(p.detach().numpy().copy()) for p in nn.Linear(*size).parameters()]
    return _forked(build)


def ref_search(rates, seed, size, draws) -> dict:
    """What lr_search shows train_fn, call by call, and the keys of its result."""
    weights = _seeded_linear(seed, size)
    return {"type": "dict", "keys": list(rates), "optimizers": ["RMSprop"] * len(rates),
            "groups": [[{"lr": rate, **RMSPROP_DEFAULTS}] for rate in rates],
            "weights": [weights] * len(rates)}


def ref_search_seen(**inputs) -> dict:
    """What train_fn receives and the result's keys (public check: no ids, no type)."""
    return {k: v for k, v in ref_search(**inputs).items() if k != "type"}


def verify_search_seeding(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    weights = out.get("weights") or []
    if len(weights) != len(inputs["rates"]):
        return [f"`train_fn` was called {len(weights)} time(s) for {len(inputs['rates'])} "
                "rates"]
    want = [w.array for w in expected["weights"][0]]
    wrong = [k for k, got in enumerate(weights)
             if not (isinstance(got, list) and len(got) == len(want)
                     and all(_array(g) is not None and np.array_equal(_array(g), w)
                             for g, w in zip(got, want)))]
    if wrong:
        return [f"the model of rate number {wrong[0] + 1} does not start from the weights that "
                "torch.manual_seed(seed) right before make_model() gives (here make_model and "
                "train_fn draw random numbers too)"]
    return []


def verify_search_protocol(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    rates = inputs["rates"]
    optimizers = out.get("optimizers") or []
    if len(optimizers) != len(rates):
        return [f"`train_fn` was called {len(optimizers)} time(s) for {len(rates)} rates: once "
                "per rate"]
    found = []
    if any(name != "RMSprop" for name in optimizers):
        found.append("the optimizer is not torch.optim.RMSprop")
    for k, (groups, rate) in enumerate(zip(out.get("groups") or [], rates)):
        if len(groups) != 1:
            found.append(f"the optimizer of rate number {k + 1} has {len(groups)} parameter "
                         "groups: make it from model.parameters()")
            break
        settings = groups[0]
        if settings.get("lr") != rate:
            found.append(f"the optimizer of rate number {k + 1} does not have that rate as lr")
            break
        if any(settings.get(key) != value for key, value in RMSPROP_DEFAULTS.items()):
            found.append("the optimizer's other settings (alpha, eps, weight_decay, momentum, "
                         "centered) are not RMSprop's defaults")
            break
    if any(group_ids != [model_ids] for group_ids, model_ids
           in zip(out.get("group_ids") or [], out.get("model_ids") or [])):
        found.append("the optimizer does not hold the parameters of the model passed to "
                     "train_fn (make it from that model's parameters())")
    if out.get("type") != "dict":
        found.append(f"`lr_search` returned a {out.get('type')}, expected a dict")
    elif out.get("keys") != rates or not all(is_python_float(k) for k in out.get("keys")):
        found.append("the keys of the result are not the rates, in the order given")
    elif out.get("value_ids") != out.get("history_ids"):
        found.append("the values of the result are not the objects train_fn returned (in "
                     "the order of the rates; no copies)")
    return found


def _history_pairs(histories):
    return [[rate, history] for rate, history in histories]


BEST_PUBLIC = {"pairs": _history_pairs([
    (1e-3, {"val_loss": [2.0, 1.5], "train_loss": [2.1, 1.4]}),
    (1e-2, {"val_loss": [1.2, 1.4], "train_loss": [1.5, 0.9]}),
    (1e-1, {"val_loss": [3.0, 2.5], "train_loss": [2.9, 2.6]}),
    (1e-4, {"val_loss": [1.3, 1.2], "train_loss": [2.2, 2.0]})]), "key": "val_loss"}


def ref_best_rate(pairs, key, hopeless=None) -> dict:
    best, score = None, math.inf
    for rate, history in pairs:
        finite = [v for v in history[key] if math.isfinite(v)]
        if finite and min(finite) < score:
            best, score = rate, min(finite)
    return {"value": best}


def best_hidden_inputs(rng: np.random.Generator) -> dict:
    """The winner's minimum is in the middle, after a nan (Python's min is then nan); a rate
    with no finite value; one whose smallest value is -inf; one whose last value is lower than
    the winner's; another key whose winner differs."""
    nan, inf = math.nan, math.inf
    scale = float(rng.uniform(1.0, 2.0))
    histories = [
        (0.02, {"val_acc": [0.5 * scale, 0.6 * scale],
                "train_loss": [nan, 0.9 * scale, 1.1 * scale]}),
        (0.3, {"val_acc": [0.2 * scale, nan], "train_loss": [inf, inf]}),
        (0.001, {"val_acc": [0.9 * scale, 0.8 * scale], "train_loss": [1.0 * scale, nan]}),
        (0.05, {"val_acc": [0.7 * scale, 0.4 * scale], "train_loss": [0.95 * scale, -inf]}),
        (0.007, {"val_acc": [0.1 * scale, 0.3 * scale],
                 "train_loss": [1.05 * scale, 1.02 * scale]}),
    ]
    return {"pairs": _history_pairs(histories), "key": "train_loss"}


def best_guarded_inputs(rng: np.random.Generator) -> dict:
    inputs = best_hidden_inputs(rng)
    nan, inf = math.nan, math.inf
    inputs["hopeless"] = _history_pairs([(0.1, {"train_loss": [nan, inf]}),
                                         (0.01, {"train_loss": [-inf, nan]})])
    return inputs


def verify_best_rate(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    value = out.get("value")
    if value != expected["value"] or type(value) is not type(expected["value"]):
        return ["`best_rate` did not return the rate with the lowest finite value of "
                f"history[{inputs['key']!r}] (nan and infinite values never count; a tie goes "
                "to the first rate)"]
    return []


def verify_best_guarded(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    found = verify_best_rate(out, inputs, expected)
    if found:
        return ["`best_rate` does not return the right rate yet, so whether it leaves its "
                "input alone is not judged"]
    after = out.get("results_after")
    same = isinstance(after, list) and len(after) == len(inputs["pairs"]) and all(
        isinstance(a, list) and len(a) == 2 and a[0] == rate and _same_history(a[1], history)
        for a, (rate, history) in zip(after, inputs["pairs"]))
    if not same:
        found.append("`best_rate` changed `results` (its rates or histories)")
    raised = out.get("raised") or [[]]
    if "ValueError" not in raised[0]:
        what = "returned a value" if out.get("returned") else (
            f"raised {raised[0][0]}" if raised[0] else "raised nothing")
        found.append(f"when no rate has a finite value, `best_rate` {what}: raise ValueError")
    return found


def _same_history(got, want):
    if not isinstance(got, dict) or set(got) != set(want):
        return False
    return all(isinstance(got[k], list) and len(got[k]) == len(want[k]) and all(
        _scalar_equal(a, b) if type(a) is float else False for a, b in zip(got[k], want[k]))
        for k in want)


# ================================================================ task 5.5: the schedule

def ref_schedule(lrs, final_factor, epochs, steps) -> dict:
    """Every group's rate after each of ``steps`` scheduler steps."""
    return {"rates": [[lr * final_factor ** (k / epochs) for lr in lrs]
                      for k in range(1, steps + 1)]}


def _rates_problems(out, inputs, expected):
    rates = out.get("rates")
    want = expected["rates"]
    if not isinstance(rates, list) or len(rates) != len(want) or not all(
            isinstance(r, list) and len(r) == len(w) for r, w in zip(rates, want)):
        return ["the optimizer's learning rates could not be read after each scheduler step"]
    for k, (got, wanted) in enumerate(zip(rates, want), start=1):
        if not all(type(g) in (int, float) and math.isclose(g, w, rel_tol=1e-9)
                   for g, w in zip(got, wanted)):
            return [f"after {k} call(s) of scheduler.step(), a group's learning rate is not its "
                    "starting rate times final_factor ** (k / epochs)"]
    return []


def verify_schedule(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    return _rates_problems(out, inputs, expected)


def verify_schedule_created(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    if _rates_problems(out, inputs, expected):
        return ["the schedule does not give the right rates yet, so what creating it does is "
                "not judged"]
    created = out.get("created") or {}
    found = []
    if created.get("lrs") != inputs["lrs"]:
        found.append("creating the scheduler changed a learning rate")
    params = created.get("params") or []
    if len(params) != len(inputs["lrs"]) or not all(
            _array(p) is not None and np.array_equal(_array(p), np.ones(2)) for p in params):
        found.append("creating the scheduler moved the parameters: it must take no optimizer "
                     "step")
    return found


def verify_scheduler_type(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    names = out.get("type") or []
    found = []
    if not ({"LRScheduler", "_LRScheduler"} & set(names)):
        found.append("the result is not a torch.optim.lr_scheduler scheduler (for example "
                     "ExponentialLR or LambdaLR)")
    return found + _rates_problems(out, inputs, expected)


# ================================================================ task 5.6: early stopping

def _states(rng, count):
    return ([rng.normal(size=(2, 3)).astype(np.float32) for _ in range(count)],
            [rng.normal(size=2).astype(np.float32) for _ in range(count)])


def stopping_inputs(losses, patience, min_delta=0.0, kind="float", read=0) -> Maker:
    def make(rng):
        weights, biases = _states(rng, len(losses))
        return {"root": SCRATCH, "patience": patience, "min_delta": min_delta,
                "losses": list(losses), "kind": kind, "weights": weights, "biases": biases,
                "read": read}
    return make


def restore_inputs(rng: np.random.Generator) -> dict:
    weights, biases = _states(rng, 3)
    written = [["weight", rng.normal(size=(2, 3)).astype(np.float32)],
               ["bias", rng.normal(size=2).astype(np.float32)]]
    return {"root": SCRATCH, "patience": 2, "losses": [1.0, 0.8, 0.9], "weights": weights,
            "biases": biases, "written": written}


def ref_stopping(root, patience, min_delta, losses, kind, weights, biases, read) -> dict:
    """The statement's EarlyStopping, call by call: the returns, (best_loss, best_epoch,
    counter, epochs) after each call, and the checkpoint's contents after each call."""
    best, best_epoch, counter, epochs, saved = math.inf, -1, 0, 0, None
    returned, after, files = [], [], []
    if kind == "tensor":        # the probe hands the losses over as float32 tensors
        losses = [float(np.float32(loss)) for loss in losses]
    for loss, weight, bias in zip(losses, weights, biases):
        if loss < best - min_delta:
            best, best_epoch, counter = float(loss), epochs, 0
            saved = [["weight", _tensor(weight)], ["bias", _tensor(bias)]]
        else:
            counter += 1
        epochs += 1
        returned.append(counter >= patience)
        after.append([best, best_epoch, counter, epochs])
        files.append([saved] * read)
    return {"returned": returned, "after": after, "files": files}


def ref_stopping_trace(**inputs) -> dict:
    return {k: v for k, v in ref_stopping(**inputs).items() if k != "files"}


def ref_stopping_files(**inputs) -> dict:
    return {"files": ref_stopping(**inputs)["files"]}


def verify_stopping_trace(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    returned, after = out.get("returned") or [], out.get("after") or []
    names = ("best_loss", "best_epoch", "counter", "epochs")
    for k, (want_return, want_after) in enumerate(zip(expected["returned"], expected["after"])):
        if k >= len(returned) or plain_scalar(returned[k]) != want_return:
            return [f"call {k + 1} of `step` returned the wrong stop signal (True exactly when "
                    "counter >= patience)"]
        for name, got, want in zip(names, after[k], want_after):
            got = plain_scalar(got)
            if type(got) not in (int, float) or not _scalar_equal(float(got), float(want)):
                return [f"after call {k + 1} of `step`, `{name}` is wrong (an improvement is a "
                        "loss below best_loss - min_delta; nan never is one)"]
    return []


def verify_stopping_types(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    found = verify_stopping_trace(out, inputs, expected)
    if found:
        return ["`step` does not record the losses right yet, so the types are not judged"]
    returned = out.get("returned")
    odd = [v for v in returned if type(v) is not bool]
    if odd:
        return [f"`step` returned {describe(odd[0])}: return a Python bool (True or False)"]
    for best, best_epoch, counter, epochs in out.get("after"):
        if not all(type(v) is int for v in (best_epoch, counter, epochs)):
            return ["`best_epoch`, `counter` and `epochs` must stay Python ints"]
    return []


def verify_best_loss_float(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    after = out.get("after") or []
    odd = [row[0] for row in after if not is_python_float(row[0])]
    if odd:
        return [f"with the loss given as a 0-d tensor, `best_loss` is {describe(odd[0])}: store "
                "float(val_loss)"]
    return verify_stopping_trace(out, inputs, expected)


def verify_checkpoints(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    files = out.get("files") or []
    for k, (got, want) in enumerate(zip(files, expected["files"])):
        state = _pairs(got[0]) if isinstance(got, list) and got else None
        want_state = {name: value.array for name, value in want[0]}
        if state is None or set(state) != set(want_state) or _same_arrays(state, want_state):
            return [f"after call {k + 1} of `step` the checkpoint file does not hold the "
                    "model's state_dict() of the best call so far (save on an improvement "
                    "only, replacing the file)"]
    return []


def ref_restore(root, patience, losses, weights, biases, written) -> dict:
    return {"restored": [[name, _tensor(value)] for name, value in written]}


def verify_restore(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    found = []
    restored = _pairs(out.get("restored"))
    if restored is None or _same_arrays(restored, dict(inputs["written"])):
        found.append("`restore` did not load what the checkpoint file holds when it is called "
                     "(the file was replaced after the last improvement): read the file with "
                     "torch.load and load_state_dict into the model given")
    ids = out.get("ids") or [None, None]
    if ids[0] != ids[1]:
        found.append("`restore` does not return the model it was given")
    return found


# ================================================================ task 5.7: four classes

LOOKUP = np.array([3, 0, 3, 1, 3, 3, 3, 3, 3, 2])
COLUMNS = [1, 3, 9]


def ref_relabel(labels) -> dict:
    return {"value": _tensor(LOOKUP[np.asarray(labels)])}


def _relabel_problems(out, inputs):
    value = out.get("value")
    labels = np.asarray(inputs["labels"])
    if not isinstance(value, Tensor):
        return [f"`relabel` returned {describe(value)}, expected a torch.Tensor"]
    if value.array.shape != labels.shape:
        return [f"`relabel` returned a tensor of shape {value.array.shape} for labels of shape "
                f"{labels.shape}: keep the shape"]
    if value.array.dtype != np.int64:
        return [f"`relabel` returned a tensor of dtype {value.array.dtype}: return torch.long "
                "labels"]
    wrong = value.array != LOOKUP[labels]
    if wrong.any():
        old = sorted(set(labels[wrong].tolist()))
        return [f"`relabel` maps the CIFAR-10 label(s) {old} to the wrong class"]
    return []


def verify_relabel(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    return _relabel_problems(out, inputs)


def verify_relabel_each(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    values = out.get("values") or []
    for labels, value in zip(inputs["batches"], values):
        found = _relabel_problems({"value": value}, {"labels": labels})
        if found:
            return found
    return [] if len(values) == len(inputs["batches"]) else ["`relabel` was not called"]


def verify_relabel_input(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    if _relabel_problems(out, inputs):
        return ["`relabel` does not return the right labels yet, so what it does to its input "
                "is not judged"]
    found = []
    after = _array(out.get("input_after"))
    if after is None or not np.array_equal(after, inputs["labels"]):
        found.append("`relabel` changed its input tensor: compute a new one")
    ids = out.get("ids") or [0, 0]
    if ids[0] == ids[1]:
        found.append("`relabel` returned its input tensor: return a new tensor")
    return found


def ref_merge(logits, requires_grad=False) -> dict:
    z = np.asarray(logits, dtype=np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    other = np.delete(p, COLUMNS, axis=1).sum(axis=1, keepdims=True)
    return {"value": _tensor(np.concatenate([p[:, COLUMNS], other], axis=1)
                             .astype(np.asarray(logits).dtype))}


def _merge_problems(out, inputs, expected, rtol):
    value = out.get("value")
    want = expected["value"].array
    if not isinstance(value, Tensor):
        return [f"`merge_probabilities` returned {describe(value)}, expected a torch.Tensor"]
    if value.array.shape != want.shape:
        return [f"`merge_probabilities` returned shape {value.array.shape}, expected "
                f"{want.shape}"]
    if value.array.dtype != want.dtype:
        return [f"`merge_probabilities` returned dtype {value.array.dtype} for {want.dtype} "
                "logits: keep the logits' dtype"]
    return problems(value.array, want, "`merge_probabilities`", "returned", rtol, 1e-12,
                    reveal=False)


def verify_merge(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    return _merge_problems(out, inputs, expected, 1e-10)


def verify_merge_no_grad(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    if _merge_problems(out, inputs, expected, 1e-5):
        return ["`merge_probabilities` does not return the right probabilities yet, so "
                "whether they require gradients is not judged"]
    if out.get("requires_grad") is not False:
        return ["for logits that require gradients, the result requires gradients too: "
                "compute it under torch.no_grad() (or detach it)"]
    return []


# ================================================================ tasks 5.8 and 5.9: transfer

def cnn_layers(n_classes: int, widths=CNN_WIDTHS, hidden: int = 128) -> list:
    """SmallCNN's layers (by name, as torch.nn parts), for a container without a forward."""
    layers, c_in = [], 3
    for name, c_out in zip(CONVS, widths):
        layers.append(_layer(name, "Conv2d", c_in, c_out, 3, padding=1))
        c_in = c_out
    return layers + [_layer("fc1", "Linear", c_in * 16, hidden),
                     _layer("fc2", "Linear", hidden, n_classes), _layer("dropout", "Dropout", 0.3)]


SMALL_WIDTHS = {"widths": (4, 4, 8, 8), "hidden": 16}
CONV_PARAMS = [f"{c}.{p}" for c in CONVS for p in ("weight", "bias")]
HEAD_PARAMS = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


def rebuilt(layers: list, seed: int) -> dict[str, np.ndarray]:
    """The probe's container, made here from the same seed: {name: array}."""
    def build():
        model = _probes()._layered(layers, seed)
        return {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
    return _forked(build)


def ref_new_layer(in_features, n_classes, draw_seed) -> dict:
    """nn.Linear(in_features, n_classes) made right after torch.manual_seed(draw_seed)."""
    import torch
    import torch.nn as nn

    def build():
        torch.manual_seed(draw_seed)
        layer = nn.Linear(in_features, n_classes)
        return [_tensor(layer.weight.detach().numpy().copy()),
                _tensor(layer.bias.detach().numpy().copy())]
    return _forked(build)


def transfer_inputs(n_classes, draw_seed=None, keep=(), **sizes) -> Maker:
    def make(rng):
        return {"layers": cnn_layers(10, **sizes), "seed": _seed(rng), "n_classes": n_classes,
                "draw_seed": _seed(rng) if draw_seed is None else draw_seed,
                "keep": list(keep)}
    return make


def ref_transfer(layers, seed, n_classes, draw_seed, keep) -> dict:
    hidden = next(args[1] for name, _, args, _ in layers if name == "fc1")
    names = [f"{c}.{p}" for c in (*CONVS, "fc1", "fc2") for p in ("weight", "bias")]
    return {"flags": {name: name not in CONV_PARAMS for name in names},
            "fc2": ["Linear", hidden, n_classes],
            "fc2_params": ref_new_layer(hidden, n_classes, draw_seed)}


def ref_transfer_flags(**inputs) -> dict:
    return {"flags": ref_transfer(**inputs)["flags"]}


def ref_transfer_layer(**inputs) -> dict:
    return {k: v for k, v in ref_transfer(**inputs).items() if k != "flags"}


def _new_layer_problems(out, inputs, expected):
    if out.get("fc2") != expected["fc2"]:
        return ["`model.fc2` is not replaced by nn.Linear(model.fc2.in_features, n_classes)"]
    return []


def verify_new_layer(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    found = _new_layer_problems(out, inputs, expected)
    params = out.get("fc2_params") or []
    if not found and not (len(params) == 2 and all(
            _array(g) is not None and np.array_equal(_array(g), w.array)
            for g, w in zip(params, expected["fc2_params"]))):
        found.append("the new fc2's initial weights are not those of nn.Linear(in_features, "
                     "n_classes) made right away with torch's default initialisation (the "
                     "caller seeds torch: draw no other random numbers, do not reseed)")
    return found


def verify_transfer_kept(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    """Once fc2 is replaced: conv1 ... conv4 and fc1 keep their weights; the same model is
    returned."""
    if _new_layer_problems(out, inputs, expected):
        return ["`prepare_transfer` does not replace fc2 yet, so what it does to the other "
                "layers is not judged"]
    found = []
    before = rebuilt(inputs["layers"], inputs["seed"])
    changed = _same_arrays(_pairs(out.get("kept")), {n: before[n] for n in inputs["keep"]})
    if changed:
        found.append(f"`prepare_transfer` changed the weights of {_listed(changed)}")
    ids = out.get("ids") or [None, None]
    if ids[0] != ids[1]:
        found.append("`prepare_transfer` does not return the model it was given")
    return found


def transfer_device_inputs(rng: np.random.Generator) -> dict:
    return {"layers": cnn_layers(10, **SMALL_WIDTHS), "seed": _seed(rng), "n_classes": 3,
            "device": "meta"}


def verify_transfer_device(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    hidden = SMALL_WIDTHS["hidden"]
    if out.get("fc2") != ["Linear", hidden, inputs["n_classes"]]:
        return ["`model.fc2` is not replaced by nn.Linear(model.fc2.in_features, n_classes)"]
    if set(out.get("devices") or []) != {inputs["device"]}:
        return ["for a model on another device than the CPU (a GPU, say), the new fc2 is not "
                "on the old fc2's device: move it there with .to(device)"]
    return []


def trainable_inputs(layers, frozen) -> Maker:
    def make(rng):
        return {"layers": layers, "seed": _seed(rng), "frozen": list(frozen)}
    return make


def ref_trainable(layers, seed, frozen) -> dict:
    names = list(rebuilt(layers, seed))
    return {"type": "list", "names": [n for n in names if n not in frozen]}


OTHER_MODEL = [_layer("0", "Linear", 4, 6), _layer("1", "BatchNorm1d", 6), _layer("2", "ReLU"),
               _layer("3", "Linear", 6, 6), _layer("4", "Linear", 6, 2)]


def fine_tune_inputs(lr_conv, lr_head, **sizes) -> Maker:
    def make(rng):
        return {"layers": cnn_layers(4, **sizes), "seed": _seed(rng), "frozen": CONV_PARAMS,
                "lr_conv": lr_conv, "lr_head": lr_head, "grad": 0.5}
    return make


UNFROZEN = ["conv3.weight", "conv3.bias", "conv4.weight", "conv4.bias"]


def ref_fine_tune(layers, seed, frozen, lr_conv, lr_head, grad) -> dict:
    names = list(rebuilt(layers, seed))
    return {"optimizer": "RMSprop",
            "flags": {n: n in UNFROZEN or n in HEAD_PARAMS for n in names},
            "groups": [[UNFROZEN, {"lr": lr_conv}], [HEAD_PARAMS, {"lr": lr_head}]]}


def ref_fine_tune_flags(**inputs) -> dict:
    return {"flags": ref_fine_tune(**inputs)["flags"]}


def ref_fine_tune_groups(**inputs) -> dict:
    return {k: v for k, v in ref_fine_tune(**inputs).items() if k != "flags"}


def _groups_problems(out, inputs):
    if out.get("optimizer") != "RMSprop":
        return [f"`unfreeze_top` returned an optimizer of class {out.get('optimizer')}, "
                "expected torch.optim.RMSprop"]
    groups = out.get("groups") or []
    if len(groups) != 2:
        return [f"the optimizer has {len(groups)} parameter group(s), expected two"]
    found = []
    for k, ((names, settings), want, lr, what) in enumerate(zip(
            groups, (UNFROZEN, HEAD_PARAMS), (inputs["lr_conv"], inputs["lr_head"]),
            ("conv3's then conv4's", "fc1's then fc2's")), start=1):
        if names != want:
            found.append(f"parameter group {k} does not hold exactly {what} parameters, in "
                         "the order of .parameters()")
        elif settings.get("lr") != lr:
            found.append(f"parameter group {k} does not have the learning rate "
                         f"{'lr_conv' if k == 1 else 'lr_head'}")
    return found


def verify_fine_tune_groups(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    return _groups_problems(out, inputs)


def verify_fine_tune_defaults(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    found = _groups_problems(out, inputs)
    if found:
        return found
    if any(settings.get(k) != v for _, settings in out["groups"]
           for k, v in RMSPROP_DEFAULTS.items()):
        return ["the optimizer's other settings (alpha, eps, weight_decay, momentum, centered) "
                "are not RMSprop's defaults"]
    return []


def _flags_right(out, names):
    return out.get("flags") == {n: n in UNFROZEN or n in HEAD_PARAMS for n in names}


def verify_fine_tune_kept(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    before = rebuilt(inputs["layers"], inputs["seed"])
    if not _flags_right(out, list(before)) or _groups_problems(out, inputs):
        return ["`unfreeze_top` does not unfreeze the right layers or make the right optimizer "
                "yet, so whether it keeps the weights is not judged"]
    changed = _same_arrays(_pairs(out.get("params")), before)
    if changed:
        return [f"`unfreeze_top` changed the weights of {_listed(changed)}"]
    return []


def verify_fine_tune_step(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    """One step of the returned optimizer, every parameter holding the gradient ``grad``,
    moves exactly conv3, conv4, fc1 and fc2, each by RMSprop's first step at its group's
    rate (recomputed here)."""
    before = rebuilt(inputs["layers"], inputs["seed"])
    after = _pairs(out.get("stepped"))
    if after is None:
        return ["the parameters could not be read after one optimizer step"]
    g, alpha, eps = inputs["grad"], RMSPROP_DEFAULTS["alpha"], RMSPROP_DEFAULTS["eps"]
    rates = {**dict.fromkeys(UNFROZEN, inputs["lr_conv"]),
             **dict.fromkeys(HEAD_PARAMS, inputs["lr_head"])}
    moved = [n for n in before if n in after and after[n] is not None
             and not np.array_equal(after[n], before[n])]
    if set(moved) != set(rates):
        frozen = sorted(set(moved) - set(rates))
        still = sorted(set(rates) - set(moved))
        detail = [f"moved although frozen: {_listed(frozen)}"] if frozen else []
        detail += [f"not moved: {_listed(still)}"] if still else []
        return ["one step of the returned optimizer does not train exactly conv3, conv4, fc1 "
                f"and fc2 ({'; '.join(detail)})"]
    step = {n: lr * g / (math.sqrt((1 - alpha) * g * g) + eps) for n, lr in rates.items()}
    wrong = [n for n in rates
             if not np.allclose(after[n], before[n] - step[n], rtol=1e-5, atol=1e-7)]
    if wrong:
        return [f"one step of the returned optimizer does not move {_listed(wrong)} as RMSprop "
                "with its group's learning rate does"]
    return []


# ================================================================ task 5.10: cross-entropy

def one_hot_inputs(rng: np.random.Generator) -> dict:
    return {"y": rng.integers(0, 9, size=50).astype(np.int64), "n_classes": 10}  # no class 9


def ref_one_hot(y, n_classes) -> dict:
    return {"value": _tensor(np.eye(n_classes, dtype=np.float32)[np.asarray(y)])}


def verify_one_hot(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    value, want = out.get("value"), expected["value"].array
    if not isinstance(value, Tensor):
        return [f"`one_hot` returned {describe(value)}, expected a torch.Tensor"]
    if value.array.shape != want.shape:
        return [f"`one_hot` returned shape {value.array.shape} for {len(inputs['y'])} labels "
                f"and n_classes={inputs['n_classes']}, expected {want.shape}"]
    found = []
    if value.array.dtype != np.float32:
        found.append(f"`one_hot` returned dtype {value.array.dtype}: return float32")
    elif not np.array_equal(value.array, want):
        found += problems(value.array, want, "`one_hot`", "returned", reveal=False)
    after = _array(out.get("input_after"))
    if after is None or after.shape != np.shape(inputs["y"]) or \
            not np.array_equal(after, inputs["y"]):
        found.append("`one_hot` changed its input `y`")
    return found


def cross_entropy_inputs(rows, classes, scale, soft, dtype=np.float64) -> Maker:
    def make(rng):
        logits = rng.normal(size=(rows, classes)) * scale
        if soft:
            targets = rng.dirichlet(np.ones(classes), size=rows)
        else:
            targets = np.eye(classes)[rng.integers(0, classes, size=rows)]
        return {"logits": logits.astype(dtype), "targets": targets.astype(dtype)}
    return make


def _log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def ref_cross_entropy(logits, targets) -> dict:
    t = np.asarray(targets, dtype=np.float64)
    return {"value": _tensor(np.array(-(t * _log_softmax(logits)).sum(axis=1).mean(),
                                      dtype=np.asarray(logits).dtype))}


def verify_cross_entropy(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    value = out.get("value")
    if not isinstance(value, Tensor) or value.array.shape != ():
        return [f"`softmax_cross_entropy` returned {describe(value)}, expected a 0-d tensor"]
    got, want = float(value.array), float(expected["value"].array)
    if not math.isfinite(got):
        return ["`softmax_cross_entropy` returned nan or inf for large logits: compute log p "
                "with torch.logsumexp or F.log_softmax"]
    if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9):
        return ["`softmax_cross_entropy` returned a wrong value for soft targets (rows that "
                "are probability distributions, not one-hot vectors)"]
    return []


def ref_cross_entropy_grad(logits, targets) -> dict:
    z = np.asarray(logits, dtype=np.float64)
    p = np.exp(_log_softmax(z))
    return {**ref_cross_entropy(logits, targets),
            "grad": _tensor((p - np.asarray(targets)) / len(z))}


def verify_cross_entropy_grad(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    grad = out.get("grad")
    if not isinstance(grad, Tensor) or grad.array.shape != np.shape(inputs["logits"]):
        return ["after .backward() no gradient of the logits' shape reached the logits: keep "
                "the result in the autograd graph"]
    return problems(grad.array, expected["grad"].array, "the gradient with respect to the logits",
                    "has", 1e-9, 1e-12, reveal=False)


# ================================================================ task 5.11: the study

def ref_grid(base, options) -> dict:
    grid = [dict(base)]
    for setting, values in options:
        grid += [{**base, setting: v} for v in values if v != base[setting]]
    return {"value": grid}


GRID_HIDDEN = {"base": {"lr": 0.03, "width": 64, "depth": 2, "momentum": 0.9},
               "options": [["width", [16, 64, 256]], ["lr", [0.003, 0.3, 0.03]],
                           ["momentum", [0.0, 0.9, 0.5]], ["depth", [1, 4]]]}


def verify_grid(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    value, want = out.get("value"), expected["value"]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        return [f"`one_factor_grid` returned {describe(value)}, expected a list of dicts"]
    if value != want:
        if value and value[0] != inputs["base"]:
            return ["the first configuration is not a copy of `base`"]
        if len(value) != len(want):
            many = "too many" if len(value) > len(want) else "too few"
            return [f"`one_factor_grid` returned {many} configurations: after the base, one "
                    "per value that differs from the base's, setting by setting (not a full "
                    "grid)"]
        k = next(i for i, (a, b) in enumerate(zip(value, want)) if a != b)
        return [f"configuration {k} is wrong: after the base come, for every setting in the "
                "order of `options` and every value in the order of its list, `base` with that "
                "one setting changed (values equal to the base's left out)"]
    found = []
    ids = out.get("ids") or []
    if out.get("base_id") in ids or len(set(ids)) != len(ids):
        found.append("the list holds `base` itself or one dict twice: every configuration must "
                     "be a new dict")
    if out.get("base_after") != inputs["base"] or out.get("options_after") != inputs["options"]:
        found.append("`one_factor_grid` changed `base` or `options`")
    return found


def _rows(records, keys, metric):
    groups = {}
    for record in records:
        groups.setdefault(tuple(record[k] for k in keys), []).append(record[metric])
    return [{**dict(zip(keys, config)), "n": len(values), "mean": float(np.mean(values)),
             "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0}
            for config, values in groups.items()]


def ref_study(records, keys, metric="val_acc") -> dict:
    return {"value": _rows(records, keys, metric)}


def _records(rng, configs, runs, metrics=("val_acc", "train_acc")):
    """Records of ``runs[c]`` seeds per configuration, interleaved: seed by seed."""
    records = []
    for seed in range(max(runs)):
        for config, count in zip(configs, runs):
            if seed < count:
                records.append({**config, "seed": seed,
                                **{m: float(rng.uniform(0.5, 1.0)) for m in metrics}})
    return records


def study_inputs(metric) -> Maker:
    def make(rng):
        configs = [{"width": 64, "lr": 0.03, "dropout": 0.2}, {"width": 16, "lr": 0.03,
                                                               "dropout": 0.2},
                   {"width": 64, "lr": 0.3, "dropout": 0.2}, {"width": 256, "lr": 0.003,
                                                              "dropout": 0.2}]
        return {"records": _records(rng, configs, [3, 1, 2, 3]), "keys": ["width", "lr"],
                "metric": metric}
    return make


def verify_study(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    rows, want = out.get("value"), expected["value"]
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return [f"`summarise_study` returned {describe(rows)}, expected a list of dicts"]
    if len(rows) != len(want):
        many = "too many" if len(rows) > len(want) else "too few"
        return [f"`summarise_study` returned {many} rows: one row per distinct tuple of the "
                "`keys` values"]
    keys = inputs["keys"]
    for k, (row, wanted) in enumerate(zip(rows, want)):
        if set(row) != set(wanted):
            return [f"row {k} has the keys {sorted(row)}, expected {sorted(wanted)}"]
        if [row[key] for key in keys] != [wanted[key] for key in keys]:
            return [f"row {k} is not the configuration that appears in position {k} among "
                    "the records (keep the order of first appearance)"]
        if type(row["n"]) is not int or row["n"] != wanted["n"]:
            return [f"row {k}: `n` is not the number of runs of the configuration (a Python "
                    "int)"]
        for name in ("mean", "std"):
            if not is_python_float(row[name]):
                return [f"row {k}: `{name}` is {describe(row[name])}, expected a Python float"]
        if not math.isclose(row["mean"], wanted["mean"], rel_tol=1e-9, abs_tol=1e-12):
            return [f"row {k}: `mean` is not the mean of the runs' {inputs['metric']!r}"]
        if not math.isclose(row["std"], wanted["std"], rel_tol=1e-9, abs_tol=1e-12):
            return [f"row {k}: `std` is not the sample standard deviation (n - 1 in the "
                    "denominator; zero for a single run)"]
    return []


def verify_study_metric(out: dict, inputs: dict, expected: dict | None) -> list[str]:
    found = verify_study(out, inputs, expected)
    if found:
        return found
    if out.get("records_after") != inputs["records"]:
        return ["`summarise_study` changed the records"]
    return []
