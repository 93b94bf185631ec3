"""Reports from per-submission result files: gradebook, student feedback, class summary.

Everything in the output folder except ``results/`` and ``manual/`` is derived from those
two by :func:`write_reports` and can be regenerated at any time, without regrading
(``python -m grader report OUT``)::

    out/results/<stem>.json     one result per submission (write_result), as grading found it
    out/manual/                 the markers' marks of written answers (grader.manual)
    out/gradebook.csv           one row per submission (grader.reports.gradebook)
    out/feedback/<stem>.html    for the student, printable (grader.reports.feedback)
    out/feedback/<stem>.md      the same as Markdown, e.g. for an LMS comment box
    out/summary.png, .md        class statistics for the instructor (grader.reports.summary)

All outputs are deterministic (no timestamps, fixed ordering and number formatting), so two
runs over the same results and marks can be compared byte for byte. All writes are atomic.
Each output has its module in ``grader/reports/``; this module keeps the names other
modules use (``write_result``, ``load_results``, ``write_reports``, ...).
"""
from __future__ import annotations

import os  # noqa: F401 (tests stop os.replace through report.os to simulate a crash)
from pathlib import Path

from .reports.feedback import ORIGIN_TITLES, TASK_STATUS, as_handed_out, origins, \
    write_feedback  # noqa: F401 (re-exported)
from .reports.files import ResultFileWarning, as_result, atomic_write, read_results, \
    result_path, stem, write_result  # noqa: F401 (re-exported)
from .reports.gradebook import write_gradebook as _write_gradebook
from .reports.summary import task_stats, write_summary  # noqa: F401 (re-exported)
from .reports.text import assignment_key as _assignment_key, csv_cell as _cell, fmt, \
    md_code, md_escape, task_tags as _task_tags  # noqa: F401 (re-exported)
from .result import SCHEMA  # noqa: F401 (re-exported)

# the names batch.py, collect.py, grader/lms and the tests use
_stem, _atomic_write = stem, atomic_write


def load_results(out_dir, skipped=None):
    """All readable results in ``out_dir/results`` as dicts of the current schema, sorted by
    file name, with the manual marks merged in (for callers that work on dicts, such as the
    LMS export; the reports use :func:`read_results`). An unreadable file is skipped with a
    :class:`ResultFileWarning`; if ``skipped`` is a list, ``(path, reason)`` is appended."""
    return [result.to_dict() for result in read_results(out_dir, skipped)]


def task_tags(results):
    """Union of task tags of results (or their dicts), in spec order."""
    return _task_tags([as_result(r) for r in results])


def write_gradebook(results, path, missing=()):
    """``gradebook.csv`` from results (or their dicts); see grader.reports.gradebook."""
    return _write_gradebook([as_result(r) for r in results], path, missing)


def write_reports(out_dir, missing=()):
    """Regenerate every report from ``out_dir/results`` and the marks in ``out_dir/manual``;
    returns the paths written. ``missing``: roster students with no submission (dicts:
    name, matriculation, email), listed in the gradebook."""
    out_dir, skipped = Path(out_dir), []
    results = read_results(out_dir, skipped)
    feedback = [path for r in results for path in write_feedback(r, out_dir)]
    return {"gradebook": _write_gradebook(results, out_dir / "gradebook.csv", missing),
            "feedback": feedback,
            "summary": write_summary(results, out_dir, skipped),
            "skipped": [path for path, _ in skipped]}
