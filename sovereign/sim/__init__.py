"""The simulation: a Mesa model of the race for sovereign AI infrastructure (imports no UI)."""

from sovereign.sim.commands import Command, command_from_dict, command_to_dict, validate_command
from sovereign.sim.model import SovereignModel

__all__ = ["Command", "SovereignModel", "command_from_dict", "command_to_dict", "validate_command"]
