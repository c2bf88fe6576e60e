"""Fixtures for the classroom tests: a lesson on the tiny world, its app, and a test client."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from sovereign.scenario.loader import load_scenario
from sovereign.web.app import create_app
from sovereign.web.lesson import Lesson

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "sim" / "fixtures" / "tiny.yaml"


@pytest.fixture(scope="session")
def tiny_scenario():
    return load_scenario(TINY)


@dataclass
class Device:
    """One browser of a team: its token and the headers it sends."""

    client: TestClient
    token: str
    team: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> Any:
        return self.client.post(path, json=body, headers=self.headers, **kw)

    def view(self) -> dict[str, Any]:
        res = self.get("/api/team")
        assert res.status_code == 200, res.text
        return res.json()


@dataclass
class Room:
    """A running classroom server under test."""

    lesson: Lesson
    client: TestClient

    @property
    def admin(self) -> dict[str, str]:
        return {"X-Admin-Key": self.lesson.admin_key}

    def join(self, name: str, seat: str | None = None, pin: str | None = None) -> Device:
        body: dict[str, Any] = {"room": self.lesson.room, "team": name}
        if seat:
            body["seat"] = seat
        if pin:
            body["pin"] = pin
        res = self.client.post("/api/join", json=body)
        assert res.status_code == 200, res.text
        data = res.json()
        return Device(self.client, data["token"], data["team"])

    def act(self, verb: str, body: Any = None) -> Any:
        res = self.client.post(f"/api/admin/{verb}", json=body or {}, headers=self.admin)
        assert res.status_code == 200, res.text
        return res.json()

    def state(self) -> dict[str, Any]:
        return self.client.get("/api/admin", headers=self.admin).json()

    def end_quarter(self) -> None:
        """End the quarter and wait until it has been played (the server plays it in the background)."""
        before = self.lesson.quarter
        self.act("end-quarter")
        self.wait_for(lambda: self.lesson.quarter != before and not (self.lesson.stepping or self.lesson.saving))

    @staticmethod
    def wait_for(condition: Any, timeout: float = 60.0) -> None:
        import time

        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.02)


def make_room(scenario: Any, folder: Path, join_limit: int = 20, roles: dict[str, str] | None = None) -> Room:
    lesson = Lesson(scenario, folder, TINY, seed=3)
    for seat, role in (roles or {}).items():
        lesson.set_role(seat, role)
    app = create_app(lesson, join_url="http://classroom.test/", join_limit=join_limit)
    return Room(lesson, TestClient(app))


@pytest.fixture
def room(tiny_scenario, tmp_path):
    """A lesson in setup on the tiny world (its three nations are team seats), server running."""
    r = make_room(tiny_scenario, tmp_path / "lesson")
    with r.client:
        yield r


@pytest.fixture
def playing(room):
    """The room with teams India and China joined and the lesson started."""
    india = room.join("Tigers", "IND")
    china = room.join("Dragons", "CHN")
    room.act("start")
    return room, india, china
