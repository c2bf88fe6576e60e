"""A game in progress as every front end sees it: the model, whose turn it is, and what the screens explain.

`GameSession` is the only object in the UI that changes the model, and it does so only through
``model.submit(...)`` and ``model.step()`` (STYLE.md: the UI only issues commands). Everything
else in the UI reads.

Ending a quarter runs ``model.step()`` on a worker thread so the window keeps drawing (a progress
overlay) however long the AI seats think; while it runs, screens must not read the model
(:attr:`GameSession.busy`). When it finishes, the session keeps a :class:`MarketSnapshot` of the
quarter, because ``model.results`` only holds the latest quarter and the markets screen lets the
player look back.

Hot-seat: several human seats play in turn within a quarter; the quarter is stepped after the
last of them ends their turn. The screen manager shows a hand-over screen between them.

This module does not import pygame (the app turns its results into events), so it can be tested
and benchmarked without a display.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sovereign.data import default_saves_folder
from sovereign.game import fmt
from sovereign.game.words import command_label, seat_name
from sovereign.scenario.catalog import list_scenarios, resolve_scenario
from sovereign.scenario.schema import Scenario, quarter_index, quarter_label
from sovereign.sim.commands import Command, Decide, command_cost_busd
from sovereign.sim.desk import CommandResult
from sovereign.sim.model import SovereignModel
from sovereign.sim.world import TECHNOLOGIES

#: Where the game keeps saves: ``saves/`` in a clone of the repository, else the user data folder.
SAVE_DIR = default_saves_folder()
#: Autosaves kept per game (older ones are rotated out by sovereign.persist).
AUTOSAVES_KEPT = 5


@dataclass(frozen=True)
class ScenarioInfo:
    """A scenario file as the scenario picker shows it."""

    path: Path
    scenario: Scenario

    @property
    def title(self) -> str:
        """Title shown in the picker."""
        return self.scenario.meta.title

    @property
    def briefing(self) -> str:
        """The situation and the stakes, shown before play."""
        return self.scenario.meta.briefing

    def seats(self) -> list[tuple[str, str, str]]:
        """Every playable seat as (id, display name, kind): nations first, then firms."""
        out = [(r.id, r.name, "nation") for r in self.scenario.regions]
        out += [(a.id, a.name, a.kind) for a in self.scenario.actors]
        return out


def find_scenarios(folder: Path | None = None) -> tuple[list[ScenarioInfo], list[str]]:
    """Load every scenario the player can pick; broken files are reported, not fatal.

    Args:
        folder: Only the ``*.yaml`` files of this folder; default the bundled scenarios and the
            user's scenario folders (`sovereign.scenario.catalog.list_scenarios`), each name once.

    Returns:
        The scenarios (baseline first, then by title) and one problem line per unreadable file.
    """
    from sovereign.scenario.loader import ScenarioError, load_scenario

    if folder is not None:
        files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    else:
        seen: set[str] = set()
        files = []
        for entry in list_scenarios():
            if entry.name not in seen:  # the first file of a name is the one the name reaches
                seen.add(entry.name)
                files.append(entry.path)
    found: list[ScenarioInfo] = []
    problems: list[str] = []
    for path in files:
        try:
            found.append(ScenarioInfo(path, load_scenario(path)))
        except ScenarioError as exc:
            first = str(exc).splitlines()[0] if str(exc) else "invalid"
            problems.append(f"{path.name}: {first}")
        except OSError as exc:
            problems.append(f"{path.name}: {exc}")
    found.sort(key=lambda s: (s.scenario.meta.id != "baseline", s.title.lower()))
    return found, problems


def default_scenario_path() -> Path:
    """The scenario a new game starts with unless told otherwise: the bundled baseline."""
    return resolve_scenario("baseline")


# ------------------------------------------------------------------------------------------------
# Market snapshots: what the markets screen explains, kept per quarter
# ------------------------------------------------------------------------------------------------


@dataclass
class MarketSnapshot:
    """The power and compute markets of one quarter, copied out of ``model.results``.

    Attributes:
        quarter: Label of the quarter these markets cleared in.
        slice_names: Names of the power time slices.
        slice_hours: Hours per slice.
        capacity_mw: (S, R, T) available capacity by technology at clearing.
        cost_usd_mwh: (R, T) marginal cost by technology.
        demand_mw: (S, R) demand including datacenters.
        price_usd_mwh: (S, R) clearing price.
        dispatch_mw: (S, R, T) dispatched generation.
        unserved_mw: (S, R) load not served.
        net_import_mw: (S, R) demand met by the interconnectors (negative: exports).
        seg_region: (J,) region row of each compute demand segment.
        seg_class: (J,) class name of each segment (training, inference, regulated).
        seg_owner: (J,) display name of the lab or startup behind a segment, "" for regional pools.
        seg_qty: (J,) H100e wanted.
        seg_wtp: (J,) willingness to pay, $/H100e-hour.
        seg_fringe: (J,) whether a segment is the low-price fringe (bought only when compute is cheap).
        cluster_region: (K,) region row of each supplying datacenter.
        cluster_owner: (K,) owner display name.
        cluster_name: (K,) datacenter name.
        cluster_capacity: (K,) H100e available to sell.
        cluster_cost: (K,) marginal cost, $/H100e-hour.
        cluster_price: (K,) clearing price, $/H100e-hour.
        alloc: (J, K) H100e of segment j served by cluster k.
        chip_flow: (R, R) accelerators delivered this quarter, [from fab region, to host region],
            or None when unknown (first quarter after loading a save).
        price_setter: (S, R) region whose supply sets each price (-1: shortage, VOLL), if known.
        link_ends: (L, 2) region rows of each interconnector's ends, if any.
        link_flow: (S, L) MW on each link, positive from the first end to the second.
        link_congested: (S, L) whether each link ran at capacity.
        voll: Value of lost load, the price in a shortage.
    """

    quarter: str
    slice_names: list[str]
    slice_hours: np.ndarray
    capacity_mw: np.ndarray
    cost_usd_mwh: np.ndarray
    demand_mw: np.ndarray
    price_usd_mwh: np.ndarray
    dispatch_mw: np.ndarray
    unserved_mw: np.ndarray
    net_import_mw: np.ndarray
    seg_region: np.ndarray
    seg_class: np.ndarray
    seg_owner: list[str]
    seg_qty: np.ndarray
    seg_wtp: np.ndarray
    cluster_region: np.ndarray
    cluster_owner: list[str]
    cluster_name: list[str]
    cluster_capacity: np.ndarray
    cluster_cost: np.ndarray
    cluster_price: np.ndarray
    alloc: np.ndarray
    chip_flow: np.ndarray | None = None
    price_setter: np.ndarray | None = None
    link_ends: np.ndarray | None = None
    link_flow: np.ndarray | None = None
    link_congested: np.ndarray | None = None
    voll: float = 0.0
    seg_fringe: np.ndarray | None = None

    def fringe_mask(self) -> np.ndarray:
        """(J,) which segments are the low-price fringe (all False for a snapshot made without it)."""
        return self.seg_fringe if self.seg_fringe is not None else np.zeros(len(self.seg_qty), bool)

    def compute_flow(self, n_regions: int) -> np.ndarray:
        """(R, R) H100e served [from the cluster's region, to the buyer's region]."""
        out = np.zeros((n_regions, n_regions))
        if self.alloc.size:
            np.add.at(out, (self.cluster_region[None, :], self.seg_region[:, None]), self.alloc)
        return out


def origin_matrix(model: SovereignModel) -> np.ndarray:
    """(R_src, R_dst) installed H100e by the region of the fab that made them and where they stand."""
    w = model.world
    n_r = len(model.region_ix)
    out = np.zeros((n_r, n_r))
    if len(w.dc_region):
        np.add.at(out.T, w.dc_region, w.dc_origin)
    return out


def market_snapshot(model: SovereignModel, origin_before: np.ndarray | None = None) -> MarketSnapshot | None:
    """Copy the last quarter's markets out of the model (None before the first quarter).

    Read-only: every array is copied, so later quarters cannot change a snapshot.
    """
    results = model.results
    if not results.played or results.power.market is None:
        return None
    w, sc = model.world, model.scenario
    res = results.power.market
    price = np.array(res.price, float)
    dispatch = np.array(res.dispatch, float)
    unserved = np.array(res.unserved, float)
    demand = np.array(results.power.demand_mw, float)
    n_r = len(model.region_ix)
    capacity = w.grid_mw[None, :, :] * model.tech_avail[:, None, :]
    cost = np.broadcast_to(model.tech_cost[None, :] * model.fuel_factor[:, None], (n_r, len(TECHNOLOGIES))).copy()
    net_import = demand - unserved - dispatch.sum(axis=2)
    compute = results.compute
    seg = compute.segments
    k_ix = np.asarray(compute.clusters, np.int64)

    def owner_name(seat_id: str | None) -> str:
        if seat_id is None:
            return ""
        agent = model.seats.get(seat_id)
        return agent.name if agent is not None else seat_id

    chip_flow = None
    if origin_before is not None:
        keep = 1.0 - 1.0 / sc.demand.accelerator_life_quarters
        after = origin_matrix(model)
        if after.shape == origin_before.shape:
            chip_flow = np.maximum(after / keep - origin_before, 0.0)
            chip_flow[chip_flow < 1.0] = 0.0
    return MarketSnapshot(
        quarter=quarter_label(model.quarter - 1),
        slice_names=[s.name for s in sc.time.slices],
        slice_hours=np.array(model.slice_hours, float),
        capacity_mw=np.array(capacity, float),
        cost_usd_mwh=cost,
        demand_mw=demand,
        price_usd_mwh=price,
        dispatch_mw=dispatch,
        unserved_mw=unserved,
        net_import_mw=net_import,
        seg_region=np.array(seg.region, np.int64),
        seg_class=np.array(seg.klass),
        seg_owner=[owner_name(o) for o in seg.owner],
        seg_qty=np.array(seg.qty, float),
        seg_wtp=np.array(seg.wtp, float),
        cluster_region=np.array(w.dc_region[k_ix], np.int64),
        cluster_owner=[owner_name(model.seat_ids[int(o)]) for o in w.dc_owner[k_ix]],
        cluster_name=[w.dc_name[int(k)] for k in k_ix],
        cluster_capacity=np.array(compute.cluster_capacity, float),
        cluster_cost=np.array(compute.cluster_cost, float),
        cluster_price=np.array(compute.price, float),
        alloc=np.array(compute.alloc, float),
        chip_flow=chip_flow,
        price_setter=np.array(res.price_setter) if hasattr(res, "price_setter") else None,
        link_ends=np.stack([model.links[0], model.links[1]], axis=1) if model.links is not None else None,
        link_flow=np.array(res.flow, float) if model.links is not None else None,
        link_congested=np.array(res.congested) if hasattr(res, "congested") and model.links is not None else None,
        voll=float(sc.economics.voll_usd_mwh),
        seg_fringe=np.array(seg.fringe_mask(), bool),
    )


# ------------------------------------------------------------------------------------------------
# Saves (sovereign.persist is written separately; the UI degrades gracefully without it)
# ------------------------------------------------------------------------------------------------


class SaveUnavailable(RuntimeError):
    """Saving or loading failed; the message is the persistence layer's reason, for the player."""


