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
from typing import Any

from sovereign.cli.errors import UsageError

#: Packages contributing subcommands, in the order they appear in `--help`.
COMMAND_MODULES = (
    "sovereign.cli.run",
    "sovereign.cli.scenarios",
    "sovereign.cli.saves",
    "sovereign.cli.ensemble",
    "sovereign.cli.play",
    "sovereign.cli.classroom",
    "sovereign.cli.lessons",
    "sovereign.cli.foresight",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every package's subcommands."""
    parser = argparse.ArgumentParser(
        prog="sovereign",
        description="Sovereign: a strategy game and simulation of the race for sovereign AI infrastructure.",
    )
    from sovereign import __version__

    parser.add_argument("--version", action="version", version=f"sovereign {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sovereign` console script."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(args.handler(args) or 0)
    except UsageError as exc:
        from sovereign.cli.text import inert  # imported here: before `try`, a Ctrl-C would escape

        # messages quote paths, labels and values from files: shown inert, never as terminal codes
        print(f"sovereign: error: {inert(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return _interrupted()
    except ImportError:
        # a Ctrl-C that lands while numpy loads its C modules comes out as their ImportError
        # ("_multiarray_umath failed to import"), the KeyboardInterrupt swallowed: seen once in CI
        if not _CTRL_C_SEEN:
            raise
        return _interrupted()
    except BrokenPipeError:  # `sovereign saves | head`: the reader left, nothing to report
        return 141


def _interrupted() -> int:
    _stop_listening_for_ctrl_c()
    print("sovereign: interrupted", file=sys.stderr)
    return 130


#: Set when a Ctrl-C reached this process (`entry` installs `_ctrl_c` as its SIGINT handler).
_CTRL_C_SEEN = False


def _ctrl_c(signum: int, frame: Any) -> None:
    """Python's own Ctrl-C behaviour (a KeyboardInterrupt), remembering that it came."""
    global _CTRL_C_SEEN
    _CTRL_C_SEEN = True
    raise KeyboardInterrupt


#: Set by `entry`: this process is the `sovereign` command, so after a Ctrl-C has been handled no
#: later one may interrupt the exit (a second Ctrl-C, or one that reaches the process twice,
#: would otherwise print a KeyboardInterrupt traceback on the way out).
_PROCESS_ENTRY = False


def _stop_listening_for_ctrl_c() -> None:
    import threading

    if _PROCESS_ENTRY and threading.current_thread() is threading.main_thread():
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)


#: Set when a Ctrl-C arrived where Python could not raise it (inside a C callback or a finaliser,
#: which Python reports as "Exception ignored"): the command then stops as interrupted.
_INTERRUPTED_UNRAISABLY = False


def _unraisable(info: Any) -> None:
    """`sys.unraisablehook`: a Ctrl-C that could not be raised ends the command, without a traceback."""
    global _INTERRUPTED_UNRAISABLY
    if isinstance(info.exc_value, KeyboardInterrupt):
        _INTERRUPTED_UNRAISABLY = True
        return
    sys.__unraisablehook__(info)


def entry() -> None:
    """The `sovereign` console script and ``python -m sovereign``: run `main` and exit with its code."""
    global _PROCESS_ENTRY
    _PROCESS_ENTRY = True
    sys.unraisablehook = _unraisable
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _ctrl_c)
    code = main()
    if _INTERRUPTED_UNRAISABLY and code != 130:
        # whatever the command did after the lost Ctrl-C (a scenario half-compiled, say) is moot
        _stop_listening_for_ctrl_c()
        print("sovereign: interrupted", file=sys.stderr)
        code = 130
    _stop_listening_for_ctrl_c()  # the command is done: a late Ctrl-C must not turn into a traceback
    sys.exit(code)


if __name__ == "__main__":
    entry()
