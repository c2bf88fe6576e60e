"""The AI's chip bids for one investor, compiled: the per-slot loop of `decide._chip_bids`.

Why compiled: every investor walks every bid slot of every region where it has free space, some
ten thousand bids a game, and the Python loop (with two roundings a bid) cost more than building
the bids themselves. The kernel is the rules' only home; it does the same float operations in the
same order as the Python loop it replaced (IEEE, no fastmath), so games are unchanged. It returns
the bids' fields; `decide._chip_bids` makes them `BuyAccelerators` commands.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

#: Columns of the bid slot table (`investor_view`'s "bid_slot_table"), one row per slot.
PART, KW, PRICE, FLOOR, VALUE, SCARCITY, MOST = range(7)
#: Columns of the kernel's output, one row per bid: its slot row, whether it is a contract order,
#: its H100e and price rounded (to 0.1 H100e and the cent; NaN where `rounded` leaves it to the
#: builtin) and the same two unrounded.
ROW, CONTRACT, QTY, PRICE_USD, RAW_QTY, RAW_PRICE_USD = range(6)


@njit(cache=True)
def rounded(x: float, scale: float) -> float:
    """``round(x, log10(scale))`` exactly, or NaN where only the builtin can tell (`decide._chip_bids` asks it then).

    Scaled by `scale` (10**ndigits), a number that is not within 1e-6 of a tie rounds to the same
    integer whether the scaling was exact or not (the scaling errs by under 1e-7 below 2**30), and
    that integer divided by `scale` is the float nearest the decimal, which is what the builtin
    returns. Near ties, large, negative and NaN numbers give NaN: the builtin rounds those.
    """
    y = x * scale
    if 0.0 <= y < 1073741824.0:  # 2**30
        n = math.floor(y)
        frac = y - n  # exact
        if frac < 0.5 - 1e-6:
            return n / scale
        if frac > 0.5 + 1e-6:
            return (n + 1) / scale
    return math.nan


@njit(cache=True)
def net_chip_cost(paid: float, list_price: float, rate: float) -> float:
    """What a chip bought at `paid` costs its buyer after the host's subsidy at `rate` ($ per H100e).

    The host pays its rate of the price, but of the list price at most (`subsidise_chips`): a GPU
    scheme budgets a share of the planned purchase (METI's 2024 grants were fixed sums approved
    against each firm's plan), not of whatever a shortage makes the chips cost.
    """
    return paid * (1.0 - rate) if paid <= list_price else paid - rate * list_price


@njit(cache=True)
def spot_bid(
    price: float, premium: float, scarcity: float, value: float, sub: float, noise: float, max_price: float
) -> float:
    """A spot bid's price: list price, raised when busy and when the class was short last quarter.

    Never above what the chip is worth to this buyer, grossed up by the host's subsidy `sub` up to
    list (the same net cost: the subsidy stops at list), times the buyer's misjudgement `noise`; at
    most the command's bound `max_price` (which only a scenario of extreme values could reach).
    """
    keep = 1.0 - sub
    ask = price * premium * scarcity
    bid = (value if value < ask else ask) / keep * noise
    if sub > 0.0 and bid > price:
        bid = bid * keep + sub * price
    if bid > max_price:
        bid = max_price
    return bid


@njit(cache=True)
def chip_bid_rows(
    slots: np.ndarray,
    slot_start: np.ndarray,
    regions: np.ndarray,
    free_kw_in: np.ndarray,
    first: int,
    end: int,
    region_free: np.ndarray,
    subsidy: np.ndarray,
    noise: np.ndarray,
    budget: float,
    premium: float,
    contract_share: float,
    contract_min: float,
    min_order: float,
    tranche: float,
    max_price: float,
    max_qty: float,
) -> np.ndarray:
    """One investor's bids over the slots of the regions where it has free space, in order.

    ``regions[first:end]`` and ``free_kw_in[first:end]`` are the investor's regions with free space
    (ascending) and its free kW there; the slots of region r are rows
    ``slot_start[r]:slot_start[r + 1]`` of `slots`; `noise` holds one misjudgement factor per slot
    walked, in order. The caps are written as comparisons
    that pick exactly what Python's ``min``/``max`` would (the first of equals, NaN kept).
    """
    out = np.empty((2 * noise.shape[0], 6))  # at most two bids a slot
    n = 0
    j = 0  # the next misjudgement factor: one per bid slot
    for i in range(first, end):
        r = regions[i]
        free_kw = free_kw_in[i]
        # a slot with a volume limit (a cap, a licence, the smuggled flow) is shared by everyone with
        # space in the region: a buyer bids for all of it but expects its share (by its share of the
        # free space), and sets aside money and space for that share only, so its budget and halls
        # are not tied up in a volume others will get
        mine = free_kw / region_free[r] if region_free[r] > 0 else 0.0
        # the share of a chip's price the buyer bears: the host pays its subsidy rate back after
        # delivery (`subsidise_chips`), so a subsidised buyer can bid that much higher for the same
        # net cost and the same return; this is how a state's GPU subsidy wins its halls chips in a
        # shortage (METI's 2024 grants paid up to half of five GPU clouds' purchases). The scheme pays
        # its rate of the list price at most, so above list the buyer bears every extra dollar
        # (`net_chip_cost`) and bids its net cost plus the subsidy it gets, not its net cost grossed up
        # (at most `MAX_SUBSIDY_RATE`, 0.5: the command, the scenario and its decisions are all bounded)
        sub = subsidy[r]
        for s in range(slot_start[r], slot_start[r + 1]):
            part, kw, price, floor = slots[s, PART], slots[s, KW], slots[s, PRICE], slots[s, FLOOR]
            value, scarcity, most = slots[s, VALUE], slots[s, SCARCITY], slots[s, MOST]
            # a limited slot (share 0) asks for its volume at most, before the rest
            if part == 0.0:
                free = free_kw / kw
                if most < free:
                    free = most
            else:
                free = free_kw * part / kw * tranche
            if free >= min_order:
                bid = spot_bid(price, premium, scarcity, value, sub, noise[j], max_price)
                if bid < floor or bid < 0.01:
                    j += 1
                    continue  # not worth its reserve price here (or under the cent a price is named in)
                net = net_chip_cost(bid, price, sub)
                affordable = budget * 1e9 / net * 0.95
                qty = affordable if affordable < free else free
                if max_qty < qty:
                    qty = max_qty
                expect = qty  # what this buyer should get: a limited slot, its share at most
                if not part > 0.0:
                    share = most * mine
                    if share < qty:
                        expect = share
                if part == 0.0:
                    free_kw -= expect * kw
                on_contract = qty * contract_share if qty >= contract_min and value >= price and part > 0.0 else 0.0
                # the contract part first (at list price at least), then the spot part, each if
                # large enough; money is set aside for what this buyer expects to get
                if on_contract >= min_order:
                    at = price if price > bid else bid
                    out[n, ROW], out[n, CONTRACT] = s, 1.0
                    out[n, QTY], out[n, PRICE_USD] = rounded(on_contract, 10.0), rounded(at, 100.0)
                    out[n, RAW_QTY], out[n, RAW_PRICE_USD] = on_contract, at
                    n += 1
                    budget -= on_contract * net_chip_cost(at, price, sub) / 1e9 * (expect / qty)
                spot = qty - on_contract
                if spot >= min_order:
                    out[n, ROW], out[n, CONTRACT] = s, 0.0
                    out[n, QTY], out[n, PRICE_USD] = rounded(spot, 10.0), rounded(bid, 100.0)
                    out[n, RAW_QTY], out[n, RAW_PRICE_USD] = spot, bid
                    n += 1
                    budget -= spot * net / 1e9 * (expect / qty)
            j += 1
    return out[:n]


def compiled_kernels() -> tuple[Any, ...]:
    """The bid loop's compiled kernels (numba dispatchers), as `warm_up_kernels` loads them."""
    return (chip_bid_rows, rounded, net_chip_cost, spot_bid)


def warm_up_kernels() -> None:
    """Load (or, on a machine's first run, compile) the kernels on a tiny instance, typed as the game calls them.

    The arrays as `investor_view` and `decide._chip_bids` make them: a float slot table, int64 slot
    starts and regions (contiguous), float free space, subsidies and noise.
    """
    slots = np.array([[1.0, 1.0, 20000.0, 10000.0, 30000.0, 1.0, math.inf]])
    starts, regions = np.array([0, 1]), np.ascontiguousarray(np.nonzero(np.ones((1, 1)) > 0)[1])
    one, zero = np.array([1.0]), np.array([0.0])
    chip_bid_rows(slots, starts, regions, np.array([1e4]), 0, 1, one, zero, one, 1.0, 1.0, 0.0, 1.0, 0.1, 1.0, 1e6, 1e8)
