"""Authors' test helpers: grade task sources in this process, without a sandbox.

A fast path for the course's own tests of its checks (mistake variants, blank notebooks); never
use it on untrusted code. It runs the same probes and judging code as the grader, each task in
a fresh namespace after the imports cell, but in one process and without time limits.
"""
import copy

from .checks import judge_report, score_task
from .kernel_runtime import resolve, run_probe, run_source

CELL_FILE = "<task>"


def grade_in_process(spec, imports_source, sources, hidden=True, materialize=None):
    """Grade ``sources`` (``{tag: cell source}``) against ``spec``.

    ``materialize(tag, index, check)``, when given, supplies a check's ``(inputs, expected)``
    instead of computing them (a test session computes each once).
    Returns ``{tag: (points, check results, cell report)}``.
    """
    graded = {}
    for task in spec.tasks:
        namespace = {"__name__": "__main__"}
        run_source(imports_source, "<imports>", namespace)
        cell = run_source(sources.get(task.tag, ""), CELL_FILE, namespace)
        results = []
        for index, chk in enumerate(task.checks):
            if not (hidden or chk.public):
                continue
            inputs, expected = (materialize(task.tag, index, chk) if materialize else
                                chk.materialize(spec.check_seed(task.tag, index)))
            report = run_probe(resolve(chk.probe), copy.deepcopy(chk.kernel_inputs(inputs)),
                               namespace, CELL_FILE)
            results.append(judge_report(chk, report, inputs, expected))
        graded[task.tag] = (score_task(task, results), results, cell)
    return graded
