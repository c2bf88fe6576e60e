"""A scripted game played only through synthetic mouse and keyboard events.

Starts the bundled baseline as India from the main menu, builds a datacenter from the side
panel, ends four quarters, saves with Ctrl+S, loads the save with Ctrl+O and checks that the
loaded game is the same game, then plays on.
"""

from __future__ import annotations

import pygame

from sovereign.sim.commands import BuildDatacenter


def test_baseline_as_india_build_four_quarters_save_load(make_app, baseline_scenario, tmp_path, fingerprint):
    from sovereign.persist import model_digest
    from sovereign.ui.settings import Settings

    app, ui = make_app(settings=Settings(autosave=True))
    app.open("menu")
    ui.frames(2)

    # main menu -> new game: the baseline is first and India is the default role
    ui.key(pygame.K_n)
    new_game = app.top
    assert new_game.name == "new_game"
    assert new_game.info.scenario.meta.id == baseline_scenario.meta.id
    india = next(b for b, sid in new_game.role_buttons.items() if sid == "IND")
    ui.click(india)
    assert app.top.seat == "IND"
    ui.click(app.top.start_button)
    game = app.top
    assert game.name == "game"
    session = app.session
    assert session is not None and session.seat == "IND"
    model = session.model
    assert model.quarter_label == "2026Q1"
    ui.close_dialogs()

    # side panel: Actions tab, Build datacenter, Confirm
    ui.key(pygame.K_TAB)
    assert game.panel_tab == "actions"
    build = next(b for b, key in game.panel.action_buttons.items() if key == "build_datacenter")
    ui.click(build)
    form = game.form
    assert form is not None and form.key == "build_datacenter"
    assert "Time to build" in form.preview_box.html_text and "Cost" in form.preview_box.html_text
    ui.click(form.confirm)
    assert model.pending["IND"] == [BuildDatacenter(region="IND", it_mw=100.0)]
    assert not form.alive()

    # end four quarters with the Enter key; the window keeps drawing while the worker plays
    for q in range(4):
        ui.key(pygame.K_RETURN)
        ui.wait_quarter()
        ui.close_dialogs()
        assert model.quarter - model.start_q == q + 1
    assert model.quarter_label == "2027Q1"
    project = [p for p in model.world.projects if p["owner"] == "IND" and p["kind"] == "build_datacenter"]
    assert project and project[0]["size"] == 100.0
    autosaves = [p for p in (tmp_path / "saves").iterdir() if p.name.startswith("autosave-")]
    assert autosaves, "an autosave is written after every quarter"

    # save with Ctrl+S
    ui.key(pygame.K_s, mod=pygame.KMOD_CTRL)
    saved = session.save_path
    assert saved is not None and saved.is_file() and not saved.name.startswith("autosave-")
    digest = model_digest(model)["state"]

    # load it back with Ctrl+O, choosing our file with the arrow keys, then Enter
    ui.key(pygame.K_o, mod=pygame.KMOD_CTRL)
    load = app.top
    assert load.name == "load"
    for _ in range(len(load.entries)):
        if load.selected_path() == saved:
            break
        ui.key(pygame.K_DOWN)
        load = app.top
    assert load.selected_path() == saved
    ui.key(pygame.K_RETURN)
    ui.close_dialogs()
    assert app.top.name == "game"
    loaded = app.session
    assert loaded is not session
    assert model_digest(loaded.model)["state"] == digest
    assert loaded.model.quarter_label == "2027Q1" and loaded.seat == "IND"
    assert [p["size"] for p in loaded.model.world.projects if p["owner"] == "IND"] == [100.0]

    # and the loaded game plays on
    before = fingerprint(loaded.model)
    ui.key(pygame.K_RETURN)
    ui.wait_quarter()
    assert loaded.model.quarter_label == "2027Q2"
    assert fingerprint(loaded.model) != before
