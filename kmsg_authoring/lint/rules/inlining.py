"""What CSS inlining changes about a template's look: media rules it silences, stylesheets it keeps."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from lxml import etree

from kmsg_authoring.compile.types import MARK_ATTR
from kmsg_authoring.errors import Location, SourceError
from kmsg_authoring.lint.context import Context, Finding, style_declarations, tag_of
from kmsg_authoring.lint.registry import rule
from kmsg_authoring.source.project import LineIndex, read_text

# <style> blocks outside comments (those inside <!--[if mso]> speak to Outlook alone, never inlined).
# The style's text is scanned as runs of characters other than '<' (the regex engine's tight loop)
# rather than with a lazy '.*?', which tries the end tag at every character.
_STYLE_OR_COMMENT = re.compile(
    r"<!--.*?(?:-->|\Z)|<style\b[^>]*>([^<]*+(?:<(?!/style\s*>)[^<]*+)*+)(?:</style\s*>|\Z)",
    re.DOTALL | re.IGNORECASE,
)
_CSS_PART = re.compile(r"/\*.*?(?:\*/|\Z)|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|[{};]", re.DOTALL)
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)
_CONDITIONAL_AT = re.compile(r"@(?:media|supports)\b", re.IGNORECASE)
_MARK_VALUE = re.compile(rf' {MARK_ATTR}="(\d+)"')
_STYLE_ATTR = re.compile(r"""\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
_TAG_END = re.compile(r"""(?:"[^"]*"|'[^']*'|[^'">])*>""")
# Shorthands whose inlined value also sets the longhand a media rule names (and the reverse).
SHORTHANDS = frozenset(
    {
        "margin",
        "padding",
        "border",
        "border-top",
        "border-right",
        "border-bottom",
        "border-left",
        "border-width",
        "border-style",
        "border-color",
        "border-radius",
        "background",
        "font",
        "list-style",
        "outline",
        "text-decoration",
        "overflow",
        "inset",
        "flex",
        "transition",
        "animation",
    }
)
# Clients that ignore <link rel="stylesheet"> (Can I email, html-link).
_REMOTE = re.compile(r"\A(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


class ConditionalRule(NamedTuple):
    """A style rule inside @media or @supports: where it starts in its <style> text, what it says."""

    at_rule: str  # "@media screen and (max-width: 600px)" (nested at-rules joined by a space)
    selectors: str
    offset: int  # of the selector text in the style block's text
    declarations: dict[str, str]


def conditional_rules(css: str) -> Iterator[ConditionalRule]:
    """The style rules nested in @media or @supports of a stylesheet, in order."""
    stack: list[tuple[str, int]] = []  # (prelude, its offset) of each open block
    start = 0
    for m in _CSS_PART.finditer(css):
        char = m.group(0)
        if char == "{":
            prelude = _CSS_COMMENT.sub("", css[start : m.start()]).strip()
            lead = len(css[start : m.start()]) - len(css[start : m.start()].lstrip())
            stack.append((prelude, start + lead))
            start = m.end()
        elif char == "}":
            if stack:
                prelude, offset = stack.pop()
                ats = [p for p, _ in stack if p.startswith("@")]
                if not prelude.startswith("@") and any(_CONDITIONAL_AT.match(a) for a in ats):
                    decls = style_declarations(_CSS_COMMENT.sub("", css[start : m.start()]))
                    yield ConditionalRule(" ".join(" ".join(a.split()) for a in ats), prelude, offset, decls)
            start = m.end()
        elif char == ";" and (not stack or stack[-1][0].startswith("@")):
            start = m.end()  # @import ...; or a stray declaration outside any rule


def _split_selectors(selectors: str) -> list[str]:
    """A selector list split at its top-level commas."""
    parts, depth, last = [], 0, 0
    for i, ch in enumerate(selectors):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            parts.append(selectors[last:i].strip())
            last = i + 1
    parts.append(selectors[last:].strip())
    return [p for p in parts if p]


@functools.lru_cache(maxsize=4096)
def _selector(selector: str) -> Any:
    """A compiled CSS selector, or None for what matches no element of a static page (:hover, ::before)."""
    from cssselect import SelectorError
    from cssselect.xpath import ExpressionError
    from lxml.cssselect import CSSSelector

    try:
        return CSSSelector(selector, translator="html")
    except (SelectorError, ExpressionError, ValueError):
        return None


def _related(prop: str) -> set[str]:
    """The property and the shorthands that also set it (padding-left: padding)."""
    parts = prop.split("-")
    return {prop, *("-".join(parts[:i]) for i in range(1, len(parts)) if "-".join(parts[:i]) in SHORTHANDS)}


def _winner(prop: str, inline: dict[str, str], written: dict[str, str]) -> str | None:
    """The inlined property (not written inline by the designer) that beats a media rule's prop."""
    for name in inline:
        if name in written:
            continue
        if name in _related(prop) or (prop in SHORTHANDS and name.startswith(prop + "-")):
            return name
    return None


def _written_style(rendered: str, mark: str | None) -> dict[str, str]:
    """The style attribute the designer wrote on an element (before inlining), by its source mark."""
    if mark is None:
        return {}
    at = rendered.find(f' {MARK_ATTR}="{mark}"')
    if at < 0:
        return {}
    end = _TAG_END.match(rendered, at)
    tag_text = rendered[at : end.end()] if end else rendered[at:]
    m = _STYLE_ATTR.search(tag_text)
    return style_declarations(next(g for g in m.groups() if g is not None)) if m else {}


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
    """A rule inside @media or @supports can never win over a declaration the inliner put on the element.

    What it does:
        For each declaration inside `@media` or `@supports` that has no `!important`, finds the
        elements its selector matches in the compiled body and reports those on which CSS inlining
        put a declaration of the same property (or a shorthand of it) into the style attribute. The
        finding names the at-rule, the selector, the property and the element, at the source line of
        the rule.
    Why:
        An inline style beats every stylesheet rule without `!important`, whatever its selector or
        media query. Before inlining the media rule won by coming later or by being more specific;
        after it, the mobile layout silently stops applying (a column keeps its desktop width at
        375 px). The fix is to add `!important` to the media rule's declaration.
    Bad:
        td.pusher { width: 100px; }
        @media (max-width: 480px) { td[class="pusher"] { width: 20px; } }
    Good:
        td.pusher { width: 100px; }
        @media (max-width: 480px) { td[class="pusher"] { width: 20px !important; } }
    """
    compiled = ctx.compiled
    rendered = compiled.rendered
    if not compiled.settings.get("inline_css", True) or _CONDITIONAL_AT.search(rendered) is None:
        return
    # The distinct inline styles as one text: a property no style names cannot be in a conflict
    # (inliners repeat the same few styles on many elements, so this is short).
    styles_text = "\n".join({style.lower() for _, style in ctx.styled})
    if not styles_text:
        return
    root = ctx.body_root
    if root is None:
        return
    reported: set[tuple[int, str, str]] = set()
    for block in _STYLE_OR_COMMENT.finditer(rendered):
        css = block.group(1)
        if css is None or _CONDITIONAL_AT.search(css) is None:
            continue
        for item in conditional_rules(css):
            props = [
                p
                for p, v in item.declarations.items()
                if not v.endswith("important") and any(name in styles_text for name in _related(p))
            ]
            if not props:
                continue
            for selector in _split_selectors(item.selectors):
                compiled_selector = _selector(selector)
                if compiled_selector is None:
                    continue
                for el in compiled_selector(root):
                    inline = style_declarations(el.get("style") or "")
                    if not inline:
                        continue
                    written = _written_style(rendered, el.get(MARK_ATTR))
                    for prop in props:
                        winner = _winner(prop, inline, written)
                        key = (block.start(1) + item.offset, selector, prop)
                        if winner is None or key in reported:
                            continue
                        reported.add(key)
                        loc = _source_line(
                            ctx, ctx.at_offset(block.start(1) + item.offset, rendered), selector, item.at_rule
                        )
                        yield Finding(
                            f"'{prop}' of '{item.at_rule}' rule '{selector}' never applies to <{tag_of(el)}>: "
                            f"the inlined '{winner}: {inline[winner]}' wins (add !important)",
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
