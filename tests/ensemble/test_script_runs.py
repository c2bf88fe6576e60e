"""Ensembles with a policy script: every run plays it, whoever runs it, and says so in every row."""

from sovereign.ensemble.runner import run_ensemble
from sovereign.ensemble.seeds import run_seed
from sovereign.ensemble.store import read_table
from sovereign.scenario.script import play_scripted, script_from_dict
from sovereign.sim.model import SovereignModel

from .conftest import QUARTERS, RUNS, SEED, make_spec

#: India localises in the second (and last) quarter the ensemble tests play.
SCRIPT = [{"quarter": "2026Q2", "seat": "IND", "command": {"kind": "set_localisation", "enabled": True}}]


def test_scripted_runs_on_two_workers_equal_the_script_played_in_process(tiny_scenario, tmp_path):
    script = script_from_dict(SCRIPT, tiny_scenario, "test script")
    out = tmp_path / "scripted"
    result = run_ensemble(make_spec(tiny_scenario, out, workers=2, script=script), show_progress=False)
    assert result.status == "complete" and result.succeeded == RUNS
    nations = read_table(out, "nations")
    assert set(nations.column("script_hash").to_pylist()) == {script.hash}
    for run in range(RUNS):
        model = SovereignModel(tiny_scenario, rng=run_seed(SEED, run))
        play_scripted(model, script, QUARTERS)
        rows = nations.filter(nations.column("run_id").to_numpy() == run).to_pylist()
        got = {(r["quarter"], r["region"]): (r["sovereignty_index"], r["localisation"]) for r in rows}
        expected = {
            (r["quarter"], r["region"]): (r["sovereignty_index"], r["localisation"]) for r in model.metrics.nations
        }
        assert got == expected, f"run {run} differs"
        assert got[("2026Q2", "IND")][1] and not got[("2026Q1", "IND")][1]
    runs = read_table(out, "runs").to_pylist()
    assert [(r["script_accepted"], r["script_refused"], r["script_refusals"]) for r in runs] == [(1, 0, "")] * RUNS
