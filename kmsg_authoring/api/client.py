"""A small client for the Messaging API endpoints the toolkit uses.

Every call is a JSON POST to `<url>/<endpoint>` with `Authorization: Bearer <KS>`. Transient failures
(HTTP 5xx, timeouts, dropped connections) are retried as section 13 of the API guide asks: after 1 s,
2 s and 4 s, each with jitter, at most 3 retries. Client errors are never retried. A call that is not
idempotent (email-template/add) is retried only when the request certainly never reached the server;
otherwise it raises AmbiguousWriteError and the caller decides (the publisher looks the name up first).

The KS is shown as `<hidden>` in every message, repr and log line this module produces.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Self

import httpx

from kmsg_authoring.errors import HIDDEN, ApiError, ConfigError
from kmsg_authoring.model import RETRY_DELAYS

# Page size for list calls; the pager's default (30) would cost many requests for a big project.
LIST_PAGE_SIZE = 500
DEFAULT_TIMEOUT = 30.0

# Connection failures that happen before a request is sent: always safe to retry.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class AmbiguousWriteError(ApiError):
    """A write failed in a way that leaves unknown whether the server applied it."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message, status=status, retryable=True)


def check_ks(ks: str, where: str = "the KS") -> str:
    """ks itself, or a ConfigError (that never quotes it) when it cannot go into an HTTP header."""
    if not ks:
        raise ConfigError(f"{where} is empty")
    if not all("!" <= ch <= "~" for ch in ks):
        raise ConfigError(
            f"{where} holds spaces, line breaks or non-ASCII characters, which a KS never has; "
            "check how it was copied"
        )
    return ks


def default_jitter(delay: float) -> float:
    """The guide's delay plus up to a quarter more, so parallel clients do not retry in step."""
    return delay + random.uniform(0.0, delay / 4)


def _server_message(response: httpx.Response) -> str:
    """The error text of a failed response: a JSON message field when there is one, else the text."""
    try:
        data = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:300] if text else response.reason_phrase
    if isinstance(data, dict):
        parts = []
        for key in ("message", "error", "errorEnum", "errorDescription", "code", "detail"):
            value = data.get(key)
            if isinstance(value, (str, int)) and str(value) not in parts:
                parts.append(str(value))
            elif isinstance(value, dict) and isinstance(value.get("message"), str):
                parts.append(value["message"])
        if parts:
            return ": ".join(parts)
    return str(data)[:300]


def _describe(exc: httpx.HTTPError) -> str:
    kinds: dict[type[Exception], str] = {
        httpx.ConnectError: "cannot connect",
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "timed out waiting for the response",
        httpx.WriteTimeout: "timed out sending the request",
        httpx.PoolTimeout: "no free connection",
        httpx.RemoteProtocolError: "connection dropped",
        httpx.ReadError: "connection dropped",
        httpx.WriteError: "connection dropped",
    }
    kind = kinds.get(type(exc), type(exc).__name__)
    detail = str(exc).strip()
    return f"{kind} ({detail})" if detail and detail != kind else kind


