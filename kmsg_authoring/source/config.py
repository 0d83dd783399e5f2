"""kmsg.toml -> a frozen Config: paths, build settings, brand variables, lint settings, environments."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kmsg_authoring.errors import ConfigError, Location
from kmsg_authoring.model import CONFIG_FILE as CONFIG_FILE
from kmsg_authoring.model import REGIONS, region_url

INLINERS: tuple[str, ...] = ("css-inline", "premailer")
# A <link rel=stylesheet> to a remote URL: kept as written (never downloaded) or refused.
REMOTE_STYLESHEETS: tuple[str, ...] = ("keep", "error")
# Budgets of one template's Jinja render: a legitimate email renders in milliseconds and a few
# hundred kilobytes; a loop that never ends or output that multiplies is stopped and reported.
RENDER_TIME_LIMIT = 10.0  # seconds
RENDER_SIZE_LIMIT_MB = 10
_SECTIONS = ("build", "brand", "lint", "environments", "snapshot", "i18n", "deliverability")
BUILD_KEYS = (
    "inliner",
    "remote_stylesheets",
    "src",
    "out",
    "render_time_limit",
    "render_size_limit_mb",
    "mjml",
    "minify",
    "remove_unused_css",
    "preserve_cascade",
)
# Where tomllib says a syntax error is: "... (at line 3, column 9)".
_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
# A locale code as catalogs and adminTags spell it: "fr", "pt_BR", "zh_Hant".
_LOCALE_CODE = re.compile(r"\A[a-z]{2,3}(?:_[A-Za-z0-9]{2,8})*\Z")


@dataclass(frozen=True)
class Environment:
    """A Messaging API environment templates are published to."""

    name: str
    url: str
    app_guid: str
    ks_env: str = "KALTURA_KS"
    # Plain http:// to a host that is not loopback sends the KS in clear text: refused unless set.
    allow_insecure: bool = False


@dataclass(frozen=True)
class MjmlOptions:
    """[build.mjml]: the options MJML users know, passed to MRML for bodies written in MJML."""

    keep_comments: bool = True  # the designer's comments reach the HTML (conditional comments always do)
    minify: bool = False  # runs of white space in text collapse to one space
    fonts: Mapping[str, str] | None = None  # font name -> CSS URL, imported when used; None: MJML's defaults
    social_icon_origin: str | None = None  # where mj-social-element icons are loaded from; None: MJML's


MJML_KEYS = ("keep_comments", "minify", "fonts", "social_icon_origin")


@dataclass(frozen=True)
class Deliverability:
    """[deliverability]: limits checked before anything is sent."""

    max_spam_score: float | None = None  # `spam` fails above it; None: above SpamAssassin's own threshold
    spamd: str | None = None  # "host:port" of a running spamd to use instead of starting one
    max_image_kb: float | None = 200.0  # the heaviest one image of a template may be
    max_total_kb: float | None = 800.0  # all the images of a template together


DELIVERABILITY_KEYS = ("max_spam_score", "spamd", "max_image_kb", "max_total_kb")


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


_HEADER = re.compile(r"\A\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?\Z")
_KEY_LINE = re.compile(
    r"\A(\s*)((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _key_parts(dotted: str) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", dotted))


def toml_location(text: str, *keys: str) -> Location:
    """Where a table or key of kmsg.toml is written: the key's line and column, else its table's header,
    else the closest enclosing table written (a TOML reader keeps no positions; the text does)."""
    table: tuple[str, ...] = ()
    best, best_len = Location(CONFIG_FILE), 0
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            table = _key_parts(header.group(1))
            path, col = table, line.index("[") + 1
        else:
            m = _KEY_LINE.match(line)
            if not m:
                continue
            path, col = (*table, *_key_parts(m.group(2))), len(m.group(1)) + 1
        if path == keys:
            return Location(CONFIG_FILE, number, col)
        common = 0
        while common < min(len(path), len(keys)) and path[common] == keys[common]:
            common += 1
        if common == len(path) and common > best_len:
            best, best_len = Location(CONFIG_FILE, number, col), common
    return best


def _unknown(keys: set[str], known: tuple[str, ...] | set[str], where: str, text: str, *path: str) -> None:
    """A ConfigError for the first unknown key of a table, at its line, with the closest known key."""
    if not keys:
        return
    import difflib

    key = min(keys)
    close = difflib.get_close_matches(key, sorted(known), n=1)
    if not path:  # a top-level table
        hint = f" (did you mean [{close[0]}]?)" if close else f" (known: {', '.join(known)})"
        raise ConfigError(f"unknown section [{key}]{hint}", toml_location(text, key))
    hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(sorted(known))})"
    raise ConfigError(f"{where}: unknown key '{key}'{hint}", toml_location(text, *path, key))


class TomlTable(Mapping[str, Any]):
    """A read-only table of kmsg.toml that knows where its keys are written (for the modules that
    validate [lint] and [snapshot] themselves)."""

    def __init__(self, data: Mapping[str, Any], text: str, *path: str) -> None:
        self._data = dict(data)
        self._text = text
        self._path = path

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"TomlTable({self._data!r})"

    def locate(self, *keys: str | int) -> Location:
        """Where a key (or an item of one) of this table is written in kmsg.toml."""
        return toml_location(self._text, *self._path, *(str(k) for k in keys if isinstance(k, str)))


def located(table: Any, *keys: str | int) -> Location:
    """Where a key of a kmsg.toml table is written (the file alone for a table read elsewhere)."""
    return table.locate(*keys) if isinstance(table, TomlTable) else Location(CONFIG_FILE)


def find_root(start: Path) -> Path:
    """The project root: the nearest folder at or above start with kmsg.toml, else start."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return start


