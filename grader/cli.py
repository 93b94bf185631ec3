"""``python -m grader <command>``: one sub-command per pipeline step a user runs."""
import argparse
import importlib
import os
import sys

# command -> (module implementing add_arguments(parser) and run(args) -> exit code, help)
COMMANDS = {
    "grade": ("grader.batch", "grade one submission or a folder of submissions"),
    "check": ("grader.checkcmd", "run an assignment's checks on a notebook, print the verdicts"),
    "report": ("grader.reports.rebuild", "rebuild gradebook, feedback and summary from results "
               "and manual marks, without regrading"),
    "review": ("grader.review", "mark written answers in a local web app; export or import "
               "the offline marks file"),
    "export": ("grader.lms.export", "write grades and feedback for an LMS (Moodle, Canvas) "
               "or as a long table"),
    "rubric": ("grader.rubric", "print an assignment's rubric: tasks, requirements, checks"),
    "release": ("grader.release", "regenerate student notebooks in notebooks/ from solutions/"),
    "examples": ("grader.examples", "regenerate the bundled example class in data/examples/"),
}
CLOSED_PIPE = 141    # what a shell reports for a command ended by SIGPIPE (128 + 13)


def build_parser(chosen=None):
    """The parser; only the chosen command's module is imported (some imports are slow)."""
    parser = argparse.ArgumentParser(
        prog="python -m grader",
        description="Autograder and authoring tools for the neural-network fundamentals course.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, text) in COMMANDS.items():
        command = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        if name == chosen:
            importlib.import_module(module).add_arguments(command)
        command.set_defaults(module=module)
    return parser


def _stdout_closed():
    """Whether nobody reads our stdout any more (a pipe whose reader has exited)."""
    import select
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & select.POLLERR for _, event in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def _quiet_stdout():
    """The reader of our output went away (``... | head``): point stdout at /dev/null so that
    Python's flush at exit does not print a BrokenPipeError either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if not a.startswith("-")), None)
    try:
        args = build_parser(chosen).parse_args(argv)
        return importlib.import_module(args.module).run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        if not _stdout_closed():    # some other pipe of ours: a real error
            raise
        _quiet_stdout()
        return CLOSED_PIPE
