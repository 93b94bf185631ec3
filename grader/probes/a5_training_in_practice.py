"""Probes for Assignment 5 (training deep networks in practice): they run in the student's kernel.

Each probe builds what the student's code needs from the check's inputs, calls it, and returns
what it observed, raw: return values, parameters and flags afterwards, the mode and grad state
of every forward pass, the calls made on an optimizer or a TensorBoard writer, the bytes of the
event files and checkpoints the student's code wrote. Every verdict is made in the grader
(grader/specs/a5_training_in_practice/reference.py), which also decodes the event files: the
kernel's files are not visible to it.

Collaborators are built from ``torch.nn`` parts listed in the inputs (``[name, nn class name,
args, kwargs]``); the layered models that the transfer-learning tasks change have the layer
names of a ``SmallCNN`` but no forward pass, so this module holds no network of any task.
Weights are drawn here from a seed in the inputs (a state dict of 200,000 numbers is not worth
sending), in the order the inputs list them. The classes are test doubles: ``SpyBatch`` (a
tensor that records ``.to(...)``), ``SpyProgress`` (stands in for tqdm), ``SpySGD`` and
``SpySummaryWriter`` (the real ones, recording the calls made on them), ``SpyRaised`` (records
the exception a call raised).

Files go to a fresh folder under the ``root`` the grader names (``/tmp``, private to the
sandboxed kernel), named with a random token from the operating system, so that nothing left
by another run can be mistaken for what the student's code wrote.
"""
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
from torch.utils.tensorboard import SummaryWriter

# Bound when this module is loaded (before any student code runs in the kernel), so a cell
# that rebinds torch.is_grad_enabled or torch.set_grad_enabled changes neither the state the
# student's function starts from nor what the hooks below record.
_grad_enabled = torch._C.is_grad_enabled
_set_grad_enabled = torch._C._set_grad_enabled


# The settings of an RMSprop parameter group that the statements fix.
_RMSPROP_SETTINGS = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")


# ---------------------------------------------------------------- test doubles

class SpyBatch(torch.Tensor):
    """A batch tensor that records every ``.to(...)`` call in ``self.moves``. Operations on
    it give plain tensors (torch functions are not routed through this class)."""

    __torch_function__ = torch._C._disabled_torch_function_impl

    def to(self, *args, **kwargs):
        self.moves.append([str(a) for a in args] + [f"{k}={v}" for k, v in kwargs.items()])
        return torch.Tensor.to(self, *args, **kwargs)


class SpyProgress:
    """Stands in for ``tqdm``: hands out the wrapped iterable's items unchanged and records,
    in order, how it was made (``["tqdm", desc, leave]``), each item handed out ("batch") and
    what each set_postfix or set_postfix_str call shows (``["postfix", [[key, value], ...]]``,
    as given)."""

    def __init__(self, events, iterable=None, desc=None, total=None, leave=True, *args,
                 **kwargs):
        self.events, self.iterable = events, iterable
        events.append(["tqdm", desc, leave])

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

    def set_postfix(self, ordered_dict=None, refresh=True, **kwargs):
        shown = list(getattr(ordered_dict, "items", tuple)()) + list(kwargs.items())
        self.events.append(["postfix", shown])

    def set_postfix_str(self, s="", refresh=True):
        self.events.append(["postfix", [["", s]]])

    def __getattr__(self, name):  # update, close, refresh, write, ...: accepted, not needed
        return lambda *args, **kwargs: None


class SpySGD(torch.optim.SGD):
    """torch.optim.SGD (plain: no momentum) that appends "zero_grad" and "step" to
    ``events`` when they are called."""

    def __init__(self, params, lr, events):
        super().__init__(params, lr=lr)
        self.events = events

    def zero_grad(self, set_to_none=True):
        self.events.append("zero_grad")
        return super().zero_grad(set_to_none)

    def step(self, closure=None):
        self.events.append("step")
        return super().step(closure)


