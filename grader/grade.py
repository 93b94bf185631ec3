"""Grade one submission: a sequence of small, named steps.

    load      read and validate the file, identity from its name     (submission.py)
    rebuild   take only the task cells' sources, the rest from the template
    run       per task, in a fresh namespace of a sandboxed kernel:  (runner.py, sandbox.py)
              the imports cell, the student's cell, then each check's probe
    check     judge the plain-data reports in this trusted process   (checks.py, compare.py)
    report    a result dict (schema nncourse-result/1)                (report.py writes files)
"""
import asyncio
import sys
import datetime
import json
import time
from pathlib import Path

import nbformat

from . import __version__
from .checks import judge_report, score_task
from .runner import KernelSession
from .sandbox import Limits, SandboxUnavailable, Zygote
from .specs import available, load_spec
from .submission import SubmissionError, check_belongs, detect_assignment, load, \
    task_sources, template_parts
from .wire import to_plain

SCHEMA = "nncourse-result/1"
PARTIAL_SANDBOX = ("warning: not root (or no Linux namespaces): kernels run with resource limits "
                   "only, as your own user, with network and files reachable; use "
                   "--require-sandbox to refuse instead")
REPO = Path(__file__).resolve().parent.parent


class Grader:
    """Grades submissions one after another in this process, with one warm kernel factory."""

    def __init__(self, numbers=None, slot=0, limits=None, hide=(), cell_timeout=None,
                 budget=None, public_only=False, require_sandbox=False, notebooks=None,
                 specs=None, isolate=None):
        self.specs = specs or {n: load_spec(n) for n in (numbers or available())}
        self.cell_timeout, self.budget, self.public_only = cell_timeout, budget, public_only
        self.notebooks = Path(notebooks or REPO / "notebooks")
        self.templates = {n: self._template(spec) for n, spec in self.specs.items()}
        preload = sorted({m for spec in self.specs.values() for m in spec.preload})
        self.zygote = Zygote(preload, slot=slot, limits=limits or Limits(), hide=hide,
                             isolate=isolate)
        if require_sandbox and not self.zygote.isolate:
            self.zygote.close()
            raise SandboxUnavailable("full sandbox unavailable (needs root on Linux with "
                                     "namespaces); refusing because of --require-sandbox")
        self._materialized = {}

    def _template(self, spec):
        path = self.notebooks / spec.template_name
        imports, tasks = template_parts(nbformat.read(path, as_version=4))
        if list(tasks) != [t.tag for t in spec.tasks]:
            raise ValueError(f"{path.name}: task cells {list(tasks)} do not match the spec's "
                             f"tasks {[t.tag for t in spec.tasks]}")
        return imports, tasks

    def close(self):
        self.zygote.close()

    def grade(self, path, number=None):
        """Grade one file; returns the result dict. Never raises for a bad submission."""
        started = time.monotonic()
        result = {"schema": SCHEMA, "grader_version": __version__, "file": Path(path).name,
                  "sha256": None, "assignment": number, "student": {}, "status": "graded",
                  "error": None, "flags": [], "total": 0.0, "max": 0.0, "tasks": {}}
        try:
            sub = load(path)
            result.update(sha256=sub.sha256, student=sub.identity, flags=sub.flags)
            number = number or detect_assignment(sub, self.specs)
            if number not in self.specs:
                raise SubmissionError("cannot tell which assignment this is; "
                                      "name it Assignment_N_NameSurname_12345678.ipynb")
            result["assignment"] = number
            result["max"] = self.specs[number].points
            check_belongs(sub, number)
            imports, template_tasks = self.templates[number]
            sources = task_sources(sub, template_tasks)
            result["tasks"] = asyncio.run(self._run(self.specs[number], imports, sources))
        except SubmissionError as error:
            result.update(status="rejected", error=str(error), tasks={})
        except Exception as error:  # the grader's own fault: recorded, never fatal to a batch
            message = " ".join(f"{type(error).__name__}: {error}".split())[:300]
            result.update(status="rejected", error=f"grader failure: {message}", tasks={})
        spec = self.specs.get(result["assignment"])
        total = sum(t["points"] for t in result["tasks"].values())
        result["total"] = max(total, spec.min_total) if spec else 0.0
        result["seconds"] = round(time.monotonic() - started, 3)
        result["graded_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds")
        return result

    async def _run(self, spec, imports, sources):
        return await SubmissionRun(self, spec, imports, sources).run()

    def materialize(self, spec, tag, index, check):
        """Inputs (as sent to the kernel) and expected values, computed once per process."""
        key = (spec.number, tag, index)
        if key not in self._materialized:
            inputs, expected = check.materialize(spec.check_seed(tag, index))
            self._materialized[key] = (json.dumps(to_plain(inputs)), inputs, expected)
        return self._materialized[key]


