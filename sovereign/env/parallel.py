"""`SovereignParallelEnv`: the game as a PettingZoo `ParallelEnv`, one step per quarter.

Everyone moves at once, as in the model: `step(actions)` submits one command for each learning
seat, then plays the quarter, in which every other seat is played by the model's AI. The spaces
and their encodings are in `sovereign.env.spaces`, the rewards in `sovereign.env.rewards`;
`docs/rl.md` describes both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from sovereign.env.rewards import objective_value, reward_scale
from sovereign.env.spaces import ActionCodec, ObservationEncoder
from sovereign.scenario import Scenario, load_scenario
from sovereign.scenario.catalog import ScenarioNotFoundError, resolve_scenario
from sovereign.scenario.loader import Problem, ScenarioError
from sovereign.sim import SovereignModel, command_to_dict


def load_named_scenario(ref: str | os.PathLike[str]) -> Scenario:
    """Load a scenario named by a path or a name (``baseline``); a missing one is a `ScenarioError`."""
    try:
        path = resolve_scenario(ref)
    except ScenarioNotFoundError as exc:
        raise ScenarioError([Problem(os.fspath(ref), None, None, "", str(exc).split(": ", 1)[-1])]) from None
    return load_scenario(path)


class SovereignParallelEnv(ParallelEnv[str, np.ndarray, np.ndarray]):
    """A game of Sovereign in which the seats in `seats` are learning agents.

    Args:
        scenario: a scenario file, a scenario name (`baseline`) or a loaded `Scenario`.
        seats: the seats the agents play: region ids for nations (``"IND"``), actor ids for firms
            (``"cloudco"``); every other seat is played by the model's AI.
        seed: the seed of the first episode (``reset()`` without a seed); later unseeded resets
            draw their seeds from it, so a sequence of episodes is reproducible. ``reset(seed=s)``
            makes the model with ``rng=s`` (`episode_seed` is the current episode's seed).
        quarters: end an episode after this many quarters (truncated); default: at the scenario's
            end (terminated).
        difficulty: the AI seats' difficulty, as `SovereignModel` takes it.
        render_mode: None, or ``"ansi"`` for a text summary of the seats' objectives.

    Raises:
        ValueError: no seats, an unknown or repeated seat, a bad quarter count or render mode.
        ScenarioError: the scenario file cannot be read or is invalid.

    Each step's ``infos[agent]`` holds ``action_mask`` (one int8 array per action field, as
    `MultiDiscrete.sample(mask=...)` takes it; see `ActionCodec.mask`), ``command`` (the decoded
    command as a dict, None for a no-op), ``refused`` (the reasons of any refusal this quarter: by
    the decoder, by the validator at submission, or when applied because the money had gone),
    ``objective`` (sovereignty index or valuation) and ``quarter`` (the next quarter to play).
    """

    metadata: ClassVar[dict[str, Any]] = {"name": "sovereign_v0", "render_modes": ["ansi"], "is_parallelizable": True}

    def __init__(
        self,
        scenario: str | os.PathLike[str] | Scenario,
        seats: Sequence[str],
        seed: int | None = None,
        quarters: int | None = None,
        difficulty: str | Mapping[str, str] | None = None,
        render_mode: str | None = None,
    ) -> None:
        self.scenario = scenario if isinstance(scenario, Scenario) else load_named_scenario(scenario)
        known = [r.id for r in self.scenario.regions] + [a.id for a in self.scenario.actors]
        seats = [seats] if isinstance(seats, str) else list(seats)
        if not seats:
            raise ValueError("give at least one seat to play (a region id for a nation, an actor id for a firm)")
        unknown = [s for s in seats if s not in known]
        if unknown:
            raise ValueError(f"unknown seat(s) {', '.join(map(repr, unknown))}; seats are {', '.join(known)}")
        if len(set(seats)) != len(seats):
            raise ValueError(f"each seat can be played by one agent only, found {seats}")
        if quarters is not None and (isinstance(quarters, bool) or not isinstance(quarters, int) or quarters < 1):
            raise ValueError(f"quarters must be a whole number of at least 1, found {quarters!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            modes = self.metadata["render_modes"]
            raise ValueError(f"render_mode must be None or one of {modes}, found {render_mode!r}")
        self.possible_agents: list[str] = seats
        self.agents: list[str] = []
        self.quarters = quarters
        self.difficulty = difficulty
        self.render_mode = render_mode
        self.encoder = ObservationEncoder(self.scenario)
        self.codec = ActionCodec(self.scenario)
        # one space object per agent, so seeding one agent's space leaves the others' alone
        self._observation_spaces = {
            a: spaces.Box(self.encoder.space.low, self.encoder.space.high, dtype=np.float32) for a in seats
        }
        self._action_spaces = {a: spaces.MultiDiscrete(self.codec.space.nvec) for a in seats}
        self._seed = seed
        self._seeds: np.random.Generator | None = None
        #: The seed the current episode's model was made with.
        self.episode_seed: int | None = None
        self.model: SovereignModel | None = None
        self._views: dict[str, dict[str, Any]] = {}
        self._objective: dict[str, float] = {}
        self._scale: dict[str, float] = {}
        self._played = 0

    def observation_space(self, agent: str) -> spaces.Box:
        """The agent's observation space (`ObservationEncoder.feature_names` names its features)."""
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.MultiDiscrete:
        """The agent's action space (`sovereign.env.spaces.ACTION_FIELDS` names its fields)."""
        return self._action_spaces[agent]

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        """Start a new game at the scenario's first quarter."""
        if seed is None and self._seeds is None:
            seed = self._seed
        if seed is not None:
            self._seeds = np.random.default_rng(seed)
            episode_seed = int(seed)
        else:
            if self._seeds is None:
                self._seeds = np.random.default_rng()
            episode_seed = int(self._seeds.integers(2**63))
        self.episode_seed = episode_seed
        self.model = SovereignModel(
            self.scenario, rng=episode_seed, human_seats=tuple(self.possible_agents), difficulty=self.difficulty
        )
        self.agents = list(self.possible_agents)
        self._played = 0
        self._views = {a: self.model.observe(a) for a in self.agents}
        self._objective = {a: objective_value(a, v) for a, v in self._views.items()}
        self._scale = {a: reward_scale(v["private"]["kind"], self._objective[a]) for a, v in self._views.items()}
        public = self.encoder.encode_public(self._views[self.agents[0]]["public"])  # the same for all
        observations = {a: self.encoder.encode(v, public) for a, v in self._views.items()}
        infos = {a: self._info(a, command=None, refused=[]) for a in self.agents}
        return observations, infos

    def step(
        self, actions: Mapping[str, Any]
    ) -> tuple[
        dict[str, np.ndarray],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        """Submit each live agent's command (a missing action is a no-op), then play one quarter."""
        model = self.model
        if model is None or not self.agents:
            raise RuntimeError("the episode is over (or has not started): call reset()")
        stray = [a for a in actions if a not in self.agents]
        if stray:
            raise ValueError(f"actions for agents that are not playing: {', '.join(map(str, stray))}")
        quarter = model.quarter_label
        commands: dict[str, dict[str, Any] | None] = {}
        refused: dict[str, list[str]] = {}
        for agent in self.agents:
            commands[agent], refused[agent] = None, []
            if agent not in actions:
                continue
            try:
                cmd = self.codec.decode(actions[agent], agent, self._views[agent])
            except ValueError as exc:
                refused[agent].append(str(exc))
                continue
            if cmd is None:
                continue
            commands[agent] = command_to_dict(cmd)
            result = model.submit(agent, cmd)
            if not result.accepted:
                refused[agent].append(result.reason)
        model.step()
        self._played += 1
        observations: dict[str, np.ndarray] = {}
        rewards: dict[str, float] = {}
        terminations: dict[str, bool] = {}
        truncations: dict[str, bool] = {}
        infos: dict[str, dict[str, Any]] = {}
        public: np.ndarray | None = None  # public features: encoded once, they are the same for all
        for agent in self.agents:
            left = agent not in model.seats  # a firm that went bankrupt
            if left:
                value = 0.0
            else:
                view = self._views[agent] = model.observe(agent)
                value = objective_value(agent, view)
                # refusals at submission are already listed; add those made when it was applied
                refused[agent] += [
                    c["reason"]
                    for c in view["private"]["recent_commands"]
                    if c["quarter"] == quarter and c.get("stage") == "apply" and not c["accepted"]
                ]
            rewards[agent] = (value - self._objective[agent]) / self._scale[agent]
            self._objective[agent] = value
            if left:
                observations[agent] = self.encoder.encode(self._views[agent])  # its last view
            else:
                if public is None:
                    public = self.encoder.encode_public(self._views[agent]["public"])
                observations[agent] = self.encoder.encode(self._views[agent], public)
            terminations[agent] = left or model.done
            truncations[agent] = not terminations[agent] and self.quarters is not None and self._played >= self.quarters
            infos[agent] = self._info(agent, command=commands[agent], refused=refused[agent])
        self.agents = [a for a in self.agents if not (terminations[a] or truncations[a])]
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | None:
        """With ``render_mode="ansi"``, one line per seat: its objective this quarter."""
        if self.render_mode != "ansi" or self.model is None:
            return None
        lines = [f"{self.scenario.meta.title}, before {self.model.quarter_label}"]
        for agent in self.possible_agents:
            what = "sovereignty index" if self._views[agent]["private"]["kind"] == "nation" else "valuation $B"
            lines.append(f"  {agent}: {what} {self._objective.get(agent, 0.0):.4g}")
        return "\n".join(lines)

    def close(self) -> None:
        """Drop the model (nothing else is held open)."""
        self.model = None
        self.agents = []

    def _info(self, agent: str, command: dict[str, Any] | None, refused: list[str]) -> dict[str, Any]:
        view = self._views[agent]
        return {
            "action_mask": self.codec.mask(agent, view),
            "command": command,
            "refused": list(refused),
            "objective": self._objective[agent],
            "quarter": view["public"]["quarter"],
        }
