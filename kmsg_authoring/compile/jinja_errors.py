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
_NO_ATTRIBUTE = re.compile(r"has no attribute '([^']+)'")
_QUOTED = re.compile(r"'([^']+)'")
# Jinja's block tags and the tag that closes each.
_BLOCK_TAG = re.compile(
    r"\{%[-+]?\s*(end)?(if|for|block|macro|call|filter|with|raw|trans|autoescape|set)\b(.*?)[-+]?%\}", re.DOTALL
)
_NEEDS_CLOSING = re.compile(
    r"innermost block that needs to be closed is '(\w+)'|looking for the following tags: '(?:end)?(\w+)'"
)


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
        return _syntax_error(
            config, str(exc.message or ""), Location(path, line, 1), exc.source if not exc.filename else None
        )
    frame = _template_frame(exc.__traceback__, {str(config.src_dir / n) for n in loaded}) or getattr(exc, "where", None)
    loc = Location(config.rel(Path(frame[0])), frame[1], 1) if frame else default
    if isinstance(exc, jinja2.TemplateNotFound):
        name = str(exc.name)
        loc = _column_of(config, loc, [f'"{name}"', f"'{name}'", name])
        relative = f"names are relative to {config.rel(config.src_dir)}/"
        return SourceError(f"template '{name}' not found ({relative}){_closest_file(config, name)}", loc)
    if isinstance(exc, jinja2.UndefinedError):
        message = str(exc.message or exc)
        attribute = _NO_ATTRIBUTE.search(message)
        if attribute:
            return _attribute_error(config, attribute.group(1), loc, default)
        loc = _undefined_column(config, message, loc)
        return SourceError(_undefined_message(config, msg_params_map, message, loc), loc)
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


def _line_text(config: Config, loc: Location, source: str | None = None) -> str:
    """The text of a location's line ('' when it cannot be read)."""
    try:
        text = source if source is not None else read_text(config.root / loc.path, loc.path, root=config.root)
        return text.splitlines()[loc.line - 1]
    except (KmsgError, IndexError):
        return ""


def _column_of(config: Config, loc: Location, needles: list[str], source: str | None = None) -> Location:
    """loc at the first of needles found on its line (Jinja gives lines, not columns)."""
    line = _line_text(config, loc, source)
    for needle in needles:
        at = line.find(needle)
        if needle and at >= 0:
            return Location(loc.path, loc.line, at + 1)
    return loc


def _syntax_error(config: Config, message: str, loc: Location, source: str | None) -> SourceError:
    """A Jinja syntax error at the column of the offending text; an unclosed block at its opening tag."""
    needs = _NEEDS_CLOSING.search(message)
    if needs:
        kind = needs.group(1) or needs.group(2)
        opening = _unclosed_opening(config, loc, kind, source, whole="end of template" in message.lower())
        if opening is not None:
            where, opened = opening
            closing = "the end of the file" if "end of template" in message.lower() else f"line {loc.line}"
            return SourceError(
                f"Jinja syntax error: '{opened}' is never closed: add '{{% end{kind} %}}' before {closing}", where
            )
    # The offending text is the last quoted token of the message ("unexpected '}'", "got 'x'").
    quoted = [q for q in _QUOTED.findall(message) if not q.startswith(("end of", "name"))]
    line = _line_text(config, loc, source)
    for token in reversed(quoted):
        at = line.rfind(token) if token in ("}", ")", "]") else line.find(token)
        if at >= 0:
            return SourceError(f"Jinja syntax error: {message}", Location(loc.path, loc.line, at + 1))
    tag = max(line.rfind("{{"), line.rfind("{%"))
    col = tag + 1 if tag >= 0 else 1
    return SourceError(f"Jinja syntax error: {message}", Location(loc.path, loc.line, col))


def _unclosed_opening(
    config: Config, loc: Location, kind: str, source: str | None, whole: bool
) -> tuple[Location, str] | None:
    """The innermost block tag of this kind still open before loc's line (whole: at the end of the
    file): where it is, and how it reads."""
    try:
        text = source if source is not None else read_text(config.root / loc.path, loc.path, root=config.root)
    except KmsgError:
        return None
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    limit = len(text) if whole or loc.line > len(starts) else starts[loc.line - 1]
    stack: list[tuple[str, int, str]] = []
    for m in _BLOCK_TAG.finditer(text, 0, limit):
        end, name, rest = m.group(1), m.group(2), m.group(3)
        if name == "set" and "=" in rest:
            continue  # {% set x = ... %} has no end tag
        if end:
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] == name:
                    del stack[i:]
                    break
        else:
            stack.append((name, m.start(), " ".join(m.group(0).split())))
    for name, offset, tag in reversed(stack):
        if name == kind:
            line = max(i for i, s in enumerate(starts) if s <= offset)
            return Location(loc.path, line + 1, offset - starts[line] + 1), tag
    return None


def _closest_file(config: Config, name: str) -> str:
    """ "; did you mean '_layouts/base.html'?" for a layout or partial name that is not found."""
    import difflib

    src = config.src_dir
    try:
        files = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file())
    except OSError:
        return ""
    files = [f for f in files if f.startswith("_")] or files
    close = difflib.get_close_matches(name, files, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _attribute_error(config: Config, attribute: str, loc: Location, default: Location) -> SourceError:
    """'x' has no attribute 'y': the expression at its column, the closest name, and the samples' tokens."""
    import difflib

    line = _line_text(config, loc)
    used = re.search(r"([A-Za-z_][\w.]*)\." + re.escape(attribute) + r"\b", line)
    if used:
        loc = Location(loc.path, loc.line, used.start() + 1)
    base = used.group(1) if used else ""
    node: Any = {"brand": dict(config.brand), "template": {"slug": "", "name": ""}}
    for part in base.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    known = sorted(node) if isinstance(node, dict) else []
    where = {"brand": "[brand] in kmsg.toml", "template": "the template"}.get(base.split(".")[0], base or "it")
    close = difflib.get_close_matches(attribute, known, n=1)
    hint = f" (did you mean '{base}.{close[0]}'?)" if close else ""
    has = f"; {where} has: {', '.join(known)}" if known else ""
    message = f"'{base or 'the object'}' has no attribute '{attribute}' at build time{hint}{has}"
    sample = _sample_token(config, Path(default.path).parent.as_posix(), attribute)
    if sample:
        name, token = sample
        message += f"; {name} has a send-time token '{token}': write {{{token}}} to fill it in at send time"
    return SourceError(message, loc)


def _sample_token(config: Config, folder: str, name: str) -> tuple[str, str] | None:
    """(sample file, token) for the sample msgParams name closest to name, if one is close."""
    import difflib

    import yaml

    for path in sorted((config.root / folder / "samples").glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        params = data.get("msgParams") if isinstance(data, dict) else None
        close = difflib.get_close_matches(name, sorted(map(str, params or {})), n=1)
        if close:
            return config.rel(path), close[0]
    return None
