"""The Farama conformance checks: PettingZoo's API and seed tests, Gymnasium's check_env."""

from __future__ import annotations

import warnings

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test
from pettingzoo.utils.conversions import parallel_to_aec

from sovereign.env import SEAT_ENV_ID, SovereignParallelEnv, SovereignSeatEnv

from .conftest import SEATS


def test_parallel_api_test_passes_without_warnings(tiny):
    env = SovereignParallelEnv(tiny, SEATS, seed=0)
    with warnings.catch_warnings():
        # the checker reports most problems as warnings ("Live agent was not given reward", ...)
        warnings.simplefilter("error", UserWarning)
        parallel_api_test(env, num_cycles=20)


def test_parallel_api_test_with_truncated_episodes(tiny):
    env = SovereignParallelEnv(tiny, ["IND", "cloudco"], seed=3, quarters=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        parallel_api_test(env, num_cycles=5)


def test_parallel_seed_test_passes(tiny):
    parallel_seed_test(lambda: SovereignParallelEnv(tiny, SEATS, seed=0), num_cycles=20)


def test_check_env_passes_on_the_registered_single_seat_env(tiny):
    env = gym.make(SEAT_ENV_ID, scenario=tiny, seat="IND", quarters=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        check_env(env.unwrapped, skip_render_check=False)


def test_check_env_passes_for_a_firm_seat(tiny):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        check_env(gym.make(SEAT_ENV_ID, scenario=tiny, seat="fabco", quarters=2).unwrapped)


def test_the_registered_env_is_the_seat_env(tiny):
    env = gym.make(SEAT_ENV_ID, scenario=tiny, seat="USA", quarters=1)
    assert isinstance(env.unwrapped, SovereignSeatEnv)
    assert env.unwrapped.seat == "USA"


# the AEC checker's advice, not failures: agents are named by their seat ids (the game's own names),
# and one command a quarter is naturally a MultiDiscrete, not a Box or a Discrete
@pytest.mark.filterwarnings("ignore:Action space for each agent probably should be:UserWarning")
@pytest.mark.filterwarnings("ignore:We recommend agents to be named:UserWarning")
def test_the_aec_conversion_passes_pettingzoos_api_test(tiny):
    # the AEC checker samples each action with ``info["action_mask"]``, so this also proves the
    # mask is in the form the spaces take
    env = parallel_to_aec(SovereignParallelEnv(tiny, ["USA", "IND", "cloudco"], seed=0))
    api_test(env, num_cycles=10)
