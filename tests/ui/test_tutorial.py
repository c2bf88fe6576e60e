"""The tutorial on the desktop, driven only by synthetic mouse and keyboard events.

From the main menu's Tutorial to the last step (a new game of the baseline as India), skip a step,
hide and show the card with T, skip the tutorial and start it again from the menu, resume after a
restart, the offer on a first new game, and the card's place at 1280x720 at UI scales 1 and 1.25
(never over an action form's Confirm button).
"""

from __future__ import annotations

import itertools

import pygame
import pytest

from sovereign.game.tutorial import STEPS
from sovereign.sim.commands import BuildDatacenter, Decide

KEYS = [s.key for s in STEPS]


def settle(ui, seconds: float = 1.5) -> None:
    """Let a ticked step's moment pass (the card shows the next step)."""
    for _ in range(int(seconds / 0.5) + 1):
        ui.app.frame(dt=0.5)


def card_button(app, key: str):
    """A fake widget with the card button's rect (Driver.click clicks its centre)."""
    app.tutorial.layout()
    rect = app.tutorial.buttons[key]
    return type("Button", (), {"rect": rect})()


def test_tutorial_walk_through_from_the_menu(make_app, baseline_scenario):
    app, ui = make_app()
    app.open("menu")
    ui.frames(2)
    menu = app.top
    tutorial_button = next(b for b, k in menu.buttons.items() if k == "tutorial")
    ui.click(tutorial_button)
    game = app.top
    session = app.session
    assert game.name == "game" and session is not None
    assert session.seat == "IND" and session.model.scenario.meta.id == baseline_scenario.meta.id
    progress = app.tutorial.progress
    assert progress.active and progress.current == "select_region"
    assert app.tutorial.visible()
    model = session.model

    # 1: click a country other than India (Brazil) on the map
    ui.click_at(tuple(round(v) for v in game.view.lonlat_to_screen(-52.0, -10.0)))
    assert game.selection == "BRA"
    settle(ui)
    assert progress.done == ["select_region"] and progress.current == "power_layer"

    # 2: the power price layer
    ui.key(pygame.K_2)
    settle(ui)
    assert progress.current == "build_datacenter"

    # 3: back home (H), Actions (Tab), Build datacenter, Confirm
    ui.key(pygame.K_h)
    ui.key(pygame.K_TAB)
    build = next(b for b, key in game.panel.action_buttons.items() if key == "build_datacenter")
    ui.click(build)
    assert game.form is not None
    ui.click(game.form.confirm)
    assert any(isinstance(c, BuildDatacenter) and c.region == "IND" for c in model.pending["IND"])
    settle(ui)
    assert progress.current == "end_quarter"

    # 4 and 5: end the quarter; the report opens by itself
    ui.key(pygame.K_RETURN)
    ui.wait_quarter()
    settle(ui)
    assert app.top.name == "report"
    assert progress.done[-2:] == ["end_quarter", "quarter_report"], progress
    assert progress.current == "read_index"

    # 6: back to the map (the practice decision asks at once: later), then your own page (H)
    ui.key(pygame.K_ESCAPE)
    ui.close_dialogs()
    assert app.top.name == "game"
    ui.key(pygame.K_h)
    settle(ui)
    assert progress.current == "markets"

    # 7: Markets after a quarter, then back
    ui.key(pygame.K_m)
    assert app.top.name == "markets"
    settle(ui)
    assert progress.current == "news"
    ui.key(pygame.K_ESCAPE)
    assert app.top.name == "game"

    # 8: the news
    ui.key(pygame.K_n)
    settle(ui)
    assert progress.current == "decision"
    ui.close_dialogs()

    # 9: answer the practice decision (E, then its first answer)
    from sovereign.ui.dialogs import ChoiceDialog

    ui.key(pygame.K_e)
    dialog = next(w for w in app.manager.get_window_stack().get_full_stack() if isinstance(w, ChoiceDialog))
    assert dialog.key.startswith("decision:")
    ui.click(next(b for b, choice in dialog.choice_buttons.items() if choice == "0"))
    assert any(isinstance(c, Decide) for c in model.pending["IND"])
    settle(ui)
    assert progress.current == "finish_quarter"

    # 10: the last quarter of the tutorial
    ui.key(pygame.K_RETURN)
    ui.wait_quarter()
    settle(ui)
    assert progress.status == "finished" and progress.current is None
    assert progress.done == KEYS and progress.skipped == []
    assert app.settings.tutorial["status"] == "finished", "progress is kept in the settings"
    ui.close_dialogs()
    assert not app.tutorial.visible()


