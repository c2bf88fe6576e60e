"""Load (or, on a machine's first run, compile) every compiled kernel the simulation uses, up front.

The markets' kernels (`sovereign.markets.warm_up`) and the simulation's own (the utilities' yearly
plan, `sovereign.sim.phases.grid`; the power phase's settlement, `sovereign.sim.phases.power`; the
pillars' sums of what is served, `sovereign.sim.phases.metrics`; the AI's chip bids,
`sovereign.sim.policy.chip_bids`).
`sovereign.markets` may not import the simulation, so the simulation's kernels are warmed here;
everything that runs games (the CLI, the game window, the ensembles' workers, the classroom, the
benchmarks) calls this `warm_up` rather than the markets' alone, so no quarter pays for a compile.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def warm_up() -> float:
    """Run every compiled kernel once on a tiny instance; return the seconds it took.

    About 0.4 s when numba's on-disk cache is present, about 30 s on a machine's first run
    (compiling; measured on a 2-core machine, 2026-12-06).
    """
    from sovereign.markets import warm_up as warm_up_markets
    from sovereign.sim.phases.grid import warm_up_kernels as warm_up_grid
    from sovereign.sim.phases.metrics import warm_up_kernels as warm_up_metrics
    from sovereign.sim.phases.power import warm_up_kernels as warm_up_power
    from sovereign.sim.policy.chip_bids import warm_up_kernels as warm_up_bids

    t0 = time.perf_counter()
    warm_up_markets()
    warm_up_grid()
    warm_up_power()
    warm_up_metrics()
    warm_up_bids()
    return time.perf_counter() - t0


def compiled_kernels_cached() -> bool:
    """Whether numba's on-disk cache already holds every kernel a game uses (no compile needed)."""
    from sovereign.markets import kernels_cached

    return kernels_cached(compiled_kernels())


def compiled_kernels() -> tuple[Any, ...]:
    """Every compiled kernel a game calls (numba dispatchers): the markets' and the simulation's."""
    from sovereign.markets import market_kernels
    from sovereign.sim.phases.grid import compiled_kernels as grid_kernels
    from sovereign.sim.phases.metrics import compiled_kernels as metrics_kernels
    from sovereign.sim.phases.power import compiled_kernels as power_kernels
    from sovereign.sim.policy.chip_bids import compiled_kernels as bid_kernels

    return market_kernels() + grid_kernels() + power_kernels() + metrics_kernels() + bid_kernels()


def prepare_kernels(say: Callable[[str], object] | None = None) -> float:
    """:func:`warm_up`, first telling ``say`` when a compile (the first run) is coming."""
    if say is not None and not compiled_kernels_cached():
        say("Compiling the simulation's kernels (first run on this machine, about 30 s; cached afterwards)...")
    return warm_up()
