"""The chip market's rules (issue 11), each on the tiny world: one test per rule a reader looks for.

Upstream limits (packaging, HBM), the two market rounds (allocation contracts at list price, pro
rata when short, then spot), the spot price, who may receive a class (maker's rule, import bans by
destination and by headquarters), licences and the grey market, licence fees, declining list
prices, the holdings table, and the refusals of the new commands.
"""

from __future__ import annotations

import numpy as np
import pytest

from sovereign.scenario.schema import Scenario
from sovereign.sim.commands import BuildPackaging, BuyAccelerators, SetEnforcement, SetImportBan, SetLicence
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases.chips import clear_chips, destination_caps, may_receive
from sovereign.sim.state import EventEffects


def _model(tiny, edit=None, **kw):
    """A tiny world, its scenario edited as plain data first (the schema validates the result)."""
    data = tiny.model_dump(mode="json")
    if edit is not None:
        edit(data)
    return SovereignModel(Scenario.model_validate(data), rng=1, **kw)


def _calm(model):
    w = model.world
    return EventEffects(
        fab_derate=np.ones(len(w.fab_capacity)),
        heat=np.ones(len(model.region_ix)),
        pkg_derate=np.ones(len(w.pkg_capacity)),
    )


def _bid(model, seat, cls="frontier", region="USA", h100e=20_000.0, price=None, contract=False):
    g = model.class_ix[cls]
    free = model.free_h100e(seat, model.region_ix[region], g)
    assert free > 0, f"{seat} has no room for {cls} in {region}"
    at = float(model.list_price_now()[g] * 1.2) if price is None else price
    return (
        seat,
        BuyAccelerators(accelerator=cls, h100e=min(free, h100e), max_price_usd=at, region=region, contract=contract),
    )


def _actor(data, actor_id):
    return next(a for a in data["actors"] if a["id"] == actor_id)


# -- upstream limits -----------------------------------------------------------------------------
def test_wafers_without_packaging_are_not_chips(tiny):
    """A fab owner's packaging lines package all its fabs' wafers, pro rata when short."""
    wafers = 120_000 + 30_000  # fabco's frontier and advanced fabs

    def edit(data):
        _actor(data, "fabco")["packaging"] = [{"region": "USA", "h100e_per_quarter": wafers / 2}]

    m = _model(tiny, edit)
    res = clear_chips(m, [], _calm(m))
    assert res.supply[m.class_ix["frontier"]] == pytest.approx(60_000)
    assert res.supply[m.class_ix["advanced"]] == pytest.approx(15_000)
    # a packaging line still being built packages nothing
    m2 = _model(
        tiny,
        lambda d: _actor(d, "fabco").update(
            packaging=[{"region": "USA", "h100e_per_quarter": 1e6, "online": "2027Q1"}]
        ),
    )
    assert clear_chips(m2, [], _calm(m2)).supply[m2.class_ix["frontier"]] == 0.0
    # once a scenario models packaging, an owner without lines makes no chips (until it builds some)
    assert res.supply[m.class_ix["domestic"]] == 0.0
    assert res.wafers[m.class_ix["domestic"]] == pytest.approx(30_000)


def test_hbm_supply_limits_the_fabs_of_its_regions_only(tiny):
    def edit(data):
        data["chips"]["hbm"] = [
            {"name": "US memory", "fab_regions": ["USA"], "h100e_per_quarter": 75_000, "growth_per_year": 0.0}
        ]

    m = _model(tiny, edit)
    res = clear_chips(m, [], _calm(m))
    # 150k of US wafers share 75k of memory pro rata; China's fab is not covered by this supply
    assert res.supply[m.class_ix["frontier"]] == pytest.approx(60_000)
    assert res.supply[m.class_ix["advanced"]] == pytest.approx(15_000)
    assert res.supply[m.class_ix["domestic"]] == pytest.approx(30_000)


def _short_memory(expansion):
    def edit(data):
        data["chips"]["hbm"] = [
            {
                "name": "US memory",
                "fab_regions": ["USA"],
                "h100e_per_quarter": 75_000,
                "growth_per_year": 0.0,
                "expansion_share_per_year": expansion,
                "build_quarters": 2,
            }
        ]

    return edit


def test_memory_makers_expand_where_their_memory_limits_the_chips(tiny):
    """A short HBM supply orders at most a quarter of its yearly share a quarter, done after its lead time."""
    from sovereign.sim.phases.chips import expand_hbm, hbm_need

    m = _model(tiny, _short_memory(0.4))
    assert hbm_need(m)[0] == pytest.approx(150_000)  # the US wafers online, all packaged
    expand_hbm(m)
    q = m.quarter
    np.testing.assert_allclose(m.world.hbm_orders, [[q + 2, 0, 0.1 * 75_000]])  # 0.4 a year / 4
    m.quarter = q + 1
    expand_hbm(m)  # the next quarter's order counts what is on the way (still short by 67.5k)
    np.testing.assert_allclose(m.world.hbm_orders[1], [q + 3, 0, 7_500])
    m.quarter = q + 2  # the first expansion is done, the second on its way
    expand_hbm(m)
    assert m.world.hbm_capacity[0] == pytest.approx(82_500)
    assert m.world.hbm_orders[:, 0].min() == q + 3


