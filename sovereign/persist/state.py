"""The full state of a game as plain data, and back: `model_to_state` / `model_from_state`.

A `SovereignModel` is a scenario (immutable), tables derived from it (`ScenarioTables`, rebuilt
by the constructor) and one `GameState` (`sovereign.sim.gamestate`): the seats and their
balance sheets, the world arrays, the economy, queued orders and decisions, the logs, the last
quarter's results and the random streams. A save holds the scenario, the seed, every field of
the `GameState` in field order, and Mesa's own counters, clock and generators (no game rule reads
them, but `model.steps`, `model.time` and agent ids carry on). So a loaded game continues bit for
bit like the original, and a field added to `GameState` is saved without being listed here: each
field is written by the codec for its declared type (`_CODECS`; plain data by the generic one),
and a test fails if a new field's type has no way to be written.

Agents are not copied: they are recreated through the model (like `SovereignModel` does) and
given their saved ``state``, so Mesa's registries stay consistent.
"""

from __future__ import annotations

import hashlib
import json
import typing
import weakref
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from sovereign.persist.codec import CodecError, decode, encode
from sovereign.persist.errors import SaveError
from sovereign.sim.commandlog import CommandLog
from sovereign.sim.gamestate import GameState
from sovereign.sim.phases.metrics import MetricsRecorder

if TYPE_CHECKING:
    from sovereign.sim.agents import SeatAgent
    from sovereign.sim.model import SovereignModel


@dataclass(frozen=True)
class GamePart:
    """One saved field of `GameState`: its name, declared type, and whether it is an append-only log."""

    name: str
    hint: Any
    log: bool
    tables: tuple[str, ...]


def _game_parts() -> tuple[GamePart, ...]:
    """The saved fields of `GameState`, in order, with their resolved types."""
    from sovereign.sim.agents import SeatAgent
    from sovereign.sim.commands import Command
    from sovereign.sim.world import World

    hints = typing.get_type_hints(
        GameState, localns={"SeatAgent": SeatAgent, "Command": Command, "World": World}, include_extras=True
    )
    return tuple(
        GamePart(f.name, hints[f.name], bool(f.metadata.get("log")), tuple(f.metadata.get("tables", ())))
        for f in fields(GameState)
        if not f.metadata.get("derived")
    )


#: The parts of the game state a save holds, in order.
GAME_PARTS = _game_parts()
#: Keys of a state dict, in the order they are written (and hashed): the scenario, the seed that
#: built the model, the game state's fields, Mesa's counters.
STATE_KEYS = ("scenario", "seed", *(p.name for p in GAME_PARTS), "mesa")
RNG_STREAMS = ("events", "agents", "startups")


class StateError(ValueError):
    """Saved state that is malformed or inconsistent with its scenario (wrapped in SaveError)."""


# ----------------------------------------------------------------------------------------------
# seeds
def seed_info(model: SovereignModel) -> dict[str, Any]:
    """The SeedSequence the model was built from, as data (entropy, spawn key, pool size).

    Why: a model keeps its random streams, not its seed, and a run of an ensemble is seeded with a
    *child* SeedSequence whose spawn key matters. The events stream is the first of the four
    children the constructor spawns, so its SeedSequence names the parent exactly.
    """
    seq = model.rngs["events"].bit_generator.seed_seq
    key = [int(k) for k in seq.spawn_key]
    if not key:  # not spawned from a parent: cannot happen with SovereignModel
        raise StateError("the model's random streams were not spawned from one SeedSequence")
    entropy = seq.entropy
    return {
        "entropy": [int(e) for e in entropy] if isinstance(entropy, list | tuple | np.ndarray) else int(entropy),
        "spawn_key": key[:-1],
        "pool_size": int(seq.pool_size),
        "n_children_spawned": key[-1],
    }


