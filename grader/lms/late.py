"""Deadlines and late policies: read them, and say what a late submission costs.

    policy = LatePolicy.parse(deadline="2026-12-01T23:59+01:00",
                              late="10%/day, max 5 days, then 0", grace="15min",
                              timezone="Europe/Berlin")
    fraction, why = penalty(entry, policy)          # 0.2, "submitted 1 d 3 h late ..."

The rules (the README states them for instructors):

* lateness = submission time - deadline; a roster's per-student ``deadline`` (an extension)
  replaces ``--deadline`` for that student;
* within the grace period a submission counts as on time; past it, lateness still counts
  from the deadline itself;
* ``P%/day`` (or ``/hour``, ``/week``) takes P% of the points the student earned per
  *started* day late; ``max N days`` stops counting at N days; with ``then 0`` a submission
  more than N days late scores 0; ``--late 0`` makes any late submission score 0;
* without ``--late`` nothing is deducted: lateness is recorded and shown, nothing more;
* a submission whose time is unknown gets no penalty; it is marked for review instead. A
  Canvas submission that Canvas itself marked ``LATE`` (its download has no times) is
  counted as one started unit late, the least it can be, and marked for review.

The penalty is stored as a *fraction* of the total, so the points deducted follow the total
if the submission is regraded: ``final = total * (1 - fraction)``, never below 0. Naive
times (a Moodle worksheet has no time zone, nor does a zip entry) are read in
``--timezone``, else in the deadline's own UTC offset.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..reports.late import final_points, late_line  # noqa: F401 (part of the LMS API)
from .errors import LmsError

if TYPE_CHECKING:    # only for type hints; ingest imports this module
    from .intake import Entry
    from .sheets import Roster


class LateError(LmsError, ValueError):
    """An option or cell that cannot be read; the message is one line naming it."""


UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
         "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
         "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
         "d": 86400, "day": 86400, "days": 86400,
         "w": 604800, "week": 604800, "weeks": 604800}
PERIODS = {"hour": 3600, "day": 86400, "week": 604800}


def parse_timezone(name: str) -> dt.tzinfo:
    """An IANA zone (``Europe/Berlin``), ``UTC``, or a fixed offset (``+01:00``)."""
    text = name.strip()
    if text.upper() in ("UTC", "Z"):
        return dt.timezone.utc
    if m := re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})", text):
        sign = 1 if m.group(1) == "+" else -1
        return dt.timezone(sign * dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise LateError(f"--timezone {name!r}: unknown time zone "
                        "(use a name such as Europe/Berlin, or an offset such as +01:00)") from None


def parse_time(text: str, tz: dt.tzinfo | None = None, what: str = "--deadline") -> dt.datetime:
    """An ISO 8601 date and time; a time without a UTC offset is read in ``tz``."""
    raw = text.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}", raw):
        raise LateError(f"{what} {text!r}: not a date and time; write it like "
                        "2026-12-01T23:59+01:00")
    try:
        value = dt.datetime.fromisoformat(re.sub(r"[Zz]$", "+00:00", raw))
    except ValueError:
        raise LateError(f"{what} {text!r}: not a valid date and time; write it like "
                        "2026-12-01T23:59+01:00") from None
    if value.tzinfo is None:
        if tz is None:
            raise LateError(f"{what} {text!r}: no time zone; add the UTC offset "
                            "(2026-12-01T23:59+01:00) or pass --timezone")
        value = value.replace(tzinfo=tz)
    return value


def parse_duration(text: str, what: str = "--grace") -> dt.timedelta:
    """``15min``, ``2h``, ``1 day``, ``1h30min``."""
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)", text)
    rebuilt = "".join(re.sub(r"\s+", "", f"{n}{u}") for n, u in parts)
    if not parts or rebuilt != re.sub(r"\s+", "", text) \
            or any(u.lower() not in UNITS for _, u in parts):
        raise LateError(f"{what} {text!r}: not a duration; write it like 15min, 2h or 1day")
    return dt.timedelta(seconds=sum(float(n) * UNITS[u.lower()] for n, u in parts))


def span(delta: dt.timedelta) -> str:
    """A duration for people: ``1 d 3 h 5 min``, ``40 s``."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) \
        + [f"{minutes} min"] * bool(minutes)
    return " ".join(parts) if parts else f"{secs} s"


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100, 4):g}%"


