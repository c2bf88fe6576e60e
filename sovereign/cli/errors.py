"""The command line's one error type, in its own module so that every subcommand module can raise it."""

from __future__ import annotations


class UsageError(Exception):
    """Bad arguments or input: printed as `sovereign: error: ...` with exit code 2."""
