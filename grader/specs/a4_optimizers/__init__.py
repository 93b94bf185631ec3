"""Assignment 4: optimizers, learning-rate schedules and regularization (the rubric).

Thirteen tasks, 70 points, and six written questions, 30 points. Each task lists the
requirements its statement makes and the checks that enforce them. References, input makers and
judges: ``reference.py`` (trusted). Probes, which run in the student's kernel and only call and
observe: ``grader/probes/a4_optimizers.py``.
"""
import numpy as np

from ...checks import Assignment, Task, boolean, call, probe, Written
from ...wire import Like
from . import reference as R

P = "a4_optimizers."          # the probes of this assignment

# ------------------------------------------------------------------ Part 1: a bumpy surface

task_1 = Task(
    "task_4_1", "Gradient descent on a bumpy surface",
    requirements={
        "R1": "`f` returns x^2 + y^2 + x (y + 2) + cos(3x)",
        "R2": "`f` and `grad_f` work element-wise on NumPy arrays (an array of the same shape)",
        "R3": "`grad_f` returns the tuple (df/dx, df/dy) = (2x + y + 2 - 3 sin 3x, 2y + x)",
        "R4": "step t of `optimize_f` uses step_size * decay**t (t = 0, ..., steps - 1); "
              "decay defaults to 1.0",
        "R5": "both coordinates move with the gradient at the current point (simultaneously)",
        "R6": "`optimize_f` returns the final point as numbers and f at that point",
        "R7": "x_hist, y_hist are NumPy arrays of shape (steps + 1,), start first, end last",
    },
    checks=[
        call("f", (3.0, 2.0), ref=R.ref_f, points=1, public=True, covers=("R1",)),
        call("f", R.surface_grids, ref=R.ref_f, points=1, covers=("R1", "R2"),
             label="`f` on hidden grids of points (NumPy arrays)"),
        call("grad_f", (3.0, 2.0), ref=R.ref_grad_f, points=1, public=True, covers=("R3",)),
        call("grad_f", R.surface_grids, ref=R.ref_grad_f, points=1, covers=("R2", "R3"),
             label="`grad_f` on hidden grids of points (NumPy arrays)"),
        probe("`optimize_f(3.0, 2.0, 0.1, 10)`", P + "descent",
              inputs={"args": [3.0, 2.0, 0.1, 10]}, ref=R.ref_descent, points=1, public=True,
              verb="returned", covers=("R4", "R5", "R6", "R7")),
        probe("`optimize_f` with a hidden start, step size and decay", P + "descent",
              inputs=R.descent_inputs, ref=R.ref_descent, verify=R.verify_descent, points=1,
              covers=("R4", "R5", "R6", "R7")),
        probe("`optimize_f` with a step size that grows (decay > 1): the path bounces",
              P + "descent", inputs=R.bouncing_descent_inputs, ref=R.ref_descent,
              verify=R.verify_descent, points=1, covers=("R4", "R5", "R6", "R7")),
    ])

task_2 = Task(
    "task_4_2", "Reaching the global minimum",
    requirements={
        "R1": "`my_step_size` and `my_decay` are finite numbers, `my_steps` an int from 1 to "
              "10000",
        "R2": "gradient descent from (3, 2) with these settings ends at f < -2 "
              "(recomputed by the grader)",
    },
    checks=[
        probe("your `(my_step_size, my_steps, my_decay)`", P + "variables",
              inputs=R.TUNED_INPUTS, verify=R.verify_tuned, points=2, covers=("R1", "R2")),
    ])


# ------------------------------------------------------------------ Part 2: optimizers

def _public_run(name, points, covers):
    """``name`` with only ``lr`` given (so the defaults count) on the example problem."""
    return probe(f"`{name}` with its default settings against torch.optim, 50 steps on the "
                 "example problem", P + "optimizer_trajectory",
                 inputs={"cls": name, "hyper": R.PUBLIC_HYPER[name],
                         "problem": R.PUBLIC_PROBLEM},
                 ref=R.ref_trajectory, points=points, public=True,
                 subject=f"`{name}` trajectory", covers=covers)