@dataclass(frozen=True)
class LatePolicy:
    """A deadline and what lateness costs; build it with :meth:`parse`."""
    deadline: dt.datetime | None = None
    timezone: dt.tzinfo | None = None     # for naive times (worksheet, zip entries)
    grace: dt.timedelta = dt.timedelta(0)
    rate: float | None = None             # fraction of the points per started period
    period: str | None = None             # "hour", "day" or "week"
    max_periods: int | None = None
    zero_after_max: bool = False
    zero: bool = False                    # any late submission scores 0
    text: str = ""                        # as given, for the record

    @classmethod
    def parse(cls, deadline: str | None = None, late: str | None = None,
              grace: str | None = None, timezone: str | None = None) -> "LatePolicy":
        tz = parse_timezone(timezone) if timezone else None
        when = parse_time(deadline, tz, "--deadline") if deadline else None
        fields: dict[str, Any] = {}
        if late is not None:
            fields = _parse_late(late)
        gap = parse_duration(grace) if grace else dt.timedelta(0)
        text = "; ".join(part for part in (late and late.strip(),
                                           grace and f"grace {grace.strip()}") if part)
        return cls(deadline=when, timezone=tz or (when.tzinfo if when else None), grace=gap,
                   text=text or "no late policy", **fields)

    @property
    def deducts(self) -> bool:
        return self.zero or self.rate is not None

    def fraction(self, late_by: dt.timedelta) -> tuple[float, str]:
        """The share of the points lost for being ``late_by`` late, and why."""
        if late_by <= dt.timedelta(0):
            return 0.0, "on time"
        if late_by <= self.grace:
            return 0.0, f"within the grace period of {span(self.grace)}: no deduction"
        if self.zero:
            return 1.0, "late submissions score 0"
        if self.rate is None or self.period is None:
            return 0.0, "no late policy given: nothing deducted"
        count = math.ceil(late_by.total_seconds() / PERIODS[self.period])
        unit = self.period + "s" * (count != 1)
        if self.max_periods is not None and count > self.max_periods:
            if self.zero_after_max:
                return 1.0, (f"more than {self.max_periods} {self.period}s late "
                             f"({count} started {unit}): scores 0")
            capped = min(1.0, self.rate * self.max_periods)
            return capped, (f"{count} started {unit} late, counted as at most "
                            f"{self.max_periods}: {_percent(capped)} deducted")
        taken = min(1.0, self.rate * count)
        return taken, (f"{count} started {unit} late x {_percent(self.rate)} per "
                       f"{self.period}: {_percent(taken)} deducted")

    def describe(self) -> str:
        return self.text


def _parse_late(text: str) -> dict[str, Any]:
    example = "write it like '10%/day, max 5 days, then 0', or '0' (late scores 0)"
    parts = [p.strip().lower() for p in text.split(",") if p.strip()]
    if parts in (["0"], ["zero"]):
        return {"zero": True}
    fields: dict[str, Any] = {}
    max_unit = None
    for part in parts:
        if m := re.fullmatch(r"(\d+(?:\.\d+)?)\s*%\s*(?:/|per\s+|a\s+)\s*(hour|day|week)s?", part):
            fields["rate"], fields["period"] = float(m.group(1)) / 100, m.group(2)
        elif m := re.fullmatch(r"max(?:imum)?\.?\s+(\d+)\s*(hour|day|week)s?", part):
            fields["max_periods"], max_unit = int(m.group(1)), m.group(2)
        elif re.fullmatch(r"then\s+(?:0|zero)(?:\s*points?)?", part):
            fields["zero_after_max"] = True
        else:
            raise LateError(f"--late {text!r}: cannot read {part!r}; {example}")
    if "rate" not in fields:
        raise LateError(f"--late {text!r}: no rate such as 10%/day; {example}")
    if not 0 < fields["rate"] <= 1:
        raise LateError(f"--late {text!r}: the rate must be between 0% and 100%")
    if max_unit is not None and max_unit != fields["period"]:
        raise LateError(f"--late {text!r}: the maximum is in {max_unit}s but the rate is per "
                        f"{fields['period']}; use the same unit")
    if fields.get("zero_after_max") and "max_periods" not in fields:
        raise LateError(f"--late {text!r}: 'then 0' needs a maximum such as 'max 5 days'")
    return fields


