"""End of game: objectives met or missed, the final ranking, and charts of the whole game."""

from __future__ import annotations

import threading
from typing import Any

import pygame
import pygame_gui

from sovereign.game import fmt
from sovereign.game.objectives import ObjectiveResult, evaluate_objectives
from sovereign.game.outcome import Score, people_seats, score
from sovereign.scenario.schema import quarter_index, quarter_label
from sovereign.ui import draw, events
from sovereign.ui.charts import AsyncChart, render_charts
from sovereign.ui.screens.base import Screen
from sovereign.ui.screens.charts import firm_chart, nation_chart
from sovereign.ui.screens.common import chart_or_placeholder, header

# Graded without pygame in sovereign.game.objectives; re-exported for the end screen's callers.
__all__ = ["ObjectiveResult", "evaluate_objectives", "final_ranking"]


def final_ranking(model: Any) -> tuple[list[tuple[str, str, float]], list[tuple[str, str, float]]]:
    """(nations by sovereignty index, named firms by valuation) at the last quarter played."""
    if not model.metrics.world:
        return [], []
    last = model.metrics.world[-1]["quarter"]
    names = {r.id: r.name for r in model.scenario.regions}
    nations = sorted(
        (
            (r["region"], names.get(r["region"], r["region"]), float(r["sovereignty_index"]))
            for r in model.metrics.nations
            if r["quarter"] == last
        ),
        key=lambda t: -t[2],
    )
    firms = sorted(
        (
            (r["firm"], r["name"], float(r["valuation_busd"]))
            for r in model.metrics.firms
            if r["quarter"] == last and r["kind"] != "startup"
        ),
        key=lambda t: -t[2],
    )
    return nations, firms


#: AI-only games the end screen compares the human seats with.
BOTS_RUNS = 20


