"""Player settings (window size, fullscreen, UI scale, palette), persisted per user as JSON.

Settings live in ``$XDG_CONFIG_HOME/sovereign/settings.json`` (``~/.config/sovereign`` when the
variable is unset), because that is where a Linux desktop user expects per-user configuration and
it keeps the repository clean. A settings file is written by people as often as by the game, so a
broken one must never stop the game from starting: :func:`load_settings` reports what was wrong,
keeps every field it could read, and the caller writes the repaired file back.

This module does not import pygame, so the CLI and tests can read settings without a display.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

#: Window sizes offered in the settings screen (the first is the default).
WINDOW_SIZES: tuple[tuple[int, int], ...] = (
    (1600, 900),
    (1280, 720),
    (1366, 768),
    (1920, 1080),
    (2560, 1440),
)
#: UI scales offered in the settings screen; any value in [MIN_SCALE, MAX_SCALE] is accepted.
UI_SCALES: tuple[float, ...] = (0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0)
MIN_SCALE, MAX_SCALE = 0.5, 3.0
PALETTES: tuple[str, ...] = ("standard", "colourblind")
#: Smallest window the layout is designed for; smaller requests are raised to this.
MIN_WINDOW = (960, 600)


@dataclass
class Settings:
    """What a player can change between sessions.

    Attributes:
        window_size: Window width and height in pixels (ignored in fullscreen).
        fullscreen: Use the whole screen at its native resolution.
        ui_scale: Multiplier on every font size and layout length (fractional values allowed,
            e.g. 1.25 on a laptop with a high-density screen).
        palette: ``"standard"`` or ``"colourblind"`` (Okabe-Ito categories, viridis ramps).
        autosave: Save automatically after every quarter.
        show_flows: Draw chip and compute flow arcs on the map.
        tutorial: The player's progress through the tutorial (`sovereign.game.tutorial.Progress`
            as JSON): kept here, not in a save, so skipping and resuming survive a restart.
    """

    window_size: tuple[int, int] = WINDOW_SIZES[0]
    fullscreen: bool = False
    ui_scale: float = 1.0
    palette: str = "standard"
    autosave: bool = True
    show_flows: bool = True
    tutorial: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The settings as plain JSON data (unknown keys read from the file are kept)."""
        data = asdict(self)
        extra = data.pop("extra")
        data["window_size"] = list(self.window_size)
        return {**extra, **data}


def config_dir() -> Path:
    """The per-user configuration folder, honouring ``XDG_CONFIG_HOME``."""
    base = os.environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "sovereign"


def settings_path() -> Path:
    """Where the settings file lives for this user."""
    return config_dir() / "settings.json"


def _check_size(value: Any) -> tuple[int, int]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"expected [width, height], found {value!r}")
    w, h = value
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (w, h)):
        raise ValueError(f"expected whole numbers of pixels, found {value!r}")
    if w < MIN_WINDOW[0] or h < MIN_WINDOW[1] or w > 16384 or h > 16384:
        raise ValueError(f"{w}x{h} is outside {MIN_WINDOW[0]}x{MIN_WINDOW[1]}..16384x16384")
    return int(w), int(h)


def _check_scale(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"expected a number, found {value!r}")
    if not MIN_SCALE <= value <= MAX_SCALE:
        raise ValueError(f"{value} is outside {MIN_SCALE}..{MAX_SCALE}")
    return float(value)


def _check_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, found {value!r}")
    return value


def _check_palette(value: Any) -> str:
    if value not in PALETTES:
        raise ValueError(f"expected one of {', '.join(PALETTES)}, found {value!r}")
    return str(value)


def _check_tutorial(value: Any) -> dict[str, Any]:
    from sovereign.game.tutorial import progress_from_json

    if value == {}:
        return {}  # never offered: the first new game offers it
    return progress_from_json(value).to_json()


_CHECKS = {
    "window_size": _check_size,
    "fullscreen": _check_bool,
    "ui_scale": _check_scale,
    "palette": _check_palette,
    "autosave": _check_bool,
    "show_flows": _check_bool,
    "tutorial": _check_tutorial,
}


def settings_from_json(data: Any) -> tuple[Settings, list[str]]:
    """Build settings from parsed JSON, field by field.

    Args:
        data: The parsed file content.

    Returns:
        The settings (defaults for every missing or bad field) and one problem message per bad
        field, so a single typo costs that field only.
    """
    if not isinstance(data, dict):
        return Settings(), [f"expected a JSON object, found {type(data).__name__}"]
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, check in _CHECKS.items():
        if name in data:
            try:
                values[name] = check(data[name])
            except ValueError as exc:
                problems.append(f"{name}: {exc}; using the default")
    known = {f.name for f in fields(Settings)}
    extra = {k: v for k, v in data.items() if k not in known}
    return Settings(**values, extra=extra), problems


def load_settings(path: Path | None = None) -> tuple[Settings, list[str]]:
    """Read the settings file; never raise for a missing, unreadable or corrupt file.

    Args:
        path: Settings file (default :func:`settings_path`).

    Returns:
        The settings and a list of problems for the player. A missing file is not a problem
        (first start); a corrupt one is, and the caller should :func:`save_settings` the result
        so the file is repaired (the broken original is kept beside it as ``.corrupt``).
    """
    from sovereign.fileio import read_regular_text

    file = path or settings_path()
    try:
        # a regular file of at most 1 MB: a FIFO or a device in its place must not block the game
        text = read_regular_text(file, 1024 * 1024)
    except FileNotFoundError:
        return Settings(), []
    except (OSError, UnicodeDecodeError) as exc:
        return Settings(), [f"could not read {file}: {exc}; using default settings"]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        _keep_corrupt(file)
        return Settings(), [f"{file} is not valid JSON ({exc}); replaced with default settings"]
    settings, problems = settings_from_json(data)
    if problems:
        _keep_corrupt(file)
        problems = [f"{file}: {p}" for p in problems]
    return settings, problems


def _keep_corrupt(file: Path) -> None:
    """Keep a copy of a broken settings file so a hand edit is not silently lost."""
    from sovereign.fileio import read_regular_file

    try:
        file.with_suffix(".json.corrupt").write_bytes(read_regular_file(file, 1024 * 1024))
    except OSError:
        pass


def save_settings(settings: Settings, path: Path | None = None) -> str | None:
    """Write the settings atomically; return an error message instead of raising.

    Args:
        settings: What to write.
        path: Settings file (default :func:`settings_path`).

    Returns:
        None on success, else a message for the player (a read-only home must not crash a game).
    """
    file = path or settings_path()
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(settings.to_json(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, file)
    except OSError as exc:
        return f"could not save settings to {file}: {exc}"
    return None
