"""Grading a game's objectives against its recorded metrics, and how each is going meanwhile.

No pygame here: the end screen, the classroom, the lesson calibration, the game screen's objective
tracker and the score (`sovereign.game.outcome`) all grade with it: one home for the rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sovereign.game import fmt
from sovereign.game.words import objective_text
from sovereign.scenario.schema import quarter_index

__all__ = [
    "TREND_QUARTERS",
    "ObjectiveResult",
    "Progress",
    "evaluate_objectives",
    "metric_name",
    "metric_value",
    "progress",
    "project",
]

#: Quarters of history the tracker's trend is fitted to (assumption: a year, long enough that one
#: quarter's shock does not swing the projection, short enough to follow a change of course).
TREND_QUARTERS = 4


@dataclass
class ObjectiveResult:
    """One objective and how it ended."""

    seat: str
    text: str
    met: bool | None
    detail: str
    #: Its position in the scenario's ``objectives`` (-1: not from a scenario).
    index: int = -1


def evaluate_objectives(model: Any) -> list[ObjectiveResult]:
    """Check every scenario objective against the recorded metrics.

    A threshold objective is met when the metric reaches the threshold at its deadline (the
    scenario's ``by`` quarter, or the last quarter played); a rank objective when the seat ranks
    that high among nations (or firms) on the metric at the end. ``met`` is None when the metric
    was never recorded (the deadline is still ahead). A rank objective gets no result before the
    first quarter.
    """
    out: list[ObjectiveResult] = []
    sc = model.scenario
    played = [w["quarter"] for w in model.metrics.world]
    last = played[-1] if played else None
    lost = model.economy.shared_loss >= 0 and sc.shared_risk is not None
    for index, obj in enumerate(sc.objectives):
        result = _grade(model, obj, lost, last)
        if result is not None:
            result.index = index
            out.append(result)
    return out


def _rows(model: Any, seat: str) -> tuple[list[dict[str, Any]], str]:
    """The table an objective's metric is in and the key naming its seat ("" for the world's)."""
    if seat == "all":  # cooperative: a world metric every seat shares
        return model.metrics.world, ""
    if seat in model.region_ix:
        return model.metrics.nations, "region"
    return model.metrics.firms, "firm"


def _grade(model: Any, obj: Any, lost: bool, last: str | None) -> ObjectiveResult | None:
    """One objective's result (None for a rank objective before any quarter was played)."""
    sc = model.scenario
    text = objective_text(obj, sc.time.end)
    if lost:  # the shared risk ended the game: every seat has lost, whatever it reached
        return ObjectiveResult(obj.seat, text, False, f"{sc.shared_risk.name} ended the game")
    rows, id_key = _rows(model, obj.seat)
    if obj.threshold is not None:
        when = obj.by or sc.time.end
        if last is None or quarter_index(when) > quarter_index(last):
            return ObjectiveResult(obj.seat, text, None, f"deadline {when} not reached")
        mine = [r for r in rows if (not id_key or r[id_key] == obj.seat) and obj.metric in r]
        if obj.below:  # a ceiling to stay under until the deadline: the worst quarter counts
            seen = [float(r[obj.metric]) for r in mine if quarter_index(r["quarter"]) <= quarter_index(when)]
            if not seen:
                return ObjectiveResult(obj.seat, text, None, f"{metric_name(obj.metric)} not recorded")
            worst = max(seen)
            return ObjectiveResult(obj.seat, text, worst <= obj.threshold, f"at most {metric_value(obj.metric, worst)}")
        row = next((r for r in mine if r["quarter"] == when), None)
        if row is None:
            return ObjectiveResult(obj.seat, text, None, f"{metric_name(obj.metric)} not recorded")
        v = float(row[obj.metric])
        return ObjectiveResult(obj.seat, text, v >= obj.threshold, f"{metric_value(obj.metric, v)} at {when}")
    if obj.rank is not None and last is not None:
        rank, n = _rank(rows, id_key, obj, last)
        met = rank is not None and rank <= obj.rank
        return ObjectiveResult(obj.seat, text, met, f"finished #{rank} of {n}" if rank else "not ranked")
    return None


