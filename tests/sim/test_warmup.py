"""The simulation's warm-up loads every compiled kernel a game calls, in the signatures it calls."""

from __future__ import annotations

import pytest

from sovereign.scenario import load_scenario
from sovereign.scenario.catalog import resolve_scenario
from sovereign.sim.model import SovereignModel
from sovereign.sim.warmup import compiled_kernels, warm_up


@pytest.mark.parametrize("scenario", ["baseline", "taiwan_strait"])
def test_a_game_compiles_nothing_after_the_warm_up(scenario):
    warm_up()
    kernels = compiled_kernels()
    before = [len(k.signatures) for k in kernels]
    # two yearly plans, the AI's plant choices, the power, chip and compute markets each quarter
    SovereignModel(load_scenario(resolve_scenario(scenario)), rng=1).run(quarters=6)
    grew = [k.py_func.__name__ for k, n in zip(kernels, before, strict=True) if len(k.signatures) != n]
    assert grew == []
