"""The grid's rules, each on a small hand-built state: planning, connections, prices, curtailment."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sovereign.sim import economics as econ
from sovereign.sim.commands import BuildDatacenter, ExpandGrid, SetLargeLoadRules
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases import grid
from sovereign.sim.phases import power as power_phase
from sovereign.sim.phases.construction import complete_projects
from sovereign.sim.phases.orders import apply_orders
from sovereign.sim.phases.power import ai_load_mw, clear_power_markets, peak_hours_short
from sovereign.sim.state import EventEffects
from sovereign.sim.world import TECHNOLOGIES, project_record

GAS, SOLAR, WIND, STORAGE = (TECHNOLOGIES.index(t) for t in ("gas", "solar", "wind", "storage"))


@pytest.fixture
def model(tiny):
    return SovereignModel(tiny.model_copy(deep=True), rng=1)


def _calm(model):
    return EventEffects(fab_derate=np.ones(len(model.world.fab_capacity)), heat=np.ones(len(model.region_ix)))


def _queue(model, region, mw, owner="bharat", done=None):
    """A datacenter request of `mw` facility MW in the queue, built (done) now unless told otherwise."""
    q = model.quarter
    p = project_record(
        1000 + len(model.world.projects),
        "build_datacenter",
        owner,
        region,
        mw / 1.3,
        (q, q if done is None else done),
        f"test: {mw} MW",
        grid=(mw, -1, False),
    )
    model.world.projects.append(p)
    return p


# -- within-slice peaks and prices ------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(
    demand=st.floats(1.0, 1e6),
    supply_share=st.floats(0.0, 2.0),
    swing=st.floats(1.0, 1.9),
)
def test_peak_hours_short_is_the_expected_shortfall_of_demand_spread_over_the_slice(demand, supply_share, swing):
    # a spread of a few ulps (swing 1 + 2e-16) makes the sampled reference's share of hours noise
    assume(swing == 1.0 or swing > 1.0 + 1e-9)
    supply = demand * supply_share
    share, hours = peak_hours_short(np.array([[demand]]), np.array([[supply]]), np.array([[swing]]))
    lo, hi = demand * (2 - swing), demand * swing
    grid_d = np.linspace(lo, hi, 20001)
    expected = np.mean(np.maximum(grid_d - supply, 0.0)) / demand
    assert share[0, 0] == pytest.approx(min(expected, 1.0), abs=1e-3)
    assert hours[0, 0] == pytest.approx(np.mean(grid_d > supply), abs=1e-3)


def _settle_slices_numpy(demand, base, spare, unserved, price, swing, hours, voll, dc_mw, ai_mw, dc_last, dispatch):
    """The power phase's settlement as numpy computed it before it was compiled: the reference."""
    d, s, f = demand, demand - unserved + spare, swing
    lo, hi = d * (2.0 - f), d * f
    width = np.maximum(hi - lo, 1e-9)
    cut = np.clip(s, lo, hi)
    above = (hi - cut) ** 2 / (2.0 * width) + np.maximum(lo - s, 0.0)
    short = np.minimum(np.divide(above, d, out=np.zeros_like(d), where=d > 0), 1.0)
    short_hours = np.where(s < hi, np.clip((hi - s) / width, 0.0, 1.0), 0.0)
    unserved = short * demand
    price = price + short_hours * np.maximum(voll - price, 0.0)
    first = np.minimum(1.0, np.divide(unserved, demand, out=np.zeros_like(demand), where=demand > 0))
    last = np.minimum(1.0, np.maximum(unserved - base, 0.0) / np.maximum(dc_mw[None, :], 1e-9))
    curtail = np.where(dc_mw[None, :] > 0, np.where(dc_last[None, :], last, first), 0.0)
    return (
        price,
        (curtail * hours[:, None]).sum(0) / hours.sum(),
        (dc_mw[None, :] * (1.0 - curtail) * hours[:, None]).sum(0),
        (ai_mw[None, :] * (1.0 - curtail) * hours[:, None]).sum(0),
        (price * hours[:, None]).sum(0) / hours.sum(),
        (demand * hours[:, None]).sum(0),
        (demand * swing).max(axis=0),
        (dispatch * hours[:, None, None]).sum(0),
    )


