"""The Messaging API client: retries per section 13, paging, error messages and a hidden KS."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kmsg_authoring.api import AmbiguousWriteError, MessagingClient, open_client, read_ks
from kmsg_authoring.source.config import Config, Environment, load_config
from kmsg_authoring.errors import ApiError, ConfigError

KS = "djJ8MTIzNDU2fFNFQ1JFVC1LUy1WQUxVRQ=="
URL = "https://api.test/api/v1"


def make_client(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> tuple[MessagingClient, list[float]]:
    sleeps: list[float] = []
    log: list[str] = kw.pop("log_lines", [])
    client = MessagingClient(
        URL,
        KS,
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
        jitter=lambda d: d,
        log=log.append,
        **kw,
    )
    return client, sleeps


def test_posts_json_with_bearer_ks_to_the_endpoint() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "t1", "name": "A"})

    client, _ = make_client(handler)
    assert client.get_template("t1") == {"id": "t1", "name": "A"}
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == f"{URL}/email-template/get"
    assert request.headers["Authorization"] == f"Bearer {KS}"
    assert json.loads(request.content) == {"id": "t1"}
    assert client.counts == {"email-template/get": 1}


def test_5xx_is_retried_after_1_2_4_seconds_then_reported() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503, json={"message": "busy"})

    client, sleeps = make_client(handler)
    with pytest.raises(ApiError) as info:
        client.get_template("x")
    assert len(calls) == 4  # one try and at most 3 retries
    assert sleeps == [1.0, 2.0, 4.0]
    assert info.value.status == 503
    assert "busy" in info.value.message and "gave up after 3 retries" in info.value.message


def in_turn(*answers: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    """A handler giving each answer in turn (raising the exceptions)."""
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


def test_transient_failure_then_success() -> None:
    client, sleeps = make_client(
        in_turn(httpx.Response(500), httpx.ConnectError("refused"), httpx.Response(200, json={"id": "1"}))
    )
    assert client.get_template("1") == {"id": "1"}
    assert sleeps == [1.0, 2.0]


def test_jitter_is_applied_to_every_delay() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    sleeps: list[float] = []
    client = MessagingClient(URL, KS, transport=httpx.MockTransport(handler), sleep=sleeps.append)
    with pytest.raises(ApiError, match="timed out"):
        client.get_template("x")
    assert len(sleeps) == 3
    for got, base in zip(sleeps, (1.0, 2.0, 4.0), strict=False):
        assert base <= got <= base * 1.25


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_client_errors_are_never_retried_and_carry_the_server_message(status: int) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(status, json={"message": "subject is required"})

    client, sleeps = make_client(handler)
    with pytest.raises(ApiError) as info:
        client.add_template({"name": "x"})
    assert len(calls) == 1 and sleeps == []
    assert info.value.status == status
    assert str(info.value) == f"email-template/add: HTTP {status}: subject is required"


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_say_invalid_or_expired_ks(status: int) -> None:
    client, sleeps = make_client(lambda r: httpx.Response(status, json={"message": f"bad ks {KS}"}))
    with pytest.raises(ApiError) as info:
        client.list_templates(appGuidIn=["g"])
    assert "invalid or expired KS" in info.value.message
    assert KS not in info.value.message and "<hidden>" in info.value.message
    assert sleeps == []


def test_add_is_not_retried_after_an_ambiguous_failure() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    client, sleeps = make_client(handler)
    with pytest.raises(AmbiguousWriteError):
        client.add_template({"name": "x"})
    assert len(calls) == 1 and sleeps == []


def test_add_after_a_5xx_is_ambiguous_too() -> None:
    client, _ = make_client(lambda r: httpx.Response(502))
    with pytest.raises(AmbiguousWriteError):
        client.add_template({"name": "x"})


def test_add_is_retried_when_the_request_never_left() -> None:
    client, sleeps = make_client(in_turn(httpx.ConnectError("refused"), httpx.Response(200, json={"id": "new"})))
    assert client.add_template({"name": "x"})["id"] == "new"
    assert sleeps == [1.0]


def test_list_pages_through_total_count() -> None:
    items = [{"id": str(i), "name": f"T{i}"} for i in range(7)]
    pagers = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        pagers.append(body["pager"])
        start, limit = body["pager"]["offset"], body["pager"]["limit"]
        return httpx.Response(200, json={"objects": items[start : start + limit], "totalCount": len(items)})

    client, _ = make_client(handler)
    got = client.list_all("email-template/list", {"appGuidIn": ["g"]}, page_size=3)
    assert [t["id"] for t in got] == [str(i) for i in range(7)]
    assert pagers == [{"offset": 0, "limit": 3}, {"offset": 3, "limit": 3}, {"offset": 6, "limit": 3}]
    assert client.counts["email-template/list"] == 3


def test_an_empty_page_before_total_count_is_an_error_not_a_short_list() -> None:
    # A short list would make the publisher add templates that exist: paging must not end quietly.
    client, _ = make_client(lambda r: httpx.Response(200, json={"objects": [], "totalCount": 10}))
    with pytest.raises(ApiError, match="totals do not add up"):
        client.list_templates()
    assert client.counts["email-template/list"] == 1


def test_ks_hidden_in_repr_log_and_errors() -> None:
    lines: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text=f"internal error while checking {KS}")

    client, _ = make_client(handler, log_lines=lines)
    with pytest.raises(ApiError) as info:
        client.get_template("x")
    assert KS not in repr(client) and "<hidden>" in repr(client)
    assert KS not in str(info.value) and "<hidden>" in str(info.value)
    assert lines and all(KS not in line for line in lines)
    assert any("Bearer <hidden>" in line for line in lines)


def test_non_json_success_is_an_error() -> None:
    client, _ = make_client(lambda r: httpx.Response(200, text="<html>proxy</html>"))
    with pytest.raises(ApiError, match="not JSON"):
        client.get_template("x")


def test_read_ks_missing_is_a_config_error() -> None:
    env = Environment("staging", URL, "guid", "MY_KS")
    with pytest.raises(ConfigError) as info:
        read_ks(env, {})
    assert "MY_KS" in str(info.value) and info.value.exit_code == 2
    assert read_ks(env, {"MY_KS": " abc \n"}) == "abc"


def test_open_client_uses_the_environment(tmp_path: Any) -> None:
    (tmp_path / "kmsg.toml").write_text(
        '[environments.dev]\nurl = "http://127.0.0.1:9/api/v1"\napp_guid = "g1"\nks_env = "DEV_KS"\n'
    )
    config: Config = load_config(tmp_path)
    env, client = open_client(config, "dev", environ={"DEV_KS": KS})
    with client:
        assert env.app_guid == "g1" and client.url == "http://127.0.0.1:9/api/v1"


@pytest.mark.parametrize("bad", ["abc déf", "abc\nX-Evil: 1", "abc\u4e2d"], ids=["space", "newline", "non-ascii"])
def test_a_ks_that_cannot_be_a_header_is_refused_without_quoting_it(bad: str) -> None:
    env = Environment("staging", URL, "guid", "MY_KS")
    with pytest.raises(ConfigError) as info:
        read_ks(env, {"MY_KS": bad})
    assert "MY_KS" in str(info.value) and bad.strip() not in str(info.value)
    with pytest.raises(ConfigError):
        MessagingClient(URL, bad)


def test_socket_waits_are_bounded_on_the_clients_own_clock() -> None:
    """The deadline the sockets are held to is read on the injected clock, like the retries' one."""
    import httpcore

    from kmsg_authoring.api.deadline import Deadline, DeadlineBackend

    now = [100.0]
    deadline = Deadline(lambda: now[0])
    backend = DeadlineBackend(httpcore.SyncBackend(), deadline)
    assert backend.clamp(30.0, httpcore.ReadTimeout) == 30.0  # no request under way
    deadline.at = 105.0
    assert backend.clamp(30.0, httpcore.ReadTimeout) == 5.0
    now[0] = 106.0
    with pytest.raises(httpcore.ReadTimeout):
        backend.clamp(30.0, httpcore.ReadTimeout)
