"""A compiled template in, problems out (rule, severity, message, location): the rule catalog.

`lint_template(compiled, config)` is what the build calls after compiling each template; the build
refuses a template with any problem of severity "error". Rules live in lint/rules/ (one module per
rule family), formats in lint/formats/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kmsg_authoring.errors import KmsgError, Location
from kmsg_authoring.lint.problem import COMPILE_ERROR, ERROR, SAMPLE_ERROR, SEVERITIES, WARNING, Problem
from kmsg_authoring.lint.registry import Rule, catalog, find_rule

if TYPE_CHECKING:
    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.source.config import Config

__all__ = [
    "COMPILE_ERROR",
    "ERROR",
    "SAMPLE_ERROR",
    "SEVERITIES",
    "WARNING",
    "Problem",
    "Rule",
    "catalog",
    "compile_problem",
    "find_rule",
    "lint_template",
    "sort_problems",
]


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Problems in reading order: file, line, column, code; exact duplicates dropped."""
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.location.path, p.location.line, p.location.col, p.code, p.message))


def lint_template(compiled: CompiledTemplate, config: Config) -> list[Problem]:
    """Every problem the enabled rules find in a compiled template, in reading order.

    Raises ConfigError for unknown rule codes or options in kmsg.toml or the template's kmsg.lint.
    """
    from kmsg_authoring.lint.context import Context
    from kmsg_authoring.lint.settings import resolve

    settings = resolve(config.lint, compiled.settings.get("lint"), compiled.meta)
    ctx = Context(compiled, config)
    problems: list[Problem] = []
    for code, rule in catalog().items():
        setting = settings[code]
        if rule.check is None or not setting.enabled:
            continue
        ctx.options = setting.options
        for finding in rule.check(ctx):
            problems.append(
                Problem(finding.location, code, rule.name, setting.severity, finding.message, compiled.slug)
            )
    return sort_problems(problems)


def compile_problem(exc: KmsgError, fallback: Location, template: str | None = None) -> Problem:
    """A template that did not compile, as a problem of rule KM001 at the error's location."""
    rule = catalog()[COMPILE_ERROR]
    return Problem(exc.location or fallback, rule.code, rule.name, ERROR, exc.message, template)
