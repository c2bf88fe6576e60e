"""Secure by design: the cyber lesson's seats, its injects, and that its levers and decisions move the game.

The lesson says: security spending lowers what an incident costs and keeps cyber resilience up;
paying a ransom or buying untrusted gear brings a second incident; an ally below the allies'
security standard loses their trust; a security pact's shared threat intelligence makes the worm
cost less. Each test plays the same seed twice, once with each choice, and compares what the
lesson says moves. Seats whose answer is scripted are played as team seats (the AI would reset a
nation's security spending to its own target the next quarter; a team keeps what it chose).
"""

from __future__ import annotations

import pytest

from sovereign.scenario.catalog import resolve_scenario
from sovereign.scenario.loader import load_scenario
from sovereign.scenario.schema import Scenario
from sovereign.sim.commands import AnswerDeal, OfferDeal, SetSecuritySpending
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases.diplomacy import below_floor

from .helpers import answer, nation, play_to

SEATS = ["USA", "CHN", "RUS", "TWN", "GBR", "IRL"]
SEED = 2


@pytest.fixture(scope="module")
def cyber() -> Scenario:
    return load_scenario(resolve_scenario("secure_by_design"))


def decided(cyber: Scenario, seat: str, quarter: str, option: int, until: str) -> SovereignModel:
    """The lesson to `until`, the seat a team seat that answers the `quarter` question with `option`."""
    model = SovereignModel(cyber, rng=SEED, human_seats=[seat])
    play_to(model, quarter)
    answer(model, seat, option, quarter=quarter)
    play_to(model, until)
    return model


def test_the_teams_and_what_the_injects_cover(cyber) -> None:
    assert [t.seat for t in cyber.lesson.teams] == SEATS
    assert [o.seat for o in cyber.objectives] == [*SEATS, "all"]
    text = " ".join(i.headline + " " + i.text for i in cyber.injects)
    for topic in ("Promptfoo", "defence-grade", "Department of Defense", "ransomware", "worm", "threat intelligence"):
        assert topic in text, topic
    asked = {i.quarter: (i.region or i.actor) for i in cyber.injects if i.decision}
    assert asked == {
        "2026Q2": "USA",
        "2026Q4": "IRL",
        "2027Q2": "TWN",
        "2027Q4": "CHN",
        "2028Q3": "RUS",
        "2029Q1": "GBR",
    }
    incidents = [i for i in cyber.injects if i.kind == "cyber_incident"]
    assert len(incidents) >= 5 and {i.region for i in incidents} >= {"USA", "GBR", "IRL", "TWN"}
    assert cyber.events.cyber_incident > 0.04, "a wave: more random incidents than the baseline"
    [allies] = [b for b in cyber.blocs if b.id == "us_allies"]
    assert allies.security_floor == pytest.approx(0.4)
    assert cyber.shared_risk is not None and cyber.shared_risk.name == "Systemic cyber risk"


def test_irelands_security_programme_keeps_its_resilience_up_and_the_worm_cheaper(cyber) -> None:
    runs = {k: decided(cyber, "IRL", "2026Q4", option, "2028Q2") for k, option in (("secure", 0), ("nothing", 2))}
    secure, nothing = (nation(runs[k], "IRL", "2027Q1") for k in ("secure", "nothing"))
    assert secure["security_busd"] == pytest.approx(0.3) and nothing["security_busd"] == pytest.approx(0.1)
    assert secure["cyber_resilience"] > nothing["cyber_resilience"] + 0.2
    # the 2028Q2 worm hits both; with its defences up Ireland comes out of it more resilient
    assert (
        nation(runs["secure"], "IRL", "2028Q2")["cyber_resilience"]
        > nation(runs["nothing"], "IRL", "2028Q2")["cyber_resilience"]
    )


def test_paying_the_ransom_brings_the_group_back(cyber) -> None:
    runs = {k: decided(cyber, "IRL", "2026Q4", option, "2027Q3") for k, option in (("ransom", 1), ("nothing", 2))}
    again = "Hypothetical: the same ransomware group hits Dublin again"
    assert any(n["headline"] == again for n in runs["ransom"].news)
    assert not any(n["headline"] == again for n in runs["nothing"].news)
    assert (
        nation(runs["ransom"], "IRL", "2027Q3")["cyber_resilience"]
        < nation(runs["nothing"], "IRL", "2027Q3")["cyber_resilience"]
    )


def test_taiwans_cheap_gear_has_a_back_door(cyber) -> None:
    runs = {k: decided(cyber, "TWN", "2027Q2", option, "2028Q2") for k, option in (("defended", 0), ("cheap", 1))}
    back_door = "Hypothetical: a back door in Taiwanese datacenter switches is exploited"
    assert any(n["headline"] == back_door for n in runs["cheap"].news)
    defended, cheap = (nation(runs[k], "TWN", "2028Q1") for k in ("defended", "cheap"))
    assert cheap["cyber_resilience"] < defended["cyber_resilience"] - 0.1


def test_an_ally_below_the_standard_loses_the_allies_trust(cyber) -> None:
    """The UK as a team seat: one game it keeps its 2026 spending, the other it cuts it to nothing."""
    runs = {}
    for key, busd in (("kept", None), ("cut", 0.0)):
        model = SovereignModel(cyber, rng=SEED, human_seats=["GBR"])
        if busd is not None:
            assert model.submit("GBR", SetSecuritySpending(busd_per_year=busd)).accepted
        play_to(model, "2027Q1")
        runs[key] = model
    allies = next(b for b, bloc in enumerate(cyber.blocs) if bloc.id == "us_allies")
    gbr = runs["cut"].region_ix["GBR"]
    assert below_floor(runs["cut"], allies)[gbr] and not below_floor(runs["kept"], allies)[gbr]
    usa, jpn = runs["cut"].region_ix["USA"], runs["cut"].region_ix["JPN"]
    for ally in (usa, jpn):
        assert runs["cut"].world.trust[ally, gbr] < runs["kept"].world.trust[ally, gbr] - 0.02


def test_a_security_pact_softens_the_worm(cyber) -> None:
    """The UK and Ireland as team seats, with and without a pact signed in 2026, hit by the 2028Q2 worm."""
    runs = {}
    for key in ("pact", "alone"):
        model = SovereignModel(cyber, rng=SEED, human_seats=["GBR", "IRL"])
        if key == "pact":
            offer = OfferDeal(partner="IRL", deal_kind="security_pact", quarters=20)
            assert model.submit("GBR", offer).accepted
            model.step()
            [deal] = [d for d in model.world.deals if d["kind"] == "security_pact" and d["proposer"] == "GBR"]
            assert model.submit("IRL", AnswerDeal(deal=deal["id"], accept=True)).accepted
        play_to(model, "2028Q2")
        assert (key == "pact") == any(
            d["kind"] == "security_pact" and d["status"] == "active"
            for d in model.world.deals
            if d["proposer"] == "GBR"
        )
        runs[key] = nation(model, "GBR", "2028Q2")["cyber_resilience"]
    assert runs["pact"] > runs["alone"], runs
