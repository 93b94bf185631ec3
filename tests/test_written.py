"""Written answers: the specs' questions and rubrics, extraction during grading, safe
rendering, the marks store, the offline marks file, and the reports that merge the marks."""
import csv
import json
import re
from html.parser import HTMLParser

import nbformat
import pytest

from grader import report, written
from grader.manual import Mark, MarkConflict, MarkStore, merge
from grader.marksfile import COLUMNS, export, import_marks
from grader.rendering import to_html, to_text
from grader.result import Status
from grader.specs import available, load_spec

from written_kit import EXAMPLES, REPO, answered, make_out

SPECS = [load_spec(n) for n in available() if n <= 4]


# ---------------------------------------------------------------- the specs and notebooks

@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"a{s.number}")
def test_code_70_and_written_30_with_rubrics_that_add_up(spec):
    assert (spec.code_points, spec.written_points, spec.points) == (70, 30, 100)
    for question in spec.written:
        assert re.fullmatch(rf"answer_{spec.number}_\d+", question.tag)
        assert question.points == sum(c.points for c in question.rubric) > 0
        assert len(question.rubric) >= 3 and all(c.text and c.points > 0 for c in question.rubric)
        assert len({c.id for c in question.rubric}) == len(question.rubric)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"a{s.number}")
def test_answer_cells_are_tagged_and_the_student_sees_points_but_no_rubric(spec):
    solution = nbformat.read(REPO / "solutions" / spec.solution_name, as_version=4)
    tags = [t for c in solution.cells for t in c.metadata.get("tags", [])
            if written.ANSWER_TAG.match(t)]
    assert tags == [q.tag for q in spec.written]
    models = written.model_answers(spec)
    assert all(len(models[q.tag]) > 100 for q in spec.written)      # an instructor cell each
    student = nbformat.read(REPO / "notebooks" / spec.template_name, as_version=4)
    text = "\n".join(c.source for c in student.cells)
    for question in spec.written:
        assert f"**Question {question.number} ({question.points:g} points).**" in text
        assert question.rubric[0].text[:40] not in text
        assert models[question.tag][20:80] not in text                # no model answer
    cells = [c for c in student.cells if "answer" in c.metadata.get("tags", [])]
    assert len(cells) == len(spec.written)
    assert all(c.metadata.get("editable", True) is not False for c in cells)


# ---------------------------------------------------------------- extraction

SPEC1 = load_spec(1)


def extract(nb):
    return written.extract(nb, SPEC1, written.template_for(SPEC1))


def test_the_template_as_handed_out_is_unchanged_everywhere():
    nb = nbformat.read(REPO / "notebooks" / SPEC1.template_name, as_version=4)
    answers, flags = extract(nb)
    assert [a.status for a in answers.values()] == [Status.UNCHANGED] * 3 and not flags
    assert all(a.text == "" and len(a.sha256) == 64 for a in answers.values())


def test_answers_are_found_by_tag_then_id_then_label_and_missing_is_flagged():
    template = REPO / "notebooks" / SPEC1.template_name
    nb = answered(template, {"answer_1_1": "It **cannot**: the sums contradict.",
                             "answer_1_2": "Dead units.", "answer_1_3": "Identity, MSE."})
    answers, _ = extract(nb)
    first = answers["answer_1_1"]
    assert first.status is Status.ANSWERED and first.text == "It cannot: the sums contradict."
    assert "**cannot**" in first.source and first.rubric[0]["id"] == "r1"
    assert first.max == 12 and first.title == SPEC1.written[0].title
    for cell in nb.cells:                                   # tag lost: found by its id
        if "answer_1_2" in cell.metadata.get("tags", []):
            cell.metadata["tags"] = []
    answers, _ = extract(nb)
    assert answers["answer_1_2"].status is Status.ANSWERED
    assert "cell id" in answers["answer_1_2"].notes[0]
    for cell in nb.cells:                                   # everything stripped: labels
        cell.metadata = {}
        cell.pop("id", None)
    answers, flags = extract(nb)
    assert [a.text for a in answers.values()] == ["It cannot: the sums contradict.",
                                                  "Dead units.", "Identity, MSE."]
    nb.cells = [c for c in nb.cells if "Dead units" not in c.source]
    answers, flags = extract(nb)
    assert answers["answer_1_2"].status is Status.MISSING
    assert all(a.status is Status.MISSING for a in answers.values())   # order is unsure now
    assert flags and "answer_1_2" in flags[0]


def test_a_placeholder_kept_above_an_answer_is_not_the_answer():
    nb = nbformat.read(REPO / "notebooks" / SPEC1.template_name, as_version=4)
    for cell in nb.cells:
        if "answer_1_3" in cell.metadata.get("tags", []):
            cell.source += "\n\nSigmoid and BCE for two classes."
    answers, _ = extract(nb)
    assert answers["answer_1_3"].text == "Sigmoid and BCE for two classes."


