"""Commands in words: what the desktop game, the classroom pages and the logs show a player.

One home for how a queued command reads ("Datacenter 500 MW in India with its own gas generation"),
with names for ids and no field names, so the desktop panel, its toasts and the student page say
the same thing. No pygame and no web here: both sides import it.
"""

from __future__ import annotations

from typing import Any

from sovereign.game import fmt
from sovereign.game.actions import ACTION_BY_KEY
from sovereign.sim.phases.diplomacy import DEAL_WORDS


class _Names:
    """Scenario ids to the names a player reads (regions, accelerator classes, blocs, upgrades, firms)."""

    def __init__(self, sc: Any) -> None:
        self._names = {r.id: r.name for r in sc.regions} | {a.id: a.name for a in sc.accelerators}
        self._names |= {b.id: b.name for b in sc.blocs}
        self._names |= {u.id: u.name for u in sc.efficiency_upgrades}
        self._names |= {a.id: a.name for a in sc.actors}

    def __call__(self, ident: str) -> str:
        return self._names.get(ident, ident)


def _cap(cap: float | None) -> str:
    return "unlimited" if cap is None else ("barred" if cap == 0 else fmt.h100e(cap))


#: A queued command in words, by kind: names, never ids or field names (``enabled=True``).
_LABELS: dict[str, Any] = {
    "build_datacenter": lambda n, c: (
        f"Datacenter {fmt.mw(c.it_mw)} in {n(c.region)}" + (" with its own gas generation" if c.onsite else "")
    ),
    "build_plant": lambda n, c: f"{c.technology.capitalize()} plant {fmt.mw(c.mw)} in {n(c.region)}",
    "build_fab": lambda n, c: f"Fab {fmt.h100e(c.h100e_per_quarter)}/q of {n(c.accelerator)} in {n(c.region)}",
    "build_packaging": lambda n, c: f"Packaging line {fmt.h100e(c.h100e_per_quarter)}/q in {n(c.region)}",
    "buy_accelerators": lambda n, c: (
        f"Buy {fmt.h100e(c.h100e)} {n(c.accelerator)} at most ${c.max_price_usd:,.0f} in {n(c.region)}"
        + (" (allocation contract)" if c.contract else "")
    ),
    "set_licence": lambda n, c: (
        f"Revoke the licence for {n(c.accelerator)} to {n(c.region)}"
        if c.cap_h100e is None
        else f"Licence {fmt.h100e(c.cap_h100e)}/q of {n(c.accelerator)} to {n(c.region)}"
        + (f" for {fmt.pct(c.revenue_share)} of sales" if c.revenue_share else "")
    ),
    "set_import_ban": lambda n, c: ("Bar" if c.banned else "Allow") + f" imports of {n(c.accelerator)}",
    "set_enforcement": lambda n, c: f"Export-control enforcement {fmt.money(c.busd_per_year)}/yr",
    "set_subsidy": lambda n, c: f"Subsidy {fmt.pct(c.rate)}",
    "set_security_spending": lambda n, c: f"Cyber security {fmt.money(c.busd_per_year)}/yr",
    "set_localisation": lambda n, c: "Data localisation law: " + ("on" if c.enabled else "off"),
    "set_curtailment_priority": lambda n, c: (
        "In power shortages, datacenters are cut " + ("last" if c.datacenters_last else "with other load")
    ),
    "permitting_reform": lambda n, c: "Permitting reform (one quarter faster)",
    "set_large_load_rules": lambda n, c: (
        ("Moratorium on datacenter connections" if c.moratorium else "Connect datacenters")
        + (", on-site power required" if c.onsite_required else "")
        + f", surcharge {fmt.usd_mwh(c.tariff_usd_mwh)}, minimum take {fmt.pct(c.min_take_share)}"
    ),
    "expand_grid": lambda n, c: f"Grid expansion: {fmt.mw(c.mw_per_year)} more connections a year",
    "join_bloc": lambda n, c: f"Apply to join {n(c.bloc)}",
    "vote_on_application": lambda n, c: f"{'Admit' if c.accept else 'Refuse'} {n(c.region)} to {n(c.bloc)}",
    "leave_bloc": lambda n, c: f"Leave {n(c.bloc)}",
    "set_export_controls": lambda n, c: f"Export cap for {n(c.accelerator)} to tier {c.tier}: {_cap(c.cap_h100e)}",
    "set_export_tier": lambda n, c: f"{n(c.region)} to export tier {c.tier}",
    "decide": lambda n, c: f"Decision on event {c.event_id}: option {c.option + 1}",
    "raise_funding": lambda n, c: f"Raise {fmt.money(c.busd)}",
    "set_compute_price": lambda n, c: (
        f"Compute price floor ${c.floor_usd_per_hour:,.2f} per H100e-hour"
        if c.floor_usd_per_hour
        else "No compute price floor: sell at the market's price"
    ),
    "offer_deal": lambda n, c: (
        (
            f"Offer to {'sell' if c.supplier_is_proposer else 'buy'} a datacenter "
            f"{'to' if c.supplier_is_proposer else 'from'} {n(c.partner)} for {fmt.money(c.price_busd)}"
            if c.deal_kind == "datacenter_sale"
            else f"Offer {n(c.partner)} a {DEAL_WORDS[c.deal_kind]} for {fmt.quarters(c.quarters)}"
        )
        + (f" (counter-offer to deal {c.counter_to})" if c.counter_to is not None else "")
    ),
    "answer_deal": lambda n, c: f"{'Accept' if c.accept else 'Reject'} deal {c.deal}",
    "break_deal": lambda n, c: f"Break deal {c.deal}",
    "covert_action": lambda n, c: (
        {
            "cyber_operation": f"Covert: cyber attack on {n(c.target)}",
            "espionage": f"Covert: industrial espionage against {n(c.target)}",
            "smuggling_network": "Covert: a chip smuggling network",
            "stockpiling": "Covert: a secret chip stockpile",
        }[c.operation]
        + f" ({fmt.money(c.busd)})"
    ),
}


