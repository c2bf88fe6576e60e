"""Compute: clusters sell H100e-hours to demand segments under localisation and sanctions rules.

The market (`sovereign.markets.clear_compute`) finds the allocation and each cluster's scarcity
rent (the shadow price of its capacity). Buyers pay marginal cost plus rent: on the contracted
share of a cluster (``economics.contract_share``, hyperscalers' committed capacity) the rent
agreed over the contract's life, which follows the spot rent slowly; on the rest the spot rent.
Owners receive what buyers pay and pay power and opex once, for the hours they sell. So the price
of every served cluster is at least its marginal cost. Owns: the segments' and owners' cash
(through the ledger), the datacenters' utilisation and contracted rent; returns `ComputeResults`.

Two levers of the seats that own datacenters act here. A price floor (`SetComputePrice`) is the
owner's asking price on the spot market: its clusters enter the market at the higher of their
running cost and the floor, so they sell less, at a margin (the owner still pays only the running
cost). Compute contracts (`compute_supply` deals) are served first (`serve_compute_deals`): the
supplier's clusters reserve the contracted H100e for the buyer, take or pay; the buyer's demand
is met from the reservation before it goes to the market, and what is left of both goes to the
spot market.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sovereign.markets import clear_compute
from sovereign.sim import economics as econ
from sovereign.sim.state import ComputeResults, PowerResults, Segments

if TYPE_CHECKING:
    from sovereign.scenario.schema import DemandClass, Scenario
    from sovereign.sim.model import SovereignModel


#: Whether the market checks the tranche and site groups against the allowed pairs and penalties
#: (`clear_compute`'s ``check_groups``); a test turns it on and plays games.
CHECK_GROUPS = False


#: The demand classes, in the order of the regional rows; a segment's class is its index here.
DEMAND_CLASSES: tuple[DemandClass, ...] = ("training", "inference", "regulated")
_CLASS_NAMES = np.array(DEMAND_CLASSES)


def demand_segments(model: SovereignModel) -> Segments:
    """The compute market's demand: regional demand by class in tranches, its low-price fringe, each lab.

    The regional rows (class by class, tranche by tranche, one a region) are built as whole
    arrays and the classes as indices into `DEMAND_CLASSES`: the same rows as appending them one
    class and tranche at a time, and converting some 300 class names a quarter from a list was a
    third of this function's time.
    """
    sc, n_r = model.scenario, len(model.region_ix)
    pool = model.economy.regional_demand_h100e
    wtp = sc.demand.wtp_usd_per_hour
    tranches = sc.demand.wtp_tranches
    share = np.array([r.ai_demand_share for r in sc.regions])
    reg_share = np.array([r.regulated_share for r in sc.regions])
    tr = sc.demand.training_share
    regions = np.arange(n_r)
    # by class (rows in the order of DEMAND_CLASSES), the share of each region's demand
    frac = np.array([(1 - reg_share) * tr, (1 - reg_share) * (1 - tr), reg_share])
    # a demand curve: equal tranches willing to pay multiples of the class's price, so a
    # shortage rations those who value compute least and raises the price as it deepens
    part = pool * share * frac / len(tranches)  # (class, region)
    n_t = len(tranches)
    region = [np.broadcast_to(regions, (len(DEMAND_CLASSES) * n_t, n_r)).ravel()]
    klass = [np.repeat(np.arange(len(DEMAND_CLASSES)), n_t * n_r)]
    qty = [np.repeat(part[:, None, :], n_t, axis=1).ravel()]
    price = [np.repeat(np.array([wtp[c] * mult for c in DEMAND_CLASSES for mult in tranches], float), n_r)]
    # the low-price fringe: compute bought only when cheap. Without it the demand curve stopped at
    # the lowest tranche, so capacity 2% over demand dropped the rent to zero and the price of new
    # compute to the running cost ($0.5 an H100e-hour) for years in 9 of 20 baseline games, flipping
    # back to $1.7 whenever the fleet fell short; the 2025 glut's H100 trough was $1.70 (CALIBRATION 9)
    # It is batch work (inference in bulk, fine-tuning, research runs): it goes wherever compute is
    # cheapest, so it pays no latency penalty and carries no regulated data, and one row a region (as
    # training, whose rows share those rules) is the whole of it: a row per class cost 14% of a run
    n_core = len(qty[0])
    fringe = sc.demand.fringe_demand_share
    n_fringe = n_r if fringe > 0 else 0
    if fringe > 0:
        region.append(regions)
        klass.append(np.zeros(n_r, np.int64))  # training
        qty.append(pool * share * (1 - reg_share) * fringe)
        price.append(np.full(n_r, wtp["training"] * sc.demand.fringe_wtp_share))
    owner: list[str | None] = [None] * (n_core + n_fringe)
    lab_region: list[int] = []
    lab_class: list[int] = []
    lab_qty: list[float] = []
    lab_price: list[float] = []
    for agent in model.seats.values():
        d = agent.state.get("demand_h100e", 0.0)
        if agent.kind in ("lab", "startup") and d > 0:
            c: DemandClass = "training" if agent.kind == "lab" else "inference"
            lab_region.append(model.region_ix[agent.state["home"]])
            lab_class.append(DEMAND_CLASSES.index(c))
            lab_qty.append(d)
            lab_price.append(wtp[c] * (lab_wtp_multiple(sc, agent.state) if agent.kind == "lab" else 1.0))
            owner.append(agent.seat_id)
    region.append(np.array(lab_region, np.int64))
    klass.append(np.array(lab_class, np.int64))
    qty.append(np.array(lab_qty, float))
    price.append(np.array(lab_price, float))
    is_fringe = np.zeros(len(owner), bool)
    is_fringe[n_core : n_core + n_fringe] = True
    return Segments(
        region=np.concatenate(region),
        klass=_CLASS_NAMES[np.concatenate(klass)],
        qty=np.concatenate(qty),
        wtp=np.concatenate(price),
        owner=owner,
        fringe=is_fringe,
    )


def lab_wtp_multiple(sc: Scenario, state: dict[str, Any]) -> float:
    """A lab's willingness to pay for training compute, over the regional training segment's.

    A frontier lab outbids the regional market (`labs.lab_wtp_premium`), and more so when it was
    rationed last quarter (`served_share`, kept by `demand.advance`): each point of unmet share
    raises its price by `labs.rationed_wtp_per_unmet` points, up to `labs.rationed_wtp_max` times.
    Why: with a fixed $3.30 the labs' block of demand (half the market) was rationed rather than
    priced when capacity fell short, so in a deep shortage the price of compute stood still at
    $3.3-3.4 whatever the fleet lost (a Taiwan quarantine raised it 10% in such games); in the 2023
    H100 shortage, rentals reached $8-12 an hour against ~$2.85 a year later (CALIBRATION 9).
    """
    labs = sc.labs
    unmet = 1.0 - float(state.get("served_share", 1.0))
    return float(labs.lab_wtp_premium * min(1.0 + labs.rationed_wtp_per_unmet * unmet, labs.rationed_wtp_max))


def clear_compute_market(model: SovereignModel, power: PowerResults) -> ComputeResults:
    """Clear the compute market for the quarter, settle payments and update contracts."""
    w, sc = model.world, model.scenario
    seg = demand_segments(model)
    stock = w.dc_stock.sum(1)
    k_ix = np.nonzero(stock > 1e-9)[0]
    r_k = w.dc_region[k_ix]
    avail = (1.0 - power.dc_curtail[r_k]) * sc.economics.fleet_availability
    capacity = stock[k_ix] * avail
    kw_per = w.dc_kw[k_ix] / stock[k_ix]
    power_cost = econ.power_cost_usd_per_h100e_hour(kw_per, w.dc_pue[k_ix] * w.dc_energy[k_ix], power.dc_price[r_k])
    cost = sc.demand.opex_usd_per_hour + power_cost
    regulated = seg.klass == "regulated"
    training = seg.klass == "training"
    allowed, sites = _allowed(model, seg.region, regulated, r_k, k_ix)
    contracted, contract_paid = serve_compute_deals(model, seg, capacity, allowed, k_ix)
    floor = price_floors(model, k_ix)
    ask = np.where(floor > 0, np.maximum(cost, floor), cost)
    # no contract running (most quarters): nothing reserved, and no (J, K) array of zeros summed
    contracted_k = np.zeros(len(k_ix)) if contracted is None else contracted.sum(0)
    contracted_j = np.zeros(len(seg.qty)) if contracted is None else contracted.sum(1)
    # (what contracts took, at most all of it: a cluster its contracts fill left -1e-11 to the market)
    penalty, penalty_key = _latency_penalty(model, seg.region, training, r_k)
    res = clear_compute(
        np.maximum(capacity - contracted_k, 0.0),
        ask,
        np.maximum(seg.qty - contracted_j, 0.0),
        seg.wtp,
        allowed,
        penalty,
        penalty_key=penalty_key,
        temperature=sc.demand.preference_spread_usd_per_hour,
        warm_start=_warm_start(model, k_ix, r_k),
        relative=True,  # prices free of the unit of quantity (see `sovereign.markets.compute`)
        groups=_tranche_groups(seg, regulated, training),
        cluster_groups=sites,
        # `_allowed` and the penalties read only what the labels are keyed on, so they agree by
        # construction (the check, two passes over the market, is ~1.5% of a run; a test plays
        # games with it on: tests/sim/test_compute_phase.py)
        check_groups=CHECK_GROUPS,
    )
    alloc = np.asarray(res.allocation)
    rent = np.asarray(res.price)
    # contracts: the agreed rent moves a 1/contract_quarters step towards the spot rent
    step = 1.0 / sc.economics.contract_quarters
    agreed = w.dc_contract_rent[k_ix] + (rent - w.dc_contract_rent[k_ix]) * step
    w.dc_contract_rent[k_ix] = agreed
    share = sc.economics.contract_share
    price_k = ask + share * agreed + (1.0 - share) * rent
    # the spot market's sales and purchases, summed once: they are all there is without contracts
    sold, served = alloc.sum(0), alloc.sum(1)
    _settle(model, seg, alloc, sold, served, price_k, cost, k_ix)
    if contracted is not None and (contracted.any() or contract_paid):
        alloc = alloc + contracted
        _settle_contract_use(model, seg, contracted, contract_paid, cost, k_ix)
        sold, served = alloc.sum(0), alloc.sum(1)
    w.dc_util[:] = 0.0
    w.dc_util[k_ix] = np.divide(sold, stock[k_ix], out=np.zeros_like(sold), where=stock[k_ix] > 0)
    n_r = len(model.region_ix)
    spot = sold - contracted_k  # the market's prices are the spot market's
    sold_r = np.bincount(r_k, spot, n_r)
    value_r = np.bincount(r_k, price_k * spot, n_r)
    regional = np.divide(value_r, sold_r, out=np.full(n_r, np.nan), where=sold_r > 0)
    if spot.sum() > 0:
        glob = float((price_k * spot).sum() / spot.sum())
        # what new compute costs this quarter (a new contract's first rent is the spot rent), the
        # price a rental index quotes; `glob` is what buyers paid, most of it at rents agreed earlier
        glob_spot = float(((ask + rent) * spot).sum() / spot.sum())
    else:
        glob = glob_spot = float(np.mean(list(sc.demand.wtp_usd_per_hour.values())))
    return ComputeResults(
        segments=seg,
        market=res,
        clusters=k_ix,
        cluster_cost=cost,
        cluster_capacity=capacity,
        served=served,
        alloc=alloc,
        price=price_k,
        price_region=np.where(np.isnan(regional), glob, regional),
        price_global=glob,
        spot_price_global=glob_spot,
        contract_price=ask + agreed,
    )


def price_floors(model: SovereignModel, k_ix: np.ndarray) -> np.ndarray:
    """(K,) each cluster's owner's asking price on the spot market, $/H100e-hour (0: none)."""
    floors = np.zeros(len(model.seat_ids))
    for agent in model.seats.values():
        floor = agent.state.get("compute_floor_usd")
        if floor:
            floors[model.seat_pos[agent.seat_id]] = float(floor)
    return np.asarray(floors[model.world.dc_owner[k_ix]], float)


def buyer_segments(model: SovereignModel, seg: Segments, buyer: str) -> list[int]:
    """The demand segments a compute contract's buyer uses it for, in the order they are served.

    A lab or startup: its own segment (none in a quarter it wants no compute). A nation: its
    programme serves its region's regulated demand first (public data), then inference, then
    training.
    """
    agent = model.seats[buyer]
    if agent.kind != "nation":
        return [j for j, who in enumerate(seg.owner) if who == buyer]
    r = model.region_ix[buyer]
    fringe = seg.fringe_mask()  # the low-price fringe is no one's programme to serve
    rows = [j for j, who in enumerate(seg.owner) if who is None and seg.region[j] == r and not fringe[j]]
    order = {"regulated": 0, "inference": 1, "training": 2}
    return sorted(rows, key=lambda j: order[str(seg.klass[j])])


def serve_compute_deals(
    model: SovereignModel, seg: Segments, capacity: np.ndarray, allowed: np.ndarray, k_ix: np.ndarray
) -> tuple[np.ndarray | None, dict[str, float]]:
    """Reserve the active compute contracts' H100e on their suppliers' clusters; the buyers pay.

    Each contract (in the order offered) reserves at most its H100e a quarter on the supplier's
    clusters (in the contract's region, if it names one) that the buyer may use (localisation and
    sanctions, as on the spot market), out of what earlier contracts left. Take or pay: the buyer
    pays the agreed price for every reserved H100e-hour and the supplier pays the running cost of
    the hours used; a buyer that cannot pay for one H100e breaks the contract. Returns the (J, K)
    contracted allocation actually used, which the spot market leaves out (reserved but unused
    hours stay idle), None when no contract is running, and what each buyer paid ($B).
    """
    from sovereign.sim.phases.diplomacy import active_compute, break_deal, supplier_and_buyer

    paid_by: dict[str, float] = {}
    deals = active_compute(model)
    if not deals:
        return None, paid_by
    out = np.zeros((len(seg.qty), len(k_ix)))
    w, hours = model.world, econ.HOURS_PER_QUARTER
    left = capacity.copy()
    want = seg.qty.copy()
    owner_k = w.dc_owner[k_ix]
    for deal in deals:
        seller, buyer = supplier_and_buyer(deal)
        if seller not in model.seats or buyer not in model.seats:
            continue
        mine = owner_k == model.seat_pos[seller]
        if deal["region"]:
            mine &= w.dc_region[k_ix] == model.region_ix[deal["region"]]
        rows = buyer_segments(model, seg, buyer)
        usable = mine & allowed[rows].any(0) if rows else np.zeros(len(k_ix), bool)
        reserve_k = np.where(usable, left, 0.0)
        qty = min(float(deal["h100e_per_quarter"]), float(reserve_k.sum()))
        price = float(deal["price_usd"])
        cash = model.seats[buyer].cash_busd
        if qty > 0 and cash * 1e9 < qty * price * hours:
            qty = max(cash, 0.0) * 1e9 / (price * hours)
            if qty < 1.0:
                deal["last_delivered_h100e"] = 0.0
                break_deal(model, deal, buyer, "it could not pay for the compute")
                continue
        deal["last_delivered_h100e"] = qty
        deal["note"] = "" if qty > 0 or rows else "the buyer wanted no compute this quarter"
        if qty <= 0:
            continue
        reserved = reserve_k * (qty / reserve_k.sum())
        left -= reserved
        deal["delivered_h100e"] += qty
        paid = qty * price * hours / 1e9
        model.transfer(buyer, seller, paid, "compute contracts")
        paid_by[buyer] = paid_by.get(buyer, 0.0) + paid
        st = model.seats[seller].state
        st["revenue_q"] = st.get("revenue_q", 0.0) + paid
        free = reserved.copy()  # the buyer's segments use the reservation, most pressing first
        for j in rows:
            use_k = np.where(allowed[j], free, 0.0)
            take = min(float(want[j]), float(use_k.sum()))
            if take <= 0:
                continue
            part = use_k * (take / use_k.sum())
            out[j] += part
            free -= part
            want[j] -= take
    return out, paid_by


def _settle_contract_use(
    model: SovereignModel,
    seg: Segments,
    contracted: np.ndarray,
    paid_by: dict[str, float],
    cost: np.ndarray,
    k_ix: np.ndarray,
) -> None:
    """After the spot market: the contracted hours used are counted and their running cost paid.

    Suppliers pay power and opex for them; labs and startups count the compute their contracts
    served (their revenue follows it) and what they paid.
    """
    hours = econ.HOURS_PER_QUARTER
    owner_ix = model.world.dc_owner[k_ix]
    op_o = np.bincount(owner_ix, contracted.sum(0) * cost * hours / 1e9, len(model.seat_ids))
    for o in np.flatnonzero(op_o > 0).tolist():
        who = model.seat_ids[o]
        if who in model.seats:
            model.transfer(who, model.OUTSIDE, float(op_o[o]), "power and opex")
            st = model.seats[who].state
            st["costs_q"] = st.get("costs_q", 0.0) + float(op_o[o])
    used = contracted.sum(1)
    for j, lab in enumerate(seg.owner):
        if lab is not None and used[j] > 0:
            st = model.seats[lab].state
            st["served_h100e"] = st.get("served_h100e", 0.0) + float(used[j])
    for who, paid in paid_by.items():
        agent = model.seats.get(who)
        if agent is not None and agent.kind in ("lab", "startup"):
            agent.state["paid_q"] = agent.state.get("paid_q", 0.0) + paid


def _tranche_groups(seg: Segments, regulated: np.ndarray, training: np.ndarray) -> np.ndarray:
    """(J,) a label per demand segment, shared by the tranches of a region's class.

    They share their allowed clusters (`_allowed` reads only the region and whether the data is
    regulated) and their latency penalties (`_latency_penalty`: the region and whether it is
    training), so the market scales them as one row; each lab and startup is a group of its own.
    `regulated` and `training` are (J,) the segments of those classes (the rest are inference).
    """
    owned = np.array([who is not None for who in seg.owner], bool)
    base: np.ndarray = seg.region * 3 + regulated + 2 * training  # the class: inference 0, regulated 1, training 2
    return np.where(owned, base.max(initial=0) + 1 + np.arange(len(seg.qty)), base).astype(np.int64)


def _allowed(
    model: SovereignModel, region: np.ndarray, regulated: np.ndarray, r_k: np.ndarray, k_ix: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(J, K) which segment may buy from which cluster (localisation and sanctions rules), and the clusters' groups.

    The rules read only a segment's region and whether its data is regulated (`regulated`, (J,)),
    so they are worked out once per such pair, for every region (`_allowed_rows`), and each
    segment's row gathered from them (a region's tranches and labs share a row). The groups (K,)
    label the datacenters of a region that the same segments may use: they also share their
    latency penalties, so the market scales them as one column (`clear_compute`'s ``cluster_groups``).
    """
    small, sites = _allowed_rows(model, r_k, k_ix)
    return small[region * 2 + regulated], sites


