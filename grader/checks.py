"""The vocabulary of assignment specs: checks, tasks and assignments.

A check is a few lines of *probe code* that run in the student's sandboxed kernel, in a copy
of the task's namespace with the dict ``I`` (the check's inputs) bound; the probe stores plain
results in the dict ``OUT``. The results come back as data (see ``wire.py``) and are judged
here, in the trusted process, against expected values that never enter the sandbox.

Spec authors mostly use the short forms::

    value("X_xor", X_REF, dtype="float", points=2, public=True)
    call("relu", (np.array([-1.0, 2.0]),), ref=ref_relu, points=1, public=True)
    call("relu", lambda rng: (rng.normal(size=(5, 3)),), ref=ref_relu, points=2)
    boolean("tf_bias", False, points=1)           # +1 right, -1 wrong, 0 for None
    probe("Linear.backward stores dW", CODE, inputs=make_inputs, ref=ref_fn, points=3)

``inputs`` (a dict, or a function of a seeded ``numpy.random.Generator`` returning one) and
``ref`` (a trusted function of the inputs returning the expected ``OUT``) are evaluated in
the grader. ``verify(out, inputs, expected) -> list[str]`` replaces the default comparison
for behaviour checks (hidden checks only).
"""
import copy
import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from . import compare
from .wire import Like


@dataclass
class Check:
    label: str                      # what the student reads, e.g. "`relu` on a hidden batch"
    code: str                       # probe code: reads I, assigns OUT (a dict)
    points: float = 1.0
    public: bool = False
    inputs: Any = None              # dict or fn(rng) -> dict
    ref: Callable | None = None     # fn(**inputs) -> expected OUT dict
    expected: Any = None            # expected OUT dict, when no ref
    requires: dict = field(default_factory=dict)   # OUT key -> Like, checked first
    verify: Callable | None = None  # fn(out, inputs, expected) -> list of problems
    subject: str | None = None      # how messages name the answer, default: the label
    verb: str = "is"
    rtol: float = 1e-6
    atol: float = 1e-8
    timeout: float | None = None    # seconds; default: the assignment's cell_timeout
    negative: bool = False          # True/False question: right +p, wrong -p, None 0

    def materialize(self, seed):
        """Return ``(inputs, expected)`` for this check, computed in the trusted process."""
        rng = np.random.default_rng(seed)
        inputs = self.inputs(rng) if callable(self.inputs) else dict(self.inputs or {})
        expected = self.expected
        if self.ref is not None:
            expected = self.ref(**copy.deepcopy(inputs))
        return inputs, expected

    def judge(self, out, inputs, expected):
        """Score a decoded ``OUT``: returns ``(points, problems)``."""
        if self.negative:
            return _judge_boolean(out.get("value"), expected["value"], self.points,
                                  self.subject or self.label)
        found = []
        subject = self.subject or self.label
        for key, like in self.requires.items():
            found += compare.problems(out.get(key), like, _name(subject, key, self.requires))
        if not found and self.verify is not None:
            found = list(self.verify(out, inputs, expected))
        elif not found and expected is not None:
            for key, want in expected.items():
                if key not in out:
                    found.append(f"the check got no '{key}' result")
                    continue
                found += compare.problems(out[key], want, _name(subject, key, expected),
                                          self.verb, self.rtol, self.atol, reveal=self.public)
        return (0.0 if found else float(self.points)), found


def _name(subject, key, keys):
    return subject if len(keys) == 1 else f"{subject} ({key})"


def _judge_boolean(answer, truth, points, subject):
    if answer is None:
        return 0.0, [f"{subject}: not answered (0 points)"]
    if isinstance(answer, (np.ndarray, np.bool_)) and np.ndim(answer) == 0 \
            and np.asarray(answer).dtype.kind == "b":
        answer = bool(answer)
    if type(answer) is not bool:
        return 0.0, [f"{subject} must be True, False or None, not {compare.describe(answer)}"]
    if answer == truth:
        return float(points), []
    return -float(points), [f"{subject}: wrong answer (-{points:g} points)"]


@dataclass
class Task:
    tag: str                        # cell tag, e.g. "task_1_2"
    title: str
    checks: list
    min_points: float = 0.0         # negative marking never takes a task below this

    @property
    def points(self):
        return float(sum(c.points for c in self.checks))


@dataclass
class Assignment:
    number: int
    slug: str                       # solutions/assignment_<number>_<slug>.ipynb
    topic: str                      # notebooks/Assignment_<number>_<topic>.ipynb
    title: str
    tasks: list
    preload: tuple = ("numpy",)     # modules imported once in the warm kernel factory
    cell_timeout: float = 10.0      # seconds per cell (task cell or check)
    budget: float = 120.0           # seconds per submission
    min_total: float = 0.0

    @property
    def points(self):
        return sum(t.points for t in self.tasks)

    @property
    def solution_name(self):
        return f"assignment_{self.number}_{self.slug}.ipynb"

    @property
    def template_name(self):
        return f"Assignment_{self.number}_{self.topic}.ipynb"

    def task(self, tag):
        return next(t for t in self.tasks if t.tag == tag)

    def check_seed(self, tag, index):
        """A stable seed per check, so hidden inputs are the same on every run."""
        key = f"{self.number}:{tag}:{index}".encode()
        return int.from_bytes(hashlib.sha256(key).digest()[:4], "little")


