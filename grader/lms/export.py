"""``python -m grader export OUT``: grades and feedback in the format an LMS imports.

    python -m grader export graded/ --format moodle --template worksheet.csv \\
        --feedback-zip graded/lms/feedback.zip
    python -m grader export graded/ --format canvas --template gradebook.csv
    python -m grader export graded/ --format long

* ``moodle`` fills Moodle's grading worksheet (``--template``, from "Download grading
  worksheet") with each participant's grade and a short comment, for "Upload grading
  worksheet". Every other cell, ``Last modified (grade)`` included (Moodle uses it to refuse
  overwriting newer grades), is kept as downloaded. ``--feedback-zip`` also writes the HTML
  feedback laid out for "Upload multiple feedback files in a zip": one folder per
  participant named like the submission download's, ``<Full Name>_<id>_assignsubmission_file``
  (Moodle reads the participant id from the second ``_``-separated part of a folder name).
* ``canvas`` fills one assignment column (``--column``, or the one whose title names the
  assignment) of a Canvas gradebook export; the header, the "Points Possible" row and any
  "Manual Posting" row are kept as they are.
* ``long`` writes one row per student and task, with points and max, for item analysis.

Rows are matched to results by the LMS's id (kept from the download by ingest), else by
email, else by matriculation number (Moodle's ``ID number``, Canvas's ``SIS User ID``).
Nothing is dropped silently: a result whose grade could not be written, and a template row
with no result, is listed on the console and in ``unmatched.csv`` next to the output; the
exit status is 1 when some result's grade did not reach the file. Grades are the total
after any late penalty (``grader.lms.late.final_points``); ``--rescale`` scales them to the
LMS's maximum. Outputs are deterministic and written atomically; text a student could
have influenced is neutralised for spreadsheets as in the gradebook.

Sources for the formats (the LMSs' own code): Moodle
``mod/assign/feedback/offline/importgradeslib.php`` and ``locallib.php`` (which columns the
worksheet upload reads, and when it skips a row), ``mod/assign/feedback/file/importziplib.php``
(how a feedback zip's folders are matched to participants); Canvas
``lib/gradebook_exporter.rb`` (the gradebook export's header and leading rows).
"""
from __future__ import annotations

import html
import io
import re
import sys
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import report
from ..files import atomic_write as _atomic_write, stem as _stem
from ..reports.text import csv_cell as _cell, fmt
from ..result import Status
from .errors import LmsError
from .late import final_points, late_line
from .sheets import Roster, Table, norm_email, participant_id, read_table, write_table

FORMATS = ("moodle", "canvas", "long")
DEFAULT_NAMES = {"moodle": "moodle-grading-worksheet.csv", "canvas": "canvas-gradebook.csv",
                 "long": "long.csv"}
UNMATCHED = "unmatched.csv"


class ExportError(LmsError):
    """The export cannot be made (bad template, ambiguous choice); one line."""


@dataclass(frozen=True)
class Problem:
    """A result whose grade did not reach the file (side "result"), or a template row that
    got no result (side "row"); listed in unmatched.csv."""
    side: str
    file: str
    name: str
    matriculation: str
    lms_id: str
    reason: str


@dataclass
class Export:
    path: Path
    filled: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    @property
    def lost(self) -> list[Problem]:
        return [p for p in self.problems if p.side == "result"]


# ---------------------------------------------------------------- choosing results

def select(results: list[dict], assignment: int | None) -> tuple[list[dict], int | None]:
    """The results of one assignment (results of an unknown assignment go with it when the
    output folder holds only one)."""
    numbers = sorted({r.get("assignment") for r in results} - {None})
    if assignment is None:
        if len(numbers) > 1:
            raise ExportError(f"the results are of assignments {', '.join(map(str, numbers))}; "
                              "choose one with --assignment")
        assignment = numbers[0] if numbers else None
    elif assignment not in numbers:
        raise ExportError(f"no results of assignment {assignment} (have: "
                          f"{', '.join(map(str, numbers)) or 'none'})")
    unknown_too = len(numbers) <= 1
    return ([r for r in results if r.get("assignment") == assignment
             or (unknown_too and r.get("assignment") is None)], assignment)


