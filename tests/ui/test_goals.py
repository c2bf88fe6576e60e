"""Goals in view: the objective tracker on the map, the goals view (G), the loss screen and the score.

Driven by synthetic keys and clicks through `App.frame`, like the other UI tests. The loss is made
certain by a scenario whose takeover limit values every chip absurdly high, so the firm a person
plays is "worth less than its chips" after its first quarter.
"""

from __future__ import annotations

import pygame
import pytest

from sovereign.game.session import new_session
from sovereign.scenario.schema import Defeat
from sovereign.ui.settings import Settings


@pytest.fixture
def drawn(monkeypatch):
    """(text, rect) of every string drawn with `sovereign.ui.draw.text` while the test runs."""
    from sovereign.ui import draw

    out: list[tuple[str, pygame.Rect]] = []
    real = draw.text

    def record(surface, fonts, text, *a, **k):
        rect = real(surface, fonts, text, *a, **k)
        out.append((str(text), rect))
        return rect

    monkeypatch.setattr(draw, "text", record)
    return out


@pytest.fixture
def doomed(tiny_scenario):
    """The tiny world with a takeover limit CloudCo breaks in its first quarter."""
    sc = tiny_scenario.model_copy(deep=True)
    sc.defeat = Defeat(takeover_hardware_share=10.0, takeover_usd_per_h100e=1e6, takeover_quarters=1)
    return sc


def texts(drawn) -> list[str]:
    return [t for t, _ in drawn]


def test_the_tracker_shows_the_objective_and_updates_each_quarter(make_app, tiny_scenario, tmp_path, drawn):
    session = new_session(tiny_scenario, ["IND"], seed=1, save_dir=tmp_path, autosave=False)
    app, ui = make_app(session=session)
    app.start_session(session)
    ui.frames(2)
    assert app.top.name == "game"
    shown = texts(drawn)
    assert "GOALS · INDIA" in shown
    assert "Waiting · 8 quarters (2 years) left" in shown, "before the first quarter: the whole game ahead"
    tracker = app.top.tracker.rect
    assert tracker.width > 0 and app.top.map_rect.contains(tracker)
    seen = []
    for _ in range(2):
        drawn.clear()  # the card is drawn again once when the quarter has been played, then blitted
        ui.key(pygame.K_RETURN)
        ui.wait_quarter()
        ui.close_dialogs()
        ui.frames(2)
        status = [t for t in texts(drawn) if " left" in t and "·" in t]
        assert status, texts(drawn)
        seen.append(status[-1])
    assert seen[0].endswith("7 quarters left") and seen[1].endswith("6 quarters left"), seen
    assert all(s.split(" · ")[0] in ("On course", "Behind") for s in seen), seen
    detail = [t for t in texts(drawn) if t.startswith("sovereignty index 0.")]
    assert detail and " of 0.4 · at this pace " in detail[-1], "the value against its target, in words"
    # G opens the goals view; so does a click on the card; Esc goes back
    ui.key(pygame.K_g)
    assert app.top.name == "goals"
    shown = texts(drawn)
    assert "WAYS TO LOSE" in shown and "Index collapse" in shown and "Budget crisis" in shown
    assert any(t.startswith("Total ") and t.endswith(" points") for t in shown)
    ui.key(pygame.K_ESCAPE)
    assert app.top.name == "game"
    ui.click_at(app.top.tracker.rect.center)
    assert app.top.name == "goals"


def test_a_lost_seat_gets_the_loss_screen_then_the_end(make_app, doomed, tmp_path, drawn):
    session = new_session(doomed, ["cloudco"], seed=3, save_dir=tmp_path, autosave=False)
    app, ui = make_app(session=session)
    app.start_session(session)
    ui.frames(2)
    ui.key(pygame.K_RETURN)
    ui.wait_quarter()
    screen = app.top
    assert screen.name == "loss"
    shown = texts(drawn)
    assert "CloudCo is out" in shown
    assert any(t.startswith("Takeover, 2026Q1") for t in shown)
    assert any("worth less than the chips it owns" in t for t in shown)
    assert "cloudco" not in session.model.human_seats and session.dirty
    assert screen.continue_button.text == "See the end of the game"
    ui.click(screen.continue_button)
    assert app.top.name == "end"
    ui.frames(2)
    shown = texts(drawn)
    assert any(t.startswith("CloudCo: ") and t.endswith(" points") for t in shown), "the score of the seat"
    assert any(t.startswith("Out in 2026Q1: takeover.") for t in shown)


