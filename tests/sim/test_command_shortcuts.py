"""Faster ways to make and cost commands: each must give exactly what the plain way gives."""

import numpy as np
import pytest
from pydantic import ValidationError

from sovereign.sim.commands import BuyAccelerators, buy_accelerators


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
