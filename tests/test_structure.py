"""The grader's structure, read statically: dependencies run one way.

    cli -> batch -> grade -> runner -> sandbox          (the pipeline)
    reports <- manual, files; lms -> reports            (outputs and the LMS adapter)
    constants, files, result, wire, compare             (leaves)

Imports inside functions count too: a cycle hidden in a function is still a cycle.
"""
import ast
from pathlib import Path

import pytest

GRADER = Path(__file__).resolve().parent.parent / "grader"


def _module_name(path):
    parts = list(path.relative_to(GRADER.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in GRADER.rglob("*.py")}


def _type_checking_only(tree):
    """Import nodes inside ``if TYPE_CHECKING:`` blocks (annotations only, never run)."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for n in ast.walk(node)}
    return skipped


def imports(name):
    """The grader modules that module ``name`` imports (at any depth of its code)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    skipped = _type_checking_only(tree)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped or not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:
                head = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(head + ([node.module] if node.module else []))
            submodules = [f"{base}.{a.name}" for a in node.names]
            # "from . import mounts" imports submodules; the package only when a name is not one
            names_only = all(m in MODULES for m in submodules)
            targets = submodules if names_only else [base] + submodules
        found |= {t for t in targets if t in MODULES and t != name}
    return found


GRAPH = {name: imports(name) for name in MODULES}


def _cycles():
    state, stack, found = {}, [], []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"
    for node in sorted(GRAPH):
        if node not in state:
            visit(node)
    return found


def test_no_import_cycles():
    cycles = [" -> ".join(c) for c in _cycles()]
    assert not cycles, "\n".join(cycles)


def _reaches(start):
    seen, todo = set(), [start]
    while todo:
        for nxt in GRAPH[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _within(prefix):
    return [m for m in MODULES if m == prefix or m.startswith(prefix + ".")]


# module (or package) -> what it must never reach, directly or through others
FORBIDDEN = {
    "grader.constants": ["grader."],
    "grader.files": ["grader."],
    "grader.wire": ["grader."],
    "grader.kernel_runtime": ["grader.checks", "grader.specs", "grader.grade", "grader.result"],
    "grader.probes": ["grader.specs", "grader.checks", "grader.compare", "grader.grade"],
    "grader.sandbox": ["grader.runner", "grader.grade", "grader.batch", "grader.pool",
                       "grader.cli", "grader.reports", "grader.specs", "grader.checks"],
    "grader.runner": ["grader.grade", "grader.batch", "grader.pool", "grader.cli",
                      "grader.specs"],
    "grader.grade": ["grader.batch", "grader.pool", "grader.cli", "grader.collect",
                     "grader.lms", "grader.reports"],
    "grader.result": ["grader.grade", "grader.checks", "grader.reports", "grader.batch"],
    "grader.reports": ["grader.batch", "grader.grade", "grader.lms", "grader.pool",
                       "grader.runner", "grader.sandbox"],
    "grader.specs": ["grader.grade", "grader.batch", "grader.runner", "grader.sandbox",
                     "grader.reports"],
}


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_dependencies_run_one_way(module):
    problems = []
    for name in _within(module):
        reached = _reaches(name)
        problems += [f"{name} reaches {r}" for r in sorted(reached)
                     for bad in FORBIDDEN[module]
                     if (r == bad or r.startswith(bad if bad.endswith(".") else bad + "."))
                     and not r.startswith(module)]
    assert not problems, "\n".join(problems)


def test_the_graph_is_read():
    """The reader itself sees the pipeline's real imports."""
    assert "grader.runner" in GRAPH["grader.grade"]
    assert "grader.sandbox" in GRAPH["grader.runner"]
    assert "grader.grade" in _reaches("grader.batch")


def test_statuses_are_the_enum_outside_result_py():
    """No module compares with, or stores as a "status", a string spelling of a Status:
    statuses are ``grader.result.Status`` members everywhere but in result.py itself."""
    from grader.result import Status
    spelled = {s.value for s in Status}
    found = []
    for name, path in MODULES.items():
        if name == "grader.result":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            strings = []
            if isinstance(node, ast.Compare) and all(   # == or !=, not a key's membership
                    isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
                strings = [n for n in [node.left, *node.comparators]
                           if isinstance(n, ast.Constant)]
            elif isinstance(node, ast.Dict):
                strings = [v for k, v in zip(node.keys, node.values)
                           if isinstance(k, ast.Constant) and k.value == "status"
                           and isinstance(v, ast.Constant)]
            found += [f"{path.name}:{n.lineno}: {n.value!r}" for n in strings
                      if isinstance(n.value, str) and n.value in spelled]
    assert not found, "\n".join(found)
