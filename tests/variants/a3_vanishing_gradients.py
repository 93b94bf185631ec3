"""Mistake variants for Assignment 3 (vanishing gradients).

``WRONG[tag]``: plausible student mistakes; each must lose points on task ``tag`` (and no other).
Its name starts with the id of the one requirement of the task (``Task.requirements`` in the
spec) that it violates, e.g. ``"R2-no_model_train"``, and it must fail a check that covers it.
``RIGHT[tag]``: correct but differently written cells; each must keep full marks.
Each entry is ``(short_name, full_cell_source)``. Most wrong variants are a correct cell
(``BASE``) with one small edit, so each mistake is easy to see.
"""
from variants.kit import edit


def _edit(tag, *pairs):
    return edit(BASE[tag], *pairs)


BASE = {}

BASE["task_3_1"] = """
z = np.linspace(-10, 10, 20001)
s = 1 / (1 + np.exp(-z))
sigmoid_grad_max = float(np.max(s * (1 - s)))


def gradient_bound(depth, w_max):
    return (0.25 * w_max) ** depth
"""

BASE["task_3_2"] = """
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
"""

BASE["task_3_3"] = """
def train_epoch(model, loader, optimizer, device, log_interval=100):
    model.train()
    stats = {"linear1": [], "linear2": [], "linear3": [], "loss": []}
    correct, seen = 0, 0
    progress = tqdm(loader, leave=False)
    for batch, (data, target) in enumerate(progress):
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
        if batch % log_interval == 0:
            progress.set_postfix(loss=loss.item())
    stats["accuracy"] = correct / seen
    return stats
"""

BASE["task_3_4"] = """
def evaluate(model, loader, device):
    model.eval()
    total, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            total += F.nll_loss(output, target, reduction="sum").item()
            correct += (output.argmax(dim=1) == target).sum().item()
            seen += len(target)
    return total / seen, correct / seen
"""

BASE["task_3_5"] = """
tf_sigmoid_lower_layers_smaller = True
tf_relu_curves_closer = True
tf_sigmoid_factor_quarter = True
tf_relu_derivative = True
tf_dead_relu_learns = False
tf_large_derivatives_stabilise = False
tf_sigmoid_overfits = False
tf_relu_always_fixes = False
"""

BASE["task_3_6"] = """
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
"""

BASE["task_3_7"] = """
def gradient_ratio(model, X, y):
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    model.zero_grad()
    F.cross_entropy(model(X), y).backward()
    first = linears[0].weight.grad.abs().mean()
    last = linears[-1].weight.grad.abs().mean()
    return (first / last).item()
"""

BASE["task_3_8"] = """
def activation_variances(init, activation, depth=5, width=512, n=1024):
    std = {"normal_0.01": 0.01, "normal_0.1": 0.1, "1/d_in": (1 / width) ** 0.5,
           "xavier": (2 / (width + width)) ** 0.5, "kaiming": (2 / width) ** 0.5}[init]
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[activation]
    variances = []
    with torch.no_grad():
        h = torch.randn(n, width)
        for _ in range(depth):
            W = torch.randn(width, width) * std
            h = act(h @ W.T)
            variances.append(h.var().item())
    return variances
"""

BASE["task_3_9"] = """
def dead_relu_fraction(model, X):
    fractions = []
    h = X
    with torch.no_grad():
        for layer in model:
            h = layer(h)
            if isinstance(layer, nn.ReLU):
                fractions.append((h == 0).all(dim=0).float().mean().item())
    return fractions
"""

BASE["task_3_10"] = """
def activation_grad(name, z):
    if name == "leaky_relu":
        return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, 0.01))
    if name == "elu":
        return torch.where(z > 0, torch.ones_like(z), torch.exp(torch.clamp(z, max=0)))
    if name == "silu":
        s = torch.sigmoid(z)
        return s * (1 + z * (1 - s))
    if name == "gelu":
        cdf = 0.5 * (1 + torch.erf(z / 2 ** 0.5))
        pdf = torch.exp(-0.5 * z ** 2) / (2 * torch.pi) ** 0.5
        return cdf + z * pdf
    raise ValueError(name)
"""

BASE["task_3_11"] = """
def batch_norm(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        n = x.shape[0]
        mean = x.mean(dim=0)
        var = x.var(dim=0, unbiased=False)
        with torch.no_grad():
            running_mean.mul_(1 - momentum).add_(momentum * mean)
            running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
    else:
        mean, var = running_mean, running_var
    x_hat = (x - mean) / torch.sqrt(var + eps)
    return gamma * x_hat + beta
"""

