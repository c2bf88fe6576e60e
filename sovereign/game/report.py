"""The quarter report: what happened to a seat's actions, its score, its money and its rivals' moves.

Built from the model after a quarter has been played, plus a small `Snapshot` of the seat taken
before it (cash, builds under way, installed chips, deals). Every line is in words a player reads
(names, not ids) and may carry a `Link` to the screen that shows the detail: the markets, the
charts or a region on the map. No pygame here: the desktop game shows it and the classroom can.

What it says is read from figures the model keeps, never guessed: a build's fate from the project
pipeline and the connections table, a chip bid's from the installed stock before and after, a
pillar's cause from the nation's own rows of the two quarters and the quarter's news.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sovereign.game import fmt
from sovereign.game.business import business_book, money_hour, sales_words, valuation_cause
from sovereign.game.words import command_label
from sovereign.scenario.schema import quarter_label
from sovereign.sim.commands import command_from_dict
from sovereign.sim.phases.diplomacy import supplier_and_buyer
from sovereign.sim.phases.metrics import PILLARS

#: News kinds that are a seat's own move (the rest are world events: quakes, heatwaves, booms).
MOVE_KINDS = ("build", "controls", "deal", "decision", "funding", "policy", "power", "covert")
#: How much a kind of move matters to another seat, before where it happens and who makes it.
MOVE_WEIGHT = {"controls": 3.0, "deal": 2.0, "build": 2.0, "covert": 3.0, "power": 1.0, "policy": 1.5}
#: A pillar or index change smaller than this is "about the same" (the index prints 3 decimals).
STEADY = 0.0005
PILLAR_NAMES = {
    "compute_self_reliance": "Compute self-reliance",
    "power_adequacy": "Power adequacy",
    "chip_security": "Chip security",
    "data_governance": "Data governance",
    "cyber_resilience": "Cyber resilience",
}
#: Where each pillar's detail is shown: its market, or its history on the charts.
PILLAR_SCREEN = {
    "compute_self_reliance": "markets",
    "power_adequacy": "markets",
    "chip_security": "charts",
    "data_governance": "charts",
    "cyber_resilience": "charts",
}


@dataclass(frozen=True)
class Link:
    """The screen that shows a line's detail: ``markets``, ``charts`` or ``map`` (with a region id)."""

    screen: str
    region: str | None = None

    @property
    def label(self) -> str:
        """The button's words."""
        return {"markets": "Markets", "charts": "Charts", "map": "Map"}[self.screen]


@dataclass
class ReportLine:
    """One line of the report.

    Attributes:
        text: The headline of the line (an action, a pillar and its change, a payment, a move).
        detail: What happened and why, in a sentence ("" when the headline says it all).
        tone: ``good``, ``bad`` or ``neutral`` (the colour it is drawn in).
        link: The screen with the detail, if any.
        commands: The log entries (command dicts) this line accounts for.
    """

    text: str
    detail: str = ""
    tone: str = "neutral"
    link: Link | None = None
    commands: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class QuarterReport:
    """A seat's report on one played quarter.

    Attributes:
        quarter: Label of the quarter played.
        seat: The seat's id.
        seat_name: Its name.
        nation: Whether the seat is a nation (its score is the sovereignty index).
        actions: The fate of each of the seat's commands, and builds that came online.
        score: The index and each pillar (a firm: valuation, revenue, market share), with causes.
        money: Cash at the start, money in and out by kind, cash at the end.
        rivals: The (at most) three moves by other seats that matter most to the seat.
        warnings: The ways to lose within the scenario's warning horizon (`sovereign.game.outcome`),
            nearest first, each linked to the charts that show the figure.
    """

    quarter: str
    seat: str
    seat_name: str
    nation: bool
    actions: list[ReportLine] = field(default_factory=list)
    score: list[ReportLine] = field(default_factory=list)
    money: list[ReportLine] = field(default_factory=list)
    rivals: list[ReportLine] = field(default_factory=list)
    warnings: list[ReportLine] = field(default_factory=list)

    def sections(self) -> list[tuple[str, list[ReportLine]]]:
        """The report's sections in reading order, with their headings (the warnings last, when any).

        The first four are always there, in this order (the report screen lays them out in two
        columns); the warnings follow only when a loss is near.
        """
        out = [
            ("Your actions", self.actions),
            ("Sovereignty index" if self.nation else "Your firm", self.score),
            ("Money in and out", self.money),
            ("Rival moves and news that matter to you", self.rivals),
        ]
        if self.warnings:
            out.append(("Warning: a way to lose is near", self.warnings))
        return out

    def accounted(self) -> list[dict[str, Any]]:
        """Every command the report accounts for."""
        return [c for line in self.actions for c in line.commands]


@dataclass(frozen=True)
class Snapshot:
    """A seat's figures at the start of a quarter, before it is played.

    Attributes:
        quarter: Index of the quarter about to be played.
        seat: The seat.
        cash_busd: Its cash.
        projects: Its builds under way (copies of the pipeline's records).
        stock: Installed H100e by (region id, accelerator id).
        deals_paid: Money paid so far on each deal it is part of, by deal id.
        compute_sold: Its datacenters' compute sales in the quarter before (H100e sold, average
            spot price or None), for what a price floor did to them; None when it owns none.
    """

    quarter: int
    seat: str
    cash_busd: float
    projects: tuple[dict[str, Any], ...]
    stock: dict[tuple[str, str], float]
    deals_paid: dict[int, float]
    compute_sold: tuple[float, float | None] | None = None


