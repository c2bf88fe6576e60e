"""The scenario loader: every bad input gives file:line:column: field.path: expected/found, all at once."""

from __future__ import annotations

import copy
import hashlib
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sovereign.scenario import (
    Problem,
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_from_dict,
    scenario_hash,
    scenario_to_dict,
    set_path,
)

from .helpers import FIXTURES, MINI, extending_mini, mini_variant, problem_at, problems_of, write

# --------------------------------------------------------------------------- the good path


def test_mini_fixture_loads() -> None:
    scenario = load_scenario(MINI)
    assert isinstance(scenario, Scenario)
    assert [r.id for r in scenario.regions] == ["USA", "IND", "TWN"]
    assert len(scenario.actors) == 5
    assert scenario.time.n_quarters == 12


def test_problem_and_error_formatting() -> None:
    full = Problem("a.yaml", 3, 7, "regions.0.pue", "expected a number >= 1.0, found 0.8")
    assert str(full) == "a.yaml:3:7: regions.0.pue: expected a number >= 1.0, found 0.8"
    assert str(Problem("a.yaml", 3, None, "x", "m")) == "a.yaml:3: x: m"
    assert str(Problem("--set", None, None, "x.y", "m")) == "--set: x.y: m"
    assert str(Problem("a.yaml", 1, 1, "", "invalid YAML: m")) == "a.yaml:1:1: invalid YAML: m"
    error = ScenarioError([full, Problem("b.yaml", None, None, "p", "q")])
    assert str(error).splitlines() == [str(full), "b.yaml: p: q"]


def test_scenario_error_survives_pickling() -> None:
    """Monte Carlo workers send errors between processes."""
    error = ScenarioError([Problem("a.yaml", 1, 2, "p", "m")])
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems
    assert str(again) == str(error)


# --------------------------------------------------------------------------- structure problems


def test_unknown_key_is_reported_at_its_line_with_the_allowed_fields(tmp_path: Path) -> None:
    path = extending_mini(
        tmp_path,
        """
        regions:
          - id: IND
            pue_x: 1.2
        """,
    )
    (problem,) = problems_of(path)
    assert (problem.file, problem.line, problem.column) == (str(path), 4, 5)
    assert problem.path == "regions.1.pue_x"
    assert problem.message.startswith("unknown field 'pue_x', did you mean 'pue'? (allowed: id, name, iso3,")
    assert "security_spend_busd" in problem.message


def test_unknown_top_level_key_in_a_standalone_file(tmp_path: Path) -> None:
    path, line = mini_variant(tmp_path, "economics:\n", "economy: {}\neconomics:\n")
    (problem,) = problems_of(path)
    assert (problem.line, problem.column, problem.path) == (line, 1, "economy")
    assert "unknown field 'economy', did you mean 'economics'?" in problem.message


def test_wrong_type(tmp_path: Path) -> None:
    path = extending_mini(
        tmp_path,
        """
        economics:
          voll_usd_mwh: lots
          datacenter_build_quarters: 2.5
        regions:
          - {id: USA, chip_producer: maybe, iso3: USA}
        """,
    )
    problems = problems_of(path)
    assert len(problems) == 4
    voll = problem_at(problems, "economics.voll_usd_mwh")
    assert (voll.line, voll.column) == (3, 17)
    assert voll.message == "expected a number ($/MWh), found 'lots'"
    build = problem_at(problems, "economics.datacenter_build_quarters")
    assert (build.line, build.message) == (4, "expected a whole number (quarters), found 2.5")
    assert problem_at(problems, "regions.0.chip_producer").message == "expected true or false, found 'maybe'"
    assert problem_at(problems, "regions.0.iso3").message == "expected a list, found 'USA'"


