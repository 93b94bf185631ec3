"""Mistake variants for Assignment 4 (optimizers, schedules, regularization).

``WRONG[tag]``: plausible student mistakes, each violating exactly one requirement of the task
(``Task.requirements`` in the spec): its name starts with that requirement's id, e.g.
``"R2-adagrad_eps_inside_sqrt"``. Each must lose points on task ``tag`` only, in a check that
covers its requirement. ``RIGHT[tag]``: correct but differently written cells; each must keep
full marks. Each entry is ``(name, full_cell_source)``. Most wrong variants are the solution's
cell (``BASE``, read from the solution notebook with the solution markers removed) with one
small edit, so each mistake is easy to see.
"""
from variants.kit import edit, edit_in, solution_cells

BASE = solution_cells("assignment_4_optimizers.ipynb")


def _edit(tag, *pairs):
    return edit(BASE[tag], *pairs)


def _edit_class(tag, name, *pairs):
    return edit_in(BASE[tag], name, *pairs)


WRONG, RIGHT = {}, {}

# ---------------------------------------------------------------- 4.1 bumpy surface

WRONG["task_4_1"] = [
    ("R1-f_sin_instead_of_cos", _edit("task_4_1", "np.cos(3 * x)", "np.sin(3 * x)")),
    ("R2-f_math_cos_fails_on_arrays", _edit("task_4_1", "np.cos(3 * x)", "math.cos(3 * x)")),
    ("R2-grad_math_sin_fails_on_arrays", _edit("task_4_1", "- 3 * np.sin(3 * x)",
                                               "- 3 * math.sin(3 * x)")),
    ("R3-grad_sign_of_sin_term", _edit("task_4_1", "- 3 * np.sin(3 * x)",
                                       "+ 3 * np.sin(3 * x)")),
    ("R3-grad_forgets_chain_rule_factor", _edit("task_4_1", "- 3 * np.sin(3 * x)",
                                                "- np.sin(3 * x)")),
    ("R3-grad_dy_misses_cross_term", _edit("task_4_1", "df_dy = 2 * y + x", "df_dy = 2 * y")),
    ("R4-decay_off_by_one", _edit("task_4_1", "decay ** t", "decay ** (t + 1)")),
    ("R5-sequential_update", _edit(
        "task_4_1",
        "        x, y = x - eta * df_dx, y - eta * df_dy\n",
        "        x = x - eta * df_dx\n        y = y - eta * grad_f(x, y)[1]\n")),
    ("R6-returns_the_lowest_point_of_the_path", _edit(
        "task_4_1",
        "    return float(x), float(y), float(f(x, y)), np.array(x_hist), np.array(y_hist)\n",
        "    values = f(np.array(x_hist), np.array(y_hist))\n"
        "    k = int(np.argmin(values))\n"
        "    return float(x_hist[k]), float(y_hist[k]), float(values[k]), np.array(x_hist), "
        "np.array(y_hist)\n")),
    ("R7-history_without_start", _edit("task_4_1", "x_hist, y_hist = [x], [y]",
                                       "x_hist, y_hist = [], []")),
    ("R7-histories_as_lists", _edit("task_4_1", "np.array(x_hist), np.array(y_hist)",
                                    "x_hist, y_hist")),
]

RIGHT["task_4_1"] = [
    ("vector_form", '''
def f(x, y):
    return np.square(x) + np.square(y) + x * y + 2 * x + np.cos(3 * x)


def grad_f(x, y):
    return (2 * x + y + 2 - 3 * np.sin(3 * x), x + 2 * y)


def optimize_f(x, y, step_size, steps, decay=1.0):
    point = np.array([x, y], dtype=float)
    path = np.zeros((steps + 1, 2))
    path[0] = point
    eta = step_size
    for t in range(steps):
        point = point - eta * np.array(grad_f(point[0], point[1]))
        path[t + 1] = point
        eta *= decay
    return point[0], point[1], f(point[0], point[1]), path[:, 0], path[:, 1]
'''),
    ("lists_and_temporaries", '''
def f(x, y):
    quadratic = x * x + y * y + x * (y + 2)
    return quadratic + np.cos(3.0 * x)


def grad_f(x, y):
    dx = 2.0 * x + (y + 2.0) - 3.0 * np.sin(3.0 * x)
    dy = 2.0 * y + x
    return dx, dy


def optimize_f(x, y, step_size, steps, decay=1.0):
    xs, ys = [float(x)], [float(y)]
    for t in range(steps):
        gx, gy = grad_f(xs[-1], ys[-1])
        lr = step_size * decay ** t
        xs.append(xs[-1] - lr * gx)
        ys.append(ys[-1] - lr * gy)
    return xs[-1], ys[-1], f(xs[-1], ys[-1]), np.asarray(xs), np.asarray(ys)
'''),
]

# ---------------------------------------------------------------- 4.2 tuned settings

WRONG["task_4_2"] = [
    ("R1-left_unanswered", "my_step_size = None\nmy_steps = None\nmy_decay = None\n"),
    ("R1-steps_as_a_float", "my_step_size = 0.2\nmy_steps = 50.0\nmy_decay = 0.95\n"),
    ("R2-default_stalls_in_local_minimum",
     "my_step_size = 0.1\nmy_steps = 10\nmy_decay = 1.0\n"),
    ("R2-no_decay_bounces_around_global_minimum",
     "my_step_size = 0.2\nmy_steps = 50\nmy_decay = 1.0\n"),
    ("R2-too_few_steps", "my_step_size = 0.2\nmy_steps = 3\nmy_decay = 0.95\n"),
]

RIGHT["task_4_2"] = [
    ("larger_step_faster_decay", "my_step_size = 0.4\nmy_steps = 50\nmy_decay = 0.9\n"),
    ("numpy_numbers",
     "my_step_size = np.float64(0.2)\nmy_steps = np.int64(100)\nmy_decay = 0.99\n"),
]

# ---------------------------------------------------------------- 4.3 momentum, Nesterov
# (SGD is the notebook's worked example, not a task)