def _hidden_run(name, points, covers):
    return probe(f"`{name}` against torch.optim on a hidden problem and hyper-parameters",
                 P + "optimizer_trajectory", inputs=R.trajectory_inputs(name),
                 ref=R.ref_trajectory, verify=R.verify_trajectory, points=points,
                 covers=covers)


def _side_by_side(classes, points, covers):
    return probe(f"two objects of {', '.join(f'`{c}`' for c in classes)} used at the same time",
                 P + "optimizers_side_by_side", inputs=R.side_by_side_inputs(classes),
                 ref=R.ref_side_by_side, verify=R.verify_side_by_side, points=points,
                 covers=covers)


task_3 = Task(
    "task_4_3", "Momentum and Nesterov from scratch",
    requirements={
        "R1": "`step` updates the given arrays in place (they may be non-contiguous views)",
        "R2": "Momentum: v <- beta v + g (no dampening, v starts at 0), p <- p - lr v",
        "R3": "Nesterov: v <- beta v + g, p <- p - lr (g + beta v) with the new v",
        "R4": "one state per parameter array (arrays of equal shape do not share it)",
        "R5": "the state lives on the instance: two optimizer objects never share it",
        "R6": "the constructors keep their signatures: beta defaults to 0.9",
    },
    checks=[
        _public_run("Momentum", 1, ("R1", "R2", "R6")),
        _hidden_run("Momentum", 3, ("R1", "R2", "R4")),
        _public_run("Nesterov", 1, ("R1", "R3", "R6")),
        _hidden_run("Nesterov", 3, ("R1", "R3", "R4")),
        _side_by_side(["Momentum", "Nesterov"], 1, ("R5",)),
    ])

task_4 = Task(
    "task_4_4", "AdaGrad, RMSProp and Adam from scratch",
    requirements={
        "R1": "`step` updates the given arrays in place (they may be non-contiguous views)",
        "R2": "AdaGrad: s <- s + g^2, p <- p - lr g / (sqrt(s) + eps)",
        "R3": "RMSProp: s <- alpha s + (1 - alpha) g^2, p <- p - lr g / (sqrt(s) + eps)",
        "R4": "Adam's moments: m <- beta1 m + (1 - beta1) g, v <- beta2 v + (1 - beta2) g^2",
        "R5": "Adam's bias correction with t = the number of calls of `step` (one counter for "
              "all parameters), eps added to sqrt(v_hat)",
        "R6": "one state per parameter array (arrays of equal shape do not share it)",
        "R7": "the state lives on the instance: two optimizer objects never share it",
        "R8": "the constructors keep torch's defaults (eps=1e-10; alpha=0.99, eps=1e-8; "
              "beta1=0.9, beta2=0.999, eps=1e-8)",
    },
    checks=[
        _public_run("AdaGrad", 1, ("R1", "R2", "R8")),
        _hidden_run("AdaGrad", 2, ("R1", "R2", "R6")),
        _public_run("RMSProp", 1, ("R1", "R3", "R8")),
        _hidden_run("RMSProp", 2, ("R1", "R3", "R6")),
        _public_run("Adam", 1, ("R1", "R4", "R5", "R8")),
        _hidden_run("Adam", 3, ("R1", "R4", "R5", "R6")),
        _side_by_side(["AdaGrad", "RMSProp", "Adam"], 1, ("R7",)),
    ])


# ------------------------------------------------------------------ Part 3: stability

task_5 = Task(
    "task_4_5", "The largest stable learning rate",
    requirements={
        "R1": "without momentum (momentum=0.0, the default) lr_max = 2 / eigenvalue",
        "R2": "with heavy-ball momentum beta, lr_max = (2 + 2 beta) / eigenvalue",
        "R3": "returns one number, the upper end lr_max (not the interval)",
    },
    checks=[
        probe("`stable_lr_range(4.0)`", P + "call_each",
              inputs={"func": "stable_lr_range", "calls": [[[4.0], {}]]},
              ref=R.ref_call_each(R.ref_stable_lr_range), points=1, public=True,
              verb="returned", covers=("R1", "R3")),
        probe("`stable_lr_range` for gradient descent on hidden eigenvalues", P + "call_each",
              inputs=R.gd_eigenvalues, ref=R.ref_call_each(R.ref_stable_lr_range),
              verify=R.verify_calls, points=1, covers=("R1", "R3")),
        probe("`stable_lr_range` with momentum on hidden eigenvalues", P + "call_each",
              inputs=R.momentum_eigenvalues, ref=R.ref_call_each(R.ref_stable_lr_range),
              verify=R.verify_calls, points=1, covers=("R2", "R3")),
    ])


