"""Where link, QR-code and other tokens may stand in the body."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from kmsg_authoring.compile.types import TokenRef, Where
from kmsg_authoring.lint.context import Context, Finding, tag_of
from kmsg_authoring.lint.registry import GUARD, rule
from kmsg_authoring.model import TOKEN_RE, Placement, find_tokens, types_where

# Token types that become a complete URL (the whole href of a link), and those that become a QR-code image.
LINK_TYPES = types_where(lambda f: f.placement is Placement.LINK_HREF)
IMAGE_TYPES = types_where(lambda f: f.placement is Placement.IMAGE_SRC)
_VALUE_START = re.compile(r"""\s[\w:.-]+\s*=\s*["']?\s*\Z""")
_A_OPEN = re.compile(r"<a\b", re.IGNORECASE)
_A_CLOSE = re.compile(r"</a\s*>", re.IGNORECASE)
_FIELD_WHERE = (Where.SUBJECT, Where.FROM_NAME)
_BLOCKS = ("td", "th", "div", "p", "li", "center", "table", "body", "section")


def whole_value(ctx: Context, t: TokenRef) -> bool:
    """Whether a token in an attribute is its whole value (href="{joinLink}", not "...?next={joinLink}")."""
    body = ctx.compiled.body
    return bool(_VALUE_START.search(body[max(0, t.offset - 200) : t.offset]))


def inside_link(ctx: Context, offset: int) -> bool:
    """Whether an offset of the body stands between <a ...> and </a>."""
    body = ctx.compiled.body
    opens = [m.start() for m in _A_OPEN.finditer(body, 0, offset)]
    closes = [m.start() for m in _A_CLOSE.finditer(body, 0, offset)]
    return bool(opens) and (not closes or opens[-1] > closes[-1])


def _link_element(t: TokenRef) -> bool:
    return t.element in ("a", "area") or (t.element or "").startswith("v:")


@rule("KM201", "link-token-misplaced", "error", guard=GUARD)
def link_token_misplaced(ctx: Context) -> Iterator[Finding]:
    """A MagicLink or UnsubscribeUri token stands somewhere other than the href of a link.

    What it does:
        Finds MagicLink and UnsubscribeUri references in the subject or fromName, in attributes
        other than the href of `<a>` (or of a VML shape in an Outlook button), and in an href
        where they are only part of the URL.
    Why:
        These tokens become complete URLs with a login or opt-out token in them. Inside another
        URL, in an image source or in the subject they produce a broken link or leak the URL.
    Bad:
        <a href="https://events.example.com/?next={joinLink}">Join</a>
        <img src="{joinLink}">
    Good:
        <a href="{joinLink}">Join</a>
    """
    links = ctx.of_type(*LINK_TYPES)
    for t in ctx.compiled.tokens:
        if t.name not in links:
            continue
        kind = ctx.declared[t.name]
        if t.where in _FIELD_WHERE:
            yield Finding(f"{kind} token '{t.name}' in {t.where}: it is a URL; link it from the body", t.location)
        elif t.where == Where.ATTRIBUTE:
            if t.attribute != "href" or not _link_element(t):
                yield Finding(
                    f"{kind} token '{t.name}' in the {t.attribute} attribute of <{t.element}>: "
                    f'use it as <a href="{{{t.name}}}">',
                    t.location,
                )
            elif not whole_value(ctx, t):
                yield Finding(f"{kind} token '{t.name}' must be the whole href: it becomes a complete URL", t.location)


@rule("KM202", "link-token-as-text", "warning")
def link_token_as_text(ctx: Context) -> Iterator[Finding]:
    """A MagicLink or UnsubscribeUri token is shown as text outside any link.

    What it does:
        Finds MagicLink and UnsubscribeUri references in body text that is not inside an `<a>`.
    Why:
        Recipients see a long URL with a token in it, which some clients do not make clickable.
        Show it inside the link it belongs to (`<a href="{joinLink}">{joinLink}</a>` is fine).
    Bad:
        <p>Copy this address: {joinLink}</p>
    Good:
        <p><a href="{joinLink}">Join the event</a></p>
    """
    links = ctx.of_type(*LINK_TYPES)
    for t in ctx.body_tokens:
        if t.name in links and t.where == Where.TEXT and not inside_link(ctx, t.offset):
            yield Finding(
                f"{ctx.declared[t.name]} token '{t.name}' is shown as text outside a link; "
                f'use <a href="{{{t.name}}}">',
                t.location,
            )


@rule("KM203", "qr-token-misplaced", "error")
def qr_token_misplaced(ctx: Context) -> Iterator[Finding]:
    """A JwtQrCode token stands somewhere other than the src of an image.

    What it does:
        Finds JwtQrCode references that are not the whole `src` of an `<img>`: in text, links,
        other attributes, the subject or fromName.
    Why:
        The token becomes the address of a QR-code image. Anywhere else recipients see a long
        meaningless string instead of a code they can scan.
    Bad:
        <p>Your ticket: {ticketQr}</p>
    Good:
        <img src="{ticketQr}" alt="Ticket QR code" width="200" height="200">
    """
    qrs = ctx.of_type(*IMAGE_TYPES)
    for t in ctx.compiled.tokens:
        if t.name not in qrs or t.where in (Where.COMMENT, Where.SCRIPT, Where.CSS, Where.TO_ATTRIBUTE_PATH):
            continue
        ok = (
            t.where == Where.ATTRIBUTE
            and t.attribute == "src"
            and (t.element == "img" or (t.element or "").startswith("v:"))
            and whole_value(ctx, t)
        )
        if not ok:
            place = t.where if t.where != Where.ATTRIBUTE else f"the {t.attribute} attribute of <{t.element}>"
            yield Finding(
                f"{ctx.declared[t.name]} token '{t.name}' in {place}: use it as the whole <img src=\"{{{t.name}}}\">",
                t.location,
            )


