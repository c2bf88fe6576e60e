"""Compiled kernel of the chip market: the two cumulative-sum clips of `sovereign.markets.chips`.

The rule and why two clips equal the greedy are in that module's docstring. Compiled with numba:
a quarter's chip market has a few hundred bids in two rounds, where numpy's per-call cost (some
forty calls a round) was most of the time. The kernel does the same operations in the same order
as those numpy calls did: sequential cumulative sums, the same subtractions, ``np.minimum`` and
``np.maximum`` taking the second operand when equal, bincounts adding in bid order.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _clip_running(group: np.ndarray, amount: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Greedy grants in order within sorted contiguous groups, each group capped at ``limit``.

    ``grant_i = min(cum_i, limit) - min(cum_{i-1}, limit)`` with ``cum`` the running total from
    the group's start: the whole run's cumulative sum less its value before the group.
    """
    n = len(amount)
    grant = np.empty(n)
    total = 0.0  # the run's cumulative sum (as np.cumsum: the first element, then one by one)
    base = 0.0  # its value before the group's first element (0 for the first group)
    for i in range(n):
        if i > 0 and group[i] != group[i - 1]:
            base = total
        total = amount[i] if i == 0 else total + amount[i]
        inc = total - base
        prev = inc - amount[i]
        lim = limit[i]
        hi = inc if (inc < lim or inc != inc) else lim
        lo = prev if (prev < lim or prev != prev) else lim
        g = hi - lo
        grant[i] = g if (g > 0.0 or g != g) else 0.0
    return grant


@njit(cache=True)
def allocate(
    sup: np.ndarray,
    cls: np.ndarray,
    qty: np.ndarray,
    price: np.ndarray,
    tier: np.ndarray,
    caps: np.ndarray,
    res: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Allocation, clearing price, sold, tier sold, supply binds and marginal bid (see `allocate_chips`)."""
    n_class, n_tier, n_bid = len(sup), caps.shape[0], len(qty)
    want = np.empty(n_bid)
    for i in range(n_bid):
        want[i] = qty[i] if price[i] >= res[cls[i]] else 0.0
    # priority order within each class: descending price, equal prices in bid order (two stable
    # sorts: by price, then by class)
    by_price = np.argsort(-price, kind="mergesort")
    o_c = by_price[np.argsort(cls[by_price], kind="mergesort")]
    # within each (class, tier), in priority order: the running total clipped at the tier cap
    group_c = (cls * n_tier + tier)[o_c]
    by_tier = np.argsort(group_c, kind="mergesort")
    o_t = o_c[by_tier]
    limit_t = np.empty(n_bid)
    for i in range(n_bid):
        limit_t[i] = caps[tier[o_t[i]], cls[o_t[i]]]
    capped = np.empty(n_bid)
    capped[o_t] = _clip_running(group_c[by_tier], want[o_t], limit_t)
    # within each class, in priority order: the running total clipped at the supply
    cls_c = cls[o_c]
    alloc = np.empty(n_bid)
    alloc[o_c] = _clip_running(cls_c, capped[o_c], sup[cls_c])
    offered = np.zeros(n_class)
    tier_sold = np.zeros((n_tier, n_class))
    for i in range(n_bid):
        offered[cls[i]] += capped[i]
        tier_sold[tier[i], cls[i]] += alloc[i]
    sold = np.empty(n_class)
    binds = np.empty(n_class, np.bool_)
    for g in range(n_class):
        o, s = offered[g], sup[g]
        sold[g] = o if (o < s or o != o) else s
        binds[g] = s > 0 and o >= s
    # the price-setting bid: the last accepted one in priority order within its class
    last = np.full(n_class, -1, np.intp)
    for i in o_c:
        if alloc[i] > 0:
            last[cls[i]] = i
    marginal = np.where(binds, last, -1)
    clearing = np.empty(n_class)
    for g in range(n_class):
        clearing[g] = price[marginal[g]] if marginal[g] >= 0 else res[g]
    return alloc, clearing, sold, tier_sold, binds, marginal
