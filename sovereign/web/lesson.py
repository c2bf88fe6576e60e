"""A classroom lesson: teams on their own devices playing seats of one game, run by a teacher.

`Lesson` holds everything the classroom adds to a :class:`~sovereign.game.session.GameSession`:
the room code and the teacher's secret, the teams with their device tokens and PINs, which seats
are teams and which are AI, the quarter timer, pause, join lock, messages and mutes, and the
per-quarter autosaves that make "undo the last quarter" and "restart the server" possible.

It knows nothing of HTTP: the ASGI app (`sovereign.web.app`) turns requests into calls here and
these results into responses, so the rules are tested without a server. Every method runs on the
server's event loop thread, except :meth:`Lesson.play_quarter`, which runs on a worker thread
while :attr:`Lesson.stepping` keeps every other change out.

Security rules live here too, so they cannot be forgotten by a route:

- a team is identified only by a device token (32 random bytes); the server keeps its SHA-256 and
  compares digests with :func:`hmac.compare_digest`; a command's seat is the team's seat, and a
  payload naming another seat is refused with :class:`Forbidden`;
- the teacher's key is 32 random bytes, compared the same way;
- a second device joins a team with the team's PIN; the teacher can "move" a team to another
  device, which revokes every token and issues a new PIN.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sovereign.game import fmt
from sovereign.game.actions import actions_for, build_command, fields_for, preview
from sovereign.game.business import business_book, money_hour, sales_words, valuation_cause
from sovereign.game.session import GameSession, StepReport, new_session
from sovereign.game.words import command_label, objective_text
from sovereign.scenario.schema import Inject, Scenario, quarter_index, quarter_label
from sovereign.sim.commands import Command, CommandError, command_from_dict, command_to_dict
from sovereign.sim.phases.diplomacy import describe, open_offers

#: Letters for room codes and PINs a class can read off a projector without confusing 0/O, 1/I.
ROOM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ROOM_CODE_LENGTH = 5
PIN_DIGITS = 6
#: Format of ``lesson.json``; bump and migrate when its meaning changes.
LESSON_FORMAT = 1
#: Messages kept in memory and in the lesson file (a 90-minute lesson of 10 teams is far below).
MAX_MESSAGES = 5000
#: AI levels the teacher may give a seat (those of `sovereign.sim.agents.DIFFICULTY`).
LEVELS = ("easy", "normal", "hard")


class LessonError(Exception):
    """A request the lesson refuses; ``status`` is the HTTP status the server answers with."""

    status = 409

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Forbidden(LessonError):
    """Acting or reading as someone else, or without the right secret."""

    status = 403


class Busy(LessonError):
    """Not now, but in a moment: the page tries again by itself after ``retry_ms``."""

    retry_ms = 300


class NotFound(LessonError):
    """A team, seat or inject that does not exist."""

    status = 404


class Invalid(LessonError):
    """Values that cannot make a command or a setting."""

    status = 422


def new_secret() -> str:
    """32 random bytes, URL-safe: device tokens and the teacher's key (not guessable)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 of a secret: what the lesson keeps and writes to disk instead of the token."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Compare two secrets in constant time (no timing leak of how many characters matched)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def room_code() -> str:
    """A short random code students type to join (about 33 million possibilities)."""
    return "".join(secrets.choice(ROOM_ALPHABET) for _ in range(ROOM_CODE_LENGTH))


def team_pin() -> str:
    """A random PIN a team reads to its second device."""
    return "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))


_PLAIN = (str, int, bool, type(None))


def jsonable(value: Any) -> Any:
    """Plain JSON data from the model's observations (numpy scalars and arrays, int keys, NaN).

    Called on every dashboard pushed, so the common cases (text, numbers) are checked first.
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {str(k): jsonable(v) for k, v in value.items()}
    if kind is list:
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


@dataclass
class Team:
    """A team of students playing one seat, on one or more devices."""

    id: str
    name: str
    seat: str
    pin: str
    token_digests: list[str] = field(default_factory=list)
    submitted: bool = False
    muted: bool = False
    joined_at: float = 0.0


@dataclass
class Message:
    """A message between teams, to everyone, or from the teacher; kept for the debrief."""

    id: int
    quarter: str
    at: float
    sender: str
    sender_name: str
    to: str
    text: str
    kind: str = "chat"


@dataclass
class QuarterResults:
    """What a team sees when a quarter ends: its commands' fate, the news, its key figures."""

    quarter: str
    applied: list[dict[str, Any]]
    news: list[dict[str, Any]]
    figures: dict[str, Any]


