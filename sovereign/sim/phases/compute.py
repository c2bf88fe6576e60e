"""Compute: clusters sell H100e-hours to demand segments under localisation and sanctions rules.

The market (`sovereign.markets.clear_compute`) finds the allocation and each cluster's scarcity
rent (the shadow price of its capacity). Buyers pay marginal cost plus rent: on the contracted
share of a cluster (``economics.contract_share``, hyperscalers' committed capacity) the rent
agreed over the contract's life, which follows the spot rent slowly; on the rest the spot rent.
Owners receive what buyers pay and pay power and opex once, for the hours they sell. So the price
of every served cluster is at least its marginal cost. Owns: the segments' and owners' cash
(through the ledger), the datacenters' utilisation and contracted rent; returns `ComputeResults`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sovereign.markets import clear_compute
from sovereign.sim import economics as econ
from sovereign.sim.state import ComputeResults, PowerResults, Segments

if TYPE_CHECKING:
    from sovereign.scenario.schema import DemandClass
    from sovereign.sim.model import SovereignModel


def demand_segments(model: SovereignModel) -> Segments:
    """Demand segments of the compute market: regional demand by class, and each lab/startup."""
    sc, n_r = model.scenario, len(model.region_ix)
    pool = model.economy.regional_demand_h100e
    wtp = sc.demand.wtp_usd_per_hour
    share = np.array([r.ai_demand_share for r in sc.regions])
    reg_share = np.array([r.regulated_share for r in sc.regions])
    tr = sc.demand.training_share
    region: list[int] = []
    klass: list[str] = []
    qty: list[float] = []
    price: list[float] = []
    owner: list[str | None] = []
    c: DemandClass
    for c, frac in (
        ("training", (1 - reg_share) * tr),
        ("inference", (1 - reg_share) * (1 - tr)),
        ("regulated", reg_share),
    ):
        region.extend(range(n_r))
        klass.extend([c] * n_r)
        qty.extend((pool * share * frac).tolist())
        price.extend([wtp[c]] * n_r)
        owner.extend([None] * n_r)
    for agent in model.seats.values():
        d = agent.state.get("demand_h100e", 0.0)
        if agent.kind in ("lab", "startup") and d > 0:
            c = "training" if agent.kind == "lab" else "inference"
            region.append(model.region_ix[agent.state["home"]])
            klass.append(c)
            qty.append(d)
            price.append(wtp[c] * (sc.labs.lab_wtp_premium if agent.kind == "lab" else 1.0))
            owner.append(agent.seat_id)
    return Segments(
        region=np.array(region, np.int64),
        klass=np.array(klass),
        qty=np.array(qty, float),
        wtp=np.array(price, float),
        owner=owner,
    )


def clear_compute_market(model: SovereignModel, power: PowerResults) -> ComputeResults:
    """Clear the compute market for the quarter, settle payments and update contracts."""
    w, sc = model.world, model.scenario
    seg = demand_segments(model)
    stock = w.dc_stock.sum(1)
    k_ix = np.nonzero(stock > 1e-9)[0]
    r_k = w.dc_region[k_ix]
    avail = (1.0 - power.dc_curtail[r_k]) * sc.economics.fleet_availability
    capacity = stock[k_ix] * avail
    kw_per = w.dc_kw[k_ix] / stock[k_ix]
    power_cost = econ.power_cost_usd_per_h100e_hour(kw_per, w.dc_pue[k_ix] * w.dc_energy[k_ix], power.dc_price[r_k])
    cost = sc.demand.opex_usd_per_hour + power_cost
    allowed = _allowed(model, seg, r_k, k_ix)
    r_j = seg.region
    penalty = np.where(
        seg.klass[:, None] == "training",
        0.0,
        model.distance_km[r_j][:, r_k] / 1000.0 * sc.demand.latency_penalty_usd_per_1000km,
    )
    res = clear_compute(
        capacity,
        cost,
        seg.qty,
        seg.wtp,
        allowed,
        penalty,
        temperature=sc.demand.preference_spread_usd_per_hour,
        warm_start=_warm_start(model, k_ix, r_k),
    )
    alloc = np.asarray(res.allocation)
    rent = np.asarray(res.price)
    # contracts: the agreed rent moves a 1/contract_quarters step towards the spot rent
    step = 1.0 / sc.economics.contract_quarters
    agreed = w.dc_contract_rent[k_ix] + (rent - w.dc_contract_rent[k_ix]) * step
    w.dc_contract_rent[k_ix] = agreed
    share = sc.economics.contract_share
    price_k = cost + share * agreed + (1.0 - share) * rent
    sold = alloc.sum(0)
    w.dc_util[:] = 0.0
    w.dc_util[k_ix] = np.divide(sold, stock[k_ix], out=np.zeros_like(sold), where=stock[k_ix] > 0)
    served = alloc.sum(1)
    _settle(model, seg, alloc, price_k, cost, k_ix)
    n_r = len(model.region_ix)
    sold_r = np.bincount(r_k, sold, n_r)
    value_r = np.bincount(r_k, price_k * sold, n_r)
    regional = np.divide(value_r, sold_r, out=np.full(n_r, np.nan), where=sold_r > 0)
    if sold.sum() > 0:
        glob = float((price_k * sold).sum() / sold.sum())
    else:
        glob = float(np.mean(list(sc.demand.wtp_usd_per_hour.values())))
    return ComputeResults(
        segments=seg,
        market=res,
        clusters=k_ix,
        cluster_cost=cost,
        cluster_capacity=capacity,
        served=served,
        alloc=alloc,
        price=price_k,
        price_region=np.where(np.isnan(regional), glob, regional),
        price_global=glob,
        contract_price=cost + agreed,
    )


def _allowed(model: SovereignModel, seg: Segments, r_k: np.ndarray, k_ix: np.ndarray) -> np.ndarray:
    """(J, K) which segment may buy from which cluster: localisation and sanctions rules."""
    w, sc = model.world, model.scenario
    r_j = seg.region
    regulated = seg.klass == "regulated"
    same = r_j[:, None] == r_k[None, :]
    allied = model.allied_matrix()[r_j][:, r_k]
    # localisation: regulated data stays home (or with allies where no law demands home)
    allowed = np.where(regulated[:, None], same | (allied & ~w.localisation[r_j][:, None]), True)
    # tier-3 buyers may be barred from the clouds of chip-producing nations' firms
    if sc.export_controls.remote_access_barred:
        owner_home = np.array([model.region_ix[model.home_of(model.seat_ids[o])] for o in w.dc_owner[k_ix]], np.int64)
        barred = (w.export_tier[r_j] == 3)[:, None] & model.chip_producer[owner_home][None, :]
        allowed &= ~barred
    return np.asarray(allowed, bool)


def _warm_start(model: SovereignModel, k_ix: np.ndarray, r_k: np.ndarray) -> np.ndarray | None:
    """Last quarter's rents by datacenter (new ones start at their region's mean).

    The market moves little from quarter to quarter, so the solver starts near its answer.
    """
    prev = model.results.compute
    if prev.market is None or not len(prev.clusters):
        return None
    by_dc = np.full(len(model.world.dc_region), np.nan)
    by_dc[np.asarray(prev.clusters)] = np.asarray(prev.market.price)
    warm = by_dc[k_ix]
    if np.isnan(warm).any():
        n_r = len(model.region_ix)
        rent_r = np.bincount(
            model.world.dc_region[prev.clusters], weights=np.asarray(prev.market.price), minlength=n_r
        ) / np.maximum(np.bincount(model.world.dc_region[prev.clusters], minlength=n_r), 1)
        warm = np.where(np.isnan(warm), rent_r[r_k], warm)
    return np.asarray(warm, float)


def _settle(
    model: SovereignModel,
    seg: Segments,
    alloc: np.ndarray,
    price_k: np.ndarray,
    cost: np.ndarray,
    k_ix: np.ndarray,
) -> None:
    """Buyers pay each cluster's price; owners receive it and pay power and opex for what they sell."""
    w = model.world
    hours = econ.HOURS_PER_QUARTER
    sold = alloc.sum(0)
    paid_j = (alloc * price_k[None, :]).sum(1) * hours / 1e9
    # regional demand (no owner) is the outside economy: it pays from the outside account
    owners = seg.owner
    for j, who in enumerate(owners):
        if who is not None and paid_j[j] > 0:
            model.transfer(who, model.OUTSIDE, float(paid_j[j]), "compute purchases")
    pooled = float(paid_j[[j for j, who in enumerate(owners) if who is None]].sum())
    model.transfer(model.OUTSIDE, model.OUTSIDE, pooled, "compute purchases")
    owner_ix = w.dc_owner[k_ix]
    n_ids = len(model.seat_ids)
    rev_o = np.bincount(owner_ix, sold * price_k * hours / 1e9, n_ids)
    op_o = np.bincount(owner_ix, sold * cost * hours / 1e9, n_ids)
    for o in np.unique(owner_ix).tolist():
        who = model.seat_ids[o]
        if who in model.seats:
            model.transfer(model.OUTSIDE, who, float(rev_o[o]), "compute sales")
            model.transfer(who, model.OUTSIDE, float(op_o[o]), "power and opex")
            st = model.seats[who].state
            st["revenue_q"] = st.get("revenue_q", 0.0) + float(rev_o[o])
            st["costs_q"] = st.get("costs_q", 0.0) + float(op_o[o])
    served = alloc.sum(1)
    for agent in model.seats.values():  # a lab without a segment this quarter was served nothing
        if agent.kind in ("lab", "startup"):
            agent.state["served_h100e"] = 0.0
            agent.state["paid_q"] = 0.0
    for j, who in enumerate(owners):
        if who is not None:
            st = model.seats[who].state
            st["served_h100e"] = float(served[j])
            st["paid_q"] = float(paid_j[j])