def test_memory_makers_stop_expanding_when_memory_no_longer_limits_the_chips(tiny):
    from sovereign.sim.phases.chips import expand_hbm

    m = _model(tiny, _short_memory(0.4))
    m.world.hbm_capacity[0] = 150_000.0  # as much as the wafers need
    expand_hbm(m)
    assert len(m.world.hbm_orders) == 0


def test_memory_makers_keep_to_their_set_growth_without_an_expansion_share(tiny):
    from sovereign.sim.phases.chips import expand_hbm

    m = _model(tiny, _short_memory(0.0))
    expand_hbm(m)
    assert len(m.world.hbm_orders) == 0


def test_more_memory_means_more_chips_once_the_expansion_is_done(tiny):
    """Played quarter by quarter: the expanding supply delivers more chips than the one that keeps its level."""
    still, growing = _model(tiny, _short_memory(0.0)), _model(tiny, _short_memory(1.0))
    made = {}
    for m in (still, growing):
        f = m.class_ix["frontier"]
        made[id(m)] = []
        for _ in range(6):
            m.step()
            made[id(m)].append(float(m.results.chips.supply[f]))
    assert growing.world.hbm_capacity[0] > still.world.hbm_capacity[0] == pytest.approx(75_000)
    # the same until the first expansion is done (two quarters and the quarter it is used in), then more
    assert made[id(growing)][:3] == made[id(still)][:3]
    assert sum(made[id(growing)]) > sum(made[id(still)]) * 1.1


# -- the two rounds and the price ---------------------------------------------------------------
def test_contracts_pay_list_and_are_filled_pro_rata_when_short(tiny):
    m = _model(tiny)
    g = m.class_ix["advanced"]
    listed = float(m.list_price_now()[g])
    supply = 30_000.0
    bids = [
        _bid(m, "cloudco", "advanced", h100e=40_000, price=listed * 1.5, contract=True),
        _bid(m, "bharat", "advanced", "IND", h100e=20_000, price=listed * 1.5, contract=True),
    ]
    cash = {s: m.seats[s].cash_busd for s in ("cloudco", "bharat")}
    res = clear_chips(m, bids, _calm(m))
    assert res.sold[g] == pytest.approx(min(supply, 20_000 + 20_000))  # bharat's tier-2 cap is 20k
    # contract holders pay the list price, not their (higher) bid
    paid = {s: cash[s] - m.seats[s].cash_busd for s in cash}
    total_paid = sum(paid.values())
    assert total_paid == pytest.approx(res.sold[g] * listed / 1e9, rel=1e-9)
    # 60k wanted of 30k: each gets half of what it asked (bharat's 20k is within its cap)
    assert paid["cloudco"] / paid["bharat"] == pytest.approx(40_000 / 20_000, rel=1e-9)


def test_a_contract_bid_below_list_goes_to_the_spot_round(tiny):
    m = _model(tiny)
    g = m.class_ix["frontier"]
    listed = float(m.list_price_now()[g])
    low = listed * 0.9  # above the reserve, below list
    seat, bid = _bid(m, "cloudco", h100e=10_000, price=low, contract=True)
    cash = m.seats["cloudco"].cash_busd
    res = clear_chips(m, [(seat, bid)], _calm(m))
    assert res.sold[g] == pytest.approx(10_000)
    # on the spot market, with supply to spare, the price is the lowest accepted bid: its own
    assert res.price[g] == pytest.approx(low)
    assert cash - m.seats["cloudco"].cash_busd == pytest.approx(10_000 * low / 1e9)


def test_spot_price_is_the_lowest_accepted_bid_when_short(tiny):
    m = _model(tiny)
    g = m.class_ix["advanced"]  # 30k of supply
    listed = float(m.list_price_now()[g])
    bids = [
        _bid(m, "cloudco", "advanced", h100e=25_000, price=listed * 1.6),
        _bid(m, "dragon", "advanced", "CHN", h100e=4_000, price=listed * 1.4),
        _bid(m, "bharat", "advanced", "IND", h100e=20_000, price=listed * 1.1),
    ]
    res = clear_chips(m, bids, _calm(m))
    assert res.sold[g] == pytest.approx(30_000)
    # the marginal (partly filled) bid sets the uniform price, well above list: a shortage shows
    assert res.price[g] == pytest.approx(listed * 1.1)
    assert res.price[g] > listed


