"""`sovereign resume`, `sovereign replay`, `sovereign saves`, and the save options of `sovereign run`.

Handlers turn every `SaveError` into a `UsageError` (a clean message, exit code 2), except that a
failed *autosave* is only reported: the game goes on. Heavy imports happen inside the handlers so
`sovereign --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sovereign.cli.args import positive_int
from sovereign.cli.errors import UsageError
from sovereign.cli.text import plain

if TYPE_CHECKING:
    from rich.console import Console

    from sovereign.persist.autosave import Autosaver
    from sovereign.persist.errors import SaveError
    from sovereign.sim.model import SovereignModel


def default_saves_dir() -> Path:
    """The saves folder when none is given: ``saves/`` of a clone, else the per-user data folder."""
    from sovereign.data import default_saves_folder

    return default_saves_folder()


def add_save_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--save PATH``, ``--autosave``, ``--saves-dir DIR`` and ``--keep N`` to a command."""
    parser.add_argument("--save", type=Path, default=None, metavar="PATH", help="save the game here at the end")
    parser.add_argument("--autosave", action="store_true", help="autosave after every quarter (see --saves-dir)")
    parser.add_argument(
        "--saves-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="autosave folder (default: saves/ in a clone of the repository, else your user data folder)",
    )
    parser.add_argument("--keep", type=positive_int, default=5, metavar="N", help="autosaves kept per game (default 5)")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register this package's subcommands."""
    p = sub.add_parser("resume", help="load a saved game and play on headless (AI seats decide)")
    p.add_argument("save_file", type=Path, metavar="SAVE")
    p.add_argument("--quarters", type=positive_int, default=None, help="quarters to play (default: to the end)")
    add_save_options(p)
    p.add_argument("--out", type=Path, default=None, help="folder for nations/firms/world tables")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="table format (default parquet)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_resume)

    p = sub.add_parser("replay", help="re-run a saved game from its command log and check it arrives at the save")
    p.add_argument("save_file", type=Path, metavar="SAVE")
    p.add_argument("--check", action="store_true", help="only verify (exit 1 at the first divergence)")
    p.set_defaults(handler=cmd_replay)

    p = sub.add_parser("saves", help="list the saves in a folder: scenario, quarter, seats, date")
    p.add_argument(
        "folder",
        type=Path,
        nargs="?",
        default=None,
        metavar="DIR",
        help="default: saves/ in a clone of the repository, else your user data folder",
    )
    p.set_defaults(handler=cmd_saves)


# ----------------------------------------------------------------------------------------------
class SaveSession:
    """What `run` and `resume` do about saves: per-quarter hashes, autosaves, a final save.

    Args:
        save: File to save to at the end (None: no final save).
        autosave: Whether to autosave after every quarter.
        folder: Autosave folder.
        keep: Autosaves kept per game.
        console: Where to report (autosave failures are reported, not raised).
    """

    def __init__(self, save: Path | None, autosave: bool, folder: Path, keep: int, console: Console) -> None:
        from sovereign.persist.autosave import Autosaver

        if save is not None and save.is_dir():
            raise UsageError(f"--save {save}: it is a folder; give a file name such as {save / 'game.json.gz'}")
        self.save = save
        self.console = console
        self.autosaver: Autosaver | None = Autosaver(folder, keep, on_error=self._report) if autosave else None
        if autosave:
            console.print(f"autosaves go to {folder}", highlight=False, soft_wrap=True)

    @classmethod
    def from_args(cls, args: argparse.Namespace, console: Console) -> SaveSession:
        """The session the command-line options ask for (the default folder when --saves-dir is not given)."""
        folder = args.saves_dir if args.saves_dir is not None else default_saves_dir()
        return cls(args.save, args.autosave, folder, args.keep, console)

    def _report(self, exc: SaveError) -> None:
        self.console.print(f"[yellow]autosave failed, the game goes on:[/] {exc}", highlight=False, soft_wrap=True)

    def after_quarter(self, model: SovereignModel) -> None:
        """Record the quarter's state hash (so the save can be replayed) and autosave."""
        from sovereign.persist.history import record_quarter

        if self.autosaver is not None:
            self.autosaver(model)  # records the hash itself
        elif self.save is not None:
            record_quarter(model)

    def finish(self, model: SovereignModel) -> None:
        """Write the final save, if one was asked for."""
        from sovereign.persist.errors import SaveError
        from sovereign.persist.files import save_game

        if self.autosaver is not None and self.autosaver.failures:
            self.console.print(f"[yellow]{self.autosaver.failures} autosave(s) failed[/]")
        if self.save is None:
            return
        try:
            path = save_game(model, self.save)
        except SaveError as exc:
            raise UsageError(str(exc)) from None
        self.console.print(
            f"saved {model.quarter - model.start_q} quarter(s) to {path}", highlight=False, soft_wrap=True
        )


