"""Lint settings: `[lint]` in kmsg.toml and `kmsg: {lint: ...}` in a template.yaml, validated in one place.

    [lint]
    disable = ["KM102", "img-without-alt"]     # codes or names
    enable = ["KM102"]                         # re-enables (a template can undo the project's disable)
    [lint.severity]
    KM507 = "error"
    [lint.options.subject-too-long]            # per-rule options, by code or name
    max-length = 60
    clients = ["gmail.*", "outlook.windows"]   # the mail clients the client-support rules judge for

A template.yaml takes the same keys under `kmsg: {lint: {...}}`; they apply after the project's.

Guards (rules that protect recipients or the API, marked on the rule in the registry) are set apart:
nothing disables them; only kmsg.toml's [lint.severity] re-grades them, and a locked guard (header
injection) stays an error. A setting that tries anything else is a configuration error, located.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kmsg_authoring.source.config import located
from kmsg_authoring.errors import ConfigError, Location
from kmsg_authoring.lint.context import did_you_mean
from kmsg_authoring.lint.problem import ERROR, SEVERITIES
from kmsg_authoring.lint.registry import GUARD, LOCKED, Option, Rule, catalog, find_rule
from kmsg_authoring.source.config_schema import Key, Section, Table
from kmsg_authoring.source.project import YamlDoc
from kmsg_authoring.model import TEMPLATE_FILE

SECTION = Section(
    "lint",
    "Which rules run and how (`kmsg-author rules` lists them); a template.yaml may add the same keys under "
    "`kmsg: {lint: ...}`. Guards (rules that protect recipients or the API) cannot be disabled.",
    (
        Key("disable", "list of strings", "Rules that do not run, by code or name.", (), example=("KM102",)),
        Key("enable", "list of strings", "Rules that run again (a template can undo the project's disable).", ()),
        Key(
            "severity",
            "table of strings",
            "Rule code or name = the severity it reports at.",
            {},
            SEVERITIES,
            example={"KM507": "error"},
        ),
        Key(
            "options",
            "table of tables",
            "Rule code or name = its options (each rule's page lists them).",
            {},
            example={"subject-too-long": {"max-length": 60}},
        ),
        Key(
            "clients",
            "list of strings",
            "Globs of the mail clients the client-support rules judge for (`kmsg-author clients` lists them).",
            default_text="the clients most mail is opened in",
            example=("gmail.*", "outlook.windows"),
        ),
    ),
)


@dataclass(frozen=True)
class RuleSetting:
    """How one rule runs for one template."""

    enabled: bool
    severity: str
    options: Mapping[str, Any]


Locator = Callable[..., Location]


def _rule(key: Any, where: str, locate: Locator, *path: str | int) -> Rule:
    found = find_rule(key) if isinstance(key, str) else None
    if found is None:
        names = [*catalog(), *(r.name for r in catalog().values())]
        raise ConfigError(
            f"{where}: unknown rule '{key}'{did_you_mean(str(key), names)}; `kmsg-author rules` lists them",
            locate(*path),
        )
    if not found.configurable:
        raise ConfigError(f"{where}: rule {found.code} ({found.name}) cannot be configured", locate(*path))
    return found


def _guarded(r: Rule, where: str, locate: Locator, *path: str | int, template: bool, level: str | None = None) -> None:
    """Refuse a setting that would weaken a guard: any from a template; from kmsg.toml, all but re-grading
    (level: the severity asked for) a guard that is not locked."""
    if not r.guard or (not template and level is not None and (r.guard == GUARD or level == ERROR)):
        return
    what = f"{where}: rule {r.code} ({r.name}) protects recipients or the Messaging API"
    if r.guard == LOCKED:
        raise ConfigError(f"{what} and is always an error", locate(*path))
    if template:
        raise ConfigError(
            f"{what}: a template cannot change it (kmsg.toml's [lint.severity] alone may re-grade it)",
            locate(*path),
        )
    raise ConfigError(f"{what} and cannot be disabled; [lint.severity] may re-grade it", locate(*path))


def _option_value(opt: Option, value: Any) -> bool:
    if opt.type == "int":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if opt.type == "bool":
        return isinstance(value, bool)
    if opt.type == "str":
        return isinstance(value, str)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _apply(raw: Any, where: str, locate: Locator, settings: dict[str, RuleSetting], *, template: bool) -> None:
    if raw is None:
        return
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a table of lint settings ({', '.join(SECTION.names())})", locate())
    raw = SECTION.read(raw, where, locate)
    for key, enabled in (("disable", False), ("enable", True)):
        codes = raw.value(key)
        if not isinstance(codes, list):
            raise ConfigError(f"{where}.{key} must be a list of rule codes or names", locate(key))
        for i, code in enumerate(codes):
            r = _rule(code, f"{where}.{key}", locate, key, i)
            if not enabled:
                _guarded(r, f"{where}.{key}", locate, key, i, template=template)
            s = settings[r.code]
            settings[r.code] = RuleSetting(enabled, s.severity, s.options)
    severity = raw.value("severity")
    if not isinstance(severity, Mapping):
        raise ConfigError(f"{where}.severity must map rule codes to error or warning", locate("severity"))
    for code, level in severity.items():
        r = _rule(code, f"{where}.severity", locate, "severity", code)
        if level not in SEVERITIES:
            raise ConfigError(
                f"{where}.severity.{code}: '{level}' is not one of {', '.join(SEVERITIES)}",
                locate("severity", code),
            )
        _guarded(r, f"{where}.severity", locate, "severity", code, template=template, level=level)
        s = settings[r.code]
        settings[r.code] = RuleSetting(s.enabled, level, s.options)
    options = raw.value("options")
    if not isinstance(options, Mapping):
        raise ConfigError(f"{where}.options must map rule codes to tables of options", locate("options"))
    for code, values in options.items():
        r = _rule(code, f"{where}.options", locate, "options", code)
        if template:
            _guarded(r, f"{where}.options", locate, "options", code, template=True)
        if not isinstance(values, Mapping):
            raise ConfigError(f"{where}.options.{code} must be a table of options", locate("options", code))
        merged = dict(settings[r.code].options)
        for name, value in values.items():
            opt = r.options.get(name)
            if opt is None:
                known = ", ".join(r.options) or "none"
                raise ConfigError(
                    f"{where}.options.{code}: rule {r.code} has no option '{name}'"
                    f"{did_you_mean(str(name), list(r.options))} (options: {known})",
                    locate("options", code, name),
                )
            if not _option_value(opt, value):
                raise ConfigError(
                    f"{where}.options.{code}.{name} must be {_describe(opt.type)}, not {value!r}",
                    locate("options", code, name),
                )
            merged[name] = value
        s = settings[r.code]
        settings[r.code] = RuleSetting(s.enabled, s.severity, merged)


def _describe(kind: str) -> str:
    return {"int": "a whole number >= 0", "bool": "true or false", "str": "a string", "list[str]": "a list of strings"}[
        kind
    ]


def defaults() -> dict[str, RuleSetting]:
    """Every rule enabled at its default severity with its default options.

    Built once per catalog and copied for each template (the build resolves settings for every
    template); the RuleSettings are frozen and their options are copied before any change.
    """
    rules = catalog()
    if _defaults.get("rules") != rules:
        _defaults["rules"] = rules
        _defaults["settings"] = {
            code: RuleSetting(True, r.severity, {k: o.default for k, o in r.options.items()})
            for code, r in rules.items()
        }
    return dict(_defaults["settings"])


_defaults: dict[str, Any] = {}


def resolve(project: Any, template: Any = None, meta: YamlDoc | None = None) -> dict[str, RuleSetting]:
    """The settings of every rule for one template: defaults, then kmsg.toml [lint], then template.yaml."""
    settings = defaults()
    _apply(project, "[lint]", lambda *keys: located(project, *keys), settings, template=False)
    if template is not None:

        def locate(*keys: str | int) -> Location:
            return meta.locate("kmsg", "lint", *keys) if meta is not None else Location(TEMPLATE_FILE)

        _apply(template, "kmsg.lint", locate, settings, template=True)
    return settings


def resolve_clients(project: Any, template: Any = None, meta: YamlDoc | None = None) -> tuple[str, ...]:
    """The targeted mail clients (`family.platform`) of a template: its own `clients`, else the project's,
    else the default list; globs are matched against the Can I email client list (loaded on first use)."""
    from kmsg_authoring.lint.caniemail import DEFAULT_CLIENTS, targets

    if isinstance(template, Mapping) and "clients" in Table(SECTION, template):
        where = meta.locate("kmsg", "lint", "clients") if meta is not None else Location(TEMPLATE_FILE)
        return targets(template["clients"], "kmsg.lint.clients", where)
    if isinstance(project, Mapping) and "clients" in Table(SECTION, project):
        return targets(project["clients"], "[lint] clients", located(project, "clients"))
    return DEFAULT_CLIENTS
