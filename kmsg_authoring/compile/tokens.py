"""Send-time token references in sources, and shielding them from Jinja and CSS inliners.

The grammar of a reference (`{name}`, `{name.field}`, entity-encoded braces) is an API fact and
lives in model/; this module adds what the compiler needs on top of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from kmsg_authoring.model import NAME as NAME
from kmsg_authoring.model import NAME_RE as NAME_RE
from kmsg_authoring.model import TOKEN_RE as TOKEN_RE
from kmsg_authoring.model import RawToken as RawToken
from kmsg_authoring.model import find_tokens as find_tokens
from kmsg_authoring.model import number_of_tokens_used as number_of_tokens_used

# Jinja blocks are skipped when shielding a Jinja source: what is inside them is build-time code.
_JINJA_OR_TOKEN = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|" + TOKEN_RE.pattern, re.DOTALL)

PLACEHOLDER_PREFIX = "kmsgtk"
# The number has no fixed width: a build may shield any number of references. The closing "q" ends
# it, so digits written right after a token stay outside the placeholder.
PLACEHOLDER_RE = re.compile(r"kmsgtk(\d+)q")


def canonical(name: str, field: str | None) -> str:
    """A reference's canonical spelling, the one the API substitutes: {name} or {name.field}."""
    return "{" + name + ("." + field if field is not None else "") + "}"


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
