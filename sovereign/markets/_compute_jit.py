"""Compiled Sinkhorn stage of the compute market (see :mod:`sovereign.markets.compute`).

One call runs one temperature stage of the log-stabilised, over-relaxed Sinkhorn scaling for the
inequality-constrained entropic transport problem, with the welfare certificate checked as it
goes. The kernel is kept twice (row- and column-major) so that both matrix-vector products are
contiguous sweeps that the compiler vectorises; at a 60 x 60 market an iteration then costs a
few microseconds instead of the ~40 microseconds of numpy's per-call overhead.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Scaling factors leaving [1 / BIG, BIG] are absorbed into the potentials.
BIG = 1e50
#: Status codes returned by :func:`stage`.
CONVERGED, CERTIFIED, BUDGET = 0, 1, 2
#: Iterations between two looks for a stalled drift of the potentials (see :func:`_leap`), from
#: the first look on. Looking every 250 plain iterations after 300 over-relaxed ones, a stage that
#: stalled at its 16th iteration ran 4,221 in one quarter of 120 (mean 217, median 47): the
#: over-relaxed scaling sat at one error for 284 iterations, the plain one for 250 more before its
#: first leap. Every 20 from the 20th: at most 722 in 380 quarters of five scenarios' games, 30-60%
#: fewer iterations in all; every 10 leapt on drifts too short to extrapolate and ran out of budget.
LOOK_EVERY = 20
#: A stage whose error fell by less than 1 - this between two looks has stalled.
STALL = 0.98
#: A stage whose error fell by less than half between two looks converges slowly (see :func:`_leap`).
SLOW = 0.5
#: The longest leap along a drift, in looks' worth of it.
MAX_LEAP = 1000.0


@njit(cache=True)
def _kernel(
    s: np.ndarray, m: np.ndarray, f: np.ndarray, g: np.ndarray, tau: float, ker: np.ndarray, ker_t: np.ndarray
) -> None:
    """Fill ``ker = exp((s - f - g) / tau)`` on the allowed pairs (0 elsewhere) and its transpose."""
    n_j, n_k = s.shape
    for j in range(n_j):
        for k in range(n_k):
            v = 0.0
            if m[j, k]:
                # Clipped on both sides: exp overflows above 709 and takes a slow path into
                # subnormals below -708 (an entry of 1e-304 is as good as zero).
                e = (s[j, k] - f[j] - g[k]) / tau
                v = np.exp(min(max(e, -700.0), 700.0))
            ker[j, k] = v
            ker_t[k, j] = v


# Reassociation lets the compiler vectorise the dot products (4x faster at 60 x 60); it changes
# round-off, not results beyond it, and a given build is deterministic.
_FAST = {"reassoc", "contract"}


@njit(cache=True, fastmath=_FAST)
def _matvec(ker: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """``out = ker @ x``, one contiguous dot product per row of ``ker``."""
    for j in range(ker.shape[0]):
        acc = 0.0
        row = ker[j]
        for k in range(ker.shape[1]):
            acc += row[k] * x[k]
        out[j] = acc


@njit(cache=True)
def _kernel_any(
    s: np.ndarray,
    m: np.ndarray,
    f: np.ndarray,
    g: np.ndarray,
    tau: float,
    ker: np.ndarray,
    ker_t: np.ndarray,
    group: np.ndarray,
    delta: np.ndarray,
    e_row: np.ndarray,
    cgroup: np.ndarray,
    eps: np.ndarray,
    e_col: np.ndarray,
) -> None:
    """`_kernel`, or for grouped rows and/or columns the groups' kernel and each row's and column's factor.

    Row ``j`` of group ``q`` and column ``k`` of group ``h`` have the surplus ``s_qh + delta_j +
    eps_k`` (``delta``, ``eps``: zero for a group's first member), so their kernel
    ``exp((s_qh + delta_j + eps_k - f_j - g_k) / tau)`` splits into the groups' ``exp((s_qh - hr_q
    - hc_h) / tau)`` times the row's ``exp((delta_j - f_j + hr_q) / tau)`` times the column's
    ``exp((eps_k - g_k + hc_h) / tau)``, for any shifts ``hr``, ``hc``. Each group is shifted by
    the least of its members' ``f_j - delta_j`` (``g_k - eps_k``), so every factor is at most 1 and
    the groups' kernel is as large as its largest member's, the ungrouped kernel's scale: without
    a shift, a surplus of hundreds of dollars at a temperature of cents put both parts at the clip
    of ``exp(700)`` and their product overflowed to inf (and 0 * inf to NaN). An ungrouped
    dimension is its own groups, shifted by its potentials.
    """
    rows_grouped = group.shape[0] > 0
    cols_grouped = cgroup.shape[0] > 0
    if not rows_grouped and not cols_grouped:
        _kernel(s, m, f, g, tau, ker, ker_t)
        return
    n_q, n_h = s.shape
    hr = np.empty(n_q)
    hc = np.empty(n_h)
    if rows_grouped:
        hr[:] = np.inf
        for j in range(group.shape[0]):
            hr[group[j]] = min(hr[group[j]], f[j] - delta[j])
    else:
        hr[:] = f
    if cols_grouped:
        hc[:] = np.inf
        for k in range(cgroup.shape[0]):
            hc[cgroup[k]] = min(hc[cgroup[k]], g[k] - eps[k])
    else:
        hc[:] = g
    _kernel(s, m, hr, hc, tau, ker, ker_t)
    if rows_grouped:
        for j in range(group.shape[0]):
            e_row[j] = np.exp(min(max((delta[j] - f[j] + hr[group[j]]) / tau, -700.0), 700.0))
    if cols_grouped:
        for k in range(cgroup.shape[0]):
            e_col[k] = np.exp(min(max((eps[k] - g[k] + hc[cgroup[k]]) / tau, -700.0), 700.0))


@njit(cache=True)
def _gather(x: np.ndarray, group: np.ndarray, factor: np.ndarray, out: np.ndarray) -> None:
    """``out[q] = sum of factor_j * x_j over the members j of group q``."""
    out[:] = 0.0
    for j in range(group.shape[0]):
        out[group[j]] += x[j] * factor[j]


@njit(cache=True)
def _spread(part: np.ndarray, group: np.ndarray, factor: np.ndarray, out: np.ndarray) -> None:
    """``out[j] = factor_j * part[group of j]``."""
    for j in range(group.shape[0]):
        out[j] = factor[j] * part[group[j]]


@njit(cache=True)
def _product(
    ker: np.ndarray,
    x: np.ndarray,
    out: np.ndarray,
    group_out: np.ndarray,
    factor_out: np.ndarray,
    part_out: np.ndarray,
    group_in: np.ndarray,
    factor_in: np.ndarray,
    part_in: np.ndarray,
) -> None:
    """``out = K @ x`` for a grouped kernel: ``x`` summed per input group, one product per group, spread.

    ``group_out`` groups the rows of ``ker`` (the output), ``group_in`` its columns (the input);
    either may be empty (ungrouped).
    """
    if group_in.shape[0] > 0:
        _gather(x, group_in, factor_in, part_in)
        if group_out.shape[0] > 0:
            _matvec(ker, part_in, part_out)
            _spread(part_out, group_out, factor_out, out)
        else:
            _matvec(ker, part_in, out)
    elif group_out.shape[0] > 0:
        _matvec(ker, x, part_out)
        _spread(part_out, group_out, factor_out, out)
    else:
        _matvec(ker, x, out)


@njit(cache=True)
def _absorb(
    f: np.ndarray, g: np.ndarray, a: np.ndarray, b: np.ndarray, tau: float, amax: np.ndarray, bmax: np.ndarray
) -> None:
    """Move the scalings into the potentials (kept >= 0) and reset them to 1."""
    for j in range(f.shape[0]):
        f[j] = max(f[j] - tau * np.log(a[j]), 0.0)
        amax[j] = np.exp(min(f[j] / tau, 700.0))
        a[j] = 1.0
    for k in range(g.shape[0]):
        g[k] = max(g[k] - tau * np.log(b[k]), 0.0)
        bmax[k] = np.exp(min(g[k] / tau, 700.0))
        b[k] = 1.0


@njit(cache=True, inline="always")
def _relax_ratio(old: float, ratio: float, omega: float) -> float:
    """Over-relaxed scaling update from ``ratio = new / old``, large steps taken plainly.

    ``old * (1 + omega * (ratio - 1))`` is the first-order form of ``old * ratio ** omega`` (SOR
    in the log domain) without a ``pow`` per entry; it stays positive for ratios above
    ``1 - 1 / omega``, and any factor in [1, 2) is a valid over-relaxation.
    """
    if 0.5 < ratio < 2.0:
        return old * (1.0 + omega * (ratio - 1.0))
    return old * ratio


@njit(cache=True)
def _project(
    a: np.ndarray,
    b: np.ndarray,
    ker: np.ndarray,
    ker_t: np.ndarray,
    d: np.ndarray,
    c: np.ndarray,
    g: np.ndarray,
    tau: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scalings put onto the constraints, and the capacity prices ``g - tau log b``.

    Rows are scaled down to demand, then columns down to capacity. Returns ``(row scaling,
    column scaling, price)``.
    """
    n_j, n_k = ker.shape
    kb = np.empty(n_j)
    _matvec(ker, b, kb)
    ar = np.empty(n_j)
    for j in range(n_j):
        row = a[j] * kb[j]
        ar[j] = a[j] * min(1.0, d[j] / row) if row > 1e-300 else a[j]
    kta = np.empty(n_k)
    _matvec(ker_t, ar, kta)
    bc = np.empty(n_k)
    price = np.empty(n_k)
    for k in range(n_k):
        col = b[k] * kta[k]
        bc[k] = b[k] * min(1.0, c[k] / col) if col > 1e-300 else b[k]
        price[k] = max(g[k] - tau * np.log(b[k]), 0.0) if b[k] > 0.0 else g[k]
    return ar, bc, price


