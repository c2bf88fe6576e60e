"""Bad input fails fast with exit code 2 and a message naming the path and what was expected."""

import pytest

from sovereign.cli import main

from .conftest import TINY


def run(argv, capsys):
    code = main(["montecarlo", str(TINY), "--quiet", *argv])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--set", "economics.voll=5"],
            "--set: economics.voll: no field 'voll' in economics (nearest valid keys: voll_usd_mwh)",
        ),
        (
            ["--set", "economics.voll_usd_mwh=-5"],
            "--set: economics.voll_usd_mwh: expected a number > 0.0 ($/MWh), found -5",
        ),
        (["--set", "economics.voll_usd_mwh=cheap"], "economics.voll_usd_mwh: expected a number ($/MWh), found 'cheap'"),
        (["--set", "regions.XXX.pue=1.2"], "no item 'XXX' in regions (items: USA, CHN, IND)"),
        (["--set", "economics.voll_usd_mwh"], "expected PATH=VALUE"),
        (
            ["--sweep", "economics.voll_usd_mwh=1000,-1"],
            "--sweep economics.voll_usd_mwh=-1: economics.voll_usd_mwh: expected a number > 0",
        ),
        (["--sweep", "economics.datacenter_build_quarters=4,2.5"], "economics.datacenter_build_quarters"),
        (["--sample", "sobol"], "--sample sobol needs at least one --param"),
        (["--sample", "lhs", "--param", "economics.voll_usd_mwh=9:1"], "LOW < HIGH"),
        (["--sample", "lhs", "--param", "meta.title=0:1"], "expected a numeric scenario field"),
    ],
)
def test_bad_design_exits_2_with_a_clear_message(argv, expected, capsys, tmp_path):
    code, err = run(["--runs", "2", "--out", str(tmp_path / "out"), *argv], capsys)
    assert code == 2
    assert expected in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing is written before the design is valid


def test_bad_runs_and_workers_are_argparse_errors(capsys):
    for argv in (["--runs", "0"], ["--runs", "2", "--workers", "none"], ["--runs", "2", "--seed", "-1"]):
        with pytest.raises(SystemExit) as exc:
            run(argv, capsys)
        assert exc.value.code == 2


def test_report_of_a_folder_that_is_not_an_ensemble(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not an ensemble folder" in capsys.readouterr().err
