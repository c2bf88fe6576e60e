"""Replays: re-run a game from its scenario, seed and command log, and check it arrives where it did.

This is how a class's game is reviewed afterwards, and how a save proves it is honest. AI seats
are deterministic, so only the people's commands are needed: every command a human seat
submitted is submitted again at its quarter (refused ones too, so the log is rebuilt exactly),
and each quarter's state digest is compared with the one recorded while the game was played.
The first difference is reported with the quarter and the parts of the state that differ
(world, seats, random streams...); at the save point, where the full state is known, down to the
first differing value.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sovereign.persist.errors import SaveError
from sovereign.persist.state import STATE_KEYS, model_digest, model_to_state, seed_sequence, state_digest

if TYPE_CHECKING:
    from sovereign.scenario.schema import Scenario
    from sovereign.sim.model import SovereignModel


@dataclass(frozen=True)
class Divergence:
    """Where a replay first differs from the game it replays.

    Attributes:
        quarter: Label of the quarter at which the difference appeared.
        parts: State parts that differ (e.g. ``world``, ``seats``, ``rngs``), if known.
        detail: What differs, in words.
    """

    quarter: str
    parts: tuple[str, ...]
    detail: str

    def describe(self) -> str:
        """One paragraph for a terminal."""
        parts = f" (differing: {', '.join(self.parts)})" if self.parts else ""
        return f"first divergence at {self.quarter}{parts}: {self.detail}"


@dataclass
class ReplayReport:
    """Outcome of a replay.

    Attributes:
        quarters: Quarters re-played.
        checked: Quarter digests compared with recorded ones.
        recorded: Quarter digests the game had recorded (a save from format 0 has none).
        divergence: The first difference, or None when the replay matches.
        model: The replayed model (at the save point, or where it diverged).
        hashes: Digests of the replayed quarters, by absolute quarter index.
    """

    quarters: int
    checked: int
    recorded: int
    divergence: Divergence | None
    model: SovereignModel
    hashes: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the replay reached exactly the saved state."""
        return self.divergence is None

    def describe(self) -> str:
        """A short verdict for a terminal."""
        if self.divergence is not None:
            return f"replay DIVERGES after {self.quarters} quarter(s): {self.divergence.describe()}"
        return (
            f"replay OK: {self.quarters} quarter(s) re-played, {self.checked} quarter hash(es) checked, "
            "final state identical"
        )


