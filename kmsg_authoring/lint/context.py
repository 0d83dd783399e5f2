"""What a rule sees: the compiled template, its settings, parsed HTML and helpers to locate findings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from lxml import etree

from kmsg_authoring.compile.extract import parse_html
from kmsg_authoring.compile.types import MARK_ATTR, CompiledTemplate, TokenRef
from kmsg_authoring.errors import Location

if TYPE_CHECKING:
    from kmsg_authoring.config import Config

# A small HTML lexer: enough to find tags, text and attribute values with their offsets.
TAG_LEX = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(script|style)\b((?:\"[^\"]*\"|'[^']*'|[^'\">]+)*+)>(.*?)(?:</\1\s*>|\Z)"
    r"|<[A-Za-z](?:\"[^\"]*\"|'[^']*'|[^'\">]+)*+>"
    r"|</[^>]*>|<![^>]*>|<\?[^>]*>",
    re.DOTALL | re.IGNORECASE,
)
TAG_NAME_RE = re.compile(r"<([A-Za-z][^\s/>]*)")
_ATTR = re.compile(r"""([^\s=/>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""")


class Finding(NamedTuple):
    """What a rule reports: a message and where; the runner adds code, name and severity."""

    message: str
    location: Location


class Segment(NamedTuple):
    """A piece of HTML text: its kind (text, attribute, css, script, comment) and offsets."""

    kind: str
    start: int
    end: int
    tag: str | None = None
    attribute: str | None = None


def segments(html: str, want: re.Pattern[str] | None = None) -> Iterator[Segment]:
    """Text runs, attribute values, <style>/<script> contents and comments of an HTML text, in order.

    With `want`, only the segments in which it finds a match (and tags are parsed only then): most
    of a document never needs its attributes split.
    """
    pos = 0
    for m in TAG_LEX.finditer(html):
        if m.start() > pos and (want is None or want.search(html, pos, m.start())):
            yield Segment("text", pos, m.start())
        pos = m.end()
        if want is not None and not want.search(html, m.start(), m.end()):
            continue
        token = m.group(0)
        if token.startswith("<!--"):
            yield Segment("comment", m.start() + 4, m.end() - (3 if token.endswith("-->") else 0))
            continue
        if m.group(1):
            tag = m.group(1).lower()
            yield from _attributes(m.group(2), m.start(2), tag)
            yield Segment("css" if tag == "style" else "script", m.start(3), m.end(3), tag)
            continue
        name = TAG_NAME_RE.match(token)
        if name:
            yield from _attributes(token, m.start(), name.group(1).lower(), skip=name.end())
    if pos < len(html) and (want is None or want.search(html, pos)):
        yield Segment("text", pos, len(html))


def _attributes(tag_text: str, base: int, tag: str, skip: int = 0) -> Iterator[Segment]:
    for a in _ATTR.finditer(tag_text, skip):
        group = next(g for g in (2, 3, 4) if a.group(g) is not None)
        yield Segment("attribute", base + a.start(group), base + a.end(group), tag, a.group(1).lower())


def elements(root: etree._Element | None) -> Iterator[etree._Element]:
    """Every element (not comments or entities) of a tree, in document order."""
    if root is None:
        return
    for el in root.iter():
        if isinstance(el.tag, str):
            yield el


def tag_of(el: etree._Element) -> str:
    """The lower-case tag name of an element."""
    return str(el.tag).lower()


def style_declarations(style: str) -> dict[str, str]:
    """An inline style attribute as {property: value}, lower-cased, the last declaration winning."""
    out: dict[str, str] = {}
    for decl in style.split(";"):
        prop, sep, value = decl.partition(":")
        if sep:
            out[prop.strip().lower()] = value.strip().lower()
    return out


class Context:
    """The compiled template plus lazily parsed views of it; one per template, shared by all rules."""

    def __init__(self, compiled: CompiledTemplate, config: Config | None = None) -> None:
        self.compiled = compiled
        self.config = config
        self.options: Mapping[str, Any] = {}
        self.cache: dict[str, Any] = {}  # work shared by the rules of one family

    @property
    def payload(self) -> dict[str, Any]:
        """The email-template/add payload."""
        return self.compiled.payload

    @cached_property
    def declared(self) -> dict[str, str | None]:
        """Declared token names -> their type (None when the declaration has no usable type)."""
        params = self.payload.get("msgParamsMap")
        if not isinstance(params, Mapping):
            return {}
        out: dict[str, str | None] = {}
        for name, spec in params.items():
            kind = spec.get("type") if isinstance(spec, Mapping) else None
            out[str(name)] = kind if isinstance(kind, str) else None
        return out

    def of_type(self, *kinds: str) -> set[str]:
        """Names of the declared tokens of the given types."""
        return {name for name, kind in self.declared.items() if kind in kinds}

    @cached_property
    def body_tokens(self) -> tuple[TokenRef, ...]:
        """Token references in the body, in document order."""
        return tuple(t for t in self.compiled.tokens if t.offset >= 0)

    @cached_property
    def body_root(self) -> etree._Element | None:
        """The compiled body (after CSS inlining), parsed, with location markers."""
        return parse_html(self.compiled.marked_body)

    @cached_property
    def tagged(self) -> dict[str, list[etree._Element]]:
        """The compiled body's elements by lower-case tag name, each list in document order."""
        out: dict[str, list[etree._Element]] = {}
        for el in elements(self.body_root):
            out.setdefault(tag_of(el), []).append(el)
        return out

    def by_tag(self, *tags: str) -> list[etree._Element]:
        """The compiled body's elements with these tags (document order within each tag)."""
        if len(tags) == 1:
            return self.tagged.get(tags[0], [])
        return [el for tag in tags for el in self.tagged.get(tag, [])]

    @cached_property
    def styled(self) -> list[etree._Element]:
        """The compiled body's elements that have a style attribute, in document order."""
        root = self.body_root
        return [] if root is None else list(root.iterfind(".//*[@style]")) + ([root] if root.get("style") else [])

    def at_element(self, el: etree._Element) -> Location:
        """Where the designer wrote an element (the nearest marked ancestor; else the body file)."""
        node: etree._Element | None = el
        while node is not None:
            loc = self.compiled.source_map.element_location(node.get(MARK_ATTR))
            if loc is not None:
                return loc
            node = node.getparent()
        return self.compiled.body_location

    def at_offset(self, offset: int, html: str | None = None) -> Location:
        """Where the designer wrote the text at an offset of marked HTML (default: the marked body)."""
        html = self.compiled.marked_body if html is None else html
        return self.compiled.source_map.locate(html, offset) or self.compiled.body_location

    def at_field(self, *keys: str | int) -> Location:
        """Where a template.yaml field (or an item inside it) stands."""
        return self.compiled.meta.locate(*keys)

    def in_field(self, field: str, index: int) -> Location:
        """Where a character of a one-line text field stands, placed from a token found in it.

        The compiler locates token references in the subject, fromName and toAttributePath exactly;
        without one, or for a value spread over lines, the field itself is the location.
        """
        value = self.payload.get(field)
        if isinstance(value, str) and "\n" not in value:
            for t in self.compiled.tokens:
                start = value.find(t.raw) if t.where == field else -1
                if start >= 0 and t.location.col > start:
                    return Location(t.location.path, t.location.line, t.location.col - start + index)
        return self.at_field(field)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A " (did you mean 'x'?)" hint for the closest choice: same letters in another case first."""
    import difflib

    options = sorted(choices)
    same = [c for c in options if c.lower() == word.lower()]
    close = same or difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in options}
        close = [lowered[c] for c in difflib.get_close_matches(word.lower(), list(lowered), n=1)]
    return f" (did you mean '{close[0]}'?)" if close else ""
