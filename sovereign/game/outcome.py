"""Ways to lose before the end, the warnings before them, and the score after the end.

No pygame here: the game screen's tracker, the quarter report, the loss and end screens and
`tools/loss_rates.py` (how often each rule would fire for AI seats) all read these rules.

The losses (limits in the scenario's `defeat` section, `sovereign.scenario.schema.Defeat`):

- **budget crisis** (a nation): its AI budget deeper in the red than ``budget_deficit_quarters``
  of its quarterly budget for ``budget_crisis_quarters`` quarters in a row;
- **index collapse** (a nation): its sovereignty index below ``index_collapse_share`` of its
  first quarter's for ``index_collapse_quarters`` quarters in a row;
- **bankruptcy** (a firm): no cash and debts above ``bankruptcy_debt_years`` of revenue for
  ``bankruptcy_quarters`` quarters in a row, or shut down by the model (a startup that ran out of
  money, a lab buried in debt: `sovereign.sim.phases.finance`);
- **takeover** (a firm): worth less than ``takeover_hardware_share`` of the accelerators it owns
  for ``takeover_quarters`` quarters in a row (a buyer gets its chips for less than they cost);
- **shared loss** (everyone): the scenario's shared risk reached its threshold (the model ends
  the game: `Scenario.shared_risk`).

Each rule is read from the quarters the model recorded (`model.metrics`), so it is a pure function
of the game's history: the same game gives the same losses after a save and a load. Each has a
*margin* per quarter (positive: safe); a quarter with a negative margin counts towards the loss.
A warning is due when a streak has started, or when the last quarter's change of the margin,
continued, crosses zero within ``warning_quarters``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sovereign.game import fmt
from sovereign.game.objectives import ObjectiveResult, evaluate_objectives
from sovereign.scenario.schema import Defeat, Scenario, quarter_index, quarter_label

__all__ = [
    "RULE_NAMES",
    "Loss",
    "LossWarning",
    "RuleStanding",
    "Score",
    "ScorePart",
    "budget_margins",
    "collapse_margins",
    "debt_margins",
    "first_streak",
    "hand_over_losses",
    "loss_of",
    "losses",
    "people_seats",
    "score",
    "standing",
    "takeover_margins",
    "warnings",
]

#: Each rule as players read it.
RULE_NAMES = {
    "budget_crisis": "Budget crisis",
    "index_collapse": "Index collapse",
    "bankruptcy": "Bankruptcy",
    "takeover": "Takeover",
    "shared_loss": "Shared loss",
}


@dataclass(frozen=True)
class Loss:
    """A seat out of the game: which rule, when, and why in words.

    Attributes:
        seat: The seat's id.
        rule: A key of `RULE_NAMES`.
        quarter: Label of the quarter it bit in.
        reason: A sentence for the player ("India's AI budget was more than ... for 3 quarters").
    """

    seat: str
    rule: str
    quarter: str
    reason: str

    @property
    def title(self) -> str:
        """The rule's name."""
        return RULE_NAMES[self.rule]


@dataclass(frozen=True)
class LossWarning:
    """A loss ahead: the rule, the quarters left at this pace, and what to do, in words."""

    seat: str
    rule: str
    quarters_left: int
    text: str

    @property
    def title(self) -> str:
        """The rule's name."""
        return RULE_NAMES[self.rule]


# -- the margins: one number per recorded quarter, negative when the quarter counts -----------------


def budget_margins(rows: Sequence[dict[str, Any]], ai_budget_share: float, rule: Defeat) -> list[float]:
    """A nation's cash above its deficit limit each quarter, $B (negative: beyond the limit).

    Args:
        rows: The nation's rows of `model.metrics.nations`, oldest first (``budget_busd`` is its
            cash, ``gdp_busd`` its GDP).
        ai_budget_share: The region's share of GDP given to AI each year (`Region.ai_budget_share`).
        rule: The scenario's limits.
    """
    out = []
    for r in rows:
        quarterly = float(r["gdp_busd"]) * ai_budget_share / 4.0
        out.append(float(r["budget_busd"]) + rule.budget_deficit_quarters * quarterly)
    return out


def collapse_margins(rows: Sequence[dict[str, Any]], rule: Defeat) -> list[float]:
    """A nation's index above the collapse line (a share of its first quarter's) each quarter."""
    if not rows:
        return []
    line = rule.index_collapse_share * float(rows[0]["sovereignty_index"])
    return [float(r["sovereignty_index"]) - line for r in rows]


