"""Events: scripted injects from the scenario and stochastic shocks drawn from the model's rng.

Each kind changes the world through a small, documented effect that lasts for the quarter (a
heatwave, a fab outage: returned as `EventEffects` for the later phases of the same quarter) or
persists (tighter export controls, a funding winter, a demand boom: written to the world and the
economy). Shocks are drawn from the ``events`` stream only, so the same seed gives the same
shocks whatever the players do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sovereign.scenario.schema import quarter_index
from sovereign.sim.phases.diplomacy import pact_matrix
from sovereign.sim.state import EventEffects

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel


def apply_events(model: SovereignModel) -> EventEffects:
    """Apply this quarter's injects, then draw and apply stochastic shocks; return their effects."""
    sc, rng = model.scenario, model.rngs["events"]
    w = model.world
    effects = EventEffects(
        fab_derate=np.ones(len(w.fab_capacity)),
        heat=np.ones(len(model.region_ix)),
        pkg_derate=np.ones(len(w.pkg_capacity)),
    )
    for i, inj in enumerate(sc.injects):
        if quarter_index(inj.quarter) == model.quarter:
            event_id = model.economy.next_event_id
            model.economy.next_event_id = event_id + 1
            region = model.region_ix.get(inj.region) if inj.region else None
            _apply(model, effects, inj.kind, region, inj.actor, inj.magnitude, inj.headline, inj.text)
            if inj.decision:
                seat = inj.region or inj.actor
                if seat in model.seats:
                    model.pending_decisions.setdefault(seat, {})[event_id] = inj.labels
                    model.economy.decisions.append({"event_id": event_id, "seat": seat, "inject": i})
    # events that earlier decisions set off for this quarter
    due = [e for e in model.economy.scheduled if e["quarter"] == model.quarter]
    if due:
        model.economy.scheduled = [e for e in model.economy.scheduled if e["quarter"] != model.quarter]
        for e in due:
            region = model.region_ix.get(e["region"]) if e["region"] else None
            _apply(model, effects, e["kind"], region, e["actor"], e["magnitude"], e["headline"], e["text"])
    p = sc.events
    n_r = len(sc.regions)
    draws = rng.random(8)
    picks = rng.integers(0, 1 << 30, size=8)
    names = {r.id: r.name for r in sc.regions}
    if draws[0] < p.fab_disruption and len(model.world.fab_capacity):
        f = int(picks[0] % len(model.world.fab_capacity))
        region = int(model.world.fab_region[f])
        _apply(
            model,
            effects,
            "fab_disruption",
            region,
            None,
            p.fab_disruption_loss,
            f"Outage at {model.world.fab_name[f]}",
            "",
            fab=f,
        )
    if draws[1] < p.heatwave:
        r = int(picks[1] % n_r)
        _apply(
            model,
            effects,
            "heatwave",
            r,
            None,
            p.heatwave_demand_factor,
            f"Heatwave strains the grid in {names[sc.regions[r].id]}",
            "",
        )
    if draws[2] < p.cyber_incident:
        r = int(picks[2] % n_r)
        _apply(
            model,
            effects,
            "cyber_incident",
            r,
            None,
            p.cyber_loss_busd,
            f"Major cyber incident hits {names[sc.regions[r].id]}",
            "",
        )
    if draws[3] < p.export_escalation:
        _apply(
            model,
            effects,
            "export_escalation",
            None,
            None,
            p.export_escalation_cut,
            "Export controls tighten on tier-2 destinations",
            "",
        )
    if draws[4] < p.efficiency_breakthrough:
        _apply(
            model,
            effects,
            "efficiency_breakthrough",
            None,
            None,
            p.efficiency_gain,
            "Efficiency breakthrough: new chips need less power",
            "",
        )
    if draws[5] < p.demand_boom:
        _apply(
            model,
            effects,
            "demand_boom",
            None,
            None,
            p.demand_shock,
            "AI demand boom: enterprises rush to deploy agents",
            "",
        )
    if draws[6] < p.demand_bust:
        _apply(
            model, effects, "demand_bust", None, None, p.demand_shock, "AI demand slumps as pilots fail to pay off", ""
        )
    if draws[7] < p.funding_winter:
        _apply(
            model,
            effects,
            "funding_winter",
            None,
            None,
            1.0,
            "Funding winter: investors pull back from AI startups",
            "",
        )

    return effects


