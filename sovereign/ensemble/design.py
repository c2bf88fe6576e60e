"""Experimental designs: which parameter values each run of an ensemble plays with.

A design maps a run id to a *point* (parameter values) and a *replicate* (repeat at that point):

- ``runs``: ``--runs N`` repeats of the scenario (after any ``--set`` overrides);
- ``sweep``: the full factorial of every ``--sweep path=v1,v2,...``, each point repeated ``--runs``
  times (point-major: the runs of point 0 first, the first sweep varies slowest);
- ``lhs``: ``--runs`` Latin hypercube points over the ``--param path=low:high`` box, one run each;
- ``sobol``: Saltelli's scheme for first and total-order Sobol indices (SALib), ``--runs`` base
  samples, so ``--runs x (D + 2)`` runs for D parameters, one run each, in SALib's row order so the
  outcomes can go straight back into ``SALib.analyze.sobol``.

Every run, whatever the design, plays with child ``run_id`` of ``SeedSequence(seed)``
(`sovereign.ensemble.seeds`). Parameter values are validated against the scenario schema before any
run starts, so a typo fails in a second with the path and what was expected, not after an hour.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import yaml

from sovereign.ensemble.seeds import check_seed, design_rng
from sovereign.scenario.loader import ScenarioError, scenario_from_dict, set_path
from sovereign.scenario.schema import Scenario

KINDS = ("runs", "sweep", "lhs", "sobol")
SAMPLE_METHODS = ("lhs", "sobol")
#: Prefix of the columns that carry a run's parameter values in every output row.
PARAM_PREFIX = "param."
#: Sweeps with at most this many points are validated point by point (combinations included).
MAX_VALIDATED_POINTS = 256


class DesignError(ValueError):
    """A design cannot be built or does not fit the scenario; `problems` lists every reason."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(dict.fromkeys(problems))
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Sweep:
    """One ``--sweep path=v1,v2,...``: a scenario path and the values it takes."""

    path: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class ParamRange:
    """One ``--param path=low:high`` of a sampled design; `integer` fields get whole-number samples."""

    path: str
    low: float
    high: float
    integer: bool = False


@dataclass(frozen=True)
class RunSpec:
    """What one run plays: its id, design point, replicate and parameter values (path -> value)."""

    run_id: int
    point: int
    replicate: int
    params: dict[str, Any]
    params_hash: str


