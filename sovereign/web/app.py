"""The classroom server: a Starlette ASGI app around one :class:`~sovereign.web.lesson.Lesson`.

Pages (plain HTML, CSS and JavaScript served from this package; nothing from the internet):
``/`` for students, ``/teacher/KEY`` for the teacher's console, ``/projector`` for the room.
Requests change the lesson through JSON endpoints under ``/api``; a websocket (``/ws``) pushes
every change to the pages: the timer and who has submitted, messages, and each team's new
dashboard when a quarter ends.

Who may do what is decided here once, by dependency-free helpers: a team's device sends its
token (``Authorization: Bearer``), the teacher's console sends its key (``X-Admin-Key``); the
websocket's first message says which. Everything a request carries is read with a size bound and
validated by a schema from `sovereign.web.schemas`; refusals are JSON ``{"error": reason}`` with
an HTTP status (400 malformed, 403 someone else's, 404 unknown, 409 not now, 413 too large,
422 invalid values, 429 too many joins).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from sovereign.web import export as exports
from sovereign.web import schemas as s
from sovereign.web.lesson import Busy, Forbidden, Lesson, LessonError, Message, Team

#: Join attempts one address may make per window (a class joins in a burst, a script floods).
JOIN_LIMIT = 20
JOIN_WINDOW_S = 60.0
#: How often the timer is checked, in seconds.
TICK_S = 0.25
#: The console is refreshed at most this often during a burst of orders, in seconds.
ADMIN_COALESCE_S = 0.3
#: Seconds a websocket may take to say who it is.
HELLO_TIMEOUT_S = 10.0
#: Close code for a refused websocket (4000-4999 are the application's; 4403 reads as 403).
WS_FORBIDDEN = 4403


def static_dir() -> Path:
    """This package's page assets (HTML, CSS, JavaScript), found through importlib.resources."""
    return Path(str(resources.files("sovereign.web").joinpath("static")))


def world_map_path() -> Path | None:
    """The bundled world map (Natural Earth GeoJSON) the projector draws, if present."""
    repo = Path(__file__).resolve().parents[2] / "assets" / "world.geojson"
    if repo.is_file():
        return repo
    packaged = resources.files("sovereign").joinpath("assets", "world.geojson")
    return Path(str(packaged)) if packaged.is_file() else None


