"""Pieces several screens share: the decorative world backdrop and screen headers."""

from __future__ import annotations

import pygame

from sovereign.ui import draw
from sovereign.ui.geo import MapView, draw_regions
from sovereign.ui.mapdata import backdrop_shapes
from sovereign.ui.theme import Fonts, Palette, Scale, lerp_color

_BACKDROP: dict[tuple[tuple[int, int], str], pygame.Surface] = {}


def backdrop(size: tuple[int, int], palette: Palette) -> pygame.Surface:
    """A dim world map filling the window, drawn once per size and palette.

    Menus sit on it so the game's subject is visible from the first screen, without competing
    with the text (the land is only slightly lighter than the sea).
    """
    key = (size, palette.name)
    surf = _BACKDROP.get(key)
    if surf is None:
        surf = pygame.Surface(size)
        surf.fill(palette.rgb("background"))
        view = MapView((0, 0, size[0], size[1]), zoom=1.05)
        land = lerp_color(palette.rgb("background"), palette.rgb("panel_edge"), 0.8)
        draw_regions(surf, backdrop_shapes(), view, {"world": land}, palette.rgb("background"), unassigned_color=land)
        _BACKDROP[key] = surf
    return surf


def chart_or_placeholder(
    surface: pygame.Surface, chart: pygame.Surface | None, rect: pygame.Rect, fonts: Fonts, palette: Palette
) -> None:
    """Blit a chart, or a quiet 'drawing' box while its worker thread renders it."""
    if chart is not None:
        surface.blit(chart, rect.topleft)
        return
    draw.box(surface, rect, palette.rgba("panel"), palette.rgb("panel_edge"))
    draw.text(surface, fonts, "Drawing the chart…", rect.center, 15, palette.rgb("text_muted"), anchor="center")


def header(
    surface: pygame.Surface,
    fonts: Fonts,
    palette: Palette,
    s: Scale,
    title: str,
    subtitle: str = "",
) -> int:
    """A screen title bar; returns the y below it."""
    w = surface.get_width()
    h = s(64)
    draw.box(surface, (0, 0, w, h), palette.rgba("panel"))
    pygame.draw.line(surface, palette.rgb("panel_edge"), (0, h - 1), (w, h - 1))
    draw.text(surface, fonts, title, (s(24), h // 2), 24, palette.rgb("accent"), bold=True, anchor="midleft")
    if subtitle:
        tw = fonts.size(title, 24, True)[0]
        draw.text(
            surface, fonts, subtitle, (s(40) + tw, h // 2 + s(2)), 15, palette.rgb("text_muted"), anchor="midleft"
        )
    return h
