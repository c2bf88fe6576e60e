"""How often the AI alone meets each of a lesson's objectives: AI-only games over many seeds.

A lesson's objectives must be winnable and losable: the AI, playing every seat, should meet each
one in 20-60% of games (`RATE_RANGE`), so that a team has to play better than the AI to be sure
of it, and can fail. `tools/calibrate_lesson.py` prints the rates and the `lesson.calibration`
block to paste into the lesson file; a slow test checks the rates stay in range.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sovereign.scenario.schema import Objective, Scenario, quarter_index

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel

__all__ = ["RATE_RANGE", "ObjectiveRate", "SeedOutcome", "calibrate", "play_seed"]

#: Share of AI-only games in which an objective should be met (issue 16): inside, inclusive.
RATE_RANGE = (0.2, 0.6)


@dataclass(frozen=True)
class SeedOutcome:
    """One AI-only game: for each objective whether it was met and the value it was judged on.

    Attributes:
        seed: The model's seed.
        met: One entry per objective, in the scenario's order (None: the deadline was not reached).
        values: The metric at the deadline (the worst quarter for a ``below`` objective), or None.
        ended_by_shared_risk: The shared risk ended the game (every objective is then missed).
    """

    seed: int
    met: tuple[bool | None, ...]
    values: tuple[float | None, ...]
    ended_by_shared_risk: bool


@dataclass(frozen=True)
class ObjectiveRate:
    """How often the AI met one objective, with the spread of the value it was judged on."""

    objective: Objective
    rate: float
    values: tuple[float, ...]

    @property
    def in_range(self) -> bool:
        """Whether the rate is inside `RATE_RANGE`."""
        return RATE_RANGE[0] <= self.rate <= RATE_RANGE[1]


def _judged_value(model: SovereignModel, scenario: Scenario, obj: Objective) -> float | None:
    """The metric value an objective is judged on: at its deadline, or the worst one before it."""
    metrics = model.metrics
    if obj.seat == "all":
        rows, key = metrics.world, ""
    elif obj.seat in scenario.region_index():
        rows, key = metrics.nations, "region"
    else:
        rows, key = metrics.firms, "firm"
    when = quarter_index(obj.by or scenario.time.end)
    mine = [r for r in rows if (not key or r[key] == obj.seat) and obj.metric in r]
    if obj.below:
        seen = [float(r[obj.metric]) for r in mine if quarter_index(r["quarter"]) <= when]
        return max(seen) if seen else None
    at = [float(r[obj.metric]) for r in mine if quarter_index(r["quarter"]) == when]
    return at[0] if at else None


def play_seed(scenario: Scenario, seed: int) -> SeedOutcome:
    """Play the whole scenario with the AI in every seat and grade its objectives."""
    from sovereign.game.objectives import evaluate_objectives
    from sovereign.sim.model import SovereignModel

    model = SovereignModel(scenario, rng=seed)
    model.run()
    graded = evaluate_objectives(model)
    return SeedOutcome(
        seed=seed,
        met=tuple(r.met for r in graded),
        values=tuple(_judged_value(model, scenario, o) for o in scenario.objectives),
        ended_by_shared_risk=scenario.shared_risk is not None and model.economy.shared_loss >= 0,
    )


def _play(args: tuple[Scenario, int]) -> SeedOutcome:
    return play_seed(*args)


def calibrate(scenario: Scenario, seeds: int = 20, workers: int = 2) -> tuple[list[ObjectiveRate], list[SeedOutcome]]:
    """Play `seeds` AI-only games (seeds 0..seeds-1) and measure each objective's success rate.

    Args:
        scenario: The lesson (any scenario with objectives).
        seeds: Number of games.
        workers: Processes to play them in (1: in this process).

    Returns:
        (one rate per objective in the scenario's order, every game's outcome by seed).
    """
    jobs = [(scenario, s) for s in range(seeds)]
    if workers > 1:
        # forkserver, not fork: the caller may run threads (a test runner, a server), which fork copies badly
        ctx = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=min(workers, os.cpu_count() or 1, seeds), mp_context=ctx) as pool:
            outcomes = list(pool.map(_play, jobs))
    else:
        outcomes = [_play(job) for job in jobs]
    rates = []
    for i, obj in enumerate(scenario.objectives):
        met = sum(1 for o in outcomes if o.met[i])
        values = tuple(v for o in outcomes if (v := o.values[i]) is not None)
        rates.append(ObjectiveRate(obj, met / len(outcomes), values))
    return rates, outcomes
