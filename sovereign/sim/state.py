"""Typed state that the phases of a quarter share: the economy's scalars and the quarter's results.

`Economy` holds the world-level numbers that change during a game (the AI demand pool, its
growth, the efficiency trend, the funding climate, the outside account). `QuarterResults` is what
one quarter's phases produced, one typed part per phase (`PowerResults`, `ChipResults`,
`ComputeResults`, the pillars and the events' effects): the AI policies read it next quarter,
and the UI, the metrics, the quarter report and the validation read it as they are. Before the
first quarter it holds the scenario's reference figures (`initial_results`), so the AI has
something to read.

A save holds both as they are (they are allow-listed dataclasses for `sovereign.persist.codec`),
so no attribute names are listed by hand anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sovereign.scenario.schema import Scenario


def _empty() -> np.ndarray:
    return np.zeros(0)


def _short_share(whole: np.ndarray, got: np.ndarray, n: int) -> np.ndarray:
    """(n,) share of `whole` that `got` fell short of (0 where `whole` is 0).

    Zeros before play, when the two differ in length (one home for the lost and the unmet shares).
    """
    if len(whole) != len(got):
        return np.zeros(n)
    return np.asarray(np.divide(np.maximum(whole - got, 0.0), whole, out=np.zeros(len(whole)), where=whole > 0))


@dataclass
class Economy:
    """World-level quantities that move during a game (all owned by the phases named below).

    Attributes:
        regional_demand_h100e: AI compute demand of the economy at large (everything but the
            labs and startups that are seats), H100e; grown by the demand phase.
        growth: this year's growth rate of that demand (decays towards maturity).
        efficiency_mult: power per H100e of newly made chips relative to 2026 (falls over time).
        funding_winter_left: quarters of funding winter left (events set it, demand counts it down).
        startups_spawned: startups founded so far (numbers their seat ids).
        startups_failed: startups that ran out of money so far.
        next_event_id: id of the next event that asks for a decision.
        outside_busd: the outside economy's account; every declared flow in or out passes here,
            so the cash of every seat plus this is constant over a game.
        initial_money_busd: that constant.
        budget_scale: nations' budgets relative to 2026 (grows with GDP).
        decisions: the questions asked and not yet answered: event id, seat, and the index of the
            inject in the scenario (whose options carry the effects).
        scheduled: events that decisions set off for a later quarter (quarter index, kind, region,
            actor, magnitude, headline, text), applied by the events phase.
        turbine_backlog_gw: gas turbines ordered and not yet delivered, world (grid phase and
            plant orders add to it; the makers deliver it at their yearly rate).
        shared_risk: the scenario's shared risk (`Scenario.shared_risk`; 0 without one).
        shared_loss: the quarter the shared risk reached its threshold and everyone lost (-1: not).
        tension_q: hostile moves this quarter (stricter tiers, revoked licences, covert operations,
            broken deals), counted by the diplomacy phase for the shared risk.
    """

    regional_demand_h100e: float
    growth: float
    efficiency_mult: float = 1.0
    funding_winter_left: int = 0
    startups_spawned: int = 0
    startups_failed: int = 0
    next_event_id: int = 0
    outside_busd: float = 0.0
    initial_money_busd: float = 0.0
    budget_scale: float = 1.0
    decisions: list[dict[str, Any]] = field(default_factory=list)
    scheduled: list[dict[str, Any]] = field(default_factory=list)
    turbine_backlog_gw: float = 0.0
    shared_risk: float = 0.0
    shared_loss: int = -1
    tension_q: float = 0.0


@dataclass
class EventEffects:
    """What this quarter's events do to later phases of the same quarter.

    Attributes:
        fab_derate: (F,) share of each fab's output that survives disruptions (1 = none).
        heat: (R,) demand factor of heatwaves by region (1 = none).
        pkg_derate: (P,) share of each packaging line's capacity that survives (1 = none).
    """

    fab_derate: np.ndarray = field(default_factory=_empty)
    heat: np.ndarray = field(default_factory=_empty)
    pkg_derate: np.ndarray = field(default_factory=_empty)


@dataclass
class Segments:
    """Demand segments of the compute market (J of them).

    Attributes:
        region: (J,) buyer's region row.
        klass: (J,) "training", "inference" or "regulated".
        qty: (J,) H100e wanted.
        wtp: (J,) willingness to pay, $/H100e-hour.
        owner: (J,) seat id of the lab or startup behind a segment, None for regional demand.
        fringe: (J,) whether the segment is the low-price fringe (`demand.fringe_demand_share`): compute
            bought only when cheap, left out of the demand wanted (sovereignty, tables).
    """

    region: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    klass: np.ndarray = field(default_factory=lambda: np.zeros(0, "<U9"))
    qty: np.ndarray = field(default_factory=_empty)
    wtp: np.ndarray = field(default_factory=_empty)
    owner: list[str | None] = field(default_factory=list)
    fringe: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def fringe_mask(self) -> np.ndarray:
        """(J,) `fringe` as a mask, all False for segments made without one (before the first quarter)."""
        return self.fringe if len(self.fringe) == len(self.qty) else np.zeros(len(self.qty), bool)

    def wanted(self) -> np.ndarray:
        """(J,) the H100e each segment wants, 0 for the low-price fringe (not demand a nation is short of)."""
        return np.where(self.fringe_mask(), 0.0, self.qty)


@dataclass
class PowerResults:
    """The power phase's outcome.

    Attributes:
        market: the kernel's result (prices, dispatch, unserved load, links), None before play.
        demand_mw: (S, R) demand by time slice, datacenters included.
        price: (S, R) wholesale price, $/MWh.
        price_avg: (R,) hour-weighted average wholesale energy price (merit order and scarcity), $/MWh.
        capacity_usd_mw_day: (R,) capacity price from the planning reserve margin, $/MW-day.
        wholesale_avg: (R,) wholesale energy plus capacity cost per MWh of load, $/MWh.
        retail: (R,) industrial price: wholesale plus network charges and taxes, $/MWh.
        dc_price: (R,) what datacenters pay: retail plus the region's large-load tariff, $/MWh.
        dc_curtail_rows: (D,) hour-weighted share of each datacenter's power curtailed.
        dc_curtail: (R,) hour-weighted share of datacenter load curtailed.
        dc_energy_mwh: (R,) datacenter energy served.
        dc_energy_wanted_mwh: (R,) datacenter energy wanted.
        ai_energy_mwh: (R,) AI accelerator energy served.
        emissions_mt: (R,) power-sector CO2, Mt.
        grid_intensity: (R,) t CO2 per MWh generated.
        dc_emissions_mt: (R,) CO2 of datacenter energy, Mt.
        reserve_margin: (R,) planning reserve margin: firm capacity over the annual peak hour (every
            slice's demand times `grid.peak_hour_factor`, datacenters at the load the utilities plan
            for: `grid.expected_dc_mw`), minus 1, in the slice where it is thinnest.
    """

    market: Any = None
    demand_mw: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    price: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    price_avg: np.ndarray = field(default_factory=_empty)
    dc_curtail: np.ndarray = field(default_factory=_empty)
    dc_energy_mwh: np.ndarray = field(default_factory=_empty)
    dc_energy_wanted_mwh: np.ndarray = field(default_factory=_empty)
    ai_energy_mwh: np.ndarray = field(default_factory=_empty)
    emissions_mt: np.ndarray = field(default_factory=_empty)
    grid_intensity: np.ndarray = field(default_factory=_empty)
    dc_emissions_mt: np.ndarray = field(default_factory=_empty)
    reserve_margin: np.ndarray = field(default_factory=_empty)
    capacity_usd_mw_day: np.ndarray = field(default_factory=_empty)
    wholesale_avg: np.ndarray = field(default_factory=_empty)
    retail: np.ndarray = field(default_factory=_empty)
    dc_price: np.ndarray = field(default_factory=_empty)
    dc_curtail_rows: np.ndarray = field(default_factory=_empty)


@dataclass
class ChipResults:
    """The chip phase's outcome, by accelerator class (G) and fab (F).

    Attributes:
        supply: (G,) H100e made this quarter.
        price: (G,) clearing price per H100e (the reserve where nothing cleared).
        sold: (G,) H100e delivered.
        fab_revenue_busd: (F,) what each fab's buyers paid for its chips, $B.
        fab_cost_busd: (F,) each fab's production cost of what it delivered, $B.
        wafers: (G,) H100e the fabs' wafers could have made, before packaging and memory limits.
        capacity: (G,) H100e the fabs could have delivered without this quarter's disruptions.
        made: (G,) H100e the fabs delivered this quarter, disruptions included (before supply deals
            and covert stockpiles took their part: `supply` is what the market got).
        ordered: (G,) H100e ordered at or above the reserve by buyers allowed to receive the class.
        contract_price: (G,) list price paid on long-term allocation contracts this quarter.
        grey: (G,) H100e smuggled past a bar (delivered to destinations the controls bar).
        licence_busd: (G,) revenue share paid to licensing nations, $B.
    """

    supply: np.ndarray = field(default_factory=_empty)
    price: np.ndarray = field(default_factory=_empty)
    sold: np.ndarray = field(default_factory=_empty)
    fab_revenue_busd: np.ndarray = field(default_factory=_empty)
    fab_cost_busd: np.ndarray = field(default_factory=_empty)
    wafers: np.ndarray = field(default_factory=_empty)
    capacity: np.ndarray = field(default_factory=_empty)
    made: np.ndarray = field(default_factory=_empty)
    ordered: np.ndarray = field(default_factory=_empty)
    contract_price: np.ndarray = field(default_factory=_empty)
    grey: np.ndarray = field(default_factory=_empty)
    licence_busd: np.ndarray = field(default_factory=_empty)

    def lost_share(self) -> np.ndarray:
        """(G,) share of what the fabs could have made that this quarter's disruptions cost (0 when none)."""
        return _short_share(self.capacity, self.made, len(self.capacity))

    def unmet_share(self) -> np.ndarray:
        """(G,) share of last quarter's orders for each class that went unfilled (0 when none)."""
        return _short_share(self.ordered, self.sold, len(self.sold))


