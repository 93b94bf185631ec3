"""Mistake variants for Assignment 5 (training deep networks in practice).

``WRONG[tag]``: plausible student mistakes, each violating one requirement of the task
(``Task.requirements`` in the spec): its name starts with that requirement's id, e.g.
``"R3-dropout_rate_hard_coded"``. Each must lose points on task ``tag`` only, in a check that
covers its requirement. ``RIGHT[tag]``: correct but differently written cells; each must keep
full marks. Each entry is ``(name, full_cell_source)``. Most wrong variants are the solution's
cell (``BASE``, read from the solution notebook with the solution markers removed) with one
small edit, so each mistake is easy to see.
"""
from variants.kit import edit, edit_in, solution_cells

BASE = solution_cells("assignment_5_training_in_practice.ipynb")


def _edit(tag, *pairs):
    return edit(BASE[tag], *pairs)


def _edit_in(tag, name, *pairs):
    return edit_in(BASE[tag], name, *pairs)


WRONG, RIGHT = {}, {}

# ---------------------------------------------------------------- 5.1 SmallCNN

WRONG["task_5_1"] = [
    ("R1-conv3_kernel_5", _edit(
        "task_5_1", "nn.Conv2d(32, 64, kernel_size=3, padding=1)",
        "nn.Conv2d(32, 64, kernel_size=5, padding=2)")),
    ("R2-unused_batchnorm_left_in", _edit(
        "task_5_1", "        self.conv2 = nn.Conv2d",
        "        self.norm1 = nn.BatchNorm2d(32)  # tried, then left out of forward\n"
        "        self.conv2 = nn.Conv2d")),
    ("R3-dropout_rate_hard_coded", _edit("task_5_1", "nn.Dropout(dropout)", "nn.Dropout(0.3)")),
    ("R4-log_softmax_output", _edit("task_5_1", "return self.fc2(x)",
                                    "return F.log_softmax(self.fc2(x), dim=1)")),
    ("R4-flatten_channels_last", _edit("task_5_1", "x.flatten(start_dim=1)",
                                       "x.permute(0, 2, 3, 1).flatten(start_dim=1)")),
    ("R4-no_relu_after_conv4", _edit("task_5_1", "F.max_pool2d(F.relu(self.conv4(x)), 2)",
                                     "F.max_pool2d(self.conv4(x), 2)")),
    ("R5-squeezed_output", _edit("task_5_1", "return self.fc2(x)",
                                 "return self.fc2(x).squeeze()")),
    ("R6-dropout_before_fc1", _edit(
        "task_5_1", "x = self.dropout(F.relu(self.fc1(x.flatten(start_dim=1))))",
        "x = F.relu(self.fc1(self.dropout(x.flatten(start_dim=1))))")),
    ("R6-dropout_always_on", _edit(
        "task_5_1", "x = self.dropout(F.relu(self.fc1(x.flatten(start_dim=1))))",
        "x = F.dropout(F.relu(self.fc1(x.flatten(start_dim=1))), self.dropout.p)")),
    ("R7-fc2_ignores_n_classes", _edit("task_5_1", "nn.Linear(128, n_classes)",
                                       "nn.Linear(128, 10)")),
]

RIGHT["task_5_1"] = [
    ("modules_for_relu_pool_and_flatten", '''
class SmallCNN(nn.Module):
    def __init__(self, n_classes=10, dropout=0.3):
        super(SmallCNN, self).__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 32, 3, padding=1)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv4 = nn.Conv2d(64, 64, 3, padding=1)
        self.fc1 = nn.Linear(1024, 128)
        self.fc2 = nn.Linear(128, n_classes)
        self.dropout = nn.Dropout(p=dropout)
        self.relu = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = self.relu(self.conv3(x))
        x = self.pool(self.relu(self.conv4(x)))
        x = self.relu(self.fc1(self.flatten(x)))
        return self.fc2(self.dropout(x))
'''),
    ("functional_calls_and_reshape", '''
class SmallCNN(nn.Module):
    def __init__(self, n_classes=10, dropout=0.3):
        super().__init__()
        channels = [3, 32, 32, 64, 64]
        for k in range(4):
            setattr(self, f"conv{k + 1}", nn.Conv2d(channels[k], channels[k + 1],
                                                    kernel_size=(3, 3), padding=(1, 1)))
        self.fc1 = nn.Linear(64 * 4 * 4, 128)
        self.fc2 = nn.Linear(128, n_classes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.conv1(x)), kernel_size=2)
        x = F.max_pool2d(self.conv2(x).relu(), 2)
        x = F.relu(self.conv4(F.relu(self.conv3(x))))
        x = torch.flatten(F.max_pool2d(x, 2), 1)
        x = F.relu(self.fc1(x), inplace=True)
        x = F.dropout(x, p=self.dropout.p, training=self.training)
        return self.fc2(x.reshape(x.size(0), -1))
'''),
]

