"""The vocabulary of assignment specs: checks, tasks and assignments.

A check names a *probe*, a function in ``grader/probes/`` that runs in the student's sandboxed
kernel: it calls the student's code on the check's inputs and returns what came back as plain
data (see ``wire.py``). Everything else about a check stays here, in the trusted process:
how its inputs are drawn, the reference that gives the expected values, and the judgement.

Spec authors mostly use the short forms::

    value("X_xor", X_REF, dtype="float", points=2, public=True)
    call("relu", (np.array([-1.0, 2.0]),), ref=ref_relu, points=1, public=True)
    call("relu", lambda rng: (rng.normal(size=(5, 3)),), ref=ref_relu, points=2)   # hidden
    boolean("tf_bias", False, points=1)           # +1 right, -1 wrong, 0 for None
    probe("`Linear.backward` stores dW", "a2_backprop.linear_backward", inputs=make_inputs,
          ref=ref_linear_backward, points=3)

Written questions are marked by a person, not checked: ``Written(tag, title, rubric=[(points,
text), ...])`` in ``Assignment(written=[...])``; their points count in ``Assignment.points``.

``inputs`` (a dict, or a function of a seeded ``numpy.random.Generator`` returning one) are
the probe's keyword arguments; keys that start with an underscore are *trusted-only*: they are
never sent to the kernel, only given to ``ref`` and ``verify`` (e.g. the labels of a test set
whose predictions the probe returns). ``ref`` (a trusted function of the inputs) returns the
expected observations; ``verify(out, inputs, expected) -> list[str]`` replaces the default
comparison where behaviour is judged (recompute on this side whatever can be recomputed).
"""
from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from . import compare
from .wire import Like

from .result import CheckResult, Status, clip


@dataclass
class Check:
    label: str                      # what the student reads, e.g. "`relu` on a hidden batch"
    probe: str                      # "common.call", or "<spec module>.<function>"
    inputs: Any = None              # the probe's keyword arguments: dict or fn(rng) -> dict
    points: float = 1.0
    public: bool = False
    ref: Callable | None = None     # fn(**inputs) -> expected observations (a dict)
    expected: Any = None            # expected observations, when no ref
    requires: dict = field(default_factory=dict)   # observation key -> Like, checked first
    verify: Callable | None = None  # fn(out, inputs, expected) -> list of problems
    subject: str | None = None      # how messages name the answer, default: the label
    verb: str = "is"
    rtol: float = 1e-6
    atol: float = 1e-8
    timeout: float | None = None    # seconds; default: the assignment's cell_timeout
    negative: bool = False          # True/False question: right +p, wrong -p, None 0
    covers: tuple = ()              # ids of the task's requirements this check enforces
    id: str = ""                    # set by the task: "c0", "c1", ...

    def materialize(self, seed):
        """Return ``(inputs, expected)`` for this check, computed in the trusted process."""
        rng = np.random.default_rng(seed)
        inputs = self.inputs(rng) if callable(self.inputs) else dict(self.inputs or {})
        expected = self.expected
        if self.ref is not None:
            expected = self.ref(**copy.deepcopy(inputs))
        return inputs, expected

    @staticmethod
    def kernel_inputs(inputs):
        """The inputs the probe gets: trusted-only keys (``_name``) never leave the grader."""
        return {k: v for k, v in inputs.items() if not k.startswith("_")}

    def judge(self, out, inputs, expected):
        """Score decoded observations: returns ``(points, problems)``."""
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
    answer = compare.plain_scalar(answer)
    if answer is None:
        return 0.0, [f"{subject}: not answered (0 points)"]
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
    requirements: dict = field(default_factory=dict)   # id -> what the statement requires

    def __post_init__(self):
        for index, check in enumerate(self.checks):
            check.id = check.id or f"c{index}"

    @property
    def points(self):
        return float(sum(c.points for c in self.checks))


@dataclass
class Criterion:
    """One item of a written question's rubric: a thing a good answer does, and its points.
    A marker ticks the items an answer meets; the ticks add up to the answer's points."""
    points: float
    text: str                       # what the marker checks, in a sentence
    id: str = ""                    # set by the question: "r1", "r2", ...