class SubmissionRun:
    """Run and judge every task of one submission.

    One kernel request normally runs it all: per task, a fresh namespace, the imports cell
    and the student's cell (one step), then the task's checks (one step, reported check by
    check). Each step has its own time limit, enforced from the grader by watching the
    reports arrive (``KernelSession.call``). When a step overruns or the kernel dies, the
    finished reports are kept, the step in progress is marked, and the rest runs in a fresh
    kernel.
    """

    def __init__(self, grader, spec, imports, sources):
        self.grader, self.spec, self.imports = grader, spec, imports
        self.session = KernelSession(grader.zygote)
        self.deadline = time.monotonic() + (grader.budget or spec.budget)
        self.limit = grader.cell_timeout or spec.cell_timeout
        self.tasks = [TaskState(spec.task(src.tag), src, grader.public_only) for src in sources]

    async def run(self):
        todo = [t for t in self.tasks if t.src.source is not None]
        for task in self.tasks:
            if task.src.source is None:
                task.fail("not code" if "not code" in task.src.problem else "missing",
                          task.src.problem)
        try:
            while todo:
                if self.deadline <= time.monotonic():
                    for task in todo:
                        task.give_up()
                    break
                todo = await self._round(todo)
        finally:
            await self.session.stop()
        return {t.tag: t.entry for t in self.tasks}

    async def _round(self, todo):
        """One kernel request for ``todo``; returns the tasks with work left."""
        if todo[0].suspect is not None:  # a retry after a crash: that task alone, so that its
            todo, rest = todo[:1], todo[1:]  # reports are all delivered when the request ends
        else:
            rest = []
        plan, steps = [], []
        for task in todo:
            task.material = [self.grader.materialize(self.spec, task.tag, i, c)
                             for i, c in task.pending]
            plan.append({"seed": self.spec.check_seed(task.tag, -1), "cell_file": task.cell_file,
                         "source": task.src.source,
                         "probes": [(c.code, m[0], self.spec.check_seed(task.tag, i))
                                    for (i, c), m in zip(task.pending, task.material)]})
            steps.append((1, self.limit))
            if task.pending:  # one limit for all checks of a task, unless one asks for more
                steps.append((len(task.pending),
                              max([self.limit] + [c.timeout or 0 for _, c in task.pending])))
        run = await self.session.call("run_tasks", self.imports, json.dumps(plan), steps=steps,
                                      deadline=self.deadline)
        # where the kernel was stopped: the first step not reported (None if it finished)
        stop = None if run.status == "ok" else \
            next((i for i in range(sum(n for n, _ in steps)) if i not in run.reports), None)
        left, base = [], 0
        for task in todo:
            if stop is not None and stop < base:
                left.append(task)  # not reached
                continue
            task.absorb(run, base, stop)
            base += 1 + len(task.material)
            if task.pending or task.suspect == "cell":
                left.append(task)
        return left + rest


