"""`sovereign validate` and `sovereign run` from the command line."""

from pathlib import Path

import pyarrow.parquet as pq

from sovereign.cli import main

FIX = Path(__file__).parent / "fixtures"


def test_run_writes_tidy_tables(tmp_path, capsys):
    rc = main(["run", str(FIX / "tiny.yaml"), "--seed", "3", "--quarters", "2", "--out", str(tmp_path), "--quiet"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "nations at 2026Q2" in out
    nations = pq.read_table(tmp_path / "nations.parquet").to_pylist()
    assert {r["quarter"] for r in nations} == {"2026Q1", "2026Q2"}
    assert {r["region"] for r in nations} == {"USA", "CHN", "IND"}
    assert (tmp_path / "world.parquet").exists() and (tmp_path / "firms.parquet").exists()


def test_run_csv(tmp_path):
    assert (
        main(["run", str(FIX / "tiny.yaml"), "--quarters", "1", "--out", str(tmp_path), "--format", "csv", "--quiet"])
        == 0
    )
    assert (tmp_path / "nations.csv").read_text().startswith('"quarter","region"')


def test_run_bad_scenario_is_a_clean_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("meta: {id: x, title: y}\nunknown_key: 1\n")
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:2" in err and "Traceback" not in err


def test_run_missing_file(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml" in capsys.readouterr().err


def test_run_rejects_bad_arguments(capsys):
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["run", str(FIX / "tiny.yaml"), "--quarters", "0"])
    assert exc.value.code == 2
    assert "expected a number > 0" in capsys.readouterr().err


def test_validate_exit_codes(tmp_path, capsys):
    assert main(["validate", str(FIX / "tiny.yaml")]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text((FIX / "tiny.yaml").read_text().replace("pue: 1.4", "pue: 0.4"))
    assert main(["validate", str(FIX / "tiny.yaml"), str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml:" in err and "pue" in err
