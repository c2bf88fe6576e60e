"""Queued actions can be taken back or edited before the quarter is played, and decisions count once.

Driven by synthetic clicks on the side panel's Edit / Remove buttons; the withdrawal goes through
the session (the classroom uses the same call) and must survive a save's replay.
"""

from __future__ import annotations

import pygame
import pytest

from sovereign.sim.commands import BuildDatacenter, Decide, SetSubsidy


def _actions_tab(app, ui):
    game = app.top
    game.set_tab("actions")
    ui.frames(2)
    return game


def test_remove_button_withdraws_the_queued_action_and_frees_its_money(make_app, tiny_scenario, tmp_path, shown):
    """A queued action the player regrets must not be forced on them until the quarter ends."""
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["IND"], seed=1, save_dir=tmp_path, autosave=False)
    assert s.submit(BuildDatacenter(region="IND", it_mw=100)).accepted
    assert s.submit(SetSubsidy(rate=0.1)).accepted
    committed = s.committed_busd()
    app, ui = make_app(session=s)
    app.start_session(s)
    ui.close_dialogs()
    game = _actions_tab(app, ui)
    removes = [b for b, (i, edit) in game.panel.queue_buttons.items() if not edit]
    assert len(removes) == 2
    first = next(b for b, (i, edit) in game.panel.queue_buttons.items() if i == 0 and not edit)
    ui.click(first)
    assert s.queued() == [SetSubsidy(rate=0.1)]
    assert s.committed_busd() < committed
    shown.clear()
    ui.frames(2)
    assert "Queued this quarter (1)".upper() in shown
    assert not any(t.startswith("• Datacenter") for t in shown)
    assert any(t.startswith("• Subsidy") for t in shown)
    assert len(app.top.panel.queue_buttons) == 2  # one row left: its Edit and Remove


def test_edit_reopens_the_form_prefilled_and_confirm_requeues(make_app, tiny_scenario, tmp_path):
    """Editing is remove-and-reopen: the form starts from the queued values, not the defaults."""
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["IND"], seed=1, save_dir=tmp_path, autosave=False)
    assert s.submit(BuildDatacenter(region="IND", it_mw=150)).accepted
    app, ui = make_app(session=s)
    app.start_session(s)
    ui.close_dialogs()
    game = _actions_tab(app, ui)
    edit = next(b for b, (i, is_edit) in game.panel.queue_buttons.items() if is_edit)
    ui.click(edit)
    form = app.top.form
    assert form is not None and form.key == "build_datacenter"
    assert form.values["it_mw"] == 150 and form.values["region"] == "IND"
    assert s.queued() == []
    form.set_value("it_mw", 200)
    ui.click(form.confirm)
    assert s.queued() == [BuildDatacenter(region="IND", it_mw=200)]


def test_a_withdrawn_command_replays_from_the_save(tiny_scenario, tmp_path):
    """The log records the withdrawal, so a saved game replays to the same state."""
    from sovereign.game.session import new_session
    from sovereign.persist import load_game, save_game
    from sovereign.persist.replay import replay_state
    from sovereign.persist.state import model_to_state

    s = new_session(tiny_scenario, ["IND"], seed=4, save_dir=tmp_path, autosave=False)
    assert s.submit(BuildDatacenter(region="IND", it_mw=200)).accepted
    assert not s.submit(BuildDatacenter(region="IND", it_mw=210)).accepted  # the budget holds one
    assert s.withdraw(0) == BuildDatacenter(region="IND", it_mw=200)
    assert s.withdraw(0) is None  # nothing left to take back
    # accepted only because the first one was withdrawn: the replay must withdraw it at this point too
    assert s.submit(BuildDatacenter(region="IND", it_mw=210)).accepted
    assert s.submit(SetSubsidy(rate=0.2)).accepted
    s.end_turn(wait=True)
    s.poll()
    assert s.model.world.subsidy[s.model.region_ix["IND"]] == 0.2
    assert len([p for p in s.model.world.projects if p["owner"] == "IND"]) == 1
    path = save_game(s.model, tmp_path / "g.json.gz")
    report = replay_state(model_to_state(load_game(path)))
    assert report.ok, report.describe()


def test_decide_badge_counts_only_open_decisions(make_app, tiny_scenario, tmp_path):
    """After choosing, "Decide (1)" must go; withdrawing the answer brings the question back."""
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["IND"], seed=1, save_dir=tmp_path, autosave=False)
    for _ in range(3):  # the tiny world's inject asks India a question in 2026Q3
        s.end_turn(wait=True)
        s.poll()
    app, ui = make_app(session=s)
    app.start_session(s)
    ui.frames(2)
    game = app.top

    def badges():
        return [b.text for b in game.top_buttons if b.text.startswith("Decide")]

    assert badges() == ["Decide (1)"]
    dialog = next(
        w for w in app.manager.get_window_stack().get_full_stack() if getattr(w, "key", "").startswith("decision")
    )
    ui.click(dialog.button_for("0"))
    game = app.top
    assert any(isinstance(c, Decide) for c in s.queued())
    assert badges() == [] and s.pending_decisions() == {}
    game.set_tab("actions")
    ui.frames(2)
    assert app.top.panel.decision_button is None
    remove = next(b for b, (i, edit) in app.top.panel.queue_buttons.items() if not edit)
    ui.click(remove)
    game = app.top
    assert badges() == ["Decide (1)"]
    pygame.event.clear()


def visible_buttons(manager):
    import pygame_gui

    return [
        el
        for el in manager.get_sprite_group().sprites()
        if isinstance(el, pygame_gui.elements.UIButton) and el.visible and el.rect.width > 0
    ]


@pytest.mark.parametrize("size", [(1600, 900), (1280, 720)])
def test_queued_toast_covers_no_button_of_the_next_form(make_app, tiny_scenario, tmp_path, size):
    """Queue one action, open the next form at once: the "Queued" toast must not hide its Confirm."""
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["IND"], seed=1, save_dir=tmp_path, autosave=False)
    app, ui = make_app(session=s, size=size)
    app.start_session(s)
    ui.close_dialogs()
    game = app.top
    game.open_action("set_subsidy")
    ui.frames(2)
    ui.click(game.form.confirm)
    assert s.queued() and app.toasts and app.toasts[-1].text.startswith("Queued")
    app.top.open_action("set_subsidy")
    ui.frames(2)
    assert app.top.form is not None and app.toast_rects
    for rect in app.toast_rects:
        hit = [b.text for b in visible_buttons(app.manager) if b.rect.colliderect(rect)]
        assert hit == [], f"the toast at {rect} covers {hit}"