WRONG["task_4_3"] = [
    ("R1-nesterov_rebinds_p", _edit_class(
        "task_4_3", "Nesterov", "            p -= self.lr * (g + self.beta * v)\n",
        "            p = p - self.lr * (g + self.beta * v)\n")),
    ("R1-momentum_updates_a_raveled_copy", _edit_class(
        "task_4_3", "Momentum", "            p -= self.lr * v\n",
        "            flat = p.reshape(-1)\n            flat -= self.lr * v.reshape(-1)\n")),
    ("R2-momentum_dampened", _edit("task_4_3", "v = self.beta * v + g",
                                   "v = self.beta * v + (1 - self.beta) * g")),
    ("R2-momentum_steps_before_update", _edit(
        "task_4_3",
        "            v = self.beta * v + g\n            self.state[i] = v\n"
        "            p -= self.lr * v\n",
        "            p -= self.lr * v\n            v = self.beta * v + g\n"
        "            self.state[i] = v\n")),
    ("R3-nesterov_is_plain_momentum", _edit("task_4_3", "p -= self.lr * (g + self.beta * v)",
                                            "p -= self.lr * v")),
    ("R3-nesterov_uses_old_velocity", _edit(
        "task_4_3",
        "            v = self.beta * self.state.get(i, np.zeros_like(p)) + g\n"
        "            self.state[i] = v\n"
        "            p -= self.lr * (g + self.beta * v)\n",
        "            old = self.state.get(i, np.zeros_like(p))\n"
        "            self.state[i] = self.beta * old + g\n"
        "            p -= self.lr * (g + self.beta * old)\n")),
    ("R4-momentum_state_keyed_by_shape", _edit_class(
        "task_4_3", "Momentum",
        "            v = self.state.get(i, np.zeros_like(p))\n"
        "            v = self.beta * v + g\n"
        "            self.state[i] = v\n",
        "            v = self.state.get(p.shape, np.zeros_like(p))\n"
        "            v = self.beta * v + g\n"
        "            self.state[p.shape] = v\n")),
    ("R4-nesterov_state_keyed_by_shape", _edit_class(
        "task_4_3", "Nesterov",
        "            v = self.beta * self.state.get(i, np.zeros_like(p)) + g\n"
        "            self.state[i] = v\n",
        "            v = self.beta * self.state.get(p.shape, np.zeros_like(p)) + g\n"
        "            self.state[p.shape] = v\n")),
    ("R5-momentum_state_in_a_module_dict", _edit(
        "task_4_3",
        "class Momentum:",
        "_VELOCITIES = {}\n\n\nclass Momentum:",
        "            v = self.state.get(i, np.zeros_like(p))\n"
        "            v = self.beta * v + g\n"
        "            self.state[i] = v\n",
        "            v = _VELOCITIES.get(i, np.zeros_like(p))\n"
        "            v = self.beta * v + g\n"
        "            _VELOCITIES[i] = v\n")),
    ("R5-nesterov_state_on_the_class", _edit_class(
        "task_4_3", "Nesterov",
        "        self.state = {}  # per-parameter state, e.g. {index: velocity array}\n",
        "        self.state = Nesterov.shared  # per-parameter state\n")
     .replace("class Nesterov:", "class Nesterov:\n    shared = {}\n")),
    ("R6-momentum_default_beta_0_99", _edit_class(
        "task_4_3", "Momentum", "def __init__(self, lr, beta=0.9):",
        "def __init__(self, lr, beta=0.99):")),
]

RIGHT["task_4_3"] = [
    ("state_keyed_by_array_id", _edit(
        "task_4_3",
        "            v = self.state.get(i, np.zeros_like(p))\n"
        "            v = self.beta * v + g\n"
        "            self.state[i] = v\n",
        "            v = self.beta * self.state.get(id(p), np.zeros_like(p)) + g\n"
        "            self.state[id(p)] = v\n")),
    ("in_place_velocity_and_subclass", '''
class Momentum:
    def __init__(self, lr, beta=0.9):
        self.lr = lr
        self.beta = beta
        self.state = {}

    def _velocity(self, i, g):
        if i not in self.state:
            self.state[i] = g.copy()        # torch starts the buffer at the first gradient
        else:
            self.state[i] *= self.beta
            self.state[i] += g
        return self.state[i]

    def step(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            p -= self.lr * self._velocity(i, g)


class Nesterov(Momentum):
    def step(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            v = self._velocity(i, g)
            p -= self.lr * g + self.lr * self.beta * v
'''),
    ("lazy_lists", '''
class Momentum:
    def __init__(self, lr, beta=0.9):
        self.lr = lr
        self.beta = beta
        self.state = {}

    def step(self, params, grads):
        if "v" not in self.state:
            self.state["v"] = [np.zeros_like(p) for p in params]
        vs = self.state["v"]
        for k in range(len(params)):
            vs[k] = self.beta * vs[k] + grads[k]
            params[k] -= self.lr * vs[k]


class Nesterov:
    def __init__(self, lr, beta=0.9):
        self.lr = lr
        self.beta = beta
        self.state = {}

    def step(self, params, grads):
        if "v" not in self.state:
            self.state["v"] = [np.zeros_like(p) for p in params]
        vs = self.state["v"]
        for k in range(len(params)):
            vs[k] = self.beta * vs[k] + grads[k]
            params[k] -= self.lr * (grads[k] + self.beta * vs[k])
'''),
]

# ---------------------------------------------------------------- 4.4 AdaGrad, RMSProp, Adam


