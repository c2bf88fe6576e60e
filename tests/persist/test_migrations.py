"""Every save format ever written loads: one fixture per format, migrated to the current one."""

from __future__ import annotations

import gzip
import json

import pytest

from sovereign.persist import FORMAT_VERSION, SaveError, load_game, replay_game
from sovereign.persist.files import read_save
from sovereign.persist.migrations import MIGRATIONS, UNRECORDED_V0
from sovereign.persist.state import model_to_state

from .helpers import FIXTURES

VERSIONS = range(FORMAT_VERSION + 1)


def fixture(version: int):
    return FIXTURES / f"save_v{version}.json.gz"


def test_a_fixture_and_a_migration_for_every_format():
    for version in VERSIONS:
        assert fixture(version).exists(), f"keep a fixture save of format {version}"
    assert sorted(MIGRATIONS) == list(range(FORMAT_VERSION))


@pytest.mark.parametrize("version", VERSIONS)
def test_fixture_loads_and_plays_on(version):
    doc = read_save(fixture(version))
    assert doc.format_version == version
    model = load_game(fixture(version))
    assert (model.quarter_label, sorted(model.human_seats)) == ("2026Q4", ["IND", "cloudco"])
    assert model.pending_decisions == {"IND": {0: ["Fund it", "Wait"]}}
    assert model.steps == 3 and model.time == 3.0
    model.run()
    assert model.done


def test_migrated_v0_equals_v1_except_what_v0_did_not_keep():
    old = model_to_state(load_game(fixture(0)))
    new = model_to_state(load_game(fixture(1)))
    differing = {k for k in new if old[k] != new[k]}
    assert differing <= set(UNRECORDED_V0), differing
    assert read_save(fixture(0)).unrecorded == UNRECORDED_V0


def test_migrated_v0_continues_like_v1():
    old, new = load_game(fixture(0)), load_game(fixture(1))
    old.run()
    new.run()
    assert old.metrics.tables() == new.metrics.tables()


def test_v0_replay_checks_what_it_can(saved_bytes, tmp_path):
    """Format 0 has no quarter hashes and lacks some parts: the replay checks the rest.

    Made from a fresh save rather than the fixture: a fixture's replay diverges as soon as the
    game's rules change (which is what replays are for), while loading it must keep working.
    """
    from .make_fixtures import downgrade_to_v0

    doc = json.loads(gzip.decompress(saved_bytes[saved_bytes.index(b"\n") + 1 :]))
    path = tmp_path / "v0.json.gz"
    path.write_bytes(gzip.compress(json.dumps(downgrade_to_v0(doc)).encode()))
    report = replay_game(path)
    assert report.ok, report.describe()
    assert (report.recorded, report.checked, report.quarters) == (0, 0, 3)


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
    from sovereign.persist.migrations import legacy_checksum

    del doc["state"]["seats"]
    doc.pop("sha256")
    doc["sha256"] = legacy_checksum(doc)
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    with pytest.raises(SaveError, match="format-0 save is malformed"):
        load_game(path)
