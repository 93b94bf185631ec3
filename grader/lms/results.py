"""What an ingested entry adds to its result (schema ``nncourse-result/1``).

    result = grader.grade(entry.path, number)
    apply_to_result(result, entry, policy, roster)
    report.write_result(result, out_dir)

adds, next to today's fields::

    "lms":     {"kind": "moodle", "id": "17", "file_id": null, "name": "Ada Lovelace",
                "email": "ada@uni.example", "folder": "Ada Lovelace_17_assignsubmission_file",
                "source": "moodle.zip:Ada Lovelace_17_assignsubmission_file/A1.ipynb",
                "original_name": "A1.ipynb", "submitted": "2026-12-01T22:10:00",
                "submitted_source": "Moodle grading worksheet", "late_marker": false,
                "resubmission": null}
    "late":    {"deadline": ..., "deadline_source": "--deadline", "submitted": ...,
                "source": ..., "seconds_late": 3600, "fraction": 0.1,
                "explanation": "submitted 1 h late (...); 1 started day late x 10% ...",
                "review": false, "policy": "10%/day, max 5 days, then 0"}
                (only when a deadline applies)
    "student": name, matriculation and email of the LMS participant (from the roster when
               it has them), plus "lms_id" and "source"; the file name's identity stays in
               "lms"."original_name" and in the flags when it names someone else.

``total`` stays the points earned; the late penalty is kept as a fraction and applied by
:func:`grader.lms.late.final_points` (``total * (1 - fraction)``), so a regrade cannot
leave a stale deduction behind.
"""
from __future__ import annotations

from typing import Any

from .intake import Entry, _iso
from .late import LatePolicy, assess
from .sheets import Roster


def lms_fields(entry: Entry) -> dict[str, Any]:
    """``result["lms"]``: where the file came from and what the LMS said about it."""
    return {"kind": entry.lms, "id": entry.lms_id, "file_id": entry.lms_file_id,
            "name": entry.lms_name, "email": entry.email, "folder": entry.folder,
            "source": entry.source, "original_name": entry.original_name,
            "submitted": _iso(entry.submitted), "submitted_source": entry.submitted_source,
            "late_marker": entry.late_marker, "resubmission": entry.resubmission}


def student_fields(entry: Entry) -> dict[str, Any]:
    """``result["student"]``: the person the LMS (or roster) says submitted the file."""
    who = entry.student
    return {"name": who.name, "matriculation": who.matriculation, "email": who.email,
            "lms_id": who.lms_id, "source": who.source, "name_ok": who.name is not None}


def late_fields(entry: Entry, policy: LatePolicy | None,
                roster: Roster | None = None) -> dict[str, Any] | None:
    """``result["late"]``, or None when no deadline applies to this student."""
    if policy is None:
        return None
    lateness = assess(entry, policy, roster)
    return lateness.as_dict() if lateness.deadline is not None else None


def apply_to_result(result: dict, entry: Entry, policy: LatePolicy | None = None,
                    roster: Roster | None = None) -> dict:
    """Add ``lms``, ``late`` and the LMS identity to ``result`` (in place; returned too)."""
    result["lms"] = lms_fields(entry)
    result["student"] = {**(result.get("student") or {}), **student_fields(entry)}
    flags = list(result.get("flags") or [])
    late = late_fields(entry, policy, roster)
    if late is not None:
        result["late"] = late
        if late["review"]:
            entry_flag = f"check the submission time: {late['explanation']}"
            flags.append(entry_flag)
    result["flags"] = flags + [f for f in entry.flags if f not in flags]
    return result
