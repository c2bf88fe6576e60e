"""Argument types shared by every subcommand, so one rule holds everywhere.

Why one module: `run`, `play`, `screenshot` and `montecarlo` once each parsed ``--seed`` their own
way; ``--seed -5`` was a traceback in three of them, and `run` took a 23-digit seed that
`montecarlo` refused. A seed is now the same thing everywhere: a whole number from 0 to
2**63 - 1, the range ensemble results store in an int64 column (`sovereign.ensemble.seeds`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sovereign.cli.errors import UsageError
from sovereign.fileio import folder_problem, is_regular_file

#: Largest seed any command accepts (seeds are stored in int64 columns).
MAX_SEED = 2**63 - 1


def whole_number(text: str) -> int:
    """A whole number written in decimal (no ``1e3``, no ``0x10``, at most 30 digits)."""
    stripped = text.strip()
    digits = stripped.lstrip("+-")
    if not digits.isdigit() or len(digits) > 30 or not digits.isascii():
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}")
    return int(stripped)


def seed(text: str) -> int:
    """A random seed: 0 <= seed <= 2**63 - 1, the same rule for every command."""
    value = whole_number(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a seed between 0 and {MAX_SEED} (2**63 - 1), found {value}")
    return value


def positive_int(text: str) -> int:
    """A whole number > 0."""
    value = whole_number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, found {value}")
    return value


def non_negative_int(text: str) -> int:
    """A whole number >= 0."""
    value = whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, found {value}")
    return value


def check_output_folder(folder: Path, option: str) -> None:
    """Refuse, before any work, an output folder that cannot be written (read-only, below a file...).

    Raises:
        UsageError: Naming the option and why the folder cannot be used.
    """
    problem = folder_problem(folder)
    if problem is not None:
        raise UsageError(f"{option} {folder}: cannot write results there: {problem}")


def check_output_file(path: Path, option: str) -> None:
    """Refuse, before any work, an output file that cannot be written (a folder, a FIFO, unwritable folder).

    Raises:
        UsageError: Naming the option and why the file cannot be written.
    """
    if path.is_dir():
        raise UsageError(f"{option} {path}: it is a folder; give a file name such as {path / 'out'}")
    if path.exists() and not is_regular_file(path):
        raise UsageError(f"{option} {path}: it exists and is not a regular file")
    check_output_folder(path.parent, option)
