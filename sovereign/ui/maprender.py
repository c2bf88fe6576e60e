"""Drawing the game map: coloured regions, highlights, markers, flow arcs, labels and the legend.

Cost model (1600x900, the budget is 16.7 ms a frame): filling ~300 country rings costs ~4 ms
(geo caches the projected pixel lists per view), markers, arcs and labels ~1-2 ms. The finished
map is cached as a surface keyed by everything that changes it (view, layer, quarter, selection,
palette, flows); an idle frame is one blit plus the hover outline and tooltip. While the player
zooms or drags, the cache misses every frame and the full draw still fits the budget.

Reads the model; never changes it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pygame

from sovereign.game import fmt
from sovereign.game.session import GameSession, MarketSnapshot, origin_matrix
from sovereign.scenario.schema import Scenario
from sovereign.sim.model import SovereignModel
from sovereign.ui import draw
from sovereign.ui.geo import MapView, RegionShapes, draw_regions, project
from sovereign.ui.layers import LayerData, Legend
from sovereign.ui.theme import Fonts, Palette, Scale, lerp_color, readable_on

#: Owned plants at least this large get a marker ("large plants").
LARGE_PLANT_MW = 200.0
#: Flow arcs drawn per kind: the biggest N keep the map readable.
MAX_ARCS = 10
#: After the view stops moving for this long, the map is rendered in full again.
REST_SECONDS = 0.12


@dataclass
class MarkerHit:
    """A marker under the mouse: what kind, which region, and tooltip lines."""

    kind: str
    region: str
    lines: list[str]


_GRATICULE: list[np.ndarray] = []


def _graticule_lines() -> list[np.ndarray]:
    """Meridians and parallels every 30 degrees in map units (projected once per process)."""
    if not _GRATICULE:
        lats = np.linspace(-90, 90, 61)
        for lon in range(-180, 181, 30):
            _GRATICULE.append(project(np.stack([np.full_like(lats, lon), lats], axis=1)))
        lons = np.linspace(-180, 180, 121)
        for lat in range(-60, 61, 30):
            _GRATICULE.append(project(np.stack([lons, np.full_like(lons, lat)], axis=1)))
    return _GRATICULE


def label_sprite(
    fonts: Fonts, text: str, size: float, color: tuple[int, int, int], halo: tuple[int, int, int]
) -> pygame.Surface:
    """A map label with a one-pixel halo, composed once and cached (one blit per label per render)."""
    key = (text, size, color, halo, fonts.scale)
    sprite = _LABELS.get(key)
    if sprite is None:
        core = fonts.render(text, size, color, bold=True)
        ring = fonts.render(text, size, halo, bold=True)
        sprite = pygame.Surface((core.get_width() + 2, core.get_height() + 2), pygame.SRCALPHA)
        for dx, dy in ((0, 1), (2, 1), (1, 0), (1, 2)):
            sprite.blit(ring, (dx, dy))
        sprite.blit(core, (1, 1))
        if len(_LABELS) > 512:
            _LABELS.clear()
        _LABELS[key] = sprite
    return sprite


_LABELS: dict[tuple, pygame.Surface] = {}


class MapRenderer:
    """Draws one scenario's map into a rect and answers what is under the mouse.

    Args:
        scenario: The scenario (regions and their marker positions).
        shapes: Region polygons (shared, cached per scenario).
        view: The viewport (the game screen zooms and pans it).
    """

    def __init__(self, scenario: Scenario, shapes: RegionShapes, view: MapView) -> None:
        self.scenario = scenario
        self.shapes = shapes
        self.view = view
        self.region_ids = [r.id for r in scenario.regions]
        lonlat = np.array([[r.marker.lon, r.marker.lat] for r in scenario.regions], float)
        self.marker_xy = project(lonlat)  # map units, one per region (capital or centroid)
        self._surface: pygame.Surface | None = None
        self._key: Any = None
        self._view_key: Any = None
        self._drawn_view: MapView | None = None
        self._last_view_key: Any = None
        self._moved_at = 0.0
        #: Counters for tests and benchmarks.
        self.full_renders = 0
        self.moving_frames = 0
        self._outline_cache: dict[tuple[Any, str], list[list[list[int]]]] = {}
        self._marker_screen: list[tuple[str, str, tuple[int, int], int, list[str]]] = []

    # -- geometry helpers ---------------------------------------------------------------------

    def marker_screen(self, i: int) -> tuple[float, float]:
        """Pixel position of region ``i``'s marker point."""
        px, py = self.view.to_screen(self.marker_xy[i])
        return float(px), float(py)

    def outline(self, region_id: str) -> list[list[list[int]]]:
        """Pixel rings of one region for the current view (cached per view state)."""
        key = (self.view.key, region_id)
        rings = self._outline_cache.get(key)
        if rings is None:
            if len(self._outline_cache) > 64:
                self._outline_cache.clear()
            idx = self.shapes.region_ids.index(region_id)
            geo = self.shapes.screen_geometry(self.view)
            rings = [pts for r, pts in geo.fills if r == idx]
            self._outline_cache[key] = rings
        return rings

    def draw_outline(self, surface: pygame.Surface, region_id: str, color: tuple[int, int, int], width: int) -> None:
        """Outline a region (selection, hover, your own country)."""
        old = surface.get_clip()
        surface.set_clip(pygame.Rect(self.view.rect).clip(old))
        for pts in self.outline(region_id):
            pygame.draw.lines(surface, color, True, pts, width)
        for m in self.shapes.markers:
            if m.region_id == region_id:
                mx, my = self.view.to_screen(np.array(m.xy))
                pygame.draw.circle(surface, color, (round(float(mx)), round(float(my))), width + 6, width)
        surface.set_clip(old)

    # -- the cached base map ----------------------------------------------------------------

    def draw(
        self,
        surface: pygame.Surface,
        session: GameSession,
        layer: LayerData,
        palette: Palette,
        fonts: Fonts,
        s: Scale,
        *,
        selected: str | None,
        own: str | None,
        show_flows: bool,
        key_extra: Any = None,
        force: bool = False,
    ) -> None:
        """Draw the map into the view rect.

        Three paths, cheapest first: nothing changed (blit the cached image); only the view
        moved and is still moving (drag, wheel, arrow keys: the cached image is shifted or
        scaled to where the new view puts it, which costs a blit); anything else, or the view
        has come to rest (a full render, then cached). ``force`` always renders in full.
        """
        content_key = (layer.spec.key, session.version, palette.name, selected, own, show_flows, fonts.scale, key_extra)
        view_key = self.view.key
        now = time.monotonic()
        if view_key != self._last_view_key:
            self._last_view_key = view_key
            self._moved_at = now
        moving = now - self._moved_at < REST_SECONDS
        x, y, w, h = self.view.rect
        fresh = self._surface is not None and content_key == self._key and view_key == self._view_key
        if not force and fresh:
            surface.blit(self._surface, (x, y), pygame.Rect(self.view.rect))
            return
        can_shift = (
            not force
            and moving
            and self._surface is not None
            and content_key == self._key
            and self._drawn_view is not None
            and self._drawn_view.rect == self.view.rect
        )
        if can_shift:
            self._blit_moved(surface, palette)
            self.moving_frames += 1
            return
        size = (x + w, y + h)
        if self._surface is None or self._surface.get_size() != size:
            self._surface = pygame.Surface(size)
        self._render(self._surface, session, layer, palette, fonts, s, selected, own, show_flows)
        self._key, self._view_key = content_key, view_key
        self._drawn_view = MapView(self.view.rect, zoom=self.view.zoom, center=self.view.center)
        self.full_renders += 1
        surface.blit(self._surface, (x, y), pygame.Rect(self.view.rect))

    def _blit_moved(self, surface: pygame.Surface, palette: Palette) -> None:
        """Show the last full render where the moved view puts it (shifted and/or scaled)."""
        assert self._surface is not None and self._drawn_view is not None
        old = self._drawn_view
        x, y, w, h = self.view.rect
        # where the old image's corners land in the new view
        (mx0, my0), (mx1, my1) = (old.to_map(x, y), old.to_map(x + w, y + h))
        (sx0, sy0), (sx1, sy1) = self.view.to_screen(np.array([[mx0, my0], [mx1, my1]]))
        target = pygame.Rect(round(sx0), round(sy0), max(1, round(sx1 - sx0)), max(1, round(sy1 - sy0)))
        clip = surface.get_clip()
        area = pygame.Rect(self.view.rect)
        surface.set_clip(area.clip(clip))
        surface.fill(palette.rgb("ocean"), area)
        image = self._surface.subsurface(area)
        if abs(old.zoom - self.view.zoom) < 1e-12:
            surface.blit(image, target.topleft)  # a pure pan: shift, no resampling
        else:
            surface.blit(pygame.transform.scale(image, target.size), target.topleft)
        surface.set_clip(clip)

    @property
    def at_rest(self) -> bool:
        """Whether the view has stopped moving (hover outlines are drawn only then)."""
        return time.monotonic() - self._moved_at >= REST_SECONDS

    def _render(
        self,
        target: pygame.Surface,
        session: GameSession,
        layer: LayerData,
        palette: Palette,
        fonts: Fonts,
        s: Scale,
        selected: str | None,
        own: str | None,
        show_flows: bool,
    ) -> None:
        """Full draw into an off-screen surface in window coordinates (clipped to the view rect).

        Window coordinates, so the hover outline drawn on the window each frame reuses the same
        cached pixel lists as this render (one view, one geometry).
        """
        area = pygame.Rect(self.view.rect)
        old_clip = target.get_clip()
        target.set_clip(area)
        try:
            target.fill(palette.rgb("ocean"), area)
            self._graticule(target, palette)
            draw_regions(
                target,
                self.shapes,
                self.view,
                layer.colors,
                palette.rgb("border"),
                default_color=palette.rgb("no_data"),
                unassigned_color=palette.rgb("land_unassigned"),
                marker_radius_px=max(3, s(5)),
            )
            if own is not None and own in self.shapes.region_ids:
                self.draw_outline(target, own, palette.rgb("you"), max(2, s(2)))
            if selected is not None and selected in self.shapes.region_ids:
                self.draw_outline(target, selected, palette.rgb("selected"), max(2, s(3)))
            model = session.model
            snap = session.snapshots.get(list(session.snapshots)[-1]) if session.snapshots else None
            if show_flows:
                self._flows(target, model, snap, palette, s)
            self._markers(target, model, palette, s, session.seat)
            self._labels(target, model, layer, palette, fonts, s)
        finally:
            target.set_clip(old_clip)

    def _graticule(self, target: pygame.Surface, palette: Palette) -> None:
        """Faint parallels and meridians every 30 degrees: they say 'this is a globe' at a glance."""
        col = palette.rgb("graticule")
        for line in _graticule_lines():
            pygame.draw.lines(target, col, False, self.view.to_screen(line).tolist(), 1)

    def _labels(
        self, target: pygame.Surface, model: SovereignModel, layer: LayerData, palette: Palette, fonts: Fonts, s: Scale
    ) -> None:
        """Region names where they fit inside the region, short ids where only those fit.

        Big regions are labelled first and a label that would overlap one already placed is
        dropped (zooming in makes room for it), so Europe never turns into a pile of text.
        """
        placed: list[pygame.Rect] = []
        candidates = []
        for r in model.scenario.regions:
            bbox = self.shapes.bbox(r.id)
            anchor = self.shapes.anchor_screen(r.id, self.view)
            if bbox is None or anchor is None:
                continue
            (sx0, sy0), (sx1, sy1) = self.view.to_screen(np.array([[bbox[0], bbox[1]], [bbox[2], bbox[3]]]))
            candidates.append((abs(sx1 - sx0) * abs(sy1 - sy0), r, abs(sx1 - sx0), abs(sy1 - sy0), anchor))
        size = 13
        for _, r, width, height, anchor in sorted(candidates, key=lambda c: -c[0]):
            name = r.name
            tw, th = fonts.size(name, size, True)
            if tw > width * 0.9:
                name = r.id
                tw, th = fonts.size(name, size, True)
                if tw > width * 1.6 or height < s(10):
                    continue
            rect = pygame.Rect(0, 0, tw + 2, th - s(2))
            rect.center = anchor
            if rect.collidelist(placed) >= 0 or not pygame.Rect(self.view.rect).contains(rect):
                continue
            placed.append(rect.inflate(s(6), s(2)))
            fill = layer.colors.get(r.id, palette.rgb("no_data"))
            color = readable_on(fill)
            halo = (10, 14, 20) if color[0] > 128 else (235, 238, 242)
            sprite = label_sprite(fonts, name, size, color, halo)
            target.blit(sprite, sprite.get_rect(center=anchor))

    def _markers(
        self,
        target: pygame.Surface,
        model: SovereignModel,
        palette: Palette,
        s: Scale,
        seat: str | None,
    ) -> None:
        """Datacenters (circle, area ~ MW), fabs (diamond) and large owned plants (square)."""
        w = model.world
        n_r = len(self.region_ids)
        dc_mw = np.bincount(w.dc_region, weights=w.dc_it_mw, minlength=n_r)
        dc_n = np.bincount(w.dc_region, minlength=n_r)
        mine = np.zeros(n_r)
        if seat is not None and seat in model.seat_pos:
            own_mask = w.dc_owner == model.seat_index(seat)
            mine = np.bincount(w.dc_region[own_mask], weights=w.dc_it_mw[own_mask], minlength=n_r)
        fab_cap = (
            np.bincount(w.fab_region, weights=w.fab_capacity, minlength=n_r) if len(w.fab_region) else np.zeros(n_r)
        )
        fab_n = np.bincount(w.fab_region, minlength=n_r) if len(w.fab_region) else np.zeros(n_r, int)
        self._marker_screen = []
        view_rect = pygame.Rect(self.view.rect)
        dc_fill = palette.rgba("datacenter")
        edge = palette.rgb("datacenter_edge")
        own_col = palette.rgb("datacenter_own")
        for i, rid in enumerate(self.region_ids):
            px, py = self.marker_screen(i)
            if not view_rect.inflate(80, 80).collidepoint(px, py):
                continue
            cx, cy = round(px), round(py)
            if dc_mw[i] > 0:
                r = min(s(26), s(4) + round(math.sqrt(dc_mw[i]) / 8.0 * s.factor))
                pygame.draw.circle(target, dc_fill[:3], (cx, cy), r)
                pygame.draw.circle(target, edge, (cx, cy), r, 1)
                if mine[i] > 0:
                    pygame.draw.circle(target, own_col, (cx, cy), r + max(2, s(2)), max(2, s(2)))
                lines = [
                    f"Datacenters in {model.scenario.regions[i].name}",
                    f"{int(dc_n[i])} sites, {fmt.mw(float(dc_mw[i]))} IT load",
                ]
                if mine[i] > 0:
                    lines.append(f"Yours: {fmt.mw(float(mine[i]))}")
                self._marker_screen.append(("datacenter", rid, (cx, cy), r + 2, lines))
            if fab_cap[i] > 0:
                r = min(s(14), s(5) + round(math.sqrt(fab_cap[i]) / 60.0 * s.factor))
                fx = cx + s(16) + r
                draw.diamond(target, (fx, cy), r, palette.rgb("fab"), edge)
                lines = [
                    f"Fabs in {model.scenario.regions[i].name}",
                    f"{int(fab_n[i])} fabs, {fmt.h100e(float(fab_cap[i]))} per quarter",
                ]
                self._marker_screen.append(("fab", rid, (fx, cy), r + 2, lines))
        if len(w.plant_mw):
            big = np.flatnonzero(w.plant_mw >= LARGE_PLANT_MW)
            per_region: dict[int, int] = {}
            for p in big:
                i = int(w.plant_region[p])
                k = per_region.get(i, 0)
                per_region[i] = k + 1
                if k >= 6:
                    continue
                px, py = self.marker_screen(i)
                side = max(4, s(7))
                rx = round(px) - s(18) - k * (side + s(2))
                ry = round(py) + s(8)
                tech = self._tech_name(int(w.plant_tech[p]))
                rect = pygame.Rect(0, 0, side, side)
                rect.center = (rx, ry)
                pygame.draw.rect(target, palette.tech(tech), rect)
                pygame.draw.rect(target, edge, rect, 1)
                owner = model.seat_ids[int(w.plant_owner[p])]
                agent = model.seats.get(owner)
                lines = [
                    f"{fmt.mw(float(w.plant_mw[p]))} {tech} plant",
                    f"owned by {agent.name if agent else owner} in {model.scenario.regions[i].name}",
                ]
                self._marker_screen.append(("plant", self.region_ids[i], (rx, ry), side, lines))

    @staticmethod
    def _tech_name(t: int) -> str:
        from sovereign.sim.world import TECHNOLOGIES

        return TECHNOLOGIES[t] if 0 <= t < len(TECHNOLOGIES) else "?"

    def flow_matrices(self, model: SovereignModel, snap: MarketSnapshot | None) -> tuple[np.ndarray, np.ndarray, str]:
        """(chip flows, compute flows, what the chip arcs mean), each (R_from, R_to)."""
        n_r = len(self.region_ids)
        if snap is not None and snap.chip_flow is not None:
            chips, chip_note = snap.chip_flow.copy(), "chips delivered last quarter"
        else:
            chips, chip_note = origin_matrix(model), "installed chips by fab region"
        compute = snap.compute_flow(n_r) if snap is not None else np.zeros((n_r, n_r))
        np.fill_diagonal(chips, 0.0)
        np.fill_diagonal(compute, 0.0)
        return chips, compute, chip_note

    def _flows(
        self, target: pygame.Surface, model: SovereignModel, snap: MarketSnapshot | None, palette: Palette, s: Scale
    ) -> None:
        """Chip arcs (fab region -> host region) and compute arcs (seller -> buyer), biggest first."""
        chips, compute, _ = self.flow_matrices(model, snap)
        for matrix, color, bend_sign in (
            (chips, palette.rgb("chip_flow"), 1),
            (compute, palette.rgb("compute_flow"), -1),
        ):
            total = matrix.max()
            if total <= 0:
                continue
            flat = np.argsort(matrix, axis=None)[::-1][:MAX_ARCS]
            for f in flat:
                a, b = divmod(int(f), matrix.shape[1])
                v = matrix[a, b]
                if v <= total * 0.04:
                    break
                pa, pb = self.marker_screen(a), self.marker_screen(b)
                if bend_sign < 0:
                    pa, pb = pb, pa  # compute arcs bow the other way so they do not sit on chip arcs
                    width = max(1, round(s(1) + s(5) * math.sqrt(v / total)))
                    pts = draw.bezier_points(pa, pb)[::-1]
                    self._arc_from_points(target, pts, color, width, max(5, s(9)))
                else:
                    width = max(1, round(s(1) + s(5) * math.sqrt(v / total)))
                    draw.arrow_arc(target, pa, pb, color, width, max(5, s(9)))

    @staticmethod
    def _arc_from_points(
        target: pygame.Surface, pts: list[tuple[float, float]], color: Any, width: int, head: int
    ) -> None:
        pygame.draw.lines(target, color, False, pts, width)
        (x1, y1), (x2, y2) = pts[-4], pts[-1]
        ang = math.atan2(y2 - y1, x2 - x1)
        left = (x2 - head * math.cos(ang - 0.45), y2 - head * math.sin(ang - 0.45))
        right = (x2 - head * math.cos(ang + 0.45), y2 - head * math.sin(ang + 0.45))
        pygame.draw.polygon(target, color, [(x2, y2), left, right])

    # -- hover --------------------------------------------------------------------------------

    def marker_at(self, pos: tuple[int, int]) -> MarkerHit | None:
        """The marker under the mouse, if any (markers sit on top of regions)."""
        best = None
        best_d = 1e9
        for kind, rid, (mx, my), r, lines in self._marker_screen:
            d = math.hypot(pos[0] - mx, pos[1] - my)
            if d <= max(r, 6) and d < best_d:
                best, best_d = MarkerHit(kind, rid, lines), d
        return best

    def region_at(self, pos: tuple[int, int]) -> str | None:
        """The region under a window pixel."""
        if not pygame.Rect(self.view.rect).collidepoint(pos):
            return None
        return self.shapes.region_at(pos[0], pos[1], self.view)


