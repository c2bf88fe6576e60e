"""examples/rl_random_vs_heuristic.py runs, for a nation and a firm, and refuses bad arguments."""

from __future__ import annotations

import re
import runpy

import pytest

from .conftest import ROOT, TINY

EXAMPLE = ROOT / "examples" / "rl_random_vs_heuristic.py"


@pytest.fixture(scope="module")
def example():
    return runpy.run_path(str(EXAMPLE))  # not as __main__: nothing runs until main() is called


@pytest.mark.parametrize("seat", ["IND", "cloudco"])
def test_the_example_prints_both_policies_mean_returns(example, capsys, seat):
    assert example["main"](["--scenario", str(TINY), "--seat", seat, "--seeds", "2", "--quarters", "3"]) == 0
    out = capsys.readouterr().out
    assert f"{seat} in Tiny world, seeds 1..2:" in out
    for policy in ("random", "heuristic"):
        assert re.search(rf"{policy}\s+mean return [+-]\d\.\d{{4}} \(sd \d\.\d{{4}}\)", out), out


def test_the_heuristic_nation_beats_doing_nothing(example):
    from sovereign.env import SovereignSeatEnv

    env = SovereignSeatEnv(TINY, "IND")
    noop = env.parallel.codec.encode_kind("no_op")
    idle = example["evaluate"](env, lambda seed: lambda obs, info: noop, [1, 2])
    heuristic = example["evaluate"](env, lambda seed: example["heuristic_policy"](env), [1, 2])
    assert all(h > i for h, i in zip(heuristic, idle, strict=True)), (heuristic, idle)


def test_a_bad_seat_is_a_message_and_exit_code_2(example, capsys):
    assert example["main"](["--scenario", str(TINY), "--seat", "atlantis"]) == 2
    assert "unknown seat(s) 'atlantis'" in capsys.readouterr().err
