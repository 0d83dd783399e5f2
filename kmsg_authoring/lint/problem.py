"""A lint finding: which rule, how severe, what to do, and where in the file the designer edits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kmsg_authoring.errors import Location, SampleError

ERROR = "error"
WARNING = "warning"
SEVERITIES: tuple[str, ...] = (ERROR, WARNING)

# Rules without a check function: the build reports these findings itself (lint/rules/compile_error.py).
COMPILE_ERROR = "KM001"  # the template does not compile
SAMPLE_ERROR = SampleError.code  # a preview sample does not fit the template


@dataclass(frozen=True)
class Problem:
    """One finding of one rule at one place."""

    location: Location
    code: str
    name: str
    severity: str
    message: str
    template: str | None = None  # slug of the template the finding belongs to

    @property
    def is_error(self) -> bool:
        """True for severity "error" (the build refuses the template)."""
        return self.severity == ERROR

    def __str__(self) -> str:
        return f"{self.location}: {self.code} {self.message}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (lint --format json, the build cache)."""
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "path": self.location.path,
            "line": self.location.line,
            "col": self.location.col,
            "template": self.template,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Problem:
        """Inverse of to_json."""
        return cls(
            location=Location(data["path"], data["line"], data["col"]),
            code=data["code"],
            name=data["name"],
            severity=data["severity"],
            message=data["message"],
            template=data.get("template"),
        )
