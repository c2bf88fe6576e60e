"""The world state as numpy arrays (struct of arrays): regions, datacenters, fabs, plants, projects.

Agents decide, arrays compute. Everything that changes during a game lives either here, in an
agent's ``state`` dict, or in the model's `Economy` (`sovereign.sim.state`), so a save is these
three things plus the random generators, the logs and the last quarter's results.
Growable tables (datacenters, fabs, plants) are appended rarely (a
build completing), so plain ``np.concatenate`` keeps the code simple.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from sovereign.scenario.schema import Scenario, Technology, quarter_index
from sovereign.sim.economics import new_datacenter_pue
from sovereign.sim.phases.diplomacy import alignment_trust

TECHNOLOGIES: tuple[Technology, ...] = ("solar", "wind", "hydro", "nuclear", "gas", "coal", "oil", "storage")
THERMAL = np.array([t in ("nuclear", "gas", "coal", "oil") for t in TECHNOLOGIES])


@dataclass
class World:
    """All numeric state of the world. Row order of region arrays is the scenario's region order."""

    # regions (R) and technologies (T)
    grid_mw: np.ndarray  # (R, T) installed generation capacity
    base_demand_mw: np.ndarray  # (R,) average non-datacenter load
    conventional_dc_mw: np.ndarray  # (R,) non-AI datacenter IT load
    pue: np.ndarray  # (R,)
    export_tier: np.ndarray  # (R,) int 1..3
    localisation: np.ndarray  # (R,) bool
    subsidy: np.ndarray  # (R,) share of capex the state pays
    # (R,) share of the subsidies it owed that the host paid, as investors judge it (`credible_subsidy`)
    subsidy_credibility: np.ndarray
    subsidy_owed_busd: np.ndarray  # (R,) subsidies owed this quarter so far (last quarter's until orders)
    subsidy_paid_busd: np.ndarray  # (R,) of which paid
    security_busd: np.ndarray  # (R,) yearly cyber-security spending
    dc_last: np.ndarray  # (R,) bool: datacenters curtailed last in a shortage
    permitting_quarters: np.ndarray  # (R,) int
    incident_penalty: np.ndarray  # (R,) decaying penalty after cyber incidents
    bloc_member: np.ndarray  # (B, R) bool
    bloc_application: np.ndarray  # (B, R) int: quarter a nation applied to join (-1: none pending)
    tier_cap: np.ndarray  # (3, G) H100e per quarter per destination region, inf = free
    gdp_busd: np.ndarray  # (R,) GDP, $B/year; grows at the region's gdp_growth (budgets follow it)
    # datacenters (D)
    dc_region: np.ndarray  # (D,) int
    dc_owner: np.ndarray  # (D,) int, index into model.seat_ids
    dc_it_mw: np.ndarray  # (D,)
    dc_pue: np.ndarray  # (D,)
    dc_stock: np.ndarray  # (D, G) installed H100e by class
    dc_kw: np.ndarray  # (D,) IT power of the installed accelerators
    dc_origin: np.ndarray  # (D, R) installed H100e by the region of the fab that made them
    dc_util: np.ndarray  # (D,) share of capacity sold last quarter
    dc_contract_rent: np.ndarray  # (D,) scarcity rent agreed on the contracted share, $/H100e-hour
    dc_energy: np.ndarray  # (D,) facility energy per unit of compute after efficiency upgrades (1 = none)
    dc_upgrades: np.ndarray  # (D,) int bit mask of the scenario's efficiency upgrades installed
    dc_name: list[str] = field(default_factory=list)
    # fabs (F)
    fab_region: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    fab_owner: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    fab_class: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    fab_capacity: np.ndarray = field(default_factory=lambda: np.zeros(0))  # H100e per quarter
    fab_online: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # absolute quarter index
    fab_name: list[str] = field(default_factory=list)
    # advanced packaging lines (P): a region's packaging serves the classes its fabs make
    pkg_region: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pkg_owner: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pkg_capacity: np.ndarray = field(default_factory=lambda: np.zeros(0))  # H100e per quarter
    pkg_online: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # absolute quarter index
    pkg_name: list[str] = field(default_factory=list)
    # high-bandwidth memory supplies (H), in the scenario's `chips.hbm` order: H100e per quarter
    hbm_capacity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # the memory makers' expansions under way (Ho, 3): quarter done, supply index, H100e per quarter
    hbm_orders: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    # chip trade rules by destination region and class (R, G): a licence replaces the tier cap
    # (NaN: none) and pays a share of the sales to the licensing nation; an import ban is the
    # destination's own rule (its territory and its firms); enforcement (R,) shrinks smuggling
    licence_cap: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    licence_share: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    import_ban: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))
    enforcement_busd: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # (R,) the market's judged chance that a region's chip output is disrupted soon (supply_threat
    # events; decays each quarter): buyers of the classes made there stockpile
    supply_threat: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # (R,) share of a region's fab output kept in fab disruptions there until quarter `shield_until`
    # (stockpiles a decision paid for)
    disruption_shield: np.ndarray = field(default_factory=lambda: np.zeros(0))
    shield_until: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # (R,) building time lost to region-wide disruptions and not yet added to the schedules: a
    # quarter is added once half of one has been lost (`sovereign.sim.phases.events.halt_building`)
    build_delay: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # the grid's plans and rules by region (R): utility plants ordered and not yet running (N, 4:
    # done quarter, region, technology, MW), network expansions ordered (N, 3: done quarter, region,
    # MW per quarter), large loads the network can energise per quarter, the connection requests
    # of others (datacenters outside the game: N, 4, region, quarter asked, MW to connect, MW asked),
    # and each nation's large-load rules; network charges and taxes on top of
    # the wholesale price (NaN until calibrated in the first quarter, `sovereign.sim.phases.power`)
    grid_orders: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    network_orders: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    connection_mw_q: np.ndarray = field(default_factory=lambda: np.zeros(0))
    queue_others: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    moratorium_until: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    onsite_required: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    large_load_tariff: np.ndarray = field(default_factory=lambda: np.zeros(0))
    min_take_share: np.ndarray = field(default_factory=lambda: np.zeros(0))
    network_charge: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # owned power plants (P); their MW are also counted in grid_mw
    plant_region: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    plant_owner: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    plant_tech: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    plant_mw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # projects under construction: plain dicts, JSON-able
    projects: list[dict[str, Any]] = field(default_factory=list)
    # (R, R) each nation's trust in another, 0-1 (`sovereign.sim.phases.diplomacy`), and every deal
    # offered between seats, one JSON-able record each, numbered by position
    trust: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    deals: list[dict[str, Any]] = field(default_factory=list)
    # covert operations, one JSON-able record each: secret until traced (`revealed` >= 0)
    covert: list[dict[str, Any]] = field(default_factory=list)

    # -- growable tables -------------------------------------------------------------------
    def add_datacenter(self, region: int, owner: int, it_mw: float, pue: float, name: str) -> int:
        """Append an empty datacenter and return its row."""
        self.add_datacenters([region], [owner], [it_mw], [pue], [name])
        return len(self.dc_region) - 1

    def add_datacenters(
        self, region: list[int], owner: list[int], it_mw: list[float], pue: list[float], name: list[str]
    ) -> None:
        """Append empty datacenters (one concatenation per array however many are added)."""
        n = len(region)
        if n == 0:
            return
        g, r = self.dc_stock.shape[1], self.dc_origin.shape[1]
        self.dc_region = np.concatenate([self.dc_region, np.asarray(region)])
        self.dc_owner = np.concatenate([self.dc_owner, np.asarray(owner)])
        self.dc_it_mw = np.concatenate([self.dc_it_mw, np.asarray(it_mw)])
        self.dc_pue = np.concatenate([self.dc_pue, np.asarray(pue)])
        self.dc_stock = np.vstack([self.dc_stock, np.zeros((n, g))])
        self.dc_kw = np.concatenate([self.dc_kw, np.zeros(n)])
        self.dc_origin = np.vstack([self.dc_origin, np.zeros((n, r))])
        self.dc_util = np.concatenate([self.dc_util, np.zeros(n)])
        self.dc_contract_rent = np.concatenate([self.dc_contract_rent, np.zeros(n)])
        self.dc_energy = np.concatenate([self.dc_energy, np.ones(n)])
        self.dc_upgrades = np.concatenate([self.dc_upgrades, np.zeros(n, np.int64)])
        self.dc_name.extend(name)

    def add_fab(self, region: int, owner: int, cls: int, capacity: float, online: int, name: str) -> int:
        """Append a fab and return its row."""
        self.fab_region = np.append(self.fab_region, region)
        self.fab_owner = np.append(self.fab_owner, owner)
        self.fab_class = np.append(self.fab_class, cls)
        self.fab_capacity = np.append(self.fab_capacity, capacity)
        self.fab_online = np.append(self.fab_online, online)
        self.fab_name.append(name)
        return len(self.fab_region) - 1

    def add_packaging(self, region: int, owner: int, capacity: float, online: int, name: str) -> int:
        """Append a packaging line and return its row."""
        self.pkg_region = np.append(self.pkg_region, region)
        self.pkg_owner = np.append(self.pkg_owner, owner)
        self.pkg_capacity = np.append(self.pkg_capacity, capacity)
        self.pkg_online = np.append(self.pkg_online, online)
        self.pkg_name.append(name)
        return len(self.pkg_region) - 1

    def add_plant(self, region: int, owner: int, tech: int, mw: float) -> int:
        """Append an owned plant (and add it to the region's grid)."""
        self.add_plants([region], [owner], [tech], [mw])
        return len(self.plant_region) - 1

    def add_plants(self, region: list[int], owner: list[int], tech: list[int], mw: list[float]) -> None:
        """Append owned plants (and add them to their regions' grids, in order)."""
        if not region:
            return
        self.plant_region = np.concatenate([self.plant_region, np.asarray(region)])
        self.plant_owner = np.concatenate([self.plant_owner, np.asarray(owner)])
        self.plant_tech = np.concatenate([self.plant_tech, np.asarray(tech)])
        self.plant_mw = np.concatenate([self.plant_mw, np.asarray(mw)])
        np.add.at(self.grid_mw, (np.asarray(region), np.asarray(tech)), np.asarray(mw, float))

    # -- (de)serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Every field, arrays kept as numpy arrays (the persistence layer encodes them)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> World:
        """Inverse of `to_dict`."""
        return cls(**{f.name: data[f.name] for f in fields(cls)})


