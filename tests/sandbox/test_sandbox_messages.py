"""message/send, message/list, message/stats and the outbox, over real HTTP."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kmsg_authoring.model import MESSAGE_LIST_FILTERS
from kmsg_authoring.sandbox import Sandbox, start_sandbox
from tests.sandbox.conftest import APP, Api, Clock

PARAMS = {
    "recipient": {"type": "User", "value": "Message.userId"},
    "eventName": {"type": "String", "value": "Expo <2026> & more"},
    "joinLink": {"type": "MagicLink", "value": {"baseURL": "https://events.example.com/join", "expiry": 48}},
}


def send_body(template_id: str, user_ids: list[str], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "receiverType": "user",
        "userIds": user_ids,
        "appGuid": APP,
        "templateId": template_id,
        "type": "email",
        "msgParams": PARAMS,
    }
    body.update(extra)
    return body


@pytest.fixture
def template(api: Api) -> dict[str, Any]:
    return api.add(
        subject="Hi {recipient.firstName}: {eventName}",
        fromName="{recipient.lastName} Events",
        customHeaders={"X-Campaign": "q4"},
    )


def test_send_answers_a_bulk_message_and_renders_each_recipient(api: Api, template: dict[str, Any]) -> None:
    api.ok(
        "sandbox/users/add",
        {"users": [{"id": "u-7", "email": "seven@example.com", "firstName": "Ünal", "lastName": "Yıldız"}]},
    )
    bulk = api.ok(
        "message/send",
        send_body(
            template["id"], ["jane.doe@example.com", "u-7", "ghost"], session="invitation-batch", adminTags="test"
        ),
    )
    assert re.fullmatch(r"[0-9a-f]{24}", bulk["id"])
    assert bulk["bulkId"] == f"bulk_{bulk['id'][:8]}"
    assert {
        k: bulk[k] for k in ("partnerId", "appGuid", "templateId", "type", "receiverType", "status", "session")
    } == {
        "partnerId": 1,
        "appGuid": APP,
        "templateId": template["id"],
        "type": "email",
        "receiverType": "user",
        "status": "sending",
        "session": "invitation-batch",
    }
    assert bulk["createdAt"] == bulk["updatedAt"] == "2026-04-09T04:56:27.940Z"

    messages = {m["userId"]: m for m in _messages(api, bulk["bulkId"])}
    jane = messages["jane.doe@example.com"]
    assert jane["to"] == "jane.doe@example.com"
    assert jane["subject"] == "Hi Jane: Expo <2026> & more"  # the subject is text, not HTML
    assert jane["fromName"] == "Doe Events"
    assert "<p>Hi Jane,</p>" in jane["body"]
    assert "Join us at Expo &lt;2026&gt; &amp; more!" in jane["body"]  # a String value is text in HTML
    assert "https://events.example.com/join?" in jane["body"]
    assert jane["customHeaders"] == {"X-Campaign": "q4"}
    assert messages["u-7"]["subject"] == "Hi Ünal: Expo <2026> & more"
    assert messages["u-7"]["to"] == "seven@example.com"
    assert messages["ghost"]["status"] == "error" and messages["ghost"]["errorEnum"] == "userNotFoundInOurDb"
    assert jane["status"] == "sending"


def _messages(api: Api, bulk_id: str) -> list[dict[str, Any]]:
    """The discrete messages of a bulk, read from the outbox's store (there is no public endpoint for them)."""
    from kmsg_authoring.sandbox.store import DISCRETE_MESSAGES

    found, _ = api.sandbox.store.query(DISCRETE_MESSAGES, 1, {"bulkIdIn": [bulk_id]})
    return found


def test_stats_count_discrete_statuses_in_uppercase(api: Api, template: dict[str, Any]) -> None:
    bulk = api.ok("message/send", send_body(template["id"], ["a@example.com", "b@example.com", "nobody"], session="s1"))
    assert api.ok("message/stats", {"bulkId": bulk["bulkId"]}) == {"DELIVERED": 2, "ERROR": 1}
    assert api.ok("message/stats", {"session": "s1"}) == {"DELIVERED": 2, "ERROR": 1}
    assert api.ok("message/stats", {"session": "other"}) == {}
    assert api.error("message/stats", {"bulkId": "bulk_00000000"}, 404)["code"] == "notFound"
    assert "bulkId or a session" in api.error("message/stats", {}, 400)["message"]


