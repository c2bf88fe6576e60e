"""Reading user-named files safely: regular files only, never blocking, never unbounded.

Why this module exists: a path given on the command line or found in a saves folder may name a
FIFO, a terminal, a socket or a device. ``open()`` on a FIFO blocks until a writer appears (for
ever, in practice), and ``/dev/zero`` never ends. Every reader of a file a user or a folder listing
supplies (saves, scenarios, ensemble documents, settings) goes through `read_regular_file`, which

1. checks with ``stat`` (which never blocks) that the path is a regular file,
2. opens it with ``O_NONBLOCK`` (so even a FIFO swapped in after the check cannot block the open),
3. checks again on the open descriptor (``fstat``) that it is the regular file it claimed to be,
4. refuses files larger than the caller's limit *before* reading them, and reads at most that much.

Failures are `UnreadableFile`, an `OSError` whose ``strerror`` is a sentence for the user, so
code that already turns OSError into a message keeps working unchanged.

This module imports nothing from Sovereign, so any layer may use it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

__all__ = ["UnreadableFile", "file_kind", "folder_problem", "is_regular_file", "read_regular_file", "read_regular_text"]


class UnreadableFile(OSError):
    """A path that must not be read: not a regular file, or too large.

    Args:
        path: The path concerned.
        reason: Why it is refused, for the user (e.g. "it is a FIFO (named pipe), not a file").
        errno_code: The errno of the underlying failure, when there is one.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str, errno_code: int | None = None) -> None:
        super().__init__(errno_code, reason, os.fspath(path))
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.filename}: {self.reason}"


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words ("a FIFO (named pipe)", "a folder", ...)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


def is_regular_file(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is (or links to) a regular file; False for FIFOs, folders, devices, missing paths."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def read_regular_file(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes` bytes.

    Args:
        path: The file (symbolic links are followed, to a regular file only).
        max_bytes: The largest size accepted; a larger file is refused without being read.

    Returns:
        The file's content.

    Raises:
        UnreadableFile: It is not a regular file (FIFO, folder, device, socket) or is too large.
        OSError: It cannot be opened or read (missing, permission denied...).
        ValueError: The path contains a NUL character.
    """
    before = os.stat(path)  # stat never blocks, whatever the path is
    if not stat.S_ISREG(before.st_mode):
        raise UnreadableFile(path, f"it is {file_kind(before.st_mode)}, not a file")
    if before.st_size > max_bytes:
        raise UnreadableFile(path, f"the file is {_size(before.st_size)}, too large (at most {_size(max_bytes)})")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        after = os.fstat(fd)
        if not stat.S_ISREG(after.st_mode):  # swapped for something else between stat and open
            raise UnreadableFile(path, f"it is {file_kind(after.st_mode)}, not a file")
        if after.st_size > max_bytes:
            raise UnreadableFile(
                path, f"the file is {_size(after.st_size)}, larger than the {_size(max_bytes)} allowed"
            )
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:  # the file grew while we read it
            raise UnreadableFile(path, f"the file grew too large (over {_size(max_bytes)}) while being read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_regular_text(path: str | os.PathLike[str], max_bytes: int, encoding: str = "utf-8") -> str:
    """`read_regular_file` decoded as text (UnicodeDecodeError is left to the caller to explain)."""
    return read_regular_file(path, max_bytes).decode(encoding)


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:,.1f} MB"
    if n >= 2**10:
        return f"{n / 2**10:,.1f} KB"
    return f"{n} bytes"


def folder_problem(folder: str | os.PathLike[str]) -> str | None:
    """Why results cannot be written into `folder` (made if missing), or None when they can.

    Checked *before* a long run starts, so a game or an ensemble is never played only to find at
    the end that nothing can be written. The nearest existing ancestor must be a writable folder;
    no part of the path may be an existing file.
    """
    p = Path(folder)
    if "\x00" in str(p):  # pathlib answers "does not exist" for such a path, os.mkdir raises ValueError
        return "invalid path (it contains a NUL character)"
    try:
        if p.exists() and not p.is_dir():
            return "it exists and is not a folder"
        probe = p
        while not probe.exists():
            if probe.parent == probe:
                break
            probe = probe.parent
        if not probe.is_dir():
            return f"{probe} is a file, not a folder"
        where = "the folder" if probe == p else str(probe)
        if not os.access(probe, os.W_OK | os.X_OK):
            return f"{where} is not writable"
        # access() says yes to root even on a read-only mount: a real (anonymous) file tells the truth
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        return f"{where if 'where' in locals() else 'it'} is not writable ({exc.strerror or exc})"
    except ValueError as exc:
        return f"invalid path ({exc})"
    return None
