"""The spreadsheets around an LMS round trip: reading CSVs as their LMS wrote them, the
instructor's roster, and Moodle's grading worksheet.

A CSV is read as UTF-8 (with or without a byte-order mark); its delimiter (``,`` ``;`` or a
tab, depending on the LMS's locale settings) and line ends are kept, so a filled template
can be written back in exactly the dialect it came in (:func:`write_table`).

Roster (``--roster roster.csv``), one row per student; column names are matched without
regard to case, spaces or underscores::

    matriculation,name,email,lms_id,deadline
    12345678,Ada Lovelace,ada@uni.example,17,
    23456789,Grace Hopper,grace@uni.example,18,2026-12-08T23:59+01:00

``lms_id`` is the Canvas user id (stable), or Moodle's participant id (Moodle numbers
participants per assignment, so for Moodle ``email`` is the better key). ``deadline`` is an
optional per-student deadline (an extension); without an offset it is read in
``--timezone``.

Moodle's grading worksheet ("Download grading worksheet") has the columns ``Identifier``
(``Participant 17``), ``Full name``, ``Email address``, maybe identity fields such as
``ID number``, ``Status``, ``Grade``, ``Maximum Grade``, ``Grade can be changed``,
``Last modified (submission)``, ``Last modified (grade)`` and ``Feedback comments``.
Its times are in the downloading user's Moodle time zone, without an offset, in the
format ``Tuesday, 1 December 2026, 11:59 PM``.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import LmsError
from .late import LateError, parse_time

if TYPE_CHECKING:
    from .intake import Entry


class SheetError(LmsError, ValueError):
    """A CSV that cannot be used; the message is one line naming the file (and row)."""


# ---------------------------------------------------------------- CSV as the LMS wrote it

@dataclass
class Table:
    path: Path
    header: list[str]
    rows: list[list[str]]
    delimiter: str = ","
    bom: bool = False
    newline: str = "\n"

    def column(self, *names: str) -> int | None:
        """Index of the first column called one of ``names`` (case and spacing ignored)."""
        wanted = [_key(n) for n in names]
        for want in wanted:
            for index, title in enumerate(self.header):
                if _key(title) == want:
                    return index
        return None


def _key(title: str) -> str:
    return re.sub(r"[\s_\-]+", " ", title.strip().lower())


def read_table(path: Path, what: str = "CSV file") -> Table:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SheetError(f"{path}: cannot read the {what} ({error.strerror or error})") from None
    bom = raw.startswith(codecs.BOM_UTF8)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SheetError(f"{path}: the {what} is not UTF-8 text (byte {error.start}); "
                         "save it as 'CSV UTF-8'") from None
    if not text.strip():
        raise SheetError(f"{path}: the {what} is empty")
    first = text.splitlines()[0]
    delimiter = max([",", ";", "\t"], key=first.count)     # ties: the comma (listed first)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header, body = rows[0], [r for r in rows[1:] if any(cell.strip() for cell in r)]
    width = len(header)
    body = [r + [""] * (width - len(r)) if len(r) < width else r for r in body]
    return Table(path, header, body, delimiter, bom, "\r\n" if "\r\n" in text else "\n")


def write_table(table: Table, rows: list[list[str]]) -> bytes:
    """``rows`` under ``table``'s header, in ``table``'s dialect (delimiter, BOM, line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=table.delimiter, lineterminator=table.newline)
    writer.writerow(table.header)
    writer.writerows(rows)
    return (codecs.BOM_UTF8 if table.bom else b"") + buffer.getvalue().encode("utf-8")


def norm_email(text: str | None) -> str | None:
    text = (text or "").strip().casefold()
    return text or None


# ---------------------------------------------------------------- roster

ROSTER_COLUMNS = {
    "matriculation": ("matriculation", "matriculation number", "matriculation no",
                      "matrikelnummer", "student id", "student number", "id number",
                      "sis user id"),
    "name": ("name", "full name", "student", "student name"),
    "email": ("email", "email address", "e mail", "mail"),
    "lms_id": ("lms id", "participant id", "participant", "user id", "canvas user id"),
    "deadline": ("deadline", "due", "due date", "extension"),
}


@dataclass(frozen=True)
class RosterStudent:
    matriculation: str | None
    name: str | None
    email: str | None
    lms_id: str | None
    deadline: dt.datetime | None
    row: int                        # 1-based line in the roster file, for messages


