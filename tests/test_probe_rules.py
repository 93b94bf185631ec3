"""The trust boundary, checked mechanically: what runs in the student's kernel.

Probes (grader/probes/) are the only grading code in the kernel. They may call the student's
code and return what came back; they may not compare, branch or aggregate (a verdict made in
the kernel can be flipped by the student's code), define anything a student is asked to write
(it could be borrowed), or take inputs they do not use (no grader-only data in the kernel).
"""
import ast
import inspect
import re
from pathlib import Path

import nbformat
import pytest

from grader.kernel_runtime import resolve
from grader.specs import available, load_spec

REPO = Path(__file__).resolve().parent.parent
PROBES = sorted((REPO / "grader" / "probes").glob("*.py"))

FORBIDDEN_NODES = {
    ast.Compare: "a comparison", ast.BoolOp: "and/or", ast.IfExp: "a conditional expression",
    ast.If: "an if statement", ast.While: "a while loop", ast.Try: "try/except",
    ast.Assert: "an assert", ast.Global: "global", ast.Nonlocal: "nonlocal",
    ast.Raise: "raise",
}
# Builtins and methods that compare, aggregate or coerce: that belongs on the trusted side.
FORBIDDEN_CALLS = {
    "any", "all", "len", "sum", "min", "max", "sorted", "abs", "round", "isinstance",
    "issubclass", "hasattr", "callable", "eval", "exec", "compile", "open", "__import__",
    "input", "isclose", "allclose", "array_equal", "array_equiv", "equal", "not_equal",
    "greater", "less", "greater_equal", "less_equal", "item", "count_nonzero",
    "argmax", "argmin", "nanmax", "nanmin",
}
ALLOWED_IMPORTS = ("numpy", "torch", "matplotlib", "collections", "types", "grader.probes")
DOUBLE_PREFIXES = ("Spy", "Fake", "Stub", "Scripted")


