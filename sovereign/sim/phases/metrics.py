"""Metrics: the five sovereignty pillars, the index, and the tidy per-quarter tables.

Pillars per nation, each in [0, 1] (DESIGN.md, "Sovereignty and goals"):

- compute self-reliance: the nation's AI compute demand served, each unit weighted by the credit of
  where it runs and of who owns it (`host_weight` each half): 1 for the nation itself, and
  `foreign_credit` x trust for another nation (`World.trust`: allies 0.7, neutrals 0.5, rivals
  0.2 at the start), so a membership card counts for less than one's own capacity;
- power adequacy: 0.7 x (datacenter energy served / wanted) + 0.3 x min(1, reserve margin / 15%);
- chip security: installed accelerators weighted by the credit of the nation whose fabs made them
  (1 for one's own, `foreign_credit` x trust for others), times supplier
  diversity 0.5 + 0.5 x (1 - HHI) (the floor keeps a single trusted supplier from scoring zero);
- data governance: the share of regulated data kept under the nation's jurisdiction: all of it but
  half of what is processed abroad (a localisation law keeps it all home; demand it leaves unserved
  costs compute self-reliance, not governance);
- cyber resilience: spending / (spending + exposure) minus recent incident penalties.

The index is the weighted geometric mean with each pillar floored at 0.01, so neglecting one
pillar hurts but a single zero does not erase the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

from sovereign.markets.halls import np_sum_with
from sovereign.scenario.schema import quarter_label
from sovereign.sim.economics import HOURS_PER_QUARTER
from sovereign.sim.phases.grid import others_queued_mw, queued_mw

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel

PILLARS = ("compute_self_reliance", "power_adequacy", "chip_security", "data_governance", "cyber_resilience")
PILLAR_FLOOR = 0.01
#: The columns of the firms table, in order.
FIRM_COLUMNS = (
    "quarter",
    "firm",
    "name",
    "kind",
    "home",
    "cash_busd",
    "revenue_busd",
    "valuation_busd",
    "market_share",
    "compute_h100e",
    "demand_h100e",
    "served_h100e",
    "profit_busd",
    "debt_busd",
    "rounds_raised",
    "failed_rounds",
    "born",
)
#: The columns of the holdings table, in order.
HOLDING_COLUMNS = ("quarter", "firm", "firm_home", "region", "accelerator", "h100e")


@njit(cache=True)
def _served_sums(
    credit: np.ndarray,
    host_w: float,
    owner_home: np.ndarray,
    r_j: np.ndarray,
    alloc: np.ndarray,
    core: np.ndarray,
    reg: np.ndarray,
    r_k: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The two per-region sums of what the segments are served, (R,) each: trusted and regulated-abroad.

    Trusted: each core segment's row of ``trusted_by_region[r_j[j]] * alloc[j]``, summed, by the
    segment's region; a region's trust in a cluster (``trusted_by_region``, (R, K)) is the
    `credit` (R, R) it gives the cluster's region (`r_k`) and its owner's home (`owner_home`),
    weighted `host_w` and the rest.
    Regulated abroad: each regulated core segment's row of ``alloc[j]`` on the clusters outside its
    region, summed, by its region. `core` and `reg` are (J,) the segments counted in each sum.

    Why compiled: in numpy each sum was a (J, K) product array, a row sum and a bincount, ~a
    quarter of `sovereignty_pillars`' time for a few hundred segments by a few hundred clusters.
    The numbers are numpy's bit for bit: the same products (a segment outside a sum, or a
    cluster at home, is multiplied by 0.0 as numpy multiplied it by False), each row summed as
    numpy sums a row of a (J, K) array (``0.0`` plus its pairwise sum, `np_sum_with`), and the rows
    added to their region in row order, as `np.bincount` adds its weights. A test holds it equal
    to the numpy form.
    """
    n_j, n_k = alloc.shape
    n_r = len(credit)
    trusted_by_region = np.empty((n_r, n_k))
    for r in range(n_r):
        for k in range(n_k):
            trusted_by_region[r, k] = host_w * credit[r, r_k[k]] + (1.0 - host_w) * credit[r, owner_home[k]]
    trusted_r = np.zeros(n_r)
    abroad_r = np.zeros(n_r)
    row = np.empty(n_k)
    frames, sums = np.empty((3, 64), np.int64), np.empty(64)  # the pairwise sums' work, once
    for j in range(n_j):
        r = r_j[j]
        for k in range(n_k):
            row[k] = trusted_by_region[r, k] * alloc[j, k]
        trusted_r[r] += (0.0 + np_sum_with(row, 0, n_k, frames, sums)) * (1.0 if core[j] else 0.0)
        if reg[j]:
            for k in range(n_k):
                row[k] = alloc[j, k] * (1.0 if r != r_k[k] else 0.0)
            abroad_r[r] += 0.0 + np_sum_with(row, 0, n_k, frames, sums)
    return trusted_r, abroad_r


