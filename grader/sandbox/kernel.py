"""The zygote process and the kernels it forks (``python -m grader.sandbox``)."""
import json
import os
import signal
import sys
import warnings

from . import mounts
from .limits import apply_rlimits

PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG = 38, 1


def _drop_privileges(uid):
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def become_kernel(request):
    """In the forked child: lock down, then serve as an ipykernel until told to stop."""
    from . import sandbox_env
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    # die with the zygote (which exits with its grader): without a sandbox uid there is no
    # sweep to catch a kernel whose grader was killed
    mounts.check(mounts._libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    if os.getppid() == 1:
        os._exit(1)
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, 4096)  # no handle to the zygote's pipes or anything else of the grader
    uid, limits = request["uid"], request["limits"]
    if request.get("cgroup"):   # still root here; children of the kernel inherit the group
        with open(os.path.join(request["cgroup"], "cgroup.procs"), "w") as handle:
            handle.write(str(os.getpid()))
    if request["isolate"]:
        workdir = mounts.isolate(request["hide"], limits, uid)
    else:  # inside the kernel's socket folder, which the grader removes afterwards
        workdir = os.path.join(os.path.dirname(request["connection_file"]), "work")
        os.makedirs(workdir)
    mounts.check(mounts._libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl")
    apply_rlimits(limits)
    if request["isolate"]:
        _drop_privileges(uid)
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
    app.start()


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
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("ping"):
            reply = {"pong": True}
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
