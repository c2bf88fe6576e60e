"""The command validator: one gate for humans and AI, refusals a player understands."""

import pytest

from sovereign.sim import SovereignModel
from sovereign.sim.commands import (
    BuildDatacenter,
    BuildFab,
    BuyAccelerators,
    CommandError,
    Decide,
    JoinBloc,
    LeaveBloc,
    SetExportControls,
    SetExportTier,
    SetSubsidy,
    command_from_dict,
    command_to_dict,
)


@pytest.fixture()
def model(tiny):
    return SovereignModel(tiny, rng=0, human_seats=["IND", "bharat", "cloudco", "USA"])


def refused(model, seat, cmd):
    res = model.submit(seat, cmd)
    assert not res.accepted
    return res.reason


def test_budget_refusal_names_need_and_have(model):
    reason = refused(model, "bharat", BuildDatacenter(region="IND", it_mw=5000))
    assert reason.startswith("not enough cash: needs $")
    assert "has $" in reason


def test_queued_commands_reserve_cash(model):
    cash = model.seats["bharat"].cash_busd
    mw = cash / 0.007 * 0.6  # 60% of the cash at $7M/MW
    assert model.submit("bharat", BuildDatacenter(region="IND", it_mw=mw)).accepted
    assert "not enough cash" in refused(model, "bharat", BuildDatacenter(region="IND", it_mw=mw))


def test_nation_only_commands_refused_for_firms(model):
    assert "only a nation" in refused(model, "bharat", SetSubsidy(rate=0.2))


def test_unknown_region(model):
    assert "does not exist" in refused(model, "bharat", BuildDatacenter(region="XXX", it_mw=10))


def test_nation_builds_only_at_home(model):
    assert "own territory" in refused(model, "IND", BuildDatacenter(region="USA", it_mw=10))


def test_tier_one_firm_cannot_invest_in_tier_three(model):
    assert "tier-3" in refused(model, "cloudco", BuildDatacenter(region="CHN", it_mw=10))


def test_only_chip_producers_set_controls(model):
    assert "does not control chip exports" in refused(
        model, "IND", SetExportControls(tier=3, accelerator="frontier", cap_h100e=0)
    )
    assert model.submit("USA", SetExportTier(region="IND", tier=1)).accepted
    assert "own export-control tier" in refused(model, "USA", SetExportTier(region="USA", tier=2))


def test_bloc_membership(model):
    assert "already a member" in refused(model, "IND", JoinBloc(bloc="brics"))
    assert "not a member" in refused(model, "IND", LeaveBloc(bloc="allies"))
    assert "does not exist" in refused(model, "IND", JoinBloc(bloc="nato"))


def test_chips_need_datacenter_space(model):
    reason = refused(
        model, "bharat", BuyAccelerators(accelerator="advanced", h100e=10, max_price_usd=30000, region="USA")
    )
    assert "no free datacenter space" in reason


def test_unknown_accelerator_and_fab_rules(model):
    assert "does not exist" in refused(
        model, "bharat", BuildFab(region="IND", accelerator="quantum", h100e_per_quarter=10)
    )
    assert "cannot run a fab" in refused(
        model, "cloudco", BuildFab(region="USA", accelerator="frontier", h100e_per_quarter=10)
    )


def test_decision_must_be_pending(model):
    assert "no decision pending" in refused(model, "IND", Decide(event_id=3, option=0))


def test_unknown_seat(model):
    assert "unknown seat" in refused(model, "nobody", SetSubsidy(rate=0.1))


def test_refusals_are_logged_and_state_unchanged(model):
    before = model.world.dc_it_mw.copy()
    refused(model, "bharat", BuildDatacenter(region="IND", it_mw=9000))
    assert model.command_log[-1]["accepted"] is False
    assert (model.world.dc_it_mw == before).all()


def test_command_json_round_trip_and_bad_dicts():
    cmd = BuyAccelerators(accelerator="advanced", h100e=100, max_price_usd=20000, region="IND")
    assert command_from_dict(command_to_dict(cmd)) == cmd
    with pytest.raises(CommandError, match="bad command"):
        command_from_dict({"kind": "build_datacenter", "region": "IND", "it_mw": -5})
    with pytest.raises(CommandError):
        command_from_dict({"kind": "launch_missiles"})


def test_dict_commands_are_accepted_by_submit(model):
    res = model.submit("IND", {"kind": "set_subsidy", "rate": 0.25})
    assert res.accepted
    model.step()
    assert model.world.subsidy[model.region_ix["IND"]] == 0.25


def test_every_command_kind_has_rules_and_nation_only_kinds_check_the_seat_first():
    from typing import get_args

    from sovereign.sim import commands as c

    kinds = get_args(get_args(c.Command)[0])
    assert set(c._RULES) == set(kinds)
    for kind in kinds:
        assert (c._RULES[kind][:1] == (c._nation_only,)) == (kind in c.NATION_ONLY), kind


def test_a_budget_refusal_tells_the_two_amounts_apart():
    from sovereign.sim.commands import money_apart

    assert (money_apart(8.31, 8.27), money_apart(8.27, 8.31)) == ("$8.31B", "$8.27B")
    assert (money_apart(63.0, 2.4), money_apart(2.4, 63.0)) == ("$63.0B", "$2.4B")
    assert money_apart(0.05, 0.04) == "$50M"
