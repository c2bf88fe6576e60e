"""Generated sections of docs/validation.md: one tool's rewrite keeps every other section."""

from __future__ import annotations

import pytest

from sovereign.ensemble.docsection import write_section


def test_sections_replace_only_themselves(tmp_path):
    doc = tmp_path / "v.md"
    doc.write_text("# Title\n\nHand-written intro.\n")
    write_section(doc, "baseline", "baseline v1")
    write_section(doc, "chips", "chips v1")
    write_section(doc, "baseline", "baseline v2\nsecond line")
    text = doc.read_text()
    assert text.startswith("# Title\n\nHand-written intro.\n")
    assert "baseline v1" not in text and "baseline v2\nsecond line" in text
    assert text.index("baseline v2") < text.index("chips v1")
    assert text.count("<!-- chips:begin -->") == 1 and text.count("<!-- baseline:end -->") == 1


def test_a_broken_section_is_refused_and_the_file_kept(tmp_path):
    doc = tmp_path / "v.md"
    doc.write_text("<!-- chips:begin -->\nhalf a section\n")
    with pytest.raises(ValueError, match="no <!-- chips:end -->"):
        write_section(doc, "chips", "new")
    assert doc.read_text() == "<!-- chips:begin -->\nhalf a section\n"


def test_the_validation_doc_has_its_baseline_section():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "validation.md").read_text()
    assert "<!-- baseline:begin -->" in text and "<!-- baseline:end -->" in text