@dataclass
class ComputeResults:
    """The compute phase's outcome: K clusters (datacenters with chips) serving J segments.

    Attributes:
        segments: the demand side.
        market: the kernel's result, None before play.
        clusters: (K,) datacenter row of each cluster.
        cluster_cost: (K,) marginal cost (power + opex), $/H100e-hour.
        cluster_capacity: (K,) H100e for sale.
        served: (J,) H100e served per segment.
        alloc: (J, K) H100e of segment j served by cluster k.
        price: (K,) price buyers pay per H100e-hour: marginal cost plus scarcity rent.
        price_region: (R,) sales-weighted price by region (the world's where a region sold none).
        price_global: the sales-weighted world price: what buyers paid, on the contracted share at
            rents agreed over past quarters.
        spot_price_global: the sales-weighted world price of new compute (running cost plus this
            quarter's rent): what a rental index quotes, and what moves first in a shortage.
        contract_price: (K,) price of each cluster's contracted share this quarter.
    """

    segments: Segments = field(default_factory=Segments)
    market: Any = None
    clusters: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cluster_cost: np.ndarray = field(default_factory=_empty)
    cluster_capacity: np.ndarray = field(default_factory=_empty)
    served: np.ndarray = field(default_factory=_empty)
    alloc: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    price: np.ndarray = field(default_factory=_empty)
    price_region: np.ndarray = field(default_factory=_empty)
    price_global: float = 0.0
    spot_price_global: float = 0.0
    contract_price: np.ndarray = field(default_factory=_empty)


