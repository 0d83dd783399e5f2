"""The build-time Jinja environment, loading sources through `prepare` (tokens shielded, elements marked).

Imported only when a template uses Jinja: a project of plain-HTML bodies never pays for it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from kmsg_authoring.compile.loader import prepare
from kmsg_authoring.compile.tokens import Shield
from kmsg_authoring.compile.types import SourceMap
from kmsg_authoring.source.project import read_text


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
