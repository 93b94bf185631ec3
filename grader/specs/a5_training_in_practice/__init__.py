"""Assignment 5: training deep networks in practice (the rubric).

Eleven code tasks, 80 points: a CNN for CIFAR-10, a training loop for any device, TensorBoard
logging, a learning-rate search, an exponential schedule, early stopping with a checkpoint
file, relabelling for a four-class task, freezing and fine-tuning with parameter groups, the
one-hot softmax cross-entropy and a one-factor-at-a-time study. (The notebook's five written
questions, 20 points, are graded by hand and not modelled here.) For each task: what its
statement requires, and the checks that enforce them. References, input makers and judges:
reference.py. Probes (run in the student's kernel): grader/probes/a5_training_in_practice.py.

Every collaborator a check hands to the student's code is built in the kernel from torch.nn
parts and starts where the statement demands a change: `train_epoch` gets a model in
evaluation mode with stale gradients, `evaluate` one in training mode with gradients it must
not touch, `prepare_transfer` a model on another device (PyTorch's "meta" device stands in for
a GPU). What the student's code writes to disk comes back as data: the event files' bytes are
decoded here, checkpoints are read back with torch.load(weights_only=True). Numbers are judged
here, recomputed from the inputs (a training epoch, the summaries of every histogram, a step
of RMSprop), so made-up results fail.
"""
import numpy as np

from ...checks import Assignment, Task, Written, call, probe
from ...wire import Like
from . import reference as R

P = "a5_training_in_practice."      # the probes' module in grader/probes/

# ------------------------------------------------------------------ 5.1: SmallCNN

task_1 = Task(
    "task_5_1", "A small convolutional network",
    requirements={
        "R1": "`SmallCNN(n_classes=10, dropout=0.3)` has conv1 ... conv4 = nn.Conv2d (3 -> 32, "
              "32 -> 32, 32 -> 64, 64 -> 64, kernel 3, padding 1), fc1 = nn.Linear(1024, 128), "
              "fc2 = nn.Linear(128, n_classes)",
        "R2": "no other layers with parameters or buffers: the state_dict keys are exactly "
              "conv1.weight, conv1.bias, ..., fc2.weight, fc2.bias",
        "R3": "`dropout` is nn.Dropout(dropout): its p is the constructor's argument",
        "R4": "forward: conv1, ReLU, pool, conv2, ReLU, pool, conv3, ReLU, conv4, ReLU, pool, "
              "flatten channel by channel, fc1, ReLU, dropout, fc2; logits (no softmax)",
        "R5": "forward maps images (N, 3, 32, 32) to logits (N, n_classes), for any N >= 1",
        "R6": "dropout is the only random part: active in training mode only, applied to "
              "fc1's ReLU output right before fc2",
        "R7": "n_classes sets fc2's outputs (also other than 10)",
    },
    checks=[
        probe("`SmallCNN()` has the layers of the table", P + "cnn_layout",
              inputs={"kwargs": {}, "layers": R.CNN_LAYERS, "convs": R.CONVS},
              expected=R.cnn_layout_expected(), points=1, public=True,
              subject="`SmallCNN()`", covers=("R1", "R2")),
        probe("`SmallCNN()` maps a batch (2, 3, 32, 32) to logits (2, 10)", P + "cnn_output",
              inputs={"kwargs": {}, "x_shape": [2, 3, 32, 32]},
              requires={"logits": Like("tensor", shape=(2, 10), dtype="float32")}, points=1,
              public=True, subject="the output", covers=("R5",)),
        probe("`SmallCNN()` with given weights, in evaluation mode, on 2 images",
              P + "cnn_forward", inputs=R.cnn_inputs(2), ref=R.ref_cnn_forward, points=1,
              public=True, rtol=1e-4, atol=1e-5, subject="`SmallCNN`'s output",
              covers=("R1", "R4")),
        probe("`SmallCNN()` with hidden weights, in evaluation mode, on hidden images",
              P + "cnn_forward", inputs=R.cnn_inputs(5), ref=R.ref_cnn_forward, points=2,
              rtol=1e-4, atol=1e-5, subject="`SmallCNN`'s output", covers=("R1", "R4")),
        probe("`SmallCNN()` on a batch of one image", P + "cnn_forward",
              inputs=R.cnn_inputs(1), ref=R.ref_cnn_forward, points=1, rtol=1e-4, atol=1e-5,
              subject="`SmallCNN`'s output", covers=("R5",)),
        probe("`SmallCNN(n_classes=4)` with hidden weights", P + "cnn_forward",
              inputs=R.cnn_inputs(3, n_classes=4), ref=R.ref_cnn_forward, points=1,
              rtol=1e-4, atol=1e-5, subject="`SmallCNN`'s output", covers=("R7",)),
        probe("`SmallCNN(dropout=...)`: dropout in training and evaluation mode",
              P + "cnn_dropout", inputs=R.cnn_inputs(16, strided=False, dropout=0.6),
              verify=R.verify_dropout, points=1, covers=("R3", "R6")),
    ])

