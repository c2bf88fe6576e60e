"""Diplomacy: trust between nations, and deals between seats that bind for their term.

Trust (`World.trust`, (R, R), each nation's 0-1 confidence in another) starts from alignment: a
common bloc, neutral, or rivals (a tier-1 ally of the chip producers and a tier-3 destination).
It moves with what nations do to each other (a stricter export tier, a revoked licence, a vote
against an application, joining a rival's bloc, a deal signed, kept or broken) and drifts towards
what their alignment of the day implies: down quickly (`trust_reversion_per_year`), up slowly
(`trust_gain_per_year`), so a new membership card or pact earns allied trust over years, not at
once. AI seats read it: bloc members refuse applicants they distrust, and no AI signs a deal with a
seat whose nation it distrusts.

Deals (`World.deals`, one JSON-able record each) are offered with `OfferDeal`, answered by the
other seat with `AnswerDeal` in the quarter they arrive or the next (AI seats answer when they
next decide; a counter-offer rejects the original), and then bind for their term, enforced by
the phases: payments here each quarter, chip deliveries in the chip market (before any bid),
licences in the destination caps, security pacts in the sovereignty pillars and the cyber
incidents. Breaking one (`BreakDeal`, or failing to pay) ends it and costs the breaker trust.

Covert operations (`CovertAction`, `World.covert`): a nation's cyber operation, industrial
espionage or smuggling network takes effect at once but names no sponsor: the news reports an
attack by "unknown" hackers, and only the sponsor's own observation lists the operation. Each
quarter an operation may be traced (`reveal_covert`: a base chance plus one that grows with the
target's defences); then the news names the sponsor and the target trusts it less.

Kinds: ``money_transfer`` (a payment each quarter), ``chip_supply`` (a seller's fabs deliver
H100e a quarter at an agreed price into the buyer's datacenters in a region), ``export_licence``
(a chip-producing nation licenses a class to the partner's region, H100e a quarter),
``security_pact`` (the two nations count as allies for sovereignty and share threat
intelligence), ``technology_sharing`` and ``compute_supply`` (a supplier's datacenters reserve
H100e of compute for a lab, a startup or a nation's programme at an agreed price per H100e-hour,
take or pay, served in the compute market before the spot market: `compute.serve_compute_deals`)
and ``datacenter_sale`` (a built hall with its chips and grid connection changes owner for a price
paid once, in the quarter it is signed: `settle_deals`) and ``power_supply`` (the seller nation's
grid delivers ``mw`` all quarter to the buyer's over an interconnector whose capacity it reserves:
the power market serves that much less load in the buyer's region and that much more in the
seller's, `power_contract_flows`; the utilities plan for it; the buyer pays for every MWh here)
and ``joint_venture`` (an investor pays once for a ``share`` of an operator's datacenter or fab,
built or under way, and takes that share of its operating profit each quarter of the term once it
runs: `share_venture_profits`, after the markets).
The record's ``price_usd`` is per H100e for chips, per H100e-hour for compute and per MWh for power. Any deal can
carry a payment each quarter from the partner to the proposer
(negative: from the proposer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sovereign.scenario.schema import quarter_label
from sovereign.sim import economics as econ

if TYPE_CHECKING:
    from sovereign.scenario.schema import Diplomacy
    from sovereign.sim.agents import SeatAgent
    from sovereign.sim.commands import CovertAction, OfferDeal
    from sovereign.sim.model import SovereignModel

DEAL_WORDS = {
    "money_transfer": "money transfer",
    "chip_supply": "chip supply agreement",
    "export_licence": "export licence",
    "security_pact": "security pact",
    "technology_sharing": "technology-sharing agreement",
    "compute_supply": "compute contract",
    "datacenter_sale": "datacenter sale",
    "power_supply": "power supply contract",
    "joint_venture": "joint venture",
}


# -- trust ---------------------------------------------------------------------------------------
def base_trust(model: SovereignModel) -> np.ndarray:
    """(R, R) the trust the nations' alignment of the day implies (what trust drifts back to).

    Nations bound by a security pact are aligned like bloc members while it lasts.
    """
    w = model.world
    out = alignment_trust(w.bloc_member, w.export_tier, model.scenario.diplomacy)
    pacts = pact_matrix(model)
    if pacts.any():
        out = np.where(pacts, np.maximum(out, model.scenario.diplomacy.trust_allied), out)
    return out


def alignment_trust(bloc_member: np.ndarray, export_tier: np.ndarray, d: Diplomacy) -> np.ndarray:
    """(R, R) trust implied by blocs (B, R) and export tiers (R,): allies, rivals or neutral."""
    bm = bloc_member.astype(np.int64)
    allied = (bm.T @ bm) > 0
    tier = export_tier
    rivals = ((tier == 1)[:, None] & (tier == 3)[None, :]) | ((tier == 3)[:, None] & (tier == 1)[None, :])
    out = np.where(allied, d.trust_allied, np.where(rivals, d.trust_rivals, d.trust_neutral))
    np.fill_diagonal(out, 1.0)
    return np.asarray(out, float)


def shift_trust(model: SovereignModel, truster: int, trusted: int, delta: float) -> None:
    """Move one nation's trust in another (clipped to 0-1; a nation always trusts itself)."""
    if truster == trusted:
        return
    t = model.world.trust
    t[truster, trusted] = min(max(float(t[truster, trusted]) + delta, 0.0), 1.0)


