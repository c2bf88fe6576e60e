"""Every screen opens, draws and closes; drawing never changes the model; dialogs and keys work."""

from __future__ import annotations

import pygame
import pytest

from sovereign.ui import events
from sovereign.ui.app import SCREENS
from sovereign.ui.settings import Settings

SESSION_SCREENS = [n for n in SCREENS if n not in ("menu",)]


@pytest.mark.parametrize("name", list(SCREENS))
def test_every_screen_opens_draws_and_closes_without_touching_the_model(name, make_app, played_session, fingerprint):
    app, ui = make_app(session=played_session)
    app.start_session(played_session)
    ui.close_dialogs()
    before = fingerprint(played_session.model)
    depth = len(app.screens)
    params = {"seat": played_session.seat} if name == "handover" else {}
    app.open(name, **params)
    assert app.top.name == name
    ui.frames(3)
    app.help_open = True
    ui.frames(1)
    app.help_open = False
    # hover over the middle of the window: tooltips are drawn too
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=(500, 400), rel=(0, 0), buttons=(0, 0, 0)))
    ui.frames(2)
    assert fingerprint(played_session.model) == before
    events.post(events.BACK)
    ui.frames(2)
    assert len(app.screens) == depth
    assert fingerprint(played_session.model) == before


@pytest.mark.parametrize(
    "settings",
    [Settings(ui_scale=1.5, palette="colourblind"), Settings(ui_scale=0.75), Settings(ui_scale=1.25)],
    ids=["1.5-colourblind", "0.75", "1.25"],
)
def test_game_screen_at_other_scales_and_palettes(settings, make_app, played_session, fingerprint):
    app, ui = make_app(session=played_session, settings=settings, size=(1280, 720))
    app.start_session(played_session)
    before = fingerprint(played_session.model)
    game = app.top
    for layer in (
        "sovereignty",
        "power_price",
        "dc_capacity",
        "compute_share",
        "emissions",
        "blocs",
        "export_tier",
        "chip_security",
    ):
        game.set_layer(layer)
        ui.frames(1)
    game.set_tab("actions")
    ui.frames(1)
    game.open_action("build_plant")
    ui.frames(2)
    assert fingerprint(played_session.model) == before


def test_map_keys_layers_zoom_pan_select_and_tabs(make_app, played_session):
    app, ui = make_app(session=played_session)
    app.start_session(played_session)
    ui.close_dialogs()
    game = app.top
    ui.key(pygame.K_3)
    assert game.layer == "dc_capacity"
    ui.key(pygame.K_f)
    assert app.settings.show_flows is False
    ui.key(pygame.K_f)
    zoom = game.view.zoom
    ui.key(pygame.K_EQUALS)
    assert game.view.zoom > zoom
    center = game.view.center
    ui.key(pygame.K_LEFT)
    assert game.view.center != center
    ui.key(pygame.K_HOME)
    assert game.view.zoom == 1.0
    # click on China on the map selects it
    x, y = game.renderer.marker_screen(played_session.model.region_ix["CHN"])
    ui.click_at((int(x) - 40, int(y) + 30))  # west of Beijing, inside China
    assert game.selection == "CHN"
    ui.key(pygame.K_TAB)
    assert game.panel_tab == "actions"
    ui.key(pygame.K_TAB)
    ui.key(pygame.K_h)
    assert game.selection == "IND"
    # drag pans
    game.view.zoom_at(*game.map_rect.center, 2.0)
    c0 = game.view.center
    start = game.map_rect.center
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=start, button=1))
    pygame.event.post(
        pygame.event.Event(pygame.MOUSEMOTION, pos=(start[0] + 60, start[1]), rel=(60, 0), buttons=(1, 0, 0))
    )
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(start[0] + 60, start[1]), button=1))
    ui.frames(2)
    assert game.view.center[0] < c0[0]


def test_markets_and_charts_navigation_keys(make_app, played_session, fingerprint):
    app, ui = make_app(session=played_session)
    app.start_session(played_session)
    ui.close_dialogs()
    before = fingerprint(played_session.model)
    ui.key(pygame.K_m)
    assert app.top.name == "markets"
    m = app.top
    r0 = m.region
    ui.key(pygame.K_RIGHT)
    assert m.region != r0
    ui.key(pygame.K_TAB)
    ui.key(pygame.K_PAGEUP)
    ui.key(pygame.K_ESCAPE)
    assert app.top.name == "game"
    ui.key(pygame.K_c)
    assert app.top.name == "charts"
    ui.key(pygame.K_DOWN)
    ui.key(pygame.K_TAB)
    assert app.top.group == "firms"
    ui.key(pygame.K_TAB)
    assert app.top.group == "world" and app.top.metric == 0
    ui.frames(2)
    ui.key(pygame.K_TAB)
    assert app.top.group == "nations"
    ui.key(pygame.K_ESCAPE)
    assert app.top.name == "game"
    assert fingerprint(played_session.model) == before