# ---------------------------------------------------------------- 5.2 train_epoch, evaluate

_EVALUATE_MEAN_OF_MEANS = '''    model.eval()
    losses, correct, seen = [], 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            losses.append(F.cross_entropy(logits, y).item())
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += len(y)
    return sum(losses) / len(losses), correct / seen
'''

WRONG["task_5_2"] = [
    ("R1-no_model_train", _edit_in("task_5_2", "train_epoch", "    model.train()\n", "")),
    ("R2-batches_not_moved", _edit_in(
        "task_5_2", "train_epoch", "        x, y = x.to(device), y.to(device)\n", "")),
    ("R3-zero_grad_after_the_step", _edit_in(
        "task_5_2", "train_epoch",
        "        optimizer.zero_grad()\n", "",
        "        optimizer.step()\n", "        optimizer.step()\n        optimizer.zero_grad()\n")),
    ("R4-summed_loss", _edit_in(
        "task_5_2", "train_epoch",
        "loss = F.cross_entropy(logits, y)", 'loss = F.cross_entropy(logits, y, reduction="sum")',
        "total_loss += loss.item() * len(y)", "total_loss += loss.item()")),
    ("R4-one_step_after_the_loop", _edit_in(
        "task_5_2", "train_epoch",
        "        optimizer.step()\n", "",
        "    return total_loss / seen", "    optimizer.step()\n    return total_loss / seen")),
    ("R5-bar_left_on_screen", _edit("task_5_2", "leave=False", "leave=True")),
    ("R5-no_desc", _edit("task_5_2", "tqdm(loader, desc=desc, leave=False)",
                         "tqdm(loader, leave=False)")),
    ("R5-shows_the_batch_loss", _edit(
        "task_5_2", 'progress.set_postfix(loss=f"{total_loss / seen:.3f}")',
        "progress.set_postfix(loss=loss.item())")),
    ("R6-returns_tensors", _edit_in(
        "task_5_2", "train_epoch", "total_loss += loss.item() * len(y)",
        "total_loss += loss.detach() * len(y)")),
    ("R7-mean_of_batch_means", _edit_in(
        "task_5_2", "train_epoch",
        "total_loss += loss.item() * len(y)", "total_loss += loss.item()",
        "return total_loss / seen, correct / seen",
        "return total_loss / len(loader), correct / seen")),
    ("R8-accuracy_after_the_step", _edit_in(
        "task_5_2", "train_epoch", "correct += (logits.argmax(dim=1) == y).sum().item()",
        "with torch.no_grad():\n"
        "            correct += (model(x).argmax(dim=1) == y).sum().item()")),
    ("R8-accuracy_of_the_last_batch", _edit_in(
        "task_5_2", "train_epoch", "return total_loss / seen, correct / seen",
        "return total_loss / seen, (logits.argmax(dim=1) == y).float().mean().item()")),
    ("R9-evaluate_without_eval", _edit_in("task_5_2", "evaluate", "    model.eval()\n", "")),
    ("R10-evaluate_with_autograd", _edit_in("task_5_2", "evaluate", "with torch.no_grad():",
                                            "with torch.enable_grad():")),
    ("R11-evaluate_clears_gradients", _edit_in(
        "task_5_2", "evaluate", "    model.eval()\n", "    model.eval()\n    model.zero_grad()\n")),
    ("R12-evaluate_mean_of_batch_means", BASE["task_5_2"].split("    model.eval()\n")[0]
     + _EVALUATE_MEAN_OF_MEANS),
]

