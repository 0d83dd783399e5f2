"""Reading sources for the compiler: tokens shielded and elements marked with their source line.

One pass over each source file swaps every send-time token for an inert placeholder that remembers
the token, its file, line and column, and tags every element start with a MARK_ATTR attribute that
remembers where it was written. After Jinja and the CSS inliner, both lead back to the file the
designer edits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from kmsg_authoring.compile.tokens import TOKEN_RE, Shield, Shielded
from kmsg_authoring.compile.types import MARK_ATTR, SourceMap
from kmsg_authoring.errors import Location
from kmsg_authoring.source import LineIndex, read_text

_TAG = r"<([A-Za-z][\w:.-]*)(?=[\s/>])"
_SCAN_JINJA = re.compile(r"(?=[{&<])(?:\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|(" + TOKEN_RE.pattern + ")|" + _TAG + ")", re.DOTALL)
_SCAN_PLAIN = re.compile("(?=[{&<])(?:(" + TOKEN_RE.pattern + ")|" + _TAG + ")", re.DOTALL)
_JINJA_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'", re.DOTALL)


def prepare(text: str, rel: str, shield: Shield, marks: SourceMap | None, jinja: bool) -> str:
    """Shield the tokens of a source text and mark its elements (marks=None: tokens only)."""
    scan = _SCAN_JINJA if jinja else _SCAN_PLAIN
    index = LineIndex(text)
    out: list[str] = []
    last = 0

    def swap(start: int, raw: str, name: str, field: str | None) -> str:
        line, col = index.line_col(start)
        return shield.placeholder(Shielded(raw, name, field, rel, line, col))

    for m in scan.finditer(text):
        if m.group(1) is not None:
            out.append(text[last:m.start()])
            out.append(swap(m.start(), m.group(0), m.group(2), m.group(3)))
            last = m.end()
        elif m.group(4) is None and m.group(0)[1] in "{%" and "{" in m.group(0)[2:]:
            # A token in a Jinja string literal ({{ button("{joinLink}", "Join") }}) is shielded where
            # the designer wrote it, so its location is this line, not the macro's.

            def in_string(s: re.Match[str], block_start: int = m.start()) -> str:
                base = block_start + s.start()
                return TOKEN_RE.sub(
                    lambda t: swap(base + t.start(), t.group(0), t.group(1), t.group(2)), s.group(0)
                )

            out.append(text[last:m.start()])
            out.append(_JINJA_STRING.sub(in_string, m.group(0)))
            last = m.end()
        elif m.group(4) is not None and marks is not None:
            line, col = index.line_col(m.start())
            out.append(text[last:m.end()])
            out.append(f' {MARK_ATTR}="{marks.add(Location(rel, line, col))}"')
            last = m.end()
    out.append(text[last:])
    return "".join(out)


class ShieldingLoader(jinja2.BaseLoader):
    """Loads templates from the source root, shielding tokens and marking elements as it reads."""

    def __init__(self, root: Path, rel: Callable[[Path], str], shield: Shield, marks: SourceMap) -> None:
        self.root = root
        self.rel = rel
        self.shield = shield
        self.marks = marks

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        parts = jinja2.loaders.split_template_path(template)
        path = self.root.joinpath(*parts)
        if not path.is_file():
            raise jinja2.TemplateNotFound(template)
        rel = self.rel(path)
        text = read_text(path, rel)
        html = not path.name.endswith(".css")
        prepared = prepare(text, rel, self.shield, self.marks if html else None, jinja=True)
        mtime = path.stat().st_mtime_ns

        def uptodate() -> bool:
            try:
                return path.stat().st_mtime_ns == mtime
            except OSError:
                return False

        return prepared, str(path), uptodate


class TrackingEnvironment(SandboxedEnvironment):
    """A sandboxed environment that records every template a render loads (layouts, includes, CSS)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded: set[str] = set()

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        self.loaded.add(name)
        return super()._load_template(name, globals)


def make_environment(root: Path, rel: Callable[[Path], str], shield: Shield, marks: SourceMap) -> TrackingEnvironment:
    """The build-time Jinja environment: sandboxed, undefined variables are errors, HTML autoescaped."""
    return TrackingEnvironment(
        loader=ShieldingLoader(root, rel, shield, marks),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "htm"], default_for_string=False),
        keep_trailing_newline=True,
    )
