"""Power contracts between nations (`OfferDeal(deal_kind="power_supply")`), on the tiny world.

India and China share a 500 MW interconnector in the tiny world. A contract made in one quarter is
visible in the world's deals, enforced by the power phase for its term (the seller's grid serves the
MW, the buyer's that much less, over link capacity reserved for it), paid for each quarter, planned
for by the utilities, reported in the news, and over when its term ends; the AI answers by its
interest; offers that make no sense are refused with the reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sovereign.scenario.loader import load_scenario
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases.diplomacy import contracted_links, link_room_mw, power_contract_flows
from sovereign.sim.phases.grid import peak_load
from sovereign.sim.policy.deals import accepts

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"
TERMS = {"deal_kind": "power_supply", "mw": 200.0, "price_usd_per_mwh": 80.0, "quarters": 2}


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(TINY)


def game(tiny, humans=("IND", "CHN", "USA", "cloudco")) -> SovereignModel:
    return SovereignModel(tiny, rng=5, human_seats=set(humans))


def signed(tiny, **terms) -> tuple[SovereignModel, int]:
    """India offers China power in the first quarter; China accepts in the second."""
    m = game(tiny)
    res = m.submit("IND", {"kind": "offer_deal", "partner": "CHN", **{**TERMS, **terms}})
    assert res.accepted, res.reason
    m.step()
    d = int(m.world.deals[-1]["id"])
    res = m.submit("CHN", {"kind": "answer_deal", "deal": d, "accept": True})
    assert res.accepted, res.reason
    return m, d


def test_a_power_contract_moves_load_between_the_grids_for_its_term_and_is_paid_each_quarter(tiny):
    m, d = signed(tiny)
    twin = game(tiny)  # the same game without the contract
    twin.step()
    ind, chn = m.region_ix["IND"], m.region_ix["CHN"]
    hours = float(m.slice_hours.sum())
    for q in range(3):
        cash = m.seats["IND"].cash_busd, m.seats["CHN"].cash_busd
        twin_cash = twin.seats["IND"].cash_busd, twin.seats["CHN"].cash_busd
        m.step()
        twin.step()
        twin_moves = twin.seats["IND"].cash_busd - twin_cash[0], twin.seats["CHN"].cash_busd - twin_cash[1]
        deal = m.world.deals[d]
        extra = m.results.power.demand_mw - twin.results.power.demand_mw
        if q < 2:  # in force: India's grid serves 200 MW more in every slice, China's 200 MW less
            np.testing.assert_allclose(extra[:, ind], 200.0, atol=1e-6)
            np.testing.assert_allclose(extra[:, chn], -200.0, atol=1e-6)
            assert deal["delivered_mwh"] == pytest.approx(200.0 * hours * (q + 1))
            assert deal["paid_busd"] == pytest.approx(200.0 * hours * 80.0 / 1e9 * (q + 1))
            if q == 0:  # the buyer paid the seller; the rest of the two nations' cash moved as without it
                cost = 200.0 * hours * 80.0 / 1e9
                assert m.seats["IND"].cash_busd - cash[0] == pytest.approx(twin_moves[0] + cost, abs=1e-9)
                assert m.seats["CHN"].cash_busd - cash[1] == pytest.approx(twin_moves[1] - cost, abs=1e-9)
        else:  # the term is over: the grids serve their own load again
            assert deal["status"] == "ended"
            assert not power_contract_flows(m).any()
    assert any("Deal signed" in n["headline"] and "200 MW of power" in n["headline"] for n in m.news)


def test_the_contract_reserves_its_mw_on_the_interconnector_and_the_utilities_plan_for_it(tiny):
    m, d = signed(tiny)
    m.step()  # in force
    assert m.world.deals[d]["status"] == "active"
    ind, chn = m.region_ix["IND"], m.region_ix["CHN"]
    assert m.links is not None
    assert float(contracted_links(m)[2][0]) == pytest.approx(300.0)  # 500 MW less the 200 reserved
    assert link_room_mw(m, "IND", "CHN") == pytest.approx(300.0)
    flows = power_contract_flows(m)
    assert flows[ind] == 200.0 and flows[chn] == -200.0 and flows.sum() == 0.0
    base, dc = m.world.base_demand_mw, np.zeros(len(m.region_ix))
    without = (base[:, None] * m.slice_factor[None, :]) * m.slice_swing.T
    np.testing.assert_allclose(peak_load(m, base, dc)[ind] - without[ind], 200.0)  # the seller plans for it
    np.testing.assert_allclose(peak_load(m, base, dc)[chn] - without[chn], -200.0)
    # a second contract may take what is left of the link, no more
    res = m.submit("IND", {"kind": "offer_deal", "partner": "CHN", **{**TERMS, "mw": 350.0}})
    assert not res.accepted and "300 MW left" in res.reason


@pytest.mark.parametrize(
    ("seat", "partner", "terms", "reason"),
    [
        ("IND", "USA", {}, "no interconnector joins"),
        ("cloudco", "IND", {}, "between nations"),
        ("IND", "CHN", {"mw": 0.0}, "how many MW"),
        ("IND", "CHN", {"price_usd_per_mwh": 0.0}, "price per MWh"),
        ("IND", "CHN", {"mw": 600.0}, "500 MW left"),
    ],
)
def test_power_offers_that_make_no_sense_are_refused_with_the_reason(tiny, seat, partner, terms, reason):
    m = game(tiny)
    res = m.submit(seat, {"kind": "offer_deal", "partner": partner, **{**TERMS, **terms}})
    assert not res.accepted and reason in res.reason


def test_a_buyer_who_cannot_pay_for_its_power_breaks_the_contract(tiny):
    m, d = signed(tiny, mw=500.0, price_usd_per_mwh=9000.0, quarters=8)  # ~$9.9B a quarter
    for _ in range(4):
        m.step()
    deal = m.world.deals[d]
    assert deal["status"] == "broken" and deal["broken_by"] == "CHN" and "pay for its power" in deal["note"]
    assert not power_contract_flows(m).any()


def test_the_ai_sells_power_it_can_spare_at_a_price_above_its_own_and_buys_below_its_own(tiny):
    m = game(tiny, humans=("IND",))
    m.step()  # a market seen: prices and margins to judge by
    chn = m.region_ix["CHN"]
    power = m.results.power

    def deal(seller_is_india: bool, mw: float, price: float) -> dict:
        return {
            "kind": "power_supply",
            "proposer": "IND",
            "partner": "CHN",
            "supplier_is_proposer": seller_is_india,
            "mw": mw,
            "price_usd": price,
            "quarters": 4,
            "payment_busd_per_quarter": 0.0,
        }

    china = m.seats["CHN"]
    cheap, dear = 0.5 * float(power.wholesale_avg[chn]), 3.0 * float(power.retail[chn])
    assert accepts(china, deal(True, 100.0, cheap))  # China buys power below its own price
    assert not accepts(china, deal(True, 100.0, dear))  # and not far above what its industry pays
    target = tiny.policy.nation_reserve_margin
    power.reserve_margin = power.reserve_margin.copy()
    power.reserve_margin[chn] = target + 0.3  # a comfortable margin
    assert accepts(china, deal(False, 100.0, dear))  # China sells power it can spare, dear
    assert not accepts(china, deal(False, 100.0, cheap))  # not below its own price
    huge = float(power.demand_mw[:, chn].max())
    assert not accepts(china, deal(False, huge, dear))  # never so much that its own margin goes thin
    power.reserve_margin[chn] = target - 0.05  # short of margin: its own lights first
    assert not accepts(china, deal(False, 100.0, dear))
    assert accepts(china, deal(True, 100.0, 0.9 * float(power.retail[chn])))  # short: buys up to its retail price


def test_an_ai_nation_short_of_power_asks_a_players_neighbour_for_a_contract(tiny):
    m = game(tiny, humans=("IND",))  # China, an AI, is joined to India's grid
    m.step()
    power = m.results.power
    chn, ind = m.region_ix["CHN"], m.region_ix["IND"]
    target = tiny.policy.nation_reserve_margin
    power.reserve_margin = power.reserve_margin.copy()
    power.reserve_margin[chn], power.reserve_margin[ind] = target - 0.05, target + 0.2
    m.view_cache = None
    from sovereign.sim.policy.deals import propose_power_contract

    china = m.seats["CHN"]
    china.state["difficulty"] = "normal"
    (offer,) = propose_power_contract(china)
    assert offer.partner == "IND" and offer.deal_kind == "power_supply" and not offer.supplier_is_proposer
    peak = float(power.demand_mw[:, chn].max())
    assert offer.mw == pytest.approx(min(round(0.05 * peak, -1), 500.0), abs=10.0)  # its shortfall, within the link
    ind_price = float(power.wholesale_avg[ind]) * (1 + tiny.diplomacy.power_offer_premium)
    assert offer.price_usd_per_mwh == pytest.approx(min(ind_price, float(power.retail[chn])), abs=0.01)
    assert m.submit("CHN", offer).accepted  # a valid offer the player can answer
    power.reserve_margin[chn] = target + 0.1  # not short: no offer
    assert propose_power_contract(china) == []
    china.state["difficulty"] = "easy"
    power.reserve_margin[chn] = target - 0.05
    assert propose_power_contract(china) == []  # easy AI asks nothing
    # an AI-only game is unchanged: no player's nation to ask
    ai_only = SovereignModel(tiny, rng=5)
    ai_only.step()
    assert propose_power_contract(ai_only.seats["CHN"]) == []
