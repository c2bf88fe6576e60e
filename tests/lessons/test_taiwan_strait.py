"""When the chips stop: the Taiwan Strait lesson's seats, its injects, and that its decisions move the game.

The quarantine itself is what the chip validation measures (docs/validation.md), so it is held
here exactly as the validation assumes it. The decisions around it are the lesson's: a stockpile
keeps part of Taiwan's fabs running in the quarantine, a published warning makes buyers stockpile
(and the chip price rise) before it, and cyber pressure costs Taiwan money and resilience. Each
test plays the same seed twice, the seat's answer scripted one way and the other (every other seat
and every other choice left to the AI), and compares what the lesson says moves.
"""

from __future__ import annotations

import pytest

from sovereign.data import bundled_scenarios_folder
from sovereign.scenario.catalog import resolve_scenario
from sovereign.scenario.loader import load_scenario
from sovereign.scenario.schema import Scenario
from sovereign.sim.commands import Decide
from sovereign.sim.model import SovereignModel
from sovereign.sim.policy.decide import choose_option

from .helpers import nation, pending_event, play_to, world

SEATS = ["TWN", "CHN", "USA", "JPN", "IND", "samsung_foundry"]
SEED = 3


@pytest.fixture(scope="module")
def strait() -> Scenario:
    return load_scenario(resolve_scenario("taiwan_strait"))


def played(
    strait: Scenario, seat: str, quarter: str, option: int | None, until: str, human: bool = False
) -> SovereignModel:
    """The lesson played to `until` with the seat's answer to the `quarter` question scripted.

    `option` None leaves the answer to the AI. The scripted answer is queued before the AI's own,
    which the model then refuses as a second answer: the seat is otherwise the AI's, unless
    `human` (then people hold it and do nothing else, so the AI's spending cannot empty its purse).
    """
    model = SovereignModel(strait, rng=SEED, human_seats=[seat] if human else [])
    play_to(model, quarter)
    event = pending_event(model, seat, quarter)
    if option is not None:
        assert model.submit(seat, Decide(event_id=event, option=option)).accepted
    play_to(model, until)
    return model


def test_the_lesson_moved_to_the_lessons_folder_and_keeps_its_name(strait) -> None:
    assert resolve_scenario("taiwan_strait") == bundled_scenarios_folder() / "lessons" / "taiwan_strait.yaml"
    assert not (bundled_scenarios_folder() / "taiwan_strait.yaml").exists()
    assert strait.meta.id == "taiwan_strait" and strait.lesson is not None


def test_the_teams_and_what_the_injects_cover(strait) -> None:
    assert [t.seat for t in strait.lesson.teams] == SEATS
    assert [o.seat for o in strait.objectives] == [*["TWN", "CHN", "USA", "JPN", "IND", "samsung_foundry"], "all"]
    text = " ".join(i.headline + " " + i.text for i in strait.injects)
    for topic in ("quarantine", "CoWoS", "high-bandwidth memory", "allocation", "licence", "stockpile", "rations"):
        assert topic in text, topic
    asked = {i.quarter: (i.region or i.actor) for i in strait.injects if i.decision}
    assert asked == {
        "2026Q3": "USA",
        "2027Q1": "TWN",
        "2027Q2": "JPN",
        "2027Q3": "CHN",
        "2027Q4": "USA",
        "2028Q2": "TWN",
        "2029Q1": "IND",
    }
    assert strait.shared_risk is not None and strait.shared_risk.name == "Strait crisis risk"


def test_the_quarantine_is_the_one_the_chip_validation_measures(strait) -> None:
    """docs/validation.md's shock facts assume this disruption: kind, region, size, timing, recovery."""
    shock = [
        (i.quarter, i.kind, i.region, i.magnitude)
        for i in strait.injects
        if i.kind in ("fab_disruption", "export_escalation")
    ]
    assert shock == [
        ("2027Q3", "fab_disruption", "TWN", 0.9),
        ("2027Q4", "fab_disruption", "TWN", 0.6),
        ("2027Q4", "export_escalation", None, 0.5),
        ("2028Q1", "fab_disruption", "TWN", 0.3),
    ]
    [drills] = [i for i in strait.injects if i.kind == "supply_threat"]
    assert (drills.quarter, drills.region, drills.magnitude) == ("2027Q1", "TWN", 0.5)
    assert [o.disruption_shield for o in drills.decision] == [0.2, 0.1, 0.0]