@dataclass
class Written:
    """A written question, answered in the markdown cell tagged ``tag`` and marked by a person.

    The rubric lives here, the model answer in the solution notebook (the cell tagged
    ``instructor`` right after the answer cell) unless ``model`` gives one; neither ever
    reaches the student notebook, which shows only the question and its points."""
    tag: str                        # the answer cell's tag, "answer_<N>_<K>"; also its id
    title: str                      # a short name for markers and the gradebook
    rubric: list                    # Criterion, or (points, text) pairs
    model: str | None = None        # Markdown; default: the solution's instructor cell

    def __post_init__(self):
        self.rubric = [c if isinstance(c, Criterion) else Criterion(*c) for c in self.rubric]
        for index, criterion in enumerate(self.rubric, start=1):
            criterion.id = criterion.id or f"r{index}"

    @property
    def points(self):
        """The question's points: the sum of its rubric, so the two cannot disagree."""
        return float(sum(c.points for c in self.rubric))

    @property
    def number(self):
        """"1.3" for answer_1_3, as the notebook's question headers write it."""
        return ".".join(self.tag.split("_")[1:])


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
    written: list = field(default_factory=list)   # Written questions, in notebook order

    @property
    def points(self):
        """Code and written questions together (what the gradebook's ``max`` shows)."""
        return self.code_points + self.written_points

    @property
    def code_points(self):
        return sum(t.points for t in self.tasks)

    @property
    def written_points(self):
        return sum(q.points for q in self.written)

    @property
    def probe_modules(self):
        """The modules of grader/probes/ that this assignment's checks use (for preloading)."""
        return sorted({c.probe.rpartition(".")[0] for t in self.tasks for c in t.checks})

    @property
    def solution_name(self):
        return f"assignment_{self.number}_{self.slug}.ipynb"

    @property
    def template_name(self):
        return f"Assignment_{self.number}_{self.topic}.ipynb"

    def task(self, tag):
        return next(t for t in self.tasks if t.tag == tag)

    def question(self, tag):
        return next(q for q in self.written if q.tag == tag)

    def check_seed(self, tag, index):
        """A stable seed per check, so hidden inputs are the same on every run."""
        key = f"{self.number}:{tag}:{index}".encode()
        return int.from_bytes(hashlib.sha256(key).digest()[:4], "little")


# ---------------------------------------------------------------- short forms for specs

def probe(label, name, *, inputs=None, ref=None, expected=None, points=1.0, public=False,
          **options):
    """The general check: probe ``name`` runs in the kernel, ``ref``/``verify`` judge it."""
    return Check(label=label, probe=name, inputs=inputs, ref=ref, expected=expected,
                 points=points, public=public, **options)


def value(name, expected=None, *, shape=None, dtype=None, kind="ndarray", points=1.0,
          public=False, label=None, rtol=1e-6, atol=1e-8, covers=()):
    """Variable ``name`` exists and matches ``expected`` (and/or the given shape/dtype)."""
    requires = {}
    if shape is not None or dtype is not None or expected is None:
        requires["value"] = Like(kind, shape=shape, dtype=dtype)
    return Check(label=label or f"`{name}`", probe="common.value", inputs={"name": name},
                 expected=None if expected is None else {"value": expected},
                 requires=requires, points=points, public=public, rtol=rtol, atol=atol,
                 covers=covers)


def call(func, args=(), kwargs=None, *, ref=None, expected=None, points=1.0, public=False,
         label=None, shape=None, dtype=None, kind="ndarray", rtol=1e-6, atol=1e-8,
         timeout=None, covers=()):
    """``func(*args, **kwargs)`` returns what ``ref(*args, **kwargs)`` returns.

    ``args`` may be a tuple or a function of a seeded generator returning a tuple (hidden,
    random inputs). Give ``shape``/``dtype`` to also require an array of that form.
    """
    def inputs(rng):
        values = args(rng) if callable(args) else args
        return {"func": func, "args": list(values), "kwargs": dict(kwargs or {})}

    def reference(func, args, kwargs):
        return {"value": ref(*args, **kwargs)}

    requires = {}
    if shape is not None or dtype is not None:
        requires["value"] = Like(kind, shape=shape, dtype=dtype)
    if label is None:
        label = _call_label(func, args, kwargs, public)
    return Check(label=label, probe="common.call", inputs=inputs,
                 ref=reference if ref else None,
                 expected=None if expected is None else {"value": expected},
                 requires=requires, points=points, public=public, verb="returned",
                 rtol=rtol, atol=atol, timeout=timeout, covers=covers)


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


