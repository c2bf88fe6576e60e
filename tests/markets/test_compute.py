"""Compute market: feasibility always, welfare against the LP oracle, logit against its reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sovereign.markets import ComputeResult, clear_compute
from sovereign.markets.compute import DEFAULT_GAP
from sovereign.markets.reference import compute_logit_reference, compute_welfare


@st.composite
def compute_instances(draw, max_n=6):
    n_k = draw(st.integers(1, max_n))
    n_j = draw(st.integers(1, max_n))
    vals = st.sampled_from
    cap = draw(st.lists(vals([0.0, 1.0, 5.0, 20.0, 3.5]), min_size=n_k, max_size=n_k))
    cost = draw(st.lists(vals([0.0, 1.0, 2.0, 2.0, 4.0]), min_size=n_k, max_size=n_k))
    dem = draw(st.lists(vals([0.0, 2.0, 8.0, 13.0]), min_size=n_j, max_size=n_j))
    wtp = draw(st.lists(vals([0.5, 2.0, 3.0, 6.0, 10.0]), min_size=n_j, max_size=n_j))
    allowed = draw(st.lists(st.booleans(), min_size=n_j * n_k, max_size=n_j * n_k))
    pen = draw(st.lists(vals([0.0, 0.0, 0.5, 1.0, 3.0]), min_size=n_j * n_k, max_size=n_j * n_k))
    return (
        np.array(cap),
        np.array(cost),
        np.array(dem),
        np.array(wtp),
        np.array(allowed).reshape(n_j, n_k),
        np.array(pen).reshape(n_j, n_k),
    )


def _random_market(rng, n_j, n_k):
    """A dense random market: capacities, costs, demands, willingness to pay, 70% allowed, penalties."""
    return (
        rng.uniform(10, 100, n_k),
        rng.uniform(1, 3, n_k),
        rng.uniform(10, 100, n_j),
        rng.uniform(2, 6, n_j),
        rng.random((n_j, n_k)) < 0.7,
        rng.uniform(0, 1, (n_j, n_k)),
    )


def _entropic_objective(x, inst, t, relative=False):
    """Surplus minus the temperature times the entropy (relative to the logit's weights)."""
    cap, cost, dem, wtp, allowed, pen = inst
    surplus = wtp[:, None] - cost[None, :] - pen
    ok = allowed & (surplus > 0) & (dem[:, None] > 0) & (cap[None, :] > 0)
    weight = np.ones_like(surplus)
    if relative:
        reach = cap[ok.any(axis=0)].sum()
        weight = np.where(ok, dem[:, None] * cap[None, :] / max(reach, 1e-300), 1.0)
    x = np.where(ok, x, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = np.where(x > 0, x * (np.log(x / weight) - 1.0), 0.0)
    return float((x * np.where(ok, surplus, 0.0)).sum() - t * ent.sum())


def _assert_logit(res, ref, inst, t, relative=False):
    """The allocation is the reference's, or, where the reference's coordinate ascent stalled on a
    flat direction of the dual (it stops after its sweeps), a better value of the same strictly
    concave objective (the kernel's scaling leaps along such drifts; the optimum is unique)."""
    scale = max(1.0, inst[2].max())
    if np.allclose(res.allocation, ref, rtol=1e-5, atol=1e-6 * scale):
        return
    mine, theirs = _entropic_objective(res.allocation, inst, t, relative), _entropic_objective(ref, inst, t, relative)
    assert mine >= theirs - 1e-9 * max(1.0, abs(theirs)), (mine, theirs)


def _check_feasible(res, cap, cost, dem, wtp, allowed, pen):
    x = res.allocation
    s = wtp[:, None] - cost[None, :] - pen
    assert (x >= 0).all()
    assert (x.sum(0) <= cap).all(), "cluster over capacity"
    assert (x.sum(1) <= dem).all(), "segment over demand"
    assert (x[~allowed] == 0).all(), "allocation where not allowed"
    assert (x[s <= 0] == 0).all(), "trade with negative surplus"
    assert (res.price >= 0).all()
    np.testing.assert_allclose(res.served, x.sum(1))
    assert res.welfare == pytest.approx(compute_welfare(x, cost, wtp, pen), rel=1e-12, abs=1e-12)
    assert res.welfare <= res.welfare_bound * (1 + 1e-9) + 1e-9


def _gap_tol(rel, opt, dem, cap, wtp):
    # Relative bound, with an absolute floor for degenerate instances whose optimum is ~0.
    return rel * abs(opt) + 1e-9 * max(1.0, float(np.abs(wtp).max())) * min(dem.sum(), cap.sum()) + 1e-12


@settings(max_examples=80, deadline=None)
@given(inst=compute_instances())
def test_default_within_half_percent_of_lp(inst, oracle_compute):
    res = clear_compute(*inst)
    assert isinstance(res, ComputeResult)
    _check_feasible(res, *inst)
    opt = oracle_compute(*inst)
    cap, _, dem, wtp, _, _ = inst
    assert res.welfare >= opt - _gap_tol(5e-3, opt, dem, cap, wtp)
    assert res.welfare_bound >= opt - 1e-7


@settings(max_examples=80, deadline=None)
@given(inst=compute_instances())
def test_exact_mode_matches_lp(inst, oracle_compute):
    res = clear_compute(*inst, temperature=0)
    _check_feasible(res, *inst)
    opt = oracle_compute(*inst)
    cap, _, dem, wtp, _, _ = inst
    assert res.exact and res.welfare == pytest.approx(opt, rel=1e-6, abs=_gap_tol(0, opt, dem, cap, wtp) + 1e-7)


#: A degenerate market (one segment's demand equals all the capacity it may use) on which the
#: Sinkhorn iterations run out of budget: found by hypothesis in CI-like runs, kept as an example.
_STALLS = (
    np.array([1.0, 1.0, 0.0]),
    np.zeros(3),
    np.array([0.0, 2.0, 2.0]),
    np.array([0.5, 0.5, 3.0]),
    np.array([[False, False, False], [False, True, False], [True, True, False]]),
    np.zeros((3, 3)),
)


@settings(max_examples=40, deadline=None)
@given(inst=compute_instances(max_n=4), t=st.sampled_from([0.3, 1.0, 3.0]))
@example(inst=_STALLS, t=0.3)
def test_logit_equals_loop_reference(inst, t):
    res = clear_compute(*inst, temperature=t)
    _check_feasible(res, *inst)
    ref = np.array(compute_logit_reference(*inst, temperature=t))
    if res.exact:
        # the kernel's documented fallback when the iterations run out: the exact LP, whose welfare
        # is at least the entropic solution's (the reference's), never less
        _, cost, dem, wtp, _, pen = inst
        ref_welfare = compute_welfare(ref, cost, wtp, pen)
        assert res.welfare >= ref_welfare - 1e-9 * max(1.0, float(dem.sum()) * float(wtp.max()))
        return
    _assert_logit(res, ref, inst, t)


@pytest.mark.parametrize("seed", range(3))
def test_temperature_to_zero_approaches_lp(seed, oracle_compute):
    rng = np.random.default_rng(seed)
    inst = _random_market(rng, 30, 20)
    opt = oracle_compute(*inst)
    gaps = []
    for t in (1.0, 0.1, 0.01, 1e-8):
        res = clear_compute(*inst, temperature=t)
        _check_feasible(res, *inst)
        gaps.append((opt - res.welfare) / opt)
    assert gaps[0] > gaps[1] > gaps[2] >= -1e-12
    assert abs(gaps[-1]) <= 1e-6


def test_medium_instance_default_bound(oracle_compute):
    rng = np.random.default_rng(11)
    inst = _random_market(rng, 120, 120)
    res = clear_compute(*inst)
    _check_feasible(res, *inst)
    opt = oracle_compute(*inst)
    assert res.welfare >= 0.995 * opt
    assert (res.welfare_bound - res.welfare) <= DEFAULT_GAP * res.welfare * (1 + 1e-9)


@settings(max_examples=60, deadline=None)
@given(
    inst=compute_instances(),
    guess=st.lists(st.sampled_from([0.0, 0.5, 3.0, 50.0, -2.0]), min_size=6, max_size=6),
    t=st.sampled_from([None, 0.3]),
)
def test_warm_start_keeps_every_guarantee(inst, guess, t, oracle_compute):
    # Any guess, even a silly one (negative, far too high), only changes the starting point.
    warm = np.array(guess[: len(inst[0])])
    res = clear_compute(*inst, temperature=t, warm_start=warm)
    _check_feasible(res, *inst)
    cap, _, dem, wtp, _, _ = inst
    if t is None:
        opt = oracle_compute(*inst)
        assert res.welfare >= opt - _gap_tol(5e-3, opt, dem, cap, wtp)
    else:
        ref = np.array(compute_logit_reference(*inst, temperature=t))
        _assert_logit(res, ref, inst, t)


def test_warm_start_from_last_prices_saves_iterations():
    rng = np.random.default_rng(5)
    n = 80
    inst = list(_random_market(rng, n, n))
    cold = clear_compute(*inst, temperature=0.1)
    inst[2] = inst[2] * rng.uniform(0.95, 1.05, n)  # next quarter: demand moved a little
    warm = clear_compute(*inst, temperature=0.1, warm_start=cold.price)
    again = clear_compute(*inst, temperature=0.1)
    assert warm.iterations < again.iterations
    np.testing.assert_allclose(warm.allocation, again.allocation, rtol=1e-4, atol=1e-4)


def test_degenerate_instances():
    # Nothing tradeable: all pairs barred or loss-making, or zero demand/capacity.
    for args in (
        ([5.0], [1.0], [5.0], [3.0], [[False]]),
        ([5.0], [4.0], [5.0], [3.0], [[True]]),
        ([0.0], [1.0], [5.0], [3.0], [[True]]),
        ([5.0], [1.0], [0.0], [3.0], [[True]]),
    ):
        res = clear_compute(*args)
        assert res.allocation.tolist() == [[0.0]] and res.welfare == 0.0
    # Zero-surplus trade is never made.
    res = clear_compute([5.0], [3.0], [5.0], [3.0], [[True]], temperature=0)
    assert res.allocation.tolist() == [[0.0]]


@pytest.mark.parametrize("tiny", [5e-324, 1e-310, 1e-120])
@pytest.mark.parametrize("relative", [False, True])
def test_a_segment_or_cluster_of_almost_nothing_is_none(tiny, relative):
    # a valid scenario's lab wanting 5e-324 H100e divided the scaling by zero (found by the property
    # test that plays random valid scenarios): a quantity 1e100 times under the market's largest is
    # treated as zero, and the rest of the market clears as it would without it
    cap, cost, dem, wtp = [4.0e6, 2.0e6], [0.5, 0.6], [3.0e6, 2.5e6], [2.0, 3.0]
    allowed = [[True, True], [True, False]]
    plain = clear_compute(cap, cost, dem, wtp, allowed, relative=relative)
    res = clear_compute(
        [*cap, tiny],
        [*cost, 0.1],
        [*dem, tiny],
        [*wtp, 4.0],
        [[*r, True] for r in allowed] + [[True] * 3],
        relative=relative,
    )
    assert np.isfinite(res.allocation).all() and np.isfinite(res.price).all()
    assert res.served[-1] == 0.0 and res.allocation[:, -1].sum() == 0.0
    np.testing.assert_allclose(res.allocation[:2, :2], plain.allocation, rtol=1e-6, atol=1e-3)


GOOD = {
    "capacity": [1.0],
    "cost": [1.0],
    "demand": [1.0],
    "wtp": [2.0],
    "allowed": [[True]],
}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"capacity": [-1.0]}, "capacity: contains negative"),
        ({"capacity": [np.nan]}, "capacity: contains NaN"),
        ({"cost": [1.0, 2.0]}, "cost: shape"),
        ({"cost": [np.inf]}, "cost: contains inf"),
        ({"demand": [-2.0]}, "demand: contains negative"),
        ({"wtp": [1.0, 2.0]}, "wtp: shape"),
        ({"wtp": [np.nan]}, "wtp: contains NaN"),
        ({"allowed": [[True, False]]}, "allowed: shape"),
        ({"allowed": [[2]]}, "allowed: expected booleans"),
        ({"penalty": [[np.nan]]}, "penalty: contains NaN"),
        ({"penalty": [[1.0, 1.0]]}, "penalty: shape"),
        ({"temperature": -1.0}, "temperature"),
        ({"warm_start": [1.0, 2.0]}, "warm_start: shape"),
        ({"warm_start": [np.nan]}, "warm_start: contains NaN"),
    ],
)
def test_bad_input_raises(kwargs, match):
    args = {**GOOD, **kwargs}
    pos = [args.pop(k) for k in ("capacity", "cost", "demand", "wtp", "allowed")]
    with pytest.raises(ValueError, match=match):
        clear_compute(*pos, **args)


