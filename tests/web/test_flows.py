"""The classroom's flows through its HTTP API and websocket, as the pages use them."""

from __future__ import annotations

import io
import json
import zipfile

import pyarrow.parquet as pq
import pytest

from sovereign.web.lesson import Lesson

from .conftest import make_room

DC = {"action": "build_datacenter", "values": {"region": "IND", "it_mw": 100}}


def test_join_page_offers_only_open_team_seats(room):
    info = room.client.get("/api/lesson").json()
    assert [s["id"] for s in info["seats"]] == ["USA", "CHN", "IND"]
    assert info["join_url"] == "http://classroom.test/"
    room.join("Tigers", "IND")
    assert [s["id"] for s in room.client.get("/api/lesson").json()["seats"]] == ["USA", "CHN"]


def test_a_quarter_from_orders_to_results(playing):
    room, india, china = playing
    form = india.get("/api/team/form", params={"action": "build_datacenter"}).json()["fields"]
    assert [f["name"] for f in form] == ["region", "it_mw", "onsite"]
    preview = india.post("/api/team/preview", DC).json()
    assert preview["verdict"] is None and preview["cost"] == "$700M" and preview["ready"] == "2027Q4"
    ok = india.post("/api/team/orders", DC)
    assert ok.status_code == 200 and ok.json()["accepted"]
    refused = india.post("/api/team/orders", {"action": "build_datacenter", "values": {"region": "USA", "it_mw": 100}})
    assert refused.status_code == 422 and "own territory" in refused.json()["reason"]
    assert [q["command"]["region"] for q in india.view()["queued"]] == ["IND"]

    with room.client.websocket_connect("/ws") as ws:
        ws.send_json({"role": "team", "token": india.token})
        assert ws.receive_json()["view"]["status"]["quarter"] == "2026Q1"
        assert india.post("/api/team/done", {"done": True}).json() == {"submitted": True}
        assert room.lesson.quarter == "2026Q1", "one team is still deciding"
        china.post("/api/team/done", {"done": True})
        while True:
            msg = ws.receive_json()
            if msg["type"] == "view" and msg["view"]["status"]["quarter"] == "2026Q2":
                break
    results = msg["view"]["results"]
    assert results["quarter"] == "2026Q1"
    assert results["applied"] == [{"text": "Datacenter 100 MW in India", "accepted": True, "reason": ""}]
    assert results["figures"]["cash_busd"]["after"] != results["figures"]["cash_busd"]["before"]
    assert not any(t["submitted"] for t in msg["view"]["status"]["teams"])


def test_a_team_sees_only_its_own_seat(playing):
    _room, india, china = playing
    india.post("/api/team/orders", DC)
    mine, theirs = india.view(), china.view()
    assert mine["observation"]["private"]["seat"] == "IND" and theirs["observation"]["private"]["seat"] == "CHN"
    assert theirs["queued"] == [] and len(mine["queued"]) == 1
    # China's own trust in each nation names India; nothing else of India's is in China's view
    private = {k: v for k, v in theirs["observation"]["private"].items() if k != "trust"}
    assert "IND" not in json.dumps(private)


def test_the_timer_ends_the_quarter_and_queued_orders_are_played(playing):
    room, india, _ = playing
    india.post("/api/team/orders", DC)
    room.act("timer", {"seconds": 1})
    room.wait_for(lambda: room.lesson.quarter == "2026Q2" and not room.lesson.saving, timeout=30)
    assert room.lesson.results["IND"].applied[0]["accepted"]


def test_pause_stops_the_clock_and_the_orders(playing):
    room, india, _ = playing
    room.act("timer", {"seconds": 600})
    room.act("pause", {"on": True})
    left = room.lesson.remaining()
    refused = india.post("/api/team/orders", DC)
    assert refused.status_code == 409 and "paused" in refused.json()["error"]
    import time

    time.sleep(0.3)
    assert room.lesson.remaining() == left
    room.act("pause", {"on": False})
    assert india.post("/api/team/orders", DC).json()["accepted"]


