"""Outlook for Windows, fallbacks: buttons and background images that Word needs drawn another way.

Word ignores padding and `inline-block` on links and does not show CSS background images: a button
needs a table cell carrying its colour or a VML shape, a background image a VML fill. These rules
(KM643, KM644) look for those fallbacks in what Word reads of the compiled body (lint/word_view.py)
and run only when the targeted clients include Outlook for Windows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from kmsg_authoring.lint.context import Context, Finding, tag_of
from kmsg_authoring.lint.registry import rule
from kmsg_authoring.lint.word_view import (
    NO_BACKGROUND,
    WordView,
    is_vml,
    length,
    targets_outlook,
    vml_before,
    word_view,
)

_URL = re.compile(r"url\s*\(", re.IGNORECASE)


def _nonzero(value: str) -> bool:
    return any((px := length(part)) is None or px > 0 for part in value.split()) if value else False


def _looks_like_button(style: dict[str, str]) -> str | None:
    """The declaration that makes a link a button (padding or inline-block), when it also has a look."""
    shaped = next((f"{p}: {style[p]}" for p in style if p.startswith("padding") and _nonzero(style[p])), None)
    if shaped is None and style.get("display", "").startswith("inline-block"):
        shaped = "display: inline-block"
    background = style.get("background-color") or style.get("background") or ""
    border = style.get("border", "")
    looks = background.split("!")[0].strip() not in NO_BACKGROUND or border.split(" ")[0] not in ("", "0", "none")
    return shaped if shaped and looks else None


def _cell_fallback(link: etree._Element, view: WordView) -> bool:
    """Whether the link stands alone in a table cell that has the button's background."""
    for a in link.iterancestors():
        tag = tag_of(a)
        if tag in ("td", "th"):
            style = view.styles.get(a, {})
            coloured = (a.get("bgcolor") or "").strip() != "" or any(
                style.get(p, "").split("!")[0].strip() not in NO_BACKGROUND for p in ("background", "background-color")
            )
            alone = "".join(a.itertext()).strip() == "".join(link.itertext()).strip()
            return coloured and alone
        if tag == "table":
            return False
    return False


@rule("KM643", "outlook-css-button", "warning")
def css_button(ctx: Context) -> Iterator[Finding]:
    """A link styled as a button by padding or `display: inline-block` has no table-cell or VML fallback.

    What it does:
        Finds links whose style gives them a button's look (a background colour or a border) and
        its shape (padding, or `display: inline-block`), and checks that Outlook for Windows gets
        a button some other way: the link alone in a table cell that carries the background
        (`bgcolor`), a VML `<v:roundrect>` or `<v:rect>` in an `<!--[if mso]>` comment before it,
        or the link hidden from Outlook (`mso-hide: all`, `<!--[if !mso]><!-->`).
    Why:
        Outlook ignores padding and `inline-block` on links: the button shrinks to its text with a
        thin strip of colour behind it, and only the words are clickable.
    Bad:
        <a href="{joinLink}" style="background: #0b5cad; color: #ffffff; padding: 12px 24px;
        display: inline-block;">Join</a>
    Good:
        <table role="presentation"><tr><td bgcolor="#0b5cad" style="padding: 12px 24px;">
        <a href="{joinLink}" style="color: #ffffff; display: inline-block;">Join</a>
        </td></tr></table>
        (or the button() macro, which writes both the cell and a VML fallback)
    """
    if not targets_outlook(ctx):
        return
    view = word_view(ctx)
    for el in ctx.by_tag("a"):
        if el in view.hidden or el.get("href") is None:
            continue
        shaped = _looks_like_button(view.styles.get(el, {}))
        if shaped is None or _cell_fallback(el, view) or vml_before(el, ("roundrect", "rect")):
            continue
        yield Finding(
            f"link styled as a button ('{shaped}'): Outlook for Windows ignores padding and inline-block on "
            "links, leaving only the words clickable; put it alone in a <td bgcolor=...> that carries the "
            "colour and padding, or add a VML <v:roundrect> in <!--[if mso]> (the button() macro does both)",
            ctx.at_element(el),
        )


