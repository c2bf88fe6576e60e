"""Autosave after every quarter into a folder, keeping the last N saves of each game.

An autosave must never end a game: when the disk is full or the folder read-only, the failure is
reported (returned, logged, passed to ``on_error``) and play goes on. Every autosave is a new file
(named by game, time and quarter), written atomically, so a failed autosave can never replace a
good one; old autosaves of the same game are removed only after a new one has been written, and
the ones kept are those furthest into the game (by quarter, not by the clock).

Use it as the progress callback of a run::

    autosave = Autosaver("saves", keep=5)
    model.run(progress=autosave)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sovereign.persist.errors import SaveError
from sovereign.persist.files import SAVE_SUFFIX, save_game
from sovereign.persist.history import record_quarter
from sovereign.persist.state import seed_info

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel

log = logging.getLogger(__name__)
#: Autosaves kept per game unless told otherwise.
DEFAULT_KEEP = 5
DEFAULT_FOLDER = Path("saves")


@dataclass
class AutosaveResult:
    """What one autosave did.

    Attributes:
        path: The file written, or None when the save failed.
        error: Why it failed, or None.
        removed: Older autosaves of the same game deleted by rotation.
    """

    path: Path | None
    error: SaveError | None = None
    removed: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the autosave was written."""
        return self.error is None


def game_id(model: SovereignModel) -> str:
    """A short id of a game's lineage: scenario, seed, difficulty and human seats.

    Why: autosaves of one game rotate among themselves, never deleting another game's saves in
    the same folder; a loaded game keeps its id, so rotation carries on across sessions. The
    seats are those people played at the start, so handing a seat over keeps the game's id.
    """
    from sovereign.persist.replay import first_human_seats
    from sovereign.scenario.loader import scenario_hash

    key = json.dumps(
        [
            scenario_hash(model.scenario),
            seed_info(model),
            model.difficulty,
            first_human_seats(model.command_log, model.human_seats),
        ],
        sort_keys=True,
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")[:40] or "game"


#: Every autosave's file name starts with this (and only autosaves' do).
AUTOSAVE_PREFIX = "autosave-"


def is_autosave(path: str | Path) -> bool:
    """Whether a save file was written by the autosaver (the load list tells them from saves)."""
    return Path(path).name.startswith(AUTOSAVE_PREFIX)


class Autosaver:
    """Saves a game after each quarter and keeps the newest `keep` autosaves of that game.

    Args:
        folder: Where autosaves go (made if missing).
        keep: How many autosaves of each game to keep (at least 1).
        on_error: Called with the SaveError when an autosave fails (default: log a warning).

    Attributes:
        last: The result of the most recent autosave.
        failures: How many autosaves have failed.
    """

    def __init__(
        self,
        folder: str | Path = DEFAULT_FOLDER,
        keep: int = DEFAULT_KEEP,
        on_error: Callable[[SaveError], None] | None = None,
    ) -> None:
        if keep < 1:
            raise ValueError(f"keep must be at least 1, found {keep}")
        self.folder = Path(folder)
        self.keep = keep
        self.on_error = on_error
        self.last: AutosaveResult | None = None
        self.failures = 0

    def prefix(self, model: SovereignModel) -> str:
        """File-name prefix shared by this game's autosaves."""
        return f"{AUTOSAVE_PREFIX}{_slug(model.scenario.meta.id)}-{game_id(model)}-"

    def __call__(self, model: SovereignModel) -> AutosaveResult:
        """Record the quarter's digest and autosave; never raises for a failed save."""
        record_quarter(model)
        prefix = self.prefix(model)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{prefix}{stamp}-{model.quarter_label}{SAVE_SUFFIX}"
        try:
            label = "autosave, game over" if model.done else f"autosave before {model.quarter_label}"
            save_game(model, path, label=label)
        except SaveError as exc:
            self.failures += 1
            self.last = AutosaveResult(None, exc)
            if self.on_error is not None:
                self.on_error(exc)
            else:
                log.warning("autosave failed, the game goes on: %s", exc)
            return self.last
        self.last = AutosaveResult(path, None, self._rotate(prefix, path))
        return self.last

    def _rotate(self, prefix: str, written: Path | None = None) -> list[Path]:
        """Delete this game's autosaves but the `keep` furthest into the game (and the one just written).

        Why by the game's quarter and not by when the file was written: a restarted session of
        the same game (same scenario, seed and seats) that is stopped early must not delete the
        autosaves of the original session that got further: a finished game's last quarters are
        worth more than a restart's first ones. Ties (the same quarter saved twice) go to the more
        recent file. The file just written is always kept, so the current session can resume.
        """
        from sovereign.scenario.schema import quarter_index

        pattern = re.compile(re.escape(prefix) + r"(\d{8}T\d{12})-(\d{4}Q[1-4])" + re.escape(SAVE_SUFFIX) + "$")
        try:
            found = [(pattern.match(p.name), p) for p in self.folder.iterdir()]
        except OSError:
            return []
        mine = sorted(
            ((quarter_index(m.group(2)), m.group(1), p) for m, p in found if m is not None),
            key=lambda item: (item[0], item[1]),
            reverse=True,
        )
        removed = []
        for _, _, old in mine[self.keep :]:
            if written is not None and old == written:
                continue
            with contextlib.suppress(OSError):  # a save we cannot delete is only wasted space
                old.unlink()
                removed.append(old)
        return removed