def draw_legend(
    surface: pygame.Surface,
    legend: Legend,
    palette: Palette,
    fonts: Fonts,
    s: Scale,
    bottomleft: tuple[int, int],
    *,
    show_flows: bool,
    chip_note: str,
    compact: bool = False,
) -> pygame.Rect:
    """The legend box: colour scale or categories, then the marker and arc keys.

    ``compact`` (small maps: big UI scale or small window) leaves out the marker and arc keys,
    which the help overlay and the hover tooltips also explain.
    """
    pad = s(10)
    width = s(310)
    lines_h = 0
    title_h = fonts.line_height(14, True)
    small_h = fonts.line_height(12)
    body_h = s(34) if legend.ramp else len(legend.categories) * (small_h + s(2))
    note_lines = fonts.wrap(legend.note, 12, width - 2 * pad) if legend.note else []
    marker_rows = 0 if compact else 3 + (2 if show_flows else 0)
    lines_h = title_h + s(4) + body_h + len(note_lines) * small_h + s(8) + marker_rows * (small_h + s(1))
    rect = pygame.Rect(0, 0, width, lines_h + 2 * pad)
    rect.bottomleft = bottomleft
    draw.box(surface, rect, palette.rgba("tooltip_bg"), palette.rgb("panel_edge"), radius=s(6))
    x, y = rect.left + pad, rect.top + pad
    text_col, muted = palette.rgb("text"), palette.rgb("text_muted")
    draw.text(surface, fonts, legend.title, (x, y), 14, text_col, bold=True, max_width=width - 2 * pad)
    y += title_h + s(4)
    if legend.ramp:
        bar = pygame.Rect(x, y, width - 2 * pad, s(12))
        t = np.linspace(0.0, 1.0, bar.width)
        cols = palette.ramp_many(legend.ramp, t)
        for k in range(bar.width):
            pygame.draw.line(
                surface, tuple(int(v) for v in cols[k]), (bar.left + k, bar.top), (bar.left + k, bar.bottom - 1)
            )
        pygame.draw.rect(surface, palette.rgb("panel_edge"), bar, 1)
        last_right = -1e9
        for v, lab in legend.ticks:
            if legend.log:
                frac = (math.log10(max(v, 1e-12)) - math.log10(legend.lo)) / (
                    math.log10(legend.hi) - math.log10(legend.lo)
                )
            else:
                frac = (v - legend.lo) / (legend.hi - legend.lo)
            tx = bar.left + round(min(1.0, max(0.0, frac)) * (bar.width - 1))
            pygame.draw.line(surface, text_col, (tx, bar.bottom), (tx, bar.bottom + s(3)))
            tw = fonts.size(lab, 12)[0]
            lx = min(max(tx - tw // 2, bar.left), bar.right - tw)
            if lx > last_right + s(4):
                draw.text(surface, fonts, lab, (lx, bar.bottom + s(4)), 12, muted)
                last_right = lx + tw
        y += body_h
    else:
        for lab, col in legend.categories:
            sw = pygame.Rect(x, y + s(2), s(14), small_h - s(4))
            pygame.draw.rect(surface, col, sw)
            draw.text(surface, fonts, lab, (x + s(20), y), 12, text_col, max_width=width - 2 * pad - s(20))
            y += small_h + s(2)
    for line in note_lines:
        draw.text(surface, fonts, line, (x, y), 12, muted)
        y += small_h
    y += s(8)
    if compact:
        return rect
    # marker key
    cy = y + small_h // 2
    pygame.draw.circle(surface, palette.rgb("datacenter"), (x + s(7), cy), s(6))
    pygame.draw.circle(surface, palette.rgb("datacenter_edge"), (x + s(7), cy), s(6), 1)
    draw.text(
        surface,
        fonts,
        "Datacenters (area ~ MW; ringed: yours)",
        (x + s(20), y),
        12,
        text_col,
        max_width=width - 2 * pad - s(20),
    )
    y += small_h + s(1)
    draw.diamond(surface, (x + s(7), y + small_h // 2), s(6), palette.rgb("fab"), palette.rgb("datacenter_edge"))
    draw.text(surface, fonts, "Fabs (size ~ output)", (x + s(20), y), 12, text_col)
    y += small_h + s(1)
    sq = pygame.Rect(0, 0, s(9), s(9))
    sq.center = (x + s(7), y + small_h // 2)
    pygame.draw.rect(surface, palette.tech("solar"), sq)
    draw.text(
        surface,
        fonts,
        f"Firm plants, {LARGE_PLANT_MW:.0f} MW+ (colour: technology)",
        (x + s(20), y),
        12,
        text_col,
        max_width=width - 2 * pad - s(20),
    )
    y += small_h + s(1)
    if show_flows:
        for col, lab in (
            (palette.rgb("chip_flow"), f"Chip flows: {chip_note}"),
            (palette.rgb("compute_flow"), "Compute flows: from seller to buyer region"),
        ):
            pygame.draw.line(surface, col, (x, y + small_h // 2), (x + s(14), y + small_h // 2), max(2, s(3)))
            draw.text(surface, fonts, lab, (x + s(20), y), 12, text_col, max_width=width - 2 * pad - s(20))
            y += small_h + s(1)
    return rect


def region_tooltip_lines(
    model: SovereignModel, region_id: str, layer: LayerData, palette: Palette, own: str | None
) -> list[tuple[str, tuple[int, int, int], bool]]:
    """Hover text of a region: name, the current layer's value, and a few key facts."""
    i = model.region_ix[region_id]
    r = model.scenario.regions[i]
    text, muted = palette.rgb("text"), palette.rgb("text_muted")
    accent = palette.rgb("accent")
    title = r.name + ("  (you)" if own == region_id else "")
    lines: list[tuple[str, tuple[int, int, int], bool]] = [(title, accent if own == region_id else text, True)]
    lines.append((f"{layer.spec.label}: {layer.describe(i)}", text, False))
    w = model.world
    dc = float(np.sum(w.dc_it_mw[w.dc_region == i]))
    price = float(model.results.power.retail[i])
    lines.append(
        (f"Datacenters {fmt.mw(dc)} · power {fmt.usd_mwh(price)} · tier {int(w.export_tier[i])}", muted, False)
    )
    lines.append(("Click for details · wheel to zoom", lerp_color(muted, (0, 0, 0), 0.25), False))
    return lines
