"""The worker pool that grades submissions, and what runs in its workers.

This is the executor seam of ``grade`` (``batch.py``): the batch uses a pool only through

    pool = LocalPool(jobs, options)    # workers start on demand, each with a warm Grader
    pool.jobs                          # how many submissions may be in flight now (read
                                       # again before each submit: a cluster may grow)
    futures = pool.warm_up(numbers)    # start every worker and run the preflight; each
                                       # future gives a problem (one line) or None
    future = pool.submit(fn, *args)    # fn: one of the jobs below, by reference
    done = pool.wait(futures, timeout) # the futures that are done (concurrent.futures-like:
                                       # future.result() returns or raises)
    pool.stop()                        # now: workers and their kernels killed, nothing written
    pool.close()                       # normal end
    pool.Broken                        # what future.result() raises when a worker died (the
                                       # batch retries its submissions in flight in a new pool)

``future.result()`` may also raise :class:`WorkerLost`: the submission's worker died more
often than the backend retries it (the batch records a grader failure, with the message).

Jobs (module-level functions, so a worker finds them by name):

    job_ready() -> problem | None              the worker has started (or why it has not)
    job_preflight(numbers) -> problem | None   each assignment's imports cell in a fresh
                                               sandboxed kernel
    job_grade(path, number, name) -> SubmissionResult

A worker is made by ``init_worker(counter, options)``: ``options`` are ``Grader``'s
keyword arguments, ``counter`` numbers the workers (their sandbox slots). Workers never write
results; the batch does, as each comes back. The other backend, ``cluster.DaskPool``
(``--dask``), implements the same names on ``dask.distributed``: a worker plugin holds one
warm Grader per worker thread, and the scheduler, not the batch, retries the submissions of a
worker that died.

Signals: workers start with SIGINT and SIGTERM ignored (``children_ignore_signals``), so a
Ctrl-C to the process group never prints a traceback in a worker or its zygote; the main
process decides, and stops a worker with SIGTERM, which kills the worker's zygote, kernels
and sandbox processes and exits at once (``_worker_stop``).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

from .result import Status

SIGNALS = (signal.SIGINT, signal.SIGTERM)
PREFLIGHT_SECONDS = 60.0      # a kernel start and an imports cell; generous under load
STOP_SECONDS = 1.5            # how long a stopping worker may take before it is killed


@contextmanager
def children_ignore_signals():
    """Start processes with SIGINT and SIGTERM ignored, without losing one meant for us.

    A spawned worker inherits ignored signals across exec, so Python never installs its
    KeyboardInterrupt handler there (a Ctrl-C while it imports would print a traceback). The
    signals are blocked meanwhile: Linux keeps a blocked signal pending even while it is
    ignored, and it reaches our handler when the mask is restored. Threads started here (the
    pool's) keep them blocked, so a signal always goes to the main thread."""
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    old = {s: signal.signal(s, signal.SIG_IGN) for s in SIGNALS}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


# ---------------------------------------------------------------- worker process

_worker = None          # this worker's Grader
_worker_error = None    # why it could not be made
_zygotes: list = []               # this process's kernel factories (one per Grader)
_kernels: set[int] = set()        # kernel pids they forked (each leads a process group)
_socket_dirs: set[Path] = set()   # their socket folders (tmpfs mounts under the sandbox)


class WorkerLost(RuntimeError):
    """The worker grading a submission died, and went on dying when the submission was tried
    again, up to the backend's limit: the batch records a grader failure (the message says
    how often), and the next run grades the submission again."""


LOST_TWICE = "a grading worker died twice while grading it"


def init_worker(counter, options):
    """Make this worker's Grader. The worker starts with SIGINT and SIGTERM ignored and
    blocked (``children_ignore_signals``). SIGINT stays ignored: the main process decides,
    and the zygote inherits it (a Ctrl-C to the process group must not print tracebacks
    there). SIGTERM, by which the main process stops us, goes to a thread of its own that
    waits for it: a Python handler would only run once the main thread returns to Python,
    and an idle worker sits in a blocking read of its job queue."""
    global _worker, _worker_error
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stop)
    threading.Thread(target=_stop_watch, name="nncourse-stop", daemon=True).start()
    # while the zygote starts, SIGTERM goes to the handler (no other thread is running that
    # could take it, and the zygote must not inherit it blocked: its kernels would too)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
    with counter.get_lock():
        slot = counter.value
        counter.value += 1
    try:
        from .grade import Grader
        _worker = Grader(slot=slot, **options)
    except Exception as error:   # reported by the preflight, and for each job it gets
        _worker_error = f"{type(error).__name__}: {error}"
    else:
        _track(_worker.zygote)
    # from here on only the stop thread takes SIGTERM (threads started later, such as zmq's,
    # inherit the block)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})


