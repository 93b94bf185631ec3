"""The assignments' specs: one module ``a<N>_<slug>.py`` per assignment, each defining ``SPEC``.

Extra spec folders (e.g. a course's private variants, or test fixtures) can be added with the
environment variable ``NNCOURSE_SPECS`` (paths separated by ``os.pathsep``).
"""
import importlib
import importlib.util
import os
import pkgutil

__path__ += [p for p in os.environ.get("NNCOURSE_SPECS", "").split(os.pathsep) if p]


class SpecError(LookupError):
    """No spec, or a broken one, for the requested assignment."""


def _modules():
    for module in pkgutil.iter_modules(__path__):
        head = module.name.split("_")[0]
        if head[:1] == "a" and head[1:].isdigit():
            yield int(head[1:]), module.name


def available():
    """Assignment numbers with a spec module, e.g. ``[1, 2, 3, 4]``."""
    return sorted(number for number, _ in _modules())


def load_spec(number):
    """The :class:`grader.checks.Assignment` for assignment ``number``."""
    for found, name in _modules():
        if found == number:
            return importlib.import_module(f"{__name__}.{name}").SPEC
    raise SpecError(f"no spec for assignment {number} (have: {available() or 'none'})")


def spec_file(number):
    """The source file of a spec (for fingerprints of what grading depends on). Found without
    importing it: a spec imports its libraries, and torch alone takes seconds."""
    for found, name in _modules():
        if found == number:
            return importlib.util.find_spec(f"{__name__}.{name}").origin
    raise SpecError(f"no spec for assignment {number} (have: {available() or 'none'})")
