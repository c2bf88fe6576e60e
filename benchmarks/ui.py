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
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.size.split("x"))
    path = args.scenario or default_scenario_path()
    scenario = load_scenario(path)
    seat = "IND" if any(r.id == "IND" for r in scenario.regions) else scenario.regions[0].id

    # ---- ending quarters ------------------------------------------------------------------
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


def write_section(section: str) -> None:
    """Replace (or add) the ``## UI`` section of docs/benchmarks.md, leaving other sections alone."""
    if DOC.is_file():
        doc = DOC.read_text(encoding="utf-8")
    else:
        doc = "# Benchmarks\n"
    pattern = re.compile(r"^## UI\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(doc):
        doc = pattern.sub(section.rstrip("\n") + "\n\n", doc)
    else:
        doc = doc.rstrip("\n") + "\n\n" + section
    DOC.write_text(doc.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
