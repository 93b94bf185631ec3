"""Probes for Assignment 1 (XOR): they run in the student's kernel.

Each calls the student's code on the check's inputs and returns what came back, raw: the
grader (grader/specs/a1_xor/) judges it. Nothing here compares, decides or knows an answer.
"""
import numpy as np


# ---------------------------------------------------------------- Part 3: ReLU networks

def relu_on_a_view(ns, base):
    """relu on a non-contiguous view of ``base``; what it returned, and ``base`` afterwards
    (a relu that writes into its input changes it)."""
    returned = ns["relu"](base[:, ::2])
    return {"value": returned, "input after": base}


def xor_parameters(ns):
    """The four hand-chosen parameters of Task 1.6, as the cell left them."""
    return {"W1_xor": ns["W1_xor"], "b1_xor": ns["b1_xor"], "w2_xor": ns["w2_xor"],
            "b2_xor": ns["b2_xor"]}


# ---------------------------------------------------------------- Part 4: train_xor

def _observed(result, points):
    return {"losses": result["losses"], "accuracy": result["accuracy"],
            "predictions": result["predict"](points)}


def train_run(ns, hidden_units, lr, epochs, seed, X, y, points):
    """One run of train_xor: its losses, its accuracy and its predict on ``points``."""
    return _observed(ns["train_xor"](hidden_units, lr, epochs, seed, X=X, y=y), points)


def train_seeds(ns, hidden_units, lr, epochs, seeds):
    """The losses of one run per seed, on the default XOR data, one after the other."""
    return {"runs": [ns["train_xor"](hidden_units, lr, epochs, seed)["losses"]
                     for seed in seeds]}


def _predict_with(result, points):
    return result["predict"](points)


def train_and_predict(ns, hidden_units, lr, epochs, runs, points):
    """For each run ({"seed", "X", "y"}): train, then predict on ``points`` right away."""
    train_xor = ns["train_xor"]
    return {"predictions": [
        _predict_with(train_xor(hidden_units, lr, epochs, run["seed"], X=run["X"], y=run["y"]),
                      points)
        for run in runs]}


# ---------------------------------------------------------------- Part 5: noisy XOR, plots

def noisy_xor_seeds(ns, n, std, seeds):
    """make_noisy_xor once per seed, with NumPy's global random state before and after."""
    before = np.random.get_state()
    runs = [ns["make_noisy_xor"](n, std, seed) for seed in seeds]
    return {"runs": runs, "global state before": before,
            "global state after": np.random.get_state()}


class SpyPredict:
    """Stands in for a classifier's predict: records the points of every call and answers
    with a fixed logistic function of them, whose parameters the check chose."""

    def __init__(self, weights, offset):
        self.weights, self.offset, self.calls = weights, offset, []

    def __call__(self, points):
        self.calls.append(points)
        return 1.0 / (1.0 + np.exp(-(np.asarray(points, dtype=float) @ self.weights
                                     + self.offset)))


def _class_names(obj):
    return [f"{k.__module__}.{k.__qualname__}".replace("builtins.", "")
            for k in type(obj).__mro__]


def _plot(ns, X, y, weights, offset):
    """Call plot_decision_boundary with a spy predict: (what it returned, the spy)."""
    spy = SpyPredict(weights, offset)
    return ns["plot_decision_boundary"](spy, X, y), spy


def _close_figures():
    import matplotlib.pyplot as plt
    plt.close("all")


def plot_figure(ns, X, y, weights, offset):
    """The class of what plot_decision_boundary returned, and "Axes" once if it has Axes (the
    class of an Axes is named differently in older matplotlib)."""
    returned, _ = _plot(ns, X, y, weights, offset)
    axes = getattr(returned, "get_axes", list)()
    _close_figures()
    return {"class": _class_names(returned)[0], "axes": ["Axes" for _ in axes][:1]}


def _collection(c):
    # colours set with c=... are computed only when the figure is drawn; so compute them now;
    # one face and edge colour per offset at most (a mesh has thousands, and no offsets)
    c.update_scalarmappable()
    offsets = np.asarray(c.get_offsets())
    return {"classes": _class_names(c), "filled": getattr(c, "filled", None),
            "offsets": offsets, "facecolors": c.get_facecolors()[:offsets.shape[0]],
            "edgecolors": c.get_edgecolors()[:offsets.shape[0]]}


def _line(line):
    return {"xy": line.get_xydata(), "marker": line.get_marker(),
            "markerfacecolor": line.get_markerfacecolor(),
            "markeredgecolor": line.get_markeredgecolor()}


def plot_artists(ns, X, y, weights, offset):
    """What each Axes of the returned figure holds: collections (scatter, contour sets,
    meshes) with their offsets and colours, images, and lines with their data and markers."""
    returned, _ = _plot(ns, X, y, weights, offset)
    axes = [{"label": ax.get_label(), "collections": [_collection(c) for c in ax.collections],
             "images": [{"classes": _class_names(image)} for image in ax.images],
             "lines": [_line(line) for line in ax.lines]}
            for ax in getattr(returned, "get_axes", list)()]
    _close_figures()
    return {"axes": axes}


def plot_predict_calls(ns, X, y, weights, offset):
    """The points of every call plot_decision_boundary made to predict, as it passed them."""
    _, spy = _plot(ns, X, y, weights, offset)
    _close_figures()
    return {"calls": spy.calls}
