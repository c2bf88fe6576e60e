"""Decisions with effects (issue 13): each option of a scenario's question does what it says."""

from __future__ import annotations

import numpy as np
import pytest

from sovereign.scenario.schema import Scenario
from sovereign.sim.commands import Decide
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases.events import apply_events
from sovereign.sim.policy.decide import choose_option


def _model(tiny, injects, **kw):
    data = tiny.model_dump(mode="json")
    data["injects"] = injects
    return SovereignModel(Scenario.model_validate(data), rng=1, **kw)


def _ask(seat, options, quarter="2026Q1", kind="news", region=None, magnitude=1.0):
    return {
        "quarter": quarter,
        "kind": kind,
        "region": region or seat,
        "magnitude": magnitude,
        "headline": "A question",
        "decision": options,
    }


def test_bare_strings_are_options_without_effects(tiny):
    m = _model(tiny, [_ask("IND", ["Yes", "No"])])
    inj = m.scenario.injects[0]
    assert inj.labels == ["Yes", "No"] and inj.decision[0].cash_busd == 0 and not inj.decision[0].events


def test_an_option_costs_money_and_sets_policy(tiny):
    opts = [{"label": "Fund it", "cash_busd": -1.0, "subsidy": 0.2, "security_busd_per_year": 3.0}, "Wait"]
    m = _model(tiny, [_ask("IND", opts)], human_seats=["IND"])
    m.step()  # the question is asked in 2026Q1's events
    (event_id,) = m.pending_decisions["IND"]
    assert m.submit("IND", Decide(event_id=event_id, option=0)).accepted
    m.step()
    r = m.region_ix["IND"]
    assert m.world.subsidy[r] == pytest.approx(0.2) and m.world.security_busd[r] == pytest.approx(3.0)
    assert m.flows["out:decisions"] == pytest.approx(1.0)  # India paid $1B to the economy outside
    assert not m.economy.decisions  # answered: the question is closed


def test_an_option_the_seat_cannot_pay_for_is_refused(tiny):
    m = _model(tiny, [_ask("IND", [{"label": "Spend big", "cash_busd": -900.0}, "Wait"])], human_seats=["IND"])
    m.step()
    (event_id,) = m.pending_decisions["IND"]
    assert "not enough budget" in m.submit("IND", Decide(event_id=event_id, option=0)).reason
    assert m.submit("IND", Decide(event_id=event_id, option=1)).accepted


def test_an_option_sets_off_events_later(tiny):
    boom = {"kind": "demand_boom", "magnitude": 0.1, "after_quarters": 1, "headline": "Demand jumps"}
    m = _model(tiny, [_ask("IND", [{"label": "Launch", "events": [boom]}, "Wait"])], human_seats=["IND"])
    m.step()
    (event_id,) = m.pending_decisions["IND"]
    m.submit("IND", Decide(event_id=event_id, option=0))
    m.step()  # decided in 2026Q2: the boom is due in 2026Q3
    assert m.economy.scheduled and m.economy.scheduled[0]["quarter"] == m.quarter
    assert not any(n["headline"] == "Demand jumps" for n in m.news)
    m.step()
    assert any(n["headline"] == "Demand jumps" for n in m.news) and not m.economy.scheduled


def test_a_disruption_shield_keeps_part_of_the_fabs_running(tiny):
    shield = {"label": "Stockpile", "disruption_shield": 0.5, "shield_quarters": 2}
    hit = {"quarter": "2026Q2", "kind": "fab_disruption", "region": "USA", "magnitude": 0.8, "headline": "Blockade"}
    plain = _model(tiny, [hit])
    shielded = _model(tiny, [_ask("USA", [shield, "No"]), hit], human_seats=["USA"])
    plain.step()
    shielded.step()
    (event_id,) = shielded.pending_decisions["USA"]
    shielded.submit("USA", Decide(event_id=event_id, option=0))
    shielded.step()
    plain.step()
    g = plain.class_ix["frontier"]
    lost_plain = 1 - plain.results.chips.supply[g] / plain.results.chips.capacity[g]
    lost_shielded = 1 - shielded.results.chips.supply[g] / shielded.results.chips.capacity[g]
    assert lost_plain == pytest.approx(0.8) and lost_shielded == pytest.approx(0.4)


def test_the_ai_buys_a_shield_when_its_fabs_are_threatened(tiny):
    opts = [
        "Do nothing",
        {"label": "Stockpile", "cash_busd": -0.5, "disruption_shield": 0.3},
        {"label": "Provoke", "events": [{"kind": "fab_disruption", "region": "USA", "headline": "x"}]},
    ]
    m = _model(tiny, [_ask("USA", opts)])
    apply_events(m)
    (event_id,) = m.pending_decisions["USA"]
    usa = m.seats["USA"]
    assert choose_option(usa, event_id) == 0  # no threat: the shield is not worth its price
    m.world.supply_threat[m.region_ix["USA"]] = 0.5
    assert choose_option(usa, event_id) == 1
    m.world.fab_capacity[:] = 0.0  # nothing to protect: back to the free option
    assert choose_option(usa, event_id) == 0
    assert np.isfinite(m.world.supply_threat).all()
