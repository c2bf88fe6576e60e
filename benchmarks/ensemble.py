"""Ensemble throughput, side by side: local processes (1 and 2 workers), Dask, Mesa's batch_run.

Usage::

    python benchmarks/ensemble.py                      # baseline scenario if present, else tiny
    python benchmarks/ensemble.py --runs 24 --quarters 20 --repeat 5
    python benchmarks/ensemble.py --writer-stress 1000 # the parent's memory while 1,000 runs stream to disk
    python benchmarks/ensemble.py --runs 48 --repeat 3 --max-wait 30   # a busy shared machine: wait less for quiet

Every configuration plays the same runs (run i = child i of SeedSequence(seed)) and the script
checks that they produced the same data:

- runs per second with 1 and 2 local workers, and the parallel efficiency rate2 / (2 x rate1);
- the Dask LocalCluster's parallel efficiency against one local worker, with and without its
  start-up (a one-time cost: the cluster, the scenario sent to each worker, the market kernels
  loaded), and the size of the batches of runs it hands out;
- Mesa's ``batch_run`` playing the same model the same number of times with 2 processes;
- the machine's own two-core scaling: plain processes playing runs with no executor and no output,
  the ceiling any executor can reach.

The machine these numbers come from is a shared virtual machine whose speed drifts by +-25% within
minutes, so every configuration is measured in several rounds (rotating order, each measurement
starting on an idle machine); efficiencies are computed within a round and their medians reported.
A warm-up ensemble runs first: it starts the fork server that imports the model once per session,
as the first ensemble of any session does; its wall time is printed as the cold start. The
results are printed as Markdown for docs/benchmarks.md.
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
BASELINE = ROOT / "sovereign" / "scenarios" / "baseline.yaml"
TINY = ROOT / "tests" / "sim" / "fixtures" / "tiny.yaml"


# --------------------------------------------------------------------------- Mesa batch_run wrapper


@functools.cache
def _scenario(path: str):
    # Parsed once per batch_run worker process, as our executor does: compare executors, not YAML parsing.
    return load_scenario(path)


def _mean_sovereignty(model: SovereignModel) -> float:
    # the same arithmetic as the ensemble's run summary, so equal games give equal numbers
    values = [r["sovereignty_index"] for r in model.metrics.nations[-len(model.scenario.regions) :]]
    return sum(values) / len(values)


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


#: Longest wait for an idle machine before each measurement (--max-wait).
MAX_WAIT_S = 600.0


def timed_ensemble(scenario, path, out, runs, quarters, seed, **kw) -> dict:
    waited = wait_for_quiet(MAX_WAIT_S)
    design = make_design(runs=runs, seed=seed)
    spec = EnsembleSpec(path, scenario, design, out, quarters=quarters, command=["benchmark"], **kw)
    busy0 = _busy_s()
    c0, t0 = cpu_s(), time.perf_counter()
    result = run_ensemble(spec, show_progress=False)
    wall = time.perf_counter() - t0
    parent_cpu = cpu_s() - c0
    busy = _busy_s() - busy0
    assert result.succeeded == runs, f"{result.failed} runs failed: see {out}/failures"
    session = read_json(out / "manifest.json")["sessions"][-1]
    table = read_table(out, "runs", columns=["elapsed_s", "cpu_s"])
    run_s = np.array(table.column("elapsed_s").to_pylist())
    run_cpu = float(np.sum(table.column("cpu_s").to_pylist()))
    workers = session["executor"]["workers"]
    return {
        "wall": wall,
        "start": session["executor_start_s"],
        "batch_runs": session["executor"].get("batch_runs"),
        "parent_cpu_ms_per_run": 1000 * parent_cpu / runs,
        # cores kept busy by anything but this ensemble's parent and runs, on average over the phase
        "others": max(0.0, busy - run_cpu - parent_cpu) / wall,
        "run_s": float(run_s.mean()),
        # share of the workers' time spent inside runs: what the executor itself wastes, whatever
        # else the machine is doing (other processes slow the runs, not this ratio)
        "busy": float(run_s.sum()) / (workers * wall),
        "load": os.getloadavg()[0],
        "waited": waited,
        "out": out,
    }


def timed_batch_run(path, runs, quarters, seed, processes) -> dict:
    from mesa.batchrunner import batch_run

    wait_for_quiet(MAX_WAIT_S)
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
    return {"wall": wall, "rows": rows, "load": os.getloadavg()[0]}


def rss_mib() -> float:
    """Current resident memory of this process (Linux), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def writer_stress(scenario, path: Path, n: int, tmp: Path) -> str:
    """Parent memory while n runs of this scenario's size stream to disk (one real run, replayed).

    A 1,000-run ensemble of the 40-quarter baseline takes hours on two cores; the parent's share of
    it (receive, buffer, write batches, bookkeeping) is replayed here in seconds with the real
    tables of one run, renumbered, through the same `ResultStore` the runner uses.
    """
    import math

    import pyarrow as pa

    from sovereign.ensemble.store import ResultStore, open_dataset
    from sovereign.ensemble.worker import RunOutput

    one = tmp / "one"
    timed_ensemble(scenario, path, one, 1, None, 0, workers=1)
    tables = {name: read_table(one, name) for name in ("nations", "firms", "world", "runs")}
    rows = sum(t.num_rows for t in tables.values())
    store = ResultStore(tmp / "stress", batch_runs=min(256, max(8, math.ceil(n / 64))))
    store.open({"identity": {"writer_stress": n}})
    start, peak = rss_mib(), 0.0
    t0 = time.perf_counter()
    for i in range(n):
        renumbered = {
            name: t.set_column(0, "run_id", pa.array(np.full(t.num_rows, i, np.int64))) for name, t in tables.items()
        }
        store.add(RunOutput(i, 0, renumbered, 0.0))
        if store.due():
            store.flush()
        if i % 25 == 0:
            peak = max(peak, rss_mib())
    store.flush()
    store.close()
    wall = time.perf_counter() - t0
    peak = max(peak, rss_mib())
    written = open_dataset(tmp / "stress", "runs").count_rows()
    size = sum(f.stat().st_size for f in (tmp / "stress").rglob("*.parquet")) / 2**20
    assert written == n
    return (
        f"- writer stress: {n} runs x {rows:,} rows ({path.name}) streamed by the parent in {wall:.1f} s "
        f"({1000 * wall / n:.1f} ms/run, {size:.0f} MiB of Parquet); parent RSS {start:.0f} MiB before, "
        f"peak {peak:.0f} MiB during"
    )


