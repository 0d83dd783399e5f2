"""Text in, a project file out: the one way the toolkit writes a file (atomically, untouched when identical)."""

from __future__ import annotations

import functools
import os
import stat
import tempfile
from pathlib import Path

# Opened without following a link or waiting on a FIFO: only a regular file itself is read.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_OPEN_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def read_regular(path: str | Path) -> bytes | None:
    """The bytes of the regular file at path; None when absent, unreadable, or a link, device or FIFO
    (not followed, not waited on)."""
    try:
        if not _NOFOLLOW and os.path.islink(path):
            return None
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    with open(fd, "rb") as fh:
        try:
            return fh.read() if stat.S_ISREG(os.fstat(fd).st_mode) else None
        except OSError:
            return None


@functools.cache
def _umask() -> int:
    """The process umask, read once: reading it means setting it, which would race with other threads."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _file_mode(path: Path) -> int:
    """The mode of an existing regular file, else what open() would create under the umask."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        mode = 0
    return mode & 0o7777 if stat.S_ISREG(mode) else 0o666 & ~_umask()


def write_atomic(path: Path, text: str) -> bool:
    """Write text to path through a temporary file; leaves an identical regular file untouched (a link or
    a FIFO there is replaced, never followed or waited on). True if written."""
    data = text.encode("utf-8")
    if read_regular(path) == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates 0600; the file gets the mode an ordinary write would give it.
        os.fchmod(fd, _file_mode(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
