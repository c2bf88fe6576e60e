"""The command log keeps submissions as their commands until read: readers must see the lines a list held."""

import json

import pytest

from sovereign.persist.state import model_from_state, model_to_state
from sovereign.sim.commandlog import CommandLog, submission_line
from sovereign.sim.commands import BuildPlant, BuyAccelerators
from sovereign.sim.model import SovereignModel

BID = BuyAccelerators(accelerator="frontier", h100e=10.0, max_price_usd=20000.0, region="USA")
PLANT = BuildPlant(region="IND", technology="solar", mw=100.0)


def _eager(self, quarter, seat, cmds, refused, origin):
    """The log as a list of lines made at once: what `add_submissions` must be indistinguishable from."""
    for i, cmd in enumerate(cmds):
        self._items.append(submission_line(quarter, seat, cmd, refused.get(i), origin))


def test_lines_of_a_hand_built_log():
    log = CommandLog()
    log.add_submissions("2026Q1", "IND", [BID, PLANT], {1: "too poor"}, "ai")
    hand = {"quarter": "2026Q1", "seat": "IND", "command": {"kind": "hand_seat", "to": "human"}, "stage": "control"}
    log.append(hand)
    log.add_submissions("2026Q2", "USA", [PLANT], {}, "human")
    want = [
        submission_line("2026Q1", "IND", BID, None, "ai"),
        submission_line("2026Q1", "IND", PLANT, "too poor", "ai"),
        hand,
        submission_line("2026Q2", "USA", PLANT, None, "human"),
    ]
    assert want[1]["accepted"] is False and want[1]["reason"] == "too poor" and want[0]["reason"] == ""
    assert want[3]["command"] == {"kind": "build_plant", "region": "IND", "technology": "solar", "mw": 100.0}
    assert len(log) == 4
    assert log[-1] == want[3] and log[1] == want[1] and log[2] is hand
    assert log[1:3] == want[1:3] and log[::-1] == want[::-1] and log[-2:] == want[-2:]
    assert list(reversed(log)) == want[::-1]
    assert log == want and want == log and log == CommandLog(want) and log != want[:3] and log != "x"
    assert json.dumps(list(log)) == json.dumps(want)
    with pytest.raises(IndexError):
        log[4]
    with pytest.raises(IndexError):
        log[-5]


def test_a_line_read_twice_is_the_same_line():
    log = CommandLog()
    log.add_submissions("2026Q1", "IND", [BID], {}, "ai")
    first = log[0]
    first["note"] = "kept"  # as in a list: a change to a line stays
    assert log[0] is first and next(iter(log))["note"] == "kept"


def test_a_game_logs_what_a_list_of_lines_would(baseline, monkeypatch):
    lazy = SovereignModel(baseline, rng=4)
    lazy.run(12)
    monkeypatch.setattr(CommandLog, "add_submissions", _eager)
    eager = SovereignModel(baseline, rng=4)
    eager.run(12)
    assert len(lazy.command_log) > 1500 and any(not line["accepted"] for line in eager.command_log)
    assert all(type(item) is dict for item in eager.command_log._items)
    # read backwards first (the last lines first), then in order: every line as the list holds it
    assert list(reversed(lazy.command_log)) == list(reversed(eager.command_log))
    assert lazy.command_log == eager.command_log


def test_a_saved_log_loads_as_the_lines_it_held(baseline):
    model = SovereignModel(baseline, rng=5)
    model.run(2)
    state = model_to_state(model)
    assert isinstance(state["command_log"], list) and state["command_log"][0]["stage"] == "submit"
    loaded = model_from_state(state)
    assert isinstance(loaded.command_log, CommandLog) and loaded.command_log == model.command_log
    loaded.run(1)
    model.run(1)
    assert loaded.command_log == model.command_log


def test_lines_added_while_iterating_are_seen_as_lines():
    log = CommandLog()
    log.add_submissions("2026Q1", "IND", [BID], {}, "ai")
    seen = []
    for line in log:
        seen.append(line)
        if len(seen) == 1:  # as a list does, the iteration goes on to what was added meanwhile
            log.add_submissions("2026Q1", "USA", [PLANT], {0: "no"}, "human")
    assert seen == [
        submission_line("2026Q1", "IND", BID, None, "ai"),
        submission_line("2026Q1", "USA", PLANT, "no", "human"),
    ]
    assert all(type(line) is dict for line in seen)
