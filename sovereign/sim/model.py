"""SovereignModel: the Mesa model of the race for sovereign AI infrastructure.

A quarter is ``commands -> model.step() -> observations``; everyone moves at once. `step` reads
like the rules of the game (DESIGN.md, "Data flow of one quarter")::

    commands -> events -> construction -> chips -> power -> compute -> finance -> metrics

Quantities and prices live in numpy arrays (`sovereign.sim.world.World`) cleared by the market
kernels in `sovereign.markets`; the Mesa agents (`sovereign.sim.agents`) hold decisions, balance
sheets and memory. Money moves only through `transfer`, which records every flow to or from the
outside economy, so money is conserved except for declared flows.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np

from sovereign.markets import allocate_chips, clear_compute, clear_power
from sovereign.scenario.schema import Scenario, quarter_index, quarter_label
from sovereign.sim import events as ev
from sovereign.sim.agents import (
    AGENT_CLASSES,
    AIStartup,
    Nation,
    SeatAgent,
)
from sovereign.sim.commands import (
    PERMITTING_REFORM_BUSD,
    BuildDatacenter,
    BuildFab,
    BuildPlant,
    BuyAccelerators,
    Command,
    Decide,
    JoinBloc,
    LeaveBloc,
    PermittingReform,
    RaiseFunding,
    SetCurtailmentPriority,
    SetExportControls,
    SetExportTier,
    SetLocalisation,
    SetSecuritySpending,
    SetSubsidy,
    budget_refusal,
    command_cost_busd,
    command_from_dict,
    command_to_dict,
    net_cost_busd,
    validate_command,
)
from sovereign.sim.metrics import MetricsRecorder, sovereignty_pillars
from sovereign.sim.world import HOURS_PER_QUARTER, TECHNOLOGIES, THERMAL, World, initial_world

OUTSIDE = "outside"
#: Share of installed accelerators that is available for sale after maintenance and spares.
FLEET_AVAILABILITY = 0.85
#: kW of IT load per MW of datacenter capacity, and headroom kept when buying accelerators.
KW_PER_MW = 1000.0


class CommandResult(dict):
    """Outcome of a submitted command: ``accepted`` and ``reason`` (empty when accepted)."""

    @property
    def accepted(self) -> bool:
        """Whether the validator accepted the command."""
        return bool(self["accepted"])

    @property
    def reason(self) -> str:
        """Why it was refused (empty when accepted)."""
        return str(self["reason"])


class SovereignModel(mesa.Model):
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
        self.seed_entropy = seq.entropy
        self.rngs: dict[str, np.random.Generator] = {
            "events": np.random.default_rng(events_seq),
            "agents": np.random.default_rng(agents_seq),
            "startups": np.random.default_rng(startups_seq),
        }
        per_seat = dict(difficulty) if isinstance(difficulty, Mapping) else {}
        default = per_seat.pop("*", None) if per_seat else (difficulty if isinstance(difficulty, str) else None)
        self.difficulty = default or scenario.seats.difficulty
        for level in [self.difficulty, *per_seat.values()]:
            if level not in ("easy", "normal", "hard"):
                raise ValueError(f"difficulty must be easy, normal or hard, found {level!r}")
        self.human_seats = set(human_seats)
        sc = scenario
        self.region_ix = {r.id: i for i, r in enumerate(sc.regions)}
        self.class_ix = {a.id: i for i, a in enumerate(sc.accelerators)}
        self.bloc_ix = {b.id: i for i, b in enumerate(sc.blocs)}
        self.start_q = quarter_index(sc.time.start)
        self.end_q = quarter_index(sc.time.end)
        self.quarter = self.start_q
        # -- static arrays derived from the scenario ------------------------------------------
        self.slice_hours = np.array([s.hours_share for s in sc.time.slices]) * HOURS_PER_QUARTER
        self.slice_factor = np.array([s.demand_factor for s in sc.time.slices])
        techs = [sc.technologies.get(t) for t in TECHNOLOGIES]
        n_s = len(sc.time.slices)
        self.tech_avail = np.array([t.availability if t else [0.0] * n_s for t in techs]).T  # (S, T)
        self.tech_cost = np.array([t.marginal_cost_usd_mwh if t else 0.0 for t in techs])
        self.tech_emissions = np.array([t.emissions_t_per_mwh if t else 0.0 for t in techs])
        self.fuel_factor = np.array([r.fuel_cost_factor for r in sc.regions])
        self.kw_per_h100e = np.array([a.kw_per_h100e for a in sc.accelerators])
        self.list_price = np.array([a.price_usd_per_h100e for a in sc.accelerators])
        self.production_cost = np.array([a.production_cost_usd_per_h100e for a in sc.accelerators])
        self.controlled = np.array([a.controlled for a in sc.accelerators])
        links = sc.interconnectors
        self.links = (
            (
                np.array([self.region_ix[x.a] for x in links], np.int64),
                np.array([self.region_ix[x.b] for x in links], np.int64),
                np.array([x.capacity_mw for x in links], float),
            )
            if links
            else None
        )
        lon = np.radians([r.marker.lon for r in sc.regions])
        lat = np.radians([r.marker.lat for r in sc.regions])
        # great-circle distances between region markers (km), for the inference latency penalty
        cosd = np.sin(lat)[:, None] * np.sin(lat)[None, :] + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.cos(
            lon[:, None] - lon[None, :]
        )
        self.distance_km = 6371.0 * np.arccos(np.clip(cosd, -1.0, 1.0))
        self.chip_producer = np.array([r.chip_producer for r in sc.regions])
        # -- seats and agents ------------------------------------------------------------------
        self.seat_ids: list[str] = []
        self.seat_pos: dict[str, int] = {}
        self.retired_homes: dict[str, str] = {}
        self.seats: dict[str, SeatAgent] = {}
        for r in sc.regions:
            self.add_seat(Nation, r.id, {"name": r.name, "home": r.id, "cash_busd": self._budget_busd(r.id)})
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
            self.add_seat(AGENT_CLASSES[a.kind], a.id, state)
        for seat_id, level in per_seat.items():
            if seat_id not in self.seats:
                raise ValueError(f"difficulty given for unknown seat {seat_id!r}")
            self.seats[seat_id].state["difficulty"] = level
        self.world: World = initial_world(sc, {s: i for i, s in enumerate(self.seat_ids)}, self.class_ix)
        labs0 = sum(a.compute_demand_h100e for a in sc.actors)
        self.globals: dict[str, Any] = {
            "regional_demand_h100e": max(sc.demand.h100e_2026 - labs0, 0.05 * sc.demand.h100e_2026),
            "growth": sc.demand.growth_per_year,
            "efficiency_mult": 1.0,
            "funding_winter_left": 0,
            "startups_spawned": 0,
            "next_event_id": 0,
            "outside_busd": 0.0,
            "initial_money_busd": 0.0,
        }
        self.globals["initial_money_busd"] = self.total_money_busd()
        # -- per-quarter buffers and logs ------------------------------------------------------
        self.pending: dict[str, list[Command]] = defaultdict(list)
        self._committed: dict[str, tuple[list[Command], int, float]] = {}
        self.pending_decisions: dict[str, dict[int, list[str]]] = {}
        self.command_log: list[dict[str, Any]] = []
        self.news: list[dict[str, Any]] = []
        self.flows: dict[str, float] = defaultdict(float)
        self.last: dict[str, Any] = {}
        self.metrics = MetricsRecorder()
        self._init_last()

    # Mesa 3.5 has its own `scenario` (experimental parameter sets); ours is the game's scenario.
    # Mesa's value is kept aside so Mesa still works, and `model.scenario` means the game world.
    @property
    def scenario(self) -> Scenario:  # type: ignore[override]
        """The game scenario being played."""
        return self._game_scenario

    @scenario.setter
    def scenario(self, value: Any) -> None:
        if isinstance(value, Scenario):
            self._game_scenario = value
        else:
            self._mesa_scenario = value

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

    def _budget_busd(self, region_id: str) -> float:
        r = self.scenario.regions[self.region_ix[region_id]]
        return r.gdp_busd * r.ai_budget_share / 4.0

    def seat_index(self, seat_id: str) -> int:
        """Row of a seat in owner arrays (seats keep their row after they retire)."""
        return self.seat_pos[seat_id]

    def transfer(self, src: str, dst: str, busd: float, kind: str) -> None:
        """Move money between seats or the outside economy; the one place cash changes."""
        if busd == 0.0:
            return
        if src == OUTSIDE:
            self.globals["outside_busd"] -= busd
            self.flows[f"in:{kind}"] += busd
        else:
            self.seats[src].state["cash_busd"] -= busd
        if dst == OUTSIDE:
            self.globals["outside_busd"] += busd
            self.flows[f"out:{kind}"] += busd
        else:
            self.seats[dst].state["cash_busd"] += busd

    def total_money_busd(self) -> float:
        """Cash of every seat plus the outside account: constant over a game."""
        return sum(a.state["cash_busd"] for a in self.seats.values()) + self.globals["outside_busd"]

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
        return m

    def free_h100e(self, seat_id: str, region: int, cls: int) -> float:
        """H100e of class `cls` that fit in a seat's datacenters in a region.

        Read between quarters (commands are validated before construction and deliveries), so the
        quarter's cached view is exact here.
        """
        view = self.investor_view()
        free = view["free_by_seat"].get(self.seat_pos.get(seat_id))
        return 0.0 if free is None else free.get(region, 0.0) / view["kw_new_list"][cls]

    def new_chip_kw(self, cls: int) -> float:
        """KW per H100e of newly made chips of a class (efficiency improves over time)."""
        return float(self.kw_per_h100e[cls] * self.globals["efficiency_mult"])

    def investor_view(self) -> dict[str, Any]:
        """Figures every investing AI needs this quarter, computed once (cached by quarter)."""
        cache = getattr(self, "_view", None)
        if cache is not None and cache["quarter"] == self.quarter:
            return cache
        w, sc = self.world, self.scenario
        n_r, n_seats = len(self.region_ix), len(self.seat_ids)
        kw_new = self.kw_per_h100e * self.globals["efficiency_mult"]
        caps = w.tier_cap[w.export_tier - 1]  # (R, G)
        ok = ~self.controlled[None, :] | (caps > 0)
        # sanctions run both ways: tier-1 buyers do not buy classes made only in tier-3 countries
        n_g = len(self.class_ix)
        cap_all = np.bincount(w.fab_class, weights=w.fab_capacity, minlength=n_g)
        cap_t3 = np.bincount(w.fab_class, weights=w.fab_capacity * (w.export_tier[w.fab_region] == 3), minlength=n_g)
        sanctioned = cap_t3 > 0.5 * cap_all  # mostly made in tier-3 countries
        ok &= ~((w.export_tier[:, None] == 1) & sanctioned[None, :])
        merit = np.where(ok, 1.0 / kw_new[None, :], -np.inf)
        class_for = np.argmax(merit, axis=1)
        # second choice where the best class is capped by export controls: the next class still
        # allowed, so capped buyers still grow (and older classes keep a market in those regions)
        merit2 = merit.copy()
        merit2[np.arange(n_r), class_for] = -np.inf
        best_capped = np.isfinite(caps[np.arange(n_r), class_for]) & self.controlled[class_for]
        second_for = np.where(best_capped & np.isfinite(merit2.max(1)), np.argmax(merit2, axis=1), class_for)
        building_by_seat: dict[str, float] = {}
        for p in w.projects:
            if p["kind"] == "build_datacenter":
                building_by_seat[p["owner"]] = building_by_seat.get(p["owner"], 0.0) + p["size"]
        free = np.maximum(w.dc_it_mw * KW_PER_MW - w.dc_kw, 0.0)
        # bincount adds in row order, exactly like np.add.at, and is much faster
        owner_free = np.bincount(w.dc_owner * n_r + w.dc_region, weights=free, minlength=n_seats * n_r)
        owner_free = owner_free.reshape(n_seats, n_r)
        stock = w.dc_stock.sum(1)
        owned_stock = np.bincount(w.dc_owner, weights=stock, minlength=n_seats)
        n_dc = np.bincount(w.dc_owner, minlength=n_seats)
        util = np.divide(
            np.bincount(w.dc_owner, weights=w.dc_util, minlength=n_seats),
            n_dc,
            out=np.full(n_seats, 0.8),
            where=n_dc > 0,
        )
        # what the expected margins of new datacenters need (see `investor_margins`)
        from sovereign.sim.agents import DIFFICULTY

        capex_per_kw = np.array([r.dc_capex_musd_per_mw for r in sc.regions]) * 1e3
        pue_new = np.minimum(w.pue, 1.3)
        kw = kw_new[:, None]
        region_cap = caps[np.arange(n_r), class_for]
        capped = np.isfinite(region_cap) & self.controlled[class_for]
        free_by_region = owner_free.sum(0)
        full = capped & (free_by_region / kw_new[class_for] > 4.0 * region_cap)
        # finished by `investor_margins` for a price lag when an AI with that lag first asks (the
        # baseline's AIs all read the same lag)
        hist = self.metrics.signals
        margin_inputs = {
            "kw": kw,
            "pue_new": pue_new,
            "capex_per_kw": capex_per_kw,
            "subsidy": w.subsidy.copy(),
            "permitting": w.permitting_quarters.copy(),
            "curtail": np.asarray(self.last["dc_curtail"], float),
            "full": full,
            "prices": {  # lag -> (compute price, power price) by region, as that AI perceives them
                lag: (np.asarray(sig["compute_price_region"], float), np.asarray(sig["power_price_avg"], float))
                for lag in sorted({p["lag"] for p in DIFFICULTY.values()})
                for sig in [hist[-lag] if len(hist) >= lag else self.last]
            },
        }
        tier = w.export_tier
        firm_candidates = self.allied_matrix() | (tier == 2)[None, :]
        firm_candidates &= ~((tier == 1)[:, None] & (tier == 3)[None, :])
        # plain Python lists and floats: the per-seat loops of the AI policies index them one
        # number at a time, which is several times faster on lists than on arrays
        homes, cols = np.nonzero(firm_candidates)
        ends = np.cumsum(np.bincount(homes, minlength=n_r)).tolist()
        cols_list = cols.tolist()
        # a bid slot per class a region's buyers bid for: (share of the free space, kW per H100e,
        # list price, reserve price, class id)
        kw_list, price_list = kw_new.tolist(), self.list_price.tolist()
        class_ids, reserve_share = [a.id for a in sc.accelerators], sc.economics.chip_reserve_share
        slots_for: dict[tuple[int, int], tuple[tuple[float, float, float, float, str], ...]] = {}
        for c1, c2 in zip(class_for.tolist(), second_for.tolist(), strict=True):
            if (c1, c2) not in slots_for:  # a few distinct pairs: regions share their slots
                plan = ((c1, 0.7), (c2, 0.3)) if c2 != c1 else ((c1, 1.0),)
                slots_for[c1, c2] = tuple(
                    (part, kw_list[c], price_list[c], price_list[c] * reserve_share, class_ids[c]) for c, part in plan
                )
        bid_slots = [slots_for[pair] for pair in zip(class_for.tolist(), second_for.tolist(), strict=True)]
        # free kW by seat row and region, where there is any (regions in ascending order)
        free_by_seat: dict[int, dict[int, float]] = {}
        rows, regions = np.nonzero(owner_free > 0)
        for row, r, kw_free in zip(rows.tolist(), regions.tolist(), owner_free[rows, regions].tolist(), strict=True):
            if row not in free_by_seat:
                free_by_seat[row] = {}
            free_by_seat[row][r] = kw_free
        # AI compute demand: everyone's, and by home region (regional demand plus home labs)
        share = np.array([r.ai_demand_share for r in sc.regions])
        demand_by_region = (self.globals["regional_demand_h100e"] * share).tolist()
        demands = []
        for a in self.seats.values():
            d = a.state.get("demand_h100e", 0.0)
            demands.append(d)
            if a.kind in ("lab", "startup"):
                demand_by_region[self.region_ix[a.state["home"]]] += d
        self._view = {
            "quarter": self.quarter,
            "margin_inputs": margin_inputs,
            "margin_lists": {},  # lag -> (G, R) expected margins as lists, filled on demand
            "firm_candidates_list": [cols_list[e0:e1] for e0, e1 in zip([0, *ends[:-1]], ends, strict=True)],
            "class_for_list": class_for.tolist(),
            "kw_new_list": kw_list,
            "bid_slots": bid_slots,
            "region_ids": [r.id for r in sc.regions],
            "building_by_seat": building_by_seat,
            "demand_by_region": np.array(demand_by_region),
            "capex_per_kw": capex_per_kw,
            "demand_now": self.globals["regional_demand_h100e"] + sum(demands),
            "fleet": float(stock.sum()),
            "space_kw": float(free.sum()),
            "building_mw": sum(p["size"] for p in w.projects if p["kind"] == "build_datacenter"),
            "owned_stock_list": owned_stock.tolist(),
            "util_list": util.tolist(),
            "free_by_seat": free_by_seat,
            "dc_owners": set(w.dc_owner.tolist()),
        }
        return self._view

    def investor_margins(self, lag: int) -> list[list[float]]:
        """Expected margin per H100e-hour of a new datacenter, by chip class (rows) and region.

        From prices `lag` quarters old (what an AI with that lag perceives); -inf where export caps
        cannot fill the halls. Computed once per quarter and lag, from the quarter's `investor_view`.
        """
        from sovereign.sim.agents import DC_LIFE_HOURS

        view = self.investor_view()
        cached = view["margin_lists"].get(lag)
        if cached is None:
            x = view["margin_inputs"]
            price, power = x["prices"][lag]
            kw = x["kw"]
            margin = (
                price[None, :]
                - power[None, :] * kw * x["pue_new"][None, :] / 1000.0
                - self.scenario.demand.opex_usd_per_hour
                - x["capex_per_kw"][None, :] * kw / DC_LIFE_HOURS * (1.0 - x["subsidy"][None, :])
                - (0.02 * x["permitting"] + price * x["curtail"])[None, :]
            )
            margin[:, x["full"]] = -np.inf
            cached = view["margin_lists"][lag] = margin.tolist()
        return cached

    def subsidy_for(self, seat_id: str, cmd: Command) -> float:
        """State subsidy a firm would receive for a build (paid by the host nation, if it can)."""
        if not isinstance(cmd, BuildDatacenter | BuildPlant) or self.seats[seat_id].kind == "nation":
            return 0.0
        r = self.region_ix[cmd.region]
        want = command_cost_busd(self, seat_id, cmd) * float(self.world.subsidy[r])
        host = self.seats[self.scenario.regions[r].id]
        return min(want, max(host.state["cash_busd"], 0.0))

    def committed_busd(self, seat_id: str) -> float:
        """Cash already promised this quarter by queued commands (bids, builds).

        Cached per seat and extended as commands queue, so a quarter's validation stays linear.
        """
        queue = self.pending.get(seat_id)  # .get: reading must not create an entry in the defaultdict
        if not queue:
            return 0.0
        cache = self._committed.get(seat_id)
        if cache is None or cache[0] is not queue or cache[1] > len(queue):
            cache = (queue, 0, 0.0)
        _, n, total = cache
        for c in queue[n:]:
            total += net_cost_busd(self, seat_id, c)
        self._committed[seat_id] = (queue, len(queue), total)
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

    # ------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Play one quarter: everyone has submitted; the world moves."""
        if self.done:
            raise RuntimeError(f"the game ended after {quarter_label(self.end_q)}")
        self.flows = defaultdict(float)
        self.quarter_news: list[dict[str, Any]] = []
        for agent in self.ai_seats():
            for cmd in agent.decide():
                self._submit(agent.seat_id, cmd, "ai")
        self._apply_commands()
        ev.apply_events(self)
        self._construction()
        self._chips()
        self._power()
        self._compute()
        self._finance()
        self._metrics()
        self._advance()

    def run(self, quarters: int | None = None, progress: Any = None) -> None:
        """Play `quarters` quarters (default: to the end); `progress(model)` is called after each."""
        n = self.end_q - self.quarter + 1 if quarters is None else min(quarters, self.end_q - self.quarter + 1)
        for _ in range(n):
            self.step()
            if progress is not None:
                progress(self)

    # ------------------------------------------------------------------------------------------
    def _log_applied(self, seat: str, cmd: Command, reason: str | None) -> None:
        if reason is not None:
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

    def _apply_commands(self) -> None:
        """Apply queued commands in seat order; each is re-checked against the budget left."""
        self.bids: list[tuple[str, BuyAccelerators]] = []
        pending, self.pending = self.pending, defaultdict(list)
        bids = self.bids
        for seat in self.seat_ids:
            queue = pending.get(seat)
            agent = self.seats.get(seat) if queue else None
            if agent is None:
                continue
            reserved = self.pending[seat]  # bids keep their cash reserved until the chip market clears
            for cmd in queue:
                reason = budget_refusal(self, seat, cmd)
                if reason is not None:
                    self._log_applied(seat, cmd, reason)
                elif isinstance(cmd, BuyAccelerators):
                    bids.append((seat, cmd))
                    reserved.append(cmd)
                else:
                    self._apply_one(agent, cmd)
        self.pending = defaultdict(list)

    def _apply_one(self, agent: SeatAgent, cmd: Command) -> None:
        w, sc, seat = self.world, self.scenario, agent.seat_id
        home = self.region_ix[agent.state["home"]]
        if isinstance(cmd, BuildDatacenter | BuildPlant | BuildFab):
            r = self.region_ix[cmd.region]
            cost = command_cost_busd(self, seat, cmd)
            subsidy = self.subsidy_for(seat, cmd)
            self.transfer(seat, OUTSIDE, cost, "capex")
            if subsidy > 0:
                self.transfer(sc.regions[r].id, seat, subsidy, "subsidy")
            if isinstance(cmd, BuildDatacenter):
                delay = sc.economics.datacenter_build_quarters + int(w.permitting_quarters[r])
                size, what = cmd.it_mw, f"{cmd.it_mw:,.0f} MW datacenter"
            elif isinstance(cmd, BuildPlant):
                tech = sc.technologies[cmd.technology]
                delay = tech.build_quarters + int(w.permitting_quarters[r])
                size, what = cmd.mw, f"{cmd.mw:,.0f} MW {cmd.technology} plant"
            else:
                delay = sc.economics.fab_build_quarters + int(w.permitting_quarters[r]) // 2
                size, what = cmd.h100e_per_quarter, f"fab for {cmd.h100e_per_quarter:,.0f} H100e/quarter"
            project = {
                "id": len(self.command_log),
                "kind": cmd.kind,
                "owner": seat,
                "region": cmd.region,
                "size": size,
                "detail": getattr(cmd, "technology", None) or getattr(cmd, "accelerator", None) or "",
                "started": self.quarter,
                "done": self.quarter + delay,
                "cost_busd": cost,
                "subsidy_busd": subsidy,
                "name": f"{agent.name}: {what} in {sc.regions[r].name}",
            }
            w.projects.append(project)
            big = (isinstance(cmd, BuildDatacenter) and cmd.it_mw >= 300) or isinstance(cmd, BuildFab)
            if big:
                self.add_news("build", f"{agent.name} starts a {what} in {sc.regions[r].name}", cmd.region, seat)
        elif isinstance(cmd, SetSubsidy):
            w.subsidy[home] = cmd.rate
        elif isinstance(cmd, SetLocalisation):
            if bool(w.localisation[home]) != cmd.enabled:
                w.localisation[home] = cmd.enabled
                verb = "enacts" if cmd.enabled else "repeals"
                self.add_news("policy", f"{agent.name} {verb} a data-localisation law", agent.state["home"], seat)
        elif isinstance(cmd, SetExportControls):
            cap = np.inf if cmd.cap_h100e is None else cmd.cap_h100e
            w.tier_cap[cmd.tier - 1, self.class_ix[cmd.accelerator]] = cap
            self.add_news("controls", f"{agent.name} sets tier-{cmd.tier} {cmd.accelerator} cap", None, seat)
        elif isinstance(cmd, SetExportTier):
            w.export_tier[self.region_ix[cmd.region]] = cmd.tier
            self.add_news("controls", f"{agent.name} moves {cmd.region} to export tier {cmd.tier}", cmd.region, seat)
        elif isinstance(cmd, JoinBloc | LeaveBloc):
            w.bloc_member[self.bloc_ix[cmd.bloc], home] = isinstance(cmd, JoinBloc)
            verb = "joins" if isinstance(cmd, JoinBloc) else "leaves"
            self.add_news("policy", f"{agent.name} {verb} {sc.blocs[self.bloc_ix[cmd.bloc]].name}", None, seat)
        elif isinstance(cmd, SetSecuritySpending):
            w.security_busd[home] = cmd.busd_per_year
        elif isinstance(cmd, SetCurtailmentPriority):
            w.dc_last[home] = cmd.datacenters_last
        elif isinstance(cmd, PermittingReform):
            self.transfer(seat, OUTSIDE, PERMITTING_REFORM_BUSD, "reform")
            w.permitting_quarters[home] = max(0, int(w.permitting_quarters[home]) - 1)
        elif isinstance(cmd, RaiseFunding):
            agent.state["raising"] = True
            agent.state["raise_busd"] = cmd.busd
        elif isinstance(cmd, Decide):
            options = self.pending_decisions.get(seat, {}).pop(cmd.event_id, [])
            self.add_news("decision", f"{agent.name} decides: {options[cmd.option]}", agent.state["home"], seat)

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

    # ------------------------------------------------------------------------------------------
    def _construction(self) -> None:
        """Completed projects join the state arrays."""
        w = self.world
        keep = []
        dcs: tuple[list[Any], ...] = ([], [], [], [], [])  # region, owner, MW, PUE, name
        plants: tuple[list[Any], ...] = ([], [], [], [])  # region, owner, technology, MW
        for p in w.projects:
            if p["done"] > self.quarter:
                keep.append(p)
                continue
            owner_id = p["owner"]
            if owner_id not in self.seats:  # the owner went bankrupt: the project is abandoned
                continue
            owner = self.seat_index(owner_id)
            r = self.region_ix[p["region"]]
            if p["kind"] == "build_datacenter":
                pue = min(float(w.pue[r]), 1.3)  # new large builds reach PUE <= 1.3 (CALIBRATION 1)
                for column, value in zip(dcs, (r, owner, p["size"], pue, p["name"].split(": ", 1)[-1]), strict=True):
                    column.append(value)
            elif p["kind"] == "build_plant":
                for column, value in zip(plants, (r, owner, TECHNOLOGIES.index(p["detail"]), p["size"]), strict=True):
                    column.append(value)
            else:
                w.add_fab(r, owner, self.class_ix[p["detail"]], p["size"], self.quarter, p["name"])
        w.add_datacenters(*dcs)
        w.add_plants(*plants)
        w.projects = keep

    # ------------------------------------------------------------------------------------------
    def _chips(self) -> None:
        """Fab output is allocated to bids by price within export-control caps."""
        w, n_g = self.world, len(self.class_ix)
        online = w.fab_online <= self.quarter
        derate = np.ones(len(w.fab_capacity))
        hit = self.globals.pop("fab_derate", [])  # fabs finished this quarter were not disrupted
        derate[: len(hit)] = hit
        output = w.fab_capacity * online * derate
        supply = np.bincount(w.fab_class, weights=output, minlength=n_g)
        bids = self.bids
        self.last["chip_supply"] = supply
        if not bids:
            self.last["chip_price"] = self.list_price * self.scenario.economics.chip_reserve_share
            self.last["chip_sold"] = np.zeros(n_g)
            return
        n_r = len(self.region_ix)
        seat_pos, class_ix, region_ix = self.seat_pos, self.class_ix, self.region_ix
        buyer = np.array([seat_pos[seat] for seat, _ in bids])
        cls = np.array([class_ix[b.accelerator] for _, b in bids])
        region = np.array([region_ix[b.region] for _, b in bids])
        wanted = np.array([b.h100e for _, b in bids])
        price = np.array([b.max_price_usd for _, b in bids])
        # a bid is capped by the buyer's free space, shared by its bids in order, so the halls can
        # never be overfilled whatever the market grants; a hall = a seat's datacenters in a region
        halls = _Halls(w.dc_owner, w.dc_region, n_r)
        hall = halls.find(buyer * n_r + region)  # -1: no datacenter there (any more): nothing
        remaining = halls.sums(np.maximum(w.dc_it_mw * KW_PER_MW - w.dc_kw, 0.0)[halls.rows])
        kw_new = self.kw_per_h100e * self.globals["efficiency_mult"]
        qty = np.zeros(len(bids))
        rank = _rank_within(hall)  # a hall's k-th bid comes after its first k
        for k in range(int(rank.max()) + 1):
            n = np.nonzero((rank == k) & (hall >= 0))[0]
            h, kw = hall[n], kw_new[cls[n]]
            qty[n] = np.minimum(wanted[n], remaining[h] / kw)
            remaining[h] -= qty[n] * kw
        reserve = self.list_price * self.scenario.economics.chip_reserve_share
        ok = (price >= reserve[cls]) & (qty > 0)
        # caps are per destination region: each region is its own "tier" row for the kernel
        caps = w.tier_cap[w.export_tier - 1]  # (R, G)
        leak = self.scenario.export_controls.grey_market_leakage
        barred = (caps == 0) & self.controlled[None, :]
        tier2 = w.tier_cap[1][None, :].repeat(len(caps), 0)
        caps = np.where(barred, leak * np.where(np.isfinite(tier2), tier2, 0.0), caps)
        caps = np.where(self.controlled[None, :], caps, np.inf)
        res = allocate_chips(supply, cls[ok], qty[ok], price[ok], region[ok], caps)
        got = np.zeros(len(bids))
        got[ok] = res.allocation
        clearing = np.where(np.asarray(res.price) > 0, res.price, reserve)
        self.last["chip_price"] = clearing
        sold = np.bincount(cls, weights=got, minlength=n_g)
        self.last["chip_sold"] = sold
        # who made what: each class's output shares by fab, for revenue and for the chips' origin
        share = np.divide(output, supply[w.fab_class], out=np.zeros_like(output), where=supply[w.fab_class] > 0)
        origin = np.zeros((n_g, n_r))
        np.add.at(origin, (w.fab_class, w.fab_region), share)
        delivered = np.nonzero(got > 0)[0]
        self._install(halls, hall[delivered], cls[delivered], got[delivered], region[delivered], origin)
        # buyers pay the clearing price, each its bids in order, seats in the order they first bid
        buyers = buyer[delivered]
        paid = np.bincount(buyers, weights=got[delivered] * clearing[cls[delivered]] / 1e9)
        first_bid = np.unique(buyers, return_index=True)[1]
        for row in buyers[np.sort(first_bid)].tolist():
            self.transfer(self.seat_ids[row], OUTSIDE, paid[row], "chip purchases")
        # fabs are paid the clearing price for their share of what sold, and pay its production cost
        made = sold[w.fab_class] * share
        income = made * (clearing[w.fab_class] - self.production_cost[w.fab_class]) / 1e9
        gross = made * clearing[w.fab_class] / 1e9
        for f in np.nonzero(made > 0)[0]:
            owner = self.seat_ids[w.fab_owner[f]]
            if owner in self.seats:
                self.transfer(OUTSIDE, owner, float(gross[f]), "chip sales")
                self.transfer(owner, OUTSIDE, float(gross[f] - income[f]), "chip production")

    def _install(
        self,
        halls: _Halls,
        hall: np.ndarray,
        g: np.ndarray,
        qty: np.ndarray,
        region: np.ndarray,
        origin: np.ndarray,
    ) -> None:
        """Put delivered accelerators into the buyers' datacenters, in each hall by free space.

        One delivery per element of `hall` (hall number), `g` (class), `qty` (H100e) and `region`,
        in bid order; `origin` is (G, R), where each class was made. Halls share no datacenter, so
        the k-th deliveries of all halls are installed together ("round" k) and a hall's later
        deliveries see the space its earlier ones took: the same numbers as one by one.
        """
        if not len(hall):
            return
        w, n_r = self.world, len(self.region_ix)
        # chips of a class come from its fabs' regions pro rata to output (from the buyer's own
        # region if none of the class was made)
        totals = np.array([origin[c].sum() for c in range(len(origin))])
        from_fabs = np.divide(origin, totals[:, None], out=np.zeros_like(origin), where=totals[:, None] > 0)
        source = np.where((totals[g] > 0)[:, None], from_fabs[g], np.eye(n_r)[region])  # (N, R)
        kw = self.kw_per_h100e * self.globals["efficiency_mult"]
        rounds = _rank_within(hall)
        for k in range(int(rounds.max()) + 1):
            n = np.nonzero(rounds == k)[0]
            rows, lengths = halls.rows_of(hall[n])
            free = np.maximum(w.dc_it_mw[rows] * KW_PER_MW - w.dc_kw[rows], 0.0)
            total = _segment_sums(free, lengths)
            keep = np.repeat(total > 0, lengths)  # a hall with no space left gets nothing
            each = np.repeat(n, lengths)[keep]
            rows, free = rows[keep], free[keep]
            part = qty[each] * free / np.repeat(total, lengths)[keep]
            w.dc_stock[rows, g[each]] += part
            w.dc_kw[rows] += part * kw[g[each]]
            w.dc_origin[rows] += part[:, None] * source[each]

    # ------------------------------------------------------------------------------------------
    def _power(self) -> None:
        """Clear each region's power market per time slice; shortages curtail datacenters."""
        w = self.world
        heat = self.globals.pop("heat", np.ones(len(self.region_ix)))
        ai_mw = np.bincount(w.dc_region, weights=w.dc_kw * w.dc_pue, minlength=len(heat)) / KW_PER_MW
        dc_mw = (w.conventional_dc_mw * w.pue + ai_mw * FLEET_AVAILABILITY) * 1.0
        base = w.base_demand_mw[None, :] * self.slice_factor[:, None] * heat[None, :]  # (S, R)
        demand = base + dc_mw[None, :]
        derate = np.where(THERMAL[None, :], 1.0 - 0.1 * (heat[:, None] > 1.0), 1.0)  # (R, T)
        capacity = w.grid_mw[None, :, :] * self.tech_avail[:, None, :] * derate[None, :, :]
        cost = np.broadcast_to(self.tech_cost[None, None, :] * self.fuel_factor[None, :, None], capacity.shape)
        res = clear_power(
            np.ascontiguousarray(cost), capacity, demand, voll=self.scenario.economics.voll_usd_mwh, links=self.links
        )
        # curtailment of datacenters: first (pro rata with all load) or last (only after other load)
        unserved = np.asarray(res.unserved)
        dc_share_first = np.minimum(1.0, np.divide(unserved, demand, out=np.zeros_like(demand), where=demand > 0))
        dc_share_last = np.minimum(1.0, np.maximum(unserved - base, 0.0) / np.maximum(dc_mw[None, :], 1e-9))
        curtail = np.where(w.dc_last[None, :], dc_share_last, dc_share_first)
        curtail = np.where(dc_mw[None, :] > 0, curtail, 0.0)
        hours = self.slice_hours
        price = np.asarray(res.price)
        self.last["power"] = res
        self.last["power_demand"] = demand
        self.last["power_price"] = price
        self.last["power_price_avg"] = (price * hours[:, None]).sum(0) / hours.sum()
        self.last["dc_curtail"] = (curtail * hours[:, None]).sum(0) / hours.sum()  # (R,)
        served_dc = (dc_mw[None, :] * (1.0 - curtail) * hours[:, None]).sum(0)  # MWh per region
        self.last["dc_energy_mwh"] = served_dc
        self.last["dc_energy_wanted_mwh"] = dc_mw * hours.sum()
        self.last["ai_energy_mwh"] = (ai_mw * FLEET_AVAILABILITY)[None, :] * (1.0 - curtail) * hours[:, None]
        self.last["ai_energy_mwh"] = self.last["ai_energy_mwh"].sum(0)
        dispatch = np.asarray(res.dispatch)  # (S, R, T)
        gen_mwh = (dispatch * hours[:, None, None]).sum(0)  # (R, T)
        emissions_t = gen_mwh @ self.tech_emissions
        total_mwh = np.maximum(gen_mwh.sum(1), 1e-9)
        self.last["emissions_mt"] = emissions_t / 1e6
        self.last["grid_intensity"] = emissions_t / total_mwh  # t/MWh
        self.last["dc_emissions_mt"] = served_dc * self.last["grid_intensity"] / 1e6
        peak = int(np.argmax(self.slice_factor))
        avail_peak = capacity[peak].sum(1)
        self.last["reserve_margin"] = avail_peak / np.maximum(demand[peak], 1e-9) - 1.0
        # power margins of owned plants go to their owners
        if len(w.plant_mw):
            share = w.plant_mw / np.maximum(w.grid_mw[w.plant_region, w.plant_tech], 1e-9)
            margin = (price[:, w.plant_region] - cost[:, w.plant_region, w.plant_tech]).clip(0)
            gen = dispatch[:, w.plant_region, w.plant_tech] * share[None, :]
            income = (margin * gen * hours[:, None]).sum(0) / 1e9
            for p in range(len(w.plant_mw)):
                owner = self.seat_ids[w.plant_owner[p]]
                if owner in self.seats and income[p] > 0:
                    self.transfer(OUTSIDE, owner, float(income[p]), "power sales")

    # ------------------------------------------------------------------------------------------
    def _segments(self) -> dict[str, Any]:
        """Demand segments of the compute market: regional demand by class, and each lab/startup."""
        sc, n_r = self.scenario, len(self.region_ix)
        pool = self.globals["regional_demand_h100e"]
        wtp = sc.demand.wtp_usd_per_hour
        share = np.array([r.ai_demand_share for r in sc.regions])
        reg_share = np.array([r.regulated_share for r in sc.regions])
        tr = sc.demand.training_share
        region, klass, qty, price, owner = [], [], [], [], []
        for c, frac in (
            ("training", (1 - reg_share) * tr),
            ("inference", (1 - reg_share) * (1 - tr)),
            ("regulated", reg_share),
        ):
            region.extend(range(n_r))
            klass.extend([c] * n_r)
            qty.extend(pool * share * frac)
            price.extend([wtp[c]] * n_r)
            owner.extend([None] * n_r)
        for agent in self.seats.values():
            d = agent.state.get("demand_h100e", 0.0)
            if agent.kind in ("lab", "startup") and d > 0:
                c = "training" if agent.kind == "lab" else "inference"
                region.append(self.region_ix[agent.state["home"]])
                klass.append(c)
                qty.append(d)
                price.append(wtp[c] * (1.1 if agent.kind == "lab" else 1.0))
                owner.append(agent.seat_id)
        return {
            "region": np.array(region, np.int64),
            "class": np.array(klass),
            "qty": np.array(qty, float),
            "wtp": np.array(price, float),
            "owner": owner,
        }

    def _compute(self) -> None:
        """Clusters sell H100e-hours to demand segments under localisation and sanctions rules."""
        w, sc = self.world, self.scenario
        seg = self._segments()
        self.last["segments"] = seg
        stock = w.dc_stock.sum(1)
        k_ix = np.nonzero(stock > 1e-9)[0]
        r_k = w.dc_region[k_ix]
        avail = (1.0 - self.last["dc_curtail"][r_k]) * FLEET_AVAILABILITY
        capacity = stock[k_ix] * avail
        kw_per = w.dc_kw[k_ix] / stock[k_ix]
        power_cost = kw_per * w.dc_pue[k_ix] * self.last["power_price_avg"][r_k] / 1000.0
        cost = sc.demand.opex_usd_per_hour + power_cost
        r_j = seg["region"]
        regulated = seg["class"] == "regulated"
        same = r_j[:, None] == r_k[None, :]
        allied = self.allied_matrix()[r_j][:, r_k]
        allowed = np.where(regulated[:, None], same | (allied & ~w.localisation[r_j][:, None]), True)
        # localisation: regulated data stays home; tier-3 buyers may be barred from producers' clouds
        if sc.export_controls.remote_access_barred:
            owner_home = np.array(
                [
                    self.region_ix[self.seats[self.seat_ids[o]].state["home"]] if self.seat_ids[o] in self.seats else 0
                    for o in w.dc_owner[k_ix]
                ],
                np.int64,
            )
            barred = (w.export_tier[r_j] == 3)[:, None] & self.chip_producer[owner_home][None, :]
            allowed &= ~barred
        penalty = np.where(
            seg["class"][:, None] == "training",
            0.0,
            self.distance_km[r_j][:, r_k] / 1000.0 * sc.demand.latency_penalty_usd_per_1000km,
        )
        spread = sc.demand.preference_spread_usd_per_hour
        # Warm start from last quarter's cluster prices (datacenters keep their index; new ones
        # start at their region's mean): the market moves little from quarter to quarter.
        warm = None
        prev_k, prev_p = self.last.get("clusters"), self.last.get("compute_price")
        if prev_k is not None and prev_p is not None and len(prev_p):
            by_dc = np.full(len(w.dc_region), np.nan)
            by_dc[np.asarray(prev_k)] = np.asarray(prev_p)
            warm = by_dc[k_ix]
            if np.isnan(warm).any():
                fill = self.last.get("compute_price_region")
                warm = np.where(np.isnan(warm), fill[r_k] if fill is not None else 0.0, warm)
        res = clear_compute(
            capacity, cost, seg["qty"], seg["wtp"], allowed, penalty, temperature=spread, warm_start=warm
        )
        alloc = np.asarray(res.allocation)
        price_k = np.asarray(res.price)
        self.last["compute"] = res
        self.last["clusters"] = k_ix
        self.last["cluster_cost"] = cost
        self.last["cluster_capacity"] = capacity
        sold = alloc.sum(0)
        w.dc_util[:] = 0.0
        w.dc_util[k_ix] = np.divide(sold, stock[k_ix], out=np.zeros_like(sold), where=stock[k_ix] > 0)
        hours = HOURS_PER_QUARTER
        # money: buyers pay each cluster's price; owners pay power and opex for what they sell
        revenue_k = sold * price_k * hours / 1e9
        paid_j = (alloc * price_k[None, :]).sum(1) * hours / 1e9
        # Regional demand (no owner) pays the outside pool in one sum; labs and startups pay
        # for their own segment.
        pooled = [j for j, who in enumerate(seg["owner"]) if who is None]
        self.transfer(OUTSIDE, OUTSIDE, float(paid_j[pooled].sum()), "compute purchases")
        for j, who in enumerate(seg["owner"]):
            if who is not None and paid_j[j] > 0:
                self.transfer(who, OUTSIDE, float(paid_j[j]), "compute purchases")
        # the outside pool received every payment; pay each owner its clusters' revenue from it
        owner_ix = w.dc_owner[k_ix]
        n_ids = len(self.seat_ids)
        rev_o = np.bincount(owner_ix, revenue_k, n_ids)
        op_o = np.bincount(owner_ix, sold * cost * hours / 1e9, n_ids)
        for o in np.unique(owner_ix):
            who = self.seat_ids[o]
            if who in self.seats:
                self.transfer(OUTSIDE, who, float(rev_o[o]), "compute sales")
                self.transfer(who, OUTSIDE, float(op_o[o]), "power and opex")
                self.seats[who].state["revenue_q"] = self.seats[who].state.get("revenue_q", 0.0) + float(rev_o[o])
        served = alloc.sum(1)
        for j, who in enumerate(seg["owner"]):
            if who is not None:
                self.seats[who].state["served_h100e"] = float(served[j])
                self.seats[who].state["paid_q"] = float(paid_j[j])
        self.last["served"] = served
        self.last["alloc"] = alloc
        self.last["compute_price"] = price_k
        n_r = len(self.region_ix)
        sold_r = np.bincount(r_k, sold, n_r)
        value_r = np.bincount(r_k, price_k * sold, n_r)
        regional_price = np.divide(value_r, sold_r, out=np.full(n_r, np.nan), where=sold_r > 0)
        glob = (
            float((price_k * sold).sum() / sold.sum())
            if sold.sum() > 0
            else float(np.mean(sc.demand.wtp_usd_per_hour.values()))
        )
        self.last["compute_price_region"] = np.where(np.isnan(regional_price), glob, regional_price)
        self.last["compute_price_global"] = glob

    # ------------------------------------------------------------------------------------------
    def _finance(self) -> None:
        """Budgets, security spending, lab income, funding rounds, startups born and failed."""
        sc, w = self.scenario, self.world
        winter = self.globals["funding_winter_left"] > 0
        for r in sc.regions:
            nation = self.seats[r.id]
            self.transfer(OUTSIDE, r.id, self._budget_busd(r.id), "state budget")
            i = self.region_ix[r.id]
            spend = min(float(w.security_busd[i]) / 4.0, max(nation.state["cash_busd"], 0.0))
            self.transfer(r.id, OUTSIDE, spend, "security")
            nation.state["security_paid_busd"] = spend * 4.0
        hours = HOURS_PER_QUARTER
        revenue_per_hour, multiple = sc.economics.lab_revenue_per_hour_usd, sc.economics.valuation_multiple
        for agent in list(self.seats.values()):
            st, kind = agent.state, agent.kind
            if kind == "lab" or kind == "startup":
                income = st.get("served_h100e", 0.0) * hours * revenue_per_hour / 1e9
                self.transfer(OUTSIDE, agent.seat_id, income, "lab revenue")
                st["revenue_q"] = st.get("revenue_q", 0.0) + income
            if st.pop("raising", False):
                amount = st.pop("raise_busd", 0.0)
                p = sc.startups.round_success * (0.3 if winter else 1.0)
                if self.rngs["startups"].random() < p:
                    self.transfer(OUTSIDE, agent.seat_id, amount, "funding rounds")
                    st["valuation_busd"] = st.get("valuation_busd", 0.0) + amount * 4.0
                    if amount >= 0.5:
                        self.add_news("funding", f"{agent.name} raises ${amount:,.1f}B", st["home"], agent.seat_id)
                else:
                    st["failed_rounds"] = st.get("failed_rounds", 0) + 1
            # valuation: revenue multiple, smoothed
            rev = st.get("revenue_q", 0.0)
            st["revenue_busd"] = rev
            if kind != "nation":
                target = max(rev * 4.0 * multiple, st["cash_busd"])
                st["valuation_busd"] = 0.8 * st.get("valuation_busd", target) + 0.2 * target
            st["revenue_q"] = 0.0
        # spawned startups that cannot pay fail; their debts are written off to the outside
        for agent in [a for a in self.seats.values() if a.kind == "startup"]:
            if agent.state["cash_busd"] < 0:
                self.add_news(
                    "failure", f"{agent.name} runs out of money and shuts down", agent.state["home"], agent.seat_id
                )
                self.transfer(OUTSIDE, agent.seat_id, -agent.state["cash_busd"], "write-offs")
                self.remove_seat(agent.seat_id)
        # named labs and firms do not die: a firm in the red cuts its plans (and its demand)
        for agent in self.seats.values():
            if agent.kind == "lab" and agent.state["cash_busd"] < 0:
                agent.state["demand_h100e"] *= 0.7
        self._spawn_startups()

    def remove_seat(self, seat_id: str) -> None:
        """A firm leaves the game (bankruptcy); its assets stay but produce nothing for it."""
        agent = self.seats.pop(seat_id)
        self.retired_homes[seat_id] = agent.state["home"]
        self.human_seats.discard(seat_id)
        agent.remove()

    def _spawn_startups(self) -> None:
        sp, rng = self.scenario.startups, self.rngs["startups"]
        alive = sum(1 for a in self.seats.values() if a.kind == "startup")
        n = int(rng.poisson(sp.rate_per_quarter * (0.4 if self.globals["funding_winter_left"] > 0 else 1.0)))
        homes = list(sp.home_weights)
        if not homes:
            return
        p = np.array([sp.home_weights[h] for h in homes])
        for _ in range(min(n, max(sp.max_alive - alive, 0))):
            k = self.globals["startups_spawned"]
            self.globals["startups_spawned"] = k + 1
            home = homes[int(rng.choice(len(homes), p=p / p.sum()))]
            cash = float(rng.uniform(*sp.seed_cash_busd))
            demand = float(rng.uniform(*sp.demand_h100e))
            seat = f"startup_{k:04d}"
            name = f"{_startup_name(rng)} ({home})"
            state = {"name": name, "home": home, "cash_busd": 0.0, "valuation_busd": cash * 5, "revenue_busd": 0.0}
            state.update({"demand_h100e": demand, "named": False, "born": self.quarter})
            self.add_seat(AIStartup, seat, state)
            self.transfer(OUTSIDE, seat, cash, "funding rounds")

    # ------------------------------------------------------------------------------------------
    def _metrics(self) -> None:
        pillars = sovereignty_pillars(self)
        self.last["pillars"] = pillars
        self.metrics.record(self, pillars)

    def _advance(self) -> None:
        """Grow demand, age the fleet, decay shocks, and move to the next quarter."""
        sc, w, g = self.scenario, self.world, self.globals
        shock = float(self.rngs["events"].normal(0.0, sc.demand.volatility))
        g["growth"] = max(-0.5, g["growth"] * (1.0 - sc.demand.growth_decay_per_year / 4.0))
        g["regional_demand_h100e"] *= (1.0 + g["growth"]) ** 0.25 * (1.0 + shock)
        g["efficiency_mult"] *= (1.0 - sc.demand.efficiency_gain_per_year) ** 0.25
        keep = 1.0 - 1.0 / sc.demand.accelerator_life_quarters
        w.dc_stock *= keep
        w.dc_kw *= keep
        w.dc_origin *= keep
        # utilities outside the game expand the grid in step with non-datacenter demand; new
        # datacenter load must bring its own power (plants built by players and AI seats)
        growth = np.array([(1 + r.demand_growth) ** 0.25 for r in sc.regions])
        w.base_demand_mw *= growth
        w.grid_mw *= growth[:, None]
        w.conventional_dc_mw *= np.array([(1 + r.conventional_dc_growth) ** 0.25 for r in sc.regions])
        w.incident_penalty *= 0.5
        g["funding_winter_left"] = max(0, g["funding_winter_left"] - 1)
        for agent in self.seats.values():
            if agent.kind in ("lab", "startup"):
                agent.grow_demand()
        self.quarter += 1

    def _init_last(self) -> None:
        """Signals the AI reads before the first quarter, from the scenario's reference figures."""
        sc, n_r = self.scenario, len(self.region_ix)
        self.last.update(
            {
                "power_price_avg": np.array([r.electricity_price_usd_mwh for r in sc.regions], float),
                "compute_price_region": np.full(n_r, sc.demand.wtp_usd_per_hour["training"] * 0.8),
                "compute_price_global": sc.demand.wtp_usd_per_hour["training"] * 0.8,
                "chip_price": self.list_price.copy(),
                "chip_supply": np.zeros(len(self.class_ix)),
                "chip_sold": np.zeros(len(self.class_ix)),
                "reserve_margin": np.full(n_r, 0.2),
                "pillars": None,
                "dc_curtail": np.zeros(n_r),
            }
        )

    # ------------------------------------------------------------------------------------------
    def observe(self, seat_id: str) -> dict[str, Any]:
        """What a seat may see: public information plus its own private state."""
        from sovereign.sim.observe import observation

        return observation(self, seat_id)


