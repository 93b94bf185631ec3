"""The ``grade`` command as an instructor meets it (issue 13), on the toy assignment 9: real
batch runs in a subprocess, with 1 and 2 workers.

* a preflight stops a run whose kernels cannot start, before anything is graded or written;
* one summary line, and exit status 0 / 1 (grader failure) / 2 (nothing to grade, bad output
  folder, bad LMS option);
* Ctrl-C (to the process group or to the main process only) and SIGTERM: out within 2 s,
  no worker, zygote or kernel left, no unfinished result written; the rerun grades exactly
  the rest and ends with the gradebook of an uninterrupted run;
* folders searched recursively, each submission recorded under its relative path;
* notebooks whose cell metadata was stripped;
* identity from the file name also for rejected files and re-downloads; superseded copies;
* a closed stdout pipe; LMS downloads wired into ``grade``.
"""
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from fixtures import toy
from grader import report
from grader.submission import STRUCTURE_LOST

REPO = Path(__file__).resolve().parent.parent
SOLUTION_1 = toy.SOLUTION["task_9_1"]
SLOW = {"task_9_1": "import time\ntime.sleep(1.0)\n" + SOLUTION_1}   # full marks, slowly
WRONG = {"task_9_2": "def relu(z):\n    return np.abs(z)"}


def env(**extra):
    # the toy spec (found through NNCOURSE_SPECS) imports tests/fixtures
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests")]),
                **extra)


def command(paths, out, templates, jobs=1, *extra):
    paths = [paths] if isinstance(paths, (str, Path)) else paths
    return [sys.executable, "-m", "grader", "grade", *map(str, paths), "-a", "9", "-o",
            str(out), "--templates", str(templates), "-j", str(jobs), "--no-progress",
            "--cell-timeout", "3", *extra]


def grade(paths, out, templates, jobs=1, *extra, environment=None):
    return subprocess.run(command(paths, out, templates, jobs, *extra),
                          env=environment or env(), capture_output=True, text=True,
                          timeout=600)


def summary_line(done):
    lines = [line for line in done.stdout.splitlines() if line.startswith("summary: ")]
    assert len(lines) == 1, done.stdout + done.stderr
    return lines[0]