def seat_name(model: Any, seat: str | None) -> str:
    """A seat's display name (a nation's, a firm's); a firm that left the game says so."""
    if seat is None:
        return "nobody"
    agent = model.seats.get(seat)
    if agent is not None:
        return str(agent.name)
    if seat in model.region_ix:
        return str(model.scenario.regions[model.region_ix[seat]].name)
    return "a firm that has left the game"


def command_label(model: Any, cmd: Any) -> str:
    """A queued command in words: names, not ids or field names."""
    if cmd.kind == "upgrade_datacenter":  # a datacenter is named by its row: its name is in the world
        names, w = _Names(model.scenario), model.world
        hall = w.dc_name[cmd.datacenter] if 0 <= cmd.datacenter < len(w.dc_name) else f"datacenter {cmd.datacenter}"
        return f"Install {names(cmd.upgrade).replace('_', ' ')} in {hall}"
    label = _LABELS.get(cmd.kind)
    if label is not None:
        return str(label(_Names(model.scenario), cmd))
    spec = ACTION_BY_KEY.get(cmd.kind)
    return spec.label if spec is not None else cmd.kind.replace("_", " ").capitalize()


def objective_text(obj: Any, end: str) -> str:
    """An objective in words (the scenario's own text when it has one)."""
    if obj.text:
        return obj.text
    metric = obj.metric.replace("_", " ")
    who = "Everyone together: " if obj.seat == "all" else ""
    if obj.threshold is not None and obj.below:
        return f"{who}keep {metric} at most {obj.threshold:g} until {obj.by or end}"
    if obj.threshold is not None:
        return f"{who}{metric} at least {obj.threshold:g} by {obj.by or end}"
    return f"rank {obj.rank} or better by {metric} at the end"


def option_effects(scenario: Any, option: Any) -> str:
    """What a decision's option does, in words: its text, money, policy, stockpiles, events set off."""
    parts = [option.text] if option.text else []
    if option.cash_busd:
        parts.append(f"{'costs' if option.cash_busd < 0 else 'brings'} {fmt.money(abs(option.cash_busd))}")
    if option.security_busd_per_year is not None:
        parts.append(f"cyber security {fmt.money(option.security_busd_per_year)}/yr")
    if option.subsidy is not None:
        parts.append(f"subsidy {fmt.pct(option.subsidy)}")
    if option.disruption_shield:
        parts.append(
            f"keeps {fmt.pct(option.disruption_shield)} of your fabs' output in a disruption for "
            f"{fmt.quarters(option.shield_quarters)}"
        )
    for e in option.events:
        when = "at once" if e.after_quarters == 0 else f"in {fmt.quarters(e.after_quarters)}"
        parts.append(f"sets off: {fmt.in_words(scenario, e.headline)} ({when})")
    return "; ".join(parts) or "no other effect"
