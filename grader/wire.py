"""Plain-data wire format between the sandboxed kernel and the trusted grader.

Values cross the boundary as JSON text. Arrays travel as ``.npy`` bytes (base64) and are
read back with ``allow_pickle=False``, so nothing the student's process sends is ever
unpickled or executed. Anything that is not plain data (a lying object, an ndarray or
float subclass, an object array) is sent as a description of its type and never as a value.

This module is also shipped verbatim into student notebooks for the self-checks, so it
must only import the standard library and NumPy.
"""
import base64
import io
import json
import math

import numpy as np

WIRE_MIME = "application/vnd.nncourse.result+json"
MAX_ARRAY_BYTES = 64 * 1024 * 1024


class Unsupported:
    """Stands in for a value that was not plain data (trusted side only). Its type name and
    text come from the student's kernel, so they are cut to a few dozen characters here."""

    def __init__(self, type_name, text=""):
        self.type_name, self.text = _bounded(type_name, 100), _bounded(text, 80)

    def __repr__(self):
        return f"<{self.type_name}>"


class Tensor:
    """A torch tensor that came back as data: ``.array`` holds its values."""

    def __init__(self, array):
        self.array = array

    def __repr__(self):
        return f"tensor(shape={self.array.shape}, dtype={self.array.dtype})"


def _bounded(text, limit):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _npy(array):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _type_name(value):
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}".replace("builtins.", "")


def to_plain(value, depth=0):
    """Encode ``value`` as JSON-compatible plain data (runs where the value lives).

    Exact types only: subclasses of float, int or ndarray are described, not sent.
    """
    t = type(value)
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return value if abs(value) < 2**63 else float(value)
    if t is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if depth > 20:
        return {"__unsupported__": "nesting deeper than 20 levels"}
    if t in (list, tuple):
        return {"__seq__": t.__name__, "items": [to_plain(v, depth + 1) for v in value]}
    if t is dict:
        if not all(type(k) is str for k in value):
            return {"__unsupported__": "dict with non-string keys"}
        return {"__map__": {k: to_plain(v, depth + 1) for k, v in value.items()}}
    if t is np.ndarray or isinstance(value, np.generic) and t.__module__ == "numpy":
        array = np.asarray(value)
        if array.dtype.kind not in "biufc" or type(array) is not np.ndarray:
            return {"__unsupported__": f"numpy array of dtype {array.dtype}"}
        return {"__npy__": _npy(array), "scalar": t is not np.ndarray}
    if _type_name(value) in ("torch.Tensor", "torch.nn.parameter.Parameter"):
        array = value.detach().cpu().numpy()
        return {"__tensor__": _npy(array)}
    try:
        text = repr(value)[:80]
    except BaseException:  # a hostile __repr__ must not hide the type
        text = ""
    return {"__unsupported__": _type_name(value), "repr": text}


def dumps(value):
    return json.dumps(to_plain(value), allow_nan=False)


def _load_npy(text):
    raw = base64.b64decode(text, validate=True)
    if len(raw) > MAX_ARRAY_BYTES:
        raise ValueError("array larger than the grader accepts")
    array = np.load(io.BytesIO(raw), allow_pickle=False)
    if type(array) is not np.ndarray or array.dtype.kind not in "biufc":
        raise ValueError("not a numeric array")
    return array


def from_plain(data):
    """Decode plain data produced by :func:`to_plain` (trusted side)."""
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:  # only produced for expected values written by authors
        return [from_plain(v) for v in data]
    if type(data) is not dict:
        return Unsupported(type(data).__name__)
    if "__npy__" in data:
        array = _load_npy(data["__npy__"])
        return array[()] if data.get("scalar") else array
    if "__tensor__" in data:
        return Tensor(_load_npy(data["__tensor__"]))
    if "__float__" in data:
        return float(data["__float__"])
    if "__seq__" in data:
        items = [from_plain(v) for v in data.get("items", [])]
        return tuple(items) if data["__seq__"] == "tuple" else items
    if "__map__" in data:
        return {str(k): from_plain(v) for k, v in data["__map__"].items()}
    if "__like__" in data:
        return Like(**data["__like__"])
    return Unsupported(str(data.get("__unsupported__", "unknown")), str(data.get("repr", "")))


def loads(text):
    return from_plain(json.loads(text))


class Like:
    """An expected value that fixes only the kind, shape and dtype of an answer.

    ``Like("ndarray", shape=(4, 2), dtype="float")`` matches any float array of that shape.
    ``kind`` is one of ``ndarray``, ``tensor``, ``float``, ``int``, ``bool``, ``str``,
    ``callable`` (not sendable; use a call check), ``list``, ``dict``.
    """

    def __init__(self, kind="ndarray", shape=None, dtype=None):
        self.kind, self.dtype = kind, dtype
        self.shape = None if shape is None else tuple(shape)

    def to_plain(self):
        shape = None if self.shape is None else list(self.shape)
        return {"__like__": {"kind": self.kind, "shape": shape, "dtype": self.dtype}}

    def __repr__(self):
        parts = [self.kind] + ([f"shape {self.shape}"] if self.shape is not None else [])
        return " ".join(parts + ([f"dtype {self.dtype}"] if self.dtype else []))


def expected_to_plain(value):
    """Encode an expected value, which may contain :class:`Like` placeholders."""
    if isinstance(value, Like):
        return value.to_plain()
    if isinstance(value, (list, tuple)):
        return {"__seq__": type(value).__name__, "items": [expected_to_plain(v) for v in value]}
    if isinstance(value, dict):
        return {"__map__": {k: expected_to_plain(v) for k, v in value.items()}}
    if isinstance(value, Tensor):
        return {"__tensor__": _npy(value.array)}
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return {"__float__": repr(float(value))}
    if isinstance(value, np.ndarray):
        return {"__npy__": _npy(value), "scalar": False}
    if isinstance(value, np.generic):
        return {"__npy__": _npy(np.asarray(value)), "scalar": True}
    return value
