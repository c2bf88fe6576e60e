"""Faster ways to make and cost commands: each must give exactly what the plain way gives."""

import numpy as np
import pytest
from pydantic import ValidationError

from sovereign.sim.commands import BuyAccelerators, buy_accelerators, buy_accelerators_in_bounds


@pytest.mark.parametrize(
    "fields",
    [
        {"accelerator": "h100", "h100e": 1234.5, "max_price_usd": 25000.25, "region": "us", "contract": False},
        {"accelerator": "b200", "h100e": 1e8, "max_price_usd": 1e6, "region": "cn", "contract": True},
        # numpy scalars and ints are converted by the field checks, the same way both ways
        {"accelerator": "h100", "h100e": np.float64(3.5), "max_price_usd": 7, "region": "us", "contract": False},
    ],
)
def test_buy_accelerators_is_the_constructor(fields):
    want, got = BuyAccelerators(**fields), buy_accelerators(**fields)
    assert got == want
    assert list(got.__dict__.items()) == list(want.__dict__.items())
    assert [type(v) for v in got.__dict__.values()] == [type(v) for v in want.__dict__.values()]
    assert got.model_fields_set == want.model_fields_set


@pytest.mark.parametrize(
    "bad",
    [{"h100e": 0.0}, {"h100e": 2e8}, {"max_price_usd": -1.0}, {"max_price_usd": 2e6}, {"region": 3}],
)
def test_buy_accelerators_refuses_what_the_constructor_refuses(bad):
    fields = {"accelerator": "h100", "h100e": 10.0, "max_price_usd": 1.0, "region": "us", "contract": False} | bad
    with pytest.raises(ValidationError) as want:
        BuyAccelerators(**fields)
    with pytest.raises(ValidationError) as got:
        buy_accelerators(**fields)
    assert got.value.errors() == want.value.errors()


def test_the_ai_bids_made_without_the_validator_are_the_validated_bids(baseline, revalidated_bids):
    """A whole baseline game: every AI bid, made in bounds by construction, is what the validator makes."""
    from sovereign.sim import SovereignModel

    model = SovereignModel(baseline, rng=3)
    model.run()
    bids = [e for e in model.command_log if e["command"]["kind"] == "buy_accelerators" and e["origin"] == "ai"]
    assert len(revalidated_bids) == len(bids) > 5000  # every bid of the game was checked as it was made
    assert any(b.contract for b in revalidated_bids) and not all(b.contract for b in revalidated_bids)


def test_the_bids_shared_fields_set_stays_as_it_is(baseline):
    """The AI's bids share one fields set: copying or dumping a bid, or a whole game, leaves it alone."""
    from sovereign.sim import SovereignModel
    from sovereign.sim import commands as c

    want = {"accelerator", "h100e", "max_price_usd", "region", "contract"}
    bid = buy_accelerators_in_bounds("h100", 1.0, 2.0, "us", False)
    copied = bid.model_copy(update={"h100e": 3.0})
    assert copied.model_fields_set == want and copied.h100e == 3.0
    bid.model_dump(exclude_unset=True)
    with pytest.raises(ValidationError):
        bid.h100e = 2.0
    SovereignModel(baseline, rng=1).run(4)
    assert c._BID_FIELDS == want and bid.model_fields_set is c._BID_FIELDS


def test_a_bid_made_in_bounds_is_the_validated_bid():
    fields = {"accelerator": "h100", "h100e": 1234.5, "max_price_usd": 25000.25, "region": "us", "contract": True}
    got, want = buy_accelerators_in_bounds(**fields), BuyAccelerators(**fields)
    assert got == want and hash(got) == hash(want)
    assert got.model_dump() == want.model_dump() and got.model_fields_set == want.model_fields_set
    assert got.describe() == want.describe()
    assert got.model_copy(update={"h100e": 1.0}) == want.model_copy(update={"h100e": 1.0})
    with pytest.raises(ValidationError):
        got.h100e = 2.0  # frozen, like every command


def _played(scenario):
    from sovereign.sim import SovereignModel

    model = SovereignModel(scenario, rng=5)
    model.run(3)
    return model


def test_submit_all_logs_and_queues_what_submit_one_by_one_does(baseline):
    """The AI's batch submission (bids checked by one fused rule) against `submit`, command by command."""
    batch_model, single_model = _played(baseline), _played(baseline)
    seat = next(s for s, a in batch_model.seats.items() if a.kind == "cloud")
    agent = batch_model.seats[seat]
    region = agent.state["home"]
    accelerator = baseline.accelerators[0].id
    own = agent.decide()  # the AI's own quarter: mostly bids, usually paid for in full
    bids = [c for c in own if isinstance(c, BuyAccelerators)]
    assert bids, "the cloud should bid for chips"
    crafted = [
        BuyAccelerators(accelerator=accelerator, h100e=10.0, max_price_usd=1.0, region="atlantis"),
        BuyAccelerators(accelerator="quantum", h100e=10.0, max_price_usd=1.0, region=region),
        BuyAccelerators(
            accelerator=accelerator,
            h100e=10.0,
            max_price_usd=1.0,
            region=next(r.id for i, r in enumerate(baseline.regions) if batch_model.free_h100e(seat, i, 0) <= 0),
        ),
    ]
    unaffordable = [BuyAccelerators(accelerator=accelerator, h100e=1e8, max_price_usd=1e6, region=bids[0].region)]
    for cmds in (own, crafted + own, own + unaffordable + bids):
        _submit_both_ways(batch_model, single_model, seat, cmds)
    reasons = [e["reason"] for e in batch_model.command_log if e["seat"] == seat and not e["accepted"]]
    assert any("does not exist" in r and "atlantis" in r for r in reasons)
    assert any("quantum" in r for r in reasons)
    assert any("no free datacenter space" in r for r in reasons)
    assert any("not enough cash" in r for r in reasons)


