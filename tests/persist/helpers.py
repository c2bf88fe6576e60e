"""Shared helpers for the persistence tests: the tiny scenario, a scripted game, exact comparisons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sovereign.persist import record_quarter
from sovereign.persist.state import model_to_state
from sovereign.scenario.schema import quarter_label
from sovereign.sim.model import SovereignModel

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "sim" / "fixtures" / "tiny.yaml"
FIXTURES = Path(__file__).parent / "fixtures"
HUMANS = ("IND", "cloudco")

#: The scripted game of the fixtures and many tests: people play India and CloudCo; some commands
#: are refused on purpose (they are logged too); at 2026Q4 a decision and a build are queued.
PLAN: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "2026Q1": [
        ("IND", {"kind": "set_subsidy", "rate": 0.2}),
        ("IND", {"kind": "set_security_spending", "busd_per_year": 1.0}),
        ("IND", {"kind": "join_bloc", "bloc": "allies"}),
        ("IND", {"kind": "build_datacenter", "region": "USA", "it_mw": 50.0}),  # refused: not its territory
        ("cloudco", {"kind": "build_datacenter", "region": "IND", "it_mw": 200.0}),
    ],
    "2026Q2": [
        (
            "cloudco",
            {
                "kind": "buy_accelerators",
                "accelerator": "frontier",
                "h100e": 50000.0,
                "max_price_usd": 20000.0,
                "region": "USA",
            },
        ),
        ("cloudco", {"kind": "set_subsidy", "rate": 0.1}),  # refused: only nations
    ],
    "2026Q3": [
        ("IND", {"kind": "set_localisation", "enabled": True}),
        # a deal the AI answers next quarter: India pays the United States for two quarters
        (
            "IND",
            {
                "kind": "offer_deal",
                "partner": "USA",
                "deal_kind": "money_transfer",
                "quarters": 2,
                "payment_busd_per_quarter": -0.1,
            },
        ),
    ],
    "2026Q4": [
        ("IND", {"kind": "decide", "event_id": 0, "option": 1}),
        ("IND", {"kind": "build_datacenter", "region": "IND", "it_mw": 80.0}),
    ],
    "2027Q2": [("cloudco", {"kind": "raise_funding", "busd": 2.0})],
}


def submit_plan(model: SovereignModel, plan: dict[str, list[tuple[str, dict[str, Any]]]]) -> None:
    """Submit the plan's commands for the quarter about to be played."""
    for seat, command in plan.get(model.quarter_label, []):
        model.submit(seat, command)


def play(
    model: SovereignModel,
    quarters: int,
    plan: dict[str, list[tuple[str, dict[str, Any]]]] | None = None,
    record: bool = True,
) -> SovereignModel:
    """Play `quarters` quarters with the plan's human commands; queue the next quarter's ones.

    Recording each quarter's hash (as the autosaver and the CLI do) spares `save_game` a replay.
    """
    plan = PLAN if plan is None else plan
    for _ in range(quarters):
        submit_plan(model, plan)
        model.step()
        if record:
            record_quarter(model)
    if not model.done:
        submit_plan(model, plan)
    return model


def new_game(scenario: Any, seed: int = 7, humans: tuple[str, ...] = HUMANS) -> SovereignModel:
    """A fresh game of `scenario`."""
    return SovereignModel(scenario, rng=seed, human_seats=humans)


def dump(model: SovereignModel) -> str:
    """The full state as canonical JSON: equal strings mean bit-for-bit equal games."""
    return json.dumps(model_to_state(model), separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def metrics_json(model: SovereignModel) -> str:
    """Metrics tables as canonical JSON (NaN-safe exact comparison)."""
    from sovereign.persist.codec import encode

    return json.dumps(encode(model.metrics.tables()), allow_nan=False)


def label(index: int) -> str:
    """Quarter label of an absolute index."""
    return quarter_label(index)
