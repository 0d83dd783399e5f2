"""Where each shielded token stands in an HTML document: text, which attribute of which element, CSS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from kmsg_authoring.compile.types import Where
from kmsg_authoring.compile.tokens import PLACEHOLDER_PREFIX, PLACEHOLDER_RE

_CONDITIONAL = re.compile(r"\A\s*\[if [^\]]*\]>(.*)<!\[endif\]\s*\Z", re.DOTALL)
# Parsed from UTF-8 bytes with the encoding given: lxml refuses a str that starts with an XML
# declaration naming an encoding (XHTML emails often do), and a <meta charset> must not override it.
_PARSER = etree.HTMLParser(encoding="utf-8", remove_comments=False, remove_pis=False, recover=True, huge_tree=True)
# Only the nodes holding a placeholder: the search runs in libxml2, not in a Python loop.
_HOLDERS = etree.XPath(
    f"//@*[contains(., '{PLACEHOLDER_PREFIX}')] | //text()[contains(., '{PLACEHOLDER_PREFIX}')]"
    f" | //comment()[contains(., '{PLACEHOLDER_PREFIX}')]"
)


@dataclass(frozen=True)
class Context:
    """The HTML context of one placeholder occurrence."""

    index: int  # placeholder number
    where: Where  # one of the body's places: text, attribute, css, comment, script
    element: str | None
    attribute: str | None
    mso: bool


# libxml2 stops building the tree where elements nest deeper than it can represent (about 2,000
# levels) and carries on as if the rest of the document were not there.
_TOO_DEEP = "Excessive depth"
# A document with fewer '<' than this cannot nest that deep (every element but the few a parser
# implies starts with one), so the check costs nothing for real-world mail.
DEPTH_CHECK_FROM = 2000


class TooDeep(Exception):
    """A document nests elements deeper than the parser can represent."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset  # where, in the parsed text, the parser gave up


def parse_html(html: str) -> Any:
    """Parse an HTML document or fragment leniently (None when there is nothing to parse)."""
    if not html.strip():
        return None
    try:
        return etree.fromstring(html.encode("utf-8", "replace"), _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None


def parse_complete(html: str) -> Any:
    """parse_html, raising TooDeep where the parser would leave the rest of the document out."""
    root = parse_html(html)
    if html.count("<") >= DEPTH_CHECK_FROM:
        for error in _PARSER.error_log:
            if _TOO_DEEP in error.message:
                lines = html.split("\n", error.line - 1)
                offset = len(html) - len(lines[-1]) + max(error.column - 1, 0) if len(lines) >= error.line else 0
                raise TooDeep(min(offset, len(html)))
    return root


def _tag(el: Any) -> str | None:
    return el.tag.lower() if el is not None and isinstance(el.tag, str) else None


def _found(text: str, where: Where, element: str | None, attribute: str | None, mso: bool) -> Iterator[Context]:
    for m in PLACEHOLDER_RE.finditer(text):
        yield Context(int(m.group(1)), where, element, attribute, mso)


def _walk(root: Any, mso: bool) -> Iterator[Context]:
    for hit in _HOLDERS(root):
        if isinstance(hit, etree._Comment):
            text = hit.text or ""
            cond = _CONDITIONAL.match(text)
            inner = parse_html(cond.group(1)) if cond else None
            if inner is not None:
                yield from _walk(inner, True)
            else:
                yield from _found(text, Where.COMMENT, _tag(hit.getparent()), None, mso)
            continue
        parent = hit.getparent()
        if hit.is_attribute:
            name = str(hit.attrname)
            place = Where.CSS if name.lower() == "style" else Where.ATTRIBUTE
            yield from _found(str(hit), place, _tag(parent), name, mso)
        elif hit.is_tail:
            yield from _found(str(hit), Where.TEXT, _tag(parent.getparent()), None, mso)
        else:
            tag = _tag(parent)
            where = {"style": Where.CSS, "script": Where.SCRIPT}.get(tag or "", Where.TEXT)
            yield from _found(str(hit), where, tag, None, mso)


def contexts(html: str) -> list[Context]:
    """Every placeholder occurrence in an HTML document with its context, in document order.

    Raises TooDeep for a document the parser cannot represent whole.
    """
    root = parse_complete(html)
    if root is None:
        return []
    return list(_walk(root.getroottree(), False))
