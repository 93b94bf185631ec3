"""Written answers: find each written question's answer cell in a submission and keep it.

A written question (``Written`` in the spec) is answered in the markdown cell tagged
``answer_<N>_<K>``; release hands it out as a quote block under "**Your answer:**" with a
placeholder. Grading keeps, per question, the cell's Markdown as submitted (untrusted,
clipped), the answer alone as plain text, and the SHA-256 of the cell's source, which
marks are tied to. An answer that is missing, or still the template's placeholder, is
recorded as such: it scores 0 and never reaches a marker.

The cell is found by its tag; else by the template's cell id; else, in a notebook whose
cell metadata was stripped, by the "**Your answer:**" label when exactly as many labelled
cells as questions are left (in order). How a cell was found is noted on the answer.

Model answers for markers come from the solution notebook: the ``instructor`` cell right
after each answer cell (:func:`model_answers`), unless the spec gives one.
"""
from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .constants import NOTEBOOKS, SOLUTIONS
from .rendering import to_text
from .result import Status, WrittenAnswer

ANSWER_TAG = re.compile(r"^answer_(\d+)_(\d+)$")
LABEL = "**Your answer:**"          # release's label (grader/release/cells.py ANSWER_LABEL)
MAX_SOURCE = 20_000                 # characters of one answer kept in the result


@dataclass(frozen=True)
class TemplateAnswer:
    """An answer cell of the released notebook: its id and its placeholder text."""
    tag: str
    cell_id: str | None
    placeholder: str


def _text(source) -> str:
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _tags(cell) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", []) if isinstance(cell, dict) else []
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def answer_body(source: str) -> str:
    """The answer alone: one level of quote markers, the "**Your answer:**" label and
    surrounding blank lines removed (the student may write inside or below the quote)."""
    lines = []
    for line in _text(source).replace("\r\n", "\n").split("\n"):
        if line.startswith(">"):
            line = line[2:] if line.startswith("> ") else line[1:]
        lines.append(line)
    body = "\n".join(lines)
    body = body.replace(LABEL, "", 1)
    return body.strip()


def template_answers(template, spec) -> dict[str, TemplateAnswer]:
    """The released notebook's answer cells for ``spec.written``; raises ValueError naming
    the first question without exactly one answer cell (a template out of step with its
    spec, which grading must not paper over)."""
    found: dict[str, list] = {}
    for cell in template.cells:
        for tag in _tags(cell):
            if ANSWER_TAG.match(tag):
                found.setdefault(tag, []).append(cell)
    answers = {}
    for question in spec.written:
        cells = found.get(question.tag, [])
        if len(cells) != 1:
            raise ValueError(f"the template has {len(cells)} cells tagged {question.tag} "
                             "(need exactly one); run `python -m grader release`")
        cell = cells[0]
        answers[question.tag] = TemplateAnswer(question.tag, cell.get("id"),
                                               answer_body(cell.get("source")))
    return answers


@functools.lru_cache(maxsize=16)
def _template_file(path: str, mtime: float) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def template_for(spec, notebooks=None) -> dict[str, TemplateAnswer]:
    path = Path(notebooks or NOTEBOOKS) / spec.template_name
    return template_answers(_template_file(str(path), path.stat().st_mtime), spec)


def extract(notebook, spec, template: dict[str, TemplateAnswer]) \
        -> tuple[dict[str, WrittenAnswer], list[str]]:
    """The written answers of a submission (a loaded notebook), and flags for the result."""
    cells = [c for c in notebook.cells if isinstance(c, dict)]
    by_tag: dict[str, list] = {}
    by_id = {}
    for cell in cells:
        for tag in _tags(cell):
            by_tag.setdefault(tag, []).append(cell)
        if isinstance(cell.get("id"), str) and cell.get("id"):
            by_id.setdefault(cell["id"], cell)
    # stripped metadata: no answer tag and no template id survived; the labels may have
    stripped = not any(ANSWER_TAG.match(t) for t in by_tag) and \
        not any(a.cell_id in by_id for a in template.values() if a.cell_id)
    labelled = [c for c in cells if _text(c.get("source")).lstrip("> \n").startswith(LABEL)] \
        if stripped else []
    by_order = len(labelled) == len(spec.written)
    answers, flags = {}, []
    for index, question in enumerate(spec.written):
        notes = []
        tagged = by_tag.get(question.tag, [])
        cell = tagged[0] if tagged else None
        if len(tagged) > 1:
            notes.append(f"{len(tagged)} cells are tagged {question.tag}; the first was used")
        if cell is None and template[question.tag].cell_id in by_id:
            cell = by_id[template[question.tag].cell_id]
            notes.append("the answer cell had lost its tag; it was found by its cell id")
        if cell is None and by_order:
            cell = labelled[index]
            notes.append("the notebook's cell tags and ids were removed; the answer was found "
                         "by its 'Your answer:' label, in order")
        answers[question.tag] = _answer(question, cell, template[question.tag], notes)
    missing = [tag for tag, answer in answers.items() if answer.status is Status.MISSING]
    if missing:
        flags.append("no answer cell found for " + ", ".join(missing))
    return answers, flags


def _answer(question, cell, template: TemplateAnswer, notes: list[str]) -> WrittenAnswer:
    answer = WrittenAnswer(tag=question.tag, title=question.title, max=question.points,
                           rubric=[{"id": c.id, "points": float(c.points), "text": c.text}
                                   for c in question.rubric])
    if cell is None:
        answer.status = Status.MISSING
        answer.notes = [*notes, f"no cell is tagged {question.tag} (was it deleted, or its "
                                "tag removed?)"]
        return answer
    source = _text(cell.get("source"))
    answer.sha256 = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    if cell.get("cell_type") != "markdown":
        notes.append(f"the answer cell is a {cell.get('cell_type')} cell, not markdown")
    attachments = cell.get("attachments")
    if isinstance(attachments, dict) and attachments:
        names = ", ".join(sorted(str(n) for n in attachments)[:5])
        notes.append(f"the cell has attached files ({names}), not shown here: open the "
                     "notebook to see them")
    if len(source) > MAX_SOURCE:
        notes.append(f"the answer is {len(source)} characters long; only the first "
                     f"{MAX_SOURCE} are kept")
        source = source[:MAX_SOURCE]
    body = answer_body(source)
    if template.placeholder:
        body = body.replace(template.placeholder, "", 1).strip()
    answer.source = source
    answer.status = Status.ANSWERED if body else Status.UNCHANGED
    answer.text = to_text(body) if body else ""
    answer.notes = notes
    return answer


def model_answers(spec, solutions=None) -> dict[str, str]:
    """Model answers (Markdown) per question: the spec's ``model``, else the cell tagged
    ``instructor`` right after the answer cell in the solution notebook ("" if none)."""
    path = Path(solutions or SOLUTIONS) / spec.solution_name
    cells = nbformat.read(path, as_version=4).cells if path.exists() else []
    found = {}
    for index, cell in enumerate(cells):
        for tag in _tags(cell):
            after = cells[index + 1] if index + 1 < len(cells) else None
            if ANSWER_TAG.match(tag) and after is not None and "instructor" in _tags(after):
                found[tag] = _text(after.get("source"))
    return {q.tag: q.model if q.model is not None else found.get(q.tag, "")
            for q in spec.written}
