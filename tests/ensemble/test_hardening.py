"""Ensemble folders under damage: bad part files, a full disk, garbage documents, odd --out, huge --runs."""

from __future__ import annotations

import errno
import json
import shutil

import pyarrow.parquet as pq
import pytest

from sovereign.cli import main
from sovereign.ensemble import store as store_mod
from sovereign.ensemble.runner import run_ensemble
from sovereign.ensemble.store import StoreError, damaged_batches, part_files, read_json

from .conftest import RUNS, TINY, data_tables, make_spec


def _copy(reference, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    (out / ".lock").unlink(missing_ok=True)
    return out


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garble(path):
    path.write_bytes(b"PAR1" + b"\x00garbage" * 50)


def _empty(path):
    table = pq.read_table(path)
    pq.write_table(table.slice(0, 0), path)  # a valid Parquet file with the same columns and no rows


def _fifo(path):
    import os

    path.unlink()
    os.mkfifo(path)


@pytest.mark.parametrize(
    ("table", "damage"),
    [("nations", _truncate), ("runs", _garble), ("nations", _empty), ("world", _fifo), ("firms", _empty)],
    ids=["truncated-nations", "garbled-runs", "empty-nations", "fifo-world", "empty-firms"],
)
def test_damaged_parts_are_detected_and_their_runs_played_again(reference, tiny_scenario, tmp_path, table, damage):
    out = _copy(reference, tmp_path)
    part = next(part_files(out, table))
    damage(part)
    assert damaged_batches(out) == [part.name]
    assert main(["report", str(out), "--out", str(tmp_path / "report")]) == 2, "report refuses a damaged folder"
    result = run_ensemble(make_spec(tiny_scenario, out), show_progress=False)
    assert result.status == "complete" and result.succeeded == RUNS and result.ran > 0
    assert damaged_batches(out) == []
    expected, got = data_tables(reference), data_tables(out)
    for name in expected:
        assert got[name].equals(expected[name]), name


def test_full_disk_is_a_clean_error_and_the_manifest_says_so(tiny_scenario, tmp_path, monkeypatch, capsys):
    def full(table, path, metadata=None):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_mod, "_write_parquet", full)
    out = tmp_path / "out"
    with pytest.raises(StoreError, match="the disk is full"):
        run_ensemble(make_spec(tiny_scenario, out), show_progress=False)
    manifest = read_json(out / "manifest.json")
    assert manifest["status"] == "error" and "disk is full" in manifest["sessions"][-1]["error"]
    assert not list(part_files(out, "runs")), "no half batch left behind"
    rc = main(
        [
            "montecarlo",
            str(TINY),
            "--runs",
            "2",
            "--quarters",
            "1",
            "--workers",
            "1",
            "--quiet",
            "--out",
            str(tmp_path / "o2"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "disk is full" in err and "Traceback" not in err


def test_no_room_even_for_the_manifest_still_marks_it_stopped(tiny_scenario, tmp_path, monkeypatch):
    def full(table, path, metadata=None):
        raise OSError(errno.ENOSPC, "No space left on device")

    real = store_mod.write_json
    written = []

    def manifest_once(path, doc):
        if written:  # the "running" manifest fits; the final one does not
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(path)
        real(path, doc)

    out = tmp_path / "out"
    run_ensemble(make_spec(tiny_scenario, out, design=None), show_progress=False)  # design.json exists
    monkeypatch.setattr(store_mod, "_write_parquet", full)
    monkeypatch.setattr(store_mod, "write_json", manifest_once)
    shutil.rmtree(out / "runs")  # the runs must be played again
    with pytest.raises(StoreError):
        run_ensemble(make_spec(tiny_scenario, out), show_progress=False)
    text = (out / "manifest.json").read_text()
    assert json.loads(text)["status"] == "error" and '"running"' not in text


@pytest.mark.parametrize("content", ["[]", "{}", '{"identity": 3}', "not json", "\x00\x01"])
def test_garbage_design_json_is_refused(tmp_path, capsys, content):
    out = tmp_path / "out"
    out.mkdir()
    (out / "design.json").write_text(content)
    rc = main(
        ["montecarlo", str(TINY), "--runs", "2", "--quarters", "1", "--workers", "1", "--quiet", "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "design.json" in err and "Traceback" not in err
    assert main(["report", str(out)]) == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("where", ["file", "below-file", "nul"])
def test_odd_out_paths_are_refused_before_running(tmp_path, capsys, where):
    blocker = tmp_path / "results.txt"
    blocker.write_text("a file")
    out = {"file": str(blocker), "below-file": str(blocker / "deeper" / "out"), "nul": "bad\x00name"}[where]
    for argv in (
        ["montecarlo", str(TINY), "--runs", "2", "--quarters", "1", "--quiet", "--out", out],
        ["run", str(TINY), "--quarters", "1", "--quiet", "--out", out],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "--out" in err and "Traceback" not in err


def test_huge_runs_are_planned_lazily(tiny_scenario, tmp_path, monkeypatch):
    """A huge --runs must not build per-run lists before the first run (docs/cluster.md: flat memory).

    Measured with tracemalloc around `run_ensemble` with an executor that stops at once: 10**7
    runs planned eagerly would allocate ~360 MB (a list of run ids), planned lazily a few KB.
    """
    import tracemalloc

    from sovereign.ensemble import runner
    from sovereign.ensemble.design import make_design

    class StopAtOnce:
        capacity = 1

        def describe(self):
            return {"engine": "fake"}

        def start(self):
            raise KeyboardInterrupt  # Ctrl-C before the first run

        def close(self, cancel=False):
            pass

    monkeypatch.setattr(runner, "make_executor", lambda *args, **kwargs: StopAtOnce())
    spec = make_spec(tiny_scenario, tmp_path / "out", design=make_design(runs=10**7, seed=1))
    tracemalloc.start()
    try:
        result = run_ensemble(spec, show_progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status == "interrupted" and result.n_runs == 10**7
    assert peak < 50 * 2**20, f"planning took {peak / 2**20:.0f} MiB"
