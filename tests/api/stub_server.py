"""A scripted HTTP server on 127.0.0.1: each POST gets the Reply a test's script returns for it."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Reply:
    """One answer: status, headers and body, sent after `delay` s, the body a byte every `trickle` s."""

    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    trickle: float = 0.0

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None, **kw: Any) -> Reply:
        """A JSON answer."""
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})}, **kw)


@dataclass
class Seen:
    """A request the stub received."""

    path: str
    headers: dict[str, str]
    body: bytes


Script = Callable[[Seen], Reply]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes; without this each answer waits ~40 ms for an ACK.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        seen = Seen(self.path, dict(self.headers.items()), self.rfile.read(length))
        self.server.seen.append(seen)
        reply = self.server.script(seen)
        try:
            if reply.delay:
                time.sleep(reply.delay)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.trickle:
                for i in range(len(reply.body)):
                    self.wfile.write(reply.body[i : i + 1])
                    self.wfile.flush()
                    if self.server.stopping.wait(reply.trickle):
                        return
            else:
                self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True  # the client gave up; nothing to tell it

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, script: Script) -> None:
        self.script = script
        self.seen: list[Seen] = []
        self.stopping = threading.Event()
        super().__init__(("127.0.0.1", 0), _Handler)


@dataclass
class Stub:
    """A running stub: its API url and the requests it received."""

    url: str
    seen: list[Seen]

    @property
    def endpoints(self) -> list[str]:
        """The endpoints requested, in order."""
        return [s.path.split("/api/v1/", 1)[-1] for s in self.seen]


@contextmanager
def stub_server(script: Script) -> Iterator[Stub]:
    """Serve script on a free port of 127.0.0.1 for the duration of the with block."""
    server = _Server(script)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield Stub(f"http://127.0.0.1:{server.server_address[1]}/api/v1", server.seen)
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TEMPLATE_YAML = (
    "name: {name}\nsubject: Hello {{recipient.firstName}}\n"
    'toAttributePath: "{{recipient.email}}"\nmsgParamsMap:\n  recipient: {{type: User}}\n'
)
BODY = (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{name}</title></head>\n'
    "<body><p>Hi {{recipient.firstName}}, this is {name}.</p></body></html>\n"
)


def write_project(root: Path, url: str, names: list[str], *, guid: str = "stub-app", extra: str = "") -> Path:
    """A project of simple templates with one environment, 'stub', at url (KS in STUB_KS)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "kmsg.toml").write_text(
        f'[environments.stub]\nurl = "{url}"\napp_guid = "{guid}"\nks_env = "STUB_KS"\n{extra}', encoding="utf-8"
    )
    for name in names:
        folder = root / "templates_src" / name.lower().replace(" ", "-")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "template.yaml").write_text(TEMPLATE_YAML.format(name=name), encoding="utf-8")
        (folder / "body.html").write_text(BODY.format(name=name), encoding="utf-8")
    return root
