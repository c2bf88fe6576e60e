"""The tutorial's steps and progress (sovereign.game.tutorial), on the tiny world, without a display."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from sovereign.game import tutorial as t
from sovereign.game.session import new_session
from sovereign.sim.commands import BuildDatacenter, Decide

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def game(tiny_scenario, tmp_path):
    """India (a nation) and CloudCo (a cloud firm) played by people on the tiny world, 2026Q1.

    Industrial power: USA $80.6, China $89, India $95/MWh: the median is China's.
    """
    return new_session(tiny_scenario, ["IND", "cloudco"], seed=1, save_dir=tmp_path, autosave=False)


def facts(session, seat="IND", **kw):
    return t.Facts(model=session.model, seat=seat, screen="game", mark_quarter=session.model.quarter, **kw)


def test_read_the_map_needs_another_region_selected(game):
    step = t.STEP_BY_KEY["select_region"]
    assert not t.check_step(step, facts(game, selection="IND")), "your own region is where you start"
    assert not t.check_step(step, facts(game, selection="cloudco")), "a firm's page is not a region"
    assert t.check_step(step, facts(game, selection="CHN"))
    assert not t.check_step(step, replace(facts(game, selection="CHN"), screen="markets"))


def test_power_layer(game):
    step = t.STEP_BY_KEY["power_layer"]
    assert not t.check_step(step, facts(game, layer="sovereignty"))
    assert t.check_step(step, facts(game, layer="power_price"))


def test_cheap_power_is_at_or_below_the_median_region(game):
    model = game.model
    assert t.cheap_power_regions(model, "cloudco") == {"USA", "CHN"}
    assert t.cheap_power_regions(model, "IND") == {"IND"}, "a nation builds only at home"
    step = t.STEP_BY_KEY["build_datacenter"]
    assert not t.check_step(step, facts(game, seat="cloudco"))
    assert game.submit(BuildDatacenter(region="IND", it_mw=50), seat="cloudco").accepted
    assert not t.check_step(step, facts(game, seat="cloudco")), "India's $95 is above the median $89"
    assert game.submit(BuildDatacenter(region="USA", it_mw=50), seat="cloudco").accepted
    assert t.check_step(step, facts(game, seat="cloudco"))
    assert not t.check_step(step, facts(game, seat="IND"))
    assert game.submit(BuildDatacenter(region="IND", it_mw=50), seat="IND").accepted
    assert t.check_step(step, facts(game, seat="IND"))


def test_quarter_steps_need_a_quarter_played_since_the_step_began(game):
    before = facts(game)
    for key in ("end_quarter", "finish_quarter"):
        assert not t.check_step(t.STEP_BY_KEY[key], before)
    game.end_quarter(wait=True)
    game.poll()
    for key in ("end_quarter", "finish_quarter"):
        assert t.check_step(t.STEP_BY_KEY[key], before)
        assert not t.check_step(t.STEP_BY_KEY[key], facts(game)), "a step begun now waits for the next quarter"


def test_screens_report_markets_news_and_your_score(game):
    report, markets, news, index = (t.STEP_BY_KEY[k] for k in ("quarter_report", "markets", "news", "read_index"))
    assert t.check_step(report, replace(facts(game), screen="report"))
    assert not t.check_step(report, facts(game))
    assert t.check_step(news, facts(game, news_open=True)) and not t.check_step(news, facts(game))
    # before any quarter: the markets have not cleared and the index is not known yet
    assert not t.check_step(markets, replace(facts(game), screen="markets"))
    assert not t.check_step(index, facts(game, selection="IND", panel_tab="overview"))
    game.end_quarter(wait=True)
    game.poll()
    assert t.check_step(markets, replace(facts(game), screen="markets"))
    assert t.check_step(index, facts(game, selection="IND", panel_tab="overview"))
    assert not t.check_step(index, facts(game, selection="IND", panel_tab="actions"))
    assert not t.check_step(index, facts(game, selection="CHN", panel_tab="overview"))


def test_decision_step_applies_only_when_a_decision_can_come(tiny_scenario, tmp_path):
    """The tiny world asks India in 2026Q3: the step applies to India, not to China (passed over)."""
    session = new_session(tiny_scenario, ["IND", "CHN"], seed=1, save_dir=tmp_path, autosave=False)
    step = t.STEP_BY_KEY["decision"]
    assert t.step_applies(step, facts(session, seat="IND"))
    assert not t.step_applies(step, facts(session, seat="CHN"))
    while not session.pending_decisions("IND"):
        session.end_quarter(wait=True)
        session.poll()
    assert not t.check_step(step, facts(session, seat="IND"))
    event_id = next(iter(session.pending_decisions("IND")))
    assert session.submit(Decide(event_id=event_id, option=1), seat="IND").accepted
    assert t.check_step(step, facts(session, seat="IND"))
    session.end_quarter(wait=True)
    session.poll()
    assert t.check_step(step, facts(session, seat="IND")), "answered and applied since the tutorial began"
    later = replace(facts(session, seat="IND"), start_quarter=session.model.quarter)
    assert not t.check_step(step, later), "an answer from before the tutorial began does not count"


def test_progress_complete_skip_and_finish():
    p = t.Progress()
    assert not p.active and p.status == "new"
    p.start()
    keys = [s.key for s in t.STEPS]
    assert p.active and p.current == keys[0] and p.number == 1
    p.complete(keys[0])
    assert p.current == keys[1] and p.done == [keys[0]]
    p.skip_step()
    assert p.skipped == [keys[1]] and p.current == keys[2] and p.number == 3
    for key in keys[2:]:
        p.complete(key)
    assert p.status == "finished" and p.current is None and p.number == len(keys)
    p.start()
    assert p.done == [] and p.skipped == [] and p.current == keys[0]
    p.skip_all()
    assert p.status == "skipped"
    p.skip_step()  # a skipped tutorial has no step to skip
    assert p.skipped == []


def test_progress_json_round_trip_and_bad_input():
    p = t.Progress()
    p.start()
    p.complete("select_region")
    p.hidden = True
    assert t.progress_from_json(p.to_json()) == p
    old = {**p.to_json(), "done": ["select_region", "a_step_since_removed"]}
    assert t.progress_from_json(old).done == ["select_region"]
    for bad, says in (
        ([], "expected an object"),
        ({"status": "paused"}, "status"),
        ({"status": "active", "current": "fly"}, "no step 'fly'"),
        ({"status": "active"}, "needs a current step"),
        ({"done": "all"}, "done"),
        ({"hidden": "yes"}, "hidden"),
    ):
        with pytest.raises(ValueError, match=says):
            t.progress_from_json(bad)


def test_settings_keep_the_progress_and_report_a_bad_one(tmp_path):
    from sovereign.ui.settings import Settings, load_settings, save_settings

    p = t.Progress()
    p.start()
    p.skip_step()
    file = tmp_path / "settings.json"
    assert save_settings(Settings(tutorial=p.to_json()), file) is None
    settings, problems = load_settings(file)
    assert problems == [] and t.progress_from_json(settings.tutorial) == p
    file.write_text('{"tutorial": {"status": "sideways"}}')
    settings, problems = load_settings(file)
    assert settings.tutorial == {} and len(problems) == 1 and "tutorial" in problems[0]


def test_the_tutorial_game_is_the_baseline_as_india_with_a_practice_decision():
    session = t.tutorial_session(autosave=False)
    model = session.model
    assert session.seat == "IND" and model.scenario.meta.id == "baseline"
    assert t.cheap_power_regions(model, "IND") == {"IND"}
    prices = {r.id: p for r, p in zip(model.scenario.regions, model.results.power.retail, strict=True)}
    assert prices["IND"] <= sorted(prices.values())[len(prices) // 2], "India's power is cheap in the baseline"
    session.end_turn(wait=True)
    session.poll()
    assert session.pending_decisions(), "the practice decision waits after the first quarter"
    again = t.tutorial_session(autosave=False)
    again.end_turn(wait=True)
    again.poll()
    from sovereign.persist import model_digest

    assert model_digest(again.model)["state"] == model_digest(model)["state"], "every first game is the same"


def test_tutorial_scenario_adds_one_decision_unless_there_is_one(tiny_scenario):
    sc = t.tutorial_scenario(tiny_scenario, "IND")
    added = [i for i in sc.injects if i not in tiny_scenario.injects]
    assert len(added) == 1 and added[0].quarter == tiny_scenario.time.start and added[0].region == "IND"
    assert t.tutorial_scenario(sc, "IND") is sc, "a scenario that asks already is left alone"
    assert tiny_scenario.injects == t.tutorial_scenario(tiny_scenario, "IND").injects[:-1]
    with pytest.raises(ValueError, match="does not have"):
        t.tutorial_scenario(tiny_scenario, "ATLANTIS")


def test_web_steps_follow_the_steps_and_the_page_runs_every_check():
    web = t.web_steps()
    order = [s.key for s in t.STEPS]
    assert [w["key"] for w in web] == [k for k in order if t.STEP_BY_KEY[k].web is not None]
    assert {w["check"] for w in web} == set(t.WEB_CHECKS)
    page = (ROOT / "sovereign" / "web" / "static" / "tutorial.js").read_text()
    for name in t.WEB_CHECKS:
        assert re.search(rf"^\s*{name}: v =>", page, re.M), f"tutorial.js has no check {name}"


def test_words_are_for_players():
    for s in t.STEPS:
        texts = [s.title, s.instruction] + ([s.web.title, s.web.instruction] if s.web else [])
        for text in texts:
            assert "_" not in text and "True" not in text and "False" not in text, text
            assert len(text) <= 220, f"keep it short: {text}"
