"""Float max-flow / min-cut on an undirected network with node supplies and deficits.

The coupled power market needs exact minimum cuts with real-valued capacities; scipy's
``maximum_flow`` (C, fast) only takes 32-bit integers. So large networks first get almost all of
their flow from scipy at a few integer scales (each level rounds the residual capacities down,
so its flow is feasible for the real ones), and a small plain-Python Dinic then finishes exactly
and certifies the cut; small networks use a vectorised one-hop greedy start instead. The network
is a source feeding node supplies, undirected links between nodes, and node deficits draining to
a sink. Residual capacities at or below ``eps`` count as zero so that float round-off cannot
create phantom augmenting paths.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from numpy.typing import NDArray


def max_flow(
    n: int,
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    cap: NDArray[np.float64],
    supply: NDArray[np.float64],
    deficit: NDArray[np.float64],
    eps: float,
    flow0: NDArray[np.float64] | None = None,
    used0: NDArray[np.float64] | None = None,
    served0: NDArray[np.float64] | None = None,
    precise: bool = False,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Maximise flow from node supplies to node deficits through undirected links.

    Augmenting paths never reduce the flow on a source or sink arc, so calling this again with
    a larger ``supply`` and the previous state as ``flow0``/``used0``/``served0`` keeps every
    earlier source arc as full as it was (used to route forced surpluses before optional ones).

    Args:
        n: Number of nodes.
        a: Link tail nodes (m,).
        b: Link head nodes (m,).
        cap: Link capacities (m,), usable in both directions.
        supply: Source-arc capacity per node (n,), >= 0.
        deficit: Sink-arc capacity per node (n,), >= 0.
        eps: Residual capacities <= eps are treated as zero.
        flow0: Initial link flows (positive from ``a`` to ``b``), default zero.
        used0: Initial flow on each source arc, default zero.
        served0: Initial flow on each sink arc, default zero.
        precise: Spend one more integer refinement level so that the flows themselves (not only
            the cut) are exact to round-off; paths narrower than ``eps`` are never augmented.

    Returns:
        ``(flow, used, served, sink_side)``: link flows, flow on each source arc, flow on each
        sink arc, and the minimal sink side of a minimum cut (the nodes that can still reach the
        sink in the residual network).
    """
    m = len(a)
    if flow0 is None:
        flow0, used0, served0 = np.zeros(m), np.zeros(n), np.zeros(n)
    if m and n >= _SCALED_FROM:
        flow0, used0, served0 = _scaled_refinement(
            n, a, b, cap, supply, deficit, flow0, used0, served0, levels=4 if precise else 3, eps=eps
        )
    elif m:
        flow0, used0, served0 = _greedy_neighbours(n, a, b, cap, supply, deficit, flow0, used0, served0)
    a_l = a.tolist()
    b_l = b.tolist()
    cap_arr = np.asarray(cap, dtype=np.float64)
    f0 = np.zeros(m) if flow0 is None else np.asarray(flow0, dtype=np.float64)
    # res[2l] is the residual a->b, res[2l+1] the residual b->a.
    res_np = np.empty(2 * m)
    res_np[0::2] = cap_arr - f0
    res_np[1::2] = cap_arr + f0
    res = res_np.tolist()
    # Flows are tracked apart from residuals: a residual of a huge capacity loses the digits of
    # a small flow.
    fl = f0.tolist()
    src = (supply - (0.0 if used0 is None else used0)).tolist()
    used = (np.zeros(n) if used0 is None else np.asarray(used0, dtype=np.float64)).tolist()
    snk = (deficit - (0.0 if served0 is None else served0)).tolist()

    # Adjacency in CSR form: arcs out of each node.
    tails = np.concatenate([a, b])
    arc_ids = np.concatenate([np.arange(0, 2 * m, 2), np.arange(1, 2 * m, 2)])
    order = np.argsort(tails, kind="stable")
    adj_arc = arc_ids[order].tolist()
    starts = np.searchsorted(tails[order], np.arange(n + 1)).tolist()
    head = [0] * (2 * m)
    for li in range(m):
        head[2 * li] = b_l[li]
        head[2 * li + 1] = a_l[li]

    sources = [r for r in range(n) if src[r] > eps]
    while True:
        level, reach_sink = _levels(n, starts, adj_arc, head, res, src, snk, sources, eps)
        if not reach_sink:
            break
        # Blocking flow by depth-first search with current-arc pointers.
        ptr = starts[:-1]
        for u0 in sources:
            if level[u0] != 1:
                continue
            while src[u0] > eps:
                stack: list[int] = []
                u = u0
                while True:
                    if snk[u] > eps:
                        break
                    advanced = False
                    pu = ptr[u]
                    end = starts[u + 1]
                    lu = level[u] + 1
                    while pu < end:
                        e = adj_arc[pu]
                        v = head[e]
                        if res[e] > eps and level[v] == lu:
                            advanced = True
                            break
                        pu += 1
                    ptr[u] = pu
                    if advanced:
                        stack.append(e)
                        u = v
                        continue
                    level[u] = -2  # dead end for the rest of this phase
                    if not stack:
                        break
                    e = stack.pop()
                    u = head[e ^ 1]
                    ptr[u] += 1
                if snk[u] <= eps:
                    break  # u0 is exhausted in this phase
                delta = min(src[u0], snk[u])
                for e in stack:
                    if res[e] < delta:
                        delta = res[e]
                src[u0] -= delta
                used[u0] += delta
                snk[u] -= delta
                for e in stack:
                    res[e] -= delta
                    res[e ^ 1] += delta
                    if e & 1:
                        fl[e >> 1] -= delta
                    else:
                        fl[e >> 1] += delta
        sources = [r for r in sources if src[r] > eps]
        if not sources:
            break

    flow = np.asarray(fl, dtype=np.float64)
    served = np.asarray(deficit, dtype=np.float64) - np.asarray(snk)
    if n >= _SCALED_FROM:
        sink_side = _reaches_sink_c(n, tails, arc_ids, head, res, snk, eps)
    else:
        sink_side = _reaches_sink(n, starts, adj_arc, head, res, snk, eps)
    return flow, np.asarray(used), served, sink_side


