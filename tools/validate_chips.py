"""Validate the chip market and the export controls: the stylized facts of issue #11.

Usage: ``python tools/validate_chips.py [--seeds N] [--shock-seeds M] [--other-roots 7,99] [--workers W]
[--write docs/validation.md]``

Plays the baseline with AI in every seat for N seeds (one SeedSequence child per seed, as the
Monte Carlo runner does) and the Taiwan Strait lesson for the first M of the same seeds, and
reports, with the published figure or rule beside each, the facts of
`sovereign.ensemble.chipfacts`: every chip class sells, no price sits at its floor, a sold-out
frontier market in 2026, Chinese-class chips only with Chinese buyers, China's compute share
under the controls, smuggling against the CNAS estimate; and for the quarantine, each against
the same lesson and seed without the quarantine: the price spike and how long it lasts, lost deliveries,
the compute price and the quarantined fabs' revenue.

The same facts are then counted on the same number of seeds of other root seeds (``--other-roots``,
default 7 and 99; ``--other-roots ""`` for none), so that a fact that holds only on the seeds it was
looked at on shows. With ``--write FILE`` the report replaces the ``chips`` section of FILE (see
`sovereign.ensemble.docsection`). Exits 1 if a fact fails in any seed.
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

from sovereign.ensemble.chipfacts import (  # noqa: E402
    BASELINE_FACTS,
    SHOCK_FACTS,
    measure_baseline,
    measure_shock,
    without_shock,
)
from sovereign.ensemble.docsection import write_section  # noqa: E402
from sovereign.ensemble.stylized import check, fact_table, other_roots, roots_section  # noqa: E402

SCENARIOS = ROOT / "sovereign" / "scenarios"


def one_seed(job: tuple[np.random.SeedSequence, bool]) -> dict[str, Any]:
    """Play the baseline (and, if asked, the Taiwan Strait lesson) on one seed; their facts."""
    from sovereign.scenario.loader import load_scenario
    from sovereign.sim.model import SovereignModel

    seed, shock = job
    base = SovereignModel(load_scenario(SCENARIOS / "baseline.yaml"), rng=seed)
    base.run()
    out: dict[str, Any] = {"baseline": measure_baseline(base)}
    if shock:
        lesson_sc = load_scenario(SCENARIOS / "lessons" / "taiwan_strait.yaml")
        lesson, calm = SovereignModel(lesson_sc, rng=seed), SovereignModel(without_shock(lesson_sc), rng=seed)
        lesson.run()
        calm.run()
        out["shock"] = measure_shock(lesson, calm)
    return out


def play(pool: ProcessPoolExecutor, root: int, seeds: int, shock_seeds: int) -> tuple[list[dict], list[dict]]:
    """The baseline facts of `seeds` children of `root`, and the shock facts of the first `shock_seeds`."""
    children = np.random.SeedSequence(root).spawn(seeds)
    runs = list(pool.map(one_seed, [(s, i < shock_seeds) for i, s in enumerate(children)]))
    return [r["baseline"] for r in runs], [r["shock"] for r in runs if "shock" in r]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=20, help="baseline games")
    p.add_argument("--shock-seeds", type=int, default=10, help="Taiwan Strait games (the first of the same seeds)")
    p.add_argument("--seed", type=int, default=2026, help="root seed of the SeedSequence")
    p.add_argument("--other-roots", default="7,99", help="comma-separated root seeds to count the facts on too")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--write", type=Path, default=None, help="replace the 'chips' section of this markdown file")
    args = p.parse_args()
    if args.seeds < 1 or not 0 <= args.shock_seeds <= args.seeds:
        p.error("--seeds must be at least 1 and --shock-seeds between 0 and --seeds")
    try:
        others = other_roots(args.other_roots, args.seed)
    except ValueError as e:
        p.error(str(e))
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        played = {root: play(pool, root, args.seeds, args.shock_seeds) for root in (args.seed, *others)}
    elapsed = time.perf_counter() - t0
    base, shock = played[args.seed]
    problems = check(base, BASELINE_FACTS) + (check(shock, SHOCK_FACTS) if shock else [])
    cmd = (
        f"python tools/validate_chips.py --seeds {args.seeds} --shock-seeds {args.shock_seeds} --seed {args.seed}"
        f" --other-roots {','.join(map(str, others))}"
    )
    lines = [
        "## Chips and export controls",
        "",
        f"Produced by `{cmd}` on {time.strftime('%Y-%m-%d')} (Python {platform.python_version()}, "
        f"{args.workers} workers, {elapsed:.0f} s): the baseline played to the end with AI in every seat on "
        f"{args.seeds} seeds, and the Taiwan Strait lesson (quarantine from 2027Q3) on the first "
        f"{args.shock_seeds} of the same seeds, each compared with the same lesson and seed without the "
        "quarantine (no fab disruptions, no export escalation: common random numbers). Sources: "
        "`CALIBRATION.md` sections 3, 5, 8, 9 and 13. Measured by `sovereign/ensemble/chipfacts.py`; the "
        "`slow` test `tests/ensemble/test_chip_facts.py` holds the model to the facts it meets.",
        "",
        "### The market and the controls (baseline)",
        "",
        *fact_table(BASELINE_FACTS, base),
    ]
    if shock:
        lines += [
            "",
            "### A disruption: the Taiwan Strait quarantine against the same lesson without it",
            "",
            *fact_table(SHOCK_FACTS, shock),
        ]
    lines += roots_section(
        others,
        f"{args.seeds} and {args.shock_seeds} games each",
        [(BASELINE_FACTS, {r: p[0] for r, p in played.items()}), (SHOCK_FACTS, {r: p[1] for r, p in played.items()})],
    )
    lines += [
        "",
        f"**Chip facts on root {args.seed}: "
        f"{'all hold in every seed' if not problems else f'{len(problems)} misses (seed, value)'}.**",
        "",
        "How each is measured: sold / supply is what the chip phase sold of what packaging, HBM and wafers",
        "allowed; a price 'at its reserve' is within 0.1% of the class's list price times",
        "`economics.chip_reserve_share`; list prices decline by `list_price_decline_per_year`; holdings are",
        "the `holdings` metrics table (each firm's installed H100e by class and host region; a firm's home is",
        "its headquarters); China's share is its installed AI compute over the world's; smuggled chips are",
        "the chip phase's grey-market deliveries to barred destinations. The quarantine's price ratios are",
        "against the mean of the two quarters before 2027Q3; deliveries and revenue against the same seed's",
        "lesson without the quarantine.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if problems:
        print("\n".join(problems[:40]), file=sys.stderr)
    if args.write:
        write_section(args.write, "chips", text)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
