"""The quarter report on the tiny world: builds started then online, refusals, chip bids, deals, money."""

from __future__ import annotations

import re

import pytest

from sovereign.game.report import quarter_report, snapshot
from sovereign.game.session import new_session
from sovereign.sim.commands import (
    AnswerDeal,
    BuildDatacenter,
    BuildFab,
    BuildPackaging,
    BuyAccelerators,
    OfferDeal,
    SetLocalisation,
)

#: What a player must never read in a report: field names, booleans, None.
DEVELOPER_TEXT = re.compile(r"\b(True|False|None)\b|\b[a-z]+_[a-z0-9_]+\b")


def play(session, seat, commands=()):
    """Queue commands for a seat, play the quarter, return the seat's report of it."""
    before = snapshot(session.model, seat)
    for cmd in commands:
        session.submit(cmd, seat=seat)
    while session.end_turn(wait=True) == "handover":
        pass
    session.poll()
    return quarter_report(session.model, seat, before)


def texts(report):
    return [(line.text, line.detail) for _, lines in report.sections() for line in lines]


def line_for(report, kind):
    return next(line for line in report.actions if line.commands and line.commands[0]["kind"] == kind)


def test_a_build_is_started_then_online_and_a_refusal_says_why(tiny_scenario, tmp_path):
    s = new_session(tiny_scenario, ["fabco"], seed=5, save_dir=tmp_path, autosave=False)
    first = play(
        s,
        "fabco",
        [
            BuildPackaging(region="USA", h100e_per_quarter=1000),
            BuildFab(region="USA", accelerator="frontier", h100e_per_quarter=5_000_000),  # beyond its cash
        ],
    )
    assert first.quarter == "2026Q1" and first.seat_name == "FabCo"
    build = line_for(first, "build_packaging")
    assert build.detail.startswith("Started: online in 2027Q1") and build.tone == "good"
    assert build.link is not None and build.link.screen == "map" and build.link.region == "USA"
    refused = line_for(first, "build_fab")
    assert refused.detail.startswith("Refused: ") and refused.tone == "bad"
    assert len(first.accounted()) == 2
    reports = [play(s, "fabco") for _ in range(4)]
    assert reports[-1].quarter == "2027Q1"
    online = [line for line in reports[-1].actions if line.text.endswith(": online")]
    assert [line.text for line in online] == ["Packaging line for 1,000 H100e/quarter in United States: online"]
    assert online[0].detail == "Ordered in 2026Q1"
    assert not [line for r in reports[:-1] for line in r.actions if line.text.endswith(": online")]
    for report in (first, *reports):
        for text, detail in texts(report):
            assert not DEVELOPER_TEXT.search(text + " " + detail), (text, detail)


def test_a_policy_is_in_force_and_its_pillar_says_why(tiny_scenario, tmp_path):
    s = new_session(tiny_scenario, ["IND"], seed=5, save_dir=tmp_path, autosave=False)
    play(s, "IND")
    report = play(s, "IND", [SetLocalisation(enabled=True)])
    assert line_for(report, "set_localisation").detail == "In force from this quarter"
    data = next(line for line in report.score if line.text.startswith("Data governance"))
    assert data.detail == "Your data-localisation law came into force." and data.tone == "good"
    assert report.score[0].text.startswith("Sovereignty index") and "Rank " in report.score[0].detail
    for text, detail in texts(report):
        assert not DEVELOPER_TEXT.search(text + " " + detail), (text, detail)


def test_a_chip_bid_partly_filled_says_how_much_and_why(tiny_scenario, tmp_path):
    s = new_session(tiny_scenario, ["cloudco"], seed=5, save_dir=tmp_path, autosave=False)
    report = play(
        s, "cloudco", [BuyAccelerators(region="USA", accelerator="frontier", h100e=200_000, max_price_usd=40_000)]
    )
    bid = line_for(report, "buy_accelerators")
    assert bid.detail.startswith("Partly filled: ") and " of 200k H100e delivered" in bid.detail
    assert "short" in bid.detail, "the fabs made less than was ordered"
    assert bid.link is not None and bid.link.screen == "markets" and bid.link.region == "USA"
    assert not report.nation and report.score[0].text.startswith("Valuation")
    money = [line.text for line in report.money]
    assert money[0].startswith("Cash at the start: ") and money[-1].startswith("Cash at the end of 2026Q1: ")
    assert any(m.startswith("Chips bought: ") for m in money)
    filled = play(
        s, "cloudco", [BuyAccelerators(region="USA", accelerator="frontier", h100e=1000, max_price_usd=40_000)]
    )
    assert line_for(filled, "buy_accelerators").detail == "Filled: 1.0k H100e delivered"


