"""SARIF 2.1.0 for code-scanning UIs: every rule once in tool.driver.rules, relative URIs, 1-based columns."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kmsg_authoring import __version__
from kmsg_authoring.lint.problem import ERROR
from kmsg_authoring.lint.registry import Rule, catalog
from kmsg_authoring.lint.report import LintReport

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"


def _rule(r: Rule) -> dict[str, Any]:
    sections = r.sections
    text = "\n\n".join(f"{k}:\n{v}" for k, v in sections.items())
    markdown = "\n\n".join(
        f"**{k}**\n\n" + (f"```\n{v}\n```" if k in ("Bad", "Good") else v) for k, v in sections.items()
    )
    entry: dict[str, Any] = {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": sections.get("What it does", r.summary)},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": "error" if r.severity == ERROR else "warning"},
        "properties": {"tags": ["email"]},
    }
    return entry


def render(report: LintReport, *, color: bool = False, rules: Mapping[str, Rule] | None = None) -> str:
    """The SARIF log (color is ignored)."""
    rules = catalog() if rules is None else rules
    index = {code: i for i, code in enumerate(rules)}
    results = []
    for p in report.problems:
        result: dict[str, Any] = {
            "ruleId": p.code,
            "level": "error" if p.severity == ERROR else "warning",
            "message": {"text": p.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": p.location.path, "uriBaseId": SRCROOT},
                        "region": {"startLine": max(1, p.location.line), "startColumn": max(1, p.location.col)},
                    },
                }
            ],
        }
        if p.code in index:
            result["ruleIndex"] = index[p.code]
        results.append(result)
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kmsg-author",
                        "version": __version__,
                        "rules": [_rule(r) for r in rules.values()],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
