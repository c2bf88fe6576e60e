"""Ensemble throughput, side by side: local processes (1 and 2 workers), Dask, Mesa's batch_run.

Usage::

    python benchmarks/ensemble.py                      # baseline scenario if present, else tiny
    python benchmarks/ensemble.py --runs 24 --quarters 8
    python benchmarks/ensemble.py --scenario tests/sim/fixtures/tiny.yaml --runs 40

Every executor plays the same runs (run i = child i of SeedSequence(seed)), and the script checks
that they produced the same data before printing the figures:

- runs per second with 1 and 2 local workers, and the parallel efficiency rate2 / (2 x rate1);
- the Dask LocalCluster's overhead against local processes (wall time, and start-up time apart);
- Mesa's ``batch_run`` playing the same model the same number of times with 2 processes (ratio).

A warm-up ensemble runs first: it starts the fork server that imports the model once per
session, as the first ensemble of any session does; its wall time is printed as the cold start.
The results are printed as a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import mesa
import numpy as np

from sovereign.ensemble.design import make_design
from sovereign.ensemble.runner import EnsembleSpec, run_ensemble
from sovereign.ensemble.seeds import run_seed
from sovereign.ensemble.store import read_json, read_table
from sovereign.ensemble.worker import EXECUTION_COLUMNS
from sovereign.scenario.loader import load_scenario
from sovereign.sim.model import SovereignModel

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TINY = ROOT / "tests" / "sim" / "fixtures" / "tiny.yaml"


# --------------------------------------------------------------------------- Mesa batch_run wrapper


@functools.cache
def _scenario(path: str):
    # Parsed once per batch_run worker process, as our executor does: compare executors, not YAML parsing.
    return load_scenario(path)


def _mean_sovereignty(model: SovereignModel) -> float:
    rows = model.metrics.nations[-len(model.scenario.regions) :]
    return float(np.mean([r["sovereignty_index"] for r in rows]))


class BatchRunModel(SovereignModel):
    """SovereignModel as batch_run wants it: keyword arguments, `running`, and a DataCollector."""

    def __init__(self, scenario_path: str, quarters: int, rng=None):
        super().__init__(_scenario(scenario_path), rng=rng)
        self.quarters_left = quarters
        self.datacollector = mesa.DataCollector(model_reporters={"sovereignty_index_mean": _mean_sovereignty})

    def step(self):
        super().step()
        self.quarters_left -= 1
        self.running = self.quarters_left > 0 and not self.done
        if not self.running:
            self.datacollector.collect(self)


# --------------------------------------------------------------------------- measurements


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed_ensemble(scenario, path, out, runs, quarters, seed, **kw) -> dict:
    design = make_design(runs=runs, seed=seed)
    spec = EnsembleSpec(path, scenario, design, out, quarters=quarters, command=["benchmark"], **kw)
    c0, t0 = cpu_s(), time.perf_counter()
    result = run_ensemble(spec, show_progress=False)
    wall = time.perf_counter() - t0
    assert result.succeeded == runs, f"{result.failed} runs failed: see {out}/failures"
    session = read_json(out / "manifest.json")["sessions"][-1]
    return {
        "wall": wall,
        "start": session["executor_start_s"],
        "parent_cpu_ms_per_run": 1000 * (cpu_s() - c0) / runs,
        "out": out,
    }


def timed_batch_run(path, runs, quarters, seed, processes) -> dict:
    from mesa.batchrunner import batch_run

    t0 = time.perf_counter()
    rows = batch_run(
        BatchRunModel,
        parameters={"scenario_path": str(path), "quarters": quarters},
        number_processes=processes,
        max_steps=quarters,
        data_collection_period=-1,
        display_progress=False,
        rng=[run_seed(seed, i) for i in range(runs)],
    )
    wall = time.perf_counter() - t0
    assert len(rows) == runs
    return {"wall": wall, "rows": rows}


def same_data(a: Path, b: Path) -> bool:
    for name in ("nations", "firms", "world", "runs"):
        ta, tb = read_table(a, name), read_table(b, name)
        if name == "runs":
            ta, tb = ta.drop_columns(list(EXECUTION_COLUMNS)), tb.drop_columns(list(EXECUTION_COLUMNS))
        if not ta.equals(tb):
            return False
    return True


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{model}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", type=Path, default=BASELINE if BASELINE.exists() else TINY)
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--quarters", type=int, default=None, help="quarters per run (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--skip-mesa", action="store_true")
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    quarters = args.quarters or len(range(_q(scenario.time.start), _q(scenario.time.end) + 1))
    load0 = os.getloadavg()
    print(f"{args.scenario}: {args.runs} runs x {quarters} quarters, seed {args.seed}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        cold = timed_ensemble(scenario, args.scenario, tmpd / "warmup", 2, 1, args.seed + 1, workers=2)
        print(f"cold start (fork server imports the model, 2 runs of 1 quarter): {cold['wall']:.2f} s", flush=True)
        res = {}
        for name, kw in (("local-1", {"workers": 1}), ("local-2", {"workers": 2})) + (
            () if args.skip_dask else (("dask-2", {"engine": "dask", "workers": 2}),)
        ):
            res[name] = timed_ensemble(scenario, args.scenario, tmpd / name, args.runs, quarters, args.seed, **kw)
            print(f"{name}: {res[name]['wall']:.2f} s", flush=True)
        for name in res:
            if name != "local-1":
                assert same_data(res["local-1"]["out"], res[name]["out"]), f"{name} data differs from local-1"
        mesa_res = None
        if not args.skip_mesa:
            mesa_res = timed_batch_run(args.scenario, args.runs, quarters, args.seed, 2)
            print(f"mesa batch_run (2 processes): {mesa_res['wall']:.2f} s", flush=True)
            ours = read_table(res["local-2"]["out"], "runs", columns=["run_id", "sovereignty_index_final_mean"])
            theirs = sorted(mesa_res["rows"], key=lambda r: r["RunId"])
            assert np.allclose(
                ours.column("sovereignty_index_final_mean").to_numpy(),
                [r["sovereignty_index_mean"] for r in theirs],
                rtol=0,
                atol=0,
            ), "batch_run played different games"
    load1 = os.getloadavg()

    n = args.runs
    r1 = n / res["local-1"]["wall"]
    r2 = n / res["local-2"]["wall"]
    lines = [
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {machine()}; load average before/after: {load0[0]:.2f} / {load1[0]:.2f}",
        f"- command: `python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}`".replace("  ", " "),
        f"- scenario: `{args.scenario.relative_to(ROOT) if args.scenario.is_absolute() else args.scenario}`, "
        f"{n} runs x {quarters} quarters, identical data from every executor (checked)",
        f"- cold start (first ensemble of a session: fork server imports the model): {cold['wall']:.1f} s",
        "",
        "| executor | wall s | runs/s | speed-up vs 1 worker | parallel efficiency | executor start-up s "
        "| parent CPU ms/run |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {"local-1": "local, 1 worker", "local-2": "local, 2 workers", "dask-2": "Dask LocalCluster, 2 workers"}
    for name, label in labels.items():
        if name not in res:
            continue
        r = res[name]
        rate = n / r["wall"]
        eff = f"{100 * rate / (2 * r1):.0f}%" if name != "local-1" else "-"
        lines.append(
            f"| {label} | {r['wall']:.1f} | {rate:.3f} | {rate / r1:.2f}x | {eff} | {r['start']:.2f} "
            f"| {r['parent_cpu_ms_per_run']:.0f} |"
        )
    if mesa_res is not None:
        rate = n / mesa_res["wall"]
        lines.append(
            f"| Mesa batch_run, 2 processes | {mesa_res['wall']:.1f} | {rate:.3f} | {rate / r1:.2f}x "
            f"| {100 * rate / (2 * r1):.0f}% | - | - |"
        )
    lines.append("")
    lines.append(f"- parallel efficiency, local 2 workers: **{100 * r2 / (2 * r1):.0f}%** (target >= 85%)")
    if "dask-2" in res:
        d = res["dask-2"]
        over = d["wall"] / res["local-2"]["wall"] - 1
        steady = (d["wall"] - d["start"]) / (res["local-2"]["wall"] - res["local-2"]["start"]) - 1
        lines.append(
            f"- Dask overhead vs local processes: {100 * over:+.0f}% wall time ({d['start']:.1f} s of cluster "
            f"start-up); {100 * steady:+.1f}% once started"
        )
    if mesa_res is not None:
        lines.append(
            f"- Mesa batch_run / local 2 workers wall time: {mesa_res['wall'] / res['local-2']['wall']:.2f}x "
            "(batch_run spawns its pool, imports the model in it and keeps one reporter in memory; no files, "
            "no retries, no resume)"
        )
    print("\n".join(lines))


def _q(label: str) -> int:
    return int(label[:4]) * 4 + int(label[5]) - 1


if __name__ == "__main__":
    main()
