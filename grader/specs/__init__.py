"""The assignments' specs: one module ``a<N>_<slug>.py`` per assignment, each defining ``SPEC``."""
import importlib
import pkgutil


class SpecError(LookupError):
    """No spec, or a broken one, for the requested assignment."""


def available():
    """Assignment numbers with a spec module, e.g. ``[1, 2, 3, 4]``."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        head = module.name.split("_")[0]
        if head[:1] == "a" and head[1:].isdigit():
            found.append(int(head[1:]))
    return sorted(found)


def load_spec(number):
    """The :class:`grader.checks.Assignment` for assignment ``number``."""
    for module in pkgutil.iter_modules(__path__):
        if module.name.split("_")[0] == f"a{number}":
            return importlib.import_module(f"{__name__}.{module.name}").SPEC
    raise SpecError(f"no spec for assignment {number} (have: {available() or 'none'})")
