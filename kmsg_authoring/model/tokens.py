"""Token types and the grammar of a token reference (API guide, section 4).

Token types are one table (TOKENS): each type's value shape, how it renders, where it may stand and
its worst-case length.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kmsg_authoring.model.templates import RESOLVED_FIELDS


class TokenType(StrEnum):
    """Section 4.1: the token types a msgParamsMap may declare (case-sensitive)."""

    USER = "User"
    STRING = "String"
    MAGIC_LINK = "MagicLink"
    DYNAMIC = "Dynamic"
    UNSUBSCRIBE_URI = "UnsubscribeUri"
    JWT_QR_CODE = "JwtQrCode"


TOKEN_TYPES: tuple[str, ...] = tuple(t.value for t in TokenType)

# Section 4.2: fields of a User token.
USER_FIELDS: tuple[str, ...] = (
    "id",
    "partnerId",
    "externalId",
    "firstName",
    "lastName",
    "email",
    "fullName",
    "screenName",
    "dateOfBirth",
    "gender",
    "thumbnailUrl",
    "description",
    "title",
    "country",
    "company",
    "state",
    "city",
    "zip",
)

# Value of a User token that resolves to the current recipient.
CURRENT_RECIPIENT = "Message.userId"


class Renders(StrEnum):
    """How the API turns a token's value into what the recipient gets."""

    USER_FIELD = "user-field"  # a field of the user record the value names
    TEXT = "text"  # the value as it is
    LOGIN_LINK = "login-link"  # a URL carrying a login session minted at send time
    QR_IMAGE = "qr-image"  # the address of a QR-code image of a signed JWT
    BY_VALUE = "by-value"  # as the type its value resolves to (TokenFacts.resolves_as)


class Placement(StrEnum):
    """Where a reference to a token may stand."""

    ANYWHERE = "anywhere"  # subject, fromName, body text and attributes
    LINK_HREF = "link-href"  # the whole href of a link in the body
    IMAGE_SRC = "image-src"  # the whole src of an image in the body


@dataclass(frozen=True)
class TokenFacts:
    """Everything the toolkit knows about one token type."""

    value_schema: Mapping[str, Any]  # JSON Schema of its value in msgParams (sections 4.3, 4.4, 6.1)
    value_hint: str  # how a value is written, for error messages
    renders: Renders
    placement: Placement
    worst_case_bytes: int  # length of a value once the API replaces it, at its realistic worst
    has_fields: bool = False  # referenced as {name.field}
    addresses: bool = False  # may hold the recipient's address (toAttributePath)
    resolves_as: tuple[TokenType, ...] = ()  # BY_VALUE: the types a value resolves (and may be sent) as
    at_send: str = ""  # section 4.1, "Value at Send Time", as a caller reads it in the token contract


