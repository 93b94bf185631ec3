"""Assignment 3: vanishing gradients in PyTorch (the rubric).

Eleven tasks, 70 points, and five written questions, 30 points. For each task: what its
statement requires, and the checks that enforce it. References, input makers and judges:
reference.py. Probes (run in the student's kernel): grader/probes/a3_vanishing_gradients.py.

Every network a check hands to the student's code is built in the kernel from torch.nn parts
listed in the inputs, and starts where the statement demands a change: `train_epoch` gets a
model in evaluation mode with stale gradients, `evaluate` one in training mode, and
`gradient_ratio` stale gradients, nested blocks and norm layers; `activation_grad` gets views
with exact zeros and +-100, and `batch_norm` running statistics that are not 0 and 1, other
momentum and eps than the defaults, and evaluation-mode calls between training steps. Numbers
are judged here: exact answers against a reference run on the same network and data (a made-up
loss or gradient list fails), random answers against the statistics of reference runs and
against what the caller's seed must fix.
"""
import numpy as np

from ...checks import Assignment, Task, boolean, call, probe, value, Written
from ...wire import Like
from .reference import (
    NORM_TOLERANCE, SLOPE_TOLERANCE, ZOO_NAMES, ann_inputs, ann_relu_forward, ann_shapes,
    bounds_reference, dead_inputs, dead_relu_reference, evaluate_reference,
    gradient_ratio_reference, mlp_reference, network_inputs, norm_default_inputs,
    norm_default_reference, norm_gradient_inputs, norm_gradient_reference, norm_steps_inputs,
    norm_steps_reference, ratio_inputs, slope_inputs, slopes_reference, train_epoch_reference,
    variances_reference, verify_accuracy, verify_bounds, verify_eval_mode,
    verify_evaluate_part, verify_gradients, verify_init, verify_layouts,
    verify_log_probabilities, verify_losses, verify_moved, verify_no_grad,
    verify_norm_defaults, verify_norm_evaluation, verify_norm_format, verify_norm_gradients,
    verify_norm_outputs, verify_parameters, verify_progress, verify_python_float,
    verify_running, verify_seeding, verify_slope_format, verify_slopes, verify_training_mode,
    verify_unchanged, verify_variances, verify_zero_biases,
)

P = "a3_vanishing_gradients."      # the probes' module in grader/probes/

# ------------------------------------------------------------------ 3.1: the 1/4 bound

SHALLOW = [[1, 1.0], [2, 1.0], [3, 2.0], [1, 4.0], [0, 3.0], [2, 4]]   # depth 0; int w_max
DEEP = [[20, 1.0], [10, 0.5], [3, 8.0], [6, 4.0], [5, 6.0]]

task_1 = Task(
    "task_3_1", "The 1/4 bound of the sigmoid's derivative",
    requirements={
        "R1": "`sigmoid_grad_max` is a Python float",
        "R2": "`sigmoid_grad_max` is the largest sigma'(z) = sigma(z)(1 - sigma(z)) on the grid "
              "z, which contains 0: 1/4",
        "R3": "`gradient_bound(depth, w_max)` is (w_max / 4) ** depth: one factor w_max / 4 "
              "per layer, 1 for depth 0",
        "R4": "`gradient_bound` returns a Python float, not a tensor or an array",
    },
    checks=[
        value("sigmoid_grad_max", kind="float", points=1, public=True, covers=("R1",)),
        probe("`sigmoid_grad_max` is the largest derivative on the grid", "common.value",
              inputs={"name": "sigmoid_grad_max"}, expected={"value": 0.25},
              verify=verify_python_float, points=1, covers=("R1", "R2")),
        call("gradient_bound", (10, 1.0), expected=0.25 ** 10, points=1, public=True,
             rtol=1e-4, covers=("R3",)),
        probe("`gradient_bound` for shallow networks (depth 0 included)", P + "bounds",
              inputs={"cases": SHALLOW}, ref=bounds_reference, verify=verify_bounds,
              points=1, covers=("R3", "R4")),
        probe("`gradient_bound` for deep networks and large weights", P + "bounds",
              inputs={"cases": DEEP}, ref=bounds_reference, verify=verify_bounds, points=1,
              covers=("R3", "R4")),
    ])

