"""Smaller HTML without changing what renders: style rules whose selectors match no element removed.

Runs after CSS inlining (before minifying) on the `<style>` blocks the inliner kept, with the
body's token placeholders and element marks still in place. Only rules proven unused go: every
selector of the rule is parsed (tinycss2 for the style sheet, cssselect for the selector) and
matches no element of the document, both as a browser reads it and as Outlook reads it (the
content of `<!--[if mso]>` comments unwrapped). A rule is kept when any selector cannot be parsed
or evaluated, uses a pseudo-class or pseudo-element, names `tbody` (which browsers add and lxml's
parser does not), tests an attribute that holds a token somewhere in the document, holds a token
itself, or targets a mail client's own markup (`u + .body`, `[data-ogsc]`: the patterns of
data/client_selectors.json). Class, id and attribute values are compared without case, as a
document in quirks mode does, which can only keep more. Rules inside @media and @supports are
judged the same way (the at-rule goes when none of its rules is left); every other at-rule
(@font-face, @keyframes, @import, @page) is kept. Style blocks inside comments, and everything
outside the style blocks, are left byte for byte; so is the text of every rule kept.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

from kmsg_authoring.compile.cascade import STYLE_OR_COMMENT, split_selectors
from kmsg_authoring.compile.tokens import PLACEHOLDER_PREFIX

# The markers of Outlook's conditional comments; removed, Outlook's view of the document remains.
_CONDITIONAL_MARK = re.compile(r"<!--\[if[^\]]*\]>(?:<!-->)?|(?:<!--)?<!\[endif\]-->", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|[\r\n\f]")
_NESTED = frozenset({"media", "supports"})


@functools.cache
def client_patterns() -> tuple[re.Pattern[str], ...]:
    """The selectors of mail clients' own markup, which a rule is kept for (data/client_selectors.json)."""
    text = resources.files("kmsg_authoring.compile").joinpath("data/client_selectors.json").read_text("utf-8")
    return tuple(re.compile(entry["pattern"], re.IGNORECASE) for entry in json.loads(text)["selectors"])


class _Document:
    """The document's element trees (browser's and Outlook's view) and the attributes that hold tokens."""

    def __init__(self, html: str) -> None:
        from lxml import html as lxml_html

        unwrapped = _CONDITIONAL_MARK.sub("", html)
        self.roots = [lxml_html.document_fromstring(text) for text in dict.fromkeys((html, unwrapped))]
        self.tokened: set[str] = set()
        for root in self.roots:
            for el in root.iter():
                if not isinstance(el.tag, str):
                    continue
                for name, value in el.attrib.items():
                    if PLACEHOLDER_PREFIX in value:
                        self.tokened.add(name.lower())
                    el.set(name, value.lower())

    def matches(self, xpath: str) -> bool:
        return any(root.xpath(xpath) for root in self.roots)


def _fold(tree: Any, attributes: set[str]) -> None:
    """Lower the class, id and attribute values of a parsed selector; collect the attributes it tests.

    Raises ValueError for what is not a plain selector (pseudo-classes, functions, negation) or names tbody.
    """
    from cssselect import parser

    if isinstance(tree, parser.Element):
        if (tree.element or "").lower() == "tbody":
            raise ValueError("tbody")
        return
    if isinstance(tree, parser.CombinedSelector):
        _fold(tree.selector, attributes)
        _fold(tree.subselector, attributes)
        return
    if isinstance(tree, parser.Class):
        attributes.add("class")
        tree.class_name = tree.class_name.lower()
    elif isinstance(tree, parser.Hash):
        attributes.add("id")
        tree.id = tree.id.lower()
    elif isinstance(tree, parser.Attrib):
        attributes.add(tree.attrib.lower())
        value: Any = tree.value
        if value is not None:
            tree.value = parser.Token(value.type, str(value.value).lower(), value.pos)
    else:
        raise ValueError(type(tree).__name__)
    _fold(tree.selector, attributes)


def _unused_selector(selector: str, doc: _Document) -> bool:
    """Whether the selector is proven to match no element, in any client."""
    if ":" in selector or "\\" in selector or any(p.search(selector) for p in client_patterns()):
        return False
    from cssselect import HTMLTranslator, parse

    try:
        (parsed,) = parse(selector)
        attributes: set[str] = set()
        _fold(parsed.parsed_tree, attributes)
        if attributes & doc.tokened:
            return False
        xpath = HTMLTranslator().selector_to_xpath(parsed)
        return not doc.matches(xpath)
    except Exception:  # noqa: BLE001 - what cannot be parsed or evaluated is kept
        return False


def _unused_rule(prelude: str, doc: _Document) -> bool:
    selectors = split_selectors(prelude)
    return bool(selectors) and all(_unused_selector(s, doc) for s in selectors)


def _removals(
    nodes: Sequence[Any], starts: list[int], end: int, css: str, doc: _Document
) -> tuple[list[tuple[int, int]], bool]:
    """The spans of the rules to remove from a rule list ending at `end`; whether only white space is left."""
    import tinycss2

    spans: list[tuple[int, int]] = []
    offsets = [_offset(starts, n.source_line, n.source_column) for n in nodes] + [end]
    left = False
    for n, node in enumerate(nodes):
        start, stop = offsets[n], offsets[n + 1]
        if node.type == "qualified-rule":
            text = css[start:stop]
            if PLACEHOLDER_PREFIX not in text and _unused_rule(tinycss2.serialize(node.prelude), doc):
                spans.append((start, stop))
                continue
        elif node.type == "at-rule" and node.lower_at_keyword in _NESTED and node.content is not None:
            inner = tinycss2.parse_rule_list(node.content, skip_comments=False, skip_whitespace=False)
            close = css.rfind("}", start, stop)
            first = css.find("{", start, stop)
            if inner and 0 <= first < close and PLACEHOLDER_PREFIX not in css[start:stop]:
                removed, empty = _removals(inner, starts, close, css, doc)
                if empty and removed:
                    spans.append((start, stop))
                    continue
                spans.extend(removed)
        elif node.type in ("whitespace", "comment"):
            continue
        left = True
    return spans, not left


def _offset(starts: list[int], line: int, column: int) -> int:
    return starts[line - 1] + column - 1


def _purge_css(css: str, doc: _Document) -> str:
    import tinycss2

    if "<" in css or "-->" in css:  # markup or comment delimiters in a style sheet: left as written
        return css
    starts = [0] + [m.end() for m in _LINE_BREAK.finditer(css)]
    nodes = tinycss2.parse_stylesheet(css, skip_comments=False, skip_whitespace=False)
    spans, _ = _removals(nodes, starts, len(css), css, doc)
    return _cut(css, spans)


def _cut(text: str, spans: Iterable[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, stop in sorted(spans):
        out.append(text[last:start])
        last = stop
    out.append(text[last:])
    return "".join(out)


def remove_unused_css(html: str) -> str:
    """The document with the style rules that match no element removed from its style blocks."""
    blocks = [m for m in STYLE_OR_COMMENT.finditer(html) if m.group(1) is not None and m.group(1).strip()]
    if not blocks:
        return html
    try:
        doc = _Document(html)
    except Exception:  # noqa: BLE001 - a document lxml cannot read: nothing is proven unused
        return html
    out, last = [], 0
    for m in blocks:
        start, stop = m.span(1)
        out.append(html[last:start])
        out.append(_purge_css(m.group(1), doc))
        last = stop
    out.append(html[last:])
    return "".join(out)
