"""References the API will not recognise: malformed, URL-encoded or entity-mangled, or of another language."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kmsg_authoring.compile.types import MARK_ATTR
from kmsg_authoring.errors import Location
from kmsg_authoring.lint.context import Context, Finding, segments
from kmsg_authoring.lint.registry import rule
from kmsg_authoring.model import NAME_RE, TOKEN_RE, TOKEN_TEXT_FIELDS

# Double-brace blocks ({{ }}, {{{ }}}, {% %}, {# #}) and Mailchimp merge tags: other template languages.
FOREIGN_RE = re.compile(r"\{\{\{?[^{}]{0,200}\}?\}\}|\{%.{0,200}?%\}|\{#.{0,200}?#\}|\*\|[A-Za-z0-9_:]+\|\*", re.DOTALL)
_PAIR = re.compile(r"\{([^{}<>]{0,80})\}")
_IDENTISH = re.compile(r"\A\s*[A-Za-z_]\w*(?:\s*\.+\s*\w*)*\s*\Z")
_OPEN_ONLY = re.compile(r"\{\s*[A-Za-z_]\w*(?:\.\w*)?(?=\s*(?:\Z|[^\w.}\s]))")
_CLOSE_ONLY = re.compile(r"(?<![\w.{}$#%-])[A-Za-z_]\w*(?:\.\w+)?\}")
# What the reference rules look for: braces, merge tags, percent-encoded or doubly escaped braces
# (each one of the texts r"[{}]|\*\||%(?:25)?7[BbDd]|&amp;" matches).
_WANTED = ("{", "}", "*|", "&amp;", *(f"%{enc}7{c}" for enc in ("", "25") for c in "BbDd"))
_OPEN_ENC = r"%7B|%257B|&amp;(?:\#0*123|\#x0*7b|lbrace|lcub);"
_CLOSE_ENC = r"%7D|%257D|&amp;(?:\#0*125|\#x0*7d|rbrace|rcub);"
_MANGLED = re.compile(
    rf"({_OPEN_ENC}|\{{)\s*([A-Za-z_]\w*)(?:(?:\.|%2E)([A-Za-z_]\w*))?\s*({_CLOSE_ENC}|\}})", re.IGNORECASE
)


def _texts(ctx: Context, kinds: tuple[str, ...] = ("text", "attribute")) -> Iterator[tuple[str, int, str | None]]:
    """(text, offset in the marked body, or the field it is) for the token fields and the body segments."""
    for field in TOKEN_TEXT_FIELDS:
        value = ctx.payload.get(field)
        if isinstance(value, str):
            yield value, 0, field
    found: list[tuple[str, str, int]] | None = ctx.cache.get("reference-segments")
    if found is None:  # the body's segments that can hold a reference, cut out once for the three rules
        body = ctx.compiled.marked_body
        found = ctx.cache["reference-segments"] = [
            (seg.kind, body[seg.start : seg.end], seg.start)
            for seg in segments(body, _WANTED, ctx.lexed(body))
            if seg.attribute != MARK_ATTR
        ]
    for kind, text, start in found:
        if kind in kinds:
            yield text, start, None


def _where(ctx: Context, base: int, field: str | None, offset: int) -> Location:
    return ctx.in_field(field, offset) if field is not None else ctx.at_offset(base + offset)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the given spans replaced by spaces (offsets unchanged)."""
    if not spans:
        return text
    parts, pos = [], 0
    for start, end in sorted(spans):
        start = max(start, pos)
        if end <= start:
            continue
        parts += [text[pos:start], " " * (end - start)]
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _malformed(inner: str) -> str | None:
    """Why the inside of a brace pair is not a valid reference (None: valid grammar)."""
    raw = "{" + inner + "}"
    squeezed = re.sub(r"\s+", "", inner)
    if not squeezed:
        return f"empty token reference '{raw}'"
    if squeezed != inner:
        fix = f": write '{{{squeezed}}}'" if _valid(squeezed) else ""
        return f"spaces inside braces in '{raw}'{fix}"
    if ".." in inner or inner.startswith("."):
        return f"empty name between dots in '{raw}'"
    if inner.endswith("."):
        return f"no field after the dot in '{raw}'"
    if inner.count(".") > 1:
        return f"more than one field in '{raw}': a reference is {{name}} or {{name.field}}"
    if not _valid(inner):
        return f"malformed token reference '{raw}'"
    return None


