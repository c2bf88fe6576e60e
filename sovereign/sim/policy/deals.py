"""How an AI seat answers the deals offered to it: by its own interest, in dollars over the term.

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
- security pact: only between nations trusting each other at least `diplomacy.pact_min_trust`,
  never across the tier-1 / tier-3 divide; worth a year of the cyber losses it would avoid
  (the pact's relief times the nation's threat exposure) plus the payment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sovereign.sim.commands import AnswerDeal, Command
from sovereign.sim.phases.diplomacy import deal_region, open_offers, supplier_and_buyer, trust_between
from sovereign.sim.policy.view import investor_view

if TYPE_CHECKING:
    from sovereign.sim.agents import SeatAgent

#: Share of licensed sales a licence is worth to the licensee a quarter (the 15% H20 deal, CALIBRATION 13).
LICENCE_WORTH_SHARE = 0.15


def answer_offers(agent: SeatAgent) -> list[Command]:
    """An answer to every offer open to this seat (this quarter's decision on each)."""
    return [
        AnswerDeal(deal=deal["id"], accept=accepts(agent, deal)) for deal in open_offers(agent.model, agent.seat_id)
    ]


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
