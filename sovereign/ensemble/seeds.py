"""Seeding of ensemble runs: one `SeedSequence(seed)` and one child per run.

Run ``i`` of an ensemble always plays with the ``i``-th child of ``SeedSequence(seed)``, whatever the
design, the worker that runs it, the executor or the order in which runs finish: that is what makes
an ensemble reproducible bit for bit and resumable. The child is rebuilt from ``(seed, i)`` where it
is needed (``SeedSequence(seed, spawn_key=(i,))`` is exactly ``SeedSequence(seed).spawn(n)[i]``), so
a task carries two integers instead of a list of spawned sequences.
"""

from __future__ import annotations

import numpy as np

#: Largest root seed: seeds are stored in int64 Parquet columns.
MAX_SEED = 2**63 - 1
#: Spawn key of the stream that draws a design's random samples (LHS, Sobol scrambling). Run ids
#: stay far below it, so the design stream never coincides with a run's stream.
DESIGN_STREAM = 2**63


def check_seed(seed: int) -> int:
    """Return `seed` if it can be a root seed (a whole number in 0..2**63-1), else raise ValueError."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"expected a whole number as seed, found {seed!r}")
    if not 0 <= int(seed) <= MAX_SEED:
        raise ValueError(f"expected a seed between 0 and {MAX_SEED}, found {seed}")
    return int(seed)


def run_seed(seed: int, run_id: int) -> np.random.SeedSequence:
    """The SeedSequence of run `run_id`: child `run_id` of ``SeedSequence(seed)``.

    Args:
        seed: The ensemble's root seed (``--seed``).
        run_id: The run's index in the design (0-based).

    Returns:
        A sequence equal to ``SeedSequence(seed).spawn(run_id + 1)[run_id]``.
    """
    if run_id < 0:
        raise ValueError(f"run ids start at 0, found {run_id}")
    return np.random.SeedSequence(check_seed(seed), spawn_key=(int(run_id),))


def spawn_run_seeds(seed: int, n_runs: int) -> list[np.random.SeedSequence]:
    """The children of ``SeedSequence(seed)`` for runs 0..n_runs-1 (the reference `run_seed` matches)."""
    return np.random.SeedSequence(check_seed(seed)).spawn(n_runs)


def design_rng(seed: int) -> np.random.Generator:
    """Generator for a design's own random draws, independent of every run's stream."""
    return np.random.default_rng(np.random.SeedSequence(check_seed(seed), spawn_key=(DESIGN_STREAM,)))
