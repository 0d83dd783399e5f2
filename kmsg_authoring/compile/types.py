"""What the compiler produces: a compiled template and the token references it found."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kmsg_authoring.compile.tokens import canonical
from kmsg_authoring.errors import Location
from kmsg_authoring.model import FROM_NAME, SUBJECT, TO_ATTRIBUTE_PATH, TOKEN_TEXT_FIELDS
from kmsg_authoring.source.project import YamlDoc

# Build-time attribute that ties every element of the compiled HTML to the source line it came from.
MARK_ATTR = "data-kmsg-loc"
MARK_RE = re.compile(r' data-kmsg-loc="(\d+)"')
_MARK_PREFIX = ' data-kmsg-loc="'
_START_TAG = re.compile(r"<[A-Za-z]")


class Where(StrEnum):
    """Where a token reference stands: a field of the template, or a place in the body's HTML."""

    SUBJECT = SUBJECT
    FROM_NAME = FROM_NAME
    TO_ATTRIBUTE_PATH = TO_ATTRIBUTE_PATH
    TEXT = "text"  # element text
    ATTRIBUTE = "attribute"  # an attribute value other than style
    CSS = "css"  # a <style> block or a style attribute
    COMMENT = "comment"  # an HTML comment
    SCRIPT = "script"  # a <script> element


# Where a token reference stands outside the body.
WHERE_FIELDS: tuple[Where, ...] = tuple(Where(f) for f in TOKEN_TEXT_FIELDS)


# The lint codes of what the compiler drops as the engine it follows does, noted in
# CompiledTemplate.notes rather than refused, and reported by the rules of the same codes.
MJML_DROPPED_TEXT = "KM603"  # text standing directly in an MJML layout component
JINJA_OUTSIDE_BLOCKS = "KM604"  # output after {% extends %} outside every {% block %}


