"""The Dask backend of ``grade`` (``--dask``): the jobs of the local pool, on the workers of a
``dask.distributed`` cluster, behind the same executor seam (``pool.py`` describes it).

    --dask local[:N]             a LocalCluster of N single-threaded worker processes here
    --dask tcp://scheduler:8786  a running cluster (dask-jobqueue on Slurm, the Dask
                                 Kubernetes operator, ``dask scheduler`` + ``dask worker``);
                                 any Dask address, or a scheduler file (JSON)
    --dask-config FILE           Dask configuration (YAML) applied first: TLS, timeouts, and
                                 ``scheduler-address`` when --dask is not given

What runs where:

* **Workers** get a plugin (``GraderPlugin``) that keeps one warm ``Grader`` per worker
  thread, warm for every assignment of the run (one kernel factory that has imported all
  their libraries, as a worker of the local pool has), made on first use and closed when the
  worker closes. One factory per assignment was tried first: on a 2-core machine a class of
  five assignments then started ten factories, each importing torch, and graded at 0.77 of
  the local pool's rate. The preflight runs each assignment's imports cell on one worker
  (spread over the workers, so they start in parallel) after every worker has checked that
  it may grade. A task is one submission; the batch sends the most expensive assignment
  first.
* **Files**: with ``--dask-files shared`` a task carries the submission's path (shared
  storage: the same path on every worker); with ``send`` it carries the file's bytes, and
  the plugin carries the templates. Results always come back as a dict and the main process
  writes them atomically, exactly as with the local pool, so resuming, reports and the
  summary do not depend on the backend.
* **Same grading everywhere**: every worker checks that its specs and templates give the
  main process's fingerprint before it grades; a worker with another version of the course
  fails the preflight instead of grading differently.
* **Lost workers**: the scheduler runs the submissions of a worker that died again on another
  worker, up to ``distributed.scheduler.allowed-failures`` times (1 for ``local``: like the
  local pool, a submission is tried twice), then ``future.result()`` raises ``KilledWorker``,
  which becomes ``WorkerLost``: a grader failure for that submission, regraded next run.
* **Stopping** (Ctrl-C, SIGTERM): a local cluster's worker processes are ours, started with
  SIGINT ignored; each gets SIGTERM, which kills its zygotes, kernels and sandbox processes
  and exits at once (``pool._worker_stop``), and the nannies are told not to restart them.
  A remote cluster is not ours: its futures are cancelled and each worker kills only this
  run's kernels and zygotes; the workers go on.
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import os
import shutil
import signal
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .pool import (STOP_SECONDS, WorkerLost, WorkerStartError, _kill_soft, _kill_zygotes,
                   _stop_watch, _track, _worker_stop, children_ignore_signals, grade_with,
                   job_grade, job_preflight, job_ready, preflight)
from .result import SubmissionResult

INSTALL = "pip install 'nncourse[cluster]' (or: pip install 'dask[distributed]')"
SCHEMES = ("tcp://", "tls://", "ws://", "wss://", "ucx://", "inproc://")
CONNECT_SECONDS = 10.0          # to reach a scheduler, unless --dask-config sets
                                # distributed.comm.timeouts.connect
LOCAL_ALLOWED_FAILURES = 1      # a submission whose worker dies is tried once more (as locally)


class ClusterError(Exception):
    """``--dask`` cannot be used as given (one line; exit status 2)."""


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"--dask needs dask.distributed, which is not installed here: "
                           f"{INSTALL}") from None
    return distributed


# ---------------------------------------------------------------- where: --dask, --dask-config

@dataclass
class Target:
    """Where to grade: a local cluster of ``workers`` processes, or a running scheduler."""
    local: bool
    workers: int = 1
    address: str | None = None          # a scheduler's address (tcp://...)
    scheduler_file: str | None = None   # or a scheduler file naming it

    def __str__(self) -> str:
        if self.local:
            return f"a local Dask cluster of {self.workers} worker(s)"
        return f"the Dask scheduler at {self.address or self.scheduler_file}"


def target_from_args(dask: str | None, config: Path | None, jobs: int | None) -> Target | None:
    """The ``--dask`` / ``--dask-config`` / ``-j`` arguments as a Target (None: no Dask);
    raises ClusterError with a one-line reason."""
    if dask is None and config is None:
        return None
    _distributed()
    if config is not None:
        dask = dask or _load_config(config)
    if dask is None:
        raise ClusterError(f"--dask-config {config}: names no scheduler-address; give one "
                           "there, or --dask local or --dask tcp://HOST:8786")
    value = dask.strip()
    if value == "local" or value.startswith("local:"):
        count = value.partition(":")[2]
        if count and (not count.isdigit() or int(count) < 1):
            raise ClusterError(f"--dask {dask}: give a number of workers of at least 1, as in "
                               "--dask local:4")
        workers = int(count) if count else (jobs or os.cpu_count() or 1)
        if count and jobs is not None and jobs != workers:
            raise ClusterError(f"--dask {dask} and -j {jobs} disagree: give the number of "
                               "workers once")
        return Target(local=True, workers=workers)
    if value.startswith(SCHEMES):
        return Target(local=False, address=value)
    if Path(value).is_file():
        return Target(local=False, scheduler_file=value)
    raise ClusterError(f"--dask {dask}: expected local, local:N, a scheduler address such as "
                       "tcp://scheduler:8786, or a scheduler file (written by `dask scheduler "
                       "--scheduler-file FILE`)")


def _load_config(path: Path) -> str | None:
    """Merge a Dask configuration file into this process's Dask configuration (and so into
    a local cluster's workers); its scheduler address, if it names one."""
    import dask.config
    import yaml
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ClusterError(f"--dask-config {path}: cannot read it ({error})") from None
    except yaml.YAMLError as error:
        raise ClusterError(f"--dask-config {path}: not YAML ({str(error).splitlines()[0]})") \
            from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ClusterError(f"--dask-config {path}: expected a mapping of Dask settings")
    dask.config.update(dask.config.config, dask.config.expand_environment_variables(data),
                       priority="new")
    global _connect_timeout
    fresh: dict = {}
    dask.config.update(fresh, data)
    if dask.config.get("distributed.comm.timeouts.connect", default=None, config=fresh):
        _connect_timeout = dask.config.get("distributed.comm.timeouts.connect")
    address = dask.config.get("scheduler-address", default=None)
    return str(address) if address else None


