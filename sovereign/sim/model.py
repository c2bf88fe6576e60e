"""SovereignModel: the Mesa model of the race for sovereign AI infrastructure.

A quarter is ``commands -> model.step() -> observations``; everyone moves at once. `step` is the
rule book (DESIGN.md, "Data flow of one quarter"); each phase lives in its own module under
`sovereign.sim.phases`, takes the state and what earlier phases produced, changes only what it
owns and returns a typed result::

    orders -> events -> construction -> chips -> power -> compute -> finance -> metrics -> demand

Quantities and prices live in numpy arrays (`sovereign.sim.world.World`) cleared by the market
kernels in `sovereign.markets`; world-level scalars in `sovereign.sim.state.Economy`; the last
quarter's results in `sovereign.sim.state.QuarterResults`. The Mesa agents
(`sovereign.sim.agents`) hold balance sheets and memory, and their AI policies
(`sovereign.sim.policy`) decide. Money moves only through `transfer`, which records every flow
to or from the outside economy, so money is conserved except for declared flows.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import mesa
import numpy as np

from sovereign.scenario.schema import Scenario, quarter_label
from sovereign.sim import economics as econ
from sovereign.sim.agents import AGENT_CLASSES, Nation, SeatAgent
from sovereign.sim.commands import (
    BuildDatacenter,
    BuildPlant,
    Command,
    command_cost_busd,
    command_from_dict,
    command_to_dict,
    net_cost_busd,
    validate_command,
)
from sovereign.sim.gamestate import GameState, ScenarioTables, expose_parts
from sovereign.sim.phases.chips import clear_chips
from sovereign.sim.phases.compute import clear_compute_market
from sovereign.sim.phases.construction import complete_projects
from sovereign.sim.phases.demand import advance
from sovereign.sim.phases.events import apply_events
from sovereign.sim.phases.finance import settle_finance
from sovereign.sim.phases.metrics import MetricsRecorder, sovereignty_pillars
from sovereign.sim.phases.orders import Bids, apply_orders
from sovereign.sim.phases.power import clear_power_markets
from sovereign.sim.policy.difficulty import LEVELS
from sovereign.sim.policy.view import investor_view
from sovereign.sim.state import Economy, QuarterResults, initial_results
from sovereign.sim.world import World, initial_world

OUTSIDE = "outside"


class CommandResult(dict[str, Any]):
    """Outcome of a submitted command: ``accepted`` and ``reason`` (empty when accepted)."""

    @property
    def accepted(self) -> bool:
        """Whether the validator accepted the command."""
        return bool(self["accepted"])

    @property
    def reason(self) -> str:
        """Why it was refused (empty when accepted)."""
        return str(self["reason"])


class SovereignModel(mesa.Model):  # type: ignore[misc]  # mesa ships no types: its Model is Any
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

    # The game's state lives in `self.game` (a `GameState`: what a save holds) and the scenario's
    # derived tables in `self.tables`; each of their fields is also an attribute of the model
    # (``model.world``), read and written there (see `expose_parts` below the class).
    difficulty: str
    human_seats: set[str]
    quarter: int
    rngs: dict[str, np.random.Generator]
    seats: dict[str, SeatAgent]
    seat_ids: list[str]
    seat_pos: dict[str, int]
    retired_homes: dict[str, str]
    world: World
    economy: Economy
    pending: defaultdict[str, list[Command]]
    pending_decisions: dict[str, dict[int, list[str]]]
    bids: Bids
    command_log: list[dict[str, Any]]
    news: list[dict[str, Any]]
    quarter_news: list[dict[str, Any]]
    flows: defaultdict[str, float]
    metrics: MetricsRecorder
    results: QuarterResults
    region_ix: dict[str, int]
    class_ix: dict[str, int]
    bloc_ix: dict[str, int]
    start_q: int
    end_q: int
    slice_hours: np.ndarray
    slice_factor: np.ndarray
    tech_avail: np.ndarray
    tech_cost: np.ndarray
    tech_emissions: np.ndarray
    fuel_factor: np.ndarray
    kw_per_h100e: np.ndarray
    list_price: np.ndarray
    production_cost: np.ndarray
    controlled: np.ndarray
    links: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    distance_km: np.ndarray
    chip_producer: np.ndarray

    def __init__(
        self,
        scenario: Scenario,
        rng: int | np.random.SeedSequence | None = 0,
        human_seats: tuple[str, ...] | list[str] = (),
        difficulty: str | Mapping[str, str] | None = None,
    ) -> None:
        seq = rng if isinstance(rng, np.random.SeedSequence) else np.random.SeedSequence(rng)
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
            ),
            pending=defaultdict(list),
            pending_decisions={},
            bids=[],
            results=initial_results(sc, self.tables.list_price),
        )
        # caches of the quarter's AI view and of cash promised by queued commands (see `committed_busd`):
        # not state, they recompute equal after a load (the model's only attributes besides
        # `game`, `tables`, the scenario and Mesa's own)
        self.view_cache: dict[str, Any] | None = None
        self.committed_cache: dict[str, tuple[list[Command], int, float]] = {}
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
        self.economy.initial_money_busd = self.total_money_busd()

    # Mesa 3.5 has its own `scenario` (experimental parameter sets); ours is the game's scenario.
    # Mesa's value is kept aside so Mesa still works, and `model.scenario` means the game world.
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
            raise RuntimeError(f"the game ended after {quarter_label(self.end_q)}")
        self.flows = defaultdict(float)
        self.quarter_news = []
        for agent in self.ai_seats():
            for cmd in agent.decide():
                self._submit(agent.seat_id, cmd, "ai")
        self.bids = apply_orders(self)
        effects = apply_events(self)
        complete_projects(self)
        chips = clear_chips(self, self.bids, effects)
        power = clear_power_markets(self, effects)
        compute = clear_compute_market(self, power)
        self.results = QuarterResults(played=True, power=power, chips=chips, compute=compute, effects=effects)
        settle_finance(self)
        self.results.pillars = sovereignty_pillars(self)
        self.metrics.record(self, self.results.pillars)
        advance(self)

    def run(self, quarters: int | None = None, progress: Callable[[SovereignModel], None] | None = None) -> None:
        """Play `quarters` quarters (default: to the end); `progress(model)` is called after each."""
        n = self.end_q - self.quarter + 1 if quarters is None else min(quarters, self.end_q - self.quarter + 1)
        for _ in range(n):
            self.step()
            if progress is not None:
                progress(self)

    # ------------------------------------------------------------------------------------------
    # seats and money
    def add_seat(self, cls: type[SeatAgent], seat_id: str, state: dict[str, Any]) -> SeatAgent:
        """Create a seat's Mesa agent (at start, for a spawned startup, or when a save is loaded)."""
        agent = cls(self, seat_id, state)
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
            return str(agent.state["home"])
        return self.retired_homes.get(seat_id, self.scenario.regions[0].id)

    def transfer(self, src: str, dst: str, busd: float, kind: str) -> None:
        """Move money between seats or the outside economy; the one place cash changes."""
        if busd == 0.0:
            return
        if src == OUTSIDE:
            self.economy.outside_busd -= busd
            self.flows[f"in:{kind}"] += busd
        else:
            self.seats[src].state["cash_busd"] -= busd
        if dst == OUTSIDE:
            self.economy.outside_busd += busd
            self.flows[f"out:{kind}"] += busd
        else:
            self.seats[dst].state["cash_busd"] += busd

    def total_money_busd(self) -> float:
        """Cash of every seat plus the outside account: constant over a game."""
        total: float = sum(a.state["cash_busd"] for a in self.seats.values()) + self.economy.outside_busd
        return total

    def home_tier(self, agent: SeatAgent) -> int:
        """Export-control tier of an agent's home region."""
        return int(self.world.export_tier[self.region_ix[agent.state["home"]]])

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
        quarter's cached view is exact here.
        """
        view = investor_view(self)
        free = view["free_by_seat"].get(self.seat_pos.get(seat_id))
        return 0.0 if free is None else float(free.get(region, 0.0) / view["kw_new_list"][cls])

    def new_chip_kw(self, cls: int) -> float:
        """KW per H100e of newly made chips of a class (efficiency improves over time)."""
        return float(self.kw_per_h100e[cls] * self.economy.efficiency_mult)

    def signals_now(self) -> dict[str, np.ndarray]:
        """The latest market signals (the AI's view when its lag reaches before the first quarter)."""
        return {
            "compute_price_region": self.results.compute.price_region,
            "power_price_avg": self.results.power.price_avg,
            "chip_price": self.results.chips.price,
        }

    def subsidy_for(self, seat_id: str, cmd: Command) -> float:
        """State subsidy a firm would receive for a build (paid by the host nation, if it can)."""
        if not isinstance(cmd, BuildDatacenter | BuildPlant) or self.seats[seat_id].kind == "nation":
            return 0.0
        r = self.region_ix[cmd.region]
        want = command_cost_busd(self, seat_id, cmd) * float(self.world.subsidy[r])
        host = self.seats[self.scenario.regions[r].id]
        host_cash: float = host.state["cash_busd"]
        return min(want, max(host_cash, 0.0))

    def committed_busd(self, seat_id: str) -> float:
        """Cash already promised this quarter by queued commands (bids, builds).

        Cached per seat and extended as commands queue, so a quarter's validation stays linear.
        """
        queue = self.pending.get(seat_id)  # .get: reading must not create an entry in the defaultdict
        if not queue:
            return 0.0
        cache = self.committed_cache.get(seat_id)
        if cache is None or cache[0] is not queue or cache[1] > len(queue):
            cache = (queue, 0, 0.0)
        _, n, total = cache
        for c in queue[n:]:
            total += net_cost_busd(self, seat_id, c)
        self.committed_cache[seat_id] = (queue, len(queue), total)
        return total

    # ------------------------------------------------------------------------------------------
    # commands
    def submit(self, seat_id: str, command: Command | dict[str, Any], origin: str = "human") -> CommandResult:
        """Queue a command for this quarter if the validator accepts it; say why if not.

        `origin` ("human" or "ai") is logged so a replay re-submits exactly the human commands.
        """
        cmd = command_from_dict(command) if isinstance(command, dict) else command
        reason = self._submit(seat_id, cmd, origin)
        return CommandResult(accepted=reason is None, reason=reason or "")

    def _submit(self, seat_id: str, cmd: Command, origin: str) -> str | None:
        """`submit` for a typed command: validate, queue if accepted, log; the reason if refused."""
        reason = validate_command(self, seat_id, cmd)
        if reason is None:
            self.pending[seat_id].append(cmd)
        self.command_log.append(
            {
                "quarter": _quarter_label(self.quarter),
                "seat": seat_id,
                "command": command_to_dict(cmd),
                "accepted": reason is None,
                "reason": reason or "",
                "stage": "submit",
                "origin": origin,
            }
        )
        return reason

    def log_refused(self, seat: str, cmd: Command, reason: str) -> None:
        """Log a queued command refused when it was applied (the money had gone)."""
        self.command_log.append(
            {
                "quarter": _quarter_label(self.quarter),
                "seat": seat,
                "command": command_to_dict(cmd),
                "accepted": False,
                "reason": reason,
                "stage": "apply",
                "origin": "human" if seat in self.human_seats else "ai",
            }
        )

    def add_news(self, kind: str, headline: str, region: str | None, actor: str | None, text: str = "") -> None:
        """Add an item to this quarter's news ticker."""
        item = {
            "quarter": quarter_label(self.quarter),
            "kind": kind,
            "headline": headline,
            "region": region,
            "actor": actor,
            "text": text,
        }
        self.quarter_news.append(item)
        self.news.append(item)

    def ai_seats(self) -> list[SeatAgent]:
        """Seats played by AI policies, in a fixed order (determinism)."""
        return [a for s, a in self.seats.items() if s not in self.human_seats]

    @property
    def done(self) -> bool:
        """Whether the last quarter has been played."""
        return self.quarter > self.end_q

    @property
    def quarter_label(self) -> str:
        """Label of the quarter about to be played, e.g. 2026Q1."""
        return quarter_label(self.quarter)

    def observe(self, seat_id: str) -> dict[str, Any]:
        """What a seat may see: public information plus its own private state."""
        from sovereign.sim.observe import observation

        return observation(self, seat_id)


expose_parts(SovereignModel, game=GameState, tables=ScenarioTables)

#: Quarter labels of the log entries (~150 a quarter), computed once per quarter.
_quarter_label = functools.lru_cache(maxsize=256)(quarter_label)
