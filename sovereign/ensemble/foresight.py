"""Outcome fans: what lies ahead of a game in progress, as a band of possible futures.

From a save (or a live model) the remaining quarters are played N times with AI in every seat,
and a seat's key metric (sovereignty index for a nation, valuation for a firm, or any column of
the metrics tables) is collected quarter by quarter; the fan is its median and 5-95% band.

Why these choices:

* **Common random numbers.** Continuation ``k`` draws its random streams from
  ``SeedSequence(seed, spawn_key=(k,))``, whatever the game state. Two fans made from two
  states of the same game (before and after a decision, or a save and its what-if) therefore
  face the same events in continuation ``k``, so their difference is the decision's effect and
  not luck; and the same save, seed and N give the same fan, bit for bit.
* **Everyone AI.** A continuation is a forecast of the world if every seat played as the AI
  would; the player's queued commands for the current quarter still apply.
* **Processes.** Continuations are independent games; with ``workers > 1`` they run in a
  process pool (forkserver, the model preloaded), like an ensemble, and are collected in order.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sovereign.persist.template import ModelTemplate
    from sovereign.sim.model import SovereignModel

#: The metric a fan shows by default, by kind of seat.
DEFAULT_COLUMN = {"nation": "sovereignty_index", "firm": "valuation_busd"}
#: Random streams a continuation reseeds, in the model's order.
STREAMS = ("events", "agents", "startups")


class ForesightError(ValueError):
    """A fan that cannot be made (unknown seat or column, a finished game); says why."""


@dataclass(frozen=True)
class Fan:
    """Possible futures of one seat's metric.

    Attributes:
        seat: The seat (region id or firm id).
        column: The metric (a column of the nations or firms table).
        history: (quarter, value) of the quarters already played, from the game's own metrics.
        quarters: Labels of the quarters ahead.
        values: (runs, quarters) array; NaN where a firm no longer exists in a continuation.
        seed: Root seed of the continuations.
    """

    seat: str
    column: str
    history: list[tuple[str, float]]
    quarters: list[str]
    values: np.ndarray
    seed: int

    def band(self, lower: float = 5.0, upper: float = 95.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Median and the `lower`-`upper` percentile band per quarter (NaN-aware)."""
        with np.errstate(all="ignore"):
            return (
                np.nanpercentile(self.values, 50.0, axis=0),
                np.nanpercentile(self.values, lower, axis=0),
                np.nanpercentile(self.values, upper, axis=0),
            )


def seat_table(model: SovereignModel, seat: str) -> tuple[str, str]:
    """(metrics table, id column) holding `seat`'s rows, or ForesightError."""
    if seat in model.region_ix:
        return "nations", "region"
    if seat in model.seat_pos:
        return "firms", "firm"
    known = ", ".join(model.seat_ids)
    raise ForesightError(f"unknown seat {seat!r}; seats are {known}")


def seat_series(model: SovereignModel, seat: str, column: str) -> list[tuple[str, float]]:
    """(quarter, value) of `column` for `seat` in every quarter the model has recorded."""
    table, key = seat_table(model, seat)
    return [(r["quarter"], float(r[column])) for r in getattr(model.metrics, table) if r[key] == seat]


def check_column(model: SovereignModel, seat: str, column: str | None) -> str:
    """The metric to show for `seat`: `column` if the seat's table has it, else the default."""
    table, _ = seat_table(model, seat)
    kind = "nation" if table == "nations" else "firm"
    chosen = column or DEFAULT_COLUMN[kind]
    rows = getattr(model.metrics, table)
    numeric = sorted(k for k, v in (rows[0].items() if rows else []) if isinstance(v, int | float))
    if rows and chosen not in numeric:
        raise ForesightError(f"{table} have no numeric column {chosen!r}; choose from {', '.join(numeric)}")
    return chosen


def continuation(
    state: dict[str, Any] | ModelTemplate,
    seed: int,
    k: int,
    quarters: int | None,
    seat: str,
    column: str,
    *,
    hold: bool = False,
) -> list[float]:
    """Play continuation `k` of a saved state with AI in every seat; `column` of `seat` per quarter."""
    return [row[0] for row in continuation_columns(state, seed, k, quarters, seat, (column,), hold=hold)]