def _table(data: dict[str, Any], key: str, text: str, *parent: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table", toml_location(text, *parent, key))
    return value


def _positive(table: dict[str, Any], key: str, default: float, text: str) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e6:
        raise ConfigError(f"[build] {key} must be a positive number", toml_location(text, "build", key))
    return float(value)


_ENVIRONMENT_KEYS = ("region", "url", "app_guid", "ks_env", "allow_insecure")


def _environment(name: str, raw: Any, text: str) -> Environment:
    def where(key: str | None = None) -> Location:
        return toml_location(text, "environments", name, *((key,) if key else ()))

    if not isinstance(raw, dict):
        raise ConfigError(f"[environments.{name}] must be a table", where())
    _unknown(set(raw) - set(_ENVIRONMENT_KEYS), _ENVIRONMENT_KEYS, f"[environments.{name}]", text, "environments", name)
    if "url" in raw:
        url = raw["url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(f"[environments.{name}] url must be an http(s) URL", where("url"))
    else:
        region = raw.get("region", "nvp1")
        if region not in REGIONS:
            raise ConfigError(
                f"[environments.{name}] unknown region '{region}' (one of {', '.join(REGIONS)})", where("region")
            )
        url = region_url(region)
    app_guid = raw.get("app_guid")
    if not isinstance(app_guid, str) or not app_guid:
        raise ConfigError(f"[environments.{name}] needs app_guid", where("app_guid"))
    ks_env = raw.get("ks_env", "KALTURA_KS")
    if not isinstance(ks_env, str) or not ks_env:
        raise ConfigError(f"[environments.{name}] ks_env must name an environment variable", where("ks_env"))
    allow_insecure = raw.get("allow_insecure", False)
    if not isinstance(allow_insecure, bool):
        raise ConfigError(f"[environments.{name}] allow_insecure must be true or false", where("allow_insecure"))
    return Environment(name=name, url=url.rstrip("/"), app_guid=app_guid, ks_env=ks_env, allow_insecure=allow_insecure)


def _mjml(build: dict[str, Any], text: str) -> MjmlOptions:
    """[build.mjml], every key checked: a typo or a wrong type is an error, not a silent default."""
    raw = _table(build, "mjml", text, "build")
    _unknown(set(raw) - set(MJML_KEYS), MJML_KEYS, "[build.mjml]", text, "build", "mjml")
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
        keep_comments=raw.get("keep_comments", True),
        minify=raw.get("minify", False),
        fonts=MappingProxyType(dict(sorted(fonts.items()))) if fonts is not None else None,
        social_icon_origin=origin,
    )


_I18N_KEYS = ("locales", "default_locale", "suffix_default_locale")


def _i18n(table: dict[str, Any], text: str) -> tuple[tuple[str, ...], str, bool]:
    """[i18n] locales, default_locale and suffix_default_locale, checked."""
    _unknown(set(table) - set(_I18N_KEYS), _I18N_KEYS, "[i18n]", text, "i18n")
    locales = table.get("locales", [])
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
    suffix = table.get("suffix_default_locale", False)
    if not isinstance(suffix, bool):
        raise ConfigError(
            "[i18n] suffix_default_locale must be true or false", toml_location(text, "i18n", "suffix_default_locale")
        )
    return tuple(locales), default, suffix


def _deliverability(data: dict[str, Any], text: str) -> Deliverability:
    """[deliverability], every key checked."""
    raw = _table(data, "deliverability", text)
    _unknown(set(raw) - set(DELIVERABILITY_KEYS), DELIVERABILITY_KEYS, "[deliverability]", text, "deliverability")
    limits: dict[str, float | None] = {}
    for key in ("max_spam_score", "max_image_kb", "max_total_kb"):
        value = raw.get(key)
        # A spam score may be below zero (rules that vouch for a message subtract points); a size may not.
        low = -1e6 if key == "max_spam_score" else 0
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value < 1e6
        ):
            what = "a number" if key == "max_spam_score" else "a number, 0 or more"
            raise ConfigError(f"[deliverability] {key} must be {what}", toml_location(text, "deliverability", key))
        if value is not None:
            limits[key] = float(value)
    spamd = raw.get("spamd")
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
    _unknown(set(data) - set(_SECTIONS), _SECTIONS, CONFIG_FILE, text)
    build = _table(data, "build", text)
    _unknown(set(build) - set(BUILD_KEYS), BUILD_KEYS, "[build]", text, "build")
    inliner = build.get("inliner", "css-inline")
    if inliner not in INLINERS:
        raise ConfigError(
            f"[build] inliner '{inliner}' is not one of {', '.join(INLINERS)}", toml_location(text, "build", "inliner")
        )
    remote_stylesheets = build.get("remote_stylesheets", "keep")
    if remote_stylesheets not in REMOTE_STYLESHEETS:
        raise ConfigError(
            f"[build] remote_stylesheets '{remote_stylesheets}' is not one of {', '.join(REMOTE_STYLESHEETS)}",
            toml_location(text, "build", "remote_stylesheets"),
        )
    preserve_cascade = build.get("preserve_cascade", True)
    if not isinstance(preserve_cascade, bool):
        raise ConfigError(
            "[build] preserve_cascade must be true or false", toml_location(text, "build", "preserve_cascade")
        )
    src = build.get("src", "templates_src")
    out = build.get("out", "build")
    for key, value in (("src", src), ("out", out)):
        if not isinstance(value, str):
            raise ConfigError("[build] src and out must be folder names", toml_location(text, "build", key))
        # Reads and writes stay inside the project: no absolute path, no way up.
        if not value or Path(value).is_absolute() or ".." in Path(value).parts:
            raise ConfigError(
                f"[build] {key} must be a folder inside the project, not '{value}'", toml_location(text, "build", key)
            )
    minify, remove_unused_css = build.get("minify", False), build.get("remove_unused_css", False)
    for key, flag in (("minify", minify), ("remove_unused_css", remove_unused_css)):
        if not isinstance(flag, bool):
            raise ConfigError(f"[build] {key} must be true or false", toml_location(text, "build", key))
    time_limit = _positive(build, "render_time_limit", RENDER_TIME_LIMIT, text)
    size_limit = _positive(build, "render_size_limit_mb", RENDER_SIZE_LIMIT_MB, text)
    envs = {name: _environment(name, raw, text) for name, raw in _table(data, "environments", text).items()}
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
