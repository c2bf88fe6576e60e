"""The session: the one place the UI changes the model, through commands and step."""

from __future__ import annotations

import time

import numpy as np
import pytest

from sovereign.game.session import (
    GameSession,
    SaveUnavailable,
    list_saves,
    load_model,
    model_difficulty,
    new_session,
)
from sovereign.sim.commands import BuildDatacenter


def test_submit_goes_through_the_validator(tiny_scenario, tmp_path):
    s = new_session(tiny_scenario, ["IND"], seed=1, save_dir=tmp_path, autosave=False)
    ok = s.submit(BuildDatacenter(region="IND", it_mw=100))
    assert ok.accepted and s.queued() == [BuildDatacenter(region="IND", it_mw=100)]
    refused = s.submit(BuildDatacenter(region="USA", it_mw=100))
    assert not refused.accepted and "own territory" in refused.reason
    assert s.committed_busd() == pytest.approx(0.7)
    assert [r.accepted for _, r in s.last_results["IND"]] == [True, False]


def test_hot_seat_turns_then_the_quarter_runs_on_a_worker(tiny_scenario, tmp_path):
    s = new_session(tiny_scenario, ["IND", "CHN"], seed=1, save_dir=tmp_path, autosave=False)
    assert s.hot_seat and s.seat in ("IND", "CHN")
    first = s.seat
    assert s.end_turn() == "handover"
    assert s.seat != first and s.turn == 1
    t0 = time.perf_counter()
    assert s.end_turn() == "stepping"
    assert time.perf_counter() - t0 < 0.2, "ending the quarter must not block the window"
    assert s.busy and s.end_turn() == "busy"
    assert s.submit(BuildDatacenter(region="IND", it_mw=10)).accepted is False
    report = s.wait()
    assert report is not None and report.error is None and report.quarter == "2026Q1"
    assert not s.busy and s.turn == 0 and s.seat == first
    snap = s.snapshots["2026Q1"]
    assert snap.price_usd_mwh.shape == (3, 3)
    assert snap.alloc.shape == (len(snap.seg_qty), len(snap.cluster_capacity))
    assert snap.chip_flow is not None and snap.chip_flow.shape == (3, 3)


def test_snapshots_are_copies(tiny_scenario, tmp_path):
    s = new_session(tiny_scenario, ["IND"], seed=2, save_dir=tmp_path, autosave=False)
    s.end_turn(wait=True)
    s.poll()
    first = s.snapshots["2026Q1"]
    price = first.price_usd_mwh.copy()
    s.end_turn(wait=True)
    s.poll()
    assert np.array_equal(first.price_usd_mwh, price)
    assert list(s.snapshots) == ["2026Q1", "2026Q2"]


def test_save_load_round_trip_and_autosave(tiny_scenario, tmp_path):
    from sovereign.persist import model_digest

    s = new_session(tiny_scenario, ["IND"], seed=4, save_dir=tmp_path, autosave=True)
    s.submit(BuildDatacenter(region="IND", it_mw=150))
    s.end_turn(wait=True)
    report = s.poll()
    assert report.autosave is None
    assert not s.dirty  # the quarter is in its autosave: nothing to lose by loading or quitting now
    autosaves = [p for p in tmp_path.iterdir() if p.name.startswith("autosave-")]
    assert len(autosaves) == 1
    path = s.save()
    assert path.is_file() and not s.dirty
    loaded = load_model(path)
    assert model_digest(loaded)["state"] == model_digest(s.model)["state"]
    assert loaded.human_seats == {"IND"}
    assert any(p["owner"] == "IND" for p in loaded.world.projects)
    infos = list_saves(tmp_path)
    assert {i.path.name for i in infos} >= {path.name, autosaves[0].name}


def test_bad_save_is_a_readable_error(tmp_path):
    bad = tmp_path / "broken.json.gz"
    bad.write_bytes(b"not a save")
    with pytest.raises(SaveUnavailable) as exc:
        load_model(bad)
    assert "broken.json.gz" in str(exc.value)
    assert any(not hasattr(e, "scenario_title") for e in list_saves(tmp_path))


def test_a_failing_step_is_reported_not_raised(tiny_scenario, tmp_path, monkeypatch):
    s = new_session(tiny_scenario, ["IND"], seed=1, save_dir=tmp_path, autosave=False)

    def boom():
        raise RuntimeError("kaboom")

    monkeypatch.setattr(s.model, "step", boom)
    s.end_turn(wait=True)
    report = s.poll()
    assert report.error and "kaboom" in report.error
    assert isinstance(s, GameSession)


def test_per_seat_difficulty_with_a_default(tiny_scenario, tmp_path):
    base = tiny_scenario.seats.difficulty
    other = next(d for d in ("easy", "hard") if d != base)
    # the seats set individually are named; "*" carries the default for the rest (startups included)
    assert model_difficulty(tiny_scenario, ["IND"], None, {"CHN": "hard", "IND": "easy"}) == {"*": base, "CHN": "hard"}
    assert model_difficulty(tiny_scenario, ["IND"], other, {}) == other
    s = new_session(
        tiny_scenario, ["IND"], difficulty=other, seat_difficulty={"CHN": base}, save_dir=tmp_path, autosave=False
    )
    ai = s.ai_levels()
    assert ai[base] == ["CHN"] and not any("IND" in seats for seats in ai.values())
    assert all(s.controller(x) == other for x in ai[other]) and s.controller("IND") == "human"
    assert s.model.difficulty == other  # startups founded later play at the player's default
    with pytest.raises(ValueError, match="ATLANTIS"):
        new_session(tiny_scenario, ["IND"], seat_difficulty={"ATLANTIS": "hard"}, save_dir=tmp_path)
    with pytest.raises(ValueError, match="difficulty"):
        new_session(tiny_scenario, ["IND"], seat_difficulty={"CHN": "brutal"}, save_dir=tmp_path)


def test_reading_the_budget_never_creates_a_queue(tiny_scenario, tmp_path):
    from sovereign.game.actions import preview

    s = new_session(tiny_scenario, ["IND"], seed=1, save_dir=tmp_path, autosave=False)
    assert s.committed_busd() == 0.0
    preview(s.model, "IND", BuildDatacenter(region="IND", it_mw=100))
    s.check(BuildDatacenter(region="IND", it_mw=100))
    assert "IND" not in s.model.pending


def test_a_quarter_without_autosave_is_unsaved_progress(tiny_scenario, tmp_path):
    s = new_session(tiny_scenario, ["IND"], seed=4, save_dir=tmp_path, autosave=False)
    s.end_turn(wait=True)
    s.poll()
    assert s.dirty


def test_a_refusal_reads_with_names_while_the_log_keeps_the_codes(tiny_scenario, tmp_path):
    from sovereign.sim.commands import BuyAccelerators

    s = new_session(tiny_scenario, ["IND"], seed=4, save_dir=tmp_path, autosave=False)
    result = s.submit(BuyAccelerators(accelerator="frontier", h100e=1000, max_price_usd=20000, region="IND"))
    assert not result.accepted and "in India" in result.reason and "IND" not in result.reason
    assert "in IND" in s.model.command_log[-1]["reason"]  # replays and researchers keep the stable id


def test_a_finished_autosaved_game_is_not_unsaved_progress(tiny_scenario, tmp_path):
    """Starting a new game after the end does not ask to save a game the autosave already kept."""
    s = new_session(tiny_scenario, ["IND"], seed=4, save_dir=tmp_path, autosave=True)
    while s.end_turn(wait=True) != "over":
        s.poll()
    assert s.model.done and not s.dirty
