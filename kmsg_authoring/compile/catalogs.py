"""Template sources and PO catalogs in, the catalog template and updated catalogs out (pybabel extract, update)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmsg_authoring.compile.i18n import (
    COMMENT_TAGS,
    FUZZY,
    KEYWORDS,
    LOCALES_DIR,
    MISSING,
    TRANSLATABLE_FIELDS,
    TRANSLATED,
    catalog_path,
    read_catalog,
    template_path,
)
from kmsg_authoring.errors import Location, SourceError, UsageError
from kmsg_authoring.source.project import (
    BODY_FILE,
    BODY_MJML,
    TEMPLATE_FILE,
    discover,
    load_yaml,
    read_text,
)

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

    from kmsg_authoring.source.config import Config


# Files whose text may hold messages: bodies, layouts and partials, and template.yaml fields.
_SOURCE_SUFFIXES = (".html", ".htm", ".mjml", ".yaml", ".yml")


def _source_files(config: Config) -> Iterator[Path]:
    """Every file whose text may hold messages: shared layouts and partials, then each template's."""
    src = config.src_dir
    if not src.is_dir():
        return
    for folder in sorted(p for p in src.iterdir() if p.is_dir() and p.name.startswith("_") and p.name != LOCALES_DIR):
        yield from sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in _SOURCE_SUFFIXES)
    for slug in discover(src):
        for name in (TEMPLATE_FILE, BODY_FILE, BODY_MJML):
            if (src / slug / name).is_file():
                yield src / slug / name
        partials = src / slug
        yield from sorted(
            p
            for p in partials.rglob("*")
            if p.is_file()
            and p.suffix in (".html", ".mjml")
            and p.name not in (BODY_FILE, BODY_MJML)
            and p.parent.name != "samples"
        )


def extract_messages(config: Config) -> Catalog:
    """Every message of the sources, read unshielded with Babel's Jinja extractor: the .pot's content."""
    import jinja2
    import jinja2.ext
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract

    catalog = Catalog(project="kmsg-author templates", charset="utf-8", fuzzy=False)
    options = {"silent": "false", "trimmed": "false"}
    # Babel's stubs type the extractor more narrowly than Jinja declares it; the call is Babel's own.
    method: Any = jinja2.ext.babel_extract
    keywords = {k: DEFAULT_KEYWORDS[k] for k in KEYWORDS}

    def messages(text: str, rel: str, first_line: int) -> Iterator[tuple[int, Any, list[str], str | None]]:
        try:
            for lineno, message, comments, context in extract(
                method, io.BytesIO(text.encode("utf-8")), keywords=keywords, comment_tags=COMMENT_TAGS, options=options
            ):
                yield lineno + first_line - 1, message, comments, context
        except jinja2.TemplateSyntaxError as exc:
            raise SourceError(
                f"Jinja syntax error: {exc.message}", Location(rel, (exc.lineno or 1) + first_line - 1)
            ) from None

    plain: set[Path] = set()  # template folders whose sources are not Jinja (kmsg: {jinja: false})
    for path in _source_files(config):
        if path.parent in plain:
            continue
        rel = config.rel(path)
        text = read_text(path, rel, root=config.root)
        if path.name == TEMPLATE_FILE:
            # Fields are read as YAML gives them (quotes and escapes resolved), as the build renders them.
            doc = load_yaml(text, rel)
            settings = doc.data.get("kmsg")
            if isinstance(settings, dict) and settings.get("jinja") is False:
                plain.add(path.parent)  # a pulled body may hold another template language's {{ }}
                continue
            found = [
                m
                for name in TRANSLATABLE_FIELDS
                if isinstance(doc.data.get(name), str)
                for m in messages(doc.data[name], rel, doc.locate(name).line)
            ]
        else:
            found = list(messages(text, rel, 1))
        for lineno, message, comments, context in found:
            catalog.add(message, None, [(rel, lineno)], auto_comments=comments, context=context)
    return catalog


def _po_text(catalog: Catalog) -> bytes:
    from babel.messages.pofile import write_po

    out = io.BytesIO()
    write_po(out, catalog, width=76, sort_by_file=True, include_previous=True)
    return out.getvalue()