class BotsComparison:
    """The class against the bots, computed on a worker thread so the screen never waits.

    `rows` is None while the AI-only games are played, then the `DebriefRow` list; `error` says
    why there is none (no human seat, nothing played).
    """

    def __init__(self, model: Any, seats: set[str], runs: int = BOTS_RUNS) -> None:
        from sovereign.persist import model_from_state, model_to_state

        self.runs = runs
        self.rows: list[Any] | None = None
        self.error = ""
        self.version = 0
        # a copy taken here, on the UI thread: the games read it while the player looks around
        self._snapshot = model_from_state(model_to_state(model))
        self._seats = sorted(seats & set(model.seats))
        self._thread = threading.Thread(target=self._run, name="sovereign-bots", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from sovereign.ensemble.foresight import ForesightError, debrief

        try:
            self.rows = debrief(self._snapshot, self.runs, seats=self._seats)
        except ForesightError as exc:
            self.error = str(exc)
            self.rows = []
        self.version += 1

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the games have finished (waiting up to `timeout` seconds)."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


class EndScreen(Screen):
    """How the game ended."""

    name = "end"
    title = "End of game"
    summary = "objectives met or missed, final ranking, charts of the game"
    needs_session = True
    help_text = (
        "The game is over. Left: the scenario's objectives (yours first) met or missed, your score (how well, not "
        "only whether: docs/playing.md), how you did against the AI "
        "playing your seat in 20 games of the same scenario, and the final ranking of "
        "nations by sovereignty index and of firms by valuation. Right: the whole game in four charts, your seat "
        "highlighted. Below: the scenario's debrief questions, for discussion."
    )
    keys = (("C", "full charts"), ("M", "markets of the last quarters"), ("Esc", "main menu"))

    def __init__(self, app: Any, **params: Any) -> None:
        super().__init__(app, **params)
        self.chart = AsyncChart()
        self.bots: BotsComparison | None = None

    def build(self) -> None:
        """Buttons along the bottom."""
        s = self.s
        w, h = self.size
        pad = s(20)
        self.menu_button = self.button((pad, h - s(60), s(180), s(44)), "Main menu", "Back to the main menu (Esc)")
        self.charts_button = self.button(
            (pad + s(192), h - s(60), s(160), s(44)), "Charts", "Every metric over the game (C)"
        )
        self.markets_button = self.button(
            (pad + s(364), h - s(60), s(160), s(44)), "Markets", "Markets of the last quarters (M)"
        )
        self.new_button = self.button(
            (w - pad - s(220), h - s(60), s(220), s(44)), "New game", "Play again", "#menu@primary"
        )
        self.left = pygame.Rect(pad, s(64) + s(16), s(560), h - s(64) - s(16) - s(76))
        self.right = pygame.Rect(self.left.right + pad, self.left.top, w - self.left.right - 2 * pad, self.left.height)

    def process_events(self, event: pygame.event.Event) -> bool:
        """Buttons and keys."""
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            el = event.ui_element
            if el is self.menu_button:
                events.navigate("menu")
            elif el is self.charts_button:
                events.navigate("charts")
            elif el is self.markets_button:
                events.navigate("markets")
            elif el is self.new_button:
                events.navigate("new_game")
            else:
                return False
            return True
        if event.type == pygame.KEYDOWN:
            if event.key == pygame.K_c:
                events.navigate("charts")
            elif event.key == pygame.K_m:
                events.navigate("markets")
            elif event.key == pygame.K_ESCAPE:
                events.navigate("menu")
            else:
                return False
            return True
        return False

    def _chart_surface(self) -> pygame.Surface | None:
        session = self.session
        key = (self.right.size, self.palette.name, session.version, session.seat)
        if key != self.chart.key:
            model = session.model
            you = session.seat
            specs = [
                nation_chart(model, "sovereignty_index", "Sovereignty index", lambda v: f"{v:.2f}", (0.0, 1.0), you),
                nation_chart(model, "compute_share", "Share of world compute", lambda v: fmt.pct(v), None, you),
                nation_chart(
                    model,
                    "retail_price_usd_mwh",
                    "Electricity price, industrial ($/MWh)",
                    lambda v: f"${v:,.0f}",
                    None,
                    you,
                ),
                firm_chart(model, "valuation_busd", "Firm valuations ($B)", fmt.money, None, you),
            ]
            for spec in specs:
                spec.label_top = 3
            size, palette, scale = self.right.size, self.palette, self.s.factor
            return self.chart.get(key, lambda: render_charts(specs, size, palette, scale, cols=2))
        return self.chart.get(key, lambda: None)  # type: ignore[arg-type,return-value]

    def draw(self, surface: pygame.Surface) -> None:
        """Objectives, ranking, debrief and the charts."""
        pal, s, f = self.palette, self.s, self.fonts
        surface.fill(pal.rgb("background"))
        model = self.session.model
        last = quarter_label(model.quarter - 1)
        header(surface, f, pal, s, "Game over", f"{model.scenario.meta.title} · final quarter {last}")
        chart_or_placeholder(surface, self._chart_surface(), self.right, f, pal)
        # the AI comparison is for the seats people still play (one out of the game scores no final standing)
        humans = set(model.human_seats) & set(model.seats)
        if self.bots is None and humans and model.metrics.world:
            self.bots = BotsComparison(model, humans)
        bots_version = (self.bots.version, self.bots.rows is None) if self.bots is not None else None
        key = (self.size, pal.name, s.factor, self.session.version, bots_version)
        cached = getattr(self, "_left_cache", None)
        if cached is None or cached[0] != key:
            layer = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
            self._left_column(layer)
            cached = (key, layer)
            self._left_cache = cached
        surface.blit(cached[1], (0, 0))

    def _left_column(self, surface: pygame.Surface) -> None:
        """Objectives, ranking and debrief (laid out once; they do not change any more)."""
        pal, s, f = self.palette, self.s, self.fonts
        model = self.session.model
        x, y = self.left.left, self.left.top
        width = self.left.width
        humans = set(self.session.human_seats) | set(people_seats(model))
        # the players' own objectives: an AI seat's objective is its scenario goal, not a result to
        # grade, and listing the rivals' goals as MISSED read as the players' failures
        every = evaluate_objectives(model)
        results = sorted((r for r in every if r.seat in humans or r.seat == "all"), key=lambda r: r.seat)
        draw.text(surface, f, "OBJECTIVES", (x, y), 13, pal.rgb("accent"), bold=True)
        y += f.line_height(13, True) + s(4)
        risk = model.scenario.shared_risk
        if risk is not None and model.economy.shared_loss >= 0:
            lost = (
                f"Everyone lost: {risk.name} reached {risk.threshold:g} in {quarter_label(model.economy.shared_loss)}"
            )
            for part in f.wrap(lost, 14, width, bold=True)[:2]:
                draw.text(surface, f, part, (x, y), 14, pal.rgb("negative"), bold=True)
                y += f.line_height(14, True)
            y += s(4)
        if not results:
            why = "Your seat had no objective in this scenario" if every else "This scenario sets no objectives"
            draw.text(surface, f, f"{why}: see the ranking.", (x, y), 14, pal.rgb("text_muted"))
            y += f.line_height(14)
        out = {sc.seat: sc.loss for sc in self.scores() if sc.loss is not None and sc.loss.rule != "shared_loss"}
        for res in results[:8]:
            mine = res.seat in humans
            status = {
                True: ("MET", pal.rgb("positive")),
                False: ("MISSED", pal.rgb("negative")),
                None: ("OPEN", pal.rgb("neutral")),
            }[res.met]
            loss = out.get(res.seat)
            obj = model.scenario.objectives[res.index]
            deadline = quarter_index(obj.by or model.scenario.time.end)
            if loss is not None and quarter_index(loss.quarter) < deadline:  # whatever the AI reached after
                status = ("OUT", pal.rgb("negative"))
                res = ObjectiveResult(res.seat, res.text, False, f"{loss.title} in {loss.quarter}", res.index)
            draw.text(surface, f, status[0], (x, y), 14, status[1], bold=True)
            who = (
                "Everyone"
                if res.seat == "all"
                else (self.session.seat_name(res.seat) if res.seat in model.seats else res.seat)
            )
            line = res.text if res.text.lower().startswith(who.lower()) else f"{who}: {res.text}"
            for part in f.wrap(line, 14, width - s(72), bold=mine)[:3]:
                draw.text(
                    surface, f, part, (x + s(72), y), 14, pal.rgb("text") if mine else pal.rgb("text_muted"), bold=mine
                )
                y += f.line_height(14)
            draw.text(surface, f, res.detail, (x + s(72), y), 12, pal.rgb("text_muted"), max_width=width - s(72))
            y += f.line_height(12) + s(4)
        y = self._score_lines(surface, x, y + s(6), width, humans)
        y = self._bots_lines(surface, x, y + s(6), width)
        nations, firms = final_ranking(model)
        y += s(8)
        col_w = (width - s(16)) // 2
        below = y
        for k, (title, rows, show) in enumerate(
            (
                ("NATIONS · sovereignty index", nations, fmt.index),
                ("FIRMS · valuation", firms, fmt.money),
            )
        ):
            cx = x + k * (col_w + s(16))
            cy = y
            draw.text(surface, f, title, (cx, cy), 13, pal.rgb("accent"), bold=True)
            cy += f.line_height(13, True) + s(2)
            room = (self.left.bottom - cy - 3 * f.line_height(13)) // f.line_height(13)
            shown = rows[: max(3, min(12, room))]
            yours = [r for r in rows[len(shown) :] if r[0] in humans]  # a player's seat is always listed
            for rid, name, v in shown[: len(shown) - len(yours)] + yours:
                rank = rows.index((rid, name, v)) + 1
                col = pal.rgb("accent") if rid in humans else pal.rgb("text")
                draw.text(
                    surface, f, f"{rank:>2}. {name}", (cx, cy), 13, col, bold=rid in humans, max_width=col_w - s(70)
                )
                draw.text(surface, f, show(v), (cx + col_w, cy), 13, col, anchor="topright")
                cy += f.line_height(13)
            below = max(below, cy) if k else cy
        debrief = model.scenario.meta.debrief
        if debrief:
            room = (self.left.bottom - below - s(16) - f.line_height(13, True)) // f.line_height(13)
            lines = f.wrap(debrief, 13, width)[: max(room, 2)]
            yy = self.left.bottom - len(lines) * f.line_height(13) - f.line_height(13, True) - s(4)
            yy = max(yy, below + s(12))
            draw.text(surface, f, "DEBRIEF", (x, yy), 13, pal.rgb("accent"), bold=True)
            yy += f.line_height(13, True)
            for line in lines:
                draw.text(surface, f, line, (x, yy), 13, pal.rgb("text_muted"))
                yy += f.line_height(13)

    def scores(self) -> list[Score]:
        """The score of each seat people played (the AI comparison's share counts once it is in)."""
        model = self.session.model
        pct: dict[str, float] = {}
        if self.bots is not None and self.bots.rows:
            pct = {r.seat: float(r.percentile) for r in self.bots.rows}
        return [score(model, seat, pct.get(seat)) for seat in people_seats(model)]

    def _score_lines(self, surface: pygame.Surface, x: int, y: int, width: int, humans: set[str]) -> int:
        """Each player's score and its parts (a seat that lost: why); returns the next y."""
        pal, s, f = self.palette, self.s, self.fonts
        scores = self.scores()
        if not scores:
            return y
        draw.text(surface, f, "SCORE", (x, y), 13, pal.rgb("accent"), bold=True)
        y += f.line_height(13, True) + s(2)
        waiting = self.bots is not None and self.bots.rows is None
        for sc in scores:
            who = self.session.seat_name(sc.seat)
            draw.text(surface, f, f"{who}: {sc.total:.0f} points", (x, y), 14, pal.rgb("text"), bold=True)
            y += f.line_height(14, True)
            parts = " · ".join(f"{p.label} {p.points:.0f}" for p in sc.parts)
            if waiting:
                parts += " · final standing against the AI when its games are in"
            if sc.loss is not None:
                parts = f"Out in {sc.loss.quarter}: {sc.loss.title.lower()}. " + parts
            for line in f.wrap(parts, 12, width)[:2]:
                draw.text(surface, f, line, (x, y), 12, pal.rgb("negative" if sc.loss else "text_muted"))
                y += f.line_height(12)
            y += s(2)
        return y

    def _bots_lines(self, surface: pygame.Surface, x: int, y: int, width: int) -> int:
        """How each human seat did against the AI playing the same scenario; returns the next y."""
        pal, s, f = self.palette, self.s, self.fonts
        bots = self.bots
        if bots is None:
            return y
        draw.text(surface, f, "AGAINST THE BOTS", (x, y), 13, pal.rgb("accent"), bold=True)
        y += f.line_height(13, True) + s(2)
        if bots.rows is None:
            lines = [f"Playing this scenario {bots.runs} times with the AI in every seat…"]
        elif not bots.rows:
            lines = [bots.error or "No result."]
        else:
            lines = []
            for r in bots.rows:
                who = self.session.seat_name(r.seat)
                show = fmt.index if r.column == "sovereignty_index" else fmt.money
                lines.append(
                    f"{who}: better than the AI in {r.percentile:.0f}% of {bots.runs} games "
                    f"(you {show(r.value)}, the AI's median {show(r.median)})"
                )
        for line in lines:
            for part in f.wrap(line, 13, width)[:2]:
                draw.text(surface, f, part, (x, y), 13, pal.rgb("text"))
                y += f.line_height(13)
        return y