WRONG["task_4_4"] = [
    ("R1-adagrad_rebinds_list_items", _edit_class(
        "task_4_4", "AdaGrad", "            p -= self.lr * g / (np.sqrt(s) + self.eps)\n",
        "            params[i] = p - self.lr * g / (np.sqrt(s) + self.eps)\n")),
    ("R2-adagrad_eps_inside_sqrt", _edit_class(
        "task_4_4", "AdaGrad", "g / (np.sqrt(s) + self.eps)", "g / np.sqrt(s + self.eps)")),
    ("R2-adagrad_running_mean_not_sum", _edit_class(
        "task_4_4", "AdaGrad", "s = self.state.get(i, np.zeros_like(p)) + g * g",
        "s = 0.5 * self.state.get(i, np.zeros_like(p)) + 0.5 * g * g")),
    ("R3-rmsprop_eps_inside_sqrt", _edit_class(
        "task_4_4", "RMSProp", "g / (np.sqrt(s) + self.eps)", "g / np.sqrt(s + self.eps)")),
    ("R3-rmsprop_without_one_minus_alpha", _edit_class(
        "task_4_4", "RMSProp", "+ (1 - self.alpha) * g * g", "+ g * g")),
    ("R4-adam_moments_without_one_minus_beta", _edit_class(
        "task_4_4", "Adam", "m = self.beta1 * m + (1 - self.beta1) * g",
        "m = self.beta1 * m + g")),
    ("R5-adam_without_bias_correction", _edit_class(
        "task_4_4", "Adam", "m_hat = m / (1 - self.beta1 ** self.t)\n"
        "            v_hat = v / (1 - self.beta2 ** self.t)",
        "m_hat, v_hat = m, v")),
    ("R5-adam_eps_before_bias_correction", _edit_class(
        "task_4_4", "Adam",
        "p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)",
        "p -= self.lr * np.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t) "
        "* m / (np.sqrt(v) + self.eps)")),
    ("R5-adam_counts_steps_per_parameter", _edit_class(
        "task_4_4", "Adam",
        "        self.t += 1\n        for i, (p, g) in enumerate(zip(params, grads)):\n",
        "        for i, (p, g) in enumerate(zip(params, grads)):\n            self.t += 1\n")),
    ("R5-adam_bias_correction_one_step_ahead", _edit_class(
        "task_4_4", "Adam",
        "            m_hat = m / (1 - self.beta1 ** self.t)\n"
        "            v_hat = v / (1 - self.beta2 ** self.t)\n",
        "            m_hat = m / (1 - self.beta1 ** (self.t + 1))\n"
        "            v_hat = v / (1 - self.beta2 ** (self.t + 1))\n")),
    ("R6-adam_state_keyed_by_shape", _edit_class(
        "task_4_4", "Adam",
        "            m, v = self.state.get(i, (np.zeros_like(p), np.zeros_like(p)))\n",
        "            i = p.shape\n"
        "            m, v = self.state.get(i, (np.zeros_like(p), np.zeros_like(p)))\n")),
    ("R7-rmsprop_state_in_a_module_dict", _edit_class(
        "task_4_4", "RMSProp",
        "self.state.get(i, np.zeros_like(p))", "_SQUARES.get(i, np.zeros_like(p))",
        "self.state[i] = s", "_SQUARES[i] = s",
        "class RMSProp:", "_SQUARES = {}\n\n\nclass RMSProp:")),
    ("R8-adagrad_default_eps_1e-8", _edit_class(
        "task_4_4", "AdaGrad", "def __init__(self, lr, eps=1e-10):",
        "def __init__(self, lr, eps=1e-8):")),
    ("R8-adam_default_eps_1e-6", _edit_class(
        "task_4_4", "Adam", "def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8):",
        "def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-6):")),
]

RIGHT["task_4_4"] = [
    ("torch_style_in_place", '''
class AdaGrad:
    def __init__(self, lr, eps=1e-10):
        self.lr, self.eps = lr, eps
        self.state = {}

    def step(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            s = self.state.setdefault(i, np.zeros_like(p))
            s += g ** 2
            p -= self.lr * g / (np.sqrt(s) + self.eps)


class RMSProp:
    def __init__(self, lr, alpha=0.99, eps=1e-8):
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.state = {}

    def step(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            s = self.state.setdefault(i, np.zeros_like(p))
            s *= self.alpha
            s += (1 - self.alpha) * g ** 2
            p -= self.lr * g / (np.sqrt(s) + self.eps)


class Adam:
    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.state = {}

    def step(self, params, grads):
        self.t += 1
        correction1 = 1 - self.beta1 ** self.t
        correction2 = 1 - self.beta2 ** self.t
        for i, (p, g) in enumerate(zip(params, grads)):
            m, v = self.state.setdefault(i, (np.zeros_like(p), np.zeros_like(p)))
            m += (1 - self.beta1) * (g - m)
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            # torch's arrangement: eps added to sqrt(v) / sqrt(correction2)
            denom = np.sqrt(v) / math.sqrt(correction2) + self.eps
            p -= (self.lr / correction1) * m / denom
'''),
    ("lists_created_on_first_step", '''
class AdaGrad:
    def __init__(self, lr, eps=1e-10):
        self.lr = lr
        self.eps = eps
        self.state = {}

    def step(self, params, grads):
        if not self.state:
            self.state["sum"] = [np.zeros_like(p) for p in params]
        for p, g, s in zip(params, grads, self.state["sum"]):
            s += g * g
            p -= self.lr * g / (np.sqrt(s) + self.eps)


class RMSProp:
    def __init__(self, lr, alpha=0.99, eps=1e-8):
        self.lr = lr
        self.alpha = alpha
        self.eps = eps
        self.state = {}

    def step(self, params, grads):
        if not self.state:
            self.state["avg"] = [np.zeros_like(p) for p in params]
        avg = self.state["avg"]
        for k, (p, g) in enumerate(zip(params, grads)):
            avg[k] = self.alpha * avg[k] + (1 - self.alpha) * np.square(g)
            p -= self.lr * g / (np.sqrt(avg[k]) + self.eps)


class Adam:
    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.t = 0
        self.state = {}

    def step(self, params, grads):
        if not self.state:
            self.state["m"] = [np.zeros_like(p) for p in params]
            self.state["v"] = [np.zeros_like(p) for p in params]
        self.t += 1
        for k, (p, g) in enumerate(zip(params, grads)):
            self.state["m"][k] = self.beta1 * self.state["m"][k] + (1 - self.beta1) * g
            self.state["v"][k] = self.beta2 * self.state["v"][k] + (1 - self.beta2) * g ** 2
            m_hat = self.state["m"][k] / (1 - self.beta1 ** self.t)
            v_hat = self.state["v"][k] / (1 - self.beta2 ** self.t)
            p[...] = p - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
'''),
]

# ---------------------------------------------------------------- 4.5 stable learning rate

WRONG["task_4_5"] = [
    ("R1-optimal_step_instead_of_largest_without_momentum", _edit(
        "task_4_5", "    return (2.0 + 2.0 * momentum) / eigenvalue\n",
        "    if momentum == 0:\n        return 1.0 / eigenvalue   # converges in one step\n"
        "    return (2.0 + 2.0 * momentum) / eigenvalue\n")),
    ("R2-ignores_momentum", _edit("task_4_5", "return (2.0 + 2.0 * momentum) / eigenvalue",
                                  "return 2.0 / eigenvalue")),
    ("R2-momentum_divides_by_one_minus_beta", _edit(
        "task_4_5", "return (2.0 + 2.0 * momentum) / eigenvalue",
        "return 2.0 / (eigenvalue * (1 - momentum))")),
    ("R3-returns_the_interval", _edit(
        "task_4_5", "return (2.0 + 2.0 * momentum) / eigenvalue",
        "return (0.0, (2.0 + 2.0 * momentum) / eigenvalue)")),
]

RIGHT["task_4_5"] = [
    ("factored", _edit("task_4_5", "return (2.0 + 2.0 * momentum) / eigenvalue",
                       "return 2 * (1 + momentum) / eigenvalue")),
    ("branches", _edit("task_4_5", "    return (2.0 + 2.0 * momentum) / eigenvalue\n",
                       "    if momentum == 0:\n        return 2 / eigenvalue\n"
                       "    lr_max = (2 + 2 * momentum) / eigenvalue\n    return float(lr_max)\n")),
]

