"""Where each shielded token stands in an HTML document: text, which attribute of which element, CSS."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from lxml import etree

from kmsg_authoring.compile.tokens import PLACEHOLDER_RE

_CONDITIONAL = re.compile(r"\A\s*\[if [^\]]*\]>(.*)<!\[endif\]\s*\Z", re.S)
_PARSER = etree.HTMLParser(remove_comments=False, remove_pis=False, recover=True, huge_tree=True)


@dataclass(frozen=True)
class Context:
    """The HTML context of one placeholder occurrence."""

    index: int  # placeholder number
    where: str  # text | attribute | css | comment | script
    element: str | None
    attribute: str | None
    mso: bool


def parse_html(html: str) -> etree._Element | None:
    """Parse an HTML document or fragment leniently (None when there is nothing to parse)."""
    if not html.strip():
        return None
    try:
        return etree.fromstring(html, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _found(text: str | None, where: str, element: str | None, attribute: str | None, mso: bool) -> Iterator[Context]:
    if text and "kmsgtk" in text:
        for m in PLACEHOLDER_RE.finditer(text):
            yield Context(int(m.group(1)), where, element, attribute, mso)


def _walk(root: etree._Element, mso: bool) -> Iterator[Context]:
    for el in root.iter():
        parent = el.getparent()
        parent_tag = parent.tag.lower() if parent is not None and isinstance(parent.tag, str) else None
        if el.tag is etree.Comment:
            text = el.text or ""
            cond = _CONDITIONAL.match(text)
            if cond:
                inner = parse_html(cond.group(1))
                if inner is not None:
                    yield from _walk(inner, True)
            else:
                yield from _found(text, "comment", parent_tag, None, mso)
        elif isinstance(el.tag, str):
            tag = el.tag.lower()
            for name, value in el.attrib.items():
                yield from _found(value, "css" if name.lower() == "style" else "attribute", tag, name, mso)
            where = {"style": "css", "script": "script"}.get(tag, "text")
            yield from _found(el.text, where, tag, None, mso)
        yield from _found(el.tail, "text", parent_tag, None, mso)


def contexts(html: str) -> list[Context]:
    """Every placeholder occurrence in an HTML document with its context, in document order."""
    root = parse_html(html)
    if root is None:
        return []
    # Comments before <html> or after it are siblings of the root element.
    nodes = [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]
    return [c for node in nodes for c in _walk(node, False)]