def test_a_value_with_a_unit_in_it_names_the_expected_unit(tmp_path: Path) -> None:
    path = extending_mini(
        tmp_path,
        """
        regions:
          - id: IND
            base_demand_mw: 190 GW
        """,
    )
    (problem,) = problems_of(path)
    assert (problem.line, problem.column, problem.path) == (4, 21, "regions.1.base_demand_mw")
    assert problem.message == "expected a number (MW), found '190 GW'"


def test_out_of_range(tmp_path: Path) -> None:
    path = extending_mini(
        tmp_path,
        """
        regions:
          - id: IND
            pue: 0.8
            population_m: -3
          - id: TWN
            export_tier: 4
        technologies:
          solar: {capex_musd_per_mw: 70}
        """,
    )
    problems = problems_of(path)
    pue = problem_at(problems, "regions.1.pue")
    assert (pue.line, pue.column, pue.message) == (4, 10, "expected a number >= 1.0, found 0.8")
    population = problem_at(problems, "regions.1.population_m")
    assert (population.line, population.message) == (5, "expected a number > 0.0 (million), found -3")
    tier = problem_at(problems, "regions.2.export_tier")
    assert (tier.line, tier.message) == (7, "expected one of 1, 2 or 3, found 4")
    capex = problem_at(problems, "technologies.solar.capex_musd_per_mw")
    assert (capex.line, capex.column) == (9, 30)
    assert capex.message == "expected a number <= 50.0 ($M/MW), found 70"
    assert len(problems) == 4


def test_not_a_number_is_refused(tmp_path: Path) -> None:
    """NaN would slip past the reference checks (grid_mw has no range) and break the canonical JSON."""
    path = extending_mini(
        tmp_path,
        """
        regions:
          - id: USA
            grid_mw: {solar: .nan}
        """,
    )
    (problem,) = problems_of(path)
    assert (problem.line, problem.path) == (4, "regions.0.grid_mw.solar")
    assert problem.message == "expected a finite number (MW), found nan"


def test_invalid_mapping_key(tmp_path: Path) -> None:
    path = extending_mini(
        tmp_path,
        """
        regions:
          - id: USA
            grid_mw: {sollar: 5}
        """,
    )
    (problem,) = problems_of(path)
    assert (problem.line, problem.column, problem.path) == (4, 15, "regions.0.grid_mw.sollar")
    assert problem.message.startswith("invalid key: expected one of 'solar', 'wind',")
    assert problem.message.endswith("found 'sollar'")


def test_missing_required_field_points_at_its_parent(tmp_path: Path) -> None:
    path = extending_mini(
        tmp_path,
        """
        accelerators:
          - id: gb300
            name: Blackwell Ultra
            h100e_per_unit: 3
        """,
    )
    problems = problems_of(path)
    assert {p.path for p in problems} == {
        "accelerators.2.kw_per_h100e",
        "accelerators.2.price_usd_per_h100e",
        "accelerators.2.production_cost_usd_per_h100e",
    }
    assert all((p.line, p.column, p.message) == (3, 5, "missing required field") for p in problems)


def test_missing_section_in_a_standalone_file(tmp_path: Path) -> None:
    text = MINI.read_text().split("economics:\n")[0] + "demand:\n" + MINI.read_text().split("\ndemand:\n")[1]
    path = write(tmp_path, "no_economics.yaml", text)
    (problem,) = problems_of(path)
    assert (problem.path, problem.message) == ("economics", "missing required field")
    assert problem.line is not None


def test_duplicate_keys_are_reported(tmp_path: Path) -> None:
    path = extending_mini(
        tmp_path,
        """
        economics:
          voll_usd_mwh: 3000
          voll_usd_mwh: 5000
        """,
    )
    (problem,) = problems_of(path)
    assert (problem.line, problem.column, problem.path) == (4, 3, "economics.voll_usd_mwh")
    assert problem.message == "duplicate key 'voll_usd_mwh' (first written at line 3)"


# --------------------------------------------------------------------------- cross-references and sums