# ---------------------------------------------------------------- 4.6 schedules

COSINE = "return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * step / total))"

WRONG["task_4_6"] = [
    ("R1-exponential_staircase", _edit("task_4_6", "rate ** (step / decay_steps)",
                                       "rate ** (step // decay_steps)")),
    ("R1-exponential_ignores_decay_steps", _edit("task_4_6", "rate ** (step / decay_steps)",
                                                 "rate ** step")),
    ("R2-step_decay_smooth", _edit("task_4_6", "factor ** (step // every)",
                                   "factor ** (step / every)")),
    ("R2-step_decay_drops_one_step_early", _edit("task_4_6", "factor ** (step // every)",
                                                 "factor ** ((step + 1) // every)")),
    ("R2-step_decay_drops_one_step_late", _edit("task_4_6", "factor ** (step // every)",
                                                "factor ** (max(step - 1, 0) // every)")),
    ("R3-cosine_ignores_lr_min", _edit(
        "task_4_6", COSINE, "return lr_min + 0.5 * lr0 * (1 + math.cos(math.pi * step / total))")),
    ("R3-cosine_full_wave", _edit("task_4_6", "math.cos(math.pi * step / total)",
                                  "math.cos(2 * math.pi * step / total)")),
]

RIGHT["task_4_6"] = [
    ("logs_and_loops", '''
def exponential_decay(lr0, rate, step, decay_steps):
    return lr0 * math.exp(math.log(rate) * step / decay_steps)


def step_decay(lr0, factor, every, step):
    lr = lr0
    for _ in range(int(step) // int(every)):
        lr *= factor
    return lr


def cosine_decay(lr0, step, total, lr_min=0.0):
    progress = step / total
    return (lr0 - lr_min) * (math.cos(math.pi * progress) + 1) / 2 + lr_min
'''),
    ("numpy_versions", '''
def exponential_decay(lr0, rate, step, decay_steps):
    return float(lr0 * np.power(rate, step / decay_steps))


def step_decay(lr0, factor, every, step):
    return float(lr0 * factor ** np.floor(step / every))


def cosine_decay(lr0, step, total, lr_min=0.0):
    return float(lr_min + (lr0 - lr_min) * np.cos(np.pi * step / (2 * total)) ** 2)
'''),
]

# ---------------------------------------------------------------- 4.7 learning-rate finder

WRONG["task_4_7"] = [
    ("R1-linear_sweep", _edit("task_4_7",
                              "lr = lr_min * (lr_max / lr_min) ** (i / (steps - 1))",
                              "lr = lr_min + (lr_max - lr_min) * i / (steps - 1)")),
    ("R1-exponent_over_steps", _edit("task_4_7", "** (i / (steps - 1))", "** (i / steps)")),
    ("R2-same_batch_every_step", _edit(
        "task_4_7",
        "        try:\n            xb, yb = next(batches)\n        except StopIteration:\n"
        "            batches = iter(loader)\n            xb, yb = next(batches)\n",
        "        xb, yb = next(iter(loader))\n")),
    ("R2-indexes_the_loader", _edit(
        "task_4_7",
        "        try:\n            xb, yb = next(batches)\n        except StopIteration:\n"
        "            batches = iter(loader)\n            xb, yb = next(batches)\n",
        "        xb, yb = loader[i % len(loader)]\n")),
    ("R3-losses_hold_tensors", _edit(
        "task_4_7",
        "        losses.append(loss.item())\n"
        "        if not math.isfinite(losses[-1]) or losses[-1] > 4 * best:\n"
        "            break\n"
        "        best = min(best, losses[-1])\n",
        "        losses.append(loss.detach())\n"
        "        if not math.isfinite(loss.item()) or loss.item() > 4 * best:\n"
        "            break\n"
        "        best = min(best, loss.item())\n")),
    ("R4-never_stops", _edit("task_4_7",
                             "if not math.isfinite(losses[-1]) or losses[-1] > 4 * best:",
                             "if not math.isfinite(losses[-1]):")),
    ("R4-ignores_nan", _edit("task_4_7",
                             "if not math.isfinite(losses[-1]) or losses[-1] > 4 * best:",
                             "if losses[-1] > 4 * best or losses[-1] == math.inf:")),
    ("R4-stops_at_twice_the_best", _edit("task_4_7", "losses[-1] > 4 * best",
                                         "losses[-1] > 2 * best")),
    ("R4-stops_at_exactly_four_times", _edit("task_4_7", "losses[-1] > 4 * best",
                                             "losses[-1] >= 4 * best")),
    ("R4-drops_the_stopping_loss", _edit(
        "task_4_7",
        "        lrs.append(float(lr))\n        losses.append(loss.item())\n"
        "        if not math.isfinite(losses[-1]) or losses[-1] > 4 * best:\n"
        "            break\n",
        "        if not math.isfinite(loss.item()) or loss.item() > 4 * best:\n"
        "            break\n"
        "        lrs.append(float(lr))\n        losses.append(loss.item())\n")),
    ("R5-gradients_accumulate", _edit("task_4_7", "        optimizer.zero_grad()\n", "")),
    ("R5-sgd_with_momentum", _edit("task_4_7",
                                   "torch.optim.SGD(model.parameters(), lr=lr_min)",
                                   "torch.optim.SGD(model.parameters(), lr=lr_min, "
                                   "momentum=0.9)")),
    ("R5-zero_grad_after_the_step", _edit(
        "task_4_7",
        "        optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()\n",
        "        loss.backward()\n        optimizer.step()\n        optimizer.zero_grad()\n")),
    ("R5-learning_rate_never_set", _edit("task_4_7",
                                         "        for group in optimizer.param_groups:\n"
                                         "            group[\"lr\"] = lr\n", "")),
    ("R6-trains_a_copy", _edit("task_4_7",
                               "    optimizer = torch.optim.SGD(model.parameters(), lr=lr_min)\n",
                               "    model = copy.deepcopy(model)\n"
                               "    optimizer = torch.optim.SGD(model.parameters(), lr=lr_min)\n")),
]

