"""Validity checks shared by the market tests: balances, capacities, complementary slackness."""

from __future__ import annotations

import numpy as np


def power_violations(res, cost, capacity, demand, voll, src=(), dst=(), cap=(), rtol=1e-9):
    """Return a list of human-readable violations of feasibility or complementary slackness.

    Works on one instance (R, U); scale-aware tolerances.
    """
    cost = np.asarray(cost, float)
    capacity = np.asarray(capacity, float)
    demand = np.asarray(demand, float)
    src = np.asarray(src, int)
    dst = np.asarray(dst, int)
    cap = np.asarray(cap, float)
    n_r = len(demand)
    qscale = max(1.0, float(capacity.sum()), float(demand.sum()), float(cap.sum()))
    ptol = rtol * max(1.0, float(np.abs(cost).max(initial=0.0)), voll)
    qtol = rtol * qscale
    out = []
    p = res.price
    x = res.dispatch
    f = res.flow
    if (x < -qtol).any() or (x > capacity + qtol).any():
        out.append("dispatch outside [0, capacity]")
    if (res.unserved < -qtol).any():
        out.append("negative unserved")
    if len(f) and (np.abs(f) > cap + qtol).any():
        out.append("flow above link capacity")
    net_in = np.bincount(dst, f, n_r) - np.bincount(src, f, n_r) if len(f) else np.zeros(n_r)
    bal = x.sum(-1) + res.unserved + net_in - demand
    if np.abs(bal).max(initial=0.0) > qtol:
        out.append(f"balance violated by {np.abs(bal).max()}")
    pr = p[:, None]
    if ((cost < pr - ptol) & (x < capacity - qtol)).any():
        out.append("block cheaper than price not at capacity")
    if ((cost > pr + ptol) & (x > qtol)).any():
        out.append("block dearer than price dispatched")
    if ((x > qtol) & (x < capacity - qtol) & (np.abs(cost - pr) > ptol)).any():
        out.append("partially dispatched block not at price")
    if ((res.unserved > qtol) & (np.abs(p - voll) > ptol)).any():
        out.append("unserved load but price != voll")
    if (p > voll + ptol).any():
        out.append("price above voll")
    if len(f):
        ps, pd = p[src], p[dst]
        if ((np.abs(f) < cap - qtol) & (np.abs(ps - pd) > ptol) & (src != dst)).any():
            out.append("uncongested link with a price difference")
        if ((f > qtol) & (ps > pd + ptol)).any() or ((f < -qtol) & (pd > ps + ptol)).any():
            out.append("flow from high to low price")
    tc = float((cost * x).sum() + voll * res.unserved.sum())
    if abs(tc - float(res.total_cost)) > 1e-9 * max(1.0, abs(tc)):
        out.append("total_cost inconsistent with dispatch")
    return out