def continuation_columns(
    state: dict[str, Any] | ModelTemplate,
    seed: int,
    k: int,
    quarters: int | None,
    seat: str,
    columns: Sequence[str],
    *,
    hold: bool = False,
) -> list[list[float]]:
    """Play continuation `k` of a saved state; `seat`'s `columns` per quarter ahead (NaN once it is gone).

    With `hold`, the seat itself gives no new orders (the AI does not take it over): what it has
    queued for the current quarter and the policies it has set stay as they are, so the fan shows
    where the seat's current course leads while everyone else plays on.

    `state` is the saved state (`model_to_state`) or, when many continuations of it are played,
    its `ModelTemplate` (made once: a copy from it costs 6 ms against 35 ms for rebuilding the
    model from the state); both give the same continuation, bit for bit.
    """
    from sovereign.persist.state import model_from_state
    from sovereign.persist.template import ModelTemplate

    model = state.copy() if isinstance(state, ModelTemplate) else model_from_state(state)
    try:
        children = np.random.SeedSequence(seed, spawn_key=(k,)).spawn(len(STREAMS))
        model.rngs = {name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=True)}
        model.human_seats = {seat} if hold and seat in model.seats else set()
        table, key = seat_table(model, seat)
        out: list[list[float]] = []
        left = model.end_q - model.quarter + 1
        for _ in range(left if quarters is None else min(quarters, left)):
            if model.done:  # the scenario's shared risk ended the game early: nothing more to show
                out.append([float("nan")] * len(columns))
                continue
            rows = getattr(model.metrics, table)
            before = len(rows)
            model.step()
            rows = getattr(model.metrics, table)
            mine = [r for r in rows[before:] if r[key] == seat]
            out.append([float(mine[0][c]) for c in columns] if mine else [float("nan")] * len(columns))
    finally:
        model.release()  # freed now, not by a full collection some continuations later
    return out


def _quarters_ahead(model: SovereignModel, quarters: int | None) -> list[str]:
    from sovereign.scenario.schema import quarter_label

    left = model.end_q - model.quarter + 1
    n = left if quarters is None else min(quarters, left)
    return [quarter_label(model.quarter + i) for i in range(n)]


def make_fan(
    model: SovereignModel,
    seat: str,
    runs: int,
    *,
    column: str | None = None,
    quarters: int | None = None,
    seed: int = 0,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Fan:
    """Play `runs` continuations of `model` and collect `seat`'s `column`.

    Args:
        model: The game (it is not changed: continuations start from a copy of its state).
        seat: Whose metric to follow.
        runs: Continuations to play (>= 1).
        column: Metric; default `DEFAULT_COLUMN` of the seat's kind.
        quarters: Quarters ahead (default: to the end of the game).
        seed: Root seed of the continuations (common random numbers, see the module docstring).
        workers: Processes; 1 plays them here, one after another.
        progress: Called with the number of continuations finished so far.

    Raises:
        ForesightError: Unknown seat or column, no quarter left, runs < 1.
    """
    from sovereign.persist.state import model_to_state
    from sovereign.persist.template import ModelTemplate

    if runs < 1:
        raise ForesightError(f"runs must be at least 1, found {runs}")
    if model.done:
        raise ForesightError("the game is over: there is no quarter ahead to forecast")
    chosen = check_column(model, seat, column)
    ahead = _quarters_ahead(model, quarters)
    state = model_to_state(model)
    results: list[list[float] | None] = [None] * runs
    if workers <= 1:
        template = ModelTemplate.of_state(state)  # checked once; each continuation copies it
        for k in range(runs):
            results[k] = continuation(template, seed, k, quarters, seat, chosen)
            if progress is not None:
                progress(k + 1)
    else:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(FAN_PRELOAD)
        # the state (megabytes) goes to each worker once, not with every continuation
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_install_fan, initargs=(state, 0)
        ) as pool:
            futures = [pool.submit(_fan_run, seed, k, quarters, seat, (chosen,), False) for k in range(runs)]
            for done, future in enumerate(concurrent.futures.as_completed(futures), start=1):
                k, _, rows = future.result()
                results[k] = [row[0] for row in rows]
                if progress is not None:
                    progress(done)
    values = np.array(results, dtype=float).reshape(runs, len(ahead))
    return Fan(seat, chosen, seat_series(model, seat, chosen), ahead, values, seed)


