"""The output folder of an ensemble: streaming Parquet parts with provenance, resume, manifest.

Layout of ``OUT/``::

    design.json          the design and scenario identity (what a resumed command must match)
    manifest.json        command, versions, executor, timings, counts, sessions, peak memory
    runs/part-*.parquet      one row per finished run: provenance, parameters, key outcomes
    nations/part-*.parquet   per quarter, run and nation
    firms/part-*.parquet     per quarter, run and firm
    world/part-*.parquet     per quarter and run
    failures/part-*.parquet  one row per failed attempt: run, seed, parameters, error, traceback

Results stream: the parent buffers a few finished runs and writes them as one part file per table
(a *batch*), so memory stays flat however many runs there are, and `open_dataset` combines the
parts lazily with `pyarrow.dataset`. A part is written to a temporary name and renamed, so a file
under its final name is always complete. The ``runs`` part of a batch is written last and is the
ledger of finished runs: on resume, metric parts of a batch whose ``runs`` part never appeared (the
process died between the two) are deleted, and runs listed in ``runs/`` are skipped.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sovereign.ensemble.worker import METRIC_TABLES, RunOutput

#: Format tag of design.json and manifest.json.
FORMAT = "sovereign-ensemble/1"
TABLES = ("runs", *METRIC_TABLES, "failures")
_PART = re.compile(r"^part-(\d{6,})\.parquet$")
#: Schema metadata key of a ``runs`` part: JSON rows per table of its batch (the commit record).
BATCH_ROWS_KEY = "sovereign.batch_rows"
#: Largest design.json / manifest.json read (they are a few KB; a huge one is not ours).
MAX_JSON_BYTES = 16 * 1024 * 1024
_FAILURE_TYPES = {
    "run_id": pa.int64(),
    "seed": pa.int64(),
    "point": pa.int64(),
    "replicate": pa.int64(),
    "scenario_hash": pa.string(),
    "params_hash": pa.string(),
    "sovereign_version": pa.string(),
    "attempt": pa.int64(),
    "gave_up": pa.bool_(),
    "kind": pa.string(),
    "error_type": pa.string(),
    "message": pa.string(),
    "traceback": pa.string(),
    "params": pa.string(),
    "time": pa.string(),
}


class StoreError(Exception):
    """The output folder cannot be used as asked (another design, not an ensemble, locked)."""


class ResultStore:
    """Writer of one ensemble's output folder.

    Args:
        out: The output folder (created if needed).
        batch_runs: Finished runs buffered before a batch is written.
        batch_seconds: Longest time a finished run waits in the buffer.
    """

    def __init__(self, out: Path, batch_runs: int = 16, batch_seconds: float = 10.0) -> None:
        self.out = Path(out)
        self.batch_runs = max(1, batch_runs)
        self.batch_seconds = batch_seconds
        self._buffer: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
        self._buffered_runs = 0
        self._buffered_failures = 0
        self._oldest: float | None = None
        self._next_part = 0
        self._lock: Any = None
        self.parts_written = 0
        #: Damaged batches deleted when the folder was opened (their runs are played again).
        self.repaired: list[str] = []

    # ------------------------------------------------------------------ opening and resuming
    def open(self, design_doc: dict[str, Any]) -> dict[int, tuple[int, str, str]]:
        """Create or reopen the folder for `design_doc`; return the runs already finished.

        Args:
            design_doc: ``{"identity": {...}, ...}``; the identity must equal the folder's.

        Returns:
            run id -> (seed, params hash, scenario hash) of each finished run on disk.

        Raises:
            StoreError: The folder holds another design, is not an ensemble folder, or is in use.
        """
        path = self.out / "design.json"
        if self.out.exists() and not self.out.is_dir():
            raise StoreError(f"{self.out} exists and is not a folder; use another --out")
        if path.exists():
            try:
                existing = read_json(path)
            except StoreError as exc:
                raise StoreError(f"{exc}; use another --out, or delete the folder to start again") from None
            identity = existing.get("identity")
            if not isinstance(identity, dict):
                raise StoreError(
                    f"{path} is damaged (no design identity in it); use another --out, or delete the folder"
                )
            diffs = identity_differences(identity, design_doc["identity"])
            if diffs:
                raise StoreError(
                    f"{self.out} holds results of a different ensemble, refusing to mix them:\n  "
                    + "\n  ".join(diffs)
                    + "\nUse another --out, or delete the folder to start again."
                )
        elif self.out.exists() and any(self.out.iterdir()):
            raise StoreError(f"{self.out} exists and is not an ensemble folder (no design.json); use another --out")
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self._acquire_lock()
            for name in TABLES:
                (self.out / name).mkdir(exist_ok=True)
            if not path.exists():
                write_json(path, {"format": FORMAT, **design_doc})
            self._clean()
            return self._finished()
        except OSError as exc:
            raise StoreError(f"cannot use {self.out}: {_os_reason(exc)}") from None
        except ValueError as exc:  # a NUL character in the path
            raise StoreError(f"cannot use {self.out}: invalid path ({exc})") from None

    def _acquire_lock(self) -> None:
        """Hold an exclusive lock on the folder: two processes appending to one ensemble would mix."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks, rely on the user
            return
        import stat

        # non-blocking: a FIFO planted as .lock must not hang the command
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(self.out / ".lock", flags, 0o644)
        handle = os.fdopen(fd, "a+")
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise StoreError(f"{self.out / '.lock'} is not a regular file; delete it")
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise StoreError(f"{self.out} is in use by another sovereign process") from None
        except StoreError:
            handle.close()
            raise
        self._lock = handle

    def _clean(self) -> None:
        """Delete temporary files, damaged batches and metric parts of batches never committed.

        A batch whose parts are truncated, empty, garbled, not regular files, or hold fewer rows
        than its ``runs`` part recorded (see `flush`) is deleted whole, so its runs are played
        again: a damaged part must never crash the resume, nor pass for finished runs whose rows
        are missing.
        """
        for tmp in [*self.out.glob("*.tmp"), *self.out.glob("*/*.tmp")]:
            tmp.unlink(missing_ok=True)
        self.repaired = damaged_batches(self.out)
        for part in self.repaired:
            for name in TABLES:
                target = self.out / name / part
                if target.exists() or target.is_symlink():
                    target.unlink()
        committed = {m.group(1) for m in map(_PART.match, os.listdir(self.out / "runs")) if m}
        highest = -1
        for name in TABLES:
            for entry in os.listdir(self.out / name):
                m = _PART.match(entry)
                if not m:
                    continue
                highest = max(highest, int(m.group(1)))
                if name in METRIC_TABLES and m.group(1) not in committed:
                    (self.out / name / entry).unlink()
        self._next_part = highest + 1

    def _finished(self) -> dict[int, tuple[int, str, str]]:
        if not any(part_files(self.out, "runs")):
            return {}
        table = open_dataset(self.out, "runs").to_table(columns=["run_id", "seed", "params_hash", "scenario_hash"])
        cols = [table.column(c).to_pylist() for c in ("run_id", "seed", "params_hash", "scenario_hash")]
        return {rid: (seed, ph, sh) for rid, seed, ph, sh in zip(*cols, strict=True)}

    def close(self) -> None:
        """Release the folder lock (buffered results must be flushed first)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # ------------------------------------------------------------------ writing
    def add(self, output: RunOutput) -> None:
        """Buffer a finished run."""
        for name, table in output.tables.items():
            self._buffer[name].append(table)
        self._buffered_runs += 1
        self._oldest = self._oldest or time.monotonic()

    def add_failure(self, row: dict[str, Any]) -> None:
        """Buffer the record of a failed attempt."""
        arrays = [pa.array([row.get(k)], type=tp) for k, tp in _FAILURE_TYPES.items()]
        self._buffer["failures"].append(pa.Table.from_arrays(arrays, names=list(_FAILURE_TYPES)))
        self._buffered_failures += 1
        self._oldest = self._oldest or time.monotonic()

    @property
    def buffered_runs(self) -> int:
        """Finished runs not yet on disk."""
        return self._buffered_runs

    def due(self) -> bool:
        """Whether the buffer should be written now (enough runs, or held long enough)."""
        if self._oldest is None:
            return False
        return self._buffered_runs >= self.batch_runs or time.monotonic() - self._oldest >= self.batch_seconds

    def flush(self) -> None:
        """Write the buffered runs and failures as one batch (metric parts first, ``runs`` last)."""
        if self._oldest is None:
            return
        part = f"part-{self._next_part:06d}.parquet"
        rows: dict[str, int] = {}
        try:
            for name in (*METRIC_TABLES, "failures", "runs"):
                tables = self._buffer[name]
                if tables:
                    table = pa.concat_tables(tables, promote_options="permissive")
                    # the ledger records how many rows each part of its batch holds, so a resume
                    # can tell a complete batch from one whose parts were damaged since
                    meta = {BATCH_ROWS_KEY: json.dumps(rows).encode()} if name == "runs" else None
                    _write_parquet(table, self.out / name / part, meta)
                    rows[name] = table.num_rows
                    self.parts_written += 1
                self._buffer[name] = []
        except OSError as exc:
            for name in TABLES:  # no half batch: its runs will be played again on resume
                with contextlib.suppress(OSError):
                    (self.out / name / part).unlink(missing_ok=True)
                    (self.out / name / (part + ".tmp")).unlink(missing_ok=True)
            self._buffer = {name: [] for name in TABLES}
            self._buffered_runs = self._buffered_failures = 0
            self._oldest = None
            raise StoreError(f"cannot write results to {self.out}: {_os_reason(exc)}") from None
        self._next_part += 1
        self._buffered_runs = self._buffered_failures = 0
        self._oldest = None

    def write_manifest(self, doc: dict[str, Any]) -> None:
        """Write manifest.json atomically."""
        write_json(self.out / "manifest.json", {"format": FORMAT, **doc})


# --------------------------------------------------------------------------- reading


def part_files(out: Path, name: str) -> Iterator[Path]:
    """Committed part files of one table, in batch order."""
    folder = Path(out) / name
    if not folder.is_dir():
        return iter(())
    return iter(sorted(folder / e for e in os.listdir(folder) if _PART.match(e)))


def open_dataset(out: Path | str, name: str) -> ds.Dataset:
    """One table of an ensemble folder as a lazy `pyarrow.dataset.Dataset` over its part files.

    The schema is the union of the parts' schemas, so a column that is null in early batches and
    numeric later reads as numeric.

    Raises:
        FileNotFoundError: The table has no part files.
    """
    files = list(part_files(Path(out), name))
    if not files:
        raise FileNotFoundError(f"{Path(out) / name}: no part files")
    schema = pa.unify_schemas([pq.read_schema(f) for f in files], promote_options="permissive")
    return ds.dataset(files, schema=schema, format="parquet")


def read_table(
    out: Path | str, name: str, columns: list[str] | None = None, filter: Any = None, sort: bool = True
) -> pa.Table:
    """Read a table of an ensemble folder (in run, quarter order when `sort`); empty if it has no parts."""
    files = list(part_files(Path(out), name))
    if not files:
        return pa.table({})
    table = open_dataset(out, name).to_table(columns=columns, filter=filter)
    if sort:
        keys = [k for k in ("run_id", "attempt", "quarter", "region", "firm") if k in table.column_names]
        if keys:
            table = table.sort_by([(k, "ascending") for k in keys])
    return table


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object of an ensemble folder ({} if absent).

    Raises:
        StoreError: The file is not a regular file, too large, not JSON, or not a JSON object.
    """
    from sovereign.fileio import UnreadableFile, read_regular_file

    try:
        doc = json.loads(read_regular_file(path, MAX_JSON_BYTES).decode("utf-8"))
    except FileNotFoundError:
        return {}
    except UnreadableFile as exc:
        raise StoreError(f"{path}: {exc.reason}") from None
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise StoreError(f"{path} is unreadable ({exc})") from None
    if not isinstance(doc, dict):
        raise StoreError(f"{path} is damaged: expected a JSON object, found {type(doc).__name__}")
    return doc


