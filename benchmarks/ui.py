"""Desktop game speed: frame time of the map and of every screen, and the time to end a quarter.

Usage::

    python benchmarks/ui.py                     # baseline scenario, 1600x900, prints Markdown
    python benchmarks/ui.py --frames 300 --quarters 6
    python benchmarks/ui.py --write             # also replace the "## UI" section of docs/benchmarks.md

What is measured (SDL's dummy video driver unless DISPLAY is set; the drawing is the same, only
the final flip to a real screen differs):

- map, idle: a whole frame of the game screen (events, widgets, map from its cache, panel, top
  bar, ticker, hover tooltip) with the mouse moving over the map;
- map, redraw every frame: the same while the view pans each frame, so the regions, markers,
  arcs and labels are drawn from scratch every time (the worst case: dragging the map);
- every other screen's steady frame (charts and markets after their first matplotlib render,
  whose one-off cost is listed separately);
- ending a quarter: ``model.step()`` with every AI seat deciding, plus the UI's own work after
  it (market snapshot and the quarter's state digest on the worker thread the game uses, then
  the quarter report of the human seat).
- "What lies ahead?" (V, ``--fan-only`` for this alone): the frame rate of the real loop (capped at
  60 frames per second, as in the game) while the fan's worker processes play the futures, on the
  fan screen and on the map, and when the first future, the first band and the last future arrive.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame

from sovereign.ensemble.foresight import WORKER_NICE
from sovereign.game.report import quarter_report, snapshot
from sovereign.game.session import default_scenario_path, new_session
from sovereign.scenario.loader import load_scenario
from sovereign.ui.app import App
from sovereign.ui.charts import charts_pending
from sovereign.ui.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"


def stats_ms(samples: list[float]) -> tuple[float, float, float]:
    """Mean, median and 95th percentile in milliseconds."""
    s = sorted(samples)
    p95 = s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]
    return statistics.fmean(s) * 1000, statistics.median(s) * 1000, p95 * 1000


def time_frames(app: App, frames: int, before_frame=None) -> list[float]:
    """Wall time of ``frames`` calls of the app's loop body (no frame-rate cap)."""
    out = []
    for i in range(frames):
        if before_frame is not None:
            before_frame(i)
        t0 = time.perf_counter()
        app.frame(dt=1 / 60)
        out.append(time.perf_counter() - t0)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", type=Path, default=None)
    parser.add_argument("--frames", type=int, default=240, help="frames per measurement")
    parser.add_argument("--quarters", type=int, default=8, help="quarters to end (timed)")
    parser.add_argument("--size", default="1600x900")
    parser.add_argument("--write", action="store_true", help="update the UI section of docs/benchmarks.md")
    parser.add_argument("--fan-only", action="store_true", help="measure only What lies ahead? (its own section)")
    parser.add_argument("--fan-runs", type=int, default=None, help="futures per fan (default: the game's)")
    parser.add_argument("--fan-timeout", type=float, default=300.0, help="seconds to let a fan fill at most")
    parser.add_argument("--fan-screenshot", type=Path, default=None, help="save the filled fan screen to this PNG")
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.size.split("x"))
    path = args.scenario or default_scenario_path()
    scenario = load_scenario(path)
    seat = "IND" if any(r.id == "IND" for r in scenario.regions) else scenario.regions[0].id

    if args.fan_only:
        return fan_only(args, scenario, path, seat, (w, h))
    # ---- ending quarters ------------------------------------------------------------------
    from sovereign.sim.warmup import warm_up

    warm_up()  # as `sovereign play` does before the window opens: the kernels load once, not in a quarter
    session = new_session(scenario, [seat], seed=0, autosave=False)
    step_times, total_times, report_times = [], [], []
    for _ in range(args.quarters):
        before = snapshot(session.model, seat)
        t0 = time.perf_counter()
        session.end_turn()  # on the worker thread, as in the game
        report = session.wait()
        t1 = time.perf_counter()
        quarter_report(session.model, seat, before)  # the app builds it when the worker is done
        total_times.append(time.perf_counter() - t0)
        report_times.append(time.perf_counter() - t1)
        step_times.append(report.seconds)
    # ---- frames -----------------------------------------------------------------------------
    app = App(Settings(autosave=False), persist_settings=False, size=(w, h), session=session)
    app.start_session(session)
    from sovereign.ui.dialogs import ChoiceDialog

    for win in list(app.manager.get_window_stack().get_full_stack()):
        if isinstance(win, ChoiceDialog):
            win.kill()
    game = app.top
    game.set_layer("sovereignty")
    time_frames(app, 30)
    cx, cy = game.map_rect.center

    def hover(i: int) -> None:
        pos = (cx + (i % 200) - 100, cy + ((i * 7) % 120) - 60)
        pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(1, 0), buttons=(0, 0, 0)))

    load_before = os.getloadavg()[0]
    rows: list[tuple[str, tuple[float, float, float]]] = []
    rows.append(("Map, idle (whole frame, hover tooltip)", stats_ms(time_frames(app, args.frames, hover))))
    game.view.zoom_at(cx, cy, 1.6)

    def pan(i: int) -> None:
        game.view.pan_by(3 if (i // 60) % 2 == 0 else -3, 0)
        hover(i)

    rows.append(
        ("Map while panning (cached image shifted, full render at rest)", stats_ms(time_frames(app, args.frames, pan)))
    )

    def zoom(i: int) -> None:
        game.view.zoom_at(cx, cy, 1.01 if (i // 60) % 2 == 0 else 1 / 1.01)
        hover(i)

    rows.append(
        ("Map while zooming (cached image scaled, full render at rest)", stats_ms(time_frames(app, args.frames, zoom)))
    )

    def defeat_cache(i: int) -> None:
        game.renderer._key = None  # worst case: regions, markers, arcs and labels drawn from scratch
        pan(i)

    renders = game.renderer.full_renders
    rows.append(
        (
            "Map fully re-rendered every frame (cache defeated)",
            stats_ms(time_frames(app, args.frames // 2, defeat_cache)),
        )
    )
    assert game.renderer.full_renders - renders >= args.frames // 2 - 1
    game.view.zoom, game.view.center = 1.0, (0.0, 0.0)
    game.set_tab("actions")
    game.open_action("build_datacenter")
    time_frames(app, 10)
    rows.append(("Map with the action form open", stats_ms(time_frames(app, args.frames // 2))))
    game.form.kill()
    game.set_tab("overview")
    first_render: list[tuple[str, float]] = []
    for name, params in (
        ("report", {}),
        ("markets", {}),
        ("charts", {}),
        ("menu", {}),
        ("new_game", {}),
        ("settings", {}),
        ("load", {}),
        ("handover", {"seat": seat}),
    ):
        t0 = time.perf_counter()
        app.open(name, **params)
        app.frame(dt=1 / 60)
        first = (time.perf_counter() - t0) * 1000
        while charts_pending():
            app.frame(dt=1 / 60)
        app.frame(dt=1 / 60)
        first_render.append((name, first, (time.perf_counter() - t0) * 1000))
        time_frames(app, 10)
        rows.append((f"{app.top.title}", stats_ms(time_frames(app, args.frames // 2))))
        app.back()
        time_frames(app, 3)
    app.help_open = True
    rows.append(("Help overlay (F1) over the map", stats_ms(time_frames(app, args.frames // 2))))
    app.help_open = False
    # end of game: play the rest of the game, then time the end screen
    while not session.model.done:
        session.end_turn(wait=True)
        session.poll()
    t0 = time.perf_counter()
    app.start_session(session)
    app.frame(dt=1 / 60)
    first = (time.perf_counter() - t0) * 1000
    while charts_pending():
        app.frame(dt=1 / 60)
    app.frame(dt=1 / 60)
    first_render.append(("end", first, (time.perf_counter() - t0) * 1000))
    time_frames(app, 10)
    rows.append((app.top.title, stats_ms(time_frames(app, args.frames // 2))))
    pygame.quit()

    step = stats_ms(step_times)
    total = stats_ms(total_times)
    built = stats_ms(report_times)
    versions = f"Python {platform.python_version()}, pygame-ce {pygame.version.ver}"
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs ({platform.processor() or 'unknown CPU'}), {versions}"
    lines = [
        "## UI",
        "",
        f"Measured {datetime.now(UTC).strftime('%Y-%m-%d')} on {machine}, SDL video driver "
        f"`{os.environ.get('SDL_VIDEODRIVER', 'default')}`, window {w}x{h}, scenario `{Path(path).name}` "
        f"({len(scenario.regions)} regions, {len(scenario.actors)} firms), playing {seat}; load average "
        f"{load_before:.1f} when the frames were timed (the machine was shared with other jobs).",
        "",
        f"Command: `python benchmarks/ui.py --frames {args.frames} --quarters {args.quarters}`",
        "",
        "| What | mean ms | median ms | p95 ms | frames/s (mean) |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, (mean, med, p95) in rows:
        lines.append(f"| {label} | {mean:.2f} | {med:.2f} | {p95:.2f} | {1000 / mean:.0f} |")
    lines += [
        "",
        "Opening a screen: its first frame, and the time until its charts (rendered by matplotlib on a worker "
        "thread, with a placeholder meanwhile) are on screen:",
        "",
        "| Screen | first frame ms | charts shown ms |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {ms:.0f} | {ready:.0f} |" for name, ms, ready in first_render]
    lines += [
        "",
        f"Ending a quarter with every AI seat ({args.quarters} quarters from {scenario.time.start}): "
        f"`model.step()` mean {step[0]:.0f} ms, median {step[1]:.0f} ms, p95 {step[2]:.0f} ms; with the UI's "
        f"snapshot and state digest on the worker thread and the quarter report, mean {total[0]:.0f} ms, "
        f"p95 {total[2]:.0f} ms. The quarter report alone (built on the main thread when the worker is done): "
        f"mean {built[0]:.1f} ms, p95 {built[2]:.1f} ms. "
        "The window keeps drawing (a progress overlay) while the worker plays the quarter.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(text)
        print(f"updated {DOC}", file=sys.stderr)
    return 0


FAN_HEADING = "## UI: What lies ahead? while the futures are played"


def fill_fan(app: App, on_map: bool, timeout: float) -> dict[str, float]:
    """Run the real loop (60 frames per second at most) until the fan's futures are all played.

    Returns the frames per second achieved, frame work times (mean, p95, max, frames over 33 ms),
    when the first future, the first band and the last future arrived (seconds from V), and how
    many had arrived when the loop stopped (after `timeout` seconds at most).
    """
    from sovereign.ui.screens.fan import MIN_FOR_BAND

    app.clock.tick()  # the loop's clock starts now, not at the last frame timed elsewhere
    t0 = time.perf_counter()
    app.open("fan")  # what V does
    opened = time.perf_counter() - t0  # the state is copied here, on the game's thread
    if on_map:
        app.back()  # the player goes back to the map: the futures keep coming
    job = app.fan_job
    first = band = None
    frame_s: list[float] = []
    while not job.complete and job.error is None and time.perf_counter() - t0 < timeout:
        app.frame()  # capped at 60 frames per second by the app's clock, as in the game
        frame_s.append(app.frame_ms / 1000.0)
        now = time.perf_counter() - t0
        if first is None and job.finished >= 1:
            first = now
        if band is None and job.finished >= MIN_FOR_BAND:
            band = now
    elapsed = time.perf_counter() - t0
    if job.error:
        raise RuntimeError(job.error)
    mean, _, p95 = stats_ms(frame_s)
    return {
        "runs": job.runs,
        "quarters": len(job.quarters),
        "fps": len(frame_s) / elapsed,
        "mean": mean,
        "p95": p95,
        "max": max(frame_s) * 1000,
        "slow": sum(1 for f in frame_s if f > 1 / 30),
        "frames": len(frame_s),
        "first": first or float("nan"),
        "band": band or float("nan"),
        "all": elapsed if job.complete else float("nan"),
        "finished": job.finished,
        "elapsed": elapsed,
        "opened": opened * 1000,
    }


def fan_only(args: argparse.Namespace, scenario, path: Path, seat: str, size: tuple[int, int]) -> int:
    """Measure "What lies ahead?" in the game (a fresh process, so the first fan starts the workers cold)."""
    import sovereign.ui.app as app_module

    if args.fan_runs:
        app_module.FAN_RUNS = args.fan_runs
    session = new_session(scenario, [seat], seed=0, autosave=False)
    for _ in range(args.quarters):
        session.end_turn(wait=True)
        session.poll()
    app = App(Settings(autosave=False), persist_settings=False, size=size, session=session)
    app.start_session(session)
    from sovereign.ui.dialogs import ChoiceDialog

    for win in list(app.manager.get_window_stack().get_full_stack()):
        if isinstance(win, ChoiceDialog):
            win.kill()
    while app.top.name != "game":
        app.back()
    time_frames(app, 30)
    load_before = os.getloadavg()[0]
    rows = []
    cold = fill_fan(app, on_map=False, timeout=args.fan_timeout)
    rows.append(("Fan screen, workers started cold (the first fan of the process)", cold))
    if args.fan_screenshot is not None:
        app.screenshot(args.fan_screenshot)
        print(f"wrote {args.fan_screenshot}", file=sys.stderr)
    app.back()
    app.fan_hold = not app.fan_hold  # other futures: a new job, the fork server already running
    rows.append(
        ("Map, while the futures are played (workers warm)", fill_fan(app, on_map=True, timeout=args.fan_timeout))
    )
    app.fan_hold = not app.fan_hold
    app.cancel_fan(wait=True)
    pygame.quit()
    versions = f"Python {platform.python_version()}, pygame-ce {pygame.version.ver}"
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs ({platform.processor() or 'unknown CPU'}), {versions}"
    r0 = rows[0][1]
    lines = [
        FAN_HEADING,
        "",
        f"Measured {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC on {machine}, SDL video driver "
        f"`{os.environ.get('SDL_VIDEODRIVER', 'default')}`, window {size[0]}x{size[1]}, scenario `{Path(path).name}` "
        f"({len(scenario.regions)} regions, {len(scenario.actors)} firms), playing {seat} from "
        f"{session.model.quarter_label} ({args.quarters} quarters played); {r0['runs']} futures of "
        f"{r0['quarters']} quarters on {app_module.FAN_WORKERS} worker processes (niceness "
        f"+{WORKER_NICE}); load average {load_before:.1f} "
        "before (the machine was shared with other jobs).",
        "",
        f"Command: `python benchmarks/ui.py --fan-only --quarters {args.quarters}"
        + (f" --fan-runs {args.fan_runs}`" if args.fan_runs else "`"),
        "",
        "The real loop, capped at 60 frames per second as in the game, runs until the last future is in. "
        "*V ms*: pressing V (the game's state is copied on the game's thread, the workers start on "
        "another); the frame columns are the frames drawn while the futures were played.",
        "",
        "| While the futures are played | V ms | frames/s | frame ms mean | p95 | max | frames > 33 ms "
        "| first future s | first band s | all futures s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, r in rows:
        done = f"{r['all']:.1f}" if r["finished"] == r["runs"] else f"{r['finished']:.0f} in {r['elapsed']:.0f} s"
        lines.append(
            f"| {label} | {r['opened']:.0f} | {r['fps']:.1f} | {r['mean']:.1f} | {r['p95']:.1f} | {r['max']:.0f} | "
            f"{r['slow']:.0f} of {r['frames']:.0f} | {r['first']:.2f} | {r['band']:.2f} | {done} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        write_section(text, FAN_HEADING)
        print(f"updated {DOC}", file=sys.stderr)
    return 0


def write_section(section: str, heading: str = "## UI") -> None:
    """Replace (or add) the `heading` section of docs/benchmarks.md, leaving other sections alone."""
    if DOC.is_file():
        doc = DOC.read_text(encoding="utf-8")
    else:
        doc = "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(doc):
        doc = pattern.sub(section.rstrip("\n") + "\n\n", doc)
    else:
        doc = doc.rstrip("\n") + "\n\n" + section
    DOC.write_text(doc.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
