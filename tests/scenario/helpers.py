"""Shared helpers for the scenario tests: fixture paths, scratch files, problem look-ups."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sovereign.scenario import Problem, ScenarioError, load_scenario

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini.yaml"
MINI_TEXT = MINI.read_text(encoding="utf-8")


def write(directory: Path, name: str, text: str) -> Path:
    """Write a scenario file (dedented) and return its path."""
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def extending_mini(directory: Path, body: str, name: str = "child.yaml") -> Path:
    """A file whose line 1 is `extends: mini.yaml` and whose body starts on line 2.

    mini.yaml is copied beside it: a scenario may only extend files in its own folder (or bundled ones).
    """
    (directory / "mini.yaml").write_text(MINI_TEXT, encoding="utf-8")
    return write(directory, name, "extends: mini.yaml\n" + textwrap.dedent(body).lstrip("\n"))


def mini_variant(directory: Path, old: str, new: str, name: str = "variant.yaml") -> tuple[Path, int]:
    """mini.yaml with one unique snippet replaced; returns the file and the line of the new snippet."""
    assert MINI_TEXT.count(old) == 1, f"{old!r} is not unique in mini.yaml"
    text = MINI_TEXT.replace(old, new)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path, text[: text.index(new)].count("\n") + 1


def problems_of(path: Path, **kwargs: object) -> list[Problem]:
    """The problems `load_scenario` reports (it must raise)."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, **kwargs)  # type: ignore[arg-type]
    assert info.value.problems, "a ScenarioError must carry at least one problem"
    return info.value.problems


def problem_at(problems: list[Problem], path: str) -> Problem:
    """The single problem about field `path`."""
    found = [p for p in problems if p.path == path]
    assert len(found) == 1, f"expected one problem at {path}, got: {[str(p) for p in problems]}"
    return found[0]