class JoinLimiter:
    """At most ``limit`` join attempts per address in a sliding window of ``window_s`` seconds.

    Wrong PINs and room codes count too, so a PIN cannot be guessed by trying them all.
    """

    def __init__(self, limit: int = JOIN_LIMIT, window_s: float = JOIN_WINDOW_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self._seen: dict[str, deque[float]] = {}

    def allow(self, address: str, now: float | None = None) -> float:
        """0 when the attempt may go ahead, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        times = self._seen.setdefault(address, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        if len(times) >= self.limit:
            return self.window_s - (now - times[0])
        times.append(now)
        return 0.0


LOG = logging.getLogger("sovereign.classroom")


def log_failure(task: asyncio.Task[Any]) -> None:
    """Write a background task's exception, with its traceback, to the server's log."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        LOG.error("a background task of the classroom failed", exc_info=exc)


def error(reason: str, status: int) -> JSONResponse:
    """A refusal the pages show as it is."""
    return JSONResponse({"error": reason}, status_code=status)


async def read_json[M: BaseModel](request: Request, schema: type[M]) -> M:
    """Read at most :data:`~sovereign.web.schemas.MAX_BODY_BYTES` of JSON and validate it.

    Raises:
        HTTPRefusal: Too large, not JSON, or not what the schema allows.
    """
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > s.MAX_BODY_BYTES):
        raise HTTPRefusal(f"the request is larger than {s.MAX_BODY_BYTES} bytes", 413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > s.MAX_BODY_BYTES:
            raise HTTPRefusal(f"the request is larger than {s.MAX_BODY_BYTES} bytes", 413)
    return parse(bytes(body), schema)


def parse[M: BaseModel](raw: bytes | str, schema: type[M]) -> M:
    """Validate a JSON document against a request schema; a readable reason if it does not fit."""
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise HTTPRefusal("the request is not JSON", 400) from None
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise HTTPRefusal(s.first_error(exc.errors()), 422) from None


class HTTPRefusal(Exception):
    """A request refused before it reached the lesson."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def bearer(request: Request) -> str | None:
    """The device token from ``Authorization: Bearer TOKEN``."""
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth[:7].lower() == "bearer " else None


class Hub:
    """The open websockets, and what each one is shown when the lesson changes."""

    def __init__(self, lesson: Lesson) -> None:
        self.lesson = lesson
        self.teams: dict[WebSocket, str] = {}
        self.admins: set[WebSocket] = set()
        self.projectors: set[WebSocket] = set()
        self._admin_pending: asyncio.Task[None] | None = None

    async def _send(self, ws: WebSocket, payload: dict[str, Any]) -> None:
        if ws.client_state != WebSocketState.CONNECTED:
            self.drop(ws)
            return
        try:
            await ws.send_text(json.dumps(payload))
        except (RuntimeError, WebSocketDisconnect, OSError):
            self.drop(ws)

    def drop(self, ws: WebSocket) -> None:
        """Forget a closed socket."""
        self.teams.pop(ws, None)
        self.admins.discard(ws)
        self.projectors.discard(ws)

    async def status(self) -> None:
        """The timer, pause and who has submitted, to every page; the console gets its full view."""
        status = {"type": "status", "status": self.lesson.status()}
        targets = [*self.teams, *self.projectors]
        await asyncio.gather(*(self._send(ws, status) for ws in targets))
        self.admin_soon()

    async def admin(self) -> None:
        """The teacher's console."""
        if self.admins:
            view = {"type": "admin", "view": self.lesson.admin_view()}
            await asyncio.gather(*(self._send(ws, view) for ws in list(self.admins)))

    async def everything(self) -> None:
        """Every team its own dashboard, the console and the projector their views (a new quarter)."""
        lesson = self.lesson
        sends: list[Awaitable[None]] = []
        views: dict[str, dict[str, Any]] = {}
        for ws, team_id in list(self.teams.items()):
            team = lesson.teams.get(team_id)
            if team is None:
                continue
            if team_id not in views:
                views[team_id] = {"type": "view", "view": lesson.team_view(team)}
            sends.append(self._send(ws, views[team_id]))
        if self.projectors:
            proj = {"type": "projector", "view": lesson.projector_view()}
            sends += [self._send(ws, proj) for ws in list(self.projectors)]
        await asyncio.gather(*sends)
        await self.admin()

    async def orders(self, team: Team, result: dict[str, Any]) -> None:
        """A team's queue changed: its other devices see it; the console's count follows.

        Only the queue is sent, not the whole dashboard, so an order is acknowledged quickly
        however many teams order at once.
        """
        payload = {"type": "queued", "queued": result["queued"], "committed": result["committed"]}
        sockets = [ws for ws, tid in self.teams.items() if tid == team.id]
        await asyncio.gather(*(self._send(ws, payload) for ws in sockets))
        self.admin_soon()

    def admin_soon(self) -> None:
        """Refresh the console shortly, once for a burst of orders rather than once per order."""
        if not self.admins or self._admin_pending is not None:
            return

        async def later() -> None:
            await asyncio.sleep(ADMIN_COALESCE_S)
            self._admin_pending = None
            await self.admin()

        self._admin_pending = asyncio.create_task(later())

    async def message(self, msg: Message) -> None:
        """A message to the teams that may read it, the console, and (if public) the projector."""
        payload = {"type": "message", "message": asdict(msg)}
        sends = [
            self._send(ws, payload)
            for ws, tid in list(self.teams.items())
            if tid in self.lesson.teams and self.lesson.visible_to(self.lesson.teams[tid], msg)
        ]
        sends += [self._send(ws, payload) for ws in list(self.admins)]
        if msg.to == "all" and msg.kind in ("news", "broadcast"):
            sends += [self._send(ws, payload) for ws in list(self.projectors)]
        await asyncio.gather(*sends)

    async def revoke(self, team_id: str, reason: str) -> None:
        """Close the sockets of a team whose devices were revoked."""
        for ws, tid in list(self.teams.items()):
            if tid == team_id:
                self.drop(ws)
                with contextlib.suppress(RuntimeError, OSError):
                    await ws.close(code=WS_FORBIDDEN, reason=reason)


# The route handlers are small closures over the lesson; mccabe counts them all as this function.
def create_app(lesson: Lesson, join_url: str | None = None, join_limit: int = JOIN_LIMIT) -> Starlette:  # noqa: C901
    """The classroom server for a lesson.

    Args:
        lesson: The lesson to run (new, or resumed from its folder).
        join_url: The address students open (printed by the command line; default: the address
            the teacher's browser used).
        join_limit: Join attempts allowed per address per minute.
    """
    hub = Hub(lesson)
    limiter = JoinLimiter(join_limit)
    quarter_lock = asyncio.Lock()
    tasks: set[asyncio.Task[None]] = set()

    def background(coro: Any) -> None:
        """Run a coroutine after the response, keeping a reference until it ends.

        A failure is written to the server's log: nobody awaits the task, so it would be lost.
        """
        task = asyncio.create_task(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        task.add_done_callback(log_failure)

    async def end_quarter(quarter: str) -> None:
        """Play ``quarter`` on a worker thread, then show everyone the results.

        Several requests may ask to end the same quarter at once (the last two teams turning in
        together, a double click); only the first plays it, the others find it already played.
        """
        async with quarter_lock:
            if lesson.quarter != quarter:
                return
            try:
                lesson.begin_quarter_end()
            except LessonError:
                return
            try:
                await hub.status()
                await asyncio.to_thread(lesson.play_quarter)
            finally:
                # even after a failure (logged by `background`): pages show where the game stands
                # and the lesson never stays "being saved"
                try:
                    await hub.everything()  # everyone sees the new quarter first,
                finally:
                    await asyncio.to_thread(lesson.autosave_quarter)  # then it is saved
            await hub.status()

    async def ticker() -> None:
        """Write new orders to the lesson file; end the quarter when its time is up."""
        while True:
            await asyncio.sleep(TICK_S)
            try:
                lesson.save_if_changed()
                if lesson.timer_expired() and not lesson.stepping:
                    await end_quarter(lesson.quarter)
            except Exception:  # one bad tick must not stop the saves and the timer for the lesson
                LOG.exception("the classroom's tick failed")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(ticker())
        app.state.end_quarter = end_quarter
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            lesson.save_if_changed()

    def handle(fn: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        """Turn the lesson's refusals into JSON errors with their status."""

        async def wrapped(request: Request) -> Response:
            try:
                return await fn(request)
            except HTTPRefusal as exc:
                return error(exc.reason, exc.status)
            except Busy as exc:
                return JSONResponse({"error": exc.reason, "retry_ms": exc.retry_ms}, status_code=exc.status)
            except LessonError as exc:
                return error(exc.reason, exc.status)

        return wrapped

    def team_of(request: Request) -> Team:
        return lesson.team_for(bearer(request))

    def need_admin(request: Request) -> None:
        key = request.headers.get("x-admin-key") or request.query_params.get("key")
        if not lesson.is_admin(key):
            raise Forbidden("the teacher's key is missing or wrong: open the console from its secret link")

    # -- pages --------------------------------------------------------------------------------

    def page(name: str) -> Response:
        return FileResponse(static_dir() / name, media_type="text/html", headers={"Cache-Control": "no-store"})

    async def student_page(request: Request) -> Response:
        return page("student.html")

    async def projector_page(request: Request) -> Response:
        return page("projector.html")

    async def teacher_page(request: Request) -> Response:
        if not lesson.is_admin(request.path_params["key"]):
            return HTMLResponse(
                "<!doctype html><title>Sovereign</title><h1>403: not the teacher's link</h1>"
                "<p>The teacher's console opens only from the secret link the server printed.</p>",
                status_code=403,
            )
        return page("teacher.html")

    async def world_map(request: Request) -> Response:
        path = world_map_path()
        if path is None:
            return error("the world map is not installed", 404)
        return FileResponse(path, media_type="application/geo+json")

    async def qr_code(request: Request) -> Response:
        import segno

        url = join_url or str(request.base_url)
        out = io.BytesIO()
        segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False)
        return Response(out.getvalue(), media_type="image/svg+xml")

    # -- public and team endpoints --------------------------------------------------------------

    @handle
    async def lesson_info(request: Request) -> Response:
        return JSONResponse(
            {"status": lesson.status(), "seats": lesson.open_seats(), "join_url": join_url or str(request.base_url)}
        )

    @handle
    async def tutorial_steps(request: Request) -> Response:
        # the student page's tutorial card: the steps of sovereign.game.tutorial that apply to a team
        from sovereign.game.tutorial import web_steps

        return JSONResponse({"steps": web_steps()})

    @handle
    async def join(request: Request) -> Response:
        address = request.client.host if request.client else "unknown"
        wait = limiter.allow(address)
        if wait:
            return error(f"too many join attempts from this device; try again in {wait:.0f} s", 429)
        body = await read_json(request, s.JoinRequest)
        team, token = lesson.join(body.room, body.team, body.seat, body.pin)
        await hub.status()
        return JSONResponse({"token": token, "team": {"id": team.id, "name": team.name, "seat": team.seat}})

    @handle
    async def team_view(request: Request) -> Response:
        team = team_of(request)
        lesson.own_seat(team, request.query_params.get("seat"))
        return JSONResponse(lesson.team_view(team))

    @handle
    async def form(request: Request) -> Response:
        team = team_of(request)
        lesson.own_seat(team, request.query_params.get("seat"))
        action = request.query_params.get("action", "")[:40]
        region = request.query_params.get("region")
        return JSONResponse({"fields": lesson.form(team, action, region[:40] if region else None)})

    @handle
    async def order_preview(request: Request) -> Response:
        team = team_of(request)
        body = await read_json(request, s.OrderRequest)
        lesson.own_seat(team, body.seat)
        cmd = lesson.command_from(body.action, body.values, body.command)
        return JSONResponse(lesson.preview(team, cmd))

    @handle
    async def order(request: Request) -> Response:
        team = team_of(request)
        body = await read_json(request, s.OrderRequest)
        lesson.own_seat(team, body.seat)
        cmd = lesson.command_from(body.action, body.values, body.command)
        result = lesson.submit(team, cmd)
        if result["accepted"]:
            await hub.orders(team, result)
        return JSONResponse(result, status_code=200 if result["accepted"] else 422)

    @handle
    async def done(request: Request) -> Response:
        team = team_of(request)
        body = await read_json(request, s.DoneRequest)
        lesson.own_seat(team, body.seat)
        lesson.set_submitted(team, body.done)
        quarter = lesson.quarter
        await hub.status()
        if lesson.all_in():
            background(end_quarter(quarter))
        return JSONResponse({"submitted": team.submitted})

    @handle
    async def team_message(request: Request) -> Response:
        team = team_of(request)
        body = await read_json(request, s.MessageRequest)
        msg = lesson.team_message(team, body.to, body.text)
        await hub.message(msg)
        return JSONResponse({"message": asdict(msg)})

    @handle
    async def projector_view(request: Request) -> Response:
        return JSONResponse(lesson.projector_view())

    # -- the teacher's endpoints ----------------------------------------------------------------

    @handle
    async def admin_view(request: Request) -> Response:
        need_admin(request)
        return JSONResponse(lesson.admin_view())

    @handle
    async def admin_action(request: Request) -> Response:  # noqa: C901  # a flat dispatch on the teacher's verb
        need_admin(request)
        verb = request.path_params["verb"]
        result: dict[str, Any] = {"ok": True}
        full = False
        if verb == "scenario":
            before = list(lesson.teams)
            lesson.choose_scenario((await read_json(request, s.ScenarioRequest)).id)
            for team_id in before:
                await hub.revoke(team_id, "the teacher chose another scenario: join again")
            full = True
        elif verb == "role":
            body = await read_json(request, s.RoleRequest)
            lesson.set_role(body.seat, body.role)
        elif verb == "start":
            await read_json(request, s.Request)
            lesson.start()
            full = True
        elif verb == "timer":
            lesson.set_timer((await read_json(request, s.TimerRequest)).seconds)
        elif verb == "pause":
            lesson.pause((await read_json(request, s.FlagRequest)).on)
        elif verb == "lock":
            lesson.locked = (await read_json(request, s.FlagRequest)).on
            lesson.save()
        elif verb == "end-quarter":
            await read_json(request, s.Request)
            lesson.ensure_playing()
            background(end_quarter(lesson.quarter))
        elif verb == "inject":
            body = await read_json(request, s.InjectRequest)
            result["fired"] = lesson.fire_inject(body.index, body.headline, body.text)
            await hub.message(lesson.messages[-1])
        elif verb == "broadcast":
            body = await read_json(request, s.BroadcastRequest)
            msg = lesson.post("teacher", "Teacher", "all", body.text, kind="broadcast")
            await hub.message(msg)
        elif verb == "move":
            body = await read_json(request, s.TeamRequest)
            result["pin"] = lesson.move_team(body.team)
            await hub.revoke(body.team, "your team was moved to another device")
        elif verb == "mute":
            body = await read_json(request, s.MuteRequest)
            lesson.mute(body.team, body.muted)
        elif verb == "hand-seat":
            body = await read_json(request, s.HandSeatRequest)
            lesson.hand_seat(body.seat, body.player)
            full = True
        elif verb == "undo":
            await read_json(request, s.Request)
            result["quarter"] = lesson.undo()
            full = True
        else:
            return error(f"no teacher's action {verb!r}", 404)
        if full:
            await hub.everything()
        await hub.status()
        return JSONResponse(result)

    @handle
    async def admin_debrief(request: Request) -> Response:
        need_admin(request)
        body = await read_json(request, s.DebriefRequest)
        snapshot = lesson.debrief_snapshot()  # between quarters, on the event loop
        # seconds of AI-only games: on a worker thread, so the lesson and its sockets go on
        rows = await asyncio.to_thread(lesson.debrief_rows, snapshot, body.runs)
        return JSONResponse({"ok": True, "rows": rows})

    @handle
    async def export_table(request: Request) -> Response:
        need_admin(request)
        name = request.path_params["name"]
        if name == "lesson.zip":
            data, media = exports.export_zip(lesson), "application/zip"
        else:
            table, _, fmt = name.partition(".")
            try:
                data = exports.export(lesson, table, fmt)
            except KeyError as exc:
                return error(str(exc.args[0]), 404)
            media = "text/csv; charset=utf-8" if fmt == "csv" else "application/vnd.apache.parquet"
        filename = f"sovereign-{lesson.room}-{name}"
        return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    # -- the websocket --------------------------------------------------------------------------

    async def socket(ws: WebSocket) -> None:
        await ws.accept()
        try:
            raw = await asyncio.wait_for(ws.receive_text(), HELLO_TIMEOUT_S)
            if len(raw) > s.MAX_BODY_BYTES:
                raise HTTPRefusal("the message is too large", 413)
            hello = parse(raw, s.Hello)
            if hello.role == "team":
                team = lesson.team_for(hello.token)
                hub.teams[ws] = team.id
                await ws.send_text(json.dumps({"type": "view", "view": lesson.team_view(team)}))
            elif hello.role == "admin":
                if not lesson.is_admin(hello.token):
                    raise Forbidden("the teacher's key is missing or wrong")
                hub.admins.add(ws)
                await ws.send_text(json.dumps({"type": "admin", "view": lesson.admin_view()}))
            else:
                hub.projectors.add(ws)
                await ws.send_text(json.dumps({"type": "projector", "view": lesson.projector_view()}))
        except (HTTPRefusal, LessonError) as exc:
            reason = exc.reason
            await ws.send_text(json.dumps({"type": "error", "error": reason}))
            await ws.close(code=WS_FORBIDDEN, reason=reason[:120])
            return
        except (TimeoutError, WebSocketDisconnect):
            with contextlib.suppress(RuntimeError, OSError):
                await ws.close(code=WS_FORBIDDEN, reason="say who you are first")
            return
        try:
            while True:
                raw = await ws.receive_text()
                if len(raw) > s.MAX_BODY_BYTES:
                    await ws.close(code=1009, reason="message too large")
                    break
                if raw == "ping":
                    await ws.send_text(json.dumps({"type": "pong", "at": time.time()}))
        except WebSocketDisconnect:
            pass
        finally:
            hub.drop(ws)

    routes = [
        Route("/", student_page),
        Route("/projector", projector_page),
        Route("/teacher/{key}", teacher_page),
        Route("/world.geojson", world_map),
        Route("/qr.svg", qr_code),
        Route("/api/lesson", lesson_info),
        Route("/api/tutorial", tutorial_steps),
        Route("/api/join", join, methods=["POST"]),
        Route("/api/team", team_view),
        Route("/api/team/form", form),
        Route("/api/team/preview", order_preview, methods=["POST"]),
        Route("/api/team/orders", order, methods=["POST"]),
        Route("/api/team/done", done, methods=["POST"]),
        Route("/api/team/messages", team_message, methods=["POST"]),
        Route("/api/projector", projector_view),
        Route("/api/admin", admin_view),
        Route("/api/admin/export/{name}", export_table),
        Route("/api/admin/debrief", admin_debrief, methods=["POST"]),
        Route("/api/admin/{verb}", admin_action, methods=["POST"]),
        WebSocketRoute("/ws", socket),
        Mount("/static", StaticFiles(directory=static_dir()), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.lesson = lesson
    app.state.hub = hub
    app.state.end_quarter = end_quarter
    return app
