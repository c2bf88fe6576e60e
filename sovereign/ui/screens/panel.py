"""The game screen's side panel: the selected region or firm, and your role's actions.

Two tabs. *Overview* explains the selection: key figures, sovereignty pillars, power mix, price
history sparklines, datacenters, fabs and projects; it is drawn by hand into a tall surface that
scrolls with the wheel, and cached until the selection or the game changes. *Actions* lists what
your role can do (each button has a tooltip); choosing one opens the action form with its cost,
time to build and expected effect, then the validator's verdict. Below: what you queued this
quarter and the model's answer to each command, refusals with their reason.

Private information (a firm's cash, projects, command results) is shown for your own seat only,
so hot-seat players cannot read each other's books.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pygame
import pygame_gui

from sovereign.game import fmt
from sovereign.game.actions import actions_for
from sovereign.game.words import command_label
from sovereign.scenario.schema import quarter_index, quarter_label
from sovereign.sim.phases.grid import expected_wait_quarters, others_queued_mw, queued_mw
from sovereign.sim.phases.metrics import PILLARS
from sovereign.sim.world import TECHNOLOGIES
from sovereign.ui import draw, events
from sovereign.ui.layers import latest_rows

if TYPE_CHECKING:
    from sovereign.ui.screens.game import GameScreen

PILLAR_LABELS = {
    "compute_self_reliance": "Compute self-reliance",
    "power_adequacy": "Power adequacy",
    "chip_security": "Chip security",
    "data_governance": "Data governance",
    "cyber_resilience": "Cyber resilience",
}
KIND_LABELS = {
    "nation": "nation",
    "conglomerate": "conglomerate",
    "cloud": "cloud provider",
    "fab": "chip fab",
    "lab": "AI lab",
    "startup": "AI startup",
}


def controller_text(controller: str) -> str:
    """Who plays a seat, as the overview tags it: "human player" or "AI (hard)"."""
    return "human player" if controller == "human" else f"AI ({controller})"


def nation_series(model: Any, region_id: str, key: str) -> list[float]:
    """One nation's metric over every recorded quarter."""
    return [float(r[key]) for r in model.metrics.nations if r["region"] == region_id]


def firm_series(model: Any, firm_id: str, key: str) -> list[float]:
    """One firm's metric over every recorded quarter (NaN where it did not exist yet)."""
    quarters = [w["quarter"] for w in model.metrics.world]
    by_q = {r["quarter"]: float(r[key]) for r in model.metrics.firms if r["firm"] == firm_id}
    return [by_q.get(q, float("nan")) for q in quarters]


def _grid_wait(model: Any, i: int) -> str:
    """What a datacenter ordered now in region row `i` faces to get power, in a few words."""
    w = model.world
    if w.moratorium_until[i] > model.quarter:
        return "moratorium: on-site only"
    if w.onsite_required[i]:
        return "on-site power required"
    queue = float(others_queued_mw(model)[i] + queued_mw(model)[i])
    wait = round(float(expected_wait_quarters(model)[i]))
    return f"+{wait} q · queue {fmt.mw(queue)}"


def rank_of(model: Any, region_id: str) -> tuple[int, int] | None:
    """(rank, out of) of a nation by sovereignty index last quarter."""
    rows = latest_rows(model)
    if region_id not in rows:
        return None
    order = sorted(rows, key=lambda k: -rows[k]["sovereignty_index"])
    return order.index(region_id) + 1, len(order)