def seat_region(model: SovereignModel, seat: str) -> int:
    """The region a seat answers to: a nation's own, a firm's home."""
    return model.region_ix[model.home_of(seat)]


def trust_between(model: SovereignModel, truster: str, trusted: str) -> float:
    """How much `truster`'s nation trusts `trusted`'s nation (1 within one nation)."""
    return float(model.world.trust[seat_region(model, truster), seat_region(model, trusted)])


def pact_matrix(model: SovereignModel) -> np.ndarray:
    """(R, R) bool: nations bound by an active security pact (both ways)."""
    n_r = len(model.region_ix)
    out = np.zeros((n_r, n_r), bool)
    for deal in model.world.deals:
        if deal["status"] == "active" and deal["kind"] == "security_pact":
            a, b = seat_region(model, deal["proposer"]), seat_region(model, deal["partner"])
            out[a, b] = out[b, a] = True
    return out


# -- deals ---------------------------------------------------------------------------------------
def find_deal(model: SovereignModel, deal_id: int) -> dict[str, Any] | None:
    """The deal record with this id, or None."""
    deals = model.world.deals
    if 0 <= deal_id < len(deals) and deals[deal_id]["id"] == deal_id:
        return deals[deal_id]
    return None


def open_offers(model: SovereignModel, seat: str) -> list[dict[str, Any]]:
    """Offers made to `seat` that it may still answer (made this quarter or the last)."""
    return [d for d in model.world.deals if d["status"] == "offered" and d["partner"] == seat]


def supplier_and_buyer(deal: dict[str, Any]) -> tuple[str, str]:
    """(seller, buyer) of a chip supply deal; (grantor, licensee) of an export licence."""
    if deal["supplier_is_proposer"]:
        return deal["proposer"], deal["partner"]
    return deal["partner"], deal["proposer"]


def shared_classes(model: SovereignModel, giver: str, taker: str) -> list[int]:
    """Chip classes both seats' fabs make (what a technology-sharing deal improves)."""
    w = model.world
    mine = set(w.fab_class[w.fab_owner == model.seat_pos[giver]].tolist())
    theirs = set(w.fab_class[w.fab_owner == model.seat_pos[taker]].tolist())
    return sorted(mine & theirs)


def deal_region(model: SovereignModel, deal: dict[str, Any]) -> str:
    """Where a chip supply deal delivers, or where a licence applies: the buyer's choice or home."""
    _, buyer = supplier_and_buyer(deal)
    return str(deal["region"] or model.home_of(buyer))


def describe(model: SovereignModel, deal: dict[str, Any]) -> str:
    """A deal in words: who gives what to whom, for how long."""
    name = _name(model)
    p, q = name(deal["proposer"]), name(deal["partner"])
    kind, quarters = deal["kind"], deal["quarters"]
    if kind == "money_transfer":
        text = f"Money transfer between {p} and {q}"
    elif kind == "security_pact":
        text = f"Security pact between {p} and {q}"
    elif kind == "technology_sharing":
        giver, taker = (name(s) for s in supplier_and_buyer(deal))
        text = f"{giver} shares its chipmaking know-how with {taker}"
    elif kind == "datacenter_sale":
        seller, buyer = (name(s) for s in supplier_and_buyer(deal))
        row = deal.get("datacenter")
        w = model.world
        hall = w.dc_name[row] if row is not None and 0 <= row < len(w.dc_name) else "a datacenter"
        return f"{seller} sells {hall} to {buyer} for ${deal['price_usd'] / 1e9:,.2f}B"
    elif kind == "joint_venture":
        operator, investor = (name(s) for s in supplier_and_buyer(deal))
        text = (
            f"{investor} takes {deal.get('share', 0.0):.0%} of {operator}'s {venture_name(model, deal)} "
            f"for ${deal['price_usd'] / 1e9:,.2f}B, and that share of its operating profit"
        )
    elif kind == "power_supply":
        seller, buyer = (name(s) for s in supplier_and_buyer(deal))
        text = f"{seller} supplies {buyer} {deal.get('mw', 0.0):,.0f} MW of power at ${deal['price_usd']:,.2f} a MWh"
    elif kind == "compute_supply":
        seller, buyer = (name(s) for s in supplier_and_buyer(deal))
        where = f" in {name(deal['region'])}" if deal["region"] else ""
        text = (
            f"{seller} rents {buyer} {deal['h100e_per_quarter']:,.0f} H100e of compute{where} "
            f"at ${deal['price_usd']:,.2f} an H100e-hour, take or pay"
        )
    else:
        seller, buyer = (name(s) for s in supplier_and_buyer(deal))
        cls = model.scenario.accelerators[model.class_ix[deal["accelerator"]]].name
        where = name(deal_region(model, deal))
        if kind == "chip_supply":
            text = (
                f"{seller} supplies {buyer} {deal['h100e_per_quarter']:,.0f} H100e of {cls} a quarter "
                f"at ${deal['price_usd']:,.0f} in {where}"
            )
        else:
            text = f"{seller} licenses {deal['h100e_per_quarter']:,.0f} H100e of {cls} a quarter to {where}"
    pay = deal["payment_busd_per_quarter"]
    if pay > 0:
        text += f"; {q} pays {p} ${pay:,.2f}B a quarter"
    elif pay < 0:
        text += f"; {p} pays {q} ${-pay:,.2f}B a quarter"
    return f"{text}, for {quarters} quarter{'s' if quarters != 1 else ''}"


