"""The student notebooks in a real JupyterLab, driven through headless Chromium.

Run with ``make test-browser`` (not part of ``make test``). A JupyterLab server is started on
a free port with a random token, serving copies of notebooks/ in a temporary folder, in quick
mode (NNCOURSE_SMALL=1) with the synthetic FashionMNIST and CIFAR-10. Screenshots go to
out/browser/.

Selectors are scoped to the visible notebook panel, and text is read with ``textContent``:
JupyterLab renders cells outside the viewport with ``content-visibility``, which empties
``innerText``.
"""
import json
import platform
import re
import subprocess
import sys
import time

import nbformat
import pytest

from grader.release.cells import PYTHON_VERSION
from lab import CHROMIUM, CHROMIUM_ARGS, REPO, Lab, copy_notebooks

playwright = pytest.importorskip("playwright.sync_api")

NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("Assignment_*.ipynb"))
SHOTS = REPO / "out" / "browser"
RUN_ALL = "Restart Kernel and Run All Cells…"
TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    home = tmp_path_factory.mktemp("lab")
    data = home / "data-files"
    for script in ("fake_fashion_mnist.py", "fake_cifar10.py"):
        subprocess.run([sys.executable, str(REPO / "data" / script), str(data)],
                       check=True, capture_output=True)
    root = copy_notebooks(home / "root")
    if platform.python_version() != PYTHON_VERSION:
        # language_info.version is the only field that depends on the machine: JupyterLab
        # writes the kernel's Python version there. Release writes Binder's; on another Python
        # the copy carries this one, so that the test still sees every other change.
        for path in root.glob("*.ipynb"):
            nb = nbformat.read(path, as_version=4)
            nb.metadata.language_info.version = platform.python_version()
            path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    server = Lab(root, home, env={"NNCOURSE_SMALL": "1", "NNCOURSE_DATA": str(data)})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_notebook(lab, browser, request):
    """``open_notebook(name)``: a fresh tab showing notebook ``name`` with its kernel idle."""
    pages = []

    def open_(name):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        pages.append(page)
        page.set_default_timeout(TIMEOUT_MS)
        workspace = re.sub(r"\W", "-", request.node.name)
        page.goto(lab.open_url(name, workspace))
        view = NotebookView(page, lab.root / name)
        view.wait_until_idle()
        return view
    yield open_
    for page in pages:
        page.close()


