"""Typed results: one check, one task, one submission (otter-grader's ``TestCaseResult`` and
``GradingResults`` are the model).

Every result the grader records is built here and written as JSON with ``to_dict``; readers
(reports, exports, the review app) get the same objects back with ``SubmissionResult.from_dict``,
which also reads files of the previous schema. Statuses are one enum, never free text: a
grader failure, a rejected file and a task stopped by a time limit are told apart by
``status``, not by searching a message.
"""
from __future__ import annotations

import datetime
import json
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any

from .constants import __version__

SCHEMA = "nncourse-result/2"
OLD_SCHEMAS = ("nncourse-result/1",)
MESSAGE_LIMIT = 400           # characters of one message (they may quote the student's code)
RESULT_LIMIT = 1_000_000      # characters of one submission's result file


class Status(str, Enum):
    """What happened to a check, a task or a submission. The values are what the JSON holds."""

    # checks
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"              # the student's code raised (also a task whose cell raised)
    NOT_RUN = "not run"
    TIMEOUT = "timeout"          # stopped by the grader: a time limit
    CRASHED = "crashed"          # stopped by the grader: the kernel died
    INTERFERED = "interfered"    # no usable report: the student's code got in the way
    # tasks
    OK = "ok"
    MISSING = "missing"          # no cell for the task
    NOT_CODE = "not code"        # the task's cell is markdown or raw
    SKIPPED = "skipped"          # the submission's time budget was spent before it ran
    # submissions
    GRADED = "graded"
    REJECTED = "rejected"        # the file itself cannot be graded: the student's fault
    FAILED_GRADER = "grader failure"  # the grader's own fault: regraded on the next run
    SUPERSEDED = "superseded"    # a gradebook row: an older submission, not graded
    # written answers (the answer cell as found in the submission)
    ANSWERED = "answered"        # the student wrote something: a marker gives the points
    UNCHANGED = "unchanged"      # still as handed out: 0 points, no marker needed
    #   MISSING (above) also stands for a written question whose answer cell is gone
    # manual marks, as the reports merge them into a written answer
    MARKED = "marked"            # a marker gave points for this very answer
    PENDING = "pending"          # answered, not marked yet
    STALE = "stale"              # marked, but the answer changed since: the mark is not used

    def __str__(self) -> str:
        return self.value


STOPPED = (Status.TIMEOUT, Status.CRASHED, Status.SKIPPED)   # the grader ended these
NOT_ANSWERED = (Status.UNCHANGED, Status.MISSING)            # written: 0 points, no marker


