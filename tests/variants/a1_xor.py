"""Mistake variants for Assignment 1 (XOR).

``WRONG[tag]``: plausible student mistakes; each must lose points on task ``tag`` and on no
other task. A name starts with the ids of the requirements (``Task.requirements`` in
grader/specs/a1_xor) that the mistake breaks, e.g. ``"R2-bias_after_relu"`` or
``"R1+R3-integer_dtype"``; every requirement has at least one variant that breaks it alone.
``RIGHT[tag]``: correct cells written differently from the solution; each must keep full
marks. Entries are ``(name, full_cell_source)``. Most wrong variants are a correct cell
(``BASE``) with one small edit, so that the mistake is easy to spot.
"""
from variants.kit import edit


def _edit(tag, *pairs):
    return edit(BASE[tag], *pairs)


BASE = {}

BASE["task_1_1"] = """
X_xor = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
y_xor = np.array([0.0, 1.0, 1.0, 0.0])
"""

BASE["task_1_2"] = """
def least_squares_fit(X, y):
    A = np.column_stack([X, np.ones(len(X))])
    theta = np.linalg.lstsq(A, y, rcond=None)[0]
    return theta[:-1], float(theta[-1])
"""

BASE["task_1_3"] = """
tf_bias_solves_xor = False
tf_sigmoid_solves_xor = False
tf_stacked_linear_is_linear = True
tf_product_feature_solves_xor = True
tf_one_relu_unit_solves_xor = False
"""

BASE["task_1_4"] = """
def relu(z):
    return np.maximum(z, 0.0)
"""

BASE["task_1_5"] = """
def two_layer_forward(X, W1, b1, w2, b2):
    hidden = np.maximum(X @ W1 + b1, 0.0)
    return hidden @ w2 + b2
"""

BASE["task_1_6"] = """
W1_xor = np.array([[1.0, 1.0], [1.0, 1.0]])
b1_xor = np.array([0.0, -1.0])
w2_xor = np.array([1.0, -2.0])
b2_xor = 0.0
"""

BASE["task_1_7"] = """
def hidden_features(X, W1, b1):
    return np.maximum(X @ W1 + b1, 0.0)
"""

BASE["task_1_8"] = """
def train_xor(hidden_units, lr, epochs, seed, X=None, y=None):
    if X is None:
        X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        y = np.array([0.0, 1.0, 1.0, 0.0])
    torch.manual_seed(seed)
    inputs = torch.as_tensor(X, dtype=torch.float32)
    targets = torch.as_tensor(y, dtype=torch.float32)
    model = nn.Sequential(nn.Linear(2, hidden_units), nn.ReLU(), nn.Linear(hidden_units, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs).squeeze(1), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    def predict(points):
        with torch.no_grad():
            logits = model(torch.as_tensor(points, dtype=torch.float32)).squeeze(1)
        return torch.sigmoid(logits).double().numpy()

    accuracy = float(np.mean((predict(X) >= 0.5) == (np.asarray(y) >= 0.5)))
    return {"losses": losses, "accuracy": accuracy, "predict": predict}
"""

BASE["task_1_9"] = """
def make_noisy_xor(n, std, seed):
    rng = np.random.default_rng(seed)
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    which = rng.integers(0, 4, size=n)
    X = corners[which] + rng.normal(0.0, std, size=(n, 2))
    y = (corners[which, 0] != corners[which, 1]).astype(float)
    return X, y
"""

BASE["task_1_10"] = """
def plot_decision_boundary(predict, X, y):
    low, high = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    g1, g2 = np.meshgrid(np.linspace(low[0], high[0], 100), np.linspace(low[1], high[1], 100))
    probs = np.asarray(predict(np.column_stack([g1.ravel(), g2.ravel()]))).reshape(g1.shape)
    fig, ax = plt.subplots()
    ax.contourf(g1, g2, probs, levels=np.linspace(0, 1, 11), cmap="coolwarm")
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k")
    return fig
"""

