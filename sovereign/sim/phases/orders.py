"""Orders: this quarter's accepted commands take effect, seat by seat.

Each queued command is checked again against the money left (the rules were checked when it was
submitted, against the state at the start of the quarter; everyone moves at once, and a nation
may meanwhile have paid the subsidies of builds on its soil). Builds start projects and pay their
capex; policies change the world's policy arrays; chip bids wait for the chip market. Owns: the
queues, projects, the policy arrays of the world, and the builders' cash (through the ledger).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from sovereign.scenario.schema import quarter_label
from sovereign.sim import economics as econ
from sovereign.sim.commands import (
    MORATORIUM_OPEN_ENDED,
    AnswerDeal,
    BreakDeal,
    BuildDatacenter,
    BuildFab,
    BuildPackaging,
    BuildPlant,
    BuyAccelerators,
    Command,
    CovertAction,
    Decide,
    ExpandGrid,
    JoinBloc,
    LeaveBloc,
    OfferDeal,
    PermittingReform,
    RaiseFunding,
    SetComputePrice,
    SetCurtailmentPriority,
    SetEnforcement,
    SetExportControls,
    SetExportTier,
    SetImportBan,
    SetLargeLoadRules,
    SetLicence,
    SetLocalisation,
    SetSecuritySpending,
    SetSubsidy,
    UpgradeDatacenter,
    VoteOnApplication,
    budget_refusal,
    command_cost_busd,
    decision_options,
    surely_affordable,
    upgrade_spec,
)
from sovereign.sim.phases import diplomacy
from sovereign.sim.phases.grid import add_network, binding_slice, log_plant_order
from sovereign.sim.world import project_record

if TYPE_CHECKING:
    from sovereign.scenario.schema import DecisionOption
    from sovereign.sim.agents import SeatAgent
    from sovereign.sim.model import SovereignModel

#: A datacenter at least this large (MW of IT load) makes the news when it starts.
NEWSWORTHY_MW = 300.0

Bids = list[tuple[str, BuyAccelerators]]


#: Builds a quarter may start, at most: a build's id is its quarter times this plus its place in the quarter.
BUILDS_PER_QUARTER_IDS = 100_000


def project_id(model: SovereignModel) -> int:
    """A unique id for a build started now: the quarter times `BUILDS_PER_QUARTER_IDS` plus its place.

    Why not its command-log position: every build applied in a quarter saw the same log, so they
    shared it, and a joint venture names the build it is in (`OfferDeal.project`).
    """
    # the builds started this quarter are the last ones in the pipeline (builds are appended in order)
    started, quarter = 0, model.quarter  # the quarter read once, not once per build passed
    for p in reversed(model.world.projects):
        if p["started"] != quarter or p["id"] < 0:
            break
        started += 1
    return quarter * BUILDS_PER_QUARTER_IDS + started


def apply_orders(model: SovereignModel) -> Bids:
    """Apply queued commands in seat order; return the chip bids for the chip market.

    A bid keeps its cash reserved (it stays in the seat's queue) until the chip market clears.
    """
    bids: Bids = []
    votes: dict[tuple[int, int], dict[str, bool]] = {}
    # the quarter's subsidies are counted from here (`pay_subsidy`) until finance judges them
    model.world.subsidy_owed_busd[:] = 0.0
    model.world.subsidy_paid_busd[:] = 0.0
    pending, model.pending = model.pending, defaultdict(list)
    for seat in model.seat_ids:
        queue = pending.get(seat)
        agent = model.seats.get(seat) if queue else None
        if agent is None or queue is None:
            continue
        reserved = model.pending[seat]
        sure = surely_affordable(model, seat, queue)
        for cmd in queue:
            reason = None if sure else budget_refusal(model, seat, cmd)
            if reason is not None:
                model.log_refused(seat, cmd, reason)
            # ``type() is``: the commands are final classes, and a pydantic model's isinstance is a
            # Python-level check, ~12,000 times a game here (most commands are bids)
            elif type(cmd) is BuyAccelerators:
                bids.append((seat, cmd))
                reserved.append(cmd)
            elif type(cmd) is VoteOnApplication:
                votes.setdefault((model.bloc_ix[cmd.bloc], model.region_ix[cmd.region]), {})[seat] = cmd.accept
            else:
                apply_one(model, agent, cmd)
    model.pending = defaultdict(list)
    decide_applications(model, votes)
    return bids


def decide_applications(model: SovereignModel, votes: dict[tuple[int, int], dict[str, bool]]) -> None:
    """Admit or refuse the applications filed in an earlier quarter, by the members' votes.

    A bloc admits a nation only with its members' consent: more of the members who voted say yes
    than no (a member that did not vote abstains; a bloc without members admits anyone). An
    application filed this quarter waits for next quarter, so human members have a quarter to
    vote and AI members decide with the application in view (`policy.decide.bloc_vote`).
    """
    w, sc = model.world, model.scenario
    for b, r in zip(*np.nonzero((w.bloc_application >= 0) & (w.bloc_application < model.quarter)), strict=True):
        cast = votes.get((int(b), int(r)), {})
        yes, no = sum(cast.values()), sum(not v for v in cast.values())
        members = int(w.bloc_member[b].sum())
        admitted = yes > no if members else True
        w.bloc_application[b, r] = -1
        diplomacy.after_votes(model, int(r), [seat for seat, v in cast.items() if not v])
        bloc, nation = sc.blocs[int(b)].name, sc.regions[int(r)].name
        if admitted:
            w.bloc_member[b, r] = True
            model.add_news("policy", f"{bloc} admits {nation} ({yes} for, {no} against)", sc.regions[int(r)].id, None)
        else:
            model.add_news(
                "policy",
                f"{bloc} refuses {nation}'s application ({yes} for, {no} against)",
                sc.regions[int(r)].id,
                None,
            )


def build_quarters(model: SovereignModel, cmd: Command) -> int | None:
    """Quarters from the order to operation of a build command (None for other commands)."""
    sc, w = model.scenario, model.world
    if isinstance(cmd, BuildDatacenter):
        permits = int(w.permitting_quarters[model.region_ix[cmd.region]])
        hall = econ.datacenter_build_quarters(sc, permits)
        return max(hall, sc.grid.onsite_build_quarters + permits) if cmd.onsite else hall
    if isinstance(cmd, BuildPlant):
        return econ.plant_build_quarters(
            sc,
            cmd.technology,
            int(w.permitting_quarters[model.region_ix[cmd.region]]),
            model.economy.turbine_backlog_gw,
        )
    if isinstance(cmd, BuildFab):
        return econ.fab_build_quarters(sc, int(w.permitting_quarters[model.region_ix[cmd.region]]))
    if isinstance(cmd, BuildPackaging):
        return sc.chips.packaging_build_quarters
    return None


def apply_one(model: SovereignModel, agent: SeatAgent, cmd: Command) -> None:
    """Apply one accepted command (not a chip bid) for a seat."""
    # looked up by the command's class: the commands are final classes, and a chain of isinstance
    # checks against unions of pydantic models (each ``A | B`` built anew) cost ~2 us a command
    # (a subclass of a command class is applied as its nearest base class, as isinstance did)
    apply = _APPLY.get(type(cmd)) or next((_APPLY[c] for c in type(cmd).__mro__ if c in _APPLY), None)
    if apply is not None:
        apply(model, agent, cmd)


def _home(model: SovereignModel, agent: SeatAgent) -> int:
    """Row of the seat's home region."""
    return model.region_ix[agent.state["home"]]


def _set_subsidy(model: SovereignModel, agent: SeatAgent, cmd: SetSubsidy) -> None:
    """A nation's subsidy rate on builds at home."""
    model.world.subsidy[_home(model, agent)] = cmd.rate


def _set_localisation(model: SovereignModel, agent: SeatAgent, cmd: SetLocalisation) -> None:
    """A nation enacts or repeals a data-localisation law (news when it changes)."""
    w, home = model.world, _home(model, agent)
    if bool(w.localisation[home]) != cmd.enabled:
        w.localisation[home] = cmd.enabled
        verb = "enacts" if cmd.enabled else "repeals"
        model.add_news("policy", f"{agent.name} {verb} a data-localisation law", agent.state["home"], agent.seat_id)


def _set_security(model: SovereignModel, agent: SeatAgent, cmd: SetSecuritySpending) -> None:
    """A nation's cyber-security spending."""
    model.world.security_busd[_home(model, agent)] = cmd.busd_per_year


def _set_curtailment(model: SovereignModel, agent: SeatAgent, cmd: SetCurtailmentPriority) -> None:
    """Whether a nation curtails datacenters last in a shortage."""
    model.world.dc_last[_home(model, agent)] = cmd.datacenters_last


def _reform_permitting(model: SovereignModel, agent: SeatAgent, cmd: PermittingReform) -> None:
    """A nation pays for a permitting reform: a quarter less to permit each build."""
    w, home = model.world, _home(model, agent)
    model.transfer(agent.seat_id, model.OUTSIDE, model.scenario.economics.permitting_reform_busd, "reform")
    w.permitting_quarters[home] = max(0, int(w.permitting_quarters[home]) - 1)


def _apply_firm_move(agent: SeatAgent, cmd: SetComputePrice | RaiseFunding) -> None:
    """A price floor on the seat's compute (none: sell at the market), or a funding round started."""
    if isinstance(cmd, SetComputePrice):
        if cmd.floor_usd_per_hour:
            agent.state["compute_floor_usd"] = float(cmd.floor_usd_per_hour)
        else:
            agent.state.pop("compute_floor_usd", None)
    else:
        agent.state["raising"] = True
        agent.state["raise_busd"] = cmd.busd


def _apply_controls(model: SovereignModel, agent: SeatAgent, cmd: SetExportControls | SetExportTier) -> None:
    """A chip producer's export caps by tier, or a destination moved to another tier."""
    w, sc, seat = model.world, model.scenario, agent.seat_id
    if isinstance(cmd, SetExportControls):
        cap = np.inf if cmd.cap_h100e is None else cmd.cap_h100e
        w.tier_cap[cmd.tier - 1, model.class_ix[cmd.accelerator]] = cap
        name = sc.accelerators[model.class_ix[cmd.accelerator]].name
        model.add_news("controls", f"{agent.name} sets the tier-{cmd.tier} cap on {name}", None, seat)
    else:
        r = model.region_ix[cmd.region]
        diplomacy.after_tier_change(model, seat, r, int(w.export_tier[r]), cmd.tier)
        w.export_tier[r] = cmd.tier
        model.add_news("controls", f"{agent.name} moves {cmd.region} to export tier {cmd.tier}", cmd.region, seat)


def _apply_deal_move(
    model: SovereignModel, agent: SeatAgent, cmd: OfferDeal | AnswerDeal | BreakDeal | CovertAction
) -> None:
    """An offer recorded, an answer given, a deal broken, or a covert operation run (`.diplomacy`)."""
    if isinstance(cmd, CovertAction):
        diplomacy.covert_operation(model, agent, cmd)
    elif isinstance(cmd, OfferDeal):
        diplomacy.offer(model, agent, cmd)
    elif isinstance(cmd, AnswerDeal):
        diplomacy.answer(model, agent, cmd.deal, cmd.accept)
    else:
        deal = diplomacy.find_deal(model, cmd.deal)
        if deal is not None and deal["status"] == "active":
            diplomacy.break_deal(model, deal, agent.seat_id, "it withdrew")


def _decide(model: SovereignModel, agent: SeatAgent, cmd: Decide) -> None:
    """Answer a pending decision and carry out the chosen option's effects."""
    seat = agent.seat_id
    options = model.pending_decisions.get(seat, {}).pop(cmd.event_id, [])
    if cmd.option >= len(options):  # a second answer to the same event in one quarter
        model.log_refused(seat, cmd, f"event {cmd.event_id} was already decided this quarter")
        return
    chosen = decision_options(model, cmd.event_id)
    model.economy.decisions = [d for d in model.economy.decisions if d["event_id"] != cmd.event_id]
    model.add_news("decision", f"{agent.name} decides: {options[cmd.option]}", agent.state["home"], seat)
    if cmd.option < len(chosen):
        apply_decision(model, agent, chosen[cmd.option])


def apply_decision(model: SovereignModel, agent: SeatAgent, option: DecisionOption) -> None:
    """What a chosen option does: money, a nation's policy settings, stockpiles, events set off."""
    w, seat = model.world, agent.seat_id
    home = model.region_ix[agent.state["home"]]
    if option.cash_busd < 0:
        model.transfer(seat, model.OUTSIDE, -option.cash_busd, "decisions")
    elif option.cash_busd > 0:
        model.transfer(model.OUTSIDE, seat, option.cash_busd, "decisions")
    if agent.kind == "nation":
        if option.security_busd_per_year is not None:
            w.security_busd[home] = option.security_busd_per_year
        if option.subsidy is not None:
            w.subsidy[home] = option.subsidy
    if option.disruption_shield > 0:
        w.disruption_shield[home] = option.disruption_shield
        w.shield_until[home] = model.quarter + option.shield_quarters - 1
    for ev in option.events:
        model.economy.scheduled.append(
            {
                "quarter": model.quarter + ev.after_quarters,
                "kind": ev.kind,
                "region": ev.region,
                "actor": ev.actor,
                "magnitude": ev.magnitude,
                "headline": ev.headline,
                "text": ev.text,
            }
        )


def _apply_bloc_move(model: SovereignModel, agent: SeatAgent, cmd: JoinBloc | LeaveBloc) -> None:
    """Leaving a bloc takes effect at once; joining is an application the members decide next quarter."""
    w, sc, seat = model.world, model.scenario, agent.seat_id
    b, home = model.bloc_ix[cmd.bloc], model.region_ix[agent.state["home"]]
    if isinstance(cmd, JoinBloc):
        w.bloc_application[b, home] = model.quarter
        diplomacy.after_application(model, home, b)
        msg = f"{agent.name} applies to join {sc.blocs[b].name}; its members decide next quarter"
    else:
        w.bloc_member[b, home] = False
        diplomacy.after_leaving(model, home, b)
        msg = f"{agent.name} leaves {sc.blocs[b].name}"
    model.add_news("policy", msg, None, seat)


def _apply_trade_rule(model: SovereignModel, agent: SeatAgent, cmd: SetLicence | SetImportBan | SetEnforcement) -> None:
    """A nation's chip trade rule: a licence, an import ban, or enforcement spending."""
    w, sc, seat = model.world, model.scenario, agent.seat_id
    home = model.region_ix[agent.state["home"]]
    if isinstance(cmd, SetLicence):
        r, g = model.region_ix[cmd.region], model.class_ix[cmd.accelerator]
        name, where = sc.accelerators[g].name, sc.regions[r].name
        if cmd.cap_h100e is None:
            if not np.isnan(w.licence_cap[r, g]):
                diplomacy.after_sanction(model, seat, r)
            w.licence_cap[r, g], w.licence_share[r, g] = np.nan, 0.0
            model.add_news("controls", f"{agent.name} revokes the licence for {name} to {where}", cmd.region, seat)
        else:
            w.licence_cap[r, g], w.licence_share[r, g] = cmd.cap_h100e, cmd.revenue_share
            text = f"{agent.name} licenses {cmd.cap_h100e:,.0f} H100e a quarter of {name} to {where}"
            if cmd.revenue_share > 0:
                text += f" for {cmd.revenue_share:.0%} of the sales"
            model.add_news("controls", text, cmd.region, seat)
    elif isinstance(cmd, SetImportBan):
        g = model.class_ix[cmd.accelerator]
        if bool(w.import_ban[home, g]) != cmd.banned:
            w.import_ban[home, g] = cmd.banned
            verb = "bars its firms from buying" if cmd.banned else "allows its firms to buy"
            model.add_news(
                "controls", f"{agent.name} {verb} {sc.accelerators[g].name} chips", agent.state["home"], seat
            )
    elif isinstance(cmd, SetEnforcement):
        w.enforcement_busd[home] = cmd.busd_per_year


def _upgrade(model: SovereignModel, agent: SeatAgent, cmd: UpgradeDatacenter) -> None:
    """Pay for an efficiency upgrade and install it: the hall needs less energy for the same compute."""
    w, sc = model.world, model.scenario
    spec = upgrade_spec(model, cmd.upgrade)
    assert spec is not None  # the validator checked it
    model.transfer(agent.seat_id, model.OUTSIDE, command_cost_busd(model, agent.seat_id, cmd), "capex")
    d = cmd.datacenter
    w.dc_energy[d] *= spec.energy_factor
    w.dc_upgrades[d] |= 1 << sc.efficiency_upgrades.index(spec)
    if w.dc_it_mw[d] >= NEWSWORTHY_MW:
        model.add_news(
            "build",
            f"{agent.name} installs {spec.name} in {w.dc_name[d]}",
            sc.regions[int(w.dc_region[d])].id,
            agent.seat_id,
        )


def _apply_power_move(
    model: SovereignModel, agent: SeatAgent, cmd: SetLargeLoadRules | ExpandGrid | UpgradeDatacenter
) -> None:
    """A power move: a nation's rules for connecting datacenters or network it pays for, an upgrade."""
    w, seat, home = model.world, agent.seat_id, _home(model, agent)
    if isinstance(cmd, UpgradeDatacenter):
        _upgrade(model, agent, cmd)
        return
    if isinstance(cmd, ExpandGrid):
        model.transfer(seat, model.OUTSIDE, command_cost_busd(model, seat, cmd), "grid")
        done = add_network(model, home, cmd.mw_per_year)
        model.add_news(
            "power",
            f"{agent.name} pays for network to connect {cmd.mw_per_year:,.0f} MW more datacenters a year "
            f"from {quarter_label(done)}",
            agent.state["home"],
            seat,
        )
        return
    was = bool(w.moratorium_until[home] > model.quarter)
    w.moratorium_until[home] = MORATORIUM_OPEN_ENDED if cmd.moratorium else -1
    w.onsite_required[home] = cmd.onsite_required
    w.large_load_tariff[home] = cmd.tariff_usd_mwh
    w.min_take_share[home] = cmd.min_take_share
    if was != cmd.moratorium:
        verb = (
            "stops connecting new datacenters to its grid"
            if cmd.moratorium
            else "lifts its moratorium on datacenter connections"
        )
        model.add_news("power", f"{agent.name} {verb}", agent.state["home"], agent.seat_id)


def _start_project(
    model: SovereignModel, agent: SeatAgent, cmd: BuildDatacenter | BuildPlant | BuildFab | BuildPackaging
) -> None:
    """Pay a build's capex (less the host's subsidy) and put the project in the pipeline."""
    w, sc, seat = model.world, model.scenario, agent.seat_id
    r = model.region_ix[cmd.region]
    cost = command_cost_busd(model, seat, cmd)
    model.transfer(seat, model.OUTSIDE, cost, "capex")
    owed = model.subsidy_owed(seat, cmd)
    subsidy = model.pay_subsidy(r, seat, owed) if owed > 0 else 0.0
    delay = build_quarters(model, cmd) or 0
    grid: tuple[float, int, bool] = (0.0, -1, False)
    if isinstance(cmd, BuildDatacenter):
        size, what, detail = cmd.it_mw, f"{cmd.it_mw:,.0f} MW datacenter", ""
        grid = (econ.datacenter_grid_mw(sc, float(w.pue[r]), cmd.it_mw), -1, cmd.onsite)
        if cmd.onsite:
            what += " with its own gas generation"
    elif isinstance(cmd, BuildPlant):
        size, what, detail = cmd.mw, f"{cmd.mw:,.0f} MW {cmd.technology} plant", str(cmd.technology)
        if cmd.technology in sc.grid.turbine_technologies:
            model.economy.turbine_backlog_gw += cmd.mw / 1000.0
        log_plant_order(model, r, cmd.technology, cmd.mw, seat, "command", binding_slice(model, r))
    elif isinstance(cmd, BuildPackaging):
        size, what, detail = cmd.h100e_per_quarter, f"packaging line for {cmd.h100e_per_quarter:,.0f} H100e/quarter", ""
    else:
        size, what, detail = (
            cmd.h100e_per_quarter,
            f"fab for {cmd.h100e_per_quarter:,.0f} H100e/quarter",
            cmd.accelerator,
        )
    name = f"{agent.name}: {what} in {sc.regions[r].name}"
    when = (model.quarter, model.quarter + delay)
    w.projects.append(
        project_record(project_id(model), cmd.kind, seat, cmd.region, size, when, name, detail, (cost, subsidy), grid)
    )
    if (isinstance(cmd, BuildDatacenter) and cmd.it_mw >= NEWSWORTHY_MW) or isinstance(cmd, BuildFab):
        model.add_news("build", f"{agent.name} starts a {what} in {sc.regions[r].name}", cmd.region, seat)


#: What applies each command (`apply_one`); bids and votes are handled by `apply_orders` itself.
_APPLY: dict[type, Callable[[SovereignModel, SeatAgent, Any], None]] = {
    BuildDatacenter: _start_project,
    BuildPlant: _start_project,
    BuildFab: _start_project,
    BuildPackaging: _start_project,
    SetComputePrice: lambda model, agent, cmd: _apply_firm_move(agent, cmd),
    RaiseFunding: lambda model, agent, cmd: _apply_firm_move(agent, cmd),
    OfferDeal: _apply_deal_move,
    AnswerDeal: _apply_deal_move,
    BreakDeal: _apply_deal_move,
    CovertAction: _apply_deal_move,
    SetSubsidy: _set_subsidy,
    SetLocalisation: _set_localisation,
    SetExportControls: _apply_controls,
    SetExportTier: _apply_controls,
    SetLicence: _apply_trade_rule,
    SetImportBan: _apply_trade_rule,
    SetEnforcement: _apply_trade_rule,
    JoinBloc: _apply_bloc_move,
    LeaveBloc: _apply_bloc_move,
    SetSecuritySpending: _set_security,
    SetCurtailmentPriority: _set_curtailment,
    SetLargeLoadRules: _apply_power_move,
    ExpandGrid: _apply_power_move,
    UpgradeDatacenter: _apply_power_move,
    PermittingReform: _reform_permitting,
    Decide: _decide,
}
