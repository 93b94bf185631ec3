"""Load a submission and rebuild it from the instructor's template.

Only the *sources* of the student's task cells are taken from a submission. The imports
cell, every other cell, all metadata, tags, outputs and the kernelspec come from the
template, so ``skip-execution``/``raises-exception`` tags, pre-baked outputs or a changed
kernel have no effect.

Policies (documented in the README):
  * a task tag on no cell -> the template's cell id, then a code cell starting with the task's
    ``# Task N.K`` header line, then (only in a notebook without any task tag whose cells
    are laid out exactly like the template's) the cell at the task's position; a cell found so is
    graded and the submission flagged with how it was found; otherwise the task scores 0, and
    a notebook whose cell metadata was stripped is flagged as having lost its structure;
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

from .result import Status

MAX_BYTES = 20 * 1024 * 1024
# Assignment_N_NameSurname_12345678.ipynb, also with the suffix a browser adds to a second
# download ("... (1).ipynb", "...(1).ipynb") or an LMS adds to a resubmission ("...-1.ipynb")
NAME_RE = re.compile(r"^Assignment_(\d+)_([^\W\d_]+)_(\d{8})(?P<copy> ?\(\d+\)|-\d+)?\.ipynb$")
TASK_RE = re.compile(r"^task_(\d+)_\d+$")
# the first line of a released task cell: "# Task 1.2 (10 points): ..."
HEADER_RE = re.compile(r"^#+\s*Task\s+(\d+)\.(\d+)(?!\d)", re.IGNORECASE)
# the start of the flag for a notebook whose task cells could not be found at all; the
# feedback (report.origins) recognises it and blames the file, not the student's code
STRUCTURE_LOST = "the notebook's structure was lost"


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


@dataclass(frozen=True)
class NameParts:
    """What a file name says: ``Assignment_<number>_<name>_<matriculation>[ (1)|-1].ipynb``."""
    number: int | None
    name: str | None = None
    matriculation: str | None = None
    copy: str | None = None          # " (1)" or "-1" when the name carries such a suffix

    @property
    def ok(self) -> bool:
        return self.matriculation is not None


def parse_name(file_name: str) -> NameParts:
    """The identity in a file name (only its last component counts). A name that does not
    follow the pattern gives at most the assignment number after ``Assignment_N_``."""
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    match = NAME_RE.match(base)
    if match is None:
        number = re.match(r"^Assignment_(\d+)_", base)
        return NameParts(int(number.group(1)) if number else None)
    return NameParts(int(match.group(1)), match.group(2), match.group(3),
                     (match.group("copy") or None))


def identify(sub):
    parts = parse_name(sub.path.name)
    sub.number_in_name = parts.number
    if not parts.ok:
        sub.flags.append("file name does not match Assignment_N_NameSurname_12345678.ipynb")
        return
    sub.name, sub.matriculation = parts.name, parts.matriculation


def _tag_numbers(sub):
    return {int(m.group(1)) for cell in sub.notebook.cells
            for tag in cell.get("metadata", {}).get("tags", []) or []
            if isinstance(tag, str) and (m := TASK_RE.match(tag))}


def _header_numbers(sub):
    return {int(m.group(1)) for cell in sub.notebook.cells if cell.get("cell_type") == "code"
            if (m := HEADER_RE.match(_first_line(cell)))}


def detect_assignment(sub, known):
    """The assignment a submission belongs to: its task tags, else metadata, else its name,
    else its task cells' ``# Task N.K`` header lines (when the cell metadata was stripped)."""
    candidates = [n for n in sorted(_tag_numbers(sub)) if n in known]
    if len(candidates) == 1:
        return candidates[0]
    meta = sub.notebook.get("metadata", {}).get("nncourse", {})
    if isinstance(meta, dict) and meta.get("assignment") in known:
        return meta["assignment"]
    if sub.number_in_name in known:
        return sub.number_in_name
    headers = [n for n in sorted(_header_numbers(sub)) if n in known]
    return headers[0] if len(headers) == 1 else None


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
    status: Status | None = None   # why it cannot be run: MISSING or NOT_CODE


class TemplateTasks(dict):
    """The template's task cells, tag -> cell id (in the template's order), plus where each
    sits in the template and the template's layout (the kind of every cell, in order), to
    recover a notebook whose cell metadata was stripped."""

    def __init__(self, ids=(), positions=None, layout=()):
        super().__init__(ids)
        self.positions: dict[str, int] = dict(positions or {})
        self.layout: tuple[str, ...] = tuple(layout)