def seed_sequence(info: Any) -> np.random.SeedSequence:
    """Rebuild the SeedSequence described by `seed_info`, as it was before the model spawned."""
    if not isinstance(info, dict) or set(info) != {"entropy", "spawn_key", "pool_size", "n_children_spawned"}:
        raise StateError("seed: expected entropy, spawn_key, pool_size and n_children_spawned")
    entropy = info["entropy"]
    ints = entropy if isinstance(entropy, list) else [entropy]
    key, pool, spawned = info["spawn_key"], info["pool_size"], info["n_children_spawned"]
    if (
        not ints
        or not all(_is_int(e) and e >= 0 for e in ints)
        or not isinstance(key, list)
        or not all(_is_int(k) and k >= 0 for k in key)
        or not _is_int(pool)
        or not 4 <= pool <= 64
        or not _is_int(spawned)
        or spawned < 0
    ):
        raise StateError(f"seed: malformed seed {info!r}")
    return np.random.SeedSequence(entropy, spawn_key=tuple(key), pool_size=pool, n_children_spawned=spawned)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


# ----------------------------------------------------------------------------------------------
# model -> state
def model_to_state(
    model: SovereignModel, *, include_scenario: bool = True, include_logs: bool = True
) -> dict[str, Any]:
    """Everything needed to continue `model` exactly, as JSON-able data.

    Args:
        model: The game, between quarters (after `step`, possibly with commands queued).
        include_scenario: Embed the scenario's full content (a save does; a state hash uses only
            the scenario's hash, which is cheaper and says the same).
        include_logs: Encode the logs (commands, news, metrics); `model_digest` hashes them
            incrementally instead, and gets None here.

    Returns:
        A dict with the keys of `STATE_KEYS`; values are plain JSON (see `sovereign.persist.codec`).

    Raises:
        SaveError: Some state cannot be encoded (a value of an unexpected type); the message
            names where it is.
    """
    from sovereign.scenario.loader import scenario_hash, scenario_to_dict

    sc = model.scenario
    scenario: dict[str, Any] = {"id": sc.meta.id, "title": sc.meta.title, "hash": scenario_hash(sc)}
    if include_scenario:
        scenario["content"] = scenario_to_dict(sc)
    try:
        state: dict[str, Any] = {"scenario": scenario, "seed": seed_info(model)}
        for part in GAME_PARTS:
            value = getattr(model.game, part.name)
            skip = part.log and not include_logs
            state[part.name] = None if skip else _codec(part).dump(value, part.name)
        state["mesa"] = _mesa_to_data(model)
    except (CodecError, StateError) as exc:
        raise SaveError(f"cannot save this game: {exc}") from None
    return state


@dataclass(frozen=True)
class Codec:
    """How one kind of game-state value is written and read back.

    ``dump(value, where)`` gives JSON-able data; ``load(model, data, where)`` puts the saved data
    into a freshly constructed `model` (checking it) and returns what the loader needs later (the
    seats codec returns the agents' Mesa ids).
    """

    dump: Callable[[Any, str], Any]
    load: Callable[[SovereignModel, Any, str], Any]


def _generic_codec(name: str, hint: Any) -> Codec:
    """Plain data (numbers, text, dicts, lists, allow-listed dataclasses): encode and decode as is.

    Loading checks the decoded value has the declared container or class; a ``defaultdict``
    gets the default factory of the fresh model's value back.
    """
    origin = typing.get_origin(hint) or hint

    def dump(value: Any, where: str) -> Any:
        return encode(dict(value) if isinstance(value, defaultdict) else value, where)

    def load(model: SovereignModel, data: Any, where: str) -> None:
        if data is None and name == "quarter_news":  # saves migrated from format 0 did not keep it
            return
        value = decode(data, where)
        want = dict if origin is defaultdict else origin
        _need(isinstance(value, want), f"{where}: expected {getattr(want, '__name__', want)}")
        if isinstance(value, list) and typing.get_args(hint)[:1] == (dict[str, Any],):
            value = _list_of_dicts(value, where)
        if origin is defaultdict:
            value = defaultdict(getattr(model.game, name).default_factory, value)
        setattr(model.game, name, value)

    return Codec(dump, load)


