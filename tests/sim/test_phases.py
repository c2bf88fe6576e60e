"""Each phase alone, on a small hand-built state: one test per rule a reader would look for."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sovereign.sim import economics as econ
from sovereign.sim.commands import BuildDatacenter, BuyAccelerators, Decide
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases.chips import clear_chips
from sovereign.sim.phases.compute import clear_compute_market
from sovereign.sim.phases.construction import complete_projects
from sovereign.sim.phases.demand import advance, found_startups
from sovereign.sim.phases.events import apply_events
from sovereign.sim.phases.finance import lab_revenue_busd, revenue_growth, settle_finance
from sovereign.sim.phases.grid import connect_datacenters
from sovereign.sim.phases.orders import apply_orders
from sovereign.sim.phases.power import clear_power_markets
from sovereign.sim.state import EventEffects, PowerResults

HOURS = econ.HOURS_PER_QUARTER


@pytest.fixture
def model(tiny):
    """A fresh tiny world, on its own copy of the scenario (tests change its settings)."""
    return SovereignModel(tiny.model_copy(deep=True), rng=1)


def _power(model, price=50.0):
    n_r = len(model.region_ix)
    return PowerResults(price_avg=np.full(n_r, price), dc_price=np.full(n_r, price), dc_curtail=np.zeros(n_r))


def _no_events(model):
    return EventEffects(fab_derate=np.ones(len(model.world.fab_capacity)), heat=np.ones(len(model.region_ix)))


def _cash(model):
    return {s: a.state["cash_busd"] for s, a in model.seats.items()}


# -- compute -------------------------------------------------------------------------------------
def test_compute_buyers_pay_cost_plus_rent_and_owners_pay_cost_once(model):
    before = _cash(model)
    res = clear_compute_market(model, _power(model))
    sold = res.alloc.sum(0)
    served = sold > 1e-9
    assert served.any()
    # every served cluster's price covers its marginal cost (power and opex)
    assert (res.price[served] >= res.cluster_cost[served] - 1e-12).all()
    # the price is cost plus the blend of the contracted and the spot rent
    share = model.scenario.economics.contract_share
    rent = np.asarray(res.market.price)
    agreed = res.contract_price - res.cluster_cost
    np.testing.assert_allclose(res.price, res.cluster_cost + share * agreed + (1 - share) * rent)
    # each owner nets (price - cost) on what it sold: costs are paid once, not twice
    owners = model.world.dc_owner[res.clusters]
    for o in np.unique(owners):
        seat = model.seat_ids[o]
        mine = owners == o
        margin = float((sold[mine] * (res.price[mine] - res.cluster_cost[mine])).sum() * HOURS / 1e9)
        assert model.seats[seat].state["cash_busd"] - before[seat] == pytest.approx(margin, rel=1e-9, abs=1e-9)
    # what buyers paid is what sellers received
    assert model.flows["in:compute sales"] == pytest.approx(model.flows["out:compute purchases"], rel=1e-12)


def test_compute_contract_rent_follows_spot_rent_by_one_contract_length_step(model):
    w = model.world
    w.dc_contract_rent[:] = 1.0
    res = clear_compute_market(model, _power(model))
    rent = np.asarray(res.market.price)
    n = model.scenario.economics.contract_quarters
    np.testing.assert_allclose(w.dc_contract_rent[res.clusters], 1.0 + (rent - 1.0) / n)


def test_compute_toy_case_willingness_3_cost_1(model):
    """The issue's toy case: one buyer willing to pay 3, one seller at cost 1, plenty of supply."""
    from sovereign.markets import clear_compute

    res = clear_compute([10.0], [1.0], [5.0], [3.0], np.ones((1, 1), bool), np.zeros((1, 1)), temperature=0)
    rent = float(res.price[0])
    price_paid = 1.0 + rent  # the compute phase charges cost + rent
    assert rent == pytest.approx(0.0, abs=1e-9)  # supply exceeds demand: no scarcity rent
    assert price_paid == pytest.approx(1.0)  # the buyer pays the seller's cost, the owner nets 0, not -1
    scarce = clear_compute([5.0], [1.0], [10.0], [3.0], np.ones((1, 1), bool), np.zeros((1, 1)), temperature=0)
    assert 1.0 + float(scarce.price[0]) == pytest.approx(3.0)  # scarce: the price rises to willingness to pay


