"""Power market: merit-order dispatch per region, coupled by interconnectors.

Conventions (pinned, tested, and relied on by the UI's price explanations):

* **Merit order.** Blocks are stacked by marginal cost with a *stable* sort, so blocks of equal
  cost are dispatched in block-index order. Value of lost load (VOLL) acts as an extra block of
  unlimited size priced at ``voll`` placed after every block of cost ``<= voll``: blocks costing
  exactly ``voll`` run before load is shed, blocks costing more than ``voll`` never run.
* **Price = cost of the last MW served** (the left derivative of the supply curve). When demand
  lands exactly on the end of a block, that block's cost is the price, not the next block's.
  Zero-capacity blocks never set the price.
* **Zero demand.** The price is the cost of the first block with positive capacity in merit order
  (the cost of serving the first MW), or ``voll`` when the region has no such block.
* **Shortage.** When demand exceeds the capacity priced at or below VOLL, the price is ``voll``
  and ``unserved > 0``.
* **Interconnectors.** With links the result is the welfare optimum of the transport model
  ``min sum(cost * dispatch) + voll * sum(unserved)`` subject to a balance per region and
  ``|flow| <= cap``. Prices are shadow prices of the balance constraints. Where the dual is not
  unique, the *smallest* optimal price vector is returned (it exists because optimal prices form
  a lattice); for an isolated region this is exactly the merit-order convention above, and
  regions joined by uncongested links share one price, that of their combined merit order.
  Round-off guard: in the coupled solve, MW differences below ``1e-11`` of the largest regional
  supply or demand count as zero, so a demand that close to a step is priced as on the step.

Algorithm with links (:mod:`sovereign.markets._power_jit`, compiled with numba): Edmonds'
greedy algorithm on the flow polymatroid. Blocks are taken in merit order across all regions and
each sends as many MW as breadth-first augmenting paths can still deliver to unmet demand, which
minimises the total cost exactly; prices are then the least solution of the complementary-slackness
bounds of that flow (the smallest optimal dual), computed by one backward sweep over the residual
links.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sovereign.markets._validation import as_float, as_index, as_positive_scalar

__all__ = ["PowerResult", "clear_power"]


@dataclass(frozen=True)
class PowerResult:
    """Outcome of one power-market clearing; leading ``...`` are the batch dimensions.

    Attributes:
        price: Clearing price per region ($/MWh), ``(..., R)``.
        dispatch: MW dispatched from each supply block, ``(..., R, U)``.
        unserved: Load shed per region (MW), ``(..., R)``.
        flow: MW on each link, positive from ``src`` to ``dst``, ``(..., L)``.
        total_cost: ``sum(cost * dispatch) + voll * sum(unserved)`` per batch element, ``(...)``.
        marginal_block: Block index ``u`` of the region's own block that sets its price, or -1
            when VOLL sets it or the price is set elsewhere (an import), ``(..., R)``.
        price_setter: Region whose block sets the price (the region itself when
            ``marginal_block >= 0``, a region of the same uncongested zone otherwise), or -1 when
            VOLL sets the price, ``(..., R)``.
        merit_order: Block indices sorted by cost (stable), ``(..., R, U)``.
        curve_cost: Block costs in merit order, ``(..., R, U)``: the steps of the supply curve.
        curve_mw: Cumulative capacity in merit order, ``(..., R, U)``: where each step ends.
        congested: Whether each link runs at its capacity (and the capacity is positive),
            ``(..., L)``.
        voll: The value of lost load used.
    """

    price: NDArray[np.float64]
    dispatch: NDArray[np.float64]
    unserved: NDArray[np.float64]
    flow: NDArray[np.float64]
    total_cost: NDArray[np.float64]
    marginal_block: NDArray[np.intp]
    price_setter: NDArray[np.intp]
    merit_order: NDArray[np.intp]
    curve_cost: NDArray[np.float64]
    curve_mw: NDArray[np.float64]
    congested: NDArray[np.bool_]
    voll: float


Links = tuple[ArrayLike, ArrayLike, ArrayLike]


def clear_power(
    cost: ArrayLike,
    capacity: ArrayLike,
    demand: ArrayLike,
    *,
    voll: float,
    links: Links | None = None,
) -> PowerResult:
    """Clear the power market of every region and batch element in one call.

    Args:
        cost: Marginal cost of each supply block ($/MWh), ``(..., R, U)``; finite, may be
            negative.
        capacity: Available MW of each block, ``(..., R, U)``; finite and ``>= 0``.
        demand: Inelastic demand per region (MW), ``(..., R)``; finite and ``>= 0``.
        voll: Value of lost load ($/MWh); finite and ``> 0``.
        links: Optional interconnectors ``(src, dst, cap_mw)``: region indices ``(L,)`` and MW
            capacities ``(L,)`` or ``(..., L)``, usable in both directions.

    Returns:
        A :class:`PowerResult`; see the module docstring for the price conventions.

    Raises:
        ValueError: On shape mismatches, NaN or infinite values, negative capacity, demand or
            link capacity, link endpoints outside ``[0, R)``, or a non-positive ``voll``.
    """
    voll_f = as_positive_scalar("voll", voll)
    cost_a = as_float("cost", cost, min_ndim=2)
    cap_a = as_float("capacity", capacity, min_ndim=2, nonnegative=True)
    if cap_a.shape != cost_a.shape:
        raise ValueError(f"capacity: shape {cap_a.shape} does not match cost shape {cost_a.shape}")
    dem_a = as_float("demand", demand, min_ndim=1, nonnegative=True)
    if dem_a.shape != cost_a.shape[:-1]:
        raise ValueError(
            f"demand: shape {dem_a.shape} does not match cost shape {cost_a.shape} (expected cost.shape[:-1])"
        )
    batch = cost_a.shape[:-2]
    n_regions, n_blocks = cost_a.shape[-2:]
    if n_blocks == 0:
        # No supply blocks: clear with one empty block (it can never run or set a price).
        pad = np.zeros((*cost_a.shape[:-1], 1))
        res = clear_power(pad, pad, dem_a, voll=voll_f, links=links)
        empty = np.zeros(cost_a.shape)
        return replace(
            res,
            dispatch=empty,
            merit_order=np.zeros(cost_a.shape, np.intp),
            curve_cost=empty,
            curve_mw=empty,
        )
    src, dst, lcap = _check_links(links, batch, n_regions)
    n_links = len(src)

    nb = math.prod(batch)
    c2 = cost_a.reshape(nb * n_regions, n_blocks)
    q2 = cap_a.reshape(nb * n_regions, n_blocks)
    d1 = dem_a.reshape(nb * n_regions)

    lcap2 = lcap.reshape(nb, n_links)
    active = (lcap2 > 0) & (src != dst)[None, :]
    shp_r = (*batch, n_regions)
    shp_u = (*batch, n_regions, n_blocks)
    if active.any():
        # Linked regions: one compiled call does the merit orders, the exact coupling and the
        # explanation (see the module docstring); numpy's per-call cost would dominate here.
        from sovereign.markets._power_jit import clear_linked  # numba: compiled on first use

        price, dispatch, unserved, flow, total, block, setter, order, cs, curve_mw = clear_linked(
            c2,
            q2,
            d1,
            voll_f,
            src.astype(np.int64),
            dst.astype(np.int64),
            np.where(active, lcap2, 0.0),
        )
    else:
        order = np.argsort(c2, axis=-1, kind="stable")
        cs = np.take_along_axis(c2, order, axis=-1)
        qs = np.take_along_axis(q2, order, axis=-1)
        # Blocks dearer than VOLL never run: shedding load is cheaper.
        qe = np.where(cs <= voll_f, qs, 0.0)
        cum = np.cumsum(qe, axis=-1)
        price, disp_s, unserved, marg = _merit_order(cs, qe, cum, d1, voll_f)
        flow = np.zeros((nb, n_links))
        setter = np.where(marg >= 0, np.arange(nb * n_regions) % max(n_regions, 1), -1)
        dispatch = np.empty_like(disp_s)
        np.put_along_axis(dispatch, order, disp_s, axis=-1)
        total = (c2 * dispatch).sum(axis=-1) + voll_f * unserved
        block = np.where(marg >= 0, np.take_along_axis(order, np.maximum(marg, 0)[:, None], axis=-1)[:, 0], -1)
        curve_mw = np.cumsum(qs, axis=-1)
    congested = active & (np.abs(flow) >= lcap2 * (1 - 1e-12))
    return PowerResult(
        price=price.reshape(shp_r),
        dispatch=dispatch.reshape(shp_u),
        unserved=unserved.reshape(shp_r),
        flow=flow.reshape((*batch, n_links)),
        total_cost=total.reshape(nb, n_regions).sum(axis=-1).reshape(batch),
        marginal_block=block.reshape(shp_r),
        price_setter=setter.reshape(shp_r),
        merit_order=order.reshape(shp_u),
        curve_cost=cs.reshape(shp_u),
        curve_mw=curve_mw.reshape(shp_u),
        congested=congested.reshape((*batch, n_links)),
        voll=voll_f,
    )


def _check_links(
    links: Links | None, batch: tuple[int, ...], n_regions: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Validate ``links`` and broadcast the capacities to ``(*batch, L)``."""
    if links is None:
        return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros((*batch, 0))
    try:
        src_raw, dst_raw, cap_raw = links
    except (TypeError, ValueError):
        raise ValueError("links: expected a tuple (src, dst, cap_mw)") from None
    src = as_index("links src", src_raw, upper=n_regions)
    dst = as_index("links dst", dst_raw, upper=n_regions)
    if src.shape != dst.shape:
        raise ValueError(f"links dst: length {dst.shape} does not match src length {src.shape}")
    lcap = as_float("links cap_mw", cap_raw, min_ndim=1, nonnegative=True)
    if lcap.shape[-1:] != src.shape:
        raise ValueError(f"links cap_mw: shape {lcap.shape} does not end with L={len(src)}")
    try:
        if lcap.shape != (*batch, len(src)):
            lcap = np.broadcast_to(lcap, (*batch, len(src)))
    except ValueError:
        raise ValueError(f"links cap_mw: shape {lcap.shape} does not broadcast to {(*batch, len(src))}") from None
    return src, dst, lcap


