"""The one error a save file can raise: `SaveError`, naming the file and what is wrong with it.

A player who opens a damaged save, a teacher who receives a file from a newer version, or a disk
that fills up mid-save must all see one clear message and keep their game running, never a
traceback. Every loader and writer in `sovereign.persist` turns lower-level failures (OSError,
zlib, JSON, unicode, validation) into this type at its boundary.
"""

from __future__ import annotations

import errno
import os


class SaveError(Exception):
    """A save file could not be written, read or trusted.

    Args:
        message: What is wrong, in words a player understands.
        path: The file concerned, if there is one.

    Attributes:
        message: What is wrong.
        path: The file concerned (None when the error is not about one file).
    """

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None) -> None:
        self.message = message
        self.path = None if path is None else os.fspath(path)
        super().__init__(f"{self.path}: {message}" if self.path is not None else message)


def describe_os_error(exc: OSError) -> str:
    """A short, player-facing explanation of an OSError (disk full, read-only, missing...).

    Why: ``str(OSError)`` repeats the path and shows errno numbers; the SaveError already names
    the file, so we only say what happened and, where it helps, what to do.
    """
    code = exc.errno
    if code == errno.ENOSPC or code == errno.EDQUOT:
        return "the disk is full (free some space and save again)"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied (the folder or file is not writable/readable by you)"
    if code == errno.EROFS:
        return "the file system is read-only"
    if code == errno.ENOENT:
        return "no such file or folder"
    if code == errno.EISDIR:
        return "it is a folder, not a file"
    if code == errno.ENOTDIR:
        return "a part of the path is not a folder"
    if code == errno.ENAMETOOLONG:
        return "the file name is too long"
    return exc.strerror or str(exc) or type(exc).__name__
