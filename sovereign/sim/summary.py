"""Summary tables of a finished (or interrupted) run, for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

from sovereign.scenario.schema import quarter_label

if TYPE_CHECKING:
    from rich.console import JustifyMethod

    from sovereign.sim.model import SovereignModel


def summary_tables(model: SovereignModel) -> list[Table]:
    """Final sovereignty index and pillars per nation, compute shares, electricity and prices."""
    if not model.metrics.nations:
        return []
    last_q = quarter_label(model.quarter - 1)
    rows = sorted((r for r in model.metrics.nations if r["quarter"] == last_q), key=lambda r: -r["sovereignty_index"])
    t = Table(title=f"{model.scenario.meta.title}: nations at {last_q}", title_justify="left")
    col: str
    j: JustifyMethod
    for col, j in (
        ("region", "left"),
        ("index", "right"),
        ("compute", "right"),
        ("power", "right"),
        ("chips", "right"),
        ("data", "right"),
        ("cyber", "right"),
        ("compute share", "right"),
        ("DC TWh/yr", "right"),
        ("retail $/MWh", "right"),
        ("compute $/h", "right"),
    ):
        t.add_column(col, justify=j)
    for r in rows:
        t.add_row(
            r["region"],
            f"{r['sovereignty_index']:.3f}",
            f"{r['compute_self_reliance']:.2f}",
            f"{r['power_adequacy']:.2f}",
            f"{r['chip_security']:.2f}",
            f"{r['data_governance']:.2f}",
            f"{r['cyber_resilience']:.2f}",
            f"{100 * r['compute_share']:.1f}%",
            f"{4 * r['dc_electricity_twh']:.1f}",
            f"{r['retail_price_usd_mwh']:.0f}",
            f"{r['compute_price_usd_hour']:.2f}",
        )
    w = model.metrics.world
    g = Table(title="World by year (datacenter electricity, compute, prices)", title_justify="left")
    for col in ("year", "DC TWh", "AI TWh", "compute H100e (M)", "served (M)", "compute $/h", "emissions Mt"):
        g.add_column(col, justify="right")
    years: dict[str, list[dict[str, Any]]] = {}
    for row in w:
        years.setdefault(row["quarter"][:4], []).append(row)
    for year, rs in years.items():
        g.add_row(
            year + ("" if len(rs) == 4 else f" ({len(rs)}q)"),
            f"{sum(r['dc_electricity_twh'] for r in rs) * 4 / len(rs):.0f}",
            f"{sum(r['ai_electricity_twh'] for r in rs) * 4 / len(rs):.0f}",
            f"{rs[-1]['compute_capacity_h100e'] / 1e6:.1f}",
            f"{rs[-1]['compute_served_h100e'] / 1e6:.1f}",
            f"{rs[-1]['compute_price_usd_hour']:.2f}",
            f"{sum(r['emissions_mt'] for r in rs) * 4 / len(rs):,.0f}",
        )
    return [t, g]