def student_names():
    """Every top-level name a student defines in a task cell of any assignment."""
    names = set()
    for path in sorted((REPO / "solutions").glob("assignment_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            tags = cell.get("metadata", {}).get("tags", [])
            if cell.cell_type != "code" or not any(t.startswith("task_") for t in tags):
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    names.add(node.name)
                elif isinstance(node, ast.Assign):
                    names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _problems(path, forbidden_names):
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []

    def where(node):
        return f"{path.name}:{getattr(node, 'lineno', '?')}"
    for node in ast.walk(tree):
        for kind, text in FORBIDDEN_NODES.items():
            if isinstance(node, kind):
                found.append(f"{where(node)}: {text}")
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else \
                func.attr if isinstance(func, ast.Attribute) else None
            if name in FORBIDDEN_CALLS:
                found.append(f"{where(node)}: calls {name}()")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) \
                else [node.module or ""]
            for module in modules:
                if not module.startswith(ALLOWED_IMPORTS):
                    found.append(f"{where(node)}: imports {module}")
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in forbidden_names:
            found.append(f"{where(node)}: defines {node.name}, which students write")
        if isinstance(node, ast.ClassDef) and not node.name.startswith(DOUBLE_PREFIXES):
            found.append(f"{where(node)}: class {node.name} is not a test double "
                         f"(names start with {', '.join(DOUBLE_PREFIXES)})")
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            found += _signature_problems(node, where)
    return found


def _signature_problems(func, where):
    """A probe takes the namespace and keyword arguments it uses, all of them."""
    args = func.args
    if args.vararg or args.kwarg:
        return [f"{where(func)}: probe {func.name} takes *args or **kwargs"]
    names = [a.arg for a in args.args + args.kwonlyargs]
    if not names or names[0] != "ns":
        return [f"{where(func)}: probe {func.name} must take the namespace `ns` first"]
    used = {n.id for n in ast.walk(func) if isinstance(n, ast.Name)}
    return [f"{where(func)}: probe {func.name} does not use its input {name!r}"
            for name in names if name not in used]


def test_there_are_probe_modules():
    assert {p.stem for p in PROBES} >= {"__init__", "common"}


@pytest.mark.parametrize("path", PROBES, ids=lambda p: p.name)
def test_probe_modules_only_call_and_observe(path):
    problems = _problems(path, student_names())
    assert not problems, "\n".join(problems)


def test_the_rules_catch_what_they_are_for(tmp_path):
    """The checker itself: each kind of violation in a made-up probe module is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text('''
import scipy
class Linear:
    pass
def verdict(ns, x, unused):
    out = ns["f"](x)
    ok = out == 1 and any(out)
    if ok:
        return {"ok": len(out)}
    return {"ok": out.item()}
def many(ns, *args):
    return {}
''')
    text = "\n".join(_problems(bad, {"Linear"}))
    for expected in ["a comparison", "and/or", "an if statement", "calls any()", "calls len()",
                     "calls item()", "imports scipy", "defines Linear", "is not a test double",
                     "does not use its input 'unused'", "*args"]:
        assert expected in text


def _checks():
    for number in available():
        spec = load_spec(number)
        for task in spec.tasks:
            for index, check in enumerate(task.checks):
                yield spec, task, index, check


@pytest.mark.parametrize("spec,task,index,check",
                         [pytest.param(*c, id=f"a{c[0].number}-{c[1].tag}-{c[3].id}")
                          for c in _checks()])
def test_every_check_calls_its_probe_with_exactly_its_inputs(spec, task, index, check):
    probe = resolve(check.probe)
    inputs, _ = check.materialize(spec.check_seed(task.tag, index))
    inspect.signature(probe).bind(None, **check.kernel_inputs(inputs))  # TypeError: missing/surplus


def test_probe_names_point_into_grader_probes():
    for _, task, _, check in _checks():
        assert re.fullmatch(r"[a-z0-9_]+\.[a-z_][a-z0-9_]*", check.probe), (task.tag, check.probe)


def _solution(spec):
    """(imports cell, {task tag: solution source}) of an assignment (the toy's are in code)."""
    path = REPO / "solutions" / spec.solution_name
    if not path.exists():
        from fixtures import toy
        return toy.IMPORTS, toy.SOLUTION
    nb = nbformat.read(path, as_version=4)
    tags = [(c, c.get("metadata", {}).get("tags", [])) for c in nb.cells]
    return (next(c.source for c, t in tags if "imports" in t),
            {tag: c.source for c, t in tags for tag in t if tag.startswith("task_")})


def _borrowable(spec):
    """(task, name, probe module, object name): every object a probe module defines, offered
    as the answer to every name a task's solution defines, where the kinds fit (a class for a
    class, a function for a function) and the function's arity does."""
    import importlib
    cells = _solution(spec)[1]
    modules = {m: importlib.import_module(f"grader.probes.{m}") for m in spec.probe_modules}
    for task in spec.tasks:
        for node in ast.parse(cells[task.tag]).body:
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                continue
            for module_name, module in modules.items():
                # a copy: grading in between may add to the module's namespace (a warning's
                # registry; a probe that binds a name in a borrowed function's globals)
                for name, obj in list(vars(module).items()):
                    if name.startswith("__") or getattr(obj, "__module__", None) != \
                            module.__name__:
                        continue
                    if isinstance(node, ast.ClassDef) != inspect.isclass(obj):
                        continue
                    if isinstance(node, ast.FunctionDef) and len(node.args.args) != len(
                            inspect.signature(obj).parameters):
                        continue
                    yield task, node.name, module_name, name


@pytest.mark.parametrize("number", available())
def test_nothing_in_a_probe_module_earns_hidden_points_when_borrowed(number):
    """A student who binds a task's name to anything the kernel holds of the grader (a probe,
    a test double) gets no hidden check's points: there is no working implementation to
    borrow."""
    import dataclasses
    from grader.testing import grade_in_process
    spec = load_spec(number)
    imports = _solution(spec)[0]
    earned = []
    for task, name, module, obj in _borrowable(spec):
        source = f"from grader.probes.{module} import {obj} as {name}\n"
        one = dataclasses.replace(spec, tasks=[task])
        _, results, _ = grade_in_process(one, imports, {task.tag: source})[task.tag]
        hidden = [r for r in results if not r.public and r.points > 0]
        if hidden:
            earned.append(f"{task.tag}: {name} = {module}.{obj} passes {hidden[0].label}")
    assert not earned, "\n".join(earned)
