"""Rules of the sovereignty pillars on the tiny world (`sovereign.sim.phases.metrics.sovereignty_pillars`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovereign.scenario.loader import load_scenario
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases.metrics import sovereignty_pillars

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(TINY)


def test_data_governance_counts_what_is_processed_abroad_at_half_and_a_law_keeps_it_all(tiny):
    """India's regulated data processed abroad costs half its share; with a localisation law none leaves."""
    free = SovereignModel(tiny, rng=2)
    free.step()
    seg, alloc, w = free.results.compute.segments, free.results.compute.alloc, free.world
    ind = free.region_ix["IND"]
    reg = (seg.klass == "regulated") & (seg.region == ind)
    abroad = (w.dc_region[free.results.compute.clusters][None, :] != ind) * alloc
    share_abroad = float(abroad[reg].sum() / seg.qty[reg].sum())
    got = float(sovereignty_pillars(free)["data_governance"][ind])
    assert got == pytest.approx(1.0 - (1.0 - tiny.sovereignty.abroad_credit) * share_abroad)
    assert share_abroad > 0, "in the tiny world India's regulated demand is partly served abroad"
    law = SovereignModel(tiny, rng=2, human_seats={"IND"})
    assert law.submit("IND", {"kind": "set_localisation", "enabled": True}).accepted
    law.step()
    assert float(sovereignty_pillars(law)["data_governance"][ind]) == pytest.approx(1.0)
