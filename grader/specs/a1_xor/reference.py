"""Assignment 1 (XOR), trusted side: references, input makers and judges (Task 1.8's, which
rerun the training, are in training.py).

Nothing here is sent to the student's kernel. Input makers draw a check's inputs from a seeded
generator (keys starting with ``_`` stay here); references compute the expected observations
once per grader process; judges (``verify``) turn the raw observations that the probes in
grader/probes/a1_xor.py send back into messages. Judges never print an expected value or the
size of an error: they say what is wrong in words the student can act on.
"""
from __future__ import annotations

import numpy as np

from ...compare import describe, plain_scalar, problems

XOR_X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


# ================================================================== Part 1 to 3: NumPy

def exact_float64(name):
    """A judge for a variable that must equal the expected array and have dtype float64."""
    def verify(out, inputs, expected):
        value, subject = out.get("value"), f"`{name}`"
        if not isinstance(value, np.ndarray):
            return [f"{subject} is {describe(value)}, expected a NumPy array"]
        found = problems(value, expected["value"], subject, reveal=False)
        if not found and value.dtype != np.float64:
            found = [f"{subject} has dtype {value.dtype}; the task asks for float64 "
                     "(write the entries as floats, e.g. 0.0 and 1.0)"]
        return found
    return verify


def ref_least_squares(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Least squares with a bias.

    Inputs:
    - X: (n, d) inputs, one example per row
    - y: (n,) targets

    Returns (w, b): w of shape (d,) and the number b minimising sum_i (X[i] @ w + b - y[i])**2.
    """
    A = np.column_stack([X, np.ones(len(X))])
    theta = np.linalg.lstsq(A, y, rcond=None)[0]
    return theta[:-1], float(theta[-1])


def least_squares_inputs(n: int, d: int, exact: bool):
    """Random (n, d) data; with ``exact`` the targets are an affine function of the inputs."""
    def inputs(rng):
        X = rng.normal(size=(n, d))
        y = X @ rng.normal(size=d) + rng.normal() if exact else rng.normal(size=n)
        return {"func": "least_squares_fit", "args": [X, y], "kwargs": {}}
    return inputs


def ref_least_squares_call(func, args, kwargs):
    return {"value": ref_least_squares(*args)}


def judge_pair(func: str, names: tuple[str, str]):
    """A judge for a function that returns a pair: the pair's form first, then each part
    against the reference, by position only."""
    def verify(out, inputs, expected):
        value = out.get("value")
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            return [f"`{func}` returned {describe(value)}, expected a pair "
                    f"({', '.join(names)})"]
        found = []
        for name, got, want in zip(names, value, expected["value"]):
            found += problems(got, want, f"`{name}` returned by `{func}`", reveal=False)
        return found
    return verify


def ref_relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0) entry-wise; z of any shape."""
    return np.maximum(z, 0.0)


def relu_inputs_3d(rng) -> tuple:
    """A 3-D input with entries exactly 0 (the boundary), as a one-argument tuple."""
    z = rng.normal(size=(2, 3, 4))
    z[0, 1, :2] = 0.0
    return (z,)


def relu_view_inputs(rng) -> dict:
    """A base array; the probe hands relu the non-contiguous view base[:, ::2]."""
    return {"base": rng.normal(size=(4, 6))}


def ref_relu_view(base: np.ndarray) -> dict:
    return {"value": ref_relu(base[:, ::2]), "input after": base}


def judge_relu_view(out, inputs, expected):
    found = problems(out.get("value"), expected["value"], "`relu` on a view of an array",
                     verb="returned", reveal=False)
    after = out.get("input after")
    if not isinstance(after, np.ndarray) or after.shape != expected["input after"].shape \
            or not np.array_equal(after, expected["input after"]):
        found.append("`relu` changed the array it was given: it must return a new array and "
                     "leave z as it was (z may be a view of a larger array)")
    return found


def ref_two_layer_forward(X: np.ndarray, W1: np.ndarray, b1: np.ndarray, w2: np.ndarray,
                          b2: float) -> np.ndarray:
    """relu(X @ W1 + b1) @ w2 + b2: X (n, d), W1 (d, H), b1 (H,), w2 (H,), b2 a number;
    returns (n,)."""
    return np.maximum(X @ W1 + b1, 0.0) @ w2 + b2


def forward_args(n: int, d: int, H: int, shift: float = 0.0):
    """Random arguments of two_layer_forward; a negative ``shift`` of b1 switches many hidden
    units off."""
    def args(rng):
        return (rng.normal(size=(n, d)), rng.normal(size=(d, H)), rng.normal(size=H) + shift,
                rng.normal(size=H), float(rng.normal()))
    return args


def ref_hidden_features(X: np.ndarray, W1: np.ndarray, b1: np.ndarray) -> np.ndarray:
    """relu(X @ W1 + b1): X (n, d), W1 (d, H), b1 (H,); returns (n, H)."""
    return np.maximum(X @ W1 + b1, 0.0)


def noisy_corners(rng, n: int, std: float, labels: np.ndarray = XOR_Y):
    """n points around the four corners, labelled per corner by ``labels``."""
    corner = rng.integers(0, 4, size=n)
    return XOR_X[corner] + std * rng.normal(size=(n, 2)), labels[corner].astype(float)


def judge_xor_network(out, inputs, expected):
    """Evaluate the student's hand-chosen 2-2-1 network here, on the four XOR points."""
    shapes = {"W1_xor": (2, 2), "b1_xor": (2,), "w2_xor": (2,), "b2_xor": ()}
    params = {}
    for name, shape in shapes.items():
        value = plain_scalar(out.get(name))
        if type(value) in (int, float):
            value = np.asarray(value, dtype=float)
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf" \
                or value.size != int(np.prod(shape)):
            return [f"the network cannot be evaluated: `{name}` is {describe(value)}, "
                    f"expected {'a number' if not shape else f'an array of shape {shape}'}"]
        params[name] = value.astype(float).reshape(shape)
    outputs = ref_two_layer_forward(XOR_X, *params.values())
    wrong = ~np.isclose(outputs, XOR_Y, rtol=0.0, atol=1e-9)
    if wrong.any():
        rows = ", ".join(str(tuple(int(v) for v in XOR_X[i])) for i in np.flatnonzero(wrong))
        return [f"the network with your parameters does not output exactly the XOR label at "
                f"{int(wrong.sum())} of the 4 points: {rows}"]
    return []


# ================================================================== Part 5: noisy XOR, plots

def noisy_call(n: int, std: float):
    """Inputs of ``common.call`` for make_noisy_xor(n, std, seed) with a random seed."""
    def inputs(rng):
        return {"func": "make_noisy_xor", "args": [n, std, int(rng.integers(1000))],
                "kwargs": {}}
    return inputs


def noisy_seeds_inputs(rng) -> dict:
    seed = int(rng.integers(1000))
    return {"n": 50, "std": 0.1, "seeds": [seed, seed, seed + 1 + int(rng.integers(500))]}


def _noisy_pair(value, n: int):
    """``(X, y, [])`` as float arrays, or ``(None, None, problems)``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return None, None, [f"`make_noisy_xor` returned {describe(value)}, expected a pair "
                            "(X, y)"]
    X, y = value
    if not all(isinstance(a, np.ndarray) and a.dtype.kind in "iuf" for a in (X, y)) \
            or X.shape != (n, 2) or y.shape != (n,):
        return None, None, [f"`make_noisy_xor({n}, ...)` must return NumPy arrays X of shape "
                            f"({n}, 2) and y of shape ({n},); it returned {describe(X)} and "
                            f"{describe(y)}"]
    return X.astype(float), y.astype(float), []


def judge_noisy_labels(out, inputs, expected):
    X, y, found = _noisy_pair(out.get("value"), inputs["args"][0])
    if found:
        return found
    corner = (X > 0.5).astype(int)       # std is small: every point is near its corner
    truth = (corner[:, 0] ^ corner[:, 1]).astype(float)
    if np.mean(y == truth) < 0.99:
        return ["the labels are not the XOR of the corners the points come from (1.0 for "
                "(1, 0) and (0, 1), 0.0 for (0, 0) and (1, 1))"]
    return []


def judge_noisy_spread(out, inputs, expected):
    n, std, _ = inputs["args"]
    X, _, found = _noisy_pair(out.get("value"), n)
    if found:
        return found
    noise = X - (X > 0.5)
    if np.abs(noise.mean(axis=0)).max() > 0.1 * std:
        return ["the points are not centred on their corners: the noise must have mean 0"]
    if np.any(np.abs(noise.std(axis=0) - std) > 0.1 * std):
        return ["the noise does not have standard deviation `std` in each coordinate (`std` is "
                "a standard deviation, not a variance)"]
    if abs(np.corrcoef(noise.T)[0, 1]) > 0.1:
        return ["the noise of the two coordinates is not independent: draw it separately for "
                "each coordinate, e.g. with size=(n, 2)"]
    return []


def judge_noisy_corners(out, inputs, expected):
    X, _, found = _noisy_pair(out.get("value"), inputs["args"][0])
    if found:
        return found
    corner = (X > 0.5).astype(int) @ np.array([1, 2])
    share = np.bincount(corner, minlength=4) / len(corner)
    if share.min() < 0.15 or share.max() > 0.35:
        return ["the four corners are not used about equally often: each row's corner should "
                "be each of the four with probability 1/4"]
    return []


def judge_noisy_seeds(out, inputs, expected):
    runs = out.get("runs")
    if not isinstance(runs, list) or len(runs) != 3:
        return ["the check could not read the data of three calls"]
    read = [_noisy_pair(run, inputs["n"]) for run in runs]
    for _, _, found in read:
        if found:
            return found
    (a, ya, _), (b, yb, _), (c, _, _) = read
    if not (np.array_equal(a, b) and np.array_equal(ya, yb)):
        return ["two calls with the same seed gave different data: draw all randomness from "
                "one generator, np.random.default_rng(seed)"]
    if np.array_equal(a, c):
        return ["calls with different seeds gave the same data: the generator must be "
                "np.random.default_rng(seed)"]
    if not _same_state(out.get("global state before"), out.get("global state after")):
        return ["`make_noisy_xor` used NumPy's global random generator (np.random.seed, "
                "np.random.rand, ...): draw everything from np.random.default_rng(seed)"]
    return []


def _same_state(a, b) -> bool:
    """Whether two observations of np.random.get_state() are the same state."""
    if not isinstance(a, (list, tuple)) or not isinstance(b, (list, tuple)) or len(a) != len(b):
        return False
    return all(np.array_equal(x, y) if isinstance(x, np.ndarray) else
               plain_scalar(x) == plain_scalar(y) for x, y in zip(a, b))


def plot_inputs(rng) -> dict:
    """40 noisy points around stretched corners, and a stand-in classifier's parameters."""
    X, y = noisy_corners(rng, 40, 0.3)
    return {"X": 2.0 * X - 0.5, "y": y, "weights": 3.0 * rng.normal(size=2),
            "offset": float(rng.normal())}


FILLED = ("matplotlib.collections.QuadMesh", "matplotlib.collections.PolyQuadMesh",
          "matplotlib.image.AxesImage")          # pcolormesh, pcolor, imshow; or a filled
CONTOURS = "matplotlib.contour.ContourSet"       # ContourSet (contourf, tricontourf)


def _plot_axes(out):
    """The observed Axes of the figure, without colorbars (they hold a mesh of their own)."""
    axes = out.get("axes")
    if not isinstance(axes, list):
        return []
    return [ax for ax in axes if isinstance(ax, dict) and ax.get("label") != "<colorbar>"]


NO_AXES = ("no Axes were found in what `plot_decision_boundary` returned (it must return the "
           "Figure, e.g. from plt.subplots())")


def judge_filled(out, inputs, expected):
    axes = _plot_axes(out)
    if not axes:
        return [NO_AXES]
    lines_only = False
    for ax in axes:
        for artist in ax.get("collections", []) + ax.get("images", []):
            classes = artist.get("classes") or []
            if any(name in classes for name in FILLED):
                return []
            if CONTOURS in classes:
                if artist.get("filled") is True:
                    return []
                lines_only = True
    if lines_only:
        return ["only contour lines were drawn; draw the probabilities as a filled contour "
                "plot (ax.contourf)"]
    return ["no filled plot of the predicted probabilities was found (draw them with "
            "ax.contourf)"]


def _rgba(value):
    """A colour observation as an RGBA tuple, or None if it is not one."""
    from matplotlib.colors import to_rgba
    try:
        return to_rgba(value.tolist() if isinstance(value, np.ndarray) else value)
    except (TypeError, ValueError):
        return None


def _markers(out):
    """``(positions (k, 2), colours)`` of every marker drawn on the Axes: scatter collections
    and lines with markers. A marker's colour is its face colour, or its edge colour where the
    face is transparent."""
    positions, colours = [], []
    for ax in _plot_axes(out):
        for c in ax.get("collections", []):
            offsets = c.get("offsets")
            if "matplotlib.collections.PathCollection" not in (c.get("classes") or []) \
                    or not isinstance(offsets, np.ndarray) or offsets.ndim != 2 \
                    or offsets.shape[1] != 2:
                continue
            face, edge = (_colour_rows(c.get(k), len(offsets)) for k in ("facecolors",
                                                                          "edgecolors"))
            for xy, f, e in zip(offsets, face, edge):
                positions.append(xy)
                colours.append(f if f is not None and f[3] > 0 else e)
        for line in ax.get("lines", []):
            xy = line.get("xy")
            if line.get("marker") in (None, "None", "none", "", " ") \
                    or not isinstance(xy, np.ndarray) or xy.ndim != 2 or xy.shape[1] != 2:
                continue
            face, edge = _rgba(line.get("markerfacecolor")), _rgba(line.get("markeredgecolor"))
            for point in xy:
                positions.append(point)
                colours.append(face if face is not None and face[3] > 0 else edge)
    return np.array(positions, dtype=float).reshape(-1, 2), colours


def _colour_rows(value, k):
    """k colours from a collection's colour rows: one row means every marker has it."""
    if not isinstance(value, np.ndarray) or value.ndim != 2 or value.shape[1] != 4 \
            or value.shape[0] not in (1, k):
        return [None] * k
    rows = [tuple(float(v) for v in row) for row in value]
    return rows * k if len(rows) == 1 else rows


def _drawn(out, X):
    """For each row of X, the set of colours of the markers drawn exactly there."""
    positions, colours = _markers(out)
    found = []
    for row in X:
        at = np.flatnonzero(np.isclose(positions, row, rtol=1e-9, atol=1e-12).all(axis=1)) \
            if len(positions) else []
        found.append({tuple(round(v, 4) for v in colours[i]) for i in at
                      if colours[i] is not None})
    return found


def judge_points_drawn(out, inputs, expected):
    if not _plot_axes(out):
        return [NO_AXES]
    missing = sum(1 for colours in _drawn(out, inputs["X"]) if not colours)
    if missing:
        return [f"{missing} of the {len(inputs['X'])} points of X were not drawn as markers "
                "(draw them with ax.scatter)"]
    return []


def judge_points_coloured(out, inputs, expected):
    drawn = _drawn(out, inputs["X"])
    if not all(drawn):
        return ["the points of X were not all drawn, so their colours could not be checked"]
    label = np.asarray(inputs["y"]) >= 0.5
    # some colour must be shared by all points of one label and by no point of the other
    # (points drawn twice, e.g. a black ring under a coloured dot, are fine)
    for mine, other in ((label, ~label), (~label, label)):
        common = set.intersection(*[drawn[i] for i in np.flatnonzero(mine)])
        common -= set.union(*[drawn[i] for i in np.flatnonzero(other)])
        if not common:
            return ["the points are not coloured by their labels: all points with label 0 "
                    "should share one colour and all points with label 1 another (e.g. "
                    "ax.scatter(..., c=y))"]
    return []


def judge_grid(out, inputs, expected):
    calls = out.get("calls")
    if not isinstance(calls, list) or not calls:
        return ["`predict` was never called"]
    X = np.asarray(inputs["X"])

    def size(points):
        return points.shape[0] if isinstance(points, np.ndarray) and points.ndim else 0
    # the largest call first: it is the grid when there is one, and its problem is the one
    # reported when no call got the grid (a training loop may call predict hundreds of times)
    by_size = sorted(calls, key=size, reverse=True)
    first = _grid_problem(by_size[0], X)
    if first is None or any(_grid_problem(points, X) is None for points in by_size[1:]):
        return []
    return [first]


def _grid_problem(points, X):
    """Why one call of predict did not get the whole grid (None if it did)."""
    if not isinstance(points, np.ndarray) or points.ndim != 2 or points.shape[1] != 2 \
            or points.dtype.kind not in "iuf":
        return (f"`predict` was called with {describe(points)}; give it one (m, 2) NumPy array "
                "with all grid points")
    xs, ys = np.unique(points[:, 0]), np.unique(points[:, 1])
    if len(xs) < 20 or len(ys) < 20:
        return ("no call of `predict` got a grid of at least 20 x 20 points: evaluate predict "
                "once, on all points of the grid")
    regular = all(np.allclose(np.diff(v), np.diff(v).mean(), rtol=1e-6, atol=0) for v in (xs, ys))
    # each point's cell in the xs-by-ys table: the rows are distinct when no cell is hit twice
    cells = np.searchsorted(xs, points[:, 0]) * len(ys) + np.searchsorted(ys, points[:, 1])
    if points.shape[0] != len(xs) * len(ys) or np.bincount(cells).max() > 1 or not regular:
        return ("the points given to `predict` are not a regular grid (use np.meshgrid of two "
                "np.linspace ranges)")
    if not (xs[0] < X[:, 0].min() and xs[-1] > X[:, 0].max() and ys[0] < X[:, 1].min()
            and ys[-1] > X[:, 1].max()):
        return "the grid does not cover all points of X plus a margin"
    return None


# ================================================================== Part 6: output layers

def judge_choice(key: str, part: int):
    """A judge for one entry of output_choices; names are compared case-blind and stripped."""
    what = ("output activation", "loss")[part]

    def verify(out, inputs, expected):
        choices = out.get("value")
        pair = choices.get(key) if isinstance(choices, dict) else None
        if not isinstance(pair, (tuple, list)) or len(pair) != 2 \
                or not isinstance(pair[part], str):
            return [f"`output_choices[{key!r}]` is not a pair of strings (activation, loss)"]
        if pair[part].strip().lower() != expected["value"]:
            return [f"{pair[part]!r} is not the {what} that suits {key}"]
        return []
    return verify
