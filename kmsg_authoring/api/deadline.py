"""One deadline for a whole logical request: every socket wait of httpx is bounded by what is left of it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpcore
import httpx


class Deadline(threading.local):
    """The time by which the current thread's request must be done (None: no request), on `clock`.

    The clock is the client's own (injected in tests), so the deadline the retries see and the one the
    sockets are held to are one and the same.
    """

    at: float | None = None

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock

    def left(self) -> float | None:
        """Seconds left before the deadline (None: no request under way)."""
        return None if self.at is None else self.at - self.clock()


class DeadlineStream(httpcore.NetworkStream):
    """A socket whose every wait is cut to the time left before the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, backend: DeadlineBackend) -> None:
        self._inner, self._backend = inner, backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._backend.clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._backend.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        left = self._backend.clamp(timeout, httpcore.ConnectTimeout)
        inner = self._inner.start_tls(ssl_context, server_hostname, left)
        return DeadlineStream(inner, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend with every socket wait bounded by the thread's request deadline."""

    def __init__(self, inner: httpcore.NetworkBackend, deadline: Deadline) -> None:
        self._inner, self._deadline = inner, deadline

    def clamp(self, timeout: float | None, error: type[Exception]) -> float | None:
        """timeout, cut to what is left before the deadline; error when nothing is left."""
        left = self._deadline.left()
        if left is None:
            return timeout
        if left <= 0:
            raise error("the request took longer than its deadline")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, self.clamp(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return DeadlineStream(stream, self)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, self.clamp(timeout, httpcore.ConnectTimeout), socket_options)
        return DeadlineStream(stream, self)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install_deadline(client: httpx.Client, deadline: Deadline) -> bool:
    """Wrap the network backend of every connection pool of client; False when none was found.

    httpx offers no public hook for this; its transports keep an httpcore pool whose backend is used for
    every new connection, so wrapping it before the first request bounds every socket wait.
    """
    installed = False
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    for transport in transports:
        pool: Any = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend):
            pool._network_backend = DeadlineBackend(backend, deadline)
            installed = True
    return installed