def _describe(result: dict) -> tuple[str, str, str, str]:
    student, lms = result.get("student") or {}, result.get("lms") or {}
    return (result.get("file", ""), student.get("name") or lms.get("name") or "",
            student.get("matriculation") or "", str(lms.get("id") or student.get("lms_id") or ""))


def _problem(side: str, result: dict | None, reason: str, row_who=("", "", "")) -> Problem:
    if result is not None:
        return Problem(side, *_describe(result), reason)
    name, matriculation, lms_id = row_who
    return Problem(side, "", name, matriculation, lms_id, reason)


def result_keys(result: dict, roster: Roster | None) -> dict[str, list[tuple]]:
    """How a result can be found in a template, strongest first."""
    student, lms = result.get("student") or {}, result.get("lms") or {}
    matriculation = student.get("matriculation")
    email = norm_email(student.get("email") or lms.get("email"))
    ids = []
    if lms.get("kind") in ("moodle", "canvas") and lms.get("id"):
        ids.append((lms["kind"], str(lms["id"])))
    person = roster.by("matriculation", matriculation) if roster and matriculation else None
    if person is not None:
        email = email or person.email
        if person.lms_id:
            ids.append(("*", person.lms_id))
    return {"id": ids, "email": [email] if email else [],
            "matriculation": [matriculation] if matriculation else []}


@dataclass
class RowKeys:
    kind: str                       # "moodle" or "canvas"
    id: str | None
    emails: list[str]
    matriculations: list[str]
    who: tuple[str, str, str]       # name, matriculation, id: for messages


def match(results: list[dict], rows: list[RowKeys], roster: Roster | None,
          export: Export) -> dict[int, dict]:
    """Row index -> the one result to write there. Everything else becomes a Problem."""
    by_id, by_email, by_matr = {}, {}, {}
    for index, row in enumerate(rows):
        if row.id:
            by_id.setdefault((row.kind, row.id), []).append(index)
            by_id.setdefault(("*", row.id), []).append(index)
        for email in row.emails:
            by_email.setdefault(email, []).append(index)
        for matr in row.matriculations:
            by_matr.setdefault(matr, []).append(index)
    claims: dict[int, list[dict]] = {}
    for result in sorted(results, key=lambda r: r.get("file", "")):
        keys = result_keys(result, roster)
        found, how = None, ""
        for how, table, values in (("LMS id", by_id, keys["id"]),
                                   ("email", by_email, keys["email"]),
                                   ("matriculation number", by_matr, keys["matriculation"])):
            hits = sorted({i for v in values for i in table.get(v, [])})
            if len(hits) > 1:
                found = []
                export.problems.append(_problem("result", result, f"its {how} matches "
                                                f"{len(hits)} rows of the template"))
                break
            if hits:
                found = hits
                break
        if found is None:
            export.problems.append(_problem("result", result, "no row of the template belongs "
                                            "to this student (by LMS id, email or "
                                            "matriculation number)"))
        elif found:
            row = rows[found[0]]
            email = norm_email((result.get("student") or {}).get("email"))
            if how == "LMS id" and email and row.emails and email not in row.emails:
                export.problems.append(_problem(
                    "result", result, f"the template's row for id {row.id} has the email "
                    f"{row.emails[0]}, the result {email}; not written (wrong worksheet?)"))
                continue
            claims.setdefault(found[0], []).append(result)
    chosen = {}
    for index, claimants in sorted(claims.items()):
        graded = [r for r in claimants if r.get("status") == Status.GRADED]
        if len(claimants) == 1 or len(graded) == 1:
            pick = claimants[0] if len(claimants) == 1 else graded[0]
            chosen[index] = pick
            for other in claimants:
                if other is not pick:
                    export.problems.append(_problem("result", other, "not exported: another "
                                                    f"notebook of this student ({pick['file']}) "
                                                    "was graded"))
            continue
        files = ", ".join(r["file"] for r in claimants)
        for other in claimants:
            export.problems.append(_problem("result", other, f"this student has {len(claimants)} "
                                            f"results ({files}); none exported: keep one "
                                            "(delete the other result files) and export again"))
    for index, row in enumerate(rows):
        if index not in claims:
            export.problems.append(_problem("row", None, "no result (no submission?)", row.who))
    return chosen


# ---------------------------------------------------------------- grades

def _decimal_mark(values: list[str]) -> str:
    """"," when the LMS wrote its numbers with a decimal comma (its locale), else "."."""
    return "," if any(re.fullmatch(r"\s*-?\d+,\d+\s*", v or "") for v in values) else "."