def _codec(part: GamePart) -> Codec:
    """The codec of a part: by its declared type, else the generic one."""
    for hint, codec in _CODECS.items():
        if part.hint == hint:
            return codec
    return _generic_codec(part.name, part.hint)


def _dump_agents(seats: dict[str, SeatAgent], where: str) -> list[dict[str, Any]]:
    return [_agent_to_data(agent) for agent in seats.values()]


def _dump_rngs(rngs: dict[str, np.random.Generator], where: str) -> dict[str, Any]:
    return {name: encode(rngs[name].bit_generator.state, f"{where}.{name}") for name in RNG_STREAMS}


def _load_rngs(model: SovereignModel, data: Any, where: str) -> None:
    _need(isinstance(data, dict) and set(data) == set(RNG_STREAMS), f"{where}: expected streams {RNG_STREAMS}")
    for name in RNG_STREAMS:
        _set_bitgen_state(model.rngs[name], decode(data[name], f"{where}.{name}"), f"{where}.{name}")


def _load_world(model: SovereignModel, data: Any, where: str) -> None:
    from sovereign.sim.world import World

    model.world = World.from_dict(_checked_world(decode(data, where), model.world, len(model.seat_ids)))


def _dump_pending(pending: dict[str, list[Any]], where: str) -> dict[str, Any]:
    from sovereign.sim.commands import command_to_dict

    return {seat: [command_to_dict(c) for c in cmds] for seat, cmds in pending.items()}


def _load_pending(model: SovereignModel, data: Any, where: str) -> None:
    from sovereign.sim.commands import CommandError, command_from_dict

    _need(isinstance(data, dict), f"{where}: a mapping of seat -> commands")
    model.pending = defaultdict(list)
    try:
        for seat, cmds in data.items():
            _need(isinstance(cmds, list), f"{where}.{seat}: a list")
            model.pending[seat] = [command_from_dict(c) for c in cmds]
    except CommandError as exc:
        raise StateError(f"a queued command is invalid: {exc}") from None


def _dump_bids(bids: list[tuple[str, Any]], where: str) -> list[list[Any]]:
    from sovereign.sim.commands import command_to_dict

    return [[seat, command_to_dict(cmd)] for seat, cmd in bids]


def _load_bids(model: SovereignModel, data: Any, where: str) -> None:
    from sovereign.sim.commands import CommandError, command_from_dict

    if data is None:
        model.bids = []
        return
    _need(isinstance(data, list) and all(isinstance(b, list) and len(b) == 2 for b in data), f"{where}: pairs")
    try:
        model.bids = [(str(seat), command_from_dict(cmd)) for seat, cmd in data]
    except CommandError as exc:
        raise StateError(f"a queued command is invalid: {exc}") from None


def _dump_metrics(metrics: MetricsRecorder, where: str) -> dict[str, Any]:
    return {t: encode(list(getattr(metrics, t)), f"{where}.{t}") for t in MetricsRecorder.TABLES}


def _load_metrics(model: SovereignModel, data: Any, where: str) -> None:
    tables = MetricsRecorder.TABLES
    _need(isinstance(data, dict) and set(data) == set(tables), f"{where}: the tables {', '.join(tables)}")
    recorder = MetricsRecorder()
    for table in tables:
        setattr(recorder, table, _list_of_dicts(decode(data[table], f"{where}.{table}"), f"{where}.{table}"))
    model.metrics = recorder


def _dump_command_log(log: CommandLog, where: str) -> Any:
    return encode(list(log), where)


def _load_command_log(model: SovereignModel, data: Any, where: str) -> None:
    model.command_log = CommandLog(_list_of_dicts(decode(data, where), where))


