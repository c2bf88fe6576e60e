"""`sovereign report`: PNGs and an index.html with the summary tables and the provenance."""

import json

import pytest

from sovereign.cli import main
from sovereign.ensemble.design import make_design, parse_range, parse_sweep
from sovereign.ensemble.report import write_report
from sovereign.ensemble.runner import run_ensemble
from sovereign.scenario.loader import scenario_hash

from .conftest import make_spec

PNG = b"\x89PNG\r\n\x1a\n"


def pngs(folder):
    return {p.name for p in folder.glob("*.png") if p.read_bytes().startswith(PNG)}


def test_report_of_repeats(reference, tiny_scenario, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", str(reference), "--out", str(out)]) == 0
    assert "index.html" in capsys.readouterr().out
    assert pngs(out) == {
        "fan_sovereignty_index.png",
        "fan_compute_share.png",
        "fan_retail_price_usd_mwh.png",
        "fan_wholesale_price_usd_mwh.png",
        "fan_world.png",
        "fan_chips.png",
        "final_sovereignty.png",
        "final_world.png",
    }
    page = (out / "index.html").read_text()
    for text in (
        "Key outcomes",
        "Final sovereignty index per nation",
        "United States",
        "Provenance",
        scenario_hash(tiny_scenario),
        "No failed attempt",
        "fan_world.png",
        "Chip markets",
    ):
        assert text in page


def test_report_of_a_sweep(tiny_scenario, tmp_path):
    design = make_design(runs=2, seed=5, sweeps=[parse_sweep("regions.USA.base_demand_mw=300000,600000")])
    out = tmp_path / "sweep"
    assert run_ensemble(make_spec(tiny_scenario, out, design, workers=2), show_progress=False).succeeded == 4
    write_report(out, tmp_path / "report")
    assert "sweep.png" in pngs(tmp_path / "report")
    page = (tmp_path / "report" / "index.html").read_text()
    assert "Sweep points" in page and "regions.USA.base_demand_mw" in page


@pytest.mark.slow
def test_report_of_a_sobol_design(tiny_scenario, tmp_path):
    ranges = [parse_range("regions.USA.base_demand_mw=300000:600000"), parse_range("economics.voll_usd_mwh=1000:5000")]
    design = make_design(runs=8, seed=5, sample="sobol", ranges=ranges)
    out = tmp_path / "sobol"
    result = run_ensemble(make_spec(tiny_scenario, out, design, workers=2, quarters=2), show_progress=False)
    assert result.succeeded == 32
    write_report(out, tmp_path / "report")
    assert {"sobol.png", "sampled.png"} <= pngs(tmp_path / "report")
    rows = json.loads((tmp_path / "report" / "sobol.json").read_text())
    assert {r["parameter"] for r in rows} == {"regions.USA.base_demand_mw", "economics.voll_usd_mwh"}
    assert all({"S1", "S1_conf", "ST", "ST_conf"} <= set(r) for r in rows)


def test_the_world_fans_leave_out_a_column_an_older_ensemble_did_not_record(reference, tmp_path, monkeypatch):
    """An ensemble written before the price of new compute existed still gets its world chart, without it."""
    import shutil

    import pyarrow.parquet as pq

    from sovereign.ensemble import report
    from sovereign.ensemble.store import part_files

    old = tmp_path / "old"
    shutil.copytree(reference, old)
    for part in part_files(old, "world"):
        table = pq.read_table(part)
        pq.write_table(table.drop_columns(["compute_spot_price_usd_hour"]), part)
    drawn: list[list[str]] = []
    real = report._fan_figure
    monkeypatch.setattr(
        report,
        "_fan_figure",
        lambda path, title, q, panels, *a, **k: (
            drawn.append([p[0] for p in panels]),
            real(path, title, q, panels, *a, **k),
        )[1],
    )
    write_report(old, tmp_path / "old-report")
    write_report(reference, tmp_path / "new-report")
    worlds = [labels for labels in drawn if any("Datacenter electricity" in x for x in labels)]
    assert len(worlds) == 2
    assert not any("new compute" in x for x in worlds[0]) and len(worlds[0]) == len(report.WORLD_METRICS) - 1
    assert any("Price of new compute" in x for x in worlds[1]) and len(worlds[1]) == len(report.WORLD_METRICS)
    assert "fan_world.png" in pngs(tmp_path / "old-report")