def _disrupt_fabs(
    model: SovereignModel,
    effects: EventEffects,
    magnitude: float,
    region: int | None,
    actor: str | None,
    fab: int | None,
) -> None:
    """Cut the output of one fab, a firm's fabs, a region's fabs, or all, and their packaging lines."""
    w = model.world
    if fab is not None:
        effects.fab_derate[np.arange(len(w.fab_capacity)) == fab] *= max(0.0, 1.0 - min(magnitude, 1.0))
        return  # one fab's outage (a fire, a power cut) leaves the packaging lines alone
    if actor is not None and actor in model.seat_ids:
        hit, pkg_hit = w.fab_owner == model.seat_index(actor), w.pkg_owner == model.seat_index(actor)
    elif region is not None:
        hit, pkg_hit = w.fab_region == region, w.pkg_region == region
    else:
        hit, pkg_hit = np.ones(len(w.fab_capacity), bool), np.ones(len(w.pkg_capacity), bool)
    # stockpiles a decision paid for keep part of a region's lines running (`disruption_shield`)
    shielded = np.where(w.shield_until >= model.quarter, w.disruption_shield, 0.0)
    loss = min(magnitude, 1.0)
    effects.fab_derate[hit] *= 1.0 - loss * (1.0 - shielded[w.fab_region[hit]])
    effects.pkg_derate[pkg_hit] *= 1.0 - loss * (1.0 - shielded[w.pkg_region[pkg_hit]])


def halt_building(model: SovereignModel, region: int, magnitude: float) -> None:
    """A disruption that stops a region's fabs stops its building sites too, for as long.

    Why: a blockade or a great earthquake stops the tools, materials and crews that fabs,
    packaging lines, datacenters and power plants under construction need, so everything being
    built in the region finishes later: the disruption's magnitude (the share of a quarter's output
    lost) is the share of a quarter of building lost. Whole quarters are added to the schedules
    (projects, fabs and packaging lines not yet running, utility plants and network expansions on
    order) once half a quarter has been lost; the rest is carried (`World.build_delay`).
    """
    w = model.world
    w.build_delay[region] += min(max(magnitude, 0.0), 1.0)
    if w.build_delay[region] < 0.5:
        return
    w.build_delay[region] -= 1.0
    q, rid = model.quarter, model.scenario.regions[region].id
    for p in w.projects:
        if p["region"] == rid and p["done"] >= q:
            p["done"] += 1
    w.fab_online[(w.fab_region == region) & (w.fab_online >= q)] += 1
    w.pkg_online[(w.pkg_region == region) & (w.pkg_online >= q)] += 1
    for orders in (w.grid_orders, w.network_orders):
        if len(orders):
            orders[(orders[:, 1] == region) & (orders[:, 0] >= q), 0] += 1


def _apply(
    model: SovereignModel,
    effects: EventEffects,
    kind: str,
    region: int | None,
    actor: str | None,
    magnitude: float,
    headline: str,
    text: str,
    fab: int | None = None,
) -> None:
    """Apply one event's effect and put it in the news."""
    w, g, sc = model.world, model.economy, model.scenario
    rid: str | None  # the region hit, if any, as the news names it
    if kind == "fab_disruption":
        _disrupt_fabs(model, effects, magnitude, region, actor, fab)
        if region is not None and actor is None and fab is None:
            halt_building(model, region, magnitude)
    elif kind == "heatwave":
        if region is not None:
            effects.heat[region] = max(effects.heat[region], magnitude)
    elif kind == "cyber_incident" and region is not None:
        rid = sc.regions[region].id
        exposure = sc.regions[region].threat_exposure * w.gdp_busd[region] * sc.events.threat_busd_per_gdp
        protection = w.security_busd[region] / (w.security_busd[region] + exposure + 1e-12)
        if pact_matrix(model)[region].any():  # a security pact's shared threat intelligence
            protection += (1.0 - protection) * sc.diplomacy.pact_incident_relief
        loss = magnitude * (1.0 - protection)
        model.transfer(rid, model.OUTSIDE, float(loss), "cyber losses")
        w.incident_penalty[region] += sc.events.incident_penalty * (1.0 - protection)
    elif kind == "supply_threat" and region is not None:
        w.supply_threat[region] = max(float(w.supply_threat[region]), min(magnitude, 1.0))
    elif kind == "export_escalation":
        # the controls tighten: tier-2 caps where there are any, and the licences to tier-3
        # destinations (every US escalation of 2022-26 narrowed what China may buy, CALIBRATION 5)
        cut = 1.0 - min(magnitude, 1.0)
        caps = w.tier_cap[1]
        w.tier_cap[1] = np.where(np.isfinite(caps), caps * cut, caps)
        t3 = (w.export_tier == 3)[:, None] & ~np.isnan(w.licence_cap)
        w.licence_cap = np.where(t3, w.licence_cap * cut, w.licence_cap)
    elif kind == "efficiency_breakthrough":
        g.efficiency_mult *= 1.0 - min(magnitude, 0.9)
    elif kind == "demand_boom":
        g.regional_demand_h100e *= 1.0 + magnitude
        g.growth += sc.events.demand_shock_growth
    elif kind == "demand_bust":
        g.regional_demand_h100e *= max(0.0, 1.0 - magnitude)
        g.growth -= sc.events.demand_shock_growth
    elif kind == "funding_winter":
        length = int(sc.events.funding_winter_quarters * max(magnitude, 0.25))
        g.funding_winter_left = max(g.funding_winter_left, length)
    rid = sc.regions[region].id if region is not None else None
    model.add_news(kind, headline, rid, actor, text)
