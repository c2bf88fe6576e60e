"""Property tests: the loader only ever raises ScenarioError; scenarios round-trip; hashes are stable."""

from __future__ import annotations

import copy
import json
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import annotated_types as at
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic.fields import FieldInfo

from sovereign.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_from_dict,
    scenario_hash,
    scenario_to_dict,
)
from sovereign.scenario.loader import schema_at

from .helpers import MINI, MINI_TEXT

# 100 examples keep the suite fast; raise SOVEREIGN_FUZZ_EXAMPLES for a deeper search.
FUZZ = settings(
    max_examples=int(os.environ.get("SOVEREIGN_FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
MINI_DATA: dict[str, Any] = yaml.safe_load(MINI_TEXT)
MINI_SCENARIO = load_scenario(MINI)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def check_only_scenario_errors(load: Any) -> Scenario | None:
    """Run a load; the only acceptable failure is a ScenarioError with one-line problems."""
    try:
        return load()
    except ScenarioError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert "\n" not in str(problem)
            assert problem.line is None or problem.line >= 1
            assert problem.column is None or problem.column >= 1
        return None


def load_text(directory: Path, text: str) -> Scenario | None:
    path = directory / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    return check_only_scenario_errors(lambda: load_scenario(path))


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into plain data (mapping keys and list indices)."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from paths(child, (*prefix, i))


def parent_and_key(data: Any, path: tuple[Any, ...]) -> tuple[Any, Any]:
    cur = data
    for seg in path[:-1]:
        cur = cur[seg]
    return cur, path[-1]


# --------------------------------------------------------------------------- (a) only ScenarioError

YAMLISH = st.text(alphabet=":-[]{},#&*!|>'\"%@?. \n\tabcxyz0129QE", max_size=200)
ANY_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["2026Q1", "USA", "h100", "solar", "", "1e400", "-1", ".nan"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
MINI_PATHS = [p for p in paths(MINI_DATA) if p]


@FUZZ
@given(text=st.text(max_size=300) | YAMLISH)
def test_arbitrary_text_gives_only_scenario_errors(scratch: Path, text: str) -> None:
    load_text(scratch, text)


@FUZZ
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, MINI_TEXT.count("\n")),
            st.sampled_from(["delete", "duplicate", "indent", "dedent", "insert", "truncate"]),
            st.text(alphabet=":-[]{} #&*!abc012\t", max_size=12),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_text_gives_only_scenario_errors(scratch: Path, edits: list[tuple[int, str, str]]) -> None:
    lines = MINI_TEXT.splitlines()
    for index, op, payload in edits:
        i = index % len(lines)
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "indent":
            lines[i] = " " + lines[i]
        elif op == "dedent":
            lines[i] = lines[i][1:]
        elif op == "insert":
            cut = len(payload) % (len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + payload + lines[i][cut:]
        else:
            lines[i] = lines[i][: len(lines[i]) // 2]
    load_text(scratch, "\n".join(lines) + "\n")


@FUZZ
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(MINI_PATHS), st.one_of(ANY_VALUE, st.just("<delete>"))), min_size=1, max_size=3
    )
)
def test_mutated_data_gives_only_scenario_errors(scratch: Path, changes: list[tuple[tuple[Any, ...], Any]]) -> None:
    data = copy.deepcopy(MINI_DATA)
    for path, value in changes:
        try:
            parent, key = parent_and_key(data, path)
            if value == "<delete>":
                del parent[key]
            else:
                parent[key] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or replaced this path
    load_text(scratch, yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True))
    check_only_scenario_errors(lambda: scenario_from_dict(copy.deepcopy(data)))


@FUZZ
@given(
    overrides=st.dictionaries(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz_.0123IND", max_size=30)
        | st.text(max_size=20)
        | st.sampled_from([".".join(map(str, p)) for p in MINI_PATHS]),
        st.text(max_size=12) | ANY_VALUE,
        max_size=3,
    )
)
def test_arbitrary_overrides_give_only_scenario_errors(overrides: dict[str, Any]) -> None:
    check_only_scenario_errors(lambda: load_scenario(MINI, overrides=overrides))


# --------------------------------------------------------------------------- (b), (c) valid scenarios

BASE = scenario_to_dict(MINI_SCENARIO)
# Leaves tied to others by a sum or an ordering, or referenced by id, are left alone.
FROZEN = {
    "hours_share",
    "ai_demand_share",
    "sovereignty",
    "home_weights",
    "seed_cash_busd",
    "demand_h100e",
    "startup_yield_usd_per_h100e_hour",
    "datacenter_mw",
    "bid_premium",
    "subsidy_rates",
    "capacity_margin_at_cap",
    "capacity_margin_at_zero",
    "state_compute_h100e",  # labs only (a rule tied to the actor's kind)
    "id",
}
FREE_TEXT = {"title", "briefing", "debrief", "source", "name", "headline", "text"}


def leaf_strategy(path: tuple[Any, ...], value: Any) -> st.SearchStrategy[Any] | None:
    """Values a leaf may take while the scenario stays valid, from the schema's own bounds."""
    if FROZEN & {str(seg) for seg in path}:
        return None
    tp, info = schema_at(path)
    if get_origin(tp) is Literal:
        return st.sampled_from(get_args(tp))
    if isinstance(value, str):
        return st.text(max_size=30) if path[-1] in FREE_TEXT else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return st.booleans() if isinstance(value, bool) else None
    lo, hi, exclude_lo = 0.0, 1.0, False  # unbounded numbers (shares, stocks) stay in [0, 1]
    bounds: list[Any] = list(info.metadata) if info is not None and tp in (int, float) else []
    if get_origin(tp) is Annotated:  # a list's or mapping's items bounded by their own annotation
        bounds = [m for a in get_args(tp)[1:] for m in (a.metadata if isinstance(a, FieldInfo) else [a])]
    for m in bounds:
        if isinstance(m, at.Ge):
            lo = float(m.ge)
        elif isinstance(m, at.Gt):
            lo, exclude_lo = float(m.gt), True
        elif isinstance(m, at.Le):
            hi = float(m.le)
    if isinstance(value, int):
        return st.integers(int(lo) + (1 if exclude_lo else 0), int(hi))
    return st.floats(lo, hi, exclude_min=exclude_lo, allow_nan=False)


LEAVES = {
    p: s
    for p in paths(BASE)
    if p and not isinstance(parent_and_key(BASE, p)[0][p[-1]], (dict, list))
    for s in [leaf_strategy(p, parent_and_key(BASE, p)[0][p[-1]])]
    if s is not None
}


@st.composite
def valid_scenarios(draw: st.DrawFn) -> Scenario:
    data = copy.deepcopy(BASE)
    chosen = draw(st.lists(st.sampled_from(sorted(LEAVES, key=str)), min_size=1, max_size=8, unique=True))
    for path in chosen:
        parent, key = parent_and_key(data, path)
        parent[key] = draw(LEAVES[path])
    return scenario_from_dict(data)  # must not raise: the strategy only draws valid values


@FUZZ
@given(scenario=valid_scenarios(), seed=st.integers(0, 2**32 - 1))
def test_any_valid_scenario_plays_without_an_error(scenario: Scenario, seed: int) -> None:
    """A scenario the loader accepts is a game the model can play: no value within the schema's
    bounds may stop it (found this way: a utilities' planning horizon under a year, a discount rate
    too small to discount, a list price so low that bids rounded to zero, a demand volatility near 1)."""
    from sovereign.sim.model import SovereignModel

    m = SovereignModel(scenario, rng=seed)
    m.run(6)
    assert all(r["compute_served_h100e"] == r["compute_served_h100e"] for r in m.metrics.world)  # no NaN


def test_the_valid_scenario_strategy_varies_many_leaves() -> None:
    assert len(LEAVES) > 150


@FUZZ
@given(scenario=valid_scenarios())
def test_to_dict_from_dict_round_trips_exactly(scenario: Scenario) -> None:
    data = scenario_to_dict(scenario)
    assert scenario_from_dict(data) == scenario
    through_json = scenario_from_dict(json.loads(json.dumps(data)))
    assert through_json == scenario
    assert scenario_to_dict(through_json) == data


@FUZZ
@given(scenario=valid_scenarios(), seed=st.integers(0, 2**32 - 1))
def test_hash_is_stable(scenario: Scenario, seed: int) -> None:
    digest = scenario_hash(scenario)
    assert digest == scenario_hash(scenario)
    assert digest == scenario_hash(scenario_from_dict(json.loads(json.dumps(scenario_to_dict(scenario)))))
    shuffled = shuffle_keys(scenario_to_dict(scenario), random.Random(seed))
    assert scenario_hash(scenario_from_dict(shuffled)) == digest


def shuffle_keys(value: Any, rng: random.Random) -> Any:
    """The same data with every mapping's keys in a random order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: shuffle_keys(v, rng) for k, v in items}
    if isinstance(value, list):
        return [shuffle_keys(v, rng) for v in value]
    return value
