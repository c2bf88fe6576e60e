"""How many processes to run at once: the cores this process may use.

Its own module (not `executors`, which imports pyarrow and dask's glue) so that a command that
only needs the count, like `sovereign fan`, does not pay a third of a second to import them.
"""

from __future__ import annotations

import os


def available_cores() -> int:
    """Cores this process may use (affinity and container limits respected where Python can see them)."""
    count = getattr(os, "process_cpu_count", None)
    if count is not None:
        return max(1, count() or 1)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)
