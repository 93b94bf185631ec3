"""Result files: written atomically under names that cannot leave the output folder, read
back as typed :class:`~grader.result.SubmissionResult` objects.

The batch grader writes one ``results/<stem>.json`` per submission as soon as it is graded,
so an interrupted run keeps everything finished so far. Readers get the results with the
manual marks of ``OUT/manual`` merged in (``grader.manual``): the files themselves hold only
what grading found.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

from ..result import SubmissionResult


from ..files import ResultFileWarning, atomic_write, fsync_dir, result_path, stem  # noqa: F401


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
