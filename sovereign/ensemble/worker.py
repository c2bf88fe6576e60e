"""What a worker process does for one run: build the scenario, play it, return tidy tables.

This module runs inside worker processes (local pool or Dask workers). It is handed the validated
base scenario once per worker (`RunContext`, via the pool's start-up or a Dask worker plugin) and
then only small `RunTask` records, so a run costs the model's time plus a few milliseconds, not a
YAML parse. Every output row carries its provenance (run id, seed, scenario hash, parameter values,
package version), added here so the parent process only concatenates and writes.

Testing aid (never used by the product): the environment variable ``SOVEREIGN_FAULT_INJECT`` makes
chosen runs fail, to test failure recording and worker-death recovery on real processes. It is a
comma-separated list of ``raise:RUN_ID`` (the run raises RuntimeError) and ``exit:RUN_ID`` (the
worker process dies with ``os._exit(70)``); ``@ATTEMPT`` limits a fault to one attempt (0-based),
e.g. ``raise:3,exit:5@0``.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from sovereign import __version__
from sovereign.ensemble.design import apply_params, column_value, param_column, params_hash
from sovereign.ensemble.seeds import run_seed

if TYPE_CHECKING:
    from sovereign.persist.template import ModelTemplate

#: Environment variable read by workers to inject faults in tests (see the module docstring).
FAULT_ENV = "SOVEREIGN_FAULT_INJECT"
#: Exit code of a worker killed by an injected ``exit`` fault.
FAULT_EXIT_CODE = 70
#: Metric tables a run produces (``model.metrics.tables()``).
METRIC_TABLES = ("nations", "firms", "world", "holdings", "connections", "plant_orders")
#: Columns whose values depend on where and when a run was executed, not on the run itself.
EXECUTION_COLUMNS = ("attempt", "elapsed_s", "cpu_s", "worker")

_PARAM_TYPES = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "string": pa.string()}


@dataclass(frozen=True)
class RunContext:
    """Everything runs of one ensemble share, sent to each worker once.

    Attributes:
        scenario: The validated base scenario as data (``--set`` overrides applied).
        scenario_hash: `scenario_hash` of the base scenario (provenance, identity of runs).
        seed: Root seed of the ensemble.
        quarters: Quarters to play (None: to the scenario's end).
        difficulty: AI difficulty (None: the scenario's).
        version: Package version of the process that made the design (workers must match).
        param_kinds: Column kind of each varying parameter (`Design.param_kinds`), in design order.
        script: The policy script every run plays, as data (`PolicyScript.to_dict`), or None.
        script_hash: `PolicyScript.hash` of it (provenance column of every row), or None.
        start_state: A saved game state every run continues (``montecarlo --from SAVE``), or None.
        start_digest: Its state digest (provenance column of every row), or None.
    """

    scenario: dict[str, Any]
    scenario_hash: str
    seed: int
    quarters: int | None
    difficulty: str | None
    version: str
    param_kinds: dict[str, str] = field(default_factory=dict)
    script: dict[str, Any] | None = None
    script_hash: str | None = None
    start_state: dict[str, Any] | None = None
    start_digest: str | None = None


@dataclass(frozen=True)
class RunTask:
    """One attempt at one run: small, so sending it costs next to nothing."""

    run_id: int
    point: int
    replicate: int
    params: dict[str, Any]
    params_hash: str
    attempt: int = 0

    def retry(self) -> RunTask:
        """The next attempt at the same run."""
        return RunTask(self.run_id, self.point, self.replicate, self.params, self.params_hash, self.attempt + 1)


@dataclass
class RunOutput:
    """Result of a successful run: the metric tables and the one-row run summary, with provenance."""

    run_id: int
    attempt: int
    tables: dict[str, pa.Table]
    elapsed_s: float


# --------------------------------------------------------------------------- worker-side state

#: Validated scenarios by (scenario hash, params hash): sweeps revisit a handful of points.
_SCENARIOS: dict[tuple[str, str], Any] = {}
_SCENARIO_CACHE_SIZE = 16


def _scenario_for(ctx: RunContext, task: RunTask) -> Any:
    key = (ctx.scenario_hash, task.params_hash)
    scenario = _SCENARIOS.get(key)
    if scenario is None:
        label = "run parameters " + ", ".join(f"{p}={v}" for p, v in task.params.items()) if task.params else "scenario"
        scenario = apply_params(ctx.scenario, task.params, source=label)
        if len(_SCENARIOS) >= _SCENARIO_CACHE_SIZE:
            _SCENARIOS.pop(next(iter(_SCENARIOS)))
        _SCENARIOS[key] = scenario
    return scenario


#: Parsed policy scripts by hash (a worker serves one ensemble, so one script, at a time).
_SCRIPTS: dict[str, Any] = {}


def _script_for(ctx: RunContext) -> Any:
    """The ensemble's `PolicyScript` (None without one), parsed once per worker."""
    if ctx.script is None or ctx.script_hash is None:
        return None
    script = _SCRIPTS.get(ctx.script_hash)
    if script is None:
        from sovereign.scenario.script import script_from_dict

        # checked against the scenario in the parent already; here its structure and commands again
        script = script_from_dict(ctx.script, source="the ensemble's script")
        _SCRIPTS.clear()
        _SCRIPTS[ctx.script_hash] = script
    return script


def prepare(ctx: RunContext) -> None:
    """Warm a worker up: check its package version, validate the base scenario and script once."""
    if ctx.version != __version__:
        raise RuntimeError(
            f"this worker has sovereign {__version__} but the ensemble was made with {ctx.version}: "
            "install the same version on every worker"
        )
    _scenario_for(ctx, RunTask(-1, 0, 0, {}, _EMPTY_HASH))
    _script_for(ctx)


def inject_fault(run_id: int, attempt: int) -> None:
    """Raise or exit if ``SOVEREIGN_FAULT_INJECT`` names this run (testing aid, see module docs)."""
    spec = os.environ.get(FAULT_ENV, "").strip()
    if not spec:
        return
    for item in spec.split(","):
        kind, _, target = item.strip().partition(":")
        rid, _, att = target.partition("@")
        try:
            if int(rid) != run_id or (att and int(att) != attempt):
                continue
        except ValueError:
            raise ValueError(f"{FAULT_ENV}: expected raise:RUN_ID or exit:RUN_ID[@ATTEMPT], found {item!r}") from None
        if kind == "raise":
            raise RuntimeError(f"injected fault: run {run_id} raises (attempt {attempt})")
        if kind == "exit":
            os._exit(FAULT_EXIT_CODE)
        raise ValueError(f"{FAULT_ENV}: unknown fault kind {kind!r} (use raise or exit)")


def execute(task: RunTask, ctx: RunContext) -> RunOutput:
    """Play one run and return its tables with provenance columns.

    Raises:
        Exception: Whatever the run raises; the executor records it as a failure of this attempt.
    """
    from sovereign.sim.runner import run_scenario

    t0, c0 = time.perf_counter(), time.process_time()
    inject_fault(task.run_id, task.attempt)
    scenario = _scenario_for(ctx, task)
    script = _script_for(ctx)
    # run_scenario passes the seed on as the model's rng, which takes a SeedSequence: run i plays
    # with child i of SeedSequence(seed), whoever runs it.
    seed = run_seed(ctx.seed, task.run_id)
    outcomes = None
    if ctx.start_state is not None:
        model = continue_from(_start_template(ctx.start_state, ctx.start_digest), scenario, seed)
        if script is None:
            model.run(ctx.quarters)
        else:
            from sovereign.scenario.script import play_scripted

            outcomes = play_scripted(model, script, ctx.quarters)
    elif script is None:
        model = run_scenario(scenario, seed=seed, quarters=ctx.quarters, difficulty=ctx.difficulty)  # type: ignore[arg-type]
    else:
        from sovereign.scenario.script import play_scripted
        from sovereign.sim.model import SovereignModel

        model = SovereignModel(scenario, rng=seed, difficulty=ctx.difficulty)
        outcomes = play_scripted(model, script, ctx.quarters)
    rows = model.metrics.tables()
    model.release()  # freed now rather than by a full collection a few runs later
    # wall and CPU time of the run: CPU well below wall means the worker was waiting for a core
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    prov = provenance(task, ctx)
    # pyarrow's C row reader: the same table as sovereign.sim.runner.to_arrow, three times faster
    tables = {name: with_provenance(pa.Table.from_pylist(rows[name]), prov) for name in METRIC_TABLES if rows.get(name)}
    summary = run_summary(rows, [r.id for r in scenario.regions])
    if outcomes is not None:
        summary.update(script_summary(outcomes))
    summary.update(attempt=task.attempt, elapsed_s=elapsed, cpu_s=cpu, worker=f"{socket.gethostname()}:{os.getpid()}")
    tables["runs"] = with_provenance(_summary_table(summary), prov)
    return RunOutput(task.run_id, task.attempt, tables, elapsed)


#: The game every run of a ``montecarlo --from SAVE`` continues, by its state digest, built once per
#: worker (a worker serves one ensemble, so one save, at a time).
_TEMPLATES: dict[str | None, ModelTemplate] = {}


def _start_template(state: dict[str, Any], digest: str | None) -> ModelTemplate:
    """The `ModelTemplate` of the ensemble's start state (checked and built once, then copied per run)."""
    from sovereign.persist.template import ModelTemplate

    template = _TEMPLATES.get(digest)
    if template is None:
        _TEMPLATES.clear()
        template = _TEMPLATES[digest] = ModelTemplate.of_state(state)
    return template


def continue_from(state: dict[str, Any] | ModelTemplate, scenario: Any, seed: Any) -> Any:
    """A model at a saved state, playing the run's scenario (its parameters) with the run's seed.

    `state` is the saved state (`model_to_state`) or its `ModelTemplate` (what a worker keeps: a
    copy from it costs a sixth of rebuilding the model from the state); both give the same run.

    Why it may differ from the save's own scenario: a sweep or Sobol design varies parameters of the
    save's scenario; the world's structure (regions, firms, accelerators) must stay the same, and
    the tables derived from the scenario are rebuilt from the run's. The random streams come from
    the run's seed (run i, child i of the root), and every seat is played by the AI.
    """
    from sovereign.persist.state import model_from_state
    from sovereign.persist.template import ModelTemplate
    from sovereign.sim.gamestate import ScenarioTables

    model = state.copy() if isinstance(state, ModelTemplate) else model_from_state(state)
    old = model.scenario
    same = [r.id for r in old.regions] == [r.id for r in scenario.regions] and [a.id for a in old.actors] == [
        a.id for a in scenario.actors
    ]
    if not same or [a.id for a in old.accelerators] != [a.id for a in scenario.accelerators]:
        raise ValueError("a run's parameters may change figures, not the regions, firms or accelerators of the save")
    model.scenario = scenario
    model.tables = ScenarioTables.of(scenario)
    children = seed.spawn(len(model.rngs))
    model.rngs = {name: np.random.default_rng(child) for name, child in zip(list(model.rngs), children, strict=True)}
    model.human_seats = set()
    return model


def provenance(task: RunTask, ctx: RunContext) -> list[tuple[str, pa.DataType, Any]]:
    """Provenance columns of every row of a run: (name, type, value)."""
    cols: list[tuple[str, pa.DataType, Any]] = [
        ("run_id", pa.int64(), task.run_id),
        ("seed", pa.int64(), ctx.seed),
        ("point", pa.int64(), task.point),
        ("replicate", pa.int64(), task.replicate),
        ("scenario_hash", pa.string(), ctx.scenario_hash),
        ("params_hash", pa.string(), task.params_hash),
        ("sovereign_version", pa.string(), ctx.version),
    ]
    if ctx.script_hash is not None:
        cols.append(("script_hash", pa.string(), ctx.script_hash))
    if ctx.start_digest is not None:
        cols.append(("start_digest", pa.string(), ctx.start_digest))
    for path, kind in ctx.param_kinds.items():
        cols.append((param_column(path), _PARAM_TYPES[kind], column_value(kind, task.params[path])))
    return cols


def with_provenance(table: pa.Table, prov: list[tuple[str, pa.DataType, Any]]) -> pa.Table:
    """Prepend the provenance columns (constant over the table) to a table."""
    n = table.num_rows
    arrays = [pa.array([value] * n, type=tp) for _, tp, value in prov]
    names = [name for name, _, _ in prov]
    return pa.Table.from_arrays([*arrays, *table.columns], names=[*names, *table.column_names])


# --------------------------------------------------------------------------- per-run summary


def run_summary(rows: dict[str, list[dict[str, Any]]], regions: list[str]) -> dict[str, Any]:
    """Key outcomes of one run, from its metric rows (one row of the ``runs`` table).

    Final values are taken at the last quarter played. Datacenter electricity is summed over a
    calendar year only when all four quarters of that year were played: 2030 (the headline year of
    the baseline) and the last full year, so short test scenarios still have a yearly figure.
    """
    nations, world = rows.get("nations", []), rows.get("world", [])
    out: dict[str, Any] = {"quarters_played": len(world), "final_quarter": world[-1]["quarter"] if world else None}
    final_q = out["final_quarter"]
    final = {r["region"]: r for r in nations if r["quarter"] == final_q}
    sov = [final[r]["sovereignty_index"] for r in regions if r in final]
    price = [final[r]["retail_price_usd_mwh"] for r in regions if r in final]
    out["sovereignty_index_final_mean"] = sum(sov) / len(sov) if sov else None
    out["retail_price_usd_mwh_final_mean"] = sum(price) / len(price) if price else None
    years: dict[int, list[float]] = {}
    for r in world:
        years.setdefault(int(r["quarter"][:4]), []).append(r["dc_electricity_twh"])
    full = [y for y, qs in years.items() if len(qs) == 4]
    out["dc_electricity_twh_2030"] = sum(years[2030]) if 2030 in full else None
    out["final_full_year"] = max(full) if full else None
    out["dc_electricity_twh_final_year"] = sum(years[max(full)]) if full else None
    last = world[-1] if world else {}
    out["compute_price_usd_hour_final"] = last.get("compute_price_usd_hour")
    out["compute_capacity_h100e_final"] = last.get("compute_capacity_h100e")
    out["startups_alive_final"] = last.get("startups_alive")
    out["emissions_mt_total"] = sum(r["emissions_mt"] for r in world) if world else None
    for key in sorted(last):
        if key.startswith("chip_price_"):
            out[f"{key}_final"] = last[key]
    for r in regions:
        out[f"sovereignty_index_final.{r}"] = final[r]["sovereignty_index"] if r in final else None
    return out


def script_summary(outcomes: list[Any]) -> dict[str, Any]:
    """Columns of the ``runs`` table about a policy script: commands accepted, refused, and why.

    ``script_refusals`` lists every refused command with the validator's reason, one per line
    (``2027Q2 IND build_datacenter(...): refused: not enough budget ...``), so a refusal that happens
    in some runs only (it depends on the run's money) can be found and counted.
    """
    refused = [o for o in outcomes if not o.accepted]
    return {
        "script_accepted": len(outcomes) - len(refused),
        "script_refused": len(refused),
        "script_refusals": "\n".join(o.describe() for o in refused),
    }


_INT_OUTCOMES = {
    "quarters_played",
    "final_full_year",
    "startups_alive_final",
    "attempt",
    "script_accepted",
    "script_refused",
}
_STR_OUTCOMES = {"final_quarter", "worker", "script_refusals"}


def _summary_table(summary: dict[str, Any]) -> pa.Table:
    """One-row table with explicit types, so a missing value (None) never makes a null-typed column."""
    arrays, names = [], []
    for key, value in summary.items():
        tp = pa.int64() if key in _INT_OUTCOMES else pa.string() if key in _STR_OUTCOMES else pa.float64()
        arrays.append(pa.array([value], type=tp))
        names.append(key)
    return pa.Table.from_arrays(arrays, names=names)


_EMPTY_HASH = params_hash({})


# --------------------------------------------------------------------------- Dask

#: Contexts installed in this process by `sovereign.ensemble.dask_plugin.ContextPlugin`, by token.
CONTEXTS: dict[str, RunContext] = {}
#: Why installing a context failed in this process (e.g. a package version mismatch), by token.
CONTEXT_ERRORS: dict[str, str] = {}


def execute_in_dask(task: RunTask, token: str) -> RunOutput:
    """Dask task: run `task` with the context the worker plugin installed under `token`."""
    ctx = CONTEXTS.get(token)
    if ctx is None:
        why = CONTEXT_ERRORS.get(token, "the worker plugin did not run")
        raise RuntimeError(f"this Dask worker cannot run ensemble {token!r}: {why}")
    return execute(task, ctx)


def execute_batch_in_dask(tasks: list[RunTask], token: str) -> list[tuple[Any, ...]]:
    """Dask task: play a batch of runs one after the other; each run's output or error, in order.

    Why batches: a Dask task costs a few tens of milliseconds of scheduling (most of it in the
    client process, which also writes the results), a large share of a 0.2 s run; a batch pays it
    once for several runs. A run that raises does not stop the batch: its error comes back in its
    place as ``("error", type, message, traceback)``, and a finished run as ``("ok", RunOutput)``.
    """
    results: list[tuple[Any, ...]] = []
    for task in tasks:
        try:
            results.append(("ok", execute_in_dask(task, token)))
        except (Exception, SystemExit) as exc:
            results.append(("error", type(exc).__name__, str(exc), traceback.format_exc()))
    return results
