"""The action codec (one test per command kind), the action mask and the observation encoding."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sovereign.env import COMMAND_KINDS, SovereignParallelEnv
from sovereign.sim.commands import (
    BuildDatacenter,
    BuildFab,
    BuildPlant,
    BuyAccelerators,
    Decide,
    JoinBloc,
    LeaveBloc,
    PermittingReform,
    RaiseFunding,
    SetCurtailmentPriority,
    SetExportControls,
    SetExportTier,
    SetLocalisation,
    SetSecuritySpending,
    SetSubsidy,
)

from .conftest import SEATS


@pytest.fixture
def env(tiny):
    env = SovereignParallelEnv(tiny, SEATS, seed=0)
    env.reset()
    return env


# tiny.yaml: regions USA, CHN, IND; technologies solar, gas, coal, nuclear; accelerators frontier,
# advanced, domestic (list prices 15,000, 27,000, 20,000); blocs allies (USA), brics (CHN, IND);
# USA's GDP is $28,000B; budgets at the start: USA $7B, IND $1.95B
DECODED = [
    ("no_op", "USA", {"region": 2, "amount": 3}, None),
    ("build_datacenter", "cloudco", {"region": 0, "amount": 1}, BuildDatacenter(region="USA", it_mw=100)),
    # a nation builds at home whatever the region field says
    ("build_datacenter", "IND", {"region": 0, "amount": 0}, BuildDatacenter(region="IND", it_mw=50)),
    ("build_plant", "cloudco", {"region": 2, "item": 1}, BuildPlant(region="IND", technology="gas", mw=100)),
    ("build_plant", "USA", {"item": 1, "amount": 2}, BuildPlant(region="USA", technology="gas", mw=500)),
    # items wrap around the choices of the kind: item 3 of 3 accelerator classes is the first one
    (
        "build_fab",
        "fabco",
        {"item": 3, "amount": 2},
        BuildFab(region="USA", accelerator="frontier", h100e_per_quarter=25e3),
    ),
    (
        "buy_accelerators",
        "cloudco",
        {"item": 1, "amount": 0, "price": 2},
        BuyAccelerators(accelerator="advanced", h100e=5000, max_price_usd=27000 * 1.25, region="USA"),
    ),
    ("set_subsidy", "IND", {"amount": 2}, SetSubsidy(rate=0.25)),
    ("set_localisation", "IND", {"option": 1}, SetLocalisation(enabled=True)),
    ("set_localisation", "IND", {"option": 0}, SetLocalisation(enabled=False)),
    (
        "set_export_controls",
        "USA",
        {"tier": 1, "item": 0, "amount": 1},
        SetExportControls(tier=2, accelerator="frontier", cap_h100e=5000),
    ),
    (
        "set_export_controls",
        "USA",
        {"tier": 2, "item": 1, "amount": 4},
        SetExportControls(tier=3, accelerator="advanced", cap_h100e=None),
    ),
    ("set_export_tier", "USA", {"region": 2, "tier": 0}, SetExportTier(region="IND", tier=1)),
    ("join_bloc", "IND", {"item": 0}, JoinBloc(bloc="allies")),
    ("leave_bloc", "IND", {"item": 1}, LeaveBloc(bloc="brics")),
    ("set_security_spending", "USA", {"amount": 2}, SetSecuritySpending(busd_per_year=28000 * 0.0003)),
    ("set_curtailment_priority", "USA", {"option": 1}, SetCurtailmentPriority(datacenters_last=True)),
    ("permitting_reform", "USA", {}, PermittingReform()),
    ("raise_funding", "cloudco", {"amount": 3}, RaiseFunding(busd=5.0)),
]


@pytest.mark.parametrize(("kind", "seat", "fields", "expected"), DECODED, ids=lambda v: v if isinstance(v, str) else "")
def test_each_kind_decodes_to_its_command_and_the_validator_accepts_it(env, kind, seat, fields, expected):
    action = env.codec.encode_kind(kind, **fields)
    assert env.action_space(seat).contains(action)
    cmd = env.codec.decode(action, seat, env.model.observe(seat))
    if expected is None:
        assert cmd is None
        return
    assert type(cmd) is type(expected)
    assert cmd.model_dump() == pytest.approx(expected.model_dump())
    result = env.model.submit(seat, cmd)
    assert result.accepted, result.reason


def test_every_kind_has_a_decoding_case():
    assert {case[0] for case in DECODED} | {"decide"} == set(COMMAND_KINDS)


def test_decide_answers_the_oldest_pending_decision(env):
    noop = env.codec.encode_kind("no_op")
    for _ in range(3):  # tiny.yaml's 2026Q3 inject asks India to decide, from 2026Q4 on
        env.step(dict.fromkeys(env.agents, noop))
    view = env.model.observe("IND")
    (event_id, options) = next(iter(view["private"]["pending_decisions"].items()))
    assert options == ["Fund it", "Wait"]
    cmd = env.codec.decode(env.codec.encode_kind("decide", option=1), "IND", view)
    assert cmd == Decide(event_id=event_id, option=1)
    assert env.model.submit("IND", cmd).accepted


def test_decide_with_nothing_pending_is_a_value_error(env):
    with pytest.raises(ValueError, match="no decision is pending"):
        env.codec.decode(env.codec.encode_kind("decide"), "IND", env.model.observe("IND"))


OUTSIDE = [[16, 0, 0, 0, 0, 0, 0], [0, 3, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [-1, 0, 0, 0, 0, 0, 0]]


@pytest.mark.parametrize("action", OUTSIDE)
def test_an_action_outside_the_space_is_a_value_error(env, action):
    with pytest.raises(ValueError, match="outside"):
        env.codec.decode(np.array(action), "USA", env.model.observe("USA"))


def test_encode_kind_rejects_unknown_fields(env):
    with pytest.raises(ValueError, match="unknown action fields"):
        env.codec.encode_kind("set_subsidy", rate=2)


def _allowed_kinds(env, seat):
    mask = env.codec.mask(seat, env.model.observe(seat))
    return {k for k, ok in zip(COMMAND_KINDS, mask[0], strict=True) if ok}


def test_the_mask_allows_each_seat_its_own_kinds(env):
    firm = {"no_op", "build_datacenter", "build_plant", "buy_accelerators", "raise_funding"}
    assert _allowed_kinds(env, "cloudco") == firm
    # fabco owns no datacenter (nowhere to put chips) but may build fabs
    assert _allowed_kinds(env, "fabco") == firm - {"buy_accelerators"} | {"build_fab"}
    nation = set(COMMAND_KINDS) - {"raise_funding", "decide", "buy_accelerators"}
    assert _allowed_kinds(env, "USA") == nation  # a chip producer with no datacenter of its own
    assert _allowed_kinds(env, "IND") == nation - {"set_export_controls", "set_export_tier"}


def test_every_masked_out_kind_is_refused_by_the_model(env):
    for seat in SEATS:
        view = env.model.observe(seat)
        for kind in set(COMMAND_KINDS) - _allowed_kinds(env, seat):
            try:
                cmd = env.codec.decode(env.codec.encode_kind(kind), seat, view)
            except ValueError:
                continue
            assert not env.model.submit(seat, cmd).accepted, (seat, kind)


def test_sampling_with_the_mask_gives_only_allowed_kinds(env):
    space = env.action_space("cloudco")
    space.seed(7)
    mask = env.codec.mask("cloudco", env.model.observe("cloudco"))
    kinds = {COMMAND_KINDS[space.sample(mask=mask)[0]] for _ in range(200)}
    assert kinds == _allowed_kinds(env, "cloudco")


def test_the_observation_has_one_named_feature_per_entry(env):
    names = env.encoder.feature_names
    assert len(set(names)) == len(names) == env.observation_space("USA").shape[0]


def test_the_first_observation_shows_the_seat_before_any_metrics(env):
    obs, _ = env.reset(seed=0)
    names = env.encoder.feature_names
    usa = dict(zip(names, obs["USA"], strict=True))
    assert usa["has_metrics"] == 0.0 and usa["progress"] == 0.0
    assert usa["USA.sovereignty_index"] == 0.0
    assert usa["own.kind_nation"] == 1.0 and usa["own.home_USA"] == 1.0 and usa["own.home_IND"] == 0.0
    assert usa["CHN.export_tier"] == pytest.approx(1.0) and usa["IND.export_tier"] == pytest.approx(2 / 3)
    cloud = dict(zip(names, obs["cloudco"], strict=True))
    view = env.model.observe("cloudco")["private"]
    assert cloud["own.kind_cloud"] == 1.0
    assert cloud["own.cash_busd"] == pytest.approx(math.log1p(view["cash_busd"]), rel=1e-6)
    assert cloud["own.USA.datacenter_it_mw"] == pytest.approx(math.log1p(1200), rel=1e-6)
    assert cloud["own.CHN.datacenter_it_mw"] == 0.0


def test_after_a_quarter_the_observation_carries_its_metrics(env):
    obs, *_ = env.step({})
    ind = dict(zip(env.encoder.feature_names, obs["IND"], strict=True))
    rows = {row["region"]: row for row in env.model.metrics.nations if row["quarter"] == "2026Q1"}
    assert ind["has_metrics"] == 1.0 and ind["progress"] == pytest.approx(1 / 8)
    for region in ("USA", "CHN", "IND"):
        for pillar in ("sovereignty_index", "power_adequacy", "cyber_resilience"):
            assert ind[f"{region}.{pillar}"] == pytest.approx(rows[region][pillar], rel=1e-6)
    for agent in SEATS:
        assert env.observation_space(agent).contains(obs[agent])


def test_the_env_encodes_the_public_part_once_and_gets_the_same_vectors(env):
    for _ in range(3):
        obs, *_ = env.step({})
    for agent in SEATS:
        np.testing.assert_array_equal(obs[agent], env.encoder.encode(env.model.observe(agent)))
    public = env.encoder.encode_public(env.model.observe("USA")["public"])
    own = [i for i, n in enumerate(env.encoder.feature_names) if n.startswith("own.")]
    assert not public[own].any() and public.any()