# ------------------------------------------------------------------ 5.2: train_epoch, evaluate

# Hidden runs: a Dropout layer (so the mode changes the numbers), batches of 7, 1, 2 and 5 with
# a loud first batch (a per-batch mean of means is far off), a large learning rate (predictions
# change after each step, so accuracy after the step differs).
TRAIN_HIDDEN = R.training_inputs((6, 10, 4), (7, 1, 2, 5), lr=0.5, dropout=0.5,
                                 desc="epoch 3/7", loud=0)
EVAL_HIDDEN = R.evaluation_inputs((6, 10, 4), (5, 2, 6), dropout=0.5)


def _train(label, verify, points, covers):
    return probe(label, P + "training_run", inputs=TRAIN_HIDDEN, ref=R.ref_training,
                 verify=verify, points=points, covers=covers)


task_2 = Task(
    "task_5_2", "A training loop for any device",
    requirements={
        "R1": "`train_epoch` puts the model in training mode (it may arrive in evaluation mode)",
        "R2": "it moves x and y of every batch to `device`",
        "R3": "it clears the gradients before each backward pass, including gradients left "
              "from before the call",
        "R4": "per batch, in the loader's order: the batch's mean cross-entropy "
              "F.cross_entropy(logits, y), one backward pass, one optimizer step",
        "R5": "it iterates over tqdm(loader, desc=desc, leave=False) and shows the running mean "
              "loss with set_postfix",
        "R6": "it returns (mean_loss, accuracy) as two Python floats",
        "R7": "mean_loss = sum over batches of (batch loss x batch size) / number of samples",
        "R8": "accuracy = fraction of samples whose largest logit is at y, from the logits of "
              "the same forward passes (before each step)",
        "R9": "`evaluate` puts the model in evaluation mode and leaves it there",
        "R10": "`evaluate` computes inside torch.no_grad()",
        "R11": "`evaluate` changes no parameter and no gradient",
        "R12": "`evaluate` returns two Python floats: the cross-entropy summed over all samples "
               "divided by their number, and the fraction classified correctly",
    },
    checks=[
        probe("`train_epoch` on a small example (batches of 4, 4 and 3)", P + "training_run",
              inputs=R.training_inputs((5, 8, 3), (4, 4, 3), lr=0.1), ref=R.ref_training,
              points=2, public=True, rtol=1e-4, atol=1e-6, subject="`train_epoch`",
              verb="returned", covers=("R3", "R4", "R7", "R8")),
        _train("`train_epoch` trains the model as stated (recomputed on a hidden problem)",
               R.verify_training_params, 2, ("R1", "R3", "R4")),
        _train("`train_epoch`'s mean loss per sample (batches of different sizes)",
               R.verify_mean_loss, 1, ("R6", "R7")),
        _train("`train_epoch`'s accuracy", R.verify_train_accuracy, 1, ("R6", "R8")),
        _train("`train_epoch` puts the model in training mode", R.verify_training_mode, 1,
               ("R1",)),
        _train("`train_epoch` moves every batch to `device`", R.verify_moved, 1, ("R2",)),
        probe("`train_epoch` shows its progress with tqdm", P + "training_progress",
              inputs=TRAIN_HIDDEN, ref=R.ref_progress, verify=R.verify_progress, points=1,
              covers=("R5",)),
        probe("`evaluate` on a small example (batches of 4, 4 and 3)", P + "evaluation_run",
              inputs=R.evaluation_inputs((5, 8, 3), (4, 4, 3)), ref=R.ref_evaluation,
              points=1, public=True, rtol=1e-5, atol=1e-7, subject="`evaluate`",
              covers=("R9", "R12")),
        probe("`evaluate` on a hidden problem with dropout, in evaluation mode without "
              "autograd", P + "evaluation_run", inputs=EVAL_HIDDEN, ref=R.ref_evaluation,
              verify=R.verify_evaluation, points=1, covers=("R9", "R10", "R12")),
        probe("`evaluate` leaves the parameters and their gradients alone", P + "evaluation_run",
              inputs=EVAL_HIDDEN, ref=R.ref_evaluation, verify=R.verify_evaluation_untouched,
              points=1, covers=("R11",)),
    ])

# ------------------------------------------------------------------ 5.3: log_epoch

LOG_PUBLIC = R.logging_inputs(
    [R._layer("fc", "Linear", 3, 2)], epochs=[0, 1],
    metrics=[[("loss/train", 1.5), ("loss/val", 2.0)], [("loss/train", 0.5), ("loss/val", 0.25)]])
LOG_LAYERS = [R._layer("0", "Linear", 4, 5), R._layer("1", "ReLU"), R._layer("2", "Linear", 5, 5),
              R._layer("3", "Tanh"), R._layer("4", "Linear", 5, 2)]


def _log(label, inputs, verify, points, covers):
    return probe(label, P + "logging_run", inputs=inputs, verify=verify, points=points,
                 covers=covers)


