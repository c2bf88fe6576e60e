"""The game as data: `GameState` (everything that changes) and `ScenarioTables` (what never does).

A `SovereignModel` is three things: the scenario (immutable), tables derived from it once
(`ScenarioTables`: index maps, the technologies' constant arrays, distances), and the state that
changes from quarter to quarter (`GameState`: the seats and their balance sheets, the world
arrays, the economy, queued orders, logs, news, the last quarter's results and the random
streams). A save is exactly the `GameState` plus the scenario, the seed and Mesa's counters:
`sovereign.persist.state` writes one part per field of `GameState`, in field order, so a field
added here is saved, loaded, validated and replay-checked without anyone listing its name
(a persist test fails until the new field has a way to be written).

The model has each field as an attribute (``model.world``, ``model.quarter``,
``model.region_ix``) through `share_parts`, so the phases read ``model.world`` as before while the
state itself lives in one typed object.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sovereign.scenario.schema import Scenario, quarter_index
from sovereign.sim import economics as econ
from sovereign.sim.commandlog import CommandLog
from sovereign.sim.phases.metrics import MetricsRecorder
from sovereign.sim.state import Economy, QuarterResults

if TYPE_CHECKING:
    from sovereign.sim.agents import SeatAgent
    from sovereign.sim.commands import Command
    from sovereign.sim.model import SovereignModel
    from sovereign.sim.phases.orders import Bids
    from sovereign.sim.world import World

#: Metadata of a field that is an append-only log: saves hold it whole, digests hash it incrementally.
LOG = {"log": True}
#: Metadata of a field rebuilt from other fields when a game is loaded (not saved).
DERIVED = {"derived": True}


@dataclass(eq=False)
class GameState:
    """Everything in a game that changes, in the order a save writes it.

    Attributes:
        difficulty: the AI seats' default level (seats may carry their own in their state).
        human_seats: seats whose commands come from people.
        quarter: index of the quarter about to be played (`quarter_index`).
        rngs: the independent random streams (events, agents, startups).
        seats: each seat's Mesa agent, whose ``state`` dict is the seat's balance sheet and memory.
        seat_ids: every seat ever in the game, in row order of the owner arrays (retired ones too).
        retired_homes: home region of each seat that left the game.
        world: the world arrays (grids, datacenters, fabs, plants, policies, projects).
        economy: world-level scalars (demand pool, efficiency trend, funding climate, outside account).
        pending: commands queued for this quarter, by seat.
        pending_decisions: scenario decisions awaiting an answer, by seat.
        bids: last quarter's chip bids (the AI reads them).
        command_log: every command submitted or refused, with its reason.
        news: every news item of the game.
        quarter_news: this quarter's news.
        flows: money flows to and from the outside economy this quarter, by kind.
        metrics: the tidy per-quarter tables.
        results: what the last quarter's phases produced.
        seat_pos: row of each seat id (derived from `seat_ids`; not saved).
    """

    difficulty: str
    human_seats: set[str]
    quarter: int
    rngs: dict[str, np.random.Generator]
    seats: dict[str, SeatAgent]
    seat_ids: list[str]
    retired_homes: dict[str, str]
    world: World
    economy: Economy
    pending: defaultdict[str, list[Command]]
    pending_decisions: dict[str, dict[int, list[str]]]
    bids: list[tuple[str, Command]]
    command_log: CommandLog = field(default_factory=CommandLog, metadata=LOG)
    news: list[dict[str, Any]] = field(default_factory=list, metadata=LOG)
    quarter_news: list[dict[str, Any]] = field(default_factory=list)
    flows: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    metrics: MetricsRecorder = field(
        default_factory=MetricsRecorder, metadata={**LOG, "tables": MetricsRecorder.TABLES}
    )
    results: QuarterResults = field(default_factory=QuarterResults)
    seat_pos: dict[str, int] = field(default_factory=dict, metadata=DERIVED)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Take the unpickled (or deep-copied) attributes as they are: a model's, shared (`share_parts`)."""
        self.__dict__ = state