# ------------------------------------------------------------------ 3.2: ANN_relu

task_2 = Task(
    "task_3_2", "A ReLU network",
    requirements={
        "R1": "`ANN_relu(D_in, D_out)` is an nn.Module whose only parameters are those of the "
              "nn.Linear layers linear1 ... linear4, of sizes D_in -> 512 -> 1024 -> 512 -> D_out",
        "R2": "ReLU after linear1, linear2 and linear3, and none after linear4",
        "R3": "the output is log_softmax over the classes (dim 1): log-probabilities",
        "R4": "forward takes inputs (N, D_in) and images (N, 1, 28, 28), which it flattens, and "
              "returns a float tensor (N, D_out)",
    },
    checks=[
        probe("`ANN_relu(784, 10)` has layers `linear1` ... `linear4` of the right sizes",
              P + "ann_parameters", inputs={"D_in": 784, "D_out": 10},
              expected={"value": ann_shapes(784, 10)}, points=1, public=True,
              subject="the parameter shapes of `ANN_relu(784, 10)`", covers=("R1",)),
        probe("`ANN_relu(784, 10)` on a batch of 3 images", P + "ann_outputs",
              inputs=ann_inputs(784, 10, 3, images=True), points=1, public=True,
              requires={"value": Like("tensor", shape=(3, 10), dtype="float")},
              subject="the output", covers=("R4",)),
        probe("`ANN_relu` outputs with given weights, on hidden inputs", P + "ann_outputs",
              inputs=ann_inputs(20, 7, 6, images=False), ref=ann_relu_forward, points=2,
              rtol=1e-4, atol=1e-5, subject="the output of `ANN_relu(20, 7)`", verb="has",
              covers=("R1", "R2", "R3", "R4")),
        probe("`ANN_relu` outputs with given weights, on hidden images (a strided batch)",
              P + "ann_outputs", inputs=ann_inputs(784, 10, 4, images=True),
              ref=ann_relu_forward, points=1, rtol=1e-4, atol=1e-5,
              subject="the output of `ANN_relu(784, 10)`", verb="has", covers=("R2", "R4")),
        probe("`ANN_relu` returns log-probabilities (their exponentials sum to 1)",
              P + "ann_outputs", inputs=ann_inputs(20, 7, 6, images=False),
              verify=verify_log_probabilities, points=1, covers=("R3",)),
    ])

# ------------------------------------------------------------------ 3.3: train_epoch

# Hidden runs: a BatchNorm1d after linear1 (its "weight" is no Linear layer's), 45 samples in
# batches of 8 (the last one has 5), a large learning rate (predictions change after a step).
TRAIN_HIDDEN = network_inputs((12, 16, 12, 10, 4), 45, 8, 2.0, norm=True, lr=0.5,
                              log_interval=2)
STATS_FORMAT = {"linear1": [Like("float")] * 6, "linear2": [Like("float")] * 6,
                "linear3": [Like("float")] * 6, "loss": [Like("float")] * 6,
                "accuracy": Like("float")}


def _train(label, verify, points, covers, probe_name="training_run"):
    return probe(label, P + probe_name, inputs=TRAIN_HIDDEN, ref=train_epoch_reference,
                 verify=verify, points=points, covers=covers)