def _merit_order(
    cs: NDArray[np.float64],
    qe: NDArray[np.float64],
    cum: NDArray[np.float64],
    d: NDArray[np.float64],
    voll: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.intp]]:
    """Clear isolated regions: rows of sorted costs ``cs``, effective capacities ``qe``.

    Returns price, dispatch in merit order, unserved and the marginal position in merit order
    (-1 for VOLL).
    """
    n, n_blocks = cs.shape
    # First position whose cumulative capacity reaches demand; for zero demand the first
    # position with positive capacity. Zero-capacity blocks can never be that position.
    pos = np.where(
        d > 0,
        (cum < d[:, None]).sum(axis=-1),
        (cum <= 0).sum(axis=-1),
    )
    in_curve = pos < n_blocks
    posc = np.minimum(pos, n_blocks - 1) if n_blocks else pos
    price = (
        np.where(in_curve, np.take_along_axis(cs, posc[:, None], axis=-1)[:, 0], voll) if n_blocks else np.full(n, voll)
    )
    prev = np.concatenate([np.zeros((n, 1)), cum[:, :-1]], axis=-1)
    disp = np.minimum(cum, d[:, None]) - np.minimum(prev, d[:, None])
    total = cum[:, -1] if n_blocks else np.zeros(n)
    unserved = np.maximum(d - total, 0.0)
    marg = np.where(in_curve, pos, -1)
    return price, disp, unserved, marg
