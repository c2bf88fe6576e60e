"""SovereignModel: the Mesa model of the race for sovereign AI infrastructure.

A quarter is ``commands -> model.step() -> observations``; everyone moves at once. `step` is the
rule book (DESIGN.md, "Data flow of one quarter"); each phase lives in its own module under
`sovereign.sim.phases`, takes the state and what earlier phases produced, changes only what it
owns and returns a typed result::

    orders -> events -> construction -> chips -> power -> compute -> finance -> metrics -> grid -> demand

Quantities and prices live in numpy arrays (`sovereign.sim.world.World`) cleared by the market
kernels in `sovereign.markets`; world-level scalars in `sovereign.sim.state.Economy`; the last
quarter's results in `sovereign.sim.state.QuarterResults`. The Mesa agents
(`sovereign.sim.agents`) hold balance sheets and memory, and their AI policies
(`sovereign.sim.policy`) decide. Money moves only through `transfer`, which records every flow
to or from the outside economy, so money is conserved except for declared flows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import mesa
import numpy as np

from sovereign.scenario.schema import Scenario, quarter_index, quarter_label
from sovereign.sim import economics as econ
from sovereign.sim.agents import AGENT_CLASSES, Nation, SeatAgent
from sovereign.sim.allocator import spaced_young_collections, tune_allocator
from sovereign.sim.commands import (
    Command,
)
from sovereign.sim.desk import CommandDesk
from sovereign.sim.gamestate import GameState, ScenarioTables, share_parts
from sovereign.sim.ledger import OUTSIDE, Ledger
from sovereign.sim.phases.chips import clear_chips
from sovereign.sim.phases.compute import clear_compute_market
from sovereign.sim.phases.construction import complete_projects
from sovereign.sim.phases.demand import advance
from sovereign.sim.phases.diplomacy import (
    end_terms,
    reveal_covert,
    settle_deals,
    share_venture_profits,
    update_shared_risk,
)
from sovereign.sim.phases.events import apply_events
from sovereign.sim.phases.finance import settle_finance
from sovereign.sim.phases.grid import (
    computed_once,
    expected_dc_mw,
    firm_capacity,
    plan_grid,
    planning_margin,
    top_up_initial_grid,
)
from sovereign.sim.phases.metrics import sovereignty_pillars
from sovereign.sim.phases.orders import apply_orders
from sovereign.sim.phases.power import clear_power_markets
from sovereign.sim.policy.difficulty import LEVELS
from sovereign.sim.queries import WorldQueries
from sovereign.sim.state import Economy, QuarterResults, initial_results
from sovereign.sim.world import initial_world


class SovereignModel(Ledger, CommandDesk, WorldQueries, mesa.Model):  # type: ignore[misc]  # Mesa is untyped  # type: ignore[misc]  # mesa ships no types: its Model is Any
    """The world, its actors and the quarterly markets.

    Args:
        scenario: a validated scenario.
        rng: the run's seed (int or `numpy.random.SeedSequence`); one SeedSequence spawns the
            independent streams for events, agents and startups.
        human_seats: seats (region or actor ids) whose commands come from people, not AI policies.
        difficulty: difficulty of AI seats (default: the scenario's): one level for all, or a mapping
            from seat id to level where the key ``"*"`` sets the level of every other seat, startups
            founded later included (without it, the scenario's level).
    """

    #: The outside economy's account name in the ledger.
    OUTSIDE = OUTSIDE

    def __init__(
        self,
        scenario: Scenario,
        rng: int | np.random.SeedSequence | None = 0,
        human_seats: tuple[str, ...] | list[str] = (),
        difficulty: str | Mapping[str, str] | None = None,
    ) -> None:
        tune_allocator()  # once per process: the quarter's arrays reuse heap memory (see the module)
        if isinstance(rng, np.random.SeedSequence):
            # a copy: spawning from the caller's own sequence would advance its child counter, so
            # the same sequence passed to a second model (a counterfactual) would give other streams
            seq = np.random.SeedSequence(
                rng.entropy, spawn_key=rng.spawn_key, pool_size=rng.pool_size, n_children_spawned=rng.n_children_spawned
            )
        else:
            seq = np.random.SeedSequence(rng)
        events_seq, agents_seq, startups_seq, mesa_seq = seq.spawn(4)
        super().__init__(rng=np.random.default_rng(mesa_seq))
        self.scenario = scenario
        per_seat = dict(difficulty) if isinstance(difficulty, Mapping) else {}
        default = per_seat.pop("*", None) if per_seat else (difficulty if isinstance(difficulty, str) else None)
        level = default or scenario.seats.difficulty
        for lvl in [level, *per_seat.values()]:
            if lvl not in LEVELS:
                raise ValueError(f"difficulty must be easy, normal or hard, found {lvl!r}")
        sc = scenario
        self.tables = ScenarioTables.of(sc)
        ids = [r.id for r in sc.regions] + [a.id for a in sc.actors]
        labs0 = sum(a.compute_demand_h100e for a in sc.actors)
        self.game = GameState(
            difficulty=level,
            human_seats=set(human_seats),
            quarter=self.tables.start_q,
            rngs={
                "events": np.random.default_rng(events_seq),
                "agents": np.random.default_rng(agents_seq),
                "startups": np.random.default_rng(startups_seq),
            },
            seats={},
            seat_ids=[],
            retired_homes={},
            world=initial_world(sc, {s: i for i, s in enumerate(ids)}, self.tables.class_ix),
            economy=Economy(
                regional_demand_h100e=max(sc.demand.h100e_2026 - labs0, 0.05 * sc.demand.h100e_2026),
                growth=sc.demand.growth_per_year,
                turbine_backlog_gw=sc.grid.turbine_backlog_gw,
                shared_risk=sc.shared_risk.initial if sc.shared_risk is not None else 0.0,
            ),
            pending=defaultdict(list),
            pending_decisions={},
            bids=[],
            results=initial_results(sc, self.tables.list_price),
        )
        share_parts(self, self.game, self.tables)
        # caches of the quarter's AI view, of cash promised by queued commands (see `committed_busd`),
        # of the seats' home rows and of the grid's figures within a span of `step` (`computed_once`):
        # not state, they recompute equal after a load (the model's only attributes besides
        # `game`, `tables` and their fields (`share_parts`), the scenario and Mesa's own)
        self.view_cache: dict[str, Any] | None = None
        self.committed_cache: dict[str, tuple[list[Command], int, float]] = {}
        self.home_cache: tuple[list[str], int, np.ndarray] | None = None  # see `seat_home_index`
        self.grid_memo: dict[Any, Any] | None = None
        for r in sc.regions:
            self.add_seat(
                Nation, r.id, {"name": r.name, "home": r.id, "cash_busd": r.gdp_busd * r.ai_budget_share / 4.0}
            )
        for a in sc.actors:
            state = {
                "name": a.name,
                "home": a.home,
                "cash_busd": a.cash_busd,
                "valuation_busd": a.valuation_busd,
                "revenue_busd": a.revenue_busd_per_year / 4.0,
                "demand_h100e": a.compute_demand_h100e,
                "named": True,
            }
            if a.state_compute_h100e > 0:
                # the home nation pays for this much of the lab's compute each quarter, up to and
                # including `state_compute_until` (the compute phase's `_settle`)
                state["state_compute_h100e"] = a.state_compute_h100e
                state["state_compute_until"] = (
                    quarter_index(a.state_compute_until) if a.state_compute_until is not None else self.end_q
                )
            if a.kind == "lab":
                # calibrated so that the lab's demand, served in full, earns its 2026 revenue
                state["scale_h100e"] = a.compute_demand_h100e
                state["yield_usd"] = (
                    a.revenue_busd_per_year * 1e9 / max(a.compute_demand_h100e * econ.HOURS_PER_YEAR, 1.0)
                )
            self.add_seat(AGENT_CLASSES[a.kind], a.id, state)
        for seat_id, lvl in per_seat.items():
            if seat_id not in self.seats:
                raise ValueError(f"difficulty given for unknown seat {seat_id!r}")
            self.seats[seat_id].state["difficulty"] = lvl
        top_up_initial_grid(self)
        self._initial_power_signals()
        self.economy.initial_money_busd = self.total_money_busd()

    def _initial_power_signals(self) -> None:
        """The grid's planning reserve margin and capacity price before the first quarter.

        From the starting grid, as the power phase computes them each quarter, so that what the
        player and the AI see before playing is what the first quarter will show.
        """
        w, power = self.world, self.results.power
        firm = firm_capacity(self, w.grid_mw)
        power.reserve_margin = planning_margin(self, firm, expected_dc_mw(self), w.base_demand_mw)
        power.capacity_usd_mw_day = np.asarray(econ.capacity_price_usd_mw_day(self.scenario, power.reserve_margin))

    # Mesa 3.5 has its own `scenario` (experimental parameter sets); ours is the game's scenario.
    # Mesa's value is kept aside so Mesa still works, and `model.scenario` means the game world.
    # A plain getter: Python 3.12's specialising interpreter runs it inline (~50 ns a read, against
    # ~150 ns through an `operator.attrgetter` property), and the phases and policies read the
    # scenario some 1,100 times a quarter.
    @property
    def scenario(self) -> Scenario:
        """The game scenario being played."""
        return self._game_scenario

    @scenario.setter
    def scenario(self, value: Any) -> None:
        if isinstance(value, Scenario):
            self._game_scenario = value
        else:
            self._mesa_scenario = value

    # ------------------------------------------------------------------------------------------
    # the rule book
    def step(self) -> None:
        """Play one quarter: everyone has submitted; the world moves."""
        if self.done:
            last = self.end_q if self.economy.shared_loss < 0 else self.economy.shared_loss
            raise RuntimeError(f"the game ended after {quarter_label(last)}")
        with spaced_young_collections():  # fewer of Python's young collections (see the function)
            self._play_quarter()

    def _play_quarter(self) -> None:
        """The quarter's phases, in order (`step`)."""
        self.flows = defaultdict(float)
        self.quarter_news = []
        with computed_once(self, all_fixed=True):  # the AI reads the model; its commands come next
            for agent in self.ai_seats():
                self.submit_all(agent.seat_id, agent.decide(), "ai")
        self.bids = apply_orders(self)
        settle_deals(self)
        reveal_covert(self)
        effects = apply_events(self)
        complete_projects(self)
        with computed_once(self, all_fixed=False):  # the projects stay as they are until the grid's connections
            chips = clear_chips(self, self.bids, effects)
            power = clear_power_markets(self, effects)
            compute = clear_compute_market(self, power)
            self.results = QuarterResults(played=True, power=power, chips=chips, compute=compute, effects=effects)
            share_venture_profits(self)
            settle_finance(self)
            self.results.pillars = sovereignty_pillars(self)
            self.metrics.record(self, self.results.pillars)
        plan_grid(self)
        end_terms(self)
        update_shared_risk(self)
        advance(self)

    def run(self, quarters: int | None = None, progress: Callable[[SovereignModel], None] | None = None) -> None:
        """Play `quarters` quarters (default: to the end); `progress(model)` is called after each.

        Stops early when the game ends before them (a scenario's shared loss ends it at once).
        """
        n = self.end_q - self.quarter + 1 if quarters is None else min(quarters, self.end_q - self.quarter + 1)
        with spaced_young_collections():  # over the whole run: no young collection due at each quarter's end
            for _ in range(n):
                if self.done:
                    break
                self.step()
                if progress is not None:
                    progress(self)

    def ai_seats(self) -> list[SeatAgent]:
        """Seats played by AI policies, in a fixed order (determinism)."""
        return [a for s, a in self.seats.items() if s not in self.human_seats]

    @property
    def done(self) -> bool:
        """Whether the last quarter has been played, or the scenario's shared risk ended the game."""
        return self.quarter > self.end_q or self.economy.shared_loss >= 0

    @property
    def quarter_label(self) -> str:
        """Label of the quarter about to be played, e.g. 2026Q1."""
        return quarter_label(self.quarter)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Take the unpickled (or deep-copied) attributes as they are: its game state's too (`share_parts`)."""
        self.__dict__ = state

    def release(self) -> None:
        """Empty the model once it is no longer needed, so its memory is freed at once.

        Why: a played model is held together by reference cycles (it and its game state share one
        dict, every agent points back at it), so once dropped only a full collection of Python's
        garbage collector frees it: in a worker playing game after game (a fan's, an ensemble's),
        35-50 ms every sixth game for its ~9,000 tracked objects (measured 2026-12-06). Emptying
        its attributes breaks the cycles, and reference counting frees the game as the last
        reference goes. The model must not be used afterwards: it has no attributes left.
        """
        self.__dict__.clear()

    def observe(self, seat_id: str) -> dict[str, Any]:
        """What a seat may see: public information plus its own private state."""
        from sovereign.sim.observe import observation

        return observation(self, seat_id)
