"""What the mistake-variant modules share: a solution's task cells, and small edits of them.

A wrong variant is usually a correct cell with one edit, so that the mistake is easy to see:
``edit(BASE[tag], old, new, ...)`` replaces each ``old`` (which must occur) by ``new``, and
``edit_in(BASE[tag], name, old, new, ...)`` does so inside the top-level ``def name`` or
``class name`` only.
"""
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def solution_cells(name: str) -> dict[str, str]:
    """``{tag: source}`` of the task cells of ``solutions/<name>``, solution markers removed."""
    import nbformat
    nb = nbformat.read(SOLUTIONS / name, as_version=4)
    cells = {}
    for cell in nb.cells:
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag.startswith("task_"):
                lines = [line for line in cell.source.splitlines()
                         if line.strip() not in MARKERS]
                cells[tag] = "\n".join(lines) + "\n"
    return cells


def edit(source: str, *pairs: str) -> str:
    """``source`` with each ``old`` replaced by ``new`` (``pairs`` = old, new, old, new, ...)."""
    for old, new in zip(pairs[::2], pairs[1::2]):
        assert old in source, old
        source = source.replace(old, new)
    return source


def edit_in(source: str, name: str, *pairs: str) -> str:
    """:func:`edit` inside the top-level ``def name`` or ``class name`` of ``source`` only."""
    start = next(source.index(f"{kind} {name}") for kind in ("def", "class")
                 if f"{kind} {name}" in source)
    ends = [source.find(f"\n{kind} ", start + 1) for kind in ("def", "class")]
    end = min([e for e in ends if e > 0], default=len(source))
    return source[:start] + edit(source[start:end], *pairs) + source[end:]