def _load_human_seats(model: SovereignModel, data: Any, where: str) -> None:
    _need(isinstance(data, list) and all(isinstance(s, str) for s in data), f"{where}: a list of seat ids")
    _need(set(data) <= set(model.seats), f"{where}: names a seat that is not in the game")
    model.human_seats = set(data)


def _codecs() -> dict[Any, Codec]:
    from sovereign.sim.agents import SeatAgent
    from sovereign.sim.commands import Command
    from sovereign.sim.world import World

    return {
        set[str]: Codec(lambda v, w: sorted(v), _load_human_seats),
        dict[str, np.random.Generator]: Codec(_dump_rngs, _load_rngs),
        dict[str, SeatAgent]: Codec(_dump_agents, lambda m, d, w: None),  # rebuilt first, see `_restore_seats`
        World: Codec(lambda v, w: encode(v.to_dict(), w), _load_world),
        defaultdict[str, list[Command]]: Codec(_dump_pending, _load_pending),
        list[tuple[str, Command]]: Codec(_dump_bids, _load_bids),
        MetricsRecorder: Codec(_dump_metrics, _load_metrics),
        CommandLog: Codec(_dump_command_log, _load_command_log),
    }


#: Codecs by declared type, for the values that are not plain data (agents, commands, generators...).
_CODECS = _codecs()


def _agent_to_data(agent: SeatAgent) -> dict[str, Any]:
    return {
        "id": agent.seat_id,
        "kind": agent.kind,
        "unique_id": int(agent.unique_id),
        "state": encode(dict(agent.state), f"seats.{agent.seat_id}.state"),
    }


def _mesa_to_data(model: SovereignModel) -> dict[str, Any]:
    return {
        "steps": int(model.steps),
        "time": float(model.time),
        "running": bool(model.running),
        "agent_id_counter": int(model.agent_id_counter),
        "seed": encode(getattr(model, "_seed", None), "mesa.seed"),
        "rng": encode(model.rng.bit_generator.state, "mesa.rng"),
        "initial_rng": encode(getattr(model, "_rng", None), "mesa.initial_rng"),
        "random": encode(model.random.getstate(), "mesa.random"),
    }


# ----------------------------------------------------------------------------------------------
# state -> model
def model_from_state(state: Any, source: str | None = None) -> SovereignModel:
    """Rebuild a model from `model_to_state` output; it continues exactly like the original.

    Args:
        state: A state dict (with the scenario content embedded).
        source: The file it came from, named in errors.

    Returns:
        A fresh `SovereignModel` in the saved state.

    Raises:
        SaveError: The state is malformed or does not fit its scenario; says what and where.
    """
    try:
        return _model_from_state(state, source)
    except SaveError:
        raise
    except (StateError, CodecError) as exc:
        raise SaveError(f"the saved game is inconsistent: {exc}", source) from None
    except Exception as exc:  # a boundary: a crafted file must never crash the game
        raise SaveError(f"the saved game is inconsistent ({type(exc).__name__}: {exc})", source) from None


def _need(ok: bool, message: str) -> None:
    if not ok:
        raise StateError(message)


def _model_from_state(state: Any, source: str | None) -> SovereignModel:
    """Build through the constructor, then put back every part of the game state, checking it."""
    _need(isinstance(state, dict), "the game state must be a mapping")
    missing = [k for k in STATE_KEYS if k not in state]
    _need(not missing, f"missing parts: {', '.join(missing)}")
    unexpected = [k for k in state if k not in STATE_KEYS]
    _need(not unexpected, f"unexpected parts: {', '.join(map(str, unexpected))}")
    model = _constructed(state, source)
    unique_ids = _restore_seats(model, state)  # first: other parts are checked against the seats
    for part in GAME_PARTS:
        _codec(part).load(model, state[part.name], part.name)
    _restore_mesa(model, state["mesa"], unique_ids)
    return model