def test_in_a_hot_seat_the_others_play_on(make_app, doomed, tmp_path):
    session = new_session(doomed, ["USA", "IND", "cloudco"], seed=3, save_dir=tmp_path, autosave=False)
    app, ui = make_app(session=session)
    app.start_session(session)
    for _ in range(3):
        ui.key(pygame.K_RETURN)  # the seat's hand-over
        ui.close_dialogs()
        ui.key(pygame.K_RETURN)  # it ends its turn (the last one: the quarter is played)
    ui.wait_quarter()
    assert [s.name for s in app.screens[-2:]] == ["handover", "loss"], "the loss first, then the next player"
    assert app.top.continue_button.text == "Continue"
    assert session.human_seats == ["USA", "IND"]
    ui.key(pygame.K_RETURN)
    assert app.top.name == "handover" and session.seat == "USA"
    ui.key(pygame.K_RETURN)
    assert app.top.name in ("game", "report")


def test_the_last_person_out_with_a_partner_left(make_app, doomed, tmp_path):
    """Two people, one out: the other plays on alone (no hand-over screen any more)."""
    session = new_session(doomed, ["IND", "cloudco"], seed=3, save_dir=tmp_path, autosave=False)
    app, ui = make_app(session=session)
    app.start_session(session)
    for _ in range(2):
        ui.key(pygame.K_RETURN)
        ui.close_dialogs()
        ui.key(pygame.K_RETURN)
    ui.wait_quarter()
    assert [s.name for s in app.screens[-2:]] == ["game", "loss"]
    assert app.top.continue_button.text == "Continue: India plays on"
    ui.key(pygame.K_RETURN)
    assert app.top.name in ("game", "report") and session.seat == "IND"


@pytest.mark.parametrize("scale", [1.0, 1.25])
def test_tracker_goals_and_loss_fit_1280x720(scale, make_app, doomed, tmp_path, drawn, clipped):
    session = new_session(doomed, ["IND", "cloudco"], seed=3, save_dir=tmp_path, autosave=False)
    app, ui = make_app(session=session, settings=Settings(autosave=False, ui_scale=scale), size=(1280, 720))
    app.start_session(session)
    ui.key(pygame.K_RETURN)
    ui.close_dialogs()
    window = pygame.Rect((0, 0), app.window.get_size())
    game = app.top
    drawn.clear()
    game.tracker.invalidate()
    ui.frames(2)
    card = game.tracker.rect
    assert card.width > 0 and game.map_rect.contains(card)
    controls = game.flows_button.rect.union(game.layer_menu.rect if game.layer_menu else game.flows_button.rect)
    assert not card.colliderect(controls), "the tracker stays clear of the layer controls"
    # the card is drawn once on its own surface (then blitted): its texts lie within the card there
    names = texts(drawn)
    first, last = names.index("GOALS · INDIA"), names.index("G: goals, ways to lose, score")
    for text, rect in drawn[first : last + 1]:
        assert pygame.Rect((0, 0), card.size).contains(rect), (text, rect, card)
    ui.key(pygame.K_g)
    goals = app.top
    assert goals.name == "goals"
    assert clipped(app.manager) == []
    for text, rect in drawn:
        assert window.contains(rect), (text, rect)
    ui.key(pygame.K_ESCAPE)
    ui.key(pygame.K_RETURN)  # India ends its turn
    ui.key(pygame.K_RETURN)  # CloudCo's hand-over
    ui.close_dialogs()
    ui.key(pygame.K_RETURN)  # CloudCo ends its turn: the quarter is played
    ui.wait_quarter()
    assert app.top.name == "loss"
    drawn.clear()
    ui.frames(2)
    assert clipped(app.manager) == []
    button = app.top.continue_button.rect
    for text, rect in drawn:
        assert window.contains(rect), (text, rect)
        assert not rect.colliderect(button), (text, rect)


@pytest.mark.parametrize("scale", [1.0, 1.25])
def test_the_end_screen_scores_each_player_and_fits(scale, make_app, tiny_scenario, tmp_path, drawn, clipped):
    session = new_session(tiny_scenario, ["IND"], seed=2, save_dir=tmp_path, autosave=False)
    while not session.model.done:
        session.end_turn(wait=True)
        session.poll()
    app, ui = make_app(session=session, settings=Settings(autosave=False, ui_scale=scale), size=(1280, 720))
    app.start_session(session)
    end = app.top
    assert end.name == "end"
    ui.frames(2)  # the first frame starts the AI-only games
    assert end.bots is not None and end.bots.wait(120)
    drawn.clear()
    ui.frames(3)
    shown = texts(drawn)
    assert "SCORE" in shown
    (line,) = [t for t in shown if t.startswith("India: ") and t.endswith(" points")]
    total = end.scores()[0].total
    assert line == f"India: {total:.0f} points"
    # (the breakdown wraps where its numbers put it: read the lines as one text)
    assert "Final sovereignty index against the AI" in " ".join(shown), "the AI games are in"
    assert clipped(app.manager) == []
    window = pygame.Rect((0, 0), app.window.get_size())
    for text, rect in drawn:
        assert window.contains(rect), (text, rect)
        if rect.top >= end.left.top and rect.left < end.left.right:
            assert rect.right <= end.left.right + 1, (text, rect)
