"""`SovereignSeatEnv`: one seat as a Gymnasium environment, every other seat played by the AI.

A thin view of `SovereignParallelEnv` with a single agent, for the many libraries that train one
policy on a `gymnasium.Env`. Its spaces, rewards and infos are the parallel environment's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from sovereign.env.parallel import SovereignParallelEnv
from sovereign.scenario import Scenario


class SovereignSeatEnv(gym.Env[np.ndarray, np.ndarray]):
    """A game of Sovereign with one learning seat.

    Args:
        scenario: a scenario file, a scenario name (`baseline`) or a loaded `Scenario`.
        seat: the seat the agent plays (a region id for a nation, an actor id for a firm).
        seed: the seed of the first episode, as in `SovereignParallelEnv`.
        quarters: truncate an episode after this many quarters (default: play to the end).
        difficulty: the AI seats' difficulty.
        render_mode: None or ``"ansi"``.
    """

    # render_fps: how fast a viewer replays the text frames (one quarter a second)
    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        scenario: str | os.PathLike[str] | Scenario,
        seat: str,
        seed: int | None = None,
        quarters: int | None = None,
        difficulty: str | Mapping[str, str] | None = None,
        render_mode: str | None = None,
    ) -> None:
        if not isinstance(seat, str):
            raise ValueError(f"seat must be one seat id, found {seat!r}")
        self.seat = seat
        self.parallel = SovereignParallelEnv(
            scenario, [seat], seed=seed, quarters=quarters, difficulty=difficulty, render_mode=render_mode
        )
        self.render_mode = render_mode
        self.observation_space = self.parallel.observation_space(seat)
        self.action_space = self.parallel.action_space(seat)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new game; the info holds the first ``action_mask``."""
        super().reset(seed=seed)
        observations, infos = self.parallel.reset(seed=seed, options=options)
        return observations[self.seat], infos[self.seat]

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Submit the seat's command and play one quarter."""
        observations, rewards, terminations, truncations, infos = self.parallel.step({self.seat: action})
        s = self.seat
        return observations[s], rewards[s], terminations[s], truncations[s], infos[s]

    def render(self) -> str | None:  # type: ignore[override]
        """The parallel environment's text summary (``render_mode="ansi"``)."""
        return self.parallel.render()

    def close(self) -> None:
        """Drop the game."""
        self.parallel.close()
