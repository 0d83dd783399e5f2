"""Where each shielded token stands in an HTML document: text, which attribute of which element, CSS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

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
    where: str  # text | attribute | css | comment | script
    element: str | None
    attribute: str | None
    mso: bool


def parse_html(html: str) -> Any:
    """Parse an HTML document or fragment leniently (None when there is nothing to parse)."""
    if not html.strip():
        return None
    try:
        return etree.fromstring(html.encode("utf-8", "replace"), _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _tag(el: Any) -> str | None:
    return el.tag.lower() if el is not None and isinstance(el.tag, str) else None


def _found(text: str, where: str, element: str | None, attribute: str | None, mso: bool) -> Iterator[Context]:
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
                yield from _found(text, "comment", _tag(hit.getparent()), None, mso)
            continue
        parent = hit.getparent()
        if hit.is_attribute:
            name = str(hit.attrname)
            yield from _found(str(hit), "css" if name.lower() == "style" else "attribute", _tag(parent), name, mso)
        elif hit.is_tail:
            yield from _found(str(hit), "text", _tag(parent.getparent()), None, mso)
        else:
            tag = _tag(parent)
            where = {"style": "css", "script": "script"}.get(tag or "", "text")
            yield from _found(str(hit), where, tag, None, mso)


def contexts(html: str) -> list[Context]:
    """Every placeholder occurrence in an HTML document with its context, in document order."""
    root = parse_html(html)
    if root is None:
        return []
    return list(_walk(root.getroottree(), False))
