"""The one progress bar of the command line: what is being played, done of how many, time so far."""

from __future__ import annotations

from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def count_bar(console: Any, *, label: str = "{task.description}", disable: bool = False) -> Progress:
    """A bar counting finished items (quarters, futures) on `console`, gone once the work is done.

    Args:
        console: The rich console it draws on.
        label: The text before the bar (rich markup; ``{task.description}`` is the task's own).
        disable: Draw nothing (``--quiet``).
    """
    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=disable,
        transient=True,
    )
