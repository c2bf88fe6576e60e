"""A lab's state compute: its home nation pays for an allocation of its compute (IndiaAI, Sarvam).

`Actor.state_compute_h100e`: each quarter while the programme runs (`state_compute_until`), the home
nation pays the allocation's share of what the lab paid for compute (all of it when the lab was
served no more), as far as the nation's cash allows; the lab's spending (`paid_q`) is what is left.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sovereign.scenario import ScenarioError, load_scenario, scenario_from_dict
from sovereign.scenario.schema import Scenario
from sovereign.sim.model import SovereignModel

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"


def _model(edit=None) -> SovereignModel:
    data = load_scenario(TINY).model_dump(mode="json")
    if edit is not None:
        edit(data)
    return SovereignModel(Scenario.model_validate(data), rng=1)


def _lab(data):
    return next(a for a in data["actors"] if a["id"] == "frontierlab")


def _paid_by_state(m: SovereignModel) -> list[float]:
    """Record the state-compute transfers the model makes (wraps this model's `transfer`)."""
    seen: list[float] = []
    transfer = m.transfer

    def spy(src, dst, busd, kind):
        if kind == "state compute":
            assert (src, dst) == ("USA", "frontierlab")
            seen.append(busd)
        transfer(src, dst, busd, kind)

    m.transfer = spy  # type: ignore[method-assign]
    return seen


def test_the_home_nation_pays_the_allocations_share_of_the_labs_compute_bill():
    plain = _model()
    plain.step()
    paid = plain.seats["frontierlab"].state["paid_q"]
    served = plain.seats["frontierlab"].state["served_h100e"]
    assert paid > 0 and served > 100_000

    def edit(data):
        _lab(data)["state_compute_h100e"] = 100_000

    helped = _model(edit)
    seen = _paid_by_state(helped)
    helped.step()
    assert len(seen) == 1
    assert seen[0] == pytest.approx(paid * 100_000 / served, rel=1e-12)
    # the lab spent only what the state did not pay (the payment goes from the USA to the lab: `spy`)
    assert helped.seats["frontierlab"].state["paid_q"] == pytest.approx(paid - seen[0], rel=1e-12)
    assert helped.total_money_busd() == pytest.approx(helped.economy.initial_money_busd, rel=1e-12)


def test_an_allocation_above_what_the_lab_used_pays_all_of_it_and_only_while_the_programme_runs():
    def edit(data):
        _lab(data)["state_compute_h100e"] = 1e7  # more than it is served
        _lab(data)["state_compute_until"] = data["time"]["start"]  # one quarter

    m = _model(edit)
    seen = _paid_by_state(m)
    m.step()
    assert seen and m.seats["frontierlab"].state["paid_q"] == pytest.approx(0.0, abs=1e-12)
    m.step()
    assert len(seen) == 1  # the programme ended with its first quarter
    assert m.seats["frontierlab"].state["paid_q"] > 0


def test_a_nation_pays_no_more_than_the_cash_it_has():
    def edit(data):
        _lab(data)["state_compute_h100e"] = 1e7

    m = _model(edit)
    seen = _paid_by_state(m)
    m.seats["USA"].state["cash_busd"] = 0.001
    m.step()
    assert seen and max(seen) <= 0.001 + 1e-15


def test_state_compute_is_for_labs_only():
    data = load_scenario(TINY).model_dump(mode="json")
    cloud = next(a for a in data["actors"] if a["kind"] == "cloud")
    cloud["state_compute_h100e"] = 1000
    with pytest.raises(ScenarioError, match="only a lab's compute is paid for by its state"):
        scenario_from_dict(data)
