"""Chip allocation: the vectorised kernel equals the bid-by-bid greedy reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sovereign.markets import ChipResult, allocate_chips
from sovereign.markets.reference import chips_reference


@st.composite
def chip_instances(draw):
    n_g = draw(st.integers(1, 4))
    n_t = draw(st.integers(1, 3))
    n = draw(st.integers(0, 25))
    supply = draw(st.lists(st.sampled_from([0.0, 1.0, 3.0, 10.0, 0.5]), min_size=n_g, max_size=n_g))
    caps = draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, 4.5, np.inf]), min_size=n_t * n_g, max_size=n_t * n_g))
    cls = draw(st.lists(st.integers(0, n_g - 1), min_size=n, max_size=n))
    tier = draw(st.lists(st.integers(0, n_t - 1), min_size=n, max_size=n))
    qty = draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, 0.25, 7.0]), min_size=n, max_size=n))
    # Few distinct prices: plenty of ties, some below the reserve.
    price = draw(st.lists(st.sampled_from([-1.0, 0.0, 1.0, 2.0, 2.0, 5.0]), min_size=n, max_size=n))
    reserve = draw(st.sampled_from([0.0, 1.0, -2.0]))
    return (
        np.array(supply),
        np.array(cls, int),
        np.array(qty),
        np.array(price),
        np.array(tier, int),
        np.array(caps).reshape(n_t, n_g),
        reserve,
    )


@settings(max_examples=300, deadline=None)
@given(chip_instances())
def test_kernel_equals_greedy_reference(inst):
    supply, cls, qty, price, tier, caps, reserve = inst
    res = allocate_chips(supply, cls, qty, price, tier, caps, reserve=reserve)
    ref = chips_reference(supply, cls, qty, price, tier, caps, reserve)
    np.testing.assert_allclose(res.allocation, ref["allocation"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.price, ref["price"], rtol=0, atol=0)
    np.testing.assert_allclose(res.unsold, ref["unsold"], rtol=0, atol=1e-12)
    # Invariants: quantities conserved and every limit kept.
    assert (res.allocation >= 0).all() and (res.allocation <= qty).all()
    sold = np.bincount(cls, res.allocation, len(supply))
    np.testing.assert_allclose(sold, res.sold, atol=1e-12)
    np.testing.assert_allclose(res.sold + res.unsold, supply, atol=1e-12)
    assert (res.tier_sold <= caps + 1e-12).all()
    assert (res.allocation[price < reserve] == 0).all()
    # A bid at or above the reserve is short only when its tier cap or its class supply ran out.
    short = (res.allocation < qty - 1e-12) & (price >= reserve)
    cap_out = res.tier_sold[tier, cls] >= caps[tier, cls] - 1e-12
    supply_out = res.sold[cls] >= supply[cls] - 1e-12
    assert (~short | cap_out | supply_out).all()
    # Nothing goes to a bid below a short, better-priced bid's price in the same tier and class.
    for i in np.nonzero(short & ~cap_out & supply_out)[0]:
        worse = (cls == cls[i]) & (price < price[i])
        assert (res.allocation[worse] == 0).all()
    # The price-setting bid was accepted.
    m = res.marginal_bid[res.marginal_bid >= 0]
    assert (res.allocation[m] > 0).all()


def test_price_rules():
    # One class, supply 3: bids 5 (qty 2), 4 (qty 2), 1 (qty 5). Supply binds at the 4 bid.
    res = allocate_chips([3.0], [0, 0, 0], [2.0, 2.0, 5.0], [5.0, 4.0, 1.0], [0, 0, 0], [[np.inf]])
    assert isinstance(res, ChipResult)
    assert res.allocation.tolist() == [2.0, 1.0, 0.0]
    assert res.price.tolist() == [4.0] and res.marginal_bid.tolist() == [1] and res.supply_binds[0]
    # Slack supply: reserve price, every bid filled.
    res = allocate_chips([30.0], [0, 0], [2.0, 2.0], [5.0, 4.0], [0, 0], [[np.inf]], reserve=0.5)
    assert res.price.tolist() == [0.5] and res.marginal_bid.tolist() == [-1]
    assert res.unsold.tolist() == [26.0]
    # Barred tier (cap 0) and capped tier.
    res = allocate_chips(
        [10.0, 10.0],
        [0, 0, 1, 1],
        [5.0, 5.0, 5.0, 5.0],
        [9.0, 8.0, 9.0, 8.0],
        [1, 0, 1, 0],
        [[np.inf, 2.0], [0.0, 1.0]],
    )
    assert res.allocation.tolist() == [0.0, 5.0, 1.0, 2.0]
    assert res.tier_sold.tolist() == [[5.0, 2.0], [0.0, 1.0]]
    # Ties broken by bid index.
    res = allocate_chips([1.0], [0, 0], [1.0, 1.0], [3.0, 3.0], [0, 0], [[np.inf]])
    assert res.allocation.tolist() == [1.0, 0.0]


def test_no_bids():
    res = allocate_chips([5.0, 0.0], [], [], [], [], [[1.0, 1.0]])
    assert res.allocation.shape == (0,) and res.price.tolist() == [0.0, 0.0]
    assert res.unsold.tolist() == [5.0, 0.0]


def test_vectorised_at_scale():
    rng = np.random.default_rng(0)
    n = 20_000
    args = (
        rng.uniform(0, 5000, 6),
        rng.integers(0, 6, n),
        rng.uniform(0, 10, n),
        rng.uniform(0, 100, n).round(1),
        rng.integers(0, 3, n),
        np.array([[np.inf] * 6, [5000.0] * 6, [0.0, 0.0, 0.0, 1e9, 1e9, 1e9]]),
    )
    res = allocate_chips(*args)
    ref = chips_reference(*args)
    np.testing.assert_allclose(res.allocation, ref["allocation"], atol=1e-7)
    np.testing.assert_array_equal(res.price, ref["price"])


GOOD = {
    "supply": [1.0],
    "bid_class": [0],
    "bid_qty": [1.0],
    "bid_price": [1.0],
    "bid_tier": [0],
    "tier_cap": [[np.inf]],
}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"supply": [-1.0]}, "supply: contains negative"),
        ({"supply": [np.nan]}, "supply: contains NaN"),
        ({"supply": [np.inf]}, "supply: contains inf"),
        ({"bid_class": [1]}, "bid_class: index out of range"),
        ({"bid_class": [0.5]}, "bid_class: expected integer"),
        ({"bid_tier": [3]}, "bid_tier: index out of range"),
        ({"bid_qty": [-1.0]}, "bid_qty: contains negative"),
        ({"bid_qty": [1.0, 2.0]}, "does not match bid_qty"),
        ({"bid_price": [np.nan]}, "bid_price: contains NaN"),
        ({"bid_price": [1.0, 2.0]}, "bid_price: length"),
        ({"tier_cap": [[-1.0]]}, "tier_cap: contains negative"),
        ({"tier_cap": [[np.nan]]}, "tier_cap: contains NaN"),
        ({"tier_cap": [[1.0, 1.0]]}, "tier_cap: shape"),
        ({"tier_cap": [1.0]}, "tier_cap: expected 2"),
        ({"reserve": np.nan}, "reserve: contains NaN"),
        ({"reserve": [1.0, 2.0]}, "reserve: expected a scalar"),
    ],
)
def test_bad_input_raises(kwargs, match):
    args = {**GOOD, **kwargs}
    reserve = args.pop("reserve", 0.0)
    with pytest.raises(ValueError, match=match):
        allocate_chips(**args, reserve=reserve)


def _numpy_clips(supply, cls, qty, price, tier, caps, reserve):
    """The two cumulative-sum clips in numpy (the kernel's rule as array operations)."""

    def clip_running(group, amount, limit):
        c = np.cumsum(amount)
        start = np.searchsorted(group, group, side="left")
        inc = c - np.where(start > 0, c[np.maximum(start - 1, 0)], 0.0)
        return np.maximum(np.minimum(inc, limit) - np.minimum(inc - amount, limit), 0.0)

    n_class, n_tier, n_bid = len(supply), caps.shape[0], len(qty)
    res = np.full(n_class, float(reserve))
    want = np.where(price >= res[cls], qty, 0.0)
    o_c = np.lexsort((-price, cls))
    group_c = (cls * n_tier + tier)[o_c]
    by_tier = np.argsort(group_c, kind="stable")
    o_t = o_c[by_tier]
    capped, alloc = np.empty(n_bid), np.empty(n_bid)
    capped[o_t] = clip_running(group_c[by_tier], want[o_t], caps[tier[o_t], cls[o_t]])
    alloc[o_c] = clip_running(cls[o_c], capped[o_c], supply[cls[o_c]])
    offered = np.bincount(cls, capped, n_class)
    tier_sold = np.bincount(tier * n_class + cls, alloc, n_tier * n_class).reshape(n_tier, n_class)
    return alloc, np.minimum(offered, supply), tier_sold, (supply > 0) & (offered >= supply)


@pytest.mark.parametrize("seed", range(20))
def test_compiled_clips_equal_the_numpy_clips_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    n_g, n_t, n = 3, int(rng.integers(1, 4)), int(rng.integers(0, 400))
    supply = rng.random(n_g) * 10.0 ** rng.integers(0, 6, n_g)
    caps = np.where(rng.random((n_t, n_g)) < 0.3, np.inf, rng.random((n_t, n_g)) * 1e5)
    cls, tier = rng.integers(0, n_g, n), rng.integers(0, n_t, n)
    qty = rng.random(n) * 10.0 ** rng.integers(0, 5, n)
    price = np.round(rng.random(n) * 20.0, 1)  # ties
    res = allocate_chips(supply, cls, qty, price, tier, caps, reserve=2.0)
    alloc, sold, tier_sold, binds = _numpy_clips(supply, cls, qty, price, tier, caps, 2.0)
    for got, expected in ((res.allocation, alloc), (res.sold, sold), (res.tier_sold, tier_sold)):
        assert got.tobytes() == expected.tobytes()  # bit for bit, signed zeros included
    assert np.array_equal(res.supply_binds, binds)
