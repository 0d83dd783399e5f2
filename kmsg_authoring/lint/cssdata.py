"""MDN's CSS data (lint/data/css.json, made by scripts/css_data.py): which properties, at-rules,
functions and units exist, and what each property's value may be made of.

A property's syntax (the CSS value definition syntax of the specifications: `<length> | auto`)
is expanded through the named types it uses into what its top-level value tokens may be: the
keywords, the functions, and the primitive types (length, number, percentage, color...). That is
a check of each word of a value, not a match of the whole grammar: the order and the count of the
parts are not checked, and what is inside a function is left alone.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

DATA_FILE = "css.json"
# Values every property takes (CSS Cascading and Inheritance).
GLOBAL_KEYWORDS = frozenset({"inherit", "initial", "unset", "revert", "revert-layer"})
# Functions whose result any numeric part of a value may be, and substitutions resolved before a
# value is parsed (CSS Values and Units, CSS Custom Properties, CSS Environment Variables).
ANYWHERE_FUNCTIONS = frozenset({"calc", "min", "max", "clamp", "var", "env", "attr"})
# Types that accept any identifier or any value at all: words of these values cannot be judged.
OPEN_TYPES = frozenset(
    {"custom-ident", "ident", "dashed-ident", "declaration-value", "any-value", "custom-property-name"}
)
# Prefixes of the properties that mail clients read and MDN does not list: browsers' vendor prefixes
# (-webkit-, -moz-, -ms-, -o-) and Microsoft Office's mso- properties, which Outlook for Windows reads
# (no published dataset lists them; a client that does not know one ignores it).
KNOWN_PREFIXES = ("-", "mso-")
_SYNTAX = re.compile(r"<'([^']+)'>|<([-\w()]+)(?:\s*\[[^\]]*\])?>|([-\w]+)\(|(\))|([-a-zA-Z][-\w]*)")


@dataclass(frozen=True)
class Accepts:
    """What the top-level tokens of a property's value may be."""

    keywords: frozenset[str]  # lower case
    functions: frozenset[str]
    types: frozenset[str]  # primitive types: length, percentage, number, integer, hex-color, url...

    @property
    def open(self) -> bool:
        """Any identifier is acceptable (a font family name, an animation name...)."""
        return bool(self.types & OPEN_TYPES)


@dataclass(frozen=True, eq=False)  # hashed by identity: one instance per process
class CssData:
    """The shipped data."""

    properties: dict[str, str]  # name -> value syntax
    types: dict[str, str]  # type name ("length-percentage", "rgb()") -> syntax
    at_rules: frozenset[str]
    functions: frozenset[str]
    units: dict[str, str]  # unit (lower case) -> its dimension: length, angle, time...
    source: dict[str, str]

    def accepts(self, prop: str) -> Accepts | None:
        """What a property's value may hold (None for a property MDN does not list)."""
        return _accepts(self, prop)


@functools.lru_cache(maxsize=1)
def load() -> CssData:
    """The shipped data, read once per process."""
    text = resources.files("kmsg_authoring.lint").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    raw: dict[str, Any] = json.loads(text)
    units = {unit: kind for kind, found in raw["units"].items() for unit in found}
    return CssData(
        properties=raw["properties"],
        types=raw["types"],
        at_rules=frozenset(raw["at_rules"]),
        functions=frozenset(raw["functions"]),
        units=units,
        source=raw["source"],
    )


def known_property(data: CssData, prop: str) -> bool:
    """A property a mail client may read: listed by MDN, custom (--x), vendor-prefixed or mso-."""
    return prop in data.properties or prop.startswith(KNOWN_PREFIXES)


@functools.lru_cache(maxsize=1024)
def _accepts(data: CssData, prop: str) -> Accepts | None:
    syntax = data.properties.get(prop)
    if syntax is None:
        return None
    keywords: set[str] = set()
    functions: set[str] = set()
    types: set[str] = set()
    _expand(data, syntax, keywords, functions, types, set())
    return Accepts(frozenset(keywords), frozenset(functions), frozenset(types))


def _expand(
    data: CssData, syntax: str, keywords: set[str], functions: set[str], types: set[str], seen: set[str]
) -> None:
    """Collect the top-level keywords, functions and primitive types a syntax allows, through its types."""
    depth = 0
    for m in _SYNTAX.finditer(syntax):
        prop_ref, type_ref, func, close, word = m.groups()
        if func is not None:
            if depth == 0:
                functions.add(func.lower())
            depth += 1
        elif close is not None:
            depth = max(depth - 1, 0)
        elif depth:
            continue
        elif prop_ref is not None:
            key = f"'{prop_ref}'"
            if key not in seen and prop_ref in data.properties:
                seen.add(key)
                _expand(data, data.properties[prop_ref], keywords, functions, types, seen)
        elif type_ref is not None:
            if type_ref.endswith("()"):
                functions.add(type_ref[:-2].lower())
            elif type_ref in data.types:
                if type_ref not in seen:
                    seen.add(type_ref)
                    _expand(data, data.types[type_ref], keywords, functions, types, seen)
            else:
                types.add(type_ref)
        elif word is not None:
            keywords.add(word.lower())
