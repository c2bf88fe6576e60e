"""`sovereign validate` and `sovereign run`: check scenario files and play headless games."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from sovereign.cli.errors import UsageError
from sovereign.cli.saves import SaveSession, add_save_options


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register this package's subcommands."""
    p = sub.add_parser("validate", help="check scenario files and report every problem with file:line")
    p.add_argument("files", nargs="+", metavar="SCENARIO", help="scenario files or names (e.g. baseline)")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("run", help="play a scenario headless with AI seats and write per-quarter metrics")
    p.add_argument(
        "scenario", metavar="SCENARIO", help="a scenario file or name (e.g. baseline; see `sovereign scenarios`)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--quarters", type=_positive_int, default=None, help="quarters to play (default: all)")
    p.add_argument("--out", type=Path, default=None, help="folder for nations/firms/world tables")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="table format (default parquet)")
    p.add_argument("--difficulty", choices=("easy", "normal", "hard"), default=None, help="AI difficulty")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_save_options(p)  # --save PATH, --autosave, --saves-dir DIR, --keep N
    p.set_defaults(handler=cmd_run)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, found {value}")
    return value


def scenario_file(ref: str | Path) -> Path:
    """The file a scenario argument names (a path, or a user or bundled scenario's name), or UsageError."""
    from sovereign.scenario.catalog import ScenarioNotFoundError, resolve_scenario

    try:
        return resolve_scenario(ref)
    except ScenarioNotFoundError as exc:
        raise UsageError(str(exc)) from None


def load_or_fail(ref: str | Path) -> Any:
    """Resolve and load a scenario or raise UsageError carrying every problem found."""
    from sovereign.scenario.loader import ScenarioError, load_scenario

    path = scenario_file(ref)
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        raise UsageError(f"invalid scenario {path}:\n{exc}") from None


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate each file; print OK or every problem; exit 1 if any file is bad."""
    from sovereign.scenario.catalog import ScenarioNotFoundError, resolve_scenario
    from sovereign.scenario.loader import ScenarioError, load_scenario

    bad = 0
    for ref in args.files:
        try:
            path = resolve_scenario(ref)
            sc = load_scenario(path)
        except (ScenarioError, ScenarioNotFoundError) as exc:
            bad += 1
            print(str(exc), file=sys.stderr)
            continue
        print(
            f"{path}: OK ({sc.meta.title}; {len(sc.regions)} regions, {len(sc.actors)} actors, "
            f"{sc.time.start}..{sc.time.end})"
        )
    return 1 if bad else 0


def cmd_run(args: argparse.Namespace) -> int:
    """Play the scenario, show progress, print a summary and write the metrics."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sovereign.sim.model import SovereignModel

    scenario = load_or_fail(args.scenario)
    console = Console(stderr=False)
    saves = SaveSession.from_args(args, console)
    model = SovereignModel(scenario, rng=args.seed, difficulty=args.difficulty)
    from sovereign.markets._warmup import prepare_kernels

    prepare_kernels(None if args.quiet else console.print)
    n = (
        model.end_q - model.quarter + 1
        if args.quarters is None
        else min(args.quarters, model.end_q - model.quarter + 1)
    )
    t0 = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=args.quiet,
        transient=True,
    ) as progress:
        task = progress.add_task(f"{scenario.meta.id} seed {args.seed}", total=n)

        def after_quarter(m: SovereignModel) -> None:
            progress.update(task, advance=1, description=f"{m.quarter_label}")
            saves.after_quarter(m)  # state hash for replays, and the autosave if asked

        model.run(n, progress=after_quarter)
    finish_run(console, model, n, time.perf_counter() - t0, args.out, args.format)
    saves.finish(model)
    return 0


def finish_run(console: Any, model: Any, quarters: int, elapsed: float, out: Path | None, fmt: str) -> None:
    """Print the summary tables and write the metrics tables (shared by `run` and `resume`)."""
    from sovereign.sim.runner import write_tables
    from sovereign.sim.summary import summary_tables

    for table in summary_tables(model):
        console.print(table)
    console.print(f"{quarters} quarters in {elapsed:.2f} s")
    if out is not None:
        try:
            paths = write_tables(model, out, fmt)
        except OSError as exc:
            raise UsageError(f"cannot write results to {out}: {exc.strerror or exc}") from None
        console.print("wrote " + ", ".join(str(p) for p in paths))
