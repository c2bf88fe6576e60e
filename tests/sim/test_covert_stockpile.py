"""Covert stockpiling (`CovertAction(operation="stockpiling")`), on the tiny world.

A nation buys chips it may receive through intermediaries for a year, before the market, hidden:
not installed, in nobody's holdings, listed only in its own observation, until the year is over or
the stockpile is traced; then the chips go into its territory's halls and, if traced, it is news
and the chip producers trust it less.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sovereign.scenario.loader import load_scenario
from sovereign.sim.model import SovereignModel

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"
SECRET = {"diplomacy.reveal_base": 0.0, "diplomacy.reveal_security": 0.0}  # never traced
TRACED = {"diplomacy.reveal_base": 1.0, "diplomacy.reveal_security": 0.0}  # traced the next quarter
ORDER = {"kind": "covert_action", "operation": "stockpiling", "busd": 1.0}


def game(overrides: dict, humans=("IND", "USA")) -> SovereignModel:
    return SovereignModel(load_scenario(TINY, overrides=overrides), rng=11, human_seats=set(humans))


def test_a_stockpile_buys_out_of_sight_for_a_year_and_then_fills_the_nations_halls():
    m, twin = game(SECRET), game(SECRET)
    assert m.submit("IND", ORDER).accepted
    installed_before = m.world.dc_stock.sum(axis=0)
    m.step()
    twin.step()
    op = m.world.covert[0]
    g = m.class_ix[op["accelerator"]]
    assert op["accelerator"] == "frontier"  # the most power-efficient class India may receive
    # bought before the market: the market had that much less of the class than without it
    bought = op["stock_h100e"]
    assert bought > 0
    assert twin.results.chips.supply[g] - m.results.chips.supply[g] == pytest.approx(bought, rel=1e-9)
    assert bought <= m.scenario.diplomacy.stockpile_output_share * twin.results.chips.supply[g] + 1e-6
    assert m.seats["IND"].cash_busd == pytest.approx(twin.seats["IND"].cash_busd - 1.0)  # paid at once
    # hidden: in no hall (the world's installed chips grew by the market's sales alone, then aged a
    # quarter), in no one else's observation; in India's own
    keep = 1.0 - 1.0 / m.scenario.demand.accelerator_life_quarters
    expected = (installed_before[g] + m.results.chips.sold[g]) * keep
    assert m.world.dc_stock[:, g].sum() == pytest.approx(expected, rel=1e-9)
    assert m.observe("USA")["private"]["covert"] == []
    mine = m.observe("IND")["private"]["covert"]
    assert [r["operation"] for r in mine] == ["stockpiling"] and mine[0]["h100e"] == pytest.approx(bought)
    assert not any("stockpile" in n["headline"] for n in m.news)
    while m.quarter <= op["until"]:  # the year of buying
        m.step()
    assert op["released"] < 0  # still held
    held = op["stock_h100e"]
    m.step()  # the year is over: into India's halls as far as they have room
    assert op["released"] == m.quarter - 1
    assert op["spent_busd"] == pytest.approx(op["busd"])  # what it did not spend came back
    installed = held - op["stock_h100e"]
    assert installed > 0
    assert m.observe("USA")["private"]["covert"] == []  # never traced: still no one's business


def test_a_traced_stockpile_is_news_costs_the_producers_trust_and_goes_into_the_halls_at_once():
    m = game(TRACED)
    trust = float(m.world.trust[m.region_ix["USA"], m.region_ix["IND"]])
    assert m.submit("IND", ORDER).accepted
    m.step()
    op = m.world.covert[0]
    g = m.class_ix[op["accelerator"]]
    before = m.world.dc_stock[:, g].sum()
    bought = op["stock_h100e"]
    m.step()  # traced at the start of the quarter: it buys no more, and goes into the halls
    assert op["revealed"] == m.quarter - 1  # (the quarter just played)
    assert any("Revealed: India was behind a secret chip stockpile" in n["headline"] for n in m.news)
    assert float(m.world.trust[m.region_ix["USA"], m.region_ix["IND"]]) < trust
    assert [r["sponsor"] for r in m.observe("USA")["private"]["covert"]] == ["IND"]
    assert op["released"] >= 0
    installed = bought - op["stock_h100e"]  # as far as India's halls had room
    assert installed > 0
    keep = 1.0 - 1.0 / m.scenario.demand.accelerator_life_quarters
    expected = (before + m.results.chips.sold[g] + installed) * keep
    assert m.world.dc_stock[:, g].sum() == pytest.approx(expected, rel=1e-9)


def test_a_nation_barred_from_every_class_is_told_to_smuggle():
    caps = {
        "export_controls.tier_caps_h100e_per_quarter": {
            1: {"frontier": None, "advanced": None},
            2: {"frontier": 0, "advanced": 0},
            3: {"frontier": 0, "advanced": 5000},
        }
    }
    m = game({**SECRET, **caps})
    res = m.submit("IND", ORDER)
    assert not res.accepted and "smuggling network" in res.reason
    assert np.isfinite(m.seats["IND"].cash_busd)