def _name(model: SovereignModel) -> Any:
    def name(seat: str) -> str:
        agent = model.seats.get(seat)
        if agent is not None:
            return str(agent.name)
        if seat in model.region_ix:
            return str(model.scenario.regions[model.region_ix[seat]].name)
        return seat

    return name


def offer(model: SovereignModel, agent: SeatAgent, cmd: OfferDeal) -> None:
    """Record an offer (`OfferDeal`); a counter-offer rejects the offer it answers.

    The same security pact offered both ways (the two seats moved at once) is signed at once.
    """
    w = model.world
    if cmd.deal_kind == "security_pact" and cmd.counter_to is None:
        # both sides offered each other the same pact: that is an agreement, signed now
        for other in w.deals:
            mirror = other["proposer"] == cmd.partner and other["partner"] == agent.seat_id
            same = other["kind"] == "security_pact" and other["quarters"] == cmd.quarters
            if other["status"] == "offered" and mirror and same and other["payment_busd_per_quarter"] == 0:
                if cmd.payment_busd_per_quarter == 0:
                    answer(model, agent, int(other["id"]), True)
                    return
    if cmd.counter_to is not None:
        old = find_deal(model, cmd.counter_to)
        if old is not None and old["status"] == "offered" and old["partner"] == agent.seat_id:
            old["status"], old["closed"] = "rejected", model.quarter
    datacenter, fab, project = cmd.datacenter, cmd.fab, cmd.project
    if cmd.deal_kind == "joint_venture":  # its one facility (`venture_facility`)
        from sovereign.sim.commands import venture_facility

        datacenter, fab, project = venture_facility(datacenter, fab, project)
    deal = {
        "id": len(w.deals),
        "kind": cmd.deal_kind,
        "proposer": agent.seat_id,
        "partner": cmd.partner,
        "status": "offered",
        "offered": model.quarter,
        "start": -1,
        "end": -1,
        "closed": -1,
        "quarters": cmd.quarters,
        "payment_busd_per_quarter": cmd.payment_busd_per_quarter,
        "supplier_is_proposer": cmd.supplier_is_proposer,
        "accelerator": cmd.accelerator,
        "h100e_per_quarter": cmd.h100e_per_quarter,
        "price_usd": record_price(cmd),
        "region": cmd.region,
        "counter_to": cmd.counter_to,
        "broken_by": None,
        "delivered_h100e": 0.0,
        "last_delivered_h100e": 0.0,
        "paid_busd": 0.0,
        "prior_licence": None,
        "note": "",
        "datacenter": datacenter,
        "mw": cmd.mw,
        "delivered_mwh": 0.0,
        "fab": fab,
        "project": project,
        "share": cmd.share,
        "earned_busd": 0.0,
    }
    w.deals.append(deal)


def record_price(cmd: OfferDeal) -> float:
    """The record's price: per H100e for chips, per H100e-hour for compute, in dollars for a hall."""
    if cmd.deal_kind == "compute_supply":
        return float(cmd.price_usd_per_hour)
    if cmd.deal_kind in ("datacenter_sale", "joint_venture"):
        return float(cmd.price_busd) * 1e9
    if cmd.deal_kind == "power_supply":
        return float(cmd.price_usd_per_mwh)
    return float(cmd.price_usd)


def answer(model: SovereignModel, agent: SeatAgent, deal_id: int, accept: bool) -> None:
    """Accept (the deal binds from this quarter) or reject an offer."""
    deal = find_deal(model, deal_id)
    if deal is None or deal["status"] != "offered":
        model.log_refused(agent.seat_id, _answer_cmd(deal_id, accept), f"deal {deal_id} is no longer open")
        return
    if not accept:
        deal["status"], deal["closed"] = "rejected", model.quarter
        return
    deal["status"], deal["start"] = "active", model.quarter
    deal["end"] = model.quarter + int(deal["quarters"]) - 1
    d = model.scenario.diplomacy
    a, b = seat_region(model, deal["proposer"]), seat_region(model, deal["partner"])
    shift_trust(model, a, b, d.trust_on_deal)
    shift_trust(model, b, a, d.trust_on_deal)
    if deal["kind"] == "export_licence":
        _grant_licence(model, deal)
    elif deal["kind"] == "technology_sharing":
        giver, taker = supplier_and_buyer(deal)
        w = model.world
        gets = (w.fab_owner == model.seat_pos[taker]) & np.isin(w.fab_class, shared_classes(model, giver, taker))
        w.fab_capacity[gets] *= 1.0 + d.sharing_gain
    text = describe(model, deal)
    model.add_news("deal", f"Deal signed: {text}", model.home_of(deal["partner"]), deal["proposer"])


def _answer_cmd(deal_id: int, accept: bool) -> Any:
    from sovereign.sim.commands import AnswerDeal

    return AnswerDeal(deal=deal_id, accept=accept)


def break_deal(model: SovereignModel, deal: dict[str, Any], by: str, why: str) -> None:
    """End an active deal early: the other side loses trust in the breaker; a licence is revoked."""
    deal["status"], deal["closed"], deal["broken_by"], deal["note"] = "broken", model.quarter, by, why
    model.economy.tension_q += 1.0
    other = deal["partner"] if by == deal["proposer"] else deal["proposer"]
    shift_trust(model, seat_region(model, other), seat_region(model, by), -model.scenario.diplomacy.trust_on_break)
    if deal["kind"] == "export_licence":
        _revoke_licence(model, deal)
    name = _name(model)
    model.add_news("deal", f"{name(by)} breaks the {DEAL_WORDS[deal['kind']]} with {name(other)}: {why}", None, by)