RIGHT["task_4_7"] = [
    ("loss_computed_twice_per_step", '''
def lr_finder(model, loss_fn, loader, lr_min, lr_max, steps):
    lrs, losses = [], []
    batches = iter(loader)
    for i in range(steps):
        lr = lr_min * (lr_max / lr_min) ** (i / (steps - 1))
        try:
            xb, yb = next(batches)
        except StopIteration:
            batches = iter(loader)
            xb, yb = next(batches)
        with torch.no_grad():                       # record first, without a graph
            value = loss_fn(model(xb), yb).item()
        lrs.append(lr)
        losses.append(value)
        if not math.isfinite(value) or (len(losses) > 1 and value > 4 * min(losses[:-1])):
            break
        model.zero_grad()
        loss_fn(model(xb), yb).backward()           # then the step
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    return lrs, losses
'''),
    ("manual_updates", '''
def lr_finder(model, loss_fn, loader, lr_min, lr_max, steps):
    rates = np.geomspace(lr_min, lr_max, steps)
    lrs, losses = [], []
    data = iter(loader)
    for lr in rates:
        batch = next(data, None)
        if batch is None:
            data = iter(loader)
            batch = next(data)
        xb, yb = batch
        loss = loss_fn(model(xb), yb)
        value = loss.item()
        lrs.append(float(lr))
        losses.append(value)
        if value != value or abs(value) == math.inf or (len(losses) > 1
                                                        and value > 4 * min(losses[:-1])):
            break
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                if p.grad is not None:
                    p -= float(lr) * p.grad
    return lrs, losses
'''),
    ("fresh_optimizer_each_step", '''
def lr_finder(model, loss_fn, loader, lr_min, lr_max, steps):
    lrs, losses = [], []
    best = float("inf")
    it = iter(loader)
    for i in range(steps):
        lr = lr_min * math.exp(math.log(lr_max / lr_min) * i / (steps - 1))
        try:
            xb, yb = next(it)
        except StopIteration:
            it = iter(loader)
            xb, yb = next(it)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)   # plain SGD keeps no state
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        lrs.append(lr)
        losses.append(loss.item())
        if not np.isfinite(losses[-1]) or losses[-1] > 4 * best:
            break
        best = min(best, losses[-1])
        loss.backward()
        optimizer.step()
    return lrs, losses
'''),
]

# ---------------------------------------------------------------- 4.8 split and scale

SCALER = ('    scaler = {"x_min": float(x[train].min()), "x_max": float(x[train].max()),\n'
          '              "y_min": float(y[train].min()), "y_max": float(y[train].max())}')

WRONG["task_4_8"] = [
    ("R1-no_shuffle", _edit("task_4_8",
                            "perm = np.random.default_rng(seed).permutation(len(x))",
                            "perm = np.arange(len(x))")),
    ("R1-global_numpy_generator", _edit(
        "task_4_8", "perm = np.random.default_rng(seed).permutation(len(x))",
        "np.random.seed(seed)\n    perm = np.random.permutation(len(x))")),
    ("R1-training_indices_sorted", _edit("task_4_8", "train, test = perm[:n_train], perm[n_train:]",
                                         "train, test = np.sort(perm[:n_train]), perm[n_train:]")),
    ("R2-floor_instead_of_round", _edit("task_4_8", "int(round(train_frac * len(x)))",
                                        "int(train_frac * len(x))")),
    ("R2-rounds_half_up", _edit("task_4_8", "int(round(train_frac * len(x)))",
                                "int(train_frac * len(x) + 0.5)")),
    ("R3-scaler_fit_on_all_data", _edit(
        "task_4_8", SCALER,
        '    scaler = {"x_min": float(x.min()), "x_max": float(x.max()),\n'
        '              "y_min": float(y.min()), "y_max": float(y.max())}')),
    ("R4-standardised_instead_of_min_max", _edit(
        "task_4_8",
        '    x_s, y_s = (x - scaler["x_min"]) / x_span, (y - scaler["y_min"]) / y_span\n',
        "    x_s = (x - x[train].mean()) / x[train].std()\n"
        "    y_s = (y - y[train].mean()) / y[train].std()\n")),
    ("R4-test_scaled_with_its_own_min_max", _edit(
        "task_4_8",
        "    return x_s[train], y_s[train], x_s[test], y_s[test], scaler\n",
        "    x_te = (x[test] - x[test].min()) / (x[test].max() - x[test].min())\n"
        "    y_te = (y[test] - y[test].min()) / (y[test].max() - y[test].min())\n"
        "    return x_s[train], y_s[train], x_te, y_te, scaler\n")),
    ("R5-returns_lists", _edit(
        "task_4_8", "    return x_s[train], y_s[train], x_s[test], y_s[test], scaler\n",
        "    return (x_s[train].tolist(), y_s[train].tolist(), x_s[test].tolist(), "
        "y_s[test].tolist(), scaler)\n")),
]

RIGHT["task_4_8"] = [
    ("scale_function", '''
def split_and_scale(x, y, train_frac=0.6, seed=0):
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    cut = int(np.round(train_frac * len(x)))
    x_tr, y_tr = np.asarray(x, float)[order[:cut]], np.asarray(y, float)[order[:cut]]
    x_te, y_te = np.asarray(x, float)[order[cut:]], np.asarray(y, float)[order[cut:]]

    def minmax(train, test):
        lo, hi = np.min(train), np.max(train)
        return (train - lo) / (hi - lo), (test - lo) / (hi - lo), float(lo), float(hi)

    x_tr_s, x_te_s, x_lo, x_hi = minmax(x_tr, x_te)
    y_tr_s, y_te_s, y_lo, y_hi = minmax(y_tr, y_te)
    scaler = dict(x_min=x_lo, x_max=x_hi, y_min=y_lo, y_max=y_hi)
    return x_tr_s, y_tr_s, x_te_s, y_te_s, scaler
'''),
    ("numpy_scalars_in_scaler", _edit(
        "task_4_8", SCALER,
        '    scaler = {"x_min": x[train].min(), "x_max": x[train].max(),\n'
        '              "y_min": y[train].min(), "y_max": y[train].max()}')),
]

# ---------------------------------------------------------------- 4.9 regressor, repetitions

