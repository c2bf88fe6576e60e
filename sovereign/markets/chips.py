"""Chip market: fab output per accelerator class allocated to bids within export-control caps.

Rules (the greedy the reference implements bid by bid):

* Bids of a class are served in descending price; equal prices are served in bid-index order
  (the deterministic tie-break).
* Bids priced below the class's ``reserve`` (default 0) are not served.
* Each bid gets ``min(its quantity, the class supply left, the cap left for its tier and class)``.
  ``tier_cap[t, g]`` is the most units of class ``g`` that destinations of tier ``t`` may receive
  this quarter: 0 bars the tier, ``inf`` leaves it free.
* The uniform clearing price of a class is the lowest accepted bid when supply binds (all supply
  is sold), else the reserve. ``marginal_bid`` is that lowest accepted bid (-1 when the reserve
  sets the price); among equal prices it is the last one served.

Vectorised without a loop over bids: because a bid's tier cap only depends on earlier bids of the
same tier and class, and the class supply only binds once, the greedy equals two cumulative-sum
clips in price order: first within each (class, tier) at the tier cap, then within each class at
the supply (proved in the tests against the greedy reference with hypothesis).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sovereign.markets._validation import as_float, as_index

__all__ = ["ChipResult", "allocate_chips"]


@dataclass(frozen=True)
class ChipResult:
    """Outcome of one quarter's chip allocation.

    Attributes:
        allocation: Units allocated to each bid, ``(N,)``.
        price: Uniform clearing price per class, ``(G,)``.
        sold: Units allocated per class, ``(G,)``.
        unsold: Supply left per class, ``(G,)``.
        tier_sold: Units allocated per tier and class, ``(T, G)``.
        supply_binds: Whether all of the class's supply was sold (and it was positive), ``(G,)``.
        marginal_bid: Index of the bid that sets the class price, -1 for the reserve, ``(G,)``.
    """

    allocation: NDArray[np.float64]
    price: NDArray[np.float64]
    sold: NDArray[np.float64]
    unsold: NDArray[np.float64]
    tier_sold: NDArray[np.float64]
    supply_binds: NDArray[np.bool_]
    marginal_bid: NDArray[np.intp]


def allocate_chips(
    supply: ArrayLike,
    bid_class: ArrayLike,
    bid_qty: ArrayLike,
    bid_price: ArrayLike,
    bid_tier: ArrayLike,
    tier_cap: ArrayLike,
    *,
    reserve: ArrayLike = 0.0,
) -> ChipResult:
    """Allocate each class's supply to bids by descending price within tier caps.

    Args:
        supply: Units of each accelerator class available this quarter, ``(G,)``, ``>= 0``.
        bid_class: Class index of each bid, ``(N,)`` in ``[0, G)``.
        bid_qty: Units wanted by each bid, ``(N,)``, ``>= 0``.
        bid_price: Price offered per unit, ``(N,)``, finite.
        bid_tier: Export-control tier of each bid's destination, ``(N,)`` in ``[0, T)``.
        tier_cap: Most units of class ``g`` tier ``t`` may receive, ``(T, G)``, ``>= 0``,
            ``inf`` allowed.
        reserve: Reserve price per class (scalar or ``(G,)``), finite; bids below it lose.

    Returns:
        A :class:`ChipResult`.

    Raises:
        ValueError: On shape mismatches, NaN, infinities (except in ``tier_cap``), negative
            supply, quantity or cap, or class/tier indices out of range.
    """
    sup = as_float("supply", supply, ndim=1, nonnegative=True)
    n_class = sup.shape[0]
    caps = as_float("tier_cap", tier_cap, ndim=2, allow_inf=True, nonnegative=True)
    if caps.shape[1] != n_class:
        raise ValueError(f"tier_cap: shape {caps.shape} does not match G={n_class} classes")
    n_tier = caps.shape[0]
    qty = as_float("bid_qty", bid_qty, ndim=1, nonnegative=True)
    n_bid = qty.shape[0]
    price = as_float("bid_price", bid_price, ndim=1)
    if price.shape != (n_bid,):
        raise ValueError(f"bid_price: length {price.shape[0]} does not match bid_qty ({n_bid})")
    cls = as_index("bid_class", bid_class, upper=n_class)
    if cls.shape != (n_bid,):
        raise ValueError(f"bid_class: length {cls.shape[0]} does not match bid_qty ({n_bid})")
    tier = as_index("bid_tier", bid_tier, upper=n_tier)
    if tier.shape != (n_bid,):
        raise ValueError(f"bid_tier: length {tier.shape[0]} does not match bid_qty ({n_bid})")
    res = as_float("reserve", reserve)
    if res.ndim > 1 or (res.ndim == 1 and res.shape != (n_class,)):
        raise ValueError(f"reserve: expected a scalar or shape ({n_class},), got {res.shape}")
    res = res if res.ndim == 1 else np.full(n_class, float(res))

    want = np.where(price >= res[cls], qty, 0.0)
    # Priority order within each class: descending price, equal prices in bid order (lexsort is
    # stable, so the bid index needs no key of its own).
    o_c = np.lexsort((-price, cls))
    # Within each (class, tier), in priority order: clip the running total at the tier cap. A
    # stable sort of the class order by (class, tier) keeps the priority order within each.
    group_c = (cls * n_tier + tier)[o_c]
    by_tier = np.argsort(group_c, kind="stable")
    o_t = o_c[by_tier]
    capped = np.empty(n_bid)
    capped[o_t] = _clip_running(group_c[by_tier], want[o_t], caps[tier[o_t], cls[o_t]])
    # Within each class, in priority order: clip the running total at the supply.
    cls_c = cls[o_c]
    alloc = np.empty(n_bid)
    alloc[o_c] = _clip_running(cls_c, capped[o_c], sup[cls_c])

    offered = np.bincount(cls, capped, n_class)
    sold = np.minimum(offered, sup)
    binds = (sup > 0) & (offered >= sup)
    accepted = alloc > 0
    # The price-setting bid: the last accepted one in priority order within its class.
    last = np.full(n_class, -1, np.intp)
    acc_sorted = o_c[accepted[o_c]]
    last[cls[acc_sorted]] = acc_sorted  # later assignments win: last in priority order
    marginal = np.where(binds, last, -1)
    clearing = np.where(marginal >= 0, price[np.maximum(marginal, 0)] if n_bid else 0.0, res)
    tier_sold = np.bincount(tier * n_class + cls, alloc, n_tier * n_class).reshape(n_tier, n_class)
    return ChipResult(
        allocation=alloc,
        price=clearing,
        sold=sold,
        unsold=sup - sold,
        tier_sold=tier_sold,
        supply_binds=binds,
        marginal_bid=marginal,
    )


def _clip_running(
    group: NDArray[np.intp], amount: NDArray[np.float64], limit: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Greedy grants in order within sorted contiguous groups, each group capped at ``limit``.

    ``grant_i = min(cum_i, limit) - min(cum_{i-1}, limit)``: what the sequential greedy
    ``min(amount_i, limit - granted so far)`` gives, computed with one cumulative sum.
    """
    if len(amount) == 0:
        return amount.copy()
    c = np.cumsum(amount)
    start = np.searchsorted(group, group, side="left")
    base = np.where(start > 0, c[np.maximum(start - 1, 0)], 0.0)
    inc = c - base
    prev = inc - amount
    grant: NDArray[np.float64] = np.maximum(np.minimum(inc, limit) - np.minimum(prev, limit), 0.0)
    return grant
