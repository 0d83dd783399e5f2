"""The sandbox's HTTP server: POST JSON endpoints under /api/v1/, the outbox pages, injected faults.

Request handling order: read the body, note the endpoint in the request log, wait the injected
latency, maybe answer a 5xx or drop the connection (before processing), then check the endpoint
exists (404), the Bearer KS (401), the JSON body (400), process, and maybe drop the connection
after the write committed. The Authorization header is never logged or echoed.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from kmsg_authoring.errors import ConfigError
from kmsg_authoring.model import ErrorCode
from kmsg_authoring.sandbox import outbox
from kmsg_authoring.sandbox.faults import Decision, Faults
from kmsg_authoring.sandbox.ks import KsError, partner_from_ks
from kmsg_authoring.sandbox.service import WRITE_ENDPOINTS, ApiProblem, Clock, Service, utc_now
from kmsg_authoring.sandbox.store import Store
import contextlib

API_PREFIX = "/api/v1/"
# Endpoints under this prefix exist only in the sandbox; faults never hit them (tests use them for setup).
SANDBOX_ONLY = "sandbox/"

# A request body larger than this is refused without being read (attachments are base64 in the JSON).
MAX_BODY_BYTES = 32 * 1024 * 1024
# No request of the API nests deeper than a JwtQrCode payload inside msgParams; deeper is refused (400).
MAX_BODY_DEPTH = 64
# Integers are stored in SQLite, whose integers are 64-bit; a larger one is refused (400), never a 500.
MAX_INTEGER = 2**63 - 1
# Called after each request with method, path (no query, no headers), HTTP status (0: dropped), milliseconds.
RequestHook = Callable[[str, str, int, float], None]

_REASONS = {
    500: ErrorCode.INTERNAL,
    502: ErrorCode.BAD_GATEWAY,
    503: ErrorCode.SERVICE_UNAVAILABLE,
    504: ErrorCode.GATEWAY_TIMEOUT,
}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def body_problem(body: Any) -> str | None:
    """Why a parsed request body cannot be processed (too deep, an integer beyond 64 bits), or None."""
    # Iterative: the body is the client's, so its depth must not decide this server's stack.
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_BODY_DEPTH:
                return f"is nested deeper than {MAX_BODY_DEPTH} levels"
            stack.extend((item, depth + 1) for item in (node.values() if isinstance(node, dict) else node))
        elif isinstance(node, int) and not isinstance(node, bool) and not -MAX_INTEGER - 1 <= node <= MAX_INTEGER:
            return f"holds an integer of {len(str(abs(node)))} digits, beyond 64 bits"
    return None


class RequestLog(list[str]):
    """Endpoint paths requested, in order ("email-template/list"); safe to read while the server runs."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def append(self, endpoint: str) -> None:
        """Record one request."""
        with self._lock:
            super().append(endpoint)

    def snapshot(self) -> list[str]:
        """A copy of the log as it is now."""
        with self._lock:
            return list(self)

    def clear(self) -> None:
        """Forget every recorded request."""
        with self._lock:
            super().clear()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.sandbox = sandbox
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End every kept-alive connection, so no handler thread outlives the server."""
        with self.connections_lock:
            connections = list(self.open_connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kmsg-author-sandbox"
    sys_version = ""
    timeout = 60  # seconds an idle kept-alive connection stays open
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm meets the client's
        # delayed ACK and every kept-alive request waits ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        self.server.sandbox.handle_post(self)

    def do_GET(self) -> None:
        self.server.sandbox.handle_get(self)

    def _not_allowed(self) -> None:
        self.server.sandbox.reply_json(
            self,
            405,
            {"code": ErrorCode.METHOD_NOT_ALLOWED, "message": "use POST"},
            {"Allow": "POST" if self.path.startswith(API_PREFIX) else "GET"},
        )

    do_PUT = do_DELETE = do_PATCH = _not_allowed

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's own log: it would go to stderr from library code."""