@njit(cache=True)
def _installed_by_origin(dc_region: np.ndarray, dc_origin: np.ndarray) -> np.ndarray:
    """(R, R) the accelerators installed by the region that hosts them and the region whose fabs made them.

    Each datacenter's row (`dc_origin`, (D, R)) added to its host region's (`dc_region`, (D,))
    in datacenter order, as ``np.bincount`` over the flattened cells added them: the same sums.
    Why compiled: the cells' (D, R) index array and the bincount were ~20 us a quarter.
    """
    n_r = dc_origin.shape[1]
    origin = np.zeros((n_r, n_r))
    for d in range(len(dc_region)):
        for o in range(n_r):
            origin[dc_region[d], o] += dc_origin[d, o]
    return origin


def compiled_kernels() -> tuple[Any, ...]:
    """The metrics' compiled kernels (numba dispatchers), as `warm_up_kernels` loads them."""
    return (_served_sums, _installed_by_origin)


def warm_up_kernels() -> None:
    """Load (or, on a machine's first run, compile) the metrics' kernels on a tiny instance.

    Two segments, one region, two clusters (and two datacenters), the arrays of the types
    `sovereignty_pillars` passes, so the game's calls find these signatures.
    """
    yes = np.ones(2, bool)
    region = np.zeros(2, np.int64)
    _served_sums(np.ones((1, 1)), 0.5, region, region, np.ones((2, 2)), yes, yes, region)
    _installed_by_origin(region, np.ones((2, 1)))


def sovereignty_pillars(model: SovereignModel) -> dict[str, np.ndarray]:
    """The five pillars and the index for every nation this quarter."""
    m, w, sc = model, model.world, model.scenario
    n_r = len(m.region_ix)
    # credit for what the nation itself hosts, owns or makes (1), and for what another nation does,
    # in proportion to how much it trusts that nation (`foreign_credit` per unit of trust)
    credit = sc.sovereignty.foreign_credit * w.trust
    credit.flat[:: n_r + 1] = 1.0  # the diagonal, as np.fill_diagonal sets it, without its ~5 us of checks
    host_w = sc.sovereignty.host_weight
    res = m.results
    seg = res.compute.segments
    alloc = res.compute.alloc  # (J, K)
    k_ix = res.compute.clusters
    r_k = w.dc_region[k_ix]
    seat_home = m.seat_home_index()
    owner_home = seat_home[w.dc_owner[k_ix]]
    r_j = seg.region
    # compute self-reliance: each unit served counts by the credit of where it runs and of who
    # owns it, `host_w` each (a foreign cloud at home counts halfway; one's own at home fully);
    # the low-price fringe is neither demand a nation is short of nor self-reliance it gains
    core = ~seg.fringe_mask()
    # data governance's regulated segments (below); both sums of what is served in one pass
    reg = (seg.klass == "regulated") & core
    trusted_r, reg_abroad = _served_sums(credit, host_w, owner_home, r_j, alloc, core, reg, r_k)
    demand_r = np.bincount(r_j, weights=seg.wanted(), minlength=n_r)
    compute = np.divide(trusted_r, demand_r, out=np.zeros(n_r), where=demand_r > 0)
    # power adequacy
    wanted = res.power.dc_energy_wanted_mwh
    served = res.power.dc_energy_mwh
    served_share = np.divide(served, wanted, out=np.ones(n_r), where=wanted > 0)
    sw = sc.sovereignty
    margin_score = np.clip(res.power.reserve_margin / sw.reserve_margin_target, 0.0, 1.0)
    power = sw.power_served_weight * served_share + (1.0 - sw.power_served_weight) * margin_score
    # chip security
    # installed chips by (host region, fab region), added in datacenter order
    origin = _installed_by_origin(w.dc_region, w.dc_origin)
    total = origin.sum(1)
    share = np.divide(origin, total[:, None], out=np.zeros_like(origin), where=total[:, None] > 0)
    allied_share = (share * credit).sum(1)
    hhi = (share**2).sum(1)
    floor = sc.sovereignty.diversity_floor
    chips = np.where(total > 0, allied_share * (floor + (1.0 - floor) * (1.0 - hhi)), 0.0)
    # data governance: the share of regulated data kept under the nation's jurisdiction; what is
    # processed abroad counts `abroad_credit`, what is processed at home or not at all counts fully
    # (a workload left unserved never left the country: its cost is in compute self-reliance)
    reg_demand = np.bincount(r_j[reg], weights=seg.qty[reg], minlength=n_r)
    lost = (1.0 - sc.sovereignty.abroad_credit) * reg_abroad
    data = np.divide(reg_demand - lost, reg_demand, out=np.ones(n_r), where=reg_demand > 0)
    # cyber resilience
    exposure = np.array([r.threat_exposure for r in sc.regions]) * w.gdp_busd * sc.events.threat_busd_per_gdp
    security = w.security_busd.tolist()  # Python floats: a list lookup a nation, not a numpy scalar each
    paid = np.array([m.seats[r.id].state.get("security_paid_busd", security[i]) for i, r in enumerate(sc.regions)])
    protection = np.divide(paid, paid + exposure, out=np.ones(n_r), where=(paid + exposure) > 0)
    cyber = protection - w.incident_penalty
    # the pillars as the rows of one (5, R) array, clipped to [0, 1] by one call: np.clip costs ~8 us
    # of Python-level work whatever the size, and five calls and a stack were a sixth of this function
    pillars = np.empty((len(PILLARS), n_r))
    pillars[0], pillars[1], pillars[2], pillars[3], pillars[4] = compute, power, chips, data, cyber
    np.clip(pillars, 0.0, 1.0, out=pillars)
    out = dict(zip(PILLARS, pillars, strict=True))
    wts = sc.sovereignty
    weights = np.array([wts.compute, wts.power, wts.chips, wts.data, wts.cyber])
    out["sovereignty_index"] = np.exp((weights[:, None] * np.log(np.maximum(pillars, PILLAR_FLOOR))).sum(0))
    return out