# ------------------------------------------------------------------ Part 4: schedules

def _schedule(func, ref, public_calls, public_label, hidden, covers, hidden_points=1):
    reference = R.ref_call_each(ref)
    return [
        probe(public_label, P + "call_each", inputs={"func": func, "calls": public_calls},
              ref=reference, points=0.5, public=True, verb="returned", covers=covers),
        probe(f"`{func}` on hidden settings and steps (compared with torch's scheduler)",
              P + "call_each", inputs=hidden, ref=reference, verify=R.verify_calls,
              points=hidden_points, covers=covers),
    ]


task_6 = Task(
    "task_4_6", "Learning-rate schedules",
    requirements={
        "R1": "exponential_decay = lr0 * rate**(step / decay_steps), smooth between the "
              "multiples of decay_steps",
        "R2": "step_decay = lr0 * factor**(step // every): the drop happens exactly at the "
              "multiples of `every`",
        "R3": "cosine_decay = lr_min + (lr0 - lr_min) (1 + cos(pi step / total)) / 2: lr0 at "
              "step 0, lr_min at step total; lr_min defaults to 0",
    },
    checks=[
        *_schedule("exponential_decay", R.ref_exponential_decay,
                   [[[0.1, 0.5, s, 10], {}] for s in (0, 5, 10, 25)],
                   "`exponential_decay(0.1, 0.5, step, 10)` for step = 0, 5, 10, 25",
                   R.exponential_inputs, ("R1",)),
        *_schedule("step_decay", R.ref_step_decay,
                   [[[0.1, 0.5, 10, s], {}] for s in (0, 9, 10, 25)],
                   "`step_decay(0.1, 0.5, 10, step)` for step = 0, 9, 10, 25",
                   R.step_inputs, ("R2",)),
        *_schedule("cosine_decay", R.ref_cosine_decay,
                   [[[0.1, s, 100], {}] for s in (0, 25, 50, 100)],
                   "`cosine_decay(0.1, step, 100)` for step = 0, 25, 50, 100",
                   R.cosine_inputs, ("R3",), hidden_points=1.5),
    ])

task_7 = Task(
    "task_4_7", "The learning-rate finder",
    requirements={
        "R1": "lr_i = lr_min * (lr_max / lr_min)**(i / (steps - 1)), i = 0, ..., steps - 1",
        "R2": "the batches come from the loader in its order, starting again when it is "
              "exhausted (any iterable, e.g. a DataLoader, not only a list)",
        "R3": "returns two lists of Python floats of equal length: lr_i and loss.item() of "
              "step i, recorded before that step's update",
        "R4": "stops right after recording a loss that is not finite or strictly larger than "
              "4 times the smallest earlier loss",
        "R5": "otherwise one plain SGD step with lr_i (no momentum, fresh gradients)",
        "R6": "the model passed in is trained in place",
    },
    checks=[
        probe("`lr_finder` on the example linear model (8 steps)", P + "lr_finder_linear",
              inputs=R.LR_FINDER_PUBLIC, ref=R.ref_lr_finder_public, points=1, public=True,
              verb="returned", covers=("R1", "R2", "R3", "R5", "R6")),
        probe("`lr_finder` on a hidden problem (the loss stays small)", P + "lr_finder_linear",
              inputs=lambda rng: R.lr_finder_inputs(rng, steps=15, lr_max=0.3),
              ref=R.ref_lr_finder, verify=R.verify_lr_finder, points=1,
              covers=("R1", "R2", "R3", "R5", "R6")),
        probe("`lr_finder` on a hidden problem where the loss explodes", P + "lr_finder_linear",
              inputs=lambda rng: R.lr_finder_inputs(rng, steps=30, lr_max=30.0),
              ref=R.ref_lr_finder, verify=R.verify_lr_finder, points=1,
              covers=("R1", "R3", "R4", "R5")),
        probe("`lr_finder` with a loss function that returns hidden values (a loss of exactly "
              "4 times the best, then nan)", P + "lr_finder_scripted",
              inputs=R.lr_finder_scripted_inputs, ref=R.ref_lr_finder_scripted,
              verify=R.verify_lr_finder, points=1, covers=("R3", "R4")),
    ])