def test_a_deal_offered_then_signed_and_paid(tiny_scenario, tmp_path):
    s = new_session(tiny_scenario, ["IND", "USA"], seed=3, save_dir=tmp_path, autosave=False)
    usa_pays = OfferDeal(partner="IND", deal_kind="money_transfer", quarters=2, payment_busd_per_quarter=-0.1)
    before = {seat: snapshot(s.model, seat) for seat in ("IND", "USA")}
    assert s.submit(usa_pays, seat="USA").accepted
    while s.end_turn(wait=True) == "handover":
        pass
    s.poll()
    offered = quarter_report(s.model, "USA", before["USA"])
    assert line_for(offered, "offer_deal").detail == "Sent: India answers next quarter (see Diplomacy)"
    deal_id = s.model.world.deals[-1]["id"]
    signed = play(s, "IND", [AnswerDeal(deal=deal_id, accept=True)])
    answer = line_for(signed, "answer_deal")
    assert answer.detail.startswith("Signed: Money transfer between United States and India") and answer.tone == "good"
    assert any(line.text == "Deal payments: $100M in" for line in signed.money)


def test_without_a_snapshot_the_report_reads_the_history(tiny_scenario, tmp_path):
    """A game just loaded has no snapshot of the quarter before: the report still accounts for everything."""
    s = new_session(tiny_scenario, ["IND"], seed=5, save_dir=tmp_path, autosave=False)
    play(s, "IND")
    s.submit(BuildDatacenter(region="IND", it_mw=100))
    s.end_turn(wait=True)
    s.poll()
    report = quarter_report(s.model, "IND", None)
    assert line_for(report, "build_datacenter").detail.startswith("Started: online in ")
    assert report.money[0].text.startswith("Cash at the start: $")
    stale = snapshot(s.model, "IND")  # taken after the quarter: it describes the next one, not this
    assert quarter_report(s.model, "IND", stale).actions[0].detail.startswith("Started")


@pytest.mark.parametrize("seat", ["IND", "cloudco"])
def test_rival_moves_are_other_seats_and_at_most_three(tiny_scenario, tmp_path, seat):
    s = new_session(tiny_scenario, [seat], seed=5, save_dir=tmp_path, autosave=False)
    for _ in range(3):
        report = play(s, seat)
        assert 1 <= len(report.rivals) <= 3
        mine = {n["headline"] for n in s.model.news if n["actor"] == seat}
        assert not mine & {line.text for line in report.rivals}


def test_a_nations_lapsed_budget_is_reported_as_money_out() -> None:
    """Holding money has a cost: budget beyond the carry-over returns to the treasury, and the report says so."""
    from sovereign.game.report import quarter_report, snapshot
    from sovereign.scenario.catalog import resolve_scenario
    from sovereign.scenario.loader import load_scenario
    from sovereign.sim.model import SovereignModel

    sc = load_scenario(resolve_scenario("baseline"))
    sc = sc.model_copy(update={"finance": sc.finance.model_copy(update={"budget_carryover_years": 0.25})})
    m = SovereignModel(sc, rng=1, human_seats=["IND"])
    before = snapshot(m, "IND")
    m.step()
    lapsed = m.seats["IND"].state["lapsed_busd"]
    assert lapsed > 0
    report = quarter_report(m, "IND", before)
    line = next(x for x in report.money if x.text.startswith("Returned to the treasury"))
    assert "out" in line.text and "lapses" in f"{line.text} {line.detail}"