def test_when_contracts_take_everything_the_spot_price_is_the_highest_spot_bid(tiny):
    m = _model(tiny)
    g = m.class_ix["advanced"]
    listed = float(m.list_price_now()[g])
    bids = [
        _bid(m, "cloudco", "advanced", h100e=60_000, price=listed, contract=True),
        _bid(m, "bharat", "advanced", "IND", h100e=5_000, price=listed * 2.5),
    ]
    res = clear_chips(m, bids, _calm(m))
    assert res.sold[g] == pytest.approx(30_000)  # all on contract: the spot buyer gets nothing
    assert res.price[g] == pytest.approx(listed * 2.5)


def test_list_prices_decline_over_the_years(tiny):
    def edit(data):
        for a in data["accelerators"]:
            a["list_price_decline_per_year"] = 0.2

    m = _model(tiny, edit)
    start = m.list_price_now().copy()
    for _ in range(4):
        m.step()
    np.testing.assert_allclose(m.list_price_now(), start * 0.8)


def test_production_costs_fall_with_the_list_price_so_old_classes_keep_a_margin(tiny):
    """A fab's cost per H100e falls as its class's list price does (the cost is a share of it)."""

    def edit(data):
        for a in data["accelerators"]:
            a["list_price_decline_per_year"] = 0.25

    m = _model(tiny, edit)
    share = m.production_cost_now() / m.list_price_now()
    for _ in range(8):
        m.step()
    np.testing.assert_allclose(m.production_cost_now() / m.list_price_now(), share)
    # what the fabs paid in the quarter just played is what they made at that quarter's cost
    made = m.results.chips.sold
    m.quarter -= 1
    cost = m.production_cost_now()
    assert m.flows["out:chip production"] == pytest.approx(float((made * cost).sum()) / 1e9)


# -- who may receive what ------------------------------------------------------------------------
def test_a_class_sold_only_in_some_regions_goes_nowhere_else(tiny):
    def edit(data):
        next(a for a in data["accelerators"] if a["id"] == "domestic")["sold_only_in"] = ["CHN"]

    m = _model(tiny, edit)
    r, g = m.region_ix, m.class_ix["domestic"]
    hq = np.array([r["CHN"], r["IND"], r["CHN"]])
    dest = np.array([r["CHN"], r["IND"], r["IND"]])
    # a Chinese buyer at home: yes; an Indian buyer in India: no; a Chinese buyer abroad: no
    assert may_receive(m, hq, dest, np.full(3, g)).tolist() == [True, False, False]


def test_an_import_ban_covers_the_territory_and_the_nations_firms_abroad(tiny):
    m = _model(tiny, human_seats=["CHN"])
    assert m.submit("CHN", SetImportBan(accelerator="advanced", banned=True)).accepted
    m.step()
    r, g = m.region_ix, m.class_ix["advanced"]
    hq = np.array([r["CHN"], r["IND"], r["CHN"], r["IND"]])
    dest = np.array([r["CHN"], r["CHN"], r["IND"], r["IND"]])
    assert may_receive(m, hq, dest, np.full(4, g)).tolist() == [False, False, False, True]


def test_a_licence_sets_a_destinations_own_cap_and_earns_its_fee(tiny):
    def edit(data):
        data["export_controls"]["licences"] = [
            {"region": "CHN", "accelerator": "advanced", "cap_h100e_per_quarter": 8_000, "revenue_share": 0.15}
        ]

    m = _model(tiny, edit)
    caps, barred = destination_caps(m)
    r, g = m.region_ix["CHN"], m.class_ix["advanced"]
    assert caps[r, g] == 8_000 and not barred[r, g]  # the tier-3 cap was 5,000
    usa_before = m.seats["USA"].cash_busd
    res = clear_chips(m, [_bid(m, "dragon", "advanced", "CHN", h100e=20_000)], _calm(m))
    assert res.sold[g] == pytest.approx(8_000)
    fee = 0.15 * 8_000 * res.price[g] / 1e9
    assert res.licence_busd[g] == pytest.approx(fee)
    assert m.seats["USA"].cash_busd - usa_before == pytest.approx(fee)  # paid to the licensing nation


def test_smuggling_reaches_barred_destinations_and_enforcement_halves_it(tiny):
    m = _model(tiny, human_seats=["USA"])
    caps, barred = destination_caps(m)
    r, g = m.region_ix["CHN"], m.class_ix["frontier"]
    assert barred[r, g]  # tier 3 may not receive frontier chips...
    flow = m.scenario.export_controls.grey_market_h100e_per_quarter
    assert caps[r, g] == pytest.approx(flow)  # ...but the grey flow (China the only barred GDP) leaks in
    res = clear_chips(m, [_bid(m, "dragon", "frontier", "CHN", h100e=5_000)], _calm(m))
    assert res.grey[g] == pytest.approx(flow) and res.sold[g] == pytest.approx(flow)
    halving = m.scenario.export_controls.enforcement_halving_busd
    assert m.submit("USA", SetEnforcement(busd_per_year=2 * halving)).accepted
    m.step()
    caps, _ = destination_caps(m)
    assert caps[r, g] == pytest.approx(flow / 4)


