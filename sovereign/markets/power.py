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

Algorithm with links: the dual of the transport model is
``min_lambda sum_r F_r(lambda_r) + sum_l cap_l |lambda_src - lambda_dst|`` with convex piecewise
linear ``F_r``. By the coarea formula its level sets ``{lambda > theta}`` are minimum cuts of a
network in which each region supplies ``supply_r(theta) - demand_r`` MW, so the exact prices come
from a divide and conquer over the candidate prices (the block costs), one max-flow per round for
all batch elements and sub-problems at once (Hochbaum's parametric cut scheme). Rounds
cut at the sub-problem's combined merit-order price and just below it (which settles an
uncongested zone at once); every fourth round cuts at the median candidate instead, which bounds
the rounds by ``4 log2(R U + 1)``. A sub-problem is a connected set of regions sharing a price
range.
Dispatch and flows are then recovered from the prices with one more max-flow that routes each
price zone's forced surplus and marginal blocks to its deficits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from sovereign.markets._maxflow import max_flow
from sovereign.markets._validation import as_float, as_index, as_positive_scalar

__all__ = ["PowerResult", "clear_power"]

#: Every this many rounds the coupled solve cuts at the median candidate instead of the zone
#: price: zone-price cuts settle zones fastest, the median rounds bound the rounds by
#: ``MEDIAN_EVERY * log2(R * U + 1)``.
MEDIAN_EVERY = 4


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

    nb = int(np.prod(batch, dtype=np.int64))
    c2 = cost_a.reshape(nb * n_regions, n_blocks)
    q2 = cap_a.reshape(nb * n_regions, n_blocks)
    d1 = dem_a.reshape(nb * n_regions)

    order = np.argsort(c2, axis=-1, kind="stable")
    cs = np.take_along_axis(c2, order, axis=-1)
    qs = np.take_along_axis(q2, order, axis=-1)
    # Blocks dearer than VOLL never run: shedding load is cheaper.
    qe = np.where(cs <= voll_f, qs, 0.0)
    cum = np.cumsum(qe, axis=-1)

    price, disp_s, unserved, marg = _merit_order(cs, qe, cum, d1, voll_f)
    flow = np.zeros((nb, n_links))
    lcap2 = lcap.reshape(nb, n_links)
    active = (lcap2 > 0) & (src != dst)[None, :]
    setter = np.where(marg >= 0, np.arange(nb * n_regions) % max(n_regions, 1), -1)
    if active.any():
        price, disp_s, unserved, flow, marg, setter = _clear_coupled(
            cs,
            qe,
            cum,
            d1,
            voll_f,
            src,
            dst,
            lcap2,
            active,
            n_regions,
            price,
            disp_s,
            unserved,
            marg,
            setter,
        )

    dispatch = np.empty_like(disp_s)
    np.put_along_axis(dispatch, order, disp_s, axis=-1)
    total = (c2 * dispatch).sum(axis=-1) + voll_f * unserved
    congested = active & (np.abs(flow) >= lcap2 * (1 - 1e-12))
    shp_r = (*batch, n_regions)
    shp_u = (*batch, n_regions, n_blocks)
    return PowerResult(
        price=price.reshape(shp_r),
        dispatch=dispatch.reshape(shp_u),
        unserved=unserved.reshape(shp_r),
        flow=flow.reshape((*batch, n_links)),
        total_cost=total.reshape(nb, n_regions).sum(axis=-1).reshape(batch),
        marginal_block=np.where(
            marg >= 0, np.take_along_axis(order, np.maximum(marg, 0)[:, None], axis=-1)[:, 0], -1
        ).reshape(shp_r),
        price_setter=setter.reshape(shp_r),
        merit_order=order.reshape(shp_u),
        curve_cost=cs.reshape(shp_u),
        curve_mw=np.cumsum(qs, axis=-1).reshape(shp_u),
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


def _clear_coupled(
    cs: NDArray[np.float64],
    qe: NDArray[np.float64],
    cum: NDArray[np.float64],
    d: NDArray[np.float64],
    voll: float,
    src: NDArray[np.intp],
    dst: NDArray[np.intp],
    lcap2: NDArray[np.float64],
    active: NDArray[np.bool_],
    n_regions: int,
    price: NDArray[np.float64],
    disp_s: NDArray[np.float64],
    unserved: NDArray[np.float64],
    marg: NDArray[np.intp],
    setter: NDArray[np.intp],
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.intp],
    NDArray[np.intp],
]:
    """Exact clearing of the regions joined by links (see the module docstring)."""
    n_nodes = cs.shape[0]
    nb, n_links = lcap2.shape
    bi, li = np.nonzero(active)
    la = bi * n_regions + src[li]  # global node ids of the active links' ends
    lb = bi * n_regions + dst[li]
    lk = lcap2[bi, li]
    n_comp, comp = connected_components(
        coo_array((np.ones(len(la)), (la, lb)), shape=(n_nodes, n_nodes)), directed=False
    )
    comp_size = np.bincount(comp, minlength=n_comp)
    coupled = comp_size[comp] > 1
    nodes = np.nonzero(coupled)[0]
    n_c = len(nodes)
    local = np.full(n_nodes, -1, np.intp)
    local[nodes] = np.arange(n_c)
    ccomp = comp[nodes]
    la_c, lb_c = local[la], local[lb]

    cs_c, qe_c, d_c = cs[nodes], qe[nodes], d[nodes]
    # Candidate prices per component: costs of positive-capacity blocks below VOLL, and VOLL.
    has = qe_c > 0
    vals = np.concatenate([cs_c[has], np.full(n_comp, voll)])
    keys = np.concatenate([np.broadcast_to(ccomp[:, None], cs_c.shape)[has], np.arange(n_comp)])
    o = np.lexsort((vals, keys))
    vals, keys = vals[o], keys[o]
    keep = np.ones(len(vals), bool)
    keep[1:] = (vals[1:] != vals[:-1]) | (keys[1:] != keys[:-1])
    theta, tkey = vals[keep], keys[keep]
    first = np.searchsorted(tkey, np.arange(n_comp), side="left")
    last = np.searchsorted(tkey, np.arange(n_comp), side="right") - 1
    lo = first[ccomp].copy()
    hi = last[ccomp].copy()

    # Round-off guard for the max-flows: no flow can exceed the largest supply or demand, so
    # link capacities (possibly huge "unlimited" values) do not enter the scale.
    scale = max(float(np.max(cum[:, -1], initial=0.0)), float(np.max(d, initial=0.0)), 1e-300)
    eps = 1e-11 * scale

    def supply_at(idx: NDArray[np.intp], th: NDArray[np.float64]) -> NDArray[np.float64]:
        return (qe_c[idx] * (cs_c[idx] <= th[:, None])).sum(axis=-1)

    round_no = 0
    while True:
        act = np.nonzero(lo < hi)[0]
        if len(act) == 0:
            break
        # Linked regions always have equal or disjoint price ranges; a sub-problem is a
        # connected set of regions sharing a range (links between ranges are settled).
        sub_lo, sub_hi = lo[act], hi[act]
        inside = (lo[la_c] == lo[lb_c]) & (hi[la_c] == hi[lb_c]) & (lo[la_c] < hi[la_c])
        pos_of = np.full(n_c, -1, np.intp)
        pos_of[act] = np.arange(len(act))
        ia, ib, ik = pos_of[la_c[inside]], pos_of[lb_c[inside]], lk[inside]
        bnd = _boundary(act, lo, hi, la_c, lb_c, lk, n_c)
        n_act = len(act)
        if round_no % MEDIAN_EVERY != MEDIAN_EVERY - 1:
            _, sub = connected_components(
                coo_array((np.ones(len(ia)), (ia, ib)), shape=(n_act, n_act)),
                directed=False,
            )
            mid = _zone_price_index(act, sub, sub_lo, sub_hi, theta, bnd, supply_at, d_c)
            # Cut just below the zone price too (a second copy of the graph in the same
            # max-flow): regions between the two cuts are priced exactly at the zone price.
            low = mid - 1
            two = low >= sub_lo
        else:
            mid = (sub_lo + sub_hi) // 2
            low = mid
            two = np.zeros(n_act, bool)
        w = supply_at(act, theta[mid]) - d_c[act] + bnd
        if two.any():
            idx2 = np.nonzero(two)[0]
            w2 = supply_at(act[idx2], theta[low[idx2]]) - d_c[act[idx2]] + bnd[idx2]
            pos2 = np.full(n_act, -1, np.intp)
            pos2[idx2] = n_act + np.arange(len(idx2))
            both = two[ia] & two[ib]
            ga = np.concatenate([ia, pos2[ia[both]]])
            gb = np.concatenate([ib, pos2[ib[both]]])
            gk = np.concatenate([ik, ik[both]])
            wall = np.concatenate([w, w2])
        else:
            idx2 = np.zeros(0, np.intp)
            ga, gb, gk, wall = ia, ib, ik, w
        _, _, _, side = max_flow(len(wall), ga, gb, gk, np.maximum(wall, 0.0), np.maximum(-wall, 0.0), eps)
        above = side[:n_act]  # price > theta[mid]
        at_least = above.copy()  # price > theta[low], i.e. >= theta[mid] where two cuts ran
        at_least[idx2] |= side[n_act:]
        new_lo = np.where(above, mid + 1, np.where(two & at_least, mid, sub_lo))
        new_hi = np.where(above, sub_hi, np.where(two & ~at_least, low, mid))
        lo[act] = new_lo
        hi[act] = new_hi
        round_no += 1

    lam = theta[lo]
    # Recovery: blocks below the price run fully, links between different prices are full.
    below = (qe_c * (cs_c < lam[:, None])).sum(axis=-1)
    at = (qe_c * (cs_c == lam[:, None])).sum(axis=-1)
    is_voll = lam >= voll
    la_p, lb_p = lam[la_c], lam[lb_c]
    fixed = np.where(la_p < lb_p, lk, np.where(la_p > lb_p, -lk, 0.0))
    net_in = np.bincount(lb_c, fixed, n_c) - np.bincount(la_c, fixed, n_c)
    e = d_c - below - net_in
    free = la_p == lb_p
    fa, fb, fk = la_c[free], lb_c[free], lk[free]
    forced = np.maximum(-e, 0.0)
    deficit = np.maximum(e, 0.0)
    f1, used1, served1, _ = max_flow(n_c, fa, fb, fk, forced, deficit, eps, precise=True)
    marg_cap = np.where(is_voll, np.inf, at)
    f2, _, _, _ = max_flow(n_c, fa, fb, fk, forced + marg_cap, deficit, eps, f1, used1, served1, precise=True)
    link_flow = fixed.copy()
    link_flow[free] = f2
    net_free_in = np.bincount(fb, f2, n_c) - np.bincount(fa, f2, n_c)
    m_use = np.clip(e - net_free_in, 0.0, marg_cap)

    # Dispatch in merit order: below-price blocks full, then marginal blocks in order.
    prev_at = np.cumsum(qe_c * (cs_c == lam[:, None]), axis=-1)
    at_mask = cs_c == lam[:, None]
    take_at = np.minimum(prev_at, m_use[:, None]) - np.minimum(prev_at - qe_c, m_use[:, None])
    disp_c = np.where(cs_c < lam[:, None], qe_c, np.where(at_mask, take_at, 0.0))
    uns_c = np.where(is_voll, np.maximum(m_use - at, 0.0), 0.0)

    price = price.copy()
    disp_s = disp_s.copy()
    unserved = unserved.copy()
    marg = marg.copy()
    setter = setter.copy()
    price[nodes] = lam
    disp_s[nodes] = disp_c
    unserved[nodes] = uns_c
    flow = np.zeros((nb, n_links))
    flow[bi, li] = link_flow

    # Explanation: own block at the price (last one running, else the first), else the zone's.
    cand = at_mask & (qe_c > 0)
    running = cand & (disp_c > 0)
    n_blocks = cs_c.shape[1]
    last_run = n_blocks - 1 - np.argmax(running[:, ::-1], axis=-1)
    first_at = np.argmax(cand, axis=-1)
    mc = np.where(running.any(axis=-1), last_run, np.where(cand.any(axis=-1), first_at, -1))
    mc = np.where(uns_c > 0, -1, mc)
    marg[nodes] = mc
    own = mc >= 0
    _, zone = connected_components(coo_array((np.ones(len(fa)), (fa, fb)), shape=(n_c, n_c)), directed=False)
    region = nodes % n_regions
    best = np.full(zone.max() + 1 if n_c else 0, np.iinfo(np.intp).max)
    np.minimum.at(best, zone[own], region[own])
    zs = best[zone]
    setter[nodes] = np.where(own, region, np.where(zs < np.iinfo(np.intp).max, zs, -1))
    return price, disp_s, unserved, flow, marg, setter


