"""What a rule sees: the compiled template, its settings, parsed HTML and helpers to locate findings."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from lxml import etree

from kmsg_authoring.compile.extract import parse_html
from kmsg_authoring.compile.types import MARK_ATTR, CompiledTemplate, TokenRef
from kmsg_authoring.errors import Location

if TYPE_CHECKING:
    from kmsg_authoring.source.config import Config

# A small HTML lexer: enough to find tags, text and attribute values with their offsets. One match
# per comment, <script>/<style> element (start tag, raw text, end tag), other start tag, end tag,
# or <!...>/<?...> declaration; text is what lies between matches. The groups:
#   raw, raw_attrs, raw_text: the name, attributes and contents of a <script> or <style> element;
#   start, end: the name of a start or end tag, captured in a lookahead so that what the lexer
#   matches does not depend on it (ASCII letters only, like TAG_NAME_RE: the IGNORECASE flag
#   would also let 'ſ' and the Kelvin sign in).
# `match.lastgroup` tells the kinds apart: "raw_text", "start", "end", or None for the rest.
# The raw text is scanned as runs of characters other than '<' (a tight loop in the regex engine)
# rather than with a lazy '.*?', which tries the end tag at every character and costs three times
# as much on the large <style> blocks of real-world mail; both match the same text.
TAG_LEX = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(?P<raw>script|style)\b(?P<raw_attrs>(?:\"[^\"]*\"|'[^']*'|[^'\">]+)*+)>"
    r"(?P<raw_text>[^<]*+(?:<(?!/(?P=raw)\s*>)[^<]*+)*+)(?:</(?P=raw)\s*>|\Z)"
    r"|<(?=(?P<start>(?-i:[A-Za-z][^\s/>]*)))?[A-Za-z](?:\"[^\"]*\"|'[^']*'|[^'\">]+)*+>"
    r"|</(?=(?P<end>(?-i:[A-Za-z][^\s/>]*)))?[^>]*>"
    r"|<![^>]*>|<\?[^>]*>",
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


def lex(html: str) -> list[re.Match[str]]:
    """The lexer's matches (tags, comments, <script>/<style> elements...) over an HTML text, in order."""
    return list(TAG_LEX.finditer(html))


def segments(
    html: str, want: tuple[str, ...] | None = None, tokens: Sequence[re.Match[str]] | None = None
) -> Iterator[Segment]:
    """Text runs, attribute values, <style>/<script> contents and comments of an HTML text, in order.

    `tokens` are the text's lexer matches when already at hand (Context.lexed). With `want`, a few
    strings without '<' or '>', only the text runs and tags in which one of them occurs are split:
    most of a document never needs its attributes split.
    """
    tokens = lex(html) if tokens is None else tokens
    regions: Iterable[int] = range(2 * len(tokens) + 1) if want is None else _regions(html, want, tokens)
    for region in regions:
        i, is_token = divmod(region, 2)
        if is_token:
            yield from _token_segments(html, tokens[i])
            continue
        start = tokens[i - 1].end() if i else 0
        end = tokens[i].start() if i < len(tokens) else len(html)
        if end > start:
            yield Segment("text", start, end)


def _regions(html: str, want: tuple[str, ...], tokens: Sequence[re.Match[str]]) -> list[int]:
    """The regions of an HTML text in which one of the `want` strings occurs, in order: 2*i is the
    text before token i (2*len(tokens): after the last one), 2*i+1 token i.

    The strings' first characters are looked for with str.find, which for one character is a
    memchr scan (ten times faster than a regex or a search for the whole string), and the rest
    compared with startswith; a hit is placed among the tokens by bisection and the search resumes
    at the end of its region. A string without '<' or '>' cannot run from one region into the
    next, since every token starts with '<' and ends with '>' or the end of the text.
    """
    starts = [m.start() for m in tokens]
    by_first: dict[str, tuple[str, ...]] = {}
    for needle in want:
        by_first[needle[0]] = (*by_first.get(needle[0], ()), needle)
    found: set[int] = set()
    for first, needles in by_first.items():
        at = html.find(first)
        while at >= 0:
            if not html.startswith(needles, at):
                at = html.find(first, at + 1)
                continue
            i = bisect.bisect_right(starts, at) - 1
            if i >= 0 and at < tokens[i].end():
                found.add(2 * i + 1)
                at = html.find(first, tokens[i].end())
            else:
                found.add(2 * i + 2)
                at = html.find(first, tokens[i + 1].start()) if i + 1 < len(tokens) else -1
    return sorted(found)


def _token_segments(html: str, m: re.Match[str]) -> Iterator[Segment]:
    """The segments of one lexer match: a comment, or the attributes (and contents) of a tag."""
    if html.startswith("<!--", m.start()):
        yield Segment("comment", m.start() + 4, m.end() - (3 if html.endswith("-->", m.start(), m.end()) else 0))
    elif m.lastgroup == "raw_text":
        tag = m.group("raw").lower()
        yield from _attributes(m.group("raw_attrs"), m.start("raw_attrs"), tag)
        yield Segment("css" if tag == "style" else "script", m.start("raw_text"), m.end("raw_text"), tag)
    elif m.lastgroup == "start":
        name = m.group("start")
        yield from _attributes(m.group(0), m.start(), name.lower(), skip=len(name) + 1)


def _attributes(tag_text: str, base: int, tag: str, skip: int = 0) -> Iterator[Segment]:
    for a in _ATTR.finditer(tag_text, skip):
        group = next(g for g in (2, 3, 4) if a.group(g) is not None)
        yield Segment("attribute", base + a.start(group), base + a.end(group), tag, a.group(1).lower())


def elements(root: etree._Element | None) -> Iterator[etree._Element]:
    """Every element (not comments, processing instructions or entities) of a tree, in document order."""
    if root is None:
        return iter(())
    found: Iterator[etree._Element] = root.iter(etree.Element)  # the factory as the tag: elements only
    return found


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
        self._lexed: dict[str, list[re.Match[str]]] = {}

    def lexed(self, html: str) -> list[re.Match[str]]:
        """The lexer's matches over an HTML text of the template, lexed once for all the rules."""
        found = self._lexed.get(html)
        if found is None:
            found = self._lexed[html] = lex(html)
        return found

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
    def _walk(self) -> tuple[dict[str, list[etree._Element]], list[tuple[etree._Element, str]]]:
        """One walk over the compiled body's elements (not comments or entities), in document
        order: by lower-case tag name, and (element, style attribute) for those with one."""
        tagged: dict[str, list[etree._Element]] = {}
        styled: list[tuple[etree._Element, str]] = []
        for el in elements(self.body_root):
            tagged.setdefault(el.tag.lower(), []).append(el)
            style = el.get("style")
            if style is not None:
                styled.append((el, style))
        return tagged, styled

    @property
    def tagged(self) -> dict[str, list[etree._Element]]:
        """The compiled body's elements by lower-case tag name, each list in document order."""
        return self._walk[0]

    def by_tag(self, *tags: str) -> list[etree._Element]:
        """The compiled body's elements with these tags (document order within each tag)."""
        if len(tags) == 1:
            return self.tagged.get(tags[0], [])
        return [el for tag in tags for el in self.tagged.get(tag, [])]

    @property
    def styled(self) -> list[tuple[etree._Element, str]]:
        """(element, style attribute) for the compiled body's elements that have one, in document order."""
        return self._walk[1]

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

    def noted(self, code: str) -> Iterator[Finding]:
        """The compiler's notes of a lint code (CompiledTemplate.notes), as findings."""
        for noted_code, message, where in self.compiled.notes:
            if noted_code == code:
                yield Finding(message, where)

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
