"""``python -m grader rubric``: an assignment's rubric as a course author reads it.

Per task: its points, the requirements its statement makes and, for each, the checks that
enforce it (public or hidden, points); per written question, its rubric. Printed as Markdown,
from the spec itself, so the table and the grading cannot drift apart.
"""
from .specs import available, load_spec


def add_arguments(parser):
    parser.add_argument("assignments", nargs="*", type=int, metavar="N",
                        help="assignment numbers (default: all)")


def rubric(spec) -> str:
    lines = [f"# Assignment {spec.number}: {spec.title} ({spec.points:g} points)", ""]
    for task in spec.tasks:
        lines += [f"## {task.tag}: {task.title} ({task.points:g} points)", ""]
        if task.requirements:
            lines += ["| requirement | checks |", "|---|---|"]
            for rid, text in task.requirements.items():
                checks = [c for c in task.checks if rid in c.covers]
                shown = "; ".join(_check(c) for c in checks) or "**no check**"
                lines.append(f"| {rid}: {text} | {shown} |")
            lines.append("")
        uncovered = [c for c in task.checks if not c.covers]
        if uncovered or not task.requirements:
            lines += [f"- {_check(c)}" for c in (uncovered or task.checks)] + [""]
    for question in spec.written:     # marked by a person: the rubric a marker ticks
        lines += [f"## {question.tag}: {question.title} ({question.points:g} points, "
                  "written, marked by hand)", ""]
        lines += [f"- {c.id} ({c.points:g} pt): {c.text}" for c in question.rubric] + [""]
    return "\n".join(lines)


def _check(check) -> str:
    kind = "public" if check.public else "hidden"
    marking = ", negative marking" if check.negative else ""
    return f"{check.label} ({check.points:g} pt, {kind}{marking})"


def run(args):
    numbers = args.assignments or available()
    unknown = [n for n in numbers if n not in available()]
    if unknown:
        print(f"error: no spec for assignment {unknown[0]} (have: {available()})")
        return 2
    print("\n".join(rubric(load_spec(n)) for n in numbers))
    return 0