_PREFIX = ("Agent", "Auto", "Cog", "Deep", "Flux", "Hyper", "Loop", "Meta", "Neo", "Omni", "Quant", "Vector")
_SUFFIX = ("Works", "Labs", "AI", "Mind", "Forge", "Pilot", "Stack", "Ops", "Flow", "Logic")


class _Halls:
    """Datacenters grouped into halls: a seat's datacenters in one region.

    ``rows`` lists the datacenters hall by hall (each hall's in ascending row order), ``start``
    and ``length`` locate each hall in it, and ``keys`` holds each hall's ``owner * R + region``
    (ascending: halls are numbered in key order).
    """

    def __init__(self, owner: np.ndarray, region: np.ndarray, n_regions: int) -> None:
        key = owner * n_regions + region
        self.rows = np.argsort(key, kind="stable")
        sorted_key = key[self.rows]
        self.start = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]]) if len(key) else np.zeros(0, int)
        self.length = np.diff(np.r_[self.start, len(key)])
        self.keys = sorted_key[self.start]

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Hall number of each key ``owner * R + region``, -1 where there is no such hall."""
        pos = np.searchsorted(self.keys, keys)
        found = pos < len(self.keys)
        found[found] = self.keys[pos[found]] == keys[found]
        return np.where(found, pos, -1)

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Per hall, the sum of `values` (one per datacenter, in ``rows`` order)."""
        return _segment_sums(values, self.length)

    def rows_of(self, halls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The datacenter rows of some halls, one hall after the other, and each hall's count."""
        lengths = self.length[halls]
        first = np.repeat(self.start[halls] - np.cumsum(lengths) + lengths, lengths)
        return self.rows[first + np.arange(len(first))], lengths


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """For each element, how many earlier elements have the same value (0 for the first)."""
    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    start = np.r_[True, ordered[1:] != ordered[:-1]] if len(groups) else np.zeros(0, bool)
    first = np.maximum.accumulate(np.where(start, np.arange(len(groups)), 0))
    rank = np.empty(len(groups), np.int64)
    rank[order] = np.arange(len(groups)) - first
    return rank


def _segment_sums(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Sums of consecutive segments of `values`, bit for bit equal to ``segment.sum()`` each.

    Why not ``np.add.reduceat``: it adds in another order than ``ndarray.sum`` (which adds fewer
    than 8 numbers one after the other and longer runs pairwise), and the results must not change
    with how the datacenters happen to be grouped.
    """
    n = len(lengths)
    if n == 0:
        return np.zeros(0)
    starts = np.cumsum(lengths) - lengths
    seg = np.repeat(np.arange(n), lengths)
    pos = np.arange(len(values)) - starts[seg]
    short = pos < 7
    table = np.zeros((n, min(int(lengths.max()), 7)))
    table[seg[short], pos[short]] = values[short]
    out = table[:, 0].copy()
    for j in range(1, table.shape[1]):
        out += table[:, j]
    for s in np.nonzero(lengths >= 8)[0].tolist():
        out[s] = values[starts[s] : starts[s] + lengths[s]].sum()
    return out


#: Quarter labels of the log entries (~150 a quarter), computed once per quarter.
_quarter_label = functools.lru_cache(maxsize=256)(quarter_label)


def _startup_name(rng: np.random.Generator) -> str:
    return f"{_PREFIX[int(rng.integers(len(_PREFIX)))]}{_SUFFIX[int(rng.integers(len(_SUFFIX)))]}"


def isfinite_or(x: float, default: float) -> float:
    """`x` if finite else `default`."""
    return x if math.isfinite(x) else default