task_3 = Task(
    "task_5_3", "Experiment tracking with TensorBoard",
    requirements={
        "R1": "for every (tag, value) of metrics, in order: add_scalar(tag, float(value), "
              "epoch), also for nan and infinite values",
        "R2": "for every parameter with requires_grad True, in the order of named_parameters(): "
              "a histogram weights/<name> of its values",
        "R3": "right after it, if p.grad is not None, a histogram gradients/<name> of p.grad",
        "R4": "no histogram of a tensor that holds a nan or infinite value",
        "R5": "nothing for parameters with requires_grad False (frozen)",
        "R6": "every record is written with global_step=epoch",
        "R7": "it ends with writer.flush(): the records are in the event file when it returns",
        "R8": "it does not close the writer",
        "R9": "it changes no parameter or gradient and returns None",
    },
    checks=[
        probe("`log_epoch` for epochs 0 and 1: the scalars it writes", P + "logging_run",
              inputs=LOG_PUBLIC, ref=R.ref_scalar_calls, points=1, public=True,
              subject="the add_scalar calls [tag, value, step]", covers=("R1", "R6")),
        probe("`log_epoch` for epochs 0 and 1: the histograms it writes", P + "logging_run",
              inputs=LOG_PUBLIC, ref=R.ref_histogram_calls, points=1, public=True,
              subject="the add_histogram calls [tag, step]", covers=("R2", "R3", "R6")),
        _log("`log_epoch`'s event file, read back: tags, steps and histogram summaries",
             R.logging_inputs(LOG_LAYERS, [3], [[("loss/train", 0.75)]]), R.verify_log_file, 1,
             ("R2", "R3", "R6")),
        _log("`log_epoch` with a frozen layer and a parameter without a gradient",
             R.logging_inputs(LOG_LAYERS, [4], [[("loss/val", 1.25)]],
                              frozen=["0.weight", "0.bias"], no_grad=["4.bias"]),
             R.verify_log_file, 1, ("R3", "R5")),
        _log("`log_epoch` with nan and inf in a weight, a gradient and a metric",
             R.logging_inputs(LOG_LAYERS, [5], [[("loss/train", float("nan")),
                                                 ("loss/val", 1.5)]],
                              nan_weight="2.weight", inf_grad="0.bias"),
             R.verify_log_file, 1, ("R1", "R4")),
        _log("`log_epoch` flushes and leaves the writer open (two calls on one writer)",
             R.logging_inputs(LOG_LAYERS, [0, 1], [[("loss/train", 2.0)], [("loss/train", 1.0)]]),
             R.verify_log_flush, 1, ("R7", "R8")),
        _log("`log_epoch` returns None and leaves the model alone",
             R.logging_inputs(LOG_LAYERS, [2], [[("accuracy/val", 0.5)]]),
             R.verify_log_untouched, 1, ("R9",)),
    ])

# ------------------------------------------------------------------ 5.4: the rate search

task_4 = Task(
    "task_5_4", "Searching for a learning rate",
    requirements={
        "R1": "`geometric_rates(low, high, n)` returns a list of n Python floats",
        "R2": "rate i is low * (high / low) ** (i / (n - 1)): low first, high last",
        "R3": "`lr_search` calls torch.manual_seed(seed) right before make_model(), for every "
              "rate",
        "R4": "the optimizer is torch.optim.RMSprop(model.parameters(), lr=rate), other "
              "settings at their defaults",
        "R5": "train_fn(model, optimizer) is called exactly once per rate, in the given order",
        "R6": "it returns a dict {rate: history}, keys in the given order, values the objects "
              "train_fn returned (not copies)",
        "R7": "`best_rate` returns the rate whose smallest finite value of history[key] is "
              "lowest (`key` honoured)",
        "R8": "nan and infinite values are ignored; a rate without a finite value cannot win",
        "R9": "on a tie, the rate that comes first in `results` wins",
        "R10": "`best_rate` does not change `results`",
        "R11": "`best_rate` raises ValueError when no rate has a finite value",
    },
    checks=[
        call("geometric_rates", (1e-5, 1e-1, 4), ref=R.ref_geometric_rates, points=1,
             public=True, rtol=1e-12, atol=0, covers=("R1", "R2")),
        probe("`geometric_rates` on hidden grids (n = 2 included)", P + "call_each",
              inputs={"func": "geometric_rates",
                      "calls": [[0.001, 1.0, 2], [2.0, 50.0, 7], [3e-4, 0.3, 5]]},
              verify=R.verify_rate_grids, points=1, covers=("R1", "R2")),
        probe("`lr_search` on two rates (a recording train_fn)", P + "search_run",
              inputs=R.SEARCH_PUBLIC, ref=R.ref_search_seen,
              points=1, public=True, rtol=1e-6, atol=1e-8, subject="what `train_fn` received",
              covers=("R3", "R4", "R5", "R6")),
        probe("`lr_search` reseeds before every model (make_model and train_fn draw random "
              "numbers)", P + "search_run", inputs=R.search_inputs([0.1, 0.02, 0.5], draws=5),
              ref=R.ref_search, verify=R.verify_search_seeding, points=1, covers=("R3",)),
        probe("`lr_search` on hidden rates in no particular order", P + "search_run",
              inputs=R.search_inputs([0.1, 1e-3, 0.01, 0.5], draws=3), ref=R.ref_search,
              verify=R.verify_search_protocol, points=1, covers=("R4", "R5", "R6")),
        probe("`best_rate` on four histories with a tie", P + "best_run", inputs=R.BEST_PUBLIC,
              ref=R.ref_best_rate, points=1, public=True, subject="`best_rate`",
              verb="returned", covers=("R7", "R9")),
        probe("`best_rate` on hidden histories with nan and inf values", P + "best_run",
              inputs=R.best_hidden_inputs, ref=R.ref_best_rate, verify=R.verify_best_rate,
              points=1, covers=("R7", "R8")),
        probe("`best_rate` leaves `results` alone and raises ValueError when nothing is "
              "finite", P + "best_guarded", inputs=R.best_guarded_inputs, ref=R.ref_best_rate,
              verify=R.verify_best_guarded, points=1, covers=("R10", "R11")),
    ])

