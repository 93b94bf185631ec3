"""The sandbox: a warm kernel factory that forks locked-down IPython kernels.

A *zygote* is a small Python process that imports the assignments' heavy libraries (NumPy,
torch, ...) once. For every kernel the grader needs, the zygote forks; the child locks
itself down and becomes an ipykernel, so a kernel answers in well under a second instead of
paying the imports again. The zygote is started with a clean environment and never imports
specs, solutions or grading code, so a forked kernel inherits nothing secret.

Lock-down of a kernel, as root on Linux, in this order (mounts.py, limits.py, kernel.py):
  * it joins its slot's memory cgroup (the kernel and its children together stay within
    ``memory_mb``); before each kernel the group is checked to be back near zero: the grader
    waits for a dead kernel's namespaces to be freed, reclaims, or else retires the group for
    a fresh one (``MemoryGroup.ready``);
  * new network namespace: no interfaces but a downed loopback (no network, no grader ports);
    the grader talks to the kernel over Unix sockets in a private directory;
  * new IPC namespace: SysV shared memory, message queues, semaphores and POSIX queues die
    with the kernel instead of staying charged to the slot's cgroup;
  * new mount namespace: the repository, the submissions, the output folder and home
    directories are covered by empty tmpfs mounts; /tmp, /var/tmp, /dev/shm, /run/lock are
    small private tmpfs mounts; then the Python installation (every prefix and sys.path entry
    of the zygote no longer reachable, at its resolved path and at the path the process uses)
    is mapped back read-only, never the specs or solutions; every other mount is read-only,
    so the sandbox uid can leave no file on the host; /proc hides other users' processes;
  * an unprivileged uid of its own per grading slot, no new privileges;
  * resource limits: address space, CPU time, processes, file size, open files, no core dumps;
  * a seccomp filter (syscalls.py): no user namespaces, no sockets but Unix/IPv4/IPv6, no
    io_uring, no keyrings. It needs no root, so it applies without the namespaces too.
Until it serves, a kernel's stderr goes to a log in its socket folder, whose last lines the
grader quotes if the kernel dies before answering (``Zygote.start_log``).

No PID namespace, by choice. ``unshare(CLONE_NEWPID)`` only moves the *next* child, so the
kernel would either be pid 1 of its namespace (signals it sends itself are ignored: a cell's
``os.kill(os.getpid(), SIGKILL)`` no longer ends it, and it must reap every orphan) or need
one more fork per kernel of a process that holds torch. Measured on the development machine
(2 cores): fork and exit of a zygote with torch and matplotlib loaded take 19 ms; fork,
unshare(CLONE_NEWPID), fork and the namespace's teardown 87 ms, against a whole kernel start
of 0.1 s. What a PID namespace would give is there already: the uid sweep kills every process
the kernel started, RLIMIT_NPROC bounds them, and hidepid=2 hides everyone else's.

Without root only the resource limits, the seccomp filter and a private process group apply;
the grader says so once, and ``--require-sandbox`` makes it refuse to run. Where libseccomp
is missing the grader says so once too (``full_isolation_available``) and kernels run
without the filter.
"""
import functools
import json
import os
import shutil
import site
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from . import syscalls
from .env import CLEAN_ENV_KEYS, sandbox_env  # noqa: F401 (part of this package's API)
from .kernel import START_LOG
from .limits import Limits, MemoryGroup, memory_controller
from .mounts import MS_NODEV, MS_NOEXEC, MS_NOSUID, mount, unmount

UID_BASE, UID_SLOTS = 61000, 512
SOCKET_ROOT = Path("/run/nncourse")
GRADER = Path(__file__).resolve().parents[1]   # the grader package
REPO = GRADER.parent                            # the folder that holds it: hidden
LAST_WORDS = 200   # characters of a dead kernel's start log quoted in the grader's error


class SandboxUnavailable(RuntimeError):
    """Full isolation was required but this machine or user cannot provide it."""


def full_isolation_available() -> bool:
    """Root on Linux with mount, network and IPC namespaces (checked once per process).

    The grader's commands call this once before grading; it also says, once, which of the
    protections that do not need root are missing here (the seccomp filter)."""
    global _warned
    if not _warned:
        _warned = True
        missing = syscalls.build_filter()[1]
        if missing:
            print(f"warning: kernels run without their seccomp filter ({missing}): user "
                  "namespaces, AF_VSOCK/netlink sockets and keyrings stay reachable",
                  file=sys.stderr)
        if _namespaces_work() and not memory_controller():
            print("warning: no memory cgroup controller: a kernel's memory is limited per "
                  "process (address space) only, not for the kernel and its children together",
                  file=sys.stderr)
    return _namespaces_work()


_warned = False


@functools.cache
def _namespaces_work() -> bool:
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    probe = subprocess.run(["unshare", "--net", "--mount", "--ipc", "true"],
                           capture_output=True)
    return probe.returncode == 0


# ------------------------------------------------------------------ grader side