def _number(text: str | None) -> float | None:
    try:
        return float((text or "").strip().replace(",", "."))
    except ValueError:
        return None


def grade_for(result: dict, lms_max: float | None, rescale: bool) -> tuple[float | None, str]:
    """The grade to write, or None and why not."""
    error = result.get("error") or ""
    if result.get("status") == Status.FAILED_GRADER.value:
        return None, f"the grader failed on this file ({error}); grade it by hand"
    points, top = final_points(result), float(result.get("max") or 0.0)
    if rescale and points:
        if not lms_max or not top:
            return None, "cannot --rescale: the LMS's or the result's maximum is unknown"
        points = points * lms_max / top
    if lms_max is not None and points > lms_max + 1e-9:
        return None, (f"{fmt(points)} points is more than the LMS's maximum of {fmt(lms_max)}; "
                      "the LMS would skip it (use --rescale)")
    return points, ""


def _write_number(value: float, mark: str) -> str:
    return fmt(value).replace(".", mark)


def comment(result: dict, grade: float, feedback_file: bool) -> str:
    """Moodle's feedback comment (HTML): short, and nothing a student wrote in it."""
    number = result.get("assignment")
    head = f"Assignment {number}: " if number is not None else ""
    parts = []
    if result.get("status") in (Status.REJECTED, Status.FAILED_GRADER):
        parts.append(f"{head}your file could not be graded: {result.get('error') or 'unknown'}.")
    else:
        parts.append(f"{head}{fmt(result.get('total'))} / {fmt(result.get('max'))} points "
                     "from the autograder.")
    if line := late_line(result):
        parts.append(line if line.endswith(".") else line + ".")
    if fmt(grade) != fmt(result.get("total")) and result.get("status") == Status.GRADED:
        parts.append(f"Grade entered: {fmt(grade)}.")
    if feedback_file:
        parts.append("The attached feedback file shows every check.")
    return html.escape(" ".join(parts), quote=False)


# ---------------------------------------------------------------- moodle

def _moodle_rows(table: Table) -> tuple[list[RowKeys], dict[str, int | None]]:
    cols = {"id": table.column("Identifier"), "grade": table.column("Grade"),
            "max": table.column("Maximum Grade"), "comment": table.column("Feedback comments"),
            "email": table.column("Email address"), "idnumber": table.column("ID number"),
            "name": table.column("Full name"), "changeable": table.column("Grade can be changed")}
    for need, title in (("id", "Identifier"), ("grade", "Grade")):
        if cols[need] is None:
            raise ExportError(f"{table.path}: no '{title}' column; --template must be Moodle's "
                              "grading worksheet ('Download grading worksheet', in English)")
    get = lambda row, k: row[cols[k]].strip() if cols[k] is not None else ""
    rows = []
    for row in table.rows:
        pid = participant_id(get(row, "id"))
        email = norm_email(get(row, "email"))
        rows.append(RowKeys("moodle", pid, [email] if email else [],
                            [get(row, "idnumber")] if get(row, "idnumber") else [],
                            (get(row, "name"), get(row, "idnumber"), pid or "")))
    return rows, cols


def export_moodle(results: list[dict], template: Path, out: Path, *,
                  roster: Roster | None = None, feedback_dir: Path | None = None,
                  feedback_zip: Path | None = None, rescale: bool = False) -> Export:
    table = read_table(template, "grading worksheet")
    keys, cols = _moodle_rows(table)
    export = Export(Path(out))
    chosen = match(results, keys, roster, export)
    mark = _decimal_mark([r[cols["max"]] for r in table.rows] if cols["max"] is not None else [])
    rows = [list(r) for r in table.rows]
    if cols["comment"] is None:
        export.warnings.append("the worksheet has no 'Feedback comments' column (feedback "
                               "comments are off for this assignment); only grades are filled")
    placed = {}
    for index, result in chosen.items():
        lms_max = _number(rows[index][cols["max"]]) if cols["max"] is not None else None
        grade, why = grade_for(result, lms_max, rescale)
        if grade is None:
            export.problems.append(_problem("result", result, why))
            continue
        rows[index][cols["grade"]] = _write_number(grade, mark)
        if cols["comment"] is not None:
            rows[index][cols["comment"]] = _cell(comment(result, grade, feedback_zip is not None))
        changeable = rows[index][cols["changeable"]] if cols["changeable"] is not None else ""
        if changeable.strip().lower() == "no":
            export.warnings.append(f"{result['file']}: Moodle says this grade cannot be changed "
                                   "(locked or overridden); Moodle will skip it")
        placed[index] = result
        export.filled += 1
    _mismatched_max(export, [(r, _number(rows[i][cols["max"]]) if cols["max"] is not None
                              else None) for i, r in placed.items()], rescale)
    _atomic_write(out, write_table(table, rows))
    export.written.append(Path(out))
    if feedback_zip is not None:
        export.written.append(moodle_feedback_zip(placed, table, cols, feedback_dir, feedback_zip,
                                                  export))
    return export