def test_game_menu_news_and_quit_confirmation(make_app, played_session):
    app, ui = make_app(session=played_session)
    app.start_session(played_session)
    ui.close_dialogs()
    ui.key(pygame.K_n)
    assert app.modal_open()
    ui.key(pygame.K_ESCAPE)
    assert not app.modal_open()
    ui.key(pygame.K_ESCAPE)  # game menu
    assert app.modal_open()
    dialog = next(w for w in app.manager.get_window_stack().get_full_stack() if getattr(w, "key", "") == "game_menu")
    ui.click(dialog.button_for("settings"))
    assert app.top.name == "settings"
    ui.key(pygame.K_ESCAPE)
    assert app.top.name == "game"
    played_session.dirty = True
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    ui.frames(2)
    assert app.running and app.modal_open()
    quit_dialog = next(w for w in app.manager.get_window_stack().get_full_stack() if getattr(w, "key", "") == "quit")
    ui.click(quit_dialog.button_for("cancel"))
    assert app.running
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    ui.frames(2)
    quit_dialog = next(w for w in app.manager.get_window_stack().get_full_stack() if getattr(w, "key", "") == "quit")
    ui.click(quit_dialog.button_for("quit"))
    assert not app.running


def test_refused_action_shows_the_models_reason(make_app, tiny_scenario, tmp_path, fingerprint):
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["bharat"], seed=1, save_dir=tmp_path, autosave=False)
    app, ui = make_app(session=s)
    app.start_session(s)
    game = app.top
    game.set_tab("actions")
    game.open_action("build_fab")
    ui.frames(2)
    form = game.form
    form.set_value("h100e_per_quarter", 100000.0)  # far beyond Bharat's cash
    ui.frames(1)
    assert "Would be refused" in form.preview_box.html_text
    ui.click(form.confirm)
    assert form.alive() and form.result is not None and "not enough cash" in form.result[1]
    assert "Refused by the model" in form.preview_box.html_text
    assert s.queued() == []
    refused = [r for _, r in s.last_results["bharat"] if not r.accepted]
    assert refused and "not enough cash" in refused[0].reason


def test_settings_screen_applies_fractional_scale_and_palette(make_app, played_session):
    app, ui = make_app(session=played_session)
    app.open("settings")
    screen = app.top
    button = next(b for b, v in screen.scale_buttons.items() if v == 1.25)
    ui.click(button)
    cb = next(b for b, p in screen.palette_buttons.items() if p == "colourblind")
    ui.click(cb)
    ui.key(pygame.K_RETURN)
    assert app.settings.ui_scale == 1.25 and app.settings.palette == "colourblind"
    assert app.s.factor == 1.25 and app.palette.name == "colourblind"
    ui.frames(2)


def test_window_resize_relayouts_the_map(make_app, played_session):
    app, ui = make_app(session=played_session)
    app.start_session(played_session)
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, w=1280, h=800, size=(1280, 800)))
    ui.frames(2)
    game = app.top
    assert game.map_rect.right == 1280 - game.panel_rect.width
    ui.key(pygame.K_F1)
    assert app.help_open
    ui.key(pygame.K_ESCAPE)
    assert not app.help_open


def test_main_menu_new_game_screen_and_load_screen_without_a_game(make_app):
    app, ui = make_app()
    app.open("menu")
    ui.key(pygame.K_l)
    assert app.top.name == "load"
    ui.key(pygame.K_ESCAPE)
    assert app.top.name == "menu"
    ui.key(pygame.K_n)
    assert app.top.name == "new_game"
    ng = app.top
    other = next(sid for b, sid in ng.seat_buttons.items() if sid != ng.seat)
    ng.toggle_human(other)
    assert other in ng.humans and ng.choice(other) == "human"
    ui.key(pygame.K_ESCAPE)
    assert app.top.name == "menu"


