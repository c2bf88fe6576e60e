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

Computed without the greedy's loop over shrinking remainders: because a bid's tier cap only
depends on earlier bids of the same tier and class, and the class supply only binds once, the
greedy equals two cumulative-sum clips in price order: first within each (class, tier) at the tier
cap, then within each class at the supply (proved in the tests against the greedy reference with
hypothesis). The clips run compiled (`_chips_jit`): a game's few hundred bids a round made numpy's
per-call cost most of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sovereign.markets._chips_jit import allocate
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

    alloc, clearing, sold, tier_sold, binds, marginal = allocate(sup, cls, qty, price, tier, caps, res)
    return ChipResult(
        allocation=alloc,
        price=clearing,
        sold=sold,
        unsold=sup - sold,
        tier_sold=tier_sold,
        supply_binds=binds,
        marginal_bid=marginal,
    )
