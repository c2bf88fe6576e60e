"""The baseline's mechanisms hold to their stylized facts (docs/validation.md), over many seeds."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from sovereign.ensemble.stylized import FACTS, check, measure_run
from sovereign.scenario.loader import load_scenario

BASELINE = Path(__file__).resolve().parents[2] / "sovereign" / "scenarios" / "baseline.yaml"
RULES = ("price_minus_cost_min", "fab_revenue_error", "cash_revenue_years_max")


def _facts(seed: np.random.SeedSequence) -> dict:
    out = measure_run(load_scenario(BASELINE), seed)
    out.pop("model")
    return out


def test_the_rules_of_the_economy_hold_in_two_seeds():
    """The rules that hold by construction (not calibration), checked quickly on every run."""
    runs = [_facts(s) for s in np.random.SeedSequence(11).spawn(2)]
    for fact in FACTS:
        if fact.key in RULES:
            for run in runs:
                assert fact.lo <= run[fact.key] <= fact.hi, (fact.label, run[fact.key])
    for run in runs:
        assert run["money_drift_busd"] < 1e-6


@pytest.mark.slow
def test_every_stylized_fact_holds_in_twenty_seeds():
    """What `python tools/validate_baseline.py` reports, held in every one of 20 seeds."""
    with ProcessPoolExecutor(2) as pool:
        runs = list(pool.map(_facts, np.random.SeedSequence(2026).spawn(20)))
    assert check(runs) == []


def test_other_roots_are_parsed_without_the_main_root_and_a_bad_one_is_named():
    from sovereign.ensemble.stylized import other_roots

    assert other_roots("7, 99,7,2026", 2026) == [7, 99]
    assert other_roots("", 2026) == []
    with pytest.raises(ValueError, match="'x9' is not a root seed"):
        other_roots("7,x9", 2026)


def test_the_roots_table_counts_each_root_and_shows_the_worst_value():
    """Worst = farthest outside the bounds, or nearest to them when all are inside."""
    from sovereign.ensemble.stylized import Fact, roots_table

    fact = Fact("x", "a share", 0.2, float("inf"), "rule", "{:.2f}")
    rows = roots_table((fact,), {1: [{"x": 0.5}, {"x": 0.1}, {"x": 0.3}], 2: [{"x": 0.4}, {"x": 0.25}]})
    assert rows[0].startswith("| figure | held to | root 1: seeds inside (worst) | root 2:")
    assert rows[2] == "| a share | [0.20, -] | 2 of 3 (0.10) | 2 of 2 (0.25) |"


def test_the_roots_section_leaves_out_empty_tables_and_is_empty_without_other_roots():
    from sovereign.ensemble.stylized import Fact, roots_section

    fact = Fact("x", "a share", 0.2, float("inf"), "rule", "{:.2f}")
    assert roots_section([], "2 games each", [((fact,), {1: [{"x": 0.5}]})]) == []
    lines = roots_section(
        [7], "2 games each", [((fact,), {1: [{"x": 0.5}], 7: [{"x": 0.1}]}), ((fact,), {1: [], 7: []})]
    )
    assert lines[1] == "### The same facts on other seeds (root 7: 2 games each)"
    assert sum(line.startswith("| figure |") for line in lines) == 1  # the empty second table is left out
    assert "| a share | [0.20, -] | 1 of 1 (0.50) | 0 of 1 (0.10) |" in lines
