"""CSS as a browser parses it: what is dropped, and properties and values MDN's data does not know.

The stylesheets, <style> blocks and style attributes are parsed once per template (lint/csscheck.py);
each rule here reports one kind of finding at the file, line and column the designer edits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kmsg_authoring.compile.types import MARK_ATTR
from kmsg_authoring.errors import Location
from kmsg_authoring.lint import csscheck
from kmsg_authoring.lint.context import Context, Finding
from kmsg_authoring.lint.registry import rule

_STYLE_START = re.compile(rf'<style\b[^>]*?\s{MARK_ATTR}="(\d+)"[^>]*>', re.IGNORECASE)


def _locate(ctx: Context, offset: int) -> Location:
    """Where the designer wrote the CSS at an offset of the rendered HTML."""
    html = ctx.compiled.rendered
    line_start = html.rfind("\n", 0, offset) + 1
    # The first line of a linked stylesheet follows the <style> start tag that replaced the <link>.
    starts = list(_STYLE_START.finditer(html, line_start, offset))
    if starts:
        loc = ctx.compiled.source_map.element_location(starts[-1].group(1))
        if loc is not None and loc.path.endswith(".css"):
            return Location(loc.path, loc.line, loc.col + offset - starts[-1].end())
    locator = ctx.cache.get("css-locator")
    if locator is None:
        from kmsg_authoring.lint.scan_memo import stylesheets
        from kmsg_authoring.lint.scanner import Scanner

        root = ctx.config.root if ctx.config is not None else None
        locator = ctx.cache["css-locator"] = Scanner(ctx.compiled, None, stylesheets(ctx.compiled, root))
    found: Location = locator.at(offset)
    return found


def _report(ctx: Context, kind: str) -> Iterator[Finding]:
    for f in csscheck.findings(ctx):
        if f.kind == kind:
            yield Finding(f.message, _locate(ctx, f.offset))


@rule("KM631", "css-syntax-error", "error")
def css_syntax_error(ctx: Context) -> Iterator[Finding]:
    """A brace is missing or stray: the rules after it are dropped.

    What it does:
        Parses every stylesheet, `<style>` block and `style` attribute as a browser does (tinycss2,
        CSS Syntax Level 3) and reports a `{` that is never closed, at the `{`, naming the rule read
        inside it; a `}` with no `{`, naming the rule it makes a browser drop; and what the parser
        cannot read at all.
    Why:
        A missing `}` makes every rule after it part of the unclosed one: they vanish from the
        output without a word (the inliner and the mail client both drop them). A stray `}` becomes
        part of the next selector, which then matches nothing.
    Bad:
        .intro { color: #333
        h1 { color: #123456 }
    Good:
        .intro { color: #333 }
        h1 { color: #123456 }
    """
    return _report(ctx, csscheck.SYNTAX)


@rule("KM632", "css-invalid-declaration", "warning")
def css_invalid_declaration(ctx: Context) -> Iterator[Finding]:
    """Text in a rule that is not a declaration is dropped.

    What it does:
        Reports what stands between the `;` of a declaration list and is not `property: value`: a
        missing colon, an old Internet Explorer hack (`*zoom: 1`), a stray word, and rules nested
        inside a rule (CSS nesting), which mail clients do not read.
    Why:
        A browser drops what it cannot read up to the next `;` and goes on: the mistake shows only
        as a style that is missing in some client.
    Bad:
        p { color red; font-size: 14px }
    Good:
        p { color: red; font-size: 14px }
    """
    return _report(ctx, csscheck.DECLARATION)


@rule("KM633", "css-unknown-property", "warning")
def css_unknown_property(ctx: Context) -> Iterator[Finding]:
    """A property that no browser knows: a typo, most often.

    What it does:
        Reports each declaration whose property is not in MDN's CSS data (mdn-data, shipped as
        package data), with the closest known property. Custom properties (`--x`), vendor-prefixed
        properties (`-webkit-`, `-moz-`, `-ms-`, `-o-`) and Microsoft Office's `mso-` properties,
        which Outlook for Windows reads, are known.
    Why:
        An unknown property is ignored without a word: `colr: red` leaves the text black.
    Bad:
        p { colr: red }
    Good:
        p { color: red }
    """
    return _report(ctx, csscheck.PROPERTY)


@rule("KM634", "css-invalid-value", "warning")
def css_invalid_value(ctx: Context) -> Iterator[Finding]:
    """A value its property does not take: a unit, colour, keyword or function that is wrong.

    What it does:
        Checks each word of a declaration's value against the property's syntax in MDN's CSS data
        (expanded through the types it names): an unknown unit (`10qx`, with the closest unit), a
        unit of the wrong kind (`width: 10s`), a number without a unit where a length is needed, a
        hex colour without 3, 4, 6 or 8 digits, a keyword the property does not have (`display:
        blok`, with the closest one), a quoted keyword, an unknown function, and an empty value.
        The order and count of the parts are not checked, nor what is inside a function; a value
        with `var()` or a send-time token is judged when it is sent, not here.
    Why:
        A browser drops a declaration whose value it cannot read, silently: the element keeps the
        style it had before.
    Bad:
        td { width: 10qx; color: #12; display: blok }
    Good:
        td { width: 10px; color: #123; display: block }
    """
    return _report(ctx, csscheck.VALUE)


@rule("KM635", "css-misplaced-important", "warning")
def css_misplaced_important(ctx: Context) -> Iterator[Finding]:
    """`!important` misspelt or not at the end of the value: the whole declaration is dropped.

    What it does:
        Reports a `!` in a declaration's value that is not a final `!important`: `!importnt`,
        `! imporant`, or `!important` followed by more of the value.
    Why:
        Media rules rely on `!important` to beat the styles inlined on elements; a misspelt one
        does not only lose the priority, it drops the declaration altogether.
    Bad:
        @media (max-width: 480px) { .col { width: 100% !importnt } }
    Good:
        @media (max-width: 480px) { .col { width: 100% !important } }
    """
    return _report(ctx, csscheck.IMPORTANT)


@rule("KM636", "css-unknown-at-rule", "warning")
def css_unknown_at_rule(ctx: Context) -> Iterator[Finding]:
    """An at-rule that no browser knows: it is dropped with every rule inside it.

    What it does:
        Reports an at-rule whose name is not in MDN's CSS data (vendor-prefixed ones such as
        `@-webkit-keyframes` are known), with the closest known name.
    Why:
        `@meida (max-width: 600px) { ... }` drops the whole mobile layout without a word.
    Bad:
        @meida (max-width: 600px) { .col { width: 100% !important } }
    Good:
        @media (max-width: 600px) { .col { width: 100% !important } }
    """
    return _report(ctx, csscheck.AT_RULE)


@rule("KM637", "css-unbalanced-brace", "warning")
def css_unbalanced_brace(ctx: Context) -> Iterator[Finding]:
    """A brace is missing or stray where the browser mends it: nothing is dropped, yet.

    What it does:
        Reports a `}` with no `{` at the end of a stylesheet, a style rule never closed at the end
        of one, and an at-rule (`@media`) never closed, whose block a browser then ends at the end
        of the stylesheet: every rule after the `{` is read inside it.
    Why:
        Nothing is lost today, but the next rule added after it will be: it is dropped, or it
        applies only inside the media query.
    Bad:
        @media (max-width: 600px) { .col { width: 100% !important }
    Good:
        @media (max-width: 600px) { .col { width: 100% !important } }
    """
    return _report(ctx, csscheck.BRACE)