def _grant_licence(model: SovereignModel, deal: dict[str, Any]) -> None:
    w = model.world
    r, g = model.region_ix[deal_region(model, deal)], model.class_ix[deal["accelerator"]]
    prior = float(w.licence_cap[r, g])
    deal["prior_licence"] = None if np.isnan(prior) else [prior, float(w.licence_share[r, g])]
    base = 0.0 if np.isnan(prior) else prior
    w.licence_cap[r, g] = base + float(deal["h100e_per_quarter"])


def _revoke_licence(model: SovereignModel, deal: dict[str, Any]) -> None:
    w = model.world
    r, g = model.region_ix[deal_region(model, deal)], model.class_ix[deal["accelerator"]]
    left = float(w.licence_cap[r, g]) - float(deal["h100e_per_quarter"])
    if deal["prior_licence"] is None and left <= 1e-6:
        w.licence_cap[r, g], w.licence_share[r, g] = np.nan, 0.0
    else:
        w.licence_cap[r, g] = max(left, 0.0)


def settle_deals(model: SovereignModel) -> None:
    """This quarter's side of every deal: offers expire, payments are made, terms end, trust moves.

    Runs after the orders (so a deal signed this quarter pays this quarter) and before the
    markets. A payer that cannot pay breaks the deal. Trust then drifts back towards alignment.
    """
    w, d, q = model.world, model.scenario.diplomacy, model.quarter
    for deal in w.deals:
        status = deal["status"]
        if status == "offered" and deal["offered"] < q:
            deal["status"], deal["closed"] = "expired", q
        elif status == "active" and deal["kind"] == "datacenter_sale":
            _complete_sale(model, deal)
        elif status == "active":
            if deal["kind"] == "power_supply" and not _pay_for_power(model, deal):
                continue  # the buyer could not pay for its power: broken
            if deal["kind"] == "joint_venture" and not _pay_into_venture(model, deal):
                continue  # the investor could not pay for its stake, or the facility is gone: broken
            pay = float(deal["payment_busd_per_quarter"])
            payer, payee = (deal["partner"], deal["proposer"]) if pay > 0 else (deal["proposer"], deal["partner"])
            if pay != 0.0:
                if payer not in model.seats or model.seats[payer].cash_busd < abs(pay):
                    break_deal(model, deal, payer, "it could not pay")
                    continue
                if payee in model.seats:
                    model.transfer(payer, payee, abs(pay), "deals")
                    deal["paid_busd"] += abs(pay)
            a, b = seat_region(model, deal["proposer"]), seat_region(model, deal["partner"])
            shift_trust(model, a, b, d.trust_per_quarter_honoured)
            shift_trust(model, b, a, d.trust_per_quarter_honoured)
    bloc_obligations(model)
    # trust drifts towards what the nations' alignment implies: down quickly, up slowly (a
    # membership card or a pact is a promise; trust comes from deals kept over the years)
    gap = base_trust(model) - w.trust
    fall = 1.0 - (1.0 - d.trust_reversion_per_year) ** 0.25
    rise = 1.0 - (1.0 - d.trust_gain_per_year) ** 0.25
    w.trust += np.where(gap > 0.0, rise, fall) * gap


def _pay_for_power(model: SovereignModel, deal: dict[str, Any]) -> bool:
    """A power contract's quarter: the buyer pays for the MWh delivered; False if it could not (broken).

    Delivered all quarter at the contracted MW (`power_contract_flows` takes it off the buyer's load
    and puts it on the seller's in this quarter's power market), paid here, before the markets.
    """
    seller, buyer = supplier_and_buyer(deal)
    mwh = float(deal.get("mw", 0.0)) * float(model.slice_hours.sum())
    cost = mwh * float(deal["price_usd"]) / 1e9
    if buyer not in model.seats or model.seats[buyer].cash_busd < cost:
        break_deal(model, deal, buyer, "it could not pay for its power")
        return False
    if seller in model.seats:
        model.transfer(buyer, seller, cost, "power contracts")
    deal["paid_busd"] += cost
    deal["delivered_mwh"] = float(deal.get("delivered_mwh", 0.0)) + mwh
    return True


def _pay_into_venture(model: SovereignModel, deal: dict[str, Any]) -> bool:
    """A joint venture's quarter before the markets: the investor's stake is paid for when it is signed.

    False (the deal broken) when the investor cannot pay, or the operator no longer holds the
    facility (sold, or a build abandoned when its owner went bankrupt).
    """
    operator, investor = supplier_and_buyer(deal)
    w = model.world
    row, table = venture_row(deal)
    owners = w.dc_owner if table == "datacenter" else w.fab_owner
    if operator not in model.seats:
        break_deal(model, deal, operator, "the operator is gone")
        return False
    if table is None:
        if not any(p["id"] == deal.get("project") and p["owner"] == operator for p in w.projects):
            break_deal(model, deal, operator, "the build was abandoned")
            return False
    elif not 0 <= row < len(owners) or int(owners[row]) != model.seat_pos[operator]:
        break_deal(model, deal, operator, "the facility is no longer its own")
        return False
    if deal["start"] == model.quarter and deal["paid_busd"] == 0.0:
        price = float(deal["price_usd"]) / 1e9
        if investor not in model.seats or model.seats[investor].cash_busd < price:
            break_deal(model, deal, investor, "it could not pay for its stake")
            return False
        model.transfer(investor, operator, price, "joint ventures")
        deal["paid_busd"] = price
    return True


