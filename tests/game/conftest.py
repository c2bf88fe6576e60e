"""Fixtures for the game-session tests: the tiny world, no display needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovereign.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "sim" / "fixtures" / "tiny.yaml"


@pytest.fixture(scope="session")
def tiny_scenario():
    return load_scenario(TINY)