class NotebookView:
    """The one notebook visible in a page, and what a student can do with it."""

    def __init__(self, page, path):
        self.page, self.path = page, path
        self.panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        self.cells = self.panel.locator(".jp-Notebook .jp-Cell")

    def wait_until_idle(self):
        self.panel.locator(".jp-Toolbar-kernelName", has_text="Python 3 (ipykernel)").wait_for()
        self.panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for()

    def is_dirty(self):
        return self.page.locator("#jp-main-dock-panel .lm-TabBar-tab.jp-mod-dirty").count() > 0

    def index_of(self, text):
        """Index of the first cell whose source contains ``text``."""
        sources = self.cells.evaluate_all(
            "cells => cells.map(c => (c.querySelector('.cm-content') || c).textContent)")
        return next(i for i, source in enumerate(sources) if text in source)

    def source(self, index):
        return self.cells.nth(index).locator(".cm-content").text_content()

    def output(self, index):
        return self.cells.nth(index).locator(".jp-OutputArea").text_content()

    def prompts(self):
        return self.panel.locator(".jp-CodeCell .jp-InputPrompt").evaluate_all(
            "prompts => prompts.map(p => p.textContent.trim())")

    def run(self, menu, item):
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
        entry = self.page.locator(".lm-Menu-item:visible .lm-Menu-itemLabel",
                                  has_text=re.compile(f"^{re.escape(item)}$"))
        assert entry.count() == 1, f"no menu item {menu} > {item}"
        entry.click()

    def wait_until_all_ran(self, timeout=TIMEOUT_MS / 1000):
        """Every code cell has an execution count and nothing is queued or running (a cell
        whose input is collapsed, like the selfcheck cell, shows no prompt at all)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            prompts = self.prompts()
            if prompts and re.fullmatch(r"\[\d+\]:", prompts[-1]) and all(
                    re.fullmatch(r"(\[\d+\]:)?", p) for p in prompts):
                self.wait_until_idle()
                return
            time.sleep(0.5)
        raise AssertionError(f"not every cell ran: {self.prompts()}")

    def save(self):
        before = self.path.stat().st_mtime_ns
        self.panel.locator('[data-jp-item-name="save"] button').click()
        deadline = time.monotonic() + 30
        while self.path.stat().st_mtime_ns == before:
            assert time.monotonic() < deadline, "the notebook was not saved"
            time.sleep(0.2)
        time.sleep(0.5)  # the file is replaced atomically; let the listing settle
        return self.path.read_bytes()

    def screenshot(self, name):
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / name))


# ---------------------------------------------------------------- opening and saving

@pytest.mark.parametrize("name", NOTEBOOKS)
def test_opening_and_saving_leaves_the_file_byte_identical(name, lab, open_notebook):
    released = (lab.root / name).read_bytes()
    view = open_notebook(name)
    time.sleep(3)  # JupyterLab writes kernel metadata shortly after the kernel is ready
    assert not view.is_dirty(), "the notebook shows unsaved changes right after opening"
    view.cells.nth(view.index_of("import numpy as np")).scroll_into_view_if_needed()
    view.screenshot(name.replace(".ipynb", "-opened.png"))
    saved = view.save()
    if saved != released:  # show the first differing field, not two walls of JSON
        got, want = json.loads(saved), json.loads(released)
        assert got["metadata"] == want["metadata"]
        for a, b in zip(got["cells"], want["cells"]):
            assert a == b
        assert saved == released


def test_the_selfcheck_cell_is_collapsed_and_locked_cells_are_marked(open_notebook):
    view = open_notebook(NOTEBOOKS[0])
    selfcheck = view.cells.nth(2)
    assert selfcheck.locator(".jp-InputArea").count() == 0 or \
        not selfcheck.locator(".jp-InputArea").is_visible()
    assert selfcheck.locator(".jp-Cell-inputCollapser, .jp-Placeholder").count() > 0
    imports = view.index_of("import numpy as np")
    assert view.source(imports).startswith("# Locked cell")


# ---------------------------------------------------------------- editing

def test_typing_into_a_locked_cell_changes_nothing(open_notebook):
    view = open_notebook(NOTEBOOKS[0])
    index = view.index_of('check("task_1_1")')
    before = view.source(index)
    view.cells.nth(index).locator(".cm-content").click()
    view.page.keyboard.type("x = 1")
    view.page.keyboard.press("Enter")
    view.page.keyboard.press("Backspace")
    assert view.source(index) == before
    assert not view.is_dirty()


def test_check_fails_on_the_blank_task_and_passes_once_it_is_answered(open_notebook):
    view = open_notebook(NOTEBOOKS[0])
    view.run("Run", "Run All Cells")
    view.wait_until_all_ran()
    check = view.index_of('check("task_1_1")')
    assert view.output(check).startswith("FAIL task_1_1")
    task = view.index_of("# Task 1.1")
    view.cells.nth(task).locator(".cm-content").click()
    view.page.keyboard.press("Control+a")
    view.page.keyboard.insert_text(
        "X_xor = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])\n"
        "y_xor = np.array([0.0, 1.0, 1.0, 0.0])")
    view.page.keyboard.press("Shift+Enter")     # runs the task cell, moves to the check
    view.page.keyboard.press("Shift+Enter")     # runs the check
    deadline = time.monotonic() + 60
    while not view.output(check).startswith("PASS task_1_1"):
        assert time.monotonic() < deadline, view.output(check)
        time.sleep(0.3)
    assert "[FAIL]" not in view.output(check)
    view.cells.nth(check).scroll_into_view_if_needed()
    view.screenshot("Assignment_1_XOR-check-pass.png")


# ---------------------------------------------------------------- Run All on a blank notebook

@pytest.mark.parametrize("name", NOTEBOOKS)
def test_restart_and_run_all_on_the_blank_notebook_shows_no_error(name, open_notebook):
    view = open_notebook(name)
    view.run("Kernel", RUN_ALL)
    view.page.locator(".jp-Dialog .jp-mod-accept").click()   # "Restart the kernel?"
    view.wait_until_all_ran()
    text = view.panel.locator(".jp-OutputArea").evaluate_all(
        "areas => areas.map(a => a.textContent).join('\\n')")
    assert "Traceback" not in text
    assert "not done yet: this cell will run once" in text
    first = view.index_of('if done("')
    view.cells.nth(first).scroll_into_view_if_needed()
    view.screenshot(name.replace(".ipynb", "-run-all.png"))
    saved = json.loads(view.save())
    errors = [o for c in saved["cells"] for o in c.get("outputs", [])
              if o["output_type"] == "error"]
    assert errors == []


def test_the_notebooks_name_the_run_all_menu_item_as_jupyterlab_does():
    for name in NOTEBOOKS:
        text = (REPO / "notebooks" / name).read_text(encoding="utf-8")
        for named in re.findall(r"Kernel > ([^)\"]+)\)", text):
            assert named == RUN_ALL, (name, named)
