"""Markets: why prices are what they are, for one region and quarter.

Left: the power market of a time slice as a merit order (supply blocks by marginal cost, the
demand line, the clearing price) with a plain-language explanation of what set the price.
Right: the compute market: who served the region's demand (by seller), what buyers paid, and
the region's datacenters with their capacity, sales, cost and clearing price.

Reads the session's per-quarter snapshots (``GameSession.snapshots``); never the live markets,
so looking back at earlier quarters works.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pygame
import pygame_gui

from sovereign.game import fmt
from sovereign.game.session import MarketSnapshot
from sovereign.sim.world import TECHNOLOGIES
from sovereign.ui import draw, events
from sovereign.ui.charts import AsyncChart, merit_order_chart, served_bars_chart
from sovereign.ui.screens.base import Screen
from sovereign.ui.screens.common import chart_or_placeholder, header


def merit_blocks(snap: MarketSnapshot, s: int, r: int) -> list[tuple[str, float, float, float]]:
    """(technology, available MW, marginal cost, dispatched MW) of a region's supply, cheapest first."""
    cap = snap.capacity_mw[s, r]
    cost = snap.cost_usd_mwh[r]
    used = snap.dispatch_mw[s, r]
    order = np.argsort(cost, kind="stable")
    return [(TECHNOLOGIES[t], float(cap[t]), float(cost[t]), float(used[t])) for t in order if cap[t] > 0]


def power_explanation(snap: MarketSnapshot, s: int, r: int, names: list[str]) -> list[str]:
    """Plain-language reasons for a region's power price in one slice."""
    demand = float(snap.demand_mw[s, r])
    price = float(snap.price_usd_mwh[s, r])
    unserved = float(snap.unserved_mw[s, r])
    blocks = merit_blocks(snap, s, r)
    avail = sum(b[1] for b in blocks)
    net = float(snap.net_import_mw[s, r])
    lines = [f"Demand {fmt.mw(demand)} (households, industry and datacenters); local supply available {fmt.mw(avail)}."]
    if unserved > 1.0:
        lines.append(
            f"Shortage: {fmt.mw(unserved)} could not be served, so the price is the value of lost load "
            f"(${snap.voll:,.0f}/MWh). Datacenters are curtailed first or last as the nation decided."
        )
    else:
        setter = int(snap.price_setter[s, r]) if snap.price_setter is not None else r
        used = [b for b in blocks if b[3] > 1e-6]
        if setter == r and used:
            tech, _, cost, _ = max(used, key=lambda b: b[2])
            lines.append(
                f"The last MW needed came from {tech} at ${cost:,.0f}/MWh: "
                "the most expensive unit running sets the price."
            )
        elif setter >= 0 and setter != r:
            lines.append(
                f"The price is set in {names[setter]}: the interconnector is not full, so both sides share one price."
            )
        else:
            lines.append(f"Price ${price:,.0f}/MWh.")
        cheaper = [b for b in blocks if b[2] < price - 1e-6]
        if cheaper:
            lines.append(
                f"Everything cheaper ({', '.join(sorted({b[0] for b in cheaper}))}) runs flat out and earns the margin."
            )
    used = [f"{b[0]} {fmt.mw(b[3])} of {fmt.mw(b[1])} at ${b[2]:,.0f}" for b in blocks if b[1] > 0]
    if used:
        lines.append("Supply in merit order (dispatched of available, marginal cost): " + "; ".join(used) + ".")
    if abs(net) > 1.0:
        what = "imported" if net > 0 else "exported"
        lines.append(f"{fmt.mw(abs(net))} {what} over interconnectors.")
    if snap.link_ends is not None and snap.link_congested is not None:
        for link, (a, b) in enumerate(snap.link_ends):
            if r in (a, b) and bool(snap.link_congested[s, link]):
                other = names[b if a == r else a]
                lines.append(f"The link with {other} is full (congested): prices on the two sides can differ.")
    return lines


