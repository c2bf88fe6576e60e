"""One policy per kind of seat: what an AI-run nation, conglomerate, cloud, fab or lab orders.

Each function takes the seat's Mesa agent and returns commands; the model checks and applies
them like a player's. Numbers they use are the scenario's ``policy`` rules of thumb and the
difficulty level's handicaps (`sovereign.sim.policy.difficulty`); the expected margins come from
the investor view, which uses the phases' own economics.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sovereign.sim import economics as econ
from sovereign.sim.commands import (
    MAX_BID_H100E,
    MAX_BID_PRICE_USD,
    MAX_BUILD_H100E_PER_QUARTER,
    MAX_GRID_MW_PER_YEAR,
    MAX_PLANT_MW,
    MAX_SECURITY_BUSD_PER_YEAR,
    BuildDatacenter,
    BuildFab,
    BuildPackaging,
    BuildPlant,
    Command,
    Decide,
    ExpandGrid,
    PermittingReform,
    RaiseFunding,
    SetCurtailmentPriority,
    SetLocalisation,
    SetSecuritySpending,
    SetSubsidy,
    UpgradeDatacenter,
    VoteOnApplication,
    buy_accelerators,
    buy_accelerators_in_bounds,
    decision_options,
    upgrade_spec,
)
from sovereign.sim.phases.diplomacy import below_floor
from sovereign.sim.phases.grid import best_firm_technology
from sovereign.sim.policy.chip_bids import chip_bid_rows
from sovereign.sim.policy.deals import propose_compute_contract, propose_pact, propose_power_contract
from sovereign.sim.policy.view import investor_margins, investor_view, seat_projects
from sovereign.sim.world import TECHNOLOGIES

if TYPE_CHECKING:
    from sovereign.scenario.schema import Scenario, Technology
    from sovereign.sim.agents import SeatAgent
    from sovereign.sim.model import SovereignModel


def invest(agent: SeatAgent, cash_share: float) -> list[Command]:
    """Build datacenters where returns are best, and fill them with accelerators.

    Everything that is the same for every investor (margins by region, candidate regions,
    free space by seat) comes from the quarter's `investor_view`, as plain Python lists: the
    per-seat part is a few dozen float operations, which Python does faster than numpy on
    arrays this small.
    """
    m, sc = agent.model, agent.model.scenario
    rules = sc.policy
    v = investor_view(m)
    p = agent.params
    cmds: list[Command] = []
    home = m.region_ix[agent.state["home"]]
    n_r = len(m.region_ix)
    me = m.seat_pos[agent.seat_id]
    free_by_region = v["free_by_seat"].get(me, {})  # region -> free kW, where there is any
    # one draw for both uses: n_r for the regions' scores, then one per bid slot of each region
    # with free space
    slot_counts = [len(v["bid_slots"][r]) for r in free_by_region]
    draws = agent.noises(n_r + sum(slot_counts), p["noise"])
    noise = draws.tolist()
    # candidate regions: home, allies, and tier-2 markets (tier-1 firms avoid tier-3 hosts)
    cand = (home,) if agent.kind == "nation" else v["firm_candidates_list"][home]
    cls = v["class_for_list"][home]
    kw_new = v["kw_new_list"][cls]
    margin = investor_margins(m, p["lag"], view=v)[cls]
    # where others' halls already cover a region's own demand, its scarcity premium will not last
    margin_covered = investor_margins(m, p["lag"], covered=True, view=v)[cls]
    premium_room = v["premium_room_kw_list"]
    # the best candidate (like numpy's argmax over scores that are -inf off the candidates:
    # the first maximum, or the first NaN)
    best, best_score = 0, -math.inf
    for r in cand:
        mr = margin[r] if premium_room[r] > 0.0 else margin_covered[r]
        score = ((mr + rules.home_bias_usd_per_hour) if r == home else mr) * noise[r]
        if score > best_score:
            best, best_score = r, score
        elif score != score:
            best, best_score = r, score
            break
    # the MW wanted for the world's (or the nation's) demand is the same in every region: found once,
    # then raised where a host subsidises (`_wanted_in`)
    base_mw = _build_wanted(agent, v, p, home, kw_new)
    choice = (best, best_score, _wanted_in(agent, v, p, best, base_mw))
    best, best_score, want_mw = _or_subsidised_site(agent, v, p, cand, home, margin, noise, base_mw, choice)
    min_mw, max_mw = rules.datacenter_mw
    cmds.extend(_upgrade_order(agent, v["upgrade_by_seat"].get(me), cash_share))
    if best_score > 0 and want_mw >= min_mw:
        # a hall is paid for with the chips that fill it: sized to what the investor can pay for both
        # (the chips at list, net of the host's subsidy), not the shell alone. Sized by the shell, cash-
        # short investors built campuses they could not fill: in one baseline game (seed 31) China's
        # clouds had 2.6-2.8M H100e of empty halls in 2027-29 and no cash left for chips, so a fifth to a
        # third of the domestic output went unsold and its fabs stopped expanding, while Huawei's 2025-26
        # output is short of China's own demand (CALIBRATION 8, 13)
        fill = v["class_for_list"][best]
        chips_per_mw = econ.KW_PER_MW / v["kw_new_list"][fill] * v["list_price_list"][fill] / 1e9
        cost_per_mw = (v["capex_per_kw"][best] / 1e6 + chips_per_mw) * (1.0 - v["subsidy_list"][best])
        # where chip imports are capped, no bigger than the halls the caps can fill (less what
        # others ordered there before this investor, this quarter)
        room_mw = v["room_kw_list"][best] / econ.KW_PER_MW
        mw = min(want_mw, max_mw, room_mw, agent.cash_busd * cash_share / max(cost_per_mw, 1e-9))
        if mw >= min_mw:
            onsite = bool(v["onsite_list"][best])
            cmds.append(BuildDatacenter(region=sc.regions[best].id, it_mw=round(float(mw), 1), onsite=onsite))
            v["room_kw_list"][best] = room_mw * econ.KW_PER_MW - round(float(mw), 1) * econ.KW_PER_MW
            premium_room[best] -= round(float(mw), 1) * econ.KW_PER_MW
    # buy accelerators for free space, region by region: the best class allowed there takes
    # most of the space, the next allowed class the rest (`investor_view`'s "bid_slots"), so
    # capped buyers still grow and older classes keep a market while they are made
    if free_by_region:
        cmds.extend(_chip_bids(agent, v, draws[n_r:]))
    return cmds


def _chip_bids(agent: SeatAgent, v: dict[str, Any], noise: np.ndarray) -> list[Command]:
    """An investor's orders for accelerators to fill its free space (`invest`), one misjudgement per bid slot.

    `noise` holds the investor's misjudgement factors for its bid slots, in order. The loop over the
    slots (some 250 bids a quarter, more slots) is compiled (`chip_bids.chip_bid_rows`, the rules'
    home): here only what is the same for all of the investor's bids is worked out, and the bids'
    fields made into commands.
    """
    sc, me = agent.model.scenario, agent.model.seat_pos[agent.seat_id]
    rules = sc.policy
    cash = agent.cash_busd
    budget = min(cash * rules.chip_budget_share * v["stockpile_budget"], cash)
    util = v["util_list"][me]
    lo, hi = rules.bid_premium
    premium = min(hi, max(lo, 0.95 + rules.bid_premium_per_utilisation * (util - 0.7)))  # pay up when busy
    # clouds place part of each order as a long-term allocation contract at list price
    contract_share = sc.chips.contract_share if agent.kind == "cloud" else 0.0
    first = v["free_start_by_seat"][me]  # where its regions with free space start
    rows = chip_bid_rows(
        v["bid_slot_table"],
        v["bid_slot_start"],
        v["free_regions"],
        v["free_kw"],
        first,
        first + len(v["free_by_seat"][me]),
        v["free_kw_by_region_array"],
        v["subsidy_array"],
        noise,
        budget,
        premium,
        contract_share,
        sc.chips.contract_min_h100e,
        # (an order is named in tenths of an H100e: a smaller one is none)
        max(rules.min_order_h100e, 0.1),
        # a buyer orders chips for a tranche of its free space each quarter (lead times of two to
        # four quarters), not for all of it at once; a capped volume is bid for whole
        sc.chips.order_share_per_quarter,
        MAX_BID_PRICE_USD,  # the command's bounds
        MAX_BID_H100E,
    ).tolist()
    slot_class, slot_region = v["bid_slot_class"], v["bid_slot_region"]
    cmds: list[Command] = []
    for row, contract, qty, price, raw_qty, raw_price in rows:
        s = int(row)
        # the bids' fields are within the command's bounds by construction, so they are made without
        # the validator (`buy_accelerators_in_bounds`): a price of at least a cent and at most the
        # command's bound (`chip_bid_rows`; a contract's list price is at most that too, the scenario's
        # bound on a list price that only falls), a volume of at least the least order (>= 0.1) and at
        # most the command's bound, each rounded, which keeps a value within bounds that are themselves
        # round; strings and a bool. Only a NaN price (a bug upstream) passes the kernel's comparisons:
        # it goes to the validator, which refuses it
        make = buy_accelerators_in_bounds if raw_price == raw_price else buy_accelerators
        cmds.append(
            make(
                slot_class[s],
                qty if qty == qty else round(raw_qty, 1),  # NaN: a tie the builtin rounds (`rounded`)
                price if price == price else round(raw_price, 2),
                slot_region[s],
                contract == 1.0,
            )
        )
    return cmds


def _or_subsidised_site(
    agent: SeatAgent,
    v: dict[str, Any],
    p: dict[str, Any],
    cand: Any,
    home: int,
    margin: list[float],
    noise: Any,
    base_mw: float,
    choice: tuple[int, float, float],
) -> tuple[int, float, float]:
    """Where a firm with nothing to build for the world's demand builds for a host's subsidy, if anywhere.

    `choice` is the best region by margin, its score and the MW wanted there; returned as it is
    when it gives something to build, when the investor is a nation, or when no subsidised
    candidate with room left earns a margin; otherwise the subsidised site, its score and MW
    (`base_mw`, the MW wanted before any subsidy, raised there by `_wanted_in`).

    Why: a host's subsidy draws halls for its own unmet demand (`_wanted_in`), but only the best
    region by margin was looked at, so a subsidy in a region that ranked second to an unsubsidised
    one drew nothing while the world's pipeline covered the world's demand: Japan's 50% subsidy
    from 2026Q1 drew its first hall in 2027, when the world's gap opened, and its halls were
    energised after 2030 (14 quarters of permits and building). A firm now looks at the best
    subsidised candidate whose own demand is short (same score, same misjudgement) when the best
    region gives it nothing to build; the host's scheme (METI's 2024 GPU-cloud grants drew five
    in-country projects within a year, Impress Watch) is what makes that site worth it.
    """
    rules = agent.model.scenario.policy
    if choice[2] >= rules.datacenter_mw[0] or agent.kind == "nation":
        return choice
    premium_room = v["premium_room_kw_list"]
    site, site_score = -1, 0.0
    for r in cand:
        if v["subsidy_list"][r] > 0.0 and premium_room[r] > 0.0:
            score = ((margin[r] + rules.home_bias_usd_per_hour) if r == home else margin[r]) * noise[r]
            if score > site_score:
                site, site_score = r, score
    if site < 0:
        return choice
    return site, site_score, _wanted_in(agent, v, p, site, base_mw)


def _build_wanted(agent: SeatAgent, v: dict[str, Any], p: dict[str, Any], home: int, kw_new: float) -> float:
    """MW of halls an investor wants to order this quarter, before a host's subsidy, its cash and the room.

    A firm takes its share (by its fleet, at least 2%) of the gap between the world's demand ahead
    and the capacity in the pipeline; a nation's programme sizes itself to its own untrusted
    demand. The same in every region (`_wanted_in` adds what a host's subsidy draws).
    """
    m, rules = agent.model, agent.model.scenario.policy
    if agent.kind == "nation":
        # a sovereign programme sizes itself to the nation's own untrusted demand, not the world's
        pillars = m.results.pillars
        demand = v["demand_by_region"][home]
        trusted = float(pillars["compute_self_reliance"][home]) if pillars is not None else 0.0
        building = v["building_by_seat"].get(agent.seat_id, 0.0) * econ.KW_PER_MW / kw_new
        want_h100e = demand * (1.0 - trusted) * rules.programme_demand_share - building
    else:
        availability = m.scenario.economics.fleet_availability
        ahead = v["demand_now"] * (1.0 + m.economy.growth) ** (p["horizon_q"] / 4.0)
        gap = ahead / availability - v["fleet"] - (v["space_kw"] + v["building_mw"] * econ.KW_PER_MW) / kw_new
        owned, me = v["owned_stock_list"], m.seat_pos[agent.seat_id]
        mine = owned[me] if me < len(owned) else 0.0
        share = max(mine / max(v["fleet"], 1.0), 0.02)
        want_h100e = gap * share
    return float(max(want_h100e, 0.0) * kw_new / econ.KW_PER_MW * p["invest"])


def _wanted_in(agent: SeatAgent, v: dict[str, Any], p: dict[str, Any], r: int, base_mw: float) -> float:
    """MW of halls a firm wants to order in region `r`: `base_mw`, or more where the host subsidises.

    Where the host subsidises, a firm wants the subsidy's rate of the room that region's own demand
    leaves, if that is more than its share of the world's gap; a nation's programme wants `base_mw`.
    """
    if agent.kind != "nation" and v["subsidy_list"][r] > 0.0:
        # a host that pays a share of the capital makes a hall for its own unmet demand worth building
        # even when the world's pipeline covers the world's demand: METI's April 2024 grants of up to
        # half of five GPU-cloud projects (Y72.5B; Sakura Internet Y50.1B, KDDI Y10.2B; Impress Watch,
        # watch.impress.co.jp/docs/news/1585751.html) drew in-country capacity the global market had
        # not built; up to the subsidy's rate of the room that demand leaves there
        return float(max(base_mw, v["subsidy_list"][r] * v["premium_room_kw_list"][r] / econ.KW_PER_MW * p["invest"]))
    return base_mw


def _upgrade_order(agent: SeatAgent, upgrade: tuple[int, str] | None, cash_share: float) -> list[Command]:
    """A firm's efficiency upgrade this quarter (the investor view's pick), if its cash allows."""
    if upgrade is None or agent.kind == "nation":
        return []
    m = agent.model
    d, uid = upgrade
    spec = upgrade_spec(m, uid)
    cost = float(m.world.dc_it_mw[d]) * spec.capex_musd_per_mw / 1000.0 if spec is not None else float("inf")
    return [UpgradeDatacenter(datacenter=d, upgrade=uid)] if cost < agent.cash_busd * cash_share else []


def nation(agent: SeatAgent) -> list[Command]:
    """Close the weakest sovereignty gaps the budget allows."""
    m, w, sc = agent.model, agent.model.world, agent.model.scenario
    rules = sc.policy
    r = m.region_ix[agent.seat_id]
    reg = sc.regions[r]
    level = agent.difficulty
    p = agent.params
    cmds: list[Command] = []
    pillars = m.results.pillars
    income = m.budget_busd(agent.seat_id) * 4.0  # per year
    exposure = reg.threat_exposure * float(w.gdp_busd[r]) * sc.events.threat_busd_per_gdp
    target = min(p["security"] * exposure, rules.security_income_cap * income, MAX_SECURITY_BUSD_PER_YEAR)
    if abs(target - w.security_busd[r]) > rules.security_adjust_share * max(target, 1e-6):
        cmds.append(SetSecuritySpending(busd_per_year=round(target, 3)))
    for event_id in sorted(m.pending_decisions.get(agent.seat_id, {})):
        cmds.append(Decide(event_id=event_id, option=choose_option(agent, event_id)))
    cmds.extend(_votes(m, r))
    if pillars is None:
        return cmds
    compute = float(pillars["compute_self_reliance"][r])
    short = compute < rules.self_reliance_target
    if p["levers"]:
        fine, low, hard = rules.subsidy_rates
        rate = hard if level == "hard" and compute < 0.6 else (low if short else fine)
        if abs(rate - w.subsidy[r]) > 1e-9:
            cmds.append(SetSubsidy(rate=rate))
        data = float(pillars["data_governance"][r])
        if data < rules.data_governance_target and not w.localisation[r] and reg.export_tier > 1:
            cmds.append(SetLocalisation(enabled=True))
        if level == "hard":
            if not w.dc_last[r]:
                cmds.append(SetCurtailmentPriority(datacenters_last=True))
            if w.permitting_quarters[r] >= 4 and agent.cash_busd > 5 * sc.economics.permitting_reform_busd:
                cmds.append(PermittingReform())
    # keep the lights on: build generation when the peak reserve margin runs thin
    power = m.results.power
    if float(power.reserve_margin[r]) < rules.nation_reserve_margin and power.demand_mw.size:
        # what the slice that binds needs, from the technology that serves it most cheaply
        t, _ = best_firm_technology(m, r, m.utility_allowed[r], sc.grid.plan_horizon_quarters)
        peak = float(power.demand_mw[:, r].max())
        if t >= 0:
            tech = TECHNOLOGIES[t]
            mw = round(
                min(rules.plant_share_of_peak * peak / max(float(m.tech_avail[:, t].max()), 0.05), MAX_PLANT_MW), 1
            )
            if econ.plant_capex_busd(sc, tech, mw) < rules.plant_cash_share * agent.cash_busd and mw > 1:
                cmds.append(BuildPlant(region=agent.seat_id, technology=tech, mw=mw))
    if p["levers"]:
        cmds.extend(_expand_grid(agent, r))
        cmds.extend(propose_pact(agent))
        cmds.extend(propose_power_contract(agent))
    # sovereign compute programme when self-reliance is low
    if short and agent.cash_busd > 1.0:
        cmds.extend(invest(agent, rules.programme_cash_share))
    return cmds


def _expand_grid(agent: SeatAgent, r: int) -> list[Command]:
    """Datacenters queue for years and no network is on order here: pay for more connections."""
    m, w, sc = agent.model, agent.model.world, agent.model.scenario
    rules = sc.policy
    if investor_view(m)["grid_wait_list"][r] <= rules.onsite_wait_quarters:  # computed once a quarter
        return []
    if len(w.network_orders) and bool((w.network_orders[:, 1] == r).any()):
        return []  # the utilities (or an earlier order) are already building network here
    if m.quarter + sc.grid.network_build_quarters + int(w.permitting_quarters[r]) > m.end_q:
        return []  # it would come after the game
    mw_year = round(min(rules.grid_expansion_share * float(w.connection_mw_q[r]) * 4.0, MAX_GRID_MW_PER_YEAR), -1)
    cost = mw_year * sc.grid.network_capex_musd_per_mw / 1000.0
    if mw_year <= 0 or cost >= rules.plant_cash_share * agent.cash_busd:
        return []
    return [ExpandGrid(mw_per_year=mw_year)]


#: Events a nation would not set off on itself (they cost it output, money or growth).
HARMFUL = frozenset({"fab_disruption", "cyber_incident", "export_escalation", "demand_bust", "funding_winter"})


def choose_option(agent: SeatAgent, event_id: int) -> int:
    """An AI nation's answer to a scenario's question: the option worth most to it that it can pay.

    Worth, in $B: the money the option brings (or costs), minus a year of any higher security
    spending, plus the output a disruption shield would save (the shield's share of a quarter of
    the home region's fab output at list prices, times the market's judged chance of a disruption
    there and the scenario's loss in a fab outage, over the shield's quarters). An option that
    sets off a harmful event on the nation itself is a last resort. Easy AI takes the first option.
    Ties go to the earlier option.
    """
    m, w, sc = agent.model, agent.model.world, agent.model.scenario
    options = decision_options(m, event_id)
    if not options or agent.difficulty == "easy":
        return 0
    home = m.region_ix[agent.state["home"]]
    at_home = w.fab_region == home
    output_busd = float((w.fab_capacity[at_home] * m.list_price_now()[w.fab_class[at_home]]).sum()) / 1e9
    best, best_score = 0, -math.inf
    for i, o in enumerate(options):
        if -o.cash_busd > agent.cash_busd:
            continue
        score = o.cash_busd
        if o.security_busd_per_year is not None:
            score -= max(o.security_busd_per_year - float(w.security_busd[home]), 0.0)
        score += (
            o.disruption_shield
            * output_busd
            * float(w.supply_threat[home])
            * sc.events.fab_disruption_loss
            * o.shield_quarters
        )
        if any(e.kind in HARMFUL and (e.region == agent.seat_id or e.actor == agent.seat_id) for e in o.events):
            score -= 1e6
        if score > best_score:
            best, best_score = i, score
    return best


def _votes(m: SovereignModel, r: int) -> list[Command]:
    """A member nation's votes on the applications to its blocs filed last quarter (`bloc_vote`)."""
    due = investor_view(m)["applications"]  # computed once a quarter for every voter
    if not due:
        return []
    w, sc = m.world, m.scenario
    return [
        VoteOnApplication(bloc=sc.blocs[b].id, region=sc.regions[a].id, accept=bloc_vote(m, r, a, [b]))
        for b, a in due
        if w.bloc_member[b, r]
    ]


