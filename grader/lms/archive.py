"""Read an LMS download (a .zip, or the folder it was unpacked into) without trusting it.

Nothing is ever extracted *by its path*: a download is listed, each member is classified,
and only the bytes of notebook members are read, in memory and up to a size limit. The
caller (``ingest``) writes them under names it makes itself, so an entry named
``../../.bashrc`` or ``/etc/passwd`` cannot land anywhere; such entries are still refused
and listed, because an LMS never produces them and an instructor should know.

Refused for one member (listed as :class:`Skipped`, the rest of the class goes on):
unsafe paths (``..``, absolute, drive letters), symbolic links and other non-files,
encrypted or damaged members, members over the per-file size, members whose compression
ratio looks like a zip bomb, and anything that is not an ``.ipynb`` (with a reason naming
what it is). Refused for the whole download (:class:`IngestError`): more members than
allowed, more notebook bytes in total than allowed, a file that is not a zip archive.

Declared sizes are safe to check up front: ``zipfile`` never returns more bytes than an
entry declares, and an entry that lies fails its CRC check when read (reported as damaged).
"""
from __future__ import annotations

import datetime as dt
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable

from .errors import LmsError


class IngestError(LmsError):
    """The download cannot be used at all; the message is one line naming the file."""


@dataclass(frozen=True)
class Limits:
    """Limits on what one download may make the grader read."""
    max_members: int = 20_000            # entries of one archive, or files under one folder
    max_file_bytes: int = 50 * 2**20     # one notebook (grading rejects > 20 MB with a reason)
    max_total_bytes: int = 2 * 2**30     # all notebooks of one download together
    max_ratio: float = 200.0             # uncompressed/compressed size of one member ...
    ratio_floor: int = 2**20             # ... checked only above this size (small files vary)


@dataclass(frozen=True)
class Skipped:
    """A member of a download that was not taken, and why (shown to the instructor)."""
    path: str          # as in the download: "<archive or folder name>:<path inside>"
    reason: str


@dataclass
class Member:
    """A notebook inside a download, not read yet."""
    path: str                              # POSIX path inside the download
    size: int
    read: Callable[[], bytes]
    zip_time: dt.datetime | None = None    # the zip entry's stored time (naive: zips have no zone)
    mtime: dt.datetime | None = None       # a folder file's modification time (UTC)


