"""The lesson's data for grading and for research: commands, messages and per-quarter results.

Five tidy tables, each as CSV (opens in any spreadsheet) and Parquet (typed, for pandas/R/polars):

- ``commands``: every order of the game, teams' and AI seats', with the quarter, the seat, the
  team that played it, whether it was accepted and why not;
- ``messages``: every message between teams, to everyone, from the teacher, and fired headlines;
- ``nations`` and ``firms``: the per-quarter results the game records (sovereignty pillars,
  budgets, revenue, valuation, market share);
- ``world``: the world's markets quarter by quarter (each chip class's price, supply and sales, the
  price of new compute and the average paid, electricity): where a chip shortage shows first.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from sovereign.web.lesson import Lesson

TABLES = ("commands", "messages", "nations", "firms", "world")
FORMATS = ("csv", "parquet")


def tables(lesson: Lesson) -> dict[str, list[dict[str, Any]]]:
    """The lesson's tables (`TABLES`) as rows of plain values."""
    team_of = {t.seat: t.name for t in lesson.teams.values()}
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    out["messages"] = [
        {**asdict(m), "to_name": lesson.teams[m.to].name if m.to in lesson.teams else m.to} for m in lesson.messages
    ]
    if lesson.session is None:
        return out
    model = lesson.session.model
    out["commands"] = [
        {
            "quarter": c["quarter"],
            "seat": c["seat"],
            "team": team_of.get(c["seat"], ""),
            "origin": c.get("origin", ""),
            "stage": c.get("stage", ""),
            "kind": c["command"].get("kind", ""),
            "command": json.dumps(c["command"], sort_keys=True),
            "accepted": bool(c["accepted"]),
            "reason": c.get("reason", ""),
        }
        for c in model.command_log
    ]
    out["nations"] = [_plain(r) for r in model.metrics.nations]
    out["firms"] = [_plain(r) for r in model.metrics.firms]
    out["world"] = [_plain(r) for r in model.metrics.world]
    return out


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A metrics row with numpy scalars as Python values (CSV and Arrow read them alike)."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """Rows as UTF-8 CSV with a header (the union of the rows' keys, in first-seen order)."""
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(keys))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def to_parquet(rows: list[dict[str, Any]]) -> bytes:
    """Rows as a Parquet file (an empty table keeps no columns)."""
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buf)
    return buf.getvalue()


def export(lesson: Lesson, table: str, fmt: str) -> bytes:
    """One table in one format.

    Raises:
        KeyError: An unknown table or format.
    """
    if table not in TABLES or fmt not in FORMATS:
        raise KeyError(f"export one of {', '.join(TABLES)} as {' or '.join(FORMATS)}")
    rows = tables(lesson)[table]
    return to_csv(rows) if fmt == "csv" else to_parquet(rows)


def export_zip(lesson: Lesson) -> bytes:
    """Every table in both formats in one zip, named after the lesson's room."""
    buf = io.BytesIO()
    data = tables(lesson)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, rows in data.items():
            zf.writestr(f"{name}.csv", to_csv(rows))
            zf.writestr(f"{name}.parquet", to_parquet(rows))
    return buf.getvalue()
