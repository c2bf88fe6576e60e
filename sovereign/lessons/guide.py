"""The table of bundled lessons in `docs/teaching.md`, written from the lessons themselves.

Each lesson's topic, forms, teams, what it teaches and its objectives' AI-only success rates live
in its own file (`lesson:`); the teacher's guide lists them in one table. Rendering the table from
the files means the guide can never show a stale rate after `tools/calibrate_lesson.py` is run and
its block pasted: a test checks the committed table is current.

Usage::

    python -m sovereign.lessons.guide            # rewrite the table in docs/teaching.md
    python -m sovereign.lessons.guide --check    # exit 1 if the table is stale
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sovereign.scenario.catalog import bundled_lessons
from sovereign.scenario.loader import load_scenario
from sovereign.scenario.schema import Scenario

__all__ = ["GUIDE", "lesson_row", "lessons_table", "main", "with_table"]

#: The teacher's guide.
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "teaching.md"
BEGIN = "<!-- lessons table: python -m sovereign.lessons.guide -->"
END = "<!-- end of lessons table -->"


def _length(sc: Scenario) -> str:
    assert sc.lesson is not None
    forms = sorted(sc.lesson.forms, key=lambda f: f.minutes)
    parts = [
        f"{f.minutes} min ({f.quarters} quarters of {f.minutes_per_quarter:g} min, "
        f"`--timer {round(f.minutes_per_quarter * 60)}`)"
        for f in forms
    ]
    return " or ".join(parts)


def lesson_row(sc: Scenario) -> str:
    """One lesson as a row: name, topic, length, teams, AI-only rates per objective, what it teaches."""
    lesson = sc.lesson
    if lesson is None:
        raise ValueError(f"{sc.meta.id} is not a lesson")
    teams = ", ".join(t.seat for t in lesson.teams)
    measured = lesson.calibration.rates if lesson.calibration else []
    rates = "; ".join(f"{o.seat} {r:.0%}" for o, r in zip(sc.objectives, measured, strict=False)) or "not measured"
    teaches = " ".join(lesson.teaches.split())
    cells = [f"`{sc.meta.id}`", lesson.topic, _length(sc), f"{len(lesson.teams)} ({teams})", rates, teaches]
    return "| " + " | ".join(cells) + " |"


def lessons_table(paths: Sequence[Path] | None = None) -> str:
    """The markdown table of the bundled lessons (or of the given lesson files)."""
    rows = [lesson_row(load_scenario(p)) for p in (paths if paths is not None else bundled_lessons())]
    head = (
        "| lesson | topic | length | teams | AI alone meets each objective (20 seeds) | what it teaches |\n"
        "|---|---|---|---|---|---|"
    )
    return "\n".join([head, *rows])


def with_table(guide: str, table: str) -> str:
    """The guide's text with the table between its markers replaced."""
    if BEGIN not in guide or END not in guide:
        raise ValueError(f"the guide has no lessons table between {BEGIN!r} and {END!r}")
    before, rest = guide.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    return f"{before}{BEGIN}\n{table}\n{END}{after}"


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite (or with --check, verify) the lessons table in docs/teaching.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed table is stale")
    args = parser.parse_args(argv)
    text = GUIDE.read_text(encoding="utf-8")
    new = with_table(text, lessons_table())
    if args.check:
        if new != text:
            print(f"{GUIDE} is stale: run python -m sovereign.lessons.guide", file=sys.stderr)
            return 1
        return 0
    GUIDE.write_text(new, encoding="utf-8")
    print(f"wrote the lessons table in {GUIDE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
