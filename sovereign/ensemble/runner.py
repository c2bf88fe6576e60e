"""Run an ensemble: hand runs to an executor, retry failures, stream results, survive Ctrl-C.

`run_ensemble` is the whole Monte Carlo loop behind ``sovereign montecarlo``:

1. open the output folder (or reopen it: the design must be the same) and list finished runs;
2. start the executor and keep it busy with the runs not yet finished, in run-id order;
3. buffer each finished run and write it in batches; record each failed attempt (seed, parameters,
   traceback) and retry it up to ``retries`` times, never stopping the batch;
4. on Ctrl-C, stop the workers, write what finished and mark the manifest ``interrupted``; the
   same command resumes later and skips the finished runs.
"""

from __future__ import annotations

import json
import math
import platform
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sovereign import __version__
from sovereign.ensemble.cores import available_cores
from sovereign.ensemble.design import Design
from sovereign.ensemble.executors import Outcome, ignoring_sigint, make_executor
from sovereign.ensemble.store import ResultStore, StoreError, mark_manifest_stopped, read_json
from sovereign.ensemble.worker import RunContext, RunTask
from sovereign.scenario.loader import scenario_hash, scenario_to_dict
from sovereign.scenario.schema import Scenario

if TYPE_CHECKING:
    from sovereign.scenario.script import PolicyScript

#: Packages whose versions go into the manifest (those that shape results or their files).
VERSIONED = ("numpy", "scipy", "mesa", "pydantic", "pyarrow", "SALib", "dask", "distributed")


@dataclass
class EnsembleSpec:
    """What to run and where.

    Attributes:
        scenario_path: The scenario file (provenance only; the scenario hash identifies the world).
        scenario: The validated base scenario (``--set`` overrides applied).
        design: The runs and their parameters.
        out: Output folder.
        quarters: Quarters per run (None: to the scenario's end).
        difficulty: AI difficulty (None: the scenario's).
        retries: Extra attempts after a failed one.
        engine: ``local`` or ``dask``.
        workers: Worker processes (local, or of a Dask LocalCluster).
        scheduler: Address of an existing Dask scheduler.
        command: The command line, for the manifest.
        script: A policy script every run plays (None: AI in every seat); part of the runs' identity.
        start: A saved game every run starts from (`StartPoint`), instead of the scenario's start;
            its state digest is part of the runs' identity.
    """

    scenario_path: Path
    scenario: Scenario
    design: Design
    out: Path
    quarters: int | None = None
    difficulty: str | None = None
    retries: int = 1
    engine: str = "local"
    workers: int = field(default_factory=available_cores)
    scheduler: str | None = None
    command: list[str] = field(default_factory=lambda: list(sys.argv))
    script: PolicyScript | None = None
    start: StartPoint | None = None


@dataclass(frozen=True)
class StartPoint:
    """A saved game that every run of an ensemble continues (``montecarlo --from SAVE``).

    Attributes:
        path: The save file (provenance).
        state: Its game state (`model_to_state` layout, scenario embedded).
        digest: `state_digest` of that state: identifies the start in the manifest and every row.
        quarter: Label of the first quarter the runs play.
    """

    path: Path
    state: dict[str, Any]
    digest: str
    quarter: str


@dataclass
class EnsembleResult:
    """How an invocation ended: counts over the whole folder and over this session."""

    out: Path
    status: str
    n_runs: int
    succeeded: int
    failed: int
    skipped: int
    ran: int
    failed_attempts: int
    elapsed_s: float
    peak_rss_mib: float | None

    @property
    def remaining(self) -> int:
        """Runs neither finished nor given up (after an interruption)."""
        return self.n_runs - self.succeeded - self.failed


@dataclass
class Progress:
    """Counters shown on the progress bar and passed to the `on_outcome` hook."""

    total: int
    done: int = 0
    failed: int = 0
    failed_attempts: int = 0
    ran: int = 0
    executor_start_s: float = 0.0