def take_due(orders: np.ndarray, quarter: int) -> tuple[np.ndarray, np.ndarray]:
    """An order table's rows done by `quarter` (column 0: the quarter done), and the rest.

    The world's growable order tables (the utilities' plants and network, the memory makers'
    expansions) arrive the same way: the phase adds the due rows where they belong.
    """
    if not len(orders):
        return orders, orders
    due = orders[:, 0] <= quarter
    if not due.any():
        return orders[:0], orders
    return orders[due], orders[~due]


def initial_world(sc: Scenario, seat_index: dict[str, int], class_index: dict[str, int]) -> World:
    """Build the 2026 world from a scenario: grids, policies, and the actors' assets."""
    regions = sc.regions
    n_r, n_g = len(regions), len(sc.accelerators)
    rix = {r.id: i for i, r in enumerate(regions)}
    tix = {t: i for i, t in enumerate(TECHNOLOGIES)}
    grid = np.zeros((n_r, len(TECHNOLOGIES)))
    for i, region in enumerate(regions):
        for tech, mw in region.grid_mw.items():
            grid[i, tix[tech]] = mw
    blocs = np.zeros((len(sc.blocs), n_r), dtype=bool)
    for b, bloc in enumerate(sc.blocs):
        for m in bloc.members:
            blocs[b, rix[m]] = True
    tier_cap = np.full((3, n_g), np.inf)
    for tier, caps in sc.export_controls.tier_caps_h100e_per_quarter.items():
        for cls, cap in caps.items():
            tier_cap[tier - 1, class_index[cls]] = np.inf if cap is None else cap
    w = World(
        grid_mw=grid,
        base_demand_mw=np.array([r.base_demand_mw for r in regions], float),
        conventional_dc_mw=np.array([r.conventional_dc_mw for r in regions], float),
        pue=np.array([r.pue for r in regions], float),
        export_tier=np.array([r.export_tier for r in regions], np.int64),
        localisation=np.array([r.localisation_law for r in regions], bool),
        subsidy=np.zeros(n_r),
        subsidy_credibility=np.ones(n_r),
        subsidy_owed_busd=np.zeros(n_r),
        subsidy_paid_busd=np.zeros(n_r),
        security_busd=np.array([r.security_spend_busd for r in regions], float),
        dc_last=np.zeros(n_r, bool),
        permitting_quarters=np.array([r.permitting_quarters for r in regions], np.int64),
        incident_penalty=np.zeros(n_r),
        bloc_member=blocs,
        bloc_application=np.full(blocs.shape, -1, np.int64),
        tier_cap=tier_cap,
        gdp_busd=np.array([r.gdp_busd for r in regions], float),
        dc_region=np.zeros(0, np.int64),
        dc_owner=np.zeros(0, np.int64),
        dc_it_mw=np.zeros(0),
        dc_pue=np.zeros(0),
        dc_stock=np.zeros((0, n_g)),
        dc_kw=np.zeros(0),
        dc_origin=np.zeros((0, n_r)),
        dc_util=np.zeros(0),
        dc_contract_rent=np.zeros(0),
        dc_energy=np.zeros(0),
        dc_upgrades=np.zeros(0, np.int64),
        hbm_capacity=np.array([h.h100e_per_quarter for h in sc.chips.hbm], float),
        hbm_orders=np.zeros((0, 3)),
        licence_cap=np.full((n_r, n_g), np.nan),
        licence_share=np.zeros((n_r, n_g)),
        import_ban=np.zeros((n_r, n_g), bool),
        enforcement_busd=np.array([sc.export_controls.enforcement_busd.get(r.id, 0.0) for r in regions], float),
        supply_threat=np.zeros(n_r),
        disruption_shield=np.zeros(n_r),
        shield_until=np.full(n_r, -1, np.int64),
        build_delay=np.zeros(n_r),
        connection_mw_q=np.array(
            [
                (
                    r.connection_mw_per_year
                    if r.connection_mw_per_year is not None
                    else sc.grid.connection_share_per_year * r.base_demand_mw
                )
                / 4.0
                for r in regions
            ],
            float,
        ),
        # others' requests, first come first served (N, 4: region, quarter asked (-1: before the
        # game), MW still to connect, MW asked)
        queue_others=np.array(
            [
                [i, -1, r.connection_queue_mw, r.connection_queue_mw]
                for i, r in enumerate(regions)
                if r.connection_queue_mw > 0
            ],
            float,
        ).reshape(-1, 4),
        moratorium_until=np.array(
            [quarter_index(r.connection_moratorium_until) if r.connection_moratorium_until else -1 for r in regions],
            np.int64,
        ),
        onsite_required=np.array([r.onsite_required for r in regions], bool),
        large_load_tariff=np.array([r.large_load_tariff_usd_mwh for r in regions], float),
        min_take_share=np.array([r.min_take_share for r in regions], float),
        network_charge=np.full(n_r, np.nan),
        trust=alignment_trust(blocs, np.array([r.export_tier for r in regions], np.int64), sc.diplomacy),
    )
    _trade_rules(w, sc, rix, class_index)
    kw = np.array([a.kw_per_h100e for a in sc.accelerators])
    initial_rent = max(
        sc.demand.wtp_usd_per_hour["training"] * sc.economics.initial_compute_price_share - sc.demand.opex_usd_per_hour,
        0.0,
    )
    start = quarter_index(sc.time.start)
    for actor in sc.actors:
        owner = seat_index[actor.id]
        for k, dc in enumerate(actor.datacenters):
            r = rix[dc.region]
            name = dc.name or f"{actor.name} {k + 1}"
            opens = quarter_index(dc.online) if dc.online else start
            if opens > start:
                # under construction at the start (paid before the game): a project that opens later
                pid = -1 - len(w.projects)
                w.projects.append(
                    project_record(
                        pid,
                        "build_datacenter",
                        actor.id,
                        dc.region,
                        dc.it_mw,
                        (start, opens),
                        f"{actor.name}: {name}",
                        # connection agreed before the game (power secured for campuses under way)
                        grid=(dc.it_mw * float(new_datacenter_pue(sc, regions[r].pue)), start, False),
                    )
                )
                continue
            d = w.add_datacenter(r, owner, dc.it_mw, dc.pue or regions[r].pue, name)
            for cls, h in dc.accelerators.items():
                g = class_index[cls]
                w.dc_stock[d, g] += h
                w.dc_kw[d] += h * kw[g]
            origin = rix[dc.supplier] if dc.supplier else r
            w.dc_origin[d, origin] += w.dc_stock[d].sum()
            w.dc_util[d] = 0.8
            # capacity already under contract at the start: signed at 2025-26 prices
            w.dc_contract_rent[d] = initial_rent
        for k, fab in enumerate(actor.fabs):
            online = quarter_index(fab.online) if fab.online else quarter_index(sc.time.start)
            w.add_fab(
                rix[fab.region],
                owner,
                class_index[fab.accelerator],
                fab.h100e_per_quarter,
                online,
                fab.name or f"{actor.name} fab {k + 1}",
            )
        for k, pkg in enumerate(actor.packaging):
            online = quarter_index(pkg.online) if pkg.online else quarter_index(sc.time.start)
            w.add_packaging(
                rix[pkg.region], owner, pkg.h100e_per_quarter, online, pkg.name or f"{actor.name} packaging {k + 1}"
            )
        for p in actor.plants:
            w.add_plant(rix[p.region], owner, tix[p.technology], p.mw)
    return w