def _levels(
    n: int,
    starts: list[int],
    adj_arc: list[int],
    head: list[int],
    res: list[float],
    src: list[float],
    snk: list[float],
    sources: list[int],
    eps: float,
) -> tuple[list[int], bool]:
    """Dinic layering: BFS levels from the source in the residual network, layer by layer.

    Level 1 holds the nodes with supply left; the search stops after the first layer that
    holds a node with deficit left, since deeper nodes are not on shortest augmenting paths.
    """
    level = [-1] * n
    layer = []
    found = False
    for r in sources:
        if src[r] > eps:
            level[r] = 1
            layer.append(r)
            if snk[r] > eps:
                found = True
    depth = 1
    while layer and not found:
        depth += 1
        nxt = []
        for u in layer:
            for p in range(starts[u], starts[u + 1]):
                e = adj_arc[p]
                v = head[e]
                if level[v] < 0 and res[e] > eps:
                    level[v] = depth
                    nxt.append(v)
                    if snk[v] > eps:
                        found = True
        layer = nxt
    return level, found


def _reaches_sink_c(
    n: int,
    tails: NDArray[np.intp],
    arc_ids: NDArray[np.intp],
    head: list[int],
    res: list[float],
    snk: list[float],
    eps: float,
) -> NDArray[np.bool_]:
    """:func:`_reaches_sink` with the search run by scipy: BFS from the sink on reversed arcs."""
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import breadth_first_order

    ok = np.asarray(res)[arc_ids] > eps
    sinks = np.nonzero(np.asarray(snk) > eps)[0]
    rows = np.concatenate([np.asarray(head, dtype=np.intp)[arc_ids[ok]], np.full(len(sinks), n)])
    cols = np.concatenate([tails[ok], sinks])
    graph = csr_array((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1))
    seen = np.zeros(n + 1, bool)
    seen[breadth_first_order(graph, n, directed=True, return_predecessors=False)] = True
    return seen[:n]


def _reaches_sink(
    n: int,
    starts: list[int],
    adj_arc: list[int],
    head: list[int],
    res: list[float],
    snk: list[float],
    eps: float,
) -> NDArray[np.bool_]:
    """Nodes from which the sink is reachable in the residual network (reverse BFS)."""
    seen = [False] * n
    dq = deque()
    for r in range(n):
        if snk[r] > eps:
            seen[r] = True
            dq.append(r)
    while dq:
        v = dq.popleft()
        # Predecessor u of v has residual arc u->v; arcs out of v are e (v->u), reverse e^1.
        for p in range(starts[v], starts[v + 1]):
            e = adj_arc[p]
            u = head[e]
            if not seen[u] and res[e ^ 1] > eps:
                seen[u] = True
                dq.append(u)
    return np.asarray(seen, dtype=bool)


