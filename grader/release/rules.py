"""Steps that check a solution notebook's layout: metadata, spec, cell ids, special cells."""
import hashlib
import re
from typing import TYPE_CHECKING

from .. import specs
from .problems import ReleaseError

if TYPE_CHECKING:  # the pipeline imports its steps, not the other way round
    from .pipeline import Release

SOLUTION_NAME = re.compile(r"assignment_(\d+)_([A-Za-z0-9][A-Za-z0-9_-]*)\.ipynb")
TOPIC = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
TASK_TAG = re.compile(r"task_(\d+)_(\d+)")
# The solution's selfcheck cell, line by line; release replaces it by the packed checks.
SELFCHECK_LINES = ["from grader.selfcheck import check", "from grader.demo_cells import done"]


def tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def task_tags(cell: dict) -> list[str]:
    """Tags meant as task tags, well-formed or not (``task9_4`` too, to report it)."""
    return [t for t in tags(cell) if t.startswith("task_") or re.match(r"task\d", t)]


def task_of(cell: dict) -> str | None:
    """The cell's well-formed task tag if it is a code cell, else None."""
    if cell.cell_type != "code":
        return None
    return next((t for t in task_tags(cell) if TASK_TAG.fullmatch(t)), None)


def task_label(tag: str) -> str:
    """``task_1_6`` -> ``Task 1.6``."""
    return "Task {}.{}".format(*TASK_TAG.fullmatch(tag).groups())


def code_lines(source: str) -> list[str]:
    """Source lines that are not blank and not comments."""
    return [s for s in (line.strip() for line in source.splitlines())
            if s and not s.startswith("#")]


# ---------------------------------------------------------------- step: metadata and spec

def check_metadata(release: "Release") -> None:
    """Read ``nncourse`` metadata and load the spec; stops the pipeline when they are unusable."""
    number, problems = _read_metadata(release.nb, release.name)
    if problems:
        raise ReleaseError(release.label, problems)
    try:
        release.spec = _load_spec(number, release.nb.metadata.nncourse, release.name)
    except ValueError as problem:
        raise ReleaseError(release.label, [str(problem)]) from None
    release.number = number
    release.cells = list(enumerate(release.nb.cells))
    release.solution_sources = {index: cell.source for index, cell in release.cells}


def _read_metadata(nb, name):
    meta = nb.get("metadata", {}).get("nncourse")
    if not isinstance(meta, dict):
        return None, ['notebook metadata has no "nncourse" dict '
                      '({"assignment": N, "topic": ..., "title": ...})']
    problems = []
    number = meta.get("assignment")
    if type(number) is not int or number < 1:
        problems.append(f"metadata nncourse.assignment must be a positive int, not {number!r}")
    topic = meta.get("topic")
    if not isinstance(topic, str) or not TOPIC.fullmatch(topic):
        problems.append(f"metadata nncourse.topic must be letters, digits, _ or -, not {topic!r}")
    if not isinstance(meta.get("title"), str) or not meta["title"].strip():
        problems.append("metadata nncourse.title must be a non-empty string")
    match = SOLUTION_NAME.fullmatch(name or "")
    if name and not match:
        problems.append("file name is not assignment_<N>_<slug>.ipynb")
    elif match and type(number) is int and int(match.group(1)) != number:
        problems.append(f"file name says assignment {match.group(1)} but metadata says {number}")
    return number, problems


def _load_spec(number, meta, name):
    try:
        spec = specs.load_spec(number)
    except specs.SpecError as error:
        raise ValueError(str(error)) from None
    except Exception as error:  # a spec being written right now may not even import
        raise ValueError(f"the spec for assignment {number} failed to load: "
                         f"{type(error).__name__}: {error}") from None
    slug = SOLUTION_NAME.fullmatch(name).group(2) if name else spec.slug
    if (spec.number, spec.slug, spec.topic) != (number, slug, meta["topic"]):
        raise ValueError(f"spec says assignment {spec.number}, slug {spec.slug!r}, topic "
                         f"{spec.topic!r}; notebook says {number}, {slug!r}, {meta['topic']!r}")
    return spec


# ---------------------------------------------------------------- step: cell ids

def give_ids(release: "Release") -> None:
    """Cells saved before nbformat 4.5 have no ids; derive stable ones so output is repeatable."""
    name = release.name or release.spec.solution_name
    for index, cell in release.cells:
        if not cell.get("id"):
            cell["id"] = hashlib.sha1(f"{name}:{index}".encode()).hexdigest()[:8]


# ---------------------------------------------------------------- step: special cells

def check_layout(release: "Release") -> None:
    """Notebook-wide rules: the imports, selfcheck and task cells and their order."""
    seen, imports, selfchecks, first_code, first_task = {}, [], [], None, None
    for index, cell in release.cells:
        cell_tags, is_code = tags(cell), cell.cell_type == "code"
        if "instructor" in cell_tags:
            clash = [t for t in cell_tags if t in ("imports", "selfcheck", "answer")
                     or t in task_tags(cell)]
            if clash:
                release.problem(index, f"tagged 'instructor' and {clash[0]!r}, which would "
                                "remove it from the student version")
            continue
        if is_code and first_code is None:
            first_code = index
        for tag in ("imports", "selfcheck"):
            if tag in cell_tags and not is_code:
                release.problem(index, f"the {tag!r} tag belongs on a code cell")
        if "imports" in cell_tags and is_code:
            imports.append(index)
        if "selfcheck" in cell_tags and is_code:
            selfchecks.append(index)
            if code_lines(cell.source) != SELFCHECK_LINES:
                release.problem(index, "the selfcheck cell must contain only "
                                + " and ".join(f"`{line}`" for line in SELFCHECK_LINES))
        found = _check_task_tags(release, index, cell, seen)
        if found and first_task is None:
            first_task = index
    if len(imports) != 1:
        release.problem(None, f"need exactly one code cell tagged 'imports', found {len(imports)}")
    elif imports[0] != first_code:
        release.problem(imports[0], "the 'imports' cell must be the first code cell "
                        f"(cell {first_code} comes before it)")
    if len(selfchecks) != 1:
        release.problem(None, "need exactly one code cell tagged 'selfcheck', "
                        f"found {len(selfchecks)}")
    elif first_task is not None and selfchecks[0] > first_task:
        release.problem(selfchecks[0], "the 'selfcheck' cell must come before the first task "
                        f"cell (cell {first_task})")
    in_spec = [t.tag for t in release.spec.tasks]
    for tag, index in seen.items():
        if tag not in in_spec:
            release.problem(index, f"task tag {tag!r} is not a task in the spec")
    for tag in in_spec:
        if tag not in seen:
            release.problem(None, f"spec task {tag!r} has no cell tagged with it")


def _check_task_tags(release, index, cell, seen):
    """Check one cell's task tags; returns whether it is a valid task cell (recorded in seen)."""
    found = task_tags(cell)
    if len(found) > 1:
        release.problem(index, f"more than one task tag ({', '.join(found)})")
    valid = False
    for tag in found:
        match = TASK_TAG.fullmatch(tag)
        if not match:
            release.problem(index, f"malformed task tag {tag!r} (expected task_<N>_<K>)")
        elif int(match.group(1)) != release.number:
            release.problem(index, f"task tag {tag!r} is not for assignment {release.number}")
        elif cell.cell_type != "code":
            release.problem(index, f"task tag {tag!r} is on a {cell.cell_type} cell")
        elif tag in seen:
            release.problem(index, f"task tag {tag!r} already used by cell {seen[tag]}")
        else:
            seen[tag] = index
            valid = True
    return valid
