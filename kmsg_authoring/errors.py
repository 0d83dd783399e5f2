"""Errors raised by the library; the CLI maps them to messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass

# Exit codes of every command, here only.
EXIT_OK = 0
EXIT_FAILURE = 1  # findings or failures
EXIT_USAGE = 2  # usage or configuration error
EXIT_CHANGES = 2  # plan --detailed-exitcode: there are changes to publish (as Terraform's plan)
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report a SIGINT (128 + 2)

# How a secret (the KS, a signing secret) is shown wherever a request, a value or an error is described.
HIDDEN = "<hidden>"


def hide(text: str, *secrets: str) -> str:
    """text with every secret shown as HIDDEN wherever it stands as a whole: not inside a longer word.

    A short secret ("s") would otherwise turn "missing" into "mi<hidden><hidden>ing" while
    revealing nothing it hid; where it stands on its own (quoted, after '=' or a space) it is hidden
    whatever its length. Longer secrets first, so that one inside another is not half-replaced.
    """
    import re

    for secret in sorted(set(secrets), key=len, reverse=True):
        if not secret:
            continue
        before = r"(?<!\w)" if re.match(r"\w", secret) else ""
        after = r"(?!\w)" if re.search(r"\w\Z", secret) else ""
        text = re.sub(before + re.escape(secret) + after, HIDDEN, text)
    return text


def exit_status(failed: bool) -> int:
    """EXIT_FAILURE when a command found problems or failed, else EXIT_OK."""
    return EXIT_FAILURE if failed else EXIT_OK


@dataclass(frozen=True)
class Location:
    """A place in a source file the designer edits: project-relative path, 1-based line and column."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


class KmsgError(Exception):
    """Base of every error the toolkit reports to the user."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class UsageError(KmsgError):
    """A command was called wrongly (unknown template, bad option)."""

    exit_code = EXIT_USAGE


class ConfigError(KmsgError):
    """kmsg.toml or the environment is not usable."""

    exit_code = EXIT_USAGE


class SourceError(KmsgError):
    """A template source is invalid (bad YAML, unknown field, Jinja error, non-UTF-8 file...)."""


class SampleError(SourceError):
    """A preview sample does not fit its template: shown with its rule code wherever it is reported."""

    code = "KM002"

    def __str__(self) -> str:
        text = f"{self.code} {self.message}"
        return f"{self.location}: {text}" if self.location else text


class BuildError(KmsgError):
    """A template could not be compiled."""


class ApiError(KmsgError):
    """The Messaging API answered with an error or could not be reached."""

    def __init__(self, message: str, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