RIGHT["task_5_2"] = [
    ("summed_loss_and_model_zero_grad", '''
def train_epoch(model, loader, optimizer, device, desc="train"):
    model.train()
    loss_sum, hits, count = 0.0, 0, 0
    bar = tqdm(loader, desc, leave=False)
    for step, (inputs, targets) in enumerate(bar):
        inputs = inputs.to(device, non_blocking=True)
        targets = targets.to(device=device)
        model.zero_grad(set_to_none=False)
        logits = model(inputs)
        batch_sum = F.cross_entropy(logits, targets, reduction="sum")
        (batch_sum / targets.shape[0]).backward()
        optimizer.step()
        loss_sum += batch_sum.item()
        hits += int(torch.eq(logits.argmax(1), targets).sum())
        count += targets.numel()
        if step % 2 == 0:
            bar.set_postfix({"loss": loss_sum / count})
    return loss_sum / count, hits / count


def evaluate(model, loader, device):
    model.eval()
    loss_sum, hits, count = 0.0, 0, 0
    with torch.inference_mode():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            logits = model(inputs)
            loss_sum += F.cross_entropy(logits, targets, reduction="sum").item()
            hits += (logits.argmax(1) == targets).float().sum().item()
            count += len(targets)
    return float(loss_sum / count), float(hits / count)
'''),
    ("collected_logits", '''
def train_epoch(model, loader, optimizer, device, desc="train"):
    model.train()
    losses, sizes, right = [], [], 0
    with tqdm(loader, desc=desc, leave=False) as progress:
        for x, y in progress:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad(set_to_none=True)
            out = model(x)
            loss = F.cross_entropy(out, y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            sizes.append(len(y))
            right += (out.argmax(dim=1) == y).sum().item()
            progress.set_postfix_str(f"loss {np.average(losses, weights=sizes):.3f}")
    return float(np.average(losses, weights=sizes)), right / sum(sizes)


def evaluate(model, loader, device):
    model.eval()
    with torch.no_grad():
        pairs = [(model(x.to(device)), y.to(device)) for x, y in loader]
    logits = torch.cat([p for p, _ in pairs])
    labels = torch.cat([y for _, y in pairs])
    loss = F.cross_entropy(logits, labels).item()
    return loss, (logits.argmax(dim=1) == labels).double().mean().item()
'''),
]

# ---------------------------------------------------------------- 5.3 log_epoch

WRONG["task_5_3"] = [
    ("R1-skips_metrics_that_are_not_finite", _edit(
        "task_5_3",
        "        writer.add_scalar(tag, float(value), global_step=epoch)\n",
        "        if math.isfinite(value):\n"
        "            writer.add_scalar(tag, float(value), global_step=epoch)\n")),
    ("R2-weights_tag_without_prefix", _edit(
        "task_5_3", 'writer.add_histogram(f"{kind}/{name}"',
        'writer.add_histogram(name if kind == "weights" else f"{kind}/{name}"')),
    ("R3-gradients_without_a_none_check", _edit(
        "task_5_3",
        '        tensors = [("weights", param)]\n'
        "        if param.grad is not None:\n"
        '            tensors.append(("gradients", param.grad))\n',
        '        tensors = [("weights", param), ("gradients", param.grad)]\n')),
    ("R4-nan_histograms_not_skipped", _edit(
        "task_5_3", "            if torch.isfinite(values).all():\n",
        "            if values.numel() > 0:\n")),
    ("R5-frozen_parameters_logged", _edit(
        "task_5_3", "        if not param.requires_grad:\n            continue\n", "")),
    ("R6-histograms_without_step", _edit(
        "task_5_3", "values, global_step=epoch)", "values)")),
    ("R7-no_flush", _edit("task_5_3", "    writer.flush()\n", "")),
    ("R8-closes_the_writer", _edit("task_5_3", "    writer.flush()\n", "    writer.close()\n")),
    ("R9-clears_the_gradients", _edit("task_5_3", "    writer.flush()\n",
                                      "    model.zero_grad()\n    writer.flush()\n")),
]

RIGHT["task_5_3"] = [
    ("numpy_checks_and_auto_bins", '''
def log_epoch(writer, model, epoch, metrics):
    for tag in metrics:
        writer.add_scalar(tag, float(metrics[tag]), epoch)
    for name, param in model.named_parameters():
        if param.requires_grad:
            weights = param.data.cpu().numpy()
            if np.isfinite(weights).all():
                writer.add_histogram("weights/" + name, weights, epoch, bins="auto")
            if param.grad is not None:
                grads = param.grad.cpu().numpy()
                if np.isfinite(grads).all():
                    writer.add_histogram("gradients/" + name, grads, epoch, bins="auto")
    writer.flush()
'''),
    ("helper_and_isnan_isinf", '''
def _finite(t):
    return not (t.isnan().any() or t.isinf().any())


def log_epoch(writer, model, epoch, metrics):
    for tag, value in metrics.items():
        writer.add_scalar(tag, value, global_step=epoch)
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    for name, p in trainable:
        with torch.no_grad():
            if _finite(p):
                writer.add_histogram(tag=f"weights/{name}", values=p.detach(), global_step=epoch)
            g = p.grad
            if g is not None and _finite(g):
                writer.add_histogram(tag=f"gradients/{name}", values=g, global_step=epoch)
    writer.flush()
    return None
'''),
]

# ---------------------------------------------------------------- 5.4 the rate search