def test_references_to_regions_and_actors_that_do_not_exist(tmp_path: Path) -> None:
    path = extending_mini(
        tmp_path,
        """
        actors:
          - id: newco
            name: New Co
            kind: cloud
            home: ATL
            cash_busd: 1
            valuation_busd: 2
            datacenters:
              - {region: IND, it_mw: 10, accelerators: {h200: 5}}
        blocs:
          - {id: us_allies, members: [USA, TWN, GBR]}
        injects:
          - {quarter: 2027Q2, kind: news, headline: Takeover, actor: ghost}
        startups:
          home_weights: {USA: 0.2, ZZZ: 0.4}
        """,
    )
    problems = problems_of(path)
    home = problem_at(problems, "actors.5.home")
    assert (home.line, home.column) == (6, 11)
    assert home.message == "region 'ATL' does not exist (known: IND, TWN, USA)"
    accel = problem_at(problems, "actors.5.datacenters.0.accelerators.h200")
    assert (accel.line, accel.column, accel.message) == (10, 49, "unknown accelerator class")
    member = problem_at(problems, "blocs.0.members.2")
    assert (member.line, member.column) == (12, 41)
    actor = problem_at(problems, "injects.0.actor")
    assert (actor.line, actor.message) == (14, "actor 'ghost' does not exist")
    weight = problem_at(problems, "startups.home_weights.ZZZ")
    assert (weight.line, weight.column) == (16, 28)
    assert len(problems) == 5
    assert all(p.file == str(path) for p in problems)


def test_start_after_end(tmp_path: Path) -> None:
    path = extending_mini(
        tmp_path,
        """
        time:
          start: 2027Q1
          end: 2026Q4
        """,
    )
    (problem,) = problems_of(path)
    assert (problem.line, problem.column, problem.path) == (4, 8, "time.end")
    assert problem.message == "end 2026Q4 is before start 2027Q1"


def test_quarter_format(tmp_path: Path) -> None:
    path = extending_mini(tmp_path, "time: {end: 2028-Q4}\n")
    (problem,) = problems_of(path)
    assert (problem.line, problem.column, problem.path) == (2, 13, "time.end")
    assert problem.message == "expected a quarter like 2026Q1, found '2028-Q4'"


def test_sovereignty_weights_must_sum_to_one(tmp_path: Path) -> None:
    path = extending_mini(tmp_path, "sovereignty:\n  compute: 0.5\n")
    (problem,) = problems_of(path)
    assert (problem.line, problem.column, problem.path) == (2, 1, "sovereignty")
    assert problem.message == "sovereignty weights must sum to 1, found 1.25"


def test_slice_hours_must_sum_to_one(tmp_path: Path) -> None:
    path = extending_mini(
        tmp_path,
        """
        time:
          slices:
            - {name: night, hours_share: 0.5, demand_factor: 0.8}
            - {name: day, hours_share: 0.45, demand_factor: 1.1}
            - {name: peak, hours_share: 0.15, demand_factor: 1.3}
        """,
    )
    (problem,) = problems_of(path)
    assert (problem.line, problem.column, problem.path) == (3, 3, "time.slices")
    assert problem.message == "slices' hours_share must sum to 1, found 1.1"


def test_home_weights_must_sum_to_one(tmp_path: Path) -> None:
    path = extending_mini(tmp_path, "startups:\n  home_weights: {USA: 0.7}\n")  # merged with IND: 0.4
    (problem,) = problems_of(path)
    assert (problem.line, problem.column, problem.path) == (3, 3, "startups.home_weights")
    assert problem.message == "home_weights must sum to 1, found 1.1"


def test_time_problems_are_all_reported_together(tmp_path: Path) -> None:
    """Start after end and a bad hours sum are two problems, not the first of them."""
    path = extending_mini(
        tmp_path,
        """
        time:
          start: 2027Q1
          end: 2026Q4
          slices: [{name: all, hours_share: 0.9, demand_factor: 1}]
        """,
    )
    assert {p.path for p in problems_of(path)} == {"time.end", "time.slices"}


