"""kmsg.toml -> a frozen Config: paths, build settings, brand variables, lint settings, environments."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kmsg_authoring.errors import ConfigError, Location
from kmsg_authoring.source.environments import ENVIRONMENT as ENVIRONMENT
from kmsg_authoring.source.environments import Environment as Environment
from kmsg_authoring.source.environments import environment, read_section
from kmsg_authoring.source.config_schema import Key, Section, Table, TomlTable, toml_location, unknown_section
from kmsg_authoring.source.config_schema import located as located
from kmsg_authoring.model import CONFIG_FILE as CONFIG_FILE

INLINERS: tuple[str, ...] = ("css-inline", "premailer")
# A <link rel=stylesheet> to a remote URL: kept as written (never downloaded) or refused.
REMOTE_STYLESHEETS: tuple[str, ...] = ("keep", "error")
# Budgets of one template's Jinja render (a legitimate email takes milliseconds and a few hundred
# kilobytes): a loop that never ends or output that multiplies is stopped and reported.
RENDER_TIME_LIMIT = 10.0  # seconds
RENDER_SIZE_LIMIT_MB = 10
# The sections of kmsg.toml, in the order the reference shows them. Each is described where it is read:
# here, except [lint] (lint/settings.py) and [snapshot] (review/snapshot.py).
SECTIONS = ("build", "brand", "lint", "environments", "snapshot", "i18n", "deliverability")
BUILD = Section(
    "build",
    "How templates are compiled: where sources are read and outputs written, the CSS inliner, limits.",
    (
        Key("src", "string", "The folder of template sources, inside the project.", "templates_src"),
        Key("out", "string", "The folder the build writes, inside the project.", "build"),
        Key("inliner", "string", "The engine that inlines CSS into style attributes.", INLINERS[0], INLINERS),
        Key(
            "remote_stylesheets",
            "string",
            "A `<link rel=stylesheet>` to a remote URL: kept as written (never downloaded) or refused.",
            REMOTE_STYLESHEETS[0],
            REMOTE_STYLESHEETS,
        ),
        Key(
            "preserve_cascade",
            "boolean",
            "Declarations in @media/@supports that won before inlining are made !important so they still win.",
            True,
        ),
        Key("minify", "boolean", "The inlined HTML is minified (what renders is unchanged).", False),
        Key(
            "remove_unused_css",
            "boolean",
            "Style rules whose selectors match nothing in the email are removed (client-targeting ones kept).",
            False,
        ),
        Key("render_time_limit", "number", "Seconds one template's render may take.", RENDER_TIME_LIMIT),
        Key("render_size_limit_mb", "number", "Megabytes one template's render may write.", RENDER_SIZE_LIMIT_MB),
        Key("mjml", "table", "Options for bodies written in MJML: see [build.mjml].", default_text="MJML's defaults"),
    ),
)
# Where tomllib says a syntax error is: "... (at line 3, column 9)".
_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
# A locale code as catalogs and adminTags spell it: "fr", "pt_BR", "zh_Hant".
_LOCALE_CODE = re.compile(r"\A[a-z]{2,3}(?:_[A-Za-z0-9]{2,8})*\Z")


MJML = Section(
    "build.mjml",
    "The options MJML users know, passed to MRML for bodies written in MJML.",
    (
        Key(
            "keep_comments", "boolean", "The designer's comments reach the HTML (conditional comments always do).", True
        ),
        Key("minify", "boolean", "Runs of white space in text collapse to one space.", False),
        Key(
            "fonts",
            "table of strings",
            "Font name = CSS URL, imported when the font is used (an empty table imports none).",
            default_text="MJML's default fonts",
            example={"Lato": "https://fonts.googleapis.com/css?family=Lato"},
        ),
        Key("social_icon_origin", "string", "The URL mj-social-element icons load from.", default_text="MJML's"),
    ),
)


@dataclass(frozen=True)
class MjmlOptions:
    """[build.mjml]: the options MJML users know, passed to MRML for bodies written in MJML."""

    keep_comments: bool = MJML.key("keep_comments").default
    minify: bool = MJML.key("minify").default
    fonts: Mapping[str, str] | None = None  # font name -> CSS URL, imported when used; None: MJML's defaults
    social_icon_origin: str | None = None  # where mj-social-element icons are loaded from; None: MJML's


DELIVERABILITY = Section(
    "deliverability",
    "Limits checked before anything is sent.",
    (
        Key(
            "max_spam_score",
            "number",
            "`spam` fails above this SpamAssassin score.",
            default_text="SpamAssassin's own threshold",
            example=3.0,
        ),
        Key(
            "spamd",
            "string",
            '"host:port" of a running spamd to use instead of starting one.',
            default_text="one is started",
            example="127.0.0.1:783",
        ),
        Key("max_image_kb", "number", "Kilobytes the heaviest one image of a template may weigh.", 200.0),
        Key("max_total_kb", "number", "Kilobytes all the images of a template may weigh together.", 800.0),
    ),
)


@dataclass(frozen=True)
class Deliverability:
    """[deliverability]: limits checked before anything is sent."""

    max_spam_score: float | None = None  # `spam` fails above it; None: above SpamAssassin's own threshold
    spamd: str | None = None  # "host:port" of a running spamd to use instead of starting one
    max_image_kb: float | None = DELIVERABILITY.key("max_image_kb").default
    max_total_kb: float | None = DELIVERABILITY.key("max_total_kb").default


BRAND = Section(
    "brand",
    'Build-time variables, any keys you like: `company = "Example"` is `{{ brand.company }}` in layouts and bodies.',
    free=True,
)


@dataclass(frozen=True)
class Config:
    """Project settings; every path is absolute."""

    root: Path
    src_dir: Path
    build_dir: Path
    inliner: str = "css-inline"
    remote_stylesheets: str = "keep"
    # Declarations in @media/@supports that won before inlining are made !important so they still win.
    preserve_cascade: bool = True
    render_time_limit: float = RENDER_TIME_LIMIT
    render_size_limit: int = RENDER_SIZE_LIMIT_MB * 1024 * 1024  # characters
    brand: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    lint: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    environments: Mapping[str, Environment] = field(default_factory=lambda: MappingProxyType({}))
    snapshot: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # review.snapshot validates it
    mjml: MjmlOptions = field(default_factory=MjmlOptions)
    # [i18n]: the locales every translatable template is built in, the one the sources are written in,
    # and whether the default locale's remote name also carries its " [<locale>]" suffix.
    locales: tuple[str, ...] = ()
    default_locale: str = ""
    suffix_default_locale: bool = False
    deliverability: Deliverability = field(default_factory=Deliverability)
    minify: bool = False  # [build] minify: the compiled body minified (compile/minify.py)
    remove_unused_css: bool = (
        False  # [build] remove_unused_css: style rules matching nothing removed (compile/purge.py)
    )

    def rel(self, path: Path) -> str:
        """A path as the user sees it: relative to the project root, with forward slashes."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def environment(self, name: str) -> Environment:
        """The named environment, or a ConfigError listing the known ones."""
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            raise ConfigError(
                f"unknown environment '{name}' (known: {known}); add [environments.{name}] to {CONFIG_FILE}"
            ) from None


