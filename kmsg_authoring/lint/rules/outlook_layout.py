"""Outlook for Windows, layout and spacing: widths Word takes from attributes, margins and line heights.

Word ignores `max-width` and CSS widths on images, drops `margin` on block containers and treats
`line-height` as a minimum. These rules (KM641, KM642, KM645, KM646) judge what Word reads of the
compiled body (lint/word_view.py) and run only when the targeted clients include Outlook for Windows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from kmsg_authoring.lint.context import Context, Finding, tag_of
from kmsg_authoring.lint.registry import rule
from kmsg_authoring.lint.word_view import (
    DEFAULT_FONT_PX,
    FIXED_TAGS,
    WordView,
    fixed_width_attr,
    length,
    opens_fixed_ghost,
    targets_outlook,
    word_view,
)

# Block containers whose margins Word drops (paragraphs and headings keep theirs).
BLOCKS = ("div", "table", "center", "section", "article", "header", "footer", "main", "aside", "nav")
MIN_RATIO = 1.0  # a line-height under the font size: Word grows the line (set solid, it grows a pixel or two)
GHOST = (
    '<!--[if mso]><table role="presentation" width="{w}" cellpadding="0" cellspacing="0" border="0">'
    '<tr><td width="{w}"><![endif]--> ... <!--[if mso]></td></tr></table><![endif]-->'
)


@rule("KM641", "outlook-fluid-without-ghost", "warning")
def fluid_without_ghost(ctx: Context) -> Iterator[Finding]:
    """A fluid container (`max-width` on a div or table) has no ghost table giving Outlook a width.

    What it does:
        Finds `<div>` and `<table>` elements whose style sets `max-width` to a length, and checks
        that Outlook for Windows gets a fixed width for them some other way: a `width` attribute
        on the table itself, a fixed-width `<table>` or `<td>` opened in an `<!--[if mso]>`
        comment around it (a "ghost table"), or a fixed-width ancestor cell. Content hidden
        from Outlook (after `<!--[if !mso]><!-->`, or under `mso-hide: all`) is not checked.
    Why:
        Outlook ignores `max-width`: the 600-pixel column becomes as wide as the reading pane,
        lines of text run across the whole screen and images stretch or sit in a corner.
    Bad:
        <div style="max-width: 600px; margin: 0 auto;">...</div>
    Good:
        <!--[if mso]><table role="presentation" width="600" cellpadding="0" cellspacing="0"
        border="0"><tr><td width="600"><![endif]-->
        <div style="max-width: 600px; margin: 0 auto;">...</div>
        <!--[if mso]></td></tr></table><![endif]-->
    """
    if not targets_outlook(ctx):
        return
    view = word_view(ctx)
    for el in ctx.by_tag("div", "table"):
        style = view.styles.get(el, {})
        max_width = style.get("max-width", "")
        px = length(max_width)
        if not px or px <= 0 or el in view.hidden or el in view.ghost_fixed:
            continue
        if tag_of(el) == "table" and fixed_width_attr(el):
            continue
        if any(tag_of(a) in FIXED_TAGS and fixed_width_attr(a) for a in el.iterancestors()):
            continue
        if any(c.tag is etree.Comment and opens_fixed_ghost(c.text or "") for c in el):
            continue  # the ghost table inside the container (Cerberus): Word sizes the content to it
        yield Finding(
            f"'max-width: {max_width}' on <{tag_of(el)}> is ignored by Outlook for Windows, which makes it as "
            f"wide as the window; wrap it in a ghost table: {GHOST.format(w=round(px))} "
            "(or use the columns() macro)",
            ctx.at_element(el),
        )


@rule("KM642", "outlook-img-without-width", "warning")
def img_without_width(ctx: Context) -> Iterator[Finding]:
    """An image sized by CSS has no `width` attribute, so Outlook shows it at its natural size.

    What it does:
        Finds `<img>` elements Outlook for Windows reads whose CSS gives them a size (`width`, or
        `max-width` in pixels) but that have no `width` attribute (or one that is not a number of
        pixels or a percentage). An image without any size is shown at its natural size by every
        client alike and is not reported.
    Why:
        Outlook sizes images from the attribute and ignores CSS `width` and `max-width` on them:
        a 1200-pixel retina image meant to show at 600 pixels breaks the layout at full size.
    Bad:
        <img src="https://events.example.com/banner.png" style="width: 100%; max-width: 600px;" alt="">
    Good:
        <img src="https://events.example.com/banner.png" width="600" style="width: 100%;
        max-width: 600px; height: auto;" alt="">
    """
    if not targets_outlook(ctx):
        return
    view = word_view(ctx)
    for el in ctx.by_tag("img"):
        if el in view.hidden:
            continue
        width = (el.get("width") or "").strip()
        if re.fullmatch(r"\d+%?", width) and width not in ("0", "0%"):
            continue
        style = view.styles.get(el, {})
        css = style.get("width", "").replace("!important", "").strip()
        px = length(css)
        if css in ("", "auto") and not length(style.get("max-width", "")):
            continue  # no CSS size: every client shows it at its natural size, Outlook too
        hint = f' (its CSS width is {css}: add width="{round(px)}")' if px else ""
        shown = f'width="{width}" is not a number of pixels' if width else "<img> has no width attribute"
        yield Finding(
            f"{shown}: Outlook for Windows shows the image at its natural size{hint}; "
            'write width="N" in pixels, without a unit, beside any CSS width',
            ctx.at_element(el),
        )


@rule("KM645", "outlook-margin-spacing", "warning")
def margin_spacing(ctx: Context) -> Iterator[Finding]:
    """A block element (div, table) is spaced with `margin`, which Outlook drops.

    What it does:
        Finds `<div>`, `<table>` and other block containers Outlook for Windows reads whose
        `margin` (or `margin-top`...) gives a positive length. `margin: 0 auto` (centring) and
        negative margins are not spacing and are not reported; margins on paragraphs and
        headings, which Outlook keeps, are not checked.
    Why:
        Word ignores margins on these elements (and paints a background colour over them where
        it does not): the space between sections disappears in Outlook.
    Bad:
        <div style="margin: 24px 0;">...</div>
    Good:
        <table role="presentation" width="100%"><tr><td style="padding: 24px 0;">...</td></tr></table>
    """
    if not targets_outlook(ctx):
        return
    view = word_view(ctx)
    for el in ctx.by_tag(*BLOCKS):
        if el in view.hidden:
            continue
        style = view.styles.get(el, {})
        for prop in ("margin", "margin-top", "margin-bottom", "margin-left", "margin-right"):
            value = style.get(prop, "").replace("!important", "").strip()
            if any((px := length(part)) is not None and px > 0 for part in value.split()):
                yield Finding(
                    f"'{prop}: {value}' on <{tag_of(el)}> is ignored by Outlook for Windows; space it with padding "
                    "on a table cell (or a spacer row) instead",
                    ctx.at_element(el),
                )
                break


def _font_px(el: etree._Element, view: WordView) -> float:
    node: etree._Element | None = el
    while node is not None:
        size = view.styles.get(node, {}).get("font-size")
        if size:
            px = length(size)
            if px is not None:
                return px
        node = node.getparent()
    return DEFAULT_FONT_PX


@rule("KM646", "outlook-line-height-rule", "warning")
def line_height_rule(ctx: Context) -> Iterator[Finding]:
    """A `line-height` under the font's height has no `mso-line-height-rule: exactly`.

    What it does:
        Finds elements Outlook for Windows reads whose `line-height` is a length under their font
        size (the font size in effect there, 16px when none is set: spacer cells with
        `line-height: 1px`, tight headings), and checks that `mso-line-height-rule: exactly`
        applies to them: on the element, an ancestor (`<body>` will do) or a `*`, `html` or
        `body` rule of a `<style>` block. Lines set solid (line-height equal to the font size,
        the frameworks' spacers) grow by a pixel or two and are not reported, nor are taller
        line heights, which Word's "at least" rule leaves as they are.
    Why:
        Word treats `line-height` as a minimum: where it is under the font's natural height, Outlook
        grows the line, so spacers and tight headings come out taller than designed.
    Bad:
        <td style="font-size: 1px; line-height: 1px;">&nbsp;</td>
    Good:
        <td style="font-size: 1px; line-height: 1px; mso-line-height-rule: exactly;">&nbsp;</td>
    """
    if not targets_outlook(ctx):
        return
    view = word_view(ctx)
    if view.line_rule_global:
        return
    for el, _ in ctx.styled:
        value = view.styles.get(el, {}).get("line-height", "")
        if not value or el in view.hidden:
            continue
        font = _font_px(el, view)
        px = length(value, font)
        if px is None or px >= MIN_RATIO * font:
            continue
        chain = [el, *el.iterancestors()]
        if any(view.styles.get(a, {}).get("mso-line-height-rule", "").startswith("exactly") for a in chain):
            continue
        yield Finding(
            f"'line-height: {value}' under the font size ({font:g}px) grows in Outlook for Windows; "
            "add 'mso-line-height-rule: exactly' to the same style (or once to <body>)",
            ctx.at_element(el),
        )