def test_end_quarter_now_and_a_second_device_keeps_the_orders(playing):
    room, india, _ = playing
    india.post("/api/team/orders", DC)
    pin = india.view()["team"]["pin"]
    phone = room.join("tigers", pin=pin)
    assert phone.team["id"] == india.team["id"] and phone.token != india.token
    assert [q["text"] for q in phone.view()["queued"]] == ["Datacenter 100 MW in India"]
    room.end_quarter()
    assert room.lesson.quarter == "2026Q2"
    assert phone.view()["results"]["applied"][0]["accepted"]


def test_inject_and_custom_headline_reach_everyone_and_the_news(playing):
    room, india, china = playing
    injects = room.state()["injects"]
    assert [j["headline"] for j in injects] == ["India announces a national AI mission", "Earthquake halts FabCo lines"]
    room.act("inject", {"index": 0})
    room.act("inject", {"headline": "Parliament debates AI sovereignty"})
    assert [m["text"] for m in china.view()["messages"]][-2:] == [
        "India announces a national AI mission",
        "Parliament debates AI sovereignty",
    ]
    assert len(room.state()["injects"]) == 2, "fired injects are not offered twice"
    room.end_quarter()
    news = [n["headline"] for n in room.client.get("/api/projector").json()["news"]]
    assert "Parliament debates AI sovereignty" in news and "India announces a national AI mission" in news
    view = india.view()
    decisions = view["decisions"]
    assert decisions and decisions[0]["options"] == ["Fund it", "Wait"]
    offer = [m for m in view["messages"] if m["kind"] == "decision"]
    assert [m["text"] for m in offer] == [
        "Decision waiting: India announces a national AI mission. Choose: Fund it / Wait (under Decisions waiting)."
    ]
    assert not [m for m in china.view()["messages"] if m["kind"] == "decision"]
    decide = {"command": {"kind": "decide", "event_id": decisions[0]["event_id"], "option": 0}}
    assert india.post("/api/team/orders", decide).json()["accepted"]


def test_messages_one_to_one_to_all_teacher_reads_all_and_mutes(playing):
    room, india, china = playing
    usa = room.join("Eagles", "USA")
    india.post("/api/team/messages", {"to": china.team["id"], "text": "Share chips?"})
    china.post("/api/team/messages", {"to": "all", "text": "We build at home."})
    room.act("broadcast", {"text": "Five minutes left"})
    assert [m["text"] for m in usa.view()["messages"]] == ["We build at home.", "Five minutes left"]
    assert [m["text"] for m in china.view()["messages"]] == ["Share chips?", "We build at home.", "Five minutes left"]
    assert len(room.state()["messages"]) == 3
    room.act("mute", {"team": india.team["id"], "muted": True})
    muted = india.post("/api/team/messages", {"to": "all", "text": "hello"})
    assert muted.status_code == 403 and "muted" in muted.json()["error"]
    with room.client.websocket_connect("/ws") as ws:
        ws.send_json({"role": "admin", "token": room.lesson.admin_key})
        assert ws.receive_json()["type"] == "admin"
        china.post("/api/team/messages", {"to": usa.team["id"], "text": "Deal?"})
        while (msg := ws.receive_json())["type"] != "message":
            pass
        assert msg["message"]["text"] == "Deal?"


def test_undo_goes_back_a_quarter_with_the_orders(playing):
    room, india, _ = playing
    india.post("/api/team/orders", DC)
    room.act("inject", {"headline": "Cable cut in the Red Sea"})
    room.end_quarter()
    assert room.lesson.quarter == "2026Q2" and room.state()["can_undo"]
    room.act("inject", {"index": 1})
    assert len(room.state()["fired"]) == 2
    assert room.act("undo")["quarter"] == "2026Q1"
    assert room.state()["fired"] == [] and len(room.state()["injects"]) == 2
    assert [i.headline for i in room.lesson.model.scenario.injects] == [
        i.headline for i in room.lesson.scenario.injects
    ]
    view = india.view()
    assert view["status"]["quarter"] == "2026Q1"
    assert [q["command"] for q in view["queued"]] == [
        {"kind": "build_datacenter", "region": "IND", "it_mw": 100.0, "onsite": False}
    ]
    room.end_quarter()
    assert room.lesson.quarter == "2026Q2"


