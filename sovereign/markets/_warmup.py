"""Load (or, on a machine's first run, compile) the numba-compiled market kernels up front.

The kernels compile on first use and are cached on disk (``__pycache__``). A first quarter that
pays for the compile stalls for seconds; the simulation's warm-up (`sovereign.sim.warmup`, which
the game, the headless runner and the workers call before the first quarter) runs :func:`warm_up`
with its own kernels instead, so the wait happens once, where it is announced.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import numpy as np


def warm_up() -> float:
    """Run every compiled kernel once on a tiny instance; return the seconds it took.

    About half a second when the on-disk cache is present (importing numba and loading the
    machine code), about ten seconds on a machine's first run (compiling).
    """
    from sovereign.markets.chips import allocate_chips
    from sovereign.markets.compute import clear_compute
    from sovereign.markets.halls import cap_to_space, hall_layout, install_deliveries
    from sovereign.markets.power import clear_power

    t0 = time.perf_counter()
    clear_power(
        [[[10.0, 20.0]], [[30.0, 5.0]]],
        [[[1.0, 1.0]], [[1.0, 1.0]]],
        [[1.5], [0.5]],
        voll=1000.0,
        links=(np.array([0]), np.array([0]), np.array([1.0])),
    )
    clear_power([[10.0, 20.0], [30.0, 5.0]], [[1.0, 1.0], [1.0, 1.0]], [1.5, 0.5], voll=1000.0, links=([0], [1], [1.0]))
    args = ([1.0, 2.0], [1.0, 1.5], [1.0, 1.0], [3.0, 4.0], [[True, True], [True, False]])
    clear_compute(*args)
    clear_compute(*args, temperature=0.1, warm_start=[0.5, 0.5])
    # the game's call: tranches of one buyer and datacenters of one site, scaled as one row and column
    both = ([1.0, 2.0], [1.0, 1.5], [1.0, 1.0], [3.0, 4.0], [[True, True], [True, True]])
    clear_compute(*both, temperature=0.1, relative=True, groups=[0, 0], cluster_groups=[0, 0])
    allocate_chips([2.0], [0, 0], [1.0, 2.0], [3.0, 1.0], [0, 0], [[np.inf]])
    # the chip phase's halls: one bid into a hall of one datacenter, then its delivery installed
    one, it_kw, dc_kw = np.ones(1), np.full(1, 2.0), np.zeros(1)
    row, start, count, hall = hall_layout(np.zeros(1, np.int64), np.zeros(1, np.int64), 1, np.zeros(1, np.int64))
    qty = cap_to_space(hall, one, one, row, start, count, it_kw, dc_kw)
    fabs, stock, origin = np.ones((1, 1)), np.zeros((1, 1)), np.zeros((1, 1))
    install_deliveries(hall, row, qty, one, row, fabs, np.ones(1, bool), row, start, count, it_kw, dc_kw, stock, origin)
    return time.perf_counter() - t0


def market_kernels() -> tuple[Any, ...]:
    """The markets' compiled kernels (numba dispatchers), as :func:`warm_up` loads them."""
    from sovereign.markets._chips_jit import allocate
    from sovereign.markets._compute_jit import finish, stage
    from sovereign.markets._power_jit import clear_linked
    from sovereign.markets.halls import cap_to_space, hall_layout, install_deliveries

    return (clear_linked, stage, finish, allocate, hall_layout, cap_to_space, install_deliveries)


def kernels_cached(kernels: Iterable[Any]) -> bool:
    """Whether numba's on-disk cache already holds each of these compiled kernels (no compile needed).

    Looks where numba itself caches each kernel: ``__pycache__`` beside the source, or a user
    cache folder when the install is read-only.
    """
    from pathlib import Path

    for kernel in kernels:
        folder = getattr(getattr(kernel, "_cache", None), "_cache_path", None)  # numba's locator
        name = kernel.py_func.__name__
        if folder is None or not any(Path(folder).glob(f"*{name}*.nbi")):
            return False
    return True


def compiled_kernels_cached() -> bool:
    """Whether numba's on-disk cache already holds the market kernels (no compile needed)."""
    return kernels_cached(market_kernels())
