"""Key outcomes of an ensemble: distributions over runs, read from the per-run summary table.

Shared by the end of ``sovereign montecarlo`` (rich tables in the terminal) and ``sovereign report``
(HTML tables), so both say the same thing. Only the one-row-per-run ``runs`` table is read, so the
summary of a 100,000-run ensemble costs a few megabytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sovereign.ensemble.design import param_column
from sovereign.ensemble.store import read_json, read_table

#: Quantiles of every summary row, in percent.
QUANTILES = (5, 50, 95)


@dataclass
class Stat:
    """Distribution of one outcome over runs: mean, p5, p50, p95 and the number of runs with a value."""

    label: str
    unit: str
    column: str
    mean: float = float("nan")
    p5: float = float("nan")
    p50: float = float("nan")
    p95: float = float("nan")
    n: int = 0
    note: str = ""

    def cells(self, digits: int = 3) -> list[str]:
        """Mean, p5, p50, p95 as text ("n/a" when no run has a value)."""
        if self.n == 0:
            return ["n/a"] * 4
        return [fmt_number(v, digits) for v in (self.mean, self.p5, self.p50, self.p95)]


@dataclass
class Summary:
    """Everything the end-of-run tables and the report show about outcomes."""

    title: str
    counts: dict[str, int]
    status: str = "unknown"
    nations: list[Stat] = field(default_factory=list)
    world: list[Stat] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    point_columns: list[str] = field(default_factory=list)


def stat(values: np.ndarray, label: str, unit: str, column: str, note: str = "") -> Stat:
    """Mean and quantiles of the finite values of `values`."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return Stat(label, unit, column, note=note)
    p5, p50, p95 = np.percentile(v, QUANTILES)
    return Stat(label, unit, column, float(v.mean()), float(p5), float(p50), float(p95), int(v.size), note)


def summarize(out: Path | str) -> Summary:
    """Summary of the ensemble in folder `out` (complete or not).

    Raises:
        FileNotFoundError: `out` is not an ensemble folder.
    """
    out = Path(out)
    design = read_json(out / "design.json")
    if not design:
        raise FileNotFoundError(f"{out} is not an ensemble folder (no design.json)")
    manifest = read_json(out / "manifest.json")
    runs = read_table(out, "runs")
    failures = read_table(out, "failures", columns=["run_id", "gave_up"])
    n_runs = int(design["identity"]["n_runs"])
    ok = set(runs.column("run_id").to_pylist()) if runs.num_rows else set()
    gave_up = set()
    if failures.num_rows:
        for rid, g in zip(failures.column("run_id").to_pylist(), failures.column("gave_up").to_pylist(), strict=True):
            if g and rid not in ok:
                gave_up.add(rid)
    counts = {
        "runs": n_runs,
        "succeeded": len(ok),
        "failed": len(gave_up),
        "remaining": n_runs - len(ok) - len(gave_up),
        "failed_attempts": failures.num_rows,
    }
    sc = design["scenario"]
    summary = Summary(title=f"{sc['title']} ({sc['id']})", counts=counts, status=manifest.get("status", "unknown"))
    if not runs.num_rows:
        return summary

    def col(name: str) -> np.ndarray:
        if name not in runs.column_names:
            return np.full(runs.num_rows, np.nan)
        return np.array(runs.column(name).to_pylist(), dtype=float)

    for rid, name in sc["regions"]:
        summary.nations.append(stat(col(f"sovereignty_index_final.{rid}"), f"{rid} {name}", "", rid))
    final_year = _mode(col("final_full_year"))
    year_note = f" {final_year}" if final_year else " (last full year)"
    summary.world = [
        stat(
            col("sovereignty_index_final_mean"),
            "Sovereignty index, mean of nations (final)",
            "0-1",
            "sovereignty_index_final_mean",
        ),
        stat(
            col("dc_electricity_twh_2030"),
            "Datacenter electricity 2030, world",
            "TWh",
            "dc_electricity_twh_2030",
            note="" if np.isfinite(col("dc_electricity_twh_2030")).any() else "runs end before 2030Q4",
        ),
        *(
            []
            if final_year == 2030
            else [
                stat(
                    col("dc_electricity_twh_final_year"),
                    f"Datacenter electricity{year_note}, world",
                    "TWh",
                    "dc_electricity_twh_final_year",
                )
            ]
        ),
        stat(
            col("retail_price_usd_mwh_final_mean"),
            "Electricity price, mean of nations (final)",
            "$/MWh",
            "retail_price_usd_mwh_final_mean",
        ),
        stat(
            col("compute_price_usd_hour_final"), "Compute price (final)", "$/H100e-hour", "compute_price_usd_hour_final"
        ),
    ]
    for acc in sc.get("accelerators", []):
        name = f"chip_price_{acc}_usd_final"
        summary.world.append(stat(col(name), f"Chip price {acc} (final)", "$/H100e", name))
    summary.world += [
        stat(
            col("compute_capacity_h100e_final") / 1e6,
            "Compute capacity (final)",
            "M H100e",
            "compute_capacity_h100e_final",
        ),
        stat(col("emissions_mt_total"), "Power-sector emissions, all quarters", "Mt CO2", "emissions_mt_total"),
    ]
    params = design["design"].get("params", [])
    if design["design"]["kind"] == "sweep" and params:
        summary.point_columns = [
            *params,
            "runs",
            "sovereignty (mean)",
            f"DC TWh{year_note} (mean)",
            "power $/MWh (mean)",
        ]
        point = np.array(runs.column("point").to_pylist())
        sov, twh, price = (
            col("sovereignty_index_final_mean"),
            col("dc_electricity_twh_final_year"),
            col("retail_price_usd_mwh_final_mean"),
        )
        pcols = {p: runs.column(param_column(p)).to_pylist() for p in params}
        for p in sorted(set(point.tolist())):
            rows = np.flatnonzero(point == p)
            first = int(rows[0])
            summary.points.append(
                {
                    **{name: pcols[name][first] for name in params},
                    "runs": int(rows.size),
                    "sovereignty (mean)": _nanmean(sov[rows]),
                    f"DC TWh{year_note} (mean)": _nanmean(twh[rows]),
                    "power $/MWh (mean)": _nanmean(price[rows]),
                }
            )
    return summary


