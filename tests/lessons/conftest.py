"""Fixtures of the lesson tests: the bundled export-control lesson, loaded once."""

from __future__ import annotations

import pytest

from sovereign.scenario.catalog import resolve_scenario
from sovereign.scenario.loader import load_scenario
from sovereign.scenario.schema import Scenario

LESSON = "export_controls"


@pytest.fixture(scope="session")
def lesson() -> Scenario:
    return load_scenario(resolve_scenario(LESSON))
