"""Grade a class: ``python -m grader grade SUBMISSIONS -o OUT``.

A run, step by step (each step prints at most a few lines):

    check      the arguments, the specs, and the output folder (a folder, or one that can be
               made, and writable); otherwise one line and exit status 2
    collect    the notebooks (collect.py): folders recursively, or an LMS download ingested
               into OUT/submissions; nothing found is exit status 2; of several submissions
               of one student only the newest is graded
    skip       a submission whose result is final (graded, or rejected for the file's own
               fault) for the same file hash and spec/template fingerprint; the batch's own
               fields (identity, superseded, LMS, late) are re-applied to it
    preflight  one sandboxed kernel per assignment to grade runs that assignment's imports
               cell; if it cannot, nothing is graded or written and the exit status is 1
    grade      on the worker pool; the main process writes each result the moment it
               comes back (atomically), so an interruption loses only the submissions in
               flight
    report     gradebook, feedback and summary from every result in OUT/results, then one
               summary line

Exit status: 0 when every submission was graded or rejected for its own fault; 1 when the
grader failed on any (those are regraded by the next run) or the preflight failed; 2 for bad
arguments, an unusable output folder or LMS file, or nothing to grade; 130 after Ctrl-C
(SIGINT), 143 after SIGTERM.

**Interruption.** SIGINT (to the process group, as Ctrl-C sends it, or to this process only)
and SIGTERM make the run stop within about a second: the main process stops collecting
results, sends SIGTERM to every worker, and each worker kills its kernel factory, its kernels
and every process of its sandbox user, then exits at once without writing anything. Workers
are started with SIGINT ignored (a Ctrl-C reaches them and their zygotes too, and must not
print tracebacks there); the main process alone decides. Only results that came back whole
before the signal are written; a grader failure is recorded as such (never as final), so the
next run grades exactly what has no final result.

**The executor seam** is ``pool.py``: grading jobs go to a pool object, made in one place
(``_make_pool``): ``LocalPool`` (spawned worker processes of this machine, each holding a
warm ``Grader``; the default, no extra dependency) or, with ``--dask``, ``cluster.DaskPool``
(the workers of a Dask cluster, each holding a warm Grader for the run's assignments).
``_preflight_on`` and ``_dispatch`` use only the seam's interface, so preflight, results,
resuming, interruption, the summary and the exit status are the same with either. Workers
never write results: the main process annotates (``annotate``) and writes each one, so a
backend on other machines needs no shared output folder. Submissions are sent most expensive
first (``CostQueue``), so that the last ones to finish are short.
"""
from __future__ import annotations

import json
import math
import os
import signal
import statistics
import sys
import tempfile
from collections import Counter, deque
from pathlib import Path

from . import report
from .collect import (Item, collect, find_notebooks, from_ingest,  # noqa: F401 (collect:
                      is_lms_download, mark_superseded)             # for callers of batch)
from .constants import NOTEBOOKS, PARTIAL_SANDBOX
from .pool import LOST_TWICE, SIGNALS, LocalPool, WorkerLost, file_hash, job_grade
from .result import Status, Student, SubmissionResult
from .sandbox import Limits, full_isolation_available
from .specs import available, fingerprint

NAME_FLAG = "file name does not match"


# ---------------------------------------------------------------- console

