"""The quarter report: what became of your actions, your score, your money and your rivals' moves.

Opens by itself when the map regains control after a quarter your seat played (after the
hand-over in a hot-seat game) and stays reachable with R or the top bar's Report button.

Left: your actions (started, online, filled or partly filled and why, refused and why) and your
money in and out. Right: the sovereignty index and each pillar with what moved it (a firm: its
valuation, revenue, market share and compute), and the three rival moves that matter most to
you. A line with more detail elsewhere has a button to the screen that shows it: Markets, Charts,
or the region on the map. The report is built by :mod:`sovereign.game.report` from the model;
this screen only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pygame
import pygame_gui

from sovereign.game.report import Link, QuarterReport, ReportLine, quarter_report
from sovereign.ui import draw, events
from sovereign.ui.screens.base import Screen
from sovereign.ui.screens.common import column_scroll_bar, header, last_first_block, visible_blocks

#: Colour of a line's headline by its tone.
TONE_COLOUR = {"good": "positive", "bad": "negative", "neutral": "text"}


@dataclass
class Block:
    """A heading or a line's card in a column: its height, its texts and its link button.

    Attributes:
        height: Pixels it takes.
        lines: (x, y, text, size, colour key, bold) relative to the column's left and the block's top.
        button: (rect relative to the same, label, tooltip, link) of the line's link, if any.
        card: Drawn on a card background.
        heading: A section heading (never left alone at the bottom of the column).
    """

    height: int
    lines: list[tuple[int, int, str, float, str, bool]] = field(default_factory=list)
    button: tuple[pygame.Rect, str, str, Link] | None = None
    card: bool = False
    heading: bool = False


@dataclass
class Column:
    """One scrolling column of blocks."""

    rect: pygame.Rect
    blocks: list[Block] = field(default_factory=list)
    first: int = 0


def current_report(app: Any) -> QuarterReport | None:
    """The report of the last quarter for the seat whose turn it is (built now if the app has none)."""
    session = app.session
    seat = session.seat if session is not None else None
    if seat is None or session.busy or not session.model.metrics.world:
        return None
    report: QuarterReport | None = app.reports.get(seat)
    if report is None or report.quarter != _played(session.model):
        report = quarter_report(session.model, seat, None)  # a game just loaded: from its history
        app.reports[seat] = report
    return report


def _played(model: Any) -> str:
    from sovereign.scenario.schema import quarter_label

    return quarter_label(model.quarter - 1)


class ReportScreen(Screen):
    """The quarter report of the seat whose turn it is."""

    name = "report"
    title = "Quarter report"
    summary = "what happened to your actions, your score and money last quarter, and rivals' moves"
    needs_session = True
    help_text = (
        "What the last quarter did for you. Left: each action you queued and what became of it (started and when "
        "it comes online, filled or partly filled and why, refused and why), builds that came online, and your "
        "money in and out. Right: your sovereignty index and each pillar with what moved it (a firm: valuation, "
        "revenue, market share), and the three moves by other seats that matter most to you. A button beside a "
        "line opens the screen with the detail: Markets, Charts or the region on the map."
    )
    keys = (
        ("Wheel, PgUp / PgDn", "scroll the column under the mouse / both columns"),
        ("R, Enter, Esc", "back to the map"),
    )

    def __init__(self, app: Any, **params: Any) -> None:
        super().__init__(app, **params)
        self.report: QuarterReport | None = None
        self.columns: list[Column] = []
        self.links: dict[Any, Link] = {}
        self.mouse = (0, 0)
        self._layer: pygame.Surface | None = None
        self._first: list[int] = [0, 0]

    # -- layout ---------------------------------------------------------------------------------

    def build(self) -> None:
        """The back button, both columns, and the link buttons of the lines in view."""
        s = self.s
        w, h = self.size
        pad = s(20)
        self.top_h = s(64)
        self.back_button = self.header_back_button()
        top = self.top_h + s(12)
        left_w = (w - 3 * pad) // 2
        self._layer = None
        self.links = {}
        self.report = current_report(self.app)
        if self.report is not None:
            self.app.reports_seen.add((self.report.seat, self.report.quarter))
        left = Column(pygame.Rect(pad, top, left_w, h - top - pad))
        right = Column(pygame.Rect(2 * pad + left_w, top, w - 3 * pad - left_w, h - top - pad))
        self.columns = [left, right]
        if self.report is None:
            return
        sections = self.report.sections()
        warned = tuple(sections[4:])  # a way to lose is near: first thing on the left
        for col, parts in ((left, (*warned, sections[0], sections[2])), (right, (sections[1], sections[3]))):
            for k, (title, lines) in enumerate(parts):
                col.blocks.append(self._heading(col, title, gap=k > 0))
                col.blocks += [self._card(col, line) for line in lines]
        for col, first in zip(self.columns, self._first, strict=True):
            col.first = max(0, min(first, self._last_first(col)))
            for block, y in self._visible(col):
                if block.button is not None:
                    rect, label, tip, link = block.button
                    b = self.button(rect.move(col.rect.left, y), label, tip, "@small")
                    self.links[b] = link

    def _inner(self, col: Column) -> tuple[int, int]:
        pad = self.s(12)
        return pad, col.rect.width - 2 * pad

    def _heading(self, col: Column, title: str, gap: bool) -> Block:
        s, f = self.s, self.fonts
        top = s(14) if gap else 0
        x, _ = self._inner(col)
        return Block(top + f.line_height(12, True) + s(4), [(x, top, title.upper(), 12, "accent", True)], heading=True)

    def _card(self, col: Column, line: ReportLine) -> Block:
        """A line's headline and detail, wrapped beside its link button (below it when narrow)."""
        s, f = self.s, self.fonts
        x0, width = self._inner(col)
        pad = s(8)
        bh = s(26)
        button = None
        text_w = width - 2 * pad
        if line.link is not None:
            label = line.link.label
            bw = f.size(label, 13)[0] + s(24)
            text_w -= bw + s(10)
            button = (pygame.Rect(x0 + width - pad - bw, pad, bw, bh), label, self._tooltip(line.link), line.link)
        lines, y = [], pad
        for line_text in f.wrap(line.text, 14, text_w, True):
            lines.append((x0 + pad, y, line_text, 14, TONE_COLOUR.get(line.tone, "text"), True))
            y += f.line_height(14, True)
        if line.detail:
            for line_text in f.wrap(line.detail, 13, text_w):
                lines.append((x0 + pad, y, line_text, 13, "text_muted", False))
                y += f.line_height(13)
        bottom = max(y, pad + bh) if button is not None else y
        return Block(bottom + pad + s(4), lines, button, card=True)

    def _tooltip(self, link: Link) -> str:
        model = self.session.model
        where = model.scenario.regions[model.region_ix[link.region]].name if link.region in model.region_ix else ""
        if link.screen == "markets":
            return "Open the markets" + (f" of {where}" if where else "") + ": prices, who sold and who bought"
        if link.screen == "charts":
            return "Open the charts: every quarter of every nation and firm"
        return f"Show {where} on the map" if where else "Back to the map"

    def _visible(self, col: Column) -> list[tuple[Block, int]]:
        """The blocks that fit the column from its first one scrolled to, with their top y."""
        return visible_blocks(col.blocks, col.first, col.rect.top + self.s(8), col.rect.bottom - self.s(8))

    def _last_first(self, col: Column) -> int:
        """The last block the column may start from: scrolling further would leave space empty."""
        return last_first_block(col.blocks, col.rect.height - 2 * self.s(8))

    # -- events -----------------------------------------------------------------------------------

    def process_events(self, event: pygame.event.Event) -> bool:
        """Back, the link buttons, the wheel and keys."""
        et = event.type
        if et == pygame_gui.UI_BUTTON_PRESSED:
            el = event.ui_element
            if el is self.back_button:
                events.post(events.BACK)
                return True
            if el in self.links:
                self.follow(self.links[el])
                return True
        if et == pygame.MOUSEMOTION:
            self.mouse = event.pos
            return False
        if et == pygame.MOUSEWHEEL:
            for k, col in enumerate(self.columns):
                if col.rect.collidepoint(self.mouse):
                    return self.scroll(k, -int(event.y))
            return False
        if et == pygame.KEYDOWN and not self.text_input_active() and not event.mod & pygame.KMOD_CTRL:
            if event.key in (pygame.K_ESCAPE, pygame.K_r, pygame.K_RETURN, pygame.K_KP_ENTER):
                events.post(events.BACK)
                return True
            if event.key in (pygame.K_PAGEDOWN, pygame.K_PAGEUP):
                step = 3 if event.key == pygame.K_PAGEDOWN else -3
                for k in range(len(self.columns)):
                    self.scroll(k, step)
                return True
        return False

    def scroll(self, column: int, steps: int) -> bool:
        """Scroll one column by a number of blocks."""
        col = self.columns[column]
        if not col.blocks:
            return False
        self._first[column] = max(0, min(col.first + steps, self._last_first(col)))
        self.rebuild()
        return True

    def follow(self, link: Link) -> None:
        """Open the screen a line links to (the map: back to it, with the region selected)."""
        if link.screen == "map":
            events.post(events.BACK)
            if link.region is not None:
                events.post(events.SELECT, region=link.region)
        elif link.screen == "markets":
            events.navigate("markets", region=link.region)
        else:
            events.navigate(link.screen)

    # -- drawing --------------------------------------------------------------------------------

    def draw(self, surface: pygame.Surface) -> None:
        """Header, then both columns (laid out once per change, blitted every frame)."""
        pal, s, f = self.palette, self.s, self.fonts
        surface.fill(pal.rgb("background"))
        report = self.report
        subtitle = f"{report.seat_name}, {report.quarter}: what the quarter did for you" if report else ""
        room = self.back_button.rect.left - s(56) - f.size(self.title, 24, True)[0]
        header(surface, f, pal, s, self.title, f.ellipsize(subtitle, 15, max(room, s(40))))
        if report is None:
            text = (
                "Nobody plays a seat in this game."
                if self.session.seat is None
                else "No quarter has been played yet: end the first quarter to get its report."
            )
            draw.text(
                surface,
                f,
                text,
                (surface.get_width() // 2, surface.get_height() // 2),
                18,
                pal.rgb("text_muted"),
                anchor="center",
            )
            return
        if self._layer is None or self._layer.get_size() != surface.get_size():
            layer = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
            for col in self.columns:
                self._draw_column(layer, col)
            self._layer = layer
        surface.blit(self._layer, (0, 0))

    def _draw_column(self, surface: pygame.Surface, col: Column) -> None:
        pal, s, f = self.palette, self.s, self.fonts
        rect = col.rect
        draw.box(surface, rect, pal.rgba("panel"), pal.rgb("panel_edge"), radius=s(4))
        visible = self._visible(col)
        x0, width = self._inner(col)
        for block, y in visible:
            if block.card:
                card = pygame.Rect(rect.left + x0, y, width, block.height - s(4))
                draw.box(surface, card, pal.rgba("panel_alt"), pal.rgb("panel_edge"), radius=s(4))
            for dx, dy, text, size, colour, bold in block.lines:
                draw.text(surface, f, text, (rect.left + dx, y + dy), size, pal.rgb(colour), bold=bold)
        shown = sum(b.height for b, _ in visible)
        column_scroll_bar(surface, pal, s, rect, col.blocks, col.first, shown)