def _busy_s() -> float:
    """CPU seconds the whole machine has spent busy since boot (all processes, all cores)."""
    if not Path("/proc/stat").exists():
        return float("nan")
    total, idle = _cpu_ticks()
    return (total - idle) / os.sysconf("SC_CLK_TCK")


def _cpu_ticks() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]  # total, idle + iowait


def wait_for_quiet(max_wait_s: float = 600.0, idle: float = 0.9) -> float:
    """Wait until the machine is at least `idle` idle over 2 s (others share it); return the seconds waited.

    On a shared machine someone else's job running during one phase and not another would pass for
    (or hide) the executor's overhead; each phase therefore starts on an idle machine.
    """
    t0 = time.perf_counter()
    if not Path("/proc/stat").exists():
        return 0.0
    while time.perf_counter() - t0 < max_wait_s:
        a_total, a_idle = _cpu_ticks()
        time.sleep(2.0)
        b_total, b_idle = _cpu_ticks()
        if (b_idle - a_idle) / max(b_total - a_total, 1) >= idle:
            break
    return time.perf_counter() - t0


_RAW_RUNNER = """
import sys, time
from sovereign.scenario.loader import load_scenario
from sovereign.sim.runner import run_scenario
sc = load_scenario(sys.argv[1])
runs, quarters, start, first = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
while time.time() < start:
    time.sleep(0.01)
t0 = time.perf_counter()
for i in range(first, first + runs):
    run_scenario(sc, seed=i, quarters=quarters)
print(time.perf_counter() - t0)
"""


def raw_play(path: Path, runs: int, quarters: int, n_procs: int) -> float:
    """Wall time of `runs` plain runs split over `n_procs` processes: no executor, no output.

    Two processes that share nothing but the machine still slow each other down when the cores
    share a boost budget, caches or memory bandwidth; this is the ceiling any executor meets.
    """
    import subprocess

    wait_for_quiet(MAX_WAIT_S)
    start = time.time() + 6.0  # after the interpreters have imported the model
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RAW_RUNNER, str(path), str(runs // n_procs), str(quarters), str(start), str(k)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for k in range(0, runs, runs // n_procs)
    ]
    return max(float(p.communicate()[0]) for p in procs)


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