class Zygote:
    """Owns one warm factory process; ``spawn`` returns the pid of a fresh locked kernel."""

    def __init__(self, preload=("numpy",), slot=0, limits=None, hide=(), isolate=None,
                 python=None):
        """``python``: the interpreter of the kernels (default: this process's)."""
        self.slot, self.limits = slot, limits or Limits()
        self.isolate = _namespaces_work() if isolate is None else isolate
        self._uid_lock = None
        self.uid = self._claim_uid(slot) if self.isolate else os.getuid()
        self.memory = MemoryGroup.create(self.uid, self.limits.memory_mb) \
            if self.isolate else None
        self.hide = sorted({os.path.realpath(p) for p in {*hide, *_default_hidden()}})
        self.secrets = _secrets()
        env = sandbox_env(tempfile.gettempdir())
        env["PYTHONPATH"] = str(REPO)
        self.process = subprocess.Popen(
            [python or sys.executable, "-m", "grader.sandbox", *preload], env=env, cwd="/",
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        # returns once the libraries are imported
        self.seccomp_missing = self._ask({"ping": True}).get("seccomp_missing")

    @property
    def cgroup(self) -> str | None:
        """The memory cgroup the next kernel joins (None without one)."""
        return self.memory.path if self.memory else None

    def memory_usage(self) -> int | None:
        """Bytes charged to the slot's memory cgroup now (None without one)."""
        return self.memory.usage() if self.memory else None

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
            mount("tmpfs", str(path), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   f"size=256k,nr_inodes=32,mode=700,uid={self.uid},gid={self.uid}")
        return path

    @staticmethod
    def remove_socket_dir(path):
        unmount(path)   # not mounted (no sandbox): no-op
        shutil.rmtree(path, ignore_errors=True)

    def spawn(self, connection_file):
        if self.isolate:
            os.chown(connection_file, self.uid, self.uid)
        if self.memory:   # nothing a previous kernel left may count against this one
            self.memory.ready()
        reply = self._ask({"connection_file": str(connection_file), "uid": self.uid,
                           "cgroup": self.cgroup,
                           "isolate": self.isolate, "hide": self.hide, "secrets": self.secrets,
                           "limits": asdict(self.limits)})
        return reply["pid"]

    @staticmethod
    def start_log(socket_dir) -> str:
        """The last lines a kernel wrote before it was ready ("" if none): why it died."""
        try:
            fd = os.open(Path(socket_dir) / START_LOG, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return ""
        with os.fdopen(fd, "rb") as handle:
            size = os.fstat(fd).st_size
            handle.seek(max(0, size - 4096))
            lines = [line.strip() for line in
                     handle.read(4096).decode(errors="replace").splitlines() if line.strip()]
        words = []
        for line in reversed(lines):   # the last lines name the error; as many as fit
            if words and sum(len(w) + 3 for w in words) + len(line) > LAST_WORDS:
                break
            words.insert(0, line)
        text = " | ".join(words)
        return text if len(text) <= LAST_WORDS else "..." + text[-LAST_WORDS:]

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
        if self.memory:
            self.memory.close()
        if self._uid_lock is not None:
            self._uid_lock.close()


def _secrets():
    """Folders whose content must never be seen by a kernel, even where they lie inside a
    Python installation that is mapped back: the specs (hidden checks, expected values) and
    the instructor's solutions, of this grader and of every other copy of it that Python
    could import (an editable install may point at another checkout than the running one)."""
    packages = {GRADER, *_importable_graders()}
    folders = [*(g / "specs" for g in packages), *(g.parent / "solutions" for g in packages),
               *(Path(p) for p in os.environ.get("NNCOURSE_SPECS", "").split(os.pathsep) if p)]
    return sorted({os.path.realpath(f) for f in folders if f.is_dir()})


def _importable_graders():
    """``grader`` packages reachable from this Python: on sys.path, and the targets of
    setuptools' editable-install finders in site-packages (their MAPPING dict)."""
    import ast
    found = [Path(entry) / "grader" for entry in sys.path if entry]
    for folder in {*site.getsitepackages(), site.getusersitepackages()}:
        for finder in Path(folder).glob("__editable__*finder.py"):
            try:
                tree = ast.parse(finder.read_text())
            except (OSError, SyntaxError, ValueError):
                continue
            for node in ast.walk(tree):
                target = getattr(node, "target", None) or (getattr(node, "targets", None)
                                                           or [None])[0]
                if getattr(target, "id", None) == "MAPPING" and node.value is not None:
                    try:
                        mapping = ast.literal_eval(node.value)
                    except ValueError:
                        continue
                    found += [Path(p) for name, p in mapping.items() if name == "grader"]
    return [g for g in found if (g / "kernel_runtime.py").is_file()]


def _default_hidden():
    """Home folders, and the repository the grader runs from. A grader installed into
    site-packages (not editable) has no repository: hiding its folder would hide the
    libraries; its specs are covered all the same (``_secrets``)."""
    homes = {"/root", "/home", str(Path.home())}
    installed = {os.path.realpath(p) for p in [*site.getsitepackages(),
                                               site.getusersitepackages()]}
    repo = set() if os.path.realpath(REPO) in installed else {str(REPO)}
    return repo | {h for h in homes if Path(h).exists()}


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


__all__ = ["Limits", "SandboxUnavailable", "Zygote", "ForkedProcess", "full_isolation_available",
           "kill_user_processes", "MemoryGroup", "sandbox_env"]
