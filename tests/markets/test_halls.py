"""Chips into halls: the compiled kernels against the rule written out bid by bid, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from sovereign.markets.halls import cap_to_space, hall_layout, install_deliveries, np_sum


@pytest.mark.parametrize("n", [*range(0, 140), 255, 256, 257, 300, 1000, 1029, 4096, 10001])
def test_np_sum_adds_like_numpy(n):
    rng = np.random.default_rng(n)
    values = rng.random(n + 3) * 10.0 ** rng.integers(-6, 7, n + 3)
    for lo in (0, 3):
        assert np_sum(values, lo, min(n, len(values) - lo)) == values[lo : lo + min(n, len(values) - lo)].sum()


def _halls(rng: np.random.Generator, n_dc: int, n_halls: int) -> tuple[np.ndarray, ...]:
    """A random layout: each datacenter in a hall, rows hall by hall in ascending row order."""
    hall_of = rng.integers(0, n_halls, n_dc)
    hall_of[:n_halls] = np.arange(n_halls)  # no empty hall
    rows = np.argsort(hall_of, kind="stable")
    length = np.bincount(hall_of, minlength=n_halls)
    start = np.concatenate(([0], np.cumsum(length)[:-1]))
    return rows, start, length


@pytest.mark.parametrize("seed", range(6))
def test_hall_layout_groups_a_seats_datacenters_in_a_region_in_row_order(seed):
    rng = np.random.default_rng(seed)
    n_dc, n_r = int(rng.integers(0, 50)), 4
    owner, region = rng.integers(0, 6, n_dc), rng.integers(0, n_r, n_dc)
    keys = rng.integers(0, 6 * n_r, 30)
    rows, start, length, hall = hall_layout(owner, region, n_r, keys)
    dc_key = owner * n_r + region
    halls = sorted(set(dc_key.tolist()))
    assert start.tolist() == np.concatenate(([0], np.cumsum(length)[:-1])).astype(int).tolist()
    for h, key in enumerate(halls):
        assert rows[start[h] : start[h] + length[h]].tolist() == np.flatnonzero(dc_key == key).tolist()
    assert hall.tolist() == [halls.index(k) if k in halls else -1 for k in keys.tolist()]


def _free(it_kw: np.ndarray, dc_kw: np.ndarray, dcs: np.ndarray) -> np.ndarray:
    return np.maximum(it_kw[dcs] - dc_kw[dcs], 0.0)


def _cap_reference(hall, wanted, kw_bid, rows, start, length, it_kw, dc_kw):
    """Each bid in order: what it wants, within what its hall's earlier bids left."""
    left = {h: _free(it_kw, dc_kw, rows[start[h] : start[h] + length[h]]).sum() for h in set(hall.tolist()) - {-1}}
    qty = np.zeros(len(hall))
    for i, h in enumerate(hall.tolist()):
        if h < 0:
            continue
        qty[i] = np.minimum(wanted[i], left[h] / kw_bid[i])
        left[h] -= qty[i] * kw_bid[i]
    return qty


def _install_reference(hall, cls, qty, kw_cls, region, from_fabs, made, rows, start, length, it_kw, kw, stock, origin):
    """Each delivery in order into its hall's datacenters, by their free space then."""
    for i, h in enumerate(hall.tolist()):
        dcs = rows[start[h] : start[h] + length[h]]
        free = _free(it_kw, kw, dcs)
        total = free.sum()
        if not total > 0:
            continue
        source = from_fabs[cls[i]] if made[cls[i]] else np.eye(origin.shape[1])[region[i]]
        part = qty[i] * free / total
        stock[dcs, cls[i]] += part
        kw[dcs] += part * kw_cls[cls[i]]
        origin[dcs] += part[:, None] * source


@pytest.mark.parametrize("seed", range(12))
def test_kernels_follow_the_rule_bid_by_bid(seed):
    rng = np.random.default_rng(seed)
    n_dc, n_bids, n_g, n_r = int(rng.integers(1, 40)), int(rng.integers(0, 60)), 3, 5
    n_halls = int(rng.integers(1, n_dc + 1))
    if seed == 0:  # one hall of many datacenters: numpy's pairwise sum
        n_dc, n_halls = 300, 1
    rows, start, length = _halls(rng, n_dc, n_halls)
    it_kw = rng.random(n_dc) * 1e5
    dc_kw = it_kw * rng.random(n_dc) * np.where(rng.random(n_dc) < 0.2, 1.5, 1.0)  # some full, some over
    hall = np.where(rng.random(n_bids) < 0.1, -1, rng.integers(0, n_halls, n_bids))
    cls = rng.integers(0, n_g, n_bids)
    kw_cls = rng.random(n_g) + 0.5
    wanted = rng.random(n_bids) * 2e4
    qty = cap_to_space(hall, wanted, kw_cls[cls], rows, start, length, it_kw, dc_kw)
    expected = _cap_reference(hall, wanted, kw_cls[cls], rows, start, length, it_kw, dc_kw)
    assert np.array_equal(qty, expected)

    got = qty * rng.random(n_bids)
    delivered = np.flatnonzero(got > 0)
    from_fabs = rng.random((n_g, n_r))
    from_fabs /= from_fabs.sum(1)[:, None]
    made = np.array([True, False, True])
    region = rng.integers(0, n_r, n_bids)
    states = [(dc_kw.copy(), rng.random((n_dc, n_g)), rng.random((n_dc, n_r))) for _ in range(2)]
    states[1] = tuple(a.copy() for a in states[0])
    args = (hall[delivered], cls[delivered], got[delivered], kw_cls, region[delivered], from_fabs, made)
    install_deliveries(*args, rows, start, length, it_kw, *states[0])
    _install_reference(*args, rows, start, length, it_kw, *states[1])
    for kernel, reference in zip(states[0], states[1], strict=True):
        assert np.array_equal(kernel, reference)
