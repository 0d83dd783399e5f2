"""Running MRML, MJML's compiler: in this process for an ordinary body, in a worker process otherwise.

MRML is native code: a stack overflow or any other crash in it ends the process it runs in, which
for `preview --watch` is the preview server. MJML is checked before it gets here (nesting depth,
element count, includes, size; compile/mjml_parse.py and mjml_check.py), and an ordinary body (small and shallow) is
compiled in this process, where it costs well under a millisecond. A body beyond those sizes, or
every body while `preview --watch` runs (`isolate_always`), is compiled in a worker process that is
started once and reused: a crash there ends the worker, not the caller, and becomes an error; a
worker past the time limit is stopped.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

# An ordinary body: compiled in this process. MRML recurses once per level of nesting and crashed
# past about 5,000 levels on an 8 MB stack; 100 levels and 256 KiB leave a wide margin.
ISOLATE_FROM_DEPTH = 100
ISOLATE_FROM_BYTES = 256 * 1024

# The worker: imports MRML's binding only (no kmsg_authoring), reads length-prefixed JSON requests
# on stdin, answers on stdout. An include MRML asks for is refused: includes are resolved before.
WORKER_SOURCE = """
import json, sys
from mjml import mjml2html
def refuse(path):
    raise ValueError("unable to load included template '%s'" % path)
inp, out = sys.stdin.buffer, sys.stdout.buffer
while True:
    header = inp.readline()
    if not header:
        break
    request = json.loads(inp.read(int(header)))
    try:
        html = str(mjml2html(request["mjml"], include_loader=refuse, **request["options"]))
        answer = {"error": "too large", "size": len(html)} if len(html) > request["size_limit"] else {"html": html}
    except Exception as exc:
        answer = {"error": str(exc) or type(exc).__name__}
    data = json.dumps(answer).encode("utf-8")
    out.write(b"%d\\n" % len(data) + data)
    out.flush()
"""


class MrmlError(Exception):
    """MRML refused the MJML (its own message, which may hold 'at position N:M')."""


class MrmlCrash(Exception):
    """The worker ended without an answer (a native crash), ran past the time limit, or output too much."""


@dataclass
class _Policy:
    always: bool = False


_POLICY = _Policy()
_LOCK = threading.Lock()
_worker: subprocess.Popen[bytes] | None = None


def isolate_always(on: bool = True) -> None:
    """Compile every MJML body in the worker process (a long-running server: a crash must not end it)."""
    _POLICY.always = on


def needs_isolation(size: int, depth: int) -> bool:
    """Whether a body of this size (bytes) and nesting depth is compiled in the worker."""
    return _POLICY.always or size >= ISOLATE_FROM_BYTES or depth >= ISOLATE_FROM_DEPTH


def render(mjml: str, options: dict[str, Any], *, isolate: bool, time_limit: float, size_limit: int) -> str:
    """MJML -> HTML through MRML; MrmlError for what MRML refuses, MrmlCrash for a dead or slow worker."""
    if not isolate:
        from mjml import mjml2html

        def refuse(path: str) -> str:
            raise ValueError(f"unable to load included template '{path}'")

        try:
            html = str(mjml2html(mjml, include_loader=refuse, **options))
        except Exception as exc:  # noqa: BLE001 - every MRML failure becomes a located error
            raise MrmlError(str(exc) or type(exc).__name__) from None
        if len(html) > size_limit:
            raise MrmlCrash(_too_large(len(html), size_limit))
        return html
    with _LOCK:
        return _in_worker(mjml, options, time_limit, size_limit)


def _too_large(size: int, limit: int) -> str:
    return (
        f"MJML output too large ({size:,} > {limit:,} characters); the limit is [build] render_size_limit_mb "
        "in kmsg.toml"
    )


def _start() -> subprocess.Popen[bytes]:
    global _worker
    if _worker is None or _worker.poll() is not None:
        _worker = subprocess.Popen(
            [sys.executable, "-c", WORKER_SOURCE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C in the terminal is the caller's to handle, not the worker's
        )
    return _worker


def _stop() -> None:
    global _worker
    if _worker is not None:
        if _worker.poll() is None:
            _worker.kill()
        _worker.wait()
        for stream in (_worker.stdin, _worker.stdout):
            if stream is not None:
                stream.close()
        _worker = None


atexit.register(_stop)


def _in_worker(mjml: str, options: dict[str, Any], time_limit: float, size_limit: int) -> str:
    worker = _start()
    if worker.stdin is None or worker.stdout is None:
        raise RuntimeError("the MJML worker was started without its pipes")
    request = json.dumps({"mjml": mjml, "options": options, "size_limit": size_limit}).encode("utf-8")
    deadline = time.monotonic() + time_limit
    try:
        worker.stdin.write(b"%d\n" % len(request) + request)
        worker.stdin.flush()
        answer = _answer(worker, deadline)
    except TimeoutError:
        _stop()
        raise MrmlCrash(
            f"MJML took longer than {time_limit:g} s to compile; the limit is [build] render_time_limit in kmsg.toml"
        ) from None
    except (BrokenPipeError, ConnectionError, ValueError):
        answer = None
    if answer is None:
        worker.wait()
        code = worker.returncode
        _stop()
        raise MrmlCrash(f"MJML's compiler (MRML) crashed on this body ({_ended(code)})")
    if "html" in answer:
        return str(answer["html"])
    if answer.get("error") == "too large":
        raise MrmlCrash(_too_large(int(answer["size"]), size_limit))
    raise MrmlError(str(answer["error"]))


def _answer(worker: subprocess.Popen[bytes], deadline: float) -> dict[str, Any] | None:
    stream = worker.stdout
    stream_state = _Stream(stream)
    header = stream_state.read(None, deadline)
    if not header:
        return None
    body = stream_state.read(int(header), deadline)
    if len(body) < int(header):
        return None
    found = json.loads(body)
    return found if isinstance(found, dict) else None


class _Stream:
    """Reads the worker's answers from its pipe with a deadline (no blocking read past it)."""

    def __init__(self, stream: Any) -> None:
        self.fd = stream.fileno()
        self.buffer = b""

    def read(self, count: int | None, deadline: float) -> bytes:
        """A header line without its newline (count None), or count bytes; short at end of file."""
        while True:
            if count is None and b"\n" in self.buffer:
                line, _, self.buffer = self.buffer.partition(b"\n")
                return line
            if count is not None and len(self.buffer) >= count:
                data, self.buffer = self.buffer[:count], self.buffer[count:]
                return data
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return b"" if count is None else self.buffer
            self.buffer += chunk


def _ended(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"it was killed by {name}"
    return f"it exited with status {code}"
