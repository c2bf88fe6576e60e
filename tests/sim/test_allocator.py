"""The allocator tuning: freed mid-sized arrays are reused, not faulted in afresh (glibc only)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

# a fresh process per case: the thresholds are process-wide and set once
_PROBE = textwrap.dedent(
    """
    import resource, numpy as np
    from sovereign.sim.allocator import tune_allocator
    tuned = tune_allocator()
    again = tune_allocator()
    def step():  # five (J, K) arrays of 0.45 MB alive at once, as in a step of the compute market
        arrays = [np.ones((273, 204)) for _ in range(5)]
        return sum(a.sum() for a in arrays)
    step()  # warm: the heap grows once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(100):
        step()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    print(tuned, again, faults)
    """
)


def _probe(**env: str) -> tuple[bool, bool, int]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env={**os.environ, **env}, capture_output=True, text=True, check=True
    ).stdout.split()
    return out[0] == "True", out[1] == "True", int(out[2])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_tuned_allocator_reuses_freed_arrays_instead_of_faulting_in_new_pages() -> None:
    tuned, again, faults = _probe()
    if not tuned:
        pytest.skip("a C library without mallopt (not glibc)")
    assert again  # idempotent: the second call reports the first's outcome
    assert faults < 50  # untuned: ~50,000 (the freed top of the heap is trimmed, then faulted in again)
    untuned, _, untuned_faults = _probe(SOVEREIGN_MALLOC_TUNING="0")
    assert not untuned
    assert untuned_faults > 10 * max(faults, 1)
