from __future__ import annotations

from pathlib import Path

import pytest

from sovereign.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "sim" / "fixtures" / "tiny.yaml"
#: A chip-producing nation, a nation with a scripted decision in 2026Q3, a cloud firm, a chip fab.
SEATS = ("USA", "IND", "cloudco", "fabco")


@pytest.fixture(scope="session")
def tiny():
    return load_scenario(TINY)
