"""`path:line:col: CODE message`, one problem a line, then a summary line; coloured on a terminal."""

from __future__ import annotations

from kmsg_authoring.lint.problem import ERROR, Problem
from kmsg_authoring.lint.report import LintReport, summary

BOLD, RED, YELLOW, GREEN, RESET = "\033[1m", "\033[31m", "\033[33m", "\033[32m", "\033[0m"


def line(p: Problem, *, color: bool = False) -> str:
    """One finding: `path:line:col: CODE message`, warnings marked; every command prints findings so."""
    suffix = "" if p.severity == ERROR else " (warning)"
    if color:
        tint = RED if p.severity == ERROR else YELLOW
        return f"{BOLD}{p.location}{RESET}: {tint}{BOLD}{p.code}{RESET} {p.message}{tint}{suffix}{RESET}"
    return f"{p.location}: {p.code} {p.message}{suffix}"


def render(report: LintReport, *, color: bool = False) -> str:
    """The text report."""
    lines = [line(p, color=color) for p in report.problems]
    last = summary(report)
    if color:
        last = f"{RED if report.errors else YELLOW if report.warnings else GREEN}{last}{RESET}"
    lines.append(last)
    return "\n".join(lines) + "\n"
