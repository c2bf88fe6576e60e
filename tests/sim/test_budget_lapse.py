"""Holding money has a cost for nations: AI budget unspent beyond the carry-over limit lapses."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovereign.scenario.loader import load_scenario
from sovereign.sim.model import SovereignModel

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(TINY)


def with_carryover(tiny, years):
    return tiny.model_copy(update={"finance": tiny.finance.model_copy(update={"budget_carryover_years": years})})


def test_budget_beyond_the_carryover_returns_to_the_treasury_and_money_is_conserved(tiny):
    m = SovereignModel(with_carryover(tiny, 0.5), rng=1, human_seats={"IND"})  # India spends nothing
    total = m.total_money_busd()
    for _ in range(4):
        m.step()
        limit = 0.5 * 4.0 * m.budget_busd("IND")
        assert m.seats["IND"].cash_busd <= limit + 1e-9
    assert m.seats["IND"].state["lapsed_busd"] > 0
    assert m.flows["out:budget returned to the treasury"] > 0
    assert m.total_money_busd() == pytest.approx(total, abs=1e-6)


def test_without_a_limit_nothing_lapses(tiny):
    assert tiny.finance.budget_carryover_years is None
    m = SovereignModel(tiny, rng=1, human_seats={"IND"})
    for _ in range(4):
        m.step()
    assert m.flows["out:budget returned to the treasury"] == 0
    assert m.seats["IND"].cash_busd > 0.5 * 4.0 * m.budget_busd("IND"), "the idle budget piles up"


def test_the_baseline_lets_nations_carry_two_years(tiny):
    from sovereign.scenario.catalog import resolve_scenario

    assert load_scenario(resolve_scenario("baseline")).finance.budget_carryover_years == 2.0
