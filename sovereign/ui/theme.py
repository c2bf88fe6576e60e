"""Appearance: palettes for the map and charts, the widget theme, fonts and UI scaling.

Colours live in JSON under ``sovereign/assets/`` (``palettes.json`` for the map and charts, ``theme.json``
for pygame_gui widgets, ``theme_colourblind.json`` merged on top for the colour-blind-safe
palette), so changing the look never means changing code. This module turns those files into
what the code needs: RGB tuples, colour ramps, a pygame_gui theme dictionary scaled to the
player's UI scale, and cached fonts.

Only :class:`Fonts` touches pygame, and it imports it lazily, so palettes can be used (and
tested) without a display.
"""

from __future__ import annotations

import copy
import json
import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sovereign.ui.geo import asset_path

if TYPE_CHECKING:
    import pygame

RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, int]

#: Misc theme keys that are lengths in pixels, scaled with the UI scale.
_SCALED_MISC = (
    "border_width",
    "shape_corner_radius",
    "text_horiz_alignment_padding",
    "sliding_button_width",
    "list_item_height",
    "title_bar_height",
    "rect_width",
)


def hex_to_rgba(text: str) -> RGBA:
    """Parse ``#rrggbb`` or ``#rrggbbaa`` into an RGBA tuple (alpha 255 when absent)."""
    h = text.lstrip("#")
    if len(h) not in (6, 8):
        raise ValueError(f"bad colour {text!r}: expected #rrggbb or #rrggbbaa")
    vals = [int(h[i : i + 2], 16) for i in range(0, len(h), 2)]
    if len(vals) == 3:
        vals.append(255)
    return vals[0], vals[1], vals[2], vals[3]


def hex_to_rgb(text: str) -> RGB:
    """Parse a hex colour, dropping any alpha."""
    r, g, b, _ = hex_to_rgba(text)
    return r, g, b


@dataclass(frozen=True)
class Palette:
    """Map and chart colours of one palette (``standard`` or ``colourblind``).

    Attributes:
        name: Palette name as in the settings.
        colors: Named RGBA colours (background, ocean, text, markers...).
        ramps: Named colour ramps as arrays of shape (n, 3) of RGB stops.
        categorical: Distinct colours for categories (blocs, firms).
        tiers: Colour per export-control tier 1..3.
        technologies: Colour per power technology (power mix, merit order).
    """

    name: str
    colors: dict[str, RGBA]
    ramps: dict[str, np.ndarray]
    categorical: tuple[RGB, ...]
    tiers: dict[int, RGB]
    technologies: dict[str, RGB]

    def rgb(self, key: str) -> RGB:
        """A named colour without alpha."""
        r, g, b, _ = self.colors[key]
        return r, g, b

    def rgba(self, key: str) -> RGBA:
        """A named colour with alpha."""
        return self.colors[key]

    def hex(self, key: str) -> str:
        """A named colour as ``#rrggbb`` (for matplotlib)."""
        r, g, b = self.rgb(key)
        return f"#{r:02x}{g:02x}{b:02x}"

    def ramp(self, name: str, t: float) -> RGB:
        """Colour at position ``t`` in [0, 1] of a ramp (piecewise linear between stops)."""
        return tuple(int(v) for v in self.ramp_many(name, np.array([t]))[0])  # type: ignore[return-value]

    def ramp_many(self, name: str, t: np.ndarray) -> np.ndarray:
        """Colours for many positions at once; NaN positions are clipped to 0.

        The stops come from perceptual maps (viridis, cividis) or were picked by eye on the
        dark map, so linear interpolation in sRGB between close stops is good enough.
        """
        stops = self.ramps[name]
        x = np.clip(np.nan_to_num(np.asarray(t, float), nan=0.0), 0.0, 1.0) * (len(stops) - 1)
        i = np.minimum(np.floor(x).astype(int), len(stops) - 2)
        f = (x - i)[:, None]
        out = stops[i] * (1.0 - f) + stops[i + 1] * f
        return np.rint(out).astype(int)

    def category(self, i: int) -> RGB:
        """The i-th categorical colour (cycling)."""
        return self.categorical[i % len(self.categorical)]

    def tech(self, name: str) -> RGB:
        """Colour of a power technology (grey for unknown ones)."""
        return self.technologies.get(name, (128, 128, 128))


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


