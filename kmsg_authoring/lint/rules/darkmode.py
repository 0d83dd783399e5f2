"""Dark mode: what happens to a template when a mail client darkens it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from kmsg_authoring.errors import Location
from kmsg_authoring.lint.context import Context, Finding, style_declarations
from kmsg_authoring.lint.registry import rule

DARK_RULES = re.compile(r"prefers-color-scheme\s*:\s*dark|\[\s*data-ogs[cb]\b", re.IGNORECASE)
_META = re.compile(r"<meta\b[^>]*\bname\s*=\s*[\"']?(color-scheme|supported-color-schemes)\b", re.IGNORECASE)
_NO_BACKGROUND = ("", "none", "transparent", "initial", "inherit", "unset")
_SEE_THROUGH = re.compile(r"\.(?:png|svg)(?:[?#]|\Z)|\Adata:image/(?:png|svg)", re.IGNORECASE)


def _located(ctx: Context, offset: int) -> Location:
    from kmsg_authoring.lint.features import locate_in

    return locate_in(ctx, offset)


@rule("KM621", "dark-mode-without-meta", "warning")
def dark_mode_without_meta(ctx: Context) -> Iterator[Finding]:
    """A template with dark-mode rules does not declare the colour schemes it supports.

    What it does:
        When the template has `@media (prefers-color-scheme: dark)` rules or `[data-ogsc]` /
        `[data-ogsb]` selectors, checks that its <head> has both
        `<meta name="color-scheme" content="light dark">` and
        `<meta name="supported-color-schemes" content="light dark">`.
    Why:
        Apple Mail and other clients apply a template's own dark styles only when it declares that
        it supports dark mode; without the declaration they darken it their own way instead.
    Bad:
        <style>@media (prefers-color-scheme: dark) { .card { background: #111 !important; } }</style>
    Good:
        <meta name="color-scheme" content="light dark">
        <meta name="supported-color-schemes" content="light dark">
    """
    html = ctx.compiled.rendered
    m = DARK_RULES.search(html)
    if m is None:
        return
    declared = {d.group(1).lower() for d in _META.finditer(html)}
    missing = [n for n in ("color-scheme", "supported-color-schemes") if n not in declared]
    if missing:
        tags = " and ".join(f'<meta name="{n}">' for n in missing)
        yield Finding(
            f"dark-mode rules ('{m.group(0)}') without {tags} declaring \"light dark\"", _located(ctx, m.start())
        )


def _has_background(el: etree._Element, memo: dict[etree._Element, bool]) -> bool:
    """Whether an element or one of its ancestors sets a background colour (or image)."""
    chain: list[etree._Element] = []
    node: etree._Element | None = el
    found = False
    while node is not None:
        if node in memo:
            found = memo[node]
            break
        chain.append(node)
        style = style_declarations(node.get("style") or "")
        own = [style.get(p, "").replace("!important", "").strip() for p in ("background-color", "background")]
        if any(v not in _NO_BACKGROUND for v in own) or (node.get("bgcolor") or "").strip():
            found = True
            break
        node = node.getparent()
    for n in chain:
        memo[n] = found
    return found


def _memo(ctx: Context) -> dict[etree._Element, bool]:
    memo: dict[etree._Element, bool] = ctx.cache.setdefault("backgrounds", {})
    return memo


@rule("KM622", "text-color-without-background", "warning")
def text_color_without_background(ctx: Context) -> Iterator[Finding]:
    """Text colour is set with no background colour on the element or any ancestor.

    What it does:
        Checks every element whose (inlined) style sets `color` for a `background-color`,
        `background` or `bgcolor` on the element itself or an element around it.
    Why:
        Clients that invert colours in dark mode (the Gmail and Outlook apps) darken the default
        white background but may keep or invert the text colour on its own: dark grey text can end
        up on a near-black background, unreadable.
    Bad:
        <td style="color:#333333">Your ticket</td>
    Good:
        <td style="color:#333333;background-color:#ffffff">Your ticket</td>
    """
    memo = _memo(ctx)
    seen: set[Location] = set()
    for el, style in ctx.styled:
        if "color" not in style:
            continue
        color = style_declarations(style).get("color")
        if not color or color.startswith(("inherit", "currentcolor")) or _has_background(el, memo):
            continue
        loc = ctx.at_element(el)
        if loc not in seen:
            seen.add(loc)
            yield Finding(
                f"text colour 'color: {color}' on <{el.tag}> without a background colour on it or "
                "around it (unreadable after dark-mode inversion)",
                loc,
            )


@rule("KM623", "transparent-image-without-background", "warning")
def transparent_image_without_background(ctx: Context) -> Iterator[Finding]:
    """A PNG or SVG image stands on no background colour.

    What it does:
        Checks every <img> whose source is a PNG or SVG (by extension or data-URI type) for a
        background colour on the image or an element around it.
    Why:
        A PNG or SVG may be transparent: a dark logo drawn on nothing vanishes when a client turns
        the background around it dark.
    Bad:
        <img src="https://example.com/logo.png" alt="Example">
    Good:
        <td style="background-color:#ffffff"><img src="https://example.com/logo.png" alt="Example"></td>
    """
    memo = _memo(ctx)
    for el in ctx.by_tag("img"):
        src = (el.get("src") or "").strip()
        if _SEE_THROUGH.search(src) and not _has_background(el, memo):
            shown = src if len(src) <= 60 else src[:57] + "..."
            yield Finding(
                f"image '{shown}' may be transparent and has no background colour behind it "
                "(it can vanish after dark-mode inversion)",
                ctx.at_element(el),
            )
