"""The renderer: every token type, both User value forms, escaping, unicode, the signed QR code."""

from __future__ import annotations

import html
from typing import Any

import jwt
import pytest

from kmsg_authoring.compile.tokens import find_tokens
from kmsg_authoring.model import USER_FIELDS
from kmsg_authoring.render.renderer import (
    MAGIC_LINK_MARK,
    QrColors,
    Rendering,
    render_all,
    render_message,
    segno_qr,
    sign_jwt,
)
from kmsg_authoring.render.samples import SAMPLE_USER

SECRET = "s3cret-never-shown-0123456789abcdef"
MAP = {
    "recipient": {"type": "User"},
    "host": {"type": "User"},
    "eventName": {"type": "String"},
    "joinLink": {"type": "MagicLink"},
    "smart": {"type": "Dynamic"},
    "smartText": {"type": "Dynamic"},
    "unsubLink": {"type": "UnsubscribeUri"},
    "checkIn": {"type": "JwtQrCode"},
}
USERS = [
    {"id": "jane@example.com", "firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"},
    {"id": "li@example.com", "firstName": "李", "lastName": "小龙", "email": "li@example.com"},
    {"id": "host@example.com", "firstName": "Hana", "lastName": "Host", "email": "host@example.com"},
    {"id": "noor@example.com", "firstName": "نور", "lastName": "שלום", "email": "noor@example.com"},
]
PARAMS: dict[str, Any] = {
    "recipient": {"type": "User", "value": "Message.userId"},
    "host": {"type": "User", "value": "host@example.com"},
    "eventName": {"type": "String", "value": "Annual Conference 2026"},
    "joinLink": {
        "type": "MagicLink",
        "value": {"baseURL": "https://events.example.com/join", "expiry": 48, "privileges": "actionslimit:2"},
    },
    "smart": {"type": "Dynamic", "value": {"baseURL": "https://events.example.com/go?x=1", "expiry": 4}},
    "smartText": {"type": "Dynamic", "value": "plain & simple"},
    "unsubLink": {"type": "UnsubscribeUri", "value": "https://events.example.com/unsubscribe?g=1&u=2"},
    "checkIn": {
        "type": "JwtQrCode",
        "value": {
            "payload": {"eventId": "12345", "checkIn": True},
            "secret": SECRET,
            "options": {"color": {"dark": "#1a237e", "light": "#fafafa"}},
        },
    },
}


def payload(body: str, subject: str = "Hi {recipient.firstName}", **extra: Any) -> dict[str, Any]:
    return {
        "name": "T",
        "subject": subject,
        "body": body,
        "toAttributePath": "{recipient.email}",
        "msgParamsMap": MAP,
        "from": "events@example.com",
        "fromName": "{host.firstName} at Acme",
        **extra,
    }