def design_document(spec: EnsembleSpec, shash: str) -> dict[str, Any]:
    """design.json: the identity a resumed command must match, plus what reports need to know."""
    sc, design = spec.scenario, spec.design
    identity = {
        "scenario_hash": shash,
        "sovereign_version": __version__,
        "quarters": spec.quarters,
        "difficulty": spec.difficulty,
        **design.identity(),
    }
    if spec.script is not None:
        # only when there is one, so folders written before scripts existed keep their identity
        identity["script_hash"] = spec.script.hash
    if spec.start is not None:
        identity["start_digest"] = spec.start.digest
    doc: dict[str, Any] = {
        "identity": identity,
        "scenario": {
            "path": str(spec.scenario_path),
            "id": sc.meta.id,
            "title": sc.meta.title,
            "start": sc.time.start,
            "end": sc.time.end,
            "regions": [[r.id, r.name] for r in sc.regions],
            "accelerators": [a.id for a in sc.accelerators],
        },
        "design": {
            "kind": design.kind,
            "n_points": design.n_points,
            "replicates": design.replicates,
            "params": design.param_names,
            "param_kinds": design.param_kinds,
        },
    }
    if design.kind in ("lhs", "sobol"):
        doc["design"]["problem"] = design.sobol_problem()
    if spec.script is not None:
        doc["script"] = {
            "path": spec.script.source,
            "hash": spec.script.hash,
            "description": spec.script.description,
            "entries": len(spec.script.entries),
            "content": spec.script.to_dict(),
        }
    if spec.start is not None:
        doc["start"] = {"path": str(spec.start.path), "digest": spec.start.digest, "quarter": spec.start.quarter}
    return doc


