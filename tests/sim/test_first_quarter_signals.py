"""What a player sees before the first quarter is what the first quarter shows (issue 19 defect).

The grid's planning reserve margin, its capacity price and the industrial power price come from the
starting grid, not from a placeholder; an action's preview reads this quarter's demand even before
any market has cleared.
"""

from __future__ import annotations

import numpy as np
import pytest

from sovereign.game.actions import preview
from sovereign.scenario.catalog import resolve_scenario
from sovereign.scenario.loader import load_scenario
from sovereign.sim.commands import SetLocalisation
from sovereign.sim.model import SovereignModel


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(resolve_scenario("baseline"))


def test_power_signals_before_the_first_quarter_match_the_first_quarter(baseline):
    m = SovereignModel(baseline, rng=1, human_seats=["IND"])
    before = m.results.power
    margin, capacity, retail = before.reserve_margin.copy(), before.capacity_usd_mw_day.copy(), before.retail.copy()
    assert len(np.unique(np.round(margin, 3))) > 5, "each region its own margin, not one assumed figure"
    m.step()
    after = m.results.power
    assert np.allclose(margin, after.reserve_margin, atol=0.02)
    assert np.allclose(capacity, after.capacity_usd_mw_day, rtol=0.1, atol=5.0)
    assert np.allclose(retail, after.retail, rtol=0.02)


def test_the_localisation_preview_knows_the_regulated_demand_before_any_market(baseline):
    m = SovereignModel(baseline, rng=1, human_seats=["IND"])
    first = preview(m, "IND", SetLocalisation(enabled=True)).effects[0]
    m.step()
    later = preview(m, "IND", SetLocalisation(enabled=True)).effects[0]
    assert "(0 H100e)" not in first and first == later
