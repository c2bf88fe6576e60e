"""Demand and the passing of time: the quarter ends and the next one is prepared.

AI demand grows (its growth rate decays towards maturity, with a random shock from the events
stream), new chips get more efficient, the installed fleet ages, economies, loads and memory supplies grow,
cyber-incident penalties and funding winters fade, labs adjust their plans, and new startups are
founded at a rate that follows the funding climate, all game long. Owns: the economy's demand
pool and trends, the world's fleet, loads and GDP, labs' plans, the startup seats it founds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sovereign.sim import economics as econ
from sovereign.sim.phases.chips import expand_hbm

if TYPE_CHECKING:
    from sovereign.scenario.schema import Labs
    from sovereign.sim.agents import SeatAgent
    from sovereign.sim.model import SovereignModel

_PREFIX = ("Agent", "Auto", "Cog", "Deep", "Flux", "Hyper", "Loop", "Meta", "Neo", "Omni", "Quant", "Vector")
_SUFFIX = ("Works", "Labs", "AI", "Mind", "Forge", "Pilot", "Stack", "Ops", "Flow", "Logic")


def advance(model: SovereignModel) -> None:
    """Grow demand, age the fleet, grow economies, adjust labs, found startups; next quarter."""
    sc, w, g = model.scenario, model.world, model.economy
    shock = float(model.rngs["events"].normal(0.0, sc.demand.volatility))
    g.growth = max(-0.5, g.growth * (1.0 - sc.demand.growth_decay_per_year / 4.0))
    # (a shock can at most take nine tenths of a quarter's demand: a volatility near 1 drew factors
    # below zero, and negative demand stopped the compute market)
    g.regional_demand_h100e *= (1.0 + g.growth) ** 0.25 * (1.0 + max(shock, -0.9))
    # new chips' power per H100e follows the trend; a breakthrough (events) brings the next
    # generation early and the trend then waits until it has caught up, so the expected path is
    # the trend's (assumption: gains come with the vendors' generations on a yearly cadence,
    # CALIBRATION 3 and 14; a lasting extra gain counted breakthroughs twice, on top of a trend that
    # already holds them, and left 2030 AI electricity under the IEA's path in every such game)
    played = model.quarter - model.start_q + 1
    g.efficiency_mult = min(g.efficiency_mult, (1.0 - sc.demand.efficiency_gain_per_year) ** (played / 4.0))
    keep = 1.0 - 1.0 / sc.demand.accelerator_life_quarters
    w.dc_stock *= keep
    w.dc_kw *= keep
    w.dc_origin *= keep
    # the grid itself is planned by the regions' utilities (`sovereign.sim.phases.grid`)
    w.base_demand_mw *= model.demand_growth_rate**0.25
    w.conventional_dc_mw *= model.conventional_growth_rate**0.25
    w.gdp_busd *= np.array([(1 + r.gdp_growth) ** 0.25 for r in sc.regions])
    # memory makers outside the game grow their HBM output at their own pace
    if len(w.hbm_capacity):
        w.hbm_capacity *= np.array([(1 + h.growth_per_year) ** 0.25 for h in sc.chips.hbm])
        expand_hbm(model)  # and expand where their memory is what limits the chips
    w.incident_penalty *= 1.0 - sc.events.incident_decay_per_quarter
    w.supply_threat *= 1.0 - sc.chips.threat_decay_per_quarter
    g.funding_winter_left = max(0, g.funding_winter_left - 1)
    yield_step = (1.0 + sc.labs.yield_growth_per_year) ** 0.25
    for agent in model.seats.values():
        if agent.kind in ("lab", "startup"):
            _adjust_plans(sc.labs, g.growth, agent)
            agent.state["yield_usd"] = float(agent.state.get("yield_usd", 0.0)) * yield_step
    found_startups(model)
    model.quarter += 1


def _adjust_plans(labs: Labs, growth: float, agent: SeatAgent) -> None:
    """Demand grows when the lab is served and solvent, and shrinks when it is not.

    `growth` is the economy's AI demand growth this year; the scenario's lab rules come in as
    `labs` (read once for the ~80 labs and startups a quarter).
    """
    st = agent.state
    d = st.get("demand_h100e", 0.0)
    served = st.get("served_h100e", 0.0) / max(d, 1e-9)
    st["served_share"] = min(served, 1.0)  # what a rationed lab bids up by (`lab_wtp_multiple`)
    g = growth * (labs.startup_growth_factor if agent.kind == "startup" else 1.0)
    if served >= labs.served_share_to_grow and st["cash_busd"] > 0:
        st["demand_h100e"] = d * (1.0 + g) ** 0.25
    else:
        st["demand_h100e"] = d * (1.0 - labs.unserved_shrink_per_quarter)


def found_startups(model: SovereignModel) -> None:
    """New startups: a Poisson number per quarter (fewer in a funding winter), up to the cap.

    Each gets a home (by the scenario's weights), a compute plan, a product quality (its yield
    per H100e-hour, log-uniform in the scenario's range) and seed funding: the scenario's draw,
    capped at ``startups.runway_quarters`` of its expected net spending and at
    ``startups.max_cash_revenue_years`` of its expected revenue.
    """
    from sovereign.sim.agents import AIStartup

    sc, rng, g = model.scenario, model.rngs["startups"], model.economy
    sp = sc.startups
    homes = list(sp.home_weights)
    if not homes:
        return
    alive = sum(1 for a in model.seats.values() if a.kind == "startup")
    winter = g.funding_winter_left > 0
    n = int(rng.poisson(sp.rate_per_quarter * (sp.winter_factor if winter else 1.0)))
    p = np.array([sp.home_weights[h] for h in homes])
    lo, hi = sc.labs.startup_yield_usd_per_h100e_hour
    price = float(model.results.compute.price_global)
    for _ in range(min(n, max(sp.max_alive - alive, 0))):
        k = g.startups_spawned
        g.startups_spawned = k + 1
        home = homes[int(rng.choice(len(homes), p=p / p.sum()))]
        cash = float(rng.uniform(*sp.seed_cash_busd))
        demand = float(rng.uniform(*sp.demand_h100e))
        quality = float(np.exp(rng.uniform(np.log(max(lo, 1e-6)), np.log(max(hi, 1e-6)))))
        burn = demand * econ.HOURS_PER_QUARTER * max(price - quality, 0.1 * price) / 1e9
        revenue_year = quality * demand * econ.HOURS_PER_YEAR / 1e9
        cash = min(cash, sp.runway_quarters * burn, sp.max_cash_revenue_years * revenue_year)
        seat = f"startup_{k:04d}"
        name = f"{_PREFIX[int(rng.integers(len(_PREFIX)))]}{_SUFFIX[int(rng.integers(len(_SUFFIX)))]} ({home})"
        state = {
            "name": name,
            "home": home,
            "cash_busd": 0.0,
            "valuation_busd": cash / sc.finance.round_share_sold,
            "revenue_busd": 0.0,
        }
        state.update(
            {
                "demand_h100e": demand,
                "scale_h100e": demand,
                "yield_usd": quality,
                "named": False,
                "born": model.quarter,
                "seed_busd": cash,
            }
        )
        model.add_seat(AIStartup, seat, state)
        model.transfer(model.OUTSIDE, seat, cash, "funding rounds")
