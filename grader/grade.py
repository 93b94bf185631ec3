"""Grade one submission: a sequence of small, named steps.

    load      read and validate the file, identity from its name     (submission.py)
    rebuild   take only the task cells' sources, the rest from the template
    run       per task, in a fresh namespace of a sandboxed kernel:  (runner.py, sandbox.py)
              one request runs the imports cell and the student's cell; once it has ended,
              a second request runs the task's probes on the task's own inputs
    check     judge the plain-data reports in this trusted process   (checks.py, compare.py)
    written   keep each written question's answer cell for a marker   (written.py)
    result    a typed SubmissionResult                                (result.py; report.py
                                                                       writes the files)

Nothing of a task's checks reaches the kernel before the task's cell has finished, and no
request carries another task's inputs, a reference solution or an expected value.
"""
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import nbformat

from . import written
from .checks import judge_report, score_task, well_formed
from .constants import NOTEBOOKS
from .result import Status, SubmissionResult, Student, TaskResult, clip
from .runner import KernelSession
from .sandbox import Limits, SandboxUnavailable, Zygote
from .specs import available, load_spec
from .submission import SubmissionError, check_belongs, detect_assignment, load, \
    task_sources, template_parts
from .wire import to_plain


class Grader:
    """Grades submissions one after another in this process, with one warm kernel factory."""

    def __init__(self, numbers=None, slot=0, limits=None, hide=(), cell_timeout=None,
                 budget=None, public_only=False, require_sandbox=False, notebooks=None,
                 specs=None, isolate=None):
        self.specs = specs or {n: load_spec(n) for n in (numbers or available())}
        self.cell_timeout, self.budget, self.public_only = cell_timeout, budget, public_only
        self.notebooks = Path(notebooks or NOTEBOOKS)
        self.templates = {n: self._template(spec) for n, spec in self.specs.items()}
        preload = {m for spec in self.specs.values() for m in spec.preload}
        preload |= {f"grader.probes.{m}" for spec in self.specs.values()
                    for m in spec.probe_modules}
        self.zygote = Zygote(sorted(preload), slot=slot, limits=limits or Limits(), hide=hide,
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

    def grade(self, path, number=None, *, file=None) -> SubmissionResult:
        """Grade one file. ``file`` is how results name it (default: the file's name). Never
        raises for a bad submission: a bad file is rejected, a failure of the grader itself
        is recorded as such."""
        started = time.monotonic()
        result = SubmissionResult(file=file or Path(path).name, assignment=number)
        spec = None
        try:
            sub = load(path)
            result.sha256, result.flags = sub.sha256, sub.flags
            result.student = Student(**sub.identity)
            number = number or detect_assignment(sub, self.specs)
            if number not in self.specs:
                raise SubmissionError("cannot tell which assignment this is; "
                                      "name it Assignment_N_NameSurname_12345678.ipynb")
            spec = self.specs[number]
            result.assignment, result.max = number, spec.points
            check_belongs(sub, number)
            imports, template_tasks = self.templates[number]
            sources = task_sources(sub, template_tasks)
            result.tasks = asyncio.run(SubmissionRun(self, spec, imports, sources).run())
            self.extract_written(result, sub, spec)
        except SubmissionError as error:
            result.reject(str(error))
        except Exception as error:  # the grader's own fault: recorded, never fatal to a batch
            result.fail(f"{type(error).__name__}: {error}")
        return result.finish(spec.min_total if spec else 0.0, time.monotonic() - started)

    def extract_written(self, result, sub, spec):
        """The step ``written``: keep each written question's answer for a marker (nothing
        of it runs; see written.py). Missing and unchanged answers are recorded as such."""
        if spec.written:
            answers, flags = written.extract(sub.notebook, spec,
                                             written.template_for(spec, self.notebooks))
            result.written = answers
            result.flags = [*result.flags, *flags]

    def material(self, spec, task, index, check):
        """``(inputs as sent to the kernel, inputs, expected)`` of a check, computed once per
        process: references can be slow, and every submission uses the same."""
        key = (spec.number, task.tag, index)
        if key not in self._materialized:
            inputs, expected = check.materialize(spec.check_seed(task.tag, index))
            self._materialized[key] = (to_plain(check.kernel_inputs(inputs)), inputs, expected)
        return self._materialized[key]


class SubmissionRun:
    """Run and judge every task of one submission, one task at a time.

    Per task, one request runs the imports cell and the student's cell in a fresh namespace;
    after it has ended, a second request runs the task's probes, reporting check by check.
    Each step has its own time limit, enforced from the grader by watching the reports
    arrive (``KernelSession.call``). When a step overruns or the kernel dies, the finished
    reports are kept, the step in progress is marked, and the rest runs in a fresh kernel
    (where the task's cell is run again first).
    """

    def __init__(self, grader, spec, imports, sources):
        self.grader, self.spec, self.imports = grader, spec, imports
        self.session = KernelSession(grader.zygote)
        self.deadline = time.monotonic() + (grader.budget or spec.budget)
        self.limit = grader.cell_timeout or spec.cell_timeout
        self.tasks = [TaskState(spec, spec.task(src.tag), src, grader.public_only)
                      for src in sources]
        self.ready = None    # the task whose cell last ran in the current kernel

    async def run(self) -> dict[str, TaskResult]:
        try:
            for task in self.tasks:
                await self._task(task)
        finally:
            await self.session.stop()
        return {t.tag: t.result for t in self.tasks}

    def _time_left(self):
        return self.deadline > time.monotonic()

    async def _task(self, task):
        if task.src.source is None:
            task.fail(task.src.status, task.src.problem)
            return
        if not self._time_left():
            return task.give_up()
        if not await self._run_cell(task):
            return
        while task.pending:
            if not self._time_left():
                return task.give_up()
            if self.ready != task.tag and not await self._run_cell(task, again=True):
                return
            await self._run_checks(task)

    async def _run_cell(self, task, again=False):
        """Run the task's cell in a fresh namespace; False when nothing more can run."""
        step = (task.tag, "cell")
        request = json.dumps({"task": task.tag, "seed": self.spec.check_seed(task.tag, -1),
                              "imports": self.imports, "cell_file": task.cell_file,
                              "source": task.src.source})
        run = await self.session.call("run_cell", request, steps=[(step, self.limit)],
                                      deadline=self.deadline)
        self.ready = task.tag if run.status is Status.OK else None
        report = run.reports.get(step)
        if report is None and run.status is Status.CRASHED and task.cell_retries == 0:
            task.cell_retries += 1      # the report may have been lost as the kernel died
            return await self._run_cell(task, again)
        if report is None:
            status, message = _stopped(run, "your cell")
            if again:   # the cell had run before: its result stands, the checks cannot run
                task.result.messages.append(message)
                task.give_up()
                return False
            task.fail(status, message)
            return False
        if not _cell_report_ok(report):
            await self._distrust()
            task.fail(Status.INTERFERED, f"your cell: {_INTERFERED}")
            return False
        if not report["imports"]["ok"]:
            task.fail(Status.ERROR, "the imports cell failed in the grader; this is not your "
                                    "fault: tell your instructor")
            return False
        if not again:
            task.cell_done(report["cell"], run.truncated)
        return True

    async def _run_checks(self, task):
        checks = [task.suspect] if task.suspect is not None else task.pending
        material = {c.id: self.grader.material(self.spec, task.task, i, c) for i, c in checks}
        request = json.dumps({"task": task.tag, "cell_file": task.cell_file, "checks": [
            {"id": c.id, "probe": c.probe, "inputs": material[c.id][0],
             "seed": self.spec.check_seed(task.tag, i)} for i, c in checks]})
        steps = [((task.tag, c.id), max(self.limit, c.timeout or 0)) for _, c in checks]
        run = await self.session.call("run_checks", request, steps=steps,
                                      deadline=self.deadline)
        self.ready = task.tag if run.status is Status.OK else None
        for index, check in checks:
            key = (task.tag, check.id)
            report = run.reports.get(key)
            if report is None and (run.flooded or key in run.voided or run.status is Status.OK):
                report = {"status": Status.INTERFERED, "message": _stopped(run, check.label)[1]}
            elif report is None and key != run.stopped_at:
                break                         # not reached: runs in the next request
            elif report is None and run.status is Status.CRASHED and task.suspect is None:
                task.suspect = (index, check)  # run it once more, alone, before blaming it
                break
            elif report is None:
                status, message = _stopped(run, check.label)
                report = {"status": status, "message": message}
            _, inputs, expected = material[check.id]
            result = judge_report(check, report, inputs, expected)
            task.checked(index, result)
            if result.status is Status.INTERFERED:
                await self._distrust()

    async def _distrust(self):
        """A kernel whose reports were tampered with is not used again: the next task gets a
        fresh one, so one task's interference does not spill into the others."""
        self.ready = None
        await self.session.stop()


class TaskState:
    """One task's result as it builds up over one or more kernel requests."""

    def __init__(self, spec, task, src, public_only):
        self.task, self.src, self.tag, self.cell_file = task, src, task.tag, f"<{task.tag}>"
        self.pending = [(i, c) for i, c in enumerate(task.checks) if c.public or not public_only]
        self.results = {}
        self.suspect = None        # (index, check) that was running when the kernel died
        self.cell_retries = 0
        self.started = False       # whether the cell has reported once
        self.result = TaskResult(tag=task.tag, title=task.title, max=task.points)

    def cell_done(self, cell, truncated):
        self.started = True
        if cell is None or not cell.get("ok"):
            self.result.status = Status.ERROR
            self.result.messages.append(_cell_error((cell or {}).get("error") or {}))
        if truncated:
            self.result.messages.append("your cell printed too much; output was cut")

    def checked(self, index, check_result):
        self.results[index] = check_result
        if self.suspect is not None and self.suspect[0] == index:
            self.suspect = None
        self._settle()

    def give_up(self):
        """Nothing more can run (time budget spent, or the cell failed on a re-run)."""
        if not self.started:
            return self.fail(Status.SKIPPED, "not run: this submission used up its time budget")
        for index, check in self.pending:
            self.results[index] = _not_run(check, "not run: the submission's time budget ran "
                                                  "out, or the kernel could not be restarted")
        self._settle()

    def _settle(self):
        self.pending = [(i, c) for i, c in self.pending if i not in self.results]
        self.result.checks = [self.results[i] for i in sorted(self.results)]
        self.result.points = score_task(self.task, self.result.checks)

    def fail(self, status, message):
        self.pending = []
        self.result.status, self.result.points = Status(status), 0.0
        self.result.messages.append(clip(message))
        self.result.checks = [_not_run(c, None) for c in self.task.checks]
        return self


_INTERFERED = "no result: your code interfered with the grader"


def _cell_report_ok(report):
    """Whether a cell report has the shape the kernel runtime gives it (else: tampering)."""
    if not isinstance(report, dict) or not well_formed(report.get("imports"), result=False):
        return False
    return report.get("cell") is None or well_formed(report["cell"], result=False)


def _not_run(check, message):
    result = judge_report(check, {"status": Status.NOT_RUN, "message": message or ""}, None, None)
    result.messages = [message] if message else []
    return result


def _stopped(run, what):
    if run.flooded:
        return Status.INTERFERED, (f"{what}: {_INTERFERED} (it sent more output than the "
                                   "grader reads)")
    if run.status is Status.OK:   # the request ended, but without this step's report
        return Status.INTERFERED, f"{what}: {_INTERFERED}"
    if run.status is Status.TIMEOUT:
        # the limit, not the time it took to stop: feedback must not vary with the load
        return Status.TIMEOUT, (f"{what} exceeded the time limit of {run.limit:g} s and was "
                                "stopped")
    if run.status is Status.CRASHED:
        return Status.CRASHED, (f"the kernel died while running {what} (exit(), os._exit(), a "
                           "crash or the memory limit); it was restarted for what follows")
    return Status.INTERFERED, f"{what}: {_INTERFERED}"


def _cell_error(error):
    where = f" in line {error['line']}" if type(error.get("line")) is int else ""
    kind, text = str(error.get("type", "an error"))[:80], str(error.get("message", ""))[:300]
    return f"your cell raised {kind}{where}: {text}"