WRONG["task_5_4"] = [
    ("R1-returns_an_array", _edit(
        "task_5_4", "return [float(low * (high / low) ** (i / (n - 1))) for i in range(n)]",
        "return np.geomspace(low, high, n)")),
    ("R1-numpy_floats", _edit(
        "task_5_4", "return [float(low * (high / low) ** (i / (n - 1))) for i in range(n)]",
        "return list(np.geomspace(low, high, n))")),
    ("R2-linear_grid", _edit(
        "task_5_4", "return [float(low * (high / low) ** (i / (n - 1))) for i in range(n)]",
        "return np.linspace(low, high, n).tolist()")),
    ("R3-seeds_once", _edit(
        "task_5_4",
        "    results = {}\n    for rate in rates:\n        torch.manual_seed(seed)\n",
        "    results = {}\n    torch.manual_seed(seed)\n    for rate in rates:\n")),
    ("R4-adam", _edit("task_5_4", "torch.optim.RMSprop(model.parameters(), lr=rate)",
                      "torch.optim.Adam(model.parameters(), lr=rate)")),
    ("R4-rmsprop_with_momentum", _edit(
        "task_5_4", "torch.optim.RMSprop(model.parameters(), lr=rate)",
        "torch.optim.RMSprop(model.parameters(), lr=rate, momentum=0.9)")),
    ("R5-trains_twice_per_rate", _edit(
        "task_5_4", "        results[rate] = train_fn(model, optimizer)\n",
        "        train_fn(model, optimizer)  # a warm-up run\n"
        "        results[rate] = train_fn(model, optimizer)\n")),
    ("R6-copies_the_histories", _edit(
        "task_5_4", "results[rate] = train_fn(model, optimizer)",
        "results[rate] = dict(train_fn(model, optimizer))")),
    ("R7-last_value", _edit(
        "task_5_4", "finite = [v for v in history[key] if math.isfinite(v)]",
        "finite = [v for v in history[key][-1:] if math.isfinite(v)]")),
    ("R8-nan_not_filtered", _edit(
        "task_5_4", "finite = [v for v in history[key] if math.isfinite(v)]",
        "finite = list(history[key])")),
    ("R9-ties_go_to_the_last", _edit("task_5_4", "min(finite) < best_score",
                                     "min(finite) <= best_score")),
    ("R10-filters_in_place", _edit(
        "task_5_4", "finite = [v for v in history[key] if math.isfinite(v)]",
        "history[key][:] = [v for v in history[key] if math.isfinite(v)]\n"
        "        finite = history[key]")),
    ("R11-returns_none", _edit(
        "task_5_4", '        raise ValueError(f"no finite value of {key!r} in any history")\n',
        "        return None\n")),
]

RIGHT["task_5_4"] = [
    ("geomspace_and_min_with_a_key", '''
def geometric_rates(low, high, n):
    return np.geomspace(low, high, n).tolist()


def lr_search(make_model, train_fn, rates, seed=0):
    histories = {}
    for lr in rates:
        torch.manual_seed(seed)
        net = make_model()
        histories[lr] = train_fn(net, torch.optim.RMSprop(params=net.parameters(), lr=lr))
    return histories


def best_rate(results, key="val_loss"):
    scores = {}
    for rate, history in results.items():
        finite = [v for v in history[key] if np.isfinite(v)]
        if finite:
            scores[rate] = min(finite)
    if not scores:
        raise ValueError("no finite values")
    return min(scores, key=scores.get)    # the first of equal scores wins
'''),
    ("logspace_and_sorted", '''
def geometric_rates(low, high, n):
    return [float(x) for x in np.logspace(math.log10(low), math.log10(high), n)]


def lr_search(make_model, train_fn, rates, seed=0):
    out = dict()
    for i in range(len(rates)):
        torch.manual_seed(seed)
        model = make_model()
        out[rates[i]] = train_fn(model, torch.optim.RMSprop(model.parameters(), rates[i]))
    return out


def best_rate(results, key="val_loss"):
    ranked = []
    for position, (rate, history) in enumerate(results.items()):
        values = [v for v in history[key] if not (math.isnan(v) or math.isinf(v))]
        if values:
            ranked.append((min(values), position, rate))
    if len(ranked) == 0:
        raise ValueError(f"no finite {key}")
    return sorted(ranked)[0][2]
'''),
]

# ---------------------------------------------------------------- 5.5 the schedule

