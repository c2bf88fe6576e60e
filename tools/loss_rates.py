"""How often each way to lose would fire for AI seats: a rule the AI itself breaks often is mis-set.

Plays AI-only games of a scenario (every seat AI, seeds 1..N) and judges every nation and every
named firm of the scenario by `sovereign.game.outcome.losses`, the rules a seat played by people
loses by. Prints, per rule, the share of seat-games in which it fired and the seats it fired for.

    .venv/bin/python tools/loss_rates.py baseline --seeds 10 --quarters 40
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict

from sovereign.game.outcome import RULE_NAMES, losses
from sovereign.scenario.catalog import resolve_scenario
from sovereign.scenario.loader import load_scenario
from sovereign.sim.model import SovereignModel


def main() -> None:
    """Play the games and print the rates."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", help="scenario name or file")
    ap.add_argument("--seeds", type=int, default=10, help="games, seeds 1..N (default 10)")
    ap.add_argument("--quarters", type=int, default=None, help="quarters per game (default: the whole game)")
    args = ap.parse_args()
    sc = load_scenario(resolve_scenario(args.scenario))
    nations = [r.id for r in sc.regions]
    firms = [a.id for a in sc.actors]
    fired: Counter[str] = Counter()
    who: dict[str, Counter[str]] = defaultdict(Counter)
    for seed in range(1, args.seeds + 1):
        model = SovereignModel(sc, rng=seed)
        model.run(args.quarters)
        for seat, loss in losses(model, nations + firms).items():
            fired[loss.rule] += 1
            who[loss.rule][seat] += 1
    games = args.seeds
    print(f"{sc.meta.title}: {games} AI-only games, {args.quarters or 'all'} quarters")
    for rule, name in RULE_NAMES.items():
        judged = len(nations) if rule in ("budget_crisis", "index_collapse") else len(firms)
        if rule == "shared_loss":
            judged = len(nations) + len(firms)
        share = fired[rule] / max(judged * games, 1)
        seats = ", ".join(f"{s} x{n}" for s, n in who[rule].most_common(8))
        print(f"  {name:15s} {fired[rule]:4d} of {judged * games:5d} seat-games ({share:6.1%})  {seats}")


if __name__ == "__main__":
    main()
