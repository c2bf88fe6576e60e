"""The quarter report on the desktop: it opens after every quarter, accounts for every action, fits.

Scripted games played only through synthetic mouse and keyboard events, as India and as a cloud
provider on the bundled baseline: each quarter the player queues actions from the side panel,
ends the quarter with Enter, reads the report that opens by itself, and finds there every
command queued (and the one the rules refused). Then the fit checks at UI scales 1 and 1.25 in a
1280x720 window, and the links to the Markets, Charts and map screens.
"""

from __future__ import annotations

from pathlib import Path

import pygame
import pytest

from sovereign.game.report import snapshot
from sovereign.game.session import new_session
from sovereign.persist.replay import without_withdrawn
from sovereign.sim.commands import BuildDatacenter, BuildFab, BuyAccelerators, SetLocalisation, SetSecuritySpending

#: Actions queued through the side panel each quarter (their forms' defaults), by seat.
SCRIPTS = {
    "IND": [("build_datacenter", "set_security_spending"), ("buy_accelerators",), ("build_plant", "set_subsidy")],
    "aws": [("build_datacenter",), ("buy_accelerators",), ("build_datacenter", "buy_accelerators")],
}


def queued_this_quarter(model, seat, label):
    log = [c for c in model.command_log if c["seat"] == seat and c["quarter"] == label and c["origin"] == "human"]
    kept = without_withdrawn({label: [c for c in log if c["stage"] != "apply"]})[label]
    return [c["command"] for c in kept if c["stage"] == "submit"]


@pytest.mark.parametrize("seat", ["IND", "aws"])
def test_the_report_opens_each_quarter_and_accounts_for_every_action(make_app, baseline_scenario, tmp_path, seat):
    from sovereign.ui.settings import Settings

    session = new_session(baseline_scenario, [seat], seed=2, save_dir=tmp_path, autosave=False)
    app, ui = make_app(session=session, settings=Settings(autosave=False))
    app.start_session(session)
    ui.frames(2)
    for w in list(app.manager.get_window_stack().get_full_stack()):  # a decision at the start: later
        if hasattr(w, "answer"):
            w.answer("later" if w.key.startswith("decision") else w.cancel_choice)
    ui.frames(2)
    game = app.top
    assert game.name == "game"
    model = session.model
    for actions in SCRIPTS[seat]:
        label = model.quarter_label
        ui.key(pygame.K_TAB) if game.panel_tab != "actions" else None
        for key in actions:
            button = next(b for b, k in game.panel.action_buttons.items() if k == key)
            ui.click(button)
            assert game.form is not None and game.form.key == key
            ui.click(game.form.confirm)
        if game.form is not None and game.form.alive():
            game.form.kill()  # a refused action leaves its form open
        queued = queued_this_quarter(model, seat, label)
        assert len(queued) == len(actions), "every action was confirmed (queued or refused)"
        ui.key(pygame.K_RETURN)
        ui.wait_quarter()
        ui.frames(3)
        screen = app.top
        assert screen.name == "report", "the report opens by itself after the quarter"
        report = screen.report
        assert report is not None and report.quarter == label and report.seat == seat
        accounted = report.accounted()
        for cmd in queued:
            assert cmd in accounted, (cmd, [line.text for line in report.actions])
        assert len(accounted) == len(queued)
        assert any(block.card for col in screen.columns for block in col.blocks)
        ui.key(pygame.K_ESCAPE)
        ui.close_dialogs()
        assert app.top is game
        assert not app.unseen_report(), "seen once, it does not open again"
        ui.key(pygame.K_r)
        assert app.top.name == "report" and app.top.report.quarter == label, "R opens it again"
        ui.key(pygame.K_r)
        ui.close_dialogs()
        assert app.top is game


@pytest.fixture
def busy_session(tiny_scenario, tmp_path):
    """India in the tiny world's second quarter with many actions queued: a long report when it is played."""
    s = new_session(tiny_scenario, ["IND"], seed=5, save_dir=tmp_path, autosave=False)
    s.end_turn(wait=True)
    s.poll()
    for cmd in (
        SetLocalisation(enabled=True),
        SetSecuritySpending(busd_per_year=3.0),
        BuildFab(region="IND", accelerator="domestic", h100e_per_quarter=5_000_000),
        BuyAccelerators(region="IND", accelerator="domestic", h100e=1000, max_price_usd=30_000),
    ):
        s.submit(cmd)
    return s


