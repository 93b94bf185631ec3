"""Manual marks of written answers: where they live, how they change, how they count.

::

    OUT/manual/marks/<stem>/<answer tag>.json   one mark per answer, replaced atomically
    OUT/manual/history.jsonl                    every change: who, when, before and after
    OUT/manual/marks.csv                        the offline marks file (grader.marksfile)
    OUT/manual/.lock                            held while a mark is compared and replaced

One small file per answer means two markers (two browser tabs, two review apps on shared
storage, a review app and a spreadsheet import) never overwrite each other's work on
different answers. On the same answer, a change names the version it was made from; if the
stored mark has moved on since, :class:`MarkConflict` says so and nothing is written (the
review app then shows the newer mark). Nothing is ever deleted: "unmarking" stores a mark
without points, and the history keeps every earlier state.

A mark belongs to one answer text: it records the SHA-256 of the answer cell it was given
for. If a regrade finds another text (a resubmission), the mark is *stale*: shown to the
marker, listed in the summary, and not counted (:func:`merge`).
"""
from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import re
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .files import ResultFileWarning, atomic_write, stem
from .result import Status, SubmissionResult

QUESTION = re.compile(r"^answer_\d+_\d+$")
MAX_COMMENT = 5000            # characters of a marker's comment


@dataclass
class Mark:
    file: str                 # the submission, as results name it
    question: str             # the written question's tag, answer_N_K
    points: float | None = None   # None: not marked (or unmarked again)
    criteria: list[str] = field(default_factory=list)   # rubric ids ticked, "r1", ...
    comment: str = ""
    marker: str = ""
    answer_sha256: str = ""   # the answer cell this mark was given for
    version: int = 0          # 1 for the first save, +1 for every change
    updated: str = ""         # UTC time of the last change

    @classmethod
    def from_dict(cls, data: dict) -> "Mark":
        if not isinstance(data, dict) or not isinstance(data.get("file"), str) \
                or not QUESTION.match(str(data.get("question"))):
            raise ValueError("not a mark")
        points = data.get("points")
        return cls(file=data["file"], question=data["question"],
                   points=None if points is None else float(points),
                   criteria=[str(c) for c in data.get("criteria") or []],
                   comment=str(data.get("comment") or ""), marker=str(data.get("marker") or ""),
                   answer_sha256=str(data.get("answer_sha256") or ""),
                   version=int(data.get("version") or 0), updated=str(data.get("updated") or ""))

    def same_as(self, other: "Mark | None") -> bool:
        """Whether ``other`` says the same (points, ticks, comment, answer): saving it again
        would change nothing a reader sees."""
        return other is not None and (self.points, sorted(self.criteria), self.comment,
                                      self.answer_sha256) == \
            (other.points, sorted(other.criteria), other.comment, other.answer_sha256)


class MarkConflict(Exception):
    """The mark changed since the version a change was made from."""

    def __init__(self, current: Mark | None):
        super().__init__("the mark was changed by someone else in the meantime")
        self.current = current


class MarkStore:
    """The marks of one output folder (``OUT/manual``)."""

    def __init__(self, out_dir):
        self.out_dir = Path(out_dir)
        self.root = self.out_dir / "manual"

    def path(self, file: str, question: str) -> Path:
        if not QUESTION.match(question):
            raise ValueError(f"not a written question: {question!r}")
        return self.root / "marks" / stem(file) / f"{question}.json"

    def get(self, file: str, question: str) -> Mark | None:
        path = self.path(file, question)
        try:
            mark = Mark.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise ValueError(f"{path}: unreadable mark ({error})") from None
        return mark if mark.file == file else None     # another file with the same stem

    def load_all(self) -> dict[tuple[str, str], Mark]:
        """Every readable mark, by (file, question). An unreadable file is skipped with a
        warning (it is never overwritten silently: saving that answer fails until it is
        fixed or removed by hand)."""
        marks = {}
        for path in sorted((self.root / "marks").glob("*/answer_*.json")):
            try:
                mark = Mark.from_dict(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as error:
                warnings.warn(f"skipping unreadable mark {path}: {error}", ResultFileWarning,
                              stacklevel=2)
                continue
            marks[(mark.file, mark.question)] = mark
        return marks

    @contextlib.contextmanager
    def locked(self):
        """Exclusive among everyone using this folder (processes and threads alike)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def save(self, mark: Mark, expected_version: int | None = None, how: str = "") -> Mark:
        """Store ``mark`` as the next version of its answer's mark and return what was stored.
        ``expected_version``: the version the change was made from (0: there was no mark);
        if the stored mark is at another version, :class:`MarkConflict`. None skips the
        check. ``how`` says where the change came from, for the history."""
        if len(mark.comment) > MAX_COMMENT:
            raise ValueError(f"the comment is longer than {MAX_COMMENT} characters")
        with self.locked():
            current = self.get(mark.file, mark.question)
            version = current.version if current else 0
            if expected_version is not None and expected_version != version:
                raise MarkConflict(current)
            now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
            new = replace(mark, version=version + 1, updated=now)
            atomic_write(self.path(mark.file, mark.question),
                         (json.dumps(asdict(new), indent=1, sort_keys=True,
                                     ensure_ascii=False) + "\n").encode("utf-8"))
            self._log({"time": now, "how": how, "file": mark.file, "question": mark.question,
                       "before": asdict(current) if current else None, "after": asdict(new)})
        return new

    def _log(self, entry: dict) -> None:
        line = (json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.root / "history.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


def merge(results: list[SubmissionResult], marks: dict[tuple[str, str], Mark]) \
        -> list[SubmissionResult]:
    """Copies of ``results`` whose written answers carry their marks, and whose total is the
    automatic points plus the points of every valid mark.

    An answer is *marked* when a mark with points exists for this very answer text (its
    SHA-256); *stale* when the mark was given for another text; *pending* when answered and
    not marked. An answer that is missing or as handed out counts 0 without a marker, unless
    a marker gave it points anyway (e.g. a student who answered in the wrong cell)."""
    merged = []
    for result in results:
        answers = result.written
        if result.status is not Status.GRADED or not answers:
            merged.append(result)
            continue
        copy = SubmissionResult.from_dict(result.to_dict())
        manual = 0.0
        for tag, answer in answers.items():
            mark = marks.get((result.file, tag))
            if mark is not None and mark.points is not None:
                if mark.answer_sha256 == answer.sha256:
                    answer.state = Status.MARKED
                    answer.points = min(max(mark.points, 0.0), answer.max)
                    answer.criteria = list(mark.criteria)
                    answer.comment, answer.marker = mark.comment, mark.marker
                    manual += answer.points
                    continue
                if answer.answered:
                    answer.state = Status.STALE
                    continue
            if answer.answered:
                answer.state = Status.PENDING
            else:
                answer.state, answer.points = answer.status, 0.0
        copy.written = answers
        copy.total = result.total + manual
        merged.append(copy)
    return merged
