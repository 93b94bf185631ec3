"""Probes every assignment uses: read a variable, call a function."""


def value(ns, name):
    """The variable ``name`` as the student's cell left it."""
    return {"value": ns[name]}


def call(ns, func, args, kwargs):
    """What ``func(*args, **kwargs)`` returns."""
    return {"value": ns[func](*args, **kwargs)}


def call_keeps_input(ns, func, args, kwargs):
    """``func(*args, **kwargs)``'s return value, and its arguments afterwards (to see whether
    the call changed them in place)."""
    returned = ns[func](*args, **kwargs)
    return {"value": returned, "args after": args, "kwargs after": kwargs}


def method(ns, cls, init, name, args):
    """What ``cls(*init).name(*args)`` returns: a method of a fresh instance."""
    return {"value": getattr(ns[cls](*init), name)(*args)}