WRONG["task_5_5"] = [
    ("R1-hand_made_scheduler", '''
class Exponential:
    def __init__(self, optimizer, gamma):
        self.optimizer, self.gamma = optimizer, gamma

    def step(self):
        for group in self.optimizer.param_groups:
            group["lr"] *= self.gamma


def make_exponential_scheduler(optimizer, final_factor, epochs):
    return Exponential(optimizer, final_factor ** (1 / epochs))
'''),
    ("R2-gamma_is_the_final_factor", _edit("task_5_5", "gamma=final_factor ** (1 / epochs)",
                                           "gamma=final_factor")),
    ("R2-step_schedule", _edit(
        "task_5_5", "torch.optim.lr_scheduler.ExponentialLR(optimizer, "
                    "gamma=final_factor ** (1 / epochs))",
        "torch.optim.lr_scheduler.StepLR(optimizer, step_size=epochs, gamma=final_factor)")),
    ("R3-one_lambda_for_one_group", _edit(
        "task_5_5", "torch.optim.lr_scheduler.ExponentialLR(optimizer, "
                    "gamma=final_factor ** (1 / epochs))",
        "torch.optim.lr_scheduler.LambdaLR(optimizer, [lambda k: final_factor ** (k / epochs)])")),
    ("R4-takes_an_optimizer_step", _edit(
        "task_5_5", "    return torch.optim.lr_scheduler.ExponentialLR(",
        "    optimizer.step()  # avoids the warning about stepping the scheduler first\n"
        "    return torch.optim.lr_scheduler.ExponentialLR(")),
]

RIGHT["task_5_5"] = [
    ("lambda_schedule", '''
def make_exponential_scheduler(optimizer, final_factor, epochs):
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_lambda=lambda step: final_factor ** (step / epochs))
'''),
    ("multiplicative_schedule", '''
def make_exponential_scheduler(optimizer, final_factor, epochs):
    gamma = math.exp(math.log(final_factor) / epochs)
    return torch.optim.lr_scheduler.MultiplicativeLR(optimizer, lambda epoch: gamma)
'''),
]

# ---------------------------------------------------------------- 5.6 early stopping

WRONG["task_5_6"] = [
    ("R1-ties_improve", _edit("task_5_6", "if val_loss < self.best_loss - self.min_delta:",
                              "if val_loss <= self.best_loss - self.min_delta:")),
    ("R1-nan_counts_as_improvement", _edit(
        "task_5_6", "if val_loss < self.best_loss - self.min_delta:",
        "if not val_loss >= self.best_loss - self.min_delta:")),
    ("R2-keeps_the_tensor", _edit("task_5_6", "self.best_loss = float(val_loss)",
                                  "self.best_loss = val_loss")),
    ("R2-best_epoch_counts_from_one", _edit("task_5_6", "self.best_epoch = self.epochs",
                                            "self.best_epoch = self.epochs + 1")),
    ("R3-no_folder_made", _edit(
        "task_5_6", "            self.path.parent.mkdir(parents=True, exist_ok=True)\n", "")),
    ("R4-saves_the_whole_module", _edit(
        "task_5_6", "torch.save(model.state_dict(), self.path)", "torch.save(model, self.path)",
        "model.load_state_dict(torch.load(self.path, map_location=\"cpu\"))",
        "model.load_state_dict(torch.load(self.path, map_location=\"cpu\", "
        "weights_only=False).state_dict())")),
    ("R5-saves_every_epoch", _edit(
        "task_5_6",
        "            torch.save(model.state_dict(), self.path)\n        else:\n"
        "            self.counter += 1\n",
        "        else:\n            self.counter += 1\n"
        "        self.path.parent.mkdir(parents=True, exist_ok=True)\n"
        "        torch.save(model.state_dict(), self.path)\n")),
    ("R6-epochs_counted_on_improvements", _edit(
        "task_5_6",
        "            self.counter += 1\n        self.epochs += 1\n",
        "            self.counter += 1\n",
        "            self.counter = 0\n",
        "            self.counter = 0\n            self.epochs += 1\n")),
    ("R7-stops_one_epoch_late", _edit("task_5_6", "return self.counter >= self.patience",
                                      "return self.counter > self.patience")),
    ("R8-restores_a_copy_kept_in_memory", _edit(
        "task_5_6",
        "            torch.save(model.state_dict(), self.path)\n",
        "            torch.save(model.state_dict(), self.path)\n"
        "            self.best_state = {k: v.detach().clone() "
        "for k, v in model.state_dict().items()}\n",
        "model.load_state_dict(torch.load(self.path, map_location=\"cpu\"))",
        "model.load_state_dict(self.best_state)")),
]

_ES_INIT = BASE["task_5_6"][:BASE["task_5_6"].index("    def step(")]

RIGHT["task_5_6"] = [
    ("makedirs_and_explicit_bool", _ES_INIT + '''    def step(self, val_loss, model):
        improved = val_loss < self.best_loss - self.min_delta
        self.epochs += 1
        if improved:
            self.best_loss, self.best_epoch, self.counter = float(val_loss), self.epochs - 1, 0
            os.makedirs(self.path.parent, exist_ok=True)
            torch.save({k: v.detach().clone() for k, v in model.state_dict().items()},
                       str(self.path))
        else:
            self.counter = self.counter + 1
        return bool(self.counter >= self.patience)

    def restore(self, model):
        state = torch.load(self.path, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        return model
'''),
    ("math_checks", _ES_INIT + '''    def step(self, val_loss, model):
        loss = float(val_loss)
        if not math.isnan(loss) and loss < self.best_loss - self.min_delta:
            self.best_loss = loss
            self.best_epoch = self.epochs
            self.counter = 0
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "wb") as file:
                torch.save(model.state_dict(), file)
        else:
            self.counter += 1
        self.epochs += 1
        return self.counter >= self.patience

    def restore(self, model):
        with open(self.path, "rb") as file:
            model.load_state_dict(torch.load(file, map_location=torch.device("cpu")))
        return model
'''),
]

