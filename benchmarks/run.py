"""Time a full headless baseline run, show where the time goes, and compare with an older commit.

Usage::

    python benchmarks/run.py                         # this tree against commit 514f8bd, 5 rounds
    python benchmarks/run.py --against HEAD~3 --repeat 7 --runs 5
    python benchmarks/run.py --no-against            # this tree only
    python benchmarks/run.py --no-against --lp       # ... and the LP-baseline compute market

Why it is built this way (issue #10: "a 40-quarter baseline run costs at most 1.5x the CPU time
of today's model, measured side by side in one run against a checkout of commit 514f8bd, and
stays under 0.5 s median on one core"):

* The older commit is checked out with ``git worktree`` in a temporary folder (removed
  afterwards), so its code is exactly that commit's, and each tree plays its own baseline
  (``sovereign/scenarios/baseline.yaml``, or ``scenarios/baseline.yaml`` in trees from before the
  scenarios moved into the package).
* Every measurement runs in a fresh subprocess of this script (``--worker``) started from inside
  the tree being measured with ``PYTHONPATH`` set to it, and the worker checks that
  ``sovereign`` was imported from that tree. The two trees run *alternately*, round after round,
  with the order swapped every round, because this shared machine's speed drifts within minutes:
  a ratio computed within a round compares like with like, and the spread of the per-round ratios
  shows how much to trust it.
* CPU time (``time.process_time``) of one process, with numpy/numba thread pools held to one
  thread, so it is the cost on one core and other jobs on the machine disturb it less than wall
  time. The compiled kernels are loaded (or compiled, on a tree's first run) by
  ``sovereign.sim.warmup.warm_up()`` (``sovereign.markets.warm_up()`` in trees before it) before
  anything is timed, then one untimed run loads the lazy imports and caches, and a full garbage
  collection precedes each timed run, so that neither tree pays for the previous run's garbage.
* The per-phase breakdown wraps the phase functions where the model looks them up (the names in
  ``sovereign.sim.model`` for the phase-module model; the ``_phase`` methods for the older
  single-module model) with an exclusive clock: a phase called inside another is charged to
  itself only, so the phases add up to the run. Wrapping costs a little (a clock read per call),
  so the totals compared are those of separate unwrapped runs of the same seeds; the phases come
  from wrapped runs and the difference is printed as the instrumentation overhead.

``--lp`` adds the old side-by-side of the same game with the compute market solved exactly as an
LP (``temperature=0``: the kernel's exact mode, a network simplex since 2026-12-04, HiGHS before), the
way a straightforward implementation would clear it: the
game's compute market is a logit equilibrium at the scenario's temperature, so this run plays a
slightly different game and is a reference for speed only.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_AGAINST = "514f8bd"
DEFAULT_SCENARIO = "sovereign/scenarios/baseline.yaml"
#: Where a scenario lived before the bundled scenarios moved into the package (older trees).
OLD_SCENARIO_HOME = {"sovereign/scenarios/": "scenarios/"}


def scenario_in(tree: Path, scenario_path: str) -> Path | None:
    """The file `scenario_path` names in `tree`, looking in its pre-package home too; None if absent."""
    candidates = [scenario_path]
    for new, old in OLD_SCENARIO_HOME.items():
        if scenario_path.startswith(new):
            candidates.append(old + scenario_path[len(new) :])
    return next((tree / c for c in candidates if (tree / c).is_file()), None)


OTHER = "other (Mesa step, glue)"

#: Phase functions of the phase-module model, as `sovereign.sim.model` imports them, and labels.
PHASE_FUNCTIONS = {
    "validate_command": "command checks",
    "apply_orders": "orders",
    "apply_events": "events",
    "complete_projects": "construction",
    "clear_chips": "chips market",
    "clear_power_markets": "power market",
    "clear_compute_market": "compute market",
    "settle_finance": "finance",
    "sovereignty_pillars": "recording",
    "plan_grid": "grid planning",
    "advance": "advance (growth, ageing)",
}
#: Phases that later trees added (an older phase-module tree simply has none to time).
LATER_PHASES = frozenset({"plan_grid"})
#: The same phases as methods of the single-module model (commit 514f8bd and before).
PHASE_METHODS = {
    "_apply_commands": "orders",
    "_construction": "construction",
    "_chips": "chips market",
    "_power": "power market",
    "_compute": "compute market",
    "_finance": "finance",
    "_metrics": "recording",
    "_advance": "advance (growth, ageing)",
}
#: Threads pools held to one thread: the target is the cost on one core.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")}


class BenchError(Exception):
    """A problem to report in one line (bad arguments, git or a worker failing), not a traceback."""


# ------------------------------------------------------------------------------------------------
# the worker: runs inside the tree being measured
class PhaseClock:
    """Exclusive CPU time per label: time inside a nested wrapped call counts for the inner label only.

    Exclusive, so that the labels add up to the run whatever calls what (the validator runs
    inside the orders phase, the metrics recorder may call the pillars).

    Args:
        clock: the clock to read (``time.process_time``; tests pass a fake one).
    """

    def __init__(self, clock: Callable[[], float] = time.process_time) -> None:
        self.clock = clock
        self.spent: dict[str, float] = defaultdict(float)
        self._stack: list[str] = []
        self._mark = 0.0

    def wrap(self, fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        """`fn` with its exclusive time charged to `label`."""

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            now = self.clock()
            if self._stack:
                self.spent[self._stack[-1]] += now - self._mark
            self._stack.append(label)
            self._mark = now
            try:
                return fn(*args, **kwargs)
            finally:
                now = self.clock()
                self.spent[self._stack.pop()] += now - self._mark
                self._mark = now

        return timed


@contextmanager
def patched(target: Any, name: str, value: Any) -> Iterator[None]:
    """Set ``target.name`` to `value` for the duration, then put the original back."""
    original = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, original)


def phase_owner(name: str) -> Any:
    """The module whose global `name` the phase-module model calls (the model, or its command desk)."""
    import importlib

    for module in ("sovereign.sim.model", "sovereign.sim.desk"):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        if hasattr(mod, name):
            return mod
    raise BenchError(f"no phase function {name} in this tree")


def phase_patches(clock: PhaseClock) -> list[tuple[Any, str, Any]]:
    """(target, name, wrapped) for every phase of the model imported in this process.

    Recognises the phase-module model (``step`` calls functions imported into
    ``sovereign.sim.model``) and the older single-module one (``step`` calls ``_phase`` methods),
    so both trees report the same phase labels.
    """
    import sovereign.sim.model as model_mod
    from sovereign.sim.agents import SeatAgent

    out: list[tuple[Any, str, Any]] = []
    if hasattr(model_mod, "apply_orders"):
        for name, label in PHASE_FUNCTIONS.items():
            if name in LATER_PHASES and not hasattr(model_mod, name):
                continue
            owner = phase_owner(name)
            out.append((owner, name, clock.wrap(getattr(owner, name), label)))
        from sovereign.sim.phases.metrics import MetricsRecorder as recorder

        out.append((recorder, "record", clock.wrap(recorder.record, "recording")))
    else:
        import sovereign.sim.events as events_mod

        cls = model_mod.SovereignModel
        for name, label in PHASE_METHODS.items():
            out.append((cls, name, clock.wrap(cls.__dict__[name], label)))
        out.append((events_mod, "apply_events", clock.wrap(events_mod.apply_events, "events")))
        if hasattr(model_mod, "validate_command"):
            out.append((model_mod, "validate_command", clock.wrap(model_mod.validate_command, "command checks")))
    seen: list[type] = [SeatAgent]
    for agent_cls in seen:
        seen.extend(sub for sub in agent_cls.__subclasses__() if sub not in seen)
        if "decide" in agent_cls.__dict__:
            out.append((agent_cls, "decide", clock.wrap(agent_cls.__dict__["decide"], "AI decisions")))
    return out


def time_run(scenario: Any, seed: int, phases: bool) -> dict[str, Any]:
    """Play one full run with AI in every seat; its CPU seconds (and per phase if `phases`)."""
    from sovereign.sim.model import SovereignModel

    clock = PhaseClock()
    patches = phase_patches(clock) if phases else []
    gc.collect()
    model = SovereignModel(scenario, rng=seed)
    originals = [(t, n, getattr(t, n)) for t, n, _ in patches]
    try:
        for target, name, value in patches:
            setattr(target, name, value)
        t0 = time.process_time()
        model.run()
        total = time.process_time() - t0
    finally:
        for target, name, value in reversed(originals):
            setattr(target, name, value)
    out: dict[str, Any] = {"seed": seed, "cpu_s": total, "quarters": len(model.metrics.world)}
    if phases:
        spent = dict(clock.spent)
        spent[OTHER] = max(total - sum(spent.values()), 0.0)
        out["phases"] = spent
    return out


def lp_compute_patch() -> tuple[Any, str, Any]:
    """(target, name, value) that makes the model clear compute exactly (temperature 0, the exact mode)."""
    import sovereign.sim.model as model_mod
    from sovereign.markets import clear_compute

    def exact(*args: Any, **kwargs: Any) -> Any:
        return clear_compute(*args, **{**kwargs, "temperature": 0.0})

    if hasattr(model_mod, "apply_orders"):
        import sovereign.sim.phases.compute as target
    else:
        target = model_mod
    return target, "clear_compute", exact


def worker(tree: Path, scenario_path: str, seeds: Sequence[int], phases: bool, lp: bool) -> dict[str, Any]:
    """Measure the tree this process imported `sovereign` from: warm up, then time each seed.

    Raises:
        BenchError: `sovereign` came from somewhere else than `tree` (the comparison would be void).
    """
    import sovereign

    imported = Path(sovereign.__file__).resolve().parents[1]
    if imported != tree.resolve():
        raise BenchError(f"the worker imported sovereign from {imported}, not from {tree}")
    from sovereign.scenario import load_scenario

    try:  # every compiled kernel a game uses (the simulation's since 2026-12-06, the markets' before)
        from sovereign.sim.warmup import warm_up
    except ImportError:
        from sovereign.markets import warm_up
    warm_s = warm_up()
    found = scenario_in(tree, scenario_path)
    if found is None:
        raise BenchError(f"no scenario {scenario_path} in {tree}")
    scenario = load_scenario(found)
    with patched(*lp_compute_patch()) if lp else nullcontext():
        time_run(scenario, seeds[0], phases=False)  # untimed: lazy imports and caches
        plain = [time_run(scenario, s, phases=False) for s in seeds]
        wrapped = [time_run(scenario, s, phases=True) for s in seeds] if phases else []
    return {
        "tree": str(tree),
        "warm_up_s": warm_s,
        "regions": len(scenario.regions),
        "firms": len(scenario.actors),
        "period": f"{scenario.time.start}..{scenario.time.end}",
        "plain": plain,
        "phased": wrapped,
    }


# ------------------------------------------------------------------------------------------------
# the parent: checkouts, alternation, summary
def git(*args: str) -> str:
    """Run git in this repository; its stdout, or a BenchError with git's own message."""
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"git {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


