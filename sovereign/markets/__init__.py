"""Vectorised market-clearing core: power, compute and chips.

Each kernel is a pure function of numpy arrays returning a frozen result dataclass with prices,
quantities and what the UI needs to explain them. A plain-loop reference of each kernel lives in
:mod:`sovereign.markets.reference` and the tests hold the two equal.
"""

from sovereign.markets._warmup import compiled_kernels_cached, kernels_cached, market_kernels, warm_up
from sovereign.markets.chips import ChipResult, allocate_chips
from sovereign.markets.compute import ComputeResult, clear_compute
from sovereign.markets.power import PowerResult, clear_power

__all__ = [
    "ChipResult",
    "ComputeResult",
    "PowerResult",
    "allocate_chips",
    "clear_compute",
    "clear_power",
    "compiled_kernels_cached",
    "kernels_cached",
    "market_kernels",
    "warm_up",
]