@dataclass(frozen=True)
class Design:
    """An ensemble's runs: kind, size, seed and parameter values per point.

    Attributes:
        kind: One of `KINDS`.
        runs: ``--runs`` as given: repeats per point (runs, sweep) or the sample size (lhs, sobol).
        seed: Root seed; run i plays with child i of ``SeedSequence(seed)``.
        sets: ``--set`` overrides (already part of the base scenario; kept for provenance).
        sweeps: The swept parameters (kind ``sweep``).
        ranges: The sampled parameters (kinds ``lhs`` and ``sobol``).
        samples: (points, parameters) values of a sampled design, in run order.
    """

    kind: str
    runs: int
    seed: int
    sets: tuple[tuple[str, Any], ...] = ()
    sweeps: tuple[Sweep, ...] = ()
    ranges: tuple[ParamRange, ...] = ()
    samples: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def n_points(self) -> int:
        """Number of distinct parameter points."""
        if self.kind == "sweep":
            return math.prod(len(s.values) for s in self.sweeps)
        if self.kind in SAMPLE_METHODS:
            assert self.samples is not None
            return int(self.samples.shape[0])
        return 1

    @property
    def replicates(self) -> int:
        """Runs per point: ``--runs`` for plain and sweep designs, one for sampled designs."""
        return 1 if self.kind in SAMPLE_METHODS else self.runs

    @property
    def n_runs(self) -> int:
        """Total number of runs."""
        return self.n_points * self.replicates

    @property
    def param_names(self) -> list[str]:
        """Scenario paths that vary between points, in design order."""
        if self.kind == "sweep":
            return [s.path for s in self.sweeps]
        return [r.path for r in self.ranges]

    @property
    def param_kinds(self) -> dict[str, str]:
        """Column type of each varying parameter: ``int``, ``float``, ``bool`` or ``string``.

        A Parquet column needs one type across every part file, so it is fixed here from all the
        values a parameter takes, not from the value of whichever run finishes first.
        """
        kinds: dict[str, str] = {}
        for s in self.sweeps:
            vals = s.values
            if all(isinstance(v, bool) for v in vals):
                kinds[s.path] = "bool"
            elif all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
                kinds[s.path] = "int"
            elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
                kinds[s.path] = "float"
            else:
                kinds[s.path] = "string"
        for r in self.ranges:
            kinds[r.path] = "int" if r.integer else "float"
        return kinds

    def point_params(self, point: int) -> dict[str, Any]:
        """Parameter values (path -> value) of one design point."""
        if not 0 <= point < self.n_points:
            raise IndexError(f"point {point} outside 0..{self.n_points - 1}")
        if self.kind == "sweep":
            params: dict[str, Any] = {}
            rest = point
            for s in reversed(self.sweeps):  # the first sweep varies slowest, like itertools.product
                rest, ix = divmod(rest, len(s.values))
                params[s.path] = s.values[ix]
            return {s.path: params[s.path] for s in self.sweeps}
        if self.kind in SAMPLE_METHODS:
            assert self.samples is not None
            row = self.samples[point]
            return {r.path: (int(v) if r.integer else float(v)) for r, v in zip(self.ranges, row, strict=True)}
        return {}

    def run(self, run_id: int) -> RunSpec:
        """The point, replicate and parameter values of one run."""
        if not 0 <= run_id < self.n_runs:
            raise IndexError(f"run {run_id} outside 0..{self.n_runs - 1}")
        point, replicate = divmod(run_id, self.replicates)
        params = self.point_params(point)
        return RunSpec(run_id, point, replicate, params, params_hash(params))

    def sobol_problem(self) -> dict[str, Any]:
        """The SALib problem of a sampled design (names and bounds of the parameters)."""
        return {
            "num_vars": len(self.ranges),
            "names": [r.path for r in self.ranges],
            "bounds": [[r.low, r.high] for r in self.ranges],
        }

    def identity(self) -> dict[str, Any]:
        """JSON-able description that two invocations must share to write into one output folder."""
        doc: dict[str, Any] = {
            "kind": self.kind,
            "runs": self.runs,
            "seed": self.seed,
            "n_runs": self.n_runs,
            "sets": [[p, _jsonable(v)] for p, v in self.sets],
            "sweeps": [[s.path, [_jsonable(v) for v in s.values]] for s in self.sweeps],
            "params": [[r.path, r.low, r.high, r.integer] for r in self.ranges],
        }
        if self.samples is not None:
            # The samples depend on the SALib/scipy versions too: compare the values, not the recipe.
            doc["samples_sha256"] = hashlib.sha256(np.ascontiguousarray(self.samples, "<f8").tobytes()).hexdigest()
        return doc


# --------------------------------------------------------------------------- parsing the options


def parse_value(text: str) -> Any:
    """A command-line value as YAML (``0.5`` -> 0.5, ``true`` -> True, ``[1, 2]`` -> a list).

    PyYAML reads ``1e3`` as a string (YAML 1.1 wants ``1.0e+3``); people write ``1e3`` on command
    lines, so a string that Python reads as a float becomes that float.
    """
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"cannot read {text!r} as a value ({getattr(exc, 'problem', exc)})") from None
    if isinstance(value, str):
        try:
            return float(text)  # the raw text, so a quoted '1e3' stays a string
        except ValueError:
            return value
    return value


def parse_assignment(text: str, option: str) -> tuple[str, str]:
    """Split ``path=value`` into its path and (unparsed) value."""
    path, sep, value = text.partition("=")
    path = path.strip()
    if not sep or not path or any(not seg for seg in path.split(".")):
        raise DesignError([f"{option} {text!r}: expected PATH=VALUE, e.g. economics.voll_usd_mwh=5000"])
    return path, value.strip()


def parse_sweep(text: str) -> Sweep:
    """Parse ``path=v1,v2,...`` (each value read as YAML; at least one, no duplicates)."""
    path, raw = parse_assignment(text, "--sweep")
    parts = [p.strip() for p in raw.split(",")]
    if not raw or any(not p for p in parts):
        raise DesignError([f"--sweep {text!r}: expected PATH=V1,V2,... with no empty value"])
    try:
        values = tuple(parse_value(p) for p in parts)
    except ValueError as exc:
        raise DesignError([f"--sweep {path}: {exc}"]) from None
    if len({json.dumps(_jsonable(v), sort_keys=True) for v in values}) != len(values):
        raise DesignError([f"--sweep {path}: a value is listed twice ({raw})"])
    return Sweep(path, values)