@pytest.mark.parametrize("seed", range(40))
def test_the_compiled_settlement_is_the_numpy_rule_to_the_bit(seed):
    """Shortfalls, scarcity prices, curtailment (first or last) and the quarter's sums, bit for bit."""
    rng = np.random.default_rng(seed)
    n_s, n_r, n_t = int(rng.integers(1, 5)), int(rng.integers(1, 30)), int(rng.integers(1, 10))

    def some(*shape, zeros=0.3, scale=1000.0):
        x = rng.random(shape) * scale
        return np.where(rng.random(shape) < zeros, 0.0, x)

    demand, base = some(n_s, n_r), some(n_s, n_r)
    spare, unserved = some(n_s, n_r, zeros=0.5), np.minimum(some(n_s, n_r, zeros=0.6), demand)
    price = rng.normal(60.0, 80.0, (n_s, n_r))
    swing = np.where(rng.random((n_s, n_r)) < 0.5, 1.0, 1.0 + rng.random((n_s, n_r)))
    hours = rng.random(n_s) * 1000.0 + 1.0
    dc_mw, ai_mw = some(n_r), some(n_r)
    dc_last, dispatch = rng.random(n_r) < 0.5, some(n_s, n_r, n_t)
    args = (demand, base, spare, unserved, price, swing, hours)
    rest = (dc_mw, ai_mw, dc_last, dispatch)
    got = power_phase._settle_slices(*args, hours.sum(), 3000.0, *rest)
    want = _settle_slices_numpy(*args, 3000.0, *rest)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.tobytes() == w.tobytes()


def test_capacity_price_is_the_cap_when_thin_nothing_when_ample_and_falls_between(tiny):
    g = tiny.grid
    margins = np.linspace(-0.2, 0.6, 81)
    price = econ.capacity_price_usd_mw_day(tiny, margins)
    assert np.all(price[margins <= g.capacity_margin_at_cap] == g.capacity_price_cap_usd_mw_day)
    assert np.all(price[margins >= g.capacity_margin_at_zero] == 0.0)
    assert np.all(np.diff(price) <= 0.0)


def test_first_quarter_retail_price_is_the_reference_then_moves_with_the_wholesale(model):
    power = clear_power_markets(model, _calm(model))
    ref = np.array([r.electricity_price_usd_mwh for r in model.scenario.regions])
    covered = ref >= power.wholesale_avg
    np.testing.assert_allclose(power.retail[covered], ref[covered])
    np.testing.assert_allclose(power.retail - power.wholesale_avg, model.world.network_charge)
    np.testing.assert_allclose(power.dc_price, power.retail + model.world.large_load_tariff)


def test_a_short_grid_curtails_datacenters_row_by_row_and_makes_the_news(model):
    r = model.region_ix["IND"]
    model.world.grid_mw[r] *= 0.6
    power = clear_power_markets(model, _calm(model))
    rows = model.world.dc_region == r
    assert power.dc_curtail[r] > 0.0
    np.testing.assert_allclose(power.dc_curtail_rows[rows], power.dc_curtail[r])
    assert (power.price[:, r] > 1000).any()  # scarcity hours price at the value of lost load
    assert any(n["kind"] == "power" and "India" in n["headline"] for n in model.quarter_news)


def test_ai_load_is_idle_power_when_nothing_sells_and_full_when_all_does(model):
    w, idle = model.world, model.scenario.grid.idle_power_share
    w.dc_util[:] = 0.0
    low = ai_load_mw(model)
    w.dc_util[:] = 1.0
    full = ai_load_mw(model)
    np.testing.assert_allclose(low, idle * full)
    np.testing.assert_allclose(full, w.dc_kw * w.dc_pue / 1000.0)