JUNK = ("__MACOSX", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db", "desktop.ini")
ARCHIVES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar")


def _classify(path: str) -> str | None:
    """Why a (safe) member path is not a notebook to grade, or None if it is one."""
    parts = PurePosixPath(path).parts
    name = parts[-1]
    if any(p in JUNK for p in parts):
        return "system or editor file (not part of the submission)"
    if name.startswith("._"):
        return "macOS resource file (not part of the submission)"
    if name.lower().endswith(".ipynb"):
        return None
    if name.lower().endswith(ARCHIVES):
        return "an archive inside the download (not unpacked; submit notebooks as .ipynb)"
    suffix = PurePosixPath(name).suffix
    return f"not a notebook ({suffix or 'no'} file extension)"


def _unsafe(path: str) -> str | None:
    """Why a member path could escape the folder it would be unpacked into, or None."""
    if "\x00" in path or any(ord(c) < 32 for c in path):
        return "control characters in the path"
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "absolute path"
    if ".." in PurePosixPath(path).parts:
        return "path leads outside the download (..)"
    return None


def _zip_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as the LMS meant it: UTF-8 names written without the UTF-8 flag
    (macOS, older Info-ZIP) come back from zipfile as cp437 mojibake; undo that."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name.replace("\\", "/")     # Windows tools sometimes store backslashes


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


class Download:
    """One download, opened for reading: ``with Download(path) as d: d.members, d.skipped``."""

    def __init__(self, path: Path, limits: Limits = Limits(), exclude: Path | None = None):
        self.path, self.limits = Path(path), limits
        self.exclude = exclude.resolve() if exclude else None   # the work folder, if inside
        self.members: list[Member] = []
        self.skipped: list[Skipped] = []
        self._zip: zipfile.ZipFile | None = None
        self._total = 0

    def __enter__(self) -> "Download":
        if self.path.is_dir():
            self._scan_folder()
        elif self.path.suffix.lower() == ".ipynb" and not self.path.is_symlink():
            self._folder_file(self.path.parent, self.path)     # one notebook given directly
        elif self.path.is_file():
            self._scan_zip()
        else:
            raise IngestError(f"{self.path}: no such file or folder")
        self.members.sort(key=lambda m: m.path)
        self.skipped.sort(key=lambda s: s.path)
        return self

    def __exit__(self, *exc) -> None:
        if self._zip is not None:
            self._zip.close()

    def label(self, inner: str) -> str:
        if self.path.suffix.lower() == ".ipynb":
            return inner
        return f"{self.path.name}:{inner}"

    def _skip(self, inner: str, reason: str) -> None:
        self.skipped.append(Skipped(self.label(inner), reason))

    def _count(self, size: int) -> None:
        self._total += size
        if self._total > self.limits.max_total_bytes:
            raise IngestError(f"{self.path}: the notebooks in it add up to more than "
                              f"{self.limits.max_total_bytes / 2**30:g} GiB; refusing to unpack it")

    # ------------------------------------------------------------ zip archives

    def _scan_zip(self) -> None:
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as error:
            raise IngestError(f"{self.path}: not a readable zip archive ({error})") from None
        infos = self._zip.infolist()
        if len(infos) > self.limits.max_members:
            raise IngestError(f"{self.path}: {len(infos)} entries; the limit is "
                              f"{self.limits.max_members} (is this really one assignment?)")
        for info in infos:
            name = _zip_name(info)
            if info.is_dir():
                continue
            problem = (_unsafe(name)
                       or ("symbolic link" if _is_symlink(info) else None)
                       or ("encrypted" if info.flag_bits & 0x1 else None))
            if problem:
                self._skip(name, f"refused: {problem}")
                continue
            if (why := _classify(name)) is not None:
                self._skip(name, why)
                continue
            if info.file_size > self.limits.max_file_bytes:
                self._skip(name, f"refused: {info.file_size / 2**20:.0f} MB; the limit is "
                                 f"{self.limits.max_file_bytes // 2**20} MB per notebook")
                continue
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > self.limits.ratio_floor and ratio > self.limits.max_ratio:
                self._skip(name, f"refused: compression ratio {ratio:.0f}:1 "
                                 f"(over {self.limits.max_ratio:g}:1, a zip bomb?)")
                continue
            self._count(info.file_size)
            self.members.append(Member(name, info.file_size, self._reader(info),
                                       zip_time=dt.datetime(*info.date_time)))

    def _reader(self, info: zipfile.ZipInfo) -> Callable[[], bytes]:
        def read() -> bytes:
            with self._zip.open(info) as handle:      # type: ignore[union-attr]
                return handle.read(self.limits.max_file_bytes + 1)
        return read

    # ------------------------------------------------------------ unpacked folders

    def _scan_folder(self) -> None:
        root, seen = self.path, 0
        for folder, dirs, files in os.walk(root, followlinks=False):
            here = Path(folder)
            if self.exclude and here.resolve() == self.exclude:
                dirs[:] = []
                continue
            for name in sorted(dirs):
                if (here / name).is_symlink():     # os.walk lists it but does not enter it
                    self._skip((here / name).relative_to(root).as_posix(),
                               "refused: symbolic link")
            for name in files:
                seen += 1
                if seen > self.limits.max_members:
                    raise IngestError(f"{root}: more than {self.limits.max_members} files; "
                                      "is this really one assignment?")
                self._folder_file(root, here / name)

    def _folder_file(self, root: Path, path: Path) -> None:
        inner = path.relative_to(root).as_posix()
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            self._skip(inner, "refused: symbolic link")
            return
        if not stat.S_ISREG(info.st_mode):
            self._skip(inner, "refused: not a regular file")
            return
        if (why := _classify(inner)) is not None:
            self._skip(inner, why)
            return
        if info.st_size > self.limits.max_file_bytes:
            self._skip(inner, f"refused: {info.st_size / 2**20:.0f} MB; the limit is "
                              f"{self.limits.max_file_bytes // 2**20} MB per notebook")
            return
        self._count(info.st_size)
        mtime = dt.datetime.fromtimestamp(info.st_mtime, dt.timezone.utc)
        self.members.append(Member(inner, info.st_size, self._file_reader(path), mtime=mtime))

    def _file_reader(self, path: Path) -> Callable[[], bytes]:
        def read() -> bytes:
            # O_NOFOLLOW: the file may have been swapped for a link since it was listed;
            # O_NONBLOCK: a named pipe must not make us wait forever.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    raise OSError("not a regular file")
                return handle.read(self.limits.max_file_bytes + 1)
        return read


def read_member(download: Download, member: Member) -> tuple[bytes | None, str | None]:
    """The member's bytes, or None and the reason it could not be read."""
    try:
        data = member.read()
    except NotImplementedError as error:    # e.g. a compression method zipfile lacks
        return None, f"refused: cannot unpack it ({error})"
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, ValueError) as error:
        return None, f"refused: damaged or unreadable ({type(error).__name__}: {error})"
    if len(data) > download.limits.max_file_bytes:
        return None, (f"refused: larger than the limit of "
                      f"{download.limits.max_file_bytes // 2**20} MB per notebook")
    return data, None
