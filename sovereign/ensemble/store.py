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
        if path.exists():
            try:
                existing = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise StoreError(f"{path} is unreadable ({exc}); use another --out") from None
            diffs = identity_differences(existing.get("identity", {}), design_doc["identity"])
            if diffs:
                raise StoreError(
                    f"{self.out} holds results of a different ensemble, refusing to mix them:\n  "
                    + "\n  ".join(diffs)
                    + "\nUse another --out, or delete the folder to start again."
                )
        elif self.out.exists() and any(self.out.iterdir()):
            raise StoreError(f"{self.out} exists and is not an ensemble folder (no design.json); use another --out")
        self.out.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        for name in TABLES:
            (self.out / name).mkdir(exist_ok=True)
        if not path.exists():
            write_json(path, {"format": FORMAT, **design_doc})
        self._clean()
        return self._finished()

    def _acquire_lock(self) -> None:
        """Hold an exclusive lock on the folder: two processes appending to one ensemble would mix."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks, rely on the user
            return
        handle = open(self.out / ".lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise StoreError(f"{self.out} is in use by another sovereign process") from None
        self._lock = handle

    def _clean(self) -> None:
        """Delete temporary files and metric parts of batches that were never committed."""
        for tmp in [*self.out.glob("*.tmp"), *self.out.glob("*/*.tmp")]:
            tmp.unlink(missing_ok=True)
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
        for name in (*METRIC_TABLES, "failures", "runs"):
            tables = self._buffer[name]
            if tables:
                table = pa.concat_tables(tables, promote_options="permissive")
                _write_parquet(table, self.out / name / part)
                self.parts_written += 1
            self._buffer[name] = []
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
    """A JSON document of an ensemble folder ({} if absent)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


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


def _write_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def write_json(path: Path, doc: dict[str, Any]) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
