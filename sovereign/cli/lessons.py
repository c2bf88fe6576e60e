"""`sovereign handouts`: print a lesson's role sheets and teacher notes (self-contained HTML)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sovereign.cli.args import check_output_folder
from sovereign.cli.errors import UsageError


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `handouts`."""
    p = sub.add_parser(
        "handouts",
        help="write a lesson's role sheets and teacher notes as printable HTML",
        description="Write one HTML page per team's role sheet, the teacher notes (with timings, injects, "
        "objectives and their AI-only success rates, and the debrief guide) and an index, into a folder. "
        "Each page is self-contained (no internet needed) and has a print style sheet: open it and press "
        "Ctrl-P.",
    )
    p.add_argument("lesson", metavar="LESSON", help="a lesson: a scenario file or name with a lesson: section")
    p.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="folder to write into (default handouts/LESSON-ID)"
    )
    p.set_defaults(handler=cmd_handouts)


def cmd_handouts(args: argparse.Namespace) -> int:
    """Write the handouts and print where they are."""
    from sovereign.cli.run import load_or_fail
    from sovereign.cli.text import plain
    from sovereign.lessons.handouts import write_handouts

    if args.out is not None:
        check_output_folder(args.out, "--out")
    scenario = load_or_fail(args.lesson)
    if scenario.lesson is None:
        raise UsageError(
            f"{args.lesson}: not a lesson (it has no lesson: section); the bundled lessons are in "
            "docs/teaching.md (e.g. export_controls)"
        )
    folder = args.out if args.out is not None else Path("handouts") / scenario.meta.id
    check_output_folder(folder, "--out")
    written = write_handouts(scenario, folder)
    print(f"{len(written)} pages in {plain(folder)}: open {plain(folder / 'index.html')} and print with Ctrl-P")
    for path in written:
        print(f"  {plain(path.name)}")
    return 0