def test_list_settles_sending_into_completed_and_delivered(api: Api, template: dict[str, Any], clock: Clock) -> None:
    bulk = api.ok("message/send", send_body(template["id"], ["a@example.com"]))
    clock.advance(seconds=2)
    listed = api.ok("message/list", {})
    assert listed["totalCount"] == 1
    got = listed["objects"][0]
    assert got["id"] == bulk["id"] and got["status"] == "completed"
    assert got["createdAt"] == bulk["createdAt"] and got["updatedAt"] == "2026-04-09T04:56:29.940Z"
    assert [m["status"] for m in _messages(api, bulk["bulkId"])] == ["delivered"]


@pytest.fixture
def slow_sandbox(tmp_path: Path, clock: Clock) -> Iterator[Sandbox]:
    with start_sandbox(tmp_path / "slow.sqlite", clock=clock, settle_delay=10) as sb:
        yield sb


def test_messages_stay_sending_for_the_delivery_delay(slow_sandbox: Sandbox, clock: Clock) -> None:
    api = Api(slow_sandbox)
    template = api.add()
    bulk = api.ok("message/send", send_body(template["id"], ["a@example.com"]))
    assert api.ok("message/list")["objects"][0]["status"] == "sending"
    assert api.ok("message/stats", {"bulkId": bulk["bulkId"]}) == {"SENDING": 1}
    clock.advance(seconds=11)
    assert api.ok("message/stats", {"bulkId": bulk["bulkId"]}) == {"DELIVERED": 1}
    assert api.ok("message/list")["objects"][0]["status"] == "completed"


def test_group_send_reaches_the_group_members(api: Api, template: dict[str, Any]) -> None:
    api.ok(
        "sandbox/users/add",
        {
            "users": [
                {"id": "ann@example.com", "groupIds": ["staff"]},
                {"id": "bo", "email": "bo@example.com", "firstName": "Bo", "groupIds": ["staff", "vip"]},
                {"id": "cy@example.com", "groupIds": ["vip"]},
            ]
        },
    )
    bulk = api.ok("message/send", {**send_body(template["id"], []), "receiverType": "group", "groupIds": ["staff"]})
    assert bulk["receiverType"] == "group" and bulk["groupIds"] == ["staff"]
    assert sorted(m["to"] for m in _messages(api, bulk["bulkId"])) == ["ann@example.com", "bo@example.com"]
    err = api.error("message/send", {**send_body(template["id"], []), "receiverType": "group", "groupIds": ["x"]}, 400)
    assert err["code"] == "noActiveGroupUsers"


def test_a_user_token_naming_one_user(api: Api) -> None:
    template = api.add(
        subject="{host.fullName} invites you",
        body="<p>{guest.firstName}</p>",
        toAttributePath="{guest.email}",
        msgParamsMap={"host": {"type": "User"}, "guest": {"type": "User"}},
    )
    params = {
        "host": {"type": "User", "value": "mary.major@example.com"},
        "guest": {"type": "User", "value": "Message.userId"},
    }
    bulk = api.ok("message/send", send_body(template["id"], ["al@example.com"], msgParams=params))
    [message] = _messages(api, bulk["bulkId"])
    assert message["subject"] == "Mary Major invites you"
    assert message["body"] == "<p>Al</p>" and message["to"] == "al@example.com"


