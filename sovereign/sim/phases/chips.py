"""Chips: fab output is allocated to bids by price within export-control caps, and paid for.

Buyers pay the clearing price for what they receive; each fab is paid that price for its share
of what its class sold, and pays the production cost of it, so a fab's revenue equals what its
buyers paid (units x clearing price). Delivered chips go into the buyers' datacenters (a bid
never overfills a hall: a seat's datacenters in one region). Owns: the datacenters' installed
stock and origin, the bids' reserved cash, the buyers' and fabs' cash (through the ledger).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sovereign.markets import allocate_chips
from sovereign.sim import economics as econ
from sovereign.sim.state import ChipResults, EventEffects

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel
    from sovereign.sim.phases.orders import Bids


def clear_chips(model: SovereignModel, bids: Bids, effects: EventEffects) -> ChipResults:
    """Allocate this quarter's chips to the bids, install them, and settle the payments."""
    w, sc, n_g = model.world, model.scenario, len(model.class_ix)
    online = w.fab_online <= model.quarter
    derate = np.ones(len(w.fab_capacity))
    hit = effects.fab_derate  # fabs finished this quarter were not disrupted
    derate[: len(hit)] = hit
    output = w.fab_capacity * online * derate
    supply = np.bincount(w.fab_class, weights=output, minlength=n_g)
    reserve = model.list_price * sc.economics.chip_reserve_share
    n_f = len(w.fab_capacity)
    if not bids:
        return ChipResults(
            supply=supply,
            price=reserve,
            sold=np.zeros(n_g),
            fab_revenue_busd=np.zeros(n_f),
            fab_cost_busd=np.zeros(n_f),
        )
    n_r = len(model.region_ix)
    seat_pos, class_ix, region_ix = model.seat_pos, model.class_ix, model.region_ix
    buyer = np.array([seat_pos[seat] for seat, _ in bids])
    cls = np.array([class_ix[b.accelerator] for _, b in bids])
    region = np.array([region_ix[b.region] for _, b in bids])
    wanted = np.array([b.h100e for _, b in bids])
    price = np.array([b.max_price_usd for _, b in bids])
    # a bid is capped by the buyer's free space, shared by its bids in order, so the halls can
    # never be overfilled whatever the market grants; a hall = a seat's datacenters in a region
    halls = Halls(w.dc_owner, w.dc_region, n_r)
    hall = halls.find(buyer * n_r + region)  # -1: no datacenter there (any more): nothing
    remaining = halls.sums(np.maximum(w.dc_it_mw * econ.KW_PER_MW - w.dc_kw, 0.0)[halls.rows])
    kw_new = model.kw_per_h100e * model.economy.efficiency_mult
    qty = np.zeros(len(bids))
    rank = rank_within(hall)  # a hall's k-th bid comes after its first k
    for k in range(int(rank.max()) + 1):
        n = np.nonzero((rank == k) & (hall >= 0))[0]
        h, kw = hall[n], kw_new[cls[n]]
        qty[n] = np.minimum(wanted[n], remaining[h] / kw)
        remaining[h] -= qty[n] * kw
    ok = (price >= reserve[cls]) & (qty > 0)
    # sanctions bind on the buyer as well as the destination: a class made mostly in tier-3
    # countries (Ascend-class) is delivered only to tier-3 regions, and never to a buyer
    # headquartered in a tier-1 country (no US firm buys Chinese-class chips, wherever it builds)
    sanctioned = sanctioned_classes(model)
    if sanctioned.any():
        tier = w.export_tier
        hq = np.array([region_ix[model.home_of(seat)] for seat, _ in bids])
        ok &= ~(sanctioned[cls] & ((tier[region] != 3) | (tier[hq] == 1)))
    # caps are per destination region: each region is its own "tier" row for the kernel
    caps = w.tier_cap[w.export_tier - 1]  # (R, G)
    leak = sc.export_controls.grey_market_leakage
    barred = (caps == 0) & model.controlled[None, :]
    tier2 = w.tier_cap[1][None, :].repeat(len(caps), 0)
    caps = np.where(barred, leak * np.where(np.isfinite(tier2), tier2, 0.0), caps)
    caps = np.where(model.controlled[None, :], caps, np.inf)
    res = allocate_chips(supply, cls[ok], qty[ok], price[ok], region[ok], caps)
    got = np.zeros(len(bids))
    got[ok] = res.allocation
    clearing = np.where(np.asarray(res.price) > 0, res.price, reserve)
    sold = np.bincount(cls, weights=got, minlength=n_g)
    # who made what: each class's output shares by fab, for revenue and for the chips' origin
    share = np.divide(output, supply[w.fab_class], out=np.zeros_like(output), where=supply[w.fab_class] > 0)
    origin = np.zeros((n_g, n_r))
    np.add.at(origin, (w.fab_class, w.fab_region), share)
    delivered = np.nonzero(got > 0)[0]
    _install(model, halls, hall[delivered], cls[delivered], got[delivered], region[delivered], origin)
    # buyers pay the clearing price, each its bids in order, seats in the order they first bid
    buyers = buyer[delivered]
    paid = np.bincount(buyers, weights=got[delivered] * clearing[cls[delivered]] / 1e9)
    first_bid = np.unique(buyers, return_index=True)[1]
    for row in buyers[np.sort(first_bid)].tolist():
        model.transfer(model.seat_ids[row], model.OUTSIDE, float(paid[row]), "chip purchases")
    # fabs are paid the clearing price for their share of what sold, and pay its production cost
    made = sold[w.fab_class] * share
    gross = made * clearing[w.fab_class] / 1e9
    cost = made * model.production_cost[w.fab_class] / 1e9
    for f in np.nonzero(made > 0)[0].tolist():
        owner = model.seat_ids[w.fab_owner[f]]
        if owner in model.seats:
            model.transfer(model.OUTSIDE, owner, float(gross[f]), "chip sales")
            model.transfer(owner, model.OUTSIDE, float(cost[f]), "chip production")
            st = model.seats[owner].state
            st["revenue_q"] = st.get("revenue_q", 0.0) + float(gross[f])
            st["costs_q"] = st.get("costs_q", 0.0) + float(cost[f])
    return ChipResults(supply=supply, price=clearing, sold=sold, fab_revenue_busd=gross, fab_cost_busd=cost)


