"""Policy scripts: commands a researcher fixes in advance ("what if India enacts localisation in 2027?").

A script is a YAML file of commands, each submitted for one seat in one quarter, through the same
`model.submit` gate as a player's. Either a bare list of entries::

    - {quarter: 2027Q1, seat: IND, command: {kind: set_localisation, enabled: true}}
    - {quarter: 2028Q1, seat: IND, ai: off}          # the AI sits this quarter out for India

or a mapping with a description and per-seat settings::

    description: India goes it alone
    seats: {IND: {ai: off}}                          # the AI never plays India: only the script does
    commands:
      - {quarter: 2027Q1, seat: IND, command: {kind: set_localisation, enabled: true}}

By default the AI still plays the rest of a scripted seat's turn (it may add commands of its own);
``ai: off`` on an entry (that quarter) or on a seat (every quarter) leaves the seat to the script.

A script is checked when it is loaded, against the scenario it will drive, the way a scenario is:
every problem comes back at once as ``file:line:column: field.path: expected ..., found ...``
(the scenario loader reads the file and words the messages). Commands are validated by the same
command models as everyone's (`sovereign.sim.commands`), and their references (seats, quarters,
regions, accelerator classes, blocs, who may give a command) against the scenario. What depends on
the state of the game (money, free datacenter space) is left to the model's validator, whose
refusals the driver reports.

The driver, `apply_script`, submits a quarter's scripted commands before `model.step()` and hands
the seats with ``ai: off`` to "people" (`model.human_seats`) for that step only; `play_scripted` does
that for a whole run. Same scenario + seed + script give identical results.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sovereign.scenario.loader import Problem, ScenarioError, YamlDocument, raise_if_any, read_yaml, show_value
from sovereign.scenario.schema import QuarterLabel, Scenario, quarter_index
from sovereign.sim.commands import NATION_ONLY, Command, CommandError, command_from_dict, command_to_dict

__all__ = [
    "PolicyScript",
    "ScriptError",
    "ScriptOutcome",
    "ScriptedCommand",
    "apply_script",
    "load_script",
    "outcome_rows",
    "play_scripted",
    "script_from_dict",
]

#: What a script file holds (the message of an empty file, or of one holding a single value).
EXPECTED = "a list of scripted commands, or a mapping with commands:"

#: Every command model by its ``kind`` tag: the members of the one command union.
COMMAND_MODELS: dict[str, type[BaseModel]] = {
    cls.model_fields["kind"].default: cls for cls in get_args(get_args(Command)[0])
}
#: Commands only a chip-producing nation may give (export controls).
_CHIP_PRODUCERS_ONLY = ("set_export_controls", "set_export_tier")
#: Commands with which a nation builds, only on its own territory.
_BUILDS = ("build_datacenter", "build_plant", "build_fab")


class ScriptError(ScenarioError):
    """A script could not be loaded; `problems` lists every reason with its file:line:column."""

    def __reduce__(self) -> tuple[type[ScriptError], tuple[list[Problem]]]:
        # Rebuild from the problems when sent between processes, keeping the class.
        return (ScriptError, (self.problems,))


# --------------------------------------------------------------------------- the file's schema


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScriptEntry(_Strict):
    """One line of a script: a command for a seat in a quarter, and whether the AI plays on."""

    quarter: QuarterLabel = Field(description="Quarter the command is submitted in, e.g. 2027Q1")
    seat: str = Field(description="Region id (the nation) or actor id (a named firm) that gives the command")
    # checked on its own by the command model its `kind` names, so messages name the command's fields
    command: dict[str, Any] | None = Field(None, description="The command: kind and fields, as in a command log")
    ai: bool = Field(True, description="Whether the AI also plays the rest of the seat's turn that quarter")

    @model_validator(mode="after")
    def _does_something(self) -> ScriptEntry:
        if self.command is None and self.ai:
            raise ValueError("expected a command, or ai: off (the entry does nothing)")
        return self


class SeatSetting(_Strict):
    """How a seat is played for the whole run."""

    ai: bool = Field(True, description="off: the AI never plays the seat, only the script does")


class ScriptFile(_Strict):
    """A whole script in its mapping form (a bare list is read as ``{commands: [...]}``)."""

    description: str = Field("", description="What the script asks, for readers and manifests")
    seats: dict[str, SeatSetting] = Field(default_factory=dict, description="Settings by seat id for the whole run")
    commands: list[ScriptEntry] = Field(default_factory=list, description="The scripted commands, in order")


class _CommandKind(BaseModel):
    """Just the ``kind`` of a command, checked first so an unknown kind gets one clear message."""

    model_config = ConfigDict(extra="ignore")
    # The Literal is built at import from the command table's keys, which no type checker can follow.
    kind: Literal[tuple(COMMAND_MODELS)]  # type: ignore[valid-type]


# --------------------------------------------------------------------------- the parsed script


@dataclass(frozen=True)
class ScriptedCommand:
    """An entry of a loaded script.

    Attributes:
        quarter: Quarter label, e.g. ``2027Q1``.
        seat: Region or actor id.
        command: The typed command, or None for an entry that only turns the AI off.
        ai: Whether the AI also plays the seat's turn that quarter.
        line: Line of the file the entry was written on (None for a script given as data).
    """

    quarter: str
    seat: str
    command: Command | None
    ai: bool
    line: int | None = None


@dataclass(frozen=True)
class PolicyScript:
    """A loaded, validated script: what to submit, for whom, when.

    Attributes:
        source: The file (as the user named it), or a label for a script given as data.
        description: Free text from the file.
        entries: The entries in file order (the order commands are submitted within a quarter).
        ai_off: Seats the AI never plays.
    """

    source: str
    description: str
    entries: tuple[ScriptedCommand, ...]
    ai_off: frozenset[str] = frozenset()

    def for_quarter(self, quarter: str) -> list[ScriptedCommand]:
        """The entries of one quarter, in file order."""
        return [e for e in self.entries if e.quarter == quarter]

    def seats_without_ai(self, quarter: str) -> set[str]:
        """Seats the AI does not play in `quarter`: ``ai: off`` on the seat, or on one of its entries."""
        return set(self.ai_off) | {e.seat for e in self.entries if e.quarter == quarter and not e.ai}

    @property
    def turns_ai_off(self) -> bool:
        """Whether the script takes any seat away from the AI (for any quarter)."""
        return bool(self.ai_off) or any(not e.ai for e in self.entries)

    def to_dict(self) -> dict[str, Any]:
        """The script as JSON-able data in its mapping form; `script_from_dict` reads it back."""
        commands: list[dict[str, Any]] = []
        for e in self.entries:
            item: dict[str, Any] = {"quarter": e.quarter, "seat": e.seat}
            if e.command is not None:
                item["command"] = command_to_dict(e.command)
            if not e.ai:
                item["ai"] = False
            commands.append(item)
        return {
            "description": self.description,
            "seats": {seat: {"ai": False} for seat in sorted(self.ai_off)},
            "commands": commands,
        }

    @property
    def hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON of `to_dict`: the script's provenance tag.

        Like the scenario hash it names the effective script, whatever its layout, comments or
        line numbers; the description is part of it (it is what a reader sees of the experiment).
        """
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- loading


