"""Fixtures for every test: never read or write the real user's data folders."""

from __future__ import annotations

import pytest

from sovereign.data import SCENARIO_PATH_ENV


@pytest.fixture(autouse=True)
def _isolated_user_data(tmp_path_factory, monkeypatch):
    """Per-user folders (saves, user scenarios) point into a temporary folder, never the real home."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data-home")))
    monkeypatch.delenv(SCENARIO_PATH_ENV, raising=False)
