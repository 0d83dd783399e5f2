"""A small client for the Messaging API endpoints the toolkit uses.

Every call is a JSON POST to `<url>/<endpoint>` with `Authorization: Bearer <KS>`. Transient failures
(HTTP 5xx, timeouts, dropped connections) are retried as section 13 of the API guide asks: after 1 s,
2 s and 4 s, each with jitter, at most 3 retries, all in the one loop of `MessagingClient.call`. Client
errors are never retried. A call that is not idempotent (email-template/add) is retried only when the
request certainly never reached the server, or when the caller's `applied` check finds it was not applied.

What the client refuses, because it holds an ADMIN KS: plain http:// to a host that is not a loopback
address (unless the environment sets allow_insecure); following a redirect (any 3xx is an error); an
answer larger than `max_response_bytes`, slower than `deadline` seconds in all, nested too deeply, or
paged inconsistently. The KS is shown as `<hidden>` in every message, repr and log line this module
produces, and it is replaced by `<hidden>` in every answer before the answer leaves the client.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Self
from urllib.parse import urlsplit

import httpx

from kmsg_authoring.errors import HIDDEN, ApiError
from kmsg_authoring.api.answers import Answer, BadJson, describe, is_refused, parse_json, server_message
from kmsg_authoring.api.failures import AmbiguousWriteError, Failure, default_jitter
from kmsg_authoring.api.deadline import Deadline, install_deadline
from kmsg_authoring.api.guards import check_ks, check_url, is_loopback
from kmsg_authoring.model import RETRY_DELAYS

# Page size for list calls; the pager's default (30) would cost many requests for a big project.
LIST_PAGE_SIZE = 500
# Seconds one socket operation may wait.
DEFAULT_TIMEOUT = 30.0
# Seconds a whole logical request may take, retries and their waits included: a server trickling a
# byte at a time cannot hold a publish for minutes.
DEFAULT_DEADLINE = 120.0
# A page of 500 templates at the guide's largest bodies stays well below this.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
# A list that keeps producing new objects past this is not a project's templates.
MAX_LIST_OBJECTS = 100_000

# Connection failures that happen before a request is sent: always safe to retry.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class MessagingClient:
    """The Messaging API over HTTP, with retries, paging, request counts and a redacted KS."""

    def __init__(
        self,
        url: str,
        ks: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        allow_insecure: bool = False,
        delays: tuple[float, ...] = RETRY_DELAYS,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float], float] = default_jitter,
        clock: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] | None = None,
        max_connections: int = 10,
    ) -> None:
        self.url = check_url(url.rstrip("/"), allow_insecure=allow_insecure)
        self._ks = check_ks(ks)
        self.delays = delays
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.sleep = sleep
        self.jitter = jitter
        self.clock = clock
        self._log = log
        self._lock = threading.Lock()
        self._log_lock = threading.Lock()
        self._deadline = Deadline(clock)
        self._calls = threading.local()
        self.counts: Counter[str] = Counter()
        self._http = httpx.Client(
            base_url=self.url + "/",
            headers={"Authorization": f"Bearer {ks}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
            # A redirect would carry the Authorization header elsewhere: never followed (and an error).
            follow_redirects=False,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )
        self._timeout = timeout
        # With the default transport every socket wait is bounded by the deadline; an injected one
        # (tests) is bounded between body chunks only.
        self.socket_deadline = install_deadline(self._http, self._deadline) if transport is None else False

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

    def _wait(self, attempt: int, what: str, deadline: float) -> bool:
        """Wait before retry number attempt (0-based), as section 13 asks; False when the deadline is too near."""
        delay = self.jitter(self.delays[min(attempt, len(self.delays) - 1)])
        if self.clock() + delay >= deadline:
            return False
        self.log(f"retry {attempt + 1} of {len(self.delays)}{f' ({what})' if what else ''} in {delay:.1f} s")
        self.sleep(delay)
        return True

    @property
    def request_count(self) -> int:
        """Requests sent so far, retries included."""
        with self._lock:
            return sum(self.counts.values())

    def _post_once(self, endpoint: str, body: Mapping[str, Any], deadline: float) -> Answer:
        """One POST, its answer read within the size cap and the deadline; Failure when it failed."""
        started = self.clock()
        request = f"POST {self.url}/{endpoint} (Authorization: Bearer {HIDDEN})"
        left = deadline - started
        if left <= 0:
            raise Failure(
                ApiError(f"{endpoint}: no time left before the deadline ({self.deadline:g} s)"),
                retryable=False,
                sent=False,
            )
        with self._lock:
            self.counts[endpoint] += 1
        self._deadline.at = deadline
        try:
            with self._http.stream("POST", endpoint, json=body, timeout=min(self._timeout, left)) as response:
                answer = self._read(endpoint, response, deadline)
        except Failure as failure:
            self.log(f"{request} -> {failure.error.message} after {(self.clock() - started) * 1000:.0f} ms")
            raise
        except httpx.HTTPError as exc:
            self.log(f"{request} -> {describe(exc)} after {(self.clock() - started) * 1000:.0f} ms")
            sent = not isinstance(exc, _NOT_SENT)
            if isinstance(exc, httpx.ConnectError) and is_refused(exc):
                hint = (
                    "is `kmsg-author sandbox` running?"
                    if is_loopback(urlsplit(self.url).hostname)
                    else "check url in kmsg.toml"
                )
                raise Failure(
                    ApiError(f"{endpoint}: nothing is listening at {self.url}; {hint}"), retryable=False, sent=False
                ) from None
            if isinstance(exc, httpx.TimeoutException) and self.clock() >= deadline:
                raise Failure(
                    ApiError(
                        self.redact(
                            f"{endpoint}: no complete answer within the deadline ({self.deadline:g} s) "
                            f"({describe(exc)})"
                        ),
                        retryable=True,
                    ),
                    retryable=False,
                    sent=sent,
                ) from None
            raise Failure(
                ApiError(self.redact(f"{endpoint}: {describe(exc)}"), retryable=True), retryable=True, sent=sent
            ) from None
        finally:
            self._deadline.at = None
        self.log(f"{request} -> HTTP {answer.status} in {(self.clock() - started) * 1000:.0f} ms")
        return answer

    def _read(self, endpoint: str, response: httpx.Response, deadline: float) -> Answer:
        """The body of a streamed response, refusing more than max_response_bytes or past the deadline."""
        cap = self.max_response_bytes
        declared = response.headers.get("Content-Length", "")
        too_big = ApiError(
            f"{endpoint}: HTTP {response.status_code} answer larger than {cap} bytes; not read", response.status_code
        )
        if declared.isdigit() and int(declared) > cap:
            raise Failure(too_big, retryable=False)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > cap:
                raise Failure(too_big, retryable=False)
            if self.clock() >= deadline:
                raise Failure(
                    ApiError(
                        f"{endpoint}: no complete answer within the deadline ({self.deadline:g} s)", retryable=True
                    ),
                    retryable=False,
                )
            chunks.append(chunk)
        return Answer(response.status_code, response.headers, b"".join(chunks))

    def _judge(self, endpoint: str, answer: Answer) -> Any:
        """The decoded JSON of a 2xx answer; Failure for anything else."""
        status = answer.status
        if 300 <= status < 400:
            where = self.redact(answer.headers.get("Location", "")[:200]) or "no Location"
            raise Failure(
                ApiError(
                    f"{endpoint}: HTTP {status} redirect ({where}); kmsg-author never follows a redirect, which "
                    "would send the KS elsewhere: set url in kmsg.toml to the address that answers",
                    status,
                ),
                retryable=False,
            )
        if 200 <= status < 300:
            try:
                return parse_json(answer.content, self._ks)
            except BadJson as exc:
                raise Failure(
                    ApiError(f"{endpoint}: HTTP {status} with a body that is {exc}", status), retryable=False
                ) from None
        message = self.redact(server_message(answer, self._ks))
        if status in (401, 403):
            raise Failure(
                ApiError(
                    f"{endpoint}: HTTP {status}: invalid or expired KS ({message}); "
                    "the environment variable must hold a valid ADMIN KS (type=2)",
                    status,
                ),
                retryable=False,
            )
        if status < 500:
            raise Failure(ApiError(f"{endpoint}: HTTP {status}: {message}", status), retryable=False)
        raise Failure(ApiError(f"{endpoint}: HTTP {status}: {message}", status, retryable=True), retryable=True)

    def call(
        self,
        endpoint: str,
        body: Mapping[str, Any],
        *,
        idempotent: bool = True,
        applied: Callable[[], Any] | None = None,
        retry: bool = True,
    ) -> Any:
        """POST body to endpoint and return the decoded JSON answer, retrying transient failures.

        This is the one retry loop: at most len(delays) retries, all within `deadline` seconds. A write
        that is not idempotent and may have reached the server is retried only through `applied`: called
        before each retry, it returns what the earlier attempt stored (then the call returns that) or
        None (then the write is sent again). It must send at most one request and not retry itself.
        """
        # A call made inside another (the lookup of `applied`) shares the outer call's deadline.
        outer: float | None = getattr(self._calls, "deadline", None)
        deadline = self.clock() + self.deadline
        deadline = deadline if outer is None else min(deadline, outer)
        self._calls.deadline = deadline
        try:
            return self._call(endpoint, body, deadline, idempotent=idempotent, applied=applied, retry=retry)
        finally:
            self._calls.deadline = outer

    def _call(
        self,
        endpoint: str,
        body: Mapping[str, Any],
        deadline: float,
        *,
        idempotent: bool,
        applied: Callable[[], Any] | None,
        retry: bool,
    ) -> Any:
        failure: Failure | None = None
        attempts = len(self.delays) + 1 if retry else 1
        made = 0
        for attempt in range(attempts):
            if attempt:
                if failure is None:
                    raise RuntimeError("a retry without an earlier failure")
                if not self._wait(attempt - 1, endpoint, deadline):
                    break
            made += 1
            try:
                if failure is not None and failure.sent and not idempotent:
                    if applied is None:
                        raise RuntimeError("a non-idempotent retry without a way to look for its effect")
                    found = applied()
                    if found is not None:
                        self.log(f"{endpoint}: the earlier attempt was applied; not sending it again")
                        return found
                return self._judge(endpoint, self._post_once(endpoint, body, deadline))
            except Failure as exc:
                failure = exc
            except ApiError as exc:
                # From `applied`: its one request failed; it counts as this attempt.
                if failure is None:
                    raise  # not from `applied` (which runs only after a failure): an answer already final
                failure = Failure(exc, retryable=exc.retryable, sent=True)
            if not failure.retryable:
                raise failure.error
            if failure.sent and not idempotent and applied is None:
                raise AmbiguousWriteError(
                    f"{failure.error.message} (the server may or may not have applied it)", failure.error.status
                )
        if failure is None:
            raise RuntimeError("a retry without an earlier failure")
        error = failure.error
        if not retry:
            raise error
        if failure.sent and not idempotent:
            raise AmbiguousWriteError(
                f"{error.message} (gave up after {made - 1} retries; the server may or may not have applied it)",
                error.status,
            )
        raise ApiError(f"{error.message} (gave up after {made - 1} retries)", error.status, retryable=True)

    def list_all(
        self, endpoint: str, filter: Mapping[str, Any], *, page_size: int = LIST_PAGE_SIZE, retry: bool = True
    ) -> list[Any]:
        """Every object a list endpoint has for filter, paging until totalCount objects are read.

        Paging stops with an ApiError when the server repeats a page, sends more than a page, ends
        before totalCount or sends a short page before it, needs more requests than the first
        totalCount and the page size allow, gives objects without a usable id, or keeps going past
        MAX_LIST_OBJECTS.
        """
        objects: list[Any] = []
        seen: set[str | int] = set()
        offset = 0
        requests = 0
        allowed: int | None = None  # requests the first page's totalCount allows at this page size
        while True:
            requests += 1
            page = self.call(
                endpoint, {"filter": dict(filter), "pager": {"offset": offset, "limit": page_size}}, retry=retry
            )
            where = f"{endpoint} (offset {offset})"
            if not isinstance(page, dict) or not isinstance(page.get("objects", []), list):
                raise ApiError(f"{where}: unexpected answer (no objects list)")
            items = page.get("objects") or []
            total = page.get("totalCount")
            if isinstance(total, bool) or not isinstance(total, int) or total < 0:
                raise ApiError(f"{where}: unexpected answer (totalCount is not a count)")
            if len(items) > page_size:
                raise ApiError(f"{where}: the server sent {len(items)} objects for a page of {page_size}")
            if allowed is None:
                allowed = max(1, -(-total // page_size))
            elif requests > allowed:
                raise ApiError(
                    f"{where}: {requests} requests, more than totalCount {total} at {page_size} per page "
                    "allows (the list changed while paging, or the server miscounts); stopped paging"
                )
            fresh = 0
            for item in items:
                key = item.get("id") if isinstance(item, dict) else None
                if isinstance(key, bool) or not isinstance(key, (str, int)) or key == "":
                    raise ApiError(f"{where}: unexpected answer (an object without a string id)")
                if key not in seen:
                    seen.add(key)
                    objects.append(item)
                    fresh += 1
            if items and not fresh:
                raise ApiError(f"{where}: the server sent the same page again; stopped paging")
            offset += len(items)
            if not items:
                if offset < total:
                    raise ApiError(
                        f"{where}: totals do not add up (totalCount {total}, but the pages ended after {offset})"
                    )
                return objects
            if offset >= total:
                return objects
            if len(items) < page_size:
                raise ApiError(
                    f"{where}: a short page ({len(items)} of {page_size}) before totalCount {total} was reached "
                    f"(read {offset}); the list changed while paging, or the server miscounts; stopped paging"
                )
            if len(objects) >= MAX_LIST_OBJECTS:
                raise ApiError(f"{where}: more than {MAX_LIST_OBJECTS} objects (totalCount {total}); stopped paging")

    # -- endpoints ---------------------------------------------------------------------------------

    def add_template(
        self, fields: Mapping[str, Any], *, applied: Callable[[], dict[str, Any] | None] | None = None
    ) -> dict[str, Any]:
        """email-template/add; after a failure that may have been applied, retried only through `applied`.

        Without `applied`, such a failure raises AmbiguousWriteError and the caller decides.
        """
        answer = self.call("email-template/add", fields, idempotent=False, applied=applied)
        return self._object("email-template/add", answer, need_id=True)

    def get_template(self, template_id: str) -> dict[str, Any]:
        """email-template/get."""
        return self._object("email-template/get", self.call("email-template/get", {"id": template_id}), need_id=True)

    def update_template(self, template_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """email-template/update with only the given fields (setting them again is harmless)."""
        answer = self.call("email-template/update", {"id": template_id, **fields})
        return self._object("email-template/update", answer, need_id=True)

    def delete_template(self, template_id: str) -> dict[str, Any]:
        """email-template/delete (sets the status to deleted)."""
        answer = self.call("email-template/delete", {"id": template_id})
        return answer if isinstance(answer, dict) else {}

    def list_templates(self, *, retry: bool = True, **filter: Any) -> list[dict[str, Any]]:
        """email-template/list, every page (retry=False: one attempt per page, for a lookup inside a retry)."""
        return self.list_all("email-template/list", filter, retry=retry)

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

    @staticmethod
    def _object(endpoint: str, answer: Any, *, need_id: bool = False) -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise ApiError(f"{endpoint}: unexpected answer (not a JSON object)")
        if need_id:
            key = answer.get("id")
            if isinstance(key, bool) or not isinstance(key, (str, int)) or key == "":
                raise ApiError(f"{endpoint}: unexpected answer (the object has no string id)")
        return answer