@njit(cache=True)
def _shaved(
    x: np.ndarray, factor: np.ndarray, by_group: np.ndarray, label: np.ndarray, limit: np.ndarray
) -> np.ndarray:
    """``x_i * factor_i``, shaved where its total (times its group's ``by_group``) passes ``limit_i``.

    `finish`'s row factors (onto demand) and column factors (onto capacity): a total over its
    limit times ``1 - 1e-14`` is scaled down to that, so no constraint is broken by round-off.
    """
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        f = x[i] * factor[i]
        tot = f * by_group[label[i]]
        if tot > limit[i] * (1 - 1e-14):
            f *= limit[i] / tot * (1 - 1e-14)
        out[i] = f
    return out


@njit(cache=True)
def _sum_by(x: np.ndarray, label: np.ndarray, factor: np.ndarray, n: int) -> np.ndarray:
    """``(n,)`` the sums of ``factor_i * x_i`` by label (`finish`'s products of a grouped kernel)."""
    out = np.zeros(n)
    for i in range(x.shape[0]):
        out[label[i]] += factor[i] * x[i]
    return out


@njit(cache=True)
def certify(
    s: np.ndarray,
    m: np.ndarray,
    d: np.ndarray,
    c: np.ndarray,
    g: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    ker: np.ndarray,
    ker_t: np.ndarray,
    tau: float,
) -> tuple[float, float]:
    """Welfare of the allocation projected onto the constraints, and the LP dual bound.

    The projection scales rows down to demand, then columns down to capacity, so the welfare is
    that of an allocation the market could actually make; the bound is the dual objective at the
    capacity prices ``g - tau log b`` (an upper bound on the LP optimum for any prices >= 0).
    """
    n_k = s.shape[1]
    ar, bc, price = _project(a, b, ker, ker_t, d, c, g, tau)
    welfare, bound = _welfare_bound(s, m, ker, ar, bc, price, d)
    for k in range(n_k):
        bound += c[k] * price[k]
    return welfare, bound


