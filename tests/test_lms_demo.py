"""The LMS round trip on the demo class: Assignment 2's example submissions, downloaded from
Moodle and from Canvas as those systems package them, graded with a deadline and a late
policy, then exported in the LMS's own formats and read back with a CSV reader.
"""
import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "data" / "examples").glob("Assignment_2_*.ipynb"))
# (full name, Moodle participant id, Canvas user id, matriculation, submitted, Canvas late)
PEOPLE = [("Ada Lovelace", "17", "1001", "10000001", "Tuesday, 1 December 2026, 10:00 PM", False),
          ("Alan Turing", "18", "1002", "10000002", "Thursday, 3 December 2026, 9:00 AM", True),
          ("Grace Hopper", "19", "1003", "10000003", "Tuesday, 1 December 2026, 11:00 PM", False),
          ("Katherine Johnson", "20", "1004", "10000004", "Wednesday, 2 December 2026, 8:00 AM",
           True)]
DEADLINE = "2026-12-01T23:59+01:00"
POLICY = ["--deadline", DEADLINE, "--late", "10%/day, max 5 days, then 0",
          "--timezone", "+01:00"]
MOODLE_HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade",
                 "Maximum Grade", "Grade can be changed", "Last modified (submission)",
                 "Last modified (grade)", "Feedback comments"]
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                 "Assignment 2: Backpropagation (70002)", "Current Points", "Final Points"]


def _example(person):
    name = person[0].replace(" ", "")
    return next(p for p in EXAMPLES if f"_{name}_" in p.name)


def _email(person):
    return person[0].split()[0].lower() + "@uni.example"


