"""The grader's required properties, on the toy assignment (NumPy only, 7 points)."""
import json
import os
import subprocess
import sys
import time

import pytest

from fixtures import toy


def graded(grader, *args, **kwargs):
    """The grader's result as the dict its result file holds."""
    return grader.grade(*args, **kwargs).to_dict()


FULL = 7.0


def task_points(result):
    return {tag: task["points"] for tag, task in result["tasks"].items()}


def test_solution_full_marks_and_blank_zero(toy_grader, toy_file):
    good = graded(toy_grader, toy_file(), 9)
    assert good["status"] == "graded" and good["total"] == FULL == good["max"]
    blank = graded(toy_grader, toy_file(toy.BLANK, name="Assignment_9_Blank_00000000.ipynb"), 9)
    assert blank["total"] == 0.0
    assert "NotImplementedError" in " ".join(blank["tasks"]["task_9_2"]["checks"][0]["messages"])


def test_identity_from_file_name(toy_grader, toy_file):
    result = graded(toy_grader, toy_file(), 9)
    assert result["student"] == {"name": "AdaLovelace", "matriculation": "12345678",
                                 "name_ok": True}
    odd = graded(toy_grader, toy_file(name="my homework.ipynb"), 9)
    assert odd["total"] == FULL and odd["student"]["name_ok"] is False
    assert any("file name does not match" in f for f in odd["flags"])


def test_assignment_inferred_from_notebook(toy_grader, toy_file):
    assert graded(toy_grader, toy_file())["assignment"] == 9


def test_patched_checkers_do_not_help(toy_grader, toy_file):
    cheat = ("import numpy as np, math, builtins\n"
             "np.allclose = lambda *a, **k: True\n"
             "np.testing.assert_allclose = lambda *a, **k: None\n"
             "math.isclose = lambda *a, **k: True\n"
             "builtins.isinstance = lambda *a: True\n"
             "X = np.zeros((4, 2))\n")
    result = graded(toy_grader, toy_file({"task_9_1": cheat}), 9)
    assert task_points(result) == {"task_9_1": 0.0, "task_9_2": 3.0, "task_9_3": 2.0}


@pytest.mark.parametrize("liar", [
    "class Yes:\n    def __eq__(self, o): return True\n    __lt__ = __gt__ = __eq__\nX = Yes()",
    "class A(np.ndarray):\n    def __eq__(self, o): return True\nX = np.zeros((4, 2)).view(A)",
    "X = np.array(object(), dtype=object)",
])
def test_lying_values_are_rejected(toy_grader, toy_file, liar):
    result = graded(toy_grader, toy_file({"task_9_1": liar}), 9)
    assert result["tasks"]["task_9_1"]["points"] == 0.0
    assert result["total"] == FULL - 2


def test_float_subclass_in_function_output(toy_grader, toy_file):
    source = ("class F(float):\n    def __eq__(self, o): return True\n"
              "def relu(z):\n    return [F(0.0)] * len(z)")
    result = graded(toy_grader, toy_file({"task_9_2": source}), 9)
    assert result["tasks"]["task_9_2"]["points"] == 0.0


@pytest.mark.parametrize("source,status", [
    ("import os\nos._exit(0)", "crashed"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "crashed"),
    ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass", "timeout"),
])
def test_exits_and_hangs_stop_one_task_only(toy_grader, toy_file, source, status):
    started = time.monotonic()
    result = graded(toy_grader, toy_file({"task_9_2": source}), 9)
    assert result["tasks"]["task_9_2"]["status"] == status
    assert task_points(result) == {"task_9_1": 2.0, "task_9_2": 0.0, "task_9_3": 2.0}
    assert time.monotonic() - started < 20


@pytest.mark.parametrize("misbehaviour,status,message", [
    ("import os\n        os._exit(0)", "crashed", "the kernel died while running"),
    ("while True: pass", "timeout", "exceeded the time limit of 5 s"),
])
def test_a_check_that_kills_or_hangs_loses_only_that_check(toy_grader, toy_file, misbehaviour,
                                                           status, message):
    # right on the public 1-d input; the hidden check's 2-d input triggers the misbehaviour
    source = ("def relu(z):\n    if z.ndim == 2:\n        " + misbehaviour +
              "\n    return np.maximum(z, 0.0)")
    result = graded(toy_grader, toy_file({"task_9_2": source}), 9)
    checks = result["tasks"]["task_9_2"]["checks"]
    assert [c["status"] for c in checks] == ["passed", status]
    assert message in checks[1]["messages"][0]
    assert task_points(result) == {"task_9_1": 2.0, "task_9_2": 1.0, "task_9_3": 2.0}