# ---------------------------------------------------------------- 5.7 four classes

WRONG["task_5_7"] = [
    ("R1-cat_and_truck_swapped", _edit(
        "task_5_7", "mapping[AUTOMOBILE], mapping[CAT], mapping[TRUCK] = 0, 1, 2",
        "mapping[AUTOMOBILE], mapping[CAT], mapping[TRUCK] = 0, 2, 1")),
    ("R2-float_labels", _edit("task_5_7", "return mapping[labels]",
                              "return mapping[labels].float()")),
    ("R2-rebuilt_from_a_list", _edit(
        "task_5_7", "    return mapping[labels]\n",
        "    new = [mapping[v].item() for v in labels.flatten().tolist()]\n"
        "    return torch.tensor(new).reshape(labels.shape)  # int64, unless empty\n")),
    ("R3-relabels_in_place", _edit("task_5_7", "    return mapping[labels]\n",
                                   "    labels.copy_(mapping[labels])\n    return labels\n")),
    ("R4-softmax_over_the_rows", _edit("task_5_7", "F.softmax(logits, dim=1)",
                                       "F.softmax(logits, dim=0)")),
    ("R5-other_first", _edit("task_5_7", "torch.cat([kept, other], dim=1)",
                             "torch.cat([other, kept], dim=1)")),
    ("R6-always_float32", _edit("task_5_7", "return torch.cat([kept, other], dim=1)",
                                "return torch.cat([kept, other], dim=1).float()")),
    ("R7-keeps_the_graph", _edit("task_5_7", "    with torch.no_grad():\n        p = F.softmax",
                                 "    if True:\n        p = F.softmax")),
]

RIGHT["task_5_7"] = [
    ("where_and_detach", '''
AUTOMOBILE, CAT, TRUCK = 1, 3, 9
FOUR_CLASSES = ["car", "cat", "truck", "other"]


def relabel(labels):
    out = torch.full_like(labels, 3)
    out = torch.where(labels == AUTOMOBILE, torch.zeros_like(labels), out)
    out = torch.where(labels == CAT, torch.ones_like(labels), out)
    return torch.where(labels == TRUCK, torch.full_like(labels, 2), out)


def merge_probabilities(logits):
    p = logits.detach().softmax(dim=1)
    kept = torch.stack([p[:, AUTOMOBILE], p[:, CAT], p[:, TRUCK]], dim=1)
    return torch.cat([kept, 1 - kept.sum(dim=1, keepdim=True)], dim=1)
'''),
    ("lookup_tensor_and_mask", '''
AUTOMOBILE, CAT, TRUCK = 1, 3, 9
FOUR_CLASSES = ["car", "cat", "truck", "other"]
NEW_LABEL = [3, 0, 3, 1, 3, 3, 3, 3, 3, 2]


def relabel(labels):
    return torch.tensor(NEW_LABEL, dtype=torch.long, device=labels.device)[labels]


@torch.no_grad()
def merge_probabilities(logits):
    p = torch.exp(F.log_softmax(logits, dim=1))
    others = torch.ones(10, dtype=torch.bool, device=logits.device)
    others[[AUTOMOBILE, CAT, TRUCK]] = False
    columns = [p[:, AUTOMOBILE], p[:, CAT], p[:, TRUCK], p[:, others].sum(dim=1)]
    return torch.stack(columns, dim=1)
'''),
]

# ---------------------------------------------------------------- 5.8 freezing

