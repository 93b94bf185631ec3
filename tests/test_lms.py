"""Tests for grader/lms: LMS downloads in, deadlines, and grades and feedback back out.

The fixtures are built here, in the layouts Moodle and Canvas produce (see the module
docstrings of grader/lms/intake.py and export.py for the sources of those layouts). Export
tests use hand-made result files, so nothing here runs the grader.
"""
import csv
import datetime as dt
import io
import json
import os
import stat
import zipfile

import pytest

from grader import cli, report
from grader.lms import (LatePolicy, LmsError, Roster, apply_to_result, final_points, ingest,
                        late_line, load_manifest, penalty)
from grader.lms.archive import IngestError, Limits
from grader.lms.export import export_canvas, export_moodle
from grader.lms.intake import names_agree
from grader.lms.late import LateError, parse_duration, parse_time
from grader.lms.sheets import SheetError, Worksheet, parse_moodle_time

CET = dt.timezone(dt.timedelta(hours=1))
DEADLINE = "2026-12-01T23:59+01:00"


def notebook(tag="task_1_1", source="x = 1"):
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": "c1", "metadata": {"tags": [tag]}, "source": source,
         "outputs": [], "execution_count": None}]}).encode()


def make_zip(path, members):
    """``members``: (name, bytes) pairs or ready ZipInfo/bytes pairs."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def write_csv(path, rows, delimiter=",", bom=False, newline="\n"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode())
    return path


def read_csv(path):
    text = path.read_bytes().decode("utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


# ---------------------------------------------------------------- fixtures: Moodle

MOODLE_MEMBERS = [
    # Moodle 4.1+: <Full Name>_<participant id>_assignsubmission_file/<file>
    ("Ada Lovelace_17_assignsubmission_file/Assignment_1_AdaLovelace_12345678.ipynb",
     notebook()),
    # spaces and accents, and a sub-folder inside the participant's folder
    ("José Müller_18_assignsubmission_file/version 2/Assignment_1_JoséMüller_34567890.ipynb",
     notebook(source="y = 2")),
    # Moodle 3.1-4.0 put a trailing "_"; this participant submitted Alan Turing's file
    ("Grace Hopper_19_assignsubmission_file_/Assignment_1_AlanTuring_45678901.ipynb",
     notebook(source="z = 3")),
    ("Alan Turing_20_assignsubmission_file/report.pdf", b"%PDF-1.4"),
    ("Alan Turing_20_assignsubmission_file/.ipynb_checkpoints/A-checkpoint.ipynb", notebook()),
    ("Ada Lovelace_17_assignsubmission_onlinetext/onlinetext.html", b"<p>hi</p>"),
    # downloads without folders: <Full Name>_<id>_assignsubmission_file_<file>
    ("Kurt Gödel_21_assignsubmission_file_Assignment_1_KurtGödel_56789012.ipynb",
     notebook(source="w = 4")),
]

WORKSHEET = [
    ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
     "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
     "Feedback comments"],
    ["Participant 17", "Ada Lovelace", "ada@uni.example", "Submitted for grading", "", "50.00",
     "Yes", "Tuesday, 1 December 2026, 10:00 PM", "-", ""],
    ["Participant 18", "José Müller", "jose@uni.example", "Submitted for grading", "", "50.00",
     "Yes", "Wednesday, 2 December 2026, 11:30 AM", "-", ""],
    ["Participant 19", "Grace Hopper", "grace@uni.example", "Submitted for grading", "",
     "50.00", "Yes", "Thursday, 10 December 2026, 9:00 AM", "-", ""],
    ["Participant 20", "Alan Turing", "alan@uni.example", "No submission", "", "50.00", "Yes",
     "-", "-", ""],
    ["Participant 21", "Kurt Gödel", "kurt@uni.example", "Submitted for grading", "70.00",
     "50.00", "No", "Tuesday, 1 December 2026, 11:59 PM",
     "Monday, 7 December 2026, 10:00 AM", "old comment"],
]


@pytest.fixture
def moodle_zip(tmp_path):
    return make_zip(tmp_path / "COURSE-Assignment 1-42.zip", MOODLE_MEMBERS)


@pytest.fixture
def worksheet(tmp_path):
    return write_csv(tmp_path / "Grades-COURSE-Assignment 1-42.csv", WORKSHEET)


@pytest.fixture
def roster(tmp_path):
    return write_csv(tmp_path / "roster.csv", [
        ["matriculation", "name", "email", "lms_id", "deadline"],
        ["12345678", "Ada Lovelace", "ADA@uni.example", "", ""],
        ["34567890", "José Müller", "jose@uni.example", "", "2026-12-08T23:59"],
        ["23456789", "Grace Hopper", "grace@uni.example", "", ""],
        ["45678901", "Alan Turing", "alan@uni.example", "", ""],
        ["56789012", "Kurt Gödel", "kurt@uni.example", "", ""],
        ["67890123", "Emmy Noether", "emmy@uni.example", "", ""]])


def by_id(found):
    return {e.lms_id: e for e in found.entries}


# ---------------------------------------------------------------- ingest: Moodle

def test_moodle_download_is_read_with_ids_names_times_and_skips(tmp_path, moodle_zip,
                                                                  worksheet):
    found = ingest([moodle_zip], tmp_path / "work", worksheet=worksheet)
    entries = by_id(found)
    assert sorted(entries) == ["17", "18", "19", "21"]
    ada, jose, grace, kurt = (entries[i] for i in ("17", "18", "19", "21"))
    assert ada.lms == jose.lms == grace.lms == kurt.lms == "moodle"
    assert jose.source == ("COURSE-Assignment 1-42.zip:José Müller_18_assignsubmission_file/"
                           "version 2/Assignment_1_JoséMüller_34567890.ipynb")
    assert jose.path == tmp_path / "work" / "Assignment_1_JoséMüller_34567890.ipynb"
    assert jose.path.read_bytes() == notebook(source="y = 2")
    assert (jose.student.name, jose.student.matriculation) == ("José Müller", "34567890")
    assert jose.email == "jose@uni.example" and jose.folder == \
        "José Müller_18_assignsubmission_file"
    assert grace.folder == "Grace Hopper_19_assignsubmission_file_"     # older layout kept
    assert kurt.original_name == "Assignment_1_KurtGödel_56789012.ipynb"  # flat layout
    # times: from the worksheet, naive (Moodle writes no zone), with their source
    assert ada.submitted == dt.datetime(2026, 12, 1, 22, 0)
    assert jose.submitted == dt.datetime(2026, 12, 2, 11, 30)
    assert ada.submitted_source == "Moodle grading worksheet"
    # the LMS's identity wins over the file name, which is flagged
    assert grace.student.name == "Grace Hopper" and grace.student.matriculation is None
    assert any("AlanTuring" in f and "recorded under Grace Hopper" in f for f in grace.flags)
    assert not ada.flags and not jose.flags and not kurt.flags
    skipped = {s.path.split(":", 1)[1]: s.reason for s in found.skipped}
    assert "not a notebook (.pdf" in skipped["Alan Turing_20_assignsubmission_file/report.pdf"]
    assert "system or editor file" in skipped[
        "Alan Turing_20_assignsubmission_file/.ipynb_checkpoints/A-checkpoint.ipynb"]
    assert "not a notebook (.html" in skipped[
        "Ada Lovelace_17_assignsubmission_onlinetext/onlinetext.html"]
    # the worksheet lists a participant without a notebook
    assert [m.name for m in found.missing] == ["Alan Turing"]
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == sorted(
        [e.path.name for e in found.entries] + ["ingest.json"])


def test_unpacked_folder_gives_the_same_entries_as_the_zip(tmp_path, moodle_zip, worksheet):
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(moodle_zip) as archive:
        archive.extractall(folder)            # our own fixture: safe to extract
    from_zip = ingest([moodle_zip], tmp_path / "a", worksheet=worksheet)
    from_folder = ingest([folder], tmp_path / "b", worksheet=worksheet)
    strip = lambda e: (e.path.name, e.lms, e.lms_id, e.student, e.submitted, e.sha256, e.flags)
    assert [strip(e) for e in from_zip.entries] == [strip(e) for e in from_folder.entries]
    assert [s.reason for s in from_zip.skipped] == [s.reason for s in from_folder.skipped]


def test_moodle_zip_times_are_not_submission_times(tmp_path, moodle_zip):
    found = ingest([moodle_zip], tmp_path / "work")
    ada = by_id(found)["17"]
    assert ada.submitted is None
    assert "no --worksheet" in ada.submitted_source and "download" in ada.submitted_source


def test_manifest_gives_the_entries_back(tmp_path, moodle_zip, worksheet, roster):
    found = ingest([moodle_zip], tmp_path / "work", roster=roster, worksheet=worksheet,
                   timezone=CET)
    assert load_manifest(tmp_path / "work") == found.entries


# ---------------------------------------------------------------- ingest: Canvas, plain

CANVAS_MEMBERS = [
    ("lovelaceada_1001_5001_Assignment_1_AdaLovelace_12345678.ipynb", notebook()),
    # late, and resubmitted twice: Canvas renamed the file with -2
    ("hoppergrace_LATE_1002_5002_Assignment_1_GraceHopper_23456789-2.ipynb", notebook()),
    # a file that names someone else
    ("turingalan_1003_5003_Assignment_1_KurtGodel_56789012.ipynb", notebook()),
    ("turingalan_1003_5004_notes.txt", b"notes"),
    # anonymous grading, late: no name, anon id
    ("LATE_anon_a1B2c_5005_solution.ipynb", notebook()),
]


def test_canvas_download_keeps_ids_late_marks_and_original_names(tmp_path):
    download = make_zip(tmp_path / "submissions.zip", CANVAS_MEMBERS)
    found = ingest([download], tmp_path / "work")
    entries = by_id(found)
    assert sorted(entries) == ["1001", "1002", "1003", "anon_a1B2c"]
    ada, grace, alan, anon = (entries[k] for k in ("1001", "1002", "1003", "anon_a1B2c"))
    assert (ada.lms, ada.lms_file_id, ada.lms_name) == ("canvas", "5001", "lovelaceada")
    assert not ada.late_marker and grace.late_marker and anon.late_marker
    assert grace.original_name == "Assignment_1_GraceHopper_23456789.ipynb"
    assert grace.resubmission == 2
    assert grace.path.name == "Assignment_1_GraceHopper_23456789.ipynb"
    assert (grace.student.name, grace.student.matriculation) == ("hoppergrace", "23456789")
    assert not ada.flags and not grace.flags                 # lovelaceada = AdaLovelace
    assert any("KurtGodel" in f for f in alan.flags) and alan.student.matriculation is None
    assert ada.submitted is None and "Canvas" in ada.submitted_source
    assert [s.reason for s in found.skipped] == ["not a notebook (.txt file extension)"]


def test_plain_zip_takes_the_entry_time_and_folder_the_file_time(tmp_path):
    download = tmp_path / "class.zip"
    with zipfile.ZipFile(download, "w") as archive:
        info = zipfile.ZipInfo("Assignment_1_AdaLovelace_12345678.ipynb",
                               date_time=(2026, 12, 1, 23, 30, 0))
        archive.writestr(info, notebook())
    found = ingest([download], tmp_path / "work")
    (entry,) = found.entries
    assert entry.lms == "plain" and entry.submitted == dt.datetime(2026, 12, 1, 23, 30)
    assert entry.submitted_source == "zip entry time"
    assert (entry.student.name, entry.student.matriculation, entry.student.source) == \
        ("AdaLovelace", "12345678", "file name")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "Assignment_1_AdaLovelace_12345678.ipynb").write_bytes(notebook())
    stamp = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.timezone.utc).timestamp()
    os.utime(folder / "Assignment_1_AdaLovelace_12345678.ipynb", (stamp, stamp))
    (entry,) = ingest([folder], tmp_path / "work2").entries
    assert entry.submitted == dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.timezone.utc)
    assert entry.submitted_source == "file modification time"


def test_single_notebooks_and_a_work_folder_inside_the_download(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "Assignment_1_AdaLovelace_12345678.ipynb").write_bytes(notebook())
    (folder / "Assignment_1_GraceHopper_23456789.ipynb").write_bytes(notebook(source="g"))
    for _ in range(2):             # the second run must not pick up the first run's copies
        found = ingest([folder], folder / "work")
        assert [e.source for e in found.entries] == [
            "class:Assignment_1_AdaLovelace_12345678.ipynb",
            "class:Assignment_1_GraceHopper_23456789.ipynb"]
    found = ingest([folder / "Assignment_1_GraceHopper_23456789.ipynb"], tmp_path / "one")
    (entry,) = found.entries
    assert entry.path.read_bytes() == notebook(source="g") and entry.lms == "plain"
    assert entry.source == "Assignment_1_GraceHopper_23456789.ipynb"


def test_roster_resolves_identities_extensions_and_missing(tmp_path, moodle_zip, worksheet,
                                                           roster):
    found = ingest([moodle_zip], tmp_path / "work", roster=roster, worksheet=worksheet,
                   timezone=CET)
    entries = by_id(found)
    grace = entries["19"]
    assert (grace.student.name, grace.student.matriculation, grace.student.source) == \
        ("Grace Hopper", "23456789", "roster")
    assert any("45678901 (Alan Turing in the roster)" in f and "recorded under Grace Hopper" in f
               for f in grace.flags)
    assert entries["17"].student.email == "ada@uni.example"     # emails compared casefolded
    assert entries["18"].student.deadline == dt.datetime(2026, 12, 8, 23, 59, tzinfo=CET)
    assert sorted(m.name for m in found.missing) == ["Alan Turing", "Emmy Noether"]


def test_same_file_name_from_two_students_is_kept_twice(tmp_path):
    download = make_zip(tmp_path / "d.zip", [
        ("Ada Lovelace_17_assignsubmission_file/Assignment_1.ipynb", notebook()),
        ("Grace Hopper_19_assignsubmission_file/Assignment_1.ipynb", notebook(source="b")),
        ("Grace Hopper_19_assignsubmission_file/old/Assignment_1.ipynb", notebook(source="c"))])
    found = ingest([download], tmp_path / "work")
    names = sorted(e.path.name for e in found.entries)
    assert names == ["Assignment_1__moodle17.ipynb", "Assignment_1__moodle19_2.ipynb",
                     "Assignment_1__moodle19_3.ipynb"]
    assert len({e.sha256 for e in found.entries}) == 3
    grace = [e for e in found.entries if e.lms_id == "19"]
    assert all(any("submitted 2 notebooks" in f for f in e.flags) for e in grace)
    assert all(any("3 files in the download are called" in f for f in e.flags)
               for e in found.entries)


def test_names_agree_across_lms_spellings():
    assert names_agree("AdaLovelace", "Ada Lovelace")
    assert names_agree("AdaLovelace", "Ada King Lovelace")
    assert names_agree("AdaLovelace", "lovelaceada")             # Canvas
    assert names_agree("JoséMüller", "José Müller")
    assert names_agree("JoseMueller", "José Müller")
    assert names_agree("MaryAnnSmith", "Mary-Ann Smith")
    assert not names_agree("AlanTuring", "Grace Hopper")
    assert not names_agree("AnnLee", "Joanna Leeds")
    assert not names_agree("KurtGodel", "turingalan")


# ---------------------------------------------------------------- ingest: hostile downloads

def test_hostile_members_are_refused_and_nothing_escapes(tmp_path):
    download = tmp_path / "hostile.zip"
    with zipfile.ZipFile(download, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("../evil.ipynb", notebook())
        archive.writestr("a/../../evil2.ipynb", notebook())
        archive.writestr("/tmp/absolute.ipynb", notebook())
        archive.writestr("C:/windows.ipynb", notebook())
        link = zipfile.ZipInfo("Ada Lovelace_17_assignsubmission_file/link.ipynb")
        link.create_system, link.external_attr = 3, (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("Bomb_22_assignsubmission_file/Assignment_1_Bomb_99999999.ipynb",
                         b"0" * (3 * 2**20))                    # deflates about 1000:1
        archive.writestr("run.sh", b"rm -rf ~")
        archive.writestr("Ok_23_assignsubmission_file/Assignment_1_Ok_11111111.ipynb", notebook())
    work = tmp_path / "deep" / "work"
    found = ingest([download], work)
    assert [e.lms_id for e in found.entries] == ["23"]
    reasons = {s.path.split(":", 1)[1]: s.reason for s in found.skipped}
    assert "outside the download" in reasons["../evil.ipynb"]
    assert "outside the download" in reasons["a/../../evil2.ipynb"]
    assert "absolute path" in reasons["/tmp/absolute.ipynb"]
    assert "absolute path" in reasons["C:/windows.ipynb"]
    assert "symbolic link" in reasons["Ada Lovelace_17_assignsubmission_file/link.ipynb"]
    assert "zip bomb" in reasons["Bomb_22_assignsubmission_file/Assignment_1_Bomb_99999999.ipynb"]
    assert "not a notebook (.sh" in reasons["run.sh"]
    assert not (tmp_path / "deep" / "evil.ipynb").exists()
    assert not (tmp_path / "evil2.ipynb").exists() and not (tmp_path / "evil.ipynb").exists()
    assert sorted(p.name for p in work.iterdir()) == ["Assignment_1_Ok_11111111.ipynb",
                                                      "ingest.json"]


def test_downloads_over_the_limits_are_refused_whole(tmp_path):
    many = make_zip(tmp_path / "many.zip", [(f"f{i}.ipynb", notebook()) for i in range(6)])
    with pytest.raises(IngestError, match=r"many\.zip: 6 entries; the limit is 5"):
        ingest([many], tmp_path / "w1", limits=Limits(max_members=5))
    big = make_zip(tmp_path / "big.zip", [(f"f{i}.ipynb", b"x" * 1000) for i in range(3)])
    with pytest.raises(IngestError, match=r"big\.zip: the notebooks in it add up to more than"):
        ingest([big], tmp_path / "w2", limits=Limits(max_total_bytes=2500))
    huge = make_zip(tmp_path / "huge.zip", [("f.ipynb", b"x" * 5000)])
    found = ingest([huge], tmp_path / "w3", limits=Limits(max_file_bytes=4000))
    assert not found.entries and "MB per notebook" in found.skipped[0].reason
    (tmp_path / "fake.zip").write_bytes(b"not a zip at all")
    with pytest.raises(IngestError, match=r"fake\.zip: not a readable zip archive"):
        ingest([tmp_path / "fake.zip"], tmp_path / "w4")
    with pytest.raises(IngestError, match="no such file or folder"):
        ingest([tmp_path / "nowhere.zip"], tmp_path / "w5")


def test_folder_symlinks_and_damaged_members_are_refused(tmp_path):
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "Assignment_1_AdaLovelace_12345678.ipynb").write_bytes(notebook())
    (tmp_path / "secret.ipynb").write_bytes(b"secret")
    (folder / "Assignment_1_Evil_99999999.ipynb").symlink_to(tmp_path / "secret.ipynb")
    (folder / "linked_folder").symlink_to(tmp_path)
    found = ingest([folder], tmp_path / "work")
    assert [e.original_name for e in found.entries] == ["Assignment_1_AdaLovelace_12345678.ipynb"]
    assert {s.path.split(":", 1)[1]: s.reason for s in found.skipped} == {
        "Assignment_1_Evil_99999999.ipynb": "refused: symbolic link",
        "linked_folder": "refused: symbolic link"}
    damaged = tmp_path / "damaged.zip"
    make_zip(damaged, [("Assignment_1_AdaLovelace_12345678.ipynb", b"A" * 4000)])
    raw = bytearray(damaged.read_bytes())
    raw[raw.index(b"ipynb") + 5 + 2] ^= 0xFF             # corrupt the compressed data
    damaged.write_bytes(bytes(raw))
    found = ingest([damaged], tmp_path / "work2")
    assert not found.entries and "damaged or unreadable" in found.skipped[0].reason


def test_work_folder_is_checked_and_a_rerun_replaces_only_its_own_files(tmp_path):
    first = make_zip(tmp_path / "one.zip", [("Assignment_1_AdaLovelace_12345678.ipynb",
                                            notebook()),
                                           ("Assignment_1_GraceHopper_23456789.ipynb",
                                            notebook())])
    work = tmp_path / "work"
    ingest([first], work)
    second = make_zip(tmp_path / "two.zip", [("Assignment_1_AdaLovelace_12345678.ipynb",
                                             notebook(source="new"))])
    found = ingest([second], work)
    assert sorted(p.name for p in work.iterdir()) == ["Assignment_1_AdaLovelace_12345678.ipynb",
                                                      "ingest.json"]
    assert found.entries[0].path.read_bytes() == notebook(source="new")
    other = tmp_path / "other"
    other.mkdir()
    (other / "mine.txt").write_text("keep me")
    with pytest.raises(IngestError, match="not empty and was not made by an earlier ingest"):
        ingest([second], other)
    assert (other / "mine.txt").read_text() == "keep me"


def test_an_interrupted_ingest_is_recognised_and_redone(tmp_path, monkeypatch):
    download = make_zip(tmp_path / "d.zip", [("Assignment_1_AdaLovelace_12345678.ipynb",
                                             notebook()),
                                            ("Assignment_1_GraceHopper_23456789.ipynb",
                                             notebook())])
    import grader.lms.intake as module
    real, calls = module.read_member, []

    def interrupted(download, member):
        calls.append(member.path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(download, member)
    monkeypatch.setattr(module, "read_member", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest([download], tmp_path / "work")
    with pytest.raises(IngestError, match="not the record of a finished ingest"):
        load_manifest(tmp_path / "work")
    monkeypatch.setattr(module, "read_member", real)
    found = ingest([download], tmp_path / "work")
    assert len(found.entries) == 2 and load_manifest(tmp_path / "work") == found.entries


# ---------------------------------------------------------------- deadlines and policies

def test_policies_and_deadlines_parse_or_fail_in_one_line():
    policy = LatePolicy.parse(DEADLINE, "10%/day, max 5 days, then 0", "15min")
    assert (policy.rate, policy.period, policy.max_periods, policy.zero_after_max) == \
        (0.1, "day", 5, True)
    assert policy.deadline == dt.datetime(2026, 12, 1, 23, 59, tzinfo=CET)
    assert policy.grace == dt.timedelta(minutes=15)
    assert LatePolicy.parse(DEADLINE, "5 % per hour").rate == 0.05
    assert LatePolicy.parse(DEADLINE, "0").zero
    assert parse_duration("1h30min") == dt.timedelta(minutes=90)
    assert parse_duration("2 days") == dt.timedelta(days=2)
    berlin = LatePolicy.parse("2026-07-01T12:00", timezone="Europe/Berlin")
    assert berlin.deadline.utcoffset() == dt.timedelta(hours=2)
    assert parse_time("2026-12-01T22:59Z") == dt.datetime(2026, 12, 1, 22, 59,
                                                          tzinfo=dt.timezone.utc)
    bad = [({"late": "10 percent daily"}, "--late '10 percent daily': cannot read"),
           ({"late": "max 5 days"}, "no rate such as 10%/day"),
           ({"late": "10%/day, then 0"}, "'then 0' needs a maximum"),
           ({"late": "10%/day, max 2 weeks"}, "use the same unit"),
           ({"late": "150%/day"}, "between 0% and 100%"),
           ({"grace": "a while"}, "--grace 'a while': not a duration"),
           ({"deadline": "2026-12-01T23:59"}, "no time zone"),
           ({"deadline": "next Friday"}, "not a date and time"),
           ({"deadline": "2026-12-01"}, "not a date and time"),
           ({"deadline": "2026-13-01T10:00+01:00"}, "not a valid date and time"),
           ({"deadline": DEADLINE, "timezone": "Mars/Olympus"}, "unknown time zone")]
    for kwargs, message in bad:
        with pytest.raises(LateError) as caught:
            LatePolicy.parse(**{"deadline": DEADLINE, **kwargs})
        assert message in str(caught.value) and "\n" not in str(caught.value)
        assert isinstance(caught.value, LmsError)


class FakeEntry:
    """Just what penalty() reads from an ingest Entry."""
    def __init__(self, submitted, source="Moodle grading worksheet", lms="moodle",
                 late_marker=False, deadline=None):
        from grader.lms.intake import Identity
        self.submitted, self.submitted_source, self.lms = submitted, source, lms
        self.late_marker = late_marker
        self.student = Identity("Ada", "12345678", None, "17", "LMS", deadline)


def at(*args, tz=CET):
    return dt.datetime(*args, tzinfo=tz)


def test_penalty_follows_the_policy():
    policy = LatePolicy.parse(DEADLINE, "10%/day, max 5 days, then 0", "15min")
    cases = [(at(2026, 12, 1, 23, 0), 0.0, "on time"),
             (at(2026, 12, 2, 0, 10), 0.0, "grace period"),
             (at(2026, 12, 2, 0, 30), 0.1, "1 started day late"),
             (at(2026, 12, 3, 23, 59), 0.2, "2 started days late"),
             (at(2026, 12, 6, 23, 59), 0.5, "5 started days late"),
             (at(2026, 12, 7, 0, 0), 1.0, "more than 5 days late"),
             # a naive (worksheet) time is read in the deadline's zone: 23:00 at +01:00
             (dt.datetime(2026, 12, 1, 23, 0), 0.0, "on time")]
    for submitted, fraction, words in cases:
        got, why = penalty(FakeEntry(submitted), policy)
        assert got == pytest.approx(fraction) and words in why, (submitted, got, why)
    capped = LatePolicy.parse(DEADLINE, "30%/day, max 2 days")
    assert penalty(FakeEntry(at(2026, 12, 9, 0, 0)), capped)[0] == pytest.approx(0.6)
    assert penalty(FakeEntry(at(2026, 12, 2, 0, 0)), LatePolicy.parse(DEADLINE, "0"))[0] == 1.0
    fraction, why = penalty(FakeEntry(at(2026, 12, 3, 0, 0)), LatePolicy.parse(DEADLINE))
    assert fraction == 0.0 and "submitted 1 d 1 min late" in why and "nothing deducted" in why


def test_extensions_unknown_times_and_canvas_late_marks():
    policy = LatePolicy.parse(DEADLINE, "10%/day")
    extended = FakeEntry(at(2026, 12, 5, 12, 0), deadline=at(2026, 12, 8, 23, 59))
    assert penalty(extended, policy) == (0.0, "on time")
    unknown = FakeEntry(None, source="unknown: no --worksheet given")
    fraction, why = penalty(unknown, policy)
    assert fraction == 0.0 and "submission time unknown" in why
    canvas_late = FakeEntry(None, source="unknown: Canvas", lms="canvas", late_marker=True)
    fraction, why = penalty(canvas_late, policy)
    assert fraction == pytest.approx(0.1) and "Canvas marks this submission late" in why
    graced = LatePolicy.parse(DEADLINE, "10%/day", "1h")
    assert penalty(canvas_late, graced)[0] == 0.0
    canvas_on_time = FakeEntry(None, source="unknown: Canvas", lms="canvas")
    assert penalty(canvas_on_time, policy)[0] == 0.0


def test_moodle_worksheet_times_and_errors(tmp_path):
    assert parse_moodle_time("Tuesday, 1 December 2026, 11:59 PM") == \
        dt.datetime(2026, 12, 1, 23, 59)
    assert parse_moodle_time("Tuesday, 1 December 2026, 12:05 AM") == \
        dt.datetime(2026, 12, 1, 0, 5)
    assert parse_moodle_time("Dienstag, 1. Dezember 2026, 23:59") == \
        dt.datetime(2026, 12, 1, 23, 59)
    assert parse_moodle_time("-") is None and parse_moodle_time("") is None
    rows = [WORKSHEET[0], WORKSHEET[1][:7] + ["sometime soon"] + WORKSHEET[1][8:]]
    with pytest.raises(SheetError, match=r"bad\.csv row 2: cannot read 'Last modified "
                                         r"\(submission\)' 'sometime soon'"):
        Worksheet.load(write_csv(tmp_path / "bad.csv", rows))
    with pytest.raises(SheetError, match="no 'Identifier' column"):
        Worksheet.load(write_csv(tmp_path / "other.csv", [["Name", "Grade"], ["x", "1"]]))
    with pytest.raises(SheetError, match=r"roster\.csv row 3: email a@x is also in row 2"):
        Roster.load(write_csv(tmp_path / "roster.csv", [["email"], ["a@x"], ["A@X"]]))
    with pytest.raises(SheetError, match="row 2: deadline 'soon'"):
        Roster.load(write_csv(tmp_path / "r2.csv", [["email", "deadline"], ["a@x", "soon"]]))


def test_apply_to_result_records_lms_identity_and_late(tmp_path, moodle_zip, worksheet, roster):
    found = ingest([moodle_zip], tmp_path / "work", roster=Roster.load(roster, CET),
                   worksheet=worksheet, timezone=CET)
    grace = by_id(found)["19"]                  # submitted 10 December 9:00, deadline 1 Dec
    policy = LatePolicy.parse(DEADLINE, "10%/day, max 5 days, then 0")
    result = {"file": grace.path.name, "total": 40.0, "max": 50.0, "flags": ["old flag"],
              "student": {"name": "AlanTuring", "matriculation": "45678901", "name_ok": True}}
    apply_to_result(result, grace, policy)
    assert result["lms"]["id"] == "19" and result["lms"]["folder"].startswith("Grace Hopper_19")
    assert result["student"]["name"] == "Grace Hopper"
    assert result["student"]["matriculation"] == "23456789"
    assert result["flags"][0] == "old flag"
    assert any("45678901 (Alan Turing in the roster)" in f for f in result["flags"])
    assert result["late"]["fraction"] == 1.0 and result["late"]["seconds_late"] > 8 * 86400
    assert final_points(result) == 0.0
    assert late_line(result).startswith("Late penalty: -40 points (100%)")
    jose = by_id(found)["18"]                   # 2 December, but extended to 8 December
    result = apply_to_result({"file": "x", "total": 30.0, "max": 50.0}, jose, policy)
    assert result["late"]["deadline_source"] == "roster (extension)"
    assert result["late"]["fraction"] == 0.0 and final_points(result) == 30.0
    assert late_line(result) is None


def test_grade_options_parse_and_check_each_other(roster, worksheet):
    import argparse
    from grader.lms import add_lms_arguments, lms_options
    parser = argparse.ArgumentParser()
    add_lms_arguments(parser)
    assert all(action.help for action in parser._actions)
    options = lms_options(parser.parse_args([
        "--roster", str(roster), "--worksheet", str(worksheet), "--deadline", DEADLINE,
        "--late", "10%/day, max 5 days, then 0", "--grace", "15min",
        "--timezone", "Europe/Berlin"]))
    assert (options.policy.rate, options.policy.grace) == (0.1, dt.timedelta(minutes=15))
    extension = options.roster.by("matriculation", "34567890").deadline
    assert extension.utcoffset() == dt.timedelta(hours=1)        # read in Europe/Berlin
    assert options.worksheet.rows["18"].name == "José Müller"
    with pytest.raises(LmsError, match="--late and --grace need --deadline"):
        lms_options(parser.parse_args(["--late", "10%/day"]))
    only_extensions = lms_options(parser.parse_args(["--roster", str(roster),
                                                     "--timezone", "+01:00"]))
    assert only_extensions.policy is not None and only_extensions.policy.deadline is None
    with pytest.raises(LmsError, match="no time zone"):      # naive extension, no zone
        lms_options(parser.parse_args(["--roster", str(roster)]))


# ---------------------------------------------------------------- export: fixtures

def make_result(file, *, total=40.0, maximum=50.0, lms=None, student=None, status="graded",
                error=None, late=None, assignment=1):
    tasks = {} if status != "graded" else {
        "task_1_1": {"title": "XOR data", "points": total / 2, "max": maximum / 2,
                     "status": "ok", "messages": [], "checks": []},
        "task_1_2": {"title": "A perceptron", "points": total / 2, "max": maximum / 2,
                     "status": "ok", "messages": [], "checks": []}}
    result = {"schema": report.SCHEMA, "grader_version": "0.1.0", "file": file,
              "sha256": "ab" * 32, "assignment": assignment, "student": student or {},
              "status": status, "error": error, "flags": [], "total": total if tasks else 0.0,
              "max": maximum, "tasks": tasks}
    if lms:
        result["lms"] = lms
    if late:
        result["late"] = late
    return result


def moodle_lms(pid, name, email):
    return {"kind": "moodle", "id": pid, "name": name, "email": email,
            "folder": f"{name}_{pid}_assignsubmission_file"}


@pytest.fixture
def graded(tmp_path):
    """An output folder with results (and feedback) as grade writes them."""
    out = tmp_path / "graded"
    results = [
        make_result("Assignment_1_AdaLovelace_12345678.ipynb", total=45.5,
                    lms=moodle_lms("17", "Ada Lovelace", "ada@uni.example"),
                    student={"name": "Ada Lovelace", "matriculation": "12345678",
                             "email": "ada@uni.example"}),
        make_result("Assignment_1_JoséMüller_34567890.ipynb", total=30.0,
                    lms=moodle_lms("18", "José Müller", "jose@uni.example"),
                    student={"name": "José Müller", "matriculation": "34567890"},
                    late={"fraction": 0.2, "seconds_late": 90000, "review": False,
                          "explanation": "submitted 1 d 1 h late; 2 started days late x 10% "
                                         "per day: 20% deducted"}),
        # no LMS id: found by email
        make_result("Assignment_1_GraceHopper_23456789.ipynb", total=50.0,
                    student={"name": "Grace Hopper", "matriculation": "23456789",
                             "email": "GRACE@uni.example"}),
        make_result("broken.ipynb", status="rejected", error="the file is not valid JSON",
                    lms=moodle_lms("21", "Kurt Gödel", "kurt@uni.example"),
                    student={"name": "Kurt Gödel"}),
        # nobody in the worksheet: must be listed, never dropped
        make_result("Assignment_1_EmmyNoether_67890123.ipynb", total=20.0,
                    student={"name": "=HYPERLINK(\"http://x\")", "matriculation": "67890123"}),
    ]
    for r in results:
        report.write_result(r, out)
        report.write_feedback(r, out)
    return out


def run_cli(*argv):
    return cli.main(["export", *map(str, argv)])


# ---------------------------------------------------------------- export: Moodle

def test_moodle_worksheet_is_filled_and_reads_back(tmp_path, graded, worksheet, capsys):
    output, archive = tmp_path / "lms" / "filled.csv", tmp_path / "lms" / "feedback.zip"
    code = run_cli(graded, "--format", "moodle", "--template", worksheet, "-o", output,
                   "--feedback-zip", archive)
    assert code == 1                       # Emmy Noether's result has no row
    rows = read_csv(output)
    assert rows[0] == WORKSHEET[0]         # the header exactly as Moodle wrote it
    sheet = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert [r[0] for r in rows[1:]] == [r[0] for r in WORKSHEET[1:]]     # row order kept
    assert sheet["Participant 17"]["Grade"] == "45.5"
    assert sheet["Participant 18"]["Grade"] == "24"                     # 30 - 20% late
    assert sheet["Participant 19"]["Grade"] == "50"                     # matched by email
    assert sheet["Participant 21"]["Grade"] == "0"                      # rejected file
    assert sheet["Participant 20"]["Grade"] == ""                       # no submission
    assert "45.5 / 50 points" in sheet["Participant 17"]["Feedback comments"]
    assert "Late penalty: -6 points (20%)" in sheet["Participant 18"]["Feedback comments"]
    assert "not valid JSON" in sheet["Participant 21"]["Feedback comments"]
    for key in ("Last modified (grade)", "Last modified (submission)", "Status", "Full name"):
        assert [r[key] for r in sheet.values()] == \
            [dict(zip(WORKSHEET[0], r))[key] for r in WORKSHEET[1:]]
    unmatched = read_csv(output.parent / "unmatched.csv")
    assert unmatched[0] == ["side", "file", "name", "matriculation", "lms_id", "reason"]
    lost = [r for r in unmatched[1:] if r[0] == "result"]
    assert [r[1] for r in lost] == ["Assignment_1_EmmyNoether_67890123.ipynb"]
    assert lost[0][2].startswith("'=HYPERLINK")                          # CSV injection
    assert [r[2] for r in unmatched[1:] if r[0] == "row"] == ["Alan Turing"]
    printed = capsys.readouterr()
    assert "NOT EXPORTED: Assignment_1_EmmyNoether_67890123.ipynb" in printed.err
    assert "Grade can be changed" not in printed.out and "cannot be changed" in printed.out
    # the feedback zip, read the way Moodle's importer reads it: the second "_" part of a
    # path component is the participant id, the third and fourth name the plugin
    with zipfile.ZipFile(archive) as z:
        names = sorted(z.namelist())
        assert names == ["Ada Lovelace_17_assignsubmission_file/"
                         "Assignment_1_AdaLovelace_12345678.html",
                         "Grace Hopper_19_assignsubmission_file/"
                         "Assignment_1_GraceHopper_23456789.html",
                         "José Müller_18_assignsubmission_file/"
                         "Assignment_1_JoséMüller_34567890.html",
                         "Kurt Gödel_21_assignsubmission_file/broken.html"]
        for name in names:
            info = name.split("/")[0].split("_", 4)
            assert info[1].isdigit() and info[2:4] == ["assignsubmission", "file"]
        assert z.read(names[0]) == (graded / "feedback" /
                                    "Assignment_1_AdaLovelace_12345678.html").read_bytes()


def test_moodle_export_is_deterministic_and_checks_the_maximum(tmp_path, graded, worksheet):
    results = [r for r in report.load_results(graded)
               if r["status"] == "graded" and "Emmy" not in r["file"]]     # Ada, Grace, José
    first = export_moodle(results, worksheet, tmp_path / "a.csv",
                          feedback_dir=graded / "feedback", feedback_zip=tmp_path / "a.zip")
    second = export_moodle(results, worksheet, tmp_path / "b.csv",
                           feedback_dir=graded / "feedback", feedback_zip=tmp_path / "b.zip")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert first.filled == second.filled == 3
    # a worksheet out of 20: points over it are not written (Moodle would skip them) ...
    small = write_csv(tmp_path / "small.csv", [WORKSHEET[0]] + [
        r[:5] + ["20.00"] + r[6:] for r in WORKSHEET[1:]])
    over = export_moodle(results, small, tmp_path / "c.csv")
    assert over.filled == 0 and all("more than the LMS's maximum of 20" in p.reason
                                    for p in over.lost)
    # ... unless they are scaled to it
    scaled = export_moodle(results, small, tmp_path / "d.csv", rescale=True)
    grades = {r[0]: r[4] for r in read_csv(tmp_path / "d.csv")[1:]}
    assert scaled.filled == 3 and grades["Participant 17"] == "18.2"     # 45.5 / 50 * 20


def test_moodle_id_match_with_a_different_email_is_not_written(tmp_path, worksheet):
    wrong = make_result("a.ipynb", lms=moodle_lms("17", "Ada Lovelace", "ada@uni.example"),
                        student={"email": "someone@else.example"})
    export = export_moodle([wrong], worksheet, tmp_path / "x.csv")
    assert export.filled == 0 and "wrong worksheet?" in export.lost[0].reason


def test_two_results_for_one_participant(tmp_path, worksheet):
    lms = moodle_lms("17", "Ada Lovelace", "ada@uni.example")
    one_graded = [make_result("a.ipynb", lms=lms),
                  make_result("b.ipynb", lms=lms, status="rejected", error="empty")]
    export = export_moodle(one_graded, worksheet, tmp_path / "x.csv")
    assert export.filled == 1 and "another notebook of this student (a.ipynb)" in \
        export.lost[0].reason
    both = [make_result("a.ipynb", lms=lms), make_result("b.ipynb", lms=lms, total=10.0)]
    export = export_moodle(both, worksheet, tmp_path / "y.csv")
    assert export.filled == 0 and len(export.lost) == 2
    assert all("none exported" in p.reason for p in export.lost)


# ---------------------------------------------------------------- export: Canvas

CANVAS_GRADEBOOK = [
    ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
     "Assignment 1: XOR (70001)", "Assignment 2: Backpropagation (70002)", "Current Points",
     "Final Points", "Current Score", "Unposted Current Score", "Final Score",
     "Unposted Final Score"],
    ["", "", "", "", "", "Manual Posting", "", "", "", "", "", "", ""],
    ["    Points Possible", "", "", "", "", "50.00", "20.00", "(read only)", "(read only)",
     "(read only)", "(read only)", "(read only)", "(read only)"],
    ["Lovelace, Ada", "1001", "12345678", "ada", "Course A", "", "18.00", "18.00", "18.00",
     "90.00", "90.00", "25.71", "25.71"],
    ["Hopper, Grace", "1002", "23456789", "grace", "Course A", "", "", "", "", "", "", "", ""],
    ["Turing, Alan", "1003", "34567890", "alan", "Course A", "N/A", "", "", "", "", "", "",
     ""],
    ["Student, Test", "9999", "", "", "Course A", "", "", "", "", "", "", "", ""],
]


def canvas_results():
    return [
        make_result("Assignment_1_AdaLovelace_12345678.ipynb", total=45.5,
                    lms={"kind": "canvas", "id": "1001", "file_id": "5001"},
                    student={"name": "lovelaceada", "matriculation": "12345678"}),
        # no Canvas id: found by SIS User ID (the matriculation number)
        make_result("Assignment_1_GraceHopper_23456789.ipynb", total=33.25,
                    student={"name": "GraceHopper", "matriculation": "23456789"}),
        make_result("Assignment_1_AlanTuring_34567890.ipynb", total=10.0,
                    lms={"kind": "canvas", "id": "1003"}, student={"name": "turingalan"}),
    ]


def test_canvas_gradebook_column_is_filled_and_the_rest_kept(tmp_path):
    template = write_csv(tmp_path / "gradebook.csv", CANVAS_GRADEBOOK)
    out = tmp_path / "upload.csv"
    export = export_canvas(canvas_results(), template, out, assignment=1)
    rows = read_csv(out)
    assert rows[:3] == CANVAS_GRADEBOOK[:3]          # header, Manual Posting, Points Possible
    assert [r[5] for r in rows[3:]] == ["45.5", "33.25", "N/A", ""]
    for index, row in enumerate(rows):
        assert row[:5] + row[6:] == CANVAS_GRADEBOOK[index][:5] + CANVAS_GRADEBOOK[index][6:]
    assert export.filled == 2
    assert [p.reason for p in export.lost] == ["not written: not assigned to this student in "
                                               "Canvas (N/A)"]
    assert not [p for p in export.problems if p.side == "row"]   # Test Student not listed


def test_canvas_locale_dialect_and_column_choice(tmp_path):
    rows = [[cell.replace("50.00", "50,00").replace("20.00", "20,00") for cell in row]
            for row in CANVAS_GRADEBOOK]
    template = write_csv(tmp_path / "gb.csv", rows, delimiter=";", bom=True, newline="\r\n")
    out = tmp_path / "up.csv"
    export_canvas(canvas_results()[:1], template, out, column="70001")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert read_csv(out)[3][5] == "45,5"
    assert read_csv(out)[0] == rows[0]
    export_canvas(canvas_results()[:1], template, out, column="XOR")
    assert read_csv(out)[3][5] == "45,5"
    with pytest.raises(LmsError, match="--column 'Assignment' matches 2 columns"):
        export_canvas(canvas_results(), template, out, column="Assignment")
    with pytest.raises(LmsError, match="several assignment columns; choose one with --column"):
        export_canvas(canvas_results(), template, out)
    with pytest.raises(LmsError, match="no 'ID' column"):
        export_canvas(canvas_results(), write_csv(tmp_path / "x.csv", WORKSHEET), out)


# ---------------------------------------------------------------- export: long, CLI

def test_long_table_has_a_row_per_student_and_task(tmp_path, graded):
    out = tmp_path / "long.csv"
    assert run_cli(graded, "--format", "long", "-o", out) == 0
    rows = read_csv(out)
    assert rows[0] == ["assignment", "file", "lms", "lms_id", "name", "matriculation", "email",
                       "status", "item", "kind", "title", "points", "max", "item_status"]
    table = [dict(zip(rows[0], r)) for r in rows[1:]]
    jose = [r for r in table if r["file"].startswith("Assignment_1_José")]
    assert [(r["item"], r["kind"], r["points"], r["max"]) for r in jose] == [
        ("task_1_1", "task", "15", "25"), ("task_1_2", "task", "15", "25"),
        ("late", "penalty", "-6", "")]
    assert sum(float(r["points"]) for r in jose) == 24.0           # the grade Moodle gets
    broken = [r for r in table if r["file"] == "broken.ipynb"]
    assert [(r["kind"], r["status"], r["points"]) for r in broken] == [
        ("submission", "rejected", "0")]
    emmy = [r for r in table if r["matriculation"] == "67890123"]
    assert all(r["name"].startswith("'=") for r in emmy)           # CSV injection


def test_every_export_option_is_explained():
    parser = cli.build_parser("export")
    export = parser._subparsers._group_actions[0].choices["export"]
    assert all(action.help for action in export._actions)


def test_cli_errors_are_one_line_with_status_2(tmp_path, graded, worksheet, capsys):
    assert run_cli(graded, "--format", "moodle") == 2
    assert "--format moodle needs --template" in capsys.readouterr().out
    assert run_cli(tmp_path / "nothing", "--format", "long") == 2
    assert "no results folder" in capsys.readouterr().out
    assert run_cli(graded, "--format", "moodle", "--template", tmp_path / "missing.csv") == 2
    assert "missing.csv: cannot read the grading worksheet" in capsys.readouterr().out
    assert run_cli(graded, "--format", "long", "-a", "7") == 2
    assert "no results of assignment 7" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        run_cli(graded, "--format", "blackboard")
    out = capsys.readouterr()
    assert "invalid choice" in out.err