def _rank(rows: list[dict[str, Any]], id_key: str, obj: Any, quarter: str) -> tuple[int | None, int]:
    """The seat's rank on the objective's metric in a quarter, and how many were ranked."""
    final = [r for r in rows if r["quarter"] == quarter and obj.metric in r]
    order = sorted(final, key=lambda r: -float(r[obj.metric]))
    ids = [r[id_key] for r in order]
    return (ids.index(obj.seat) + 1 if obj.seat in ids else None), len(ids)


#: Names of the metrics objectives use, as players read them (others: the field name in words).
METRIC_NAMES = {
    "sovereignty_index": "sovereignty index",
    "compute_share": "share of world compute",
    "compute_capacity_h100e": "AI compute hosted",
    "valuation_busd": "valuation",
    "cash_busd": "cash",
    "revenue_busd": "revenue",
    "market_share": "market share",
    "shared_risk": "shared risk",
}


def metric_name(metric: str) -> str:
    """A metric's name in words."""
    if metric in METRIC_NAMES:
        return METRIC_NAMES[metric]
    return metric.removesuffix("_busd").removesuffix("_usd_mwh").removesuffix("_h100e").replace("_", " ")


def metric_amount(metric: str, v: float) -> str:
    """A metric's value alone, in its unit (money as money, shares as percentages)."""
    if metric.endswith("_busd"):
        return fmt.money(v)
    if metric.endswith("share"):
        return fmt.pct(v, 1)
    if metric.endswith("_h100e"):
        return fmt.h100e(v)
    return f"{v:.3g}" if abs(v) < 1000 else fmt.count(v)


def metric_value(metric: str, v: float) -> str:
    """A metric and its value in words (money as money, shares as percentages)."""
    return f"{metric_name(metric)} {metric_amount(metric, v)}"


# -- how an objective is going: the tracker's projection -----------------------------------------


def project(values: list[float], quarters_ahead: int, window: int = TREND_QUARTERS) -> float | None:
    """The last value moved on by the recent trend for `quarters_ahead` quarters.

    The trend is the least-squares slope of the last `window` values (a straight line through a
    year of quarters): simple, documented in docs/playing.md, and the same for every metric. With
    one value there is no trend and the projection is that value; with none, None.
    """
    pts = [v for v in values[-window:] if math.isfinite(v)]
    if not pts:
        return None
    if len(pts) == 1 or quarters_ahead <= 0:
        return pts[-1]
    n = len(pts)
    mean_x = (n - 1) / 2.0
    mean_y = sum(pts) / n
    slope = sum((k - mean_x) * (v - mean_y) for k, v in enumerate(pts)) / sum((k - mean_x) ** 2 for k in range(n))
    return pts[-1] + slope * quarters_ahead


@dataclass
class Progress:
    """Where one objective stands now, for the tracker.

    Attributes:
        index: Its position in the scenario's objectives.
        seat: Its seat (``all``: everyone's).
        text: The objective in words.
        status: ``on course``, ``behind``, ``met``, ``missed``, or ``waiting`` before the first quarter.
        value: The metric now (a rank objective: the rank), None before the first quarter.
        target: The threshold (a rank objective: the rank to reach).
        projected: The value at the deadline if the recent trend goes on (None without history).
        deadline: Label of the quarter it is graded in.
        quarters_left: Quarters still to play up to and including the deadline (0 once graded).
        below: The target is a ceiling (stay at or under it), or a rank (lower is better).
        scale: The top of the tracker's bar (the target sits inside it).
        history: The metric's recorded values up to the deadline, oldest first.
        detail: The figures in words ("sovereignty index 0.392 of 0.41 · at this pace 0.405").
        rank: A rank objective (lower is better; the bar fills from last to first).
        target_text: The target in its unit, in words ("0.41", "$34B").
    """

    index: int
    seat: str
    text: str
    status: str
    value: float | None
    target: float
    projected: float | None
    deadline: str
    quarters_left: int
    below: bool
    scale: float
    history: list[float] = field(default_factory=list)
    detail: str = ""
    rank: bool = False
    target_text: str = ""

    def _share(self, v: float) -> float:
        if self.scale <= 0:
            return 0.0
        share = (self.scale - v + 1.0) / self.scale if self.rank else v / self.scale  # first of n fills it
        return min(max(share, 0.0), 1.0)

    @property
    def fraction(self) -> float:
        """How full the bar is, in [0, 1] (a rank: first fills it, last of n fills 1/n)."""
        return 0.0 if self.value is None else self._share(self.value)

    @property
    def target_fraction(self) -> float:
        """Where the target's tick sits on the bar, in [0, 1]."""
        return self._share(self.target)