def _demand_scaled(model, factor):
    """Scale the compute demand wanted (the regional pool and every lab's and startup's) by `factor`."""
    model.economy.regional_demand_h100e *= factor
    for agent in model.seats.values():
        if "demand_h100e" in agent.state:
            agent.state["demand_h100e"] *= factor


def test_compute_glut_goes_to_the_low_price_fringe_at_its_price_not_at_running_cost(tiny):
    """Capacity beyond the demand wanted is bought by the fringe (compute wanted only when cheap), at
    about its price; without a fringe the rent falls to zero and compute sells at its running cost.
    The fringe is not demand wanted: the recorded demand is the same with and without it."""
    games = {}
    for share in (0.0, 3.0):
        m = SovereignModel(tiny.model_copy(deep=True), rng=1)
        m.scenario.demand.fringe_demand_share = share
        _demand_scaled(m, 0.3)  # a glut: far more capacity than demand
        games[share] = (m, clear_compute_market(m, _power(m)))
    plain, fringed = games[0.0][1], games[3.0][1]
    assert fringed.segments.fringe.sum() == len(games[3.0][0].region_ix)  # one row per region
    assert set(fringed.segments.klass[fringed.segments.fringe]) == {"training"}  # batch work: no latency, no law
    assert not plain.segments.fringe.any()
    cheapest = tiny.demand.wtp_usd_per_hour["training"] * tiny.demand.fringe_wtp_share
    # no fringe: no rent anywhere, the price of new compute is the running cost
    assert float(np.asarray(plain.market.price).max()) < 0.05
    # with it: served at about its price (within the logit's spread)
    fringe_served = float(fringed.served[fringed.segments.fringe].sum())
    assert fringe_served > 0
    assert fringed.spot_price_global > plain.spot_price_global + 0.3
    assert fringed.spot_price_global > cheapest - 3 * tiny.demand.preference_spread_usd_per_hour
    # the demand wanted is the same in both games (the fringe is left out)
    assert float(fringed.segments.wanted().sum()) == pytest.approx(float(plain.segments.wanted().sum()), rel=1e-12)


def test_compute_fringe_gets_almost_nothing_when_capacity_is_short(tiny):
    """In a shortage the fringe, paying under the lowest tranche's price, is rationed first."""
    m = SovereignModel(tiny.model_copy(deep=True), rng=1)
    m.scenario.demand.fringe_demand_share = 0.3
    _demand_scaled(m, 3.0)  # demand far over capacity
    res = clear_compute_market(m, _power(m))
    fringe = res.segments.fringe
    assert fringe.any()
    assert float(res.served[fringe].sum()) < 0.01 * float(res.segments.qty[fringe].sum())


def test_a_rationed_lab_bids_more_for_compute_up_to_its_cap(model):
    """A lab left short last quarter pays `rationed_wtp_per_unmet` points more per point unmet, up to
    `rationed_wtp_max` times its usual price; a lab served in full, and every startup, pays as usual."""
    from sovereign.sim.phases.compute import demand_segments

    labs = model.scenario.labs
    lab = next(a for a in model.seats.values() if a.kind == "lab" and a.state.get("demand_h100e", 0.0) > 0)
    base = model.scenario.demand.wtp_usd_per_hour["training"] * labs.lab_wtp_premium

    def lab_wtp(served_share):
        lab.state["served_share"] = served_share
        seg = demand_segments(model)
        return float(seg.wtp[seg.owner.index(lab.seat_id)])

    assert lab_wtp(1.0) == pytest.approx(base)
    assert lab_wtp(0.9) == pytest.approx(base * (1 + labs.rationed_wtp_per_unmet * 0.1))
    assert lab_wtp(0.0) == pytest.approx(base * labs.rationed_wtp_max)  # capped
    startups = [j for j, who in enumerate(demand_segments(model).owner) if who and model.seats[who].kind == "startup"]
    assert all(demand_segments(model).wtp[j] == model.scenario.demand.wtp_usd_per_hour["inference"] for j in startups)


