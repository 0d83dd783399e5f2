"""Resolve send-time tokens as the Messaging API does: what one recipient receives.

The renderer works from an email-template/add payload plus a message/send request's msgParams and
the users it goes to, so the preview, the tests and the local API sandbox share it. Every reference
it cannot resolve is reported in `Rendering.unresolved`; none is left silently.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from kmsg_authoring.errors import Location
from kmsg_authoring.model import (
    CURRENT_RECIPIENT,
    TOKEN_TEXT_FIELDS,
    TOKENS,
    USER_FIELDS,
    RawToken,
    Renders,
    find_tokens,
    resolved_type,
    token_type,
)
from kmsg_authoring.model import BODY, FROM_NAME, SUBJECT, TO_ATTRIBUTE_PATH

if TYPE_CHECKING:
    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.render.samples import Sample

# Where a reference stands in the message.
TO = TO_ATTRIBUTE_PATH

DEFAULT_DARK = "#000000"
DEFAULT_LIGHT = "#ffffff"
# Marks a MagicLink preview URL: the real link carries a session the server mints at send time.
MAGIC_LINK_MARK = "kmsg-preview-not-a-login"


@dataclass(frozen=True)
class QrColors:
    """Colours a QR code is drawn with (JwtQrCode options.color)."""

    dark: str = DEFAULT_DARK
    light: str = DEFAULT_LIGHT


# Turns the text a QR code encodes into an image URI. Swappable, so a test can see what was encoded.
QrEncoder = Callable[[str, QrColors], str]


def segno_qr(data: str, colors: QrColors) -> str:
    """A PNG data URI of a QR code for data."""
    import segno

    return str(segno.make(data, error="m").png_data_uri(scale=4, border=2, dark=colors.dark, light=colors.light))


@dataclass(frozen=True)
class Unresolved:
    """A token reference the renderer could not resolve, and why."""

    raw: str
    where: str  # SUBJECT, FROM_NAME, TO or BODY
    offset: int  # in the text it stands in
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.raw} {self.reason}"


@dataclass(frozen=True)
class Rendering:
    """One message as a recipient receives it."""

    user_id: str
    subject: str
    from_name: str
    from_email: str
    to: str
    body: str
    unresolved: list[Unresolved] = field(default_factory=list)


def _users_by_id(users: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    if isinstance(users, Mapping):
        return {str(k): v for k, v in users.items()}
    return {str(u.get("id")): u for u in users}


def magic_link_preview(value: Mapping[str, Any]) -> str:
    """A URL that shows a MagicLink's settings and is plainly not a working login."""
    base = str(value.get("baseURL", ""))
    query = {"ks": MAGIC_LINK_MARK}
    if value.get("expiry") is not None:
        query["expiry"] = f"{value['expiry']}h"
    if value.get("privileges"):
        query["privileges"] = str(value["privileges"])
    return base + ("&" if "?" in base else "?") + urlencode(query)


def sign_jwt(payload: Mapping[str, Any], secret: str) -> str:
    """An HS256 JWT of payload; the only place a sample's secret is used."""
    import warnings

    import jwt

    with warnings.catch_warnings():
        # Sample secrets are short development values; the key-length advice is for production keys.
        warnings.simplefilter("ignore")
        return str(jwt.encode(dict(payload), secret, algorithm="HS256"))


def _in_tag(text: str, offset: int) -> bool:
    """Whether an offset stands inside a start tag (an attribute value), not in element text."""
    lt = text.rfind("<", 0, offset)
    return lt != -1 and text.rfind(">", 0, offset) < lt and text[lt + 1 : lt + 2].isalpha()


