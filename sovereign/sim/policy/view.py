"""What every investing AI needs to know this quarter, computed once: the investor view.

The margins of a new datacenter by chip class and region use the same economics as the phases
(`sovereign.sim.economics`): the price buyers pay per H100e-hour (marginal cost plus scarcity
rent, the compute phase's price) minus power at the region's price, opex and the building's
capital cost paid back at the firms' discount rate. Nothing is subtracted twice.
"""

from __future__ import annotations

import itertools
import math
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from sovereign.sim import economics as econ
from sovereign.sim.commands import upgrade_available
from sovereign.sim.phases.chips import destination_caps, may_receive
from sovereign.sim.phases.diplomacy import pact_matrix
from sovereign.sim.phases.grid import expected_wait_quarters
from sovereign.sim.phases.power import ai_load_mw
from sovereign.sim.policy.difficulty import DIFFICULTY

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel


def investor_view(model: SovereignModel) -> dict[str, Any]:
    """Figures every investing AI needs this quarter, computed once (cached by quarter)."""
    cache = model.view_cache
    if cache is not None and cache["quarter"] == model.quarter:
        return cache
    m, w, sc = model, model.world, model.scenario
    n_r, n_seats = len(m.region_ix), len(m.seat_ids)
    kw_new = m.kw_per_h100e * m.economy.efficiency_mult
    n_g = len(kw_new)
    caps, barred = destination_caps(m)  # (R, G), after licences
    # which classes a region's buyers may receive: the chip market's rules for a buyer at home
    # (tier-1 firms abroad avoid tier-3 hosts, so the destination's rules are the ones that bind)
    # (one call for every region and class: rows region-major, so it reshapes to (R, G); divmod
    # makes the region and class of each row faster than np.repeat and np.tile)
    rows, classes = np.divmod(np.arange(n_r * n_g), n_g)
    ok = may_receive(m, rows, rows, classes).reshape(n_r, n_g)
    ok &= ~barred  # smuggled volumes are not for sale to honest buyers
    # buyers rank the classes they may get by total cost of ownership per useful H100e-hour at
    # last quarter's chip prices and their region's power price: the best takes most of the
    # space, the next the rest, so an older class sells as soon as its price has fallen enough
    capex_per_kw = np.array([r.dc_capex_musd_per_mw for r in sc.regions]) * 1e3
    pue_new = econ.new_datacenter_pue(sc, w.pue)
    power_now = np.asarray(m.results.power.dc_price, float)
    power_now = power_now if power_now.shape == (n_r,) else np.zeros(n_r)
    running = econ.running_cost_usd_per_h100e_hour(
        sc, kw_new[None, :], pue_new[:, None], power_now[:, None], capex_per_kw[:, None]
    )  # (R, G)
    chip_price = expected_chip_price(m)
    tco = np.where(ok, econ.chip_tco_usd_per_h100e_hour(sc, chip_price[None, :], running), np.inf)
    order = np.argsort(tco, axis=1, kind="stable")
    class_for = order[:, 0]
    # what a chip is worth to a buyer in each region: its net earnings over the payback period
    compute_now = np.asarray(m.results.compute.price_region, float)
    compute_now = compute_now if compute_now.shape == (n_r,) else np.zeros(n_r)
    value = econ.chip_value_usd_per_h100e(sc, compute_now[:, None], running)  # (R, G)
    # halls under construction, in one pass over the projects: MW by owner, and kW of IT load by
    # region (bincount adds in order)
    region_ix = m.region_ix
    building_by_seat: dict[str, float] = {}
    hall_regions: list[int] = []
    hall_mw: list[float] = []
    for p in w.projects:
        if p["kind"] == "build_datacenter":
            owner, size = p["owner"], p["size"]
            building_by_seat[owner] = building_by_seat.get(owner, 0.0) + size
            hall_regions.append(region_ix[p["region"]])
            hall_mw.append(size)
    building_kw = np.bincount(
        np.array(hall_regions, np.int64), weights=np.array(hall_mw, float) * econ.KW_PER_MW, minlength=n_r
    ).astype(float, copy=False)  # (an empty bincount is of ints)
    free = np.maximum(w.dc_it_mw * econ.KW_PER_MW - w.dc_kw, 0.0)
    # bincount adds in row order, exactly like np.add.at, and is much faster
    owner_free = np.bincount(w.dc_owner * n_r + w.dc_region, weights=free, minlength=n_seats * n_r)
    owner_free = owner_free.reshape(n_seats, n_r)
    stock = w.dc_stock.sum(1)
    owned_stock = np.bincount(w.dc_owner, weights=stock, minlength=n_seats)
    # how busy a seat's installed fleet is: the share of its chips' compute sold last quarter,
    # weighted by the chips (an empty new hall has sold nothing but is not idle: counting it as a
    # hall at 0% made a firm with new halls bid the least for the chips to fill them, so it lost
    # every scarce quarter and its halls stood empty for a year or more)
    util = np.divide(
        np.bincount(w.dc_owner, weights=w.dc_util * stock, minlength=n_seats),
        owned_stock,
        out=np.full(n_seats, 0.8),
        where=owned_stock > 0,
    )
    # a region whose chip imports are capped (every class its buyers may get) is full when the
    # space already free there and the halls being built would take more than a year of the caps:
    # counting the halls under construction keeps every investor from answering the same high
    # price with a campus no chips can fill
    allowed_caps = np.where(ok, caps, 0.0)
    capped = (ok & (np.isfinite(caps) & m.controlled[None, :])).any(axis=1) & np.isfinite(allowed_caps).all(axis=1)
    region_cap = allowed_caps.sum(axis=1)
    free_by_region = owner_free.sum(0)
    full = capped & ((free_by_region + building_kw) / kw_new[class_for] > 4.0 * region_cap)
    # room left for new halls where imports are capped, kW (inf elsewhere); investors use it up
    # as they order this quarter (`invest`), so the next one sees the campuses already ordered
    room_kw = np.where(
        capped, np.maximum(4.0 * region_cap * kw_new[class_for] - free_by_region - building_kw, 0.0), np.inf
    )
    # time to power: a hall waits for the region's connection queue beyond its own build, unless
    # it brings its own generation, which it does where the grid connects no one or the wait is long
    wait = expected_wait_quarters(m)
    onsite = w.onsite_required | (w.moratorium_until > m.quarter) | (wait > sc.policy.onsite_wait_quarters)
    build_capex_per_kw = capex_per_kw + onsite * sc.grid.onsite_capex_musd_per_mw * 1e3 * pue_new
    # finished by `investor_margins` for a price lag when an AI with that lag first asks
    hist = m.metrics.signals
    list_now = m.list_price_now()
    subsidy = credible_subsidy(m)  # the rate investors count on, where the host has paid
    margin_inputs = {
        "kw": kw_new[:, None],
        "pue_new": pue_new,
        "capex_per_kw": build_capex_per_kw,
        "subsidy": subsidy,
        # each class's chip paid back over its life, per H100e-hour (the host's subsidy pays a share)
        "chip_capital": econ.chip_tco_usd_per_h100e_hour(sc, list_now, 0.0),
        "permitting": w.permitting_quarters + np.where(onsite, 0.0, wait),
        "curtail": np.asarray(m.results.power.dc_curtail, float),
        "full": full,
        "prices": {  # lag -> (compute price, power price) by region, as that AI perceives them
            lag: (np.asarray(sig["compute_price_region"], float), np.asarray(sig["dc_power_price"], float))
            for lag in sorted({p["lag"] for p in DIFFICULTY.values()})
            for sig in [hist[-lag] if len(hist) >= lag else m.signals_now()]
        },
    }
    # where a firm builds changes only when a bloc or an export tier does: kept from the last
    # quarter's view while both are as they were (finding it took ~5% of the view's build)
    previous = model.view_cache
    candidates_key = (w.bloc_member.shape, w.bloc_member.tobytes(), w.export_tier.tobytes())
    if previous is not None and previous.get("candidates_key") == candidates_key:
        firm_candidates_list: list[list[int]] = previous["firm_candidates_list"]
    else:
        firm_candidates_list = firm_candidates(m)
    # a bid slot per class a region's buyers bid for: (share of the free space, kW per H100e,
    # list price, reserve price, class id, what the chip is worth there, scarcity multiple): the
    # scarcity multiple raises spot bids by the share of last quarter's orders left unfilled
    kw_list, price_list = kw_new.tolist(), list_now.tolist()
    class_ids, reserve_share = [a.id for a in sc.accelerators], sc.economics.chip_reserve_share
    reserve_list = [price * reserve_share for price in price_list]
    # stockpiling: a class whose makers stand in a threatened region (a supply_threat event) is bid
    # up, and buyers spend more of their cash on chips, before the disruption comes
    threatened = threatened_share(m)
    stockpile = 1.0 + sc.chips.stockpile_premium * threatened
    # while a class's fabs are disrupted, buyers accept a longer payback: both the bid by list and
    # scarcity and the value cap rise by it (`disruption_stretch`)
    stretch = disruption_stretch(m)
    scarcity = ((1.0 + sc.chips.scarcity_premium * m.results.chips.unmet_share()) * stockpile * stretch).tolist()
    value_list = (value * stretch[None, :]).tolist()
    # the unlimited classes' shares of the space: by cost of ownership (a logit at
    # `policy.class_choice_spread_usd_per_hour`) weighted by each class's share of the fabs' output,
    # so buyers do not all turn to a class made in small numbers the quarter its price dips
    made = class_output(m).tolist()
    spread = sc.policy.class_choice_spread_usd_per_hour
    # classes with a volume cap at the destination (a tier cap, a licence, or the smuggled volume
    # where the class is barred) get a slot of at most that volume, bid first ("part" 0); the two
    # best uncapped classes by cost of ownership share the rest of the space
    limited = (barred & (caps > 0)) | (ok & np.isfinite(caps))
    cap_list, limited_list, tco_list = caps.tolist(), limited.tolist(), tco.tolist()
    order_list = order.tolist()
    bid_slots: list[tuple[tuple[float, float, float, float, str, float, float, float], ...]] = []
    inf = math.inf
    rows_by_region = zip(limited_list, tco_list, order_list, value_list, cap_list, strict=True)
    for limited_r, tco_r, order_r, value_r, cap_r in rows_by_region:
        first = [(g, 0.0) for g in range(n_g) if limited_r[g]]
        free_classes = [g for g in order_r if tco_r[g] < inf and not limited_r[g]][:2]
        plan = [(g, 1.0) for g in free_classes]
        if len(free_classes) == 2:
            best, second = free_classes
            w1 = made[best]
            w2 = made[second] * math.exp((tco_r[best] - tco_r[second]) / spread)
            plan = [(best, w1 / (w1 + w2)), (second, w2 / (w1 + w2))] if w1 + w2 > 0 else [(best, 1.0)]
            plan = [(g, part) for g, part in plan if part > 0.0]
        # (a list made into a tuple: a list comprehension runs inline, a generator does not)
        bid_slots.append(
            tuple(
                [
                    (
                        part,
                        kw_list[c],
                        price_list[c],
                        reserve_list[c],
                        class_ids[c],
                        value_r[c],
                        scarcity[c],
                        cap_r[c] if part == 0.0 else inf,
                    )
                    for c, part in (*first, *plan)
                ]
            )
        )
    # the same slots as one table for the compiled bid loop (`chip_bids.chip_bid_rows`): region r's
    # slots are rows slot_start[r]:slot_start[r + 1], in the same order, with their classes' ids
    # (the class id left out; built from a flat list, which numpy reads several times faster)
    flat = [x for region_slots in bid_slots for slot in region_slots for x in slot[:4] + slot[5:]]
    slot_table = np.array(flat, float).reshape(len(flat) // 7, 7)
    slot_start = np.array([0, *itertools.accumulate(map(len, bid_slots))])
    # free kW by seat row and region, where there is any (regions in ascending order); for the
    # compiled bid loop, also where a seat's entries start in the arrays of all seats' (a seat's
    # regions are regions[start:start + len(free_by_seat[row])])
    free_by_seat: dict[int, dict[int, float]] = {}
    free_start: dict[int, int] = {}
    rows, regions = np.nonzero(owner_free > 0)
    kw_free_all = owner_free[rows, regions]
    for i, (row, r, kw_free) in enumerate(zip(rows.tolist(), regions.tolist(), kw_free_all.tolist(), strict=True)):
        seat_free = free_by_seat.get(row)
        if seat_free is None:
            seat_free = free_by_seat[row] = {}
            free_start[row] = i
        seat_free[r] = kw_free
    # AI compute demand: everyone's, and by home region (regional demand plus home labs)
    share = np.array([r.ai_demand_share for r in sc.regions])
    demand_by_region = (m.economy.regional_demand_h100e * share).tolist()
    demands = []
    for a in m.seats.values():
        st = a.state
        d = st.get("demand_h100e", 0.0)
        demands.append(d)
        if a.kind in ("lab", "startup"):
            demand_by_region[region_ix[st["home"]]] += d
    # a region's compute price carries a scarcity premium while its own demand outruns its halls; an
    # investor counts on it only for the part of the shortfall (demand `regional_outlook_quarters`
    # ahead, less the chips, free space and halls already there or ordered) no one has built for yet,
    # and uses it up as it orders (`invest`): otherwise every investor answers the same premium with a
    # campus, and a region of 200 MW of demand gets 2 GW of halls whose price then collapses
    demand_r = np.array(demand_by_region)
    outlook = (1.0 + m.economy.growth) ** (sc.policy.regional_outlook_quarters / 4.0) / sc.economics.fleet_availability
    stock_r = np.bincount(w.dc_region, weights=stock, minlength=n_r)
    short_h100e = demand_r * outlook - stock_r - (free_by_region + building_kw) / kw_new[class_for]
    premium_room = np.maximum(short_h100e, 0.0) * kw_new[class_for]
    view = {
        "premium_room_kw_list": premium_room.tolist(),
        "upgrade_by_seat": _upgrades_worth_it(m),
        "quarter": m.quarter,
        "margin_inputs": margin_inputs,
        "margin_lists": {},  # (lag, covered) -> (G, R) expected margins as lists, filled on demand
        "firm_candidates_list": firm_candidates_list,  # (read-only: a later quarter's view may share it)
        "candidates_key": candidates_key,
        "class_for_list": class_for.tolist(),
        "kw_new_list": kw_list,
        "list_price_list": price_list,
        "bid_slots": bid_slots,
        "bid_slot_table": slot_table,
        "bid_slot_start": slot_start,
        "bid_slot_class": [slot[4] for region_slots in bid_slots for slot in region_slots],
        "bid_slot_region": [sc.regions[r].id for r, region_slots in enumerate(bid_slots) for _ in region_slots],
        "building_by_seat": building_by_seat,
        "projects_by_seat": None,  # seat -> its projects, grouped when first asked (`seat_projects`)
        "demand_by_region": demand_r,
        "capex_per_kw": build_capex_per_kw,
        "onsite_list": onsite.tolist(),
        "room_kw_list": room_kw.tolist(),
        "grid_wait_list": wait.tolist(),
        "demand_now": m.economy.regional_demand_h100e + sum(demands),
        "fleet": float(stock.sum()),
        "space_kw": float(free.sum()),
        "building_mw": sum(hall_mw),
        "owned_stock_list": owned_stock.tolist(),
        "util_list": util.tolist(),
        "subsidy_list": subsidy.tolist(),
        "free_by_seat": free_by_seat,
        "free_start_by_seat": free_start,
        # (`np.nonzero`'s columns are strided views: a contiguous copy, which a compiled call types
        # by its fast path instead of numba's slow one for strided arrays)
        "free_regions": np.ascontiguousarray(regions),
        "free_kw": kw_free_all,
        "free_kw_by_region": free_by_region.tolist(),
        "free_kw_by_region_array": free_by_region,
        "subsidy_array": subsidy,
        "dc_owners": set(w.dc_owner.tolist()),
        "stockpile_budget": float(stockpile.max()) if len(stockpile) else 1.0,
        # applications to blocs due for a vote this quarter (bloc row, applicant row)
        "applications": [
            (int(b), int(a))
            for b, a in zip(*np.nonzero((w.bloc_application >= 0) & (w.bloc_application < m.quarter)), strict=True)
        ],
    }
    # the deals on the table as the AI seats decide (offers are registered after they decide, so
    # this holds for the whole decision phase): open offers by partner, who has an offer out or in,
    # and the security pacts in force
    offers: dict[str, list[dict[str, Any]]] = {}
    busy: set[str] = set()
    for deal in w.deals:
        if deal["status"] == "offered":
            offers.setdefault(deal["partner"], []).append(deal)
            busy.update((deal["proposer"], deal["partner"]))
    view["open_offers"], view["offering"], view["pacts"] = offers, busy, pact_matrix(m)
    model.view_cache = view
    return view


def firm_candidates(model: SovereignModel) -> list[list[int]]:
    """By a firm's home region: the regions it may build in, in ascending order (plain lists).

    At home and with its blocs' members, in tier-2 markets, and, for firms of the chip producers'
    tier-1 allies, in any tier-1 country (France's Feb 2025 pledges include Canada's Brookfield,
    EUR 20B, and the UK's Fluidstack, EUR 10B, CALIBRATION 12). Tier-1 hosts screen investors from
    tier-3 countries (CFIUS, the EU's FDI screening); tier-2 capital abroad (the UAE's MGX, EUR
    30-50B in France) is left out: an assumption that keeps such groups building at home.
    """
    tier, n_r = model.world.export_tier, len(model.region_ix)
    candidates = model.allied_matrix() | (tier == 2)[None, :] | ((tier == 1)[:, None] & (tier == 1)[None, :])
    # firms of the chip producers' allies and of tier-2 countries keep out of tier-3 hosts (their chips
    # could not go there, and secondary sanctions would follow them home: G42 left China in 2024 to
    # keep its US chips); firms of tier-3 countries may build anywhere they may invest
    candidates &= ~((tier <= 2)[:, None] & (tier == 3)[None, :])
    # plain Python lists: the per-seat loops of the AI policies index them one number at a time,
    # which is several times faster on lists than on arrays
    homes, cols = np.nonzero(candidates)
    ends = np.cumsum(np.bincount(homes, minlength=n_r)).tolist()
    cols_list = cols.tolist()
    return [cols_list[e0:e1] for e0, e1 in zip([0, *ends[:-1]], ends, strict=True)]


def credible_subsidy(model: SovereignModel) -> np.ndarray:
    """(R,) the subsidy rate investors count on in each region: the rate, at the share the host paid.

    See `sovereign.sim.phases.finance.judge_subsidies`: a host whose budget could not pay what it
    owed is believed only as far as it paid.
    """
    w = model.world
    rate: np.ndarray = w.subsidy * w.subsidy_credibility
    return rate


def expected_chip_price(model: SovereignModel) -> np.ndarray:
    """(G,) the price buyers expect to pay for each class: the mean of the last quarters' clearing prices.

    Why a mean (`policy.chip_price_memory_quarters`), not last quarter's price: a buyer who
    judged a class by one quarter's price would leave it the quarter after a scarcity spike and
    return when its price had collapsed, and every buyer doing so at once makes orders swing
    between classes from quarter to quarter (a cobweb) while chips go unsold. Adaptive
    expectations damp that; a disruption that lasts still moves them within a year.
    """
    n = model.scenario.policy.chip_price_memory_quarters
    now = np.asarray(model.results.chips.price, float)
    recent = [s["chip_price"] for s in model.metrics.signals[-n:] if len(s["chip_price"]) == len(now)]
    return np.mean(recent, axis=0) if recent else now


def class_output(model: SovereignModel) -> np.ndarray:
    """(G,) H100e per quarter the fabs in operation can make of each class (before packaging and memory)."""
    w = model.world
    on = w.fab_capacity * (w.fab_online <= model.quarter)
    return np.bincount(w.fab_class, weights=on, minlength=len(model.class_ix))


def disruption_stretch(model: SovereignModel) -> np.ndarray:
    """(G,) how much longer a payback buyers accept for each class while its fabs are disrupted.

    A chip is worth its net earnings over ``chips.payback_years`` in normal times; while a share
    ``d`` of a class's output was lost to a disruption last quarter (a quarantine, an outage: what
    the fabs made against what they could have made, `ChipResults.lost_share`; what supply deals
    and stockpiles take afterwards is no loss), every buyer knows the shortage
    will last and that compute will stay scarce, so a chip is worth up to its whole life of
    earnings: the payback stretches to ``payback + d * (life - payback)``, and a buyer pays that
    many times more, whichever of its rules set the bid (the value cap, or list x premium x
    scarcity: `investor_view` multiplies both). With the cap alone stretched, the bid a buyer
    makes by list and scarcity stayed where it was, so a quarantine's spike stopped at ~2.2x list
    (~$42k in every seed), twice a pre-shock price that stockpiling had already lifted in only 7
    of 10 seeds of a third seed root. Ordinary tightness (orders left unfilled, stockpiling before
    a threat) raises bids through the scarcity multiple only, within the normal payback.
    """
    sc = model.scenario.chips
    # (finite: a payback so short that the life over it overflows, which a scenario may set, would
    # make the classes that lost nothing 1 + 0 x inf, NaN, and so every bid for them)
    longest = max(min(sc.chip_life_years / sc.payback_years, sys.float_info.max), 1.0)
    return np.asarray(1.0 + model.results.chips.lost_share() * (longest - 1.0))


def threatened_share(model: SovereignModel) -> np.ndarray:
    """(G,) share of each class's capacity under threat, weighted by the threat's judged chance.

    What a buyer stockpiles against: a class made mostly in a region the market fears for (the
    world's `supply_threat`, set by supply_threat events and fading each quarter) is at risk.
    """
    w, n_g = model.world, len(model.class_ix)
    if not len(w.fab_capacity) or not w.supply_threat.any():
        return np.zeros(n_g)
    cap = w.fab_capacity * (w.fab_online <= model.quarter + 4)  # what is or will soon be making chips
    total = np.bincount(w.fab_class, weights=cap, minlength=n_g)
    at_risk = np.bincount(w.fab_class, weights=cap * w.supply_threat[w.fab_region], minlength=n_g)
    return np.asarray(np.divide(at_risk, total, out=np.zeros(n_g), where=total > 0))


def _upgrades_worth_it(model: SovereignModel) -> dict[int, tuple[int, str]]:
    """Seat row -> (datacenter row, upgrade id): each owner's efficiency upgrade that pays back soonest.

    Payback: the upgrade's capex over the energy bill it saves a year (the hall's draw last quarter
    at the price datacenters pay there), within `policy.upgrade_payback_years`.
    """
    w, sc = model.world, model.scenario
    ups = sc.efficiency_upgrades
    if not ups or not len(w.dc_region):
        return {}
    price = np.asarray(model.results.power.dc_price, float)
    if price.shape != (len(model.region_ix),):
        return {}
    bill = ai_load_mw(model) * econ.HOURS_PER_YEAR * price[w.dc_region] / 1e9  # $B a year
    best: dict[int, tuple[float, int, str]] = {}
    for u, spec in enumerate(ups):
        if not upgrade_available(model, spec):
            continue
        saving = bill * (1.0 - spec.energy_factor)
        capex = w.dc_it_mw * spec.capex_musd_per_mw / 1000.0
        payback = np.divide(capex, saving, out=np.full(len(capex), np.inf), where=saving > 0)
        ok = ((w.dc_upgrades >> u) & 1 == 0) & (payback <= sc.policy.upgrade_payback_years)
        rows = np.flatnonzero(ok)
        # as Python numbers (the same values): a numpy scalar costs more to index and compare
        for d, owner, years in zip(rows.tolist(), w.dc_owner[rows].tolist(), payback[rows].tolist(), strict=True):
            if owner not in best or years < best[owner][0]:
                best[owner] = (years, d, spec.id)
    return {owner: (d, uid) for owner, (_, d, uid) in best.items()}


def seat_projects(model: SovereignModel, seat_id: str) -> list[dict[str, Any]]:
    """A seat's projects under construction, in the world's order, as the AI seats decide this quarter.

    Grouped by owner once a quarter, when a policy first asks, and kept in the investor view: a
    fab asks three times a quarter (`under_construction`), and scanning every project each time
    cost more than grouping them once.
    """
    view = investor_view(model)
    by_seat: dict[str, list[dict[str, Any]]] | None = view["projects_by_seat"]
    if by_seat is None:
        by_seat = view["projects_by_seat"] = {}
        for p in model.world.projects:
            by_seat.setdefault(p["owner"], []).append(p)
    return by_seat.get(seat_id, [])


def investor_margins(
    model: SovereignModel, lag: int, covered: bool = False, view: dict[str, Any] | None = None
) -> list[list[float]]:
    """Expected margin per H100e-hour of a new datacenter, by chip class (rows) and region.

    From prices `lag` quarters old (what an AI with that lag perceives): the price buyers pay
    minus power, opex and the building's capital cost (net of the host's subsidy), plus the
    subsidy's share of the chips' capital cost (the host pays it back after delivery), minus an
    allowance for permitting delay and expected curtailment; -inf where export caps cannot fill
    the halls. Computed once per quarter and lag, from the quarter's `investor_view`.

    ``covered``: the margin once the region's own demand is built for, when its scarcity premium is
    gone: the price is then no higher than the world's demand-weighted mean (its halls compete to
    serve everyone), which is what an investor expects where others' halls already cover the
    region's demand (`investor_view`'s "premium_room_kw_list"). ``view``: this quarter's
    `investor_view`, when the caller has it at hand.
    """
    if view is None:
        view = investor_view(model)
    cached: list[list[float]] | None = view["margin_lists"].get((lag, covered))
    if cached is None:
        sc = model.scenario
        x = view["margin_inputs"]
        price, power = x["prices"][lag]
        if covered:
            weights = view["demand_by_region"]
            mean = float((price * weights).sum() / weights.sum()) if weights.sum() > 0 else 0.0
            price = np.minimum(price, mean)
        kw = x["kw"]
        capital = econ.datacenter_capex_usd_per_h100e_hour(sc, x["capex_per_kw"][None, :], kw)
        margin = (
            price[None, :]
            - econ.power_cost_usd_per_h100e_hour(kw, x["pue_new"][None, :], power[None, :])
            - sc.demand.opex_usd_per_hour
            - capital * (1.0 - x["subsidy"][None, :])
            + x["chip_capital"][:, None] * x["subsidy"][None, :]  # the state pays its share of the chips too
            - (sc.policy.permitting_penalty_usd_per_quarter * x["permitting"] + price * x["curtail"])[None, :]
        )
        margin[:, x["full"]] = -np.inf
        cached = view["margin_lists"][(lag, covered)] = margin.tolist()
    return cached