def _boundary(
    act: NDArray[np.intp],
    lo: NDArray[np.intp],
    hi: NDArray[np.intp],
    la: NDArray[np.intp],
    lb: NDArray[np.intp],
    lk: NDArray[np.float64],
    n: int,
) -> NDArray[np.float64]:
    """Net import each active node gets from links to other sub-problems.

    A neighbour whose price range lies wholly below exports to it at full capacity; one whose
    range lies wholly above imports from it at full capacity.
    """
    a_low = hi[lb] < lo[la]  # b's prices all below a's
    a_high = lo[lb] > hi[la]
    imp = np.bincount(la, np.where(a_low, lk, 0.0) - np.where(a_high, lk, 0.0), n)
    imp += np.bincount(lb, np.where(a_high, lk, 0.0) - np.where(a_low, lk, 0.0), n)
    return imp[act]


def _zone_price_index(
    act: NDArray[np.intp],
    sub: NDArray[np.intp],
    sub_lo: NDArray[np.intp],
    sub_hi: NDArray[np.intp],
    theta: NDArray[np.float64],
    bnd: NDArray[np.float64],
    supply_at: Callable[[NDArray[np.intp], NDArray[np.float64]], NDArray[np.float64]],
    d: NDArray[np.float64],
) -> NDArray[np.intp]:
    """Per active node, the candidate index its sub-problem cuts at: the combined merit price.

    That is the smallest candidate in the sub-problem's range at which its total supply plus
    boundary imports covers its demand (a bisection over candidate indices, all sub-problems in
    step), capped at ``hi - 1`` so the cut always splits the range.
    """
    n_sub = int(sub.max()) + 1
    s_lo = np.zeros(n_sub, np.intp)
    s_hi = np.zeros(n_sub, np.intp)
    s_lo[sub] = sub_lo
    s_hi[sub] = sub_hi
    a, b = s_lo.copy(), s_hi.copy()  # answer in [a, b]; b always satisfies (VOLL or range top)
    need = bnd - d[act]
    while True:
        open_ = a < b
        if not open_.any():
            break
        m = (a + b) // 2
        tot = np.bincount(sub, supply_at(act, theta[m[sub]]) + need, n_sub)
        ok = tot >= 0
        b = np.where(open_ & ok, m, b)
        a = np.where(open_ & ~ok, m + 1, a)
    return np.minimum(a, s_hi - 1)[sub]