WRONG["task_4_9"] = [
    ("R1-layers_without_bias", _edit("task_4_9", "nn.Linear(width, h)",
                                     "nn.Linear(width, h, bias=False)")),
    ("R2-tanh_instead_of_relu", _edit("task_4_9", "nn.ReLU()", "nn.Tanh()")),
    ("R2-relu_after_output", _edit("task_4_9", "    layers.append(nn.Linear(width, 1))\n",
                                   "    layers += [nn.Linear(width, 1), nn.ReLU()]\n")),
    ("R3-dropout_ignored", _edit("task_4_9", "        if dropout > 0:\n"
                                 "            layers.append(nn.Dropout(dropout))\n", "")),
    ("R3-dropout_keep_probability", _edit("task_4_9", "nn.Dropout(dropout)",
                                          "nn.Dropout(1 - dropout)")),
    ("R3-dropout_after_first_hidden_layer_only", _edit(
        "task_4_9", "        if dropout > 0:\n", "        if dropout > 0 and width == 1:\n")),
    ("R3-functional_dropout_also_in_eval", '''
OPTIMIZER_NAMES = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"]


class Regressor(nn.Module):
    def __init__(self, hidden, dropout):
        super().__init__()
        widths = [1] + list(hidden)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.out = nn.Linear(widths[-1], 1)
        self.p = dropout

    def forward(self, x):
        for layer in self.hidden:
            x = nn.functional.dropout(torch.relu(layer(x)), self.p)
        return self.out(x)


def make_regressor(hidden=(128, 128, 64), dropout=0.0):
    return Regressor(hidden, dropout)
''' + BASE["task_4_9"][BASE["task_4_9"].index("def run_repetitions"):]),
    ("R4-keys_in_another_order", _edit(
        "task_4_9",
        '    return {"train_mse": train_mse, "test_mse": test_mse,\n'
        '            "train_mean": float(np.mean(train_mse)), "train_std": float(np.std(train_mse)),\n'
        '            "test_mean": float(np.mean(test_mse)), "test_std": float(np.std(test_mse)),\n',
        '    return {"train_mean": float(np.mean(train_mse)), "train_std": float(np.std(train_mse)),\n'
        '            "test_mean": float(np.mean(test_mse)), "test_std": float(np.std(test_mse)),\n'
        '            "train_mse": train_mse, "test_mse": test_mse,\n')),
    ("R4-models_not_returned", _edit("task_4_9", ',\n            "models": models}', "}")),
    ("R5-mse_lists_hold_tensors", _edit(
        "task_4_9",
        "            train_mse.append(loss_fn(model(x_tr), y_tr).item())\n"
        "            test_mse.append(loss_fn(model(x_te), y_te).item())\n",
        "            train_mse.append(loss_fn(model(x_tr), y_tr))\n"
        "            test_mse.append(loss_fn(model(x_te), y_te))\n")),
    ("R6-same_seed_for_every_run", _edit("task_4_9", "torch.manual_seed(seed + run)",
                                         "torch.manual_seed(seed)")),
    ("R6-never_seeded", _edit("task_4_9", "        torch.manual_seed(seed + run)\n", "")),
    ("R6-seeds_once_before_the_runs", _edit(
        "task_4_9", "    for run in range(n_runs):\n        torch.manual_seed(seed + run)\n",
        "    torch.manual_seed(seed)\n    for run in range(n_runs):\n")),
    ("R6-ignores_the_seed_argument", _edit("task_4_9", "torch.manual_seed(seed + run)",
                                           "torch.manual_seed(run)")),
    ("R7-optimizer_step_forgotten", _edit("task_4_9", "            optimizer.step()\n", "")),
    ("R7-momentum_not_set", _edit(
        "task_4_9",
        '"Momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),',
        '"Momentum": lambda p, lr: torch.optim.SGD(p, lr=lr),')),
    ("R7-nesterov_flag_missing", _edit(
        "task_4_9", "momentum=0.9, nesterov=True)", "momentum=0.9)")),
    ("R7-one_step_short", _edit("task_4_9", 'for _ in range(config["epochs"]):',
                                'for _ in range(config["epochs"] - 1):')),
    ("R7-targets_not_reshaped", _edit(
        "task_4_9",
        "    x_tr, y_tr, x_te, y_te = (torch.tensor(np.asarray(a), dtype=torch.float32).reshape(-1, 1)\n"
        "                              for a in config[\"data\"])\n",
        "    x_tr, y_tr, x_te, y_te = (torch.tensor(np.asarray(a), dtype=torch.float32)\n"
        "                              for a in config[\"data\"])\n"
        "    x_tr, x_te = x_tr.reshape(-1, 1), x_te.reshape(-1, 1)\n"
        "    y_te = y_te.reshape(-1, 1)\n")),
    ("R8-reports_the_last_training_loss", _edit(
        "task_4_9",
        "            train_mse.append(loss_fn(model(x_tr), y_tr).item())\n",
        "            train_mse.append(loss.item())\n")),
    ("R8-measured_in_training_mode", _edit("task_4_9", "        model.eval()\n", "")),
    ("R10-dropout_not_passed", _edit(
        "task_4_9", 'model = make_regressor(config["hidden"], config.get("dropout", 0.0))',
        'model = make_regressor(config["hidden"])')),
    ("R10-default_widths", _edit(
        "task_4_9", 'model = make_regressor(config["hidden"], config.get("dropout", 0.0))',
        'model = make_regressor(dropout=config.get("dropout", 0.0))')),
    ("R9-variance_instead_of_std", _edit("task_4_9", '"train_std": float(np.std(train_mse))',
                                         '"train_std": float(np.var(train_mse))')),
]

RIGHT["task_4_9"] = [
    ("custom_module_and_ddof1", '''
OPTIMIZER_NAMES = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"]


class Regressor(nn.Module):
    def __init__(self, hidden, dropout):
        super().__init__()
        widths = [1] + list(hidden)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.out = nn.Linear(widths[-1], 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        for layer in self.hidden:
            x = self.drop(torch.relu(layer(x)))
        return self.out(x)


def make_regressor(hidden=(128, 128, 64), dropout=0.0):
    return Regressor(hidden, dropout)


def run_repetitions(config, n_runs=4, seed=0):
    x_tr, y_tr, x_te, y_te = [torch.as_tensor(np.asarray(a, dtype=np.float32)).view(-1, 1)
                              for a in config["data"]]
    name, lr = config["optimizer"], config["lr"]
    train_mse, test_mse, models = [], [], []
    for r in range(n_runs):
        torch.manual_seed(seed + r)
        model = make_regressor(config["hidden"], config.get("dropout", 0.0))
        params = model.parameters()
        if name == "SGD":
            opt = torch.optim.SGD(params, lr=lr)
        elif name == "Momentum":
            opt = torch.optim.SGD(params, lr=lr, momentum=0.9)
        elif name == "Nesterov":
            opt = torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
        elif name == "AdaGrad":
            opt = torch.optim.Adagrad(params, lr=lr)
        elif name == "RMSProp":
            opt = torch.optim.RMSprop(params, lr=lr)
        else:
            opt = torch.optim.Adam(params, lr=lr)
        for _ in range(config["epochs"]):
            model.train()
            loss = ((model(x_tr) - y_tr) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            train_mse.append(float(((model(x_tr) - y_tr) ** 2).mean()))
            test_mse.append(float(((model(x_te) - y_te) ** 2).mean()))
        models.append(model)
    result = {"train_mse": train_mse, "test_mse": test_mse}
    result["train_mean"] = float(np.mean(train_mse))
    result["train_std"] = float(np.std(train_mse, ddof=1)) if n_runs > 1 else 0.0
    result["test_mean"] = float(np.mean(test_mse))
    result["test_std"] = float(np.std(test_mse, ddof=1)) if n_runs > 1 else 0.0
    result["models"] = models
    return result
'''),
    ("sequential_from_widths", _edit(
        "task_4_9",
        "    layers, width = [], 1\n"
        "    for h in hidden:\n"
        "        layers += [nn.Linear(width, h), nn.ReLU()]\n"
        "        if dropout > 0:\n"
        "            layers.append(nn.Dropout(dropout))\n"
        "        width = h\n"
        "    layers.append(nn.Linear(width, 1))\n"
        "    return nn.Sequential(*layers)\n",
        "    widths = [1, *hidden]\n"
        "    blocks = []\n"
        "    for a, b in zip(widths, widths[1:]):\n"
        "        blocks.append(nn.Linear(a, b))\n"
        "        blocks.append(nn.ReLU())\n"
        "        blocks.extend([nn.Dropout(p=dropout)] if dropout else [])\n"
        "    return nn.Sequential(*blocks, nn.Linear(widths[-1], 1))\n")),
]