# C901: a benchmark script's main: its flags, then one measurement after another, read top to bottom.
def main() -> None:  # noqa: C901
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", type=Path, default=BASELINE if BASELINE.exists() else TINY)
    parser.add_argument("--runs", type=int, default=24, help="runs per measurement (default 24)")
    parser.add_argument("--quarters", type=int, default=None, help="quarters per run (default: all)")
    parser.add_argument(
        "--repeat", type=int, default=5, help="rounds of every measurement; medians reported (default 5)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--skip-mesa", action="store_true")
    parser.add_argument("--skip-raw", action="store_true", help="skip the executor-free two-process ceiling")
    parser.add_argument(
        "--max-wait", type=float, default=600.0, help="longest wait for an idle machine per measurement (s)"
    )
    parser.add_argument(
        "--writer-stress", type=int, default=0, metavar="N", help="only measure the parent's memory writing N runs"
    )
    args = parser.parse_args()
    global MAX_WAIT_S
    MAX_WAIT_S = args.max_wait
    if args.writer_stress:
        with tempfile.TemporaryDirectory() as tmp:
            print(writer_stress(load_scenario(args.scenario), args.scenario, args.writer_stress, Path(tmp)))
        return

    scenario = load_scenario(args.scenario)
    quarters = args.quarters or len(range(_q(scenario.time.start), _q(scenario.time.end) + 1))
    n = args.runs
    print(f"{args.scenario}: {n} runs x {quarters} quarters, seed {args.seed}, {args.repeat} rounds", flush=True)
    # This machine's speed drifts by +-25% within minutes (a shared virtual machine), so every
    # measurement is repeated in rounds, each round running every configuration back to back in a
    # rotating order; efficiencies are computed within a round (same conditions) and the medians
    # over rounds are reported, with their range.
    results: dict[str, list[dict]] = {}
    effs: dict[str, list[float]] = {"local-2": [], "dask-2": [], "dask-2-started": [], "mesa-2": [], "raw-2": []}
    starts: dict[str, float] = {}
    differ: set[str] = set()
    mesa_same = True
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        cold = timed_ensemble(scenario, args.scenario, tmpd / "warmup", 2, 1, args.seed + 1, workers=2)
        print(f"cold start (fork server imports the model, 2 runs of 1 quarter): {cold['wall']:.2f} s", flush=True)
        plan: list[tuple[str, dict | None]] = [("local-1", {"workers": 1}), ("local-2", {"workers": 2})]
        if not args.skip_dask:
            plan.append(("dask-2", {"engine": "dask", "workers": 2}))
        if not args.skip_mesa:
            plan.append(("mesa-2", None))
        if not args.skip_raw:
            plan += [("raw-1", None), ("raw-2", None)]
        for rnd in range(args.repeat):
            order = plan[rnd % len(plan) :] + plan[: rnd % len(plan)]
            walls: dict[str, float] = {}
            for name, kw in order:
                if name == "mesa-2":
                    r = timed_batch_run(args.scenario, n, quarters, args.seed, 2)
                    ours = read_table(results["local-1"][0]["out"], "runs", columns=["sovereignty_index_final_mean"])
                    theirs = [row["sovereignty_index_mean"] for row in sorted(r.pop("rows"), key=lambda x: x["RunId"])]
                    mesa_same &= bool(np.array_equal(ours.column(0).to_numpy(), theirs))
                elif name.startswith("raw-"):
                    r = {"wall": raw_play(args.scenario, n, quarters, int(name[-1]))}
                else:
                    assert kw is not None
                    out = tmpd / f"{name}-{rnd}"
                    r = timed_ensemble(scenario, args.scenario, out, n, quarters, args.seed, **kw)
                    if name != "local-1" and "local-1" in results and not same_data(results["local-1"][0]["out"], out):
                        differ.add(name)
                results.setdefault(name, []).append(r)
                walls[name] = r["wall"]
                starts[name] = r.get("start", 0.0)
                print(f"round {rnd + 1}: {name} {r['wall']:.2f} s", flush=True)
            for name in effs:
                base = "raw-1" if name == "raw-2" else "local-1"
                if name in walls and base in walls:
                    effs[name].append(walls[base] / (2 * walls[name]))
            if "dask-2" in walls and "local-1" in walls:
                # once started: the cluster's start-up is paid once per session, not per run
                started = (walls["local-1"] - starts["local-1"]) / (2 * (walls["dask-2"] - starts["dask-2"]))
                effs["dask-2-started"].append(started)

    def median_run(name: str) -> dict:
        rs = sorted(results[name], key=lambda r: r["wall"])
        return rs[len(rs) // 2]

    def eff_text(name: str) -> str:
        e = effs[name]
        return f"{100 * float(np.median(e)):.0f}% ({100 * min(e):.0f}-{100 * max(e):.0f}%)" if e else "-"

    lines = [
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {machine()}",
        f"- command: `python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}`".replace("  ", " "),
        f"- scenario: `{args.scenario.relative_to(ROOT) if args.scenario.is_absolute() else args.scenario}`, "
        f"{n} runs x {quarters} quarters per measurement, "
        + ("identical data from every executor (checked)" if not differ else f"**data differ: {', '.join(differ)}**")
        + f"; {args.repeat} rounds, medians (range over rounds); each measurement starts on a >= 90% idle machine",
        f"- cold start (first ensemble of a session: the fork server imports the model): {cold['wall']:.1f} s",
        "",
        "| executor | wall s | runs/s | parallel efficiency | mean run s | workers busy | executor start-up s "
        "| parent CPU ms/run | other load (cores) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "local-1": "local processes, 1 worker",
        "local-2": "local processes, 2 workers",
        "dask-2": "Dask LocalCluster, 2 workers",
        "mesa-2": "Mesa batch_run, 2 processes",
        "raw-1": "no executor: 1 plain process",
        "raw-2": "no executor: 2 plain processes side by side",
    }
    for name, label in labels.items():
        if name not in results:
            continue
        r = median_run(name)
        cells = [f"{r['wall']:.1f}", f"{n / r['wall']:.3f}", "-" if name.endswith("-1") else eff_text(name)]
        if "run_s" in r:
            cells += [
                f"{r['run_s']:.2f}",
                f"{100 * r['busy']:.0f}%",
                f"{r['start']:.2f}",
                f"{r['parent_cpu_ms_per_run']:.0f}",
                f"{r['others']:.2f}",
            ]
        else:
            cells += ["-"] * 5
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"- parallel efficiency, local processes, 2 workers: **{eff_text('local-2')}** (target >= 85%)")
    if effs["raw-2"]:
        ceiling = float(np.median(effs["raw-2"]))
        lines.append(
            f"- the machine's own two-core scaling, with no executor and no output at all: {eff_text('raw-2')}; "
            f"the local executor reaches {100 * float(np.median(effs['local-2'])) / ceiling:.0f}% of it"
        )
    if "dask-2" in results:
        d, loc = median_run("dask-2"), median_run("local-2")
        lines.append(
            f"- parallel efficiency, Dask LocalCluster, 2 workers: **{eff_text('dask-2-started')} once started**, "
            f"{eff_text('dask-2')} with its start-up of {d['start']:.1f} s (target >= 85%); "
            f"batches of {d['batch_runs']} runs"
        )
        lines.append(
            f"- Dask overhead against local processes (2 workers): {100 * (d['wall'] / loc['wall'] - 1):+.0f}% wall "
            f"time, of which {d['start']:.1f} s is starting the LocalCluster; "
            f"{100 * ((d['wall'] - d['start']) / (loc['wall'] - loc['start']) - 1):+.0f}% once started"
        )
    if "mesa-2" in results:
        m, loc = median_run("mesa-2"), median_run("local-2")
        lines.append(
            f"- Mesa batch_run / local processes wall time (2 processes each): {m['wall'] / loc['wall']:.2f}x; "
            "batch_run starts a spawn pool per call, keeps one reporter per run in memory and writes nothing "
            "(no retries, no resume); "
            + ("it played the same games (checked)" if mesa_same else "**its games differ from the ensemble's**")
        )
    print("\n".join(lines))


def _q(label: str) -> int:
    return int(label[:4]) * 4 + int(label[5]) - 1


if __name__ == "__main__":
    main()
