"""Compare the baseline's AI-only runs with the IEA and Epoch figures in CALIBRATION.md.

Usage: ``python tools/validate_baseline.py [--seeds N] [--workers W] [--write docs/validation.md]``

Runs the baseline with AI in every seat for N seeds (one SeedSequence child per seed, as the Monte
Carlo runner does) and reports global datacenter electricity in 2026 and 2030 against the IEA
(2024: ~415 TWh; 2030 base case ~945 TWh, scenario range 669-1,264 TWh), the US and China shares of
datacenter electricity in the first year (IEA 2024: 45% and 25%) and of installed AI compute
(Epoch 2025: ~75% and ~15%).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IEA_2030_RANGE = (669.0, 1264.0)


def one_run(seed_seq: np.random.SeedSequence) -> dict[str, float]:
    """Play the baseline once and extract the validation figures."""
    from sovereign.scenario.loader import load_scenario
    from sovereign.sim.model import SovereignModel

    sc = load_scenario(ROOT / "sovereign" / "scenarios" / "baseline.yaml")
    m = SovereignModel(sc, rng=seed_seq)
    m.run()
    world = m.metrics.world
    nations = m.metrics.nations

    def year_twh(year: str) -> float:
        return sum(r["dc_electricity_twh"] for r in world if r["quarter"].startswith(year))

    def share(year: str, region: str, key: str) -> float:
        rows = [r for r in nations if r["quarter"].startswith(year)]
        total = sum(r[key] for r in rows)
        return sum(r[key] for r in rows if r["region"] == region) / total

    first_q = world[0]["quarter"]
    return {
        "twh_first_quarter_annualised": 4 * world[0]["dc_electricity_twh"],
        "twh_2026": year_twh("2026"),
        "twh_2030": year_twh("2030"),
        "twh_2035": year_twh("2035"),
        "us_share_twh_2026": share("2026", "USA", "dc_electricity_twh"),
        "cn_share_twh_2026": share("2026", "CHN", "dc_electricity_twh"),
        "us_share_twh_2030": share("2030", "USA", "dc_electricity_twh"),
        "cn_share_twh_2030": share("2030", "CHN", "dc_electricity_twh"),
        "us_compute_share_start": share(first_q, "USA", "compute_capacity_h100e"),
        "cn_compute_share_start": share(first_q, "CHN", "compute_capacity_h100e"),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--seed", type=int, default=2026, help="root seed of the SeedSequence")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--write", type=Path, default=None, help="write the markdown report here")
    args = p.parse_args()
    children = np.random.SeedSequence(args.seed).spawn(args.seeds)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        runs = list(pool.map(one_run, children))
    elapsed = time.perf_counter() - t0
    keys = list(runs[0])

    def stats(k: str) -> tuple[float, float, float, float]:
        v = sorted(r[k] for r in runs)
        return v[0], float(np.percentile(v, 5)), statistics.median(v), v[-1]

    inside = sum(IEA_2030_RANGE[0] <= r["twh_2030"] <= IEA_2030_RANGE[1] for r in runs)
    labels = {
        "twh_first_quarter_annualised": (
            "Global datacenter electricity, first quarter x 4 (TWh/yr)",
            "IEA: 415 TWh in 2024, ~15%/yr, so ~550 at the start of 2026",
        ),
        "twh_2026": ("Global datacenter electricity 2026 (TWh)", "IEA: 415 TWh in 2024, ~15%/yr, so ~550 in 2026"),
        "twh_2030": (
            "Global datacenter electricity 2030 (TWh)",
            "IEA base 945; range 669 (Headwinds) to 1,264 (Lift-Off)",
        ),
        "twh_2035": ("Global datacenter electricity 2035 (TWh)", "IEA base ~1,200"),
        "us_share_twh_2026": ("US share of DC electricity 2026", "IEA 2024: 45%"),
        "cn_share_twh_2026": ("China share of DC electricity 2026", "IEA 2024: 25%"),
        "us_share_twh_2030": ("US share of DC electricity 2030", "IEA 2030 base: 426/945 = 45%"),
        "cn_share_twh_2030": ("China share of DC electricity 2030", "IEA 2030 base: 277/945 = 29%"),
        "us_compute_share_start": ("US share of installed AI compute, first quarter", "Epoch 2025: ~75%"),
        "cn_compute_share_start": ("China share of installed AI compute, first quarter", "Epoch 2025: ~15%"),
    }
    cmd = f"python tools/validate_baseline.py --seeds {args.seeds} --seed {args.seed}"
    lines = [
        "# Validation of the baseline against published figures",
        "",
        f"Produced by `{cmd}` on {time.strftime('%Y-%m-%d')} (Python {platform.python_version()}, "
        f"{args.workers} workers, {elapsed:.0f} s): the baseline scenario played to the end with AI in every "
        f"seat, {args.seeds} seeds spawned from one SeedSequence. Sources: `CALIBRATION.md` sections 1 and 2.",
        "",
        "| figure | min | p5 | median | max | published |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for k in keys:
        lo, p5, med, hi = stats(k)
        fmt = "{:.0f}" if k.startswith("twh") else "{:.1%}"
        name, ref = labels[k]
        lines.append(f"| {name} | {fmt.format(lo)} | {fmt.format(p5)} | {fmt.format(med)} | {fmt.format(hi)} | {ref} |")
    lines += [
        "",
        f"**2030 inside the IEA scenario range (669-1,264 TWh): {inside} of {len(runs)} seeds.**",
        "",
        "Notes: datacenter electricity is what the power market served to datacenters (conventional IT load",
        "plus AI accelerators at 85% fleet availability, times PUE), summed over the year's four quarters.",
        "The first year sits above the IEA's smooth path because the AI fleet grows from about 15M to",
        "25M H100e during 2026 (fab output of ~3M H100e per quarter); see `docs/calibration.md`.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        args.write.write_text(text)


if __name__ == "__main__":
    main()
