"""The Can I email data shipped with the package, loaded once, with the lookup tables the scanner uses.

The JSON (lint/data/caniemail.json, made by scripts/caniemail_data.py from a snapshot of
caniemail.com's data; MIT, see lint/data/CANIEMAIL.txt) is read on first use only: a lint run that
disables every client-support rule never pays for it.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from kmsg_authoring.errors import ConfigError, Location

DATA_FILE = "caniemail.json"
SUPPORTED, PARTIAL, UNSUPPORTED, UNKNOWN = "y", "a", "n", "u"

# The clients most mail is opened in: Apple Mail on iOS and macOS, Gmail on the web, Android and
# iOS, Outlook on Windows, macOS, the web (Outlook.com), iOS and Android, Yahoo and Samsung Email.
DEFAULT_CLIENTS: tuple[str, ...] = (
    "apple-mail.ios",
    "apple-mail.macos",
    "gmail.desktop-webmail",
    "gmail.android",
    "gmail.ios",
    "outlook.windows",
    "outlook.macos",
    "outlook.outlook-com",
    "outlook.ios",
    "outlook.android",
    "yahoo.desktop-webmail",
    "samsung-email.android",
)
# Features a client that lacks them skips harmlessly and good practice asks for (the dark-mode rules
# want the color-scheme meta tag): not reported by default, not counted against a client.
HARMLESS: tuple[str, ...] = ("html-meta-color-scheme",)
# The <link> element: for a remote stylesheet, remote-stylesheet (KM602) names the clients that lack it.
LINK_FEATURE = "html-link"
MSO_CLIENT = "outlook.windows"  # the only client that reads <!--[if mso]> conditional comments


@dataclass(frozen=True)
class Support:
    """One client's latest tested support of a feature: y, a (partial), n or u, with its note."""

    value: str
    note: str
    version: str


_UNKNOWN = Support(UNKNOWN, "", "")


@dataclass(frozen=True)
class Feature:
    """A Can I email feature: what it is, what in a template it covers, and who supports it."""

    slug: str
    title: str
    category: str
    url: str
    tested: str
    match: Mapping[str, Any]
    support: Mapping[str, Sequence[str]]  # client -> [value, note, version], as shipped

    def on(self, client: str) -> Support:
        """The support in a client; unknown when the data has no test for it."""
        found = self.support.get(client)
        # Support objects are made on demand: building ~12,000 of them up front costs more than
        # the lookups of a lint run.
        return Support(*found) if found else _UNKNOWN

    def value(self, client: str) -> str:
        """Just the support value in a client: y, a, n or u."""
        found = self.support.get(client)
        return found[0] if found else UNKNOWN


@dataclass(frozen=True)
class Data:
    """The data set and lookup tables from what a template uses to the features that cover it."""

    clients: Mapping[str, str]  # family.platform -> display name
    features: Mapping[str, Feature]
    properties: Mapping[str, tuple[str, ...]]  # CSS property -> features
    property_prefixes: tuple[tuple[str, str], ...]  # (prefix, feature) for "animation-*" and the like
    prefix_keys: tuple[str, ...]  # the prefixes alone, for one str.startswith test
    values: Mapping[tuple[str, str], tuple[str, ...]]  # (property, value word) -> features
    functions: Mapping[str, tuple[str, ...]]
    units: Mapping[str, tuple[str, ...]]
    keywords: Mapping[str, tuple[str, ...]]
    at_rules: Mapping[str, tuple[str, ...]]
    media_features: Mapping[str, tuple[str, ...]]
    media: tuple[str, ...]  # features of any @media rule
    selectors: Mapping[str, tuple[str, ...]]
    elements: Mapping[str, tuple[tuple[str | None, str | None, str], ...]]  # tag -> (attr, value, feature)
    attributes: Mapping[str, tuple[str, ...]]
    hrefs: tuple[tuple[str, str], ...]  # (prefix, feature)
    images: Mapping[str, tuple[str, ...]]  # extension or data-URI type (or "base64") -> features

    def name(self, client: str) -> str:
        """A client's display name: "Outlook (Windows)"."""
        return self.clients.get(client, client)


