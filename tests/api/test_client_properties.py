"""The client against a server answering anything: random statuses, bodies, redirects, sizes and delays.

Whatever the server does, a call either returns for a 2xx answer or raises a KmsgError (never another
exception, never success on a non-2xx), and the KS appears in nothing the client returns, raises or logs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmsg_authoring.api import MessagingClient
from kmsg_authoring.errors import KmsgError
from tests.api.stub_server import Reply, Seen, stub_server

KS = "djJ8NDI0MnxQUk9QRVJUWS1TRUNSRVQtS1MtMDEyMzQ1Njc4OQ"
# Every 16-character piece of the KS: not even part of it may show (a message cut in the middle of it).
KS_PIECES = [KS[i : i + 16] for i in range(len(KS) - 15)]


@dataclass
class Current:
    """The reply the shared stub gives to every request of the running example, and the client's log."""

    reply: Reply
    lines: list[str]


@pytest.fixture(scope="module")
def stub() -> Iterator[tuple[MessagingClient, Current]]:
    """One server and one client for every example (a client costs more to make than an example to run);
    a connection left in any state by one answer meets the next, as in a real run."""
    current = Current(Reply(), [])

    def script(seen: Seen) -> Reply:
        return current.reply

    with stub_server(script) as running:
        client = MessagingClient(
            running.url,
            KS,
            delays=(0.0, 0.0, 0.0),
            sleep=lambda s: None,
            log=current.lines.append,
            max_response_bytes=4000,
        )
        with client:
            yield client, current


texts = st.one_of(
    st.text(max_size=12),
    st.just(KS),
    st.builds(lambda a, b: f"{a}{KS}{b}", st.text(max_size=5), st.text(max_size=300)),
)
ids = st.one_of(
    st.text(min_size=1, max_size=8),
    st.text(min_size=1, max_size=8),
    st.integers(),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.just(KS),
)
objects = st.fixed_dictionaries(
    {"id": ids}, optional={"name": texts, "body": texts, "status": texts, "appGuid": texts, "adminTags": texts}
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=12,
)
json_bodies = st.one_of(
    json_values,
    objects,
    st.fixed_dictionaries(
        {"objects": st.lists(objects, max_size=4), "totalCount": st.one_of(st.integers(-3, 8), st.just(10**15), texts)}
    ),
    st.fixed_dictionaries({}, optional={"message": texts, "code": texts, "error": json_values}),
).map(lambda v: json.dumps(v).encode())
bodies = st.one_of(
    json_bodies,
    st.binary(max_size=200),
    st.binary(max_size=100).map(lambda b: b + KS.encode() + b),
    # An error text whose KS straddles the point where a message is cut.
    st.integers(260, 299).map(lambda n: b"e" * n + KS.encode()),
    st.integers(1, 5000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1000, 9000).map(lambda n: b'{"id": "x", "pad": "' + b"p" * n + b'"}'),
    st.just(b""),
)
statuses = st.one_of(
    st.just(200),
    st.sampled_from([200, 201, 204, 300, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 409, 429, 500, 502, 503]),
    st.integers(200, 599),
)


@st.composite
def replies(draw: st.DrawFn) -> Reply:
    status = draw(statuses)
    body = draw(bodies)
    headers: dict[str, str] = {}
    if 300 <= status < 400 or draw(st.booleans()):
        headers["Location"] = draw(st.sampled_from(["/elsewhere", f"https://evil.example/?ks={KS}", ""]))
    delay = draw(st.sampled_from([0.0, 0.0, 0.0, 0.002, 0.01]))
    # A trickled body stays short: at most ~0.2 s per example.
    trickle = draw(st.sampled_from([0.0, 0.0, 0.0, 0.002])) if len(body) <= 100 else 0.0
    return Reply(status, body, headers, delay=delay, trickle=trickle)


OPERATIONS = {
    "get": lambda c: c.get_template("t1"),
    "list": lambda c: c.list_all("email-template/list", {}, page_size=3),
    "add": lambda c: c.add_template({"name": "A"}),
    "add-checked": lambda c: c.add_template({"name": "A"}, applied=lambda: None),
    "update": lambda c: c.update_template("t1", {"subject": "s"}),
    "delete": lambda c: c.delete_template("t1"),
    "send": lambda c: c.send_message({"templateId": "t1"}),
    "stats": lambda c: c.message_stats(bulk_id="b1"),
}


def leaked(text: str, reply: Reply) -> bool:
    """Whether text shows the KS or a piece of it that the server did not send on its own."""
    sent = (reply.body.decode("utf-8", "replace") + repr(reply.headers)).replace(KS, "")
    return KS in text or any(piece in text and piece not in sent for piece in KS_PIECES)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reply=replies(), operation=st.sampled_from(sorted(OPERATIONS)), deadline=st.sampled_from([0.02, 2.0, 2.0]))
def test_any_answer_is_a_result_for_2xx_or_a_kmsg_error_and_never_shows_the_ks(
    stub: tuple[MessagingClient, Current], reply: Reply, operation: str, deadline: float
) -> None:
    client, current = stub
    current.reply = reply
    current.lines.clear()
    client.counts.clear()
    client.deadline = deadline
    result: Any = None
    try:
        result = OPERATIONS[operation](client)
    except KmsgError as exc:  # anything else fails the test: a traceback for the user
        assert not leaked(str(exc), reply), str(exc)
    else:
        assert 200 <= reply.status < 300, f"success on HTTP {reply.status}"
        assert not leaked(json.dumps(result), reply), result
    assert not leaked(repr(client), reply)
    assert not any(leaked(line, reply) for line in current.lines), current.lines
    assert client.request_count <= 4  # one try and at most 3 retries
