"""Command-line options for grading an LMS download, for ``grade``'s ``add_arguments``:

    add_lms_arguments(parser)       # --roster --worksheet --deadline --late --grace --timezone
    options = lms_options(args)           # LmsError (one line) for anything unreadable
    found = ingest(args.paths, workdir, options.roster, options.worksheet, options.timezone)
    ... apply_to_result(result, entry, options.policy, options.roster)
"""
from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .late import LateError, LatePolicy, parse_timezone
from .sheets import Roster, Worksheet


def add_lms_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "LMS downloads and deadlines",
        "SUBMISSION may also be an LMS download: Moodle's 'Download all submissions' or "
        "Canvas's 'Download Submissions' zip, or the folder it was unpacked into.")
    group.add_argument(
        "--roster", type=Path, metavar="CSV",
        help="class list with columns matriculation, name, email, lms_id and optionally "
             "deadline (a per-student extension); resolves who submitted what and lists "
             "students with no submission")
    group.add_argument(
        "--worksheet", type=Path, metavar="CSV",
        help="Moodle's grading worksheet ('Download grading worksheet'): gives each "
             "participant's name, email and submission time ('Last modified (submission)')")
    group.add_argument(
        "--deadline", metavar="WHEN",
        help="the deadline, ISO 8601 with its UTC offset, e.g. 2026-12-01T23:59+01:00")
    group.add_argument(
        "--late", metavar="POLICY",
        help="late penalty on the points earned, per started day (or hour, week), e.g. "
             "'10%%/day, max 5 days, then 0'; '0' makes any late submission score 0; "
             "without it lateness is only recorded")
    group.add_argument(
        "--grace", metavar="DURATION",
        help="grace period after the deadline that still counts as on time, e.g. 15min, 2h")
    group.add_argument(
        "--timezone", metavar="ZONE",
        help="time zone of times that have none (Moodle's worksheet, zip entries, a "
             "deadline without offset), e.g. Europe/Berlin (default: the deadline's offset)")


@dataclass(frozen=True)
class LmsOptions:
    roster: Roster | None
    worksheet: Worksheet | None
    policy: LatePolicy | None          # None when no deadline applies to anyone
    timezone: dt.tzinfo | None


def lms_options(args: argparse.Namespace) -> LmsOptions:
    """Read the files and parse the values named by :func:`add_lms_arguments`."""
    get = lambda name: getattr(args, name, None)
    zone = parse_timezone(get("timezone")) if get("timezone") else None
    policy = None
    if get("deadline") or get("late") or get("grace"):
        policy = LatePolicy.parse(get("deadline"), get("late"), get("grace"), get("timezone"))
    zone = zone or (policy.timezone if policy else None)
    roster = Roster.load(get("roster"), zone) if get("roster") else None
    extensions = roster is not None and any(s.deadline for s in roster.students)
    if policy is not None and policy.deadline is None and not extensions:
        raise LateError("--late and --grace need --deadline (or a roster with a deadline "
                        "column)")
    if policy is None and extensions:
        policy = LatePolicy.parse(timezone=get("timezone"))   # deadlines from the roster only
    worksheet = Worksheet.load(get("worksheet")) if get("worksheet") else None
    return LmsOptions(roster, worksheet, policy, zone)