def venture_row(deal: dict[str, Any]) -> tuple[int, str | None]:
    """A joint venture's facility: (row, "datacenter" or "fab"), or (-1, None) while it is being built."""
    if deal.get("datacenter") is not None:
        return int(deal["datacenter"]), "datacenter"
    if deal.get("fab") is not None:
        return int(deal["fab"]), "fab"
    return -1, None


def venture_name(model: SovereignModel, deal: dict[str, Any]) -> str:
    """A joint venture's facility in words."""
    w = model.world
    row, table = venture_row(deal)
    if table == "datacenter" and 0 <= row < len(w.dc_name):
        return str(w.dc_name[row])
    if table == "fab" and 0 <= row < len(w.fab_name):
        return str(w.fab_name[row])
    for p in w.projects:
        if p["id"] == deal.get("project"):
            return f"{p['name'].split(': ', 1)[-1]} (being built)"
    return "facility"


def venture_stakes(model: SovereignModel, datacenter: int | None, fab: int | None, project: int | None) -> float:
    """The share of one facility investors hold under joint ventures in force or on offer."""
    held = 0.0
    for d in model.world.deals:
        if d["kind"] != "joint_venture" or d["status"] not in ("active", "offered"):
            continue
        same = (
            (datacenter is not None and d.get("datacenter") == datacenter)
            or (fab is not None and d.get("fab") == fab)
            or (project is not None and d.get("project") == project)
        )
        held += float(d.get("share", 0.0)) if same else 0.0
    return held


def ventures_built(model: SovereignModel, built: dict[int, tuple[str, int]]) -> None:
    """Builds finished this quarter (project id -> its new datacenter or fab row): their ventures follow them."""
    if not built:
        return
    for d in model.world.deals:
        project = d.get("project")
        if d["kind"] == "joint_venture" and project is not None and project in built:
            table, row = built[project]
            d[table] = row


def venture_profit_busd(model: SovereignModel, deal: dict[str, Any]) -> float:
    """The operating profit of a joint venture's facility this quarter, $B (zero while it is built).

    A datacenter's: what its compute sold for less its power and opex (its scarcity rent); a fab's:
    its chip sales less their production cost.
    """
    row, table = venture_row(deal)
    res = model.results
    if table == "datacenter":
        comp = res.compute
        at = np.flatnonzero(np.asarray(comp.clusters) == row)
        if not len(at) or not comp.alloc.size:
            return 0.0
        sold = np.asarray(comp.alloc)[:, at].sum(0)
        rent = np.asarray(comp.price)[at] - np.asarray(comp.cluster_cost)[at]
        return float((sold * rent).sum()) * econ.HOURS_PER_QUARTER / 1e9
    if table == "fab":
        chips = res.chips
        if not 0 <= row < len(chips.fab_revenue_busd):
            return 0.0
        return float(chips.fab_revenue_busd[row] - chips.fab_cost_busd[row])
    return 0.0


def share_venture_profits(model: SovereignModel) -> None:
    """After the markets: each joint venture's operator pays its investor its share of the quarter's profit.

    An operator that cannot pay breaks the deal.
    """
    for deal in model.world.deals:
        if deal["status"] != "active" or deal["kind"] != "joint_venture":
            continue
        operator, investor = supplier_and_buyer(deal)
        due = float(deal.get("share", 0.0)) * max(venture_profit_busd(model, deal), 0.0)
        if due <= 0.0 or investor not in model.seats:
            continue
        if operator not in model.seats or model.seats[operator].cash_busd < due:
            break_deal(model, deal, operator, "it could not pay its partner's share")
            continue
        model.transfer(operator, investor, due, "joint ventures")
        deal["earned_busd"] = float(deal.get("earned_busd", 0.0)) + due


def _link(model: SovereignModel, a: int, b: int) -> int | None:
    """The interconnector joining regions `a` and `b` (its row in `model.links`), if any."""
    if model.links is None:
        return None
    src, dst, _ = model.links
    for i, (x, y) in enumerate(zip(src.tolist(), dst.tolist(), strict=True)):
        if {x, y} == {a, b}:
            return i
    return None


def active_power(model: SovereignModel) -> list[dict[str, Any]]:
    """The power contracts in force."""
    return [d for d in model.world.deals if d["status"] == "active" and d["kind"] == "power_supply"]


def link_room_mw(model: SovereignModel, seat: str, other: str) -> float | None:
    """MW of the interconnector between two nations' grids not yet reserved by contracts; None if none joins them."""
    a, b = seat_region(model, seat), seat_region(model, other)
    i = _link(model, a, b)
    if i is None or model.links is None:
        return None
    used = sum(float(d.get("mw", 0.0)) for d in active_power(model) if _link(model, *_ends(model, d)) == i)
    return float(model.links[2][i]) - used


def _ends(model: SovereignModel, deal: dict[str, Any]) -> tuple[int, int]:
    seller, buyer = supplier_and_buyer(deal)
    return seat_region(model, seller), seat_region(model, buyer)


def power_contract_flows(model: SovereignModel) -> np.ndarray:
    """(R,) MW each region's grid exports under power contracts in force (negative: imports)."""
    out = np.zeros(len(model.region_ix))
    for deal in active_power(model):
        s, b = _ends(model, deal)
        out[s] += float(deal.get("mw", 0.0))
        out[b] -= float(deal.get("mw", 0.0))
    return out