def test_skip_hide_skip_all_and_start_again_from_the_menu(make_app):
    app, ui = make_app()
    app.open("menu")
    ui.frames(2)
    ui.key(pygame.K_t)  # the menu's key for Tutorial
    assert app.top.name == "game"
    session = app.session
    progress = app.tutorial.progress
    assert progress.current == "select_region"

    game = app.top
    over_india = tuple(round(v) for v in game.view.lonlat_to_screen(78.0, 22.0))
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=over_india, rel=(0, 0), buttons=(0, 0, 0)))
    ui.frames(2)
    assert game.hover_region == "IND"
    app.tutorial.layout()
    on_card = app.tutorial.rect.center
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=on_card, rel=(0, 0), buttons=(0, 0, 0)))
    ui.frames(2)
    assert game.hover_region is None, "no map tooltip under the card"
    ui.click(card_button(app, "skip_step"))
    assert progress.skipped == ["select_region"] and progress.current == "power_layer"
    assert app.top.name == "game" and app.top.selection == "IND", "the click was the card's, not the map's"

    ui.key(pygame.K_t)
    assert progress.hidden and not app.tutorial.visible() and app.tutorial.layout() is None
    ui.key(pygame.K_t)
    assert not progress.hidden and app.tutorial.visible()

    ui.click(card_button(app, "skip_all"))
    assert progress.status == "skipped" and not app.tutorial.visible()
    assert app.settings.tutorial["status"] == "skipped"

    # back to the main menu (Esc, Main menu) and Tutorial again: the same game, from the first step
    ui.key(pygame.K_ESCAPE)
    from sovereign.ui.dialogs import ChoiceDialog

    menu_dialog = next(w for w in app.manager.get_window_stack().get_full_stack() if isinstance(w, ChoiceDialog))
    menu_dialog.answer("menu")
    ui.frames(4)
    assert app.top.name == "menu"
    tutorial_button = next(b for b, k in app.top.buttons.items() if k == "tutorial")
    ui.click(tutorial_button)
    assert app.top.name == "game" and app.session is session, "a game is on: the tutorial runs in it"
    assert progress.active and progress.current == "select_region" and progress.skipped == []


def test_progress_survives_a_restart(tmp_path):
    """Skip, quit, start again: the tutorial resumes where it was (the settings file keeps it)."""
    from sovereign.ui.app import App
    from sovereign.ui.settings import load_settings

    settings_file = tmp_path / "settings.json"

    def start_app():
        return App(settings_file=settings_file, size=(1280, 720), save_dir=tmp_path / "saves")

    app = start_app()
    app.open("menu")
    app.frame(dt=1 / 60)
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_t, mod=0, unicode="t", scancode=0))
    for _ in range(4):
        app.frame(dt=1 / 60)
    app.tutorial.skip_step()
    app.tutorial.skip_step()
    stored, problems = load_settings(settings_file)
    assert problems == []
    assert stored.tutorial["current"] == "build_datacenter"
    assert stored.tutorial["skipped"] == ["select_region", "power_layer"]

    again = start_app()
    assert again.tutorial.progress.active and again.tutorial.progress.current == "build_datacenter"
    assert again.tutorial.progress.skipped == ["select_region", "power_layer"]
    pygame.event.clear()


def test_the_first_new_game_offers_the_tutorial(make_app, tiny_scenario, tmp_path):
    from sovereign.game.session import new_session
    from sovereign.ui.dialogs import ChoiceDialog

    app, ui = make_app()
    app.tutorial.offer = True  # tests keep no settings file; a player's first game offers it
    app.open("menu")
    ui.frames(2)
    session = new_session(tiny_scenario, ["IND"], seed=1, save_dir=tmp_path / "saves", autosave=False)
    app.start_session(session)
    ui.frames(2)
    offer = [w for w in app.manager.get_window_stack().get_full_stack() if isinstance(w, ChoiceDialog)]
    assert [w.key for w in offer] == ["tutorial_offer"]
    ui.click(next(b for b, choice in offer[0].choice_buttons.items() if choice == "start"))
    assert app.tutorial.progress.active and app.tutorial.progress.current == "select_region"
    assert app.session is session, "the tutorial runs in the game just started"
    # answered once: a second new game does not ask again
    app.start_session(new_session(tiny_scenario, ["IND"], seed=2, save_dir=tmp_path / "saves", autosave=False))
    ui.frames(2)
    assert not any(isinstance(w, ChoiceDialog) for w in app.manager.get_window_stack().get_full_stack())


def test_key_t_is_free_on_the_map():
    """T belongs to the tutorial alone on the map (V and G went to other views)."""
    from sovereign.ui.screens.game import GameScreen

    keys = [k for k, _ in GameScreen.keys]
    assert keys.count("T") == 1
    assert not any(k.startswith("T ") or " T " in k or k.endswith(" T") for k in keys if k != "T")


