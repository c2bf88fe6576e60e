"""Float max-flow / min-cut on an undirected network with node supplies and deficits.

The coupled power market needs exact minimum cuts with real-valued capacities; scipy's
``maximum_flow`` only takes 32-bit integers, so this is a small Dinic implementation in plain
Python. The network is a source feeding node supplies, undirected links between nodes, and node
deficits draining to a sink. Residual capacities at or below ``eps`` count as zero so that float
round-off cannot create phantom augmenting paths.
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

    Returns:
        ``(flow, used, served, sink_side)``: link flows, flow on each source arc, flow on each
        sink arc, and the minimal sink side of a minimum cut (the nodes that can still reach the
        sink in the residual network).
    """
    m = len(a)
    if flow0 is None and m:
        flow0, used0, served0 = _greedy_neighbours(n, a, b, cap, supply, deficit)
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
    for r in sources:
        if src[r] > eps:
            level[r] = 1
            layer.append(r)
    depth = 1
    while layer:
        if any(snk[u] > eps for u in layer):
            return level, True
        depth += 1
        nxt = []
        for u in layer:
            for p in range(starts[u], starts[u + 1]):
                e = adj_arc[p]
                v = head[e]
                if level[v] < 0 and res[e] > eps:
                    level[v] = depth
                    nxt.append(v)
        layer = nxt
    return level, False


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
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """A feasible starting flow: surplus nodes feed deficit neighbours directly, vectorised.

    Most of a max flow in a power network travels one link, so this removes most of the
    augmenting-path work. Each surplus node offers its surplus over its links in link order
    (cumulative sums clipped at the surplus), then each deficit node accepts offers in link
    order up to its deficit; what is accepted is feasible for every arc.
    """
    # Directed offers: tail has supply, head has deficit.
    ta = np.concatenate([a, b])
    hb = np.concatenate([b, a])
    kk = np.concatenate([cap, cap])
    sign = np.concatenate([np.ones(len(a)), -np.ones(len(a))])
    ok = (supply[ta] > 0) & (deficit[hb] > 0) & (kk > 0)
    ta, hb, kk, sign = ta[ok], hb[ok], kk[ok], sign[ok]
    idx = np.nonzero(ok)[0]
    if len(ta) == 0:
        return np.zeros(len(a)), np.zeros(n), np.zeros(n)
    offer = _clip_in_groups(ta, np.minimum(kk, supply[ta]), supply)
    got = _clip_in_groups(hb, offer, deficit)
    flow = np.zeros(len(a))
    np.add.at(flow, idx % len(a), sign * got)
    used = np.bincount(ta, got, n)
    served = np.bincount(hb, got, n)
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