# ------------------------------------------------------------------ 5.5: the schedule

task_5 = Task(
    "task_5_5", "An exponential learning-rate schedule",
    requirements={
        "R1": "it returns a torch.optim.lr_scheduler scheduler (an LRScheduler)",
        "R2": "after k calls of scheduler.step(), a group's rate is its rate at creation times "
              "final_factor ** (k / epochs), for every k >= 0 (also k > epochs)",
        "R3": "this holds for every parameter group, each from its own starting rate",
        "R4": "creating the scheduler changes no learning rate and takes no optimizer step",
    },
    checks=[
        probe("`make_exponential_scheduler(optimizer, 0.1, 20)`: the rate after each of 20 "
              "steps", P + "schedule_run",
              inputs={"lrs": [0.1], "final_factor": 0.1, "epochs": 20, "steps": 20},
              ref=R.ref_schedule, points=1, public=True, rtol=1e-9, atol=0,
              subject="the learning rates", covers=("R2",)),
        probe("`make_exponential_scheduler` beyond `epochs` steps", P + "schedule_run",
              inputs={"lrs": [0.05], "final_factor": 0.5, "epochs": 3, "steps": 7},
              ref=R.ref_schedule, verify=R.verify_schedule, points=1, covers=("R2",)),
        probe("`make_exponential_scheduler` for two parameter groups with their own rates",
              P + "schedule_run",
              inputs={"lrs": [0.1, 0.02], "final_factor": 0.2, "epochs": 5, "steps": 6},
              ref=R.ref_schedule, verify=R.verify_schedule, points=1, covers=("R3",)),
        probe("creating the scheduler changes nothing", P + "schedule_run",
              inputs={"lrs": [0.3, 0.03], "final_factor": 0.25, "epochs": 4, "steps": 2},
              ref=R.ref_schedule, verify=R.verify_schedule_created, points=1, covers=("R4",)),
        probe("`make_exponential_scheduler` returns a torch scheduler (final_factor = 1)",
              P + "schedule_run",
              inputs={"lrs": [0.01], "final_factor": 1.0, "epochs": 4, "steps": 5},
              ref=R.ref_schedule, verify=R.verify_scheduler_type, points=1,
              covers=("R1", "R2")),
    ])

# ------------------------------------------------------------------ 5.6: early stopping

nan = float("nan")

task_6 = Task(
    "task_5_6", "Early stopping with a checkpoint file",
    requirements={
        "R1": "a call improves when val_loss < best_loss - min_delta (a tie at that bound does "
              "not; nan never does)",
        "R2": "on an improvement: best_loss = float(val_loss), best_epoch = the number of "
              "earlier calls, counter = 0",
        "R3": "on an improvement it creates the folder of `path` if it does not exist",
        "R4": "on an improvement it saves model.state_dict() to `path` with torch.save, "
              "replacing the previous checkpoint",
        "R5": "otherwise counter grows by 1 and the file is left alone",
        "R6": "epochs grows by 1 on every call",
        "R7": "`step` returns counter >= patience as a Python bool",
        "R8": "`restore(model)` reads the file when called, loads it into that model in place "
              "and returns the model",
    },
    checks=[
        probe("`EarlyStopping(path, patience=2)`: five calls of `step`", P + "stopping_run",
              inputs=R.stopping_inputs([3.0, 2.0, 2.5, 2.2, 1.0], patience=2),
              ref=R.ref_stopping_trace,
              points=1, public=True, subject="`step`", covers=("R1", "R2", "R5", "R6", "R7")),
        probe("`EarlyStopping.step` with min_delta, a tie at the bound and a nan",
              P + "stopping_run",
              inputs=R.stopping_inputs([2.0, 1.75, nan, 1.5, 1.4, 1.6, 1.25, 1.2], patience=3,
                                       min_delta=0.25),
              ref=R.ref_stopping, verify=R.verify_stopping_trace, points=1,
              covers=("R1", "R2", "R5", "R6", "R7")),
        probe("the checkpoint file after two improvements (its folders do not exist yet)",
              P + "stopping_run", inputs=R.stopping_inputs([1.0, 0.5], patience=2, read=1),
              ref=R.ref_stopping_files, points=1, public=True,
              subject="the checkpoint file's state dict after each call", covers=("R3", "R4")),
        probe("the checkpoint file holds the best state, not the last", P + "stopping_run",
              inputs=R.stopping_inputs([2.0, 1.5, 1.7, 1.6, 1.0, 1.2], patience=10, read=1),
              ref=R.ref_stopping, verify=R.verify_checkpoints, points=2, covers=("R4", "R5")),
        probe("`restore` reads the checkpoint file when it is called", P + "stopping_restore",
              inputs=R.restore_inputs, ref=R.ref_restore, verify=R.verify_restore, points=2,
              covers=("R8",)),
        probe("`step` returns a bool and keeps the counters ints", P + "stopping_run",
              inputs=R.stopping_inputs([1.0, 1.1, 1.2, 0.5], patience=2), ref=R.ref_stopping,
              verify=R.verify_stopping_types, points=1, covers=("R7",)),
        probe("`step` with the loss given as a 0-d tensor", P + "stopping_run",
              inputs=R.stopping_inputs([1.5, 1.2, 1.3], patience=2, kind="tensor"),
              ref=R.ref_stopping, verify=R.verify_best_loss_float, points=1, covers=("R2",)),
    ])

