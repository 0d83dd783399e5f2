"""Which Can I email features a template uses, and where the designer wrote each one.

The scanner reads the template as rendered before CSS inlining (`CompiledTemplate.rendered`): the
<style> blocks, inline styles, elements and attributes the designer wrote, once each (the inliner
would copy one stylesheet rule onto many elements). Every use carries its source location (the
layout, partial, stylesheet or body), whether it stands inside an MSO conditional comment (only
Outlook for Windows reads it) or after `<!--[if !mso]><!-->` (every client but Outlook for Windows),
and the media features of the @media rules around it (only clients that support those apply it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kmsg_authoring.errors import Location
from kmsg_authoring.lint.caniemail import MSO_CLIENT, PARTIAL, UNSUPPORTED, Data, Feature, load
from kmsg_authoring.lint.scan_memo import ALL_MEDIA, Use, stylesheets
from kmsg_authoring.lint.scanner import Scanner

if TYPE_CHECKING:
    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.lint.context import Context


def locate(compiled: CompiledTemplate, offset: int, root: Path | None = None) -> Location:
    """Where the designer wrote the character at an offset of `compiled.rendered`."""
    return Scanner(compiled, None, stylesheets(compiled, root)).at(offset)


class Scan:
    """A template's feature uses, and where the designer wrote each one (located on demand)."""

    def __init__(
        self,
        compiled: CompiledTemplate,
        data: Data | None = None,
        root: Path | None = None,
        tokens: Sequence[re.Match[str]] | None = None,
    ) -> None:
        self._scanner = Scanner(compiled, data or load(), stylesheets(compiled, root))
        self._scanner.scan_html(0, len(compiled.rendered), None, tokens)
        self.uses: list[Use] = self._scanner.uses
        self._by_kind: dict[str, list[Use]] | None = None

    def of_kind(self, kind: str) -> list[Use]:
        """The uses of one kind (CSS, AT_RULE...), in document order."""
        if self._by_kind is None:
            self._by_kind = {}
            for use in self.uses:
                self._by_kind.setdefault(use.kind, []).append(use)
        return self._by_kind.get(kind, [])

    def locator(self) -> Scanner:
        """The scanner, for locating offsets of the rendered HTML."""
        return self._scanner

    def at(self, use: Use) -> Location:
        """The source location of a use: layout, partial, stylesheet or body, line and column."""
        if use.where is not None:
            return use.where
        if use.mark is not None:
            found = self._scanner.compiled.source_map.element_location(use.mark)
            if found is not None:
                return found
        return self._scanner.at(use.offset)


def scan(compiled: CompiledTemplate, data: Data | None = None, root: Path | None = None) -> Scan:
    """Every feature use of a compiled template, in document order."""
    return Scan(compiled, data, root)


def scanned(ctx: Context) -> Scan:
    """The template's feature scan, made once for every rule that asks about features (on the
    lexer's matches the other rules read too)."""
    found = ctx.cache.get("caniemail-scan")
    if found is None:
        root = ctx.config.root if ctx.config is not None else None
        html = ctx.compiled.rendered
        found = ctx.cache["caniemail-scan"] = Scan(ctx.compiled, load(), root, ctx.lexed(html))
    if not isinstance(found, Scan):
        raise RuntimeError("the lint cache holds something else under the feature scan's key")
    return found


def locate_in(ctx: Context, offset: int) -> Location:
    """Where the designer wrote the character at an offset of `ctx.compiled.rendered` (with the
    template's feature scan when one was made: its stylesheets are read and its lines indexed)."""
    found = ctx.cache.get("caniemail-scan")
    if isinstance(found, Scan):
        return found.locator().at(offset)
    root = ctx.config.root if ctx.config is not None else None
    return locate(ctx.compiled, offset, root)


def targeted(ctx: Context) -> tuple[str, ...]:
    """The template's targeted clients, resolved once per template."""
    found = ctx.cache.get("clients")
    if found is None:
        from kmsg_authoring.lint.settings import resolve_clients

        project = ctx.config.lint if ctx.config is not None else None
        found = ctx.cache["clients"] = resolve_clients(project, ctx.compiled.settings.get("lint"), ctx.compiled.meta)
    return tuple(found)


