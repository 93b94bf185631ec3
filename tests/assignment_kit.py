"""Helpers shared by the assignment test modules (tests/test_assignment_<N>.py and the shared
tests/test_assignments.py)."""
import functools
import os
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def graded(grader, *args, **kwargs):
    """The grader's result as the dict its result file holds."""
    return grader.grade(*args, **kwargs).to_dict()



def release_student_notebook(spec, folder):
    """Release the student notebook of ``spec`` from its solution into ``folder``: its path."""
    import nbformat
    from grader import release
    solution = REPO / "solutions" / spec.solution_name
    student = release.student_version(release.read_solution(solution), name=solution.name)
    path = Path(folder) / spec.template_name
    nbformat.write(student, path)
    return path


def execute_notebook(nb, data, cwd, *, small=True, timeout=300):
    """Run ``nb`` in place, in quick mode (``small``) or in full, with its data in ``data`` and
    ``cwd`` as working folder, errors recorded in the outputs: the seconds it took."""
    from nbclient import NotebookClient
    env = {"NNCOURSE_SMALL": "1" if small else None, "NNCOURSE_DATA": str(data),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "MPLBACKEND": "agg"}
    saved = {k: os.environ.get(k) for k in env}
    for key, value in env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    started = time.perf_counter()
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return time.perf_counter() - started


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


@functools.lru_cache(maxsize=None)
def material(number, tag, index):
    """A check's inputs and expected values, computed once per test session (as the grader
    computes them once per process)."""
    from grader.specs import load_spec
    spec = load_spec(number)
    return spec.task(tag).checks[index].materialize(spec.check_seed(tag, index))


def grade_cached(spec, imports, sources):
    """grader.testing.grade_in_process on the tasks of ``sources`` with each check's references
    computed once per session: ``{tag: (points, results, cell report)}``."""
    import dataclasses
    from grader.testing import grade_in_process
    only = dataclasses.replace(spec, tasks=[t for t in spec.tasks if t.tag in sources])
    return grade_in_process(only, imports, sources,
                            materialize=lambda tag, index, _: material(spec.number, tag, index))


def grade_one_cached(spec, imports, tag, source):
    """One task graded by :func:`grade_cached`: (points, max, results, cell report)."""
    points, results, cell = grade_cached(spec, imports, {tag: source})[tag]
    return points, spec.task(tag).points, results, cell