def save_model(model: SovereignModel, path: Path, label: str = "") -> Path:
    """Save a game with ``sovereign.persist``; raises SaveUnavailable with the reason on failure."""
    from sovereign.persist import SaveError, save_game

    try:
        return save_game(model, path, label=label)
    except SaveError as exc:
        raise SaveUnavailable(str(exc)) from exc


def load_model(path: Path) -> SovereignModel:
    """Load a game; raises SaveUnavailable carrying the persistence layer's reason."""
    from sovereign.persist import SaveError, load_game

    try:
        return load_game(path)
    except SaveError as exc:
        raise SaveUnavailable(str(exc)) from exc


def list_saves(folder: Path | None = None) -> list[Any]:
    """Saves in the folder, newest first: ``SaveInfo`` for good files, ``SaveError`` for bad ones."""
    from sovereign.persist import SaveError
    from sovereign.persist import list_saves as persist_list

    folder = folder or SAVE_DIR
    if not folder.is_dir():
        return []
    try:
        return persist_list(folder)
    except SaveError as exc:
        return [exc]


# ------------------------------------------------------------------------------------------------
# The session
# ------------------------------------------------------------------------------------------------


@dataclass
class StepReport:
    """What the last ``end_turn`` did once the worker finished."""

    quarter: str
    seconds: float
    error: str | None = None
    autosave: str | None = None