class TaskState:
    """One task's result as it builds up over one or more kernel requests."""

    def __init__(self, task, src, public_only):
        self.task, self.src, self.tag, self.cell_file = task, src, task.tag, f"<{task.tag}>"
        self.pending = [(i, c) for i, c in enumerate(task.checks) if c.public or not public_only]
        self.results, self.prepared, self.material = {}, False, []
        self.suspect = None  # the step that was running when the kernel died, if any
        self.entry = {"title": task.title, "points": 0.0, "max": task.points,
                      "status": "ok", "messages": [], "checks": []}

    def absorb(self, run, base, stop):
        """Take this task's reports (the cell's at ``base``, then one per pending check)."""
        if self._retry(run, stop, base):
            return
        report = run.reports.get(base)
        if report is None:
            return self._cell_stopped(run)
        if not report.get("imports", {}).get("ok"):
            return self.fail("error", "the imports cell failed in the grader; this is not your "
                                      "fault: tell your instructor")
        if not self.prepared:
            self.prepared = True
            cell = report.get("cell") or {}
            if not cell.get("ok"):
                self.entry["status"] = "error"
                self.entry["messages"].append(_cell_error(cell.get("error") or {}))
            if base in run.truncated:
                self.entry["messages"].append("your cell printed too much; output was cut")
        for slot, ((index, check), (_, inputs, expected)) in enumerate(
                zip(self.pending, self.material), start=base + 1):
            if stop is not None and slot > stop or self._retry(run, stop, slot, index):
                break
            report = run.reports.get(slot)
            if report is None and slot == stop:
                status, message = _stopped(run, check.label)
                report = {"status": status, "message": message}
            self.results[index] = judge_report(check, report, inputs, expected)
        self._settle()

    def _retry(self, run, stop, slot, step="cell"):
        """Whether the step at ``slot`` must run again before it is judged.

        When the kernel dies, the reports of steps that finished just before can be lost on
        the way; so the step that seems to have crashed is run once more (in a request of
        its own) and blamed only if it crashes again."""
        if run.status == "crashed" and slot == stop and self.suspect != step:
            self.suspect = step
            return True
        if self.suspect == step:  # it has run again: reported now, or blamed now
            self.suspect = None
        return False

    def _cell_stopped(self, run):
        status, message = _stopped(run, "your cell")
        if not self.prepared:
            return self.fail(status, message)
        # a fresh kernel re-ran a cell that had worked before, and it did not finish this time
        self.entry["messages"].append(message)
        self.give_up()

    def give_up(self):
        """Nothing more can run (time budget spent or the cell failed on a re-run)."""
        if not self.prepared:
            return self.fail("skipped", "not run: this submission used up its time budget")
        for index, check in self.pending:
            self.results[index] = _not_run(check, "not run: the kernel could not be restarted "
                                                  "in the time left")
        self._settle()

    def _settle(self):
        self.pending = [(i, c) for i, c in self.pending if i not in self.results]
        self.entry["checks"] = [self.results[i] for i in sorted(self.results)]
        self.entry["points"] = score_task(self.task, self.entry["checks"])

    def fail(self, status, message):
        self.pending = []
        self.entry.update(status=status, points=0.0)
        self.entry["messages"].append(message)
        self.entry["checks"] = [{**_not_run(c, ""), "messages": []} for c in self.task.checks]


def _not_run(check, message):
    return {"label": check.label, "points": 0.0, "max": float(check.points),
            "public": check.public, "status": "not run", "messages": [message]}


def _stopped(run, what):
    if run.status == "timeout":
        # the limit, not the time it took to stop: feedback must not vary with the load
        return "timeout", f"{what} exceeded the time limit of {run.limit:g} s and was stopped"
    if run.status == "crashed":
        return "crashed", (f"the kernel died while running {what} (exit(), os._exit(), a "
                           "crash or the memory limit); it was restarted for what follows")
    return "no result", f"{what} did not report a result (were built-ins replaced?)"


def _cell_error(error):
    where = f" in line {error['line']}" if error.get("line") else ""
    return f"your cell raised {error.get('type', 'an error')}{where}: {error.get('message', '')}"


# ---------------------------------------------------------------- API and command line

_GRADERS = {}


def grade_file(path, assignment=None, **options):
    """Grade one notebook and return its result dict (reuses one warm grader per options)."""
    key = tuple(sorted(options.items()))
    if key not in _GRADERS:
        _GRADERS[key] = Grader(**options)
    return _GRADERS[key].grade(path, assignment)


def add_arguments(parser):
    parser.add_argument("paths", nargs="+", type=Path, metavar="SUBMISSION",
                        help="a submitted .ipynb file, or a folder of them")
    parser.add_argument("-a", "--assignment", type=int,
                        help="assignment number (default: inferred from each notebook)")
    parser.add_argument("-o", "--out", type=Path, default=Path("graded"),
                        help="output folder for results, gradebook, feedback (default: graded)")
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="parallel workers (default: number of cores)")
    parser.add_argument("--cell-timeout", type=float, help="seconds per cell (default: spec)")
    parser.add_argument("--budget", type=float, help="seconds per submission (default: spec)")
    parser.add_argument("--memory-mb", type=int, default=Limits.memory_mb,
                        help="memory a kernel may allocate (default: %(default)s)")
    parser.add_argument("--force", action="store_true",
                        help="regrade even submissions already graded with the same content")
    parser.add_argument("--require-sandbox", action="store_true",
                        help="refuse to run without the full sandbox (root, namespaces)")
    parser.add_argument("--templates", type=Path,
                        help="folder of the student templates (default: notebooks/)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args):
    from .batch import grade_all, collect
    from .sandbox import full_isolation_available
    if not full_isolation_available():
        if args.require_sandbox:
            print("error: --require-sandbox: the full sandbox needs root on Linux with namespaces")
            return 2
        print(PARTIAL_SANDBOX, file=sys.stderr)
    try:
        paths = collect(args.paths)
        if args.assignment is not None and args.assignment not in available():
            raise LookupError(f"no spec for assignment {args.assignment} "
                              f"(have: {available() or 'none'})")
    except (FileNotFoundError, LookupError, ValueError) as error:
        print(f"error: {error}")
        return 2
    return grade_all(paths, args)