def _greedy_neighbours(
    n: int,
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    cap: NDArray[np.float64],
    supply: NDArray[np.float64],
    deficit: NDArray[np.float64],
    flow0: NDArray[np.float64],
    used0: NDArray[np.float64],
    served0: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Add to a feasible flow: surplus nodes feed deficit neighbours directly, vectorised.

    Most of a max flow in a power network travels one link, so this removes most of the
    augmenting-path work. Each node with supply left offers it over its links in link order
    (cumulative sums clipped at the supply and the residual capacity), then each node with
    deficit left accepts offers in link order up to its deficit; what is accepted is feasible.
    """
    m = len(a)
    sup = supply - used0
    dfc = deficit - served0
    ta = np.concatenate([a, b])
    hb = np.concatenate([b, a])
    kk = np.concatenate([cap - flow0, cap + flow0])  # residual in each direction
    sign = np.concatenate([np.ones(m), -np.ones(m)])
    ok = (sup[ta] > 0) & (dfc[hb] > 0) & (kk > 0)
    if not ok.any():
        return flow0, used0, served0
    ta, hb, kk, sign = ta[ok], hb[ok], kk[ok], sign[ok]
    idx = np.nonzero(ok)[0]
    # Never offer more than the receiver lacks: a huge capacity (an "unlimited" link) in the
    # running sums would swamp the digits of the small amounts after it.
    offer = _clip_in_groups(ta, np.minimum(np.minimum(kk, sup[ta]), dfc[hb]), sup)
    got = _clip_in_groups(hb, offer, dfc)
    flow = flow0.copy()
    np.add.at(flow, idx % m, sign * got)
    return flow, used0 + np.bincount(ta, got, n), served0 + np.bincount(hb, got, n)


#: Graphs with at least this many nodes get most of their flow from scipy's integer max-flow.
_SCALED_FROM = 400
_INT_CAP = 2**30


def _scaled_refinement(
    n: int,
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    cap: NDArray[np.float64],
    supply: NDArray[np.float64],
    deficit: NDArray[np.float64],
    flow0: NDArray[np.float64],
    used0: NDArray[np.float64],
    served0: NDArray[np.float64],
    levels: int = 2,
    eps: float = 0.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Add to a feasible flow by repeated integer max-flows (scipy, C) on the residual network.

    Each level rounds the residual capacities down to integers at a scale where the remaining
    flow fits in 30 bits and adds scipy's maximum flow, which is feasible for the real
    capacities. The remaining flow shrinks by about ``2**30 / arcs`` per level, so after three
    levels the exact Dinic finish has (almost) nothing left to push but must still certify it.
    """
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import maximum_flow

    m = len(a)
    flow, used, served = flow0.copy(), used0.copy(), served0.copy()
    s_node, t_node = n, n + 1
    # Arc structure, fixed across levels: links both ways, source arcs, sink arcs. Parallel
    # arcs are merged in floats first, so the integer capacities cannot overflow when summed.
    rows = np.concatenate([a, b, np.full(n, s_node), np.arange(n)])
    cols = np.concatenate([b, a, np.arange(n), np.full(n, t_node)])
    key = rows * (n + 2) + cols
    uniq, inv = np.unique(key, return_inverse=True)
    u_rows, u_cols = uniq // (n + 2), uniq % (n + 2)
    indptr = np.searchsorted(u_rows, np.arange(n + 3)).astype(np.int32)
    indices = u_cols.astype(np.int32)
    n_arcs = len(uniq)
    bound = None
    for _ in range(levels):
        sup = np.maximum(supply - used, 0.0)
        dfc = np.maximum(deficit - served, 0.0)
        total_dfc = float(dfc.sum())
        sup = np.minimum(sup, total_dfc)  # infinite supplies: never more than all deficits
        limit = min(float(sup.sum()), total_dfc)
        if bound is not None:
            limit = min(limit, bound)
        if not limit > eps:  # what is left is below the round-off guard: the finish certifies it
            break
        scale = _INT_CAP / limit
        caps = np.concatenate([cap - flow, cap + flow, sup, dfc])
        merged = np.bincount(inv, caps, n_arcs)
        icap = np.minimum(np.floor(merged * scale), _INT_CAP).astype(np.int32)
        graph = csr_array((icap, indices, indptr), shape=(n + 2, n + 2))
        fmat = maximum_flow(graph, s_node, t_node, method="dinic").flow
        if fmat.nnz == 0:
            break
        fval = np.asarray(fmat[u_rows, u_cols]).ravel().astype(np.float64)
        arc_flow = np.maximum(fval, 0.0)[inv] / scale  # net flow on each merged directed arc
        # Split a merged arc's flow over its members by residual capacity.
        mi = merged[inv]
        share = np.where(mi > 0, caps / np.where(mi > 0, mi, 1.0), 0.0)
        arc_flow = np.minimum(arc_flow * share, np.maximum(caps, 0.0))
        flow = flow + arc_flow[:m] - arc_flow[m : 2 * m]
        used = used + arc_flow[2 * m : 2 * m + n]
        served = served + arc_flow[2 * m + n :]
        # Rounding losses bound what is left: at most one unit per arc of the integer problem.
        bound = (n_arcs + 1) / scale
    return flow, used, served


def _clip_in_groups(
    group: NDArray[np.intp], amount: NDArray[np.float64], limit: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Grant ``amount`` in order within each group until the group's ``limit`` is used up."""
    o = np.argsort(group, kind="stable")
    g, x = group[o], amount[o]
    c = np.cumsum(x)
    start = np.searchsorted(g, g, side="left")
    base = np.where(start > 0, c[start - 1], 0.0)
    inc = c - base
    lim = limit[g]
    granted = np.minimum(inc, lim) - np.minimum(inc - x, lim)
    out = np.empty_like(amount)
    out[o] = np.maximum(granted, 0.0)
    return out
