"""`sovereign report`: PNG charts and an index.html for an ensemble folder.

What it draws, and why each chart looks the way it does:

- *Fan charts* per nation (small multiples, one PNG per metric): the median with p25-p75 and
  p5-p95 bands over quarters, so the spread of outcomes is read as easily as the central path.
  Sovereignty index panels share the 0-1 scale; compute share and electricity price panels each
  get their own scale, because nations differ by orders of magnitude.
- *World fan charts*: datacenter electricity, compute price and capacity, emissions.
- *Final outcomes*: final sovereignty index per nation as box plots (whiskers p5-p95) sorted by
  median, and histograms of the world outcomes.
- *Sweeps*: each outcome against the first swept parameter (median and p25-p75 over replicates),
  one line per value of the second; *sampled designs*: outcomes against each parameter.
- *Sobol designs*: first and total-order indices with 95% bootstrap intervals (SALib).

Matplotlib's object API (``Figure``) is used without pyplot: no global state, no display needed.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sovereign.ensemble.design import param_column
from sovereign.ensemble.store import StoreError, open_dataset, part_files, read_json, read_table
from sovereign.ensemble.summary import Stat, Summary, summarize

DPI = 110
BAND_COLOR = "#3b6ea8"
MEDIAN_COLOR = "#16365c"
QUANTILES = (5, 25, 50, 75, 95)
#: (column, label, unit, scale, shared y axis) of the per-nation fan charts.
NATION_METRICS = (
    ("sovereignty_index", "Sovereignty index", "0-1", 1.0, True),
    ("compute_share", "Share of world compute capacity", "%", 100.0, False),
    ("retail_price_usd_mwh", "Electricity price, industrial (wholesale + capacity + network)", "$/MWh", 1.0, False),
    ("wholesale_price_usd_mwh", "Wholesale electricity price (energy + capacity)", "$/MWh", 1.0, False),
)
#: (column, label, unit, scale) of the world fan chart. A column an older ensemble did not record (the
#: price of new compute, from Sovereign 0.20) is left out of its report.
WORLD_METRICS = (
    ("dc_electricity_twh", "Datacenter electricity", "TWh/quarter", 1.0),
    ("ai_electricity_twh", "AI accelerator electricity", "TWh/quarter", 1.0),
    ("compute_price_usd_hour", "Compute price paid (most on contracts)", "$/H100e-hour", 1.0),
    ("compute_spot_price_usd_hour", "Price of new compute", "$/H100e-hour", 1.0),
    ("compute_capacity_h100e", "Compute capacity", "million H100e", 1e-6),
    ("emissions_mt", "Power-sector emissions", "Mt CO2/quarter", 1.0),
)


class ReportError(Exception):
    """The folder cannot be reported on (not an ensemble, or no finished run yet)."""


@dataclass
class Chart:
    """A written PNG and what the page says about it."""

    file: str
    title: str
    caption: str


def write_report(results: Path | str, out: Path | str) -> Path:
    """Write the charts and index.html of the ensemble in `results` to folder `out`.

    Returns:
        The path of index.html.

    Raises:
        ReportError: `results` is not an ensemble folder or has no finished run.
    """
    results, out = Path(results), Path(out)
    try:
        design = read_json(results / "design.json")
        manifest = read_json(results / "manifest.json")
    except StoreError as exc:
        raise ReportError(str(exc)) from None
    if not design:
        raise ReportError(f"{results} is not an ensemble folder (no design.json)")
    scenario = design.get("scenario")
    if not isinstance(scenario, dict) or not isinstance(scenario.get("regions"), list):
        raise ReportError(f"{results / 'design.json'} is damaged (no scenario regions in it)")
    if not any(part_files(results, "runs")):
        raise ReportError(f"{results} has no finished run yet")
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(results)
    runs = read_table(results, "runs")
    regions = [(r, n) for r, n in design["scenario"]["regions"]]
    n_runs = runs.num_rows
    charts: list[Chart] = []
    notes: list[str] = []

    nations = read_table(
        results, "nations", columns=["run_id", "quarter", "region", *(m[0] for m in NATION_METRICS)], sort=False
    )
    quarters = sorted(set(nations.column("quarter").to_pylist()))
    for metric, label, unit, scale, shared in NATION_METRICS:
        cube = _cube(nations, metric, quarters, "region", [r for r, _ in regions]) * scale
        panels = [(f"{rid}  {name}", cube[:, :, i]) for i, (rid, name) in enumerate(regions)]
        file = f"fan_{metric}.png"
        _fan_figure(out / file, f"{label} ({unit}) per nation, {n_runs} runs", quarters, panels, shared, unit)
        charts.append(Chart(file, f"{label} per nation", "Median, p25-p75 and p5-p95 over runs, per quarter."))

    recorded = set(open_dataset(results, "world").schema.names)
    world_metrics = [m for m in WORLD_METRICS if m[0] in recorded]
    world = read_table(results, "world", columns=["run_id", "quarter", *(m[0] for m in world_metrics)], sort=False)
    panels = []
    for metric, label, unit, scale in world_metrics:
        cube = _cube(world, metric, quarters, None, None)
        panels.append((f"{label} ({unit})", cube[:, :, 0] * scale))
    _fan_figure(out / "fan_world.png", f"World, {n_runs} runs", quarters, panels, False, "", ncols=2)
    charts.append(Chart("fan_world.png", "World", "Median, p25-p75 and p5-p95 over runs, per quarter."))
    if _chip_fans(results, out / "fan_chips.png", quarters, recorded, n_runs):
        charts.append(
            Chart(
                "fan_chips.png",
                "Chip markets",
                "Each accelerator class's clearing price and sales: median, p25-p75 and p5-p95 over runs, per quarter.",
            )
        )

    _final_boxes(out / "final_sovereignty.png", runs, regions)
    charts.append(
        Chart(
            "final_sovereignty.png",
            "Final sovereignty index per nation",
            "Box p25-p75, line median, diamond mean, whiskers p5-p95; sorted by median.",
        )
    )
    world_stats = [s for s in summary.world if s.n > 0]
    _final_histograms(out / "final_world.png", runs, world_stats)
    charts.append(Chart("final_world.png", "World outcomes", "Distribution over runs; dashed: p5, p50, p95."))

    kind = design["design"]["kind"]
    params = design["design"].get("params", [])
    outcomes = _key_outcomes(runs)
    if kind == "sweep" and params:
        _sweep_figure(out / "sweep.png", runs, params, outcomes)
        charts.append(
            Chart(
                "sweep.png",
                "Outcomes by swept parameter",
                "Median over replicates with p25-p75 bars"
                + (f"; one line per value of {params[1]}" if len(params) > 1 else "")
                + (f"; pooled over {', '.join(params[2:])}" if len(params) > 2 else "")
                + ".",
            )
        )
    if kind in ("lhs", "sobol") and params:
        _scatter_figure(out / "sampled.png", runs, params, outcomes)
        charts.append(
            Chart("sampled.png", "Outcomes by sampled parameter", "Each dot is a run; line: median in ten bins.")
        )
    sobol_rows: list[dict[str, Any]] = []
    if kind == "sobol":
        sobol_rows, note = _sobol(out / "sobol.png", runs, design, outcomes)
        if sobol_rows:
            charts.append(
                Chart(
                    "sobol.png",
                    "Sobol sensitivity indices",
                    "First-order (S1) and total-order (ST), 95% bootstrap intervals.",
                )
            )
            (out / "sobol.json").write_text(json.dumps(sobol_rows, indent=2) + "\n", encoding="utf-8")
        if note:
            notes.append(note)

    failures = read_table(results, "failures")
    index = out / "index.html"
    index.write_text(_html(design, manifest, summary, charts, sobol_rows, failures, notes), encoding="utf-8")
    return index


# --------------------------------------------------------------------------- data


def _chip_fans(results: Path, path: Path, quarters: list[str], recorded: set[str], n_runs: int) -> bool:
    """Fans of each chip class's price and sales (the world table's ``chip_price_<class>_usd`` columns).

    Why: a supply shock (the Taiwan Strait quarantine) shows first in the chip classes' prices, which
    no nation's metric carries. The classes are read from the columns, so any scenario's classes
    appear; False (nothing drawn) for an ensemble that recorded none.
    """
    classes = sorted(
        c[len("chip_price_") : -len("_usd")]
        for c in recorded
        if c.startswith("chip_price_")
        and c.endswith("_usd")
        and f"chip_sold_{c[len('chip_price_') : -len('_usd')]}_h100e" in recorded
    )
    if not classes:
        return False
    columns = [f"chip_price_{c}_usd" for c in classes] + [f"chip_sold_{c}_h100e" for c in classes]
    world = read_table(results, "world", columns=["run_id", "quarter", *columns], sort=False)
    panels = [
        (f"{c} price ($k per H100e)", _cube(world, f"chip_price_{c}_usd", quarters, None, None)[:, :, 0] / 1e3)
        for c in classes
    ]
    panels += [
        (
            f"{c} sold (M H100e a quarter)",
            _cube(world, f"chip_sold_{c}_h100e", quarters, None, None)[:, :, 0] / 1e6,
        )
        for c in classes
    ]
    _fan_figure(path, f"Chip markets, {n_runs} runs", quarters, panels, False, "", ncols=len(classes))
    return True


def _cube(table: pa.Table, metric: str, quarters: list[str], key: str | None, keys: list[str] | None) -> np.ndarray:
    """Quantiles over runs: array (5, quarters, keys) of p5, p25, p50, p75, p95."""
    run_ix = np.unique(table.column("run_id").to_numpy(), return_inverse=True)[1]
    q_ix = pc.index_in(table.column("quarter"), value_set=pa.array(quarters)).to_numpy(zero_copy_only=False)
    if key is None:
        k_ix = np.zeros(table.num_rows, dtype=int)
        n_k = 1
    else:
        assert keys is not None
        k_ix = pc.index_in(table.column(key), value_set=pa.array(keys)).to_numpy(zero_copy_only=False)
        n_k = len(keys)
    values = table.column(metric).to_numpy(zero_copy_only=False).astype(float)
    ok = ~(np.isnan(q_ix.astype(float)) | np.isnan(k_ix.astype(float)))
    cube = np.full((int(run_ix.max()) + 1 if run_ix.size else 0, len(quarters), n_k), np.nan)
    cube[run_ix[ok], q_ix[ok].astype(int), k_ix[ok].astype(int)] = values[ok]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells (a region absent in a quarter)
        return np.nanpercentile(cube, QUANTILES, axis=0)


def _col(runs: pa.Table, name: str) -> np.ndarray:
    if name not in runs.column_names:
        return np.full(runs.num_rows, np.nan)
    return np.array(runs.column(name).to_pylist(), dtype=float)


def _key_outcomes(runs: pa.Table) -> list[tuple[str, str]]:
    """The four headline outcomes (column, label) used by sweep, sample and Sobol charts."""
    twh = "dc_electricity_twh_2030" if np.isfinite(_col(runs, "dc_electricity_twh_2030")).all() else None
    year = _col(runs, "final_full_year")
    year_label = str(int(np.nanmax(year))) if np.isfinite(year).any() else "last full year"
    return [
        ("sovereignty_index_final_mean", "Final sovereignty index\n(mean of nations)"),
        (twh or "dc_electricity_twh_final_year", f"Datacenter electricity {2030 if twh else year_label}\n(TWh)"),
        ("retail_price_usd_mwh_final_mean", "Electricity price, final quarter\n(mean of nations, $/MWh)"),
        ("compute_price_usd_hour_final", "Compute price, final quarter\n($/H100e-hour)"),
    ]


# --------------------------------------------------------------------------- figures


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _year_ticks(ax: Any, quarters: list[str]) -> None:
    """Tick the first quarter of each year (every other year when there are many)."""
    starts = [i for i, q in enumerate(quarters) if q.endswith("Q1")] or [0]
    step = 1 if len(starts) <= 5 else 2
    ticks = starts[::step]
    ax.set_xticks(ticks, [quarters[i][:4] for i in ticks])
    ax.set_xlim(0, max(len(quarters) - 1, 1))


def _legend_handles() -> list[Any]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return [
        Patch(facecolor=BAND_COLOR, alpha=0.2, label="p5-p95"),
        Patch(facecolor=BAND_COLOR, alpha=0.45, label="p25-p75"),
        Line2D([], [], color=MEDIAN_COLOR, lw=1.8, label="median"),
    ]


def _fan_figure(
    path: Path,
    title: str,
    quarters: list[str],
    panels: list[tuple[str, np.ndarray]],
    shared: bool,
    unit: str,
    ncols: int | None = None,
) -> None:
    """Small multiples of fan charts (one panel per nation or world metric)."""
    n = len(panels)
    ncols = ncols or min(5, max(1, math.ceil(math.sqrt(n))))
    nrows = math.ceil(n / ncols)
    panel_width = 3.3 if ncols >= 3 else 4.8
    fig = _figure(panel_width * ncols, (2.35 if ncols >= 3 else 3.0) * nrows + 0.8)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=shared, squeeze=False)
    x = np.arange(len(quarters))
    for ax, (label, q) in zip(axes.flat, panels, strict=False):
        ax.fill_between(x, q[0], q[4], color=BAND_COLOR, alpha=0.2, lw=0)
        ax.fill_between(x, q[1], q[3], color=BAND_COLOR, alpha=0.45, lw=0)
        ax.plot(x, q[2], color=MEDIAN_COLOR, lw=1.8)
        width = 34 if ncols >= 3 else 60
        ax.set_title(label if len(label) <= width else label[: width - 1] + "…", fontsize=9.5, loc="left")
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.25, lw=0.5)
        ax.margins(y=0.08)
        _year_ticks(ax, quarters)
        if shared and unit == "0-1":
            ax.set_ylim(0, 1)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    # keep year labels on the bottom panel of every column, including columns of a shorter last row
    for col in range(ncols):
        last = (
            max(r for r in range(nrows) if r * ncols + col < n)
            if any(r * ncols + col < n for r in range(nrows))
            else None
        )
        if last is not None:
            axes[last, col].xaxis.set_tick_params(labelbottom=True)
    fig.suptitle(title, fontsize=13, x=0.01, ha="left")
    fig.legend(handles=_legend_handles(), loc="outside lower center", ncols=3, fontsize=9, frameon=False)
    fig.savefig(path, dpi=DPI)


def _final_boxes(path: Path, runs: pa.Table, regions: list[tuple[str, str]]) -> None:
    data, labels = [], []
    for rid, name in regions:
        v = _col(runs, f"sovereignty_index_final.{rid}")
        v = v[np.isfinite(v)]
        if v.size:
            data.append(v)
            labels.append(f"{name} ({rid})" if len(name) <= 24 else f"{name[:23]}… ({rid})")
    order = np.argsort([np.median(d) for d in data])
    fig = _figure(8.5, 0.32 * len(data) + 1.6)
    ax = fig.subplots()
    ax.boxplot(
        [data[i] for i in order],
        orientation="horizontal",
        whis=(5, 95),
        showfliers=False,
        showmeans=True,
        widths=0.6,
        patch_artist=True,
        boxprops={"facecolor": "#c9d8ea", "edgecolor": MEDIAN_COLOR},
        medianprops={"color": MEDIAN_COLOR, "lw": 1.8},
        meanprops={"marker": "D", "markerfacecolor": "#d9822b", "markeredgecolor": "none", "markersize": 4.5},
    )
    ax.set_yticks(np.arange(1, len(order) + 1), [labels[i] for i in order], fontsize=9)
    ax.set_xlabel("Sovereignty index at the final quarter (0-1)")
    ax.set_xlim(0, 1)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"Final sovereignty index per nation, {runs.num_rows} runs", loc="left", fontsize=12)
    fig.savefig(path, dpi=DPI)


def _final_histograms(path: Path, runs: pa.Table, stats: list[Stat]) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    n = len(stats)
    ncols = 3 if n > 4 else 2
    nrows = max(1, math.ceil(n / ncols))
    fig = _figure(4.2 * ncols, 2.9 * nrows + 0.5)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, s in zip(axes.flat, stats, strict=False):
        v = _col(runs, s.column)
        if s.column == "compute_capacity_h100e_final":
            v = v / 1e6
        v = v[np.isfinite(v)]
        lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
        if hi - lo <= 1e-9 * max(1.0, abs(hi)):  # (nearly) constant: one visible bar, not a numpy error
            pad = max(abs(hi) * 0.01, 1e-6)
            lo, hi = lo - pad, hi + pad
        ax.hist(v, bins=min(30, max(5, int(np.sqrt(v.size)) + 1)), range=(lo, hi), color=BAND_COLOR, alpha=0.75)
        for q in (s.p5, s.p50, s.p95):
            ax.axvline(q, color=MEDIAN_COLOR, ls="--", lw=1)
        ax.set_title(s.label, fontsize=9.5, loc="left", wrap=True)
        ax.set_xlabel(s.unit, fontsize=9)
        ax.set_ylabel("runs", fontsize=9)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=8)
        if max(abs(lo), abs(hi)) >= 1000:  # large values: plain thousands, never a "1e5" offset
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(f"World outcomes over {runs.num_rows} runs", fontsize=13, x=0.01, ha="left")
    fig.savefig(path, dpi=DPI)


def _param_values(runs: pa.Table, path: str) -> list[Any]:
    return runs.column(param_column(path)).to_pylist()


def _sweep_figure(path: Path, runs: pa.Table, params: list[str], outcomes: list[tuple[str, str]]) -> None:
    first = _param_values(runs, params[0])
    xs = list(dict.fromkeys(first))
    second = _param_values(runs, params[1]) if len(params) > 1 else [None] * runs.num_rows
    groups = list(dict.fromkeys(second))
    colors = ["#16365c", "#d9822b", "#4c9a2a", "#a23b72", "#6b6b6b", "#3b9ab2", "#e15759", "#b07aa1"]
    fig = _figure(11, 7.6)
    axes = fig.subplots(2, 2, squeeze=False)
    width = 0.5
    for ax, (column, label) in zip(axes.flat, outcomes, strict=False):
        y = _col(runs, column)
        for g, group in enumerate(groups):
            offset = (g - (len(groups) - 1) / 2) * (width / max(len(groups), 1)) if len(groups) > 1 else 0.0
            med, lo, hi, pos = [], [], [], []
            for i, xv in enumerate(xs):
                sel = np.array([a == xv and b == group for a, b in zip(first, second, strict=True)])
                v = y[sel]
                v = v[np.isfinite(v)]
                if not v.size:
                    continue
                p25, p50, p75 = np.percentile(v, (25, 50, 75))
                med.append(p50)
                lo.append(p50 - p25)
                hi.append(p75 - p50)
                pos.append(i + offset)
            name = f"{params[1]} = {group}" if group is not None else "median (p25-p75)"
            ax.errorbar(
                pos, med, yerr=[lo, hi], color=colors[g % len(colors)], marker="o", ms=5, capsize=3, lw=1.5, label=name
            )
        ax.set_xticks(range(len(xs)), [_short_value(v) for v in xs], fontsize=9)
        ax.set_xlabel(params[0], fontsize=9)
        ax.set_title(label, fontsize=10, loc="left")
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)), fontsize=9, frameon=False)
    fig.suptitle(f"Outcomes by {params[0]} ({runs.num_rows} runs)", fontsize=13, x=0.01, ha="left")
    fig.savefig(path, dpi=DPI)


def _scatter_figure(path: Path, runs: pa.Table, params: list[str], outcomes: list[tuple[str, str]]) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    shown = params[:6]
    fig = _figure(2.9 * len(shown) + 1.4, 2.4 * len(outcomes) + 0.6)
    axes = fig.subplots(len(outcomes), len(shown), squeeze=False, sharex="col", sharey="row")
    for j, p in enumerate(shown):
        x = np.array(_param_values(runs, p), dtype=float)
        for i, (column, label) in enumerate(outcomes):
            ax = axes[i, j]
            y = _col(runs, column)
            ok = np.isfinite(x) & np.isfinite(y)
            ax.scatter(x[ok], y[ok], s=9, alpha=0.5, color=BAND_COLOR, lw=0)
            if ok.sum() >= 10:
                edges = np.quantile(x[ok], np.linspace(0, 1, 11))
                centers, meds = [], []
                for a, b in itertools.pairwise(edges):
                    sel = ok & (x >= a) & (x <= b)
                    if sel.any():
                        centers.append((a + b) / 2)
                        meds.append(np.median(y[sel]))
                ax.plot(centers, meds, color=MEDIAN_COLOR, lw=1.8)
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.25)
            if i == len(outcomes) - 1:
                ax.set_xlabel(_wrap_path(p), fontsize=8.5)
                if np.nanmax(np.abs(x)) >= 10_000:  # e.g. MW: fewer, comma-grouped ticks
                    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
                    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
            if j == 0:
                ax.set_ylabel(label, fontsize=8.5)
    more = f" (first 6 of {len(params)} parameters)" if len(params) > 6 else ""
    fig.suptitle(f"Outcomes by sampled parameter, {runs.num_rows} runs{more}", fontsize=13, x=0.01, ha="left")
    fig.savefig(path, dpi=DPI)


def _sobol(
    path: Path, runs: pa.Table, design: dict[str, Any], outcomes: list[tuple[str, str]]
) -> tuple[list[dict[str, Any]], str]:
    """First and total-order indices per outcome (SALib); rows for the page and a note if impossible."""
    from SALib.analyze import sobol

    problem = design["design"]["problem"]
    n_runs = int(design["identity"]["n_runs"])
    run_id = np.array(runs.column("run_id").to_pylist())
    if runs.num_rows != n_runs or not np.array_equal(np.sort(run_id), np.arange(n_runs)):
        missing = n_runs - len(set(run_id.tolist()))
        return (
            [],
            f"Sobol indices need every run of the design; {missing} of {n_runs} runs are missing "
            "(failed or not run yet).",
        )
    order = np.argsort(run_id)
    rows: list[dict[str, Any]] = []
    results = []
    skipped = []
    for column, label in outcomes:
        y = _col(runs, column)[order]
        if not np.isfinite(y).all() or np.nanstd(y) == 0:
            skipped.append(label.replace("\n", " "))
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sobol.analyze(
                problem, y, calc_second_order=False, conf_level=0.95, seed=int(design["identity"]["seed"]) % 2**32
            )
        results.append((label, res))
        for k, name in enumerate(problem["names"]):
            rows.append(
                {
                    "outcome": column,
                    "parameter": name,
                    "S1": float(res["S1"][k]),
                    "S1_conf": float(res["S1_conf"][k]),
                    "ST": float(res["ST"][k]),
                    "ST_conf": float(res["ST_conf"][k]),
                }
            )
    note = f"No Sobol indices for outcomes without variation: {', '.join(skipped)}." if skipped else ""
    if not results:
        return [], note
    names = [_wrap_path(n) for n in problem["names"]]
    d = len(names)
    ncols = 2 if len(results) > 1 else 1
    nrows = math.ceil(len(results) / ncols)
    fig = _figure(6.2 * ncols, (0.55 * d + 1.6) * nrows + 0.6)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    y = np.arange(d)
    for ax, (label, res) in zip(axes.flat, results, strict=False):
        ax.barh(
            y - 0.19, res["S1"], height=0.36, xerr=res["S1_conf"], color=BAND_COLOR, capsize=3, label="first order (S1)"
        )
        ax.barh(
            y + 0.19, res["ST"], height=0.36, xerr=res["ST_conf"], color="#d9822b", capsize=3, label="total order (ST)"
        )
        ax.set_yticks(y, names, fontsize=8.5)
        ax.invert_yaxis()
        ax.axvline(0, color="black", lw=0.6)
        ax.set_xlabel("Sobol index (share of output variance)", fontsize=9)
        ax.set_title(label.replace("\n", " "), fontsize=10, loc="left")
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=8)
    for ax in list(axes.flat)[len(results) :]:
        ax.set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=9, frameon=False)
    fig.suptitle(f"Sobol sensitivity indices (95% intervals), {runs.num_rows} runs", fontsize=13, x=0.01, ha="left")
    fig.savefig(path, dpi=DPI)
    return rows, note


def _wrap_path(path: str, width: int = 26) -> str:
    """Break a long dotted path at its dots so axis labels stay inside their panel."""
    lines, line = [], ""
    for seg in path.split("."):
        piece = seg if not line else "." + seg
        if line and len(line) + len(piece) > width:
            lines.append(line)
            line = "." + seg
        else:
            line += piece
    lines.append(line)
    return "\n".join(lines)


def _short_value(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 10_000:
        text = f"{value:,.0f}"
    else:
        text = f"{value:g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 14 else text[:13] + "…"


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px}
body{padding:0 1rem;color:#1d2733}
h1{font-size:1.6rem} h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #d5dde6;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.9rem}
th,td{padding:.25rem .6rem;border-bottom:1px solid #e3e8ee}
th{text-align:left;background:#f3f6f9} td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.2rem 0} figure img{max-width:100%;border:1px solid #e3e8ee} figcaption{color:#4a5868;font-size:.9rem}
code,pre{font-size:.85rem;background:#f3f6f9} pre{padding:.5rem;overflow-x:auto} .note{color:#8a5a00}
"""