def _drifting_market(seed):
    """A small market whose scaling drifts: blocks of segments and clusters that cannot balance.

    Found by search (seeds 47 and 52 of this generator): plain Sinkhorn at temperature 0.1 took
    3,663 iterations on the first and ran out of its 5,000 on the second, its error stalled while
    the potentials drifted together towards a zero.
    """
    rng = np.random.default_rng(seed)
    n_j, n_k = rng.integers(3, 9), rng.integers(3, 9)
    dem, cap = rng.uniform(10, 100, n_j), rng.uniform(10, 100, n_k)
    surplus = rng.uniform(0.5, 3, (n_j, n_k))
    allowed = rng.random((n_j, n_k)) < 0.6
    allowed[np.arange(n_j), rng.integers(0, n_k, n_j)] = True
    return cap, np.zeros(n_k), dem, np.full(n_j, 3.0), allowed, 3.0 - surplus


@pytest.mark.parametrize("seed", [47, 52])
def test_a_drifting_scaling_leaps_to_the_logit_equilibrium(seed):
    inst = _drifting_market(seed)
    res = clear_compute(*inst, temperature=0.1)
    _check_feasible(res, *inst)
    assert not res.exact, "the scaling converged: no fallback to the exact LP"
    assert res.iterations < 1_500
    ref = np.array(compute_logit_reference(*inst, temperature=0.1, sweeps=200_000))
    np.testing.assert_allclose(res.allocation, ref, rtol=1e-5, atol=1e-6 * inst[2].max())


