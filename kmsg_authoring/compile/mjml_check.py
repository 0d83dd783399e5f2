"""The MJML stage: an MJML body (after Jinja, tokens shielded, elements marked) -> HTML, through MRML.

MRML renders whatever it is given and says little when the input is wrong, so before it runs the
MJML is parsed here: unknown tags, attributes MJML does not know, invalid values, elements that are
never closed and `mj-include`s are handled at the line and column the designer wrote. Includes of
project files are read through the confined reader, like every other read.

Element marks: MRML drops attributes it does not know, so the mark an `mj-*` element carries is
moved into a comment just before it (`<!--kmsgloc N-->`); MRML copies comments through, and after
it runs each one becomes the mark of the first element the component produced. Inside `mj-text`,
`mj-button`, `mj-raw` and the other components whose content is HTML, the elements keep their own
marks. What carries no mark (MRML's own head, a component inside `mj-carousel`) is located at the
nearest marked element before it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from kmsg_authoring.compile.loader import prepare
from kmsg_authoring.compile.mjml_lang import (
    ATTRIBUTE_DEFAULTS,
    COMPONENTS,
    NO_COMMENTS,
    NO_MARKS,
    Component,
    allowed_parents,
    suggest,
)
from kmsg_authoring.compile.mjml_parse import Attr, Node, Parser
from kmsg_authoring.compile.tokens import PLACEHOLDER_PREFIX, PLACEHOLDER_RE, Shield
from kmsg_authoring.compile.types import MARK_ATTR, MJML_DROPPED_TEXT, SourceMap
from kmsg_authoring.errors import KmsgError, Location, SourceError
from kmsg_authoring.source.config import RENDER_SIZE_LIMIT_MB, RENDER_TIME_LIMIT, MjmlOptions
from kmsg_authoring.source.project import confine, lexical_rel, read_text

# Budgets of mj-include, checked before MRML is given the MJML (docs/mjml.md lists them; the
# nesting and element budgets are compile/mjml_parse.py's).
MAX_INCLUDE_DEPTH = 20  # mj-include within mj-include
MAX_INCLUDES = 100  # mj-include elements read for one body, all levels together
MAX_INCLUDE_BYTES = 1024 * 1024  # what they read, all together
_MARKER = "kmsgloc"
_POSITION = re.compile(r"\s*at position (\d+):(\d+)")
_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)


Attribution = tuple[str, str, Location]  # an attribute the designer gave a component: name, value, where


def _is_conditional(body: str) -> bool:
    """A comment Outlook or IE reads (<!--[if mso]>...<![endif]-->, <!--<![endif]-->), never dropped."""
    return body.startswith(("[if ", "<![endif]", "[endif]")) or body.endswith("<![endif]") or body.startswith("<!")


class _Stage(Parser):
    """Checks and renders one MJML body, parsed by Parser."""

    def __init__(
        self,
        *,
        root: Path,
        marks: SourceMap,
        shield: Shield,
        options: MjmlOptions,
        default: Location,
        on_read: Callable[[str], None],
        time_limit: float = RENDER_TIME_LIMIT,
        size_limit: int = RENDER_SIZE_LIMIT_MB * 1024 * 1024,
    ) -> None:
        super().__init__(marks=marks, shield=shield, default=default, time_limit=time_limit)
        self.root = root
        self.options = options
        self.on_read = on_read
        self.styles: list[Node] = []
        self.extra_head: list[Node] = []
        self.spans: list[tuple[int, str, int]] = []  # (offset in MRML's input, node text, node start)
        self.attr_placeholders: dict[str, tuple[str, str]] = {}  # placeholder -> (tag, attribute)
        self.size_limit = size_limit
        self.includes = 0
        self.notes: list[tuple[str, str, Location]] = []  # (lint code, message, where): what MJML drops
        # Attribute defaults of mj-attributes, as (name, value as written, where): mj-all, by tag, by mj-class.
        self.defaults_all: tuple[Attribution, ...] = ()
        self.defaults_by_tag: dict[str, tuple[Attribution, ...]] = {}
        self.defaults_by_class: dict[str, tuple[Attribution, ...]] = {}
        self._tails: dict[str, tuple[Attribution, ...]] = {}  # a tag's defaults, then mj-all
        self.included_bytes = 0

    # -- checks -------------------------------------------------------------------------------------
    def check(self, nodes: list[Node], parent: str, depth: int = 0, level: int = 1) -> list[Node]:
        """Check nodes standing in parent (level deep), with mj-include replaced by what it includes.

        Text standing directly in a component that is not a content component is dropped, as MJML
        drops it, with a MJML_DROPPED_TEXT note at the text.
        """
        out: list[Node] = []
        for node in nodes:
            if node.name == "#comment":
                out.append(node)
            elif node.name == "#text":
                stripped = node.raw.strip()
                if stripped:
                    offset = node.start + node.raw.index(stripped[0])
                    shown = " ".join(stripped.split())
                    shown = shown if len(shown) <= 30 else shown[:27] + "..."
                    self.notes.append(
                        (
                            MJML_DROPPED_TEXT,
                            f"text '{shown}' stands directly in <{parent}>: MJML drops it, so it is not in the "
                            "email (put it in <mj-text> or another content component, or remove it)",
                            self.loc(node.text, offset),
                        )
                    )
                    continue
                out.append(node)
            elif node.name == "mj-include":
                out.extend(self.include(node, parent, depth, level))
            elif parent == ATTRIBUTE_DEFAULTS:
                self._check_default(node)
                out.append(node)
            else:
                self._check_element(node, parent)
                node.children = self.check(node.children, node.name, depth, level + 1)
                out.append(node)
        return out

    def _check_element(self, node: Node, parent: str) -> None:
        """MJML's validTag and validChildren rules, in its words."""
        comp = COMPONENTS.get(node.name)
        if comp is None:
            if node.name.startswith("mj-") or node.name == "mjml":
                raise self.node_error(
                    f"Element {node.name} doesn't exist or is not registered{suggest(node.name, sorted(COMPONENTS))}",
                    node,
                )
            raise self.node_error(
                f"Element {node.name} doesn't exist or is not registered: HTML goes inside <mj-text>, "
                f"<mj-button>, <mj-table> or <mj-raw> (found in <{parent}>)",
                node,
            )
        if comp.parents and parent not in comp.parents:
            raise self.node_error(
                f"{node.name} cannot be used inside {parent}, only inside: {allowed_parents(node.name)}", node
            )
        if not comp.parents and node.name == "mjml" and parent != "#root":
            raise self.node_error("<mjml> can only be the outermost element", node)
        self._check_attributes(node, comp)

    def _check_attributes(self, node: Node, comp: Component, *, tag: str | None = None) -> None:
        """MJML's validAttributes and validTypes rules, in its words."""
        tag = tag or node.name
        for a in node.attrs:
            kind = comp.attributes.get(a.name)
            if kind is None and not comp.open:
                raise self.error(
                    f"Attribute {a.name} is illegal on <{tag}>{suggest(a.name, sorted(comp.attributes))}",
                    node.text,
                    a.value_start if a.value is None else a.value_start - len(a.name) - 2,
                )
            if a.value is None:
                raise self.error(f"attribute '{a.name}' on <{tag}> needs a value", node.text, a.value_start)
            if PLACEHOLDER_RE.search(a.value):
                self.attr_placeholders.update((i, (tag, a.name)) for i in PLACEHOLDER_RE.findall(a.value))
                continue  # a send-time token: its value is only known at send time
            if kind is not None and not kind.accepts(a.value):
                raise self.error(f"Attribute {a.name} on <{tag}> {kind.refusal(a.value)}", node.text, a.value_start)

    def _check_default(self, node: Node) -> None:
        """A child of mj-attributes: mj-all, mj-class name="..." or a tag's defaults.

        MJML validates a tag's defaults as that tag; mj-all and mj-class are not validated (they
        have no component), so any attribute goes there.
        """
        if node.name in ("mj-all", "mj-class"):
            name = node.attr("name")
            if node.name == "mj-class" and not name:
                raise self.node_error("<mj-class> needs a name attribute", node)
            self._check_attributes(node, Component((), {}, open=True), tag=node.name)
            given = self.attributions(node, skip=("name",) if node.name == "mj-class" else ())
            if node.name == "mj-all":
                self.defaults_all += given
            else:
                self.defaults_by_class[name or ""] = self.defaults_by_class.get(name or "", ()) + given
            return
        comp = COMPONENTS.get(node.name)
        if comp is None or node.name in ("mjml", "mj-include"):
            raise self.node_error(
                f"Element {node.name} doesn't exist or is not registered (in <mj-attributes> use mj-all, "
                f"mj-class or a component's tag){suggest(node.name, sorted(COMPONENTS))}",
                node,
            )
        self._check_attributes(node, comp)
        self.defaults_by_tag[node.name] = self.defaults_by_tag.get(node.name, ()) + self.attributions(node)

    # -- what the designer gave each component ------------------------------------------------------
    def attributions(self, node: Node, skip: tuple[str, ...] = ()) -> tuple[Attribution, ...]:
        """The attributes written on an element: name, value as written (tokens back), where."""
        if not node.attrs:
            return ()
        tag = self.node_loc(node)
        text, start = node.text, node.start
        mark = f' {MARK_ATTR}="{node.mark}"' if node.mark is not None else ""
        out: list[Attribution] = []
        for a in node.attrs:
            if a.value is None or a.name in skip or a.name == "css-class":
                continue
            # Counted from the element's own start tag: what stands before the name in the tag, as written.
            before = text[start : a.name_start]
            if "\n" in before or PLACEHOLDER_PREFIX in before:
                before = self.shield.restore(before.replace(mark, "", 1))
                lines = before.count("\n")
                where = (
                    Location(tag.path, tag.line + lines, len(before) - before.rfind("\n"))
                    if lines
                    else Location(tag.path, tag.line, tag.col + len(before))
                )
            else:
                where = Location(tag.path, tag.line, tag.col + len(before) - (len(mark) if mark in before else 0))
            value = a.value
            out.append((a.name, self.shield.restore(value) if PLACEHOLDER_PREFIX in value else value, where))
        return tuple(out)

    def origin(self, node: Node, owner: int | None) -> None:
        """Record what the component at node was given, for findings about the HTML MRML makes of it.

        Its own attributes first, then its mj-class, its tag's defaults and mj-all: MRML writes
        those values into the CSS and attributes of the elements it makes (compile/types.py Origin).
        """
        if node.mark is None or not node.mark.isdigit():
            return
        given = self.attributions(node, skip=("mj-class",))
        classes = node.attr("mj-class")
        if classes:
            for name in classes.split():
                given += self.defaults_by_class.get(name, ())
        if node.name not in ("mjml", "mj-head", "mj-body"):
            tail = self._tails.get(node.name)
            if tail is None:  # every mj-attributes default is read (checks run before emit)
                tail = self._tails[node.name] = self.defaults_by_tag.get(node.name, ()) + self.defaults_all
            given = given + tail if given else tail
        self.marks.origins[int(node.mark)] = (owner, given)

    # -- includes -----------------------------------------------------------------------------------
    def include(self, node: Node, parent: str, depth: int, level: int) -> list[Node]:
        """What an mj-include stands for, read from the project (confined) and checked in place.

        The path is relative to the file the mj-include is written in, as MJML resolves it.
        """
        self._check_attributes(node, COMPONENTS["mj-include"])
        path = node.attr("path")
        where = self.node_loc(node)
        if not path:
            raise SourceError("<mj-include> needs a path attribute", where)
        if depth >= MAX_INCLUDE_DEPTH:
            raise SourceError(
                f"mj-include nested deeper than {MAX_INCLUDE_DEPTH} levels (does a file include itself?)", where
            )
        self.includes += 1
        if self.includes > MAX_INCLUDES:
            raise SourceError(
                f"more than {MAX_INCLUDES} mj-include in one body (every include at every level counts)", where
            )
        self.check_time()
        base = (self.root / where.path).parent if where.path else self.root
        target = base / path
        if not target.suffix and node.attr("type") in (None, "mjml"):
            target = target.with_suffix(".mjml")
        rel = lexical_rel(self.root, target)
        try:
            rel = confine(self.root, target, rel)
            if not target.is_file():
                raise SourceError("file not found", Location(rel))
            self.included_bytes += target.stat().st_size
            if self.included_bytes > MAX_INCLUDE_BYTES:
                raise SourceError(
                    f"the files mj-include reads for one body pass {MAX_INCLUDE_BYTES // 1024:,} KiB together",
                    Location(rel),
                )
            text = read_text(target, rel, root=self.root)
        except KmsgError as exc:
            raise SourceError(f"mj-include path '{path}': {exc.message}", where) from None
        self.on_read(rel)
        kind = node.attr("type") or "mjml"
        if kind == "css":
            css = prepare(text, rel, self.shield, None, jinja=False)
            style = Node("mj-style", node.start, node.text, mark=node.mark, content=css)
            if node.attr("css-inline") == "inline":
                style.attrs.append(Attr("inline", "inline", ' inline="inline"', 0))
            self.styles.append(style)
            return []
        prepared = prepare(text, rel, self.shield, self.marks, jinja=False)
        if kind == "html":
            self.count_content(prepared, 0, len(prepared), level)
            return [Node("mj-raw", node.start, node.text, mark=node.mark, content=prepared)]
        nodes = self.parse(prepared, level - 1)
        top = [n for n in nodes if n.name not in ("#text", "#comment")]
        if len(top) == 1 and top[0].name == "mjml":
            body: list[Node] = []
            for section in top[0].children:
                if section.name == "mj-body":
                    body.extend(section.children)
                elif section.name == "mj-head":
                    self.extra_head.extend(self.check(section.children, "mj-head", depth + 1, level + 1))
            nodes = body
        return self.check(nodes, parent, depth + 1, level)

    # -- rendering ----------------------------------------------------------------------------------
    def emit(self, nodes: list[Node], parent: str, out: list[str], size: list[int], owner: int | None = None) -> None:
        """The MJML MRML is given: marks as comments, mj-style taken out (put in the head afterwards).

        owner: the mark of the component around these nodes (what each one's origin points to).
        """

        def put(text: str) -> None:
            out.append(text)
            size[0] += len(text.encode("utf-8"))
            if size[0] > self.size_limit:
                raise SourceError(
                    f"the MJML to compile is too large (more than {self.size_limit:,} bytes, includes expanded); "
                    "the limit is [build] render_size_limit_mb in kmsg.toml",
                    self.default if node.name.startswith("#") else self.node_loc(node),
                )

        for node in nodes:
            if node.name == "#text":
                put(node.raw)
                continue
            if node.name == "#comment":
                body = node.raw[4:-3] if node.raw.startswith("<!--") else ""
                if parent in NO_COMMENTS:
                    continue
                if self.options.keep_comments or _is_conditional(body) or not node.raw.startswith("<!--"):
                    put(node.raw)
                continue
            if node.name == "mj-style":
                self.styles.append(node)
                continue
            self.spans.append((size[0], node.text, node.start))
            comp = COMPONENTS.get(node.name)
            body_component = comp is not None and not comp.head and node.name not in ("mjml", "mj-head", "mj-body")
            if node.mark is not None and body_component and parent not in NO_MARKS:
                put(f"<!--{_MARKER} {node.mark}-->")
            # The first element of mj-raw is the designer's own: not a component's making.
            if (
                comp is not None
                and node.name != "mj-raw"
                and (body_component or node.name in ("mjml", "mj-head", "mj-body"))
            ):
                self.origin(node, owner)
            inner = int(node.mark) if node.mark is not None and node.mark.isdigit() and comp is not None else owner
            put("<" + node.name + "".join(a.raw for a in node.attrs))
            if node.selfclose:
                put("/>")
                continue
            put(">")
            if node.name == "mj-head" and self.extra_head:
                self.emit(self.extra_head, "mj-head", out, size)
                self.extra_head = []
            if node.content is not None:
                content = node.content
                if not self.options.keep_comments and node.name != "mj-raw":
                    content = _COMMENT.sub(lambda c: c.group(0) if _is_conditional(c.group(1)) else "", content)
                put(content)
            else:
                self.emit(node.children, node.name, out, size, inner)
            put(f"</{node.name}>")

    def mrml(self, mjml: str) -> str:
        """MRML's HTML for the MJML emitted; what MRML refuses is located at the element it names.

        A large or deep body is compiled in a worker process (compile/mjml_run.py): a crash of the
        native compiler there is an error here, never the end of this process.
        """
        from kmsg_authoring.compile import mjml_run

        options = {
            "disable_comments": False,  # the marks travel in comments; keep_comments is applied here
            "social_icon_origin": self.options.social_icon_origin,
            "fonts": dict(self.options.fonts) if self.options.fonts is not None else None,
        }
        self.check_time()
        isolate = mjml_run.needs_isolation(len(mjml.encode("utf-8")), self.depth)
        left = max(self.deadline - time.monotonic(), 0.001)
        try:
            return mjml_run.render(mjml, options, isolate=isolate, time_limit=left, size_limit=self.size_limit)
        except mjml_run.MrmlCrash as exc:
            raise SourceError(str(exc), self.default) from None
        except mjml_run.MrmlError as exc:
            message = str(exc)
            m = _POSITION.search(message)
            where = self.default
            if m is not None:
                offset = int(m.group(1))
                before = [(text, start) for at, text, start in self.spans if at <= offset]
                where = self.at_tag(*before[-1]) if before else self.default
                message = message[: m.start()] + message[m.end() :]
            raise SourceError(f"MJML: {message.strip()}", where) from None