@dataclass
class Roster:
    path: Path
    students: list[RosterStudent] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path, timezone: dt.tzinfo | None = None) -> "Roster":
        table = read_table(path, "roster")
        cols = {k: table.column(*names) for k, names in ROSTER_COLUMNS.items()}
        if all(cols[k] is None for k in ("matriculation", "email", "lms_id")):
            raise SheetError(f"{path}: the roster needs a column 'matriculation', 'email' or "
                             f"'lms_id' (found: {', '.join(table.header)})")
        roster, seen = cls(Path(path)), {}
        for number, row in enumerate(table.rows, start=2):
            get = lambda k: (row[cols[k]].strip() or None) if cols[k] is not None else None
            deadline = None
            if get("deadline"):
                try:
                    deadline = parse_time(get("deadline"), timezone,
                                          f"{Path(path).name} row {number}: deadline")
                except LateError as error:
                    raise SheetError(str(error)) from None
            student = RosterStudent(get("matriculation"), get("name"), norm_email(get("email")),
                                    get("lms_id"), deadline, number)
            for kind in ("matriculation", "email", "lms_id"):
                value = getattr(student, kind)
                if value is not None and (kind, value) in seen:
                    raise SheetError(f"{path} row {number}: {kind} {value} is also in row "
                                     f"{seen[kind, value]}")
                if value is not None:
                    seen[kind, value] = number
            roster.students.append(student)
        return roster

    def by(self, kind: str, value: str | None) -> RosterStudent | None:
        if value is None:
            return None
        value = norm_email(value) if kind == "email" else str(value).strip()
        return next((s for s in self.students if getattr(s, kind) == value), None)

    def find_for(self, entry: "Entry") -> RosterStudent | None:
        """The roster row of the student ``entry`` was recorded under, if any."""
        who = entry.student
        return (self.by("lms_id", who.lms_id) or self.by("email", who.email)
                or self.by("matriculation", who.matriculation))


# ---------------------------------------------------------------- Moodle's grading worksheet

MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december"
    .split(), 1)}
MONTHS.update({m: i for i, m in enumerate(   # German Moodle: "Dienstag, 1. Dezember 2026, 23:59"
    "januar februar märz april mai juni juli august september oktober november dezember"
    .split(), 1)})
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9

MOODLE_TIME = re.compile(
    r"^(?:[^\W\d_]+,?\s+)?(\d{1,2})\.?\s+([^\W\d_]+)\.?,?\s+(\d{4}),?\s+"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp])?\.?\s*[Mm]?\.?$")


def parse_moodle_time(text: str) -> dt.datetime | None:
    """A worksheet time (``Tuesday, 1 December 2026, 11:59 PM``) as a naive datetime;
    None for ``-`` or an empty cell (no submission). Raises ValueError otherwise."""
    text = " ".join(text.split())
    if text in ("", "-"):
        return None
    if m := MOODLE_TIME.match(text):
        day, month, year, hour, minute, second, half = m.groups()
        month_no = MONTHS.get(month.lower())
        if month_no is None:
            raise ValueError(f"unknown month {month!r}")
        hour_no = int(hour)
        if half:
            if not 1 <= hour_no <= 12:
                raise ValueError(f"hour {hour_no} with AM/PM")
            hour_no = hour_no % 12 + (12 if half.lower() == "p" else 0)
        return dt.datetime(int(year), month_no, int(day), hour_no, int(minute), int(second or 0))
    return dt.datetime.fromisoformat(text)      # e.g. a worksheet edited in a spreadsheet


@dataclass(frozen=True)
class WorksheetRow:
    participant: str                # "17" from "Participant 17"
    name: str | None
    email: str | None
    id_number: str | None
    status: str | None
    submitted: dt.datetime | None   # naive, in the Moodle user's time zone
    row: int


@dataclass
class Worksheet:
    path: Path
    rows: dict[str, WorksheetRow] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "Worksheet":
        table = read_table(path, "grading worksheet")
        ident = table.column("Identifier")
        if ident is None:
            raise SheetError(f"{path}: no 'Identifier' column; is this Moodle's grading "
                             "worksheet (downloaded with Moodle in English)?")
        cols = {"name": table.column("Full name"), "email": table.column("Email address"),
                "id_number": table.column("ID number"), "status": table.column("Status"),
                "submitted": table.column("Last modified (submission)")}
        sheet = cls(Path(path))
        for number, row in enumerate(table.rows, start=2):
            participant = participant_id(row[ident])
            if participant is None:
                raise SheetError(f"{path} row {number}: cannot read the participant number "
                                 f"in {row[ident]!r}")
            get = lambda k: (row[cols[k]].strip() or None) if cols[k] is not None else None
            try:
                submitted = parse_moodle_time(get("submitted") or "")
            except ValueError:
                raise SheetError(f"{path} row {number}: cannot read 'Last modified "
                                 f"(submission)' {get('submitted')!r}; expected e.g. "
                                 "'Tuesday, 1 December 2026, 11:59 PM'") from None
            sheet.rows[participant] = WorksheetRow(participant, get("name"),
                                                   norm_email(get("email")), get("id_number"),
                                                   get("status"), submitted, number)
        return sheet


def participant_id(identifier: str) -> str | None:
    """``Participant 17`` -> ``17`` (the number Moodle's folders and import use)."""
    m = re.search(r"(\d+)\s*$", identifier or "")
    return str(int(m.group(1))) if m else None
