"""Small helpers shared by command modules: loading the project config, writing output."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from kmsg_authoring.source.config import Config, load_config


def config_from(args: argparse.Namespace) -> Config:
    """The project Config for the --project option (or the current folder)."""
    project = getattr(args, "project", None)
    return load_config(Path(project) if project else None)


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set."""
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def out(text: str = "") -> None:
    """Write a line of normal output."""
    print(text, file=sys.stdout)


def err(text: str) -> None:
    """Write a line to standard error."""
    print(text, file=sys.stderr)


def write_findings(report: Any, fmt: str, output: str | None) -> None:
    """Print a LintReport in a linter format, or write it to a file and print its summary."""
    from kmsg_authoring.lint.formats import formatter
    from kmsg_authoring.lint.report import summary

    render = formatter(fmt)
    if output:
        Path(output).write_text(render(report), encoding="utf-8")
        err(f"{summary(report)}; report written to {output}")
    else:
        sys.stdout.write(render(report, color=fmt == "text" and use_color(sys.stdout)))
