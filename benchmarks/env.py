"""Environment steps per second: the RL environments against the bare model they wrap.

Usage: ``python benchmarks/env.py [SCENARIO] [--episodes N] [--seed S]``

One env step is one quarter. Each case plays `--episodes` whole episodes (40 quarters for the
baseline) after one warm-up episode (which loads the compiled market kernels), with uniformly
random actions among the kinds the action mask allows, and reports steps per CPU second of this
process (`time.process_time`, so other jobs on a shared machine disturb it less) and per wall
second:

- *model*: `SovereignModel.step()` with the AI in every seat, the floor any environment pays;
- *Gymnasium, 1 seat*: `SovereignSeatEnv` playing India, the AI in every other seat;
- *PettingZoo, 4 seats*: India, the USA, AWS and TSMC as agents;
- *PettingZoo, every nation*: all regions as agents (agent-steps per second = steps x agents).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gymnasium  # noqa: E402
import pettingzoo  # noqa: E402

from sovereign.env import SovereignParallelEnv, SovereignSeatEnv  # noqa: E402
from sovereign.scenario import load_scenario  # noqa: E402
from sovereign.scenario.catalog import resolve_scenario  # noqa: E402
from sovereign.sim import SovereignModel  # noqa: E402


def play_model(scenario, seed: int) -> int:
    """One full game with the AI in every seat; the number of quarters."""
    model = SovereignModel(scenario, rng=seed)
    n = 0
    while not model.done:
        model.step()
        n += 1
    return n


def play_parallel(env: SovereignParallelEnv, seed: int) -> int:
    """One episode with random masked actions for every agent; the number of steps."""
    _, infos = env.reset(seed=seed)
    for agent in env.possible_agents:
        env.action_space(agent).seed(seed)
    n = 0
    while env.agents:
        actions = {a: env.action_space(a).sample(mask=infos[a]["action_mask"]) for a in env.agents}
        _, _, _, _, infos = env.step(actions)
        n += 1
    return n


def play_single(env: SovereignSeatEnv, seed: int) -> int:
    """One episode of the single-seat env with random masked actions; the number of steps."""
    _, info = env.reset(seed=seed)
    env.action_space.seed(seed)
    n, done = 0, False
    while not done:
        action = env.action_space.sample(mask=info["action_mask"])
        _, _, terminated, truncated, info = env.step(action)
        done = terminated or truncated
        n += 1
    return n


def measure(play: Callable[[int], int], episodes: int, seed: int) -> tuple[float, float, float]:
    """Steps per CPU second and per wall second, and the median CPU ms per step, over `episodes`."""
    play(seed - 1)  # warm-up
    steps, cpu, wall, per_step = 0, 0.0, 0.0, []
    for i in range(episodes):
        c0, w0 = time.process_time(), time.perf_counter()
        n = play(seed + i)
        dc, dw = time.process_time() - c0, time.perf_counter() - w0
        steps, cpu, wall = steps + n, cpu + dc, wall + dw
        per_step.append(1000 * dc / n)
    return steps / cpu, steps / wall, statistics.median(per_step)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", nargs="?", default="baseline", help="scenario file or name")
    p.add_argument("--episodes", type=int, default=3, help="episodes (seeds) per case")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    sc = load_scenario(resolve_scenario(args.scenario))
    nations = [r.id for r in sc.regions]
    four = [s for s in ("IND", "USA", "aws", "tsmc") if s in nations or s in {a.id for a in sc.actors}]
    cases: list[tuple[str, int, Callable[[int], int]]] = [
        ("model.step(), AI in every seat", 1, lambda s: play_model(sc, s)),
        ("SovereignSeatEnv, 1 seat (IND)", 1, lambda s: play_single(single, s)),
        (f"SovereignParallelEnv, {len(four)} seats ({', '.join(four)})", len(four), lambda s: play_parallel(par4, s)),
        (f"SovereignParallelEnv, every nation ({len(nations)})", len(nations), lambda s: play_parallel(par_all, s)),
    ]
    single = SovereignSeatEnv(sc, "IND" if "IND" in nations else nations[0])
    par4 = SovereignParallelEnv(sc, four or nations[:1])
    par_all = SovereignParallelEnv(sc, nations)
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    print(
        f"date {time.strftime('%Y-%m-%d')}; {cpu}; {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"gymnasium {gymnasium.__version__}; pettingzoo {pettingzoo.__version__}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"scenario {Path(args.scenario).name}: {len(sc.regions)} regions, {len(sc.actors)} named firms, "
        f"{sc.time.start}..{sc.time.end}; {args.episodes} episodes per case after a warm-up; random masked actions"
    )
    print()
    print("| case | steps/s (CPU) | steps/s (wall) | agent-steps/s (CPU) | median CPU ms/step |")
    print("|---|---:|---:|---:|---:|")
    for name, agents, play in cases:
        per_cpu, per_wall, ms = measure(play, args.episodes, args.seed)
        print(f"| {name} | {per_cpu:.1f} | {per_wall:.1f} | {per_cpu * agents:.1f} | {ms:.1f} |")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
