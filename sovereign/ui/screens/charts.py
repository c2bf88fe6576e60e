"""Charts: every nation's or firm's key metrics over the game so far, yours highlighted, and the world's markets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pygame
import pygame_gui

from sovereign.game import fmt
from sovereign.scenario.schema import quarter_index
from sovereign.ui import events
from sovereign.ui.charts import AsyncChart, ChartSpec, Series, render_charts
from sovereign.ui.screens.base import Screen
from sovereign.ui.screens.common import chart_or_placeholder, header

Metric = tuple[str, str, Callable[[float], str], tuple[float, float] | None]

NATION_METRICS: tuple[Metric, ...] = (
    ("sovereignty_index", "Sovereignty index", lambda v: f"{v:.2f}", (0.0, 1.0)),
    ("compute_self_reliance", "Compute self-reliance", lambda v: f"{v:.2f}", (0.0, 1.0)),
    ("power_adequacy", "Power adequacy", lambda v: f"{v:.2f}", (0.0, 1.0)),
    ("chip_security", "Chip security", lambda v: f"{v:.2f}", (0.0, 1.0)),
    ("data_governance", "Data governance", lambda v: f"{v:.2f}", (0.0, 1.0)),
    ("cyber_resilience", "Cyber resilience", lambda v: f"{v:.2f}", (0.0, 1.0)),
    ("compute_share", "Share of world compute", lambda v: fmt.pct(v), None),
    ("compute_capacity_h100e", "Installed accelerators (H100e)", fmt.count, None),
    ("retail_price_usd_mwh", "Electricity price, industrial ($/MWh)", lambda v: f"${v:,.0f}", None),
    ("compute_price_usd_hour", "Compute price ($ per H100e-hour)", lambda v: f"${v:,.2f}", None),
    ("dc_electricity_twh", "Datacenter electricity (TWh per quarter)", lambda v: f"{v:,.1f}", None),
    ("emissions_mt", "Power-sector CO2 (Mt per quarter)", lambda v: f"{v:,.0f}", None),
    ("budget_busd", "Unspent budget ($B)", fmt.money, None),
)
FIRM_METRICS: tuple[Metric, ...] = (
    ("valuation_busd", "Valuation ($B)", fmt.money, None),
    ("revenue_busd", "Revenue per quarter ($B)", fmt.money, None),
    ("market_share", "Share of compute and chip revenue", lambda v: fmt.pct(v), None),
    ("compute_h100e", "Accelerators owned (H100e)", fmt.count, None),
    ("served_h100e", "Compute served to labs (H100e)", fmt.count, None),
)


#: The world's markets: each metric is several lines (one per chip class, or paid and new compute).
WORLD_METRICS: tuple[Metric, ...] = (
    ("chip_price_vs_list", "Chip price over its list price, by class", lambda v: f"{v:.2f}x", None),
    ("chip_price", "Chip price ($ per H100e), by class", lambda v: f"${v:,.0f}", None),
    ("chip_sold", "Chips sold (H100e per quarter), by class", fmt.count, None),
    ("compute_price", "Compute price, new and paid ($/h)", lambda v: f"${v:,.2f}", None),
    ("electricity", "Electricity, datacenters and AI (TWh)", lambda v: f"{v:,.1f}", None),
)
GROUPS = ("nations", "firms", "world")


def world_chart(model: Any, key: str, title: str, f: Callable[[float], str], ylim: Any) -> ChartSpec:
    """A chart of one of the world's markets (`WORLD_METRICS`): a line per chip class, or per measure.

    Why a world view: a chip shortage (the Taiwan Strait lesson's quarantine) shows in the chip
    classes' prices and sales, which no nation's or firm's line carries. The first class (the
    frontier) and the price of new compute are highlighted: they move first in a shortage.
    """
    world = model.metrics.world
    quarters = [w["quarter"] for w in world]
    classes = model.scenario.accelerators
    series: list[Series] = []
    if key in ("chip_price_vs_list", "chip_price", "chip_sold"):
        # (G, Q) list prices, or ones: what each class's price is divided by
        listed = np.ones((len(classes), len(quarters)))
        if key == "chip_price_vs_list":
            listed = np.array([model.list_price_in(quarter_index(q)) for q in quarters], float).T
        for g, a in enumerate(classes):
            if key == "chip_sold":
                vals = [float(w[f"chip_sold_{a.id}_h100e"]) for w in world]
            else:
                vals = [float(w[f"chip_price_{a.id}_usd"]) / float(listed[g, i]) for i, w in enumerate(world)]
            series.append(Series(a.name.split(" (")[0], vals, g == 0))  # "Hopper-class (H100/H200)": short
    elif key == "compute_price":
        series = [
            Series("new compute", [float(w.get("compute_spot_price_usd_hour", np.nan)) for w in world], True),
            Series("paid (most on contracts)", [float(w["compute_price_usd_hour"]) for w in world]),
        ]
    else:
        series = [
            Series("datacenters", [float(w["dc_electricity_twh"]) for w in world]),
            Series("AI accelerators", [float(w["ai_electricity_twh"]) for w in world], True),
        ]
    return ChartSpec(title, quarters, series, fmt=f, ylim=ylim, highlight_suffix="")


def nation_chart(model: Any, key: str, title: str, f: Callable[[float], str], ylim: Any, you: str | None) -> ChartSpec:
    """A chart of one nation metric for every nation."""
    quarters = [w["quarter"] for w in model.metrics.world]
    by_region: dict[str, list[float]] = {}
    for row in model.metrics.nations:
        by_region.setdefault(row["region"], []).append(float(row[key]))
    names = {r.id: r.name for r in model.scenario.regions}
    series = [Series(names.get(rid, rid), vals, rid == you) for rid, vals in by_region.items()]
    return ChartSpec(title, quarters, series, fmt=f, ylim=ylim)


def firm_chart(model: Any, key: str, title: str, f: Callable[[float], str], ylim: Any, you: str | None) -> ChartSpec:
    """A chart of one firm metric for every named firm (and your firm, whatever it is)."""
    quarters = [w["quarter"] for w in model.metrics.world]
    qix = {q: i for i, q in enumerate(quarters)}
    rows: dict[str, np.ndarray] = {}
    names: dict[str, str] = {}
    for row in model.metrics.firms:
        fid = row["firm"]
        if row["kind"] == "startup" and fid != you:
            continue
        arr = rows.get(fid)
        if arr is None:
            arr = np.full(len(quarters), np.nan)
            rows[fid] = arr
            names[fid] = row["name"]
        arr[qix[row["quarter"]]] = float(row[key])
    series = [Series(names[fid], vals.tolist(), fid == you) for fid, vals in rows.items()]
    return ChartSpec(title, quarters, series, fmt=f, ylim=ylim)


class ChartsScreen(Screen):
    """Time series of the game so far."""

    name = "charts"
    title = "Charts"
    summary = "every nation's or firm's metrics over time, yours highlighted"
    needs_session = True
    help_text = (
        "Pick a metric on the left. Every nation (or named firm) is a line: yours is the thick highlighted one, "
        "the five highest are coloured and labelled at the right end, the rest are thin grey lines. Firms' cash "
        "is private and not charted. World: the chip classes' prices (against their list prices) and sales, the "
        "price of new compute and the price paid, and electricity: where a chip shortage shows first."
    )
    keys = (("Tab", "nations / firms / world"), ("Up / Down", "previous / next metric"), ("Esc", "back to the map"))

    def __init__(self, app: Any, **params: Any) -> None:
        super().__init__(app, **params)
        seat = self.session.seat
        own = "nations" if seat is None or seat in self.session.model.region_ix else "firms"
        self.group = params["group"] if params.get("group") in GROUPS else own  # opened on a tab by a link
        self.metric = 0
        self.chart = AsyncChart()

    @property
    def metrics(self) -> tuple[Metric, ...]:
        """Metrics of the current group."""
        return {"nations": NATION_METRICS, "firms": FIRM_METRICS, "world": WORLD_METRICS}[self.group]

    def build(self) -> None:
        """Group tabs and one button per metric."""
        s = self.s
        w, h = self.size
        pad = s(20)
        top = s(64) + s(16)
        col_w = s(290)
        self.group_buttons: dict[Any, str] = {}
        bw = (col_w - 2 * s(8)) // 3
        tips = {"nations": "Charts of every nation (Tab)", "firms": "Charts of every firm (Tab)"}
        tips["world"] = "The world's chip and compute markets and electricity (Tab)"
        for k, (g, lab) in enumerate((("nations", "Nations"), ("firms", "Firms"), ("world", "World"))):
            b = self.button((pad + k * (bw + s(8)), top, bw, s(34)), lab, tips[g], "@tab")
            if g == self.group:
                b.select()
            self.group_buttons[b] = g
        self.metric_buttons: dict[Any, int] = {}
        y = top + s(48)
        back_top = h - s(60)
        # rows shrink (down to the font's height) so that every metric sits above the Back button
        step = max(min(s(36), (back_top - s(8) - y) // max(len(self.metrics), 1)), s(24))
        for k, (_, lab, _, _) in enumerate(self.metrics):
            b = self.button((pad, y, col_w, step - s(4)), lab, f"Show {lab.lower()} over time", "@tab")
            if k == self.metric:
                b.select()
            self.metric_buttons[b] = k
            y += step
        self.back_button = self.button((pad, back_top, s(160), s(44)), "Back to map", "Return to the map (Esc)")
        self.chart_rect = pygame.Rect(pad + col_w + s(20), top, w - col_w - 3 * pad - s(20), h - top - s(20))

    def process_events(self, event: pygame.event.Event) -> bool:
        """Tabs, metric buttons, keys."""
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            el = event.ui_element
            if el is self.back_button:
                events.post(events.BACK)
                return True
            if el in self.group_buttons:
                self.set_group(self.group_buttons[el])
                return True
            if el in self.metric_buttons:
                self.metric = self.metric_buttons[el]
                self.rebuild()
                return True
        if event.type == pygame.KEYDOWN:
            if event.key == pygame.K_ESCAPE:
                events.post(events.BACK)
            elif event.key == pygame.K_TAB:
                self.set_group(GROUPS[(GROUPS.index(self.group) + 1) % len(GROUPS)])
            elif event.key in (pygame.K_UP, pygame.K_DOWN):
                self.metric = (self.metric + (1 if event.key == pygame.K_DOWN else -1)) % len(self.metrics)
                self.rebuild()
            else:
                return False
            return True
        return False

    def set_group(self, group: str) -> None:
        """Show nations or firms."""
        if group != self.group:
            self.group = group
            self.metric = 0
            self.rebuild()

    def chart_surface(self) -> pygame.Surface | None:
        """The current chart (rendered on a worker once per quarter, size and palette; None until then)."""
        session = self.session
        key = (self.group, self.metric, session.version, self.chart_rect.size, self.palette.name, session.seat)
        if key == self.chart.key:
            return self.chart.get(key, lambda: None)  # type: ignore[arg-type,return-value]
        mkey, title, f, ylim = self.metrics[self.metric]
        model = session.model
        if self.group == "nations":
            spec = nation_chart(model, mkey, title, f, ylim, session.seat)
        elif self.group == "firms":
            spec = firm_chart(model, mkey, title, f, ylim, session.seat)
        else:
            spec = world_chart(model, mkey, title, f, ylim)
        size, palette, scale = self.chart_rect.size, self.palette, self.s.factor
        return self.chart.get(key, lambda: render_charts([spec], size, palette, scale))

    def draw(self, surface: pygame.Surface) -> None:
        """Header and the chart."""
        pal, s, f = self.palette, self.s, self.fonts
        surface.fill(pal.rgb("background"))
        model = self.session.model
        # the charts end with the last quarter played (not the one about to be, which after the last
        # quarter is past the scenario's end)
        played = model.metrics.world
        span = f"up to {played[-1]['quarter']}" if played else "before the first quarter"
        header(surface, f, pal, s, "Charts", f"{model.scenario.meta.title} · {span}")
        if self.session.busy:
            return
        chart_or_placeholder(surface, self.chart_surface(), self.chart_rect, f, pal)
