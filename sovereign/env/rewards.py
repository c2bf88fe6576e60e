"""Rewards: each seat is paid the change in its own objective over the quarter just played.

- A nation's objective is its sovereignty index (DESIGN.md, "Sovereignty and goals"), in [0, 1].
  Before the first quarter no index exists (the markets have not cleared yet), so it counts as 0:
  a nation's first reward is its first index, and the sum of its rewards over an episode is its
  index in the last quarter played. That keeps the credit for what it does in the first quarter
  (a security budget or a subsidy moves the index at once) instead of discarding it.
- A firm's objective is its valuation, the figure the model's investors set from revenue and
  cash. Its reward is the change in valuation divided by its valuation at the start of the
  episode (at least `VALUATION_FLOOR_BUSD`), so the return is its relative growth: a giant and a
  startup are paid on the same scale. A firm that leaves the game is worth 0 from then on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The smallest valuation a firm's rewards are divided by ($B), so a firm worth nearly nothing at
#: the start does not get rewards of thousands for a few million dollars of growth.
VALUATION_FLOOR_BUSD = 1.0


def objective_value(seat: str, observation: Mapping[str, Any]) -> float:
    """The seat's objective as its observation shows it: sovereignty index or valuation ($B)."""
    private, public = observation["private"], observation["public"]
    if private["kind"] == "nation":
        for row in public["nations"]:
            if row.get("region") == seat:
                return float(row["sovereignty_index"])
        return 0.0  # no quarter played yet
    return float(private["state"].get("valuation_busd", 0.0))


def reward_scale(seat_kind: str, start_value: float) -> float:
    """What a change of the objective is divided by: 1 for nations, the start valuation for firms."""
    if seat_kind == "nation":
        return 1.0
    return max(start_value, VALUATION_FLOOR_BUSD)