class MessagingClient:
    """The Messaging API over HTTP, with retries, paging, request counts and a redacted KS."""

    def __init__(
        self,
        url: str,
        ks: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        delays: tuple[float, ...] = RETRY_DELAYS,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float], float] = default_jitter,
        clock: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] | None = None,
        max_connections: int = 10,
    ) -> None:
        self.url = url.rstrip("/")
        self._ks = check_ks(ks)
        self.delays = delays
        self.sleep = sleep
        self.jitter = jitter
        self.clock = clock
        self._log = log
        self._lock = threading.Lock()
        self._log_lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self._http = httpx.Client(
            base_url=self.url + "/",
            headers={"Authorization": f"Bearer {ks}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    def __repr__(self) -> str:
        return f"MessagingClient(url={self.url!r}, ks={HIDDEN!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- plumbing ---------------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """text with the KS replaced by <hidden>."""
        return text.replace(self._ks, HIDDEN) if self._ks else text

    def log(self, text: str) -> None:
        """Send a line to the verbose log, if any, with the KS redacted; whole lines, even from threads."""
        if self._log is not None:
            with self._log_lock:
                self._log(self.redact(text))

    def backoff(self, attempt: int, what: str = "") -> None:
        """Wait before retry number attempt (0-based), as section 13 asks."""
        delay = self.jitter(self.delays[min(attempt, len(self.delays) - 1)])
        self.log(f"retry {attempt + 1} of {len(self.delays)}{f' ({what})' if what else ''} in {delay:.1f} s")
        self.sleep(delay)

    @property
    def request_count(self) -> int:
        """Requests sent so far, retries included."""
        with self._lock:
            return sum(self.counts.values())

    def _post_once(self, endpoint: str, body: Mapping[str, Any]) -> httpx.Response:
        with self._lock:
            self.counts[endpoint] += 1
        started = self.clock()
        request = f"POST {self.url}/{endpoint} (Authorization: Bearer {HIDDEN})"
        try:
            response = self._http.post(endpoint, json=body)
        except httpx.HTTPError as exc:
            self.log(f"{request} -> {_describe(exc)} after {(self.clock() - started) * 1000:.0f} ms")
            raise
        self.log(f"{request} -> HTTP {response.status_code} in {(self.clock() - started) * 1000:.0f} ms")
        return response

    def call(self, endpoint: str, body: Mapping[str, Any], *, idempotent: bool = True) -> Any:
        """POST body to endpoint and return the decoded JSON answer, retrying transient failures."""
        failure: ApiError | None = None
        for attempt in range(len(self.delays) + 1):
            if attempt:
                self.backoff(attempt - 1, endpoint)
            reached = True
            try:
                response = self._post_once(endpoint, body)
            except httpx.HTTPError as exc:
                reached = not isinstance(exc, _NOT_SENT)
                failure = ApiError(self.redact(f"{endpoint}: {_describe(exc)}"), retryable=True)
            else:
                status = response.status_code
                if status < 400:
                    try:
                        return response.json()
                    except ValueError:
                        raise ApiError(
                            self.redact(f"{endpoint}: HTTP {status} with a body that is not JSON"), status
                        ) from None
                message = self.redact(_server_message(response))
                if status in (401, 403):
                    raise ApiError(
                        f"{endpoint}: HTTP {status}: invalid or expired KS ({message}); "
                        "the environment variable must hold a valid ADMIN KS (type=2)",
                        status,
                    )
                if status < 500:
                    raise ApiError(f"{endpoint}: HTTP {status}: {message}", status)
                failure = ApiError(f"{endpoint}: HTTP {status}: {message}", status, retryable=True)
            if reached and not idempotent:
                raise AmbiguousWriteError(
                    f"{failure.message} (the server may or may not have applied it)", failure.status
                )
        assert failure is not None
        raise ApiError(
            f"{failure.message} (gave up after {len(self.delays)} retries)", failure.status, retryable=True
        )

    def list_all(self, endpoint: str, filter: Mapping[str, Any], *, page_size: int = LIST_PAGE_SIZE) -> list[Any]:
        """Every object a list endpoint has for filter, paging until totalCount objects are read."""
        objects: list[Any] = []
        seen: set[Any] = set()
        offset = 0
        while True:
            page = self.call(endpoint, {"filter": dict(filter), "pager": {"offset": offset, "limit": page_size}})
            if not isinstance(page, dict) or not isinstance(page.get("objects", []), list):
                raise ApiError(f"{endpoint}: unexpected answer (no objects list)")
            items = page.get("objects") or []
            for item in items:
                key = item.get("id") if isinstance(item, dict) else None
                if key is None or key not in seen:
                    seen.add(key)
                    objects.append(item)
            offset += len(items)
            total = page.get("totalCount")
            if not items or not isinstance(total, int) or offset >= total:
                return objects

    # -- endpoints ---------------------------------------------------------------------------------

    def add_template(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """email-template/add; raises AmbiguousWriteError when it may or may not have been applied."""
        return self._object("email-template/add", self.call("email-template/add", fields, idempotent=False))

    def get_template(self, template_id: str) -> dict[str, Any]:
        """email-template/get."""
        return self._object("email-template/get", self.call("email-template/get", {"id": template_id}))

    def update_template(self, template_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """email-template/update with only the given fields (setting them again is harmless)."""
        answer = self.call("email-template/update", {"id": template_id, **fields})
        return self._object("email-template/update", answer)

    def delete_template(self, template_id: str) -> dict[str, Any]:
        """email-template/delete (sets the status to deleted)."""
        answer = self.call("email-template/delete", {"id": template_id})
        return answer if isinstance(answer, dict) else {}

    def list_templates(self, **filter: Any) -> list[dict[str, Any]]:
        """email-template/list, every page."""
        return self.list_all("email-template/list", filter)

    def send_message(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """message/send; never retried after it may have reached the server (it would send twice)."""
        return self._object("message/send", self.call("message/send", request, idempotent=False))

    def list_messages(self, **filter: Any) -> list[dict[str, Any]]:
        """message/list, every page."""
        return self.list_all("message/list", filter)

    def message_stats(self, *, bulk_id: str | None = None, session: str | None = None) -> dict[str, Any]:
        """message/stats for a bulk message or a session: uppercase status -> count."""
        body = {"bulkId": bulk_id} if bulk_id else {"session": session}
        return self._object("message/stats", self.call("message/stats", body))

    def list_unsubscribe_uris(self, **filter: Any) -> list[dict[str, Any]]:
        """unsubscribe-uri/list, every page."""
        return self.list_all("unsubscribe-uri/list", filter)

    @staticmethod
    def _object(endpoint: str, answer: Any) -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise ApiError(f"{endpoint}: unexpected answer (not a JSON object)")
        return answer
