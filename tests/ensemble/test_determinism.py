"""Same seed, same data, bit for bit: whatever the worker count or the executor."""

import numpy as np
import pytest

from sovereign.ensemble.runner import run_ensemble
from sovereign.ensemble.seeds import run_seed
from sovereign.ensemble.store import read_table
from sovereign.sim.runner import run_scenario

from .conftest import DATA_TABLES, QUARTERS, RUNS, SEED, data_tables, make_spec


def assert_same_data(a, b):
    ta, tb = data_tables(a), data_tables(b)
    for name in DATA_TABLES:
        assert ta[name].num_rows > 0, name
        assert ta[name].equals(tb[name]), f"{name} differs"


def test_run_i_plays_child_i_of_the_root_seed(reference, tiny_scenario):
    nations = read_table(reference, "nations")
    run = 2
    model = run_scenario(tiny_scenario, seed=run_seed(SEED, run), quarters=QUARTERS)
    expected = {(r["quarter"], r["region"]): r["sovereignty_index"] for r in model.metrics.nations}
    rows = nations.filter(nations.column("run_id").to_numpy() == run).to_pylist()
    assert {(r["quarter"], r["region"]): r["sovereignty_index"] for r in rows} == expected
    assert set(nations.column("seed").to_pylist()) == {SEED}
    # and different runs differ
    firms = read_table(reference, "firms")
    cash = [firms.filter(firms.column("run_id").to_numpy() == i).column("cash_busd").to_pylist() for i in range(RUNS)]
    assert len({tuple(c) for c in cash}) > 1


def test_two_workers_equal_one_worker(reference, tiny_scenario, tmp_path):
    out = tmp_path / "w2"
    result = run_ensemble(make_spec(tiny_scenario, out, workers=2), show_progress=False)
    assert result.status == "complete" and result.succeeded == RUNS
    assert_same_data(reference, out)


def test_dask_local_cluster_equals_local_processes(reference, tiny_scenario, tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "dask"
    result = run_ensemble(make_spec(tiny_scenario, out, engine="dask", workers=2), show_progress=False)
    assert result.status == "complete" and result.succeeded == RUNS
    assert_same_data(reference, out)


def test_dask_batches_of_runs_equal_local_processes(reference, tiny_scenario, tmp_path, monkeypatch):
    """Runs handed out two per Dask task give the same data, bit for bit."""
    pytest.importorskip("distributed")
    from sovereign.ensemble import executors
    from sovereign.ensemble.store import read_json

    monkeypatch.setattr(executors, "BATCHES_PER_THREAD", 1)  # 4 runs / (1 x 2 threads): batches of 2
    out = tmp_path / "dask-batches"
    result = run_ensemble(make_spec(tiny_scenario, out, engine="dask", workers=2), show_progress=False)
    assert result.status == "complete" and result.succeeded == RUNS
    assert read_json(out / "manifest.json")["sessions"][-1]["executor"]["batch_runs"] == 2
    assert_same_data(reference, out)


def test_batch_size_aims_at_four_batches_per_worker_thread():
    from sovereign.ensemble.executors import MAX_BATCH_RUNS, batch_size

    assert batch_size(None, 2) == 1  # unknown number of runs: one run per task
    assert batch_size(4, 2) == 1
    assert batch_size(24, 2) == 3  # 8 batches for 2 threads
    assert batch_size(25, 2) == 4
    assert batch_size(100, 256) == 1
    assert batch_size(10**6, 2) == MAX_BATCH_RUNS


def test_every_row_carries_provenance(reference, tiny_scenario):
    from sovereign import __version__
    from sovereign.scenario.loader import scenario_hash

    for name in DATA_TABLES:
        table = read_table(reference, name)
        for column in ("run_id", "seed", "point", "replicate", "scenario_hash", "params_hash", "sovereign_version"):
            assert table.column(column).null_count == 0, (name, column)
        assert set(table.column("scenario_hash").to_pylist()) == {scenario_hash(tiny_scenario)}
        assert set(table.column("sovereign_version").to_pylist()) == {__version__}
    runs = read_table(reference, "runs")
    assert runs.column("run_id").to_pylist() == list(range(RUNS))
    assert np.isfinite(runs.column("sovereignty_index_final_mean").to_numpy()).all()
