"""A lesson in a real browser: the teacher and four teams, three quarters, an inject, a pause, a
phone, a reload that keeps its orders, and a server restart the lesson survives.

Drives the system's Chromium (Debian's ``chromium`` package; ``.ci/run`` installs it) through
Playwright against ``sovereign classroom`` started as a real process on a free loopback port.
Screenshots of the console, the projector and the phone go to the test's folder, and to
``docs/screenshots/`` when ``SOVEREIGN_DOCS_SCREENSHOTS=1`` (how the documentation's were made).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "sim" / "fixtures" / "tiny.yaml"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}

pytestmark = pytest.mark.browser

if not CHROMIUM.is_file():
    if os.environ.get("CI"):
        raise RuntimeError("CI must have /usr/bin/chromium: .ci/run installs it")
    pytest.skip("no /usr/bin/chromium (apt-get install chromium; .ci/run does)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api")


class Server:
    """`sovereign classroom` as a process; restartable on the same port (the pages keep their origin)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.room = ""
        self.teacher = ""
        self.lesson_dir = ""

    def start(self, *extra: str) -> None:
        args = [sys.executable, "-m", "sovereign", "classroom", "--port", str(self.port), "--join-limit", "50"]
        args += ["--lessons-dir", str(self.folder), *extra]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        lines: list[str] = []
        deadline = time.monotonic() + 60
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("the server stopped:\n" + "".join(lines))
            lines.append(line)
            if line.strip().startswith("lesson folder:"):
                break
        text = "".join(lines)
        self.port = int(re.search(r"listening on: http://127\.0\.0\.1:(\d+)/", text).group(1))
        self.room = re.search(r"room code: (\w+)", text).group(1)
        self.teacher = re.search(r"teacher \(keep it secret\): (\S+)", text).group(1)
        self.lesson_dir = re.search(r"lesson folder: (\S+)", text).group(1)
        self.output = lines
        # Keep reading what the server prints: a pipe nobody drains fills up (64 KiB) and the
        # server then blocks on its next log line, in the middle of a quarter.
        self.reader = threading.Thread(target=self._drain, args=(self.proc.stdout, lines), daemon=True)
        self.reader.start()
        self.wait_until_up()

    @staticmethod
    def _drain(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    def wait_until_up(self) -> None:
        import urllib.request

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}api/lesson", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the server did not answer")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        # what the server said, in the report of a test that fails
        print("".join(getattr(self, "output", [])))
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path / "lessons")
    srv.start(str(TINY))
    yield srv
    srv.stop()


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def shoot(page, name: str, folder: Path) -> None:
    """Save a screenshot for the test report and, on request, for the documentation."""
    path = folder / f"classroom-{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if os.environ.get("SOVEREIGN_DOCS_SCREENSHOTS") == "1":
        shutil.copy(path, ROOT / "docs" / "screenshots" / path.name)


def join(page, url: str, room: str, team: str, seat: str) -> None:
    page.goto(url)
    page.fill("#join-room", room)
    page.fill("#join-team", team)
    page.wait_for_selector(f"#join-seat option[value='{seat}']", state="attached")
    page.select_option("#join-seat", seat)
    page.click("#join-btn")
    page.wait_for_selector("#team-view:not(.hidden)")


def quarter_is(page, label: str) -> None:
    try:
        page.wait_for_function(f"document.querySelector('#quarter').textContent === '{label}'", timeout=30000)
    except playwright_api.Error as exc:
        shown = page.evaluate(
            "[...document.querySelectorAll('#quarter, #banner, #play-error, #order-result, #link')]"
            ".map(e => `${e.id}: ${e.textContent}`).join(' | ')"
        )
        raise AssertionError(f"{page.url} never showed {label}; it shows {shown}") from exc


