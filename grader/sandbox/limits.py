"""Resource limits of a kernel: rlimits it sets on itself, and a memory cgroup per sandbox uid."""
import resource
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
