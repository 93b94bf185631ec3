"""Assignment 1: the XOR problem, in NumPy and PyTorch (the rubric).

Each task lists the requirements its statement makes and the checks that enforce them.
References, input makers and judges: reference.py, and training.py for Task 1.8 (with its
stored reruns, reruns.npz). Probes (run in the student's kernel): grader/probes/a1_xor.py,
plus ``common.value``/``common.call``.

Training (Task 1.8) is judged against the grader's own rerun of the prescribed network:
the statement fixes the architecture, the seeding and the order in which the layers are built,
so the losses and probabilities of a run can be recomputed here, and made-up numbers fail.
"""
import numpy as np

from ...checks import Assignment, Task, boolean, call, probe, value, Written
from ...wire import Like
from .reference import (
    XOR_X, XOR_Y, exact_float64, forward_args, judge_choice, judge_filled, judge_grid,
    judge_noisy_corners, judge_noisy_labels, judge_noisy_seeds, judge_noisy_spread,
    judge_pair, judge_points_coloured, judge_points_drawn, judge_relu_view,
    judge_xor_network, least_squares_inputs, noisy_call, noisy_seeds_inputs, plot_inputs,
    ref_hidden_features, ref_least_squares_call, ref_relu, ref_relu_view,
    ref_two_layer_forward, relu_inputs_3d, relu_view_inputs,
)
from .training import (
    accuracy_inputs, first_loss_inputs, format_inputs, given_data_inputs, judge_accuracy,
    judge_first_loss, judge_given_data, judge_predict, judge_relabelled_xor, judge_seeds,
    judge_trajectory, predict_inputs, ref_run, ref_trajectory, relabelled_xor_inputs,
    seeds_inputs, trajectory_inputs,
)

FORWARD_EXAMPLE = (np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 0.0]]),
                   np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([0.0, -1.0]),
                   np.array([2.0, -1.0]), 0.5)

TRUE_FALSE = {
    "tf_bias_solves_xor": False,
    "tf_sigmoid_solves_xor": False,
    "tf_stacked_linear_is_linear": True,
    "tf_product_feature_solves_xor": True,
    "tf_one_relu_unit_solves_xor": False,
}

OUTPUT_CHOICES = {
    "regression": ("identity", "mse"),
    "binary classification": ("sigmoid", "bce"),
    "multi-class classification": ("softmax", "nll"),
}


