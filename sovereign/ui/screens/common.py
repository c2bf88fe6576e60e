"""Pieces several screens share: the world backdrop, screen headers, scrolling columns of cards.

The card columns are the Diplomacy screen's and the quarter report's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pygame
import pygame_gui

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


class _Stacked(Protocol):
    height: int
    heading: bool


def continue_pressed(event: pygame.event.Event, button: object) -> bool:
    """Whether `event` presses a one-button screen's button: a click on it, Enter or Space."""
    if event.type == pygame_gui.UI_BUTTON_PRESSED:
        return bool(event.ui_element is button)
    return event.type == pygame.KEYDOWN and event.key in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE)


def visible_blocks[B: _Stacked](blocks: Sequence[B], first: int, top: int, bottom: int) -> list[tuple[B, int]]:
    """The blocks of a column that fit between `top` and `bottom` from block `first` on, with their y.

    The first one is always shown; a heading is never the last block in view while its section
    goes on below (it goes with its section).
    """
    y, out = top, []
    for k, block in enumerate(blocks[first:]):
        if y + block.height > bottom and k > 0:
            break
        out.append((block, y))
        y += block.height
    if len(out) > 1 and out[-1][0].heading and len(out) < len(blocks) - first:
        out.pop()
    return out


def last_first_block(blocks: Sequence[_Stacked], room: int) -> int:
    """The last block a column of height `room` may start from: scrolling further leaves space empty."""
    used, k = 0, len(blocks)
    while k > 0 and used + blocks[k - 1].height <= room:
        used += blocks[k - 1].height
        k -= 1
    return max(0, min(k, len(blocks) - 1))


def column_scroll_bar(
    surface: pygame.Surface,
    palette: Palette,
    s: Scale,
    rect: pygame.Rect,
    blocks: Sequence[_Stacked],
    first: int,
    shown: int,
) -> None:
    """Where the view is in a column of blocks that does not all fit: a thin bar at its right edge.

    `first` is the first block in view and `shown` the height of the blocks in view; nothing is
    drawn when every block is in view.
    """
    heights = [b.height for b in blocks]
    total = sum(heights)
    if shown >= total:
        return
    before = sum(heights[:first])
    track = rect.height - 2 * s(8)
    bar_h = max(s(30), round(track * shown / total))
    bar_y = rect.top + s(8) + round((track - bar_h) * before / max(1, total - shown))
    pygame.draw.rect(
        surface, palette.rgb("text_dim"), (rect.right - s(7), min(bar_y, rect.bottom - s(8) - bar_h), s(4), bar_h)
    )
