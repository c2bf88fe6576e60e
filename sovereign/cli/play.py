"""`sovereign play` (the desktop game) and `sovereign screenshot` (render a screen to PNG)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sovereign.cli.args import check_output_file, non_negative_int, seed
from sovereign.cli.errors import UsageError


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1600x900, found {text!r}") from None
    if w < 960 or h < 600 or w > 16384 or h > 16384:
        raise argparse.ArgumentTypeError(f"{w}x{h} is outside 960x600..16384x16384")
    return w, h


def _scale(text: str) -> float:
    from sovereign.ui.settings import MAX_SCALE, MIN_SCALE

    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 1.25, found {text!r}") from None
    if not MIN_SCALE <= v <= MAX_SCALE:
        raise argparse.ArgumentTypeError(f"UI scale must be within {MIN_SCALE}..{MAX_SCALE}, found {v}")
    return v


def _seat_level(text: str) -> tuple[str, str]:
    seat, sep, level = text.partition("=")
    level = level.strip().lower()
    if not sep or not seat.strip() or level not in ("easy", "normal", "hard"):
        raise argparse.ArgumentTypeError(f"expected SEAT=LEVEL with LEVEL easy, normal or hard, found {text!r}")
    return seat.strip(), level


def _screens() -> list[str]:
    from sovereign.ui.screenshot import SCREENSHOT_SCREENS

    return list(SCREENSHOT_SCREENS)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scenario", default=None, help="scenario file or name, e.g. taiwan_strait (default: the bundled baseline)"
    )
    p.add_argument("--seat", default=None, help="region or firm id you play (default IND, India)")
    p.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2**63-1 (default 0)")
    p.add_argument(
        "--difficulty", choices=("easy", "normal", "hard"), default=None, help="default difficulty of AI seats"
    )
    p.add_argument(
        "--ai",
        type=_seat_level,
        action="append",
        default=[],
        metavar="SEAT=LEVEL",
        help="an AI seat at its own difficulty, e.g. CHN=hard (repeatable)",
    )
    p.add_argument(
        "--human", action="append", default=[], metavar="SEAT", help="another human seat, hot seat (repeatable)"
    )
    p.add_argument("--size", type=_size, default=None, metavar="WxH", help="window size, e.g. 1600x900")
    p.add_argument("--scale", type=_scale, default=None, help="UI scale, e.g. 1.25")
    p.add_argument("--palette", choices=("standard", "colourblind"), default=None, help="colour palette")
    p.add_argument(
        "--saves",
        type=Path,
        default=None,
        help="folder for saves (default: saves/ in a clone of the repository, else your user data folder)",
    )


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `play` and `screenshot`."""
    p = sub.add_parser("play", help="open the desktop game (or render one screen with --screenshot)")
    _common(p)
    p.add_argument("--load", type=Path, default=None, help="open a saved game")
    p.add_argument("--screenshot", type=Path, default=None, metavar="PATH", help="render --screen to a PNG and exit")
    p.add_argument("--screen", default="game", help="screen for --screenshot: " + ", ".join(_screens()))
    p.add_argument(
        "--quarters", type=non_negative_int, default=4, help="quarters the AI plays before a screenshot (default 4)"
    )
    p.add_argument("--layer", default=None, help="map layer for a screenshot (e.g. sovereignty, power_price)")
    p.add_argument("--region", default=None, help="region selected for a screenshot")
    p.set_defaults(handler=cmd_play)

    p = sub.add_parser("screenshot", help="render one screen of the game to a PNG, headless")
    p.add_argument("path", type=Path, metavar="PATH", help="PNG file to write")
    _common(p)
    p.add_argument("--screen", default="game", help="one of: " + ", ".join(_screens()))
    p.add_argument("--quarters", type=non_negative_int, default=4, help="quarters the AI plays first (default 4)")
    p.add_argument("--layer", default=None, help="map layer (e.g. sovereignty, power_price)")
    p.add_argument("--region", default=None, help="region to select")
    p.set_defaults(handler=cmd_screenshot)