def test_a_recipient_without_an_email_is_an_error(api: Api, template: dict[str, Any]) -> None:
    api.ok("sandbox/users/add", {"users": [{"id": "no-mail", "firstName": "N"}]})
    bulk = api.ok("message/send", send_body(template["id"], ["no-mail"]))
    [message] = _messages(api, bulk["bulkId"])
    assert message["errorEnum"] == "emailNotResolvedToValidEmailAddress"
    assert any("email" in u for u in message["unresolved"])


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        (
            {"msgParams": {k: v for k, v in PARAMS.items() if k != "joinLink"}},
            400,
            "/msgParams/joinLink: missing token 'joinLink' (the template declares a MagicLink token)",
        ),
        (
            {"msgParams": {**PARAMS, "eventName": {"type": "MagicLink", "value": {"baseURL": "https://x.example"}}}},
            400,
            "/msgParams/eventName/type: 'MagicLink' but the template declares 'String'",
        ),
        (
            {"msgParams": {**PARAMS, "joinLink": {"type": "MagicLink", "value": {"expiry": 2}}}},
            400,
            "/msgParams/joinLink/value/baseURL: missing member 'baseURL'",
        ),
        (
            {"msgParams": {**PARAMS, "eventName": {"type": "String"}}},
            400,
            "missing required field 'msgParams.eventName.value'",
        ),
        ({"userIds": []}, 400, "field 'userIds' must not be empty"),
        ({"userIds": None}, 400, "field 'userIds' must be a list"),
        ({"receiverType": "group"}, 400, "missing required field 'groupIds'"),
        ({"receiverType": "everyone"}, 400, "field 'receiverType' must be one of user, group"),
        ({"type": "sms"}, 400, "field 'type' must be one of email"),
        ({"appGuid": "another-app"}, 400, "appGuid 'another-app' is not the template's appGuid"),
        ({"templateId": "f" * 24}, 404, f"email template '{'f' * 24}' not found"),
        ({"attachments": [{"fileName": "a.pdf"}]}, 400, "missing required field 'attachments[0].content'"),
        (
            {
                "attachments": [
                    {"fileName": "a.ics", "content": "QQ==", "mimeType": "text/calendar", "disposition": "x"}
                ]
            },
            400,
            "field 'attachments[0].disposition' must be one of attachment, inline",
        ),
        ({"priority": "high"}, 400, "unknown field 'priority'"),
    ],
)
def test_bad_sends_are_rejected(
    api: Api, template: dict[str, Any], change: dict[str, Any], status: int, message: str
) -> None:
    body = {**send_body(template["id"], ["a@example.com"]), **change}
    assert message in api.error("message/send", body, status)["message"]
    assert api.ok("message/list")["totalCount"] == 0


@pytest.mark.parametrize("status", ["disabled", "deleted"])
def test_send_needs_an_enabled_template(api: Api, template: dict[str, Any], status: str) -> None:
    api.ok("email-template/update", {"id": template["id"], "status": status})
    err = api.error("message/send", send_body(template["id"], ["a@example.com"]), 400)
    assert err["message"] == f"email template '{template['id']}' is {status}, not enabled"


def test_send_with_attachments_and_header_overrides(api: Api, template: dict[str, Any]) -> None:
    bulk = api.ok(
        "message/send",
        send_body(
            template["id"],
            ["a@example.com"],
            customHeaders={"X-Campaign": "q1"},
            attachments=[
                {
                    "fileName": "agenda.pdf",
                    "content": "JVBERi0=",
                    "mimeType": "application/pdf",
                    "disposition": "attachment",
                }
            ],
        ),
    )
    [message] = _messages(api, bulk["bulkId"])
    assert message["customHeaders"] == {"X-Campaign": "q1"}
    assert message["attachments"] == [
        {"fileName": "agenda.pdf", "mimeType": "application/pdf", "disposition": "attachment"}
    ]


@pytest.fixture
def bulks(api: Api, template: dict[str, Any], clock: Clock) -> list[dict[str, Any]]:
    second = api.add("Second")
    api.ok("sandbox/users/add", {"users": [{"id": "g@example.com", "groupIds": ["staff"]}]})
    sent = [api.ok("message/send", send_body(template["id"], ["a@example.com", "b@example.com"], session="one"))]
    clock.advance(hours=1)
    sent.append(api.ok("message/send", send_body(second["id"], ["b@example.com"], session="two")))
    clock.advance(hours=1)
    sent.append(
        api.ok("message/send", {**send_body(template["id"], []), "receiverType": "group", "groupIds": ["staff"]})
    )
    return sent


MESSAGE_CASES = [
    ("idIn", lambda b: [b[1]["id"]], [1]),
    ("bulkIdIn", lambda b: [b[0]["bulkId"], b[2]["bulkId"]], [0, 2]),
    ("templateIdIn", lambda b: [b[1]["templateId"]], [1]),
    ("appGuidIn", lambda b: [APP], [0, 1, 2]),
    ("appGuidIn", lambda b: ["other"], []),
    ("sessionIn", lambda b: ["one", "two"], [0, 1]),
    ("statusIn", lambda b: ["completed"], [0, 1, 2]),
    ("statusIn", lambda b: ["sending", "failed"], []),
    ("receiverTypeIn", lambda b: ["group"], [2]),
    ("typeIn", lambda b: ["email"], [0, 1, 2]),
    ("groupIds", lambda b: ["staff"], [2]),
    ("userIds", lambda b: ["b@example.com"], [0, 1]),
    ("userIds", lambda b: ["a@example.com", "nobody"], [0]),
    ("createdAtGreaterThanOrEqual", lambda b: b[1]["createdAt"], [1, 2]),
    ("createdAtLessThanOrEqual", lambda b: b[1]["createdAt"], [0, 1]),
    ("updatedAtGreaterThanOrEqual", lambda b: "2026-04-09T06:56:27.940Z", [0, 1, 2]),  # settled at the list call
    ("updatedAtLessThanOrEqual", lambda b: "2026-04-09T06:00:00Z", []),
]


