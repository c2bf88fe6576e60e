"""Time a full headless baseline run, show where the time goes, and compare with an LP baseline.

Usage: ``python benchmarks/run.py [SCENARIO] [--repeat N] [--seed S]``

Each run plays the whole scenario (40 quarters for the baseline) in one process with AI in every
seat; CPU time (`time.process_time`) is reported so other jobs on the machine disturb it less.
The phases are timed by wrapping the model's quarter steps: *agents* = AI decisions plus command
checks and application; *chips*, *power*, *compute* = the three markets including the model's
bookkeeping around them; *recording* = sovereignty pillars and the tidy tables.

Baseline run side by side: the same game with the compute market solved exactly as an LP by HiGHS
(scipy `linprog`, `temperature=0`), the way a straightforward implementation would clear it.
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

import sovereign.sim.model as model_mod  # noqa: E402
from sovereign.markets import clear_compute  # noqa: E402
from sovereign.scenario.loader import load_scenario  # noqa: E402
from sovereign.sim.agents import SeatAgent  # noqa: E402
from sovereign.sim.model import SovereignModel  # noqa: E402

PHASES = {
    "_apply_commands": "agents",
    "_construction": "construction and events",
    "_chips": "chips market",
    "_power": "power market",
    "_compute": "compute market",
    "_finance": "finance",
    "_metrics": "recording",
    "_advance": "advance (growth, ageing)",
}


def timed_run(scenario, seed: int) -> tuple[float, dict[str, float]]:
    """One full run; CPU seconds in total and per phase."""
    spent: dict[str, float] = defaultdict(float)

    def timer(fn, label):
        def inner(*args, **kwargs):
            t = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - t

        return inner

    model = SovereignModel(scenario, rng=seed)
    for name, label in PHASES.items():
        setattr(model, name, timer(getattr(model, name), label))
    # AI decisions happen at the start of step(): wrap each agent class's decide (startups too)
    saved = {cls: cls.__dict__["decide"] for cls in SeatAgent.__subclasses__() if "decide" in cls.__dict__}
    t0 = time.process_time()
    try:
        for cls, fn in saved.items():
            cls.decide = timer(fn, "agents")
        model.run()
    finally:
        for cls, fn in saved.items():
            cls.decide = fn
    total = time.process_time() - t0
    spent["other (Mesa step, glue)"] = max(total - sum(spent.values()), 0.0)
    return total, dict(spent)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", nargs="?", default=str(ROOT / "sovereign" / "scenarios" / "baseline.yaml"))
    p.add_argument("--repeat", type=int, default=5, help="runs (seeds) to time")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-baseline", action="store_true", help="skip the LP baseline")
    args = p.parse_args()
    sc = load_scenario(args.scenario)
    timed_run(sc, args.seed)  # warm up imports and caches
    runs = [timed_run(sc, args.seed + i) for i in range(args.repeat)]
    totals = [t for t, _ in runs]
    med = statistics.median(totals)
    phases: dict[str, list[float]] = defaultdict(list)
    for _, sp in runs:
        for k, v in sp.items():
            phases[k].append(v)
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    print(
        f"date {time.strftime('%Y-%m-%d')}; {cpu}; {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"scenario {Path(args.scenario).name}: {len(sc.regions)} regions, {len(sc.actors)} named firms, "
        f"{sc.time.start}..{sc.time.end}; one process (one core), CPU time"
    )
    print(f"full run: median {med:.3f} s, min {min(totals):.3f} s, max {max(totals):.3f} s over {len(totals)} seeds")
    print()
    print("| phase | median CPU s | share |")
    print("|---|---:|---:|")
    for k, v in sorted(phases.items(), key=lambda kv: -statistics.median(kv[1])):
        print(f"| {k} | {statistics.median(v):.3f} | {100 * statistics.median(v) / med:.0f}% |")
    if not args.no_baseline:
        model_mod.clear_compute = lambda *a, **k: clear_compute(*a, **{**k, "temperature": 0.0})
        try:
            base = [timed_run(sc, args.seed + i)[0] for i in range(min(args.repeat, 2))]
        finally:
            model_mod.clear_compute = clear_compute
        b = statistics.median(base)
        print()
        print(
            f"LP baseline (compute market solved exactly by HiGHS): median {b:.3f} s; "
            f"the vectorised run is {b / med:.1f}x faster"
        )


if __name__ == "__main__":
    main()
