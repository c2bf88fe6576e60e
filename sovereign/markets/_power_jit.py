"""Compiled kernel of the coupled power market: greedy augmentation and the smallest prices.

Why greedy is exact: the supply vectors (MW per block) that the link network can deliver to the
regions' demands form a polymatroid (a flow polymatroid), and the cost ``sum(cost * dispatch) +
voll * unserved`` equals ``voll * demand - sum((voll - cost) * dispatch)``: a linear function with
non-negative weights to maximise over that polymatroid. Edmonds' greedy algorithm solves that
exactly: take the blocks in merit order (cheapest first, ties by region then block) and give each
as many MW as can still be routed to unmet demand without taking MW from an earlier block. Each
block's share is a max-flow from its region to the regions with unmet demand in the residual
network, found by breadth-first augmenting paths.

Two facts keep it fast. Most blocks serve their own region (no search). A search that finds no
unmet demand marks every region it reached as *dead*: that set has no residual arc leaving it and
later augmentations never enter it, so it stays closed for the rest of the slice and later blocks
there are skipped without searching.

Prices come from complementary slackness with the final flow: a region's price is at least the
cost of every block dispatched in the regions it can still push power to (VOLL where load is
shed there). The least vector meeting those lower bounds, floored at the cheapest candidate price
of the region's linked component, is the smallest optimal dual (optimal duals form a lattice), which
is the convention documented in :mod:`sovereign.markets.power`. A sweep over regions in decreasing
order of their own bound, each propagating backwards along residual arcs, computes it in linear time.

Compiled with numba: the loops are short and data-dependent (a breadth-first search per
augmentation), where numpy's per-call cost would dominate a 25-region slice.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _adjacency(
    n: int, src: np.ndarray, dst: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CSR adjacency of the undirected link graph: per arc its link, both ends and the sign.

    The sign is +1 when pushing from this node increases the link's flow (this node is ``src``).
    """
    n_l = src.shape[0]
    deg = np.zeros(n + 1, np.int64)
    for i in range(n_l):
        if src[i] != dst[i]:
            deg[src[i] + 1] += 1
            deg[dst[i] + 1] += 1
    for i in range(n):
        deg[i + 1] += deg[i]
    start = deg.copy()
    fill = deg[:-1].copy()
    a_link = np.empty(start[n], np.int64)
    a_node = np.empty(start[n], np.int64)
    a_sign = np.empty(start[n], np.float64)
    a_from = np.empty(start[n], np.int64)
    for i in range(n_l):
        s, t = src[i], dst[i]
        if s == t:
            continue
        a_link[fill[s]] = i
        a_node[fill[s]] = t
        a_sign[fill[s]] = 1.0
        a_from[fill[s]] = s
        fill[s] += 1
        a_link[fill[t]] = i
        a_node[fill[t]] = s
        a_sign[fill[t]] = -1.0
        a_from[fill[t]] = t
        fill[t] += 1
    return start, a_link, a_node, a_sign, a_from


@njit(cache=True)
def _label(
    start: np.ndarray, a_node: np.ndarray, a_link: np.ndarray, cap: np.ndarray, key: np.ndarray, queue: np.ndarray
) -> np.ndarray:
    """Connected components (0, 1, ...) over links with capacity joining nodes of equal ``key``."""
    n = start.shape[0] - 1
    label = np.full(n, -1, np.int64)
    n_lab = 0
    for s0 in range(n):
        if label[s0] >= 0:
            continue
        label[s0] = n_lab
        head = 0
        tail = 1
        queue[0] = s0
        while head < tail:
            v = queue[head]
            head += 1
            for a in range(start[v], start[v + 1]):
                w = a_node[a]
                if label[w] < 0 and cap[a_link[a]] > 0.0 and key[w] == key[v]:
                    label[w] = n_lab
                    queue[tail] = w
                    tail += 1
        n_lab += 1
    return label


