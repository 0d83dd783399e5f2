"""Text of `kmsg-author rules`: the catalog as a table, one rule in full."""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Mapping

from kmsg_authoring.lint.problem import ERROR, WARNING
from kmsg_authoring.lint.registry import DOC_SECTIONS, GUARD, LOCKED, Rule

GUARD_MARKS = {GUARD: "[guard] ", LOCKED: "[guard, always an error] "}


def listing(rules: Mapping[str, Rule]) -> str:
    """One line a rule: code, default severity, name, [guard] when it is one, summary."""
    width = max(len(r.name) for r in rules.values())
    lines = [
        f"{r.code}  {r.severity:<7}  {r.name:<{width}}  {GUARD_MARKS.get(r.guard, '')}{r.summary}"
        for r in rules.values()
    ]
    lines.append("")
    lines.append("`kmsg-author rules CODE` explains a rule; [lint] in kmsg.toml disables or re-grades rules.")
    lines.append(
        "[guard]: protects recipients or the Messaging API; nothing disables it and only kmsg.toml's "
        "[lint.severity] re-grades it (never a template)."
    )
    return "\n".join(lines)


def explain(rule: Rule) -> str:
    """The rule's documentation: summary, sections, options and how to configure it."""
    parts = [f"{rule.code} {rule.name} ({rule.severity})", rule.summary]
    sections = rule.sections
    for title in DOC_SECTIONS:
        if title in sections:
            parts.append(f"{title}:\n{textwrap.indent(sections[title], '    ')}")
    if rule.options:
        opts = [f"    {name} ({o.type}, default {o.default!r}): {o.help}" for name, o in rule.options.items()]
        parts.append("Options:\n" + "\n".join(opts))
    if rule.guard == LOCKED:
        parts.append(
            "A guard: it protects recipients or the Messaging API. Nothing disables it or makes it less "
            "than an error, neither kmsg.toml nor a template."
        )
    elif rule.guard:
        parts.append(
            "A guard: it protects recipients or the Messaging API. Nothing disables it and no template "
            "changes it; only the project may re-grade it (kmsg.toml):\n"
            f'    [lint.severity]\n    {rule.code} = "{WARNING}"'
        )
    elif rule.configurable:
        example = ""
        if rule.options:
            name, opt = next(iter(rule.options.items()))
            example = f"\n    [lint.options.{rule.code}]\n    {name} = {_toml(opt.default)}"
        parts.append(
            "Configure (kmsg.toml, or the same keys under kmsg: {lint: ...} in template.yaml):\n"
            f'    [lint]\n    disable = ["{rule.code}"]\n    [lint.severity]\n'
            f'    {rule.code} = "{WARNING if rule.severity == ERROR else ERROR}"{example}'
        )
    else:
        parts.append("This rule cannot be disabled or re-graded.")
    return "\n\n".join(parts)


def rule_named(name: str) -> Rule:
    """The rule with this code or name; UsageError (with the closest names) for an unknown one."""
    from kmsg_authoring.errors import UsageError
    from kmsg_authoring.lint.context import did_you_mean
    from kmsg_authoring.lint.registry import catalog, find_rule

    found = find_rule(name)
    if found is None:
        names = [*catalog(), *(r.name for r in catalog().values())]
        raise UsageError(f"unknown rule '{name}'{did_you_mean(name, names)}; `kmsg-author rules` lists them")
    return found


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def rule_page(rule: Rule) -> str:
    """The rule's documentation as a Markdown page: what, why, bad, good, options and configuration."""
    lines = [f"# {rule.code} {rule.name}", "", _prose(rule.summary), ""]
    lines.append(f"Default severity: **{rule.severity}**.")
    if not rule.configurable:
        lines.append("It cannot be disabled or re-graded.")
    lines.append("")
    sections = rule.sections
    for title in DOC_SECTIONS:
        if title not in sections:
            continue
        lines.append(f"## {title}")
        lines.append("")
        if title in ("Bad", "Good"):
            lines += ["```", sections[title], "```"]
        else:
            lines.append(_prose(sections[title]))
        lines.append("")
    if rule.options:
        lines += ["## Options", "", "| option | type | default | what it does |", "| --- | --- | --- | --- |"]
        lines += [f"| `{n}` | {o.type} | `{_toml(o.default)}` | {_prose(o.help)} |" for n, o in rule.options.items()]
        lines.append("")
    if rule.configurable:
        lines += [
            "## Configuration",
            "",
            "In `kmsg.toml`, or under `kmsg: {lint: ...}` in a template's `template.yaml`:",
            "",
            "```toml",
            "[lint]",
            f'disable = ["{rule.code}"]',
            "[lint.severity]",
            f'{rule.code} = "{WARNING if rule.severity == ERROR else ERROR}"',
            "```",
            "",
        ]
    return "\n".join(lines)


def _prose(text: str) -> str:
    """Documentation text as Markdown: `<svg>` written in prose is shown as text, code spans stay code."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(part if part.startswith("`") else html.escape(part, quote=False) for part in parts)