@dataclass(frozen=True)
class TokenRef:
    """One reference to a send-time token, as written by the designer."""

    name: str
    field: str | None
    raw: str  # exactly as written: "{recipient.firstName}", "&#123;eventName&#125;"
    where: Where
    location: Location  # the source file, line and column the designer wrote it in
    element: str | None = None  # tag of the element holding it (body references)
    attribute: str | None = None  # attribute name when it stands in an attribute ("style" for inline CSS)
    mso: bool = False  # inside a conditional comment (<!--[if mso]> ... <![endif]-->)
    offset: int = -1  # offset in the compiled body (-1 outside the body)

    @property
    def text(self) -> str:
        """The canonical spelling: {name} or {name.field}."""
        return canonical(self.name, self.field)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (manifest, cache, lint output)."""
        return {
            "name": self.name,
            "field": self.field,
            "raw": self.raw,
            "where": self.where,
            "element": self.element,
            "attribute": self.attribute,
            "mso": self.mso,
            "offset": self.offset,
            "path": self.location.path,
            "line": self.location.line,
            "col": self.location.col,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenRef:
        """Inverse of to_json."""
        return cls(
            name=data["name"],
            field=data["field"],
            raw=data["raw"],
            where=Where(data["where"]),
            location=Location(data["path"], data["line"], data["col"]),
            element=data["element"],
            attribute=data["attribute"],
            mso=data["mso"],
            offset=data["offset"],
        )


# What an MJML component was given, for the elements MRML makes of it: the mark of the component around
# it (None at the root) and the attributes the designer gave it (name, value, where), its own first,
# then its mj-class, its tag's mj-attributes defaults and mj-all.
Origin = tuple[int | None, tuple[tuple[str, str, Location], ...]]


@dataclass
class SourceMap:
    """Maps offsets in compiled HTML that carries MARK_ATTR attributes back to source locations.

    `origins` holds the marks of elements a compiler made rather than the designer wrote (MRML's
    HTML for an MJML component), with what the designer gave that component.
    """

    marks: dict[int, Location] = field(default_factory=dict)
    origins: dict[int, Origin] = field(default_factory=dict)

    def add(self, loc: Location) -> int:
        """Register a location, return its marker id."""
        mark = len(self.marks)
        self.marks[mark] = loc
        return mark

    def subset(self, *texts: str) -> SourceMap:
        """A source map holding only the markers that appear in these texts."""
        ids = {int(i) for i in set().union(*(MARK_RE.findall(text) for text in texts))}
        # An origin keeps the component marks around it (some of which mark nothing in the output).
        keep = set(ids)
        for i in ids:
            owner = self.origins.get(i, (None, ()))[0]
            while owner is not None and owner not in keep:
                keep.add(owner)
                owner = self.origins.get(owner, (None, ()))[0]
        return SourceMap(
            {i: self.marks[i] for i in sorted(keep) if i in self.marks},
            {i: self.origins[i] for i in sorted(keep) if i in self.origins},
        )

    def locate(self, marked_html: str, offset: int) -> Location | None:
        """Source location of an offset in marked HTML: the nearest preceding element, plus the lines between."""
        pos = marked_html.rfind(_MARK_PREFIX, 0, offset)
        while pos != -1:
            last = MARK_RE.match(marked_html, pos)
            if last is not None and last.end() <= offset:
                break
            pos = marked_html.rfind(_MARK_PREFIX, 0, pos)
        else:
            return None
        if int(last.group(1)) not in self.marks:
            return None
        base = self.marks[int(last.group(1))]
        tag_start = marked_html.rfind("<", 0, last.start())
        between = MARK_RE.sub("", marked_html[tag_start:offset])
        # HTML a compiler made (MRML's for an MJML component, or after the designer's content) has no
        # columns in the source: the element it was made for is the place.
        if self.origins and (int(last.group(1)) in self.origins or _START_TAG.search(between, 1)):
            return base
        newlines = between.count("\n")
        if newlines == 0:
            return Location(base.path, base.line, base.col + len(between))
        return Location(base.path, base.line + newlines, len(between) - between.rfind("\n"))

    def element_location(self, mark_value: str | None) -> Location | None:
        """Source location of an element from its MARK_ATTR value."""
        if mark_value is None or not mark_value.isdigit():
            return None
        return self.marks.get(int(mark_value))


@dataclass
class CompiledTemplate:
    """A template compiled from its sources: the add payload plus everything later steps need."""

    slug: str
    folder: str  # project-relative source folder, e.g. "templates_src/event-invitation"
    payload: dict[str, Any]  # the email-template/add payload, fields in the guide's order
    tokens: tuple[TokenRef, ...]  # every token reference, fields first, then the body in document order
    meta: YamlDoc  # template.yaml with the position of every key
    settings: dict[str, Any]  # the template's kmsg: settings
    marked_body: str  # the compiled body with MARK_ATTR on elements (for locating findings)
    rendered: str  # the HTML after Jinja, before inlining, tokens restored, with MARK_ATTR (structure checks)
    source_map: SourceMap
    dependencies: tuple[str, ...]  # project-relative files the template read
    content_hash: str  # sha256 of the canonical payload JSON
    number_of_tokens_used: int
    # The locale of a template with translatable text ([i18n] in kmsg.toml), None otherwise, and the
    # messages its build looked up in that locale's catalog (compile/i18n.py TranslationUse).
    locale: str | None = None
    translations: tuple[Any, ...] = ()
    # What the compiler noticed but did not refuse, for lint to report: (lint code, message, where),
    # e.g. text MJML drops (MJML_DROPPED_TEXT).
    notes: tuple[tuple[str, str, Location], ...] = ()
    unminified_bytes: int | None = None  # [build] minify, remove_unused_css: the body's UTF-8 size before them

    @property
    def body(self) -> str:
        """The compiled HTML body, as sent to the API."""
        return str(self.payload["body"])

    @property
    def body_location(self) -> Location:
        """The template's body file: body.html, or body.mjml for a body written in MJML."""
        mjml = f"{self.folder}/body.mjml"
        return Location(mjml if mjml in self.dependencies else f"{self.folder}/body.html", 1, 1)
