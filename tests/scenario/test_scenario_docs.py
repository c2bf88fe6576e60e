"""The scenario reference is generated from the schema and the committed copy is current."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovereign.scenario import docs, schema
from sovereign.scenario.schema import Scenario, Strict


def test_committed_reference_is_current() -> None:
    assert docs.DEFAULT_OUTPUT.read_text(encoding="utf-8") == docs.generate(), (
        "docs/scenario-reference.md is stale: run python -m sovereign.scenario.docs"
    )


def test_every_model_gets_a_section_starting_with_scenario() -> None:
    models = docs.models_in_order()
    assert models[0] is Scenario
    defined = {
        obj for obj in vars(schema).values() if isinstance(obj, type) and issubclass(obj, Strict) and obj is not Strict
    }
    assert set(models) == defined
    text = docs.generate()
    for model in models:
        assert f"\n## {model.__name__}\n" in text


def test_every_field_has_a_row_with_unit_range_and_default() -> None:
    text = docs.generate()
    assert "| `pue` | number | - | [1, 3] | required | Average power usage effectiveness of datacenters |" in text
    assert "| `voll_usd_mwh` | number | $/MWh | (0, 100000] | required |" in text
    assert "| `round_success` | number | - | [0, 1] | `0.6` |" in text
    assert "| `start` | quarter | - |  | required | First quarter played |" in text
    assert "| `online` | quarter or null | - |  | `null` |" in text
    assert "| `regions` | list of [Region](#region) | - | at least 1 item | required |" in text
    for model in docs.models_in_order():
        for name in model.model_fields:
            assert f"| `{name}` |" in text


def test_check_reports_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "reference.md"
    assert docs.main(["--check", "--output", str(target)]) == 1  # missing counts as stale
    assert docs.main(["--output", str(target)]) == 0
    assert docs.main(["--check", "--output", str(target)]) == 0
    target.write_text(target.read_text() + "edited by hand\n")
    assert docs.main(["--check", "--output", str(target)]) == 1
    assert "is stale" in capsys.readouterr().err
