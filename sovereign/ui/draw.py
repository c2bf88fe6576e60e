"""Small drawing helpers shared by the screens: text, boxes, sparklines, bars, arcs, tooltips.

Everything takes an explicit surface, fonts and colours; nothing here knows about the model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pygame

from sovereign.ui.theme import Fonts

Color = Sequence[int]


def text(
    surface: pygame.Surface,
    fonts: Fonts,
    content: str,
    pos: tuple[int, int],
    size: float = 15,
    color: Color = (232, 235, 239),
    *,
    bold: bool = False,
    anchor: str = "topleft",
    max_width: int | None = None,
) -> pygame.Rect:
    """Blit one line of cached text; returns the rect it covers.

    Args:
        surface: Target.
        fonts: Font and text cache.
        content: The text (one line).
        pos: Anchor point in pixels.
        size: Design font size (scaled by the fonts' UI scale).
        color: RGB(A) colour.
        bold: Bold weight.
        anchor: Any ``pygame.Rect`` point attribute (``topleft``, ``midright``, ``center``...).
        max_width: Ellipsize to this width.
    """
    if max_width is not None:
        content = fonts.ellipsize(content, size, max_width, bold)
    surf = fonts.render(content, size, color, bold)
    rect = surf.get_rect(**{anchor: pos})
    surface.blit(surf, rect)
    return rect


def box(
    surface: pygame.Surface,
    rect: pygame.Rect | tuple[int, int, int, int],
    fill: Color | None,
    edge: Color | None = None,
    radius: int = 0,
    width: int = 1,
) -> None:
    """A filled rectangle with an optional outline; fill may have alpha."""
    rect = pygame.Rect(rect)
    if fill is not None:
        if len(fill) == 4 and fill[3] < 255:
            overlay = pygame.Surface(rect.size, pygame.SRCALPHA)
            pygame.draw.rect(overlay, fill, overlay.get_rect(), border_radius=radius)
            surface.blit(overlay, rect)
        else:
            pygame.draw.rect(surface, fill[:3], rect, border_radius=radius)
    if edge is not None:
        pygame.draw.rect(surface, edge[:3], rect, width, border_radius=radius)


def sparkline(
    surface: pygame.Surface,
    rect: pygame.Rect,
    values: Sequence[float],
    color: Color,
    *,
    baseline: Color | None = None,
    width: int = 2,
    lo: float | None = None,
    hi: float | None = None,
) -> None:
    """A small line chart of a series in ``rect`` (NaNs are skipped), last point marked."""
    vals = np.asarray(values, float)
    ok = np.isfinite(vals)
    if ok.sum() == 0:
        return
    v = vals[ok]
    xs = np.flatnonzero(ok)
    vmin = float(v.min()) if lo is None else lo
    vmax = float(v.max()) if hi is None else hi
    if vmax - vmin < 1e-12:
        vmax, vmin = vmin + 1.0, vmin - 1.0 if lo is None else vmin
    n = max(len(vals) - 1, 1)
    px = rect.left + xs / n * (rect.width - 1)
    py = rect.bottom - 1 - (v - vmin) / (vmax - vmin) * (rect.height - 1)
    if baseline is not None:
        pygame.draw.line(surface, baseline[:3], (rect.left, rect.bottom - 1), (rect.right - 1, rect.bottom - 1), 1)
    pts = [(float(x), float(y)) for x, y in zip(px, py, strict=True)]
    if len(pts) >= 2:
        pygame.draw.lines(surface, color[:3], False, pts, width)
    pygame.draw.circle(surface, color[:3], (round(pts[-1][0]), round(pts[-1][1])), max(2, width + 1))


def hbar(
    surface: pygame.Surface,
    rect: pygame.Rect,
    share: float,
    color: Color,
    track: Color,
    radius: int = 2,
) -> None:
    """A horizontal progress bar filled to ``share`` in [0, 1]."""
    pygame.draw.rect(surface, track[:3], rect, border_radius=radius)
    share = 0.0 if not math.isfinite(share) else min(1.0, max(0.0, share))
    if share > 0:
        fill = pygame.Rect(rect.left, rect.top, max(1, round(rect.width * share)), rect.height)
        pygame.draw.rect(surface, color[:3], fill, border_radius=radius)


def stacked_bar(
    surface: pygame.Surface,
    rect: pygame.Rect,
    parts: Sequence[tuple[float, Color]],
    track: Color,
) -> None:
    """A horizontal bar split into coloured parts proportional to their values."""
    pygame.draw.rect(surface, track[:3], rect)
    total = sum(max(v, 0.0) for v, _ in parts)
    if total <= 0:
        return
    x = float(rect.left)
    for v, c in parts:
        w = rect.width * max(v, 0.0) / total
        if w >= 0.5:
            pygame.draw.rect(
                surface, c[:3], pygame.Rect(round(x), rect.top, max(1, round(x + w) - round(x)), rect.height)
            )
        x += w


def diamond(surface: pygame.Surface, center: tuple[int, int], r: int, fill: Color, edge: Color | None) -> None:
    """A diamond marker (fabs)."""
    cx, cy = center
    pts = [(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)]
    pygame.draw.polygon(surface, fill[:3], pts)
    if edge is not None:
        pygame.draw.polygon(surface, edge[:3], pts, 1)


def bezier_points(
    a: tuple[float, float], b: tuple[float, float], bend: float = 0.22, n: int = 24
) -> list[tuple[float, float]]:
    """Points of a quadratic curve from a to b bowed sideways by ``bend`` of its length.

    Flows drawn as straight lines pile onto each other along busy corridors; a consistent bow
    (always to the left of the direction of travel) keeps A->B and B->A apart.
    """
    ax, ay = a
    bx, by = b
    mx, my = (ax + bx) / 2.0, (ay + by) / 2.0
    dx, dy = bx - ax, by - ay
    cx, cy = mx - dy * bend, my + dx * bend
    t = np.linspace(0.0, 1.0, n)
    xs = (1 - t) ** 2 * ax + 2 * (1 - t) * t * cx + t**2 * bx
    ys = (1 - t) ** 2 * ay + 2 * (1 - t) * t * cy + t**2 * by
    return list(zip(xs.tolist(), ys.tolist(), strict=True))


def arrow_arc(
    surface: pygame.Surface,
    a: tuple[float, float],
    b: tuple[float, float],
    color: Color,
    width: int,
    head: int,
) -> None:
    """A curved flow arrow from a to b with an arrow head near b."""
    pts = bezier_points(a, b)
    pygame.draw.lines(surface, color[:3], False, pts, max(1, width))
    (x1, y1), (x2, y2) = pts[-4], pts[-1]
    ang = math.atan2(y2 - y1, x2 - x1)
    tip = (x2, y2)
    left = (x2 - head * math.cos(ang - 0.45), y2 - head * math.sin(ang - 0.45))
    right = (x2 - head * math.cos(ang + 0.45), y2 - head * math.sin(ang + 0.45))
    pygame.draw.polygon(surface, color[:3], [tip, left, right])


def tooltip(
    surface: pygame.Surface,
    fonts: Fonts,
    lines: Sequence[tuple[str, Color, bool]],
    pos: tuple[int, int],
    bg: Color,
    edge: Color,
    pad: int,
    size: float = 14,
) -> pygame.Rect:
    """A multi-line tooltip box near ``pos``, kept inside the surface.

    Args:
        surface: Target.
        fonts: Fonts.
        lines: (text, colour, bold) per line.
        pos: Mouse position; the box goes below-right, flipped when it would leave the window.
        bg: Background colour (may have alpha).
        edge: Outline colour.
        pad: Inner padding in pixels.
        size: Font size.
    """
    surfs = [fonts.render(t, size, c, b) for t, c, b in lines]
    w = max(s.get_width() for s in surfs) + 2 * pad
    h = sum(s.get_height() for s in surfs) + 2 * pad
    x, y = pos[0] + pad * 2, pos[1] + pad * 2
    sw, sh = surface.get_size()
    if x + w > sw:
        x = pos[0] - w - pad
    if y + h > sh:
        y = pos[1] - h - pad
    rect = pygame.Rect(max(0, x), max(0, y), w, h)
    box(surface, rect, bg, edge, radius=4)
    yy = rect.top + pad
    for s in surfs:
        surface.blit(s, (rect.left + pad, yy))
        yy += s.get_height()
    return rect


def shade(surface: pygame.Surface, color: Color = (0, 0, 0, 170)) -> None:
    """Darken the whole surface (behind overlays and dialogs)."""
    overlay = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
    overlay.fill(color)
    surface.blit(overlay, (0, 0))


def trend_icon(
    surface: pygame.Surface, midleft: tuple[int, int], trend: float, size: int, up: Color, down: Color, flat: Color
) -> pygame.Rect:
    """A small up/down triangle (or a dash) for a change; drawn, because the UI font lacks arrows."""
    x, y = midleft
    h = size
    if trend > 1e-4:
        pts = [(x, y + h // 2), (x + h, y + h // 2), (x + h // 2, y - h // 2)]
        pygame.draw.polygon(surface, up[:3], pts)
    elif trend < -1e-4:
        pts = [(x, y - h // 2), (x + h, y - h // 2), (x + h // 2, y + h // 2)]
        pygame.draw.polygon(surface, down[:3], pts)
    else:
        pygame.draw.rect(surface, flat[:3], (x, y - 1, h, max(2, h // 4)))
    return pygame.Rect(x, y - h // 2, h, h)
