"""``done()``: demonstration cells wait for the tasks whose results they use.

A demonstration cell (a locked cell that plots or prints what a task computed) is written as::

    if done("task_1_1", "task_1_6"):
        ...  # the demonstration

While one of those tasks is still as handed out, ``done`` prints one line ("Task 1.6 is not
done yet: this cell will run once it is.") and returns False, so "Run All" on a partly done
notebook runs everything that can run instead of stopping at the first demonstration.

A task counts as not done while a name its cell defines is missing or ``None`` (an answer
still to fill in), or is a function or class that still raises the ``NotImplementedError``
that ``python -m grader release`` put there.

In released notebooks this module is embedded in the selfcheck cell, with the names each
task cell defines worked out by release (:func:`make_done`). In the repository, solution
notebooks import :func:`done`, which reads the same names from the solution notebook.
Standard library only: the module is shipped to students.
"""
import json
import symtable
import sys
import types
from collections.abc import Callable
from pathlib import Path


def make_done(task_names: dict[str, list[str]]) -> Callable[..., bool]:
    """The ``done(*tags)`` function for a notebook; ``task_names`` maps tags to names."""
    def done(*tags):
        unknown = [tag for tag in tags if tag not in task_names]
        if unknown:
            raise ValueError(f"no task {unknown[0]!r} in this notebook")
        namespace = vars(sys.modules["__main__"])
        waiting = [tag for tag in tags if not is_done(tag, task_names[tag], namespace)]
        if waiting:
            print(waiting_message(waiting))
        return not waiting
    return done


def waiting_message(tags: list[str]) -> str:
    labels = [label(tag) for tag in tags]
    if len(labels) == 1:
        return f"{labels[0]} is not done yet: this cell will run once it is."
    listed = ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"{listed} are not done yet: this cell will run once they are."


def label(tag: str) -> str:
    """``task_1_6`` -> ``Task 1.6``."""
    _, number, index = tag.split("_")
    return f"Task {number}.{index}"


def is_done(tag: str, names: list[str], namespace: dict) -> bool:
    stub = label(tag) + ":"
    return all(name in namespace and namespace[name] is not None
               and not _is_stub(namespace[name], stub) for name in names)


def _is_stub(value, stub):
    """Whether a function or class still raises release's NotImplementedError(stub ...)."""
    return any(_raises_stub(code, stub) for code in _code_objects(value))


def _code_objects(value):
    if isinstance(value, type):
        for member in vars(value).values():
            member = getattr(member, "__func__", member)           # static and class methods
            for part in (member, getattr(member, "fget", None), getattr(member, "fset", None)):
                if isinstance(part, types.FunctionType):
                    yield part.__code__
    elif isinstance(value, types.FunctionType):
        yield value.__code__


def _raises_stub(code, stub):
    if "NotImplementedError" in code.co_names and any(
            isinstance(c, str) and c.startswith(stub) for c in code.co_consts):
        return True
    return any(_raises_stub(c, stub) for c in code.co_consts if isinstance(c, types.CodeType))


def defined_names(source: str) -> list[str]:
    """Names a cell binds at top level (assignments, imports, def, class), sorted.

    Empty for a cell that is not plain Python (IPython magics, shell escapes).
    """
    try:
        table = symtable.symtable(source, "<cell>", "exec")
    except SyntaxError:
        return []
    return sorted(s.get_name() for s in table.get_symbols()
                  if s.is_assigned() or s.is_imported())


# ---------------------------------------------------------------- repository use

def done(*tags: str) -> bool:
    """``done`` for a solution notebook in the repository (all of its tasks are solved)."""
    return make_done(_solution_task_names(tags))(*tags)


def _solution_task_names(tags):
    from .specs import load_spec
    names = {}
    for number in sorted({int(tag.split("_")[1]) for tag in tags}):
        path = Path(__file__).resolve().parent.parent / "solutions" / \
            load_spec(number).solution_name
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) \
                else cell["source"]
            for tag in cell.get("metadata", {}).get("tags", []):
                if tag.startswith("task_") and cell["cell_type"] == "code":
                    names[tag] = defined_names(source)
    return names
