"""Saves, autosaves and exact replays: no game is ever lost.

- `save_game(model, path)` / `load_game(path)`: versioned, checksummed, compressed JSON written
  atomically; a loaded game continues bit for bit like the original.
- `Autosaver(folder, keep)`: call after each quarter (e.g. as `model.run(progress=...)`); failures
  are reported, never raised.
- `replay_game(path)`: re-run the command log from the scenario and seed, checking the state hash
  of every quarter, and report the first divergence.
- `SaveError`: the one error any of these raises, naming the file and what is wrong.

The file format is described in docs/saves.md and `sovereign.persist.files`.
"""

from sovereign.persist.autosave import Autosaver, AutosaveResult, is_autosave
from sovereign.persist.errors import SaveError
from sovereign.persist.files import (
    FORMAT_VERSION,
    SAVE_SUFFIX,
    SaveInfo,
    list_saves,
    load_game,
    read_save,
    save_game,
    save_info,
)
from sovereign.persist.history import record_quarter
from sovereign.persist.replay import Divergence, ReplayReport, replay_game, replay_state
from sovereign.persist.state import model_digest, model_from_state, model_to_state

__all__ = [
    "FORMAT_VERSION",
    "SAVE_SUFFIX",
    "AutosaveResult",
    "Autosaver",
    "Divergence",
    "ReplayReport",
    "SaveError",
    "SaveInfo",
    "is_autosave",
    "list_saves",
    "load_game",
    "model_digest",
    "model_from_state",
    "model_to_state",
    "read_save",
    "record_quarter",
    "replay_game",
    "replay_state",
    "save_game",
    "save_info",
]
