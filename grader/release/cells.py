"""Small per-cell and notebook-wide steps: instructor cells, outputs, locks, metadata."""
from .rules import tags, task_of


def drop_instructor(release):
    release.cells = [(i, cell) for i, cell in release.cells if "instructor" not in tags(cell)]


def clear_outputs(release):
    for _, cell in release.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)  # timings of the author's run


def lock(release):
    """Task cells stay editable (but not deletable), answer cells stay as they are."""
    for _, cell in release.cells:
        if task_of(cell) is not None:
            cell.metadata.update(editable=True, deletable=False)
        elif "answer" not in tags(cell):
            cell.metadata.update(editable=False, deletable=False)


def set_metadata(release):
    nb = release.nb
    nb.nbformat_minor = max(nb.get("nbformat_minor", 0), 5)  # cell ids need 4.5
    nb.metadata.pop("widgets", None)  # saved widget state is output, and outputs are cleared
    name = release.name or release.spec.solution_name
    nb.metadata.nncourse["generated_from"] = f"solutions/{name}"