def test_a_server_restart_brings_everyone_back(tiny_scenario, tmp_path):
    folder = tmp_path / "lesson"
    first = make_room(tiny_scenario, folder)
    with first.client:
        india = first.join("Tigers", "IND")
        first.act("start")
        india.post("/api/team/orders", DC)
        first.end_quarter()
        india.post("/api/team/orders", {"action": "set_subsidy", "values": {"rate": 0.2}})
        first.client.post("/api/team/messages", json={"to": "all", "text": "still here"}, headers=india.headers)
        first.act("inject", {"index": 0})
    from starlette.testclient import TestClient

    from sovereign.web.app import create_app

    lesson = Lesson.resume(folder)
    assert (lesson.room, lesson.admin_key) == (first.lesson.room, first.lesson.admin_key)
    with TestClient(create_app(lesson)) as client:
        view = client.get("/api/team", headers=india.headers).json()
        assert view["status"]["quarter"] == "2026Q2"
        assert [q["command"]["kind"] for q in view["queued"]] == ["set_subsidy"]
        assert [m["text"] for m in view["messages"]] == ["still here", "India announces a national AI mission"]
        assert len(lesson.injects()) == 2 and len(lesson.fired) == 1
        fired = lesson.model.scenario.injects[2:]
        assert [(i.quarter, i.headline) for i in fired] == [("2026Q2", "India announces a national AI mission")]
        assert view["results"]["quarter"] == "2026Q1"


def test_export_commands_messages_and_results(playing):
    room, india, _china = playing
    india.post("/api/team/orders", DC)
    india.post("/api/team/messages", {"to": "all", "text": "hi"})
    room.end_quarter()
    csv = room.client.get("/api/admin/export/commands.csv", headers=room.admin)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    header, *rows = csv.text.splitlines()
    assert header.split(",")[:4] == ["quarter", "seat", "team", "origin"]
    assert any(",IND,Tigers,human," in r for r in rows)
    parquet = room.client.get("/api/admin/export/nations.parquet", headers=room.admin)
    table = pq.read_table(io.BytesIO(parquet.content))
    assert set(table.column("region").to_pylist()) == {"USA", "CHN", "IND"}
    assert "sovereignty_index" in table.column_names
    zipped = zipfile.ZipFile(
        io.BytesIO(room.client.get(f"/api/admin/export/lesson.zip?key={room.lesson.admin_key}").content)
    )
    assert sorted(zipped.namelist()) == sorted(
        f"{t}.{f}" for t in ("commands", "messages", "nations", "firms", "world") for f in ("csv", "parquet")
    )
    world = pq.read_table(io.BytesIO(room.client.get("/api/admin/export/world.parquet", headers=room.admin).content))
    assert world.column("quarter").to_pylist() == ["2026Q1"]
    assert {"compute_price_usd_hour", "compute_spot_price_usd_hour"} <= set(world.column_names)
    assert any(c.startswith("chip_price_") for c in world.column_names)
    assert room.client.get("/api/admin", headers=room.admin).json()["exports"] == [
        "commands",
        "messages",
        "nations",
        "firms",
        "world",
    ]
    assert b"hi" in zipped.read("messages.csv")
    assert room.client.get("/api/admin/export/secrets.csv", headers=room.admin).status_code == 404


