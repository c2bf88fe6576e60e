"""Mesa agents: the seats of the game. Agents decide, arrays compute.

Every seat is a Mesa agent holding a JSON-able ``state`` dict (cash, memory) and, when no human
plays it, an AI policy from `sovereign.sim.policy.decide`. Policies only return commands; the
model validates and applies them like a player's. Difficulty levels (what the AI knows and how
boldly it acts) are documented in `sovereign.sim.policy.difficulty`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sovereign.sim.commands import Command
from sovereign.sim.policy import decide
from sovereign.sim.policy.deals import answer_offers
from sovereign.sim.policy.difficulty import DIFFICULTY

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel


class SeatAgent(mesa.Agent):  # type: ignore[misc]  # mesa ships no types: its Agent is Any
    """A seat of the game: a nation or a firm. Its AI policy decides when no human does."""

    kind = "seat"
    #: The AI policy of this kind of seat.
    policy: Callable[[SeatAgent], list[Command]] | None = None

    def __init__(self, model: SovereignModel, seat_id: str, state: dict[str, Any]) -> None:
        super().__init__(model)
        self.model: SovereignModel = model
        self.seat_id = seat_id
        self.state = state

    @property
    def name(self) -> str:
        """Display name."""
        return str(self.state["name"])

    @property
    def cash_busd(self) -> float:
        """Cash (firms) or unspent budget (nations), $B."""
        return float(self.state["cash_busd"])

    @property
    def params(self) -> dict[str, Any]:
        """The difficulty parameters of this seat's AI."""
        return DIFFICULTY[self.difficulty]

    @property
    def difficulty(self) -> str:
        """This seat's AI difficulty: its own setting, else the game's."""
        return str(self.state.get("difficulty") or self.model.difficulty)

    def decide(self) -> list[Command]:
        """This quarter's commands from the AI policy, and its answers to the deals offered to it."""
        policy = type(self).policy
        cmds = policy(self) if policy is not None else []
        if self.model.world.deals:
            cmds.extend(answer_offers(self))
        return cmds

    # -- what the policy perceives ------------------------------------------------------------
    def signal(self, key: str) -> Any:
        """A market signal as this AI perceives it (possibly stale on easy)."""
        hist = self.model.metrics.signals
        lag = self.params["lag"]
        if len(hist) >= lag:
            return hist[-lag][key]
        return self.model.signals_now()[key]

    def noise(self) -> float:
        """Multiplicative misjudgement: 1 on hard, N(1, sd) otherwise."""
        sd = self.params["noise"]
        return float(self.model.rngs["agents"].normal(1.0, sd)) if sd > 0 else 1.0

    def noises(self, n: int, sd: float) -> np.ndarray:
        """`n` misjudgement factors N(1, sd), drawn in one call (all 1 when sd is 0), as an array.

        An array, as the compiled bid loop takes it (`policy.chip_bids`); a caller that reads the
        factors one at a time in Python makes a list of them (``tolist``), which indexes faster.
        """
        return self.model.rngs["agents"].normal(1.0, sd, n) if sd > 0 else np.ones(n)


class Nation(SeatAgent):
    """A government: subsidies, data law, security, grid, sovereign compute, alliances, controls."""

    kind = "nation"
    policy = staticmethod(decide.nation)


class Conglomerate(SeatAgent):
    """A diversified group (Adani, Reliance, Tata, SoftBank, G42/MGX...): datacenters and power."""

    kind = "conglomerate"
    policy = staticmethod(decide.conglomerate)


class CloudProvider(SeatAgent):
    """A cloud provider: buys accelerators, builds datacenters, sells compute."""

    kind = "cloud"
    policy = staticmethod(decide.cloud)


class ChipFab(SeatAgent):
    """A foundry: expands capacity when its accelerators sell out at a good price."""

    kind = "fab"
    policy = staticmethod(decide.fab)


class AIStartup(SeatAgent):
    """An AI lab (named, from the scenario) or agentic-AI startup (spawned).

    It wants compute, raises money, earns from what it is served, grows or dies.
    """

    kind = "startup"
    policy = staticmethod(decide.lab)

    def __init__(self, model: SovereignModel, seat_id: str, state: dict[str, Any]) -> None:
        super().__init__(model, seat_id, state)
        if state.get("named"):
            self.kind = "lab"


AGENT_CLASSES: dict[str, type[SeatAgent]] = {
    "conglomerate": Conglomerate,
    "cloud": CloudProvider,
    "fab": ChipFab,
    "lab": AIStartup,
}