@pytest.mark.parametrize("scale", [1.0, 1.25])
def test_the_report_fits_1280x720(scale, make_app, busy_session, clipped, monkeypatch):
    """Every text stays in its column or the header, every button shows its label, at every scroll position."""
    from sovereign.ui import draw
    from sovereign.ui.settings import Settings

    drawn: list[tuple[str, pygame.Rect]] = []
    real = draw.text

    def record(surface, fonts, text, *a, **k):
        rect = real(surface, fonts, text, *a, **k)
        drawn.append((str(text), rect))
        return rect

    monkeypatch.setattr(draw, "text", record)
    app, ui = make_app(session=busy_session, settings=Settings(autosave=False, ui_scale=scale), size=(1280, 720))
    app.start_session(busy_session)
    ui.close_dialogs()
    busy_session.end_turn()
    ui.wait_quarter()
    screen = app.top
    assert screen.name == "report"
    window = pygame.Rect((0, 0), app.window.get_size())
    left, right = screen.columns
    assert len(left.blocks) > 8 and len(right.blocks) > 8
    positions = max(screen._last_first(left), screen._last_first(right)) + 1
    assert positions > 1 or scale == 1.0, "at 1.25 the report needs scrolling: every position is checked"
    for first in range(positions):
        screen._first = [min(first, screen._last_first(left)), min(first, screen._last_first(right))]
        screen.rebuild()
        drawn.clear()
        ui.frames(2)
        assert clipped(app.manager) == [], first
        assert drawn, "the screen drew"
        drawn[:] = [(t, r) for t, r in drawn if not any(toast.contains(r) for toast in app.toast_rects)]
        for text, rect in drawn:
            if rect.bottom <= screen.top_h:
                assert rect.right <= screen.back_button.rect.left, text
            else:
                assert left.rect.contains(rect) or right.rect.contains(rect), (text, rect)
            assert window.contains(rect), (text, rect)
        for button in screen.links:
            assert left.rect.contains(button.rect) or right.rect.contains(button.rect), button.text
        texts = [(t, r) for t, r in drawn if r.bottom > screen.top_h]
        for k, (_, a) in enumerate(texts):  # no two texts overlap
            for _, b in texts[k + 1 :]:
                assert not a.colliderect(b), (texts[k], (_, b))
    ui.key(pygame.K_ESCAPE)
    ui.close_dialogs()
    assert app.top.name == "game" and "report" in app.top.top_buttons.values()
    assert clipped(app.manager) == [], "the map's top bar with its Report button"


def test_the_links_open_markets_charts_and_the_map(make_app, busy_session):
    app, ui = make_app(session=busy_session, size=(1600, 900))
    app.start_session(busy_session)
    ui.close_dialogs()
    assert busy_session.submit(BuildDatacenter(region="IND", it_mw=100)).accepted  # a line linked to the map
    busy_session.end_turn()
    ui.wait_quarter()
    screen = app.top
    assert screen.name == "report"
    for wanted in ("markets", "charts", "map"):
        screen = app.top
        assert screen.name == "report"
        button = next(b for b, link in screen.links.items() if link.screen == wanted)
        region = screen.links[button].region
        ui.click(button)
        if wanted == "map":
            assert app.top.name == "game"
            assert region is None or app.top.selection == region
        else:
            assert app.top.name == wanted
            if wanted == "markets" and region is not None:
                model = busy_session.model
                assert app.top.region == model.region_ix[region]
            ui.key(pygame.K_ESCAPE)
            assert app.top.name == "report", "Esc comes back to the report"
        if app.top.name == "game":
            ui.key(pygame.K_r)


def test_the_report_before_any_quarter_says_so(make_app, tiny_scenario, tmp_path, shown):
    s = new_session(tiny_scenario, ["IND"], seed=1, save_dir=tmp_path, autosave=False)
    assert snapshot(s.model, "IND").quarter == s.model.quarter
    app, ui = make_app(session=s)
    app.start_session(s)
    ui.close_dialogs()
    ui.key(pygame.K_r)
    assert app.top.name == "report" and app.top.report is None
    assert any(t.startswith("No quarter has been played yet") for t in shown)


def test_the_screenshot_tool_renders_the_report(tmp_path):
    from sovereign.ui.screenshot import ShotOptions, render

    tiny = Path(__file__).resolve().parents[1] / "sim" / "fixtures" / "tiny.yaml"
    path = render(
        ShotOptions(path=tmp_path / "report.png", screen="report", scenario=tiny, quarters=2, size=(1280, 720))
    )
    assert pygame.image.load(str(path)).get_size() == (1280, 720)


def test_hot_seat_each_player_reads_their_own_report_after_the_hand_over(make_app, tiny_scenario, tmp_path):
    s = new_session(tiny_scenario, ["IND", "USA"], seed=3, save_dir=tmp_path, autosave=False)
    app, ui = make_app(session=s)
    app.start_session(s)
    ui.key(pygame.K_RETURN)  # the United States (first in seat order) sits down
    ui.close_dialogs()
    assert app.top.name == "game" and s.seat == "USA"
    ui.key(pygame.K_RETURN)  # it ends its turn: hand-over to India
    assert app.top.name == "handover"
    ui.key(pygame.K_RETURN)
    ui.close_dialogs()
    assert s.seat == "IND"
    assert s.submit(SetLocalisation(enabled=True)).accepted
    ui.key(pygame.K_RETURN)  # India ends the quarter
    ui.wait_quarter()
    assert app.top.name == "handover", "the next player sits down before any report shows"
    ui.key(pygame.K_RETURN)
    assert app.top.name == "report" and app.top.report.seat == "USA"
    assert app.top.report.actions[0].text == "You queued no action this quarter"
    ui.key(pygame.K_ESCAPE)
    ui.close_dialogs()
    assert app.top.name == "game"
    ui.key(pygame.K_RETURN)  # the United States ends its turn: India sits down and reads its own report
    assert app.top.name == "handover"
    ui.key(pygame.K_RETURN)
    assert app.top.name == "report" and app.top.report.seat == "IND"
    assert app.top.report.actions[0].commands == [{"kind": "set_localisation", "enabled": True}]