# -- the holdings table --------------------------------------------------------------------------
def test_holdings_say_who_holds_which_chips_where(tiny):
    m = _model(tiny)
    m.step()
    rows = [h for h in m.metrics.holdings if h["quarter"] == "2026Q1"]
    by = {(h["firm"], h["region"], h["accelerator"]): h for h in rows}
    assert by[("dragon", "CHN", "domestic")]["firm_home"] == "CHN"
    total = sum(h["h100e"] for h in rows)
    # recorded at the quarter's end, before the fleet ages into the next quarter
    keep = 1.0 - 1.0 / m.scenario.demand.accelerator_life_quarters
    assert total == pytest.approx(float(m.world.dc_stock.sum()) / keep, rel=1e-9)


# -- the new commands' refusals -----------------------------------------------------------------
def refused(model, seat, cmd):
    res = model.submit(seat, cmd)
    assert not res.accepted
    return res.reason


def test_trade_rule_commands_are_refused_with_reasons(tiny):
    m = _model(tiny, human_seats=["USA", "IND", "cloudco", "fabco"])
    assert "does not need a licence for chips delivered at home" in refused(
        m, "USA", SetLicence(region="USA", accelerator="advanced", cap_h100e=1000)
    )
    assert "not under export controls" in refused(
        m, "USA", SetLicence(region="CHN", accelerator="domestic", cap_h100e=1000)
    )
    assert "does not control chip exports" in refused(m, "IND", SetEnforcement(busd_per_year=1))
    assert "has no fab whose wafers need packaging" in refused(
        m, "IND", BuildPackaging(region="IND", h100e_per_quarter=10_000)
    )
    assert "cannot run a fab" in refused(m, "cloudco", BuildPackaging(region="USA", h100e_per_quarter=10_000))
    assert m.submit("fabco", BuildPackaging(region="USA", h100e_per_quarter=10_000)).accepted


# -- stockpiling before a threatened disruption ---------------------------------------------------
def test_a_supply_threat_is_remembered_and_fades(tiny):
    from sovereign.sim.phases.events import apply_events

    def edit(data):
        data["injects"].append(
            {"quarter": "2026Q1", "kind": "supply_threat", "region": "USA", "magnitude": 0.6, "headline": "Drills"}
        )

    m = _model(tiny, edit)
    apply_events(m)
    assert m.world.supply_threat[m.region_ix["USA"]] == pytest.approx(0.6)
    assert any(n["headline"] == "Drills" for n in m.news)
    m.step()  # the quarter's own events run again (no new threat); the market forgets a share
    decay = m.scenario.chips.threat_decay_per_quarter
    assert m.world.supply_threat[m.region_ix["USA"]] == pytest.approx(0.6 * (1 - decay))


def test_buyers_stockpile_the_classes_made_where_a_disruption_is_feared(tiny):
    from sovereign.sim.policy.view import threatened_share

    calm, feared = _model(tiny), _model(tiny)
    feared.world.supply_threat[feared.region_ix["USA"]] = 0.5
    share = threatened_share(feared)
    assert share[feared.class_ix["frontier"]] == pytest.approx(0.5)  # all frontier fabs stand in the USA
    assert share[feared.class_ix["domestic"]] == 0.0  # China's fab is not threatened
    assert (threatened_share(calm) == 0).all()

    def bids(m):
        m.step()  # the AI decides at the start of the quarter, with the threat in view
        return [
            e["command"] for e in m.command_log if e["seat"] == "cloudco" and e["command"]["kind"] == "buy_accelerators"
        ]

    calm_bids, feared_bids = bids(calm), bids(feared)
    top = lambda bids, cls: max((b["max_price_usd"] for b in bids if b["accelerator"] == cls), default=0.0)  # noqa: E731
    assert top(feared_bids, "frontier") > top(calm_bids, "frontier") * 1.3


def test_what_a_disruption_costs_is_measured_before_deals_take_their_part(tiny):
    """`lost_share`: made against what the fabs could have made; half the frontier wafers lost is half."""
    m = _model(tiny)
    effects = _calm(m)
    f = m.class_ix["frontier"]
    effects.fab_derate = np.where(m.world.fab_class == f, 0.5, 1.0)
    res = clear_chips(m, [], effects)
    assert res.made[f] == pytest.approx(0.5 * res.capacity[f])
    assert res.lost_share()[f] == pytest.approx(0.5)
    assert np.delete(res.lost_share(), f) == pytest.approx(0.0)


