"""A LintReport in, text out: the output formats of `kmsg-author lint`, each a pure function."""

from __future__ import annotations

from collections.abc import Callable

from kmsg_authoring.lint.report import LintReport

FORMATS: tuple[str, ...] = ("text", "json", "sarif", "github")


def formatter(name: str) -> Callable[..., str]:
    """The render function of a format (imported on demand)."""
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}")
    import importlib

    module = importlib.import_module(f"kmsg_authoring.lint.formats.{name}_format")
    render: Callable[..., str] = module.render
    return render


__all__ = ["FORMATS", "LintReport", "formatter"]