# ---------------------------------------------------------------- 4.10 early stopping

ES_STEP = ("        if val_loss < self.best_loss - self.min_delta:\n"
           "            self.best_loss = val_loss\n"
           "            self.best_step = self.calls\n"
           "            self.counter = 0\n"
           "            if model is not None:\n"
           "                self.best_state = copy.deepcopy(model.state_dict())\n"
           "        else:\n"
           "            self.counter += 1\n"
           "        self.calls += 1\n"
           "        return self.counter >= self.patience\n")

WRONG["task_4_10"] = [
    ("R1-ignores_min_delta", _edit("task_4_10",
                                   "if val_loss < self.best_loss - self.min_delta:",
                                   "if val_loss < self.best_loss:")),
    ("R1-ties_count_as_improvement", _edit("task_4_10",
                                           "if val_loss < self.best_loss - self.min_delta:",
                                           "if val_loss <= self.best_loss - self.min_delta:")),
    ("R2-counter_never_reset", _edit("task_4_10", "            self.counter = 0\n", "")),
    ("R2-best_step_counts_from_one", _edit("task_4_10", "self.best_step = self.calls",
                                           "self.best_step = self.calls + 1")),
    ("R2-calls_not_counted", _edit(
        "task_4_10",
        "        self.calls = 0\n",
        "        self.calls = 0\n        self.history = []\n",
        "            self.best_step = self.calls\n",
        "            self.best_step = len(self.history)\n",
        "        self.calls += 1\n",
        "        self.history.append(val_loss)\n")),
    ("R3-stops_one_step_late", _edit("task_4_10", "return self.counter >= self.patience",
                                     "return self.counter > self.patience")),
    ("R3-says_stop_only_once", _edit("task_4_10", "return self.counter >= self.patience",
                                     "return self.counter == self.patience")),
    ("R4-keeps_a_reference", _edit("task_4_10",
                                   "self.best_state = copy.deepcopy(model.state_dict())",
                                   "self.best_state = model.state_dict()")),
    ("R4-shallow_copy", _edit("task_4_10",
                              "self.best_state = copy.deepcopy(model.state_dict())",
                              "self.best_state = copy.copy(model.state_dict())")),
    ("R5-requires_a_model", _edit(
        "task_4_10",
        "            if model is not None:\n"
        "                self.best_state = copy.deepcopy(model.state_dict())\n",
        "            self.best_state = copy.deepcopy(model.state_dict())\n")),
    ("R6-restore_loads_into_a_copy", _edit(
        "task_4_10", "        model.load_state_dict(self.best_state)\n",
        "        restored = copy.deepcopy(model)\n"
        "        restored.load_state_dict(self.best_state)\n"
        "        return restored\n")),
    ("R6-restore_shares_the_stored_tensors", _edit(
        "task_4_10", "        model.load_state_dict(self.best_state)\n",
        "        model.load_state_dict(self.best_state, assign=True)\n")),
]

RIGHT["task_4_10"] = [
    ("cloned_tensors", _edit(
        "task_4_10", ES_STEP,
        "        improved = self.best_loss - val_loss > self.min_delta\n"
        "        if improved:\n"
        "            self.best_loss, self.best_step, self.counter = val_loss, self.calls, 0\n"
        "            if model is not None:\n"
        "                self.best_state = {k: v.detach().clone()\n"
        "                                   for k, v in model.state_dict().items()}\n"
        "        else:\n"
        "            self.counter = self.counter + 1\n"
        "        self.calls = self.calls + 1\n"
        "        return bool(self.counter >= self.patience)\n",
        "        model.load_state_dict(self.best_state)\n",
        "        with torch.no_grad():\n"
        "            for name, tensor in model.state_dict().items():\n"
        "                tensor.copy_(self.best_state[name])\n")),
    ("history_list", _edit(
        "task_4_10",
        "        self.calls = 0\n",
        "        self.calls = 0\n        self.history = []\n",
        "        if val_loss < self.best_loss - self.min_delta:\n"
        "            self.best_loss = val_loss\n"
        "            self.best_step = self.calls\n",
        "        self.history.append(float(val_loss))\n"
        "        if val_loss < self.best_loss - self.min_delta:\n"
        "            self.best_loss = val_loss\n"
        "            self.best_step = len(self.history) - 1\n")),
]

# ---------------------------------------------------------------- 4.11 penalties

L1 = "return sum(p.abs().sum() for p in model.parameters() if p.dim() > 1)"
L2 = "return sum((p ** 2).sum() for p in model.parameters() if p.dim() > 1)"