def test_a_disruption_stretches_the_payback_buyers_accept_up_to_the_chips_life(tiny):
    """While a share d of a class's output is lost, a chip is worth payback + d x (life - payback) years."""
    from sovereign.sim.policy.view import disruption_stretch

    m = _model(tiny)
    m.step()
    assert (disruption_stretch(m) == 1.0).all()  # nothing lost: the normal payback
    chips, sc = m.results.chips, m.scenario.chips
    f = m.class_ix["frontier"]
    chips.capacity = np.where(chips.capacity > 0, chips.capacity, 1.0)
    chips.made = chips.capacity.copy()
    chips.made[f] = 0.3 * chips.capacity[f]  # 70% of the frontier output lost
    longest = sc.chip_life_years / sc.payback_years
    stretch = disruption_stretch(m)
    assert stretch[f] == pytest.approx(1.0 + 0.7 * (longest - 1.0))
    assert np.delete(stretch, f) == pytest.approx(1.0)  # the other classes were made as usual
    chips.made[f] = 0.0  # all of it lost: the chip's whole life
    assert disruption_stretch(m)[f] == pytest.approx(longest)


def test_a_payback_too_short_to_divide_by_stretches_nothing_into_nan(tiny):
    """A scenario's payback may be as short as it likes: the life over it overflows, and the classes
    that lost nothing stay at 1 (0 x inf made them NaN, and every bid for them a refused NaN price)."""
    from sovereign.sim.policy.view import disruption_stretch

    def shortest(data):
        data["chips"]["payback_years"] = 5e-324

    m = _model(tiny, shortest)
    m.step()
    assert (disruption_stretch(m) == 1.0).all()
    chips, f = m.results.chips, m.class_ix["frontier"]
    chips.capacity = np.where(chips.capacity > 0, chips.capacity, 1.0)
    chips.made = chips.capacity.copy()
    chips.made[f] = 0.5 * chips.capacity[f]
    stretch = disruption_stretch(m)
    assert np.isfinite(stretch).all() and stretch[f] > 1e300
    assert np.delete(stretch, f) == pytest.approx(1.0)
    m.view_cache = None
    m.run(3)  # the AI bids with it, and every bid it places is a valid command
    assert not any(e["reason"] for e in m.command_log if e["command"]["kind"] == "buy_accelerators")


def _calm_and_hit(tiny):
    """Two games one quarter in, the same but for the second's frontier output: 80% of it lost."""
    calm, hit = _model(tiny), _model(tiny)
    for m in (calm, hit):
        m.step()
    chips = hit.results.chips
    f = hit.class_ix["frontier"]
    chips.made = chips.made.copy()
    chips.made[f] = 0.2 * chips.capacity[f]  # last quarter's frontier output mostly lost
    hit.view_cache = None
    return calm, hit


def test_buyers_bid_more_for_a_class_whose_fabs_are_disrupted(tiny):
    """The value cap on spot bids rises with the disruption: a quarantine's spike is not held at ~1.3x list."""

    def bids(m):
        m.step()
        return [
            e["command"]
            for e in m.command_log
            if e["seat"] == "cloudco" and e["command"]["kind"] == "buy_accelerators" and e["quarter"] == "2026Q2"
        ]

    calm, hit = _calm_and_hit(tiny)
    top = lambda bids: max((b["max_price_usd"] for b in bids if b["accelerator"] == "frontier"), default=0.0)  # noqa: E731
    calm_top, hit_top = top(bids(calm)), top(bids(hit))
    assert calm_top > 0
    assert hit_top > calm_top * 1.2


def test_in_a_disruption_buyers_scale_their_whole_bid_by_the_stretch(tiny):
    """Not only the value cap: the bid itself (list x premium x scarcity) rises by the stretch.

    With the same misjudgement draws in both games and nothing else changed, every frontier bid is
    the calm game's times the stretch (to rounding): a buyer who accepts a payback `stretch` times
    longer pays that much more whichever of its rules set the bid. With the cap alone stretched, a
    bid set by list x scarcity did not move, and the quarantine's spike stopped at ~2.2x list.
    """
    from sovereign.sim.policy.view import disruption_stretch

    calm, hit = _calm_and_hit(tiny)
    stretch = float(disruption_stretch(hit)[hit.class_ix["frontier"]])
    assert stretch > 1.5

    def bids(m):
        m.step()
        return [
            e["command"]["max_price_usd"]
            for e in m.command_log
            if e["command"]["kind"] == "buy_accelerators"
            and e["command"]["accelerator"] == "frontier"
            and not e["command"]["contract"]
            and e["quarter"] == "2026Q2"
        ]

    calm_bids, hit_bids = bids(calm), bids(hit)
    assert calm_bids and len(hit_bids) == len(calm_bids)
    for c, h in zip(calm_bids, hit_bids, strict=True):
        assert h == pytest.approx(c * stretch, abs=0.02)  # both rounded to the cent