@pytest.fixture(scope="module")
def stockpile(strait) -> dict[str, SovereignModel]:
    """Taiwan's answer to the 2027Q1 drills: stockpiles, or stay quiet; played through the quarantine.

    Taiwan is held by people who answer and do nothing else: the AI spends Taiwan's small budget on
    subsidies and campuses, and whether $1B is left in 2027 depends on the seed, not on the rule tested.
    """
    return {
        "stockpile": played(strait, "TWN", "2027Q1", 0, "2027Q3", human=True),
        "quiet": played(strait, "TWN", "2027Q1", 2, "2027Q3", human=True),
    }


def test_taiwans_stockpile_keeps_part_of_its_fabs_running_in_the_quarantine(stockpile, strait) -> None:
    frontier = stockpile["stockpile"].class_ix["frontier"]
    kept = {k: m.results.chips.supply[frontier] / m.results.chips.capacity[frontier] for k, m in stockpile.items()}
    # 90% of Taiwan's output lost without stocks; a fifth of it kept running with them (0.9 x 0.8 = 72% lost)
    assert kept["stockpile"] > kept["quiet"] * 1.5, kept
    # and it cost Taiwan's budget the $1B the option says, paid when the answer is carried out (in
    # 2027Q2): read from the ledger's flows of that quarter, because Taiwan's AI spends its whole
    # budget every quarter (what it pays for the stockpile it does not spend elsewhere), so its
    # cash alone would not show the price
    paid = {}
    for answer, option in (("stockpile", 0), ("quiet", 2)):
        model = played(strait, "TWN", "2027Q1", option, "2027Q2", human=True)
        assert model.quarter_label == "2027Q3"  # 2027Q2 is the quarter just played
        paid[answer] = model.flows.get("out:decisions", 0.0)
    assert paid["stockpile"] - paid["quiet"] == pytest.approx(1.0, abs=1e-9)


def test_the_ai_buys_the_stockpile_when_the_drills_raise_the_threat(strait) -> None:
    model = SovereignModel(strait, rng=SEED)
    play_to(model, "2027Q1")
    event = pending_event(model, "TWN", "2027Q1")
    assert model.world.supply_threat[model.region_ix["TWN"]] > 0.3  # the drills' 0.5, a quarter faded
    taiwan = model.seats["TWN"]
    # the stockpile costs $1B; the AI answers with the best option it can pay for
    taiwan.state["cash_busd"] = 0.5
    assert choose_option(taiwan, event) != 0
    taiwan.state["cash_busd"] = 2.0
    assert choose_option(taiwan, event) == 0


def test_publishing_the_warning_makes_buyers_stockpile_and_the_chip_price_rise(strait) -> None:
    """Answered in 2026Q3, published in 2026Q4; buyers bid for reserves in 2027Q1, before the drills."""
    runs = {k: played(strait, "USA", "2026Q3", option, "2026Q4") for k, option in (("classified", 0), ("published", 1))}
    twn = {k: float(m.world.supply_threat[m.region_ix["TWN"]]) for k, m in runs.items()}
    assert twn["classified"] == 0.0 and twn["published"] > 0.2, twn
    for m in runs.values():
        play_to(m, "2027Q1")
    price = {k: world(m, "2027Q1")["chip_price_frontier_usd"] for k, m in runs.items()}
    assert price["published"] > price["classified"] * 1.1, price  # the spot price of a scramble for reserves


def test_chinas_cyber_pressure_costs_taiwan_money_and_resilience(strait) -> None:
    runs = {k: played(strait, "CHN", "2027Q3", option, "2027Q4") for k, option in (("inspections", 0), ("cyber", 1))}
    calm, hit = (nation(runs[k], "TWN", "2027Q4") for k in ("inspections", "cyber"))
    assert hit["cyber_resilience"] < calm["cyber_resilience"] - 0.05
    assert hit["budget_busd"] < calm["budget_busd"] - 1.0  # $4B before Taiwan's defences
