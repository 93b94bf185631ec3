"""Files the grader writes: atomically, under names that cannot leave their folder.

A leaf module (it imports nothing of the grader), shared by the reports, the manual marks
and the LMS exports.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path, PurePosixPath


class ResultFileWarning(UserWarning):
    """A result file that could not be read and was left out of the reports."""


def atomic_write(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so readers only ever see the old or the new file.

    The temporary file sits in the target directory (os.replace is only atomic within one
    file system) and is named ``.<name>.<random>.tmp``, which no reader here picks up.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())   # the data must be on disk before the rename is
        os.chmod(tmp, 0o644)            # mkstemp makes it 0600; tutors share these files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return path


def fsync_dir(directory) -> None:
    # Makes the rename itself survive a power cut; not possible on every platform.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_HASHED = re.compile(r"__[0-9a-f]{8}$")


def stem(file_name) -> str:
    """The name (without extension) of a submission's result and feedback files.

    A submission at the top of the graded folder keeps its own name without ``.ipynb``. One
    in a sub-folder (``ada/A1.ipynb``) gets its folders joined with ``__`` and a short hash of
    the whole name (``ada__A1__1f2e3d4c``), so two ``A1.ipynb`` in two students' folders never
    share a result file. Never a path: no separators, no leading dot, at most ~150 bytes."""
    name = str(file_name).replace("\\", "/")
    parts = [p for p in PurePosixPath(name).parts if p not in ("/", "", ".")]
    if not parts:
        parts = ["submission"]
    last = parts[-1][:-len(".ipynb")] if parts[-1].endswith(".ipynb") else Path(parts[-1]).stem
    readable = "__".join([*parts[:-1], last]) or "submission"
    safe = _UNSAFE.sub("_", readable).lstrip(". ") or "submission"
    if len(parts) == 1 and safe == readable and not _HASHED.search(safe) \
            and len(safe.encode()) <= 150:
        return safe
    safe = safe.encode()[:150].decode("utf-8", "ignore")
    return f"{safe}__{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def result_path(out_dir, file_name) -> Path:
    return Path(out_dir) / "results" / f"{stem(file_name)}.json"
