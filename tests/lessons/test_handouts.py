"""Handouts: a role sheet per team and the teacher notes, self-contained and printable."""

from __future__ import annotations

import os
import re
import shutil
from html import escape
from pathlib import Path

import pytest

from sovereign.cli import main
from sovereign.lessons.handouts import render_handouts, role_sheet_html, teacher_notes_html, write_handouts

ROOT = Path(__file__).resolve().parents[2]


def test_every_team_gets_its_role_sheet_with_its_objectives_and_secrets(each_lesson) -> None:
    lesson = each_lesson
    pages = {p.filename: p.html for p in render_handouts(lesson)}
    assert set(pages) == {"index.html", "teacher-notes.html", *(f"role-{t.seat}.html" for t in lesson.lesson.teams)}
    shared = next(o for o in lesson.objectives if o.seat == "all")
    for team in lesson.lesson.teams:
        html = pages[f"role-{team.seat}.html"]
        own = next(o for o in lesson.objectives if o.seat == team.seat)
        assert team.role.replace("'", "&#x27;") in html
        assert own.text.replace("'", "&#x27;") in html and shared.text in html
        for heading in ("Your objectives", "What you want", "Your levers", "What you know", "Secret: for your team"):
            assert heading in html
        for secret in team.secrets:
            assert secret.replace("'", "&#x27;").replace('"', "&quot;") in html
        # another team's secrets never appear on this sheet
        others = [s for t in lesson.lesson.teams if t.seat != team.seat for s in t.secrets]
        assert not any(s.replace("'", "&#x27;") in html for s in others)
        assert f'href="role-{team.seat}.html"' in pages["index.html"]


def test_the_teacher_notes_have_the_info_tab_headings_timings_rates_and_debrief(lesson) -> None:
    html = teacher_notes_html(lesson)
    for heading in (
        "What is it?",
        "How it works",
        "How to use it",
        "Things to notice",
        "Things to try",
        "Extending the model",
        "Credits and references",
        "Timings, minute by minute",
        "Debrief guide",
    ):
        assert f"<h2>{heading}</h2>" in html
    assert "45 minutes: 20 quarters of 1.5 min" in html and "--timer 90" in html and "--timer 180" in html
    for rate in lesson.lesson.calibration.rates:
        assert f"{rate:.0%}</span>" in html
    for q in lesson.lesson.debrief:
        assert escape(q.where) in html


def test_pages_are_self_contained_printable_and_escape_the_scenarios_text(each_lesson) -> None:
    lesson = each_lesson
    for page in render_handouts(lesson):
        assert "@media print" in page.html and "@page" in page.html
        assert "<script" not in page.html and "<link" not in page.html and "<img" not in page.html
        assert not re.search(r"(src|href)=\"(https?:)?//", page.html), page.filename
    team = lesson.lesson.teams[0].model_copy(update={"role": "<script>alert(1)</script>"})
    html = role_sheet_html(lesson, team)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_scenario_without_a_lesson_has_no_handouts() -> None:
    from sovereign.scenario.catalog import resolve_scenario
    from sovereign.scenario.loader import load_scenario

    with pytest.raises(ValueError, match="not a lesson"):
        render_handouts(load_scenario(resolve_scenario("baseline")))


def test_the_handouts_command_writes_every_page(tmp_path, capsys) -> None:
    out = tmp_path / "handouts"
    assert main(["handouts", "export_controls", "--out", str(out)]) == 0
    assert "8 pages" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["index.html", "teacher-notes.html"] + [f"role-{s}.html" for s in ("USA", "CHN", "ARE", "SAU", "IND", "SEA")]
    )
    assert main(["handouts", "baseline", "--out", str(tmp_path / "x")]) == 2
    assert "not a lesson" in capsys.readouterr().err


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
def test_a_role_sheet_renders_on_screen_and_prints_in_chromium(lesson, tmp_path) -> None:
    if not CHROMIUM.is_file():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    write_handouts(lesson, tmp_path)
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    shot = tmp_path / "role-sheet.png"
    pages: dict[str, int] = {}
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 1200})
            page.goto((tmp_path / "role-ARE.html").as_uri())
            assert page.locator("h1").inner_text().startswith("ARE")
            page.screenshot(path=str(shot), full_page=True)
            for team in lesson.lesson.teams:
                page.goto((tmp_path / f"role-{team.seat}.html").as_uri())
                page.emulate_media(media="print")
                assert page.locator("nav").is_hidden(), "the link bar is not printed"
                pdf = page.pdf(format="A4", prefer_css_page_size=True)
                pages[team.seat] = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        finally:
            browser.close()
    assert all(1 <= n <= 2 for n in pages.values()), f"a role sheet prints on one or two A4 pages: {pages}"
    if os.environ.get("SOVEREIGN_DOCS_SCREENSHOTS") == "1":
        shutil.copy(shot, ROOT / "docs" / "screenshots" / "role-sheet.png")


def test_a_firm_team_is_named_on_its_sheet_not_by_its_id() -> None:
    from sovereign.scenario.catalog import resolve_scenario
    from sovereign.scenario.loader import load_scenario

    sc = load_scenario(resolve_scenario("india_1gw"))
    team = next(t for t in sc.lesson.teams if t.seat == "tata")
    html = role_sheet_html(sc, team)
    name = next(a.name for a in sc.actors if a.id == "tata")
    assert f'<span class="seat">{escape(name)}</span>' in html and '<span class="seat">tata</span>' not in html
