"""Tests for grader/report.py: result files, gradebook, feedback and summary."""
import csv
import json
import os
import re
import struct
import warnings
import zlib

import pytest

from grader import report

TASKS_1 = [("task_1_1", "The XOR data", 5.0), ("task_1_2", "A perceptron", 10.0),
           ("task_1_3", "Why XOR is hard", 5.0)]
TASKS_2 = [("task_2_1", "Linear layer", 6.0), ("task_2_2", "Backpropagation", 14.0)]


def make_result(file, *, assignment=1, points=None, status="graded", flags=(),
                error=None, task_status=None, messages=None):
    """A plausible nncourse-result/1 dict; ``points`` maps tag -> points scored."""
    spec = TASKS_1 if assignment == 1 else TASKS_2
    points = points or {}
    tasks = {}
    if status == "graded":
        for tag, title, top in spec:
            got = points.get(tag, top)
            passed = got == top
            tasks[tag] = {
                "title": title, "points": got, "max": top,
                "status": (task_status or {}).get(tag, "ok"),
                "messages": [],
                "checks": [{"id": "c0", "label": f"`{tag}` value", "points": got, "max": top,
                            "public": True, "status": "passed" if passed else "failed",
                            "messages": [] if passed else (messages or ["wrong value"])}]}
    stem = file.rsplit(".", 1)[0]
    return {"schema": report.SCHEMA, "grader_version": "0.1.0", "file": file,
            "sha256": "ab" * 32, "assignment": assignment,
            "student": {"name": stem.split("_")[2] if stem.count("_") >= 3 else None,
                        "matriculation": stem.split("_")[-1], "name_ok": True},
            "status": status, "error": error, "flags": list(flags),
            "total": sum(t["points"] for t in tasks.values()) if tasks else 0.0,
            "max": sum(t[2] for t in spec), "tasks": tasks,
            "seconds": 1.5, "graded_at": "2026-11-22T15:00:00+00:00", "fingerprint": None}


@pytest.fixture
def class_results():
    return [
        make_result("Assignment_1_GraceHopper_23456789.ipynb",
                    points={"task_1_2": 4.0}),
        make_result("Assignment_1_AdaLovelace_12345678.ipynb"),
        make_result("Assignment_1_AlanTuring_34567890.ipynb", points={"task_1_1": 2.5,
                    "task_1_3": 0.0}, flags=["file name does not match the pattern"]),
        make_result("broken.ipynb", status="rejected", assignment=None,
                    error="not a valid notebook (JSON error at line 1)"),
    ]


def write_all(results, out_dir):
    for result in results:
        report.write_result(result, out_dir)


# ---------------------------------------------------------------- result files

def test_write_result_round_trips_with_stable_text(tmp_path):
    result = make_result("Assignment_1_AdaLovelace_12345678.ipynb")
    path = report.write_result(result, tmp_path)
    assert path == tmp_path / "results" / "Assignment_1_AdaLovelace_12345678.json"
    first = path.read_bytes()
    assert json.loads(first) == result
    report.write_result(dict(reversed(list(result.items()))), tmp_path)
    assert path.read_bytes() == first                  # key order does not matter
    assert first.startswith(b'{\n "assignment": 1,')   # sorted keys, indent 1


def test_result_path_cannot_leave_the_output_folder(tmp_path):
    for name in ("../../etc/x.ipynb", "/etc/x.ipynb", "a/../../x.ipynb", "..", "a\\..\\x.ipynb"):
        path = report.result_path(tmp_path, name)
        assert path.parent == tmp_path / "results" and not path.name.startswith("."), name


def test_submissions_in_sub_folders_get_their_own_result_files(tmp_path):
    names = ["ada/A1.ipynb", "bob/A1.ipynb", "A1.ipynb", "ada__A1.ipynb"]
    paths = {report.result_path(tmp_path, n) for n in names}
    assert len(paths) == len(names)
    assert report.result_path(tmp_path, "A1.ipynb") == tmp_path / "results/A1.json"


def test_atomic_write_leaves_no_temp_files(tmp_path):
    for i in range(3):
        report.write_result(make_result(f"Assignment_1_A_{i}.ipynb"), tmp_path)
    names = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert names == [f"Assignment_1_A_{i}.json" for i in range(3)]


