"""Validate the baseline: stylized facts of its mechanisms and the IEA and Epoch totals.

Usage: ``python tools/validate_baseline.py [--seeds N] [--other-roots 7,99] [--workers W] [--write docs/validation.md]``

Runs the baseline with AI in every seat for N seeds (one SeedSequence child per seed, as the Monte
Carlo runner does) and reports, with the published figure or rule beside each:

- the economy's stylized facts (`sovereign.ensemble.stylized.FACTS`): compute prices paid at or
  above cost and near 2026 rental prices, fabs paid for what they deliver, no cash piles, the big
  labs' 2026 revenue, startups that raise, fail and keep being founded;
- global datacenter electricity in 2026, 2030 and 2035 against the IEA (2024: ~415 TWh; 2030
  base case ~945 TWh, scenario range 669-1,264 TWh), the US and China shares of datacenter
  electricity (IEA 2024: 45% and 25%) and of installed AI compute (Epoch 2025: ~75% and ~15%).

The stylized facts are then counted on the same number of seeds of other root seeds
(``--other-roots``, default 7 and 99; ``--other-roots ""`` for none), so that a fact that holds only
on the seeds it was looked at on shows. Exits 1 if a stylized fact fails in any seed of the main root.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sovereign.ensemble.docsection import write_section  # noqa: E402

IEA_2030_RANGE = (669.0, 1264.0)
SCENARIO = ROOT / "sovereign" / "scenarios" / "baseline.yaml"


def one_run(seed_seq: np.random.SeedSequence) -> dict[str, Any]:
    """Play the baseline once; the stylized facts and the electricity figures."""
    from sovereign.ensemble.stylized import measure_run
    from sovereign.scenario.loader import load_scenario

    out = measure_run(load_scenario(SCENARIO), seed_seq)
    m = out.pop("model")
    world, nations = m.metrics.world, m.metrics.nations

    def year_twh(year: str) -> float:
        return sum(r["dc_electricity_twh"] for r in world if r["quarter"].startswith(year))

    def share(year: str, region: str, key: str) -> float:
        rows = [r for r in nations if r["quarter"].startswith(year)]
        total = sum(r[key] for r in rows)
        return sum(r[key] for r in rows if r["region"] == region) / total

    first_q = world[0]["quarter"]
    out.update(
        {
            "twh_first_quarter_annualised": 4 * world[0]["dc_electricity_twh"],
            "twh_2026": year_twh("2026"),
            "twh_2035": year_twh("2035"),
            "us_share_twh_2026": share("2026", "USA", "dc_electricity_twh"),
            "cn_share_twh_2026": share("2026", "CHN", "dc_electricity_twh"),
            "us_share_twh_2030": share("2030", "USA", "dc_electricity_twh"),
            "cn_share_twh_2030": share("2030", "CHN", "dc_electricity_twh"),
            "us_compute_share_start": share(first_q, "USA", "compute_capacity_h100e"),
            "cn_compute_share_start": share(first_q, "CHN", "compute_capacity_h100e"),
        }
    )
    return out


ELECTRICITY = {
    "twh_first_quarter_annualised": (
        "Global datacenter electricity, first quarter x 4 (TWh/yr)",
        "IEA: 415 TWh in 2024, ~15%/yr, so ~550 at the start of 2026",
        "{:.0f}",
    ),
    "twh_2026": (
        "Global datacenter electricity 2026 (TWh)",
        "IEA: 415 TWh in 2024, ~15%/yr, so ~550 in 2026",
        "{:.0f}",
    ),
    "twh_2030": (
        "Global datacenter electricity 2030 (TWh)",
        "IEA base 945; range 669 (Headwinds) to 1,264 (Lift-Off)",
        "{:.0f}",
    ),
    "twh_2035": ("Global datacenter electricity 2035 (TWh)", "IEA base ~1,200", "{:.0f}"),
    "us_share_twh_2026": ("US share of DC electricity 2026", "IEA 2024: 45%", "{:.1%}"),
    "cn_share_twh_2026": ("China share of DC electricity 2026", "IEA 2024: 25%", "{:.1%}"),
    "us_share_twh_2030": ("US share of DC electricity 2030", "IEA 2030 base: 426/945 = 45%", "{:.1%}"),
    "cn_share_twh_2030": ("China share of DC electricity 2030", "IEA 2030 base: 277/945 = 29%", "{:.1%}"),
    "us_compute_share_start": ("US share of installed AI compute, first quarter", "Epoch 2025: ~75%", "{:.1%}"),
    "cn_compute_share_start": ("China share of installed AI compute, first quarter", "Epoch 2025: ~15%", "{:.1%}"),
}


def main() -> int:
    from sovereign.ensemble.stylized import FACTS, check, fact_table, other_roots, roots_section, spread

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--seed", type=int, default=2026, help="root seed of the SeedSequence")
    p.add_argument("--other-roots", default="7,99", help="comma-separated root seeds to count the facts on too")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--write", type=Path, default=None, help="write the markdown report here")
    args = p.parse_args()
    try:
        others = other_roots(args.other_roots, args.seed)
    except ValueError as e:
        p.error(str(e))
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        played = {
            root: list(pool.map(one_run, np.random.SeedSequence(root).spawn(args.seeds)))
            for root in (args.seed, *others)
        }
    elapsed = time.perf_counter() - t0
    runs = played[args.seed]

    def row(name: str, k: str, fmt: str, ref: str) -> str:
        cells = " | ".join(fmt.format(x) for x in spread(runs, k))
        return f"| {name} | {cells} | {ref} |"

    problems = check(runs)
    cmd = (
        f"python tools/validate_baseline.py --seeds {args.seeds} --seed {args.seed}"
        f" --other-roots {','.join(map(str, others))}"
    )
    lines = [
        "# Validation of the baseline against published figures",
        "",
        f"Produced by `{cmd}` on {time.strftime('%Y-%m-%d')} (Python {platform.python_version()}, "
        f"{args.workers} workers, {elapsed:.0f} s): the baseline scenario played to the end with AI in every "
        f"seat, {args.seeds} seeds spawned from one SeedSequence. Sources: `CALIBRATION.md` (the project's facts "
        "file, sections 1, 2, 9 and 10). A matching total is not validation: the first table holds each "
        "mechanism of the economy to what a domain expert expects, in every seed; the `slow` test "
        "`tests/ensemble/test_stylized_facts.py` runs the same check.",
        "",
        "## The economy's stylized facts",
        "",
        *fact_table(FACTS, runs),
    ]
    lines += roots_section(others, f"{args.seeds} games each", [(FACTS, played)])
    failed_labs = sorted({lab for r in runs for lab in r["labs_failed"]})
    drift = max(r["money_drift_busd"] for r in runs)
    lines += [
        "",
        f"**Stylized facts: {'all hold in every seed' if not problems else f'{len(problems)} misses'}.**"
        + ("" if not problems else "\n\n" + "\n".join(f"- {p}" for p in problems)),
        "",
        f"Money conservation: the world's money (every seat's cash plus the outside account) moved at most "
        f"${drift:.1e}B over a game (rounding). Named labs that shut down in some seed (debt past twice their "
        f"capacity): {', '.join(failed_labs) or 'none'}.",
        "",
        "How each is measured: the price paid is each served cluster's price (marginal cost plus the",
        "contracted and spot scarcity rent), the cost its power and opex per H100e-hour; the 2026 price is the",
        "sales-weighted world price averaged over the four quarters of 2026; fab revenue is what the chip",
        "phase books for fabs against what buyers paid (`flows`); cash / revenue counts every firm alive at the",
        "end (named and startups) holding at least $1B (`PILE_MIN_BUSD`: less is no pile), over its revenue of",
        "the last four quarters; startups are those founded during the",
        "run (failures judged for those founded a year before the end, raises for those founded two years",
        "before it: a seed funds up to about six quarters), a round is a raise after the seed.",
        "",
        "## Electricity and compute totals",
        "",
        "| figure | min | p5 | median | max | published |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for k, (name, ref, fmt) in ELECTRICITY.items():
        lines.append(row(name, k, fmt, ref))
    inside = sum(IEA_2030_RANGE[0] <= r["twh_2030"] <= IEA_2030_RANGE[1] for r in runs)
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
        write_section(args.write, "baseline", text)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
