"""SovereignParallelEnv: refusals in info, rewards, seeding, episode ends, bad input, the AI's seats."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sovereign.env import SovereignParallelEnv, SovereignSeatEnv
from sovereign.scenario import ScenarioError, load_scenario

from .conftest import SEATS, TINY


@pytest.fixture
def env(tiny):
    env = SovereignParallelEnv(tiny, SEATS, seed=0)
    env.reset()
    return env


def test_a_refused_command_is_not_applied_and_its_reason_is_in_info(env):
    c = env.codec
    actions = {
        "USA": c.encode_kind("leave_bloc", item=1),  # USA is not in BRICS
        "cloudco": c.encode_kind("set_subsidy", amount=2),  # masked: a firm cannot subsidise
        "IND": c.encode_kind("build_datacenter", amount=4),  # $7B from a $1.95B budget
        "fabco": c.encode_kind("decide"),  # nothing to decide: the decoder refuses
    }
    _, _, _, _, infos = env.step(actions)
    assert infos["USA"]["refused"] == ["USA is not a member of brics"]
    assert infos["USA"]["command"] == {"kind": "leave_bloc", "bloc": "brics"}
    assert infos["cloudco"]["refused"] == ["only a nation can set subsidy; CloudCo is a cloud"]
    assert infos["IND"]["refused"] == ["not enough budget: needs $7.0B, has $1.9B"]
    assert infos["fabco"]["refused"] == ["no decision is pending"] and infos["fabco"]["command"] is None
    logged = {seat: env.model.observe(seat)["private"]["recent_commands"] for seat in SEATS}
    assert {seat: [(c["origin"], c["accepted"]) for c in log] for seat, log in logged.items()} == {
        "USA": [("human", False)],
        "cloudco": [("human", False)],
        "IND": [("human", False)],
        "fabco": [],
    }
    assert not env.model.observe("IND")["private"]["projects"]


def test_an_accepted_command_changes_the_world(env):
    obs, _, _, _, infos = env.step({"IND": env.codec.encode_kind("set_subsidy", amount=2)})
    assert infos["IND"]["refused"] == [] and infos["IND"]["command"] == {"kind": "set_subsidy", "rate": 0.25}
    features = dict(zip(env.encoder.feature_names, obs["USA"], strict=True))
    assert features["IND.subsidy"] == pytest.approx(0.25)


def test_a_command_refused_when_applied_is_reported_too(tiny):
    # India subsidises half of a datacenter on its soil (and of the chips firms install there), if it
    # still has the money when the build is applied; its own build is applied first (nations before
    # firms) and leaves too little, so CloudCo's build, affordable when submitted, is refused when
    # applied. (India has ~$3.0B after the first quarter's chip subsidies; CloudCo ~$4.1B.)
    scenario = load_scenario(TINY, overrides={"actors.0.cash_busd": 1.8})
    env = SovereignParallelEnv(scenario, ["IND", "cloudco"], seed=0)
    env.reset()
    c = env.codec
    env.step({"IND": c.encode_kind("set_subsidy", amount=4)})
    builds = {
        "IND": c.encode_kind("build_datacenter", amount=2),  # 250 MW at home: $1.75B of its ~$3.0B
        "cloudco": c.encode_kind("build_datacenter", region=2, amount=4),  # 1,000 MW in India: $7B
    }
    _, _, _, _, infos = env.step(builds)
    assert infos["IND"]["refused"] == []
    (reason,) = infos["cloudco"]["refused"]
    assert re.fullmatch(r"not enough cash: needs \$\d+\.\d{1,2}B, has \$\d+\.\d{1,2}B", reason), reason
    stages = [(e["stage"], e["accepted"]) for e in env.model.observe("cloudco")["private"]["recent_commands"]]
    assert stages == [("submit", True), ("apply", False)]


def _play(env, actions_for=None):
    """Play an episode; returns the rewards per agent, step by step."""
    rewards: dict[str, list[float]] = {a: [] for a in env.possible_agents}
    while env.agents:
        actions = actions_for(env) if actions_for else {}
        _, r, _, _, _ = env.step(actions)
        for agent, value in r.items():
            rewards[agent].append(value)
    return rewards


def test_a_nations_return_is_its_final_sovereignty_index(env):
    rewards = _play(env)
    last = {row["region"]: row["sovereignty_index"] for row in env.model.metrics.nations if row["quarter"] == "2027Q4"}
    for nation in ("USA", "IND"):
        assert len(rewards[nation]) == 8
        assert sum(rewards[nation]) == pytest.approx(last[nation], abs=1e-12)


def test_a_firms_return_is_its_relative_change_in_valuation(tiny):
    env = SovereignParallelEnv(tiny, ["cloudco", "fabco"], seed=0)
    env.reset()
    rewards = _play(env)
    start = {a.id: a.valuation_busd for a in tiny.actors}
    end = {row["firm"]: row["valuation_busd"] for row in env.model.metrics.firms if row["quarter"] == "2027Q4"}
    for firm in ("cloudco", "fabco"):
        assert sum(rewards[firm]) == pytest.approx((end[firm] - start[firm]) / start[firm], abs=1e-12)
        # a group's first quarter books its starting valuation (what it holds beyond AI is fixed then)
        assert rewards[firm][0] == pytest.approx(0.0, abs=1e-12)
        assert all(r != 0.0 for r in rewards[firm][1:])


def test_the_episode_terminates_at_the_scenarios_end(env):
    steps = 0
    while env.agents:
        _, _, terminations, truncations, infos = env.step({})
        steps += 1
    assert steps == 8 and env.model.done
    assert all(terminations.values()) and not any(truncations.values())
    assert infos["USA"]["quarter"] == "2028Q1"
    with pytest.raises(RuntimeError, match="call reset"):
        env.step({})


def test_quarters_truncates_the_episode(tiny):
    env = SovereignParallelEnv(tiny, SEATS, seed=0, quarters=3)
    env.reset()
    for _ in range(2):
        _, _, terminations, truncations, _ = env.step({})
        assert not any(terminations.values()) and not any(truncations.values())
    _, _, terminations, truncations, _ = env.step({})
    assert all(truncations.values()) and not any(terminations.values()) and env.agents == []
    assert env.model.quarter_label == "2026Q4"


def test_the_other_seats_are_played_by_the_ai(env):
    for _ in range(4):
        env.step({})
    origins = {
        seat: {c["origin"] for c in env.model.observe(seat)["private"]["recent_commands"]}
        for seat in (*SEATS, "CHN", "dragon", "bharat", "redfab")
    }
    assert all(origins[seat] == {"ai"} for seat in ("CHN", "dragon", "bharat", "redfab")), origins
    assert all(origins[seat] <= {"human"} for seat in SEATS), origins


def _trajectory(env, seed=None):
    obs, _ = env.reset(seed=seed)
    out = [obs["IND"].copy()]
    while env.agents:
        obs, *_ = env.step({})
        out.append(obs["IND"].copy())
    return np.array(out)


def test_seeded_resets_replay_and_unseeded_ones_draw_reproducible_new_seeds(tiny):
    a = SovereignParallelEnv(tiny, ["IND"], seed=11)
    b = SovereignParallelEnv(tiny, ["IND"], seed=11)
    first_a, first_b = _trajectory(a), _trajectory(b)
    assert a.episode_seed == b.episode_seed == 11
    np.testing.assert_array_equal(first_a, first_b)
    second_a, second_b = _trajectory(a), _trajectory(b)
    assert a.episode_seed == b.episode_seed != 11
    np.testing.assert_array_equal(second_a, second_b)
    assert not np.array_equal(first_a, second_a)
    np.testing.assert_array_equal(_trajectory(a, seed=11), first_a)


def test_actions_for_seats_not_playing_are_an_error(env):
    with pytest.raises(ValueError, match="CHN"):
        env.step({"CHN": env.codec.encode_kind("no_op")})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seats": []}, "at least one seat"),
        ({"seats": ["USA", "atlantis"]}, "unknown seat.*'atlantis'.*seats are USA, CHN, IND, cloudco"),
        ({"seats": ["USA", "USA"]}, "one agent only"),
        ({"seats": ["USA"], "quarters": 0}, "quarters must be"),
        ({"seats": ["USA"], "quarters": 2.5}, "quarters must be"),
        ({"seats": ["USA"], "render_mode": "human"}, "render_mode"),
    ],
)
def test_bad_arguments_say_what_is_wrong(tiny, kwargs, message):
    with pytest.raises(ValueError, match=message):
        SovereignParallelEnv(tiny, **kwargs)


def test_a_missing_scenario_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match="no such file, and no scenario of that name"):
        SovereignParallelEnv(tmp_path / "nowhere.yaml", ["USA"])


def test_ansi_render_lists_the_seats_objectives(tiny):
    env = SovereignParallelEnv(tiny, ["IND", "cloudco"], seed=0, render_mode="ansi")
    env.reset()
    env.step({})
    text = env.render()
    assert "before 2026Q2" in text and "IND: sovereignty index 0." in text and "cloudco: valuation $B" in text


def test_the_single_seat_env_is_the_parallel_env_with_one_agent(tiny):
    single = SovereignSeatEnv(tiny, "IND", seed=4)
    parallel = SovereignParallelEnv(tiny, ["IND"], seed=4)
    obs, info = single.reset()
    pobs, pinfo = parallel.reset()
    for field, pfield in zip(info["action_mask"], pinfo["IND"]["action_mask"], strict=True):
        np.testing.assert_array_equal(field, pfield)
    np.testing.assert_array_equal(obs, pobs["IND"])
    action = parallel.codec.encode_kind("set_security_spending", amount=3)
    result = single.step(action)
    presult = parallel.step({"IND": action})
    np.testing.assert_array_equal(result[0], presult[0]["IND"])
    assert result[1:4] == (presult[1]["IND"], presult[2]["IND"], presult[3]["IND"])
    spending = {"kind": "set_security_spending", "busd_per_year": 3.9}  # 0.1% of India's $3,900B GDP
    assert result[4]["command"] == presult[4]["IND"]["command"] == spending