def snapshot(model: Any, seat: str) -> Snapshot:
    """What `quarter_report` compares against: the seat's figures before the quarter is played."""
    w = model.world
    agent = model.seats.get(seat)
    return Snapshot(
        quarter=int(model.quarter),
        seat=seat,
        cash_busd=float(agent.state["cash_busd"]) if agent is not None else 0.0,
        projects=tuple(dict(p) for p in w.projects if p["owner"] == seat),
        stock=_stock(model, seat),
        deals_paid={int(d["id"]): float(d["paid_busd"]) for d in w.deals if seat in (d["proposer"], d["partner"])},
        compute_sold=_compute_sold(model, seat),
    )


def _compute_sold(model: Any, seat: str) -> tuple[float, float | None] | None:
    """(H100e sold, average spot price) of the seat's datacenters in the quarter last played."""
    if seat in model.region_ix or not model.results.played:
        return None
    book = business_book(model, seat)
    return (book.sold_h100e, book.price_usd_per_hour) if book.owns_datacenters else None


def _stock(model: Any, seat: str) -> dict[tuple[str, str], float]:
    """Installed H100e of a seat by (region, class) now."""
    w, sc = model.world, model.scenario
    pos = model.seat_pos.get(seat)
    out: dict[tuple[str, str], float] = {}
    if pos is None or not len(w.dc_owner):
        return out
    mine = np.flatnonzero(w.dc_owner == pos)
    for d in mine.tolist():
        region = sc.regions[int(w.dc_region[d])].id
        for g, a in enumerate(sc.accelerators):
            h = float(w.dc_stock[d, g])
            if h > 0:
                out[(region, a.id)] = out.get((region, a.id), 0.0) + h
    return out


def _names(model: Any) -> dict[str, str]:
    sc = model.scenario
    out = {r.id: r.name for r in sc.regions} | {a.id: a.name for a in sc.accelerators}
    out |= {b.id: b.name for b in sc.blocs}
    out |= {s: a.name for s, a in model.seats.items()}
    return out


def quarter_report(model: Any, seat: str, before: Snapshot | None = None) -> QuarterReport:
    """The report of the quarter just played for a seat.

    Args:
        model: The model after the quarter was played.
        seat: The seat the report is for.
        before: `snapshot` of the seat taken before the quarter was played; without it (a game
            just loaded) the report reads what it can from the model's history.
    """
    played = int(model.quarter) - 1
    if before is not None and (before.quarter != played or before.seat != seat):
        before = None  # a snapshot of another quarter says nothing about this one
    agent = model.seats.get(seat)
    nation = seat in model.region_ix
    report = QuarterReport(
        quarter=quarter_label(played),
        seat=seat,
        seat_name=str(agent.name) if agent is not None else seat,
        nation=nation,
    )
    if not model.metrics.world:
        return report
    report.actions, chips_busd = _actions(model, seat, played, before)
    report.score = _nation_score(model, seat) if nation else _firm_score(model, seat)
    report.money = _money(model, seat, played, before, chips_busd)
    report.rivals = rival_moves(model, seat, played)
    report.warnings = loss_warnings(model, seat)
    return report


def loss_warnings(model: Any, seat: str) -> list[ReportLine]:
    """The ways to lose near the seat (`sovereign.game.outcome.warnings`), as report lines."""
    from sovereign.game.outcome import warnings

    if seat not in model.seats:
        return []
    out = []
    for w in warnings(model, seat):
        when = "now" if w.quarters_left <= 0 else f"in {fmt.quarters(w.quarters_left)}"
        out.append(ReportLine(f"{w.title} {when} if nothing changes", w.text, "bad", Link("charts")))
    return out


# -- actions -------------------------------------------------------------------------------------


def _key(command: dict[str, Any]) -> str:
    return json.dumps(command, sort_keys=True)