def test_setup_seats_levels_scenario_and_lock(room):
    assert room.state()["briefing"] == "Three regions race for compute."
    room.act("role", {"seat": "cloudco", "role": "team"})
    room.act("role", {"seat": "USA", "role": "hard"})
    seats = {s["id"]: s["role"] for s in room.state()["seats"]}
    assert seats["cloudco"] == "team" and seats["USA"] == "hard"
    bad = room.client.post("/api/admin/role", json={"seat": "USA", "role": "godlike"}, headers=room.admin)
    assert bad.status_code == 422
    room.act("lock", {"on": True})
    locked = room.client.post("/api/join", json={"room": room.lesson.room, "team": "Late", "seat": "IND"})
    assert locked.status_code == 409 and "locked" in locked.json()["error"]
    room.act("lock", {"on": False})
    room.join("Clouds", "cloudco")
    room.act("start")
    assert room.lesson.model.difficulty is not None
    assert "cloudco" in room.lesson.model.human_seats and "USA" not in room.lesson.model.human_seats
    again = room.client.post("/api/admin/role", json={"seat": "USA", "role": "team"}, headers=room.admin)
    assert again.status_code == 409 and "before the lesson starts" in again.json()["error"]


def test_the_projector_shows_public_information_only(playing):
    room, india, _ = playing
    india.post("/api/team/orders", DC)
    room.end_quarter()
    view = room.client.get("/api/projector").json()
    assert set(view) == {"status", "regions", "news", "values", "layers"}
    assert [k for k, _ in view["layers"]] == list(view["values"])
    for layer in view["values"].values():
        assert set(layer) == {"USA", "CHN", "IND"} and all(0 <= v <= 1 for v in layer.values())
    assert "token" not in json.dumps(view) and room.lesson.admin_key not in json.dumps(view)
    assert room.client.get("/world.geojson").status_code == 200
    assert room.client.get("/qr.svg").text.startswith("<svg")


@pytest.mark.parametrize("page", ["/", "/projector"])
def test_pages_are_local_files(room, page):
    html = room.client.get(page).text
    assert "/static/common.js" in html and "http://" not in html and "https://" not in html


@pytest.mark.parametrize("name", ["baseline", "taiwan_strait"])
def test_each_bundled_scenario_plays_a_lesson_quarter(name, tmp_path):
    from starlette.testclient import TestClient

    from sovereign.scenario.catalog import resolve_scenario
    from sovereign.scenario.loader import load_scenario
    from sovereign.web.app import create_app

    from .conftest import Room

    path = resolve_scenario(name)
    lesson = Lesson(load_scenario(path), tmp_path / name, path)
    room = Room(lesson, TestClient(create_app(lesson)))
    with room.client:
        team = room.join("Tigers", "IND")
        room.act("start")
        assert team.post("/api/team/orders", {"action": "set_subsidy", "values": {"rate": 0.2}}).json()["accepted"]
        room.end_quarter()
        assert team.view()["results"]["applied"][0]["accepted"]


def test_the_class_against_the_bots_in_the_console(playing):
    room, india, _ = playing
    res = room.client.post("/api/admin/debrief", json={"runs": 3}, headers=room.admin)
    assert res.status_code == 409 and "no quarter has been played" in res.json()["error"]
    india.post("/api/team/orders", DC)
    room.end_quarter()
    room.end_quarter()
    rows = room.act("debrief", {"runs": 4})["rows"]
    assert sorted(r["seat"] for r in rows) == ["CHN", "IND"]
    for r in rows:
        assert r["quarter"] == "2026Q2" and r["runs"] == 4 and r["column"] == "sovereignty_index"
        assert 0.0 <= r["percentile"] <= 100.0 and r["low"] <= r["median"] <= r["high"]
        assert (
            r["value"]
            == [n for n in room.lesson.model.metrics.nations if n["region"] == r["seat"]][-1]["sovereignty_index"]
        )
    for bad in ({"runs": 1}, {"runs": 500}, {"runs": "x"}, {"runs": 3, "extra": 1}):
        res = room.client.post("/api/admin/debrief", json=bad, headers=room.admin)
        assert res.status_code in (400, 422), (bad, res.text)
    res = india.post("/api/admin/debrief", {"runs": 3})
    assert res.status_code in (401, 403)


