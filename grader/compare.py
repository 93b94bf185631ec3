"""Compare a decoded answer with an expected value, in the trusted process.

``problems(actual, expected, subject)`` returns a list of sentences for the student (empty
when the answer is right). ``subject`` names what is being judged, e.g. "`W1`" or
"`sigmoid_grad(0)`". With ``reveal=False`` (hidden checks) no expected value and no size of
an error is ever printed, only shapes, types and which entries are wrong: a hidden check must
not work as an oracle that a student queries with one submission after another.

Shipped into student notebooks with the self-checks: standard library and NumPy only.
"""
import numpy as np

try:  # inside the grader package
    from .wire import Like, Tensor, Unsupported
except ImportError:  # inside a notebook's self-check cell, where wire.py was exec'd first
    pass

_KINDS = {"float": "f", "int": "iu", "bool": "b", "complex": "c", "number": "iufb"}


def describe(value):
    """A short, type-level description of an answer (never its hidden contents)."""
    if isinstance(value, Unsupported):
        return f"an object of type {value.type_name}"
    if isinstance(value, Tensor):
        return f"a torch.Tensor of shape {tuple(value.array.shape)}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


def _show(value, limit=120):
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, separator=", ", threshold=12)
    elif isinstance(value, float):
        text = f"{value:.6g}"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"   # it may be the student's


def _is_number(value):
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "iuf"
    return type(value) in (int, float)


def plain_scalar(value):
    """The one coercion of answers: NumPy scalars, 0-d arrays and one-element tensors of
    numbers are taken as the Python number (or bool) they hold, so a student may answer with
    any of them where a number is asked for. Genuine types only: the decoder makes none
    else."""
    if isinstance(value, Tensor) and value.array.size == 1 and value.array.ndim <= 1:
        value = value.array.reshape(())
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "biuf":
        value = value[()]
    return value.item() if isinstance(value, np.generic) else value


def plain_numbers(value):
    """A sequence of numbers (list, tuple, 1-D array or tensor) as a 1-D float array; None if
    it is anything else."""
    if isinstance(value, Tensor):
        value = value.array
    if isinstance(value, (list, tuple)):
        items = [plain_scalar(v) for v in value]
        if not all(type(v) in (int, float) for v in items):
            return None
        return np.array(items, dtype=float)
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "iuf":
        return value.astype(float)
    return None


def _match_like(actual, like, subject):
    kind = like.kind
    if kind not in ("ndarray", "tensor"):   # an array or tensor is judged as what it is
        actual = plain_scalar(actual)
    if kind == "ndarray" and not isinstance(actual, np.ndarray):
        return [f"{subject} is {describe(actual)}, expected a NumPy array"]
    if kind == "tensor" and not isinstance(actual, Tensor):
        return [f"{subject} is {describe(actual)}, expected a torch.Tensor"]
    if kind in ("ndarray", "tensor"):
        array = actual.array if isinstance(actual, Tensor) else actual
        return _shape_dtype(array, like.shape, like.dtype, subject)
    if kind == "float" and not _is_number(actual):
        return [f"{subject} is {describe(actual)}, expected a number"]
    if kind == "int" and not (type(actual) is int or
                              isinstance(actual, np.ndarray) and actual.ndim == 0
                              and actual.dtype.kind in "iu"):
        return [f"{subject} is {describe(actual)}, expected an integer"]
    if kind == "bool" and type(actual) is not bool and not (
            isinstance(actual, np.ndarray) and actual.ndim == 0 and actual.dtype.kind == "b"):
        return [f"{subject} is {describe(actual)}, expected True or False"]
    simple = {"str": str, "list": (list, tuple), "dict": dict}
    if kind in simple and not isinstance(actual, simple[kind]):
        return [f"{subject} is {describe(actual)}, expected a {kind}"]
    return []


def _shape_dtype(array, shape, dtype, subject):
    if shape is not None and tuple(array.shape) != tuple(shape):
        return [f"{subject} has shape {tuple(array.shape)}, expected {tuple(shape)}"]
    if dtype in _KINDS and array.dtype.kind not in _KINDS[dtype]:
        return [f"{subject} has dtype {array.dtype}, expected a {dtype} dtype"]
    if dtype and dtype not in _KINDS and array.dtype != np.dtype(dtype):  # e.g. "float64"
        return [f"{subject} has dtype {array.dtype}, expected {dtype}"]
    return []