def _mismatched_max(export: Export, pairs: list[tuple[dict, float | None]], rescale: bool):
    if rescale:
        return
    tops = {(fmt(r.get("max")), fmt(m)) for r, m in pairs
            if m is not None and r.get("status") == Status.GRADED and float(r.get("max") or 0) != m}
    for ours, theirs in sorted(tops):
        export.warnings.append(f"results are out of {ours} points but the LMS's maximum is "
                               f"{theirs}; grades were written as points (--rescale scales them)")


def _folder_name(name: str, pid: str) -> str:
    """A participant folder as Moodle's download names it (the name without ``_``, which
    Moodle's import splits on, nor anything a file system or zip reader would balk at)."""
    clean = re.sub(r"[\x00-\x1f/\\:*?\"<>|_]+", " ", name or "")
    clean = " ".join(clean.split()).strip(". ") or "Participant"
    return f"{clean}_{pid}_assignsubmission_file"


def moodle_feedback_zip(placed: dict[int, dict], table: Table, cols: dict, feedback_dir: Path,
                        path: Path, export: Export) -> Path:
    """The feedback HTML of each placed result, in Moodle's folder-per-participant layout."""
    files = {}
    for index, result in sorted(placed.items()):
        row = table.rows[index]
        pid = participant_id(row[cols["id"]]) or ""
        lms = result.get("lms") or {}
        folder = (lms.get("folder") if lms.get("kind") == "moodle" and str(lms.get("id")) == pid
                  and lms.get("folder") else
                  _folder_name(row[cols["name"]] if cols["name"] is not None else "", pid))
        source = Path(feedback_dir) / f"{_stem(result['file'])}.html"
        if not source.is_file():
            export.problems.append(_problem("result", result, f"no feedback file {source.name} "
                                            "(run grade again to write the reports)"))
            continue
        files[f"{folder}/{source.name}"] = source.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))   # deterministic
            info.create_system, info.external_attr = 3, 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return _atomic_write(path, buffer.getvalue())


# ---------------------------------------------------------------- canvas

ASSIGNMENT_COLUMN = re.compile(r"^(?P<title>.*)\((?P<id>\d+)\)\s*$")


def _canvas_column(table: Table, wanted: str | None, assignment: int | None) -> int:
    columns = [i for i, h in enumerate(table.header) if ASSIGNMENT_COLUMN.match(h)]
    if not columns:
        raise ExportError(f"{table.path}: no assignment columns ('Title (id)'); --template must "
                          "be a Canvas gradebook export")
    listing = "; ".join(table.header[i] for i in columns)
    if wanted:
        exact = [i for i in columns if table.header[i].strip() == wanted.strip()
                 or ASSIGNMENT_COLUMN.match(table.header[i])["id"] == wanted.strip()]
        hits = exact or [i for i in columns if wanted.strip().lower() in table.header[i].lower()]
        if len(hits) != 1:
            raise ExportError(f"--column {wanted!r} matches {len(hits)} columns of "
                              f"{table.path.name} (columns: {listing})")
        return hits[0]
    if assignment is not None:
        named = [i for i in columns
                 if re.search(rf"\bassignment[\s_#-]*0*{assignment}\b", table.header[i], re.I)]
        if len(named) == 1:
            return named[0]
    if len(columns) == 1:
        return columns[0]
    raise ExportError(f"{table.path.name} has several assignment columns; choose one with "
                      f"--column (columns: {listing})")


