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

import codecs
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


# No language has more than six plural forms (Arabic); a catalog saying more is refused before Babel
# allocates that many translations for each plural message.
MAX_PLURAL_FORMS = 10
# Values of n a catalog's plural expression is tried on: every form it names must exist.
_PLURAL_PROBES = range(1001)


class _HeaderError(Exception):
    """A catalog header field Babel would misread, at the header's first line (0-based) and field name."""

    def __init__(self, message: str, header_line: int, field: str) -> None:
        super().__init__(message)
        self.header_line = header_line
        self.field = field


def _check_plural_forms(value: str) -> None:
    """Raise ValueError unless a Plural-Forms value says nplurals (1..MAX) and a valid plural expression."""
    import gettext

    from babel.messages.catalog import parse_separated_header

    params = parse_separated_header(f" ;{value}")  # as Babel's Catalog reads the header
    count = params.get("nplurals", "").strip()
    expr = params.get("plural", "").strip()
    if not count or not expr:
        raise ValueError(f"Plural-Forms must say nplurals=N; plural=EXPRESSION; (found {value.strip()[:80]!r})")
    if not count.isdigit() or not 1 <= int(count) <= MAX_PLURAL_FORMS:
        raise ValueError(f"nplurals must be a number from 1 to {MAX_PLURAL_FORMS} (found {count[:20]!r})")
    try:
        plural = gettext.c2py(expr)
    except (ValueError, SyntaxError) as exc:
        raise ValueError(f"plural={expr[:80]!r} is not a valid plural expression ({exc})") from None
    for n in _PLURAL_PROBES:
        form = plural(n)
        if not 0 <= form < int(count):
            raise ValueError(f"plural={expr[:80]!r} gives form {form} for n={n}, but nplurals={count}")


def _check_header(text: str, header_line: int) -> None:
    """Refuse a header whose Plural-Forms or charset Babel would misread or spend memory on."""
    from email import message_from_string

    from babel.messages.catalog import parse_separated_header

    headers = message_from_string(text)
    plural_forms = headers.get("Plural-Forms")
    if plural_forms is not None:
        try:
            _check_plural_forms(str(plural_forms))
        except ValueError as exc:
            raise _HeaderError(str(exc), header_line, "Plural-Forms") from None
    content_type = headers.get("Content-Type")
    if content_type is not None:
        charset = parse_separated_header(str(content_type)).get("charset", "").strip()
        if charset and charset.lower() != "charset":
            try:
                text_encoding = codecs.lookup(charset)._is_text_encoding
            except LookupError:
                text_encoding = False
            if not text_encoding:
                raise _HeaderError(
                    f"unknown charset {charset[:40]!r} (write charset=UTF-8)", header_line, "Content-Type"
                ) from None


def _parse_po(data: bytes, locale: str | None) -> Catalog:
    """Babel's PO parser, with the header checked as soon as it is read, before any message after it."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import PoFileParser

    class CheckedParser(PoFileParser):
        def _add_message(self) -> None:
            header = len(self.messages) == 1 and not self.obsolete and self.context is None and self.translations
            if header and not self.messages[0].denormalize():
                _check_header(self.translations[0][1].denormalize(), self.offset)
            super()._add_message()

    catalog = Catalog(locale=locale, charset="utf-8")
    CheckedParser(catalog, abort_invalid=True).parse(io.BytesIO(data))
    return catalog


def _field_line(data: bytes, start: int, field: str) -> int:
    """The 1-based line of a header field in the header entry starting at line `start` (0-based)."""
    lines = data.splitlines()
    needle = f'"{field}:'.lower().encode()
    for i in range(start, len(lines)):
        stripped = lines[i].strip().lower()
        if i > start and stripped.startswith((b"msgid", b"msgctxt", b"#")):
            break
        if needle in stripped:
            return i + 1
    return start + 1


def _undecodable_line(data: bytes, charset: str) -> int:
    """The 1-based line of the first line that does not decode in the catalog's charset."""
    for i, line in enumerate(data.splitlines()):
        try:
            line.decode(charset)
        except (UnicodeDecodeError, LookupError):
            return i + 1
    return 1


def read_catalog(config: Config, path: Path, locale: str | None) -> tuple[Catalog, str, str]:
    """A PO (or POT) file read with Babel; SourceError at the offending line when it is not valid."""
    from babel.messages.pofile import PoFileError

    rel = config.rel(path)
    data = read_bytes(path, rel, root=config.root)
    try:
        catalog = _parse_po(data, locale)
    except _HeaderError as exc:
        raise SourceError(
            f"invalid catalog header: {exc}", Location(rel, _field_line(data, exc.header_line, exc.field))
        ) from None
    except PoFileError as exc:
        # Babel counts lines from 0.
        raise SourceError(
            f"not a valid PO file: {exc.args[0] if exc.args else exc}",
            Location(rel, int(getattr(exc, "lineno", 0) or 0) + 1),
        ) from None
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"not a valid PO file: not {exc.encoding} text (save it as UTF-8)",
            Location(rel, _undecodable_line(data, exc.encoding)),
        ) from None
    except ValueError as exc:
        raise SourceError(f"not a valid PO file: {exc}", Location(rel)) from None
    return catalog, rel, digest(data)


def _plural_function(catalog: Catalog, rel: str) -> Callable[[int], int]:
    import gettext

    try:
        return gettext.c2py(catalog.plural_expr)
    except (ValueError, SyntaxError) as exc:
        raise SourceError(f"invalid plural expression {catalog.plural_expr!r}: {exc}", Location(rel)) from None


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
                self._catalogs[locale] = LoadedCatalog(catalog, rel, sha, _plural_function(catalog, rel))
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
