from __future__ import annotations

import pytest

from sovereign.persist import save_game
from sovereign.scenario.loader import load_scenario

from .helpers import TINY, new_game, play


@pytest.fixture(scope="session")
def tiny():
    return load_scenario(TINY)


@pytest.fixture(scope="session")
def finished(tiny):
    """The scripted game played to the end without interruption (do not modify it)."""
    return play(new_game(tiny), 8)


@pytest.fixture(scope="session")
def played(tiny):
    """The scripted game after 3 quarters, 2026Q4's commands queued (do not modify it)."""
    return play(new_game(tiny), 3)


@pytest.fixture(scope="session")
def saved_bytes(played, tmp_path_factory):
    """A valid save of `played`, as bytes."""
    path = tmp_path_factory.mktemp("saved") / "game.json.gz"
    save_game(played, path, label="fixture")
    return path.read_bytes()


@pytest.fixture
def save_file(saved_bytes, tmp_path):
    """A fresh copy of the valid save in this test's folder."""
    path = tmp_path / "game.json.gz"
    path.write_bytes(saved_bytes)
    return path