# -- how buyers choose a class -------------------------------------------------------------------
def _usa_parts(model):
    """The shares of free space USA's buyers offer each unlimited class this quarter (the bid slots)."""
    from sovereign.sim.policy.view import investor_view

    model.view_cache = None
    slots = investor_view(model)["bid_slots"][model.region_ix["USA"]]
    return {s[4]: s[0] for s in slots if s[0] > 0.0}


def test_buyers_judge_a_class_by_its_price_over_the_last_year(tiny):
    from sovereign.sim.policy.view import expected_chip_price

    m = _model(tiny)
    for _ in range(5):
        m.step()
    memory = m.scenario.policy.chip_price_memory_quarters
    assert memory == 4
    spike = m.metrics.signals[-1]["chip_price"].copy()
    m.metrics.signals[-1]["chip_price"] = spike * 3.0  # one quarter's scarcity spike
    expected = expected_chip_price(m)
    recent = [s["chip_price"] for s in m.metrics.signals[-memory:]]
    assert np.array_equal(expected, np.mean(recent, axis=0))
    # the spike moves the expectation by a quarter of itself, not three times over
    assert (expected < spike * 1.6).all()


def test_buyers_split_their_space_between_two_classes_by_output_and_cost(tiny):
    from sovereign.sim.policy.view import class_output

    def spread(value):
        return lambda data: data.setdefault("policy", {}).update(class_choice_spread_usd_per_hour=value)

    wide, narrow = _model(tiny, spread(10.0)), _model(tiny, spread(0.001))
    for m in (wide, narrow):
        m.step()
    made = class_output(wide)
    f, a = wide.class_ix["frontier"], wide.class_ix["advanced"]
    parts = _usa_parts(wide)
    assert set(parts) == {"frontier", "advanced"} and sum(parts.values()) == pytest.approx(1.0)
    # a spread far wider than the classes' difference in cost of ownership: shares follow output
    assert parts["advanced"] == pytest.approx(made[a] / (made[a] + made[f]), rel=0.05)
    # a spread far narrower: the class cheaper to own takes (almost) all the space
    assert max(_usa_parts(narrow).values()) > 0.999


def test_buyers_bid_for_a_capped_volume_but_set_aside_only_their_share_of_it(tiny):
    """Two clouds with equal space in China share its tier cap of 5,000 advanced H100e: each bids
    for all of it, and keeps space (and money) for the other classes as if it will get half."""
    from sovereign.sim.policy.decide import invest
    from sovereign.sim.policy.view import investor_view

    def twin(data):
        dragon = _actor(data, "dragon")
        data["actors"].append({**dragon, "id": "panda", "name": "Panda Cloud", "cash_busd": 500})
        dragon["cash_busd"] = 500

    m = _model(tiny, twin)
    view = investor_view(m)
    chn = m.region_ix["CHN"]
    slots = {s[4]: s for s in view["bid_slots"][chn]}
    cap = slots["advanced"][7]
    assert slots["advanced"][0] == 0.0 and cap == 5000.0  # a limited slot: the tier-3 cap
    assert view["free_kw_by_region"][chn] > 0
    for seat in ("dragon", "panda"):
        agent = m.seats[seat]
        free_kw = view["free_by_seat"][m.seat_pos[seat]][chn]
        share = free_kw / view["free_kw_by_region"][chn]
        assert share == pytest.approx(0.5)
        bids: dict[str, float] = {}
        for c in invest(agent, 0.3):
            if isinstance(c, BuyAccelerators):  # a contract part and a spot part
                bids[c.accelerator] = bids.get(c.accelerator, 0.0) + c.h100e
        assert bids["advanced"] == pytest.approx(min(cap, free_kw / slots["advanced"][1]), abs=0.1)
        # the domestic class gets the space left after this buyer's expected half of each limited
        # volume (the advanced cap and the smuggled frontier flow), a quarter's tranche of it
        kept = free_kw - sum(s[7] * share * s[1] for s in slots.values() if s[0] == 0.0)
        assert slots["frontier"][0] == 0.0 and 0 < slots["frontier"][7] < cap
        tranche = m.scenario.chips.order_share_per_quarter
        assert bids["domestic"] == pytest.approx(kept / slots["domestic"][1] * tranche, abs=0.1)


# -- how fabs expand -----------------------------------------------------------------------------
def _short_for_a_year(m, cls, unmet):
    """Make the last year's signals say `cls` sold out with `unmet` H100e a quarter left unfilled."""
    g = m.class_ix[cls]
    for s in m.metrics.signals[-4:]:
        s["chip_unmet"] = np.where(np.arange(len(m.class_ix)) == g, unmet, 0.0)
        s["chip_price"] = m.list_price_now() * 2.0  # well above list: worth expanding for