@pytest.mark.parametrize(
    ("name", "value", "expected"), MESSAGE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(MESSAGE_CASES)]
)
def test_message_list_filters(
    api: Api, bulks: list[dict[str, Any]], name: str, value: Any, expected: list[int]
) -> None:
    got = api.ok("message/list", {"filter": {name: value(bulks)}})
    assert [m["id"] for m in got["objects"]] == [bulks[i]["id"] for i in expected]
    assert got["totalCount"] == len(expected)


def test_every_message_filter_of_the_guide_is_covered() -> None:
    assert {c[0] for c in MESSAGE_CASES} == set(MESSAGE_LIST_FILTERS)


def test_message_list_pager(api: Api, bulks: list[dict[str, Any]]) -> None:
    got = api.ok("message/list", {"pager": {"offset": 1, "limit": 1}})
    assert [m["id"] for m in got["objects"]] == [bulks[1]["id"]] and got["totalCount"] == 3
    assert (
        "unknown field 'filter.templateIds'"
        in api.error("message/list", {"filter": {"templateIds": []}}, 400)["message"]
    )


def test_messages_belong_to_the_partner(api: Api, other: Api, template: dict[str, Any]) -> None:
    bulk = api.ok("message/send", send_body(template["id"], ["a@example.com"], session="mine"))
    assert other.ok("message/list") == {"objects": [], "totalCount": 0}
    assert other.error("message/stats", {"bulkId": bulk["bulkId"]}, 404)["code"] == "notFound"
    assert other.ok("message/stats", {"session": "mine"}) == {}
    assert other.error("message/send", send_body(template["id"], ["a@example.com"]), 404)["code"] == "notFound"


def test_outbox_lists_messages_newest_first_and_escapes_them(sandbox: Sandbox, api: Api, clock: Clock) -> None:
    assert "No messages yet" in httpx.get(sandbox.outbox_url).text
    first = api.add("First", subject="<script>alert(1)</script> {eventName}")
    second = api.add("Second", subject="Second for {recipient.firstName}")
    api.ok("message/send", send_body(first["id"], ["a@example.com"], session="<b>s</b>"))
    clock.advance(minutes=1)
    api.ok("message/send", send_body(second["id"], ["zed@example.com"]))
    page = httpx.get(sandbox.outbox_url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert text.index("Second for Zed") < text.index("&lt;script&gt;alert(1)&lt;/script&gt; Expo &lt;2026&gt;")
    assert "<script>" not in text and "<b>s</b>" not in text and "&lt;b&gt;s&lt;/b&gt;" in text
    links = re.findall(r'href="(/outbox/[0-9a-f]{24})"', text)
    assert len(links) == 2

    view = httpx.get(sandbox.root_url + links[1]).text
    frame = re.search(r'<iframe sandbox="" title="message body" srcdoc="([^"]*)"></iframe>', view)
    assert frame is not None
    body = html.unescape(frame.group(1))
    assert "<p>Hi A,</p>" in body and "Join us at Expo &lt;2026&gt; &amp; more!" in body
    assert "<script>" not in view
    assert "a@example.com" in view


def test_outbox_pages_and_missing_message(sandbox: Sandbox, api: Api, template: dict[str, Any]) -> None:
    api.ok("message/send", send_body(template["id"], [f"u{i}@example.com" for i in range(55)]))
    first = httpx.get(sandbox.outbox_url).text
    assert "1-50 of 55" in first and 'href="/outbox?offset=50"' in first
    second = httpx.get(sandbox.outbox_url + "?offset=50").text
    assert "51-55 of 55" in second and "newer" in second
    missing = httpx.get(sandbox.outbox_url + "/" + "0" * 24)
    assert missing.status_code == 404 and "no such message" in missing.text
    assert httpx.get(sandbox.root_url + "/", follow_redirects=False).headers["location"] == "/outbox"
    assert httpx.get(sandbox.root_url + "/nothing/<here>").status_code == 404
