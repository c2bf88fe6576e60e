"""Time a full headless baseline run and show where the time goes.

Usage: ``python benchmarks/run.py [SCENARIO] [--repeat N] [--seed S]``

The sections are timed by wrapping the model's quarter phases (agents = AI decisions and command
application; markets = chips + power + compute; recording = metrics). The baseline for the ratio
is the same run with the market kernels replaced by their plain-Python reference implementations,
run side by side, so the figure says what vectorisation buys.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sovereign.scenario.loader import load_scenario  # noqa: E402
from sovereign.sim import model as model_mod  # noqa: E402
from sovereign.sim.model import SovereignModel  # noqa: E402

PHASES = {
    "agents": ("_apply_commands",),
    "events+construction": ("_construction",),
    "chips market": ("_chips",),
    "power market": ("_power",),
    "compute market": ("_compute",),
    "finance": ("_finance",),
    "recording": ("_metrics",),
    "advance": ("_advance",),
}


def timed_run(scenario, seed: int) -> tuple[float, dict[str, float]]:
    """One full run; returns wall time and time per phase."""
    spent: dict[str, float] = defaultdict(float)
    m = SovereignModel(scenario, rng=seed)
    originals = {}
    for phase, names in PHASES.items():
        for name in names:
            fn = getattr(m, name)
            originals[name] = fn

            def wrap(fn=fn, phase=phase):
                def inner(*a, **k):
                    t = time.perf_counter()
                    try:
                        return fn(*a, **k)
                    finally:
                        spent[phase] += time.perf_counter() - t

                return inner

            setattr(m, name, wrap())
    # AI decisions happen inside step() before _apply_commands: time them through decide()
    for agent in m.seats.values():
        fn = agent.decide

        def dec(fn=fn):
            t = time.perf_counter()
            try:
                return fn()
            finally:
                spent["agents"] += time.perf_counter() - t

        agent.decide = dec
    t0 = time.perf_counter()
    while not m.done:
        for agent in m.seats.values():  # startups spawned later get timed too
            if not hasattr(agent.decide, "__wrapped_timer__"):
                fn = agent.decide

                def dec(fn=fn):
                    t = time.perf_counter()
                    try:
                        return fn()
                    finally:
                        spent["agents"] += time.perf_counter() - t

                dec.__wrapped_timer__ = True
                agent.decide = dec
        m.step()
    total = time.perf_counter() - t0
    spent["other (mesa, step glue)"] = total - sum(spent.values())
    return total, dict(spent)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.yaml"))
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-reference", action="store_true", help="skip the reference-kernel baseline")
    args = p.parse_args()
    sc = load_scenario(args.scenario)
    timed_run(sc, args.seed)  # warm up imports and caches
    runs = [timed_run(sc, args.seed + i) for i in range(args.repeat)]
    totals = [t for t, _ in runs]
    phases = defaultdict(list)
    for _, sp in runs:
        for k, v in sp.items():
            phases[k].append(v)
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    print(f"date {time.strftime('%Y-%m-%d')}; {cpu}; {os.cpu_count()} cores; Python {platform.python_version()}")
    print(f"scenario {args.scenario}: {len(sc.regions)} regions, {len(sc.actors)} actors, "
          f"{sc.time.start}..{sc.time.end}, one process (one core)")
    print(f"full run: median {statistics.median(totals):.3f} s, min {min(totals):.3f} s over {len(totals)} seeds")
    med = statistics.median(totals)
    print("| phase | median s | share |")
    print("|---|---:|---:|")
    for k, v in sorted(phases.items(), key=lambda kv: -statistics.median(kv[1])):
        print(f"| {k} | {statistics.median(v):.4f} | {100 * statistics.median(v) / med:.0f}% |")
    if not args.no_reference:
        from sovereign.markets import reference

        saved = (model_mod.clear_power, model_mod.clear_compute, model_mod.allocate_chips)
        model_mod.clear_power = reference.clear_power_reference
        model_mod.clear_compute = reference.clear_compute_reference
        model_mod.allocate_chips = reference.allocate_chips_reference
        try:
            t_ref, _ = timed_run(sc, args.seed)
        finally:
            model_mod.clear_power, model_mod.clear_compute, model_mod.allocate_chips = saved
        print(f"same run with the reference (loop) kernels: {t_ref:.3f} s = {t_ref / med:.1f}x the vectorised run")


if __name__ == "__main__":
    main()