def test_minimum_take_bills_the_idle_part_of_connected_load_and_money_is_conserved(model):
    w = model.world
    d = int(np.argmax(w.dc_it_mw))
    r = int(w.dc_region[d])
    owner = model.seat_ids[w.dc_owner[d]]
    w.min_take_share[r] = 0.85
    w.dc_util[:] = 0.0
    before = model.seats[owner].state["cash_busd"]
    total = model.total_money_busd()  # every seat's cash and the outside account
    clear_power_markets(model, _calm(model))
    assert model.seats[owner].state["cash_busd"] < before
    assert model.total_money_busd() == pytest.approx(total)


# -- planning ---------------------------------------------------------------------------------
def test_lead_quarters_agree_with_the_economics_rule_for_every_region_and_technology(model):
    model.economy.turbine_backlog_gw = 37.0
    lead = grid.lead_quarters(model)
    for r, reg in enumerate(model.scenario.regions):
        for t, tech in enumerate(TECHNOLOGIES):
            if tech in model.scenario.technologies:
                want = econ.plant_build_quarters(model.scenario, tech, int(reg.permitting_quarters), 37.0)
                assert lead[r, t] == want, (reg.id, tech)


def test_gas_plants_queue_for_turbines_in_booking_order(model):
    model.economy.turbine_backlog_gw = 0.0
    supply_q = model.scenario.grid.turbine_supply_gw_per_year / 4.0
    done = grid.order_plants(model, np.array([0, 0]), np.array([GAS, GAS]), np.array([supply_q * 1000.0] * 2))
    assert done[1] - done[0] == 1  # the second waits a quarter more for its turbines
    assert model.economy.turbine_backlog_gw == pytest.approx(2 * supply_q)
    rows = [p for p in model.metrics.plant_orders if p["technology"] == "gas"]
    assert len(rows) == 2 and all(p["by"] == "utilities" for p in rows)


@settings(max_examples=100, deadline=None)
@given(
    s=st.integers(0, 2),
    allowed=st.lists(st.booleans(), min_size=len(TECHNOLOGIES), max_size=len(TECHNOLOGIES)),
    horizon=st.integers(1, 40),
)
def test_no_technology_is_chosen_for_a_slice_it_cannot_serve_or_after_the_horizon(tiny, s, allowed, horizon):
    m = SovereignModel(tiny, rng=0)
    lead = grid.lead_quarters(m)
    t = grid.cheapest_in_time(m, np.full(len(m.region_ix), s), np.array([allowed] * len(m.region_ix)), lead, horizon)
    for r, tech in enumerate(t.tolist()):
        if tech >= 0:
            assert allowed[tech] and m.tech_avail[s, tech] >= grid.MIN_AVAILABILITY and lead[r, tech] <= horizon


def test_solar_is_never_the_answer_to_an_evening_peak(model):
    evening = int(np.argmax(model.slice_factor))
    allowed = np.ones(len(TECHNOLOGIES), bool)
    t, s = grid.best_firm_technology(model, 0, allowed, 24, s=evening)
    assert s == evening and TECHNOLOGIES[t] != "solar"


def test_a_short_region_is_planned_back_to_its_target_margin_within_the_horizon(model):
    """Yearly plans, each order placed in the last year it can be: the margin is back within the horizon."""
    w, r = model.world, model.region_ix["IND"]
    w.grid_mw[r] *= 0.7
    rows = slice(r, r + 1)

    def margin():
        firm = grid.firm_capacity(model, w.grid_mw[rows])
        return grid.planning_margin(model, firm, grid.expected_dc_mw(model)[rows], w.base_demand_mw[rows], rows)[0]

    assert margin() < 0.0
    for q in range(max(model.scenario.grid.plan_horizon_quarters, 40) + 8):
        if q % 4 == 0:
            grid._plan_adequacy(model)
        model.quarter += 1
        grid._deliver(model)
    assert margin() >= model.scenario.grid.target_reserve_margin - 0.02
    orders = [p for p in model.metrics.plant_orders if p["region"] == "IND"]
    assert orders and all(p["availability"] >= grid.MIN_AVAILABILITY for p in orders)


def _adequacy_mw(model, region):
    return sum(p["mw"] for p in model.metrics.plant_orders if p["region"] == region and p["purpose"] == "adequacy")