@contextmanager
def checkout(commit: str) -> Iterator[tuple[Path, str]]:
    """A temporary `git worktree` of `commit` (its folder and full hash), removed afterwards."""
    try:
        full = git("rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
    except BenchError:
        raise BenchError(f"no commit {commit!r} in {ROOT}") from None
    folder = Path(tempfile.mkdtemp(prefix="sovereign-bench-"))
    tree = folder / "tree"
    git("worktree", "add", "--detach", str(tree), full)
    try:
        yield tree, full
    finally:
        try:
            git("worktree", "remove", "--force", str(tree))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            git("worktree", "prune")


def run_worker(tree: Path, args: argparse.Namespace, lp: bool = False) -> dict[str, Any]:
    """One measurement in a fresh process started inside `tree` with only `tree` on PYTHONPATH."""
    env = {**os.environ, **ONE_THREAD, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    seeds = [str(args.seed + i) for i in range(args.runs if not lp else min(args.runs, 2))]
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(tree), "--scenario", args.scenario]
    cmd += ["--seeds", ",".join(seeds)] + (["--lp"] if lp else []) + ([] if args.no_phases or lp else ["--phases"])
    done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()
        raise BenchError(f"the run in {tree} failed (exit {done.returncode}): {lines[-1]}")
    try:
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise BenchError(f"the run in {tree} printed no measurements: {done.stdout[-200:]!r}") from None
    return result


@dataclass
class Side:
    """The measurements of one tree over the rounds."""

    name: str
    tree: Path
    rounds: list[dict[str, Any]] = field(default_factory=list)

    def medians(self) -> list[float]:
        """Median CPU seconds of each round's plain runs."""
        return [statistics.median(r["cpu_s"] for r in rnd["plain"]) for rnd in self.rounds]

    def totals(self) -> list[float]:
        """CPU seconds of every plain run of every round."""
        return [r["cpu_s"] for rnd in self.rounds for r in rnd["plain"]]

    def phases(self) -> dict[str, float]:
        """Median CPU seconds per phase over every wrapped run."""
        spent: dict[str, list[float]] = defaultdict(list)
        for rnd in self.rounds:
            for run in rnd["phased"]:
                for label, sec in run["phases"].items():
                    spent[label].append(sec)
        return {label: statistics.median(v) for label, v in spent.items()}

    def overhead(self) -> float | None:
        """Median wrapped run minus median plain run: what the phase clock costs."""
        wrapped = [r["cpu_s"] for rnd in self.rounds for r in rnd["phased"]]
        return statistics.median(wrapped) - statistics.median(self.totals()) if wrapped else None


def ratios(new: Side, old: Side) -> list[float]:
    """new/old of the round medians, round by round (same machine conditions in each)."""
    return [n / o for n, o in zip(new.medians(), old.medians(), strict=True)]


def machine(started: float | None = None) -> str:
    """One line on where and when this ran (from `started`, a `time.time()`, to now)."""
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    except OSError:
        pass
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(started if started is not None else time.time()))
    if started is not None:
        when += time.strftime("-%H:%M", time.gmtime())
    return (
        f"{when} UTC; {platform.platform()}; {cpu}; "
        f"{os.cpu_count()} cores; Python {platform.python_version()}; load average "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
    )