def _numbers(actual, expected, subject, verb, rtol, atol, reveal):
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    if a.shape != e.shape:
        return [f"{subject} has shape {a.shape}, expected {e.shape}"]
    if np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
        return []
    wrong = "has wrong values" if verb == "is" else f"{verb} wrong values"
    if not reveal:
        return [_where_wrong(a, e, subject, wrong, rtol, atol)]
    if a.ndim == 0 or a.size <= 12:
        return [f"{subject} {verb} {_show(actual)}, expected {_show(expected)}"]
    diff = np.abs(a - e)
    where = np.unravel_index(int(np.nanargmax(np.where(np.isnan(diff), np.inf, diff))), a.shape)
    return [f"{subject} {wrong}: at index {tuple(int(i) for i in where)} "
            f"it is {a[where]:.6g}, expected {e[where]:.6g}"]


def _where_wrong(a, e, subject, wrong, rtol, atol):
    """Which entries are wrong, by position only: nothing about the expected values."""
    if not np.isfinite(a).all() and np.isfinite(e).all():
        return f"{subject} {wrong}: nan or inf where finite numbers were expected"
    if a.ndim == 0:
        return f"{subject} {wrong}"
    bad = ~np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    first = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.any() else ()
    return (f"{subject} {wrong}: {int(bad.sum())} of {a.size} entries are wrong (the first at "
            f"index {first if len(first) > 1 else first[0]})")


def problems(actual, expected, subject, verb="is", rtol=1e-6, atol=1e-8, reveal=True):
    """Sentences describing how ``actual`` differs from ``expected`` (empty if it matches)."""
    if isinstance(expected, Like):
        return _match_like(actual, expected, subject)
    actual, expected = plain_scalar(actual), plain_scalar(expected)
    if isinstance(actual, Unsupported):
        return [f"{subject} {verb} {describe(actual)}, which the grader does not accept here"]
    if expected is None or isinstance(expected, (bool, np.bool_)):
        want = None if expected is None else bool(expected)
        got = bool(actual) if isinstance(actual, np.ndarray) and actual.ndim == 0 \
            and actual.dtype.kind == "b" else actual
        if type(got) is not type(want) or got != want:
            shown = f", expected {want!r}" if reveal else ""
            return [f"{subject} {verb} {_show(got) if reveal else describe(got)}{shown}"]
        return []
    if isinstance(expected, str):
        if actual != expected:
            got = _show(actual) if isinstance(actual, str) else describe(actual)
            return [f"{subject} {verb} {got}" + (f", expected {expected!r}" if reveal else "")]
        return []
    if isinstance(expected, Tensor):
        if not isinstance(actual, Tensor):
            return [f"{subject} {verb} {describe(actual)}, expected a torch.Tensor"]
        return _array(actual.array, expected.array, subject, verb, rtol, atol, reveal)
    if isinstance(expected, np.ndarray):
        if isinstance(actual, Tensor):
            return [f"{subject} {verb} a torch.Tensor, expected a NumPy array"]
        if not isinstance(actual, np.ndarray):
            return [f"{subject} {verb} {describe(actual)}, expected a NumPy array"]
        return _array(actual, expected, subject, verb, rtol, atol, reveal)
    if isinstance(expected, (int, float, np.integer, np.floating)):
        if not _is_number(actual):
            return [f"{subject} {verb} {describe(actual)}, expected a number"]
        return _numbers(actual, expected, subject, verb, rtol, atol, reveal)
    if isinstance(expected, (list, tuple)):
        return _sequence(actual, expected, subject, verb, rtol, atol, reveal)
    if isinstance(expected, dict):
        return _mapping(actual, expected, subject, verb, rtol, atol, reveal)
    raise TypeError(f"the grader cannot compare with an expected {type(expected).__name__}")


def _array(actual, expected, subject, verb, rtol, atol, reveal):
    found = _shape_dtype(actual, expected.shape, None, subject)
    if found:
        return found
    if expected.dtype.kind == "b" and actual.dtype.kind != "b":
        return [f"{subject} has dtype {actual.dtype}, expected a bool dtype"]
    return _numbers(actual, expected, subject, verb, rtol, atol, reveal)


def _sequence(actual, expected, subject, verb, rtol, atol, reveal):
    if not isinstance(actual, (list, tuple)):
        return [f"{subject} {verb} {describe(actual)}, expected a {type(expected).__name__} "
                f"of length {len(expected)}"]
    if len(actual) != len(expected):
        return [f"{subject} has length {len(actual)}, expected {len(expected)}"]
    found = []
    for i, (a, e) in enumerate(zip(actual, expected)):
        found += problems(a, e, f"{subject}[{i}]", verb, rtol, atol, reveal)
    return found


def _mapping(actual, expected, subject, verb, rtol, atol, reveal):
    if not isinstance(actual, dict):
        return [f"{subject} {verb} {describe(actual)}, expected a dict"]
    missing = [k for k in expected if k not in actual]
    if missing:
        return [f"{subject} has no key {missing[0]!r}"]
    found = []
    for key, e in expected.items():
        found += problems(actual[key], e, f"{subject}[{key!r}]", verb, rtol, atol, reveal)
    return found
