"""Unclosed and mis-nested tags, checked on the HTML before the inliner's parser repairs it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

from kmsg_authoring.compile.types import MARK_ATTR
from kmsg_authoring.errors import Location
from kmsg_authoring.lint.context import Context, Finding
from kmsg_authoring.lint.registry import rule
from kmsg_authoring.source import LineIndex

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


@dataclass
class _Open:
    tag: str
    location: Location


class _Checker(HTMLParser):
    def __init__(self, ctx: Context, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ctx = ctx
        self.html = html
        self.lines = LineIndex(html)
        self.stack: list[_Open] = []
        self.pending: dict[str, int] = {}  # end tags still to come for elements reported as mis-nested
        self.findings: list[Finding] = []
        self.strays: list[Finding] = []

    def _here(self) -> Location:
        line, col = self.getpos()
        offset = self.lines.starts[line - 1] + col
        return self.ctx.at_offset(offset, self.html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
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
        mark = dict(attrs).get(MARK_ATTR)
        loc = self.ctx.compiled.source_map.element_location(mark) or self._here()
        self.stack.append(_Open(tag, loc))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass  # <br/>, <v:fill ... />: nothing stays open

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                for inner in self.stack[i + 1:]:
                    if inner.tag not in OPTIONAL_END:
                        message = (f"<{inner.tag}> is never closed" if tag in ("body", "html") else
                                   f"<{inner.tag}> is not closed before </{tag}> (mis-nested or unclosed tag)")
                        self.findings.append(Finding(message, inner.location))
                        self.pending[inner.tag] = self.pending.get(inner.tag, 0) + 1
                del self.stack[i:]
                return
        if tag in VOID or tag in OPTIONAL_END:
            return
        if self.pending.get(tag):
            self.pending[tag] -= 1
            return
        self.strays.append(Finding(f"stray </{tag}> with no open <{tag}>", self._here()))

    def close(self) -> None:
        super().close()
        for open_ in self.stack:
            if open_.tag not in OPTIONAL_END:
                self.findings.append(Finding(f"<{open_.tag}> is never closed", open_.location))
        self.stack = []


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
    if html.strip():
        checker.feed(html)
        checker.close()
    ctx.cache["structure"] = checker
    return checker
