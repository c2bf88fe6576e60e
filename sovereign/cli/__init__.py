"""The `sovereign` command line: one entry point, subcommands contributed by each package.

Each module of this package that offers commands has ``add_commands(subparsers)``; this is the
one command-line layer, on top of every other package (nothing below imports it); the
handlers import their heavy dependencies lazily so `sovereign --help` stays fast. Every handler
returns an exit code; bad input prints a clear message on stderr and exits non-zero, never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from sovereign import __version__
from sovereign.cli.errors import UsageError

#: Packages contributing subcommands, in the order they appear in `--help`.
COMMAND_MODULES = (
    "sovereign.cli.run",
    "sovereign.cli.scenarios",
    "sovereign.cli.saves",
    "sovereign.cli.ensemble",
    "sovereign.cli.play",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every package's subcommands."""
    parser = argparse.ArgumentParser(
        prog="sovereign",
        description="Sovereign: a strategy game and simulation of the race for sovereign AI infrastructure.",
    )
    parser.add_argument("--version", action="version", version=f"sovereign {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sovereign` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UsageError as exc:
        print(f"sovereign: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sovereign: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
