r"""Save files: `save_game` writes a game atomically, `load_game` reads it back or says why not.

Format 1 (see docs/saves.md) is one ASCII header line followed by a gzip stream of UTF-8 JSON::

    sovereign-save 1 sha256:<64 hex digits of every byte after this line>\\n
    <gzip of {"format": "sovereign-save", "format_version": 1, "package_version": ...,
              "saved_at": ..., "label": ..., "game": <model state>, "replay": {...}}>

Why a header line: the version can be read before anything is decompressed (a file from a newer
Sovereign gets a clear "upgrade" message), and the checksum covers the compressed bytes
themselves, so *any* changed, missing or added byte is caught, including the gzip header and
the padding bits deflate ignores, which a checksum of the JSON alone would miss.

Writes go to a temporary file in the same folder, are flushed, fsynced, read back and compared,
and only then renamed over the target, so a crash, a full disk or a read-only folder leaves the
previous save untouched. Every failure is a `SaveError` naming the file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import os
import re
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sovereign.persist.errors import SaveError, describe_os_error

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel

FORMAT_NAME = "sovereign-save"
#: The format this version writes. Older versions are read through `sovereign.persist.migrations`.
FORMAT_VERSION = 24
#: File name ending of saves (what `sovereign saves` lists).
SAVE_SUFFIX = ".json.gz"
MAGIC = FORMAT_NAME.encode("ascii")
_HEADER = re.compile(rb"sovereign-save (\d{1,6}) sha256:([0-9a-f]{64})")
#: Refuse files (and decompressed documents) larger than this: a save is a few MB; a huge file is
#: not a save, and reading it could exhaust memory.
MAX_FILE_BYTES = 128 * 1024 * 1024  # a 40-quarter baseline game is under 1 MB
MAX_JSON_BYTES = 512 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class SaveDocument:
    """A save file read, checked and migrated to the current format (not yet a model).

    Attributes:
        path: Where it was read from.
        format_version: The format the file was written in (before migration).
        package_version: Version of Sovereign that wrote it.
        saved_at: When it was written (ISO 8601, UTC).
        label: Free text given when saving (may be empty).
        state: The game state (`sovereign.persist.state.model_to_state` layout).
        recorded: Per-quarter state digests recorded while the game was played, by quarter index.
        human_seats: Seats played by people (whose commands a replay re-submits).
        unrecorded: State parts the file's format did not keep (a replay cannot check them).
    """

    path: Path
    format_version: int
    package_version: str
    saved_at: str
    label: str
    state: dict[str, Any]
    recorded: dict[int, dict[str, Any]]
    human_seats: list[str]
    unrecorded: tuple[str, ...] = ()

    @property
    def info(self) -> SaveInfo:
        """The summary `sovereign saves` shows."""
        from sovereign.scenario.schema import quarter_index, quarter_label

        # read defensively: a listing shows what it can of an odd (but checksum-valid) file
        sc = self.state["scenario"]
        time = sc["content"].get("time")
        quarter = int(self.state["quarter"])
        try:
            finished = quarter > quarter_index(time["end"])
            played = quarter - quarter_index(time["start"])
        except (ValueError, TypeError, KeyError, AttributeError):
            finished, played = False, -1
        seats = self.state.get("seats", [])
        return SaveInfo(
            path=self.path,
            format_version=self.format_version,
            package_version=self.package_version,
            saved_at=self.saved_at,
            label=self.label,
            scenario_id=str(sc.get("id", "?")),
            scenario_title=str(sc.get("title", "?")),
            quarter="finished" if finished else quarter_label(quarter),
            quarters_played=played,
            human_seats=list(self.human_seats),
            seats=len(seats) if isinstance(seats, list) else 0,
        )


@dataclass(frozen=True)
class SaveInfo:
    """What a save holds, for listings: scenario, where the game stands, who plays, when saved."""

    path: Path
    format_version: int
    package_version: str
    saved_at: str
    label: str
    scenario_id: str
    scenario_title: str
    quarter: str
    quarters_played: int
    human_seats: list[str]
    seats: int


# ----------------------------------------------------------------------------------------------
# writing
def save_game(model: SovereignModel, path: str | os.PathLike[str], *, label: str = "", backfill: bool = True) -> Path:
    """Write `model` to `path` atomically; the previous file there survives any failure.

    Args:
        model: The game to save (between quarters; queued commands are saved too).
        path: The file to write (conventionally ending in ``.json.gz``); missing folders are made.
        label: Free text shown by `sovereign saves` (e.g. "before the vote").
        backfill: When digests of some played quarters were never recorded (nobody called
            `record_quarter`), replay the game once from its start to compute them, so the save
            can always be checked quarter by quarter. Costs one re-run of the quarters played.

    Returns:
        The path written.

    Raises:
        SaveError: The state cannot be encoded, or the file cannot be written (full disk,
            read-only folder, ...); the message says which file and why.
    """
    from sovereign import __version__
    from sovereign.persist.state import model_to_state

    target = Path(path)
    state = model_to_state(model)
    recorded, note = _replay_hashes(model, backfill)
    doc = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "saved_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "label": str(label),
        "game": state,
        "replay": {
            "human_seats": sorted(model.human_seats),
            "hashes": [recorded[q] for q in sorted(recorded)],
            "note": note,
        },
    }
    data = encode_document(doc)
    write_atomic(target, data, verify=True)
    return target


def _replay_hashes(model: SovereignModel, backfill: bool) -> tuple[dict[int, dict[str, Any]], str]:
    """Digests of every quarter played, backfilled by a replay when some were never recorded."""
    from sovereign.persist.history import known_hashes, missing_quarters, set_hashes
    from sovereign.persist.replay import replay_model

    known = known_hashes(model)
    if not missing_quarters(model) or not backfill:
        return known, ""
    try:
        report = replay_model(model, known)
    except Exception as exc:  # never lose a game because its history cannot be rebuilt
        return known, f"quarter hashes incomplete: the replay failed ({type(exc).__name__}: {exc})"
    if not report.ok:
        assert report.divergence is not None
        return known, f"quarter hashes incomplete: the game does not replay ({report.divergence.describe()})"
    merged = {**report.hashes, **known}
    set_hashes(model, merged)
    return merged, ""


def encode_document(doc: dict[str, Any]) -> bytes:
    """The bytes of a format-1 save file: header line with the checksum, then gzip of the JSON."""
    text = json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    # mtime=0: the same game always compresses to the same bytes (reproducible files)
    body = gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)
    header = b"%s %d sha256:%s\n" % (MAGIC, doc["format_version"], hashlib.sha256(body).hexdigest().encode("ascii"))
    return header + body


def _write_all(handle: Any, data: bytes) -> None:
    """Write every byte (a separate function so tests can simulate a full disk here)."""
    view = memoryview(data)
    while view:
        n = handle.write(view)
        view = view[n:]


def write_atomic(path: Path, data: bytes, *, verify: bool = True) -> None:
    """Write `data` to `path` through a temporary file in the same folder, then rename.

    Why each step: the same folder makes the rename atomic (same file system); flush and fsync
    make the bytes durable before the rename makes them visible; reading back catches a write
    that silently went wrong; fsync of the folder makes the rename itself durable. Until the
    rename, the old file is untouched; on any failure the temporary file is removed.

    Raises:
        SaveError: With the reason (disk full, permission denied, read-only file system...).
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:
        raise SaveError(f"cannot create the folder {folder}: {_why(exc)}", path) from None
    try:
        if path.is_dir():
            raise SaveError("cannot save here: it is a folder, not a file", path)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name[:80]}.", suffix=".part", dir=folder)
    except (OSError, ValueError) as exc:
        raise SaveError(f"cannot write in {folder}: {_why(exc)}", path) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_all(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
        if hasattr(os, "chmod"):
            os.chmod(tmp, mode)
        if verify and tmp.read_bytes() != data:
            raise SaveError("the save was not written correctly (read-back differs); the old file is kept", path)
        os.replace(tmp, path)
    except OSError as exc:
        _remove_quietly(tmp)
        raise SaveError(f"could not save: {describe_os_error(exc)}; the previous file is unchanged", path) from None
    except BaseException:
        _remove_quietly(tmp)
        raise
    _fsync_folder(folder)


def _why(exc: OSError | ValueError) -> str:
    """OSError explained; ValueError is what Python raises for a path with a NUL character."""
    return describe_os_error(exc) if isinstance(exc, OSError) else f"invalid file name ({exc})"


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); best effort where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------------------------
# reading
def load_game(path: str | os.PathLike[str]) -> SovereignModel:
    """Load a saved game; it continues exactly as the original would have.

    Args:
        path: A save file written by `save_game` (or an older format, migrated on the fly).

    Returns:
        The model, with its recorded quarter digests attached (for later saves and replays).

    Raises:
        SaveError: The file is missing, unreadable, truncated, corrupted, tampered with, not a
            save, from a newer Sovereign, or inconsistent; the message names the file and says
            what is wrong. No other exception escapes.
    """
    return model_from_document(read_save(path))


