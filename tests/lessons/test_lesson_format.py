"""The `lesson:` section: the bundled lesson loads, malformed lessons are refused at the field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sovereign.data import bundled_scenarios_folder
from sovereign.scenario.catalog import bundled_lessons, bundled_names, resolve_scenario
from sovereign.scenario.loader import ScenarioError, load_scenario


def test_the_lesson_is_found_by_name_and_listed(lesson) -> None:
    path = resolve_scenario("export_controls")
    assert path == bundled_scenarios_folder() / "lessons" / "export_controls.yaml"
    assert "export_controls" in bundled_names() and path in bundled_lessons()
    assert lesson.meta.id == "export_controls"


def test_every_bundled_lesson_is_a_complete_lesson() -> None:
    for path in bundled_lessons():
        sc = load_scenario(path)
        lesson = sc.lesson
        assert lesson is not None, path
        assert 4 <= len(lesson.teams) <= 10
        assert {f.minutes for f in lesson.forms} == {45, 90}, "a 45- and a 90-minute form"
        assert sc.shared_risk is not None
        assert any(o.seat == "all" and o.metric == "shared_risk" and o.below for o in sc.objectives)
        team_seats = {t.seat for t in lesson.teams}
        assert team_seats <= {o.seat for o in sc.objectives}
        decisions = [i for i in sc.injects if i.decision]
        assert len(decisions) >= 2

        def has_effect(o) -> bool:
            return bool(o.cash_busd or o.events or o.subsidy is not None or o.security_busd_per_year is not None)

        assert all(any(has_effect(o) for o in i.decision) for i in decisions), "every decision has real effects"
        assert lesson.calibration is not None and len(lesson.calibration.rates) == len(sc.objectives)
        assert all(q.where for q in lesson.debrief)


def test_the_export_control_lesson_has_its_seats(lesson) -> None:
    seats = [t.seat for t in lesson.lesson.teams]
    assert seats[:2] == ["USA", "CHN"] and {"ARE", "SAU", "IND"} <= set(seats)
    injects = " ".join(i.headline + i.text for i in lesson.injects)
    for topic in ("licence", "seized", "Stargate UAE", "Humain"):
        assert topic in injects


def child(tmp_path: Path, body: str) -> Path:
    """A lesson file extending the bundled one (by name), with `body` from line 2."""
    path = tmp_path / "child.yaml"
    path.write_text("extends: export_controls\n" + textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def problems(path: Path, **overrides: object) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        load_scenario(path, overrides=overrides or None)
    return [str(p) for p in err.value.problems]


def test_a_form_longer_than_the_game_or_its_time_is_refused_at_its_line(tmp_path: Path) -> None:
    path = child(
        tmp_path,
        """
        lesson:
          forms:
            - minutes: 45
              quarters: 30
              minutes_per_quarter: 3
              timing: [{minute: 0, what: "Start"}, {minute: 50, what: "Too late"}]
        """,
    )
    found = problems(path)
    assert any(
        p.startswith(f"{path}:5:") and "lesson.forms.0.quarters" in p and "at most the scenario's 20 quarters" in p
        for p in found
    ), found
    assert any("lesson.forms.0.minutes_per_quarter" in p and "30 x 3 = 90 minutes" in p for p in found), found
    assert any("lesson.forms.0.timing.1.minute" in p and "before the end (45)" in p for p in found), found


def test_a_form_that_stops_before_the_objectives_deadline_is_refused(tmp_path: Path) -> None:
    path = child(
        tmp_path,
        """
        lesson:
          forms:
            - {minutes: 45, quarters: 8, minutes_per_quarter: 3, timing: [{minute: 0, what: "Start"}]}
        """,
    )
    [found] = problems(path)
    assert "lesson.forms.0.quarters" in found and "deadline (2030Q4)" in found and "to 2027Q4" in found


def test_unknown_team_seats_duplicates_and_seats_without_objectives_are_refused(tmp_path: Path) -> None:
    path = resolve_scenario("export_controls")
    found = problems(path, **{"lesson.teams.0.seat": "XXX", "lesson.teams.2.seat": "CHN"})
    assert any("lesson.teams.0.seat" in p and "'XXX' is neither a region nor an actor" in p for p in found), found
    assert any("lesson.teams.2.seat" in p and "'CHN' already has a role sheet" in p for p in found), found
    found = problems(path, **{"lesson.teams.0.seat": "JPN"})
    assert any("lesson.teams.0.seat" in p and "expected an objective for 'JPN'" in p for p in found), found


def test_too_few_teams_an_unknown_field_and_wrong_calibration_are_refused(tmp_path: Path) -> None:
    path = child(
        tmp_path,
        """
        lesson:
          tpoic: "typo"
          teams:
            - {seat: USA, role: "The licensor", goals: ["Lead"], levers: ["Licences"]}
          calibration: {seeds: 20, rates: [0.5, 1.5]}
        """,
    )
    found = problems(path)
    assert any(p.startswith(f"{path}:3:") and "unknown field 'tpoic', did you mean 'topic'?" in p for p in found)
    assert any("lesson.teams" in p and "expected at least 4 item(s), found 1" in p for p in found), found
    assert any("lesson.calibration.rates" in p and "within [0, 1], found 1.5" in p for p in found), found
    path = child(tmp_path, "lesson:\n  calibration: {seeds: 20, rates: [0.5]}\n")
    [found_one] = problems(path)
    assert "lesson.calibration.rates" in found_one and "one rate per objective (7), found 1" in found_one


def test_a_scenario_without_a_lesson_still_loads(tmp_path: Path) -> None:
    assert load_scenario(resolve_scenario("baseline")).lesson is None


def test_the_teaching_guide_lists_every_bundled_lesson_with_its_rates() -> None:
    from sovereign.lessons.guide import GUIDE, lessons_table, main

    guide = GUIDE.read_text(encoding="utf-8")
    assert lessons_table() in guide, "docs/teaching.md is stale: run python -m sovereign.lessons.guide"
    for path in bundled_lessons():
        sc = load_scenario(path)
        row = next(line for line in guide.splitlines() if line.startswith(f"| `{sc.meta.id}` |"))
        assert all(f"{r:.0%}" in row for r in sc.lesson.calibration.rates)
    assert main(["--check"]) == 0