class Capture:
    """A QR encoder that records what it was asked to encode."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, QrColors]] = []

    def __call__(self, data: str, colors: QrColors) -> str:
        self.calls.append((data, colors))
        return "data:image/png;base64,QRQR"


def render(body: str, user: str = "jane@example.com", **kw: Any) -> Rendering:
    return render_message(payload(body, **kw), PARAMS, USERS, user, qr_encoder=Capture())


def test_user_current_recipient_takes_each_recipient() -> None:
    out = render_all(
        payload("<p>{recipient.firstName} {recipient.lastName}</p>"),
        PARAMS,
        USERS,
        ["jane@example.com", "li@example.com"],
        qr_encoder=Capture(),
    )
    assert [r.body for r in out] == ["<p>Jane Doe</p>", "<p>李 小龙</p>"]
    assert [r.to for r in out] == ["jane@example.com", "li@example.com"]
    assert [r.subject for r in out] == ["Hi Jane", "Hi 李"]


def test_user_literal_id_takes_that_user_for_every_recipient() -> None:
    for uid in ("jane@example.com", "li@example.com"):
        r = render("<p>Host: {host.firstName}</p>", uid)
        assert r.body == "<p>Host: Hana</p>"
        assert r.from_name == "Hana at Acme"
        assert r.unresolved == []


@pytest.mark.parametrize("field", USER_FIELDS)
def test_every_user_field_resolves(field: str) -> None:
    r = render_message(
        payload(f"<p>{{recipient.{field}}}</p>"), PARAMS, [*USERS, SAMPLE_USER], SAMPLE_USER["id"], qr_encoder=Capture()
    )
    assert r.body == f"<p>{html.escape(str(SAMPLE_USER[field]))}</p>"
    assert r.unresolved == []


def test_missing_user_field_renders_empty_and_is_reported() -> None:
    r = render("<p>From {recipient.city}.</p>")
    assert r.body == "<p>From .</p>"
    assert [(u.raw, u.where) for u in r.unresolved] == [("{recipient.city}", "body")]
    assert "city" in r.unresolved[0].reason


def test_string_is_escaped_in_the_body_and_raw_in_the_subject() -> None:
    params = {**PARAMS, "eventName": {"type": "String", "value": '<script>alert("x")</script> & "Co"'}}
    p = payload('<p>{eventName}</p><a title="{eventName}" href="#">x</a>', subject="{eventName}")
    r = render_message(p, params, USERS, "jane@example.com", qr_encoder=Capture())
    assert "<script>" not in r.body
    assert r.body == (
        "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Co&quot;</p>"
        '<a title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Co&quot;" href="#">x</a>'
    )
    assert r.subject == '<script>alert("x")</script> & "Co"'


def test_user_values_are_escaped_too() -> None:
    users = [{"id": "x", "firstName": "<b>Bo</b>", "email": "x@example.com"}]
    r = render_message(payload("<p>{recipient.firstName}</p>"), PARAMS, users, "x", qr_encoder=Capture())
    assert r.body == "<p>&lt;b&gt;Bo&lt;/b&gt;</p>"
    assert r.subject == "Hi <b>Bo</b>"


def test_unicode_and_right_to_left_names_survive() -> None:
    r = render('<p dir="auto">{recipient.firstName} {recipient.lastName}</p>', "noor@example.com")
    assert r.body == '<p dir="auto">نور שלום</p>'
    assert r.subject == "Hi نور"


def test_magic_link_is_a_preview_url_showing_expiry_and_privileges() -> None:
    r = render('<a href="{joinLink}">join</a>')
    assert r.body == (
        f'<a href="https://events.example.com/join?ks={MAGIC_LINK_MARK}&amp;expiry=48h'
        '&amp;privileges=actionslimit%3A2">join</a>'
    )


def test_dynamic_resolves_as_magic_link_or_string() -> None:
    r = render("<p>{smart}</p><p>{smartText}</p>")
    assert r.body == (
        f"<p>https://events.example.com/go?x=1&amp;ks={MAGIC_LINK_MARK}&amp;expiry=4h</p><p>plain &amp; simple</p>"
    )
    assert r.unresolved == []


def test_unsubscribe_uri_is_the_samples_uri() -> None:
    r = render('<a href="{unsubLink}">unsubscribe</a>')
    assert r.body == '<a href="https://events.example.com/unsubscribe?g=1&amp;u=2">unsubscribe</a>'


def test_jwt_qr_code_encodes_a_signed_jwt_of_the_payload() -> None:
    capture = Capture()
    r = render_message(
        payload('<img src="{checkIn}" alt="qr"><p>{checkIn}</p>'), PARAMS, USERS, "jane@example.com", qr_encoder=capture
    )
    assert len(capture.calls) == 1  # one image per message, used twice
    token, colors = capture.calls[0]
    assert jwt.decode(token, SECRET, algorithms=["HS256"]) == {"eventId": "12345", "checkIn": True}
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-of-sufficient-length", algorithms=["HS256"])
    assert colors == QrColors("#1a237e", "#fafafa")
    assert r.body.startswith('<img src="data:image/png;base64,QRQR" alt="qr"><p><img src="data:image/png;base64,QRQR"')
    assert SECRET not in r.body + r.subject + r.from_name + r.to


def test_default_qr_encoder_draws_the_token_in_the_given_colours() -> None:
    import base64

    token = sign_jwt({"eventId": "12345"}, SECRET)
    uri = segno_qr(token, QrColors("#1a237e", "#fafafa"))
    assert uri.startswith("data:image/png;base64,")
    png = base64.b64decode(uri.split(",", 1)[1])
    assert png.startswith(b"\x89PNG")
    assert bytes.fromhex("1a237e") in png and bytes.fromhex("fafafa") in png  # the palette
    # The image is the QR code of exactly that token (segno is deterministic).
    import segno

    assert segno.make(token, error="m").png_data_uri(scale=4, border=2, dark="#1a237e", light="#fafafa") == uri
    assert SECRET.encode() not in png


def test_qr_in_the_subject_is_reported_not_drawn() -> None:
    r = render("<p></p>", subject="Code {checkIn}")
    assert r.subject == "Code "
    assert [u.where for u in r.unresolved] == ["subject"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{nope}", "not declared"),
        ("{recipient}", "without a field"),
        ("{recipient.firstname}", "unknown User field 'firstname'"),
        ("{eventName.value}", "not a User"),
    ],
    ids=["undeclared", "user-without-field", "unknown-field", "field-on-string"],
)
def test_what_cannot_be_resolved_is_reported(body: str, reason: str) -> None:
    r = render(f"<p>{body}</p>")
    assert r.body == "<p></p>"
    assert len(r.unresolved) == 1 and reason in r.unresolved[0].reason
    assert r.unresolved[0].raw == body and r.unresolved[0].offset == 3


def test_missing_value_and_unknown_user_are_reported() -> None:
    params = {k: v for k, v in PARAMS.items() if k != "eventName"}
    params["host"] = {"type": "User", "value": "ghost@example.com"}
    r = render_message(
        payload("<p>{eventName}{host.firstName}</p>"), params, USERS, "jane@example.com", qr_encoder=Capture()
    )
    assert [(u.where, u.raw) for u in r.unresolved] == [
        ("fromName", "{host.firstName}"),
        ("body", "{eventName}"),
        ("body", "{host.firstName}"),
    ]
    assert "no value" in r.unresolved[1].reason and "ghost@example.com" in r.unresolved[2].reason


def test_entity_braces_resolve_in_the_body_and_other_languages_are_left_alone() -> None:
    r = render("<p>&#123;eventName&#125; {{ not_ours }} {{eventName}}</p>")
    assert r.body == "<p>Annual Conference 2026 {{ not_ours }} {{eventName}}</p>"
    assert r.unresolved == []


def test_values_are_substituted_once() -> None:
    params = {**PARAMS, "eventName": {"type": "String", "value": "{recipient.firstName}"}}
    r = render_message(payload("<p>{eventName}</p>"), params, USERS, "jane@example.com", qr_encoder=Capture())
    assert r.body == "<p>{recipient.firstName}</p>"


def test_from_address_and_users_as_a_mapping() -> None:
    r = render_message(
        payload("<p>{recipient.firstName}</p>"),
        PARAMS,
        {u["id"]: u for u in USERS},
        "li@example.com",
        qr_encoder=Capture(),
    )
    assert (r.from_email, r.from_name, r.to, r.body) == (
        "events@example.com",
        "Hana at Acme",
        "li@example.com",
        "<p>李</p>",
    )
    assert not list(find_tokens(r.body))
