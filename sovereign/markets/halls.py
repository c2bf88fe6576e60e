"""Chips into halls: bids capped by a buyer's free space, and deliveries installed by free space.

A hall is a seat's datacenters in one region; `hall_layout` lays them out hall by hall (``rows``,
``start``, ``length``) and finds each bid's. `cap_to_space` and `install_deliveries` walk the bids
or deliveries one by one in bid order, each seeing the space the earlier ones of its hall took:
the rule as it reads. Why compiled (numba, cached on disk and loaded by `warm_up` like the market
kernels): a quarter has a few hundred bids over a few hundred halls of one to a few datacenters
each, so numpy's per-call cost dominated (the same rule in numpy, in rounds of one bid per hall,
was ~3% of a game's run; these kernels take microseconds a quarter).

A hall's free space is summed as numpy sums the same values in the same order (`np_sum`), so the
numbers are those of ``free.sum()`` bit for bit, and the games those of the numpy rule.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _run_sum(values: np.ndarray, lo: int, n: int) -> float:
    """The sum of a run of at most 128 values, as numpy adds it (`np_sum`)."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += values[i]
        return res
    r0, r1, r2, r3 = values[lo], values[lo + 1], values[lo + 2], values[lo + 3]
    r4, r5, r6, r7 = values[lo + 4], values[lo + 5], values[lo + 6], values[lo + 7]
    whole = n - n % 8
    for i in range(lo + 8, lo + whole, 8):
        r0 += values[i]
        r1 += values[i + 1]
        r2 += values[i + 2]
        r3 += values[i + 3]
        r4 += values[i + 4]
        r5 += values[i + 5]
        r6 += values[i + 6]
        r7 += values[i + 7]
    total: float = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(lo + whole, lo + n):
        total += values[i]
    return total


@njit(cache=True)
def np_sum(values: np.ndarray, lo: int, n: int) -> float:
    """``values[lo:lo + n].sum()`` as numpy adds a contiguous float64 run (its pairwise sum).

    Fewer than 8 values one after the other; up to 128 in eight interleaved partial sums; more
    split in two halves (the first a multiple of 8) summed alike and added (`np_sum_with`).
    A test holds it equal to numpy's.
    """
    if n <= 128:
        return _run_sum(values, lo, n)
    return np_sum_with(values, lo, n, np.empty((3, 64), np.int64), np.empty(64))


@njit(cache=True)
def np_sum_with(values: np.ndarray, lo: int, n: int, frames: np.ndarray, sums: np.ndarray) -> float:
    """`np_sum` with its work arrays given: ``frames`` (3, 64) int64 and ``sums`` (64,) float64.

    A kernel that sums many runs (rows of a matrix) allocates them once rather than `np_sum`
    allocating them for every run past 128 values (an allocation costs about as much as summing
    a hundred values). The halving is walked with a stack of its own: numba's on-disk cache does
    not load a self-recursive kernel safely.
    """
    if n <= 128:
        return _run_sum(values, lo, n)
    # depth-first over the halves: each frame is a run and how far it is (0: left half next,
    # 1: right half next, 2: both summed, on top of the sums stack)
    run_lo, run_n, stage = frames[0], frames[1], frames[2]
    run_lo[0], run_n[0], stage[0], top, done = lo, n, 0, 1, 0
    while top:
        f = top - 1
        if run_n[f] <= 128:
            sums[done] = _run_sum(values, run_lo[f], run_n[f])
            done += 1
            top -= 1
            continue
        half = run_n[f] // 2
        half -= half % 8
        if stage[f] == 0:
            stage[f] = 1
            run_lo[top], run_n[top], stage[top] = run_lo[f], half, 0
            top += 1
        elif stage[f] == 1:
            stage[f] = 2
            run_lo[top], run_n[top], stage[top] = run_lo[f] + half, run_n[f] - half, 0
            top += 1
        else:
            sums[done - 2] = sums[done - 2] + sums[done - 1]
            done -= 1
            top -= 1
    total: float = sums[0]
    return total