# ------------------------------------------------------------------ 5.7: four classes

task_7 = Task(
    "task_5_7", "Relabelling and merged probabilities",
    requirements={
        "R1": "`relabel` maps 1 -> 0, 3 -> 1, 9 -> 2 and every other label (0, 2, 4, ..., 8) "
              "-> 3",
        "R2": "it returns a torch.long tensor of the input's shape (any shape, an empty one "
              "too)",
        "R3": "it does not change its input and returns a new tensor",
        "R4": "`merge_probabilities` takes the softmax of the (N, 10) logits over dim 1",
        "R5": "its columns: p(automobile), p(cat), p(truck), then the sum of the seven other "
              "probabilities",
        "R6": "the result has the logits' dtype (and its rows sum to 1)",
        "R7": "the result does not require gradients",
    },
    checks=[
        probe("`relabel(torch.arange(10))`", P + "relabel_run",
              inputs={"labels": np.arange(10)}, ref=R.ref_relabel,
              requires={"value": Like("tensor", shape=(10,), dtype="int64")}, points=1,
              public=True, subject="`relabel(torch.arange(10))`", verb="returned",
              covers=("R1", "R2")),
        probe("`relabel` on hidden labels of shape (3, 4, 5)", P + "relabel_run",
              inputs=lambda rng: {"labels": rng.integers(0, 10, size=(3, 4, 5))},
              ref=R.ref_relabel, verify=R.verify_relabel, points=1, covers=("R1", "R2")),
        probe("`relabel` on an empty batch and on a batch of shape (2, 1)", P + "relabel_each",
              inputs={"batches": [np.zeros(0, dtype=np.int64), np.array([[9], [3]])]},
              verify=R.verify_relabel_each, points=1, covers=("R2",)),
        probe("`relabel` leaves its input alone", P + "relabel_run",
              inputs=lambda rng: {"labels": rng.permutation(np.arange(20) % 10)},
              ref=R.ref_relabel, verify=R.verify_relabel_input, points=1, covers=("R3",)),
        probe("`merge_probabilities` on 4 rows of float32 logits", P + "merge_run",
              inputs=lambda rng: {"logits": rng.normal(size=(4, 10)).astype(np.float32) * 2,
                                  "requires_grad": False},
              ref=R.ref_merge, requires={"value": Like("tensor", shape=(4, 4), dtype="float32")},
              points=1, public=True, rtol=1e-5, atol=1e-7, subject="`merge_probabilities`",
              verb="returned", covers=("R4", "R5")),
        probe("`merge_probabilities` on hidden float64 logits", P + "merge_run",
              inputs=lambda rng: {"logits": rng.normal(size=(6, 10)) * 8,
                                  "requires_grad": False},
              ref=R.ref_merge, verify=R.verify_merge, points=1, covers=("R5", "R6")),
        probe("`merge_probabilities` on logits that require gradients", P + "merge_run",
              inputs=lambda rng: {"logits": rng.normal(size=(3, 10)).astype(np.float32),
                                  "requires_grad": True},
              ref=R.ref_merge, verify=R.verify_merge_no_grad, points=1, covers=("R7",)),
    ])

# ------------------------------------------------------------------ 5.8: freezing

KEPT = [*R.CONV_PARAMS, "fc1.weight", "fc1.bias"]

