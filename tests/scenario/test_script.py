"""Policy scripts: loading with file:line errors, the driver, ai: off, refusals and determinism."""

from __future__ import annotations

import string
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sovereign.scenario import load_scenario
from sovereign.scenario.script import (
    PolicyScript,
    ScriptError,
    apply_script,
    load_script,
    play_scripted,
    script_from_dict,
)
from sovereign.sim.commands import BuildDatacenter, SetLocalisation
from sovereign.sim.model import SovereignModel

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "sim" / "fixtures" / "tiny.yaml"
EXAMPLE = ROOT / "docs" / "examples" / "india_localisation_2027.yaml"

LOCALISE_2027 = "- {quarter: 2027Q1, seat: IND, command: {kind: set_localisation, enabled: true}}\n"


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(TINY)


def write(tmp_path: Path, text: str, name: str = "script.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems(path: Path, scenario) -> list[str]:
    with pytest.raises(ScriptError) as info:
        load_script(path, scenario)
    return [str(p) for p in info.value.problems]


def localisation(model) -> dict[str, bool]:
    """India's localisation flag by quarter, from the recorded metrics."""
    return {r["quarter"]: r["localisation"] for r in model.metrics.nations if r["region"] == "IND"}


# --------------------------------------------------------------------------- loading


def test_a_good_list_loads_with_typed_commands_and_lines(tmp_path, tiny):
    path = write(
        tmp_path,
        """
        # comments are fine
        - {quarter: 2027Q1, seat: IND, command: {kind: set_localisation, enabled: true}}
        - quarter: 2027Q2
          seat: bharat
          command: {kind: build_datacenter, region: IND, it_mw: 50}
        - {quarter: 2027Q3, seat: cloudco, ai: off}
        """,
    )
    script = load_script(path, tiny)
    assert [(e.quarter, e.seat, e.ai, e.line) for e in script.entries] == [
        ("2027Q1", "IND", True, 2),
        ("2027Q2", "bharat", True, 3),
        ("2027Q3", "cloudco", False, 6),
    ]
    assert script.entries[0].command == SetLocalisation(enabled=True)
    assert script.entries[1].command == BuildDatacenter(region="IND", it_mw=50)
    assert script.entries[2].command is None
    assert script.seats_without_ai("2027Q3") == {"cloudco"} and script.seats_without_ai("2027Q2") == set()
    assert script.source == str(path)


def test_the_mapping_form_and_the_list_form_are_the_same_script(tmp_path, tiny):
    listed = load_script(write(tmp_path, LOCALISE_2027, "a.yaml"), tiny)
    mapped = load_script(
        write(
            tmp_path,
            """
            description: ""
            seats: {}
            commands:
              # the same command, written another way
              - quarter: 2027Q1
                seat: IND
                command: {enabled: true, kind: set_localisation}
            """,
            "b.yaml",
        ),
        tiny,
    )
    assert listed.hash == mapped.hash
    assert listed.to_dict() == mapped.to_dict()
    other = load_script(write(tmp_path, LOCALISE_2027.replace("2027Q1", "2027Q2"), "c.yaml"), tiny)
    assert other.hash != listed.hash


def test_seat_settings_turn_the_ai_off_for_every_quarter(tmp_path, tiny):
    script = load_script(write(tmp_path, "seats: {CHN: {ai: off}, USA: {ai: on}}\ncommands: []\n"), tiny)
    assert script.ai_off == frozenset({"CHN"})
    assert script.seats_without_ai("2026Q1") == {"CHN"} == script.seats_without_ai("2027Q4")
    assert script.turns_ai_off


def test_to_dict_round_trips_through_script_from_dict(tmp_path, tiny):
    script = load_script(EXAMPLE, load_scenario(ROOT / "sovereign" / "scenarios" / "baseline.yaml"))
    again = script_from_dict(script.to_dict(), source="copy")
    assert again.hash == script.hash
    assert [e.command for e in again.entries] == [e.command for e in script.entries]
    assert all(e.line is None for e in again.entries)  # data has no lines


def test_the_shipped_example_is_valid_against_the_baseline():
    script = load_script(EXAMPLE, load_scenario(ROOT / "sovereign" / "scenarios" / "baseline.yaml"))
    assert script.entries[0].command == SetLocalisation(enabled=True)
    assert script.entries[0].quarter == "2027Q1" and script.entries[0].seat == "IND"


BAD = [
    # (file content, the exact problem)
    ("- {quarter: 2027Q1, seat: IND\n", "invalid YAML"),
    ("", "1:1: the file is empty: expected a list of scripted commands, or a mapping with commands:"),
    ("42\n", "1:1: expected a list of scripted commands, or a mapping with commands:, found 42"),
    (
        "- {quarter: 2027q1, seat: IND, ai: off}\n",
        "1:13: commands.0.quarter: expected a quarter like 2026Q1, found '2027q1'",
    ),
    (
        "- {quarter: 2031Q1, seat: IND, ai: off}\n",
        "1:13: commands.0.quarter: expected a quarter from 2026Q1 to 2027Q4, found '2031Q1'",
    ),
    (
        "- {quarter: 2027Q1, seat: INDIA, ai: off}\n",
        "1:27: commands.0.seat: expected a region or actor id of the scenario, found 'INDIA' (did you mean 'IND'?)",
    ),
    ("- {quarter: 2027Q1, seat: IND}\n", "1:3: commands.0: expected a command, or ai: off (the entry does nothing)"),
    ("- {quarter: 2027Q1, seat: IND, ai: perhaps}\n", "1:36: commands.0.ai: expected true or false, found 'perhaps'"),
    ("- {quarter: 2027Q1, seat: IND, command: [1]}\n", "1:32: commands.0.command: expected a mapping, found a list"),
    (
        "- {quarter: 2027Q1, seat: IND, command: {kind: localise}}\n",
        "1:48: commands.0.command.kind: expected one of 'build_datacenter', ",
    ),
    (
        "- {quarter: 2027Q1, seat: IND, command: {enabled: true}}\n",
        "1:32: commands.0.command.kind: missing required field",
    ),
    (
        "- {quarter: 2027Q1, seat: IND, command: {kind: set_subsidy}}\n",
        "1:32: commands.0.command.rate: missing required field",
    ),
    (
        "- {quarter: 2027Q1, seat: IND, command: {kind: set_subsidy, rate: 0.9}}\n",
        "1:67: commands.0.command.rate: expected a number <= 0.5, found 0.9",
    ),
    (
        "- {quarter: 2027Q1, seat: IND, command: {kind: set_localisation, enabled: maybe}}\n",
        "1:75: commands.0.command.enabled: expected true or false, found 'maybe'",
    ),
    (
        "- {quarter: 2027Q1, seat: IND, command: {kind: set_localisation, enabled: true, when: now}}\n",
        "1:81: commands.0.command.when: unknown field 'when' (allowed: kind, enabled)",
    ),
    (
        "- {quarter: 2027Q1, seat: bharat, command: {kind: set_localisation, enabled: true}}\n",
        "1:27: commands.0.seat: expected a nation (region id) for set_localisation, found 'bharat' (a conglomerate)",
    ),
    (
        "- {quarter: 2027Q1, seat: IND, command: {kind: set_export_tier, region: CHN, tier: 3}}\n",
        "1:27: commands.0.seat: expected a chip-producing nation (USA) for set_export_tier, found 'IND'",
    ),
    (
        "- {quarter: 2027Q1, seat: IND, command: {kind: build_plant, region: USA, technology: solar, mw: 10}}\n",
        "1:69: commands.0.command.region: expected 'IND' (a nation builds only on its own territory), found 'USA'",
    ),
    (
        "- {quarter: 2027Q1, seat: bharat, command: {kind: build_datacenter, region: MARS, it_mw: 10}}\n",
        "1:77: commands.0.command.region: expected a region id of the scenario, found 'MARS' (known: USA, CHN, IND)",
    ),
    (
        "- {quarter: 2027Q1, seat: fabco, command: {kind: build_fab, region: USA, accelerator: h200, "
        "h100e_per_quarter: 10}}\n",
        "1:87: commands.0.command.accelerator: expected an accelerator class of the scenario, found 'h200' "
        "(known: frontier, advanced, domestic)",
    ),
    (
        "- {quarter: 2027Q1, seat: IND, command: {kind: join_bloc, bloc: brix}}\n",
        "1:65: commands.0.command.bloc: expected a bloc id of the scenario, found 'brix' (did you mean 'brics'?)",
    ),
    (
        "comands: []\n",
        "1:1: comands: unknown field 'comands', did you mean 'commands'? (allowed: description, seats, commands)",
    ),
    (
        "seats: {MARS: {ai: off}}\n",
        "1:9: seats.MARS: expected a region or actor id of the scenario, found 'MARS' (known: USA, CHN, IND, cloudco",
    ),
    ("seats: {IND: {ai: off}, IND: {ai: on}}\n", "1:25: seats.IND: duplicate key 'IND' (first written at line 1)"),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_each_kind_of_bad_input_is_one_located_problem(tmp_path, tiny, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    found = problems(path, tiny)
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:" if expected == "invalid YAML" else f"{path}:{expected}"), found[0]
    assert expected in found[0]


def test_every_problem_is_reported_at_once_in_file_order(tmp_path, tiny):
    path = write(
        tmp_path,
        """
        - {quarter: 2040Q1, seat: IND, command: {kind: set_localisation, enabled: maybe}}
        - {quarter: 2027Q1, seat: nobody, ai: off}
        - {quarter: 2027Q1, seat: IND, command: {kind: set_subsidy, rate: 2}}
        """,
    )
    found = problems(path, tiny)
    assert [p.split(": ")[0].removeprefix(f"{path}:") for p in found] == ["1:13", "1:75", "2:27", "3:67"]
    # a broken command does not hide that its quarter is outside the scenario
    assert "commands.0.quarter: expected a quarter from 2026Q1 to 2027Q4" in found[0]


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path, tiny):
    (found,) = problems(tmp_path / "nope.yaml", tiny)
    assert found == f"{tmp_path / 'nope.yaml'}: cannot read the file: it does not exist"


# random YAML values anywhere in a script: loading returns a script or a ScriptError, never crashes
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(string.printable, max_size=12),
    st.sampled_from(["2027Q1", "2026Q4", "2099Q1", "IND", "bharat", "set_localisation", "build_fab", "off", "brics"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(string.ascii_lowercase, max_size=8), st.integers(0, 3)), inner, max_size=4),
    ),
    max_leaves=12,
)
_commands = st.fixed_dictionaries(
    {"kind": st.sampled_from(["set_localisation", "build_datacenter", "build_fab", "join_bloc", "decide", "nope"])},
    optional={
        "enabled": _scalars,
        "region": _scalars,
        "it_mw": _scalars,
        "accelerator": _scalars,
        "h100e_per_quarter": _scalars,
        "bloc": _scalars,
        "event_id": _scalars,
        "option": _scalars,
    },
)
_entries = st.fixed_dictionaries(
    {},
    optional={
        "quarter": st.one_of(st.sampled_from(["2026Q1", "2027Q4", "2028Q1", "2027Q5"]), _scalars),
        "seat": st.one_of(st.sampled_from(["IND", "USA", "bharat", "fabco", "ghost"]), _scalars),
        "command": st.one_of(_commands, _values),
        "ai": _scalars,
    },
)
_scripts = st.one_of(
    _values,
    st.lists(_entries, max_size=4),
    st.fixed_dictionaries({}, optional={"commands": st.lists(_entries, max_size=3), "seats": _values, "x": _values}),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_scripts)