task_3 = Task(
    "task_3_3", "A training loop that records gradient flow",
    requirements={
        "R1": "returns a dict: lists \"linear1\", \"linear2\", \"linear3\" and \"loss\" with one "
              "number per batch, and a number \"accuracy\"",
        "R2": "puts the model in training mode (it may arrive in evaluation mode)",
        "R3": "moves every batch, data and targets, to `device`",
        "R4": "clears the old gradients before each backward pass, including gradients left "
              "from before the call",
        "R5": "the loss is the mean negative log-likelihood of the batch (F.nll_loss)",
        "R6": "records mean(|weight.grad|) of the layers linear1, linear2 and linear3 after "
              "backpropagating: their weights, not biases or other parameters",
        "R7": "takes one optimizer step per batch, after backpropagating",
        "R8": "records the loss of every batch, in order",
        "R9": "accuracy is the fraction of all training samples classified correctly, by the "
              "same forward passes that gave the loss",
        "R10": "shows progress with tqdm around the loader, showing the loss (set_postfix) once "
               "every log_interval batches",
    },
    checks=[
        probe("`train_epoch` on a small model (6 batches)", P + "training_run",
              inputs=network_inputs((6, 8, 8, 8, 3), 22, 4, 1.0, lr=0.1, log_interval=2),
              expected={"stats": STATS_FORMAT}, points=2, public=True,
              subject="`train_epoch`'s result", covers=("R1",)),
        _train("`train_epoch` records the mean absolute weight gradients per batch",
               verify_gradients, 3, ("R4", "R5", "R6")),
        _train("`train_epoch` records the loss of every batch", verify_losses, 2, ("R5", "R8")),
        _train("`train_epoch` updates the parameters after every batch", verify_parameters, 2,
               ("R4", "R7")),
        _train("`train_epoch` training accuracy over the whole epoch", verify_accuracy, 1.5,
               ("R9",)),
        _train("`train_epoch` puts the model in training mode", verify_training_mode, 0.5,
               ("R2",)),
        _train("`train_epoch` moves every batch to `device`", verify_moved, 0.5, ("R3",)),
        _train("`train_epoch` shows its progress with tqdm", verify_progress, 0.5, ("R10",),
               probe_name="training_progress"),
    ])

# ------------------------------------------------------------------ 3.4: evaluate

# Hidden runs: 37 samples in batches of 10 (the last one has 7), a Dropout layer (the mode
# changes the numbers too); the model arrives in training mode with autograd on.
EVAL_HIDDEN = network_inputs((8, 10, 10, 10, 4), 37, 10, 3.0, dropout=True)


def _evaluate(label, verify, points, covers):
    return probe(label, P + "evaluation_run", inputs=EVAL_HIDDEN, ref=evaluate_reference,
                 verify=verify, points=points, covers=covers)


task_4 = Task(
    "task_3_4", "Evaluation on a test set",
    requirements={
        "R1": "returns (mean_loss, accuracy), two numbers",
        "R2": "puts the model in evaluation mode (model.eval())",
        "R3": "computes without tracking gradients (torch.no_grad())",
        "R4": "moves every batch, data and targets, to `device`",
        "R5": "mean_loss is the negative log-likelihood averaged over all samples, not over "
              "batches",
        "R6": "accuracy is the fraction of all samples classified correctly, in [0, 1]",
    },
    checks=[
        probe("`evaluate` on a small example (batches of 4, 4 and 2)", P + "evaluation_run",
              inputs=network_inputs((5, 6, 6, 6, 3), 10, 4, 3.0), ref=evaluate_reference,
              points=1, public=True, rtol=1e-5, atol=1e-7, subject="`evaluate`",
              verb="returned", covers=("R1", "R5", "R6")),
        _evaluate("`evaluate` mean loss per sample (the last batch is smaller)",
                  verify_evaluate_part(0), 1, ("R5",)),
        _evaluate("`evaluate` accuracy", verify_evaluate_part(1), 1, ("R6",)),
        _evaluate("`evaluate` puts the model in evaluation mode", verify_eval_mode, 1, ("R2",)),
        _evaluate("`evaluate` does not track gradients", verify_no_grad, 0.5, ("R3",)),
        _evaluate("`evaluate` moves every batch to `device`", verify_moved, 0.5, ("R4",)),
    ])

# ------------------------------------------------------------------ 3.5: True/False

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

task_5 = Task(
    "task_3_5", "What the gradient plots show",
    requirements={
        **{f"R{k}": f"`{name}` is {answer}"
           for k, (name, answer) in enumerate(TF_ANSWERS.items(), 1)},
        "R9": "every answer is True, False or None (not a string or a number)",
    },
    checks=[boolean(name, answer, points=0.5, covers=(f"R{k}", "R9"))
            for k, (name, answer) in enumerate(TF_ANSWERS.items(), 1)],
    min_points=0.0)

# ------------------------------------------------------------------ 3.6: make_mlp

INIT_CASE = [3, 100], {"in_features": 80, "out_features": 30}   # fan_in != fan_out