def model_from_document(doc: SaveDocument) -> SovereignModel:
    """Build the game of a save already read by `read_save`, with its recorded digests attached."""
    from sovereign.persist.history import set_hashes
    from sovereign.persist.state import model_from_state

    model = model_from_state(doc.state, source=str(doc.path))
    set_hashes(model, {q: e for q, e in doc.recorded.items() if q < model.quarter})
    return model


def save_info(path: str | os.PathLike[str]) -> SaveInfo:
    """Read, check and summarise a save without building the game (for listings)."""
    return read_save(path).info


def read_save(path: str | os.PathLike[str]) -> SaveDocument:
    """Read a save file, verify its checksum, migrate it to the current format, check its layout.

    Raises:
        SaveError: See `load_game`.
    """
    p = Path(path)
    try:
        return _read_save(p)
    except SaveError as exc:
        if exc.path is None:
            raise SaveError(exc.message, p) from None
        raise
    except (MemoryError, RecursionError):
        raise SaveError("the file is too large or too deeply nested to be a save", p) from None


def _read_bytes(path: Path) -> bytes:
    """The file's bytes: a regular file only (a FIFO named ``*.json.gz`` would block for ever), size-capped."""
    from sovereign.fileio import UnreadableFile, read_regular_file

    try:
        return read_regular_file(path, MAX_FILE_BYTES)
    except UnreadableFile as exc:
        raise SaveError(f"cannot read it as a save: {exc.reason}", path) from None
    except IsADirectoryError:
        raise SaveError("it is a folder, not a save file", path) from None
    except (OSError, ValueError) as exc:
        raise SaveError(f"cannot read the file: {_why(exc)}", path) from None


