"""Is the difference real? Comparing one outcome between two ensembles, with an effect size and a test.

A what-if ensemble against the original, two points of a sweep, a policy script against none: each
gives one number per run (a seat's metric at a quarter). `compare` reports the difference of the
means with a 95% confidence interval, a standardised effect size and a test, using scipy.stats:

* **Paired** when both ensembles have the same root seed and the same run ids: run *i* of each
  drew the same random numbers (common random numbers), so the per-run differences remove the
  noise both share; a paired t-test and its interval, and Wilcoxon's signed-rank test.
* **Independent** otherwise: Welch's t-test (unequal variances) and its interval, and the
  Mann-Whitney U test, which does not assume normal outcomes.

The effect size is Cohen's d (the mean difference over the pooled standard deviation; for paired
runs, over the standard deviation of the differences, often called d_z).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


class CompareError(ValueError):
    """Two ensembles cannot be compared on this outcome; says why."""


@dataclass(frozen=True)
class Outcome:
    """Which number each run contributes: `column` of `table` for `seat` (none for world) at `quarter`."""

    table: str
    column: str
    seat: str | None = None
    quarter: str | None = None  # None: each run's last quarter


@dataclass(frozen=True)
class Comparison:
    """The comparison of one outcome between ensembles A and B (B minus A)."""

    outcome: Outcome
    quarter: str
    paired: bool
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    difference: float
    ci_low: float
    ci_high: float
    effect_size: float
    test: str
    p_value: float
    rank_test: str
    rank_p_value: float


_SEAT_KEY = {"nations": "region", "firms": "firm"}


def run_values(folder: Path, outcome: Outcome) -> tuple[dict[int, float], int, str]:
    """{run_id: value}, the ensemble's root seed and the quarter used, from a results folder."""
    from sovereign.ensemble.store import read_table

    if not (folder / "design.json").is_file():
        raise CompareError(f"{folder}: cannot read it as an ensemble (no design.json; see sovereign montecarlo)")
    try:
        table = read_table(folder, outcome.table)
    except Exception as exc:  # a folder that is not an ensemble, or a table it does not have
        raise CompareError(f"{folder}: cannot read the {outcome.table} table ({exc})") from None
    if table.num_rows == 0:
        raise CompareError(f"{folder}: no {outcome.table} rows yet (no run has finished)")
    if outcome.column not in table.column_names:
        numeric = [
            n for n, t in zip(table.column_names, table.schema.types, strict=True) if str(t) in ("double", "int64")
        ]
        raise CompareError(f"{outcome.table} have no column {outcome.column!r}; numeric columns: {', '.join(numeric)}")
    key = _SEAT_KEY.get(outcome.table)
    if key is not None and outcome.seat is None:
        raise CompareError(f"name the seat whose {outcome.column} to compare (--seat)")
    cols = ["run_id", "seed", "quarter", outcome.column] + ([key] if key else [])
    rows = table.select(cols).to_pylist()
    if key is not None:
        rows = [r for r in rows if r[key] == outcome.seat]
        if not rows:
            raise CompareError(f"{folder}: no rows for {outcome.seat!r} in {outcome.table}")
    quarter = outcome.quarter or max(r["quarter"] for r in rows)
    values = {int(r["run_id"]): float(r[outcome.column]) for r in rows if r["quarter"] == quarter}
    if not values:
        raise CompareError(f"{folder}: no run reached {quarter}")
    seeds = {int(r["seed"]) for r in rows}
    return values, seeds.pop() if len(seeds) == 1 else -1, quarter


def compare(a: Path, b: Path, outcome: Outcome) -> Comparison:
    """Compare `outcome` between the ensembles in folders `a` and `b` (B minus A)."""
    from scipy import stats

    va, seed_a, qa = run_values(a, outcome)
    vb, seed_b, qb = run_values(b, outcome)
    if qa != qb:
        raise CompareError(f"the ensembles end at different quarters ({qa}, {qb}): give --quarter")
    if min(len(va), len(vb)) < 2:
        raise CompareError("each ensemble needs at least 2 runs that reached the quarter")
    paired = seed_a == seed_b and seed_a >= 0 and set(va) == set(vb)
    xa = np.array([va[k] for k in sorted(va)])
    xb = np.array([vb[k] for k in sorted(vb)])
    diff = float(xb.mean() - xa.mean())
    if paired:
        d = xb - xa
        sd = float(d.std(ddof=1))
        t_res = stats.ttest_rel(xb, xa)
        ci = t_res.confidence_interval(0.95)
        effect = diff / sd if sd > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
        rank = ("Wilcoxon signed-rank", _safe_p(lambda: stats.wilcoxon(xb, xa).pvalue)) if sd > 0 else ("-", 1.0)
        test = "paired t (common random numbers)"
    else:
        t_res = stats.ttest_ind(xb, xa, equal_var=False)
        ci = t_res.confidence_interval(0.95)
        pooled = math.sqrt((xa.var(ddof=1) + xb.var(ddof=1)) / 2.0)
        effect = diff / pooled if pooled > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
        rank = ("Mann-Whitney U", _safe_p(lambda: stats.mannwhitneyu(xb, xa).pvalue))
        test = "Welch t"
    p = float(t_res.pvalue) if np.isfinite(t_res.pvalue) else (1.0 if diff == 0 else 0.0)
    low = float(ci.low) if np.isfinite(ci.low) else diff
    high = float(ci.high) if np.isfinite(ci.high) else diff
    return Comparison(
        outcome, qa, paired, len(xa), len(xb), float(xa.mean()), float(xb.mean()), diff, low, high,
        float(effect), test, p, rank[0], float(rank[1]),
    )  # fmt: skip


def _safe_p(fn: Any) -> float:
    """A test's p-value, or 1.0 when the test is undefined for these data (all differences zero)."""
    try:
        value = float(fn())
    except ValueError:
        return 1.0
    return value if np.isfinite(value) else 1.0