# ------------------------------------------------------------------------------------------------
# The fan of a game being played: computed on worker processes, read without waiting

#: The seat's key metrics in the game's "What lies ahead?" view, by kind of seat: its score, its
#: money, its share of the market.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "nation": ("sovereignty_index", "budget_busd", "compute_share"),
    "firm": ("valuation_busd", "cash_busd", "market_share"),
}
#: Modules the fork server imports once, so every worker starts with the model and the compiled
#: market kernels loaded (loading the kernels costs a process about 3 s, docs/benchmarks.md).
FAN_PRELOAD = ["sovereign.sim.model", "sovereign.persist.state", "sovereign.ensemble._preload_kernels"]
#: Niceness of the fan's workers (assumption: any value well below the UI's priority will do;
#: 10 is the usual "background job" level): the game's own thread keeps its frame rate on a
#: machine whose cores the workers would otherwise fill.
WORKER_NICE = 10

#: The game a fan worker plays continuations of, as its `ModelTemplate` (set once per worker by
#: `_install_fan`: the state is checked and built once, each continuation copies the template).
_FAN_TEMPLATE: dict[str, ModelTemplate] = {}


def _install_fan(state: dict[str, Any], nice: int) -> None:
    import os

    from sovereign.ensemble.heap import settle_heap
    from sovereign.persist.template import ModelTemplate

    if nice:
        os.nice(nice)
    _FAN_TEMPLATE["game"] = ModelTemplate.of_state(state)
    settle_heap()


def _fan_run(
    seed: int, k: int, quarters: int | None, seat: str, columns: tuple[str, ...], hold: bool
) -> tuple[int, int, list[list[float]]]:
    import os

    return k, os.getpid(), continuation_columns(_FAN_TEMPLATE["game"], seed, k, quarters, seat, columns, hold=hold)


def warm_up_workers() -> None:
    """Start the fork server the fan's workers come from, with the model and kernels loaded (seconds).

    Called on a background thread when a game starts, so the first futures arrive within a
    second or two of the player asking instead of after the kernels have loaded.
    """
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(FAN_PRELOAD)
    forkserver.ensure_running()


def key_columns(model: SovereignModel, seat: str) -> tuple[str, ...]:
    """The key metrics of `seat` (`KEY_COLUMNS` of its kind)."""
    table, _ = seat_table(model, seat)
    return KEY_COLUMNS["nation" if table == "nations" else "firm"]