def _constructed(state: dict[str, Any], source: str | None) -> SovereignModel:
    """A new model of the saved scenario, seed, seats and difficulty, at the saved quarter."""
    from sovereign.scenario.loader import ScenarioError, scenario_from_dict
    from sovereign.sim.model import SovereignModel
    from sovereign.sim.policy.difficulty import DIFFICULTY

    sc_data = state["scenario"]
    _need(isinstance(sc_data, dict) and "content" in sc_data, "scenario: the content is missing")
    try:
        scenario = scenario_from_dict(sc_data["content"], source=f"{source or 'save'} (embedded scenario)")
    except ScenarioError as exc:
        raise SaveError(f"the embedded scenario is invalid:\n{exc}", source) from None
    # The file checksum already guards the content. The hash is provenance: a newer schema may
    # fill in new defaults and hash the same world differently, which must not make an intact
    # old save unreadable (a replay reports such a difference as the `scenario` part).
    _need(isinstance(sc_data.get("hash"), str), "scenario: the hash must be text")
    difficulty = state["difficulty"]
    _need(difficulty in DIFFICULTY, f"difficulty: unknown level {difficulty!r}")
    humans = state["human_seats"]
    _need(isinstance(humans, list) and all(isinstance(s, str) for s in humans), "human_seats: a list of seat ids")
    model = SovereignModel(scenario, rng=seed_sequence(state["seed"]), human_seats=humans, difficulty=difficulty)
    quarter = state["quarter"]
    _need(_is_int(quarter) and model.start_q <= quarter <= model.end_q + 1, f"quarter: {quarter!r} is outside the game")
    model.quarter = quarter
    return model


def _restore_seats(model: SovereignModel, state: dict[str, Any]) -> list[tuple[SeatAgent, int]]:
    """Recreate the agents through the model, in the saved order; return their Mesa ids to set."""
    from sovereign.sim.agents import AGENT_CLASSES, AIStartup, Nation

    classes: dict[str, type[SeatAgent]] = {"nation": Nation, "startup": AIStartup, **AGENT_CLASSES}
    seat_ids = state["seat_ids"]
    _need(
        isinstance(seat_ids, list)
        and all(isinstance(s, str) for s in seat_ids)
        and len(set(seat_ids)) == len(seat_ids),
        "seat_ids: a list of distinct seat ids",
    )
    for agent in list(model.seats.values()):
        agent.remove()
    model.seats = {}
    model.seat_ids = []
    model.seat_pos = {}
    _need(isinstance(state["seats"], list), "seats: a list")
    unique_ids: list[tuple[SeatAgent, int]] = []
    for i, item in enumerate(state["seats"]):
        _need(isinstance(item, dict) and set(item) == {"id", "kind", "unique_id", "state"}, f"seats.{i}: malformed")
        sid, kind = item["id"], item["kind"]
        _need(isinstance(sid, str) and sid in seat_ids and sid not in model.seats, f"seats.{i}: bad or repeated id")
        _need(isinstance(kind, str) and kind in classes, f"seats.{sid}: unknown kind {kind!r}")
        agent_state = decode(item["state"], f"seats.{sid}.state")
        _need(isinstance(agent_state, dict) and isinstance(agent_state.get("home"), str), f"seats.{sid}: bad state")
        _need(agent_state["home"] in model.region_ix, f"seats.{sid}: home {agent_state['home']!r} is not a region")
        _need(isinstance(agent_state.get("name"), str), f"seats.{sid}: state needs a name")
        agent = model.add_seat(classes[kind], sid, agent_state)
        _need(agent.kind == kind, f"seats.{sid}: a {kind} cannot be rebuilt from this state")
        _need(_is_int(item["unique_id"]), f"seats.{sid}: bad unique_id")
        unique_ids.append((agent, item["unique_id"]))
    for r in model.scenario.regions:
        _need(r.id in model.seats and model.seats[r.id].kind == "nation", f"seats: nation {r.id} is missing")
    model.seat_ids = list(seat_ids)
    model.seat_pos = {s: i for i, s in enumerate(seat_ids)}
    retired = state["retired_homes"]
    _need(
        isinstance(retired, dict) and all(isinstance(v, str) and v in model.region_ix for v in retired.values()),
        "retired_homes: a mapping of seat -> home region",
    )
    _need(all(s in model.seat_pos for s in (*model.seats, *retired)), "seat_ids: does not list every seat")
    model.retired_homes = dict(retired)
    _need(model.human_seats <= set(model.seats), "human_seats: names a seat that is not in the game")
    return unique_ids


