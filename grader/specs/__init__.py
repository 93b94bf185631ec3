"""The assignments' specs: one module or package ``a<N>_<slug>`` per assignment, defining
``SPEC``. Kernel-side probes live apart, in ``grader/probes/a<N>_<slug>.py``.

Extra spec folders (e.g. a course's private variants, or test fixtures) can be added with the
environment variable ``NNCOURSE_SPECS`` (paths separated by ``os.pathsep``).
"""
import hashlib
import importlib
import importlib.util
import os
import pkgutil
from pathlib import Path

__path__ += [p for p in os.environ.get("NNCOURSE_SPECS", "").split(os.pathsep) if p]

PROBES = Path(__file__).resolve().parent.parent / "probes"


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


def _name(number):
    for found, name in _modules():
        if found == number:
            return name
    raise SpecError(f"no spec for assignment {number} (have: {available() or 'none'})")


def load_spec(number):
    """The :class:`grader.checks.Assignment` for assignment ``number``."""
    return importlib.import_module(f"{__name__}.{_name(number)}").SPEC


def spec_files(number):
    """The source files grading assignment ``number`` depends on: its spec (a module, or every
    file of its package), its probes and the common probes. Found without importing the spec:
    a spec imports its libraries, and torch alone takes seconds."""
    name = _name(number)
    origin = Path(importlib.util.find_spec(f"{__name__}.{name}").origin)
    files = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
    probes = [PROBES / f"{name}.py", PROBES / "common.py"]
    return files + [p for p in probes if p.exists()]


def fingerprint(numbers, notebooks):
    """Changes whenever a spec, its probes or a template changes, so stale results are
    regraded."""
    digest = hashlib.sha256()
    for number in sorted(numbers):
        for path in spec_files(number):
            digest.update(path.read_bytes())
        for template in sorted(Path(notebooks).glob(f"Assignment_{number}_*.ipynb")):
            digest.update(template.read_bytes())
    return digest.hexdigest()[:16]
