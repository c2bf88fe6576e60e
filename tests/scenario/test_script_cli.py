"""`sovereign run --script` and `sovereign montecarlo --script` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sovereign.cli import main
from sovereign.ensemble.store import read_table
from sovereign.scenario import load_scenario
from sovereign.scenario.script import load_script

TINY = Path(__file__).resolve().parents[1] / "sim" / "fixtures" / "tiny.yaml"

#: Localise India in 2027Q1 (accepted) and build far beyond its budget in 2026Q2 (refused).
SCRIPT = """\
- {quarter: 2026Q2, seat: IND, command: {kind: build_datacenter, region: IND, it_mw: 9000}}
- {quarter: 2027Q1, seat: IND, command: {kind: set_localisation, enabled: true}}
"""


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


def test_run_with_a_script_lists_refusals_and_writes_what_became_of_each_command(tmp_path, script, capsys):
    out = tmp_path / "out"
    argv = ["run", str(TINY), "--seed", "2", "--quarters", "5", "--script", str(script), "--out", str(out), "--quiet"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "2 scripted commands submitted, 1 accepted, 1 refused" in printed
    assert "refused (line 1): 2026Q2 IND build_datacenter(region=IND, it_mw=9000.0): refused: not enough budget" in (
        " ".join(printed.split())
    )
    rows = pq.read_table(out / "script.parquet").to_pylist()
    assert [(r["quarter"], r["kind"], r["accepted"], r["line"]) for r in rows] == [
        ("2026Q2", "build_datacenter", False, 1),
        ("2027Q1", "set_localisation", True, 2),
    ]
    assert rows[0]["reason"].startswith("not enough budget") and rows[1]["reason"] == ""
    nations = pq.read_table(out / "nations.parquet").to_pylist()
    assert [r["localisation"] for r in nations if r["region"] == "IND"] == [False] * 4 + [True]


def test_run_says_which_script_entries_were_not_reached(script, capsys):
    assert main(["run", str(TINY), "--quarters", "2", "--script", str(script), "--quiet"]) == 0
    assert "1 script entries from 2026Q3 on were not reached" in capsys.readouterr().out


def test_run_with_a_bad_script_is_a_located_error_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {quarter: 2027Q1, seat: IDN, command: {kind: set_localisation, enabled: true}}\n")
    assert main(["run", str(TINY), "--script", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"invalid script {bad}:" in err
    assert f"{bad}:1:27: commands.0.seat: expected a region or actor id of the scenario, found 'IDN'" in err
    assert "Traceback" not in err


def test_run_with_a_missing_script_file(tmp_path, capsys):
    assert main(["run", str(TINY), "--script", str(tmp_path / "nope.yaml"), "--quiet"]) == 2
    assert "nope.yaml: cannot read the file: it does not exist" in capsys.readouterr().err


def test_run_refuses_to_save_a_game_whose_script_turns_the_ai_off(tmp_path, capsys):
    off = tmp_path / "off.yaml"
    off.write_text("seats: {IND: {ai: off}}\n")
    save = tmp_path / "game.json.gz"
    assert main(["run", str(TINY), "--script", str(off), "--save", str(save), "--quiet"]) == 2
    assert "which a save cannot record yet" in capsys.readouterr().err
    assert not save.exists()


def test_montecarlo_with_a_script_records_its_hash_and_refusals(tmp_path, script, capsys):
    out = tmp_path / "mc"
    argv = ["montecarlo", str(TINY), "--runs", "2", "--seed", "4", "--quarters", "5", "--workers", "1"]
    argv += ["--script", str(script), "--out", str(out), "--quiet"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "scripted commands refused in 2 of 2 runs" in printed
    assert "2 run(s): 2026Q2 IND build_datacenter(region=IND, it_mw=9000.0): refused: not enough budget" in printed
    expected_hash = load_script(script, load_scenario(TINY)).hash
    runs = read_table(out, "runs").to_pylist()
    assert [(r["script_hash"], r["script_accepted"], r["script_refused"]) for r in runs] == [(expected_hash, 1, 1)] * 2
    nations = read_table(out, "nations").to_pylist()
    assert {r["script_hash"] for r in nations} == {expected_hash}
    assert {r["run_id"]: r["localisation"] for r in nations if r["region"] == "IND" and r["quarter"] == "2027Q1"} == {
        0: True,
        1: True,
    }
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["script"]["hash"] == expected_hash and manifest["design"]["script_hash"] == expected_hash
    assert manifest["script"]["content"]["commands"][1]["command"] == {"kind": "set_localisation", "enabled": True}

    # the same folder cannot be resumed with another script: the runs would not be the same runs
    script.write_text(SCRIPT.replace("2027Q1", "2027Q2"))
    assert main(argv) == 2
    assert "script_hash" in capsys.readouterr().err


def test_montecarlo_with_a_bad_script_exits_2_before_running(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {quarter: 2027Q1, seat: IND, command: {kind: set_subsidy, rate: 3}}\n")
    out = tmp_path / "mc"
    assert main(["montecarlo", str(TINY), "--runs", "2", "--script", str(bad), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:1:67: commands.0.command.rate: expected a number <= 0.5, found 3" in err
    assert not out.exists()