def test_failed_write_keeps_the_old_file_and_cleans_up(tmp_path, monkeypatch):
    result = make_result("Assignment_1_AdaLovelace_12345678.ipynb")
    path = report.write_result(result, tmp_path)
    before = path.read_bytes()

    def crash(src, dst):                               # dies just before the rename
        raise KeyboardInterrupt

    monkeypatch.setattr(report.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        report.write_result({**result, "total": 0.0}, tmp_path)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_half_written_temp_file_from_a_killed_run_is_ignored(tmp_path, class_results):
    write_all(class_results, tmp_path)
    # What kill -9 between write and os.replace leaves behind:
    good = report.result_path(tmp_path, class_results[0]["file"])
    (good.parent / f".{good.name}.k3j2h1.tmp").write_bytes(good.read_bytes()[:40])
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no warning about the temp file
        loaded = report.load_results(tmp_path)
    assert loaded == sorted(class_results, key=lambda r: r["file"])


def test_corrupt_result_files_are_skipped_with_a_warning(tmp_path, class_results):
    write_all(class_results, tmp_path)
    folder = tmp_path / "results"
    (folder / "cut.json").write_text('{"schema": "nncourse-result/1", "file": "cu')
    (folder / "other.json").write_text('{"schema": "something-else/2", "file": "o.ipynb"}')
    (folder / "list.json").write_text("[1, 2]")
    (folder / "latin1.json").write_bytes(b'{"file": "\xe9"}')
    skipped = []
    with pytest.warns(report.ResultFileWarning) as caught:
        loaded = report.load_results(tmp_path, skipped)
    assert [r["file"] for r in loaded] == sorted(r["file"] for r in class_results)
    bad = ["cut.json", "latin1.json", "list.json", "other.json"]
    assert sorted(path.name for path, _ in skipped) == bad
    assert len(caught) == 4 and all("skipping" in str(w.message) for w in caught)


def test_load_results_sorts_by_file_name(tmp_path, class_results):
    write_all(class_results, tmp_path)
    files = [r["file"] for r in report.load_results(tmp_path)]
    assert files == sorted(files) and len(files) == 4


def test_load_results_of_an_empty_folder(tmp_path):
    assert report.load_results(tmp_path) == []


# ---------------------------------------------------------------- gradebook

def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_gradebook_columns_rows_and_order(tmp_path, class_results):
    path = report.write_gradebook(class_results, tmp_path / "gradebook.csv")
    header, *rows = read_csv(path)
    assert header == ["file", "name", "matriculation", "assignment", "status",
                      "task_1_1", "task_1_2", "task_1_3", "total", "max", "flags", "error"]
    assert [row[0] for row in rows] == [
        "Assignment_1_AdaLovelace_12345678.ipynb", "Assignment_1_AlanTuring_34567890.ipynb",
        "Assignment_1_GraceHopper_23456789.ipynb", "broken.ipynb"]
    turing = dict(zip(header, rows[1]))
    assert turing == {"file": "Assignment_1_AlanTuring_34567890.ipynb", "name": "AlanTuring",
                      "matriculation": "34567890", "assignment": "1", "status": "graded",
                      "task_1_1": "2.5", "task_1_2": "10", "task_1_3": "0", "total": "12.5",
                      "max": "20", "flags": "file name does not match the pattern",
                      "error": ""}
    broken = dict(zip(header, rows[3]))
    assert broken["status"] == "rejected" and broken["assignment"] == ""
    assert broken["task_1_1"] == broken["task_1_2"] == ""
    assert broken["error"] == "not a valid notebook (JSON error at line 1)"


def test_gradebook_is_byte_identical_when_regenerated(tmp_path, class_results):
    write_all(class_results, tmp_path)
    first = report.write_reports(tmp_path)
    snapshot = {p: p.read_bytes() for p in _outputs(first)}
    for result in class_results:        # the non-deterministic fields change on a re-run
        report.write_result({**result, "seconds": 9.9, "graded_at": "2027-01-01"}, tmp_path)
    second = report.write_reports(tmp_path)
    assert _outputs(second) == list(snapshot)
    for path, data in snapshot.items():
        assert path.read_bytes() == data, path


def _outputs(written):
    return [written["gradebook"], *written["feedback"], *written["summary"]]


def test_gradebook_flags_joined_and_float_noise_hidden(tmp_path):
    result = make_result("Assignment_1_AdaLovelace_12345678.ipynb",
                         points={"task_1_1": 0.1 + 0.2}, flags=["late", "renamed"])
    header, row = read_csv(report.write_gradebook([result], tmp_path / "g.csv"))
    row = dict(zip(header, row))
    assert row["flags"] == "late; renamed" and row["task_1_1"] == "0.3"


def test_task_columns_keep_spec_order_when_a_result_lacks_tasks():
    full = make_result("b.ipynb")
    partial = make_result("a.ipynb")
    del partial["tasks"]["task_1_1"]
    assert report.task_tags([partial, full]) == ["task_1_1", "task_1_2", "task_1_3"]
    first_only, last_only = make_result("c.ipynb"), make_result("d.ipynb")
    del first_only["tasks"]["task_1_3"], last_only["tasks"]["task_1_1"]
    assert report.task_tags([last_only, first_only]) == ["task_1_1", "task_1_2", "task_1_3"]


def test_gradebook_defuses_spreadsheet_formulas(tmp_path):
    result = make_result("=HYPERLINK(1)_x_1.ipynb", status="rejected",
                         error="@SUM(A1) is not a notebook")
    result["student"]["name"] = "+cmd"
    header, row = read_csv(report.write_gradebook([result], tmp_path / "g.csv"))
    row = dict(zip(header, row))
    assert row["file"] == "'=HYPERLINK(1)_x_1.ipynb" and row["name"] == "'+cmd"
    assert row["error"] == "'@SUM(A1) is not a notebook"


# ---------------------------------------------------------------- feedback

HOSTILE = "<script>alert('x')</script> & <img src=x onerror=alert(1)>"


def test_feedback_escapes_hostile_messages(tmp_path):
    result = make_result("Assignment_1_AdaLovelace_12345678.ipynb",
                         points={"task_1_2": 0.0}, messages=[HOSTILE, "`x` is <b>"])
    result["student"]["name"] = "<b>Ada</b>"
    result["tasks"]["task_1_1"]["messages"] = ["your cell printed </style><script>1</script>"]
    html_path, md_path = report.write_feedback(result, tmp_path)
    html = html_path.read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html and "<b>Ada" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;img" in html
    assert "<code>x</code> is &lt;b&gt;" in html          # code spans survive escaping
    assert html.count("</style>") == 1
    md = md_path.read_text(encoding="utf-8")
    assert not re.search(r"(?<!\\)<", md)               # every < is backslash-escaped
    assert r"\<script\>alert('x')\</script\> \& \<img" in md


def test_markdown_escape_keeps_code_spans_and_folds_lines():
    assert report.md_escape("`a_b` has *bad* [x](y)") == r"`a_b` has \*bad\* \[x\](y)"
    assert report.md_escape("line\n# heading\n| cell") == r"line \# heading \| cell"
    assert report.md_escape("odd ` tick") == r"odd \` tick"
    assert report.md_code("a_b.ipynb") == "`a_b.ipynb`"
    assert report.md_code("a`b") == r"a\`b"


def test_feedback_content_for_a_graded_submission(tmp_path):
    result = make_result("Assignment_1_GraceHopper_23456789.ipynb", points={"task_1_2": 4.0},
                         task_status={"task_1_3": "timeout"})
    html_path, md_path = report.write_feedback(result, tmp_path)
    assert html_path == tmp_path / "feedback" / "Assignment_1_GraceHopper_23456789.html"
    html, md = html_path.read_text(encoding="utf-8"), md_path.read_text(encoding="utf-8")
    for text in (html, md):
        assert "GraceHopper" in text and "14 / 20 points" in text
        assert "A perceptron" in text and "4 / 10" in text and "✗" in text and "✓" in text
        assert "The grader stopped your code." in text     # timeout: the kernel was stopped
        assert "Problems in your code." in text
    assert "<style>" in html and "http" not in html.replace("http-equiv", "")


def test_feedback_for_a_rejected_file_blames_the_file(tmp_path, class_results):
    html_path, md_path = report.write_feedback(class_results[3], tmp_path)
    for text in (html_path.read_text(encoding="utf-8"), md_path.read_text(encoding="utf-8")):
        assert "Problem with the submitted file." in text
        assert "not a valid notebook" in text
        assert "Problems in your code." not in text and "points" not in text.split("file")[0]


def test_origins_all_passed():
    result = make_result("Assignment_1_AdaLovelace_12345678.ipynb")
    assert report.origins(result) == [("ok", "All of your code ran and every check passed.")]


# ---------------------------------------------------------------- summary

def png_size(data):
    """Width and height of a PNG, after checking its signature and header CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    body = data[16:16 + 13]
    assert struct.unpack(">I", data[29:33])[0] == zlib.crc32(kind + body)
    assert data.endswith(b"IEND\xaeB`\x82")
    return struct.unpack(">II", body[:8])


def test_summary_files_exist_and_png_is_valid(tmp_path, class_results):
    png, md = report.write_summary(class_results, tmp_path)
    assert (png, md) == (tmp_path / "summary.png", tmp_path / "summary.md")
    width, height = png_size(png.read_bytes())
    assert width >= 800 and height >= 400
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# Assignment 1: 3 graded of N = 4 submissions")
    assert "| graded | 3 |" in text and "| rejected | 1 |" in text
    assert "| flagged | 1 |" in text
    # totals 20, 14, 12.5
    assert "mean 15.5, median 14, min 12.5, max 20." in text
    assert "| `task_1_2` | A perceptron | 10 | 8 | 67% |" in text
    assert "| `task_1_1` | The XOR data | 5 | 4.17 | 67% |" in text
    assert "`broken.ipynb`: not a valid notebook" in text


def test_summary_is_deterministic(tmp_path, class_results):
    first = [p.read_bytes() for p in report.write_summary(class_results, tmp_path / "a")]
    second = [p.read_bytes() for p in report.write_summary(class_results[::-1], tmp_path / "b")]
    assert first == second


def test_summary_without_graded_submissions(tmp_path, class_results):
    png, md = report.write_summary([class_results[3]], tmp_path)
    png_size(png.read_bytes())
    assert "No graded submissions." in md.read_text(encoding="utf-8")


# ---------------------------------------------------------------- mixed folder

def test_mixed_assignments_in_one_folder(tmp_path, class_results):
    second = [make_result("Assignment_2_AdaLovelace_12345678.ipynb", assignment=2,
                          points={"task_2_2": 7.0}),
              make_result("Assignment_2_AlanTuring_34567890.ipynb", assignment=2)]
    write_all(class_results + second, tmp_path)
    (tmp_path / "results" / "zz.json").write_text("{")
    with pytest.warns(report.ResultFileWarning):
        written = report.write_reports(tmp_path)
    assert written["skipped"] == [tmp_path / "results" / "zz.json"]
    assert len(written["feedback"]) == 2 * 6

    header, *rows = read_csv(written["gradebook"])
    assert header[5:-4] == ["task_1_1", "task_1_2", "task_1_3", "task_2_1", "task_2_2"]
    row = dict(zip(header, rows[1]))           # Assignment_1_AlanTuring..., then 2_Ada...
    assert row["assignment"] == "1" and row["task_2_1"] == ""
    row = dict(zip(header, rows[3]))
    assert row["file"].startswith("Assignment_2_Ada")
    assert row["task_1_1"] == "" and row["task_2_2"] == "7" and row["max"] == "20"

    text = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert text.startswith("# Assignments 1, 2: 5 graded of N = 6 submissions")
    assert "## Assignment 1\n" in text and "## Assignment 2\n" in text
    assert "Assignment unknown" not in text     # the rejected file is listed, no section
    assert "| `task_2_2` | Backpropagation | 14 | 10.5 | 50% |" in text
    assert "- `zz.json`: JSONDecodeError" in text and str(tmp_path) not in text
    png_size((tmp_path / "summary.png").read_bytes())


def test_write_reports_on_an_empty_folder(tmp_path):
    written = report.write_reports(tmp_path)
    assert read_csv(written["gradebook"])[0][:5] == ["file", "name", "matriculation",
                                                      "assignment", "status"]
    assert written["feedback"] == [] and all(p.exists() for p in written["summary"])
    assert not any(name.endswith(".tmp") for _, _, names in os.walk(tmp_path)
                   for name in names)


def test_origins_separate_stopped_tasks_from_code_problems():
    result = make_result("Assignment_1_AdaLovelace_12345678.ipynb",
                         points={"task_1_1": 0.0, "task_1_3": 0.0},
                         task_status={"task_1_1": "error", "task_1_3": "crashed"})
    found = dict(report.origins(result))
    assert "Why XOR is hard (the kernel crashed)" in found["grader"]
    assert "The XOR data" in found["code"] and "Why XOR is hard" not in found["code"]
    assert "ok" not in found


def test_minimal_record_of_a_grader_failure_is_reported(tmp_path):
    # The shape the batch grader writes when grading itself failed: few fields filled in.
    report.write_result({"schema": report.SCHEMA, "grader_version": "0.1.0",
                         "file": "Assignment_2_Bob_1.ipynb", "sha256": None, "assignment": 2,
                         "student": {}, "status": "rejected", "error": "grader failure: boom",
                         "flags": [], "total": 0.0, "max": 0.0, "tasks": {},
                         "fingerprint": "x"}, tmp_path)
    written = report.write_reports(tmp_path)
    html = written["feedback"][0].read_text(encoding="utf-8")
    assert "grader failure: boom" in html and "(name not recognised)" in html
    assert "not a problem with your work" in html
    assert "Problem with the submitted file." not in html and "The grader failed." in html
    header, row = read_csv(written["gradebook"])
    assert dict(zip(header, row))["assignment"] == "2"
    assert "# Assignment 2: 0 graded of N = 1 submissions" in (tmp_path / "summary.md").read_text()
