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
    p.add_argument("files", nargs="+", metavar="SCENARIO", help="scenario files or names (e.g. baseline)")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("run", help="play a scenario headless with AI seats and write per-quarter metrics")
    p.add_argument(
        "scenario", metavar="SCENARIO", help="a scenario file or name (e.g. baseline; see `sovereign scenarios`)"
    )
    p.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2**63-1 (default 0)")
    p.add_argument("--quarters", type=positive_int, default=None, help="quarters to play (default: all)")
    p.add_argument("--out", type=Path, default=None, help="folder for nations/firms/world tables")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="table format (default parquet)")
    p.add_argument("--difficulty", choices=("easy", "normal", "hard"), default=None, help="AI difficulty")
    p.add_argument(
        "--script",
        type=Path,
        default=None,
        metavar="FILE",
        help="policy script: scripted commands per quarter and seat (see docs/scripts.md)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_save_options(p)  # --save PATH, --autosave, --saves-dir DIR, --keep N
    p.set_defaults(handler=cmd_run)


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


def load_script_or_fail(path: Path, scenario: Any) -> Any:
    """Load a policy script checked against the scenario, or raise UsageError with every problem."""
    from sovereign.scenario.script import ScriptError, load_script

    try:
        return load_script(path, scenario)
    except ScriptError as exc:
        raise UsageError(f"invalid script {path}:\n{exc}") from None


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
        from sovereign.cli.saves import default_saves_dir

        check_output_folder(args.saves_dir if args.saves_dir is not None else default_saves_dir(), "--saves-dir")


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate each file; print OK or every problem; exit 1 if any file is bad."""
    from sovereign.cli.text import inert
    from sovereign.scenario.catalog import ScenarioNotFoundError, resolve_scenario
    from sovereign.scenario.loader import ScenarioError, load_scenario

    bad = 0
    for ref in args.files:
        try:
            path = resolve_scenario(ref)
            sc = load_scenario(path)
        except (ScenarioError, ScenarioNotFoundError) as exc:
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

    from sovereign.cli.progress import count_bar
    from sovereign.sim.model import SovereignModel

    scenario = load_or_fail(args.scenario)
    script = load_script_or_fail(args.script, scenario) if args.script is not None else None
    if script is not None and script.turns_ai_off and (args.save is not None or args.autosave):
        # a save records who is human, not that a script took a seat from the AI for some quarters,
        # so a replay of it would let the AI play those turns and diverge
        raise UsageError(
            f"--script {args.script} turns the AI off for some seats (ai: off), which a save cannot record yet: "
            "run it without --save/--autosave"
        )
    check_outputs(args)  # before playing: a run must not end by finding it cannot write
    console = Console(stderr=False)
    saves = SaveSession.from_args(args, console)
    model = SovereignModel(scenario, rng=args.seed, difficulty=args.difficulty)
    from sovereign.sim.warmup import prepare_kernels

    prepare_kernels(None if args.quiet else console.print)
    n = (
        model.end_q - model.quarter + 1
        if args.quarters is None
        else min(args.quarters, model.end_q - model.quarter + 1)
    )
    t0 = time.perf_counter()
    with count_bar(console, disable=args.quiet) as progress:
        task = progress.add_task(f"{scenario.meta.id} seed {args.seed}", total=n)

        def after_quarter(m: SovereignModel) -> None:
            progress.update(task, advance=1, description=f"{m.quarter_label}")
            saves.after_quarter(m)  # state hash for replays, and the autosave if asked

        if script is None:
            model.run(n, progress=after_quarter)
        else:
            from sovereign.scenario.script import play_scripted

            outcomes = play_scripted(model, script, n, progress=after_quarter)
    finish_run(console, model, n, time.perf_counter() - t0, args.out, args.format)
    if script is not None:
        report_script(console, script, outcomes, model.quarter_label if not model.done else None)
        if args.out is not None:
            write_script_outcomes(console, outcomes, args.out, args.format)
    saves.finish(model)
    return 0


def report_script(console: Any, script: Any, outcomes: list[Any], next_quarter: str | None) -> None:
    """Print what the script did: commands accepted, each refusal with the validator's reason.

    Args:
        console: Where to print.
        script: The `PolicyScript` that was played.
        outcomes: Its `ScriptOutcome`s.
        next_quarter: The first quarter not played (None: the game ended), to count entries never reached.
    """
    from rich.markup import escape

    refused = [o for o in outcomes if not o.accepted]
    console.print(
        f"script {script.source}: {len(outcomes)} scripted commands submitted, "
        f"{len(outcomes) - len(refused)} accepted, {len(refused)} refused",
        soft_wrap=True,
    )
    for o in refused:
        line = f" (line {o.line})" if o.line is not None else ""
        console.print(f"  [red]refused[/red]{line}: {escape(o.describe())}", soft_wrap=True)
    if next_quarter is not None:
        from sovereign.scenario.schema import quarter_index

        later = [e for e in script.entries if quarter_index(e.quarter) >= quarter_index(next_quarter)]
        if later:
            console.print(f"  {len(later)} script entries from {next_quarter} on were not reached")


def write_script_outcomes(console: Any, outcomes: list[Any], out: Path, fmt: str) -> None:
    """Write the scripted commands and what became of them as ``script.parquet`` (or ``.csv``)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from sovereign.scenario.script import outcome_rows

    # explicit types: a script whose commands were all accepted still gets a string `reason` column
    schema = pa.schema(
        [
            ("quarter", pa.string()),
            ("seat", pa.string()),
            ("kind", pa.string()),
            ("command", pa.string()),
            ("accepted", pa.bool_()),
            ("reason", pa.string()),
            ("line", pa.int64()),
        ]
    )
    table = pa.Table.from_pylist(outcome_rows(outcomes), schema=schema)
    path = out / f"script.{fmt}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        (pq.write_table if fmt == "parquet" else pacsv.write_csv)(table, path)
    except OSError as exc:
        raise UsageError(f"cannot write results to {out}: {exc.strerror or exc}") from None
    console.print(f"wrote {path}")


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
