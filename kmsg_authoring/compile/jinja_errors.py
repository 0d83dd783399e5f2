"""A Jinja failure in, a SourceError out: at the template file and line the designer edits, saying what to do."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from kmsg_authoring.errors import KmsgError, Location, SourceError
from kmsg_authoring.source.project import read_text

if TYPE_CHECKING:
    from kmsg_authoring.source.config import Config

_UNDEFINED = re.compile(r"'([^']+)' is undefined")


def _template_frame(tb: TracebackType | None, files: set[str]) -> tuple[str, int] | None:
    """The innermost frame of a traceback that stands in a template file."""
    found = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name in files:
            found = (name, tb.tb_lineno)
        tb = tb.tb_next
    return found


def jinja_error(
    exc: Exception, default: Location, config: Config, loaded: Iterable[str], msg_params_map: Mapping[str, Any]
) -> KmsgError:
    """A Jinja failure as a SourceError at the template file and line (default when none is known)."""
    import jinja2

    from kmsg_authoring.compile.jinja_env import RenderLimitError

    if isinstance(exc, KmsgError):
        return exc
    if isinstance(exc, jinja2.TemplateSyntaxError):
        path = config.rel(Path(exc.filename)) if exc.filename else default.path
        line = exc.lineno + (default.line - 1 if not exc.filename else 0)
        return SourceError(f"Jinja syntax error: {exc.message}", Location(path, line, 1))
    frame = _template_frame(exc.__traceback__, {str(config.src_dir / n) for n in loaded}) or getattr(exc, "where", None)
    loc = Location(config.rel(Path(frame[0])), frame[1], 1) if frame else default
    if isinstance(exc, jinja2.TemplateNotFound):
        return SourceError(
            f"template '{exc.name}' not found (names are relative to {config.rel(config.src_dir)}/)", loc
        )
    if isinstance(exc, jinja2.UndefinedError):
        loc = _undefined_column(config, str(exc.message or exc), loc)
        return SourceError(_undefined_message(config, msg_params_map, str(exc.message or exc), loc), loc)
    if isinstance(exc, RecursionError):
        return SourceError(
            "circular {% include %}, {% extends %} or macro call: a template or macro calls itself without end", loc
        )
    if isinstance(exc, RenderLimitError):
        return SourceError(str(exc), loc)
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return SourceError(f"not allowed in a template: {exc}", loc)
    return SourceError(f"error while rendering: {type(exc).__name__}: {exc}", loc)


def _undefined_column(config: Config, message: str, loc: Location) -> Location:
    """The location of the `{{` whose expression uses the undefined name (Jinja gives the line only)."""
    m = _UNDEFINED.search(message)
    if not m or loc.col != 1:
        return loc
    try:
        line = read_text(config.root / loc.path, loc.path, root=config.root).splitlines()[loc.line - 1]
    except (SourceError, IndexError):
        return loc
    used = re.search(r"\{\{-?\s*" + re.escape(m.group(1)) + r"\b", line) or re.search(
        r"\b" + re.escape(m.group(1)) + r"\b", line
    )
    return Location(loc.path, loc.line, used.start() + 1) if used else loc


def _undefined_message(config: Config, msg_params_map: Mapping[str, Any], message: str, loc: Location) -> str:
    m = _UNDEFINED.search(message)
    if not m:
        return f"{message} at build time"
    name = m.group(1)
    suggestion = None
    try:
        text = read_text(config.root / loc.path, loc.path, root=config.root)
        line = text.splitlines()[loc.line - 1]
        used = re.search(r"\{\{-?\s*(" + re.escape(name) + r"(?:\.\w+)?)\s*-?\}\}", line)
        if used:
            suggestion = used.group(1)
    except (KmsgError, IndexError):
        pass
    declared = name in msg_params_map
    token = "{" + (suggestion or name) + "}"
    if declared:
        return (
            f"'{name}' is undefined at build time; for a send-time token write single braces: "
            f"{token} instead of {{{token}}}"
        )
    if name in ("brand", "template"):
        return (
            f"'{name}' is undefined here; a macro sees build-time variables only when imported "
            f"'with context' ({{% from \"...\" import macro with context %}})"
        )
    hint = f"; if it is a send-time token, declare it in msgParamsMap and write {token}" if suggestion else ""
    return (
        f"'{name}' is undefined at build time (variables: brand.* from kmsg.toml, template.slug, template.name){hint}"
    )
