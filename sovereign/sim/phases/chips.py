"""Chips: packaged fab output is sold on contracts, then on a spot market, within trade rules.

Upstream limits first: a fab's wafers become chips only once packaged (its owner's packaging
lines, CoWoS-like) and given high-bandwidth memory (the HBM supply of its region); both were
sold out in 2024-26 (CALIBRATION 8). Then the trade rules: who may receive a class (the export
controls by destination tier or licence, end-use rules by the buyer's headquarters, the maker's
own rules, the buyer's government's import bans) and how much leaks past a bar (smuggling that
the controlling nations' enforcement spending shrinks). Then two rounds of the chip market:
long-term allocation contracts at the class's list price, pro rata when short, and the spot
market for the rest, where bids reflect what the chips are worth to the buyer and the clearing
price spikes when supply is short. Buyers pay what their round cleared at; each fab is paid for
its share of its class's sales and pays the production cost (and a licence's revenue share to the
licensing nation). Delivered chips go into the buyers' datacenters (a bid never overfills a
hall: a seat's datacenters in one region). Owns: the datacenters' installed stock and origin,
the bids' reserved cash, the buyers' and fabs' cash (through the ledger).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sovereign.markets import ChipResult, allocate_chips
from sovereign.markets.halls import cap_to_space, hall_layout, install_deliveries
from sovereign.sim import economics as econ
from sovereign.sim.phases.diplomacy import smuggling_extra
from sovereign.sim.state import ChipResults, EventEffects
from sovereign.sim.world import take_due

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel
    from sovereign.sim.phases.orders import Bids


def clear_chips(model: SovereignModel, bids: Bids, effects: EventEffects) -> ChipResults:
    """Allocate this quarter's chips to the bids, install them, and settle the payments."""
    w, sc, n_g, n_f = model.world, model.scenario, len(model.class_ix), len(model.world.fab_capacity)
    list_now = model.list_price_now()
    reserve = list_now * sc.economics.chip_reserve_share
    wafers_now = w.fab_capacity * (w.fab_online <= model.quarter)
    wafers_f = wafers_now * _padded(effects.fab_derate, n_f)
    output = upstream_output(model, wafers_f, effects)
    made_g = np.bincount(w.fab_class, weights=output, minlength=n_g)  # disruptions included, before deals
    # what the fabs could have made without this quarter's disruptions: a blockade's shortfall is
    # not a reason to build capacity (the fabs' own `capacity` signal); in a quarter whose events
    # hit no fab or packaging line (every derate exactly 1, the usual quarter) that is what they
    # made, bit for bit (x * 1.0 == x), so it is not computed twice
    if _disrupted(effects, n_f, len(w.pkg_capacity)):
        undisrupted = upstream_output(model, wafers_now, EventEffects())
        capacity = np.bincount(w.fab_class, weights=undisrupted, minlength=n_g)
    else:
        capacity = made_g.copy()
    # chip supply deals are served first, from their sellers' own fabs; then covert stockpiles buy
    # their share unnoticed; the market gets the rest
    output, by_deal = deliver_supply_deals(model, output)
    output = buy_stockpiles(model, output, by_deal)
    release_stockpiles(model)
    supply = np.bincount(w.fab_class, weights=output, minlength=n_g)
    wafers = np.bincount(w.fab_class, weights=wafers_f, minlength=n_g)
    if not bids:
        return ChipResults(
            supply=supply,
            price=reserve,
            sold=np.zeros(n_g),
            fab_revenue_busd=np.zeros(n_f),
            fab_cost_busd=np.zeros(n_f),
            wafers=wafers,
            capacity=capacity,
            made=made_g,
            ordered=np.zeros(n_g),
            contract_price=list_now,
            grey=np.zeros(n_g),
            licence_busd=np.zeros(n_g),
        )
    n_r = len(model.region_ix)
    seat_pos, class_ix, region_ix = model.seat_pos, model.class_ix, model.region_ix
    buyer = np.array([seat_pos[seat] for seat, _ in bids])
    cls = np.array([class_ix[b.accelerator] for _, b in bids])
    region = np.array([region_ix[b.region] for _, b in bids])
    wanted = np.array([b.h100e for _, b in bids])
    price = np.array([b.max_price_usd for _, b in bids])
    contract = np.array([b.contract for _, b in bids], bool)
    hq = model.seat_home_index()[buyer]  # each bidder's home region (cached by the ledger)
    # a bid is capped by the buyer's free space, shared by its bids in order, so the halls can
    # never be overfilled whatever the market grants; a hall = a seat's datacenters in a region
    # each bid's hall (-1: the seat has no datacenter there (any more): nothing); hall h's datacenters
    # are rows[start[h]:start[h] + length[h]]
    rows, start, length, hall = hall_layout(w.dc_owner, w.dc_region, n_r, buyer * n_r + region)
    it_kw = w.dc_it_mw * econ.KW_PER_MW
    kw_new = model.kw_per_h100e * model.economy.efficiency_mult
    qty = cap_to_space(hall, wanted, kw_new[cls], rows, start, length, it_kw, w.dc_kw)
    ok = (price >= reserve[cls]) & (qty > 0) & may_receive(model, hq, region, cls)
    caps, barred = destination_caps(model)
    caps = np.maximum(caps - by_deal, 0.0)  # what deals delivered counts against the caps
    # orders the market could honestly fill: not smuggling, and at most each destination's cap
    legit = ok & ~barred[region, cls]
    by_dest = np.bincount(region[legit] * n_g + cls[legit], weights=qty[legit], minlength=n_r * n_g)
    ordered = np.minimum(by_dest.reshape(n_r, n_g), caps).sum(0)
    # round 1: long-term allocation contracts at list price, pro rata within a class when short
    is_c = ok & contract & (price >= list_now[cls])
    c_want = np.bincount(cls[is_c], weights=qty[is_c], minlength=n_g)
    fill = np.divide(supply, c_want, out=np.ones(n_g), where=c_want > supply)
    got = np.zeros(len(bids))
    res_c = allocate_chips(supply, cls[is_c], qty[is_c] * fill[cls[is_c]], price[is_c], region[is_c], caps)
    got[is_c] = res_c.allocation
    # round 2: the spot market takes what is left, within what the caps leave
    spot_supply = np.maximum(supply - res_c.sold, 0.0)
    caps_left = np.maximum(caps - res_c.tier_sold, 0.0)
    is_s = ok & ~is_c
    res_s = allocate_chips(spot_supply, cls[is_s], qty[is_s], price[is_s], region[is_s], caps_left)
    got[is_s] = res_s.allocation
    spot = spot_price(res_s, reserve, spot_supply, cls[is_s], price[is_s])
    sold = np.bincount(cls, weights=got, minlength=n_g)
    paid_each = np.where(is_c, list_now[cls], spot[cls]) * got  # $ per bid
    grey_bid = barred[region, cls] & (got > 0)
    grey = np.bincount(cls[grey_bid], weights=got[grey_bid], minlength=n_g).astype(float)
    # who made what: each class's output shares by fab, for revenue and for the chips' origin
    share = np.divide(output, supply[w.fab_class], out=np.zeros_like(output), where=supply[w.fab_class] > 0)
    origin = np.zeros((n_g, n_r))
    np.add.at(origin, (w.fab_class, w.fab_region), share)
    delivered = np.nonzero(got > 0)[0]
    # chips of a class come from its fabs' regions pro rata to output (from the buyer's own region
    # if none of the class was made)
    made_in = np.array([origin[c].sum() for c in range(n_g)])
    from_fabs = np.divide(origin, made_in[:, None], out=np.zeros_like(origin), where=made_in[:, None] > 0)
    install_deliveries(
        hall[delivered],
        cls[delivered],
        got[delivered],
        kw_new,
        region[delivered],
        from_fabs,
        made_in > 0,
        rows,
        start,
        length,
        it_kw,
        w.dc_kw,
        w.dc_stock,
        w.dc_origin,
    )
    # buyers pay what their round cleared at, each its bids in order, seats in the order they first bid
    buyers = buyer[delivered]
    paid = np.bincount(buyers, weights=paid_each[delivered] / 1e9)
    # (`dict.fromkeys` keeps each buyer once, where it first comes: a fraction of `np.unique`'s cost)
    seat_ids, transfer, outside = model.seat_ids, model.transfer, model.OUTSIDE
    paid_f = paid.tolist()
    for row in dict.fromkeys(buyers.tolist()):
        transfer(seat_ids[row], outside, paid_f[row], "chip purchases")
    # a host's subsidy pays its rate of the price paid, of the list price at most (what its scheme
    # budgeted), so a shortage's price is not half paid by the state
    eligible = np.minimum(paid_each, list_now[cls] * got)
    subsidise_chips(model, buyers, region[delivered], eligible[delivered])
    # fabs are paid their share of their class's sales, and pay its production cost and the
    # licence share on sales to licensed destinations
    revenue = np.bincount(cls, weights=paid_each, minlength=n_g) / 1e9
    licensed = np.where(np.isnan(w.licence_cap), 0.0, w.licence_share)[region, cls]
    licence = np.bincount(cls, weights=paid_each * licensed, minlength=n_g).astype(float) / 1e9
    gross = revenue[w.fab_class] * share
    fee = licence[w.fab_class] * share
    made = sold[w.fab_class] * share
    cost = made * model.production_cost_now()[w.fab_class] / 1e9
    licensor = licensing_nation(model)
    # as Python floats: the loop reads each a few times, and a numpy scalar costs more to index and add
    owners, gross_f, cost_f, fee_f = w.fab_owner.tolist(), gross.tolist(), cost.tolist(), fee.tolist()
    seats = model.seats
    for f in np.nonzero(made > 0)[0].tolist():
        owner = seat_ids[owners[f]]
        if owner in seats:
            transfer(outside, owner, gross_f[f], "chip sales")
            transfer(owner, outside, cost_f[f], "chip production")
            if fee_f[f] > 0 and licensor is not None:
                transfer(owner, licensor, fee_f[f], "licence fees")
            st = seats[owner].state
            st["revenue_q"] = st.get("revenue_q", 0.0) + gross_f[f]
            st["costs_q"] = st.get("costs_q", 0.0) + (cost_f[f] + (fee_f[f] if licensor is not None else 0.0))
    return ChipResults(
        supply=supply,
        price=spot,
        sold=sold,
        fab_revenue_busd=gross,
        fab_cost_busd=cost,
        wafers=wafers,
        capacity=capacity,
        made=made_g,
        ordered=ordered,
        contract_price=list_now,
        grey=grey,
        licence_busd=licence if licensor is not None else np.zeros(n_g),
    )


