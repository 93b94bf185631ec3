"""``python -m grader release``: build the student notebooks in notebooks/ from solutions/.

Each ``solutions/assignment_<N>_<slug>.ipynb`` becomes ``notebooks/Assignment_<N>_<topic>.ipynb``:
solution regions are replaced by stubs, instructor material is removed, outputs are cleared,
cells that students must not change are locked, and the ``selfcheck`` cell gets a packed,
self-contained copy of the public checks (hidden checks never leave the repository).

The output is a pure function of the solution notebook, the assignment's spec and the grader's
self-check sources, so ``--check`` can tell whether notebooks/ is up to date by regenerating in
memory and comparing bytes.

Error messages name the solution file, the cell (counted from 0, as in the notebook's JSON) and,
for marker problems, the line inside the cell (counted from 1).
"""
import ast
import base64
import copy
import hashlib
import io
import json
import math
import re
import sys
import zlib
from pathlib import Path

import nbformat
import nbformat.reader
import numpy as np

from . import specs
from .selfcheck import build_bundle, probe_modules

REPO = Path(__file__).resolve().parent.parent
SOLUTION_NAME = re.compile(r"assignment_(\d+)_([A-Za-z0-9][A-Za-z0-9_-]*)\.ipynb")
TOPIC = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
TASK_TAG = re.compile(r"task_(\d+)_(\d+)")
SELFCHECK_SOURCE = "from grader.selfcheck import check"
# Exec order matters: each module's relative imports need the ones before it.
EMBEDDED = ("wire", "compare", "kernel_runtime", "checks", "selfcheck")
PAYLOAD_WIDTH = 100
PAYLOAD = re.compile(r'"""\n([A-Za-z0-9+/=\n]+)\n"""')
# How far packed expected values may drift between machines before a notebook counts as
# changed: far below the checks' own tolerances (rtol 1e-6 by default).
DRIFT_RTOL, DRIFT_ATOL = 1e-9, 1e-12

CODE_MARKERS = {f"### {action} {kind}": (action, kind)
                for action in ("BEGIN", "END") for kind in ("SOLUTION", "HIDDEN")}
MARKDOWN_MARKERS = {**CODE_MARKERS, **{f"<!-- {action} HIDDEN -->": (action, "HIDDEN")
                                       for action in ("BEGIN", "END")}}
# Anything that looks like a marker but is not spelled exactly right, so typos are not
# silently shipped to students.
NEAR_MARKER = re.compile(r"\s*(#+|<!--)\s*(begin|end)\s+(solution|hidden)\b", re.IGNORECASE)
DEF_LINE = re.compile(r"\s*(?:async\s+def|def|class)\s+([A-Za-z_]\w*)")


class ReleaseError(Exception):
    """A solution notebook breaks the authoring conventions; ``problems`` are one-liners."""

    def __init__(self, name, problems):
        self.name, self.problems = name, list(problems)
        super().__init__("\n".join(f"{name}: {p}" for p in self.problems))