def _table(pairs: Iterable[tuple[Any, str]]) -> dict[Any, tuple[str, ...]]:
    out: dict[Any, tuple[str, ...]] = {}
    for key, slug in pairs:
        out[key] = (*out.get(key, ()), slug)
    return out


def build(raw: Mapping[str, Any]) -> Data:
    """Features and lookup tables from the shipped JSON."""
    features = {
        slug: Feature(slug, f["title"], f["category"], f["url"], f["tested"], f["match"], f["support"])
        for slug, f in raw["features"].items()
    }

    def each(key: str) -> Iterable[tuple[str, str]]:
        for slug, f in features.items():
            for item in f.match.get(key, ()):
                yield item, slug

    props = list(each("properties"))
    elements: dict[str, list[tuple[str | None, str | None, str]]] = {}
    for item, slug in each("elements"):
        tag, _, cond = item.partition("[")
        attr, _, value = cond.rstrip("]").partition("=")
        elements.setdefault(tag, []).append((attr or None, value or None, slug))
    return Data(
        clients=dict(raw["clients"]),
        features=features,
        properties=_table((p, s) for p, s in props if not p.endswith("*")),
        property_prefixes=tuple((p[:-1], s) for p, s in props if p.endswith("*")),
        prefix_keys=tuple(p[:-1] for p, _ in props if p.endswith("*")),
        values=_table(
            ((prop, word), slug)
            for slug, f in features.items()
            for prop, words in f.match.get("values", {}).items()
            for word in words
        ),
        functions=_table(each("functions")),
        units=_table(each("units")),
        keywords=_table(each("keywords")),
        at_rules=_table(each("at_rules")),
        media_features=_table(each("media_features")),
        media=tuple(slug for slug, f in features.items() if f.match.get("media")),
        selectors=_table(each("selectors")),
        elements={tag: tuple(v) for tag, v in elements.items()},
        attributes=_table(each("attributes")),
        hrefs=tuple(each("hrefs")),
        images=_table(each("images")),
    )


@cache
def load() -> Data:
    """The shipped data, read and indexed once per process."""
    text = resources.files("kmsg_authoring.lint").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return build(json.loads(text))


def select_clients(
    patterns: Sequence[str], known: Iterable[str], where: str = "[lint] clients", location: Location | None = None
) -> tuple[str, ...]:
    """The clients (`family.platform`) that glob patterns select, in the data's order.

    A pattern without a dot selects every platform of a family ("gmail" is "gmail.*"). A pattern
    that selects nothing is an error: a typo must not silently shrink the audience.
    """
    names = list(known)
    chosen: list[str] = []
    for pattern in patterns:
        glob = pattern.strip().lower()
        if "." not in glob and not any(ch in glob for ch in "*?["):
            glob += ".*"
        hits = [n for n in names if fnmatch.fnmatchcase(n, glob)]
        if not hits:
            from kmsg_authoring.lint.context import did_you_mean

            raise ConfigError(
                f"{where}: '{pattern}' matches no known client{did_you_mean(pattern, names)}; "
                "`kmsg-author clients` lists them",
                location,
            )
        chosen.extend(h for h in hits if h not in chosen)
    return tuple(n for n in names if n in chosen)


def targets(raw: Any, where: str, location: Location | None, data: Data | None = None) -> tuple[str, ...]:
    """Validate a `clients` setting (a list of globs) and select the clients it names."""
    if not isinstance(raw, list) or not all(isinstance(p, str) and p.strip() for p in raw) or not raw:
        raise ConfigError(f'{where} must be a non-empty list of client globs such as "gmail.*"', location)
    return select_clients(raw, (data or load()).clients, where, location)