def clip(text: Any, limit: int = MESSAGE_LIMIT) -> str:
    """Text for a result: one line, at most ``limit`` characters. Messages may quote what the
    student's kernel sent, and nothing that comes from there may grow a result unboundedly."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


@dataclass
class CheckResult:
    id: str
    label: str
    max: float
    public: bool
    points: float = 0.0
    status: Status = Status.NOT_RUN
    messages: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @classmethod
    def from_dict(cls, data: dict) -> "CheckResult":
        return cls(id=str(data.get("id", "")), label=data.get("label", ""),
                   max=float(data.get("max") or 0), public=bool(data.get("public")),
                   points=float(data.get("points") or 0), status=Status(data.get("status",
                                                                               "not run")),
                   messages=list(data.get("messages") or []))


@dataclass
class TaskResult:
    tag: str
    title: str
    max: float
    points: float = 0.0
    status: Status = Status.OK
    messages: list[str] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)

    @classmethod
    def from_dict(cls, tag: str, data: dict) -> "TaskResult":
        return cls(tag=tag, title=data.get("title") or tag, max=float(data.get("max") or 0),
                   points=float(data.get("points") or 0), status=Status(data.get("status", "ok")),
                   messages=list(data.get("messages") or []),
                   checks=[CheckResult.from_dict(c) for c in data.get("checks") or []])


@dataclass
class WrittenAnswer:
    """A written question's answer as grading found it (``extra["written"][tag]``), and, once
    the reports have merged the manual marks (``grader.manual``), its mark.

    ``source`` is the answer cell's Markdown as submitted (untrusted, clipped), ``text`` the
    answer alone as plain text, ``sha256`` identifies the submitted cell source, so a mark
    made for one answer is never applied to another (a resubmission, a regrade)."""
    tag: str
    title: str
    max: float
    status: Status = Status.ANSWERED       # ANSWERED, UNCHANGED or MISSING
    source: str = ""
    text: str = ""
    sha256: str = ""
    rubric: list[dict] = field(default_factory=list)   # {"id", "points", "text"}
    notes: list[str] = field(default_factory=list)     # how the cell was found, attachments
    # merged from OUT/manual by the reports; never stored in results/
    state: Status | None = None            # MARKED, PENDING, STALE, or the status above
    points: float | None = None
    criteria: list[str] = field(default_factory=list)  # rubric ids the marker ticked
    comment: str = ""
    marker: str = ""

    STORED = ("title", "max", "status", "source", "text", "sha256", "rubric", "notes")

    @property
    def answered(self) -> bool:
        return self.status is Status.ANSWERED

    def to_dict(self) -> dict:
        data = {name: getattr(self, name) for name in self.STORED}
        data["status"] = self.status.value
        if self.state is not None:        # merged: the dict a report or an export reads
            data.update(state=self.state.value, points=self.points,
                        criteria=list(self.criteria), comment=self.comment,
                        marker=self.marker)
        return data

    @classmethod
    def from_dict(cls, tag: str, data: dict) -> "WrittenAnswer":
        return cls(tag=tag, title=str(data.get("title") or tag),
                   max=float(data.get("max") or 0),
                   status=Status(data.get("status", Status.ANSWERED.value)),
                   source=str(data.get("source") or ""), text=str(data.get("text") or ""),
                   sha256=str(data.get("sha256") or ""),
                   rubric=[dict(c) for c in data.get("rubric") or [] if isinstance(c, dict)],
                   notes=[str(n) for n in data.get("notes") or []],
                   state=Status(data["state"]) if data.get("state") else None,
                   points=None if data.get("points") is None else float(data["points"]),
                   criteria=[str(c) for c in data.get("criteria") or []],
                   comment=str(data.get("comment") or ""), marker=str(data.get("marker") or ""))


@dataclass
class Student:
    """Who submitted: from the file name, or from the LMS (then ``source`` says so)."""
    name: str | None = None
    matriculation: str | None = None
    name_ok: bool = False
    email: str | None = None
    lms_id: str | None = None
    source: str | None = None     # where the identity came from, when not the file name


@dataclass
class SubmissionResult:
    file: str                               # path relative to the folder that was graded
    assignment: int | None = None
    sha256: str | None = None
    student: Student = field(default_factory=Student)
    status: Status = Status.GRADED
    error: str | None = None
    flags: list[str] = field(default_factory=list)
    total: float = 0.0
    max: float = 0.0
    tasks: dict[str, TaskResult] = field(default_factory=dict)
    seconds: float = 0.0
    graded_at: str = ""
    fingerprint: str | None = None
    grader_version: str = __version__
    extra: dict[str, Any] = field(default_factory=dict)   # lms, late, written, superseded, ...

    # ------------------------------------------------------------- building

    def reject(self, reason: str) -> "SubmissionResult":
        self.status, self.error, self.tasks = Status.REJECTED, clip(reason), {}
        return self

    def fail(self, reason: str) -> "SubmissionResult":
        """The grader itself failed on this file: recorded, and regraded on the next run."""
        self.status, self.error, self.tasks = Status.FAILED_GRADER, clip(reason, 300), {}
        return self

    def finish(self, min_total: float = 0.0, seconds: float = 0.0) -> "SubmissionResult":
        total = sum(t.points for t in self.tasks.values())
        self.total = max(total, min_total) if self.status is Status.GRADED else 0.0
        self.seconds = round(seconds, 3)
        self.graded_at = datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds")
        return self

    @property
    def written(self) -> dict[str, WrittenAnswer]:
        """The written answers grading extracted (``extra["written"]``), typed, in question
        order; empty for a result graded before written questions existed."""
        stored = self.extra.get("written")
        if not isinstance(stored, dict):
            return {}
        answers = {tag: WrittenAnswer.from_dict(tag, data) for tag, data in stored.items()
                   if isinstance(data, dict)}
        return dict(sorted(answers.items(), key=lambda item: question_order(item[0])))

    @written.setter
    def written(self, answers: dict[str, WrittenAnswer]) -> None:
        self.extra["written"] = {tag: answer.to_dict() for tag, answer in answers.items()}

    @property
    def final(self) -> bool:
        """Whether a later run may keep this result: graded, or rejected for the file's own
        fault. A grader failure (or an interrupted run) is never final."""
        return self.status in (Status.GRADED, Status.REJECTED)

    # ------------------------------------------------------------- (de)serialising

    def to_dict(self) -> dict:
        data = {"schema": SCHEMA}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "tasks":
                value = {tag: _task_dict(task) for tag, task in value.items()}
            elif f.name == "student":   # the LMS's fields only where an LMS gave them
                value = {k: v for k, v in asdict(value).items()
                         if v is not None or k in ("name", "matriculation")}
            elif f.name == "extra":
                data.update(value)
                continue
            data[f.name] = value.value if isinstance(value, Status) else value
        return _bounded(data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> "SubmissionResult":
        """Read a result file's dict (this schema or an older one); raises ValueError."""
        if not isinstance(data, dict) or data.get("schema") not in (SCHEMA, *OLD_SCHEMAS):
            raise ValueError(f"not a {SCHEMA} result")
        if not isinstance(data.get("file"), str):
            raise ValueError("no file name in the result")
        status, error = data.get("status", "graded"), data.get("error")
        if status == "rejected" and str(error or "").startswith("grader failure"):
            status = Status.FAILED_GRADER.value          # how schema 1 recorded it
        known = {f.name for f in fields(cls)} | {"schema"}
        student = data.get("student") or {}
        try:
            return cls(
                file=data["file"], assignment=data.get("assignment"), sha256=data.get("sha256"),
                student=Student(**{f.name: student.get(f.name) for f in fields(Student)
                                   if f.name != "name_ok"},
                                name_ok=bool(student.get("name_ok"))),
                status=Status(status), error=error, flags=list(data.get("flags") or []),
                total=float(data.get("total") or 0), max=float(data.get("max") or 0),
                tasks={tag: TaskResult.from_dict(tag, t)
                       for tag, t in (data.get("tasks") or {}).items()},
                seconds=float(data.get("seconds") or 0), graded_at=data.get("graded_at") or "",
                fingerprint=data.get("fingerprint"),
                grader_version=data.get("grader_version") or "",
                extra={k: v for k, v in data.items() if k not in known})
        except (TypeError, AttributeError) as error:
            raise ValueError(f"malformed result: {error}") from None


def question_order(tag: str) -> list:
    """Sort key for tags: answer_1_2 before answer_1_10 (and task_1_2 before task_1_10)."""
    return [int(p) if p.isdigit() else p for p in str(tag).split("_")]


def _task_dict(task: TaskResult) -> dict:
    data = asdict(task)
    data.pop("tag")
    data["status"] = task.status.value
    for check in data["checks"]:
        check["status"] = Status(check["status"]).value
    return data


def _bounded(data: dict) -> dict:
    """Keep one result file (and the feedback made from it) under RESULT_LIMIT: past it, each
    check keeps only its first message, clipped, and a note says so; past it still, the
    messages go."""
    def size():
        return len(json.dumps(data, ensure_ascii=False))
    if size() <= RESULT_LIMIT:
        return data
    for task in data.get("tasks", {}).values():
        for check in task["checks"]:
            check["messages"] = [clip(m) for m in check["messages"][:1]]
        task["messages"] = [clip(m) for m in task["messages"][:3]]
    if size() > RESULT_LIMIT:
        for task in data.get("tasks", {}).values():
            for check in task["checks"]:
                check["messages"] = []
    data["flags"] = [*data.get("flags", []),
                     "the result was too long and its messages were cut"]
    return data