@cache
def _palette_file() -> dict[str, Any]:
    return json.loads(asset_path("palettes.json").read_text(encoding="utf-8"))


@cache
def load_palette(name: str = "standard") -> Palette:
    """Load a palette from ``sovereign/assets/palettes.json``; ``colourblind`` overrides ``standard``.

    Args:
        name: ``"standard"`` or ``"colourblind"``; unknown names fall back to standard.

    Returns:
        The palette (cached: palettes are immutable).
    """
    data = _palette_file()
    spec = data["standard"]
    if name != "standard" and name in data:
        spec = _deep_merge(spec, data[name])
    else:
        name = "standard"
    return Palette(
        name=name,
        colors={k: hex_to_rgba(v) for k, v in spec["colors"].items()},
        ramps={k: np.array([hex_to_rgb(c) for c in v], float) for k, v in spec["ramps"].items()},
        categorical=tuple(hex_to_rgb(c) for c in spec["categorical"]),
        tiers={int(k): hex_to_rgb(v) for k, v in spec["tiers"].items()},
        technologies={k: hex_to_rgb(v) for k, v in spec["technologies"].items()},
    )


def _scale_value(value: str, scale: float) -> str:
    """Scale a theme length ("4" or "8,6" or "1" border) keeping at least one pixel."""
    parts = [p.strip() for p in str(value).split(",")]
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        return value
    scaled = [str(max(1 if n > 0 else 0, round(n * scale))) for n in nums]
    return ",".join(scaled)


def gui_theme(scale: float = 1.0, palette: str = "standard") -> dict[str, Any]:
    """The pygame_gui theme as a dictionary, with fonts and lengths multiplied by ``scale``.

    pygame_gui has no global UI scale, so the game scales the theme itself: every font size and
    every pixel length in ``misc`` blocks. Fractional scales round to whole pixels.

    Args:
        scale: UI scale (1.0 = designed for 1600x900).
        palette: ``"colourblind"`` merges ``theme_colourblind.json`` over ``theme.json``.

    Returns:
        A theme dictionary to pass to ``pygame_gui.UIManager``.
    """
    theme = json.loads(asset_path("theme.json").read_text(encoding="utf-8"))
    if palette == "colourblind":
        over = json.loads(asset_path("theme_colourblind.json").read_text(encoding="utf-8"))
        over.pop("_comment", None)
        theme = _deep_merge(theme, over)
    for block in theme.values():
        if not isinstance(block, dict):
            continue
        font = block.get("font")
        if isinstance(font, dict) and "size" in font:
            font["size"] = str(max(6, round(float(font["size"]) * scale)))
        misc = block.get("misc")
        if isinstance(misc, dict):
            for key in _SCALED_MISC:
                if key in misc:
                    misc[key] = _scale_value(misc[key], scale)
            if "padding" in misc:
                misc["padding"] = _scale_value(misc["padding"], scale)
    return theme


def theme_font_sizes(theme: dict[str, Any]) -> list[tuple[str, int, bool, bool]]:
    """Every (name, size, bold, italic) font a theme uses, for preloading."""
    out = set()
    for block in theme.values():
        if isinstance(block, dict) and isinstance(block.get("font"), dict):
            f = block["font"]
            out.add((f.get("name", "noto_sans"), int(f["size"]), f.get("bold") == "1", f.get("italic") == "1"))
    return sorted(out)


@dataclass(frozen=True)
class Scale:
    """The UI scale as a callable: ``s(12)`` is 12 design pixels in real pixels."""

    factor: float = 1.0

    def __call__(self, px: float) -> int:
        """Scale a design length (at 1600x900, scale 1) to whole pixels, at least 1."""
        return max(1, round(px * self.factor)) if px > 0 else round(px * self.factor)