class FanJob:
    """The continuations of a game in progress, played by worker processes while the game goes on.

    Why a job and not a call: the desktop game must keep drawing while the futures are played, so
    the state is copied once (on the caller's thread, since the model is not to be read while a
    quarter is played), a background thread starts a pool of worker processes (`WORKER_NICE`
    below the game) and hands them the continuations, and every finished continuation is stored
    as it arrives. `fan` gives the band of those finished so far, at once; `cancel` stops the
    workers (they are terminated and waited for: none outlives the job).

    Continuation ``k`` uses the same random numbers as in `make_fan` (common random numbers), so
    a complete job gives the same fan as `make_fan` with the same seed, whatever the workers.

    Args:
        model: The game (not changed; read only here, on the calling thread).
        seat: Whose metrics to follow.
        runs: Continuations to play (>= 1).
        columns: Metrics (default: `key_columns` of the seat).
        quarters: Quarters ahead (default: to the end of the game).
        seed: Root seed of the continuations.
        workers: Worker processes (>= 1).
        hold: The seat gives no new orders in the continuations (see `continuation_columns`).
        nice: Niceness added to the workers (0: none).

    Raises:
        ForesightError: Unknown seat or column, a finished game, runs or workers < 1.
    """

    def __init__(
        self,
        model: SovereignModel,
        seat: str,
        runs: int,
        *,
        columns: Sequence[str] | None = None,
        quarters: int | None = None,
        seed: int = 0,
        workers: int = 2,
        hold: bool = False,
        nice: int = WORKER_NICE,
    ) -> None:
        import threading

        from sovereign.persist.state import model_to_state

        if runs < 1:
            raise ForesightError(f"runs must be at least 1, found {runs}")
        if workers < 1:
            raise ForesightError(f"workers must be at least 1, found {workers}")
        if model.done:
            raise ForesightError("the game is over: there is no quarter ahead to forecast")
        self.seat = seat
        self.columns = tuple(check_column(model, seat, c) for c in (columns or key_columns(model, seat)))
        self.runs, self.seed, self.workers, self.hold, self.nice = runs, seed, workers, hold, nice
        self.quarters = _quarters_ahead(model, quarters)
        self._quarters_arg = quarters
        self.start_quarter = model.quarter_label
        self.history = {c: seat_series(model, seat, c) for c in self.columns}
        self.state = model_to_state(model)
        self._values = np.full((runs, len(self.quarters), len(self.columns)), np.nan)
        self._finished = np.zeros(runs, bool)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.error: str | None = None
        #: Process ids of the workers that played continuations (tests check none outlives the job).
        self.worker_pids: set[int] = set()
        self.started = 0.0
        self.first_seconds: float | None = None
        self.seconds: float | None = None
        self._thread = threading.Thread(target=self._run, name="sovereign-fan", daemon=True)
        self._thread.start()

    # -- the background thread -------------------------------------------------------------

    def _run(self) -> None:
        import time

        self.started = time.perf_counter()
        try:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(FAN_PRELOAD)
            args = (self.seed, self._quarters_arg, self.seat, self.columns, self.hold)
            # leaving the block terminates the pool: its workers are stopped and joined
            with ctx.Pool(self.workers, initializer=_install_fan, initargs=(self.state, self.nice)) as pool:
                for k in range(self.runs):
                    if self._stop.is_set():
                        break
                    pool.apply_async(
                        _fan_run, (args[0], k, *args[1:]), callback=self._collect, error_callback=self._failed
                    )
                pool.close()
                while not self._stop.wait(0.02) and not self.complete and self.error is None:
                    pass
        except Exception as exc:  # reported to the player by the view; the game goes on
            self.error = f"{type(exc).__name__}: {exc}"
        self.seconds = time.perf_counter() - self.started

    def _collect(self, result: tuple[int, int, list[list[float]]]) -> None:
        import time

        k, pid, rows = result
        with self._lock:
            self._values[k] = np.asarray(rows, dtype=float).reshape(len(self.quarters), len(self.columns))
            self._finished[k] = True
            self.worker_pids.add(pid)
            if self.first_seconds is None:
                self.first_seconds = time.perf_counter() - self.started

    def _failed(self, exc: BaseException) -> None:
        self.error = f"{type(exc).__name__}: {exc}"

    # -- read by the game ------------------------------------------------------------------

    @property
    def finished(self) -> int:
        """Continuations played so far."""
        return int(self._finished.sum())

    @property
    def complete(self) -> bool:
        """Whether every continuation has been played."""
        return bool(self._finished.all())

    @property
    def running(self) -> bool:
        """Whether the background thread (and so possibly a worker) is still alive."""
        return self._thread.is_alive()

    def fan(self, column: str) -> Fan:
        """The fan of `column` over the continuations finished so far (in the order of k)."""
        j = self.columns.index(column)
        with self._lock:
            values = self._values[self._finished, :, j].copy()
        return Fan(self.seat, column, self.history[column], self.quarters, values, self.seed)

    def cancel(self, timeout: float = 10.0) -> bool:
        """Stop the job: no new continuation starts and the workers are terminated.

        Returns:
            Whether the background thread (and with it every worker) is gone within `timeout`.
        """
        self._stop.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the job to finish (tests, benchmarks); whether it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


