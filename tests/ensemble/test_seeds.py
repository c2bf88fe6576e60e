import numpy as np
import pytest

from sovereign.ensemble.seeds import MAX_SEED, check_seed, design_rng, run_seed, spawn_run_seeds


def test_run_seed_is_the_spawned_child():
    children = spawn_run_seeds(42, 5)
    for i, child in enumerate(children):
        rebuilt = run_seed(42, i)
        assert rebuilt.spawn_key == child.spawn_key == (i,)
        assert np.array_equal(rebuilt.generate_state(8), child.generate_state(8))


def test_runs_and_design_get_distinct_streams():
    states = {tuple(run_seed(7, i).generate_state(4)) for i in range(50)}
    assert len(states) == 50
    assert tuple(design_rng(7).bit_generator.seed_seq.generate_state(4)) not in states  # type: ignore[attr-defined]


@pytest.mark.parametrize("bad", [-1, MAX_SEED + 1, 1.5, True, "3"])
def test_bad_seeds_are_refused(bad):
    with pytest.raises(ValueError, match="seed"):
        check_seed(bad)