def _font_file(bold: bool) -> str:
    name = "NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf"
    return str(resources.files("pygame_gui.data").joinpath(name))


class Fonts:
    """Fonts and rendered text for the custom-drawn parts (map labels, panel, charts).

    pygame_gui's own Noto Sans files are reused so widget text and drawn text match. Rendering
    text is the slowest thing in a frame, so rendered surfaces are cached (LRU) by text, size,
    weight and colour; a static label then costs one blit per frame.
    """

    def __init__(self, scale: float = 1.0, cache_size: int = 4000) -> None:
        self.scale = scale
        self._fonts: dict[tuple[int, bool], pygame.font.Font] = {}
        self._cache: OrderedDict[tuple[str, int, bool, tuple[int, ...]], pygame.Surface] = OrderedDict()
        self._cache_size = cache_size

    def font(self, size: float, bold: bool = False) -> pygame.font.Font:
        """A font of ``size`` design pixels (scaled)."""
        import pygame

        px = max(6, round(size * self.scale))
        key = (px, bold)
        f = self._fonts.get(key)
        if f is None:
            if not pygame.font.get_init():
                pygame.font.init()
            f = pygame.font.Font(_font_file(bold), px)
            self._fonts[key] = f
        return f

    def render(self, text: str, size: float, color: Sequence[int], bold: bool = False) -> pygame.Surface:
        """Anti-aliased text surface, cached."""
        key = (text, round(size * 10), bold, tuple(color))
        surf = self._cache.get(key)
        if surf is not None:
            self._cache.move_to_end(key)
            return surf
        surf = self.font(size, bold).render(text, True, tuple(color))
        self._cache[key] = surf
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return surf

    def size(self, text: str, size: float, bold: bool = False) -> tuple[int, int]:
        """Pixel size of rendered text without rendering it."""
        return self.font(size, bold).size(text)

    def line_height(self, size: float, bold: bool = False) -> int:
        """Distance between baselines of consecutive lines."""
        return self.font(size, bold).get_linesize()

    def wrap(self, text: str, size: float, width: int, bold: bool = False) -> list[str]:
        """Split text into lines no wider than ``width`` pixels (words are never cut)."""
        f = self.font(size, bold)
        lines: list[str] = []
        for para in text.split("\n"):
            words = para.split(" ")
            line = ""
            for w in words:
                trial = f"{line} {w}" if line else w
                if f.size(trial)[0] <= width or not line:
                    line = trial
                else:
                    lines.append(line)
                    line = w
            lines.append(line)
        return lines

    def ellipsize(self, text: str, size: float, width: int, bold: bool = False) -> str:
        """Shorten text with an ellipsis so it fits ``width`` pixels."""
        f = self.font(size, bold)
        if f.size(text)[0] <= width:
            return text
        lo, hi = 0, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if f.size(text[:mid] + "…")[0] <= width:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo].rstrip() + "…"


def lerp_color(a: Sequence[int], b: Sequence[int], t: float) -> RGB:
    """Mix two colours (t=0 gives a, t=1 gives b)."""
    t = min(1.0, max(0.0, t))
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def readable_on(bg: Sequence[int]) -> RGB:
    """Black or white, whichever reads better on ``bg`` (WCAG relative luminance)."""

    def lin(c: float) -> float:
        c = c / 255.0
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(bg[0]) + 0.7152 * lin(bg[1]) + 0.0722 * lin(bg[2])
    return (15, 18, 22) if lum > 0.35 else (245, 247, 250)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (for legends and hand-drawn axes)."""
    if not math.isfinite(lo) or not math.isfinite(hi) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = math.ceil(lo / step) * step
    ticks = []
    v = start
    while v <= hi + 1e-9 * step:
        ticks.append(round(v, 10))
        v += step
    return ticks


def asset(name: str) -> Path:
    """Path of a bundled asset (shared with the map code)."""
    return asset_path(name)