def _latency_penalty(
    model: SovereignModel, region: np.ndarray, training: np.ndarray, r_k: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """What serving each segment from each cluster costs in latency, $/H100e-hour: a table of rows, each segment's row.

    Inference and regulated work pays for the distance from its region to the cluster's; training
    (and the low-price fringe, batch work filed as training) pays nothing. The penalty reads only
    the region and whether the segment is training (`training`, (J,)), so it is a table of those
    pairs ((2R, K), row ``region * 2 + training``) and each segment's row in it ((J,)), which the
    market reads as its (J, K) penalty (`clear_compute`'s ``penalty_key``): gathering and checking the full
    array each quarter cost more than the market's one read of it.
    """
    latency = model.distance_km[:, r_k] / 1000.0 * model.scenario.demand.latency_penalty_usd_per_1000km  # (R, K)
    table = np.zeros((len(latency), 2, len(r_k)))  # (region, training): training's rows stay 0
    table[:, 0] = latency
    key: np.ndarray = region * 2 + training
    return table.reshape(-1, len(r_k)), key.astype(np.int64)


def _allowed_rows(model: SovereignModel, r_k: np.ndarray, k_ix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_allowed` for a buyer of each region, regulated or not (row ``region * 2 + regulated``), and the groups.

    Returns the (2R, K) allowed pairs and the clusters' groups (K,). A cluster's column reads its
    region and its owner's home and kind, so clusters that agree on what the rules read are
    allowed to the same buyers; a rule that reads more of a cluster must add it to the group's
    key (the market checks that a group's columns agree).

    Why by region and then by data class: the owners' rules (a state's halls, barred clouds) do
    not read the data class, and localisation reads only the buyer's and the cluster's regions,
    so each is a small table, (R, K) or (R, R), and the two rows of a region are its (R, K) row
    and that row with the localisation rule: a few passes over (R, K) booleans rather than
    broadcasting every rule over (2R, K) (the same booleans).
    """
    w, sc = model.world, model.scenario
    n_r = len(model.region_ix)
    regions = np.arange(n_r)
    seat_home = model.seat_home_index()
    seat_state = np.zeros(len(model.seat_ids), bool)  # by owner-array row: the seats that are states
    seat_state[[model.seat_pos[a.seat_id] for a in model.seats.values() if a.kind == "nation"]] = True
    owner = w.dc_owner[k_ix]
    owner_home = seat_home[owner]
    state_home = np.where(seat_state[owner], owner_home, -1)  # a state's halls: its home; -1 for a firm's
    key = r_k * (n_r + 1) + state_home + 1
    # a state's own halls (a sovereign compute programme: IndiaAI's GPUs for Indian startups and
    # researchers, Korea's public-sector GPUs, CALIBRATION 12) serve that nation's demand only
    open_to = ~seat_state[owner][None, :] | (regions[:, None] == owner_home[None, :])  # (R, K) by buyer region
    # tier-3 buyers may be barred from the clouds of chip-producing nations' firms
    if sc.export_controls.remote_access_barred:
        open_to &= ~((w.export_tier == 3)[:, None] & model.chip_producer[owner_home][None, :])
        key = key * 2 + model.chip_producer[owner_home]
    # localisation: regulated data stays home (or with allies where no law demands home); (R, R)
    # by the buyer's region and the cluster's
    kept = np.eye(n_r, dtype=bool) | (model.allied_matrix() & ~w.localisation[:, None])
    allowed = np.empty((n_r, 2, len(r_k)), bool)
    allowed[:, 0] = open_to
    np.logical_and(kept[:, r_k], open_to, out=allowed[:, 1])
    return allowed.reshape(2 * n_r, len(r_k)), key.astype(np.int64)


def _warm_start(model: SovereignModel, k_ix: np.ndarray, r_k: np.ndarray) -> np.ndarray | None:
    """Last quarter's rents by datacenter (new ones start at their region's mean).

    The market moves little from quarter to quarter, so the solver starts near its answer.
    """
    prev = model.results.compute
    if prev.market is None or not len(prev.clusters):
        return None
    by_dc = np.full(len(model.world.dc_region), np.nan)
    by_dc[np.asarray(prev.clusters)] = np.asarray(prev.market.price)
    warm = by_dc[k_ix]
    if np.isnan(warm).any():
        n_r = len(model.region_ix)
        rent_r = np.bincount(
            model.world.dc_region[prev.clusters], weights=np.asarray(prev.market.price), minlength=n_r
        ) / np.maximum(np.bincount(model.world.dc_region[prev.clusters], minlength=n_r), 1)
        warm = np.where(np.isnan(warm), rent_r[r_k], warm)
    return np.asarray(warm, float)


def _settle(
    model: SovereignModel,
    seg: Segments,
    alloc: np.ndarray,
    sold: np.ndarray,
    served_j: np.ndarray,
    price_k: np.ndarray,
    cost: np.ndarray,
    k_ix: np.ndarray,
) -> None:
    """Buyers pay each cluster's price; owners receive it and pay power and opex for what they sell.

    ``sold`` (K,) and ``served_j`` (J,) are `alloc` summed over its rows and its columns.
    """
    w = model.world
    hours = econ.HOURS_PER_QUARTER
    paid_j = (alloc * price_k[None, :]).sum(1) * hours / 1e9
    # regional demand (no owner) is the outside economy: it pays from the outside account
    owners = seg.owner
    # per-row numbers as Python floats (``tolist`` gives exactly what ``float()`` of each element
    # gives): these loops index one number at a time, which is much faster on lists
    paid, seats, seat_ids = paid_j.tolist(), model.seats, model.seat_ids
    owned = [(j, who) for j, who in enumerate(owners) if who is not None]  # labs' and startups' rows
    for j, who in owned:
        if paid[j] > 0:
            model.transfer(who, model.OUTSIDE, paid[j], "compute purchases")
    pooled = float(paid_j[[j for j, who in enumerate(owners) if who is None]].sum())
    model.transfer(model.OUTSIDE, model.OUTSIDE, pooled, "compute purchases")
    owner_ix = w.dc_owner[k_ix]
    n_ids = len(seat_ids)
    rev_o = np.bincount(owner_ix, sold * price_k * hours / 1e9, n_ids).tolist()
    op_o = np.bincount(owner_ix, sold * cost * hours / 1e9, n_ids).tolist()
    for o in np.unique(owner_ix).tolist():
        who = seat_ids[o]
        if who in seats:
            model.transfer(model.OUTSIDE, who, rev_o[o], "compute sales")
            model.transfer(who, model.OUTSIDE, op_o[o], "power and opex")
            st = seats[who].state
            st["revenue_q"] = st.get("revenue_q", 0.0) + rev_o[o]
            st["costs_q"] = st.get("costs_q", 0.0) + op_o[o]
    served = served_j.tolist()
    for agent in seats.values():  # a lab without a segment this quarter was served nothing
        if agent.kind in ("lab", "startup"):
            agent.state["served_h100e"] = 0.0
            agent.state["paid_q"] = 0.0
    for j, who in owned:
        st = seats[who].state
        st["served_h100e"] = served[j]
        st["paid_q"] = paid[j] - _state_pays(model, who, served[j], paid[j])


def _state_pays(model: SovereignModel, lab: str, served: float, paid: float) -> float:
    """The home nation pays for the lab's state compute (`Actor.state_compute_h100e`); what it paid, $B.

    Its share of what the lab paid this quarter: the allocation over what it was served (all of it when
    served no more), while the programme runs, as far as the nation's cash allows (as for subsidies).
    """
    st = model.seats[lab].state
    h100e = float(st.get("state_compute_h100e", 0.0))
    if h100e <= 0.0 or paid <= 0.0 or served <= 0.0 or model.quarter > st["state_compute_until"]:
        return 0.0
    home = st["home"]
    amount = model.subsidy_payable(model.region_ix[home], paid * min(h100e / served, 1.0))
    if amount > 0.0:
        model.transfer(home, lab, amount, "state compute")
    return amount


def compute_book(model: SovereignModel, seat: str) -> dict[str, Any]:
    """A seat's compute business last quarter, and the buyers it could sign (read only).

    Why here: the firm's screen, its quarter report and the AI's contract offers read the same
    figures the market produced. Keys: ``capacity`` (H100e for sale), ``spot`` and ``contracted``
    (H100e sold each way), ``price`` (its average price, $/H100e-hour: each datacenter's spot price
    weighted by all it sold, contracted hours included), ``cost`` (average running cost of what it
    sold), ``market_price`` (the world's), ``floor`` (its asking price or None), ``contracts`` (its
    running compute contracts, as supplier or buyer), ``served`` (those that reserved compute last
    quarter: running, or ended or broken in that quarter) and ``buyers`` (every
    lab and startup that wanted compute: demand, served, the price it paid, short or not).
    """
    res, w = model.results.compute, model.world
    k_ix = np.asarray(res.clusters, np.int64)
    pos = model.seat_pos.get(seat, -1)
    mine = w.dc_owner[k_ix] == pos if len(k_ix) else np.zeros(0, bool)
    alloc = np.asarray(res.alloc) if res.alloc.size else np.zeros((0, len(k_ix)))
    sold = alloc.sum(0)[mine] if alloc.size else np.zeros(int(mine.sum()))
    from sovereign.sim.phases.diplomacy import supplier_and_buyer

    # the contracts that served last quarter: those running, and those whose term ended or broke in it
    last = model.quarter - 1
    ours = [d for d in model.world.deals if d["kind"] == "compute_supply" and seat in (d["proposer"], d["partner"])]
    running = [d for d in ours if d["status"] == "active"]
    served = [
        d
        for d in ours
        if d["start"] <= last
        and float(d["last_delivered_h100e"]) > 0
        and (d["status"] == "active" or (d["status"] in ("ended", "broken") and d["closed"] == last))
    ]
    reserved = sum(float(d["last_delivered_h100e"]) for d in served if supplier_and_buyer(d)[0] == seat)
    spot = float(sold.sum()) - min(reserved, float(sold.sum()))
    price = np.asarray(res.price)[mine] if len(res.price) else np.zeros(0)
    cost = np.asarray(res.cluster_cost)[mine] if len(res.cluster_cost) else np.zeros(0)
    total = float(sold.sum())
    buyers = []
    hours = econ.HOURS_PER_QUARTER
    for agent in model.seats.values():
        st = agent.state
        demand = float(st.get("demand_h100e", 0.0))
        if agent.kind not in ("lab", "startup") or demand <= 0:
            continue
        got = float(st.get("served_h100e", 0.0))
        paid = float(st.get("paid_q", 0.0)) * 1e9 / (got * hours) if got > 0 else None
        buyers.append(
            {
                "seat": agent.seat_id,
                "name": agent.name,
                "home": st["home"],
                "demand_h100e": demand,
                "served_h100e": got,
                "paid_usd_per_hour": paid,
                "short": got < 0.95 * demand,
            }
        )
    buyers.sort(key=lambda b: -b["demand_h100e"])
    floor = model.seats[seat].state.get("compute_floor_usd") if seat in model.seats else None
    return {
        "capacity": float(np.asarray(res.cluster_capacity)[mine].sum()) if len(res.cluster_capacity) else 0.0,
        "spot": spot,
        "contracted": min(reserved, total),
        "price": float((price * sold).sum() / total) if total > 0 else None,
        "cost": float((cost * sold).sum() / total) if total > 0 else None,
        "market_price": float(res.price_global),
        "floor": floor,
        "contracts": running,
        "served": served,
        "buyers": buyers,
    }