def _list_of_dicts(value: Any, where: str) -> list[dict[str, Any]]:
    _need(isinstance(value, list) and all(isinstance(v, dict) for v in value), f"{where}: a list of records")
    return value


def _set_bitgen_state(gen: np.random.Generator, value: Any, where: str) -> None:
    _need(isinstance(value, dict), f"{where}: a generator state")
    name = type(gen.bit_generator).__name__
    _need(
        value.get("bit_generator") == name, f"{where}: a {name} state is needed, found {value.get('bit_generator')!r}"
    )
    try:
        gen.bit_generator.state = value
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise StateError(f"{where}: invalid generator state ({exc})") from None


# Row counts of the growable tables: which world fields belong to which table.
_TABLES = {
    "dc": (
        "dc_region",
        "dc_owner",
        "dc_it_mw",
        "dc_pue",
        "dc_stock",
        "dc_kw",
        "dc_origin",
        "dc_util",
        "dc_contract_rent",
        "dc_energy",
        "dc_upgrades",
        "dc_name",
    ),
    "fab": ("fab_region", "fab_owner", "fab_class", "fab_capacity", "fab_online", "fab_name"),
    "plant": ("plant_region", "plant_owner", "plant_tech", "plant_mw"),
    "packaging": ("pkg_region", "pkg_owner", "pkg_capacity", "pkg_online", "pkg_name"),
    # the grid's growable lists (one array each: its columns are fixed, its rows grow)
    "grid_order": ("grid_orders",),
    "network_order": ("network_orders",),
    "hbm_order": ("hbm_orders",),
    "queued_request": ("queue_others",),
}


def _checked_world(data: Any, fresh: Any, n_seats: int) -> dict[str, Any]:
    """Check saved world fields against a freshly built world: same fields, dtypes and shapes.

    Why: a save with a wrong shape would load fine and crash quarters later, far from the cause.
    Fixed-size arrays must match exactly; growable tables (datacenters, fabs, plants) may have any
    number of rows, the same in every column of the table, with indices in range.
    """
    expected = fresh.to_dict()
    _need(isinstance(data, dict), "world: a mapping of fields")
    _need(set(data) == set(expected), f"world: fields differ ({sorted(set(data) ^ set(expected))})")
    rows: dict[str, int] = {}
    table_of = {f: t for t, fields in _TABLES.items() for f in fields}
    for name, ref in expected.items():
        value = data[name]
        where = f"world.{name}"
        if isinstance(ref, list):
            _need(isinstance(value, list), f"{where}: a list")
            if name in ("projects", "deals", "covert"):
                _need(all(isinstance(p, dict) for p in value), f"{where}: a list of records")
            else:
                _need(all(isinstance(v, str) for v in value), f"{where}: a list of names")
        else:
            _need(isinstance(value, np.ndarray), f"{where}: an array")
            _need(value.dtype == ref.dtype, f"{where}: dtype {value.dtype}, expected {ref.dtype}")
            _need(value.ndim == ref.ndim, f"{where}: {value.ndim} dimensions, expected {ref.ndim}")
            fixed = ref.shape[1:] if name in table_of else ref.shape
            got = value.shape[1:] if name in table_of else value.shape
            _need(got == fixed, f"{where}: shape {value.shape} does not fit the scenario ({ref.shape})")
        if name in table_of:
            n = len(value)
            table = table_of[name]
            _need(rows.setdefault(table, n) == n, f"{where}: {n} rows, but other {table} columns have {rows[table]}")
    n_r = len(expected["pue"])
    for name in ("dc_region", "fab_region", "plant_region", "pkg_region"):
        _need(bool(np.all((data[name] >= 0) & (data[name] < n_r))), f"world.{name}: region index out of range")
    for name in ("dc_owner", "fab_owner", "plant_owner", "pkg_owner"):
        _need(bool(np.all((data[name] >= 0) & (data[name] < n_seats))), f"world.{name}: seat index out of range")
    for name, col in (("grid_orders", 1), ("network_orders", 1), ("queue_others", 0)):
        regions = data[name][:, col]
        _need(bool(np.all((regions >= 0) & (regions < n_r))), f"world.{name}: region index out of range")
    pools = data["hbm_orders"][:, 1]
    _need(bool(np.all(pools < len(expected["hbm_capacity"]))), "world.hbm_orders: supply index out of range")
    return data


