"""Scenario input hardening: strict numbers, size refused before parsing, one-pass reports, FIFOs."""

from __future__ import annotations

import os
import threading
import time

import pytest

from sovereign.cli import main
from sovereign.scenario import loader

from .helpers import MINI, mini_variant, problems_of


@pytest.mark.parametrize("written", ["yes", '"3000"', "'3000'", "true", "3000 MW"])
def test_numbers_must_be_written_as_numbers(tmp_path, written):
    path, line = mini_variant(tmp_path, "voll_usd_mwh: 3000", f"voll_usd_mwh: {written}")
    (problem,) = [p for p in problems_of(path) if p.path == "economics.voll_usd_mwh"]
    assert problem.line == line and "expected a number" in problem.message


def test_whole_numbers_and_pairs_still_load(tmp_path):
    """Ints for floats, and [low, high] lists for ranges, are numbers written as numbers."""
    path, _ = mini_variant(tmp_path, "voll_usd_mwh: 3000", "voll_usd_mwh: 3000.0")
    assert loader.load_scenario(path).economics.voll_usd_mwh == 3000.0
    assert loader.load_scenario(MINI).economics.voll_usd_mwh == 3000


def test_bad_structure_and_bad_reference_in_one_pass(tmp_path):
    path, _ = mini_variant(tmp_path, "voll_usd_mwh: 3000", "voll_usd_mwh: lots")
    text = path.read_text().replace("    region: IND\n", "    region: ATLANTIS\n", 1)
    path.write_text(text)
    fields = {p.path: p.message for p in problems_of(path)}
    assert "economics.voll_usd_mwh" in fields
    assert "region 'ATLANTIS' does not exist" in fields["injects.0.region"]


def test_oversized_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:  # 13 MB of injects, as in the issue (sparse: written instantly)
        handle.truncate(13 * 1024 * 1024)
    calls = []
    monkeypatch.setattr(loader, "_parse_yaml", lambda *a: calls.append(a))
    t0 = time.perf_counter()
    (problem,) = problems_of(big)
    assert time.perf_counter() - t0 < 0.5 and not calls, "refused without parsing"
    assert "too large (at most 1.0 MB)" in problem.message


def test_too_many_values_are_refused_while_building(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "MAX_NODES", 3000)  # the same bound, scaled down to keep the test fast
    items = "".join(
        f"  - {{quarter: 2027Q1, kind: heatwave, region: IND, magnitude: 0.1, headline: h{i}}}\n" for i in range(8000)
    )
    path = tmp_path / "many.yaml"
    path.write_text(f"extends: {MINI}\ninjects:\n{items}")
    (problem,) = problems_of(path)
    assert "more than 3000 values" in problem.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_scenario_never_blocks(tmp_path, capsys):
    fifo = tmp_path / "x.yaml"
    os.mkfifo(fifo)
    done = threading.Event()
    result = {}

    def run():
        result["rc"] = main(["validate", str(fifo)])
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(10), "validate blocked on a FIFO"
    assert result["rc"] == 1
    assert "FIFO" in capsys.readouterr().err
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {fifo.name}\nmeta: {{id: c, title: c}}\n")
    assert any(p.path == "extends" for p in problems_of(child)), "refused, without blocking"