def bloc_vote(model: SovereignModel, voter: int, applicant: int, blocs: list[int] | None = None) -> bool:
    """An AI member's vote on a nation's application to its bloc: its interest, in three rules.

    Security first: a nation the chip producers' controls treat as a rival (export tier 3) is
    refused. Trust second: an applicant the member trusts less than `diplomacy.vote_min_trust`
    (after sanctions, broken deals, or applying to a rival's bloc) is refused, and so is one whose
    security spending is below the bloc's floor (`blocs`: the blocs applied to). Alignment third: a
    member in the closest tier of allies (tier 1) refuses a nation
    that belongs to a bloc with a tier-3 member, so joining one camp means leaving the other. Any
    other applicant is welcome: a larger alliance brings more allied capacity.
    """
    w = model.world
    if w.export_tier[applicant] == 3:
        return False
    if w.trust[voter, applicant] < model.scenario.diplomacy.vote_min_trust:
        return False
    if blocs is not None and any(bool(below_floor(model, b)[applicant]) for b in blocs):
        return False  # it would not meet the bloc's security floor
    if w.export_tier[voter] == 1:
        rival_blocs = (w.bloc_member & (w.export_tier == 3)[None, :]).any(axis=1)
        if bool((w.bloc_member[:, applicant] & rival_blocs).any()):
            return False
    return True