def _describe(info: Any) -> str:
    """One line about a save, every part from the file made inert (see `sovereign.cli.text`)."""
    humans = ", ".join(map(plain, info.human_seats)) if info.human_seats else "none (AI only)"
    where = (
        f"finished, {info.quarters_played} quarters played"
        if info.quarter == "finished"
        else f"next quarter {info.quarter}, {info.quarters_played} played"
    )
    saved = plain(info.saved_at[:16].replace("T", " "))
    return (
        f"{plain(info.scenario_title)} ({plain(info.scenario_id)}); {where}; "
        f"human seats: {humans}; saved {saved} UTC by Sovereign {plain(info.package_version)}"
    )


def cmd_resume(args: argparse.Namespace) -> int:
    """Load a save, play on with AI seats, print the summary, optionally save and write tables."""
    from rich.console import Console

    from sovereign import __version__
    from sovereign.cli.progress import count_bar
    from sovereign.cli.run import check_outputs, finish_run
    from sovereign.persist.errors import SaveError
    from sovereign.persist.files import model_from_document, read_save

    check_outputs(args)
    console = Console()
    session = SaveSession.from_args(args, console)
    try:
        doc = read_save(args.save_file)
        model = model_from_document(doc)
    except SaveError as exc:
        raise UsageError(str(exc)) from None
    info = doc.info
    console.print(f"{plain(args.save_file)}: {_describe(info)}", highlight=False, soft_wrap=True)
    if info.package_version != __version__:
        console.print(
            f"[yellow]note:[/] saved by Sovereign {plain(info.package_version)}, this is {__version__}: "
            "the game goes on, but may not continue exactly as it would have in the version that saved it"
        )
    left = model.end_q - model.quarter + 1
    n = left if args.quarters is None else min(args.quarters, left)
    if n <= 0:
        console.print("the game is over: nothing left to play")
    if model.human_seats and n > 0:
        console.print(
            f"note: human seats ({', '.join(sorted(model.human_seats))}) submit no commands in a headless resume"
        )
    t0 = time.perf_counter()
    with count_bar(console, disable=args.quiet) as progress:
        task = progress.add_task(f"{model.scenario.meta.id} from {model.quarter_label}", total=max(n, 0))

        def after(m: SovereignModel) -> None:
            progress.update(task, advance=1, description=m.quarter_label)
            session.after_quarter(m)

        if n > 0:
            try:
                model.run(n, progress=after)
            except Exception as exc:  # a boundary: content that passed every check must still not crash here
                raise UsageError(
                    f"{args.save_file}: the saved game cannot be played on ({type(exc).__name__}: {exc}); "
                    f"the file may have been edited: `sovereign replay {args.save_file} --check` says what differs"
                ) from None
    finish_run(console, model, max(n, 0), time.perf_counter() - t0, args.out, args.format)
    session.finish(model)
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """Re-run the saved game; print a quarter-by-quarter review (or only verify with --check)."""
    from rich.console import Console

    from sovereign import __version__
    from sovereign.persist.errors import SaveError
    from sovereign.persist.files import read_save
    from sovereign.persist.replay import human_submissions, replay_state
    from sovereign.sim.summary import summary_tables

    console = Console()
    try:
        doc = read_save(args.save_file)
    except SaveError as exc:
        raise UsageError(str(exc)) from None
    info = doc.info
    console.print(f"{plain(args.save_file)}: {_describe(info)}", highlight=False, soft_wrap=True)
    submitted = human_submissions(doc.state.get("command_log", []), set(doc.human_seats))

    def review(m: SovereignModel) -> None:
        label = m.metrics.world[-1]["quarter"] if m.metrics.world else "?"
        console.print(f"[bold]{plain(label)}[/]", highlight=False, soft_wrap=True)
        for entry in submitted.get(label, []):
            if entry.get("stage") == "withdraw":
                verdict = "withdrawn"
            else:
                verdict = "ok" if entry.get("accepted") else f"refused: {entry.get('reason')}"
            console.print(
                plain(f"  {entry.get('seat')}: {_command_text(entry.get('command'))} ({verdict})"),
                highlight=False,
                soft_wrap=True,
            )
        for item in getattr(m, "quarter_news", []):
            console.print(plain(f"  news: {item.get('headline')}"), highlight=False, soft_wrap=True)

    try:
        report = replay_state(
            doc.state,
            doc.recorded,
            doc.human_seats,
            on_quarter=None if args.check else review,
            unrecorded=doc.unrecorded,
        )
    except SaveError as exc:
        raise UsageError(f"{args.save_file}: {exc.message}") from None
    except Exception as exc:  # a boundary: a crafted save must give a message, not a traceback
        raise UsageError(f"{args.save_file}: the game cannot be replayed ({type(exc).__name__}: {exc})") from None
    if not args.check:
        for table in summary_tables(report.model):
            console.print(table)
    if report.recorded == 0:
        console.print("note: this save has no per-quarter hashes; only the final state is checked")
    style = "green" if report.ok else "red"
    console.print(f"[{style}]{plain(report.describe())}[/]", highlight=False, soft_wrap=True)
    if not report.ok:
        console.print(
            f"a replay diverges when the game's rules changed since the save was written (saved by Sovereign "
            f"{plain(info.package_version)}, this is {__version__}) "
            "or when the game was changed other than by commands",
            highlight=False,
            soft_wrap=True,
        )
    return 0 if report.ok else 1


