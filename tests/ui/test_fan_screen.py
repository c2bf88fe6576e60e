"""What lies ahead? (V): the fan fills in while the game keeps drawing, and stops with the quarter or the game."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import time

import pygame
import pytest

from sovereign.game.session import new_session
from sovereign.sim.commands import SetSubsidy


@pytest.fixture
def small_fan(monkeypatch):
    """Fewer futures than in the game: the tiny world plays them in seconds."""
    import sovereign.ui.app as app_module

    monkeypatch.setattr(app_module, "FAN_RUNS", 16)
    monkeypatch.setattr(app_module, "FAN_WORKERS", 2)


def _gone(pid: int) -> bool:
    return not os.path.exists(f"/proc/{pid}")


def _game(tiny_scenario, tmp_path, make_app):
    session = new_session(tiny_scenario, ["IND"], seed=4, save_dir=tmp_path, autosave=False)
    for _ in range(2):
        session.end_turn(wait=True)
        session.poll()
    app, drive = make_app(session)
    app.start_session(session)
    drive.close_dialogs()
    while app.top.name != "game":
        app.back()
    drive.frames(2)
    return session, app, drive


def test_v_opens_the_fan_which_fills_in_while_the_loop_keeps_ticking(
    tiny_scenario, tmp_path, make_app, small_fan, shown
):
    session, app, drive = _game(tiny_scenario, tmp_path, make_app)
    drive.key(pygame.K_v)
    assert app.top.name == "fan"
    job = app.fan_job
    assert job is not None and job.seat == "IND" and job.runs == 16
    seen: list[int] = []
    frame_s: list[float] = []
    deadline = time.monotonic() + 120
    while not job.complete:
        assert time.monotonic() < deadline, f"the fan did not fill in ({job.finished} of 16; {job.error})"
        t0 = time.perf_counter()
        app.frame(dt=1 / 60)
        frame_s.append(time.perf_counter() - t0)
        seen.append(job.finished)
        time.sleep(0.005)
    drive.frames(2)
    # the loop ran all along: frames were drawn while futures were still to come, before and between
    # their arrivals (a loop that waited for a worker would draw one frame per future at most, so it
    # would never see the same count twice); how many frames fall between two arrivals depends on how
    # fast the machine plays a future, so only that some do is asserted
    assert seen[0] < 16 and len(set(seen)) >= 2
    waiting = sum(1 for a, b in itertools.pairwise(seen) if a == b)
    assert waiting >= 1
    assert sorted(frame_s)[len(frame_s) // 2] < 0.1  # a frame takes milliseconds (the machine may be shared)
    assert any(t.startswith("All 16 futures played") for t in shown)
    fans = app.top.bands()
    assert set(fans) == {"sovereignty_index", "budget_busd", "compute_share"}
    assert all(f.values.shape == (16, len(job.quarters)) for f in fans.values())
    assert {"Sovereignty index", "Unspent budget", "Share of world compute"} <= set(shown)
    # coming back to it shows the same futures; a new order starts afresh
    drive.key(pygame.K_ESCAPE)
    assert app.top.name == "game"
    drive.key(pygame.K_v)
    assert app.fan_job is job
    drive.key(pygame.K_ESCAPE)
    assert session.submit(SetSubsidy(rate=0.2)).accepted
    drive.key(pygame.K_v)
    assert app.fan_job is not job
    app.cancel_fan(wait=True)


def test_keeping_your_course_starts_other_futures(tiny_scenario, tmp_path, make_app, small_fan):
    _, app, drive = _game(tiny_scenario, tmp_path, make_app)
    drive.key(pygame.K_v)
    first = app.fan_job
    assert not first.hold
    drive.key(pygame.K_k)
    assert app.fan_job is not first and app.fan_job.hold
    app.cancel_fan(wait=True)


def _running_job(app, drive):
    drive.key(pygame.K_v)
    job = app.fan_job
    deadline = time.monotonic() + 60
    while job.finished == 0 and job.error is None:
        assert time.monotonic() < deadline
        drive.frames(1)
        time.sleep(0.01)
    return job


def _stopped(app, job) -> bool:
    for t in list(app._fan_stopping):
        t.join(timeout=20)
    return not job.running and all(_gone(pid) for pid in job.worker_pids)


def test_ending_the_quarter_stops_the_futures_and_their_workers(
    tiny_scenario, tmp_path, make_app, monkeypatch, small_fan
):
    import sovereign.ui.app as app_module

    monkeypatch.setattr(app_module, "FAN_RUNS", 500)  # still running when the quarter ends
    _, app, drive = _game(tiny_scenario, tmp_path, make_app)
    job = _running_job(app, drive)
    drive.key(pygame.K_ESCAPE)
    drive.key(pygame.K_RETURN)  # end the quarter
    drive.wait_quarter()
    drive.frames(2)
    assert app.fan_job is None
    assert _stopped(app, job)
    assert not job.complete
    assert not [p for p in multiprocessing.active_children() if p.pid in job.worker_pids]


def test_leaving_the_game_and_quitting_stop_the_futures(tiny_scenario, tmp_path, make_app, monkeypatch, small_fan):
    import sovereign.ui.app as app_module

    monkeypatch.setattr(app_module, "FAN_RUNS", 500)
    _, app, drive = _game(tiny_scenario, tmp_path, make_app)
    job = _running_job(app, drive)
    app.reset_to("menu")  # the game menu's "Main menu"
    drive.frames(2)
    assert app.fan_job is None and _stopped(app, job)
    # quitting: the app's loop ends with every job stopped and waited for
    app.reset_to("game")
    drive.frames(2)
    job = _running_job(app, drive)
    app.running = False
    app.cancel_fan(wait=True)  # what App.run does after its last frame
    assert _stopped(app, job)
