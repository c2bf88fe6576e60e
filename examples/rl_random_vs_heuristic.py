"""Evaluate two simple policies for one seat with the Gymnasium environment: random vs a heuristic.

Usage: ``python examples/rl_random_vs_heuristic.py [--scenario FILE] [--seat IND] [--seeds 3]
[--quarters Q]`` (needs the ``rl`` extra: ``pip install -e '.[rl]'``).

Both policies play the same seeds, with every other seat played by the model's AI, and the script
prints each policy's mean return: for a nation the sovereignty index in the last quarter played
(see docs/rl.md), for a firm its relative change in valuation.

- *random* samples a command uniformly among the kinds the action mask allows.
- *heuristic* reads the observation by feature name and shores up the seat's weak points: a
  nation joins every bloc it can (allies count for three of the five pillars), then spends on
  security when cyber resilience is low, builds a plant when power adequacy is, subsidises and
  builds datacenters when compute self-reliance is; for a firm, a datacenter at home while it has the
  cash, then accelerators for it. It answers pending decisions with the first option.

This is the loop a learning agent plugs into: replace `policy(obs, info)` with a trained network.
The baseline scenario plays 40 quarters; three seeds of both policies take about 20 s.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

try:
    from sovereign.env import COMMAND_KINDS, SovereignSeatEnv
    from sovereign.scenario import ScenarioError
except ImportError as exc:  # the rl extra is missing
    sys.exit(f"error: {exc}")

Policy = Callable[[np.ndarray, dict], np.ndarray]


def random_policy(env: SovereignSeatEnv, seed: int) -> Policy:
    """Uniform over the action space, kinds restricted by the action mask."""
    space = env.action_space
    space.seed(seed)

    def act(obs: np.ndarray, info: dict) -> np.ndarray:
        return space.sample(mask=info["action_mask"])

    return act


def heuristic_policy(env: SovereignSeatEnv) -> Policy:
    """Shore up the weakest part of the seat's position, one command a quarter."""
    codec = env.parallel.codec
    names = env.parallel.encoder.feature_names
    ix = {n: i for i, n in enumerate(names)}
    seat = env.seat
    technologies = codec.technologies
    solar = technologies.index("solar") if "solar" in technologies else 0

    blocs_to_try = list(range(len(codec.blocs)))

    def nation(obs: np.ndarray, info: dict) -> np.ndarray:
        if obs[ix["own.pending_decisions"]] > 0:
            return codec.encode_kind("decide", option=0)
        if obs[ix["has_metrics"]] == 0:
            return codec.encode_kind("set_security_spending", amount=3)
        if blocs_to_try:  # allied facilities, firms and fabs count for three of the five pillars
            return codec.encode_kind("join_bloc", item=blocs_to_try.pop(0))
        budget_busd = math.expm1(max(float(obs[ix["own.cash_busd"]]), 0.0))
        if obs[ix[f"{seat}.cyber_resilience"]] < 0.7:
            return codec.encode_kind("set_security_spending", amount=4)
        if obs[ix[f"{seat}.power_adequacy"]] < 0.9 and budget_busd > 1.0:
            return codec.encode_kind("build_plant", item=solar, amount=1)
        if obs[ix[f"{seat}.compute_self_reliance"]] < 0.6:
            if obs[ix[f"{seat}.subsidy"]] < 0.2:
                return codec.encode_kind("set_subsidy", amount=2)
            if budget_busd > 2.0:
                return codec.encode_kind("build_datacenter", amount=1)
        return codec.encode_kind("no_op")

    def firm(obs: np.ndarray, info: dict) -> np.ndarray:
        home = next(r for r in codec.regions if obs[ix[f"own.home_{r}"]] == 1.0)
        region = codec.regions.index(home)
        cash_busd = math.expm1(max(float(obs[ix["own.cash_busd"]]), 0.0))
        if obs[ix["own.pending_decisions"]] > 0:
            return codec.encode_kind("decide", option=0)
        may_buy = info["action_mask"][0][COMMAND_KINDS.index("buy_accelerators")]
        if may_buy and cash_busd > 3.0:
            return codec.encode_kind("buy_accelerators", region=region, item=1, amount=2, price=1)
        if cash_busd > 10.0:
            return codec.encode_kind("build_datacenter", region=region, amount=2)
        return codec.encode_kind("no_op")

    return nation if seat in codec.regions else firm  # a nation's seat id is its region id


def evaluate(env: SovereignSeatEnv, make_policy: Callable[[int], Policy], seeds: list[int]) -> list[float]:
    """The return of one episode per seed."""
    returns = []
    for seed in seeds:
        policy = make_policy(seed)
        obs, info = env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, info = env.step(policy(obs, info))
            total += reward
            done = terminated or truncated
        returns.append(total)
    return returns


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, play both policies on every seed, print the mean returns."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline", help="scenario file or name")
    parser.add_argument("--seat", default="IND", help="the seat to play (region id or actor id)")
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (episodes per policy)")
    parser.add_argument("--quarters", type=int, default=None, help="truncate episodes after Q quarters")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    try:
        env = SovereignSeatEnv(args.scenario, args.seat, quarters=args.quarters)
    except (ValueError, ScenarioError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seeds = list(range(1, args.seeds + 1))
    start = time.perf_counter()
    results = {
        "random": evaluate(env, lambda seed: random_policy(env, seed), seeds),
        "heuristic": evaluate(env, lambda seed: heuristic_policy(env), seeds),  # a fresh one per episode
    }
    print(f"{args.seat} in {env.parallel.scenario.meta.title}, seeds {seeds[0]}..{seeds[-1]}:")
    for name, returns in results.items():
        spread = statistics.stdev(returns) if len(returns) > 1 else 0.0
        print(f"  {name:<9} mean return {statistics.fmean(returns):+.4f} (sd {spread:.4f})")
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