# ------------------------------------------------------------------ Part 5: Eckerle4 data

task_8 = Task(
    "task_4_8", "Splitting and scaling the Eckerle4 data",
    requirements={
        "R1": "perm = np.random.default_rng(seed).permutation(len(x)); its first n_train "
              "entries index the training set, in that order",
        "R2": "n_train = int(round(train_frac * len(x)))",
        "R3": "the scaler's x_min, x_max, y_min, y_max (floats) come from the training part "
              "only",
        "R4": "both parts are scaled as (v - min) / (max - min) with the training numbers",
        "R5": "returns float NumPy arrays of shapes (n_train,) and (N - n_train,)",
    },
    checks=[
        probe("`split_and_scale` on the example data", P + "split",
              inputs={"x": np.arange(10.0) * 2 + 1, "y": (np.arange(10.0) - 4) ** 2,
                      "kwargs": {"train_frac": 0.6, "seed": 0}},
              ref=R.ref_split, points=1, public=True, verb="returned",
              covers=("R1", "R2", "R3", "R4", "R5")),
        probe("`split_and_scale` scaler (min and max) on hidden data", P + "split",
              inputs=R.split_inputs, ref=R.ref_split_scaler, points=1, verb="returned",
              covers=("R1", "R2", "R3")),
        probe("`split_and_scale` arrays on hidden data", P + "split", inputs=R.split_inputs,
              ref=R.ref_split, points=1, verb="returned", covers=("R1", "R2", "R4", "R5")),
        probe("`split_and_scale` when train_frac * len(x) ends in exactly .5", P + "split",
              inputs=R.split_half_inputs, ref=R.ref_split, points=1, verb="returned",
              covers=("R2",)),
    ])


# ------------------------------------------------------------------ Part 5: the regressor

task_9 = Task(
    "task_4_9", "A regressor and repeated runs",
    requirements={
        "R1": "`make_regressor`: Linear(1, h0), ..., Linear(h_last, 1) in this order, mapping "
              "float32 (N, 1) to (N, 1); `hidden` a list or a tuple",
        "R2": "a ReLU after every hidden Linear layer, nothing after the output layer",
        "R3": "Dropout(dropout) after every hidden ReLU, active in training mode only; no "
              "dropout when dropout = 0",
        "R4": "`run_repetitions` returns a dict with the stated keys in the stated order",
        "R5": "train_mse and test_mse are lists of n_runs Python floats; models holds the "
              "n_runs trained networks",
        "R6": "run r calls torch.manual_seed(seed + r) right before building its network",
        "R7": "each run trains config['epochs'] full-batch steps of the named torch.optim "
              "optimizer (momentum 0.9 for Momentum and Nesterov, nesterov=True for Nesterov, "
              "defaults otherwise) on the MSE of the whole training set",
        "R8": "the MSEs are measured after training, in evaluation mode, on each whole set",
        "R9": "the means and standard deviations are np.mean and np.std over the runs "
              "(ddof=1 is accepted too)",
        "R10": "each run's network is make_regressor(config['hidden'], config['dropout'])",
    },
    checks=[
        probe("`make_regressor(hidden=[4, 3])` parameter shapes", P + "regressor_shapes",
              inputs={"hidden": [4, 3], "dropout": 0.0, "x": np.linspace(0, 1, 7)[:, None]},
              expected={"shapes": R.ref_regressor_shapes([4, 3])},
              requires={"output": Like("tensor", shape=(7, 1), dtype="float")}, points=1,
              public=True, covers=("R1",)),
        probe("`make_regressor` output with hidden weights, in training mode with dropout=0",
              P + "regressor_outputs", inputs=R.forward_inputs, ref=R.ref_forward, points=1,
              rtol=1e-4, atol=1e-5, covers=("R1", "R2", "R3")),
        probe("`make_regressor` dropout in training and evaluation mode",
              P + "regressor_outputs", inputs=R.DROPOUT_INPUTS, verify=R.verify_dropout,
              points=1, covers=("R3",)),
        probe("`run_repetitions` result structure on a hidden configuration",
              P + "repetitions", inputs=R.repetitions_inputs(n_runs=3),
              verify=R.verify_repetitions_structure, points=1, covers=("R4", "R5", "R9")),
        probe("`run_repetitions` reports the evaluation-mode MSEs of the models it returns "
              "(hidden configuration with dropout)", P + "repetitions",
              inputs=R.repetitions_inputs(dropout=0.3), verify=R.verify_repetitions_mse,
              points=0.5, covers=("R8", "R10")),
        probe("`run_repetitions` trains what the statement describes (recomputed on a hidden "
              "configuration and seed)", P + "repetitions", inputs=R.repetitions_inputs(),
              ref=R.ref_repetitions, verify=R.verify_repetitions_training, points=1,
              covers=("R6", "R7", "R10")),
        probe("`run_repetitions` with each of the six optimizer names (recomputed)",
              P + "repetitions_each", inputs=R.names_inputs, ref=R.ref_names,
              verify=R.verify_names, points=0.5, covers=("R7",)),
    ])