WRONG["task_4_11"] = [
    ("R1-l1_includes_biases", _edit("task_4_11", L1,
                                    "return sum(p.abs().sum() for p in model.parameters())")),
    ("R1-l2_includes_biases", _edit("task_4_11", L2,
                                    "return sum((p ** 2).sum() for p in model.parameters())")),
    ("R1-l1_selects_weights_by_name", _edit(
        "task_4_11", L1,
        "return sum(p.abs().sum() for name, p in model.named_parameters()\n"
        "               if name.endswith(\"weight\"))")),
    ("R2-l1_sums_signed_weights", _edit("task_4_11", L1,
                                        "return sum(p.sum() for p in model.parameters()"
                                        " if p.dim() > 1)")),
    ("R3-l2_with_one_half", _edit("task_4_11", L2,
                                  "return 0.5 * sum((p ** 2).sum() for p in model.parameters()"
                                  " if p.dim() > 1)")),
    ("R3-l2_norm_not_squared", _edit("task_4_11", L2,
                                     "return sum(p.norm() for p in model.parameters()"
                                     " if p.dim() > 1)")),
    ("R4-l1_returns_a_float", _edit("task_4_11", L1,
                                    "return sum(p.abs().sum().item() for p in model.parameters()"
                                    " if p.dim() > 1)")),
    ("R4-l2_shape_one_accumulator", _edit(
        "task_4_11", "    " + L2 + "\n",
        "    total = torch.zeros(1)\n"
        "    for p in model.parameters():\n"
        "        if p.dim() > 1:\n"
        "            total = total + (p ** 2).sum()\n"
        "    return total\n")),
    ("R4-l1_detached", _edit("task_4_11", L1,
                             "return sum(p.detach().abs().sum() for p in model.parameters()"
                             " if p.dim() > 1)")),
    ("R5-l2_top_level_linear_layers_only", _edit(
        "task_4_11", L2,
        "return sum((m.weight ** 2).sum() for m in model.children()\n"
        "               if isinstance(m, nn.Linear))")),
]

RIGHT["task_4_11"] = [
    ("explicit_loops", '''
def l1_penalty(model):
    total = 0
    for p in model.parameters():
        if p.ndim >= 2:
            total = total + torch.sum(torch.abs(p))
    return total


def l2_penalty(model):
    total = 0
    for p in model.parameters():
        if p.ndim >= 2:
            total = total + torch.sum(p * p)
    return total
'''),
    ("stacked_named_parameters", '''
def _weights(model):
    """Every parameter with two or more dimensions: weight matrices and kernels."""
    return [p for _, p in model.named_parameters() if len(p.shape) >= 2]


def l1_penalty(model):
    return torch.stack([w.abs().sum() for w in _weights(model)]).sum()


def l2_penalty(model):
    return torch.cat([w.reshape(-1) for w in _weights(model)]).pow(2).sum()
'''),
]

# ---------------------------------------------------------------- 4.12 AdamW

ADAMW_DECAY = "            p *= 1 - self.lr * self.weight_decay\n"

WRONG["task_4_12"] = [
    ("R1-decay_rebinds_p", _edit(
        "task_4_12", ADAMW_DECAY, "            p = p * (1 - self.lr * self.weight_decay)\n")),
    ("R2-decay_after_the_adam_step", _edit(
        "task_4_12", ADAMW_DECAY, "",
        "            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)\n",
        "            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)\n" + ADAMW_DECAY)),
    ("R2-decay_not_scaled_by_lr", _edit(
        "task_4_12", ADAMW_DECAY, "            p *= 1 - self.weight_decay\n")),
    ("R3-l2_added_to_the_gradient", _edit(
        "task_4_12", ADAMW_DECAY, "            g = g + self.weight_decay * p\n")),
    ("R3-decay_and_l2_both", _edit(
        "task_4_12", ADAMW_DECAY, ADAMW_DECAY + "            g = g + self.weight_decay * p\n")),
    ("R4-no_bias_correction", _edit(
        "task_4_12", "            m_hat = m / (1 - self.beta1 ** self.t)\n"
                     "            v_hat = v / (1 - self.beta2 ** self.t)\n",
        "            m_hat, v_hat = m, v\n")),
    ("R4-state_keyed_by_shape", _edit(
        "task_4_12", "self.state.get(i, (np.zeros_like(p), np.zeros_like(p)))",
        "self.state.get(p.shape, (np.zeros_like(p), np.zeros_like(p)))",
        "self.state[i] = (m, v)", "self.state[p.shape] = (m, v)")),
    ("R4-state_on_the_class", _edit(
        "task_4_12", "        self.state = {}  # per-parameter state\n",
        "        self.state = AdamW.shared\n",
        "class AdamW:\n", "class AdamW:\n    shared = {}\n\n")),
    ("R5-default_weight_decay_zero", _edit(
        "task_4_12", "eps=1e-8, weight_decay=0.01):", "eps=1e-8, weight_decay=0.0):")),
]

RIGHT["task_4_12"] = [
    ("torch_style_in_place", """
class AdamW:
    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.weight_decay = weight_decay
        self.steps = 0
        self.state = {}

    def step(self, params, grads):
        self.steps += 1
        correction1 = 1 - self.beta1 ** self.steps
        correction2 = 1 - self.beta2 ** self.steps
        for i, (p, g) in enumerate(zip(params, grads)):
            np.multiply(p, 1 - self.lr * self.weight_decay, out=p)
            m, v = self.state.setdefault(i, (np.zeros_like(p), np.zeros_like(p)))
            m += (1 - self.beta1) * (g - m)
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            denom = np.sqrt(v) / math.sqrt(correction2) + self.eps
            p -= (self.lr / correction1) * m / denom
"""),
    ("decay_folded_into_one_update", """
class AdamW:
    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weight_decay = weight_decay
        self.t = 0
        self.m, self.v = {}, {}

    def step(self, params, grads):
        self.t += 1
        for k, (p, g) in enumerate(zip(params, grads)):
            self.m[k] = self.beta1 * self.m.get(k, 0.0) + (1 - self.beta1) * g
            self.v[k] = self.beta2 * self.v.get(k, 0.0) + (1 - self.beta2) * g ** 2
            m_hat = self.m[k] / (1 - self.beta1 ** self.t)
            v_hat = self.v[k] / (1 - self.beta2 ** self.t)
            # the decay acts on the old p: p_new = p - lr * (wd * p + m_hat / (sqrt(v_hat) + eps))
            p[...] = p - self.lr * (self.weight_decay * p + m_hat / (np.sqrt(v_hat) + self.eps))
"""),
]

# ---------------------------------------------------------------- 4.13 true or false

_ANSWERS = [line for line in BASE["task_4_13"].splitlines() if line.startswith("tf_")]


def _flipped(index):
    name, value = _ANSWERS[index].split(" = ")
    lines = list(_ANSWERS)
    lines[index] = f"{name} = {value != 'True'}"
    return "\n".join(lines) + "\n"


WRONG["task_4_13"] = [(f"R{i + 1}-{_ANSWERS[i].split(' = ')[0]}_flipped", _flipped(i))
                      for i in range(len(_ANSWERS))]

RIGHT["task_4_13"] = [
    ("reordered", "\n".join(reversed(_ANSWERS)) + "\n"),
    ("with_comments", "\n".join(line + "  # decided" for line in _ANSWERS) + "\n"),
]