def load_script(path: str | os.PathLike[str], scenario: Scenario) -> PolicyScript:
    """Load and check a script file against the scenario it will drive.

    Args:
        path: The YAML file; problems name it as given.
        scenario: The scenario the script's seats, quarters and references must exist in.

    Returns:
        The validated script.

    Raises:
        ScriptError: With every problem found, each at its file:line:column.
    """
    try:
        doc = read_yaml(path, EXPECTED)
    except ScenarioError as exc:
        raise ScriptError(exc.problems) from None
    return _check(doc, scenario)


def script_from_dict(data: Any, scenario: Scenario | None = None, source: str = "<dict>") -> PolicyScript:
    """A script that is already data (`PolicyScript.to_dict`, e.g. sent to a worker process).

    Args:
        data: The script in either form (a list of entries, or the mapping).
        scenario: Check references against it too (None: the structure and commands only).
        source: Name used as the file in problems.

    Raises:
        ScriptError: With every problem; positions have no line numbers.
    """
    return _check(YamlDocument.from_data(data, source), scenario)


def _check(doc: YamlDocument, scenario: Scenario | None) -> PolicyScript:
    """Validate the structure, each command, then the references; raise with every problem.

    Entries are also validated one by one, so that the references of the good entries are checked
    even when others are broken: one load reports everything.
    """
    if isinstance(doc.data, list):
        doc = doc.nested("commands")
    elif not isinstance(doc.data, dict):
        raise ScriptError([doc.problem((), f"expected {EXPECTED}, found {show_value(doc.data)}")])
    problems: list[Problem] = []
    parsed: ScriptFile | None = None
    try:
        parsed = ScriptFile.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(doc.validation_problems(exc, ScriptFile))
    commands = _commands(doc, problems)
    if parsed is not None:
        good = dict(enumerate(parsed.commands))
        ai_off = frozenset(seat for seat, setting in parsed.seats.items() if not setting.ai)
        description = parsed.description
    else:
        good, ai_off, description = _good_parts(doc.data)
    # an entry whose command is broken still has its seat and quarter checked (command None here)
    entries = {
        i: ScriptedCommand(e.quarter, e.seat, commands.get(i), e.ai, doc.line(("commands", i))) for i, e in good.items()
    }
    if scenario is not None:
        problems.extend(_reference_problems(doc, entries, ai_off, scenario))
    raise_if_any(problems, ScriptError)
    return PolicyScript(doc.label, description, tuple(entries.values()), ai_off)


