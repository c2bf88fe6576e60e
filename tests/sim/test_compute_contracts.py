"""A firm's compute business on the tiny world: contracts with customers and a price floor.

Compute contracts (`compute_supply` deals) reserve H100e on the supplier's datacenters for a lab,
a startup or a nation's programme at an agreed price per H100e-hour, take or pay, served before the
spot market; a price floor (`set_compute_price`) is the owner's asking price on the spot market.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sovereign.scenario.loader import load_scenario
from sovereign.sim.economics import HOURS_PER_QUARTER
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases.compute import compute_book
from sovereign.sim.policy.deals import accepts, compute_value

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"
HUMANS = ("USA", "IND", "fabco", "cloudco", "bharat", "frontierlab", "dragon")


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(TINY)


def game(tiny, humans=HUMANS) -> SovereignModel:
    m = SovereignModel(tiny, rng=3, human_seats=set(humans))
    m.step()  # a market to judge prices by
    return m


def contract(m: SovereignModel, supplier: str, buyer: str, qty: float, price: float, quarters: int = 2) -> int:
    res = m.submit(
        supplier,
        {
            "kind": "offer_deal",
            "partner": buyer,
            "deal_kind": "compute_supply",
            "quarters": quarters,
            "h100e_per_quarter": qty,
            "price_usd_per_hour": price,
        },
    )
    assert res.accepted, res.reason
    m.step()
    deal = m.world.deals[-1]
    assert deal["kind"] == "compute_supply" and deal["status"] == "offered"
    assert deal["price_usd"] == price, "the record keeps the price per H100e-hour"
    return int(deal["id"])


def sign(m: SovereignModel, buyer: str, deal: int) -> None:
    res = m.submit(buyer, {"kind": "answer_deal", "deal": deal, "accept": True})
    assert res.accepted, res.reason


def test_a_contract_serves_the_lab_first_at_its_price_and_pays_the_supplier(tiny):
    m = game(tiny)
    d = contract(m, "cloudco", "frontierlab", 50_000, 1.25)
    sign(m, "frontierlab", d)
    total = m.total_money_busd()
    lab_before, cloud_before = m.flows["in:compute contracts"], m.seats["cloudco"].cash_busd
    m.step()
    deal = m.world.deals[d]
    assert deal["status"] == "active" and deal["last_delivered_h100e"] == pytest.approx(50_000)
    assert lab_before == 0.0, "payments between seats are not flows from outside"
    # the lab was served at least the contracted compute, and paid the contract's price for it
    lab = m.seats["frontierlab"].state
    assert lab["served_h100e"] >= 50_000 - 1e-6
    assert lab["paid_q"] >= 50_000 * 1.25 * HOURS_PER_QUARTER / 1e9 - 1e-9
    assert m.total_money_busd() == pytest.approx(total, abs=1e-6), "money is conserved"
    # the contracted hours are allocated from CloudCo's clusters, not sold again on the spot market
    res = m.results.compute
    seg = next(j for j, o in enumerate(res.segments.owner) if o == "frontierlab")
    mine = m.world.dc_owner[res.clusters] == m.seat_index("cloudco")
    assert float(res.alloc[seg][mine].sum()) >= 50_000 - 1e-6
    assert m.seats["cloudco"].cash_busd != cloud_before
    book = compute_book(m, "cloudco")
    assert book["contracted"] == pytest.approx(50_000) and book["contracts"][0]["id"] == d
    m.step()
    assert m.world.deals[d]["status"] == "ended" and m.world.deals[d]["delivered_h100e"] == pytest.approx(100_000)


def test_take_or_pay_the_buyer_pays_for_reserved_compute_it_does_not_use(tiny):
    m = game(tiny)
    want = m.seats["frontierlab"].state["demand_h100e"]
    qty = want + 100_000  # more than the lab can use
    d = contract(m, "cloudco", "frontierlab", qty, 0.5, quarters=1)
    sign(m, "frontierlab", d)
    m.step()
    deal = m.world.deals[d]
    assert deal["last_delivered_h100e"] == pytest.approx(qty)
    lab = m.seats["frontierlab"].state
    assert lab["served_h100e"] <= want + 1e-6, "a lab is never served more than it wants"
    assert lab["paid_q"] >= qty * 0.5 * HOURS_PER_QUARTER / 1e9 - 1e-9, "it pays for every reserved hour"


def test_a_buyer_that_cannot_pay_breaks_the_contract(tiny):
    m = game(tiny)
    d = contract(m, "cloudco", "frontierlab", 200_000, 150.0, quarters=4)
    sign(m, "frontierlab", d)
    m.seats["frontierlab"].state["cash_busd"] = 0.0
    m.step()
    assert m.world.deals[d]["status"] == "broken" and m.world.deals[d]["broken_by"] == "frontierlab"
    assert "could not pay for the compute" in m.world.deals[d]["note"]


def test_a_nations_programme_serves_its_regulated_demand_first(tiny):
    m = game(tiny)
    d = contract(m, "bharat", "IND", 5_000, 0.5)
    sign(m, "IND", d)
    cash = m.seats["IND"].cash_busd
    m.step()
    res = m.results.compute
    reg = next(
        j
        for j in range(len(res.segments.qty))
        if res.segments.owner[j] is None
        and res.segments.region[j] == m.region_ix["IND"]
        and res.segments.klass[j] == "regulated"
    )
    mine = m.world.dc_owner[res.clusters] == m.seat_index("bharat")
    assert float(res.alloc[reg][mine].sum()) >= min(5_000, float(res.segments.qty[reg])) - 1e-6
    assert m.seats["IND"].cash_busd < cash + m.budget_busd("IND")


def test_a_price_floor_sells_less_at_a_higher_price(tiny):
    free, floored = game(tiny), game(tiny)
    book = compute_book(free, "cloudco")
    assert book["price"] is not None and book["floor"] is None
    floor = book["price"] * 1.5
    res = floored.submit("cloudco", {"kind": "set_compute_price", "floor_usd_per_hour": floor})
    assert res.accepted, res.reason
    free.step()
    floored.step()
    a, b = compute_book(free, "cloudco"), compute_book(floored, "cloudco")
    assert b["floor"] == pytest.approx(floor)
    assert b["spot"] < a["spot"], "buyers who will not pay the floor go elsewhere"
    assert b["price"] is None or b["price"] >= floor - 1e-9
    # and back to the market's price
    assert floored.submit("cloudco", {"kind": "set_compute_price", "floor_usd_per_hour": None}).accepted
    floored.step()
    assert compute_book(floored, "cloudco")["floor"] is None


def test_refusals_name_the_reason(tiny):
    m = game(tiny)
    base = {"kind": "offer_deal", "deal_kind": "compute_supply", "h100e_per_quarter": 1000, "price_usd_per_hour": 1}
    assert "does not buy compute" in m.submit("cloudco", {**base, "partner": "fabco"}).reason
    assert "no datacenter" in m.submit("fabco", {**base, "partner": "frontierlab"}).reason
    assert (
        "price per H100e-hour"
        in m.submit("cloudco", {**base, "partner": "frontierlab", "price_usd_per_hour": 0}).reason
    )
    assert "no datacenter in IND" in m.submit("cloudco", {**base, "partner": "frontierlab", "region": "IND"}).reason
    res = m.submit("fabco", {"kind": "set_compute_price", "floor_usd_per_hour": 2.0})
    assert not res.accepted and "owns no datacenter" in res.reason


def test_the_ai_signs_a_contract_below_what_compute_is_worth_to_it_and_refuses_one_above(tiny):
    m = game(tiny, humans=("cloudco",))
    lab = m.seats["frontierlab"]
    paid = lab.state["paid_q"] * 1e9 / (lab.state["served_h100e"] * HOURS_PER_QUARTER)
    cheap = {
        "kind": "compute_supply",
        "proposer": "cloudco",
        "partner": "frontierlab",
        "supplier_is_proposer": True,
        "h100e_per_quarter": 10_000,
        "price_usd": paid * 0.5,
        "quarters": 4,
        "payment_busd_per_quarter": 0.0,
        "region": None,
    }
    dear = {**cheap, "price_usd": 150.0}
    assert compute_value(lab, cheap, selling=False) > 0 and accepts(lab, cheap)
    assert not accepts(lab, dear)
    # a supplier asks at least its own spot price, and never promises more than its clusters hold
    ai = game(tiny, humans=())
    cloud = ai.seats["cloudco"]
    ask = {**cheap, "proposer": "frontierlab", "partner": "cloudco", "supplier_is_proposer": False}
    assert not accepts(cloud, {**ask, "price_usd": 0.01})
    assert accepts(cloud, {**ask, "price_usd": 20.0})
    assert compute_value(cloud, {**ask, "price_usd": 20.0, "h100e_per_quarter": 5e6}, selling=True) is None


def test_an_ai_lab_short_of_compute_asks_a_players_cloud_for_a_contract(tiny):
    m = SovereignModel(tiny, rng=3, human_seats={"cloudco"})
    m.seats["frontierlab"].state["demand_h100e"] *= 10  # far more than the world can serve
    for _ in range(3):
        m.step()
        offers = [d for d in m.world.deals if d["kind"] == "compute_supply" and d["proposer"] == "frontierlab"]
        if offers:
            break
    assert offers, "the lab asks the player's cloud"
    deal = offers[0]
    assert deal["partner"] == "cloudco" and not deal["supplier_is_proposer"]
    assert 0 < deal["price_usd"] <= 100 and deal["h100e_per_quarter"] >= 1000
    # AI-only games have no such offers: AI pairs contract in aggregate through the market
    ai = SovereignModel(tiny, rng=3)
    ai.seats["frontierlab"].state["demand_h100e"] *= 10
    for _ in range(3):
        ai.step()
    assert not [d for d in ai.world.deals if d["kind"] == "compute_supply"]


def sale(m: SovereignModel, proposer: str, partner: str, row: int, price: float, seller_proposes: bool) -> int:
    res = m.submit(
        proposer,
        {
            "kind": "offer_deal",
            "partner": partner,
            "deal_kind": "datacenter_sale",
            "quarters": 1,
            "datacenter": row,
            "price_busd": price,
            "supplier_is_proposer": seller_proposes,
        },
    )
    assert res.accepted, res.reason
    m.step()
    return int(m.world.deals[-1]["id"])


def test_a_datacenter_sale_moves_the_hall_and_its_chips_for_the_price_paid_once(tiny):
    m = game(tiny)
    row = int(next(d for d in range(len(m.world.dc_owner)) if m.world.dc_owner[d] == m.seat_index("bharat")))
    stock = m.world.dc_stock[row].copy()
    d = sale(m, "cloudco", "bharat", row, 2.5, seller_proposes=False)  # CloudCo offers to buy Bharat's hall
    assert m.world.deals[d]["status"] == "offered" and m.world.deals[d]["datacenter"] == row
    sign(m, "bharat", d)
    total = m.total_money_busd()
    m.step()
    deal = m.world.deals[d]
    assert deal["status"] == "ended" and deal["paid_busd"] == pytest.approx(2.5)
    assert int(m.world.dc_owner[row]) == m.seat_index("cloudco")
    # the chips come with the hall (less the fleet's retirements over two quarters)
    assert m.world.dc_stock[row].sum() >= 0.8 * stock.sum()
    assert any("buys" in n["headline"] and "Bharat" in n["headline"] for n in m.news)
    assert m.total_money_busd() == pytest.approx(total, abs=1e-6)
    # paid once: the next quarter moves no more money between them for it
    m.step()
    assert m.world.deals[d]["paid_busd"] == pytest.approx(2.5)


def test_a_sale_refuses_a_hall_the_seller_does_not_own_and_a_buyer_that_cannot_pay_breaks_it(tiny):
    m = game(tiny)
    row = int(next(d for d in range(len(m.world.dc_owner)) if m.world.dc_owner[d] == m.seat_index("bharat")))
    base = {"kind": "offer_deal", "deal_kind": "datacenter_sale", "quarters": 1, "datacenter": row, "price_busd": 1.0}
    assert "not CloudCo's to sell" in m.submit("cloudco", {**base, "partner": "bharat"}).reason
    assert (
        "paid once"
        in m.submit("cloudco", {**base, "partner": "bharat", "supplier_is_proposer": False, "quarters": 4}).reason
    )
    d = sale(m, "cloudco", "bharat", row, 30.0, seller_proposes=False)
    sign(m, "bharat", d)
    m.seats["cloudco"].state["cash_busd"] = 1.0
    m.step()
    assert m.world.deals[d]["status"] == "broken" and int(m.world.dc_owner[row]) == m.seat_index("bharat")


def test_the_ai_sells_a_hall_only_above_its_worth(tiny):
    from sovereign.sim.phases.diplomacy import hall_worth_busd

    m = game(tiny, humans=("cloudco",))
    row = int(next(d for d in range(len(m.world.dc_owner)) if m.world.dc_owner[d] == m.seat_index("bharat")))
    worth = hall_worth_busd(m, row)
    assert worth > 0
    offer = {
        "kind": "datacenter_sale",
        "proposer": "cloudco",
        "partner": "bharat",
        "supplier_is_proposer": False,
        "datacenter": row,
        "price_usd": worth * 0.5 * 1e9,
        "quarters": 1,
        "payment_busd_per_quarter": 0.0,
        "h100e_per_quarter": 0.0,
        "region": None,
    }
    seller = m.seats["bharat"]
    assert not accepts(seller, offer)
    assert accepts(seller, {**offer, "price_usd": worth * 2.0 * 1e9})


def test_every_deal_kind_has_words() -> None:
    from sovereign.sim.commands import DEAL_KINDS
    from sovereign.sim.phases.diplomacy import DEAL_WORDS

    assert set(DEAL_WORDS) == set(DEAL_KINDS)


def test_contracts_that_fill_a_cluster_to_the_last_bit_leave_the_market_none_not_less(tiny, monkeypatch):
    # contracts reserving all of a cluster's compute left -1e-11 H100e for the market (round-off),
    # which the market refused as negative capacity and the game stopped (found by playing random
    # deals in the baseline, session 14): what is left is at least zero
    from sovereign.sim.phases import compute

    m = SovereignModel(tiny, rng=1)
    real = compute.serve_compute_deals

    def every_bit(model, seg, capacity, allowed, k_ix):
        used, paid = real(model, seg, capacity, allowed, k_ix)
        used = np.zeros((len(seg.qty), len(k_ix))) if used is None else used.copy()  # None: no contract runs
        used[0, :] = capacity * (1.0 + 1e-15) + 1e-11  # a hair over what the clusters have
        return used, paid

    monkeypatch.setattr(compute, "serve_compute_deals", every_bit)
    m.step()  # raised "capacity: contains negative values" before
    assert (m.results.compute.alloc >= 0).all()