def template_parts(template):
    """The imports cell's source and the template's task cells (a :class:`TemplateTasks`)."""
    imports, tasks = None, TemplateTasks()
    for index, cell in enumerate(template.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if "imports" in tags:
            imports = cell.source
        for tag in tags:
            if TASK_RE.match(tag):
                tasks[tag] = cell.get("id")
                if cell.get("cell_type") == "code":
                    tasks.positions.setdefault(tag, index)
    tasks.layout = tuple(cell.get("cell_type") for cell in template.cells)
    if imports is None:
        raise ValueError("the template has no cell tagged 'imports'")
    return imports, tasks


def _first_line(cell):
    for line in _text(cell.get("source")).splitlines():
        if line.strip():
            return line.strip()
    return ""


def _header_tag(cell):
    match = HEADER_RE.match(_first_line(cell))
    return f"task_{match.group(1)}_{match.group(2)}" if match else None


def task_sources(sub, template_tasks):
    """Pick the student's source for each template task, following the policies above."""
    by_tag, by_id, code_cells = {}, {}, []
    for cell in sub.notebook.cells:
        tags = cell.get("metadata", {}).get("tags", []) or []
        for tag in tags if isinstance(tags, list) else []:
            by_tag.setdefault(tag, []).append(cell)
        if isinstance(cell.get("id"), str) and cell.get("id"):
            by_id.setdefault(cell["id"], cell)
        if cell.get("cell_type") == "code":
            code_cells.append(cell)
    # no cell carries a task tag and no template cell id is left: an editor or converter
    # dropped the cells' metadata; the header lines (and the layout) may still be there
    stripped = not any(TASK_RE.match(str(t)) for t in by_tag) and \
        not any(cell_id in by_id for cell_id in template_tasks.values() if cell_id)
    headers = {}
    for cell in code_cells:
        if (tag := _header_tag(cell)) is not None:
            headers.setdefault(tag, []).append(cell)
    positions = getattr(template_tasks, "positions", {})
    # the position is trusted only where every cell is still where the template has it
    by_position = stripped and bool(positions) and \
        tuple(c.get("cell_type") for c in sub.notebook.cells) == \
        getattr(template_tasks, "layout", None)
    found = {"header": [], "position": []}
    sources = []
    for tag, cell_id in template_tasks.items():
        source = _pick(sub, tag, by_tag.get(tag, []), by_id.get(cell_id) if cell_id else None)
        if source.status is Status.MISSING:
            if headers.get(tag):
                source = TaskSource(tag, _text(headers[tag][0].get("source")))
                found["header"].append(tag)
            elif by_position and tag in positions:
                source = TaskSource(tag, _text(sub.notebook.cells[positions[tag]].get("source")))
                found["position"].append(tag)
            elif stripped:
                source.problem = (f"the cell of {tag} could not be found: the notebook's cell "
                                  "tags and ids were removed and no code cell starts with "
                                  f"its '# Task {_dotted(tag)}' line")
        sources.append(source)
    _flag_recovery(sub, stripped, found, sources)
    return sources


def _dotted(tag):
    return ".".join(tag.split("_")[1:])


def _flag_recovery(sub, stripped, found, sources):
    how = []
    if found["header"]:
        how.append(f"{', '.join(found['header'])} by the '# Task N.K' line at the top of the "
                   "cell")
    if found["position"]:
        how.append(f"{', '.join(found['position'])} by the cell's position in the notebook")
    lost = [s.tag for s in sources if s.status is Status.MISSING]
    if stripped and not how:
        sub.flags.append(f"{STRUCTURE_LOST}: its cells have no task tags or ids (an editor or "
                         "converter removed them), and no task cell could be recognised; "
                         "resubmit the notebook as saved by Jupyter")
    elif how:
        what = "the notebook's cells have no task tags or ids" if stripped else \
            "some task cells had lost their tags"
        sub.flags.append(f"{what}; task cells were recovered: {'; '.join(how)}"
                         + (f"; not found: {', '.join(lost)}" if lost else ""))


def _pick(sub, tag, cells, same_id):
    code = [c for c in cells if c.get("cell_type") == "code"]
    if len(cells) > 1:
        sub.flags.append(f"{len(cells)} cells are tagged {tag}; the first code cell was graded")
    if code:
        return TaskSource(tag, _text(code[0].get("source")))
    if cells:
        return TaskSource(tag, None, f"the cell tagged {tag} is not a code cell "
                                     f"(it is {cells[0].get('cell_type')})", Status.NOT_CODE)
    if same_id is not None and same_id.get("cell_type") == "code":
        sub.flags.append(f"the cell of {tag} had lost its tag; it was found by its cell id")
        return TaskSource(tag, _text(same_id.get("source")))
    return TaskSource(tag, None, f"no cell is tagged {tag} (was it deleted, or its tag removed?)",
                      Status.MISSING)


def _text(source):
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""