class Support:
    """The support of features for one set of targeted clients: computed once per process per
    target set, so judging a use is a lookup by (feature, where it stands), not a walk per client."""

    def __init__(self, data: Data, clients: tuple[str, ...]) -> None:
        self.data = data
        self.clients = clients
        self._verdicts: dict[tuple[str, bool | None, tuple[str, ...], str], tuple[list[str], list[str]]] = {}
        self._described: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}

    def verdict(self, use: Use) -> tuple[list[str], list[str]]:
        """(clients without support, clients with partial support) among those that read a use.

        The lists are shared: callers read them, never change them.
        """
        key = (use.feature, use.mso, use.media, use.inside)
        found = self._verdicts.get(key)
        if found is None:
            data = self.data
            found = self._verdicts[key] = lacking(
                data.features[use.feature], applies(use, self.clients, data), use.inside
            )
        return found

    def describe(self, feature: Feature, missing: Sequence[str], partial: Sequence[str]) -> str:
        """`describe` for this data, memoised: the same feature misses the same clients in many templates."""
        key = (feature.slug, tuple(missing), tuple(partial))
        found = self._described.get(key)
        if found is None:
            found = self._described[key] = describe(feature, missing, partial, self.data)
        return found


_SUPPORT: dict[tuple[int, tuple[str, ...]], tuple[Data, Support]] = {}


def support(data: Data, clients: Sequence[str]) -> Support:
    """The support table for a data set and a set of targeted clients, made once per process."""
    key = (id(data), tuple(clients))
    found = _SUPPORT.get(key)
    if found is None or found[0] is not data:
        if len(_SUPPORT) > 64:  # many target sets (one per template at worst): keep memory bounded
            _SUPPORT.clear()
        found = _SUPPORT[key] = (data, Support(data, tuple(clients)))
    return found[1]


def applies(use: Use, clients: Sequence[str], data: Data) -> list[str]:
    """The clients among `clients` that read a use: MSO-only, hidden from MSO, behind @media."""
    out = list(clients) if use.mso is None else [c for c in clients if (c == MSO_CLIENT) == use.mso]
    for media in use.media:
        slugs = data.media if media == ALL_MEDIA else data.media_features.get(media, ())
        for slug in slugs:
            feature = data.features[slug]
            out = [c for c in out if feature.value(c) not in (UNSUPPORTED,)]
    return out


def lacking(feature: Feature, clients: Sequence[str], inside: str = "") -> tuple[list[str], list[str]]:
    """(clients without support, clients with partial support) of a feature among `clients`.

    `inside` names where the use stands ("body"): a partial support whose note says it does not
    work inside that element counts as none.
    """
    missing = [c for c in clients if feature.value(c) == UNSUPPORTED]
    partial = [c for c in clients if feature.value(c) == PARTIAL]
    if inside:
        where = f"inside the <{inside}>"
        gone = [c for c in partial if where in feature.on(c).note.replace("`", "").lower()]
        missing += gone
        partial = [c for c in partial if c not in gone]
    return missing, partial


def describe(feature: Feature, missing: Sequence[str], partial: Sequence[str], data: Data) -> str:
    """ "unsupported in A, B; partial in C, D (note)": clients sharing a note are listed together."""
    parts: list[str] = []
    for label, clients in (("unsupported", missing), ("partial", partial)):
        by_note: dict[str, list[str]] = {}
        for c in clients:
            by_note.setdefault(_clean(feature.on(c).note), []).append(data.name(c))
        for note, names in by_note.items():
            parts.append(f"{label} in {', '.join(names)}" + (f" ({note})" if note else ""))
    return "; ".join(parts)


def _clean(note: str) -> str:
    """A note as one short lower-case clause: "Partial. Not supported with X. More." -> "not supported with X"."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", note.strip()).replace("`", "'")
    text = re.sub(r"\A(?:(?:Partial|Buggy|Not supported)(?: support)?\.\s*)+(?=\S)", "", text)
    text = re.split(r"(?<=[a-z0-9')])\.\s", text, maxsplit=1)[0].rstrip(".")
    if len(text) > 90:
        text = text[:87].rstrip() + "..."
    return text[:1].lower() + text[1:] if text else ""