WRONG = {
    "task_3_1": [
        ("R2-max_of_sigmoid_not_derivative",
         _edit("task_3_1", "np.max(s * (1 - s))", "np.max(s)")),
        ("R3-weight_not_raised_to_depth",
         _edit("task_3_1", "return (0.25 * w_max) ** depth", "return 0.25 ** depth * w_max")),
        ("R1-sigmoid_grad_max_a_tensor",
         _edit("task_3_1", "float(np.max(s * (1 - s)))", "torch.tensor(s * (1 - s)).max()")),
        ("R3-one_factor_too_few",
         _edit("task_3_1", "return (0.25 * w_max) ** depth",
               "return (0.25 * w_max) ** (depth - 1)")),
        ("R3-bound_ignores_weights",
         _edit("task_3_1", "return (0.25 * w_max) ** depth", "return 0.25 ** depth")),
        ("R4-bound_as_a_tensor",
         _edit("task_3_1", "return (0.25 * w_max) ** depth",
               "return torch.tensor(0.25 * w_max) ** depth")),
    ],
    "task_3_2": [
        ("R2-sigmoid_left_on_third_layer",
         _edit("task_3_2", "x = F.relu(self.linear3(x))", "x = torch.sigmoid(self.linear3(x))")),
        ("R3-softmax_instead_of_log_softmax",
         _edit("task_3_2", "return F.log_softmax(self.linear4(x), dim=1)",
               "return F.softmax(self.linear4(x), dim=1)")),
        ("R2-relu_only_on_first_layer",
         _edit("task_3_2", "x = F.relu(self.linear2(x))", "x = self.linear2(x)",
               "x = F.relu(self.linear3(x))", "x = self.linear3(x)")),
        ("R2-relu_on_the_output_too",
         _edit("task_3_2", "F.log_softmax(self.linear4(x), dim=1)",
               "F.log_softmax(F.relu(self.linear4(x)), dim=1)")),
        ("R3-log_softmax_over_the_batch",
         _edit("task_3_2", "F.log_softmax(self.linear4(x), dim=1)",
               "F.log_softmax(self.linear4(x), dim=0)")),
        ("R4-input_size_hard_coded",
         _edit("task_3_2", "x = x.flatten(start_dim=1)", "x = x.view(-1, 784)")),
        ("R4-images_not_flattened",
         _edit("task_3_2", "        x = x.flatten(start_dim=1)\n", "")),
        ("R1-wrong_hidden_width",
         _edit("task_3_2", "nn.Linear(512, 1024)", "nn.Linear(512, 512)",
               "nn.Linear(1024, 512)", "nn.Linear(512, 512)")),
        ("R1-a_leftover_layer",
         _edit("task_3_2", "        self.linear4 = nn.Linear(512, D_out)\n",
               "        self.linear4 = nn.Linear(512, D_out)\n"
               "        self.linear5 = nn.Linear(D_out, D_out)\n")),
    ],
    "task_3_3": [
        ("R6-signed_instead_of_absolute_mean",
         _edit("task_3_3", ".weight.grad.abs().mean()", ".weight.grad.mean()")),
        ("R4-missing_zero_grad",
         _edit("task_3_3", "        optimizer.zero_grad()\n", "")),
        ("R1-losses_key",
         _edit("task_3_3", '"loss": []}', '"losses": []}', 'stats["loss"].append',
               'stats["losses"].append')),
        ("R2-no_model_train",
         _edit("task_3_3", "    model.train()\n", "")),
        ("R3-batches_not_moved",
         _edit("task_3_3", "        data, target = data.to(device), target.to(device)\n", "")),
        ("R3-only_the_data_moved",
         _edit("task_3_3", "data, target = data.to(device), target.to(device)",
               "data = data.to(device)")),
        ("R4-zero_grad_only_after_the_step",
         _edit("task_3_3", "        optimizer.zero_grad()\n", "",
               "        optimizer.step()\n", "        optimizer.step()\n"
               "        optimizer.zero_grad()\n")),
        ("R5-loss_summed_over_the_batch",
         _edit("task_3_3", "loss = F.nll_loss(output, target)",
               "loss = F.nll_loss(output, target, reduction='sum')")),
        ("R6-bias_gradients",
         _edit("task_3_3", ".weight.grad.abs().mean()", ".bias.grad.abs().mean()")),
        ("R6-first_three_weight_parameters",
         _edit("task_3_3",
               '        for name in ("linear1", "linear2", "linear3"):\n'
               '            stats[name].append(getattr(model, name).weight.grad.abs().mean()'
               '.item())\n',
               '        weights = [p for n, p in model.named_parameters()\n'
               '                   if n.endswith("weight")]\n'
               '        for name, w in zip(("linear1", "linear2", "linear3"), weights):\n'
               '            stats[name].append(w.grad.abs().mean().item())\n')),
        ("R7-step_outside_the_loop",
         _edit("task_3_3", "        optimizer.step()\n", "",
               '    stats["accuracy"] = correct / seen',
               '    optimizer.step()\n    stats["accuracy"] = correct / seen')),
        ("R8-running_mean_loss",
         _edit("task_3_3", 'stats["loss"].append(loss.item())',
               'stats["loss"].append(loss.item() if batch == 0 else\n'
               '                             (stats["loss"][-1] * batch + loss.item())\n'
               '                             / (batch + 1))')),
        ("R9-accuracy_only_on_logged_batches",
         _edit("task_3_3",
               "        correct += (output.argmax(dim=1) == target).sum().item()\n"
               "        seen += len(target)\n"
               "        if batch % log_interval == 0:\n",
               "        if batch % log_interval == 0:\n"
               "            correct += (output.argmax(dim=1) == target).sum().item()\n"
               "            seen += len(target)\n")),
        ("R9-accuracy_as_mean_of_batch_accuracies",
         _edit("task_3_3",
               "correct += (output.argmax(dim=1) == target).sum().item()",
               "correct += (output.argmax(dim=1) == target).float().mean().item()",
               "seen += len(target)", "seen += 1")),
        ("R9-accuracy_from_a_second_forward_pass",
         _edit("task_3_3", "correct += (output.argmax(dim=1) == target).sum().item()",
               "with torch.no_grad():\n"
               "            correct += (model(data).argmax(dim=1) == target).sum().item()")),
        ("R10-no_progress_bar",
         _edit("task_3_3", "    progress = tqdm(loader, leave=False)\n", "",
               "enumerate(progress)", "enumerate(loader)",
               "            progress.set_postfix(loss=loss.item())\n",
               "            pass\n")),
        ("R10-loss_shown_every_batch",
         _edit("task_3_3", "        if batch % log_interval == 0:\n"
                           "            progress.set_postfix(loss=loss.item())\n",
               "        progress.set_postfix(loss=loss.item())\n")),
    ],
    "task_3_4": [
        ("R5-loss_averaged_per_batch",
         _edit("task_3_4", 'total += F.nll_loss(output, target, reduction="sum").item()',
               "total += F.nll_loss(output, target).item()",
               "return total / seen, correct / seen",
               "return total / len(loader), correct / seen")),
        ("R6-accuracy_divided_by_batches",
         _edit("task_3_4", "return total / seen, correct / seen",
               "return total / seen, correct / len(loader)")),
        ("R1-returns_a_dict",
         _edit("task_3_4", "return total / seen, correct / seen",
               'return {"loss": total / seen, "accuracy": correct / seen}')),
        ("R2-no_model_eval",
         _edit("task_3_4", "    model.eval()\n", "")),
        ("R3-gradients_tracked",
         _edit("task_3_4", "    with torch.no_grad():\n", "    if True:\n")),
        ("R4-batches_not_moved",
         _edit("task_3_4", "            data, target = data.to(device), target.to(device)\n",
               "")),
        ("R5-batch_means_divided_by_samples",
         _edit("task_3_4", 'total += F.nll_loss(output, target, reduction="sum").item()',
               "total += F.nll_loss(output, target).item()")),
        ("R6-accuracy_in_percent",
         _edit("task_3_4", "return total / seen, correct / seen",
               "return total / seen, 100 * correct / seen")),
    ],
    "task_3_5": [
        ("R5-dead_relus_learn",
         _edit("task_3_5", "tf_dead_relu_learns = False", "tf_dead_relu_learns = True")),
        ("R1-lower_layers_larger",
         _edit("task_3_5", "tf_sigmoid_lower_layers_smaller = True",
               "tf_sigmoid_lower_layers_smaller = False")),
        ("R2-relu_curves_not_closer",
         _edit("task_3_5", "tf_relu_curves_closer = True", "tf_relu_curves_closer = False")),
        ("R3-no_quarter_factor",
         _edit("task_3_5", "tf_sigmoid_factor_quarter = True",
               "tf_sigmoid_factor_quarter = False")),
        ("R4-relu_derivative_false",
         _edit("task_3_5", "tf_relu_derivative = True", "tf_relu_derivative = False")),
        ("R6-large_derivatives_help",
         _edit("task_3_5", "tf_large_derivatives_stabilise = False",
               "tf_large_derivatives_stabilise = True")),
        ("R7-sigmoid_overfits",
         _edit("task_3_5", "tf_sigmoid_overfits = False", "tf_sigmoid_overfits = True")),
        ("R8-relu_always_fixes",
         _edit("task_3_5", "tf_relu_always_fixes = False", "tf_relu_always_fixes = True")),
        ("R9-answer_as_a_string",
         _edit("task_3_5", "tf_relu_derivative = True", 'tf_relu_derivative = "True"')),
    ],
    "task_3_6": [
        ("R3-batch_norm_after_the_activation",
         _edit("task_3_6",
               "        if batch_norm:\n            layers.append(nn.BatchNorm1d(width))\n"
               "        layers.append(act())\n",
               "        layers.append(act())\n        if batch_norm:\n"
               "            layers.append(nn.BatchNorm1d(width))\n")),
        ("R2-depth_counts_the_output_layer",
         _edit("task_3_6", "for _ in range(depth):", "for _ in range(depth - 1):")),
        ("R1-nested_blocks",
         _edit("task_3_6", "    return nn.Sequential(*layers)",
               "    step = 3 if batch_norm else 2\n"
               "    blocks = [nn.Sequential(*layers[i:i + step])\n"
               "              for i in range(0, len(layers) - 1, step)]\n"
               "    return nn.Sequential(*blocks, layers[-1])")),
        ("R2-activation_after_the_output",
         _edit("task_3_6", "    layers.append(nn.Linear(size, out_features))\n",
               "    layers.append(nn.Linear(size, out_features))\n    layers.append(act())\n")),
        ("R2-output_size_hard_coded",
         _edit("task_3_6", "nn.Linear(size, out_features)", "nn.Linear(size, 10)")),
        ("R4-xavier_with_activation_gain",
         _edit("task_3_6", "nn.init.xavier_uniform_(layer.weight)",
               "nn.init.xavier_uniform_(layer.weight, gain=nn.init.calculate_gain(activation))")),
        ("R5-kaiming_with_fan_out",
         _edit("task_3_6", 'nonlinearity="relu")', 'mode="fan_out", nonlinearity="relu")')),
        ("R6-uniform_on_zero_one",
         _edit("task_3_6", "nn.init.uniform_(layer.weight, -1.0, 1.0)",
               "nn.init.uniform_(layer.weight, 0.0, 1.0)")),
        ("R7-output_layer_not_initialised",
         _edit("task_3_6", "    for layer in layers:\n", "    for layer in layers[:-1]:\n")),
        ("R8-biases_left_at_default",
         _edit("task_3_6", "            nn.init.zeros_(layer.bias)\n", "")),
        ("R9-initialises_batch_norm_weights_too",
         _edit("task_3_6", "        if isinstance(layer, nn.Linear):\n",
               "        if isinstance(layer, nn.BatchNorm1d) and init == \"uniform\":\n"
               "            nn.init.uniform_(layer.weight, -1.0, 1.0)\n"
               "        if isinstance(layer, nn.Linear):\n")),
    ],
    "task_3_7": [
        ("R1-last_over_first",
         _edit("task_3_7", "return (first / last).item()", "return (last / first).item()")),
        ("R1-signed_means",
         _edit("task_3_7", "linears[0].weight.grad.abs().mean()", "linears[0].weight.grad.mean()",
               "linears[-1].weight.grad.abs().mean()", "linears[-1].weight.grad.mean()")),
        ("R3-old_gradients_not_cleared",
         _edit("task_3_7", "    model.zero_grad()\n", "")),
        ("R1-bias_gradients",
         _edit("task_3_7", "linears[0].weight.grad", "linears[0].bias.grad",
               "linears[-1].weight.grad", "linears[-1].bias.grad")),
        ("R2-indexes_the_sequential",
         _edit("task_3_7", "[m for m in model.modules() if isinstance(m, nn.Linear)]",
               "[model[0], model[-1]]")),
        ("R2-first_and_last_weight_parameters",
         _edit("task_3_7", "first = linears[0].weight.grad.abs().mean()",
               "weights = [p for n, p in model.named_parameters() if n.endswith('weight')]\n"
               "    first = weights[0].grad.abs().mean()",
               "last = linears[-1].weight.grad.abs().mean()",
               "last = weights[-1].grad.abs().mean()")),
        ("R4-nll_loss_on_logits",
         _edit("task_3_7", "F.cross_entropy(model(X), y)", "F.nll_loss(model(X), y)")),
        ("R5-takes_an_optimizer_step",
         _edit("task_3_7", "    return (first / last).item()",
               "    torch.optim.SGD(model.parameters(), lr=0.1).step()\n"
               "    return (first / last).item()")),
    ],
    "task_3_8": [
        ("R3-standard_deviation_instead_of_variance",
         _edit("task_3_8", "h.var().item()", "h.std().item()")),
        ("R2-variances_used_as_standard_deviations",
         _edit("task_3_8", '"1/d_in": (1 / width) ** 0.5', '"1/d_in": 1 / width',
               '"xavier": (2 / (width + width)) ** 0.5', '"xavier": 2 / (width + width)',
               '"kaiming": (2 / width) ** 0.5', '"kaiming": 2 / width')),
        ("R1-includes_the_input_variance",
         _edit("task_3_8", "    variances = []\n", "    variances = []\n",
               "        h = torch.randn(n, width)\n",
               "        h = torch.randn(n, width)\n        variances.append(h.var().item())\n")),
        ("R2-kaiming_without_the_factor_two",
         _edit("task_3_8", '"kaiming": (2 / width) ** 0.5', '"kaiming": (1 / width) ** 0.5')),
        ("R4-variance_before_the_activation",
         _edit("task_3_8",
               "            h = act(h @ W.T)\n            variances.append(h.var().item())",
               "            z = h @ W.T\n            variances.append(z.var().item())\n"
               "            h = act(z)")),
        ("R5-linear_layers_with_biases",
         _edit("task_3_8",
               "            W = torch.randn(width, width) * std\n            h = act(h @ W.T)\n",
               "            layer = nn.Linear(width, width)\n"
               "            nn.init.normal_(layer.weight, 0.0, std)\n"
               "            h = act(layer(h))\n")),
        ("R6-uniform_inputs",
         _edit("task_3_8", "h = torch.randn(n, width)", "h = torch.rand(n, width)")),
        ("R7-reseeds_inside",
         _edit("task_3_8", "    variances = []\n",
               "    torch.manual_seed(0)\n    variances = []\n")),
        ("R7-numpy_random_draws", """
def activation_variances(init, activation, depth=5, width=512, n=1024):
    variance = {"normal_0.01": 1e-4, "normal_0.1": 1e-2, "1/d_in": 1 / width,
                "xavier": 2 / (2 * width), "kaiming": 2 / width}[init]
    funcs = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0),
             "sigmoid": lambda a: 1 / (1 + np.exp(-a))}
    h = np.random.randn(n, width)
    out = []
    for _ in range(depth):
        W = np.random.randn(width, width) * np.sqrt(variance)
        h = funcs[activation](h @ W.T)
        out.append(float(h.var()))
    return out
"""),
    ],
    "task_3_9": [
        ("R2-fraction_of_zero_activations",
         _edit("task_3_9", "(h == 0).all(dim=0).float().mean()", "(h == 0).float().mean()")),
        ("R2-dead_if_zero_for_any_input",
         _edit("task_3_9", "(h == 0).all(dim=0)", "(h == 0).any(dim=0)")),
        ("R1-one_entry_per_linear_layer",
         _edit("task_3_9", "            if isinstance(layer, nn.ReLU):\n",
               "            if isinstance(layer, nn.Linear):\n",
               "(h == 0).all(dim=0)", "(h <= 0).all(dim=0)")),
        ("R2-dead_if_mean_preactivation_negative",
         _edit("task_3_9",
               "        for layer in model:\n            h = layer(h)\n"
               "            if isinstance(layer, nn.ReLU):\n"
               "                fractions.append((h == 0).all(dim=0).float().mean().item())\n",
               "        for layer in model:\n            if isinstance(layer, nn.ReLU):\n"
               "                fractions.append((h.mean(dim=0) < 0).float().mean().item())\n"
               "            h = layer(h)\n")),
        ("R2-strictly_negative_preactivations",
         _edit("task_3_9",
               "        for layer in model:\n            h = layer(h)\n"
               "            if isinstance(layer, nn.ReLU):\n"
               "                fractions.append((h == 0).all(dim=0).float().mean().item())\n",
               "        for layer in model:\n            if isinstance(layer, nn.ReLU):\n"
               "                fractions.append((h < 0).all(dim=0).float().mean().item())\n"
               "            h = layer(h)\n")),
        ("R3-number_of_units_not_fraction",
         _edit("task_3_9", "(h == 0).all(dim=0).float().mean()",
               "(h == 0).all(dim=0).float().sum()")),
        ("R4-preactivations_of_linear_layers", """
def dead_relu_fraction(model, X):
    result = []
    layers = list(model)
    h = X
    with torch.no_grad():
        for k, layer in enumerate(layers):
            out = layer(h)
            if isinstance(layer, nn.Linear) and k + 1 < len(layers) \\
                    and isinstance(layers[k + 1], nn.ReLU):
                result.append(float((out <= 0).all(0).sum()) / out.shape[1])
            h = out
    return result
"""),
    ],
    "task_3_10": [
        ("R2-leaky_slope_one_at_zero",
         _edit("task_3_10", "torch.where(z > 0, torch.ones_like(z), torch.full_like(z, 0.01))",
               "torch.where(z >= 0, torch.ones_like(z), torch.full_like(z, 0.01))")),
        ("R1-writes_into_z",
         _edit("task_3_10",
               "        return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, 0.01))\n",
               "        negative = z <= 0\n        z[~negative] = 1.0\n        z[negative] = 0.01\n"
               "        return z\n")),
        ("R1-returns_numpy_arrays", """
def activation_grad(name, z):
    z = z.numpy()
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, 0.01)
    if name == "elu":
        return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0)))
    s = 1 / (1 + np.exp(-np.clip(z, -50, 50)))
    if name == "silu":
        return s * (1 + z * (1 - s))
    cdf = 0.5 * (1 + torch.erf(torch.tensor(z) / 2 ** 0.5)).numpy()
    return cdf + z * np.exp(-0.5 * z ** 2) / np.sqrt(2 * np.pi)
"""),
        ("R2-leaky_function_instead_of_derivative",
         _edit("task_3_10", "torch.where(z > 0, torch.ones_like(z), torch.full_like(z, 0.01))",
               "torch.where(z > 0, z, 0.01 * z)")),
        ("R3-elu_mask_product_overflows",
         _edit("task_3_10",
               "torch.where(z > 0, torch.ones_like(z), torch.exp(torch.clamp(z, max=0)))",
               "(z > 0).to(z.dtype) + (z <= 0).to(z.dtype) * torch.exp(z)")),
        ("R3-elu_function_instead_of_derivative",
         _edit("task_3_10", "torch.exp(torch.clamp(z, max=0)))",
               "torch.exp(torch.clamp(z, max=0)) - 1)")),
        ("R4-silu_without_the_product_rule",
         _edit("task_3_10", "return s * (1 + z * (1 - s))", "return s")),
        ("R4-silu_overflows_for_large_negative_z",
         _edit("task_3_10", "        s = torch.sigmoid(z)\n        return s * (1 + z * (1 - s))\n",
               "        e = torch.exp(-z)\n        return 1 / (1 + e) + z * e / (1 + e) ** 2\n")),
        ("R5-gelu_tanh_approximation",
         _edit("task_3_10", "        cdf = 0.5 * (1 + torch.erf(z / 2 ** 0.5))\n",
               "        cdf = 0.5 * (1 + torch.tanh((2 / torch.pi) ** 0.5 * (z + 0.044715 * z ** 3)))\n")),
        ("R5-gelu_without_the_density_term",
         _edit("task_3_10", "return cdf + z * pdf", "return cdf")),
    ],
    "task_3_11": [
        ("R6-batch_statistics_in_evaluation",
         _edit("task_3_11", "    else:\n        mean, var = running_mean, running_var\n",
               "    else:\n        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)\n")),
        ("R5-biased_running_variance",
         _edit("task_3_11", "momentum * var * n / (n - 1)", "momentum * var")),
        ("R1-returns_output_and_statistics",
         _edit("task_3_11", "    return gamma * x_hat + beta",
               "    return gamma * x_hat + beta, mean, var")),
        ("R1-normalises_x_in_place",
         _edit("task_3_11", "    x_hat = (x - mean) / torch.sqrt(var + eps)\n",
               "    x_hat = x.sub_(mean).div_(torch.sqrt(var + eps))\n")),
        ("R2-normalises_each_sample",
         _edit("task_3_11", "        mean = x.mean(dim=0)\n        var = x.var(dim=0, unbiased=False)\n",
               "        mean = x.mean(dim=1, keepdim=True)\n"
               "        var = x.var(dim=1, unbiased=False, keepdim=True)\n",
               "momentum * mean)", "momentum * mean.mean())",
               "momentum * var * n / (n - 1))", "momentum * var.mean() * n / (n - 1))")),
        ("R2-unbiased_variance_for_the_batch",
         _edit("task_3_11", "var = x.var(dim=0, unbiased=False)", "var = x.var(dim=0)",
               "momentum * var * n / (n - 1)", "momentum * var")),
        ("R2-eps_outside_the_square_root",
         _edit("task_3_11", "torch.sqrt(var + eps)", "(torch.sqrt(var) + eps)")),
        ("R3-shift_before_scale",
         _edit("task_3_11", "return gamma * x_hat + beta", "return gamma * (x_hat + beta)")),
        ("R4-momentum_weights_the_old_value",
         _edit("task_3_11", "running_mean.mul_(1 - momentum).add_(momentum * mean)",
               "running_mean.mul_(momentum).add_((1 - momentum) * mean)")),
        ("R4-running_mean_rebound",
         _edit("task_3_11", "running_mean.mul_(1 - momentum).add_(momentum * mean)",
               "running_mean = (1 - momentum) * running_mean + momentum * mean")),
        ("R6-evaluation_updates_the_running_averages",
         _edit("task_3_11", "    else:\n        mean, var = running_mean, running_var\n",
               "    else:\n        with torch.no_grad():\n"
               "            n = x.shape[0]\n"
               "            running_mean.mul_(1 - momentum).add_(momentum * x.mean(dim=0))\n"
               "            running_var.mul_(1 - momentum).add_(momentum * x.var(dim=0))\n"
               "        mean, var = running_mean, running_var\n")),
        ("R7-output_computed_without_gradients",
         _edit("task_3_11", "    x_hat = (x - mean) / torch.sqrt(var + eps)\n"
                            "    return gamma * x_hat + beta",
               "    with torch.no_grad():\n"
               "        return gamma * (x - mean) / torch.sqrt(var + eps) + beta")),
    ],
}