class MetricsRecorder:
    """Tidy per-quarter tables: one row per nation, per firm, and for the world."""

    #: The tables, in the order saves and digests list them.
    TABLES = ("nations", "firms", "world", "holdings", "connections", "plant_orders", "signals")

    def __init__(self) -> None:
        # the nations', firms' and holdings' rows are made on first read (`_made`): ~13,000 rows a
        # game that a headless run never reads, ~2% of its time as dicts; each quarter keeps its
        # values until then (the same Python values the rows then hold), as its rows' tuples or, for
        # the nations and the holdings, as its columns, zipped into rows only when read: no tuple per
        # row for the cycle collector to walk (~10,000 a game)
        self._rows: dict[str, list[dict[str, Any]]] = {"nations": [], "firms": [], "holdings": []}
        self._due: dict[str, list[tuple[tuple[str, ...], Iterable[tuple[Any, ...]]]]] = {t: [] for t in self._rows}
        self.world: list[dict[str, Any]] = []
        #: every datacenter energised: where, whose, how big, when asked, how long it waited
        #: (appended by the grid phase and by construction for on-site builds)
        self.connections: list[dict[str, Any]] = []
        #: every power plant ordered: by whom (a seat or the utilities), whether an AI chose it,
        #: what for (adequacy, merchant energy, a command), and the technology's availability in
        #: the slice that bound when it was ordered (appended by the grid and orders phases)
        self.plant_orders: list[dict[str, Any]] = []
        self.signals: list[dict[str, Any]] = []

    def record(self, model: SovereignModel, pillars: dict[str, np.ndarray]) -> None:
        """Append this quarter's rows."""
        m, w, sc = model, model.world, model.scenario
        power, compute, chips = m.results.power, m.results.compute, m.results.chips
        q = quarter_label(m.quarter)
        n_r = len(m.region_ix)
        capacity = np.bincount(w.dc_region, weights=w.dc_stock.sum(1), minlength=n_r)
        cap_share = capacity / max(capacity.sum(), 1e-9)
        dc_twh = power.dc_energy_mwh / 1e6
        ai_twh = power.ai_energy_mwh / 1e6
        seg = compute.segments
        # demand wanted and served without the low-price fringe (compute bought only when cheap)
        core_served = np.where(seg.fringe_mask(), 0.0, compute.served)
        served_r = np.bincount(seg.region, weights=core_served, minlength=n_r)
        demand_r = np.bincount(seg.region, weights=seg.wanted(), minlength=n_r)
        sold = compute.alloc.sum(0)
        sold_r = np.bincount(w.dc_region[compute.clusters], weights=sold, minlength=n_r)
        # one list per column, then one row per region: converting whole arrays with tolist()
        # gives the same Python numbers as float()/bool()/int() on each element, much faster
        columns: dict[str, list[Any]] = {"quarter": [q] * n_r, "region": [r.id for r in sc.regions]}
        columns.update((p, np.asarray(pillars[p], float).tolist()) for p in (*PILLARS, "sovereignty_index"))
        for name, values in (
            ("compute_capacity_h100e", capacity),
            ("compute_share", cap_share),
            ("compute_sold_h100e", sold_r),
            ("compute_demand_h100e", demand_r),
            ("compute_served_h100e", served_r),
            ("dc_electricity_twh", dc_twh),
            ("ai_electricity_twh", ai_twh),
            ("wholesale_energy_usd_mwh", power.price_avg),
            ("capacity_price_usd_mw_day", power.capacity_usd_mw_day),
            ("wholesale_price_usd_mwh", power.wholesale_avg),
            ("retail_price_usd_mwh", power.retail),
            ("compute_price_usd_hour", compute.price_region),
            ("emissions_mt", power.emissions_mt),
            ("dc_emissions_mt", power.dc_emissions_mt),
            ("reserve_margin", power.reserve_margin),
            ("dc_curtailed_share", power.dc_curtail),
            ("connection_queue_mw", others_queued_mw(m) + queued_mw(m)),
            ("connection_mw_per_year", w.connection_mw_q * 4.0),
        ):
            columns[name] = np.asarray(values, float).tolist()
        columns["budget_busd"] = [float(m.seats[r.id].state["cash_busd"]) for r in sc.regions]
        columns["gdp_busd"] = np.asarray(w.gdp_busd, float).tolist()
        columns["subsidy"] = np.asarray(w.subsidy, float).tolist()
        columns["localisation"] = np.asarray(w.localisation, bool).tolist()
        columns["export_tier"] = np.asarray(w.export_tier, np.int64).tolist()
        columns["security_busd"] = np.asarray(w.security_busd, float).tolist()
        self._due["nations"].append((tuple(columns), zip(*columns.values(), strict=True)))
        firms = [a for a in m.seats.values() if a.kind != "nation"]
        total_rev = sum(a.state.get("revenue_busd", 0.0) for a in firms)
        owned = np.bincount(w.dc_owner, weights=w.dc_stock.sum(1), minlength=len(m.seat_ids)).tolist()
        seat_pos = m.seat_pos
        # one comprehension of tuples in `FIRM_COLUMNS` order (``for st, revenue in ((...),)`` binds
        # a firm's state and revenue once): a loop of appends costs some 10-15% more
        self._due["firms"].append(
            (
                FIRM_COLUMNS,
                [
                    (
                        q,
                        agent.seat_id,
                        str(st["name"]),
                        agent.kind,
                        st["home"],
                        float(st["cash_busd"]),
                        float(revenue),
                        float(st.get("valuation_busd", 0.0)),
                        float(revenue / total_rev) if total_rev > 0 else 0.0,
                        owned[seat_pos[agent.seat_id]],
                        float(st.get("demand_h100e", 0.0)),
                        float(st.get("served_h100e", 0.0)),
                        float(st.get("profit_busd", 0.0)),
                        float(st.get("debt_busd", 0.0)),
                        int(st.get("rounds_raised", 0)),
                        int(st.get("failed_rounds", 0)),
                        quarter_label(int(st["born"])) if "born" in st else "",
                    )
                    for agent in firms
                    for st, revenue in ((agent.state, agent.state.get("revenue_busd", 0.0)),)
                ],
            )
        )
        chip_price = np.asarray(chips.price, float)
        world: dict[str, Any] = {
            "quarter": q,
            "dc_electricity_twh": float(dc_twh.sum()),
            "ai_electricity_twh": float(ai_twh.sum()),
            "compute_capacity_h100e": float(capacity.sum()),
            "compute_demand_h100e": float(seg.wanted().sum()),
            "compute_served_h100e": float(core_served.sum()),
            "compute_fringe_served_h100e": float(compute.served.sum() - core_served.sum()),
            "compute_price_usd_hour": float(compute.price_global),
            "compute_spot_price_usd_hour": float(compute.spot_price_global),
            "emissions_mt": float(power.emissions_mt.sum()),
            "turbine_backlog_gw": float(m.economy.turbine_backlog_gw),
            "startups_alive": sum(1 for a in firms if a.kind == "startup"),
            "startups_founded": int(m.economy.startups_spawned),
            "startups_failed": int(m.economy.startups_failed),
            "datacenters": len(w.dc_region),
            "projects": len(w.projects),
            "money_busd": float(m.total_money_busd()),
            "compute_revenue_busd": float((sold * compute.price).sum() * HOURS_PER_QUARTER / 1e9),
            "chip_revenue_busd": float(chips.fab_revenue_busd.sum()),
        }
        for g, a in enumerate(sc.accelerators):
            world[f"chip_price_{a.id}_usd"] = float(chip_price[g])
            world[f"chip_supply_{a.id}_h100e"] = float(chips.supply[g])
            world[f"chip_sold_{a.id}_h100e"] = float(chips.sold[g])
        world["chip_grey_market_h100e"] = float(np.asarray(chips.grey, float).sum()) if len(chips.grey) else 0.0
        world["chip_licence_fees_busd"] = (
            float(np.asarray(chips.licence_busd, float).sum()) if len(chips.licence_busd) else 0.0
        )
        self.world.append(world)
        self._record_holdings(m, q)
        self.signals.append(
            {
                "compute_price_region": np.array(compute.price_region),
                "dc_power_price": np.array(power.dc_price),
                "chip_price": chip_price.copy(),
                # orders beyond what the fabs could have made without disruptions, by class: what
                # fabs expand for (a blockade's shortfall is not a lack of capacity)
                "chip_unmet": np.maximum(
                    np.asarray(chips.ordered, float) - np.maximum(np.asarray(chips.capacity, float), chips.sold), 0.0
                )
                if len(chips.ordered) == len(chips.sold) == len(chips.capacity)
                else np.zeros(len(chip_price)),
            }
        )

    def _record_holdings(self, m: SovereignModel, q: str) -> None:
        """Who holds which chips where: installed H100e by firm, host region and class (non-zero rows)."""
        w, sc = m.world, m.scenario
        n_r, n_g = len(m.region_ix), len(m.class_ix)
        # H100e by (owner, host region, class) cell: one weighted bincount adds the rows in order,
        # like `np.add.at` (the same sums), at a fraction of its cost
        key = ((w.dc_owner * n_r + w.dc_region)[:, None] * n_g + np.arange(n_g)[None, :]).ravel()
        cells = np.bincount(key, weights=w.dc_stock.ravel(), minlength=len(m.seat_ids) * n_r * n_g)
        flat = np.flatnonzero(cells > 0.5)  # in (owner, region, class) order, as the rows have always been
        owner_region, g = np.divmod(flat, n_g)
        owner, region = np.divmod(owner_region, n_r)
        classes = [a.id for a in sc.accelerators]
        regions = [r.id for r in sc.regions]
        # every seat's home once (the cached index the pillars use), not once per cell
        homes = [regions[i] for i in m.seat_home_index().tolist()]
        seat_ids = m.seat_ids
        owners, held = owner.tolist(), cells[flat].tolist()
        columns = (
            [q] * len(held),
            [seat_ids[o] for o in owners],
            [homes[o] for o in owners],
            [regions[r] for r in region.tolist()],
            [classes[c] for c in g.tolist()],
            held,
        )
        self._due["holdings"].append((HOLDING_COLUMNS, zip(*columns, strict=True)))

    def _made(self, table: str) -> list[dict[str, Any]]:
        """The rows of `table` ("nations", "firms" or "holdings"), the quarters not yet read made into dicts."""
        rows, due = self._rows[table], self._due[table]
        for names, values in due:
            rows += [dict(zip(names, row, strict=True)) for row in values]
        due.clear()
        return rows

    def _replace(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Set the rows of `table` (a loaded save's), dropping any not yet made."""
        self._rows[table] = rows
        self._due[table].clear()

    @property
    def nations(self) -> list[dict[str, Any]]:
        """One row per nation and quarter: the pillars, the index and the nation's figures."""
        return self._made("nations")

    @nations.setter
    def nations(self, rows: list[dict[str, Any]]) -> None:
        self._replace("nations", rows)

    @property
    def firms(self) -> list[dict[str, Any]]:
        """One row per firm and quarter (`FIRM_COLUMNS`)."""
        return self._made("firms")

    @firms.setter
    def firms(self, rows: list[dict[str, Any]]) -> None:
        self._replace("firms", rows)

    @property
    def holdings(self) -> list[dict[str, Any]]:
        """Installed H100e by firm, host region and class, non-zero cells, per quarter (`HOLDING_COLUMNS`)."""
        return self._made("holdings")

    @holdings.setter
    def holdings(self, rows: list[dict[str, Any]]) -> None:
        self._replace("holdings", rows)

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """The tidy tables as lists of rows."""
        return {
            "nations": self.nations,
            "firms": self.firms,
            "world": self.world,
            "holdings": self.holdings,
            "connections": self.connections,
            "plant_orders": self.plant_orders,
        }
