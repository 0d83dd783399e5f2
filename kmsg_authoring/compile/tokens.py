"""The grammar of send-time token references, and shielding them from Jinja and CSS inliners.

A reference is `{name}` or `{name.field}`. Braces may be written as entities (`&#123;`, `&#x7b;`,
`&lbrace;`, `&lcub;` and their closing twins): such a reference is the token it becomes once the
HTML is parsed. A brace doubled on either side (`{{name}}`) belongs to another template language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
NAME_RE = re.compile(rf"\A{NAME}\Z")
# (?<!\{\{) after the brace (not a lookbehind before it) keeps a literal first character, which lets
# the regex engine skip quickly through text without braces or ampersands.
OPEN = r"(?:\{(?<!\{\{)|&(?:\#0*123;|\#[xX]0*7[bB];|lbrace;|lcub;))"
CLOSE = r"(?:\}|&\#0*125;|&\#[xX]0*7[dD];|&rbrace;|&rcub;)"
# A doubled brace on either side ({{name}}) belongs to another template language.
TOKEN_RE = re.compile(rf"{OPEN}({NAME})(?:\.({NAME}))?{CLOSE}(?!\}})")
# Jinja blocks are skipped when shielding a Jinja source: what is inside them is build-time code.
_JINJA_OR_TOKEN = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|" + TOKEN_RE.pattern, re.DOTALL)

PLACEHOLDER_PREFIX = "kmsgtk"
# The number has no fixed width: a build may shield any number of references. The closing "q" ends
# it, so digits written right after a token stay outside the placeholder.
PLACEHOLDER_RE = re.compile(r"kmsgtk(\d+)q")


def canonical(name: str, field: str | None) -> str:
    """A reference's canonical spelling, the one the API substitutes: {name} or {name.field}."""
    return "{" + name + ("." + field if field is not None else "") + "}"


@dataclass(frozen=True)
class RawToken:
    """A token reference found in a text."""

    start: int
    end: int
    name: str
    field: str | None
    raw: str


def find_tokens(text: str) -> Iterator[RawToken]:
    """Every valid token reference in a text, in order."""
    for m in TOKEN_RE.finditer(text):
        yield RawToken(m.start(), m.end(), m.group(1), m.group(2), m.group(0))


def find_source_tokens(text: str, jinja: bool) -> Iterator[RawToken]:
    """Token references in a source file; with jinja, none inside {{ }}, {% %} or {# #}."""
    if not jinja:
        yield from find_tokens(text)
        return
    for m in _JINJA_OR_TOKEN.finditer(text):
        if m.group(1) is not None:
            yield RawToken(m.start(), m.end(), m.group(1), m.group(2), m.group(0))


@dataclass(frozen=True)
class Shielded:
    """What a placeholder stands for."""

    raw: str
    name: str
    field: str | None
    path: str | None
    line: int
    col: int

    @property
    def text(self) -> str:
        """The canonical spelling: {name} or {name.field}."""
        return canonical(self.name, self.field)


class Shield:
    """Swaps token references for inert placeholders and puts them back.

    Placeholders are lowercase letters and digits, so no inliner encodes, escapes or re-cases them;
    each remembers the reference as written and where the designer wrote it.
    """

    def __init__(self) -> None:
        self.entries: list[Shielded] = []

    def placeholder(self, entry: Shielded) -> str:
        """Register an entry; its placeholder text."""
        self.entries.append(entry)
        return f"{PLACEHOLDER_PREFIX}{len(self.entries) - 1}q"

    def entry(self, placeholder_match: re.Match[str]) -> Shielded:
        """The entry behind a PLACEHOLDER_RE match."""
        return self.entries[int(placeholder_match.group(1))]

    def restore(self, text: str) -> str:
        """Put every reference back exactly as written."""
        return PLACEHOLDER_RE.sub(lambda m: self.entry(m).raw, text)

    def restore_canonical(self, text: str) -> str:
        """Put every reference back in its canonical spelling ({name} or {name.field}).

        What the API substitutes: a reference written with entity-encoded braces (&#123;x&#125;)
        would otherwise reach the payload encoded, and recipients would read {x}.
        """
        return PLACEHOLDER_RE.sub(lambda m: self.entry(m).text, text)


# Section 4: tokens are placeholders in the subject, body and fromName.
COUNTED_FIELDS = ("subject", "body", "fromName")


def number_of_tokens_used(payload: dict[str, object]) -> int:
    """numberOfTokenUsed as the API counts it: distinct tokens referenced in subject, body and fromName."""
    names: set[str] = set()
    for field in COUNTED_FIELDS:
        value = payload.get(field)
        if isinstance(value, str):
            names.update(t.name for t in find_tokens(value))
    return len(names)