@pytest.mark.parametrize("scale", [1.0, 1.25])
def test_card_fits_1280x720_and_never_covers_confirm(scale, make_app, monkeypatch):
    from sovereign.ui import draw
    from sovereign.ui.screens.tutorial import visible_rect
    from sovereign.ui.settings import Settings

    app, ui = make_app(settings=Settings(autosave=False, ui_scale=scale), size=(1280, 720))
    app.open("menu")
    ui.frames(2)
    ui.key(pygame.K_t)
    game = app.top
    window = pygame.Rect((0, 0), app.window.get_size())

    drawn: list[tuple[str, pygame.Rect]] = []
    real = draw.text

    def record(surface, fonts, text, *a, **k):
        rect = real(surface, fonts, text, *a, **k)
        drawn.append((str(text), rect))
        return rect

    def check_card() -> pygame.Rect:
        drawn.clear()
        monkeypatch.setattr(draw, "text", record)
        app.tutorial.draw(app.window)
        monkeypatch.setattr(draw, "text", real)
        card = app.tutorial.rect
        assert card is not None and window.contains(card)
        assert drawn, "the card drew its text"
        for text, rect in drawn:
            assert card.contains(rect), (text, rect, card)
        for key, rect in app.tutorial.buttons.items():
            assert card.contains(rect), key
        for key, rect in app.tutorial.buttons.items():
            for other, r2 in app.tutorial.buttons.items():
                assert key == other or not rect.colliderect(r2), (key, other)
        return card

    # every step's card, on the map: inside the map, clear of the top bar and the side panel
    for key in KEYS:
        app.tutorial.progress.current = key
        card = check_card()
        assert game.map_rect.contains(card), key
        for button in game.top_buttons:
            assert not card.colliderect(button.rect)
        assert not card.colliderect(game.flows_button.rect)
        tracker = getattr(getattr(game, "tracker", None), "rect", None)  # the objectives card, if any
        assert tracker is None or not card.colliderect(tracker), key

    # with each action form open: the card never covers the form, its Confirm above all
    app.tutorial.progress.current = "build_datacenter"
    ui.key(pygame.K_TAB)
    for action in list(game.panel.action_buttons.values()):
        game.open_action(action)
        ui.frames(2)
        form = game.form
        card = check_card()
        assert not card.colliderect(form.confirm.rect), (action, card, form.confirm.rect)
        assert not card.colliderect(visible_rect(form)), (action, card, visible_rect(form))
        for rect in app.tutorial.buttons.values():
            assert not rect.colliderect(form.cancel.rect)
    if scale == 1.25:
        assert app.tutorial.folded, "at 1.25 the form leaves no room: the card folds over the ticker"


@pytest.mark.parametrize("scale", [1.0, 1.25])
def test_menu_with_tutorial_fits_1280x720(scale, make_app, clipped):
    """Six menu items (a game on: Continue too) fit under the tagline at 1280x720."""
    from sovereign.game.tutorial import tutorial_session
    from sovereign.ui.settings import Settings

    app, ui = make_app(settings=Settings(autosave=False, ui_scale=scale), size=(1280, 720))
    app.start_session(tutorial_session(autosave=False))
    app.open("menu")
    ui.frames(2)
    buttons = sorted(app.top.buttons, key=lambda b: b.rect.top)
    assert [app.top.buttons[b] for b in buttons] == ["new", "continue", "tutorial", "load", "settings", "quit"]
    assert clipped(app.manager) == []
    for upper, lower in itertools.pairwise(buttons):
        assert upper.rect.bottom < lower.rect.top
    assert buttons[-1].rect.bottom <= 720 - app.s(30), "above the footer line"
    assert buttons[0].rect.top >= 360 - app.s(60), "below the tagline"


def test_screenshot_of_the_first_steps(make_app, tmp_path):
    """The documentation's picture: step 3 after the first two, on the power price layer, at 1280x720.

    Copied to docs/screenshots/tutorial.png when SOVEREIGN_DOCS_SCREENSHOTS=1 (how it was made).
    """
    import os
    import shutil
    from pathlib import Path

    app, ui = make_app(size=(1280, 720))
    app.open("menu")
    ui.frames(2)
    ui.key(pygame.K_t)
    game = app.top
    ui.click_at(tuple(round(v) for v in game.view.lonlat_to_screen(-52.0, -10.0)))  # Brazil
    settle(ui)
    ui.key(pygame.K_2)
    settle(ui)
    assert app.tutorial.progress.current == "build_datacenter" and app.tutorial.visible()
    app.toasts.clear()
    shot = app.screenshot(tmp_path / "tutorial.png")
    assert pygame.image.load(str(shot)).get_size() == (1280, 720)
    if os.environ.get("SOVEREIGN_DOCS_SCREENSHOTS") == "1":
        shutil.copy(shot, Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "tutorial.png")