def test_random_scripts_never_crash_the_loader(tmp_path, tiny, data):
    path = tmp_path / "random.yaml"
    try:
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    except yaml.YAMLError:
        return
    for load in (lambda: load_script(path, tiny), lambda: script_from_dict(data, tiny, "data")):
        try:
            script = load()
        except ScriptError as exc:
            assert exc.problems and all(p.message for p in exc.problems)
            continue
        assert isinstance(script, PolicyScript)
        script_from_dict(script.to_dict(), tiny)  # a valid script stays valid as data


# --------------------------------------------------------------------------- the driver


@pytest.fixture(scope="module")
def unscripted(tiny):
    model = SovereignModel(tiny, rng=5)
    model.run()
    return model


@pytest.fixture(scope="module")
def localised(tiny, tmp_path_factory):
    path = write(tmp_path_factory.mktemp("s"), LOCALISE_2027)
    model = SovereignModel(tiny, rng=5)
    outcomes = play_scripted(model, load_script(path, tiny))
    return model, outcomes


def test_a_scripted_localisation_in_2027_changes_the_world_from_that_quarter_on(unscripted, localised):
    model, outcomes = localised
    assert [(o.quarter, o.seat, o.accepted) for o in outcomes] == [("2027Q1", "IND", True)]
    before = localisation(unscripted)
    assert not any(before.values()), "without the script India never localises in this world"
    after = localisation(model)
    assert [q for q, on in after.items() if on] == ["2027Q1", "2027Q2", "2027Q3", "2027Q4"]
    # the law keeps India's regulated demand at home: the world's results differ from then on
    gov = {q: r["data_governance"] for r in model.metrics.nations if r["region"] == "IND" for q in [r["quarter"]]}
    gov0 = {q: r["data_governance"] for r in unscripted.metrics.nations if r["region"] == "IND" for q in [r["quarter"]]}
    assert all(gov[q] == gov0[q] for q in gov if q < "2027Q1")
    assert any(gov[q] != gov0[q] for q in gov if q >= "2027Q1")