class Lesson:
    """One classroom game: setup, the quarters, teams, messages, autosaves.

    Args:
        scenario: The scenario to play (the teacher may pick another one during setup).
        folder: Where the lesson file and the per-quarter autosaves go (made if missing).
        scenario_path: Where the scenario came from, for the console and the lesson file.
        seed: Random seed of the game.
        timer_s: Seconds per quarter (0: no timer; the teacher ends quarters).
        scenarios: Scenarios the teacher may choose from during setup, by id.
    """

    def __init__(
        self,
        scenario: Scenario,
        folder: Path,
        scenario_path: Path | None = None,
        seed: int = 0,
        timer_s: int = 0,
        scenarios: dict[str, tuple[Path | None, Scenario]] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.scenario = scenario
        self.scenario_path = scenario_path
        self.scenarios = dict(scenarios or {})
        self.scenarios.setdefault(scenario.meta.id, (scenario_path, scenario))
        self.seed = seed
        self.room = room_code()
        self.admin_key = new_secret()
        self.phase = "setup"
        self.seat_roles: dict[str, str] = self._default_roles(scenario)
        self.timer_s = int(timer_s)
        self.deadline: float | None = None
        self.paused = False
        self.paused_remaining: float | None = None
        self.locked = False
        self.stepping = False
        self.teams: dict[str, Team] = {}
        self.messages: list[Message] = []
        self.orders: dict[str, list[dict[str, Any]]] = {}
        self.past_orders: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.quarter_saves: list[str] = []
        self.results: dict[str, QuarterResults] = {}
        self.fired: list[dict[str, Any]] = []
        self.session: GameSession | None = None
        self.last_error: str | None = None
        self.unsaved = False
        self.saving = False
        self._played = False
        self.announced: set[int] = set()
        self._public_key: tuple[int, int, int] | None = None
        self._public_cache: Any = None

    # -- setup -------------------------------------------------------------------------------

    @staticmethod
    def _default_roles(scenario: Scenario) -> dict[str, str]:
        """The seats teams play by default, the others AI at the scenario's level.

        A lesson's team seats are its role sheets; in a scenario that is not a lesson every nation is
        a team seat and every firm AI: a class plays countries.
        """
        level = scenario.seats.difficulty
        if scenario.lesson is not None:
            teams = {t.seat for t in scenario.lesson.teams}
            seats = [r.id for r in scenario.regions] + [a.id for a in scenario.actors]
            return {seat: "team" if seat in teams else level for seat in seats}
        roles = {r.id: "team" for r in scenario.regions}
        roles.update({a.id: level for a in scenario.actors})
        return roles

    def seat_list(self) -> list[dict[str, Any]]:
        """Every seat with its name, kind, role (``team`` or an AI level) and the team playing it."""
        by_seat = {t.seat: t for t in self.teams.values()}
        sc = self.scenario
        rows = [(r.id, r.name, "nation") for r in sc.regions] + [(a.id, a.name, a.kind) for a in sc.actors]
        return [
            {
                "id": seat,
                "name": name,
                "kind": kind,
                "role": self.seat_roles.get(seat, sc.seats.difficulty),
                "team": by_seat[seat].name if seat in by_seat else None,
            }
            for seat, name, kind in rows
        ]

    def open_seats(self) -> list[dict[str, str]]:
        """Team seats no team has taken yet: what the join form offers."""
        taken = {t.seat for t in self.teams.values()}
        return [
            {"id": s["id"], "name": s["name"], "kind": s["kind"]}
            for s in self.seat_list()
            if s["role"] == "team" and s["id"] not in taken
        ]

    def choose_scenario(self, scenario_id: str) -> None:
        """Play another of the offered scenarios (setup only; teams must join again)."""
        self._need_setup("the scenario")
        if scenario_id not in self.scenarios:
            raise NotFound(f"no scenario {scenario_id!r}; choose one of {', '.join(sorted(self.scenarios))}")
        self.scenario_path, self.scenario = self.scenarios[scenario_id]
        self.seat_roles = self._default_roles(self.scenario)
        self.teams.clear()
        self.save()

    def set_role(self, seat: str, role: str) -> None:
        """Make a seat a team seat or an AI seat of a level (setup only)."""
        self._need_setup("seats")
        if seat not in self.seat_roles:
            raise NotFound(f"no seat {seat!r} in {self.scenario.meta.title}")
        if role not in ("team", *LEVELS):
            raise Invalid(f"role must be team or one of {', '.join(LEVELS)}, not {role!r}")
        if role != "team" and any(t.seat == seat for t in self.teams.values()):
            raise LessonError(f"a team already plays {seat}; it must stay a team seat")
        self.seat_roles[seat] = role
        self.save()

    def hand_seat(self, seat: str, player: str) -> None:
        """Hand a team's seat to the AI (``"ai"``) or back to its team (``"team"``) from the next quarter.

        The quarter being decided is played as it stands (the team's queued orders included); the
        game logs the hand-over when it happens, so a replay of the lesson's saves reproduces it.
        Saying the seat's current player again takes a waiting hand-over back.
        """
        session = self._playing()
        if seat not in self.seat_roles:
            raise NotFound(f"no seat {seat!r} in {self.scenario.meta.title}")
        if self.seat_roles[seat] != "team":
            raise Invalid(f"{seat} is not a team seat; only a team's seat is handed to the AI and back")
        if player not in ("team", "ai"):
            raise Invalid(f"a team seat is played by its team or the AI, not {player!r}")
        refusal = session.hand_seat(seat, "human" if player == "team" else "ai")
        if refusal is not None:
            raise LessonError(refusal)
        self.save()

    def played_by(self, seat: str) -> dict[str, str]:
        """Who plays a seat this quarter and from the next (``team`` or ``ai``), for the console."""
        if self.session is None:
            role = "team" if self.seat_roles.get(seat) == "team" else "ai"
            return {"now": role, "next": role}
        now = "team" if seat in self.session.model.human_seats else "ai"
        nxt = "team" if self.session.player_next_quarter(seat) == "human" else "ai"
        return {"now": now, "next": nxt}

    def _need_setup(self, what: str) -> None:
        if self.phase != "setup":
            raise LessonError(f"{what} can only be changed before the lesson starts")

    def start(self) -> None:
        """Build the game: team seats are played by people, every other seat by its AI level."""
        self._need_setup("the lesson")
        humans = [s for s, role in self.seat_roles.items() if role == "team"]
        if not humans:
            raise LessonError("make at least one seat a team seat before starting")
        levels = {s: role for s, role in self.seat_roles.items() if role != "team"}
        self.session = new_session(
            self.scenario,
            humans,
            seed=self.seed,
            scenario_path=self.scenario_path,
            save_dir=self.folder,
            autosave=False,
            seat_difficulty=levels,
        )
        self.phase = "playing"
        self._save_quarter()
        self._restart_timer()
        self.save()

    def warm_up(self) -> float:
        """Play one quarter of a throwaway game so the first real quarter does not wait.

        The first quarters a process plays load the compiled kernels (numba's cache; the grid's
        yearly plan only comes in a year's first quarter, so they are loaded explicitly) and the
        lazy imports; doing it while the class joins keeps that wait out of the lesson. Returns
        the seconds spent.
        """
        from sovereign.sim.warmup import warm_up as load_kernels

        t0 = time.perf_counter()
        load_kernels()
        throwaway = new_session(self.scenario, [], seed=self.seed, save_dir=self.folder, autosave=False)
        throwaway.model.step()
        return time.perf_counter() - t0

    @property
    def model(self) -> Any:
        """The running model (raises before the lesson starts)."""
        if self.session is None:
            raise LessonError("the lesson has not started yet")
        return self.session.model

    @property
    def quarter(self) -> str:
        """The quarter being played (the first one during setup)."""
        if self.session is None:
            return self.scenario.time.start
        if self.session.model.done:
            return "the end"
        return self.session.model.quarter_label

    # -- teams -------------------------------------------------------------------------------

    def join(self, room: str, team_name: str, seat: str | None = None, pin: str | None = None) -> tuple[Team, str]:
        """A device joins: a new team on a free seat, or a second device of a team with its PIN.

        Args:
            room: The room code shown on the projector.
            team_name: The team's name (a new team, or the team the PIN belongs to).
            seat: The seat a new team takes (required for a new team).
            pin: The team's PIN, for a second device.

        Returns:
            The team and this device's token (shown once; the server keeps only its digest).
        """
        if not same_secret(room.strip().upper(), self.room):
            raise Forbidden("wrong room code: check the code on the projector")
        name = " ".join(team_name.split())
        if not name:
            raise Invalid("give your team a name")
        existing = next((t for t in self.teams.values() if t.name.casefold() == name.casefold()), None)
        if existing is not None:
            if not pin:
                raise LessonError(
                    f"the team {existing.name!r} exists; enter its PIN to join it, or choose another name"
                )
            if not same_secret(pin.strip(), existing.pin):
                raise Forbidden(f"wrong PIN for team {existing.name!r}")
            token = new_secret()
            existing.token_digests.append(digest(token))
            self.save()
            return existing, token
        if self.locked:
            raise LessonError("joining is locked: ask your teacher")
        if pin:
            raise NotFound(f"no team called {name!r}; check the name your teammates chose")
        if not seat:
            raise Invalid("choose a seat")
        open_ids = {s["id"] for s in self.open_seats()}
        if seat not in open_ids:
            if seat in self.seat_roles and self.seat_roles[seat] == "team":
                raise LessonError(f"{seat} is already taken by another team")
            raise LessonError(f"{seat} is not open to teams in this lesson")
        # Ids are random, never reused: a socket or message of a team that was removed (another
        # scenario chosen) can never point at a new team.
        team = Team(id=f"t{secrets.token_hex(4)}", name=name, seat=seat, pin=team_pin(), joined_at=time.time())
        while team.id in self.teams:
            team.id = f"t{secrets.token_hex(4)}"
        token = new_secret()
        team.token_digests.append(digest(token))
        self.teams[team.id] = team
        self.save()
        return team, token

    def team_for(self, token: str | None) -> Team:
        """The team a device token belongs to; a wrong or revoked token is refused."""
        if not token:
            raise Forbidden("no team token: join the lesson first")
        given = digest(token)
        found: Team | None = None
        for team in self.teams.values():
            for kept in team.token_digests:
                if hmac.compare_digest(given, kept):
                    found = team
        if found is None:
            raise Forbidden("this device's team token is not valid (moved to another device, or forged)")
        return found

    def is_admin(self, key: str | None) -> bool:
        """Whether a key is the teacher's secret (constant-time comparison)."""
        return bool(key) and same_secret(str(key), self.admin_key)

    def move_team(self, team_id: str) -> str:
        """Revoke every device of a team and give it a new PIN to join from another device."""
        team = self._team(team_id)
        team.token_digests.clear()
        team.pin = team_pin()
        team.submitted = False
        self.save()
        return team.pin

    def _team(self, team_id: str) -> Team:
        if team_id not in self.teams:
            raise NotFound(f"no team {team_id!r}")
        return self.teams[team_id]

    def own_seat(self, team: Team, seat: str | None) -> str:
        """The team's seat; a payload naming another seat is refused, never silently ignored."""
        if seat is not None and seat != team.seat:
            raise Forbidden(f"team {team.name!r} plays {team.seat}; it cannot act or read as {seat}")
        return team.seat

    # -- playing -----------------------------------------------------------------------------

    def _playing(self) -> GameSession:
        if self.session is None or self.phase == "setup":
            raise LessonError("the lesson has not started yet; wait for your teacher")
        if self.session.model.done or self.phase == "over":
            raise LessonError("the game is over")
        if self.stepping:
            raise LessonError("the quarter is being played; wait a moment")
        if self.saving:
            raise Busy("the quarter is being saved; one moment")
        return self.session

    def _can_act(self, team: Team) -> GameSession:
        session = self._playing()
        if self.paused:
            raise LessonError("the teacher has paused the game")
        if team.submitted:
            raise LessonError("your turn is in; take it back to change your orders")
        if team.seat in session.model.seats and team.seat not in session.model.human_seats:
            raise LessonError("the teacher has handed your seat to the AI for now: it decides this quarter")
        return session

    def command_from(
        self, action: str | None, values: dict[str, Any] | None, command: dict[str, Any] | None
    ) -> Command:
        """A command from a form (action key and values, as the desktop builds it) or a command dict."""
        try:
            if command is not None:
                return command_from_dict(dict(command))
            if not action:
                raise Invalid("say which action")
            return build_command(action, dict(values or {}))
        except CommandError as exc:
            raise Invalid(str(exc)) from None

    def form(self, team: Team, action: str, region: str | None) -> list[dict[str, Any]]:
        """The fields of an action's form for the team's seat, as the desktop side panel has them."""
        session = self._playing()
        keys = {a.key for a in actions_for(session.model, team.seat)}
        if action not in keys:
            raise NotFound(f"{action!r} is not an action of {team.seat}")
        out = []
        for f in fields_for(session.model, team.seat, action, region):
            out.append(
                {
                    "name": f.name,
                    "label": f.label,
                    "kind": f.kind,
                    "choices": [[jsonable(v), str(lbl)] for v, lbl in f.choices],
                    "lo": f.lo,
                    "hi": f.hi,
                    "step": f.step,
                    "default": jsonable(f.default),
                    "none_at_max": f.none_at_max,
                    "tooltip": f.tooltip,
                    "lo_text": f.unit(f.lo) if f.kind == "number" else "",
                    "hi_text": ("unlimited" if f.none_at_max else f.unit(f.hi)) if f.kind == "number" else "",
                }
            )
        return out

    def preview(self, team: Team, cmd: Command) -> dict[str, Any]:
        """Cost, subsidy, build time, expected effects and the validator's verdict, as the desktop shows."""
        session = self._playing()
        try:
            p = preview(session.model, team.seat, cmd)
        except (KeyError, IndexError, ValueError) as exc:
            raise Invalid(f"these values do not make a valid order: {exc}") from None
        return {
            "cost": fmt.money(p.cost_busd),
            "subsidy": fmt.money(p.subsidy_busd),
            "net_cost": fmt.money(p.net_cost_busd),
            "quarters": p.quarters,
            "ready": p.ready,
            "effects": p.effects,
            "verdict": p.verdict,
        }

    def submit(self, team: Team, cmd: Command) -> dict[str, Any]:
        """Queue an order for the team's seat through the same validator as the desktop game."""
        session = self._can_act(team)
        result = session.submit(cmd, seat=team.seat)
        if result.accepted:
            self.orders.setdefault(team.seat, []).append(command_to_dict(cmd))
            self.unsaved = True  # the server writes it within a tick (`save_if_changed`)
        return {
            "accepted": result.accepted,
            "reason": result.reason,
            "queued": self.queued(team),
            "committed": fmt.money(session.committed_busd(team.seat)),
        }

    def queued(self, team: Team) -> list[dict[str, Any]]:
        """The team's orders this quarter, each with the line the desktop shows."""
        if self.session is None:
            return []
        model = self.session.model
        return [
            {"text": command_label(model, c), "command": command_to_dict(c)} for c in self.session.queued(team.seat)
        ]

    def set_submitted(self, team: Team, done: bool) -> None:
        """Say "our turn is in" (or take it back to change the orders)."""
        self._playing()
        if self.paused and done is False:
            raise LessonError("the teacher has paused the game")
        team.submitted = bool(done)

    def all_in(self) -> bool:
        """Whether every team with a device has said its turn is in."""
        active = [t for t in self.teams.values() if t.token_digests]
        return bool(active) and all(t.submitted for t in active)

    # -- timer and pause ------------------------------------------------------------------------

    def _restart_timer(self) -> None:
        self.deadline = time.time() + self.timer_s if self.timer_s > 0 else None
        self.paused_remaining = float(self.timer_s) if self.paused and self.timer_s > 0 else None

    def remaining(self) -> float | None:
        """Seconds left in this quarter (None: no timer)."""
        if self.paused:
            return self.paused_remaining
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.time())

    def set_timer(self, seconds: int) -> None:
        """Seconds per quarter, from now on (0 switches the timer off)."""
        if not 0 <= seconds <= 3600:
            raise Invalid("the timer is between 0 (off) and 3600 seconds")
        self.timer_s = int(seconds)
        self._restart_timer()
        self.save()

    def pause(self, paused: bool) -> None:
        """Pause (the timer stops and no orders are taken) or resume."""
        if paused and not self.paused:
            self.paused_remaining = self.remaining()
            self.paused = True
        elif not paused and self.paused:
            self.paused = False
            left = self.paused_remaining
            self.deadline = time.time() + left if left is not None else None
            self.paused_remaining = None

    def timer_expired(self) -> bool:
        """Whether the quarter's time is up (never while paused or without a timer)."""
        left = self.remaining()
        return self.phase == "playing" and not self.paused and left is not None and left <= 0

    # -- the quarter ends -----------------------------------------------------------------------

    def ensure_playing(self) -> None:
        """Refuse (with the reason) when no quarter can be played now."""
        self._playing()

    def begin_quarter_end(self) -> None:
        """Check the quarter can be played now and keep everything else out until it is."""
        self._playing()
        self.stepping = True
        self.saving = True  # until `autosave_quarter` has written the quarter that is played now

    def play_quarter(self) -> StepReport | None:
        """Play the quarter (worker thread): teams that did not submit keep what they queued."""
        session = self.session
        assert session is not None
        self.last_error = None
        try:
            before = {t.seat: self._figures(t.seat) for t in self.teams.values()}
            session.end_quarter(wait=True)
            report = session.poll()
            if report is not None and report.error is None:
                self._after_quarter(report.quarter, before)
                self._played = True
            elif report is not None:
                self.last_error = report.error
            return report
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"  # the console shows it; the server logs it
            raise
        finally:
            self.stepping = False

    def _after_quarter(self, played: str, before: dict[str, dict[str, Any]]) -> None:
        model = self.model
        self.past_orders[played] = self.orders
        self.orders = {}
        for team in self.teams.values():
            team.submitted = False
            applied = self._fate(team.seat, played)
            news = [n for n in model.news if n["quarter"] == played]
            after = self._figures(team.seat)
            figures = {k: {"before": before.get(team.seat, {}).get(k), "after": v} for k, v in after.items()}
            self.results[team.seat] = QuarterResults(played, jsonable(applied), jsonable(news), jsonable(figures))
        self._announce_decisions()
        self._announce_offers()
        if model.done:
            self.phase = "over"
        self._restart_timer()

    def autosave_quarter(self) -> None:
        """Autosave the new quarter (worker thread), after everyone has been shown it.

        Until it is written (a fifth of a second on the baseline) the game only reads: orders and
        the teacher's changes are answered with :class:`Busy`, and the pages retry by themselves.
        """
        try:
            if self._played:
                self._save_quarter()
                self.save()
        finally:
            self.saving = False
            self._played = False

    def _announce_decisions(self) -> None:
        """A decision an event asks of a team arrives as a message to it, answered on its page."""
        assert self.session is not None
        for team in self.teams.values():
            for event_id, options in self.session.pending_decisions(team.seat).items():
                if int(event_id) in self.announced:
                    continue
                self.announced.add(int(event_id))
                headline, _ = self.session.decision_headline(event_id, options, team.seat)
                text = f"Decision waiting: {headline}. Choose: {' / '.join(options)} (under Decisions waiting)."
                self.post("game", "Sovereign", team.id, text, kind="decision")

    def _announce_offers(self) -> None:
        """A deal another seat offers a team arrives as a message to it, answered on its page."""
        model = self.model
        for team in self.teams.values():
            for deal in open_offers(model, team.seat):
                key = -1 - int(deal["id"])  # deals share the announced set with events: negative ids
                if key in self.announced:
                    continue
                self.announced.add(key)
                sender = self.session.seat_name(deal["proposer"]) if self.session is not None else deal["proposer"]
                text = f"Offer from {sender}: {describe(model, deal)}. Accept or reject it under Offers waiting."
                self.post("game", "Sovereign", team.id, text, kind="offer")

    def _fate(self, seat: str, played: str) -> list[dict[str, Any]]:
        """The seat's orders of a quarter and whether each was carried out.

        The model logs an order when it is queued and again only if it is refused when the quarter
        is played (the budget left may no longer cover it), so an order without a refusal was done.
        """
        log = [c for c in self.model.command_log if c["seat"] == seat and c["quarter"] == played]
        refused = {json.dumps(c["command"], sort_keys=True): c["reason"] for c in log if c.get("stage") == "apply"}
        from sovereign.persist.replay import without_withdrawn

        played_log = without_withdrawn({played: log})[played]  # orders taken back were never played
        out = []
        for c in played_log:
            if c.get("stage") == "submit" and c["accepted"]:
                reason = refused.get(json.dumps(c["command"], sort_keys=True))
                text = command_label(self.session.model, command_from_dict(c["command"]))
                out.append({"text": text, "accepted": reason is None, "reason": reason or ""})
        return out

    def _figures(self, seat: str) -> dict[str, Any]:
        """A seat's key figures, for the before/after of the quarter's results."""
        model = self.model
        agent = model.seats.get(seat)
        if agent is None:
            return {}
        out: dict[str, Any] = {"cash_busd": float(agent.cash_busd)}
        if agent.kind == "nation":
            rows = [r for r in model.metrics.nations if r["region"] == seat]
            if rows:
                for key in ("sovereignty_index", *PILLARS):
                    if key in rows[-1]:
                        out[key] = float(rows[-1][key])
        else:
            rows = [r for r in model.metrics.firms if r.get("firm") == seat]
            if rows:
                out.update({k: float(rows[-1][k]) for k in ("revenue_busd", "valuation_busd", "market_share")})
        return out

    # -- teacher's tools ------------------------------------------------------------------------

    def fire_inject(self, index: int | None = None, headline: str | None = None, text: str = "") -> dict[str, Any]:
        """Fire one of the scenario's injects, or a custom headline, in the quarter being played.

        The inject is added to the game's scenario at this quarter, so the model applies it with
        the quarter as it applies any scripted event, and the autosave and a replay carry it.
        """
        session = self._playing()
        sc = session.model.scenario
        now = session.model.quarter_label
        own = self.scenario.injects
        if index is not None:
            if not 0 <= index < len(own):
                raise NotFound(f"no inject number {index}; the scenario has {len(own)}")
            inj = own[index].model_copy(update={"quarter": now})
        else:
            if not headline or not headline.strip():
                raise Invalid("write a headline")
            inj = Inject(quarter=now, kind="news", headline=headline.strip(), text=text.strip())
        session.model.scenario = sc.model_copy(update={"injects": [*sc.injects, inj]})
        fired = {"quarter": now, "kind": inj.kind, "headline": inj.headline, "inject": inj.model_dump(mode="json")}
        self.fired.append(fired)
        self.post("teacher", "Teacher", "all", inj.headline, kind="news")
        return fired

    def injects(self) -> list[dict[str, Any]]:
        """The scenario's injects the teacher may fire (its own, not the ones fired in class)."""
        own = self.scenario.injects  # the game's copy also holds those fired in class
        return [
            {"index": i, "quarter": j.quarter, "kind": j.kind, "headline": j.headline, "region": j.region}
            for i, j in enumerate(own)
        ]

    def undo(self) -> str:
        """Go back to the start of the last quarter played, with the orders teams had queued.

        And with the hand-overs the teacher had asked for in it: a seat handed to the AI (or back)
        during that quarter is handed over again when it is replayed, as the teams' orders are
        queued again. Requests made after it, like orders queued after it, are undone with it.
        """
        from sovereign.persist import SaveError, load_game

        self._playing_or_over()
        if len(self.quarter_saves) < 2:
            raise LessonError("no quarter has been played yet")
        previous = self.quarter_saves[-2]
        try:
            model = load_game(self.folder / previous)
        except SaveError as exc:
            raise LessonError(f"the autosave cannot be read: {exc}") from None
        dropped = self.quarter_saves.pop()
        (self.folder / dropped).unlink(missing_ok=True)
        assert self.session is not None
        # the hand-overs carried out when the undone quarter ended (logged under the quarter after it)
        ended = self.session.model.quarter_label
        handed = {
            e["seat"]: e["command"]["to"]
            for e in self.session.model.command_log
            if e.get("stage") == "control" and e["quarter"] == ended
        }
        self.session = GameSession(
            model=model, scenario_path=self.scenario_path, save_dir=self.folder, autosave=False, save_path=None
        )
        for seat, player in handed.items():
            self.session.hand_seat(seat, player)
        label = model.quarter_label
        self.fired = [f for f in self.fired if quarter_index(f["quarter"]) < model.quarter]
        self.orders = self.past_orders.pop(label, {})
        self._resubmit()
        for team in self.teams.values():
            team.submitted = False
        self.results = {}
        self.phase = "playing"
        self._restart_timer()
        self.save()
        return label

    def debrief_snapshot(self) -> Any:
        """A copy of the game for the class-against-the-bots debrief (taken between quarters).

        Why a copy: the debrief plays AI-only games for seconds on a worker thread, while the
        lesson may go on; it must read a game that does not change under it.
        """
        from sovereign.persist import model_from_state, model_to_state

        self._playing_or_over()
        assert self.session is not None
        if not self.session.model.metrics.world:
            raise LessonError("no quarter has been played yet: nothing to compare")
        seats = {team.seat for team in self.teams.values()} & self.session.model.human_seats
        if not seats:
            raise LessonError("no seat is played by a team")
        snapshot = model_from_state(model_to_state(self.session.model))
        snapshot.human_seats = seats  # the seats of teams that joined, not every seat set to "team"
        return snapshot

    @staticmethod
    def debrief_rows(snapshot: Any, runs: int) -> list[dict[str, Any]]:
        """Each team seat against `runs` AI-only games of the lesson's scenario (see `foresight.debrief`)."""
        from dataclasses import asdict

        from sovereign.ensemble.foresight import debrief

        names = {r.id: r.name for r in snapshot.scenario.regions} | {a.id: a.name for a in snapshot.scenario.actors}
        quarter = snapshot.metrics.world[-1]["quarter"]
        out = []
        for row in debrief(snapshot, runs):
            item = asdict(row)
            item.update(name=names.get(row.seat, row.seat), quarter=quarter, runs=runs)
            out.append({k: (None if isinstance(v, float) and v != v else v) for k, v in item.items()})
        return out

    def _playing_or_over(self) -> None:
        if self.session is None:
            raise LessonError("the lesson has not started yet")
        if self.stepping:
            raise LessonError("the quarter is being played; wait a moment")
        if self.saving:
            raise Busy("the quarter is being saved; one moment")

    def _refire(self) -> None:
        """Fire again the injects fired this quarter after its autosave (after a restart)."""
        assert self.session is not None
        model = self.session.model
        now = [Inject.model_validate(f["inject"]) for f in self.fired if f["quarter"] == model.quarter_label]
        if now:
            model.scenario = model.scenario.model_copy(update={"injects": [*model.scenario.injects, *now]})

    def _resubmit(self) -> None:
        """Queue again the orders kept in the lesson file (after a restart or an undo)."""
        assert self.session is not None
        kept: dict[str, list[dict[str, Any]]] = {}
        for seat, orders in self.orders.items():
            for data in orders:
                result = self.session.submit(command_from_dict(data), seat=seat)
                if result.accepted:
                    kept.setdefault(seat, []).append(data)
        self.orders = kept

    # -- messages -------------------------------------------------------------------------------

    def post(self, sender: str, sender_name: str, to: str, text: str, kind: str = "chat") -> Message:
        """Keep a message (to a team id or ``all``) for the room and the debrief."""
        text = text.strip()
        if not text:
            raise Invalid("the message is empty")
        if to != "all" and to not in self.teams:
            raise NotFound(f"no team {to!r} to send to")
        msg = Message(len(self.messages) + 1, self.quarter, time.time(), sender, sender_name, to, text, kind)
        self.messages.append(msg)
        del self.messages[:-MAX_MESSAGES]
        self.save()
        return msg

    def team_message(self, team: Team, to: str, text: str) -> Message:
        """A team writes to another team or to everyone (refused while the teacher mutes it)."""
        if team.muted:
            raise Forbidden("the teacher has muted your team's messages")
        if to == team.id:
            raise Invalid("choose another team to write to")
        return self.post(team.id, team.name, to, text)

    def visible_to(self, team: Team, msg: Message) -> bool:
        """A team reads messages to everyone, to it, and its own."""
        return msg.to in ("all", team.id) or msg.sender == team.id

    def mute(self, team_id: str, muted: bool) -> None:
        """Mute or unmute a team's messages."""
        self._team(team_id).muted = bool(muted)
        self.save()

    # -- what each screen shows -----------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Public state of the lesson: what the projector shows and every page's top bar."""
        return {
            "room": self.room,
            "title": self.scenario.meta.title,
            "phase": self.phase,
            "quarter": self.quarter,
            "paused": self.paused,
            "stepping": self.stepping,
            "locked": self.locked,
            "shared_risk": self._shared_risk(),
            "timer_s": self.timer_s,
            "remaining": self.remaining(),
            "teams": [
                {"id": t.id, "name": t.name, "seat": t.seat, "submitted": t.submitted, "online": bool(t.token_digests)}
                for t in self.teams.values()
            ],
        }

    def _shared_risk(self) -> dict[str, Any] | None:
        """The scenario's shared risk as every page shows it (None when the scenario sets none)."""
        rule = self.scenario.shared_risk
        if rule is None:
            return None
        model = self.session.model if self.session is not None else None
        value = model.economy.shared_risk if model is not None else rule.initial
        lost = model is not None and model.economy.shared_loss >= 0
        return {"name": rule.name, "value": round(float(value), 3), "threshold": rule.threshold, "lost": lost}

    def team_view(self, team: Team) -> dict[str, Any]:
        """Everything the team's page shows: only its own seat's view of the world."""
        out: dict[str, Any] = {
            "status": self.status(),
            "team": {"id": team.id, "name": team.name, "seat": team.seat, "pin": team.pin, "muted": team.muted},
            "briefing": self.scenario.meta.briefing,
            "objectives": [
                objective_text(o, self.scenario.time.end)
                for o in self.scenario.objectives
                if o.seat in (team.seat, "all")
            ],
            "teams": [{"id": t.id, "name": t.name} for t in self.teams.values() if t.id != team.id],
            "messages": [asdict(m) for m in self.messages if self.visible_to(team, m)][-200:],
        }
        if self.session is None or self.stepping:
            return out
        model = self.session.model
        if team.seat not in model.seats:
            out["gone"] = f"{team.seat} has left the game"
            return out
        obs = model.observe(team.seat)
        out["observation"] = {"public": self._public(model, obs["public"]), "private": jsonable(obs["private"])}
        out["seat_name"] = self.session.seat_name(team.seat)
        out["kind"] = self.session.seat_kind(team.seat)
        out["history"] = self.history(team.seat)
        out["actions"] = [{"key": a.key, "label": a.label, "tooltip": a.tooltip} for a in actions_for(model, team.seat)]
        out["queued"] = self.queued(team)
        out["committed"] = fmt.money(self.session.committed_busd(team.seat))
        out["played_by"] = self.played_by(team.seat)
        out["decisions"] = [
            {
                "event_id": int(eid),
                "headline": self.session.decision_headline(eid, opts, team.seat)[0],
                "options": opts,
                "effects": self.session.decision_effects(eid),
            }
            for eid, opts in self.session.pending_decisions(team.seat).items()
        ]
        out["offers"] = [
            {"deal": int(d["id"]), "text": describe(model, d), "from": self.session.seat_name(d["proposer"])}
            for d in open_offers(model, team.seat)
        ]
        res = self.results.get(team.seat)
        out["results"] = asdict(res) if res is not None else None
        out["business"] = self.business(team.seat) if out["kind"] != "nation" else None
        return out

    def business(self, seat: str) -> dict[str, Any] | None:
        """A firm team's compute business and valuation in words (the desktop Business screen's book).

        Lines of plain text: what its compute did last quarter, its price floor, its running
        contracts, and why its valuation moved; None before the first quarter.
        """
        model = self.model
        if not model.results.played or seat not in model.seats:
            return None
        book = business_book(model, seat)
        lines = [sales_words(book)] if book.owns_datacenters else []
        if book.owns_datacenters and book.cost_usd_per_hour is not None:  # the sales line gives the world's price
            lines.append(f"Your running cost (power and operations): {money_hour(book.cost_usd_per_hour)}")
        if book.floor_usd_per_hour:
            lines.append(f"Your price floor: {money_hour(book.floor_usd_per_hour)}")
        for c in book.contracts:
            verb = "You supply" if c.selling else "You buy from"
            lines.append(
                f"{verb} {c.other_name}: {fmt.h100e(c.h100e)} a quarter at {money_hour(c.price_usd_per_hour)}, "
                f"{fmt.quarters(c.quarters_left)} left"
            )
        cause = valuation_cause(model, seat)
        return {
            "valuation": fmt.money(float(model.seats[seat].state.get("valuation_busd", 0.0))),
            "lines": lines,
            "valuation_cause": cause,
        }

    def _public(self, model: Any, public: dict[str, Any]) -> Any:
        """The public part of an observation as JSON data, converted once per quarter for everyone.

        Every seat's observation shares it (`sovereign.sim.observe`); converting it for each of 40
        teams was most of the time between a quarter's end and the last team seeing it.
        """
        key = (id(model), model.quarter, len(model.news))
        if self._public_key != key:
            self._public_cache = jsonable(public)
            self._public_key = key
        return self._public_cache

    def history(self, seat: str) -> list[dict[str, Any]]:
        """The seat's key figures quarter by quarter, for the history charts."""
        model = self.model
        agent = model.seats.get(seat)
        if agent is None:
            return []
        if agent.kind == "nation":
            rows = [r for r in model.metrics.nations if r["region"] == seat]
            keys = ("sovereignty_index", *PILLARS)
        else:
            rows = [r for r in model.metrics.firms if r.get("firm") == seat]
            keys = ("cash_busd", "revenue_busd", "valuation_busd")
        return [jsonable({"quarter": r["quarter"], **{k: r.get(k) for k in keys}}) for r in rows]

    def projector_view(self) -> dict[str, Any]:
        """The room's shared screen: the map layer's values, the news, the timer, who submitted."""
        out: dict[str, Any] = {"status": self.status(), "regions": [], "news": [], "values": {}, "layers": MAP_LAYERS}
        sc = self.scenario if self.session is None else self.session.model.scenario
        out["regions"] = [{"id": r.id, "name": r.name, "iso3": list(r.iso3)} for r in sc.regions]
        if self.session is None or self.stepping:
            return out
        model = self.session.model
        last = quarter_label(model.quarter - 1)
        rows = [r for r in model.metrics.nations if r["quarter"] == last]
        out["values"] = {key: {r["region"]: jsonable(r.get(key)) for r in rows} for key, _ in MAP_LAYERS}
        out["news"] = jsonable(model.news[-12:])
        return out

    def admin_view(self) -> dict[str, Any]:
        """The teacher's console: every seat and team, every message, the injects."""
        from sovereign.web.export import TABLES  # pyarrow, loaded with the console rather than the game

        return {
            "status": self.status(),
            "room": self.room,
            "exports": list(TABLES),  # the tables the console offers to download, one list for both
            "scenarios": [{"id": k, "title": v[1].meta.title} for k, v in sorted(self.scenarios.items())],
            "scenario": self.scenario.meta.id,
            "briefing": self.scenario.meta.briefing,
            "debrief": self.scenario.meta.debrief,
            "seats": self.seat_list(),
            "levels": list(LEVELS),
            "teams": [
                {
                    "id": t.id,
                    "name": t.name,
                    "seat": t.seat,
                    "pin": t.pin,
                    "devices": len(t.token_digests),
                    "submitted": t.submitted,
                    "muted": t.muted,
                    "orders": len(self.session.queued(t.seat)) if self.session is not None and not self.stepping else 0,
                    "played_by": self.played_by(t.seat),
                }
                for t in self.teams.values()
            ],
            "messages": [asdict(m) for m in self.messages][-500:],
            "injects": self.injects(),
            "fired": self.fired,
            "can_undo": len(self.quarter_saves) >= 2,
            "error": self.last_error,
        }

    # -- persistence ----------------------------------------------------------------------------

    def _save_quarter(self) -> None:
        """Autosave the game at the start of a quarter (what undo and a restart go back to)."""
        from sovereign.persist import save_game

        model = self.model
        name = f"quarter-{len(self.quarter_saves):03d}-{model.quarter_label if not model.done else 'end'}.json.gz"
        (self.folder).mkdir(parents=True, exist_ok=True)
        save_game(model, self.folder / name, label=f"{self.scenario.meta.title}, lesson {self.room}")
        self.quarter_saves.append(name)

    def to_dict(self) -> dict[str, Any]:
        """The lesson file: everything but the game itself, which is in the quarter autosaves."""
        return {
            "format": LESSON_FORMAT,
            "room": self.room,
            "admin_key": self.admin_key,
            "scenario_id": self.scenario.meta.id,
            "scenario_path": str(self.scenario_path) if self.scenario_path else None,
            "seed": self.seed,
            "phase": self.phase,
            "seat_roles": self.seat_roles,
            "timer_s": self.timer_s,
            "locked": self.locked,
            "teams": [asdict(t) for t in self.teams.values()],
            "messages": [asdict(m) for m in self.messages],
            "orders": self.orders,
            "past_orders": self.past_orders,
            "quarter_saves": self.quarter_saves,
            "fired": self.fired,
            "own_injects": len(self.scenario.injects),
            "announced": sorted(self.announced),
            "results": {seat: asdict(r) for seat, r in self.results.items()},
            "handovers": dict(self.session.handovers) if self.session is not None else {},
        }

    def save(self, sync: bool = True) -> None:
        """Write the lesson file atomically (owner-only: it holds the teacher's key).

        Args:
            sync: Wait until the file is on disk. Orders are written within a timer tick of
                arriving and without waiting for the disk (a crash of the computer, not of the
                server, may lose the last second of them), so a class sending a hundred orders
                at once is not queued behind the disk.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        self.unsaved = False
        path = self.folder / "lesson.json"
        tmp = path.with_suffix(".json.tmp")
        data = json.dumps(self.to_dict(), ensure_ascii=False).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)

    def save_if_changed(self) -> None:
        """Write the orders queued since the last write (the server calls this every tick)."""
        if self.unsaved:
            self.save(sync=False)

    @classmethod
    def resume(cls, folder: Path, scenarios: dict[str, tuple[Path | None, Scenario]] | None = None) -> Lesson:
        """Bring a lesson back from its folder: same room, key, teams, messages and queued orders.

        Raises:
            LessonError: The folder holds no readable lesson, or its autosave cannot be loaded.
        """
        from sovereign.persist import SaveError, load_game

        folder = Path(folder)
        if folder.is_file():
            folder = folder.parent
        path = folder / "lesson.json"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise LessonError(f"{folder} holds no lesson (no lesson.json)") from None
        except (OSError, ValueError) as exc:
            raise LessonError(f"{path} cannot be read: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != LESSON_FORMAT:
            raise LessonError(f"{path} is not a lesson file of format {LESSON_FORMAT}")
        try:
            saves = [str(s) for s in data["quarter_saves"]]
            model = load_game(folder / saves[-1]) if saves else None
            if model is None:
                from sovereign.scenario.loader import load_scenario

                scenario = load_scenario(Path(data["scenario_path"]))
            else:
                # The game's scenario also holds the injects fired in class; the teacher's list
                # is the scenario's own.
                own = int(data.get("own_injects", len(model.scenario.injects)))
                scenario = model.scenario.model_copy(update={"injects": model.scenario.injects[:own]})
            lesson = cls(
                scenario,
                folder,
                Path(data["scenario_path"]) if data.get("scenario_path") else None,
                seed=int(data["seed"]),
                timer_s=int(data["timer_s"]),
                scenarios=scenarios,
            )
            lesson.room = str(data["room"])
            lesson.admin_key = str(data["admin_key"])
            lesson.phase = str(data["phase"])
            lesson.seat_roles = {str(k): str(v) for k, v in data["seat_roles"].items()}
            lesson.locked = bool(data["locked"])
            lesson.teams = {t["id"]: Team(**t) for t in data["teams"]}
            lesson.messages = [Message(**m) for m in data["messages"]]
            lesson.orders = data["orders"]
            lesson.past_orders = data["past_orders"]
            lesson.quarter_saves = saves
            lesson.fired = list(data.get("fired", []))
            lesson.announced = {int(e) for e in data.get("announced", [])}
            lesson.results = {k: QuarterResults(**v) for k, v in data.get("results", {}).items()}
        except SaveError as exc:
            raise LessonError(f"the lesson's autosave cannot be loaded: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise LessonError(f"{path} is damaged: {exc}") from None
        if model is not None:
            lesson.session = GameSession(
                model=model, scenario_path=lesson.scenario_path, save_dir=folder, autosave=False
            )
            lesson._refire()
            lesson._resubmit()
            lesson.session.handovers = {str(k): str(v) for k, v in data.get("handovers", {}).items()}
        lesson._restart_timer()
        return lesson

    @classmethod
    def from_game(cls, path: Path, folder: Path) -> Lesson:
        """A new lesson continuing a saved desktop game (its human seats become team seats)."""
        from sovereign.persist import SaveError, load_game

        try:
            model = load_game(path)
        except SaveError as exc:
            raise LessonError(str(exc)) from None
        lesson = cls(model.scenario, folder)
        lesson.seat_roles = {
            s: ("team" if s in model.human_seats else str(getattr(model.seats[s], "difficulty", "normal")))
            for s in model.seat_ids
            if s in model.seats
        }
        lesson.session = GameSession(model=model, save_dir=folder, autosave=False)
        lesson.phase = "playing"
        lesson._save_quarter()
        lesson._restart_timer()
        lesson.save()
        return lesson


#: The five sovereignty pillars, as the metrics name them.
PILLARS = ("compute_self_reliance", "power_adequacy", "chip_security", "data_governance", "cyber_resilience")
#: What the projector's map can be coloured by: shares in [0, 1] the metrics record per nation.
MAP_LAYERS = [
    ("sovereignty_index", "Sovereignty index"),
    ("compute_self_reliance", "Compute self-reliance"),
    ("power_adequacy", "Power adequacy"),
    ("chip_security", "Chip security"),
    ("data_governance", "Data governance"),
    ("cyber_resilience", "Cyber resilience"),
]