def debt_margins(rows: Sequence[dict[str, Any]], rule: Defeat) -> list[float]:
    """A firm's room under its debt line each quarter, $B (negative: no cash and debts past it).

    A firm with cash left is never past the line (its margin is its cash, at least a cent): it can
    still pay. One with none is judged on what it owes against ``bankruptcy_debt_years`` of its
    revenue (this quarter's, times four).
    """
    out = []
    for r in rows:
        cash = float(r["cash_busd"])
        room = rule.bankruptcy_debt_years * 4.0 * float(r["revenue_busd"]) - float(r["debt_busd"])
        out.append(max(cash, 0.01) if cash > 0.01 else room)
    return out


def takeover_margins(rows: Sequence[dict[str, Any]], rule: Defeat) -> list[float]:
    """A firm's value above what a buyer would pay for its accelerators each quarter, $B."""
    price = rule.takeover_hardware_share * rule.takeover_usd_per_h100e / 1e9
    return [float(r["valuation_busd"]) - price * float(r.get("compute_h100e", 0.0)) for r in rows]


def first_streak(margins: Sequence[float], quarters: int) -> int | None:
    """Index of the quarter that completes the first run of `quarters` negative margins (None: none)."""
    run = 0
    for i, m in enumerate(margins):
        run = run + 1 if m < 0 else 0
        if run >= quarters:
            return i
    return None


def _streak_now(margins: Sequence[float]) -> int:
    """Negative margins in a row up to the last quarter."""
    run = 0
    for m in reversed(margins):
        if m >= 0:
            break
        run += 1
    return run


def _quarters_to_cross(margins: Sequence[float]) -> int | None:
    """Quarters until the margin turns negative at the last quarter's pace (None: it does not)."""
    if len(margins) < 2 or margins[-1] < 0:
        return None
    change = margins[-1] - margins[-2]
    if change >= 0:
        return None
    return max(1, math.floor(margins[-1] / -change) + 1)


# -- who is judged on what -----------------------------------------------------------------------


@dataclass
class _Series:
    """One seat's recorded rows and the rules that apply to it."""

    seat: str
    name: str
    quarters: list[str]
    rules: dict[str, tuple[list[float], int]] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    budget_share: float = 0.0


