"""``python -m grader release``: build the student notebooks in notebooks/ from solutions/.

Each ``solutions/assignment_<N>_<slug>.ipynb`` becomes ``notebooks/Assignment_<N>_<topic>.ipynb``
by the steps listed in :data:`pipeline.STEPS`, one small module each:

=================  ==============================================================
``rules``          check the metadata, the spec and the special cells
``markers``        SOLUTION regions become stubs, HIDDEN regions are removed
``demos``          cells that use a task's result must wait for it with ``done()``
``selfcheck_cell`` pack the public checks into the selfcheck cell
``cells``          drop instructor cells, clear outputs, lock and mark cells, metadata
``files``          read solutions, write notebooks/, ``--check`` (tolerating float drift)
``readme``         the README's Colab and Binder links, from its one repository line
=================  ==============================================================

The output is a pure function of the solution notebook, the assignment's spec and the grader's
self-check sources, so ``--check`` can tell whether notebooks/ is up to date by regenerating in
memory and comparing bytes.

Error messages name the solution file, the cell (counted from 0, as in the notebook's JSON) and,
for marker problems, the line inside the cell (counted from 1).
"""
import argparse
import sys
from pathlib import Path

from . import readme
from .files import REPO, output_name, read_solution, release_all, shown
from .pipeline import STEPS, student_version
from .problems import ReleaseError
from .selfcheck_cell import EMBEDDED, selfcheck_source

__all__ = ["EMBEDDED", "REPO", "STEPS", "ReleaseError", "add_arguments", "output_name",
           "read_solution", "release_all", "run", "selfcheck_source", "student_version"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if notebooks/ is not what release would write")
    parser.add_argument("--solutions", type=Path, default=REPO / "solutions", metavar="DIR",
                        help="solution notebooks (default: %(default)s)")
    parser.add_argument("--notebooks", type=Path, default=REPO / "notebooks", metavar="DIR",
                        help="student notebooks (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    problems = release_all(args.solutions, args.notebooks, check=args.check, log=print)
    if args.notebooks.resolve() == (REPO / "notebooks").resolve() and not problems:
        names = sorted(p.name for p in args.notebooks.glob("Assignment_*.ipynb"))
        problems += readme.sync(REPO / "README.md", names, check=args.check)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        hint = " (run `python -m grader release`)" if args.check else ""
        print(f"release: {len(problems)} problem(s){hint}", file=sys.stderr)
        return 1
    print(f"release: {shown(args.notebooks)}/ is up to date with {shown(args.solutions)}/")
    return 0
