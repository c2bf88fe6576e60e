"""Handing a seat between people and the AI mid-game: who decides, and exact replays and what-ifs."""

from __future__ import annotations

import pytest

from sovereign.ensemble.foresight import whatif
from sovereign.game.session import new_session
from sovereign.persist import load_game, model_to_state, replay_game, save_game
from sovereign.persist.replay import first_human_seats, replay_state
from sovereign.persist.state import model_digest
from sovereign.sim.commands import SetSubsidy, command_to_dict


def _ai_entries(model, seat: str, label: str) -> list[dict]:
    return [e for e in model.command_log if e["seat"] == seat and e["quarter"] == label and e["origin"] == "ai"]


def test_a_hand_over_changes_who_decides_from_the_next_quarter(tiny_scenario, tmp_path):
    # the firm "dragon" is one the AI gives orders for in every quarter of this world and seed
    session = new_session(tiny_scenario, ["USA"], seed=3, save_dir=tmp_path, autosave=False)
    model = session.model
    assert session.hand_seat("dragon", "human") is None
    assert session.player_next_quarter("dragon") == "human"
    assert "dragon" not in model.human_seats  # not before the quarter is played
    session.end_turn(wait=True)
    session.poll()
    assert _ai_entries(model, "dragon", "2026Q1"), "the AI still plays the seat in the quarter of the request"
    assert model.human_seats == {"USA", "dragon"}
    assert session.human_seats == ["USA", "dragon"] and session.seat == "USA"
    # a person plays the firm now: in 2026Q2 the AI gives no order for it; its turn follows USA's
    assert session.end_turn() == "handover" and session.seat == "dragon"
    session.end_turn(wait=True)
    session.poll()
    assert not _ai_entries(model, "dragon", "2026Q2")
    # back to the AI, and USA too, then USA kept after all (asking for the current player takes it back)
    assert session.hand_seat("dragon", "ai") is None
    assert session.hand_seat("USA", "ai") is None
    assert session.hand_seat("USA", "human") is None
    assert session.handovers == {"dragon": "ai"}
    session.end_turn()
    session.end_turn(wait=True)
    session.poll()
    assert not _ai_entries(model, "dragon", "2026Q3")
    assert model.human_seats == {"USA"}
    session.end_turn(wait=True)
    session.poll()
    assert _ai_entries(model, "dragon", "2026Q4")
    assert first_human_seats(model.command_log, model.human_seats) == ["USA"]


def test_bad_hand_overs_are_refused_with_the_reason(tiny_scenario, tmp_path):
    session = new_session(tiny_scenario, ["USA"], seed=3, save_dir=tmp_path, autosave=False)
    assert "person or the AI" in (session.hand_seat("CHN", "robot") or "")
    assert "no longer in the game" in (session.hand_seat("ATLANTIS", "ai") or "")
    with pytest.raises(ValueError, match="not a seat"):
        session.model.hand_seat("ATLANTIS", "ai")


def _switched_game(tiny_scenario, tmp_path):
    session = new_session(tiny_scenario, ["USA"], seed=5, save_dir=tmp_path, autosave=True)
    plan = {1: ("CHN", "human"), 3: ("CHN", "ai"), 4: ("USA", "ai"), 5: ("USA", "human")}
    for q in range(7):
        if q in plan:
            assert session.hand_seat(*plan[q]) is None
        for seat in list(session.human_seats):
            rate = 0.05 * (q % 3)
            session.submit(SetSubsidy(rate=rate), seat=seat)
        session.end_quarter(wait=True)
        session.poll()
    return session


def test_a_replay_of_a_game_with_hand_overs_is_bit_identical(tiny_scenario, tmp_path):
    session = _switched_game(tiny_scenario, tmp_path)
    model = session.model
    assert [e["command"]["to"] for e in model.command_log if e["stage"] == "control"] == ["human", "ai", "ai", "human"]
    path = save_game(model, tmp_path / "switched.json.gz")
    report = replay_game(path)
    assert report.ok, report.describe()
    assert report.checked == 7
    assert model_digest(report.model) == model_digest(model)
    # without the hand-overs in the log the replay would not arrive: the check can fail
    state = model_to_state(model)
    state["command_log"] = [e for e in state["command_log"] if e["stage"] != "control"]
    assert not replay_state(state).ok
    # and the loaded save plays on exactly like the live game
    loaded = load_game(path)
    model.step()
    loaded.step()
    assert model_digest(loaded) == model_digest(model)


def test_a_whatif_of_a_game_with_hand_overs_that_changes_nothing_is_identical(tiny_scenario, tmp_path):
    session = _switched_game(tiny_scenario, tmp_path)
    state = model_to_state(session.model)
    # CHN was played by a person in 2026Q3 and 2026Q4 only (its subsidy in 2026Q3: 0.1)
    same = whatif(state, at="2026Q3", seat="CHN", n=1, replace=command_to_dict(SetSubsidy(rate=0.1)))
    assert same.diverged is None
    changed = whatif(state, at="2026Q3", seat="CHN", n=1)
    assert changed.diverged == "2026Q3"
