"""A firm's compute business and its valuation on the tiny world, and the quarter report's lines for them.

CloudCo and Frontier Lab are both played by people, so the compute contract between them is signed
by their own commands (as in tests/sim/test_compute_contracts.py).
"""

from __future__ import annotations

import re

import pytest

from sovereign.game.actions import build_command, validate_read_only
from sovereign.game.business import business_book, valuation_cause, valuation_story
from sovereign.game.report import quarter_report, snapshot
from sovereign.game.session import new_session
from sovereign.sim.commands import AnswerDeal, OfferDeal, SetComputePrice
from sovereign.sim.economics import HOURS_PER_QUARTER
from sovereign.sim.model import SovereignModel

#: What a player must never read: field names, booleans, None.
DEVELOPER_TEXT = re.compile(r"\b(True|False|None)\b|\b[a-z]+_[a-z0-9_]+\b")
HUMANS = ("cloudco", "frontierlab")


def contract_game(tiny_scenario, quarters: int = 2, qty: float = 50_000, price: float = 1.25) -> SovereignModel:
    """Quarter 1 played; CloudCo offers Frontier Lab a contract (played), the lab signs (played)."""
    m = SovereignModel(tiny_scenario, rng=3, human_seats=set(HUMANS))
    m.step()
    offer = {
        "kind": "offer_deal",
        "partner": "frontierlab",
        "deal_kind": "compute_supply",
        "quarters": quarters,
        "h100e_per_quarter": qty,
        "price_usd_per_hour": price,
    }
    assert m.submit("cloudco", offer).accepted
    m.step()
    deal = int(m.world.deals[-1]["id"])
    assert m.submit("frontierlab", {"kind": "answer_deal", "deal": deal, "accept": True}).accepted
    m.step()
    assert m.world.deals[deal]["status"] == ("active" if quarters > 1 else "ended")
    return m


def test_the_book_splits_compute_into_spot_contracts_and_idle(tiny_scenario):
    m = contract_game(tiny_scenario)
    book = business_book(m, "cloudco")
    assert book.owns_datacenters and book.capacity_h100e > 0
    assert book.contracted_h100e == pytest.approx(50_000)
    assert book.spot_h100e + book.contracted_h100e + book.idle_h100e == pytest.approx(book.capacity_h100e)
    assert book.contract_revenue_busd == pytest.approx(50_000 * 1.25 * HOURS_PER_QUARTER / 1e9)
    # CloudCo sells nothing but compute: spot and contract sales are its revenue
    revenue = next(r for r in reversed(m.metrics.firms) if r["firm"] == "cloudco")["revenue_busd"]
    assert book.spot_revenue_busd + book.contract_revenue_busd == pytest.approx(revenue, rel=1e-6)
    (c,) = book.contracts
    assert c.selling and c.other == "frontierlab" and c.other_name == "Frontier Lab"
    assert (c.h100e, c.price_usd_per_hour, c.quarters_left, c.last_h100e) == (50_000, 1.25, 1, 50_000)
    assert c.paid_busd == pytest.approx(book.contract_revenue_busd)
    assert book.free_h100e == pytest.approx(book.capacity_h100e - 50_000)
    lab = business_book(m, "frontierlab")
    assert not lab.owns_datacenters and lab.contracts[0].selling is False and lab.customers
    assert all(cust.offer is None for cust in lab.customers), "a seat without datacenters has nothing to offer"


def test_a_contracts_last_quarter_still_counts_as_contracted(tiny_scenario):
    """The contract ends as its last quarter is played: that quarter's compute was still reserved under it."""
    m = contract_game(tiny_scenario, quarters=1)
    deal = m.world.deals[-1]
    assert deal["status"] == "ended" and deal["last_delivered_h100e"] == pytest.approx(50_000)
    book = business_book(m, "cloudco")
    assert book.contracted_h100e == pytest.approx(50_000) and book.contracts == []
    assert book.contract_revenue_busd == pytest.approx(50_000 * 1.25 * HOURS_PER_QUARTER / 1e9)


