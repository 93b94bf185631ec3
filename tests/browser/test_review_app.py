"""The review app in headless Chromium: marking with the keyboard and the mouse, a reload
that loses nothing, the gradebook with the new totals, and hostile answers that can neither
run nor load anything. Saves the README's screenshot, docs/review-app.png."""
import csv
import time

import pytest
from playwright.sync_api import expect, sync_playwright

from grader.review.model import anonymous_id
from lab import CHROMIUM, CHROMIUM_ARGS, REPO
from review_server import ReviewServer
from written_kit import make_out

ADA = "Assignment_1_AdaLovelace_10000001.ipynb"
SCREENSHOT = REPO / "docs" / "review-app.png"


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return make_out(tmp_path_factory.mktemp("review") / "out", hostile=True)


def saved(page):
    expect(page.locator("#status")).to_have_text("Saved", timeout=10_000)


def show(page, item_id):
    """Step with the keyboard (j) to the answer with this anonymous id."""
    for _ in range(20):
        if page.locator("#who").inner_text() == f"Answer {item_id}":
            return
        page.keyboard.press("j")
        page.wait_for_timeout(50)
    raise AssertionError(f"no answer {item_id}")


def test_marking_in_the_browser(out):
    started = time.monotonic()
    server = ReviewServer(out, "--marker", "browser-test")
    problems, foreign = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 860})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("dialog", lambda d: (problems.append("dialog: " + d.message), d.dismiss()))
            page.on("request", lambda r: None if r.url.startswith(server.base)
                    else foreign.append(r.url))
            page.goto(server.url)
            expect(page.locator("#rubric li")).to_have_count(4)
            assert "token" not in page.url
            expect(page.locator("#progress")).to_have_text("0 of 3 marked · 2 not answered")

            # keyboard: Ada's answer, rubric items 1 and 2 (3 + 4 points), a comment
            ada = anonymous_id(ADA)
            show(page, ada)
            expect(page.locator("#answer .katex").first).to_be_visible()
            page.keyboard.press("1")
            saved(page)
            page.keyboard.press("2")
            saved(page)
            expect(page.locator("#points")).to_have_value("7")
            page.keyboard.press("c")
            page.keyboard.type("Right idea; say why the two sums contradict each other.")
            page.keyboard.press("Escape")
            saved(page)

            # mouse: the next unmarked answer, rubric item 3, then the points typed in
            page.click("#next-unmarked")
            other = page.locator("#who").inner_text().removeprefix("Answer ")
            assert other != ada
            page.click("#rubric li:nth-child(3) label")
            saved(page)
            page.click("#points")
            page.fill("#points", "5")
            page.keyboard.press("Tab")
            saved(page)
            expect(page.locator("#progress")).to_have_text("2 of 3 marked · 2 not answered")

            # hostile answers render as inert text, in both questions
            for question in ("answer_1_1", "answer_1_2"):
                page.select_option("#question", question)
                for _ in range(5):
                    assert page.locator("#answer script, #answer img, #answer iframe, "
                                        "#answer style, #answer [onerror], "
                                        "#answer [onmouseover]").count() == 0
                    assert page.locator('#answer a[href^="javascript"]').count() == 0
                    page.keyboard.press("j")
                    page.wait_for_timeout(50)
            assert page.evaluate("window.pwned") is None

            # a reload loses nothing
            page.reload()
            page.select_option("#question", "answer_1_1")
            show(page, ada)
            expect(page.locator("#points")).to_have_value("7")
            expect(page.locator("#comment")).to_have_value(
                "Right idea; say why the two sums contradict each other.")
            checked = page.locator("#rubric input").evaluate_all(
                "boxes => boxes.map(b => b.checked)")
            assert checked == [True, True, False, False]
            expect(page.locator("#mark-state")).to_contain_text("Marked by browser-test")
            show(page, other)
            expect(page.locator("#points")).to_have_value("5")

            # the gradebook, rebuilt from the app, has the new totals
            page.click("#report")
            expect(page.locator("#status")).to_contain_text("Gradebook updated",
                                                            timeout=60_000)
            show(page, ada)
            page.wait_for_timeout(300)
            page.screenshot(path=str(SCREENSHOT))
            browser.close()
    finally:
        server.stop()
    with open(out / "gradebook.csv", newline="") as handle:
        rows = {anonymous_id(r["file"]): r for r in csv.DictReader(handle)}
    assert (rows[ada]["answer_1_1"], rows[ada]["total"], rows[ada]["pending"]) == \
        ("7", "57", "2")
    assert (rows[other]["answer_1_1"], rows[other]["total"]) == ("5", "55")
    assert not problems, problems
    assert not foreign, foreign               # no remote image, no CDN: everything local
    print(f"review app browser test: {time.monotonic() - started:.1f} s")