def conglomerate(agent: SeatAgent) -> list[Command]:
    """Invest where returns and incentives are best; add power where the grid is short."""
    m, sc = agent.model, agent.model.scenario
    cmds = invest(agent, sc.policy.invest_cash_share)
    home = m.region_ix[agent.state["home"]]
    if m.results.power.reserve_margin[home] < sc.policy.firm_reserve_margin and agent.cash_busd > 2:
        t, _ = best_firm_technology(m, home, m.tech_capex > 0, sc.grid.plan_horizon_quarters)
        if t >= 0:
            tech: Technology = TECHNOLOGIES[t]
            lo, hi = sc.policy.firm_plant_mw
            budget_mw = (
                agent.cash_busd * sc.policy.firm_plant_cash_share / sc.technologies[tech].capex_musd_per_mw * 1000
            )
            # a plant of nothing (a scenario's smallest size of 0 MW and no cash) is no command
            mw = round(min(hi, budget_mw, MAX_PLANT_MW), 1)
            if mw >= max(lo, 0.1):
                cmds.append(BuildPlant(region=agent.state["home"], technology=tech, mw=mw))
    return cmds


def cloud(agent: SeatAgent) -> list[Command]:
    """Grow capacity with demand; fill datacenters with the best chips it may buy."""
    return invest(agent, agent.model.scenario.policy.invest_cash_share)


