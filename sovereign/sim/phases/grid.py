"""Grid: each region's utilities plan generation and network, and datacenters queue for connections.

Runs after the quarter's markets (it reads their prices) and before demand moves on. The
utilities are outside the game (one per region) and follow published planning practice:

- **adequacy** (once a year): for each year ahead up to `grid.plan_horizon_quarters`, firm
  capacity for the load they expect then (grown base load, conventional datacenters, connected and
  queued halls at what they are expected to draw, not their nameplate: `expected_dc_mw`), in the
  peak slice at the region's annual peak hour (`peak_hour_factor`), plus
  `grid.target_reserve_margin`, against the fleet then (less retirements) and what is on order by
  then. They fill the slice that binds with the technology whose capacity there is cheapest (capex
  over its availability in that slice, at least `MIN_AVAILABILITY`), among those that arrive in
  time, ordered in the last year it still can be; when nothing arrives in time, the soonest, late.
  So solar is never built for an evening peak it cannot serve, and a long gas-turbine backlog turns
  them to other technologies. The reserve margin and the capacity price (`power`) count the same
  datacenter load;
- **energy** (once a year): merchant wind and solar are built where last quarter's prices, in the
  hours they produce, pay back their capex (`grid.merchant_hurdle`), at most `merchant_build_share_per_year`;
- **retirement**: their fleet of each technology closes at `retire_per_year` (players' plants do not);
- **network**: where the connection queue is longer than `grid.network_target_wait_quarters`, they
  order more connection capacity (`network_build_quarters` to build, at most
  `network_expansion_per_year` more per year of orders);
- **connections**: the network energises large loads first come, first served, up to its
  connection capacity this quarter and only while the planning margin after connecting stays at
  or above `grid.connection_margin`; requests of others queued before the game go first. A
  region's moratorium holds the queue; on-site generation skips it.

Owns: the utilities' share of `World.grid_mw`, the grid and network orders, the connection
capacity and queue (datacenter projects' ``connected``), the world's turbine backlog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

from sovereign.markets.halls import np_sum
from sovereign.scenario.schema import quarter_label
from sovereign.sim import economics as econ
from sovereign.sim.phases.diplomacy import power_contract_flows
from sovereign.sim.world import TECHNOLOGIES, take_due

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel


def firm_capacity(model: SovereignModel, grid_mw: np.ndarray) -> np.ndarray:
    """(R, S) capacity available in each slice: installed MW times each technology's availability there."""
    return np.asarray(grid_mw @ model.tech_avail.T)


def contracted_dc_mw(model: SovereignModel) -> np.ndarray:
    """(R,) datacenter load the grid has agreed to serve: every connected hall at its full facility load.

    Conventional (non-AI) datacenters at the region's PUE, AI halls running at IT MW x PUE, and
    halls whose connection is granted but which are still being built. Connections are granted
    against it (a hall may draw its full load any hour); the utilities plan for `expected_dc_mw`.
    """
    w = model.world
    n_r = len(w.base_demand_mw)
    halls = np.bincount(w.dc_region, weights=w.dc_it_mw * w.dc_pue, minlength=n_r)
    return np.asarray(w.conventional_dc_mw * w.pue + halls + _hall_projects_mw(model)[0])


def installed_ai_mw(model: SovereignModel) -> np.ndarray:
    """(D,) facility power each AI hall's installed accelerators draw at full use.

    Their IT kW x the hall's PUE x its efficiency upgrades (`World.dc_energy`); what a hall draws
    in a quarter (`power.ai_load_mw`) is this at its use.
    """
    w = model.world
    return np.asarray(w.dc_kw * w.dc_pue * w.dc_energy / econ.KW_PER_MW)


@contextmanager
def computed_once(model: SovereignModel, *, all_fixed: bool) -> Iterator[None]:
    """Within it, the grid's figures of today are computed once and kept (read-only) until it ends.

    Why: the AI asks for the same figures seat after seat (`best_firm_technology`, the queue's
    wait), and the phases ask for the halls under way several times a quarter; adding the hundred
    or so projects again each time cost ~1.5% of a run. `SovereignModel.step` opens it only over
    spans where nothing these figures read can change, and nothing is kept past them (between
    quarters, the UI and tests compute afresh):

    - ``all_fixed``: the AI's decisions, which read the model (their commands are applied later):
      `_hall_projects_mw`, `expected_dc_mw`, `lead_quarters` and each region's `binding_slice`;
    - otherwise, from the projects' completion to the quarter's record: the projects change only
      when orders start them, events delay them, they complete, or they are connected (`orders`,
      `events`, `construction`, `connect_datacenters`), all outside it; halls get accelerators
      within it, so only `_hall_projects_mw` is kept.

    The kept arrays are read-only, so a caller cannot change them for the next one.
    """
    model.grid_memo = {"all_fixed": all_fixed}
    try:
        yield
    finally:
        model.grid_memo = None


def _kept(array: np.ndarray) -> np.ndarray:
    """`array` made read-only, to be kept by `computed_once`."""
    array.flags.writeable = False
    return array


