"""Ctrl-C keeps what finished (valid data on disk); the same command resumes; other designs are refused."""

import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from sovereign.cli import main
from sovereign.ensemble.runner import run_ensemble
from sovereign.ensemble.store import ResultStore, StoreError, part_files, read_table

from .conftest import QUARTERS, RUNS, SEED, TINY, data_tables, make_spec


def interrupt_after(n):
    def hook(outcome, state):
        if state.done >= n:
            raise KeyboardInterrupt

    return hook


def test_interrupt_keeps_finished_runs_and_resume_completes(reference, tiny_scenario, tmp_path):
    out = tmp_path / "out"
    first = run_ensemble(make_spec(tiny_scenario, out), show_progress=False, on_outcome=interrupt_after(2))
    assert first.status == "interrupted"
    assert first.succeeded == 2 and first.remaining == RUNS - 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["counts"]["succeeded"] == 2
    # what is on disk is complete, valid Parquet: every part reads, no temporary files remain
    for name in ("runs", "nations", "firms", "world"):
        for part in part_files(out, name):
            pq.read_table(part)
    assert not list(out.rglob("*.tmp"))
    assert read_table(out, "runs").column("run_id").to_pylist() == [0, 1]

    second = run_ensemble(make_spec(tiny_scenario, out, workers=2), show_progress=False)
    assert second.status == "complete"
    assert (second.skipped, second.ran, second.succeeded) == (2, RUNS - 2, RUNS)
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["status"] for s in manifest["sessions"]] == ["interrupted", "complete"]
    # resuming gives exactly the data of an uninterrupted ensemble
    ta, tb = data_tables(reference), data_tables(out)
    for name, table in ta.items():
        assert table.equals(tb[name]), name

    third = run_ensemble(make_spec(tiny_scenario, out), show_progress=False)
    assert (third.skipped, third.ran) == (RUNS, 0)


def test_a_different_design_is_refused(reference, capsys):
    code = main(
        [
            "montecarlo",
            str(TINY),
            "--runs",
            str(RUNS),
            "--seed",
            str(SEED + 1),
            "--quarters",
            str(QUARTERS),
            "--out",
            str(reference),
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "holds results of a different ensemble" in err and "seed: 11 in the folder, 12 in this command" in err


def test_a_folder_that_is_not_an_ensemble_is_refused(tiny_scenario, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not an ensemble folder"):
        run_ensemble(make_spec(tiny_scenario, tmp_path), show_progress=False)


def test_uncommitted_batches_are_cleaned_on_open(tmp_path):
    """A process that died between a batch's metric parts and its `runs` part left orphans."""
    doc = {"identity": {"seed": 1}}
    store = ResultStore(tmp_path)
    assert store.open(doc) == {}
    store.close()
    (tmp_path / "nations" / "part-000000.parquet").write_bytes(b"orphan")
    (tmp_path / "world" / "part-000000.parquet.tmp").write_bytes(b"half")
    store = ResultStore(tmp_path)
    store.open(doc)
    assert not (tmp_path / "nations" / "part-000000.parquet").exists()
    assert not list(tmp_path.rglob("*.tmp"))
    store.close()


def test_one_writer_at_a_time(tmp_path):
    doc = {"identity": {"seed": 1}}
    first = ResultStore(tmp_path)
    first.open(doc)
    with pytest.raises(StoreError, match="in use"):
        ResultStore(tmp_path).open(doc)
    first.close()


@pytest.mark.slow
def test_sigint_to_the_command_then_resume(tmp_path):
    """A real Ctrl-C (SIGINT to the process group) on `sovereign montecarlo`, then the same command."""
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "sovereign",
        "montecarlo",
        str(TINY),
        # Enough runs that the interrupt lands mid-ensemble (a tiny run takes milliseconds).
        "--runs",
        "400",
        "--quarters",
        "8",
        "--workers",
        "2",
        "--out",
        str(out),
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(part_files(out, "runs")):
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert b"run the same command again to resume" in err
    kept = read_table(out, "runs").num_rows
    assert 0 < kept < 400
    done = subprocess.run(cmd, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    runs = read_table(out, "runs").column("run_id").to_pylist()
    assert runs == list(range(400))
    assert f"({kept} already done)" in done.stdout.decode()