def mark_manifest_stopped(path: Path) -> bool:
    """Overwrite ``"status": "running"`` with ``"status": "error"`` in place; True if it was done.

    Why in place: on a full disk a new manifest cannot be written, but bytes of an existing file
    can be overwritten without allocating space, and a manifest left saying "running" would lie to
    whoever looks at the folder. The replacement has the same length (JSON allows the spaces).
    """
    running, stopped = b'"status": "running"', b'"status": "error"  '
    try:
        with open(path, "r+b") as handle:
            data = handle.read(MAX_JSON_BYTES)
            at = data.find(running)
            if at < 0:
                return False
            handle.seek(at)
            handle.write(stopped)
            handle.flush()
        return True
    except OSError:
        return False


def part_rows(path: Path) -> int | None:
    """Rows of a committed part file, or None when it is damaged (unreadable, truncated, garbled)."""
    from sovereign.fileio import is_regular_file

    if not is_regular_file(path):
        return None
    try:
        return pq.read_metadata(path).num_rows
    except (OSError, pa.ArrowException, ValueError):
        return None


def damaged_batches(out: Path) -> list[str]:
    """Part names (``part-000003.parquet``) of batches with a damaged or incomplete part.

    A batch is damaged when any of its parts cannot be read, or when its ``runs`` part (the ledger)
    recorded more rows for a table than that table's part holds (a part emptied or replaced).
    Folders written before the ledger recorded row counts are checked for readability only.
    """
    out = Path(out)
    bad: set[str] = set()
    ledgers: dict[str, dict[str, int]] = {}
    for name in TABLES:
        for path in part_files(out, name):
            rows = part_rows(path)
            if rows is None:
                bad.add(path.name)
                continue
            if name == "runs":
                ledgers[path.name] = _recorded_rows(path)
    for part, recorded in ledgers.items():
        for name, n in recorded.items():
            path = out / name / part
            if name in TABLES and (part_rows(path) if path.exists() else 0) != n:
                bad.add(part)
    return sorted(bad)


def _recorded_rows(path: Path) -> dict[str, int]:
    try:
        meta = pq.read_schema(path).metadata or {}
        recorded = json.loads(meta.get(BATCH_ROWS_KEY.encode(), b"{}"))
    except (OSError, pa.ArrowException, ValueError):
        return {}
    if not isinstance(recorded, dict):
        return {}
    return {k: v for k, v in recorded.items() if isinstance(k, str) and isinstance(v, int)}


# --------------------------------------------------------------------------- helpers


def identity_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Human-readable differences between two design identities ([] when equal)."""
    diffs = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, "<absent>"), new.get(key, "<absent>")
        if a != b:
            diffs.append(f"{key}: {_short(a)} in the folder, {_short(b)} in this command")
    return diffs


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _write_parquet(table: pa.Table, path: Path, metadata: dict[bytes | str, bytes] | None = None) -> None:
    tmp = path.with_name(path.name + ".tmp")
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    pq.write_table(table, tmp, compression="zstd")  # a full disk raises OSError (pyarrow's IO errors are)
    os.replace(tmp, path)


def _os_reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return "the disk is full (free some space; the same command then resumes)"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied or read-only file system"
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    return exc.strerror or str(exc)


def write_json(path: Path, doc: dict[str, Any]) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
