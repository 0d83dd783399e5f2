"""What CSS inlining changes about a template's look: media rules it silences, stylesheets it keeps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from kmsg_authoring.compile.cascade import CONDITIONAL_AT
from kmsg_authoring.errors import Location, SourceError
from kmsg_authoring.lint.context import Context, Finding, tag_of
from kmsg_authoring.lint.registry import rule
from kmsg_authoring.source.project import LineIndex, read_text

# Clients that ignore <link rel="stylesheet"> (Can I email, html-link).
_REMOTE = re.compile(r"\A(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def _source_line(ctx: Context, loc: Location, selector: str, at_rule: str) -> Location:
    """Where the designer wrote a rule: the located line when it holds the selector, else the first
    source file of the template with the selector after the at-rule (a stylesheet brought in by
    {% include %} inside <style> carries no position of its own)."""
    if ctx.config is None:
        return loc
    root = ctx.config.root
    first_word = selector.split()[0] if selector.split() else selector

    def read(rel: str) -> str | None:
        try:
            return read_text(root / rel, rel, root=root)  # confined, as every read of a project file
        except SourceError:
            return None

    text = read(loc.path)
    if text is not None:
        index = LineIndex(text)
        if loc.line - 1 < len(index.starts):
            line_start = index.starts[loc.line - 1]
            line_end = text.find("\n", line_start)
            line = text[line_start : line_end if line_end >= 0 else len(text)]
            col = line.find(first_word)
            if col >= 0:
                return Location(loc.path, loc.line, col + 1)
    keyword = at_rule.split()[0] if at_rule else "@media"
    for rel in ctx.compiled.dependencies:
        text = read(rel) if Path(rel).suffix.lower() in (".css", ".html", ".htm") else None
        if text is None:
            continue
        at = text.lower().find(keyword.lower())
        pos = text.find(first_word, at) if at >= 0 else -1
        if pos >= 0:
            line_no, col = LineIndex(text).line_col(pos)
            return Location(rel, line_no, col)
    return loc


@rule("KM601", "inlining-conflict", "warning")
def inlining_conflict(ctx: Context) -> Iterator[Finding]:
    """A rule inside @media or @supports that won before inlining loses after it, and the build cannot keep it winning.

    What it does:
        Inlining moves plain style rules into style attributes, which beat every stylesheet
        declaration without `!important`. The build keeps the source's cascade: a declaration in
        `@media` or `@supports` that won on an element (by a more specific selector, or by coming
        later) and would lose to an inlined declaration is made `!important` in the kept
        stylesheet. This rule reports, at the source line of the rule, each one that still changes
        outcome, naming the at-rule, selector, property, element, the inlined declaration that now
        wins and why the build could not keep the rule winning: the inlined declaration is itself
        `!important` (a style attribute's `!important` beats every stylesheet), or `!important`
        would also make the rule win where it loses in the source (on another element it matches,
        to a style attribute or a more specific rule). With `preserve_cascade = false` under
        `[build]`, every declaration inlining silences is reported.
    Why:
        The mobile or dark-mode layout silently stops applying (a column keeps its desktop width
        at 375 px). Decide which declaration should win and say so in the source: drop the
        `!important` of the plain rule, or split the media rule so that it matches only the
        elements where it should win.
    Bad:
        td.pusher { width: 100px !important; }
        @media (max-width: 480px) { td[class="pusher"] { width: 20px !important; } }
    Good:
        td.pusher { width: 100px; }
        @media (max-width: 480px) { td[class="pusher"] { width: 20px; } }
    """
    compiled = ctx.compiled
    rendered = compiled.rendered
    if not compiled.settings.get("inline_css", True) or CONDITIONAL_AT.search(rendered) is None:
        return
    from kmsg_authoring.compile.cascade import analyse

    preserve = ctx.config.preserve_cascade if ctx.config is not None else True
    reported: set[tuple[int, str, str]] = set()
    for conflict in analyse(rendered, preserve).conflicts:
        d, other = conflict.declaration, conflict.other
        key = (d.rule_offset, d.selector, d.prop)
        if key in reported:
            continue
        reported.add(key)
        loc = _source_line(ctx, ctx.at_offset(d.rule_offset, rendered), d.selector, d.at_rule)
        yield Finding(
            f"'{d.prop}' of '{d.at_rule}' rule '{d.selector}' no longer applies to <{tag_of(conflict.element)}> "
            f"after inlining: the inlined '{other.text()}' of '{other.selector}' wins; {conflict.reason}",
            loc,
        )


@rule("KM602", "remote-stylesheet", "warning")
def remote_stylesheet(ctx: Context) -> Iterator[Finding]:
    """A remote stylesheet is linked: it is kept as written, never downloaded, and many clients ignore it.

    What it does:
        Reports each `<link rel="stylesheet">` to a remote URL in the compiled body (web fonts,
        usually). The build keeps the link exactly as written and never fetches it, so none of its
        rules are inlined; `kmsg: {remote_stylesheets: error}` in template.yaml, or
        `remote_stylesheets = "error"` under `[build]` in kmsg.toml, makes it a build error instead.
    Why:
        Many clients (Gmail, Outlook.com, Yahoo Mail, Outlook for iOS and Android) ignore `<link>`
        stylesheets: whatever the stylesheet does only shows in the clients that load it. The
        finding names the targeted clients (`[lint] clients`) that ignore it, from the Can I email
        data's `<link>` feature, which client-unsupported-html then leaves to this rule. A web font
        needs a fallback in the font-family list.
    Bad:
        <link rel="stylesheet" href="https://cdn.example.com/email.css">
    Good:
        <link rel="stylesheet" href="../_styles/email.css">  (a project file: inlined at build time)
    """
    links = remote_stylesheets(ctx)
    if not links:
        return
    from kmsg_authoring.lint.caniemail import LINK_FEATURE, load
    from kmsg_authoring.lint.features import describe, lacking, targeted

    data = load()
    feature = data.features[LINK_FEATURE]
    missing, partial = lacking(feature, targeted(ctx))
    ignored = (
        f"; <link> stylesheets are {describe(feature, missing, partial, data)}; see {feature.url}"
        if missing or partial
        else ""
    )
    for el in links:
        yield Finding(
            f"remote stylesheet '{el.get('href') or ''}' is kept as written and never downloaded{ignored}",
            ctx.at_element(el),
        )


def remote_stylesheets(ctx: Context) -> list[etree._Element]:
    """The `<link rel="stylesheet">` elements to a remote URL (remote-stylesheet reports each one)."""
    return [
        el
        for el in ctx.by_tag("link")
        if "stylesheet" in (el.get("rel") or "").lower().split() and _REMOTE.match(el.get("href") or "")
    ]