# ------------------------------------------------------------------ Part 6: early stopping

task_10 = Task(
    "task_4_10", "Early stopping",
    requirements={
        "R1": "a loss is an improvement only when it is smaller than best_loss - min_delta "
              "(a tie or a smaller gain is not)",
        "R2": "an improvement sets best_loss, best_step (calls counted from 0) and counter = 0; "
              "any other call adds 1 to counter; calls counts the calls",
        "R3": "`step` returns True exactly when counter >= patience, else False",
        "R4": "with a model, an improvement stores a copy of model.state_dict() that later "
              "in-place changes of the model do not reach",
        "R5": "`step` works without a model, and best_state then stays None",
        "R6": "`restore(model)` loads the best state (weights and buffers) into that model, "
              "and can do so again after more training",
    },
    checks=[
        probe("`EarlyStopping(patience=2, min_delta=0.1)` on the example losses",
              P + "early_stopping_sequence", inputs=R.ES_PUBLIC, ref=R.ref_early_stopping,
              points=1, public=True, covers=("R1", "R2", "R3", "R5")),
        probe("`EarlyStopping.step` on hidden losses (one exactly min_delta below the best)",
              P + "early_stopping_sequence", inputs=R.early_stopping_inputs,
              ref=R.ref_early_stopping, verify=R.verify_early_stopping, points=1,
              covers=("R1", "R2", "R3", "R5")),
        probe("`EarlyStopping.step` on hidden losses with min_delta=0 and exact ties",
              P + "early_stopping_sequence", inputs=R.early_stopping_ties_inputs,
              ref=R.ref_early_stopping, verify=R.verify_early_stopping, points=1,
              covers=("R1", "R2", "R3", "R5")),
        probe("`best_state` keeps the best state of a model that changes in place",
              P + "early_stopping_best_state", inputs=R.restore_inputs, ref=R.ref_best_state,
              verify=R.verify_best_state, points=1, covers=("R4",)),
        probe("`EarlyStopping.restore` brings back the best weights and buffers",
              P + "early_stopping_restore", inputs=R.restore_inputs, ref=R.ref_restored,
              verify=R.verify_restored, points=1, covers=("R6",)),
    ])


# ------------------------------------------------------------------ Part 6: penalties

def _penalty(func, covers_value):
    return [
        probe(f"`{func}` of the example Linear-Tanh-Linear model (value and gradients)",
              P + "penalty", inputs={"func": func, "layout": "mlp",
                                     "params": R.PENALTY_PUBLIC_PARAMS},
              ref=R.ref_penalty_public, points=0.5, public=True, verb="returned",
              covers=("R1", covers_value, "R4")),
        probe(f"`{func}` of a hidden model with convolution and norm layers (not a Sequential)",
              P + "penalty_value", inputs=R.penalty_inputs(func, "mixed"),
              ref=R.ref_penalty_value, verify=R.verify_penalty_value, points=1,
              covers=("R1", covers_value, "R4", "R5")),
        probe(f"`{func}`: the gradients backward() adds, on that hidden model", P + "penalty",
              inputs=R.penalty_inputs(func, "mixed"), ref=R.ref_penalty_grads,
              verify=R.verify_penalty_gradients, points=1, covers=("R1", "R4", "R5")),
    ]


