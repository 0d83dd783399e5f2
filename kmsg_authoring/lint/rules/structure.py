"""Unclosed and mis-nested tags, checked on the HTML before the inliner's parser repairs it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from kmsg_authoring.compile.types import MARK_ATTR
from kmsg_authoring.errors import Location
from kmsg_authoring.lint.context import TAG_LEX, Context, Finding
from kmsg_authoring.lint.context import TAG_NAME_RE as _TAG_NAME
from kmsg_authoring.lint.registry import rule

VOID = frozenset((
    "area", "base", "basefont", "br", "col", "embed", "frame", "hr", "img", "input", "keygen", "link", "meta",
    "param", "source", "track", "wbr",
))
# Elements whose end tag HTML lets you leave out.
OPTIONAL_END = frozenset((
    "html", "head", "body", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option",
    "optgroup", "colgroup", "caption", "rb", "rt", "rp",
))
_P_CLOSERS = frozenset((
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "div", "dl", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr",
    "main", "menu", "nav", "ol", "p", "pre", "section", "table", "ul",
))
# A start tag implicitly ends these open elements (searched up to the first element that needs its end tag).
_CLOSES: dict[str, frozenset[str]] = {
    "li": frozenset({"li"}), "dt": frozenset({"dt", "dd"}), "dd": frozenset({"dt", "dd"}),
    "tr": frozenset({"tr", "td", "th"}), "td": frozenset({"td", "th"}), "th": frozenset({"td", "th"}),
    "thead": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup"}),
    "tbody": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup"}),
    "tfoot": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup"}),
    "option": frozenset({"option"}), "optgroup": frozenset({"optgroup", "option"}),
    "body": frozenset({"head"}),
}


_MARK_IN_TAG = re.compile(rf"""\s{MARK_ATTR}\s*=\s*["']?(\d+)""")


@dataclass
class _Open:
    tag: str
    mark: str | None  # the element's location marker
    offset: int  # where its start tag stands in the HTML


class _Checker:
    """Tracks open elements the way HTML does, with a regex lexer (html.parser is several times slower)."""

    def __init__(self, ctx: Context, html: str) -> None:
        self.ctx = ctx
        self.html = html
        self.stack: list[_Open] = []
        self.pending: dict[str, int] = {}  # end tags still to come for elements reported as mis-nested
        self.findings: list[Finding] = []
        self.strays: list[Finding] = []

    def run(self) -> None:
        for m in TAG_LEX.finditer(self.html):
            token = m.group(0)
            if token.startswith(("<!", "<?")):
                continue
            if m.group(1):  # <script> or <style>: raw text up to its end tag
                self.start(m.group(1).lower(), token, m.start())
                if re.search(r"</\w+\s*>\Z", token):
                    self.end(m.group(1).lower(), m.start())
            elif token.startswith("</"):
                name = _TAG_NAME.match("<" + token[2:])
                if name:
                    self.end(name.group(1).lower(), m.start())
            else:
                name = _TAG_NAME.match(token)
                if name and not token.endswith("/>"):
                    self.start(name.group(1).lower(), token, m.start())
        for open_ in self.stack:
            if open_.tag not in OPTIONAL_END:
                self.findings.append(Finding(f"<{open_.tag}> is never closed", self.where(open_)))
        self.stack = []

    def start(self, tag: str, token: str, offset: int) -> None:
        if tag in VOID:
            return
        closes = _CLOSES.get(tag, frozenset({"p"}) if tag in _P_CLOSERS else frozenset())
        if closes:
            for i in range(len(self.stack) - 1, -1, -1):
                if self.stack[i].tag in closes:
                    del self.stack[i:]
                    break
                if self.stack[i].tag not in OPTIONAL_END:
                    break
        mark = _MARK_IN_TAG.search(token)
        self.stack.append(_Open(tag, mark.group(1) if mark else None, offset))

    def where(self, element: _Open) -> Location:
        """The source location of an open element (located only when reported)."""
        found = self.ctx.compiled.source_map.element_location(element.mark)
        return found or self.ctx.at_offset(element.offset, self.html)

    def end(self, tag: str, offset: int) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                for inner in self.stack[i + 1:]:
                    if inner.tag not in OPTIONAL_END:
                        message = (f"<{inner.tag}> is never closed" if tag in ("body", "html") else
                                   f"<{inner.tag}> is not closed before </{tag}> (mis-nested or unclosed tag)")
                        self.findings.append(Finding(message, self.where(inner)))
                        self.pending[inner.tag] = self.pending.get(inner.tag, 0) + 1
                del self.stack[i:]
                return
        if tag in VOID or tag in OPTIONAL_END:
            return
        if self.pending.get(tag):
            self.pending[tag] -= 1
            return
        self.strays.append(Finding(f"stray </{tag}> with no open <{tag}>", self.ctx.at_offset(offset, self.html)))


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


def _check(ctx: Context) -> _Checker:
    """The structure check of the rendered HTML, run once per template and shared by both rules."""
    cached = ctx.cache.get("structure")
    if isinstance(cached, _Checker):
        return cached
    html = ctx.compiled.rendered
    checker = _Checker(ctx, html)
    checker.run()
    ctx.cache["structure"] = checker
    return checker
