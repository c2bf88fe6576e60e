"""What lies ahead? The band of possible futures of your seat's key figures, filling in as they are played.

From the game as it stands (your orders of this quarter included), the remaining quarters are
played many times over with the AI in every seat (or with your seat keeping its course), on
worker processes, while the game goes on: this screen only reads the futures finished so far from
the app's :class:`~sovereign.ensemble.foresight.FanJob` and draws, for each key figure, the
quarters played, then the median future and the band holding 90% of them (5th to 95th
percentile). The band sharpens as more futures arrive; leaving the screen keeps them coming, and
ending the quarter or leaving the game stops them (the app owns the job).

Drawn with pygame primitives, not matplotlib: the band changes several times a second while the
futures arrive, and a frame must stay well under 33 ms.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pygame
import pygame_gui

from sovereign.game import fmt
from sovereign.ui import draw, events
from sovereign.ui.screens.base import Screen
from sovereign.ui.screens.common import header

#: How each key figure is named and written on screen.
FIGURES: dict[str, tuple[str, Callable[[float], str]]] = {
    "sovereignty_index": ("Sovereignty index", lambda v: f"{v:.2f}"),
    "budget_busd": ("Unspent budget", fmt.money),
    "compute_share": ("Share of world compute", lambda v: fmt.pct(v, 1)),
    "valuation_busd": ("Valuation", fmt.money),
    "cash_busd": ("Cash", fmt.money),
    "market_share": ("Share of compute and chip revenue", lambda v: fmt.pct(v, 1)),
}
#: Futures needed before a band is drawn (with fewer, a 5-95% band is two or three lines, not a
#: spread; assumption: 5 shows the shape without misleading for long).
MIN_FOR_BAND = 5
#: Played quarters shown before the futures (two years: enough to see the trend they continue).
HISTORY_SHOWN = 8


class FanScreen(Screen):
    """The fan of futures of the current seat's key figures."""

    name = "fan"
    title = "What lies ahead?"
    summary = "possible futures of your key figures, played many times from where the game stands"
    needs_session = True
    help_text = (
        "From where the game stands, with the orders you have queued, the rest of the game (up to five years) "
        "is played a hundred times over, each time with other luck, and every seat played by the AI; or, if "
        "you choose, with your seat keeping its course and giving no new orders. Each chart shows the quarters "
        "played (solid line), the median future (dashed) and the band holding 90 of every 100 futures. The "
        "futures are played in the background: the band fills in as they arrive, you can go back to the map "
        "and play on, and ending the quarter starts afresh."
    )
    keys = (
        ("K", "your seat: played by the AI, or keeping its course"),
        ("Esc", "back to the map (the futures keep coming)"),
    )

    def __init__(self, app: Any, **params: Any) -> None:
        super().__init__(app, **params)
        self.problem: str | None = None
        self.job: Any = None
        self._bands: dict[str, Any] = {}
        self._percentiles: dict[str, Any] = {}
        self._bands_at = -1
        self._picture: pygame.Surface | None = None
        self._picture_key: tuple[Any, ...] | None = None
        self._start()

    def _start(self) -> None:
        """Take the app's job for this seat and quarter (started now if there is none)."""
        from sovereign.ensemble.foresight import ForesightError

        try:
            self.job = self.app.fan_job_for(self.app.fan_hold)
            self.problem = None
        except ForesightError as exc:
            self.job, self.problem = None, str(exc)
        self._bands_at = -1

    # -- layout -----------------------------------------------------------------------------

    def build(self) -> None:
        """Back and course buttons; chart rectangles for this window size."""
        s = self.s
        w, h = self.size
        pad = s(20)
        side_w = s(330)
        top = s(64) + s(16)
        self.back_button = self.button((w - side_w - pad + s(0), h - s(64), s(160), s(44)), "Back to map", "Esc")
        label = "Your seat keeps its course" if self.app.fan_hold else "The AI plays your seat"
        self.hold_button = self.button(
            (w - side_w - pad, top, side_w, s(40)),
            label,
            "Switch between the AI playing your seat in every future and your seat giving no new orders (K)",
        )
        self.side_rect = pygame.Rect(w - side_w - pad, top + s(52), side_w, h - top - s(52) - s(80))
        n = 3
        gap = s(14)
        chart_w = w - side_w - 3 * pad
        chart_h = (h - top - pad - (n - 1) * gap) // n
        self.chart_rects = [pygame.Rect(pad, top + k * (chart_h + gap), chart_w, chart_h) for k in range(n)]

    def process_events(self, event: pygame.event.Event) -> bool:
        """Buttons and keys."""
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element is self.back_button:
                events.post(events.BACK)
                return True
            if event.ui_element is self.hold_button:
                self.toggle_hold()
                return True
        if event.type == pygame.KEYDOWN:
            if event.key == pygame.K_ESCAPE:
                events.post(events.BACK)
                return True
            if event.key == pygame.K_k:
                self.toggle_hold()
                return True
        return False

    def toggle_hold(self) -> None:
        """Futures with the AI in your seat, or with your seat keeping its course (starts afresh)."""
        self.app.fan_hold = not self.app.fan_hold
        self._start()
        self.rebuild()

    # -- drawing ----------------------------------------------------------------------------

    def bands(self) -> dict[str, Any]:
        """Each figure's fan of the futures finished so far (recomputed only when more have arrived)."""
        job = self.job
        if job is None:
            return {}
        done = job.finished
        if done != self._bands_at:
            self._bands = {c: job.fan(c) for c in job.columns}
            self._percentiles = {c: fan.band() for c, fan in self._bands.items() if fan.values.shape[0]}
            self._bands_at = done
        return self._bands

    def draw(self, surface: pygame.Surface) -> None:
        """The picture of the futures so far, drawn again only when another future has arrived.

        Why cached: the charts and the band take 10-25 ms to draw (a translucent polygon per chart,
        percentiles, wrapped text) and change only when a future arrives, a few times a second at
        most; a frame that blits them stays at a millisecond or two while the workers play.
        """
        job = self.job
        key = (
            id(job),
            job.finished if job is not None else -1,
            job.error if job is not None else self.problem,
            job is not None and job.complete,
            job is not None and job.seconds is not None,  # "played in N s" once the workers are gone
            self.size,
            self.palette.name,
            self.s.factor,
        )
        if key != self._picture_key or self._picture is None:
            self._picture = pygame.Surface(self.size)
            self._render(self._picture)
            self._picture_key = key
        surface.blit(self._picture, (0, 0))

    def _render(self, surface: pygame.Surface) -> None:
        """Header, the three charts and the side column."""
        pal, s, f = self.palette, self.s, self.fonts
        surface.fill(pal.rgb("background"))
        session = self.session
        job = self.job
        seat = job.seat if job is not None else session.seat
        who = session.seat_name(seat) if seat else "No seat"
        header(surface, f, pal, s, "What lies ahead?", f"{who} · from {session.model.quarter_label}")
        if job is None:
            draw.text(
                surface,
                f,
                self.problem or "Nothing to show",
                (s(24), s(110)),
                16,
                pal.rgb("text_muted"),
                max_width=self.size[0] - s(48),
            )
            return
        fans = self.bands()
        for rect, column in zip(self.chart_rects, job.columns, strict=False):
            self._chart(surface, rect, column, fans.get(column))
        self._side(surface)

    def _side(self, surface: pygame.Surface) -> None:
        pal, s, f = self.palette, self.s, self.fonts
        job = self.job
        x, y, width = self.side_rect.left, self.side_rect.top, self.side_rect.width
        lines: list[tuple[str, int, str, bool]] = []
        done, runs = job.finished, job.runs
        if job.error:
            lines.append(("The futures could not be played:", 15, "negative", True))
            lines.append((job.error, 13, "text_muted", False))
        elif done < runs:
            lines.append((f"{done} of {runs} futures played", 18, "accent", True))
            lines.append(("Played in the background: go back to the map and play on as you like.", 13, "text", False))
        else:
            took = f" in {job.seconds:.0f} s" if job.seconds else ""
            lines.append((f"All {runs} futures played{took}", 18, "accent", True))
        lines.append(("", 8, "text", False))
        course = (
            "Your seat keeps its course: it gives no new orders; what you queued this quarter and the policies you "
            "set stay as they are."
            if job.hold
            else "The AI plays every seat from now on, yours too, after the orders you queued this quarter."
        )
        lines.append((course, 13, "text", False))
        lines.append(("", 8, "text", False))
        lines.append(
            (
                f"Each future plays {fmt.quarters(len(job.quarters))} with other luck: other events, other "
                "choices of the AI. Future number k has the same luck whatever you do, so two fans differ "
                "only by what you did.",
                13,
                "text_muted",
                False,
            )
        )
        lines.append(("", 8, "text", False))
        lines.append(("Solid: the quarters played. Dashed: the median future.", 13, "text_muted", False))
        lines.append(("Band: 90 of every 100 futures.", 13, "text_muted", False))
        if job.quarters and done >= MIN_FOR_BAND:
            lines.append(("", 8, "text", False))
            lines.append((f"In {job.quarters[-1]}:", 15, "text", True))
            self.bands()  # the percentiles of the futures in so far
            for column, percentiles in self._percentiles.items():
                name, write = FIGURES.get(column, (column, lambda v: f"{v:.3g}"))
                med, lo, hi = (a[-1] for a in percentiles)
                if np.isfinite(med):
                    lines.append((f"{name}: {write(med)} ({write(lo)} to {write(hi)})", 13, "text", False))
        for text, size, colour, bold in lines:
            if not text:
                y += s(size)
                continue
            for line in f.wrap(text, size, width, bold):
                draw.text(surface, f, line, (x, y), size, pal.rgb(colour), bold=bold)
                y += f.line_height(size, bold)

    def _chart(self, surface: pygame.Surface, rect: pygame.Rect, column: str, fan: Any) -> None:
        """History, band and median of one figure in `rect`."""
        pal, s, f = self.palette, self.s, self.fonts
        job = self.job
        name, write = FIGURES.get(column, (column, lambda v: f"{v:.3g}"))
        draw.box(surface, rect, pal.rgba("panel"), pal.rgb("panel_edge"), radius=s(6))
        draw.text(surface, f, name, (rect.left + s(12), rect.top + s(8)), 15, pal.rgb("text"), bold=True)
        history = job.history[column][-HISTORY_SHOWN:]
        ahead = job.quarters
        n_hist, n_ahead = len(history), len(ahead)
        labels = [q for q, _ in history] + list(ahead)
        if not labels:
            return
        have_band = fan is not None and fan.values.shape[0] >= MIN_FOR_BAND
        med = lo = hi = np.full(n_ahead, np.nan)
        if fan is not None and fan.values.shape[0] >= 1:
            med, lo, hi = self._percentiles[column]
        values = [v for _, v in history] + [v for v in (*lo, *hi, *med) if np.isfinite(v)]
        if not values:
            values = [0.0, 1.0]
        v_lo, v_hi = min(values), max(values)
        if v_hi - v_lo < 1e-12:
            v_lo, v_hi = v_lo - 0.5 * (abs(v_lo) or 1.0), v_hi + 0.5 * (abs(v_hi) or 1.0)
        margin = 0.08 * (v_hi - v_lo)
        v_lo, v_hi = v_lo - margin, v_hi + margin
        plot = pygame.Rect(rect.left + s(70), rect.top + s(32), rect.width - s(84), rect.height - s(58))

        def px(i: float) -> int:
            return round(plot.left + plot.width * i / max(len(labels) - 1, 1))

        def py(v: float) -> int:
            return round(plot.bottom - plot.height * (v - v_lo) / (v_hi - v_lo))

        # axes: low, middle and high values; first, now and last quarters
        for v in (v_lo + margin, (v_lo + v_hi) / 2, v_hi - margin):
            pygame.draw.line(surface, pal.rgb("panel_edge"), (plot.left, py(v)), (plot.right, py(v)))
            draw.text(surface, f, write(v), (plot.left - s(6), py(v)), 12, pal.rgb("text_muted"), anchor="midright")
        now_x = px(max(n_hist - 1, 0))
        pygame.draw.line(surface, pal.rgb("panel_edge"), (now_x, plot.top), (now_x, plot.bottom))
        for i in sorted({0, max(n_hist - 1, 0), len(labels) - 1}):
            where = "topright" if i == len(labels) - 1 and i > 0 else "midtop"  # the last one inside the box
            draw.text(surface, f, labels[i], (px(i), plot.bottom + s(4)), 12, pal.rgb("text_muted"), anchor=where)
        # the futures start where the game stands: join them to the last quarter played
        start = [history[-1][1]] if history else []
        x0 = n_hist - 1 if history else 0
        xs = list(range(x0, x0 + len(start) + n_ahead))
        if fan is not None and fan.values.shape[0] >= 1:
            self._futures(surface, plot, have_band, [px(i) for i in xs], [[*start, *a] for a in (med, lo, hi)], py)
        if n_hist >= 2:
            pygame.draw.lines(surface, pal.rgb("text"), False, [(px(i), py(v)) for i, (_, v) in enumerate(history)], 3)
        elif n_hist == 1:
            pygame.draw.circle(surface, pal.rgb("text"), (px(0), py(history[0][1])), s(3))
        if fan is None or fan.values.shape[0] < MIN_FOR_BAND:
            draw.text(
                surface,
                f,
                "The first futures are being played…",
                (plot.centerx + plot.width // 4, plot.centery),
                13,
                pal.rgb("text_muted"),
                anchor="center",
            )

    def _futures(
        self,
        surface: pygame.Surface,
        plot: pygame.Rect,
        band: bool,
        xs: list[int],
        lines: list[list[float]],
        py: Callable[[float], int],
    ) -> None:
        """The band (translucent, when there are enough futures) and the dashed median."""
        s = self.s
        accent = self.palette.rgb("accent")
        med, lo, hi = lines
        if band:
            top_line = [(x, py(v)) for x, v in zip(xs, hi, strict=True) if np.isfinite(v)]
            low_line = [(x, py(v)) for x, v in zip(xs, lo, strict=True) if np.isfinite(v)]
            if len(top_line) >= 2 and len(low_line) >= 2:
                layer = pygame.Surface(plot.inflate(s(4), s(4)).size, pygame.SRCALPHA)
                off = (plot.left - s(2), plot.top - s(2))
                poly = [(x - off[0], y - off[1]) for x, y in top_line + low_line[::-1]]
                pygame.draw.polygon(layer, (*accent, 70), poly)
                surface.blit(layer, off)
        pts = [(x, py(v)) for x, v in zip(xs, med, strict=True) if np.isfinite(v)]
        for a, b in itertools.pairwise(pts):
            _dashed(surface, accent, a, b, s(6), max(2, s(2)))


def _dashed(
    surface: pygame.Surface, colour: tuple[int, int, int], a: tuple[int, int], b: tuple[int, int], dash: int, width: int
) -> None:
    """A dashed segment from `a` to `b` (the median: a forecast, not a fact)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = max(1.0, float(np.hypot(dx, dy)))
    steps = max(1, int(length // dash))
    for k in range(0, steps, 2):
        t0, t1 = k / steps, min(1.0, (k + 1) / steps)
        pygame.draw.line(surface, colour, (a[0] + dx * t0, a[1] + dy * t0), (a[0] + dx * t1, a[1] + dy * t1), width)
