"""Older save formats, read through explicit, tested migrations to the current one.

Each migration turns a document of format ``n`` into format ``n + 1``; `migrate` chains them, so
a file from any earlier version loads in the current one. Every format keeps a fixture save under
``tests/persist/fixtures/`` that the tests load, so a migration cannot silently rot.

Format 0: the pre-release layout
--------------------------------
Format 0 is the layout used during development, before the first release; no released
Sovereign wrote it. It is kept, with its fixture, so the migration path is exercised from the
first release on. A format-0 file is a bare gzip stream of UTF-8 JSON::

    {"sovereign_save": 0, "package_version": ..., "saved_at": ...,
     "scenario": <scenario content>, "scenario_sha256": <hash>, "seed": <int>,
     "state": {"quarter", "difficulty", "human_seats", "rngs", "seats": [{"id", "kind", "state"}],
               "seat_ids", "retired_homes", "world", "globals", "pending", "pending_decisions",
               "command_log", "news", "metrics", "last"},
     "sha256": <SHA-256 of the sorted-key compact JSON of the document without "sha256">}

Values used ``{"__ndarray__": base64, "dtype", "shape"}`` for arrays (``"shape": null`` for numpy
scalars), ``{"__float__": "nan"}`` for non-finite floats, ``{"__tuple__": [...]}`` for tuples and
``{"__dataclass__": name, "fields": {...}}`` for market results; dicts with int keys (pending
decisions by event id) were written with string keys.

Why format 1 replaced it: the checksum covered the JSON, not the file, so damage to the gzip
header or to the padding bits deflate ignores went unnoticed; the version could not be read
without decompressing; the seed was an int only (ensemble runs use child SeedSequences); and
there were no per-quarter hashes to check a replay against, nor Mesa's counters.

Migrating 0 -> 1 therefore: re-tags values in the format-1 codec, restores int keys, records the
seed as a root SeedSequence, fills in the per-quarter scratch state format 0 did not keep (the
last quarter's news from the news log; no money flows or bids, which the next quarter rebuilds
anyway), leaves Mesa's counters to be rebuilt from the quarter (``"mesa": null``), and carries
no quarter hashes: a replay of a migrated save checks the final state only, without the parts
format 0 did not record (`unrecorded_parts`: a fact of the format, never read from the file).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sovereign.persist.errors import SaveError

LEGACY_KEY = "sovereign_save"
#: The oldest format this version can play on. Format 2 (Sovereign 0.2) changed the game's rules
#: (the economy) and its state (typed economy and quarter results, contracts, GDP, debt): a game
#: from an older format would continue under other rules than it was played with, and its replay
#: could never match, so it is refused with a clear message instead of migrated.
#: Format 3 (Sovereign 0.3) changed the chip market's rules and state (packaging and memory
#: limits, allocation contracts and a spot market, licences, import bans, smuggling): format-2
#: games are refused for the same reason.
#: Format 4 (Sovereign 0.4) added supply threats to the world's state and changed how the AI buys
#: chips (contract sizes, stockpiling) and where the baseline's campuses open: a format-3 game
#: would replay differently, so it is refused too.
#: Format 5 (Sovereign 0.5) made the grid planned (utilities' orders, connection queues, large-load
#: rules, network charges in the world's state) and power prices move: a format-4 game would
#: replay differently, so it is refused too.
#: Format 6 (Sovereign 0.6) added trust between nations and deals between seats to the world's
#: state, and weighted allied capacity below a nation's own in the sovereignty pillars (which the
#: AI reads): a format-5 game would replay differently, so it is refused too.
#: Format 7 (Sovereign 0.7) lets nations carry over only two years of unspent budget, starts the
#: grid's signals from the starting grid, and adds compute contracts, price floors, datacenter sales
#: and seats handed between people and the AI: a format-6 game would replay differently, so it is
#: refused too.
#: Format 8 (Sovereign 0.8) changed how the AI chooses between chip classes (expected prices over a
#: year, classes weighted by their output): a format-7 game would replay differently, so it is
#: refused too.
#: Format 9 (Sovereign 0.9) changed how chip makers expand (several projects at once while orders
#: go unfilled, packaging kept in step with the wafers due): a format-8 game would replay
#: differently, so it is refused too.
#: Format 10 (Sovereign 0.10) made trust slow to earn (a new ally's trust grows over years) and
#: investors count a region's scarcity premium only for demand no hall already covers: a format-9
#: game would replay differently, so it is refused too.
#: Format 11 (Sovereign 0.11) cleared the compute market relative to its sizes along a demand curve (tranches
#: of each region's demand), let the market's scaling leap along a stalled drift, and shortened Europe's
#: permits: a format-10 game would replay differently, so it is refused too.
#: Format 12 (Sovereign 0.12) made buyers judge how busy they are by their chips, not their halls
#: (an empty new hall no longer lowers its owner's bids), and bid a host's subsidy higher, and let a
#: nation pay for a lab's state compute (IndiaAI and Sarvam): a format-11 game would replay
#: differently, so it is refused too.
#: Format 13 (Sovereign 0.13) let a host's subsidy draw halls where it is not the investor's best region
#: by margin: a format-12 game would replay differently, so it is refused too.
#: Format 14 (Sovereign 0.14) made investors count a host's subsidy only as far as the host pays it
#: (`world.subsidy_credibility`): a format-13 game would replay differently, so it is refused too.
#: Format 15 (Sovereign 0.15) clears the compute market with a region's datacenters scaled as one
#: (`clear_compute`'s ``cluster_groups``): the same market to round-off, not to the bit, so a
#: format-14 game would replay differently and is refused too.
#: Format 16 (Sovereign 0.16) lets buyers accept a longer payback for a class whose fabs are
#: disrupted (`sovereign.sim.policy.view.disruption_stretch`): a format-15 game would replay
#: differently, so it is refused too.
#: Format 17 (Sovereign 0.17) adds the memory makers' expansions under way to the world's state
#: (`world.hbm_orders`; they expand where their HBM limits the chips): a format-16 game's state
#: lacks them and its replay's state hashes would not match, so it is refused too.
#: Format 18 (Sovereign 0.18) keeps what the fabs made before supply deals and covert stockpiles
#: took their part (`ChipResults.made`): buyers measure a disruption by it, so a deal is no longer
#: read as one. A format-17 game lacks it and is refused too.
#: Format 19 (Sovereign 0.19) makes an efficiency breakthrough bring the next chip generation early
#: instead of a lasting extra gain (the trend waits until it has caught up): a format-18 game with a
#: breakthrough would replay differently, so it is refused too.
#: Format 20 (Sovereign 0.20) has buyers scale their whole chip bid, not only its cap, by the longer
#: payback they accept while a class's fabs are disrupted, and records the price of new compute
#: (`ComputeResults.spot_price_global`): a format-19 game with a disruption would replay
#: differently, so it is refused too.
#: Format 21 (Sovereign 0.21) has a host's chip subsidy pay its rate of the list price at most (and the AI
#: bid accordingly) and adds the compute market's low-price fringe (`Segments.fringe`): a format-20 game
#: would replay differently, so it is refused too.
#: Format 22 (Sovereign 0.22) has investors size a hall to what they can pay for it and the chips that
#: fill it (not the shell alone): a format-21 game would replay differently, so it is refused too.
#: Format 23 (Sovereign 0.23) has the utilities plan, and the capacity price count, datacenters at
#: the load they are expected to draw (not their nameplate), and the compute market look for a
#: stalled scaling sooner (the same market to its tolerance, but not bit for bit): a format-22 game
#: would replay differently, so it is refused too.
#: Format 24 (Sovereign 0.24) has the compute market finish its scaling by groups of segments and
#: datacenters (the same market, but not bit for bit): a format-23 game would replay differently, so
#: it is refused too.
FIRST_PLAYABLE_FORMAT = 24
#: State parts format 0 did not keep: a migrated game rebuilds them, a replay cannot check them.
UNRECORDED_V0 = ("bids", "flows", "mesa")


def read_legacy(raw: bytes, path: Path) -> tuple[int, dict[str, Any]]:
    """Read a headerless (format 0) save: gzip of JSON with a checksum field inside.

    Raises:
        SaveError: Damaged, not a format-0 save, or checksum mismatch.
    """
    from sovereign.persist.files import gunzip, parse_json

    doc = parse_json(gunzip(raw, path), path)
    if not isinstance(doc, dict) or LEGACY_KEY not in doc:
        raise SaveError("not a Sovereign save: a gzip file without a Sovereign save inside", path)
    version = doc[LEGACY_KEY]
    if not isinstance(version, int) or isinstance(version, bool) or version != 0:
        raise SaveError(f"unknown legacy save format {version!r} (the file may be damaged)", path)
    stored = doc.get("sha256")
    rest = {k: v for k, v in doc.items() if k != "sha256"}
    if not isinstance(stored, str) or legacy_checksum(rest) != stored:
        raise SaveError("checksum mismatch: the file was damaged or modified after it was saved", path)
    return 0, rest


def legacy_checksum(doc: dict[str, Any]) -> str:
    """The format-0 checksum: SHA-256 of the document as sorted-key compact JSON."""
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _retag(value: Any) -> Any:
    """Format-0 value tags -> format-1 codec tags (see `sovereign.persist.codec`)."""
    if isinstance(value, list):
        return [_retag(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        if set(value) != {"__ndarray__", "dtype", "shape"}:
            raise ValueError("malformed array")
        body = {"dtype": value["dtype"], "data": value["__ndarray__"]}
        if value["shape"] is None:
            return {"$np": body}
        return {"$nd": {"dtype": value["dtype"], "shape": value["shape"], "data": value["__ndarray__"]}}
    if set(value) == {"__float__"}:
        return {"$f": value["__float__"]}
    if set(value) == {"__tuple__"}:
        return {"$tuple": _retag(value["__tuple__"])}
    if set(value) == {"__dataclass__", "fields"}:
        return {"$obj": {"class": value["__dataclass__"], "fields": _retag(value["fields"])}}
    if any(k.startswith("$") for k in value):  # plain keys that format 1 would read as tags
        return {"$dict": [[k, _retag(v)] for k, v in value.items()]}
    return {k: _retag(v) for k, v in value.items()}


def _v0_to_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """Format 0 (pre-release) -> format 1; see the module docstring for what changes and why."""
    state = doc["state"]
    content = doc["scenario"]
    meta = content.get("meta", {}) if isinstance(content, dict) else {}
    seed = doc["seed"]
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError("'seed' must be an integer")
    decisions = state["pending_decisions"]
    if not isinstance(decisions, dict):
        raise ValueError("'pending_decisions' must be an object")
    quarter = state["quarter"]
    news = state["news"]
    if not isinstance(news, list) or not isinstance(quarter, int):
        raise ValueError("'news' and 'quarter' are malformed")
    from sovereign.scenario.schema import quarter_label

    last_played = quarter_label(quarter - 1)
    game = {
        "scenario": {
            "id": meta.get("id"),
            "title": meta.get("title"),
            "hash": doc["scenario_sha256"],
            "content": content,
        },
        "seed": {"entropy": seed, "spawn_key": [], "pool_size": 4, "n_children_spawned": 0},
        "difficulty": state["difficulty"],
        "human_seats": state["human_seats"],
        "quarter": quarter,
        "rngs": _retag(state["rngs"]),
        "seats": [
            {"id": s["id"], "kind": s["kind"], "unique_id": i + 1, "state": _retag(s["state"])}
            for i, s in enumerate(state["seats"])
        ],
        "seat_ids": state["seat_ids"],
        "retired_homes": state["retired_homes"],
        "world": _retag(state["world"]),
        "globals": _retag(state["globals"]),
        "pending": state["pending"],
        "pending_decisions": {
            seat: {"$dict": [[int(k), _retag(v)] for k, v in by_event.items()]} for seat, by_event in decisions.items()
        },
        "bids": None,
        "command_log": _retag(state["command_log"]),
        "news": _retag(news),
        # format 0 kept the news log only; this quarter's items are its tail
        "quarter_news": _retag([n for n in news if isinstance(n, dict) and n.get("quarter") == last_played]),
        "flows": {},
        "metrics": _retag(state["metrics"]),
        "last": _retag(state["last"]),
        "mesa": None,
    }
    return {
        "format": "sovereign-save",
        "format_version": 1,
        "package_version": doc["package_version"],
        "saved_at": doc["saved_at"],
        "label": "",
        "game": game,
        "replay": {
            "human_seats": state["human_seats"],
            "hashes": [],
            "note": "migrated from save format 0, which recorded no quarter hashes",
        },
    }


def unrecorded_parts(version: int) -> tuple[str, ...]:
    """State parts a save written in format `version` did not keep, so a replay cannot check them.

    Why a function of the version and not a field of the file: a file could otherwise exempt any
    part of its state from `sovereign replay --check` by naming it (``"unrecorded": ["seats"]``).
    """
    return UNRECORDED_V0 if version == 0 else ()


#: Migration from format n to n + 1, by n.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _v0_to_v1}


def migrate(doc: Any, version: int, path: Path) -> Any:
    """Bring a document of format `version` to the current format, one step at a time.

    Raises:
        SaveError: A step fails because the document is malformed for its format.
    """
    from sovereign.persist.files import FORMAT_VERSION

    if version < FIRST_PLAYABLE_FORMAT:
        raise SaveError(
            f"it was made by an older version of Sovereign (save format {version}, before 0.24 changed the "
            f"compute market's last bits, 0.23 planned the grid for the load halls draw, 0.22 sized halls to "
            f"the chips that fill them, 0.21 capped chip subsidies "
            f"at the list price and added buyers of cheap compute, 0.20 let buyers "
            f"scale their whole bid while a class's fabs are disrupted, 0.19 made an efficiency "
            f"breakthrough bring the next chip generation early, 0.18 measured disruptions "
            f"before supply deals, 0.17 let memory makers "
            f"expand their HBM, 0.16 let buyers "
            f"pay more for chips whose fabs are disrupted, 0.15 changed the "
            f"compute market's arithmetic, 0.14 made investors "
            f"count a host's subsidy only as far as it pays it, 0.13 let a host's "
            f"subsidy draw halls beyond the investors' best regions, 0.12 made buyers "
            f"bid for chips by how busy their chips are and count a host's subsidy, 0.11 changed how the "
            f"compute market prices a shortage, 0.10 made trust slow "
            f"to earn and investors mindful of halls already ordered, 0.9 changed how chip makers expand, "
            f"0.8 how buyers choose between chip classes, 0.7 let unspent "
            f"budgets lapse and added compute contracts and datacenter sales, 0.6 added trust "
            f"and deals between seats and weighted allies below a nation's own capacity, 0.5 made the grid "
            f"planned, with connection queues and moving prices, 0.4 added supply "
            f"threats and stockpiling, 0.3 rebuilt the chip market (packaging and memory limits, contracts "
            f"and a spot market, licences and smuggling) and 0.2 the economy); this "
            f"version plays formats {FIRST_PLAYABLE_FORMAT} to {FORMAT_VERSION} only. Finish that game with "
            f"the Sovereign it was made with, or start a new one",
            path,
        )
    while version < FORMAT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise SaveError(f"no migration from save format {version}", path)
        try:
            doc = step(doc)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SaveError(f"the format-{version} save is malformed ({type(exc).__name__}: {exc})", path) from None
        version += 1
    return doc