@dataclass
class GameSession:
    """The running game: the model, the human seats in turn order, and per-quarter snapshots.

    Args:
        model: The model (new or loaded).
        scenario_path: File the scenario came from (for the title bar and new saves).
        save_dir: Folder for saves and autosaves.
        autosave: Save after every quarter.
    """

    model: SovereignModel
    scenario_path: Path | None = None
    save_dir: Path = SAVE_DIR
    autosave: bool = True
    turn: int = 0
    snapshots: dict[str, MarketSnapshot] = field(default_factory=dict)
    last_results: dict[str, list[tuple[str, CommandResult]]] = field(default_factory=dict)
    save_path: Path | None = None
    dirty: bool = False
    _worker: threading.Thread | None = field(default=None, repr=False)
    _step_started: float = 0.0
    _step_error: BaseException | None = field(default=None, repr=False)
    _step_seconds: float = 0.0
    _origin_before: np.ndarray | None = field(default=None, repr=False)
    _autosave_result: str | None = field(default=None, repr=False)
    _autosaver: Any = field(default=None, repr=False)
    _handed: bool = field(default=False, repr=False)
    version: int = 0
    #: Seats to hand between people ("human") and AI ("ai") once the quarter being decided is played.
    handovers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        snap = market_snapshot(self.model)
        if snap is not None:
            self.snapshots[snap.quarter] = snap

    # -- seats -----------------------------------------------------------------------------

    @property
    def human_seats(self) -> list[str]:
        """Human seats still in the game, in the model's seat order (nations, then firms)."""
        return [s for s in self.model.seat_ids if s in self.model.human_seats and s in self.model.seats]

    @property
    def seat(self) -> str | None:
        """The seat whose turn it is (None when no human seat is left)."""
        seats = self.human_seats
        if not seats:
            return None
        return seats[min(self.turn, len(seats) - 1)]

    @property
    def hot_seat(self) -> bool:
        """Whether several people share this screen."""
        return len(self.human_seats) > 1

    def seat_name(self, seat_id: str) -> str:
        """Display name of a seat (`sovereign.game.words.seat_name`: a firm that left says so)."""
        return seat_name(self.model, seat_id)

    def seat_kind(self, seat_id: str) -> str:
        """``nation`` or the firm's kind."""
        agent = self.model.seats.get(seat_id)
        return agent.kind if agent is not None else "retired"

    def controller(self, seat_id: str) -> str:
        """Who plays a seat: ``"human"``, or the difficulty of the AI that plays it.

        Every AI seat has its own level (chosen per seat on the new-game screen, else the game's
        default); the seat lists show it so players know how hard each rival plays.
        """
        if seat_id in self.model.human_seats:
            return "human"
        agent = self.model.seats.get(seat_id)
        return str(agent.difficulty) if agent is not None else str(self.model.difficulty)

    def ai_levels(self) -> dict[str, list[str]]:
        """AI seats still in the game grouped by difficulty, each group in the model's seat order."""
        out: dict[str, list[str]] = {}
        for seat_id in self.model.seat_ids:
            if seat_id in self.model.seats and seat_id not in self.model.human_seats:
                out.setdefault(self.controller(seat_id), []).append(seat_id)
        return out

    def player_next_quarter(self, seat_id: str) -> str:
        """Who will play a seat from the next quarter: ``"human"`` or ``"ai"`` (hand-overs included)."""
        if seat_id in self.handovers:
            return self.handovers[seat_id]
        return "human" if seat_id in self.model.human_seats else "ai"

    def hand_seat(self, seat_id: str, player: str) -> str | None:
        """Hand a seat to people (``"human"``) or to the AI (``"ai"``) from the next quarter.

        Why not at once: the quarter being decided is played by whoever plays the seats now, so
        nobody's queued orders are doubled by an AI's and no seat skips its turn in the hot seat.
        The model logs the hand-over when it happens (after the quarter is played), so a replay or
        a what-if of the save hands the seat over at the same point. Asking again for the seat's
        current player takes a waiting hand-over back.

        Returns:
            Why it cannot be done (None when done): the quarter is being played, the game is over,
            the seat is unknown or `player` is not ``"human"`` or ``"ai"``.
        """
        if self.busy:
            return "the quarter is being played; wait a moment"
        if self.model.done:
            return "the game is over"
        if player not in ("human", "ai"):
            return f"a seat is played by a person or the AI, not {player!r}"
        if seat_id not in self.model.seats:
            return f"{self.seat_name(seat_id)} is no longer in the game"
        now = "human" if seat_id in self.model.human_seats else "ai"
        if player == now:
            self.handovers.pop(seat_id, None)
        else:
            self.handovers[seat_id] = player
        self.version += 1
        return None

    def _apply_handovers(self) -> None:
        """Hand the seats over after a quarter was played (on the worker, before anyone reads)."""
        waiting, self.handovers = self.handovers, {}
        if self.model.done:
            return
        for seat_id, player in waiting.items():
            if seat_id in self.model.seats:  # a firm may have gone under in the quarter
                self.model.hand_seat(seat_id, player)

    # -- commands --------------------------------------------------------------------------

    def preview_cost(self, cmd: Command, seat: str | None = None) -> tuple[float, float]:
        """(cost before subsidy, subsidy) of a command for a seat (default: the current one), in $B."""
        seat = seat or self.seat
        if seat is None:
            return 0.0, 0.0
        return command_cost_busd(self.model, seat, cmd), self.model.subsidy_for(seat, cmd)

    def _human(self, seat: str | None) -> str | None:
        """Why a seat cannot act now (None when it can); hot seat and classroom share the rule."""
        if seat is None:
            return "no human seat is playing"
        if seat not in self.human_seats:
            return f"{seat} is not a seat played by people in this game"
        return None

    def check(self, cmd: Command, seat: str | None = None) -> str | None:
        """The validator's verdict for a seat (default: the current one), without queuing anything.

        The classroom names the seat, since every team plays at once on its own device; the
        desktop's hot seat uses the seat whose turn it is.
        """
        from sovereign.game.actions import validate_read_only

        seat = seat or self.seat
        refusal = self._human(seat)
        if refusal is not None or seat is None:
            return refusal
        return validate_read_only(self.model, seat, cmd)

    def submit(self, cmd: Command, seat: str | None = None) -> CommandResult:
        """Queue a command for a seat (default: the current one); the model's validator decides."""
        if self.busy:
            return CommandResult(accepted=False, reason="the quarter is being played; wait a moment")
        seat = seat or self.seat
        refusal = self._human(seat)
        if refusal is not None or seat is None:
            return CommandResult(accepted=False, reason=refusal or "no human seat is playing")
        result = self.model.submit(seat, cmd)
        if not result.accepted:  # the log keeps the model's ids; the player reads names
            result = CommandResult(accepted=False, reason=fmt.in_words(self.model.scenario, result.reason))
        self.last_results.setdefault(seat, []).append((command_label(self.model, cmd), result))
        self.dirty = True
        self.version += 1
        return result

    def queued(self, seat_id: str | None = None) -> list[Command]:
        """Commands queued this quarter by a seat (default: the current one)."""
        seat = seat_id or self.seat
        return list(self.model.pending.get(seat, [])) if seat else []

    def withdraw(self, index: int, seat: str | None = None) -> Command | None:
        """Take back a command a seat (default: the current one) queued this quarter.

        Goes through the model, which logs the withdrawal so a replay of the save withdraws it at
        the same point; the hot seat and the classroom share this rule. Returns the command (the
        form re-opens prefilled with it to edit), or None when nothing can be withdrawn now.
        """
        if self.busy:
            return None
        seat = seat or self.seat
        if self._human(seat) is not None or seat is None:
            return None
        cmd = self.model.withdraw(seat, index)
        if cmd is not None:
            self.dirty = True
            self.version += 1
        return cmd

    def committed_busd(self, seat_id: str | None = None) -> float:
        """Cash a seat (default: the current one) has already promised this quarter.

        Asks the model only when the seat has queued something: the model keeps its queues in a
        ``defaultdict``, so asking for an empty seat would create an (empty) queue, and drawing the
        top bar must not change the game state.
        """
        seat = seat_id or self.seat
        if not seat or not self.model.pending.get(seat):
            return 0.0
        return self.model.committed_busd(seat)

    def pending_decisions(self, seat_id: str | None = None) -> dict[int, list[str]]:
        """Decisions still waiting for a seat's answer (default: the current one), event id -> options.

        A decision answered this quarter stays open in the model until the quarter is played, but
        the player has decided it: counting it would leave "Decide (1)" on screen after choosing
        (and the validator refuses a second answer anyway). Withdrawing the queued answer makes the
        decision wait again.
        """
        seat = seat_id or self.seat
        if not seat:
            return {}
        answered = {c.event_id for c in self.queued(seat) if isinstance(c, Decide)}
        return {k: v for k, v in self.model.pending_decisions.get(seat, {}).items() if k not in answered}

    def decision_effects(self, event_id: int) -> list[str]:
        """What each option of a pending decision does, in words (shown before choosing)."""
        from sovereign.game.words import option_effects
        from sovereign.sim.commands import decision_options

        return [option_effects(self.model.scenario, o) for o in decision_options(self.model, event_id)]

    def decision_headline(self, event_id: int, options: list[str], seat_id: str | None = None) -> tuple[str, str]:
        """Headline and text of the inject behind a pending decision (best effort)."""
        seat = seat_id or self.seat
        best: tuple[str, str] | None = None
        for inj in self.model.scenario.injects:
            if inj.labels == list(options) and seat in (inj.region, inj.actor):
                if quarter_index(inj.quarter) <= self.model.quarter:
                    best = (inj.headline, inj.text)
        return best or (f"Decision {event_id}", "")

    # -- ending turns and quarters -----------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether a quarter is being played on the worker thread."""
        return self._worker is not None

    @property
    def step_elapsed(self) -> float:
        """Seconds since the current step started (0 when idle)."""
        return time.perf_counter() - self._step_started if self.busy else 0.0

    def end_turn(self, wait: bool = False) -> str:
        """End the current seat's turn.

        Args:
            wait: Play the quarter on the calling thread (tests, benchmarks, screenshots).

        Returns:
            ``"handover"`` when another human seat plays next in this quarter, ``"stepping"``
            when the quarter is now being played, ``"over"`` when the game has ended,
            ``"busy"`` when a quarter is already being played.
        """
        if self.busy:
            return "busy"
        if self.model.done:
            return "over"
        if self.turn + 1 < len(self.human_seats):
            self.turn += 1
            return "handover"
        return self.end_quarter(wait)

    def end_quarter(self, wait: bool = False) -> str:
        """Play the quarter now, whoever has not ended their turn (the classroom's timer and teacher).

        Seats that did not end their turn keep what they queued: it is played like everyone else's.

        Args:
            wait: Play the quarter on the calling thread.

        Returns:
            ``"stepping"``, ``"over"`` or ``"busy"`` as for :meth:`end_turn`.
        """
        if self.busy:
            return "busy"
        if self.model.done:
            return "over"
        self._origin_before = origin_matrix(self.model)
        self._step_error = None
        self._step_started = time.perf_counter()
        if wait:
            self._run_step()
            return "stepping"
        self._worker = threading.Thread(target=self._run_step, name="sovereign-step", daemon=True)
        self._worker.start()
        return "stepping"

    def _run_step(self) -> None:
        t0 = time.perf_counter()
        try:
            self.model.step()
        except BaseException as exc:  # reported to the player by poll()
            self._step_error = exc
        self._step_seconds = time.perf_counter() - t0
        self._autosave_result = None
        if self._step_error is None:
            if self.autosave:
                self._autosave_result = self._autosave()  # records the quarter's digest too
            else:
                from sovereign.persist import record_quarter

                record_quarter(self.model)  # so a later save needs no replay to fill its history
            # after the quarter's digest and autosave: the hand-over belongs to the next quarter
            self._handed = bool(self.handovers) and not self.model.done
            self._apply_handovers()

    def _autosave(self) -> str | None:
        """Autosave after a quarter (on the worker, so the window never waits for the disk).

        The persistence layer's autosaver keeps the newest few autosaves of this game and never
        raises; a failure comes back as a message for the player and the game goes on.
        """
        from sovereign.persist import Autosaver

        if self._autosaver is None or self._autosaver.folder != self.save_dir:
            self._autosaver = Autosaver(self.save_dir, keep=AUTOSAVES_KEPT, on_error=lambda exc: None)
        result = self._autosaver(self.model)
        return None if result.ok else f"autosave failed, the game goes on: {result.error}"

    def poll(self) -> StepReport | None:
        """Finish a quarter whose worker is done; None while it runs or when idle."""
        worker = self._worker
        if worker is None and self._step_started == 0.0:
            return None
        if worker is not None:
            if worker.is_alive():
                return None
            worker.join()
            self._worker = None
        self._step_started = 0.0
        played = quarter_label(self.model.quarter - 1)
        if self._step_error is not None:
            err = self._step_error
            self._step_error = None
            return StepReport(played, self._step_seconds, error=f"{type(err).__name__}: {err}")
        snap = market_snapshot(self.model, self._origin_before)
        if snap is not None:
            self.snapshots[snap.quarter] = snap
        self.turn = 0
        self.last_results = {}
        # a quarter that was autosaved is not unsaved progress: loading or quitting right after it
        # loses nothing, so the player is not asked to save it again
        self.dirty = not (self.autosave and self._autosave_result is None) or self._handed
        self._handed = False
        self.version += 1
        return StepReport(played, self._step_seconds, autosave=self._autosave_result)

    def wait(self, timeout: float = 60.0, sleep: Callable[[float], None] = time.sleep) -> StepReport | None:
        """Block until a running quarter finishes (tests)."""
        deadline = time.perf_counter() + timeout
        while self._worker is not None and self._worker.is_alive() and time.perf_counter() < deadline:
            sleep(0.002)
        return self.poll()

    # -- saving ------------------------------------------------------------------------------

    def save(self, path: Path | None = None) -> Path:
        """Save the game (default: a new file named after the scenario, seat and quarter)."""
        if self.busy:
            raise SaveUnavailable("wait until the quarter has been played")
        if path is None:
            seat = self.seat or "ai"
            stamp = time.strftime("%Y%m%d-%H%M%S")
            path = self.save_dir / f"{self.model.scenario.meta.id}-{seat}-{self.model.quarter_label}-{stamp}.json.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        seat = self.seat
        label = f"{self.seat_name(seat)} at {self.model.quarter_label}" if seat else self.model.quarter_label
        written = save_model(self.model, path, label=label)
        self.save_path = written
        self.dirty = False
        return written


