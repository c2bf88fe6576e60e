"""Every scenario shipped in sovereign/scenarios/ loads without a single problem."""

from __future__ import annotations

from sovereign.data import bundled_scenarios_folder
from sovereign.scenario import ScenarioError, load_scenario

SCENARIOS = bundled_scenarios_folder()


def test_every_bundled_scenario_loads() -> None:
    """All files are checked and all their problems reported together, as `sovereign validate` would."""
    failures: list[str] = []
    for path in sorted(SCENARIOS.rglob("*.yaml")):
        try:
            load_scenario(path)
        except ScenarioError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)
