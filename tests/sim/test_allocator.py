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


# ----------------------------------------------------------------------------------------------
# the cycle collector's young generation while quarters are played
@pytest.fixture
def default_thresholds():
    """Python's thresholds as a process starts, restored afterwards whatever the test did."""
    import gc

    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def _thresholds_seen_in_a_quarter(monkeypatch, model):
    """The collector's thresholds in the middle of the quarters `model` plays (from its last phase)."""
    import gc

    import sovereign.sim.model as model_mod

    seen = []
    real = model_mod.advance

    def spy(m):
        seen.append(gc.get_threshold())
        return real(m)

    monkeypatch.setattr(model_mod, "advance", spy)
    return seen


def test_quarters_are_played_with_spaced_young_collections_and_the_thresholds_come_back(
    tiny, monkeypatch, default_thresholds
):
    import gc

    from sovereign.sim.allocator import QUARTER_YOUNG_THRESHOLD
    from sovereign.sim.model import SovereignModel

    model = SovereignModel(tiny, rng=1)
    seen = _thresholds_seen_in_a_quarter(monkeypatch, model)
    model.step()
    assert gc.get_threshold() == (700, 10, 10)
    model.run(2)
    assert gc.get_threshold() == (700, 10, 10)
    assert seen == [(QUARTER_YOUNG_THRESHOLD, 10, 10)] * 3
    with pytest.raises(RuntimeError):  # a failing quarter restores them too
        monkeypatch.setattr(model, "_play_quarter", lambda: 1 / 0 if gc.get_threshold()[0] else None)
        try:
            model.step()
        except ZeroDivisionError:
            raise RuntimeError from None
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.parametrize(
    ("thresholds", "env"), [((0, 10, 10), "1"), ((200_000, 5, 5), "1"), ((700, 10, 10), "0")], ids=str
)
def test_a_collector_set_otherwise_is_left_as_it_is(tiny, monkeypatch, default_thresholds, thresholds, env):
    import gc

    from sovereign.sim.model import SovereignModel

    monkeypatch.setenv("SOVEREIGN_GC_TUNING", env)
    model = SovereignModel(tiny, rng=1)
    seen = _thresholds_seen_in_a_quarter(monkeypatch, model)
    gc.set_threshold(*thresholds)
    model.run(2)
    assert seen == [thresholds] * 2 and gc.get_threshold() == thresholds