def export_canvas(results: list[dict], template: Path, out: Path, *, column: str | None = None,
                  assignment: int | None = None, roster: Roster | None = None,
                  rescale: bool = False) -> Export:
    table = read_table(template, "Canvas gradebook export")
    id_col = table.column("ID")
    if id_col is None:
        raise ExportError(f"{table.path}: no 'ID' column; --template must be a Canvas gradebook "
                          "export (Grades > Export)")
    col = _canvas_column(table, column, assignment)
    name_col, sis_col, login_col = (table.column("Student"), table.column("SIS User ID"),
                                    table.column("SIS Login ID"))
    export = Export(Path(out))
    export.warnings.append(f"column: {table.header[col]}")
    # Rows before the students: "Points Possible" (and "Manual Posting"): no user id.
    students = [i for i, r in enumerate(table.rows) if r[id_col].strip().isdigit()]
    possible = next((r for r in table.rows if r[0].strip().lower() == "points possible"), None)
    lms_max = _number(possible[col]) if possible else None
    mark = _decimal_mark([possible[col]] if possible else [])
    cell = lambda r, c: r[c].strip() if c is not None else ""
    keys = []
    for i in students:
        row = table.rows[i]
        login = cell(row, login_col)
        keys.append(RowKeys("canvas", cell(row, id_col),
                            [norm_email(login)] if "@" in login else [],
                            [m for m in (cell(row, sis_col), login) if m],
                            (cell(row, name_col), cell(row, sis_col), cell(row, id_col))))
    chosen = match(results, keys, roster, export)
    export.problems = [p for p in export.problems
                       if not (p.side == "row" and p.name.strip() == "Student, Test")]
    rows = [list(r) for r in table.rows]
    placed = []
    for key_index, result in chosen.items():
        index = students[key_index]
        current = rows[index][col].strip().upper()
        if current in ("N/A", "EX"):
            why = ("not assigned to this student in Canvas (N/A)" if current == "N/A"
                   else "excused in Canvas (EX)")
            export.problems.append(_problem("result", result, f"not written: {why}"))
            continue
        grade, why = grade_for(result, lms_max, rescale)
        if grade is None:
            export.problems.append(_problem("result", result, why))
            continue
        rows[index][col] = _write_number(grade, mark)
        placed.append((result, lms_max))
        export.filled += 1
    _mismatched_max(export, placed, rescale)
    _atomic_write(out, write_table(table, rows))
    export.written.append(Path(out))
    return export


# ---------------------------------------------------------------- long

LONG_HEADER = ["assignment", "file", "lms", "lms_id", "name", "matriculation", "email",
               "status", "item", "kind", "title", "points", "max", "item_status"]


def export_long(results: list[dict], out: Path) -> Export:
    """One row per student and task (kind "task"; written questions will add "question"),
    plus a "penalty" row with negative points where a late penalty applies, so the points
    of a student's rows add up to the grade."""
    import csv
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LONG_HEADER)
    ordered = sorted(results, key=lambda r: (report._assignment_key(r.get("assignment")),
                                             r.get("file", "")))
    for r in ordered:
        student, lms, tasks = r.get("student") or {}, r.get("lms") or {}, r.get("tasks") or {}
        who = [r.get("assignment") if r.get("assignment") is not None else "", _cell(r["file"]),
               lms.get("kind") or "", _cell(str(lms.get("id") or "")),
               _cell(student.get("name")), _cell(student.get("matriculation")),
               _cell(student.get("email")), r.get("status", "")]
        if not tasks:
            writer.writerow(who + ["", "submission", "", fmt(r.get("total")), fmt(r.get("max")),
                                   r.get("status", "")])
        for tag in report.task_tags([r]):
            task = tasks[tag]
            writer.writerow(who + [tag, "task", _cell(task.get("title")), fmt(task.get("points")),
                                   fmt(task.get("max")), task.get("status", "")])
        deduction = float(r.get("total") or 0.0) - final_points(r)
        if deduction:
            writer.writerow(who + ["late", "penalty", "late penalty", fmt(-deduction), "", ""])
    _atomic_write(out, buffer.getvalue().encode("utf-8"))
    return Export(Path(out), filled=len(ordered), written=[Path(out)])


# ---------------------------------------------------------------- unmatched.csv

