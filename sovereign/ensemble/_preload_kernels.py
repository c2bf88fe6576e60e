"""Imported by the ensemble's fork server: load the compiled kernels once.

Workers are forked from the fork server, so they inherit the loaded machine code instead of each
spending a second or more loading it from numba's cache (or compiling it on a first run).
"""

from sovereign.ensemble.heap import settle_heap
from sovereign.sim.warmup import warm_up

warm_up()
settle_heap()  # the children forked from here start with the kernels and modules out of the collector's sight
