"""The rule catalog: every rule registers itself with @rule in a module of lint/rules/.

A rule is a function `check(ctx) -> Iterator[Finding]` whose docstring is its documentation: a
one-line summary, then the sections "What it does:", "Why:", "Bad:" and "Good:", each an indented
block. Options are declared here with their type and default and validated in one place
(lint/settings.py); rules read them from `ctx.options` already checked.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kmsg_authoring.lint.problem import ERROR, SEVERITIES

if TYPE_CHECKING:
    from kmsg_authoring.lint.context import Context, Finding

    CheckFn = Callable[[Context], Iterator[Finding]]

DOC_SECTIONS: tuple[str, ...] = ("What it does", "Why", "Bad", "Good")
CODE_RE = re.compile(r"\AKM\d{3}\Z")
NAME_RE = re.compile(r"\A[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")
OPTION_TYPES: tuple[str, ...] = ("int", "str", "bool", "list[str]")
# A guard protects recipients or the Messaging API (header injection, scripts, unsubscribe links...).
# No template can disable, re-grade or re-configure it, and not even kmsg.toml can disable it: the
# project's [lint.severity] alone may re-grade a GUARD, and a LOCKED guard stays an error whatever
# any setting says. Which rules are guards is written here, on the rule, and nowhere else.
GUARD = "guard"
LOCKED = "locked"
GUARDS: tuple[str, ...] = ("", GUARD, LOCKED)


@dataclass(frozen=True)
class Option:
    """A rule option: its type (one of OPTION_TYPES), default and one-line help."""

    type: str
    default: Any
    help: str


@dataclass(frozen=True)
class Rule:
    """One rule of the catalog."""

    code: str
    name: str
    severity: str
    check: CheckFn | None
    doc: str
    options: Mapping[str, Option] = field(default_factory=dict)
    configurable: bool = True  # False: cannot be disabled or re-graded (compile errors)
    guard: str = ""  # GUARD or LOCKED: protects recipients or the API (see GUARDS)

    @property
    def summary(self) -> str:
        """The first line of the documentation."""
        return self.doc.split("\n", 1)[0].strip()

    @property
    def sections(self) -> dict[str, str]:
        """The documentation's sections, by heading, dedented."""
        return doc_sections(self.doc)


_RULES: dict[str, Rule] = {}
_SORTED: dict[str, Rule] = {}  # _RULES in code order, rebuilt when a rule is added
_loaded = False


def doc_sections(doc: str) -> dict[str, str]:
    """Split a rule docstring into its headed sections ("What it does:" + indented block...)."""
    out: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in doc.splitlines()[1:]:
        heading = line.rstrip()
        if heading.endswith(":") and heading[:-1] in DOC_SECTIONS and not line.startswith(" "):
            if current is not None:
                out[current] = inspect.cleandoc("\n".join(lines))
            current, lines = heading[:-1], []
        elif current is not None:
            lines.append(line)
    if current is not None:
        out[current] = inspect.cleandoc("\n".join(lines))
    return out


def rule(
    code: str,
    name: str,
    severity: str,
    *,
    options: Mapping[str, Option] | None = None,
    configurable: bool = True,
    guard: str = "",
) -> Callable[[CheckFn], CheckFn]:
    """Register a check function as a rule of the catalog."""

    def register(fn: CheckFn) -> CheckFn:
        doc = inspect.cleandoc(fn.__doc__ or "")
        add_rule(Rule(code, name, severity, fn, doc, dict(options or {}), configurable, guard))
        return fn

    return register


def add_rule(r: Rule) -> None:
    """Add a rule to the catalog, refusing malformed or clashing definitions."""
    if not CODE_RE.match(r.code) or not NAME_RE.match(r.name) or r.severity not in SEVERITIES:
        raise ValueError(f"malformed rule {r.code} {r.name} {r.severity}")
    if r.guard not in GUARDS or (r.guard and r.severity != ERROR):
        raise ValueError(f"rule {r.code}: a guard is one of {GUARDS[1:]} and an error by default")
    for other in _RULES.values():
        if r.code == other.code or r.name == other.name:
            raise ValueError(f"rule {r.code} {r.name} clashes with {other.code} {other.name}")
    for opt in r.options.values():
        if opt.type not in OPTION_TYPES:
            raise ValueError(f"rule {r.code}: option type {opt.type!r} is not one of {OPTION_TYPES}")
    _RULES[r.code] = r
    _SORTED.clear()


def catalog() -> dict[str, Rule]:
    """Every rule, by code, in code order (rule modules are imported on first use)."""
    global _loaded
    if not _loaded:
        from kmsg_authoring.lint import rules as package

        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{info.name}")
        _loaded = True
    if len(_SORTED) != len(_RULES):
        _SORTED.update(sorted(_RULES.items()))
    return dict(_SORTED)


def find_rule(key: str) -> Rule | None:
    """A rule by code (any case) or by name."""
    rules = catalog()
    if key.upper() in rules:
        return rules[key.upper()]
    return next((r for r in rules.values() if r.name == key.lower()), None)
