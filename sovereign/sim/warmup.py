"""Load (or, on a machine's first run, compile) every compiled kernel the simulation uses, up front.

The markets' kernels (`sovereign.markets.warm_up`) and the simulation's own (the utilities'
yearly plan, `sovereign.sim.phases.grid`). `sovereign.markets` may not import the simulation, so
the simulation's kernels are warmed here; callers that run games call this `warm_up` rather than
the markets' alone, so no quarter pays for a compile.
"""

from __future__ import annotations

import time


def warm_up() -> float:
    """Run every compiled kernel once on a tiny instance; return the seconds it took."""
    from sovereign.markets import warm_up as warm_up_markets
    from sovereign.sim.phases.grid import warm_up_kernels as warm_up_grid

    t0 = time.perf_counter()
    warm_up_markets()
    warm_up_grid()
    return time.perf_counter() - t0
