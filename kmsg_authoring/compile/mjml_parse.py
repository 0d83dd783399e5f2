"""Reading an MJML body into nodes: the lexer, elements nesting and closing, locations and budgets.

MRML renders whatever it is given and says little when the input is wrong, so the MJML is parsed
here first (compile/mjml_check.py then checks and renders it): elements that are never closed, a
'<' that starts no element, MJML inside HTML content, unknown and unsupported tags are refused at
the line and column the designer wrote, and the nesting depth, element count and time spent are
held to the render budgets.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from kmsg_authoring.compile.mjml_lang import COMPONENTS, UNSUPPORTED, suggest
from kmsg_authoring.compile.tokens import Shield
from kmsg_authoring.compile.types import MARK_ATTR, SourceMap
from kmsg_authoring.errors import Location, SourceError
from kmsg_authoring.source.config import RENDER_TIME_LIMIT

# Budgets, checked on the parsed MJML before MRML is given it (docs/mjml.md lists them).
MAX_DEPTH = 500  # elements within elements: MJML components and the HTML inside them
MAX_ELEMENTS = 50_000  # elements in one body, includes expanded
_VOID = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]
)
_CONTENT_TAG = re.compile(r"<!--.*?(?:-->|\Z)|<(/?)([A-Za-z][\w:.-]*)(?:\"[^\"]*\"|'[^']*'|[^'\">])*?(/?)>", re.DOTALL)
_LEX = re.compile(
    r"<!--(?P<comment>.*?)-->"
    r"|<!\[CDATA\[.*?\]\]>"
    r"|<\?.*?\?>"
    r"|</(?P<close>[A-Za-z][\w:.-]*)\s*>"
    r"|<(?P<open>[A-Za-z][\w:.-]*)(?P<attrs>(?:\s+[^\s=/>\"']+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)"
    r"\s*(?P<selfclose>/?)>"
    r"|<",
    re.DOTALL,
)
_ATTR = re.compile(r"([^\s=/>\"']+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_MJ_START = re.compile(r"<(mj-(?!raw\b)[a-z-]+|mjml)\b")
_OWN_MARK = re.compile(rf'\s{MARK_ATTR}="(\d+)"')


@dataclass
class Attr:
    name: str
    value: str | None
    raw: str  # as written, with its leading space
    value_start: int  # offset of the value in the node's text
    name_start: int = 0  # offset of the name in the node's text


@dataclass
class Node:
    name: str  # a tag name, "#text" or "#comment"
    start: int
    text: str  # the (prepared) text of the file the node was written in
    raw: str = ""  # text and comments: as written
    attrs: list[Attr] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    content: str | None = None  # components whose content is HTML: the content as written
    mark: str | None = None
    selfclose: bool = False

    def attr(self, name: str) -> str | None:
        return next((a.value for a in self.attrs if a.name == name), None)


class Parser:
    """Parses one MJML body (and the files it includes), locating what it refuses."""

    def __init__(
        self, *, marks: SourceMap, shield: Shield, default: Location, time_limit: float = RENDER_TIME_LIMIT
    ) -> None:
        self.marks = marks
        self.shield = shield
        self.default = default
        self.time_limit = time_limit
        self.deadline = time.monotonic() + time_limit
        self.elements = 0  # elements parsed so far, all files together
        self.depth = 0  # the deepest nesting seen

    # -- locations ------------------------------------------------------------------------------
    def loc(self, text: str, offset: int) -> Location:
        # Placeholders put back as written first, so that columns count what the designer typed.
        before = self.shield.restore(text[:offset])
        return self.marks.locate(before, len(before)) or self.default

    def error(self, message: str, text: str, offset: int) -> SourceError:
        return SourceError(message, self.loc(text, offset))

    def at_tag(self, text: str, offset: int) -> Location:
        """Where the element whose start tag begins at offset was written: its own mark, if it has one.

        The nearest mark before the tag is another element's, maybe in another file (the layout
        around a block): counting from there would place the error in that file.
        """
        end = text.find(">", offset)
        mark = _OWN_MARK.search(text, offset, end if end != -1 else len(text))
        found = self.marks.element_location(mark.group(1)) if mark is not None else None
        return found or self.loc(text, offset)

    def node_loc(self, node: Node) -> Location:
        """Where an element was written: its start tag."""
        found = self.marks.element_location(node.mark) if node.mark is not None else None
        return found or self.at_tag(node.text, node.start)

    def node_error(self, message: str, node: Node) -> SourceError:
        return SourceError(message, self.node_loc(node))

    # -- budgets ----------------------------------------------------------------------------------
    def check_time(self) -> None:
        """The MJML stage stops once it has taken longer than the render time limit."""
        if time.monotonic() > self.deadline:
            raise SourceError(
                f"compiling the MJML took longer than {self.time_limit:g} s; the limit is [build] "
                "render_time_limit in kmsg.toml",
                self.default,
            )

    def count(self, text: str, offset: int, depth: int) -> None:
        """One more element, at this nesting depth: refused past the budgets, where it stands."""
        self.elements += 1
        if depth > self.depth:
            self.depth = depth
            if depth > MAX_DEPTH:
                raise SourceError(
                    f"elements nest deeper than {MAX_DEPTH} levels (MJML components and the HTML in them); "
                    "close the elements left open or flatten the markup",
                    self.at_tag(text, offset),
                )
        if self.elements > MAX_ELEMENTS:
            raise SourceError(
                f"more than {MAX_ELEMENTS:,} elements in one MJML body (includes expanded); split the email",
                self.at_tag(text, offset),
            )
        if self.elements % 1024 == 0:
            self.check_time()

    def count_content(self, text: str, start: int, end: int, depth: int) -> None:
        """The elements of HTML content (mj-text, mj-raw...), counted with their nesting."""
        level = depth
        for m in _CONTENT_TAG.finditer(text, start, end):
            name = m.group(2)
            if name is None:
                continue
            if m.group(1):
                level = max(depth, level - 1)
                continue
            self.count(text, m.start(), level + 1)
            if not m.group(3) and name.lower() not in _VOID:
                level += 1

    # -- parsing ----------------------------------------------------------------------------------
    def parse(self, text: str, base: int = 0) -> list[Node]:
        """The nodes of a text standing base levels deep; elements nest, and every element is closed."""
        top = Node("#root", 0, text)
        stack = [top]
        pos = 0
        while pos < len(text):
            m = _LEX.search(text, pos)
            if m is None:
                stack[-1].children.append(Node("#text", pos, text, raw=text[pos:]))
                break
            if m.start() > pos:
                stack[-1].children.append(Node("#text", pos, text, raw=text[pos : m.start()]))
            pos = m.end()
            if m.group("comment") is not None or m.group(0).startswith(("<![CDATA[", "<?")):
                stack[-1].children.append(Node("#comment", m.start(), text, raw=m.group(0)))
            elif m.group("open") is not None:
                node = self._element(m, text)
                self.count(text, m.start(), base + len(stack))
                comp = COMPONENTS.get(node.name)
                if node.name in UNSUPPORTED:
                    raise self.node_error(
                        f"<{node.name}> is not supported by MRML, the MJML compiler kmsg-author uses", node
                    )
                if comp is None and node.name.startswith("mj-") and node.name not in ("mj-all", "mj-class"):
                    raise self.node_error(
                        f"Element {node.name} doesn't exist or is not registered"
                        f"{suggest(node.name, sorted(COMPONENTS))}",
                        node,
                    )
                if comp is not None and comp.ending and not node.selfclose:
                    close = re.compile(rf"</{re.escape(node.name)}\s*>").search(text, m.end())
                    if close is None:
                        raise self.node_error(f"<{node.name}> is never closed (no </{node.name}>)", node)
                    # MJML inside HTML content is always a missing close tag, never content.
                    inner = _MJ_START.search(text, m.end(), close.start())
                    if inner is not None:
                        where = self.at_tag(text, inner.start())
                        raise self.node_error(
                            f"<{node.name}> is never closed: <{inner.group(1)}> (line {where.line}) "
                            f"comes before its </{node.name}>",
                            node,
                        )
                    node.content = text[m.end() : close.start()]
                    self.count_content(text, m.end(), close.start(), base + len(stack))
                    pos = close.end()
                stack[-1].children.append(node)
                if node.content is None and not node.selfclose:
                    stack.append(node)
            elif m.group("close") is not None:
                name = m.group("close")
                if stack[-1].name == name:
                    stack.pop()
                elif any(n.name == name for n in stack[1:]):
                    open_node = stack[-1]
                    where = self.loc(text, m.start())
                    raise self.node_error(
                        f"<{open_node.name}> is never closed: </{name}> (line {where.line}) comes "
                        f"before its </{open_node.name}>",
                        open_node,
                    )
                else:
                    raise self.error(f"</{name}> closes no open element", text, m.start())
            elif text.startswith("<!--", m.start()):
                raise self.error("comment is never closed (no -->)", text, m.start())
            else:
                raise self.error(
                    "malformed tag: '<' that starts no element (write &lt; for a literal <)", text, m.start()
                )
        if len(stack) > 1:
            node = stack[-1]
            raise self.node_error(f"<{node.name}> is never closed (no </{node.name}>)", node)
        return top.children

    def _element(self, m: re.Match[str], text: str) -> Node:
        node = Node(m.group("open"), m.start(), text, selfclose=bool(m.group("selfclose")))
        base = m.start("attrs")
        for a in _ATTR.finditer(m.group("attrs")):
            value = next((g for g in a.groups()[1:] if g is not None), None)
            value_at = base + next((a.start(i) for i in (2, 3, 4) if a.group(i) is not None), a.start())
            if a.group(1) == MARK_ATTR:
                node.mark = value
                continue
            # The raw text keeps the designer's spacing before the attribute (one space is enough).
            node.attrs.append(Attr(a.group(1), value, " " + a.group(0), value_at, base + a.start(1)))
        return node