def _once(model: SovereignModel, key: Any, compute: Callable[[], Any]) -> Any:
    """`compute()`, kept under `key` within a `computed_once` span over the AI's decisions (``all_fixed``).

    Outside such a span it is computed afresh each time; a kept array is read-only.
    """
    memo = model.grid_memo
    if memo is None or not memo["all_fixed"]:
        return compute()
    if key not in memo:
        value = compute()
        memo[key] = _kept(value) if isinstance(value, np.ndarray) else value
    return memo[key]


def expected_dc_mw(model: SovereignModel) -> np.ndarray:
    """(R,) datacenter load the utilities plan for: what the halls are expected to draw, not their nameplate.

    Conventional datacenters at the region's PUE; running AI halls at what their installed
    accelerators draw at full use (`installed_ai_mw`); halls connected but still being built and
    halls queued for a connection at their facility load times the share of the region's running
    hall capacity that accelerators fill (the world's where none runs there yet, full where none
    runs anywhere). Halls open empty and fill with chips over years while new ones are built, so
    that share moves slowly (a quarter to a half of US hall capacity stands empty through a
    baseline game) and is taken to hold: planning every hall at its nameplate built plants years
    ahead of the load. The yearly plan, the planning reserve margin and so the capacity price use
    this load; connections are granted against `contracted_dc_mw`.
    """
    expected: np.ndarray = _once(model, "expected_dc", lambda: _expected_dc_mw(model))
    return expected


def _expected_dc_mw(model: SovereignModel) -> np.ndarray:
    """`expected_dc_mw`, computed."""
    w = model.world
    n_r = len(w.base_demand_mw)
    halls = np.bincount(w.dc_region, weights=w.dc_it_mw * w.dc_pue, minlength=n_r)
    drawn = np.bincount(w.dc_region, weights=installed_ai_mw(model), minlength=n_r)
    # a share of the halls, so at most 1, written so that it cannot overflow: a scenario may give a
    # hall more accelerators than its IT capacity holds, or a capacity of 5e-324 MW
    world = float(min(drawn.sum(), halls.sum()) / halls.sum()) if halls.sum() > 0 else 1.0
    fill = np.divide(np.minimum(drawn, halls), halls, out=np.full(n_r, world), where=halls > 0)
    building, queued = _hall_projects_mw(model)
    return np.asarray(w.conventional_dc_mw * w.pue + drawn + fill * (building + queued))


def _hall_projects_mw(model: SovereignModel) -> tuple[np.ndarray, np.ndarray]:
    """(R,) facility MW of the game's halls still being built whose connection is granted, and of those queued.

    On-site builds are in neither: they bring their own generation. Python floats while adding
    the projects: a hundred of them, and this is asked some two hundred times a game (kept
    within `computed_once`).
    """
    memo = model.grid_memo
    if memo is not None:
        if "halls" not in memo:
            building, queued = _add_hall_projects(model)
            memo["halls"] = (_kept(building), _kept(queued))
        halls: tuple[np.ndarray, np.ndarray] = memo["halls"]
        return halls
    return _add_hall_projects(model)


def _add_hall_projects(model: SovereignModel) -> tuple[np.ndarray, np.ndarray]:
    """`_hall_projects_mw`, computed."""
    w, region_ix = model.world, model.region_ix
    n_r = len(w.base_demand_mw)
    building, queued = [0.0] * n_r, [0.0] * n_r
    for p in w.projects:
        if p["kind"] == "build_datacenter":
            if p["connected"] >= 0:
                building[region_ix[p["region"]]] += p["grid_mw"]
            elif not p["onsite"]:
                queued[region_ix[p["region"]]] += p["grid_mw"]
    return np.array(building, float), np.array(queued, float)


