"""Every sweep and sampled parameter the README and the docs show is a real field of the scenario.

A reader copies these commands first; one naming a field that was renamed fails at once with
"no field ...". This reads the documents themselves, so a new example is checked without being
listed here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sovereign.ensemble.design import apply_params, parse_range, parse_sweep
from sovereign.scenario.loader import load_scenario, scenario_to_dict

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
OPTION = re.compile(r"--(sweep|param)[ =]([A-Za-z_][\w.]*=[^\s`'\"]+)")


def _documented() -> list[tuple[str, str, str]]:
    found = []
    for doc in DOCUMENTS:
        for kind, text in OPTION.findall(doc.read_text(encoding="utf-8")):
            found.append((doc.name, kind, text))
    return found


def test_the_documents_show_designs():
    """The pattern finds the README's examples (a test that matched nothing would pass by accident)."""
    assert {doc for doc, _, _ in _documented()} >= {"README.md"}


@pytest.mark.parametrize(("doc", "kind", "text"), _documented(), ids=lambda v: str(v))
def test_a_documented_design_applies_to_the_bundled_baseline(doc, kind, text):
    base = scenario_to_dict(load_scenario(ROOT / "sovereign" / "scenarios" / "baseline.yaml"))
    if kind == "sweep":
        sweep = parse_sweep(text)
        points = [{sweep.path: v} for v in sweep.values]
    else:
        path, low, high = parse_range(text)
        points = [{path: low}, {path: high}]
    for params in points:
        apply_params(base, params, source=f"{doc}: --{kind} {text}")
