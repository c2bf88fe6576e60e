"""Where AI investors build: a region's scarcity premium counts only for demand no one has built for yet.

`investor_view` gives each region the room (kW) its own demand two years ahead leaves after the chips,
free space and halls already there or ordered; `invest` values a region at its full price while room
is left and at the world's mean price once it is used up, and uses it up as it orders.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sovereign.scenario.loader import load_scenario
from sovereign.sim import economics as econ
from sovereign.sim.commands import BuildDatacenter
from sovereign.sim.model import SovereignModel
from sovereign.sim.policy.decide import invest
from sovereign.sim.policy.view import investor_margins, investor_view

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(TINY)


def _started(tiny) -> SovereignModel:
    m = SovereignModel(tiny, rng=1)
    m.step()
    m.view_cache = None
    return m


def test_a_covered_regions_margin_is_valued_at_no_more_than_the_worlds_mean_price(tiny):
    m = _started(tiny)
    full, covered = np.array(investor_margins(m, 1)), np.array(investor_margins(m, 1, covered=True))
    assert (covered <= full + 1e-12).all()
    price = np.asarray(m.metrics.signals[-1]["compute_price_region"], float)
    weights = investor_view(m)["demand_by_region"]
    mean = float((price * weights).sum() / weights.sum())
    dear, cheap = price > mean, price <= mean
    assert dear.any() and cheap.any()
    # the difference is the price premium above the mean, for every class, and nothing where the price is below it
    premium = np.broadcast_to(price[dear] - mean, full[:, dear].shape)
    np.testing.assert_allclose(full[:, dear] - covered[:, dear], premium)
    np.testing.assert_array_equal(full[:, cheap], covered[:, cheap])


def test_halls_ordered_for_a_regions_demand_use_up_its_premium_room(tiny):
    m = _started(tiny)
    ind = m.region_ix["IND"]
    room = investor_view(m)["premium_room_kw_list"][ind]
    assert room > 0  # India's demand outruns its halls at the start
    hall = next(dict(p) for p in m.world.projects if p["kind"] == "build_datacenter")
    hall.update(region="IND", size=room / econ.KW_PER_MW / 2, id=10_000)
    m.world.projects.append(hall)
    m.view_cache = None
    half = investor_view(m)["premium_room_kw_list"][ind]
    assert half == pytest.approx(room / 2, rel=1e-9)


def test_an_investor_leaves_a_region_whose_room_is_used_up_and_uses_up_what_it_orders(tiny):
    m = _started(tiny)
    agent = m.seats["cloudco"]
    agent.state["cash_busd"] = 1_000.0
    agent.state["difficulty"] = "hard"  # no misjudgement (noise 0): the best region by the rule
    v = investor_view(m)
    orders = [c for c in invest(agent, 1.0) if isinstance(c, BuildDatacenter)]
    assert orders, "a rich cloud builds somewhere"
    first = m.region_ix[orders[0].region]
    # the order used up its size of the region's room
    m.view_cache = None
    fresh = investor_view(m)["premium_room_kw_list"][first]
    assert v["premium_room_kw_list"][first] == pytest.approx(fresh - orders[0].it_mw * econ.KW_PER_MW)
    # with no room left anywhere, the same investor values every region at its covered margin: it
    # builds where that is best, not where the premium was
    m.view_cache = None
    v = investor_view(m)
    v["premium_room_kw_list"][:] = [0.0] * len(v["premium_room_kw_list"])
    again = [c for c in invest(agent, 1.0) if isinstance(c, BuildDatacenter)]
    covered = investor_margins(m, agent.params["lag"], covered=True)[v["class_for_list"][m.region_ix["USA"]]]
    assert again
    home = m.region_ix["USA"]
    scores = {
        r: covered[r] + (m.scenario.policy.home_bias_usd_per_hour if r == home else 0.0)
        for r in v["firm_candidates_list"][home]
    }
    assert m.region_ix[again[0].region] == max(scores, key=scores.__getitem__)


def test_firms_of_tier_one_countries_may_build_in_any_tier_one_country_and_tier_three_firms_may_not(tiny):
    """US clouds build in Europe (tier 1, not a US bloc); a Chinese firm does not build in a tier-1 country."""
    m = _started(tiny)
    usa, chn, ind = m.region_ix["USA"], m.region_ix["CHN"], m.region_ix["IND"]
    m.world.export_tier[ind] = 1  # India as a tier-1 country in no bloc with the US or China
    m.world.bloc_member[:, ind] = False
    m.view_cache = None
    cands = investor_view(m)["firm_candidates_list"]
    assert not m.allied_matrix()[usa, ind]
    assert ind in cands[usa]  # tier-1 capital in a tier-1 host
    assert ind not in cands[chn] and chn not in cands[usa]  # screened; and no tier-3 hosts for tier-1 firms
    assert set(cands[ind]) >= {usa, ind}


def _subsidised_orders(m: SovereignModel, subsidy: float, margin_of: dict[str, float]) -> list[BuildDatacenter]:
    """CloudCo's build orders with the world's pipeline full (no gap anywhere), India subsidising at
    `subsidy` with 200 MW of its own demand unbuilt for, and these margins by region (0.1 elsewhere)."""
    agent = m.seats["cloudco"]
    agent.state["cash_busd"] = 1_000.0
    agent.state["difficulty"] = "hard"  # no misjudgement
    ind = m.region_ix["IND"]
    m.view_cache = None
    m.world.subsidy[:] = 0.0
    m.world.subsidy[ind] = subsidy
    v = investor_view(m)
    v["demand_now"] = 0.0  # the world's demand is built for: no gap anywhere
    margins = [margin_of.get(r.id, 0.1) for r in m.scenario.regions]
    for covered in (False, True):
        v["margin_lists"][(agent.params["lag"], covered)] = [margins for _ in v["kw_new_list"]]
    v["premium_room_kw_list"][:] = [0.0] * len(m.region_ix)
    v["premium_room_kw_list"][ind] = 200_000.0  # 200 MW of India's own demand unbuilt for
    v["room_kw_list"][ind] = float("inf")  # and no export cap on what halls there could fill
    return [c for c in invest(agent, 1.0) if isinstance(c, BuildDatacenter)]


def test_a_hosts_subsidy_draws_a_hall_for_its_own_unmet_demand_when_the_world_needs_none(tiny):
    """With the world's pipeline full (no gap), an investor builds only where a host subsidises: up to the
    subsidy's rate of the room the host's own demand leaves (times the AI's investment appetite)."""
    m = _started(tiny)
    best = {"IND": 1.0}  # India the best place to build, by far
    assert _subsidised_orders(m, 0.0, best) == []
    built = _subsidised_orders(m, 0.5, best)
    assert [c.region for c in built] == ["IND"]
    _, hi = tiny.policy.datacenter_mw
    expected = min(0.5 * 200.0 * m.seats["cloudco"].params["invest"], hi)
    assert built[0].it_mw == pytest.approx(expected, abs=0.05)


def test_a_subsidy_draws_a_hall_even_where_another_region_ranks_first_and_needs_none(tiny):
    """The subsidised site need not be the best region by margin: when the best region gives the firm
    nothing to build (the world's pipeline is full), the best subsidised candidate with room does.
    Before, Japan's 50% subsidy drew no hall for a year because other regions ranked first."""
    m = _started(tiny)
    second = {"USA": 1.0, "IND": 0.5}  # the United States the best place to build, India second
    assert _subsidised_orders(m, 0.0, second) == []  # no subsidy: nothing to build anywhere
    built = _subsidised_orders(m, 0.5, second)
    assert [c.region for c in built] == ["IND"]
    _, hi = tiny.policy.datacenter_mw
    assert built[0].it_mw == pytest.approx(min(0.5 * 200.0 * m.seats["cloudco"].params["invest"], hi), abs=0.05)
    assert _subsidised_orders(m, 0.5, {"USA": 1.0, "IND": -0.2}) == []  # a subsidised site that loses money: none


def test_an_empty_new_hall_does_not_make_its_owner_bid_as_if_its_fleet_were_idle(tiny):
    """Utilisation is the share of a seat's installed chips that sold, weighted by the chips: a new
    hall with nothing in it leaves it as it was (counted as a hall at 0%, it made the owner bid the
    least for the chips that would fill it, so it lost every scarce quarter)."""
    m = _started(tiny)
    w = m.world
    owner = int(w.dc_owner[np.argmax(w.dc_stock.sum(1))])
    mine = np.nonzero(w.dc_owner == owner)[0]
    w.dc_util[mine] = np.linspace(0.6, 0.9, len(mine))
    stock = w.dc_stock[mine].sum(1)
    expected = float((w.dc_util[mine] * stock).sum() / stock.sum())
    m.view_cache = None
    before = investor_view(m)["util_list"][owner]
    assert before == pytest.approx(expected, rel=1e-12)
    # a new empty hall of the same owner: nothing installed, nothing sold
    d = len(w.dc_owner)
    for name in ("dc_region", "dc_owner", "dc_it_mw", "dc_pue", "dc_kw", "dc_util", "dc_contract_rent", "dc_energy"):
        arr = getattr(w, name)
        setattr(w, name, np.append(arr, 0.0 if name in ("dc_kw", "dc_util", "dc_contract_rent") else arr[mine[0]]))
    for name in ("dc_stock", "dc_origin"):
        arr = getattr(w, name)
        setattr(w, name, np.vstack([arr, np.zeros((1, arr.shape[1]))]))
    w.dc_upgrades = np.append(w.dc_upgrades, 0)
    w.dc_name.append("new, empty")
    assert len(w.dc_owner) == d + 1 and w.dc_stock[d].sum() == 0
    m.view_cache = None
    assert investor_view(m)["util_list"][owner] == pytest.approx(before, rel=1e-12)


def test_a_subsidised_buyer_bids_its_subsidy_higher_for_the_same_net_cost(tiny):
    """The host pays its rate of what a buyer paid for chips installed there (of the list price at
    most), so the buyer's bid there is its unsubsidised bid over (1 - rate) up to list, and above list
    its unsubsidised bid plus the rate of the list price: the same net cost either way."""
    m = _started(tiny)
    agent = m.seats["cloudco"]
    agent.state["cash_busd"] = 1_000.0
    agent.state["difficulty"] = "hard"  # no misjudgement

    def bids(subsidy: float) -> dict[tuple[str, str, bool], tuple[float, float]]:
        m.view_cache = None
        m.world.subsidy[:] = subsidy
        return {
            (c.region, c.accelerator, c.contract): (c.h100e, c.max_price_usd)
            for c in invest(agent, 1.0)
            if c.kind == "buy_accelerators"
        }

    plain, helped = bids(0.0), bids(0.4)
    assert plain and plain.keys() == helped.keys()
    over_list = 0
    for key, (qty, price) in plain.items():
        if not key[2]:  # spot bids: the price over (1 - rate), the same quantity (space, not money, binds)
            list_price = float(m.list_price_now()[m.class_ix[key[1]]])
            over_list += price / 0.6 > list_price
            grossed = price / 0.6 if price / 0.6 <= list_price else price + 0.4 * list_price
            assert helped[key][1] == pytest.approx(grossed, abs=0.01)
            assert helped[key][0] == pytest.approx(qty, abs=0.05)
    assert over_list  # the rule above list is the one exercised (a bid over 0.6 x list)


def test_a_cash_short_investor_sizes_its_hall_to_pay_for_the_chips_that_fill_it_too(tiny):
    """A hall is built to be filled: its size is what the investor's cash share pays for, shell and chips."""
    m = _started(tiny)
    agent = m.seats["cloudco"]
    agent.state["difficulty"] = "hard"  # no misjudgement: the sizes below are the rule's
    v = investor_view(m)
    # wanting far more than it can pay for, at any cash: the cash share decides the size
    agent.state["cash_busd"] = 2.0
    share = 0.5
    orders = [c for c in invest(agent, share) if isinstance(c, BuildDatacenter)]
    assert orders, "the cloud builds a hall it can pay for"
    r = m.region_ix[orders[0].region]
    g = v["class_for_list"][r]
    shell = v["capex_per_kw"][r] / 1e6  # $B per MW
    chips = econ.KW_PER_MW / v["kw_new_list"][g] * v["list_price_list"][g] / 1e9  # $B per MW of chips
    keep = 1.0 - v["subsidy_list"][r]
    min_mw, max_mw = m.scenario.policy.datacenter_mw
    paid_for = 2.0 * share / ((shell + chips) * keep)
    assert min_mw <= paid_for < max_mw
    assert orders[0].it_mw == pytest.approx(round(paid_for, 1), abs=0.051)
    # and far smaller than the shell alone would allow (the chips cost more than the building)
    assert orders[0].it_mw < 0.6 * 2.0 * share / (shell * keep)
