"""Small per-cell and notebook-wide steps: instructor cells, outputs, locks, marks, metadata."""
from typing import TYPE_CHECKING

from .rules import tags, task_of

if TYPE_CHECKING:  # the pipeline imports its steps, not the other way round
    from .pipeline import Release

# The first line of every locked code cell. Comments, not CSS: they show in JupyterLab,
# Notebook 7, Colab and Binder alike, and in a printout.
LOCKED_MARK = "# Locked cell: run it as it is (you edit only the cells that start with # Task)"
# Markdown cells tagged "answer" become a quote block under this label, so that a written
# answer stands apart from the question above it.
ANSWER_LABEL = "> **Your answer:**"
# What JupyterLab writes for a notebook with this kernel. Writing it ourselves means opening
# a released notebook changes nothing, so the file is not "modified" before the student types.
# Only the Python version depends on the student's machine: this is the one Binder runs
# (environment.yml pins it; tests/test_release.py checks that the two agree).
PYTHON_VERSION = "3.11.7"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                 "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                 "pygments_lexer": "ipython3", "version": PYTHON_VERSION}


def drop_instructor(release: "Release") -> None:
    release.cells = [(i, cell) for i, cell in release.cells if "instructor" not in tags(cell)]


def clear_outputs(release: "Release") -> None:
    for _, cell in release.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)  # timings of the author's run


def lock(release: "Release") -> None:
    """Task cells stay editable (but not deletable), answer cells stay as they are."""
    for _, cell in release.cells:
        if task_of(cell) is not None:
            cell.metadata.update(editable=True, deletable=False)
        elif "answer" not in tags(cell):
            cell.metadata.update(editable=False, deletable=False)


def mark(release: "Release") -> None:
    """Make locked code cells and answer cells recognisable at a glance."""
    for _, cell in release.cells:
        if cell.cell_type == "code" and cell.metadata.get("editable") is False \
                and "selfcheck" not in tags(cell):  # that one has a header of its own
            cell.source = LOCKED_MARK + "\n" + cell.source
        elif cell.cell_type == "markdown" and "answer" in tags(cell):
            cell.source = answer_box(cell.source)


def answer_box(text: str) -> str:
    """The author's placeholder text, quoted under the answer label."""
    quoted = [">" + (" " + line if line.strip() else "") for line in text.strip().split("\n")]
    return "\n".join([ANSWER_LABEL, ">"] + quoted)


def set_metadata(release: "Release") -> None:
    nb = release.nb
    nb.nbformat_minor = max(nb.get("nbformat_minor", 0), 5)  # cell ids need 4.5
    nb.metadata.pop("widgets", None)  # saved widget state is output, and outputs are cleared
    nb.metadata.kernelspec = dict(KERNELSPEC)
    nb.metadata.language_info = dict(LANGUAGE_INFO)
    name = release.name or release.spec.solution_name
    nb.metadata.nncourse["generated_from"] = f"solutions/{name}"