def _init_case(activation, **kwargs):
    args, sizes = INIT_CASE
    return {"cases": [[[*args, activation], {**sizes, **kwargs}]]}


task_6 = Task(
    "task_3_6", "Multilayer perceptrons of any depth",
    requirements={
        "R1": "returns one flat nn.Sequential",
        "R2": "`depth` hidden blocks Linear(-> width) + activation module (nn.Sigmoid, nn.Tanh or "
              "nn.ReLU), the first taking in_features, then an output Linear(width, "
              "out_features) without activation",
        "R3": "with batch_norm=True, an nn.BatchNorm1d(width) between every hidden Linear layer "
              "and its activation",
        "R4": "init=\"xavier\", the default: weights of variance 2 / (fan_in + fan_out)",
        "R5": "init=\"kaiming\": weights of variance 2 / fan_in",
        "R6": "init=\"uniform\": weights uniform on [-1, 1]",
        "R7": "the initialisation applies to every Linear layer, the output layer included",
        "R8": "all biases start at zero",
        "R9": "only the Linear layers are initialised: BatchNorm1d layers keep weight 1, bias 0",
    },
    checks=[
        probe("`make_mlp(2, 5, 'relu')`", P + "mlp_models",
              inputs={"cases": [[[2, 5, "relu"], {}]]}, ref=mlp_reference, points=1,
              public=True, subject="`make_mlp(2, 5, 'relu')`", covers=("R1", "R2")),
        probe("`make_mlp` layers for other depths, widths, activations and sizes",
              P + "mlp_models",
              inputs={"cases": [[[1, 7, "sigmoid"], {}], [[3, 4, "tanh"], {"in_features": 9}],
                                [[6, 3, "sigmoid"], {"out_features": 2}],
                                [[4, 6, "relu"], {"in_features": 2, "out_features": 3}]]},
              verify=verify_layouts, points=2, covers=("R1", "R2")),
        probe("`make_mlp` with batch normalisation", P + "mlp_models",
              inputs={"cases": [[[2, 8, "sigmoid"], {"batch_norm": True}],
                                [[3, 5, "relu"], {"batch_norm": True, "in_features": 4}]]},
              verify=verify_layouts, points=1, covers=("R3",)),
        probe("`make_mlp` with the default initialisation (Xavier)", P + "mlp_models",
              inputs=_init_case("tanh"), verify=verify_init("xavier"), points=1,
              covers=("R4", "R7")),
        probe("`make_mlp` with init='kaiming'", P + "mlp_models",
              inputs=_init_case("relu", init="kaiming"), verify=verify_init("kaiming"),
              points=1, covers=("R5", "R7")),
        probe("`make_mlp` with init='uniform'", P + "mlp_models",
              inputs=_init_case("sigmoid", init="uniform"), verify=verify_init("uniform"),
              points=1, covers=("R6", "R7")),
        probe("`make_mlp` starts with zero biases", P + "mlp_models",
              inputs=_init_case("relu", init="kaiming"), verify=verify_zero_biases,
              points=0.5, covers=("R8",)),
        probe("`make_mlp` leaves the BatchNorm1d layers as they are", P + "mlp_models",
              inputs=_init_case("sigmoid", batch_norm=True, init="uniform"),
              verify=verify_norm_defaults, points=0.5, covers=("R9",)),
    ])

# ------------------------------------------------------------------ 3.7: gradient_ratio

RATIO = {"rtol": 1e-4, "atol": 0, "subject": "`gradient_ratio`", "verb": "returned"}
STALE = ratio_inputs((10, 12, 12, 12, 4), 30, "tanh", stale=True)

