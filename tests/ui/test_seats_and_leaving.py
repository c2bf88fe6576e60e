"""Who plays each seat (human, or AI at its own difficulty) and leaving a game without losing it.

Driven by synthetic clicks and keys through ``App.frame``, like the other UI tests: per-seat AI
difficulty set on the new-game screen reaches the model; starting or loading a game while one with
unsaved progress is open asks Save / Discard / Cancel; quitting while a quarter is being played
waits for the quarter and its autosave.
"""

from __future__ import annotations

import threading
import time

import pygame

from sovereign.game.session import new_session
from sovereign.sim.commands import BuildDatacenter
from sovereign.ui import events
from sovereign.ui.dialogs import ChoiceDialog
from sovereign.ui.screens.handover import seats_lines
from sovereign.ui.screens.panel import controller_text
from sovereign.ui.settings import Settings


def open_dialog(app, key: str) -> ChoiceDialog | None:
    """The open choice dialog with this key, if any."""
    for w in app.manager.get_window_stack().get_full_stack():
        if isinstance(w, ChoiceDialog) and w.key == key and w.alive():
            return w
    return None


def seat_button(screen, seat: str):
    return next(b for b, sid in screen.seat_buttons.items() if sid == seat)


def test_each_seat_human_or_ai_at_its_own_difficulty_reaches_the_model(make_app, baseline_scenario):
    app, ui = make_app()
    app.open("menu")
    ui.key(pygame.K_n)
    ng = app.top
    assert ng.name == "new_game" and ng.seat == "IND" and ng.difficulty == "normal"
    china = seat_button(ng, "CHN")
    assert china.text == "AI (normal)"
    cycle = (("human", "Human"), ("easy", "AI · easy"), ("normal", "AI · normal"), ("hard", "AI · hard"))
    for expected, label in cycle:
        ui.click(china)
        assert ng.choice("CHN") == expected and china.text == label
    assert seat_button(ng, "CHN") is china, "a click changes the row in place, it does not rebuild the list"
    usa = seat_button(ng, "USA")
    ui.click(usa, button=3)  # right-click goes back: default -> hard
    assert ng.choice("USA") == "hard"
    ui.click(usa, button=3)
    ui.click(usa, button=3)
    assert ng.choice("USA") == "easy" and usa.text == "AI · easy"
    ui.click(seat_button(ng, "GBR"))
    assert ng.humans == {"GBR"}
    easy_default = next(b for b, d in ng.difficulty_buttons.items() if d == "easy")
    ui.click(easy_default)
    assert ng.difficulty == "easy" and seat_button(ng, "DEU").text == "AI (easy)"
    assert china.text == "AI · hard", "a seat set individually keeps its level"
    assert "AI on hard: China" in ng.briefing.html_text

    ui.click(ng.start_button)
    session = app.session
    assert session is not None
    model = session.model
    assert model.human_seats == {"IND", "GBR"}
    levels = {sid: agent.difficulty for sid, agent in model.seats.items() if sid not in model.human_seats}
    assert levels["CHN"] == "hard" and levels["USA"] == "easy"
    assert {lvl for sid, lvl in levels.items() if sid not in ("CHN", "USA")} == {"easy"}
    assert session.controller("GBR") == "human" and controller_text(session.controller("CHN")) == "AI (hard)"
    # two people: the hand-over lists who plays, with the AI seats' levels
    assert app.top.name == "handover"
    players, ai = seats_lines(session, session.seat)
    assert f"{session.seat_name(session.seat)} (now)" in players and "India" in players and "United Kingdom" in players
    assert "China on hard" in ai and "on easy" in ai
    ui.frames(1)