def test_utilities_plan_for_what_halls_draw_not_their_nameplate(tiny):
    """An empty hall connected orders no plants; its chips do once installed; a queued hall counts at the fill."""
    plain, empty = (SovereignModel(tiny.model_copy(deep=True), rng=1) for _ in range(2))
    r = plain.region_ix["IND"]
    for m in (plain, empty):
        m.world.grid_mw[r] *= 0.7  # short: the utilities order plants either way
    w = empty.world
    d = w.add_datacenter(r, empty.seat_index("bharat"), 2000.0, 1.3, "empty campus")
    assert grid.contracted_dc_mw(empty)[r] == pytest.approx(grid.contracted_dc_mw(plain)[r] + 2600.0)
    assert grid.expected_dc_mw(empty)[r] == pytest.approx(grid.expected_dc_mw(plain)[r])
    grid._plan_adequacy(plain)
    grid._plan_adequacy(empty)
    assert _adequacy_mw(plain, "IND") > 0.0
    # planned at its nameplate, the empty campus would have ordered ~2,600 MW x margin x peak more
    assert _adequacy_mw(empty, "IND") == pytest.approx(_adequacy_mw(plain, "IND"))
    before = grid.expected_dc_mw(empty)[r]
    w.dc_kw[d] = 500.0 * econ.KW_PER_MW  # a quarter full
    assert grid.expected_dc_mw(empty)[r] == pytest.approx(before + 500.0 * 1.3)
    # a hall still queued counts at the share of the region's hall capacity the chips fill
    fill = grid.installed_ai_mw(empty)[w.dc_region == r].sum() / (w.dc_it_mw * w.dc_pue)[w.dc_region == r].sum()
    before = grid.expected_dc_mw(empty)[r]
    _queue(empty, "IND", 650.0)
    assert grid.expected_dc_mw(empty)[r] == pytest.approx(before + fill * 650.0)


def test_a_queued_hall_counts_at_most_at_its_nameplate_even_where_halls_are_overfull(tiny):
    """The fill is a share of the halls: at most 1, and finite for a hall of 5e-324 MW holding chips.

    Found by the scenario fuzzer: a scenario's hall of 5e-324 MW with 800,000 H100e installed made
    the fill overflow to inf, and a queued hall's load NaN.
    """
    m = SovereignModel(tiny.model_copy(deep=True), rng=1)
    r, w = m.region_ix["IND"], m.world
    d = w.add_datacenter(r, m.seat_index("bharat"), 5e-324, 1.3, "a sliver")
    w.dc_kw[d] = 800_000.0  # far more than it holds
    before = grid.expected_dc_mw(m)[r]
    assert np.isfinite(before)
    _queue(m, "IND", 650.0)
    after = grid.expected_dc_mw(m)[r]
    assert np.isfinite(after) and before < after <= before + 650.0 + 1e-6


def test_the_reserve_margin_and_capacity_price_count_halls_at_what_they_are_expected_to_draw(model):
    r = model.region_ix["IND"]
    before = clear_power_markets(model, _calm(model))
    model.world.add_datacenter(r, model.seat_index("bharat"), 2000.0, 1.3, "empty campus")
    after = clear_power_markets(model, _calm(model))
    assert after.reserve_margin[r] == pytest.approx(before.reserve_margin[r])
    assert after.capacity_usd_mw_day[r] == pytest.approx(before.capacity_usd_mw_day[r])


def test_retirement_closes_the_utilities_fleet_not_the_players_plants(model):
    w = model.world
    w.add_plant(0, model.seat_index("cloudco"), GAS, 1000.0)
    model.scenario.technologies["gas"].retire_per_year = 0.4
    model.tech_retire[GAS] = 0.4
    before = w.grid_mw[0, GAS]
    grid._deliver(model)
    assert w.grid_mw[0, GAS] == pytest.approx(1000.0 + (before - 1000.0) * 0.9)


