"""Imported by the ensemble's and the fan's fork server: load the compiled kernels once.

Workers are forked from the fork server, so they inherit the loaded machine code instead of each
spending a second or more loading it from numba's cache (or compiling it on a first run).
"""

from sovereign.ensemble.heap import settle_heap
from sovereign.markets.compute import load_exact_solver
from sovereign.sim.warmup import warm_up

warm_up()
load_exact_solver()  # a worker playing many games meets the compute market's exact mode in some
settle_heap()  # the children forked from here start with the kernels and modules out of the collector's sight