def test_the_submission_budget_stops_and_skips(toy_templates, toy_file):
    from grader.grade import Grader
    grader = Grader(specs={9: toy.SPEC}, notebooks=toy_templates, budget=2.0)
    try:
        result = graded(grader, toy_file({"task_9_1": "import time\ntime.sleep(60)"}), 9)
    finally:
        grader.close()
    first, rest = result["tasks"]["task_9_1"], list(result["tasks"].values())[1:]
    assert first["status"] == "timeout" and "time limit of 2 s" in first["messages"][0]
    assert [t["status"] for t in rest] == ["skipped", "skipped"] and result["total"] == 0
    assert result["seconds"] < 10


def test_grading_leaves_no_threads_sockets_or_folders_behind(toy_grader, toy_file):
    import gc
    import tempfile
    import threading
    from pathlib import Path
    from grader.sandbox import SOCKET_ROOT
    root = SOCKET_ROOT if toy_grader.zygote.isolate else Path(tempfile.gettempdir())

    def folders():  # this grader's kernels' only: another grader may share the slot number
        return sorted(p for p in root.glob(f"k{toy_grader.zygote.slot}-*")
                      if p.stat().st_uid == toy_grader.zygote.uid)
    path = toy_file({"task_9_2": "import os\nos._exit(1)"})  # a crash, restarts included
    graded(toy_grader, path, 9)

    def state():
        # earlier tests' garbage (other graders' clients) may close its descriptors at any
        # moment: collect it first, so that only this grader's leaks can change the count
        gc.collect()
        return threading.active_count(), len(os.listdir("/proc/self/fd")), folders()
    threads, fds, left = state()
    for _ in range(3):
        graded(toy_grader, path, 9)
    threads_after, fds_after, left_after = state()
    assert (threads_after, left_after) == (threads, left)
    assert fds_after <= fds, f"{fds_after - fds} file descriptors more after 3 gradings"


def test_links_and_pipes_in_a_class_folder_are_rejected_not_skipped(toy_grader, toy_file):
    import signal
    from grader.batch import collect
    good = toy_file()
    folder = good.parent
    (folder / "Assignment_9_Gone_11111111.ipynb").symlink_to(folder / "missing.ipynb")
    os.mkfifo(folder / "Assignment_9_Pipe_22222222.ipynb")
    found = collect([folder])
    assert [p.name for p in found] == sorted([good.name, "Assignment_9_Gone_11111111.ipynb",
                                              "Assignment_9_Pipe_22222222.ipynb"])
    signal.alarm(30)  # reading a pipe must not wait for a writer
    try:
        errors = {p.name: graded(toy_grader, p, 9)["error"] for p in found if p != good}
    finally:
        signal.alarm(0)
    assert errors == {"Assignment_9_Gone_11111111.ipynb": "the file is a symbolic link, "
                                                          "not a notebook",
                      "Assignment_9_Pipe_22222222.ipynb": "not a file"}


def test_sys_exit_is_an_error_not_a_crash(toy_grader, toy_file):
    result = graded(toy_grader, toy_file({"task_9_2": "import sys\nsys.exit(3)"}), 9)
    task = result["tasks"]["task_9_2"]
    assert task["status"] == "error" and "SystemExit" in task["messages"][0]
    assert result["total"] == FULL - 3


def test_memory_bomb_is_contained(toy_grader, toy_file):
    bomb = "import numpy as np\nX = np.ones((50 * 1024**3 // 8,))"
    result = graded(toy_grader, toy_file({"task_9_1": bomb}), 9)
    assert result["tasks"]["task_9_1"]["points"] == 0.0
    assert result["total"] == FULL - 2


def test_output_flood_is_capped(toy_grader, toy_file):
    flood = "while True:\n    print('x' * 10000)"
    result = graded(toy_grader, toy_file({"task_9_3": flood}), 9)
    assert result["tasks"]["task_9_3"]["status"] == "timeout"
    assert result["total"] == FULL - 2


