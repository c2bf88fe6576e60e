"""Efficiency upgrades: a datacenter owner pays once and its hall needs less energy for the same compute."""

from __future__ import annotations

import numpy as np
import pytest

from sovereign.game.actions import fields_for, preview
from sovereign.game.words import command_label
from sovereign.scenario.schema import EfficiencyUpgrade
from sovereign.sim.commands import UpgradeDatacenter
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases.orders import apply_orders
from sovereign.sim.phases.power import ai_load_mw
from sovereign.sim.policy.view import investor_view

COOLING = EfficiencyUpgrade(
    id="cooling", name="liquid cooling", energy_factor=0.9, capex_musd_per_mw=1.0, available_from="2026Q1"
)
LATER = EfficiencyUpgrade(
    id="later",
    name="later tech",
    energy_factor=0.95,
    capex_musd_per_mw=0.1,
    available_from="2030Q1",
    vendor_claim=True,
)


@pytest.fixture
def model(tiny):
    sc = tiny.model_copy(deep=True)
    sc.efficiency_upgrades = [COOLING, LATER]
    return SovereignModel(sc, rng=1, human_seats=["cloudco"])


def _hall(model, seat="cloudco"):
    return int(np.flatnonzero(model.world.dc_owner == model.seat_index(seat))[0])


def test_an_upgrade_costs_its_capex_and_cuts_the_halls_energy(model):
    w, d = model.world, _hall(model)
    cash = model.seats["cloudco"].cash_busd
    load = ai_load_mw(model)[d]
    assert model.submit("cloudco", UpgradeDatacenter(datacenter=d, upgrade="cooling")).accepted
    apply_orders(model)
    assert cash - model.seats["cloudco"].cash_busd == pytest.approx(w.dc_it_mw[d] * 1.0 / 1000.0)
    assert w.dc_energy[d] == pytest.approx(0.9) and w.dc_upgrades[d] == 1
    assert ai_load_mw(model)[d] == pytest.approx(0.9 * load)


def test_upgrades_are_refused_with_a_reason(model):
    w, d = model.world, _hall(model)
    other = _hall(model, "dragon")
    cases = [
        (UpgradeDatacenter(datacenter=other, upgrade="cooling"), "owns no datacenter"),
        (UpgradeDatacenter(datacenter=len(w.dc_owner) + 5, upgrade="cooling"), "owns no datacenter"),
        (UpgradeDatacenter(datacenter=d, upgrade="warp"), "no efficiency upgrade 'warp'"),
        (UpgradeDatacenter(datacenter=d, upgrade="later"), "available from 2030Q1"),
    ]
    for cmd, reason in cases:
        res = model.submit("cloudco", cmd)
        assert not res.accepted and reason in res.reason, (cmd, res.reason)
    w.dc_upgrades[d] = 1
    res = model.submit("cloudco", UpgradeDatacenter(datacenter=d, upgrade="cooling"))
    assert not res.accepted and "already has liquid cooling" in res.reason


def test_the_ai_installs_what_pays_back_and_only_that(model):
    model.step()  # a played quarter: prices and loads to judge by
    model.scenario.policy.upgrade_payback_years = 30.0  # a patient owner: cooling pays back in time
    model.view_cache = None
    picks = investor_view(model)["upgrade_by_seat"]
    assert picks
    for owner, (d, uid) in picks.items():
        assert model.world.dc_owner[d] == owner and uid == "cooling"  # 'later' is not available yet
    model.scenario.policy.upgrade_payback_years = 0.01
    model.view_cache = None
    assert investor_view(model)["upgrade_by_seat"] == {}


def test_the_form_preview_and_words_name_the_hall_and_the_claim(model):
    d = _hall(model)
    fields = {f.name: f for f in fields_for(model, "cloudco", "upgrade_datacenter", None)}
    assert [v for v, _ in fields["datacenter"].choices] == np.flatnonzero(
        model.world.dc_owner == model.seat_index("cloudco")
    ).tolist()
    assert [v for v, _ in fields["upgrade"].choices] == ["cooling"]  # 'later' is not available yet
    cmd = UpgradeDatacenter(datacenter=d, upgrade="cooling")
    assert command_label(model, cmd) == f"Install liquid cooling in {model.world.dc_name[d]}"
    p = preview(model, "cloudco", cmd)
    assert p.verdict is None and p.cost_busd > 0 and any("less energy" in e for e in p.effects)
