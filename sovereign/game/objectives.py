"""Grading a game's objectives against its recorded metrics.

No pygame here: the end screen, the classroom and the lesson calibration all grade with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sovereign.game import fmt
from sovereign.game.words import objective_text
from sovereign.scenario.schema import quarter_index

__all__ = ["ObjectiveResult", "evaluate_objectives", "metric_value"]


@dataclass
class ObjectiveResult:
    """One objective and how it ended."""

    seat: str
    text: str
    met: bool | None
    detail: str


def evaluate_objectives(model: Any) -> list[ObjectiveResult]:
    """Check every scenario objective against the recorded metrics.

    A threshold objective is met when the metric reaches the threshold at its deadline (the
    scenario's ``by`` quarter, or the last quarter played); a rank objective when the seat ranks
    that high among nations (or firms) on the metric at the end. ``met`` is None when the metric
    was never recorded (the deadline is still ahead).
    """
    out: list[ObjectiveResult] = []
    sc = model.scenario
    played = [w["quarter"] for w in model.metrics.world]
    last = played[-1] if played else None
    lost = model.economy.shared_loss >= 0 and sc.shared_risk is not None
    for obj in sc.objectives:
        text = objective_text(obj, sc.time.end)
        if lost:  # the shared risk ended the game: every seat has lost, whatever it reached
            out.append(ObjectiveResult(obj.seat, text, False, f"{sc.shared_risk.name} ended the game"))
            continue
        is_nation = obj.seat in model.region_ix
        rows = model.metrics.nations if is_nation else model.metrics.firms
        id_key = "region" if is_nation else "firm"
        if obj.seat == "all":  # cooperative: a world metric every seat shares
            rows, id_key = model.metrics.world, ""
        if obj.threshold is not None:
            when = obj.by or sc.time.end
            if last is None or quarter_index(when) > quarter_index(last):
                out.append(ObjectiveResult(obj.seat, text, None, f"deadline {when} not reached"))
                continue
            mine = [r for r in rows if not id_key or r[id_key] == obj.seat]
            if obj.below:  # a ceiling to stay under until the deadline: the worst quarter counts
                seen = [float(r[obj.metric]) for r in mine if obj.metric in r]
                seen = [
                    v for r, v in zip(mine, seen, strict=False) if quarter_index(r["quarter"]) <= quarter_index(when)
                ]
                if not seen:
                    out.append(ObjectiveResult(obj.seat, text, None, f"{obj.metric} not recorded"))
                    continue
                worst = max(seen)
                out.append(
                    ObjectiveResult(
                        obj.seat, text, worst <= obj.threshold, f"at most {metric_value(obj.metric, worst)}"
                    )
                )
                continue
            row = next((r for r in mine if r["quarter"] == when), None)
            if row is None or obj.metric not in row:
                out.append(ObjectiveResult(obj.seat, text, None, f"{obj.metric} not recorded"))
                continue
            v = float(row[obj.metric])
            out.append(ObjectiveResult(obj.seat, text, v >= obj.threshold, f"{metric_value(obj.metric, v)} at {when}"))
        elif obj.rank is not None and last is not None:
            final = [r for r in rows if r["quarter"] == last and obj.metric in r]
            order = sorted(final, key=lambda r: -float(r[obj.metric]))
            ids = [r[id_key] for r in order]
            rank = ids.index(obj.seat) + 1 if obj.seat in ids else None
            met = rank is not None and rank <= obj.rank
            out.append(
                ObjectiveResult(obj.seat, text, met, f"finished #{rank} of {len(ids)}" if rank else "not ranked")
            )
    return out


def metric_value(metric: str, v: float) -> str:
    """A metric and its value in words (money as money, shares as percentages)."""
    name = metric.removesuffix("_busd").removesuffix("_usd_mwh").replace("_", " ")
    if metric.endswith("_busd"):
        return f"{name} {fmt.money(v)}"
    if metric.endswith("share"):
        return f"{name} {fmt.pct(v, 1)}"
    return f"{name} {v:.3g}"
