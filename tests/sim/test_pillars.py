"""Rules of the sovereignty pillars on the tiny world (`sovereign.sim.phases.metrics.sovereignty_pillars`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sovereign.scenario.loader import load_scenario
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases import metrics
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


def test_a_states_own_halls_serve_its_own_demand_only(tiny):
    """A sovereign compute programme's campus (a datacenter owned by a nation) sells only to that
    nation's demand; a firm's halls next door sell to anyone."""
    m = SovereignModel(tiny, rng=2)
    w, ind = m.world, m.region_ix["IND"]
    g = m.class_ix["frontier"]
    kw = float(m.kw_per_h100e[g])
    for owner in (m.seat_pos["IND"], m.seat_pos["bharat"]):
        d = w.add_datacenter(ind, owner, 100.0, 1.3, "campus")
        w.dc_stock[d, g] = 50_000.0
        w.dc_kw[d] = 50_000.0 * kw
        w.dc_origin[d, m.region_ix["USA"]] = 50_000.0
    state_row, firm_row = len(w.dc_region) - 2, len(w.dc_region) - 1
    m.step()
    res = m.results.compute
    seg, alloc, clusters = res.segments, res.alloc, list(res.clusters)
    state_buyers = seg.region[alloc[:, clusters.index(state_row)] > 1e-9]
    firm_buyers = seg.region[alloc[:, clusters.index(firm_row)] > 1e-9]
    assert len(state_buyers) and set(state_buyers.tolist()) == {ind}
    assert set(firm_buyers.tolist()) - {ind}, "a firm's campus in India also serves demand from elsewhere"


def test_a_localisation_law_leaves_regulated_work_undone_when_home_halls_are_short(tiny):
    """Under the law India's regulated demand may use halls at home only; what they cannot take goes
    unserved (it is not sent abroad), so less of it is served than without the law."""
    from sovereign.scenario.schema import Scenario

    data = tiny.model_dump(mode="json")
    bharat = next(a for a in data["actors"] if a["id"] == "bharat")
    bharat["datacenters"][0]["accelerators"] = {"advanced": 5000}  # India's only halls: a quarter full
    short = Scenario.model_validate(data)
    served = {}
    for law in (False, True):
        m = SovereignModel(short, rng=2, human_seats={"IND"})
        if law:
            assert m.submit("IND", {"kind": "set_localisation", "enabled": True}).accepted
        m.step()
        seg, alloc, w = m.results.compute.segments, m.results.compute.alloc, m.world
        ind = m.region_ix["IND"]
        reg = (seg.klass == "regulated") & (seg.region == ind)
        abroad = w.dc_region[m.results.compute.clusters] != ind
        if law:
            assert float(alloc[reg][:, abroad].sum()) == 0.0
        served[law] = float(alloc[reg].sum())
        demand = float(seg.qty[reg].sum())
    assert served[True] < served[False] <= demand + 1e-6


def _served_sums_numpy(credit, host_w, owner_home, r_j, alloc, core, reg, r_k):
    """The two sums as numpy wrote them before they were compiled (`metrics._served_sums`)."""
    n_r = len(credit)
    trusted_by_region = host_w * credit[:, r_k] + (1.0 - host_w) * credit[:, owner_home]
    trusted = trusted_by_region.take(r_j, axis=0)
    trusted *= alloc
    trusted_r = np.bincount(r_j, weights=trusted.sum(1) * core, minlength=n_r)
    r_reg = r_j[reg]
    reg_alloc = alloc[reg]
    reg_alloc *= r_reg[:, None] != r_k[None, :]
    return trusted_r, np.bincount(r_reg, weights=reg_alloc.sum(1), minlength=n_r)


@pytest.mark.parametrize("seed", range(12))
def test_the_compiled_served_sums_equal_numpys_bit_for_bit(seed):
    """Row sums of 0 to ~1,100 clusters (numpy's pairwise sum splits past 128), many segments a region."""
    rng = np.random.default_rng(seed)
    n_r = int(rng.integers(1, 12))
    n_j = int(rng.integers(0, 400))
    n_k = int(rng.choice([0, 1, 7, 8, 9, 127, 128, 129, 255, 300, 1100]) if seed < 6 else rng.integers(0, 700))
    # quantities over many magnitudes, with zeros, so a reordered sum would show in the last bits
    alloc = rng.random((n_j, n_k)) * 10.0 ** rng.integers(-3, 5, (n_j, n_k))
    alloc[rng.random((n_j, n_k)) < 0.4] = 0.0
    credit = rng.random((n_r, n_r))
    host_w = float(rng.random())
    r_j = rng.integers(0, n_r, n_j)
    r_k = rng.integers(0, n_r, n_k)
    owner_home = rng.integers(0, n_r, n_k)
    core = rng.random(n_j) < 0.8
    reg = (rng.random(n_j) < 0.4) & core
    got = metrics._served_sums(credit, host_w, owner_home, r_j, alloc, core, reg, r_k)
    want = _served_sums_numpy(credit, host_w, owner_home, r_j, alloc, core, reg, r_k)
    for g, e in zip(got, want, strict=True):
        assert g.tobytes() == e.tobytes()


@pytest.mark.parametrize("seed", range(4))
def test_the_installed_chips_by_origin_add_like_numpys_bincount(seed):
    rng = np.random.default_rng(seed)
    n_r, n_d = int(rng.integers(1, 25)), int(rng.integers(0, 500))
    dc_region = rng.integers(0, n_r, n_d)
    dc_origin = rng.random((n_d, n_r)) * 10.0 ** rng.integers(-3, 6, (n_d, n_r))
    cell = (dc_region[:, None] * n_r + np.arange(n_r)[None, :]).ravel()
    want = np.bincount(cell, weights=dc_origin.ravel(), minlength=n_r * n_r).reshape(n_r, n_r)
    assert metrics._installed_by_origin(dc_region, dc_origin).tobytes() == want.tobytes()
