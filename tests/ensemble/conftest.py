"""Fixtures of the ensemble tests: the tiny scenario, short runs, and one reference ensemble."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sovereign.ensemble.design import Design, make_design
from sovereign.ensemble.runner import EnsembleSpec, run_ensemble
from sovereign.ensemble.store import read_table
from sovereign.ensemble.worker import EXECUTION_COLUMNS
from sovereign.scenario.loader import load_scenario

TINY = Path(__file__).resolve().parents[1] / "sim" / "fixtures" / "tiny.yaml"
#: Quarters per run: enough for every table and a fan chart, short enough to keep the suite fast.
QUARTERS = 2
SEED = 11
RUNS = 4
DATA_TABLES = ("nations", "firms", "world", "runs")


@pytest.fixture(scope="session")
def tiny_scenario():
    return load_scenario(TINY)


def make_spec(scenario, out: Path, design: Design | None = None, **kw: Any) -> EnsembleSpec:
    """An ensemble of the tiny scenario (default: RUNS repeats, QUARTERS quarters, 1 local worker)."""
    kw.setdefault("quarters", QUARTERS)
    kw.setdefault("workers", 1)
    return EnsembleSpec(TINY, scenario, design or make_design(runs=RUNS, seed=SEED), out, command=["test"], **kw)


def data_tables(out: Path) -> dict[str, pa.Table]:
    """Every table that must not depend on where or how runs were executed, sorted by run."""
    tables = {name: read_table(out, name) for name in DATA_TABLES}
    tables["runs"] = tables["runs"].drop_columns(list(EXECUTION_COLUMNS))
    return tables


@pytest.fixture(scope="session")
def reference(tiny_scenario, tmp_path_factory) -> Path:
    """RUNS repeats on one local worker: the data every other executor must reproduce."""
    out = tmp_path_factory.mktemp("reference") / "out"
    result = run_ensemble(make_spec(tiny_scenario, out, workers=1), show_progress=False)
    assert result.status == "complete" and result.succeeded == RUNS
    return out