def write_unmatched(problems: list[Problem], path: Path) -> Path:
    """Always written (header only when all is well), so an old list cannot mislead."""
    import csv
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["side", "file", "name", "matriculation", "lms_id", "reason"])
    for p in sorted(set(problems), key=lambda p: (p.side, p.file, p.name, p.lms_id, p.reason)):
        writer.writerow([p.side, _cell(p.file), _cell(p.name), _cell(p.matriculation),
                         _cell(p.lms_id), _cell(p.reason)])
    return _atomic_write(path, buffer.getvalue().encode("utf-8"))


# ---------------------------------------------------------------- command line

def add_arguments(parser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT",
                        help="the output folder of 'grade' (reads OUT/results/*.json)")
    parser.add_argument("--format", required=True, choices=FORMATS,
                        help="moodle: fill Moodle's grading worksheet; canvas: fill a column "
                             "of a Canvas gradebook export; long: one row per student and task")
    parser.add_argument("--template", type=Path, metavar="CSV",
                        help="the LMS's own file to fill: Moodle's grading worksheet or Canvas's "
                             "gradebook export (required for moodle and canvas)")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="where to write (default: OUT/lms/" + DEFAULT_NAMES["moodle"]
                             + ", canvas-gradebook.csv or long.csv); unmatched.csv goes next "
                               "to it")
    parser.add_argument("--feedback-zip", type=Path, metavar="ZIP",
                        help="moodle: also write each student's HTML feedback into a zip for "
                             "'Upload multiple feedback files in a zip'")
    parser.add_argument("--column", metavar="NAME",
                        help="canvas: the assignment column, by title, part of it, or Canvas "
                             "id (default: the column naming the assignment, or the only one)")
    parser.add_argument("-a", "--assignment", type=int,
                        help="which assignment's results to export (needed when OUT holds "
                             "several)")
    parser.add_argument("--roster", type=Path, metavar="CSV",
                        help="class list (matriculation, name, email, lms_id) to find students "
                             "whose results carry no LMS id or email")
    parser.add_argument("--rescale", action="store_true",
                        help="scale grades to the LMS's maximum (Moodle's 'Maximum Grade', "
                             "Canvas's 'Points Possible') instead of writing points")


def run(args) -> int:
    out_dir = Path(args.out)
    if not (out_dir / "results").is_dir():
        print(f"error: {out_dir}: no results folder (run 'grade ... -o {out_dir}' first)")
        return 2
    skipped = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", report.ResultFileWarning)
        results = report.load_results(out_dir, skipped)
    for path, reason in skipped:
        print(f"warning: unreadable result file skipped: {path} ({reason})", file=sys.stderr)
    output = args.output or out_dir / "lms" / DEFAULT_NAMES[args.format]
    try:
        if args.format != "long" and args.template is None:
            own = "grading worksheet" if args.format == "moodle" else "gradebook export"
            raise ExportError(f"--format {args.format} needs --template (the LMS's {own})")
        if args.feedback_zip and args.format != "moodle":
            raise ExportError("--feedback-zip is for --format moodle")
        chosen, number = select(results, args.assignment)
        if not chosen:
            raise ExportError(f"{out_dir / 'results'}: no results to export")
        roster = Roster.load(args.roster) if args.roster else None
        if args.format == "moodle":
            export = export_moodle(chosen, args.template, output, roster=roster,
                                   feedback_dir=out_dir / "feedback",
                                   feedback_zip=args.feedback_zip, rescale=args.rescale)
        elif args.format == "canvas":
            export = export_canvas(chosen, args.template, output, column=args.column,
                                   assignment=number, roster=roster, rescale=args.rescale)
        else:
            export = export_long(chosen, output)
    except LmsError as error:
        print(f"error: {error}")
        return 2
    return _report(export, args.format)


def _report(export: Export, kind: str) -> int:
    for path in export.written:
        print(f"wrote: {path}")
    if kind != "long":
        unmatched = write_unmatched(export.problems, export.path.parent / UNMATCHED)
        print(f"{export.filled} grade(s) filled")
    for line in export.warnings:
        print(f"note: {line}")
    for p in export.lost:
        print(f"NOT EXPORTED: {p.file or p.name}: {p.reason}", file=sys.stderr)
    rows = [p for p in export.problems if p.side == "row"]
    if rows:
        print(f"{len(rows)} row(s) of the template got no result (no submission?)")
    if kind != "long" and export.problems:
        print(f"see {unmatched} for the full list")
    return 1 if export.lost else 0