# ---------------------------------------------------------------- short forms for specs

def probe(label, code, *, inputs=None, ref=None, expected=None, points=1.0, public=False,
          **options):
    """The general check: ``code`` runs in the kernel, ``ref``/``verify`` judge its OUT."""
    return Check(label=label, code=code, inputs=inputs, ref=ref, expected=expected,
                 points=points, public=public, **options)


def value(name, expected=None, *, shape=None, dtype=None, kind="ndarray", points=1.0,
          public=False, label=None, rtol=1e-6, atol=1e-8):
    """Variable ``name`` exists and matches ``expected`` (and/or the given shape/dtype)."""
    requires = {}
    if shape is not None or dtype is not None or expected is None:
        requires["value"] = Like(kind, shape=shape, dtype=dtype)
    return Check(label=label or f"`{name}`", code=f"OUT = {{'value': {name}}}",
                 expected=None if expected is None else {"value": expected},
                 requires=requires, points=points, public=public, rtol=rtol, atol=atol)


def call(func, args=(), kwargs=None, *, ref=None, expected=None, points=1.0, public=False,
         label=None, shape=None, dtype=None, kind="ndarray", rtol=1e-6, atol=1e-8, timeout=None):
    """``func(*args, **kwargs)`` returns what ``ref(*args, **kwargs)`` returns.

    ``args`` may be a tuple or a function of a seeded generator returning a tuple (hidden,
    random inputs). Give ``shape``/``dtype`` to also require an array of that form.
    """
    def inputs(rng):
        values = args(rng) if callable(args) else args
        return {"args": list(values), "kwargs": dict(kwargs or {})}

    def reference(args, kwargs):
        return {"value": ref(*args, **kwargs)}

    requires = {}
    if shape is not None or dtype is not None:
        requires["value"] = Like(kind, shape=shape, dtype=dtype)
    if label is None:
        label = _call_label(func, args, kwargs, public)
    return Check(label=label, code=f"OUT = {{'value': {func}(*I['args'], **I['kwargs'])}}",
                 inputs=inputs, ref=reference if ref else None,
                 expected=None if expected is None else {"value": expected},
                 requires=requires, points=points, public=public, verb="returned",
                 rtol=rtol, atol=atol, timeout=timeout)


def _call_label(func, args, kwargs, public):
    if callable(args) or not public:
        return f"`{func}` on hidden inputs"
    shown = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in (kwargs or {}).items()]
    if all(s is not None for s in shown):
        return f"`{func}({', '.join(shown)})`"
    return f"`{func}` on the example input"


def _short(value):
    if isinstance(value, (bool, int, float, str)) or value is None:
        return repr(value)
    if isinstance(value, np.ndarray) and value.size <= 6:
        return "np.array(" + repr(value.tolist()) + ")"
    return None


def boolean(name, answer, *, points=1.0, label=None):
    """A True/False answer variable with negative marking: +points, -points, or 0 for None."""
    return Check(label=label or f"`{name}`", code=f"OUT = {{'value': {name}}}",
                 expected={"value": bool(answer)}, points=points, negative=True)


# ---------------------------------------------------------------- judging (trusted side)

def judge_report(check, report, inputs, expected):
    """Turn the kernel's report for one check into a result dict for the student."""
    from .wire import from_plain
    result = {"label": check.label, "max": float(check.points), "public": check.public}
    if report is None or report.get("status"):
        status = (report or {}).get("status", "no result")
        return {**result, "points": 0.0, "status": status,
                "messages": [(report or {}).get("message", "the check produced no result")]}
    if not report.get("ok"):
        return {**result, "points": 0.0, "status": "error",
                "messages": [error_message(check.label, report.get("error") or {})]}
    try:
        out = from_plain(report["out"])
        out = out if isinstance(out, dict) else {}
        points, found = check.judge(out, inputs, expected)
    except Exception as error:  # malformed data from the kernel is the student's loss
        points, found = 0.0, [f"{check.label}: the result could not be read ({error})"]
    status = "passed" if points > 0 or (not found and points == 0) else "failed"
    return {**result, "points": points, "status": status, "messages": found}


def error_message(label, error):
    kind, text, line = error.get("type", "Error"), error.get("message", ""), error.get("line")
    if kind == "NameError":  # the usual cause: a name defined in another cell
        where = f" in line {line} of your cell" if line and not error.get("in_check") else ""
        return (f"{label}: your code raised NameError{where}: {text} (each task is graded on "
                "its own, after the imports cell only: define what it uses in the task's own cell)")
    if error.get("in_check") and kind == "GraderError":
        return f"{label}: {text}"
    where = f" in line {line} of your cell" if line else ""
    return f"{label}: your code raised {kind}{where}: {text}"


def score_task(task, check_results):
    total = sum(r["points"] for r in check_results)
    return max(total, task.min_points)