def test_secrets_are_not_reachable(toy_grader, toy_file):
    from grader.constants import REPO
    probe = (f"import os\nsecret = {str(REPO / 'grader' / 'checks.py')!r}\n"
             "visible = os.path.exists(secret) or os.path.exists('/root/.bash_history')\n"
             "tf_a = not visible\ntf_b = bool(os.environ.get('NNCOURSE_SPECS'))")
    result = graded(toy_grader, toy_file({"task_9_3": probe}), 9)
    assert result["tasks"]["task_9_3"]["points"] == 2.0  # tf_a True (hidden), tf_b False (no env)


def test_no_network(toy_grader, toy_file):
    probe = ("import socket\ntry:\n    socket.create_connection(('127.0.0.1', 22), timeout=1)\n"
             "    tf_a = False\nexcept OSError:\n    tf_a = True\ntf_b = False")
    assert graded(toy_grader, toy_file({"task_9_3": probe}), 9)["tasks"]["task_9_3"]["points"] == 2


def test_tampered_tags_kernelspec_and_outputs_have_no_effect(toy_grader, toy_file, tmp_path):
    import nbformat
    path = toy_file(toy.BLANK, name="Assignment_9_Tamper_11111111.ipynb")
    nb = nbformat.read(str(path), as_version=4)
    nb.metadata.kernelspec = {"name": "bash", "display_name": "Bash", "language": "bash"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.tags = cell.metadata.get("tags", []) + ["skip-execution",
                                                                  "raises-exception"]
            cell.outputs = [nbformat.v4.new_output("stream", text="all checks passed 7/7\n")]
        if "imports" in cell.metadata.get("tags", []):
            cell.source = "import numpy as np\nnp.allclose = lambda *a, **k: True"
    nbformat.write(nb, str(path))
    result = graded(toy_grader, path, 9)
    assert result["total"] == 0.0 and result["status"] == "graded"


@pytest.mark.parametrize("content,fragment", [
    (b"{not json", "not valid JSON"), (b"", "empty"), (b"\xff\xfe\x00junk", "not UTF-8"),
    (json.dumps({"nbformat": 3, "cells": []}).encode(), "format 3"),
])
def test_malformed_files_get_one_line_errors(toy_grader, tmp_path, content, fragment):
    path = tmp_path / "Assignment_9_Broken_22222222.ipynb"
    path.write_bytes(content)
    result = graded(toy_grader, path, 9)
    assert result["status"] == "rejected" and fragment in result["error"]
    assert "\n" not in result["error"] and result["total"] == 0.0


def test_missing_duplicated_and_markdown_task_cells(toy_grader, toy_file):
    import nbformat
    path = toy_file()
    nb = nbformat.read(str(path), as_version=4)
    cells = {tuple(c.metadata.get("tags", [])): c for c in nb.cells}
    cells[("task_9_1",)].metadata.tags = []
    cells[("task_9_1",)].id = "changed"          # tag and id gone: the task is missing
    cells[("task_9_2",)].cell_type = "markdown"  # turned into markdown: not code
    del cells[("task_9_2",)]["outputs"], cells[("task_9_2",)]["execution_count"]
    nb.cells.append(nbformat.v4.new_code_cell("tf_a = False", metadata={"tags": ["task_9_3"]}))
    nbformat.write(nb, str(path))
    result = graded(toy_grader, path, 9)
    assert result["tasks"]["task_9_1"]["status"] == "missing"
    assert result["tasks"]["task_9_2"]["status"] == "not code"
    assert result["tasks"]["task_9_3"]["points"] == 2.0   # the first tagged cell counts
    assert any("2 cells are tagged task_9_3" in f for f in result["flags"])


def test_lost_tag_found_by_cell_id(toy_grader, toy_file):
    import nbformat
    path = toy_file()
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if "task_9_2" in cell.metadata.get("tags", []):
            cell.metadata.tags = []
    nbformat.write(nb, str(path))
    result = graded(toy_grader, path, 9)
    assert result["total"] == FULL and any("cell id" in f for f in result["flags"])


def test_each_task_runs_in_a_clean_namespace(toy_grader, toy_file):
    leaky = {"task_9_1": "X = np.array([[0., 0.], [1., 0.], [0., 1.], [1., 1.]])\nHELPER = 1",
             "task_9_2": "def relu(z):\n    return np.maximum(z, 0.0) * HELPER"}
    result = graded(toy_grader, toy_file(leaky), 9)
    assert result["tasks"]["task_9_2"]["points"] == 0.0
    assert "HELPER" in json.dumps(result["tasks"]["task_9_2"])


def test_another_assignments_notebook_is_reported(toy_grader, toy_file):
    path = toy_file(name="Assignment_9_Mixed_33333333.ipynb")
    text = path.read_text().replace("task_9_", "task_2_")
    path.write_text(text)
    result = graded(toy_grader, path, 9)
    assert result["status"] == "rejected" and "assignment 2" in result["error"]


def test_negative_marking_never_takes_a_task_below_zero(toy_grader, toy_file):
    result = graded(toy_grader, toy_file({"task_9_3": "tf_a = False\ntf_b = True"}), 9)
    task = result["tasks"]["task_9_3"]
    assert [c["points"] for c in task["checks"]] == [-1.0, -1.0] and task["points"] == 0.0


def test_grading_twice_gives_identical_results(toy_grader, toy_file):
    path = toy_file({"task_9_2": "def relu(z):\n    return np.abs(z)"})
    first, second = graded(toy_grader, path, 9), graded(toy_grader, path, 9)
    for volatile in ("seconds", "graded_at"):
        first.pop(volatile), second.pop(volatile)
    assert first == second


def test_hidden_expected_values_never_reach_feedback(toy_grader, toy_file):
    result = graded(toy_grader, toy_file({"task_9_2": "def relu(z):\n    return z * 0 + 1"}), 9)
    hidden = result["tasks"]["task_9_2"]["checks"][1]
    assert hidden["public"] is False and hidden["points"] == 0
    assert "expected" not in " ".join(hidden["messages"])


def test_partial_sandbox_without_root_still_grades_and_stops_hangs(toy_templates, toy_file):
    """The fallback used when not root: rlimits and process groups only."""
    from grader.grade import Grader
    grader = Grader(specs={9: toy.SPEC}, notebooks=toy_templates, isolate=False)
    try:
        assert graded(grader, toy_file(), 9)["total"] == FULL
        hang = graded(grader, toy_file({"task_9_2": "while True: pass"},
                                     name="Assignment_9_Hang_12121212.ipynb"), 9)
        assert hang["tasks"]["task_9_2"]["status"] == "timeout" and hang["total"] == FULL - 3
        deadline = time.monotonic() + 5  # SIGKILLed processes take a moment to disappear
        while _children(grader.zygote.process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _children(grader.zygote.process.pid) == []  # the spinning kernel is gone
    finally:
        grader.close()


def _children(pid):
    from pathlib import Path
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def test_the_kernel_holds_no_grading_secrets(toy_grader):
    """Of the grader, a kernel has only the wire format, its runtime and the probes in memory:
    no spec, reference, expected value or grading logic was imported before the fork."""
    import asyncio
    import json as _json
    from grader.runner import KernelSession

    async def modules():
        session = KernelSession(toy_grader.zygote)
        try:
            source = ("import sys\nprint('MODULES', sorted(m for m in sys.modules "
                      "if m == 'grader' or m.startswith('grader.')))")
            request = _json.dumps({"task": "t", "seed": 0, "imports": "", "cell_file": "<t>",
                                   "source": source})
            await session.call("run_cell", request, steps=[(("t", "cell"), 10)],
                               deadline=time.monotonic() + 30)
            return "".join(o.get("text", "") for o in session.client.nb.cells[0].outputs)
        finally:
            await session.stop()
    text = asyncio.run(modules())
    found = set(eval(text.split("MODULES", 1)[1]))
    sandbox = {m for m in found if m == "grader.sandbox" or m.startswith("grader.sandbox.")}
    assert found - sandbox <= {"grader", "grader.constants", "grader.wire",
                               "grader.kernel_runtime", "grader.probes",
                               "grader.probes.common"}, found
    assert "grader.kernel_runtime" in found


def test_checks_reach_the_kernel_one_task_at_a_time_after_its_cell(toy_grader, toy_file,
                                                                 monkeypatch):
    """Every request: a task's cell alone, then (once it has ended) that task's checks alone."""
    import json as _json
    from grader import runner
    sent = []
    real = runner.KernelSession.call

    async def spy(self, function, request, **kwargs):
        sent.append((function, _json.loads(request)))
        return await real(self, function, request, **kwargs)
    monkeypatch.setattr(runner.KernelSession, "call", spy)
    graded(toy_grader, toy_file(), 9)
    order = [(f, r["task"]) for f, r in sent]
    tags = [t.tag for t in toy.SPEC.tasks]
    assert order == [(f, t) for t in tags for f in ("run_cell", "run_checks")]
    for function, request in sent:
        if function == "run_checks":
            task = toy.SPEC.task(request["task"])
            assert [c["id"] for c in request["checks"]] == [c.id for c in task.checks]
        else:
            assert set(request) == {"task", "seed", "imports", "cell_file", "source"}


def test_a_report_flood_is_cut_and_the_grader_memory_stays_bounded(toy_grader, toy_file):
    """Reports in the grader's own format, with the request's nonce (read from the stack),
    400 MB of them: the checks they target get no result, the grader keeps almost nothing."""
    import resource
    flood = """
import sys
from IPython.display import publish_display_data

def relu(z):
    frame = sys._getframe(1)
    while frame is not None and not isinstance(frame.f_locals.get("nonce"), str):
        frame = frame.f_back
    for i in range(200):
        publish_display_data({"application/vnd.nncourse.result+json": {
            "nonce": frame.f_locals["nonce"], "task": "task_9_2", "step": f"c{i % 2}",
            "report": {"ok": True, "out": {"value": "x" * 2**21}}}})
    return np.maximum(z, 0.0)
"""
    graded(toy_grader, toy_file(), 9)             # warm: the baseline includes a grading
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = graded(toy_grader, toy_file({"task_9_2": flood}), 9)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    checks = result["tasks"]["task_9_2"]["checks"]
    assert {c["status"] for c in checks} == {"interfered"}, checks
    assert task_points(result) == {"task_9_1": 2.0, "task_9_2": 0.0, "task_9_3": 2.0}
    print(f"grader memory grew by {grown_mb:.0f} MB during a 400 MB flood")
    assert grown_mb < 100, grown_mb


def test_a_function_that_prints_a_lot_still_gets_its_verdict(toy_grader, toy_file):
    """Twenty thousand flushed prints during a check: output is cut, the verdict arrives."""
    chatty = ("def relu(z):\n    for i in range(20000):\n        print(i, flush=True)\n"
              "    return np.maximum(z, 0.0)")
    result = graded(toy_grader, toy_file({"task_9_2": chatty}), 9)
    assert task_points(result) == {"task_9_1": 2.0, "task_9_2": 3.0, "task_9_3": 2.0}


def test_the_check_command_prints_public_verdicts_and_with_all_the_hidden_ones(toy_templates,
                                                                              toy_file):
    """``python -m grader check``: what a student's self-check sees, from the sandbox."""
    path = toy_file({"task_9_2": "def relu(z):\n    return z"})
    command = [sys.executable, "-m", "grader", "check", str(path), "-a", "9",
               "--templates", str(toy_templates)]
    public = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert public.returncode == 0, public.stderr
    assert "[FAIL] `relu(np.array([-1.0, 2.0]))`" in public.stdout
    assert "hidden inputs" not in public.stdout
    hidden = subprocess.run(command + ["--all"], capture_output=True, text=True, timeout=120)
    assert "[FAIL] `relu` on hidden inputs" in hidden.stdout, hidden.stdout


def test_one_tasks_changes_to_the_libraries_do_not_reach_the_next_task(toy_grader, toy_file):
    """A cell that rebinds NumPy's functions or switches its error handling changes only its
    own task: the next task's code and probes see the libraries as the kernel found them."""
    meddle = ("import numpy as np\nnp.maximum = lambda a, b: a * 0 - 1\nnp.seterr(all='raise')\n"
              "np.new_name = 1\nX = np.array([[0., 0.], [1., 0.], [0., 1.], [1., 1.]])")
    result = graded(toy_grader, toy_file({"task_9_1": meddle}), 9)
    assert task_points(result) == {"task_9_1": 2.0, "task_9_2": 3.0, "task_9_3": 2.0}