@settings(max_examples=40, deadline=None)
@given(inst=compute_instances(max_n=4), t=st.sampled_from([0.3, 1.0, 3.0]))
def test_relative_logit_equals_loop_reference(inst, t):
    res = clear_compute(*inst, temperature=t, relative=True)
    _check_feasible(res, *inst)
    ref = np.array(compute_logit_reference(*inst, temperature=t, relative=True))
    if res.exact:  # the documented fallback, as for the plain logit
        _, cost, dem, wtp, _, pen = inst
        assert res.welfare >= compute_welfare(ref, cost, wtp, pen) - 1e-9 * max(1.0, float(dem.sum() * wtp.max()))
        return
    _assert_logit(res, ref, inst, t, relative=True)


@pytest.mark.parametrize("relative", [False, True])
def test_only_the_relative_logit_is_free_of_the_unit_of_quantity(relative):
    # The same market counted in H100e and in thousands of H100e: the relative logit's prices are
    # the same and its allocation scales; the plain logit's prices move by temperature * ln(1000).
    rng = np.random.default_rng(3)
    cap, cost, dem, wtp, allowed, pen = _random_market(rng, 12, 9)
    small = clear_compute(cap, cost, dem, wtp, allowed, pen, temperature=0.1, relative=relative)
    big = clear_compute(cap * 1000, cost, dem * 1000, wtp, allowed, pen, temperature=0.1, relative=relative)
    moved = float(np.abs(big.price - small.price).max())
    if relative:
        assert moved < 1e-6
        np.testing.assert_allclose(big.allocation, small.allocation * 1000, rtol=1e-5, atol=1e-3)
    else:
        assert moved > 0.5 * 0.1 * np.log(1000)