task_8 = Task(
    "task_5_8", "Freezing the features and replacing the head",
    requirements={
        "R1": "model.fc2 becomes nn.Linear(model.fc2.in_features, n_classes) with PyTorch's "
              "default initialisation, drawing no other random numbers",
        "R2": "the new fc2 is on the device of the old one",
        "R3": "every parameter of conv1, conv2, conv3 and conv4 gets requires_grad False",
        "R4": "every parameter of fc1 and of the new fc2 has requires_grad True",
        "R5": "no weight of conv1 ... conv4 or fc1 changes; the same model object is returned",
        "R6": "`trainable_parameters` returns a list of the parameters with requires_grad True, "
              "the tensors themselves, in the order of model.parameters()",
    },
    checks=[
        probe("`prepare_transfer(model, 4)`: requires_grad of every parameter",
              P + "transfer_run", inputs=R.transfer_inputs(4, draw_seed=3),
              ref=R.ref_transfer_flags, points=1, public=True,
              subject="requires_grad", covers=("R3", "R4")),
        probe("`prepare_transfer(model, 4)`: the new fc2, made after torch.manual_seed(3)",
              P + "transfer_run", inputs=R.transfer_inputs(4, draw_seed=3),
              ref=R.ref_transfer_layer,
              points=1, public=True, subject="the new fc2 ([class, in, out] and parameters)",
              covers=("R1",)),
        probe("`prepare_transfer` on a hidden model and number of classes", P + "transfer_run",
              inputs=R.transfer_inputs(7, **R.SMALL_WIDTHS), ref=R.ref_transfer,
              verify=R.verify_new_layer, points=1, covers=("R1",)),
        probe("`prepare_transfer` on a model on another device", P + "transfer_device",
              inputs=R.transfer_device_inputs, verify=R.verify_transfer_device, points=1,
              covers=("R2",)),
        probe("`prepare_transfer` keeps the other weights and returns the model",
              P + "transfer_run", inputs=R.transfer_inputs(5, keep=KEPT, **R.SMALL_WIDTHS),
              ref=R.ref_transfer, verify=R.verify_transfer_kept, points=1, covers=("R5",)),
        probe("`trainable_parameters` of a model whose conv layers are frozen",
              P + "trainable_run",
              inputs=R.trainable_inputs(R.cnn_layers(4, **R.SMALL_WIDTHS), R.CONV_PARAMS),
              ref=R.ref_trainable, points=1, public=True,
              subject="`trainable_parameters` (its type and the names of its items)",
              covers=("R6",)),
        probe("`trainable_parameters` of another model with frozen parameters",
              P + "trainable_run",
              inputs=R.trainable_inputs(R.OTHER_MODEL, ["1.weight", "3.bias", "0.weight"]),
              ref=R.ref_trainable, points=1, subject="`trainable_parameters`", covers=("R6",)),
    ])

# ------------------------------------------------------------------ 5.9: fine-tuning

task_9 = Task(
    "task_5_9", "Fine-tuning with parameter groups",
    requirements={
        "R1": "every parameter of conv3 and conv4 gets requires_grad True",
        "R2": "conv1 and conv2 stay frozen",
        "R3": "no weight changes",
        "R4": "it returns torch.optim.RMSprop with exactly two parameter groups",
        "R5": "group 1: conv3's then conv4's parameters (each in .parameters() order), lr "
              "lr_conv",
        "R6": "group 2: fc1's then fc2's parameters, lr lr_head",
        "R7": "all other settings are RMSprop's defaults",
    },
    checks=[
        probe("`unfreeze_top(model, 1e-4, 1e-3)`: requires_grad of every parameter",
              P + "fine_tune_run", inputs=R.fine_tune_inputs(1e-4, 1e-3, **R.SMALL_WIDTHS),
              ref=R.ref_fine_tune_flags, points=1,
              public=True, subject="requires_grad",
              covers=("R1", "R2")),
        probe("`unfreeze_top(model, 1e-4, 1e-3)`: the optimizer and its parameter groups",
              P + "fine_tune_run", inputs=R.fine_tune_inputs(1e-4, 1e-3, **R.SMALL_WIDTHS),
              ref=R.ref_fine_tune_groups,
              points=1, public=True, subject="the optimizer ([names, settings] per group)",
              covers=("R4", "R5", "R6")),
        probe("`unfreeze_top`'s optimizer keeps RMSprop's other defaults", P + "fine_tune_run",
              inputs=R.fine_tune_inputs(0.002, 0.02, **R.SMALL_WIDTHS),
              verify=R.verify_fine_tune_defaults, points=1, covers=("R7",)),
        probe("`unfreeze_top` with hidden rates, the convolutions' larger than the head's",
              P + "fine_tune_run", inputs=R.fine_tune_inputs(0.5, 0.05),
              verify=R.verify_fine_tune_groups, points=2, covers=("R5", "R6")),
        probe("`unfreeze_top` keeps every weight", P + "fine_tune_run",
              inputs=R.fine_tune_inputs(0.01, 0.1, **R.SMALL_WIDTHS),
              verify=R.verify_fine_tune_kept, points=1, covers=("R3",)),
        probe("one step of the returned optimizer trains exactly conv3, conv4, fc1 and fc2",
              P + "fine_tune_run", inputs=R.fine_tune_inputs(0.003, 0.03, **R.SMALL_WIDTHS),
              verify=R.verify_fine_tune_step, points=1, covers=("R1", "R2", "R4")),
    ])

