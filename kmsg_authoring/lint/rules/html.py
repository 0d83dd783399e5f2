"""HTML that mail clients strip, block or render badly, checked on the compiled body."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from kmsg_authoring.compile.types import MARK_ATTR
from kmsg_authoring.lint.context import Context, Finding, elements, tag_of
from kmsg_authoring.lint.registry import GUARD, rule

STRIPPED = ("script", "form", "iframe", "object", "embed", "applet", "frame", "frameset")
_SCRIPT_URL = re.compile(r"\A(?:javascript|vbscript):", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x20]+")
_SCHEME = re.compile(r"\A[A-Za-z][A-Za-z0-9+.-]*:")
_TEMPLATED = re.compile(r"\A(?:\{|\*\||%%|\[\[)")
_HTML_TAG = re.compile(r"<html\b((?:\"[^\"]*\"|'[^']*'|[^'\">]+)*+)>", re.IGNORECASE)
_LANG = re.compile(r"""\s(?:xml:)?lang\s*=\s*(?:"\s*[^"\s]|'\s*[^'\s]|[^\s>"'])""", re.IGNORECASE)
_MARK_VALUE = re.compile(MARK_ATTR + r"""\s*=\s*["']?(\d+)""")
URL_ATTRS: dict[str, tuple[str, ...]] = {
    "a": ("href",),
    "area": ("href",),
    "img": ("src",),
    "table": ("background",),
    "td": ("background",),
    "th": ("background",),
    "body": ("background",),
    "link": ("href",),
    "source": ("src",),
}


def urls(ctx: Context) -> list[tuple[str, str, str, etree._Element]]:
    """(tag, attribute, value, element) for every URL attribute of the compiled body (found once
    for the three rules that check them)."""
    found: list[tuple[str, str, str, etree._Element]] | None = ctx.cache.get("urls")
    if found is None:
        found = ctx.cache["urls"] = [
            (tag, attr, value, el)
            for tag, attrs in URL_ATTRS.items()
            for el in ctx.by_tag(tag)
            for attr in attrs
            if (value := el.get(attr)) is not None
        ]
    return found


@rule("KM502", "stripped-element", "error", guard=GUARD)
def stripped_element(ctx: Context) -> Iterator[Finding]:
    """The body has an element mail clients remove: `<script>`, `<form>`, `<iframe>`, `<object>`, `<embed>`.

    What it does:
        Finds script, form, iframe, object, embed, applet and frame elements in the compiled body.
    Why:
        Every major mail client strips them (some strip the whole message part), and spam filters
        score them heavily. Whatever they were meant to show never reaches the reader.
    Bad:
        <form action="https://events.example.com/rsvp"><button>RSVP</button></form>
    Good:
        <a href="{rsvpLink}">RSVP</a>
    """
    for el in ctx.by_tag(*STRIPPED):
        yield Finding(f"<{tag_of(el)}> is removed by mail clients; use a link instead", ctx.at_element(el))


@rule("KM503", "javascript-url", "error", guard=GUARD)
def javascript_url(ctx: Context) -> Iterator[Finding]:
    """A `javascript:` (or `vbscript:`) URL is used.

    What it does:
        Finds attribute values that are script URLs, in links, images or anywhere else.
    Why:
        No mail client runs them: the link does nothing, and spam and phishing filters treat it
        as an attack.
    Bad:
        <a href="javascript:window.open('https://events.example.com')">Open</a>
    Good:
        <a href="https://events.example.com">Open</a>
    """
    # Whether "script:" occurs in any letter case, as `"script:" in body.lower()` tells, without
    # lower-casing the whole body as text (slow when it is not all ASCII): bytes.lower() changes
    # ASCII letters only, and the only other characters whose lower case holds ASCII letters are
    # U+212A KELVIN SIGN ("k") and U+0130 ("i" and a combining dot), neither of which can be part
    # of "script:" (tests/lint/test_lexer.py checks this against the Unicode tables).
    if b"script:" not in ctx.compiled.body.encode("utf-8", "surrogatepass").lower():
        return
    for el in elements(ctx.body_root):
        for attr, value in el.attrib.items():
            if _SCRIPT_URL.match(_CONTROL.sub("", value)):
                yield Finding(f"script URL in {attr} of <{tag_of(el)}>; mail clients never run it", ctx.at_element(el))