def plot_fan(fan: Fan, path: Any, title: str = "") -> None:
    """Draw the fan (history, median, 5-95% band) to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    med, lo, hi = fan.band()
    hist_q = [q for q, _ in fan.history]
    labels = hist_q + fan.quarters
    x_hist = np.arange(len(hist_q))
    x_ahead = np.arange(len(hist_q), len(labels))
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
    if fan.history:
        ax.plot(x_hist, [v for _, v in fan.history], color="#222222", lw=2, label="played")
        # the futures start where the game stands: join the band to the last played quarter
        start = fan.history[-1][1]
        x_ahead = np.concatenate([[x_hist[-1]], x_ahead])
        med, lo, hi = (np.concatenate([[start], a]) for a in (med, lo, hi))
    ax.fill_between(x_ahead, lo, hi, color="#4c78a8", alpha=0.25, label="5-95% of futures")
    ax.plot(x_ahead, med, color="#4c78a8", lw=2, label=f"median of {fan.values.shape[0]} futures")
    step = max(1, len(labels) // 10)
    ax.set_xticks(range(0, len(labels), step), [labels[i] for i in range(0, len(labels), step)], rotation=30)
    ax.set_ylabel(fan.column.replace("_", " "))
    ax.set_title(title or f"What lies ahead for {fan.seat}: {fan.column.replace('_', ' ')}")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def percentile_of(value: float, distribution: Sequence[float]) -> float:
    """Share of `distribution` at or below `value`, in percent (ties count half), NaNs ignored."""
    data = np.asarray([d for d in distribution if d == d], dtype=float)
    if data.size == 0:
        return float("nan")
    below = float(np.sum(data < value))
    ties = float(np.sum(data == value))
    return 100.0 * (below + 0.5 * ties) / data.size


@dataclass(frozen=True)
class DebriefRow:
    """One human seat against the bots: its result, the bots' distribution and its percentile."""

    seat: str
    column: str
    value: float
    median: float
    low: float
    high: float
    percentile: float


def ai_only_game(scenario: Any, seed: int, k: int, difficulty: str, quarters: int, seats: Sequence[str]) -> list[float]:
    """Play AI-only game `k` of `seed` for `quarters`; each seat's default metric at the end (NaN if gone)."""
    from sovereign.sim.model import SovereignModel

    model = SovereignModel(scenario, rng=np.random.SeedSequence(seed, spawn_key=(k,)), difficulty=difficulty)
    model.run(quarters)
    out = []
    for seat in seats:
        series = seat_series(model, seat, check_column(model, seat, None)) if seat in model.seat_pos else []
        last = [v for q, v in series if q == model.metrics.world[-1]["quarter"]]
        out.append(last[0] if last else float("nan"))
    return out


def debrief(
    model: SovereignModel, runs: int, *, seed: int = 0, workers: int = 1, seats: Sequence[str] | None = None
) -> list[DebriefRow]:
    """Each human seat's result at the last quarter played, against `runs` AI-only games of the scenario.

    The AI-only games play the same scenario from its start at the game's difficulty, for as many
    quarters as the game has played; a seat's percentile is the share of those games in which the
    same seat, played by the AI, ended at or below the human result (ties count half).

    Args:
        model: The game (not changed).
        runs: AI-only games to compare with (>= 1); game k is seeded ``SeedSequence(seed, spawn_key=(k,))``.
        seed: Root seed of the AI-only games.
        workers: Processes; 1 plays them here.
        seats: The human seats to report (default: every human seat).

    Raises:
        ForesightError: No quarter played yet, no human seat, or runs < 1.
    """
    if runs < 1:
        raise ForesightError(f"runs must be at least 1, found {runs}")
    if not model.metrics.world:
        raise ForesightError("no quarter has been played yet: nothing to compare")
    played = model.quarter - model.start_q
    last = model.metrics.world[-1]["quarter"]
    seats = sorted(model.human_seats if seats is None else set(seats) & model.human_seats)
    if not seats:
        raise ForesightError("no human seat to compare")
    if workers <= 1:
        games = [ai_only_game(model.scenario, seed, k, model.difficulty, played, seats) for k in range(runs)]
    else:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["sovereign.sim.model"])
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = [
                pool.submit(ai_only_game, model.scenario, seed, k, model.difficulty, played, seats) for k in range(runs)
            ]
            games = [f.result() for f in futures]
    bots = np.array(games, dtype=float).reshape(runs, len(seats))
    rows = []
    for j, seat in enumerate(seats):
        column = check_column(model, seat, None)
        mine = [v for q, v in seat_series(model, seat, column) if q == last]
        value = mine[0] if mine else float("nan")
        dist = bots[:, j]
        with np.errstate(all="ignore"):
            med, lo, hi = (float(np.nanpercentile(dist, p)) for p in (50.0, 5.0, 95.0))
        rows.append(DebriefRow(seat, column, value, med, lo, hi, percentile_of(value, list(dist))))
    return rows