def _shot(args: argparse.Namespace, path: Path) -> int:
    from sovereign.ui.layers import LAYER_BY_KEY
    from sovereign.ui.screenshot import SCREENSHOT_SCREENS, ShotOptions, render

    args.screen = args.screen.replace("-", "_")  # new-game reads as well as new_game
    if args.screen not in SCREENSHOT_SCREENS:
        raise UsageError(f"unknown screen {args.screen!r}; choose from {', '.join(SCREENSHOT_SCREENS)}")
    if args.layer is not None and args.layer not in LAYER_BY_KEY:
        raise UsageError(f"unknown layer {args.layer!r}; choose from {', '.join(LAYER_BY_KEY)}")
    check_output_file(path, "screenshot" if path is getattr(args, "path", None) else "--screenshot")
    _check_seat(args)
    opts = ShotOptions(
        path=path,
        screen=args.screen,
        scenario=_scenario_path(args) if args.scenario else None,
        seat=args.seat,
        seed=args.seed,
        quarters=max(0, args.quarters),
        size=args.size or (1600, 900),
        scale=args.scale or 1.0,
        palette=args.palette or "standard",
        layer=args.layer,
        region=args.region,
        save_dir=args.saves,
        difficulty=args.difficulty,
        humans=list(args.human),
        levels=dict(args.ai),
    )
    written = render(opts)
    print(f"wrote {written}")
    return 0


def _scenario_path(args: argparse.Namespace) -> Path:
    """The scenario file of --scenario (a path or a name), or the bundled baseline."""
    from sovereign.cli.run import scenario_file

    return scenario_file(args.scenario or "baseline")


def _check_seat(args: argparse.Namespace) -> None:
    """Every seat named by --seat, --human and --ai must exist in the scenario."""
    named = ([args.seat] if args.seat else []) + list(args.human) + [seat for seat, _ in args.ai]
    if not named:
        return
    from sovereign.cli.run import load_or_fail

    sc = load_or_fail(_scenario_path(args))
    seats = [r.id for r in sc.regions] + [a.id for a in sc.actors]
    for seat in named:
        if seat not in seats:
            raise UsageError(f"unknown seat {seat!r}; choose a region or firm id: {', '.join(seats)}")


def cmd_screenshot(args: argparse.Namespace) -> int:
    """`sovereign screenshot PATH --screen NAME`."""
    return _shot(args, args.path)


def _need_display() -> None:
    """Refuse to open a window where there is no screen, instead of playing to an invisible one.

    On Linux SDL falls back to an off-screen driver when neither X11 nor Wayland is reachable, and
    the game would run with no window at all; say so and point to the headless commands instead.
    """
    import os
    import sys

    if not sys.platform.startswith("linux") or os.environ.get("SDL_VIDEODRIVER"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise UsageError(
            "no display to open the game window on (DISPLAY and WAYLAND_DISPLAY are not set). "
            "On a machine without a screen use `sovereign run SCENARIO` to play headless, or "
            "`sovereign screenshot OUT.png --screen game` to render the map; under a virtual screen "
            "run `xvfb-run sovereign play`."
        )


def _default_saves() -> Path:
    from sovereign.data import default_saves_folder

    return default_saves_folder()


def cmd_play(args: argparse.Namespace) -> int:
    """Open the game: the main menu, a new game (--scenario/--seat) or a save (--load)."""
    if args.screenshot is not None:
        return _shot(args, args.screenshot)
    _need_display()
    from sovereign.sim.warmup import prepare_kernels

    # Before the window opens: a first run's compile would otherwise stall the first quarter.
    prepare_kernels(lambda text: print(f"sovereign: {text}", flush=True))
    from sovereign.ui.app import App
    from sovereign.ui.settings import load_settings

    settings, problems = load_settings()
    for p in problems:
        print(f"sovereign: settings: {p}")
    if args.size:
        settings.window_size = args.size
    if args.scale:
        settings.ui_scale = args.scale
    if args.palette:
        settings.palette = args.palette
    session = None
    if args.scenario is not None or args.seat is not None or args.human or args.ai:
        from sovereign.cli.run import load_or_fail
        from sovereign.game.session import new_session

        path = _scenario_path(args)
        scenario = load_or_fail(path)
        _check_seat(args)
        seat = args.seat or ("IND" if any(r.id == "IND" for r in scenario.regions) else scenario.regions[0].id)
        humans = [seat, *[h for h in args.human if h != seat]]
        session = new_session(
            scenario,
            humans,
            seed=args.seed,
            difficulty=args.difficulty,
            seat_difficulty=dict(args.ai),
            scenario_path=path,
        )
    print(f"sovereign: saves go to {args.saves or _default_saves()}", flush=True)
    app = App(settings, size=args.size, session=session, save_dir=args.saves)
    if args.load is not None:
        app.open("menu")
        if not app.load_game(args.load):
            raise UsageError(f"could not load {args.load}")
    return app.run()
