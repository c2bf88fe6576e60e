"""The teacher hands a team's seat to the AI and back; the lesson's saves replay it exactly."""

from __future__ import annotations

from sovereign.persist import replay_game
from sovereign.web.lesson import Lesson

from .conftest import make_room

SUBSIDY = {"action": "set_subsidy", "values": {"rate": 0.2}}


def _ai_orders(lesson, seat: str, quarter: str) -> list[dict]:
    log = lesson.model.command_log
    return [e for e in log if e["seat"] == seat and e["quarter"] == quarter and e["origin"] == "ai"]


def test_the_teacher_hands_a_team_seat_to_the_ai_and_back(playing):
    room, india, china = playing
    assert [t["played_by"] for t in room.state()["teams"]] == [{"now": "team", "next": "team"}] * 2
    room.act("hand-seat", {"seat": "CHN", "player": "ai"})
    dragons = next(t for t in room.state()["teams"] if t["seat"] == "CHN")
    assert dragons["played_by"] == {"now": "team", "next": "ai"}
    # this quarter is still the team's own
    assert china.post("/api/team/orders", SUBSIDY).json()["accepted"]
    room.end_quarter()
    assert "CHN" not in room.lesson.model.human_seats
    assert china.view()["played_by"] == {"now": "ai", "next": "ai"}
    refused = china.post("/api/team/orders", SUBSIDY)
    assert refused.status_code == 409 and "handed your seat to the AI" in refused.json()["error"]
    assert india.post("/api/team/orders", SUBSIDY).json()["accepted"]
    room.act("hand-seat", {"seat": "CHN", "player": "team"})
    room.end_quarter()  # 2026Q2: the AI played China
    assert _ai_orders(room.lesson, "CHN", "2026Q2")
    assert not _ai_orders(room.lesson, "CHN", "2026Q1")
    assert "CHN" in room.lesson.model.human_seats
    assert china.post("/api/team/orders", SUBSIDY).json()["accepted"]
    room.end_quarter()
    assert not _ai_orders(room.lesson, "CHN", "2026Q3")
    # the lesson's latest autosave replays bit for bit, hand-overs included
    report = replay_game(room.lesson.folder / room.lesson.quarter_saves[-1])
    assert report.ok, report.describe()
    assert report.checked == 3


def test_only_team_seats_are_handed_over_and_bad_requests_say_why(tiny_scenario, tmp_path):
    room = make_room(tiny_scenario, tmp_path / "lesson")
    with room.client:
        room.join("Tigers", "IND")
        res = room.client.post("/api/admin/hand-seat", json={"seat": "IND", "player": "ai"}, headers=room.admin)
        assert res.status_code == 409 and "not started" in res.json()["error"]
        room.act("start")
        res = room.client.post("/api/admin/hand-seat", json={"seat": "cloudco", "player": "ai"}, headers=room.admin)
        assert res.status_code == 422 and "not a team seat" in res.json()["error"]
        res = room.client.post("/api/admin/hand-seat", json={"seat": "IND", "player": "robot"}, headers=room.admin)
        assert res.status_code == 422
        res = room.client.post("/api/admin/hand-seat", json={"seat": "IND", "player": "ai"})
        assert res.status_code in (401, 403)


def test_a_waiting_hand_over_survives_a_server_restart(tiny_scenario, tmp_path):
    folder = tmp_path / "lesson"
    first = make_room(tiny_scenario, folder)
    with first.client:
        first.join("Tigers", "IND")
        first.act("start")
        first.act("hand-seat", {"seat": "IND", "player": "ai"})
    lesson = Lesson.resume(folder)
    assert lesson.played_by("IND") == {"now": "team", "next": "ai"}


def test_undo_keeps_the_hand_overs_asked_for_in_the_undone_quarter(playing):
    room, _, china = playing
    room.act("hand-seat", {"seat": "CHN", "player": "ai"})
    room.end_quarter()  # 2026Q1 played; China handed to the AI at its end
    assert "CHN" not in room.lesson.model.human_seats
    assert room.act("undo")["quarter"] == "2026Q1"
    # back at the start of 2026Q1: the team plays it again, the AI takes over after it, as asked
    assert "CHN" in room.lesson.model.human_seats
    assert china.view()["played_by"] == {"now": "team", "next": "ai"}
    room.end_quarter()
    assert "CHN" not in room.lesson.model.human_seats
    assert china.view()["played_by"] == {"now": "ai", "next": "ai"}