task_7 = Task(
    "task_3_7", "First-to-last gradient ratio",
    requirements={
        "R1": "returns mean(|weight gradient of the first Linear layer|) / mean(|that of the "
              "last|) as a number: first over last, absolute values, weights (not biases)",
        "R2": "first and last are the first and last nn.Linear in the order of model.modules(), "
              "in any nn.Module (nested blocks, other layers with weights)",
        "R3": "clears gradients left from earlier passes",
        "R4": "the loss is F.cross_entropy of the model's output (logits) on the whole batch",
        "R5": "one forward and backward pass: the parameters are not changed",
    },
    checks=[
        probe("`gradient_ratio` on a 2-hidden-layer sigmoid network", P + "ratio_run",
              inputs=ratio_inputs((5, 6, 6, 3), 8, "sigmoid"), ref=gradient_ratio_reference,
              points=1, public=True, covers=("R1", "R4"), **RATIO),
        probe("`gradient_ratio` on a hidden deep sigmoid network with a LayerNorm in front",
              P + "ratio_run",
              inputs=ratio_inputs((10, 12, 12, 12, 12, 4), 30, "sigmoid", scale=2.0,
                                  norm_first=True),
              ref=gradient_ratio_reference, points=1, covers=("R1", "R2", "R4"), **RATIO),
        probe("`gradient_ratio` on a hidden ReLU network with LayerNorms", P + "ratio_run",
              inputs=ratio_inputs((10, 12, 12, 12, 4), 30, "relu", scale=1.5,
                                  norm_inside=True),
              ref=gradient_ratio_reference, points=1, covers=("R1", "R2"), **RATIO),
        probe("`gradient_ratio` ignores gradients left over from earlier backward passes",
              P + "ratio_run", inputs=STALE, ref=gradient_ratio_reference, points=1,
              covers=("R3",), **RATIO),
        probe("`gradient_ratio` leaves the parameters unchanged", P + "ratio_run", inputs=STALE,
              verify=verify_unchanged, points=1, covers=("R5",)),
    ])

# ------------------------------------------------------------------ 3.8: activation variances


def _variances(init, activation, points, covers):
    return probe(f"`activation_variances` with init={init!r} and {activation}",
                 P + "variance_run",
                 inputs={"args": [init, activation],
                         "kwargs": {"depth": 5, "width": 256, "n": 512}, "_runs": 5},
                 ref=variances_reference, verify=verify_variances, points=points,
                 covers=covers)


def _seeds(rng):
    """Three runs: seed s, seed s again (must agree), seed s + 1 (must differ)."""
    seed = int(rng.integers(2**31))
    return {"args": ["kaiming", "relu", 3, 64, 128], "seeds": [seed, seed, seed + 1]}


task_8 = Task(
    "task_3_8", "Activation variances through a deep network",
    requirements={
        "R1": "returns `depth` numbers, one per layer",
        "R2": "the weights have the standard deviation the table gives for `init`",
        "R3": "records the variance of the activations, not their standard deviation",
        "R4": "records after each layer's activation: h = activation(h @ W.T)",
        "R5": "the layers have no biases",
        "R6": "the inputs are standard normal, of shape (n, width)",
        "R7": "draws with torch's generator, which the caller seeds, and does not re-seed",
    },
    checks=[
        probe("`activation_variances('xavier', 'tanh', depth=3, width=64, n=128)`",
              P + "variance_run",
              inputs={"args": ["xavier", "tanh"], "kwargs": {"depth": 3, "width": 64,
                                                             "n": 128}},
              expected={"value": [Like("float")] * 3}, points=1, public=True,
              subject="the result", covers=("R1",)),
        _variances("normal_0.01", "tanh", 1, ("R2", "R3", "R4", "R5", "R6")),
        _variances("normal_0.1", "relu", 1, ("R2", "R3", "R4", "R6")),
        _variances("xavier", "tanh", 1, ("R2", "R3", "R6")),
        _variances("kaiming", "relu", 1, ("R2", "R3", "R4")),
        _variances("1/d_in", "sigmoid", 1, ("R2", "R4", "R6")),
        _variances("xavier", "relu", 0.5, ("R2",)),
        probe("`activation_variances` follows the caller's torch seed", P + "variance_seeds",
              inputs=_seeds, verify=verify_seeding, points=0.5, covers=("R7",)),
    ])

# ------------------------------------------------------------------ 3.9: dead ReLUs