def _has_text(el: etree._Element | None) -> bool:
    if el is None or not isinstance(el.tag, str):
        return False
    return bool(str(el.xpath("string()")).strip()) or any(a.get("href") for a in el.iter("a"))


def _has_fallback(img: etree._Element) -> bool:
    """Alt text besides tokens, an enclosing link, or text or a link in the same block or next to it."""
    alt = img.get("alt") or ""
    if TOKEN_RE.sub("", alt).strip():
        return True
    container: etree._Element | None = img.getparent()
    while container is not None:
        tag = tag_of(container)
        if tag == "a" and container.get("href"):
            return True
        if tag in _BLOCKS:
            break
        container = container.getparent()
    if container is None:
        return False
    near = [container, container.getnext(), container.getprevious()]
    row = container.getparent() if tag_of(container) in ("td", "th") else None
    if row is not None:  # the code often stands in the table row above or below
        near += [row.getnext(), row.getprevious()]
    return any(_has_text(el) for el in near)


@rule("KM204", "qr-without-fallback", "warning")
def qr_without_fallback(ctx: Context) -> Iterator[Finding]:
    """An image showing a JwtQrCode has no text fallback.

    What it does:
        Finds `<img>` elements whose src is a JwtQrCode token and that have no alt text, are not
        inside a link, and have no text or link next to them in their table cell or block.
    Why:
        Many mail clients block images until the reader allows them; without a fallback the
        recipient sees an empty box and no way to check in.
    Bad:
        <td><img src="{ticketQr}"></td>
    Good:
        <td><img src="{ticketQr}" alt="Your check-in code"><p>Or show code {ticketCode}</p></td>
    """
    qrs = ctx.of_type(*IMAGE_TYPES)
    if not qrs:
        return
    for img in ctx.by_tag("img"):
        names = {t.name for t in find_tokens(img.get("src") or "")}
        if names & qrs and not _has_fallback(img):
            yield Finding(
                "QR-code image has no fallback for clients that block images: add alt text, a link or a code",
                ctx.at_element(img),
            )


@rule("KM205", "token-not-visible", "warning")
def token_not_visible(ctx: Context) -> Iterator[Finding]:
    """A token stands in a `<script>`, an HTML or CSS comment, or a CSS selector or property name.

    What it does:
        Finds references inside `<script>` elements, ordinary comments (Outlook conditional
        comments are content, and are not reported), CSS comments, and the selectors and property
        names of `<style>` blocks. A token in a CSS value (`background-image: url({heroImage})`)
        is substituted like any other and is not reported.
    Why:
        What is there is not what the reader sees: comments are never shown, scripts are stripped
        by every mail client, and a token in a selector or property name breaks the rule it stands
        in. The token is usually a leftover or misplaced.
    Bad:
        <!-- Hi {recipient.firstName} -->
    Good:
        <p>Hi {recipient.firstName}</p>
    """
    places = {
        Where.COMMENT: "an HTML comment, which recipients never see",
        Where.SCRIPT: "<script>, which mail clients strip",
        Where.CSS: "a <style> block, not the text recipients read",
    }
    body = ctx.compiled.body
    for t in ctx.body_tokens:
        if t.mso or t.where not in places or (t.where == Where.CSS and t.attribute is not None):
            continue
        if t.where == Where.CSS:
            spot = _css_spot(body, t.offset)
            if spot == "value":
                continue  # substituted like any other token; the compiler keeps such rules on purpose
            where = (
                "a CSS comment, which recipients never see"
                if spot == "comment"
                else "a CSS selector or property name, where it breaks the rule"
            )
            yield Finding(f"token '{t.text}' is inside {where}", t.location)
            continue
        yield Finding(f"token '{t.text}' is inside {places[t.where]}", t.location)


# At-rules whose block holds rules rather than declarations.
_RULE_BLOCKS = ("@media", "@supports", "@document", "@container", "@layer")


def _css_spot(html: str, offset: int) -> str:
    """Where an offset inside a <style> block falls: a declaration "value", a "comment", or "other"."""
    start = html.lower().rfind("<style", 0, offset)
    start = html.find(">", start) + 1 if start >= 0 else 0
    stack: list[str] = []  # "rules" or "decls", one entry per open brace
    prelude_start, colon, quote, i = start, False, "", start
    while i < offset:
        ch = html[i]
        if quote:
            quote = "" if ch == quote else quote
        elif html.startswith("/*", i):
            end = html.find("*/", i + 2)
            if end < 0 or end + 2 > offset:
                return "comment"
            i = end + 2
            continue
        elif ch in "\"'":
            quote = ch
        elif ch == "{":
            prelude = html[prelude_start:i].strip().lower()
            stack.append("rules" if prelude.startswith(_RULE_BLOCKS) else "decls")
            prelude_start, colon = i + 1, False
        elif ch in "};":
            if ch == "}" and stack:
                stack.pop()
            prelude_start, colon = i + 1, False
        elif ch == ":" and stack and stack[-1] == "decls":
            colon = True
        i += 1
    return "value" if colon and stack and stack[-1] == "decls" else "other"