def test_same_scenario_seed_and_script_give_identical_results(tiny, localised, tmp_path):
    model, outcomes = localised
    again = SovereignModel(tiny, rng=5)
    again_outcomes = play_scripted(again, load_script(write(tmp_path, LOCALISE_2027), tiny))
    assert again.metrics.tables() == model.metrics.tables()
    assert [o.command for o in again_outcomes] == [o.command for o in outcomes]


def _ai_quarters(model, seat: str) -> set[str]:
    return {e["quarter"] for e in model.command_log if e["seat"] == seat and e["origin"] == "ai"}


def test_ai_off_for_an_entry_leaves_that_quarter_to_the_script(tiny, unscripted, tmp_path):
    # cloudco's AI acts every quarter of this world; the script takes 2026Q3 from it
    assert {"2026Q2", "2026Q3", "2026Q4"} <= _ai_quarters(unscripted, "cloudco")
    path = write(
        tmp_path,
        """
        - {quarter: 2026Q3, seat: cloudco, ai: off}
        - {quarter: 2026Q3, seat: cloudco, command: {kind: raise_funding, busd: 1}}
        """,
    )
    model = SovereignModel(tiny, rng=5)
    outcomes = play_scripted(model, load_script(path, tiny), quarters=4)
    assert [o.accepted for o in outcomes] == [True]
    ai = _ai_quarters(model, "cloudco")
    assert "2026Q3" not in ai and {"2026Q2", "2026Q4"} <= ai, "the AI is back the quarter after"
    assert model.human_seats == set(), "the seat is handed back to the AI"