TASKS = [
    Task("task_1_1", "The XOR data", requirements={
        "R1": "X_xor is a NumPy array of dtype float64 and shape (4, 2)",
        "R2": "the rows of X_xor are (0, 0), (1, 0), (0, 1), (1, 1), in this order",
        "R3": "y_xor is a NumPy array of dtype float64 and shape (4,)",
        "R4": "y_xor holds the XOR labels 0, 1, 1, 0 of those rows",
    }, checks=[
        value("X_xor", shape=(4, 2), dtype="float", points=1, public=True,
              label="shape and dtype of `X_xor`", covers=("R1",)),
        probe("`X_xor`", "common.value", inputs={"name": "X_xor"},
              expected={"value": XOR_X}, verify=exact_float64("X_xor"), points=1,
              covers=("R1", "R2")),
        value("y_xor", shape=(4,), dtype="float", points=1, public=True,
              label="shape and dtype of `y_xor`", covers=("R3",)),
        probe("`y_xor`", "common.value", inputs={"name": "y_xor"},
              expected={"value": XOR_Y}, verify=exact_float64("y_xor"), points=1,
              covers=("R3", "R4")),
    ]),

    Task("task_1_2", "Least squares on XOR", requirements={
        "R1": "least_squares_fit returns a pair (w, b), weights first",
        "R2": "w is a float array of shape (d,)",
        "R3": "b is a single number, not an array",
        "R4": "(w, b) minimise sum_i (X[i] @ w + b - y[i])**2 on the given data, for any n "
              "and d (the bias is fitted together with the weights)",
    }, checks=[
        probe("`least_squares_fit` returns (w, b) of the right shapes", "common.call",
              inputs=least_squares_inputs(6, 3, exact=False), points=1, public=True,
              expected={"value": (Like("ndarray", shape=(3,), dtype="float"), Like("float"))},
              subject="`least_squares_fit(X, y)`", verb="returned", covers=("R1", "R2", "R3")),
        call("least_squares_fit", (XOR_X, XOR_Y), expected=(np.zeros(2), 0.5), points=2,
             public=True, label="`least_squares_fit(X_xor, y_xor)`", covers=("R4",)),
        probe("`least_squares_fit` on hidden data", "common.call",
              inputs=least_squares_inputs(9, 3, exact=False), ref=ref_least_squares_call,
              verify=judge_pair("least_squares_fit", ("w", "b")), points=3,
              covers=("R1", "R2", "R3", "R4")),
        probe("`least_squares_fit` on data that is exactly affine", "common.call",
              inputs=least_squares_inputs(12, 4, exact=True), ref=ref_least_squares_call,
              verify=judge_pair("least_squares_fit", ("w", "b")), points=1, covers=("R4",)),
    ]),

    Task("task_1_3", "True or false: linear models and XOR", requirements={
        "R1": "tf_bias_solves_xor: a bias does not let a linear classifier solve XOR (False)",
        "R2": "tf_sigmoid_solves_xor: thresholded logistic regression cannot (False)",
        "R3": "tf_stacked_linear_is_linear: stacked linear layers stay affine (True)",
        "R4": "tf_product_feature_solves_xor: the feature x1 * x2 makes XOR separable (True)",
        "R5": "tf_one_relu_unit_solves_xor: one hidden ReLU unit is not enough (False)",
        "R6": "every answer is True, False or None (a bool, not a string)",
    }, checks=[
        boolean(name, answer, points=1, covers=(f"R{i}", "R6"))
        for i, (name, answer) in enumerate(TRUE_FALSE.items(), start=1)
    ]),

    Task("task_1_4", "ReLU", requirements={
        "R1": "relu returns a float NumPy array of z's shape, for z of any shape",
        "R2": "every entry is max(z, 0): negative entries become 0, the others are kept",
        "R3": "relu does not modify z (it returns a new array), also when z is a view of a "
              "larger array",
    }, checks=[
        call("relu", (np.array([-2.0, 0.0, 3.0]),), ref=ref_relu, points=1, public=True,
             covers=("R2",)),
        call("relu", lambda rng: (rng.normal(size=(3, 4)),), shape=(3, 4), dtype="float",
             points=1, public=True, label="`relu` keeps the shape of its input",
             covers=("R1",)),
        call("relu", relu_inputs_3d, ref=ref_relu, points=1,
             label="`relu` on a hidden 3-D input with zeros", covers=("R1", "R2")),
        probe("`relu` leaves its input unchanged", "a1_xor.relu_on_a_view",
              inputs=relu_view_inputs, ref=ref_relu_view, verify=judge_relu_view, points=1,
              covers=("R3",)),
    ]),

    Task("task_1_5", "The two-layer forward pass", requirements={
        "R1": "two_layer_forward returns a float array of shape (n,), one output per row of X",
        "R2": "the hidden layer is relu(X @ W1 + b1): the bias is added before the ReLU",
        "R3": "the output is h @ w2 + b2, with no activation after it",
        "R4": "it works for any n, d and H",
    }, checks=[
        call("two_layer_forward", forward_args(5, 2, 3), shape=(5,), dtype="float", points=1,
             public=True, label="`two_layer_forward` returns one number per row of X",
             covers=("R1",)),
        call("two_layer_forward", FORWARD_EXAMPLE, ref=ref_two_layer_forward, points=2,
             public=True, label="`two_layer_forward` on the example input",
             covers=("R2", "R3")),
        call("two_layer_forward", forward_args(7, 3, 5), ref=ref_two_layer_forward, points=3,
             covers=("R1", "R2", "R3", "R4")),
        call("two_layer_forward", forward_args(6, 2, 4, shift=-1.0), ref=ref_two_layer_forward,
             points=1, label="`two_layer_forward` on hidden inputs with many inactive units",
             covers=("R2", "R3")),
    ]),

    Task("task_1_6", "Parameters that compute XOR", requirements={
        "R1": "W1_xor (2, 2), b1_xor (2,) and w2_xor (2,) are float arrays; b2_xor is a number",
        "R2": "with them the network outputs exactly 0, 1, 1, 0 on the rows of X_xor",
    }, checks=[
        probe("shapes and types of the XOR parameters", "a1_xor.xor_parameters", points=1,
              public=True, subject="the XOR parameters",
              expected={"W1_xor": Like("ndarray", shape=(2, 2), dtype="float"),
                        "b1_xor": Like("ndarray", shape=(2,), dtype="float"),
                        "w2_xor": Like("ndarray", shape=(2,), dtype="float"),
                        "b2_xor": Like("float")}, covers=("R1",)),
        probe("the network with your parameters on the four XOR points",
              "a1_xor.xor_parameters", verify=judge_xor_network, points=5, covers=("R2",)),
    ]),

    Task("task_1_7", "The hidden representation", requirements={
        "R1": "hidden_features returns a float array of shape (n, H)",
        "R2": "row i is relu(X[i] @ W1 + b1), with W1 of shape (d, H) as given and the bias "
              "added before the ReLU",
    }, checks=[
        call("hidden_features", lambda rng: (rng.normal(size=(5, 2)), rng.normal(size=(2, 3)),
                                             rng.normal(size=3)),
             shape=(5, 3), dtype="float", points=1, public=True,
             label="`hidden_features` returns an (n, H) array", covers=("R1",)),
        call("hidden_features", FORWARD_EXAMPLE[:3], ref=ref_hidden_features, points=1,
             public=True, label="`hidden_features` on the example input", covers=("R2",)),
        call("hidden_features", lambda rng: (rng.normal(size=(8, 3)), rng.normal(size=(3, 4)),
                                             rng.normal(size=4)),
             ref=ref_hidden_features, points=3, covers=("R1", "R2")),
    ]),

    Task("task_1_8", "Learning XOR with gradient descent", requirements={
        "R1": "train_xor returns a dict with the keys 'losses', 'accuracy' and 'predict'",
        "R2": "'losses' is a list of `epochs` Python floats (not tensors or arrays)",
        "R3": "losses[t] is the mean BCE on the training points in epoch t, computed before "
              "that epoch's update",
        "R4": "torch.manual_seed(seed) first, then nn.Linear(2, H) and nn.Linear(H, 1) are "
              "built in this order with their default initialisation: the same seed gives the "
              "same run, different seeds different runs",
        "R5": "the network is 2-H-1: H hidden ReLU units and one output unit whose sigmoid is "
              "the probability of label 1",
        "R6": "full-batch gradient descent with learning rate lr: one step p <- p - lr * grad "
              "per epoch, with the gradients reset in every epoch",
        "R7": "'accuracy' is a float: the fraction of training points whose predicted "
              "probability after training is on the correct side of 0.5",
        "R8": "'predict' maps an (m, 2) NumPy array to an (m,) float NumPy array of the "
              "trained network's probabilities of label 1",
        "R9": "train_xor trains on the X and y it is given",
    }, checks=[
        probe("`train_xor(4, 0.5, 5, 0)`", "a1_xor.train_run", inputs=format_inputs,
              points=2, public=True,
              expected={"losses": [Like("float")] * 5, "accuracy": Like("float"),
                        "predictions": Like("ndarray", shape=(6,), dtype="float")},
              subject="`train_xor(4, 0.5, 5, 0)`", covers=("R1", "R2", "R8")),
        probe("`train_xor`: the first loss is that of the seeded network",
              "a1_xor.train_run", inputs=first_loss_inputs, ref=ref_run,
              verify=judge_first_loss, points=1, covers=("R3", "R4", "R5")),
        probe("`train_xor`: the losses follow gradient descent", "a1_xor.train_run",
              inputs=trajectory_inputs, ref=ref_trajectory, verify=judge_trajectory,
              points=2, covers=("R2", "R3", "R6")),
        probe("`train_xor`: runs are reproducible and depend on the seed",
              "a1_xor.train_seeds", inputs=seeds_inputs, verify=judge_seeds, points=1,
              covers=("R4",)),
        probe("`train_xor`: `predict` gives the trained network's probabilities",
              "a1_xor.train_run", inputs=predict_inputs, ref=ref_run, verify=judge_predict,
              points=1, covers=("R5", "R8")),
        probe("`train_xor`: `accuracy` matches what `predict` gives on the training points",
              "a1_xor.train_run", inputs=accuracy_inputs, verify=judge_accuracy, points=2,
              covers=("R7",)),
        probe("`train_xor` with 8 hidden units solves XOR for most seeds",
              "a1_xor.train_and_predict", inputs=relabelled_xor_inputs,
              verify=judge_relabelled_xor, points=2, timeout=30.0, covers=("R5", "R6", "R9")),
        probe("`train_xor` learns from given data X, y", "a1_xor.train_and_predict",
              inputs=given_data_inputs, verify=judge_given_data, points=2, timeout=30.0,
              covers=("R9",)),
    ]),

    Task("task_1_9", "Noisy XOR data", requirements={
        "R1": "make_noisy_xor returns a pair (X, y) of float arrays, X of shape (n, 2) and y "
              "of shape (n,)",
        "R2": "y[i] is 1.0 if row i comes from (1, 0) or (0, 1), else 0.0",
        "R3": "the noise is N(0, std**2), independently in each coordinate (std is a standard "
              "deviation)",
        "R4": "each row's corner is each of the four corners with probability 1/4",
        "R5": "all randomness comes from np.random.default_rng(seed): the same seed gives the "
              "same data, different seeds different data, NumPy's global generator is unused",
    }, checks=[
        call("make_noisy_xor", (8, 0.1, 0), points=1, public=True,
             expected=(Like("ndarray", shape=(8, 2), dtype="float"),
                       Like("ndarray", shape=(8,), dtype="float")), covers=("R1",)),
        probe("`make_noisy_xor`: labels", "common.call", inputs=noisy_call(1000, 0.05),
              verify=judge_noisy_labels, points=2, covers=("R1", "R2")),
        probe("`make_noisy_xor`: the noise", "common.call", inputs=noisy_call(2000, 0.1),
              verify=judge_noisy_spread, points=2, covers=("R3",)),
        probe("`make_noisy_xor`: all four corners", "common.call",
              inputs=noisy_call(1000, 0.05), verify=judge_noisy_corners, points=1,
              covers=("R4",)),
        probe("`make_noisy_xor`: seeds", "a1_xor.noisy_xor_seeds", inputs=noisy_seeds_inputs,
              verify=judge_noisy_seeds, points=1, covers=("R5",)),
    ]),

    Task("task_1_10", "Plotting a decision boundary", requirements={
        "R1": "plot_decision_boundary returns the matplotlib Figure, with at least one Axes",
        "R2": "predict gets the whole grid in one call: an (m, 2) NumPy array of a regular "
              "grid of at least 20 x 20 points that covers all of X plus a margin",
        "R3": "the predicted probabilities are drawn filled (ax.contourf; a mesh or an image "
              "also counts)",
        "R4": "the points X are drawn (ax.scatter), coloured by their labels y",
    }, checks=[
        probe("`plot_decision_boundary` returns a Figure with at least one Axes",
              "a1_xor.plot_figure", points=1, public=True,
              inputs={"X": XOR_X, "y": XOR_Y, "weights": np.array([4.0, -4.0]), "offset": 0.0},
              expected={"class": "matplotlib.figure.Figure", "axes": ["Axes"]},
              subject="what `plot_decision_boundary` returned", covers=("R1",)),
        probe("`plot_decision_boundary` draws a filled contour", "a1_xor.plot_artists",
              inputs=plot_inputs, verify=judge_filled, points=1, covers=("R3",)),
        probe("`plot_decision_boundary` evaluates `predict` on a grid around the data",
              "a1_xor.plot_predict_calls", inputs=plot_inputs, verify=judge_grid, points=1,
              covers=("R2",)),
        probe("`plot_decision_boundary` shows the data points", "a1_xor.plot_artists",
              inputs=plot_inputs, verify=judge_points_drawn, points=1, covers=("R4",)),
        probe("`plot_decision_boundary` colours the points by label", "a1_xor.plot_artists",
              inputs=plot_inputs, verify=judge_points_coloured, points=1, covers=("R4",)),
    ]),

    Task("task_1_11", "Output layers and losses", requirements={
        "R1": "output_choices is a dict with the keys 'regression', 'binary classification' "
              "and 'multi-class classification', each mapped to a pair of strings "
              "(activation, loss), activation first",
        "R2": "regression: identity output and MSE",
        "R3": "binary classification (one output unit): sigmoid output and BCE",
        "R4": "multi-class classification: softmax output and NLL",
    }, checks=[
        probe("`output_choices` is a dict of (activation, loss) pairs", "common.value",
              inputs={"name": "output_choices"}, points=1, public=True,
              expected={"value": {key: (Like("str"), Like("str")) for key in OUTPUT_CHOICES}},
              subject="`output_choices`", covers=("R1",)),
        *[probe(f"the {('output activation', 'loss')[part]} for {key}", "common.value",
                inputs={"name": "output_choices"}, expected={"value": pair[part]},
                verify=judge_choice(key, part), points=1, covers=("R1", requirement))
          for key, pair, requirement in zip(OUTPUT_CHOICES, OUTPUT_CHOICES.values(),
                                            ("R2", "R3", "R4"))
          for part in (0, 1)],
    ]),
]