class SidePanel:
    """The right-hand panel of the game screen.

    Args:
        screen: The game screen (for the session, fonts, palette and selection).
        rect: Where the panel sits in the window.
    """

    def __init__(self, screen: GameScreen, rect: pygame.Rect) -> None:
        self.screen = screen
        self.rect = rect
        self.scroll = 0
        self.tab_buttons: dict[pygame_gui.elements.UIButton, str] = {}
        self.action_buttons: dict[pygame_gui.elements.UIButton, str] = {}
        self.decision_button: pygame_gui.elements.UIButton | None = None
        #: Edit / Remove buttons of the queued commands shown: button -> (queue index, edit?).
        self.queue_buttons: dict[pygame_gui.elements.UIButton, tuple[int, bool]] = {}
        #: Top of each queued command's row in the Actions tab, with its queue index.
        self.queue_rows: list[tuple[int, int]] = []
        self._queue_top = 0
        self._content: pygame.Surface | None = None
        self._content_key: Any = None
        self._links: list[tuple[pygame.Rect, Callable[[], None]]] = []
        self._actions_top = 0

    # -- shortcuts --------------------------------------------------------------------------

    @property
    def tab(self) -> str:
        """``overview`` or ``actions`` (kept on the screen so it survives rebuilds)."""
        return self.screen.panel_tab

    @property
    def s(self) -> Any:
        """UI scale."""
        return self.screen.s

    # -- widgets ----------------------------------------------------------------------------

    def build(self) -> None:
        """Tabs, and in the Actions tab one button per action of your role."""
        s, sc = self.s, self.screen
        pad = s(12)
        x, y, w = self.rect.left + pad, self.rect.top + s(10), self.rect.width - 2 * pad
        tw = (w - s(8)) // 2
        self.tab_buttons = {}
        for i, (key, lab, tip) in enumerate(
            (
                ("overview", "Overview", "Key figures of the selected region or firm (Tab)"),
                ("actions", "Actions", "What your role can do this quarter (Tab)"),
            )
        ):
            b = sc.button((x + i * (tw + s(8)), y, tw, s(34)), lab, tip, "@tab")
            if key == self.tab:
                b.select()
            self.tab_buttons[b] = key
        self.action_buttons = {}
        self.decision_button = None
        self.queue_buttons = {}
        self.queue_rows = []
        if self.tab != "actions" or sc.session.seat is None:
            return
        session = sc.session
        seat = session.seat
        assert seat is not None
        specs = actions_for(session.model, seat)
        top = y + s(34) + s(64)
        bw = (w - s(8)) // 2
        bh = s(32)
        for k, spec in enumerate(specs):
            col, row = k % 2, k // 2
            rect = (x + col * (bw + s(8)), top + row * (bh + s(6)), bw, bh)
            b = sc.button(rect, spec.label, spec.tooltip, "@small")
            self.action_buttons[b] = spec.key
        rows = (len(specs) + 1) // 2
        self._actions_top = top + rows * (bh + s(6)) + s(6)
        decisions = session.pending_decisions()
        if decisions:
            n = len(decisions)
            self.decision_button = sc.button(
                (x, self._actions_top, w, s(34)),
                f"Decide: {n} event{'s' if n > 1 else ''} waiting (E)",
                "An event asks for your decision this quarter",
                "@primary",
            )
            self._actions_top += s(42)
        self._build_queue(x, w)

    def _build_queue(self, x: int, w: int) -> None:
        """Edit and Remove buttons beside each queued command shown (the last six).

        Buttons, not drawn text, so a command can be taken back before the quarter is played; the
        rows' tops are kept for `_draw_actions`, which writes the labels beside them.
        """
        sc, s = self.screen, self.s
        queued = sc.session.queued()
        # the section heading drawn by `_section`
        y = self._actions_top + s(8) + sc.fonts.line_height(12, True) + s(2) + s(5)
        self._queue_top = y
        row_h = max(sc.fonts.line_height(13) + s(2), s(28))
        first = max(0, len(queued) - 6)
        right = x + w
        for index in range(first, len(queued)):
            remove_w = sc.fonts.size("Remove", 13)[0] + s(16)
            edit_w = sc.fonts.size("Edit", 13)[0] + s(16)
            remove = sc.button(
                (right - remove_w, y, remove_w, s(26)), "Remove", "Take this action back (nothing is spent)", "@small"
            )
            edit = sc.button(
                (right - remove_w - s(4) - edit_w, y, edit_w, s(26)),
                "Edit",
                "Take this action back and open its form with its values, to change them",
                "@small",
            )
            self.queue_buttons[remove] = (index, False)
            self.queue_buttons[edit] = (index, True)
            self.queue_rows.append((y, index))
            y += row_h

    # -- events -----------------------------------------------------------------------------

    def process_event(self, event: pygame.event.Event) -> bool:
        """Tabs, action buttons, firm links and wheel scrolling of the overview."""
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element in self.tab_buttons:
                self.screen.set_tab(self.tab_buttons[event.ui_element])
                return True
            if event.ui_element in self.action_buttons:
                self.screen.open_action(self.action_buttons[event.ui_element])
                return True
            if event.ui_element is self.decision_button:
                self.screen.open_decisions()
                return True
            if event.ui_element in self.queue_buttons:
                index, edit = self.queue_buttons[event.ui_element]
                self.screen.withdraw(index, edit)
                return True
        if event.type == pygame.MOUSEWHEEL and self.tab == "overview":
            if self.rect.collidepoint(pygame.mouse.get_pos()):
                self.scroll_by(-event.y * self.s(40))
                return True
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1 and self.tab == "overview":
            if self.rect.collidepoint(event.pos):
                ox, oy = self._content_origin()
                for rect, action in self._links:
                    if rect.move(ox, oy - self.scroll).collidepoint(event.pos):
                        action()
                        return True
                return True
        return False

    def scroll_by(self, dy: int) -> None:
        """Scroll the overview (clamped to its content)."""
        h = self._content.get_height() if self._content is not None else 0
        view_h = self.rect.height - self._content_origin()[1] + self.rect.top
        self.scroll = int(max(0, min(self.scroll + dy, max(0, h - view_h))))

    def _content_origin(self) -> tuple[int, int]:
        return self.rect.left, self.rect.top + self.s(54)

    # -- drawing ----------------------------------------------------------------------------

    def draw(self, surface: pygame.Surface) -> None:
        """Panel background, then the overview (scrolled) or the actions text."""
        sc = self.screen
        pal = sc.palette
        draw.box(surface, self.rect, pal.rgba("panel"))
        pygame.draw.line(surface, pal.rgb("panel_edge"), self.rect.topleft, self.rect.bottomleft)
        if sc.session.busy:
            if self._content is not None and self.tab == "overview":
                self._blit_content(surface)
            return
        if self.tab == "overview":
            key = (sc.selection, sc.session.version, pal.name, self.rect.size, sc.fonts.scale, sc.session.seat)
            if key != self._content_key or self._content is None:
                self._content = self._render_overview()
                self._content_key = key
                self.scroll_by(0)
            self._blit_content(surface)
        else:
            self._draw_actions(surface)

    def _blit_content(self, surface: pygame.Surface) -> None:
        assert self._content is not None
        ox, oy = self._content_origin()
        view = pygame.Rect(0, self.scroll, self.rect.width, self.rect.bottom - oy)
        surface.blit(self._content, (ox, oy), view)
        if self._content.get_height() > view.height:
            # scroll bar, so the player knows there is more below
            s, pal = self.s, self.screen.palette
            frac = view.height / self._content.get_height()
            bar_h = max(s(30), round(view.height * frac))
            top = oy + round((view.height - bar_h) * self.scroll / max(1, self._content.get_height() - view.height))
            pygame.draw.rect(
                surface, pal.rgb("panel_edge"), (self.rect.right - s(6), top, s(4), bar_h), border_radius=2
            )

    # ---- overview ----

    def _render_overview(self) -> pygame.Surface:
        sc = self.screen
        s = self.s
        width = self.rect.width
        surf = pygame.Surface((width, max(self.rect.height * 3, s(2400))))
        surf.fill(sc.palette.rgb("panel"))
        self._links = []
        sel = sc.selection
        model = sc.session.model
        if sel is not None and sel in model.region_ix:
            h = self._overview_region(surf, sel)
        elif sel is not None and sel in model.seats:
            h = self._overview_firm(surf, sel)
        else:
            h = self._centered_hint(surf, "Click a region on the map to see its figures")
        out = pygame.Surface((width, max(h + s(16), 1)))
        out.blit(surf, (0, 0))
        return out

    def _centered_hint(self, surf: pygame.Surface, msg: str) -> int:
        sc = self.screen
        draw.text(
            surf, sc.fonts, msg, (self.rect.width // 2, self.s(40)), 15, sc.palette.rgb("text_muted"), anchor="center"
        )
        return self.s(80)

    def _heading(self, surf: pygame.Surface, y: int, title: str) -> int:
        sc, s = self.screen, self.s
        pad = s(14)
        y += s(10)
        draw.text(surf, sc.fonts, title.upper(), (pad, y), 12, sc.palette.rgb("accent"), bold=True)
        y += sc.fonts.line_height(12, True) + s(2)
        pygame.draw.line(surf, sc.palette.rgb("panel_edge"), (pad, y), (self.rect.width - pad, y))
        return y + s(6)

    def _pairs(self, surf: pygame.Surface, y: int, pairs: list[tuple[str, str]]) -> int:
        """Two columns of label/value pairs."""
        sc, s = self.screen, self.s
        pad = s(14)
        col_w = (self.rect.width - 2 * pad) // 2
        lh = sc.fonts.line_height(14)
        pal = sc.palette
        for k, (lab, val) in enumerate(pairs):
            cx = pad + (k % 2) * col_w
            cy = y + (k // 2) * (lh * 2 + s(2))
            draw.text(surf, sc.fonts, lab, (cx, cy), 12, pal.rgb("text_muted"), max_width=col_w - s(8))
            draw.text(surf, sc.fonts, val, (cx, cy + lh - s(2)), 15, pal.rgb("text"), bold=True, max_width=col_w - s(8))
        rows = (len(pairs) + 1) // 2
        return y + rows * (lh * 2 + s(2))

    def _link(
        self, surf: pygame.Surface, pos: tuple[int, int], label: str, action: Callable[[], None], size: float = 14
    ) -> pygame.Rect:
        sc = self.screen
        rect = draw.text(surf, sc.fonts, label, pos, size, (140, 196, 255))
        pygame.draw.line(surf, (90, 140, 200), (rect.left, rect.bottom - 1), (rect.right, rect.bottom - 1))
        self._links.append((rect, action))
        return rect

    def _sparklines(self, surf: pygame.Surface, y: int, series: list[tuple[str, list[float], str]]) -> int:
        """A row of small charts: title, last value, line."""
        sc, s = self.screen, self.s
        pal = sc.palette
        pad = s(14)
        n = len(series)
        gap = s(10)
        cw = (self.rect.width - 2 * pad - gap * (n - 1)) // n
        ch = s(38)
        lh = sc.fonts.line_height(12)
        for k, (title, values, last) in enumerate(series):
            x = pad + k * (cw + gap)
            draw.text(surf, sc.fonts, title, (x, y), 12, pal.rgb("text_muted"), max_width=cw)
            draw.text(surf, sc.fonts, last, (x, y + lh), 14, pal.rgb("text"), bold=True, max_width=cw)
            rect = pygame.Rect(x, y + 2 * lh + s(4), cw, ch)
            draw.box(surf, rect, pal.rgba("panel_alt"))
            vals = [v for v in values]
            if sum(1 for v in vals if np.isfinite(v)) >= 1:
                draw.sparkline(
                    surf, rect.inflate(-s(6), -s(6)), vals, pal.rgb("accent"), baseline=pal.rgb("panel_edge")
                )
            else:
                draw.text(surf, sc.fonts, "no history yet", rect.center, 11, pal.rgb("text_dim"), anchor="center")
        return y + 2 * lh + s(4) + ch + s(4)

    # C901: draws one line per fact about the region, each shown only when it applies.
    def _overview_region(self, surf: pygame.Surface, rid: str) -> int:  # noqa: C901
        sc, s = self.screen, self.s
        pal, f = sc.palette, sc.fonts
        model = sc.session.model
        w = model.world
        i = model.region_ix[rid]
        reg = model.scenario.regions[i]
        seat = sc.session.seat
        pad = s(14)
        y = s(4)
        title_col = pal.rgb("accent") if rid == seat else pal.rgb("text")
        draw.text(surf, f, reg.name, (pad, y), 22, title_col, bold=True, max_width=self.rect.width - 2 * pad)
        y += f.line_height(22, True)
        tags = [f"export tier {int(w.export_tier[i])}"]
        if rid == seat:
            tags.insert(0, "your nation")
        elif rid in model.seats:
            tags.insert(0, controller_text(sc.session.controller(rid)))
        if reg.chip_producer:
            tags.append("chip producer")
        draw.text(surf, f, " · ".join(tags), (pad, y), 13, pal.rgb("text_muted"))
        y += f.line_height(13) + s(6)
        rows = latest_rows(model)
        row = rows.get(rid)
        # sovereignty index and pillars
        idx = nation_series(model, rid, "sovereignty_index")
        if row is not None:
            # after the first quarter there is no earlier value to compare with: no "+0.000"
            trend = idx[-1] - idx[-2] if len(idx) >= 2 else 0.0
            rank = rank_of(model, rid)
            txt = f"Sovereignty index {fmt.index(row['sovereignty_index'])}"
            r1 = draw.text(surf, f, txt, (pad, y), 17, pal.rgb("text"), bold=True)
            col = (
                pal.rgb("positive") if trend > 1e-4 else (pal.rgb("negative") if trend < -1e-4 else pal.rgb("neutral"))
            )
            icon = draw.trend_icon(
                surf,
                (r1.right + s(10), r1.centery),
                trend,
                s(10),
                pal.rgb("positive"),
                pal.rgb("negative"),
                pal.rgb("neutral"),
            )
            change = fmt.signed(trend) if len(idx) >= 2 else "first quarter"
            draw.text(surf, f, change, (icon.right + s(5), r1.centery), 14, col, bold=True, anchor="midleft")
            if rank:
                draw.text(
                    surf,
                    f,
                    f"#{rank[0]} of {rank[1]}",
                    (self.rect.width - pad, y + s(2)),
                    14,
                    pal.rgb("text_muted"),
                    anchor="topright",
                )
            y += f.line_height(17, True) + s(4)
            lab_w = s(150)
            bar_w = self.rect.width - 2 * pad - lab_w - s(50)
            for p in PILLARS:
                v = float(row[p])
                draw.text(surf, f, PILLAR_LABELS[p], (pad, y), 13, pal.rgb("text_muted"))
                bar = pygame.Rect(pad + lab_w, y + s(4), bar_w, s(10))
                draw.hbar(surf, bar, v, pal.ramp("index", v), pal.rgb("panel_alt"))
                draw.text(surf, f, f"{v:.2f}", (self.rect.width - pad, y), 13, pal.rgb("text"), anchor="topright")
                y += f.line_height(13) + s(2)
        else:
            draw.text(surf, f, "Sovereignty index: known after the first quarter", (pad, y), 14, pal.rgb("text_muted"))
            y += f.line_height(14) + s(4)
        # key figures
        y = self._heading(surf, y, "Key figures")
        h_region = float(np.sum(w.dc_stock[w.dc_region == i]))
        h_total = max(float(w.dc_stock.sum()), 1e-9)
        dc_mw = float(np.sum(w.dc_it_mw[w.dc_region == i]))
        member = (
            [model.scenario.blocs[b].name for b in np.flatnonzero(w.bloc_member[:, i])] if w.bloc_member.size else []
        )
        power = model.results.power
        pairs = [
            # your own cash; for other nations only what is public: the AI budget their GDP funds
            # each quarter (how much of it is left unspent is theirs to know)
            (
                ("Budget (yours)", fmt.money(model.seats[rid].cash_busd))
                if rid == seat and rid in model.seats
                else ("AI budget a quarter (public)", fmt.money(model.budget_busd(rid)))
            ),
            ("Electricity price (industrial)", fmt.usd_mwh(float(power.retail[i]))),
            (
                "Wholesale · capacity",
                f"{fmt.usd_mwh(float(power.wholesale_avg[i]))} · ${float(power.capacity_usd_mw_day[i]):,.0f}/MW-day"
                if len(power.wholesale_avg)
                else "–",
            ),
            ("Datacenter capacity", fmt.mw(dc_mw)),
            ("Accelerators", f"{fmt.h100e(h_region)} ({fmt.pct(h_region / h_total, 1)})"),
            (
                "Compute price",
                fmt.usd_hour(float(model.results.compute.price_region[i]))
                if model.results.played
                else f"~{fmt.usd_hour(float(model.results.compute.price_region[i]))} (estimate)",
            ),
            ("Planning reserve margin", fmt.pct(float(power.reserve_margin[i]))),
            ("Grid wait (beyond build)", _grid_wait(model, i)),
            ("Datacenters curtailed", fmt.pct(float(power.dc_curtail[i]), 1)),
            ("Emissions (quarter)", f"{row['emissions_mt']:,.0f} Mt CO2" if row else "–"),
            ("Permitting delay", fmt.quarters(int(w.permitting_quarters[i]))),
            ("Data localisation", "in force" if w.localisation[i] else "no"),
            ("Subsidy / security", f"{fmt.pct(float(w.subsidy[i]))} · {fmt.money(float(w.security_busd[i]))}/yr"),
        ]
        y = self._pairs(surf, y, pairs)
        draw.text(
            surf,
            f,
            "Blocs: " + (", ".join(member) if member else "none"),
            (pad, y),
            13,
            pal.rgb("text_muted"),
            max_width=self.rect.width - 2 * pad,
        )
        y += f.line_height(13)
        # power mix
        y = self._heading(surf, y, "Power mix (installed capacity)")
        grid = w.grid_mw[i]
        parts = [(float(grid[t]), pal.tech(TECHNOLOGIES[t])) for t in range(len(TECHNOLOGIES))]
        draw.stacked_bar(surf, pygame.Rect(pad, y, self.rect.width - 2 * pad, s(14)), parts, pal.rgb("panel_alt"))
        y += s(20)
        total = max(float(grid.sum()), 1e-9)
        entries = [(TECHNOLOGIES[t], float(grid[t])) for t in np.argsort(-grid) if grid[t] > 0]
        col_w = (self.rect.width - 2 * pad) // 3
        for k, (tech, mw) in enumerate(entries):
            cx, cy = pad + (k % 3) * col_w, y + (k // 3) * f.line_height(12)
            pygame.draw.rect(surf, pal.tech(tech), (cx, cy + s(4), s(9), s(9)))
            draw.text(
                surf,
                f,
                f"{tech} {fmt.mw(mw)} ({fmt.pct(mw / total)})",
                (cx + s(13), cy),
                12,
                pal.rgb("text"),
                max_width=col_w - s(14),
            )
        y += ((len(entries) + 2) // 3) * f.line_height(12) + s(4)
        # history
        y = self._heading(surf, y, "History")
        price = nation_series(model, rid, "retail_price_usd_mwh")
        share = nation_series(model, rid, "compute_share")
        y = self._sparklines(
            surf,
            y,
            [
                ("Electricity $/MWh", price, fmt.usd_mwh(price[-1]) if price else "–"),
                (
                    "Compute $/h",
                    nation_series(model, rid, "compute_price_usd_hour"),
                    fmt.usd_hour(nation_series(model, rid, "compute_price_usd_hour")[-1]) if price else "–",
                ),
                ("Sovereignty", idx, fmt.index(idx[-1]) if idx else "–"),
                ("Compute share", share, fmt.pct(share[-1], 1) if share else "–"),
            ],
        )
        # datacenters
        here = np.flatnonzero(w.dc_region == i)
        y = self._heading(surf, y, f"Datacenters ({len(here)})")
        order = here[np.argsort(-w.dc_it_mw[here])]
        for d in order[:8]:
            owner_id = model.seat_ids[int(w.dc_owner[d])]
            owner = model.seats[owner_id].name if owner_id in model.seats else owner_id
            mine = owner_id == seat
            name = w.dc_name[int(d)]
            col = pal.rgb("accent") if mine else pal.rgb("text")
            line = _dc_line(w, d)
            draw.text(surf, f, name, (pad, y), 13, col, bold=mine, max_width=self.rect.width - 2 * pad - s(150))
            draw.text(
                surf,
                f,
                owner,
                (self.rect.width - pad, y),
                12,
                pal.rgb("text_muted"),
                anchor="topright",
                max_width=s(145),
            )
            y += f.line_height(13)
            draw.text(surf, f, line, (pad + s(10), y), 12, pal.rgb("text_muted"))
            y += f.line_height(12) + s(3)
        if len(order) > 8:
            draw.text(surf, f, f"… and {len(order) - 8} more", (pad, y), 12, pal.rgb("text_muted"))
            y += f.line_height(12)
        if not len(order):
            draw.text(surf, f, "None operating", (pad, y), 13, pal.rgb("text_muted"))
            y += f.line_height(13)
        # fabs
        fabs = np.flatnonzero(w.fab_region == i) if len(w.fab_region) else []
        if len(fabs):
            y = self._heading(surf, y, f"Fabs ({len(fabs)})")
            for fb in fabs[:6]:
                owner_id = model.seat_ids[int(w.fab_owner[fb])]
                owner = model.seats[owner_id].name if owner_id in model.seats else owner_id
                cls = model.scenario.accelerators[int(w.fab_class[fb])].name
                online = "" if w.fab_online[fb] <= model.quarter else f" (from {quarter_label(int(w.fab_online[fb]))})"
                draw.text(
                    surf,
                    f,
                    f"{w.fab_name[int(fb)]}: {cls}, {fmt.h100e(float(w.fab_capacity[fb]))}/q{online}",
                    (pad, y),
                    12,
                    pal.rgb("text"),
                    max_width=self.rect.width - 2 * pad - s(130),
                )
                draw.text(
                    surf,
                    f,
                    owner,
                    (self.rect.width - pad, y),
                    12,
                    pal.rgb("text_muted"),
                    anchor="topright",
                    max_width=s(125),
                )
                y += f.line_height(12) + s(2)
        # projects: your own in full; others only when announced in the news (private otherwise)
        y = self._heading(surf, y, "Projects")
        mine = [p for p in w.projects if p["owner"] == seat and p["region"] == rid]
        for p in mine[:6]:
            draw.text(
                surf,
                f,
                f"{p['name'].split(': ', 1)[-1]} — online {quarter_label(int(p['done']))}",
                (pad, y),
                13,
                pal.rgb("accent"),
                max_width=self.rect.width - 2 * pad,
            )
            y += f.line_height(13) + s(2)
        announced = [n for n in model.news if n["kind"] == "build" and n["region"] == rid and n["actor"] != seat]
        for n in announced[-4:][::-1]:
            draw.text(
                surf,
                f,
                f"{n['quarter']}: {n['headline']}",
                (pad, y),
                12,
                pal.rgb("text_muted"),
                max_width=self.rect.width - 2 * pad,
            )
            y += f.line_height(12) + s(2)
        if not mine and not announced:
            draw.text(surf, f, "No projects you know of", (pad, y), 13, pal.rgb("text_muted"))
            y += f.line_height(13)
        # firms here
        owners = sorted(
            {model.seat_ids[int(o)] for o in w.dc_owner[here]}
            | {
                a.seat_id
                for a in model.seats.values()
                if a.kind != "nation" and a.state.get("home") == rid and a.state.get("named", True)
            }
        )
        owners = [o for o in owners if o in model.seats]
        if owners:
            y = self._heading(surf, y, "Firms here (click for details)")
            x = pad
            for o in owners:
                name = model.seats[o].name
                tw = f.size(name, 14)[0]
                if x + tw > self.rect.width - pad:
                    x = pad
                    y += f.line_height(14) + s(4)
                self._link(surf, (x, y), name, lambda o=o: events.post(events.SELECT, seat=o))
                x += tw + s(14)
            y += f.line_height(14) + s(4)
        return y

    def _overview_firm(self, surf: pygame.Surface, fid: str) -> int:
        sc, s = self.screen, self.s
        pal, f = sc.palette, sc.fonts
        model = sc.session.model
        w = model.world
        agent = model.seats[fid]
        seat = sc.session.seat
        pad = s(14)
        y = s(4)
        own = fid == seat
        draw.text(
            surf,
            f,
            agent.name,
            (pad, y),
            22,
            pal.rgb("accent") if own else pal.rgb("text"),
            bold=True,
            max_width=self.rect.width - 2 * pad,
        )
        y += f.line_height(22, True)
        home = agent.state["home"]
        r = draw.text(
            surf,
            f,
            f"{KIND_LABELS.get(agent.kind, agent.kind)} · "
            f"{'you' if own else controller_text(sc.session.controller(fid))} · home ",
            (pad, y),
            13,
            pal.rgb("text_muted"),
        )
        self._link(
            surf,
            (r.right, y),
            model.scenario.regions[model.region_ix[home]].name,
            lambda: events.post(events.SELECT, region=home),
            13,
        )
        y += f.line_height(13) + s(6)
        rows = [r for r in model.metrics.firms if r["firm"] == fid]
        last = rows[-1] if rows else None
        pairs = [
            ("Valuation", fmt.money(float(agent.state.get("valuation_busd", 0.0)))),
            ("Revenue last quarter", fmt.money(float(agent.state.get("revenue_busd", 0.0)))),
            ("Market share", fmt.pct(last["market_share"], 1) if last else "–"),
            ("Cash", fmt.money(agent.cash_busd) if own else "private"),
        ]
        mine = w.dc_owner == model.seat_index(fid)
        pairs.append(("Accelerators owned", fmt.h100e(float(w.dc_stock[mine].sum()))))
        pairs.append(("Datacenter capacity", fmt.mw(float(w.dc_it_mw[mine].sum()))))
        if agent.kind in ("lab", "startup"):
            pairs.append(("Compute wanted", fmt.h100e(float(agent.state.get("demand_h100e", 0.0)))))
            pairs.append(("Compute served", fmt.h100e(float(agent.state.get("served_h100e", 0.0)))))
        y = self._pairs(surf, y, pairs)
        y = self._heading(surf, y, "History")
        val = firm_series(model, fid, "valuation_busd")
        rev = firm_series(model, fid, "revenue_busd")
        share = firm_series(model, fid, "market_share")
        y = self._sparklines(
            surf,
            y,
            [
                ("Valuation", val, fmt.money(val[-1]) if val else "–"),
                ("Revenue / q", rev, fmt.money(rev[-1]) if rev else "–"),
                ("Market share", share, fmt.pct(share[-1], 1) if share else "–"),
            ],
        )
        dcs = np.flatnonzero(mine)
        y = self._heading(surf, y, f"Datacenters ({len(dcs)})")
        for d in dcs[np.argsort(-w.dc_it_mw[dcs])][:8]:
            rid = model.scenario.regions[int(w.dc_region[d])].id
            draw.text(
                surf,
                f,
                f"{w.dc_name[int(d)]} ({rid})",
                (pad, y),
                13,
                pal.rgb("text"),
                max_width=self.rect.width - 2 * pad,
            )
            y += f.line_height(13)
            draw.text(
                surf,
                f,
                _dc_line(w, d),
                (pad + s(10), y),
                12,
                pal.rgb("text_muted"),
            )
            y += f.line_height(12) + s(3)
        if not len(dcs):
            draw.text(surf, f, "None", (pad, y), 13, pal.rgb("text_muted"))
            y += f.line_height(13)
        fabs = np.flatnonzero(w.fab_owner == model.seat_index(fid)) if len(w.fab_owner) else []
        if len(fabs):
            y = self._heading(surf, y, f"Fabs ({len(fabs)})")
            for fb in fabs[:6]:
                cls = model.scenario.accelerators[int(w.fab_class[fb])].name
                draw.text(
                    surf,
                    f,
                    f"{w.fab_name[int(fb)]}: {cls}, {fmt.h100e(float(w.fab_capacity[fb]))}/q",
                    (pad, y),
                    13,
                    pal.rgb("text"),
                    max_width=self.rect.width - 2 * pad,
                )
                y += f.line_height(13) + s(2)
        plants = np.flatnonzero(w.plant_owner == model.seat_index(fid)) if len(w.plant_owner) else []
        if len(plants):
            y = self._heading(surf, y, f"Power plants ({len(plants)})")
            for p in plants[:6]:
                rid = model.scenario.regions[int(w.plant_region[p])].id
                draw.text(
                    surf,
                    f,
                    f"{fmt.mw(float(w.plant_mw[p]))} {TECHNOLOGIES[int(w.plant_tech[p])]} in {rid}",
                    (pad, y),
                    13,
                    pal.rgb("text"),
                )
                y += f.line_height(13) + s(2)
        if own:
            y = self._heading(surf, y, "Your projects")
            projects = [p for p in w.projects if p["owner"] == fid]
            for p in projects[:8]:
                draw.text(
                    surf,
                    f,
                    f"{p['name'].split(': ', 1)[-1]} — online {quarter_label(int(p['done']))}",
                    (pad, y),
                    13,
                    pal.rgb("accent"),
                    max_width=self.rect.width - 2 * pad,
                )
                y += f.line_height(13) + s(2)
            if not projects:
                draw.text(surf, f, "None under construction", (pad, y), 13, pal.rgb("text_muted"))
                y += f.line_height(13)
        return y

    # ---- actions tab ----

    def _draw_actions(self, surface: pygame.Surface) -> None:
        sc, s = self.screen, self.s
        pal, f = sc.palette, sc.fonts
        session = sc.session
        seat = session.seat
        pad = s(12)
        x = self.rect.left + pad
        wid = self.rect.width - 2 * pad
        y = self.rect.top + s(54)
        if seat is None:
            draw.text(surface, f, "No human seat: you are watching the AI play", (x, y), 14, pal.rgb("text_muted"))
            return
        agent = session.model.seats[seat]
        draw.text(
            surface,
            f,
            f"You play {agent.name} ({KIND_LABELS.get(agent.kind, agent.kind)})",
            (x, y),
            15,
            pal.rgb("text"),
            bold=True,
            max_width=wid,
        )
        y += f.line_height(15, True)
        committed = session.committed_busd()
        money_label = "Budget" if agent.kind == "nation" else "Cash"
        draw.text(
            surface,
            f,
            f"{money_label} {fmt.money(agent.cash_busd)} · committed this quarter {fmt.money(committed)} · "
            f"free {fmt.money(agent.cash_busd - committed)}",
            (x, y),
            13,
            pal.rgb("text_muted"),
            max_width=wid,
        )
        y = self._actions_top
        # queued commands and the model's answers
        results = session.last_results.get(seat, [])
        queued = session.queued()
        y = self._section(surface, y, f"Queued this quarter ({len(queued)})")
        buttons_w = f.size("Remove", 13)[0] + f.size("Edit", 13)[0] + s(36)
        for row_y, index in self.queue_rows:
            if index >= len(queued):
                continue  # the queue changed since the buttons were built; the next rebuild redraws
            cmd = queued[index]
            label = command_label(session.model, cmd)
            cost = session.preview_cost(cmd)
            money = fmt.money(cost[0] - cost[1]) if cost[0] > 0 else ""
            money_w = f.size(money, 13)[0] + s(8) if money else 0
            cy = row_y + s(13)
            label_w = wid - buttons_w - money_w - s(4)
            draw.text(surface, f, f"• {label}", (x, cy), 13, pal.rgb("text"), anchor="midleft", max_width=label_w)
            if money:
                draw.text(
                    surface,
                    f,
                    money,
                    (self.rect.right - pad - buttons_w - s(4), cy),
                    13,
                    pal.rgb("text_muted"),
                    anchor="midright",
                )
            y = row_y + max(f.line_height(13) + s(2), s(28))
        if not queued:
            draw.text(
                surface,
                f,
                "Nothing yet: choose an action above, then End Quarter",
                (x, y),
                13,
                pal.rgb("text_muted"),
                max_width=wid,
            )
            y += f.line_height(13)
        refused = [(d, r) for d, r in results if not r.accepted]
        if refused:
            y = self._section(surface, y, "Refused by the rules")
            for desc, res in refused[-3:]:
                for line in f.wrap(f"{desc.split('(', 1)[0].replace('_', ' ')}: {res.reason}", 13, wid)[:3]:
                    draw.text(surface, f, line, (x, y), 13, pal.rgb("negative"))
                    y += f.line_height(13)
                y += s(2)
        # last quarter's outcome of your commands (applied or refused when the quarter ran)
        log = [
            c
            for c in session.model.command_log
            if c["seat"] == seat and c.get("stage") == "apply" and not c["accepted"]
        ]
        prev_q = quarter_label(session.model.quarter - 1)
        late = [c for c in log if c["quarter"] == prev_q]
        if late:
            y = self._section(surface, y, f"Failed when {prev_q} was played")
            for c in late[-3:]:
                for line in f.wrap(f"{c['command']['kind'].replace('_', ' ')}: {c['reason']}", 13, wid)[:2]:
                    draw.text(surface, f, line, (x, y), 13, pal.rgb("negative"))
                    y += f.line_height(13)
        y = self._section(surface, y, "How it works")
        for line in f.wrap(
            "Actions are queued for this quarter and applied together with everyone else's when you press End Quarter "
            "(Enter). Builds take time: permitting delays add to the build time.",
            12,
            wid,
        ):
            if y + f.line_height(12) > self.rect.bottom - s(4):
                break
            draw.text(surface, f, line, (x, y), 12, pal.rgb("text_muted"))
            y += f.line_height(12)

    def _section(self, surface: pygame.Surface, y: int, title: str) -> int:
        sc, s = self.screen, self.s
        pad = s(12)
        y += s(8)
        draw.text(surface, sc.fonts, title.upper(), (self.rect.left + pad, y), 12, sc.palette.rgb("accent"), bold=True)
        y += sc.fonts.line_height(12, True) + s(2)
        pygame.draw.line(surface, sc.palette.rgb("panel_edge"), (self.rect.left + pad, y), (self.rect.right - pad, y))
        return y + s(5)


def _dc_line(w: Any, d: int) -> str:
    """A datacenter's size, accelerators and utilisation on one line."""
    size, chips = fmt.mw(float(w.dc_it_mw[d])), fmt.h100e(float(w.dc_stock[d].sum()))
    return f"{size} · {chips} · {fmt.pct(float(w.dc_util[d]))} used"


def quarter_of(label: str) -> int:
    """Absolute quarter index of a label (re-exported for the screens)."""
    return quarter_index(label)
