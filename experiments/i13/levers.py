"""Issue 13's measurements: a bloc join against each national lever, and the baseline's risers.

Run from the repo root: python experiments/i13/levers.py [SCENARIO] [seeds...]   (default baseline, seeds 1-5)

Every lever case plays India by script alone (`ai: off` all game, so nothing the AI does for India
blurs the comparison) against the same passive India with no commands, on the same seeds:

- join: leave BRICS in 2026Q1, apply to `us_allies` in 2026Q2 (admitted by the members' votes);
- subsidy: a 50% datacenter subsidy from 2026Q1;
- localisation + build-out: a data-localisation law and a 500 MW state campus (200 MW ordered in
  2026Q1 and 300 MW in 2026Q3, as the budget allows), filled with accelerators as it opens;
- programme: the IndiaAI compute programme at its calibrated size (CALIBRATION 12: about 38,000
  GPUs for Rs 10,372 crore, ~$1.25B over five years): a 50 MW state campus (room for about
  38,000 H100e) filled as it opens;
- licence: a deal offered to the United States (whose AI answers): 100k H100e a quarter of the
  frontier class licensed to India for 20 quarters for $0.2B a quarter; licence + build-out adds
  the 500 MW state campus;
- security: cyber-security spending raised to $3B a year from 2026Q1.

Prints the 2030Q4 index and pillars per case (mean over seeds), each case's change against the
control, and for the AI-only baseline: the largest rise of any nation's index over 2026-35 with
its own compute, power and chip pillars' rises, and Europe against Russia in the median seed.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from sovereign.scenario.catalog import resolve_scenario
from sovereign.scenario.loader import load_scenario
from sovereign.scenario.script import play_scripted, script_from_dict
from sovereign.sim.model import SovereignModel

PILLARS = ["compute_self_reliance", "power_adequacy", "chip_security", "data_governance", "cyber_resilience"]
EUROPE = ["DEU", "FRA", "EU_REST", "NORDICS", "IRL"]


def _buys(quarters: list[str], h100e: float) -> list[dict[str, Any]]:
    """Bids each quarter for the state campus (refused while it has no free space: logged, harmless)."""
    return [
        {
            "quarter": q,
            "seat": "IND",
            "command": {
                "kind": "buy_accelerators",
                "accelerator": "frontier",
                "h100e": h100e,
                "max_price_usd": 30000.0,
                "region": "IND",
            },
        }
        for q in quarters
    ]


FILL = [f"{y}Q{q}" for y in range(2027, 2031) for q in range(1, 5)]
#: A deal with the United States (its AI answers): 100k H100e a quarter of the frontier class licensed
#: to India for 20 quarters, India paying $0.2B a quarter (about 10% of the licensed chips' list value)
LICENCE = {
    "quarter": "2026Q1",
    "seat": "IND",
    "command": {
        "kind": "offer_deal",
        "partner": "USA",
        "deal_kind": "export_licence",
        "accelerator": "frontier",
        "h100e_per_quarter": 100_000.0,
        "quarters": 20,
        "payment_busd_per_quarter": -0.2,
        "supplier_is_proposer": False,
    },
}
CASES: dict[str, list[dict[str, Any]]] = {
    "control": [],
    "join": [
        {"quarter": "2026Q1", "seat": "IND", "command": {"kind": "leave_bloc", "bloc": "brics"}},
        {"quarter": "2026Q2", "seat": "IND", "command": {"kind": "join_bloc", "bloc": "us_allies"}},
    ],
    "subsidy": [{"quarter": "2026Q1", "seat": "IND", "command": {"kind": "set_subsidy", "rate": 0.5}}],
    "localisation_buildout": [
        {"quarter": "2026Q1", "seat": "IND", "command": {"kind": "set_localisation", "enabled": True}},
        {"quarter": "2026Q1", "seat": "IND", "command": {"kind": "build_datacenter", "region": "IND", "it_mw": 200.0}},
        {"quarter": "2026Q3", "seat": "IND", "command": {"kind": "build_datacenter", "region": "IND", "it_mw": 300.0}},
        *_buys(FILL, 50_000.0),
    ],
    "programme": [
        {"quarter": "2026Q1", "seat": "IND", "command": {"kind": "build_datacenter", "region": "IND", "it_mw": 50.0}},
        *_buys(FILL, 38_000.0),
    ],
    "licence": [LICENCE],
    "licence_buildout": [
        LICENCE,
        {"quarter": "2026Q1", "seat": "IND", "command": {"kind": "build_datacenter", "region": "IND", "it_mw": 200.0}},
        {"quarter": "2026Q3", "seat": "IND", "command": {"kind": "build_datacenter", "region": "IND", "it_mw": 300.0}},
        *_buys(FILL, 50_000.0),
    ],
    "security": [
        {"quarter": "2026Q1", "seat": "IND", "command": {"kind": "set_security_spending", "busd_per_year": 3.0}}
    ],
}


SCENARIO = "baseline"


def _play(args: tuple[str, int, str]) -> tuple[str, int, dict[str, float]]:
    case, seed, name = args
    scenario = load_scenario(resolve_scenario(name))
    model = SovereignModel(scenario, rng=seed)
    script = script_from_dict({"seats": {"IND": {"ai": "off"}}, "commands": CASES[case]}, scenario)
    play_scripted(model, script)
    rows = [r for r in model.metrics.nations if r["region"] == "IND" and r["quarter"] == "2030Q4"]
    return case, seed, {k: float(rows[0][k]) for k in ["sovereignty_index", *PILLARS]}


def _baseline(args: tuple[int, str]) -> dict[str, Any]:
    seed, name = args
    model = SovereignModel(load_scenario(resolve_scenario(name)), rng=seed)
    model.run()
    by = {(r["region"], r["quarter"]): r for r in model.metrics.nations}
    regions = sorted({r for r, _ in by})
    rises = []
    for r in regions:
        a, b = by[(r, "2026Q1")], by[(r, "2035Q4")]
        own = {p: b[p] - a[p] for p in ("compute_self_reliance", "power_adequacy", "chip_security")}
        rises.append((b["sovereignty_index"] - a["sovereignty_index"], r, own))
    end = {r: by[(r, "2035Q4")]["sovereignty_index"] for r in regions}
    return {"seed": seed, "rises": sorted(rises, reverse=True)[:3], "end": end}


def main() -> None:
    """Print the lever table and the baseline facts for the seeds given (default 1-5)."""
    args = sys.argv[1:]
    name = SCENARIO
    if args and not args[0].isdigit():
        name, args = args[0], args[1:]
    seeds = [int(s) for s in args] or [1, 2, 3, 4, 5]
    jobs = [(case, seed, name) for case in CASES for seed in seeds]
    with ProcessPoolExecutor(2) as pool:
        results = list(pool.map(_play, jobs))
        base = list(pool.map(_baseline, [(seed, name) for seed in seeds]))
    table: dict[str, dict[int, dict[str, float]]] = {}
    for case, seed, row in results:
        table.setdefault(case, {})[seed] = row
    print(f"India, 2030Q4, mean over seeds {seeds} (India played by script alone in every case)")
    print(f"{'case':24s} {'index':>7s} {'d index':>8s} " + " ".join(f"{p[:10]:>10s}" for p in PILLARS))
    for case, rows in table.items():
        mean = {k: float(np.mean([rows[s][k] for s in seeds])) for k in rows[seeds[0]]}
        delta = mean["sovereignty_index"] - float(np.mean([table["control"][s]["sovereignty_index"] for s in seeds]))
        deltas = [float(np.mean([rows[s][p] - table["control"][s][p] for s in seeds])) for p in PILLARS]
        print(f"{case:24s} {mean['sovereignty_index']:7.3f} {delta:+8.3f} " + " ".join(f"{d:+10.3f}" for d in deltas))
    print("\nBaseline (AI in every seat): largest index rises 2026Q1 -> 2035Q4 and own pillars' rises")
    for b in base:
        for rise, r, own in b["rises"]:
            print(f"  seed {b['seed']} {r:8s} {rise:+.3f}  " + " ".join(f"{k[:7]} {v:+.3f}" for k, v in own.items()))
    europe_over = []
    for b in base:
        eu = min(b["end"][r] for r in EUROPE if r in b["end"])
        europe_over.append(eu - b["end"]["RUS"])
        print(f"  seed {b['seed']}: lowest European state 2035Q4 {eu:.3f}, Russia {b['end']['RUS']:.3f}")
    print(f"median seed: lowest European minus Russia {float(np.median(europe_over)):+.3f}")


if __name__ == "__main__":
    main()
