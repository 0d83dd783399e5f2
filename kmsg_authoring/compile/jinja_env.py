"""The build-time Jinja environment, loading sources through `prepare` (tokens shielded, elements marked).

Imported only when a template uses Jinja: a project of plain-HTML bodies never pays for it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.nodes import EvalContext
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from kmsg_authoring.compile.loader import prepare
from kmsg_authoring.compile.tokens import TOKEN_RE, Shield, Shielded
from kmsg_authoring.compile.types import SourceMap
from kmsg_authoring.errors import Location
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
        # Where an expression's output is said to stand when its template has no file (a field).
        self.default_location = Location("")

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        self.loaded.add(name)
        return super()._load_template(name, globals)


def _expression_location(env: TrackingEnvironment, rel: Callable[[Path], str]) -> Location:
    """The template file and line of the {{ expression }} being output (the caller's Jinja frame)."""
    frame = sys._getframe(2)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if isinstance(template, jinja2.Template):
            if template.filename and not template.filename.startswith("<"):
                return Location(rel(Path(template.filename)), template.get_corresponding_lineno(frame.f_lineno), 1)
            break
        frame = frame.f_back  # type: ignore[assignment]
    return env.default_location


def _shielding_finalize(
    shield: Shield, rel: Callable[[Path], str]
) -> Callable[[EvalContext, Any], Any]:
    """Jinja's finalize: shields the references an expression's output holds (a brand value with
    {eventName}), located at the expression.

    References written in source text are shielded by the loader where they were written; this is
    the same shield for the ones only Jinja output produces, so every reference is shielded once.
    """

    @jinja2.pass_eval_context
    def finalize(eval_ctx: EvalContext, value: Any) -> Any:
        text = value if isinstance(value, str) else str(value)
        if "{" not in text and "&" not in text:
            return value
        if eval_ctx.autoescape and not isinstance(value, Markup):
            text = escape(text)  # as Jinja would, so what is a reference is decided on the output
        if TOKEN_RE.search(text) is None:
            return value
        env = eval_ctx.environment
        loc = _expression_location(env, rel) if isinstance(env, TrackingEnvironment) else Location("")
        shielded = TOKEN_RE.sub(
            lambda m: shield.placeholder(Shielded(m.group(0), m.group(1), m.group(2), loc.path, loc.line, loc.col)),
            text,
        )
        return Markup(shielded) if isinstance(text, Markup) else shielded

    return finalize


def make_environment(root: Path, rel: Callable[[Path], str], shield: Shield, marks: SourceMap) -> TrackingEnvironment:
    """The build-time Jinja environment: sandboxed, undefined variables are errors, HTML autoescaped."""
    return TrackingEnvironment(
        loader=ShieldingLoader(root, rel, shield, marks),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "htm"], default_for_string=False),
        keep_trailing_newline=True,
        finalize=_shielding_finalize(shield, rel),
    )
