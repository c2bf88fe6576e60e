"""Load test of the classroom server on loopback: 40 teams on websockets play 8 quarters.

Starts `sovereign classroom` on the baseline scenario as its own process on a free 127.0.0.1
port, opens 40 team seats (25 nations and 15 firms; the other firms stay AI and think every
quarter), joins 40 clients, and plays 8 quarters. Each quarter every client sends orders
(`POST /api/team/orders`) and then "our turn is in"; the last one ends the quarter.

Teams think before each order (up to ``--think`` seconds, 3 by default: 40 teams then send about
40 orders a second, far busier than a class); ``--think 0`` sends all 120 orders of a quarter at
once, the worst case.

Measured, in milliseconds:
- ack: from sending an order to its answer (accepted or refused with the reason);
- step: from the last "turn is in" to the first client seeing the new quarter (the model and
  its AI seats playing the quarter, plus the autosave);
- show: from the last "turn is in" to *every* client showing the new quarter;
- spread: from the first client to each client showing the new quarter (pushing the views).

Bounded: 40 clients, 8 quarters, 3 orders per client per quarter, 10 minutes at most.
Run: ``.venv/bin/python benchmarks/classroom.py [--clients 40] [--quarters 8]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "sovereign" / "scenarios" / "baseline.yaml"
TIME_LIMIT_S = 600


def start_server(folder: Path, scenario: Path) -> tuple[subprocess.Popen[str], str, str, str]:
    args = [sys.executable, "-m", "sovereign", "classroom", str(scenario), "--port", "0", "--join-limit", "200"]
    args += ["--lessons-dir", str(folder)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    text = ""
    assert proc.stdout is not None
    while "lesson folder:" not in text:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the server did not start:\n" + text)
        text += line
    url = re.search(r"listening on: (http://127\.0\.0\.1:\d+/)", text).group(1)
    room = re.search(r"room code: (\w+)", text).group(1)
    key = re.search(r"teacher \(keep it secret\): \S+/teacher/(\S+)", text).group(1)
    return proc, url, room, key


async def play(http: httpx.AsyncClient, team: Team, acks: list[float], think_s: float, rng: random.Random) -> None:
    """Three orders, each after up to ``think_s`` seconds of thought, each timed to its answer."""
    headers = {"Authorization": f"Bearer {team.token}"}
    for i in range(3):
        await asyncio.sleep(rng.uniform(0, think_s))
        t0 = time.perf_counter()
        await http.post("/api/team/orders", json=team.order(i), headers=headers)
        acks.append((time.perf_counter() - t0) * 1000)


async def turn_in(http: httpx.AsyncClient, team: Team) -> float:
    """Our turn is in; when the answer came."""
    r = await http.post("/api/team/done", json={"done": True}, headers={"Authorization": f"Bearer {team.token}"})
    r.raise_for_status()
    return time.perf_counter()


async def watch(ws_url: str, hello: dict) -> None:
    async with connect(ws_url, max_size=2**24) as ws:
        await ws.send(json.dumps(hello))
        async for _ in ws:
            pass


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Team:
    def __init__(self, seat: str, kind: str, token: str) -> None:
        self.seat, self.kind, self.token = seat, kind, token
        self.quarter = ""
        self.seen: dict[str, float] = {}

    async def listen(self, ws_url: str, ready: asyncio.Event) -> None:
        async with connect(ws_url, max_size=2**24) as ws:
            await ws.send(json.dumps({"role": "team", "token": self.token}))
            ready.set()
            async for raw in ws:
                msg = json.loads(raw)
                if msg["type"] == "view":
                    q = msg["view"]["status"]["quarter"]
                    if q not in self.seen:
                        self.seen[q] = time.perf_counter()
                    self.quarter = q

    def order(self, i: int) -> dict:
        if self.kind == "nation":
            return {"command": {"kind": "set_security_spending", "busd_per_year": 1.0 + i}}
        return {"command": {"kind": "raise_funding", "busd": 1.0 + i}}


async def main(n_clients: int, n_quarters: int, scenario: Path, think_s: float) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="sovereign-bench-"))
    proc, url, room, key = start_server(folder, scenario)
    admin = {"X-Admin-Key": key}
    rng = random.Random(1)
    acks: list[float] = []
    steps: list[float] = []
    shows: list[float] = []
    spreads: list[float] = []
    try:
        # Idle connections are dropped by the client before the server (uvicorn: 5 s) drops them.
        limits = httpx.Limits(max_connections=200, keepalive_expiry=2.0)
        async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
            seats = (await http.get("/api/admin", headers=admin)).json()["seats"]
            nations = [s for s in seats if s["kind"] == "nation"]
            firms = [s for s in seats if s["kind"] != "nation"]
            chosen = (nations + firms)[:n_clients]
            for s in chosen:
                if s["kind"] != "nation":
                    r = await http.post("/api/admin/role", json={"seat": s["id"], "role": "team"}, headers=admin)
                    r.raise_for_status()
            teams = []
            for i, s in enumerate(chosen):
                r = await http.post("/api/join", json={"room": room, "team": f"team {i}", "seat": s["id"]})
                r.raise_for_status()
                teams.append(Team(s["id"], s["kind"], r.json()["token"]))
            ws_url = url.replace("http://", "ws://") + "ws"
            readies = [asyncio.Event() for _ in teams]
            listeners = [asyncio.create_task(t.listen(ws_url, e)) for t, e in zip(teams, readies, strict=True)]
            await asyncio.gather(*(e.wait() for e in readies))
            # The teacher's console and the projector are open too, as in a lesson.
            watchers = [
                asyncio.create_task(watch(ws_url, {"role": "admin", "token": key})),
                asyncio.create_task(watch(ws_url, {"role": "projector"})),
            ]
            (await http.post("/api/admin/start", json={}, headers=admin)).raise_for_status()
            await asyncio.sleep(1.0)
            t_start = time.perf_counter()
            for _ in range(n_quarters):
                quarter = (await http.get("/api/lesson")).json()["status"]["quarter"]

                await asyncio.gather(*(play(http, t, acks, think_s, rng) for t in teams))
                done_at = await asyncio.gather(*(turn_in(http, t) for t in teams))
                end = max(done_at)
                deadline = time.perf_counter() + 120
                while any(t.quarter == quarter for t in teams):
                    if time.perf_counter() > deadline:
                        raise SystemExit("clients did not see the new quarter in 120 s")
                    await asyncio.sleep(0.005)
                new_q = teams[0].quarter
                seen = [t.seen[new_q] for t in teams]
                first = min(seen)
                steps.append((first - end) * 1000)
                shows.append((max(seen) - end) * 1000)
                spreads += [(s - first) * 1000 for s in seen]
                if time.perf_counter() - t_start > TIME_LIMIT_S:
                    raise SystemExit("over the time limit")
            for task in [*listeners, *watchers]:
                task.cancel()
    finally:
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {
        "think_s": think_s,
        "clients": n_clients,
        "quarters": n_quarters,
        "ack_ms": {"n": len(acks), "p50": statistics.median(acks), "p95": pct(acks, 0.95), "max": max(acks)},
        "step_ms": {"p50": statistics.median(steps), "p95": pct(steps, 0.95), "max": max(steps)},
        "show_all_ms": {"p50": statistics.median(shows), "p95": pct(shows, 0.95), "max": max(shows)},
        "spread_ms": {"p50": statistics.median(spreads), "p95": pct(spreads, 0.95), "max": max(spreads)},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--scenario", type=Path, default=BASELINE)
    parser.add_argument(
        "--think", type=float, default=3.0, help="most seconds a team thinks before each order (0: all at once)"
    )
    a = parser.parse_args()
    if not 1 <= a.clients <= 55 or not 1 <= a.quarters <= 40:
        raise SystemExit("bounded: 1-55 clients, 1-40 quarters")
    if not 0 <= a.think <= 10:
        raise SystemExit("bounded: --think between 0 and 10 s")
    result = asyncio.run(main(a.clients, a.quarters, a.scenario, a.think))
    for name, value in result.items():
        shown = value if not isinstance(value, dict) else ", ".join(f"{k} {v:.1f}" for k, v in value.items())
        print(f"{name:12s} {shown}")