def test_new_game_or_load_while_unsaved_asks_to_save_first(make_app, tiny_scenario, tmp_path):
    s = new_session(tiny_scenario, ["IND"], seed=3, save_dir=tmp_path, autosave=False)
    app, ui = make_app(session=s)
    app.start_session(s)
    saved = s.save(tmp_path / "first.json.gz")
    s.submit(BuildDatacenter(region="IND", it_mw=100))
    assert s.dirty
    app.open("new_game")
    ng = app.top
    ui.click(ng.start_button)
    dialog = open_dialog(app, "replace")
    assert dialog is not None and "(India, 2026Q1) has progress since your last save" in dialog.body.html_text
    assert app.session is s, "nothing is replaced before the player answers"
    ui.click(dialog.button_for("cancel"))
    assert app.session is s and app.top is ng and open_dialog(app, "replace") is None

    before = {p.name for p in app.save_dir.glob("*.json.gz")} if app.save_dir.is_dir() else set()
    ui.click(ng.start_button)
    ui.click(open_dialog(app, "replace").button_for("save"))
    written = {p.name for p in app.save_dir.glob("*.json.gz")} - before
    assert len(written) == 1, "Save first wrote the game that was being played"
    assert app.session is not s and app.session.model.scenario.meta.id == "baseline"
    assert app.top.name == "game"

    # the new game gets unsaved progress; loading a save asks again, and Discard loads it
    fresh = app.session
    fresh.submit(BuildDatacenter(region="IND", it_mw=100))
    events.post(events.LOAD_GAME, path=str(saved))
    ui.frames(3)
    assert app.session is fresh and open_dialog(app, "replace") is not None
    ui.click(open_dialog(app, "replace").button_for("discard"))
    assert app.session is not fresh and app.session.model.scenario.meta.id == tiny_scenario.meta.id
    assert app.session.queued("IND") == [], "the save from before the datacenter was queued"


def _gate_step(monkeypatch, session) -> threading.Event:
    """Hold the worker's quarter until the returned event is set (a quarter of the tiny world is quick)."""
    gate = threading.Event()
    step = session.model.step

    def held_step() -> None:
        gate.wait(30)
        step()

    monkeypatch.setattr(session.model, "step", held_step)
    return gate


def _run_until(app, done, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        app.frame(dt=1 / 60)
        time.sleep(0.005)


def test_quit_while_a_quarter_is_played_waits_for_it_and_its_autosave(make_app, tiny_scenario, tmp_path, monkeypatch):
    s = new_session(tiny_scenario, ["IND"], seed=2, save_dir=tmp_path, autosave=True)
    app, ui = make_app(session=s, settings=Settings(autosave=True))
    app.start_session(s)
    ui.close_dialogs()
    gate = _gate_step(monkeypatch, s)
    ui.key(pygame.K_RETURN)
    assert s.busy
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    ui.frames(3)
    assert app.running and s.busy and app.quit_after_quarter, "the window stays while the quarter is played"
    assert not app.modal_open()
    assert not list(app.save_dir.glob("autosave-*"))
    gate.set()
    _run_until(app, lambda: not app.running)
    assert not s.busy and s.model.quarter_label == "2026Q2"
    assert len(list(app.save_dir.glob("autosave-*"))) == 1, "the quarter's autosave was written before quitting"


def test_quit_while_a_quarter_is_played_without_autosave_asks_after_it(make_app, tiny_scenario, tmp_path, monkeypatch):
    s = new_session(tiny_scenario, ["IND"], seed=2, save_dir=tmp_path, autosave=False)
    app, ui = make_app(session=s)
    app.start_session(s)
    ui.close_dialogs()
    gate = _gate_step(monkeypatch, s)
    ui.key(pygame.K_RETURN)
    ui.key(pygame.K_q, mod=pygame.KMOD_CTRL)
    assert app.running and app.quit_after_quarter
    gate.set()
    _run_until(app, lambda: open_dialog(app, "quit") is not None)
    assert app.running and s.model.quarter_label == "2026Q2"
    ui.click(open_dialog(app, "quit").button_for("save_quit"))
    assert not app.running and list(app.save_dir.glob("*.json.gz"))