def test_a_labs_served_share_is_kept_when_plans_are_adjusted(model):
    """`advance` records what share of its demand each lab was served (what it bids up by next quarter)."""
    model.step()
    for agent in model.seats.values():
        if agent.kind == "lab" and agent.state.get("demand_h100e", 0.0) > 0:
            assert 0.0 <= agent.state["served_share"] <= 1.0


# -- chips ---------------------------------------------------------------------------------------
def test_chips_fabs_book_what_buyers_paid(model):
    free = model.free_h100e("cloudco", model.region_ix["USA"], model.class_ix["frontier"])
    assert free > 0
    bid = BuyAccelerators(accelerator="frontier", h100e=min(free, 50_000.0), max_price_usd=20_000.0, region="USA")
    before = _cash(model)
    res = clear_chips(model, [("cloudco", bid)], _no_events(model))
    g = model.class_ix["frontier"]
    assert res.sold[g] > 0
    paid = res.sold[g] * res.price[g] / 1e9
    assert before["cloudco"] - model.seats["cloudco"].state["cash_busd"] == pytest.approx(paid, rel=1e-12)
    assert float(res.fab_revenue_busd.sum()) == pytest.approx(paid, rel=1e-12)
    fab = model.seats["fabco"].state
    assert fab["revenue_q"] == pytest.approx(paid, rel=1e-12)  # the fab books its sales as revenue
    assert fab["cash_busd"] - before["fabco"] == pytest.approx(paid - float(res.fab_cost_busd.sum()), rel=1e-9)


def test_chips_without_bids_sell_nothing_at_the_reserve(model):
    res = clear_chips(model, [], _no_events(model))
    assert (res.sold == 0).all()
    np.testing.assert_allclose(res.price, model.list_price * model.scenario.economics.chip_reserve_share)
    assert (res.fab_revenue_busd == 0).all()


def test_chips_a_disrupted_fab_makes_less(model):
    effects = _no_events(model)
    full = clear_chips(model, [], effects).supply.copy()
    effects.fab_derate[:] = 0.5
    assert clear_chips(model, [], effects).supply == pytest.approx(full * 0.5)


# -- finance -------------------------------------------------------------------------------------
def test_lab_revenue_follows_a_demand_curve(tiny):
    state = {"yield_usd": 1.2, "scale_h100e": 100_000.0}
    base = lab_revenue_busd(tiny, state, 100_000.0)
    assert base == pytest.approx(1.2 * 100_000 * HOURS / 1e9)
    k = tiny.labs.revenue_scale_exponent
    assert lab_revenue_busd(tiny, state, 200_000.0) == pytest.approx(base * 2**k)
    assert lab_revenue_busd(tiny, state, 0.0) == 0.0


def test_named_lab_yield_is_calibrated_to_its_revenue(baseline):
    m = SovereignModel(baseline, rng=0)
    st = m.seats["openai"].state
    actor = next(a for a in baseline.actors if a.id == "openai")
    year = lab_revenue_busd(baseline, st, actor.compute_demand_h100e) * 4
    assert year == pytest.approx(actor.revenue_busd_per_year)


def test_funding_odds_fall_in_a_winter_and_rise_with_growth(tiny):
    p = econ.funding_success_probability
    assert p(tiny, True, 0.0) < p(tiny, False, 0.0) < p(tiny, False, 1.0)
    assert p(tiny, False, 0.0) == pytest.approx(tiny.startups.round_success)


def test_revenue_growth_needs_a_year_of_history():
    assert revenue_growth({"revenue_hist": [1.0, 1.1]}) == 0.0
    assert revenue_growth({"revenue_hist": [1.0, 1.2, 1.4, 2.0]}) == pytest.approx(1.0)


