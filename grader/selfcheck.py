"""Self-checks: the public checks, run in the student's own notebook.

In the repository (solution notebooks) ``from grader.selfcheck import check`` builds the public
checks from the spec. In released student notebooks the release step embeds this module,
``wire.py``, ``compare.py``, ``kernel_runtime.py``, ``checks.py``, the assignment's probes and a
*bundle* of the public checks (inputs and expected values precomputed, hidden checks left out),
so ``check("task_1_2")`` works in JupyterLab, Binder and Colab without the repository.

Verdicts use the same probes and judging code as the batch grader. One difference is documented
for students: here a check sees the whole notebook's variables, while the grader runs each task
cell on its own (after the imports cell).
"""
import copy

try:
    from .checks import Check, judge_report
    from .kernel_runtime import resolve, run_probe
    from .result import Status
    from .wire import expected_to_plain, from_plain, to_plain
except ImportError:  # embedded in a notebook: the modules above were exec'd before this one
    pass

CELL_FILE = "<task>"


def probe_modules(spec):
    """The probe modules (names inside grader/probes/) the released notebook must carry."""
    return ["common", *[m for m in spec.probe_modules if m != "common"]]


def build_bundle(spec):
    """Public checks of ``spec`` with inputs and expected values materialised, as plain data."""
    tasks = []
    for task in spec.tasks:
        entries = []
        for index, chk in enumerate(task.checks):
            if not chk.public:
                continue
            if chk.verify is not None:
                raise ValueError(f"{task.tag}: public check {chk.label!r} uses a custom verify")
            inputs, expected = chk.materialize(spec.check_seed(task.tag, index))
            entries.append({
                "id": chk.id, "label": chk.label, "probe": chk.probe, "points": chk.points,
                "inputs": to_plain(chk.kernel_inputs(inputs)),
                "expected": expected_to_plain(expected),
                "requires": {k: v.to_plain() for k, v in chk.requires.items()},
                "subject": chk.subject, "verb": chk.verb, "rtol": chk.rtol, "atol": chk.atol,
                "negative": chk.negative})
        tasks.append({"tag": task.tag, "title": task.title, "points": task.points,
                      "hidden": sum(1 for c in task.checks if not c.public),
                      "checks": entries})
    return {"assignment": spec.number, "tasks": tasks}


def _bundle_check(entry):
    """Rebuild a Check from a bundle entry (embedded copies have no spec module)."""
    from_data = {k: from_plain(v) for k, v in entry["requires"].items()}
    return Check(label=entry["label"], probe=entry["probe"], points=entry["points"],
                 public=True, requires=from_data, subject=entry["subject"], verb=entry["verb"],
                 rtol=entry["rtol"], atol=entry["atol"], negative=entry["negative"],
                 id=entry["id"])


def run_public(bundle, tag, namespace):
    """Run the public checks of ``tag`` against ``namespace``; returns result dicts."""
    task = next((t for t in bundle["tasks"] if t["tag"] == tag), None)
    if task is None:
        known = ", ".join(t["tag"] for t in bundle["tasks"])
        raise KeyError(f"no task {tag!r} in assignment {bundle['assignment']} (tasks: {known})")
    results = []
    for entry in task["checks"]:
        chk = _bundle_check(entry)
        inputs = from_plain(entry["inputs"])
        report = run_probe(resolve(chk.probe), copy.deepcopy(inputs), namespace, CELL_FILE)
        result = judge_report(chk, report, inputs, from_plain(entry["expected"]))
        results.append(vars(result))
    return task, results


def format_results(task: dict, results: list[dict]) -> str:
    """What ``check(tag)`` prints: a verdict line, then one line per public check."""
    name = f"{task['tag']} ({task['title']})"
    hidden = task["hidden"]
    if not results:
        return (f"NOT CHECKED {name}: this task has no public checks, so nothing can be checked "
                f"here. It is graded after you submit ({hidden} hidden check(s)).")
    passed = sum(r["status"] == Status.PASSED for r in results)
    got = sum(r["points"] for r in results)
    public = sum(r["max"] for r in results)
    verdict = "PASS" if passed == len(results) else "FAIL"
    lines = [f"{verdict} {name}: {passed} of {len(results)} public check(s) passed, "
             f"{got:g}/{public:g} points"]
    for r in results:
        mark = "PASS" if r["status"] == Status.PASSED else "FAIL"
        lines.append(f"  [{mark}] {r['label']} ({r['points']:g}/{r['max']:g})")
        lines += [f"         {m}" for m in r["messages"]]
    if hidden:
        lines.append(f"  ({hidden} more check(s) are run when your submission is graded)")
    return "\n".join(lines)


def make_check(bundle: dict):
    """The ``check(tag)`` function that notebooks call. It prints its verdict and returns
    None, so that nothing like ``Out: False`` appears under the verdict."""
    def check(tag):
        import __main__
        task, results = run_public(bundle, tag, vars(__main__))
        print(format_results(task, results))
    return check


def check(tag):
    """Run the public checks of ``tag`` (e.g. ``"task_1_2"``) in this notebook (repository use)."""
    from .specs import load_spec
    number = int(tag.split("_")[1])
    make_check(build_bundle(load_spec(number)))(tag)