def progress(model: Any, seats: list[str] | None = None) -> list[Progress]:
    """How each objective of the given seats (and the cooperative ones) is going now.

    Graded objectives read ``met`` or ``missed`` (`evaluate_objectives`, the same rules as the end
    screen). Before its deadline a threshold objective is ``on course`` when the value projected to
    the deadline (`project`) reaches the target (stays under it for a ceiling) and ``behind`` when
    not; a ceiling already broken is ``missed`` at once, since its worst quarter counts. A rank
    objective is on course while the seat holds the rank.

    Args:
        model: The model (read only).
        seats: Seats whose objectives to list (default: every seat's); ``all`` objectives always.
    """
    sc = model.scenario
    graded = {r.index: r for r in evaluate_objectives(model)}
    played = [w["quarter"] for w in model.metrics.world]
    last_q = quarter_index(played[-1]) if played else quarter_index(sc.time.start) - 1
    out = []
    for index, obj in enumerate(sc.objectives):
        if seats is not None and obj.seat != "all" and obj.seat not in seats:
            continue
        if obj.threshold is None and obj.rank is None:
            continue
        deadline = obj.by or sc.time.end if obj.threshold is not None else sc.time.end
        left = max(quarter_index(deadline) - last_q, 0)
        out.append(_progress(model, index, obj, graded.get(index), deadline, left, played))
    return out


def _progress(
    model: Any, index: int, obj: Any, result: ObjectiveResult | None, deadline: str, left: int, played: list[str]
) -> Progress:
    text = objective_text(obj, model.scenario.time.end)
    rows, id_key = _rows(model, obj.seat)
    if obj.threshold is None:  # a rank at the end
        rank, n = _rank(rows, id_key, obj, played[-1]) if played else (None, 0)
        status = "waiting" if rank is None else ("on course" if rank <= obj.rank else "behind")
        if result is not None and result.met is not None and left == 0:
            status = "met" if result.met else "missed"
        return Progress(
            index,
            obj.seat,
            text,
            status,
            float(rank) if rank is not None else None,
            float(obj.rank),
            None,
            deadline,
            left,
            True,
            float(max(n, obj.rank, 1)),
            detail=f"#{rank} of {n} now, #{obj.rank} or better wanted" if rank else "not ranked yet",
            rank=True,
            target_text=f"#{obj.rank}",
        )
    thr = float(obj.threshold)
    history = [
        float(r[obj.metric])
        for r in rows
        if (not id_key or r[id_key] == obj.seat)
        and obj.metric in r
        and quarter_index(r["quarter"]) <= quarter_index(deadline)
    ]
    value = history[-1] if history else None
    projected = project(history, left) if history else None
    status = "waiting"
    if result is not None and result.met is not None:
        status = "met" if result.met else "missed"
    elif obj.below and history and max(history) > thr:
        status = "missed"  # a ceiling is judged on its worst quarter: once broken, it stays broken
    elif projected is not None:
        ok = projected <= thr if obj.below else projected >= thr
        status = "on course" if ok else "behind"
    # the bar's top: a quarter above the target, or the highest value seen (so both fit)
    scale = max(thr * 1.25, max(history, default=0.0) * 1.05, 1e-9)
    name = metric_name(obj.metric)
    risk = model.scenario.shared_risk
    if obj.metric == "shared_risk" and risk is not None:
        name = risk.name.lower()  # what the players see it called, e.g. tech-war tension
    now = f"{name} {metric_amount(obj.metric, value)}" if value is not None else "not recorded yet"
    limit = f", at most {metric_amount(obj.metric, thr)}" if obj.below else f" of {metric_amount(obj.metric, thr)}"
    parts = [now + limit if value is not None else now]
    if status in ("on course", "behind") and projected is not None and left > 0:
        parts.append(f"at this pace {metric_amount(obj.metric, projected)} by {deadline}")
    if result is not None and result.met is not None:
        parts = [result.detail]
    return Progress(
        index,
        obj.seat,
        text,
        status,
        value,
        thr,
        projected,
        deadline,
        left,
        obj.below,
        scale,
        history,
        " · ".join(parts),
        target_text=metric_amount(obj.metric, thr),
    )
