"""The contract's schema per token type: the guide's examples pass, wrong shapes fail, errors carry pointers."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from kmsg_authoring.contract.schema import (
    DYNAMIC,
    JWT_QR_CODE,
    MAGIC_LINK,
    STRING,
    UNSUBSCRIBE_URI,
    USER,
    check_request,
    inline_images,
    params_schema,
    send_example,
    validate_params,
)
from kmsg_authoring.model import TOKEN_TYPES

# The values of section 4 and 6.1 of the API guide, per token type.
GUIDE_EXAMPLES: list[tuple[str, dict[str, Any]]] = [
    (USER, {"type": "User", "value": "Message.userId"}),
    (USER, {"type": "User", "value": "user1@example.com"}),
    (STRING, {"type": "String", "value": "Annual Conference 2025"}),
    (
        MAGIC_LINK,
        {
            "type": "MagicLink",
            "value": {"baseURL": "https://events.example.com/join", "expiry": 48, "privileges": "actionslimit:2"},
        },
    ),
    (DYNAMIC, {"type": "Dynamic", "value": "Q4 Town Hall"}),
    (DYNAMIC, {"type": "String", "value": "Q4 Town Hall"}),
    (DYNAMIC, {"type": "MagicLink", "value": {"baseURL": "https://events.example.com/join", "expiry": 48}}),
    (DYNAMIC, {"type": "Dynamic", "value": {"baseURL": "https://events.example.com/join"}}),
    (UNSUBSCRIBE_URI, {"type": "UnsubscribeUri", "value": "https://events.example.com/unsubscribe"}),
    (
        JWT_QR_CODE,
        {
            "type": "JwtQrCode",
            "value": {
                "payload": {"eventId": "12345", "checkIn": True},
                "secret": "your-jwt-secret",
                "options": {"color": {"dark": "#000000"}},
            },
        },
    ),
    (JWT_QR_CODE, {"type": "JwtQrCode", "value": {"payload": {"eventId": "12345"}, "secret": "s"}}),
]

WRONG_SHAPES: list[tuple[str, Any, str]] = [
    (USER, {"type": "User", "value": 42}, "/t/value"),
    (USER, {"type": "User", "value": ""}, "/t/value"),
    (USER, {"type": "String", "value": "Message.userId"}, "/t/type"),
    (USER, {"type": "User"}, "/t/value"),
    (STRING, {"type": "String", "value": 2025}, "/t/value"),
    (STRING, {"type": "String", "value": "x", "extra": 1}, "/t/extra"),
    (STRING, "Annual Conference", "/t"),
    (MAGIC_LINK, {"type": "MagicLink", "value": "https://events.example.com/join"}, "/t/value"),
    (MAGIC_LINK, {"type": "MagicLink", "value": {"expiry": 48}}, "/t/value/baseURL"),
    (MAGIC_LINK, {"type": "MagicLink", "value": {"baseURL": "https://x.example", "expiry": "48h"}}, "/t/value/expiry"),
    (MAGIC_LINK, {"type": "MagicLink", "value": {"baseURL": "https://x.example", "url": "y"}}, "/t/value/url"),
    (DYNAMIC, {"type": "Dynamic", "value": 7}, "/t/value"),
    (DYNAMIC, {"type": "User", "value": "Message.userId"}, "/t/type"),
    (DYNAMIC, {"type": "MagicLink", "value": {"privileges": "x"}}, "/t/value/baseURL"),
    (UNSUBSCRIBE_URI, {"type": "UnsubscribeUri", "value": "not a uri"}, "/t/value"),
    (JWT_QR_CODE, {"type": "JwtQrCode", "value": {"payload": {"a": 1}}}, "/t/value/secret"),
    (JWT_QR_CODE, {"type": "JwtQrCode", "value": {"payload": "a=1", "secret": "s"}}, "/t/value/payload"),
    (
        JWT_QR_CODE,
        {"type": "JwtQrCode", "value": {"payload": {}, "secret": "s", "options": {"color": {"dark": "black"}}}},
        "/t/value/options/color/dark",
    ),
]


@pytest.mark.parametrize(
    ("token_type", "entry"), GUIDE_EXAMPLES, ids=[f"{t}-{i}" for i, (t, _) in enumerate(GUIDE_EXAMPLES)]
)
def test_each_token_type_accepts_the_guides_examples(token_type: str, entry: dict[str, Any]) -> None:
    schema = params_schema({"t": {"type": token_type}})
    jsonschema.Draft202012Validator(schema).validate({"t": entry})  # the exported schema, as other languages use it
    assert validate_params(schema, {"t": entry}) == []


@pytest.mark.parametrize(
    ("token_type", "entry", "where"), WRONG_SHAPES, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(WRONG_SHAPES)]
)
def test_each_token_type_rejects_wrong_shapes(token_type: str, entry: Any, where: str) -> None:
    schema = params_schema({"t": {"type": token_type}})
    assert not jsonschema.Draft202012Validator(schema).is_valid({"t": entry})
    errors = validate_params(schema, {"t": entry})
    assert [e.pointer for e in errors] == [where], errors


def test_every_token_type_has_a_definition_and_the_schema_is_draft_2020_12() -> None:
    schema = params_schema({f"t{i}": {"type": t} for i, t in enumerate(TOKEN_TYPES)})
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert sorted(schema["$defs"]) == sorted(f"{t}Token" for t in TOKEN_TYPES)
    assert schema["required"] == [f"t{i}" for i in range(len(TOKEN_TYPES))]


def test_missing_token_and_wrong_type_are_reported_with_json_pointers() -> None:
    schema = params_schema(
        {"recipient": {"type": "User"}, "eventName": {"type": "String"}, "joinLink": {"type": "MagicLink"}}
    )
    params = {
        "recipient": {"type": "User", "value": "Message.userId"},
        "eventName": {"type": "MagicLink", "value": {"baseURL": "https://x.example"}},
    }
    assert [str(e) for e in validate_params(schema, params, base=("msgParams",))] == [
        "/msgParams/eventName/type: 'MagicLink' but the template declares 'String'",
        "/msgParams/joinLink: missing token 'joinLink' (the template declares a MagicLink token)",
    ]


def test_tokens_the_template_does_not_declare_are_let_through_as_entries() -> None:
    schema = params_schema({"eventName": {"type": "String"}})
    params = {"eventName": {"type": "String", "value": "x"}, "dropped": {"type": "String", "value": "y"}}
    assert validate_params(schema, params) == []
    assert [e.pointer for e in validate_params(schema, {**params, "dropped": {"type": "Nope", "value": 1}})] == [
        "/dropped/type"
    ]


def test_a_secret_never_appears_in_an_error() -> None:
    schema = params_schema({"qr": {"type": "JwtQrCode"}})
    params = {"qr": {"type": "JwtQrCode", "value": {"payload": {}, "secret": 98765432101234}}}
    errors = validate_params(schema, params)
    assert errors and all("98765432101234" not in str(e) for e in errors)
    assert "<hidden>" in str(errors[0])


def test_a_whole_request_is_checked_with_its_attachments_against_the_inline_images() -> None:
    schema = params_schema({"eventName": {"type": "String"}})
    schema["x-kmsg"]["inlineImages"] = ["logo"]
    body = {
        "receiverType": "user",
        "userIds": ["a@example.com"],
        "appGuid": "g",
        "templateId": "t",
        "type": "email",
        "msgParams": {"eventName": {"type": "String", "value": "x"}},
    }
    assert [str(e) for e in check_request(schema, body)] == [
        (
            "/attachments: no attachment with contentId 'logo': the body shows cid:logo; attach the image with "
            "disposition 'inline' and that contentId"
        )
    ]
    attached = {
        **body,
        "attachments": [
            {
                "fileName": "logo.png",
                "content": "QQ==",
                "mimeType": "image/png",
                "disposition": "inline",
                "contentId": "logo",
            }
        ],
    }
    assert check_request(schema, attached) == []
    assert [e.pointer for e in check_request(schema, {**attached, "receiverType": "everyone"})] == ["/receiverType"]
    assert [str(e) for e in check_request(schema, {**attached, "msgParams": []})] == ["/msgParams: [] is not an object"]


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ('<img src="cid:logo" alt="">', ["logo"]),
        ("<img src='CID:hero%40acme' alt=''><img src=\"cid:logo\">", ["hero@acme", "logo"]),
        ('<td style="background:url(cid:bg)">', ["bg"]),
        ('<td background="cid:bg"><img src="cid:bg">', ["bg"]),
        ('<p>write cid:nothing in prose</p><img src="https://x.example/cid:no.png">', []),
    ],
)
def test_inline_images_are_the_cid_references_of_the_body(html: str, found: list[str]) -> None:
    assert inline_images(html) == found


def test_the_send_example_hides_secrets_and_lists_inline_images() -> None:
    schema = params_schema({"qr": {"type": "JwtQrCode"}})
    schema["x-kmsg"]["inlineImages"] = ["logo"]
    params = {"qr": {"type": "JwtQrCode", "value": {"payload": {"a": 1}, "secret": "sample-secret"}}}
    example = send_example(schema, params, ["jane@example.com"])
    assert "sample-secret" not in repr(example)
    assert example["msgParams"]["qr"]["value"]["secret"] == "<your JWT signing secret>"
    assert example["attachments"][0]["contentId"] == "logo"
    assert check_request(schema, example, envelope=False) == []
