"""Reinforcement-learning environments: PettingZoo (all seats at once) and Gymnasium (one seat).

Needs the optional extra ``rl`` (``pip install 'sovereign[rl]'``): PettingZoo and Gymnasium are
imported here, and the rest of the package never imports this one.
"""

try:
    import gymnasium
    import pettingzoo  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on what is installed
    raise ImportError(
        f"sovereign.env needs the optional 'rl' extra ({exc.name} is missing): pip install 'sovereign[rl]'"
    ) from exc

from sovereign.env.parallel import SovereignParallelEnv
from sovereign.env.rewards import VALUATION_FLOOR_BUSD, objective_value
from sovereign.env.single import SovereignSeatEnv
from sovereign.env.spaces import ACTION_FIELDS, COMMAND_KINDS, ActionCodec, ObservationEncoder

__all__ = [
    "ACTION_FIELDS",
    "COMMAND_KINDS",
    "VALUATION_FLOOR_BUSD",
    "ActionCodec",
    "ObservationEncoder",
    "SovereignParallelEnv",
    "SovereignSeatEnv",
    "objective_value",
]

#: Gymnasium id of the single-seat environment: ``gymnasium.make(SEAT_ENV_ID, scenario=..., seat=...)``.
SEAT_ENV_ID = "Sovereign/Seat-v0"
gymnasium.register(id=SEAT_ENV_ID, entry_point="sovereign.env.single:SovereignSeatEnv")
__all__ += ["SEAT_ENV_ID"]