def test_relative_logit_serves_in_full_until_prices_near_the_surplus():
    # One segment worth $3 above cost, two clusters with room to spare: served in full (the plain
    # logit leaves most of it unserved, its demand counted in units it cannot tell apart).
    cap, cost, dem = np.array([600.0, 400.0]), np.array([1.0, 1.0]), np.array([500.0])
    wtp, allowed = np.array([4.0]), np.ones((1, 2), bool)
    rel = clear_compute(cap, cost, dem, wtp, allowed, temperature=0.1, relative=True)
    plain = clear_compute(cap, cost, dem, wtp, allowed, temperature=0.1)
    assert rel.served[0] >= 0.999 * dem[0]
    np.testing.assert_allclose(rel.allocation[0], [300.0, 200.0], rtol=1e-3)  # spread by capacity
    assert plain.served[0] >= 0.999 * dem[0]  # exp(30) per cluster is plenty here too ...
    short = clear_compute(cap / 4, cost, dem, wtp, allowed, temperature=0.1, relative=True)
    # ... and when capacity is short the relative price rises to the surplus, the plain one does not
    short_plain = clear_compute(cap / 4, cost, dem, wtp, allowed, temperature=0.1)
    assert short.price.min() > 2.5
    assert short_plain.price.min() < short.price.min()