def test_a_deal_offered_between_teams_arrives_as_a_message_and_is_answered_on_the_page(playing):
    """Offers from the diplomacy mechanics reach the partner team as a message, with Accept/Reject."""
    room, india, china = playing
    offer = {
        "command": {
            "kind": "offer_deal",
            "partner": "CHN",
            "deal_kind": "security_pact",
            "quarters": 4,
            "payment_busd_per_quarter": 0.0,
        }
    }
    assert india.post("/api/team/orders", offer).json()["accepted"]
    room.end_quarter()
    view = china.view()
    assert [o["from"] for o in view["offers"]] == ["India"]
    texts = [m["text"] for m in view["messages"] if m["kind"] == "offer"]
    assert texts and texts[0].startswith("Offer from India: Security pact between India and China")
    assert not [m for m in india.view()["messages"] if m["kind"] == "offer"], "the offer is China's to read"
    answer = {"command": {"kind": "answer_deal", "deal": view["offers"][0]["deal"], "accept": True}}
    assert china.post("/api/team/orders", answer).json()["accepted"]
    forged = {"command": {"kind": "answer_deal", "deal": view["offers"][0]["deal"], "accept": True}}
    assert not india.post("/api/team/orders", forged).json()["accepted"], "only the partner answers"
    room.end_quarter()
    assert room.lesson.model.world.deals[0]["status"] == "active"
    assert china.view()["offers"] == []
    room.end_quarter()
    assert len([m for m in china.view()["messages"] if m["kind"] == "offer"]) == 1, "announced once"


def test_a_lesson_picks_its_team_seats_and_every_page_shows_the_shared_risk(tmp_path):
    """The export-control lesson: its six role-sheet seats are teams, the rest AI; the tension is on every page."""
    from sovereign.scenario.catalog import resolve_scenario
    from sovereign.scenario.loader import load_scenario

    sc = load_scenario(resolve_scenario("export_controls"))
    lesson = Lesson(sc, tmp_path / "lesson", resolve_scenario("export_controls"), seed=1)
    teams = {t.seat for t in sc.lesson.teams}
    assert {s for s, role in lesson.seat_roles.items() if role == "team"} == teams
    risk = lesson.status()["shared_risk"]
    assert risk["name"] == sc.shared_risk.name and risk["value"] == pytest.approx(sc.shared_risk.initial)
    assert risk["lost"] is False


def test_a_firm_team_sees_its_business_and_why_its_valuation_moved(tiny_scenario, tmp_path):
    """A firm team's dashboard shows its compute business in words, as the desktop Business screen does."""
    r = make_room(tiny_scenario, tmp_path / "lesson", roles={"cloudco": "team"})
    with r.client:
        cloud = r.join("Clouds", "cloudco")
        india = r.join("Tigers", "IND")
        r.act("start")
        assert cloud.view()["business"] is None, "nothing sold before the first quarter"
        r.end_quarter()
        assert r.lesson.quarter == "2026Q2"
        view = cloud.view()
        biz = view["business"]
        assert biz is not None and biz["valuation"].startswith("$")
        assert any("You sold" in line for line in biz["lines"]), biz
        assert india.view()["business"] is None, "a nation has no business card"


def test_a_quarter_that_fails_to_play_is_logged_and_the_lesson_is_not_left_busy(playing, monkeypatch, caplog):
    room, india, _ = playing

    def fail(*args):
        raise RuntimeError("disk on fire")

    # the lesson's own bookkeeping after the quarter fails (the model's errors are reported apart)
    monkeypatch.setattr(room.lesson, "_after_quarter", fail)
    room.act("end-quarter")
    room.wait_for(lambda: "disk on fire" in caplog.text)
    room.wait_for(lambda: not (room.lesson.stepping or room.lesson.saving))
    assert "a background task of the classroom failed" in caplog.text
    assert "disk on fire" in room.state()["error"]
    # the lesson goes on: orders are taken and the next quarter is played
    monkeypatch.undo()
    assert india.post("/api/team/orders", DC).json()["accepted"]
    before = room.lesson.quarter
    room.end_quarter()
    assert room.lesson.quarter != before
