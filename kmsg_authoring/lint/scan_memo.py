"""What a feature scan records (`Use`, one per feature an email uses) and what a process remembers of
the texts it has scanned, so that templates repeating the same start tags, declarations and
stylesheets read each once; and the stylesheets a template read, for locating their lines.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from kmsg_authoring.errors import Location, SourceError
from kmsg_authoring.lint.caniemail import Data
from kmsg_authoring.source.project import read_text

if TYPE_CHECKING:
    from kmsg_authoring.compile.types import CompiledTemplate

CSS, AT_RULE, SELECTOR, HTML, IMAGE = "css", "at-rule", "selector", "html", "image"
ALL_MEDIA = "@media"  # the media "feature" of a plain @media rule: only clients that support @media

# A use recorded relative to where its element or stylesheet starts (offset -1: the element's start
# tag, which also carries its mark): (feature, kind, what, offset, media, inside).
_Recorded = tuple[str, str, str, int, tuple[str, ...], str]
MEMO_LIMIT = 20_000  # distinct start tags or stylesheets remembered per process before starting afresh


class Memo:
    """What the scanner found in texts it has seen, per data set: templates repeat the same start
    tags, declarations and stylesheets (a layout's <style> in every template), so each distinct
    text is read once per process and its uses replayed at their new offsets."""

    def __init__(self) -> None:
        self.tags: dict[tuple[str, str], tuple[_Recorded, ...]] = {}
        self.sheets: dict[str, tuple[_Recorded, ...]] = {}
        self.declared: dict[tuple[str, str], tuple[str, list[str], list[str]]] = {}

    def trim(self) -> None:
        for table in (self.tags, self.sheets, self.declared):
            if len(table) > MEMO_LIMIT:
                table.clear()


MEMOS: dict[int, tuple[Data, Memo]] = {}


def memo_for(data: Data) -> Memo:
    found = MEMOS.get(id(data))
    if found is None or found[0] is not data:
        found = MEMOS[id(data)] = (data, Memo())
    return found[1]


class Use(NamedTuple):
    """One use of a feature in a template (a tuple: a template has hundreds)."""

    feature: str  # the feature's slug, e.g. "css-display-flex"
    kind: str  # CSS, AT_RULE, SELECTOR, HTML or IMAGE
    what: str  # as written, shortened: "display: flex", "<svg>", ":hover"
    offset: int  # in CompiledTemplate.rendered; `Located.at` turns it into the designer's file and line
    mso: bool | None = None  # True: only Outlook for Windows reads it; False: every client but it
    media: tuple[str, ...] = ()  # media features of the enclosing @media rules (ALL_MEDIA for any)
    inside: str = ""  # "body" for a <style> in the <body>: partial support "not ... inside the <body>" is none
    mark: str | None = None  # the element's source marker, for a use located at its start tag
    where: Location | None = None  # where it was written, when known without the offset (an MJML attribute)


def stylesheets(compiled: CompiledTemplate, root: Path | None) -> dict[str, list[str]]:
    """The lines of the stylesheets a template read (they carry no element markers)."""
    css_files: dict[str, list[str]] = {}
    if root is not None:
        for dep in compiled.dependencies:
            if dep.endswith(".css"):
                try:
                    css_files[dep] = read_text(root / dep, dep, root=root).splitlines()  # confined
                except SourceError:
                    continue  # the build read it; if it is gone now the body's own location stands
    return css_files


_FUNCTION = re.compile(r"(?<![\w-])(-?[a-z][a-z0-9-]*)\(")
_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_UNIT = re.compile(r"(?<![\w#.-])[-+]?(?:\d*\.)?\d+(%|[a-z]+)\b")
_WORDS = re.compile(r"[\s,/()!]+")  # what separates the words of a value
_IMPORTANT = re.compile(r"!\s*important\b")


def features_of(data: Data, prop: str, value: str) -> tuple[str, list[str], list[str]]:
    """(the declaration as shown, the features it uses, the URLs in it); inliners and templates
    repeat the same declarations many times, so the scanner remembers it per (property, value)."""
    low = value.lower()
    shown = f"{prop}: {' '.join(value.split())}"
    if len(shown) > 60:
        shown = shown[:57] + "..."
    found = list(data.properties.get(prop, ()))
    if prop.startswith(data.prefix_keys):
        found += [slug for prefix, slug in data.property_prefixes if prop.startswith(prefix)]
    urls = [u.group(2) for u in _URL.finditer(value)] if "url(" in low else []
    bare = _URL.sub(" ", low) if urls else low
    words = set(_WORDS.split(bare))
    if _IMPORTANT.search(bare):
        words.add("!important")
    for word in words:
        found += data.values.get((prop, word), ())
        found += data.keywords.get(word, ())
    if "(" in bare:
        for f in set(_FUNCTION.findall(bare)):
            found += data.functions.get(f, ())
    for u in set(_UNIT.findall(bare)):
        found += data.units.get(u, ())
    return shown, list(dict.fromkeys(found)), urls


def norm_value(value: str) -> str:
    """A value compared as written and as MRML writes it: lower case, quotes and runs of space gone."""
    return " ".join(value.lower().replace('"', "").replace("'", "").split())


def related(attribute: str, prop: str) -> bool:
    """Whether an MJML attribute names the CSS property or HTML attribute MRML writes its value to
    (padding, inner-padding -> padding; background-url -> background; container-background-color ->
    background-color)."""
    return (
        attribute == prop
        or attribute.endswith("-" + prop)
        or attribute.startswith(prop + "-")
        or prop.startswith(attribute + "-")
    )
