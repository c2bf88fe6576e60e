"""Power market: merit order against the loop reference, coupled clearing against the LP oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sovereign.markets import PowerResult, clear_power
from sovereign.markets.reference import merit_order_reference

VOLL = 1000.0
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def power_instances(draw, max_r=5, max_u=4, batch=True):
    """Small instances with ties, zero capacities and demand placed on steps on purpose."""
    shape = tuple(draw(st.lists(st.integers(1, 3), max_size=2))) if batch else ()
    n_r = draw(st.integers(1, max_r))
    n_u = draw(st.integers(1, max_u))
    full = (*shape, n_r, n_u)
    size = int(np.prod(full))
    cost = np.array(
        draw(st.lists(st.sampled_from([-5.0, 0.0, 10.0, 10.0, 20.0, 35.0, VOLL, 1500.0]), min_size=size, max_size=size))
    ).reshape(full)
    cap = np.array(draw(st.lists(st.sampled_from([0.0, 0.0, 1.0, 2.5, 7.0]), min_size=size, max_size=size))).reshape(
        full
    )
    # Demand: zero, random, or exactly on the end of a step of the merit order.
    order = np.argsort(cost, axis=-1, kind="stable")
    qs = np.take_along_axis(np.where(cost <= VOLL, cap, 0.0), order, axis=-1)
    cum = np.concatenate([np.zeros((*full[:-1], 1)), np.cumsum(qs, axis=-1)], axis=-1)
    n_dem = int(np.prod(full[:-1]))
    kind = np.array(draw(st.lists(st.integers(0, 3), min_size=n_dem, max_size=n_dem)))
    step = np.array(draw(st.lists(st.integers(0, n_u), min_size=n_dem, max_size=n_dem)))
    rnd = np.array(draw(st.lists(st.floats(0, 30, allow_nan=False), min_size=n_dem, max_size=n_dem)))
    on_step = np.take_along_axis(cum.reshape(n_dem, n_u + 1), step[:, None], axis=-1)[:, 0]
    demand = np.select([kind == 0, kind == 1], [np.zeros(n_dem), on_step], rnd).reshape(full[:-1])
    return cost, cap, demand


@st.composite
def linked_instances(draw):
    cost, cap, demand = draw(power_instances(max_r=6, max_u=3, batch=False))
    n_r = demand.shape[0]
    n_l = draw(st.integers(0, 9))
    src = draw(st.lists(st.integers(0, n_r - 1), min_size=n_l, max_size=n_l))
    dst = draw(st.lists(st.integers(0, n_r - 1), min_size=n_l, max_size=n_l))
    lcap = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0, 50.0]), min_size=n_l, max_size=n_l))
    return cost, cap, demand, np.array(src, int), np.array(dst, int), np.array(lcap)


def _as_rows(x, n_u):
    return x.reshape(-1, n_u)


@FAST
@given(inst=power_instances())
def test_merit_order_equals_reference(inst):
    cost, cap, demand = inst
    res = clear_power(cost, cap, demand, voll=VOLL)
    n_u = cost.shape[-1]
    c2, q2 = _as_rows(cost, n_u), _as_rows(cap, n_u)
    disp2 = _as_rows(res.dispatch, n_u)
    for i, d in enumerate(demand.reshape(-1)):
        ref = merit_order_reference(c2[i], q2[i], float(d), VOLL)
        assert res.price.reshape(-1)[i] == ref["price"]
        assert res.marginal_block.reshape(-1)[i] == ref["marginal_block"]
        np.testing.assert_allclose(disp2[i], ref["dispatch"], rtol=0, atol=1e-12)
        assert res.unserved.reshape(-1)[i] == pytest.approx(ref["unserved"], abs=1e-12)
    # Energy balance and capacities.
    np.testing.assert_allclose(res.dispatch.sum(-1) + res.unserved, demand, atol=1e-9)
    assert (res.dispatch >= 0).all() and (res.dispatch <= cap).all()
    assert res.total_cost.shape == demand.shape[:-1]


@FAST
@given(inst=linked_instances())
def test_coupled_matches_lp_oracle(inst, oracle_power, check_power):
    cost, cap, demand, src, dst, lcap = inst
    res = clear_power(cost, cap, demand, voll=VOLL, links=(src, dst, lcap))
    total, _ = oracle_power(cost, cap, demand, VOLL, src, dst, lcap)
    # HiGHS itself is only feasible to ~1e-10 MW, worth up to 1e-10 * VOLL per region.
    assert float(res.total_cost) == pytest.approx(total, rel=1e-9, abs=1e-9 * VOLL)
    assert check_power(res, cost, cap, demand, VOLL, src, dst, lcap) == []


@FAST
@given(inst=linked_instances())
def test_zero_capacity_links_equal_no_links(inst):
    cost, cap, demand, src, dst, lcap = inst
    a = clear_power(cost, cap, demand, voll=VOLL, links=(src, dst, 0 * lcap))
    b = clear_power(cost, cap, demand, voll=VOLL)
    for name in ("price", "dispatch", "unserved", "marginal_block", "price_setter", "total_cost"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert (a.flow == 0).all()


@settings(max_examples=60, deadline=None)
@given(power_instances(max_r=5, max_u=3, batch=False), st.integers(0, 2**32 - 1))
def test_uncongested_zone_clears_as_one_merit_order(inst, seed):
    cost, cap, demand = inst
    # Exact binary fractions: with links, differences below 1e-11 of the largest supply or
    # demand count as zero (the round-off guard), so 1 + 2e-16 MW would be "on" a step.
    demand = np.round(demand * 8) / 8
    n_r = demand.shape[0]
    rng = np.random.default_rng(seed)
    # A spanning tree plus extra links, all far larger than anything they could carry.
    src = [int(rng.integers(0, i)) for i in range(1, n_r)] + list(rng.integers(0, n_r, 3))
    dst = list(range(1, n_r)) + list(rng.integers(0, n_r, 3))
    big = np.full(len(src), 1e6)
    res = clear_power(cost, cap, demand, voll=VOLL, links=(np.array(src), np.array(dst), big))
    one = clear_power(cost.reshape(1, -1), cap.reshape(1, -1), demand.sum(keepdims=True), voll=VOLL)
    np.testing.assert_array_equal(res.price, np.full(n_r, one.price[0]))
    assert float(res.total_cost) == pytest.approx(float(one.total_cost), rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_continuous_meshed_instances_match_lp(seed, oracle_power, check_power):
    rng = np.random.default_rng(seed)
    n_r, n_u, n_l = 40, 6, 80
    cost = rng.uniform(0, 200, (n_r, n_u))
    cap = rng.uniform(0, 100, (n_r, n_u))
    demand = cap.sum(-1) * rng.uniform(0.2, 1.3, n_r)
    src = rng.integers(0, n_r, n_l)
    dst = rng.integers(0, n_r, n_l)
    lcap = rng.uniform(0, 150, n_l)
    res = clear_power(cost, cap, demand, voll=3000.0, links=(src, dst, lcap))
    total, _ = oracle_power(cost, cap, demand, 3000.0, src, dst, lcap)
    assert float(res.total_cost) == pytest.approx(total, rel=1e-9)
    assert check_power(res, cost, cap, demand, 3000.0, src, dst, lcap) == []


def test_many_blocks_per_region_match_lp(oracle_power, check_power):
    # More than 32 blocks per region: the compiled merit order sorts them by mergesort.
    rng = np.random.default_rng(17)
    n_r, n_u, n_l = 12, 40, 24
    cost = rng.integers(0, 30, (n_r, n_u)) * 7.0
    cap = rng.uniform(0, 5, (n_r, n_u))
    demand = cap.sum(-1) * rng.uniform(0.2, 1.3, n_r)
    src = rng.integers(0, n_r, n_l)
    dst = rng.integers(0, n_r, n_l)
    lcap = rng.uniform(0, 40, n_l)
    res = clear_power(cost, cap, demand, voll=3000.0, links=(src, dst, lcap))
    total, _ = oracle_power(cost, cap, demand, 3000.0, src, dst, lcap)
    assert float(res.total_cost) == pytest.approx(total, rel=1e-9)
    assert check_power(res, cost, cap, demand, 3000.0, src, dst, lcap) == []
    np.testing.assert_array_equal(res.merit_order, np.argsort(cost, axis=-1, kind="stable"))


def test_batches_are_independent_and_links_broadcast(oracle_power, check_power):
    rng = np.random.default_rng(7)
    n_r, n_u = 8, 4
    cost = rng.uniform(0, 100, (2, 3, n_r, n_u))
    cap = rng.uniform(0, 10, (2, 3, n_r, n_u))
    demand = rng.uniform(0, 40, (2, 3, n_r))
    src = np.array([0, 1, 2, 3, 4, 5, 6, 0, 0])
    dst = np.array([1, 2, 3, 4, 5, 6, 7, 7, 1])  # a ring with a parallel link
    lcap = rng.uniform(0, 8, (2, 3, 9))  # per-slice capacities
    res = clear_power(cost, cap, demand, voll=VOLL, links=(src, dst, lcap))
    assert res.flow.shape == (2, 3, 9)
    for i in range(2):
        for j in range(3):
            one = clear_power(cost[i, j], cap[i, j], demand[i, j], voll=VOLL, links=(src, dst, lcap[i, j]))
            np.testing.assert_array_equal(res.price[i, j], one.price)
            total, _ = oracle_power(cost[i, j], cap[i, j], demand[i, j], VOLL, src, dst, lcap[i, j])
            assert float(res.total_cost[i, j]) == pytest.approx(total, rel=1e-9)
            assert check_power(one, cost[i, j], cap[i, j], demand[i, j], VOLL, src, dst, lcap[i, j]) == []


def test_pinned_conventions():
    cost = np.array([[30.0, 10.0, 20.0, 5.0]])
    cap = np.array([[5.0, 5.0, 5.0, 0.0]])  # the cheapest block has no capacity
    # Demand exactly on the end of a block: that block's cost.
    assert clear_power(cost, cap, [5.0], voll=VOLL).price[0] == 10.0
    assert clear_power(cost, cap, [10.0], voll=VOLL).price[0] == 20.0
    assert clear_power(cost, cap, [10.0001], voll=VOLL).price[0] == 30.0
    # Zero demand: the cheapest block with capacity (never a zero-capacity block).
    r0 = clear_power(cost, cap, [0.0], voll=VOLL)
    assert r0.price[0] == 10.0 and r0.marginal_block[0] == 1
    # Shortage: VOLL, unserved load, no marginal block.
    r = clear_power(cost, cap, [20.0], voll=VOLL)
    assert r.price[0] == VOLL and r.unserved[0] == 5.0 and r.marginal_block[0] == -1
    # No capacity at all.
    assert clear_power(cost, 0 * cap, [0.0], voll=VOLL).price[0] == VOLL
    # Blocks dearer than VOLL never run; blocks at VOLL run before load is shed.
    r = clear_power([[2000.0, VOLL]], [[10.0, 1.0]], [3.0], voll=VOLL)
    assert r.dispatch.tolist() == [[0.0, 1.0]] and r.unserved[0] == 2.0 and r.price[0] == VOLL
    # Ties: equal costs dispatch in block-index order.
    r = clear_power([[10.0, 10.0]], [[2.0, 2.0]], [3.0], voll=VOLL)
    assert r.dispatch.tolist() == [[2.0, 1.0]] and r.marginal_block[0] == 1


def test_result_explains_price():
    res = clear_power([[30.0, 10.0, 20.0]], [[5.0, 5.0, 5.0]], [7.0], voll=VOLL)
    assert isinstance(res, PowerResult)
    assert res.merit_order.tolist() == [[1, 2, 0]]
    assert res.curve_cost.tolist() == [[10.0, 20.0, 30.0]]
    assert res.curve_mw.tolist() == [[5.0, 10.0, 15.0]]
    assert res.marginal_block[0] == 2 and res.price_setter[0] == 0
    with pytest.raises(AttributeError):
        res.price = np.zeros(1)  # frozen


def test_import_sets_price_elsewhere():
    # Region 1 has nothing; it imports over an uncongested link, so region 0's block sets it.
    res = clear_power([[10.0], [50.0]], [[10.0], [0.0]], [1.0, 2.0], voll=VOLL, links=([0], [1], [5.0]))
    assert res.price.tolist() == [10.0, 10.0]
    assert res.marginal_block.tolist() == [0, -1]
    assert res.price_setter.tolist() == [0, 0]
    assert res.flow.tolist() == [2.0] and not res.congested[0]
    # Congested: region 1 sheds load at VOLL and the link is full.
    res = clear_power([[10.0], [50.0]], [[10.0], [0.0]], [1.0, 8.0], voll=VOLL, links=([0], [1], [5.0]))
    assert res.price.tolist() == [10.0, VOLL]
    assert res.flow.tolist() == [5.0] and res.congested[0]
    assert res.unserved.tolist() == [0.0, 3.0]
    assert res.price_setter.tolist() == [0, -1]


def test_deterministic():
    rng = np.random.default_rng(3)
    cost = rng.integers(0, 4, (3, 12, 4)).astype(float)
    cap = rng.integers(0, 3, (3, 12, 4)).astype(float)
    demand = rng.integers(0, 9, (3, 12)).astype(float)
    links = (rng.integers(0, 12, 30), rng.integers(0, 12, 30), rng.integers(0, 3, 30) * 1.0)
    a = clear_power(cost, cap, demand, voll=VOLL, links=links)
    b = clear_power(cost, cap, demand, voll=VOLL, links=links)
    for name in ("price", "dispatch", "flow", "unserved", "marginal_block", "price_setter"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


GOOD = {"cost": [[1.0, 2.0]], "capacity": [[1.0, 1.0]], "demand": [1.0]}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"capacity": [[1.0]]}, "capacity: shape"),
        ({"demand": [1.0, 2.0]}, "demand: shape"),
        ({"cost": [[np.nan, 1.0]]}, "cost: contains NaN"),
        ({"cost": [[np.inf, 1.0]]}, "cost: contains inf"),
        ({"capacity": [[-1.0, 1.0]]}, "capacity: contains negative"),
        ({"capacity": [[np.inf, 1.0]]}, "capacity: contains inf"),
        ({"demand": [-1.0]}, "demand: contains negative"),
        ({"demand": [np.nan]}, "demand: contains NaN"),
        ({"cost": [1.0, 2.0]}, "cost: expected at least 2"),
        ({"voll": 0.0}, "voll"),
        ({"voll": np.inf}, "voll"),
        ({"voll": -5.0}, "voll"),
        ({"links": ([0], [1], [1.0])}, "links dst: index out of range"),
        ({"links": ([-1], [0], [1.0])}, "links src: index out of range"),
        ({"links": ([0], [0], [-1.0])}, "links cap_mw: contains negative"),
        ({"links": ([0], [0], [np.nan])}, "links cap_mw: contains NaN"),
        ({"links": ([0, 0], [0], [1.0, 1.0])}, "links dst: length"),
        ({"links": ([0], [0], [1.0, 2.0])}, "links cap_mw: shape"),
        ({"links": ([0.5], [0], [1.0])}, "links src: expected integer"),
        ({"links": ([0], [0])}, "links: expected a tuple"),
    ],
)
def test_bad_input_raises(kwargs, match):
    args = {**GOOD, "voll": VOLL, **kwargs}
    with pytest.raises(ValueError, match=match):
        clear_power(args.pop("cost"), args.pop("capacity"), args.pop("demand"), **args)


def test_empty_shapes():
    # No supply blocks at all: every MW is shed at VOLL, with or without links.
    res = clear_power(np.zeros((2, 0)), np.zeros((2, 0)), [1.0, 2.0], voll=VOLL, links=([0], [1], [1.0]))
    assert res.price.tolist() == [VOLL, VOLL] and res.unserved.tolist() == [1.0, 2.0]
    assert res.dispatch.shape == (2, 0) and res.marginal_block.tolist() == [-1, -1]
    # Empty batch and zero regions.
    assert clear_power(np.zeros((0, 3, 2)), np.zeros((0, 3, 2)), np.zeros((0, 3)), voll=VOLL).price.shape == (0, 3)
    assert clear_power(np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0), voll=VOLL).total_cost == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_large_batched_meshed_instances_match_lp(seed, oracle_power, check_power):
    # 4 slices x 80 regions with many exact cost ties and some zero-capacity links.
    rng = np.random.default_rng(100 + seed)
    n_s, n_r, n_u, n_l = 4, 80, 6, 160
    cost = rng.integers(0, 40, (n_s, n_r, n_u)) * 5.0  # many exact ties
    cap = rng.uniform(0, 100, (n_s, n_r, n_u)) * (rng.random((n_s, n_r, n_u)) < 0.8)
    demand = cap.sum(-1) * rng.uniform(0.2, 1.3, (n_s, n_r))
    src = rng.integers(0, n_r, n_l)
    dst = rng.integers(0, n_r, n_l)
    lcap = rng.uniform(0, 150, (n_s, n_l)) * (rng.random((n_s, n_l)) < 0.9)
    res = clear_power(cost, cap, demand, voll=3000.0, links=(src, dst, lcap))
    for s in range(n_s):
        total, _ = oracle_power(cost[s], cap[s], demand[s], 3000.0, src, dst, lcap[s])
        assert float(res.total_cost[s]) == pytest.approx(total, rel=1e-9)
        one = PowerResult(**{k: (v[s] if isinstance(v, np.ndarray) else v) for k, v in vars(res).items()})
        assert check_power(one, cost[s], cap[s], demand[s], 3000.0, src, dst, lcap[s]) == []


@pytest.mark.parametrize("seed", range(4))
def test_unlimited_links_certified_by_duality(seed, check_power):
    # 1e12 MW "unlimited" links next to 0.01 MW blocks: HiGHS loses digits here, so optimality
    # is certified by the duality gap and complementary slackness instead.
    rng = np.random.default_rng(200 + seed)
    n_r, n_u, n_l = 120, 4, 300
    cost = rng.uniform(-50, 300, (n_r, n_u))
    cap = rng.uniform(0, 0.1, (n_r, n_u)) * (rng.random((n_r, n_u)) < 0.8)
    demand = cap.sum(-1) * rng.uniform(0, 1.4, n_r)
    src = rng.integers(0, n_r, n_l)
    dst = rng.integers(0, n_r, n_l)
    lcap = rng.choice([0.0, 1e12, 0.01], n_l)
    res = clear_power(cost, cap, demand, voll=3000.0, links=(src, dst, lcap))
    assert check_power(res, cost, cap, demand, 3000.0, src, dst, lcap) == []