def test_hot_seat_hand_over_hides_the_previous_seat(make_app, tiny_scenario, tmp_path):
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["IND", "CHN"], seed=1, save_dir=tmp_path, autosave=False)
    app, ui = make_app(session=s)
    app.start_session(s)
    assert app.top.name == "handover"  # the first player is asked to sit down too
    ui.key(pygame.K_RETURN)
    game = app.top
    assert game.name == "game" and game.selection == s.seat
    first = s.seat
    game.set_tab("actions")
    ui.key(pygame.K_RETURN)  # end my turn
    assert app.top.name == "handover" and s.seat != first
    ui.key(pygame.K_SPACE)
    game = app.top
    assert game.selection == s.seat and game.panel_tab == "overview"
    assert "End quarter" in game.end_button.text
    ui.key(pygame.K_RETURN)  # the last human seat: the quarter is played
    ui.wait_quarter()
    assert s.model.quarter_label == "2026Q2"
    assert app.top.name == "handover" and s.seat == first


def test_decision_dialog_submits_the_choice(make_app, tiny_scenario, tmp_path):
    from sovereign.game.session import new_session
    from sovereign.sim.commands import Decide

    s = new_session(tiny_scenario, ["IND"], seed=1, save_dir=tmp_path, autosave=False)
    for _ in range(3):  # the tiny world's inject asks India a question in 2026Q3
        s.end_turn(wait=True)
        s.poll()
    event_id = next(iter(s.pending_decisions()))
    app, ui = make_app(session=s)
    app.start_session(s)
    ui.frames(2)
    dialog = next(
        w for w in app.manager.get_window_stack().get_full_stack() if getattr(w, "key", "").startswith("decision")
    )
    assert "national AI mission" in dialog.body.html_text
    ui.click(dialog.button_for("0"))
    assert Decide(event_id=event_id, option=0) in s.queued()
    assert not s.pending_decisions()  # answered: no longer waiting


def test_side_panel_firm_links_open_the_firm(make_app, played_session):
    app, ui = make_app(session=played_session)
    app.start_session(played_session)
    ui.close_dialogs()
    game = app.top
    game.select(region="USA")
    ui.frames(2)
    panel = game.panel
    ox, oy = panel._content_origin()
    visible = [(r, a) for r, a in panel._links if r.bottom - panel.scroll < panel.rect.bottom - oy]
    if not visible:  # the firm list is below the fold: scroll to it first
        panel.scroll_by(10_000)
        ui.frames(1)
    rect, _ = panel._links[-1]
    ui.click_at((rect.centerx + ox, rect.centery + oy - panel.scroll))
    assert game.selection in played_session.model.seats and game.selection not in played_session.model.region_ix
    ui.frames(2)  # the firm page draws


def test_end_screen_compares_the_human_seats_with_the_bots_without_blocking(make_app, tiny_scenario, tmp_path):
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["IND"], seed=2, save_dir=tmp_path, autosave=False)
    for _ in range(3):
        s.end_turn(wait=True)
        s.poll()
    app, ui = make_app(session=s)
    app.start_session(s)
    ui.close_dialogs()
    app.open("end")
    ui.frames(2)  # the screen draws at once, while the AI-only games play on a worker thread
    bots = app.top.bots
    assert bots is not None and bots.wait(120)
    ui.frames(2)
    (row,) = bots.rows
    assert row.seat == "IND" and 0.0 <= row.percentile <= 100.0 and row.column == "sovereignty_index"
    assert row.value == [r for r in s.model.metrics.nations if r["region"] == "IND"][-1]["sovereignty_index"]


@pytest.mark.parametrize(("humans", "graded"), [(["IND"], True), (["CHN"], False)])
def test_end_screen_grades_only_the_players_objectives(make_app, tiny_scenario, tmp_path, shown, humans, graded):
    """India's goal is listed (met or missed) when India is played; for China's player it is not a result."""
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, humans, seed=2, save_dir=tmp_path, autosave=False)
    s.model.run()  # to the end: the objective's deadline has passed
    s.poll()
    written = shown
    app, ui = make_app(session=s)
    app.start_session(s)
    ui.close_dialogs()
    app.open("end")
    ui.frames(2)
    verdicts = [t for t in written if t in ("MET", "MISSED")]
    if graded:
        assert len(verdicts) >= 1 and any("sovereignty index at least 0.4" in t for t in written)
    else:
        assert verdicts == [] and any("Your seat had no objective" in t for t in written)
    if app.top.bots is not None:
        app.top.bots.wait(120)


