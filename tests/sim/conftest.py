from pathlib import Path

import pytest

from sovereign.data import bundled_scenarios_folder
from sovereign.scenario.loader import load_scenario

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tiny():
    return load_scenario(FIXTURES / "tiny.yaml")


@pytest.fixture(scope="session")
def baseline():
    return load_scenario(bundled_scenarios_folder() / "baseline.yaml")


@pytest.fixture
def revalidated_bids(monkeypatch):
    """Every AI bid made without the validator (`buy_accelerators_in_bounds`) is checked against it.

    Each bid is made both ways: the validator must accept its fields and give an object equal to it
    in every attribute (field values and their types, the fields set, extras, private state). The
    bids made are listed, so a test can tell the check ran.
    """
    from sovereign.sim.commands import BuyAccelerators, buy_accelerators_in_bounds
    from sovereign.sim.policy import decide

    made: list[BuyAccelerators] = []

    def checked(accelerator, h100e, max_price_usd, region, contract):
        bid = buy_accelerators_in_bounds(accelerator, h100e, max_price_usd, region, contract)
        want = BuyAccelerators(
            accelerator=accelerator, h100e=h100e, max_price_usd=max_price_usd, region=region, contract=contract
        )
        assert bid == want
        assert list(bid.__dict__.items()) == list(want.__dict__.items())
        assert [type(v) for v in bid.__dict__.values()] == [type(v) for v in want.__dict__.values()]
        assert bid.model_fields_set == want.model_fields_set
        assert bid.__pydantic_extra__ is want.__pydantic_extra__ is None
        assert bid.__pydantic_private__ is want.__pydantic_private__ is None
        made.append(bid)
        return bid

    monkeypatch.setattr(decide, "buy_accelerators_in_bounds", checked)
    return made
