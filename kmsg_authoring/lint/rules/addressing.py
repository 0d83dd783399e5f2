"""Who the mail goes to and from: toAttributePath, from/cc/bcc addresses, custom headers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kmsg_authoring.lint.context import Context, Finding, did_you_mean
from kmsg_authoring.lint.registry import GUARD, LOCKED, rule
from kmsg_authoring.model import USER_FIELDS, find_tokens, token_facts, types_where
from kmsg_authoring.model import HEADER_FIELDS, TO_ATTRIBUTE_PATH

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_RE = re.compile(rf"\A[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~.-]+@{_LABEL}(?:\.{_LABEL})+\Z")
HEADER_NAME_RE = re.compile(r"\A[!-9;-~]+\Z")  # RFC 5322 field-name: printable ASCII but ':'
# Headers the Messaging API writes from the template's own fields.
RESERVED_HEADERS = (
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "reply-to",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "return-path",
    "sender",
)
# Token types that may hold the recipient's address.
ADDRESS_TYPES = types_where(lambda f: f.addresses)


def _has_fields(kind: object) -> bool:
    """Whether a declared type is referenced with a field (a User token)."""
    facts = token_facts(kind)
    return facts is not None and facts.has_fields


@rule("KM401", "bad-to-attribute-path", "error", guard=GUARD)
def bad_to_attribute_path(ctx: Context) -> Iterator[Finding]:
    """`toAttributePath` is not exactly one reference to a declared token that holds an address.

    What it does:
        Checks that toAttributePath is exactly one token reference, with nothing around it; that
        the token is declared; that it is a User token with a valid field (or a String or Dynamic
        token holding an address), not a link or QR code.
    Why:
        The API resolves toAttributePath for every recipient to find the address to send to; if
        it cannot, the message is not delivered.
    Bad:
        toAttributePath: "recipient.email"          # no braces
        toAttributePath: "{recipient.mail}"         # no such User field
    Good:
        toAttributePath: "{recipient.email}"
    """
    value = ctx.payload.get(TO_ATTRIBUTE_PATH)
    if not isinstance(value, str) or not value.strip():
        return
    where = ctx.at_field(TO_ATTRIBUTE_PATH)
    refs = list(find_tokens(value))
    if len(refs) != 1 or refs[0].raw != value:
        found = f"{len(refs)} references" if len(refs) != 1 else "text around the reference"
        yield Finding(
            f"toAttributePath must be exactly one token reference such as '{{recipient.email}}' "
            f"('{value}' has {found})",
            where,
        )
        return
    ref = refs[0]
    kind = ctx.declared.get(ref.name, "")
    if ref.name not in ctx.declared:
        yield Finding(
            f"toAttributePath names token '{ref.name}', which is not declared in msgParamsMap"
            f"{did_you_mean(ref.name, ctx.declared)}",
            where,
        )
    elif _has_fields(kind):
        if ref.field is None:
            yield Finding(f"toAttributePath needs a User field: '{{{ref.name}.email}}'", where)
        elif ref.field not in USER_FIELDS:
            yield Finding(
                f"toAttributePath: unknown User field '{ref.field}'{did_you_mean(ref.field, USER_FIELDS)}", where
            )
    elif kind not in ADDRESS_TYPES:
        yield Finding(f"toAttributePath names {kind} token '{ref.name}', which is not an email address", where)
    elif ref.field is not None:
        yield Finding(f"toAttributePath: {kind} token '{ref.name}' has no fields", where)


@rule("KM402", "to-attribute-not-email", "warning")
def to_attribute_not_email(ctx: Context) -> Iterator[Finding]:
    """`toAttributePath` uses a User field other than `email`.

    What it does:
        Finds a toAttributePath such as `{recipient.id}` that reads a valid User field which is not
        `email`.
    Why:
        The recipient's address is read from that field; only accounts whose id happens to be
        their email address receive the message.
    Bad:
        toAttributePath: "{recipient.id}"
    Good:
        toAttributePath: "{recipient.email}"
    """
    value = ctx.payload.get(TO_ATTRIBUTE_PATH)
    refs = list(find_tokens(value)) if isinstance(value, str) else []
    if len(refs) == 1 and refs[0].raw == value and _has_fields(ctx.declared.get(refs[0].name)):
        field = refs[0].field
        if field is not None and field in USER_FIELDS and field != "email":
            yield Finding(
                f"toAttributePath reads User field '{field}', not 'email': write '{{{refs[0].name}.email}}'",
                ctx.at_field(TO_ATTRIBUTE_PATH),
            )


@rule("KM403", "invalid-email-address", "error", guard=GUARD)
def invalid_email_address(ctx: Context) -> Iterator[Finding]:
    """`from`, `cc` or `bcc` is not a valid email address.

    What it does:
        Checks that from, cc and bcc, when set, are each one plain address (`name@example.com`),
        without display names, lists or token references, which these fields do not resolve.
    Why:
        The API rejects the template or the provider refuses the message; a typo in `from`
        also fails SPF/DKIM alignment and lands the mail in spam.
    Bad:
        from: events@example
        cc: "{manager.email}"
    Good:
        from: events@example.com
        fromName: Acme Events
    """
    for field in ("from", "cc", "bcc"):
        value = ctx.payload.get(field)
        if value is None:
            continue
        text = str(value)
        if EMAIL_RE.match(text.strip()) and text == text.strip():
            continue
        hint = ""
        if list(find_tokens(text)):
            hint = f" (token references are not replaced in {field})"
        elif "<" in text or "," in text or ";" in text:
            hint = " (one plain address; put a display name in fromName)"
        yield Finding(f"{field} '{text}' is not a valid email address{hint}", ctx.at_field(field))


@rule("KM404", "invalid-custom-header", "error", guard=LOCKED)
def invalid_custom_header(ctx: Context) -> Iterator[Finding]:
    """A header has a line break (header injection), a custom header an invalid name or one the API sets.

    What it does:
        Checks every field that becomes a header (subject, from, fromName, cc, bcc) and
        customHeaders: no value may contain CR or LF; custom header names must be printable ASCII
        without spaces or ':', and From, To, Subject, Content-Type and similar headers that the
        API writes from the template's own fields cannot be overridden. It is a locked guard:
        nothing disables it or makes it less than an error.
    Why:
        A line break in a header value injects extra headers (or a body) into the message; an
        invalid or duplicated header makes providers reject or misroute the mail.
    Bad:
        subject: "Hello\\r\\nBcc: all@example.com"
        customHeaders: {"X Campaign": spring, X-Note: "a\\r\\nBcc: all@example.com"}
    Good:
        customHeaders: {X-Campaign: spring, List-Id: "<events.example.com>"}
    """
    for field in HEADER_FIELDS:
        value = ctx.payload.get(field)
        if value is not None and ("\r" in str(value) or "\n" in str(value)):
            yield Finding(
                f"{field} has a line break (header injection); keep it on one line "
                "(a YAML block scalar needs '>-' or '|-' to drop its final line break)",
                ctx.at_field(field),
            )
    headers = ctx.payload.get("customHeaders")
    if not isinstance(headers, dict):
        return
    for name, value in headers.items():
        where = ctx.at_field("customHeaders", name)
        if not HEADER_NAME_RE.match(str(name)):
            yield Finding(f"custom header name '{name}' is invalid (printable ASCII, no spaces or ':')", where)
        elif str(name).lower() in RESERVED_HEADERS:
            yield Finding(
                f"custom header '{name}' is written by the Messaging API from the template's fields; remove it",
                where,
            )
        if "\r" in str(value) or "\n" in str(value):
            yield Finding(f"custom header '{name}' has a line break in its value (header injection)", where)