def peak_load(model: SovereignModel, base_mw: np.ndarray, dc_mw: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
    """(R, S) the most each region's load reaches in each slice (for the regions `rows`).

    Base load by slice plus datacenters, at the annual peak hour in the peak slice
    (`ScenarioTables.slice_swing`), plus what the region's grid delivers to other nations' under power
    contracts (less what it receives: `diplomacy.power_contract_flows`), at every hour.
    """
    load = (base_mw[:, None] * model.slice_factor[None, :] + dc_mw[:, None]) * model.slice_swing[:, rows].T
    return np.asarray(np.maximum(load + power_contract_flows(model)[rows][:, None], 0.0))


def planning_margin(
    model: SovereignModel, firm: np.ndarray, dc_mw: np.ndarray, base_mw: np.ndarray, rows: slice = slice(None)
) -> np.ndarray:
    """(R,) planning reserve margin: firm capacity over peak-hour load in the slice where it is thinnest.

    `firm`, `dc_mw` and `base_mw` are for the regions `rows` (all by default).
    """
    load = peak_load(model, base_mw, dc_mw, rows)
    return np.asarray((firm / np.maximum(load, 1e-9)).min(axis=1) - 1.0)


def plan_grid(model: SovereignModel) -> None:
    """The utilities' quarter: deliveries and retirements; once a year their plan; connections.

    Utilities plan once a year (resource plans and capacity auctions are yearly), after the first
    quarter and every fourth one after it; their orders for each year ahead are placed in the last
    year they still can be, so a yearly plan misses nothing a quarterly one would catch.
    """
    _deliver(model)
    if (model.quarter - model.start_q) % 4 == 0:
        _plan_adequacy(model)
        _plan_merchant(model)
        _plan_network(model)
    connect_datacenters(model)


def _deliver(model: SovereignModel) -> None:
    """Turbines delivered, utility plants retired and completed, network expansions in service."""
    sc, w, g, q = model.scenario, model.world, model.economy, model.quarter
    g.turbine_backlog_gw = max(0.0, g.turbine_backlog_gw - sc.grid.turbine_supply_gw_per_year / 4.0)
    owned = np.zeros_like(w.grid_mw)
    np.add.at(owned, (w.plant_region, w.plant_tech), w.plant_mw)
    w.grid_mw -= np.maximum(w.grid_mw - owned, 0.0) * model.tech_retire[None, :] / 4.0
    rows, w.grid_orders = take_due(w.grid_orders, q)
    np.add.at(w.grid_mw, (rows[:, 1].astype(np.int64), rows[:, 2].astype(np.int64)), rows[:, 3])
    rows, w.network_orders = take_due(w.network_orders, q)
    np.add.at(w.connection_mw_q, rows[:, 1].astype(np.int64), rows[:, 2])


def _pipeline(model: SovereignModel, by: int) -> np.ndarray:
    """(R, T) utility capacity ordered that runs by quarter `by`."""
    w = model.world
    pipe = np.zeros_like(w.grid_mw)
    if len(w.grid_orders):
        rows = w.grid_orders[w.grid_orders[:, 0] <= by]
        np.add.at(pipe, (rows[:, 1].astype(np.int64), rows[:, 2].astype(np.int64)), rows[:, 3])
    return pipe


def others_queued_mw(model: SovereignModel) -> np.ndarray:
    """(R,) MW of others' connection requests still waiting."""
    q = model.world.queue_others
    return np.bincount(q[:, 0].astype(np.int64), weights=q[:, 2], minlength=len(model.world.base_demand_mw))


def _serve_others(model: SovereignModel, budget: np.ndarray) -> None:
    """Others' requests (before the game's, and the conventional datacenters' growth) take capacity first.

    First come, first served within each region. A request made in the game and served in full goes
    into the connections table as ``others`` (its wait is the queue's: their buildings are not
    modelled). Spends `budget` in place. Plain Python: the queue is a few dozen rows.
    """
    w, q = model.world, model.quarter
    grow = (w.conventional_dc_mw * w.pue * (model.conventional_growth_rate**0.25 - 1.0)).tolist()
    rows = w.queue_others.tolist() + [[r, q, mw, mw] for r, mw in enumerate(grow) if mw > 1e-3]
    left = budget.tolist()
    keep = []
    for row in rows:
        r = int(row[0])
        take = min(left[r], row[2])
        if take > 0.0:
            left[r] -= take
            row[2] -= take
        if row[2] > 1e-6:
            keep.append(row)
        elif row[1] >= 0:
            asked = int(row[1])
            model.metrics.connections.append(
                {
                    "quarter": quarter_label(q),
                    "region": model.scenario.regions[r].id,
                    "owner": "others",
                    "name": "requests of datacenters outside the game",
                    "grid_mw": float(row[3]),
                    "requested": quarter_label(asked),
                    "wait_quarters": q - asked,
                    "queue_quarters": q - asked,
                    "onsite": False,
                }
            )
    budget[:] = left
    w.queue_others = np.array(keep, float).reshape(-1, 4)


def queued_mw(model: SovereignModel) -> np.ndarray:
    """(R,) facility MW of the game's datacenters waiting for a grid connection."""
    return _hall_projects_mw(model)[1]


def expected_wait_quarters(model: SovereignModel) -> np.ndarray:
    """(R,) quarters a datacenter ordered now would wait for power beyond its own build.

    The queue ahead of it at today's connection capacity, less the build time (connection and
    construction overlap), plus what is left of a moratorium; where the grid connects no one
    (no capacity) the wait is taken as `grid.network_build_quarters` (new network).
    """
    sc, w = model.scenario, model.world
    ahead = others_queued_mw(model) + queued_mw(model)
    build = sc.economics.datacenter_build_quarters + w.permitting_quarters
    with np.errstate(over="ignore"):  # a queue of 1e300 MW at a trickle: as long as forever, below
        queue = np.divide(
            ahead,
            w.connection_mw_q,
            out=np.full(len(ahead), float(sc.grid.network_build_quarters)),
            where=w.connection_mw_q > 0,
        )
    # waits beyond 40 years (a game's longest horizon, like a moratorium's) are all "never"
    return np.asarray(
        np.maximum(queue.clip(max=4 * 40) - build, 0.0)
        + np.maximum(w.moratorium_until - model.quarter, 0).clip(max=4 * 40)
    )


def best_firm_technology(
    model: SovereignModel, r: int, allowed: np.ndarray, horizon: int, s: int | None = None
) -> tuple[int, int]:
    """(technology, slice) to add in region `r`: the slice that binds, and the technology to serve it.

    Among the allowed technologies that arrive within `horizon` quarters (the soonest if none
    does), the one whose capacity in that slice is cheapest: capex over its availability there
    (`cheapest_in_time`). -1 when none can serve that slice.

    The slice that binds is `s` if given, else the one with the thinnest planning margin today.
    The nations' and the conglomerates' AI use it; the utilities' yearly plan applies the same
    `cheapest_in_time` to every region at once.
    """
    if s is None:
        s = binding_slice(model, r)
    lead = lead_quarters(model)[r : r + 1]
    t = int(cheapest_in_time(model, np.array([s]), allowed[None, :], lead, horizon)[0])
    if t >= 0:
        return t, s
    return int(soonest(model, np.array([s]), allowed[None, :], lead)[0]), s


#: Lead time of a technology the scenario does not have (never built).
NEVER = 1 << 30
#: Least availability in the slice that binds for a technology to be built for it: a fifth of its
#: capacity (wind's ~0.25 counts; solar's 0.06 at the evening peak is no reason to build solar).
MIN_AVAILABILITY = 0.2


def lead_quarters(model: SovereignModel) -> np.ndarray:
    """(R, T) quarters from an order today to a running plant: build, permitting and turbine wait.

    `economics.plant_build_quarters` for every region and technology at once (a test holds them equal).
    """
    lead: np.ndarray = _once(model, "lead", lambda: _lead_quarters(model))
    return lead


def _lead_quarters(model: SovereignModel) -> np.ndarray:
    """`lead_quarters`, computed."""
    wait = econ.turbine_wait_quarters(model.scenario, model.economy.turbine_backlog_gw)
    return _leads(model.tech_build, model.world.permitting_quarters, model.turbine_mask, wait)


@njit(cache=True)
def _leads(tech_build: np.ndarray, permitting: np.ndarray, turbine_mask: np.ndarray, wait: int) -> np.ndarray:
    """(R, T) `lead_quarters` with a turbine wait of `wait` quarters: build, permitting, turbines."""
    lead = np.empty((len(permitting), len(tech_build)), np.int64)
    for r in range(len(permitting)):
        for t in range(len(tech_build)):
            lead[r, t] = tech_build[t] + permitting[r] + wait * turbine_mask[t]
    return lead


def cheapest_in_time(
    model: SovereignModel, s: np.ndarray, allowed: np.ndarray, lead: np.ndarray, horizon: int
) -> np.ndarray:
    """(R,) for each region, the technology to fill slice ``s[r]``: cheapest capex per MW available there.

    Among `allowed` technologies (R, T) available there (`MIN_AVAILABILITY`) that arrive within
    `horizon` quarters (`lead`, R x T); -1 where none does.
    """
    return _cheapest_rows(s, allowed, lead, horizon, model.tech_avail, model.tech_capex)


@njit(cache=True)
def _cheapest_rows(
    s: np.ndarray, allowed: np.ndarray, lead: np.ndarray, horizon: int, tech_avail: np.ndarray, tech_capex: np.ndarray
) -> np.ndarray:
    """`cheapest_in_time`, row by row: compiled, as the utilities' plan calls it in its compiled passes.

    The cheapest is the first of the least costs, a NaN cost first of all (as ``np.argmin``).
    """
    n_r, n_t = lead.shape
    out = np.full(n_r, -1, np.int64)
    for r in range(n_r):
        avail = tech_avail[s[r]]
        best, best_cost, nan, any_ok = 0, np.inf, False, False
        for t in range(n_t):
            ok = allowed[r, t] and avail[t] >= MIN_AVAILABILITY and lead[r, t] <= horizon
            cost = tech_capex[t] / np.maximum(avail[t], 1e-9) if ok else np.inf
            any_ok |= ok
            if t == 0 or (not nan and not cost >= best_cost):
                best, best_cost, nan = t, cost, np.isnan(cost)
        if any_ok:
            out[r] = best
    return out


def binding_slice(model: SovereignModel, r: int) -> int:
    """The time slice with region `r`'s thinnest planning margin today (datacenters at `expected_dc_mw`)."""
    return int(_once(model, ("slice", r), lambda: _binding_slice(model, r)))


def _binding_slice(model: SovereignModel, r: int) -> int:
    """`binding_slice`, computed."""
    w, rows = model.world, slice(r, r + 1)
    load = peak_load(model, w.base_demand_mw[rows], expected_dc_mw(model)[rows], rows)[0]
    return int(np.argmin(firm_capacity(model, w.grid_mw[rows])[0] / np.maximum(load, 1e-9)))


def log_plant_order(
    model: SovereignModel, r: int, technology: str, mw: float, by: str, purpose: str, s: int | None
) -> None:
    """One row of the plant orders table (`MetricsRecorder.plant_orders`).

    `s` is the slice the plant is meant to serve (None: energy, not a peak); the row keeps the
    technology's availability there (for energy, its average), which is how the validation
    checks that nobody's AI builds solar for an evening it cannot serve.
    """
    t = TECHNOLOGIES.index(technology)
    if s is not None:
        avail = float(model.tech_avail[s, t])
    else:  # the average over the year's hours (only energy orders need the hours' shares)
        hours = model.slice_hours / model.slice_hours.sum()
        avail = float(hours @ model.tech_avail[:, t])
    model.metrics.plant_orders.append(
        {
            "quarter": quarter_label(model.quarter),
            "region": model.scenario.regions[r].id,
            "by": by,
            "ai": by == "utilities" or by not in model.human_seats,
            "technology": technology,
            "mw": float(mw),
            "purpose": purpose,
            "slice": model.scenario.time.slices[s].name if s is not None else "",
            "availability": avail,
        }
    )


def soonest(model: SovereignModel, s: np.ndarray, allowed: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """(R,) the allowed technology available in slice ``s[r]`` that would run soonest; -1 if none."""
    return _soonest_rows(s, allowed, lead, model.tech_avail)


@njit(cache=True)
def _soonest_rows(s: np.ndarray, allowed: np.ndarray, lead: np.ndarray, tech_avail: np.ndarray) -> np.ndarray:
    """`soonest`, row by row (compiled like `_cheapest_rows`); the first of the soonest."""
    n_r, n_t = lead.shape
    out = np.full(n_r, -1, np.int64)
    for r in range(n_r):
        best, best_lead, any_ok = 0, NEVER, False
        for t in range(n_t):
            ok = allowed[r, t] and tech_avail[s[r], t] >= MIN_AVAILABILITY
            lead_t = lead[r, t] if ok else NEVER
            any_ok |= ok
            if t == 0 or lead_t < best_lead:
                best, best_lead = t, lead_t
        if any_ok:
            out[r] = best
    return out


def order_plants(
    model: SovereignModel,
    r: np.ndarray,
    t: np.ndarray,
    mw: np.ndarray,
    purpose: str = "adequacy",
    s: np.ndarray | None = None,
) -> np.ndarray:
    """Order utility plants (one per row); returns the quarters they run.

    Gas plants wait for their turbines: each order joins the world's backlog in turn (the turbine
    makers deliver in order of booking), so its wait includes the orders booked before it.
    """
    lead, model.economy.turbine_backlog_gw = _book(model.economy.turbine_backlog_gw, *_booking_tables(model), r, t, mw)
    done = model.quarter + lead
    _log_orders(model, r, t, mw, done, purpose, s)
    return np.asarray(done)


def _booking_tables(model: SovereignModel) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """What booking an order reads besides the backlog (`_book`'s arguments after it).

    The turbine makers' deliveries a quarter, the technologies' turbine needs and build times,
    and the regions' permitting.
    """
    supply_q = model.scenario.grid.turbine_supply_gw_per_year / 4.0
    return supply_q, model.turbine_mask, model.tech_build, model.world.permitting_quarters


def _log_orders(
    model: SovereignModel,
    r: np.ndarray,
    t: np.ndarray,
    mw: np.ndarray,
    done: np.ndarray,
    purpose: str,
    s: np.ndarray | None,
) -> None:
    """The utilities' booked orders into the plant orders table and the world's grid orders, in order."""
    for i in range(len(r)):
        slice_i = int(s[i]) if s is not None else None
        log_plant_order(model, int(r[i]), TECHNOLOGIES[int(t[i])], float(mw[i]), "utilities", purpose, slice_i)
    rows = np.column_stack([done, r, t, mw]).astype(float)
    model.world.grid_orders = np.vstack([model.world.grid_orders, rows])


@njit(cache=True)
def _arrival_leads(
    backlog_gw: float,
    supply_q: float,
    turbine_mask: np.ndarray,
    tech_build: np.ndarray,
    permitting: np.ndarray,
    r: np.ndarray,
    t: np.ndarray,
    mw: np.ndarray,
) -> np.ndarray:
    """Lead times of orders booked one after the other, with `backlog_gw` of turbines ahead of them.

    Each gas plant waits for the backlog ahead of it, the earlier orders of the same batch included
    (their MW added one after the other, as ``np.cumsum``).
    """
    lead = np.empty(len(r), np.int64)
    booked = 0.0
    for i in range(len(r)):
        wait = 0
        if turbine_mask[t[i]]:
            booked += mw[i]
            wait = econ.turbine_wait(backlog_gw + booked / 1000.0, supply_q)
        lead[i] = tech_build[t[i]] + permitting[r[i]] + wait
    return lead


@njit(cache=True)
def _book(
    backlog_gw: float,
    supply_q: float,
    turbine_mask: np.ndarray,
    tech_build: np.ndarray,
    permitting: np.ndarray,
    r: np.ndarray,
    t: np.ndarray,
    mw: np.ndarray,
) -> tuple[np.ndarray, float]:
    """Book orders in turn: their lead times (`_arrival_leads`) and the turbine backlog after them.

    The booked gas MW are summed as numpy sums them (`np_sum`), so the backlog is the same number.
    """
    lead = _arrival_leads(backlog_gw, supply_q, turbine_mask, tech_build, permitting, r, t, mw)
    gas = np.empty(len(r))
    n = 0
    for i in range(len(r)):
        if turbine_mask[t[i]]:
            gas[n] = mw[i]
            n += 1
    return lead, backlog_gw + np_sum(gas, 0, n) / 1000.0


def _plan_adequacy(model: SovereignModel) -> None:
    """Order firm capacity for the slice that binds, year by year up to the planning horizon.

    For each year ahead (nearest first), the load then (grown base, conventional datacenters,
    connected and queued halls at what they are expected to draw: `expected_dc_mw`) at the peak
    hour plus the target margin, against the fleet then (less retirements) and what is ordered by
    then; a shortfall is filled with what arrives in time (`cheapest_in_time`), so a plant that
    comes late is never counted on for the years before it, and ordered in the last year it still
    can be (just in time: no earlier than its lead time needs). All regions at once, one slice at a
    time.
    """
    w, gr = model.world, model.scenario.grid
    h = gr.plan_horizon_quarters
    owned = np.zeros_like(w.grid_mw)
    np.add.at(owned, (w.plant_region, w.plant_tech), w.plant_mw)
    utility = np.maximum(w.grid_mw - owned, 0.0)
    dc_now = expected_dc_mw(model)
    rows = np.arange(len(w.base_demand_mw))
    steps = range(4, h + 1, 4)
    # capacity ordered earlier that runs by each step (one pass over the orders), plus what this
    # quarter's orders add (each arrives by the step it was ordered for, so counts from then on)
    by_step = np.zeros((len(steps), *w.grid_mw.shape))
    if len(w.grid_orders):
        o = w.grid_orders
        # what comes after the horizon counts in its last year (ordered late because nothing
        # could come sooner: ordering it again each year would only double it)
        step = np.clip(np.ceil(np.maximum(o[:, 0] - model.quarter, 0) / 4.0).astype(np.int64) - 1, 0, len(steps) - 1)
        np.add.at(by_step, (step, o[:, 1].astype(np.int64), o[:, 2].astype(np.int64)), o[:, 3])
        by_step = np.cumsum(by_step, axis=0)
    added = np.zeros_like(w.grid_mw)
    no_turbines = np.zeros(len(rows), bool)
    # lead times move only with the turbine backlog: computed once, and again after each gas order
    lead = lead_quarters(model)
    booking = _booking_tables(model)
    plant_tables = (model.utility_allowed, model.tech_avail, model.tech_capex)
    for i, k in enumerate(steps):
        years = k / 4.0
        base = w.base_demand_mw * model.demand_growth_rate**years
        dc = dc_now + w.conventional_dc_mw * w.pue * (model.conventional_growth_rate**years - 1.0)
        want = peak_load(model, base, dc) * (1 + gr.target_reserve_margin)
        retired = utility * (1.0 - (1.0 - model.tech_retire[None, :]) ** years)
        need = want - firm_capacity(model, w.grid_mw - retired + by_step[i] + added)  # (R, S)
        if not (need > 1.0).any():
            continue
        orders, lead, model.economy.turbine_backlog_gw = _fill_shortfalls(
            need, added, no_turbines, lead, k, h, model.economy.turbine_backlog_gw, *booking, *plant_tables
        )
        if orders.shape[1]:
            r_o, s_o, t_o = orders[0].astype(np.int64), orders[1].astype(np.int64), orders[2].astype(np.int64)
            _log_orders(model, r_o, t_o, orders[3], model.quarter + orders[4].astype(np.int64), "adequacy", s_o)


@njit(cache=True)
def _fill_shortfalls(
    need: np.ndarray,
    added: np.ndarray,
    no_turbines: np.ndarray,
    lead: np.ndarray,
    k: int,
    h: int,
    backlog_gw: float,
    supply_q: float,
    turbine_mask: np.ndarray,
    tech_build: np.ndarray,
    permitting: np.ndarray,
    allowed: np.ndarray,
    tech_avail: np.ndarray,
    tech_capex: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, float]:
    """One year of `_plan_adequacy`: fill the shortfalls `need` (R, S) with plants running by quarter `k`.

    In passes, at most two more than the slices: each region short by more than 1 MW takes the
    slice where it is shortest, and the cheapest technology there that arrives in time
    (`cheapest_in_time`; in the last year, `h`, the soonest if none does) is ordered unless it
    can wait for next year's plan. Gas plants booked in a pass queue behind each other: those that
    would then come too late wait for the next pass, which sees the longer backlog and picks
    otherwise. Updates `need`, `added` (R, T) and `no_turbines` (R,) in place. Returns the orders
    booked, in order, as columns (region, slice, technology, MW, lead quarters), the lead times
    after them (`lead_quarters`) and the turbine backlog after them.

    Compiled: a yearly plan has some twenty passes over a dozen regions, and numpy's per-call
    cost on arrays that small was most of the utilities' planning.
    """
    n_r, n_s = need.shape
    rows = np.arange(n_r)
    orders = np.empty((5, (n_s + 2) * n_r))
    n = 0
    for _ in range(n_s + 2):
        short, s = _shortest_slices(need)
        if not short.any():
            break
        t = _cheapest_rows(s, allowed, lead, k, tech_avail, tech_capex)
        if k == h:  # the last year: what nothing can serve in time is served late, by the soonest
            late = _soonest_rows(s, allowed & ~(no_turbines[:, None] & turbine_mask[None, :]), lead, tech_avail)
            t = np.where(t >= 0, t, late)
        # none in time, or it can still be ordered next year: nothing this year for that slice
        go = short & (t >= 0)
        for r in range(n_r):
            if go[r] and lead[r, t[r]] <= k - 4:
                go[r] = False
            if short[r] and not go[r]:
                need[r, s[r]] = 0.0
        if not go.any():
            continue
        r_go, s_go, t_go = rows[go], s[go], t[go]
        mw = np.empty(len(r_go))
        for i in range(len(r_go)):
            mw[i] = need[r_go[i], s_go[i]] / tech_avail[s_go[i], t_go[i]]
        turbines = turbine_mask[t_go]
        if turbines.any():
            arrive = _arrival_leads(backlog_gw, supply_q, turbine_mask, tech_build, permitting, r_go, t_go, mw)
            late_ok = np.zeros(len(r_go), np.bool_)
            if k == h:
                for i in range(len(r_go)):
                    late_ok[i] = arrive[i] <= lead[r_go[i], t_go[i]] + 4 or not turbines[i]
            fits = (arrive <= k) | late_ok
            no_turbines[r_go[~fits]] = True  # sold out for years: the next pass looks elsewhere
            r_go, s_go, t_go, mw = r_go[fits], s_go[fits], t_go[fits], mw[fits]
        booked, backlog_gw = _book(backlog_gw, supply_q, turbine_mask, tech_build, permitting, r_go, t_go, mw)
        for i in range(len(r_go)):
            orders[0, n], orders[1, n], orders[2, n] = r_go[i], s_go[i], t_go[i]
            orders[3, n], orders[4, n] = mw[i], booked[i]
            n += 1
            added[r_go[i], t_go[i]] += mw[i]
            for j in range(n_s):
                need[r_go[i], j] -= mw[i] * tech_avail[j, t_go[i]]
        if turbines.any():  # the backlog grew
            lead = _leads(tech_build, permitting, turbine_mask, econ.turbine_wait(backlog_gw, supply_q))
    return orders[:, :n], lead, backlog_gw


@njit(cache=True)
def _shortest_slices(need: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R,) whether each region is short by more than 1 MW in some slice, and (R,) the slice where most.

    The first of equal shortfalls, a NaN first of all (as ``np.argmax``); a row with a NaN is not
    short (its ``max`` is NaN).
    """
    n_r, n_s = need.shape
    short, s = np.zeros(n_r, np.bool_), np.zeros(n_r, np.int64)
    for r in range(n_r):
        top, nan = need[r, 0], np.isnan(need[r, 0])
        for j in range(1, n_s):
            if not nan and not need[r, j] <= top:
                top, nan = need[r, j], np.isnan(need[r, j])
                s[r] = j
        short[r] = not nan and top > 1.0
    return short, s


def _plan_merchant(model: SovereignModel) -> None:
    """Build wind and solar where last quarter's prices in their producing hours pay back their capex."""
    sc, w, gr = model.scenario, model.world, model.scenario.grid
    price = model.results.power.price  # (S, R)
    if price.size == 0:
        return
    crf = econ.capital_recovery_factor(sc.economics.discount_rate, gr.plant_life_years)
    share = model.slice_hours / model.slice_hours.sum()
    earn = price.T @ (model.tech_avail * share[:, None]) * econ.HOURS_PER_YEAR  # (R, T) $/MW-year
    ratio = earn / np.maximum(model.tech_capex * 1e6 * crf, 1e-9)
    build = model.merchant_mask[None, :] & model.utility_allowed & (ratio > gr.merchant_hurdle)
    r, t = np.nonzero(build)
    scale = np.minimum(ratio[r, t] / gr.merchant_hurdle - 1.0, 1.0)
    mw = gr.merchant_build_share_per_year * w.base_demand_mw[r] * scale
    keep = mw > 1.0
    if keep.any():
        order_plants(model, r[keep], t[keep], mw[keep], "energy")


def _plan_network(model: SovereignModel) -> None:
    """Order connection capacity where the queue would wait longer than the target."""
    gr, w = model.scenario.grid, model.world
    queue = others_queued_mw(model) + queued_mw(model)
    pipe = np.zeros_like(w.connection_mw_q)
    if len(w.network_orders):
        np.add.at(pipe, w.network_orders[:, 1].astype(np.int64), w.network_orders[:, 2])
    short = queue / gr.network_target_wait_quarters - (w.connection_mw_q + pipe)
    order = np.minimum(short, w.connection_mw_q * gr.network_expansion_per_year)
    done = model.quarter + gr.network_build_quarters + w.permitting_quarters
    for r in np.flatnonzero(order > 1.0).tolist():
        w.network_orders = np.vstack([w.network_orders, [[done[r], r, order[r]]]])


def add_network(model: SovereignModel, r: int, mw_per_year: float) -> int:
    """A nation pays for network: more connections per quarter once it is built; returns that quarter."""
    w = model.world
    done = model.quarter + model.scenario.grid.network_build_quarters + int(w.permitting_quarters[r])
    w.network_orders = np.vstack([w.network_orders, [[done, r, mw_per_year / 4.0]]])
    return done


def connect_datacenters(model: SovereignModel) -> None:
    """Energise queued datacenters first come, first served, within capacity and the planning margin.

    The network's connection capacity this quarter goes to the head of the queue: a big campus
    takes it over several quarters (``grid_done_mw`` counts what it has) and is connected when it
    has all its load; nobody behind it overtakes it.
    """
    sc, w, q = model.scenario, model.world, model.quarter
    budget = w.connection_mw_q.copy()
    _serve_others(model, budget)
    # the load each region can still connect while keeping its planning margin at the connection
    # margin, with the plants that run by the time a hall ordered now is built
    firm = firm_capacity(model, w.grid_mw + _pipeline(model, q + sc.economics.datacenter_build_quarters))
    limit = (
        firm / (1.0 + sc.grid.connection_margin) / model.slice_swing.T - w.base_demand_mw[:, None] * model.slice_factor
    )
    headroom = (limit.min(axis=1) - contracted_dc_mw(model)).tolist()
    left = budget.tolist()
    blocked = [False] * len(left)
    for p in w.projects:
        if p["kind"] != "build_datacenter" or p["connected"] >= 0 or p["onsite"]:
            continue
        r = model.region_ix[p["region"]]
        # first come, first served: nobody overtakes the head of the queue
        if blocked[r] or w.moratorium_until[r] > q or left[r] <= 0.0 or p["grid_mw"] > headroom[r]:
            blocked[r] = True
            continue
        take = min(left[r], p["grid_mw"] - p["grid_done_mw"])
        p["grid_done_mw"] += take
        left[r] -= take
        if p["grid_done_mw"] >= p["grid_mw"] - 1e-6:
            p["connected"] = q
            headroom[r] -= p["grid_mw"]
        else:
            blocked[r] = True


def connection_row(p: dict[str, Any], q: int) -> dict[str, Any]:
    """One row of the connections table, when a datacenter is energised: time to power and queue wait.

    ``wait_quarters`` runs from the request (the order) to power (construction included): the
    "time to power" developers quote; ``queue_quarters`` is the part spent waiting for the grid
    beyond the build (0 for a hall that brought its own generation).
    """
    connected = p["connected"] if p["connected"] >= 0 else q
    return {
        "quarter": quarter_label(q),
        "region": p["region"],
        "owner": p["owner"],
        "name": p["name"],
        "grid_mw": p["grid_mw"],
        "requested": quarter_label(p["started"]),
        "wait_quarters": q - p["started"],
        "queue_quarters": max(connected - p["done"], 0) if not p["onsite"] else 0,
        "onsite": p["onsite"],
    }


def top_up_initial_grid(model: SovereignModel) -> None:
    """Peakers at the start where a region's fleet falls below `grid.initial_margin_floor`.

    The scenario lists each region's main fleet; peaking plants, demand response and imports that
    keep 2026 grids running are not in it, and a region left short would start the game with
    scarcity prices and blackouts the world did not see in 2026. They are added as peakers: the
    technology available in every slice that costs most to run (oil in the baseline), dispatched
    last, so they set high peak prices, not the value of lost load.
    """
    w, gr = model.world, model.scenario.grid
    # the peaker: of the technologies available in every slice, the dearest to run
    firm_always = model.tech_avail.min(axis=0) >= 0.5
    if not firm_always.any():
        return
    peaker = int(np.argmax(np.where(firm_always, model.tech_cost, -np.inf)))
    dc = contracted_dc_mw(model)
    short = peak_load(model, w.base_demand_mw, dc) * (1.0 + gr.initial_margin_floor) - firm_capacity(
        model, w.grid_mw
    )  # (R, S)
    add = np.maximum(short / model.tech_avail[None, :, peaker], 0.0).max(axis=1)
    w.grid_mw[:, peaker] += add


def compiled_kernels() -> tuple[Any, ...]:
    """The grid's compiled kernels (numba dispatchers), as `warm_up_kernels` loads them."""
    return (
        _leads,
        _cheapest_rows,
        _soonest_rows,
        _arrival_leads,
        _book,
        _fill_shortfalls,
        _shortest_slices,
        econ.turbine_wait,
    )


def warm_up_kernels() -> None:
    """Load (or, on a machine's first run, compile) the grid's compiled kernels on a tiny instance.

    One region, two slices, two technologies (one waits for turbines), laid out as the model's
    tables are (`ScenarioTables.tech_avail` is a transpose, so Fortran-ordered); both the yearly
    plan's calls and the AI's (`best_firm_technology`, with lead times kept read-only or not).
    """
    need, added, no_turbines = np.full((1, 2), 10.0), np.zeros((1, 2)), np.zeros(1, bool)
    mask, build, permitting = np.array([True, False]), np.array([4, 8], np.int64), np.zeros(1, np.int64)
    allowed, avail, capex = np.ones((1, 2), bool), np.asfortranarray(np.ones((2, 2))), np.ones(2)
    lead = _leads(build, permitting, mask, econ.turbine_wait(1.0, 0.5))
    _fill_shortfalls(need, added, no_turbines, lead, 4, 4, 0.0, 0.5, mask, build, permitting, allowed, avail, capex)
    _book(0.0, 0.5, mask, build, permitting, np.zeros(1, np.int64), np.zeros(1, np.int64), np.ones(1))
    for kept in (lead, _kept(lead.copy())):
        _cheapest_rows(np.zeros(1, np.int64), allowed, kept, 4, avail, capex)
        _soonest_rows(np.zeros(1, np.int64), allowed, kept, avail)