def _good_parts(data: Any) -> tuple[dict[int, ScriptEntry], frozenset[str], str]:
    """The entries and seat settings of a script that failed validation that are valid on their own."""
    good: dict[int, ScriptEntry] = {}
    ai_off: set[str] = set()
    if not isinstance(data, dict):
        return good, frozenset(), ""
    items = data.get("commands")
    for i, item in enumerate(items if isinstance(items, list) else []):
        try:
            good[i] = ScriptEntry.model_validate(item)
        except ValidationError:
            continue
    seats = data.get("seats")
    for seat, setting in (seats if isinstance(seats, dict) else {}).items():
        try:
            if isinstance(seat, str) and not SeatSetting.model_validate(setting).ai:
                ai_off.add(seat)
        except ValidationError:
            continue
    return good, frozenset(ai_off), ""


def _commands(doc: YamlDocument, problems: list[Problem]) -> dict[int, Command]:
    """Validate every entry's command by the model of its kind; the typed commands by entry index."""
    out: dict[int, Command] = {}
    items = doc.data.get("commands") if isinstance(doc.data, dict) else None
    if not isinstance(items, list):
        return out  # the structural validation reports it
    for i, item in enumerate(items):
        raw = item.get("command") if isinstance(item, dict) else None
        if not isinstance(raw, dict):
            continue  # missing (an ai: off entry) or not a mapping: the structural validation decides
        at = ("commands", i, "command")
        try:
            kind = _CommandKind.model_validate(raw).kind
        except ValidationError as exc:
            problems.extend(doc.validation_problems(exc, _CommandKind, at))
            continue
        model = COMMAND_MODELS[kind]
        try:
            # COMMAND_MODELS holds the classes of the `Command` union; a union alias cannot type them
            out[i] = model.model_validate(raw)  # type: ignore[assignment]
        except ValidationError as exc:
            problems.extend(doc.validation_problems(exc, model, at))
    return out