def sanctioned_classes(model: SovereignModel) -> np.ndarray:
    """Per accelerator class, whether it is made mostly (by capacity) in tier-3 countries."""
    w, n_g = model.world, len(model.class_ix)
    cap_all = np.bincount(w.fab_class, weights=w.fab_capacity, minlength=n_g)
    cap_t3 = np.bincount(w.fab_class, weights=w.fab_capacity * (w.export_tier[w.fab_region] == 3), minlength=n_g)
    return np.asarray(cap_t3 > 0.5 * cap_all)


def _install(
    model: SovereignModel,
    halls: Halls,
    hall: np.ndarray,
    g: np.ndarray,
    qty: np.ndarray,
    region: np.ndarray,
    origin: np.ndarray,
) -> None:
    """Put delivered accelerators into the buyers' datacenters, in each hall by free space.

    One delivery per element of `hall` (hall number), `g` (class), `qty` (H100e) and `region`,
    in bid order; `origin` is (G, R), where each class was made. Halls share no datacenter, so
    the k-th deliveries of all halls are installed together ("round" k) and a hall's later
    deliveries see the space its earlier ones took: the same numbers as one by one.
    """
    if not len(hall):
        return
    w, n_r = model.world, len(model.region_ix)
    # chips of a class come from its fabs' regions pro rata to output (from the buyer's own
    # region if none of the class was made)
    totals = np.array([origin[c].sum() for c in range(len(origin))])
    from_fabs = np.divide(origin, totals[:, None], out=np.zeros_like(origin), where=totals[:, None] > 0)
    source = np.where((totals[g] > 0)[:, None], from_fabs[g], np.eye(n_r)[region])  # (N, R)
    kw = model.kw_per_h100e * model.economy.efficiency_mult
    rounds = rank_within(hall)
    for k in range(int(rounds.max()) + 1):
        n = np.nonzero(rounds == k)[0]
        rows, lengths = halls.rows_of(hall[n])
        free = np.maximum(w.dc_it_mw[rows] * econ.KW_PER_MW - w.dc_kw[rows], 0.0)
        total = segment_sums(free, lengths)
        keep = np.repeat(total > 0, lengths)  # a hall with no space left gets nothing
        each = np.repeat(n, lengths)[keep]
        rows, free = rows[keep], free[keep]
        part = qty[each] * free / np.repeat(total, lengths)[keep]
        w.dc_stock[rows, g[each]] += part
        w.dc_kw[rows] += part * kw[g[each]]
        w.dc_origin[rows] += part[:, None] * source[each]