class _CellProblem(Exception):
    """One problem inside a cell; ``line`` is 0-based or None."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line


# ---------------------------------------------------------------- the CLI

def add_arguments(parser):
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if notebooks/ is not what release would write")
    parser.add_argument("--solutions", type=Path, default=REPO / "solutions", metavar="DIR",
                        help="solution notebooks (default: %(default)s)")
    parser.add_argument("--notebooks", type=Path, default=REPO / "notebooks", metavar="DIR",
                        help="student notebooks (default: %(default)s)")


def run(args):
    problems = release_all(args.solutions, args.notebooks, check=args.check, log=print)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        hint = " (run `python -m grader release`)" if args.check else ""
        print(f"release: {len(problems)} problem(s){hint}", file=sys.stderr)
        return 1
    print(f"release: {_shown(args.notebooks)}/ is up to date with {_shown(args.solutions)}/")
    return 0


# ---------------------------------------------------------------- files

def release_all(solutions_dir, notebooks_dir, check=False, log=None):
    """Regenerate (or with ``check``, compare) every student notebook; returns the problems.

    Problems are one line each and name the file. Notebooks whose solution is fine are written
    even when others fail; extra notebooks are removed only when every solution released.
    """
    solutions_dir, notebooks_dir = Path(solutions_dir), Path(notebooks_dir)
    log = log or (lambda text: None)
    if not solutions_dir.is_dir():
        return [f"{_shown(solutions_dir)}: no such folder"]
    wanted, problems = _render_all(solutions_dir)
    rendered_all = not problems
    for name, text in wanted.items():
        target = notebooks_dir / name
        current = target.read_bytes() if target.exists() else None
        if current is not None and _up_to_date(current, text):
            continue
        if check:
            state = "missing" if current is None else "out of date"
            problems.append(f"{_shown(target)}: {state}")
            continue
        notebooks_dir.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
        log(f"wrote {_shown(target)}")
    if not rendered_all:  # a broken solution may be the one that owns an "extra" file
        return problems
    for path in sorted(p for p in notebooks_dir.glob("*.ipynb") if p.name not in wanted):
        if check:
            problems.append(f"{_shown(path)}: extra (no solution notebook produces it)")
        else:
            path.unlink()
            log(f"removed {_shown(path)}")
    return problems


def _render_all(solutions_dir):
    """``({output name: text}, problems)`` for every solution notebook in the folder."""
    wanted, owners, problems = {}, {}, []
    for path in sorted(solutions_dir.glob("assignment_*.ipynb")):
        shown = _shown(path)
        match = SOLUTION_NAME.fullmatch(path.name)
        if not match:
            problems.append(f"{shown}: file name is not assignment_<N>_<slug>.ipynb")
            continue
        number = int(match.group(1))
        if number in owners:
            problems.append(f"{shown}: assignment {number} also comes from {owners[number]}")
            continue
        owners[number] = shown
        try:
            student = student_version(read_solution(path), name=path.name)
        except ReleaseError as error:
            problems += [f"{shown}: {p}" for p in error.problems]
            continue
        wanted[output_name(student)] = nbformat.writes(student) + "\n"
    return wanted, problems


def _up_to_date(current, wanted):
    """Whether the existing bytes are the wanted text, or differ from it only inside the packed
    self-check data and there only by float round-off or zlib's choices: what another CPU,
    NumPy or zlib build gives for the same inputs. Such a file is left alone, not churned."""
    if current == wanted.encode("utf-8"):
        return True
    try:
        (rest, data) = _unpack(current.decode("utf-8"))
        (wanted_rest, wanted_data) = _unpack(wanted)
    except Exception:  # not a notebook, no payload, or one that does not decode
        return False
    return (rest == wanted_rest and data["sources"] == wanted_data["sources"]
            and _close(data["bundle"], wanted_data["bundle"]))


def _unpack(text):
    """``(notebook text without the payload, decoded payload)`` of a student notebook."""
    nb = nbformat.reads(text, as_version=4)
    cell = next(c for c in nb.cells if "selfcheck" in _tags(c))
    packed = PAYLOAD.search(cell.source).group(1)
    cell.source = cell.source.replace(packed, "")
    return nbformat.writes(nb), json.loads(zlib.decompress(base64.b64decode(packed)))


def _close(a, b):
    """Equal plain data, except that floats and packed arrays need only be very close."""
    if isinstance(a, dict) and isinstance(b, dict):
        key = next((k for k in ("__npy__", "__tensor__") if k in a), None)
        if key:
            rest = {k: v for k, v in a.items() if k != key}
            return (key in b and rest == {k: v for k, v in b.items() if k != key}
                    and _close_arrays(_load_npy(a[key]), _load_npy(b[key])))
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_close, a, b))
    if type(a) is float and type(b) is float:
        return math.isclose(a, b, rel_tol=DRIFT_RTOL, abs_tol=DRIFT_ATOL)
    return type(a) is type(b) and a == b


def _load_npy(text):
    return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)


def _close_arrays(a, b):
    return (a.shape == b.shape and a.dtype == b.dtype
            and np.allclose(a, b, rtol=DRIFT_RTOL, atol=DRIFT_ATOL, equal_nan=True))


def read_solution(path):
    """Read a notebook without letting nbformat invent random cell ids (see student_version)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        nb = nbformat.reader.reads(text)
    except Exception as error:  # broken JSON or an unknown format: one line, not a traceback
        raise ReleaseError(Path(path).name, [f"not a readable notebook ({error})"]) from None
    if nb.get("nbformat") != 4:
        raise ReleaseError(Path(path).name, [f"nbformat {nb.get('nbformat')} is not supported; "
                                             "save it as nbformat 4"])
    return nb