_HEX_COLOR = {"type": "string", "pattern": r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"}
_URL = {"type": "string", "pattern": r"^https?://[^\s]+$"}
# Section 4.3 and 4.4: keys of MagicLink and JwtQrCode values.
MAGIC_LINK_FIELDS: tuple[str, ...] = ("baseURL", "expiry", "privileges")
JWT_QR_FIELDS: tuple[str, ...] = ("payload", "secret", "options")
_MAGIC_LINK_VALUE: dict[str, Any] = {
    "type": "object",
    "required": ["baseURL"],
    "properties": {
        "baseURL": _URL,
        "expiry": {"type": "integer", "minimum": 1},
        "privileges": {"type": "string"},
    },
    "additionalProperties": False,
}
_JWT_QR_VALUE: dict[str, Any] = {
    "type": "object",
    "required": ["payload", "secret"],
    "properties": {
        "payload": {"type": "object"},
        "secret": {"type": "string", "minLength": 1},
        "options": {
            "type": "object",
            "properties": {
                "color": {
                    "type": "object",
                    "properties": {"dark": _HEX_COLOR, "light": _HEX_COLOR},
                    "additionalProperties": False,
                },
            },
        },
    },
    "additionalProperties": False,
}
_STRING_VALUE: dict[str, Any] = {"type": "string"}

# The one table of token types: what a value looks like, how it renders, where it may stand, how long it
# can get. Worst-case lengths: a MagicLink or JwtQrCode URL carries a signed token of several hundred
# characters; a User field is at most an email address (254).
TOKENS: dict[TokenType, TokenFacts] = {
    TokenType.USER: TokenFacts(
        {"type": "string", "minLength": 1},
        f"a user id from `users`, or {CURRENT_RECIPIENT} for each recipient",
        Renders.USER_FIELD,
        Placement.ANYWHERE,
        254,
        has_fields=True,
        addresses=True,
        at_send="a Kaltura user whose profile fields the template reads: a user id, or "
        f"{CURRENT_RECIPIENT} for each recipient",
    ),
    TokenType.STRING: TokenFacts(
        _STRING_VALUE,
        "text (quote it if YAML would read a number or a boolean)",
        Renders.TEXT,
        Placement.ANYWHERE,
        500,
        addresses=True,
        at_send="static text, inserted as written (HTML-escaped in the body)",
    ),
    TokenType.MAGIC_LINK: TokenFacts(
        _MAGIC_LINK_VALUE,
        "a mapping {baseURL: https://..., expiry: hours, privileges: ...}",
        Renders.LOGIN_LINK,
        Placement.LINK_HREF,
        800,
        at_send=f"an auto-login URL made at send time: {{{', '.join(MAGIC_LINK_FIELDS)}}} (expiry in hours)",
    ),
    # Section 4.1: a Dynamic token "is resolved as String or MagicLink based on the value provided", so a
    # send (and a sample) may also give it as either of those types.
    TokenType.DYNAMIC: TokenFacts(
        {"oneOf": [_STRING_VALUE, _MAGIC_LINK_VALUE]},
        "text, or a MagicLink mapping {baseURL, expiry, privileges}",
        Renders.BY_VALUE,
        Placement.ANYWHERE,
        800,
        addresses=True,
        resolves_as=(TokenType.STRING, TokenType.MAGIC_LINK),
        at_send=f"decided at send time: text (sent as {TokenType.STRING}) or a {TokenType.MAGIC_LINK} object",
    ),
    TokenType.UNSUBSCRIBE_URI: TokenFacts(
        {"type": "string", "pattern": r"^(https?://|mailto:)[^\s]+$"},
        "an https:// (or mailto:) URI",
        Renders.TEXT,
        Placement.LINK_HREF,
        400,
        at_send="the CAN-SPAM unsubscribe link: an http(s) or mailto URI",
    ),
    TokenType.JWT_QR_CODE: TokenFacts(
        _JWT_QR_VALUE,
        "a mapping {payload: {...}, secret: ..., options: {color: {dark: '#000000', light: '#ffffff'}}}",
        Renders.QR_IMAGE,
        Placement.IMAGE_SRC,
        1200,
        at_send=f"a QR code image of a JWT signed at send time: {{{', '.join(JWT_QR_FIELDS)}}} (options optional)",
    ),
}
if set(TOKENS) != set(TokenType):
    raise RuntimeError("TOKENS must have one row per TokenType")
if not (all(facts.at_send for facts in TOKENS.values())):
    raise RuntimeError("every row of TOKENS must say what a caller sends (at_send)")
if set(_MAGIC_LINK_VALUE["properties"]) != set(MAGIC_LINK_FIELDS):
    raise RuntimeError("the MagicLink value schema must have exactly the MAGIC_LINK_FIELDS")
if set(_JWT_QR_VALUE["properties"]) != set(JWT_QR_FIELDS):
    raise RuntimeError("the JwtQrCode value schema must have exactly the JWT_QR_FIELDS")


def token_type(name: object) -> TokenType | None:
    """The TokenType a declared type name stands for; None for anything else (types are case-sensitive)."""
    return TokenType(name) if isinstance(name, str) and name in TOKEN_TYPES else None


def token_facts(name: object) -> TokenFacts | None:
    """The facts of a declared type name; None for an unknown type."""
    kind = token_type(name)
    return TOKENS[kind] if kind is not None else None


def types_where(test: Callable[[TokenFacts], bool]) -> tuple[TokenType, ...]:
    """The token types whose facts pass a test, in the guide's order."""
    return tuple(t for t, facts in TOKENS.items() if test(facts))


def sent_as(kind: TokenType) -> tuple[TokenType, ...]:
    """The types a send may give a value of this token type as: itself, or what it resolves as."""
    return (kind, *TOKENS[kind].resolves_as)


def resolved_type(kind: TokenType, value: object) -> TokenType:
    """The type a value renders as: a by-value type resolves as its object-shaped type for a mapping, else text."""
    facts = TOKENS[kind]
    if facts.renders is not Renders.BY_VALUE:
        return kind
    objects = [t for t in facts.resolves_as if TOKENS[t].value_schema.get("type") == "object"]
    texts = [t for t in facts.resolves_as if t not in objects]
    return objects[0] if isinstance(value, Mapping) else texts[0]


# Section 4: the grammar of a reference, `{name}` or `{name.field}`. Braces may be written as entities
# (`&#123;`, `&#x7b;`, `&lbrace;`, `&lcub;` and their closing twins): such a reference is the token it
# becomes once the HTML is parsed. A brace doubled on either side (`{{name}}`) belongs to another
# template language.
NAME = r"[A-Za-z_][A-Za-z0-9_]*"
NAME_RE = re.compile(rf"\A{NAME}\Z")
# (?<!\{\{) after the brace (not a lookbehind before it) keeps a literal first character, which lets
# the regex engine skip quickly through text without braces or ampersands.
OPEN = r"(?:\{(?<!\{\{)|&(?:\#0*123;|\#[xX]0*7[bB];|lbrace;|lcub;))"
CLOSE = r"(?:\}|&\#0*125;|&\#[xX]0*7[dD];|&rbrace;|&rcub;)"
TOKEN_RE = re.compile(rf"{OPEN}({NAME})(?:\.({NAME}))?{CLOSE}(?!\}})")


@dataclass(frozen=True)
class RawToken:
    """A token reference found in a text."""

    start: int
    end: int
    name: str
    field: str | None
    raw: str


def find_tokens(text: str) -> Iterator[RawToken]:
    """Every valid token reference in a text, in order."""
    for m in TOKEN_RE.finditer(text):
        yield RawToken(m.start(), m.end(), m.group(1), m.group(2), m.group(0))


# Section 4: tokens are placeholders in the subject, body and fromName.
COUNTED_FIELDS = RESOLVED_FIELDS


def number_of_tokens_used(payload: Mapping[str, object]) -> int:
    """numberOfTokenUsed as the API counts it: distinct tokens referenced in subject, body and fromName."""
    names: set[str] = set()
    for field in COUNTED_FIELDS:
        value = payload.get(field)
        if isinstance(value, str):
            names.update(t.name for t in find_tokens(value))
    return len(names)