def report(sides: list[Side], args: argparse.Namespace, lp: dict[str, Any] | None, started: float) -> None:
    """Print the figures with rich: totals, the ratio and its spread, phases side by side."""
    from rich.console import Console
    from rich.table import Table

    con = Console(width=120)
    first = sides[0].rounds[0]
    con.print(f"machine: {machine(started)}")
    con.print(f"command: python benchmarks/run.py {' '.join(sys.argv[1:])}".rstrip())
    con.print(
        f"scenario {args.scenario} of each tree ({first['regions']} regions, {first['firms']} firms, "
        f"{first['period']}); {args.repeat} rounds x {args.runs} runs (seeds {args.seed}.."
        f"{args.seed + args.runs - 1}), trees alternating; CPU time of one process"
    )
    totals = Table(title="Full run, CPU seconds (plain runs)")
    for col in ("tree", "median", "min", "max", "round medians", "warm-up s"):
        totals.add_column(col, justify="left" if col == "tree" else "right")
    for side in sides:
        t = side.totals()
        totals.add_row(
            side.name,
            f"{statistics.median(t):.3f}",
            f"{min(t):.3f}",
            f"{max(t):.3f}",
            " ".join(f"{m:.3f}" for m in side.medians()),
            f"{statistics.median(r['warm_up_s'] for r in side.rounds):.2f}",
        )
    con.print(totals)
    targets = args.scenario == DEFAULT_SCENARIO  # issue #10's targets are for the baseline
    new = sides[0]
    new_med = statistics.median(new.totals())
    if len(sides) == 2:
        old = sides[1]
        rs = ratios(new, old)
        r_med = statistics.median(rs)
        con.print(
            f"ratio new/old: median of the rounds {r_med:.2f} (rounds: {', '.join(f'{r:.2f}' for r in rs)}; "
            f"range {min(rs):.2f}-{max(rs):.2f}); ratio of the overall medians "
            f"{new_med / statistics.median(old.totals()):.2f}"
        )
        if targets:
            con.print(f"at most 1.5x the old model: {'met' if r_med <= 1.5 else 'NOT met'} ({r_med:.2f}x)")
    if targets:
        con.print(f"under 0.5 s median on one core: {'met' if new_med < 0.5 else 'NOT met'} ({new_med:.3f} s)")
    if not args.no_phases:
        per = [side.phases() for side in sides]
        labels = sorted({k for p in per for k in p}, key=lambda k: -per[0].get(k, 0.0))
        table = Table(title="Per phase, median CPU seconds (wrapped runs)")
        table.add_column("phase")
        for side in sides:
            table.add_column(side.name, justify="right")
            table.add_column("share", justify="right")
        if len(sides) == 2:
            table.add_column("new/old", justify="right")
        for label in labels:
            row = [label]
            for p, side in zip(per, sides, strict=True):
                sec = p.get(label)
                total = statistics.median(side.totals())
                row += ["-", "-"] if sec is None else [f"{sec:.3f}", f"{100 * sec / total:.0f}%"]
            if len(sides) == 2:
                a, b = per[0].get(label), per[1].get(label)
                row.append(f"{a / b:.2f}" if a is not None and b else "-")
            table.add_row(*row)
        con.print(table)
        con.print(
            "instrumentation overhead (wrapped minus plain median): "
            + ", ".join(f"{s.name} {s.overhead():+.3f} s" for s in sides if s.overhead() is not None)
        )
    if lp is not None:
        lp_med = statistics.median(r["cpu_s"] for r in lp["plain"])
        con.print(
            f"LP baseline (this tree, compute market solved exactly, temperature 0): median {lp_med:.3f} s over "
            f"{len(lp['plain'])} runs; the game as played is {lp_med / new_med:.1f}x faster"
        )


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments, checked."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--against", default=DEFAULT_AGAINST, metavar="COMMIT", help="commit to compare with (514f8bd)")
    p.add_argument("--no-against", action="store_true", help="measure this tree only")
    p.add_argument("--repeat", type=int, default=5, help="rounds, each tree once per round (5)")
    p.add_argument("--runs", type=int, default=5, help="timed runs (seeds) per tree per round (5)")
    p.add_argument("--seed", type=int, default=1, help="first seed (1)")
    p.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario path inside each tree")
    p.add_argument("--no-phases", action="store_true", help="skip the per-phase (wrapped) runs")
    p.add_argument("--lp", action="store_true", help="also time this tree with the compute market as an exact LP")
    p.add_argument("--json", type=Path, metavar="PATH", help="write every measurement to PATH as JSON")
    p.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--seeds", help=argparse.SUPPRESS)
    p.add_argument("--phases", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeat < 1 or args.runs < 1:
        p.error("--repeat and --runs must be at least 1")
    if Path(args.scenario).is_absolute():
        p.error("--scenario is a path inside each tree (e.g. sovereign/scenarios/baseline.yaml), not an absolute path")
    return args


def compare(args: argparse.Namespace) -> tuple[list[Side], dict[str, Any] | None]:
    """Measure this tree (and the old commit's) alternately, round after round."""
    if scenario_in(ROOT, args.scenario) is None:
        raise BenchError(f"no scenario {args.scenario} in {ROOT}")
    with old_checkout(args) as (old_tree, full):
        sides = [Side("this tree", ROOT)]
        if old_tree is not None:
            if scenario_in(old_tree, args.scenario) is None:
                raise BenchError(f"commit {args.against} has no {args.scenario}")
            sides.append(Side(f"commit {full[:7]}", old_tree))
        for rnd in range(args.repeat):
            order = sides if rnd % 2 == 0 else sides[::-1]
            for side in order:
                print(f"round {rnd + 1}/{args.repeat}: {side.name} ...", file=sys.stderr, flush=True)
                side.rounds.append(run_worker(side.tree, args))
        lp = run_worker(ROOT, args, lp=True) if args.lp else None
    return sides, lp


@contextmanager
def old_checkout(args: argparse.Namespace) -> Iterator[tuple[Path | None, str]]:
    """The older commit's temporary tree and full hash, or (None, "") with ``--no-against``."""
    if args.no_against:
        yield None, ""
        return
    with checkout(args.against) as pair:
        yield pair


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; 0 on success, 2 with a one-line message on bad input or a failed step."""
    args = parse(argv)
    try:
        if args.worker is not None:
            seeds = [int(s) for s in (args.seeds or str(args.seed)).split(",")]
            out = worker(args.worker, args.scenario, seeds, args.phases, args.lp)
            print(json.dumps(out))
            return 0
        started = time.time()
        sides, lp = compare(args)
        report(sides, args, lp, started)
        if args.json is not None:
            data = {"machine": machine(started), "argv": sys.argv[1:], "sides": [vars(s) for s in sides], "lp": lp}
            try:
                args.json.write_text(json.dumps(data, default=str, indent=1))
            except OSError as e:
                raise BenchError(f"cannot write {args.json}: {e.strerror}") from None
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
