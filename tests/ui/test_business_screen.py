"""The Business screen, driven headless by synthetic events: B opens it for a firm, its buttons open the
price and offer forms filled in from the book, a contract offered on it reaches the world and is signed
from the buyer's own Business screen, a nation gets a note, and everything fits 1280x720 at UI scales 1 and
1.25."""

from __future__ import annotations

import pygame
import pytest

from sovereign.game.business import business_book
from sovereign.sim.commands import AnswerDeal, OfferDeal, SetComputePrice


def _button(screen, label):
    """The widget of the screen's buttons (cards and header) that reads ``label``."""
    found = [b for b in screen.elements if getattr(b, "text", None) == label]
    assert found, f"no {label!r} button; buttons: {[getattr(b, 'text', '') for b in screen.elements]}"
    return found[0]


def _play(session) -> None:
    while session.end_turn(wait=True) == "handover":
        pass
    session.poll()


def _sit_down(app, ui, seat):
    """Dismiss the hand-over screen for ``seat`` (hot seat) and the report and dialogs: the map is up."""
    if app.top.name == "handover":
        assert app.session.seat == seat
        ui.key(pygame.K_RETURN)
    ui.close_dialogs()
    assert app.top.name == "game" and app.session.seat == seat


@pytest.fixture
def cloud_session(tiny_scenario, tmp_path):
    """CloudCo (a person) two quarters in: a market to price by, customers short of compute."""
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["cloudco"], seed=3, save_dir=tmp_path, autosave=False)
    s.model.seats["frontierlab"].state["demand_h100e"] *= 3  # a lab short of compute asks for contracts
    for _ in range(2):
        _play(s)
    return s


@pytest.fixture(scope="module")
def contract_session(tiny_scenario, tmp_path_factory):
    """Hot seat CloudCo and Frontier Lab in 2026Q4: a contract between them running, a price floor set, and
    Frontier Lab (short of compute) asking CloudCo for more: every section of the screen has cards."""
    from sovereign.game.session import new_session

    s = new_session(
        tiny_scenario, ["cloudco", "frontierlab"], seed=3, save_dir=tmp_path_factory.mktemp("saves"), autosave=False
    )
    s.model.seats["frontierlab"].state["demand_h100e"] *= 3
    _play(s)
    offer = OfferDeal(
        partner="frontierlab", deal_kind="compute_supply", quarters=4, h100e_per_quarter=50_000, price_usd_per_hour=2.0
    )
    assert s.submit(offer, seat="cloudco").accepted
    _play(s)
    deal = int(s.model.world.deals[-1]["id"])
    assert s.submit(AnswerDeal(deal=deal, accept=True), seat="frontierlab").accepted
    ask = OfferDeal(
        partner="cloudco",
        deal_kind="compute_supply",
        quarters=4,
        h100e_per_quarter=100_000,
        price_usd_per_hour=2.5,
        supplier_is_proposer=False,
    )
    assert s.submit(ask, seat="frontierlab").accepted
    assert s.submit(SetComputePrice(floor_usd_per_hour=3.0), seat="cloudco").accepted
    _play(s)
    assert s.seat == "cloudco" and s.model.world.deals[deal]["status"] == "active"
    return s


def test_b_opens_business_for_a_firm_and_esc_returns(make_app, cloud_session, shown, fingerprint):
    s = cloud_session
    app, ui = make_app(session=s)
    app.start_session(s)
    _sit_down(app, ui, "cloudco")
    game = app.top
    assert "business" in game.top_buttons.values(), "a firm's top bar has a Business button"
    before = fingerprint(s.model)
    shown.clear()
    ui.key(pygame.K_b)
    screen = app.top
    assert screen.name == "business"
    book = business_book(s.model, "cloudco")
    assert f"{_h(book.capacity_h100e)} of compute for sale in your datacenters." in shown
    assert any(t.startswith("Valuation $") for t in shown), "why the valuation moved"
    assert screen.listed["customers"] == [c.seat for c in book.customers] and book.customers
    ui.key(pygame.K_ESCAPE)
    assert app.top.name == "game"
    (button,) = [b for b, key in app.top.top_buttons.items() if key == "business"]
    ui.click(button)
    assert app.top.name == "business"
    assert fingerprint(s.model) == before, "looking changes nothing"


def _h(value):
    from sovereign.game import fmt

    return fmt.h100e(value)