def _reference_problems(
    doc: YamlDocument, entries: Mapping[int, ScriptedCommand], ai_off: frozenset[str], scenario: Scenario
) -> list[Problem]:
    """Seats, quarters, regions, classes and blocs the script names must exist in the scenario."""
    problems: list[Problem] = []
    regions = {r.id: r for r in scenario.regions}
    actors = {a.id: a for a in scenario.actors}
    seats = [*regions, *actors]
    classes = [a.id for a in scenario.accelerators]
    blocs = [b.id for b in scenario.blocs]
    start, end = scenario.time.start, scenario.time.end

    def unknown(path: tuple[Any, ...], what: str, found: str, known: list[str], at_key: bool = False) -> None:
        close = difflib.get_close_matches(found, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
        problems.append(doc.problem(path, f"expected {what}, found {found!r}{hint}", at_key))

    for seat in sorted(ai_off):
        if seat not in regions and seat not in actors:
            unknown(("seats", seat), "a region or actor id of the scenario", seat, seats, at_key=True)
    for i, e in entries.items():
        here = ("commands", i)
        if not quarter_index(start) <= quarter_index(e.quarter) <= quarter_index(end):
            problems.append(
                doc.problem((*here, "quarter"), f"expected a quarter from {start} to {end}, found {e.quarter!r}")
            )
        if e.seat not in regions and e.seat not in actors:
            unknown((*here, "seat"), "a region or actor id of the scenario", e.seat, seats)
            continue
        cmd = e.command
        if cmd is None:
            continue
        at = (*here, "command")
        if isinstance(cmd, NATION_ONLY) and e.seat not in regions:
            problems.append(
                doc.problem(
                    (*here, "seat"),
                    f"expected a nation (region id) for {cmd.kind}, found {e.seat!r} (a {actors[e.seat].kind})",
                )
            )
        elif cmd.kind in _CHIP_PRODUCERS_ONLY and not regions[e.seat].chip_producer:
            producers = [r for r, spec in regions.items() if spec.chip_producer]
            problems.append(
                doc.problem(
                    (*here, "seat"),
                    f"expected a chip-producing nation ({', '.join(producers) or 'none in this scenario'}) "
                    f"for {cmd.kind}, found {e.seat!r}",
                )
            )
        region = getattr(cmd, "region", None)
        if region is not None and region not in regions:
            unknown((*at, "region"), "a region id of the scenario", region, list(regions))
        elif region is not None and cmd.kind in _BUILDS and e.seat in regions and region != e.seat:
            problems.append(
                doc.problem(
                    (*at, "region"),
                    f"expected {e.seat!r} (a nation builds only on its own territory), found {region!r}",
                )
            )
        accelerator = getattr(cmd, "accelerator", None)
        if accelerator is not None and accelerator not in classes:
            unknown((*at, "accelerator"), "an accelerator class of the scenario", accelerator, classes)
        bloc = getattr(cmd, "bloc", None)
        if bloc is not None and bloc not in blocs:
            unknown((*at, "bloc"), "a bloc id of the scenario", bloc, blocs)
    return problems


# --------------------------------------------------------------------------- the driver


class ScriptableModel(Protocol):
    """What the driver uses of `sovereign.sim.model.SovereignModel` (its public API only)."""

    human_seats: set[str]

    @property
    def seats(self) -> Mapping[str, Any]: ...

    @property
    def quarter_label(self) -> str: ...

    @property
    def done(self) -> bool: ...

    def submit(self, seat_id: str, command: Any) -> Any: ...

    def step(self) -> None: ...


@dataclass(frozen=True)
class ScriptOutcome:
    """What became of one scripted command when it was submitted.

    Attributes:
        quarter: Quarter it was submitted in.
        seat: Seat it was submitted for.
        command: The command as JSON data.
        accepted: Whether the model's validator accepted it.
        reason: Why it was refused ("" when accepted).
        line: Line of the script it came from (None for a script given as data).
    """

    quarter: str
    seat: str
    command: dict[str, Any]
    accepted: bool
    reason: str
    line: int | None = None

    def describe(self) -> str:
        """One line for summaries: ``2027Q1 IND set_localisation(enabled=True): refused: reason``.

        The command as `Command.describe` words it (fields left at their defaults are not shown).
        """
        try:
            what = command_from_dict(self.command).describe()
        except CommandError:
            fields = ", ".join(f"{k}={v}" for k, v in self.command.items() if k != "kind")
            what = f"{self.command.get('kind')}({fields})"
        verdict = "accepted" if self.accepted else f"refused: {self.reason}"
        return f"{self.quarter} {self.seat} {what}: {verdict}"


@contextmanager
def apply_script(model: ScriptableModel, script: PolicyScript) -> Iterator[list[ScriptOutcome]]:
    """Submit this quarter's scripted commands; within the block the seats with ``ai: off`` are "human".

    Use it around one `model.step()`::

        with apply_script(model, script) as outcomes:
            model.step()

    Scripted commands are submitted before the step, so they are validated and queued before the
    AI decides and are applied first in their seat's queue. A seat the script takes from the AI is
    added to `model.human_seats` for the step and removed after it (seats people already play are
    left alone), so the AI resumes the next quarter unless the script says otherwise.

    Yields:
        The outcome of each scripted command of the quarter, in file order.
    """
    quarter = model.quarter_label
    taken = sorted(s for s in script.seats_without_ai(quarter) if s in model.seats and s not in model.human_seats)
    model.human_seats.update(taken)
    try:
        outcomes = []
        for entry in script.for_quarter(quarter):
            if entry.command is None:
                continue
            result = model.submit(entry.seat, entry.command)
            outcomes.append(
                ScriptOutcome(
                    quarter, entry.seat, command_to_dict(entry.command), result.accepted, result.reason, entry.line
                )
            )
        yield outcomes
    finally:
        model.human_seats.difference_update(taken)


def play_scripted(
    model: ScriptableModel,
    script: PolicyScript,
    quarters: int | None = None,
    progress: Callable[[Any], None] | None = None,
) -> list[ScriptOutcome]:
    """Play `quarters` quarters (default: to the end) with the script applied before each step.

    Args:
        model: The model, at the quarter to start from.
        script: The script (checked against the model's scenario).
        quarters: How many quarters to play at most.
        progress: Called with the model after each quarter.

    Returns:
        The outcome of every scripted command submitted, in order.
    """
    outcomes: list[ScriptOutcome] = []
    played = 0
    while not model.done and (quarters is None or played < quarters):
        with apply_script(model, script) as submitted:
            model.step()
        outcomes.extend(submitted)
        played += 1
        if progress is not None:
            progress(model)
    return outcomes


def outcome_rows(outcomes: list[ScriptOutcome]) -> list[dict[str, Any]]:
    """Outcomes as tidy rows (quarter, seat, kind, command as JSON, accepted, reason, line)."""
    return [
        {
            "quarter": o.quarter,
            "seat": o.seat,
            "kind": o.command.get("kind"),
            "command": json.dumps(o.command, sort_keys=True),
            "accepted": o.accepted,
            "reason": o.reason,
            "line": o.line,
        }
        for o in outcomes
    ]
