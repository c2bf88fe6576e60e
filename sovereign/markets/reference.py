"""Plain-loop reference implementations of the market kernels.

Slow and obviously correct: each follows the rule as a person would state it, one region, bid or
segment at a time. The tests hold the vectorised kernels equal to these on random and degenerate
instances. Nothing in the game calls them.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike


def merit_order_reference(cost: ArrayLike, capacity: ArrayLike, demand: float, voll: float) -> dict[str, object]:
    """Clear one isolated region by walking up its merit order.

    Returns a dict with ``price``, ``dispatch`` (per block, original order), ``unserved`` and
    ``marginal_block`` (original index, -1 for VOLL), following the conventions of
    :mod:`sovereign.markets.power`.
    """
    cost_l = [float(c) for c in np.asarray(cost, float)]
    cap_l = [float(q) for q in np.asarray(capacity, float)]
    order = sorted(range(len(cost_l)), key=lambda u: (cost_l[u], u))
    dispatch = [0.0] * len(cost_l)
    served = 0.0  # cumulative capacity walked so far, summed in merit order
    price = None
    marginal = -1
    for u in order:
        if cost_l[u] > voll:
            break  # shedding load is cheaper than this block and everything after it
        q = cap_l[u]
        before = served
        served = served + q
        dispatch[u] = min(served, demand) - min(before, demand)
        if price is None and q > 0 and (served >= demand if demand > 0 else True):
            price = cost_l[u]
            marginal = u
    unserved = max(demand - served, 0.0)
    if price is None:
        price = voll
        marginal = -1
    return {"price": price, "dispatch": dispatch, "unserved": unserved, "marginal_block": marginal}


def chips_reference(
    supply: ArrayLike,
    bid_class: ArrayLike,
    bid_qty: ArrayLike,
    bid_price: ArrayLike,
    bid_tier: ArrayLike,
    tier_cap: ArrayLike,
    reserve: ArrayLike = 0.0,
) -> dict[str, object]:
    """Serve bids one by one in (class, descending price, index) order: the greedy rule.

    Each bid at or above its class's reserve gets ``min(quantity, supply left, tier cap left)``.
    """
    sup = [float(s) for s in np.asarray(supply, float)]
    res = [float(r) for r in np.broadcast_to(np.asarray(reserve, float), (len(sup),))]
    caps = np.asarray(tier_cap, float)
    left_cap = {(t, g): float(caps[t, g]) for t in range(caps.shape[0]) for g in range(len(sup))}
    cls = [int(c) for c in np.asarray(bid_class)]
    qty = [float(q) for q in np.asarray(bid_qty, float)]
    price = [float(p) for p in np.asarray(bid_price, float)]
    tier = [int(t) for t in np.asarray(bid_tier)]
    n = len(qty)
    alloc = [0.0] * n
    left = list(sup)
    for i in sorted(range(n), key=lambda i: (cls[i], -price[i], i)):
        g, t = cls[i], tier[i]
        if price[i] < res[g]:
            continue
        take = min(qty[i], left[g], left_cap[(t, g)])
        alloc[i] = take
        left[g] -= take
        left_cap[(t, g)] -= take
    prices = []
    for g in range(len(sup)):
        binds = sup[g] > 0 and left[g] <= 0
        accepted = [price[i] for i in range(n) if cls[i] == g and alloc[i] > 0]
        prices.append(min(accepted) if binds and accepted else res[g])
    return {"allocation": alloc, "price": prices, "unsold": left}


def compute_welfare(alloc: ArrayLike, cost: ArrayLike, wtp: ArrayLike, penalty: ArrayLike) -> float:
    """Total surplus ``sum(alloc * (wtp - cost - penalty))``, summed with loops."""
    a = np.asarray(alloc, float)
    c = np.asarray(cost, float)
    w = np.asarray(wtp, float)
    p = np.asarray(penalty, float)
    total = 0.0
    for j in range(a.shape[0]):
        for k in range(a.shape[1]):
            total += a[j, k] * (w[j] - c[k] - p[j, k])
    return total


def compute_logit_reference(
    capacity: ArrayLike,
    cost: ArrayLike,
    demand: ArrayLike,
    wtp: ArrayLike,
    allowed: ArrayLike,
    penalty: ArrayLike,
    temperature: float,
    sweeps: int = 20_000,
    relative: bool = False,
) -> list[list[float]]:
    """The logit equilibrium at ``temperature`` by plain coordinate ascent on its dual.

    Segment ``j`` buys ``w_jk exp((s_jk - u_j - p_k) / T)`` from each tradeable cluster ``k``
    (allowed and ``s_jk > 0``), where ``u_j >= 0`` and ``p_k >= 0`` are the smallest multipliers
    keeping demand and capacity; each sweep sets every ``u_j`` then every ``p_k`` exactly. The
    weights ``w_jk`` are 1, or with ``relative`` ``demand_j * capacity_k`` over the capacity of
    the clusters anyone may trade with.
    """
    cap = [float(v) for v in np.asarray(capacity, float)]
    cst = [float(v) for v in np.asarray(cost, float)]
    dem = [float(v) for v in np.asarray(demand, float)]
    w = [float(v) for v in np.asarray(wtp, float)]
    allow = np.asarray(allowed, bool)
    pen = np.asarray(penalty, float)
    n_j, n_k = len(dem), len(cap)
    t = float(temperature)
    s = [[w[j] - cst[k] - float(pen[j, k]) for k in range(n_k)] for j in range(n_j)]
    ok = [[bool(allow[j, k]) and s[j][k] > 0 and dem[j] > 0 and cap[k] > 0 for k in range(n_k)] for j in range(n_j)]
    if relative:  # fold the weights into the surplus: w exp(s / T) = exp((s + T ln w) / T)
        reach = sum(cap[k] for k in range(n_k) if any(ok[j][k] for j in range(n_j)))
        for j in range(n_j):
            for k in range(n_k):
                if ok[j][k]:
                    s[j][k] += t * math.log(dem[j] * cap[k] / reach)
    u = [0.0] * n_j
    p = [0.0] * n_k

    def best(values: list[float], limit: float) -> float:
        # Smallest multiplier >= 0 with sum(exp((v - mult) / t)) <= limit.
        if not values:
            return 0.0
        top = max(values)
        lse = top + t * math.log(sum(math.exp((v - top) / t) for v in values))
        return max(0.0, lse - t * math.log(limit))

    for _ in range(sweeps):
        old = u + p
        for j in range(n_j):
            u[j] = best([s[j][k] - p[k] for k in range(n_k) if ok[j][k]], dem[j])
        for k in range(n_k):
            p[k] = best([s[j][k] - u[j] for j in range(n_j) if ok[j][k]], cap[k])
        if max((abs(a - b) for a, b in zip(old, u + p, strict=True)), default=0.0) < 1e-14 * t:
            break
    return [[math.exp((s[j][k] - u[j] - p[k]) / t) if ok[j][k] else 0.0 for k in range(n_k)] for j in range(n_j)]
