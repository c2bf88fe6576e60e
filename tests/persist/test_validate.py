"""Whole-save validation: forged saves with a valid checksum are refused before any quarter is played.

The cases of issue 18 (cash as text, a huge integer, NaN PUE, wrong-shape arrays, a project without
``done``, metrics rows without a quarter, a command log entry that is a string, an exemption from
the replay check), a guard that real games always validate, and a structure-aware fuzz: any
mutation of a save, re-checksummed, is refused at the door, or loads, plays and is caught by
``replay --check`` unless it changed nothing.
"""

from __future__ import annotations

import copy
import gzip
import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sovereign.cli import main
from sovereign.persist import SaveError, read_save, replay_game
from sovereign.persist.codec import decode, encode
from sovereign.persist.files import encode_document, model_from_document
from sovereign.persist.replay import replay_state
from sovereign.persist.state import model_to_state
from sovereign.persist.validate import STATE_LAYOUT, SaveLayoutError, layout_problems, validate_state
from sovereign.scenario.loader import load_scenario
from sovereign.sim.model import SovereignModel

from .helpers import ROOT

#: Hypothesis examples of the fuzz in the default suite (~30 s); the `slow` profile runs many more.
FUZZ_EXAMPLES = int(os.environ.get("SOVEREIGN_FUZZ_EXAMPLES", "60"))


def document(raw: bytes) -> dict:
    """The JSON document inside a format-1 save."""
    return json.loads(gzip.decompress(raw[raw.index(b"\n") + 1 :]))


def forge(tmp_path, doc: dict, name: str = "forged.json.gz"):
    """Write `doc` as a save with a correct checksum, as a deliberate forger would."""
    path = tmp_path / name
    path.write_bytes(encode_document(doc))
    return path


def edit_decoded(doc: dict, part: str, change) -> dict:
    """Apply `change` to a decoded part of the game state and encode it back."""
    value = decode(doc["game"][part])
    value = change(value) or value
    doc["game"][part] = encode(value)
    return doc


def _seat(doc: dict, seat_id: str) -> dict:
    return next(s for s in doc["game"]["seats"] if s["id"] == seat_id)


def _set_cash(value):
    return _set_state("cloudco", "cash_busd", value)


def _set_state(seat_id, key, value):
    def change(doc):
        seat = _seat(doc, seat_id)
        state = decode(seat["state"])
        state[key] = value
        seat["state"] = encode(state)

    return change


def _world(field, new):
    def change(doc):
        edit_decoded(doc, "world", lambda w: w.__setitem__(field, new(w[field])))

    return change


def _drop_project_done(doc):
    def change(world):
        world["projects"][0].pop("done")

    edit_decoded(doc, "world", change)


def _metrics_row_without_quarter(doc):
    rows = decode(doc["game"]["metrics"]["nations"])
    rows[0].pop("quarter")
    doc["game"]["metrics"]["nations"] = encode(rows)


def _signals_unmet_as_text(doc):
    rows = decode(doc["game"]["metrics"]["signals"])
    rows[0]["chip_unmet"] = "text"
    doc["game"]["metrics"]["signals"] = encode(rows)


def _last_wrong_shape(doc):
    edit_decoded(doc, "results", lambda res: setattr(res.power, "dc_curtail", np.zeros(7)))


def _command_log_string(doc):
    doc["game"]["command_log"].insert(0, "build everything")


#: Issue 18's forged saves: (what, change, the field the refusal must name).
FORGERIES = [
    ("cash as text", _set_cash("lots"), "seats.3(cloudco).state.cash_busd"),
    ("cash a huge integer", _set_cash(10**400), "state.cash_busd"),
    ("NaN PUE", _world("pue", lambda a: np.where(np.arange(a.size) == 0, np.nan, a)), "world.pue"),
    ("wrong-shape world array", _world("dc_stock", lambda a: a[:, :2].copy()), "world.dc_stock"),
    ("wrong-shape last array", _last_wrong_shape, "results.power.dc_curtail"),
    ("project without done", _drop_project_done, "world.projects.0.done"),
    ("metrics row without a quarter", _metrics_row_without_quarter, "metrics.nations.0.quarter"),
    ("command log entry as text", _command_log_string, "command_log.0"),
    ("region index out of range", _world("dc_region", lambda a: a + 50), "world.dc_region"),
    # found by the long fuzz: the quarter prices queued commands before validating them again
    (
        "queued command in no region",
        lambda d: d["game"]["pending"]["IND"][1].update(region="X"),
        "pending.IND.1.region",
    ),
    ("queued answer to no decision", lambda d: d["game"]["pending"]["IND"][0].update(event_id=99), "pending.IND.0"),
    # found by the long fuzz: a group's other business as text reached the finance phase
    ("other business as text", _set_state("bharat", "other_business_busd", "text"), "state.other_business_busd"),
    # and text in the unfilled chip orders the fabs read
    (
        "unfilled chip orders as text",
        _signals_unmet_as_text,
        "metrics.signals.0.chip_unmet",
    ),
]


