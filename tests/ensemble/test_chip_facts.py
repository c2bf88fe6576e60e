"""The chip market's stylized facts (issue 11) over many seeds, as docs/validation.md reports them.

`python tools/validate_chips.py` writes the report; this test holds the model to every fact it
meets in every seed, and expects the facts listed in `chipfacts.UNMET` still to miss in some seed,
so that meeting one (or losing one) is noticed and the list and the report are brought up to date.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from sovereign.ensemble.chipfacts import (
    BASELINE_FACTS,
    SHOCK_FACTS,
    UNMET,
    measure_baseline,
    measure_shock,
    without_shock,
)
from sovereign.ensemble.stylized import check
from sovereign.scenario.loader import load_scenario
from sovereign.sim.model import SovereignModel

SCENARIOS = Path(__file__).resolve().parents[2] / "sovereign" / "scenarios"


def _baseline(seed: np.random.SeedSequence) -> dict[str, float]:
    m = SovereignModel(load_scenario(SCENARIOS / "baseline.yaml"), rng=seed)
    m.run()
    return measure_baseline(m)


def _shock(seed: np.random.SeedSequence) -> dict[str, float]:
    sc = load_scenario(SCENARIOS / "lessons" / "taiwan_strait.yaml")
    lesson, calm = SovereignModel(sc, rng=seed), SovereignModel(without_shock(sc), rng=seed)
    lesson.run()
    calm.run()
    return measure_shock(lesson, calm)


@pytest.fixture(scope="module")
def runs():
    seeds = np.random.SeedSequence(2026).spawn(20)
    with ProcessPoolExecutor(2) as pool:
        base = list(pool.map(_baseline, seeds))
        shock = list(pool.map(_shock, seeds[:10]))
    return base, shock


@pytest.mark.slow
def test_the_chip_facts_the_model_meets_hold_in_every_seed(runs):
    base, shock = runs
    met_b = tuple(f for f in BASELINE_FACTS if f.key not in UNMET)
    met_s = tuple(f for f in SHOCK_FACTS if f.key not in UNMET)
    assert met_b and met_s
    assert check(base, met_b) == []
    assert check(shock, met_s) == []


@pytest.mark.slow
def test_the_unmet_chip_facts_still_miss_somewhere(runs):
    """When one of these starts to hold in every seed, move it out of `UNMET` (and re-run the report)."""
    base, shock = runs
    facts = {f.key: f for f in (*BASELINE_FACTS, *SHOCK_FACTS)}
    for key in sorted(UNMET):
        f = facts[key]
        values = [r[key] for r in (shock if f in SHOCK_FACTS else base)]
        assert not all(f.lo <= v <= f.hi for v in values), f"{key} now holds in every seed: move it out of UNMET"


def test_the_quarantine_counterfactual_differs_only_by_the_shock():
    """The comparison game keeps every inject but the quarantine's, and the same random streams."""
    sc = load_scenario(SCENARIOS / "lessons" / "taiwan_strait.yaml")
    calm = without_shock(sc)
    kinds = [i.kind for i in calm.injects]
    assert "fab_disruption" not in kinds and "export_escalation" not in kinds
    assert len(calm.injects) < len(sc.injects) and calm.time == sc.time
    seed = np.random.SeedSequence(5)
    a, b = SovereignModel(sc, rng=seed), SovereignModel(calm, rng=seed)
    a.run(6)  # up to 2027Q2, before the quarantine: the two games are the same
    b.run(6)
    assert a.metrics.world == b.metrics.world
