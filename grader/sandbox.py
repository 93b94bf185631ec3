"""The sandbox: a warm kernel factory that forks locked-down IPython kernels.

A *zygote* is a small Python process that imports the assignments' heavy libraries (NumPy,
torch, ...) once. For every kernel the grader needs, the zygote forks; the child locks
itself down and becomes an ipykernel, so a kernel answers in well under a second instead of
paying the imports again. The zygote is started with a clean environment and never imports
specs, solutions or grading code, so a forked kernel inherits nothing secret.

Lock-down of a kernel (when running as root, on Linux):
  * new network namespace: no interfaces but a downed loopback (no network, no grader ports);
    the grader talks to the kernel over Unix sockets in a private directory;
  * new mount namespace: the repository, the submissions, the output folder and home
    directories are covered by empty tmpfs mounts, only the Python installation is mapped back
    (read-only); /tmp, /var/tmp, /dev/shm are small private tmpfs mounts; /proc hides other
    users' processes;
  * an unprivileged uid of its own per grading slot, no new privileges;
  * resource limits: address space, CPU time, processes, file size, open files, no core dumps.
Without root only the resource limits and a private process group apply; the grader says so
once, and ``--require-sandbox`` makes it refuse to run.
"""
import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

UID_BASE, UID_SLOTS = 61000, 512
SOCKET_ROOT = Path("/run/nncourse")
CLEAN_ENV_KEYS = ("LANG", "LC_ALL", "TZ")


@dataclass
class Limits:
    memory_mb: int = 2048       # growth of the address space beyond the warm libraries
    cpu_seconds: int = 300      # CPU time of one kernel (a per-submission backstop)
    processes: int = 64         # processes and threads of the sandbox user
    file_mb: int = 64           # largest file the kernel may write
    open_files: int = 512
    tmp_mb: int = 64            # size of each private tmpfs (/tmp, /var/tmp, /dev/shm)
    tmp_files: int = 4096       # inodes of each private tmpfs


class SandboxUnavailable(RuntimeError):
    """Full isolation was required but this machine or user cannot provide it."""


def full_isolation_available():
    """Root on Linux with mount and network namespaces (checked once per process)."""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    probe = subprocess.run(["unshare", "--net", "--mount", "true"], capture_output=True)
    return probe.returncode == 0


def sandbox_env(workdir):
    """The whole environment a kernel sees: nothing of the grader's."""
    env = {k: os.environ[k] for k in CLEAN_ENV_KEYS if k in os.environ}
    env.update(HOME=workdir, PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MPLBACKEND="Agg", PYTHONHASHSEED="0", IPYTHONDIR=f"{workdir}/.ipython",
               MPLCONFIGDIR=f"{workdir}/.matplotlib", TMPDIR="/tmp", NNCOURSE_GRADING="1",
               PYDEVD_DISABLE_FILE_VALIDATION="1",  # else debugpy warns on every import
               # else ipykernel names each cell by a pure-Python hash of its source: 0.1 s
               # for a request cell of the grader, which carries every check's inputs
               IPYKERNEL_CELL_NAME="<grader request>")
    return env


# ------------------------------------------------------------------ grader side

class Zygote:
    """Owns one warm factory process; ``spawn`` returns the pid of a fresh locked kernel."""

    def __init__(self, preload=("numpy",), slot=0, limits=None, hide=(), isolate=None):
        self.slot, self.limits = slot, limits or Limits()
        self.isolate = full_isolation_available() if isolate is None else isolate
        self._uid_lock = None
        self.uid = self._claim_uid(slot) if self.isolate else os.getuid()
        self.cgroup = memory_cgroup(self.uid, self.limits.memory_mb) if self.isolate else None
        self.hide = sorted({str(Path(p).resolve()) for p in hide} | _default_hidden())
        env = sandbox_env(tempfile.gettempdir())
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grader.sandbox", *preload], env=env, cwd="/",
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._ask({"ping": True})  # returns once the libraries are imported

    def _claim_uid(self, slot):
        """A sandbox uid no other grader on this machine is using: kernels of one uid share
        a process limit and are swept together, so two graders must never share one."""
        import fcntl
        SOCKET_ROOT.mkdir(parents=True, exist_ok=True)
        for offset in range(UID_SLOTS):
            uid = UID_BASE + (slot + offset) % UID_SLOTS
            handle = open(SOCKET_ROOT / f"uid-{uid}.lock", "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            self._uid_lock = handle  # held for the zygote's lifetime, released at exit
            kill_user_processes(uid)  # leftovers of a grader that was killed
            for stale in SOCKET_ROOT.glob("k*-*"):   # and its kernels' folders
                if stale.is_dir() and stale.stat().st_uid == uid:
                    self.remove_socket_dir(stale)
            return uid
        raise SandboxUnavailable(f"all {UID_SLOTS} sandbox uids are in use")

    def _ask(self, request):
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the kernel factory (zygote) exited; see its stderr above")
        return json.loads(line)

    def socket_dir(self):
        """A private directory for one kernel's Unix sockets and connection file."""
        root = SOCKET_ROOT if self.isolate else Path(tempfile.gettempdir())
        root.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix=f"k{self.slot}-", dir=root))
        if self.isolate:
            # the kernel can write here and the folder is on the host's disk: give it a
            # filesystem of its own that holds sockets and the connection file, no more
            _mount("tmpfs", str(path), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   f"size=256k,nr_inodes=32,mode=700,uid={self.uid},gid={self.uid}")
        return path

    @staticmethod
    def remove_socket_dir(path):
        _libc.umount2(str(path).encode(), MNT_DETACH)   # not mounted (no sandbox): no-op
        shutil.rmtree(path, ignore_errors=True)

    def spawn(self, connection_file):
        if self.isolate:
            os.chown(connection_file, self.uid, self.uid)
        reply = self._ask({"connection_file": str(connection_file), "uid": self.uid,
                           "cgroup": self.cgroup,
                           "isolate": self.isolate, "hide": self.hide,
                           "limits": asdict(self.limits)})
        return reply["pid"]

    def sweep(self, pid=None):
        """Kill a kernel and everything it started, even daemons that left its group."""
        if pid:
            _signal_group(pid)
        if self.isolate:
            # until the uid has no process left, not even one still exiting: until then it
            # counts against the next kernel's process limit
            deadline = time.monotonic() + 10
            while kill_user_processes(self.uid) and time.monotonic() < deadline:
                time.sleep(0.005)

    def close(self):
        self.sweep()
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self._uid_lock is not None:
            self._uid_lock.close()


