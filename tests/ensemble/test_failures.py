"""A run that raises, or a worker that dies, is recorded and retried; the batch always completes."""

import pytest

from sovereign.cli import main
from sovereign.ensemble.runner import run_ensemble
from sovereign.ensemble.store import read_table
from sovereign.ensemble.worker import FAULT_ENV

from .conftest import QUARTERS, RUNS, SEED, TINY, make_spec


def test_raise_and_worker_exit_are_recorded_and_survived(monkeypatch, tmp_path, capsys):
    # run 1 raises on every attempt; the worker playing run 2 dies on the first attempt only
    monkeypatch.setenv(FAULT_ENV, "raise:1,exit:2@0")
    out = tmp_path / "out"
    code = main(
        [
            "montecarlo",
            str(TINY),
            "--runs",
            str(RUNS),
            "--seed",
            str(SEED),
            "--quarters",
            str(QUARTERS),
            "--workers",
            "2",
            "--retries",
            "1",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert "1 runs failed after 1 retries" in captured.err

    runs = read_table(out, "runs")
    assert runs.column("run_id").to_pylist() == [0, 2, 3]
    assert runs.column("attempt").to_pylist() == [0, 1, 0]  # run 2 succeeded on its retry

    failures = read_table(out, "failures").to_pylist()
    raised = [f for f in failures if f["run_id"] == 1]
    attempts = [(f["attempt"], f["gave_up"], f["kind"]) for f in raised]
    assert attempts == [(0, False, "exception"), (1, True, "exception")]
    assert all(f["seed"] == SEED and f["error_type"] == "RuntimeError" for f in raised)
    assert "injected fault: run 1 raises" in raised[0]["traceback"] and "Traceback" in raised[0]["traceback"]
    assert raised[0]["params"] == "{}"
    died = [f for f in failures if f["run_id"] == 2]
    assert [(f["attempt"], f["gave_up"], f["kind"]) for f in died] == [(0, False, "worker_died")]
    assert "exit code 70" in died[0]["message"]
    assert "failed" in captured.out  # the summary shows the failure count


def test_no_retries_gives_up_at_once(monkeypatch, tiny_scenario, tmp_path):
    monkeypatch.setenv(FAULT_ENV, "raise:0")
    result = run_ensemble(make_spec(tiny_scenario, tmp_path / "out", retries=0), show_progress=False)
    assert (result.status, result.succeeded, result.failed, result.failed_attempts) == ("complete", RUNS - 1, 1, 1)


@pytest.mark.slow
@pytest.mark.parametrize("batches_per_thread", [4, 1], ids=["one-run-per-task", "batches-of-two"])
def test_dask_survives_a_dying_worker(monkeypatch, tiny_scenario, tmp_path, batches_per_thread):
    """A worker dies in a batch: its runs are played again one per task; run 1 is charged, the batch goes on."""
    pytest.importorskip("distributed")
    from sovereign.ensemble import executors

    monkeypatch.setattr(executors, "BATCHES_PER_THREAD", batches_per_thread)
    monkeypatch.setenv(FAULT_ENV, "exit:1@0,raise:3")
    out = tmp_path / "out"
    result = run_ensemble(make_spec(tiny_scenario, out, engine="dask", workers=2), show_progress=False)
    records = read_table(out, "failures").to_pylist()
    detail = [(f["run_id"], f["attempt"], f["kind"], f["gave_up"], f["message"]) for f in records]
    assert (result.succeeded, result.failed) == (RUNS - 1, 1), detail
    assert [f["run_id"] for f in records if f["gave_up"]] == [3], detail
    assert any(f["run_id"] == 1 and f["attempt"] == 0 and f["kind"] == "worker_died" for f in records), detail
    # the only errors raised in runs are run 3's injected ones; other runs of a dead batch are not blamed
    # for it (a run merely queued behind the dying one on the same worker may get a worker_died attempt:
    # Dask charges every task the worker held)
    raised = [f for f in records if f["kind"] == "exception"]
    assert raised and all(f["run_id"] == 3 and "injected fault" in f["message"] for f in raised), detail


def test_dask_local_cluster_workers_run_without_the_profiler(tiny_scenario):
    """The workers' 10 ms stack sampler slowed our Python-heavy runs; the LocalCluster turns it off."""
    pytest.importorskip("distributed")
    import dask

    from sovereign import __version__
    from sovereign.ensemble.executors import DaskExecutor
    from sovereign.ensemble.worker import RunContext
    from sovereign.scenario.loader import scenario_hash, scenario_to_dict

    ctx = RunContext(
        scenario=scenario_to_dict(tiny_scenario),
        scenario_hash=scenario_hash(tiny_scenario),
        seed=SEED,
        quarters=QUARTERS,
        difficulty=None,
        version=__version__,
        param_kinds={},
    )
    executor = DaskExecutor(1, ctx, None, runs=2)
    try:
        executor.start()
        settings = executor.on_workers(lambda: dask.config.get("distributed.worker.profile.enabled"))
    finally:
        executor.close()
    assert list(settings.values()) == [False]
