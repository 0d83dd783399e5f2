"""Locales: gettext PO catalogs read with Babel, the gettext the build-time Jinja calls, message
extraction (a .pot) and catalog upkeep.

A message is written once, in the default locale, with its send-time tokens as they are
(`{% trans %}Hi {recipient.firstName}{% endtrans %}`). The loader shields those tokens before Jinja
runs, so gettext receives placeholders: it puts the tokens back to find the message as translators
see it (the msgid Babel's Jinja extractor read from the unshielded source), and shields the tokens of
the translation it returns, located at the translation's PO entry. Every token therefore stays a
token in every language, and a finding about one points at the line a translator edits.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmsg_authoring.compile.tokens import PLACEHOLDER_PREFIX, TOKEN_RE, Shield, Shielded
from kmsg_authoring.errors import Location, SourceError
from kmsg_authoring.compile.types import MARK_RE
from kmsg_authoring.source.project import (
    digest,
    note_read,
    read_bytes,
)
from kmsg_authoring.model import FROM_NAME, SUBJECT

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

    from kmsg_authoring.source.config import Config

LOCALES_DIR = "_locales"
DOMAIN = "messages"
# The keywords Babel's extractor and Jinja's i18n extension both know as gettext calls.
KEYWORDS: tuple[str, ...] = ("_", "gettext", "ngettext", "pgettext", "npgettext")
COMMENT_TAGS: tuple[str, ...] = ("Translators:",)
# template.yaml fields whose Jinja may hold messages ({{ _("...") }}).
TRANSLATABLE_FIELDS: tuple[str, ...] = (SUBJECT, FROM_NAME, "description")
TRANSLATED, FUZZY, MISSING = "translated", "fuzzy", "missing"


def catalog_path(config: Config, locale: str) -> Path:
    """templates_src/_locales/<locale>/LC_MESSAGES/messages.po."""
    return config.src_dir / LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def template_path(config: Config) -> Path:
    """templates_src/_locales/messages.pot: every message of the sources, untranslated."""
    return config.src_dir / LOCALES_DIR / f"{DOMAIN}.pot"


def direction(locale: str) -> str:
    """'rtl' for a right-to-left script (Hebrew, Arabic...), else 'ltr', as Babel's locale data says."""
    from babel import Locale, UnknownLocaleError

    try:
        return "rtl" if Locale.parse(locale).character_order == "right-to-left" else "ltr"
    except (UnknownLocaleError, ValueError):
        return "ltr"


def html_lang(locale: str) -> str:
    """The BCP 47 spelling of a catalog locale for <html lang>: pt_BR -> pt-BR."""
    return locale.replace("_", "-")


@dataclass(frozen=True)
class TranslationUse:
    """One message a locale's build looked up: what it found and where."""

    locale: str
    msgid: str  # as written in the source, tokens as they are (the singular of a plural message)
    plural: str | None
    strings: tuple[str, ...]  # the translation(s) in the catalog; empty when missing
    state: str  # TRANSLATED | FUZZY | MISSING
    location: Location  # the PO entry when the catalog has one, else where the message is written

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (the build cache)."""
        return {
            "locale": self.locale,
            "msgid": self.msgid,
            "plural": self.plural,
            "strings": list(self.strings),
            "state": self.state,
            "path": self.location.path,
            "line": self.location.line,
            "col": self.location.col,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TranslationUse:
        """Inverse of to_json."""
        return cls(
            data["locale"],
            data["msgid"],
            data["plural"],
            tuple(data["strings"]),
            data["state"],
            Location(data["path"], data["line"], data["col"]),
        )


@dataclass
class LoadedCatalog:
    """A locale's PO catalog as read: the Babel catalog, its project path and the hash of its bytes."""

    catalog: Catalog
    rel: str
    sha: str
    plural: Callable[[int], int]


def read_catalog(config: Config, path: Path, locale: str | None) -> tuple[Catalog, str, str]:
    """A PO (or POT) file read with Babel; SourceError at the offending line when it is not valid."""
    from babel.messages.pofile import PoFileError, read_po

    rel = config.rel(path)
    data = read_bytes(path, rel, root=config.root)
    try:
        catalog = read_po(io.BytesIO(data), locale=locale, abort_invalid=True, charset="utf-8")
    except PoFileError as exc:
        # Babel counts lines from 0.
        raise SourceError(
            f"not a valid PO file: {exc.args[0] if exc.args else exc}",
            Location(rel, int(getattr(exc, "lineno", 0) or 0) + 1),
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"not a valid PO file: {exc}", Location(rel)) from None
    return catalog, rel, digest(data)


def _plural_function(catalog: Catalog) -> Callable[[int], int]:
    import gettext

    try:
        return gettext.c2py(catalog.plural_expr)
    except (ValueError, SyntaxError):
        return lambda n: int(n != 1)


def _reserved(text: str, where: Location) -> None:
    if PLACEHOLDER_PREFIX in text:
        raise SourceError(f"'{PLACEHOLDER_PREFIX}' is reserved for kmsg-author's own use", where)


