"""Power: each region's market clears per time slice; shortages curtail datacenters.

Demand is the region's base load (scaled by time slice and heatwaves) plus datacenter load:
conventional datacenters at their calibrated trend, and AI halls at what their installed
accelerators draw (IT x PUE), which depends on how much of their compute sold last quarter
(idle chips draw `grid.idle_power_share` of full power). Supply is the merit order of the grid's
available capacity, coupled across interconnectors (`sovereign.markets.clear_power`).

Within a slice, demand swings around its average up to the annual peak hour
in the peak slice (`grid.peak_hour_factor`, demand taken as spread evenly between those bounds): where the capacity
a region can use falls short of those hours, the load above it goes unserved and the price in
those hours is the value of lost load, so thin margins raise prices before any average-load
shortage. Unserved load curtails datacenters pro rata with everyone, or only after other load
where the nation protects them; each datacenter's share is reported, and the news names the
regions that curtailed.

Prices: the wholesale energy price is the merit order's (with those scarcity hours); a capacity
price follows the planning reserve margin (`economics.capacity_price_usd_mw_day`, PJM-like; with
datacenters at the load the utilities plan for, `grid.expected_dc_mw`) and is spread over the
region's energy; the retail (industrial) price adds network charges and taxes, calibrated in the
first quarter so that it equals the region's 2026 reference price; datacenters pay retail plus the
region's large-load tariff, and at least the minimum take of their connected load. Owned plants earn
the margin between the price and their marginal cost. Owns: the plant owners' and datacenter owners'
power bills and earnings (through the ledger), the regions' network charges; returns `PowerResults`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

from sovereign.markets import clear_power
from sovereign.scenario.schema import quarter_label
from sovereign.sim import economics as econ
from sovereign.sim.phases.diplomacy import contracted_links, power_contract_flows
from sovereign.sim.phases.grid import expected_dc_mw, firm_capacity, installed_ai_mw, planning_margin
from sovereign.sim.state import EventEffects, PowerResults
from sovereign.sim.world import THERMAL

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel

#: Datacenter curtailment (share of the quarter's energy) worth a headline.
NEWSWORTHY_CURTAILMENT = 0.005


def ai_load_mw(model: SovereignModel) -> np.ndarray:
    """(D,) facility power each AI hall draws.

    Installed chips at their use last quarter, times PUE and the hall's efficiency upgrades
    (`World.dc_energy`).
    """
    w, sc = model.world, model.scenario
    idle = sc.grid.idle_power_share
    use = idle + (1.0 - idle) * w.dc_util  # dc_util: share of the fleet sold (availability included)
    return np.asarray(installed_ai_mw(model) * use)


def peak_hours_short(demand: np.ndarray, supply: np.ndarray, swing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of a slice's energy unserved, and share of its hours short, with demand spread over the slice.

    Demand (S, R) within a slice is taken as spread evenly between ``(2 - f) x`` and ``f x`` its
    average, f = `swing` (S, R) (the region's peak-hour factor in the peak slice, 1 elsewhere);
    `supply` is the most the region can serve in the slice. The rule is `_short_one`'s.
    """
    d, s, f = np.broadcast_arrays(*(np.asarray(a, float) for a in (demand, supply, swing)))
    share, hours = _peak_hours_short_flat(d.ravel(), s.ravel(), f.ravel())
    return share.reshape(d.shape), hours.reshape(d.shape)


@njit(cache=True)
def _short_one(d: float, supply: float, f: float) -> tuple[float, float]:
    """`peak_hours_short` of one region and slice: demand `d` spread over ``[(2 - f) d, f d]``.

    The load above `supply` in those hours, as a share of the energy (at most all of it), and the
    share of the hours it is above; written as the numpy rule was, operation for operation.
    """
    lo, hi = d * (2.0 - f), d * f
    width = max(hi - lo, 1e-9)
    cut = min(max(supply, lo), hi)
    gap = hi - cut
    above = gap * gap / (2.0 * width) + max(lo - supply, 0.0)
    share = above / d if d > 0 else 0.0
    hours = min(max((hi - supply) / width, 0.0), 1.0) if supply < hi else 0.0
    return min(share, 1.0), hours


