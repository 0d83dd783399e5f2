"""The build-time Jinja environment, loading sources through `prepare` (tokens shielded, elements marked).

Every file it loads is confined to the project root, and every render has a time and an output
budget: a template is the designer's code, run on every build, in CI and in the preview.

Imported only when a template uses Jinja: a project of plain-HTML bodies never pays for it.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment, SandboxedFormatter
from jinja2.visitor import NodeTransformer
from markupsafe import Markup, escape

from kmsg_authoring.compile.jinja_budgets import (
    RenderLimitError,
    check_format_spec,
    check_method_call,
    check_printf,
    check_size,
    guard_filters,
)
from kmsg_authoring.compile.loader import prepare
from kmsg_authoring.compile.tokens import TOKEN_RE, Shield, Shielded
from kmsg_authoring.compile.types import JINJA_OUTSIDE_BLOCKS, SourceMap
from kmsg_authoring.errors import Location
from kmsg_authoring.source.project import confine, lexical_rel, note_read, read_text, recording_reads

if TYPE_CHECKING:
    from kmsg_authoring.compile.i18n import Translator

BUDGET_FILTER = "kmsg_budget"
SIZE_FILTER = "kmsg_size"
__all__ = ["RenderLimitError", "TrackingEnvironment", "make_environment"]
# Results of `*` and `**` in a template are refused beyond these, before they are computed.
MAX_POWER_BITS = 4096


def _producing(gen: Any) -> tuple[str, int] | None:
    """(template file, line) of the innermost template that a render generator is producing output in."""
    found = None
    while gen is not None:
        frame = getattr(gen, "gi_frame", None)
        if frame is not None:
            template = frame.f_globals.get("__jinja_template__")
            if template is not None and template.filename:
                found = (template.filename, template.get_corresponding_lineno(frame.f_lineno))
        gen = getattr(gen, "gi_yieldfrom", None)
    return found


class ShieldingLoader(jinja2.BaseLoader):
    """Loads templates from the source root, shielding tokens and marking elements as it reads."""

    def __init__(
        self, root: Path, rel: Callable[[Path], str], shield: Shield, marks: SourceMap, project_root: Path
    ) -> None:
        self.root = root
        self.project_root = project_root
        self.rel = rel
        self.shield = shield
        self.marks = marks
        # name -> (project-relative path, hash of the bytes read): a template Jinja serves from its
        # cache counts as read again with those bytes (see TrackingEnvironment._load_template).
        self.digests: dict[str, tuple[str, str | None]] = {}

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        parts = jinja2.loaders.split_template_path(template)
        path = self.root.joinpath(*parts)
        if not path.is_file():
            # Looked for and absent: creating it later must count as a change.
            note_read(lexical_rel(self.project_root, path), None)
            raise jinja2.TemplateNotFound(template)
        rel = confine(self.project_root, path, lexical_rel(self.project_root, path))
        with recording_reads() as reads:
            text = read_text(path, rel, root=self.project_root)
        self.digests[template] = (rel, reads.get(rel))
        note_read(rel, reads.get(rel))
        html = not path.name.endswith(".css")
        prepared = prepare(text, rel, self.shield, self.marks if html else None, jinja=True)
        mtime = path.stat().st_mtime_ns

        def uptodate() -> bool:
            try:
                return path.stat().st_mtime_ns == mtime
            except OSError:
                return False

        return prepared, str(path), uptodate


OUTSIDE_BLOCKS_MESSAGE = (
    "this is outside every {% block %} of a template that extends a layout: Jinja never renders it; "
    "move it into one of the layout's blocks"
)


def dropped_outside_blocks(tree: nodes.Template, source: str) -> tuple[tuple[int, int], ...]:
    """(line, column) of the first character of each piece of output a template has after a top-level
    `{% extends %}` outside every `{% block %}`: text, `{{ }}` and what an `{% if %}` or `{% for %}`
    there would print. Jinja skips all of it when it renders the template; blank text is not reported."""
    lines = source.split("\n")
    found: list[tuple[int, int]] = []
    extends = False
    for node in tree.body:
        if isinstance(node, nodes.Extends):
            extends = True
        elif extends and not isinstance(node, nodes.Block) and not node.find(nodes.Block):
            where = next((w for out in _printed(node) if (w := _first_output(out, lines)) is not None), None)
            if where is not None:
                found.append(where)
    return tuple(found)


# What defines rather than prints: a macro's body or a {% set %} block's is output only where used.
_DEFINES = (nodes.Macro, nodes.AssignBlock)


def _printed(node: nodes.Node) -> Iterator[nodes.Output]:
    """The Output nodes a node would print, in order, leaving out macro bodies and {% set %} blocks."""
    if isinstance(node, nodes.Output):
        yield node
    elif not isinstance(node, _DEFINES):
        for child in node.iter_child_nodes():
            yield from _printed(child)


def _first_output(node: nodes.Output, lines: list[str]) -> tuple[int, int] | None:
    """Where an Output node's first non-blank piece starts (None: only whitespace)."""
    for child in node.nodes:
        if isinstance(child, nodes.TemplateData):
            text = child.data
            start = len(text) - len(text.lstrip())
            if start == len(text):
                continue
            line = child.lineno + text.count("\n", 0, start)
            newline = text.rfind("\n", 0, start)
            if newline >= 0:
                return line, start - newline
            first = text[start:].split("\n", 1)[0]
            written = lines[line - 1] if 0 < line <= len(lines) else ""
            return line, written.find(first) + 1 if first in written else 1
        written = lines[child.lineno - 1] if 0 < child.lineno <= len(lines) else ""
        return child.lineno, written.find("{{") + 1 if "{{" in written else 1
    return None