def fab(agent: SeatAgent) -> list[Command]:
    """Expand where the last year's orders went unfilled at a good price: packaging and wafers.

    Buyers' unmet orders are the signal (not a fixed growth rate), so capacity follows demand
    and a glut stops expansion. Packaging lines (a year to build) keep pace with the wafers online
    and due within a year; fabs (three years) add wafers, a new project each quarter while the
    shortfall exceeds what is already being built, up to `policy.fab_pipeline_share` of the
    capacity. Paid from cash.
    """
    m, w, sc = agent.model, agent.model.world, agent.model.scenario
    rules = sc.policy
    me = m.seat_index(agent.seat_id)
    mine = w.fab_owner == me
    if not mine.any():
        return []
    cmds: list[Command] = []
    cls = int(np.bincount(w.fab_class[mine], weights=w.fab_capacity[mine]).argmax())
    chips = m.results.chips
    if not len(chips.ordered):
        return cmds
    # a shortage that lasts, not one quarter's rush: the orders left unfilled over the last year
    recent = [s["chip_unmet"][cls] for s in m.metrics.signals[-4:] if "chip_unmet" in s]
    # their mean: np.mean's own sum and division without its checks, which cost twice the arithmetic
    unmet = float(np.add.reduce(recent) / len(recent)) if recent else 0.0
    supply = float(chips.capacity[cls]) if len(chips.capacity) else float(chips.supply[cls])
    price = float(np.asarray(agent.signal("chip_price"))[cls])
    list_now = investor_view(m)["list_price_list"][cls]  # `list_price_now`, as a list once a quarter
    short = supply > 0 and unmet > (1.0 - rules.fab_sold_out_share) * supply
    # (the misjudgement is drawn only for a short class)
    if not (short and price >= 0.95 * list_now * agent.noise()):
        return cmds
    online = w.fab_online <= m.quarter
    wafers = float((w.fab_capacity * (mine & online)).sum())
    my_share = float((w.fab_capacity * (mine & online & (w.fab_class == cls))).sum()) / max(
        float(chips.wafers[cls]), 1.0
    )
    gap = unmet * my_share * agent.params["invest"]  # my part of the unfilled orders
    # what is already on its way counts against the shortage: a shortage that lasts is answered by
    # more projects, not by waiting for the one under construction (TSMC doubled CoWoS in 2024 and
    # again in 2025, CALIBRATION 8), up to `policy.fab_pipeline_share` of the capacity at once
    capacity = float(w.fab_capacity[mine].sum())
    fab_coming = under_construction(agent, "build_fab")
    if len(w.pkg_capacity):
        lines = (w.pkg_owner == me) & (w.pkg_online <= m.quarter)
        packaging = float(w.pkg_capacity[lines].sum())
        # packaging keeps pace with the wafers online and those due before a new line would be
        # ready (wafers without packaging are not chips; lines for later fabs wait for them)
        due = m.quarter + sc.chips.packaging_build_quarters
        soon = under_construction(agent, "build_fab", by=due)
        need = wafers + soon - packaging - under_construction(agent, "build_packaging")
        size = min(
            need,
            rules.fab_cash_share * agent.cash_busd / max(_pkg_cost_per_h100e(sc), 1e-12),
            MAX_BUILD_H100E_PER_QUARTER,  # a bigger need is met by more lines in the quarters after
        )
        if size > 1000:
            cmds.append(BuildPackaging(region=agent.state["home"], h100e_per_quarter=round(size, 1)))
    room = rules.fab_pipeline_share * capacity - fab_coming
    size = min(gap - fab_coming, rules.fab_expansion_share * capacity, room, MAX_BUILD_H100E_PER_QUARTER)
    if size > 1000:
        cost = econ.fab_capex_busd(sc, size)
        if cost > rules.fab_cash_share * agent.cash_busd:
            size *= rules.fab_cash_share * agent.cash_busd / cost
        if size > 1000:
            cmds.append(
                BuildFab(
                    region=agent.state["home"], accelerator=sc.accelerators[cls].id, h100e_per_quarter=round(size, 1)
                )
            )
    return cmds


