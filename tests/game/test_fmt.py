"""Number formats a player reads."""

from __future__ import annotations

import pytest

from sovereign.game import fmt


def test_mw_keeps_the_digits_that_differ() -> None:
    # issue 19 defect: the IT-load label read "1.1 GW" at two slider positions
    assert fmt.mw(1050) == "1.05 GW"
    assert fmt.mw(1100) == "1.1 GW"
    assert fmt.mw(1000) == "1.0 GW"
    assert fmt.mw(850) == "850 MW"
    assert fmt.mw(25000) == "25 GW"


@pytest.mark.parametrize(("lo", "hi", "step"), [(10, 2000, 10), (50, 5000, 50)])
def test_every_position_of_a_power_slider_has_its_own_label(lo: int, hi: int, step: int) -> None:
    # the IT-load slider (10..2000 MW by 10) and the plant-capacity slider (50..5000 MW by 50)
    labels = [fmt.mw(v) for v in range(lo, hi + 1, step)]
    assert len(set(labels)) == len(labels)