def find_root(start: Path) -> Path:
    """The project root: the nearest folder at or above start with kmsg.toml, else start."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return start


def _table(data: Mapping[str, Any], key: str, text: str, *parent: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table", toml_location(text, *parent, key))
    return value


def _positive(table: Table, key: str, text: str) -> float:
    value = table.value(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e6:
        raise ConfigError(f"[build] {key} must be a positive number", toml_location(text, "build", key))
    return float(value)


def _mjml(build: Mapping[str, Any], text: str) -> MjmlOptions:
    """[build.mjml], every key checked: a typo or a wrong type is an error, not a silent default."""
    raw = read_section(MJML, _table(build, "mjml", text, "build"), text, "build", "mjml")
    for key in ("keep_comments", "minify"):
        if key in raw and not isinstance(raw[key], bool):
            raise ConfigError(f"[build.mjml] {key} must be true or false", toml_location(text, "build", "mjml", key))
    fonts = raw.get("fonts")
    if fonts is not None and (
        not isinstance(fonts, dict)
        or not all(
            isinstance(k, str) and k and isinstance(v, str) and v.startswith(("https://", "http://"))
            for k, v in fonts.items()
        )
    ):
        raise ConfigError(
            '[build.mjml] fonts must be a table of font name = "https://..." CSS URL '
            "(an empty table imports no web font)",
            toml_location(text, "build", "mjml", "fonts"),
        )
    origin = raw.get("social_icon_origin")
    if origin is not None and (not isinstance(origin, str) or not origin.startswith(("https://", "http://"))):
        raise ConfigError(
            "[build.mjml] social_icon_origin must be an http(s) URL",
            toml_location(text, "build", "mjml", "social_icon_origin"),
        )
    return MjmlOptions(
        keep_comments=raw.value("keep_comments"),
        minify=raw.value("minify"),
        fonts=MappingProxyType(dict(sorted(fonts.items()))) if fonts is not None else None,
        social_icon_origin=origin,
    )


I18N = Section(
    "i18n",
    "The locales every translatable template is built in (one remote template per locale).",
    (
        Key("locales", "list of strings", 'Locale codes like "fr" or "pt_BR".', (), example=("en", "fr")),
        Key("default_locale", "string", "The locale the sources are written in.", default_text="the first of locales"),
        Key(
            "suffix_default_locale",
            "boolean",
            'The default locale\'s remote name also carries its " [<locale>]" suffix.',
            False,
        ),
    ),
)


def _i18n(raw: dict[str, Any], text: str) -> tuple[tuple[str, ...], str, bool]:
    """[i18n] locales, default_locale and suffix_default_locale, checked."""
    table = read_section(I18N, raw, text, "i18n")
    locales = table.value("locales")
    if not isinstance(locales, list) or not all(isinstance(x, str) for x in locales):
        raise ConfigError(
            '[i18n] locales must be a list of locale codes, e.g. ["en", "fr"]', toml_location(text, "i18n", "locales")
        )
    for code in locales:
        if not _LOCALE_CODE.match(code):
            raise ConfigError(
                f"[i18n] locale '{code}' is not a locale code like 'fr' or 'pt_BR'",
                toml_location(text, "i18n", "locales"),
            )
    if len(set(locales)) != len(locales):
        raise ConfigError("[i18n] locales lists a locale twice", toml_location(text, "i18n", "locales"))
    default = table.get("default_locale", locales[0] if locales else "")
    if not isinstance(default, str) or (locales and default not in locales):
        raise ConfigError(
            f"[i18n] default_locale '{default}' must be one of locales ({', '.join(locales)})",
            toml_location(text, "i18n", "default_locale"),
        )
    if default and not locales:
        raise ConfigError("[i18n] default_locale needs locales", toml_location(text, "i18n", "default_locale"))
    suffix = table.value("suffix_default_locale")
    if not isinstance(suffix, bool):
        raise ConfigError(
            "[i18n] suffix_default_locale must be true or false", toml_location(text, "i18n", "suffix_default_locale")
        )
    return tuple(locales), default, suffix


def _deliverability(data: dict[str, Any], text: str) -> Deliverability:
    """[deliverability], every key checked."""
    raw = read_section(DELIVERABILITY, _table(data, "deliverability", text), text, "deliverability")
    limits: dict[str, float | None] = {}
    for key in ("max_spam_score", "max_image_kb", "max_total_kb"):
        value = raw.value(key)
        # A spam score may be below zero (rules that vouch for a message subtract points); a size may not.
        low = -1e6 if key == "max_spam_score" else 0
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value < 1e6
        ):
            what = "a number" if key == "max_spam_score" else "a number, 0 or more"
            raise ConfigError(f"[deliverability] {key} must be {what}", toml_location(text, "deliverability", key))
        limits[key] = None if value is None else float(value)
    spamd = raw.value("spamd")
    if spamd is not None and (not isinstance(spamd, str) or not re.fullmatch(r"[A-Za-z0-9.\-]+:\d{1,5}", spamd)):
        raise ConfigError(
            '[deliverability] spamd must be "host:port" of a running spamd, e.g. "127.0.0.1:783"',
            toml_location(text, "deliverability", "spamd"),
        )
    return Deliverability(spamd=spamd, **limits)


def load_config(root: Path | None = None) -> Config:
    """Read kmsg.toml at the project root (defaults when absent)."""
    root = find_root(root or Path.cwd())
    path = root / CONFIG_FILE
    data: dict[str, Any] = {}
    text = ""
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except UnicodeDecodeError:
            raise ConfigError("not valid UTF-8", Location(CONFIG_FILE)) from None
        except tomllib.TOMLDecodeError as exc:
            where = _TOML_AT.search(str(exc))
            message = _TOML_AT.sub("", str(exc))
            at = Location(CONFIG_FILE, int(where.group(1)), int(where.group(2))) if where else Location(CONFIG_FILE)
            raise ConfigError(f"invalid TOML: {message}", at) from None
    unknown_section(data, SECTIONS, text)
    build = read_section(BUILD, _table(data, "build", text), text, "build")
    inliner = build.value("inliner")
    if inliner not in INLINERS:
        raise ConfigError(
            f"[build] inliner '{inliner}' is not one of {', '.join(INLINERS)}", toml_location(text, "build", "inliner")
        )
    remote_stylesheets = build.value("remote_stylesheets")
    if remote_stylesheets not in REMOTE_STYLESHEETS:
        raise ConfigError(
            f"[build] remote_stylesheets '{remote_stylesheets}' is not one of {', '.join(REMOTE_STYLESHEETS)}",
            toml_location(text, "build", "remote_stylesheets"),
        )
    preserve_cascade = build.value("preserve_cascade")
    if not isinstance(preserve_cascade, bool):
        raise ConfigError(
            "[build] preserve_cascade must be true or false", toml_location(text, "build", "preserve_cascade")
        )
    src = build.value("src")
    out = build.value("out")
    for key, value in (("src", src), ("out", out)):
        if not isinstance(value, str):
            raise ConfigError("[build] src and out must be folder names", toml_location(text, "build", key))
        # Reads and writes stay inside the project: no absolute path, no way up.
        if not value or Path(value).is_absolute() or ".." in Path(value).parts:
            raise ConfigError(
                f"[build] {key} must be a folder inside the project, not '{value}'", toml_location(text, "build", key)
            )
    minify, remove_unused_css = build.value("minify"), build.value("remove_unused_css")
    for key, flag in (("minify", minify), ("remove_unused_css", remove_unused_css)):
        if not isinstance(flag, bool):
            raise ConfigError(f"[build] {key} must be true or false", toml_location(text, "build", key))
    time_limit = _positive(build, "render_time_limit", text)
    size_limit = _positive(build, "render_size_limit_mb", text)
    envs = {name: environment(name, raw, text) for name, raw in _table(data, "environments", text).items()}
    locales, default_locale, suffix_default_locale = _i18n(_table(data, "i18n", text), text)
    return Config(
        root=root,
        src_dir=root / src,
        build_dir=root / out,
        inliner=inliner,
        remote_stylesheets=remote_stylesheets,
        preserve_cascade=preserve_cascade,
        render_time_limit=float(time_limit),
        render_size_limit=int(size_limit * 1024 * 1024),
        brand=MappingProxyType(_table(data, "brand", text)),
        lint=TomlTable(_table(data, "lint", text), text, "lint"),
        environments=MappingProxyType(envs),
        snapshot=TomlTable(_table(data, "snapshot", text), text, "snapshot"),
        mjml=_mjml(build, text),
        locales=locales,
        default_locale=default_locale,
        suffix_default_locale=suffix_default_locale,
        deliverability=_deliverability(data, text),
        minify=minify,
        remove_unused_css=remove_unused_css,
    )
