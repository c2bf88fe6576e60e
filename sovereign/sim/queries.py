"""Questions about the world that several phases, policies and the validator ask.

Read-only: alliances, free datacenter space, new chips' power, the latest market signals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sovereign.sim.gamestate import ModelParts
from sovereign.sim.policy.view import investor_view

if TYPE_CHECKING:
    pass


class WorldQueries(ModelParts):
    """Read-only questions about the world, mixed into `SovereignModel`."""

    def allied(self, a: int, b: int) -> bool:
        """Whether two regions are the same or share a bloc."""
        return a == b or bool((self.world.bloc_member[:, a] & self.world.bloc_member[:, b]).any())

    def allied_matrix(self) -> np.ndarray:
        """(R, R) bool: same region or a shared bloc."""
        bm = self.world.bloc_member.astype(np.int64)
        m = (bm.T @ bm) > 0
        np.fill_diagonal(m, True)
        return np.asarray(m, bool)

    def free_h100e(self, seat_id: str, region: int, cls: int) -> float:
        """H100e of class `cls` that fit in a seat's datacenters in a region.

        Read between quarters (commands are validated before construction and deliveries), so the
        quarter's cached view is exact here. The validator asks this for every bid (some 200 a
        quarter), so the view cached for this quarter is read directly, which halves the cost of
        a call; `investor_view` computes it when there is none yet.
        """
        view = self.view_cache
        if view is None or view["quarter"] != self.quarter:
            view = investor_view(self.as_model())
        free = view["free_by_seat"].get(self.seat_pos.get(seat_id))
        return 0.0 if free is None else float(free.get(region, 0.0) / view["kw_new_list"][cls])

    def new_chip_kw(self, cls: int) -> float:
        """KW per H100e of newly made chips of a class (efficiency improves over time)."""
        return float(self.kw_per_h100e[cls] * self.economy.efficiency_mult)

    def list_price_now(self) -> np.ndarray:
        """(G,) list price per H100e this quarter: each class's price falls as newer classes arrive.

        Also the price of long-term allocation contracts, and the base of the reserve price.
        """
        return self.list_price_in(self.quarter)

    def list_price_in(self, quarter: int) -> np.ndarray:
        """(G,) list price per H100e in a quarter (`quarter_index`): what a chart compares prices with."""
        return np.asarray(self.list_price * self._decline_in(quarter))

    def production_cost_now(self) -> np.ndarray:
        """(G,) a fab's cost of making one H100e of each class this quarter.

        It falls with the list price: a class stands for a line of products whose unit cost stays
        about the same while each unit brings more H100e (the scenario sets the cost as a share of
        the list price). A cost fixed in dollars per H100e while the list price halved every few
        years made every older chip a loss, and the fabs that made them borrowed until bankrupt.
        """
        return np.asarray(self.production_cost * self._decline_in(self.quarter))

    def _decline_in(self, quarter: int) -> np.ndarray:
        """(G,) how far each class's list price (and production cost) has fallen from the start to `quarter`."""
        years = (quarter - self.start_q) / 4.0
        return np.asarray((1.0 - self.list_decline) ** years)

    def signals_now(self) -> dict[str, np.ndarray]:
        """The latest market signals (the AI's view when its lag reaches before the first quarter)."""
        return {
            "compute_price_region": self.results.compute.price_region,
            "dc_power_price": self.results.power.dc_price,
            "chip_price": self.results.chips.price,
        }