def test_availability_per_slice_is_a_reference_check(tmp_path: Path) -> None:
    path = extending_mini(tmp_path, "technologies:\n  gas: {availability: [0.9, 0.9]}\n")
    (problem,) = problems_of(path)
    assert (problem.line, problem.column, problem.path) == (3, 9, "technologies.gas.availability")
    assert problem.message == "expected 3 values (one per time slice), found 2"


def test_several_problems_are_reported_at_once_in_file_order() -> None:
    path = FIXTURES / "three_problems.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).splitlines() == [
        f"{path}:3:8: time.end: end 2025Q4 is before start 2026Q1",
        f"{path}:6:10: regions.1.pue: expected a number >= 1.0, found 0.8",
        f"{path}:7:5: regions.1.pue_x: unknown field 'pue_x', did you mean 'pue'? "
        "(allowed: id, name, iso3, marker, population_m, gdp_busd, gdp_growth, ai_budget_share, grid_mw, "
        "fuel_cost_factor, base_demand_mw, demand_growth, electricity_price_usd_mwh, conventional_dc_mw, "
        "conventional_dc_growth, pue, ai_demand_share, regulated_share, export_tier, localisation_law, "
        "permitting_quarters, dc_capex_musd_per_mw, threat_exposure, security_spend_busd, chip_producer, "
        "peak_hour_factor, connection_mw_per_year, connection_queue_mw, connection_moratorium_until, "
        "onsite_required, large_load_tariff_usd_mwh, min_take_share, utility_technologies, source)",
    ]


def test_structure_and_file_problems_come_together(tmp_path: Path) -> None:
    path = extending_mini(
        tmp_path,
        """
        economics: {voll_usd_mwh: 2, voll_usd_mwh: -1}
        actors:
          - {id: ghost, remove: true}
        regions: [{id: IND, pue: 9}]
        """,
    )
    problems = problems_of(path)
    assert [(p.line, p.path) for p in problems] == [
        (2, "economics.voll_usd_mwh"),
        (2, "economics.voll_usd_mwh"),
        (4, "actors.ghost"),
        (5, "regions.1.pue"),
    ]
    assert problems[0].message == "duplicate key 'voll_usd_mwh' (first written at line 2)"
    assert problems[1].message == "expected a number > 0.0 ($/MWh), found -1"
    assert problems[2].message == "cannot remove 'ghost': no inherited item has that id"


# --------------------------------------------------------------------------- unreadable files


def test_yaml_syntax_error_has_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", "meta:\n  id: x\n title: y\n")
    (problem,) = problems_of(path)
    assert (problem.file, problem.line, problem.column) == (str(path), 3, 2)
    assert problem.message.startswith("invalid YAML: ")