def _entries(catalog: Catalog) -> list[tuple[Any, ...]]:
    """What a catalog says, without its header dates: whether rewriting it would change anything."""
    return [
        (m.id, m.string, m.context, tuple(m.locations), tuple(sorted(m.flags)), tuple(m.auto_comments))
        for m in catalog
        if m.id
    ]


def _write_if_changed(path: Path, catalog: Catalog, before: Catalog | None) -> bool:
    """Write a catalog unless only its header dates would change; True when written."""
    from kmsg_authoring.source.files import write_atomic

    if (
        before is not None
        and _entries(before) == _entries(catalog)
        and sorted(before.obsolete) == sorted(catalog.obsolete)
    ):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    return bool(write_atomic(path, _po_text(catalog).decode("utf-8")))


def _need_locales(config: Config) -> None:
    if not config.locales:
        raise UsageError('no locales: add [i18n] locales = ["en", "fr"] (and default_locale) to kmsg.toml')


@dataclass
class CatalogChange:
    """What extract or update did to one file."""

    path: str
    messages: int
    written: bool
    added: list[str] = field(default_factory=list)


def extract_template(config: Config) -> CatalogChange:
    """Write templates_src/_locales/messages.pot from the sources (unchanged messages: file untouched)."""
    _need_locales(config)
    catalog = extract_messages(config)
    path = template_path(config)
    before = read_catalog(config, path, None)[0] if path.is_file() else None
    written = _write_if_changed(path, catalog, before)
    return CatalogChange(config.rel(path), len([m for m in catalog if m.id]), written)


def update_catalogs(config: Config) -> list[CatalogChange]:
    """Merge the .pot into every locale's catalog (made when absent): new messages arrive untranslated,
    existing translations stay, messages no longer in the sources become obsolete (#~)."""
    _need_locales(config)
    path = template_path(config)
    if not path.is_file():
        raise UsageError(f"no {config.rel(path)}: run `kmsg-author i18n extract` first")
    template = read_catalog(config, path, None)[0]
    changes: list[CatalogChange] = []
    for locale in config.locales:
        po = catalog_path(config, locale)
        if not po.is_file() and locale == config.default_locale:
            continue  # the sources are the default locale's text
        before: Catalog | None = None
        if po.is_file():
            before = read_catalog(config, po, locale)[0]
            catalog = read_catalog(config, po, locale)[0]
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=locale, project="kmsg-author templates", charset="utf-8", fuzzy=False)
        known = {m.id for m in catalog if m.id}
        catalog.update(template, update_header_comment=False)
        added = [m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.id not in known]
        written = _write_if_changed(po, catalog, before)
        changes.append(CatalogChange(config.rel(po), len([m for m in catalog if m.id]), written, added))
    return changes


@dataclass(frozen=True)
class LocaleStatus:
    """How far one locale's translation is: counted against the messages the sources hold now."""

    locale: str
    path: str
    translated: int
    fuzzy: int
    missing: int
    default: bool

    @property
    def total(self) -> int:
        """Messages in the sources."""
        return self.translated + self.fuzzy + self.missing

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "locale": self.locale,
            "path": self.path,
            "default": self.default,
            "total": self.total,
            "translated": self.translated,
            "fuzzy": self.fuzzy,
            "missing": self.missing,
        }


def translation_status(config: Config) -> list[LocaleStatus]:
    """Per locale: messages translated, fuzzy and missing (the default locale's text is the source)."""
    _need_locales(config)
    messages = [m.id for m in extract_messages(config) if m.id]
    out: list[LocaleStatus] = []
    for locale in config.locales:
        po = catalog_path(config, locale)
        catalog = read_catalog(config, po, locale)[0] if po.is_file() else None
        counts = {TRANSLATED: 0, FUZZY: 0, MISSING: 0}
        for msgid in messages:
            if locale == config.default_locale:
                counts[TRANSLATED] += 1
                continue
            message = catalog.get(msgid) if catalog is not None else None
            raw = message.string if message is not None else ""
            done = any(raw) if isinstance(raw, (list, tuple)) else bool(raw)
            counts[MISSING if message is None or not done else FUZZY if message.fuzzy else TRANSLATED] += 1
        out.append(
            LocaleStatus(
                locale,
                config.rel(po),
                counts[TRANSLATED],
                counts[FUZZY],
                counts[MISSING],
                locale == config.default_locale,
            )
        )
    return out