def _background_image(el: etree._Element, style: dict[str, str]) -> str | None:
    for prop in ("background-image", "background"):
        value = style.get(prop, "")
        if _URL.search(value):
            return f"{prop}: {' '.join(value.split())[:60]}"
    if tag_of(el) in ("td", "th", "table", "body") and (el.get("background") or "").strip():
        return f'background="{el.get("background")}"'
    return None


@rule("KM644", "outlook-background-without-vml", "warning")
def background_without_vml(ctx: Context) -> Iterator[Finding]:
    """A `background-image` (or `background` attribute) has no VML fallback for Outlook.

    What it does:
        Finds elements Outlook for Windows reads whose style sets a background image with
        `url(...)`, or whose `background` attribute names one, and checks for a VML fallback:
        an `<!--[if mso]>` comment with `<v:rect>`/`<v:fill>`/`<v:image>` inside the element or
        open around it, or `<v:background>` for the `<body>`.
    Why:
        Outlook does not show CSS background images (nor, since 2007, `background` attributes on
        cells): white text meant to sit on a dark photo lands on white.
    Bad:
        <td style="background-image: url('https://events.example.com/hero.jpg');
        background-color: #1f2933;">...</td>
    Good:
        <td style="background-image: url('https://events.example.com/hero.jpg');
        background-color: #1f2933;">
        <!--[if mso]><v:rect xmlns:v="urn:schemas-microsoft-com:vml" fill="true" stroke="false"
        style="width:600px;height:300px;"><v:fill type="frame"
        src="https://events.example.com/hero.jpg" color="#1f2933" /><v:textbox inset="0,0,0,0">
        <![endif]-->...<!--[if mso]></v:textbox></v:rect><![endif]--></td>
        (or the background() macro)
    """
    if not targets_outlook(ctx):
        return
    view = word_view(ctx)
    root = ctx.body_root
    page_vml = root is not None and any(is_vml(c.text or "", ("background",)) for c in root.iter(etree.Comment))
    shapes = ("rect", "fill", "image", "roundrect", "shape", "background")
    found: list[tuple[str, etree._Element]] = []
    for el, _ in ctx.styled:
        what = _background_image(el, view.styles.get(el, {}))
        if what is not None and _needs_vml(view, el, page_vml, shapes):
            found.append((what, el))
    for el in ctx.by_tag("td", "th", "table", "body"):
        what = _background_image(el, {}) if el.get("style") is None else None
        if what is not None and _needs_vml(view, el, page_vml, shapes):
            found.append((what, el))
    fix = (
        "is not shown by Outlook for Windows; add a VML fallback in <!--[if mso]> "
        '(<v:rect fill="true"><v:fill type="frame" src="..." color="..."/><v:textbox>...) and keep a '
        "background-color (the background() macro writes both)"
    )
    yield from grouped(ctx, [(f"'{what}' {fix}", el) for what, el in found])


def grouped(ctx: Context, found: list[tuple[str, etree._Element]]) -> Iterator[Finding]:
    """One finding per message and file, at the first element, counting the others: a class's style
    inlined on hundreds of cells is one thing to fix."""
    by_place: dict[tuple[str, str], list[Finding]] = {}
    for message, el in found:
        loc = ctx.at_element(el)
        by_place.setdefault((message, loc.path), []).append(Finding(message, loc))
    for places in by_place.values():
        first = places[0]
        more = f" (+{len(places) - 1} more in this file)" if len(places) > 1 else ""
        yield Finding(first.message + more, first.location)


def _needs_vml(view: WordView, el: etree._Element, page_vml: bool, shapes: tuple[str, ...]) -> bool:
    """Whether a background image Word reads has no VML fallback (and is more than a tiled texture
    over a colour, which Outlook shows as the colour)."""
    if el in view.hidden or el in view.in_vml or (tag_of(el) in ("body", "html") and page_vml):
        return False
    style = view.styles.get(el, {})
    colour = (el.get("bgcolor") or "").strip() or style.get("background-color", "").split("!")[0].strip()
    tiled = style.get("background-repeat", "").startswith("repeat")
    if tiled and colour not in NO_BACKGROUND:
        return False
    return not (any(is_vml(c.text or "", shapes) for c in el.iter(etree.Comment)) or vml_before(el, shapes))
