"""`sovereign screenshot` / `sovereign play --screenshot` render a screen headless; bad input exits 2."""

from __future__ import annotations

import subprocess
import sys

import pygame
import pytest

from sovereign.cli import main

TINY = "tests/sim/fixtures/tiny.yaml"


def test_screenshot_command_writes_a_png(tmp_path):
    out = tmp_path / "shot.png"
    code = main(
        ["screenshot", str(out), "--screen", "markets", "--scenario", TINY, "--quarters", "1", "--size", "1280x720"]
    )
    assert code == 0 and out.is_file()
    assert pygame.image.load(str(out)).get_size() == (1280, 720)


def test_play_screenshot_option_with_scale_and_palette(tmp_path):
    out = tmp_path / "map.png"
    args = [
        "play",
        "--scenario",
        TINY,
        "--seat",
        "CHN",
        "--screenshot",
        str(out),
        "--screen",
        "game",
        "--quarters",
        "1",
    ]
    code = main([*args, "--scale", "1.25", "--palette", "colourblind", "--layer", "power_price"])
    assert code == 0 and out.is_file()


@pytest.mark.parametrize(
    "args",
    [
        ["screenshot", "x.png", "--screen", "nope", "--scenario", TINY],
        ["screenshot", "x.png", "--seat", "ATLANTIS", "--scenario", TINY],
        ["screenshot", "x.png", "--layer", "vibes", "--scenario", TINY],
        ["screenshot", "x.png", "--scenario", "missing.yaml"],
        ["screenshot", "x.png", "--human", "ATLANTIS", "--scenario", TINY],
        ["screenshot", "x.png", "--ai", "ATLANTIS=hard", "--scenario", TINY],
    ],
)
def test_bad_arguments_are_usage_errors(args, capsys):
    assert main(args) == 2
    assert "sovereign: error:" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [["--size", "10x10"], ["--ai", "CHN=brutal"], ["--ai", "CHN"]])
def test_bad_values_are_rejected_by_the_parser(bad, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["screenshot", "x.png", *bad])
    assert exc.value.code == 2


def test_hot_seat_screenshot_with_per_seat_difficulty(tmp_path):
    out = tmp_path / "handover.png"
    args = ["screenshot", str(out), "--screen", "handover", "--scenario", TINY, "--quarters", "1"]
    assert main([*args, "--human", "CHN", "--ai", "bharat=hard", "--difficulty", "easy", "--size", "1280x720"]) == 0
    assert out.is_file()


def test_simulation_imports_without_pygame():
    code = (
        "import sys; import sovereign.sim, sovereign.scenario, sovereign.markets, sovereign.persist; "
        "import sovereign.game.session, sovereign.ui.layers, sovereign.game.actions, sovereign.ui.settings; "
        "assert 'pygame' not in sys.modules, sorted(m for m in sys.modules if 'pygame' in m)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_play_without_a_display_is_a_clear_error(monkeypatch, capsys):
    import sys

    from sovereign.cli import main

    monkeypatch.setattr(sys, "platform", "linux")
    for var in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    assert main(["play"]) == 2
    assert "no display" in capsys.readouterr().err
