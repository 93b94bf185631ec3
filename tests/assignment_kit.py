"""Helpers shared by the four assignment test modules."""
import shutil
import time


def sandboxed_grader(spec, templates):
    """Yield a real sandboxed grader for ``spec`` with its templates in ``templates``."""
    from grader.grade import Grader
    grader = Grader(specs={spec.number: spec}, notebooks=templates)
    try:
        yield grader
    finally:
        grader.close()


def assert_solution_100_blank_0(grader, number, solution, student, tmp_path):
    """The solution notebook scores 100 in the sandbox; the released student notebook 0."""
    submitted = tmp_path / f"Assignment_{number}_AdaLovelace_12345678.ipynb"
    shutil.copy(solution, submitted)
    started = time.perf_counter()
    result = grader.grade(submitted, number)
    seconds = time.perf_counter() - started
    problems = {tag: [m for c in t["checks"] for m in c.get("messages", [])]
                for tag, t in result["tasks"].items() if t["points"] < t["max"]}
    assert result["total"] == 100, problems
    print(f"sandboxed grading of the solution: {seconds:.2f} s")

    blank = tmp_path / f"Assignment_{number}_GraceHopper_87654321.ipynb"
    shutil.copy(student, blank)
    result = grader.grade(blank, number)
    assert result["status"] == "graded"
    assert result["total"] == 0