# ---------------------------------------------------------------- rendering

ATTACKS = "\n\n".join([
    "<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "[a](javascript:alert)",
    "![t](http://198.51.100.7/p.png)", "<svg onload=alert(4)>", "<a href='vbscript:x'>v</a>",
    "<style>*{}</style>", "[d](data:text/html,x)", "<iframe src=//198.51.100.7>",
    "[ok](https://example.org)"])


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def test_student_markdown_cannot_run_or_load_anything():
    html = to_html(ATTACKS + "\n\n$x < y$ and **bold**")
    parser = Tags()
    parser.feed(html)
    assert {tag for tag, _ in parser.found} <= {"p", "a", "span", "strong"}
    for tag, attrs in parser.found:
        assert not any(name.startswith("on") or name in ("src", "style") for name in attrs)
        if tag == "a":
            assert attrs["href"] == "#harmful-link" or attrs["href"].startswith("https:")
    assert 'href="#harmful-link"' in html and "[image: t; a link, not shown]" in html
    assert '<span class="math">\\(x &lt; y\\)</span>' in html and "<strong>bold</strong>" in html
    assert to_text("**a** $x$\n\n- b") == "a $x$\n\nb"


# ---------------------------------------------------------------- marks and merging

@pytest.fixture
def out(tmp_path):
    return make_out(tmp_path / "out")


def test_marks_merge_into_totals_stale_and_unanswered_answers(out):
    results = {r.file: r for r in report.read_results(out)}
    ada = results["Assignment_1_AdaLovelace_10000001.ipynb"]
    alan = results["Assignment_1_AlanTuring_10000002.ipynb"]
    assert [a.state for a in ada.written.values()] == [Status.PENDING] * 3
    assert [a.state for a in alan.written.values()] == [Status.UNCHANGED] * 3
    assert ada.total == alan.total == 50
    store = MarkStore(out)
    sha = ada.written["answer_1_1"].sha256
    store.save(Mark(ada.file, "answer_1_1", 10, ["r1", "r2", "r3"], "good", "t", sha), 0)
    store.save(Mark(ada.file, "answer_1_2", 4, [], "", "t", "0" * 64), 0)      # stale
    merged = {r.file: r for r in report.read_results(out)}[ada.file]
    assert merged.total == 60
    states = {t: a.state for t, a in merged.written.items()}
    assert states == {"answer_1_1": Status.MARKED, "answer_1_2": Status.STALE,
                      "answer_1_3": Status.PENDING}
    raw = report.read_results(out, manual=False)
    assert {r.file: r for r in raw}[ada.file].total == 50          # results/ stay as graded
    assert json.loads(report.result_path(out, ada.file).read_text())["total"] == 50


def test_a_change_from_an_outdated_version_is_refused_and_history_kept(out):
    store = MarkStore(out)
    first = store.save(Mark("f.ipynb", "answer_1_1", 3), 0)
    second = store.save(Mark("f.ipynb", "answer_1_1", 5), first.version)
    with pytest.raises(MarkConflict) as caught:
        store.save(Mark("f.ipynb", "answer_1_1", 1), first.version)    # another tab, older
    assert caught.value.current.points == 5 and second.version == 2
    assert store.get("f.ipynb", "answer_1_1").points == 5
    lines = (out / "manual" / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["after"]["points"] for line in lines] == [3, 5]
    assert not list((out / "manual").rglob("*.tmp"))


# ---------------------------------------------------------------- the offline marks file

