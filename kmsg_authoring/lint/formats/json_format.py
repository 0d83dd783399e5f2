"""A stable JSON document.

    {
      "version": 1,
      "templates": ["event-invitation", ...],        # the templates checked
      "summary": {"templates": 4, "errors": 1, "warnings": 2},
      "problems": [{"code": "KM101", "name": "undeclared-token", "severity": "error",
                    "message": "...", "path": "templates_src/x/body.html", "line": 12, "col": 9,
                    "template": "x"}, ...]
    }

Paths are relative to the project root with forward slashes; lines and columns are 1-based. New
keys may be added; existing ones keep their meaning while "version" stays 1.
"""

from __future__ import annotations

import json

from kmsg_authoring.lint.report import LintReport

VERSION = 1


def render(report: LintReport, *, color: bool = False) -> str:
    """The JSON report (color is ignored)."""
    doc = {
        "version": VERSION,
        "templates": list(report.templates),
        "summary": {"templates": len(report.templates), "errors": report.errors, "warnings": report.warnings},
        "problems": [p.to_json() for p in report.problems],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