task_11 = Task(
    "task_4_11", "L1 and L2 penalties",
    requirements={
        "R1": "the sums run over the parameters with 2 or more dimensions only (no biases, "
              "no 1-D weights of norm layers)",
        "R2": "`l1_penalty` sums |w|",
        "R3": "`l2_penalty` sums w^2 (no factor 1/2, not the norm)",
        "R4": "both return 0-d tensors in the autograd graph: backward() adds sign(w) or 2w "
              "to the weights' gradients and nothing elsewhere",
        "R5": "both work for any nn.Module (nested containers, not only nn.Sequential)",
    },
    checks=[*_penalty("l1_penalty", "R2"), *_penalty("l2_penalty", "R3")])


# ------------------------------------------------------------------ Part 6: AdamW

task_12 = Task(
    "task_4_12", "AdamW: decoupled weight decay",
    requirements={
        "R1": "`step` updates the given arrays in place (they may be non-contiguous views)",
        "R2": "each step first multiplies p by (1 - lr * weight_decay), then subtracts Adam's "
              "step (the decay is scaled by lr and acts on p before the step, not after)",
        "R3": "decoupled: m and v are built from the gradient g alone (weight_decay * p is "
              "never added to g)",
        "R4": "Adam's moments and bias correction as in Task 4.4 (t = the number of calls of "
              "`step`), one state per parameter array, kept on the instance",
        "R5": "the constructor keeps torch.optim.AdamW's defaults (beta1=0.9, beta2=0.999, "
              "eps=1e-8, weight_decay=0.01)",
    },
    checks=[
        _public_run("AdamW", 1, ("R1", "R2", "R3", "R4", "R5")),
        _hidden_run("AdamW", 1.5, ("R1", "R2", "R3", "R4")),
        probe("`AdamW` with a large weight decay and a parameter whose gradient is always 0",
              P + "optimizer_trajectory", inputs=R.zero_gradient_inputs,
              ref=R.ref_trajectory, verify=R.verify_zero_gradient, points=1,
              covers=("R2", "R3")),
        _side_by_side(["AdamW"], 0.5, ("R4",)),
    ])


# ------------------------------------------------------------------ Part 7: concepts

task_13 = Task(
    "task_4_13", "True or false",
    requirements={f"R{i}": f"`{name}` is {answer}"
                  for i, (name, answer) in enumerate(R.CONCEPTS.items(), start=1)},
    checks=[boolean(name, answer, points=0.5, covers=(f"R{i}",))
            for i, (name, answer) in enumerate(R.CONCEPTS.items(), start=1)])


TASKS = [task_1, task_2, task_3, task_4, task_5, task_6, task_7, task_8, task_9, task_10,
         task_11, task_12, task_13]


# ------------------------------------------------------------------ written questions
# Marked by a person (`python -m grader review`). The model answers are the instructor cells
# after the answer cells in the solution notebook; the rubric is what a marker ticks.

