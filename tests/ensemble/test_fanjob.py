"""The game's fan job: the same numbers as `make_fan`, read without waiting, and no worker left behind."""

from __future__ import annotations

import multiprocessing
import os
import time

import numpy as np
import pytest

from sovereign.ensemble.foresight import FanJob, ForesightError, continuation_columns, key_columns, make_fan
from sovereign.persist import model_to_state
from sovereign.sim.model import SovereignModel


@pytest.fixture
def game(tiny_scenario):
    model = SovereignModel(tiny_scenario, rng=3, human_seats=["IND"])
    model.run(3)
    return model


def _gone(pid: int) -> bool:
    return not os.path.exists(f"/proc/{pid}")


def test_a_complete_job_gives_the_fan_of_make_fan_for_every_key_figure(game):
    job = FanJob(game, "IND", 6, quarters=4, seed=2, workers=2)
    assert job.wait(120) and job.error is None
    assert job.complete and job.finished == 6
    assert job.columns == key_columns(game, "IND") == ("sovereignty_index", "budget_busd", "compute_share")
    for column in job.columns:
        ref = make_fan(game, "IND", 6, column=column, quarters=4, seed=2)
        assert job.fan(column).values.tobytes() == ref.values.tobytes()
        assert job.fan(column).history == ref.history
    assert job.worker_pids and all(_gone(pid) for pid in job.worker_pids)


def test_a_firm_follows_valuation_cash_and_market_share(game):
    assert key_columns(game, "cloudco") == ("valuation_busd", "cash_busd", "market_share")


def test_cancel_stops_the_workers_at_once(game):
    job = FanJob(game, "IND", 400, workers=2)  # far more than it can finish before the cancel
    deadline = time.monotonic() + 60
    while job.finished == 0 and job.error is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert job.finished > 0, job.error
    pids = set(job.worker_pids)
    t0 = time.perf_counter()
    assert job.cancel(timeout=20)
    assert time.perf_counter() - t0 < 10
    assert not job.complete and not job.running
    assert all(_gone(pid) for pid in pids)
    assert not multiprocessing.active_children()


def test_a_seat_keeping_its_course_gives_no_orders(game):
    state = model_to_state(game)
    held = continuation_columns(state, 0, 0, 3, "IND", ("sovereignty_index",), hold=True)
    played = continuation_columns(state, 0, 0, 3, "IND", ("sovereignty_index",), hold=False)
    assert np.asarray(held).shape == (3, 1)
    assert held != played  # the AI's orders for India change India's figures

    from sovereign.persist.state import model_from_state

    model = model_from_state(state)
    model.human_seats = {"IND"}
    n_before = len(model.command_log)
    model.run(3)
    assert not [e for e in model.command_log[n_before:] if e["seat"] == "IND" and e["stage"] == "submit"]


def test_bad_requests_are_refused_with_the_reason(game):
    with pytest.raises(ForesightError, match="runs"):
        FanJob(game, "IND", 0)
    with pytest.raises(ForesightError, match="workers"):
        FanJob(game, "IND", 2, workers=0)
    with pytest.raises(ForesightError, match="unknown seat"):
        FanJob(game, "ATLANTIS", 2)
