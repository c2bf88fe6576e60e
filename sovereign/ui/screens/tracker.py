"""Goals in view: the objective tracker on the map, and the goals view behind key G.

The tracker is a card in the map's top-right corner: each objective of the seat whose turn it is
(and the scenario's cooperative one) with its value against the target on a bar, the quarters
left and whether it is on course, behind, met or missed (`sovereign.game.objectives.progress`,
the same rules the end screen grades with), then any way to lose that is near
(`sovereign.game.outcome.warnings`). The goals view (G) shows the same at full size with each
objective's history and its projection to the deadline, every way to lose with its limit and where
the seat stands, and the score if the game ended now. Both only read the model.
"""

from __future__ import annotations

from typing import Any

import pygame
import pygame_gui

from sovereign.game import fmt
from sovereign.game.objectives import Progress, progress
from sovereign.game.outcome import LossWarning, loss_of, score, standing, warnings
from sovereign.ui import draw, events
from sovereign.ui.screens.base import Screen
from sovereign.ui.screens.common import header
from sovereign.ui.theme import Fonts, Palette, Scale

#: Palette colour of each status.
STATUS_COLOUR = {
    "on course": "positive",
    "met": "positive",
    "behind": "negative",
    "missed": "negative",
    "waiting": "neutral",
}
#: Each status as the tracker writes it.
STATUS_WORDS = {"on course": "On course", "behind": "Behind", "met": "Met", "missed": "Missed", "waiting": "Waiting"}


def seat_goals(model: Any, seat: str | None) -> tuple[list[Progress], list[LossWarning]]:
    """The objectives a seat sees (its own and the cooperative ones) and the losses ahead of it."""
    if seat is None:
        return [], []
    return progress(model, [seat]), warnings(model, seat)


def when_words(p: Progress) -> str:
    """Quarters left in words ("8 quarters left", "graded in 2030Q4")."""
    if p.status in ("met", "missed") or p.quarters_left <= 0:
        return f"graded in {p.deadline}"
    return f"{fmt.quarters(p.quarters_left)} left"


def _bar(
    surface: pygame.Surface, rect: pygame.Rect, p: Progress, pal: Palette, s: Scale, colour: tuple[int, int, int]
) -> None:
    """The value's bar with a tick at the target (a rank: the bar is the rank's distance from last)."""
    draw.box(surface, rect, pal.rgba("panel_alt"), pal.rgb("panel_edge"), radius=s(3))
    frac = p.fraction
    target = p.target_fraction
    fill = rect.inflate(-s(4), -s(4))
    fill.width = round(fill.width * min(max(frac, 0.0), 1.0))
    if fill.width > 0:
        pygame.draw.rect(surface, colour, fill, border_radius=s(2))
    x = rect.left + s(2) + round((rect.width - s(4)) * min(max(target, 0.0), 1.0))
    pygame.draw.line(surface, pal.rgb("text"), (x, rect.top - s(3)), (x, rect.bottom + s(2)), max(1, s(2)))


def _lines(fonts: Fonts, text: str, size: float, width: int, bold: bool, most: int) -> list[str]:
    """`text` wrapped to at most `most` lines, the last one ellipsized when there was more."""
    lines = fonts.wrap(text, size, width, bold)
    if len(lines) <= most:
        return lines
    return [*lines[: most - 1], fonts.ellipsize(" ".join(lines[most - 1 :]), size, width, bold)]


