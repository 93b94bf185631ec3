"""Source text of the helpers that adversarial cells carry into the kernel.

Each adversarial cell is self-contained: it starts with the helpers it needs (as text), then
the solution's own source, then the trick. Nothing here is imported by the grader.
"""

# Turns the values a task cell defined into wrong ones of the same kind: numbers move by one,
# booleans flip, functions return spoiled results and also spoil array arguments in place,
# classes spoil their instances' arrays after every method call. A check that compares
# anything the cell produced then sees a wrong value.
SPOIL = r'''
import numpy as _adv_np

def _adv_spoil(v, depth=0):
    if depth > 6:
        return v
    if type(v) is bool:
        return not v
    if type(v) is int:
        return v + 1
    if type(v) is float:
        return v + 1.0
    if isinstance(v, _adv_np.ndarray):
        if v.dtype.kind == "b":
            return ~v
        if v.dtype.kind in "iufc":
            return v + 1
        return v
    if isinstance(v, _adv_np.generic) and v.dtype.kind in "iuf":
        return v + 1
    if isinstance(v, _adv_np.generic) and v.dtype.kind == "b":
        return not bool(v)
    if type(v) is dict:
        return {k: _adv_spoil(x, depth + 1) for k, x in v.items()}
    if type(v) in (list, tuple):
        return type(v)(_adv_spoil(x, depth + 1) for x in v)
    if isinstance(v, type):
        return _adv_spoil_class(v)
    if callable(v):
        return _adv_spoil_function(v)
    if hasattr(v, "__dict__"):
        _adv_spoil_state(v)
    return v

def _adv_spoil_state(obj, depth=0):
    if depth > 3 or not hasattr(obj, "__dict__") or isinstance(obj, type):
        return
    for key, value in list(vars(obj).items()):
        if isinstance(value, _adv_np.ndarray) and value.dtype.kind in "fc":
            setattr(obj, key, value + 1.0)
        elif type(value) in (list, tuple):
            for item in value:
                _adv_spoil_state(item, depth + 1)
        elif hasattr(value, "__dict__") and not callable(value):
            _adv_spoil_state(value, depth + 1)

def _adv_spoil_args(args):
    for a in args:
        if isinstance(a, _adv_np.ndarray) and a.dtype.kind == "f" and a.flags.writeable:
            a += 1.0
        elif hasattr(a, "__dict__") and not callable(a):
            _adv_spoil_state(a)

def _adv_spoil_function(f):
    def spoiled(*args, **kwargs):
        result = f(*args, **kwargs)
        _adv_spoil_args(args)
        return _adv_spoil(result)
    spoiled.__name__ = getattr(f, "__name__", "f")
    return spoiled

def _adv_spoil_class(cls):
    def wrap(name, method):
        def spoiled(self, *args, **kwargs):
            result = method(self, *args, **kwargs)
            _adv_spoil_args(args)
            _adv_spoil_state(self)
            return None if name == "__init__" else _adv_spoil(result)
        return spoiled
    methods = {name: wrap(name, value) for name, value in vars(cls).items()
               if callable(value) and (name == "__init__" or not name.startswith("__"))}
    return type(cls.__name__, (cls,), methods)

def _adv_spoil_names(ns, names):
    for name in names:
        if name in ns:
            ns[name] = _adv_spoil(ns[name])
'''

# Wraps the (correct) values a cell defined in objects that claim to be right.
LIE = r'''
import numpy as _adv_np

class _AdvYes:
    """Equal to, and in every order with, anything."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    def __bool__(self): return True
    def __float__(self): return 0.0
    def __len__(self): return 0
    def __hash__(self): return 0
    def __repr__(self): return "1.0"

class _AdvFloat(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    def __hash__(self): return 0

class _AdvArray(_adv_np.ndarray):
    def __eq__(self, other): return _adv_np.ones(self.shape, dtype=bool)
    def __ne__(self, other): return _adv_np.zeros(self.shape, dtype=bool)

def _adv_lie(v, how, depth=0):
    if depth > 6:
        return v
    if type(v) in (dict,):
        return {k: _adv_lie(x, how, depth + 1) for k, x in v.items()}
    if type(v) in (list, tuple):
        return type(v)(_adv_lie(x, how, depth + 1) for x in v)
    if isinstance(v, type):
        return v
    if callable(v):
        def lying(*args, _f=v, **kwargs):
            return _adv_lie(_f(*args, **kwargs), how, depth + 1)
        return lying
    number = type(v) in (int, float, bool) or isinstance(v, (_adv_np.generic, _adv_np.ndarray))
    if not number:
        return v
    if how == "yes":
        return _AdvYes()
    if how == "float":
        return _AdvFloat(v) if _adv_np.ndim(v) == 0 else _adv_np.asarray(v, float).view(_AdvArray)
    if how == "ndarray":
        return _adv_np.asarray(v, dtype=float).view(_AdvArray)
    if how == "object":
        return _adv_np.array(v, dtype=object)
    raise ValueError(how)

def _adv_lie_names(ns, names, how):
    for name in names:
        if name in ns:
            ns[name] = _adv_lie(ns[name], how)
'''

# Used by cells that look around and put what they found into the error message (which
# reaches the student's feedback): the grader must show "nothing reachable".
REPORT = r'''
_adv_found = []

def _adv_try(label, probe):
    try:
        value = probe()
    except BaseException:
        return
    if value:
        _adv_found.append(f"{label}={str(value)[:40]!r}")
'''