def test_customers_come_largest_first_with_offers_the_rules_accept(tiny_scenario):
    m = contract_game(tiny_scenario)
    book = business_book(m, "cloudco")
    demands = [c.demand_h100e for c in book.customers]
    assert demands == sorted(demands, reverse=True) and len(demands) >= 2
    lab = next(c for c in book.customers if c.seat == "frontierlab")
    assert lab.yours_h100e == 50_000 and lab.kind == "AI lab"
    for cust in book.customers:
        assert cust.short == (cust.served_h100e < 0.95 * cust.demand_h100e)
        offer = cust.offer
        assert offer is not None, cust
        assert offer["partner"] == cust.seat and offer["deal_kind"] == "compute_supply"
        assert 5_000 <= offer["h100e_per_quarter"] <= book.free_h100e and offer["h100e_per_quarter"] % 5_000 == 0
        assert offer["price_usd_per_hour"] >= (book.cost_usd_per_hour or 0.0) - 0.05
        cmd = build_command("offer_deal", offer)
        assert isinstance(cmd, OfferDeal) and validate_read_only(m, "cloudco", cmd) is None
    # a buyer served in full is offered part of its demand below what it paid; one short, its shortfall
    full = [c for c in book.customers if not c.short and c.paid_usd_per_hour]
    for cust in full:
        assert cust.offer is not None and cust.offer["price_usd_per_hour"] <= cust.paid_usd_per_hour + 0.025
    short = [c for c in book.customers if c.short]
    for cust in short:
        assert cust.offer is not None
        want = cust.demand_h100e - cust.served_h100e
        assert abs(cust.offer["h100e_per_quarter"] - want) <= 5_000 or cust.offer["h100e_per_quarter"] < want


def test_the_valuation_parts_rebuild_every_booked_valuation(tiny_scenario):
    """previous + smoothing x (fundamental - previous) is the valuation the finance phase booked, for
    every firm in every quarter without a funding round: the story reads the rule the model applies."""
    m = SovereignModel(tiny_scenario, rng=4)
    checked = 0
    for _ in range(6):
        m.step()
        for seat, agent in m.seats.items():
            if agent.kind == "nation":
                continue
            story = valuation_story(m, seat)
            rows = [r for r in m.metrics.firms if r["firm"] == seat]
            assert (story is None) == (not rows), seat  # a startup founded after the books closed has none yet
            if story is None:
                continue
            if len(rows) >= 2 and rows[-1]["rounds_raised"] == rows[-2]["rounds_raised"]:
                s = story.smoothing
                booked = story.previous_busd + s * (story.now.fundamental_busd - story.previous_busd)
                assert booked == pytest.approx(story.now.valuation_busd, rel=1e-9, abs=1e-9), seat
                assert story.funding_busd == 0.0
                checked += 1
            parts = story.now.revenue_value_busd + story.now.growth_premium_busd + story.now.net_cash_busd
            assert story.now.fundamental_busd == pytest.approx(max(parts, 0.0) + story.now.other_busd)
            assert (story.now.other_busd > 0) <= (agent.kind in ("cloud", "conglomerate", "fab"))
    assert checked >= 10
    assert valuation_story(m, "IND") is None, "a nation has no valuation"


def test_a_groups_other_businesses_keep_their_value_and_the_ai_business_moves_it(tiny_scenario):
    """CloudCo starts at $500B on $30B of revenue: the game models only its AI business, so the rest
    of its value is held, and the valuation no longer collapses to its AI business alone."""
    m = SovereignModel(tiny_scenario, rng=4)
    m.step()
    cloud = m.seats["cloudco"].state
    assert cloud["other_business_busd"] > 100
    assert cloud["valuation_busd"] == pytest.approx(500.0, rel=1e-9), "the first quarter books the start"
    lab = m.seats["frontierlab"].state
    assert "other_business_busd" not in lab, "a lab is all AI"
    for _ in range(5):
        m.step()
    story = valuation_story(m, "cloudco")
    assert story is not None and story.now.other_busd == pytest.approx(cloud["other_business_busd"])
    assert cloud["valuation_busd"] > 0.5 * 500.0


@pytest.fixture
def steady_labs(tiny_scenario):
    """The tiny world with labs that do not bid up when rationed, so a floor is all that moves a price.

    (In the tiny world the labs are short from the start; their rising bids lift the world's price by
    half in a few quarters, which would hide what a floor does to one cloud's sales.)
    """
    sc = tiny_scenario.model_copy(deep=True)
    sc.labs.rationed_wtp_per_unmet = 0.0
    return sc