# -- connections ------------------------------------------------------------------------------
def test_connections_go_first_come_first_served_within_the_networks_capacity(model):
    w, r = model.world, model.region_ix["USA"]
    model.scenario.grid.connection_margin = -0.5
    w.queue_others = np.zeros((0, 4))
    w.conventional_dc_mw[:] = 0.0
    w.connection_mw_q[r] = 100.0
    first, second = _queue(model, "USA", 150.0), _queue(model, "USA", 50.0)
    grid.connect_datacenters(model)
    assert first["grid_done_mw"] == 100.0 and first["connected"] < 0
    assert second["grid_done_mw"] == 0.0  # it does not overtake the head of the queue
    model.quarter += 1
    grid.connect_datacenters(model)
    assert first["connected"] == model.quarter and second["connected"] == model.quarter


def test_others_queued_before_the_game_are_served_first_and_their_wait_recorded(model):
    w, r = model.world, model.region_ix["USA"]
    model.scenario.grid.connection_margin = -0.5
    w.conventional_dc_mw[:] = 0.0
    w.connection_mw_q[r] = 100.0
    w.queue_others = np.array([[r, model.quarter, 150.0, 150.0]])
    p = _queue(model, "USA", 10.0)
    grid.connect_datacenters(model)
    assert p["connected"] < 0
    model.quarter += 1
    grid.connect_datacenters(model)
    assert p["connected"] == model.quarter
    (row,) = [c for c in model.metrics.connections if c["owner"] == "others"]
    assert row["wait_quarters"] == 1 and row["grid_mw"] == 150.0


def test_a_connection_waits_while_the_margin_would_fall_below_the_connection_margin(model):
    w, r = model.world, model.region_ix["USA"]
    w.queue_others = np.zeros((0, 4))
    w.connection_mw_q[r] = 1e6
    model.scenario.grid.connection_margin = 2.0  # no grid has that much to spare
    p = _queue(model, "USA", 10.0)
    grid.connect_datacenters(model)
    assert p["connected"] < 0 and p["grid_done_mw"] == 0.0


def test_a_built_hall_opens_only_when_connected(model):
    w = model.world
    p = _queue(model, "USA", 13.0)
    n = len(w.dc_region)
    complete_projects(model)
    assert len(w.dc_region) == n and p in w.projects
    p["connected"] = model.quarter
    complete_projects(model)
    assert len(w.dc_region) == n + 1
    assert model.metrics.connections[-1]["wait_quarters"] == 0


def test_a_moratorium_refuses_grid_builds_but_on_site_gas_skips_the_queue(model):
    model.human_seats.add("IND")
    assert model.submit("IND", SetLargeLoadRules(moratorium=True, tariff_usd_mwh=20.0)).accepted
    apply_orders(model)
    r = model.region_ix["IND"]
    assert model.world.moratorium_until[r] > model.quarter and model.world.large_load_tariff[r] == 20.0
    assert any("stops connecting" in n["headline"] for n in model.quarter_news)
    refused = model.submit("bharat", BuildDatacenter(region="IND", it_mw=50))
    assert not refused.accepted and "on-site" in refused.reason
    assert model.submit("bharat", BuildDatacenter(region="IND", it_mw=50, onsite=True)).accepted
    apply_orders(model)
    (p,) = [p for p in model.world.projects if p["owner"] == "bharat" and p["onsite"]]
    plants = len(model.world.plant_mw)
    model.quarter = p["done"]
    complete_projects(model)
    assert len(model.world.plant_mw) == plants + 1
    assert model.world.plant_mw[-1] == pytest.approx(p["grid_mw"]) and TECHNOLOGIES[model.world.plant_tech[-1]] == "gas"


def test_a_nation_pays_for_network_that_connects_more_later(model):
    model.human_seats.add("IND")
    r = model.region_ix["IND"]
    cash = model.seats["IND"].state["cash_busd"]
    assert model.submit("IND", ExpandGrid(mw_per_year=400.0)).accepted
    apply_orders(model)
    cost = 400.0 * model.scenario.grid.network_capex_musd_per_mw / 1000.0
    assert cash - model.seats["IND"].state["cash_busd"] == pytest.approx(cost)
    (order,) = model.world.network_orders[model.world.network_orders[:, 1] == r]
    before = model.world.connection_mw_q[r]
    model.quarter = int(order[0])
    grid._deliver(model)
    assert model.world.connection_mw_q[r] == pytest.approx(before + 100.0)


