"""Europe's dilemma: its seats, what its injects cover, and that its levers and decisions move the game.

The lesson says: a localisation law keeps regulated data in the country; certifying sovereign
clouds (or a national cyber centre) protects a nation from the intrusion that buying the cheapest
cloud invites; France's levy on US clouds sets off a funding winter. Each test plays a few
quarters twice from the same seed, once with each choice, and compares what the lesson says moves.
"""

from __future__ import annotations

import pytest

from sovereign.scenario.catalog import resolve_scenario
from sovereign.scenario.loader import load_scenario
from sovereign.scenario.schema import Scenario
from sovereign.sim.commands import BuildDatacenter, SetLocalisation
from sovereign.sim.model import SovereignModel

from .helpers import answer, nation, play_to

NATIONS = ["FRA", "DEU", "IRL", "NORDICS"]
FIRMS = ["mistral", "ovhcloud", "nscale", "microsoft"]


@pytest.fixture(scope="module")
def europe() -> Scenario:
    return load_scenario(resolve_scenario("europe_dilemma"))


def test_the_teams_are_four_eu_members_three_european_firms_and_a_us_cloud(europe) -> None:
    assert [t.seat for t in europe.lesson.teams] == NATIONS + FIRMS
    eu = next(b for b in europe.blocs if b.id == "eu")
    assert set(NATIONS) <= set(eu.members)
    homes = {a.id: a.home for a in europe.actors if a.id in FIRMS}
    assert homes == {"mistral": "FRA", "ovhcloud": "FRA", "nscale": "GBR", "microsoft": "USA"}
    assert {o.seat for o in europe.objectives} == {*NATIONS, *FIRMS, "all"}
    assert all(o.by == "2030Q4" for o in europe.objectives), "every objective needs the whole game"
    assert europe.shared_risk.name == "Transatlantic rift"


def test_the_injects_cover_gigafactories_grids_sovereign_clouds_power_and_chips(europe) -> None:
    text = " ".join(i.headline + " " + i.text for i in europe.injects)
    for topic in ("gigafactor", "Dublin", "sovereign cloud", "hydro power", "Taiwan", "levy on US cloud"):
        assert topic in text, topic
    asked = {i.region for i in europe.injects if i.decision}
    assert asked == set(NATIONS), "every government's team answers at least one question"


def test_a_french_localisation_law_keeps_regulated_data_in_france(europe) -> None:
    # France on easy: it sets no policy of its own, so the law is the only difference
    runs = {}
    for law in (False, True):
        m = SovereignModel(europe, rng=0, difficulty={"FRA": "easy"})
        if law:
            assert m.submit("FRA", SetLocalisation(enabled=True)).accepted
        play_to(m, "2027Q4")
        runs[law] = nation(m, "FRA", "2027Q4")
    assert runs[True]["data_governance"] == pytest.approx(1.0)
    assert runs[True]["data_governance"] > runs[False]["data_governance"] + 0.1


def test_buying_the_cheapest_cloud_invites_the_intrusion_certification_protects_against(europe) -> None:
    runs = {}
    for option in (0, 1):  # certify sovereign clouds / buy the cheapest (an intrusion three quarters later)
        m = SovereignModel(europe, rng=0, human_seats=["DEU"])
        play_to(m, "2027Q1")
        answer(m, "DEU", option, headline="Hypothetical: Berlin asks")
        play_to(m, "2028Q1")
        runs[option] = nation(m, "DEU", "2028Q1")
    assert runs[0]["security_busd"] == pytest.approx(3.0)
    assert runs[0]["cyber_resilience"] > runs[1]["cyber_resilience"] + 0.1


def test_irelands_cyber_centre_raises_its_cyber_resilience(europe) -> None:
    runs = {}
    for option in (0, 1):  # fund the centre / leave security to the tech firms
        m = SovereignModel(europe, rng=0, human_seats=["IRL"])
        play_to(m, "2026Q4")
        answer(m, "IRL", option, headline="Hypothetical: Europe's cloud capital")
        play_to(m, "2027Q4")
        runs[option] = nation(m, "IRL", "2027Q4")
    assert runs[0]["cyber_resilience"] > runs[1]["cyber_resilience"] + 0.05


def test_the_levy_on_us_clouds_pays_and_sets_off_a_funding_winter(europe) -> None:
    paid, winter = {}, {}
    for option in (0, 1):  # negotiate / levy 3% (a year's funding winter from the next quarter)
        m = SovereignModel(europe, rng=0, human_seats=["FRA"])
        play_to(m, "2028Q3")
        answer(m, "FRA", option, headline="Hypothetical: Washington threatens")
        play_to(m, "2028Q4")
        paid[option] = m.flows.get("in:decisions", 0.0)  # the ledger's flows of the quarter just played
        play_to(m, "2029Q1")
        winter[option] = m.economy.funding_winter_left
    # the levy's money reaches France's budget (an idle France's surplus then lapses to the treasury)
    assert paid == {0: 0.0, 1: pytest.approx(1.5)}
    # and a funding winter is on: fewer startups are founded and fewer rounds close while it lasts
    # (tests/sim/test_phases.py measures the founding rate; one seed's year of foundings is too few)
    assert winter[0] == 0 and winter[1] > 0


def test_own_gas_gets_a_frankfurt_hall_running_before_the_grid_queue_would(europe) -> None:
    # Nscale has no hall in Germany at the start; it orders one in the first quarter, either way
    halls = {}
    for onsite in (False, True):
        m = SovereignModel(europe, rng=0, human_seats=["nscale"])
        assert m.submit("nscale", BuildDatacenter(region="DEU", it_mw=50, onsite=onsite)).accepted
        play_to(m, "2030Q2")
        owner, deu = m.seat_ids.index("nscale"), m.region_ix["DEU"]
        halls[onsite] = int(((m.world.dc_owner == owner) & (m.world.dc_region == deu)).sum())
    # two years of permits and two of building either way; then the grid queue, unless it brings its own gas
    assert halls == {False: 0, True: 1}