def versions() -> dict[str, str]:
    """Versions of Python, sovereign and the packages that shape the results."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "sovereign": __version__}
    for name in VERSIONED:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def peak_rss_mib() -> float | None:
    """Peak resident memory of this process so far, in MiB (None where the OS does not say)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_ensemble(
    spec: EnsembleSpec,
    *,
    show_progress: bool = True,
    console: Any = None,
    on_outcome: Callable[[Outcome, Progress], None] | None = None,
) -> EnsembleResult:
    """Play every unfinished run of the design and write the results to ``spec.out``.

    Args:
        spec: What to run and where.
        show_progress: Show a rich progress bar (runs done, failures, ETA).
        console: The rich console for the bar (default: stderr).
        on_outcome: Called after each outcome is recorded (tests use it to simulate Ctrl-C).

    Returns:
        The counts; ``status`` is ``complete`` or ``interrupted``.

    Raises:
        StoreError: The output folder holds another design or is in use.
        ExecutorError: The executor cannot run at all (workers cannot start, no scheduler).
    """
    started = time.time()
    t0 = time.perf_counter()
    design = spec.design
    shash = scenario_hash(spec.scenario)
    doc = design_document(spec, shash)
    batch = min(256, max(8, math.ceil(design.n_runs / 64)))
    store = ResultStore(spec.out, batch_runs=batch)
    finished = store.open(doc)
    try:
        _check_finished(finished, design, shash)
        # planned lazily: --runs 100000000 must not build a list of a hundred million run ids
        remaining = design.n_runs - len(finished)
        todo: Iterator[int] = (i for i in range(design.n_runs) if i not in finished)
        ctx = RunContext(
            scenario=scenario_to_dict(spec.scenario),
            scenario_hash=shash,
            seed=design.seed,
            quarters=spec.quarters,
            difficulty=spec.difficulty,
            version=__version__,
            param_kinds=design.param_kinds,
            script=spec.script.to_dict() if spec.script is not None else None,
            script_hash=spec.script.hash if spec.script is not None else None,
            start_state=spec.start.state if spec.start is not None else None,
            start_digest=spec.start.digest if spec.start is not None else None,
        )
        workers = max(1, min(spec.workers, remaining)) if spec.engine == "local" else spec.workers
        executor = make_executor(spec.engine, workers, ctx, spec.scheduler, runs=remaining)
        state = Progress(total=design.n_runs, done=len(finished))
        session: dict[str, Any] = {
            "started": _iso(started),
            "command": spec.command,
            "executor": executor.describe(),
            "skipped": len(finished),
        }
        manifest = _manifest_base(spec, doc, store)
        store.write_manifest({**manifest, "status": "running", "sessions": [*manifest["sessions"], session]})
        status = "error"
        write_error: StoreError | None = None
        try:
            if remaining:
                _loop(executor, store, todo, design, ctx, spec.retries, state, show_progress, console, on_outcome)
            status = "complete"
        except KeyboardInterrupt:
            status = "interrupted"
        except BaseException as exc:  # recorded in the manifest, then raised to the caller
            session["error"] = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            with ignoring_sigint():  # a second Ctrl-C must not cut the final writes short
                executor.close(cancel=status != "complete")
                try:
                    store.flush()
                except StoreError as exc:  # a full disk: the manifest still says how it ended
                    status, write_error = "error", exc
                    session["error"] = str(exc)
                elapsed = time.perf_counter() - t0
                session.update(
                    executor=executor.describe(),
                    finished=_iso(time.time()),
                    status=status,
                    elapsed_s=round(elapsed, 3),
                    ran=state.ran,
                    failed_attempts=state.failed_attempts,
                    executor_start_s=round(state.executor_start_s, 3),
                    runs_per_s=round(state.ran / elapsed, 4) if elapsed > 0 else None,
                    parent_peak_rss_mib=_round(peak_rss_mib()),
                )
                counts = _counts(spec.out, design.n_runs, state)
                final = {
                    **manifest,
                    "status": status,
                    "counts": counts,
                    "timings": _timings(manifest["sessions"], session),
                    "memory": {"parent_peak_rss_mib": _round(peak_rss_mib())},
                    "sessions": [*manifest["sessions"], session],
                }
                try:
                    store.write_manifest(final)
                except OSError as exc:
                    # no room for a new manifest: overwrite the status in place (no new blocks), so
                    # the folder never claims to be running an ensemble that has stopped
                    mark_manifest_stopped(store.out / "manifest.json")
                    if write_error is None:
                        status, write_error = "error", StoreError(f"cannot write the manifest: {exc.strerror or exc}")
    finally:
        store.close()
    if write_error is not None:
        raise write_error
    return EnsembleResult(
        out=spec.out,
        status=status,
        n_runs=design.n_runs,
        succeeded=counts["succeeded"],
        failed=counts["failed"],
        skipped=len(finished),
        ran=state.ran,
        failed_attempts=state.failed_attempts,
        elapsed_s=elapsed,
        peak_rss_mib=peak_rss_mib(),
    )


