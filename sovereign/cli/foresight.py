"""`sovereign fan` and `sovereign debrief`: the futures ahead of a saved game, and the class against the bots."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

from sovereign.cli.args import check_output_folder, positive_int, seed
from sovereign.cli.errors import UsageError
from sovereign.cli.text import plain


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `fan` and `debrief`."""
    p = sub.add_parser(
        "fan",
        help="play the rest of a saved game N times with AI in every seat and show the fan of a seat's metric",
        description="From a save, play the remaining quarters N times with AI in every seat, on common random "
        "numbers (continuation k always draws the same events for the same --seed), and show the median and "
        "5-95%% band of a seat's metric per quarter; writes fan.png and fan.csv to --out.",
    )
    p.add_argument("save", type=Path, metavar="SAVE")
    p.add_argument("--runs", type=positive_int, default=20, help="continuations to play (default 20)")
    p.add_argument("--seat", default=None, help="seat to follow (default: the save's first human seat)")
    p.add_argument("--column", default=None, help="metric (default: sovereignty_index or valuation_busd)")
    p.add_argument("--quarters", type=positive_int, default=None, help="quarters ahead (default: to the end)")
    p.add_argument("--seed", type=seed, default=0, help="root seed of the continuations (default 0)")
    p.add_argument(
        "--workers", type=positive_int, default=None, help="processes (default: every core this process may use)"
    )
    p.add_argument("--out", type=Path, default=None, help="folder for fan.png and fan.csv")
    p.set_defaults(handler=cmd_fan)

    p = sub.add_parser(
        "debrief",
        help="where each human seat of a saved game falls among AI-only games of the same scenario",
        description="Play the save's scenario N times from the start with AI in every seat (seeds 0..N-1 of "
        "--seed) up to the save's quarter, and give each human seat's percentile among them.",
    )
    p.add_argument("save", type=Path, metavar="SAVE")
    p.add_argument("--runs", type=positive_int, default=20, help="AI-only games to compare with (default 20)")
    p.add_argument("--seed", type=seed, default=0, help="root seed of the AI-only games (default 0)")
    p.add_argument(
        "--workers", type=positive_int, default=None, help="processes (default: every core this process may use)"
    )
    p.set_defaults(handler=cmd_debrief)

    p = sub.add_parser(
        "whatif",
        help="replay a saved game with one human command dropped or replaced, and show where the paths part",
        description="Replay the save twice from its seed: as played, and with one command of one human seat "
        "changed (the same random numbers in both), and show the quarter they diverge, the seat's metrics "
        "and the markets that moved the most.",
        epilog="example: sovereign whatif game.json.gz --at 2027Q3 --seat IND --drop 1\n"
        "         sovereign whatif game.json.gz --at 2027Q3 --seat IND --replace "
        '\'{"kind": "set_subsidy", "rate": 0.5}\'',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("save", type=Path, metavar="SAVE")
    p.add_argument("--at", required=True, metavar="QUARTER", help="quarter of the command, e.g. 2027Q3")
    p.add_argument("--seat", required=True, help="the human seat that submitted it")
    change = p.add_mutually_exclusive_group(required=True)
    change.add_argument("--drop", type=positive_int, metavar="N", help="drop the seat's N-th command of that quarter")
    change.add_argument("--replace", metavar="COMMAND", help="replace it by this command (JSON or YAML)")
    p.add_argument("--n", type=positive_int, default=1, help="with --replace: which command (default 1)")
    p.add_argument("--ahead", type=positive_int, default=None, help="also play N quarters past the save, AI only")
    p.add_argument("--top", type=positive_int, default=8, help="metrics to show per table (default 8)")
    p.set_defaults(handler=cmd_whatif)


def _load(path: Path) -> Any:
    from sovereign.persist import SaveError, load_game

    try:
        return load_game(path)
    except SaveError as exc:
        raise UsageError(str(exc)) from None


def cmd_fan(args: argparse.Namespace) -> int:
    """Play the continuations, print the band, write the chart and the runs."""
    from rich.console import Console
    from rich.table import Table

    from sovereign.cli.progress import count_bar
    from sovereign.ensemble.cores import available_cores
    from sovereign.ensemble.foresight import ForesightError, make_fan, plot_fan, warm_up_workers

    if args.out is not None:
        check_output_folder(args.out, "--out")
    workers = min(args.workers or available_cores(), args.runs)
    if workers > 1:
        # the fork server loads the model and the compiled kernels (~1.5 s) while the save is read
        warm_up_workers()
    model = _load(args.save)
    seat = args.seat or next(iter(sorted(model.human_seats)), None)
    if seat is None:
        raise UsageError(f"{plain(args.save)} has no human seat: name the seat to follow with --seat")
    console = Console(stderr=True)
    try:
        # futures finished, of how many, and the time so far (what a player waiting wants to see)
        with count_bar(console, label="futures of {task.description}") as bar:
            task = bar.add_task(plain(seat), total=args.runs)
            fan = make_fan(
                model,
                seat,
                args.runs,
                column=args.column,
                quarters=args.quarters,
                seed=args.seed,
                workers=workers,
                progress=lambda done: bar.update(task, completed=done),
            )
    except ForesightError as exc:
        raise UsageError(str(exc)) from None
    med, lo, hi = fan.band()
    console_out = Console()
    console_out.print(f"{plain(seat)}: {fan.column} over {args.runs} futures (seed {args.seed})", highlight=False)
    table = Table()
    for name in ("quarter", "5%", "median", "95%"):
        table.add_column(name, justify="right" if name != "quarter" else "left")
    for i, q in enumerate(fan.quarters):
        table.add_row(q, f"{lo[i]:.3f}", f"{med[i]:.3f}", f"{hi[i]:.3f}")
    from sovereign.cli.run import fit_table

    console_out.print(fit_table(table))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        plot_fan(fan, args.out / "fan.png")
        with open(args.out / "fan.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["run", "quarter", "seat", fan.column])
            for k in range(fan.values.shape[0]):
                for i, q in enumerate(fan.quarters):
                    writer.writerow([k, q, seat, repr(float(fan.values[k, i]))])
        print(f"wrote {args.out / 'fan.png'} and {args.out / 'fan.csv'}")
    return 0


def cmd_debrief(args: argparse.Namespace) -> int:
    """Print each human seat's result and its percentile among AI-only games."""
    from rich.console import Console
    from rich.table import Table

    from sovereign.ensemble.cores import available_cores
    from sovereign.ensemble.foresight import ForesightError, debrief

    model = _load(args.save)
    if not model.human_seats:
        raise UsageError(f"{plain(args.save)} has no human seat: nothing to compare")
    try:
        with Console(stderr=True).status(f"playing {args.runs} AI-only games ..."):
            rows = debrief(model, args.runs, seed=args.seed, workers=min(args.workers or available_cores(), args.runs))
    except ForesightError as exc:
        raise UsageError(str(exc)) from None
    print(f"the class against the bots: {args.runs} AI-only games to {model.metrics.world[-1]['quarter']}")
    table = Table()
    for name in ("seat", "metric", "you", "bots' median", "bots 5-95%", "percentile"):
        table.add_column(name, justify="left" if name in ("seat", "metric") else "right")
    for r in rows:
        table.add_row(
            plain(r.seat),
            r.column,
            f"{r.value:.3f}",
            f"{r.median:.3f}",
            f"{r.low:.3f}-{r.high:.3f}",
            f"{r.percentile:.0f}",
        )
    from sovereign.cli.run import fit_table

    Console().print(fit_table(table))
    return 0


def cmd_whatif(args: argparse.Namespace) -> int:
    """Print where the two paths part and what differs at the end."""
    import yaml
    from rich.console import Console
    from rich.table import Table

    from sovereign.cli.run import fit_table
    from sovereign.ensemble.foresight import ForesightError, whatif
    from sovereign.persist import SaveError, read_save
    from sovereign.persist.files import model_from_document

    try:
        doc = read_save(args.save)
        model_from_document(doc)  # the whole save is validated before it is replayed
    except SaveError as exc:
        raise UsageError(str(exc)) from None
    replace = None
    if args.replace is not None:
        try:
            replace = yaml.safe_load(args.replace)
        except yaml.YAMLError as exc:
            raise UsageError(f"--replace: not JSON or YAML ({exc.__class__.__name__})") from None
        if not isinstance(replace, dict):
            raise UsageError("--replace: expected a command as a mapping, e.g. '{kind: set_subsidy, rate: 0.5}'")
    try:
        with Console(stderr=True).status("replaying both paths ..."):
            result = whatif(
                doc.state,
                at=args.at,
                seat=args.seat,
                n=args.drop or args.n,
                replace=replace,
                ahead=args.ahead or 0,
            )
    except ForesightError as exc:
        raise UsageError(str(exc)) from None
    console = Console()
    console.print(plain(result.changed), highlight=False)
    if result.diverged is None:
        console.print(
            f"the two paths are identical through {result.last}: the change made no difference", highlight=False
        )
        return 0
    console.print(
        f"the paths diverge in {result.diverged} (state that differs: {', '.join(result.parts)}); "
        f"compared at {result.last}",
        highlight=False,
    )
    for title, changes in ((f"{result.seat}", result.seat_changes), ("world markets", result.market_changes)):
        if not changes:
            continue
        table = Table(title=f"{plain(title)} at {result.last}", title_justify="left")
        for name in ("metric", "as played", "what if", "change"):
            table.add_column(name, justify="left" if name == "metric" else "right")
        for c in changes[: args.top]:
            table.add_row(c.column, f"{c.original:,.4g}", f"{c.whatif:,.4g}", f"{c.whatif - c.original:+,.4g}")
        console.print(fit_table(table))
    return 0
