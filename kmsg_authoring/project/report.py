"""What a build did, template by template: the report every command that builds reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kmsg_authoring.compile.types import CompiledTemplate
from kmsg_authoring.errors import KmsgError
from kmsg_authoring.lint.problem import Problem


@dataclass
class BuildReport:
    """What a build did: compiled templates, failures and lint problems per slug."""

    compiled: dict[str, CompiledTemplate] = field(default_factory=dict)
    failures: dict[str, list[KmsgError]] = field(default_factory=dict)
    problems: dict[str, list[Problem]] = field(default_factory=dict)
    rebuilt: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # not loaded: sources unchanged, outputs proven current
    written: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one-line warnings: the cache could not be used or saved
    # A template with translatable text is filed once per locale, under "<slug>.<locale>".
    variants: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (slug, locale)

    @property
    def ok(self) -> bool:
        """True when every template compiled without lint errors."""
        return not self.failures

    def slug_of(self, key: str) -> str:
        """The template folder a report key belongs to."""
        return self.variants[key][0] if key in self.variants else key

    def keys(self, slugs: Iterable[str]) -> list[str]:
        """The report keys of templates: the slug, or one "<slug>.<locale>" per locale."""
        wanted = list(slugs)
        by_slug: dict[str, list[str]] = {}
        for key, (slug, _) in self.variants.items():
            by_slug.setdefault(slug, []).append(key)
        return [k for slug in wanted for k in (sorted(by_slug[slug]) if slug in by_slug else [slug])]
