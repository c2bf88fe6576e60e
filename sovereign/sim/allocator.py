"""Memory tuning for playing quarters: the C allocator (glibc) and Python's cycle collector.

`tune_allocator` keeps the C allocator from handing the quarter's mid-sized arrays back to the
system (glibc only); `spaced_young_collections` makes the cycle collector's young collections rarer
while a quarter is played.

Why: a quarter builds and drops dozens of arrays of 0.1-2 MB (the compute market's segments x
clusters matrices, 300 x 315 by 2035, five of them in one step of the scaling). glibc's malloc
serves blocks over its mmap threshold (128 kB to start) with fresh ``mmap`` pages and returns them
with ``munmap`` when freed, and trims the top of the heap back to the system past its trim
threshold, so the next quarter's arrays fault in new zeroed pages again. On the virtual machines
the game runs on (measured on the 2-core Firecracker VM of docs/benchmarks.md) a page fault costs
over a microsecond: filling five fresh 273 x 204 arrays took 0.62 ms against 0.06 ms in reused
memory, and a baseline run took ~2,150 page faults and 4-7% more CPU time than with the
thresholds raised. Raising both thresholds keeps freed blocks in the heap for reuse (at most
``TRIM_BYTES`` of free heap is kept; a game's whole footprint is ~200 MB).

Results do not depend on it: where an array lives changes no arithmetic (the games' digests are
the same bit for bit with and without). Set ``SOVEREIGN_MALLOC_TUNING=0`` to leave the allocator
as it is (e.g. when Sovereign is embedded in a process whose allocator is tuned otherwise).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: Blocks up to this size come from the heap, not fresh ``mmap`` pages (glibc's own dynamic
#: threshold stops at this value too: 32 MiB on 64-bit systems).
MMAP_BYTES = 32 * 1024 * 1024
#: Free memory at the top of the heap kept for reuse before it is returned to the system.
TRIM_BYTES = 64 * 1024 * 1024
# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

_tuned: bool | None = None


def tune_allocator() -> bool:
    """Raise glibc's mmap and trim thresholds once per process; whether they are raised.

    A no-op (False) off Linux, with another C library, or with ``SOVEREIGN_MALLOC_TUNING=0``.
    """
    global _tuned
    if _tuned is not None:
        return _tuned
    _tuned = False
    if not sys.platform.startswith("linux") or os.environ.get("SOVEREIGN_MALLOC_TUNING", "1") == "0":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # the mmap threshold first: setting either one turns off glibc's dynamic adjustment of both
    _tuned = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_BYTES))
    return _tuned


#: Allocations (net, of objects the cycle collector tracks) between two young collections while a
#: quarter is played; Python's default is 700.
QUARTER_YOUNG_THRESHOLD = 100_000


@contextmanager
def spaced_young_collections() -> Iterator[None]:
    """Within it, Python's young collections come every `QUARTER_YOUNG_THRESHOLD` allocations, not 700.

    Why: a baseline game allocates some 50,000 tracked objects that outlive their quarter (the AI's
    commands, the quarter's lists and dicts), so the default threshold ran ~75 young and ~6 middle
    collections a game, each walking every young object alive at that moment, temporaries
    included: ~10 ms of a 0.4 s run. Spaced this wide, a game runs about one. It pays most in a
    process that plays game after game (an ensemble's worker, a fan): measured in one process
    alternating the settings (6 rounds of seeds 1-5, 2026-12-06), the median run took 4% less CPU
    time (0.394 s against 0.411 s; 20,000 gave 2.4%, 5,000 nothing); in fresh processes playing six
    games each (benchmarks/run.py's workers, 10 rounds) the difference was within the machine's
    noise (0.99x, rounds 0.94-1.06). Nothing a game does
    relies on the collector for reference cycles, and the young objects waiting for a collection are
    a few megabytes at most. Results do not depend on it (no arithmetic changes; the digests are the
    same). The thresholds are restored on the way out. A collector turned off or already spaced
    wider is left as it is, so nested or concurrent games (threads share the thresholds) never
    leave it changed; ``SOVEREIGN_GC_TUNING=0`` leaves it alone altogether.
    """
    old = gc.get_threshold()
    if old[0] == 0 or old[0] >= QUARTER_YOUNG_THRESHOLD or os.environ.get("SOVEREIGN_GC_TUNING", "1") == "0":
        yield
        return
    gc.set_threshold(QUARTER_YOUNG_THRESHOLD, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