def draw_tracker(
    surface: pygame.Surface,
    fonts: Fonts,
    pal: Palette,
    s: Scale,
    topright: tuple[int, int],
    width: int,
    goals: list[Progress],
    ahead: list[LossWarning],
    seat_name: str,
) -> pygame.Rect:
    """Draw the tracker card with its top-right corner at `topright`; returns the card's rect."""
    pad = s(10)
    inner = width - 2 * pad
    items: list[tuple[str, Any]] = []
    h = pad + fonts.line_height(12, True) + s(4)
    for p in goals:
        lines = _lines(fonts, p.text, 13, inner, True, 2)
        detail = _lines(fonts, p.detail, 12, inner, False, 2)
        items.append(("goal", (p, lines, detail)))
        h += len(lines) * fonts.line_height(13, True) + s(14) + (1 + len(detail)) * fonts.line_height(12) + s(8)
    if not goals:
        h += fonts.line_height(12) + s(4)
    for w in ahead[:3]:
        lines = fonts.wrap(w.text, 12, inner - s(14), True)[:3]
        items.append(("warning", (w, lines)))
        h += len(lines) * fonts.line_height(12, True) + s(6)
    h += fonts.line_height(11) + pad
    rect = pygame.Rect(0, 0, width, h)
    rect.topright = topright
    draw.box(surface, rect, pal.rgba("tooltip_bg"), pal.rgb("panel_edge"), radius=s(6))
    x, y = rect.left + pad, rect.top + pad
    draw.text(surface, fonts, f"GOALS · {seat_name.upper()}", (x, y), 12, pal.rgb("accent"), bold=True, max_width=inner)
    y += fonts.line_height(12, True) + s(4)
    if not goals:
        draw.text(surface, fonts, "No objective for your seat here", (x, y), 12, pal.rgb("text_muted"), max_width=inner)
        y += fonts.line_height(12) + s(4)
    for kind, item in items:
        if kind == "goal":
            p, lines, detail = item
            colour = pal.rgb(STATUS_COLOUR[p.status])
            for line in lines:
                draw.text(surface, fonts, line, (x, y), 13, pal.rgb("text"), bold=True)
                y += fonts.line_height(13, True)
            y += s(4)
            _bar(surface, pygame.Rect(x, y, inner, s(8)), p, pal, s, colour)
            y += s(10)
            status = f"{STATUS_WORDS[p.status]} · {when_words(p)}"
            draw.text(surface, fonts, status, (x, y), 12, colour, bold=True, max_width=inner)
            y += fonts.line_height(12)
            for line in detail:
                draw.text(surface, fonts, line, (x, y), 12, pal.rgb("text_muted"), max_width=inner)
                y += fonts.line_height(12)
            y += s(8)
        else:
            w, lines = item
            pygame.draw.circle(surface, pal.rgb("negative"), (x + s(4), y + fonts.line_height(12, True) // 2), s(4))
            for line in lines:
                draw.text(surface, fonts, line, (x + s(14), y), 12, pal.rgb("negative"), bold=True)
                y += fonts.line_height(12, True)
            y += s(6)
    draw.text(surface, fonts, "G: goals, ways to lose, score", (x, y), 11, pal.rgb("text_dim"), max_width=inner)
    return rect


class ObjectiveTracker:
    """The tracker card of the game screen, redrawn only when the game or the seat changes.

    While a quarter is played on the worker thread the model must not be read: the card drawn
    last stays on screen.
    """

    def __init__(self) -> None:
        self._key: tuple[Any, ...] | None = None
        self._surface: pygame.Surface | None = None
        self.rect = pygame.Rect(0, 0, 0, 0)

    def invalidate(self) -> None:
        """Draw the card again next frame (tests read what it draws)."""
        self._surface = None

    def draw(self, surface: pygame.Surface, screen: Any, topright: tuple[int, int], width: int) -> pygame.Rect:
        """Draw the card for the screen's session at `topright`; returns its rect."""
        session = screen.session
        key = (session.version, session.seat, screen.s.factor, screen.palette.name, width)
        if self._surface is None or (key != self._key and not session.busy):
            scratch = pygame.Surface((width, surface.get_height()), pygame.SRCALPHA)
            goals, ahead = seat_goals(session.model, session.seat)
            name = session.seat_name(session.seat) if session.seat else ""
            card = draw_tracker(scratch, screen.fonts, screen.palette, screen.s, (width, 0), width, goals, ahead, name)
            self._surface = scratch.subsurface(card).copy()
            self._key = key
        self.rect = self._surface.get_rect(topright=topright)
        surface.blit(self._surface, self.rect)
        return self.rect


class GoalsScreen(Screen):
    """The goals view: objectives with their history and projection, the ways to lose, the score so far."""

    name = "goals"
    title = "Goals"
    summary = "your objectives and how they are going, the ways to lose, your score so far"
    needs_session = True
    help_text = (
        "Left: each of your objectives (and the one every seat shares) with its history, the target, and where "
        "the trend of the last four quarters takes it by the deadline: on course if it reaches the target. "
        "Right: every way to lose with its limit and where you stand, the warnings two quarters ahead, and your "
        "score if the game ended now (docs/playing.md explains the score)."
    )
    keys = (("G, Esc, Enter", "back to the map"),)

    def build(self) -> None:
        """The back button."""
        self.back_button = self.header_back_button("Esc")

    def process_events(self, event: pygame.event.Event) -> bool:
        """Back on the button or G / Esc / Enter."""
        if event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.back_button:
            events.post(events.BACK)
            return True
        if event.type == pygame.KEYDOWN and not event.mod & pygame.KMOD_CTRL:
            if event.key in (pygame.K_g, pygame.K_ESCAPE, pygame.K_RETURN, pygame.K_KP_ENTER):
                events.post(events.BACK)
                return True
        return False

    def draw(self, surface: pygame.Surface) -> None:
        """Header, objectives on the left, ways to lose and the score on the right."""
        pal, s, f = self.palette, self.s, self.fonts
        surface.fill(pal.rgb("background"))
        session = self.session
        seat = session.seat
        name = session.seat_name(seat) if seat else ""
        header(surface, f, pal, s, "Goals", f"{name}, before {session.model.quarter_label}" if seat else "")
        if seat is None or session.busy:
            return
        key = (session.version, seat, s.factor, pal.name, surface.get_size())
        cached = getattr(self, "_cache", None)
        if cached is None or cached[0] != key:
            layer = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
            self._layout(layer, seat)
            cached = (key, layer)
            self._cache = cached
        surface.blit(cached[1], (0, 0))

    def _layout(self, surface: pygame.Surface, seat: str) -> None:
        pal, s = self.palette, self.s
        w, h = surface.get_size()
        pad = s(20)
        top = s(64) + s(12)
        left = pygame.Rect(pad, top, (w - 3 * pad) // 2, h - top - pad)
        right = pygame.Rect(left.right + pad, top, w - left.right - 2 * pad, left.height)
        for rect in (left, right):
            draw.box(surface, rect, pal.rgba("panel"), pal.rgb("panel_edge"), radius=s(4))
        model = self.session.model
        goals, ahead = seat_goals(model, seat)
        self._objectives(surface, left.inflate(-2 * s(14), -2 * s(12)), goals)
        self._losses(surface, right.inflate(-2 * s(14), -2 * s(12)), seat, ahead)

    def _objectives(self, surface: pygame.Surface, rect: pygame.Rect, goals: list[Progress]) -> None:
        pal, s, f = self.palette, self.s, self.fonts
        x, y = rect.left, rect.top
        draw.text(surface, f, "OBJECTIVES", (x, y), 13, pal.rgb("accent"), bold=True)
        y += f.line_height(13, True) + s(6)
        if not goals:
            for line in f.wrap(
                "Your seat has no objective in this scenario: the score counts your final standing "
                "against the AI, and the ways to lose still apply.",
                14,
                rect.width,
            ):
                draw.text(surface, f, line, (x, y), 14, pal.rgb("text_muted"))
                y += f.line_height(14)
            return
        fixed = 2 * f.line_height(15, True) + s(16) + 2 * f.line_height(13) + s(40)
        chart_h = max(s(90), min(s(260), (rect.bottom - y) // max(len(goals), 1) - fixed))
        for p in goals:
            need = 2 * f.line_height(15, True) + s(16) + chart_h + 2 * f.line_height(13) + s(18)
            if y + need > rect.bottom:
                break
            colour = pal.rgb(STATUS_COLOUR[p.status])
            for line in f.wrap(p.text, 15, rect.width, True)[:2]:
                draw.text(surface, f, line, (x, y), 15, pal.rgb("text"), bold=True)
                y += f.line_height(15, True)
            y += s(4)
            _bar(surface, pygame.Rect(x, y, rect.width, s(12)), p, pal, s, colour)
            y += s(18)
            draw.text(surface, f, f"{STATUS_WORDS[p.status]} · {when_words(p)}", (x, y), 13, colour, bold=True)
            y += f.line_height(13, True)
            draw.text(surface, f, p.detail, (x, y), 13, pal.rgb("text_muted"), max_width=rect.width)
            y += f.line_height(13) + s(6)
            self._trend_chart(surface, pygame.Rect(x, y, rect.width, chart_h), p, colour)
            y += chart_h + s(16)

    def _trend_chart(self, surface: pygame.Surface, rect: pygame.Rect, p: Progress, colour: tuple[int, ...]) -> None:
        """The history, a dashed line to the projection at the deadline, and the target."""
        pal, s, f = self.palette, self.s, self.fonts
        draw.box(surface, rect, pal.rgba("panel_alt"), pal.rgb("panel_edge"), radius=s(3))
        hist = p.history
        if p.rank or not hist:
            draw.text(surface, f, "No history to draw yet", rect.center, 12, pal.rgb("text_dim"), anchor="center")
            return
        n = len(hist) + p.quarters_left
        vals = [*hist, p.target] + ([p.projected] if p.projected is not None else [])
        lo, hi = min(vals), max(vals)
        span = (hi - lo) or max(abs(hi), 1e-9) * 0.1
        lo, hi = lo - span * 0.1, hi + span * 0.1
        inner = rect.inflate(-s(12), -s(12))

        def pt(k: float, v: float) -> tuple[int, int]:
            return (
                inner.left + round(inner.width * k / max(n - 1, 1)),
                inner.bottom - round(inner.height * (v - lo) / (hi - lo)),
            )

        ty = pt(0, p.target)[1]
        for xx in range(inner.left, inner.right, s(8)):
            pygame.draw.line(surface, pal.rgb("text_muted"), (xx, ty), (min(xx + s(4), inner.right), ty), 1)
        draw.text(
            surface,
            f,
            f"target {p.target_text}",
            (inner.right, ty - s(2)),
            11,
            pal.rgb("text_muted"),
            anchor="bottomright",
        )
        if len(hist) > 1:
            pygame.draw.lines(surface, colour, False, [pt(k, v) for k, v in enumerate(hist)], max(1, s(2)))
        pygame.draw.circle(surface, colour, pt(len(hist) - 1, hist[-1]), s(4))
        draw.text(
            surface,
            f,
            "now",
            (pt(len(hist) - 1, hist[-1])[0], inner.bottom + s(4)),
            11,
            pal.rgb("text_dim"),
            anchor="midtop",
        )
        if p.projected is not None and p.quarters_left > 0:
            a, b = pt(len(hist) - 1, hist[-1]), pt(n - 1, p.projected)
            steps = 12
            for k in range(0, steps, 2):
                ax = a[0] + (b[0] - a[0]) * k / steps
                ay = a[1] + (b[1] - a[1]) * k / steps
                bx = a[0] + (b[0] - a[0]) * (k + 1) / steps
                by = a[1] + (b[1] - a[1]) * (k + 1) / steps
                pygame.draw.line(surface, colour, (ax, ay), (bx, by), max(1, s(2)))
            draw.text(surface, f, p.deadline, (b[0], inner.bottom + s(4)), 11, pal.rgb("text_dim"), anchor="topright")

    def _losses(self, surface: pygame.Surface, rect: pygame.Rect, seat: str, ahead: list[LossWarning]) -> None:
        pal, s, f = self.palette, self.s, self.fonts
        model = self.session.model
        x, y = rect.left, rect.top
        draw.text(surface, f, "WAYS TO LOSE", (x, y), 13, pal.rgb("accent"), bold=True)
        y += f.line_height(13, True) + s(6)
        lost = loss_of(model, seat)
        if lost is not None:
            for line in f.wrap(f"{lost.title} in {lost.quarter}: {lost.reason}", 14, rect.width, True):
                draw.text(surface, f, line, (x, y), 14, pal.rgb("negative"), bold=True)
                y += f.line_height(14, True)
            y += s(6)
        for w in ahead:
            for line in f.wrap(w.text, 13, rect.width, True)[:3]:
                draw.text(surface, f, line, (x, y), 13, pal.rgb("negative"), bold=True)
                y += f.line_height(13, True)
            y += s(4)
        for r in standing(model, seat):
            bad = r.streak > 0
            draw.text(surface, f, r.title, (x, y), 14, pal.rgb("negative" if bad else "text"), bold=True)
            y += f.line_height(14, True)
            for line in f.wrap(f"Loses: {r.limit}", 13, rect.width)[:2]:
                draw.text(surface, f, line, (x, y), 13, pal.rgb("text_muted"))
                y += f.line_height(13)
            now = r.now + (f" ({r.streak} of {r.quarters} quarters past it)" if bad else "")
            draw.text(
                surface, f, f"Now: {now}", (x, y), 13, pal.rgb("negative" if bad else "text"), max_width=rect.width
            )
            y += f.line_height(13) + s(8)
        y += s(6)
        draw.text(surface, f, "SCORE IF THE GAME ENDED NOW", (x, y), 13, pal.rgb("accent"), bold=True)
        y += f.line_height(13, True) + s(4)
        sc = score(model, seat)
        for part in sc.parts:
            if y + f.line_height(13) > rect.bottom - f.line_height(14, True):
                break
            draw.text(
                surface, f, f"{part.points:.0f}", (x + s(40), y), 13, pal.rgb("text"), bold=True, anchor="topright"
            )
            draw.text(
                surface,
                f,
                f"{part.label}: {part.detail}",
                (x + s(50), y),
                13,
                pal.rgb("text_muted"),
                max_width=rect.width - s(50),
            )
            y += f.line_height(13)
        draw.text(surface, f, f"Total {sc.total:.0f} points", (x, y + s(4)), 14, pal.rgb("accent"), bold=True)