class Sandbox:
    """A running (or ready to run) local Messaging API."""

    def __init__(
        self,
        db_path: Path | str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        clock: Clock = utc_now,
        settle_delay: float = 0.0,
        on_request: RequestHook | None = None,
    ) -> None:
        self.store = Store(db_path)
        self.service = Service(self.store, clock=clock, settle_delay=settle_delay)
        self.faults = faults if faults is not None else Faults()
        self.request_log = RequestLog()
        self.on_request = on_request
        try:
            self._server = _Server((host, port), self)
        except OSError as exc:
            self.store.close()
            raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None
        self._serving = False

    @property
    def root_url(self) -> str:
        """http://host:port"""
        # Listening on every address: a client reaches it through the loopback one.
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The API base URL, for kmsg.toml: http://host:port/api/v1"""
        return self.root_url + API_PREFIX.rstrip("/")

    @property
    def outbox_url(self) -> str:
        """The outbox page."""
        return self.root_url + "/outbox"

    def start(self) -> Self:
        """Serve in a background thread."""
        self._serving = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="kmsg-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until stop() is called from another one (or KeyboardInterrupt)."""
        self._serving = True
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self._serving = False

    def stop(self) -> None:
        """Stop serving, end open connections, close the database."""
        if self._serving:
            self._serving = False
            self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- HTTP ----------------------------------------------------------------------------------

    def reply_json(
        self, handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        """Send a JSON answer."""
        self._reply(
            handler,
            status,
            json.dumps(body, ensure_ascii=False).encode("utf-8"),
            "application/json; charset=utf-8",
            headers,
        )

    def _reply(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        data: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def _drop(handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)

    def _done(self, method: str, path: str, status: int, started: float) -> None:
        if self.on_request is not None:
            self.on_request(method, path, status, (time.monotonic() - started) * 1000.0)

    def handle_post(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer a POST: an API call."""
        started = time.monotonic()
        path = urlsplit(handler.path).path
        try:
            length = int(handler.headers.get("Content-Length") or 0)
            if length < 0:
                raise ValueError
        except ValueError:
            handler.close_connection = True
            self.reply_json(handler, 400, {"code": ErrorCode.BAD_REQUEST, "message": "invalid Content-Length"})
            self._done("POST", path, 400, started)
            return
        if length > MAX_BODY_BYTES:
            handler.close_connection = True
            self.reply_json(
                handler,
                413,
                {
                    "code": ErrorCode.PAYLOAD_TOO_LARGE,
                    "message": f"request body too large ({length} > {MAX_BODY_BYTES} bytes)",
                },
            )
            self._done("POST", path, 413, started)
            return
        raw = handler.rfile.read(length) if length else b""
        if not path.startswith(API_PREFIX):
            self.reply_json(handler, 404, {"code": ErrorCode.ENDPOINT_NOT_FOUND, "message": f"no endpoint at {path}"})
            self._done("POST", path, 404, started)
            return
        endpoint = path[len(API_PREFIX) :].strip("/")
        self.request_log.append(endpoint)
        decision = Decision()
        if not endpoint.startswith(SANDBOX_ONLY):
            decision = self.faults.decide(endpoint in WRITE_ENDPOINTS)
        if decision.latency_s:
            time.sleep(decision.latency_s)
        if decision.error_status is not None:
            status = decision.error_status
            self.reply_json(
                handler,
                status,
                {
                    "code": _REASONS.get(status, ErrorCode.SERVER_ERROR).value,
                    "message": "injected fault: the sandbox failed this request",
                },
            )
            self._done("POST", path, status, started)
            return
        if decision.drop == "before":
            self._drop(handler)
            self._done("POST", path, 0, started)
            return
        status, body, headers = self._answer(endpoint, handler.headers.get("Authorization"), raw)
        if decision.drop == "after":
            self._drop(handler)
            self._done("POST", path, 0, started)
            return
        self.reply_json(handler, status, body, headers)
        self._done("POST", path, status, started)

    def _answer(self, endpoint: str, authorization: str | None, raw: bytes) -> tuple[int, Any, dict[str, str]]:
        if endpoint not in self.service.handlers:
            return 404, {"code": ErrorCode.ENDPOINT_NOT_FOUND, "message": f"no endpoint '{endpoint}'"}, {}
        challenge = {"WWW-Authenticate": "Bearer"}
        scheme, _, ks = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not ks.strip():
            missing = "missing Authorization: Bearer <KS> header"
            return 401, {"code": ErrorCode.UNAUTHORIZED, "message": missing}, challenge
        try:
            partner = partner_from_ks(ks)
        except KsError as exc:
            return 401, {"code": ErrorCode.INVALID_KS, "message": f"invalid KS: {exc}"}, challenge
        try:
            body = json.loads(raw.decode("utf-8"), parse_constant=_no_constant) if raw.strip() else {}
        except RecursionError:
            return (
                400,
                {
                    "code": ErrorCode.VALIDATION,
                    "message": f"the request body is nested deeper than {MAX_BODY_DEPTH} levels",
                },
                {},
            )
        except (UnicodeDecodeError, ValueError) as exc:
            return 400, {"code": ErrorCode.VALIDATION, "message": f"the request body is not JSON ({exc})"}, {}
        unusable = body_problem(body)
        if unusable:
            return 400, {"code": ErrorCode.VALIDATION, "message": f"the request body {unusable}"}, {}
        try:
            return 200, self.service.call(endpoint, partner, body), {}
        except ApiProblem as problem:
            return problem.status, problem.body(), {}
        except Exception as exc:  # noqa: BLE001 - an answer, not a dead connection, whatever went wrong
            return 500, {"code": ErrorCode.INTERNAL, "message": f"{type(exc).__name__}: {exc}"}, {}

    def handle_get(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer a GET: the outbox pages."""
        started = time.monotonic()
        parts = urlsplit(handler.path)
        path = parts.path.rstrip("/") or "/"
        html_type = "text/html; charset=utf-8"
        if path.startswith(API_PREFIX.rstrip("/")):
            self.reply_json(
                handler, 405, {"code": ErrorCode.METHOD_NOT_ALLOWED, "message": "use POST"}, {"Allow": "POST"}
            )
            status = 405
        elif path == "/":
            self._reply(handler, 302, b"", html_type, {"Location": "/outbox"})
            status = 302
        elif path == "/outbox":
            try:
                offset = max(0, int(parse_qs(parts.query).get("offset", ["0"])[0]))
            except ValueError:
                offset = 0
            messages, total = self.service.outbox(offset, outbox.PAGE_SIZE)
            self._reply(handler, 200, outbox.list_page(messages, total, offset).encode("utf-8"), html_type)
            status = 200
        elif path.startswith("/outbox/"):
            message = self.service.message(path[len("/outbox/") :])
            if message is None:
                status = 404
                self._reply(handler, 404, outbox.not_found_page("no such message").encode("utf-8"), html_type)
            else:
                status = 200
                self._reply(handler, 200, outbox.message_page(message).encode("utf-8"), html_type)
        else:
            status = 404
            self._reply(handler, 404, outbox.not_found_page(f"nothing at {path}").encode("utf-8"), html_type)
        self._done("GET", path, status, started)


def start_sandbox(
    db_path: Path | str,
    port: int = 0,
    faults: Faults | None = None,
    *,
    host: str = "127.0.0.1",
    clock: Clock = utc_now,
    settle_delay: float = 0.0,
    on_request: RequestHook | None = None,
) -> Sandbox:
    """Start a sandbox serving in a background thread; use it as a context manager to stop it."""
    return Sandbox(
        db_path, host=host, port=port, faults=faults, clock=clock, settle_delay=settle_delay, on_request=on_request
    ).start()
