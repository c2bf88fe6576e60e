"""Charts rendered with matplotlib's Agg backend into pygame surfaces.

matplotlib draws proper axes, ticks and labels that would take pages of hand-written pygame code;
Agg renders off-screen, so no second window or GUI toolkit is involved. A chart costs tens of
milliseconds, so screens cache the surfaces and redraw only when the game or the size changes.
matplotlib is imported on first use (it adds half a second to start-up otherwise).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pygame

from sovereign.ui.theme import Palette


@dataclass
class Series:
    """One line of a chart."""

    label: str
    values: Sequence[float]
    highlight: bool = False


@dataclass
class ChartSpec:
    """What to draw in one axes."""

    title: str
    quarters: list[str]
    series: list[Series]
    ylabel: str = ""
    fmt: Callable[[float], str] | None = None
    ylim: tuple[float, float] | None = None
    label_top: int = 5
    extra_lines: list[tuple[str, list[float], str]] = field(default_factory=list)
    #: what the highlighted lines' end labels add: the player's own line is "(you)"; a world chart's
    #: highlighted line (the frontier class) is no one's
    highlight_suffix: str = " (you)"


@dataclass(frozen=True)
class ChartImage:
    """Rendered RGBA pixels: made on any thread, turned into a pygame surface on the main one."""

    rgba: bytes
    size: tuple[int, int]

    def surface(self) -> pygame.Surface:
        """The pixels as a surface (call on the main thread)."""
        surf = pygame.image.frombuffer(self.rgba, self.size, "RGBA")
        return surf.convert() if pygame.display.get_surface() is not None else surf.copy()


_PENDING = 0
_PENDING_LOCK = threading.Lock()


def charts_pending() -> int:
    """Charts being rendered on worker threads right now (screenshots wait for them)."""
    return _PENDING


class AsyncChart:
    """One chart slot of a screen, rendered on a worker thread so the window never stalls.

    matplotlib's first use imports half a second of modules and a chart takes tens of
    milliseconds; the screen shows a placeholder meanwhile. The data is gathered on the main
    thread (the model is not thread-safe); only the drawing runs on the worker, with its own
    Figure (matplotlib's object API with the Agg canvas holds no global state).
    """

    def __init__(self) -> None:
        self.key: Any = None
        self._image: ChartImage | None = None
        self._surface: pygame.Surface | None = None
        self.error: str | None = None

    def get(self, key: Any, job: Callable[[], ChartImage]) -> pygame.Surface | None:
        """The chart for ``key``: the surface when ready, else None (rendering is started)."""
        if key == self.key:
            if self._surface is None and self._image is not None:
                self._surface = self._image.surface()
            return self._surface
        self.key, self._image, self._surface, self.error = key, None, None, None
        global _PENDING
        with _PENDING_LOCK:
            _PENDING += 1

        def run() -> None:
            global _PENDING
            try:
                image = job()
                if self.key == key:
                    self._image = image
            except Exception as exc:  # a broken chart must not take the game down
                self.error = f"{type(exc).__name__}: {exc}"
            finally:
                with _PENDING_LOCK:
                    _PENDING -= 1

        threading.Thread(target=run, name="sovereign-chart", daemon=True).start()
        return None


def warm_up() -> None:
    """Import matplotlib ahead of need (called on a background thread at start-up)."""
    _mpl()


def _mpl() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    return Figure, FigureCanvasAgg


# C901: one figure, one pass per panel (axes, series, labels); split, each step needs the figure's state.
def render_charts(  # noqa: C901
    specs: Sequence[ChartSpec],
    size: tuple[int, int],
    palette: Palette,
    scale: float = 1.0,
    cols: int = 1,
) -> ChartImage:
    """Render one or more line charts in a grid into a surface of exactly ``size`` pixels.

    Your own series is drawn thick in the accent colour and labelled; the ``label_top`` other
    series with the highest last values get distinct colours and end labels; the rest are thin
    grey lines, so a chart with 25 nations still reads.
    """
    Figure, FigureCanvasAgg = _mpl()
    w, h = max(size[0], 50), max(size[1], 50)
    dpi = 100.0
    fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    bg = palette.hex("background")
    panel = palette.hex("panel")
    text = palette.hex("text")
    muted = palette.hex("text_muted")
    edge = palette.hex("panel_edge")
    fig.patch.set_facecolor(bg)
    rows = max(1, math.ceil(len(specs) / cols))
    fs = (11.0 if rows == 1 and cols == 1 else 9.5) * scale
    if rows > 1 or cols > 1:
        fig.subplots_adjust(left=0.06, right=0.88, top=0.94, bottom=0.06, hspace=0.32, wspace=0.32)
    else:
        fig.subplots_adjust(left=0.07, right=0.86, top=0.93, bottom=0.07)
    for k, spec in enumerate(specs):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.set_facecolor(panel)
        for side in ax.spines.values():
            side.set_color(edge)
        ax.tick_params(colors=muted, labelsize=fs * 0.9)
        ax.set_title(spec.title, color=text, fontsize=fs * 1.2, loc="left", fontweight="bold")
        if spec.ylabel:
            ax.set_ylabel(spec.ylabel, color=muted, fontsize=fs)
        ax.grid(True, color=edge, linewidth=0.6, alpha=0.8)
        n = len(spec.quarters)
        x = np.arange(n)
        if n == 0:
            ax.text(0.5, 0.5, "No quarters played yet", color=muted, ha="center", va="center", transform=ax.transAxes)
            continue
        others = [s for s in spec.series if not s.highlight]
        mine = [s for s in spec.series if s.highlight]

        def last(s: Series) -> float:
            v = np.asarray(s.values, float)
            ok = v[np.isfinite(v)]
            return float(ok[-1]) if len(ok) else -np.inf

        ranked = sorted(others, key=last, reverse=True)
        top = ranked[: spec.label_top]
        rest = ranked[spec.label_top :]
        for s in rest:
            ax.plot(x[: len(s.values)], s.values, color=muted, linewidth=0.8 * scale, alpha=0.45)
        if rest:
            ax.text(
                1.0,
                1.01,
                f"grey: {len(rest)} others",
                color=muted,
                fontsize=fs * 0.85,
                ha="right",
                va="bottom",
                transform=ax.transAxes,
            )
        labels: list[tuple[float, str, str]] = []
        for i, s in enumerate(top):
            col = "#{:02x}{:02x}{:02x}".format(*palette.category(i))
            ax.plot(x[: len(s.values)], s.values, color=col, linewidth=1.5 * scale, alpha=0.95)
            labels.append((last(s), s.label, col))
        accent = palette.hex("accent")
        for s in mine:
            ax.plot(x[: len(s.values)], s.values, color=accent, linewidth=3.2 * scale, zorder=5)
            labels.append((last(s), f"{s.label}{spec.highlight_suffix}", accent))
        for lab, values, col in spec.extra_lines:
            ax.plot(x[: len(values)], values, color=col, linewidth=1.2 * scale, linestyle="--")
            labels.append((float(values[-1]) if values else 0.0, lab, col))
        if spec.ylim:
            ax.set_ylim(*spec.ylim)
        ax.set_xlim(0, max(n - 1, 1) * 1.0 + 0.01)
        # end labels, nudged apart so they do not overlap
        lo, hi = ax.get_ylim()
        # one label height in data units: font pixels over the axes' pixel height
        axes_px = ax.get_position().height * h
        min_gap = (hi - lo) * (fs * 0.9 * dpi / 72.0) * 1.15 / max(axes_px, 1.0)
        placed: list[float] = []
        max_chars = 22 if cols == 1 else 16
        for v, lab, col in sorted([t for t in labels if np.isfinite(t[0])], key=lambda t: -t[0]):
            lab = lab if len(lab) <= max_chars else lab[: max_chars - 1].rstrip() + "…"
            y = v
            if placed and placed[-1] - y < min_gap:
                y = placed[-1] - min_gap
            placed.append(y)
            ax.annotate(
                lab,
                xy=(n - 1, v),
                xytext=(n - 1 + 0.15, y),
                color=col,
                fontsize=fs * 0.9,
                va="center",
                annotation_clip=False,
            )
        if n > 10:
            # long games: one tick per year (at its first quarter), thinned to fit
            years = [i for i, q in enumerate(spec.quarters) if q.endswith("Q1")] or [0]
            step = max(1, math.ceil(len(years) / (8 if cols == 1 else 4)))
            ticks = years[::step]
            ax.set_xticks(ticks)
            ax.set_xticklabels([spec.quarters[t][:4] for t in ticks])
        else:
            ticks = list(range(n))
            ax.set_xticks(ticks)
            ax.set_xticklabels([spec.quarters[t] for t in ticks])
        if spec.fmt is not None:
            from matplotlib.ticker import FuncFormatter

            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p, fmt=spec.fmt: fmt(v)))
    return _to_image(canvas)


def _figure(size: tuple[int, int], palette: Palette) -> tuple[Any, Any]:
    Figure, FigureCanvasAgg = _mpl()
    w, h = max(size[0], 50), max(size[1], 50)
    fig = Figure(figsize=(w / 100.0, h / 100.0), dpi=100.0)
    canvas = FigureCanvasAgg(fig)
    fig.patch.set_facecolor(palette.hex("background"))
    return fig, canvas


def _style(ax: Any, palette: Palette, fs: float) -> None:
    ax.set_facecolor(palette.hex("panel"))
    for side in ax.spines.values():
        side.set_color(palette.hex("panel_edge"))
    ax.tick_params(colors=palette.hex("text_muted"), labelsize=fs * 0.9)
    ax.grid(True, color=palette.hex("panel_edge"), linewidth=0.6, alpha=0.8)


def _to_image(canvas: Any) -> ChartImage:
    canvas.draw()
    w, h = canvas.get_width_height()
    return ChartImage(bytes(canvas.buffer_rgba()), (int(w), int(h)))


def _rgb_hex(c: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*c[:3])


def merit_order_chart(
    size: tuple[int, int],
    palette: Palette,
    scale: float,
    blocks: Sequence[tuple[str, float, float, float]],
    demand_mw: float,
    price: float,
    title: str,
    *,
    voll: float,
    net_import_mw: float = 0.0,
) -> ChartImage:
    """The supply curve of one region and slice: blocks by marginal cost, demand and the price.

    Args:
        size: Pixel size.
        palette: Colours (technologies, accent for the price, text).
        scale: UI scale (font sizes).
        blocks: (technology, available MW, marginal cost $/MWh, dispatched MW) in merit order.
        demand_mw: Demand to be met in the region.
        price: Clearing price.
        title: Chart title.
        voll: Value of lost load (drawn when the price is a shortage price).
        net_import_mw: Demand met by imports (positive) or exports on top of demand (negative).
    """
    fig, canvas = _figure(size, palette)
    fs = 9.5 * scale
    ax = fig.add_subplot(1, 1, 1)
    _style(ax, palette, fs)
    ax.set_title(title, color=palette.hex("text"), fontsize=fs * 1.2, loc="left", fontweight="bold")
    x = 0.0
    shown_cost = [c for _, mw, c, _ in blocks if mw > 0]
    top_cost = max([*shown_cost, price if price < voll else 0.0, 1.0])
    seen: set[str] = set()
    for tech, mw, cost, used in blocks:
        if mw <= 0:
            continue
        col = _rgb_hex(palette.tech(tech))
        ax.bar(
            x,
            max(cost, top_cost * 0.01),
            width=mw / 1000.0,
            align="edge",
            color=col,
            alpha=0.35,
            edgecolor=col,
            linewidth=0.8,
        )
        if used > 0:
            ax.bar(
                x,
                max(cost, top_cost * 0.01),
                width=used / 1000.0,
                align="edge",
                color=col,
                alpha=0.95,
                label=tech if tech not in seen else None,
            )
            seen.add(tech)
        elif tech not in seen:
            ax.bar(x, 0, width=0, color=col, label=tech)
            seen.add(tech)
        x += mw / 1000.0
    d = demand_mw / 1000.0
    ax.axvline(d, color=palette.hex("demand_line"), linewidth=2.0 * scale, linestyle="-")
    # (left of the line when it stands in the right part of the chart, where the label was cut off)
    near_right = d > 0.75 * (max(x, d) * 1.05 + 0.001)
    ax.text(
        d,
        top_cost * 1.18,
        f"demand {d:,.0f} GW " if near_right else f" demand {d:,.0f} GW",
        color=palette.hex("demand_line"),
        fontsize=fs,
        va="bottom",
        ha="right" if near_right else "left",
    )
    shortage = price >= voll * 0.999
    if not shortage:
        ax.axhline(price, color=palette.hex("price_line"), linewidth=2.0 * scale, linestyle="--")
        # the label beside the demand line (left of it, unless the demand line stands near the left
        # edge), just above the price line: the legend stands at the upper left, where a high price's
        # label ran into it, and the demand line would cross a label at the right end
        right = max(x, d) * 1.05 + 0.001
        left_of = d > 0.35 * right
        ax.text(
            d - 0.01 * right if left_of else d + 0.01 * right,
            price,
            f"price ${price:,.0f}/MWh",
            color=palette.hex("price_line"),
            fontsize=fs,
            va="bottom",
            ha="right" if left_of else "left",
        )
    else:
        ax.text(
            0.02,
            0.95,
            f"Shortage: price = value of lost load ${voll:,.0f}/MWh",
            color=palette.hex("negative"),
            fontsize=fs * 1.1,
            transform=ax.transAxes,
            va="top",
            fontweight="bold",
        )
    if abs(net_import_mw) > 1:
        what = "imports" if net_import_mw > 0 else "exports"
        ax.text(
            0.02,
            0.86 if shortage else 0.95,
            f"Interconnectors: {what} {abs(net_import_mw) / 1000:,.1f} GW",
            color=palette.hex("text_muted"),
            fontsize=fs,
            transform=ax.transAxes,
            va="top",
        )
    ax.set_ylim(0, top_cost * 1.35)
    ax.set_xlim(0, max(x, d) * 1.05 + 0.001)
    ax.set_xlabel("available capacity, GW (bright: dispatched)", color=palette.hex("text_muted"), fontsize=fs)
    ax.set_ylabel("marginal cost, $/MWh", color=palette.hex("text_muted"), fontsize=fs)
    # on a panel-coloured box, so the price line or a tall block behind it does not run through the text
    leg = ax.legend(
        loc="upper left",
        bbox_to_anchor=(0.0, 0.82 if abs(net_import_mw) > 1 or shortage else 0.9),
        fontsize=fs * 0.9,
        frameon=True,
        facecolor=palette.hex("panel"),
        edgecolor=palette.hex("panel"),
        framealpha=0.9,
    )
    for t in leg.get_texts():
        t.set_color(palette.hex("text"))
    fig.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=0.13)
    return _to_image(canvas)


def served_bars_chart(
    size: tuple[int, int],
    palette: Palette,
    scale: float,
    rows: Sequence[tuple[str, float, dict[str, float]]],
    seller_colors: dict[str, Sequence[int]],
    title: str,
) -> ChartImage:
    """Who served whom: one bar per buyer segment, split by the seller, unserved in grey.

    Args:
        size: Pixel size.
        palette: Colours.
        scale: UI scale.
        rows: (buyer segment label, H100e wanted, {seller label: H100e served}).
        seller_colors: Colour per seller label.
        title: Chart title.
    """
    fig, canvas = _figure(size, palette)
    fs = 9.5 * scale
    ax = fig.add_subplot(1, 1, 1)
    _style(ax, palette, fs)
    ax.set_title(title, color=palette.hex("text"), fontsize=fs * 1.2, loc="left", fontweight="bold")
    labels = [r[0] for r in rows]
    y = np.arange(len(rows))[::-1]
    seen: set[str] = set()
    for yi, (_, wanted, by_seller) in zip(y, rows, strict=True):
        left = 0.0
        for seller, q in sorted(by_seller.items(), key=lambda kv: -kv[1]):
            if q <= 0:
                continue
            col = _rgb_hex(seller_colors.get(seller, (150, 150, 150)))
            ax.barh(yi, q / 1000.0, left=left, color=col, label=seller if seller not in seen else None, height=0.6)
            seen.add(seller)
            left += q / 1000.0
        gap = wanted / 1000.0 - left
        if gap > 1e-6:
            ax.barh(
                yi,
                gap,
                left=left,
                color="none",
                edgecolor=palette.hex("text_muted"),
                hatch="//",
                height=0.6,
                label="not served" if "not served" not in seen else None,
            )
            seen.add("not served")
    ax.set_yticks(y)
    ax.set_yticklabels(labels, color=palette.hex("text"), fontsize=fs * 0.95)
    ax.set_xlabel("thousand H100e (bars: wanted; colours: who served it)", color=palette.hex("text_muted"), fontsize=fs)
    if rows:
        leg = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=fs * 0.85, frameon=False, ncol=1)
        for t in leg.get_texts():
            t.set_color(palette.hex("text"))
    else:
        ax.text(
            0.5, 0.5, "No compute demand here", color=palette.hex("text_muted"), ha="center", transform=ax.transAxes
        )
    fig.subplots_adjust(left=0.27, right=0.62, top=0.88, bottom=0.16)
    return _to_image(canvas)
