"""The Diplomacy screen, driven headless by synthetic events: D opens it, Accept queues an answer for the
seat whose turn it is, the deal then runs and is listed, relations show every nation, hot seats stay private."""

from __future__ import annotations

import pygame

from sovereign.sim.commands import AnswerDeal, OfferDeal
from sovereign.ui import events


def _button(screen, label):
    """The widget of the screen's buttons (cards and header) that reads ``label``."""
    found = [b for b in screen.elements if getattr(b, "text", None) == label]
    assert found, f"no {label!r} button; buttons: {[getattr(b, 'text', '') for b in screen.elements]}"
    return found[0]


def _sit_down(app, ui, seat):
    """Dismiss the hand-over screen for ``seat`` and any decision dialog: the map is up."""
    assert app.top.name == "handover" and app.session.seat == seat
    ui.key(pygame.K_RETURN)
    ui.close_dialogs()
    assert app.top.name == "game"


def test_d_opens_diplomacy_with_every_nations_trust_and_esc_returns(make_app, played_session, shown, fingerprint):
    app, ui = make_app(session=played_session)
    app.start_session(played_session)
    ui.close_dialogs()
    before = fingerprint(played_session.model)
    shown.clear()
    ui.key(pygame.K_d)
    assert app.top.name == "diplomacy"
    model = played_session.model
    me = model.region_ix["IND"]
    for row in app.top.relation_rows:
        r = model.region_ix[row.region]
        assert row.mine == float(model.world.trust[me, r]) and row.theirs == float(model.world.trust[r, me])
        assert row.name in shown
        assert any(t.startswith(f"{row.theirs:.2f} ") for t in shown), (row.name, shown)
    assert {row.region for row in app.top.relation_rows} == {r.id for r in model.scenario.regions} - {"IND"}
    assert "No offer is waiting for your answer." in shown
    ui.key(pygame.K_ESCAPE)
    assert app.top.name == "game"
    assert fingerprint(model) == before


def test_the_top_bar_button_counts_offers_waiting(make_app, diplomatic_session):
    app, ui = make_app(session=diplomatic_session)
    app.start_session(diplomatic_session)
    _sit_down(app, ui, "USA")
    game = app.top
    (button,) = [b for b, key in game.top_buttons.items() if key == "diplomacy"]
    assert button.text == "Diplomacy (1)"
    ui.click(button)
    assert app.top.name == "diplomacy"
    assert app.top.listed["offers_in"] == [3]


def test_accept_queues_the_answer_for_the_seat_in_turn_and_the_deal_then_runs(make_app, tiny_scenario, tmp_path, shown):
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["IND", "USA"], seed=1, save_dir=tmp_path, autosave=False)
    app, ui = make_app(session=s)
    app.start_session(s)
    _sit_down(app, ui, "USA")
    ui.key(pygame.K_RETURN)  # the United States ends its turn: India's
    _sit_down(app, ui, "IND")
    # India offers the United States a security pact from the Diplomacy screen's own button
    ui.key(pygame.K_d)
    screen = app.top
    ui.click(_button(screen, "Offer a deal"))
    form = screen.form
    assert form is not None and form.key == "offer_deal"
    for name, value in (("partner", "USA"), ("deal_kind", "security_pact"), ("quarters", 4)):
        form.set_value(name, value)
    ui.click(form.confirm)
    (offer,) = s.queued()
    assert isinstance(offer, OfferDeal) and (offer.partner, offer.deal_kind, offer.quarters) == (
        "USA",
        "security_pact",
        4,
    )
    assert screen.form is None and not form.alive()
    assert _button(screen, "Withdraw")  # the offer is listed as queued, and can be taken back
    ui.key(pygame.K_ESCAPE)
    ui.key(pygame.K_RETURN)  # the last human seat: the quarter is played
    ui.wait_quarter()
    _sit_down(app, ui, "USA")
    ui.key(pygame.K_d)
    screen = app.top
    assert screen.listed["offers_in"] == [0]
    shown.clear()
    ui.click(_button(screen, "Accept"))
    assert s.seat == "USA" and s.queued() == [AnswerDeal(deal=0, accept=True)]
    assert any(t.startswith("Your answer: accept.") for t in shown), "the queued answer shows as queued"
    assert s.model.world.deals[0]["status"] == "offered"  # applied when the quarter is played
    ui.key(pygame.K_ESCAPE)
    ui.key(pygame.K_RETURN)  # the United States ends its turn
    _sit_down(app, ui, "IND")
    ui.key(pygame.K_RETURN)
    ui.wait_quarter()
    assert s.model.world.deals[0]["status"] == "active"
    _sit_down(app, ui, "USA")
    shown.clear()
    ui.key(pygame.K_d)
    screen = app.top
    assert screen.listed["active"] == [0] and screen.listed["offers_in"] == []
    assert "Security pact between India and United States, for 4 quarters." in shown
    assert any("(3 quarters left)" in t for t in shown), shown  # binding from 2026Q2, the quarter it was signed
    assert next(r for r in screen.relation_rows if r.region == "IND").pact