def _restore_mesa(model: SovereignModel, data: Any, unique_ids: list[tuple[SeatAgent, int]]) -> None:
    """Put Mesa's counters, generators and clock back (the one place that knows Mesa internals).

    ``data`` is None for saves migrated from format 0, which did not keep Mesa's state: the
    constructor's generators stay (no game rule reads them) and the counters follow the quarter.
    """
    if data is None:
        for agent, uid in unique_ids:
            agent.unique_id = uid
        model.agent_id_counter = max((uid for _, uid in unique_ids), default=0) + 1
        played = model.quarter - model.start_q
        _set_mesa_clock(model, float(played), played)
        return
    keys = {"steps", "time", "running", "agent_id_counter", "seed", "rng", "initial_rng", "random"}
    _need(isinstance(data, dict) and set(data) == keys, "mesa: malformed")
    steps, time, counter = data["steps"], data["time"], data["agent_id_counter"]
    _need(_is_int(steps) and steps >= 0 and isinstance(time, float) and time >= 0, "mesa: bad steps or time")
    _need(_is_int(counter) and counter >= 1 and isinstance(data["running"], bool), "mesa: bad counter")
    _set_bitgen_state(model.rng, decode(data["rng"], "mesa.rng"), "mesa.rng")
    state = decode(data["random"], "mesa.random")
    try:
        model.random.setstate(state)
    except (TypeError, ValueError) as exc:
        raise StateError(f"mesa.random: invalid state ({exc})") from None
    model._seed = decode(data["seed"], "mesa.seed")
    model._rng = decode(data["initial_rng"], "mesa.initial_rng")
    model.running = data["running"]
    for agent, uid in unique_ids:
        agent.unique_id = uid
    model.agent_id_counter = counter
    _set_mesa_clock(model, time, steps)


def _set_mesa_clock(model: SovereignModel, time: float, steps: int) -> None:
    """Move Mesa's clock to `time` without playing quarters.

    Why: Mesa 3.5 drives `step()` from a recurring event scheduled at ``time + 1``; setting
    ``model.time`` alone would leave that event at 1.0 and the next `step()` would play every
    quarter in between. Pausing and resuming the generator reschedules it from the new time.
    Mesa's time API is changing, so this adapter is the only code that touches it.
    """
    schedule = getattr(model, "_default_schedule", None)
    if schedule is None or not hasattr(schedule, "pause"):  # a Mesa without the event clock
        model.time = time
        model.steps = steps
        return
    schedule.pause()
    model.time = time
    schedule.resume()
    schedule._execution_count = steps
    model.steps = steps