def _write_csv(path, rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _read_csv(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def _grader(*args, cwd):
    done = subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=900)
    return done


@pytest.fixture(scope="module")
def moodle(tmp_path_factory):
    """A Moodle download (one folder per participant) and its grading worksheet, graded."""
    folder = tmp_path_factory.mktemp("moodle")
    download = folder / "COURSE-Assignment 2-7.zip"
    with zipfile.ZipFile(download, "w") as archive:
        for person in PEOPLE:
            path = _example(person)
            archive.write(path, f"{person[0]}_{person[1]}_assignsubmission_file/{path.name}")
    worksheet = _write_csv(folder / "Grades-COURSE-Assignment 2-7.csv", [MOODLE_HEADER] + [
        [f"Participant {p[1]}", p[0], _email(p), "Submitted for grading", "", "100.00",
         "Yes", p[4], "-", ""] for p in PEOPLE])
    out = folder / "out"
    done = _grader("grade", download, "-a", "2", "-o", out, "-j", "2", "--no-progress",
                   "--worksheet", worksheet, *POLICY, cwd=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    return out, worksheet, done


@pytest.fixture(scope="module")
def canvas(tmp_path_factory):
    """A Canvas download (files renamed, _LATE_ for late ones) and a gradebook export."""
    folder = tmp_path_factory.mktemp("canvas")
    download = folder / "submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:
        for person in PEOPLE:
            last, first = person[0].split()[1].lower(), person[0].split()[0].lower()
            late = "_LATE" if person[5] else ""
            archive.write(_example(person), f"{last}{first}{late}_{person[2]}_"
                                            f"{int(person[2]) + 4000}_{_example(person).name}")
    gradebook = _write_csv(folder / "gradebook.csv", [
        CANVAS_HEADER, ["", "", "", "", "", "Manual Posting", "", ""],
        ["    Points Possible", "", "", "", "", "100.00", "(read only)", "(read only)"],
        *[[f"{p[0].split()[1]}, {p[0].split()[0]}", p[2], p[3], _email(p).split("@")[0],
           "Course A", "", "", ""] for p in PEOPLE]])
    out = folder / "out"
    done = _grader("grade", download, "-a", "2", "-o", out, "-j", "2", "--no-progress",
                   *POLICY, cwd=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    return out, gradebook, done


def _gradebook(out):
    return {row["name"]: row for row in csv.DictReader(
        io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8"), newline=""))}


def test_moodle_download_grades_under_the_lms_identities_with_late_penalties(moodle):
    out, _, done = moodle
    assert "4 submission(s), 4 graded" in done.stdout
    rows = _gradebook(out)
    assert sorted(rows) == sorted(p[0] for p in PEOPLE)
    results = [json.loads(p.read_text()) for p in (out / "results").glob("*.json")]
    lms = {r["student"]["name"]: r["lms"] for r in results}
    for person in PEOPLE:
        row = rows[person[0]]
        assert row["matriculation"] == person[3]
        assert "does not match" not in row["flags"]          # the LMS says who it is
        assert (lms[person[0]]["kind"], lms[person[0]]["id"]) == ("moodle", person[1])
        assert lms[person[0]]["email"] == _email(person)
    # Alan: 3 December 9:00 is 2 started days late: 20 %; Katherine: 1 day: 10 %
    for name, fraction in [("Ada Lovelace", 0), ("Grace Hopper", 0), ("Alan Turing", 0.2),
                           ("Katherine Johnson", 0.1)]:
        total, final = float(rows[name]["total"]), float(rows[name]["final"])
        assert final == pytest.approx(total * (1 - fraction)), name
    feedback = next((out / "feedback").glob("*Alan*.md")).read_text()
    assert "Late penalty" in feedback and "20%" in feedback


def test_moodle_worksheet_export_keeps_moodles_header_and_fills_every_row(moodle, tmp_path):
    out, worksheet, _ = moodle
    filled, archive = tmp_path / "upload.csv", tmp_path / "feedback.zip"
    done = _grader("export", out, "--format", "moodle", "--template", worksheet, "-o", filled,
                   "--feedback-zip", archive, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = _read_csv(filled)
    assert rows[0] == MOODLE_HEADER
    grades = {row[1]: row[4] for row in rows[1:]}
    finals = {name: row["final"] for name, row in _gradebook(out).items()}
    assert {n: float(g) for n, g in grades.items()} == pytest.approx(
        {n: float(f) for n, f in finals.items()})
    with zipfile.ZipFile(archive) as opened:
        assert len([n for n in opened.namelist() if n.endswith(".html")]) == len(PEOPLE)


def test_canvas_download_grades_with_the_late_marker(canvas):
    out, _, done = canvas
    assert "4 submission(s), 4 graded" in done.stdout
    rows = {row["matriculation"]: row for row in _gradebook(out).values()}
    for person in PEOPLE:
        row = rows[person[3]]
        # Canvas gives no time, only the marker: late counts as one started day, 10 %
        fraction = 0.1 if person[5] else 0.0
        assert float(row["final"]) == pytest.approx(float(row["total"]) * (1 - fraction))


def test_canvas_export_fills_the_column_and_keeps_the_rest(canvas, tmp_path):
    out, gradebook, _ = canvas
    upload = tmp_path / "canvas-upload.csv"
    done = _grader("export", out, "--format", "canvas", "--template", gradebook, "-o", upload,
                   cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    before, after = _read_csv(gradebook), _read_csv(upload)
    assert after[:3] == before[:3]                   # header, Manual Posting, Points Possible
    for old, new in zip(before[3:], after[3:]):
        assert new[:5] + new[6:] == old[:5] + old[6:]
        assert new[5] != ""


@pytest.mark.parametrize("flavour", ["moodle", "canvas"])
def test_long_export_has_a_row_per_student_and_task(flavour, moodle, canvas, tmp_path):
    out = (moodle if flavour == "moodle" else canvas)[0]
    table = tmp_path / "long.csv"
    done = _grader("export", out, "--format", "long", "-o", table, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = list(csv.DictReader(io.StringIO(table.read_text(encoding="utf-8"), newline="")))
    from grader.specs import load_spec
    spec = load_spec(2)
    per_student = len(spec.tasks) + len(spec.written)
    assert len(rows) >= len(PEOPLE) * len(spec.tasks)
    assert len({r["matriculation"] for r in rows}) == len(PEOPLE)
    assert len(rows) <= len(PEOPLE) * per_student