def parse_range(text: str) -> tuple[str, float, float]:
    """Parse ``path=low:high`` into the path and two finite bounds with low < high."""
    path, raw = parse_assignment(text, "--param")
    low_s, sep, high_s = raw.partition(":")
    try:
        if not sep:
            raise ValueError
        low, high = float(low_s), float(high_s)
    except ValueError:
        raise DesignError(
            [f"--param {text!r}: expected PATH=LOW:HIGH with two numbers, e.g. demand.growth_per_year=0.2:0.6"]
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise DesignError([f"--param {path}: expected finite bounds with LOW < HIGH, found {low_s}:{high_s}"])
    return path, low, high


# --------------------------------------------------------------------------- building designs


def make_design(
    *,
    runs: int,
    seed: int,
    sets: Sequence[tuple[str, Any]] = (),
    sweeps: Sequence[Sweep] = (),
    sample: str | None = None,
    ranges: Sequence[tuple[str, float, float]] = (),
) -> Design:
    """Build a design from parsed options; raise DesignError naming every inconsistency.

    Args:
        runs: ``--runs``: repeats per point, or the (base) sample size of a sampled design.
        seed: Root seed of the ensemble.
        sets: ``--set`` overrides (path, value).
        sweeps: ``--sweep`` options.
        sample: ``lhs``, ``sobol`` or None.
        ranges: ``--param`` options (path, low, high).
    """
    problems: list[str] = []
    try:
        seed = check_seed(seed)
    except ValueError as exc:
        problems.append(f"--seed: {exc}")
    if runs < 1:
        problems.append(f"--runs: expected a number > 0, found {runs}")
    if sample is not None and runs > MAX_SAMPLED_RUNS:
        # a sampled design holds all its points in memory (plain runs and sweeps are planned lazily)
        problems.append(f"--runs: a sampled (--sample) design takes at most {MAX_SAMPLED_RUNS:,} runs, found {runs:,}")
    if sample is not None and sample not in SAMPLE_METHODS:
        problems.append(f"--sample: expected one of {', '.join(SAMPLE_METHODS)}, found {sample!r}")
    if sample is not None and not ranges:
        problems.append(f"--sample {sample} needs at least one --param PATH=LOW:HIGH")
    if ranges and sample is None:
        problems.append("--param needs --sample lhs or --sample sobol")
    if sample is not None and sweeps:
        problems.append("--sweep and --sample cannot be combined: sweep a grid, or sample a box")
    paths = [p for p, _ in sets] + [s.path for s in sweeps] + [r[0] for r in ranges]
    for path in sorted({p for p in paths if paths.count(p) > 1}):
        problems.append(f"{path}: given more than once across --set, --sweep and --param")
    typed: list[ParamRange] = []
    for path, low, high in ranges:
        kind = schema_kind(path)
        if kind not in ("int", "float"):
            what = "no such field in the scenario schema" if kind is None else f"a {kind} field"
            problems.append(f"--param {path}: expected a numeric scenario field, found {what}")
            continue
        integer = kind == "int"
        if integer and not (low.is_integer() and high.is_integer()):
            problems.append(f"--param {path}: this field takes whole numbers, so LOW and HIGH must be whole numbers")
        typed.append(ParamRange(path, low, high, integer))
    if problems:
        raise DesignError(problems)
    if sample is not None:
        unit = unit_samples(sample, runs, len(typed), seed)
        samples = scale_samples(unit, typed)
        return Design(sample, runs, seed, tuple(sets), (), tuple(typed), samples)
    kind = "sweep" if sweeps else "runs"
    return Design(kind, runs, seed, tuple(sets), tuple(sweeps))


#: Largest base sample of an LHS or Sobol design: its points (runs x parameters) are built up
#: front, 8 bytes each, so this bounds the parent's memory however many parameters are sampled.
MAX_SAMPLED_RUNS = 1_000_000


def unit_samples(method: str, n: int, d: int, seed: int) -> np.ndarray:
    """Points in the unit cube: ``n`` Latin hypercube points, or Saltelli's ``n x (d + 2)`` Sobol rows.

    The design's randomness (LHS permutations, Sobol scrambling) comes from its own stream of the
    root seed, so the same command always builds the same design.
    """
    rng = design_rng(seed)
    if method == "lhs":
        from scipy.stats import qmc

        try:
            sampler = qmc.LatinHypercube(d=d, rng=rng)
        except TypeError:  # scipy < 1.15 names the argument `seed`
            sampler = qmc.LatinHypercube(d=d, seed=rng)
        return sampler.random(n)
    if method == "sobol":
        import warnings

        from SALib.sample import sobol as sobol_sample

        problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
        with warnings.catch_warnings():
            # SALib warns when n is not a power of two; the CLI says so once, in plain words.
            warnings.simplefilter("ignore")
            return sobol_sample.sample(problem, n, calc_second_order=False, seed=int(rng.integers(2**32)))
    raise ValueError(f"unknown sampling method {method!r}")


def scale_samples(unit: np.ndarray, ranges: Sequence[ParamRange]) -> np.ndarray:
    """Map unit-cube samples onto the parameter boxes; integer fields get whole numbers, uniformly."""
    out = np.empty_like(unit, dtype=float)
    for j, r in enumerate(ranges):
        if r.integer:
            width = r.high - r.low + 1.0
            out[:, j] = np.minimum(np.floor(r.low + unit[:, j] * width), r.high)
        else:
            out[:, j] = r.low + unit[:, j] * (r.high - r.low)
    return out


# --------------------------------------------------------------------------- scenarios of a design


def apply_params(base: Mapping[str, Any], params: Mapping[str, Any], source: str = "run parameters") -> Scenario:
    """The validated scenario of one design point: the base scenario data with `params` set.

    Args:
        base: The base scenario as data (`scenario_to_dict`), left untouched.
        params: Scenario path -> value.
        source: How problems name where the values came from.

    Raises:
        ScenarioError: A path does not exist or a value does not fit the schema.
    """
    data = copy.deepcopy(dict(base))
    for path, value in params.items():
        set_path(data, path, value)
    return scenario_from_dict(data, source=source)


def check_design(design: Design, base: Mapping[str, Any]) -> None:
    """Validate every value a design will use against the schema; raise DesignError with all problems.

    Sweep values are checked one by one (so a message names the offending value) and then, for
    sweeps of at most `MAX_VALIDATED_POINTS` points, combination by combination. Sampled designs
    are checked at the corners of their box: all parameters at their low bounds, then at their highs.
    """
    problems: list[str] = []

    def check(params: dict[str, Any], label: str) -> bool:
        try:
            apply_params(base, params, source=label)
        except ScenarioError as exc:
            problems.extend(
                f"{label}: {p.path}: {p.message}" if p.path else f"{label}: {p.message}" for p in exc.problems
            )
            return False
        return True

    if design.kind == "sweep":
        ok = True
        for s in design.sweeps:
            for v in s.values:
                ok &= check({s.path: v}, f"--sweep {s.path}={_show(v)}")
        if ok and len(design.sweeps) > 1 and design.n_points <= MAX_VALIDATED_POINTS:
            for values in itertools.product(*(s.values for s in design.sweeps)):
                params = {s.path: v for s, v in zip(design.sweeps, values, strict=True)}
                check(params, "--sweep point " + ", ".join(f"{p}={_show(v)}" for p, v in params.items()))
    elif design.kind in SAMPLE_METHODS:
        for end in ("low", "high"):
            params = {r.path: _as_field(getattr(r, end), r.integer) for r in design.ranges}
            check(params, f"--param (every parameter at its {end} bound)")
    if problems:
        raise DesignError(problems)


def params_hash(params: Mapping[str, Any]) -> str:
    """Short SHA-256 of a point's parameter values (canonical JSON): part of a run's identity."""
    text = json.dumps({k: _jsonable(v) for k, v in params.items()}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def param_column(path: str) -> str:
    """Name of the output column holding a parameter's value."""
    return PARAM_PREFIX + path


def column_value(kind: str, value: Any) -> Any:
    """A parameter value as stored in its column (`Design.param_kinds`)."""
    if kind == "string":
        return value if isinstance(value, str) else json.dumps(_jsonable(value), sort_keys=True)
    if kind == "float":
        return float(value)
    if kind == "int":
        return int(value)
    return bool(value)


def schema_kind(path: str) -> str | None:
    """Kind of the scenario field at a dotted path: ``int``, ``float``, ``bool``, ``str``, other, or None.

    Uses the loader's walk of the schema, so a sampled parameter is known to be an integer field
    (build times in quarters) before any value is drawn.
    """
    from sovereign.scenario.loader import schema_at, unwrap_type  # the one schema walk of the project

    tp, _ = schema_at(path.split("."))
    if tp is None:
        return None
    tp = unwrap_type(tp)
    for py, name in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if tp is py:
            return name
    return getattr(tp, "__name__", str(tp))


def _as_field(value: float, integer: bool) -> int | float:
    return int(value) if integer else float(value)


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(_jsonable(value))


def _jsonable(value: Any) -> Any:
    """Plain JSON data for a YAML-parsed value (dates become ISO strings)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
