"""Fixtures of the lesson tests: the export-control lesson (the format's worked example) and every
bundled lesson in turn (each must validate, play and be calibrated)."""

from __future__ import annotations

import pytest

from sovereign.scenario.catalog import bundled_lessons, resolve_scenario
from sovereign.scenario.loader import load_scenario
from sovereign.scenario.schema import Scenario

LESSON = "export_controls"
#: The bundled lessons by name, each one a parameter of `each_lesson`.
LESSON_NAMES = [p.stem for p in bundled_lessons()]


@pytest.fixture(scope="session")
def lesson() -> Scenario:
    return load_scenario(resolve_scenario(LESSON))


@pytest.fixture(scope="session", params=LESSON_NAMES)
def each_lesson(request: pytest.FixtureRequest) -> Scenario:
    """Every bundled lesson, loaded once per test session."""
    return load_scenario(resolve_scenario(request.param))