WRONG["task_5_8"] = [
    ("R1-reseeds_before_the_new_layer", _edit(
        "task_5_8", "    model.fc2 = nn.Linear(",
        "    torch.manual_seed(0)  # reproducible head\n    model.fc2 = nn.Linear(")),
    ("R1-ignores_n_classes", _edit("task_5_8", "nn.Linear(model.fc2.in_features, n_classes)",
                                   "nn.Linear(model.fc2.in_features, 10)")),
    ("R2-new_layer_left_on_the_cpu", _edit(
        "task_5_8", "nn.Linear(model.fc2.in_features, n_classes).to(device)",
        "nn.Linear(model.fc2.in_features, n_classes)")),
    ("R3-conv4_left_trainable", _edit("task_5_8", '("conv1", "conv2", "conv3", "conv4")',
                                      '("conv1", "conv2", "conv3")')),
    ("R4-only_fc2_trainable", _edit(
        "task_5_8", "list(model.fc1.parameters()) + list(model.fc2.parameters())",
        "list(model.fc2.parameters())",
        '("conv1", "conv2", "conv3", "conv4")', '("conv1", "conv2", "conv3", "conv4", "fc1")')),
    ("R5-reinitialises_fc1", _edit_in(
        "task_5_8", "prepare_transfer", "    return model\n",
        "    model.fc1.reset_parameters()  # a fresh head\n    return model\n")),
    ("R6-returns_a_generator", _edit(
        "task_5_8", "return [param for param in model.parameters() if param.requires_grad]",
        "return (param for param in model.parameters() if param.requires_grad)")),
]

RIGHT["task_5_8"] = [
    ("named_parameters_and_filter", '''
def prepare_transfer(model, n_classes=4):
    old = model.fc2
    model.fc2 = nn.Linear(old.in_features, n_classes, device=old.weight.device)
    for name, param in model.named_parameters():
        param.requires_grad_(not name.startswith("conv"))
    return model


def trainable_parameters(model):
    return list(filter(lambda p: p.requires_grad, model.parameters()))
'''),
    ("layer_by_layer", '''
def prepare_transfer(model, n_classes=4):
    for layer in (model.conv1, model.conv2, model.conv3, model.conv4):
        layer.requires_grad_(False)
    head = nn.Linear(model.fc1.out_features, n_classes)
    model.fc2 = head.to(next(model.fc2.parameters()).device)
    model.fc1.requires_grad_(True)
    return model


def trainable_parameters(model):
    found = []
    for p in model.parameters():
        if p.requires_grad:
            found.append(p)
    return found
'''),
]

# ---------------------------------------------------------------- 5.9 fine-tuning

WRONG["task_5_9"] = [
    ("R1-conv3_left_frozen", _edit(
        "task_5_9", "    for param in conv:\n        param.requires_grad = True\n",
        "    for param in model.conv4.parameters():\n        param.requires_grad = True\n")),
    ("R2-unfreezes_every_layer", _edit(
        "task_5_9", "    for param in conv:\n",
        "    for param in model.parameters():\n")),
    ("R3-reinitialises_conv3", _edit(
        "task_5_9", "    head = list(", "    model.conv3.reset_parameters()  # start it afresh\n"
        "    head = list(")),
    ("R4-one_group", _edit(
        "task_5_9",
        '    return torch.optim.RMSprop([{"params": conv, "lr": lr_conv},\n'
        '                                {"params": head, "lr": lr_head}])',
        "    return torch.optim.RMSprop(conv + head, lr=lr_head)")),
    ("R4-adam", _edit("task_5_9", "torch.optim.RMSprop(", "torch.optim.Adam(")),
    ("R5-conv4_before_conv3", _edit(
        "task_5_9", "list(model.conv3.parameters()) + list(model.conv4.parameters())",
        "list(model.conv4.parameters()) + list(model.conv3.parameters())")),
    ("R6-head_at_the_conv_rate", _edit('task_5_9', '{"params": head, "lr": lr_head}',
                                       '{"params": head, "lr": lr_conv}')),
    ("R7-momentum_added", _edit("task_5_9", '{"params": head, "lr": lr_head}])',
                                '{"params": head, "lr": lr_head}], momentum=0.9)')),
]

RIGHT["task_5_9"] = [
    ("default_rate_for_the_head", '''
def unfreeze_top(model, lr_conv, lr_head):
    model.conv3.requires_grad_(True)
    model.conv4.requires_grad_(True)
    groups = [{"params": [*model.conv3.parameters(), *model.conv4.parameters()],
               "lr": lr_conv},
              {"params": [*model.fc1.parameters(), *model.fc2.parameters()]}]
    return torch.optim.RMSprop(groups, lr=lr_head)
'''),
    ("groups_added_one_by_one", '''
def unfreeze_top(model, lr_conv, lr_head):
    conv = []
    for layer in [model.conv3, model.conv4]:
        for p in layer.parameters():
            p.requires_grad = True
            conv.append(p)
    optimizer = torch.optim.RMSprop(conv, lr=lr_conv)
    optimizer.add_param_group({"params": list(model.fc1.parameters())
                               + list(model.fc2.parameters()), "lr": lr_head})
    return optimizer
'''),
]

# ---------------------------------------------------------------- 5.10 cross-entropy

