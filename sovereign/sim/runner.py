"""Headless runs: play a scenario with AI seats and write the tidy metrics tables.

Used by `sovereign run`, the Monte Carlo runner and the benchmarks, so a run is the same thing
everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sovereign.scenario.schema import Scenario
from sovereign.sim.model import SovereignModel

TABLES = ("nations", "firms", "world", "holdings", "connections", "plant_orders")


def run_scenario(
    scenario: Scenario,
    seed: int = 0,
    quarters: int | None = None,
    difficulty: str | None = None,
    progress: Callable[[SovereignModel], None] | None = None,
) -> SovereignModel:
    """Play `quarters` quarters (default: all) of a scenario with AI in every seat."""
    model = SovereignModel(scenario, rng=seed, difficulty=difficulty)
    model.run(quarters, progress=progress)
    return model


def to_arrow(rows: list[dict[str, Any]]) -> Any:
    """Rows as a pyarrow Table (columns in first-row order)."""
    import pyarrow as pa

    if not rows:
        return pa.table({})
    cols = list(rows[0])
    return pa.table({c: [r.get(c) for r in rows] for c in cols})


def write_tables(model: SovereignModel, out_dir: Path, fmt: str = "parquet") -> list[Path]:
    """Write the nations, firms, world and holdings tables to `out_dir` as Parquet or CSV."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in model.metrics.tables().items():
        table = to_arrow(rows)
        path = out_dir / f"{name}.{fmt}"
        if fmt == "parquet":
            pq.write_table(table, path)
        elif fmt == "csv":
            pacsv.write_csv(table, path)
        else:
            raise ValueError(f"unknown format {fmt!r}: use parquet or csv")
        written.append(path)
    return written