def test_set_price_opens_the_price_form_and_queues_a_floor(make_app, cloud_session):
    s = cloud_session
    app, ui = make_app(session=s)
    app.start_session(s)
    _sit_down(app, ui, "cloudco")
    ui.key(pygame.K_b)
    screen = app.top
    ui.click(screen.price_button)
    form = screen.form
    assert form is not None and form.key == "set_compute_price"
    assert form.values["floor_usd_per_hour"] == 0.0, "no floor yet: the form starts from none"
    form.set_value("floor_usd_per_hour", 2.5)
    ui.click(form.confirm)
    assert s.queued() == [SetComputePrice(floor_usd_per_hour=2.5)]
    assert screen.form is None


def test_offer_a_contract_opens_the_offer_form_filled_in_from_the_book(make_app, cloud_session):
    s = cloud_session
    app, ui = make_app(session=s)
    app.start_session(s)
    _sit_down(app, ui, "cloudco")
    ui.key(pygame.K_b)
    screen = app.top
    customer = next(c for c in screen.book.customers if c.seat in screen.offer_buttons)
    ui.click(screen.offer_buttons[customer.seat])
    form = screen.form
    assert form is not None and form.key == "offer_deal"
    expected = customer.offer
    for name in ("partner", "deal_kind", "quarters", "h100e_per_quarter", "price_usd_per_hour"):
        assert form.values[name] == expected[name], name
    assert expected["deal_kind"] == "compute_supply" and expected["partner"] == customer.seat
    ui.click(form.confirm)
    (queued,) = s.queued()
    assert isinstance(queued, OfferDeal) and queued.partner == customer.seat
    assert (queued.h100e_per_quarter, queued.price_usd_per_hour) == (
        expected["h100e_per_quarter"],
        expected["price_usd_per_hour"],
    )
    assert _button(screen, "Withdraw"), "the queued offer is listed and can be taken back"
    assert ("queued", 0) in screen.listed["offers_out"]


def test_a_contract_offered_on_the_screen_reaches_the_world_and_is_signed_on_the_buyers(
    make_app, tiny_scenario, tmp_path
):
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["cloudco", "frontierlab"], seed=3, save_dir=tmp_path, autosave=False)
    _play(s)
    app, ui = make_app(session=s)
    app.start_session(s)
    _sit_down(app, ui, "cloudco")
    ui.key(pygame.K_b)
    screen = app.top
    while "frontierlab" not in screen.offer_buttons:  # scroll the customers into view
        assert screen.right.first < screen.last_first(screen.right), screen.listed
        screen.right.first += 1
        screen.rebuild()
    card = screen.offer_buttons["frontierlab"]
    ui.click(card)
    assert screen.form is not None and screen.form.values["partner"] == "frontierlab"
    ui.click(screen.form.confirm)
    ui.key(pygame.K_ESCAPE)
    ui.key(pygame.K_RETURN)  # CloudCo ends its turn: Frontier Lab's
    _sit_down(app, ui, "frontierlab")
    ui.key(pygame.K_RETURN)  # the quarter is played
    ui.wait_quarter()
    deal = s.model.world.deals[-1]
    assert deal["kind"] == "compute_supply" and deal["proposer"] == "cloudco" and deal["status"] == "offered"
    _sit_down(app, ui, "cloudco")
    ui.key(pygame.K_RETURN)
    _sit_down(app, ui, "frontierlab")
    ui.key(pygame.K_b)  # the buyer answers on its own Business screen
    screen = app.top
    assert screen.listed["offers_in"] == [deal["id"]]
    ui.click(_button(screen, "Accept"))
    assert s.queued() == [AnswerDeal(deal=deal["id"], accept=True)]
    ui.key(pygame.K_ESCAPE)
    ui.key(pygame.K_RETURN)
    ui.wait_quarter()
    assert s.model.world.deals[deal["id"]]["status"] == "active"
    assert s.model.world.deals[deal["id"]]["last_delivered_h100e"] > 0, "served the quarter it was signed"
    _sit_down(app, ui, "cloudco")
    ui.key(pygame.K_b)
    screen = app.top
    assert screen.listed["contracts"] == [deal["id"]]
    ui.click(_button(screen, "Break…"))
    assert screen.form is not None and screen.form.key == "break_deal" and screen.form.values["deal"] == deal["id"]


def test_a_nation_gets_a_note_and_no_button(make_app, tiny_scenario, tmp_path, shown):
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["IND"], seed=3, save_dir=tmp_path, autosave=False)
    _play(s)
    app, ui = make_app(session=s)
    app.start_session(s)
    _sit_down(app, ui, "IND")
    assert "business" not in app.top.top_buttons.values()
    ui.key(pygame.K_b)
    screen = app.top
    assert screen.name == "business" and not screen.price_button.is_enabled
    assert any(t.startswith("Business is a firm's screen") for t in shown)
    ui.click(screen.price_button)
    assert screen.form is None