# ----------------------------------------------------------------------------------------------
# hashes
def _canonical(value: Any) -> bytes:
    """Compact JSON in document order: key order is state too (seat order decides who moves first)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


#: Append-only logs (state key -> its tables, or () for a plain list), hashed item by item: a live
#: game's digest then encodes only what is new since the last quarter, not the whole history.
LOG_PARTS: dict[str, tuple[str, ...]] = {p.name: p.tables for p in GAME_PARTS if p.log}
_LOG_CACHE: weakref.WeakKeyDictionary[SovereignModel, dict[str, list[Any]]] = weakref.WeakKeyDictionary()


def _log_hasher(items: list[Any]) -> Any:
    hasher = hashlib.sha256()
    for item in items:
        hasher.update(_canonical(item) + b"\n")
    return hasher


def _combine(parts: dict[str, str]) -> dict[str, Any]:
    whole = hashlib.sha256("".join(parts[k] for k in STATE_KEYS).encode("ascii")).hexdigest()
    return {"state": whole, "parts": parts}


def _tables_hash(hashes: list[str]) -> str:
    return hashlib.sha256("".join(hashes).encode("ascii")).hexdigest()


def state_digest(state: dict[str, Any]) -> dict[str, Any]:
    """SHA-256 of each part of a state, and of the whole (the parts' hashes in order).

    The scenario counts by its hash only, so a state with or without embedded content digests
    the same. Per-part hashes let a replay say *what* diverged (the world, a seat, the random
    streams), not only *that* it did. Logs hash as the SHA-256 of their items' compact JSON, one
    per line (metrics: of its four tables' hashes), which `model_digest` can extend quarter by
    quarter.

    Returns:
        ``{"state": hex, "parts": {key: hex}}``.
    """
    parts: dict[str, str] = {}
    for key in STATE_KEYS:
        value = state[key]
        if key == "scenario":
            parts[key] = hashlib.sha256(_canonical(value["hash"])).hexdigest()
        elif LOG_PARTS.get(key):
            parts[key] = _tables_hash([_log_hasher(value[t]).hexdigest() for t in LOG_PARTS[key]])
        elif key in LOG_PARTS:
            parts[key] = _log_hasher(value).hexdigest()
        else:
            parts[key] = hashlib.sha256(_canonical(value)).hexdigest()
    return _combine(parts)


def _live_log_hash(model: SovereignModel, name: str, items: list[Any]) -> str:
    """Hash of a live log, encoding only the items appended since the previous call.

    Why it is safe: logs are append-only (commands, news and metrics rows are never edited);
    if a log is replaced or shrinks, the hash starts again from its first item.
    """
    cache = _LOG_CACHE.setdefault(model, {})
    entry = cache.get(name)
    if entry is None or entry[0] is not items or len(items) < entry[1]:
        entry = [items, 0, hashlib.sha256()]
        cache[name] = entry
    hasher = entry[2]
    for i in range(entry[1], len(items)):
        hasher.update(_canonical(encode(items[i], f"{name}.{i}")) + b"\n")
    entry[1] = len(items)
    return hasher.hexdigest()


def model_digest(model: SovereignModel) -> dict[str, Any]:
    """`state_digest` of a live model, computed incrementally for its logs (cheap every quarter).

    Raises:
        SaveError: Some state cannot be encoded.
    """
    state = model_to_state(model, include_scenario=False, include_logs=False)
    parts: dict[str, str] = {}
    try:
        for key in STATE_KEYS:
            if key == "scenario":
                parts[key] = hashlib.sha256(_canonical(state[key]["hash"])).hexdigest()
            elif key == "metrics":
                m = model.metrics
                tables = [_live_log_hash(model, f"metrics.{t}", getattr(m, t)) for t in LOG_PARTS[key]]
                parts[key] = _tables_hash(tables)
            elif key in LOG_PARTS:
                parts[key] = _live_log_hash(model, key, getattr(model, key))
            else:
                parts[key] = hashlib.sha256(_canonical(state[key])).hexdigest()
    except CodecError as exc:
        raise SaveError(f"cannot hash this game: {exc}") from None
    return _combine(parts)


__all__ = [
    "GAME_PARTS",
    "STATE_KEYS",
    "SaveError",
    "model_digest",
    "model_from_state",
    "model_to_state",
    "seed_info",
    "seed_sequence",
    "state_digest",
]
