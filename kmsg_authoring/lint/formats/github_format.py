"""GitHub Actions workflow commands: `::error file=...,line=...,col=...,title=...::message`."""

from __future__ import annotations

from kmsg_authoring.lint.problem import ERROR
from kmsg_authoring.lint.report import LintReport, summary


def escape_data(text: str) -> str:
    """Escape a message: %, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: as a message, plus ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: LintReport, *, color: bool = False) -> str:
    """One annotation a problem, then the summary as a plain log line (color is ignored)."""
    lines = []
    for p in report.problems:
        level = "error" if p.severity == ERROR else "warning"
        props = ",".join(
            [
                f"file={escape_property(p.location.path)}",
                f"line={p.location.line}",
                f"col={p.location.col}",
                f"title={escape_property(f'{p.code} {p.name}')}",
            ]
        )
        lines.append(f"::{level} {props}::{escape_data(p.message)}")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"
