"""The kernel's view of the filesystem: its own mount namespace (and network and IPC ones).

Runs as root in the forked kernel, before it drops its privileges. The order matters:

1. folders to hide (the repository, the submissions, the output, home folders) are covered
   by empty tmpfs mounts, and /tmp, /var/tmp, /dev/shm, /run/lock get private ones;
2. only then is the Python installation mapped back, read-only: every prefix and sys.path
   entry of the interpreter that is no longer reachable, at its resolved path and at the
   path the process uses (which may go through a symlink, or lie under /tmp). Mapping it back
   before step 1 would let a private /tmp cover a venv under /tmp again (issue 13);
3. secret folders still visible, in place or inside a mapped-back installation (the specs of
   a grader installed into site-packages), are covered.

A path is never mapped back if it holds a hidden folder (the repository root itself, or /),
so only the installation comes back, never the specs, solutions, submissions or output.
"""
import ctypes
import os
import re
import stat
import sys

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWNET = 0x00020000, 0x08000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_RDONLY = 2, 4, 8, 1
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
SYS_MOUNT_SETATTR, AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = 442, -100, 0x8000, 1
# flags of a mount that a read-only remount keeps (mountinfo's name for each)
KEPT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC,
              "noatime": 1024, "nodiratime": 2048, "relatime": 1 << 21}
O_PATH, MNT_DETACH = 0o10000000, 2
PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int,
          data: str | None = None) -> None:
    check(_libc.mount(source.encode() if source else None, target.encode(),
                      fstype.encode() if fstype else None, flags,
                      data.encode() if data else None), f"mount {target}")


def unmount(path) -> None:
    """Detach a mount; nothing happens where nothing is mounted."""
    _libc.umount2(str(path).encode(), MNT_DETACH)


def _holds(outer: str, inner: str) -> bool:
    return inner == outer or inner.startswith(outer.rstrip("/") + "/")


def installation_paths() -> list[str]:
    """Where this interpreter and its libraries live: its prefixes and every sys.path entry
    (a venv's site-packages, a user site, folders added by .pth files, zip files)."""
    found = [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix, *sys.path]
    return list(dict.fromkeys(os.path.normpath(p) for p in found
                              if p and os.path.isabs(p) and os.path.exists(p)))


def plan_map_back(paths: list[str], hide: list[str]) -> list[tuple[str, str]]:
    """(path as the process uses it, resolved path) for each installation path that may come
    back: none that holds, by either name, a hidden folder (the repository root, /) or a
    private one (a script's folder /tmp on sys.path would bring the host's /tmp back).
    Shortest first, so that a prefix is mapped before the folders inside it (which then
    need nothing more)."""
    never = [*hide, *PRIVATE_TMP, "/dev/mqueue", "/proc"]
    plan = []
    for path in paths:
        real = os.path.realpath(path)
        if not any(_holds(p, n) for p in (path, real) for n in never):
            plan.append((path, real))
    return sorted(plan, key=lambda pair: (len(pair[1]), pair[1]))


def _reaches(path: str, fd: int) -> bool:
    try:
        seen, wanted = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (seen.st_dev, seen.st_ino) == (wanted.st_dev, wanted.st_ino)


def _bind_read_only(fd: int, target: str) -> None:
    if stat.S_ISDIR(os.fstat(fd).st_mode):
        os.makedirs(target, exist_ok=True)
    else:  # a zip file on sys.path
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def map_back(plan: list[tuple[str, str]], handles: dict[str, int]) -> list[tuple[str, str]]:
    """Bind each planned installation path where the process looks for it, unless it is
    still reachable there; returns (where it was mounted, what it is) pairs."""
    mapped = []
    for path, real in plan:
        fd = handles.get(real)
        if fd is None:
            continue
        for target in dict.fromkeys((real, path)):
            if _reaches(target, fd):
                continue
            try:
                _bind_read_only(fd, target)
            except OSError as error:  # said in the start log; an import may fail later
                print(f"sandbox: could not map {real} back at {target}: {error}",
                      file=sys.stderr)
                continue
            mapped.append((target, real))
    return mapped


def cover_secrets(secrets: list[str], mapped: list[tuple[str, str]]) -> None:
    """Cover every secret folder the kernel can still see: where it is (a grader installed
    into a site-packages that no mount hides), and inside each mapped-back installation."""
    places = set(secrets)
    for target, real in mapped:
        places.update(target + s[len(real):] for s in secrets if _holds(real, s))
    for place in sorted(places):
        if os.path.isdir(place):
            mount("tmpfs", place, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=755")


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def _set_read_only(path: str, read_only: bool, recursive: bool) -> bool:
    """mount_setattr(2) (Linux 5.12): one call for a whole tree of mounts."""
    attr = _MountAttr(MOUNT_ATTR_RDONLY if read_only else 0,
                      0 if read_only else MOUNT_ATTR_RDONLY, 0, 0)
    return _libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, path.encode(),
                         AT_RECURSIVE if recursive else 0, ctypes.byref(attr),
                         ctypes.sizeof(attr)) == 0


def read_only_elsewhere(writable: list[str]) -> None:
    """Make every mount read-only in the kernel's namespace except ``writable`` ones (its
    private tmpfs mounts and socket folder), so that the sandbox uid can leave no file on
    the host, whatever world-writable folders the host has (/var/crash, ...)."""
    if _set_read_only("/", True, recursive=True):
        for path in writable:
            check(0 if _set_read_only(path, False, recursive=False) else -1,
                  f"mount_setattr {path}")
        return
    # older Linux: one remount per mount, named by its path in mountinfo
    with open("/proc/self/mountinfo") as handle:
        table = [line.split() for line in handle]
    done = set()
    for fields in table:
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
        options = fields[5].split(",")
        if "ro" in options or point in done or any(_holds(w, point) for w in writable):
            continue
        done.add(point)
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID
        flags |= sum(KEPT_FLAGS.get(option, 0) for option in set(options))
        # a mount covered by another one (a host mount under a hidden folder) cannot be
        # named by its path any more, nor reached: failing on it is fine
        _libc.mount(None, point.encode(), None, flags, None)


def isolate(hide: list[str], secrets: list[str], socket_dir: str, limits: dict,
            uid: int) -> str:
    """Namespaces and mounts; returns the kernel's working folder."""
    check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC), "unshare")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    plan = plan_map_back(installation_paths(), hide)
    handles = {}
    for _, real in plan:   # opened now: once covered, a path can no longer be opened
        try:
            handles.setdefault(real, os.open(real, O_PATH))
        except OSError:
            pass
    for path in hide:
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    options = f"size={limits['tmp_mb']}m,nr_inodes={limits['tmp_files']},mode=1777"
    writable = [os.path.realpath(socket_dir)]
    mount(writable[0], writable[0], None, MS_BIND)  # a mount of its own, to stay writable
    for path in PRIVATE_TMP:
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, options)
            writable.append(path)
    if os.path.isdir("/dev/mqueue"):   # POSIX message queues of the new IPC namespace
        mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        writable.append("/dev/mqueue")
    cover_secrets(secrets, map_back(plan, handles))
    for fd in handles.values():
        os.close(fd)
    read_only_elsewhere(writable)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
    workdir = "/tmp/work"
    os.makedirs(workdir)
    os.chown(workdir, uid, uid)
    return workdir