@njit(cache=True)
# C901: a numba nopython kernel, one loop kept whole so it compiles to one tight function; its
# plain statement is the LP it solves, and the tests hold it to scipy's HiGHS on random instances.
def coupled_clear(  # noqa: C901
    cs: np.ndarray,
    qe: np.ndarray,
    d: np.ndarray,
    voll: float,
    src: np.ndarray,
    dst: np.ndarray,
    lcap2: np.ndarray,
    eps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clear every batch element of a linked power market exactly.

    Args:
        cs: Block costs in merit order per node, ``(nb * R, U)`` (node = batch * R + region).
        qe: Effective capacities in merit order (0 for blocks dearer than VOLL), ``(nb * R, U)``.
        d: Demand per node, ``(nb * R,)``.
        voll: Value of lost load.
        src: Link tail regions, ``(L,)``.
        dst: Link head regions, ``(L,)``.
        lcap2: Link capacities per batch element, ``(nb, L)``.
        eps: MW amounts at or below this count as zero (round-off guard).

    Returns:
        ``(price, dispatch, unserved, flow, marginal, setter, coupled)``: price, dispatch in merit
        order, unserved load, link flows ``(nb, L)``, the merit-order position of the block setting
        each price (-1: VOLL or an import), the region whose block sets it (-1: VOLL), and whether
        the node has an active link (only those nodes' results differ from the plain merit order).
    """
    n_nodes, n_u = cs.shape
    nb, n_l = lcap2.shape
    n_r = n_nodes // nb if nb > 0 else 0
    start, a_link, a_node, a_sign, a_from = _adjacency(n_r, src, dst)

    price = np.empty(n_nodes)
    disp = np.zeros((n_nodes, n_u))
    unserved = np.zeros(n_nodes)
    flow = np.zeros((nb, n_l))
    marg = np.full(n_nodes, -1, np.int64)
    setter = np.full(n_nodes, -1, np.int64)
    coupled = np.zeros(n_nodes, np.bool_)

    deficit = np.empty(n_r)
    dead = np.zeros(n_r, np.bool_)
    seen = np.zeros(n_r, np.int64)  # BFS stamp per node
    parent = np.empty(n_r, np.int64)  # arc used to reach the node
    queue = np.empty(n_r, np.int64)
    keys = np.empty(n_r * n_u)
    stamp = 0

    for b in range(nb):
        base = b * n_r
        cap_b = lcap2[b]
        f = flow[b]
        for r in range(n_r):
            deficit[r] = d[base + r]
            dead[r] = False
        for r in range(n_r):
            for u in range(n_u):
                keys[r * n_u + u] = cs[base + r, u]
        order = np.argsort(keys, kind="mergesort")  # stable: ties by region, then merit position

        for idx in order:
            r = idx // n_u
            u = idx % n_u
            amt = qe[base + r, u]
            if amt <= 0.0 or dead[r]:
                continue
            take = min(amt, deficit[r])
            sent = take
            deficit[r] -= take
            while amt - sent > eps:
                # Breadth-first search for a region with unmet demand through residual links.
                stamp += 1
                seen[r] = stamp
                head = 0
                tail = 1
                queue[0] = r
                found = -1
                while head < tail and found < 0:
                    v = queue[head]
                    head += 1
                    for a in range(start[v], start[v + 1]):
                        w = a_node[a]
                        if seen[w] == stamp or dead[w]:
                            continue
                        lk = a_link[a]
                        resid = cap_b[lk] - a_sign[a] * f[lk]
                        if resid <= eps:
                            continue
                        seen[w] = stamp
                        parent[w] = a
                        if deficit[w] > eps:
                            found = w
                            break
                        queue[tail] = w
                        tail += 1
                if found < 0:
                    for i in range(tail):
                        dead[queue[i]] = True
                    break
                push = min(amt - sent, deficit[found])
                w = found
                while w != r:
                    a = parent[w]
                    lk = a_link[a]
                    resid = cap_b[lk] - a_sign[a] * f[lk]
                    if resid < push:
                        push = resid
                    w = a_from[a]
                w = found
                while w != r:
                    a = parent[w]
                    lk = a_link[a]
                    f[lk] += a_sign[a] * push
                    w = a_from[a]
                deficit[found] -= push
                sent += push
            disp[base + r, u] = sent

        # Components over active links (for the price floor) and which nodes are coupled.
        comp = _label(start, a_node, a_link, cap_b, np.zeros(n_r), queue)
        n_comp = comp.max() + 1 if n_r else 0
        for v in range(n_r):
            for a in range(start[v], start[v + 1]):
                if cap_b[a_link[a]] > 0.0:
                    coupled[base + v] = True
        floor = np.full(n_comp, voll)
        for r in range(n_r):
            for u in range(n_u):
                if qe[base + r, u] > 0.0 and cs[base + r, u] < floor[comp[r]]:
                    floor[comp[r]] = cs[base + r, u]

        # Own lower bound of each region's price: its dearest running block, VOLL if it sheds.
        own = np.full(n_r, -np.inf)
        for r in range(n_r):
            if deficit[r] > eps:
                unserved[base + r] = deficit[r]
                own[r] = voll
                continue
            for u in range(n_u):
                if disp[base + r, u] > eps and cs[base + r, u] > own[r]:
                    own[r] = cs[base + r, u]
        # Smallest prices: in decreasing order of own bounds, give every region that can push
        # power to the source (residual arcs backwards) the source's bound, first come first kept.
        lam = np.full(n_r, -np.inf)
        done = np.zeros(n_r, np.bool_)
        for q in np.argsort(-own, kind="mergesort"):
            if done[q] or own[q] == -np.inf:
                continue
            done[q] = True
            lam[q] = own[q]
            head = 0
            tail = 1
            queue[0] = q
            while head < tail:
                v = queue[head]
                head += 1
                for a in range(start[v], start[v + 1]):
                    w = a_node[a]
                    if done[w]:
                        continue
                    lk = a_link[a]
                    # Residual capacity from w to v: the reverse direction of arc a.
                    if cap_b[lk] + a_sign[a] * f[lk] <= eps:
                        continue
                    done[w] = True
                    lam[w] = own[q]
                    queue[tail] = w
                    tail += 1
        for r in range(n_r):
            p = lam[r]
            if p < floor[comp[r]]:
                p = floor[comp[r]]
            price[base + r] = p

        # Explanation: the region's own block at its price (last running, else the first with
        # capacity), else the lowest-numbered region of its equal-price zone that has one.
        for r in range(n_r):
            p = price[base + r]
            m = -1
            first = -1
            if unserved[base + r] <= 0.0:
                for u in range(n_u):
                    if cs[base + r, u] == p and qe[base + r, u] > 0.0:
                        if first < 0:
                            first = u
                        if disp[base + r, u] > 0.0:
                            m = u
                if m < 0:
                    m = first
            marg[base + r] = m
        # Equal-price zones over active links: the lowest-numbered region with its own block.
        zone = _label(start, a_node, a_link, cap_b, price[base : base + n_r], queue)
        best = np.full(n_r, n_r, np.int64)
        for v in range(n_r):
            if marg[base + v] >= 0 and v < best[zone[v]]:
                best[zone[v]] = v
        for v in range(n_r):
            setter[base + v] = v if marg[base + v] >= 0 else (best[zone[v]] if best[zone[v]] < n_r else -1)
    return price, disp, unserved, flow, marg, setter, coupled


@njit(cache=True)
def _stable_order(row: np.ndarray, out: np.ndarray) -> None:
    """Stable ascending order of ``row``: insertion sort for the usual dozen blocks, else mergesort."""
    n = row.shape[0]
    if n > 32:
        out[:] = np.argsort(row, kind="mergesort")
        return
    for i in range(n):
        out[i] = i
    for i in range(1, n):
        v = out[i]
        key = row[v]
        j = i - 1
        while j >= 0 and row[out[j]] > key:
            out[j + 1] = out[j]
            j -= 1
        out[j + 1] = v


@njit(cache=True)
def clear_linked(
    c2: np.ndarray,
    q2: np.ndarray,
    d: np.ndarray,
    voll: float,
    src: np.ndarray,
    dst: np.ndarray,
    lcap2: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """The whole linked clearing in one compiled call: merit orders, coupling, explanation.

    Nodes without an active link get the plain merit order, computed with the same formulas as
    the vectorised path (price at the first step whose cumulative capacity reaches demand,
    dispatch ``min(cum, d) - min(prev, d)``), so they match it exactly.

    Returns:
        ``(price, dispatch, unserved, flow, total, marginal_block, setter, order, curve_cost,
        curve_mw)`` with ``dispatch`` in block order and ``marginal_block`` a block index.
    """
    n_nodes, n_u = c2.shape
    nb = lcap2.shape[0]
    n_r = n_nodes // nb if nb > 0 else 0
    order = np.empty((n_nodes, n_u), np.int64)
    cs = np.empty((n_nodes, n_u))
    qe = np.empty((n_nodes, n_u))
    curve = np.empty((n_nodes, n_u))
    price = np.empty(n_nodes)
    disp_s = np.zeros((n_nodes, n_u))
    unserved = np.zeros(n_nodes)
    marg = np.full(n_nodes, -1, np.int64)
    scale = 0.0
    for n in range(n_nodes):
        _stable_order(c2[n], order[n])
        cum_e = 0.0
        cum_q = 0.0
        for u in range(n_u):
            o = order[n, u]
            cs[n, u] = c2[n, o]
            cum_q += q2[n, o]
            curve[n, u] = cum_q
            qe[n, u] = q2[n, o] if c2[n, o] <= voll else 0.0
        # Merit order of the isolated node.
        dn = d[n]
        pos = 0
        prev = 0.0
        for u in range(n_u):
            cum_e += qe[n, u]
            disp_s[n, u] = min(cum_e, dn) - min(prev, dn)
            prev = cum_e
            if (cum_e < dn) if dn > 0 else (cum_e <= 0.0):
                pos += 1
        if pos < n_u:
            price[n] = cs[n, pos]
            marg[n] = pos
        else:
            price[n] = voll
        unserved[n] = max(dn - cum_e, 0.0)
        scale = max(scale, cum_e, dn)
    # Round-off guard: no flow can exceed the largest supply or demand, so link capacities
    # (possibly huge "unlimited" values) do not enter the scale.
    p_c, disp_c, uns_c, flow, marg_c, set_c, coupled = coupled_clear(
        cs, qe, d, voll, src, dst, lcap2, 1e-11 * max(scale, 1e-300)
    )
    dispatch = np.empty((n_nodes, n_u))
    total = np.empty(n_nodes)
    block = np.full(n_nodes, -1, np.int64)
    setter = np.full(n_nodes, -1, np.int64)
    for n in range(n_nodes):
        if coupled[n]:
            price[n] = p_c[n]
            unserved[n] = uns_c[n]
            marg[n] = marg_c[n]
            setter[n] = set_c[n]
            for u in range(n_u):
                disp_s[n, u] = disp_c[n, u]
        elif marg[n] >= 0:
            setter[n] = n % n_r
        t = 0.0
        for u in range(n_u):
            o = order[n, u]
            dispatch[n, o] = disp_s[n, u]
            t += cs[n, u] * disp_s[n, u]
        total[n] = t + voll * unserved[n]
        if marg[n] >= 0:
            block[n] = order[n, marg[n]]
    return price, dispatch, unserved, flow, total, block, setter, order, cs, curve