@rule("KM504", "img-without-alt", "warning")
def img_without_alt(ctx: Context) -> Iterator[Finding]:
    """An image has no `alt` attribute.

    What it does:
        Finds `<img>` elements without an alt attribute (`alt=""` marks a decorative image and
        is fine).
    Why:
        Many clients block images by default and show the alt text instead; screen readers read
        it out, or the file name when it is missing.
    Bad:
        <img src="https://events.example.com/banner.png">
    Good:
        <img src="https://events.example.com/banner.png" alt="Annual Conference 2025">
    """
    for el in ctx.by_tag("img"):
        if el.get("alt") is None:
            yield Finding('<img> has no alt attribute (use alt="" for decoration)', ctx.at_element(el))


@rule("KM505", "html-without-lang", "warning")
def html_without_lang(ctx: Context) -> Iterator[Finding]:
    """The `<html>` element has no `lang` attribute.

    What it does:
        Checks the `<html>` element the template writes (a body fragment without one is not
        reported) for a lang attribute.
    Why:
        Screen readers pick their pronunciation from it, and some clients use it for
        hyphenation and translation prompts.
    Bad:
        <html>
    Good:
        <html lang="en">
    """
    m = _HTML_TAG.search(ctx.compiled.rendered)
    if m and MARK_ATTR in m.group(0) and not _LANG.search(m.group(0)):
        loc = ctx.compiled.source_map.element_location((_MARK_VALUE.search(m.group(0)) or m).group(1))
        yield Finding('<html> has no lang attribute, e.g. <html lang="en">', loc or ctx.compiled.body_location)


@rule("KM506", "relative-url", "warning")
def relative_url(ctx: Context) -> Iterator[Finding]:
    """A link or image URL is relative.

    What it does:
        Finds href, src and background values that have no scheme (`images/logo.png`, `/about`,
        `//cdn.example.com/x.png`), other than `#anchors` and token references.
    Why:
        A message has no base address: relative links go nowhere and relative images never load.
    Bad:
        <img src="images/logo.png" alt="Acme">
    Good:
        <img src="https://events.example.com/images/logo.png" alt="Acme">
    """
    for tag, attr, value, el in urls(ctx):
        url = value.strip()
        if not url or url.startswith("#") or _SCHEME.match(url) or _TEMPLATED.match(url):
            continue
        kind = "protocol-relative" if url.startswith("//") else "relative"
        yield Finding(f"{kind} URL '{url[:80]}' in {attr} of <{tag}>: use a full https:// URL", ctx.at_element(el))


@rule("KM507", "insecure-url", "warning")
def insecure_url(ctx: Context) -> Iterator[Finding]:
    """A link or image uses plain `http://`.

    What it does:
        Finds href, src and background values starting with `http://`.
    Why:
        Clients flag or block insecure images, browsers warn on insecure pages, and link
        scanners rate them lower; tracking redirects may also break.
    Bad:
        <a href="http://events.example.com/agenda">Agenda</a>
    Good:
        <a href="https://events.example.com/agenda">Agenda</a>
    """
    for tag, attr, value, el in urls(ctx):
        if value.strip().lower().startswith("http://"):
            yield Finding(f"insecure URL '{value.strip()[:80]}' in {attr} of <{tag}>: use https://", ctx.at_element(el))


@rule("KM508", "empty-link", "warning")
def empty_link(ctx: Context) -> Iterator[Finding]:
    """A link's href is empty or just `#`.

    What it does:
        Finds `<a>` elements whose href is "" or "#".
    Why:
        The reader clicks and nothing happens (or the message reloads in webmail); it is usually
        a placeholder that was never filled in.
    Bad:
        <a href="#">View the agenda</a>
    Good:
        <a href="https://events.example.com/agenda">View the agenda</a>
    """
    for tag, _attr, value, el in urls(ctx):
        if tag == "a" and value.strip() in ("", "#"):
            yield Finding(
                f"link with {'an empty' if not value.strip() else 'a #'} href goes nowhere", ctx.at_element(el)
            )