class _MeasuredConcat(NodeTransformer):
    """Puts every `~` through the size filter: a string doubled in a loop stops at the size limit."""

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(node, SIZE_FILTER, [], [], None, None, lineno=node.lineno)


class _BudgetedCodeGenerator(CodeGenerator):
    """Compiles every {% for %} to iterate through the budget filter, so no loop outlives the budget,
    and every `~` to be measured."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, BUDGET_FILTER, [], [], None, None, lineno=loop.iter.lineno)
        _MeasuredConcat().visit(node)
        super().visit_Template(node, frame)


@jinja2.pass_context
def _budgeted(context: Context, iterable: Iterable[Any]) -> Iterator[Any]:
    check = context.environment.check_time  # type: ignore[attr-defined]
    for item in iterable:
        check()
        yield item


class TrackingEnvironment(SandboxedEnvironment):
    """A sandboxed environment that records every template a render loads (layouts, includes, CSS)
    and stops a render that runs past its deadline or produces more than its output limit."""

    code_generator_class = _BudgetedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, *, time_limit: float, size_limit: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded: set[str] = set()
        # Where an expression's output is said to stand when its template has no file (a field).
        self.default_location = Location("")
        self.time_limit = time_limit
        self.size_limit = size_limit
        self.deadline = math.inf
        self.produced = 0  # characters the template's renders (fields and body) have produced so far
        # Template name -> (line, column) of each piece of output it has after {% extends %}, outside
        # every block: Jinja never renders it (see dropped_outside_blocks). Kept with Jinja's own cache.
        self.dropped: dict[str, tuple[tuple[int, int], ...]] = {}
        self.filters[BUDGET_FILTER] = _budgeted
        self.filters[SIZE_FILTER] = self._sized
        guard_filters(self.filters, size_limit)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        if name is not None:
            self.dropped[name] = dropped_outside_blocks(tree, source)
        return tree

    def outside_blocks(self, rel: Callable[[str], str]) -> list[tuple[str, str, Location]]:
        """The compile notes of the templates loaded since `loaded` was cleared: what each has outside
        its blocks (rel: a template name's project-relative path)."""
        return [
            (JINJA_OUTSIDE_BLOCKS, OUTSIDE_BLOCKS_MESSAGE, Location(rel(name), line, col))
            for name in sorted(self.loaded)
            for line, col in self.dropped.get(name, ())
        ]

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        self.loaded.add(name)
        template = super()._load_template(name, globals)
        digests = getattr(self.loader, "digests", {})
        if name in digests:
            note_read(*digests[name])
        return template

    # -- budgets ----------------------------------------------------------------------------------
    def start_budget(self) -> None:
        """Start the time and size budgets of one template (its fields and body together)."""
        self.deadline = time.monotonic() + self.time_limit
        self.produced = 0

    def check_time(self) -> None:
        """Raise RenderLimitError once the template's time budget is spent."""
        if time.monotonic() > self.deadline:
            raise RenderLimitError(
                f"rendering took longer than {self.time_limit:g} s (a loop or recursion that does not end?); "
                "the limit is [build] render_time_limit in kmsg.toml"
            )

    def _too_large(self, size: int) -> RenderLimitError:
        return RenderLimitError(
            f"rendered output too large ({size:,} > {self.size_limit:,} characters); "
            "the limit is [build] render_size_limit_mb in kmsg.toml"
        )

    def _sized(self, value: Any) -> Any:
        check_size(len(value), self.size_limit, "joining strings with ~")
        return value

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Every call in a template (functions, macros, range, loop recursion) checks the deadline;
        a string method that pads or repeats checks its arguments first."""
        self.check_time()
        args = check_method_call(obj, args, kwargs, self.size_limit)
        return super().call(context, obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`str.format` and `format_map`: the format specs are checked (nested fields filled in) first."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt: str = value.__self__
        is_map = value.__name__ == "format_map"
        checker = _SpecCheck(self)

        def checked(*args: Any, **kwargs: Any) -> str:
            if is_map and len(args) == 1 and not kwargs:
                checker.vformat(fmt, (), args[0])
            else:
                checker.vformat(fmt, args, kwargs)
            return wrapped(*args, **kwargs)

        return checked

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """`"x" * 10**9`, `2 ** 10**8`, `"%999999999d" % 1` and a list doubled with `+` are refused
        before they take the memory or the time."""
        if operator == "%" and isinstance(left, str):
            check_printf(left, right, "the % operator")
        elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            check_size(len(left) + len(right), self.size_limit, "+")
        elif operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > self.size_limit:
                    raise self._too_large(len(seq) * n)
        elif (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and abs(left) > 1
            and right * left.bit_length() > MAX_POWER_BITS
        ):
            raise RenderLimitError(f"number too large: {left} ** {right}")
        return super().call_binop(context, operator, left, right)

    def render_limited(self, template: jinja2.Template, variables: Mapping[str, Any]) -> str:
        """Render a template, stopping once the output of the whole template (its fields and body
        together) passes the size limit."""
        out: list[str] = []
        chunks = template.generate(variables)
        for chunk in chunks:
            self.produced += len(chunk)
            if self.produced > self.size_limit:
                error = self._too_large(self.produced)
                error.where = _producing(chunks)
                raise error
            out.append(chunk)
        self.check_time()
        return "".join(out)


class _SpecCheck(SandboxedFormatter):
    """Walks a format string as str.format would, checking each spec before it is applied (a nested
    field's own spec first, so `{:>{w}}` is checked with w filled in)."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        check_format_spec(format_spec)
        return super().format_field(value, format_spec)


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


def _shielding_finalize(shield: Shield, rel: Callable[[Path], str]) -> Callable[[EvalContext, Any], Any]:
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


def _install_translator(env: TrackingEnvironment, translator: Translator, rel: Callable[[Path], str]) -> None:
    """gettext, ngettext and Babel's formatting filters of the build's locale, for {% trans %} and _()."""

    def gettext(message: str) -> str:
        return translator.translate(message, None, 1, _expression_location(env, rel))

    def ngettext(singular: str, plural: str, n: int) -> str:
        return translator.translate(singular, plural, n, _expression_location(env, rel))

    def pgettext(context: str, message: str) -> str:
        return translator.translate(message, None, 1, _expression_location(env, rel))

    def npgettext(context: str, singular: str, plural: str, n: int) -> str:
        return translator.translate(singular, plural, n, _expression_location(env, rel))

    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=False, pgettext=pgettext, npgettext=npgettext
    )
    # Passing the context keeps Jinja from folding `{{ 1234.5|format_decimal }}` into a constant at
    # compile time: a template is compiled once per build and rendered in every locale.
    for name, fn in translator.filters().items():
        env.filters[name] = jinja2.pass_context(lambda _context, *args, _fn=fn, **kwargs: _fn(*args, **kwargs))


def make_environment(
    root: Path,
    rel: Callable[[Path], str],
    shield: Shield,
    marks: SourceMap,
    *,
    project_root: Path,
    time_limit: float,
    size_limit: int,
    translator: Translator | None = None,
) -> TrackingEnvironment:
    """The build-time Jinja environment: sandboxed, undefined variables are errors, HTML autoescaped,
    Jinja's i18n extension on ({% trans %}, _(), plurals) with the build's translator."""
    env = TrackingEnvironment(
        loader=ShieldingLoader(root, rel, shield, marks, project_root),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "htm", "mjml"], default_for_string=False),
        keep_trailing_newline=True,
        finalize=_shielding_finalize(shield, rel),
        time_limit=time_limit,
        size_limit=size_limit,
        extensions=["jinja2.ext.i18n"],
    )
    if translator is not None:
        _install_translator(env, translator, rel)
    return env