def test_a_startup_out_of_cash_shuts_down_and_its_debts_are_written_off(model):
    found_startups(model)
    model.economy.funding_winter_left = 0
    startups = [s for s, a in model.seats.items() if a.kind == "startup"]
    if not startups:
        model.scenario.startups.rate_per_quarter = 20
        found_startups(model)
        startups = [s for s, a in model.seats.items() if a.kind == "startup"]
    victim = startups[0]
    model.seats[victim].state["cash_busd"] = -0.3
    money = model.total_money_busd()
    failed = settle_finance(model)
    assert victim in failed and victim not in model.seats
    assert model.flows["in:write-offs"] >= 0.3 - 1e-12
    assert model.total_money_busd() == pytest.approx(money, abs=1e-9)


def test_firms_pay_out_cash_above_their_keep_and_borrow_when_short(model):
    cloud = model.seats["cloudco"].state
    cloud["cash_busd"], cloud["revenue_q"] = 500.0, 5.0  # keep: a year of revenue, $20B
    fab = model.seats["fabco"].state
    fab["cash_busd"], fab["revenue_q"] = -2.0, 1.0
    settle_finance(model)
    paid_out = model.flows["out:dividends and buybacks"]
    assert paid_out > 0
    keep = model.scenario.finance.payout_cash_years * 20.0
    assert cloud["cash_busd"] == pytest.approx(
        500.0 - (500.0 - keep) * model.scenario.finance.payout_share_per_quarter, rel=1e-9
    )
    assert fab["debt_busd"] == pytest.approx(2.0) and fab["cash_busd"] == pytest.approx(0.0)


def test_nations_budget_follows_gdp(model):
    r = model.region_ix["IND"]
    before = model.budget_busd("IND")
    advance(model)
    growth = model.scenario.regions[r].gdp_growth
    assert model.budget_busd("IND") == pytest.approx(before * (1 + growth) ** 0.25)


def test_valuation_moves_towards_revenue_times_a_multiple(model):
    st = model.seats["cloudco"].state
    st["valuation_busd"], st["revenue_q"], st["cash_busd"] = 0.0, 10.0, 10.0
    settle_finance(model)
    assert st["valuation_busd"] > 0
    assert st["revenue_busd"] == pytest.approx(10.0) and st["revenue_q"] == 0.0


# -- demand and founding ---------------------------------------------------------------------------
def test_startups_keep_being_founded_late_in_the_game(model):
    model.quarter = model.end_q
    model.scenario.startups.rate_per_quarter = 10
    before = model.economy.startups_spawned
    found_startups(model)
    assert model.economy.startups_spawned > before


def test_fewer_startups_are_founded_in_a_funding_winter(tiny):
    """Foundings are Poisson at `rate_per_quarter`, times `winter_factor` while a winter lasts."""
    founded = {}
    for winter in (0, 10**6):
        m = SovereignModel(tiny, rng=3)
        m.scenario.startups.rate_per_quarter, m.scenario.startups.max_alive = 5.0, 1000
        m.economy.funding_winter_left = winter
        for _ in range(40):
            found_startups(m)
        founded[winter > 0] = m.economy.startups_spawned
    sp = tiny.startups
    assert founded[False] == pytest.approx(40 * 5.0, rel=0.2)  # ~200, sd ~14
    assert founded[True] == pytest.approx(40 * 5.0 * sp.winter_factor, rel=0.25)
    assert founded[True] < founded[False]


def test_seed_funding_is_capped_by_expected_revenue(model):
    model.scenario.startups.rate_per_quarter = 20
    found_startups(model)
    sp = model.scenario.startups
    for a in model.seats.values():
        if a.kind == "startup":
            st = a.state
            revenue_year = st["yield_usd"] * st["demand_h100e"] * econ.HOURS_PER_YEAR / 1e9
            assert st["seed_busd"] <= sp.max_cash_revenue_years * revenue_year + 1e-12


