"""The speed benchmark (`benchmarks/run.py`): its phase clock, its worker and its command line."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = "tests/sim/fixtures/tiny.yaml"


def _load():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    return module


bench = _load()


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_phase_clock_charges_nested_time_to_the_inner_phase_only():
    fake = FakeClock()
    clock = bench.PhaseClock(fake)

    def inner():
        fake.now += 2.0

    def outer():
        fake.now += 1.0
        wrapped_inner()
        fake.now += 4.0

    wrapped_inner = clock.wrap(inner, "inner")
    clock.wrap(outer, "outer")()
    wrapped_inner()
    assert dict(clock.spent) == {"outer": 5.0, "inner": 4.0}
    assert sum(clock.spent.values()) == fake.now


def test_phase_clock_keeps_counting_after_an_exception():
    fake = FakeClock()
    clock = bench.PhaseClock(fake)

    def boom():
        fake.now += 3.0
        raise ValueError("no")

    with pytest.raises(ValueError):
        clock.wrap(boom, "boom")()
    clock.wrap(lambda: None, "after")()
    assert dict(clock.spent) == {"boom": 3.0, "after": 0.0}


def test_round_ratios_pair_the_rounds():
    def side(medians):
        return bench.Side("x", ROOT, [{"plain": [{"cpu_s": m}, {"cpu_s": m * 3}, {"cpu_s": m / 2}]} for m in medians])

    assert bench.ratios(side([1.0, 3.0]), side([2.0, 2.0])) == [0.5, 1.5]


def test_worker_times_every_phase_of_the_current_model_and_puts_the_model_back():
    from sovereign.sim.agents import SeatAgent

    before = {name: getattr(bench.phase_owner(name), name) for name in bench.PHASE_FUNCTIONS}
    decide = SeatAgent.decide
    out = bench.worker(ROOT, TINY, [3, 4], phases=True, lp=False)
    assert [r["seed"] for r in out["plain"]] == [3, 4] == [r["seed"] for r in out["phased"]]
    for run in out["plain"] + out["phased"]:
        assert run["quarters"] > 0 and run["cpu_s"] > 0
    expected = {*bench.PHASE_FUNCTIONS.values(), "AI decisions", bench.OTHER}
    for run in out["phased"]:
        assert set(run["phases"]) == expected
        assert all(sec >= 0 for sec in run["phases"].values())
        # exclusive times: the phases add up to the run (other = the rest), never more
        assert sum(run["phases"].values()) == pytest.approx(run["cpu_s"], rel=1e-9, abs=1e-9)
    assert {name: getattr(bench.phase_owner(name), name) for name in bench.PHASE_FUNCTIONS} == before
    assert SeatAgent.decide is decide


def test_worker_refuses_a_tree_it_did_not_import_from(tmp_path):
    with pytest.raises(bench.BenchError, match="imported sovereign from"):
        bench.worker(tmp_path, TINY, [1], phases=False, lp=False)


def test_unknown_commit_is_a_one_line_error(capsys):
    assert bench.main(["--against", "no-such-commit-xyz", "--runs", "1", "--repeat", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no commit 'no-such-commit-xyz'") and "Traceback" not in err


@pytest.mark.parametrize(
    "argv", [["--repeat", "0"], ["--runs", "-1"], ["--scenario", "/abs/baseline.yaml"], ["--repeat", "x"]]
)
def test_bad_arguments_exit_2_with_a_message(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        bench.main(argv)
    assert stop.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_missing_scenario_is_reported(capsys):
    assert bench.main(["--no-against", "--scenario", "scenarios/nope.yaml"]) == 2
    assert "no scenario scenarios/nope.yaml" in capsys.readouterr().err


@pytest.mark.slow
def test_side_by_side_against_a_commit_runs_each_tree_and_removes_its_checkout(tmp_path):
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    out_json = tmp_path / "bench.json"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--against", head, "--scenario", TINY]
    cmd += ["--repeat", "2", "--runs", "1", "--json", str(out_json)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ratio new/old" in done.stdout and f"commit {head[:7]}" in done.stdout
    import json

    data = json.loads(out_json.read_text())
    new, old = data["sides"]
    assert Path(new["tree"]) == ROOT and Path(old["tree"]) != ROOT
    assert [rnd["tree"] for rnd in old["rounds"]] == [old["tree"]] * 2
    assert not Path(old["tree"]).exists()
    worktrees = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True).stdout
    assert old["tree"] not in worktrees