@njit(cache=True)
def hall_layout(
    owner: np.ndarray, region: np.ndarray, n_regions: int, keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The datacenters (D,) laid out hall by hall, and the hall of each of `keys` (``owner * R + region``).

    Returns ``rows`` (D,): the datacenters hall by hall, each hall's in ascending row order (a
    stable sort); ``start`` and ``length`` (H,): where each hall's run is in ``rows``, halls
    numbered in ascending ``owner * R + region``; and ``hall`` (N,): each key's hall, -1 where the
    seat has no datacenter in that region.
    """
    dc_key = owner * n_regions + region
    rows = np.argsort(dc_key, kind="mergesort")
    n_dc = len(rows)
    start = np.empty(n_dc, np.int64)
    n_halls = 0
    for i in range(n_dc):
        if i == 0 or dc_key[rows[i]] != dc_key[rows[i - 1]]:
            start[n_halls] = i
            n_halls += 1
    start = start[:n_halls].copy()
    length = np.empty(n_halls, np.int64)
    hall_key = np.empty(n_halls, np.int64)
    for h in range(n_halls):
        length[h] = (start[h + 1] if h + 1 < n_halls else n_dc) - start[h]
        hall_key[h] = dc_key[rows[start[h]]]
    hall = np.full(len(keys), -1, np.int64)
    for i in range(len(keys)):
        h = np.searchsorted(hall_key, keys[i])
        if h < n_halls and hall_key[h] == keys[i]:
            hall[i] = h
    return rows, start, length, hall


@njit(cache=True)
def _free_kw(
    h: int,
    rows: np.ndarray,
    start: np.ndarray,
    length: np.ndarray,
    it_kw: np.ndarray,
    dc_kw: np.ndarray,
    out: np.ndarray,
) -> float:
    """Fill ``out[:length[h]]`` with each of hall `h`'s datacenters' free kW; return their sum.

    Free kW is ``np.maximum(IT kW - installed kW, 0.0)``: NaN kept, the second when equal (+0.0 for -0.0).
    """
    for j in range(length[h]):
        d = rows[start[h] + j]
        free = it_kw[d] - dc_kw[d]
        out[j] = free if (free > 0.0 or free != free) else 0.0
    return np_sum(out, 0, length[h])


@njit(cache=True)
def cap_to_space(
    hall: np.ndarray,
    wanted: np.ndarray,
    kw_bid: np.ndarray,
    rows: np.ndarray,
    start: np.ndarray,
    length: np.ndarray,
    it_kw: np.ndarray,
    dc_kw: np.ndarray,
) -> np.ndarray:
    """(N,) H100e each bid may take: what it wants, within its hall's free space left by its earlier bids.

    `hall` is each bid's hall (-1: none, nothing), `kw_bid` the kW an H100e of its class draws;
    `rows`, `start`, `length` locate each hall's datacenters (`hall_layout`), whose IT capacity
    and installed load are `it_kw` and `dc_kw` (kW).
    """
    qty = np.zeros(len(hall))
    left = np.zeros(len(start))
    seen = np.zeros(len(start), np.bool_)
    buf = np.empty(max(length.max(), 1) if len(length) else 1)
    for i in range(len(hall)):
        h = hall[i]
        if h < 0:
            continue
        if not seen[h]:
            left[h] = _free_kw(h, rows, start, length, it_kw, dc_kw, buf)
            seen[h] = True
        fits = left[h] / kw_bid[i]
        want = wanted[i]
        q = want if (want < fits or want != want) else fits  # np.minimum: the second when equal
        qty[i] = q
        left[h] -= q * kw_bid[i]
    return qty


@njit(cache=True)
def install_deliveries(
    hall: np.ndarray,
    cls: np.ndarray,
    qty: np.ndarray,
    kw_cls: np.ndarray,
    region: np.ndarray,
    from_fabs: np.ndarray,
    made: np.ndarray,
    rows: np.ndarray,
    start: np.ndarray,
    length: np.ndarray,
    it_kw: np.ndarray,
    dc_kw: np.ndarray,
    dc_stock: np.ndarray,
    dc_origin: np.ndarray,
) -> None:
    """Put each delivery's `qty` H100e of class `cls` into its hall's datacenters, by free space.

    In delivery order, each seeing the space the earlier ones took; a hall with no space left
    gets nothing. Updates `dc_stock` (D, G), `dc_kw` (D,) and `dc_origin` (D, R) in place: a
    datacenter's share ``qty x free / hall's free`` draws `kw_cls` kW an H100e and comes from the
    regions ``from_fabs[cls]`` where the class was made (`made[cls]`), else from `region`.
    """
    buf = np.empty(max(length.max(), 1) if len(length) else 1)
    n_r = dc_origin.shape[1]
    for i in range(len(hall)):
        h, g = hall[i], cls[i]
        total = _free_kw(h, rows, start, length, it_kw, dc_kw, buf)
        if not total > 0.0:
            continue
        for j in range(length[h]):
            d = rows[start[h] + j]
            part = qty[i] * buf[j] / total
            dc_stock[d, g] += part
            dc_kw[d] += part * kw_cls[g]
            for c in range(n_r):
                if made[g]:
                    dc_origin[d, c] += part * from_fabs[g, c]
                else:
                    dc_origin[d, c] += part * (1.0 if c == region[i] else 0.0)
