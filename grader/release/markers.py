"""Step ``clear_solutions``: SOLUTION regions become stubs, HIDDEN regions are removed.

Markers are lines of their own: ``### BEGIN SOLUTION`` / ``### END SOLUTION`` in task cells,
``### BEGIN HIDDEN`` / ``### END HIDDEN`` anywhere (``<!-- BEGIN HIDDEN -->`` in markdown).
A region inside a function body becomes ``raise NotImplementedError("Task N.K: ...")``; a
top-level region made only of assignments becomes ``name = None`` for every name it binds.
"""
import ast
import re
from typing import TYPE_CHECKING

from .problems import CellProblem
from .rules import tags, task_label, task_of

if TYPE_CHECKING:  # the pipeline imports its steps, not the other way round
    from .pipeline import Release

CODE_MARKERS = {f"### {action} {kind}": (action, kind)
                for action in ("BEGIN", "END") for kind in ("SOLUTION", "HIDDEN")}
MARKDOWN_MARKERS = {**CODE_MARKERS, **{f"<!-- {action} HIDDEN -->": (action, "HIDDEN")
                                       for action in ("BEGIN", "END")}}
# Anything that looks like a marker but is not spelled exactly right, so typos are not
# silently shipped to students.
NEAR_MARKER = re.compile(r"\s*(#+|<!--)\s*(begin|end)\s+(solution|hidden)\b", re.IGNORECASE)
DEF_LINE = re.compile(r"\s*(?:async\s+def|def|class)\s+([A-Za-z_]\w*)")
# The stub's message starts with this; demo_cells.done() looks for it to tell a stub.
STUB_MESSAGE = '{label}: {hint}'


def clear_solutions(release: "Release") -> None:
    kept = []
    for index, cell in release.cells:
        if release.guard(index, _clear_cell, cell) is not False:
            kept.append((index, cell))
    release.cells = kept


def _clear_cell(cell):
    """Rewrite one cell in place; returns False when nothing of it is left for students."""
    task = task_of(cell)
    lines = cell.source.split("\n")
    regions = _regions(lines, cell.cell_type == "markdown")
    solutions = [begin for kind, begin, *_ in regions if kind == "SOLUTION"]
    if task is None and solutions:
        raise CellProblem("solution markers outside a task cell (tag it task_<N>_<K>)",
                          solutions[0])
    if task is not None and not solutions:
        raise CellProblem(f"task cell {task!r} has no ### BEGIN SOLUTION / ### END SOLUTION")
    if not regions or "selfcheck" in tags(cell):
        return True
    cell.source = _apply_regions(lines, regions, task)
    if not cell.source.strip() and task is None and not tags(cell):
        return False  # the cell was all hidden material
    if task and _parses(cell.source) is False and _parses("\n".join(lines)) is not False:
        raise CellProblem("the student version of this cell is not valid Python "
                          "(check the markers' indentation)")
    return True


def _parses(source):
    """True/False for valid Python; None when IPython syntax (magics, shell) makes it moot."""
    if re.search(r"^\s*[%!]", source, re.MULTILINE):
        return None
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


# ---------------------------------------------------------------- finding the regions

def _marker(line, markdown):
    """``(action, kind)`` for a marker line, None for ordinary lines."""
    known = MARKDOWN_MARKERS if markdown else CODE_MARKERS
    if line.strip() in known:
        return known[line.strip()]
    if NEAR_MARKER.match(line):
        raise CellProblem(f"malformed marker {line.strip()!r} (expected e.g. "
                          "'### BEGIN SOLUTION' on a line of its own)")
    return None


def _regions(lines, markdown):
    """``[(kind, begin, end, indent)]`` for the marked regions, in order; validates pairing."""
    regions, open_region = [], None
    for index, line in enumerate(lines):
        try:
            found = _marker(line, markdown)
        except CellProblem as problem:
            raise CellProblem(str(problem), index) from None
        if found is None:
            continue
        action, kind = found
        indent = line[:len(line) - len(line.lstrip())]
        if action == "BEGIN" and open_region:
            raise CellProblem(f"BEGIN {kind} inside the {open_region[0]} region opened on "
                              f"line {open_region[1] + 1} (regions cannot nest)", index)
        if action == "BEGIN":
            open_region = (kind, index, indent)
        elif open_region is None or open_region[0] != kind:
            raise CellProblem(f"END {kind} without a matching BEGIN {kind}", index)
        elif indent != open_region[2]:
            raise CellProblem(f"END {kind} is indented differently from its BEGIN on line "
                              f"{open_region[1] + 1}", index)
        else:
            regions.append((kind, open_region[1], index, indent))
            open_region = None
    if open_region:
        raise CellProblem(f"BEGIN {open_region[0]} has no END {open_region[0]}", open_region[1])
    return regions


# ---------------------------------------------------------------- replacing them

def _apply_regions(lines, regions, task):
    """Drop hidden regions and replace solution regions by stubs."""
    out, cursor = [], 0
    for kind, begin, end, indent in regions:
        out += lines[cursor:begin]
        if kind == "SOLUTION":
            out += _stub(lines, begin, end, indent, task, out)
        cursor = end + 1
    out += lines[cursor:]
    if any(kind == "HIDDEN" for kind, *_ in regions):
        while out and not out[0].strip():
            out.pop(0)
        while out and not out[-1].strip():
            out.pop()
    return "\n".join(out)


def _stub(lines, begin, end, indent, task, before):
    """The lines that replace the solution between ``begin`` and ``end`` (the markers)."""
    body = lines[begin + 1:end]
    for offset, line in enumerate(body, begin + 1):
        if line.strip() and not line.startswith(indent):
            raise CellProblem("line is indented less than its BEGIN SOLUTION marker", offset)
    code = "\n".join(line[len(indent):] for line in body)
    if not code.strip():
        raise CellProblem("empty solution region", begin)
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        raise CellProblem(f"the solution region is not complete Python statements "
                          f"({error.msg})", begin) from None
    label = task_label(task)
    if indent:
        message = STUB_MESSAGE.format(label=label, hint=_hint(before, indent))
        return [f'{indent}raise NotImplementedError("{message}")']
    names = _assigned_names(tree)
    if names:
        return ["# YOUR ANSWER HERE"] + [f"{name} = None" for name in names]
    message = STUB_MESSAGE.format(label=label, hint="write your code here")
    return [f'raise NotImplementedError("{message}")']


def _hint(before, indent):
    """"implement Linear.backward" from the defs/classes enclosing the region, if any."""
    names, level = [], len(indent)
    for line in reversed(before):
        stripped = line.lstrip()
        depth = len(line) - len(stripped)
        if not stripped or stripped.startswith("#") or depth >= level:
            continue
        match = DEF_LINE.match(line)
        if match:
            names.append(match.group(1))
        level = depth
        if level == 0:
            break
    return f"implement {'.'.join(reversed(names))}" if names else "write your code here"


def _assigned_names(tree):
    """Names bound by a region made only of plain assignments; [] if it is anything else."""
    names = []
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        else:
            return []
        for target in targets:
            found = _target_names(target)
            if found is None:
                return []
            names += [n for n in found if n not in names]
    return names


def _target_names(target):
    """Names in an assignment target, None if it assigns to anything but plain names."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        names = []
        for element in target.elts:
            found = _target_names(element)
            if found is None:
                return None
            names += found
        return names
    return None