def _by_seat(table: Iterable[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in table:
        out.setdefault(str(r[key]), []).append(r)
    return out


def _series(model: Any, seats: Iterable[str]) -> list[_Series]:
    """The margins of every rule for each seat (nations: budget and index; firms: debt and value)."""
    sc: Scenario = model.scenario
    rule = sc.defeat
    wanted = list(seats)
    out = []
    nations = _by_seat(model.metrics.nations, "region") if any(s in model.region_ix for s in wanted) else {}
    firms = _by_seat(model.metrics.firms, "firm") if any(s not in model.region_ix for s in wanted) else {}
    for seat in wanted:
        if seat in model.region_ix:
            rows = nations.get(seat, [])
            region = sc.regions[model.region_ix[seat]]
            s = _Series(seat, region.name, [r["quarter"] for r in rows], rows=rows, budget_share=region.ai_budget_share)
            s.rules["budget_crisis"] = (budget_margins(rows, region.ai_budget_share, rule), rule.budget_crisis_quarters)
            s.rules["index_collapse"] = (collapse_margins(rows, rule), rule.index_collapse_quarters)
        else:
            rows = firms.get(seat, [])
            name = str(rows[-1]["name"]) if rows else seat
            s = _Series(seat, name, [r["quarter"] for r in rows], rows=rows)
            s.rules["bankruptcy"] = (debt_margins(rows, rule), rule.bankruptcy_quarters)
            s.rules["takeover"] = (takeover_margins(rows, rule), rule.takeover_quarters)
        out.append(s)
    return out


def _reason(model: Any, s: _Series, rule: str, at: int) -> str:
    """Why a rule bit, with the figures of the quarter it bit in."""
    d: Defeat = model.scenario.defeat
    row = s.rows[at]
    if rule == "budget_crisis":
        budget = float(row["gdp_busd"]) * s.budget_share / 4.0
        return (
            f"{s.name}'s AI budget was more than {d.budget_deficit_quarters:g} of a quarter's budget in the red for "
            f"{fmt.quarters(d.budget_crisis_quarters)} in a row ({fmt.money(float(row['budget_busd']))} against a "
            f"quarter's budget of {fmt.money(budget)}): the finance ministry took the programme away"
        )
    if rule == "index_collapse":
        start = float(s.rows[0]["sovereignty_index"])
        return (
            f"{s.name}'s sovereignty index stayed below {fmt.pct(d.index_collapse_share)} of where it started for "
            f"{fmt.quarters(d.index_collapse_quarters)} in a row ({float(row['sovereignty_index']):.3f}, from "
            f"{start:.3f}): the government fell over it"
        )
    if rule == "bankruptcy":
        return (
            f"{s.name} had no cash and owed more than {d.bankruptcy_debt_years:g} years of its revenue for "
            f"{fmt.quarters(d.bankruptcy_quarters)} in a row ({fmt.money(float(row['debt_busd']))} owed, "
            f"{fmt.money(float(row['revenue_busd']))} of revenue a quarter): its creditors took it over"
        )
    chips = float(row.get("compute_h100e", 0.0)) * d.takeover_usd_per_h100e / 1e9
    return (
        f"{s.name} was worth less than the chips it owns for {fmt.quarters(d.takeover_quarters)} in a row "
        f"({fmt.money(float(row['valuation_busd']))}, its chips {fmt.money(chips)}): a rival bought it for its "
        "hardware"
    )


def _shut_down(model: Any, seat: str) -> Loss | None:
    """A firm the model shut down (it is no longer a seat), from the news that said so."""
    if seat in model.seats or seat in model.region_ix:
        return None
    for n in reversed(model.news):
        if n.get("kind") == "failure" and n.get("actor") == seat:
            return Loss(seat, "bankruptcy", str(n["quarter"]), f"{n['headline']}: it can no longer play")
    return Loss(seat, "bankruptcy", quarter_label(model.quarter - 1), "It left the game: it could not pay its way")


def losses(model: Any, seats: Iterable[str] | None = None) -> dict[str, Loss]:
    """The first loss of each seat over the quarters played (seats without one are left out).

    Args:
        model: The model (read only).
        seats: Seats to judge (default: every seat still playing).

    Returns:
        Seat id -> its first loss; the shared loss, when the scenario's shared risk ended the game,
        for every seat that had no earlier one.
    """
    wanted = list(model.seats) if seats is None else list(seats)
    out: dict[str, Loss] = {}
    for seat in wanted:
        gone = _shut_down(model, seat)
        if gone is not None:
            out[seat] = gone
    for s in _series(model, [x for x in wanted if x not in out]):
        first: tuple[int, str] | None = None
        for rule, (margins, quarters) in s.rules.items():
            at = first_streak(margins, quarters)
            if at is not None and (first is None or at < first[0]):
                first = (at, rule)
        if first is not None:
            out[s.seat] = Loss(s.seat, first[1], s.quarters[first[0]], _reason(model, s, first[1], first[0]))
    risk = model.scenario.shared_risk
    if risk is not None and model.economy.shared_loss >= 0:
        when = quarter_label(model.economy.shared_loss)
        for seat in wanted:
            if seat not in out:
                out[seat] = Loss(
                    seat, "shared_loss", when, f"{risk.name} reached {risk.threshold:g}: the game ended for everyone"
                )
    return out


def loss_of(model: Any, seat: str) -> Loss | None:
    """A seat's first loss, if it has one."""
    return losses(model, [seat]).get(seat)


def warnings(model: Any, seat: str) -> list[LossWarning]:
    """The losses ahead of a seat within the scenario's warning horizon, nearest first.

    A rule warns as soon as its streak has started (the quarters left are those still needed), and
    before that when the last quarter's change of its margin, continued, starts a streak within
    ``defeat.warning_quarters``; then it would bite that many quarters plus the streak later.
    The shared risk warns when its last change, continued, reaches the threshold within the horizon.
    """
    if model.done or loss_of(model, seat) is not None:
        return []
    horizon = model.scenario.defeat.warning_quarters
    out: list[LossWarning] = []
    for s in _series(model, [seat]):
        for rule, (margins, quarters) in s.rules.items():
            run = _streak_now(margins)
            if run > 0:  # past the line already: always said, with the quarters still needed
                left = quarters - run
                out.append(LossWarning(seat, rule, left, _warning_text(rule, left, started=True)))
                continue
            cross = _quarters_to_cross(margins)
            if cross is not None and cross <= horizon:
                left = cross + quarters - 1
                out.append(LossWarning(seat, rule, left, _warning_text(rule, cross, started=False)))
    shared = _shared_warning(model, seat, horizon)
    if shared is not None:
        out.append(shared)
    return sorted(out, key=lambda w: (w.quarters_left, w.rule))


def _warning_text(rule: str, quarters: int, started: bool) -> str:
    """What the warning says: how close, and what turns it round."""
    what = {
        "budget_crisis": ("your AI budget is in the red beyond its limit", "your budget goes that deep into the red"),
        "index_collapse": ("your sovereignty index is below the collapse line", "your index falls below the line"),
        "bankruptcy": ("you have no cash and too much debt", "you run out of cash with too much debt"),
        "takeover": ("you are worth less than your chips", "your value falls below that of your chips"),
    }[rule]
    fix = {
        "budget_crisis": "spend less or stop subsidies and running costs",
        "index_collapse": "shore up the weakest pillar",
        "bankruptcy": "raise money or cut spending",
        "takeover": "earn more from what you own, or sell less cheaply",
    }[rule]
    q = "quarter" if quarters == 1 else "quarters"
    if started:
        if quarters <= 0:
            return f"{RULE_NAMES[rule]} now: {what[0]}"
        return f"{RULE_NAMES[rule]} in {quarters} {q} if it goes on: {what[0]}; {fix}"
    return f"{RULE_NAMES[rule]} ahead: at last quarter's pace {what[1]} in {quarters} {q}; {fix}"


def _shared_warning(model: Any, seat: str, horizon: int) -> LossWarning | None:
    risk = model.scenario.shared_risk
    rows = [r for r in model.metrics.world if "shared_risk" in r]
    if risk is None or not rows:
        return None
    margins = [risk.threshold - float(r["shared_risk"]) for r in rows]
    cross = _quarters_to_cross(margins)
    if cross is None or cross > horizon:
        return None
    q = "quarter" if cross == 1 else "quarters"
    return LossWarning(
        seat,
        "shared_loss",
        cross,
        f"Shared loss ahead: at last quarter's pace {risk.name} reaches {risk.threshold:g} in {cross} {q} and "
        "everyone loses; make deals, avoid hostile moves",
    )


@dataclass(frozen=True)
class RuleStanding:
    """Where a seat stands against one way to lose (the goals view lists them).

    Attributes:
        rule: A key of `RULE_NAMES`.
        limit: The rule with its numbers, in words.
        now: The seat's figure against it this quarter, in words.
        streak: Quarters in a row past the line, up to the last one.
        quarters: Quarters in a row that make the loss.
    """

    rule: str
    limit: str
    now: str
    streak: int
    quarters: int

    @property
    def title(self) -> str:
        """The rule's name."""
        return RULE_NAMES[self.rule]


def standing(model: Any, seat: str) -> list[RuleStanding]:
    """Each way a seat can lose, its limit in words and where the seat stands this quarter."""
    d: Defeat = model.scenario.defeat
    out = []
    for s in _series(model, [seat]):
        for rule, (margins, quarters) in s.rules.items():
            run = _streak_now(margins)
            m = margins[-1] if margins else None
            if rule == "budget_crisis":
                limit = (
                    f"AI budget more than {d.budget_deficit_quarters:g} of a quarter's budget in the red for "
                    f"{fmt.quarters(quarters)} in a row"
                )
                now = "" if m is None else f"{fmt.money(abs(m))} {'inside' if m >= 0 else 'beyond'} the limit"
            elif rule == "index_collapse":
                limit = (
                    f"sovereignty index below {fmt.pct(d.index_collapse_share)} of its first quarter's for "
                    f"{fmt.quarters(quarters)} in a row"
                )
                now = "" if m is None else f"{abs(m):.3f} {'above' if m >= 0 else 'below'} the line"
            elif rule == "bankruptcy":
                limit = (
                    f"no cash and debts above {d.bankruptcy_debt_years:g} years of revenue for "
                    f"{fmt.quarters(quarters)} in a row"
                )
                now = "" if m is None else (f"{fmt.money(abs(m))} of room" if m >= 0 else f"{fmt.money(-m)} past it")
            else:
                limit = f"worth less than the chips it owns for {fmt.quarters(quarters)} in a row"
                now = "" if m is None else f"worth {fmt.money(abs(m))} {'more' if m >= 0 else 'less'} than its chips"
            out.append(RuleStanding(rule, limit, now or "after the first quarter", run, quarters))
    risk = model.scenario.shared_risk
    if risk is not None:
        level = float(model.economy.shared_risk)
        out.append(
            RuleStanding(
                "shared_loss",
                f"{risk.name} reaching {risk.threshold:g} ends the game for everyone",
                f"{risk.name} at {level:.2f}",
                0,
                1,
            )
        )
    return out


# -- seats people play, and putting them out ------------------------------------------------------


def people_seats(model: Any) -> list[str]:
    """Seats people play now or played earlier in this game (handed to the AI since), in seat order.

    A seat handed over is logged (stage ``control``, `SovereignModel.hand_seat`); one the model
    shut down is in the log as a seat that submitted as a person.
    """
    seen = set(model.human_seats)
    for entry in model.command_log:
        if not isinstance(entry, dict):
            continue
        if entry.get("stage") == "control" or entry.get("origin") == "human":
            seen.add(str(entry.get("seat")))
    return [s for s in model.seat_ids if s in seen]


def hand_over_losses(model: Any, seats: Iterable[str]) -> list[Loss]:
    """Put out the given seats people play that have lost: the AI plays them from the next quarter.

    Seats the model shut down are already out; their losses are returned too so the player is
    told why. The hand-over goes through the model (`SovereignModel.hand_seat`), which logs it, so a
    replay of the game hands the seat over at the same point.

    Args:
        model: The model after a quarter was played.
        seats: The seats people played in that quarter.

    Returns:
        The losses, in the order of `seats`.
    """
    wanted = list(seats)
    found = losses(model, wanted) if wanted else {}
    out = []
    for seat in wanted:
        loss = found.get(seat)
        if loss is None or loss.rule == "shared_loss":
            continue  # the shared loss ends the game itself: nobody plays on
        if seat in model.seats and seat in model.human_seats:
            model.hand_seat(seat, "ai")
        out.append(loss)
    return out


# -- the score after the end ------------------------------------------------------------------------

#: Points for an objective met at its deadline (the biggest part: the scenario's goal comes first).
MET_POINTS = 100.0
#: Most points for the margin over the threshold at the deadline (assumption: a margin of
#: `MARGIN_FULL` of the threshold earns them all, so beating a 0.41 target by 0.08 counts fully).
MARGIN_POINTS = 50.0
MARGIN_FULL = 0.2
#: Most points for holding the threshold: this many times the share of the quarters from the start
#: to the deadline in which it was held (reaching it early and keeping it earns them all).
HELD_POINTS = 50.0
#: Most points for the final standing at the end of the game, against the AI playing the same
#: seat (the share of AI-only games it beat); without them, against its own start.
FINAL_POINTS = 100.0


@dataclass(frozen=True)
class ScorePart:
    """One part of a score: what it is for, its points, and the figures behind them."""

    label: str
    points: float
    detail: str


@dataclass
class Score:
    """A seat's score after the end: the sum of its parts, and the loss that ended its game early."""

    seat: str
    parts: list[ScorePart]
    loss: Loss | None = None

    @property
    def total(self) -> float:
        """The sum of the parts, rounded to a whole point."""
        return float(round(sum(p.points for p in self.parts)))


def _objective_parts(model: Any, obj: Any, result: ObjectiveResult, cutoff: int | None) -> list[ScorePart]:
    """Met, margin and time held of one threshold or rank objective."""
    sc: Scenario = model.scenario
    what = "Shared objective" if obj.seat == "all" else "Objective"
    shared = "Shared objective: " if obj.seat == "all" else "Objective: "
    if result.met is None:
        return [ScorePart(f"{what} still open", 0.0, f"{result.text}: its deadline is still ahead")]
    if obj.threshold is None:  # a rank at the end
        met = bool(result.met) and cutoff is None
        return [ScorePart(f"{what} {'met' if met else 'missed'}", MET_POINTS if met else 0.0, result.detail)]
    is_nation = obj.seat in model.region_ix
    rows = model.metrics.world if obj.seat == "all" else (model.metrics.nations if is_nation else model.metrics.firms)
    key = "" if obj.seat == "all" else ("region" if is_nation else "firm")
    deadline = quarter_index(obj.by or sc.time.end)
    series = [
        (quarter_index(r["quarter"]), float(r[obj.metric]))
        for r in rows
        if (not key or r[key] == obj.seat) and obj.metric in r and quarter_index(r["quarter"]) <= deadline
    ]
    if cutoff is not None:  # a seat out of the game holds nothing after its loss
        series = [(q, v) if q <= cutoff else (q, math.nan) for q, v in series]
    met = bool(result.met) and (cutoff is None or cutoff >= deadline)
    thr = float(obj.threshold)
    held_flags = [(v <= thr) if obj.below else (v >= thr) for _, v in series if not math.isnan(v)]
    total_q = max(deadline - quarter_index(sc.time.start) + 1, 1)
    held = sum(held_flags) / total_q
    out = [ScorePart(f"{what} {'met' if met else 'missed'}", MET_POINTS if met else 0.0, result.detail)]
    last = next((v for q, v in reversed(series) if q == deadline and not math.isnan(v)), None)
    if met and last is not None and thr != 0:
        margin = (thr - last) / abs(thr) if obj.below else (last - thr) / abs(thr)
        pts = MARGIN_POINTS * min(max(margin, 0.0) / MARGIN_FULL, 1.0)
        out.append(ScorePart(f"{shared}margin", pts, f"{fmt.pct(margin, 1)} beyond the target at the deadline"))
    out.append(
        ScorePart(
            f"{shared}time held", HELD_POINTS * held, f"held in {sum(held_flags)} of {total_q} quarters to the deadline"
        )
    )
    return out


def _final_part(model: Any, seat: str, percentile: float | None, lost: bool) -> ScorePart:
    """The last quarters count: the seat's final index or valuation against the AI, or its start."""
    nation = seat in model.region_ix
    what = "sovereignty index" if nation else "valuation"
    if lost:
        return ScorePart(f"Final {what}", 0.0, "out of the game before the end")
    if percentile is not None:
        return ScorePart(
            f"Final {what} against the AI",
            FINAL_POINTS * percentile / 100.0,
            f"better than the AI in {percentile:.0f}% of AI-only games of this scenario",
        )
    rows = (
        [float(r["sovereignty_index"]) for r in model.metrics.nations if r["region"] == seat]
        if nation
        else [float(r["valuation_busd"]) for r in model.metrics.firms if r["firm"] == seat]
    )
    if len(rows) < 1 or rows[0] <= 0:
        return ScorePart(f"Final {what}", 0.0, "not recorded")
    growth = rows[-1] / rows[0] - 1.0
    # without the AI games: half the points for holding the start, all of them for doubling it
    pts = FINAL_POINTS * min(max(0.5 + growth / 2.0, 0.0), 1.0)
    return ScorePart(f"Final {what} against its start", pts, f"{fmt.pct(growth, 1)} since the first quarter")


def score(model: Any, seat: str, percentile: float | None = None) -> Score:
    """A seat's score after the end: how well, not only whether, its objectives were met.

    For each of its objectives (and the scenario's cooperative one): `MET_POINTS` if met at the
    deadline, up to `MARGIN_POINTS` for the margin beyond the threshold then, and up to
    `HELD_POINTS` for the share of the quarters to the deadline in which it was held. Then up to
    `FINAL_POINTS` for where the seat ended, so the quarters after a deadline still count: the
    share of AI-only games of the same scenario in which the AI did worse in that seat
    (`percentile`, from the end screen's comparison), or, before those are played, its growth since
    the first quarter. A seat that lost keeps what it earned up to its loss and no more.

    Args:
        model: The model at the end (or whenever the score is asked for).
        seat: The seat.
        percentile: Share (0-100) of AI-only games the seat's final figure beat, if known.
    """
    loss = loss_of(model, seat)
    cutoff = quarter_index(loss.quarter) if loss is not None and loss.rule != "shared_loss" else None
    objectives = model.scenario.objectives
    parts: list[ScorePart] = []
    for res in evaluate_objectives(model):
        obj = objectives[res.index]
        if obj.seat in (seat, "all"):
            parts += _objective_parts(model, obj, res, cutoff)
    parts.append(_final_part(model, seat, percentile, loss is not None and loss.rule != "shared_loss"))
    return Score(seat, parts, loss)
