"""Model state round trips: a loaded game is the same game and continues bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sovereign.persist import SaveError, load_game, model_from_state, model_to_state, save_game
from sovereign.persist.state import GAME_PARTS, STATE_KEYS, model_digest, state_digest
from sovereign.scenario.loader import scenario_hash, scenario_to_dict
from sovereign.sim.model import SovereignModel

from .helpers import HUMANS, PLAN, dump, metrics_json, new_game, play, submit_plan


def test_the_model_keeps_its_state_in_one_game_state(played):
    """State outside `model.game` would be lost by saves: the model holds nothing else but the
    scenario, its derived tables, its caches and Mesa's own attributes (the game state's and the
    tables' fields are the model's attributes, in one dict with the game state's)."""
    from dataclasses import fields

    import mesa

    from sovereign.sim.gamestate import GameState, ScenarioTables

    mesa_own = set(vars(mesa.Model(rng=0)))
    parts = {f.name for f in fields(GameState)} | {f.name for f in fields(ScenarioTables)}
    own = set(vars(played)) - mesa_own - parts
    own -= {"_mesa_scenario"}  # Mesa's own scenario, kept aside by `SovereignModel.scenario`
    assert own == {"game", "tables", "_game_scenario", "view_cache", "committed_cache", "home_cache", "grid_memo"}, (
        sorted(own)
    )
    assert isinstance(played.game, GameState) and isinstance(played.tables, ScenarioTables)
    assert vars(played.game) is vars(played)


def test_a_save_is_the_game_state_field_by_field():
    """Every saved field of GameState is a part of the save, in order, with a way to be written."""
    from dataclasses import fields

    from sovereign.sim.gamestate import GameState

    saved = [f.name for f in fields(GameState) if not f.metadata.get("derived")]
    assert [p.name for p in GAME_PARTS] == saved
    assert STATE_KEYS == ("scenario", "seed", *saved, "mesa")


def test_a_new_game_state_field_is_saved_and_loaded_without_being_listed(played, monkeypatch):
    """The codec is chosen by the field's type: plain data round-trips through the generic one."""
    state = model_to_state(played)
    for part in GAME_PARTS:
        assert part.name in state
    loaded = model_from_state(json.loads(json.dumps(state)))
    for part in GAME_PARTS:
        if part.name not in ("seats", "rngs", "world", "metrics", "pending", "bids", "results", "economy"):
            assert getattr(loaded.game, part.name) == getattr(played.game, part.name), part.name


def test_state_round_trip_is_identity_through_json(played):
    model = played
    state = model_to_state(model)
    loaded = model_from_state(json.loads(json.dumps(state, allow_nan=False)))
    assert model_to_state(loaded) == state
    assert type(loaded.results.power.market) is type(model.results.power.market)
    assert loaded.seat_pos == model.seat_pos and list(loaded.seats) == list(model.seats)
    assert [a.unique_id for a in loaded.seats.values()] == [a.unique_id for a in model.seats.values()]
    assert loaded.pending_decisions == {"IND": {0: ["Fund it", "Wait"]}}
    assert [c.kind for c in loaded.pending["IND"]] == ["decide", "build_datacenter"]


def test_fresh_and_finished_games_round_trip(tiny, finished):
    fresh = new_game(tiny)
    for model in (fresh, finished):
        assert model_to_state(model_from_state(model_to_state(model))) == model_to_state(model)


def test_mesa_clock_continues_one_quarter_per_step(played):
    loaded = model_from_state(model_to_state(played))
    assert (loaded.steps, loaded.time) == (3, 3.0)
    loaded.step()
    assert (loaded.steps, loaded.time, loaded.quarter_label) == (4, 4.0, "2027Q1")


@pytest.mark.parametrize("save_at", [0, 5])
def test_load_and_run_to_the_end_equals_an_uninterrupted_run(tiny, finished, tmp_path, save_at):
    model = play(new_game(tiny), save_at)
    save_game(model, tmp_path / "g.json.gz")
    loaded = load_game(tmp_path / "g.json.gz")
    while not loaded.done:
        loaded.step()
        if not loaded.done:
            submit_plan(loaded, PLAN)
    assert metrics_json(loaded) == metrics_json(finished)
    assert dump(loaded) == dump(finished)


def test_spawned_seed_sequences_survive(tiny, tmp_path):
    """Ensemble runs are seeded with child SeedSequences; the save must keep the spawn key."""
    child = np.random.SeedSequence(1234).spawn(3)[2]
    model = SovereignModel(tiny, rng=child)
    model.run(2)
    save_game(model, tmp_path / "c.json.gz")
    loaded = load_game(tmp_path / "c.json.gz")
    assert loaded.rngs["events"].bit_generator.seed_seq.spawn_key == (2, 0)
    model.run(2)
    loaded.run(2)
    assert dump(loaded) == dump(model)


def test_scenario_content_and_hash_are_saved(tiny, played):
    scenario = model_to_state(played)["scenario"]
    assert scenario["hash"] == scenario_hash(tiny) and scenario["content"] == scenario_to_dict(tiny)


def test_incremental_digest_equals_digest_from_scratch(tiny):
    model = new_game(tiny)
    for _ in range(4):
        submit_plan(model, PLAN)
        model.step()
        assert model_digest(model) == state_digest(model_to_state(model))


def test_unencodable_state_is_a_save_error(tiny):
    model = new_game(tiny)
    model.seats["IND"].state["oops"] = {1, 2}
    with pytest.raises(SaveError, match=r"seats\.IND\.state\.oops"):
        model_to_state(model)