task_9 = Task(
    "task_3_9", "Counting dead ReLUs",
    requirements={
        "R1": "returns one number per nn.ReLU module, in the order of the model",
        "R2": "a unit is dead when its ReLU output is 0 for every input (a pre-activation of "
              "exactly 0 included), not for some inputs or on average",
        "R3": "each number is the fraction of the layer's units that are dead, not their count",
        "R4": "what counts is each ReLU module's own input, whatever layer comes before it "
              "(make_mlp's BatchNorm1d included)",
    },
    checks=[
        probe("`dead_relu_fraction` on a small network", P + "dead_units",
              inputs=dead_inputs((3, 4, 5, 2), 6, dead=[[1], [0, 3]]), ref=dead_relu_reference,
              points=1, public=True, subject="`dead_relu_fraction`", verb="returned",
              covers=("R1", "R2", "R3")),
        probe("`dead_relu_fraction` on a hidden network with dead units", P + "dead_units",
              inputs=dead_inputs((6, 10, 8, 12, 3), 40, dead=[[0, 4, 7], [2], [1, 5, 6, 9, 11]]),
              ref=dead_relu_reference, points=2, subject="`dead_relu_fraction`",
              verb="returned", covers=("R1", "R2", "R3")),
        probe("`dead_relu_fraction` counts only units that are zero for every input",
              P + "dead_units",
              inputs=dead_inputs((6, 10, 8, 4), 40, dead=[[3], [5, 6]],
                                 partial=[[0, 1, 2, 8], [0, 1, 2]], zero=[[5], [4]]),
              ref=dead_relu_reference, points=2, subject="`dead_relu_fraction`",
              verb="returned", covers=("R2",)),
        probe("`dead_relu_fraction` with BatchNorm1d before each ReLU", P + "dead_units",
              inputs=dead_inputs((6, 10, 8, 4), 40, dead=[[1, 2], [0, 7]], norm=True),
              ref=dead_relu_reference, points=1, subject="`dead_relu_fraction`",
              verb="returned", covers=("R1", "R4")),
    ])


# ------------------------------------------------------------------ 3.10: the activation zoo

PUBLIC_Z = np.array([-100.0, -2.0, -0.5, 0.0, 0.5, 2.0, 100.0], dtype=np.float32)
SLOPES = {"subject": "the derivatives for names ['leaky_relu', 'elu', 'silu', 'gelu'] at "
                     "z = [-100, -2, -0.5, 0, 0.5, 2, 100]",
          "verb": "returned", **SLOPE_TOLERANCE}


def _slopes(name, points, covers):
    return probe(f"`activation_grad({name!r}, z)` on hidden inputs (zeros and +-100 included)",
                 P + "slopes", inputs=slope_inputs([name], (4, 6), dtype=np.float32),
                 ref=slopes_reference, verify=verify_slopes, points=points, covers=covers)


task_10 = Task(
    "task_3_10", "Derivatives of the activation zoo",
    requirements={
        "R1": "returns a float tensor of z's shape for every name, for z of any shape (views "
              "included), and leaves z unchanged",
        "R2": "leaky_relu: 1 for z > 0 and 0.01 for z <= 0 (0.01 at z = 0, as in PyTorch)",
        "R3": "elu: 1 for z > 0 and exp(z) for z <= 0, finite for every finite z",
        "R4": "silu: sigma(z) (1 + z (1 - sigma(z))), finite for every finite z",
        "R5": "gelu (exact, with the normal CDF Phi): Phi(z) + z phi(z), phi the normal density",
    },
    checks=[
        probe("`activation_grad` for each name on a few points", P + "slopes",
              inputs={"cases": [[name, PUBLIC_Z] for name in ZOO_NAMES]},
              ref=slopes_reference, points=0.5, public=True,
              covers=("R1", "R2", "R3", "R4", "R5"), **SLOPES),
        _slopes("leaky_relu", 1, ("R2",)),
        _slopes("elu", 1, ("R3",)),
        _slopes("silu", 1, ("R4",)),
        _slopes("gelu", 1, ("R5",)),
        probe("`activation_grad` returns one derivative per entry and leaves z as it was",
              P + "slopes", inputs=slope_inputs(ZOO_NAMES, (2, 3, 4)),
              verify=verify_slope_format, points=0.5, covers=("R1",)),
    ])

# ------------------------------------------------------------------ 3.11: batch normalisation