def _read_save(path: Path) -> SaveDocument:
    from sovereign.persist.migrations import migrate, read_legacy

    raw = _read_bytes(path)
    if raw.startswith(_GZIP_MAGIC):
        version, doc = read_legacy(raw, path)  # format 0: a bare gzip stream, checksum inside
    elif raw.startswith(MAGIC + b" "):
        version, doc = _read_v1_container(raw, path)
    else:
        raise SaveError(f"not a Sovereign save: {_sniff(raw)}", path)
    doc = migrate(doc, version, path)
    return _document(doc, version, path)


def _read_v1_container(raw: bytes, path: Path) -> tuple[int, Any]:
    end = raw.find(b"\n", 0, 200)
    if end < 0:
        raise SaveError("the header line is damaged or the file is truncated", path)
    header = raw[:end]
    version_token = header.split(b" ")[1] if header.count(b" ") >= 1 else b""
    if version_token.isdigit() and int(version_token) > FORMAT_VERSION:
        raise SaveError(
            f"it was written by a newer Sovereign (save format {int(version_token)}); this version reads "
            f"formats up to {FORMAT_VERSION}: upgrade Sovereign to open it",
            path,
        )
    match = _HEADER.fullmatch(header)
    if match is None:
        raise SaveError("the header line is damaged (expected 'sovereign-save <version> sha256:<hex>')", path)
    version = int(match.group(1))
    if not 1 <= version <= FORMAT_VERSION:
        raise SaveError(f"unknown save format {version} in the header (the file may be damaged)", path)
    body = raw[end + 1 :]
    if hashlib.sha256(body).hexdigest() != match.group(2).decode("ascii"):
        raise SaveError("checksum mismatch: the file was truncated, damaged or modified after it was saved", path)
    return version, parse_json(gunzip(body, path), path)