class _Resolver:
    """Resolves token values; the QR image of a token is made once per message, not per recipient."""

    def __init__(
        self,
        msg_params_map: Mapping[str, Any],
        msg_params: Mapping[str, Any],
        users: dict[str, Mapping[str, Any]],
        qr_encoder: QrEncoder,
    ) -> None:
        self.map: Mapping[str, Any] = msg_params_map if isinstance(msg_params_map, Mapping) else {}
        self.params: Mapping[str, Any] = msg_params if isinstance(msg_params, Mapping) else {}
        self.users = users
        self.qr_encoder = qr_encoder
        self._qr: dict[str, str] = {}

    def _qr_uri(self, name: str, value: Mapping[str, Any]) -> str:
        if name not in self._qr:
            options = value.get("options")
            color = options.get("color") if isinstance(options, Mapping) else None
            color = color if isinstance(color, Mapping) else {}
            colors = QrColors(str(color.get("dark", DEFAULT_DARK)), str(color.get("light", DEFAULT_LIGHT)))
            token = sign_jwt(value.get("payload") or {}, str(value.get("secret", "")))
            self._qr[name] = self.qr_encoder(token, colors)
        return self._qr[name]

    def resolve(self, tok: RawToken, user_id: str, where: str, in_tag: bool) -> tuple[str, str | None]:
        """(text to put in place of the reference, reason it is unresolved or None)."""
        decl = self.map.get(tok.name)
        if not isinstance(decl, Mapping):
            return "", "is not declared in msgParamsMap"
        param = self.params.get(tok.name)
        if not isinstance(param, Mapping) or "value" not in param:
            return "", "has no value in msgParams"
        declared_as = param.get("type", decl.get("type"))
        kind = token_type(declared_as)
        value = param["value"]
        if kind is not None and TOKENS[kind].has_fields:
            if tok.field is None:
                return "", f"names a {kind} token without a field (one of {', '.join(USER_FIELDS)})"
            if tok.field not in USER_FIELDS:
                return "", f"names an unknown {kind} field '{tok.field}'"
            uid = user_id if value == CURRENT_RECIPIENT else str(value)
            user = self.users.get(uid)
            if user is None:
                return "", f"names user '{uid}', who is not among the users"
            if user.get(tok.field) in (None, ""):
                return "", f"is empty: user '{uid}' has no {tok.field}"
            return _text(user[tok.field], where), None
        if tok.field is not None:
            return "", f"has a field but {tok.name} is a {declared_as} token, not a User"
        if kind is None:
            return "", f"has an unknown token type '{declared_as}'"
        kind = resolved_type(kind, value)
        renders = TOKENS[kind].renders
        if renders is Renders.LOGIN_LINK:
            if not isinstance(value, Mapping) or not value.get("baseURL"):
                return "", f"has no {kind} baseURL"
            return _text(magic_link_preview(value), where), None
        if renders is Renders.QR_IMAGE:
            if not isinstance(value, Mapping) or not value.get("secret"):
                return "", f"has no {kind} payload and secret"
            if where != BODY:
                return "", f"is a QR code image, which cannot stand in {where}"
            uri = self._qr_uri(tok.name, value)
            if in_tag:
                return uri, None
            return f'<img src="{uri}" alt="QR code" width="164" height="164" style="display:block">', None
        return _text(value, where), None


def _text(value: Any, where: str) -> str:
    text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    # The body is HTML: a value is text there, in element content and attribute values alike.
    return html.escape(text, quote=True) if where == BODY else text


def _substitute(text: str, where: str, resolver: _Resolver, user_id: str, unresolved: list[Unresolved]) -> str:
    out: list[str] = []
    pos = 0
    for tok in find_tokens(text):
        if where != BODY and not tok.raw.startswith("{"):
            continue  # entity-encoded braces are only braces in HTML
        value, reason = resolver.resolve(tok, user_id, where, where == BODY and _in_tag(text, tok.start))
        out.append(text[pos : tok.start])
        out.append(value)
        pos = tok.end
        if reason is not None:
            unresolved.append(Unresolved(tok.raw, where, tok.start, reason))
    out.append(text[pos:])
    return "".join(out)


def render_message(
    payload: Mapping[str, Any],
    msg_params: Mapping[str, Any],
    users: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
    user_id: str,
    *,
    qr_encoder: QrEncoder = segno_qr,
    _resolver: _Resolver | None = None,
) -> Rendering:
    """The message user_id receives from a template payload and a send request's msgParams and users."""
    resolver = _resolver or _Resolver(payload.get("msgParamsMap") or {}, msg_params, _users_by_id(users), qr_encoder)
    unresolved: list[Unresolved] = []
    subject = _substitute(str(payload.get(SUBJECT) or ""), SUBJECT, resolver, user_id, unresolved)
    from_name = _substitute(str(payload.get(FROM_NAME) or ""), FROM_NAME, resolver, user_id, unresolved)
    to = _substitute(str(payload.get(TO) or ""), TO, resolver, user_id, unresolved)
    body = _substitute(str(payload.get("body") or ""), BODY, resolver, user_id, unresolved)
    return Rendering(
        user_id=user_id,
        subject=subject,
        from_name=from_name,
        from_email=str(payload.get("from") or ""),
        to=to,
        body=body,
        unresolved=unresolved,
    )


def render_all(
    payload: Mapping[str, Any],
    msg_params: Mapping[str, Any],
    users: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
    user_ids: Iterable[str],
    *,
    qr_encoder: QrEncoder = segno_qr,
) -> list[Rendering]:
    """One rendering per recipient, sharing the work that does not depend on the recipient."""
    by_id = _users_by_id(users)
    resolver = _Resolver(payload.get("msgParamsMap") or {}, msg_params, by_id, qr_encoder)
    return [
        render_message(payload, msg_params, by_id, uid, qr_encoder=qr_encoder, _resolver=resolver) for uid in user_ids
    ]


def render_sample(compiled: CompiledTemplate, sample: Sample, *, qr_encoder: QrEncoder = segno_qr) -> list[Rendering]:
    """Every recipient's message for a compiled template and a sample."""
    return render_all(compiled.payload, sample.msg_params, sample.users, sample.recipients, qr_encoder=qr_encoder)


def locate_unresolved(compiled: CompiledTemplate, item: Unresolved) -> Location:
    """The source location of an unresolved reference: where the designer wrote it."""
    for ref in compiled.tokens:
        if item.where == BODY and ref.where not in TOKEN_TEXT_FIELDS and ref.offset == item.offset:
            return ref.location
        if item.where != BODY and ref.where == item.where and ref.raw == item.raw:
            return ref.location
    return compiled.body_location if item.where == BODY else compiled.meta.locate(item.where)
