"""Play a lesson with the AI in every seat and print each objective's AI-only success rate.

Usage: python tools/calibrate_lesson.py [LESSON] [--seeds 20] [--workers 2]

A lesson's objectives should each be met by the AI alone in 20-60% of games (winnable and
losable). The script prints every objective's rate and the spread of the value it is judged on
(to move a threshold), then the `calibration:` block to paste under the lesson's `lesson:` section.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import UTC, datetime

from sovereign.lessons.calibrate import RATE_RANGE, calibrate
from sovereign.scenario.catalog import resolve_scenario
from sovereign.scenario.loader import load_scenario


def main(argv: list[str] | None = None) -> int:
    """Measure and print the rates; exit 1 when one is outside the range."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lesson", nargs="?", default="export_controls", help="lesson name or file")
    parser.add_argument("--seeds", type=int, default=20, help="AI-only games (seeds 0..N-1)")
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument("--values", action="store_true", help="also print every game's value, sorted")
    args = parser.parse_args(argv)
    scenario = load_scenario(resolve_scenario(args.lesson))
    rates, outcomes = calibrate(scenario, args.seeds, args.workers)
    lost = sum(o.ended_by_shared_risk for o in outcomes)
    print(f"{scenario.meta.id}: {args.seeds} AI-only games, {lost} ended by the shared risk")
    for r in rates:
        o = r.objective
        vals = sorted(r.values)
        spread = f"min {vals[0]:.4g} median {statistics.median(vals):.4g} max {vals[-1]:.4g}" if vals else "no values"
        flag = "ok" if r.in_range else "OUT OF RANGE"
        bound = "<=" if o.below else ">="
        print(f"  {o.seat:>8} {o.metric} {bound} {o.threshold}: {r.rate:.0%} [{flag}]  ({spread})")
        if args.values:
            print("           " + " ".join(f"{v:.4g}" for v in vals))
    print("\n  calibration:")
    print(f"    seeds: {args.seeds}")
    print(f"    difficulty: {scenario.seats.difficulty}")
    print(f"    rates: [{', '.join(f'{r.rate:.2f}' for r in rates)}]")
    today = datetime.now(UTC).date().isoformat()
    print(f'    measured: "tools/calibrate_lesson.py, {args.seeds} seeds, every seat AI, {today}"')
    return 0 if all(RATE_RANGE[0] <= r.rate <= RATE_RANGE[1] for r in rates) else 1


if __name__ == "__main__":
    sys.exit(main())
