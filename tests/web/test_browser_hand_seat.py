"""The console in a real browser: the teacher hands a team's seat to the AI and back (issue 15)."""

from __future__ import annotations

import pytest

from .test_browser import CHROMIUM

if not CHROMIUM.is_file():  # skipped like the browser test it borrows from (whose import stops early)
    pytest.skip("no /usr/bin/chromium (apt-get install chromium; .ci/run does)", allow_module_level=True)

from .test_browser import join, quarter_is, shoot

pytestmark = pytest.mark.browser
# the fixtures of the browser test: a real `sovereign classroom` process and headless Chromium
from .test_browser import browser, server  # noqa: E402, F401


def test_the_console_hands_a_team_seat_to_the_ai_and_back(server, browser, tmp_path):  # noqa: F811
    teacher = browser.new_page(viewport={"width": 1280, "height": 900})
    teacher.goto(server.teacher)
    teacher.wait_for_selector("#link:text('online')")
    dragons = browser.new_page(viewport={"width": 1024, "height": 768})
    join(dragons, server.url, server.room, "Dragons", "CHN")
    teacher.wait_for_function("document.querySelectorAll('#teams tr[data-team]').length === 1")
    teacher.click("#start")
    quarter_is(dragons, "2026Q1")
    row = "#teams tr:has-text('Dragons')"
    teacher.wait_for_selector(f"{row} td:text-is('the team')")
    dragons.wait_for_selector("#banner.hidden", state="attached")
    teacher.click(f"{row} button:text('Hand to the AI')")
    teacher.wait_for_selector(f"{row} td:text('the team, then the AI from next quarter')")
    # the team's page says what is coming, and then who is playing
    dragons.wait_for_selector("#banner:text('from the next one the AI plays your seat')")
    teacher.click("#end-quarter")
    quarter_is(teacher, "2026Q2")
    teacher.wait_for_selector(f"{row} td:text-is('the AI')")
    dragons.wait_for_selector("#banner:text('The teacher has handed your seat to the AI')")
    # nothing to queue or hand in while the AI plays (the server refuses it too: test_hand_seat.py)
    dragons.wait_for_selector("#queue-btn:disabled")
    dragons.wait_for_selector("#turn-in:disabled")
    dragons.wait_for_selector("#turn-state:text('the AI decides')")
    dragons.wait_for_selector("#tutorial-card.hidden", state="attached")  # nothing to practise meanwhile
    teacher.screenshot(path=str(tmp_path / "console-hand-seat.png"))
    dragons.evaluate("window.scrollTo(0, 0)")
    shoot(dragons, "student-handed-to-ai", tmp_path)  # docs/teaching.md shows it
    teacher.click(f"{row} button:text('Back to the team')")
    teacher.wait_for_selector(f"{row} td:text('the AI, then the team from next quarter')")
    dragons.wait_for_selector("#banner:text('your team takes it back from the next one')")
    teacher.click("#end-quarter")
    quarter_is(teacher, "2026Q3")
    teacher.wait_for_selector(f"{row} td:text-is('the team')")
    dragons.wait_for_selector("#banner.hidden", state="attached")
    # the team's page has re-rendered its orders form for the new quarter (under load in CI the click
    # could come before it, and the order was refused)
    dragons.wait_for_selector("#turn-state:text('still deciding')")
    dragons.wait_for_selector("#verdict.good")
    dragons.click("#queue-btn")
    try:
        dragons.wait_for_selector("#order-result:text('Queued.')")
    except Exception:  # say what the page showed instead
        shown = {key: dragons.inner_text(key) for key in ("#order-result", "#verdict", "#turn-state")}
        raise AssertionError(f"the order was not queued; the page showed {shown}") from None
    # an order given while its action's form is still loading goes once the form is in, with that
    # form's values (it went with the last form's, and was refused for missing fields: seen under load)
    queued = dragons.locator("#queued li").count()
    # the new form takes most of a second to come (as on a busy server), so the click comes first
    dragons.evaluate(
        """() => { const f = window.fetch; window.fetch = (u, o) => String(u).includes('/api/team/form')
             ? new Promise(r => setTimeout(r, 800)).then(() => f(u, o)) : f(u, o); }"""
    )
    dragons.select_option("#action", "set_subsidy")
    dragons.click("#queue-btn")
    dragons.wait_for_selector("#queued li:text('Subsidy ')")
    assert dragons.locator("#queued li").count() == queued + 1
    assert "missing" not in dragons.inner_text("#order-result")