# ------------------------------------------------------------------------------------------------
# What if we had decided otherwise?


@dataclass(frozen=True)
class Change:
    """One metric of the two paths at the last quarter compared."""

    table: str
    column: str
    original: float
    whatif: float

    @property
    def relative(self) -> float:
        """|what-if - original| relative to the larger magnitude (0 when both are 0)."""
        scale = max(abs(self.original), abs(self.whatif))
        return 0.0 if scale == 0.0 else abs(self.whatif - self.original) / scale


@dataclass(frozen=True)
class WhatIf:
    """Two paths of one game: as played, and with one command of one seat changed.

    Attributes:
        seat: Whose command was changed.
        quarter: The quarter of the change.
        changed: What was changed, in words.
        diverged: The first quarter whose end state differs between the paths (None: identical).
        parts: The state parts that differ at that quarter (world, seats, rngs...).
        last: The last quarter compared.
        seat_changes: The seat's own metrics at `last`, most changed first.
        market_changes: World metrics (prices, supply, capacity) at `last`, most changed first.
    """

    seat: str
    quarter: str
    changed: str
    diverged: str | None
    parts: tuple[str, ...]
    last: str
    seat_changes: list[Change]
    market_changes: list[Change]


def _last_row(rows: list[dict[str, Any]], key: str | None, seat: str | None, quarter: str) -> dict[str, Any]:
    found = [r for r in rows if r["quarter"] == quarter and (key is None or r[key] == seat)]
    return found[0] if found else {}