def test_unclosed_bracket(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", "regions: [1, 2\n")
    (problem,) = problems_of(path)
    assert problem.line == 2
    assert "expected ',' or ']'" in problem.message


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b"", 1, "the file is empty: expected a mapping of scenario sections"),
        (b"# only a comment\n", 1, "the file is empty: expected a mapping of scenario sections"),
        (b"- 1\n- 2\n", 1, "expected a mapping of Scenario fields, found a list"),
        (b"meta: 1\n\xff\xfe\n", 2, "expected UTF-8 text, found bytes that are not UTF-8"),
        (b"a: 1\x00\n", 1, "invalid YAML: "),  # libyaml and PyYAML word it differently
        (b"a: !!python/object:os.system {}\n", 1, "cannot read this value: could not determine a constructor"),
        (b"a: &x [*x]\n", 1, "an alias refers to a value that contains it (endless nesting)"),
        (b"a: 1\n---\nb: 2\n", 2, "invalid YAML"),
        (b"meta: {id: x, title: y}\n? [a, b]\n: 1\n", 2, "expected a plain key (a name), found a list"),
    ],
)
def test_unreadable_content(tmp_path: Path, content: bytes, line: int, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    problems = problems_of(path)
    assert any(p.line == line and p.message.startswith(message) for p in problems), [str(p) for p in problems]


def test_missing_file(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path / "nope.yaml")
    assert str(problem) == f"{tmp_path / 'nope.yaml'}: cannot read the file: it does not exist"


def test_impossible_date_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = extending_mini(tmp_path, "meta: {title: 2026-13-45}\n")
    problems = problems_of(path)
    assert problems[0].line == 2
    assert "cannot read this value" in problems[0].message


def test_libyaml_and_pure_python_parsers_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader uses libyaml when available; the pure-Python SafeLoader must give the same results."""
    from sovereign.scenario import loader

    with_c = load_scenario(MINI), [str(p) for p in problems_of(FIXTURES / "three_problems.yaml")]
    monkeypatch.setattr(loader, "_SafeLoader", yaml.SafeLoader)
    assert (load_scenario(MINI), [str(p) for p in problems_of(FIXTURES / "three_problems.yaml")]) == with_c


# --------------------------------------------------------------------------- extends


def test_teaching_scenario_in_a_few_lines() -> None:
    teach = load_scenario(FIXTURES / "teach.yaml")
    mini = load_scenario(MINI)
    assert (teach.meta.id, teach.meta.title) == ("teach", "Lesson: power is the bottleneck")
    assert teach.meta.briefing == mini.meta.briefing  # mappings merge key by key
    assert (teach.time.start, teach.time.end) == ("2026Q1", "2027Q4")
    assert teach.regions[1].pue == 1.6
    assert teach.regions[1].model_copy(update={"pue": mini.regions[1].pue}) == mini.regions[1]
    assert [a.id for a in teach.actors] == ["bigcloud", "foundry", "tatva", "frontier_lab"]
    assert teach.technologies == mini.technologies


def test_id_lists_merge_by_id_and_other_lists_replace(tmp_path: Path) -> None:
    path = extending_mini(
        tmp_path,
        """
        regions:
          - id: TWN
            iso3: [TWN, MAC]
            grid_mw: {gas: 30000}
        actors:
          - {id: newlab, name: New Lab, kind: lab, home: TWN, cash_busd: 1, valuation_busd: 5}
          - {id: foundry, cash_busd: 45, remove: false}
          - {id: tatva, remove: true}
        time:
          slices: [{name: all, hours_share: 1, demand_factor: 1}]
        technologies:
          solar: {availability: [0.3]}
          gas: {availability: [0.9]}
          nuclear: {availability: [0.9]}
        """,
    )
    scenario = load_scenario(path)
    twn = scenario.regions[2]
    assert twn.iso3 == ["TWN", "MAC"]  # a plain list is replaced
    assert twn.grid_mw == {"solar": 15000, "gas": 30000, "nuclear": 1000}  # a mapping merges
    assert twn.name == "Taiwan"
    assert [a.id for a in scenario.actors] == ["bigcloud", "foundry", "frontier_lab", "smallco", "newlab"]
    assert scenario.actors[1].cash_busd == 45
    assert scenario.actors[1].fabs[0].h100e_per_quarter == 400000  # untouched fields are inherited
    assert [s.name for s in scenario.time.slices] == ["all"]


def test_removing_with_a_non_boolean(tmp_path: Path) -> None:
    path = extending_mini(tmp_path, "actors:\n  - {id: tatva, remove: yes please}\n")
    (problem,) = problems_of(path)
    assert (problem.line, problem.path) == (3, "actors.tatva.remove")
    assert problem.message == "expected true or false, found 'yes please'"


def test_inherited_values_point_at_the_parent_and_overridden_ones_at_the_child(tmp_path: Path) -> None:
    parent, parent_line = mini_variant(tmp_path, "    pue: 1.4\n", "    pue: 0.9\n", name="parent.yaml")
    child = write(
        tmp_path,
        "child.yaml",
        """
        extends: parent.yaml
        regions:
          - id: IND
            pue: 0.7
          - id: USA
            name: United States of America
        """,
    )
    problems = problems_of(child)
    inherited = problem_at(problems, "regions.2.pue")
    assert (inherited.file, inherited.line, inherited.column) == (str(parent), parent_line, 10)
    overridden = problem_at(problems, "regions.1.pue")
    assert (overridden.file, overridden.line, overridden.column) == (str(child), 4, 10)


def test_extends_chain_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mini.yaml").write_text(MINI.read_text())
    write(tmp_path, "sub/middle.yaml", "extends: mini.yaml\ntime: {end: 2027Q4}\n")
    top = write(tmp_path, "top.yaml", "extends: sub/middle.yaml\nmeta: {title: Top}\nregions: [{id: IND, pue: 0}]\n")
    scenario_problems = problems_of(top)
    assert [(p.file, p.line) for p in scenario_problems] == [(str(top), 3)]
    (tmp_path / "top.yaml").write_text("extends: sub/middle.yaml\nmeta: {title: Top}\n")
    scenario = load_scenario(top)
    assert (scenario.meta.title, scenario.time.end) == ("Top", "2027Q4")


def test_missing_extends_target(tmp_path: Path) -> None:
    path = write(tmp_path, "child.yaml", "# a lesson\nextends: nope.yaml\nmeta: {title: x}\n")
    (problem,) = problems_of(path)
    assert (problem.file, problem.line, problem.column, problem.path) == (str(path), 2, 10, "extends")
    assert problem.message == (
        f"expected an existing scenario file, found 'nope.yaml' (no file {tmp_path / 'nope.yaml'}, "
        "and no user or bundled scenario of that name)"
    )


def test_extends_must_name_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, "child.yaml", "extends: [a.yaml]\n")
    (problem,) = problems_of(path)
    assert (problem.line, problem.path, problem.message) == (
        1,
        "extends",
        "expected the name of a scenario file, found a list",
    )


def test_extends_cycle(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "extends: b.yaml\n")
    b = write(tmp_path, "b.yaml", "meta: {title: B}\nextends: a.yaml\n")
    (problem,) = problems_of(a)
    assert (problem.file, problem.line, problem.path) == (str(b), 2, "extends")
    assert problem.message == f"extends cycle: {a} -> {b} -> {a}"


def test_a_file_that_extends_itself(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "extends: ./a.yaml\n")
    (problem,) = problems_of(a)
    assert problem.message.startswith("extends cycle: ")


def test_a_syntax_error_in_the_parent_names_the_parent(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", "meta: [\n")
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\n")
    (problem,) = problems_of(child)
    assert problem.file == str(tmp_path / "parent.yaml")
    assert problem.message.startswith("invalid YAML")


# --------------------------------------------------------------------------- set_path and overrides


@pytest.fixture
def mini_data() -> dict:
    return yaml.safe_load(MINI.read_text())


@pytest.mark.parametrize(
    ("dotted", "value", "get", "expected"),
    [
        ("economics.voll_usd_mwh", "5000", lambda d: d["economics"]["voll_usd_mwh"], 5000),
        ("regions.IND.pue", "1.25", lambda d: d["regions"][1]["pue"], 1.25),
        ("regions.2.pue", 1.1, lambda d: d["regions"][2]["pue"], 1.1),
        ("technologies.solar.capex_musd_per_mw", "0.7", lambda d: d["technologies"]["solar"]["capex_musd_per_mw"], 0.7),
        (
            "export_controls.tier_caps_h100e_per_quarter.2.b200",
            "0",
            lambda d: d["export_controls"]["tier_caps_h100e_per_quarter"][2]["b200"],
            0,
        ),
        ("regions.USA.iso3", "[USA, PRI]", lambda d: d["regions"][0]["iso3"], ["USA", "PRI"]),
        ("meta.title", "A new world", lambda d: d["meta"]["title"], "A new world"),
        ("regions.TWN.localisation_law", "true", lambda d: d["regions"][2]["localisation_law"], True),
        ("actors.tatva.plants.0.mw", "7000", lambda d: d["actors"][2]["plants"][0]["mw"], 7000),
        # Fields left at their defaults can be set; missing sections are created.
        ("events.heatwave", "0.2", lambda d: d["events"]["heatwave"], 0.2),
        ("regions.IND.fuel_cost_factor", "1.5", lambda d: d["regions"][1]["fuel_cost_factor"], 1.5),
        # Free mappings accept new keys.
        ("startups.home_weights.TWN", "0", lambda d: d["startups"]["home_weights"]["TWN"], 0),
    ],
)
def test_set_path(mini_data: dict, dotted: str, value: object, get: object, expected: object) -> None:
    set_path(mini_data, dotted, value)
    assert get(mini_data) == expected  # type: ignore[operator]
    scenario_from_dict(mini_data)  # still a valid scenario


@pytest.mark.parametrize(
    ("dotted", "value", "fragment"),
    [
        ("economics.voll_usd_mhw", 1, "no field 'voll_usd_mhw' in economics (nearest valid keys: voll_usd_mwh"),
        ("regions.XYZ.pue", 1, "no item 'XYZ' in regions (items: USA, IND, TWN)"),
        ("regions.7.pue", 1, "no item '7' in regions"),
        ("regions.\u00b2.pue", 1, "no item '\u00b2' in regions"),
        ("ecnomics.voll_usd_mwh", 1, "no field 'ecnomics' in the scenario (nearest valid keys: economics"),
        ("meta.title.x", 1, "meta.title is a single value ('Mini world'), it has no field 'x'"),
        (
            "technologies.fusion.capex_musd_per_mw",
            1,
            "no field 'fusion' in technologies (valid keys: solar, gas, nuclear, wind, hydro",
        ),
        ("technologies.sollar.capex_musd_per_mw", 1, "no field 'sollar' in technologies (nearest valid keys: solar"),
        ("events.heatwav", 1, "no field 'heatwav' in events (nearest valid keys: heatwave"),
        ("events.nosuch.deeper", 1, "no field 'nosuch' in events"),
        ("", 1, "expected a dotted path"),
        ("economics..voll_usd_mwh", 1, "expected a dotted path"),
        ("economics.voll_usd_mwh", "[1,", "cannot read the value '[1,' as YAML"),
    ],
)
def test_set_path_refuses_paths_that_do_not_exist(mini_data: dict, dotted: str, value: object, fragment: str) -> None:
    before = copy.deepcopy(mini_data)
    with pytest.raises(ScenarioError) as info:
        set_path(mini_data, dotted, value)
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.path) == ("--set", None, dotted)
    assert fragment in problem.message
    assert mini_data == before  # nothing half-applied


def test_load_with_overrides() -> None:
    scenario = load_scenario(MINI, overrides={"regions.IND.pue": "1.25", "economics.voll_usd_mwh": 5000})
    assert scenario.regions[1].pue == 1.25
    assert scenario.economics.voll_usd_mwh == 5000.0


def test_overrides_apply_after_extends() -> None:
    scenario = load_scenario(FIXTURES / "teach.yaml", overrides={"regions.IND.pue": "1.2", "time.end": "2027Q2"})
    assert (scenario.regions[1].pue, scenario.time.end) == (1.2, "2027Q2")


def test_bad_overrides_are_reported_with_the_other_problems(tmp_path: Path) -> None:
    path = extending_mini(tmp_path, "economics: {voll_usd_mwh: -1}\n")
    problems = problems_of(path, overrides={"regions.IND.pue": "0.5", "regions.IND.pux": 1, "meta.title": "Fine"})
    assert [str(p) for p in problems] == [
        "--set: regions.IND.pux: no field 'pux' in regions.IND (nearest valid keys: pue)",
        "--set: regions.1.pue: expected a number >= 1.0, found 0.5",
        f"{path}:2:27: economics.voll_usd_mwh: expected a number > 0.0 ($/MWh), found -1",
    ]


def test_an_override_of_a_whole_section_owns_its_positions() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(MINI, overrides={"sovereignty": "{compute: 1, power: 1}"})
    (problem,) = info.value.problems
    assert str(problem) == "--set: sovereignty: sovereignty weights must sum to 1, found 2.55"


# --------------------------------------------------------------------------- dicts, round trips, hashes


def test_scenario_from_dict_reports_without_lines() -> None:
    data = yaml.safe_load(MINI.read_text())
    del data["meta"]
    data["regions"][0]["pue"] = "high"
    data["actors"][0]["home"] = "ATL"
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, source="save.json")
    # one pass: the bad reference is reported with the structural problems (issue 18)
    assert [str(p) for p in info.value.problems] == [
        "save.json: meta: missing required field",
        "save.json: regions.0.pue: expected a number, found 'high'",
        "save.json: actors.0.home: region 'ATL' does not exist (known: IND, TWN, USA)",
    ]
    del data["regions"][0]["pue"]
    data["meta"] = {"id": "x", "title": "y"}
    data["regions"][0]["pue"] = 1.2
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, source="save.json")
    assert [str(p) for p in info.value.problems] == [
        "save.json: actors.0.home: region 'ATL' does not exist (known: IND, TWN, USA)"
    ]


def test_scenario_from_dict_refuses_non_mappings() -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict([1, 2])
    assert str(info.value) == "<dict>: expected a mapping of Scenario fields, found a list"


def test_round_trip_through_json_is_exact() -> None:
    scenario = load_scenario(MINI)
    data = scenario_to_dict(scenario)
    text = json.dumps(data)
    again = scenario_from_dict(json.loads(text))
    assert again == scenario
    assert scenario_to_dict(again) == data
    assert scenario_hash(again) == scenario_hash(scenario)


def test_hash_is_canonical() -> None:
    scenario = load_scenario(MINI)
    digest = scenario_hash(scenario)
    assert len(digest) == 64 and int(digest, 16) >= 0
    # Key order, defaults written out and integer-vs-float spelling do not change the world.
    data = yaml.safe_load(MINI.read_text())
    reordered = dict(reversed(list(data.items())))
    reordered["seats"] = {"difficulty": "normal"}
    reordered["economics"]["voll_usd_mwh"] = 3000.0
    assert scenario_hash(scenario_from_dict(reordered)) == digest
    # Any change of value does.
    reordered["economics"]["voll_usd_mwh"] = 3000.5
    assert scenario_hash(scenario_from_dict(reordered)) != digest


def test_hash_is_stable_across_processes() -> None:
    code = (
        "import sys; from sovereign.scenario import load_scenario, scenario_hash; "
        "print(scenario_hash(load_scenario(sys.argv[1])))"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code, str(MINI)],
            check=True,
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert digests == {scenario_hash(load_scenario(MINI))}


def test_hash_is_sha256_of_the_canonical_json() -> None:
    """Pin the definition: other tools (reports, notebooks) can recompute it."""
    scenario = load_scenario(MINI)
    canonical = json.dumps(scenario_to_dict(scenario), sort_keys=True, separators=(",", ":"))
    assert scenario_hash(scenario) == hashlib.sha256(canonical.encode("ascii")).hexdigest()


def test_hash_accepts_any_text() -> None:
    data = scenario_to_dict(load_scenario(MINI))
    data["meta"]["title"] = "Café ☕ \ud800"  # a lone surrogate cannot be encoded as UTF-8
    assert len(scenario_hash(scenario_from_dict(data))) == 64