# ---------------------------------------------------------------- one submission

@dataclass(frozen=True)
class Lateness:
    """What the policy says about one submission (stored in a result as ``late``)."""
    deadline: dt.datetime | None
    deadline_source: str          # "--deadline" or "roster (extension)"
    submitted: dt.datetime | None
    source: str                   # where the submission time came from
    seconds_late: int | None      # None when the time is unknown
    fraction: float
    explanation: str
    review: bool                  # a person should look: the time was unknown or guessed
    policy: str

    def as_dict(self) -> dict[str, Any]:
        iso = lambda t: t.isoformat(timespec="seconds") if t else None
        return {"deadline": iso(self.deadline), "deadline_source": self.deadline_source,
                "submitted": iso(self.submitted), "source": self.source,
                "seconds_late": self.seconds_late, "fraction": self.fraction,
                "explanation": self.explanation, "review": self.review, "policy": self.policy}


def _deadline(entry: "Entry", policy: LatePolicy, roster: "Roster | None"):
    student = roster.find_for(entry) if roster is not None else None
    own = student.deadline if student is not None else entry.student.deadline
    if own is not None:
        return own, "roster (extension)"
    return policy.deadline, "--deadline"


def assess(entry: "Entry", policy: LatePolicy, roster: "Roster | None" = None) -> Lateness:
    """Everything the policy says about ``entry``'s submission time."""
    deadline, whose = _deadline(entry, policy, roster)
    submitted = entry.submitted
    if submitted is not None and submitted.tzinfo is None:
        zone = policy.timezone or (deadline.tzinfo if deadline else None)
        submitted = submitted.replace(tzinfo=zone) if zone else None
    make = lambda seconds, fraction, why, review=False: Lateness(
        deadline, whose, submitted, entry.submitted_source, seconds, fraction, why, review,
        policy.describe())
    if deadline is None:
        return make(None, 0.0, "no deadline given")
    if submitted is None:
        if entry.late_marker:       # Canvas: late by its own due date, time not in the download
            head = "Canvas marks this submission late, but its download has no submission times"
            if not policy.deducts:
                return make(None, 0.0, f"{head}; no late policy given: nothing deducted", True)
            if policy.grace > dt.timedelta(0):
                return make(None, 0.0, f"{head}, and it may be within the grace period: "
                            "nothing deducted", True)
            fraction, why = policy.fraction(dt.timedelta(seconds=1))
            return make(None, fraction, f"{head}, so it counts as late by the least amount: "
                        f"{why}", True)
        if entry.lms == "canvas":
            return make(None, 0.0, "on time: Canvas did not mark it late (its download has no "
                        "submission times)")
        reason = re.sub(r"^unknown: ", "", entry.submitted_source)
        return make(None, 0.0, f"submission time unknown ({reason}); no late penalty applied",
                    review=True)
    late_by = submitted - deadline
    fraction, why = policy.fraction(late_by)
    if late_by <= dt.timedelta(0):
        return make(0, 0.0, "on time")
    stamp = submitted.isoformat(sep=" ", timespec="minutes")
    return make(int(late_by.total_seconds()), fraction,
                f"submitted {span(late_by)} late ({stamp}, from the {entry.submitted_source}); "
                f"{why}")


def penalty(entry: "Entry", policy: LatePolicy,
            roster: "Roster | None" = None) -> tuple[float, str]:
    """``(fraction of the total to deduct, one-line explanation)`` for ``entry``."""
    lateness = assess(entry, policy, roster)
    return lateness.fraction, lateness.explanation


# ---------------------------------------------------------------- results