def _command_text(command: Any) -> str:
    if not isinstance(command, dict):
        return str(command)
    fields = ", ".join(f"{k}={v}" for k, v in command.items() if k != "kind")
    return f"{command.get('kind', '?')}({fields})"


def cmd_saves(args: argparse.Namespace) -> int:
    """List saves in a folder, newest first; damaged files are listed as such, not skipped."""
    from rich.console import Console
    from rich.table import Table

    from sovereign.persist.errors import SaveError
    from sovereign.persist.files import SAVE_SUFFIX, SaveInfo, list_saves

    folder: Path = args.folder if args.folder is not None else default_saves_dir()
    if args.folder is None and not folder.exists():
        print(f"no saves yet: saves go to {folder}")
        return 0
    if not folder.exists():
        raise UsageError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder (to inspect one save, use `sovereign replay --check {folder}`)")
    try:
        items = list_saves(folder)
    except SaveError as exc:
        raise UsageError(str(exc)) from None
    console = Console()
    if not items:
        console.print(f"no saves (*{SAVE_SUFFIX}) in {plain(folder)}", highlight=False, soft_wrap=True)
        return 0
    good = [i for i in items if isinstance(i, SaveInfo)]
    damaged = [i for i in items if not isinstance(i, SaveInfo)]
    if good:
        table = Table(title=f"saves in {plain(folder)}, newest first", title_justify="left")
        table.add_column("file", overflow="fold", ratio=3)
        table.add_column("scenario", overflow="fold", ratio=1)
        table.add_column("quarter", no_wrap=True)
        table.add_column("seats", overflow="fold", ratio=1)
        table.add_column("saved (UTC)", no_wrap=True)
        for item in good:
            # names, labels and ids come from the files: shown inert (no ANSI codes, no rich markup)
            name = plain(item.path.name) + (f"\n[dim]{plain(item.label)}[/]" if item.label else "")
            quarter = item.quarter if item.quarter == "finished" else f"{item.quarter} ({item.quarters_played} played)"
            humans = ", ".join(map(plain, item.human_seats)) or "AI only"
            table.add_row(name, plain(item.scenario_id), quarter, humans, plain(item.saved_at[:16].replace("T", " ")))
        console.print(table)
    for item in damaged:
        name = Path(item.path).name if item.path else "?"
        console.print(
            f"[red]DAMAGED[/] {plain(name)}: {plain(item.message, newlines=True)}", highlight=False, soft_wrap=True
        )
    if damaged:
        print(f"{len(damaged)} damaged file(s)", file=sys.stderr)
    return 0