# -- orders, construction, events ------------------------------------------------------------------
def test_a_build_pays_capex_and_takes_the_build_time(model):
    model.scenario.grid.connection_margin = -0.5  # the grid has room: the connection is not the point here
    model.submit("bharat", BuildDatacenter(region="IND", it_mw=50))
    cash = model.seats["bharat"].state["cash_busd"]
    apply_orders(model)
    (p,) = [p for p in model.world.projects if p["owner"] == "bharat"]
    r = model.region_ix["IND"]
    assert p["done"] - p["started"] == econ.datacenter_build_quarters(
        model.scenario, int(model.world.permitting_quarters[r])
    )
    cost = econ.datacenter_capex_busd(model.scenario, r, 50)
    assert cash - model.seats["bharat"].state["cash_busd"] == pytest.approx(cost - p["subsidy_busd"])
    n_dc = len(model.world.dc_region)
    model.quarter = p["done"]
    complete_projects(model)
    assert len(model.world.dc_region) == n_dc  # built, but waiting for its grid connection
    connect_datacenters(model)
    assert p["connected"] == model.quarter
    complete_projects(model)
    assert len(model.world.dc_region) == n_dc + 1
    assert model.world.dc_pue[-1] <= model.scenario.economics.new_build_pue_cap


def test_a_second_answer_to_the_same_event_is_refused_when_applied(tiny):
    m = SovereignModel(tiny, rng=0, human_seats=["IND"])
    m.pending_decisions["IND"] = {0: ["Fund it", "Wait"]}
    assert m.submit("IND", Decide(event_id=0, option=0)).accepted
    assert m.submit("IND", Decide(event_id=0, option=1)).accepted  # both checked at the quarter's start
    apply_orders(m)
    refused = [e for e in m.command_log if e["stage"] == "apply"]
    assert len(refused) == 1 and "already decided" in refused[0]["reason"]


def test_events_return_their_effects_for_the_quarter(tiny):
    m = SovereignModel(tiny.model_copy(deep=True), rng=0)
    m.scenario.events.heatwave = 1.0
    m.scenario.events.fab_disruption = 1.0
    effects = apply_events(m)
    assert effects.heat.max() == pytest.approx(m.scenario.events.heatwave_demand_factor)
    assert effects.fab_derate.min() == pytest.approx(1 - m.scenario.events.fab_disruption_loss)
    power = clear_power_markets(m, effects)
    assert math.isfinite(float(power.price_avg.sum()))


def test_a_regional_disruption_delays_everything_being_built_there(tiny):
    """A blockade stops the building sites too: half a quarter lost adds a quarter to every schedule."""
    from sovereign.sim.phases.events import halt_building
    from sovereign.sim.world import project_record

    m = SovereignModel(tiny.model_copy(deep=True), rng=0)
    w, usa, chn = m.world, m.region_ix["USA"], m.region_ix["CHN"]
    q = m.quarter
    w.projects.append(project_record(1, "build_datacenter", "cloudco", "USA", 100.0, (q, q + 4), "hall"))
    w.projects.append(project_record(2, "build_datacenter", "dragon", "CHN", 100.0, (q, q + 4), "far hall"))
    fab = w.add_fab(usa, m.seat_pos["fabco"], 0, 10_000.0, q + 6, "new fab")
    running = np.flatnonzero((w.fab_region == usa) & (w.fab_online < q))
    before_running = w.fab_online[running].copy()
    halt_building(m, usa, 0.3)  # under half a quarter: carried, nothing moves yet
    assert [p["done"] for p in w.projects] == [q + 4, q + 4] and w.fab_online[fab] == q + 6
    halt_building(m, usa, 0.6)  # 0.9 lost in all: a quarter added, 0.1 owed back
    assert [p["done"] for p in w.projects] == [q + 5, q + 4]  # China's site is not blockaded
    assert w.fab_online[fab] == q + 7
    assert np.array_equal(w.fab_online[running], before_running)  # running fabs are not rebuilt
    assert w.build_delay[usa] == pytest.approx(-0.1) and w.build_delay[chn] == 0.0


