import numpy as np
import pytest

from sovereign.ensemble.design import (
    DesignError,
    check_design,
    make_design,
    params_hash,
    parse_range,
    parse_sweep,
    parse_value,
)
from sovereign.scenario.loader import scenario_to_dict


def test_parse_value_reads_yaml_and_exponents():
    assert parse_value("0.5") == 0.5
    assert parse_value("1e3") == 1000.0
    assert parse_value("true") is True
    assert parse_value("hard") == "hard"


def test_sweep_is_point_major_full_factorial():
    d = make_design(runs=2, seed=0, sweeps=[parse_sweep("a.x=1,2,3"), parse_sweep("b.y=low,high")])
    assert (d.kind, d.n_points, d.n_runs) == ("sweep", 6, 12)
    specs = [d.run(i) for i in range(d.n_runs)]
    assert [s.point for s in specs] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [s.replicate for s in specs[:4]] == [0, 1, 0, 1]
    assert [s.params for s in specs[::2]] == [
        {"a.x": a, "b.y": b} for a in (1, 2, 3) for b in ("low", "high")
    ]  # the first sweep varies slowest, like itertools.product
    assert d.param_kinds == {"a.x": "int", "b.y": "string"}
    assert specs[0].params_hash == specs[1].params_hash != specs[2].params_hash


def test_lhs_and_sobol_designs():
    ranges = [parse_range("demand.growth_per_year=0.2:0.6"), parse_range("economics.datacenter_build_quarters=2:6")]
    lhs = make_design(runs=10, seed=3, sample="lhs", ranges=ranges)
    assert lhs.n_runs == 10 and lhs.samples.shape == (10, 2)
    growth, build = lhs.samples[:, 0], lhs.samples[:, 1]
    assert ((growth >= 0.2) & (growth <= 0.6)).all()
    # one Latin hypercube stratum per run
    assert sorted(np.floor((growth - 0.2) / 0.04).astype(int)) == list(range(10))
    assert set(build) <= {2.0, 3.0, 4.0, 5.0, 6.0} and lhs.run(0).params["economics.datacenter_build_quarters"] % 1 == 0
    sobol = make_design(runs=8, seed=3, sample="sobol", ranges=ranges)
    assert sobol.n_runs == 8 * (2 + 2)
    again = make_design(runs=8, seed=3, sample="sobol", ranges=ranges)
    assert np.array_equal(sobol.samples, again.samples) and sobol.identity() == again.identity()
    other = make_design(runs=8, seed=4, sample="sobol", ranges=ranges)
    assert sobol.identity()["samples_sha256"] != other.identity()["samples_sha256"]


def test_params_hash_is_canonical():
    assert params_hash({"a": 1, "b": 2.5}) == params_hash({"b": 2.5, "a": 1})
    assert params_hash({"a": 1}) != params_hash({"a": 2})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sample": "lhs"}, "needs at least one --param"),
        ({"ranges": [("economics.voll_usd_mwh", 1.0, 2.0)]}, "--param needs --sample"),
        ({"sample": "lhs", "ranges": [("meta.title", 0.0, 1.0)]}, "expected a numeric scenario field"),
        ({"sample": "lhs", "ranges": [("economics.nope", 0.0, 1.0)]}, "no such field"),
        ({"sample": "lhs", "ranges": [("economics.fab_build_quarters", 1.5, 4.0)]}, "whole numbers"),
        ({"sets": [("a.b", 1)], "sweeps": [parse_sweep("a.b=1,2")]}, "given more than once"),
    ],
)
def test_inconsistent_designs_are_refused(kwargs, message):
    with pytest.raises(DesignError, match=message):
        make_design(runs=4, seed=0, **kwargs)


@pytest.mark.parametrize("text", ["voll", "a.b", "a.b=", "a..b=1", "=3"])
def test_bad_option_text(text):
    with pytest.raises(DesignError):
        parse_sweep(text)


def test_check_design_names_path_and_expectation(tiny_scenario):
    base = scenario_to_dict(tiny_scenario)
    sweeps = [parse_sweep("economics.voll_usd_mwh=1000,-5"), parse_sweep("economics.vol=1")]
    d = make_design(runs=1, seed=0, sweeps=sweeps)
    with pytest.raises(DesignError) as exc:
        check_design(d, base)
    text = str(exc.value)
    assert "--sweep economics.voll_usd_mwh=-5: economics.voll_usd_mwh: expected a number > 0" in text
    assert "economics.vol" in text and "voll_usd_mwh" in text  # names the nearest valid key
    ok = make_design(runs=1, seed=0, sample="lhs", ranges=[parse_range("economics.voll_usd_mwh=1000:5000")])
    check_design(ok, base)
    bad = make_design(runs=1, seed=0, sample="lhs", ranges=[parse_range("economics.voll_usd_mwh=-10:5000")])
    with pytest.raises(DesignError, match=r"low bound.*expected a number > 0"):
        check_design(bad, base)
