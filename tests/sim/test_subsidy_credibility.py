"""A host's subsidy counts with investors only as far as the host pays it.

`pay_subsidy` counts what each host owed and paid in the quarter; `judge_subsidies` (finance) turns
that into the credibility investors apply to the rate next quarter (`credible_subsidy`), and a
host that owes nothing regains `policy.subsidy_credibility_recovery` of the gap each quarter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sovereign.scenario.loader import load_scenario
from sovereign.sim.commands import BuildDatacenter
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases.finance import judge_subsidies
from sovereign.sim.phases.orders import apply_orders
from sovereign.sim.policy.view import credible_subsidy, investor_view

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(TINY)


def _build_under_subsidy(tiny, host_cash: float) -> SovereignModel:
    """cloudco orders a 100 MW hall in India under a 50% subsidy; India holds `host_cash`."""
    m = SovereignModel(tiny, rng=1, human_seats={"IND", "USA", "CHN", "cloudco", "bharat"})
    ind = m.region_ix["IND"]
    m.world.subsidy[ind] = 0.5
    m.seats["IND"].state["cash_busd"] = host_cash
    m.seats["cloudco"].state["cash_busd"] = 100.0
    assert m.submit("cloudco", BuildDatacenter(region="IND", it_mw=100.0)).accepted
    apply_orders(m)
    return m


def test_a_host_that_pays_in_full_stays_fully_credible(tiny):
    m = _build_under_subsidy(tiny, host_cash=50.0)
    ind = m.region_ix["IND"]
    owed, paid = m.world.subsidy_owed_busd[ind], m.world.subsidy_paid_busd[ind]
    assert owed > 0 and paid == owed
    judge_subsidies(m)
    assert m.world.subsidy_credibility[ind] == 1.0
    assert credible_subsidy(m)[ind] == 0.5


def test_a_host_whose_budget_runs_dry_is_believed_only_as_far_as_it_paid(tiny):
    m = _build_under_subsidy(tiny, host_cash=0.1)
    ind = m.region_ix["IND"]
    owed, paid = m.world.subsidy_owed_busd[ind], m.world.subsidy_paid_busd[ind]
    assert paid == pytest.approx(0.1) and owed > paid
    judge_subsidies(m)
    share = paid / owed
    assert m.world.subsidy_credibility[ind] == pytest.approx(share)
    assert credible_subsidy(m)[ind] == pytest.approx(0.5 * share)
    # investors see the discounted rate (the quarter's view is built from it)
    m.view_cache = None
    assert investor_view(m)["subsidy_list"][ind] == pytest.approx(0.5 * share)
    # quarters owing nothing: a quarter of the gap back each time, never above 1
    recovery = m.scenario.policy.subsidy_credibility_recovery
    m.world.subsidy_owed_busd[:] = 0.0
    m.world.subsidy_paid_busd[:] = 0.0
    level = share
    for _ in range(3):
        judge_subsidies(m)
        level = level + recovery * (1.0 - level)
        assert m.world.subsidy_credibility[ind] == pytest.approx(level)
    others = np.arange(len(m.region_ix)) != ind
    assert (m.world.subsidy_credibility[others] == 1.0).all()


def test_the_quarters_counts_start_afresh_and_a_played_game_keeps_them_consistent(tiny):
    m = _build_under_subsidy(tiny, host_cash=0.1)
    ind = m.region_ix["IND"]
    assert m.world.subsidy_owed_busd[ind] > 0
    apply_orders(m)  # the next quarter's orders: nothing owed yet
    assert m.world.subsidy_owed_busd[ind] == 0.0 and m.world.subsidy_paid_busd[ind] == 0.0
    game = SovereignModel(tiny, rng=2)
    while not game.done:
        game.step()
        w = game.world
        assert (w.subsidy_paid_busd <= w.subsidy_owed_busd + 1e-12).all()
        assert ((w.subsidy_credibility >= 0.0) & (w.subsidy_credibility <= 1.0)).all()


def test_the_host_is_told_when_it_falls_short_and_its_subsidy_form_says_what_investors_count(tiny):
    from sovereign.game import fmt
    from sovereign.game.actions import preview
    from sovereign.sim.commands import SetSubsidy

    m = _build_under_subsidy(tiny, host_cash=0.1)
    ind = m.region_ix["IND"]
    form = " ".join(preview(m, "IND", SetSubsidy(rate=0.5)).effects)
    assert "only as far as your budget pays it" in form
    judge_subsidies(m)
    news = [n for n in m.quarter_news if n["region"] == "IND" and "subsidies it owed" in n["headline"]]
    assert len(news) == 1, m.quarter_news
    share = m.world.subsidy_credibility[ind]
    assert f"{share:.0%}" in news[0]["headline"]
    form = " ".join(preview(m, "IND", SetSubsidy(rate=0.5)).effects)
    assert f"Your budget paid {fmt.pct(float(share))} of the subsidies it owed" in form
    judge_subsidies(m)  # short again: no second headline while it stays short
    assert len([n for n in m.quarter_news if "subsidies it owed" in n["headline"]]) == 1
