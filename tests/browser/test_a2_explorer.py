"""Assignment 2's chain-rule explorer in a real JupyterLab: the sliders appear and moving one
redraws the table of paths. (The other browser tests run in quick mode, where the explorer
prints one table instead of showing sliders; this one runs as a student's notebook does.)

Run with ``make test-browser`` (not part of ``make test``).
"""
import re
import time

import pytest

from lab import CHROMIUM, CHROMIUM_ARGS, Lab, copy_notebooks

playwright = pytest.importorskip("playwright.sync_api")

NAME = "Assignment_2_Backpropagation.ipynb"
TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    home = tmp_path_factory.mktemp("lab")
    server = Lab(copy_notebooks(home / "root"), home)          # no NNCOURSE_SMALL
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server.open_url(NAME, "explorer"))
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        panel.locator(".jp-Toolbar-kernelName", has_text="Python 3 (ipykernel)").wait_for()
        panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for()
        panel.locator(".jp-Cell").nth(20).wait_for(state="attached")
        yield page
        browser.close()
    server.stop()


def _run_cell_containing(page, text):
    """Select the first cell whose source contains ``text`` and run it (Shift+Enter)."""
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    sources = cells.evaluate_all(
        "cells => cells.map(c => (c.querySelector('.cm-content') || c).textContent)")
    index = next((i for i, source in enumerate(sources) if text in source), None)
    assert index is not None, [s[:80] for s in sources[:6]]
    cell = cells.nth(index)
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Shift+Enter")
    return cell


def _output(cell):
    return cell.locator(".jp-Cell-outputArea").text_content()


def test_the_explorer_shows_five_sliders_and_redraws_when_one_moves(page):
    _run_cell_containing(page, "SMALL = os.environ")                  # the imports cell
    cell = _run_cell_containing(page, "DIAMOND_START = ")
    sliders = cell.locator(".widget-slider")
    sliders.nth(4).wait_for()
    assert sliders.count() == 5
    cell.locator(".jp-Cell-outputArea", has_text="dL/dw, the sum").wait_for()
    before = _output(cell)
    assert "Traceback" not in before
    assert re.search(r"through h1: .* = -0\.1379", before), before

    readout = cell.locator(".widget-readout").first                   # w, typed in
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("0.3")
    page.keyboard.press("Enter")
    deadline = time.monotonic() + 30
    while "u = 0.291" not in _output(cell):                          # tanh(0.3)
        assert time.monotonic() < deadline, _output(cell)
        time.sleep(0.3)
    after = _output(cell)
    assert "Traceback" not in after and after.count("dL/dw, the sum") == 1
