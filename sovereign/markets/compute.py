"""Compute market: GPU-hours of supply clusters matched to demand segments.

The welfare-maximising transport problem

    max  sum_jk x_jk * s_jk,   s_jk = wtp_j - cost_k - penalty_jk
    s.t. sum_k x_jk <= demand_j,  sum_j x_jk <= capacity_k,  x >= 0,
         x_jk = 0 where the pair is not allowed or s_jk <= 0

is cleared as a logit (entropy-regularised) equilibrium: buyers spread over the clusters they may
use with weights ``exp(s_jk / temperature)``, which models heterogeneous preferences and tends to
the LP optimum as the temperature goes to zero. It is solved by log-stabilised Sinkhorn scaling
with temperature annealing (each stage warm-starts the next, the default anneal steps aimed at
the certified gap), every iteration two dense matrix-vector products; the stages run compiled
(numba, :mod:`sovereign.markets._compute_jit`). A ``warm_start`` (last quarter's prices) lets a
market that moved little clear in a few dozen iterations. Segments that share their allowed
clusters and penalties (a buyer's tranches, ``groups``) and clusters that share their allowed
segments and penalties (a region's datacenters, ``cluster_groups``) have kernel rows or columns
that differ by a factor, so each product costs one group by one group (the game's ~270 x 260
market is ~64 x 40 groups). The final allocation is scaled down onto the constraints, so it never
breaks a capacity, a demand, the allowed mask, or the no-loss rule.

Guarantees, each returned with its certificate:

* ``welfare_bound`` is the LP dual objective at the returned capacity prices, an upper bound on
  the LP optimum, so ``welfare_bound - welfare`` bounds the welfare lost to regularisation.
* Default (``temperature=None``): the temperature is annealed until that certified gap is at most
  ``0.4%`` of welfare (or an absolute floor of ``1e-9 * max surplus * min(total demand, total
  capacity)`` for degenerate instances whose optimum is about zero), so welfare is within 0.5% of
  the LP optimum.
* ``temperature > 0``: the logit equilibrium at that temperature ($/GPU-hour).
* ``temperature == 0``: the LP is solved exactly (network simplex, POT's ``emd``); so are temperatures below
  ``1e-7`` of the largest surplus, where the logit equilibrium is the LP optimum to within about
  ``1e-6``, and the rare instance whose scaling does not converge in the iteration budget (seen
  with quantities spanning ten orders of magnitude).

Prices are the shadow prices of capacity (``>= 0``); where they are not unique the exact mode
returns the network simplex's dual.

The logit's reference measure. By default the regularisation is the plain entropy of the
allocation, so a segment rationed at prices ``p`` buys ``exp((s_jk - p_k) / temperature)`` from
each cluster, in the unit of quantity: its price then depends on that unit (all quantities x10
lowers prices by ``temperature * ln 10``) and a shortage of 20% moves it by ``temperature * ln
1.25``. With ``relative=True`` the entropy is taken relative to ``demand_j * capacity_k / C``
(``C``: the capacity of every cluster anyone may trade with): a segment spreads over its clusters
by capacity and preference and is served in full until the prices near its surplus (less
``temperature * ln(C / reach_j)`` for a segment that may use only a part ``reach_j`` of the
market), and only then rationed. Nothing depends on the unit, and a rule that bars a segment from
some clusters never serves it more (weights that depended on its reach would: its demand would
crowd onto the clusters left to it). The demand curve is the segments' willingness to pay (the
game splits each segment into tranches for a sloping one). As the temperature goes to zero both
tend to the same LP optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sovereign.markets._validation import as_float

__all__ = ["ComputeResult", "clear_compute"]

#: Certified welfare gap the default temperature anneals down to: 0.4%, so that welfare is within
#: the promised 0.5% of the LP optimum with a margin (the bound is an upper bound on the optimum).
DEFAULT_GAP = 4e-3
_EXACT_BELOW = 1e-7  # temperature / max surplus under which the LP is solved exactly
_MAX_ITER = 5_000
_NEGLIGIBLE = 1e-100  # a quantity under this share of the market's largest is treated as zero (none in a real game: a
# datacenter with 1e-9 GPU-hours left, 1e-16 of the largest, clears as before, bit for bit)
_OMEGA = 1.7  # over-relaxation of the scaling updates (SOR in the log domain): ~3x fewer iterations
_START = 16.0  # the cold anneal starts at the mean surplus / this
_FLOOR = 1.0 / 8.0  # smallest step of the adaptive anneal
_AIM = 0.6  # adaptive anneal: next temperature = this x the one that would just meet the gap
_WARM_TAU = 4e-3  # warm-started default anneal starts here (x max surplus), near its usual end
_PLAIN_AFTER = 300  # a stage this long drops over-relaxation (plain Sinkhorn always converges)


@dataclass(frozen=True)
class ComputeResult:
    """Outcome of one compute-market clearing.

    Attributes:
        allocation: GPU-hours from cluster ``k`` to segment ``j``, ``(J, K)``.
        price: Shadow price of each cluster's capacity ($/GPU-hour), ``(K,)``.
        served: GPU-hours served per segment, ``(J,)``.
        welfare: ``sum(allocation * (wtp - cost - penalty))``.
        welfare_bound: LP dual bound: no allocation can beat it.
        temperature: Temperature of the returned equilibrium (0 when solved exactly).
        exact: Whether the LP was solved exactly.
        iterations: Sinkhorn iterations used.
    """

    allocation: NDArray[np.float64]
    price: NDArray[np.float64]
    served: NDArray[np.float64]
    welfare: float
    welfare_bound: float
    temperature: float
    exact: bool
    iterations: int


def clear_compute(
    capacity: ArrayLike,
    cost: ArrayLike,
    demand: ArrayLike,
    wtp: ArrayLike,
    allowed: ArrayLike,
    penalty: ArrayLike | None = None,
    *,
    penalty_key: ArrayLike | None = None,
    temperature: float | None = None,
    warm_start: ArrayLike | None = None,
    relative: bool = False,
    groups: ArrayLike | None = None,
    cluster_groups: ArrayLike | None = None,
    check_groups: bool = True,
) -> ComputeResult:
    """Match compute supply to demand segments; see the module docstring for guarantees.

    Args:
        capacity: GPU-hours each cluster can sell, ``(K,)``, ``>= 0``.
        cost: Marginal cost of each cluster ($/GPU-hour), ``(K,)``.
        demand: GPU-hours each segment wants, ``(J,)``, ``>= 0``.
        wtp: Willingness to pay of each segment ($/GPU-hour), ``(J,)``.
        allowed: Whether segment ``j`` may use cluster ``k`` (data localisation, sanctions),
            ``(J, K)`` booleans.
        penalty: Extra cost of serving ``j`` from ``k`` ($/GPU-hour, e.g. latency), ``(J, K)``;
            default zero. With ``penalty_key``, its distinct rows instead, ``(P, K)``.
        penalty_key: Optional ``(J,)`` integers, each segment's row of ``penalty`` (segment ``j``'s
            penalty is ``penalty[penalty_key[j]]``): the same market, answer and checks as the full
            array, to the bit. Why: a game's penalties read only a segment's region and kind (a few
            dozen rows), and building and checking the full ``(J, K)`` array each quarter, to read
            it once, was most of the penalty's cost; the market reads each pair's from the rows.
        temperature: Logit temperature ($/GPU-hour). ``None`` anneals until welfare is certified
            within 0.4% of the LP optimum; ``0`` solves the LP exactly.
        warm_start: Optional guess of the capacity prices ``(K,)``, e.g. last quarter's
            ``price``: the scaling starts from it and needs far fewer iterations when the market
            changed little. The answer does not depend on it beyond the solver's tolerances.
        relative: The logit relative to the market's sizes (see the module docstring): a
            segment spreads over the clusters it may use in proportion to their capacity and is
            served in full until the prices near its surplus, whatever the unit of quantity.
            Default: relative to one unit of quantity per pair (plain entropy).
        groups: Optional ``(J,)`` labels of segments that share their allowed clusters and penalties
            (the tranches of one buyer): at a given temperature their kernel rows differ by a factor,
            and the scaling computes one row per group. Same answer as without, to round-off.
        cluster_groups: Optional ``(K,)`` labels of clusters that share the segments allowed to use
            them and their penalties (a region's datacenters): their kernel columns differ by a
            factor too, and the scaling computes one column per group. Same answer as without, to
            round-off. Only with a fixed ``temperature``, like ``groups``.
        check_groups: Whether to check that the members of each group (of ``groups`` and
            ``cluster_groups``) share their allowed pairs and penalties, a pass over the whole
            ``(J, K)`` market each. ``False`` is for a caller that builds ``allowed``, ``penalty``
            and the labels from the same keys, so that they agree by construction (the game's
            compute phase, whose test plays games with the check on): wrong labels then give a
            wrong answer without an error. Labels of the wrong shape or type are refused either way.

    Returns:
        A :class:`ComputeResult`.

    Raises:
        ValueError: On shape mismatches, NaN or infinite values, negative capacity or demand,
            a non-boolean ``allowed``, a negative ``temperature``, or a ``penalty_key`` that is
            not ``(J,)`` integers indexing ``penalty``'s rows.
    """
    cap = as_float("capacity", capacity, ndim=1, nonnegative=True)
    cst = as_float("cost", cost, ndim=1)
    if cst.shape != cap.shape:
        raise ValueError(f"cost: shape {cst.shape} does not match capacity {cap.shape}")
    dem = as_float("demand", demand, ndim=1, nonnegative=True)
    w = as_float("wtp", wtp, ndim=1)
    if w.shape != dem.shape:
        raise ValueError(f"wtp: shape {w.shape} does not match demand {dem.shape}")
    n_j, n_k = dem.shape[0], cap.shape[0]
    allow = np.asarray(allowed)
    if allow.shape != (n_j, n_k):
        raise ValueError(f"allowed: shape {allow.shape} does not match (J, K) = {(n_j, n_k)}")
    if allow.dtype != np.bool_:
        if not np.issubdtype(allow.dtype, np.number) or not np.isin(allow, (0, 1)).all():
            raise ValueError("allowed: expected booleans (or 0/1)")
        allow = allow.astype(bool)
    pen, pen_key = _penalty_table(penalty, penalty_key, n_j, n_k)
    if temperature is not None:
        t_arr = as_float("temperature", temperature)
        if t_arr.ndim != 0 or float(t_arr) < 0:
            raise ValueError(f"temperature: expected a scalar >= 0, got {temperature!r}")
        temperature = float(t_arr)
    group_ix = None if groups is None else _checked_groups(groups, allow, pen, pen_key, check=check_groups)
    cluster_ix = None
    if cluster_groups is not None:
        cluster_ix = _checked_groups(cluster_groups, allow, pen, pen_key, "cluster_groups", check_groups)
    warm = None
    if warm_start is not None:
        warm = as_float("warm_start", warm_start, ndim=1)
        if warm.shape != cap.shape:
            raise ValueError(f"warm_start: shape {warm.shape} does not match capacity {cap.shape}")

    from sovereign.markets import _compute_jit as jit  # numba: compiled on first use

    # quantities 1e100 times under the market's largest are none: a segment of 5e-324 (a valid
    # scenario's lab wanting almost nothing) divided the scaling's potentials by zero
    negligible = _NEGLIGIBLE * max(float(dem.max(initial=0.0)), float(cap.max(initial=0.0)))
    surplus, mask, s_max, count = jit.tradeable(w, cst, pen, pen_key, allow, dem, cap, negligible)
    if not count:
        zero = np.zeros((n_j, n_k))
        return ComputeResult(zero, np.zeros(n_k), np.zeros(n_j), 0.0, 0.0, temperature or 0.0, True, 0)
    atol = 1e-9 * s_max * min(float(dem.sum()), float(cap.sum()))

    if temperature is not None and temperature <= _EXACT_BELOW * s_max:
        return _exact(cap, dem, surplus, mask)
    out = _sinkhorn(cap, dem, surplus, mask, temperature, s_max, atol, warm, relative, group_ix, cluster_ix)
    return out if out is not None else _exact(cap, dem, surplus, mask)


def _penalty_table(
    penalty: ArrayLike | None, penalty_key: ArrayLike | None, n_j: int, n_k: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The checked penalty as a table of rows and each segment's row in it (`clear_compute`'s ``penalty_key``).

    A full ``(J, K)`` penalty is its own table (each segment its own row); no penalty is a row of
    zeros that every segment reads.
    """
    if penalty is None:
        return np.zeros((1, n_k)), np.zeros(n_j, np.int64)
    if penalty_key is None:
        pen = as_float("penalty", penalty, ndim=2)
        if pen.shape != (n_j, n_k):
            raise ValueError(f"penalty: shape {pen.shape} does not match (J, K) = {(n_j, n_k)}")
        return pen, np.arange(n_j, dtype=np.int64)
    pen = as_float("penalty", penalty, ndim=2)
    if pen.shape[1:] != (n_k,):
        raise ValueError(f"penalty: shape {pen.shape} does not match (P, K) rows with K = {n_k}")
    key = np.asarray(penalty_key)
    if key.shape != (n_j,) or not np.issubdtype(key.dtype, np.integer):
        raise ValueError(f"penalty_key: expected ({n_j},) integer rows, got {key.dtype} {key.shape}")
    if n_j and (int(key.min()) < 0 or int(key.max()) >= pen.shape[0]):
        raise ValueError(f"penalty_key: rows must index penalty's {pen.shape[0]}")
    return pen, key.astype(np.int64)


def _checked_groups(
    groups: ArrayLike,
    allow: NDArray[np.bool_],
    pen: NDArray[np.float64],
    pen_key: NDArray[np.int64],
    name: str = "groups",
    check: bool = True,
) -> NDArray[np.integer]:
    """`clear_compute`'s ``groups`` or ``cluster_groups`` as an array, or ValueError if they share too little.

    Only their shape and type unless `check` (see ``clear_compute``'s ``check_groups``). The
    penalty is the table ``pen`` and each segment's row of it ``pen_key`` (see `_clear`).
    """
    clusters = name == "cluster_groups"
    group_ix = np.asarray(groups)
    n = allow.shape[1 if clusters else 0]
    if group_ix.shape != (n,) or not np.issubdtype(group_ix.dtype, np.integer):
        raise ValueError(f"{name}: expected ({n},) integer labels, got {group_ix.dtype} {group_ix.shape}")
    if not check:
        return group_ix.astype(np.int64)
    from sovereign.markets import _compute_jit as jit  # numba: compiled on first use

    first = jit.first_members(group_ix.astype(np.int64))
    if clusters:
        if not jit.groups_agree(first, allow, pen, pen_key, True):
            raise ValueError(f"{name}: clusters of a group must share their allowed segments and penalties")
    elif not jit.groups_agree(first, allow, pen, pen_key, False):
        raise ValueError(f"{name}: segments of a group must share their allowed clusters and penalties")
    return group_ix.astype(np.int64)


_NO_GROUPS = np.zeros(0, np.int64)


def _grouping(
    groups: NDArray[np.integer] | None, m: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Dense group ids of the tradeable rows, each group's first row, and a tradeable column per row.

    Rows of a group share their allowed clusters and penalties, but a low bidder may find some of
    them loss-making (its tradeable pairs are fewer): such a row is a group of its own. When every
    row is its own group the scaling runs on the full kernel (empty ids).
    """
    if groups is None:
        return _NO_GROUPS, _NO_GROUPS, _NO_GROUPS
    from sovereign.markets import _compute_jit as jit  # numba: compiled on first use

    return jit.dense_groups(jit.first_members(groups), m)


def _finish(
    x: NDArray[np.float64],
    price: NDArray[np.float64],
    cap: NDArray[np.float64],
    dem: NDArray[np.float64],
    surplus: NDArray[np.float64],
    mask: NDArray[np.bool_],
    temperature: float,
    exact: bool,
    iterations: int,
) -> ComputeResult:
    """Project ``x`` onto the constraints and attach the welfare and its dual bound."""
    x = np.where(mask, np.maximum(x, 0.0), 0.0)
    for axis, limit in ((1, dem), (0, cap)):
        tot = x.sum(axis=axis)
        over = tot > limit
        if over.any():
            ratio = np.where(over, limit / np.where(over, tot, 1.0) * (1 - 1e-14), 1.0)
            x = x * (ratio[:, None] if axis == 1 else ratio[None, :])
    price = np.maximum(price, 0.0)
    rent = np.where(mask, surplus - price[None, :], -np.inf).max(axis=1)
    bound = float((dem * np.maximum(rent, 0.0)).sum() + (cap * price).sum())
    welfare = float((x * np.where(mask, surplus, 0.0)).sum())
    return ComputeResult(x, price, x.sum(axis=1), welfare, bound, temperature, exact, iterations)


def load_exact_solver() -> None:
    """Import the exact mode's solver (POT) now rather than in the quarter that first needs it.

    Why: importing POT takes about 0.65 s (it imports scipy.stats); a single game rarely needs the
    exact mode and should not pay it up front, but a process that plays many games (a fan's or an
    ensemble's worker) meets it in some of them, so their fork server loads it once for all its
    workers (`sovereign.ensemble._preload_kernels`).
    """
    import ot  # noqa: F401 - imported for its side effect: the module is loaded and cached


def _exact(
    cap: NDArray[np.float64],
    dem: NDArray[np.float64],
    surplus: NDArray[np.float64],
    mask: NDArray[np.bool_],
) -> ComputeResult:
    """Solve the transport LP exactly by network simplex (POT's ``emd``).

    Why not a general LP solver: the market is a transportation problem, and the network simplex
    solves the game's instances (about 100 segments by 100-250 clusters) in a few milliseconds where
    HiGHS took 0.06-0.2 s, which was most of a run's time in the seeds where the scaling ran out of
    iterations. The inequalities become equalities with a slack row and a slack column (a segment's
    unserved demand, a cluster's unsold capacity, both at no surplus); pairs that may not trade cost
    more than any trade earns, so they carry nothing. Masses are scaled to sum to one (the solver
    wants distributions); the potentials give each cluster's capacity price against the slack.
    """
    import ot  # POT: imported here, like the LP solver before it, only when the exact mode runs

    n_j, n_k = mask.shape
    s_max = float(surplus[mask].max())
    cost = np.zeros((n_j + 1, n_k + 1))
    cost[:n_j, :n_k] = np.where(mask, -surplus, s_max)
    total = float(dem.sum() + cap.sum())
    a = np.concatenate([dem, [cap.sum()]]) / total
    b = np.concatenate([cap, [dem.sum()]]) / total
    b[-1] = max(a.sum() - b[:-1].sum(), 0.0)  # equal masses to the last bit
    plan, log = ot.emd(a, b, cost, numItermax=100_000_000, log=True)
    if log["warning"] is not None:  # pragma: no cover - a balanced, feasible problem; kept as a loud failure
        raise RuntimeError(f"compute transport problem failed: {log['warning']}")
    x = np.where(mask, plan[:n_j, :n_k] * total, 0.0)
    v = np.asarray(log["v"])
    price = v[n_k] - v[:n_k]  # capacity price: what a unit of cluster k saves against the slack
    return _finish(x, price, cap, dem, surplus, mask, 0.0, True, 0)


def _sinkhorn(
    cap: NDArray[np.float64],
    dem: NDArray[np.float64],
    surplus: NDArray[np.float64],
    mask: NDArray[np.bool_],
    temperature: float | None,
    s_max: float,
    atol: float,
    warm: NDArray[np.float64] | None,
    relative: bool = False,
    groups: NDArray[np.integer] | None = None,
    cluster_groups: NDArray[np.integer] | None = None,
) -> ComputeResult | None:
    """Annealed log-stabilised Sinkhorn for the inequality-constrained entropic transport.

    Potentials ``f`` (segments) and ``g`` (clusters) are kept >= 0; each temperature stage runs
    compiled (:func:`sovereign.markets._compute_jit.stage`) from the previous stage's potentials.
    In the default mode the welfare certificate is checked as it goes and the solve stops as soon
    as it is good enough. A warm start (last quarter's capacity prices) seeds ``g`` and starts
    the anneal at a temperature near the target instead of the typical surplus.
    Returns None when the iteration budget runs out (the caller then solves exactly).
    """
    from sovereign.markets import _compute_jit as jit  # numba: compiled on first use

    # the rows and columns with a tradeable pair, the surplus and mask there; the relative logit's
    # prior ``log(demand_j * capacity_k / C)`` (as ``log_d[j] + log_c[k]``), ``C`` the capacity of the
    # clusters anyone may trade with, the same for every segment (see the module docstring), so a
    # segment free to use the whole market would be served in full at zero surplus, spread over the
    # clusters by capacity
    # (the mean surplus sets the first temperature of an anneal from cold, or of the default mode's)
    cold = warm is None or temperature is None
    rows, cols, s, m, log_d, log_c, mean_surplus = jit.sub_problem(surplus, mask, dem, cap, relative, cold)
    d = dem[rows]
    c = cap[cols]
    # grouped rows (see `_grouping`): the scaling's products cost one row per group; likewise the
    # clusters of a group (a region's datacenters), on the transposed mask. Only at a given
    # temperature: the default anneal's certificate reads the full kernel.
    group, rep, k0 = _NO_GROUPS, _NO_GROUPS, _NO_GROUPS
    cgroup, crep, j0 = _NO_GROUPS, _NO_GROUPS, _NO_GROUPS
    if temperature is not None:
        group, rep, k0 = _grouping(groups[rows] if groups is not None else None, m)
        cgroup, crep, j0 = _grouping(cluster_groups[cols] if cluster_groups is not None else None, m.T)
    f = np.zeros(len(d))
    g = np.zeros(len(c))
    # Anneal from a sixteenth of the mean surplus: the first stage only needs to get the scale
    # right, and the adaptive steps below reach the certified gap in two or three stages.
    tau = mean_surplus / _START  # NaN unless `cold`: replaced by `temperature` just below then
    if warm is not None:
        g = np.minimum(np.maximum(warm[cols], 0.0), s_max)
        tau = min(tau, _WARM_TAU * s_max) if temperature is None else temperature
    omega = _OMEGA
    target = temperature
    iters = 0
    while True:
        final = target is not None and tau <= target
        if final and target is not None:  # `final` implies a target; said again for the type checker
            tau = target
        # the stage's surplus and mask, one row and column per group (grouped rows' and columns'
        # offsets from their groups': delta, eps)
        s_stage, m_stage, delta, eps = jit.stage_inputs(
            s, m, log_d, log_c, tau, relative, group, rep, k0, cgroup, crep, j0
        )
        a, b, ker, ker_t, e_row, e_col, n, status = jit.stage(
            s_stage,
            m_stage,
            s,
            m,
            d,
            c,
            f,
            g,
            tau,
            omega,
            _PLAIN_AFTER,
            1e-7 if final else 1e-3,
            target is None,
            DEFAULT_GAP,
            atol,
            _MAX_ITER - iters,
            group,
            delta,
            cgroup,
            eps,
        )
        iters += n
        if status == jit.BUDGET:
            return None
        if n > _PLAIN_AFTER:
            omega = 1.0  # over-relaxation stalled once: anneal on with plain Sinkhorn
        if final or status == jit.CERTIFIED:
            # rows and columns without a tradeable pair get nothing, their price is zero, and they
            # add nothing to welfare or the bound
            x, price, served, welfare, bound = jit.finish(
                a, b, ker, ker_t, group, e_row, cgroup, e_col, s, m, d, c, g, tau, rows, cols, len(dem), len(cap)
            )
            return ComputeResult(x, price, served, welfare, bound, tau, False, iters)
        if target is None:
            # The gap shrinks about in proportion to the temperature: aim the next stage just
            # under the certificate instead of stepping down by a fixed factor.
            welfare, bound = jit.certify(s, m, d, c, g, a, b, ker, ker_t, tau)
            ratio = DEFAULT_GAP * max(welfare, 1e-300) / max(bound - welfare, 1e-300)
            factor = min(max(_AIM * ratio, _FLOOR), 0.5)
        else:
            factor = 0.25
        with np.errstate(divide="ignore"):
            f = np.maximum(f - tau * np.log(a), 0.0)
            g = np.maximum(g - tau * np.log(b), 0.0)
        tau = tau * factor
        if target is None and tau < _EXACT_BELOW * s_max:
            return None