def test_a_lesson_in_the_browser(server, browser, tmp_path):
    teacher = browser.new_page(viewport={"width": 1280, "height": 900})
    teacher.goto(server.teacher)
    teacher.wait_for_selector("#link:text('online')")
    assert teacher.text_content("#room") == server.room
    # A fourth team plays a firm: the teacher opens that seat to teams.
    teacher.select_option("select[data-seat='cloudco']", "team")
    teacher.wait_for_function("document.querySelector(\"select[data-seat='USA']\") !== null")

    projector = browser.new_page(viewport={"width": 1280, "height": 800})
    projector.goto(server.url + "projector")

    laptops = {}
    for name, seat in (("Tigers", "IND"), ("Dragons", "CHN"), ("Eagles", "USA")):
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        join(page, server.url, server.room, name, seat)
        laptops[name] = page
    phone_ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    phone = phone_ctx.new_page()
    join(phone, server.url, server.room, "Clouds", "cloudco")
    teacher.wait_for_function("document.querySelectorAll('#teams tr[data-team]').length === 4")

    teacher.click("#start")
    for page in [*laptops.values(), phone]:
        page.wait_for_selector("#figures .figure")
        quarter_is(page, "2026Q1")

    # Quarter 1: orders, a reload that keeps them, an inject, a pause.
    tigers = laptops["Tigers"]
    tigers.wait_for_selector("#verdict")
    # the form's own words for a yes/no field
    tigers.wait_for_selector("#fields option:text('Grid connection (queue)')", state="attached")
    tigers.click("#queue-btn")
    tigers.wait_for_selector("#order-result:text('Queued.')")
    tigers.reload()
    tigers.wait_for_selector("#queued li:text('Datacenter 100 MW in India')")

    phone.select_option("#action", "buy_accelerators")
    phone.wait_for_selector("#fields select[name='accelerator']")
    phone.wait_for_selector("#verdict")
    phone.click("#queue-btn")
    phone.wait_for_selector("#queued li:text('Buy ')")

    teacher.click("#injects button[data-inject='0']")
    for page in [*laptops.values(), phone]:
        page.wait_for_selector("#messages li:text('India announces a national AI mission')")
    projector.wait_for_selector("#ticker:text('India announces a national AI mission')")

    teacher.click("#pause")
    laptops["Dragons"].wait_for_selector("#banner:text('Paused by the teacher')")
    laptops["Dragons"].click("#queue-btn")
    laptops["Dragons"].wait_for_selector("#order-result:text('the teacher has paused the game')")
    teacher.click("#pause")
    laptops["Dragons"].wait_for_selector("#banner.hidden", state="attached")

    phone.click("#turn-in")
    phone.wait_for_selector("#turn-state:text('our turn is in')")
    teacher.wait_for_selector("#teams tr:has-text('Clouds') .pill.in")
    projector.wait_for_selector(".pill.in:text('Clouds')")
    shoot(phone, "phone-orders", tmp_path)
    for page in laptops.values():
        page.click("#turn-in")
    for page in [*laptops.values(), phone, teacher, projector]:
        quarter_is(page, "2026Q2")
    # once a quarter is played, a nation's dashboard shows its industrial power price (not $0)
    figures = laptops["Tigers"].text_content("#figures")
    assert "Industrial power price" in figures and "$0/MWh" not in figures
    phone.wait_for_selector("#results-box:not(.hidden)")
    assert "Buy " in phone.text_content("#results") and "buy_accelerators" not in phone.text_content("#results")
    # the inject fired last quarter asks India a question: each answer's effects are listed first
    tigers.wait_for_selector("#decisions li:has-text('Fund it')")
    listed = tigers.text_content("#decisions")
    assert "costs $1.0B" in listed and "subsidy 20%" in listed, listed
    tigers.evaluate("document.querySelector('#decisions-box').scrollIntoView()")
    shoot(tigers, "laptop-decision", tmp_path)
    assert "Datacenter 100 MW in India" in tigers.text_content("#results")
    projector.wait_for_selector("#map path")
    shoot(projector, "projector", tmp_path)
    phone.evaluate("document.querySelector('#results-box').scrollIntoView()")
    shoot(phone, "phone-results", tmp_path)

    # Quarter 2: the teacher ends it for everyone.
    laptops["Dragons"].click("#queue-btn")
    laptops["Dragons"].wait_for_selector("#queued li:text('in China')")
    teacher.click("#end-quarter")
    for page in [*laptops.values(), phone]:
        quarter_is(page, "2026Q3")
    shoot(teacher, "console", tmp_path)
    # the console offers every table the server exports, the world's markets among them
    links = teacher.eval_on_selector_all("#exports a", "as => as.map(a => a.getAttribute('href'))")
    assert any(h.startswith("/api/admin/export/world.csv") for h in links), links
    world_csv = teacher.request.get(server.url + next(h for h in links if "world.csv" in h).lstrip("/"))
    assert world_csv.ok and world_csv.text().startswith("quarter,")

    # The server restarts; every page reconnects to the same lesson and plays on.
    tigers.click("#queue-btn")
    tigers.wait_for_selector("#queued li:text('Datacenter 100 MW in India')")
    server.stop()
    tigers.wait_for_selector("#link:text('reconnecting')")
    server.start("--resume", server.lesson_dir)
    for page in [*laptops.values(), phone, teacher]:
        page.wait_for_selector("#link:text('online')", timeout=30000)
        quarter_is(page, "2026Q3")
    tigers.reload()
    tigers.wait_for_selector("#queued li:text('Datacenter 100 MW in India')")
    for page in [*laptops.values(), phone]:
        page.click("#turn-in")
    for page in [*laptops.values(), phone, teacher]:
        quarter_is(page, "2026Q4")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling on a phone"

    # The debrief: the class against the bots, from the console.
    teacher.fill("#debrief-runs", "4")
    teacher.click("#run-debrief")
    teacher.wait_for_selector("#debrief-table td", timeout=60000)
    cells = teacher.inner_text("#debrief-table")
    assert "India" in cells and "sovereignty index" in cells, cells
    teacher.evaluate("document.querySelector('#debrief-table').scrollIntoView({block: 'center'})")
    shoot(teacher, "debrief", tmp_path)