class Halls:
    """Datacenters grouped into halls: a seat's datacenters in one region.

    ``rows`` lists the datacenters hall by hall (each hall's in ascending row order), ``start``
    and ``length`` locate each hall in it, and ``keys`` holds each hall's ``owner * R + region``
    (ascending: halls are numbered in key order).
    """

    def __init__(self, owner: np.ndarray, region: np.ndarray, n_regions: int) -> None:
        key = owner * n_regions + region
        self.rows = np.argsort(key, kind="stable")
        sorted_key = key[self.rows]
        self.start = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]]) if len(key) else np.zeros(0, int)
        self.length = np.diff(np.r_[self.start, len(key)])
        self.keys = sorted_key[self.start]

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Hall number of each key ``owner * R + region``, -1 where there is no such hall."""
        pos = np.searchsorted(self.keys, keys)
        found = pos < len(self.keys)
        found[found] = self.keys[pos[found]] == keys[found]
        return np.where(found, pos, -1)

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Per hall, the sum of `values` (one per datacenter, in ``rows`` order)."""
        return segment_sums(values, self.length)

    def rows_of(self, halls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The datacenter rows of some halls, one hall after the other, and each hall's count."""
        lengths = self.length[halls]
        first = np.repeat(self.start[halls] - np.cumsum(lengths) + lengths, lengths)
        return self.rows[first + np.arange(len(first))], lengths


def rank_within(groups: np.ndarray) -> np.ndarray:
    """For each element, how many earlier elements have the same value (0 for the first)."""
    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    start = np.r_[True, ordered[1:] != ordered[:-1]] if len(groups) else np.zeros(0, bool)
    first = np.maximum.accumulate(np.where(start, np.arange(len(groups)), 0))
    rank = np.empty(len(groups), np.int64)
    rank[order] = np.arange(len(groups)) - first
    return rank


def segment_sums(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Sums of consecutive segments of `values`, bit for bit equal to ``segment.sum()`` each.

    Why not ``np.add.reduceat``: it adds in another order than ``ndarray.sum`` (which adds fewer
    than 8 numbers one after the other and longer runs pairwise), and the results must not change
    with how the datacenters happen to be grouped.
    """
    n = len(lengths)
    if n == 0:
        return np.zeros(0)
    starts = np.cumsum(lengths) - lengths
    seg = np.repeat(np.arange(n), lengths)
    pos = np.arange(len(values)) - starts[seg]
    short = pos < 7
    table = np.zeros((n, min(int(lengths.max()), 7)))
    table[seg[short], pos[short]] = values[short]
    out = table[:, 0].copy()
    for j in range(1, table.shape[1]):
        out += table[:, j]
    for s in np.nonzero(lengths >= 8)[0].tolist():
        out[s] = values[starts[s] : starts[s] + lengths[s]].sum()
    return out
