"""Stylized facts of one run: the measurements behind `docs/validation.md`.

A matching total is not validation; each mechanism must produce what a domain expert expects.
`measure_run` plays a scenario with AI in every seat and measures, quarter by quarter, the
facts the core economy promises (issue "phases over typed state, with an economy whose money
adds up"), next to the IEA electricity figures. `FACTS` says, for each figure, the published
value or the rule it is held to and the tolerance; `check` applies them. The same code serves
`tools/validate_baseline.py` (the report) and the slow test that holds the model to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sovereign.scenario.schema import Scenario, quarter_label


@dataclass(frozen=True)
class Fact:
    """A figure, what it is held to, and the published source."""

    key: str
    label: str
    lo: float
    hi: float
    published: str
    fmt: str = "{:.2f}"


#: Labs whose 2026 revenue is compared with their published run-rates (CALIBRATION 10), $B/year.
LAB_RUN_RATES_2026 = {"openai": 25.0, "anthropic": 30.0}

#: Cash below this is not a pile whatever its ratio to revenue ($B): a conglomerate's small AI
#: arm with $0.3B in hand and $0.1B of revenue is no idle hoard; the rule is about the tens and
#: hundreds of billions that piled up before (OpenAI $161B-2.6T by 2035).
PILE_MIN_BUSD = 1.0

FACTS: tuple[Fact, ...] = (
    Fact(
        "price_minus_cost_min",
        "Lowest (price paid - seller's marginal cost) of any served cluster, any quarter ($/H100e-h)",
        0.0,
        float("inf"),
        "rule: a buyer pays at least the seller's marginal cost (cost plus scarcity rent)",
        "{:.3f}",
    ),
    Fact(
        "price_2026",
        "Global mean H100e rental price paid in 2026 ($/h)",
        1.5,
        4.0,
        "H100: $2.85 (early 2024), $1.70 trough (Oct 2025), $2.35 1-yr contract (Mar 2026); on-demand "
        "median $2.95 (May 2026) (CALIBRATION 9); held to $1.5-4",
    ),
    Fact(
        "fab_revenue_error",
        "Largest gap between fabs' booked chip revenue and what buyers paid, any quarter (share)",
        0.0,
        1e-9,
        "rule: every fab that delivers books units x clearing price that quarter",
        "{:.1e}",
    ),
    Fact(
        "cash_revenue_years_max",
        "Largest cash / revenue of the last four quarters, of any firm holding $1B+ at the end (years)",
        0.0,
        3.0,
        "rule: no cash piles (OpenAI ended 2035 with $161B-2.6T before); held to <= 3 years",
    ),
    Fact(
        "openai_revenue_2026",
        "OpenAI revenue in 2026 ($B)",
        LAB_RUN_RATES_2026["openai"] / 2,
        LAB_RUN_RATES_2026["openai"] * 2,
        "ARR ~$25B by Feb 2026 (CALIBRATION 10); within a factor 2",
        "{:.1f}",
    ),
    Fact(
        "anthropic_revenue_2026",
        "Anthropic revenue in 2026 ($B)",
        LAB_RUN_RATES_2026["anthropic"] / 2,
        LAB_RUN_RATES_2026["anthropic"] * 2,
        "run-rate $14B (Feb 2026) -> $30B (Apr 2026) (CALIBRATION 10); within a factor 2 of $30B",
        "{:.1f}",
    ),
    Fact(
        "startup_failed_share",
        "Startups founded during the run that failed by the end (share)",
        0.10,
        0.65,
        "Carta: ~3% of startups shut down a year, only ~20% of seed-funded reach Series A "
        "(CALIBRATION 10); the 4%/yr hazard alone, over the ~5 years a startup founded in the run "
        "lives on average, gives ~18%, +-5 points from seed to seed; Ghosh (HBS, 2,000 VC-backed "
        "firms 2004-10): 30-40% liquidated; US Census: 55% of new ventures die within 5 years; "
        "BLS: ~35% of new businesses survive 10; held to 10-65% (no cohort fails more than all new "
        "US businesses do in ten years)",
        "{:.0%}",
    ),
    Fact(
        "startup_raised_share",
        "Startups founded at least two years before the end that raised a round after their seed (share)",
        0.5,
        1.0,
        "rule: most raise (Carta: ~2 years between rounds, CALIBRATION 10)",
        "{:.0%}",
    ),
    Fact(
        "startups_founded_last_two_years",
        "Startups founded in the last two years of the run",
        1.0,
        float("inf"),
        "rule: founding continues all game",
        "{:.0f}",
    ),
    Fact(
        "twh_2030",
        "Global datacenter electricity 2030 (TWh)",
        669.0,
        1264.0,
        "IEA base 945; range 669 (Headwinds) to 1,264 (Lift-Off) (CALIBRATION 1)",
        "{:.0f}",
    ),
)


def measure_run(scenario: Scenario, seed: Any, progress: Callable[[Any], None] | None = None) -> dict[str, Any]:
    """Play `scenario` to the end with AI in every seat and measure every fact of `FACTS`.

    Returns the figures by `Fact.key`, plus ``money_drift_busd`` (how far the money of the world
    moved from its start: zero but for rounding), ``labs_failed`` (named labs that shut down) and
    ``model`` (the finished game, for further figures).
    """
    from sovereign.sim.model import SovereignModel

    model = SovereignModel(scenario, rng=seed)
    gap = [np.inf]
    fab_error = [0.0]
    founded: dict[str, int] = {}

    def each_quarter(m: Any) -> None:
        c = m.results.compute
        sold = c.alloc.sum(0) if c.alloc.size else np.zeros(0)
        served = sold > 1e-9
        if served.any():
            gap[0] = min(gap[0], float((c.price - c.cluster_cost)[served].min()))
        paid = m.flows.get("out:chip purchases", 0.0)
        booked = float(m.results.chips.fab_revenue_busd.sum())
        if paid > 0 or booked > 0:
            fab_error[0] = max(fab_error[0], abs(booked - paid) / max(paid, 1e-12))
        for seat, agent in m.seats.items():
            if agent.kind == "startup" and seat not in founded:
                founded[seat] = int(agent.state.get("born", m.start_q))
        if progress is not None:
            progress(m)

    model.run(progress=each_quarter)
    firms = model.metrics.firms
    world = model.metrics.world
    last_q = world[-1]["quarter"]
    end_rows = [r for r in firms if r["quarter"] == last_q]
    # a year's revenue: the last four quarters (annualised for a firm younger than a year)
    recent: dict[str, list[float]] = {}
    for r in firms:
        recent.setdefault(r["firm"], []).append(r["revenue_busd"])
    ratios = []
    for r in end_rows:
        year = float(np.mean(recent[r["firm"]][-4:])) * 4.0
        if r["cash_busd"] >= PILE_MIN_BUSD:
            ratios.append(r["cash_busd"] / year if year > 0 else np.inf)
    alive_end = {r["firm"] for r in end_rows}
    rounds = {}
    for r in firms:
        if r["kind"] == "startup":
            rounds[r["firm"]] = max(rounds.get(r["firm"], 0), r["rounds_raised"])
    start = model.start_q
    during = [s for s, born in founded.items() if born >= start]
    # a startup founded in the last quarter has had no time to fail or raise: judge the others
    judged = [s for s in during if founded[s] < model.end_q - 3]
    failed = [s for s in judged if s not in alive_end]
    # a seed funds up to about six quarters: whether a startup raised again is judged after two years
    mature = [s for s in during if founded[s] < model.end_q - 7]
    late = [s for s in during if founded[s] >= model.end_q - 8]

    def lab_revenue(firm: str, year: str) -> float:
        return float(sum(r["revenue_busd"] for r in firms if r["firm"] == firm and r["quarter"].startswith(year)))

    first_year = quarter_label(start)[:4]
    return {
        "price_minus_cost_min": gap[0],
        "price_2026": float(
            np.mean([r["compute_price_usd_hour"] for r in world if r["quarter"].startswith(first_year)])
        ),
        "fab_revenue_error": fab_error[0],
        "cash_revenue_years_max": float(max(ratios, default=0.0)),
        "openai_revenue_2026": lab_revenue("openai", first_year),
        "anthropic_revenue_2026": lab_revenue("anthropic", first_year),
        "startup_failed_share": len(failed) / max(len(judged), 1),
        "startup_raised_share": sum(rounds.get(s, 0) > 0 for s in mature) / max(len(mature), 1),
        "startups_founded_last_two_years": float(len(late)),
        "twh_2030": float(sum(r["dc_electricity_twh"] for r in world if r["quarter"].startswith("2030"))),
        "money_drift_busd": abs(model.total_money_busd() - model.economy.initial_money_busd),
        "labs_failed": sorted(s for s in model.retired_homes if not s.startswith("startup_")),
        "model": model,
    }


def spread(runs: list[dict[str, Any]], key: str) -> tuple[float, float, float, float]:
    """Min, 5th percentile, median and max of a figure over runs."""
    v = sorted(float(r[key]) for r in runs)
    return v[0], float(np.percentile(v, 5)), float(np.median(v)), v[-1]


def fact_table(facts: tuple[Fact, ...], runs: list[dict[str, Any]]) -> list[str]:
    """Markdown rows, one per fact: its spread over the runs, the rule, and how many runs meet it.

    One home for the reports of every validation tool (`tools/validate_*.py`), so their tables read
    alike. An open bound shows as "-".
    """
    lines = [
        "| figure | min | p5 | median | max | published figure or rule | held to | seeds inside |",
        "|---|---:|---:|---:|---:|---|---|---:|",
    ]
    for f in facts:
        cells = " | ".join(f.fmt.format(x) for x in spread(runs, f.key))
        lo = "-" if f.lo == -np.inf else f.fmt.format(f.lo)
        hi = "-" if f.hi == np.inf else f.fmt.format(f.hi)
        inside = sum(f.lo <= r[f.key] <= f.hi for r in runs)
        lines.append(f"| {f.label} | {cells} | {f.published} | [{lo}, {hi}] | {inside} of {len(runs)} |")
    return lines


def other_roots(text: str, main_root: int) -> list[int]:
    """The root seeds of a validation tool's ``--other-roots`` ("7,99"), without the main root or repeats.

    Raises:
        ValueError: a part is not a whole number >= 0 (the message names it).
    """
    roots: list[int] = []
    for part in filter(None, (x.strip() for x in text.split(","))):
        if not part.isdigit():
            raise ValueError(f"--other-roots: {part!r} is not a root seed (a whole number >= 0)")
        if int(part) != main_root and int(part) not in roots:
            roots.append(int(part))
    return roots


def roots_table(facts: tuple[Fact, ...], runs_by_root: dict[int, list[dict[str, Any]]]) -> list[str]:
    """Markdown rows, one per fact: how many runs meet it under each root seed, and the worst value.

    Why: a report on one root's seeds can be tuned to them without anyone noticing; the same facts on
    other roots' seeds (other games, the same rules) show whether a fact holds in general. The worst
    value is the one farthest outside the bound (or, when all are inside, the one nearest to it).
    """
    roots = list(runs_by_root)
    lines = [
        "| figure | held to | " + " | ".join(f"root {r}: seeds inside (worst)" for r in roots) + " |",
        "|---|---|" + "---:|" * len(roots),
    ]
    for f in facts:
        lo = "-" if f.lo == -np.inf else f.fmt.format(f.lo)
        hi = "-" if f.hi == np.inf else f.fmt.format(f.hi)
        cells = []
        for root in roots:
            values = [r[f.key] for r in runs_by_root[root]]
            inside = sum(f.lo <= v <= f.hi for v in values)
            # distance below the lower bound or above the upper one (negative: inside, by this much)
            worst = max(values, key=lambda v: max(f.lo - v, v - f.hi))
            cells.append(f"{inside} of {len(values)} ({f.fmt.format(worst)})")
        lines.append(f"| {f.label} | [{lo}, {hi}] | " + " | ".join(cells) + " |")
    return lines


def roots_section(
    roots: list[int], counts: str, tables: list[tuple[tuple[Fact, ...], dict[int, list[dict[str, Any]]]]]
) -> list[str]:
    """The validation tools' section on other seed roots: a heading, then a `roots_table` per set of facts.

    `counts` says how many games each root played; a table whose runs are empty (no shock games asked
    for) is left out; nothing at all when there are no other roots.
    """
    if not roots:
        return []
    lines = ["", f"### The same facts on other seeds (root {', '.join(map(str, roots))}: {counts})"]
    for facts, runs_by_root in tables:
        if all(runs_by_root.values()):
            lines += ["", *roots_table(facts, runs_by_root)]
    return lines


def check(runs: list[dict[str, float]], facts: tuple[Fact, ...] = FACTS) -> list[str]:
    """Every fact that fails in some run, as 'label: value outside [lo, hi] (seed i)'."""
    problems = []
    for fact in facts:
        for i, run in enumerate(runs):
            value = run[fact.key]
            if not fact.lo <= value <= fact.hi:
                problems.append(f"{fact.label}: {value:.4g} outside [{fact.lo:g}, {fact.hi:g}] (run {i})")
    return problems