def output_name(student_nb):
    meta = student_nb.metadata.nncourse
    return f"Assignment_{meta['assignment']}_{meta['topic']}.ipynb"


def _shown(path):
    path = Path(path)
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- one notebook

def student_version(solution_nb, name=None):
    """The student notebook for ``solution_nb`` (not modified). Raises :class:`ReleaseError`.

    ``name`` is the solution's file name; it is checked against the metadata and recorded in
    ``nncourse.generated_from`` (default: the name the spec expects).
    """
    nb = copy.deepcopy(solution_nb)
    label = name or "solution notebook"
    number, meta_problems = _read_metadata(nb, name)
    if meta_problems:
        raise ReleaseError(label, meta_problems)
    try:
        spec = _load_spec(number, nb.metadata.nncourse, name)
    except _CellProblem as problem:
        raise ReleaseError(label, [str(problem)]) from None
    _give_ids(nb, name or spec.solution_name)
    problems = _check_layout(nb, number, spec)
    cells = []
    for index, cell in enumerate(nb.cells):
        try:
            cells += _student_cell(cell, number, spec)
        except _CellProblem as problem:
            where = f"cell {index}" + ("" if problem.line is None else f", line {problem.line + 1}")
            problems.append(f"{where}: {problem}")
    if problems:
        raise ReleaseError(label, problems)
    nb.cells = cells
    nb.nbformat_minor = max(nb.get("nbformat_minor", 0), 5)  # cell ids need 4.5
    nb.metadata.pop("widgets", None)  # saved widget state is output, and outputs are cleared
    nb.metadata.nncourse["generated_from"] = f"solutions/{name or spec.solution_name}"
    return nb


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
        raise _CellProblem(str(error)) from None
    except Exception as error:  # a spec being written right now may not even import
        raise _CellProblem(f"the spec for assignment {number} failed to load: "
                           f"{type(error).__name__}: {error}") from None
    slug = SOLUTION_NAME.fullmatch(name).group(2) if name else spec.slug
    if (spec.number, spec.slug, spec.topic) != (number, slug, meta["topic"]):
        raise _CellProblem(f"spec says assignment {spec.number}, slug {spec.slug!r}, topic "
                           f"{spec.topic!r}; notebook says {number}, {slug!r}, {meta['topic']!r}")
    return spec


def _give_ids(nb, name):
    """Cells saved before nbformat 4.5 have no ids; derive stable ones so output is repeatable."""
    for index, cell in enumerate(nb.cells):
        if not cell.get("id"):
            cell["id"] = hashlib.sha1(f"{name}:{index}".encode()).hexdigest()[:8]


def _tags(cell):
    return list(cell.get("metadata", {}).get("tags", []))


def _task_tags(cell):
    return [t for t in _tags(cell) if t.startswith("task_") or re.match(r"task\d", t)]


