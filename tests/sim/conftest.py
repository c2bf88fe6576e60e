from pathlib import Path

import pytest

from sovereign.data import bundled_scenarios_folder
from sovereign.scenario.loader import load_scenario

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tiny():
    return load_scenario(FIXTURES / "tiny.yaml")


@pytest.fixture(scope="session")
def baseline():
    return load_scenario(bundled_scenarios_folder() / "baseline.yaml")