def contracted_links(model: SovereignModel) -> Any:
    """`model.links` with the capacity power contracts reserve taken off (the market trades the rest)."""
    links = model.links
    deals = active_power(model)
    if links is None or not deals:
        return links
    cap = links[2].copy()
    for deal in deals:
        i = _link(model, *_ends(model, deal))
        if i is not None:
            cap[i] = max(cap[i] - float(deal.get("mw", 0.0)), 0.0)
    return (links[0], links[1], cap)


def _complete_sale(model: SovereignModel, deal: dict[str, Any]) -> None:
    """A signed datacenter sale: the buyer pays the price once and the hall changes owner.

    The seller must still own the hall and the buyer must be able to pay; otherwise the side that
    cannot deliver breaks the deal.
    """
    seller, buyer = supplier_and_buyer(deal)
    row, price = deal.get("datacenter"), float(deal["price_usd"]) / 1e9
    w = model.world
    if deal["paid_busd"] > 0:
        return  # paid and handed over in the quarter it was signed; the term then ends
    if row is None or seller not in model.seats or int(w.dc_owner[row]) != model.seat_pos[seller]:
        break_deal(model, deal, seller, "the datacenter is no longer its to sell")
        return
    if buyer not in model.seats or model.seats[buyer].cash_busd < price:
        break_deal(model, deal, buyer, "it could not pay for the datacenter")
        return
    model.transfer(buyer, seller, price, "datacenter sales")
    deal["paid_busd"] = price
    w.dc_owner[row] = model.seat_pos[buyer]
    name = _name(model)
    model.add_news(
        "deal",
        f"{name(buyer)} buys {w.dc_name[row]} from {name(seller)} for ${price:,.2f}B",
        model.scenario.regions[int(w.dc_region[row])].id,
        buyer,
    )


def hall_worth_busd(model: SovereignModel, row: int) -> float:
    """What a built datacenter is worth to a buyer in its region, $B (read only).

    Its chips' net earnings over the payback period at the region's compute price, as an investor
    values a chip (`economics.chip_value_usd_per_h100e`), plus the shell's capital cost (the chips'
    running cost already pays for the shell, so this is what building it again would cost).
    """
    from sovereign.sim import economics as econ

    sc, w = model.scenario, model.world
    r = int(w.dc_region[row])
    price = np.asarray(model.results.compute.price_region, float)
    compute_price = float(price[r]) if price.shape == (len(model.region_ix),) else 0.0
    capex_per_kw = sc.regions[r].dc_capex_musd_per_mw * 1e3
    kw_per = model.kw_per_h100e * model.economy.efficiency_mult
    power_price = np.asarray(model.results.power.dc_price, float)
    dc_price = float(power_price[r]) if power_price.shape == (len(model.region_ix),) else 0.0
    running = econ.running_cost_usd_per_h100e_hour(sc, kw_per, float(w.dc_pue[row]), dc_price, capex_per_kw)
    chips = float((w.dc_stock[row] * econ.chip_value_usd_per_h100e(sc, compute_price, running)).sum()) / 1e9
    shell = float(w.dc_it_mw[row]) * sc.regions[r].dc_capex_musd_per_mw / 1e3
    return chips + shell


def exposure_busd(model: SovereignModel) -> np.ndarray:
    """(R,) each nation's yearly cyber threat exposure, $B (what its security spending is set against)."""
    sc, w = model.scenario, model.world
    threat = np.array([r.threat_exposure for r in sc.regions])
    return np.asarray(threat * w.gdp_busd * sc.events.threat_busd_per_gdp)


def below_floor(model: SovereignModel, bloc: int) -> np.ndarray:
    """(R,) nations whose security spending is below the bloc's security floor."""
    floor = model.scenario.blocs[bloc].security_floor
    return np.asarray(model.world.security_busd < floor * exposure_busd(model) - 1e-9)


def bloc_obligations(model: SovereignModel) -> None:
    """Members pay their blocs' contributions each quarter; members below a security floor lose trust."""
    w, sc, d = model.world, model.scenario, model.scenario.diplomacy
    for b, bloc in enumerate(sc.blocs):
        members = np.flatnonzero(w.bloc_member[b])
        if bloc.contribution_share_of_gdp > 0:
            for r in members.tolist():
                seat = sc.regions[r].id
                if seat in model.seats:
                    due = bloc.contribution_share_of_gdp * float(w.gdp_busd[r]) / 4.0
                    model.transfer(
                        seat, model.OUTSIDE, min(due, max(model.seats[seat].cash_busd, 0.0)), "bloc contributions"
                    )
        if bloc.security_floor > 0:
            shirking = members[below_floor(model, b)[members]]
            for r in shirking.tolist():
                for other in members.tolist():
                    shift_trust(model, other, r, -d.trust_per_quarter_shirking)


def end_terms(model: SovereignModel) -> None:
    """Deals whose term ends this quarter end (after the quarter's deliveries and payments)."""
    for deal in model.world.deals:
        if deal["status"] == "active" and deal["end"] <= model.quarter:
            deal["status"], deal["closed"] = "ended", model.quarter
            if deal["kind"] == "export_licence":
                _revoke_licence(model, deal)