class Translator:
    """The gettext of one build: catalogs read once, each compile's locale and what it looked up."""

    def __init__(self, config: Config, shield: Shield) -> None:
        self.config = config
        self.shield = shield
        self._catalogs: dict[str, LoadedCatalog | None] = {}
        self.locale: str | None = None
        self.used: list[TranslationUse] = []
        self.translatable = False
        self._noted: set[str] = set()
        self.files: set[str] = set()  # the catalogs this compile looked in (project-relative), present or not

    def begin(self, locale: str | None) -> None:
        """Start one template's compile in a locale (None: the project has no [i18n] locales)."""
        self.locale = locale
        self.used = []
        self.translatable = False
        self._noted = set()
        self.files = set()

    def catalog(self, locale: str) -> LoadedCatalog | None:
        """The locale's catalog (None when it has none); its read counts for the template being compiled."""
        if locale not in self._catalogs:
            path = catalog_path(self.config, locale)
            if path.is_file():
                catalog, rel, sha = read_catalog(self.config, path, locale)
                self._catalogs[locale] = LoadedCatalog(catalog, rel, sha, _plural_function(catalog))
            else:
                self._catalogs[locale] = None
        loaded = self._catalogs[locale]
        if locale not in self._noted:
            self._noted.add(locale)
            # The build cache keys a template by what it read: creating or editing the catalog is a change.
            rel = loaded.rel if loaded is not None else self.config.rel(catalog_path(self.config, locale))
            note_read(rel, loaded.sha if loaded is not None else None)
            self.files.add(rel)
        return loaded

    def translate(self, singular: str, plural: str | None, n: int, where: Location) -> str:
        """The text of a message in the current locale, tokens shielded (the source text when untranslated)."""
        self.translatable = True
        fallback = singular if plural is None or n == 1 else plural
        locale = self.locale
        if not locale:
            return fallback
        # The msgid as the extractor read it: tokens put back, the build's element marks taken out.
        msgid = MARK_RE.sub("", self.shield.restore(singular))
        loaded = self.catalog(locale)
        message = loaded.catalog.get(msgid) if loaded is not None else None
        strings: tuple[str, ...] = ()
        if message is not None:
            raw = message.string
            strings = tuple(raw) if isinstance(raw, (list, tuple)) else (raw,) if raw else ()
        state = MISSING if message is None or not any(strings) else FUZZY if message.fuzzy else TRANSLATED
        entry = Location(loaded.rel, message.lineno or 1, 1) if loaded is not None and message is not None else where
        if not (state == MISSING and locale == self.config.default_locale):
            plural_id = MARK_RE.sub("", self.shield.restore(plural)) if plural else None
            self.used.append(TranslationUse(locale, msgid, plural_id, strings, state, entry))
        if state != TRANSLATED:
            return fallback  # gettext's rule: a fuzzy or missing entry is not used
        if loaded is None:
            raise RuntimeError("a translated entry without its catalog")
        index = 0 if plural is None else max(0, min(loaded.plural(n), len(strings) - 1))
        text = strings[index] or fallback
        if text is fallback:
            return text
        _reserved(text, entry)
        return TOKEN_RE.sub(
            lambda m: self.shield.placeholder(
                Shielded(m.group(0), m.group(1), m.group(2), entry.path, entry.line, entry.col)
            ),
            text,
        )

    # -- build-time formatting in the locale ----------------------------------------------------
    @property
    def babel_locale(self) -> str:
        """The locale formatting helpers use: the compile's, else the default, else English."""
        return self.locale or self.config.default_locale or "en"

    def filters(self) -> dict[str, Callable[..., str]]:
        """Babel's number, currency and date formatting as Jinja filters, in the current locale.

        Babel is imported by a filter when a template uses it: every build and every pre-commit lint
        makes these filters, and most templates format nothing.
        """

        def as_date(value: Any) -> Any:
            if isinstance(value, (date, datetime)):
                return value
            text = str(value)
            try:
                return datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"'{text}' is not an ISO date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None

        def decimal(value: Any, format: str | None = None) -> str:
            from babel import numbers

            return numbers.format_decimal(value, format=format, locale=self.babel_locale)

        def currency(value: Any, currency: str, format: str | None = None) -> str:
            from babel import numbers

            return numbers.format_currency(value, currency, format=format, locale=self.babel_locale)

        def percent(value: Any, format: str | None = None) -> str:
            from babel import numbers

            return numbers.format_percent(value, format=format, locale=self.babel_locale)

        def fdate(value: Any, format: str = "medium") -> str:
            from babel import dates

            return dates.format_date(as_date(value), format=format, locale=self.babel_locale)

        def fdatetime(value: Any, format: str = "medium") -> str:
            from babel import dates

            return dates.format_datetime(as_date(value), format=format, locale=self.babel_locale)

        def ftime(value: Any, format: str = "medium") -> str:
            from babel import dates

            return dates.format_time(as_date(value), format=format, locale=self.babel_locale)

        return {
            "format_decimal": decimal,
            "format_number": decimal,
            "format_currency": currency,
            "format_percent": percent,
            "format_date": fdate,
            "format_datetime": fdatetime,
            "format_time": ftime,
        }


# -- extraction and catalog upkeep ------------------------------------------------------------


# -- <html lang dir> ---------------------------------------------------------------------------

# The document's root start tag: <html>, or <mjml> for a body written in MJML.
_ROOT_START = {
    name: re.compile(rf"<{name}\b((?:\"[^\"]*\"|'[^']*'|[^'\">])*)>", re.IGNORECASE) for name in ("html", "mjml")
}
_LANG_DIR = re.compile(r"""\s(?:lang|dir)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)


def set_language(html: str, locale: str, root: str = "html") -> str:
    """The document with <html lang dir> (or <mjml lang dir>) set for the locale (the first such start tag;
    none: unchanged)."""
    m = _ROOT_START[root].search(html)
    if m is None:
        return html
    attrs = _LANG_DIR.sub("", m.group(1)).rstrip()
    attrs = attrs.removesuffix("/")
    tag = f'<{root} lang="{html_lang(locale)}" dir="{direction(locale)}"{attrs}>'
    return html[: m.start()] + tag + html[m.end() :]
