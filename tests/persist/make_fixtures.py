"""Write the fixture saves of every format under tests/persist/fixtures/ (run by hand, commit the result).

    python tests/persist/make_fixtures.py

Every fixture holds the same game: the tiny scenario, seed 7, people playing India and CloudCo
(`helpers.PLAN`), saved after 3 quarters with 2026Q4's commands queued and India's decision
pending. The current format's fixture is written by `save_game`; ``save_v0`` and ``save_v1`` were
written by Sovereign 0.1 and are kept to test that older games are refused with a reason. Format 0 never shipped (it is the
pre-release layout, see `sovereign.persist.migrations`), so ``save_v0.json.gz`` is made by
`downgrade_to_v0`, the exact inverse of the 0 -> 1 migration for what format 0 could express.
Regenerate only when a format changes; old fixtures must keep loading.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))


def _v0_value(value: Any) -> Any:
    """Format-1 codec tags -> format-0 tags (see the format-0 layout in migrations)."""
    if isinstance(value, list):
        return [_v0_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"$nd"}:
        body = value["$nd"]
        return {"__ndarray__": body["data"], "dtype": body["dtype"], "shape": body["shape"]}
    if set(value) == {"$np"}:
        body = value["$np"]
        return {"__ndarray__": body["data"], "dtype": body["dtype"], "shape": None}
    if set(value) == {"$f"}:
        return {"__float__": value["$f"]}
    if set(value) == {"$tuple"}:
        return {"__tuple__": _v0_value(value["$tuple"])}
    if set(value) == {"$obj"}:
        return {"__dataclass__": value["$obj"]["class"], "fields": _v0_value(value["$obj"]["fields"])}
    if set(value) == {"$dict"}:
        return {str(k): _v0_value(v) for k, v in value["$dict"]}
    return {k: _v0_value(v) for k, v in value.items()}


def downgrade_to_v0(doc: dict[str, Any]) -> dict[str, Any]:
    """A format-1 document as format 0 would have written it (what format 0 lacks is dropped)."""
    from sovereign.persist.migrations import legacy_checksum

    game = doc["game"]
    seed = game["seed"]
    assert seed["spawn_key"] == [] and seed["n_children_spawned"] == 0, "format 0 knew int seeds only"
    state = {
        "quarter": game["quarter"],
        "difficulty": game["difficulty"],
        "human_seats": game["human_seats"],
        "rngs": _v0_value(game["rngs"]),
        "seats": [{"id": s["id"], "kind": s["kind"], "state": _v0_value(s["state"])} for s in game["seats"]],
        "seat_ids": game["seat_ids"],
        "retired_homes": game["retired_homes"],
        "world": _v0_value(game["world"]),
        "globals": _v0_value(game["globals"]),
        "pending": game["pending"],
        "pending_decisions": _v0_value(game["pending_decisions"]),
        "command_log": _v0_value(game["command_log"]),
        "news": _v0_value(game["news"]),
        "metrics": _v0_value(game["metrics"]),
        "last": _v0_value(game["last"]),
    }
    v0 = {
        "sovereign_save": 0,
        "package_version": "0.1.0.dev0",
        "saved_at": doc["saved_at"],
        "scenario": game["scenario"]["content"],
        "scenario_sha256": game["scenario"]["hash"],
        "seed": seed["entropy"],
        "state": state,
    }
    v0["sha256"] = legacy_checksum(v0)
    return v0


def main() -> None:
    """Write the fixture of the current format (older fixtures stay as they were written)."""
    from sovereign.persist import FORMAT_VERSION, save_game
    from sovereign.scenario.loader import load_scenario
    from tests.persist.helpers import FIXTURES, TINY, new_game, play

    model = play(new_game(load_scenario(TINY)), 3)
    path = FIXTURES / f"save_v{FORMAT_VERSION}.json.gz"
    label = f"format {FORMAT_VERSION} fixture: tiny, seed 7, IND and cloudco played by people"
    save_game(model, path, label=label)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