def _loop(
    executor: Any,
    store: ResultStore,
    todo: Iterator[int],
    design: Design,
    ctx: RunContext,
    retries: int,
    state: Progress,
    show_progress: bool,
    console: Any,
    on_outcome: Callable[[Outcome, Progress], None] | None,
) -> None:
    """Keep the executor busy until every run in `todo` has finished or given up."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bar

    fresh: Iterator[RunTask] = (_task(design, i) for i in todo)
    again: deque[RunTask] = deque()
    inflight = 0
    bar = Bar(
        TextColumn("[bold]runs"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        disable=not show_progress,
        refresh_per_second=4,
    )
    with bar:
        bar_task = bar.add_task("runs", total=state.total, completed=state.done, failed=state.failed, rate="")
        t_start = time.perf_counter()
        executor.start()
        state.executor_start_s = time.perf_counter() - t_start
        exhausted = False

        def refill() -> None:
            nonlocal inflight, exhausted
            while executor.capacity > 0:
                task = again.popleft() if again else next(fresh, None)
                if task is None:
                    exhausted = True
                    return
                executor.submit(task)
                inflight += 1

        while True:
            refill()
            if inflight == 0 and exhausted and not again:
                break
            outcomes = executor.wait(0.2)
            inflight -= len(outcomes)
            refill()  # hand out the next runs first: workers never wait for the bookkeeping below
            for outcome in outcomes:
                _record(outcome, store, ctx, retries, state, again)
                if on_outcome is not None:
                    on_outcome(outcome, state)
            if store.due():
                store.flush()
            rate = state.ran / (time.perf_counter() - t_start)
            bar.update(bar_task, completed=state.done + state.failed, failed=state.failed, rate=f"{rate:.2f} runs/s")


def _record(
    outcome: Outcome, store: ResultStore, ctx: RunContext, retries: int, state: Progress, again: deque[RunTask]
) -> None:
    task = outcome.task
    if outcome.lost:
        again.appendleft(task)
        return
    if outcome.output is not None:
        store.add(outcome.output)
        state.done += 1
        state.ran += 1
        return
    failure = outcome.failure
    assert failure is not None
    gave_up = task.attempt >= retries
    store.add_failure(
        {
            "run_id": task.run_id,
            "seed": ctx.seed,
            "point": task.point,
            "replicate": task.replicate,
            "scenario_hash": ctx.scenario_hash,
            "params_hash": task.params_hash,
            "sovereign_version": ctx.version,
            "attempt": task.attempt,
            "gave_up": gave_up,
            "kind": failure.kind,
            "error_type": failure.error_type,
            "message": failure.message,
            "traceback": failure.traceback,
            "params": json.dumps(task.params, sort_keys=True, default=str),
            "time": _iso(time.time()),
        }
    )
    state.failed_attempts += 1
    if gave_up:
        state.failed += 1
    else:
        again.append(task.retry())


def _task(design: Design, run_id: int) -> RunTask:
    spec = design.run(run_id)
    return RunTask(spec.run_id, spec.point, spec.replicate, spec.params, spec.params_hash)


def _check_finished(finished: dict[int, tuple[int, str, str]], design: Design, shash: str) -> None:
    """Every run on disk must be the run this design would play (run id + seed + params + scenario)."""
    for rid, (seed, phash, sh) in finished.items():
        if rid >= design.n_runs or (seed, phash, sh) != (design.seed, design.run(rid).params_hash, shash):
            raise StoreError(
                f"run {rid} on disk (seed {seed}, params {phash}, scenario {sh[:12]}) is not run {rid} of this "
                "design: the folder was written by another ensemble; use another --out"
            )


def _manifest_base(spec: EnsembleSpec, doc: dict[str, Any], store: ResultStore) -> dict[str, Any]:
    try:
        previous = read_json(store.out / "manifest.json")
    except StoreError:  # a damaged manifest only loses the history of earlier sessions
        previous = {}
    if not isinstance(previous.get("sessions", []), list):
        previous = {}
    return {
        "command": spec.command,
        "cwd": str(Path.cwd()),
        "scenario": {**doc["scenario"], "hash": doc["identity"]["scenario_hash"]},
        "design": {**doc["identity"], **doc["design"]},
        **({"script": doc["script"]} if "script" in doc else {}),
        "retries": spec.retries,
        "versions": versions(),
        "host": {"name": platform.node(), "platform": platform.platform(), "cores": available_cores()},
        "sessions": previous.get("sessions", []),
    }


def _counts(out: Path, n_runs: int, state: Progress) -> dict[str, int]:
    from sovereign.ensemble.store import open_dataset, part_files

    succeeded = open_dataset(out, "runs").count_rows() if any(part_files(out, "runs")) else 0
    failed_attempts = open_dataset(out, "failures").count_rows() if any(part_files(out, "failures")) else 0
    return {
        "runs": n_runs,
        "succeeded": succeeded,
        "failed": state.failed,
        "remaining": n_runs - succeeded - state.failed,
        "failed_attempts_total": failed_attempts,
    }


def _timings(previous: list[dict[str, Any]], session: dict[str, Any]) -> dict[str, Any]:
    sessions = [*previous, session]
    total = sum(s.get("elapsed_s") or 0.0 for s in sessions)
    ran = sum(s.get("ran") or 0 for s in sessions)
    return {
        "started": sessions[0].get("started"),
        "finished": session.get("finished"),
        "elapsed_s": round(total, 3),
        "runs_per_s": round(ran / total, 4) if total > 0 else None,
        "sessions": len(sessions),
    }


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)
