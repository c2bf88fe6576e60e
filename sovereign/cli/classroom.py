"""`sovereign classroom`: run a lesson, teams on their own devices, from this computer.

Starts the classroom web server (`sovereign.web`) and prints what the teacher needs: the address
and room code students join with (and its QR code), the teacher's secret console link, the
projector page, and every address the server listens on.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sovereign.cli.args import seed
from sovereign.cli.errors import UsageError

#: Where lessons keep their autosaves unless told otherwise.
DEFAULT_LESSONS_DIR = Path("saves") / "classroom"


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `sovereign classroom`."""
    p = sub.add_parser(
        "classroom",
        help="run a lesson: teams join from their browsers, the teacher runs it from a secret console",
    )
    p.add_argument(
        "scenario", nargs="?", default=None, metavar="SCENARIO", help="a scenario file or name (default: baseline)"
    )
    p.add_argument("--port", type=_port, default=8000, help="TCP port (default 8000; 0: any free port)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on: 127.0.0.1 (this computer only, the default) or 0.0.0.0 (the room's network)",
    )
    p.add_argument(
        "--resume",
        type=Path,
        default=None,
        metavar="SAVE",
        help="a lesson folder (or its lesson.json) to continue, or a game save to play as a lesson",
    )
    p.add_argument("--seed", type=seed, default=0, help="random seed of the game, 0 to 2**63-1 (default 0)")
    p.add_argument(
        "--timer", type=_seconds, default=0, help="seconds per quarter (default 0: the teacher ends quarters)"
    )
    p.add_argument(
        "--lessons-dir",
        type=Path,
        default=DEFAULT_LESSONS_DIR,
        help=f"where lessons autosave (default {DEFAULT_LESSONS_DIR})",
    )
    p.add_argument(
        "--join-limit", type=_positive, default=20, help="join attempts allowed per device per minute (default 20)"
    )
    p.set_defaults(handler=cmd_classroom)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, found {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 0 and 65535, not {value}")
    return value


def _seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole seconds, found {text!r}") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"the timer is between 0 and 3600 seconds, not {value}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, found {value}")
    return value


def bind(host: str, port: int) -> socket.socket:
    """Open the listening socket ourselves, so a busy port is a clear error and port 0 works."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"cannot listen on {host!r}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        why = (
            "is in use; choose another with --port"
            if exc.errno in (98, 48, 10048)
            else f"cannot be used: {exc.strerror}"
        )
        raise UsageError(f"port {port} on {host} {why}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def lan_addresses() -> list[str]:
    """This computer's IPv4 addresses on the room's network (best effort, no traffic sent)."""
    found: list[str] = []
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: picks the outgoing interface, sends nothing
        found.append(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(str(info[4][0]))
    except OSError:
        pass
    out = [a for a in dict.fromkeys(found) if not a.startswith("127.")]
    return out


def listening(host: str, port: int) -> list[str]:
    """The URLs the server can be reached at."""
    if host in ("0.0.0.0", "::", ""):
        return [f"http://127.0.0.1:{port}/", *(f"http://{a}:{port}/" for a in lan_addresses())]
    shown = f"[{host}]" if ":" in host else host
    return [f"http://{shown}:{port}/"]


def cmd_classroom(args: argparse.Namespace) -> int:
    """Run the classroom server until Ctrl-C."""
    import segno
    import uvicorn

    from sovereign.game.session import default_scenario_path, find_scenarios
    from sovereign.web.app import create_app
    from sovereign.web.lesson import Lesson, LessonError
    from sovereign.web.schemas import MAX_BODY_BYTES

    offered, _problems = find_scenarios()
    scenarios: dict[str, Any] = {info.scenario.meta.id: (info.path, info.scenario) for info in offered}
    try:
        if args.resume is not None:
            lesson = _resume(args.resume, args.lessons_dir, scenarios, Lesson, LessonError)
        else:
            from sovereign.cli.run import load_or_fail, scenario_file

            path = scenario_file(args.scenario) if args.scenario is not None else default_scenario_path()
            scenario = load_or_fail(path)
            folder = args.lessons_dir / f"{scenario.meta.id}-{time.strftime('%Y%m%d-%H%M%S')}"
            lesson = Lesson(scenario, folder, path, seed=args.seed, timer_s=args.timer, scenarios=scenarios)
            lesson.save()
    except LessonError as exc:
        raise UsageError(exc.reason) from None
    except OSError as exc:
        raise UsageError(f"cannot write the lesson: {exc}") from None

    sock = bind(args.host, args.port)
    port = sock.getsockname()[1]
    urls = listening(args.host, port)
    join_url = urls[-1]
    local = urls[0]
    app = create_app(lesson, join_url=join_url, join_limit=args.join_limit)
    qr = segno.make(join_url, error="m")
    print(f"Sovereign classroom: {lesson.scenario.meta.title}", flush=True)
    print(f"  listening on: {', '.join(urls)}")
    if args.host in ("127.0.0.1", "localhost", "::1"):
        print("  (this computer only: use --host 0.0.0.0 so the class's devices can join)")
    print(f"  students join: {join_url}   room code: {lesson.room}")
    print(f"  projector:     {local}projector")
    print(f"  teacher (keep it secret): {local}teacher/{lesson.admin_key}")
    print(f"  lesson folder: {lesson.folder}   (resume with --resume {lesson.folder})")
    qr.terminal(out=sys.stdout, compact=True)
    sys.stdout.flush()
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        ws_max_size=MAX_BODY_BYTES,
        ws="websockets-sansio",
        # A room's network is fast; compressing 40 dashboards each quarter only costs CPU on both ends.
        ws_per_message_deflate=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    if lesson.phase == "setup":
        threading.Thread(target=lesson.warm_up, name="sovereign-warm-up", daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn shuts down on Ctrl-C, then raises it again for the caller: a normal stop
    finally:
        sock.close()
    print("Sovereign classroom: stopped; the lesson is saved.", flush=True)
    return 0


def _resume(path: Path, lessons_dir: Path, scenarios: dict[str, Any], lesson_cls: Any, error_cls: Any) -> Any:
    """A lesson folder or lesson.json continues; a game save starts a lesson from that game."""
    if not path.exists():
        raise UsageError(f"nothing to resume at {path}")
    if path.is_dir() or path.name == "lesson.json":
        return lesson_cls.resume(path, scenarios)
    folder = lessons_dir / f"{path.name.split('.')[0]}-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        return lesson_cls.from_game(path, folder)
    except error_cls as exc:
        raise UsageError(f"cannot play {path} as a lesson: {exc.reason}") from None
