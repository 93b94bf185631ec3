"""What the review app shows: questions, the answers of a marker's share, their marks.

Everything a page shows is computed here, on the trusted side; the browser only gets
rendered, sanitised HTML (``grader.rendering``) and plain data. Anonymous by default: an
answer is named by an id made from a hash of its file name, and answers come in the order
of those ids, so neither names nor the alphabet give anyone away.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..constants import SOLUTIONS
from ..manual import Mark, MarkConflict, MarkStore, merge
from ..rendering import to_html
from ..reports.files import read_results
from ..result import Status, SubmissionResult, WrittenAnswer, question_order
from ..written import ANSWER_TAG, answer_body

_MODEL_HEAD = re.compile(r"^\s*\*\*Model answer\.?\*\*\s*")


def anonymous_id(file: str) -> str:
    """A stable, short id for a submission that does not reveal its file name."""
    return "S-" + hashlib.sha256(file.encode()).hexdigest()[:6]


def parse_share(text: str | None) -> tuple[int, int]:
    """``"K/N"`` -> (K, N) with 1 <= K <= N; raises ValueError with a one-line reason."""
    if not text:
        return 1, 1
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"--share {text}: give K/N with 1 <= K <= N, e.g. 2/3")
    return int(match[1]), int(match[2])


def in_share(files: list[str], share: tuple[int, int]) -> set[str]:
    """Marker K's files: all files ordered by a hash of their names, then every N-th from
    the K-th. Deterministic for a given class, balanced to within one submission, and the
    same students for every question (a marker sees one student's answers consistently)."""
    k, n = share
    ordered = sorted(files, key=lambda f: hashlib.sha256(f.encode()).hexdigest())
    return {f for i, f in enumerate(ordered) if i % n == k - 1}


def model_answer_html(number: int, tag: str, solutions=None) -> str:
    """The model answer (instructor cell after the answer cell) of the solution notebook."""
    for path in sorted(Path(solutions or SOLUTIONS).glob(f"assignment_{number}_*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        for index, cell in enumerate(cells[:-1]):
            if tag in cell.get("metadata", {}).get("tags", []) and \
                    "instructor" in cells[index + 1].get("metadata", {}).get("tags", []):
                return to_html(_MODEL_HEAD.sub("", cells[index + 1].source))
    return ""


@dataclass
class Question:
    tag: str
    title: str
    assignment: int
    max: float
    rubric: list[dict]
    model_html: str

    @property
    def number(self) -> str:
        return ".".join(self.tag.split("_")[1:])


class Review:
    """One marker's view of an output folder."""

    def __init__(self, out_dir, marker: str, share=(1, 1), show_names=False, solutions=None):
        self.out_dir, self.marker, self.share = Path(out_dir), marker, share
        self.show_names = show_names
        self.store = MarkStore(out_dir)
        self.results: dict[str, SubmissionResult] = {}
        self.questions: dict[str, Question] = {}
        self.solutions = solutions
        self.reload()

    def reload(self) -> None:
        results = [r for r in read_results(self.out_dir, manual=False)
                   if r.status is Status.GRADED and r.written]
        mine = in_share([r.file for r in results], self.share)
        self.results = {r.file: r for r in results if r.file in mine}
        self.by_id = {anonymous_id(f): f for f in self.results}
        questions = {}
        for result in results:      # every result, so questions do not depend on the share
            for tag, answer in result.written.items():
                if tag not in questions and ANSWER_TAG.match(tag):
                    questions[tag] = Question(
                        tag, answer.title, result.assignment, answer.max, answer.rubric,
                        model_answer_html(result.assignment, tag, self.solutions))
        self.questions = dict(sorted(questions.items(), key=lambda kv: question_order(kv[0])))
        self._rubric_html = {tag: [{**item, "html": to_html(item.get("text", ""))}
                                   for item in q.rubric] for tag, q in self.questions.items()}

    # ------------------------------------------------------------------ reading

    def _order(self, files) -> list[str]:
        key = (lambda f: f) if self.show_names else anonymous_id
        return sorted(files, key=key)

    def merged(self, file: str) -> SubmissionResult:
        marks = {(file, tag): m for tag in self.results[file].written
                 if (m := self.store.get(file, tag)) is not None}
        return merge([self.results[file]], marks)[0]

    def state(self) -> dict:
        questions = []
        for tag, q in self.questions.items():
            items = self.items(tag)
            questions.append({
                "tag": tag, "number": q.number, "title": q.title, "assignment": q.assignment,
                "max": q.max, "rubric": self._rubric_html[tag], "model_html": q.model_html,
                "answered": sum(i["answered"] for i in items),
                "marked": sum(i["answered"] and i["state"] == Status.MARKED.value
                              for i in items),
                "count": len(items)})
        return {"marker": self.marker, "share": list(self.share),
                "show_names": self.show_names, "questions": questions}

    def items(self, tag: str) -> list[dict]:
        files = [f for f in self._order(self.results) if tag in self.results[f].written]
        return [self.item(f, tag) for f in files]

    def item(self, file: str, tag: str) -> dict:
        answer: WrittenAnswer = self.merged(file).written[tag]
        stored = self.store.get(file, tag)
        body = answer_body(answer.source)
        placeholder = "*Double-click this cell to write your answer here.*"
        body = body.replace(placeholder, "", 1).strip()
        item = {"id": anonymous_id(file), "question": tag, "answered": answer.answered,
                "status": answer.status.value, "state": answer.state.value if answer.state
                else "", "max": answer.max, "notes": answer.notes,
                "html": to_html(body) if body else "",
                "mark": None if stored is None else {
                    "points": stored.points, "criteria": stored.criteria,
                    "comment": stored.comment, "marker": stored.marker,
                    "version": stored.version, "updated": stored.updated,
                    "stale": stored.answer_sha256 != answer.sha256}}
        if self.show_names:
            item.update(file=file, name=self.results[file].student.name or "")
        return item

    # ------------------------------------------------------------------ changing

    def save(self, item_id: str, tag: str, data: dict) -> dict:
        """Store a mark from the app; returns the item as it now is. Raises ValueError for
        bad input (one line, for the marker) and MarkConflict when the mark has moved on."""
        file = self.by_id.get(item_id)
        if file is None or tag not in self.results[file].written:
            raise ValueError("unknown answer (reload the page)")
        answer = self.results[file].written[tag]
        points = data.get("points")
        if points is not None:
            if isinstance(points, bool) or not isinstance(points, (int, float)):
                raise ValueError("points must be a number")
            if not 0 <= points <= answer.max:
                raise ValueError(f"points must be between 0 and {answer.max:g}")
        known = {item.get("id") for item in answer.rubric}
        criteria = data.get("criteria") or []
        if not isinstance(criteria, list) or not all(c in known for c in criteria):
            raise ValueError("unknown rubric item")
        comment = data.get("comment") or ""
        if not isinstance(comment, str):
            raise ValueError("the comment must be text")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError("version missing (reload the page)")
        mark = Mark(file=file, question=tag, points=None if points is None else float(points),
                    criteria=sorted(set(criteria), key=question_order), comment=comment,
                    marker=self.marker, answer_sha256=answer.sha256)
        self.store.save(mark, version, how="review app")
        return self.item(file, tag)


__all__ = ["Review", "MarkConflict", "anonymous_id", "parse_share", "in_share"]