NORM = {"subject": "`batch_norm`", "verb": "returned", **NORM_TOLERANCE}
# Hidden runs: 7 samples of 5 features (one with a tiny spread, so that where eps goes
# matters), momentum 0.3 and eps 0.01, batches passed as non-contiguous views.
TRAIN_STEPS = norm_steps_inputs(7, 5, [True, True, True], 0.3, 1e-2)
MIXED_STEPS = norm_steps_inputs(6, 4, [True, True, False, True, False], 0.2, 1e-3)


def _steps(label, inputs, verify, points, covers):
    return probe(label, P + "norm_steps", inputs=inputs, ref=norm_steps_reference,
                 verify=verify, points=points, covers=covers)


task_11 = Task(
    "task_3_11", "Batch normalisation in training and evaluation mode",
    requirements={
        "R1": "returns a tensor of x's shape (N, D) and leaves x, gamma and beta unchanged",
        "R2": "training mode: normalises every feature (column) with the batch's mean and "
              "biased variance, eps added to the variance under the square root",
        "R3": "scales the normalised values by gamma and then shifts them by beta, per feature",
        "R4": "training mode: running_mean <- (1 - momentum) running_mean + momentum mean, "
              "updated in place",
        "R5": "training mode: running_var is updated in place the same way with the batch's "
              "unbiased variance (times N / (N - 1))",
        "R6": "evaluation mode: normalises with running_mean and running_var and changes neither",
        "R7": "the output is differentiable: gradients flow back to x, gamma and beta",
    },
    checks=[
        probe("`batch_norm` in training mode on a batch of 4 (default momentum and eps)",
              P + "norm_default", inputs=norm_default_inputs(True), ref=norm_default_reference,
              points=1, public=True, covers=("R1", "R2", "R3", "R4", "R5"), **NORM),
        probe("`batch_norm` in evaluation mode on a batch of 4", P + "norm_default",
              inputs=norm_default_inputs(False), ref=norm_default_reference, points=1,
              public=True, covers=("R3", "R6"), **NORM),
        _steps("`batch_norm` outputs in training mode (hidden batches, momentum and eps)",
               TRAIN_STEPS, verify_norm_outputs, 1, ("R2", "R3")),
        _steps("`batch_norm` updates the running mean over three training steps", TRAIN_STEPS,
               verify_running("means"), 1, ("R4",)),
        _steps("`batch_norm` updates the running variance over three training steps",
               TRAIN_STEPS, verify_running("variances"), 1, ("R5",)),
        _steps("`batch_norm` in evaluation mode between training steps", MIXED_STEPS,
               verify_norm_evaluation, 1, ("R6",)),
        probe("`batch_norm` passes gradients back to x, gamma and beta", P + "norm_gradients",
              inputs=norm_gradient_inputs(6, 4), ref=norm_gradient_reference,
              verify=verify_norm_gradients, points=0.5, covers=("R7",)),
        _steps("`batch_norm` returns a tensor of x's shape and leaves its inputs unchanged",
               MIXED_STEPS, verify_norm_format, 0.5, ("R1",)),
    ])



# ------------------------------------------------------------------ written questions
# Marked by a person (`python -m grader review`). The model answers are the instructor cells
# after the answer cells in the solution notebook; the rubric is what a marker ticks.