def rich_tables(summary: Summary) -> list[Any]:
    """The summary as rich tables for the terminal."""
    from rich.table import Table

    tables = []
    c = summary.counts
    t = Table(title=f"{summary.title}: final sovereignty index per nation", title_justify="left")
    for name, justify in (
        ("nation", "left"),
        ("mean", "right"),
        ("p5", "right"),
        ("p50", "right"),
        ("p95", "right"),
        ("runs", "right"),
    ):
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    for s in summary.nations:
        t.add_row(s.label, *s.cells(3), str(s.n))
    tables.append(t)
    w = Table(title="Key outcomes over runs", title_justify="left")
    for name, justify in (
        ("outcome", "left"),
        ("unit", "left"),
        ("mean", "right"),
        ("p5", "right"),
        ("p50", "right"),
        ("p95", "right"),
        ("runs", "right"),
    ):
        w.add_column(name, justify=justify)  # type: ignore[arg-type]
    for s in summary.world:
        w.add_row(s.label + (f" [dim]({s.note})[/dim]" if s.note else ""), s.unit, *s.cells(3), str(s.n))
    tables.append(w)
    if summary.points:
        p = Table(title="Sweep points (means over replicates)", title_justify="left")
        for name in summary.point_columns:
            p.add_column(name, justify="right")
        for row in summary.points:
            p.add_row(*(fmt_number(row[k], 3) for k in summary.point_columns))
        tables.append(p)
    f = Table(title="Runs", title_justify="left")
    for name in ("runs", "succeeded", "failed", "remaining", "failed attempts"):
        f.add_column(name, justify="right")
    f.add_row(*(str(c[k]) for k in ("runs", "succeeded", "failed", "remaining", "failed_attempts")))
    tables.append(f)
    return tables


def fmt_number(value: Any, digits: int) -> str:
    """Numbers for tables: 3 decimals below 10, 1 decimal below 1000, thousands separators above."""
    if isinstance(value, float):
        if not np.isfinite(value):
            return "n/a"
        if value != 0 and abs(value) < 10**-digits:
            return f"{value:.2g}"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits if abs(value) < 10 else 1}f}"
    return str(value)


def _nanmean(values: np.ndarray) -> float:
    v = values[np.isfinite(values)]
    return float(v.mean()) if v.size else float("nan")


def _mode(values: np.ndarray) -> int | None:
    v = values[np.isfinite(values)]
    if not v.size:
        return None
    uniq, counts = np.unique(v, return_counts=True)
    return int(uniq[np.argmax(counts)])