def model_difficulty(
    scenario: Scenario,
    human_seats: Iterable[str],
    default: str | None = None,
    seat_difficulty: Mapping[str, str] | None = None,
) -> str | dict[str, str] | None:
    """The ``difficulty`` argument of :class:`SovereignModel` for a default level plus per-seat levels.

    The model takes either one level for every AI seat, or a mapping from seat to level whose key
    ``"*"`` is the level of every seat not named (startups founded during the game included).

    Raises:
        ValueError: A per-seat level names a seat the scenario does not have.
    """
    humans = set(human_seats)
    levels = {seat: level for seat, level in (seat_difficulty or {}).items() if seat not in humans}
    if not levels:
        return default
    ids = [r.id for r in scenario.regions] + [a.id for a in scenario.actors]
    unknown = sorted(set(levels) - set(ids))
    if unknown:
        raise ValueError(f"difficulty given for unknown seat(s): {', '.join(unknown)}")
    return {"*": default or scenario.seats.difficulty, **levels}


def new_session(
    scenario: Scenario,
    human_seats: list[str],
    seed: int = 0,
    difficulty: str | None = None,
    scenario_path: Path | None = None,
    save_dir: Path | None = None,
    autosave: bool = True,
    seat_difficulty: Mapping[str, str] | None = None,
) -> GameSession:
    """Start a new game.

    Args:
        scenario: The validated scenario.
        human_seats: Seats played by people (the first is the one who chose the game).
        seed: Random seed of the run.
        difficulty: Default difficulty of AI seats (default: the scenario's).
        scenario_path: Where the scenario came from.
        save_dir: Folder for saves (default `SAVE_DIR`).
        autosave: Save after every quarter.
        seat_difficulty: Seat id -> level for AI seats that play at their own level; levels
            given for human seats are ignored.

    Returns:
        The session, its first human seat to play.

    Raises:
        ValueError: An unknown seat or level (from the model).
    """
    level = model_difficulty(scenario, human_seats, difficulty, seat_difficulty)
    model = SovereignModel(scenario, rng=seed, human_seats=list(human_seats), difficulty=level)
    return GameSession(model=model, scenario_path=scenario_path, save_dir=save_dir or SAVE_DIR, autosave=autosave)