@dataclass(frozen=True, eq=False)
class ScenarioTables:
    """Index maps and constant arrays derived from the scenario once (never saved: rebuilt)."""

    region_ix: dict[str, int]
    class_ix: dict[str, int]
    bloc_ix: dict[str, int]
    start_q: int
    end_q: int
    slice_hours: np.ndarray  # (S,) hours of each time slice in a quarter
    slice_factor: np.ndarray  # (S,) demand factor of each slice
    tech_avail: np.ndarray  # (S, T) availability of each technology in each slice
    tech_cost: np.ndarray  # (T,) marginal cost, USD/MWh
    tech_emissions: np.ndarray  # (T,) t CO2/MWh
    fuel_factor: np.ndarray  # (R,) regional fuel cost factor
    kw_per_h100e: np.ndarray  # (G,) power per H100e of each accelerator class
    list_price: np.ndarray  # (G,) USD per H100e at the start
    list_decline: np.ndarray  # (G,) yearly fall of the list price
    production_cost: np.ndarray  # (G,) USD per H100e
    controlled: np.ndarray  # (G,) bool: under export controls
    links: tuple[np.ndarray, np.ndarray, np.ndarray] | None  # interconnectors: from, to, MW
    distance_km: np.ndarray  # (R, R) great-circle distance between region markers
    chip_producer: np.ndarray  # (R,) bool
    hbm_pool: np.ndarray  # (R,) the HBM supply a region's fabs use (index into chips.hbm), -1: none
    sold_only_in: np.ndarray  # (R, G) bool: the region's buyers may receive the class (its maker's rule)
    slice_swing: np.ndarray  # (S, R) top hourly demand over the slice's average (peak slice: peak-hour factor)
    tech_capex: np.ndarray  # (T,) $M/MW
    tech_build: np.ndarray  # (T,) quarters to build (a technology the scenario lacks: never)
    turbine_mask: np.ndarray  # (T,) bool: technologies that wait for gas turbines
    tech_retire: np.ndarray  # (T,) share of the utilities' fleet closing per year
    utility_allowed: np.ndarray  # (R, T) bool: technologies the region's utilities build
    merchant_mask: np.ndarray  # (T,) bool: technologies built for the energy they sell
    demand_growth_rate: np.ndarray  # (R,) 1 + yearly growth of base demand
    conventional_growth_rate: np.ndarray  # (R,) 1 + yearly growth of conventional datacenter load

    @classmethod
    def of(cls, sc: Scenario) -> ScenarioTables:
        """Derive the tables of a scenario."""
        from sovereign.sim.world import TECHNOLOGIES

        region_ix = {r.id: i for i, r in enumerate(sc.regions)}
        techs = [sc.technologies.get(t) for t in TECHNOLOGIES]
        n_s = len(sc.time.slices)
        links = sc.interconnectors
        lon = np.radians([r.marker.lon for r in sc.regions])
        lat = np.radians([r.marker.lat for r in sc.regions])
        # great-circle distances between region markers (km), for the inference latency penalty
        cosd = np.sin(lat)[:, None] * np.sin(lat)[None, :] + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.cos(
            lon[:, None] - lon[None, :]
        )
        return cls(
            region_ix=region_ix,
            class_ix={a.id: i for i, a in enumerate(sc.accelerators)},
            bloc_ix={b.id: i for i, b in enumerate(sc.blocs)},
            start_q=quarter_index(sc.time.start),
            end_q=quarter_index(sc.time.end),
            slice_hours=np.array([s.hours_share for s in sc.time.slices]) * econ.HOURS_PER_QUARTER,
            slice_factor=np.array([s.demand_factor for s in sc.time.slices]),
            tech_avail=np.array([t.availability if t else [0.0] * n_s for t in techs]).T,
            tech_cost=np.array([t.marginal_cost_usd_mwh if t else 0.0 for t in techs]),
            tech_emissions=np.array([t.emissions_t_per_mwh if t else 0.0 for t in techs]),
            fuel_factor=np.array([r.fuel_cost_factor for r in sc.regions]),
            kw_per_h100e=np.array([a.kw_per_h100e for a in sc.accelerators]),
            list_price=np.array([a.price_usd_per_h100e for a in sc.accelerators]),
            list_decline=np.array([a.list_price_decline_per_year for a in sc.accelerators]),
            production_cost=np.array([a.production_cost_usd_per_h100e for a in sc.accelerators]),
            controlled=np.array([a.controlled for a in sc.accelerators]),
            links=(
                (
                    np.array([region_ix[x.a] for x in links], np.int64),
                    np.array([region_ix[x.b] for x in links], np.int64),
                    np.array([x.capacity_mw for x in links], float),
                )
                if links
                else None
            ),
            distance_km=6371.0 * np.arccos(np.clip(cosd, -1.0, 1.0)),
            chip_producer=np.array([r.chip_producer for r in sc.regions]),
            hbm_pool=np.array(
                [next((h for h, pool in enumerate(sc.chips.hbm) if r.id in pool.fab_regions), -1) for r in sc.regions],
                np.int64,
            ),
            sold_only_in=np.array(
                [[not a.sold_only_in or r.id in a.sold_only_in for a in sc.accelerators] for r in sc.regions], bool
            ).reshape(len(sc.regions), len(sc.accelerators)),
            slice_swing=np.where(
                (np.arange(n_s) == int(np.argmax([s.demand_factor for s in sc.time.slices])))[:, None],
                np.array([r.peak_hour_factor or sc.grid.peak_hour_factor for r in sc.regions])[None, :],
                1.0,
            ),
            tech_capex=np.array([t.capex_musd_per_mw if t else 0.0 for t in techs]),
            tech_build=np.array([t.build_quarters if t else 1 << 30 for t in techs], np.int64),
            turbine_mask=np.array([t in sc.grid.turbine_technologies for t in TECHNOLOGIES]),
            tech_retire=np.array([t.retire_per_year if t else 0.0 for t in techs]),
            utility_allowed=np.array(
                [
                    [
                        techs[i] is not None
                        and tech
                        in (
                            r.utility_technologies
                            if r.utility_technologies is not None
                            else sc.grid.utility_technologies
                        )
                        for i, tech in enumerate(TECHNOLOGIES)
                    ]
                    for r in sc.regions
                ],
                bool,
            ).reshape(len(sc.regions), len(TECHNOLOGIES)),
            merchant_mask=np.array([t in sc.grid.merchant_technologies for t in TECHNOLOGIES]),
            demand_growth_rate=np.array([1.0 + r.demand_growth for r in sc.regions]),
            conventional_growth_rate=np.array([1.0 + r.conventional_dc_growth for r in sc.regions]),
        )