def test_the_fused_bid_rule_gives_the_first_refusal_of_the_three_rules(baseline):
    from sovereign.sim import commands as c

    model = _played(baseline)
    assert c._RULES[BuyAccelerators] == (c._bid_rules,)
    separate = (c._region_exists, c._accelerator_exists, c._has_space)
    seen = set()
    for seat, agent in model.seats.items():
        for region in [r.id for r in baseline.regions] + ["atlantis"]:
            for accelerator in [a.id for a in baseline.accelerators] + ["quantum"]:
                cmd = BuyAccelerators(accelerator=accelerator, h100e=1.0, max_price_usd=1.0, region=region)
                want = next((r for rule in separate if (r := rule(model, seat, agent, cmd)) is not None), None)
                assert c._bid_rules(model, seat, agent, cmd) == want
                seen.add(want is None or want.split()[0])
    assert seen == {True, "region", "accelerator", "no"}  # every outcome was tried


def _subsidised_batch(model):
    """A cloud's own quarter with a datacenter build at home first, where the host pays a subsidy."""
    from sovereign.sim.commands import BuildDatacenter

    seat = next(s for s, a in model.seats.items() if a.kind == "cloud")
    home = model.seats[seat].state["home"]
    model.world.subsidy[model.region_ix[home]] = 0.3
    build = BuildDatacenter(region=home, it_mw=50.0, onsite=True)
    return seat, [build, *model.seats[seat].decide()]


def _submit_both_ways(batch_model, single_model, seat, cmds) -> int:
    """Submit `cmds` as one batch to one model and one by one to the other; they must log and queue alike.

    Returns where this batch's log lines start.
    """
    start = len(batch_model.command_log)
    batch_model.submit_all(seat, cmds, "ai")
    for cmd in cmds:
        single_model.submit(seat, cmd, "ai")
    assert batch_model.command_log[start:] == single_model.command_log[start:]
    assert batch_model.pending.get(seat) == single_model.pending.get(seat)
    return start


def test_a_batch_with_a_subsidised_build_is_logged_and_queued_as_one_by_one(baseline):
    """A build the host subsidises is counted at its full cost, so its batch's bids skip the budget checks."""
    from sovereign.sim.commands import surely_affordable

    batch_model, single_model = _played(baseline), _played(baseline)
    seat, cmds = _subsidised_batch(batch_model)
    single_seat, single_cmds = _subsidised_batch(single_model)
    assert (single_seat, single_cmds) == (seat, cmds)
    assert batch_model.subsidy_for(seat, cmds[0]) > 0  # the host pays part of it
    assert surely_affordable(batch_model, seat, cmds)  # the shortcut is what is tested
    start = _submit_both_ways(batch_model, single_model, seat, cmds)
    assert batch_model.command_log[start]["accepted"]


def test_applied_orders_skip_only_budget_checks_that_could_not_refuse(baseline, monkeypatch):
    """`apply_orders` with the shortcut, against every queued command checked again one by one."""
    from sovereign.sim.phases import orders

    fast, checked = _played(baseline), _played(baseline)
    for model in (fast, checked):
        seat, cmds = _subsidised_batch(model)
        for agent in model.ai_seats():
            model.submit_all(agent.seat_id, cmds if agent.seat_id == seat else agent.decide(), "ai")
    fast_bids = orders.apply_orders(fast)
    monkeypatch.setattr(orders, "surely_affordable", lambda *args, **kwargs: False)
    checked_bids = orders.apply_orders(checked)
    assert fast_bids == checked_bids
    assert fast.command_log == checked.command_log
    assert {s: a.state["cash_busd"] for s, a in fast.seats.items()} == {
        s: a.state["cash_busd"] for s, a in checked.seats.items()
    }
    assert fast.world.projects == checked.world.projects
    assert any(p["kind"] == "build_datacenter" and p["started"] == fast.quarter for p in fast.world.projects)


def test_an_empty_batch_queues_and_logs_nothing(baseline):
    """A seat with nothing to do this quarter: no log line, no queue entry (as no `submit` call gives)."""
    model = _played(baseline)
    seat = next(iter(model.seats))
    log, pending = list(model.command_log), dict(model.pending)
    model.submit_all(seat, [], "ai")
    assert model.command_log == log
    assert dict(model.pending) == pending and seat not in model.pending


def test_every_command_but_bids_and_votes_has_its_rule_in_the_orders_table():
    """`apply_one` finds a command's rule by its class: a command missing from the table would do nothing."""
    from typing import get_args

    from sovereign.sim.commands import BuyAccelerators, Command, VoteOnApplication
    from sovereign.sim.phases import orders

    classes = set(get_args(get_args(Command)[0]))
    assert classes - {BuyAccelerators, VoteOnApplication} == set(orders._APPLY)
