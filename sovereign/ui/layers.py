"""Map layers: one number (or category) per region, its colours and its legend.

A layer answers "what colour is each region, and why": the value per region, the colour scale
and a legend that states units. Values only change when a quarter is played or a command is
queued, so :class:`LayerCache` keeps the computed colours per (layer, session version, palette)
and a redraw at 60 fps only looks them up.

Reads the model; never changes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sovereign.game import fmt
from sovereign.scenario.schema import quarter_label
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases.grid import expected_wait_quarters
from sovereign.ui.theme import RGB, Palette, nice_ticks


@dataclass(frozen=True)
class LayerSpec:
    """A map layer as the layer bar and help show it."""

    key: str
    label: str
    short: str
    hotkey: str
    description: str


LAYERS: tuple[LayerSpec, ...] = (
    LayerSpec(
        "sovereignty",
        "Sovereignty index",
        "Sovereignty",
        "1",
        "Weighted geometric mean of compute self-reliance, power adequacy, chip security, data governance "
        "and cyber resilience (0 = none, 1 = full)",
    ),
    LayerSpec(
        "power_price",
        "Electricity price",
        "Power price",
        "2",
        "Industrial price last quarter: wholesale energy, capacity, network charges and taxes, $/MWh",
    ),
    LayerSpec("dc_capacity", "Datacenter capacity", "DC capacity", "3", "IT load of operating datacenters, MW"),
    LayerSpec(
        "compute_share", "Compute share", "Compute share", "4", "Share of the world's installed accelerators (H100e)"
    ),
    LayerSpec("emissions", "Emissions", "Emissions", "5", "CO2 from power generation last quarter, Mt"),
    LayerSpec("blocs", "Blocs", "Blocs", "6", "Alliances: allied facilities and firms count for sovereignty by trust"),
    LayerSpec(
        "export_tier",
        "Export-control tier",
        "Export tier",
        "7",
        "Tier 1 buys frontier chips freely, tier 2 under caps, tier 3 is barred from controlled classes",
    ),
    LayerSpec(
        "chip_security",
        "Chip security",
        "Chip security",
        "8",
        "Installed accelerators from trusted fabs x supplier diversity",
    ),
    LayerSpec(
        "grid_wait",
        "Grid connection wait",
        "Grid wait",
        "9",
        "Quarters a datacenter ordered now would wait for its grid connection beyond its own build",
    ),
)
LAYER_BY_KEY = {spec.key: spec for spec in LAYERS}


@dataclass
class Legend:
    """What the legend box draws: a colour ramp with ticks, or a list of categories."""

    title: str
    ramp: str | None = None
    lo: float = 0.0
    hi: float = 1.0
    log: bool = False
    ticks: list[tuple[float, str]] = field(default_factory=list)
    categories: list[tuple[str, RGB]] = field(default_factory=list)
    note: str = ""


@dataclass
class LayerData:
    """A computed layer: values, colours, legend and a formatter for tooltips."""

    spec: LayerSpec
    values: np.ndarray
    colors: dict[str, RGB]
    legend: Legend
    describe: Callable[[int], str]
    extra: dict[str, list[str]] = field(default_factory=dict)


def latest_rows(model: SovereignModel) -> dict[str, dict]:
    """The last recorded metrics row of every nation (empty before the first quarter)."""
    if not model.metrics.nations:
        return {}
    last_q = quarter_label(model.quarter - 1)
    return {r["region"]: r for r in model.metrics.nations if r["quarter"] == last_q}


def _metric(model: SovereignModel, key: str) -> np.ndarray:
    rows = latest_rows(model)
    return np.array([rows.get(r.id, {}).get(key, np.nan) for r in model.scenario.regions], float)


def region_dc_mw(model: SovereignModel) -> np.ndarray:
    """Operating datacenter IT capacity per region, MW."""
    w = model.world
    return np.bincount(w.dc_region, weights=w.dc_it_mw, minlength=len(model.region_ix)).astype(float)


def region_h100e(model: SovereignModel) -> np.ndarray:
    """Installed accelerators per region, H100e."""
    w = model.world
    return np.bincount(w.dc_region, weights=w.dc_stock.sum(1), minlength=len(model.region_ix)).astype(float)


def _continuous(
    spec: LayerSpec,
    model: SovereignModel,
    palette: Palette,
    values: np.ndarray,
    ramp: str,
    formatter: Callable[[float], str],
    *,
    lo: float | None = None,
    hi: float | None = None,
    log: bool = False,
    title: str | None = None,
    note: str = "",
) -> LayerData:
    ids = [r.id for r in model.scenario.regions]
    ok = np.isfinite(values)
    if log:
        pos = values[ok & (values > 0)]
        lo_v = lo if lo is not None else (float(pos.min()) if len(pos) else 1.0)
        hi_v = hi if hi is not None else (float(pos.max()) if len(pos) else 10.0)
        lo_v = max(lo_v, hi_v / 1e4, 1e-9)
        if hi_v <= lo_v:
            hi_v = lo_v * 10
        t = (np.log10(np.maximum(values, lo_v)) - math.log10(lo_v)) / (math.log10(hi_v) - math.log10(lo_v))
        decades = range(math.floor(math.log10(lo_v)), math.ceil(math.log10(hi_v)) + 1)
        ticks = [(float(10.0**d), formatter(10.0**d)) for d in decades if lo_v <= 10.0**d <= hi_v * 1.0001]
        if len(ticks) < 2:
            ticks = [(lo_v, formatter(lo_v)), (hi_v, formatter(hi_v))]
    else:
        lo_v = lo if lo is not None else (float(np.nanmin(values)) if ok.any() else 0.0)
        hi_v = hi if hi is not None else (float(np.nanmax(values)) if ok.any() else 1.0)
        if hi_v - lo_v < 1e-12:
            hi_v = lo_v + 1.0
        t = (values - lo_v) / (hi_v - lo_v)
        ticks = [(v, formatter(v)) for v in nice_ticks(lo_v, hi_v, 5)]
    cols = palette.ramp_many(ramp, t)
    no_data = palette.rgb("no_data")
    colors = {rid: (tuple(int(c) for c in cols[i]) if ok[i] else no_data) for i, rid in enumerate(ids)}
    legend = Legend(title or spec.label, ramp=ramp, lo=lo_v, hi=hi_v, log=log, ticks=ticks, note=note)
    if not ok.any():
        legend.note = "No data until the first quarter has been played"

    def describe(i: int) -> str:
        return formatter(float(values[i])) if ok[i] else "no data yet"

    return LayerData(spec, values, colors, legend, describe)  # type: ignore[arg-type]


def compute_layer(model: SovereignModel, key: str, palette: Palette) -> LayerData:
    """Compute one layer for the model's current state.

    Args:
        model: The game (read only).
        key: A key of :data:`LAYERS`.
        palette: Colours (the colour-blind palette changes ramps and categories).

    Returns:
        Values per region (scenario order), colours by region id, legend and tooltip formatter.
    """
    spec = LAYER_BY_KEY[key]
    sc = model.scenario
    ids = [r.id for r in sc.regions]
    if key == "sovereignty":
        return _continuous(spec, model, palette, _metric(model, "sovereignty_index"), "index", fmt.index, lo=0, hi=1)
    if key == "chip_security":
        return _continuous(spec, model, palette, _metric(model, "chip_security"), "index", fmt.index, lo=0, hi=1)
    if key == "grid_wait":
        wait = expected_wait_quarters(model)
        data = _continuous(spec, model, palette, np.minimum(wait, 40.0), "sequential", lambda v: f"{v:,.0f} q", lo=0.0)
        data.values = wait
        data.describe = lambda i: fmt.quarters(round(float(wait[i])))
        data.legend.title = "Wait for a grid connection, quarters"
        return data
    if key == "power_price":
        values = np.asarray(model.results.power.retail, float).copy()
        capped = np.minimum(values, 400.0)
        data = _continuous(spec, model, palette, capped, "sequential", lambda v: f"${v:,.0f}", lo=0.0)
        data.values = values
        data.describe = lambda i: fmt.usd_mwh(float(values[i]))
        data.legend.title = "Electricity price, $/MWh"
        if values.max() > 400:
            data.legend.note = "Prices above $400 (shortage) shown at the top colour"
        return data
    if key == "dc_capacity":
        values = region_dc_mw(model)
        data = _continuous(spec, model, palette, values, "sequential", fmt.mw, log=True, lo=10.0)
        data.legend.title = "Datacenter IT capacity (log scale)"
        data.describe = lambda i: fmt.mw(float(values[i]))
        return data
    if key == "compute_share":
        h = region_h100e(model)
        share = h / max(float(h.sum()), 1e-9)
        data = _continuous(spec, model, palette, share, "sequential", lambda v: fmt.pct(v), lo=0.0)
        data.describe = lambda i: f"{fmt.pct(float(share[i]), 1)} ({fmt.h100e(float(h[i]))})"
        data.legend.title = "Share of world accelerators"
        return data
    if key == "emissions":
        values = _metric(model, "emissions_mt")
        data = _continuous(spec, model, palette, values, "sequential", lambda v: f"{v:,.0f} Mt", log=True, lo=1.0)
        data.legend.title = "Power-sector CO2 per quarter (log scale)"
        return data
    if key == "export_tier":
        tiers = np.asarray(model.world.export_tier, int)
        colors = {rid: palette.tiers.get(int(tiers[i]), (128, 128, 128)) for i, rid in enumerate(ids)}
        legend = Legend(
            "Export-control tier",
            categories=[
                ("Tier 1: unrestricted", palette.tiers[1]),
                ("Tier 2: capped", palette.tiers[2]),
                ("Tier 3: barred from controlled chips", palette.tiers[3]),
            ],
        )
        return LayerData(spec, tiers.astype(float), colors, legend, lambda i: f"tier {int(tiers[i])}")
    if key == "blocs":
        members = np.asarray(model.world.bloc_member, bool)  # (B, R)
        colors: dict[str, RGB] = {}
        cats = [(b.name, palette.category(i)) for i, b in enumerate(sc.blocs)]
        first = np.full(len(ids), -1)
        for i in range(len(ids)):
            mine = np.flatnonzero(members[:, i]) if members.size else []
            first[i] = int(mine[0]) if len(mine) else -1
            colors[ids[i]] = palette.category(int(mine[0])) if len(mine) else palette.rgb("no_data")
        cats.append(("No bloc", palette.rgb("no_data")))
        multi = [ids[i] for i in range(len(ids)) if members.size and members[:, i].sum() > 1]
        note = "Regions in several blocs take the first bloc's colour" if multi else ""

        def describe(i: int) -> str:
            names = [sc.blocs[b].name for b in np.flatnonzero(members[:, i])] if members.size else []
            return ", ".join(names) if names else "no bloc"

        return LayerData(spec, first.astype(float), colors, Legend("Blocs", categories=cats, note=note), describe)
    raise KeyError(f"unknown layer {key!r}")


class LayerCache:
    """Computed layers keyed by (layer, session version, palette): colours are computed once a quarter."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int, str], LayerData] = {}

    def get(self, model: SovereignModel, key: str, version: int, palette: Palette) -> LayerData:
        """The layer, computing it on the first request after a change."""
        ck = (key, version, palette.name)
        data = self._cache.get(ck)
        if data is None:
            if len(self._cache) > 32:
                self._cache.clear()
            data = compute_layer(model, key, palette)
            self._cache[ck] = data
        return data

    def clear(self) -> None:
        """Forget everything (palette change, new game)."""
        self._cache.clear()