def share_parts(model: Any, game: GameState, tables: ScenarioTables) -> None:
    """Make every field of `game` and `tables` a plain attribute of `model`, the game state's own.

    The game state and the model keep their attributes in one dict: ``game.__dict__`` *is*
    ``model.__dict__``, so ``model.world`` and ``model.game.world`` are the same attribute, and
    writing either (``model.quarter += 1``, ``model.game.pending = ...``, a load's ``setattr(
    model.game, ...)``) is seen by both. The tables never change (a frozen dataclass), so their
    fields are copied in once. A save reads the game state field by field (`GameState`'s fields):
    the model's other attributes (Mesa's, the caches) that the shared dict also holds are not
    among them.

    Why: the phases and policies read ``model.world``, ``model.quarter``, ``model.region_ix``
    and the like some 215,000 times a baseline run. Through a property per field (a getter
    returning ``self.game.world``, which Python 3.12 runs inline) a read cost ~50 ns, ~3% of a
    run; an instance attribute is read in a few. Measured side by side with the properties
    (2026-12-06, 4 rounds of seeds 1-10): 0.97x the run's CPU time, games identical bit for bit.

    Copies and pickles keep the sharing (`GameState.__setstate__` and the model's: an unpickled
    or deep-copied model's game state is its attributes again, not a copy of them).
    """
    shared = model.__dict__
    shared.update(vars(tables))
    shared.update(vars(game))
    game.__dict__ = shared


class ModelParts:
    """The model's view of its parts: each field of `GameState` and `ScenarioTables`, typed.

    `SovereignModel` and its mixins (`Ledger`, `CommandDesk`, `WorldQueries`) inherit these
    declarations so the type checker knows ``self.world`` is a `World`; `share_parts` makes
    them the model's attributes, those of ``self.game`` and ``self.tables`` (a test checks the
    two lists agree).
    """

    game: GameState
    tables: ScenarioTables
    view_cache: dict[str, Any] | None
    committed_cache: dict[str, tuple[list[Command], int, float]]
    home_cache: tuple[list[str], int, np.ndarray] | None

    @property
    def scenario(self) -> Scenario:
        """The game scenario being played (`SovereignModel` keeps it)."""
        raise NotImplementedError

    def as_model(self) -> SovereignModel:
        """This object as the `SovereignModel` it is part of (for functions that take the model)."""
        # the mixins live only in SovereignModel; not ``typing.cast``, which is a function call
        # (the validator asks for the model on every command)
        return self  # type: ignore[return-value]

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
    command_log: CommandLog
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
    list_decline: np.ndarray
    production_cost: np.ndarray
    controlled: np.ndarray
    links: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    distance_km: np.ndarray
    chip_producer: np.ndarray
    hbm_pool: np.ndarray
    sold_only_in: np.ndarray
    slice_swing: np.ndarray
    tech_capex: np.ndarray
    tech_build: np.ndarray
    turbine_mask: np.ndarray
    tech_retire: np.ndarray
    utility_allowed: np.ndarray
    merchant_mask: np.ndarray
    demand_growth_rate: np.ndarray
    conventional_growth_rate: np.ndarray