def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_export_then_import_of_a_filled_in_marks_file(out, tmp_path):
    rows = read_rows(export(out))
    assert list(rows[0]) == COLUMNS and len(rows) == 4 * 3
    alan = [r for r in rows if "AlanTuring" in r["file"]]
    assert [r["points"] for r in alan] == ["0"] * 3 and alan[0]["marker"] == "auto"
    ada = [r for r in rows if "AdaLovelace" in r["file"]]
    assert [r["points"] for r in ada] == ["", "", ""]
    ada[0].update(points="11", comment="-fine, but say why", marker="sheet")
    ada[1].update(points="7,5")                      # a decimal comma from a spreadsheet
    filled = tmp_path / "filled.csv"
    with open(filled, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    done = import_marks(out, filled, "me")
    assert (done.applied, done.errors, done.stale) == (2, [], [])
    assert done.unchanged == sum(r["marker"] == "auto" for r in rows) and done.empty > 0
    mark = MarkStore(out).get(ada[0]["file"], "answer_1_1")
    assert (mark.points, mark.comment, mark.marker) == (11, "-fine, but say why", "sheet")
    assert MarkStore(out).get(ada[1]["file"], "answer_1_2").marker == "me"
    again = read_rows(export(out))                   # the app and the file agree
    assert again[[r["file"] for r in again].index(ada[0]["file"])]["comment"] == \
        "'-fine, but say why"                        # a formula guard, undone on import
    assert import_marks(out, export(out)).applied == 0


def test_an_import_with_errors_applies_nothing_and_names_every_row(out, tmp_path):
    rows = read_rows(export(out))
    ada = [r for r in rows if "AdaLovelace" in r["file"]]
    bad = tmp_path / "bad.csv"
    lines = [COLUMNS,
             [ada[0]["file"], "answer_1_1", "5", "12", "", "", ada[0]["answer_sha256"]],
             ["Nobody.ipynb", "answer_1_1", "5", "12", "", "", "x"],
             [ada[0]["file"], "answer_1_9", "5", "12", "", "", "x"],
             [ada[1]["file"], "answer_1_2", "13", "12", "", "", ada[1]["answer_sha256"]],
             [ada[2]["file"], "answer_1_3", "many", "6", "", "", ada[2]["answer_sha256"]]]
    with open(bad, "w", newline="") as handle:
        csv.writer(handle).writerows(lines)
    done = import_marks(out, bad)
    assert len(done.errors) == 4 and done.applied == 0
    assert "line 3: unknown file 'Nobody.ipynb'" in done.errors[0]
    assert "line 4: unknown question 'answer_1_9'" in done.errors[1]
    assert "out of range 0..12" in done.errors[2] and "not a number" in done.errors[3]
    assert not (out / "manual" / "marks").exists()


def test_a_stale_row_is_flagged_and_the_others_applied(out, tmp_path):
    rows = read_rows(export(out))
    ada = [r for r in rows if "AdaLovelace" in r["file"]]
    path = tmp_path / "stale.csv"
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows([
            COLUMNS, [ada[0]["file"], "answer_1_1", "5", "12", "", "", "f" * 64],
            [ada[1]["file"], "answer_1_2", "6", "12", "", "", ada[1]["answer_sha256"]]])
    done = import_marks(out, path)
    assert done.applied == 1 and len(done.stale) == 1 and "has changed" in done.stale[0]


# ---------------------------------------------------------------- reports

def test_gradebook_feedback_and_summary_show_the_written_answers(out):
    store = MarkStore(out)
    ada = "Assignment_1_AdaLovelace_10000001.ipynb"
    sha = {t: a.sha256 for r in report.read_results(out) if r.file == ada
           for t, a in r.written.items()}
    store.save(Mark(ada, "answer_1_1", 9, ["r1", "r2", "r4"], "Say <why> the sums clash.",
                    "t", sha["answer_1_1"]), 0)
    written_ = report.write_reports(out)
    with open(written_["gradebook"], newline="") as handle:
        rows = {r["file"]: r for r in csv.DictReader(handle)}
    header = list(next(iter(rows.values())))
    assert header[5:10] == ["task_1_1", "answer_1_1", "answer_1_2", "answer_1_3", "total"]
    assert header[-3:] == ["pending", "flags", "error"]
    assert (rows[ada]["answer_1_1"], rows[ada]["answer_1_2"]) == ("9", "")
    assert (rows[ada]["total"], rows[ada]["pending"]) == ("59", "2")
    alan = rows["Assignment_1_AlanTuring_10000002.ipynb"]
    assert (alan["answer_1_1"], alan["pending"], alan["total"]) == ("0", "0", "50")
    html = (out / "feedback" / "Assignment_1_AdaLovelace_10000001.html").read_text()
    assert "Say &lt;why&gt; the sums clash." in html and "<why>" not in html
    assert "Question 1.1: No linear classifier solves XOR &mdash; 9 / 12" in html
    assert html.count('class="passed"><span class="mark">✓</span>Writes the four') == 1
    assert "2 written answers are not marked yet" in html
    md = (out / "feedback" / "Assignment_1_AdaLovelace_10000001.md").read_text()
    assert "### Question 1.1: No linear classifier solves XOR: 9 / 12" in md
    assert "Comment: Say \\<why\\> the sums clash." in md
    summary = (out / "summary.md").read_text()
    assert "| `answer_1_1` | No linear classifier solves XOR | 12 | 3 | 3 of 4 |" in summary
    assert "| written answers still to mark | 4 |" in summary


def test_report_command_rebuilds_without_grading(out, capsys):
    from grader.cli import main
    assert main(["report", str(out)]) == 0
    assert "written answers still to mark: 5" in capsys.readouterr().out
    assert main(["report", str(out / "nothing")]) == 2