def project_record(
    pid: int,
    kind: str,
    owner: str,
    region: str,
    size: float,
    when: tuple[int, int],
    name: str,
    detail: str = "",
    cost: tuple[float, float] = (0.0, 0.0),
    grid: tuple[float, int, bool] = (0.0, -1, False),
) -> dict[str, Any]:
    """A project in the pipeline (`World.projects`): the one shape every build takes until it is done.

    Args:
        pid: a unique id (`orders.project_id`: the quarter it started and its place in that quarter);
            negative for a campus already under construction at the start (no command started it).
        kind: the build command's kind (``build_datacenter``, ``build_plant``...).
        owner: the seat that will own it.
        region: the region id where it stands.
        size: MW for datacenters and plants, H100e per quarter for fabs and packaging.
        when: (quarter started, quarter done), absolute quarter indices.
        name: what the news and the UI call it.
        detail: the technology of a plant, the class of a fab; empty otherwise.
        cost: (capex paid, subsidy received), $B; zero for what was paid before the game.
        grid: for a datacenter, (facility MW it asks the grid for, quarter its connection was
            granted or -1 while it queues, whether it brings its own on-site generation);
            ``grid_done_mw`` counts the MW the network has energised for it so far.
    """
    return {
        "id": pid,
        "kind": kind,
        "owner": owner,
        "region": region,
        "size": float(size),
        "detail": detail,
        "started": when[0],
        "done": when[1],
        "cost_busd": cost[0],
        "subsidy_busd": cost[1],
        "name": name,
        "grid_mw": float(grid[0]),
        "grid_done_mw": float(grid[0]) if grid[1] >= 0 else 0.0,
        "connected": int(grid[1]),
        "onsite": bool(grid[2]),
    }


def _trade_rules(w: World, sc: Scenario, rix: dict[str, int], class_index: dict[str, int]) -> None:
    """The scenario's licences and import bans in force at the start."""
    for lic in sc.export_controls.licences:
        w.licence_cap[rix[lic.region], class_index[lic.accelerator]] = lic.cap_h100e_per_quarter
        w.licence_share[rix[lic.region], class_index[lic.accelerator]] = lic.revenue_share
    for reg, classes in sc.export_controls.import_bans.items():
        for cls in classes:
            w.import_ban[rix[reg], class_index[cls]] = True