def test_a_fab_short_for_a_year_keeps_starting_projects_up_to_its_pipeline_share(tiny):
    """While orders stay unfilled, a fab starts another project each quarter (each at most
    `fab_expansion_share` of its capacity), until what it builds covers the shortfall or reaches
    `fab_pipeline_share` of its capacity; it does not wait for the one under construction."""
    from sovereign.sim.policy.decide import fab

    m = _model(tiny, human_seats=["fabco"], difficulty={"fabco": "hard"})  # hard: no misjudgement
    m.step()
    rules = m.scenario.policy
    capacity = 150_000.0  # fabco's frontier and advanced fabs
    agent = m.seats["fabco"]
    _short_for_a_year(m, "frontier", unmet=1e6)  # far more than the pipeline allows
    started = []
    for _ in range(4):
        cmds = [c for c in fab(agent) if c.kind == "build_fab"]
        for c in cmds:
            assert m.submit("fabco", c).accepted
            started.append(c.h100e_per_quarter)
        m.step()  # the project is now under construction (fabs take years)
        _short_for_a_year(m, "frontier", unmet=1e6)
    assert started[0] == pytest.approx(rules.fab_expansion_share * capacity, rel=1e-6)
    assert len(started) >= 2  # a second project while the first is being built
    assert sum(started) <= rules.fab_pipeline_share * capacity + 1.0
    # a shortfall smaller than one project is met by that much, not more
    m2 = _model(tiny, human_seats=["fabco"], difficulty={"fabco": "hard"})
    m2.step()
    a2 = m2.seats["fabco"]
    _short_for_a_year(m2, "frontier", unmet=8_000.0)
    (small,) = [c for c in fab(a2) if c.kind == "build_fab"]
    my_share = 120_000.0 / float(m2.results.chips.wafers[m2.class_ix["frontier"]])
    assert small.h100e_per_quarter == pytest.approx(8_000.0 * my_share * a2.params["invest"], rel=1e-3)


def test_packaging_keeps_pace_with_the_wafers_online_and_due_within_a_line_s_build(tiny):
    """A short fab owner packages all its wafers: it orders lines for the wafers online and for
    fabs due before a new line would be ready, not for fabs that come years later."""
    from sovereign.sim.policy.decide import fab

    def edit(data):
        _actor(data, "fabco")["packaging"] = [{"region": "USA", "h100e_per_quarter": 100_000}]

    m = _model(tiny, edit, human_seats=["fabco"], difficulty={"fabco": "hard"})
    m.step()
    agent = m.seats["fabco"]
    _short_for_a_year(m, "frontier", unmet=1e6)
    (pkg,) = [c for c in fab(agent) if c.kind == "build_packaging"]
    assert pkg.h100e_per_quarter == pytest.approx(150_000 - 100_000)  # the wafers it cannot package
    assert m.submit("fabco", pkg).accepted
    m.step()
    _short_for_a_year(m, "frontier", unmet=1e6)
    # the line under construction covers the gap: no second line, though fab projects start (they
    # are due in three years, after any line ordered now would be ready)
    cmds = fab(agent)
    assert not [c for c in cmds if c.kind == "build_packaging"]
    assert [c for c in cmds if c.kind == "build_fab"]


def test_a_chip_maker_short_of_everything_orders_no_project_beyond_what_one_command_may_build(tiny):
    """The policy keeps its fab and packaging projects within the command's bounds (a bigger gap is
    met by more projects in later quarters): with 40M H100e a quarter of wafers and one small line,
    the packaging it needs (~40M) once made the AI's own command fail validation and stop the game."""
    from sovereign.sim.commands import MAX_BUILD_H100E_PER_QUARTER
    from sovereign.sim.policy.decide import fab

    def edit(data):
        _actor(data, "fabco")["packaging"] = [{"region": "USA", "h100e_per_quarter": 100_000}]

    m = _model(tiny, edit, human_seats=["fabco"], difficulty={"fabco": "hard"})
    m.step()
    agent = m.seats["fabco"]
    agent.state["cash_busd"] = 1e6
    mine = m.world.fab_owner == m.seat_index("fabco")
    m.world.fab_capacity[mine] *= 40e6 / m.world.fab_capacity[mine].sum()
    _short_for_a_year(m, "frontier", unmet=30e6)
    cmds = [c for c in fab(agent) if c.kind in ("build_packaging", "build_fab")]
    assert {c.kind for c in cmds} == {"build_packaging", "build_fab"}
    assert all(c.h100e_per_quarter == MAX_BUILD_H100E_PER_QUARTER for c in cmds)
    assert all(m.submit("fabco", c).accepted for c in cmds)