def _valid(inner: str) -> bool:
    return all(NAME_RE.match(part) for part in inner.split(".")) and inner.count(".") <= 1


@rule("KM107", "malformed-token", "error")
def malformed_token(ctx: Context) -> Iterator[Finding]:
    """A token reference is malformed: spaces inside the braces, an empty name, `{a..b}`, or unbalanced.

    What it does:
        Scans the subject, fromName, the body's text and attribute values for brace pairs that look
        like a token reference but do not follow the grammar `{name}` / `{name.field}`, and for a
        token name with only an opening or only a closing brace. CSS, scripts and comments are not
        scanned, and double braces of other template languages are left to KM108.
    Why:
        The API replaces only exact references; anything else reaches the recipient as written.
    Bad:
        <p>Hi { recipient.firstName }, join {eventName here: {joinLink</p>
    Good:
        <p>Hi {recipient.firstName}, join {eventName} here: {joinLink}</p>
    """
    for text, base, field in _texts(ctx):
        if "{" not in text and "}" not in text:
            continue
        spans = [m.span() for m in TOKEN_RE.finditer(text)]  # the valid references, as find_tokens finds them
        spans += [m.span() for m in FOREIGN_RE.finditer(text)]
        masked = _blank(text, spans)
        pairs: list[tuple[int, int]] = []
        for m in _PAIR.finditer(masked):
            pairs.append(m.span())
            inner = m.group(1)
            if not inner.strip() or _IDENTISH.match(inner):
                why = _malformed(inner) or f"unbalanced braces around '{{{inner}}}'"
                yield Finding(why, _where(ctx, base, field, m.start()))
        masked = _blank(masked, pairs)
        for m in _OPEN_ONLY.finditer(masked):
            yield Finding(f"'{m.group(0).strip()}' is never closed: add '}}'", _where(ctx, base, field, m.start()))
        for m in _CLOSE_ONLY.finditer(masked):
            yield Finding(f"'{m.group(0)}' has no opening brace", _where(ctx, base, field, m.start()))


@rule("KM108", "foreign-template-syntax", "warning")
def foreign_template_syntax(ctx: Context) -> Iterator[Finding]:
    """Template syntax of another language (`{{ name }}`, `{% %}`, `*|MERGE|*`) is left in the output.

    What it does:
        Finds double-brace expressions and Mailchimp merge tags in the subject, fromName, the
        body's text and attribute values after the build.
    Why:
        The Messaging API replaces only single-brace tokens; `{{ first_name }}` or `*|UNSUB|*`
        reaches the recipient as written. Templates imported from other platforms carry them.
    Bad:
        <p>Hi {{ first_name }}, <a href="*|UNSUB|*">unsubscribe</a></p>
    Good:
        <p>Hi {recipient.firstName}, <a href="{unsubLink}">unsubscribe</a></p>
    """
    for text, base, field in _texts(ctx):
        if "{" not in text and "*|" not in text:
            continue
        for m in FOREIGN_RE.finditer(text):
            shown = m.group(0) if len(m.group(0)) <= 60 else m.group(0)[:57] + "..."
            yield Finding(
                f"'{shown}' is not a Kaltura token and is sent as written (tokens are {{name}} or {{name.field}})",
                _where(ctx, base, field, m.start()),
            )


@rule("KM109", "mangled-token", "error")
def mangled_token(ctx: Context) -> Iterator[Finding]:
    """A token reference was URL-encoded or entity-escaped into literal text.

    What it does:
        Finds references whose braces were percent-encoded (`%7BjoinLink%7D`, `%257B...`) or
        escaped twice (`&amp;#123;name&amp;#125;`), as editors, URL builders and some inliners do.
    Why:
        The API looks for `{joinLink}`; the encoded form is sent as is, so the link or text is broken.
    Bad:
        <a href="https://example.com/go?to=%7BjoinLink%7D">Join</a>
    Good:
        <a href="{joinLink}">Join</a>
    """
    for text, base, field in _texts(ctx, ("text", "attribute", "css")):
        if "%" not in text and "&amp;" not in text:
            continue
        for m in _MANGLED.finditer(text):
            if m.group(1) == "{" and m.group(4) == "}":
                continue
            ref = "{" + m.group(2) + ("." + m.group(3) if m.group(3) else "") + "}"
            yield Finding(
                f"token '{ref}' is encoded as '{m.group(0)}' and will not be replaced; write '{ref}'",
                _where(ctx, base, field, m.start()),
            )
