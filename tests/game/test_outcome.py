"""Ways to lose, their warnings, the tracker's projection and the score (sovereign.game.outcome).

The rules are checked on small hand-built metric rows (a stand-in model holding only what the
rules read), then once on a real game of the tiny world in which a firm played by a person is
taken over and handed to the AI.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sovereign.game.objectives import progress, project
from sovereign.game.outcome import (
    budget_margins,
    collapse_margins,
    debt_margins,
    first_streak,
    hand_over_losses,
    losses,
    people_seats,
    score,
    standing,
    takeover_margins,
    warnings,
)
from sovereign.scenario.schema import Defeat, quarter_label
from sovereign.sim.model import SovereignModel

RULE = Defeat()


def quarters(n: int) -> list[str]:
    return [quarter_label(2026 * 4 + k) for k in range(n)]


def nation_rows(index: list[float], cash: list[float] | None = None, gdp: float = 4000.0) -> list[dict]:
    cash = cash or [10.0] * len(index)
    return [
        {"quarter": q, "region": "IND", "sovereignty_index": v, "budget_busd": c, "gdp_busd": gdp}
        for q, v, c in zip(quarters(len(index)), index, cash, strict=True)
    ]


def firm_rows(cash: list[float], debt: list[float], revenue: float = 1.0, value: float = 50.0, h100e=0.0) -> list:
    return [
        {
            "quarter": q,
            "firm": "cloudco",
            "name": "CloudCo",
            "kind": "cloud",
            "cash_busd": c,
            "debt_busd": d,
            "revenue_busd": revenue,
            "valuation_busd": value,
            "compute_h100e": h100e,
        }
        for q, c, d in zip(quarters(len(cash)), cash, debt, strict=True)
    ]


def fake_model(tiny_scenario, nations=(), firms=(), news=(), done=False, world=None):
    """What the rules read of a model: its scenario, recorded rows, seats and news."""
    sc = tiny_scenario
    return SimpleNamespace(
        scenario=sc,
        region_ix=sc.region_index(),
        metrics=SimpleNamespace(nations=list(nations), firms=list(firms), world=world or []),
        seats={r.id: None for r in sc.regions} | {a.id: None for a in sc.actors},
        news=list(news),
        economy=SimpleNamespace(shared_loss=-1, shared_risk=0.0),
        done=done,
        quarter=2026 * 4 + 8,
    )


# -- the rules on hand-built rows --------------------------------------------------------------


def test_a_streak_must_be_unbroken():
    assert first_streak([1, -1, -1, 1, -1, -1, -1], 3) == 6
    assert first_streak([-1, -1, 1, -1, -1], 3) is None
    assert first_streak([-1], 1) == 0


def test_budget_crisis_counts_quarters_beyond_the_deficit_limit():
    share = 0.01  # GDP 4,000 -> a quarterly AI budget of $10B; the limit is half of it: -$5B
    rows = nation_rows([0.4] * 5, cash=[3.0, -4.0, -6.0, -7.0, -8.0])
    margins = budget_margins(rows, share, RULE)
    assert margins == pytest.approx([8.0, 1.0, -1.0, -2.0, -3.0])
    assert first_streak(margins, RULE.budget_crisis_quarters) == 4


def test_index_collapse_is_measured_against_the_first_quarter():
    rows = nation_rows([0.5, 0.4, 0.29, 0.28, 0.29, 0.25, 0.31])
    margins = collapse_margins(rows, RULE)  # the line: 0.6 x 0.5 = 0.3
    assert [m < 0 for m in margins] == [False, False, True, True, True, True, False]
    assert first_streak(margins, RULE.index_collapse_quarters) == 5


def test_bankruptcy_needs_no_cash_and_debts_past_the_line():
    # revenue $1B a quarter: the line is 6 years x $4B = $24B of debt
    rows = firm_rows(cash=[2.0, 0.0, 0.0, 0.0, 0.0], debt=[30.0, 20.0, 25.0, 26.0, 27.0])
    margins = debt_margins(rows, RULE)
    assert margins[0] > 0, "a firm with cash can still pay, whatever it owes"
    assert margins[1] == pytest.approx(4.0)
    assert [m < 0 for m in margins[2:]] == [True, True, True]
    assert first_streak(margins, RULE.bankruptcy_quarters) == 4


def test_takeover_when_worth_less_than_its_chips():
    # 1M H100e at $22k = $22B of hardware
    rows = firm_rows(cash=[1.0] * 3, debt=[0.0] * 3, value=20.0, h100e=1e6)
    assert takeover_margins(rows, RULE) == pytest.approx([-2.0] * 3)
    rows = firm_rows(cash=[1.0], debt=[0.0], value=50.0, h100e=0.0)
    assert takeover_margins(rows, RULE) == [50.0], "a firm without chips cannot be bought for them"


def test_losses_name_the_rule_the_quarter_and_why(tiny_scenario):
    nations = nation_rows([0.5, 0.2, 0.2, 0.2, 0.2, 0.2])
    firms = firm_rows(cash=[0.0] * 4, debt=[100.0] * 4)
    model = fake_model(tiny_scenario, nations, firms)
    found = losses(model, ["IND", "cloudco", "fabco"])
    assert set(found) == {"IND", "cloudco"}, "fabco has no rows and broke nothing"
    assert (found["IND"].rule, found["IND"].quarter) == ("index_collapse", "2027Q1")
    assert "India's sovereignty index stayed below 60%" in found["IND"].reason
    assert "(0.200, from 0.500)" in found["IND"].reason, "with the figures of the quarter it bit in"
    assert (found["cloudco"].rule, found["cloudco"].quarter) == ("bankruptcy", "2026Q3")
    assert "CloudCo had no cash" in found["cloudco"].reason


def test_a_firm_the_model_shut_down_has_gone_bankrupt(tiny_scenario):
    news = [{"quarter": "2026Q3", "kind": "failure", "actor": "frontierlab", "headline": "Frontier Lab runs out"}]
    model = fake_model(tiny_scenario, news=news)
    del model.seats["frontierlab"]
    loss = losses(model, ["frontierlab"])["frontierlab"]
    assert (loss.rule, loss.quarter) == ("bankruptcy", "2026Q3")
    assert "Frontier Lab runs out" in loss.reason


def test_warnings_come_before_the_loss(tiny_scenario):
    # index falling 0.06 a quarter, 0.02 above the line at 0.3: under it next quarter at this pace,
    # so the trend warns before the streak starts (then the streak takes its quarters)
    model = fake_model(tiny_scenario, nation_rows([0.5, 0.44, 0.38, 0.32]))
    ahead = warnings(model, "IND")
    assert [w.rule for w in ahead] == ["index_collapse"]
    assert ahead[0].quarters_left == 1 + RULE.index_collapse_quarters - 1
    slower = fake_model(tiny_scenario, nation_rows([0.5, 0.44, 0.42, 0.40]))  # 0.10 above, -0.02 a quarter
    assert warnings(slower, "IND") == [], "five quarters away at this pace: beyond the two-quarter horizon"
    assert "at last quarter's pace" in ahead[0].text
    # a streak under way: the quarters still needed
    model = fake_model(tiny_scenario, nation_rows([0.5, 0.45, 0.29, 0.28]))
    ahead = warnings(model, "IND")
    assert ahead[0].quarters_left == RULE.index_collapse_quarters - 2
    assert ahead[0].text.startswith("Index collapse in 2 quarters")
    # one quarter past the line already: said at once, whatever the horizon
    model = fake_model(tiny_scenario, nation_rows([0.5, 0.45, 0.40, 0.29]))
    assert [(w.rule, w.quarters_left) for w in warnings(model, "IND")] == [("index_collapse", 3)]
    # steady: nothing to warn about
    model = fake_model(tiny_scenario, nation_rows([0.5, 0.5, 0.51, 0.52]))
    assert warnings(model, "IND") == []
    lines = {r.rule: r for r in standing(model, "IND")}
    assert set(lines) == {"budget_crisis", "index_collapse"}
    assert lines["index_collapse"].now == "0.220 above the line"


def test_the_tracker_projects_the_recent_trend():
    assert project([0.1, 0.2, 0.3, 0.4], 2) == pytest.approx(0.6)
    assert project([5.0, 0.3, 0.3, 0.3, 0.3], 8) == pytest.approx(0.3), "only the last four quarters count"
    assert project([0.7], 5) == 0.7 and project([], 5) is None


def test_progress_says_on_course_behind_met_missed(tiny_scenario):
    # IND: 0.4 by 2027Q4 (8 quarters from 2026Q1)
    rising = fake_model(tiny_scenario, nation_rows([0.30, 0.32, 0.34, 0.36]))
    rising.metrics.world = [{"quarter": q} for q in quarters(4)]
    (p,) = progress(rising, ["IND"])
    assert (p.status, p.quarters_left, p.deadline) == ("on course", 4, "2027Q4")
    assert p.projected == pytest.approx(0.44)
    assert p.detail == "sovereignty index 0.36 of 0.4 · at this pace 0.44 by 2027Q4"
    falling = fake_model(tiny_scenario, nation_rows([0.36, 0.35, 0.34, 0.33]))
    falling.metrics.world = [{"quarter": q} for q in quarters(4)]
    assert progress(falling, ["IND"])[0].status == "behind"
    for last, status in ((0.41, "met"), (0.39, "missed")):
        done = fake_model(tiny_scenario, nation_rows([0.3] * 7 + [last]))
        done.metrics.world = [{"quarter": q} for q in quarters(8)]
        (p,) = progress(done, ["IND"])
        assert (p.status, p.quarters_left) == (status, 0)
    assert progress(rising, ["USA"]) == [], "other seats' objectives are not listed"


def test_the_score_rewards_how_well_not_only_whether(tiny_scenario):
    def game(index):
        m = fake_model(tiny_scenario, nation_rows(index))
        m.metrics.world = [{"quarter": q} for q in quarters(len(index))]
        return m

    early = score(game([0.42] * 8), "IND")  # reached at once and held
    late = score(game([0.3] * 7 + [0.42]), "IND")  # reached in the last quarter
    wide = score(game([0.3] * 7 + [0.48]), "IND")  # reached by 20%
    missed = score(game([0.39] * 8), "IND")
    assert early.total > late.total > missed.total
    assert wide.total > late.total
    parts = {p.label: p.points for p in early.parts}
    assert parts["Objective met"] == 100 and parts["Objective: time held"] == pytest.approx(50)
    assert {p.label: p.points for p in wide.parts}["Objective: margin"] == pytest.approx(50)
    with_ai = score(game([0.42] * 8), "IND", percentile=80.0)
    assert {p.label: p.points for p in with_ai.parts}["Final sovereignty index against the AI"] == 80


def test_a_person_playing_a_firm_is_taken_over_and_handed_to_the_ai(tiny_scenario):
    """A real game: CloudCo's chips valued absurdly high, so it is 'worth less than its chips' at once."""
    sc = tiny_scenario.model_copy(deep=True)
    sc.defeat = Defeat(takeover_hardware_share=10.0, takeover_usd_per_h100e=1e6, takeover_quarters=1)
    model = SovereignModel(sc, rng=3, human_seats=["cloudco", "IND"])
    model.step()
    lost = hand_over_losses(model, ["cloudco", "IND"])
    assert [(x.seat, x.rule) for x in lost] == [("cloudco", "takeover")]
    assert "cloudco" not in model.human_seats and "IND" in model.human_seats
    assert model.command_log[-1]["stage"] == "control", "the hand-over is logged for replays"
    assert people_seats(model) == ["IND", "cloudco"], "a seat people played still counts for the score"
    assert hand_over_losses(model, ["IND"]) == [], "nothing more to put out"
    model.step()  # the AI plays CloudCo now
    assert score(model, "cloudco").loss is not None


def test_the_quarter_report_carries_the_warnings(tiny_scenario):
    from sovereign.game.report import QuarterReport, loss_warnings

    model = fake_model(tiny_scenario, nation_rows([0.5, 0.45, 0.29, 0.28]))
    lines = loss_warnings(model, "IND")
    assert [line.text for line in lines] == ["Index collapse in 2 quarters if nothing changes"]
    assert lines[0].tone == "bad" and lines[0].link is not None and lines[0].link.screen == "charts"
    report = QuarterReport("2026Q4", "IND", "India", True, warnings=lines)
    assert report.sections()[-1] == ("Warning: a way to lose is near", lines)
    assert len(QuarterReport("2026Q4", "IND", "India", True).sections()) == 4, "no warning, no section"