# ------------------------------------------------------------------ 5.10: cross-entropy

task_10 = Task(
    "task_5_10", "One-hot targets and the softmax cross-entropy",
    requirements={
        "R1": "`one_hot(y, n_classes)` returns a new float32 tensor (N, n_classes): row i is "
              "1.0 in column y[i], 0.0 elsewhere",
        "R2": "`one_hot` does not change its input",
        "R3": "`softmax_cross_entropy` returns a 0-d tensor: the mean over rows of "
              "-sum_k targets log softmax(logits)",
        "R4": "it is computed stably: finite for logits as large as 1e4 in absolute value",
        "R5": "it works for soft targets (any probability distributions)",
        "R6": "the result is in the autograd graph: .backward() gives (p - targets) / N",
    },
    checks=[
        probe("`one_hot(torch.tensor([2, 0, 2]), 4)`", P + "one_hot_run",
              inputs={"y": np.array([2, 0, 2]), "n_classes": 4},
              expected={"value": R.ref_one_hot([2, 0, 2], 4)["value"]},
              requires={"value": Like("tensor", shape=(3, 4), dtype="float32")}, points=1,
              public=True, subject="`one_hot(torch.tensor([2, 0, 2]), 4)`", verb="returned",
              covers=("R1",)),
        probe("`one_hot` on 50 hidden labels (the largest class absent)", P + "one_hot_run",
              inputs=R.one_hot_inputs, ref=R.ref_one_hot, verify=R.verify_one_hot, points=1,
              covers=("R1", "R2")),
        probe("`softmax_cross_entropy` on 5 rows with one-hot targets",
              P + "cross_entropy_value",
              inputs=R.cross_entropy_inputs(5, 3, 1.0, soft=False, dtype=np.float32),
              ref=R.ref_cross_entropy,
              requires={"value": Like("tensor", shape=(), dtype="float")}, points=1,
              public=True, rtol=1e-5, atol=1e-6, subject="`softmax_cross_entropy`",
              verb="returned", covers=("R3",)),
        probe("`softmax_cross_entropy` with logits of size 1e4 and soft targets",
              P + "cross_entropy_value", inputs=R.cross_entropy_inputs(6, 5, 1e4, soft=True),
              ref=R.ref_cross_entropy, verify=R.verify_cross_entropy, points=1,
              covers=("R4", "R5")),
        probe("`softmax_cross_entropy(...).backward()`: the gradient of the logits",
              P + "cross_entropy_grad", inputs=R.cross_entropy_inputs(7, 4, 2.0, soft=True),
              ref=R.ref_cross_entropy_grad, verify=R.verify_cross_entropy_grad, points=1,
              covers=("R6",)),
    ])

# ------------------------------------------------------------------ 5.11: the study

STUDY_PUBLIC = [{"width": 64, "lr": 0.03, "seed": 0, "val_acc": 0.9},
                {"width": 64, "lr": 0.03, "seed": 1, "val_acc": 0.94},
                {"width": 16, "lr": 0.03, "seed": 0, "val_acc": 0.85},
                {"width": 16, "lr": 0.03, "seed": 1, "val_acc": 0.8}]

task_11 = Task(
    "task_5_11", "A one-factor-at-a-time study",
    requirements={
        "R1": "`one_factor_grid` returns a list of dicts whose first is a copy of base",
        "R2": "then, for every setting in the order of options and every value in the order of "
              "its list, base with that setting replaced by the value",
        "R3": "values equal to base[setting] are left out",
        "R4": "every item is a new dict (never base itself); base and options are unchanged",
        "R5": "`summarise_study` groups the runs by the tuple of their `keys` values, in the "
              "order in which configurations first appear",
        "R6": "one new dict per configuration: its `keys` values, \"n\" (int), \"mean\" and "
              "\"std\" (floats; sample std with n - 1, 0.0 when n == 1)",
        "R7": "`metric` is honoured and no record is changed",
    },
    checks=[
        call("one_factor_grid", ({"a": 1, "b": 2}, {"a": [0, 1, 5]}),
             expected=[{"a": 1, "b": 2}, {"a": 0, "b": 2}, {"a": 5, "b": 2}], points=1,
             public=True, label="`one_factor_grid({'a': 1, 'b': 2}, {'a': [0, 1, 5]})` (the "
             "docstring's example)", covers=("R1", "R2", "R3")),
        probe("`one_factor_grid` on a hidden base with four settings", P + "grid_run",
              inputs=R.GRID_HIDDEN, ref=R.ref_grid, verify=R.verify_grid, points=1,
              covers=("R2", "R3", "R4")),
        call("summarise_study", (STUDY_PUBLIC, ["width", "lr"]),
             expected=R.ref_study(STUDY_PUBLIC, ["width", "lr"])["value"], points=1,
             public=True, rtol=1e-9, atol=1e-12,
             label="`summarise_study` on 4 runs of 2 configurations", covers=("R5", "R6")),
        probe("`summarise_study` on hidden, interleaved runs (1 to 3 per configuration)",
              P + "study_run", inputs=R.study_inputs("val_acc"), ref=R.ref_study,
              verify=R.verify_study, points=1, covers=("R5", "R6")),
        probe("`summarise_study` with metric=\"train_acc\"", P + "study_run",
              inputs=R.study_inputs("train_acc"), ref=R.ref_study,
              verify=R.verify_study_metric, points=1, covers=("R7",)),
    ])


