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
        session = KernelSession(self.zygote)
        deadline = time.monotonic() + (self.budget or spec.budget)
        try:
            return {src.tag: await TaskRun(self, session, spec, imports, src, deadline).run()
                    for src in sources}
        finally:
            await session.stop()

    def materialize(self, spec, tag, index, check):
        """Inputs (as sent to the kernel) and expected values, computed once per process."""
        key = (spec.number, tag, index)
        if key not in self._materialized:
            inputs, expected = check.materialize(spec.check_seed(tag, index))
            self._materialized[key] = (json.dumps(to_plain(inputs)), inputs, expected)
        return self._materialized[key]


class TaskRun:
    """Run and judge one task: its cells in a fresh namespace, then its checks.

    Two kernel round trips in the normal case: ``prepare`` (reset, imports cell, student
    cell) and ``checks`` (every probe, each reported as soon as it is done). If the kernel
    is stopped mid-way, finished checks keep their reports, the running one is marked, and
    the rest continue in a fresh kernel.
    """

    def __init__(self, grader, session, spec, imports, src, deadline):
        self.grader, self.session, self.spec, self.imports = grader, session, spec, imports
        self.src, self.deadline, self.task = src, deadline, spec.task(src.tag)
        self.limit = grader.cell_timeout or spec.cell_timeout
        self.cell_file = f"<{self.task.tag}>"
        self.entry = {"title": self.task.title, "points": 0.0, "max": self.task.points,
                      "status": "ok", "messages": [], "checks": []}

    def timeout(self, wanted=None):
        return max(0.0, min(wanted or self.limit, self.deadline - time.monotonic()))

    async def run(self):
        if self.src.source is None:
            return self._fail("not code" if "not code" in self.src.problem else "missing",
                              self.src.problem)
        if not await self.prepare(first=True):
            return self.entry
        pending = [(i, c) for i, c in enumerate(self.task.checks)
                   if c.public or not self.grader.public_only]
        self.entry["checks"] = await self.run_checks(pending)
        self.entry["points"] = score_task(self.task, self.entry["checks"])
        return self.entry

    async def prepare(self, first=False):
        """Fresh namespace, the template's imports cell, then the student's cell."""
        if self.timeout() <= 0:
            self._fail("skipped", "not run: this submission used up its time budget")
            return False
        seed = self.spec.check_seed(self.task.tag, -1)
        run = await self.session.call("prepare", seed, self.imports, self.cell_file,
                                      self.src.source, timeout=self.timeout())
        report = run.reports.get(0)
        if run.status != "ok" or report is None:
            self._fail(*self._stopped(run, "your cell"))
            return False
        if not report.get("imports", {}).get("ok"):
            self._fail("error", "the imports cell failed in the grader; this is not your "
                                "fault: tell your instructor")
            return False
        if first and not (report.get("cell") or {}).get("ok"):
            self.entry["status"] = "error"
            self.entry["messages"].append(_cell_error((report.get("cell") or {}).get("error")
                                                      or {}))
        if first and run.truncated:
            self.entry["messages"].append("your cell printed too much; output was cut")
        return True

    async def run_checks(self, pending):
        results = {}
        while pending:
            if self.session.client is None and not await self.prepare():
                for index, check in pending:
                    results[index] = self._not_run(check, "not run: the kernel could not be "
                                                          "restarted in the time left")
                break
            material = [self.grader.materialize(self.spec, self.task.tag, i, c) for i, c in pending]
            probes = [(c.code, m[0], self.spec.check_seed(self.task.tag, i))
                      for (i, c), m in zip(pending, material)]
            run = await self.session.call("checks", json.dumps(probes), self.cell_file,
                                          timeout=self.timeout(self._budget(pending)))
            done = 0
            while done < len(pending) and done in run.reports:
                (index, check), (_, inputs, expected) = pending[done], material[done]
                results[index] = judge_report(check, run.reports[done], inputs, expected)
                done += 1
            if run.status == "ok":  # finished, yet some reports are missing: tampering
                for (index, check), (_, inputs, expected) in zip(pending[done:], material[done:]):
                    results[index] = judge_report(check, None, inputs, expected)
                break
            if done == 0:  # the first pending check itself was stopped
                index, check = pending[0]
                status, message = self._stopped(run, check.label)
                results[index] = judge_report(check, {"status": status, "message": message},
                                              *material[0][1:])
                done = 1
            pending = pending[done:]
        return [results[i] for i in sorted(results)]

    def _budget(self, pending):
        """One cell limit for the whole batch of probes, unless checks ask for more."""
        return max([self.limit] + [c.timeout or 0 for _, c in pending])

    def _not_run(self, check, message):
        return {"label": check.label, "points": 0.0, "max": float(check.points),
                "public": check.public, "status": "not run", "messages": [message]}

    def _stopped(self, run, what):
        if run.status == "timeout":
            # the limit, not the time it took to stop the cell: feedback must not vary by load
            return "timeout", f"{what} exceeded the time limit of {run.limit:g} s and was stopped"
        if run.status == "crashed":
            return "crashed", (f"the kernel died while running {what} (exit(), os._exit(), a "
                               "crash or the memory limit); it was restarted for what follows")
        return "no result", f"{what} did not report a result (were built-ins replaced?)"

    def _fail(self, status, message):
        self.entry.update(status=status, points=0.0)
        self.entry["messages"].append(message)
        self.entry["checks"] = [self._not_run(c, "") for c in self.task.checks]
        for check in self.entry["checks"]:
            check["messages"] = []
        return self.entry


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
        if args.assignment is not None:
            load_spec(args.assignment)
    except (FileNotFoundError, LookupError, ValueError) as error:
        print(f"error: {error}")
        return 2
    return grade_all(paths, args)
