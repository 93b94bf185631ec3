"""Helpers shared by the four assignment test modules."""
import shutil
import time


def graded(grader, *args, **kwargs):
    """The grader's result as the dict its result file holds."""
    return grader.grade(*args, **kwargs).to_dict()



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
    result = graded(grader, submitted, number)
    seconds = time.perf_counter() - started
    problems = {tag: [m for c in t["checks"] for m in c.get("messages", [])]
                for tag, t in result["tasks"].items() if t["points"] < t["max"]}
    # every automatic point; the written answers wait for a marker
    assert result["total"] == grader.specs[number].code_points, problems
    print(f"sandboxed grading of the solution: {seconds:.2f} s")

    blank = tmp_path / f"Assignment_{number}_GraceHopper_87654321.ipynb"
    shutil.copy(student, blank)
    result = graded(grader, blank, number)
    assert result["status"] == "graded"
    assert result["total"] == 0


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def notebook_parts(nb):
    """The imports cell's source and ``{tag: source}`` of the task cells of a notebook."""
    imports = next(c.source for c in nb.cells if "imports" in tags(c))
    tasks = {t: c.source for c in nb.cells for t in tags(c) if t.startswith("task_")}
    return imports, tasks


def grade_one(spec, imports, tag, source):
    """Grade one task in-process: (points, max, results, cell report)."""
    import dataclasses
    from grader.testing import grade_in_process
    task = spec.task(tag)
    points, results, cell = grade_in_process(dataclasses.replace(spec, tasks=[task]), imports,
                                             {tag: source})[tag]
    return points, task.points, results, cell


def why(results):
    """Every message of ``results`` (CheckResult objects, or the dicts of a self-check)."""
    return [m for r in results for m in (r["messages"] if isinstance(r, dict) else r.messages)]


def assert_blank_scores_zero_in_process(spec, path):
    """Every task of the released student notebook at ``path`` scores 0 (no sandbox)."""
    import nbformat
    from grader.testing import grade_in_process
    imports, tasks = notebook_parts(nbformat.read(path, as_version=4))
    assert list(tasks) == [t.tag for t in spec.tasks]
    graded = grade_in_process(spec, imports, tasks)
    assert {tag: points for tag, (points, _, _) in graded.items()} == dict.fromkeys(tasks, 0.0)
