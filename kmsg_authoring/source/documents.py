"""JSON documents a user hands a command (a message/send request to check): read within a size,
refused when they are not regular files, parsed within a depth."""

from __future__ import annotations

import json
import os
import stat
import sys
from typing import Any

from kmsg_authoring.errors import Location, SourceError, UsageError

# A message/send request with its attachments fits well within this; a device never ends.
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
# No message/send request nests deeper than a handful of levels.
MAX_DOCUMENT_DEPTH = 64
STDIN = "-"


def read_document(name: str) -> str:
    """The text of a JSON file (or standard input for "-"), at most MAX_DOCUMENT_BYTES; UsageError otherwise."""
    label = "<stdin>" if name == STDIN else name
    try:
        if name == STDIN:
            binary = getattr(sys.stdin, "buffer", None)  # a text stream stands in for stdin in tests and IDEs
            data = (
                binary.read(MAX_DOCUMENT_BYTES + 1)
                if binary is not None
                else sys.stdin.read(MAX_DOCUMENT_BYTES + 1).encode("utf-8")
            )
        else:
            # O_NONBLOCK: opening a FIFO must not wait for a writer; only regular files are read.
            fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
            with open(fd, "rb") as fh:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise UsageError(f"{label}: not a regular file (a device, FIFO or folder); give a JSON file")
                data = fh.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{label}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise UsageError(f"{label}: larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB; not a message/send request")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{label}: not UTF-8 text") from None


def _depth_over(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse_document(text: str, label: str) -> Any:
    """JSON text parsed; SourceError at the document when it is not JSON, too deep or holds a huge number."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"not JSON: {exc.msg}", Location(label, exc.lineno, exc.colno)) from None
    except RecursionError:
        raise SourceError(f"JSON nested deeper than {MAX_DOCUMENT_DEPTH} levels", Location(label)) from None
    except ValueError as exc:  # an integer past Python's digit limit
        raise SourceError(f"not usable JSON: {exc}".split(";")[0], Location(label)) from None
    if _depth_over(value, MAX_DOCUMENT_DEPTH):
        raise SourceError(f"JSON nested deeper than {MAX_DOCUMENT_DEPTH} levels", Location(label))
    return value