def _table(header: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    out = ["<table><tr>", *(f"<th>{html.escape(h)}</th>" for h in header), "</tr>"]
    for row in rows:
        out.append("<tr>")
        for i, cell in enumerate(row):
            cls = ' class="n"' if i in numeric else ""
            out.append(f"<td{cls}>{cell if isinstance(cell, _Raw) else html.escape(str(cell))}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


class _Raw(str):
    """Already-escaped HTML inside a table cell."""


def _html(
    design: dict[str, Any],
    manifest: dict[str, Any],
    summary: Summary,
    charts: list[Chart],
    sobol_rows: list[dict[str, Any]],
    failures: pa.Table,
    notes: list[str],
) -> str:
    sc, ident = design["scenario"], design["identity"]
    c = summary.counts
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Ensemble report: {html.escape(summary.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Ensemble report: {html.escape(summary.title)}</h1>",
        f"<p>{c['succeeded']} of {c['runs']} runs finished, {c['failed']} failed, {c['remaining']} not run; "
        f"status <b>{html.escape(summary.status)}</b>.</p>",
    ]
    parts += [f"<p class='note'>{html.escape(n)}</p>" for n in notes]
    parts.append("<h2>Key outcomes</h2>")
    parts.append(
        _table(
            ["outcome", "unit", "mean", "p5", "p50", "p95", "runs"],
            [[s.label + (f" ({s.note})" if s.note else ""), s.unit, *s.cells(3), s.n] for s in summary.world],
            {2, 3, 4, 5, 6},
        )
    )
    parts.append("<h3>Final sovereignty index per nation</h3>")
    parts.append(
        _table(
            ["nation", "mean", "p5", "p50", "p95", "runs"],
            [[s.label, *s.cells(3), s.n] for s in summary.nations],
            {1, 2, 3, 4, 5},
        )
    )
    if summary.points:
        from sovereign.ensemble.summary import fmt_number

        parts.append("<h3>Sweep points (means over replicates)</h3>")
        cols = summary.point_columns
        parts.append(_table(cols, [[fmt_number(p[k], 3) for k in cols] for p in summary.points], set(range(len(cols)))))
    if sobol_rows:
        parts.append("<h3>Sobol indices</h3>")
        parts.append(
            _table(
                ["outcome", "parameter", "S1", "±95%", "ST", "±95%"],
                [
                    [r["outcome"], r["parameter"], *(f"{r[k]:.3f}" for k in ("S1", "S1_conf", "ST", "ST_conf"))]
                    for r in sobol_rows
                ],
                {2, 3, 4, 5},
            )
        )
    parts.append("<h2>Charts</h2>")
    for ch in charts:
        parts.append(
            f"<figure><img src='{html.escape(ch.file)}' alt='{html.escape(ch.title)}'>"
            f"<figcaption><b>{html.escape(ch.title)}.</b> {html.escape(ch.caption)}</figcaption></figure>"
        )
    parts.append("<h2>Failures</h2>")
    if failures.num_rows:
        rows = []
        for r in failures.slice(0, 200).to_pylist():
            summary_text = html.escape(r["message"][:200])
            tb = f"<details><summary>{summary_text}</summary><pre>{html.escape(r['traceback'] or '')}</pre></details>"
            rows.append(
                [
                    r["run_id"],
                    r["attempt"],
                    "yes" if r["gave_up"] else "no",
                    r["kind"],
                    r["error_type"],
                    _Raw(tb),
                    r["params"],
                ]
            )
        parts.append(_table(["run", "attempt", "gave up", "kind", "error", "message", "parameters"], rows, {0, 1}))
        if failures.num_rows > 200:
            parts.append(f"<p>First 200 of {failures.num_rows} failed attempts; all are in the failures table.</p>")
    else:
        parts.append("<p>No failed attempt.</p>")
    parts.append("<h2>Provenance</h2>")
    versions = manifest.get("versions", {})
    timings = manifest.get("timings", {})
    prov = [
        ["command", " ".join(manifest.get("command", []))],
        ["scenario", f"{sc['title']} ({sc['id']}), {sc['path']}, {sc['start']}..{sc['end']}"],
        ["scenario hash (SHA-256)", ident["scenario_hash"]],
        ["seed", f"{ident['seed']} (run i plays with child i of SeedSequence(seed))"],
        ["design", f"{ident['kind']}: {ident['n_runs']} runs, --runs {ident['runs']}"],
        ["--set", ", ".join(f"{p}={v}" for p, v in ident.get("sets", [])) or "none"],
        ["sweeps", "; ".join(f"{p} = {', '.join(map(str, vs))}" for p, vs in ident.get("sweeps", [])) or "none"],
        ["sampled parameters", "; ".join(f"{p} in [{lo}, {hi}]" for p, lo, hi, _ in ident.get("params", [])) or "none"],
        ["quarters, difficulty", f"{ident.get('quarters') or 'all'}, {ident.get('difficulty') or 'scenario default'}"],
        ["versions", ", ".join(f"{k} {v}" for k, v in versions.items())],
        ["host", json.dumps(manifest.get("host", {}))],
        ["timings", json.dumps(timings)],
        ["parent peak memory", f"{manifest.get('memory', {}).get('parent_peak_rss_mib', '?')} MiB"],
        [
            "sessions",
            "; ".join(
                f"{s.get('started')} {s.get('status')} ({s.get('ran')} runs, {json.dumps(s.get('executor'))})"
                for s in manifest.get("sessions", [])
            ),
        ],
    ]
    parts.append(_table(["", ""], prov))
    parts.append("</body></html>\n")
    return "\n".join(parts)