def active_supply(model: SovereignModel) -> list[dict[str, Any]]:
    """Active chip supply deals, in the order they were offered (the order they are served)."""
    return [d for d in model.world.deals if d["status"] == "active" and d["kind"] == "chip_supply"]


def active_compute(model: SovereignModel) -> list[dict[str, Any]]:
    """Active compute contracts, in the order they were offered (the order they are served)."""
    return [d for d in model.world.deals if d["status"] == "active" and d["kind"] == "compute_supply"]


def deal_rows(model: SovereignModel) -> list[dict[str, Any]]:
    """Every deal as a tidy row (quarters as labels), for tables, saves' readers and the UI."""
    out = []
    for deal in model.world.deals:
        row = dict(deal)
        for key in ("offered", "start", "end", "closed"):
            row[key] = quarter_label(deal[key]) if deal[key] >= 0 else ""
        row["text"] = describe(model, deal)
        out.append(row)
    return out


# -- trust after actions -------------------------------------------------------------------------
def after_tier_change(model: SovereignModel, actor: str, region: int, old: int, new: int) -> None:
    """A stricter export tier costs the producer the destination's trust; a looser one earns some."""
    d = model.scenario.diplomacy
    if new > old:
        model.economy.tension_q += 1.0
        shift_trust(model, region, seat_region(model, actor), -d.trust_on_sanction)
    elif new < old:
        shift_trust(model, region, seat_region(model, actor), d.trust_on_sanction / 2)


def after_sanction(model: SovereignModel, actor: str, region: int) -> None:
    """A licence revoked or a ban aimed at a nation: it trusts the actor less."""
    model.economy.tension_q += 1.0
    shift_trust(model, region, seat_region(model, actor), -model.scenario.diplomacy.trust_on_sanction)


def after_application(model: SovereignModel, applicant: int, bloc: int) -> None:
    """Applying to a bloc with a rival of theirs costs the applicant other nations' trust.

    A tier-1 nation distrusts a nation that applies to a bloc with a tier-3 member, and the other
    way round: choosing a camp is seen by the other camp.
    """
    w, d = model.world, model.scenario.diplomacy
    members = np.flatnonzero(w.bloc_member[bloc])
    tiers = set(w.export_tier[members].tolist())
    for r in range(len(model.region_ix)):
        rival_tier = {1: 3, 3: 1}.get(int(w.export_tier[r]))
        if r != applicant and rival_tier in tiers and not w.bloc_member[bloc, r]:
            shift_trust(model, r, applicant, -d.trust_on_rival_join)


def after_leaving(model: SovereignModel, leaver: int, bloc: int) -> None:
    """The members of a bloc a nation leaves trust it less."""
    for r in np.flatnonzero(model.world.bloc_member[bloc]).tolist():
        shift_trust(model, r, leaver, -model.scenario.diplomacy.trust_on_leave)


def after_votes(model: SovereignModel, applicant: int, against: list[str]) -> None:
    """An applicant trusts less each member that voted against it."""
    for seat in against:
        shift_trust(model, applicant, seat_region(model, seat), -model.scenario.diplomacy.trust_on_refusal)


# -- covert operations ---------------------------------------------------------------------------
COVERT_WORDS = {
    "cyber_operation": "a cyber attack on",
    "espionage": "industrial espionage against",
    "smuggling_network": "a chip smuggling network",
    "stockpiling": "a secret chip stockpile",
}


def covert_operation(model: SovereignModel, agent: SeatAgent, cmd: CovertAction) -> None:
    """Carry out a covert operation: pay, take effect, and leave no name on it (yet)."""
    w, d = model.world, model.scenario.diplomacy
    seat = agent.seat_id
    model.transfer(seat, model.OUTSIDE, float(cmd.busd), "covert operations")
    op: dict[str, Any] = {
        "id": len(w.covert),
        "operation": cmd.operation,
        "actor": seat,
        "target": cmd.target,
        "quarter": model.quarter,
        "busd": float(cmd.busd),
        "until": model.quarter + d.covert_quarters - 1
        if cmd.operation in ("smuggling_network", "stockpiling")
        else model.quarter,
        "revealed": -1,
        # the operation's own random stream for its tracing, drawn once: later quarters' draws do not
        # shift the world's event stream (common random numbers for what-ifs)
        "seed": int(model.rngs["events"].integers(1 << 31)),
    }
    if cmd.operation == "stockpiling":  # what it buys, and holds until released (`chips.buy_stockpiles`)
        g = stockpile_class(model, seat)
        op.update(
            accelerator=model.scenario.accelerators[g if g is not None else 0].id,
            stock_h100e=0.0,
            spent_busd=0.0,
            origin=[0.0] * len(model.region_ix),
            released=-1,
        )
    w.covert.append(op)
    model.economy.tension_q += 1.0
    if cmd.operation == "cyber_operation":
        target = model.scenario.regions[model.region_ix[str(cmd.target)]]
        model.economy.scheduled.append(
            {
                "quarter": model.quarter,
                "kind": "cyber_incident",
                "region": target.id,
                "actor": None,
                "magnitude": float(cmd.busd) * d.cyber_damage_per_busd,
                "headline": f"Cyber attack on {target.name}'s datacenters: the attackers are unknown",
                "text": "",
            }
        )
    elif cmd.operation == "espionage":
        home, there = model.region_ix[seat], model.region_ix[str(cmd.target)]
        theirs = np.unique(w.fab_class[w.fab_region == there])
        mine = (w.fab_region == home) & np.isin(w.fab_class, theirs)
        w.fab_capacity[mine] *= 1.0 + min(d.espionage_gain_per_busd * float(cmd.busd), 0.1)