@pytest.mark.parametrize("scale", [1.0, 1.25])
def test_business_screen_fits_1280x720(scale, make_app, contract_session, clipped, monkeypatch):
    """Every text stays in its column and every button shows its whole label, at every scroll position of
    both columns, with the price and offer forms open too."""
    from sovereign.ui import draw
    from sovereign.ui.settings import Settings

    drawn: list[tuple[str, pygame.Rect]] = []
    real = draw.text

    def record(surface, fonts, text, *a, **k):
        rect = real(surface, fonts, text, *a, **k)
        drawn.append((str(text), rect))
        return rect

    monkeypatch.setattr(draw, "text", record)
    s = contract_session
    app, ui = make_app(session=s, settings=Settings(autosave=False, ui_scale=scale), size=(1280, 720))
    app.start_session(s)
    _sit_down(app, ui, "cloudco")
    assert clipped(app.manager) == [], "the map's top bar with its Business button"
    ui.key(pygame.K_b)
    screen = app.top
    assert screen.name == "business"
    assert screen.listed["contracts"] and screen.listed["offers_in"] and screen.listed["customers"]
    window = pygame.Rect((0, 0), app.window.get_size())
    right_positions = range(screen.last_first(screen.right) + 1)
    assert len(right_positions) > 1, "at 1280x720 the cards need scrolling: every position is checked"
    positions = [(0, k) for k in right_positions] + [(k, 0) for k in range(1, screen.last_first(screen.left) + 1)]
    for left, right in positions:
        screen.left.first, screen.right.first = left, right
        drawn.clear()
        screen.rebuild()
        ui.frames(2)
        assert clipped(app.manager) == [], (left, right)
        assert drawn, "the screen drew"
        for text, rect in drawn:
            if rect.bottom <= screen.top_h:  # the header: title and subtitle, left of its buttons
                assert rect.right <= screen.price_button.rect.left, text
            else:
                assert screen.left.rect.contains(rect) or screen.right.rect.contains(rect), (text, rect)
            assert window.contains(rect), (text, rect)
    ui.click(screen.price_button)
    assert screen.form is not None and screen.form.key == "set_compute_price"
    assert screen.form.values["floor_usd_per_hour"] == 3.0, "the form starts from the floor in force"
    assert clipped(app.manager) == [], "the price form"
    ui.key(pygame.K_ESCAPE)
    screen.right.first = 0
    screen.rebuild()
    ui.key(pygame.K_o)
    form = screen.form
    assert form is not None and form.key == "offer_deal" and form.values["deal_kind"] == "compute_supply"
    assert clipped(app.manager) == [], "the offer form"
    if form.page_buttons is not None:  # its fields do not all fit: they are paged, every page fits
        while form.page_buttons[1].is_enabled:
            ui.click(form.page_buttons[1])
            assert clipped(app.manager) == [], f"the offer form from field {form.first_field + 1}"
        assert form.confirm.rect.bottom <= form.rect.bottom


def test_the_business_screen_shows_no_developer_text(make_app, contract_session, shown):
    """Every card of both columns scrolled into view, the header's buttons, a firm with contracts and offers."""
    import re

    #: As tests/ui/test_no_internal_names.py: source tags, booleans and None, key=value dumps, snake_case.
    developer = re.compile(r"CALIBRATION|\bassumption\b|=\s*(True|False)|\b(True|False|None)\b|\b[a-z]+_[a-z0-9_]+\b")
    model = contract_session.model
    codes = [r.id for r in model.scenario.regions] + [a.id for a in model.scenario.accelerators if a.id != "advanced"]
    ids = re.compile(r"\b(" + "|".join(codes) + r")\b")
    app, ui = make_app(session=contract_session, size=(1280, 720))
    app.start_session(contract_session)
    _sit_down(app, ui, "cloudco")
    shown.clear()
    ui.key(pygame.K_b)
    screen = app.top
    texts = []
    for col in (screen.left, screen.right):
        for first in range(screen.last_first(col) + 1):
            col.first = first
            screen.rebuild()
            ui.frames(2)
            texts += [b.text for b in screen.elements if isinstance(getattr(b, "text", None), str)]
    assert any(t.startswith("You supply 50k H100e a quarter to Frontier Lab") for t in shown)
    problems = [t for t in [*shown, *texts] if developer.search(t) or ids.search(t)]
    assert not problems, problems[:10]
