"""Result files: written atomically under names that cannot leave the output folder, read
back as typed :class:`~grader.result.SubmissionResult` objects.

The batch grader writes one ``results/<stem>.json`` per submission as soon as it is graded,
so an interrupted run keeps everything finished so far. Readers get the results with the
manual marks of ``OUT/manual`` merged in (``grader.manual``): the files themselves hold only
what grading found.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import warnings
from pathlib import Path, PurePosixPath

from ..result import SubmissionResult


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


def as_result(result) -> SubmissionResult:
    """A :class:`SubmissionResult` from a result or its dict (also a partial dict, as some
    callers build: a missing schema or file name is filled in)."""
    if isinstance(result, SubmissionResult):
        return result
    data = dict(result)
    data.setdefault("schema", "nncourse-result/2")
    data.setdefault("file", "")
    return SubmissionResult.from_dict(data)


def write_result(result, out_dir) -> Path:
    """Write a :class:`SubmissionResult` (or its dict) as ``results/<stem>.json``."""
    if not isinstance(result, SubmissionResult):
        result = SubmissionResult.from_dict(result)
    return atomic_write(result_path(out_dir, result.file), result.to_json().encode())


def read_results(out_dir, skipped=None, manual: bool = True) -> list[SubmissionResult]:
    """All readable results in ``out_dir/results``, sorted by file name, with the manual
    marks of ``out_dir/manual`` merged in (``manual=False``: as grading left them).

    An unreadable file (corrupt, cut short, wrong schema) is skipped with a
    :class:`ResultFileWarning`; if ``skipped`` is a list, ``(path, reason)`` is appended.
    """
    results = []
    for path in sorted((Path(out_dir) / "results").glob("*.json")):
        try:
            result = SubmissionResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as error:    # JSONDecodeError is a ValueError
            reason = f"{type(error).__name__}: {error}"
            warnings.warn(f"skipping unreadable result file {path}: {reason}",
                          ResultFileWarning, stacklevel=2)
            if skipped is not None:
                skipped.append((path, reason))
            continue
        results.append(result)
    results.sort(key=lambda r: r.file)
    if manual:
        from ..manual import MarkStore, merge     # manual imports this module
        results = merge(results, MarkStore(out_dir).load_all())
    return results
