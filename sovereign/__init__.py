"""Sovereign: an agent-based strategy game of the race for sovereign AI infrastructure."""

from typing import Any


def __getattr__(name: str) -> Any:
    """``__version__``, looked up on first use.

    Why lazily: reading the installed metadata takes tens of milliseconds, and the command line
    imports this package first; until `sovereign.cli.main` runs, a Ctrl-C is Python's and prints
    its traceback, so that window is kept as short as possible.
    """
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("sovereign")
        except PackageNotFoundError:  # running from a source tree that is not installed
            value = "0.0.0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'sovereign' has no attribute {name!r}")
