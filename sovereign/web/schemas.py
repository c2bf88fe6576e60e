"""What the classroom server accepts: every request body is one of these bounded pydantic models.

Bounds are part of the security of the lesson: a phone can send nothing larger than
:data:`MAX_BODY_BYTES`, no string longer than its field allows, no unknown field (``extra="forbid"``),
so a malformed or oversized payload is refused with a reason before any game code sees it. Orders
themselves are then checked by the game's own command schemas and validator
(`sovereign.sim.commands`), the same as on the desktop.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: Largest request body or websocket message the server reads, in bytes.
MAX_BODY_BYTES = 16 * 1024
#: Longest chat message or broadcast, in characters (a few sentences).
MAX_TEXT = 500

Short = Annotated[str, StringConstraints(max_length=40)]
Value = Annotated[str, StringConstraints(max_length=100)] | bool | int | float | None


class Request(BaseModel):
    """Base of every request: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class JoinRequest(Request):
    """A device joins: a new team (name and seat) or a second device of a team (name and PIN)."""

    room: Annotated[str, StringConstraints(min_length=1, max_length=12)]
    team: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    seat: Short | None = None
    pin: Annotated[str, StringConstraints(max_length=12)] | None = None


class OrderRequest(Request):
    """An order from a team: an action of the form with its values, or a command as data.

    ``seat``, when given, must be the team's own seat: naming another seat is refused (403).
    """

    seat: Short | None = None
    action: Short | None = None
    values: Annotated[dict[Short, Value], Field(max_length=16)] = Field(default_factory=dict)
    command: Annotated[dict[Short, Value], Field(max_length=16)] | None = None


class DoneRequest(Request):
    """A team says "our turn is in" (true) or takes it back (false)."""

    seat: Short | None = None
    done: bool


class MessageRequest(Request):
    """A message to one team (its id) or to everyone (``all``)."""

    to: Annotated[str, StringConstraints(min_length=1, max_length=12)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]


class ScenarioRequest(Request):
    """The teacher picks a scenario (setup)."""

    id: Short


class RoleRequest(Request):
    """The teacher makes a seat a team seat or an AI seat of a level (setup)."""

    seat: Short
    role: Short


class DebriefRequest(Request):
    """How many AI-only games the class is compared with (each plays as many quarters as the lesson)."""

    runs: int = Field(default=20, ge=2, le=100)


class TimerRequest(Request):
    """Seconds per quarter; 0 switches the timer off."""

    seconds: int = Field(ge=0, le=3600)


class FlagRequest(Request):
    """Switch something on or off (pause, lock joining)."""

    on: bool


class InjectRequest(Request):
    """Fire one of the scenario's injects (by index) or a custom headline."""

    index: int | None = Field(None, ge=0, le=10000)
    headline: Annotated[str, StringConstraints(max_length=140)] | None = None
    text: Annotated[str, StringConstraints(max_length=MAX_TEXT)] = ""


class BroadcastRequest(Request):
    """A message from the teacher to every team."""

    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]


class TeamRequest(Request):
    """A teacher's action on one team (move it to another device)."""

    team: Annotated[str, StringConstraints(min_length=1, max_length=12)]


class HandSeatRequest(Request):
    """Hand a team's seat to the AI or back to its team (from the next quarter)."""

    seat: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    player: Annotated[str, StringConstraints(pattern=r"^(team|ai)$")]


class MuteRequest(Request):
    """Mute or unmute a team's messages."""

    team: Annotated[str, StringConstraints(min_length=1, max_length=12)]
    muted: bool


class Hello(Request):
    """The first websocket message: who is listening (a team's token, the teacher's key, or the projector)."""

    role: Annotated[str, StringConstraints(pattern=r"^(team|admin|projector)$")]
    token: Annotated[str, StringConstraints(max_length=100)] | None = None


def first_error(errors: list[dict[str, Any]]) -> str:
    """One line a person can read from pydantic's errors: where and what."""
    if not errors:
        return "invalid request"
    err = errors[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {err.get('msg', 'invalid')}{more}"
