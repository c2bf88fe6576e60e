"""Comparing two ensembles: paired on common random numbers, independent otherwise, with real tests."""

from __future__ import annotations

import pytest

from sovereign.cli import main
from sovereign.ensemble.compare import CompareError, Outcome, compare

from .conftest import TINY


def _ensemble(tmp_path, name, capsys, *extra):
    out = tmp_path / name
    argv = ["montecarlo", str(TINY), "--runs", "6", "--quarters", "3", "--workers", "1", "--out", str(out), "--quiet"]
    assert main([*argv, *extra]) == 0
    capsys.readouterr()
    return out


def test_an_ensemble_against_itself_shows_no_difference(tmp_path, capsys):
    a = _ensemble(tmp_path, "a", capsys)
    result = compare(a, a, Outcome("nations", "sovereignty_index", "IND"))
    assert result.paired and result.difference == 0.0 and result.p_value == 1.0
    assert result.ci_low == result.ci_high == 0.0 and result.quarter == "2026Q3"


def test_same_seed_is_paired_and_finds_a_real_effect(tmp_path, capsys):
    a = _ensemble(tmp_path, "a", capsys)
    b = _ensemble(tmp_path, "b", capsys, "--set", "regions.IND.ai_budget_share=0.05")
    result = compare(a, b, Outcome("nations", "budget_busd", "IND"))
    assert result.paired and result.n_a == result.n_b == 6
    assert result.difference > 0 and result.ci_low > 0 and result.p_value < 0.01
    assert result.test.startswith("paired t")


def test_other_seeds_are_independent(tmp_path, capsys):
    a = _ensemble(tmp_path, "a", capsys)
    b = _ensemble(tmp_path, "b", capsys, "--seed", "9")
    result = compare(a, b, Outcome("world", "compute_price_usd_hour"))
    assert not result.paired and result.test == "Welch t" and result.rank_test == "Mann-Whitney U"
    assert result.ci_low <= result.difference <= result.ci_high and 0.0 <= result.p_value <= 1.0


def test_refusals_and_cli(tmp_path, capsys):
    a = _ensemble(tmp_path, "a", capsys)
    with pytest.raises(CompareError, match="name the seat"):
        compare(a, a, Outcome("nations", "sovereignty_index"))
    with pytest.raises(CompareError, match="no column 'nope'"):
        compare(a, a, Outcome("nations", "nope", "IND"))
    with pytest.raises(CompareError, match="no run reached 2031Q1"):
        compare(a, a, Outcome("nations", "sovereignty_index", "IND", "2031Q1"))
    with pytest.raises(CompareError, match="cannot read"):
        compare(a, tmp_path / "missing", Outcome("world", "compute_price_usd_hour"))
    assert main(["compare", str(a), str(a), "--seat", "IND"]) == 0
    out = capsys.readouterr().out
    assert "paired runs" in out and "difference +0" in out
    assert main(["compare", str(a), str(a)]) == 2
    assert "name the seat" in capsys.readouterr().err
