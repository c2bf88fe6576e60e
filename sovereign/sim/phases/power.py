"""Power: each region's market clears per time slice; shortages curtail datacenters.

Demand is the region's base load (scaled by time slice and heatwaves) plus datacenter load (IT x
PUE); supply is the merit order of the grid's available capacity, coupled across
interconnectors (`sovereign.markets.clear_power`). Unserved load curtails datacenters pro rata
with everyone, or only after other load where the nation protects them. Owned plants earn the
margin between the price and their marginal cost. Owns: the plant owners' cash (through the
ledger); returns `PowerResults`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sovereign.markets import clear_power
from sovereign.sim import economics as econ
from sovereign.sim.state import EventEffects, PowerResults
from sovereign.sim.world import THERMAL

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel


def clear_power_markets(model: SovereignModel, effects: EventEffects) -> PowerResults:
    """Clear every region's power market for the quarter and pay the owners of plants."""
    w, sc = model.world, model.scenario
    heat = effects.heat
    availability = sc.economics.fleet_availability
    ai_mw = np.bincount(w.dc_region, weights=w.dc_kw * w.dc_pue, minlength=len(heat)) / econ.KW_PER_MW
    dc_mw = w.conventional_dc_mw * w.pue + ai_mw * availability
    base = w.base_demand_mw[None, :] * model.slice_factor[:, None] * heat[None, :]  # (S, R)
    demand = base + dc_mw[None, :]
    # heat derates thermal plants (cooling water) by the scenario's share
    derate = np.where(THERMAL[None, :], 1.0 - sc.events.heatwave_thermal_derate * (heat[:, None] > 1.0), 1.0)
    capacity = w.grid_mw[None, :, :] * model.tech_avail[:, None, :] * derate[None, :, :]
    cost = np.broadcast_to(model.tech_cost[None, None, :] * model.fuel_factor[None, :, None], capacity.shape)
    res = clear_power(np.ascontiguousarray(cost), capacity, demand, voll=sc.economics.voll_usd_mwh, links=model.links)
    # curtailment of datacenters: first (pro rata with all load) or last (only after other load)
    unserved = np.asarray(res.unserved)
    dc_share_first = np.minimum(1.0, np.divide(unserved, demand, out=np.zeros_like(demand), where=demand > 0))
    dc_share_last = np.minimum(1.0, np.maximum(unserved - base, 0.0) / np.maximum(dc_mw[None, :], 1e-9))
    curtail = np.where(w.dc_last[None, :], dc_share_last, dc_share_first)
    curtail = np.where(dc_mw[None, :] > 0, curtail, 0.0)
    hours = model.slice_hours
    price = np.asarray(res.price)
    dc_curtail = (curtail * hours[:, None]).sum(0) / hours.sum()  # (R,)
    served_dc = (dc_mw[None, :] * (1.0 - curtail) * hours[:, None]).sum(0)  # MWh per region
    ai_energy = ((ai_mw * availability)[None, :] * (1.0 - curtail) * hours[:, None]).sum(0)
    dispatch = np.asarray(res.dispatch)  # (S, R, T)
    gen_mwh = (dispatch * hours[:, None, None]).sum(0)  # (R, T)
    emissions_t = gen_mwh @ model.tech_emissions
    total_mwh = np.maximum(gen_mwh.sum(1), 1e-9)
    intensity = emissions_t / total_mwh  # t/MWh
    peak = int(np.argmax(model.slice_factor))
    avail_peak = capacity[peak].sum(1)
    _pay_plant_owners(model, price, cost, dispatch, hours)
    return PowerResults(
        market=res,
        demand_mw=demand,
        price=price,
        price_avg=(price * hours[:, None]).sum(0) / hours.sum(),
        dc_curtail=dc_curtail,
        dc_energy_mwh=served_dc,
        dc_energy_wanted_mwh=dc_mw * hours.sum(),
        ai_energy_mwh=ai_energy,
        emissions_mt=emissions_t / 1e6,
        grid_intensity=intensity,
        dc_emissions_mt=served_dc * intensity / 1e6,
        reserve_margin=avail_peak / np.maximum(demand[peak], 1e-9) - 1.0,
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
