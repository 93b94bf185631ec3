"""The release pipeline: one solution notebook in, one student notebook out.

Each step is a small function of a :class:`Release`, in the spirit of nbgrader's
preprocessors (ClearSolutions, LockCells, ClearOutput). Steps that find a problem in the
solution record it and the pipeline goes on, so that an author sees every problem at once;
only a notebook without usable metadata stops at the first step.
"""
import copy
from dataclasses import dataclass, field

from . import cells, demos, markers, rules, selfcheck_cell
from .problems import CellProblem, ReleaseError


@dataclass
class Release:
    """A solution notebook on its way to becoming a student notebook."""
    nb: dict                      # a private copy; the caller's notebook is never changed
    name: str | None              # the solution's file name, if known
    number: int | None = None     # set by rules.check_metadata
    spec: object = None
    # (index in the solution notebook, cell): problems name the author's cell numbers even
    # after steps have removed cells
    cells: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    task_names: dict = field(default_factory=dict)   # tag -> names its cell defines
    solution_sources: dict = field(default_factory=dict)  # index -> source as authored

    @property
    def label(self):
        return self.name or "solution notebook"

    def problem(self, index: int | None, message: str, line: int | None = None) -> None:
        """Record a problem with cell ``index`` (``line`` 0-based, optional)."""
        where = "" if index is None else f"cell {index}"
        if line is not None:
            where += f", line {line + 1}"
        self.problems.append(f"{where}: {message}" if where else message)

    def guard(self, index: int, step, cell):
        """Run ``step(cell)``, recording a :class:`CellProblem` instead of raising it."""
        try:
            return step(cell)
        except CellProblem as problem:
            self.problem(index, str(problem), problem.line)
            return None


STEPS = (
    rules.check_metadata,         # nncourse metadata, file name, spec (stops on failure)
    rules.give_ids,               # stable ids for cells saved before nbformat 4.5
    rules.check_layout,           # the imports, selfcheck and task cells
    cells.drop_instructor,        # cells tagged "instructor"
    markers.clear_solutions,      # SOLUTION regions become stubs, HIDDEN regions go
    demos.check_guards,           # cells that use a task's result wait for it
    selfcheck_cell.pack,          # the public checks, packed into the selfcheck cell
    cells.clear_outputs,
    cells.lock,                   # only task and answer cells stay editable
    cells.mark,                   # ... and the difference is visible
    cells.set_metadata,           # what JupyterLab would write, plus where this came from
)


def student_version(solution_nb: dict, name: str | None = None) -> dict:
    """The student notebook for ``solution_nb`` (not modified). Raises :class:`ReleaseError`.

    ``name`` is the solution's file name; it is checked against the metadata and recorded in
    ``nncourse.generated_from`` (default: the name the spec expects).
    """
    release = Release(nb=copy.deepcopy(solution_nb), name=name)
    for step in STEPS:
        step(release)
    if release.problems:
        raise ReleaseError(release.label, release.problems)
    release.nb.cells = [cell for _, cell in release.cells]
    return release.nb
