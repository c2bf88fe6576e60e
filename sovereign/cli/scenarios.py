"""`sovereign scenarios`: the scenarios a name reaches, bundled and the user's own, with their titles."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `scenarios`."""
    p = sub.add_parser(
        "scenarios",
        help="list the bundled scenarios and your own, with their titles",
        description="List the scenarios that commands accept by name (sovereign run NAME, sovereign play "
        "--scenario NAME): the bundled ones and those in your scenario folders (SOVEREIGN_SCENARIO_PATH, or "
        "the scenarios folder of your user data folder). A name in your folders takes precedence over a "
        "bundled scenario of the same name.",
    )
    p.add_argument(
        "--scenario",
        dest="files",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="also list this scenario file (repeatable)",
    )
    p.set_defaults(handler=cmd_scenarios)


def cmd_scenarios(args: argparse.Namespace) -> int:
    """Print one row per scenario file: name, origin, title (or why it does not load), path."""
    from rich.console import Console
    from rich.table import Table

    from sovereign.cli.text import plain
    from sovereign.data import user_scenario_folders
    from sovereign.scenario.catalog import list_scenarios
    from sovereign.scenario.loader import ScenarioError, load_scenario

    # piped output (a script, a log) gets room for whole titles instead of rich's 80 columns
    console = Console(width=None if sys.stdout.isatty() else 160)
    table = Table(title="scenarios (sovereign run NAME, sovereign play --scenario NAME)", title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("from", no_wrap=True)
    table.add_column("title", overflow="fold", ratio=2)
    table.add_column("file", overflow="fold", ratio=3)
    seen: set[str] = set()
    problems: list[str] = []  # in full below the table, where a narrow column cannot fold them
    for entry in list_scenarios(args.files):
        try:
            title = plain(load_scenario(entry.path).meta.title)  # a title is whatever the file says
        except (ScenarioError, OSError) as exc:
            reason = str(exc).splitlines()[0] if isinstance(exc, ScenarioError) else str(exc.strerror or exc)
            problems.append(f"{plain(entry.path)}: {plain(reason)}")
            title = "[red]does not load (see below)[/]"
        origin = entry.origin
        if entry.origin != "file":
            if entry.name in seen:
                origin += " (hidden)"  # an earlier file of the same name is what the name reaches
            seen.add(entry.name)
        table.add_row(plain(entry.name), origin, title, plain(entry.path))
    console.print(table)
    folders = ", ".join(plain(f) for f in user_scenario_folders())
    console.print(f"your scenario folders: {folders}", highlight=False, soft_wrap=True)
    for line in problems:
        console.print(line, highlight=False, soft_wrap=True)
    return 1 if problems else 0
