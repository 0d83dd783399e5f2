"""The live preview over HTTP: a threading stdlib server in front of a PreviewSite, fed by a watcher."""

from __future__ import annotations

import contextlib
import ipaddress
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmsg_authoring.source.config import CONFIG_FILE
from kmsg_authoring.errors import UsageError
from kmsg_authoring.preview.routes import internal_error
from kmsg_authoring.preview.site import PreviewSite, Rebuilt
from kmsg_authoring.preview.watcher import Debouncer, WatchdogWatcher, Watcher
from kmsg_authoring.model import PREVIEW_PORT

if TYPE_CHECKING:
    from kmsg_authoring.source.config import Config

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = PREVIEW_PORT
# Names always accepted in the Host header, besides the address the server is bound to.
_LOCAL_NAMES = ("localhost", "127.0.0.1")
_WILDCARDS = ("", "0.0.0.0", "::")


def _ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(header: str | None, bound: str, port: int) -> bool:
    """Whether a request's Host header names this server: its bound address or localhost, with its port.

    A page that rebinds its own domain name to 127.0.0.1 (DNS rebinding) sends its domain name here,
    so it is refused. A server bound to every address also answers to any IP literal with its port.
    """
    if not header:
        return False
    header = header.strip().lower()
    port_text: str | None = None
    if header.startswith("["):
        name, _, rest = header[1:].partition("]")
        if rest and not rest.startswith(":"):
            return False
        port_text = rest[1:] if rest else None
    elif header.count(":") == 1:
        name, port_text = header.split(":")
    elif ":" in header:
        return False
    else:
        name = header
    if port_text is None:
        if port != 80:
            return False
    elif not port_text.isdigit() or int(port_text) != port:
        return False
    bound = bound.strip("[]").lower()
    if name in _LOCAL_NAMES or name == bound:
        return True
    return bound in _WILDCARDS and _ip_literal(name)


class _Handler(BaseHTTPRequestHandler):
    server: PreviewHTTPServer
    protocol_version = "HTTP/1.1"

    def _misdirected(self, with_body: bool) -> None:
        body = (f"421 Misdirected Request: this preview answers only to {self.server.url_hint()}\n").encode()
        self.send_response(421)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if with_body:
            self.wfile.write(body)

    def _answer(self, with_body: bool) -> None:
        if not host_allowed(self.headers.get("Host"), self.server.bound_host, self.server.server_port):
            self._misdirected(with_body)
            return
        try:
            response = self.server.site.handle(self.path)
        except Exception as exc:  # noqa: BLE001 - one bad page must not print a traceback or stop the server
            response = internal_error(exc)
            self.server.log_error(self.path, exc)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(response.body)

    def do_GET(self) -> None:
        """Answer a GET."""
        # The page may go away (reloaded or closed) while its long poll waits.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer(True)

    def do_HEAD(self) -> None:
        """Answer a HEAD."""
        self._answer(False)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the preview prints its URL and rebuilds, not every request."""


class PreviewHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that answers from a PreviewSite."""

    daemon_threads = True

    def __init__(self, site: PreviewSite, host: str, port: int, on_error: Callable[[str], None] | None = None) -> None:
        self.site = site
        self.bound_host = host
        self.on_error = on_error
        super().__init__((host, port), _Handler)

    def log_error(self, path: str, exc: Exception) -> None:
        """Hand an unexpected failure of a page, with where it happened, to the log (if any)."""
        if self.on_error is None:
            return
        import traceback

        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ is not None else None
        at = f" at {Path(where.filename).name}:{where.lineno}" if where is not None else ""
        self.on_error(f"GET {path} failed: {type(exc).__name__}: {exc}{at}")

    def url_hint(self) -> str:
        """The addresses a Host header may name, for the refusal message."""
        host = self.bound_host if self.bound_host not in _WILDCARDS else "<this machine's IP address>"
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.server_port}/ or http://localhost:{self.server_port}/"


class LivePreview:
    """The site, the HTTP server, the watcher and the debouncer, started and stopped together."""

    def __init__(
        self,
        site: PreviewSite,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        watcher: Watcher | None = None,
        quiet: float = 0.05,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.site = site
        self.on_error = on_error
        self.host = host
        self.port = port
        self.watcher: Watcher = watcher if watcher is not None else WatchdogWatcher()
        self.debouncer = Debouncer(self._rebuild, quiet=quiet)
        self.server: PreviewHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The address the preview is served at."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> None:
        """Build everything, then serve and watch in background threads."""
        try:
            self.server = PreviewHTTPServer(self.site, self.host, self.port, self.on_error)
        except OSError as exc:
            raise UsageError(f"cannot serve on {self.host}:{self.port}: {exc.strerror}; pick another --port") from None
        self.port = int(self.server.server_address[1])
        self.site.build_all()
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, name="kmsg-preview-http", daemon=True
        )
        self._thread.start()
        self.debouncer.start()
        root = self.site.config.root

        def changed(path: Path) -> None:
            if path.parent == root and path.name != CONFIG_FILE:
                return
            self.debouncer.add(self.site.config.rel(path))

        self.watcher.start([self.site.config.src_dir], changed, flat=[root])

    def _rebuild(self, paths: set[str]) -> None:
        try:
            self.site.on_change(paths)
        except Exception as exc:  # noqa: BLE001 - the server outlives any one failed rebuild
            self.site.report_crash(exc)

    def stop(self) -> None:
        """Stop watching and serving; release waiting pages."""
        self.watcher.stop()
        self.debouncer.close()
        self.site.close()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.site.thumbnails is not None:
            self.site.thumbnails.stop()


def start_live_preview(
    config: Config,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    snapshots: bool = True,
    on_rebuild: Callable[[Rebuilt], None] | None = None,
    on_error: Callable[[str], None] | None = None,
) -> LivePreview:
    """Build every template, then serve and watch (with live snapshot thumbnails unless snapshots is False)."""
    site = PreviewSite(config, on_rebuild=on_rebuild)
    if snapshots:
        from kmsg_authoring.review.thumbs import Thumbnails

        site.thumbnails = Thumbnails(config, on_done=site.on_thumbnails)
    live = LivePreview(site, host=host, port=port, on_error=on_error)
    live.start()
    return live