def test_ai_off_for_a_seat_leaves_every_quarter_to_the_script(tiny, tmp_path):
    model = SovereignModel(tiny, rng=5)
    play_scripted(model, load_script(write(tmp_path, "seats: {cloudco: {ai: off}}\n"), tiny), quarters=3)
    assert _ai_quarters(model, "cloudco") == set()
    assert model.human_seats == set()


def test_a_refused_scripted_command_is_reported_with_the_validators_reason(tiny, tmp_path):
    path = write(
        tmp_path, "- {quarter: 2026Q2, seat: IND, command: {kind: build_datacenter, region: IND, it_mw: 9000}}\n"
    )
    model = SovereignModel(tiny, rng=5)
    (outcome,) = play_scripted(model, load_script(path, tiny), quarters=2)
    assert not outcome.accepted
    assert outcome.reason.startswith("not enough budget: needs $63.0B")
    assert outcome.line == 1 and outcome.quarter == "2026Q2"
    assert outcome.describe().startswith("2026Q2 IND build_datacenter(region=IND, it_mw=9000.0): refused: not enough")


def test_apply_script_hands_seats_back_even_when_the_step_fails(tiny, tmp_path):
    model = SovereignModel(tiny, rng=5, human_seats=("USA",))
    script = load_script(write(tmp_path, "seats: {USA: {ai: off}, CHN: {ai: off}}\n"), tiny)
    with pytest.raises(RuntimeError), apply_script(model, script):
        assert model.human_seats == {"USA", "CHN"}
        raise RuntimeError("boom")
    assert model.human_seats == {"USA"}, "a seat people play stays theirs"


def test_play_scripted_stops_at_the_end_of_the_game(tiny, tmp_path):
    model = SovereignModel(tiny, rng=5)
    played = []
    play_scripted(model, load_script(write(tmp_path, LOCALISE_2027), tiny), quarters=100, progress=played.append)
    assert model.done and len(played) == 8


def test_a_script_error_survives_being_sent_between_processes(tmp_path, tiny):
    import pickle

    path = write(tmp_path, "- {quarter: 2027Q1, seat: nobody, ai: off}\n")
    with pytest.raises(ScriptError) as info:
        load_script(path, tiny)
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is ScriptError and copy.problems == info.value.problems and str(copy) == str(info.value)