# ------------------------------------------------------------------ written questions
# Marked by a person (`python -m grader review`). The model answers are the instructor cells
# after the answer cells in the solution notebook; the rubric is what a marker ticks.

WRITTEN = [
    Written("answer_1_1", "No linear classifier solves XOR", rubric=[
        (3, "Writes the four conditions as inequalities in $w_1, w_2$ and $b - t$, with the "
            "right direction for each point ($> 0$ for the two points labelled 1, $\\le 0$ "
            "for the two labelled 0)."),
        (4, "Adds them in pairs (the two label-1 conditions, the two label-0 conditions) and "
            "gets $w_1 + w_2 + 2(b - t) > 0$ and $\\le 0$ (or an equivalent pair)."),
        (3, "Concludes that the two results contradict each other, so no $w$, $b$, $t$ "
            "exists."),
        (2, "The argument holds for every $w$, $b$ and $t$ (it assumes no particular "
            "threshold or fitted model); a correct geometric argument (both pairs share the "
            "midpoint $(\\tfrac12, \\tfrac12)$) also earns this."),
    ]),
    Written("answer_1_2", "Why training gets stuck on a plateau", rubric=[
        (2, "(a) A run at $\\ln 2$ predicts $p = 0.5$ on all four points (a constant output)."),
        (2, "(a) A run at $\\tfrac12 \\ln 2$ predicts two points (almost) perfectly and "
            "$p = 0.5$ on the other two."),
        (3, "(b) A dead ReLU unit (negative pre-activation on every point) outputs 0 and "
            "passes no gradient, so its weights never change again."),
        (3, "(b) Where every live unit is 0 on two points with different labels, the output "
            "is $\\sigma(b_2)$ on both; the best is $0.5$, and no small change of the weights "
            "helps (zero gradient through the ReLUs): a flat region, not the global minimum."),
        (2, "(c) With more hidden units it is unlikely that some point is left without an "
            "active unit at initialisation, and more units can become useful."),
    ]),
    Written("answer_1_3", "Output layers and losses, justified", rubric=[
        (2, "Regression: targets are any real number, so an identity output; MSE (the "
            "negative log-likelihood of Gaussian noise, or simply the squared error)."),
        (2, "Binary classification: one probability in $(0, 1)$, so a sigmoid; BCE (the "
            "Bernoulli negative log-likelihood)."),
        (2, "Multi-class: a probability vector over the classes, so a softmax; NLL of the "
            "true class (categorical cross-entropy)."),
    ]),
]

SPEC = Assignment(
    number=1, slug="xor", topic="XOR", title="The XOR problem", tasks=TASKS, written=WRITTEN,
    # torch.optim's first optimizer imports torch._dynamo (seconds); preload it once, not per
    # kernel
    preload=("numpy", "torch", "torch._dynamo", "matplotlib"), cell_timeout=10.0)

assert SPEC.points == 100, SPEC.points
