"""Map layers and action previews: computed from the model, for every layer and action."""

from __future__ import annotations

import numpy as np
import pytest

from sovereign.game import fmt
from sovereign.game.actions import ACTIONS, actions_for, build_command, build_quarters, fields_for, preview
from sovereign.sim import commands as c
from sovereign.sim.model import SovereignModel
from sovereign.ui.layers import LAYERS, LayerCache, compute_layer
from sovereign.ui.theme import load_palette


@pytest.fixture(scope="module")
def played(tiny_scenario):
    m = SovereignModel(tiny_scenario, rng=3, human_seats=["IND"])
    m.step()
    return m


@pytest.mark.parametrize("palette", ["standard", "colourblind"])
@pytest.mark.parametrize("spec", LAYERS, ids=lambda s: s.key)
def test_every_layer_colours_every_region_before_and_after_a_quarter(tiny_scenario, played, spec, palette):
    pal = load_palette(palette)
    for model in (SovereignModel(tiny_scenario, rng=3), played):
        data = compute_layer(model, spec.key, pal)
        assert set(data.colors) == {r.id for r in tiny_scenario.regions}
        assert all(len(col) == 3 and all(0 <= v <= 255 for v in col) for col in data.colors.values())
        assert data.legend.title
        assert data.legend.ramp or data.legend.categories
        for i in range(len(tiny_scenario.regions)):
            assert isinstance(data.describe(i), str)


def test_layer_cache_recomputes_only_when_the_version_changes(played):
    cache = LayerCache()
    pal = load_palette()
    a = cache.get(played, "power_price", 1, pal)
    assert cache.get(played, "power_price", 1, pal) is a
    assert cache.get(played, "power_price", 2, pal) is not a


def test_actions_by_role(played):
    nation = {a.key for a in actions_for(played, "IND")}
    assert {"build_datacenter", "set_subsidy", "set_localisation", "permitting_reform"} <= nation
    assert "set_export_controls" not in nation  # India is not a chip producer in the tiny world
    assert "set_export_controls" in {a.key for a in actions_for(played, "USA")}
    firm = {a.key for a in actions_for(played, "cloudco")}
    assert "raise_funding" in firm and "set_subsidy" not in firm
    assert "build_fab" in {a.key for a in actions_for(played, "fabco")}


@pytest.mark.parametrize("seat", ["IND", "USA", "cloudco", "fabco", "frontierlab"])
def test_every_action_form_builds_a_command_with_a_preview(played, seat):
    for spec in actions_for(played, seat):
        fields = fields_for(played, seat, spec.key, "IND")
        values = {f.name: f.default for f in fields if not (f.name == "bloc" and f.default == "")}
        if spec.key in ("join_bloc", "leave_bloc", "vote_on_application") and "bloc" not in values:
            continue
        cmd = build_command(spec.key, values)
        p = preview(played, seat, cmd)
        assert p.cost_busd == pytest.approx(c.command_cost_busd(played, seat, cmd))
        verdict = c.validate_command(played, seat, cmd)  # the model's reason, with region codes
        assert p.verdict == (None if verdict is None else fmt.in_words(played.scenario, verdict))
        assert all(isinstance(e, str) and e for e in p.effects)
        for f in fields:
            if f.kind == "number":
                assert f.lo <= (f.hi if f.default is None else f.default) <= f.hi


def test_the_vote_form_offers_the_pending_applicants(tiny_scenario):
    from sovereign.sim.commands import JoinBloc, LeaveBloc
    from sovereign.sim.model import SovereignModel

    m = SovereignModel(tiny_scenario, rng=1, human_seats=["IND", "USA"])
    m.submit("IND", LeaveBloc(bloc="brics"))
    m.submit("IND", JoinBloc(bloc="allies"))
    m.step()
    fields = {f.name: f for f in fields_for(m, "USA", "vote_on_application", "USA")}
    assert fields["bloc"].choices == [("allies", "US allies")]
    assert fields["region"].choices == [("IND", "India")]
    cmd = build_command("vote_on_application", {f: v.default for f, v in fields.items()})
    assert preview(m, "USA", cmd).verdict is None
    assert m.submit("USA", cmd).accepted
    m.step()
    assert m.world.bloc_member[m.bloc_ix["allies"], m.region_ix["IND"]]


def test_preview_time_to_build_follows_the_models_rule(played):
    cmd = c.BuildDatacenter(region="IND", it_mw=100)
    n = build_quarters(played, cmd)
    r = played.region_ix["IND"]
    assert n == played.scenario.economics.datacenter_build_quarters + int(played.world.permitting_quarters[r])
    p = preview(played, "IND", cmd)
    assert p.ready is not None and p.quarters == n
    assert p.verdict is None


def test_preview_carries_the_validators_refusal(played):
    p = preview(played, "IND", c.BuildDatacenter(region="USA", it_mw=100))
    assert p.verdict and "own territory" in p.verdict


def test_all_actions_listed_have_labels_and_tooltips():
    for a in ACTIONS:
        assert a.label and len(a.tooltip) > 20


def test_reading_layers_and_previews_never_changes_the_model(played, fingerprint):
    before = fingerprint(played)
    pal = load_palette()
    for spec in LAYERS:
        compute_layer(played, spec.key, pal)
    for seat in ("IND", "cloudco"):
        for a in actions_for(played, seat):
            fields = fields_for(played, seat, a.key, "CHN")
            values = {f.name: f.default for f in fields if not (f.name == "bloc" and f.default == "")}
            try:
                preview(played, seat, build_command(a.key, values))
            except c.CommandError:
                pass
    assert fingerprint(played) == before
    assert np.isfinite(before.count("a"))