def _changes(table: str, a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    out = [
        Change(table, k, float(a[k]), float(b.get(k, float("nan"))))
        for k, v in a.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and k in b
    ]
    moved = [c for c in out if c.relative > 1e-9]  # not rounding noise of a different summation order
    return sorted(moved, key=lambda c: -c.relative)


def _altered(
    submissions: dict[str, list[dict[str, Any]]], at: str, seat: str, n: int, replace: dict[str, Any] | None
) -> tuple[dict[str, list[dict[str, Any]]], str]:
    """The people's submissions with `seat`'s `n`-th command of quarter `at` dropped or replaced."""
    from sovereign.sim.commands import CommandError, command_from_dict, command_to_dict

    mine = [e for e in submissions.get(at, []) if e["seat"] == seat and e.get("stage") != "control"]
    if not 1 <= n <= len(mine):
        listed = "; ".join(f"{i + 1}: {e['command'].get('kind')}" for i, e in enumerate(mine)) or "none"
        raise ForesightError(f"{seat} submitted {len(mine)} command(s) in {at} ({listed}); there is no command {n}")
    target = mine[n - 1]
    altered = {q: list(entries) for q, entries in submissions.items()}
    pos = altered[at].index(target)
    kind = target["command"].get("kind")
    if replace is None:
        del altered[at][pos]
        return altered, f"{seat}'s command {n} in {at} ({kind}) dropped"
    try:
        new_cmd = command_to_dict(command_from_dict(replace))
    except CommandError as exc:
        raise ForesightError(f"the replacement is not a valid command: {exc}") from None
    altered[at][pos] = {**target, "command": new_cmd}
    return altered, f"{seat}'s command {n} in {at} ({kind}) replaced by {new_cmd.get('kind')}"


def whatif(
    state: dict[str, Any],
    *,
    at: str,
    seat: str,
    n: int = 1,
    replace: dict[str, Any] | None = None,
    ahead: int = 0,
) -> WhatIf:
    """Replay a saved game twice from its seed: as played, and with one human command changed.

    Both paths submit the people's commands of the command log at their quarters and play with the
    same seed, so they draw the same random numbers until the change makes them differ; the first
    quarter whose end state differs is where they diverge. With `ahead`, both paths then play that
    many more quarters with AI in every seat (common random numbers again).

    Args:
        state: The saved state (`model_to_state` layout, scenario embedded).
        at: Quarter label of the command to change, e.g. ``2027Q3``.
        seat: The seat that submitted it (a human seat of the save).
        n: Which of that seat's commands of that quarter (1-based, in submission order).
        replace: The command to put in its place (as data); None drops it.
        ahead: Quarters to play past the save point.

    Raises:
        ForesightError: No such quarter, seat or command, or an invalid replacement.
    """
    from sovereign.persist.replay import first_human_seats, human_submissions, resubmit, without_withdrawn
    from sovereign.persist.state import model_digest, seed_sequence
    from sovereign.scenario.loader import scenario_from_dict
    from sovereign.scenario.schema import quarter_index, quarter_label
    from sovereign.sim.model import SovereignModel

    log = state["command_log"]
    first = first_human_seats(log, state["human_seats"])
    # a seat handed to the AI during the game was still played by people before that
    humans = set(state["human_seats"]) | set(first) | {e["seat"] for e in log if e.get("stage") == "control"}
    if seat not in humans:
        raise ForesightError(f"{seat!r} is not a human seat of this game (human seats: {', '.join(sorted(humans))})")
    scenario = scenario_from_dict(state["scenario"]["content"], source="save (embedded scenario)")
    end = int(state["quarter"])
    try:
        q_at = quarter_index(at)
    except ValueError as exc:
        raise ForesightError(f"--at: {exc}") from None
    if not quarter_index(scenario.time.start) <= q_at < end:
        raise ForesightError(f"--at {at} is not a quarter this game has played")
    submissions = without_withdrawn(human_submissions(log, set(first), hand_overs=True))
    altered, changed = _altered(submissions, at, seat, n, replace)
    models = [
        SovereignModel(scenario, rng=seed_sequence(state["seed"]), human_seats=first, difficulty=state["difficulty"])
        for _ in range(2)
    ]
    diverged: str | None = None
    parts: tuple[str, ...] = ()
    while models[0].quarter < end + ahead and not models[0].done:
        label = quarter_label(models[0].quarter)
        for m, subs in zip(models, (submissions, altered), strict=True):
            if m.quarter == end:  # past the save point: everyone AI, in both paths
                m.human_seats = set()
            for entry in subs.get(label, []) if m.quarter < end else []:
                if entry.get("stage") == "control":
                    resubmit(m, entry)  # a seat handed between people and AI, at the same point
                else:
                    m.submit(str(entry["seat"]), entry["command"])
            m.step()
        if diverged is None:
            a, b = (model_digest(m) for m in models)
            if a["state"] != b["state"]:
                diverged = label
                parts = tuple(k for k in a["parts"] if a["parts"][k] != b["parts"][k])
    last = models[0].metrics.world[-1]["quarter"]
    table, key = seat_table(models[0], seat)
    seat_rows = [_last_row(getattr(m.metrics, table), key, seat, last) for m in models]
    world_rows = [_last_row(m.metrics.world, None, None, last) for m in models]
    seat_changes = _changes(table, *seat_rows) if all(seat_rows) else []
    return WhatIf(seat, at, changed, diverged, parts, last, seat_changes, _changes("world", *world_rows))
