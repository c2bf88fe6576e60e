"""Scenarios: the pydantic schema of a world and the YAML loader with file:line errors."""

from sovereign.scenario.loader import (
    Problem,
    ScenarioError,
    load_scenario,
    scenario_from_dict,
    scenario_hash,
    scenario_to_dict,
    set_path,
)
from sovereign.scenario.schema import Scenario, quarter_index, quarter_label

__all__ = [
    "Problem",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "quarter_index",
    "quarter_label",
    "scenario_from_dict",
    "scenario_hash",
    "scenario_to_dict",
    "set_path",
]
