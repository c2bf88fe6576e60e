"""`sovereign validate` and `sovereign run`: check scenario files and play headless games."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from sovereign.cli.args import check_output_file, check_output_folder, positive_int, seed
from sovereign.cli.errors import UsageError
from sovereign.cli.saves import SaveSession, add_save_options


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register this package's subcommands."""
    p = sub.add_parser("validate", help="check scenario files and report every problem with file:line")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("run", help="play a scenario headless with AI seats and write per-quarter metrics")
    p.add_argument("scenario", type=Path, metavar="SCENARIO")
    p.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2**63-1 (default 0)")
    p.add_argument("--quarters", type=positive_int, default=None, help="quarters to play (default: all)")
    p.add_argument("--out", type=Path, default=None, help="folder for nations/firms/world tables")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="table format (default parquet)")
    p.add_argument("--difficulty", choices=("easy", "normal", "hard"), default=None, help="AI difficulty")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_save_options(p)  # --save PATH, --autosave, --saves-dir DIR, --keep N
    p.set_defaults(handler=cmd_run)


def load_or_fail(path: Path):
    """Load a scenario or raise UsageError carrying every problem found."""
    from sovereign.scenario.loader import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        raise UsageError(f"invalid scenario {path}:\n{exc}") from None


def fit_table(table: Any) -> Any:
    """Make a summary table fit an 80-column terminal without truncating a number ("0.6…").

    Why: rich shrinks every column to fit and cuts the numbers with an ellipsis. Here borders
    between columns are dropped (a light rule under the header stays), each column is at least
    as wide as its widest value, so only the headers wrap, and the title is plain text (a
    scenario's title is not markup).
    """
    from rich import box
    from rich.text import Text

    table.box = box.SIMPLE_HEAD
    table.show_edge = False
    table.pad_edge = False
    table.padding = (0, 0)  # the box puts one space between columns
    if isinstance(table.title, str):
        table.title = Text(table.title)
    for column in table.columns:
        header = str(column.header)
        widest = max((Text.from_markup(c).cell_len for c in column.cells if isinstance(c, str)), default=0)
        longest_word = max((len(w) for w in header.split()), default=0)
        column.width = max(widest, longest_word)  # headers wrap between words; values never shrink
        column.overflow = "fold"
    return table


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse unwritable ``--out``, ``--save`` and ``--saves-dir`` (with ``--autosave``) before playing."""
    if args.out is not None:
        check_output_folder(args.out, "--out")
    if args.save is not None:
        check_output_file(args.save, "--save")
    if args.autosave:
        check_output_folder(args.saves_dir, "--saves-dir")


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate each file; print OK or every problem; exit 1 if any file is bad."""
    from sovereign.cli.text import inert
    from sovereign.scenario.loader import ScenarioError, load_scenario

    bad = 0
    for path in args.files:
        try:
            sc = load_scenario(path)
        except ScenarioError as exc:
            bad += 1
            print(inert(exc), file=sys.stderr)  # the problems quote the file: shown inert
            continue
        print(
            f"{inert(path)}: OK ({inert(sc.meta.title)}; {len(sc.regions)} regions, {len(sc.actors)} actors, "
            f"{sc.time.start}..{sc.time.end})"
        )
    return 1 if bad else 0


def cmd_run(args: argparse.Namespace) -> int:
    """Play the scenario, show progress, print a summary and write the metrics."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sovereign.sim.model import SovereignModel

    scenario = load_or_fail(args.scenario)
    check_outputs(args)  # before playing: a run must not end by finding it cannot write
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
        console.print(fit_table(table))
    console.print(f"{quarters} quarters in {elapsed:.2f} s")
    if out is not None:
        try:
            paths = write_tables(model, out, fmt)
        except OSError as exc:
            raise UsageError(f"cannot write results to {out}: {exc.strerror or exc}") from None
        console.print("wrote " + ", ".join(str(p) for p in paths))
