"""The kernel's view of the filesystem: its own mount (and network) namespace.

Runs as root in the forked kernel, before it drops its privileges."""
import ctypes
import os
import sys

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_RDONLY = 2, 4, 8, 1
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
O_PATH, MNT_DETACH = 0o10000000, 2


def check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def mount(source, target, fstype, flags, data=None):
    check(_libc.mount(source.encode() if source else None, target.encode(),
                      fstype.encode() if fstype else None, flags,
                      data.encode() if data else None), f"mount {target}")


def unmount(path):
    """Detach a mount; nothing happens where nothing is mounted."""
    _libc.umount2(str(path).encode(), MNT_DETACH)


def isolate(hide, limits, uid):
    """Namespaces and mounts; returns the kernel's working folder."""
    check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    keep = sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)})
    handles = {p: os.open(p, O_PATH) for p in keep}
    for path in hide:
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    for path, fd in handles.items():
        if any(path == h or path.startswith(h + "/") for h in hide):
            os.makedirs(path, exist_ok=True)
            mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
        os.close(fd)
    options = f"size={limits['tmp_mb']}m,nr_inodes={limits['tmp_files']},mode=1777"
    for path in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, options)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
    workdir = "/tmp/work"
    os.makedirs(workdir)
    os.chown(workdir, uid, uid)
    return workdir