def boolean(name, answer, *, points=1.0, label=None, covers=()):
    """A True/False answer variable with negative marking: +points, -points, or 0 for None."""
    return Check(label=label or f"`{name}`", probe="common.value", inputs={"name": name},
                 expected={"value": bool(answer)}, points=points, negative=True,
                 covers=covers)


# ---------------------------------------------------------------- judging (trusted side)

INTERFERED = "no result: your code interfered with the grader"


def judge_report(check, report, inputs, expected):
    """Turn the kernel's report for one check into a :class:`CheckResult`.

    ``report`` is what the kernel sent for this check, or ``{"status": ..., "message": ...}``
    made by the grader when the check was stopped. A report that does not have the shape the
    kernel runtime produces can only come from code that tampered with it: the check gets no
    points and says so."""
    status, points, messages = _judge(check, report, inputs, expected)
    return CheckResult(id=check.id, label=check.label, max=float(check.points),
                       public=check.public, points=points, status=Status(status),
                       messages=[clip(m) for m in messages])


def _judge(check, report, inputs, expected):
    if isinstance(report, dict) and "status" in report and "ok" not in report:  # the grader's
        return report["status"], 0.0, [report.get("message") or "the check produced no result"]
    if not well_formed(report):
        return Status.INTERFERED, 0.0, [f"{check.label}: {INTERFERED}"]
    if not report["ok"]:
        return Status.ERROR, 0.0, [error_message(check.label, report["error"])]
    from .wire import from_plain
    try:
        out = from_plain(report["out"])
    except Exception:  # bytes that do not decode: not what the runtime sends
        return Status.INTERFERED, 0.0, [f"{check.label}: {INTERFERED}"]
    if not isinstance(out, dict):
        return Status.INTERFERED, 0.0, [f"{check.label}: {INTERFERED}"]
    try:
        points, found = check.judge(out, inputs, expected)
    except Exception as error:  # an observation the spec did not foresee: the student's loss
        points, found = 0.0, [f"{check.label}: the result could not be read "
                              f"({type(error).__name__})"]
    passed = points > 0 or (not found and points == 0)
    return (Status.PASSED if passed else Status.FAILED), points, found


def well_formed(report, result=True):
    """Whether ``report`` has the shape the kernel runtime gives an outcome: ``{"ok": True}``
    (with ``"out"`` when ``result``) or ``{"ok": False, "error": {type, message, line}}``."""
    if not isinstance(report, dict) or type(report.get("ok")) is not bool:
        return False
    if report["ok"]:
        return "out" in report or not result
    error = report.get("error")
    return (isinstance(error, dict) and isinstance(error.get("type"), str)
            and isinstance(error.get("message"), str)
            and (error.get("line") is None or type(error.get("line")) is int)
            and type(error.get("in_check", False)) is bool)


def error_message(label, error):
    kind, text, line = error["type"][:80], error["message"][:300], error.get("line")
    if kind == "NameError":  # the usual cause: a name defined in another cell
        where = f" in line {line} of your cell" if line else ""
        return (f"{label}: your code raised NameError{where}: {text} (each task is graded on "
                "its own, after the imports cell only: define what it uses in the task's own cell)")
    if error.get("in_check"):
        return (f"{label}: the check could not use what your code returned ({kind}: {text})")
    where = f" in line {line} of your cell" if line else ""
    return f"{label}: your code raised {kind}{where}: {text}"


def score_task(task, check_results):
    total = sum(r.points if hasattr(r, "points") else r["points"] for r in check_results)
    return max(total, task.min_points)