WRITTEN = [
    Written("answer_4_1", "Local minimum, step size and decay", rubric=[
        (1, "With $\\eta = 0.1$ the short steps follow the downhill direction from $(3, 2)$ "
            "into the basin of the local minimum, and the path stays there."),
        (1, "Their settings work because a larger first step crosses the ridge into the "
            "basin of the global minimum."),
        (2, "Without decay the path does not settle: the curvature in the global minimum is "
            "large (largest Hessian eigenvalue about 11), so a constant step must stay below "
            "about $2/11$; a larger one oscillates, and the decay brings it below that limit."),
    ]),
    Written("answer_4_2", "Adam's first step", rubric=[
        (2, "With bias correction $\\hat m = g$ and $\\hat v = g^2$, so the step is "
            "$\\eta\\, g / (|g| + \\varepsilon) \\approx \\eta\\, \\mathrm{sign}(g)$."),
        (1, "Its size does not depend on the size of $g$: every parameter moves by about "
            "$\\eta$."),
        (1, "Without correction: $\\eta (1 - \\beta_1) / \\sqrt{1 - \\beta_2} \\approx "
            "3.2\\, \\eta$, approaching the corrected size only slowly (over about a thousand "
            "steps)."),
    ]),
    Written("answer_4_3", "The optimizers' paths", rubric=[
        (2, "(a) The step size is limited by the steep direction, so plain gradient descent "
            "overshoots across the narrow axis and creeps along the flat one; momentum "
            "averages the steps: the alternating parts cancel, the consistent ones add up."),
        (2, "(b) In the Rosenbrock valley the gradient points across the valley; SGD and "
            "momentum need a small learning rate and crawl along the floor, while Adam "
            "rescales each coordinate and, with its momentum, follows the valley to the "
            "minimum."),
        (1, "(c) On flat parts SGD's steps are as tiny as the gradient; the adaptive methods "
            "divide by the recent gradient size and keep steps of about $\\eta$."),
    ]),
    Written("answer_4_4", "Schedules, plateaus and batch size", rubric=[
        (2, "(a) The decaying schedules end lowest, consistent with the printed means; with "
            "mini-batch noise a constant rate leaves the weights jumping around the minimum "
            "by an amount that grows with the rate, so 0.1 stops improving and its result "
            "depends on the seed, while 0.01 has little noise but is too slow; a schedule "
            "gets the fast start and then the small noise."),
        (1, "(b) ReduceLROnPlateau needs a monitored quantity (a validation loss) and "
            "settings (patience, factor); it suits runs whose length or stalls are not known "
            "in advance, where a planned schedule suits a fixed budget of epochs."),
        (2, "(c) The gradient noise falls as 1/B (times (N - B)/(N - 1)); the linear-scaling "
            "rule keeps lr / B fixed, and the runs with equal lr / B indeed have equal errors "
            "per epoch with fewer steps; it stops at the stability limit (B = 256 with lr "
            "0.4 diverges)."),
    ]),
    Written("answer_4_5", "Leaks, and reading the optimizer comparison", rubric=[
        (2, "(a) Names what leaks: the minimum and maximum would include the test points, so "
            "the test values (e.g. the height of the peak) set the scale of the training "
            "data; the test error becomes optimistic, most of all for small data sets; every "
            "fitted step is fitted on the training data only."),
        (1, "(b) Says which optimizers reach a low test MSE in the budget and which do not, "
            "consistent with their own table."),
        (1, "Compares the spread between runs with the differences between optimizers: "
            "differences smaller than the spread mean nothing."),
        (1, "Checks the range test's suggestion (a tenth of the learning rate with the lowest "
            "loss) against the learning rates used for SGD in the table."),
        (1, "Explains the train/test gap: few training points and many parameters, so the "
            "network fits the training points and errs between them (the steep flanks)."),
    ]),
    Written("answer_4_6", "Regularisation compared", rubric=[
        (2, "(a) Compares training, validation and test accuracy and the boundaries: the "
            "baseline overfits (irregular boundary, a gap between training and test); says "
            "which remedies help by more than the spread, consistent with the results, and "
            "how they act (e.g. AdamW shrinks every weight alike, rotations add data)."),
        (1, "(b) The early-stopped model's validation accuracy is optimistic because the "
            "stopping epoch was chosen on the validation set; the test set, used for no "
            "decision, gives the unbiased estimate."),
        (1, "(c) The label depends only on the distance from the centre, which a rotation "
            "keeps; a transformation that changes that distance (scaling, shifting) or moves "
            "points across the rings would change labels."),
        (2, "(d) Pre-training trains a network on a large related data set, fine-tuning "
            "adapts it (a new output layer, a small learning rate, perhaps frozen early "
            "layers) to the small one; the general features need not be learned from the "
            "few examples, which helps when the tasks are related."),
    ]),
]

SPEC = Assignment(
    number=4, slug="optimizers", topic="Optimizers",
    title="Optimizers, learning-rate schedules and regularization",
    tasks=TASKS, written=WRITTEN,
    # torch._dynamo is imported lazily by the first torch.optim optimizer (about 2 s): preloading
    # it in the kernel factory keeps that cost out of every submission.
    preload=("numpy", "torch", "torch._dynamo", "matplotlib", "sklearn.datasets", "tqdm"),
    cell_timeout=10.0)

assert SPEC.points == 100, SPEC.points