RIGHT = {
    "task_3_1": [
        ("exact_value_and_loop", """
z = np.linspace(-10, 10, 20001)
sigmoid_grad_max = 0.25


def gradient_bound(depth, w_max):
    bound = 1.0
    for _ in range(depth):
        bound *= w_max / 4
    return bound
"""),
        ("autograd_on_a_grid", """
z = torch.linspace(-10, 10, 20001, requires_grad=True)
torch.sigmoid(z).sum().backward()
sigmoid_grad_max = z.grad.max().item()


def gradient_bound(depth, w_max):
    return np.power(w_max / 4.0, depth)
"""),
        ("coarse_grid_through_zero", """
grid = np.linspace(-5, 5, 1001)
sig = 1 / (1 + np.exp(-grid))
sigmoid_grad_max = (sig * (1 - sig)).max()


def gradient_bound(depth, w_max):
    return float(np.prod([sigmoid_grad_max * w_max] * depth))
"""),
    ],
    "task_3_2": [
        ("relu_modules_and_view", """
class ANN_relu(nn.Module):
    def __init__(self, D_in, D_out):
        super().__init__()
        self.D_in = D_in
        self.linear1 = nn.Linear(D_in, 512)
        self.linear2 = nn.Linear(512, 1024)
        self.linear3 = nn.Linear(1024, 512)
        self.linear4 = nn.Linear(512, D_out)
        self.relu = nn.ReLU()
        self.log_softmax = nn.LogSoftmax(dim=1)

    def forward(self, x):
        x = x.view(-1, self.D_in)
        x = self.relu(self.linear1(x))
        x = self.relu(self.linear2(x))
        x = self.relu(self.linear3(x))
        return self.log_softmax(self.linear4(x))
"""),
        ("clamp_and_reshape", """
class ANN_relu(nn.Module):
    def __init__(self, D_in, D_out):
        super(ANN_relu, self).__init__()
        sizes = [D_in, 512, 1024, 512, D_out]
        for k in range(4):
            setattr(self, f"linear{k + 1}", nn.Linear(sizes[k], sizes[k + 1]))

    def forward(self, x):
        h = x.reshape(len(x), -1)
        for layer in (self.linear1, self.linear2, self.linear3):
            h = layer(h).clamp(min=0)
        return torch.log_softmax(self.linear4(h), dim=-1)
"""),
        ("layers_registered_last_first", """
class ANN_relu(nn.Module):
    def __init__(self, D_in, D_out):
        super().__init__()
        self.linear4 = nn.Linear(512, D_out)
        self.linear3 = nn.Linear(1024, 512)
        self.linear2 = nn.Linear(512, 1024)
        self.linear1 = nn.Linear(D_in, 512)

    def forward(self, x):
        x = torch.flatten(x, 1)
        for layer in [self.linear1, self.linear2, self.linear3]:
            x = torch.relu(layer(x))
        return self.linear4(x).log_softmax(1)
"""),
    ],
    "task_3_3": [
        ("model_zero_grad_numpy_and_description", """
def train_epoch(model, loader, optimizer, device, log_interval=100):
    model.train()
    grads = {"linear1": [], "linear2": [], "linear3": []}
    losses, n_correct, n_seen = [], 0, 0
    bar = tqdm(enumerate(loader), total=len(loader), desc="epoch")
    for i, (x, y) in bar:
        x, y = x.to(device), y.to(device)
        model.zero_grad()
        log_probs = model(x)
        loss = F.nll_loss(log_probs, y)
        loss.backward()
        for name in grads:
            g = getattr(model, name).weight.grad.detach().cpu().numpy()
            grads[name].append(float(np.mean(np.abs(g))))
        optimizer.step()
        losses.append(float(loss))
        n_correct += int((log_probs.argmax(1) == y).sum())
        n_seen += y.shape[0]
        if (i + 1) % log_interval == 0:
            bar.set_description(f"loss {loss.item():.3f}")
    return {**grads, "loss": losses, "accuracy": n_correct / n_seen}
"""),
        ("cross_entropy_on_log_probabilities", _edit(
            "task_3_3", "loss = F.nll_loss(output, target)",
            "loss = F.cross_entropy(output, target)")),
        ("tensor_accumulators", _edit(
            "task_3_3", "correct, seen = 0, 0", "correct, seen = torch.tensor(0), 0",
            "correct += (output.argmax(dim=1) == target).sum().item()",
            "correct += (output.argmax(dim=1) == target).sum()",
            'stats["accuracy"] = correct / seen', 'stats["accuracy"] = correct.item() / seen')),
    ],
    "task_3_4": [
        ("mean_loss_times_batch_size", """
def evaluate(model, loader, device):
    model.eval()
    losses, hits, count = [], [], 0
    with torch.inference_mode():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = model(x)
            losses.append(F.nll_loss(out, y).item() * len(y))
            hits.append((out.argmax(1) == y).float().sum().item())
            count += len(y)
    return sum(losses) / count, sum(hits) / count
"""),
        ("gather_and_tensors", """
def evaluate(model, loader, device):
    model.eval()
    total = torch.zeros(())
    correct = torch.zeros(())
    with torch.no_grad():
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            log_probs = model(data)
            total += -log_probs.gather(1, target[:, None]).sum()
            correct += (log_probs.argmax(1) == target).sum()
    n = len(loader.dataset)
    return total.item() / n, correct.item() / n
"""),
    ],
    "task_3_5": [
        ("written_as_expressions", """
tf_sigmoid_lower_layers_smaller = 1 < 2
tf_relu_curves_closer = not False
tf_sigmoid_factor_quarter = True
tf_relu_derivative = bool(1)
tf_dead_relu_learns = 2 < 1
tf_large_derivatives_stabilise = False
tf_sigmoid_overfits = not True
tf_relu_always_fixes = bool(0)
"""),
        ("answers_in_another_order", """
tf_relu_always_fixes = False
tf_sigmoid_overfits = False
tf_large_derivatives_stabilise = False
tf_dead_relu_learns = False
tf_relu_derivative = True
tf_sigmoid_factor_quarter = True
tf_relu_curves_closer = True
tf_sigmoid_lower_layers_smaller = True
"""),
    ],
    "task_3_6": [
        ("xavier_normal_and_apply", """
def make_mlp(depth, width, activation, in_features=64, out_features=10, batch_norm=False,
             init="xavier"):
    def block(n_in):
        parts = [nn.Linear(n_in, width)]
        if batch_norm:
            parts.append(nn.BatchNorm1d(width))
        parts.append({"sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "relu": nn.ReLU()}[activation])
        return parts

    layers = block(in_features)
    for _ in range(depth - 1):
        layers += block(width)
    model = nn.Sequential(*layers, nn.Linear(width, out_features))

    def initialise(m):
        if type(m) is nn.Linear:
            if init == "xavier":
                nn.init.xavier_normal_(m.weight)
            elif init == "kaiming":
                nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
            else:
                nn.init.uniform_(m.weight, a=-1.0, b=1.0)
            nn.init.constant_(m.bias, 0.0)

    model.apply(initialise)
    return model
"""),
        ("manual_initialisation", """
def make_mlp(depth, width, activation, in_features=64, out_features=10, batch_norm=False,
             init="xavier"):
    sizes = [in_features] + [width] * depth
    model = nn.Sequential()
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        model.append(nn.Linear(n_in, n_out))
        if batch_norm:
            model.append(nn.BatchNorm1d(n_out))
        model.append(dict(sigmoid=nn.Sigmoid, tanh=nn.Tanh, relu=nn.ReLU)[activation]())
    model.append(nn.Linear(sizes[-1], out_features))
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                fan_out, fan_in = m.weight.shape
                if init == "xavier":
                    a = (6 / (fan_in + fan_out)) ** 0.5
                    m.weight.uniform_(-a, a)
                elif init == "kaiming":
                    m.weight.normal_(0.0, (2 / fan_in) ** 0.5)
                elif init == "uniform":
                    m.weight.uniform_(-1, 1)
                m.bias.zero_()
    return model
"""),
        ("weights_by_number_of_dimensions", _edit(
            "task_3_6",
            "    for layer in layers:\n        if isinstance(layer, nn.Linear):\n",
            "    for layer in layers:\n        weight = getattr(layer, \"weight\", None)\n"
            "        if weight is not None and weight.dim() == 2:\n")),
    ],
    "task_3_7": [
        ("autograd_grad_with_sum", """
def gradient_ratio(model, X, y):
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    loss = F.cross_entropy(model(X), y, reduction="sum")
    g_first, g_last = torch.autograd.grad(loss, [weights[0], weights[-1]])
    return float(g_first.abs().mean() / g_last.abs().mean())
"""),
        ("log_softmax_and_nll", """
def gradient_ratio(model, X, y):
    for p in model.parameters():
        p.grad = None
    loss = F.nll_loss(F.log_softmax(model(X), dim=1), y)
    loss.backward()
    linear = [layer for layer in model.modules() if isinstance(layer, nn.Linear)]
    first = np.abs(linear[0].weight.grad.numpy()).mean()
    last = np.abs(linear[-1].weight.grad.numpy()).mean()
    return float(first / last)
"""),
        ("two_dimensional_parameters_and_tensor_result", """
def gradient_ratio(model, X, y):
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(X), y).backward()
    matrices = [p.grad for p in model.parameters() if p.dim() == 2]
    return matrices[0].abs().mean() / matrices[-1].abs().mean()
"""),
    ],
    "task_3_8": [
        ("linear_layers_and_biased_variance", """
def activation_variances(init, activation, depth=5, width=512, n=1024):
    act = {"tanh": nn.Tanh(), "relu": nn.ReLU(), "sigmoid": nn.Sigmoid()}[activation]
    x = torch.randn(n, width)
    result = []
    for _ in range(depth):
        layer = nn.Linear(width, width, bias=False)
        if init.startswith("normal_"):
            nn.init.normal_(layer.weight, 0.0, float(init.split("_")[1]))
        elif init == "1/d_in":
            nn.init.normal_(layer.weight, 0.0, width ** -0.5)
        elif init == "xavier":
            nn.init.xavier_normal_(layer.weight)
        else:
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        with torch.no_grad():
            x = act(layer(x))
        result.append(x.var(correction=0).item())
    return torch.tensor(result)
"""),
        ("torch_normal_without_transpose", """
def activation_variances(init, activation, depth=5, width=512, n=1024):
    scales = {"normal_0.01": 0.01, "normal_0.1": 0.1, "1/d_in": width ** -0.5,
              "xavier": (1 / width) ** 0.5, "kaiming": (2 / width) ** 0.5}
    functions = {"tanh": torch.tanh, "relu": F.relu, "sigmoid": torch.sigmoid}
    h = torch.randn(n, width)
    variances = []
    for _ in range(depth):
        W = torch.normal(0.0, scales[init], size=(width, width))
        h = functions[activation](h @ W)
        variances.append(float(torch.var(h)))
    return variances
"""),
    ],
    "task_3_9": [
        ("relu_inputs_never_positive", """
def dead_relu_fraction(model, X):
    inputs = []
    hooks = [m.register_forward_pre_hook(lambda mod, args: inputs.append(args[0]))
             for m in model if isinstance(m, nn.ReLU)]
    with torch.no_grad():
        model(X)
    for hook in hooks:
        hook.remove()
    return [float((a <= 0).all(dim=0).sum()) / a.shape[1] for a in inputs]
"""),
        ("forward_hooks", """
def dead_relu_fraction(model, X):
    outputs = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: outputs.append(out.detach()))
             for m in model.modules() if isinstance(m, nn.ReLU)]
    model(X)
    for hook in hooks:
        hook.remove()
    return [(out.max(dim=0).values == 0).double().mean().item() for out in outputs]
"""),
    ],
    "task_3_10": [
        ("masks_and_special_functions", """
def activation_grad(name, z):
    positive = (z > 0).to(z.dtype)
    if name == "leaky_relu":
        return positive + 0.01 * (1 - positive)
    if name == "elu":
        return positive + (1 - positive) * torch.exp(torch.minimum(z, torch.zeros_like(z)))
    if name == "silu":
        return torch.sigmoid(z) + z * torch.sigmoid(z) * torch.sigmoid(-z)
    if name == "gelu":
        return torch.special.ndtr(z) + z * torch.exp(-z * z / 2) / np.sqrt(2 * np.pi)
"""),
        ("dictionary_of_lambdas_on_a_copy", """
SQRT_2PI = float(np.sqrt(2 * np.pi))
DERIVATIVES = {
    "leaky_relu": lambda z: torch.where(z > 0, 1.0, 0.01).to(z.dtype),
    "elu": lambda z: torch.exp(z.clamp(max=0.0)),
    "silu": lambda z: F.sigmoid(z) * (1 + z * F.sigmoid(-z)),
    "gelu": lambda z: 0.5 * torch.erfc(-z / 2 ** 0.5) + z * torch.exp(-z ** 2 / 2) / SQRT_2PI,
}


def activation_grad(name, z):
    z = z.clone()
    return DERIVATIVES[name](z)
"""),
    ],
    "task_3_11": [
        ("var_mean_and_lerp", """
def batch_norm(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if not training:
        return (x - running_mean) * torch.rsqrt(running_var + eps) * gamma + beta
    var, mean = torch.var_mean(x, dim=0, correction=0)
    n = len(x)
    running_mean.lerp_(mean.detach(), momentum)
    running_var.lerp_(var.detach() * n / (n - 1), momentum)
    return gamma * (x - mean) / (var + eps).sqrt() + beta
"""),
        ("sums_and_slice_assignment", """
def batch_norm(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    N = x.shape[0]
    if training:
        mu = x.sum(dim=0) / N
        centred = x - mu
        sigma2 = (centred ** 2).sum(dim=0) / N
        running_mean[:] = (1 - momentum) * running_mean + momentum * mu.detach()
        running_var[:] = ((1 - momentum) * running_var
                          + momentum * sigma2.detach() * N / (N - 1))
    else:
        centred = x - running_mean
        sigma2 = running_var
    return centred / (sigma2 + eps) ** 0.5 * gamma + beta
"""),
    ],
}