def _check_layout(nb, number, spec):
    """Notebook-wide rules: the imports, selfcheck and task cells and their order."""
    problems, seen = [], {}
    imports, selfchecks, first_code, first_task = [], [], None, None
    for index, cell in enumerate(nb.cells):
        tags, where = _tags(cell), f"cell {index}"
        is_code = cell.cell_type == "code"
        if is_code and "instructor" not in tags and first_code is None:
            first_code = index
        if "instructor" in tags:
            clash = [t for t in tags if t in ("imports", "selfcheck", "answer") or t in
                     _task_tags(cell)]
            if clash:
                problems.append(f"{where}: tagged 'instructor' and {clash[0]!r}, which would "
                                "remove it from the student version")
            continue
        for tag in ("imports", "selfcheck"):
            if tag in tags and not is_code:
                problems.append(f"{where}: the {tag!r} tag belongs on a code cell")
        if "imports" in tags and is_code:
            imports.append(index)
        if "selfcheck" in tags and is_code:
            selfchecks.append(index)
            if _code_lines(cell.source) != [SELFCHECK_SOURCE]:
                problems.append(f"{where}: the selfcheck cell must contain only "
                                f"`{SELFCHECK_SOURCE}`")
        task_tags = _task_tags(cell)
        if len(task_tags) > 1:
            problems.append(f"{where}: more than one task tag ({', '.join(task_tags)})")
        for tag in task_tags:
            match = TASK_TAG.fullmatch(tag)
            if not match:
                problems.append(f"{where}: malformed task tag {tag!r} (expected task_<N>_<K>)")
            elif int(match.group(1)) != number:
                problems.append(f"{where}: task tag {tag!r} is not for assignment {number}")
            elif not is_code:
                problems.append(f"{where}: task tag {tag!r} is on a {cell.cell_type} cell")
            elif tag in seen:
                problems.append(f"{where}: task tag {tag!r} already used by cell {seen[tag]}")
            else:
                seen[tag] = index
                first_task = index if first_task is None else first_task
    if len(imports) != 1:
        problems.append(f"need exactly one code cell tagged 'imports', found {len(imports)}")
    elif imports[0] != first_code:
        problems.append(f"cell {imports[0]}: the 'imports' cell must be the first code cell "
                        f"(cell {first_code} comes before it)")
    if len(selfchecks) != 1:
        problems.append(f"need exactly one code cell tagged 'selfcheck', found {len(selfchecks)}")
    elif first_task is not None and selfchecks[0] > first_task:
        problems.append(f"cell {selfchecks[0]}: the 'selfcheck' cell must come before the first "
                        f"task cell (cell {first_task})")
    in_spec = [t.tag for t in spec.tasks]
    problems += [f"cell {i}: task tag {t!r} is not a task in the spec"
                 for t, i in seen.items() if t not in in_spec]
    problems += [f"spec task {t!r} has no cell tagged with it" for t in in_spec if t not in seen]
    return problems


def _code_lines(source):
    """Source lines that are not blank and not comments."""
    return [s for s in (line.strip() for line in source.splitlines())
            if s and not s.startswith("#")]


# ---------------------------------------------------------------- one cell

def _student_cell(cell, number, spec):
    """The cell's student version, as a list of zero or one cells."""
    tags = _tags(cell)
    if "instructor" in tags:
        return []
    task = next((t for t in _task_tags(cell) if TASK_TAG.fullmatch(t)), None)
    task = task if cell.cell_type == "code" else None
    lines = cell.source.split("\n")
    regions = _regions(lines, cell.cell_type == "markdown")
    if task is None and any(kind == "SOLUTION" for kind, *_ in regions):
        raise _CellProblem("solution markers outside a task cell (tag it task_<N>_<K>)",
                           next(b for kind, b, *_ in regions if kind == "SOLUTION"))
    if task is not None and not any(kind == "SOLUTION" for kind, *_ in regions):
        raise _CellProblem(f"task cell {task!r} has no ### BEGIN SOLUTION / ### END SOLUTION")
    if "selfcheck" in tags:
        cell.source = selfcheck_source(spec)
    elif regions:
        cell.source = _apply_regions(lines, regions, task)
        if not cell.source.strip() and task is None and not tags:
            return []  # the cell was all hidden material
        if task and _parses(cell.source) is False and _parses("\n".join(lines)) is not False:
            raise _CellProblem("the student version of this cell is not valid Python "
                               "(check the markers' indentation)")
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)  # timings of the author's run
    if task is not None:
        cell.metadata.update(editable=True, deletable=False)
    elif "answer" not in tags:
        cell.metadata.update(editable=False, deletable=False)
    return [cell]


def _parses(source):
    """True/False for valid Python; None when IPython syntax (magics, shell) makes it moot."""
    if re.search(r"^\s*[%!]", source, re.MULTILINE):
        return None
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


def _marker(line, markdown):
    """``(action, kind)`` for a marker line, None for ordinary lines."""
    known = MARKDOWN_MARKERS if markdown else CODE_MARKERS
    if line.strip() in known:
        return known[line.strip()]
    if NEAR_MARKER.match(line):
        raise _CellProblem(f"malformed marker {line.strip()!r} (expected e.g. "
                           "'### BEGIN SOLUTION' on a line of its own)")
    return None


