"""Per-quarter state hashes of live games: the evidence a replay is checked against.

After each quarter, whoever drives the model (the autosaver, `sovereign run --save`, the UI)
calls `record_quarter(model)`; the digest of the whole state is kept beside the model, and a save
writes these digests so `replay` can say at which quarter a re-run first differs. The digests
live in a weak mapping rather than on the model because the model does not know about
persistence (and must not be slowed by it when nobody saves).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from sovereign.persist.state import model_digest

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel

_HASHES: weakref.WeakKeyDictionary[SovereignModel, dict[int, dict[str, Any]]] = weakref.WeakKeyDictionary()


def record_quarter(model: SovereignModel) -> dict[str, Any] | None:
    """Record the digest of the state after the quarter just played (call after each `step`).

    Returns:
        The entry recorded (``quarter`` label, ``state`` hash, per-part hashes), or None before the
        first quarter has been played.
    """
    from sovereign.scenario.schema import quarter_label

    played = model.quarter - 1
    if played < model.start_q:
        return None
    entry = {"quarter": quarter_label(played), **model_digest(model)}
    _HASHES.setdefault(model, {})[played] = entry
    return entry


def known_hashes(model: SovereignModel) -> dict[int, dict[str, Any]]:
    """Digests recorded for `model`, by absolute quarter index (only quarters already played)."""
    return {q: e for q, e in _HASHES.get(model, {}).items() if q < model.quarter}


def set_hashes(model: SovereignModel, entries: dict[int, dict[str, Any]]) -> None:
    """Attach digests to a model, e.g. those a loaded save carried or a replay computed."""
    _HASHES[model] = dict(entries)


def missing_quarters(model: SovereignModel) -> list[int]:
    """Quarters already played for which no digest is known."""
    known = known_hashes(model)
    return [q for q in range(model.start_q, model.quarter) if q not in known]
