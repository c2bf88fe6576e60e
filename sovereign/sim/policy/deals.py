"""How AI seats answer the deals offered to them, and the deals AI seats offer themselves.

Answers are by the seat's own interest, in dollars over the term. The offers: a security pact with
the nation an AI nation trusts most (`propose_pact`); and, to players' seats only, a compute contract
from an AI lab short of compute (`propose_compute_contract`) and a power contract from an AI nation
short of power (`propose_power_contract`).

Every answer starts from trust: a seat refuses any deal from a seat whose nation its own nation
trusts less than `diplomacy.deal_min_trust`. Then the deal is valued for the seat, in $B over
its term, and accepted when the value is positive (at least zero on easy, which is also the
difficulty that asks no markup):

- payments: what the seat receives minus what it pays; a seat that cannot pay the first quarter
  refuses. A plain money transfer it would pay is refused (a gift is not in its interest).
- chip supply, as buyer: what a chip is worth to it in that region (the investor view's net
  earnings over the payback period, at its best class there) minus the price, times the volume
  it has room for; as seller: the price minus list price plus the difficulty's markup
  (`diplomacy.supply_markup`), times the volume its fabs of that class make.
- export licence, as the licensing nation: only to a nation it trusts at least
  `diplomacy.licence_min_trust` and never to a tier-3 destination (security first); worth the
  payment. As the licensee: worth 15% of the licensed volume at list price a quarter (what the
  makers paid the US for H20 licences, CALIBRATION 13) minus the payment.
- technology sharing: worth a year of the extra chips the receiver's fabs make (`sharing_gain` of
  their capacity, at list price less production cost); the giver asks that plus its markup, and
  shares only with those it trusts as it would license them, never with a tier-3 nation.
- security pact: only between nations trusting each other at least `diplomacy.pact_min_trust`,
  never across the tier-1 / tier-3 divide; worth a year of the cyber losses it would avoid
  (the pact's relief times the nation's threat exposure) plus the payment.
- compute contract (`compute_value`), as buyer: a lab or startup values the hours it would use
  (up to its demand) at what it paid per H100e-hour last quarter, or at its willingness to pay
  when it was short of compute (served under 95% of its demand), less the price; hours beyond its
  demand are paid for nothing (take or pay). A nation values its programme's hours at its region's
  price last quarter less the price. It refuses what it cannot pay a quarter of. As supplier: the
  price less its own average spot price last quarter plus the difficulty's markup, for volumes its
  clusters can hold beside the contracts they already serve.
- datacenter sale (`_sale_value`): the price against the hall's worth (`hall_worth_busd`: its
  chips' net earnings over the payback period plus the shell's cost); an AI seller asks its worth
  plus the difficulty's markup, an AI cloud or conglomerate buys at most at its worth.
- power contract (`_power_value`), as seller: the price less its own wholesale price last quarter
  (energy plus capacity) plus the difficulty's markup, for the MWh of the term; refused when the
  export would take its planning reserve margin under `policy.nation_reserve_margin` (its own
  lights first). As buyer: its own wholesale price less the price, or its retail (industrial)
  price less the price while its margin is under that target (power it would otherwise go short
  of is worth what its industry pays); refused when it cannot pay a quarter.
- joint venture (`_venture_value`): the stake's share of the facility's operating profit over the
  quarters of the term it runs, judged by last quarter's (a build under way: the rent per H100e of
  the world's halls last quarter, or its class's margin for a fab, times its size, from when it is
  due), against the price; an AI operator asks that plus the difficulty's markup; an AI investor
  (not a lab or startup, which want compute rather than stakes) pays at most that, if it can.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sovereign.sim import economics as econ
from sovereign.sim.commands import MAX_BUILD_H100E_PER_QUARTER, MAX_PLANT_MW, AnswerDeal, Command, OfferDeal
from sovereign.sim.phases.diplomacy import (
    active_compute,
    deal_region,
    hall_worth_busd,
    link_room_mw,
    seat_region,
    shared_classes,
    supplier_and_buyer,
    trust_between,
    venture_profit_busd,
    venture_row,
)
from sovereign.sim.policy.view import investor_view

if TYPE_CHECKING:
    from sovereign.scenario.schema import DemandClass
    from sovereign.sim.agents import SeatAgent
    from sovereign.sim.model import SovereignModel

#: Share of licensed sales a licence is worth to the licensee a quarter (the 15% H20 deal, CALIBRATION 13).
LICENCE_WORTH_SHARE = 0.15


def answer_offers(agent: SeatAgent) -> list[Command]:
    """An answer to every offer open to this seat (this quarter's decision on each)."""
    offers = investor_view(agent.model)["open_offers"].get(agent.seat_id, [])  # found once a quarter
    return [AnswerDeal(deal=deal["id"], accept=accepts(agent, deal)) for deal in offers]


def accepts(agent: SeatAgent, deal: dict[str, Any]) -> bool:
    """Whether this AI seat signs the deal (see the module docstring)."""
    m, d = agent.model, agent.model.scenario.diplomacy
    other = deal["proposer"]
    if trust_between(m, agent.seat_id, other) < d.deal_min_trust:
        return False
    value = deal_value(agent, deal)
    if value is None:
        return False
    return value >= 0.0 if agent.difficulty == "easy" else value > 0.0


def deal_value(agent: SeatAgent, deal: dict[str, Any]) -> float | None:
    """The deal's worth to this seat over its term, $B; None where its rules refuse it outright."""
    m, d = agent.model, agent.model.scenario.diplomacy
    me, other, quarters = agent.seat_id, deal["proposer"], int(deal["quarters"])
    pay = float(deal["payment_busd_per_quarter"])  # paid by me (the partner) to the proposer
    if pay > agent.cash_busd:
        return None
    money = -pay * quarters
    kind = deal["kind"]
    if kind == "money_transfer":
        return money if pay < 0 else None
    w = m.world
    mine, theirs = m.region_ix[m.home_of(me)], m.region_ix[m.home_of(other)]
    if kind == "security_pact":
        rivals = {int(w.export_tier[mine]), int(w.export_tier[theirs])} == {1, 3}
        if rivals or trust_between(m, me, other) < d.pact_min_trust:
            return None
        sc = m.scenario
        exposure = sc.regions[mine].threat_exposure * float(w.gdp_busd[mine]) * sc.events.threat_busd_per_gdp
        return money + d.pact_incident_relief * exposure
    seller, buyer = supplier_and_buyer(deal)
    valued = {"compute_supply": compute_value, "power_supply": _power_value, "joint_venture": _venture_value}
    if kind in valued:  # the deal's worth for this side of it, beside the payments
        worth = valued[kind](agent, deal, seller == me)
        return None if worth is None else money + worth
    if kind == "datacenter_sale":
        return _sale_value(agent, deal, seller == me)
    if kind == "technology_sharing":
        # a year of the extra chips the receiver's fabs make, at list price less production cost
        w = m.world
        classes = shared_classes(m, seller, buyer)
        fabs = (w.fab_owner == m.seat_pos[buyer]) & np.isin(w.fab_class, classes)
        unit = m.list_price_now()[w.fab_class[fabs]] - m.production_cost[w.fab_class[fabs]]
        worth = 4.0 * d.sharing_gain * float((w.fab_capacity[fabs] * unit).sum()) / 1e9
        if seller == me:  # giving know-how away: only to the trusted, never to a rival, and for more
            if int(w.export_tier[theirs]) == 3 or trust_between(m, me, other) < d.licence_min_trust:
                return None
            return money - worth * (1.0 + d.supply_markup.get(agent.difficulty, 0.0))
        return money + worth
    g = m.class_ix[deal["accelerator"]]
    qty = float(deal["h100e_per_quarter"]) * quarters
    list_price = float(m.list_price_now()[g])
    if kind == "export_licence":
        if seller == me:
            if int(w.export_tier[theirs]) == 3 or trust_between(m, me, other) < d.licence_min_trust:
                return None
            return money
        return money + LICENCE_WORTH_SHARE * qty * list_price / 1e9
    # chip supply
    price = float(deal["price_usd"])
    if seller == me:
        markup = d.supply_markup.get(agent.difficulty, 0.0)
        return money + (price - list_price * (1.0 + markup)) * qty / 1e9
    r = m.region_ix[deal_region(m, deal)]
    view = investor_view(m)
    worth = max(slot[5] for slot in view["bid_slots"][r]) if view["bid_slots"][r] else 0.0
    room = view["free_by_seat"].get(m.seat_pos[buyer], {}).get(r, 0.0) / view["kw_new_list"][g]
    return money + (float(worth) - price) * min(qty, float(room) * quarters) / 1e9


def _sale_value(agent: SeatAgent, deal: dict[str, Any], selling: bool) -> float | None:
    """A datacenter sale's worth: the price against what the hall is worth (`hall_worth_busd`).

    A seller asks the hall's worth plus the difficulty's markup; a buyer, a cloud or conglomerate
    that can pay, pays at most its worth. Other AI seats do not buy halls.
    """
    row = deal.get("datacenter")
    if row is None or not 0 <= row < len(agent.model.world.dc_owner):
        return None
    worth = hall_worth_busd(agent.model, int(row))
    price = float(deal["price_usd"]) / 1e9
    if selling:
        return price - worth * (1.0 + agent.model.scenario.diplomacy.supply_markup.get(agent.difficulty, 0.0))
    if agent.kind not in ("cloud", "conglomerate") or price > agent.cash_busd:
        return None
    return worth - price


def _power_value(agent: SeatAgent, deal: dict[str, Any], selling: bool) -> float | None:
    """A power contract's worth to this nation over its term, $B (see the module docstring)."""
    m = agent.model
    power = m.results.power
    r = m.region_ix[agent.seat_id] if agent.seat_id in m.region_ix else -1
    if r < 0 or power.wholesale_avg.shape != (len(m.region_ix),):
        return None  # not a nation, or no market seen yet: nothing to judge the price by
    mw, price, quarters = float(deal.get("mw", 0.0)), float(deal["price_usd"]), int(deal["quarters"])
    mwh = mw * float(m.slice_hours.sum()) * quarters
    margin, target = float(power.reserve_margin[r]), m.scenario.policy.nation_reserve_margin
    peak = float(power.demand_mw[:, r].max()) if power.demand_mw.size else 0.0
    if selling:
        # the margin with the export as load all year: firm capacity is (1 + margin) x peak
        after = (1.0 + margin) * peak / max(peak + mw, 1e-9) - 1.0
        if after < target:
            return None
        markup = m.scenario.diplomacy.supply_markup.get(agent.difficulty, 0.0)
        return (price - float(power.wholesale_avg[r]) * (1.0 + markup)) * mwh / 1e9
    if mw * float(m.slice_hours.sum()) * price / 1e9 > agent.cash_busd:
        return None
    reference = float(power.retail[r]) if margin < target else float(power.wholesale_avg[r])
    return (reference - price) * mwh / 1e9


def _venture_value(agent: SeatAgent, deal: dict[str, Any], operating: bool) -> float | None:
    """A joint venture's worth to this seat over its term, $B (see the module docstring)."""
    m = agent.model
    price, quarters = float(deal["price_usd"]) / 1e9, int(deal["quarters"])
    profit, running = venture_outlook(m, deal, quarters)
    earned = float(deal.get("share", 0.0)) * profit * running
    if operating:
        return price - earned * (1.0 + m.scenario.diplomacy.supply_markup.get(agent.difficulty, 0.0))
    if agent.kind in ("lab", "startup") or price > agent.cash_busd:
        return None
    return earned - price


def venture_outlook(m: Any, deal: dict[str, Any], quarters: int) -> tuple[float, float]:
    """A venture's expected operating profit a quarter, $B, and the quarters of the term it will run."""
    if venture_row(deal)[1] is not None:  # built: judged by last quarter's profit
        return max(venture_profit_busd(m, deal), 0.0), float(quarters)
    build = next((p for p in m.world.projects if p["id"] == deal.get("project")), None)
    if build is None:
        return 0.0, 0.0
    running = float(max(quarters - max(int(build["done"]) - m.quarter, 0), 0))
    if build["kind"] == "build_fab":
        g = m.class_ix[build["detail"]]
        sold = m.results.chips.sold
        supply = m.results.chips.supply
        sold_share = float(sold[g] / supply[g]) if len(supply) and supply[g] > 0 else 1.0
        margin = float(m.list_price_now()[g] - m.production_cost_now()[g])
        return float(build["size"]) * sold_share * margin / 1e9, running
    comp = m.results.compute
    capacity = float(np.asarray(comp.cluster_capacity).sum()) if len(comp.cluster_capacity) else 0.0
    if capacity <= 0 or not comp.alloc.size:
        return 0.0, running
    rent = (np.asarray(comp.alloc).sum(0) * (np.asarray(comp.price) - np.asarray(comp.cluster_cost))).sum()
    per_h100e = float(rent) / capacity * econ.HOURS_PER_QUARTER / 1e9
    kw = float(min(investor_view(m)["kw_new_list"]))
    return per_h100e * float(build["size"]) * econ.KW_PER_MW / kw, running


#: A lab served less than this share of the compute it wanted was short of compute.
SHORT_OF_COMPUTE = 0.95


def compute_value(agent: SeatAgent, deal: dict[str, Any], selling: bool) -> float | None:
    """A compute contract's worth to this seat over its term, $B (see the module docstring)."""
    m = agent.model
    sc, st, prev = m.scenario, agent.state, m.results.compute
    qty, price, quarters = float(deal["h100e_per_quarter"]), float(deal["price_usd"]), int(deal["quarters"])
    hours = econ.HOURS_PER_QUARTER
    if not len(prev.price_region):
        return None  # no market seen yet: nothing to judge the price by
    if selling:
        k_ix = np.asarray(prev.clusters)
        mine = m.world.dc_owner[k_ix] == m.seat_pos[agent.seat_id]
        if deal["region"]:
            mine &= m.world.dc_region[k_ix] == m.region_ix[deal["region"]]
        sold = np.asarray(prev.alloc).sum(0)[mine] if prev.alloc.size else np.zeros(int(mine.sum()))
        capacity = float(np.asarray(prev.cluster_capacity)[mine].sum())
        promised = sum(
            float(d["h100e_per_quarter"]) for d in active_compute(m) if supplier_and_buyer(d)[0] == agent.seat_id
        )
        if qty > capacity - promised:
            return None
        own = np.asarray(prev.price)[mine]
        reference = float((own * sold).sum() / sold.sum()) if sold.sum() > 0 else prev.price_global
        markup = m.scenario.diplomacy.supply_markup.get(agent.difficulty, 0.0)
        return (price - reference * (1.0 + markup)) * qty * hours * quarters / 1e9
    if qty * price * hours / 1e9 > agent.cash_busd:
        return None
    if agent.kind == "nation":
        reference = float(prev.price_region[m.region_ix[agent.seat_id]])
        return (reference - price) * qty * hours * quarters / 1e9
    demand, served = float(st.get("demand_h100e", 0.0)), float(st.get("served_h100e", 0.0))
    if served < SHORT_OF_COMPUTE * demand:
        klass: DemandClass = "training" if agent.kind == "lab" else "inference"
        premium = sc.labs.lab_wtp_premium if agent.kind == "lab" else 1.0
        reference = sc.demand.wtp_usd_per_hour[klass] * premium
    else:
        reference = float(st.get("paid_q", 0.0)) * 1e9 / (served * hours) if served > 0 else prev.price_global
    use = min(qty, demand)
    return ((reference - price) * use - price * max(qty - demand, 0.0)) * hours * quarters / 1e9


def propose_compute_contract(agent: SeatAgent) -> list[Command]:
    """A named AI lab short of compute offers a player's cloud a compute contract (startups are too small).

    Only seats played by people are asked: between AI seats, long-term compute contracts are
    modelled in aggregate by the market's contracted share (``economics.contract_share``), so an
    explicit deal is the player's way into that business, and an AI-only game is unchanged. The lab
    asks when it was served under 95% of what it wanted last quarter and has no offer on the
    table: for its shortfall (at most ``diplomacy.compute_offer_share`` of the supplier's compute
    beside its other contracts) from the player's seat with the most compute, at what it paid per
    H100e-hour plus ``diplomacy.compute_offer_premium`` (never above its willingness to pay), for
    ``diplomacy.compute_offer_quarters``. Easy AI asks nothing.
    """
    m = agent.model
    if not m.human_seats or agent.difficulty == "easy" or agent.kind != "lab":
        return []
    st, d, prev = agent.state, m.scenario.diplomacy, m.results.compute
    demand, served = float(st.get("demand_h100e", 0.0)), float(st.get("served_h100e", 0.0))
    if served >= SHORT_OF_COMPUTE * demand or not len(prev.clusters):
        return []
    if agent.seat_id in investor_view(m)["offering"]:
        return []
    owner_k = m.world.dc_owner[np.asarray(prev.clusters)]
    best, room = None, 0.0
    for seat in sorted(m.human_seats):
        if seat not in m.seats or trust_between(m, agent.seat_id, seat) < d.deal_min_trust:
            continue
        capacity = float(np.asarray(prev.cluster_capacity)[owner_k == m.seat_pos[seat]].sum())
        promised = sum(float(x["h100e_per_quarter"]) for x in active_compute(m) if supplier_and_buyer(x)[0] == seat)
        if capacity - promised > room:
            best, room = seat, capacity - promised
    # (a deal carries at most the command's largest supply; a bigger shortfall is offered again later)
    qty = round(min(demand - served, d.compute_offer_share * room, MAX_BUILD_H100E_PER_QUARTER), -3)
    if best is None or qty < 1000:
        return []
    sc, hours = m.scenario, econ.HOURS_PER_QUARTER
    paid = float(st.get("paid_q", 0.0)) * 1e9 / (served * hours) if served > 0 else float(prev.price_global)
    klass: DemandClass = "training" if agent.kind == "lab" else "inference"
    wtp = sc.demand.wtp_usd_per_hour[klass] * (sc.labs.lab_wtp_premium if agent.kind == "lab" else 1.0)
    price = round(min(paid * (1.0 + d.compute_offer_premium), wtp), 2)
    if price <= 0 or qty * price * hours / 1e9 > agent.cash_busd:
        return []
    return [
        OfferDeal(
            partner=best,
            deal_kind="compute_supply",
            quarters=d.compute_offer_quarters,
            h100e_per_quarter=qty,
            price_usd_per_hour=price,
            supplier_is_proposer=False,
        )
    ]


def propose_power_contract(agent: SeatAgent) -> list[Command]:
    """An AI nation short of power offers a player's nation whose grid its own is joined to a power contract.

    Only seats played by people are asked (between AI nations the market's interconnector flows do
    the trading, so an AI-only game is unchanged), and only when the nation's planning reserve
    margin is under `policy.nation_reserve_margin` and it has no offer on the table: for the MW that
    would bring it back to that margin, within the link's room, from the trusted player's nation with
    the widest margin, at that nation's wholesale price plus `diplomacy.power_offer_premium` (never
    above its own retail price), for `diplomacy.power_offer_quarters`. Easy AI asks nothing.
    """
    m = agent.model
    if not m.human_seats or agent.difficulty == "easy" or agent.seat_id not in m.region_ix:
        return []
    power, d = m.results.power, m.scenario.diplomacy
    r, target = m.region_ix[agent.seat_id], m.scenario.policy.nation_reserve_margin
    if power.wholesale_avg.shape != (len(m.region_ix),) or float(power.reserve_margin[r]) >= target:
        return []
    if agent.seat_id in investor_view(m)["offering"]:
        return []
    peak = float(power.demand_mw[:, r].max()) if power.demand_mw.size else 0.0
    short = (target - float(power.reserve_margin[r])) * peak  # MW of firm capacity it lacks, about
    best, best_margin, room = None, target, 0.0
    for seat in sorted(m.human_seats):
        if seat not in m.region_ix or seat not in m.seats or trust_between(m, agent.seat_id, seat) < d.deal_min_trust:
            continue
        left = link_room_mw(m, agent.seat_id, seat)
        margin = float(power.reserve_margin[m.region_ix[seat]])
        if left is not None and left >= 1.0 and margin > best_margin:
            best, best_margin, room = seat, margin, left
    mw = round(min(short, room, MAX_PLANT_MW), -1)
    if best is None or mw < 10.0:
        return []
    theirs = float(power.wholesale_avg[m.region_ix[best]]) * (1.0 + d.power_offer_premium)
    price = round(min(theirs, float(power.retail[r])), 2)
    if price <= 0 or mw * float(m.slice_hours.sum()) * price / 1e9 > agent.cash_busd:
        return []
    return [
        OfferDeal(
            partner=best,
            deal_kind="power_supply",
            quarters=d.power_offer_quarters,
            mw=mw,
            price_usd_per_mwh=price,
            supplier_is_proposer=False,
        )
    ]


def propose_pact(agent: SeatAgent) -> list[Command]:
    """An AI nation's offer of a security pact to the nation it trusts most, if trusted enough.

    Only when it is in no pact and has no offer waiting either way, to a nation in no pact, and
    never across the tier-1 / tier-3 divide; easy AI proposes nothing. The partner answers by
    `accepts` (a human partner on its Diplomacy screen).
    """
    m, d = agent.model, agent.model.scenario.diplomacy
    if agent.difficulty == "easy":
        return []
    me = agent.seat_id
    view = investor_view(m)
    choices: tuple[list[bool], list[int], list[float]] | None = view.get("pact_choices")
    if choices is None:  # the first nation to ask this quarter finds every nation's choice
        choices = view["pact_choices"] = pact_choices(m, view["pacts"])
    in_pact, partners, trusts = choices
    r = seat_region(m, me)
    if in_pact[r] or me in view["offering"]:
        return []  # one pact at a time, and no second offer while one is on the table
    partner = m.scenario.regions[partners[r]].id
    if trusts[r] < d.pact_offer_trust or partner not in m.seats:
        return []
    return [OfferDeal(partner=partner, deal_kind="security_pact", quarters=d.pact_offer_quarters)]


def pact_choices(model: SovereignModel, pacts: np.ndarray) -> tuple[list[bool], list[int], list[float]]:
    """By nation: whether it is in a pact, the nation it would offer one to, and how much it trusts that one.

    The partner is the nation it trusts most, leaving out itself, nations already in a pact (`pacts`,
    `pact_matrix`) and its rivals across the tier-1 / tier-3 divide (trust -1 there; the first
    of equals, like `np.argmax`). Found for every nation at once, once a quarter (`propose_pact`
    keeps it in the investor view): the same few masks on the (R, R) trust matrix, in place of a
    copy, three masks and an argmax on one row for each nation that asks.
    """
    w = model.world
    tier = w.export_tier
    in_pact = pacts.any(axis=1)
    trust = w.trust.copy()
    np.fill_diagonal(trust, -1.0)
    trust[:, in_pact] = -1.0  # nations already in a pact are taken
    rivals = ((tier == 1)[:, None] & (tier == 3)[None, :]) | ((tier == 3)[:, None] & (tier == 1)[None, :])
    trust[rivals] = -1.0
    best = trust.argmax(axis=1)
    return in_pact.tolist(), best.tolist(), trust[np.arange(len(best)), best].tolist()