def test_barring_a_segment_from_clusters_never_serves_it_more():
    # A localisation rule in miniature: the local segment may use cluster 0 only, or both. Barring
    # the second may only lower what it gets (the weights do not depend on a segment's reach).
    cap, cost = np.array([50.0, 400.0]), np.array([1.0, 1.0])
    dem, wtp = np.array([80.0, 500.0]), np.array([5.0, 3.5])
    pen = np.array([[0.0, 0.3], [0.0, 0.0]])
    free = clear_compute(cap, cost, dem, wtp, np.ones((2, 2), bool), pen, temperature=0.1, relative=True)
    barred = np.array([[True, False], [True, True]])
    local = clear_compute(cap, cost, dem, wtp, barred, pen, temperature=0.1, relative=True)
    assert local.served[0] <= free.served[0] + 1e-9
    assert local.allocation[0, 1] == 0.0


@pytest.mark.parametrize("relative", [False, True])
def test_grouped_rows_give_the_same_market(relative):
    # Each segment in three tranches (willing to pay 1.5x, 1x, 0.5x), sharing allowed clusters and
    # penalties: scaling one row per group gives the dense scaling's allocation and prices.
    # (+5: every tranche gains on every allowed pair, so the groups' tradeable pairs are the same and
    # the grouped scaling runs; +1: some low tranches lose on some pairs, and the dense one runs)
    rng = np.random.default_rng(8)
    cap, cost, dem, wtp, allowed, pen = _random_market(rng, 10, 14)
    mult = np.array([1.5, 1.0, 0.5])
    groups = np.repeat(np.arange(10), 3)
    for lift, warm in ((5.0, None), (5.0, np.full(14, 0.5)), (1.0, None)):
        inst = (
            cap,
            cost,
            np.repeat(dem / 3, 3),
            (wtp[:, None] * mult[None, :]).ravel() + lift,
            np.repeat(allowed, 3, axis=0),
            np.repeat(pen, 3, axis=0),
        )
        dense = clear_compute(*inst, temperature=0.1, relative=relative, warm_start=warm)
        grouped = clear_compute(*inst, temperature=0.1, relative=relative, warm_start=warm, groups=groups)
        _check_feasible(grouped, *inst)
        np.testing.assert_allclose(grouped.allocation, dense.allocation, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(grouped.price, dense.price, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="share their allowed clusters"):
        clear_compute(*inst, temperature=0.1, groups=np.arange(30) % 2)


def _tranched_market(rng, scale=1.0, lift=5.0):
    """10 segments in 3 tranches and 7 sites of 3 datacenters each (costs +0, +0.2, +0.6, capacity split unevenly).

    Tranches share their allowed sites and penalties; so do a site's datacenters: the market's
    row and column groups. Returns the instance and both label arrays.
    """
    cap, cost, dem, wtp, allowed, pen = _random_market(rng, 10, 7)
    mult, extra, split = np.array([1.5, 1.0, 0.5]), np.array([0.0, 0.2, 0.6]), np.array([0.5, 0.3, 0.2])
    inst = (
        (cap[:, None] * split[None, :]).ravel(),
        (cost[:, None] + extra[None, :]).ravel(),
        np.repeat(dem / 3, 3),
        (wtp[:, None] * mult[None, :]).ravel() * scale + lift,
        np.repeat(np.repeat(allowed, 3, axis=0), 3, axis=1),
        np.repeat(np.repeat(pen, 3, axis=0), 3, axis=1),
    )
    return inst, np.repeat(np.arange(10), 3), np.repeat(np.arange(7), 3)


@pytest.mark.parametrize("relative", [False, True])
@pytest.mark.parametrize("lift", [5.0, 1.0])
def test_grouped_clusters_give_the_same_market(relative, lift):
    # A region's datacenters serve the same segments with the same latency and differ only in cost
    # and size: scaling one column per group (with or without grouped rows) gives the dense
    # scaling's allocation and prices. (lift 1: some low tranches lose on some dear datacenters,
    # so a group's members differ in what they may trade, and those run apart.)
    inst, groups, sites = _tranched_market(np.random.default_rng(12), lift=lift)
    for warm in (None, np.full(21, 0.5)):
        dense = clear_compute(*inst, temperature=0.1, relative=relative, warm_start=warm)
        for rows in (None, groups):
            grouped = clear_compute(
                *inst, temperature=0.1, relative=relative, warm_start=warm, groups=rows, cluster_groups=sites
            )
            _check_feasible(grouped, *inst)
            np.testing.assert_allclose(grouped.allocation, dense.allocation, rtol=1e-6, atol=1e-6)
            np.testing.assert_allclose(grouped.price, dense.price, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="cluster_groups: clusters of a group must share"):
        clear_compute(*inst, temperature=0.1, cluster_groups=np.arange(21) % 2)
    with pytest.raises(ValueError, match=r"cluster_groups: expected \(21,\) integer labels"):
        clear_compute(*inst, temperature=0.1, cluster_groups=np.zeros(20, int))


@pytest.mark.parametrize("scale", [1.0, 100.0, 1000.0])
def test_grouped_clusters_give_the_same_market_when_surpluses_are_thousands_of_temperatures(scale):
    # As for grouped rows below: each factor is shifted so that no product overflows.
    inst, groups, sites = _tranched_market(np.random.default_rng(13), scale=scale)
    dense = clear_compute(*inst, temperature=0.1, relative=True)
    grouped = clear_compute(*inst, temperature=0.1, relative=True, groups=groups, cluster_groups=sites)
    assert np.isfinite(grouped.allocation).all() and np.isfinite(grouped.price).all()
    _check_feasible(grouped, *inst)
    np.testing.assert_allclose(grouped.allocation, dense.allocation, rtol=1e-6, atol=1e-6 * scale)
    np.testing.assert_allclose(grouped.price, dense.price, rtol=1e-6, atol=1e-7 * scale)


@pytest.mark.parametrize("scale", [1.0, 30.0, 100.0, 1000.0])
def test_grouped_rows_give_the_same_market_when_surpluses_are_thousands_of_temperatures(scale):
    # Willingness to pay of hundreds of dollars at a temperature of $0.1: a group's kernel and its
    # rows' factors each reach exp(700), and without a shift their product overflowed to inf and the
    # allocation to NaN (a scenario with `demand.wtp_usd_per_hour` of 100 stopped the game).
    rng = np.random.default_rng(11)
    cap, cost, dem, wtp, allowed, pen = _random_market(rng, 10, 14)
    mult = np.array([1.5, 1.0, 0.5])
    inst = (
        cap,
        cost,
        np.repeat(dem / 3, 3),
        (wtp[:, None] * mult[None, :]).ravel() * scale + 5.0,
        np.repeat(allowed, 3, axis=0),
        np.repeat(pen, 3, axis=0),
    )
    dense = clear_compute(*inst, temperature=0.1, relative=True)
    grouped = clear_compute(*inst, temperature=0.1, relative=True, groups=np.repeat(np.arange(10), 3))
    assert np.isfinite(grouped.allocation).all() and np.isfinite(grouped.price).all()
    _check_feasible(grouped, *inst)
    np.testing.assert_allclose(grouped.allocation, dense.allocation, rtol=1e-6, atol=1e-6 * scale)
    np.testing.assert_allclose(grouped.price, dense.price, rtol=1e-6, atol=1e-7 * scale)


@st.composite
def grouped_instances(draw):
    """A market of members copied from a few base segments and clusters, with their group labels.

    Each copy of a segment keeps its allowed clusters and penalties but has its own demand and
    willingness to pay; each copy of a cluster keeps the segments allowed to it and its penalties
    but has its own capacity and cost: exactly what `groups` and `cluster_groups` promise.
    """
    base, n_j, n_k = draw(compute_instances(max_n=4)), draw(st.integers(1, 8)), draw(st.integers(1, 8))
    _, _, _, _, allowed, pen = base
    rows = np.array(draw(st.lists(st.integers(0, allowed.shape[0] - 1), min_size=n_j, max_size=n_j)))
    cols = np.array(draw(st.lists(st.integers(0, allowed.shape[1] - 1), min_size=n_k, max_size=n_k)))
    vals = st.sampled_from
    cap = np.array(draw(st.lists(vals([0.0, 1.0, 5.0, 20.0]), min_size=n_k, max_size=n_k)))
    cost = np.array(draw(st.lists(vals([0.0, 1.0, 2.0, 4.0]), min_size=n_k, max_size=n_k)))
    dem = np.array(draw(st.lists(vals([0.0, 2.0, 8.0, 13.0]), min_size=n_j, max_size=n_j)))
    wtp = np.array(draw(st.lists(vals([0.5, 2.0, 3.0, 6.0, 10.0]), min_size=n_j, max_size=n_j)))
    inst = (cap, cost, dem, wtp, allowed[np.ix_(rows, cols)], pen[np.ix_(rows, cols)])
    return inst, rows, cols


@settings(max_examples=60, deadline=None)
@given(case=grouped_instances(), relative=st.booleans(), warm=st.booleans())
def test_grouped_rows_and_clusters_give_the_dense_market(case, relative, warm):
    # Any members that share what the labels promise (some of them loss-making on some pairs,
    # some of nothing) clear as the dense market does, to the solver's tolerance.
    inst, rows, cols = case
    start = np.full(len(cols), 0.5) if warm else None
    dense = clear_compute(*inst, temperature=0.3, relative=relative, warm_start=start)
    grouped = clear_compute(
        *inst, temperature=0.3, relative=relative, warm_start=start, groups=rows, cluster_groups=cols
    )
    _check_feasible(grouped, *inst)
    scale = max(float(inst[0].sum()), float(inst[2].sum()), 1.0)
    np.testing.assert_allclose(grouped.allocation, dense.allocation, rtol=1e-5, atol=1e-5 * scale)
    np.testing.assert_allclose(grouped.served, dense.served, rtol=1e-5, atol=1e-5 * scale)
    assert grouped.welfare == pytest.approx(dense.welfare, rel=1e-5, abs=1e-5 * scale)


def _same_result(a: ComputeResult, b: ComputeResult) -> None:
    """Two results equal to the bit (arrays byte for byte, scalars exactly)."""
    for name in ("allocation", "price", "served"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes(), name
    assert (a.welfare, a.welfare_bound, a.temperature, a.exact, a.iterations) == (
        b.welfare,
        b.welfare_bound,
        b.temperature,
        b.exact,
        b.iterations,
    )


@settings(max_examples=60, deadline=None)
@given(
    case=grouped_instances(),
    relative=st.booleans(),
    t=st.sampled_from([None, 0.0, 0.3]),
    labels=st.booleans(),
)
def test_keyed_penalty_gives_the_full_penalty_market_to_the_bit(case, relative, t, labels):
    # The penalty as its distinct rows and each segment's row (the game's path) is the same market
    # as the full (J, K) penalty, bit for bit, with or without group labels (checked or not).
    inst, rows, cols = case
    table = np.unique(inst[5], axis=0)
    key = np.array([int(np.flatnonzero((table == row).all(1))[0]) for row in inst[5]])
    extra = {"groups": rows, "cluster_groups": cols} if labels and t else {}
    for check in (True, False):
        full = clear_compute(*inst, temperature=t, relative=relative, check_groups=check, **extra)
        keyed = clear_compute(
            *inst[:5], table, penalty_key=key, temperature=t, relative=relative, check_groups=check, **extra
        )
        _same_result(keyed, full)


@pytest.mark.parametrize(
    ("table", "key", "match"),
    [
        ([[0.0, 1.0]], [0, 0, 0], "penalty: shape"),
        ([[0.0, 1.0, 2.0]], [0, 0], "penalty_key: expected"),
        ([[0.0, 1.0, 2.0]], [0.0, 0.0, 0.0], "penalty_key: expected"),
        ([[0.0, 1.0, 2.0]], [0, 1, 0], "penalty_key: rows"),
        ([[0.0, 1.0, 2.0]], [0, -1, 0], "penalty_key: rows"),
        ([[0.0, np.nan, 2.0]], [0, 0, 0], "penalty"),
    ],
)
def test_keyed_penalty_bad_input_raises(table, key, match):
    with pytest.raises(ValueError, match=match):
        clear_compute(
            np.ones(3), np.ones(3), np.ones(3), np.full(3, 5.0), np.ones((3, 3), bool), table, penalty_key=key
        )
