"""Scenarios: the pydantic schema of a world and the YAML loader with file:line errors."""

from sovereign.scenario.schema import Scenario, quarter_index, quarter_label

__all__ = ["Scenario", "quarter_index", "quarter_label"]
