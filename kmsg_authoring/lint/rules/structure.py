"""Unclosed and mis-nested tags, checked on the HTML before the inliner's parser repairs it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kmsg_authoring.compile.types import MARK_ATTR
from kmsg_authoring.errors import Location
from kmsg_authoring.lint.context import Context, Finding
from kmsg_authoring.lint.registry import rule

VOID = frozenset(
    (
        "area",
        "base",
        "basefont",
        "br",
        "col",
        "embed",
        "frame",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    )
)
# Elements whose end tag HTML lets you leave out.
OPTIONAL_END = frozenset(
    (
        "html",
        "head",
        "body",
        "p",
        "li",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "tfoot",
        "option",
        "optgroup",
        "colgroup",
        "caption",
        "rb",
        "rt",
        "rp",
    )
)
_P_CLOSERS = frozenset(
    (
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "details",
        "dialog",
        "div",
        "dl",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "ul",
    )
)
# A start tag implicitly ends these open elements (searched up to the first element that needs its end tag).
_CLOSES: dict[str, frozenset[str]] = {
    "li": frozenset({"li"}),
    "dt": frozenset({"dt", "dd"}),
    "dd": frozenset({"dt", "dd"}),
    "tr": frozenset({"tr", "td", "th"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
    "thead": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup"}),
    "tbody": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup"}),
    "tfoot": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup"}),
    "option": frozenset({"option"}),
    "optgroup": frozenset({"optgroup", "option"}),
    "body": frozenset({"head"}),
}


# The elements a start tag implicitly ends, by tag: _CLOSES, or <p> for the tags that end a paragraph.
_ENDS: dict[str, frozenset[str]] = {**dict.fromkeys(_P_CLOSERS, frozenset({"p"})), **_CLOSES}
_MARK_IN_TAG = re.compile(rf"""\s{MARK_ATTR}\s*=\s*["']?(\d+)""")
_ENDS_WITH_END_TAG = re.compile(r"</\w+\s*>\Z")


class _Structure:
    """Tracks open elements the way HTML does, over the lexer's tags (html.parser is several times slower).

    The loop runs for every tag of a template, so it is kept lean: the open elements are two
    parallel lists (tag names, and the lexer matches of their start tags, read only to report an
    element), and the usual end tag, which closes the innermost element, is handled inline.
    """

    def __init__(self, ctx: Context, html: str) -> None:
        self.ctx = ctx
        self.html = html
        self.findings: list[Finding] = []
        self.strays: list[Finding] = []
        self.tags: list[str] = []  # the open elements, innermost last
        self.opened: list[re.Match[str]] = []  # their start tags
        self.pending: dict[str, int] = {}  # end tags still to come for elements reported as mis-nested
        tags, opened = self.tags, self.opened
        for m in ctx.lexed(html):
            kind = m.lastgroup  # see TAG_LEX; comments, <!...> and <?...> have none and are skipped
            if kind == "start":
                tag = m.group("start").lower()
                if tag in VOID or html.startswith("/>", m.end() - 2):
                    continue
                # Only an innermost element that this tag ends or whose end tag may be left out
                # can be implicitly closed.
                if tag in _ENDS and tags and (tags[-1] in OPTIONAL_END or tags[-1] in _ENDS[tag]):
                    self.end_implied(tag)
                tags.append(tag)
                opened.append(m)
            elif kind == "end":
                tag = m.group("end").lower()
                if tags and tags[-1] == tag:
                    tags.pop()
                    opened.pop()
                else:
                    self.end(tag, m.start())
            elif kind == "raw_text":  # <script> or <style>: raw text up to its end tag
                tag = m.group("raw").lower()
                if tag in _ENDS:
                    self.end_implied(tag)
                tags.append(tag)
                opened.append(m)
                if _ENDS_WITH_END_TAG.search(html, m.start(), m.end()):
                    self.end(tag, m.start())
        for tag, m in zip(tags, opened, strict=False):
            if tag not in OPTIONAL_END:
                self.findings.append(Finding(f"<{tag}> is never closed", self.where(m)))

    def end_implied(self, tag: str) -> None:
        """Close the open elements that a start tag of `tag` implicitly ends."""
        ends = _ENDS[tag]
        for i in range(len(self.tags) - 1, -1, -1):
            if self.tags[i] in ends:
                del self.tags[i:], self.opened[i:]
                return
            if self.tags[i] not in OPTIONAL_END:
                return

    def end(self, tag: str, offset: int) -> None:
        """An end tag: close its element and report those left open inside it, or report it as stray."""
        for i in range(len(self.tags) - 1, -1, -1):
            if self.tags[i] == tag:
                for inner, m in zip(self.tags[i + 1 :], self.opened[i + 1 :], strict=False):
                    if inner not in OPTIONAL_END:
                        message = (
                            f"<{inner}> is never closed"
                            if tag in ("body", "html")
                            else f"<{inner}> is not closed before </{tag}> (mis-nested or unclosed tag)"
                        )
                        self.findings.append(Finding(message, self.where(m)))
                        self.pending[inner] = self.pending.get(inner, 0) + 1
                del self.tags[i:], self.opened[i:]
                return
        if tag in VOID or tag in OPTIONAL_END:
            return
        if self.pending.get(tag):
            self.pending[tag] -= 1
            return
        self.strays.append(Finding(f"stray </{tag}> with no open <{tag}>", self.ctx.at_offset(offset, self.html)))

    def where(self, start_tag: re.Match[str]) -> Location:
        """The source location of an open element: its start tag's location marker, else its offset."""
        mark = _MARK_IN_TAG.search(self.html, start_tag.start(), start_tag.end())
        found = self.ctx.compiled.source_map.element_location(mark.group(1) if mark else None)
        return found or self.ctx.at_offset(start_tag.start(), self.html)


@rule("KM501", "unclosed-tag", "error")
def unclosed_tag(ctx: Context) -> Iterator[Finding]:
    """An element is never closed, or is closed in the wrong order.

    What it does:
        Walks the HTML after Jinja and before CSS inlining (whose HTML5 parser silently repairs
        it) and reports elements left open and end tags that close an outer element while an inner
        one is still open (mis-nesting). End tags HTML lets you omit
        (`</p>`, `</td>`, `</li>`...) are not required.
    Why:
        Mail clients repair broken markup each in their own way: an unclosed `<a>` turns the rest
        of the message into a link, an unclosed `<table>` or `<div>` breaks the layout in Outlook.
    Bad:
        <div><a href="{joinLink}"><b>Join</a></b>
    Good:
        <div><a href="{joinLink}"><b>Join</b></a></div>
    """
    yield from _check(ctx).findings


@rule("KM511", "stray-end-tag", "warning")
def stray_end_tag(ctx: Context) -> Iterator[Finding]:
    """An end tag has no matching start tag.

    What it does:
        Walks the HTML after Jinja and before CSS inlining and reports end tags such as `</div>`
        or `</table>` with no open element of that name (omissible end tags like `</p>` are not
        reported).
    Why:
        Clients ignore them, so the mail renders, but a stray end tag usually means a start tag
        was deleted or a block was pasted in twice: the layout is not what the source suggests.
    Bad:
        <div><p>Thanks for registering.</p></div></div>
    Good:
        <div><p>Thanks for registering.</p></div>
    """
    yield from _check(ctx).strays


def _check(ctx: Context) -> _Structure:
    """The structure check of the rendered HTML, run once per template and shared by both rules."""
    cached = ctx.cache.get("structure")
    if not isinstance(cached, _Structure):
        cached = ctx.cache["structure"] = _Structure(ctx, ctx.compiled.rendered)
    return cached
