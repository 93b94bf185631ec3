"""Resource limits of a kernel: rlimits it sets on itself, and a memory cgroup per sandbox uid."""
import resource
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Limits:
    memory_mb: int = 2048       # growth of the address space beyond the warm libraries
    cpu_seconds: int = 300      # CPU time of one kernel (a per-submission backstop)
    processes: int = 64         # processes and threads of the sandbox user
    file_mb: int = 64           # largest file the kernel may write
    open_files: int = 512
    tmp_mb: int = 64            # size of each private tmpfs (/tmp, /var/tmp, /dev/shm)
    tmp_files: int = 4096       # inodes of each private tmpfs


CGROUP_ROOT = Path("/sys/fs/cgroup")
# what a kernel may find charged to its group before it starts: one that ended normally
# leaves well under 1 MB (page cache of files it read first); 16 MB is a rounding error of a
# 2 GB limit
LEFTOVER_BYTES = 16 * 2**20
SETTLE_SECONDS = 3.0   # a dead kernel's IPC namespace is freed after it (0.2-0.8 s for 1.5 GB)


def memory_controller() -> bool:
    """Whether this machine has a cgroup memory controller (v2 or v1) to put kernels in."""
    v2 = CGROUP_ROOT / "cgroup.controllers"
    return ("memory" in v2.read_text().split()) if v2.exists() else \
        (CGROUP_ROOT / "memory").is_dir()


class MemoryGroup:
    """A memory cgroup for all processes of one sandbox uid, so that a kernel and the
    processes it forks together stay within ``memory_mb`` (RLIMIT_AS bounds each process on
    its own).

    The group outlives each kernel, so before each one ``ready()`` checks that nothing is
    still charged to it: memory a previous submission left behind counts against the next
    one (SysV shared memory kept 2 GB charged before kernels had their own IPC namespace,
    and every correct submission after it died). It waits for a killed kernel's namespaces
    to be freed, reclaims what it can, and otherwise retires the group for a fresh one.
    """

    def __init__(self, uid: int, memory_mb: int):
        self.uid, self.limit, self.generation, self.retired = uid, memory_mb * 2**20, 0, 0
        if (CGROUP_ROOT / "cgroup.controllers").exists():            # cgroup v2
            self.v2, self.base = True, CGROUP_ROOT / "nncourse"
            self.base.mkdir(exist_ok=True)
            (self.base / "cgroup.subtree_control").write_text("+memory")
        elif (CGROUP_ROOT / "memory").is_dir():                       # cgroup v1
            self.v2, self.base = False, CGROUP_ROOT / "memory" / "nncourse"
        else:
            raise OSError("no memory cgroup controller")
        for old in self.base.glob(f"uid-{uid}-*"):   # retired by an earlier grader
            _remove(old)
        self.path = self._create()

    @classmethod
    def create(cls, uid: int, memory_mb: int) -> "MemoryGroup | None":
        """The group, or None where cgroups cannot be used (not root, no controller)."""
        try:
            return cls(uid, memory_mb)
        except OSError:
            return None

    def _create(self) -> str:
        suffix = f"-{self.generation}" if self.generation else ""
        group = self.base / f"uid-{self.uid}{suffix}"
        group.mkdir(parents=True, exist_ok=True)
        if self.v2:
            (group / "memory.max").write_text(str(self.limit))
            (group / "memory.swap.max").write_text("0")
        else:
            (group / "memory.limit_in_bytes").write_text(str(self.limit))
        return str(group)

    def usage(self) -> int:
        """Bytes charged to the group now (memory.current, or v1's usage_in_bytes)."""
        name = "memory.current" if self.v2 else "memory.usage_in_bytes"
        return int((Path(self.path) / name).read_text())

    def ready(self) -> None:
        """Bring the group back near zero before a kernel starts in it, or replace it."""
        if self.usage() <= LEFTOVER_BYTES:
            return
        deadline = time.monotonic() + SETTLE_SECONDS
        while self.usage() > LEFTOVER_BYTES and time.monotonic() < deadline:
            time.sleep(0.01)
        if self.usage() > LEFTOVER_BYTES:
            try:   # page cache and other reclaimable memory
                if self.v2:
                    (Path(self.path) / "memory.reclaim").write_text(str(self.usage()))
                else:
                    (Path(self.path) / "memory.force_empty").write_text("0")
            except OSError:
                pass
        if self.usage() > LEFTOVER_BYTES:
            old, self.generation = self.path, self.generation + 1
            self.path, self.retired = self._create(), self.retired + 1
            _remove(Path(old))   # its charges go to the parent (v1) or die with it (v2)

    def close(self) -> None:
        _remove(Path(self.path))


def _remove(group: Path) -> None:
    try:
        group.rmdir()
    except OSError:   # a process still in it: left for the next grader of this uid
        pass


# ------------------------------------------------------------------ kernel side

def _vm_size():
    for line in open("/proc/self/status"):
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def apply_rlimits(limits):
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