def human_submissions(
    command_log: Sequence[dict[str, Any]], human_seats: set[str], *, hand_overs: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """The commands people submitted or withdrew, by quarter label, in the order they did it.

    Why by seat: AI seats submit inside `step`, people before it; the log does not say who typed a
    command, so a seat counts as human if it is one in the save. An entry that carries an
    ``origin`` field (``"human"`` or ``"ai"``) is taken at its word. Withdrawals (stage
    ``withdraw``) are kept in their place: `resubmit` plays both kinds back. With `hand_overs`,
    the seats handed between people and AI (stage ``control``) are kept in their place too, for
    the tools that play a game again (a replay, a what-if).
    """
    stages = ("submit", "withdraw", "control") if hand_overs else ("submit", "withdraw")
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in command_log:
        if not isinstance(entry, dict) or entry.get("stage") not in stages:
            continue
        origin = entry.get("origin")
        human = origin == "human" if origin is not None else entry.get("seat") in human_seats
        if human or entry.get("stage") == "control":
            out[str(entry.get("quarter"))].append(entry)
    return out


def hand_over_to(entry: dict[str, Any]) -> str | None:
    """Who a logged hand-over gave its seat to (``"human"`` or ``"ai"``); None for any other entry."""
    if entry.get("stage") != "control":
        return None
    to = entry.get("command", {}).get("kind") == "hand_seat" and entry["command"].get("to")
    return to if to in ("human", "ai") else None


def first_human_seats(command_log: Sequence[dict[str, Any]], human_seats: list[str] | set[str]) -> list[str]:
    """The seats people played at the start of a game that has `human_seats` now.

    Seats handed between people and AI during the game are logged (`SovereignModel.hand_seat`);
    undoing those hand-overs from the last to the first gives the seats of the first quarter,
    which is where a replay has to start.
    """
    seats = set(human_seats)
    for entry in reversed(command_log):
        to = hand_over_to(entry) if isinstance(entry, dict) else None
        if to == "human":
            seats.discard(str(entry["seat"]))
        elif to == "ai":
            seats.add(str(entry["seat"]))
    return sorted(seats)


def without_withdrawn(submissions: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The submissions of `human_submissions` minus withdrawals and the commands they took back.

    For tools that alter a game's commands (what-if runs): there a command is either played or not,
    so a command queued then withdrawn is simply one that was never played.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for label, entries in submissions.items():
        queues: dict[str, list[int]] = defaultdict(list)  # seat -> positions in `entries` still queued
        gone: set[int] = set()
        for pos, entry in enumerate(entries):
            seat = str(entry.get("seat"))
            if entry.get("stage") == "withdraw":
                gone.add(pos)
                index = entry.get("index")
                if isinstance(index, int) and 0 <= index < len(queues[seat]):
                    gone.add(queues[seat].pop(index))
            elif entry.get("stage") == "submit" and entry.get("accepted"):
                queues[seat].append(pos)
        out[label] = [e for pos, e in enumerate(entries) if pos not in gone]
    return out


def resubmit(model: SovereignModel, entry: dict[str, Any]) -> str | None:
    """Play one logged entry back: submit a person's command, withdraw it, or hand a seat over.

    Returns:
        Why the model now answers differently from the log (None when it agrees).

    Raises:
        CommandError: The logged command cannot be read.
    """
    from sovereign.sim.commands import command_from_dict

    seat = str(entry["seat"])
    what = f"{seat}'s {entry['command'].get('kind', 'command')}"
    to = hand_over_to(entry)
    if to is not None:
        try:
            changed = model.hand_seat(seat, to)
        except ValueError as exc:
            return f"{seat} was handed to {to} in the game but cannot be now ({exc})"
        return None if changed else f"{seat} was handed to {to} in the game, but that is who plays it now already"
    if entry.get("stage") == "withdraw":
        index = entry.get("index")
        queue = model.pending.get(seat, [])
        expected = command_from_dict(entry["command"])
        if not isinstance(index, int) or not 0 <= index < len(queue) or queue[index] != expected:
            return f"{what} was withdrawn in the game but is not in the queue now"
        model.withdraw(seat, index, str(entry.get("origin", "human")))
        return None
    result = model.submit(seat, entry["command"])
    if result.accepted != bool(entry.get("accepted")):
        was = "accepted" if entry.get("accepted") else f"refused ({entry.get('reason')})"
        now = "accepted" if result.accepted else f"refused ({result.reason})"
        return f"{what} was {was} in the game but {now} now"
    return None


# C901: the replay loop with one early report per kind of divergence, each where it is detected.
def replay_state(  # noqa: C901
    state: dict[str, Any],
    recorded: dict[int, dict[str, Any]] | None = None,
    human_seats: list[str] | None = None,
    *,
    scenario: Scenario | None = None,
    on_quarter: Callable[[SovereignModel], None] | None = None,
    unrecorded: tuple[str, ...] = (),
) -> ReplayReport:
    """Re-run a saved game from its scenario and seed, checking each quarter.

    Args:
        state: The saved state (`model_to_state` output; content of the scenario embedded unless
            `scenario` is given).
        recorded: Digests recorded while playing, by absolute quarter index.
        human_seats: Seats whose commands came from people (default: the state's).
        scenario: The scenario, if already validated (saves re-validating it).
        on_quarter: Called with the replayed model after each quarter (for progress and reviews).
        unrecorded: State parts the save did not keep (older formats); not compared.

    Returns:
        The report; `ReplayReport.ok` says whether the replay matched.

    Raises:
        SaveError: The state cannot be replayed at all (bad scenario or seed).
    """
    from sovereign.scenario.loader import ScenarioError, scenario_from_dict
    from sovereign.scenario.schema import quarter_label
    from sovereign.sim.commands import CommandError
    from sovereign.sim.model import SovereignModel

    recorded = recorded or {}
    if scenario is None:
        try:
            scenario = scenario_from_dict(state["scenario"]["content"], source="save (embedded scenario)")
        except ScenarioError as exc:
            raise SaveError(f"the embedded scenario is invalid:\n{exc}") from None
    log = state["command_log"] if isinstance(state["command_log"], list) else []
    # the seats people played in the first quarter: hand-overs during the game are replayed
    humans = first_human_seats(log, state["human_seats"] if human_seats is None else human_seats)
    # per-seat AI levels live in the seats' states; the game's default level covers everyone else
    levels: dict[str, str] = {"*": state["difficulty"]}
    for item in state["seats"] if isinstance(state.get("seats"), list) else []:
        level = item.get("state", {}).get("difficulty") if isinstance(item, dict) else None
        if isinstance(level, str) and item.get("id") in {r.id for r in scenario.regions} | {
            a.id for a in scenario.actors
        }:
            levels[item["id"]] = level
    model = SovereignModel(scenario, rng=seed_sequence(state["seed"]), human_seats=humans, difficulty=levels)
    submissions = human_submissions(log, set(humans), hand_overs=True)
    end = int(state["quarter"])
    hashes: dict[int, dict[str, Any]] = {}
    checked = 0

    def report(divergence: Divergence | None) -> ReplayReport:
        return ReplayReport(model.quarter - model.start_q, checked, len(recorded), divergence, model, hashes)

    while True:
        label = quarter_label(model.quarter)
        for entry in submissions.get(label, []):
            try:
                differs = resubmit(model, entry)
            except CommandError as exc:
                return report(Divergence(label, ("command_log",), f"a logged command cannot be read: {exc}"))
            if differs is not None:
                return report(Divergence(label, ("command_log",), differs))
        if model.quarter >= end:
            break
        model.step()
        played = model.quarter - 1
        digest = {"quarter": label, **model_digest(model)}
        hashes[played] = digest
        if on_quarter is not None:
            on_quarter(model)
        want = recorded.get(played)
        if want is not None:
            checked += 1
            if want.get("state") != digest["state"]:
                parts = _differing_parts(want.get("parts"), digest["parts"])
                return report(Divergence(label, parts, "the state after this quarter differs from the recorded one"))
    # the save point: the full state is known, so say exactly what differs
    final = model_to_state(model, include_scenario=False)
    saved = dict(state)
    saved["scenario"] = {k: v for k, v in state["scenario"].items() if k != "content"}
    for key in unrecorded:  # what the save does not know cannot be checked
        saved[key] = final[key]
    if state_digest(final)["state"] != state_digest(saved)["state"]:
        parts = _differing_parts(state_digest(saved)["parts"], state_digest(final)["parts"])
        where = first_difference(saved, final)
        return report(Divergence(quarter_label(end), parts, f"at the save point, {where}"))
    return report(None)


def _differing_parts(want: Any, got: dict[str, str]) -> tuple[str, ...]:
    if not isinstance(want, dict):
        return ()
    return tuple(k for k in STATE_KEYS if want.get(k) != got.get(k))


def first_difference(a: Any, b: Any, where: str = "") -> str:
    """Describe the first place two encoded states differ, e.g. ``world.subsidy: ... != ...``."""
    if type(a) is not type(b):
        return f"{where or 'the state'}: {_short(a)} in the game, {_short(b)} in the replay"
    if isinstance(a, dict):
        if set(a) == set(b) == {"$obj"} and a["$obj"].get("class") == b["$obj"].get("class"):
            # a typed object (the economy, a quarter's results): name its fields, not the encoding
            return first_difference(a["$obj"].get("fields"), b["$obj"].get("fields"), where)
        for key in list(a) + [k for k in b if k not in a]:
            path = f"{where}.{key}" if where else str(key)
            if key not in b:
                return f"{path}: in the game but not in the replay"
            if key not in a:
                return f"{path}: in the replay but not in the game"
            if a[key] != b[key]:
                return first_difference(a[key], b[key], f"{where}.{key}" if where else str(key))
        if list(a) != list(b):
            return f"{where}: same entries in a different order"
    elif isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if x != y:
                return first_difference(x, y, f"{where}.{i}")
        if len(a) != len(b):
            return f"{where}: {len(a)} items in the game, {len(b)} in the replay"
    return f"{where}: {_short(a)} in the game, {_short(b)} in the replay"


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def replay_model(model: SovereignModel, recorded: dict[int, dict[str, Any]] | None = None) -> ReplayReport:
    """Replay a live game from its start to where it is now (used to backfill missing digests)."""
    state = model_to_state(model, include_scenario=False)
    return replay_state(state, recorded, scenario=model.scenario)


def replay_game(path: Any, on_quarter: Callable[[SovereignModel], None] | None = None) -> ReplayReport:
    """Replay the game in a save file and check it against the save.

    Args:
        path: The save file.
        on_quarter: Called with the replayed model after each quarter.

    Returns:
        The report.

    Raises:
        SaveError: The file cannot be read, or its game cannot be set up.
    """
    from sovereign.persist.files import read_save

    doc = read_save(path)
    try:
        return replay_state(doc.state, doc.recorded, doc.human_seats, on_quarter=on_quarter, unrecorded=doc.unrecorded)
    except SaveError as exc:
        raise SaveError(exc.message, path) from None
    except Exception as exc:  # a boundary: a replay of a crafted file must not crash the CLI
        raise SaveError(f"the game cannot be replayed ({type(exc).__name__}: {exc})", path) from None
