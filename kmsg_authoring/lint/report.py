"""The result of linting a set of templates: what the formatters print."""

from __future__ import annotations

from dataclasses import dataclass

from kmsg_authoring.errors import exit_status
from kmsg_authoring.lint.problem import ERROR, WARNING, Problem


@dataclass(frozen=True)
class LintReport:
    """Problems of every template checked, in reading order, and the templates checked."""

    problems: tuple[Problem, ...]
    templates: tuple[str, ...]

    @property
    def errors(self) -> int:
        """How many problems are errors."""
        return sum(1 for p in self.problems if p.severity == ERROR)

    @property
    def warnings(self) -> int:
        """How many problems are warnings."""
        return sum(1 for p in self.problems if p.severity == WARNING)

    def exit_code(self, strict: bool = False) -> int:
        """1 with errors (or with warnings when strict), else 0."""
        return exit_status(bool(self.errors or (strict and self.warnings)))


def plural(n: int, word: str) -> str:
    """'1 error', '2 errors'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(report: LintReport) -> str:
    """One line: how many problems in how many templates."""
    checked = plural(len(report.templates), "template")
    if not report.problems:
        return f"{checked} checked, no problems"
    return f"{plural(report.errors, 'error')} and {plural(report.warnings, 'warning')} in {checked}"
