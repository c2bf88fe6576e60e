"""Observations: what one seat may see at the start of a quarter.

Public information is what a newspaper or a market screen would show: every nation's metrics and
policies, prices, the news. Private information is the seat's own balance sheet, assets, projects,
pending decisions and the fate of its recent commands. A hot-seat UI shows only this, so one
player never sees another's private state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sovereign.scenario.schema import quarter_label
from sovereign.sim.phases.diplomacy import covert_rows, deal_rows, seat_region

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel


def observation(model: SovereignModel, seat_id: str) -> dict[str, Any]:
    """Public information plus `seat_id`'s private state, as plain Python data."""
    if seat_id not in model.seats:
        raise KeyError(f"unknown or retired seat {seat_id!r}")
    m, w = model, model.world
    agent = m.seats[seat_id]
    last_q = quarter_label(m.quarter - 1)
    public = {
        "quarter": m.quarter_label,
        "nations": [row for row in m.metrics.nations if row["quarter"] == last_q],
        "firms": [
            {k: row[k] for k in ("firm", "name", "kind", "home", "revenue_busd", "valuation_busd", "market_share")}
            for row in m.metrics.firms
            if row["quarter"] == last_q
        ],
        "world": m.metrics.world[-1] if m.metrics.world else {},
        "news": [n for n in m.news if n["quarter"] == last_q],
        "export_tiers": {r.id: int(w.export_tier[i]) for i, r in enumerate(m.scenario.regions)},
        # applications to join a bloc, by bloc: the applicants its members vote on next quarter
        "bloc_applications": {
            b.id: [m.scenario.regions[int(r)].id for r in np.flatnonzero(w.bloc_application[i] >= 0)]
            for i, b in enumerate(m.scenario.blocs)
            if (w.bloc_application[i] >= 0).any()
        },
    }
    mine = w.dc_owner == m.seat_index(seat_id)
    curtailed = m.results.power.dc_curtail_rows
    private = {
        "seat": seat_id,
        "kind": agent.kind,
        "name": agent.name,
        "cash_busd": agent.cash_busd,
        "state": {k: v for k, v in agent.state.items() if isinstance(v, int | float | str | bool)},
        "datacenters": [
            {
                "row": int(d),  # what upgrade_datacenter names
                "name": w.dc_name[d],
                "region": m.scenario.regions[int(w.dc_region[d])].id,
                "it_mw": float(w.dc_it_mw[d]),
                "h100e": float(w.dc_stock[d].sum()),
                "utilisation": float(w.dc_util[d]),
                "energy_factor": float(w.dc_energy[d]),
                # share of its power cut in last quarter's shortages (rows opened since: none)
                "curtailed": float(curtailed[d]) if d < len(curtailed) else 0.0,
            }
            for d in np.nonzero(mine)[0]
        ],
        "fabs": [
            {"name": w.fab_name[f], "h100e_per_quarter": float(w.fab_capacity[f])}
            for f in np.nonzero(w.fab_owner == m.seat_index(seat_id))[0]
        ],
        "projects": [p for p in w.projects if p["owner"] == seat_id],
        "pending_decisions": m.pending_decisions.get(seat_id, {}),
        # deals this seat is a party to (offers included: they are between the two seats), its
        # nation's trust in each other nation, and the covert operations it may know of: its own,
        # and others' once traced (an untraced operation of another seat is never here)
        "deals": [d for d in deal_rows(m) if seat_id in (d["proposer"], d["partner"])],
        "trust": {r.id: round(float(w.trust[seat_region(m, seat_id), i]), 4) for i, r in enumerate(m.scenario.regions)},
        "covert": covert_rows(m, seat_id),
        "recent_commands": [c for c in m.command_log if c["seat"] == seat_id][-20:],
    }
    return {"public": public, "private": private}
