"""Validate power and grids: the stylized facts of issue #12.

Usage: ``python tools/validate_power.py [--seeds N] [--response-seeds M] [--other-roots 7,99] [--workers W]
[--write docs/validation.md]``

Plays the baseline with AI in every seat for N seeds (one SeedSequence child per seed, as the
Monte Carlo runner does) and, for the first M of the same seeds, the baseline with US datacenter
load growing faster (`sovereign.ensemble.powerfacts.more_us_load`), and reports, with the
published figure or rule beside each, the facts of `sovereign.ensemble.powerfacts`: AI
electricity growth and the 2030 total against the IEA, wholesale prices that move, US connection
waits against the published range, no solar or wind built for a slice it cannot serve, the 2026
US capacity price against PJM's, the price response to more datacenter load, and curtailment or
refused connections.

The same facts are then counted on the same number of seeds of other root seeds (``--other-roots``,
default 7 and 99; ``--other-roots ""`` for none), so that a fact that holds only on the seeds it was
looked at on shows. With ``--write FILE`` the report replaces the ``power`` section of FILE (see
`sovereign.ensemble.docsection`). Exits 1 if a fact fails.
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
from sovereign.ensemble.powerfacts import (  # noqa: E402
    BASELINE_FACTS,
    ENSEMBLE_FACTS,
    RESPONSE_FACTS,
    ensemble,
    measure_baseline,
    measure_response,
    more_us_load,
)
from sovereign.ensemble.stylized import check, fact_table, other_roots, roots_section  # noqa: E402

SCENARIOS = ROOT / "sovereign" / "scenarios"


def one_seed(job: tuple[np.random.SeedSequence, bool]) -> dict[str, Any]:
    """Play the baseline (and, if asked, the same seed with more US datacenter load); their facts."""
    from sovereign.scenario.loader import load_scenario
    from sovereign.sim.model import SovereignModel

    seed, response = job
    sc = load_scenario(SCENARIOS / "baseline.yaml")
    base = SovereignModel(sc, rng=seed)
    base.run()
    out: dict[str, Any] = {"baseline": measure_baseline(base)}
    if response:
        more = SovereignModel(more_us_load(sc), rng=seed)
        more.run()
        out["response"] = measure_response(more, base)
    return out


def play(pool: ProcessPoolExecutor, root: int, seeds: int, response_seeds: int) -> tuple[list[dict], list[dict]]:
    """The baseline facts of `seeds` children of `root`, and the response facts of the first `response_seeds`."""
    children = np.random.SeedSequence(root).spawn(seeds)
    runs = list(pool.map(one_seed, [(s, i < response_seeds) for i, s in enumerate(children)]))
    return [r["baseline"] for r in runs], [r["response"] for r in runs if "response" in r]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=20, help="baseline games")
    p.add_argument("--response-seeds", type=int, default=10, help="games with more US load (the first of the seeds)")
    p.add_argument("--seed", type=int, default=2026, help="root seed of the SeedSequence")
    p.add_argument("--other-roots", default="7,99", help="comma-separated root seeds to count the facts on too")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--write", type=Path, default=None, help="replace the 'power' section of this markdown file")
    args = p.parse_args()
    if args.seeds < 1 or not 0 <= args.response_seeds <= args.seeds:
        p.error("--seeds must be at least 1 and --response-seeds between 0 and --seeds")
    try:
        others = other_roots(args.other_roots, args.seed)
    except ValueError as e:
        p.error(str(e))
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        played = {root: play(pool, root, args.seeds, args.response_seeds) for root in (args.seed, *others)}
    elapsed = time.perf_counter() - t0
    base, response = played[args.seed]
    shares = ensemble(base)
    problems = check(base, BASELINE_FACTS) + check(response, RESPONSE_FACTS) + check(shares, ENSEMBLE_FACTS)
    cmd = (
        f"python tools/validate_power.py --seeds {args.seeds} --response-seeds {args.response_seeds} --seed {args.seed}"
        f" --other-roots {','.join(map(str, others))}"
    )
    lines = [
        "## Power and grids",
        "",
        f"Produced by `{cmd}` on {time.strftime('%Y-%m-%d')} (Python {platform.python_version()}, "
        f"{args.workers} workers, {elapsed:.0f} s): the baseline played to the end with AI in every seat on "
        f"{args.seeds} seeds, and on the first {args.response_seeds} of the same seeds with US conventional "
        "datacenter load growing 10 points a year faster (common random numbers). Sources: `CALIBRATION.md` "
        "sections 1, 4, 6 and 11. Measured by `sovereign/ensemble/powerfacts.py`; the `slow` test "
        "`tests/ensemble/test_power_facts.py` holds the model to the facts it meets.",
        "",
        "### Load, prices, connections (baseline)",
        "",
        *fact_table(BASELINE_FACTS, base),
    ]
    if response:
        lines += ["", "### More datacenter load, higher prices", "", *fact_table(RESPONSE_FACTS, response)]
    lines += [
        "",
        "### Across the seeds",
        "",
        *fact_table(ENSEMBLE_FACTS, shares),
    ]
    lines += roots_section(
        others,
        f"{args.seeds} and {args.response_seeds} games each",
        [
            (BASELINE_FACTS, {r: p[0] for r, p in played.items()}),
            (RESPONSE_FACTS, {r: p[1] for r, p in played.items()}),
            (ENSEMBLE_FACTS, {r: ensemble(p[0]) for r, p in played.items()}),
        ],
    )
    lines += [
        "",
        f"**Power facts on root {args.seed}: "
        f"{'all hold' if not problems else f'{len(problems)} misses (seed, value)'}.**",
        "",
        "How each is measured: AI electricity is what installed accelerators draw (IT x PUE, idle chips at",
        "`grid.idle_power_share`) and were served; the wholesale price is the merit-order energy price with",
        "scarcity hours plus the capacity price spread over the region's energy; time to power runs from the",
        "request (the order, or for datacenters outside the game the quarter their load was asked for) to",
        "energisation, for US requests made in 2026-28 (on-site builds excluded); a plant is 'for a slice it",
        "cannot serve' when its technology's availability in the slice that bound when it was ordered is",
        "under 20% (`plant_orders` table); curtailment is any quarter a region's datacenters lost 0.1% of",
        "their energy, refusals are build orders refused by a moratorium or an on-site rule.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if problems:
        print("\n".join(problems[:40]), file=sys.stderr)
    if args.write:
        write_section(args.write, "power", text)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
