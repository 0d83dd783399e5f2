"""`path:line:col: CODE message`, one problem a line, then a summary line; coloured on a terminal."""

from __future__ import annotations

from kmsg_authoring.lint.problem import ERROR
from kmsg_authoring.lint.report import LintReport, summary

BOLD, RED, YELLOW, GREEN, RESET = "\033[1m", "\033[31m", "\033[33m", "\033[32m", "\033[0m"


def render(report: LintReport, *, color: bool = False) -> str:
    """The text report."""
    lines = []
    for p in report.problems:
        suffix = "" if p.severity == ERROR else " (warning)"
        if color:
            tint = RED if p.severity == ERROR else YELLOW
            lines.append(f"{BOLD}{p.location}{RESET}: {tint}{BOLD}{p.code}{RESET} {p.message}{tint}{suffix}{RESET}")
        else:
            lines.append(f"{p.location}: {p.code} {p.message}{suffix}")
    last = summary(report)
    if color:
        last = f"{RED if report.errors else YELLOW if report.warnings else GREEN}{last}{RESET}"
    lines.append(last)
    return "\n".join(lines) + "\n"