def test_an_efficiency_breakthrough_brings_the_next_generation_early_then_the_trend_waits(tiny):
    """New chips' power per H100e follows the yearly trend; a breakthrough puts it ahead, it stays
    there until the trend catches up, then follows the trend again: the long-run path is the trend's."""
    from sovereign.sim.phases.events import _apply

    m = SovereignModel(tiny.model_copy(deep=True), rng=0)
    m.scenario.demand.efficiency_gain_per_year = 0.15
    m.scenario.events.efficiency_gain = 0.15
    g, step = m.economy, 0.85**0.25
    advance(m)
    assert g.efficiency_mult == pytest.approx(step)  # on the trend
    _apply(m, _no_events(m), "efficiency_breakthrough", None, None, 0.15, "breakthrough", "")
    ahead = g.efficiency_mult
    assert ahead == pytest.approx(step * 0.85)  # a year ahead of the trend
    path = []
    for _ in range(6):
        advance(m)
        path.append(g.efficiency_mult)
    # flat while ahead (the trend reaches it after 4 more quarters), then the trend's own values
    assert path[:3] == [ahead, ahead, ahead]
    assert path[3:] == pytest.approx([step**5, step**6, step**7])
    # without a trend, a breakthrough's gain lasts
    m.scenario.demand.efficiency_gain_per_year = 0.0
    before = g.efficiency_mult
    _apply(m, _no_events(m), "efficiency_breakthrough", None, None, 0.15, "breakthrough", "")
    advance(m)
    assert g.efficiency_mult == pytest.approx(before * 0.85)


def test_money_is_conserved_every_quarter_of_the_baseline(baseline):
    m = SovereignModel(baseline, rng=3)
    for _ in range(8):
        m.step()
        assert m.total_money_busd() == pytest.approx(m.economy.initial_money_busd, rel=1e-12, abs=1e-6)


def test_chips_made_in_tier3_never_go_to_a_tier1_buyer(model):
    """Sanctions bind on the buyer as well as the destination (issue 11)."""
    free = model.free_h100e("cloudco", model.region_ix["USA"], model.class_ix["frontier"])
    bid = BuyAccelerators(accelerator="frontier", h100e=min(free, 50_000.0), max_price_usd=20_000.0, region="USA")
    w = model.world
    other = next(i for r, i in model.region_ix.items() if r != "USA")
    w.fab_region[:] = other  # every fab now in a tier-3 country, the buyer at home in tier 1
    w.export_tier[other], w.export_tier[model.region_ix["USA"]] = 3, 1
    res = clear_chips(model, [("cloudco", bid)], _no_events(model))
    assert res.sold[model.class_ix["frontier"]] == 0.0


@pytest.mark.parametrize(
    ("scenario", "quarters"),
    [("baseline.yaml", 16), ("lessons/export_controls.yaml", 10), ("lessons/india_1gw.yaml", 10)],
)
def test_compute_phase_groups_agree_with_its_allowed_pairs_and_penalties(monkeypatch, scenario, quarters):
    """The phase skips the market's group check (`CHECK_GROUPS`): its labels must pass it in real games.

    With the check on, a tranche or site group whose members differ in the pairs they may trade or
    their penalties raises ValueError; and the check changes nothing else (same game either way).
    """
    from pathlib import Path

    import sovereign
    from sovereign.scenario import load_scenario
    from sovereign.sim.phases import compute as phase

    sc = load_scenario(Path(sovereign.__file__).parent / "scenarios" / scenario)
    if "export" in scenario:  # tier-3 buyers barred from the producers' clouds: a key of the site groups
        sc = sc.model_copy(deep=True)
        sc.export_controls.remote_access_barred = True
    games = {}
    for check in (True, False):
        monkeypatch.setattr(phase, "CHECK_GROUPS", check)
        m = SovereignModel(sc, rng=5)
        m.run(quarters)
        games[check] = m
    assert games[True].metrics.tables() == games[False].metrics.tables()