# -- property: random quarter, random human commands ------------------------------------------
REGIONS = st.sampled_from(["USA", "CHN", "IND"])
CLASSES = st.sampled_from(["frontier", "advanced", "domestic"])
money = st.floats(min_value=0.01, max_value=5.0, allow_nan=False)
COMMANDS = st.one_of(
    st.tuples(st.just("IND"), st.builds(lambda r: {"kind": "set_subsidy", "rate": r}, st.floats(0, 0.5))),
    st.tuples(st.just("IND"), st.builds(lambda e: {"kind": "set_localisation", "enabled": e}, st.booleans())),
    st.tuples(st.just("IND"), st.builds(lambda b: {"kind": "set_security_spending", "busd_per_year": b}, money)),
    st.tuples(
        st.just("IND"),
        st.builds(
            lambda k, b: {"kind": k, "bloc": b},
            st.sampled_from(["join_bloc", "leave_bloc"]),
            st.sampled_from(["allies", "brics"]),
        ),
    ),
    st.tuples(st.just("IND"), st.just({"kind": "permitting_reform"})),
    st.tuples(st.just("IND"), st.builds(lambda o: {"kind": "decide", "event_id": 0, "option": o}, st.integers(0, 2))),
    st.tuples(
        st.sampled_from(HUMANS),
        st.builds(lambda r, mw: {"kind": "build_datacenter", "region": r, "it_mw": mw}, REGIONS, st.floats(10, 600)),
    ),
    st.tuples(
        st.just("cloudco"),
        st.builds(
            lambda c, q, p, r: {
                "kind": "buy_accelerators",
                "accelerator": c,
                "h100e": q,
                "max_price_usd": p,
                "region": r,
            },
            CLASSES,
            st.floats(100, 100000),
            st.floats(5000, 40000),
            REGIONS,
        ),
    ),
    st.tuples(st.just("cloudco"), st.builds(lambda b: {"kind": "raise_funding", "busd": b}, st.floats(0.1, 10))),
)
QUARTERS = ["2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1", "2027Q2", "2027Q3", "2027Q4"]
PLANS = st.dictionaries(st.sampled_from(QUARTERS), st.lists(COMMANDS, max_size=3), max_size=5)


def _round_trip_and_continue(tiny, folder, seed, save_at, plan, horizon):
    original = play(new_game(tiny, seed=seed), save_at, plan)
    path = folder / "prop.json.gz"
    save_game(original, path)
    loaded = load_game(path)
    assert dump(loaded) == dump(original)
    for model in (original, loaded):
        for _ in range(horizon):
            if model.done:
                break
            model.step()
            if not model.done:
                submit_plan(model, plan)
    assert metrics_json(loaded) == metrics_json(original)
    assert dump(loaded) == dump(original)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 3), save_at=st.integers(0, 8), plan=PLANS)
def test_property_save_anywhere_continue_exactly(tiny, tmp_path, seed, save_at, plan):
    _round_trip_and_continue(tiny, tmp_path, seed, save_at, plan, horizon=1)


@pytest.mark.slow
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 1000), save_at=st.integers(0, 8), plan=PLANS)
def test_property_save_anywhere_run_to_the_end(tiny, tmp_path, seed, save_at, plan):
    _round_trip_and_continue(tiny, tmp_path, seed, save_at, plan, horizon=8)


def test_every_part_of_the_game_is_a_typed_model_attribute(tiny):
    """`model.world` and friends are the game state's (and the tables'); the model declares each one's type for mypy."""
    from dataclasses import fields

    from sovereign.sim.gamestate import GameState, ModelParts, ScenarioTables

    model = new_game(tiny)
    declared = ModelParts.__annotations__
    for part, holder in ((GameState, model.game), (ScenarioTables, model.tables)):
        for f in fields(part):
            assert f.name in declared, f"SovereignModel does not declare {f.name}: add `{f.name}: <type>`"
            assert getattr(model, f.name) is getattr(holder, f.name), f.name


def test_model_attributes_write_through_to_the_game_state(tiny):
    model = new_game(tiny)
    model.quarter += 1
    assert model.game.quarter == model.quarter
    model.flows = {"in:test": 1.0}
    assert model.game.flows == {"in:test": 1.0}
    model.game.pending = {"x": []}  # and the other way round
    assert model.pending == {"x": []}


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_model_keeps_its_game_state_its_own(tiny, how):
    """A deep copy or an unpickled model plays on exactly as the original, its game state shared with it alone."""
    import copy
    import pickle

    model = new_game(tiny)
    model.run(2)
    twin = copy.deepcopy(model) if how == "deepcopy" else pickle.loads(pickle.dumps(model))
    assert vars(twin.game) is vars(twin) and twin.game is not model.game
    assert model_digest(twin) == model_digest(model)
    twin.run(2)
    model.run(2)
    assert model_digest(twin) == model_digest(model)
    twin.flows = {"in:test": 2.0}
    assert twin.game.flows == {"in:test": 2.0} and model.flows != twin.flows


def test_tables_that_grow_in_a_game_load_back(tiny, tmp_path):
    """Packaging lines, grid orders and queued requests added during a game are rows, not a shape
    the scenario fixes (a save with a packaging line built in the game used to be refused)."""
    m = SovereignModel(tiny, rng=1)
    m.step()
    m.world.add_packaging(0, m.seat_index("fabco"), 1000.0, m.quarter, "a new line")
    m.world.queue_others = np.array([[0, m.quarter, 50.0, 50.0], [1, m.quarter, 20.0, 20.0]])
    path = tmp_path / "grown.json.gz"
    save_game(m, path)
    back = load_game(path)
    assert len(back.world.pkg_region) == len(m.world.pkg_region)
    assert back.world.queue_others.shape == (2, 4)
    assert model_digest(back) == model_digest(m)
