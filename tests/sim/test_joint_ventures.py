"""Joint ventures (`OfferDeal(deal_kind="joint_venture")`): stakes in a datacenter or a fab, on the tiny world.

An investor pays once for a share of an operator's datacenter or fab, built or being built, and takes
that share of its operating profit each quarter of the term once it runs. Made in one quarter, the
deal is visible in the world's deals, enforced after the markets for its term, reported in the news,
and over when the term ends; the AI answers by its interest; offers that make no sense are refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sovereign.scenario.loader import load_scenario
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases.diplomacy import venture_profit_busd
from sovereign.sim.policy.deals import accepts

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"
HALL, FAB = 0, 0  # CloudCo's 1.2 GW hall in the US; FabCo's frontier fab


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(TINY)


def game(tiny, humans=("USA", "IND", "fabco", "cloudco", "bharat")) -> SovereignModel:
    return SovereignModel(tiny, rng=7, human_seats=set(humans))


def signed(m: SovereignModel, seat: str, partner: str, **terms) -> int:
    """`seat` offers; `partner` accepts the next quarter (the deal binds from then)."""
    res = m.submit(seat, {"kind": "offer_deal", "partner": partner, "deal_kind": "joint_venture", **terms})
    assert res.accepted, res.reason
    m.step()
    mine = [x for x in m.world.deals if x["proposer"] == seat and x["kind"] == "joint_venture"]
    d = int(mine[-1]["id"])
    res = m.submit(partner, {"kind": "answer_deal", "deal": d, "accept": True})
    assert res.accepted, res.reason
    return d


def test_a_stake_in_a_hall_is_paid_for_once_and_earns_its_share_of_the_profit_each_quarter(tiny):
    m = game(tiny)
    d = signed(m, "cloudco", "bharat", datacenter=HALL, share=0.3, price_busd=0.5, quarters=3)
    earned = []
    for _ in range(4):
        before = m.world.deals[d]["earned_busd"]
        m.step()
        deal = m.world.deals[d]
        earned.append(deal["earned_busd"] - before)
        if deal["status"] == "active" or len(earned) <= 3:
            assert earned[-1] == pytest.approx(0.3 * venture_profit_busd(m, deal), rel=1e-12)
    deal = m.world.deals[d]
    assert deal["paid_busd"] == 0.5  # paid once, in the quarter it was signed
    assert all(e > 0 for e in earned[:3]) and earned[3] == 0.0  # three quarters of profit, then over
    assert deal["status"] == "ended"
    assert any("Deal signed" in n["headline"] and "30% of CloudCo's" in n["headline"] for n in m.news)


def test_a_stake_in_a_fab_earns_its_share_of_the_fabs_chip_sales_less_their_cost(tiny):
    m = game(tiny)
    d = signed(m, "USA", "fabco", fab=FAB, share=0.1, price_busd=1.0, quarters=2, supplier_is_proposer=False)
    m.step()
    deal = m.world.deals[d]
    chips = m.results.chips
    profit = float(chips.fab_revenue_busd[FAB] - chips.fab_cost_busd[FAB])
    assert profit > 0 and deal["earned_busd"] == pytest.approx(0.1 * profit, rel=1e-12)
    assert deal["paid_busd"] == 1.0


def test_a_stake_in_a_build_earns_nothing_until_it_runs_and_then_follows_the_new_hall(tiny):
    longer = load_scenario(TINY, overrides={"time.end": "2029Q4"})  # time for the hall to be built and filled
    m = game(longer, humans=("bharat",))  # Dragon Cloud, an AI, builds in China and fills it
    build_order = {"kind": "build_datacenter", "region": "CHN", "it_mw": 200.0, "onsite": True}  # no grid queue
    assert m.submit("dragon", build_order).accepted
    m.step()
    build = next(p for p in m.world.projects if p["owner"] == "dragon" and p["id"] >= 0 and p["size"] == 200.0)
    d = signed(m, "dragon", "bharat", project=build["id"], share=0.5, price_busd=0.2, quarters=20)
    while m.world.deals[d].get("datacenter") is None:
        assert m.world.deals[d]["earned_busd"] == 0.0  # nothing while it is built
        m.step()
    row = m.world.deals[d]["datacenter"]
    assert m.world.dc_owner[row] == m.seat_pos["dragon"] and m.world.dc_it_mw[row] == 200.0
    while m.quarter < m.end_q and m.world.deals[d]["earned_busd"] == 0.0:
        m.step()  # once chips are in it, it earns, and its investor with it
    assert m.world.deals[d]["earned_busd"] > 0.0
    assert m.world.deals[d]["earned_busd"] == pytest.approx(0.5 * venture_profit_busd(m, m.world.deals[d]))


@pytest.mark.parametrize(
    ("seat", "partner", "terms", "reason"),
    [
        ("cloudco", "bharat", {"share": 0.3}, "name the facility"),
        ("cloudco", "bharat", {"datacenter": 1, "share": 0.3}, "is not CloudCo's"),
        ("cloudco", "bharat", {"fab": FAB, "share": 0.3}, "is not CloudCo's"),
        ("cloudco", "bharat", {"project": 999, "share": 0.3}, "no datacenter or fab build 999"),
        ("cloudco", "bharat", {"datacenter": HALL, "share": 0.0}, "share"),
        ("cloudco", "bharat", {"datacenter": HALL, "share": 0.95}, "less than or equal to 0.9"),
    ],
)
def test_venture_offers_that_make_no_sense_are_refused_with_the_reason(tiny, seat, partner, terms, reason):
    m = game(tiny)
    try:
        res = m.submit(seat, {"kind": "offer_deal", "partner": partner, "deal_kind": "joint_venture", **terms})
    except ValueError as exc:  # a field beyond its bound is refused when the command is read
        assert reason in str(exc)
        return
    assert not res.accepted and reason in res.reason


def test_investors_together_hold_at_most_nine_tenths(tiny):
    m = game(tiny)
    signed(m, "cloudco", "bharat", datacenter=HALL, share=0.6, price_busd=0.1, quarters=4)
    m.step()
    res = m.submit(
        "cloudco",
        {
            "kind": "offer_deal",
            "partner": "IND",
            "deal_kind": "joint_venture",
            "datacenter": HALL,
            "share": 0.4,
            "price_busd": 0.1,
        },
    )
    assert not res.accepted and "hold 60% of it already" in res.reason


def test_the_ai_sells_a_stake_above_its_worth_and_buys_one_below(tiny):
    m = game(tiny, humans=("cloudco",))
    for _ in range(2):
        m.step()
    profit = venture_profit_busd(m, {"datacenter": HALL})
    assert profit > 0

    def deal(operator_is_proposer: bool, price: float) -> dict:
        return {
            "kind": "joint_venture",
            "proposer": "cloudco",
            "partner": "bharat",
            "supplier_is_proposer": operator_is_proposer,
            "datacenter": HALL,
            "fab": None,
            "project": None,
            "share": 0.2,
            "price_usd": price * 1e9,
            "quarters": 4,
            "payment_busd_per_quarter": 0.0,
        }

    worth = 0.2 * profit * 4
    bharat = m.seats["bharat"]
    assert accepts(bharat, deal(True, 0.5 * worth))  # Bharat buys a stake below what it will earn
    assert not accepts(bharat, deal(True, 2.0 * worth))  # and not above
    fab_deal = {**deal(False, 3.0 * worth), "partner": "fabco", "datacenter": None, "fab": FAB}
    chips = m.results.chips
    fab_worth = 0.2 * float(chips.fab_revenue_busd[FAB] - chips.fab_cost_busd[FAB]) * 4
    fab_deal["price_usd"] = 2.0 * fab_worth * 1e9
    assert accepts(m.seats["fabco"], fab_deal)  # FabCo sells a stake in its fab above its worth
    fab_deal["price_usd"] = 0.5 * fab_worth * 1e9
    assert not accepts(m.seats["fabco"], fab_deal)  # not below