def gunzip(data: bytes, path: Path) -> bytes:
    """Decompress exactly one gzip member, refusing trailing bytes and oversized output."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, MAX_JSON_BYTES)
    except zlib.error as exc:
        raise SaveError(f"the compressed data is damaged ({exc})", path) from None
    if inflater.unconsumed_tail:
        raise SaveError("the decompressed save is implausibly large", path)
    if not inflater.eof:
        raise SaveError("the file is truncated (the compressed data ends early)", path)
    if inflater.unused_data:
        raise SaveError("unexpected bytes after the end of the compressed data", path)
    return out


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Refuse duplicate keys: Sovereign never writes them, so they mean a hand-made file."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(data: bytes, path: Path) -> Any:
    """Parse strict UTF-8 JSON (no NaN/Infinity tokens, no duplicate keys)."""
    try:
        text = data.decode("utf-8")
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise SaveError("the save content is not valid UTF-8 text", path) from None
    except RecursionError:
        raise SaveError("the save content is nested too deeply to be a save", path) from None
    except ValueError as exc:
        raise SaveError(f"the save content is not valid JSON ({exc})", path) from None


def _sniff(raw: bytes) -> str:
    """Guess what a non-save file is, so the message helps (a scenario, an image, JSON...)."""
    if not raw:
        return "the file is empty"
    head = raw[:512]
    if head.startswith(b"\x89PNG"):
        return "it is a PNG image"
    if head.startswith(b"PK\x03\x04"):
        return "it is a zip archive"
    if head.startswith(b"PAR1"):
        return "it is a Parquet table"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"{", b"[")):
        return "it is a JSON file, not a save (saves start with a 'sovereign-save' header)"
    if b"meta:" in head or b"regions:" in head or text.startswith((b"#", b"---")):
        return "it looks like a scenario YAML file (play it with `sovereign run`)"
    if b"\x00" in head:
        return "unknown binary content"
    return "unknown text content (saves start with a 'sovereign-save' header)"


def _document(doc: Any, version: int, path: Path) -> SaveDocument:
    """Check the current-format layout of a document (after migration)."""
    from sovereign.persist.migrations import unrecorded_parts
    from sovereign.persist.state import STATE_KEYS
    from sovereign.scenario.schema import quarter_index

    def need(ok: bool, what: str) -> None:
        if not ok:
            raise SaveError(f"the save is malformed: {what}", path)

    need(isinstance(doc, dict), "the content is not a JSON object")
    need(doc.get("format") == FORMAT_NAME, f"'format' must be {FORMAT_NAME!r}")
    need(doc.get("format_version") == FORMAT_VERSION, "'format_version' does not match the header")
    for key in ("package_version", "saved_at", "label"):
        need(isinstance(doc.get(key), str), f"'{key}' must be text")
    game = doc.get("game")
    need(isinstance(game, dict), "'game' must be an object")
    for key, kind in (("scenario", dict), ("quarter", int), ("human_seats", list), ("seed", dict)):
        need(isinstance(game.get(key), kind) and not isinstance(game.get(key), bool), f"'game.{key}' is missing")
    need(isinstance(game["scenario"].get("content"), dict), "'game.scenario.content' is missing")
    replay = doc.get("replay")
    need(isinstance(replay, dict), "'replay' must be an object")
    humans = replay.get("human_seats")
    need(isinstance(humans, list) and all(isinstance(s, str) for s in humans), "'replay.human_seats'")
    # Which parts a replay cannot check is a fact about the format the file was written in, never
    # something the file itself may claim: a format-1 file that names parts to skip is forged.
    if version == FORMAT_VERSION:
        need("unrecorded" not in replay, "'replay.unrecorded' is not part of this format (the file was edited)")
    unrecorded = unrecorded_parts(version)
    need(all(k in STATE_KEYS for k in unrecorded), "unknown unrecorded parts")
    hashes = replay.get("hashes")
    need(isinstance(hashes, list), "'replay.hashes' must be a list")
    recorded: dict[int, dict[str, Any]] = {}

    for i, entry in enumerate(hashes):
        ok = isinstance(entry, dict) and isinstance(entry.get("quarter"), str) and isinstance(entry.get("state"), str)
        need(ok, f"'replay.hashes.{i}' must have a quarter and a state hash")
        try:
            recorded[quarter_index(entry["quarter"])] = entry
        except (ValueError, TypeError):
            need(False, f"'replay.hashes.{i}.quarter' is not a quarter label")
    _check_game(game, path)
    return SaveDocument(
        path=path,
        format_version=version,
        package_version=doc["package_version"],
        saved_at=doc["saved_at"],
        label=doc["label"],
        state=game,
        recorded=recorded,
        human_seats=list(humans),
        unrecorded=tuple(unrecorded),
    )


def _check_game(game: dict[str, Any], path: Path) -> None:
    """Validate the embedded scenario and then the whole game state against it (no model is built).

    Why here: every reader of a save (resume, replay, the listing, the game's load screen) goes
    through `read_save`, so a file that would crash a quarter later is refused at the door, with
    every problem named, and `sovereign saves` lists it as damaged instead of fine.
    """
    from sovereign.persist.validate import SaveLayoutError, validate_state
    from sovereign.scenario.loader import ScenarioError, scenario_from_dict

    try:
        scenario = scenario_from_dict(game["scenario"]["content"], source=f"{path} (embedded scenario)")
    except ScenarioError as exc:
        raise SaveError(f"the embedded scenario is invalid:\n{exc}", path) from None
    try:
        validate_state(game, scenario)
    except SaveLayoutError as exc:
        raise SaveError(f"the save is malformed: {exc}", path) from None


def list_saves(folder: str | os.PathLike[str]) -> list[SaveInfo | SaveError]:
    """Every save in a folder (files ending in ``.json.gz``), newest first; bad ones as SaveError.

    Raises:
        SaveError: The folder itself cannot be read.
    """
    root = Path(folder)
    try:
        names = sorted(p for p in root.iterdir() if p.name.endswith(SAVE_SUFFIX) and not p.name.startswith("."))
    except OSError as exc:
        raise SaveError(f"cannot list the folder: {describe_os_error(exc)}", root) from None
    out: list[SaveInfo | SaveError] = []
    for p in names:
        try:
            out.append(save_info(p))
        except SaveError as exc:
            out.append(exc)

    def newest_first(item: SaveInfo | SaveError) -> tuple[int, str, str]:
        if isinstance(item, SaveInfo):
            return (0, item.saved_at, item.path.name)
        return (1, "", str(item.path))

    good = sorted((i for i in out if isinstance(i, SaveInfo)), key=newest_first, reverse=True)
    bad = [i for i in out if isinstance(i, SaveError)]
    return [*good, *bad]
