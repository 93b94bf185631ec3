"""Step ``check_guards``: a cell that uses a task's result waits for that task.

A demonstration cell that plots or prints what a task computed must be one statement,
``if done("task_1_1", "task_1_6"):``, naming every task whose names it uses, directly or
through names defined by earlier demonstration cells. Then "Run All" on a blank or partly
done notebook skips what cannot run yet (see ``grader/demo_cells.py``) instead of stopping
at the first error. Names are followed with ``symtable``, which knows Python's scoping, so
a function's own arguments and locals never count as uses.

The step also records, for the selfcheck cell, which names each task cell defines.
"""
import ast
import symtable
from typing import TYPE_CHECKING

from ..demo_cells import defined_names
from .rules import tags, task_of

if TYPE_CHECKING:  # the pipeline imports its steps, not the other way round
    from .pipeline import Release

GUARD = "done"


def check_guards(release: "Release") -> None:
    needs_of_name = {}   # name -> the tasks a cell needs before the name exists
    for index, cell in release.cells:
        if cell.cell_type != "code" or {"imports", "selfcheck"} & set(tags(cell)):
            continue
        task = task_of(cell)
        if task is not None:
            # A top-level stub that only raises defines nothing; then the solution's names
            # say what the task must define.
            names = (defined_names(cell.source)
                     or defined_names(release.solution_sources[index]))
            release.task_names[task] = names
            needs_of_name.update(dict.fromkeys(names, {task}))
            continue
        needs = set().union(*(needs_of_name.get(n, set()) for n in used_names(cell.source)))
        guarded = guard_tags(cell.source)
        if needs and guarded is None:
            many = len(needs) > 1
            release.problem(index, f"this cell uses what {_listed(needs)} "
                            f"define{'' if many else 's'}, so it must be a single "
                            f"`if {GUARD}({_args(needs)}):` block that waits for "
                            f"{'them' if many else 'it'}")
        elif guarded is not None and set(guarded) - set(release.task_names):
            unknown = _listed(set(guarded) - set(release.task_names))
            release.problem(index, f"`if {GUARD}(...)` names {unknown}, which no earlier cell "
                            "is tagged with")
        elif guarded is not None and not needs <= set(guarded):
            release.problem(index, f"`if {GUARD}(...)` must also name "
                            f"{_listed(needs - set(guarded))}: this cell uses what it defines")
        for name in defined_names(cell.source):
            needs_of_name[name] = needs | set(guarded or ())


def used_names(source: str) -> set[str]:
    """Global names a cell reads, in any scope, minus those it defines itself."""
    try:
        top = symtable.symtable(source, "<cell>", "exec")
    except SyntaxError:
        return set()
    used, pending = set(), list(top.get_children())
    while pending:
        table = pending.pop()
        used |= {s.get_name() for s in table.get_symbols() if s.is_global() and s.is_referenced()}
        pending += table.get_children()
    used |= {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    return used - set(defined_names(source))


def guard_tags(source: str) -> list[str] | None:
    """The tags of ``if done("task_...", ...):`` when that is the cell's only statement."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    if len(body) != 1 or not isinstance(body[0], ast.If) or body[0].orelse:
        return None
    call = body[0].test
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            and call.func.id == GUARD and not call.keywords):
        return None
    if not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args):
        return None
    return [a.value for a in call.args]


def _order(tags):
    """task_1_2 before task_1_10."""
    return sorted(tags, key=lambda t: ([int(p) for p in t.split("_") if p.isdigit()], t))


def _listed(tags):
    tags = _order(tags)
    return tags[0] if len(tags) == 1 else ", ".join(tags[:-1]) + " and " + tags[-1]


def _args(tags):
    return ", ".join(f'"{t}"' for t in _order(tags))