def silence(stream):
    """Point a stream whose pipe was closed at /dev/null, so that nothing written to it
    later, not even Python's own flush at exit, raises BrokenPipeError."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


class QuietStream:
    """A stream (stdout, stderr, or the progress bar's) that goes quiet when its pipe is
    closed (``grade ... | head``): the run goes on and ends with its normal exit status."""

    def __init__(self, stream):
        self.stream, self.closed = stream, False

    def write(self, text):
        if self.closed:
            return len(text)
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            self.closed = True
            silence(self.stream)
            return len(text)

    def flush(self):
        if self.closed:
            return
        try:
            self.stream.flush()
        except BrokenPipeError:
            self.closed = True
            silence(self.stream)

    def __getattr__(self, name):
        return getattr(self.stream, name)


class Console:
    """stdout for what was done, stderr for problems; both quiet on a closed pipe."""

    def __init__(self):
        self.stdout, self.stderr = QuietStream(sys.stdout), QuietStream(sys.stderr)

    def out(self, text=""):
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def err(self, text):
        self.stderr.write(text + "\n")
        self.stderr.flush()


# ---------------------------------------------------------------- signals (main process)

class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived while the main process was not polling for it."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class StopSignals:
    """SIGINT and SIGTERM, handled in the main process. While the dispatcher is polling
    (``polling``), a signal only sets ``signum``: the loop sees it within 0.1 s and stops the
    pool. Anywhere else (collecting, writing reports) it raises :class:`Interrupted`. After
    the first signal the others are ignored: the run is already stopping."""

    def __init__(self):
        self.signum = None
        self.polling = False
        self._old = {}

    def install(self):
        self._old = {s: signal.signal(s, self._handle) for s in SIGNALS}

    def restore(self):
        for s, handler in self._old.items():
            signal.signal(s, handler)

    def _handle(self, signum, frame):
        if self.signum is not None:
            return
        self.signum = signum
        if not self.polling:
            raise Interrupted(signum)


# ---------------------------------------------------------------- results

def previous_result(item, out_dir, stamp):
    """The item's earlier result if a rerun may keep it: final (graded, or rejected for the
    file's own fault), for the same file content and the same specs and templates."""
    try:
        old = SubmissionResult.from_dict(
            json.loads(report.result_path(out_dir, item.name).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
    if old.final and old.file == item.name and old.fingerprint == stamp \
            and old.sha256 == file_hash(item.path):
        return old
    return None


def annotate(result: SubmissionResult, item: Item, lms=None) -> SubmissionResult:
    """Add what the batch knows beyond the file itself; applied again on every run, so a
    changed roster or deadline, or a newly superseded copy, shows without regrading.

    * the identity in the file name, also for a file that could not be read at all;
    * ``superseded``: the older submissions of the same student that were not graded;
    * for a notebook from an LMS download: ``lms``, ``late`` and the LMS identity
      (``grader.lms.apply_to_result``); the "file name does not match" flag is dropped when
      the LMS, not the file name, says who submitted it.
    Flags added here are recomputed from ``graded_flags`` (the flags grading gave)."""
    extra = result.extra
    base = extra.get("graded_flags")
    flags = list(base) if isinstance(base, list) else list(result.flags)
    extra["graded_flags"] = list(flags)
    for key in ("superseded", "lms", "late"):
        extra.pop(key, None)
    parts = item.parts
    if not result.student.name and not result.student.matriculation and parts.ok:
        result.student = Student(name=parts.name, matriculation=parts.matriculation,
                                 name_ok=True)
    if result.assignment is None and item.assignment is not None:
        result.assignment = item.assignment
    if item.superseded:
        extra["superseded"] = [{"file": old.name, **old.identity(), "modified": old.modified()}
                               for old in item.superseded]
        who = item.identity().get("matriculation") or item.identity().get("name") or "?"
        flags.append(f"{len(item.superseded) + 1} submissions of {who} for this assignment; "
                     f"the newest was graded, superseded: "
                     + ", ".join(old.name for old in item.superseded))
    result.flags = flags
    if item.entry is None:
        return result
    from .lms import apply_to_result
    data = result.to_dict()
    if item.entry.student.source != "file name":
        data["flags"] = [f for f in data["flags"] if not str(f).startswith(NAME_FLAG)]
    apply_to_result(data, item.entry, lms.policy if lms else None, lms.roster if lms else None)
    return SubmissionResult.from_dict(data)


def _failed(item, number, stamp, reason):
    """A submission the grader itself failed on: recorded as such, regraded next run."""
    result = SubmissionResult(file=item.name, assignment=number, fingerprint=stamp)
    return result.fail(reason).finish()


# ---------------------------------------------------------------- one run

class Run:
    """Everything one ``grade`` command needs while it grades."""

    def __init__(self, args, console, stop):
        self.args, self.console, self.stop = args, console, stop
        self.out_dir = Path(args.out)
        self.lms = None                # LmsOptions when grading an LMS download
        self.missing = []              # roster students with no submission
        self.results: dict[str, SubmissionResult] = {}    # item name -> its result now
        self.skipped = 0
        self.graded_now = 0
        self.pool = None               # the worker pool in use (see LocalPool)
        self.target = None             # where a Dask backend grades (cluster.Target), or None

    def write(self, item, result):
        result.fingerprint = self.stamp
        result = annotate(result, item, self.lms)
        report.write_result(result, self.out_dir)
        self.results[item.name] = result


def check_out_dir(out: Path) -> str | None:
    """Why results cannot be written under ``out`` (one line), or None."""
    if out.exists() and not out.is_dir():
        return f"-o {out}: exists and is not a folder"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"-o {out}: cannot create the folder ({error.strerror or error})"
    for name in ("results", "feedback"):
        sub = out / name
        if sub.exists() and not sub.is_dir():
            return f"-o {out}: {sub} exists and is not a folder"
    for folder in (out, out / "results", out / "feedback"):
        if not folder.is_dir():
            continue
        try:   # the real test: root passes permission checks but not a read-only mount
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".nncourse-write-test-")
            os.close(fd)
            os.unlink(probe)
        except OSError as error:
            return f"-o {out}: cannot write in {folder} ({error.strerror or error})"
    return None


def grade_all(items, run: Run, superseded=()):
    """Grade ``items`` into run.out_dir; returns the exit status."""
    args, console, out_dir = run.args, run.console, run.out_dir
    notebooks = args.templates or NOTEBOOKS
    numbers = [args.assignment] if args.assignment else available()
    run.stamp = fingerprint(numbers, notebooks)
    todo = []
    for item in items:
        old = None if args.force else previous_result(item, out_dir, run.stamp)
        if old is None:
            todo.append(item)
            continue
        run.skipped += 1
        new = annotate(SubmissionResult.from_dict(old.to_dict()), item, run.lms)
        if new.to_dict() != old.to_dict():       # roster, deadline or superseded changed
            report.write_result(new, out_dir)
        run.results[item.name] = new
    for item in superseded:    # an older copy graded by an earlier run: not a result now
        for stale in [report.result_path(out_dir, item.name),
                      *(out_dir / "feedback" / f"{report._stem(item.name)}{ext}"
                        for ext in (".html", ".md"))]:
            stale.unlink(missing_ok=True)
        console.out(f"superseded: {item.name} (not graded: {item.newer.name} is newer)")
    if run.skipped:
        console.out(f"{run.skipped} submission(s) already graded; skipping them")
    status = 0
    if todo:
        status = _grade_todo(todo, run, numbers)
        if status is not None:
            return status
    written = report.write_reports(out_dir, run.missing)
    console.out(f"gradebook: {written['gradebook']}")
    console.out(f"feedback:  {len(written['feedback'])} files in {out_dir / 'feedback'}")
    console.out("class:     " + ", ".join(map(str, written["summary"])))
    for path in written.get("skipped", []):
        console.err(f"warning: unreadable result file left out: {path}")
    return _summary(items, superseded, run)


def _grade_todo(todo, run, numbers):
    """Preflight, then grade; None when everything ran, else the exit status to return."""
    args, console = run.args, run.console
    out_dir = run.out_dir
    hide = {str(out_dir.resolve())}
    for path in args.paths:
        hide.add(str(path.resolve() if path.is_dir() else path.resolve().parent))
    options = {"numbers": [args.assignment] if args.assignment else None,
               "limits": Limits(memory_mb=args.memory_mb), "hide": sorted(hide),
               "cell_timeout": args.cell_timeout, "budget": args.budget,
               "require_sandbox": args.require_sandbox,
               "notebooks": args.templates or NOTEBOOKS}
    jobs = max(1, min(args.jobs or os.cpu_count() or 1, len(todo)))
    wanted = sorted({i.assignment for i in todo if i.assignment in numbers}) or numbers[:1]
    from tqdm.auto import tqdm
    tqdm.monitor_interval = 0    # no monitor thread: signals must reach the main thread only
    bar = None
    run.stop.polling = True      # a signal while a cluster starts: stop once it has started
    try:
        run.pool = _make_pool(run, options, jobs, numbers, len(todo))
    except Exception as error:
        run.stop.polling = False
        from .cluster import ClusterError
        if not isinstance(error, ClusterError):
            raise
        if run.stop.signum:          # interrupted while it tried: that is what counts
            return _interrupted(run, todo)
        console.err(f"error: {error}")
        return 2
    pool = run.pool
    try:
        problem = _preflight_on(pool, wanted, run.stop)
        if problem is not None and not run.stop.signum:
            pool.stop()
            console.err(f"error: preflight failed, nothing was graded: {problem}")
            console.err(f"  try: `python -m grader check NOTEBOOK -a {wanted[0]}` on one "
                        "submission to see the kernel's messages; a larger --memory-mb "
                        f"(now {args.memory_mb}); the libraries of the course's environment "
                        "(`make env`); a grader run as root for the full sandbox")
            return 1
        if not run.stop.signum:
            bar = tqdm(total=len(todo), unit="nb", desc="grading",
                       disable=args.no_progress, file=console.stderr)
            _dispatch(lambda: LocalPool(jobs, options), todo, run, bar)
    finally:
        run.stop.polling = False
        if run.stop.signum or sys.exc_info()[0] is not None:
            run.pool.stop()
        if bar is not None:
            bar.close()
    if run.stop.signum:
        return _interrupted(run, todo)
    run.pool.close()
    return None


def _make_pool(run, options, jobs, numbers, count):
    """The executor: this machine's worker pool, or a Dask cluster (``--dask``); a local one
    has no more workers than submissions, like the local pool."""
    if run.target is None:
        return LocalPool(jobs, options)
    from dataclasses import replace
    from .cluster import DaskPool
    target = replace(run.target, workers=min(run.target.workers, count)) \
        if run.target.local else run.target
    return DaskPool(target, options, numbers=numbers, stamp=run.stamp,
                    files=run.args.dask_files,
                    jobs=None if run.target.local else run.args.jobs, say=run.console.out,
                    warn=run.console.err)


def _preflight_on(pool, numbers, stop):
    """The preflight on one worker; meanwhile every other worker starts, so they load in
    parallel. The first problem, or None."""
    pending = set(pool.warm_up(numbers))
    problems = []
    while pending and not stop.signum:
        for future in pool.wait(pending, 0.1):
            pending.discard(future)
            try:
                problem = future.result()
            except pool.Broken:
                problem = "a grading worker died while starting (see its messages above)"
            if problem:
                problems.append(problem)
    return problems[0] if problems else None


def _dispatch(make_pool, todo, run, bar):
    """Grade ``todo``, most expensive first, with at most ``pool.jobs`` submissions in
    flight. A local worker that dies breaks the pool: the submissions in flight are retried
    in a fresh pool, each alone (so that when a worker dies again, the submission it was
    grading is known), and a submission whose worker died twice is recorded as a grader
    failure. (A Dask scheduler retries a lost worker's submissions itself, and the pool
    raises WorkerLost past its limit.) Returns when done or when a stop signal arrived
    (then nothing more has been written); ``run.pool`` is the pool in use."""
    pool, number = run.pool, run.args.assignment
    queue, attempts = CostQueue(todo, past_costs(run.out_dir)), {item.name: 0 for item in todo}
    running = {}
    alone = None        # the future of a retried submission, running alone
    while queue or running:
        while queue and len(running) < pool.jobs and alone is None and not run.stop.signum:
            retried = queue.retrying
            if retried and running:
                break       # it waits until the pool is idle
            item = queue.pop()
            try:
                future = pool.submit(job_grade, item.path, number, item.name)
            except pool.Broken:
                queue.retry(item)
                break
            running[future] = item
            if retried:
                alone = future
        if run.stop.signum:
            return
        broken = []
        for future in pool.wait(set(running), 0.1):
            item = running.pop(future)
            alone = None if future is alone else alone
            if run.stop.signum:
                return          # an interruption: nothing more is written
            try:
                result = future.result()
                queue.observe(item, result)
            except pool.Broken:
                broken.append(item)
                continue
            except WorkerLost as lost:
                result = _failed(item, number, run.stamp, str(lost))
            except Exception as error:   # recorded for that file; the batch goes on
                result = _failed(item, number, run.stamp, f"{type(error).__name__}: {error}")
            run.write(item, result)
            run.graded_now += 1
            bar.update()
        if broken or _is_broken(pool):
            broken += list(running.values())
            running.clear()
            alone = None
            for item in broken:
                attempts[item.name] += 1
                if attempts[item.name] >= 2:
                    run.write(item, _failed(item, number, run.stamp, LOST_TWICE))
                    bar.update()
                else:
                    queue.retry(item)
            pool.stop()
            pool = run.pool = make_pool()


def _is_broken(pool):
    return bool(getattr(getattr(pool, "executor", None), "_broken", False))


def past_costs(out_dir) -> dict:
    """Seconds that graded submissions took, per assignment, from the results already in
    ``out_dir`` (an earlier run of this class, or of an earlier class into the same folder)."""
    costs: dict = {}
    for path in (Path(out_dir) / "results").glob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("status") == Status.GRADED.value:
                costs.setdefault(data.get("assignment"), []).append(float(data["seconds"]))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            continue
    return costs


class CostQueue:
    """The submissions still to send, the most expensive assignment first, so that the last
    submissions to finish are short ones and no worker waits on a straggler at the end.

    A submission's expected cost is the mean time its assignment's submissions took, from
    earlier results (``past_costs``) and from this run's as they come back. An assignment
    with no time yet counts as the most expensive, so each is measured early; within an
    assignment, submissions go in the order given. Retried ones go first."""

    def __init__(self, items, history=None):
        self.groups: dict = {}
        for item in items:
            self.groups.setdefault(item.assignment, deque()).append(item)
        self.seconds = {key: list(times) for key, times in (history or {}).items()}
        self.retries: deque = deque()

    def __len__(self):
        return len(self.retries) + sum(map(len, self.groups.values()))

    def cost(self, assignment) -> float:
        times = self.seconds.get(assignment)
        return statistics.fmean(times) if times else math.inf

    def pop(self):
        """The next submission: a retried one, else the first of the most expensive
        assignment."""
        if self.retries:
            return self.retries.popleft()
        keys = [k for k, group in self.groups.items() if group]
        key = max(keys, key=lambda k: (self.cost(k), -(k if isinstance(k, int) else math.inf)))
        return self.groups[key].popleft()

    def retry(self, item):
        self.retries.appendleft(item)

    @property
    def retrying(self) -> bool:
        """Whether the next submission is one being tried again."""
        return bool(self.retries)

    def observe(self, item, result):
        """Learn from a result that came back (a rejection or failure says nothing about
        the cost of grading)."""
        if getattr(result, "status", None) is Status.GRADED:
            self.seconds.setdefault(item.assignment, []).append(result.seconds)


def _interrupted(run, todo):
    name = signal.Signals(run.stop.signum).name
    left = len(todo) - run.graded_now
    run.console.err(f"interrupted ({name}): {run.graded_now} submission(s) graded in this run "
                    f"and kept, {left} not graded; run the same command again to grade "
                    "the rest:")
    run.console.err(f"  {rerun_command()}")
    return 128 + run.stop.signum


def rerun_command():
    """The command line of this run, to paste (the same command grades what is left)."""
    import shlex
    argv = sys.argv[1:] if sys.argv and sys.argv[0].endswith(("__main__.py", "grader")) \
        else ["grade", "..."]
    return shlex.join(["python", "-m", "grader", *argv])


def _summary(items, superseded, run):
    """The one summary line; returns the exit status."""
    results = [run.results[i.name] for i in items if i.name in run.results]
    counts = Counter(r.status for r in results)
    flagged = sum(bool(r.flags) for r in results)
    failures = counts[Status.FAILED_GRADER]
    bits = [f"{len(items)} submission(s)", f"{counts[Status.GRADED]} graded",
            f"{counts[Status.REJECTED]} rejected (the file's fault)",
            f"{failures} grader failure(s)", f"{flagged} flagged",
            f"{run.skipped} skipped as already graded"]
    if superseded:
        bits.append(f"{len(superseded)} superseded (not graded)")
    if run.missing:
        bits.append(f"{len(run.missing)} missing (no submission)")
    means = []
    groups = {}
    for r in results:
        if r.status is Status.GRADED:
            groups.setdefault(r.assignment, []).append(r)
    for number in sorted(groups, key=lambda n: (n is None, n or 0)):
        group = groups[number]
        mean = statistics.fmean(r.total for r in group)
        means.append(f"assignment {number}: {report.fmt(mean, 2)}/"
                     f"{report.fmt(max(r.max for r in group))}")
    line = "summary: " + ", ".join(bits)
    line += "; mean score: " + ("; ".join(means) if means else "none (nothing graded)")
    run.console.out(line)
    if not counts[Status.GRADED] and counts[Status.REJECTED]:
        reason, times = Counter(r.error for r in results
                                if r.status is Status.REJECTED).most_common(1)[0]
        run.console.err(f"warning: nothing was graded; every submission was rejected, most "
                        f"often ({times}x) for: {reason}")
    if failures:
        run.console.err(f"{failures} grader failure(s): see the gradebook's error column; the "
                        "same command grades them again")
    return 1 if failures else 0


# ---------------------------------------------------------------- command line

def add_arguments(parser):
    parser.epilog = ("Ends with one summary line. Exit status: 0 every submission graded or "
                     "rejected for its own fault; 1 a grader failure (run the same command "
                     "again) or a failed preflight; 2 bad arguments, an unusable output folder "
                     "or LMS file, or no .ipynb found; 130/143 interrupted (SIGINT/SIGTERM). "
                     "A rerun grades only what has no final result.")
    parser.add_argument("paths", nargs="+", type=Path, metavar="SUBMISSION",
                        help="a submitted .ipynb file, a folder of them (searched "
                             "recursively), or an LMS download (zip or unpacked folder)")
    parser.add_argument("-a", "--assignment", type=int,
                        help="assignment number (default: inferred from each notebook)")
    parser.add_argument("-o", "--out", type=Path, default=Path("graded"),
                        help="output folder for results, gradebook, feedback (default: graded)")
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="parallel workers (default: number of cores); with a running "
                             "Dask cluster: submissions in flight (default: its worker "
                             "threads; more lets an adaptive cluster grow)")
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
    cluster = parser.add_argument_group(
        "grading on a Dask cluster (needs the optional extra: pip install 'nncourse[cluster]')")
    cluster.add_argument("--dask", metavar="WHERE",
                         help="grade on Dask workers instead of this machine's worker pool: "
                              "'local' or 'local:N' starts a local cluster of N single-threaded "
                              "worker processes (default N: -j, else the number of cores); "
                              "'tcp://HOST:8786' (any Dask address) or a scheduler file (JSON, "
                              "from `dask scheduler --scheduler-file FILE`) connects to a "
                              "running cluster, e.g. one started by dask-jobqueue on Slurm or "
                              "by the Dask Kubernetes operator")
    cluster.add_argument("--dask-config", type=Path, metavar="FILE",
                         help="a Dask configuration file (YAML) applied before the cluster "
                              "starts or is reached: TLS certificates, timeouts, "
                              "distributed.scheduler.allowed-failures, and scheduler-address "
                              "when --dask is not given")
    cluster.add_argument("--dask-files", choices=("auto", "shared", "send"), default="auto",
                         help="how submissions reach Dask workers: 'shared' sends their paths "
                              "(shared storage, mounted at the same path on every worker, "
                              "templates included), 'send' sends each file's bytes with its "
                              "task and the templates to every worker; 'auto' (default): "
                              "shared for --dask local, send otherwise. Results always come "
                              "back to this process, which writes them")
    from .lms import add_lms_arguments
    add_lms_arguments(parser)


LMS_OPTIONS = ("roster", "worksheet", "deadline", "late", "grace", "timezone")


def run(args):
    console, stop = Console(), StopSignals()
    stop.install()
    try:
        return _run(args, console, stop)
    except Interrupted as interrupted:
        console.err(f"interrupted ({signal.Signals(interrupted.signum).name}) before grading "
                    "finished; run the same command again:")
        console.err(f"  {rerun_command()}")
        return 128 + interrupted.signum
    finally:
        stop.restore()


def _run(args, console, stop):
    if args.jobs is not None and args.jobs < 1:
        console.err(f"error: -j {args.jobs}: give at least 1 worker")
        return 2
    target = None
    if getattr(args, "dask", None) or getattr(args, "dask_config", None):
        from .cluster import ClusterError, target_from_args   # imports dask: only when asked
        try:
            target = target_from_args(args.dask, args.dask_config, args.jobs)
        except ClusterError as error:
            console.err(f"error: {error}")
            return 2
    if target is not None and not target.local:
        pass   # the workers, not this machine, run the kernels: they report (preflight)
    elif not full_isolation_available():
        if args.require_sandbox:
            console.err("error: --require-sandbox: the full sandbox needs root on Linux with "
                        "namespaces")
            return 2
        console.err(PARTIAL_SANDBOX)
    if args.assignment is not None and args.assignment not in available():
        console.err(f"error: no spec for assignment {args.assignment} "
                    f"(have: {available() or 'none'})")
        return 2
    missing_paths = [p for p in args.paths if not p.exists() and not p.is_symlink()]
    if missing_paths:
        console.err(f"error: {missing_paths[0]}: no such file or folder")
        return 2
    if (problem := check_out_dir(args.out)) is not None:
        console.err(f"error: {problem}")
        return 2
    run = Run(args, console, stop)
    run.target = target
    lms_mode = any(getattr(args, o, None) for o in LMS_OPTIONS) or \
        any(is_lms_download(p) for p in args.paths)
    if lms_mode:
        from .lms import LmsError, ingest, lms_options
        try:
            run.lms = lms_options(args)
            found = ingest(list(args.paths), run.out_dir / "submissions", run.lms.roster,
                           run.lms.worksheet, run.lms.timezone)
        except LmsError as error:
            console.err(f"error: {error}")
            return 2
        for line in found.lines():
            console.out(line)
        items = from_ingest(found, args.assignment)
        run.missing = [{"name": m.name, "matriculation": m.matriculation, "email": m.email}
                       for m in found.missing]
        where = "the download"
    else:
        try:
            items, notes = find_notebooks(list(args.paths), [run.out_dir / "submissions"],
                                          args.assignment)
        except (FileNotFoundError, ValueError) as error:
            console.err(f"error: {error}")
            return 2
        for note in notes:
            console.err(note)
        where = ", ".join(str(p) for p in args.paths)
    if not items:
        console.err(f"error: no .ipynb file found in {where}; nothing to grade")
        return 2
    items, superseded = mark_superseded(items)
    return grade_all(items, run, superseded)
