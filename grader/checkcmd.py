"""``python -m grader check``: the verdicts for one notebook, printed to the terminal.

By default only the public checks run (what a student's ``check()`` calls see, but here in
the sandbox and with each task on its own); ``--all`` adds the hidden ones, for instructors.
"""
from pathlib import Path

from .result import Status, SubmissionResult


def add_arguments(parser):
    parser.add_argument("notebook", type=Path, help="the notebook to check")
    parser.add_argument("-a", "--assignment", type=int, help="assignment number (default: inferred)")
    parser.add_argument("-t", "--task", action="append", metavar="TAG",
                        help="only this task (repeatable), e.g. task_1_2")
    parser.add_argument("--all", action="store_true", help="also run the hidden checks")
    parser.add_argument("--templates", type=Path,
                        help="folder of the student templates (default: notebooks/)")


def format_result(result: SubmissionResult, tasks=None) -> str:
    """The verdicts of one graded notebook, as the terminal shows them."""
    if result.status is not Status.GRADED:
        return f"{result.file}: not graded: {result.error}"
    lines = [f"{result.file}: assignment {result.assignment}"]
    lines += [f"  note: {flag}" for flag in result.flags]
    for tag, task in result.tasks.items():
        if tasks and tag not in tasks:
            continue
        lines.append(f"{tag} ({task.title}): {task.points:g}/{task.max:g} [{task.status}]")
        lines += [f"    {m}" for m in task.messages]
        for chk in task.checks:
            mark = "PASS" if chk.passed else "FAIL"
            lines.append(f"  [{mark}] {chk.label} ({chk.points:g}/{chk.max:g})")
            lines += [f"         {m}" for m in chk.messages]
    return "\n".join(lines)


def run(args):
    import sys
    from .constants import PARTIAL_SANDBOX
    from .grade import Grader
    from .sandbox import full_isolation_available
    if not full_isolation_available():
        print(PARTIAL_SANDBOX, file=sys.stderr)
    if not args.notebook.is_file():
        print(f"error: {args.notebook}: no such file")
        return 2
    grader = Grader(numbers=[args.assignment] if args.assignment else None,
                    public_only=not args.all, hide=[str(args.notebook.resolve().parent)],
                    notebooks=args.templates)
    try:
        result = grader.grade(args.notebook, args.assignment)
    finally:
        grader.close()
    print(format_result(result, args.task))
    return 0 if result.status is not Status.FAILED_GRADER else 1
