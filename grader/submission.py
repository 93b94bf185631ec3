"""Load a submission and rebuild it from the instructor's template.

Only the *sources* of the student's task cells are taken from a submission. The imports
cell, every other cell, all metadata, tags, outputs and the kernelspec come from the
template, so ``skip-execution``/``raises-exception`` tags, pre-baked outputs or a changed
kernel have no effect.

Policies (documented in the README):
  * a task tag on no cell -> that task scores 0; if the template's cell id is still present on
    a code cell, that cell is used instead and the submission is flagged;
  * a tag on several cells -> the first code cell carrying it is graded, and it is flagged;
  * a tagged cell that is not code -> "not code", 0 points.
"""
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

MAX_BYTES = 20 * 1024 * 1024
NAME_RE = re.compile(r"^Assignment_(\d+)_([^\W\d_]+)_(\d{8})\.ipynb$")
TASK_RE = re.compile(r"^task_(\d+)_\d+$")


class SubmissionError(Exception):
    """The file cannot be graded at all (the message is one line, for the student)."""


@dataclass
class Submission:
    path: Path
    sha256: str
    notebook: dict
    name: str | None = None
    matriculation: str | None = None
    number_in_name: int | None = None
    flags: list = field(default_factory=list)

    @property
    def identity(self):
        return {"name": self.name, "matriculation": self.matriculation,
                "name_ok": self.name is not None}


def read_bytes(path):
    path = Path(path)
    try:  # O_NOFOLLOW: a submitted symbolic link could point at any file of the grader's;
        # O_NONBLOCK: opening a named pipe would otherwise wait for a writer forever
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError:
        raise SubmissionError("the file is a symbolic link, not a notebook" if path.is_symlink()
                              else "not a file") from None
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise SubmissionError("not a file")
        if size > MAX_BYTES:
            raise SubmissionError(f"the file is {size / 2**20:.0f} MB; the limit is "
                                  f"{MAX_BYTES // 2**20} MB (clear the outputs and save again)")
        return handle.read()


def load(path):
    """Read and validate a submission; raises SubmissionError with a one-line reason."""
    path = Path(path)
    raw = read_bytes(path)
    if not raw.strip():
        raise SubmissionError("the file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SubmissionError(f"the file is not UTF-8 text (byte {error.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SubmissionError(f"the file is not valid JSON (line {error.lineno}: {error.msg})") \
            from None
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")),
                                                    list):
        raise SubmissionError("the file is JSON but not a Jupyter notebook")
    if data.get("nbformat") != 4:
        raise SubmissionError(f"notebook format {data.get('nbformat')} is not supported; "
                              "open and save it with Jupyter 4 or later")
    for index, cell in enumerate(data["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("metadata", {}), dict):
            raise SubmissionError(f"cell {index} of the notebook is damaged (not a cell with "
                                  "metadata); open and save it with Jupyter")
    notebook = nbformat.from_dict(data)
    sub = Submission(path, hashlib.sha256(raw).hexdigest(), notebook)
    identify(sub)
    return sub


def identify(sub):
    match = NAME_RE.match(sub.path.name)
    if match is None:
        sub.flags.append("file name does not match Assignment_N_NameSurname_12345678.ipynb")
        number = re.match(r"^Assignment_(\d+)_", sub.path.name)
        sub.number_in_name = int(number.group(1)) if number else None
        return
    sub.number_in_name = int(match.group(1))
    sub.name, sub.matriculation = match.group(2), match.group(3)


def _tag_numbers(sub):
    return {int(m.group(1)) for cell in sub.notebook.cells
            for tag in cell.get("metadata", {}).get("tags", []) or []
            if isinstance(tag, str) and (m := TASK_RE.match(tag))}


def detect_assignment(sub, known):
    """The assignment a submission belongs to: its task tags, else metadata, else its name."""
    candidates = [n for n in sorted(_tag_numbers(sub)) if n in known]
    if len(candidates) == 1:
        return candidates[0]
    meta = sub.notebook.get("metadata", {}).get("nncourse", {})
    if isinstance(meta, dict) and meta.get("assignment") in known:
        return meta["assignment"]
    return sub.number_in_name if sub.number_in_name in known else None


def check_belongs(sub, number):
    """Reject a notebook of another assignment; flag a name that says otherwise."""
    numbers = _tag_numbers(sub)
    if numbers and number not in numbers:
        raise SubmissionError(f"this is a notebook of assignment {min(numbers)}, "
                              f"not assignment {number}")
    if sub.number_in_name is not None and sub.number_in_name != number:
        sub.flags.append(f"the file name says assignment {sub.number_in_name}, "
                         f"but it was graded as assignment {number}")


# ---------------------------------------------------------------- rebuild from the template

@dataclass
class TaskSource:
    tag: str
    source: str | None     # None when the task cannot be run
    problem: str | None = None
    status: str | None = None   # why it cannot be run: "missing" or "not code"


def template_parts(template):
    """The imports cell's source and the template's task cells (tag -> cell id)."""
    imports, tasks = None, {}
    for cell in template.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "imports" in tags:
            imports = cell.source
        for tag in tags:
            if TASK_RE.match(tag):
                tasks[tag] = cell.get("id")
    if imports is None:
        raise ValueError("the template has no cell tagged 'imports'")
    return imports, tasks


def task_sources(sub, template_tasks):
    """Pick the student's source for each template task, following the policies above."""
    by_tag, by_id = {}, {}
    for cell in sub.notebook.cells:
        tags = cell.get("metadata", {}).get("tags", []) or []
        for tag in tags if isinstance(tags, list) else []:
            by_tag.setdefault(tag, []).append(cell)
        by_id[cell.get("id")] = cell
    return [_pick(sub, tag, by_tag.get(tag, []), by_id.get(cell_id)) for tag, cell_id
            in template_tasks.items()]


def _pick(sub, tag, cells, same_id):
    code = [c for c in cells if c.get("cell_type") == "code"]
    if len(cells) > 1:
        sub.flags.append(f"{len(cells)} cells are tagged {tag}; the first code cell was graded")
    if code:
        return TaskSource(tag, _text(code[0].get("source")))
    if cells:
        return TaskSource(tag, None, f"the cell tagged {tag} is not a code cell "
                                     f"(it is {cells[0].get('cell_type')})", "not code")
    if same_id is not None and same_id.get("cell_type") == "code":
        sub.flags.append(f"the cell of {tag} had lost its tag; it was found by its cell id")
        return TaskSource(tag, _text(same_id.get("source")))
    return TaskSource(tag, None, f"no cell is tagged {tag} (was it deleted, or its tag removed?)",
                      "missing")


def _text(source):
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""
