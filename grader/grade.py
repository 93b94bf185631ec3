"""Grade one submission: a sequence of small, named steps.

    load      read and validate the file, identity from its name     (submission.py)
    rebuild   take only the task cells' sources, the rest from the template
    run       per task, in a fresh namespace of a sandboxed kernel:  (runner.py, sandbox.py)
              the imports cell, the student's cell, then each check's probe
    check     judge the plain-data reports in this trusted process   (checks.py, compare.py)
    report    a result dict (schema nncourse-result/1)                (report.py writes files)
"""
import asyncio
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
REPO = Path(__file__).resolve().parent.parent


class Grader:
    """Grades submissions one after another in this process, with one warm kernel factory."""

    def __init__(self, numbers=None, slot=0, limits=None, hide=(), cell_timeout=None,
                 budget=None, public_only=False, require_sandbox=False, notebooks=None,
                 specs=None):
        self.specs = specs or {n: load_spec(n) for n in (numbers or available())}
        self.cell_timeout, self.budget, self.public_only = cell_timeout, budget, public_only
        self.notebooks = Path(notebooks or REPO / "notebooks")
        self.templates = {n: self._template(spec) for n, spec in self.specs.items()}
        preload = sorted({m for spec in self.specs.values() for m in spec.preload})
        self.zygote = Zygote(preload, slot=slot, limits=limits or Limits(), hide=hide)
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
    """Run and judge one task: its cells in a fresh namespace, then its checks."""

    def __init__(self, grader, session, spec, imports, src, deadline):
        self.grader, self.session, self.spec, self.imports = grader, session, spec, imports
        self.src, self.deadline, self.task = src, deadline, spec.task(src.tag)
        self.limit = grader.cell_timeout or spec.cell_timeout
        self.entry = {"title": self.task.title, "points": 0.0, "max": self.task.points,
                      "status": "ok", "messages": [], "checks": []}

    def timeout(self, wanted=None):
        return max(0.0, min(wanted or self.limit, self.deadline - time.monotonic()))

    async def run(self):
        if self.src.source is None:
            return self._fail("not code" if "not code" in self.src.problem else "missing",
                              self.src.problem)
        if not await self.prepare():
            return self.entry
        checks = list(enumerate(self.task.checks))
        for index, check in checks:
            if self.grader.public_only and not check.public:
                continue
            self.entry["checks"].append(await self.run_check(index, check))
        self.entry["points"] = score_task(self.task, self.entry["checks"])
        return self.entry

    async def prepare(self):
        """Fresh namespace, the template's imports cell, then the student's cell."""
        seed = self.spec.check_seed(self.task.tag, -1)
        for step, args in (("begin", (seed,)), ("cell", ("<imports>", self.imports, seed)),
                           ("cell", (f"<{self.task.tag}>", self.src.source, seed))):
            if self.timeout() <= 0:
                return self._fail("skipped", "not run: this submission used up its time "
                                             f"budget of {self.spec.budget:g} s") and False
            run = await self.session.call(step, *args, timeout=self.timeout())
            if run.status != "ok" or not run.report:
                return self._fail(*self._stopped(run, "your cell")) and False
            if not run.report.get("ok"):
                error = run.report.get("error") or {}
                if args[0] == "<imports>":
                    return self._fail("error", "the imports cell failed in the grader; this "
                                               "is not your fault: tell your instructor") and False
                self.entry["status"] = "error"
                self.entry["messages"].append(_cell_error(error))
        if run.truncated:
            self.entry["messages"].append("your cell printed too much; output was cut")
        return True

    async def run_check(self, index, check):
        payload, inputs, expected = self.grader.materialize(self.spec, self.task.tag, index,
                                                            check)
        if self.session.client is None and not await self.prepare():
            return judge_report(check, {"status": "not run",
                                        "message": "not run: the kernel could not be restarted"},
                                inputs, expected)
        seed = self.spec.check_seed(self.task.tag, index)
        run = await self.session.call("check", check.code, payload, f"<{self.task.tag}>", seed,
                                      timeout=self.timeout(check.timeout))
        if run.status != "ok":
            status, message = self._stopped(run, check.label)
            return judge_report(check, {"status": status, "message": message}, inputs, expected)
        return judge_report(check, run.report, inputs, expected)

    def _stopped(self, run, what):
        if run.status == "timeout":
            return "timeout", f"{what} exceeded {run.seconds:.0f} s and was stopped"
        if run.status == "crashed":
            return "crashed", (f"the kernel died while running {what} (exit(), os._exit(), a "
                               "crash or the memory limit); it was restarted for what follows")
        return "no result", f"{what} did not report a result (were built-ins replaced?)"

    def _fail(self, status, message):
        self.entry.update(status=status, points=0.0)
        self.entry["messages"].append(message)
        self.entry["checks"] = [{"label": c.label, "points": 0.0, "max": float(c.points),
                                 "public": c.public, "status": "not run", "messages": []}
                                for c in self.task.checks]
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
    if args.require_sandbox and not full_isolation_available():
        print("error: --require-sandbox: the full sandbox needs root on Linux with namespaces")
        return 2
    try:
        paths = collect(args.paths)
        if args.assignment is not None:
            load_spec(args.assignment)
    except (FileNotFoundError, LookupError, ValueError) as error:
        print(f"error: {error}")
        return 2
    return grade_all(paths, args)