def test_charts_of_a_finished_game_end_with_its_last_quarter(make_app, tiny_scenario, tmp_path, monkeypatch):
    from sovereign.game.session import new_session
    from sovereign.ui.screens import common

    s = new_session(tiny_scenario, ["IND"], seed=2, save_dir=tmp_path, autosave=False)
    s.model.run()
    s.poll()
    subtitles: list[str] = []
    real = common.header
    monkeypatch.setattr(common, "header", lambda *a, **k: subtitles.append(a[5]) or real(*a, **k))
    import sovereign.ui.screens.charts as charts_mod

    monkeypatch.setattr(charts_mod, "header", common.header)
    app, ui = make_app(session=s)
    app.start_session(s)
    ui.close_dialogs()
    app.open("charts")
    ui.frames(2)
    assert any(t.endswith("up to 2027Q4") for t in subtitles), subtitles
    assert not any("2028Q1" in t for t in subtitles)


def test_after_the_first_quarter_no_change_is_claimed(make_app, tiny_scenario, tmp_path, shown):
    """One quarter played: the score and the panel say so instead of '+0.000' (nothing to compare yet)."""
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["IND"], seed=2, save_dir=tmp_path, autosave=False)
    s.end_turn(wait=True)
    s.poll()
    written = shown
    app, ui = make_app(session=s)
    app.start_session(s)
    ui.close_dialogs()
    ui.frames(3)
    assert any("after the first quarter" in t for t in written), written[:40]
    assert not any(t.strip().startswith(("+0.000", "-0.000")) or ", +0.000" in t for t in written)


def test_another_nations_cash_stays_private_in_the_panel(make_app, tiny_scenario, tmp_path, shown):
    from sovereign.game import fmt
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["IND"], seed=2, save_dir=tmp_path, autosave=False)
    s.end_turn(wait=True)
    s.poll()
    china_cash = fmt.money(s.model.seats["CHN"].cash_busd)
    written = shown
    app, ui = make_app(session=s)
    app.start_session(s)
    ui.close_dialogs()
    app.top.select(region="CHN")
    ui.frames(3)
    assert "AI budget a quarter (public)" in written
    assert fmt.money(s.model.budget_busd("CHN")) in written
    assert china_cash not in written or china_cash == fmt.money(s.model.budget_busd("CHN"))


def test_the_load_list_tells_saves_from_autosaves(make_app, tiny_scenario, tmp_path):
    """A manual save and an autosave of the same quarter read differently in the list and details."""
    from sovereign.game.session import new_session
    from sovereign.persist import Autosaver, save_game

    s = new_session(tiny_scenario, ["IND"], seed=1, save_dir=tmp_path, autosave=False)
    s.end_turn(wait=True)
    s.poll()
    save_game(s.model, tmp_path / "my-game.json.gz", label="before the vote")
    assert Autosaver(tmp_path)(s.model).ok
    app, ui = make_app()
    app.save_dir = tmp_path
    app.open("load")
    ui.frames(2)
    load = app.top
    kinds = sorted(label.split("  ·  ")[0] for label in load.items)
    assert kinds == ["Autosave", "Saved"]
    for k, label in enumerate(load.items):
        load.index = k
        details = load._details_html()
        assert ("Kind: autosave" in details) == label.startswith("Autosave")


def test_the_world_charts_show_each_chip_class_against_its_list_price(played_session):
    """One line per class, its price over the list price of that quarter; new and paid compute prices."""
    from sovereign.scenario.schema import quarter_index
    from sovereign.ui.screens.charts import WORLD_METRICS, world_chart

    m = played_session.model
    world = m.metrics.world
    by_key = {key: (title, f, ylim) for key, title, f, ylim in WORLD_METRICS}
    spec = world_chart(m, "chip_price_vs_list", *by_key["chip_price_vs_list"])
    assert [s.label for s in spec.series] == [a.name.split(" (")[0] for a in m.scenario.accelerators]
    assert [s.highlight for s in spec.series] == [g == 0 for g in range(len(m.scenario.accelerators))]
    assert spec.highlight_suffix == ""  # the frontier line is no one's
    for g, a in enumerate(m.scenario.accelerators):
        for row, value in zip(world, spec.series[g].values, strict=True):
            listed = m.list_price * (1 - m.list_decline) ** ((quarter_index(row["quarter"]) - m.start_q) / 4)
            assert value == pytest.approx(row[f"chip_price_{a.id}_usd"] / listed[g])
    compute = world_chart(m, "compute_price", *by_key["compute_price"])
    assert compute.series[0].values == [r["compute_spot_price_usd_hour"] for r in world]
    assert compute.series[1].values == [r["compute_price_usd_hour"] for r in world]
    assert all(v > 0 for v in compute.series[0].values)