@pytest.mark.parametrize(("what", "change", "field"), FORGERIES, ids=[f[0] for f in FORGERIES])
def test_forged_saves_are_refused_naming_the_field(tmp_path, saved_bytes, capsys, what, change, field):
    doc = document(saved_bytes)
    change(doc)
    path = forge(tmp_path, doc)
    with pytest.raises(SaveError) as info:
        read_save(path)
    assert field in str(info.value) and str(path) in str(info.value)
    for argv in (["resume", str(path)], ["replay", str(path), "--check"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert field in err and "Traceback" not in err
    assert main(["saves", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "DAMAGED" in captured.out and "1 damaged" in captured.err


def test_every_problem_is_reported_in_one_pass(tmp_path, saved_bytes):
    doc = document(saved_bytes)
    for _, change, _ in FORGERIES[:4]:
        change(doc)
    with pytest.raises(SaveError) as info:
        read_save(forge(tmp_path, doc))
    text = str(info.value)
    assert "state.cash_busd" in text and "world.pue" in text and "world.dc_stock" in text


def test_a_format_1_file_cannot_exempt_state_from_the_replay_check(tmp_path, saved_bytes, capsys):
    doc = document(saved_bytes)
    _set_cash(1e6)(doc)  # AWS-style cheat: a million $B
    doc["replay"]["unrecorded"] = ["seats"]
    with pytest.raises(SaveError, match=r"replay\.unrecorded"):
        read_save(forge(tmp_path, doc))
    del doc["replay"]["unrecorded"]  # without the exemption the cheat loads, and the replay catches it
    path = forge(tmp_path, doc, "cheat.json.gz")
    report = replay_game(path)
    assert not report.ok and "seats" in report.divergence.parts
    assert main(["replay", str(path), "--check"]) == 1
    assert "final state identical" not in capsys.readouterr().out


def test_replay_compares_every_part(tmp_path, saved_bytes):
    """Each part of the state, changed alone (and still valid), makes the replay diverge."""
    for part, change in (
        ("economy", lambda g: setattr(g, "outside_busd", g.outside_busd + 1.0)),
        ("flows", lambda f: f.__setitem__("in:state budget", f.get("in:state budget", 0.0) + 1.0)),
        ("news", lambda n: n.append({**n[-1], "headline": "forged"})),
        ("retired_homes", None),
    ):
        doc = document(saved_bytes)
        if part == "retired_homes":
            doc["game"]["difficulty"] = "hard" if doc["game"]["difficulty"] != "hard" else "easy"
            part = "difficulty"
        else:
            edit_decoded(doc, part, change)
        report = replay_game(forge(tmp_path, doc, f"{part}.json.gz"))
        assert not report.ok and part in report.divergence.parts, part


@pytest.mark.parametrize("scenario", ["tests/sim/fixtures/tiny.yaml", "sovereign/scenarios/baseline.yaml"])
def test_real_games_validate_at_every_quarter(scenario):
    """The layout table follows the model: a state the game itself produces is never refused."""
    sc = load_scenario(ROOT / scenario)
    model = SovereignModel(sc, rng=11, human_seats=(sc.regions[0].id,))
    assert layout_problems(model_to_state(model), sc) == []
    quarters = 0
    while not model.done and quarters < 12:
        model.step()
        quarters += 1
        assert layout_problems(model_to_state(model), sc) == [], model.quarter_label


def test_layout_table_covers_every_state_part():
    from sovereign.persist.state import STATE_KEYS

    assert tuple(STATE_LAYOUT) == STATE_KEYS


def test_validate_state_raises_with_every_problem(tiny):
    state = model_to_state(SovereignModel(tiny, rng=1))
    broken = copy.deepcopy(state)
    broken["quarter"] = "soon"
    del broken["economy"]
    with pytest.raises(SaveLayoutError) as info:
        validate_state(broken, tiny)
    assert len(info.value.problems) == 2
    assert "game.quarter" in str(info.value) and "game.economy: missing" in str(info.value)


# -- the fuzz ---------------------------------------------------------------------------------
def _paths(value, where=()):
    """Every path into a decoded value (dict keys, list indices), with the value there."""
    yield where, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*where, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*where, i))


def _replacement(data, old):
    """A value of another kind, or an edge case of the same kind."""
    options = [
        "text",
        None,
        True,
        10**30,
        -1,
        0,
        float("nan"),
        float("inf"),
        1e300,
        [],
        {},
        [old],
        {"$f": "nan"},
    ]
    if isinstance(old, np.ndarray) and old.dtype.kind in "biuf":
        options += [
            old.reshape(-1)[:-1].copy() if old.size else np.zeros(3),
            np.full_like(old, np.nan, dtype=float),
            old.astype(np.int64) if old.dtype.kind == "f" else old.astype(float),
            ~old if old.dtype.kind == "b" else old + 10**6,
            old if old.dtype.kind == "b" else -old - 1,
            np.zeros((2, 2, 2)),
        ]
    if isinstance(old, int | float) and not isinstance(old, bool):
        options += [old + 1, -old, old * 1e20, str(old)]
    if isinstance(old, str):
        options += [old + "x", "", "\x1b[31m[bold]red"]
    return data.draw(st.sampled_from(options))


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz_structure_aware_mutations_refused_or_caught_by_replay(tmp_path, saved_bytes, data):
    """Mutate one value anywhere in the decoded state, re-encode, re-checksum: never a traceback.

    Either the loader refuses the file (SaveError), or the game loads, plays a quarter, and the
    replay check reports a divergence unless the mutation left the state unchanged.
    """
    doc = document(saved_bytes)
    original = copy.deepcopy(doc["game"])
    part = data.draw(st.sampled_from([k for k in doc["game"] if k != "scenario"] + ["replay"]))
    if part == "replay":
        holder, key = doc, "replay"
    else:
        holder, key = doc["game"], part
    decoded = decode(holder[key]) if part != "replay" else holder[key]
    paths = [p for p, _ in _paths(decoded)]
    path = data.draw(st.sampled_from(paths))
    action = data.draw(st.sampled_from(["replace", "delete", "add"]))
    if not path:
        decoded = _replacement(data, decoded)
    else:
        parent = decoded
        for k in path[:-1]:
            parent = parent[k]
        last = path[-1]
        if action == "delete":
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            parent[f"{last}_extra"] = _replacement(data, parent[last])
        elif action == "add" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
        else:
            parent[last] = _replacement(data, parent[last])
    try:
        holder[key] = encode(decoded) if part != "replay" else decoded
    except Exception:  # the mutation itself is not encodable (e.g. a nested tag): keep the part
        holder[key] = decoded if part == "replay" else holder[key]
    try:
        file = forge(tmp_path, doc)
    except (ValueError, TypeError):  # not JSON at all (a raw NaN): no file can hold it
        return
    try:
        save = read_save(file)
        model = model_from_document(save)
    except SaveError as exc:
        assert str(file) in str(exc)
        return
    if not model.done:
        model.step()  # a loaded game must play
    try:
        report = replay_state(save.state, save.recorded, save.human_seats, unrecorded=save.unrecorded)
    except SaveError:
        return
    state_changed = doc["game"] != original
    if state_changed and report.ok:
        # only the scenario's id and title are not state (provenance); nothing else may go unnoticed
        changed = {k for k in original if original[k] != doc["game"].get(k)}
        assert changed <= {"scenario"}, f"replay missed a change to {changed}"


@pytest.mark.slow
def test_fuzz_long_profile():
    """The same fuzz with many more examples (run with -m slow)."""
    import subprocess
    import sys

    env = {**os.environ, "SOVEREIGN_FUZZ_EXAMPLES": "1500"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{__file__}::{FUZZ_TEST}"]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    # the lines that locate a failure (the falsifying example's bytes would hide them)
    where = [line for line in result.stdout.splitlines() if "Error" in line or "Draw " in line or ".py:" in line]
    assert result.returncode == 0, "\n".join(where[:60])


FUZZ_TEST = "test_fuzz_structure_aware_mutations_refused_or_caught_by_replay"