def _regions(lines, markdown):
    """``[(kind, begin, end, indent)]`` for the marked regions, in order; validates pairing."""
    regions, open_region = [], None
    for index, line in enumerate(lines):
        try:
            found = _marker(line, markdown)
        except _CellProblem as problem:
            raise _CellProblem(str(problem), index) from None
        if found is None:
            continue
        action, kind = found
        indent = line[:len(line) - len(line.lstrip())]
        if action == "BEGIN" and open_region:
            raise _CellProblem(f"BEGIN {kind} inside the {open_region[0]} region opened on "
                               f"line {open_region[1] + 1} (regions cannot nest)", index)
        if action == "BEGIN":
            open_region = (kind, index, indent)
        elif open_region is None or open_region[0] != kind:
            raise _CellProblem(f"END {kind} without a matching BEGIN {kind}", index)
        elif indent != open_region[2]:
            raise _CellProblem(f"END {kind} is indented differently from its BEGIN on line "
                               f"{open_region[1] + 1}", index)
        else:
            regions.append((kind, open_region[1], index, indent))
            open_region = None
    if open_region:
        raise _CellProblem(f"BEGIN {open_region[0]} has no END {open_region[0]}", open_region[1])
    return regions


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
            raise _CellProblem("line is indented less than its BEGIN SOLUTION marker", offset)
    code = "\n".join(line[len(indent):] for line in body)
    if not code.strip():
        raise _CellProblem("empty solution region", begin)
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        raise _CellProblem(f"the solution region is not complete Python statements "
                           f"({error.msg})", begin) from None
    label = "Task {}.{}".format(*TASK_TAG.fullmatch(task).groups())
    if indent:
        return [f'{indent}raise NotImplementedError("{label}: {_hint(before, indent)}")']
    names = _assigned_names(tree)
    if names:
        return ["# YOUR ANSWER HERE"] + [f"{name} = None" for name in names]
    return [f'raise NotImplementedError("{label}: write your code here")']


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


# ---------------------------------------------------------------- the embedded self-check

SELFCHECK_HEADER = '''\
# Self-check: run check("{tag}") (or another task's tag) after a task cell to test your code
# against the public checks. This cell was generated by `python -m grader release`: do not edit it.
# Hidden checks are not included here; they run only when your submission is graded.
# The packed text below holds the grader's checking code and the public checks' data; its
# readable source is grader/selfcheck.py (plus wire.py, compare.py, kernel_runtime.py and
# checks.py next to it) in the course repository.
'''

SELFCHECK_LOADER = '''\
def _install_selfcheck(packed):
    import base64, json, sys, types, zlib
    data = json.loads(zlib.decompress(base64.b64decode(packed)))
    for name in ["nncourse_selfcheck", "nncourse_selfcheck.probes"]:
        package = sys.modules[name] = types.ModuleType(name)
        package.__path__, package.__package__ = [], name
    for name in data["order"]:
        module = types.ModuleType(f"nncourse_selfcheck.{{name}}")
        module.__package__ = module.__name__.rpartition(".")[0]
        module.__file__ = f"<nncourse_selfcheck/{{name}}.py>"
        sys.modules[module.__name__] = module
        setattr(sys.modules[module.__package__], name.rpartition(".")[2], module)
        exec(compile(data["sources"][name], module.__file__, "exec"), module.__dict__)
    return sys.modules["nncourse_selfcheck.selfcheck"].make_check(data["bundle"])


check = _install_selfcheck("""
{payload}
""")
del _install_selfcheck'''


def selfcheck_source(spec):
    """Source of the student's selfcheck cell for ``spec``: public checks only."""
    try:
        bundle = build_bundle(spec)
        order = [*EMBEDDED, *(f"probes.{m}" for m in probe_modules(spec))]
        data = {"order": order, "sources": {name: _grader_source(name) for name in order},
                "bundle": bundle}
        raw = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except Exception as error:  # a spec problem, reported against the selfcheck cell
        raise _CellProblem(f"cannot build the self-check bundle: {type(error).__name__}: "
                           f"{error}") from None
    packed = base64.b64encode(zlib.compress(raw.encode("utf-8"), 9)).decode("ascii")
    rows = [packed[i:i + PAYLOAD_WIDTH] for i in range(0, len(packed), PAYLOAD_WIDTH)]
    example = spec.tasks[0].tag if spec.tasks else f"task_{spec.number}_1"
    return (SELFCHECK_HEADER.format(tag=example) + SELFCHECK_LOADER.format(payload="\n".join(rows)))


def _grader_source(name):
    return (Path(__file__).parent / f"{name.replace('.', '/')}.py").read_text(encoding="utf-8")