BASE["task_1_11"] = """
output_choices = {
    "regression": ("identity", "mse"),
    "binary classification": ("sigmoid", "bce"),
    "multi-class classification": ("softmax", "nll"),
}
"""


WRONG = {
    "task_1_1": [
        ("R2-rows_in_another_order", _edit(
            "task_1_1", "[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]",
            "[[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]")),
        ("R1+R3-integer_dtype", """
X_xor = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
y_xor = np.array([0, 1, 1, 0])
"""),
        ("R4-or_labels", _edit("task_1_1", "[0.0, 1.0, 1.0, 0.0]", "[0.0, 1.0, 1.0, 1.0]")),
        ("R3-labels_as_list", _edit("task_1_1", "np.array([0.0, 1.0, 1.0, 0.0])",
                                    "[0.0, 1.0, 1.0, 0.0]")),
        ("R1-float32_inputs", _edit("task_1_1", "[1.0, 1.0]])", "[1.0, 1.0]], dtype=np.float32)")),
        ("R3-labels_as_column", _edit("task_1_1", "np.array([0.0, 1.0, 1.0, 0.0])",
                                      "np.array([[0.0], [1.0], [1.0], [0.0]])")),
    ],
    "task_1_2": [
        ("R4-no_bias_column", """
def least_squares_fit(X, y):
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    return w, 0.0
"""),
        ("R3-bias_as_array", _edit("task_1_2", "float(theta[-1])", "theta[-1:]")),
        ("R4-ones_first_but_bias_read_last", _edit(
            "task_1_2", "np.column_stack([X, np.ones(len(X))])",
            "np.column_stack([np.ones(len(X)), X])")),
        ("R4-only_y_centred", """
def least_squares_fit(X, y):
    b = y.mean()
    w = np.linalg.lstsq(X, y - b, rcond=None)[0]
    return w, float(b)
"""),
        ("R1-returns_theta", _edit("task_1_2", "return theta[:-1], float(theta[-1])",
                                   "return theta")),
        ("R1-bias_first", _edit("task_1_2", "return theta[:-1], float(theta[-1])",
                                "return float(theta[-1]), theta[:-1]")),
        ("R2-w_as_column", _edit("task_1_2", "lstsq(A, y, rcond=None)[0]",
                                 "lstsq(A, y.reshape(-1, 1), rcond=None)[0]",
                                 "float(theta[-1])", "float(theta[-1, 0])")),
    ],
    "task_1_3": [
        ("R1-bias_helps", _edit("task_1_3", "tf_bias_solves_xor = False",
                                "tf_bias_solves_xor = True")),
        ("R4-product_feature_doubted", _edit("task_1_3", "tf_product_feature_solves_xor = True",
                                             "tf_product_feature_solves_xor = False")),
        ("R1+R2+R5-all_true", """
tf_bias_solves_xor = True
tf_sigmoid_solves_xor = True
tf_stacked_linear_is_linear = True
tf_product_feature_solves_xor = True
tf_one_relu_unit_solves_xor = True
"""),
        ("R6-strings", _edit("task_1_3", "tf_sigmoid_solves_xor = False",
                             'tf_sigmoid_solves_xor = "False"')),
        ("R2-sigmoid_helps", _edit("task_1_3", "tf_sigmoid_solves_xor = False",
                                   "tf_sigmoid_solves_xor = True")),
        ("R3-stacked_linear_doubted", _edit("task_1_3", "tf_stacked_linear_is_linear = True",
                                            "tf_stacked_linear_is_linear = False")),
        ("R5-one_relu_unit_enough", _edit("task_1_3", "tf_one_relu_unit_solves_xor = False",
                                          "tf_one_relu_unit_solves_xor = True")),
    ],
    "task_1_4": [
        ("R3-modifies_its_input", """
def relu(z):
    z[z < 0] = 0.0
    return z
"""),
        ("R2-derivative_instead", _edit("task_1_4", "np.maximum(z, 0.0)",
                                        "(z > 0).astype(float)")),
        ("R2-clipped_at_one", _edit("task_1_4", "np.maximum(z, 0.0)", "np.clip(z, 0.0, 1.0)")),
        ("R2-leaky", _edit("task_1_4", "np.maximum(z, 0.0)", "np.maximum(z, 0.01 * z)")),
        ("R3-maximum_in_place", _edit("task_1_4", "np.maximum(z, 0.0)",
                                      "np.maximum(z, 0.0, out=z)")),
        ("R1-flattens", """
def relu(z):
    return np.array([max(v, 0.0) for v in np.ravel(z)])
"""),
    ],
    "task_1_5": [
        ("R2-no_relu", _edit("task_1_5", "np.maximum(X @ W1 + b1, 0.0)", "X @ W1 + b1")),
        ("R2-bias_after_relu", _edit("task_1_5", "np.maximum(X @ W1 + b1, 0.0)",
                                     "np.maximum(X @ W1, 0.0) + b1")),
        ("R3-relu_on_the_output_too", _edit("task_1_5", "return hidden @ w2 + b2",
                                            "return np.maximum(hidden @ w2 + b2, 0.0)")),
        ("R1-column_output", _edit("task_1_5", "hidden @ w2 + b2",
                                   "hidden @ w2.reshape(-1, 1) + b2")),
        ("R3-output_bias_forgotten", _edit("task_1_5", "return hidden @ w2 + b2",
                                           "return hidden @ w2")),
        ("R4-two_hidden_units_hard_coded", """
def two_layer_forward(X, W1, b1, w2, b2):
    out = np.full(X.shape[0], float(b2))
    for j in range(2):
        out += w2[j] * np.maximum(X @ W1[:, j] + b1[j], 0.0)
    return out
"""),
        ("R4-two_inputs_hard_coded", """
def two_layer_forward(X, W1, b1, w2, b2):
    pre = X[:, 0:1] * W1[0] + X[:, 1:2] * W1[1] + b1
    return np.maximum(pre, 0.0) @ w2 + b2
"""),
    ],
    "task_1_6": [
        ("R2-output_sign_error", _edit("task_1_6", "[1.0, -2.0]", "[1.0, 2.0]")),
        ("R2-wrong_hidden_bias", _edit("task_1_6", "[0.0, -1.0]", "[0.0, 1.0]")),
        ("R1-integer_arrays", """
W1_xor = np.array([[1, 1], [1, 1]])
b1_xor = np.array([0, -1])
w2_xor = np.array([1, -2])
b2_xor = 0
"""),
        ("R2-nearly_right", _edit("task_1_6", "[1.0, -2.0]", "[0.99, -1.98]")),
        ("R1-b2_as_array", _edit("task_1_6", "b2_xor = 0.0", "b2_xor = np.array([0.0])")),
    ],
    "task_1_7": [
        ("R2-no_bias", _edit("task_1_7", "X @ W1 + b1", "X @ W1")),
        ("R2-no_relu", _edit("task_1_7", "np.maximum(X @ W1 + b1, 0.0)", "X @ W1 + b1")),
        ("R2-transposed_weights", _edit("task_1_7", "X @ W1 + b1", "X @ W1.T + b1")),
        ("R2-relu_before_bias", _edit("task_1_7", "np.maximum(X @ W1 + b1, 0.0)",
                                      "np.maximum(X @ W1, 0.0) + b1")),
        ("R1-transposed_result", _edit("task_1_7", "np.maximum(X @ W1 + b1, 0.0)",
                                       "np.maximum(X @ W1 + b1, 0.0).T")),
    ],
    "task_1_8": [
        ("R5-no_relu", _edit("task_1_8", "nn.Linear(2, hidden_units), nn.ReLU(),",
                             "nn.Linear(2, hidden_units),")),
        ("R6-no_zero_grad", _edit("task_1_8", "        optimizer.zero_grad()\n", "")),
        ("R4-seed_ignored", _edit("task_1_8", "    torch.manual_seed(seed)\n", "")),
        ("R8-predict_returns_labels", _edit(
            "task_1_8", "return torch.sigmoid(logits).double().numpy()",
            "return (torch.sigmoid(logits) >= 0.5).double().numpy()")),
        ("R2-losses_as_tensors", _edit("task_1_8", "losses.append(loss.item())",
                                       "losses.append(loss)")),
        ("R9-given_data_ignored", _edit(
            "task_1_8", "    if X is None:\n",
            "    if True:  # always the XOR corners\n")),
        ("R5-sigmoid_twice", _edit(
            "task_1_8", "nn.Linear(hidden_units, 1))",
            "nn.Linear(hidden_units, 1), nn.Sigmoid())")),
        ("R1-accuracy_key_misspelt", _edit("task_1_8", '"accuracy": accuracy',
                                           '"acc": accuracy')),
        ("R2-losses_as_array", _edit("task_1_8", '{"losses": losses,',
                                     '{"losses": np.array(losses),')),
        ("R3-sum_instead_of_mean", _edit("task_1_8", "nn.BCEWithLogitsLoss()",
                                         'nn.BCEWithLogitsLoss(reduction="sum")')),
        ("R3-loss_after_update", _edit(
            "task_1_8", "losses.append(loss.item())",
            "losses.append(loss_fn(model(inputs).squeeze(1), targets).item())")),
        ("R4-fixed_seed", _edit("task_1_8", "torch.manual_seed(seed)", "torch.manual_seed(0)")),
        ("R4-output_layer_built_first", _edit(
            "task_1_8",
            "    model = nn.Sequential(nn.Linear(2, hidden_units), nn.ReLU(), "
            "nn.Linear(hidden_units, 1))\n",
            "    output = nn.Linear(hidden_units, 1)\n"
            "    model = nn.Sequential(nn.Linear(2, hidden_units), nn.ReLU(), output)\n")),
        ("R5-tanh_hidden", _edit("task_1_8", "nn.ReLU()", "nn.Tanh()")),
        ("R6-momentum", _edit("task_1_8", "torch.optim.SGD(model.parameters(), lr=lr)",
                              "torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)")),
        ("R7-accuracy_before_training", _edit(
            "task_1_8", "    losses = []\n",
            "    with torch.no_grad():\n"
            "        start = torch.sigmoid(model(inputs).squeeze(1)).numpy()\n"
            "    initial_accuracy = float(np.mean((start >= 0.5) == (np.asarray(y) >= 0.5)))\n"
            "    losses = []\n",
            "    accuracy = float(np.mean((predict(X) >= 0.5) == (np.asarray(y) >= 0.5)))\n",
            "    accuracy = initial_accuracy\n")),
        ("R7-accuracy_in_percent", _edit("task_1_8", "accuracy = float(np.mean(",
                                         "accuracy = 100 * float(np.mean(")),
        ("R8-predict_returns_logits", _edit(
            "task_1_8", "return torch.sigmoid(logits).double().numpy()",
            "return logits.double().numpy()")),
        ("R8-predict_returns_tensor", _edit(
            "task_1_8", "return torch.sigmoid(logits).double().numpy()",
            "return torch.sigmoid(logits)")),
    ],
    "task_1_9": [
        ("R3-variance_instead_of_std", _edit("task_1_9", "rng.normal(0.0, std,",
                                             "rng.normal(0.0, std ** 2,")),
        ("R2-or_labels", _edit("task_1_9", "(corners[which, 0] != corners[which, 1])",
                               "(corners[which].sum(axis=1) > 0)")),
        ("R5-global_random_state", """
def make_noisy_xor(n, std, seed):
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    which = np.random.randint(0, 4, size=n)
    X = corners[which] + std * np.random.randn(n, 2)
    y = (corners[which, 0] != corners[which, 1]).astype(float)
    return X, y
"""),
        ("R1-integer_labels", _edit("task_1_9", ".astype(float)", ".astype(int)")),
        ("R4-only_two_corners", _edit("task_1_9", "rng.integers(0, 4, size=n)",
                                      "rng.integers(0, 2, size=n)")),
        ("R1-labels_as_column", _edit("task_1_9", "return X, y", "return X, y[:, None]")),
        ("R2-xnor_labels", _edit("task_1_9", "(corners[which, 0] != corners[which, 1])",
                                 "(corners[which, 0] == corners[which, 1])")),
        ("R3-same_noise_in_both_coordinates", _edit(
            "task_1_9", "rng.normal(0.0, std, size=(n, 2))", "rng.normal(0.0, std, size=(n, 1))")),
        ("R4-unequal_corners", _edit("task_1_9", "rng.integers(0, 4, size=n)",
                                     "rng.choice(4, size=n, p=[0.4, 0.2, 0.2, 0.2])")),
        ("R5-global_seed", """
def make_noisy_xor(n, std, seed):
    np.random.seed(seed)
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    which = np.random.randint(0, 4, size=n)
    X = corners[which] + np.random.normal(0.0, std, size=(n, 2))
    y = (corners[which, 0] != corners[which, 1]).astype(float)
    return X, y
"""),
        ("R5-unseeded_generator", _edit("task_1_9", "np.random.default_rng(seed)",
                                        "np.random.default_rng()")),
    ],
    "task_1_10": [
        ("R1-returns_the_axes", _edit("task_1_10", "return fig", "return ax")),
        ("R1-forgets_to_return", _edit("task_1_10", "    return fig\n", "")),
        ("R3-points_only", _edit(
            "task_1_10",
            '    ax.contourf(g1, g2, probs, levels=np.linspace(0, 1, 11), cmap="coolwarm")\n',
            "")),
        ("R2-grid_on_unit_square", _edit(
            "task_1_10", "np.linspace(low[0], high[0], 100), np.linspace(low[1], high[1], 100)",
            "np.linspace(0, 1, 100), np.linspace(0, 1, 100)")),
        ("R4-no_points", _edit(
            "task_1_10", '    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k")\n',
            "")),
        ("R2-no_margin", _edit("task_1_10", "low, high = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5",
                               "low, high = X.min(axis=0), X.max(axis=0)")),
        ("R2-coarse_grid", _edit("task_1_10", "high[0], 100), np.linspace(low[1], high[1], 100)",
                                 "high[0], 10), np.linspace(low[1], high[1], 10)")),
        ("R2-one_call_per_row", _edit(
            "task_1_10",
            "probs = np.asarray(predict(np.column_stack([g1.ravel(), g2.ravel()])))"
            ".reshape(g1.shape)",
            "probs = np.array([predict(np.column_stack([r1, r2])) for r1, r2 in zip(g1, g2)])")),
        ("R3-contour_lines_only", _edit("task_1_10", "ax.contourf(", "ax.contour(")),
        ("R4-points_in_one_colour", _edit("task_1_10", 'c=y, cmap="coolwarm", edgecolors="k"',
                                          'color="k"')),
    ],
    "task_1_11": [
        ("R3-mse_for_binary", _edit("task_1_11", '("sigmoid", "bce")', '("sigmoid", "mse")')),
        ("R4-sigmoid_for_many_classes", _edit("task_1_11", '("softmax", "nll")',
                                              '("sigmoid", "bce")')),
        ("R1-loss_first", """
output_choices = {
    "regression": ("mse", "identity"),
    "binary classification": ("bce", "sigmoid"),
    "multi-class classification": ("nll", "softmax"),
}
"""),
        ("R1-key_misspelt", _edit("task_1_11", '"multi-class classification"',
                                  '"multiclass classification"')),
        ("R2-relu_for_regression", _edit("task_1_11", '("identity", "mse")', '("relu", "mse")')),
        ("R3-softmax_and_nll_for_binary", _edit("task_1_11", '("sigmoid", "bce")',
                                                '("softmax", "nll")')),
    ],
}


