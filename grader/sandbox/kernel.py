"""The zygote process and the kernels it forks (``python -m grader.sandbox``)."""
import faulthandler
import json
import os
import signal
import sys
import traceback
import warnings

from . import mounts, syscalls
from .env import sandbox_env
from .limits import apply_rlimits

PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG = 38, 1
START_LOG = "start.log"   # in the kernel's socket folder: what it said before it died
LOG_FD = 3
_SYSCALL_FILTER = None     # built once by the zygote, loaded by each kernel


def _drop_privileges(uid):
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def become_kernel(request: dict) -> None:
    """In the forked child: lock down, then serve as an ipykernel until told to stop.

    Until it serves, its stderr, and the traceback of whatever stops it, go to a small log in
    its socket folder (a private tmpfs), which the grader shows when a kernel dies before it
    answers; afterwards, what the student's code writes to stderr goes to the notebook only.
    """
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    # and none blocked: the zygote inherits its grader thread's mask, which a Dask worker
    # (where the thread was started with SIGINT and SIGTERM blocked) does not choose; a
    # student's cell must see the same signals whichever backend runs it
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    # die with the zygote (which exits with its grader): without a sandbox uid there is no
    # sweep to catch a kernel whose grader was killed
    mounts.check(mounts._libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    if os.getppid() == 1:
        os._exit(1)
    os.setsid()
    _output_to_start_log(os.path.dirname(request["connection_file"]))
    try:
        workdir = _lock_down(request)
        _serve(request, workdir)
    except SystemExit as stop:   # ipykernel gives up this way after saying why on stderr
        _last_words(f"(the kernel exited with status {stop.code})\n")
    except BaseException:
        _last_words(traceback.format_exc())


def _output_to_start_log(socket_dir: str) -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        log = os.open(os.path.join(socket_dir, START_LOG),
                      os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError:
        log = devnull
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.dup2(log, 2)
    os.dup2(log, LOG_FD, inheritable=False)  # kept for the last words once ipykernel owns 2
    os.closerange(LOG_FD + 1, 65536)  # no handle to the zygote's pipes or anything else
    faulthandler.enable(LOG_FD)       # a crash in C while starting says where, too


def _last_words(text: str) -> None:
    try:
        sys.stderr.flush()
        os.write(LOG_FD, text.encode(errors="replace")[-8192:])
    except (OSError, ValueError):
        pass


def _lock_down(request: dict) -> str:
    """Cgroup, namespaces and mounts, limits, then the sandbox uid; returns the work folder."""
    uid, limits = request["uid"], request["limits"]
    if request.get("cgroup"):   # still root here; children of the kernel inherit the group
        with open(os.path.join(request["cgroup"], "cgroup.procs"), "w") as handle:
            handle.write(str(os.getpid()))
    if request["isolate"]:
        workdir = mounts.isolate(request["hide"], request.get("secrets", []),
                                 os.path.dirname(request["connection_file"]), limits, uid)
    else:  # inside the kernel's socket folder, which the grader removes afterwards
        workdir = os.path.join(os.path.dirname(request["connection_file"]), "work")
        os.makedirs(workdir)
    mounts.check(mounts._libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl")
    apply_rlimits(limits)
    if request["isolate"]:
        _drop_privileges(uid)
    if _SYSCALL_FILTER is not None:   # last: nothing after this needs a refused call
        _SYSCALL_FILTER.load()
    return workdir


def _serve(request: dict, workdir: str) -> None:
    os.chdir(workdir)
    os.environ.clear()
    os.environ.update(sandbox_env(workdir))
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    from ipykernel.kernelapp import IPKernelApp

    from grader import kernel_runtime
    sys.modules["_nncourse_rt"] = kernel_runtime
    app = IPKernelApp.instance()
    app.initialize(["-f", request["connection_file"], "--HistoryManager.enabled=False"])
    # ipykernel now echoes fd-level stderr to a copy of the fd it found (the start log):
    # point that copy at /dev/null (fd 0), so that the log keeps only the start
    copy = getattr(sys.stderr, "_original_stdstream_copy", None)
    if isinstance(copy, int):
        os.dup2(0, copy)
    app.start()


def _loads(rules) -> bool:
    """Whether a process can load the filter (tried once, in a child that exits)."""
    pid = os.fork()
    if pid == 0:
        try:
            mounts.check(mounts._libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl")
            rules.load()
            os._exit(0)
        finally:
            os._exit(1)
    return os.waitpid(pid, 0)[1] == 0


def zygote_main(preload):
    """Import the libraries once, then fork one kernel per request read from stdin."""
    import importlib
    warnings.simplefilter("ignore")
    # everything a kernel imports while it starts (debugpy alone costs 0.15 s per kernel)
    kernel_modules = ["ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell",
                      "ipykernel.iostream", "ipykernel.comm", "ipykernel.debugger",
                      "IPython.core.interactiveshell", "IPython.core.completer",
                      "IPython.core.completerlib", "IPython.core.debugger",
                      "IPython.core.oinspect", "IPython.extensions.storemagic",
                      "IPython.utils.wildcard", "IPython.display", "pdb", "faulthandler",
                      "tornado.platform.asyncio", "jedi", "comm"]
    if "torch" in preload:  # the first optimizer a process creates imports this (seconds)
        preload = [*preload, "torch._dynamo"]
    for module in [*kernel_modules, "grader.kernel_runtime", *preload]:
        importlib.import_module(module)
    if "matplotlib" in sys.modules:
        import matplotlib.pyplot  # noqa: F401  (font cache built here, once)
    global _SYSCALL_FILTER
    _SYSCALL_FILTER, missing = syscalls.build_filter()
    if _SYSCALL_FILTER is not None and not _loads(_SYSCALL_FILTER):
        _SYSCALL_FILTER, missing = None, "this Linux kernel refused the seccomp filter"
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("ping"):
            reply = {"pong": True, "seccomp_missing": missing}
        else:
            pid = os.fork()
            if pid == 0:
                try:
                    become_kernel(request)
                finally:
                    os._exit(1)
            reply = {"pid": pid}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    # stdin closed: the grader is done with us. Nothing here needs cleaning up (the kernels
    # are on their own, reaped by init), and an interpreter shutdown with torch loaded takes
    # seconds, which a closing grader would wait for
    sys.stdout.flush()
    os._exit(0)