@njit(cache=True, fastmath=_FAST)
def _welfare_bound(
    s: np.ndarray,
    m: np.ndarray,
    ker: np.ndarray,
    ar: np.ndarray,
    bc: np.ndarray,
    price: np.ndarray,
    d: np.ndarray,
) -> tuple[float, float]:
    """``sum(ar_j K_jk s_jk bc_k)`` and ``sum_j d_j max(0, max_k s_jk - price_k)`` on the tradeable pairs, one sweep."""
    welfare = 0.0
    bound = 0.0
    for j in range(s.shape[0]):
        acc = 0.0
        rent = 0.0
        row_k = ker[j]
        row_s = s[j]
        row_m = m[j]
        for k in range(s.shape[1]):
            acc += row_k[k] * (row_s[k] if row_m[k] else 0.0) * bc[k]
            r = (row_s[k] if row_m[k] else -1e300) - price[k]
            rent = r if r > rent else rent
        welfare += ar[j] * acc
        bound += d[j] * rent
    return welfare, bound


@njit(cache=True)
def stage(
    s: np.ndarray,
    m: np.ndarray,
    s_sub: np.ndarray,
    m_sub: np.ndarray,
    d: np.ndarray,
    c: np.ndarray,
    f: np.ndarray,
    g: np.ndarray,
    tau: float,
    omega: float,
    plain_after: int,
    tol: float,
    check_gap: bool,
    gap: float,
    atol: float,
    max_iter: int,
    group: np.ndarray,
    delta: np.ndarray,
    cgroup: np.ndarray,
    eps: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Run Sinkhorn at temperature ``tau`` from potentials ``f``, ``g`` (updated in place).

    Stops when both marginals are within ``tol`` (relative; one-sided where a scaling sits at its
    cap, i.e. a constraint that does not bind), when ``check_gap`` and the certified welfare gap is
    at most ``max(gap * welfare, atol)``, or after ``max_iter`` iterations. ``s_sub`` and ``m_sub``
    are the sub-problem's surplus and tradeable pairs (`sub_problem`), which the certificate reads.

    Grouped rows (``group`` non-empty, not with ``check_gap``): ``s`` and ``m`` hold one row per
    group, and row ``j``'s surplus is its group's plus ``delta[j]`` on the same allowed pairs, so its
    kernel row is its group's times ``exp((delta[j] - f[j]) / tau)``: each matrix-vector product
    then costs one row per group (the tranches of a demand segment), and :func:`finish` works from
    the groups' kernel too. Grouped columns (``cgroup``, ``eps``) likewise: ``s`` and ``m``
    then hold one column per group (the datacenters of a region that serve the same segments), and
    the products cost one group by one group (`_kernel_any`).

    Returns:
        ``(a, b, ker, ker_t, e_row, e_col, iterations, status)`` with status CONVERGED, CERTIFIED or
        BUDGET: the kernel (the groups' one, and its transpose) and the grouped rows' and columns'
        factors, from which :func:`finish` works out the allocation (group by group, see there).
    """
    n_j = group.shape[0] if group.shape[0] > 0 else s.shape[0]
    n_k = cgroup.shape[0] if cgroup.shape[0] > 0 else s.shape[1]
    ker = np.empty(s.shape)
    ker_t = np.empty((s.shape[1], s.shape[0]))
    e_row = np.ones(n_j)  # grouped rows' factors
    e_col = np.ones(n_k)  # grouped columns' factors
    amax = np.empty(n_j)
    bmax = np.empty(n_k)
    a = np.ones(n_j)
    b = np.ones(n_k)
    _absorb(f, g, a, b, tau, amax, bmax)
    _kernel_any(s, m, f, g, tau, ker, ker_t, group, delta, e_row, cgroup, eps, e_col)
    kb = np.empty(n_j)
    kta = np.empty(n_k)
    part = np.empty(s.shape[0])  # grouped rows: a product's per-group part
    cpart = np.empty(s.shape[1])  # grouped columns: likewise
    w = omega
    interval = 4.0
    next_check = 4
    inv_d = 1.0 / d
    inv_c = 1.0 / c
    b_next = np.empty(n_k)
    # the potentials and the error at the last look for a stall (`_leap`, every LOOK_EVERY iterations)
    last_err = np.inf
    have_prev = False
    f_prev = np.empty(n_j)
    g_prev = np.empty(n_k)
    for it in range(max_iter):
        if it == plain_after:
            w = 1.0  # over-relaxation can stall at low temperature; plain Sinkhorn always converges
        _product(ker, b, kb, group, e_row, part, cgroup, e_col, cpart)
        out = False
        # Update a, and measure the row errors of the new iterate (new a, old b) on the way:
        # rows a * (K b), one-sided where a scaling sits at its cap (a demand that does not bind).
        err = 0.0
        for j in range(n_j):
            aj = a[j]
            if kb[j] > 0.0:
                aj = min(amax[j], _relax_ratio(aj, d[j] / (aj * kb[j]), w))
                a[j] = aj
                if aj > BIG or aj < 1.0 / BIG:
                    out = True
            row = aj * kb[j] - d[j]
            e = abs(row) if aj < amax[j] * (1 - 1e-12) else max(row, 0.0)
            err = max(err, e * inv_d[j])
        if out:
            _absorb(f, g, a, b, tau, amax, bmax)
            _kernel_any(s, m, f, g, tau, ker, ker_t, group, delta, e_row, cgroup, eps, e_col)
            continue
        _product(ker_t, a, kta, cgroup, e_col, cpart, group, e_row, part)
        # Column errors of the same iterate, and the next b (committed after the checks).
        for k in range(n_k):
            bk = b[k]
            col = bk * kta[k] - c[k]
            e = abs(col) if bk < bmax[k] * (1 - 1e-12) else max(col, 0.0)
            err = max(err, e * inv_c[k])
            if kta[k] > 0.0:
                bk = min(bmax[k], _relax_ratio(bk, c[k] / (bk * kta[k]), w))
                if bk > BIG or bk < 1.0 / BIG:
                    out = True
            b_next[k] = bk
        if err <= tol:
            return a, b, ker, ker_t, e_row, e_col, it + 1, CONVERGED
        if check_gap and err <= 1e-2 and it >= next_check:
            # The certificate cannot pass while the marginals are far off: check it only near,
            # and at growing intervals (it costs about three iterations).
            welfare, bound = certify(s_sub, m_sub, d, c, g, a, b, ker, ker_t, tau)
            if bound - welfare <= max(gap * welfare, atol):
                return a, b, ker, ker_t, e_row, e_col, it + 1, CERTIFIED
            interval = min(interval * 1.5, 25.0)
            next_check = it + int(interval)
        b[:] = b_next
        if out:
            _absorb(f, g, a, b, tau, amax, bmax)
            _kernel_any(s, m, f, g, tau, ker, ker_t, group, delta, e_row, cgroup, eps, e_col)
        if it >= LOOK_EVERY and it % LOOK_EVERY == 0:
            ratio = err / last_err if have_prev else 0.0
            w = _omega_after_look(w, ratio, have_prev)
            leapt = _look(
                s, m, f, g, a, b, tau, amax, bmax, ker, ker_t, group, delta, e_row, cgroup, eps, e_col,
                f_prev, g_prev, ratio,
            )  # fmt: skip
            have_prev = not leapt
            last_err = err
    return a, b, ker, ker_t, e_row, e_col, max_iter, BUDGET


@njit(cache=True)
def _omega_after_look(omega: float, ratio: float, have_prev: bool) -> float:
    """The over-relaxation to go on with after a look: plain (1) once the over-relaxed scaling stalled.

    An over-relaxed stage can sit at one error for hundreds of iterations (284 in one quarter); the
    plain scaling always converges, and the look's leap (`_leap`) moves it along a stalled drift.
    """
    if omega != 1.0 and have_prev and ratio > STALL:
        return 1.0
    return omega


@njit(cache=True)
def _look(
    s: np.ndarray,
    m: np.ndarray,
    f: np.ndarray,
    g: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    tau: float,
    amax: np.ndarray,
    bmax: np.ndarray,
    ker: np.ndarray,
    ker_t: np.ndarray,
    group: np.ndarray,
    delta: np.ndarray,
    e_row: np.ndarray,
    cgroup: np.ndarray,
    eps: np.ndarray,
    e_col: np.ndarray,
    f_prev: np.ndarray,
    g_prev: np.ndarray,
    ratio: float,
) -> bool:
    """`_leap` if the drift calls for it, then the kernel of the new potentials; whether it leapt."""
    if not _leap(f, g, a, b, tau, f_prev, g_prev, ratio):
        return False
    _absorb(f, g, a, b, tau, amax, bmax)
    _kernel_any(s, m, f, g, tau, ker, ker_t, group, delta, e_row, cgroup, eps, e_col)
    return True


@njit(cache=True)
def _leap(
    f: np.ndarray,
    g: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    tau: float,
    f_prev: np.ndarray,
    g_prev: np.ndarray,
    ratio: float,
) -> bool:
    """Leap along a stalled drift of the potentials; remember them for the next look.

    Why: where a block of segments and clusters cannot balance (its demand and capacity differ),
    the dual has a flat direction: the block's potentials drift together, a little each iteration,
    while the error stays put, until one of them reaches its bound (zero: a price or a rent that
    vanishes) and the scaling converges. The drift took thousands of iterations (the budget ran out
    in 2 of 5 games and the LP was solved instead). When the error stalled over the last look,
    the potentials move along their drift since then until the first one reaches zero, and the
    scaling goes on from there; its fixed point is the same, only reached sooner. Returns whether
    it leapt (the scalings are then 1 and the potentials the new ones).
    """
    n_j, n_k = f.shape[0], g.shape[0]
    fe = np.empty(n_j)
    ge = np.empty(n_k)
    for j in range(n_j):
        fe[j] = f[j] - tau * np.log(a[j]) if a[j] > 0.0 else f[j]
    for k in range(n_k):
        ge[k] = g[k] - tau * np.log(b[k]) if b[k] > 0.0 else g[k]
    slow = ratio > SLOW
    # how far the drift goes on: Aitken's limit of a geometric series of steps shrinking by
    # `ratio` a look, unbounded when it has stalled, and never past the first potential's zero
    steps = ratio / (1.0 - ratio) if ratio < STALL else np.inf
    if slow:
        for j in range(n_j):
            drift = fe[j] - f_prev[j]
            if drift < 0.0 and fe[j] > 0.0:
                steps = min(steps, fe[j] / -drift)
        for k in range(n_k):
            drift = ge[k] - g_prev[k]
            if drift < 0.0 and ge[k] > 0.0:
                steps = min(steps, ge[k] / -drift)
    leap = slow and 1.0 < steps < np.inf
    if leap:
        steps = min(steps, MAX_LEAP)
        for j in range(n_j):
            f[j] = max(fe[j] + steps * (fe[j] - f_prev[j]), 0.0)
            a[j] = 1.0
        for k in range(n_k):
            g[k] = max(ge[k] + steps * (ge[k] - g_prev[k]), 0.0)
            b[k] = 1.0
    f_prev[:] = fe
    g_prev[:] = ge
    return leap


@njit(cache=True)
def finish(
    a: np.ndarray,
    b: np.ndarray,
    ker: np.ndarray,
    ker_t: np.ndarray,
    group: np.ndarray,
    e_row: np.ndarray,
    cgroup: np.ndarray,
    e_col: np.ndarray,
    s: np.ndarray,
    m: np.ndarray,
    d: np.ndarray,
    c: np.ndarray,
    g: np.ndarray,
    tau: float,
    rows: np.ndarray,
    cols: np.ndarray,
    n_rows: int,
    n_cols: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """The allocation, prices, served quantities, welfare and dual bound of a scaling.

    Rows are scaled down onto demand, then columns onto capacity (the projection of
    :func:`certify`), each shaved by ``1 - 1e-14`` so that no constraint is broken by round-off
    (the totals below and any sum of the allocation's entries differ by a few ulps). The kernel
    is the groups' (``group``, ``cgroup``: see :func:`stage`): entry ``(j, k)`` of the full kernel
    is ``e_row[j] * ker[q, h] * e_col[k]`` for the groups ``q`` of ``j`` and ``h`` of ``k`` (an
    ungrouped dimension is its own groups, factors 1, which changes no bit), so every sum of the
    projection (each row's and column's product with the scalings, and the totals of the projected
    allocation) is taken group by group, at the cost of the groups' kernel. Why: built a row and a
    column at a time, the full kernel's products were most of the finish (~7 of ~11 ms a game); by
    groups they differ from those in the last bits only. The allocation, its served quantities,
    welfare and best rents are then one pass over the market, a row at a time (`_row_totals`). The
    scaling ran on the rows ``rows`` and columns ``cols`` of an ``(n_rows, n_cols)`` market
    (`sub_problem`): the allocation, prices and served quantities are returned at that size, zero
    on the rest, so that no pass over the full market is left to numpy.

    Returns:
        ``(allocation, price, served, welfare, bound)``.
    """
    n_j, n_k = a.shape[0], b.shape[0]
    n_q, n_h = ker.shape
    row_q = group if group.shape[0] > 0 else np.arange(n_j)
    col_h = cgroup if cgroup.shape[0] > 0 else np.arange(n_k)
    by_q = np.empty(n_q)
    by_h = np.empty(n_h)
    # rows scaled down to demand: a[j] * (K b)[j]
    _matvec(ker, _sum_by(b, col_h, e_col, n_h), by_q)
    ar = np.empty(n_j)
    for j in range(n_j):
        row = a[j] * (e_row[j] * by_q[row_q[j]])
        ar[j] = a[j] * min(1.0, d[j] / row) if row > 1e-300 else a[j]
    # then columns to capacity: b[k] * (K^T ar)[k]; the capacity prices
    _matvec(ker_t, _sum_by(ar, row_q, e_row, n_q), by_h)
    bc = np.empty(n_k)
    price = np.empty(n_k)
    for k in range(n_k):
        col = b[k] * (e_col[k] * by_h[col_h[k]])
        bc[k] = b[k] * min(1.0, c[k] / col) if col > 1e-300 else b[k]
        price[k] = max(g[k] - tau * np.log(b[k]), 0.0) if b[k] > 0.0 else g[k]
    # the projected allocation ar[j] K[j, k] bc[k]: each row's total, shaved onto its demand (the
    # row's factor rf), then each column's, shaved onto its capacity (the column's factor cf)
    _matvec(ker, _sum_by(bc, col_h, e_col, n_h), by_q)
    rf = _shaved(ar, e_row, by_q, row_q, d)
    _matvec(ker_t, _sum_by(rf, row_q, np.ones(n_j), n_q), by_h)
    cf = _shaved(bc, e_col, by_h, col_h, c)
    # entry (j, k) is rf[j] * spread[q, k]: the groups' rows spread onto every column
    spread = np.empty((n_q, n_k))
    for q in range(n_q):
        for k in range(n_k):
            spread[q, k] = ker[q, col_h[k]] * cf[k]
    full = n_j == n_rows and n_k == n_cols
    out = np.empty((n_rows, n_cols)) if full else np.zeros((n_rows, n_cols))
    buf = np.empty(n_k)
    rents = np.empty(n_k)  # a row's pairs' rents (`_row_totals`)
    served = np.zeros(n_rows)
    welfare = 0.0
    bound = 0.0
    for j in range(n_j):
        x_row = out[j] if full else buf
        fj = rf[j]
        sp = spread[row_q[j]]
        for k in range(n_k):
            x_row[k] = fj * sp[k]
        if not full:
            dest = out[rows[j]]
            for k in range(n_k):
                dest[cols[k]] = x_row[k]
        sj, wj, rent = _row_totals(x_row, s, m, j, price, rents)
        served[rows[j]] = sj
        welfare += wj
        bound += d[j] * rent
    price_full = np.zeros(n_cols)
    for k in range(n_k):
        bound += c[k] * price[k]
        price_full[cols[k]] = price[k]
    return out, price_full, served, welfare, bound


@njit(cache=True, fastmath=_FAST)
def _row_totals(
    x_row: np.ndarray, s: np.ndarray, m: np.ndarray, j: int, price: np.ndarray, rents: np.ndarray
) -> tuple[float, float, float]:
    """Row ``j`` of the allocation (``x_row``) summed, its welfare ``sum_k x_k s_jk`` and its best rent.

    The best rent is ``max(0, max_k s_jk - price_k)`` on the tradeable pairs (a dual bound's term).
    Why this form: one pass over the row, which the compiler vectorises. The sums are reassociated
    like `_matvec`'s (summed one pair after another, the welfare of the whole market was one chain
    of dependent additions, the longest pass of :func:`finish`); neither feeds the allocation or
    the prices, they are reported. The rent is exact: each pair's is kept if positive (0 if not,
    which a best rent of at least 0 ignores) in ``rents``, and the largest is found on their bits,
    which order non-negative doubles as integers do (a maximum of floats is not vectorised).
    """
    sj = 0.0
    wj = 0.0
    for k in range(x_row.shape[0]):
        v = x_row[k]
        sj += v
        wj += v * _pair_surplus(s, m, j, k, 0.0)
        r = _pair_surplus(s, m, j, k, -1e300) - price[k]
        rents[k] = r if r > 0.0 else 0.0
    bits = rents.view(np.int64)
    top = 0
    for k in range(bits.shape[0]):
        top = bits[k] if bits[k] > top else top
    if not bits.shape[0]:
        return sj, wj, 0.0
    bits[0] = top  # the best rent's bits, read back as a double
    return sj, wj, rents[0]


@njit(cache=True)
def first_members(labels: np.ndarray) -> np.ndarray:
    """For each member, the index of the first member with its label (itself if it is the first)."""
    n = labels.shape[0]
    order = np.argsort(labels, kind="mergesort")  # stable: a label's members in index order
    first = np.empty(n, np.int64)
    i = 0
    while i < n:
        lead = order[i]
        j = i
        while j < n and labels[order[j]] == labels[lead]:
            first[order[j]] = lead
            j += 1
        i = j
    return first


@njit(cache=True)
def groups_agree(first: np.ndarray, allow: np.ndarray, pen: np.ndarray, pen_key: np.ndarray, columns: bool) -> bool:
    """Whether every member's row (``columns``: column) of ``allow`` and the penalty equals its group's first member's.

    The penalty of pair ``(j, k)`` is ``pen[pen_key[j], k]`` (see `tradeable`).
    """
    if columns:  # swept row by row, the arrays' order
        for j in range(allow.shape[0]):
            row = pen[pen_key[j]]
            for k in range(first.shape[0]):
                lead = first[k]
                if lead != k and (allow[j, k] != allow[j, lead] or row[k] != row[lead]):
                    return False
        return True
    for i in range(first.shape[0]):
        lead = first[i]
        if lead != i:
            row, row_lead = pen[pen_key[i]], pen[pen_key[lead]]
            for k in range(allow.shape[1]):
                if allow[i, k] != allow[lead, k] or row[k] != row_lead[k]:
                    return False
    return True


@njit(cache=True)
def dense_groups(first: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dense group ids of the rows of ``m``, each group's first row, and a tradeable column per row.

    A row joins its label's first row when their tradeable pairs (``m``) are the same, else it is
    a group of its own; when every row is its own group, three empty arrays (the full kernel runs).
    """
    n, n_k = m.shape
    group = np.empty(n, np.int64)
    rep = np.empty(n, np.int64)
    n_g = 0
    for i in range(n):
        lead = first[i]
        same = lead != i
        if same:
            # every entry compared, without an early exit: members nearly always match their first
            # row, and the loop without a branch vectorises (4x faster on the game's rows)
            row, row_lead = m[i], m[lead]
            for k in range(n_k):
                same &= row[k] == row_lead[k]
        if same:
            group[i] = group[lead]
        else:
            group[i] = n_g
            rep[n_g] = i
            n_g += 1
    if n_g == n:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    tradeable = np.zeros(n, np.int64)
    for i in range(n):
        for k in range(n_k):
            if m[i, k]:
                tradeable[i] = k
                break
    return group, rep[:n_g].copy(), tradeable


@njit(cache=True)
def tradeable(
    wtp: np.ndarray,
    cost: np.ndarray,
    pen: np.ndarray,
    pen_key: np.ndarray,
    allow: np.ndarray,
    dem: np.ndarray,
    cap: np.ndarray,
    negligible: float,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """The surplus of every pair, the pairs that may trade at a profit, the largest such surplus, their count.

    One sweep for what numpy did in six passes over the (J, K) arrays: a pair trades when it is
    allowed, earns a surplus, and both its quantities are more than negligible. The penalty of pair
    ``(j, k)`` is ``pen[pen_key[j], k]``: a table of the distinct rows (a game's: one per region and
    class, `clear_compute`'s ``penalty_key``), or the full ``(J, K)`` penalty with ``pen_key`` the rows' own.
    """
    n_j, n_k = allow.shape
    surplus = np.empty((n_j, n_k))
    mask = np.zeros((n_j, n_k), np.bool_)
    s_max = -np.inf
    count = 0
    for j in range(n_j):
        big_j = dem[j] > negligible
        row = pen[pen_key[j]]
        for k in range(n_k):
            s = wtp[j] - cost[k] - row[k]
            surplus[j, k] = s
            if s > 0.0 and allow[j, k] and big_j and cap[k] > negligible:
                mask[j, k] = True
                count += 1
                if s > s_max:
                    s_max = s
    return surplus, mask, s_max, count


@njit(cache=True)
def sub_problem(
    surplus: np.ndarray, mask: np.ndarray, dem: np.ndarray, cap: np.ndarray, relative: bool, mean: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """The scaling's inputs on the rows and columns with a tradeable pair, in one sweep.

    Returns the rows and columns kept, the surplus and mask on them (the arrays themselves when
    every row and column is kept, as in a game's quarter: no copy), the relative logit's prior
    ``log(demand_j * capacity_k / C)`` as its row and column parts (``C`` the capacity of the
    columns kept; zeros unless ``relative``; see `prior`), and the mean surplus of the tradeable
    pairs if ``mean`` (else NaN: a warm-started solve at a given temperature does not read it, and
    its sum, one addition after another over every pair, was most of this sweep's time). Why no
    (rows x columns) arrays beyond these: at the game's 300 x 300 pairs the five it once built
    (prior, welfare and rent surplus among them) were most of a quarter's fixed cost in memory
    traffic; their entries are read where they are used (`prior`, `_pair_surplus`).
    """
    n_j, n_k = mask.shape
    row_any = np.zeros(n_j, np.bool_)
    col_any = np.zeros(n_k, np.bool_)
    total = 0.0
    count = 0
    for j in range(n_j):  # the mean over the tradeable pairs too: rows and columns without one add nothing
        for k in range(n_k):
            if mask[j, k]:
                row_any[j] = True
                col_any[k] = True
                if mean:
                    total += surplus[j, k]
                    count += 1
    rows = np.flatnonzero(row_any)
    cols = np.flatnonzero(col_any)
    n_r, n_c = rows.shape[0], cols.shape[0]
    reach = 0.0
    for b in range(n_c):
        reach += cap[cols[b]]
    log_c = np.zeros(n_c)  # log(capacity / C) of each column kept: one log per column, not per pair
    log_d = np.zeros(n_r)  # log(demand) of each row kept
    if relative:
        for b in range(n_c):
            log_c[b] = np.log(cap[cols[b]]) - np.log(reach)
        for a in range(n_r):
            log_d[a] = np.log(dem[rows[a]])
    if n_r == n_j and n_c == n_k:
        s, m = surplus, mask
    else:
        s = np.empty((n_r, n_c))
        m = np.empty((n_r, n_c), np.bool_)
        for a in range(n_r):
            for b in range(n_c):
                s[a, b] = surplus[rows[a], cols[b]]
                m[a, b] = mask[rows[a], cols[b]]
    return rows, cols, s, m, log_d, log_c, total / count if mean else np.nan


@njit(cache=True, inline="always")
def prior(m: np.ndarray, log_d: np.ndarray, log_c: np.ndarray, j: int, k: int) -> float:
    """The relative logit's prior of pair ``(j, k)`` of the sub-problem (`sub_problem`): 0 off the tradeable pairs."""
    return log_d[j] + log_c[k] if m[j, k] else 0.0


@njit(cache=True, inline="always")
def _pair_surplus(s: np.ndarray, m: np.ndarray, j: int, k: int, off: float) -> float:
    """The surplus of pair ``(j, k)``, ``off`` where it may not trade (0 for welfare, -1e300 for rents)."""
    return s[j, k] if m[j, k] else off


@njit(cache=True)
def stage_inputs(
    s: np.ndarray,
    m: np.ndarray,
    log_d: np.ndarray,
    log_c: np.ndarray,
    tau: float,
    relative: bool,
    group: np.ndarray,
    rep: np.ndarray,
    k0: np.ndarray,
    cgroup: np.ndarray,
    crep: np.ndarray,
    j0: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A stage's surplus and mask (one row per row group, one column per column group) and the offsets.

    The stage's surplus is ``s + tau * prior`` (``s`` alone unless ``relative``); grouped rows
    (``group``, their first rows ``rep`` and a tradeable column ``k0`` of each row) keep the
    groups' first rows and each row's ``delta`` from its group's, grouped columns (``cgroup``,
    ``crep``, ``j0``) likewise their first columns and ``eps``; empty arrays leave a dimension
    whole. Only the entries the stage reads are computed, one at a time as numpy did over the
    whole array (a product, then a sum), so the values are the same to the bit.
    """
    rows_grouped = group.shape[0] > 0
    cols_grouped = cgroup.shape[0] > 0
    n_q = rep.shape[0] if rows_grouped else s.shape[0]
    n_h = crep.shape[0] if cols_grouped else s.shape[1]
    s_stage = np.empty((n_q, n_h))
    m_stage = np.empty((n_q, n_h), np.bool_)
    for q in range(n_q):
        j = rep[q] if rows_grouped else q
        for h in range(n_h):
            k = crep[h] if cols_grouped else h
            s_stage[q, h] = s[j, k] + tau * prior(m, log_d, log_c, j, k) if relative else s[j, k]
            m_stage[q, h] = m[j, k]
    delta = np.zeros(group.shape[0])
    for j in range(group.shape[0]):
        k = k0[j]
        i = rep[group[j]]
        if relative:
            delta[j] = (s[j, k] + tau * prior(m, log_d, log_c, j, k)) - (s[i, k] + tau * prior(m, log_d, log_c, i, k))
        else:
            delta[j] = s[j, k] - s[i, k]
    eps = np.zeros(cgroup.shape[0])
    for k in range(cgroup.shape[0]):
        j = j0[k]
        h = crep[cgroup[k]]
        if relative:
            eps[k] = (s[j, k] + tau * prior(m, log_d, log_c, j, k)) - (s[j, h] + tau * prior(m, log_d, log_c, j, h))
        else:
            eps[k] = s[j, k] - s[j, h]
    return s_stage, m_stage, delta, eps
