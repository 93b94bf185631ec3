"""The late penalty as reports show it: the total after it, and the line that explains it.

The penalty itself is decided when a submission is ingested (``grader.lms.late``) and stored in
the result as a fraction (``result["late"]``), so a regrade never leaves a stale deduction.
"""
from __future__ import annotations

from .text import fmt


def final_points(result: dict) -> float:
    """The total after the late penalty stored in ``result["late"]`` (if any), >= 0."""
    total = float(result.get("total") or 0.0)
    fraction = float((result.get("late") or {}).get("fraction") or 0.0)
    return max(0.0, total * (1.0 - fraction))


def late_line(result: dict) -> str | None:
    """The separate line for feedback and comments, or None when nothing is to be said."""
    late = result.get("late") or {}
    if not late or (not late.get("seconds_late") and not late.get("review")):
        return None
    deducted = float(result.get("total") or 0.0) - final_points(result)
    fraction = late.get("fraction") or 0
    head = (f"Late penalty: -{fmt(deducted)} points ({round(fraction * 100, 4):g}%)"
            if fraction else "Late submission: no points deducted")
    return f"{head}. {late.get('explanation', '')}".strip()
