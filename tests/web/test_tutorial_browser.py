"""The tutorial card of the team page in a real browser: every step ticked off by what the page sees.

A team (India on the tiny world) walks the card from its first step to its last: queue an order,
hand in the turn, read the results, the dashboard and the news, answer a decision (the teacher
fires the scenario's inject), and play the quarter. Then: the card stays finished after a reload
(localStorage), the header's Tutorial button starts it again, Skip step, the card's close button,
and Skip tutorial, which a reload keeps. The card's steps are the web steps of
sovereign/game/tutorial.py, served by /api/tutorial. Screenshot: the first step on a laptop
(``docs/screenshots/tutorial-student.png`` when ``SOVEREIGN_DOCS_SCREENSHOTS=1``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sovereign.game.tutorial import web_steps

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "sim" / "fixtures" / "tiny.yaml"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

pytestmark = pytest.mark.browser

if not CHROMIUM.is_file():
    if os.environ.get("CI"):
        raise RuntimeError("CI must have /usr/bin/chromium: .ci/run installs it")
    pytest.skip("no /usr/bin/chromium (apt-get install chromium; .ci/run does)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def server(tmp_path):
    """`sovereign classroom` on the tiny world as a process on a free loopback port: (url, room, teacher)."""
    args = [sys.executable, "-m", "sovereign", "classroom", "--port", "0", "--lessons-dir", str(tmp_path), str(TINY)]
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError("the server stopped:\n" + "".join(lines))
        lines.append(line)
        if line.strip().startswith("lesson folder:"):
            break
    text = "".join(lines)
    port = re.search(r"listening on: http://127\.0\.0\.1:(\d+)/", text).group(1)
    room = re.search(r"room code: (\w+)", text).group(1)
    teacher = re.search(r"teacher \(keep it secret\): (\S+)", text).group(1)
    yield f"http://127.0.0.1:{port}/", room, teacher
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def progress(page) -> dict:
    return json.loads(page.evaluate("localStorage.getItem('sovereign.tutorial')") or "null")


def wait_done(page, key: str) -> None:
    page.wait_for_function(
        f"(JSON.parse(localStorage.getItem('sovereign.tutorial') || 'null') || {{done: []}}).done.includes('{key}')",
        timeout=30000,
    )


def card_title(page, title: str) -> None:
    page.wait_for_selector(f"#tutorial-title:text-is('{title}')", timeout=30000)


def test_the_team_page_walks_the_tutorial(server, browser_page_factory, tmp_path):
    url, room, teacher_url = server
    steps = web_steps()
    assert [s["key"] for s in steps] == [
        "build_datacenter",
        "end_quarter",
        "quarter_report",
        "read_index",
        "news",
        "decision",
        "finish_quarter",
    ]
    teacher = browser_page_factory({"width": 1280, "height": 900})
    teacher.goto(teacher_url)
    teacher.wait_for_selector("#link:text('online')")
    page = browser_page_factory({"width": 1024, "height": 768})
    page.goto(url)
    page.fill("#join-room", room)
    page.fill("#join-team", "Tigers")
    page.wait_for_selector("#join-seat option[value='IND']", state="attached")
    page.select_option("#join-seat", "IND")
    page.click("#join-btn")
    page.wait_for_selector("#team-view:not(.hidden)")
    teacher.click("#start")
    page.wait_for_selector("#figures .figure")

    # step 1: the card shows the first web step in tutorial.py's words
    page.wait_for_selector("#tutorial-card:not(.hidden)")
    assert page.text_content("#tutorial-count") == f"Tutorial · step 1 of {len(steps)}"
    card_title(page, steps[0]["title"])
    assert page.text_content("#tutorial-text") == steps[0]["instruction"]
    page.wait_for_selector("#verdict")
    shot = tmp_path / "tutorial-student.png"
    page.screenshot(path=str(shot))
    if os.environ.get("SOVEREIGN_DOCS_SCREENSHOTS") == "1":
        shutil.copy(shot, ROOT / "docs" / "screenshots" / shot.name)
    page.click("#queue-btn")
    page.wait_for_selector("#order-result:text('Queued.')")
    page.wait_for_selector("#tutorial-tick:not(.hidden)")  # the tick on the done step
    wait_done(page, "build_datacenter")
    card_title(page, steps[1]["title"])

    # step 2: hand in the turn; the teacher's inject asks India a decision next quarter
    teacher.click("#injects button[data-inject='0']")
    page.wait_for_selector("#messages li:text('India announces a national AI mission')")
    assert progress(page)["current"] == "end_quarter", "nothing else counts for this step"
    page.click("#turn-in")
    page.wait_for_function("document.querySelector('#quarter').textContent === '2026Q2'", timeout=60000)
    wait_done(page, "end_quarter")

    # steps 3-5: the results, the dashboard and the news, each scrolled into view
    for key, section in (("quarter_report", "#results-box"), ("read_index", "#dashboard"), ("news", "#news-box")):
        page.evaluate(f"document.querySelector('{section}').scrollIntoView({{block: 'center'}})")
        wait_done(page, key)

    # step 6: answer the decision
    card_title(page, steps[5]["title"])
    page.click("#decisions button[data-option='0']")
    wait_done(page, "decision")

    # step 7: the quarter is played
    page.click("#turn-in")
    page.wait_for_function("document.querySelector('#quarter').textContent === '2026Q3'", timeout=60000)
    wait_done(page, "finish_quarter")
    state = progress(page)
    assert state["status"] == "finished" and state["done"] == [s["key"] for s in steps] and state["skipped"] == []
    page.wait_for_selector("#tutorial-card.hidden", state="attached")
    page.wait_for_selector("#tutorial-open:not(.hidden)")

    # the browser keeps it: a reload shows no card; the header's Tutorial starts it again
    page.reload()
    page.wait_for_selector("#figures .figure")
    page.wait_for_selector("#tutorial-open:not(.hidden)")
    assert page.is_hidden("#tutorial-card")
    page.click("#tutorial-open")
    card_title(page, steps[0]["title"])
    page.click("#tutorial-skip")
    card_title(page, steps[1]["title"])
    assert progress(page)["skipped"] == ["build_datacenter"]
    page.click("#tutorial-close")
    assert page.is_hidden("#tutorial-card") and page.is_visible("#tutorial-open")
    page.click("#tutorial-open")
    card_title(page, steps[1]["title"])
    page.click("#tutorial-skip-all")
    assert page.is_hidden("#tutorial-card")
    page.reload()
    page.wait_for_selector("#figures .figure")
    page.wait_for_selector("#tutorial-open:not(.hidden)")
    assert progress(page)["status"] == "skipped" and page.is_hidden("#tutorial-card")


@pytest.fixture
def browser_page_factory():
    """New pages of one headless Chromium (closed at the end)."""
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)

        def new_page(viewport: dict) -> object:
            return browser.new_page(viewport=viewport)

        yield new_page
        browser.close()