def test_a_longer_queue_means_a_longer_expected_wait(model):
    w, r = model.world, model.region_ix["USA"]
    w.queue_others = np.zeros((0, 4))
    short = grid.expected_wait_quarters(model)[r]
    w.queue_others = np.array([[r, -1, 40 * w.connection_mw_q[r], 0.0]])
    assert grid.expected_wait_quarters(model)[r] >= short + 40 - 12


def test_an_ai_nation_pays_for_network_only_where_datacenters_queue_and_nobody_builds_it(model):
    from sovereign.sim.policy.decide import nation

    w, r = model.world, model.region_ix["IND"]
    model.scenario.grid.network_build_quarters = 1  # the tiny game is short: network must come in time
    w.permitting_quarters[r] = 0
    model.seats["IND"].state["cash_busd"] = 1000.0
    model.results.pillars = {
        k: np.full(len(model.region_ix), 0.9) for k in ("compute_self_reliance", "data_governance")
    }
    w.network_orders = np.zeros((0, 3))
    w.queue_others = np.array([[r, -1, 100 * w.connection_mw_q[r], 0.0]])
    moves = [c for c in nation(model.seats["IND"]) if isinstance(c, ExpandGrid)]
    assert len(moves) == 1 and moves[0].mw_per_year > 0
    grid.add_network(model, r, 100.0)  # network already on order: no second one
    assert not [c for c in nation(model.seats["IND"]) if isinstance(c, ExpandGrid)]
    w.network_orders = np.zeros((0, 3))
    w.queue_others = np.zeros((0, 4))  # no queue: no need
    model.view_cache = None
    assert not [c for c in nation(model.seats["IND"]) if isinstance(c, ExpandGrid)]
    w.queue_others = np.array([[r, -1, 100 * w.connection_mw_q[r], 0.0]])
    model.scenario.grid.network_build_quarters = 40  # it would come after the game: not worth paying
    model.view_cache = None
    assert not [c for c in nation(model.seats["IND"]) if isinstance(c, ExpandGrid)]


def test_the_figures_kept_within_a_span_of_the_quarter_equal_a_fresh_computation(baseline, monkeypatch):
    """`computed_once`: every figure a phase or an AI reads while one is kept is what computing it
    afresh at that moment gives, bit for bit (so the memo cannot change a game), and the memo is
    used and gone between quarters."""
    import sys

    fresh = {
        "_hall_projects_mw": grid._add_hall_projects,
        "expected_dc_mw": grid._expected_dc_mw,
        "lead_quarters": grid._lead_quarters,
        "binding_slice": grid._binding_slice,
    }
    hits = dict.fromkeys(fresh, 0)

    def checked(name, kept):
        def check(model, *args):
            got = kept(model, *args)
            want = fresh[name](model, *args)
            for g, w in zip(got, want, strict=True) if isinstance(got, tuple) else [(got, want)]:
                assert type(g) is type(w) and np.array_equal(g, w), name
                assert not isinstance(g, np.ndarray) or g.dtype == w.dtype, name
            if model.grid_memo is not None:
                hits[name] += 1
            return got

        return check

    for name in fresh:
        kept = getattr(grid, name)
        for mod_name, mod in list(sys.modules.items()):
            if mod_name.startswith("sovereign") and getattr(mod, name, None) is kept:
                monkeypatch.setattr(mod, name, checked(name, kept))
    model = SovereignModel(baseline, rng=3)
    for _ in range(10):  # two yearly plans, the AI's plants and hall orders
        model.step()
        assert model.grid_memo is None
    assert all(hits.values()), hits


def test_a_kept_figure_cannot_be_changed_by_its_reader(model):
    with grid.computed_once(model, all_fixed=True):
        for kept in (grid.expected_dc_mw(model), grid.lead_quarters(model), grid.queued_mw(model)):
            assert kept is not None and not kept.flags.writeable
    assert model.grid_memo is None and grid.queued_mw(model).flags.writeable
