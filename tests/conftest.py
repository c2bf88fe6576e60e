"""Fixtures for every test: never read or write the real user's data folders."""

from __future__ import annotations

import pytest
from hypothesis import settings

from sovereign.data import SCENARIO_PATH_ENV


@pytest.fixture(autouse=True)
def _isolated_user_data(tmp_path_factory, monkeypatch):
    """Per-user folders (saves, user scenarios) point into a temporary folder, never the real home."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data-home")))
    monkeypatch.delenv(SCENARIO_PATH_ENV, raising=False)


# Property tests draw the same examples on every run (`derandomize`): the suite's verdict is the
# same on every machine and every run, so a green run means what it says and a CI run cannot fail on
# an example nobody has seen. To search new ground, run with `--hypothesis-profile=explore`
# (random examples; 1,000 for tests that do not set their own count); what it finds becomes a fix
# with an explicit `@example`.
settings.register_profile("default", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=1000)
settings.load_profile("default")
