"""What Outlook for Windows (Microsoft Word's HTML engine) reads of a compiled body, for the Outlook rules.

Word reads `<!--[if mso]>` conditional comments, where ghost tables and VML give it what CSS cannot,
and skips content after `<!--[if !mso]><!-->` or under `mso-hide: all`. The walk here follows the
compiled body (after CSS inlining, so a class's styles count where they land) and the MSO-only markup
in document order, once per template, and records per element whether Word sees it, whether a
fixed-width ghost table or an open VML shape stands around it, and its inline styles. The rules
themselves are in lint/rules/outlook_*.py; they run only when the targeted clients (`[lint] clients`)
include Outlook for Windows (`outlook.windows`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from kmsg_authoring.lint.caniemail import MSO_CLIENT
from kmsg_authoring.lint.context import Context, style_declarations, tag_of

# A conditional comment's opening, as lxml gives a comment's text or the lexer its inside.
CONDITION = re.compile(r"\A\s*\[if\s+([^\]]+)\]>", re.IGNORECASE)
ENDIF_TAIL = re.compile(r"<!\[endif\]\s*\Z", re.IGNORECASE)
REVEALED_TAIL = re.compile(r"\A<!(?:--\s*)?\Z")  # what follows `]>` in <!--[if !mso]><!--> (or <!-- -->)
CLOSER = re.compile(r"\A\s*<!\[endif\]\s*\Z", re.IGNORECASE)  # the inside of <!--<![endif]-->
_TAG = re.compile(r"<(/?)([A-Za-z][\w:.-]*)((?:\"[^\"]*\"|'[^']*'|[^'\">])*?)(/?)>")
_ATTR_WIDTH = re.compile(r"""\bwidth\s*=\s*["']?\s*(\d+)\s*(?:px)?\s*["'\s/>]""", re.IGNORECASE)
_STYLE_WIDTH = re.compile(r"""(?:^|[;"'\s])width\s*:\s*(\d+(?:\.\d+)?)px""", re.IGNORECASE)
_STYLE_ATTR = re.compile(r"""\bstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_LENGTH = re.compile(r"\A(-?\d*\.?\d+)(px|pt|em|rem|%)?\Z")
# selectors { declarations } (the innermost braces); a match starts only at the start or after a
# brace, so a long run of text without one is read once, not once per character
_CSS_RULE = re.compile(r"(?:\A|(?<=[{}]))([^{}]*+)\{([^{}]*+)\}")

GHOST_TAGS = ("table", "tr", "td", "th", "div")
FIXED_TAGS = ("table", "td", "th")
# Block containers whose margins Word drops (paragraphs and headings keep theirs).
NO_BACKGROUND = ("", "none", "transparent", "initial", "inherit", "unset")
DEFAULT_FONT_PX = 16.0  # Word's default for HTML mail: 12pt Times New Roman


def condition(text: str) -> str | None:
    """The expression of a conditional comment's text ("mso", "gte mso 9", "!mso"), lower-cased and
    without spaces; None for an ordinary comment."""
    m = CONDITION.match(text)
    return m.group(1).replace(" ", "").lower() if m else None


def reads_mso(expr: str) -> bool:
    """Whether Word reads the content of a conditional with this expression ("mso", "gte mso 9", "mso|IE")."""
    return "mso" in expr and not expr.startswith("!")


@dataclass
class WordView:
    """What Word makes of the compiled body, per element: hidden from it, inside a fixed-width ghost
    table, inside an open VML shape."""

    hidden: set[etree._Element] = field(default_factory=set)
    ghost_fixed: set[etree._Element] = field(default_factory=set)
    in_vml: set[etree._Element] = field(default_factory=set)
    styles: dict[etree._Element, dict[str, str]] = field(default_factory=dict)
    line_rule_global: bool = False


def targets_outlook(ctx: Context) -> bool:
    """Whether the template's targeted clients include Outlook for Windows."""
    from kmsg_authoring.lint.features import targeted

    return MSO_CLIENT in targeted(ctx)


def word_view(ctx: Context) -> WordView:
    """One walk over the compiled body in document order (elements and comments), shared by the rules."""
    found = ctx.cache.get("outlook-word-view")
    if isinstance(found, WordView):
        return found
    view = WordView()
    root = ctx.body_root
    revealed = False  # after <!--[if !mso]><!--> and before <!--<![endif]-->
    ghost: list[tuple[str, bool]] = []  # MSO-only elements open here: (tag, gives a fixed width)
    vml: list[str] = []  # MSO-only VML elements open here
    for node in root.iter() if root is not None else ():
        if node.tag is etree.Comment:
            text = node.text or ""
            expr = condition(text)
            if expr is not None:
                rest = text[CONDITION.match(text).end() :]  # type: ignore[union-attr]
                if REVEALED_TAIL.match(rest):
                    revealed = not reads_mso(expr) and "mso" in expr
                elif reads_mso(expr):
                    _follow(rest, ghost, vml)
            elif CLOSER.match(text):
                revealed = False
            continue
        if not isinstance(node.tag, str):
            continue
        style = style_declarations(node.get("style") or "")
        view.styles[node] = style
        parent = node.getparent()
        if revealed or style.get("mso-hide") == "all" or (parent is not None and parent in view.hidden):
            view.hidden.add(node)
        if any(fixed for _, fixed in ghost):
            view.ghost_fixed.add(node)
        if vml:
            view.in_vml.add(node)
    for css in _style_blocks(ctx.compiled.marked_body):
        for m in _CSS_RULE.finditer(css):
            selectors = {s.strip().lower() for s in m.group(1).split(",")}
            decls = style_declarations(m.group(2))
            if selectors & {"*", "html", "body"} and decls.get("mso-line-height-rule", "").startswith("exactly"):
                view.line_rule_global = True
    ctx.cache["outlook-word-view"] = view
    return view


def _style_blocks(html: str) -> list[str]:
    """The contents of the <style> blocks of an HTML text, those inside conditional comments too."""
    return re.findall(r"<style\b[^>]*>(.*?)</style\s*>", html, re.IGNORECASE | re.DOTALL)


def _follow(markup: str, ghost: list[tuple[str, bool]], vml: list[str]) -> None:
    """Open and close the MSO-only elements of one conditional comment's content."""
    for m in _TAG.finditer(markup):
        closing, name, attrs, selfclosing = m.group(1), m.group(2).lower(), m.group(3), m.group(4)
        if name.startswith("v:"):
            if closing:
                _pop(vml, name)
            elif not selfclosing:
                vml.append(name)
            continue
        if name not in GHOST_TAGS:
            continue
        if closing:
            for i in range(len(ghost) - 1, -1, -1):
                if ghost[i][0] == name:
                    del ghost[i:]
                    break
        elif not selfclosing:
            fixed = name in FIXED_TAGS and (_ATTR_WIDTH.search(attrs + " ") is not None or _fixed_style(attrs))
            ghost.append((name, fixed))


def opens_fixed_ghost(text: str) -> bool:
    """Whether a conditional comment Word reads opens a fixed-width table or cell."""
    expr = condition(text)
    if expr is None or not reads_mso(expr):
        return False
    ghost: list[tuple[str, bool]] = []
    _follow(text[CONDITION.match(text).end() :], ghost, [])  # type: ignore[union-attr]
    return any(fixed for _, fixed in ghost)


def _pop(stack: list[str], name: str) -> None:
    for i in range(len(stack) - 1, -1, -1):
        if stack[i] == name:
            del stack[i:]
            return


def _fixed_style(attrs: str) -> bool:
    m = _STYLE_ATTR.search(attrs)
    return m is not None and _STYLE_WIDTH.search(";" + (m.group(1) or m.group(2) or "")) is not None


def length(value: str, font: float = DEFAULT_FONT_PX) -> float | None:
    """A CSS length in pixels (pt, em and rem converted; a unitless 0 is 0); None for anything else."""
    m = _LENGTH.match(value.strip().removesuffix("!important").strip())
    if m is None:
        return None
    number, unit = float(m.group(1)), (m.group(2) or "").lower()
    if unit == "px" or (unit == "" and number == 0):
        return number
    if unit == "pt":
        return number * 4 / 3
    if unit in ("em", "rem"):
        return number * font
    return None


def fixed_width_attr(el: etree._Element) -> bool:
    width = (el.get("width") or "").strip().removesuffix("px")
    return width.isdigit() and int(width) > 0


def vml_before(el: etree._Element, shapes: tuple[str, ...]) -> bool:
    """Whether an MSO comment holding one of these VML shapes comes before an element or an
    ancestor of it, within its table cell."""
    node: etree._Element | None = el
    while node is not None:
        for sib in node.itersiblings(preceding=True):
            if sib.tag is etree.Comment and is_vml(sib.text or "", shapes):
                return True
        node = node.getparent()
        if node is None or tag_of(node) in ("td", "th", "body"):
            return False
    return False


def is_vml(text: str, shapes: tuple[str, ...]) -> bool:
    expr = condition(text)
    low = text.lower()
    return expr is not None and reads_mso(expr) and any(f"<v:{s}" in low for s in shapes)