def deliver_supply_deals(model: SovereignModel, output: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Serve the active chip supply deals from their sellers' fabs, before the market.

    Each deal (in the order offered) gets at most its H100e a quarter, within what the seller's
    fabs of the class made this quarter, the buyer's free space in the deal's region, the export
    rules (a deal never crosses a bar, and counts against the destination's cap) and what the
    buyer can pay; the chips are installed pro rata to free space, the buyer pays the seller the
    agreed price and the seller pays their production cost. A buyer that can pay for none breaks
    the deal. Returns the fabs' output left for the market and the H100e delivered by (region,
    class), which the market's caps then leave out.
    """
    from sovereign.sim.phases.diplomacy import active_supply, break_deal, deal_region, supplier_and_buyer

    w, n_r, n_g = model.world, len(model.region_ix), len(model.class_ix)
    by_dest = np.zeros((n_r, n_g))
    deals = active_supply(model)
    if not deals:
        return output, by_dest
    output = output.copy()
    kw_new = model.kw_per_h100e * model.economy.efficiency_mult
    caps, barred = destination_caps(model)
    for deal in deals:
        seller, buyer = supplier_and_buyer(deal)
        g, r = model.class_ix[deal["accelerator"]], model.region_ix[deal_region(model, deal)]
        fabs = (w.fab_owner == model.seat_pos[seller]) & (w.fab_class == g)
        avail = float(output[fabs].sum())
        mine = np.flatnonzero((w.dc_owner == model.seat_pos[buyer]) & (w.dc_region == r))
        free = np.maximum(w.dc_it_mw[mine] * econ.KW_PER_MW - w.dc_kw[mine], 0.0)
        hq = np.array([model.region_ix[model.home_of(buyer)]])
        allowed = bool(may_receive(model, hq, np.array([r]), np.array([g]))[0]) and not barred[r, g]
        qty = min(float(deal["h100e_per_quarter"]), avail, float(free.sum()) / kw_new[g], caps[r, g] - by_dest[r, g])
        qty = max(qty, 0.0) if allowed else 0.0
        price = float(deal["price_usd"])
        cash = model.seats[buyer].cash_busd if buyer in model.seats else 0.0
        if qty > 0 and cash * 1e9 < qty * price:
            qty = max(cash, 0.0) * 1e9 / price
            if qty < 1.0:
                deal["last_delivered_h100e"] = 0.0
                break_deal(model, deal, buyer, "it could not pay for the chips")
                continue
        deal["note"] = "" if allowed else "blocked by export controls"
        deal["last_delivered_h100e"] = qty
        if qty <= 0:
            continue
        deal["delivered_h100e"] += qty
        by_dest[r, g] += qty
        src = np.bincount(w.fab_region[fabs], weights=output[fabs], minlength=n_r) / avail
        output[fabs] -= qty * output[fabs] / avail
        _fill(model, mine, free, g, qty, src)
        paid, cost = qty * price / 1e9, qty * float(model.production_cost_now()[g]) / 1e9
        _book_sale(model, buyer, seller, paid, cost, "chip supply deals")
    return output, by_dest


def _fill(model: SovereignModel, rows: np.ndarray, free: np.ndarray, g: int, qty: float, source: np.ndarray) -> None:
    """Put `qty` H100e of class `g` into datacenters `rows` by their `free` space; `source`: where they were made."""
    w = model.world
    part = qty * free / free.sum()
    w.dc_stock[rows, g] += part
    w.dc_kw[rows] += part * (model.kw_per_h100e * model.economy.efficiency_mult)[g]
    w.dc_origin[rows] += part[:, None] * source[None, :]


def _book_sale(model: SovereignModel, payer: str, maker: str, paid: float, cost: float, kind: str) -> None:
    """A maker sells chips outside the market: paid by `payer`, it pays their production cost."""
    model.transfer(payer, maker, paid, kind)
    model.transfer(maker, model.OUTSIDE, cost, "chip production")
    st = model.seats[maker].state
    st["revenue_q"] = st.get("revenue_q", 0.0) + paid
    st["costs_q"] = st.get("costs_q", 0.0) + cost


def buy_stockpiles(model: SovereignModel, output: np.ndarray, by_dest: np.ndarray) -> np.ndarray:
    """Covert stockpiles buy their quarter's chips from their class's fabs, before the market.

    Each running `stockpiling` operation (`CovertAction`) spends its budget evenly over its
    quarters: at list price plus `diplomacy.stockpile_markup` (the intermediaries keep the markup),
    at most `diplomacy.stockpile_output_share` of the class's output this quarter, within the
    sponsor's export cap (it counts against it, in `by_dest`). The fabs are paid list price and pay
    the production cost; the chips are held in the operation's hidden stockpile (not installed,
    in nobody's holdings) until `release_stockpiles`. Returns the fabs' output left.
    """
    w, d = model.world, model.scenario.diplomacy
    ops = [op for op in w.covert if op["operation"] == "stockpiling" and op["quarter"] <= model.quarter <= op["until"]]
    if not ops:
        return output
    output = output.copy()
    caps, barred = destination_caps(model)
    list_now, cost_now = model.list_price_now(), model.production_cost_now()
    n_r = len(model.region_ix)
    for op in ops:
        if op["revealed"] >= 0:
            continue  # traced: its intermediaries are known, it buys no more
        g, r = model.class_ix[op["accelerator"]], model.region_ix[op["actor"]]
        if barred[r, g] or not bool(may_receive(model, np.array([r]), np.array([r]), np.array([g]))[0]):
            continue  # barred since it began: it buys nothing while the bar stands
        fabs = w.fab_class == g
        made = float(output[fabs].sum())
        left = float(op["busd"]) - float(op["spent_busd"])
        quarters = int(op["until"]) - int(op["quarter"]) + 1
        price = float(list_now[g]) * (1.0 + d.stockpile_markup)
        want = min(left, float(op["busd"]) / quarters) * 1e9 / price  # the budget spent evenly
        qty = max(min(want, d.stockpile_output_share * made, float(caps[r, g] - by_dest[r, g])), 0.0)
        if qty <= 0.0 or made <= 0.0:
            continue
        by_dest[r, g] += qty
        share = output[fabs] / made
        op["origin"] = (
            np.asarray(op["origin"]) + qty * np.bincount(w.fab_region[fabs], weights=share, minlength=n_r)
        ).tolist()
        output[fabs] -= qty * share
        op["stock_h100e"] = float(op["stock_h100e"]) + qty
        op["spent_busd"] = float(op["spent_busd"]) + qty * price / 1e9
        for f, part in zip(np.flatnonzero(fabs).tolist(), (qty * share).tolist(), strict=True):
            owner = model.seat_ids[w.fab_owner[f]]
            if part <= 0.0 or owner not in model.seats:
                continue
            paid, cost = part * float(list_now[g]) / 1e9, part * float(cost_now[g]) / 1e9
            _book_sale(model, model.OUTSIDE, owner, paid, cost, "chip sales")  # through the intermediaries
    return output


def release_stockpiles(model: SovereignModel) -> None:
    """Stockpiles whose year is over, or that were traced, go into their nation's halls.

    Into the free space of the datacenters in the sponsor's territory that it or its own firms
    own (by free space; a foreign cloud's hall there gets none); what does not fit waits for space.
    The budget the stockpile did not spend comes back to the nation when it is released.
    """
    w = model.world
    if not any(op["operation"] == "stockpiling" for op in w.covert):
        return
    kw_new = model.kw_per_h100e * model.economy.efficiency_mult
    owner_home = model.seat_home_index()[w.dc_owner]
    for op in w.covert:
        if op["operation"] != "stockpiling":
            continue
        if op.get("released", -1) >= 0 and float(op["stock_h100e"]) <= 0.0:
            continue  # released, and all of it installed
        due = op["revealed"] >= 0 or model.quarter > op["until"]
        if not due:
            continue
        if op.get("released", -1) < 0:
            op["released"] = model.quarter
            refund = float(op["busd"]) - float(op["spent_busd"])
            if refund > 0 and op["actor"] in model.seats:
                model.transfer(model.OUTSIDE, op["actor"], refund, "covert operations")
                op["spent_busd"] = float(op["busd"])
        stock = float(op["stock_h100e"])
        if stock <= 0.0:
            continue
        g, r = model.class_ix[op["accelerator"]], model.region_ix[op["actor"]]
        rows = np.flatnonzero((w.dc_region == r) & (owner_home == r))
        free = np.maximum(w.dc_it_mw[rows] * econ.KW_PER_MW - w.dc_kw[rows], 0.0)
        qty = min(stock, float(free.sum()) / float(kw_new[g]))
        if qty <= 0.0:
            continue
        origin = np.asarray(op["origin"], float)
        source = origin / origin.sum() if origin.sum() > 0 else np.eye(len(model.region_ix))[r]
        _fill(model, rows, free, g, qty, source)
        op["origin"] = (origin * (1.0 - qty / stock)).tolist()
        op["stock_h100e"] = stock - qty


def _disrupted(effects: EventEffects, n_fabs: int, n_lines: int) -> bool:
    """Whether this quarter's events cut any of the `n_fabs` fabs or `n_lines` packaging lines."""
    return bool((effects.fab_derate[:n_fabs] != 1.0).any() or (effects.pkg_derate[:n_lines] != 1.0).any())


def _padded(derate: np.ndarray, n: int) -> np.ndarray:
    """A derate per asset for `n` assets: assets finished after the events were not hit."""
    out = np.ones(n)
    out[: len(derate)] = derate[:n]
    return out


def upstream_output(model: SovereignModel, wafers: np.ndarray, effects: EventEffects) -> np.ndarray:
    """(F,) chips each fab delivers: its wafers, limited by its owner's packaging and its region's HBM.

    A fab owner's packaging lines package all its fabs' wafers, wherever they stand (Arizona
    wafers went to Taiwan for CoWoS), pro rata when short; a scenario without packaging lines
    does not model packaging. HBM from each supply goes to the fabs of its regions pro rata;
    fabs of regions no supply covers are not limited by memory.
    """
    w = model.world
    out = _packaged(model, wafers, effects)
    if len(w.hbm_capacity):
        pool = model.hbm_pool[w.fab_region]
        need_h = _memory_need(model, out)
        ratio_h = np.minimum(np.divide(w.hbm_capacity, need_h, out=np.ones(len(need_h)), where=need_h > 0), 1.0)
        out = np.where(pool >= 0, out * ratio_h[np.maximum(pool, 0)], out)
    return out


def _memory_need(model: SovereignModel, packaged: np.ndarray) -> np.ndarray:
    """(H,) memory each HBM supply's fabs need for their packaged wafers `packaged` (F,)."""
    w = model.world
    pool = model.hbm_pool[w.fab_region]
    covered = pool >= 0
    return np.bincount(pool[covered], weights=packaged[covered], minlength=len(w.hbm_capacity))


def _packaged(model: SovereignModel, wafers: np.ndarray, effects: EventEffects) -> np.ndarray:
    """(F,) each fab's wafers that its owner's packaging lines can package (pro rata when short)."""
    w = model.world
    out = wafers.copy()
    if len(w.pkg_capacity):
        online = w.pkg_online <= model.quarter
        pkg = w.pkg_capacity * online * _padded(effects.pkg_derate, len(w.pkg_capacity))
        n_s = len(model.seat_ids)
        have = np.bincount(w.pkg_owner, weights=pkg, minlength=n_s)
        need = np.bincount(w.fab_owner, weights=wafers, minlength=n_s)
        ratio = np.minimum(np.divide(have, need, out=np.ones(n_s), where=need > 0), 1.0)
        out = out * ratio[w.fab_owner]
    return out


def hbm_need(model: SovereignModel) -> np.ndarray:
    """(H,) memory each HBM supply's fabs need a quarter: their wafers online, as far as packaged."""
    w = model.world
    wafers = w.fab_capacity * (w.fab_online <= model.quarter)
    return _memory_need(model, _packaged(model, wafers, EventEffects())).astype(float)


def expand_hbm(model: SovereignModel) -> None:
    """The memory makers' own expansions: those due arrive, and where memory limits the chips, more start.

    Memory makers are outside the game, but they answer a shortage of their memory as the chip
    makers answer theirs: while the packaged wafers online need more memory than a supply makes
    (less what it already has on the way), its makers start an expansion of at most
    ``expansion_share_per_year / 4`` of their capacity, done ``build_quarters`` later. HBM sold out
    in 2024-26 and its makers moved ~14% of the world's DRAM capacity to HBM in 2024 (CALIBRATION 8).
    """
    w, sc, q = model.world, model.scenario, model.quarter
    n_h = len(w.hbm_capacity)
    if not n_h:
        return
    rows, w.hbm_orders = take_due(w.hbm_orders, q)
    np.add.at(w.hbm_capacity, rows[:, 1].astype(np.int64), rows[:, 2])
    share = np.array([h.expansion_share_per_year for h in sc.chips.hbm])
    if not (share > 0).any():
        return
    coming = np.zeros(n_h)
    if len(w.hbm_orders):
        np.add.at(coming, w.hbm_orders[:, 1].astype(np.int64), w.hbm_orders[:, 2])
    size = np.minimum(hbm_need(model) - w.hbm_capacity - coming, share / 4.0 * w.hbm_capacity)
    for h in np.flatnonzero((share > 0) & (size > 1.0)).tolist():
        done = q + sc.chips.hbm[h].build_quarters
        w.hbm_orders = np.vstack([w.hbm_orders, [[done, h, size[h]]]])


def spot_price(
    res: ChipResult, reserve: np.ndarray, spot_supply: np.ndarray, bid_class: np.ndarray, bid_price: np.ndarray
) -> np.ndarray:
    """(G,) the spot price of each class, never below its reserve.

    When supply binds, the lowest accepted bid (the kernel's uniform price). When it does not,
    still the lowest accepted bid: the makers of a class are few (Nvidia and TSMC for most of
    it), and they do not sell below what every buyer this quarter was willing to pay; they make
    fewer chips instead. When contracts took the whole supply, the spot market has nothing to
    sell; its price is then the highest spot bid (what the most eager buyer would have paid), so
    a shortage shows as a spike rather than as a collapse to the reserve.
    """
    n_g = len(reserve)
    top = np.full(n_g, -np.inf)
    np.maximum.at(top, bid_class, bid_price)
    low = np.full(n_g, np.inf)
    served = res.allocation > 0
    np.minimum.at(low, bid_class[served], bid_price[served])
    empty = (spot_supply <= 0) & np.isfinite(top)
    price = np.where(res.supply_binds & (res.price > 0), res.price, np.where(np.isfinite(low), low, reserve))
    return np.asarray(np.maximum(np.where(empty, top, price), reserve))


def may_receive(model: SovereignModel, hq: np.ndarray, dest: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """(N,) whether a buyer headquartered in `hq` may receive class `cls` in region `dest`.

    Sanctions bind on who buys as well as where: a class made mostly in tier-3 countries
    (Ascend-class) goes only to tier-3 destinations and never to a buyer headquartered in a
    tier-1 country (no US firm holds Chinese-class chips, wherever it builds); a class its maker
    sells only in some regions (China keeps Ascend output at home) goes only to buyers from and
    in those regions; a nation's import ban covers its territory and its firms abroad (China's
    2025 guidance against Nvidia purchases). Volume caps by destination are `destination_caps`.
    """
    w = model.world
    tier = w.export_tier
    sanctioned = sanctioned_classes(model)
    ok = ~(sanctioned[cls] & ((tier[dest] != 3) | (tier[hq] == 1)))
    ok &= model.sold_only_in[dest, cls] & model.sold_only_in[hq, cls]
    ok &= ~(w.import_ban[dest, cls] | w.import_ban[hq, cls])
    return np.asarray(ok)


def destination_caps(model: SovereignModel) -> tuple[np.ndarray, np.ndarray]:
    """(R, G) most H100e of each class each destination may receive, and (R, G) where it is barred.

    The export tier's cap, unless a licence sets the destination's own; uncontrolled classes are
    free. Where a controlled class is barred, smuggling still brings some in: the scenario's grey
    flow, halved for every `enforcement_halving_busd` a year the controlling nations spend on
    enforcement, shared among the barred destinations by GDP.
    """
    w, ec = model.world, model.scenario.export_controls
    caps = w.tier_cap[w.export_tier - 1]  # (R, G)
    caps = np.where(np.isnan(w.licence_cap), caps, w.licence_cap)
    barred = (caps == 0) & model.controlled[None, :]
    enforcement = float(w.enforcement_busd[model.chip_producer].sum())
    flow = ec.grey_market_h100e_per_quarter * 0.5 ** (enforcement / ec.enforcement_halving_busd)
    gdp = np.where(barred, w.gdp_busd[:, None], 0.0)
    total = gdp.sum(0)
    leak = np.divide(gdp, total[None, :], out=np.zeros_like(gdp), where=total[None, :] > 0) * flow
    # a nation's own smuggling networks (covert operations) bring more in, shared by its barred classes
    if model.world.covert:
        extra = smuggling_extra(model)
        n_barred = barred.sum(1)
        leak = leak + np.divide(extra, n_barred, out=np.zeros_like(extra), where=n_barred > 0)[:, None]
    caps = np.where(barred, leak, caps)
    caps = np.where(model.controlled[None, :], caps, np.inf)
    return caps, barred


def subsidise_chips(model: SovereignModel, buyers: np.ndarray, regions: np.ndarray, eligible_usd: np.ndarray) -> None:
    """The host nation pays its subsidy rate of what firms paid for chips installed on its territory.

    `eligible_usd` is what each delivery's subsidy is counted on: the price paid, at most the list
    price (a scheme budgets a share of the planned purchase; METI's grants were fixed sums approved
    against each firm's plan). Paying a share of any price made subsidised buyers bid their value
    grossed up by the subsidy, so in the Taiwan quarantine Japan's 50% set the spot price at 5-8x list.

    A datacenter subsidy covers the building and the accelerators in it, as Japan's 2024 GPU-cloud
    subsidies covered up to half of each firm's investment (METI, up to Y72.5B to five firms) and
    IndiaAI pays ~40% of GPU-hours: the shell alone ($0.07-0.13 an H100e-hour of capital against
    $0.43-0.77 for the chips) moved no investor. Each host pays each buyer once a quarter, in the
    order the buyers first bid, as far as its cash allows (`subsidy_payable`, as for builds); states
    buying for their own halls get nothing from themselves.
    """
    w = model.world
    rate = w.subsidy[regions]
    if not (rate > 0).any():
        return
    n_r = len(model.region_ix)
    keys = buyers * n_r + regions
    owed = np.bincount(keys, weights=rate * eligible_usd / 1e9, minlength=int(keys.max()) + 1)
    pairs = list(dict.fromkeys(keys.tolist()))  # each (buyer, host) once, where it first comes
    for key, amount in zip(pairs, owed[pairs].tolist(), strict=True):  # as Python floats
        if amount <= 0:
            continue
        seat = model.seat_ids[key // n_r]
        if model.seats[seat].kind == "nation":
            continue
        model.pay_subsidy(key % n_r, seat, amount)


def licensing_nation(model: SovereignModel) -> str | None:
    """The seat paid licence fees: the first chip-producing nation (the one setting the controls)."""
    rows = np.nonzero(model.chip_producer)[0]
    return model.scenario.regions[int(rows[0])].id if len(rows) else None


def sanctioned_classes(model: SovereignModel) -> np.ndarray:
    """Per accelerator class, whether it is made mostly (by capacity) in tier-3 countries."""
    w, n_g = model.world, len(model.class_ix)
    cap_all = np.bincount(w.fab_class, weights=w.fab_capacity, minlength=n_g)
    cap_t3 = np.bincount(w.fab_class, weights=w.fab_capacity * (w.export_tier[w.fab_region] == 3), minlength=n_g)
    return np.asarray(cap_t3 > 0.5 * cap_all)
