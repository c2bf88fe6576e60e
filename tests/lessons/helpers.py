"""What the lesson tests share: playing a lesson to a quarter, answering its questions, reading its tables."""

from __future__ import annotations

from sovereign.scenario.schema import quarter_index
from sovereign.sim.commands import Decide
from sovereign.sim.model import SovereignModel


def play_to(model: SovereignModel, quarter: str) -> None:
    """Play quarters until `quarter` has been played."""
    while model.quarter <= quarter_index(quarter):
        model.step()


def nation(model: SovereignModel, region: str, quarter: str) -> dict:
    """A nation's recorded metrics in one quarter."""
    return next(r for r in model.metrics.nations if r["region"] == region and r["quarter"] == quarter)


def world(model: SovereignModel, quarter: str) -> dict:
    """The world's recorded metrics in one quarter."""
    return next(r for r in model.metrics.world if r["quarter"] == quarter)


def pending_event(model: SovereignModel, seat: str, quarter: str | None = None, headline: str | None = None) -> int:
    """The id of the seat's open question, asked by the inject of `quarter` or whose headline starts so."""
    [event] = [
        d["event_id"]
        for d in model.economy.decisions
        if d["seat"] == seat
        and (quarter is None or model.scenario.injects[d["inject"]].quarter == quarter)
        and (headline is None or model.scenario.injects[d["inject"]].headline.startswith(headline))
    ]
    return int(event)


def answer(
    model: SovereignModel, seat: str, option: int, quarter: str | None = None, headline: str | None = None
) -> None:
    """Answer the seat's open question (found as `pending_event` finds it) with `option`."""
    event = pending_event(model, seat, quarter, headline)
    assert model.submit(seat, Decide(event_id=event, option=option)).accepted