TASKS = [task_1, task_2, task_3, task_4, task_5, task_6, task_7, task_8, task_9, task_10,
         task_11]

# Written questions (20 points), marked by a person in the review app. The criteria are about
# reasoning read against the student's own printed numbers and plots: runs differ between
# machines, and between a CPU and a GPU.
WRITTEN = [
    Written("answer_5_1", "Choosing the learning rate", rubric=[
        (2, "The choice is justified from the curves (falls fastest and lowest, stably, with a "
            "small train/validation gap) and agrees with the student's own table, or deviates "
            "from `best_rate` for a stated reason."),
        (1, "One correct sentence on each of the other three rates: too slow; unstable or "
            "bumpy; diverging or stuck near ln 10 at 1e-1."),
        (1, "The range test's suggested rate is read from its plot and compared with the "
            "grid's choice."),
        (1, "The costs in mini-batches (four full runs against at most one pass of the range "
            "test) and a sensible refinement between the two best grid points."),
    ]),
    Written("answer_5_2", "Early stopping and the schedule", rubric=[
        (1, "Reads the run correctly: epochs run, best epoch, and the validation loss and "
            "accuracy of the last and of the restored weights."),
        (1, "Why the best weights are not the last ones (the validation loss has a minimum, "
            "then rises as the network overfits; the restored weights are `patience` epochs "
            "earlier), or, without a stop, why not (still improving within five epochs)."),
        (1, "The schedule's effect: the shrinking rate smooths the curves and slows late "
            "changes, which can delay or prevent the stop."),
    ]),
    Written("answer_5_3", "Transfer learning, and a fair comparison", rubric=[
        (1, "(a) Transfer against scratch, and the classes where it gains (the recall of car, "
            "cat and truck)."),
        (1, "(b) Fine-tuning against the head only, and why the lower rate: the fresh head's "
            "large early gradients would wreck the pretrained features (forgetting)."),
        (1, "(c) Why the merged 10-class network is strong, and which labelled images each "
            "network saw: fair in what is measured, not in what each could learn from."),
        (1, "(d) Why balanced accuracy: with most images in 'other', a constant answer scores "
            "high accuracy but only 25 % balanced accuracy."),
        (1, "Numbers quoted consistently with the student's own table."),
    ]),
    Written("answer_5_4", "Why softmax cross-entropy", rubric=[
        (1, "The error rate is a step function of the weights: its gradient is zero almost "
            "everywhere, so gradient descent gets nothing to follow."),
        (1, "The squared error of the probabilities saturates when the network is confidently "
            "wrong: the softmax's derivative brings factors p(1 - p)."),
        (1, "Uses the printed numbers or the cross-entropy's gradient p - y correctly."),
    ]),
    Written("answer_5_5", "Interpreting the parameter study", rubric=[
        (1, "Ranks the settings by their effect, from the student's own table."),
        (1, "Compares the differences with the seed-to-seed standard deviations (with three "
            "seeds, differences under about two standard deviations mean little)."),
        (1, "A correct mechanism for one effect (the effective step lr / (1 - momentum); the "
            "number of steps per epoch at each batch size)."),
        (1, "One interaction a one-factor-at-a-time design cannot see, and a small full grid "
            "that would test it."),
    ]),
]


SPEC = Assignment(
    number=5, slug="training_in_practice", topic="Training_in_Practice",
    title="Training deep networks in practice",
    tasks=TASKS, written=WRITTEN,
    # What the imports cell and the probes import, once in the kernel factory instead of once
    # per submission: torchvision and tensorboard take seconds; torch._dynamo is imported by the
    # first torch.optim optimizer a process makes (about 2 s).
    preload=("numpy", "torch", "torch._dynamo", "torch.nn", "torch.nn.functional",
             "torch.utils.data", "torch.utils.tensorboard",
             "tensorboard.backend.event_processing.event_accumulator", "torchvision",
             "torchvision.datasets", "torchvision.transforms", "matplotlib.pyplot",
             "sklearn.datasets", "sklearn.model_selection", "sklearn.preprocessing",
             "tqdm.auto"),
    cell_timeout=10.0,
)

# 80 points of code and 20 of written answers: this assignment's reasoning is mostly in its
# experiments' code, so it weighs the written part less than the first four (70/30).
assert (SPEC.code_points, SPEC.written_points) == (80, 20), SPEC.points
