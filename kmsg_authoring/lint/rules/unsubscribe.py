"""CAN-SPAM: unsubscribe groups, the UnsubscribeUri token and a visible, unclipped unsubscribe link."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from kmsg_authoring.compile.types import TokenRef, Where
from kmsg_authoring.lint.context import Context, Finding, elements, style_declarations, tag_of
from kmsg_authoring.lint.registry import GUARD, rule
from kmsg_authoring.lint.sizing import expanded_bytes, kib
from kmsg_authoring.model import GMAIL_CLIP_BYTES, TOKEN_RE, TokenType

_ZERO = re.compile(r"\A0*(?:\.0+)?(?:px|em|rem|pt|%)?\s*(?:!important)?\Z")


def _groups(ctx: Context) -> list[object]:
    groups = ctx.payload.get("unsubscribeGroups")
    return list(groups) if isinstance(groups, list) else []


def _unsub_hrefs(ctx: Context) -> list[TokenRef]:
    """Body references of UnsubscribeUri tokens that are the href of a link (<a>): what a reader can click."""
    names = ctx.of_type(TokenType.UNSUBSCRIBE_URI)
    return [
        t
        for t in ctx.body_tokens
        if t.name in names and t.where == Where.ATTRIBUTE and t.attribute == "href" and t.element == "a"
    ]


def _unsub_anchors(ctx: Context) -> list[tuple[etree._Element, str | None]]:
    """The `<a>` elements linking an UnsubscribeUri token, each with why it is hidden (None: shown);
    found once for the rules that check them."""
    found: list[tuple[etree._Element, str | None]] | None = ctx.cache.get("unsubscribe-anchors")
    if found is None:
        names = ctx.of_type(TokenType.UNSUBSCRIBE_URI)
        found = ctx.cache["unsubscribe-anchors"] = [
            (el, hidden_reason(el))
            for el in ctx.by_tag("a")
            if {m.group(1) for m in TOKEN_RE.finditer(el.get("href") or "")} & names  # token names
        ]
    return found


def hidden_reason(a: etree._Element) -> str | None:
    """Why a link is invisible to the reader (None when it is shown)."""
    font_size_seen = False
    for node in (a, *a.iterancestors()):
        if node.get("hidden") is not None:
            return f"<{tag_of(node)}> has the hidden attribute"
        decls = style_declarations(node.get("style") or "")
        if decls.get("display", "").startswith("none"):
            return f"display:none on <{tag_of(node)}>"
        if decls.get("visibility", "").startswith("hidden"):
            return f"visibility:hidden on <{tag_of(node)}>"
        if "opacity" in decls and _ZERO.match(decls["opacity"]):
            return f"opacity:0 on <{tag_of(node)}>"
        if "font-size" in decls and not font_size_seen:
            font_size_seen = True
            if _ZERO.match(decls["font-size"]):
                return f"font-size:0 on <{tag_of(node)}>"
        clipped = decls.get("overflow", "").startswith("hidden") or node is a
        for prop in ("max-height", "height", "max-width", "width"):
            if prop in decls and _ZERO.match(decls[prop]) and clipped:
                return f"{prop}:0 on <{tag_of(node)}>"
    has_text = bool(str(a.xpath("string()")).strip())
    if not has_text and not any(tag_of(el) == "img" for el in elements(a)):
        return "the link has no text or image"
    return None


@rule("KM301", "unsubscribe-token-missing", "error", guard=GUARD)
def unsubscribe_token_missing(ctx: Context) -> Iterator[Finding]:
    """`unsubscribeGroups` is set but no UnsubscribeUri token is declared.

    What it does:
        Checks that a template with unsubscribe groups declares an UnsubscribeUri token in
        msgParamsMap.
    Why:
        Unsubscribe groups mark the mail as commercial: CAN-SPAM requires a working opt-out link
        in it, and the link is the UnsubscribeUri token.
    Bad:
        unsubscribeGroups: [event-updates]
        msgParamsMap: {recipient: {type: User}}
    Good:
        unsubscribeGroups: [event-updates]
        msgParamsMap: {recipient: {type: User}, unsubLink: {type: UnsubscribeUri}}
    """
    if _groups(ctx) and not ctx.of_type(TokenType.UNSUBSCRIBE_URI):
        yield Finding(
            "unsubscribeGroups is set but msgParamsMap declares no UnsubscribeUri token; "
            "declare one (unsubLink: {type: UnsubscribeUri}) and link it from the body",
            ctx.at_field("unsubscribeGroups"),
        )


@rule("KM302", "unsubscribe-link-missing", "error", guard=GUARD)
def unsubscribe_link_missing(ctx: Context) -> Iterator[Finding]:
    """An UnsubscribeUri token is declared for unsubscribe groups but no link in the body uses it.

    What it does:
        With unsubscribeGroups set, checks that the body has an `<a href="{unsubLink}">` for the
        declared UnsubscribeUri token.
    Why:
        A declared token alone shows nothing: the recipient needs a link to click to opt out.
    Bad:
        <p>To stop these emails, reply STOP.</p>
    Good:
        <p><a href="{unsubLink}">Unsubscribe</a> from event updates.</p>
    """
    if not _groups(ctx):
        return
    linked = {t.name for t in _unsub_hrefs(ctx)}
    for name in sorted(ctx.of_type(TokenType.UNSUBSCRIBE_URI) - linked):
        yield Finding(
            f"UnsubscribeUri token '{name}' is not linked from the body; add <a href=\"{{{name}}}\">Unsubscribe</a>",
            ctx.at_field("msgParamsMap", name),
        )


@rule("KM303", "unsubscribe-link-hidden", "error", guard=GUARD)
def unsubscribe_link_hidden(ctx: Context) -> Iterator[Finding]:
    """Every unsubscribe link is hidden from the reader.

    What it does:
        Checks the unsubscribe links (`<a href>` of an UnsubscribeUri token) in the compiled body,
        after CSS inlining: at least one must be visible, not under `display:none`,
        `visibility:hidden`, `opacity:0`, `font-size:0`, a zero width or height, nor empty, nor
        only inside an `<!--[if mso]>` block that only Outlook for Windows shows.
    Why:
        A hidden opt-out link is no opt-out link: the mail is non-compliant and recipients mark it
        as spam instead.
    Bad:
        <p style="display:none"><a href="{unsubLink}">Unsubscribe</a></p>
    Good:
        <p style="font-size:12px"><a href="{unsubLink}">Unsubscribe</a></p>
    """
    refs = _unsub_hrefs(ctx)
    if not refs:
        return
    anchors = _unsub_anchors(ctx)
    if not anchors:
        first = refs[0]
        yield Finding(
            "the unsubscribe link is only inside an Outlook conditional comment; other clients never show it",
            first.location,
        )
        return
    if all(reason for _, reason in anchors):
        first, reason = anchors[0]
        yield Finding(f"the unsubscribe link is hidden ({reason})", ctx.at_element(first))


@rule("KM304", "unsubscribe-link-clipped", "error", guard=GUARD)
def unsubscribe_link_clipped(ctx: Context) -> Iterator[Finding]:
    """The unsubscribe link falls beyond the point where Gmail clips the message.

    What it does:
        Measures where the first visible unsubscribe link starts in the compiled body, counting
        every token before it at a realistic worst-case length (a MagicLink is hundreds of
        characters), against Gmail's clipping size of 102 KB.
    Why:
        Gmail shows only the first 102 KB and hides the rest behind "View entire message"; an
        unsubscribe link past that point is not visible, which breaks CAN-SPAM compliance.
    Bad:
        A long newsletter with the footer and its unsubscribe link at 130 KB.
    Good:
        A shorter body, or an unsubscribe link near the top as well as in the footer.
    """
    refs = [t for t in _unsub_hrefs(ctx) if not t.mso]
    if not refs:
        return
    anchors = _unsub_anchors(ctx)
    if len(anchors) == len(refs):
        refs = [t for t, (_, reason) in zip(refs, anchors, strict=False) if reason is None] or refs
    starts = [(expanded_bytes(ctx, t.offset), t) for t in refs]
    start, first = min(starts, key=lambda s: s[0])
    if start > GMAIL_CLIP_BYTES:
        yield Finding(
            f"the unsubscribe link is past Gmail's clipping point: it starts at {kib(start)} > "
            f"{kib(GMAIL_CLIP_BYTES)} with tokens at worst-case length",
            first.location,
        )


@rule("KM305", "unsubscribe-without-groups", "warning")
def unsubscribe_without_groups(ctx: Context) -> Iterator[Finding]:
    """An UnsubscribeUri token is declared while `unsubscribeGroups` is empty.

    What it does:
        Finds UnsubscribeUri tokens in a template that names no unsubscribe group.
    Why:
        Opting out works by group: without groups the link unsubscribes the recipient from
        nothing, and they keep receiving the mail.
    Bad:
        msgParamsMap: {unsubLink: {type: UnsubscribeUri}}    # and no unsubscribeGroups
    Good:
        msgParamsMap: {unsubLink: {type: UnsubscribeUri}}
        unsubscribeGroups: [event-updates]
    """
    if _groups(ctx):
        return
    for name in sorted(ctx.of_type(TokenType.UNSUBSCRIBE_URI)):
        yield Finding(
            f"UnsubscribeUri token '{name}' is declared but unsubscribeGroups is empty: "
            "the link opts the recipient out of nothing",
            ctx.at_field("msgParamsMap", name),
        )


@rule("KM306", "bad-unsubscribe-group", "error")
def bad_unsubscribe_group(ctx: Context) -> Iterator[Finding]:
    """An unsubscribe group id is empty or listed twice.

    What it does:
        Checks each entry of unsubscribeGroups: it must be a non-empty string, listed once.
    Why:
        An empty id is a group no one can leave; a duplicate is a sign of a copy-paste slip where
        another group was meant.
    Bad:
        unsubscribeGroups: [event-updates, "", event-updates]
    Good:
        unsubscribeGroups: [event-updates, newsletters]
    """
    seen: set[str] = set()
    for i, group in enumerate(_groups(ctx)):
        if not isinstance(group, str) or not group.strip():
            yield Finding("empty unsubscribe group id", ctx.at_field("unsubscribeGroups", i))
        elif group in seen:
            yield Finding(f"duplicate unsubscribe group '{group}'", ctx.at_field("unsubscribeGroups", i))
        else:
            seen.add(group)