WRONG["task_5_10"] = [
    ("R1-width_from_the_labels", _edit(
        "task_5_10",
        "    targets = torch.zeros(len(y), n_classes, dtype=torch.float32)\n"
        "    targets[torch.arange(len(y)), y] = 1.0\n    return targets\n",
        "    return F.one_hot(y).float()\n")),
    ("R2-unsqueezes_the_input_in_place", _edit(
        "task_5_10", "    targets[torch.arange(len(y)), y] = 1.0\n",
        "    targets.scatter_(1, y.unsqueeze_(1), 1.0)\n")),
    ("R3-sum_over_rows", _edit("task_5_10", "return -(targets * log_p).sum(dim=1).mean()",
                               "return -(targets * log_p).sum()")),
    ("R4-log_of_softmax", _edit(
        "task_5_10", "log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)",
        "log_p = torch.log(torch.softmax(logits, dim=1))")),
    ("R5-class_of_the_largest_target", _edit(
        "task_5_10", "return -(targets * log_p).sum(dim=1).mean()",
        "return -log_p.gather(1, targets.argmax(dim=1, keepdim=True)).mean()")),
    ("R6-detached", _edit("task_5_10",
                          "log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)",
                          "log_p = (logits - torch.logsumexp(logits, dim=1, keepdim=True))"
                          ".detach()")),
]

RIGHT["task_5_10"] = [
    ("library_calls", '''
def one_hot(y, n_classes):
    return F.one_hot(y, num_classes=n_classes).float()


def softmax_cross_entropy(logits, targets):
    return F.cross_entropy(logits, targets)
'''),
    ("eye_and_log_softmax", '''
def one_hot(y, n_classes):
    return torch.eye(n_classes)[y]


def softmax_cross_entropy(logits, targets):
    log_p = F.log_softmax(logits, dim=1)
    return -(targets * log_p).sum() / len(logits)
'''),
]

# ---------------------------------------------------------------- 5.11 the study

WRONG["task_5_11"] = [
    ("R1-base_last", _edit(
        "task_5_11", "    grid = [dict(base)]\n", "    grid = []\n",
        "                grid.append({**base, setting: value})\n    return grid\n",
        "                grid.append({**base, setting: value})\n"
        "    return grid + [dict(base)]\n")),
    ("R2-full_grid", '''
import itertools


def one_factor_grid(base, options):
    grid = [dict(base)]
    names = list(options)
    for values in itertools.product(*(options[n] for n in names)):
        config = {**base, **dict(zip(names, values))}
        if config != base:
            grid.append(config)
    return grid
''' + BASE["task_5_11"][BASE["task_5_11"].index("def summarise_study"):]),
    ("R3-base_value_repeated", _edit("task_5_11", "            if value != base[setting]:\n"
                                     "                grid.append", "            if True:\n"
                                     "                grid.append")),
    ("R4-base_itself_first", _edit("task_5_11", "grid = [dict(base)]", "grid = [base]")),
    ("R5-sorted_configurations", _edit("task_5_11", "for config, values in groups.items():",
                                       "for config, values in sorted(groups.items()):")),
    ("R6-population_std", _edit(
        "task_5_11", '"std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0',
        '"std": float(np.std(values))')),
    ("R7-metric_ignored", _edit("task_5_11", "float(record[metric])",
                                'float(record["val_acc"])')),
]

RIGHT["task_5_11"] = [
    ("deepcopy_and_statistics", '''
import copy
import statistics
from collections import defaultdict


def one_factor_grid(base, options):
    grid = [copy.deepcopy(base)]
    for setting in options:
        for value in options[setting]:
            if value == base[setting]:
                continue
            config = copy.deepcopy(base)
            config[setting] = value
            grid.append(config)
    return grid


def summarise_study(records, keys, metric="val_acc"):
    groups = defaultdict(list)
    for record in records:
        groups[tuple(record[k] for k in keys)].append(record[metric])
    rows = []
    for config, values in groups.items():
        row = dict(zip(keys, config))
        row["n"] = len(values)
        row["mean"] = float(statistics.mean(values))
        row["std"] = float(statistics.stdev(values)) if len(values) >= 2 else 0.0
        rows.append(row)
    return rows
'''),
    ("comprehensions", '''
def one_factor_grid(base, options):
    return [dict(base)] + [dict(base, **{s: v}) for s, values in options.items()
                           for v in values if v != base[s]]


def summarise_study(records, keys, metric="val_acc"):
    configs = []
    for r in records:
        config = tuple(r[k] for k in keys)
        if config not in configs:
            configs.append(config)
    rows = []
    for config in configs:
        values = np.array([r[metric] for r in records
                           if tuple(r[k] for k in keys) == config], dtype=float)
        std = values.std(ddof=1) if values.size > 1 else 0.0
        rows.append({**dict(zip(keys, config)), "n": int(values.size),
                     "mean": float(values.mean()), "std": float(std)})
    return rows
'''),
]
