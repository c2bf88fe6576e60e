"""Every save format ever written has a fixture: the current one loads and plays on, older ones
are refused with a clear reason (format 2 changed the rules of the game)."""

from __future__ import annotations

import gzip
import json

import pytest

from sovereign.persist import FORMAT_VERSION, SaveError, load_game, replay_game
from sovereign.persist.files import read_save
from sovereign.persist.migrations import FIRST_PLAYABLE_FORMAT

from .helpers import FIXTURES

VERSIONS = range(FORMAT_VERSION + 1)


def fixture(version: int):
    return FIXTURES / f"save_v{version}.json.gz"


def test_a_fixture_for_every_format():
    for version in VERSIONS:
        assert fixture(version).exists(), f"keep a fixture save of format {version}"


def test_current_fixture_loads_and_plays_on():
    doc = read_save(fixture(FORMAT_VERSION))
    assert doc.format_version == FORMAT_VERSION
    model = load_game(fixture(FORMAT_VERSION))
    assert (model.quarter_label, sorted(model.human_seats)) == ("2026Q4", ["IND", "cloudco"])
    assert model.pending_decisions == {"IND": {0: ["Fund it", "Wait"]}}
    assert model.steps == 3 and model.time == 3.0
    model.run()
    assert model.done


@pytest.mark.parametrize("version", [v for v in VERSIONS if v < FIRST_PLAYABLE_FORMAT])
def test_saves_made_under_older_rules_are_refused_with_a_reason(version):
    """Formats 2-7 changed the rules (economy, chips, stockpiling, grid, diplomacy, budgets): refused."""
    with pytest.raises(SaveError, match=f"older version of Sovereign \\(save format {version}") as err:
        load_game(fixture(version))
    assert "start a new one" in str(err.value)
    with pytest.raises(SaveError, match="older version"):
        replay_game(fixture(version))


def test_damaged_v0_is_a_save_error(tmp_path):
    raw = fixture(0).read_bytes()
    path = tmp_path / "v0.json.gz"
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(SaveError, match="truncated"):
        load_game(path)
    doc = json.loads(gzip.decompress(raw))
    doc["state"]["quarter"] += 1  # edited without fixing the inner checksum
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    with pytest.raises(SaveError, match="checksum mismatch"):
        load_game(path)
