"""What every investing AI needs to know this quarter, computed once: the investor view.

The margins of a new datacenter by chip class and region use the same economics as the phases
(`sovereign.sim.economics`): the price buyers pay per H100e-hour (marginal cost plus scarcity
rent, the compute phase's price) minus power at the region's price, opex and the building's
capital cost paid back at the firms' discount rate. Nothing is subtracted twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sovereign.sim import economics as econ
from sovereign.sim.phases.chips import sanctioned_classes
from sovereign.sim.policy.difficulty import DIFFICULTY

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel


def investor_view(model: SovereignModel) -> dict[str, Any]:
    """Figures every investing AI needs this quarter, computed once (cached by quarter)."""
    cache = model.view_cache
    if cache is not None and cache["quarter"] == model.quarter:
        return cache
    m, w, sc = model, model.world, model.scenario
    n_r, n_seats = len(m.region_ix), len(m.seat_ids)
    kw_new = m.kw_per_h100e * m.economy.efficiency_mult
    caps = w.tier_cap[w.export_tier - 1]  # (R, G)
    ok = ~m.controlled[None, :] | (caps > 0)
    # sanctions run both ways: classes made mostly in tier-3 countries stay in tier-3 regions
    # (the chip market enforces it, and bars tier-1-headquartered buyers from them anywhere)
    sanctioned = sanctioned_classes(m)
    ok &= ~((w.export_tier[:, None] != 3) & sanctioned[None, :])
    merit = np.where(ok, 1.0 / kw_new[None, :], -np.inf)
    class_for = np.argmax(merit, axis=1)
    # second choice where the best class is capped by export controls: the next class still
    # allowed, so capped buyers still grow (and older classes keep a market in those regions)
    merit2 = merit.copy()
    merit2[np.arange(n_r), class_for] = -np.inf
    best_capped = np.isfinite(caps[np.arange(n_r), class_for]) & m.controlled[class_for]
    second_for = np.where(best_capped & np.isfinite(merit2.max(1)), np.argmax(merit2, axis=1), class_for)
    building_by_seat: dict[str, float] = {}
    for p in w.projects:
        if p["kind"] == "build_datacenter":
            building_by_seat[p["owner"]] = building_by_seat.get(p["owner"], 0.0) + p["size"]
    free = np.maximum(w.dc_it_mw * econ.KW_PER_MW - w.dc_kw, 0.0)
    # bincount adds in row order, exactly like np.add.at, and is much faster
    owner_free = np.bincount(w.dc_owner * n_r + w.dc_region, weights=free, minlength=n_seats * n_r)
    owner_free = owner_free.reshape(n_seats, n_r)
    stock = w.dc_stock.sum(1)
    owned_stock = np.bincount(w.dc_owner, weights=stock, minlength=n_seats)
    n_dc = np.bincount(w.dc_owner, minlength=n_seats)
    util = np.divide(
        np.bincount(w.dc_owner, weights=w.dc_util, minlength=n_seats),
        n_dc,
        out=np.full(n_seats, 0.8),
        where=n_dc > 0,
    )
    capex_per_kw = np.array([r.dc_capex_musd_per_mw for r in sc.regions]) * 1e3
    region_cap = caps[np.arange(n_r), class_for]
    capped = np.isfinite(region_cap) & m.controlled[class_for]
    free_by_region = owner_free.sum(0)
    full = capped & (free_by_region / kw_new[class_for] > 4.0 * region_cap)
    # finished by `investor_margins` for a price lag when an AI with that lag first asks
    hist = m.metrics.signals
    margin_inputs = {
        "kw": kw_new[:, None],
        "pue_new": econ.new_datacenter_pue(sc, w.pue),
        "capex_per_kw": capex_per_kw,
        "subsidy": w.subsidy.copy(),
        "permitting": w.permitting_quarters.copy(),
        "curtail": np.asarray(m.results.power.dc_curtail, float),
        "full": full,
        "prices": {  # lag -> (compute price, power price) by region, as that AI perceives them
            lag: (np.asarray(sig["compute_price_region"], float), np.asarray(sig["power_price_avg"], float))
            for lag in sorted({p["lag"] for p in DIFFICULTY.values()})
            for sig in [hist[-lag] if len(hist) >= lag else m.signals_now()]
        },
    }
    tier = w.export_tier
    firm_candidates = m.allied_matrix() | (tier == 2)[None, :]
    firm_candidates &= ~((tier == 1)[:, None] & (tier == 3)[None, :])
    # plain Python lists and floats: the per-seat loops of the AI policies index them one
    # number at a time, which is several times faster on lists than on arrays
    homes, cols = np.nonzero(firm_candidates)
    ends = np.cumsum(np.bincount(homes, minlength=n_r)).tolist()
    cols_list = cols.tolist()
    # a bid slot per class a region's buyers bid for: (share of the free space, kW per H100e,
    # list price, reserve price, class id)
    kw_list, price_list = kw_new.tolist(), m.list_price.tolist()
    class_ids, reserve_share = [a.id for a in sc.accelerators], sc.economics.chip_reserve_share
    slots_for: dict[tuple[int, int], tuple[tuple[float, float, float, float, str], ...]] = {}
    for c1, c2 in zip(class_for.tolist(), second_for.tolist(), strict=True):
        if (c1, c2) not in slots_for:  # a few distinct pairs: regions share their slots
            plan = ((c1, 0.7), (c2, 0.3)) if c2 != c1 else ((c1, 1.0),)
            slots_for[c1, c2] = tuple(
                (part, kw_list[c], price_list[c], price_list[c] * reserve_share, class_ids[c]) for c, part in plan
            )
    bid_slots = [slots_for[pair] for pair in zip(class_for.tolist(), second_for.tolist(), strict=True)]
    # free kW by seat row and region, where there is any (regions in ascending order)
    free_by_seat: dict[int, dict[int, float]] = {}
    rows, regions = np.nonzero(owner_free > 0)
    for row, r, kw_free in zip(rows.tolist(), regions.tolist(), owner_free[rows, regions].tolist(), strict=True):
        if row not in free_by_seat:
            free_by_seat[row] = {}
        free_by_seat[row][r] = kw_free
    # AI compute demand: everyone's, and by home region (regional demand plus home labs)
    share = np.array([r.ai_demand_share for r in sc.regions])
    demand_by_region = (m.economy.regional_demand_h100e * share).tolist()
    demands = []
    for a in m.seats.values():
        d = a.state.get("demand_h100e", 0.0)
        demands.append(d)
        if a.kind in ("lab", "startup"):
            demand_by_region[m.region_ix[a.state["home"]]] += d
    view = {
        "quarter": m.quarter,
        "margin_inputs": margin_inputs,
        "margin_lists": {},  # lag -> (G, R) expected margins as lists, filled on demand
        "firm_candidates_list": [cols_list[e0:e1] for e0, e1 in zip([0, *ends[:-1]], ends, strict=True)],
        "class_for_list": class_for.tolist(),
        "kw_new_list": kw_list,
        "bid_slots": bid_slots,
        "region_ids": [r.id for r in sc.regions],
        "building_by_seat": building_by_seat,
        "demand_by_region": np.array(demand_by_region),
        "capex_per_kw": capex_per_kw,
        "demand_now": m.economy.regional_demand_h100e + sum(demands),
        "fleet": float(stock.sum()),
        "space_kw": float(free.sum()),
        "building_mw": sum(p["size"] for p in w.projects if p["kind"] == "build_datacenter"),
        "owned_stock_list": owned_stock.tolist(),
        "util_list": util.tolist(),
        "free_by_seat": free_by_seat,
        "dc_owners": set(w.dc_owner.tolist()),
    }
    model.view_cache = view
    return view


def investor_margins(model: SovereignModel, lag: int) -> list[list[float]]:
    """Expected margin per H100e-hour of a new datacenter, by chip class (rows) and region.

    From prices `lag` quarters old (what an AI with that lag perceives): the price buyers pay
    minus power, opex and the building's capital cost (net of the host's subsidy), minus an
    allowance for permitting delay and expected curtailment; -inf where export caps cannot fill
    the halls. Computed once per quarter and lag, from the quarter's `investor_view`.
    """
    view = investor_view(model)
    cached: list[list[float]] | None = view["margin_lists"].get(lag)
    if cached is None:
        sc = model.scenario
        x = view["margin_inputs"]
        price, power = x["prices"][lag]
        kw = x["kw"]
        capital = econ.datacenter_capex_usd_per_h100e_hour(sc, x["capex_per_kw"][None, :], kw)
        margin = (
            price[None, :]
            - econ.power_cost_usd_per_h100e_hour(kw, x["pue_new"][None, :], power[None, :])
            - sc.demand.opex_usd_per_hour
            - capital * (1.0 - x["subsidy"][None, :])
            - (sc.policy.permitting_penalty_usd_per_quarter * x["permitting"] + price * x["curtail"])[None, :]
        )
        margin[:, x["full"]] = -np.inf
        cached = view["margin_lists"][lag] = margin.tolist()
    return cached