WRITTEN = [
    Written("answer_3_1", "The derivative of the sigmoid", rubric=[
        (2, "Differentiates correctly: $\\sigma'(z) = e^{-z} / (1 + e^{-z})^2$."),
        (1, "Rewrites it as $\\sigma(z)(1 - \\sigma(z))$ with a visible step (e.g. "
            "$1 - \\sigma(z) = e^{-z} / (1 + e^{-z})$)."),
        (2, "Shows that $p(1 - p) \\le \\tfrac14$ for $p \\in (0, 1)$ (completing the square, "
            "or the derivative of $p(1 - p)$), not by reading the plot."),
        (1, "The maximum is at $z = 0$, where $\\sigma(0) = \\tfrac12$."),
    ]),
    Written("answer_3_2", "Why the sigmoid network falls behind", rubric=[
        (2, "Backpropagation multiplies by $\\sigma'(z) W$ once per sigmoid layer, and "
            "$\\sigma' \\le \\tfrac14$ (Part 1): the gradient shrinks layer by layer."),
        (1, "Reads the plot: the gradient of `linear1` is an order of magnitude (or more) "
            "smaller than that of `linear3`."),
        (1, "So the first layers hardly move, and the last layer learns on features that are "
            "still almost random."),
        (1, "Contrasts with the ReLU network: derivative 1 on active units, gradients of "
            "similar size in all layers, all layers learn at once."),
        (1, "Connects this to the result: after one epoch the sigmoid network is still close "
            "to chance (it predicts almost the same class for every image)."),
    ]),
    Written("answer_3_3", "Why depth can help, and why it is hard", rubric=[
        (1, "Depth composes: each layer builds features out of the previous layer's features, "
            "so a deep network can express a hierarchy (strokes, parts, objects) and reuse "
            "what lower layers compute."),
        (1, "Efficiency: some functions need far fewer units or parameters when deep than "
            "with one hidden layer (e.g. the number of linear pieces of a ReLU network grows "
            "exponentially with depth, only polynomially with width)."),
        (2, "Harder to train: the gradient of an early layer is a product of one factor per "
            "layer above it, so factors below (above) 1 make it vanish (explode) "
            "exponentially with depth; supported by Part 6 (first-to-last gradient ratios of "
            "about $10^{-4}$ for 6 sigmoid layers, first-layer weights that did not move)."),
        (1, "Explains the digits result: the task is simple enough for one hidden layer, so "
            "extra layers add optimisation difficulty without a benefit (or: names what makes "
            "depth trainable: ReLU-like activations, initialisation, normalisation, residual "
            "connections)."),
    ]),
    Written("answer_3_4", "Leaky ReLU against ReLU and the sigmoid", rubric=[
        (2, "Against the sigmoid: the sigmoid's slope is at most $\\tfrac14$ and tends to 0 in "
            "both tails, so gradients shrink at every layer (Part 8: a gain of about 0.3 per "
            "layer); Leaky ReLU's slope is 1 on the positive side, so gradients keep their "
            "size (gain about 1 with He initialisation)."),
        (2, "Against ReLU: identical for $z > 0$; for $z \\le 0$ its slope is $\\alpha$ "
            "instead of 0, so a unit that is negative for every input still gets a (small) "
            "gradient and can recover: no dead units."),
        (1, "Names a cost or a limit: $\\alpha$ is one more hyper-parameter; the outputs are no "
            "longer exactly zero (less sparse); with $\\alpha = 0.01$ recovery is slow; "
            "accuracies barely differ from ReLU's in practice (Part 8's runs)."),
    ]),
    Written("answer_3_5", "Which remedies rescue the deep sigmoid network", rubric=[
        (1, "Says which work: batch normalisation and the uniform $[-1, 1]$ initialisation "
            "make it train, He initialisation does not."),
        (2, "Batch normalisation keeps the pre-activations near mean 0 and variance 1, where "
            "the sigmoid is steep ($\\sigma' \\approx \\tfrac14$), so the signal does not "
            "drift into the flat tails: the gain per layer is about 1."),
        (2, "Uniform $[-1, 1]$ weights (standard deviation about 0.58, several times "
            "Xavier's) make the weight part of each factor several times larger, but push "
            "units into the flat tails; the gain per layer rises from about 0.24 to about "
            "0.77: still below 1, yet enough for the first layers to learn."),
        (2, "He initialisation is only $\\sqrt 2$ times Xavier's scale; it compensates the "
            "ReLU units that are off, not the sigmoid's factor $\\tfrac14$, so the gradient "
            "still vanishes."),
        (1, "Relates each case to the per-layer factor $\\sigma'(z_l)\\, W_l$ of Part 1."),
    ]),
]

SPEC = Assignment(
    number=3, slug="vanishing_gradients", topic="Vanishing_Gradients",
    title="Vanishing gradients in deep networks",
    tasks=[task_1, task_2, task_3, task_4, task_5, task_6, task_7, task_8, task_9,
           task_10, task_11],
    written=WRITTEN,
    preload=("numpy", "torch", "torch.nn", "torch.nn.functional", "torch.utils.data",
             "torchvision", "matplotlib.pyplot", "sklearn.datasets", "sklearn.model_selection",
             "sklearn.preprocessing", "tqdm.auto"),
    cell_timeout=10.0,
)