def memory_cgroup(uid, memory_mb):
    """A memory cgroup shared by all processes of one sandbox uid, so that a kernel and the
    processes it forks together stay within ``memory_mb`` (RLIMIT_AS only bounds each process
    on its own). Returns its folder, or None where cgroups cannot be used."""
    limit = str(memory_mb * 2**20)
    root = Path("/sys/fs/cgroup")
    try:
        if (root / "cgroup.controllers").exists():            # cgroup v2
            base = root / "nncourse"
            base.mkdir(exist_ok=True)
            (base / "cgroup.subtree_control").write_text("+memory")
            group = base / f"uid-{uid}"
            group.mkdir(exist_ok=True)
            (group / "memory.max").write_text(limit)
            (group / "memory.swap.max").write_text("0")
        elif (root / "memory").is_dir():                       # cgroup v1
            group = root / "memory" / "nncourse" / f"uid-{uid}"
            group.mkdir(parents=True, exist_ok=True)
            (group / "memory.limit_in_bytes").write_text(limit)
        else:
            return None
    except OSError:
        return None
    return str(group)


def _default_hidden():
    repo = Path(__file__).resolve().parent.parent
    homes = {"/root", "/home", str(Path.home())}
    return {str(repo)} | {h for h in homes if Path(h).exists()}


def _signal_group(pid):
    for send in (os.killpg, os.kill):
        try:
            send(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def kill_user_processes(uid):
    """SIGKILL every process whose real uid is ``uid``; returns how many were found."""
    found = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        uid_line = next((line for line in status.splitlines() if line.startswith("Uid:")), "")
        if uid_line.split()[1:2] == [str(uid)]:
            found += 1
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except ProcessLookupError:
                pass
    return found


class ForkedProcess:
    """The subset of ``subprocess.Popen`` that jupyter_client's provisioner uses."""

    stdin = stdout = stderr = None

    def __init__(self, pid):
        self.pid, self.returncode = pid, None

    def poll(self):
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)  # the zygote reaps its children, so no zombies linger
            except ProcessLookupError:
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout=None):
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("kernel", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum):
        try:
            os.killpg(self.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self):
        self.send_signal(signal.SIGKILL)

    terminate = kill


# ------------------------------------------------------------------ zygote side

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_RDONLY = 2, 4, 8, 1
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS, O_PATH, MNT_DETACH, PR_SET_PDEATHSIG = 38, 0o10000000, 2, 1


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source, target, fstype, flags, data=None):
    _check(_libc.mount(source.encode() if source else None, target.encode(),
                       fstype.encode() if fstype else None, flags,
                       data.encode() if data else None), f"mount {target}")


def _isolate(hide, limits, uid):
    """Namespaces and mounts; runs as root in the forked child, before dropping privileges."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    keep = sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)})
    handles = {p: os.open(p, O_PATH) for p in keep}
    for path in hide:
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    for path, fd in handles.items():
        if any(path == h or path.startswith(h + "/") for h in hide):
            os.makedirs(path, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
        os.close(fd)
    options = f"size={limits['tmp_mb']}m,nr_inodes={limits['tmp_files']},mode=1777"
    for path in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, options)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
    workdir = "/tmp/work"
    os.makedirs(workdir)
    os.chown(workdir, uid, uid)
    return workdir


def _vm_size():
    for line in open("/proc/self/status"):
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _limit(limits):
    mb = 1024 * 1024
    cpu = limits["cpu_seconds"]
    for which, soft, hard in (
            (resource.RLIMIT_AS, _vm_size() + limits["memory_mb"] * mb, None),
            (resource.RLIMIT_CPU, cpu, cpu + 5),
            (resource.RLIMIT_NPROC, limits["processes"], None),
            (resource.RLIMIT_FSIZE, limits["file_mb"] * mb, None),
            (resource.RLIMIT_NOFILE, limits["open_files"], None),
            (resource.RLIMIT_CORE, 0, None)):
        resource.setrlimit(which, (soft, soft if hard is None else hard))


def _drop_privileges(uid):
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def _become_kernel(request):
    """In the forked child: lock down, then serve as an ipykernel until told to stop."""
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    # die with the zygote (which exits with its grader): without a sandbox uid there is no
    # sweep to catch a kernel whose grader was killed
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
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
        workdir = _isolate(request["hide"], limits, uid)
    else:  # inside the kernel's socket folder, which the grader removes afterwards
        workdir = os.path.join(os.path.dirname(request["connection_file"]), "work")
        os.makedirs(workdir)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl")
    _limit(limits)
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
                    _become_kernel(request)
                finally:
                    os._exit(1)
            reply = {"pid": pid}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    zygote_main(sys.argv[1:])
