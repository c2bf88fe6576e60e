"""Imported by the ensemble's fork server: load the compiled market kernels once.

Workers are forked from the fork server, so they inherit the loaded machine code instead of each
spending a second or more loading it from numba's cache (or compiling it on a first run).
"""

from sovereign.markets import warm_up

warm_up()
