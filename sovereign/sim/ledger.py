"""Seats and money: who is in the game, where each seat is at home, and the one place cash moves.

Money moves only through `Ledger.transfer`, which records every flow to or from the outside
economy, so the money in the game is conserved except for declared flows
(`Ledger.total_money_busd` is constant over a game; tests check it every quarter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sovereign.sim.gamestate import ModelParts

if TYPE_CHECKING:
    from sovereign.sim.agents import SeatAgent

#: The outside economy's account name in the ledger.
OUTSIDE = "outside"


class Ledger(ModelParts):
    """The seats and their cash, mixed into `SovereignModel`."""

    def add_seat(self, cls: type[SeatAgent], seat_id: str, state: dict[str, Any]) -> SeatAgent:
        """Create a seat's Mesa agent (at start, for a spawned startup, or when a save is loaded)."""
        agent = cls(self.as_model(), seat_id, state)
        self.seats[seat_id] = agent
        if seat_id not in self.seat_pos:
            self.seat_pos[seat_id] = len(self.seat_ids)
            self.seat_ids.append(seat_id)
        return agent

    def remove_seat(self, seat_id: str) -> None:
        """A firm leaves the game (bankruptcy); its assets stay but produce nothing for it."""
        agent = self.seats.pop(seat_id)
        self.retired_homes[seat_id] = agent.state["home"]
        self.human_seats.discard(seat_id)
        agent.remove()

    def budget_busd(self, region_id: str) -> float:
        """A nation's AI budget for this quarter: its share of GDP, which grows with the economy."""
        i = self.region_ix[region_id]
        return float(self.world.gdp_busd[i]) * self.scenario.regions[i].ai_budget_share / 4.0

    def seat_index(self, seat_id: str) -> int:
        """Row of a seat in owner arrays (seats keep their row after they retire)."""
        return self.seat_pos[seat_id]

    def home_of(self, seat_id: str) -> str:
        """Home region of a seat, retired ones included."""
        agent = self.seats.get(seat_id)
        if agent is not None:
            home: str = agent.state["home"]  # a region id, set when the seat was made
            return home
        return self.retired_homes.get(seat_id, self.scenario.regions[0].id)

    def seat_home_index(self) -> np.ndarray:
        """(S,) home region row of every seat by its owner-array row, retired seats included (read-only).

        Cached: a seat's home is fixed when it is made and seats only ever join the end of
        `seat_ids`, so the array changes only when that list is replaced (a load) or grows; three
        phases ask for it every quarter.
        """
        cache = self.home_cache
        if cache is None or cache[0] is not self.seat_ids or cache[1] != len(self.seat_ids):
            # the same list grown (startups founded this quarter): only the new seats are looked up
            done = cache[1] if cache is not None and cache[0] is self.seat_ids and cache[1] < len(self.seat_ids) else 0
            new = np.array([self.region_ix[self.home_of(s)] for s in self.seat_ids[done:]], np.int64)
            index = np.concatenate([cache[2][:done], new]) if done and cache is not None else new
            index.flags.writeable = False
            cache = self.home_cache = (self.seat_ids, len(self.seat_ids), index)
        return cache[2]

    def transfer(self, src: str, dst: str, busd: float, kind: str) -> None:
        """Move money between seats or the outside economy; the one place cash changes.

        Money from or to the outside economy is counted in `flows` under ``in:<kind>`` or
        ``out:<kind>`` (the names made once per kind: some 16,000 transfers a game).
        """
        if busd == 0.0:
            return
        if src == OUTSIDE:
            self.economy.outside_busd -= busd
            self.flows[_FLOW_IN.get(kind) or _flow_name(_FLOW_IN, "in", kind)] += busd
        else:
            self.seats[src].state["cash_busd"] -= busd
        if dst == OUTSIDE:
            self.economy.outside_busd += busd
            self.flows[_FLOW_OUT.get(kind) or _flow_name(_FLOW_OUT, "out", kind)] += busd
        else:
            self.seats[dst].state["cash_busd"] += busd

    def total_money_busd(self) -> float:
        """Cash of every seat plus the outside account: constant over a game."""
        total: float = sum(a.state["cash_busd"] for a in self.seats.values()) + self.economy.outside_busd
        return total

    def home_tier(self, agent: SeatAgent) -> int:
        """Export-control tier of an agent's home region."""
        return int(self.world.export_tier[self.region_ix[agent.state["home"]]])


#: The flows' names by kind of transfer, ``in:<kind>`` and ``out:<kind>`` (`Ledger.transfer`).
_FLOW_IN: dict[str, str] = {}
_FLOW_OUT: dict[str, str] = {}


def _flow_name(names: dict[str, str], way: str, kind: str) -> str:
    """The flow's name for a kind of transfer, made the first time it is asked and kept."""
    name = names[kind] = f"{way}:{kind}"
    return name