def quarter_commands(model: Any, seat: str, played: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """A seat's log entries of a quarter that were played or refused, and the refusals on applying.

    Returns:
        The submissions (accepted ones not withdrawn, and refused ones, in order) and, by command,
        the reason a queued command was refused when the quarter was played.
    """
    from sovereign.persist.replay import without_withdrawn

    label = quarter_label(played)
    log = [c for c in model.command_log if c["seat"] == seat and c["quarter"] == label]
    refused = {_key(c["command"]): str(c["reason"]) for c in log if c.get("stage") == "apply"}
    kept = without_withdrawn({label: [c for c in log if c.get("stage") != "apply"]})[label]
    return [c for c in kept if c.get("stage") == "submit"], refused


def _actions(model: Any, seat: str, played: int, before: Snapshot | None) -> tuple[list[ReportLine], float]:
    """A line per command of the quarter (and per earlier build now online); what chip bids paid, $B."""
    entries, refused = quarter_commands(model, seat, played)
    out: list[ReportLine] = []
    bids: list[tuple[dict[str, Any], ReportLine]] = []
    claimed: set[int] = set()
    for entry in entries:
        cmd_dict = entry["command"]
        cmd = command_from_dict(cmd_dict)
        line = ReportLine(command_label(model, cmd), commands=[cmd_dict])
        out.append(line)
        if not entry["accepted"]:
            line.detail, line.tone = f"Refused: {fmt.in_words(model.scenario, str(entry['reason']))}", "bad"
            continue
        reason = refused.pop(_key(cmd_dict), None)
        if reason is not None:
            line.detail = f"Refused when the quarter was played: {fmt.in_words(model.scenario, reason)}"
            line.tone = "bad"
            continue
        if cmd.kind == "buy_accelerators":
            bids.append((cmd_dict, line))
        elif cmd.kind == "set_compute_price":
            line.detail, line.tone = price_floor_fate(model, seat, before)
            line.link = Link("markets", model.home_of(seat))
        else:
            _fate(model, seat, played, cmd_dict, line, claimed)
    chips_busd = _chip_fills(model, seat, played, bids, before)
    out += _online(model, seat, played, before, claimed)
    out += compute_contract_lines(model, seat, played)
    if not out:
        out.append(ReportLine("You queued no action this quarter", "The Actions tab lists what your role can do."))
    return out, chips_busd


def _fate(  # one short branch per kind of command: read best in one place
    model: Any, seat: str, played: int, cmd: dict[str, Any], line: ReportLine, claimed: set[int]
) -> None:
    """What became of an accepted command that is not a chip bid."""
    kind, names, w = cmd["kind"], _names(model), model.world
    if kind.startswith("build_"):
        project = next(
            (
                p
                for p in w.projects
                if p["owner"] == seat
                and p["kind"] == kind
                and p["region"] == cmd["region"]
                and p["started"] == played
                and id(p) not in claimed
            ),
            None,
        )
        line.link = Link("map", cmd["region"])
        if project is not None:
            claimed.add(id(project))
            line.detail = f"Started: online in {quarter_label(project['done'])}"
            if project["cost_busd"]:
                line.detail += f"; paid {fmt.money(project['cost_busd'] - project['subsidy_busd'])}"
                if project["subsidy_busd"] > 0:
                    line.detail += f" after a {fmt.money(project['subsidy_busd'])} subsidy"
            line.tone = "good"
        else:
            line.detail, line.tone = "Started and already online", "good"
        return
    if kind in ("offer_deal", "answer_deal", "break_deal"):
        line.detail, line.tone = _deal_fate(model, seat, played, cmd)
        return
    if kind == "join_bloc":
        b = model.bloc_ix[cmd["bloc"]]
        home = model.region_ix[model.home_of(seat)]
        if bool(w.bloc_member[b, home]):
            line.detail, line.tone = f"Admitted: you are a member of {names[cmd['bloc']]}", "good"
        else:
            line.detail = "Application filed: the members vote on it next quarter"
        return
    if kind == "decide":
        chosen = [
            n["headline"]
            for n in model.news
            if n["kind"] == "decision" and n["actor"] == seat and n["quarter"] == quarter_label(played)
        ]
        line.detail = f"You chose: {chosen[0].split(': ', 1)[-1]}" if chosen else "Your decision was applied"
        line.tone = "good"
        return
    if kind == "raise_funding":
        line.detail, line.tone = _funding_fate(model, seat)
        return
    if kind == "expand_grid":
        line.detail, line.link = "Paid: the network is being built (see the news)", Link("map", model.home_of(seat))
        return
    if kind in FIXED_FATES:
        line.detail, line.tone = FIXED_FATES[kind]
        return
    line.detail, line.tone = "In force from this quarter", "good"


#: Commands whose fate is the same whenever they are applied: (what happened, tone).
FIXED_FATES = {
    "covert_action": ("Carried out; it may come to light in a later quarter", "neutral"),
    "upgrade_datacenter": ("Installed: the hall needs less energy for the same compute", "good"),
    "vote_on_application": ("Vote cast: counted with the other members' votes", "neutral"),
}


def price_floor_fate(model: Any, seat: str, before: Snapshot | None) -> tuple[str, str]:
    """What a price floor did to the seat's compute sales: the quarter's sales against the one before.

    Read from the seat's business book (`sovereign.game.business`): what sold, at what price, and
    how much of its compute the floor left unsold; "bad" when the floor cost sales and revenue.
    """
    book = business_book(model, seat)
    words = sales_words(book)
    was = before.compute_sold if before is not None else None
    if was is not None and book.owns_datacenters:
        sold0, price0 = was
        then = f"the quarter before {fmt.h100e(sold0)}" + (f" at {money_hour(price0)}" if price0 is not None else "")
        words += f" ({then})"
    floored = book.floor_usd_per_hour is not None and book.priced_out_h100e > 0.01 * max(book.capacity_h100e, 1.0)
    rows = _rows(model.metrics.firms, "firm", seat)[-2:]
    fell = len(rows) == 2 and rows[1]["revenue_busd"] < rows[0]["revenue_busd"]
    return _sentence(words) + ".", "bad" if floored and fell else "neutral"


def compute_contract_lines(model: Any, seat: str, played: int) -> list[ReportLine]:
    """A line per compute contract of the seat served (or broken) in the quarter played.

    "Reserved 50,000 H100e for Frontier Lab at $1.25/H100e-hour: $137M": what the contract
    reserved on the supplier's datacenters and what the buyer paid for it (take or pay), or why
    nothing was reserved.
    """
    from sovereign.sim.economics import HOURS_PER_QUARTER

    names = _names(model)
    out = []
    for d in model.world.deals:
        if d["kind"] != "compute_supply" or seat not in (d["proposer"], d["partner"]):
            continue
        running = d["status"] == "active" and d["start"] <= played
        closed_now = d["status"] in ("ended", "broken") and d["closed"] == played
        if not (running or closed_now):
            continue
        seller, buyer = supplier_and_buyer(d)
        selling = seller == seat
        other = names.get(buyer if selling else seller, "a firm that has left the game")
        qty, price = float(d["last_delivered_h100e"]), float(d["price_usd"])
        if d["status"] == "broken" and qty <= 0:
            by = "you" if d["broken_by"] == seat else names.get(d["broken_by"], "the other side")
            why = f": {d['note']}" if d["note"] else ""
            out.append(ReportLine(f"Compute contract with {other}: broken by {by}{why}", tone="bad"))
            continue
        paid = qty * price * HOURS_PER_QUARTER / 1e9
        if qty <= 0:
            why = d["note"] or "no compute could be reserved for it"
            out.append(ReportLine(f"Compute contract with {other}: nothing reserved", _sentence(why) + ".", "bad"))
            continue
        text = (
            f"Reserved {qty:,.0f} H100e for {other} at ${price:,.2f}/H100e-hour: {fmt.money(paid)}"
            if selling
            else f"{other} reserved {qty:,.0f} H100e for you at ${price:,.2f}/H100e-hour: {fmt.money(paid)}"
        )
        left = int(d["end"]) - played
        term = f"{fmt.quarters(left)} of the contract left" if left > 0 else "the contract has run its term"
        detail = ("Paid to you, take or pay; " if selling else "You paid it, used or not; ") + term
        tone = "good" if selling else "neutral"
        out.append(ReportLine(text, detail + ".", tone, Link("markets", model.home_of(seat))))
    return out


def _funding_fate(model: Any, seat: str) -> tuple[str, str]:
    """Whether a funding round closed, from the firm's rounds raised and failed (two last quarters)."""
    rows = _rows(model.metrics.firms, "firm", seat)[-2:]
    if len(rows) == 2 and rows[1]["rounds_raised"] > rows[0]["rounds_raised"]:
        return "Raised: investors put the money in", "good"
    if len(rows) == 2 and rows[1]["failed_rounds"] > rows[0]["failed_rounds"]:
        return "Investors said no this time", "bad"
    return "Put to investors: the Charts show your cash and valuation", "neutral"


def _deal_fate(model: Any, seat: str, played: int, cmd: dict[str, Any]) -> tuple[str, str]:
    from sovereign.sim.phases.diplomacy import describe, find_deal

    kind = cmd["kind"]
    if kind == "offer_deal":
        deal = next(
            (
                d
                for d in reversed(model.world.deals)
                if d["proposer"] == seat and d["partner"] == cmd["partner"] and d["offered"] == played
            ),
            None,
        )
        if deal is None:
            return "Sent", "neutral"
        if deal["status"] == "active":
            return f"Signed at once: {describe(model, deal)}", "good"
        return f"Sent: {_names(model).get(cmd['partner'], 'they')} answers next quarter (see Diplomacy)", "neutral"
    deal = find_deal(model, int(cmd["deal"]))
    if deal is None:
        return "Applied", "neutral"
    if kind == "break_deal":
        return f"Broken: {describe(model, deal)}", "neutral"
    if deal["status"] in ("active", "ended"):
        return f"Signed: {describe(model, deal)}", "good"
    return f"Rejected: {describe(model, deal)}", "neutral"


def _chip_fills(
    model: Any, seat: str, played: int, bids: list[tuple[dict[str, Any], ReportLine]], before: Snapshot | None
) -> float:
    """How much of each chip bid was delivered, and why not all of it; returns what they paid, $B.

    Delivered = installed stock after the chip market less the stock before (less what chip supply
    deals brought in), shared among the seat's bids for the same class and region in their order.
    A bid pays its round's price: the list price on a contract, the spot price otherwise.
    """
    if not bids:
        return 0.0
    if before is None and played <= model.start_q:  # no stock before the first quarter to compare with
        for cmd, line in bids:
            line.link = Link("markets", cmd["region"])
            line.detail = "Placed on the chip market: the Markets screen shows what was delivered"
        return 0.0
    label = quarter_label(played)
    after: dict[tuple[str, str], float] = {}
    for row in model.metrics.holdings:
        if row["quarter"] == label and row["firm"] == seat:
            after[(row["region"], row["accelerator"])] = (
                after.get((row["region"], row["accelerator"]), 0.0) + row["h100e"]
            )
    start = before.stock if before is not None else _stock_from_history(model, seat, played)
    by_deal: dict[tuple[str, str], float] = {}
    from sovereign.sim.phases.diplomacy import deal_region

    for d in model.world.deals:
        if d["kind"] == "chip_supply" and d["start"] <= played and d["status"] in ("active", "ended", "broken"):
            if (
                supplier_and_buyer(d)[1] == seat
                and d["last_delivered_h100e"] > 0
                and d["closed"] in (-1, played, played + 1)
            ):
                k = (deal_region(model, d), d["accelerator"])
                by_deal[k] = by_deal.get(k, 0.0) + float(d["last_delivered_h100e"])
    got: dict[tuple[str, str], float] = {
        k: max(after.get(k, 0.0) - start.get(k, 0.0) - by_deal.get(k, 0.0), 0.0) for k in {*after, *start}
    }
    chips = model.results.chips
    names = _names(model)
    paid = 0.0
    for cmd, line in bids:
        k = (cmd["region"], cmd["accelerator"])
        g = model.class_ix[cmd["accelerator"]]
        share = min(got.get(k, 0.0), float(cmd["h100e"]))
        got[k] = got.get(k, 0.0) - share
        line.link = Link("markets", cmd["region"])
        wanted = float(cmd["h100e"])
        prices = chips.contract_price if cmd.get("contract") else chips.price
        paid += share * float(prices[g]) / 1e9 if len(prices) > g else 0.0
        if share >= 0.995 * wanted:
            line.detail, line.tone = f"Filled: {fmt.h100e(share)} delivered", "good"
            continue
        why = _short_why(model, seat, cmd, g, names)
        if share < 1.0:
            line.detail, line.tone = f"Not filled: {why}", "bad"
        else:
            line.detail = f"Partly filled: {fmt.h100e(share)} of {fmt.h100e(wanted)} delivered; {why}"
            line.tone = "bad"
        if len(chips.price) > g and not cmd.get("contract"):
            line.detail += f" (the spot price cleared at ${float(chips.price[g]):,.0f})"
    return paid


def _short_why(model: Any, seat: str, cmd: dict[str, Any], g: int, names: dict[str, str]) -> str:
    """Why a chip bid got less than it asked, from the market's own figures."""
    w, chips = model.world, model.results.chips
    pos = model.seat_pos[seat]
    halls = np.flatnonzero((w.dc_owner == pos) & (w.dc_region == model.region_ix[cmd["region"]]))
    if not len(halls):
        return f"you have no datacenter in {names[cmd['region']]} to install them in"
    free_kw = float(np.maximum(w.dc_it_mw[halls] * 1000.0 - w.dc_kw[halls], 0.0).sum())
    if free_kw < 1.0:
        return f"your datacenters in {names[cmd['region']]} are now full"
    if len(chips.price) > g and float(cmd["max_price_usd"]) < float(chips.price[g]) and not cmd.get("contract"):
        return "other buyers bid more than your price limit"
    if len(chips.ordered) > g and float(chips.ordered[g]) > float(chips.sold[g]) + 1.0:
        sold, ordered = fmt.h100e(float(chips.sold[g])), fmt.h100e(float(chips.ordered[g]))
        return f"{names[cmd['accelerator']]} chips were short: the fabs sold {sold} of {ordered} ordered"
    return "export rules or the room in your datacenters capped it"


def _stock_from_history(model: Any, seat: str, played: int) -> dict[tuple[str, str], float]:
    """Installed stock at the start of a quarter from the holdings of the one before (less wear)."""
    keep = 1.0 - 1.0 / model.scenario.demand.accelerator_life_quarters
    label = quarter_label(played - 1)
    out: dict[tuple[str, str], float] = {}
    for row in model.metrics.holdings:
        if row["quarter"] == label and row["firm"] == seat:
            k = (row["region"], row["accelerator"])
            out[k] = out.get(k, 0.0) + row["h100e"] * keep
    return out


def _online(model: Any, seat: str, played: int, before: Snapshot | None, claimed: set[int]) -> list[ReportLine]:
    """Builds ordered in earlier quarters that came online in this one (datacenters: when energised)."""
    label = quarter_label(played)
    out = []
    for row in model.metrics.connections:
        if row["quarter"] == label and row["owner"] == seat and row["requested"] != label:
            wait = (
                f", {fmt.quarters(int(row['queue_quarters']))} of it waiting for the grid"
                if row["queue_quarters"]
                else ""
            )
            out.append(
                ReportLine(
                    _sentence(row["name"].split(": ", 1)[-1]) + ": online",
                    f"Ordered in {row['requested']}; {fmt.quarters(int(row['wait_quarters']))} to power{wait}",
                    "good",
                    Link("map", row["region"]),
                )
            )
    if before is not None:
        under_way = {(p["kind"], p["region"], p["started"], p["size"]) for p in model.world.projects}
        for p in before.projects:
            if p["kind"] == "build_datacenter" or (p["kind"], p["region"], p["started"], p["size"]) in under_way:
                continue
            if p["done"] <= played:
                out.append(
                    ReportLine(
                        _sentence(p["name"].split(": ", 1)[-1]) + ": online",
                        f"Ordered in {quarter_label(p['started'])}",
                        "good",
                        Link("map", p["region"]),
                    )
                )
    return out


# -- score ---------------------------------------------------------------------------------------


def _rows(table: list[dict[str, Any]], key: str, seat: str) -> list[dict[str, Any]]:
    return [r for r in table if r.get(key) == seat]


def _nation_score(model: Any, seat: str) -> list[ReportLine]:
    rows = _rows(model.metrics.nations, "region", seat)
    now = rows[-1]
    prev = rows[-2] if len(rows) >= 2 else None
    ranks = _ranks(model)
    out = []
    rank = ranks.get(seat)
    change = now["sovereignty_index"] - prev["sovereignty_index"] if prev else 0.0
    out.append(
        ReportLine(
            f"Sovereignty index {fmt.index(now['sovereignty_index'])}" + (f" ({_change(change)})" if prev else ""),
            (f"Rank {rank} of {len(ranks)}. " if rank else "") + _index_cause(now, prev),
            _tone(change),
            Link("charts"),
        )
    )
    for p in PILLARS:
        delta = now[p] - prev[p] if prev else 0.0
        out.append(
            ReportLine(
                f"{PILLAR_NAMES[p]} {fmt.index(now[p])}" + (f" ({_change(delta)})" if prev else ""),
                pillar_cause(model, seat, p, now, prev),
                _tone(delta),
                Link(PILLAR_SCREEN[p], seat if PILLAR_SCREEN[p] == "markets" else None),
            )
        )
    return out


def _ranks(model: Any) -> dict[str, int]:
    latest: dict[str, float] = {}
    last = model.metrics.nations[-1]["quarter"] if model.metrics.nations else ""
    for r in model.metrics.nations:
        if r["quarter"] == last:
            latest[r["region"]] = r["sovereignty_index"]
    order = sorted(latest, key=lambda k: -latest[k])
    return {k: i + 1 for i, k in enumerate(order)}


def _change(delta: float) -> str:
    return "no change" if abs(delta) < STEADY else fmt.signed(delta)


def _tone(delta: float) -> str:
    return "neutral" if abs(delta) < STEADY else ("good" if delta > 0 else "bad")


def _index_cause(now: dict[str, Any], prev: dict[str, Any] | None) -> str:
    if prev is None:
        return "Your first quarter: the changes start next quarter."
    moves = sorted(((now[p] - prev[p], p) for p in PILLARS), key=lambda x: -abs(x[0]))
    moved = [(d, p) for d, p in moves if abs(d) >= STEADY]
    if not moved:
        return "No pillar moved."
    d, p = moved[0]
    return f"Mostly {PILLAR_NAMES[p].lower()}, {'up' if d > 0 else 'down'} {abs(d):.3f}."


def pillar_cause(model: Any, seat: str, pillar: str, now: dict[str, Any], prev: dict[str, Any] | None) -> str:
    """Why a pillar moved, in words, from the nation's rows of the two quarters and the news."""
    if prev is None:
        return ""
    delta = now[pillar] - prev[pillar]
    if abs(delta) < STEADY:
        return "About the same as last quarter."
    up = delta > 0
    news = [n for n in model.news if n["quarter"] == now["quarter"]]
    if pillar == "compute_self_reliance":
        dem0, dem1 = prev["compute_demand_h100e"], now["compute_demand_h100e"]
        sold0, sold1 = prev["compute_sold_h100e"], now["compute_sold_h100e"]
        if abs(sold1 - sold0) > 0.02 * max(sold0, 1.0) or abs(dem1 - dem0) > 0.02 * max(dem0, 1.0):
            return (
                f"Datacenters in your country sold {fmt.h100e(sold1)} of compute for a demand at home of "
                f"{fmt.h100e(dem1)} (last quarter {fmt.h100e(sold0)} for {fmt.h100e(dem0)})."
            )
        return (
            "Trust in the nations whose datacenters serve you moved."
            if not up
            else "More of your demand ran at home or with trusted partners."
        )
    if pillar == "power_adequacy":
        c0, c1 = prev["dc_curtailed_share"], now["dc_curtailed_share"]
        m0, m1 = prev["reserve_margin"], now["reserve_margin"]
        if abs(c1 - c0) > 0.005:
            return f"Datacenters were curtailed {fmt.pct(c1)} of the time they wanted power (was {fmt.pct(c0)})."
        return f"The reserve margin went from {fmt.pct(m0)} to {fmt.pct(m1)}."
    if pillar == "chip_security":
        hits = [n["headline"] for n in news if n["kind"] in ("fab_disruption", "supply_threat", "export_escalation")]
        if hits and not up:
            return f"In the news: {hits[0]}."
        c0, c1 = prev["compute_capacity_h100e"], now["compute_capacity_h100e"]
        if abs(c1 - c0) > 0.02 * max(c0, 1.0):
            return f"Installed chips went from {fmt.h100e(c0)} to {fmt.h100e(c1)}, and with them where they come from."
        return "Trust in the nations that make your chips moved."
    if pillar == "data_governance":
        if now["localisation"] != prev["localisation"]:
            return "Your data-localisation law " + ("came into force." if now["localisation"] else "was repealed.")
        return "A different share of regulated demand was served at home."
    hits = [n["headline"] for n in news if n["kind"] == "cyber_incident" and n["region"] == seat]
    if hits:
        return f"In the news: {hits[0]}."
    s0, s1 = prev["security_busd"], now["security_busd"]
    if abs(s1 - s0) > 1e-9:
        return f"Cyber security spending went from {fmt.money(s0)} to {fmt.money(s1)} a year."
    return "Past incidents fade, and the threat grows with the economy."


def _firm_score(model: Any, seat: str) -> list[ReportLine]:
    rows = _rows(model.metrics.firms, "firm", seat)
    if not rows:
        return [ReportLine("Your firm has left the game")]
    now = rows[-1]
    prev = rows[-2] if len(rows) >= 2 else None
    out = []
    for key, name, show in (
        ("valuation_busd", "Valuation", fmt.money),
        ("revenue_busd", "Revenue this quarter", fmt.money),
        ("market_share", "Market share", fmt.pct),
        ("compute_h100e", "Compute you own", fmt.h100e),
    ):
        delta = now[key] - prev[key] if prev else 0.0
        was = f" (was {show(prev[key])})" if prev and abs(delta) > 1e-9 else ""
        line = ReportLine(f"{name} {show(now[key])}{was}", tone=_tone(delta), link=Link("charts"))
        out.append(line)
    out[0].detail = valuation_cause(model, seat) or "Revenue, cash and growth set what investors think it is worth."
    out[1].detail = f"Profit {fmt.money(now['profit_busd'])} after running costs."
    sold = sum(
        float(row["h100e"])
        for row in model.metrics.holdings
        if row["quarter"] == now["quarter"] and row["firm"] == seat
    )
    out[3].detail = f"Installed in your datacenters: {fmt.h100e(sold)}."
    out[3].link = Link("markets")
    return out


# -- money ---------------------------------------------------------------------------------------


def _money(model: Any, seat: str, played: int, before: Snapshot | None, chips_busd: float) -> list[ReportLine]:
    """Cash at the start and end, and the payments the model's figures name; the rest in one line."""
    agent = model.seats.get(seat)
    if agent is None:
        return []
    label = quarter_label(played)
    end = float(agent.state["cash_busd"])
    start = before.cash_busd if before is not None else _cash_from_history(model, seat, played)
    lines: list[tuple[str, float, str]] = []  # (what, +in / -out, why)
    if seat in model.region_ix:
        row = _rows(model.metrics.nations, "region", seat)[-1]
        share = model.scenario.regions[model.region_ix[seat]].ai_budget_share
        lines.append(("State AI budget", float(row["gdp_busd"]) * share / 4.0, "your share of GDP for AI"))
        lines.append(
            (
                "Cyber security",
                -float(agent.state.get("security_paid_busd", 0.0)) / 4.0,
                "a quarter of the yearly spending",
            )
        )
        years = model.scenario.finance.budget_carryover_years
        if years is not None:
            lines.append(
                (
                    "Returned to the treasury",
                    -float(agent.state.get("lapsed_busd", 0.0)),
                    f"budget left unspent beyond {years:g} years of it lapses",
                )
            )
    else:
        row = _rows(model.metrics.firms, "firm", seat)[-1]
        contracts = business_book(model, seat).contract_revenue_busd if model.results.played else 0.0
        sold = "compute, chips and services sold" + (
            f", of which compute contracts {fmt.money(contracts)}" if contracts > 0 else ""
        )
        lines.append(("Sales", float(row["revenue_busd"]), sold))
        lines.append(
            (
                "Running costs",
                -(float(row["revenue_busd"]) - float(row["profit_busd"])),
                "power, operations, chip production",
            )
        )
    capex = sum(
        p["cost_busd"] - p["subsidy_busd"]
        for p in model.world.projects
        if p["owner"] == seat and p["started"] == played
    )
    if capex:
        lines.append(("Builds started", -capex, "capital cost less subsidies"))
    if chips_busd:
        lines.append(("Chips bought", -chips_busd, "the chips your bids got, at the price their round cleared"))
    if before is not None:
        for d in model.world.deals:
            paid = float(d["paid_busd"]) - before.deals_paid.get(int(d["id"]), 0.0)
            if paid > 0 and seat in (d["proposer"], d["partner"]):
                pay = float(d["payment_busd_per_quarter"])
                payer = d["partner"] if pay > 0 else d["proposer"]
                if d["kind"] == "datacenter_sale":  # the buyer pays the price, once
                    payer = supplier_and_buyer(d)[1]
                lines.append(("Deal payments", -paid if payer == seat else paid, "money agreed in a deal"))
    out = [
        ReportLine(f"Cash at the start: {fmt.money(start)}" if start is not None else "Cash at the start: not known")
    ]
    home = model.home_of(seat)
    #: Where a payment's detail is shown: what sold and at what price, where the builds stand.
    links = {"Sales": Link("markets", home), "Chips bought": Link("markets", home), "Builds started": Link("map", home)}
    for what, amount, why in lines:
        if abs(amount) < 1e-6:
            continue
        verb = "in" if amount > 0 else "out"
        out.append(
            ReportLine(
                f"{what}: {fmt.money(abs(amount))} {verb}",
                _sentence(why),
                "good" if amount > 0 else "bad",
                links.get(what),
            )
        )
    if start is not None:
        rest = end - start - sum(a for _, a, _ in lines)
        if abs(rest) >= 0.005:
            verb = "in" if rest > 0 else "out"
            why = (
                "subsidies paid to builders, enforcement, decisions, deals and other payments"
                if seat in model.region_ix
                else "compute bought, interest, borrowing, dividends, funding, deals and other payments"
            )
            out.append(
                ReportLine(
                    f"Everything else: {fmt.money(abs(rest))} {verb}", _sentence(why), "good" if rest > 0 else "bad"
                )
            )
    change = (
        f" ({'+' if start is not None and end >= start else '-'}{fmt.money(abs(end - start))})"
        if start is not None
        else ""
    )
    out.append(ReportLine(f"Cash at the end of {label}: {fmt.money(end)}{change}", link=Link("charts")))
    return out


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _cash_from_history(model: Any, seat: str, played: int) -> float | None:
    label = quarter_label(played - 1)
    if seat in model.region_ix:
        rows = [r for r in model.metrics.nations if r["region"] == seat and r["quarter"] == label]
        return float(rows[-1]["budget_busd"]) if rows else None
    rows = [r for r in model.metrics.firms if r["firm"] == seat and r["quarter"] == label]
    return float(rows[-1]["cash_busd"]) if rows else None


# -- rivals --------------------------------------------------------------------------------------


def _build_size(model: Any, actor: str, played: int, region: str | None) -> float:
    """Extra weight of a build by its size: a fab changes everyone's chip supply; a datacenter by its MW."""
    sizes = [
        (p["kind"], p["size"])
        for p in model.world.projects
        if p["owner"] == actor and p["started"] == played and p["region"] == region
    ]
    if any(kind == "build_fab" for kind, _ in sizes):
        return 1.5
    return min(1.5, max((size for kind, size in sizes if kind == "build_datacenter"), default=0.0) / 1000.0)


def rival_moves(model: Any, seat: str, played: int, n: int = 3) -> list[ReportLine]:
    """The quarter's moves by other seats (and news abroad) that matter most to a seat, most relevant first.

    Relevance: what kind of move it is (export controls and covert operations weigh most; a world
    event least), then whether it happens in the seat's home region, is made by a seat from there,
    comes from a nation the seat's nation shares a bloc with or distrusts.
    """
    label = quarter_label(played)
    home = model.home_of(seat)
    me = model.region_ix[home]
    w, d = model.world, model.scenario.diplomacy
    rival = (d.trust_neutral + d.trust_rivals) / 2  # as the Diplomacy screen reads trust
    scored = []
    for k, item in enumerate(model.news):
        if item["quarter"] != label:
            continue
        actor = item.get("actor")
        if actor == seat or (actor is None and item.get("region") == home):
            continue  # your own move, or news at home (the pillars' causes cite it)
        actor_home = model.home_of(actor) if actor is not None else item.get("region")
        them = model.region_ix.get(actor_home, me) if actor_home is not None else me
        # a seat's move first; a world event (a quake, a funding winter) when few seats moved
        score = MOVE_WEIGHT.get(item["kind"], 1.0) if item["kind"] in MOVE_KINDS else 0.5
        why: list[str] = []
        if item["kind"] == "build" and actor is not None:
            size = _build_size(model, actor, played, item.get("region"))
            score += size
            if size >= 1.0:
                why.append("a big build: more supply for everyone, more competition for you")
        if item.get("region") == home:
            score += 3.0
            why.append("it happens in your country")
        if actor_home == home and actor is not None:
            score += 2.0
            why.append("made by a seat at home")
        if them != me:
            nation = model.scenario.regions[them].name
            shared = np.flatnonzero(w.bloc_member[:, me] & w.bloc_member[:, them])
            if len(shared):
                score += 1.0
                why.append(f"{nation} is with you in {model.scenario.blocs[int(shared[0])].name}")
            if float(w.trust[me, them]) <= rival:
                score += 1.5
                why.append(f"your nation counts {nation} as a rival")
        scored.append((-score, k, item, why))
    scored.sort(key=lambda x: (x[0], x[1]))
    out = []
    for _, _, item, why in scored[:n]:
        region = item.get("region") or (model.home_of(item["actor"]) if item.get("actor") else None)
        link = Link("map", region) if region in model.region_ix else None
        detail = " ".join(
            part for part in (str(item.get("text") or ""), _sentence("; ".join(why)) + "." if why else "") if part
        )
        out.append(ReportLine(str(item["headline"]), detail, "neutral", link))
    if not out:
        out.append(ReportLine("No rival moved and nothing happened abroad that concerns you this quarter"))
    return out