def test_a_price_floor_is_named_as_the_cause_of_falling_revenue(steady_labs):
    tiny_scenario = steady_labs
    free, floored = contract_game(tiny_scenario, quarters=4), contract_game(tiny_scenario, quarters=4)
    price = business_book(floored, "cloudco").price_usd_per_hour
    assert price is not None
    assert floored.submit("cloudco", {"kind": "set_compute_price", "floor_usd_per_hour": 1.6 * price}).accepted
    free.step()
    floored.step()
    book = business_book(floored, "cloudco")
    assert book.floor_usd_per_hour == pytest.approx(1.6 * price)
    assert book.priced_out_h100e > 0.05 * book.capacity_h100e
    story = valuation_story(floored, "cloudco")
    assert story is not None and story.before is not None
    revenue = next(m for m in story.moves if m.startswith("Revenue"))
    assert re.match(r"Revenue fell \d+% to \$[\d.,]+[MB] a quarter as your price floor of \$[\d.]+ an H100e-hour "
                    r"priced out \d+% of your compute", revenue), revenue  # fmt: skip
    assert "price floor" in valuation_cause(floored, "cloudco")
    assert "price floor" not in " ".join(valuation_story(free, "cloudco").reasons)
    for text in (story.headline, *story.reasons):
        assert not DEVELOPER_TEXT.search(text), text


def play(session, commands=()):
    """Queue (seat, command) pairs, play the quarter; each human seat's report of it."""
    before = {seat: snapshot(session.model, seat) for seat in HUMANS}
    for seat, cmd in commands:
        assert session.submit(cmd, seat=seat).accepted, cmd
    while session.end_turn(wait=True) == "handover":
        pass
    session.poll()
    return {seat: quarter_report(session.model, seat, before[seat]) for seat in HUMANS}


def test_the_report_accounts_for_contracts_and_a_price_floor(steady_labs, tmp_path):
    tiny_scenario = steady_labs
    s = new_session(tiny_scenario, list(HUMANS), seed=3, save_dir=tmp_path, autosave=False)
    play(s)
    offer = OfferDeal(
        partner="frontierlab", deal_kind="compute_supply", quarters=2, h100e_per_quarter=50_000, price_usd_per_hour=1.25
    )
    sent = play(s, [("cloudco", offer)])["cloudco"]
    (line,) = [x for x in sent.actions if x.commands and x.commands[0]["kind"] == "offer_deal"]
    assert line.detail.startswith("Sent: Frontier Lab answers next quarter")
    deal = int(s.model.world.deals[-1]["id"])
    reports = play(s, [("frontierlab", AnswerDeal(deal=deal, accept=True))])
    cloud, lab = reports["cloudco"], reports["frontierlab"]
    served = [x for x in cloud.actions if x.text.startswith("Reserved ")]
    assert [x.text for x in served] == ["Reserved 50,000 H100e for Frontier Lab at $1.25/H100e-hour: $137M"]
    assert served[0].tone == "good" and served[0].detail == "Paid to you, take or pay; 1 quarter of the contract left."
    answer = next(x for x in lab.actions if x.commands and x.commands[0]["kind"] == "answer_deal")
    assert answer.detail.startswith("Signed: CloudCo rents Frontier Lab 50,000 H100e of compute")
    assert any(x.text == "CloudCo reserved 50,000 H100e for you at $1.25/H100e-hour: $137M" for x in lab.actions)
    sales = next(x for x in cloud.money if x.text.startswith("Sales"))
    assert sales.detail.endswith("of which compute contracts $137M")
    assert cloud.score[0].detail == valuation_cause(s.model, "cloudco") != ""
    # a floor: what it did to sales, against the quarter before
    price = business_book(s.model, "cloudco").price_usd_per_hour
    floored = play(s, [("cloudco", SetComputePrice(floor_usd_per_hour=round(1.6 * price, 2)))])["cloudco"]
    floor = next(x for x in floored.actions if x.commands and x.commands[0]["kind"] == "set_compute_price")
    assert floor.text.startswith("Compute price floor $")
    assert re.search(r"left \d+% of your compute unsold \(the quarter before [\d.]+k H100e at \$", floor.detail)
    assert floor.tone == "bad" and floor.link is not None and floor.link.screen == "markets"
    ended = [x for x in floored.actions if x.text.startswith("Reserved ")]
    assert ended and ended[0].detail.endswith("the contract has run its term.")
    assert "price floor" in floored.score[0].detail
    for report in (sent, cloud, lab, floored):
        for _, lines in report.sections():
            for x in lines:
                assert not DEVELOPER_TEXT.search(x.text + " " + x.detail), (x.text, x.detail)