def test_reject_and_withdraw_an_answer(make_app, diplomatic_session, shown):
    s = diplomatic_session
    app, ui = make_app(session=s)
    app.start_session(s)
    _sit_down(app, ui, "USA")
    ui.key(pygame.K_d)
    screen = app.top
    ui.click(_button(screen, "Reject"))
    assert s.queued() == [AnswerDeal(deal=3, accept=False)]
    assert any(t.startswith("Your answer: reject.") for t in shown)
    ui.click(_button(screen, "Withdraw"))
    assert s.queued() == []
    assert _button(screen, "Accept") and _button(screen, "Reject")


def test_a_refused_answer_shows_the_models_reason(make_app, tiny_scenario, tmp_path, shown):
    """Accepting an offer whose first payment the seat cannot make is refused, with the reason on its card."""
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["IND", "USA"], seed=1, save_dir=tmp_path, autosave=False)
    assert s.submit(
        OfferDeal(partner="IND", deal_kind="money_transfer", payment_busd_per_quarter=100.0), "USA"
    ).accepted
    while s.end_turn(wait=True) == "handover":
        pass
    s.poll()
    s.end_turn()  # the United States passes: India's turn
    app, ui = make_app(session=s)
    app.start_session(s)
    _sit_down(app, ui, "IND")
    ui.key(pygame.K_d)
    screen = app.top
    ui.click(_button(screen, "Accept"))
    assert s.queued() == []
    assert 0 in screen.refused and any(t.startswith("Refused: ") for t in shown)


def test_another_seats_offers_stay_private(make_app, diplomatic_session, shown):
    """Hot seat: the United States sees its own deals, never India's offer to China."""
    s = diplomatic_session
    app, ui = make_app(session=s)
    app.start_session(s)
    _sit_down(app, ui, "USA")
    shown.clear()
    ui.key(pygame.K_d)
    screen = app.top
    listed = {k: sorted(v) for k, v in screen.listed.items()}
    assert listed == {"offers_in": [3], "offers_out": [2], "active": [1], "past": [0]}
    assert not any("between India and China" in t for t in shown)
    assert any(t.startswith("India applied to join US allies") for t in shown)
    ui.click(_button(screen, "Vote…"))
    assert screen.form is not None and screen.form.key == "vote_on_application"
    assert screen.form.values["region"] == "IND"


def test_the_cards_scroll_with_the_wheel(make_app, diplomatic_session, fingerprint):
    s = diplomatic_session
    before = fingerprint(s.model)
    app, ui = make_app(session=s, size=(1280, 720))
    app.start_session(s)
    _sit_down(app, ui, "USA")
    ui.key(pygame.K_d)
    screen = app.top
    assert screen.first_block == 0
    inside = screen.right_rect.center
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=inside, rel=(0, 0), buttons=(0, 0, 0)))
    for _ in range(30):
        pygame.event.post(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=-1, flipped=False))
    ui.frames(3)
    assert screen.first_block == screen._last_first_block() > 0
    shown_last = screen._visible_blocks()[-1][0]
    assert shown_last is screen.blocks[-1], "scrolled to the end, the last card is in view"
    events.post(events.BACK)
    ui.frames(2)
    assert fingerprint(s.model) == before


def test_e_answers_decisions_now_that_d_is_diplomacy(make_app, tiny_scenario, tmp_path):
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["IND"], seed=1, save_dir=tmp_path, autosave=False)
    for _ in range(3):  # the tiny world's inject asks India a question in 2026Q3
        s.end_turn(wait=True)
        s.poll()
    assert s.pending_decisions()
    app, ui = make_app(session=s)
    app.start_session(s)
    ui.close_dialogs()  # asked once on arrival: decide later
    assert not app.modal_open()
    ui.key(pygame.K_e)
    assert app.modal_open() and app.top.name == "game"
    ui.close_dialogs()
    ui.key(pygame.K_d)
    assert app.top.name == "diplomacy"


def test_the_header_names_the_scenarios_shared_risk(tiny_scenario):
    """A scenario with a shared risk shows it on the Diplomacy screen; one without shows nothing."""
    from sovereign.scenario.schema import SharedRisk
    from sovereign.sim.model import SovereignModel
    from sovereign.ui.screens.diplomacy import risk_line

    assert risk_line(SovereignModel(tiny_scenario, rng=1)) == ""
    tense = tiny_scenario.model_copy(update={"shared_risk": SharedRisk(name="Tech-war tension", initial=0.3)})
    model = SovereignModel(tense, rng=1)
    assert risk_line(model) == "Tech-war tension: 0.30 of 1 (everyone loses at 1)"