def _stop_watch():
    signal.sigwait({signal.SIGTERM})
    _worker_stop(signal.SIGTERM, None)


def _track(zygote):
    """Remember the kernels and socket folders of ``zygote``, to clean up after a SIGTERM
    that arrives in the middle of a submission."""
    _zygotes.append(zygote)
    spawn, sweep = zygote.spawn, zygote.sweep
    socket_dir, remove = zygote.socket_dir, zygote.remove_socket_dir

    def tracked_spawn(connection_file):
        pid = spawn(connection_file)
        _kernels.add(pid)
        return pid

    def tracked_sweep(pid=None):
        sweep(pid)
        _kernels.discard(pid)       # killed: its pid may be reused by anyone now

    def tracked_socket_dir():
        path = socket_dir()
        _socket_dirs.add(path)
        return path

    def tracked_remove(path):
        remove(path)
        _socket_dirs.discard(Path(path))

    def tracked_close():
        # a closed zygote's uid may soon be another grader's: not ours to sweep any more
        if zygote in _zygotes:
            _zygotes.remove(zygote)
        close()

    close = zygote.close
    zygote.spawn, zygote.sweep, zygote.close = tracked_spawn, tracked_sweep, tracked_close
    zygote.socket_dir, zygote.remove_socket_dir = tracked_socket_dir, tracked_remove


def _parent(pid):
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _children():
    """Our child processes: the zygote (also while it is still starting)."""
    me = os.getpid()
    return [int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit()
            and _parent(e.name) == me] if Path("/proc").is_dir() else []


def _worker_stop(signum, frame):
    """SIGTERM in a worker: kill the zygotes, the kernels and the sandbox users' processes,
    remove the kernels' socket folders, and exit at once. Nothing of the submission in
    progress is returned, so nothing of it is written."""
    try:
        from .sandbox import Zygote
        _kill_zygotes(list(_zygotes), children=True)
        for path in list(_socket_dirs):
            Zygote.remove_socket_dir(path)
    finally:
        os._exit(0)


def _kill_zygotes(zygotes, children):
    """SIGKILL the kernels of ``zygotes`` (each leads a process group of its own; killed while
    its parent is still a zygote, so that a pid reused by someone else is never touched), the
    zygotes, every other child of this process when ``children`` (a zygote still starting),
    and every process of their sandbox users."""
    factories = {z.process.pid for z in zygotes}
    for pid in list(_kernels):
        if _parent(pid) in factories:
            _kill(os.killpg, pid)
    pids = set(_children()) if children else set()
    pids |= {z.process.pid for z in zygotes if z.process.poll() is None}
    for pid in pids:
        _kill(os.kill, pid)
    uids = {z.uid for z in zygotes if z.isolate}
    deadline = time.monotonic() + 1.0
    while uids and sum(_kill_uid(uid) for uid in uids) and time.monotonic() < deadline:
        time.sleep(0.01)


def _kill_uid(uid):
    """SIGKILL every live process of ``uid``; how many there were. Unlike the sandbox's own
    sweep this does not wait for the dead to be reaped: that is init's job, and init may
    take a second (it does in some VMs), more than a stopping batch can wait."""
    found = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("Uid", "").split()[:1] == [str(uid)] and \
                not fields.get("State", "").strip().startswith(("Z", "X")):
            found += 1
            _kill(os.kill, int(entry.name))
    return found