class MarketsScreen(Screen):
    """Power merit order and compute market of a region."""

    name = "markets"
    title = "Markets"
    summary = "merit order and compute market of a region: why prices are what they are"
    needs_session = True
    help_text = (
        "Left: the power market of the chosen region and time slice. Bars are supply blocks sorted by marginal "
        "cost (width = available capacity, bright part = dispatched); the white line is demand; the price is set "
        "by the last block needed (or by the value of lost load in a shortage). Right: the compute market: bars "
        "show how much each buyer group in the region wanted and which sellers served it; the table lists the "
        "region's datacenters with what they sold and at what price."
    )
    keys = (
        ("Left / Right", "previous / next region"),
        ("PgUp / PgDn", "earlier / later quarter"),
        ("Tab", "next time slice"),
        ("Esc", "back to the map"),
    )

    def __init__(self, app: Any, **params: Any) -> None:
        super().__init__(app, **params)
        model = self.session.model
        ids = [r.id for r in model.scenario.regions]
        seat = self.session.seat
        default = params.get("region") or (seat if seat in ids else None)
        if default is None and seat in model.seats:
            default = model.seats[seat].state.get("home")
        self.region = ids.index(default) if default in ids else 0
        quarters = list(self.session.snapshots)
        self.quarter = quarters[-1] if quarters else None
        self.slice = int(np.argmax(model.slice_factor)) if len(model.slice_factor) else 0
        self.power_chart = AsyncChart()
        self.compute_chart = AsyncChart()

    @property
    def snap(self) -> MarketSnapshot | None:
        """The snapshot shown."""
        return self.session.snapshots.get(self.quarter) if self.quarter else None

    def build(self) -> None:
        """Region and quarter menus, slice buttons, back."""
        s = self.s
        w, h = self.size
        pad = s(20)
        y = s(64) + s(12)
        model = self.session.model
        names = [r.name for r in model.scenario.regions]
        self.region_menu = self.add(
            pygame_gui.elements.UIDropDownMenu(
                names,
                names[self.region],
                pygame.Rect(pad, y, s(280), s(36)),
                self.manager,
                expansion_height_limit=s(520),
            )
        )
        quarters = list(self.session.snapshots)
        self.quarter_menu = None
        if quarters:
            self.quarter_menu = self.add(
                pygame_gui.elements.UIDropDownMenu(
                    quarters[::-1], self.quarter, pygame.Rect(pad + s(292), y, s(150), s(36)), self.manager
                )
            )
        self.slice_buttons: dict[Any, int] = {}
        x = pad + s(456)
        for k, sl in enumerate(model.scenario.time.slices):
            lab = f"{sl.name.replace('_', ' ')} ({sl.hours_share:.0%} of hours)"
            bw = self.fonts.size(lab, 15)[0] + s(24)
            b = self.button((x, y, bw, s(36)), lab, f"Power market in the {sl.name} slice (Tab)", "@tab")
            if k == self.slice:
                b.select()
            self.slice_buttons[b] = k
            x += bw + s(8)
        self.back_button = self.button((w - pad - s(170), y, s(170), s(36)), "Back to map", "Return to the map (Esc)")
        top = y + s(50)
        half = (w - 3 * pad) // 2
        self.power_rect = pygame.Rect(pad, top, half, int((h - top - pad) * 0.68))
        self.power_text = pygame.Rect(pad, self.power_rect.bottom + s(8), half, h - self.power_rect.bottom - s(8) - pad)
        self.compute_rect = pygame.Rect(2 * pad + half, top, half, int((h - top - pad) * 0.52))
        self.compute_text = pygame.Rect(
            2 * pad + half, self.compute_rect.bottom + s(8), half, h - self.compute_rect.bottom - s(8) - pad
        )

    def process_events(self, event: pygame.event.Event) -> bool:
        """Menus, buttons and keys."""
        et = event.type
        model = self.session.model
        if et == pygame_gui.UI_DROP_DOWN_MENU_CHANGED:
            if event.ui_element is self.region_menu:
                names = [r.name for r in model.scenario.regions]
                self.region = names.index(event.text)
                return True
            if event.ui_element is self.quarter_menu:
                self.quarter = event.text
                return True
        if et == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element is self.back_button:
                events.post(events.BACK)
                return True
            if event.ui_element in self.slice_buttons:
                self.slice = self.slice_buttons[event.ui_element]
                self.rebuild()
                return True
        if et == pygame.KEYDOWN:
            n_r = len(model.scenario.regions)
            quarters = list(self.session.snapshots)
            if event.key == pygame.K_ESCAPE:
                events.post(events.BACK)
            elif event.key in (pygame.K_LEFT, pygame.K_RIGHT):
                self.region = (self.region + (1 if event.key == pygame.K_RIGHT else -1)) % n_r
                self.rebuild()
            elif event.key == pygame.K_TAB:
                self.slice = (self.slice + 1) % len(model.scenario.time.slices)
                self.rebuild()
            elif event.key in (pygame.K_PAGEUP, pygame.K_PAGEDOWN) and quarters and self.quarter in quarters:
                i = quarters.index(self.quarter) + (-1 if event.key == pygame.K_PAGEUP else 1)
                self.quarter = quarters[max(0, min(i, len(quarters) - 1))]
                self.rebuild()
            else:
                return False
            return True
        return False

    # -- drawing ---------------------------------------------------------------------------------

    def _power_surface(self, snap: MarketSnapshot) -> pygame.Surface | None:
        key = ("power", self.quarter, self.region, self.slice, self.power_rect.size, self.palette.name)
        if key == self.power_chart.key:
            return self.power_chart.get(key, lambda: None)  # type: ignore[arg-type,return-value]
        model = self.session.model
        r, s = self.region, self.slice
        name = model.scenario.regions[r].name
        slice_name = snap.slice_names[s].replace("_", " ")
        args = (
            self.power_rect.size,
            self.palette,
            self.s.factor,
            merit_blocks(snap, s, r),
            float(snap.demand_mw[s, r]),
            float(snap.price_usd_mwh[s, r]),
            f"Power in {name}, {slice_name}, {snap.quarter}: merit order",
        )
        voll, net = snap.voll, float(snap.net_import_mw[s, r])
        return self.power_chart.get(key, lambda: merit_order_chart(*args, voll=voll, net_import_mw=net))

    def compute_rows(self, snap: MarketSnapshot) -> tuple[list[tuple[str, float, dict[str, float]]], dict[str, Any]]:
        """Buyer groups of the region with what they wanted and who served them (by seller)."""
        model = self.session.model
        r = self.region
        mask = snap.seg_region == r
        groups: dict[str, list[int]] = {}
        fringe = snap.fringe_mask()
        for j in np.flatnonzero(mask):
            owner = snap.seg_owner[j]
            label = f"{owner} ({snap.seg_class[j]})" if owner else f"{snap.seg_class[j].capitalize()} demand"
            if fringe[j]:
                label = "Low-price batch demand"  # bought only when compute is cheap, wherever it is
            groups.setdefault(label, []).append(int(j))
        # named labs and startups: the biggest few, the rest pooled
        pooled = sorted(
            ((lab, js) for lab, js in groups.items() if "(" in lab), key=lambda kv: -snap.seg_qty[kv[1]].sum()
        )
        keep = dict(pooled[:5])
        other = [j for _, js in pooled[5:] for j in js]
        rows: list[tuple[str, float, dict[str, float]]] = []
        sellers: dict[str, Any] = {}
        ordered = [(lab, js) for lab, js in groups.items() if "(" not in lab] + list(keep.items())
        if other:
            ordered.append((f"{len(pooled) - 5} other labs and startups", other))
        for lab, js in ordered:
            by: dict[str, float] = {}
            for j in js:
                for k in np.flatnonzero(snap.alloc[j] > 1e-9):
                    seller = f"{snap.cluster_owner[k]} in {model.scenario.regions[int(snap.cluster_region[k])].id}"
                    by[seller] = by.get(seller, 0.0) + float(snap.alloc[j, k])
            rows.append((lab, float(snap.seg_qty[js].sum()), by))
        totals: dict[str, float] = {}
        for _, _, by in rows:
            for k, v in by.items():
                totals[k] = totals.get(k, 0.0) + v
        top = sorted(totals, key=lambda k: -totals[k])
        for i, seller in enumerate(top[:9]):
            sellers[seller] = self.palette.category(i)
        # fold small sellers into "others" so the legend stays readable
        if len(top) > 9:
            small = set(top[9:])
            for _, _, by in rows:
                extra = sum(by.pop(k) for k in list(by) if k in small)
                if extra > 0:
                    by["other sellers"] = by.get("other sellers", 0.0) + extra
            sellers["other sellers"] = (120, 120, 120)
        return rows, sellers

    def _compute_surface(self, snap: MarketSnapshot) -> pygame.Surface | None:
        key = ("compute", self.quarter, self.region, self.compute_rect.size, self.palette.name)
        if key == self.compute_chart.key:
            return self.compute_chart.get(key, lambda: None)  # type: ignore[arg-type,return-value]
        rows, sellers = self.compute_rows(snap)
        name = self.session.model.scenario.regions[self.region].name
        size, palette, scale = self.compute_rect.size, self.palette, self.s.factor
        title = f"Compute bought in {name}, {snap.quarter}: who served whom"
        return self.compute_chart.get(key, lambda: served_bars_chart(size, palette, scale, rows, sellers, title))

    def draw(self, surface: pygame.Surface) -> None:
        """Header, both charts, the explanation and the datacenter table."""
        pal, s, f = self.palette, self.s, self.fonts
        surface.fill(pal.rgb("background"))
        model = self.session.model
        header(surface, f, pal, s, "Markets", "why prices are what they are")
        snap = self.snap
        w, h = surface.get_size()
        if self.session.busy:
            return
        if snap is None:
            draw.text(
                surface,
                f,
                "No market has cleared yet: end the first quarter, then come back.",
                (w // 2, h // 2),
                18,
                pal.rgb("text_muted"),
                anchor="center",
            )
            return
        chart_or_placeholder(surface, self._power_surface(snap), self.power_rect, f, pal)
        chart_or_placeholder(surface, self._compute_surface(snap), self.compute_rect, f, pal)
        key = (self.quarter, self.region, self.slice, self.size, pal.name, self.s.factor)
        cached = getattr(self, "_text_cache", None)
        if cached is None or cached[0] != key:
            # the explanation and table change only with the region, quarter or slice: lay out once
            layer = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
            names = [r.name for r in model.scenario.regions]
            self._text_block(
                layer, self.power_text, "Why this price", power_explanation(snap, self.slice, self.region, names)
            )
            self._cluster_table(layer, snap)
            cached = (key, layer)
            self._text_cache = cached
        surface.blit(cached[1], (0, 0))

    def _text_block(self, surface: pygame.Surface, rect: pygame.Rect, title: str, lines: list[str]) -> None:
        pal, s, f = self.palette, self.s, self.fonts
        draw.box(surface, rect, pal.rgba("panel"), pal.rgb("panel_edge"), radius=s(4))
        x, y = rect.left + s(12), rect.top + s(8)
        draw.text(surface, f, title.upper(), (x, y), 12, pal.rgb("accent"), bold=True)
        y += f.line_height(12, True) + s(4)
        for para in lines:
            for k, line in enumerate(f.wrap(para, 14, rect.width - s(36))):
                if y + f.line_height(14) > rect.bottom - s(4):
                    return
                draw.text(surface, f, ("• " if k == 0 else "  ") + line, (x, y), 14, pal.rgb("text"))
                y += f.line_height(14)
            y += s(3)

    def _cluster_table(self, surface: pygame.Surface, snap: MarketSnapshot) -> None:
        pal, s, f = self.palette, self.s, self.fonts
        rect = self.compute_text
        draw.box(surface, rect, pal.rgba("panel"), pal.rgb("panel_edge"), radius=s(4))
        model = self.session.model
        r = self.region
        x, y = rect.left + s(12), rect.top + s(8)
        mask = snap.seg_region == r
        fringe = snap.fringe_mask()
        core = mask & ~fringe  # the low-price fringe is not demand wanted (it buys only when cheap)
        wanted = float(snap.seg_qty[core].sum())
        served = float(snap.alloc[core].sum())
        cheap = float(snap.alloc[mask & fringe].sum())
        paid = float((snap.alloc[core] * snap.cluster_price[None, :]).sum())
        avg = paid / served if served > 0 else float("nan")
        draw.text(surface, f, "COMPUTE MARKET", (x, y), 12, pal.rgb("accent"), bold=True)
        y += f.line_height(12, True) + s(4)
        wtp = model.scenario.demand.wtp_usd_per_hour
        summary = (
            f"Wanted {fmt.h100e(wanted)}, served {fmt.h100e(served)} ({fmt.pct(served / wanted if wanted else 0)}); "
            f"buyers here paid {fmt.usd_hour(avg)} on average"
            + (f" ({fmt.h100e(cheap)} more went to buyers of cheap compute only)" if cheap >= 1 else "")
            + f". A price is the datacenter's cost (power and "
            f"running costs) plus a scarcity rent: a datacenter that sells out is bid up towards buyers' willingness "
            f"to pay (training ${wtp['training']:.2f}, inference ${wtp['inference']:.2f}, regulated "
            f"${wtp['regulated']:.2f}), one with spare capacity earns no rent on the spot market. "
            f"{fmt.pct(model.scenario.economics.contract_share)} of its hours are sold on contracts whose rent "
            f"follows the spot rent over {model.scenario.economics.contract_quarters} quarters."
        )
        loc = bool(model.world.localisation[r])
        summary += " A localisation law keeps regulated data at home." if loc else ""
        for line in f.wrap(summary, 13, rect.width - s(24)):
            draw.text(surface, f, line, (x, y), 13, pal.rgb("text"))
            y += f.line_height(13)
        y += s(6)
        here = np.flatnonzero(snap.cluster_region == r)
        cols = [("Datacenter", 0.0), ("Owner", 0.36), ("Capacity", 0.58), ("Sold", 0.7), ("Cost", 0.8), ("Price", 0.9)]
        width = rect.width - s(24)
        for lab, fx in cols:
            draw.text(surface, f, lab, (x + round(fx * width), y), 12, pal.rgb("text_muted"), bold=True)
        y += f.line_height(12, True)
        sold = snap.alloc.sum(0)
        order = here[np.argsort(-snap.cluster_capacity[here])] if len(here) else here
        for k in order:
            if y + f.line_height(13) > rect.bottom - s(4):
                break
            vals = [
                snap.cluster_name[k],
                snap.cluster_owner[k],
                fmt.count(float(snap.cluster_capacity[k])),
                fmt.count(float(sold[k])),
                f"${snap.cluster_cost[k]:.2f}",
                f"${snap.cluster_price[k]:.2f}",
            ]
            for i, (_, fx) in enumerate(cols):
                nxt = cols[i + 1][1] if i + 1 < len(cols) else 1.0
                cell_w = round((nxt - fx) * width) - s(6)
                draw.text(surface, f, vals[i], (x + round(fx * width), y), 13, pal.rgb("text"), max_width=cell_w)
            y += f.line_height(13)
        if not len(here):
            draw.text(
                surface,
                f,
                "No datacenter with accelerators here: all compute is bought from elsewhere.",
                (x, y),
                13,
                pal.rgb("text_muted"),
            )