# -- a datacenter subsidy covers the chips in the halls -------------------------------------------
def test_the_host_pays_its_subsidy_share_of_chips_firms_install_on_its_territory(tiny):
    """A firm buying chips for its halls in a subsidising nation gets the rate back from that nation
    (as far as the nation's cash goes); chips elsewhere, and a state's own purchases, get nothing."""
    m = _model(tiny, human_seats=["USA", "IND", "cloudco", "bharat"])
    ind = m.region_ix["IND"]
    m.world.subsidy[ind] = 0.4
    at_list = float(m.list_price_now()[m.class_ix["frontier"]])  # (above list the rate applies to list only)
    bids = [
        _bid(m, "bharat", "frontier", "IND", 5_000.0, price=at_list),
        _bid(m, "cloudco", "frontier", "USA", 5_000.0, price=at_list),
    ]
    before = {s: m.seats[s].state["cash_busd"] for s in ("IND", "bharat", "cloudco")}
    res = clear_chips(m, bids, _calm(m))
    spot = float(res.price[m.class_ix["frontier"]])
    paid_bharat = 5_000.0 * spot / 1e9
    assert m.seats["bharat"].state["cash_busd"] - before["bharat"] == pytest.approx(-paid_bharat * 0.6)
    assert before["IND"] - m.seats["IND"].state["cash_busd"] == pytest.approx(paid_bharat * 0.4)
    assert before["cloudco"] - m.seats["cloudco"].state["cash_busd"] == pytest.approx(5_000.0 * spot / 1e9)
    # a nation with no cash left pays nothing more (the subsidy is paid only if it can)
    m2 = _model(tiny, human_seats=["USA", "IND", "cloudco", "bharat"])
    m2.world.subsidy[ind] = 0.4
    m2.seats["IND"].state["cash_busd"] = 0.0
    cash = m2.seats["bharat"].state["cash_busd"]
    res2 = clear_chips(m2, [_bid(m2, "bharat", "frontier", "IND", 5_000.0)], _calm(m2))
    assert cash - m2.seats["bharat"].state["cash_busd"] == pytest.approx(5_000.0 * float(res2.price[0]) / 1e9)


def test_a_chip_subsidy_pays_its_rate_of_the_list_price_at_most(tiny):
    """A host's scheme budgets a share of the planned purchase: above list the buyer bears every dollar,
    so a shortage's price is not half paid by the state (Japan's 50% set the quarantine's spot price)."""
    m = _model(tiny, human_seats=["USA", "IND", "cloudco", "bharat"])
    ind, g = m.region_ix["IND"], m.class_ix["frontier"]
    m.world.subsidy[ind] = 0.4
    list_price = float(m.list_price_now()[g])
    before = {s: m.seats[s].state["cash_busd"] for s in ("IND", "bharat")}
    res = clear_chips(m, [_bid(m, "bharat", "frontier", "IND", 5_000.0, price=3 * list_price)], _calm(m))
    got, spot = float(res.sold[g]), float(res.price[g])
    assert got > 0 and spot == pytest.approx(3 * list_price)  # the lowest accepted bid
    assert before["IND"] - m.seats["IND"].state["cash_busd"] == pytest.approx(0.4 * list_price * got / 1e9)
    assert before["bharat"] - m.seats["bharat"].state["cash_busd"] == pytest.approx(
        (spot - 0.4 * list_price) * got / 1e9
    )


def test_a_subsidy_raises_investors_expected_margin_by_its_share_of_the_chips(tiny):
    """Where to build: a host's subsidy lowers the building's and the chips' capital cost per H100e-hour."""
    from sovereign.sim import economics as econ
    from sovereign.sim.policy.view import investor_margins

    m = _model(tiny)
    m.step()
    ind = m.region_ix["IND"]
    before = [row[ind] for row in investor_margins(m, 1)]
    m.world.subsidy[ind] = 0.5
    m.view_cache = None  # the quarter's investor view, rebuilt with the subsidy
    after = [row[ind] for row in investor_margins(m, 1)]
    chips = econ.chip_tco_usd_per_h100e_hour(m.scenario, m.list_price_now(), 0.0)
    for g, (a, b) in enumerate(zip(before, after, strict=True)):
        assert b - a > 0.5 * float(chips[g])  # at least half the chips' capital cost, plus the building's


def test_an_escalation_cuts_tier_two_caps_and_the_licences_to_tier_three(tiny):
    """Export controls tighten where they bind: tier-2 caps (where a scenario has them) and the
    licences tier-3 destinations buy under; tier-1 stays free."""
    from sovereign.sim.phases.events import apply_events

    def edit(data):
        data["injects"] = [{"quarter": "2026Q1", "kind": "export_escalation", "magnitude": 0.25, "headline": "Tighter"}]

    m = _model(tiny, edit)
    chn, adv = m.region_ix["CHN"], m.class_ix["advanced"]
    m.world.licence_cap[chn, adv] = 40_000.0
    caps_before = m.world.tier_cap.copy()
    apply_events(m)
    assert m.world.licence_cap[chn, adv] == pytest.approx(30_000.0)
    assert np.isnan(m.world.licence_cap[m.region_ix["IND"], adv])  # no licence there: none made up
    assert np.allclose(m.world.tier_cap[1], caps_before[1] * 0.75)
    assert np.array_equal(m.world.tier_cap[0], caps_before[0])  # inf stays inf