@dataclass
class QuarterResults:
    """Everything the last quarter's phases produced (the reference figures before the first).

    Attributes:
        played: whether a quarter has been played (False: the initial reference figures).
        power: the power phase's outcome.
        chips: the chip phase's outcome.
        compute: the compute phase's outcome.
        pillars: the sovereignty pillars and index by nation, None before the first quarter.
        effects: the events' effects on that quarter.
    """

    played: bool = False
    power: PowerResults = field(default_factory=PowerResults)
    chips: ChipResults = field(default_factory=ChipResults)
    compute: ComputeResults = field(default_factory=ComputeResults)
    pillars: dict[str, np.ndarray] | None = None
    effects: EventEffects = field(default_factory=EventEffects)


def initial_results(sc: Scenario, list_price: np.ndarray) -> QuarterResults:
    """The signals the AI reads before the first quarter, from the scenario's reference figures."""
    n_r, n_g = len(sc.regions), len(sc.accelerators)
    start_price = sc.demand.wtp_usd_per_hour["training"] * sc.economics.initial_compute_price_share
    return QuarterResults(
        power=PowerResults(
            price_avg=np.array([r.electricity_price_usd_mwh for r in sc.regions], float),
            retail=np.array([r.electricity_price_usd_mwh for r in sc.regions], float),
            dc_price=np.array([r.electricity_price_usd_mwh + r.large_load_tariff_usd_mwh for r in sc.regions], float),
            capacity_usd_mw_day=np.zeros(n_r),
            reserve_margin=np.zeros(n_r),  # the starting grid's, set by the model once it is built
            dc_curtail=np.zeros(n_r),
        ),
        chips=ChipResults(
            supply=np.zeros(n_g),
            price=list_price.copy(),
            sold=np.zeros(n_g),
            wafers=np.zeros(n_g),
            capacity=np.zeros(n_g),
            made=np.zeros(n_g),
            ordered=np.zeros(n_g),
            contract_price=list_price.copy(),
            grey=np.zeros(n_g),
            licence_busd=np.zeros(n_g),
        ),
        compute=ComputeResults(
            price_region=np.full(n_r, start_price), price_global=start_price, spot_price_global=start_price
        ),
    )
