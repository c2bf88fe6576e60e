"""Outcome fans and the class against the bots: common random numbers, determinism, percentiles, CLI."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from sovereign.cli import main
from sovereign.ensemble.foresight import ForesightError, debrief, make_fan, percentile_of
from sovereign.persist import save_game
from sovereign.sim.model import SovereignModel

from .conftest import TINY


@pytest.fixture
def game(tiny_scenario):
    model = SovereignModel(tiny_scenario, rng=3, human_seats=["IND"])
    model.run(3)
    return model


def test_the_same_seed_gives_the_same_fan_bit_for_bit(game):
    a = make_fan(game, "IND", 3, quarters=4, seed=5)
    b = make_fan(game, "IND", 3, quarters=4, seed=5)
    assert a.values.tobytes() == b.values.tobytes()
    assert a.quarters == ["2026Q4", "2027Q1", "2027Q2", "2027Q3"]
    assert a.values.shape == (3, 4) and np.isfinite(a.values).all()


def test_the_game_itself_is_not_changed(game):
    before = (game.quarter, game.human_seats, len(game.metrics.nations))
    make_fan(game, "IND", 2, quarters=2)
    assert (game.quarter, game.human_seats, len(game.metrics.nations)) == before


def test_continuations_differ_and_workers_give_the_same_numbers(game):
    here = make_fan(game, "IND", 4, quarters=3, seed=1)
    assert len({row.tobytes() for row in here.values}) > 1  # different futures, not one repeated
    pooled = make_fan(game, "IND", 4, quarters=3, seed=1, workers=2)
    assert pooled.values.tobytes() == here.values.tobytes()


def test_a_fan_plays_each_future_as_a_game_rebuilt_from_the_state_would(game):
    """The fan copies one template per process; continuation k rebuilt from the saved state on its
    own (as a single `continuation` call does) gives the same numbers, bit for bit."""
    from sovereign.ensemble.foresight import continuation
    from sovereign.persist import model_to_state

    fan = make_fan(game, "IND", 3, quarters=3, seed=4)
    state = model_to_state(game)
    alone = [continuation(state, 4, k, 3, "IND", fan.column) for k in range(3)]
    assert np.array(alone).tobytes() == fan.values.tobytes()


def test_common_random_numbers_the_same_future_for_the_same_state(game, tiny_scenario):
    """Continuation k of a state draws the same numbers whatever else is compared with it."""
    twin = SovereignModel(tiny_scenario, rng=3, human_seats=["IND"])
    twin.run(3)
    a = make_fan(game, "IND", 3, quarters=3, seed=9)
    b = make_fan(twin, "IND", 3, quarters=3, seed=9)
    assert a.values.tobytes() == b.values.tobytes()
    c = make_fan(game, "IND", 3, quarters=3, seed=10)
    assert c.values.tobytes() != a.values.tobytes()


def test_band_is_ordered_and_history_is_the_played_quarters(game):
    fan = make_fan(game, "cloudco", 5, quarters=3)
    med, lo, hi = fan.band()
    assert (lo <= med).all() and (med <= hi).all()
    assert fan.column == "valuation_busd"
    assert [q for q, _ in fan.history] == ["2026Q1", "2026Q2", "2026Q3"]


def test_refusals(game, tiny_scenario):
    with pytest.raises(ForesightError, match="unknown seat"):
        make_fan(game, "ATLANTIS", 2)
    with pytest.raises(ForesightError, match="no numeric column"):
        make_fan(game, "IND", 2, column="region")
    with pytest.raises(ForesightError, match="at least 1"):
        make_fan(game, "IND", 0)
    over = SovereignModel(tiny_scenario, rng=1)
    over.run()
    with pytest.raises(ForesightError, match="game is over"):
        make_fan(over, "IND", 2)
    with pytest.raises(ForesightError, match="no quarter has been played"):
        debrief(SovereignModel(tiny_scenario, rng=1, human_seats=["IND"]), 2)


def test_percentile_arithmetic_on_a_hand_built_distribution():
    assert percentile_of(5.0, [1, 2, 3, 4, 6, 7, 8, 9]) == 50.0
    assert percentile_of(0.0, [1, 2, 3]) == 0.0
    assert percentile_of(10.0, [1, 2, 3]) == 100.0
    assert percentile_of(2.0, [1, 2, 3]) == 50.0  # a tie counts half
    assert percentile_of(2.0, [float("nan"), 1.0, 3.0]) == 50.0
    assert np.isnan(percentile_of(1.0, []))


def test_debrief_compares_with_ai_only_games_of_the_same_length(game):
    rows = debrief(game, 3, seed=2)
    assert [r.seat for r in rows] == ["IND"]
    (row,) = rows
    assert row.column == "sovereignty_index"
    assert row.value == [r for r in game.metrics.nations if r["region"] == "IND"][-1]["sovereignty_index"]
    assert row.low <= row.median <= row.high and 0.0 <= row.percentile <= 100.0
    assert debrief(game, 3, seed=2) == rows  # deterministic


def test_cli_fan_writes_the_chart_and_every_run(game, tmp_path, capsys):
    save = save_game(game, tmp_path / "g.json.gz")
    out = tmp_path / "fan"
    assert main(["fan", str(save), "--runs", "3", "--quarters", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "IND: sovereignty_index over 3 futures" in text and "2026Q4" in text
    assert (out / "fan.png").stat().st_size > 10_000
    with open(out / "fan.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6 and {r["quarter"] for r in rows} == {"2026Q4", "2027Q1"}


def test_cli_refuses_clearly(game, tmp_path, capsys):
    save = save_game(game, tmp_path / "g.json.gz")
    assert main(["fan", str(save), "--seat", "nope", "--runs", "2"]) == 2
    assert "unknown seat 'nope'" in capsys.readouterr().err
    assert main(["fan", str(tmp_path / "missing.json.gz")]) == 2
    assert "cannot read" in capsys.readouterr().err
    game.human_seats = set()
    bare = save_game(game, tmp_path / "bare.json.gz")
    assert main(["fan", str(bare), "--runs", "2"]) == 2
    assert "no human seat" in capsys.readouterr().err
    assert main(["debrief", str(bare), "--runs", "2"]) == 2
    assert "no human seat" in capsys.readouterr().err


def test_cli_debrief_prints_the_percentile(game, tmp_path, capsys):
    save = save_game(game, tmp_path / "g.json.gz")
    assert main(["debrief", str(save), "--runs", "2"]) == 0
    out = capsys.readouterr().out
    assert "the class against the bots: 2 AI-only games to 2026Q3" in out and "IND" in out


@pytest.fixture
def decided(tiny_scenario):
    """India subsidises and builds in 2026Q2, then submits a build it cannot afford (refused)."""
    model = SovereignModel(tiny_scenario, rng=3, human_seats=["IND"])
    model.step()
    assert model.submit("IND", {"kind": "set_subsidy", "rate": 0.5}).accepted
    assert model.submit("IND", {"kind": "build_datacenter", "region": "IND", "it_mw": 200}).accepted
    assert not model.submit("IND", {"kind": "build_datacenter", "region": "IND", "it_mw": 9_000}).accepted
    model.run(3)
    return model


def test_whatif_names_the_quarter_the_paths_part(decided):
    from sovereign.ensemble.foresight import whatif
    from sovereign.persist import model_to_state

    result = whatif(model_to_state(decided), at="2026Q2", seat="IND", n=1, replace={"kind": "set_subsidy", "rate": 0})
    assert result.diverged == "2026Q2" and "world" in result.parts
    subsidy = next(c for c in result.seat_changes if c.column == "subsidy")
    assert (subsidy.original, subsidy.whatif) == (0.5, 0.0)
    assert result.last == "2026Q4"


def test_whatif_dropping_a_refused_command_changes_nothing_but_the_log(decided):
    from sovereign.ensemble.foresight import whatif
    from sovereign.persist import model_to_state

    result = whatif(model_to_state(decided), at="2026Q2", seat="IND", n=3)
    # the refusal is no longer logged, and project ids count log entries (so the next project's id
    # shifts by one); no figure of the world or the seat moves
    assert result.diverged == "2026Q2" and set(result.parts) <= {"command_log", "world"}
    assert result.seat_changes == [] and result.market_changes == []


def test_whatif_refusals(decided):
    from sovereign.ensemble.foresight import whatif
    from sovereign.persist import model_to_state

    state = model_to_state(decided)
    with pytest.raises(ForesightError, match="there is no command 4"):
        whatif(state, at="2026Q2", seat="IND", n=4)
    with pytest.raises(ForesightError, match="not a human seat"):
        whatif(state, at="2026Q2", seat="USA")
    with pytest.raises(ForesightError, match="not a quarter this game has played"):
        whatif(state, at="2031Q1", seat="IND")
    with pytest.raises(ForesightError, match="not a valid command"):
        whatif(state, at="2026Q2", seat="IND", replace={"kind": "set_subsidy", "rate": 7})


def test_cli_whatif(decided, tmp_path, capsys):
    save = save_game(decided, tmp_path / "w.json.gz")
    argv = ["whatif", str(save), "--at", "2026Q2", "--seat", "IND"]
    assert main([*argv, "--replace", "{kind: set_subsidy, rate: 0.0}"]) == 0
    out = capsys.readouterr().out
    assert "the paths diverge in 2026Q2" in out and "subsidy" in out
    assert main([*argv, "--replace", "[1"]) == 2
    assert "not JSON or YAML" in capsys.readouterr().err
    assert main([*argv, "--drop", "9"]) == 2
    assert "no command 9" in capsys.readouterr().err
    assert main([*argv, "--at", "nonsense", "--drop", "1"]) == 2
    assert "--at" in capsys.readouterr().err


def test_montecarlo_from_a_save_continues_it_in_every_run(game, tmp_path, capsys):
    import json

    from sovereign.ensemble.store import read_table
    from sovereign.persist import read_save
    from sovereign.persist.state import state_digest

    save = save_game(game, tmp_path / "g.json.gz")
    digest = state_digest(read_save(save).state)["state"]
    out = tmp_path / "mc"
    argv = ["montecarlo", "--from", str(save), "--runs", "3", "--quarters", "2", "--out", str(out), "--quiet"]
    assert main([*argv, "--workers", "1"]) == 0
    capsys.readouterr()
    nations = read_table(out, "nations").to_pylist()
    assert {r["start_digest"] for r in nations} == {digest}
    ind = [r for r in nations if r["region"] == "IND"]
    played = [r["sovereignty_index"] for r in game.metrics.nations if r["region"] == "IND"]
    for run in range(3):
        mine = [r for r in ind if r["run_id"] == run]
        assert [r["quarter"] for r in mine] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1"]
        assert [r["sovereignty_index"] for r in mine[:3]] == played  # the saved history, then the futures
    futures = {tuple(r["sovereignty_index"] for r in ind if r["run_id"] == k)[3:] for k in range(3)}
    assert len(futures) > 1
    doc = json.loads((out / "design.json").read_text())
    assert doc["start"]["digest"] == digest and doc["identity"]["start_digest"] == digest
    # the same ensemble again, in another folder and with 2 workers: the same numbers
    again = tmp_path / "mc2"
    assert main([*argv[:-3], "--out", str(again), "--quiet", "--workers", "2"]) == 0
    capsys.readouterr()
    key = lambda r: (r["run_id"], r["quarter"], r["region"])  # noqa: E731
    assert sorted(read_table(again, "nations").to_pylist(), key=key) == sorted(nations, key=key)


def test_montecarlo_from_refusals(game, tmp_path, capsys, tiny_scenario):
    save = save_game(game, tmp_path / "g.json.gz")
    assert main(["montecarlo", str(TINY), "--from", str(save), "--runs", "1", "--out", str(tmp_path / "a")]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["montecarlo", "--runs", "1", "--out", str(tmp_path / "b")]) == 2
    assert "name a SCENARIO" in capsys.readouterr().err
    over = SovereignModel(tiny_scenario, rng=1)
    over.run()
    done = save_game(over, tmp_path / "over.json.gz")
    assert main(["montecarlo", "--from", str(done), "--runs", "1", "--out", str(tmp_path / "c")]) == 2
    assert "game is over" in capsys.readouterr().err


def test_a_whatif_that_changes_nothing_reproduces_the_game_bit_for_bit(decided):
    from sovereign.ensemble.foresight import whatif
    from sovereign.persist import model_to_state

    same = {"kind": "set_subsidy", "rate": 0.5}  # India's first command of 2026Q2, as it was
    result = whatif(model_to_state(decided), at="2026Q2", seat="IND", n=1, replace=same, ahead=2)
    assert result.diverged is None and result.parts == ()
    assert result.seat_changes == [] and result.market_changes == []


def test_a_dropped_command_changes_the_game_only_from_its_quarter_on(decided):
    from sovereign.ensemble.foresight import whatif
    from sovereign.persist import model_to_state

    dropped = whatif(model_to_state(decided), at="2026Q2", seat="IND", n=2)
    assert dropped.diverged == "2026Q2"  # 2026Q1 ended identical in both paths; 2026Q2 did not


def test_a_seat_that_plays_like_the_ai_gets_uniform_percentiles(tiny_scenario):
    """Calibration: a "human" seat played by the AI itself is a draw from the bots' distribution, so
    its percentile among them is uniform over games (Kolmogorov-Smirnov against U(0, 100))."""
    from scipy import stats

    percentiles = []
    for s in range(24):
        model = SovereignModel(tiny_scenario, rng=np.random.SeedSequence(10_000 + s))
        model.run(3)
        model.human_seats = {"IND"}  # marked human after the fact: it played exactly like the AI
        (row,) = debrief(model, 19, seed=s)
        percentiles.append(row.percentile)
    assert stats.kstest(np.array(percentiles) / 100.0, "uniform").pvalue > 0.01
    assert 30.0 <= float(np.mean(percentiles)) <= 70.0