def gradebook(out):
    with open(Path(out) / "gradebook.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def results(out):
    return {json.loads(p.read_text())["file"]: json.loads(p.read_text())
            for p in sorted((Path(out) / "results").glob("*.json"))}


def no_traceback(done):
    text = done.stdout + done.stderr
    assert "Traceback" not in text and "KeyboardInterrupt" not in text and \
        "BrokenPipeError" not in text, text[-3000:]


def write(path, sources=None, mtime=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    toy.write(path, sources)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


# ---------------------------------------------------------------- one mixed class, graded once

@pytest.fixture(scope="module")
def mixed(tmp_path_factory, toy_templates):
    """A class folder as an LMS or a tutor leaves it: sub-folders, hidden folders, a broken
    file, a re-download, two copies of one student's work. Graded with 2 workers, then again."""
    base = tmp_path_factory.mktemp("mixed")
    folder = base / "class"
    now = time.time()
    write(folder / "Assignment_9_AdaLovelace_10000001.ipynb")
    write(folder / "Assignment_9_Wrong_10000002.ipynb", WRONG)
    (folder / "Assignment_9_Bob_12345678.ipynb").write_text("this is not JSON")
    write(folder / "homework.ipynb")
    write(folder / "Assignment_9_Carl_10000003 (1).ipynb")
    write(folder / "ada" / "A1.ipynb")                      # two A1.ipynb, two students
    write(folder / "bob" / "A1.ipynb", toy.BLANK)
    write(folder / "deep" / "er" / "Assignment_9_Dora_10000004.ipynb")
    write(folder / ".hidden" / "Assignment_9_Eve_10000005.ipynb")
    write(folder / "ada" / ".ipynb_checkpoints" / "A1-checkpoint.ipynb")
    # Finn submitted twice: the older (full marks) is superseded by the newer (blank)
    write(folder / "old" / "Assignment_9_Finn_10000006.ipynb", None, now - 3600)
    write(folder / "Assignment_9_Finn_10000006-1.ipynb", toy.BLANK, now - 60)
    out = base / "out"
    first = grade(folder, out, toy_templates, 2)
    first_results, first_book = results(out), gradebook(out)
    second = grade(folder, out, toy_templates, 1)
    return {"folder": folder, "out": out, "first": first, "second": second,
            "results": first_results, "book": first_book, "templates": toy_templates}


def test_summary_line_counts_and_exit_status_0(mixed):
    first = mixed["first"]
    assert first.returncode == 0, first.stdout + first.stderr
    no_traceback(first)
    line = summary_line(first)
    assert ("9 submission(s), 8 graded, 1 rejected (the file's fault), 0 grader failure(s), "
            "4 flagged, 0 skipped as already graded, 1 superseded (not graded)") in line, line
    graded = [r for r in mixed["results"].values() if r["status"] == "graded"]
    mean = sum(r["total"] for r in graded) / len(graded)
    assert f"mean score: assignment 9: {report.fmt(mean, 2)}/7" in line, line
    # the rerun grades nothing and says so, with the same counts
    second = mixed["second"]
    assert second.returncode == 0
    assert "9 skipped as already graded" in summary_line(second)
    assert gradebook(mixed["out"]) == mixed["book"]


def test_folders_are_searched_recursively_and_names_do_not_collide(mixed):
    rows = {r["file"]: r for r in mixed["book"]}
    assert set(rows) == {
        "Assignment_9_AdaLovelace_10000001.ipynb", "Assignment_9_Wrong_10000002.ipynb",
        "Assignment_9_Bob_12345678.ipynb", "homework.ipynb",
        "Assignment_9_Carl_10000003 (1).ipynb", "ada/A1.ipynb", "bob/A1.ipynb",
        "deep/er/Assignment_9_Dora_10000004.ipynb", "Assignment_9_Finn_10000006-1.ipynb",
        "old/Assignment_9_Finn_10000006.ipynb"}        # the last: superseded
    assert rows["ada/A1.ipynb"]["total"] == "7" and rows["bob/A1.ipynb"]["total"] == "0"
    assert rows["deep/er/Assignment_9_Dora_10000004.ipynb"]["status"] == "graded"
    out = mixed["out"]
    assert len(list((out / "results").glob("*.json"))) == 9
    feedback = sorted(p.name for p in (out / "feedback").iterdir())
    assert len(feedback) == 18 and len(set(feedback)) == 18
    ada = (out / "feedback" / f"{report._stem('ada/A1.ipynb')}.md").read_text()
    assert "ada/A1.ipynb" in ada and "7 / 7 points" in ada


def test_identity_is_kept_for_rejected_files_and_redownloads(mixed):
    rows = {r["file"]: r for r in mixed["book"]}
    bob = rows["Assignment_9_Bob_12345678.ipynb"]
    assert (bob["status"], bob["name"], bob["matriculation"]) == \
        ("rejected", "Bob", "12345678")
    assert "not valid JSON" in bob["error"] and bob["assignment"] == "9"
    carl = rows["Assignment_9_Carl_10000003 (1).ipynb"]
    assert (carl["name"], carl["matriculation"], carl["flags"]) == ("Carl", "10000003", "")
    assert "does not match" in rows["homework.ipynb"]["flags"]


def test_a_newer_submission_supersedes_an_older_one(mixed):
    rows = {r["file"]: r for r in mixed["book"]}
    newer, older = rows["Assignment_9_Finn_10000006-1.ipynb"], \
        rows["old/Assignment_9_Finn_10000006.ipynb"]
    assert newer["status"] == "graded" and newer["total"] == "0"      # the newest counts
    assert "superseded: old/Assignment_9_Finn_10000006.ipynb" in newer["flags"]
    assert (older["status"], older["name"], older["matriculation"], older["total"]) == \
        ("superseded", "Finn", "10000006", "")
    assert "superseded by Assignment_9_Finn_10000006-1.ipynb" in older["flags"]
    assert "old/Assignment_9_Finn_10000006.ipynb" not in mixed["results"]


def test_when_the_older_copy_becomes_the_newest_it_is_graded_instead(mixed, tmp_path):
    folder = tmp_path / "class"
    write(folder / "a" / "Assignment_9_Finn_10000006.ipynb", None, time.time() - 3600)
    write(folder / "b" / "Assignment_9_Finn_10000006.ipynb", toy.BLANK, time.time() - 60)
    out = tmp_path / "out"
    assert grade(folder, out, mixed["templates"]).returncode == 0
    assert [r["total"] for r in gradebook(out) if r["status"] == "graded"] == ["0"]
    os.utime(folder / "a" / "Assignment_9_Finn_10000006.ipynb")      # now the newest
    done = grade(folder, out, mixed["templates"])
    rows = {r["file"]: r for r in gradebook(out)}
    assert rows["a/Assignment_9_Finn_10000006.ipynb"]["total"] == "7"
    assert rows["b/Assignment_9_Finn_10000006.ipynb"]["status"] == "superseded"
    assert list(results(out)) == ["a/Assignment_9_Finn_10000006.ipynb"]   # stale one gone
    assert "superseded: b/Assignment_9_Finn_10000006.ipynb" in done.stdout


# ---------------------------------------------------------------- exit status

def test_a_grader_failure_exits_1_and_the_rerun_grades_it(tmp_path, toy_templates):
    """A fault injected into grading (a sitecustomize in the batch's processes only)."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import os\n"
        "if os.environ.get('NNCOURSE_TEST_FAULT'):\n"
        "    import grader.grade as g\n"
        "    real = g.task_sources\n"
        "    def task_sources(sub, template_tasks):\n"
        "        if 'Unlucky' in sub.path.name:\n"
        "            raise RuntimeError('injected fault')\n"
        "        return real(sub, template_tasks)\n"
        "    g.task_sources = task_sources\n")
    folder = tmp_path / "class"
    write(folder / "Assignment_9_Lucky_10000001.ipynb")
    write(folder / "Assignment_9_Unlucky_10000002.ipynb")
    out = tmp_path / "out"
    faulty = env(NNCOURSE_TEST_FAULT="1")
    faulty["PYTHONPATH"] = os.pathsep.join([str(hook), faulty["PYTHONPATH"]])
    done = grade(folder, out, toy_templates, 2, environment=faulty)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 graded, 0 rejected (the file's fault), 1 grader failure(s)" in summary_line(done)
    assert results(out)["Assignment_9_Unlucky_10000002.ipynb"]["status"] == "grader failure"
    again = grade(folder, out, toy_templates)
    assert again.returncode == 0
    assert "2 graded, 0 rejected (the file's fault), 0 grader failure(s)" in \
        summary_line(again) and "1 skipped as already graded" in summary_line(again)


def test_a_class_of_another_assignment_is_not_mistaken_for_success(tmp_path, toy_templates):
    folder = tmp_path / "class"
    folder.mkdir()
    for index in range(2):          # assignment 5's task cells, graded as assignment 9
        nbformat.write(toy.notebook({"task_5_1": "x = 1"}),
                       str(folder / f"Assignment_9_S{'ab'[index]}_1000000{index}.ipynb"))
    done = grade(folder, tmp_path / "out", toy_templates)
    assert done.returncode == 0                 # the files' fault, not the grader's
    assert "0 graded, 2 rejected (the file's fault)" in summary_line(done)
    assert "mean score: none (nothing graded)" in summary_line(done)
    assert "nothing was graded" in done.stderr and "assignment 5" in done.stderr


def test_nothing_to_grade_exits_2(tmp_path, toy_templates):
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "notes.txt").write_text("no notebooks here")
    done = grade(empty, tmp_path / "out", toy_templates)
    assert done.returncode == 2 and "no .ipynb file found" in done.stderr
    assert not (tmp_path / "out" / "gradebook.csv").exists()
    assert not (tmp_path / "out" / "summary.png").exists()
    missing = grade(tmp_path / "nowhere", tmp_path / "out", toy_templates)
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr


def test_preflight_failure_stops_before_grading(tmp_path, toy_templates):
    """A kernel that cannot start (here: 1 MB of memory) stops the run before any result."""
    folder = tmp_path / "class"
    for index in range(3):
        write(folder / f"Assignment_9_S{'abc'[index]}_1000000{index}.ipynb")
    out = tmp_path / "out"
    started = time.monotonic()
    done = grade(folder, out, toy_templates, 2, "--memory-mb", "1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "preflight failed, nothing was graded" in done.stderr
    assert "assignment 9" in done.stderr and "try:" in done.stderr
    assert not list((out / "results").glob("*")) if (out / "results").exists() else True
    assert not (out / "gradebook.csv").exists()
    no_traceback(done)
    assert time.monotonic() - started < 120


def test_output_folder_problems_are_one_line_and_exit_2(tmp_path, toy_templates):
    folder = tmp_path / "class"
    write(folder / "Assignment_9_Ada_10000001.ipynb")
    a_file = tmp_path / "graded.txt"
    a_file.write_text("not a folder")
    done = grade(folder, a_file, toy_templates)
    assert done.returncode == 2 and done.stderr.strip().splitlines()[-1] == \
        f"error: -o {a_file}: exists and is not a folder"
    no_traceback(done)
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    mounted = False
    if os.geteuid() == 0:     # root ignores permission bits, not a read-only mount
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs",
                                  str(read_only)], capture_output=True).returncode == 0
        if not mounted:
            pytest.skip("cannot make a read-only folder as root here")
    else:
        read_only.chmod(0o555)
    try:
        for out in (read_only, read_only / "graded"):
            started = time.monotonic()
            done = grade(folder, out, toy_templates)
            assert done.returncode == 2, done.stderr
            last = done.stderr.strip().splitlines()[-1]
            assert last.startswith(f"error: -o {out}: cannot ") and "Read-only" in last or \
                "Permission denied" in last, last
            assert time.monotonic() - started < 30        # before any worker started
            no_traceback(done)
    finally:
        if mounted:
            subprocess.run(["umount", str(read_only)])
        read_only.chmod(0o755)


def test_a_closed_stdout_pipe_ends_quietly(tmp_path, toy_templates):
    folder = tmp_path / "class"
    write(folder / "Assignment_9_Ada_10000001.ipynb")
    out = tmp_path / "out"
    process = subprocess.Popen(command(folder, out, toy_templates), env=env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()            # like `| head -0`: nobody reads what comes
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=300) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert (out / "gradebook.csv").exists()
    helping = subprocess.Popen([sys.executable, "-m", "grader", "grade", "--help"], env=env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    helping.stdout.close()
    stderr = helping.stderr.read().decode()
    helping.wait(timeout=60)
    assert "Traceback" not in stderr, stderr


# ---------------------------------------------------------------- stripped cell metadata

def stripped(sources, path, extra_cell=False, drop_last=False):
    """A submission whose cells lost their tags and ids (as some editors and converters
    leave them), written as nbformat 4.4 (no ids)."""
    nb = toy.notebook({**toy.SOLUTION, **sources})
    if extra_cell:
        nb.cells.insert(2, nbformat.v4.new_code_cell("print('scratch')"))
    if drop_last:
        nb.cells = nb.cells[:-1]
    for cell in nb.cells:
        cell.metadata = {}
        cell.pop("id", None)
    nb.nbformat_minor = 4
    path.write_text(json.dumps(nb))
    return path


def headed(sources):
    return {tag: f"# Task {tag[5:].replace('_', '.')} (2 points): do it\n{source}"
            for tag, source in sources.items()}


def test_stripped_notebook_recovered_by_cell_order(toy_grader, tmp_path):
    path = stripped({}, tmp_path / "Assignment_9_AdaLovelace_12345678.ipynb")
    result = toy_grader.grade(path, 9).to_dict()
    assert result["total"] == 7, result
    flag = next(f for f in result["flags"] if "recovered" in f)
    assert "no task tags or ids" in flag and "position" in flag


def test_stripped_notebook_recovered_by_task_header_lines(toy_grader, tmp_path):
    path = stripped(headed(toy.SOLUTION), tmp_path / "Assignment_9_AdaLovelace_12345678.ipynb",
                    extra_cell=True)              # an added cell: the order no longer fits
    result = toy_grader.grade(path).to_dict()     # the assignment too, from the headers
    assert result["assignment"] == 9 and result["total"] == 7, result
    flag = next(f for f in result["flags"] if "recovered" in f)
    assert "'# Task N.K' line" in flag and "position" not in flag


def test_stripped_notebook_that_cannot_be_matched_blames_the_file(toy_grader, tmp_path):
    path = stripped({}, tmp_path / "Assignment_9_AdaLovelace_12345678.ipynb", drop_last=True,
                    extra_cell=True)
    result = toy_grader.grade(path, 9).to_dict()
    assert result["total"] == 0
    assert any(f.startswith(STRUCTURE_LOST) for f in result["flags"]), result["flags"]
    kinds = [kind for kind, _ in report.origins(result)]
    assert "file" in kinds and "code" not in kinds, report.origins(result)
    report.write_feedback(result, tmp_path)
    text = (tmp_path / "feedback" / "Assignment_9_AdaLovelace_12345678.md").read_text()
    assert "structure was lost" in text and "Problems in your code" not in text


# ---------------------------------------------------------------- interruption

def _proc_table():
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        table[int(entry.name)] = {"ppid": int(fields[1]), "state": fields[0],
                                  "start": int(fields[19]), "uid": uid, "cmd": cmdline}
    return table


def _descendants(pid):
    table = _proc_table()
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, info in table.items():
            if info["ppid"] == parent and child not in found:
                found[child] = info
                frontier.append(child)
    return found


def _leftovers(before, uids, signal_ticks):
    """Live (not zombie) processes of the interrupted run: a worker, zygote or kernel seen
    before the signal, or any process of its sandbox users started before the signal."""
    now = _proc_table()
    left = []
    for pid, info in now.items():
        if info["state"] in ("Z", "X"):
            continue
        if pid in before and before[pid]["start"] == info["start"] \
                and "resource_tracker" not in info["cmd"]:
            left.append((pid, info["cmd"][:80]))
        elif info["uid"] in uids and info["start"] <= signal_ticks:
            left.append((pid, info["cmd"][:80]))
    return left


def _ticks():
    return int(float(Path("/proc/uptime").read_text().split()[0]) * os.sysconf("SC_CLK_TCK"))


@pytest.fixture(scope="module")
def slow_class(tmp_path_factory, toy_templates):
    """10 submissions of about a second each; the reference gradebook of an uninterrupted
    run."""
    base = tmp_path_factory.mktemp("interrupt")
    folder = base / "class"
    for index in range(10):
        sources = {**SLOW, **(WRONG if index % 3 == 0 else {})}
        write(folder / f"Assignment_9_S{'abcdefghij'[index]}_{10000000 + index}.ipynb", sources)
    reference = base / "reference"
    done = grade(folder, reference, toy_templates, 2)
    assert done.returncode == 0, done.stdout + done.stderr
    return folder, reference, toy_templates


@pytest.mark.parametrize("how", ["SIGINT to the group", "SIGINT to the main process",
                                 "SIGTERM to the main process", "SIGTERM to the group"])
def test_interruption_stops_fast_cleanly_and_the_rerun_finishes(slow_class, tmp_path, how):
    folder, reference, templates = slow_class
    out = tmp_path / "out"
    process = subprocess.Popen(command(folder, out, templates, 2), env=env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 300
    while len(list((out / "results").glob("*.json"))) < 2 and time.monotonic() < deadline \
            and process.poll() is None:
        time.sleep(0.02)
    assert process.poll() is None, process.communicate()
    before = _descendants(process.pid)
    uids = {info["uid"] for info in before.values() if info["uid"] != os.geteuid()}
    assert any("grader.sandbox" in info["cmd"] for info in before.values()), before
    signum = signal.SIGTERM if "SIGTERM" in how else signal.SIGINT
    sent, ticks = time.monotonic(), _ticks()
    if "group" in how:
        os.killpg(process.pid, signum)
    else:
        os.kill(process.pid, signum)
    stdout, stderr = process.communicate(timeout=60)
    took = time.monotonic() - sent
    print(f"\n{how}: exit {process.returncode} {took:.2f} s after the signal")
    assert took < 2.0, (took, stderr)
    assert process.returncode == 128 + signum, stderr
    time.sleep(0.2)       # SIGKILLed processes may take a moment to be gone
    assert not _leftovers(before, uids, ticks)
    done = subprocess.CompletedProcess([], process.returncode, stdout, stderr)
    no_traceback(done)
    assert "run the same command again" in stderr
    # only whole, final results were written, each the same as in the uninterrupted run
    written, expected = results(out), results(reference)
    assert 2 <= len(written) < len(expected), len(written)
    for name, result in written.items():
        assert result["status"] == "graded" and result["total"] == expected[name]["total"]
    assert f"{len(written)} submission(s) graded in this run" in stderr
    rerun = grade(folder, out, templates, 2)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(written)} skipped as already graded" in summary_line(rerun)
    assert (out / "gradebook.csv").read_bytes() == (reference / "gradebook.csv").read_bytes()


# ---------------------------------------------------------------- LMS downloads

WORKSHEET = [
    ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
     "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
     "Feedback comments"],
    ["Participant 17", "Ada Lovelace", "ada@uni.example", "Submitted for grading", "", "7.00",
     "Yes", "Tuesday, 1 December 2026, 10:00 PM", "-", ""],
    ["Participant 19", "Grace Hopper", "grace@uni.example", "Submitted for grading", "",
     "7.00", "Yes", "Thursday, 3 December 2026, 9:00 AM", "-", ""],
]


def write_csv(path, rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue())
    return path


@pytest.fixture
def moodle(tmp_path):
    def notebook(sources):
        return nbformat.writes(toy.notebook({**toy.SOLUTION, **sources}))
    download = tmp_path / "COURSE-Assignment 9-42.zip"
    with zipfile.ZipFile(download, "w") as archive:
        # Ada named her file as she liked: the LMS says who she is
        archive.writestr("Ada Lovelace_17_assignsubmission_file/A1.ipynb", notebook({}))
        archive.writestr("Grace Hopper_19_assignsubmission_file/"
                         "Assignment_9_GraceHopper_23456789.ipynb", notebook(WRONG))
    worksheet = write_csv(tmp_path / "worksheet.csv", WORKSHEET)
    roster = write_csv(tmp_path / "roster.csv", [
        ["matriculation", "name", "email", "lms_id"],
        ["12345678", "Ada Lovelace", "ada@uni.example", ""],
        ["23456789", "Grace Hopper", "grace@uni.example", ""],
        ["34567890", "Emmy Noether", "emmy@uni.example", ""]])
    return download, worksheet, roster


def test_a_moodle_download_is_graded_with_late_penalties_and_missing_students(
        moodle, tmp_path, toy_templates):
    download, worksheet, roster = moodle
    out = tmp_path / "out"
    lms = ["--worksheet", str(worksheet), "--roster", str(roster), "--timezone", "+01:00",
           "--deadline", "2026-12-01T23:59+01:00", "--late", "10%/day"]
    done = grade(download, out, toy_templates, 2, *lms)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 notebook(s) to grade" in done.stdout
    assert "missing: Emmy Noether" in done.stdout
    assert "2 submission(s), 2 graded" in summary_line(done)
    assert "1 missing (no submission)" in summary_line(done)
    rows = {r["name"]: r for r in gradebook(out)}
    ada, grace, emmy = rows["Ada Lovelace"], rows["Grace Hopper"], rows["Emmy Noether"]
    assert (ada["matriculation"], ada["total"], ada["late penalty"], ada["final"]) == \
        ("12345678", "7", "0", "7")
    assert "does not match" not in ada["flags"]      # the LMS, not the name, says who
    # Grace: 3 December 9:00 is 2 started days late: 20% of her 4 points
    assert (grace["total"], grace["late penalty"], grace["final"]) == ("4", "-0.8", "3.2")
    assert (emmy["status"], emmy["file"], emmy["matriculation"]) == \
        ("missing", "", "34567890")
    result = results(out)[grace["file"]]
    assert result["lms"]["kind"] == "moodle" and result["lms"]["id"] == "19"
    assert result["late"]["fraction"] == pytest.approx(0.2)
    feedback = (out / "feedback" / f"{report._stem(grace['file'])}.md").read_text()
    assert "Late penalty: -0.8 points (20%)" in feedback and "3.2 / 7" in feedback
    # a later deadline: no regrading, the late fields are applied again
    lms[lms.index("--deadline") + 1] = "2026-12-04T23:59+01:00"
    again = grade(download, out, toy_templates, 1, *lms)
    assert again.returncode == 0, again.stderr
    assert "2 skipped as already graded" in summary_line(again)
    grace = {r["name"]: r for r in gradebook(out)}["Grace Hopper"]
    assert (grace["late penalty"], grace["final"]) == ("0", "4")
    assert results(out)[grace["file"]]["late"]["fraction"] == 0


def test_lms_problems_are_one_line_and_exit_2(moodle, tmp_path, toy_templates):
    download, worksheet, _ = moodle
    done = grade(download, tmp_path / "out", toy_templates, 1, "--deadline", "next friday")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: --deadline 'next friday'")
    no_traceback(done)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    done = grade(broken, tmp_path / "out2", toy_templates)
    assert done.returncode == 2 and "not a readable zip archive" in done.stderr
    no_traceback(done)