class SpySummaryWriter(SummaryWriter):
    """A real SummaryWriter that records in ``record``: the name of every method called on it
    that writes, flushes or closes ("calls"), the arguments of each ``add_scalar`` (tag, value
    as given, step: "scalars") and ``add_histogram`` (tag, step: "histograms"), and the event
    file of every file writer it uses ("files")."""

    def __init__(self, log_dir, record):
        self.record = record
        super().__init__(log_dir)

    def _get_file_writer(self):
        writer = SummaryWriter._get_file_writer(self)
        self.record["files"].append(writer.event_writer._file_name)
        return writer

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        self.record["calls"].append("add_scalar")
        self.record["scalars"].append([tag, scalar_value, global_step])
        return SummaryWriter.add_scalar(self, tag, scalar_value, global_step, walltime,
                                        new_style, double_precision)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        self.record["calls"].append("add_scalars")
        return SummaryWriter.add_scalars(self, main_tag, tag_scalar_dict, global_step,
                                         walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        self.record["calls"].append("add_histogram")
        self.record["histograms"].append([tag, global_step])
        return SummaryWriter.add_histogram(self, tag, values, global_step, bins, walltime,
                                           max_bins)

    def flush(self):
        self.record["calls"].append("flush")
        return SummaryWriter.flush(self)

    def close(self):
        self.record["calls"].append("close")
        return SummaryWriter.close(self)


class SpyRaised:
    """Stands in for the caller of a function that may raise: records, for the ``with``
    block, the exception raised in it (its class and base classes, by name; an empty list
    when none was) and stops it there."""

    def __init__(self):
        self.raised = []

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        self.raised.append([c.__name__ for c in getattr(kind, "__mro__", ())])
        return True


# ---------------------------------------------------------------- collaborators from inputs

def _modules(layers):
    return [(name, getattr(nn, kind)(*args, **kwargs)) for name, kind, args, kwargs in layers]


def _flat(layers, state):
    """``nn.Sequential`` of the listed torch.nn modules, named as listed, with ``state`` (a
    list of ``[name, array]``)."""
    model = nn.Sequential(OrderedDict(_modules(layers)))
    model.load_state_dict(OrderedDict((k, torch.as_tensor(v)) for k, v in state), strict=False)
    return model


def _layered(layers, seed):
    """A container (an ``nn.Module`` without a forward pass) of the listed layers, made after
    ``torch.manual_seed(seed)``, so with torch's default initialisation from that seed."""
    torch.manual_seed(seed)
    model = nn.Module()
    for name, module in _modules(layers):
        model.add_module(name, module)
    return model


def _drawn(shapes, scales, generator):
    """``[name, shape]`` pairs -> OrderedDict of N(0, 1) * scale tensors drawn in that order."""
    return OrderedDict((name, torch.randn(shape, generator=generator) * scale)
                       for (name, shape), scale in zip(shapes, scales))


def _params(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def _grads(model):
    return {name: p.grad for name, p in model.named_parameters()}


def _flags(model):
    return {name: p.requires_grad for name, p in model.named_parameters()}


def _token():
    """A random folder name from the operating system's entropy (no generator is touched)."""
    return f"nncourse-a5-{np.random.default_rng().integers(1 << 62)}"   # digits only


def _watch(model, seen):
    """Record, for every forward pass of ``model``: the training flag of each of its modules,
    and whether autograd was recording."""
    model.register_forward_pre_hook(lambda module, args: seen.append(
        [[m.training for m in module.modules()], _grad_enabled()]))


def _spy_batches(batches, moves):
    """The batches ``[x, y]`` as pairs of SpyBatch tensors whose lists of moves are appended to
    ``moves`` (x's, then y's, batch by batch)."""
    loader = []
    for x, y in batches:
        pair = [torch.as_tensor(x).as_subclass(SpyBatch), torch.as_tensor(y).as_subclass(SpyBatch)]
        for tensor in pair:
            tensor.moves = []
            moves.append(tensor.moves)
        loader.append(tuple(pair))
    return loader


# ---------------------------------------------------------------- task 5.1: SmallCNN

def cnn_layout(ns, kwargs, layers, convs):
    """``SmallCNN(**kwargs)``: its state dict's keys and shapes, the class names of the
    attributes ``layers``, kernel size and stride of the attributes ``convs``, dropout's p."""
    model = ns["SmallCNN"](**kwargs)
    return {"state": [[key, list(value.shape)] for key, value in model.state_dict().items()],
            "types": [type(getattr(model, name)).__name__ for name in layers],
            "convs": [[getattr(model, name).kernel_size, getattr(model, name).stride]
                      for name in convs],
            "p": model.dropout.p}


def cnn_output(ns, kwargs, x_shape):
    """``SmallCNN(**kwargs)`` in evaluation mode on a batch of zeros of ``x_shape``."""
    model = ns["SmallCNN"](**kwargs)
    model.train(False)              # evaluation mode
    with torch.no_grad():
        return {"logits": model(torch.zeros(x_shape))}


def _loaded_cnn(ns, kwargs, shapes, scales, seed, x_shape):
    """``SmallCNN(**kwargs)`` with weights drawn from ``seed`` (loaded strictly, as the
    statement announces), and the images drawn next."""
    model = ns["SmallCNN"](**kwargs)
    generator = torch.Generator().manual_seed(seed)
    model.load_state_dict(_drawn(shapes, scales, generator))
    return model, torch.randn(x_shape, generator=generator)


def cnn_forward(ns, kwargs, shapes, scales, seed, x_shape):
    """The logits of ``SmallCNN(**kwargs)`` with drawn weights, in evaluation mode, on drawn
    images; the images are every other one of a larger batch (a strided view)."""
    model, x = _loaded_cnn(ns, kwargs, shapes, scales, seed, x_shape)
    model.train(False)              # evaluation mode
    with torch.no_grad():
        return {"logits": model(x[::2])}


def cnn_dropout(ns, kwargs, shapes, scales, seed, x_shape):
    """One pass in training mode (torch seeded with ``seed`` first), then two in evaluation
    mode, of ``SmallCNN(**kwargs)`` with drawn weights: fc1's output and fc2's input in each
    pass, the logits, and ``dropout.p``."""
    model, x = _loaded_cnn(ns, kwargs, shapes, scales, seed, x_shape)
    fc1_out, fc2_in = [], []
    # copies: an in-place ReLU or dropout after fc1 must not change what was recorded
    model.fc1.register_forward_hook(
        lambda module, args, out: fc1_out.append(out.detach().clone()))
    model.fc2.register_forward_pre_hook(
        lambda module, args: fc2_in.append(args[0].detach().clone()))
    logits = []
    model.train()
    torch.manual_seed(seed)
    with torch.no_grad():
        logits.append(model(x))
        model.train(False)              # evaluation mode
        logits.append(model(x))
        logits.append(model(x))
    return {"fc1_out": fc1_out, "fc2_in": fc2_in, "logits": logits, "p": model.dropout.p}


# ---------------------------------------------------------------- task 5.2: the training loop

def _stale(model, value):
    for p in model.parameters():
        p.grad = torch.full_like(p, value)    # as left by an earlier backward pass


def training_run(ns, layers, state, batches, lr, seed, desc):
    """``train_epoch(model, batches, SpySGD, cpu, desc=desc)`` on a model that arrives in
    evaluation mode with stale gradients, torch seeded with ``seed`` right before (dropout).
    Returns what it returned, the parameters afterwards, the events (forward, backward,
    zero_grad, step), the modes of every forward pass, and the moves of every batch tensor."""
    model = _flat(layers, state)
    model.train(False)              # evaluation mode (model.eval(), by another name)
    _stale(model, 0.5)
    events, modes, moves = [], [], []
    _watch(model, modes)
    model.register_forward_pre_hook(lambda module, args: events.append("forward"))
    model[-1].weight.register_hook(lambda grad: events.append("backward"))
    optimizer = SpySGD(model.parameters(), lr, events)
    loader = _spy_batches(batches, moves)
    torch.manual_seed(seed)
    _set_grad_enabled(True)
    result = ns["train_epoch"](model, loader, optimizer, torch.device("cpu"), desc=desc)
    return {"result": result, "params": _params(model), "events": events, "modes": modes,
            "moves": moves}


def training_progress(ns, layers, state, batches, lr, seed, desc):
    """``training_run`` with the name ``tqdm`` of the student's cell bound to SpyProgress:
    what the progress bar was made with and asked to do."""
    events = []
    names = ns["train_epoch"].__globals__
    kept = names.get("tqdm")
    names["tqdm"] = lambda *args, **kwargs: SpyProgress(events, *args, **kwargs)
    training_run(ns, layers, state, batches, lr, seed, desc)
    names["tqdm"] = kept
    return {"progress": events}


def evaluation_run(ns, layers, state, batches, seed, grads):
    """``evaluate(model, batches, "cpu")`` on a model that arrives in training mode, with
    autograd recording and the gradients ``grads`` (``[name, array]``) in its parameters.
    Returns what it returned, the modes of every forward pass, the modules' training flags,
    parameters and gradients afterwards."""
    model = _flat(layers, state)
    params = dict(model.named_parameters())
    for name, grad in grads:
        params[name].grad = torch.as_tensor(grad)
    modes = []
    _watch(model, modes)
    loader = [(torch.as_tensor(x), torch.as_tensor(y)) for x, y in batches]
    torch.manual_seed(seed)
    _set_grad_enabled(True)
    result = ns["evaluate"](model, loader, "cpu")
    return {"result": result, "modes": modes,
            "training_after": [m.training for m in model.modules()],
            "params": _params(model), "grads": _grads(model)}


# ---------------------------------------------------------------- task 5.3: log_epoch

def _event_files(files):
    return [np.fromfile(name, dtype=np.uint8) for name in dict.fromkeys(files)]


def logging_run(ns, root, layers, state, frozen, grads, epochs, metrics):
    """``log_epoch(writer, model, epoch, dict(metrics[k]))`` for each ``epochs[k]``, on one
    SpySummaryWriter and a model with parameters ``frozen`` frozen and the gradients ``grads``
    (frozen ones included, as if left over). After each call: the writer's calls so far and
    the event files as they are on disk (the probe flushes nothing). Then: what each call
    returned, every add_scalar and add_histogram call, and, after a flush by the probe, the
    event files, the parameters and the gradients."""
    model = _flat(layers, state)
    params = dict(model.named_parameters())
    for name in frozen:
        params[name].requires_grad_(False)
    for name, grad in grads:
        params[name].grad = torch.as_tensor(grad)
    record = {"calls": [], "scalars": [], "histograms": [], "files": []}
    writer = SpySummaryWriter(f"{root}/{_token()}/run", record)
    returned, calls_after, files_after = [], [], []
    for epoch, pairs in zip(epochs, metrics):
        returned.append(ns["log_epoch"](writer, model, epoch, dict(pairs)))
        calls_after.append(list(record["calls"]))
        files_after.append(_event_files(record["files"]))
    observed = {"returned": returned, "calls_after": calls_after, "files_after": files_after,
                "scalars": list(record["scalars"]), "histograms": list(record["histograms"])}
    writer.flush()                  # the content checks do not depend on the student's flush
    observed.update(files=_event_files(record["files"]), params=_params(model),
                    grads=_grads(model))
    writer.close()
    return observed


# ---------------------------------------------------------------- task 5.4: the rate search

def call_each(ns, func, calls):
    """``func(*args)`` for every ``args`` in ``calls``: the return values."""
    return {"values": [ns[func](*args) for args in calls]}


def search_run(ns, rates, seed, size, draws):
    """``lr_search(make_model, train_fn, rates, seed=seed)`` with ``make_model`` building
    ``nn.Linear(*size)`` and ``train_fn`` recording what it was given; both draw ``draws``
    random numbers from torch's generator afterwards (as training would). Returns the result's
    type and keys, the ids of its values and of the histories ``train_fn`` returned, and per
    call of ``train_fn``: the optimizer's class name, its parameter groups' settings, the ids
    of its parameters and of the model's, and the model's parameters as they arrived."""
    seen = {"optimizers": [], "groups": [], "group_ids": [], "model_ids": [], "weights": []}
    histories = []

    def make_model():
        model = nn.Linear(*size)
        torch.rand(draws)
        return model

    def train_fn(model, optimizer):
        seen["optimizers"].append(type(optimizer).__name__)
        seen["groups"].append([{k: group.get(k) for k in _RMSPROP_SETTINGS}
                               for group in optimizer.param_groups])
        seen["group_ids"].append([[id(p) for p in group["params"]]
                                  for group in optimizer.param_groups])
        seen["model_ids"].append([id(p) for p in model.parameters()])
        seen["weights"].append([p.detach().clone() for p in model.parameters()])
        torch.rand(draws)
        history = {"val_loss": [1.0]}
        histories.append(history)
        return history

    result = ns["lr_search"](make_model, train_fn, rates, seed=seed)
    return {"type": type(result).__name__, "keys": list(result),
            "value_ids": [id(value) for value in result.values()],
            "history_ids": [id(history) for history in histories], **seen}


def _histories(pairs):
    return {rate: history for rate, history in pairs}


def best_run(ns, pairs, key):
    """``best_rate(results, key=key)`` with ``results = {rate: history}`` built from
    ``[rate, history]`` pairs (the keys are numbers, which plain data cannot carry)."""
    return {"value": ns["best_rate"](_histories(pairs), key=key)}


def best_guarded(ns, pairs, key, hopeless):
    """``best_rate`` on ``pairs`` (what it returned, and ``results`` afterwards), then on
    ``hopeless`` histories: what it returned or raised."""
    results = _histories(pairs)
    value = ns["best_rate"](results, key=key)
    spy, returned = SpyRaised(), []
    with spy:
        returned.append(ns["best_rate"](_histories(hopeless), key=key))
    return {"value": value, "results_after": [[rate, results[rate]] for rate in results],
            "returned": returned, "raised": spy.raised}


# ---------------------------------------------------------------- task 5.5: the schedule

def schedule_run(ns, lrs, final_factor, epochs, steps):
    """``make_exponential_scheduler`` for an RMSprop optimizer with one parameter group per
    rate in ``lrs``, whose parameters hold gradients (an optimizer step would move them).
    Returns the scheduler's class and base classes, the rates and parameters right after it
    was made, and the rates after each of ``steps`` rounds of optimizer.step() and
    scheduler.step()."""
    params = [torch.ones(2, requires_grad=True) for _ in lrs]
    optimizer = torch.optim.RMSprop([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)])
    for p in params:
        p.grad = torch.ones_like(p)
    scheduler = ns["make_exponential_scheduler"](optimizer, final_factor, epochs)
    created = {"lrs": [group["lr"] for group in optimizer.param_groups],
               "params": [p.detach().clone() for p in params]}
    rates = []
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        rates.append([group["lr"] for group in optimizer.param_groups])
    return {"type": [c.__name__ for c in type(scheduler).__mro__], "created": created,
            "rates": rates}


# ---------------------------------------------------------------- task 5.6: early stopping

_LOSS = {"float": float, "tensor": torch.tensor}


def _set_linear(model, weight, bias):
    with torch.no_grad():
        model.weight.copy_(torch.as_tensor(weight))
        model.bias.copy_(torch.as_tensor(bias))


def _progress(stopper):
    return [stopper.best_loss, stopper.best_epoch, stopper.counter, stopper.epochs]


def _load(path):
    return [[key, value] for key, value in torch.load(path, weights_only=True).items()]


def stopping_run(ns, root, patience, min_delta, losses, kind, weights, biases, read):
    """``EarlyStopping(path, patience, min_delta).step(loss, model)`` for each loss (given as
    a ``kind``: Python float or 0-d tensor) on an ``nn.Linear(3, 2)`` whose weights are set to
    ``weights[k]``, ``biases[k]`` before call k; ``path`` lies in folders that do not exist
    yet. What each call returned and the attributes after it, and ``read`` times (0 or 1)
    after each call the checkpoint file's contents (``torch.load(..., weights_only=True)``;
    0 where a call may legitimately leave no file yet)."""
    path = f"{root}/{_token()}/checkpoints/best/model.pt"
    model = nn.Linear(3, 2)
    stopper = ns["EarlyStopping"](path, patience=patience, min_delta=min_delta)
    returned, after, files = [], [], []
    for loss, weight, bias in zip(losses, weights, biases):
        _set_linear(model, weight, bias)
        returned.append(stopper.step(_LOSS[kind](loss), model))
        after.append(_progress(stopper))
        files.append([_load(path) for _ in range(read)])
    return {"returned": returned, "after": after, "files": files}


def stopping_restore(ns, root, patience, losses, weights, biases, written):
    """The calls of ``stopping_run``; then the probe overwrites the checkpoint file with the
    state ``written`` (``[name, array]``), changes the model, and calls ``restore`` on a fresh
    ``nn.Linear(3, 2)``: that model's state afterwards and the ids of the result and the
    model."""
    path = f"{root}/{_token()}/checkpoints/model.pt"
    model = nn.Linear(3, 2)
    stopper = ns["EarlyStopping"](path, patience=patience)
    for loss, weight, bias in zip(losses, weights, biases):
        _set_linear(model, weight, bias)
        stopper.step(loss, model)
    torch.save(OrderedDict((name, torch.as_tensor(value)) for name, value in written), path)
    with torch.no_grad():
        model.weight.add_(1.0)          # training went on after the best epoch
    fresh = nn.Linear(3, 2)
    result = stopper.restore(fresh)
    return {"restored": [[k, v] for k, v in fresh.state_dict().items()],
            "ids": [id(result), id(fresh)]}


# ---------------------------------------------------------------- task 5.7: four classes

def relabel_run(ns, labels):
    """``relabel`` on the long tensor ``labels``: the result, the input afterwards, and the
    ids of both."""
    given = torch.as_tensor(labels)
    out = ns["relabel"](given)
    return {"value": out, "input_after": given, "ids": [id(out), id(given)]}


def relabel_each(ns, batches):
    """``relabel`` on each of the long tensors ``batches``: the results."""
    return {"values": [ns["relabel"](torch.as_tensor(labels)) for labels in batches]}


def merge_run(ns, logits, requires_grad):
    """``merge_probabilities`` on the logits, a leaf tensor that requires gradients or not:
    the result and whether it requires gradients."""
    given = torch.tensor(logits, requires_grad=requires_grad)
    out = ns["merge_probabilities"](given)
    return {"value": out, "requires_grad": out.requires_grad}


# ---------------------------------------------------------------- tasks 5.8 and 5.9: transfer

def transfer_run(ns, layers, seed, n_classes, draw_seed, keep):
    """``prepare_transfer(model, n_classes)`` on a container of SmallCNN-named layers made from
    ``seed``, torch seeded with ``draw_seed`` right before the call. Returns the result's and
    the model's ids, every parameter's requires_grad, the new fc2's class and sizes and its
    parameters, and the parameters named in ``keep`` afterwards."""
    model = _layered(layers, seed)
    torch.manual_seed(draw_seed)
    result = ns["prepare_transfer"](model, n_classes)
    params = dict(model.named_parameters())
    return {"ids": [id(result), id(model)], "flags": _flags(model),
            "fc2": [type(model.fc2).__name__, model.fc2.in_features, model.fc2.out_features],
            "fc2_params": [model.fc2.weight, model.fc2.bias],
            "kept": [[name, params[name].detach().clone()] for name in keep]}


def transfer_device(ns, layers, seed, n_classes, device):
    """``prepare_transfer(model, n_classes)`` on the container moved to ``device`` ("meta":
    tensors without values, which stand in for a GPU here): the new fc2's class, sizes and
    the device type of its parameters."""
    model = _layered(layers, seed).to(device)
    ns["prepare_transfer"](model, n_classes)
    return {"fc2": [type(model.fc2).__name__, model.fc2.in_features, model.fc2.out_features],
            "devices": [p.device.type for p in model.fc2.parameters()]}


def trainable_run(ns, layers, seed, frozen):
    """``trainable_parameters(model)`` on a container of the listed layers with the parameters
    ``frozen`` frozen: the type of the result and, for each of its items, the name of the
    model's parameter that it is (None for anything else)."""
    model = _layered(layers, seed)
    params = dict(model.named_parameters())
    for name in frozen:
        params[name].requires_grad_(False)
    result = ns["trainable_parameters"](model)
    names = {id(p): name for name, p in model.named_parameters()}
    return {"type": type(result).__name__, "names": [names.get(id(p)) for p in result]}


def fine_tune_run(ns, layers, seed, frozen, lr_conv, lr_head, grad):
    """``unfreeze_top(model, lr_conv, lr_head)`` on a container of SmallCNN-named layers with
    ``frozen`` frozen, as after prepare_transfer. Returns the optimizer's class name, per
    parameter group the names of its parameters and its settings, every
    parameter's requires_grad and value after the call; then every parameter gets the
    gradient ``grad`` (frozen ones too) and the optimizer takes one step: the values after."""
    model = _layered(layers, seed)
    params = dict(model.named_parameters())
    for name in frozen:
        params[name].requires_grad_(False)
    optimizer = ns["unfreeze_top"](model, lr_conv, lr_head)
    names = {id(p): name for name, p in model.named_parameters()}
    observed = {
        "optimizer": type(optimizer).__name__,
        "groups": [[[names.get(id(p)) for p in group["params"]],
                    {k: group.get(k) for k in _RMSPROP_SETTINGS}]
                   for group in optimizer.param_groups],
        "flags": _flags(model), "params": _params(model)}
    for p in model.parameters():
        p.grad = torch.full_like(p, grad)
    optimizer.step()
    observed["stepped"] = _params(model)
    return observed


# ---------------------------------------------------------------- task 5.10: cross-entropy

def one_hot_run(ns, y, n_classes):
    """``one_hot`` on the long tensor ``y``: the result and the input afterwards."""
    given = torch.as_tensor(y)
    return {"value": ns["one_hot"](given, n_classes), "input_after": given}


def cross_entropy_value(ns, logits, targets):
    """``softmax_cross_entropy`` on the logits and targets (float tensors)."""
    return {"value": ns["softmax_cross_entropy"](torch.as_tensor(logits),
                                                 torch.as_tensor(targets))}


def cross_entropy_grad(ns, logits, targets):
    """``softmax_cross_entropy(logits, targets).backward()`` with logits a leaf tensor that
    requires gradients: the value and the gradient that reached the logits."""
    given = torch.tensor(logits, requires_grad=True)
    value = ns["softmax_cross_entropy"](given, torch.as_tensor(targets))
    value.backward()
    return {"value": value, "grad": given.grad}


# ---------------------------------------------------------------- task 5.11: the study

def grid_run(ns, base, options):
    """``one_factor_grid`` with ``options`` made a dict from ``[setting, values]`` pairs (plain
    data keeps no key order): the result, the ids of its items and of ``base``, and ``base``
    and ``options`` afterwards."""
    given = dict(options)
    result = ns["one_factor_grid"](base, given)
    return {"value": result, "ids": [id(item) for item in result], "base_id": id(base),
            "base_after": base, "options_after": [[k, v] for k, v in given.items()]}


def study_run(ns, records, keys, metric):
    """``summarise_study(records, keys, metric=metric)``: the rows and the records afterwards."""
    return {"value": ns["summarise_study"](records, keys, metric=metric),
            "records_after": records}