RIGHT = {
    "task_1_1": [
        ("astype_float", """
X_xor = np.array([[0, 0], [1, 0], [0, 1], [1, 1]]).astype(float)
y_xor = np.array([0, 1, 1, 0], dtype=np.float64)
"""),
        ("computed", """
X_xor = np.array([[x1, x2] for x2 in (0.0, 1.0) for x1 in (0.0, 1.0)])
y_xor = np.logical_xor(X_xor[:, 0], X_xor[:, 1]).astype(float)
"""),
    ],
    "task_1_2": [
        ("normal_equations", """
def least_squares_fit(X, y):
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    theta = np.linalg.solve(A.T @ A, A.T @ y)
    return theta[:-1], theta[-1]
"""),
        ("centred_data", """
def least_squares_fit(X, y):
    x_mean, y_mean = X.mean(axis=0), y.mean()
    w = np.linalg.lstsq(X - x_mean, y - y_mean, rcond=None)[0]
    return w, float(y_mean - x_mean @ w)
"""),
        ("pseudo_inverse_ones_first", """
def least_squares_fit(X, y):
    A = np.column_stack([np.ones(len(X)), X])
    theta = np.linalg.pinv(A) @ y
    return theta[1:], theta[0]
"""),
    ],
    "task_1_3": [
        ("expressions", """
tf_bias_solves_xor = 1 > 2
tf_sigmoid_solves_xor = not True
tf_stacked_linear_is_linear = 2 > 1
tf_product_feature_solves_xor = not False
tf_one_relu_unit_solves_xor = bool(0)
"""),
        ("one_line", """
tf_bias_solves_xor, tf_sigmoid_solves_xor, tf_stacked_linear_is_linear = False, False, True
tf_product_feature_solves_xor, tf_one_relu_unit_solves_xor = True, False
"""),
    ],
    "task_1_4": [
        ("where", """
def relu(z):
    return np.where(z > 0, z, 0.0)
"""),
        ("mask_multiply", """
def relu(z):
    return z * (z > 0)
"""),
        ("copy_then_clip", """
def relu(z):
    out = np.array(z, dtype=float, copy=True)
    out[out < 0] = 0.0
    return out
"""),
        ("vectorize", """
def relu(z):
    return np.vectorize(lambda v: max(v, 0.0), otypes=[float])(z)
"""),
    ],
    "task_1_5": [
        ("einsum", """
def two_layer_forward(X, W1, b1, w2, b2):
    hidden = np.einsum("nd,dh->nh", X, W1) + b1
    hidden = np.clip(hidden, 0.0, None)
    return np.einsum("nh,h->n", hidden, w2) + b2
"""),
        ("loop_over_units", """
def two_layer_forward(X, W1, b1, w2, b2):
    out = np.full(X.shape[0], float(b2))
    for j in range(W1.shape[1]):
        out += w2[j] * np.maximum(X @ W1[:, j] + b1[j], 0.0)
    return out
"""),
    ],
    "task_1_6": [
        ("absolute_difference", """
W1_xor = np.array([[1.0, -1.0], [-1.0, 1.0]])
b1_xor = np.array([0.0, 0.0])
w2_xor = np.array([1.0, 1.0])
b2_xor = 0.0
"""),
        ("scaled", """
W1_xor = np.array([[2.0, 2.0], [2.0, 2.0]])
b1_xor = np.array([0.0, -2.0])
w2_xor = np.array([0.5, -1.0])
b2_xor = 0.0
"""),
        ("and_nor_units", """
W1_xor = np.array([[1.0, -1.0], [1.0, -1.0]])
b1_xor = np.array([-1.0, 1.0])
w2_xor = np.array([-1.0, -1.0])
b2_xor = np.float64(1.0)
"""),
    ],
    "task_1_7": [
        ("clip", """
def hidden_features(X, W1, b1):
    return np.clip(X @ W1 + b1, 0.0, None)
"""),
        ("where", """
def hidden_features(X, W1, b1):
    z = np.dot(X, W1) + b1[None, :]
    return np.where(z > 0, z, 0.0)
"""),
        ("loop_over_rows", """
def hidden_features(X, W1, b1):
    rows = [np.maximum(x @ W1 + b1, 0.0) for x in X]
    return np.array(rows, dtype=float).reshape(len(X), W1.shape[1])
"""),
    ],
    "task_1_8": [
        ("manual_update", """
def train_xor(hidden_units, lr, epochs, seed, X=None, y=None):
    if X is None:
        X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        y = np.array([0.0, 1.0, 1.0, 0.0])
    torch.manual_seed(seed)
    first, second = nn.Linear(2, hidden_units), nn.Linear(hidden_units, 1)
    params = list(first.parameters()) + list(second.parameters())
    inputs = torch.tensor(X, dtype=torch.float32)
    targets = torch.tensor(y, dtype=torch.float32).reshape(-1, 1)

    def logits_of(points):
        return second(torch.relu(first(points)))

    losses = []
    for epoch in range(epochs):
        loss = nn.functional.binary_cross_entropy_with_logits(logits_of(inputs), targets)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p -= lr * g
        losses.append(float(loss.detach()))

    def predict(points):
        with torch.no_grad():
            probs = torch.sigmoid(logits_of(torch.tensor(points, dtype=torch.float32)))
        return probs.reshape(-1).numpy()

    correct = (predict(X) > 0.5) == (y > 0.5)
    return {"losses": losses, "accuracy": correct.mean(), "predict": predict}
"""),
        ("module_with_sigmoid_and_bceloss", """
class XorNet(nn.Module):
    def __init__(self, hidden_units):
        super().__init__()
        self.hidden = nn.Linear(2, hidden_units)
        self.out = nn.Linear(hidden_units, 1)

    def forward(self, x):
        return torch.sigmoid(self.out(torch.relu(self.hidden(x)))).squeeze(-1)


def train_xor(hidden_units, lr, epochs, seed, X=None, y=None):
    if X is None:
        X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        y = np.array([0.0, 1.0, 1.0, 0.0])
    torch.manual_seed(seed)
    net = XorNet(hidden_units)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    xs = torch.from_numpy(np.asarray(X, dtype=np.float32))
    ys = torch.from_numpy(np.asarray(y, dtype=np.float32))
    losses = []
    for _ in range(epochs):
        loss = nn.BCELoss()(net(xs), ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    predict = lambda points: net(torch.from_numpy(np.asarray(points, dtype=np.float32))).detach().numpy()
    accuracy = np.mean(np.round(predict(X)) == y)
    return dict(losses=losses, accuracy=float(accuracy), predict=predict)
"""),
        ("float64_network_and_helpers", """
def _network(hidden_units):
    return nn.Sequential(nn.Linear(2, hidden_units), nn.ReLU(), nn.Linear(hidden_units, 1)).double()


def _bce(logits, targets):
    # the BCE written out with log-sigmoids, which stay finite for large logits
    return -(targets * nn.functional.logsigmoid(logits)
             + (1 - targets) * nn.functional.logsigmoid(-logits)).mean()


def train_xor(hidden_units, lr, epochs, seed, X=None, y=None):
    if X is None:
        X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        y = np.array([0.0, 1.0, 1.0, 0.0])
    torch.manual_seed(seed)
    model = _network(hidden_units)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    inputs, targets = torch.tensor(X), torch.tensor(y)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = _bce(model(inputs)[:, 0], targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    def predict(points):
        with torch.no_grad():
            return torch.sigmoid(model(torch.tensor(np.asarray(points, dtype=float)))[:, 0]).numpy()

    return {"losses": losses, "accuracy": float(np.mean((predict(X) >= 0.5) == y)),
            "predict": predict}
"""),
    ],
    "task_1_9": [
        ("balanced_and_shuffled", """
def make_noisy_xor(n, std, seed):
    rng = np.random.default_rng(seed)
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    which = rng.permutation(np.arange(n) % 4)
    X = corners[which] + std * rng.standard_normal((n, 2))
    y = np.array([0.0, 1.0, 1.0, 0.0])[which]
    return X, y
"""),
        ("random_bits", """
def make_noisy_xor(n, std, seed):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(n, 2))
    X = bits + rng.normal(scale=std, size=(n, 2))
    y = np.bitwise_xor(bits[:, 0], bits[:, 1]).astype(np.float64)
    return X.astype(float), y
"""),
        ("choice_of_corners", """
def make_noisy_xor(n, std, seed):
    rng = np.random.default_rng(seed)
    corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)]
    rows, labels = [], []
    for k in rng.choice(4, size=n):
        x1, x2 = corners[k]
        rows.append([x1 + rng.normal(0.0, std), x2 + rng.normal(0.0, std)])
        labels.append(float(x1 != x2))
    return np.array(rows), np.array(labels)
"""),
    ],
    "task_1_10": [
        ("pcolormesh_and_two_scatters", """
def plot_decision_boundary(predict, X, y):
    pad = 0.25 * (X.max() - X.min())
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, 60)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, 50)
    gx, gy = np.meshgrid(xs, ys)
    p = predict(np.c_[gx.ravel(), gy.ravel()]).reshape(gx.shape)
    fig = plt.figure(figsize=(4, 4))
    ax = fig.add_subplot(1, 1, 1)
    ax.pcolormesh(gx, gy, p, cmap="RdBu_r", vmin=0, vmax=1, shading="auto")
    for label, colour in [(0, "blue"), (1, "red")]:
        ax.scatter(X[y == label, 0], X[y == label, 1], color=colour, label=f"y = {label}")
    ax.legend()
    return fig
"""),
        ("imshow_and_plot", """
def plot_decision_boundary(predict, X, y):
    (x0, y0), (x1, y1) = X.min(axis=0) - 1, X.max(axis=0) + 1
    gx, gy = np.meshgrid(np.linspace(x0, x1, 30), np.linspace(y0, y1, 30))
    p = predict(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(30, 30)
    fig, axes = plt.subplots(1, 1)
    axes.imshow(p, origin="lower", extent=(x0, x1, y0, y1), aspect="auto", cmap="coolwarm")
    axes.contour(gx, gy, p, levels=[0.5], colors="k")
    axes.plot(X[y == 0, 0], X[y == 0, 1], "bo")
    axes.plot(X[y == 1, 0], X[y == 1, 1], "r^")
    return fig
"""),
        ("vstack_grid_colorbar_and_rings", """
def plot_decision_boundary(predict, X, y):
    margin = 0.3
    g1, g2 = np.mgrid[X[:, 0].min() - margin:X[:, 0].max() + margin:80j,
                      X[:, 1].min() - margin:X[:, 1].max() + margin:70j]
    grid = np.vstack([g1.ravel(), g2.ravel()]).T
    probs = predict(grid).reshape(g1.shape)
    fig, ax = plt.subplots()
    filled = ax.contourf(g1, g2, probs, levels=20, cmap="viridis")
    fig.colorbar(filled, ax=ax)
    ax.scatter(X[:, 0], X[:, 1], s=60, color="white", edgecolors="k")
    ax.scatter(X[:, 0], X[:, 1], s=15, c=np.where(y > 0.5, "tab:red", "tab:blue"))
    return fig
"""),
    ],
    "task_1_11": [
        ("lists_and_capitals", """
output_choices = {
    "regression": ["Identity", "MSE"],
    "binary classification": ["Sigmoid", "BCE"],
    "multi-class classification": ["Softmax", "NLL"],
}
"""),
        ("built_from_pairs", """
tasks = ["regression", "binary classification", "multi-class classification"]
output_choices = dict(zip(tasks, [("identity", "mse"), ("sigmoid", "bce"), ("softmax", "nll")]))
"""),
        ("spaces_around_names", """
output_choices = dict()
output_choices["regression"] = (" identity", "mse ")
output_choices["binary classification"] = ("sigmoid", " bce")
output_choices["multi-class classification"] = ("softmax ", "nll")
"""),
    ],
}