_connect_timeout: float | str = CONNECT_SECONDS


# ---------------------------------------------------------------- the pool (main process)

class _NeverRaised(Exception):
    """A Dask pool never breaks as a whole: the scheduler replaces lost workers' tasks."""


class _Task:
    """A Dask future as the batch sees it: ``done()``, and ``result()`` with the local pool's
    types (a SubmissionResult, or a problem line) and its WorkerLost."""

    def __init__(self, future, convert, value=None):
        self.future, self.convert, self.value = future, convert, value

    def done(self) -> bool:
        return self.future is None or self.future.done()

    def result(self):
        if self.future is None:          # settled here, without a worker
            return self.value
        from distributed.scheduler import KilledWorker
        try:
            value = self.future.result()
        except KilledWorker as error:
            tries = getattr(error, "allowed_failures", LOCAL_ALLOWED_FAILURES) + 1
            raise WorkerLost(f"a grading worker died {_times(tries)} while grading it") \
                from None
        return self.convert(value)


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


class DaskPool:
    """Grading jobs on the workers of a Dask cluster (the seam of ``pool.py``)."""

    Broken = _NeverRaised

    def __init__(self, target: Target, options: dict, *, numbers: list[int], stamp: str,
                 files: str = "auto", jobs: int | None = None, say=print, warn=print):
        distributed = _distributed()
        import dask.config
        self.target, self.say, self.warn, self.cap = target, say, warn, jobs
        self.cluster = None
        self.known: set[str] = set()    # the workers seen at the last count
        self.name = f"nncourse-grader-{uuid.uuid4().hex[:12]}"
        self.warnings: set[str] = set()
        self._threads, self._counted = 0, 0.0
        self.futures: list = []         # what was submitted and may still run
        # distributed logs at INFO to stderr, and a comm that closes while the run stops
        # (Ctrl-C, a worker killed on purpose) is logged there with a traceback. The level
        # is set on the logger: the clusters' silence_logs sets only the handlers' levels
        # and puts them back when the cluster closes, while a write may still be failing
        _quiet_distributed(logging.CRITICAL if target.local else logging.WARNING)
        if target.local:
            # the nannies start (and restart) the worker processes from threads started
            # here: those keep SIGINT and SIGTERM blocked, and the first workers start with
            # them ignored, so a Ctrl-C to the process group reaches the main process only
            with children_ignore_signals(), dask.config.set({
                    "distributed.scheduler.allowed-failures": LOCAL_ALLOWED_FAILURES}):
                try:
                    self.cluster = distributed.LocalCluster(
                        n_workers=target.workers, threads_per_worker=1, processes=True,
                        memory_limit=0,            # kernels have their own limits
                        # what the scheduler logs of lost workers is said here in one line
                        dashboard_address=":0", silence_logs=logging.CRITICAL)
                except Exception as error:   # no free port, no process could start, ...
                    raise ClusterError(f"--dask local:{target.workers}: the local Dask "
                                       f"cluster did not start ({_one_line(error)})") from None
                self.client = distributed.Client(self.cluster, set_as_default=False)
        else:
            try:
                self.client = distributed.Client(
                    target.address, scheduler_file=target.scheduler_file,
                    timeout=_connect_timeout, set_as_default=False)
            except Exception as error:    # OSError, TimeoutError, a bad scheduler file
                raise ClusterError(f"cannot reach the Dask scheduler at "
                                   f"{target.address or target.scheduler_file} "
                                   f"({_one_line(error)}): is it running, and is the address "
                                   "right?") from None
        send = files == "send" or (files == "auto" and not target.local)
        notebooks = Path(options["notebooks"]).absolute()
        options = dict(options, notebooks=str(notebooks))
        templates = _read_templates(notebooks, numbers) if send else None
        self.send = send
        self.client.register_plugin(GraderPlugin(
            self.name, options, numbers=numbers, stamp=stamp, templates=templates,
            stop_on_sigterm=target.local))
        self.say(self.describe())

    # ------------------------------------------------------------- what the batch uses

    @property
    def jobs(self) -> int:
        """Submissions in flight: one per worker thread (counted again every second, as
        workers come and go), or ``-j``. Not more by default: the scheduler counts every
        submission held by a worker that dies against its retry limit, also one that was
        only waiting there, and a submission waiting here can still go to the best worker."""
        if time.monotonic() - self._counted > 1.0:
            with contextlib.suppress(Exception):
                workers = self.client.nthreads()
                self._threads = sum(workers.values())
                for address in sorted(self.known - set(workers)):
                    self.warn(f"dask: worker {address} left the cluster; the submissions it "
                              "was grading are tried again on other workers")
                self.known = set(workers)
            self._counted = time.monotonic()
        return self.cap or max(1, self._threads)

    def describe(self) -> str:
        workers = self.client.nthreads()
        self.known = set(workers)
        where = "local cluster" if self.target.local else \
            (self.target.address or self.client.scheduler.address)
        line = f"dask: {len(workers)} worker(s), {sum(workers.values())} thread(s) at {where}; " \
               f"submissions travel as {'bytes' if self.send else 'paths (shared storage)'}"
        link = self._dashboard()
        if link:
            line += f"; dashboard: {link}"
        if not workers:
            line += "; waiting for workers to join"
        return line

    def _dashboard(self) -> str | None:
        try:
            services = self.client.scheduler_info(n_workers=0).get("services", {})
            return self.client.dashboard_link if "dashboard" in services else None
        except Exception:   # noqa: BLE001 (the link is a courtesy)
            return None

    def warm_up(self, numbers):
        """The preflight, spread over the workers: each assignment's imports cell runs on one
        worker (round robin), whose Grader is made then, so that they start in parallel;
        each worker checks that it may grade. Other workers make their Grader on first use.
        With no worker yet (an adaptive cluster), one task does it all on the first worker
        that comes."""
        # one task per worker, each with its share: the scheduler gives each to a free
        # worker (no restrictions: a task restricted to a worker that dies while no other
        # is running would wait for it for ever)
        checked = self.client.run(dask_check, self.name)   # every worker there is now
        problems = [_Task(None, None, f"on dask worker {address}: the grading worker could "
                                      f"not start: {problem}")
                    for address, problem in sorted(checked.items()) if problem]
        if problems:
            return problems[:1]
        count = max(1, len(checked))
        shares = [list(numbers)[index::count] for index in range(count)]
        futures = [self.client.submit(dask_ready, self.name, share, pure=False)
                   for share in shares]
        self.futures += futures
        return [_Task(future, self._ready) for future in futures]

    def _ready(self, info: dict):
        for warning in info.get("warnings", []):
            if warning not in self.warnings:
                self.warnings.add(warning)
                self.warn(f"warning: dask worker {info.get('worker')} (and any other like "
                          f"it): {warning}")
        return info.get("problem")

    def submit(self, fn, *args):
        if fn is job_grade:
            path, number, name = args
            payload: dict[str, Any] = {"path": str(Path(path).absolute()),
                                       "basename": Path(path).name}
            if self.send:
                from .submission import SubmissionError, read_bytes
                try:
                    payload["data"] = read_bytes(path)
                except Exception as error:    # noqa: BLE001 (what grading would record)
                    return _Task(None, None, _unreadable(name, number, error, SubmissionError))
            future = self.client.submit(dask_grade, self.name, payload, number, name,
                                        pure=False)
            self.futures = [f for f in self.futures if not f.done()] + [future]
            return _Task(future, self._graded)
        if fn in (job_preflight, job_ready):
            raise TypeError("use warm_up() to start the workers of a Dask pool")
        raise TypeError(f"not a grading job: {fn!r}")

    def _graded(self, reply: dict) -> SubmissionResult:
        return SubmissionResult.from_dict(reply["result"])

    @staticmethod
    def wait(futures, timeout):
        # polled: a future's state is kept current by the client's own thread, and a short
        # sleep here lets a signal reach the main thread at once
        deadline = time.monotonic() + timeout
        while True:
            done = {task for task in futures if task.done()}
            if done or time.monotonic() >= deadline:
                return done
            time.sleep(0.01)

    def stop(self):
        """Now: this run's kernels, zygotes (and, on a local cluster, workers) are killed;
        nothing more comes back."""
        _quiet_distributed(logging.CRITICAL)   # what breaks now was broken on purpose
        if self.cluster is not None:
            self._stop_local()
        else:
            with contextlib.suppress(Exception):
                self.client.run(dask_stop, self.name, wait=False)
            with contextlib.suppress(Exception):
                self.client.cancel([f for f in self.futures if not f.done()], force=True)
            # the workers drop this run's plugin (and close its Graders); not waited for
            # longer than a second: a worker that does not answer must not hold up the stop
            unregister = threading.Thread(target=self._unregister, daemon=True)
            unregister.start()
            unregister.join(1.0)
        self._close(timeout=1)

    def _unregister(self):
        with contextlib.suppress(Exception):
            self.client.unregister_worker_plugin(self.name)

    def _stop_local(self):
        nannies = list(self.cluster.workers.values())
        for nanny in nannies:     # a worker that exits now is not restarted
            with contextlib.suppress(Exception):
                nanny.close_gracefully(reason="nncourse-stop")
        pids = [pid for nanny in nannies if (pid := getattr(nanny, "pid", None))]
        for pid in pids:
            _kill_soft(pid)
        deadline = time.monotonic() + STOP_SECONDS
        while any(map(_alive, pids)) and time.monotonic() < deadline:
            time.sleep(0.01)
        for pid in filter(_alive, pids):    # stuck: its zygotes die when their stdin closes
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def close(self):
        """The normal end: the workers close this run's Graders (a remote cluster's workers
        go on), and a local cluster is shut down."""
        if self.cluster is None:
            self._unregister()
        self._close(timeout=10)

    def _close(self, timeout):
        with contextlib.suppress(Exception):
            self.client.close(timeout=timeout)
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close(timeout=timeout)


