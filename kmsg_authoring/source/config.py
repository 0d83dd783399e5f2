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
from kmsg_authoring.model import REGIONS, region_url

CONFIG_FILE = "kmsg.toml"
INLINERS: tuple[str, ...] = ("css-inline", "premailer")
# A <link rel=stylesheet> to a remote URL: kept as written (never downloaded) or refused.
REMOTE_STYLESHEETS: tuple[str, ...] = ("keep", "error")
# Budgets of one template's Jinja render: a legitimate email renders in milliseconds and a few
# hundred kilobytes; a loop that never ends or output that multiplies is stopped and reported.
RENDER_TIME_LIMIT = 10.0  # seconds
RENDER_SIZE_LIMIT_MB = 10
_SECTIONS = ("build", "brand", "lint", "environments", "snapshot", "i18n", "deliverability")
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


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table", Location(where))
    return value


def _positive(table: dict[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e6:
        raise ConfigError(f"[build] {key} must be a positive number", Location(CONFIG_FILE))
    return float(value)


def _environment(name: str, raw: Any, where: str) -> Environment:
    if not isinstance(raw, dict):
        raise ConfigError(f"[environments.{name}] must be a table", Location(where))
    unknown = set(raw) - {"region", "url", "app_guid", "ks_env", "allow_insecure"}
    if unknown:
        raise ConfigError(f"[environments.{name}]: unknown key '{min(unknown)}'", Location(where))
    if "url" in raw:
        url = raw["url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(f"[environments.{name}] url must be an http(s) URL", Location(where))
    else:
        region = raw.get("region", "nvp1")
        if region not in REGIONS:
            raise ConfigError(
                f"[environments.{name}] unknown region '{region}' (one of {', '.join(REGIONS)})", Location(where)
            )
        url = region_url(region)
    app_guid = raw.get("app_guid")
    if not isinstance(app_guid, str) or not app_guid:
        raise ConfigError(f"[environments.{name}] needs app_guid", Location(where))
    ks_env = raw.get("ks_env", "KALTURA_KS")
    if not isinstance(ks_env, str) or not ks_env:
        raise ConfigError(f"[environments.{name}] ks_env must name an environment variable", Location(where))
    allow_insecure = raw.get("allow_insecure", False)
    if not isinstance(allow_insecure, bool):
        raise ConfigError(f"[environments.{name}] allow_insecure must be true or false", Location(where))
    return Environment(name=name, url=url.rstrip("/"), app_guid=app_guid, ks_env=ks_env, allow_insecure=allow_insecure)


def _mjml(build: dict[str, Any]) -> MjmlOptions:
    """[build.mjml], every key checked: a typo or a wrong type is an error, not a silent default."""
    raw = _table(build, "mjml", CONFIG_FILE)
    unknown = set(raw) - set(MJML_KEYS)
    if unknown:
        raise ConfigError(
            f"[build.mjml]: unknown key '{min(unknown)}' (known: {', '.join(MJML_KEYS)})", Location(CONFIG_FILE)
        )
    for key in ("keep_comments", "minify"):
        if key in raw and not isinstance(raw[key], bool):
            raise ConfigError(f"[build.mjml] {key} must be true or false", Location(CONFIG_FILE))
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
            Location(CONFIG_FILE),
        )
    origin = raw.get("social_icon_origin")
    if origin is not None and (not isinstance(origin, str) or not origin.startswith(("https://", "http://"))):
        raise ConfigError("[build.mjml] social_icon_origin must be an http(s) URL", Location(CONFIG_FILE))
    return MjmlOptions(
        keep_comments=raw.get("keep_comments", True),
        minify=raw.get("minify", False),
        fonts=MappingProxyType(dict(sorted(fonts.items()))) if fonts is not None else None,
        social_icon_origin=origin,
    )


def _i18n(table: dict[str, Any]) -> tuple[tuple[str, ...], str, bool]:
    """[i18n] locales, default_locale and suffix_default_locale, checked."""
    unknown = set(table) - {"locales", "default_locale", "suffix_default_locale"}
    if unknown:
        raise ConfigError(f"[i18n]: unknown key '{min(unknown)}'", Location(CONFIG_FILE))
    locales = table.get("locales", [])
    if not isinstance(locales, list) or not all(isinstance(x, str) for x in locales):
        raise ConfigError('[i18n] locales must be a list of locale codes, e.g. ["en", "fr"]', Location(CONFIG_FILE))
    for code in locales:
        if not _LOCALE_CODE.match(code):
            raise ConfigError(
                f"[i18n] locale '{code}' is not a locale code like 'fr' or 'pt_BR'", Location(CONFIG_FILE)
            )
    if len(set(locales)) != len(locales):
        raise ConfigError("[i18n] locales lists a locale twice", Location(CONFIG_FILE))
    default = table.get("default_locale", locales[0] if locales else "")
    if not isinstance(default, str) or (locales and default not in locales):
        raise ConfigError(
            f"[i18n] default_locale '{default}' must be one of locales ({', '.join(locales)})", Location(CONFIG_FILE)
        )
    if default and not locales:
        raise ConfigError("[i18n] default_locale needs locales", Location(CONFIG_FILE))
    suffix = table.get("suffix_default_locale", False)
    if not isinstance(suffix, bool):
        raise ConfigError("[i18n] suffix_default_locale must be true or false", Location(CONFIG_FILE))
    return tuple(locales), default, suffix


def _deliverability(data: dict[str, Any]) -> Deliverability:
    """[deliverability], every key checked."""
    raw = _table(data, "deliverability", CONFIG_FILE)
    unknown = set(raw) - set(DELIVERABILITY_KEYS)
    if unknown:
        raise ConfigError(
            f"[deliverability]: unknown key '{min(unknown)}' (known: {', '.join(DELIVERABILITY_KEYS)})",
            Location(CONFIG_FILE),
        )
    limits: dict[str, float | None] = {}
    for key in ("max_spam_score", "max_image_kb", "max_total_kb"):
        value = raw.get(key)
        # A spam score may be below zero (rules that vouch for a message subtract points); a size may not.
        low = -1e6 if key == "max_spam_score" else 0
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value < 1e6
        ):
            what = "a number" if key == "max_spam_score" else "a number, 0 or more"
            raise ConfigError(f"[deliverability] {key} must be {what}", Location(CONFIG_FILE))
        if value is not None:
            limits[key] = float(value)
    spamd = raw.get("spamd")
    if spamd is not None and (not isinstance(spamd, str) or not re.fullmatch(r"[A-Za-z0-9.\-]+:\d{1,5}", spamd)):
        raise ConfigError(
            '[deliverability] spamd must be "host:port" of a running spamd, e.g. "127.0.0.1:783"',
            Location(CONFIG_FILE),
        )
    return Deliverability(spamd=spamd, **limits)


def load_config(root: Path | None = None) -> Config:
    """Read kmsg.toml at the project root (defaults when absent)."""
    root = find_root(root or Path.cwd())
    path = root / CONFIG_FILE
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise ConfigError("not valid UTF-8", Location(CONFIG_FILE)) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"invalid TOML: {exc}", Location(CONFIG_FILE)) from None
    unknown = set(data) - set(_SECTIONS)
    if unknown:
        raise ConfigError(f"unknown section [{min(unknown)}] (known: {', '.join(_SECTIONS)})", Location(CONFIG_FILE))
    build = _table(data, "build", CONFIG_FILE)
    inliner = build.get("inliner", "css-inline")
    if inliner not in INLINERS:
        raise ConfigError(f"[build] inliner '{inliner}' is not one of {', '.join(INLINERS)}", Location(CONFIG_FILE))
    remote_stylesheets = build.get("remote_stylesheets", "keep")
    if remote_stylesheets not in REMOTE_STYLESHEETS:
        raise ConfigError(
            f"[build] remote_stylesheets '{remote_stylesheets}' is not one of {', '.join(REMOTE_STYLESHEETS)}",
            Location(CONFIG_FILE),
        )
    src = build.get("src", "templates_src")
    out = build.get("out", "build")
    if not isinstance(src, str) or not isinstance(out, str):
        raise ConfigError("[build] src and out must be folder names", Location(CONFIG_FILE))
    for key, value in (("src", src), ("out", out)):
        # Reads and writes stay inside the project: no absolute path, no way up.
        if not value or Path(value).is_absolute() or ".." in Path(value).parts:
            raise ConfigError(
                f"[build] {key} must be a folder inside the project, not '{value}'", Location(CONFIG_FILE)
            )
    minify = build.get("minify", False)
    if not isinstance(minify, bool):
        raise ConfigError("[build] minify must be true or false", Location(CONFIG_FILE))
    time_limit = _positive(build, "render_time_limit", RENDER_TIME_LIMIT)
    size_limit = _positive(build, "render_size_limit_mb", RENDER_SIZE_LIMIT_MB)
    envs = {
        name: _environment(name, raw, CONFIG_FILE) for name, raw in _table(data, "environments", CONFIG_FILE).items()
    }
    locales, default_locale, suffix_default_locale = _i18n(_table(data, "i18n", CONFIG_FILE))
    return Config(
        root=root,
        src_dir=root / src,
        build_dir=root / out,
        inliner=inliner,
        remote_stylesheets=remote_stylesheets,
        render_time_limit=float(time_limit),
        render_size_limit=int(size_limit * 1024 * 1024),
        brand=MappingProxyType(_table(data, "brand", CONFIG_FILE)),
        lint=MappingProxyType(_table(data, "lint", CONFIG_FILE)),
        environments=MappingProxyType(envs),
        snapshot=MappingProxyType(_table(data, "snapshot", CONFIG_FILE)),
        mjml=_mjml(build),
        locales=locales,
        default_locale=default_locale,
        suffix_default_locale=suffix_default_locale,
        deliverability=_deliverability(data),
        minify=minify,
    )
