"""A template's contract from its payload (usage, User fields, cid: images) and how changes are classified."""

from __future__ import annotations

from typing import Any

import pytest

from kmsg_authoring.contract.template import (
    BREAKING,
    COMPATIBLE,
    allow_list,
    contract_schema,
    payload_changes,
    refused,
)

BASE: dict[str, Any] = {
    "name": "Event Invitation",
    "subject": "You're invited to {eventName}",
    "fromName": "{host.firstName} at Acme",
    "toAttributePath": "{recipient.email}",
    "body": '<p>Hi {recipient.firstName}</p><a href="{joinLink}">Join</a><img src="cid:logo" alt="">',
    "msgParamsMap": {
        "recipient": {"type": "User"},
        "host": {"type": "User"},
        "eventName": {"type": "String"},
        "joinLink": {"type": "MagicLink"},
    },
}


def test_the_contract_says_where_each_token_is_used_and_what_it_reads() -> None:
    schema = contract_schema(BASE, "event-invitation")
    info = schema["x-kmsg"]
    assert info["tokens"] == {
        "recipient": {"type": "User", "usedIn": ["toAttributePath", "body"], "fields": ["email", "firstName"]},
        "host": {"type": "User", "usedIn": ["fromName"], "fields": ["firstName"]},
        "eventName": {"type": "String", "usedIn": ["subject"]},
        "joinLink": {"type": "MagicLink", "usedIn": ["body"]},
    }
    assert info["userFields"] == ["email", "firstName"]
    assert info["inlineImages"] == ["logo"]
    assert schema["$id"].endswith("/event-invitation.schema.json")
    assert schema["properties"]["recipient"]["description"] == (
        "User token, used in toAttributePath, body; reads the user's email, firstName"
    )


def _edit(**changes: Any) -> dict[str, Any]:
    payload = {**BASE, "msgParamsMap": dict(BASE["msgParamsMap"])}
    for key, value in changes.items():
        if key == "tokens":
            payload["msgParamsMap"] = value
        else:
            payload[key] = value
    return payload


CASES = [
    (
        "token added",
        _edit(tokens={**BASE["msgParamsMap"], "venue": {"type": "String"}}),
        [(BREAKING, "venue", "token 'venue' added (String): callers must send it")],
    ),
    (
        "token removed",
        _edit(
            tokens={k: v for k, v in BASE["msgParamsMap"].items() if k != "joinLink"},
            body=BASE["body"].replace("{joinLink}", "https://x.example"),
        ),
        [(COMPATIBLE, "joinLink", "token 'joinLink' removed: callers may stop sending it")],
    ),
    (
        "type changed",
        _edit(tokens={**BASE["msgParamsMap"], "eventName": {"type": "MagicLink"}}),
        [
            (
                BREAKING,
                "eventName",
                ("token 'eventName' changed type from String to MagicLink: callers must send a MagicLink value"),
            )
        ],
    ),
    (
        "type widened to Dynamic",
        _edit(tokens={**BASE["msgParamsMap"], "joinLink": {"type": "Dynamic"}}),
        [
            (
                COMPATIBLE,
                "joinLink",
                ("token 'joinLink' widened from MagicLink to Dynamic: a MagicLink value is still accepted"),
            )
        ],
    ),
    (
        "User field newly read",
        _edit(body=BASE["body"] + "<p>{recipient.company}</p>"),
        [
            (
                BREAKING,
                "recipient.company",
                ("User field 'recipient.company' newly read: the recipients' profiles must have company"),
            )
        ],
    ),
    (
        "User field no longer read",
        _edit(fromName="Acme"),
        [
            (COMPATIBLE, "host", "token 'host' is no longer used: callers may stop sending it once it is removed"),
            (COMPATIBLE, "host.firstName", "User field 'host.firstName' no longer read"),
        ],
    ),
    (
        "cid image newly required",
        _edit(body=BASE["body"] + '<img src="cid:banner" alt="">'),
        [
            (
                BREAKING,
                "cid:banner",
                ("inline image cid:banner newly required: callers must attach it with contentId 'banner'"),
            )
        ],
    ),
    (
        "cid image dropped",
        _edit(body=BASE["body"].replace('<img src="cid:logo" alt="">', "")),
        [(COMPATIBLE, "cid:logo", "inline image cid:logo no longer shown: callers may stop attaching it")],
    ),
    ("wording only", _edit(subject="Join {eventName}!"), []),
]


@pytest.mark.parametrize(("after", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_changes_are_classified_for_callers(after: dict[str, Any], expected: list[tuple[str, str, str]]) -> None:
    changes = payload_changes(BASE, after, "event-invitation")
    assert [(c.kind, c.subject, c.message) for c in changes] == expected


def test_allow_breaking_names_a_token_or_the_exact_subject() -> None:
    changes = payload_changes(
        BASE,
        _edit(
            body=BASE["body"] + "<p>{recipient.company}</p>",
            tokens={**BASE["msgParamsMap"], "venue": {"type": "String"}},
        ),
    )
    assert [c.subject for c in refused(changes)] == ["recipient.company", "venue"]
    assert [c.subject for c in refused(changes, ["recipient"])] == ["venue"]
    assert [c.subject for c in refused(changes, ["recipient.company", "venue"])] == []
    assert refused(changes, allow_all=True) == []
    assert allow_list({"contract": {"allow_breaking": ["venue"]}}) == ["venue"]
    assert allow_list({}) == []