def _quiet_distributed(level: int) -> None:
    logger = logging.getLogger("distributed")
    logger.setLevel(max(level, logger.getEffectiveLevel()))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _read_templates(folder: Path, numbers) -> dict[str, bytes]:
    """The template notebooks the fingerprint covers, to send to workers."""
    return {path.name: path.read_bytes() for number in numbers
            for path in sorted(folder.glob(f"Assignment_{number}_*.ipynb"))}


def _unreadable(name, number, error, rejection) -> SubmissionResult:
    """What grading records for a file this process could not read to send: the same as a
    worker records for it (``Grader.grade`` rejects it before anything else, and its hash is
    unknown)."""
    result = SubmissionResult(file=name, assignment=number)
    if isinstance(error, rejection):
        result.reject(str(error))
    else:
        result.fail(f"{type(error).__name__}: {error}")
    return result.finish()


# ---------------------------------------------------------------- on the workers

def _plugin_base():
    try:
        from distributed.diagnostics.plugin import WorkerPlugin
    except ImportError:       # the main process without dask: the class is never used
        return object
    return WorkerPlugin


class GraderPlugin(_plugin_base()):
    """A worker's graders for one run of ``grade``: one warm Grader per worker thread (a
    Grader grades one submission at a time), warm for every assignment of the run, made on
    first use, closed with the worker or when the run unregisters the plugin."""

    idempotent = False

    def __init__(self, name: str, options: dict, *, numbers: list[int], stamp: str,
                 templates: dict[str, bytes] | None, stop_on_sigterm: bool):
        self.name, self.options, self.numbers, self.stamp = name, options, numbers, stamp
        self.templates, self.stop_on_sigterm = templates, stop_on_sigterm

    def setup(self, worker):
        self.address = worker.address
        self.graders: dict[int, Any] = {}      # worker thread -> its Grader
        self.error: str | None = None
        self.lock = threading.Lock()
        self.stopped = False
        self.slots = itertools.count()
        self.specs = None
        if self.stop_on_sigterm:
            _stop_on_sigterm()
        self.folder = Path(worker.local_directory) / self.name
        self.inbox = self.folder / "inbox"
        self.inbox.mkdir(parents=True, exist_ok=True, mode=0o700)
        options = dict(self.options)
        options["hide"] = sorted({*options.get("hide", ()), str(self.folder.resolve())})
        if self.templates is not None:
            notebooks = self.folder / "templates"
            notebooks.mkdir(exist_ok=True)
            for file, data in self.templates.items():
                (notebooks / file).write_bytes(data)
            options["notebooks"] = str(notebooks)
        options.pop("numbers", None)
        self.grader_options = options
        self.problem = self._check()

    def _check(self) -> str | None:
        """Why this worker must not grade for this run (one line), or None."""
        from .specs import available, fingerprint
        missing = [n for n in self.numbers if n not in available()]
        if missing:
            return (f"no spec for assignment {', '.join(map(str, missing))} on this worker: "
                    "install the same version of the course on every worker")
        notebooks = Path(self.grader_options["notebooks"])
        if not notebooks.is_dir():
            return (f"no template folder {notebooks} on this worker: put it on shared storage "
                    "or use --dask-files send")
        here = fingerprint(self.numbers, notebooks)
        if here != self.stamp:
            return (f"this worker's specs or templates differ from the grading machine's "
                    f"(fingerprint {here}, expected {self.stamp}): install the same version of "
                    "the course on every worker")
        return None

    def teardown(self, worker):
        self.stopped = True
        with self.lock:
            graders, self.graders = list(self.graders.values()), {}
        for grader in graders:
            with contextlib.suppress(Exception):
                grader.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def grader(self):
        """This thread's Grader (for every assignment of the run), made on first use."""
        if self.stopped:
            raise WorkerStartError("this grading run was stopped")
        if self.problem:
            raise WorkerStartError(f"the grading worker could not start: {self.problem}")
        if self.error:
            raise WorkerStartError(f"the grading worker could not start: {self.error}")
        key = threading.get_ident()
        with self.lock:
            grader = self.graders.get(key)
            if grader is not None:
                return grader
            if self.specs is None:
                from .specs import load_spec
                self.specs = {n: load_spec(n) for n in self.numbers}
            # slots count from 0 as in the local pool: each Grader claims the first free
            # sandbox uid from there, so a uid whose worker was killed is soon claimed again,
            # and what the killed worker's kernel left running is swept then
            slot = next(self.slots)
        from .grade import Grader
        try:
            grader = Grader(specs=self.specs, slot=slot, **self.grader_options)
        except Exception as error:
            self.error = f"{type(error).__name__}: {error}"
            raise WorkerStartError(f"the grading worker could not start: {self.error}") \
                from None
        _track(grader.zygote)
        with self.lock:
            if self.stopped:
                grader.close()
                raise WorkerStartError("this grading run was stopped")
            self.graders[key] = grader
        return grader

    @contextlib.contextmanager
    def staged(self, payload: dict):
        """The submission as a file: its own path (shared storage), or its bytes written under
        the same name into a private folder, removed afterwards."""
        if "data" not in payload:
            yield payload["path"]
            return
        folder = self.inbox / uuid.uuid4().hex
        folder.mkdir(mode=0o700)
        try:
            path = folder / payload["basename"]
            path.write_bytes(payload["data"])
            yield str(path)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _stop_on_sigterm():
    """On a worker of a local cluster (ours): SIGINT ignored, SIGTERM kills this worker's
    zygotes, kernels and sandbox processes and exits at once, as in the local pool. The
    worker process started with both blocked in every thread, so a thread that waits for
    SIGTERM gets it wherever it was sent; the handler is there for a signal that reaches a
    thread that unblocked it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stop)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    threading.Thread(target=_stop_watch, name="nncourse-stop", daemon=True).start()


def _plugin(name: str) -> GraderPlugin:
    from distributed import get_worker
    return get_worker().plugins[name]


def dask_check(name: str, dask_worker=None) -> str | None:
    """Run on every worker (in its event loop: quick): why it must not grade, or None."""
    plugin = dask_worker.plugins.get(name)
    return plugin.problem if plugin is not None else "this run's plugin did not reach it"


def dask_ready(name: str, numbers: list[int]) -> dict:
    """Task: whether this worker may grade; then make its Grader and run the preflight of
    each assignment in ``numbers``. ``{"problem", "warnings"}``."""
    plugin = _plugin(name)
    info: dict[str, Any] = {"problem": None, "warnings": []}
    where = f"on dask worker {plugin.address}: "
    if plugin.problem:
        info["problem"] = f"{where}the grading worker could not start: {plugin.problem}"
        return info
    if not numbers:         # a worker beyond the assignments' count makes its Grader later
        return info
    try:
        grader = plugin.grader()
    except WorkerStartError as error:
        info["problem"] = where + str(error)
        return info
    if not grader.zygote.isolate:
        info["warnings"].append("no full sandbox (needs root on Linux with namespaces): "
                                "kernels run with resource limits only")
    if grader.zygote.seccomp_missing:
        info["warnings"].append(f"kernels run without their seccomp filter "
                                f"({grader.zygote.seccomp_missing})")
    for number in numbers:
        problem = preflight(grader, number)
        if problem:
            info["problem"] = f"{where}assignment {number}: {problem}"
            return info
    return info


def dask_grade(name: str, payload: dict, number: int | None, file: str) -> dict:
    """Task: grade one submission on this worker: ``{"result": its result as a dict}``."""
    plugin = _plugin(name)
    with plugin.staged(payload) as path:
        result = grade_with(plugin.grader(), path, number, file).to_dict()
    return {"result": result}


async def dask_stop(name: str, dask_worker=None) -> None:
    """Run on every worker of a remote cluster when the run stops (in its event loop, not
    waited for): kill this run's kernels and zygotes now (the grading threads then fail,
    and their results are dropped); the worker itself goes on."""
    plugin = dask_worker.plugins.get(name)
    if plugin is None:
        return
    plugin.stopped = True
    with plugin.lock:
        zygotes = [grader.zygote for grader in plugin.graders.values()]
    _kill_zygotes(zygotes, children=False)



