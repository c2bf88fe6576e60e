"""The classroom's security: nobody acts or reads as someone else; bad input is refused, the lesson unharmed."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from sovereign.web import lesson as lesson_module

from .conftest import make_room

DC = {"action": "build_datacenter", "values": {"region": "IND", "it_mw": 100}}


def unharmed(room, india):
    """The lesson still works: the team can read and order, nothing was queued by the attack."""
    view = india.view()
    assert view["queued"] == [] or all(q["command"]["region"] == "IND" for q in view["queued"])
    assert india.post("/api/team/orders", DC).json()["accepted"]


def test_a_forged_team_token_is_refused_everywhere(playing):
    room, india, _ = playing
    forged = {"Authorization": "Bearer " + "A" * 43}
    for method, path, body in [
        ("get", "/api/team", None),
        ("get", "/api/team/form?action=build_datacenter", None),
        ("post", "/api/team/preview", DC),
        ("post", "/api/team/orders", DC),
        ("post", "/api/team/done", {"done": True}),
        ("post", "/api/team/messages", {"to": "all", "text": "spoof"}),
    ]:
        res = room.client.request(method.upper(), path, json=body, headers=forged)
        assert res.status_code == 403, path
        assert "token is not valid" in res.json()["error"]
    assert room.client.get("/api/team").status_code == 403  # no token at all
    with room.client.websocket_connect("/ws") as ws:
        ws.send_json({"role": "team", "token": "forged"})
        assert "not valid" in ws.receive_json()["error"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403
    assert room.state()["messages"] == []
    unharmed(room, india)


def test_tokens_are_compared_in_constant_time(playing, monkeypatch):
    room, india, _ = playing
    calls = []
    real = lesson_module.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(lesson_module.hmac, "compare_digest", spy)
    india.view()
    room.state()
    assert len(calls) >= 3  # every kept token digest, then the teacher's key


def test_tokens_are_random_and_never_written_to_disk(room):
    devices = [room.join(f"Team {i}", seat) for i, seat in enumerate(["USA", "CHN", "IND"])]
    tokens = {d.token for d in devices}
    assert len(tokens) == 3 and all(len(t) >= 43 for t in tokens)
    saved = (room.lesson.folder / "lesson.json").read_text()
    assert not any(t in saved for t in tokens)
    assert (room.lesson.folder / "lesson.json").stat().st_mode & 0o077 == 0, "only the teacher may read it"


def test_another_teams_seat_in_the_payload_is_refused(playing):
    room, india, china = playing
    for path, body in [
        ("/api/team/orders", {**DC, "seat": "CHN"}),
        ("/api/team/preview", {**DC, "seat": "CHN"}),
        ("/api/team/done", {"done": True, "seat": "CHN"}),
    ]:
        res = india.post(path, body)
        assert res.status_code == 403, path
        assert res.json()["error"] == "team 'Tigers' plays IND; it cannot act or read as CHN"
    assert india.get("/api/team", params={"seat": "CHN"}).status_code == 403
    assert china.view()["queued"] == [] and not room.lesson.teams[china.team["id"]].submitted
    # Its own seat named explicitly is fine.
    assert india.post("/api/team/orders", {**DC, "seat": "IND"}).json()["accepted"]


def test_a_command_for_another_region_is_the_validators_refusal(playing):
    _room, india, _ = playing
    res = india.post("/api/team/orders", {"command": {"kind": "set_export_tier", "region": "IND", "tier": 3}})
    assert res.status_code == 422 and res.json()["reason"]


def test_the_teachers_link_and_api_need_the_secret(playing):
    room, _, _ = playing
    key = room.lesson.admin_key
    assert room.client.get(f"/teacher/{key}").status_code == 200
    assert room.client.get("/teacher/").status_code == 404
    assert room.client.get("/teacher/" + "x" * len(key)).status_code == 403
    for headers in ({}, {"X-Admin-Key": key[:-1]}, {"X-Admin-Key": ""}):
        assert room.client.get("/api/admin", headers=headers).status_code == 403
        res = room.client.post("/api/admin/end-quarter", json={}, headers=headers)
        assert res.status_code == 403 and "teacher's key" in res.json()["error"]
        assert room.client.get("/api/admin/export/commands.csv", headers=headers).status_code == 403
    with room.client.websocket_connect("/ws") as ws:
        ws.send_json({"role": "admin", "token": "guess"})
        assert "teacher's key" in ws.receive_json()["error"]
    assert room.lesson.quarter == "2026Q1"
    assert len(key) >= 43


def test_oversized_and_malformed_requests(playing):
    room, india, _ = playing
    big = india.post("/api/team/messages", {"to": "all", "text": "x" * 20000})
    assert big.status_code == 413 and "larger than" in big.json()["error"]
    raw = room.client.post(
        "/api/team/orders", content=b"{not json", headers={**india.headers, "Content-Type": "application/json"}
    )
    assert raw.status_code == 400 and raw.json()["error"] == "the request is not JSON"
    long_text = india.post("/api/team/messages", {"to": "all", "text": "x" * 501})
    assert long_text.status_code == 422 and long_text.json()["error"].startswith("text:")
    extra = india.post("/api/team/orders", {**DC, "admin": True})
    assert extra.status_code == 422 and "admin" in extra.json()["error"]
    nested = india.post("/api/team/orders", {"action": "build_datacenter", "values": {"region": {"$gt": ""}}})
    assert nested.status_code == 422
    bad_values = india.post(
        "/api/team/orders", {"action": "build_datacenter", "values": {"region": "IND", "it_mw": -5}}
    )
    assert bad_values.status_code == 422 and "it_mw" in bad_values.json()["error"]
    unknown = india.post("/api/team/orders", {"action": "launch_missiles", "values": {}})
    assert unknown.status_code == 422
    many = india.post("/api/team/orders", {"action": "build_datacenter", "values": {f"k{i}": 1 for i in range(40)}})
    assert many.status_code == 422
    lying = room.client.post(
        "/api/team/orders", content=b"{}", headers={**india.headers, "Content-Length": "999999999"}
    )
    assert lying.status_code == 413
    with room.client.websocket_connect("/ws") as ws:
        ws.send_text("x" * 20000)
        assert "too large" in ws.receive_json()["error"]
    with room.client.websocket_connect("/ws") as ws:
        ws.send_text("{]")
        assert ws.receive_json()["error"] == "the request is not JSON"
    with room.client.websocket_connect("/ws") as ws:
        ws.send_text(json.dumps({"role": "root"}))
        assert ws.receive_json()["error"].startswith("role:")
    assert room.state()["messages"] == []
    unharmed(room, india)


def test_a_flood_of_joins_is_rate_limited(tiny_scenario, tmp_path):
    room = make_room(tiny_scenario, tmp_path / "lesson", join_limit=5)
    with room.client:
        india = room.join("Tigers", "IND")
        codes = [
            room.client.post("/api/join", json={"room": "WRONG", "team": f"bot{i}", "seat": "USA"}).status_code
            for i in range(30)
        ]
        assert codes[:4] == [403] * 4 and set(codes[4:]) == {429}
        res = room.client.post("/api/join", json={"room": room.lesson.room, "team": "Eagles", "seat": "USA"})
        assert res.status_code == 429 and "too many join attempts" in res.json()["error"]
        assert [t.name for t in room.lesson.teams.values()] == ["Tigers"]
        room.act("start")
        unharmed(room, india)


def test_wrong_room_and_wrong_pin_and_taken_seats(playing):
    room, india, _ = playing
    wrong_room = room.client.post("/api/join", json={"room": "ZZZZZ", "team": "X", "seat": "USA"})
    assert wrong_room.status_code == 403 and "room code" in wrong_room.json()["error"]
    wrong_pin = room.client.post("/api/join", json={"room": room.lesson.room, "team": "Tigers", "pin": "000000"})
    pin = room.lesson.teams[india.team["id"]].pin
    assert wrong_pin.status_code == (200 if pin == "000000" else 403)
    taken = room.client.post("/api/join", json={"room": room.lesson.room, "team": "Copycats", "seat": "IND"})
    assert taken.status_code == 409 and "already taken" in taken.json()["error"]
    firm = room.client.post("/api/join", json={"room": room.lesson.room, "team": "Clouds", "seat": "cloudco"})
    assert firm.status_code == 409 and "not open to teams" in firm.json()["error"]
    same_name = room.client.post("/api/join", json={"room": room.lesson.room, "team": "TIGERS", "seat": "USA"})
    assert same_name.status_code == 409 and "PIN" in same_name.json()["error"]


def test_moving_a_team_signs_out_its_old_devices(playing):
    room, india, _ = playing
    india.post("/api/team/orders", DC)
    with room.client.websocket_connect("/ws") as ws:
        ws.send_json({"role": "team", "token": india.token})
        ws.receive_json()
        pin = room.act("move", {"team": india.team["id"]})["pin"]
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_json()
        assert closed.value.code == 4403
    assert india.get("/api/team").status_code == 403
    laptop = room.join("Tigers", pin=pin)
    assert [q["command"]["region"] for q in laptop.view()["queued"]] == ["IND"]


def test_choosing_another_scenario_signs_every_team_out(tiny_scenario, tmp_path):
    from sovereign.web.app import create_app
    from sovereign.web.lesson import Lesson

    from .conftest import TINY, Room

    other = tiny_scenario.model_copy(update={"meta": tiny_scenario.meta.model_copy(update={"id": "tiny2"})})
    lesson = Lesson(tiny_scenario, tmp_path / "l", TINY, scenarios={"tiny2": (None, other)})
    room = Room(lesson, TestClient(create_app(lesson)))
    with room.client:
        old = room.join("Tigers", "IND")
        with room.client.websocket_connect("/ws") as ws:
            ws.send_json({"role": "team", "token": old.token})
            ws.receive_json()
            room.act("scenario", {"id": "tiny2"})
            with pytest.raises(WebSocketDisconnect) as closed:
                while True:
                    ws.receive_json()
            assert closed.value.code == 4403
        new = room.join("Others", "IND")
        assert new.team["id"] != old.team["id"]
        assert old.get("/api/team").status_code == 403