def _pkg_cost_per_h100e(sc: Scenario) -> float:
    """Packaging capex per H100e/quarter of capacity, $B."""
    return sc.chips.packaging_capex_busd_per_kh100e_quarter / 1000.0


def under_construction(agent: SeatAgent, kind: str, by: int | None = None) -> float:
    """H100e per quarter of this seat's projects of a kind (``build_fab``, ``build_packaging``) being built.

    With `by` (an absolute quarter index), only those done by then.
    """
    # (a list summed, not a generator: the same numbers in the same order, and a list comprehension
    # runs inline)
    return float(
        sum(
            [
                p["size"]
                for p in seat_projects(agent.model, agent.seat_id)
                if p["kind"] == kind and (by is None or p["done"] <= by)
            ]
        )
    )


def lab(agent: SeatAgent) -> list[Command]:
    """Raise money before it runs out; labs that own datacenters also fill them.

    A round is started when cash covers fewer than ``startups.raise_below_quarters`` quarters of
    spending on compute (growth capital as much as runway), and asks for ``startups.runway_quarters`` of it,
    but no more than tops cash up to ``startups.max_cash_revenue_years`` of revenue (investors
    fund traction: Carta's Series A bar is about $3M ARR, CALIBRATION 10), so a lab's cash stays
    in proportion to its business.
    """
    sc = agent.model.scenario
    cmds: list[Command] = []
    st = agent.state
    spending = float(st.get("paid_q", 0.0))
    if spending > 0 and agent.cash_busd < sc.startups.raise_below_quarters * spending and not st.get("raising"):
        cap = sc.startups.max_cash_revenue_years * 4.0 * st.get("revenue_busd", 0.0) - agent.cash_busd
        ask = min(sc.startups.runway_quarters * spending, cap, 500.0)
        if ask >= 0.001:
            cmds.append(RaiseFunding(busd=round(ask, 3)))
    if agent.model.seat_pos[agent.seat_id] in investor_view(agent.model)["dc_owners"]:  # owns datacenters
        cmds.extend(invest(agent, sc.policy.programme_cash_share))
    cmds.extend(propose_compute_contract(agent))
    return cmds