def _kill(send, pid):
    try:
        send(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class WorkerStartError(RuntimeError):
    """The worker's Grader could not be made (its zygote did not start, a template is
    broken, ...)."""


def job_ready():
    """A job that only makes sure a worker has started; its problem, if any."""
    return _worker_error and f"a grading worker could not start: {_worker_error}"


def job_preflight(numbers):
    """Run each assignment's imports cell in a fresh sandboxed kernel; the first problem as
    one line, or None."""
    if _worker_error:
        return f"a grading worker could not start: {_worker_error}"
    for number in numbers:
        problem = preflight(_worker, number)
        if problem:
            return f"assignment {number}: {problem}"
    return None


def preflight(grader, number):
    """Assignment ``number``'s imports cell in a fresh kernel of ``grader``'s zygote: the
    problem as one line, or None."""
    try:
        return asyncio.run(_preflight_kernel(grader.zygote, grader.templates[number][0]))
    except Exception as error:   # a kernel that does not start raises RuntimeError
        return f"a sandboxed kernel did not start: {_first_cause(error)}"


def _first_cause(error):
    """The exception that started it all, as one line: a kernel that dies while starting
    raises RuntimeError (with the kernel's last words), and cleaning up after it may raise
    another one on top that says nothing about why."""
    chain = [error]
    while (cause := chain[-1].__cause__ or chain[-1].__context__) is not None \
            and cause not in chain and len(chain) < 10:
        chain.append(cause)
    first = next((e for e in reversed(chain) if isinstance(e, RuntimeError)), chain[-1])
    text = f"{type(first).__name__}: {first}"
    if first is not error:
        text += f" (then, while cleaning up: {type(error).__name__}: {error})"
    return text


async def _preflight_kernel(zygote, imports):
    from .runner import KernelSession
    session, step = KernelSession(zygote), ("preflight", "cell")
    request = json.dumps({"task": "preflight", "seed": 0, "imports": imports,
                          "cell_file": "<preflight>", "source": "_ = 1 + 1"})
    try:
        run = await session.call("run_cell", request, steps=[(step, PREFLIGHT_SECONDS)],
                                 deadline=time.monotonic() + PREFLIGHT_SECONDS)
    finally:
        await session.stop()
    found = run.reports.get(step)
    if found is None:
        what = {Status.TIMEOUT: f"did not answer within {PREFLIGHT_SECONDS:g} s",
                Status.CRASHED: "died"}.get(run.status, f"ended ({run.status})")
        return f"a sandboxed kernel {what} while running a trivial cell"
    for part, label in (("imports", "the assignment's imports cell"), ("cell", "a trivial cell")):
        report_ = found.get(part) or {}
        if not report_.get("ok"):
            error = report_.get("error") or {}
            return (f"{label} failed in a sandboxed kernel: {error.get('type', 'error')}: "
                    f"{error.get('message', '')}")
    return None


def job_grade(path, number, name):
    if _worker_error:
        raise WorkerStartError(f"the grading worker could not start: {_worker_error}")
    return grade_with(_worker, path, number, name)


def grade_with(grader, path, number, name):
    """``grader``'s result for the submission at ``path``, recorded as ``name``."""
    digest = file_hash(path)
    result = grader.grade(path, number, file=name)
    if result.sha256 is None:   # rejected before grading hashed it (not JSON, ...): record
        result.sha256 = digest  # it anyway, so the next run skips it like any final result
    return result


# ---------------------------------------------------------------- the pool (executor seam)

class LocalPool:
    """Grading jobs on spawned worker processes of this machine (the module docstring
    describes the interface another backend implements)."""

    Broken = BrokenProcessPool

    def __init__(self, jobs, options):
        context = multiprocessing.get_context("spawn")
        self.jobs = jobs
        self.executor = ProcessPoolExecutor(jobs, mp_context=context,
                                            initializer=init_worker,
                                            initargs=(context.Value("i", 0), options))

    def submit(self, fn, *args):
        # submit starts a worker when none is idle: it must start with the signals ignored
        with children_ignore_signals():
            return self.executor.submit(fn, *args)

    def warm_up(self, numbers):
        """The preflight on one worker; meanwhile every other worker starts (each submit
        starts one while none is idle), so they load in parallel."""
        return [self.submit(job_preflight, numbers),
                *(self.submit(job_ready) for _ in range(self.jobs - 1))]

    @staticmethod
    def wait(futures, timeout):
        return wait(futures, timeout=timeout, return_when=FIRST_COMPLETED).done

    def stop(self):
        processes = list((self.executor._processes or {}).values())
        for process in processes:
            _kill_soft(process.pid)
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in processes:
            if process.is_alive():    # stuck: its zygote dies when its stdin closes
                process.kill()
                process.join(1.0)
        self.executor.shutdown(wait=False, cancel_futures=True)

    def close(self):
        self.executor.shutdown(wait=True)


def _kill_soft(pid):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


def file_hash(path):
    """The submission's SHA-256 as grading records it; None for what grading cannot read
    (a link, a pipe: opened without waiting for a writer)."""
    from .submission import SubmissionError, read_bytes
    try:
        return hashlib.sha256(read_bytes(path)).hexdigest()
    except (SubmissionError, OSError):
        return None