@njit(cache=True)
def _peak_hours_short_flat(d: np.ndarray, supply: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_short_one` of each element of flat arrays."""
    share, hours = np.empty(d.shape[0]), np.empty(d.shape[0])
    for i in range(d.shape[0]):
        share[i], hours[i] = _short_one(d[i], supply[i], f[i])
    return share, hours


@njit(cache=True)
def _settle_slices(
    demand: np.ndarray,
    base: np.ndarray,
    spare: np.ndarray,
    market_unserved: np.ndarray,
    market_price: np.ndarray,
    swing: np.ndarray,
    hours: np.ndarray,
    hours_total: float,
    voll: float,
    dc_mw: np.ndarray,
    ai_mw: np.ndarray,
    dc_last: np.ndarray,
    dispatch: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """The quarter's shortfalls, prices, curtailment and energy from the market's clearing of each slice.

    Arrays (S, R) by slice and region unless said: `spare` is each region's idle capacity, the
    market's `dispatch` is (S, R, T). Within a slice the region serves at most what the market
    served plus its idle capacity (`_short_one` then gives the load above it over the slice's
    hours); the price in the hours short is VOLL. Unserved load curtails datacenters pro rata with
    all load, or, where the nation protects them (`dc_last`), only after other load. Sums over the
    slices are taken slice after slice (a scenario has at least one slice).

    Why compiled: some forty numpy calls on (3, R) arrays were most of the power phase's own time;
    each formula is written as the numpy version computed it, in the same order, so the numbers
    are the same to the bit (`tests/sim/test_grid_rules.py` holds it equal to that version).

    Returns:
        ``(price (S, R), dc_curtail, served_dc_mwh, ai_energy_mwh, price_avg, load_mwh, peak_mw,
        gen_mwh (R, T))``: (R,) unless said; `dc_curtail` and `price_avg` weighted by the hours.
    """
    n_s, n_r = demand.shape
    n_t = dispatch.shape[2]
    price = np.empty((n_s, n_r))
    dc_curtail, served, ai_energy = np.empty(n_r), np.empty(n_r), np.empty(n_r)
    price_avg, load, peak = np.empty(n_r), np.empty(n_r), np.empty(n_r)
    gen = np.empty((n_r, n_t))
    for r in range(n_r):
        for s in range(n_s):
            d = demand[s, r]
            short, short_hours = _short_one(d, d - market_unserved[s, r] + spare[s, r], swing[s, r])
            unserved = short * d
            p = market_price[s, r]
            p = p + short_hours * max(voll - p, 0.0)
            price[s, r] = p
            if dc_mw[r] > 0:
                if dc_last[r]:
                    c = min(1.0, max(unserved - base[s, r], 0.0) / max(dc_mw[r], 1e-9))
                else:
                    c = min(1.0, unserved / d if d > 0 else 0.0)
            else:
                c = 0.0
            h = hours[s]
            c_h, served_h, ai_h = c * h, dc_mw[r] * (1.0 - c) * h, ai_mw[r] * (1.0 - c) * h
            p_h, load_h, peak_s = p * h, d * h, d * swing[s, r]
            if s == 0:
                dc_curtail[r], served[r], ai_energy[r] = c_h, served_h, ai_h
                price_avg[r], load[r], peak[r] = p_h, load_h, peak_s
            else:
                dc_curtail[r] += c_h
                served[r] += served_h
                ai_energy[r] += ai_h
                price_avg[r] += p_h
                load[r] += load_h
                peak[r] = max(peak[r], peak_s)
        dc_curtail[r] /= hours_total
        price_avg[r] /= hours_total
        for t in range(n_t):
            g = dispatch[0, r, t] * hours[0]
            for s in range(1, n_s):
                g += dispatch[s, r, t] * hours[s]
            gen[r, t] = g
    return price, dc_curtail, served, ai_energy, price_avg, load, peak, gen


def clear_power_markets(model: SovereignModel, effects: EventEffects) -> PowerResults:
    """Clear every region's power market for the quarter, bill datacenters and pay plant owners."""
    w, sc = model.world, model.scenario
    heat = effects.heat
    n_r = len(heat)
    row_mw = ai_load_mw(model)
    ai_mw = np.bincount(w.dc_region, weights=row_mw, minlength=n_r)
    dc_mw = w.conventional_dc_mw * w.pue + ai_mw
    base = w.base_demand_mw[None, :] * model.slice_factor[:, None] * heat[None, :]  # (S, R)
    # power contracts between nations: the seller's grid serves the MW, the buyer's that much less
    # (`diplomacy.power_contract_flows`), over link capacity they reserve (`contracted_links`)
    base = np.maximum(base + power_contract_flows(model)[None, :], 0.0)
    demand = base + dc_mw[None, :]
    # heat derates thermal plants (cooling water) by the scenario's share
    derate = np.where(THERMAL[None, :], 1.0 - sc.events.heatwave_thermal_derate * (heat[:, None] > 1.0), 1.0)
    capacity = w.grid_mw[None, :, :] * model.tech_avail[:, None, :] * derate[None, :, :]
    cost = np.broadcast_to(model.tech_cost[None, None, :] * model.fuel_factor[None, :, None], capacity.shape)
    voll = sc.economics.voll_usd_mwh
    res = clear_power(np.ascontiguousarray(cost), capacity, demand, voll=voll, links=contracted_links(model))
    dispatch = np.asarray(res.dispatch)  # (S, R, T)
    hours = model.slice_hours
    hours_total = hours.sum()
    # the most each region can serve in a slice: what it served plus its idle local capacity
    spare = np.maximum(capacity.sum(2) - dispatch.sum(2), 0.0)
    price, dc_curtail, served_dc, ai_energy, price_avg, load_mwh, peak_mw, gen_mwh = _settle_slices(
        demand,
        base,
        spare,
        np.asarray(res.unserved),
        np.asarray(res.price),
        model.slice_swing,
        hours,
        hours_total,
        voll,
        dc_mw,
        ai_mw,
        w.dc_last,
        dispatch,
    )
    emissions_t = gen_mwh @ model.tech_emissions
    total_mwh = np.maximum(gen_mwh.sum(1), 1e-9)
    intensity = emissions_t / total_mwh  # t/MWh
    # prices: energy, capacity (from the planning margin of the load the utilities plan for: the
    # halls at what they are expected to draw, as a capacity auction clears against the forecast)
    margin = planning_margin(model, firm_capacity(model, w.grid_mw), expected_dc_mw(model), w.base_demand_mw)
    capacity_price = np.asarray(econ.capacity_price_usd_mw_day(sc, margin), float)
    capacity_usd_mwh = np.divide(capacity_price * peak_mw * 91.25, load_mwh, out=np.zeros(n_r), where=load_mwh > 0)
    wholesale = price_avg + capacity_usd_mwh
    if np.isnan(w.network_charge).any():  # first quarter: the 2026 reference price fixes network charges
        reference = np.array([r.electricity_price_usd_mwh for r in sc.regions], float)
        w.network_charge = np.where(
            np.isnan(w.network_charge), np.maximum(reference - wholesale, 0.0), w.network_charge
        )
    retail = wholesale + w.network_charge
    dc_price = retail + w.large_load_tariff
    rows_curtail = dc_curtail[w.dc_region]
    _bill_min_take(model, row_mw, rows_curtail, dc_price, hours_total)
    _pay_plant_owners(model, price, cost, dispatch, hours)
    _report_curtailment(model, dc_curtail, dc_mw)
    return PowerResults(
        market=res,
        demand_mw=demand,
        price=price,
        price_avg=price_avg,
        dc_curtail=dc_curtail,
        dc_energy_mwh=served_dc,
        dc_energy_wanted_mwh=dc_mw * hours_total,
        ai_energy_mwh=ai_energy,
        emissions_mt=emissions_t / 1e6,
        grid_intensity=intensity,
        dc_emissions_mt=served_dc * intensity / 1e6,
        reserve_margin=margin,
        capacity_usd_mw_day=capacity_price,
        wholesale_avg=wholesale,
        retail=retail,
        dc_price=dc_price,
        dc_curtail_rows=rows_curtail,
    )


def _bill_min_take(
    model: SovereignModel, row_mw: np.ndarray, rows_curtail: np.ndarray, dc_price: np.ndarray, hours: float
) -> None:
    """Owners pay for the minimum take of their connected load that they did not use (AEP-style tariffs).

    What they use is paid with their compute sales (`sovereign.sim.phases.compute`); this is the
    rest: ``min_take x IT MW x PUE`` less the energy drawn, at the datacenter price.
    """
    w = model.world
    if not (w.min_take_share > 0).any() or not len(w.dc_region):
        return
    floor = w.min_take_share[w.dc_region] * w.dc_it_mw * w.dc_pue
    used = row_mw * (1.0 - rows_curtail)
    charge = np.maximum(floor - used, 0.0) * hours * dc_price[w.dc_region] / 1e9  # $B
    bills = np.bincount(w.dc_owner, weights=charge, minlength=len(model.seat_ids))
    for o in np.flatnonzero(bills > 0).tolist():
        owner = model.seat_ids[o]
        if owner in model.seats:
            model.transfer(owner, model.OUTSIDE, float(bills[o]), "grid charges")


def _report_curtailment(model: SovereignModel, dc_curtail: np.ndarray, dc_mw: np.ndarray) -> None:
    """A headline for each region whose datacenters lost power this quarter."""
    sc = model.scenario
    for r in np.flatnonzero((dc_curtail >= NEWSWORTHY_CURTAILMENT) & (dc_mw > 0)).tolist():
        reg = sc.regions[r]
        model.add_news(
            "power",
            f"Power shortage in {reg.name}: datacenters lose {dc_curtail[r]:.1%} of their power "
            f"in {quarter_label(model.quarter)}",
            reg.id,
            None,
        )


def _pay_plant_owners(
    model: SovereignModel, price: np.ndarray, cost: np.ndarray, dispatch: np.ndarray, hours: np.ndarray
) -> None:
    """Owned plants earn their share of their technology's margin in their region."""
    w = model.world
    if not len(w.plant_mw):
        return
    share = w.plant_mw / np.maximum(w.grid_mw[w.plant_region, w.plant_tech], 1e-9)
    margin = (price[:, w.plant_region] - cost[:, w.plant_region, w.plant_tech]).clip(0)
    gen = dispatch[:, w.plant_region, w.plant_tech] * share[None, :]
    income = (margin * gen * hours[:, None]).sum(0) / 1e9
    for p in range(len(w.plant_mw)):
        owner = model.seat_ids[w.plant_owner[p]]
        if owner in model.seats and income[p] > 0:
            model.transfer(model.OUTSIDE, owner, float(income[p]), "power sales")
            st = model.seats[owner].state
            st["revenue_q"] = st.get("revenue_q", 0.0) + float(income[p])


def compiled_kernels() -> tuple[Any, ...]:
    """The power phase's compiled kernels (numba dispatchers), as `warm_up_kernels` loads them."""
    return (_short_one, _peak_hours_short_flat, _settle_slices)


def warm_up_kernels() -> None:
    """Load (or, on a machine's first run, compile) the power phase's kernels on a tiny instance.

    Two slices, one region, two technologies, the arrays made as `clear_power_markets` makes them
    (the market's results as it returns them), so the game's calls find these signatures.
    """
    capacity = np.array([[[30.0, 5.0]], [[30.0, 5.0]]])
    demand = np.full((2, 1), 10.0)
    res = clear_power(np.ones((2, 1, 2)), capacity, demand, voll=1000.0, links=None)
    dispatch = np.asarray(res.dispatch)
    spare = np.maximum(capacity.sum(2) - dispatch.sum(2), 0.0)
    swing, hours, one = np.ones((2, 1)), np.array([1000.0, 1184.0]), np.ones(1)
    _settle_slices(
        demand, demand, spare, np.asarray(res.unserved), np.asarray(res.price), swing, hours, float(hours.sum()),
        1000.0, one, one, np.zeros(1, bool), dispatch,
    )  # fmt: skip
    peak_hours_short(demand, demand, swing)