def smuggling_extra(model: SovereignModel) -> np.ndarray:
    """(R,) extra smuggled H100e a quarter each nation's running smuggling networks bring in."""
    out = np.zeros(len(model.region_ix))
    rate = model.scenario.diplomacy.smuggling_h100e_per_busd
    for op in model.world.covert:
        if op["operation"] == "smuggling_network" and op["quarter"] <= model.quarter <= op["until"]:
            out[model.region_ix[op["actor"]]] += op["busd"] * rate
    return out


def reveal_covert(model: SovereignModel) -> None:
    """Each untraced operation may be traced this quarter; a traced one is news and costs trust.

    The chance: `reveal_base` plus `reveal_security` times the target's protection (its security
    spending over spending plus exposure; for a smuggling network, the chip producers' enforcement
    spending over itself plus $1B). Operations begun this quarter are traced from the next.
    """
    w, d, sc = model.world, model.scenario.diplomacy, model.scenario
    name = _name(model)
    for op in w.covert:
        if op["revealed"] >= 0 or op["quarter"] >= model.quarter:
            continue
        if op["operation"] in ("smuggling_network", "stockpiling"):
            enforcement = float(w.enforcement_busd[model.chip_producer].sum())
            protection = enforcement / (enforcement + 1.0)
            victims = [int(r) for r in np.flatnonzero(model.chip_producer)]
        else:
            t = model.region_ix[op["target"]]
            exposure = sc.regions[t].threat_exposure * float(w.gdp_busd[t]) * sc.events.threat_busd_per_gdp
            protection = float(w.security_busd[t]) / (float(w.security_busd[t]) + exposure + 1e-12)
            victims = [t]
        chance = d.reveal_base + d.reveal_security * protection
        if np.random.default_rng([op["seed"], model.quarter]).random() >= chance:
            continue
        op["revealed"] = model.quarter
        sponsor = model.region_ix[op["actor"]]
        for v in victims:
            shift_trust(model, v, sponsor, -d.trust_on_exposure)
        what = COVERT_WORDS[op["operation"]]
        target = f" {name(op['target'])}" if op["target"] else ""
        model.add_news(
            "covert",
            f"Revealed: {name(op['actor'])} was behind {what}{target} ({quarter_label(op['quarter'])})",
            op["target"],
            op["actor"],
        )


def covert_rows(model: SovereignModel, seat: str) -> list[dict[str, Any]]:
    """The covert operations a seat may know of: its own, and others' once traced (public)."""
    out = []
    for op in model.world.covert:
        if op["actor"] == seat or op["revealed"] >= 0:
            out.append(
                {
                    "operation": op["operation"],
                    "sponsor": op["actor"],
                    "target": op["target"],
                    "quarter": quarter_label(op["quarter"]),
                    "busd": op["busd"],
                    "revealed": quarter_label(op["revealed"]) if op["revealed"] >= 0 else "",
                    # a stockpile's chips bought so far and still held (not yet in halls)
                    "h100e": float(op.get("stock_h100e", 0.0)),
                }
            )
    return out


def stockpile_class(model: SovereignModel, seat: str) -> int | None:
    """The class a nation's covert stockpile buys: the most power-efficient it may receive at home.

    None when every class is barred there (a smuggling network is the way in then).
    """
    from sovereign.sim.phases.chips import destination_caps, may_receive

    r = model.region_ix[seat]
    caps, barred = destination_caps(model)
    n_g = len(model.class_ix)
    ok = may_receive(model, np.full(n_g, r), np.full(n_g, r), np.arange(n_g)) & ~barred[r] & (caps[r] > 0)
    if not ok.any():
        return None
    kw = np.where(ok, model.kw_per_h100e, np.inf)
    return int(np.argmin(kw))


# -- the shared risk -----------------------------------------------------------------------------
def update_shared_risk(model: SovereignModel) -> None:
    """Move the scenario's shared risk (`Scenario.shared_risk`) and end the game at its threshold.

    Up with the race (the quarter's growth of the world's installed AI compute) and with each
    hostile move this quarter; down with every active deal and security pact and as tensions fade.
    At the threshold the game ends: everyone has lost.
    """
    g, rule = model.economy, model.scenario.shared_risk
    tension, g.tension_q = g.tension_q, 0.0
    if rule is None:
        return
    rows = model.metrics.world
    growth = 0.0
    if len(rows) >= 2 and rows[-2]["compute_capacity_h100e"] > 0:
        growth = max(rows[-1]["compute_capacity_h100e"] / rows[-2]["compute_capacity_h100e"] - 1.0, 0.0)
    active = [d for d in model.world.deals if d["status"] == "active"]
    pacts = sum(d["kind"] == "security_pact" for d in active)
    risk = (
        g.shared_risk
        + rule.per_race_growth * growth
        + rule.per_tension * tension
        - rule.per_deal * len(active)
        - rule.per_pact * pacts
        - rule.decay_per_quarter
    )
    g.shared_risk = max(risk, 0.0)
    if rows:
        rows[-1]["shared_risk"] = g.shared_risk
    if g.shared_risk >= rule.threshold and g.shared_loss < 0:
        g.shared_loss = model.quarter
        model.add_news(
            "shared_loss",
            f"{rule.name} reached {rule.threshold:g}: the game is over and every seat has lost",
            None,
            None,
        )
