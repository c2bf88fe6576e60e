"""Replays: the command log and the seed rebuild the game exactly; the first divergence is named."""

from __future__ import annotations

import gzip
import hashlib
import json

from sovereign.persist import load_game, replay_game, save_game
from sovereign.persist.files import FORMAT_VERSION
from sovereign.persist.replay import human_submissions

from .helpers import dump

#: The header line of a save of the current format, before its checksum.
HEADER = f"sovereign-save {FORMAT_VERSION} sha256:".encode()


def _rewrite(path, change):
    """Apply `change` to a save's document and re-sign it (as a forger, or a bug, would)."""
    raw = path.read_bytes()
    doc = json.loads(gzip.decompress(raw[raw.index(b"\n") + 1 :]))
    change(doc)
    body = gzip.compress(json.dumps(doc).encode(), mtime=0)
    path.write_bytes(HEADER + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)


def test_replay_reaches_the_saved_state(save_file, played):
    seen = []
    report = replay_game(save_file, on_quarter=lambda m: seen.append(m.quarter_label))
    assert report.ok, report.describe()
    assert (report.quarters, report.checked) == (3, 3)
    assert seen == ["2026Q2", "2026Q3", "2026Q4"]
    assert dump(report.model) == dump(played)
    assert "replay OK" in report.describe()


def test_human_submissions_include_refused_commands(played):
    subs = human_submissions(played.command_log, {"IND", "cloudco"})
    assert [e["command"]["kind"] for e in subs["2026Q2"]] == ["buy_accelerators", "set_subsidy"]
    assert [e["accepted"] for e in subs["2026Q2"]] == [True, False]
    assert [e["command"]["kind"] for e in subs["2026Q4"]] == ["decide", "build_datacenter"]  # queued


def test_divergence_in_a_recorded_quarter_is_named(save_file):
    def corrupt(doc):
        doc["replay"]["hashes"][1]["state"] = "0" * 64
        doc["replay"]["hashes"][1]["parts"]["world"] = "0" * 64

    _rewrite(save_file, corrupt)
    report = replay_game(save_file)
    assert not report.ok
    assert report.divergence.quarter == "2026Q2" and report.divergence.parts == ("world",)
    assert "first divergence at 2026Q2 (differing: world)" in report.describe()


def test_divergence_at_the_save_point_names_the_value(save_file):
    def corrupt(doc):
        doc["game"]["economy"]["$obj"]["fields"]["startups_spawned"] += 1

    _rewrite(save_file, corrupt)
    report = replay_game(save_file)
    assert report.divergence.quarter == "2026Q4" and report.divergence.parts == ("economy",)
    assert "economy.startups_spawned" in report.divergence.detail


def test_a_changed_command_is_reported_as_such(save_file):
    def corrupt(doc):
        for entry in doc["game"]["command_log"]:
            if entry["command"] == {"kind": "set_subsidy", "rate": 0.1}:  # cloudco's refused one
                entry["accepted"] = True

    _rewrite(save_file, corrupt)
    report = replay_game(save_file)
    assert report.divergence.quarter == "2026Q2"
    assert "cloudco's set_subsidy was accepted in the game but refused" in report.divergence.detail


def test_saving_an_untracked_game_backfills_its_hashes(tiny, tmp_path):
    from .helpers import new_game, play

    model = play(new_game(tiny), 2, record=False)
    path = save_game(model, tmp_path / "u.json.gz")
    report = replay_game(path)
    assert report.ok and report.checked == 2


def test_a_game_edited_outside_the_rules_is_saved_but_flagged(tiny, tmp_path):
    from .helpers import new_game, play

    model = play(new_game(tiny), 1, record=False)
    model.world.subsidy[0] = 0.42  # not through a command: the log cannot reproduce it
    path = save_game(model, tmp_path / "edited.json.gz")
    assert dump(load_game(path)) == dump(model), "never lose a game"
    report = replay_game(path)
    assert not report.ok and "world.subsidy" in report.divergence.detail


def test_replay_keeps_per_seat_difficulty(tmp_path):
    from pathlib import Path

    from sovereign.persist import replay_game, save_game
    from sovereign.scenario.loader import load_scenario
    from sovereign.sim import SovereignModel

    sc = load_scenario(Path(__file__).resolve().parents[1] / "sim" / "fixtures" / "tiny.yaml")
    m = SovereignModel(sc, rng=9, difficulty={"*": "easy", "cloudco": "hard"})
    m.run(3)
    path = save_game(m, tmp_path / "g.json.gz")
    report = replay_game(path)
    assert report.ok, report.describe()
