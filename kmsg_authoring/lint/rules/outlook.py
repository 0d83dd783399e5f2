"""Outlook for Windows: the patterns that make an email survive Microsoft Word's HTML engine.

Outlook for Windows (2007 to 2019 and the classic Microsoft 365 app) renders mail with Word: it ignores
`max-width`, padding on links, `background-image` and most `margin`, takes widths from attributes, and
reads `<!--[if mso]>` conditional comments, where ghost tables and VML give it what CSS cannot. These
rules check the patterns rather than single properties (KM611 reports those): a fluid container
without a ghost table, a CSS button without a table-cell or VML fallback, and so on. They run only when
the targeted clients (`[lint] clients`) include Outlook for Windows (`outlook.windows`).

The rules judge the compiled body (after CSS inlining, so a class's styles count where they land) and
what Word reads of it: content after `<!--[if !mso]><!-->` or under `mso-hide: all` is skipped, and
the MSO-only markup (ghost tables, VML) is followed through the conditional comments in document order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from kmsg_authoring.lint.caniemail import MSO_CLIENT
from kmsg_authoring.lint.context import Context, Finding, style_declarations, tag_of
from kmsg_authoring.lint.registry import rule

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
_URL = re.compile(r"url\s*\(", re.IGNORECASE)
_VML_START = re.compile(r"<v:([a-z]+)\b((?:\"[^\"]*\"|'[^']*'|[^'\">])*)>", re.IGNORECASE)
_XMLNS_V = re.compile(r"\bxmlns:v\s*=", re.IGNORECASE)
_HTML_TAG = re.compile(r"<html\b((?:\"[^\"]*\"|'[^']*'|[^'\">])*)>", re.IGNORECASE)
# selectors { declarations } (the innermost braces); a match starts only at the start or after a
# brace, so a long run of text without one is read once, not once per character
_CSS_RULE = re.compile(r"(?:\A|(?<=[{}]))([^{}]*+)\{([^{}]*+)\}")

GHOST_TAGS = ("table", "tr", "td", "th", "div")
FIXED_TAGS = ("table", "td", "th")
# Block containers whose margins Word drops (paragraphs and headings keep theirs).
BLOCKS = ("div", "table", "center", "section", "article", "header", "footer", "main", "aside", "nav")
NO_BACKGROUND = ("", "none", "transparent", "initial", "inherit", "unset")
DEFAULT_FONT_PX = 16.0  # Word's default for HTML mail: 12pt Times New Roman
MIN_RATIO = 1.0  # a line-height under the font size: Word grows the line (set solid, it grows a pixel or two)
VML_NS = 'xmlns:v="urn:schemas-microsoft-com:vml"'
GHOST = (
    '<!--[if mso]><table role="presentation" width="{w}" cellpadding="0" cellspacing="0" border="0">'
    '<tr><td width="{w}"><![endif]--> ... <!--[if mso]></td></tr></table><![endif]-->'
)


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


def _opens_fixed_ghost(text: str) -> bool:
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


def _fixed_width_attr(el: etree._Element) -> bool:
    width = (el.get("width") or "").strip().removesuffix("px")
    return width.isdigit() and int(width) > 0


# -- the rules ------------------------------------------------------------------------------------


@rule("KM641", "outlook-fluid-without-ghost", "warning")
def fluid_without_ghost(ctx: Context) -> Iterator[Finding]:
    """A fluid container (`max-width` on a div or table) has no ghost table giving Outlook a width.

    What it does:
        Finds `<div>` and `<table>` elements whose style sets `max-width` to a length, and checks
        that Outlook for Windows gets a fixed width for them some other way: a `width` attribute
        on the table itself, a fixed-width `<table>` or `<td>` opened in an `<!--[if mso]>`
        comment around it (a "ghost table"), or a fixed-width ancestor cell. Content hidden
        from Outlook (after `<!--[if !mso]><!-->`, or under `mso-hide: all`) is not checked.
    Why:
        Outlook ignores `max-width`: the 600-pixel column becomes as wide as the reading pane,
        lines of text run across the whole screen and images stretch or sit in a corner.
    Bad:
        <div style="max-width: 600px; margin: 0 auto;">...</div>
    Good:
        <!--[if mso]><table role="presentation" width="600" cellpadding="0" cellspacing="0"
        border="0"><tr><td width="600"><![endif]-->
        <div style="max-width: 600px; margin: 0 auto;">...</div>
        <!--[if mso]></td></tr></table><![endif]-->
    """
    if not targets_outlook(ctx):
        return
    view = word_view(ctx)
    for el in ctx.by_tag("div", "table"):
        style = view.styles.get(el, {})
        max_width = style.get("max-width", "")
        px = length(max_width)
        if not px or px <= 0 or el in view.hidden or el in view.ghost_fixed:
            continue
        if tag_of(el) == "table" and _fixed_width_attr(el):
            continue
        if any(tag_of(a) in FIXED_TAGS and _fixed_width_attr(a) for a in el.iterancestors()):
            continue
        if any(c.tag is etree.Comment and _opens_fixed_ghost(c.text or "") for c in el):
            continue  # the ghost table inside the container (Cerberus): Word sizes the content to it
        yield Finding(
            f"'max-width: {max_width}' on <{tag_of(el)}> is ignored by Outlook for Windows, which makes it as "
            f"wide as the window; wrap it in a ghost table: {GHOST.format(w=round(px))} "
            "(or use the columns() macro)",
            ctx.at_element(el),
        )


@rule("KM642", "outlook-img-without-width", "warning")
def img_without_width(ctx: Context) -> Iterator[Finding]:
    """An image sized by CSS has no `width` attribute, so Outlook shows it at its natural size.

    What it does:
        Finds `<img>` elements Outlook for Windows reads whose CSS gives them a size (`width`, or
        `max-width` in pixels) but that have no `width` attribute (or one that is not a number of
        pixels or a percentage). An image without any size is shown at its natural size by every
        client alike and is not reported.
    Why:
        Outlook sizes images from the attribute and ignores CSS `width` and `max-width` on them:
        a 1200-pixel retina image meant to show at 600 pixels breaks the layout at full size.
    Bad:
        <img src="https://events.example.com/banner.png" style="width: 100%; max-width: 600px;" alt="">
    Good:
        <img src="https://events.example.com/banner.png" width="600" style="width: 100%;
        max-width: 600px; height: auto;" alt="">
    """
    if not targets_outlook(ctx):
        return
    view = word_view(ctx)
    for el in ctx.by_tag("img"):
        if el in view.hidden:
            continue
        width = (el.get("width") or "").strip()
        if re.fullmatch(r"\d+%?", width) and width not in ("0", "0%"):
            continue
        style = view.styles.get(el, {})
        css = style.get("width", "").replace("!important", "").strip()
        px = length(css)
        if css in ("", "auto") and not length(style.get("max-width", "")):
            continue  # no CSS size: every client shows it at its natural size, Outlook too
        hint = f' (its CSS width is {css}: add width="{round(px)}")' if px else ""
        shown = f'width="{width}" is not a number of pixels' if width else "<img> has no width attribute"
        yield Finding(
            f"{shown}: Outlook for Windows shows the image at its natural size{hint}; "
            'write width="N" in pixels, without a unit, beside any CSS width',
            ctx.at_element(el),
        )


def _nonzero(value: str) -> bool:
    return any((px := length(part)) is None or px > 0 for part in value.split()) if value else False


def _looks_like_button(style: dict[str, str]) -> str | None:
    """The declaration that makes a link a button (padding or inline-block), when it also has a look."""
    shaped = next((f"{p}: {style[p]}" for p in style if p.startswith("padding") and _nonzero(style[p])), None)
    if shaped is None and style.get("display", "").startswith("inline-block"):
        shaped = "display: inline-block"
    background = style.get("background-color") or style.get("background") or ""
    border = style.get("border", "")
    looks = background.split("!")[0].strip() not in NO_BACKGROUND or border.split(" ")[0] not in ("", "0", "none")
    return shaped if shaped and looks else None


def _cell_fallback(link: etree._Element, view: WordView) -> bool:
    """Whether the link stands alone in a table cell that has the button's background."""
    for a in link.iterancestors():
        tag = tag_of(a)
        if tag in ("td", "th"):
            style = view.styles.get(a, {})
            coloured = (a.get("bgcolor") or "").strip() != "" or any(
                style.get(p, "").split("!")[0].strip() not in NO_BACKGROUND for p in ("background", "background-color")
            )
            alone = "".join(a.itertext()).strip() == "".join(link.itertext()).strip()
            return coloured and alone
        if tag == "table":
            return False
    return False


def _vml_before(el: etree._Element, shapes: tuple[str, ...]) -> bool:
    """Whether an MSO comment holding one of these VML shapes comes before an element or an
    ancestor of it, within its table cell."""
    node: etree._Element | None = el
    while node is not None:
        for sib in node.itersiblings(preceding=True):
            if sib.tag is etree.Comment and _is_vml(sib.text or "", shapes):
                return True
        node = node.getparent()
        if node is None or tag_of(node) in ("td", "th", "body"):
            return False
    return False


def _is_vml(text: str, shapes: tuple[str, ...]) -> bool:
    expr = condition(text)
    low = text.lower()
    return expr is not None and reads_mso(expr) and any(f"<v:{s}" in low for s in shapes)


@rule("KM643", "outlook-css-button", "warning")
def css_button(ctx: Context) -> Iterator[Finding]:
    """A link styled as a button by padding or `display: inline-block` has no table-cell or VML fallback.

    What it does:
        Finds links whose style gives them a button's look (a background colour or a border) and
        its shape (padding, or `display: inline-block`), and checks that Outlook for Windows gets
        a button some other way: the link alone in a table cell that carries the background
        (`bgcolor`), a VML `<v:roundrect>` or `<v:rect>` in an `<!--[if mso]>` comment before it,
        or the link hidden from Outlook (`mso-hide: all`, `<!--[if !mso]><!-->`).
    Why:
        Outlook ignores padding and `inline-block` on links: the button shrinks to its text with a
        thin strip of colour behind it, and only the words are clickable.
    Bad:
        <a href="{joinLink}" style="background: #0b5cad; color: #ffffff; padding: 12px 24px;
        display: inline-block;">Join</a>
    Good:
        <table role="presentation"><tr><td bgcolor="#0b5cad" style="padding: 12px 24px;">
        <a href="{joinLink}" style="color: #ffffff; display: inline-block;">Join</a>
        </td></tr></table>
        (or the button() macro, which writes both the cell and a VML fallback)
    """
    if not targets_outlook(ctx):
        return
    view = word_view(ctx)
    for el in ctx.by_tag("a"):
        if el in view.hidden or el.get("href") is None:
            continue
        shaped = _looks_like_button(view.styles.get(el, {}))
        if shaped is None or _cell_fallback(el, view) or _vml_before(el, ("roundrect", "rect")):
            continue
        yield Finding(
            f"link styled as a button ('{shaped}'): Outlook for Windows ignores padding and inline-block on "
            "links, leaving only the words clickable; put it alone in a <td bgcolor=...> that carries the "
            "colour and padding, or add a VML <v:roundrect> in <!--[if mso]> (the button() macro does both)",
            ctx.at_element(el),
        )


def _background_image(el: etree._Element, style: dict[str, str]) -> str | None:
    for prop in ("background-image", "background"):
        value = style.get(prop, "")
        if _URL.search(value):
            return f"{prop}: {' '.join(value.split())[:60]}"
    if tag_of(el) in ("td", "th", "table", "body") and (el.get("background") or "").strip():
        return f'background="{el.get("background")}"'
    return None


@rule("KM644", "outlook-background-without-vml", "warning")
def background_without_vml(ctx: Context) -> Iterator[Finding]:
    """A `background-image` (or `background` attribute) has no VML fallback for Outlook.

    What it does:
        Finds elements Outlook for Windows reads whose style sets a background image with
        `url(...)`, or whose `background` attribute names one, and checks for a VML fallback:
        an `<!--[if mso]>` comment with `<v:rect>`/`<v:fill>`/`<v:image>` inside the element or
        open around it, or `<v:background>` for the `<body>`.
    Why:
        Outlook does not show CSS background images (nor, since 2007, `background` attributes on
        cells): white text meant to sit on a dark photo lands on white.
    Bad:
        <td style="background-image: url('https://events.example.com/hero.jpg');
        background-color: #1f2933;">...</td>
    Good:
        <td style="background-image: url('https://events.example.com/hero.jpg');
        background-color: #1f2933;">
        <!--[if mso]><v:rect xmlns:v="urn:schemas-microsoft-com:vml" fill="true" stroke="false"
        style="width:600px;height:300px;"><v:fill type="frame"
        src="https://events.example.com/hero.jpg" color="#1f2933" /><v:textbox inset="0,0,0,0">
        <![endif]-->...<!--[if mso]></v:textbox></v:rect><![endif]--></td>
        (or the background() macro)
    """
    if not targets_outlook(ctx):
        return
    view = word_view(ctx)
    root = ctx.body_root
    page_vml = root is not None and any(_is_vml(c.text or "", ("background",)) for c in root.iter(etree.Comment))
    shapes = ("rect", "fill", "image", "roundrect", "shape", "background")
    found: list[tuple[str, etree._Element]] = []
    for el, _ in ctx.styled:
        what = _background_image(el, view.styles.get(el, {}))
        if what is not None and _needs_vml(view, el, page_vml, shapes):
            found.append((what, el))
    for el in ctx.by_tag("td", "th", "table", "body"):
        what = _background_image(el, {}) if el.get("style") is None else None
        if what is not None and _needs_vml(view, el, page_vml, shapes):
            found.append((what, el))
    fix = (
        "is not shown by Outlook for Windows; add a VML fallback in <!--[if mso]> "
        '(<v:rect fill="true"><v:fill type="frame" src="..." color="..."/><v:textbox>...) and keep a '
        "background-color (the background() macro writes both)"
    )
    yield from grouped(ctx, [(f"'{what}' {fix}", el) for what, el in found])


def grouped(ctx: Context, found: list[tuple[str, etree._Element]]) -> Iterator[Finding]:
    """One finding per message and file, at the first element, counting the others: a class's style
    inlined on hundreds of cells is one thing to fix."""
    by_place: dict[tuple[str, str], list[Finding]] = {}
    for message, el in found:
        loc = ctx.at_element(el)
        by_place.setdefault((message, loc.path), []).append(Finding(message, loc))
    for places in by_place.values():
        first = places[0]
        more = f" (+{len(places) - 1} more in this file)" if len(places) > 1 else ""
        yield Finding(first.message + more, first.location)


def _needs_vml(view: WordView, el: etree._Element, page_vml: bool, shapes: tuple[str, ...]) -> bool:
    """Whether a background image Word reads has no VML fallback (and is more than a tiled texture
    over a colour, which Outlook shows as the colour)."""
    if el in view.hidden or el in view.in_vml or (tag_of(el) in ("body", "html") and page_vml):
        return False
    style = view.styles.get(el, {})
    colour = (el.get("bgcolor") or "").strip() or style.get("background-color", "").split("!")[0].strip()
    tiled = style.get("background-repeat", "").startswith("repeat")
    if tiled and colour not in NO_BACKGROUND:
        return False
    return not (any(_is_vml(c.text or "", shapes) for c in el.iter(etree.Comment)) or _vml_before(el, shapes))


@rule("KM645", "outlook-margin-spacing", "warning")
def margin_spacing(ctx: Context) -> Iterator[Finding]:
    """A block element (div, table) is spaced with `margin`, which Outlook drops.

    What it does:
        Finds `<div>`, `<table>` and other block containers Outlook for Windows reads whose
        `margin` (or `margin-top`...) gives a positive length. `margin: 0 auto` (centring) and
        negative margins are not spacing and are not reported; margins on paragraphs and
        headings, which Outlook keeps, are not checked.
    Why:
        Word ignores margins on these elements (and paints a background colour over them where
        it does not): the space between sections disappears in Outlook.
    Bad:
        <div style="margin: 24px 0;">...</div>
    Good:
        <table role="presentation" width="100%"><tr><td style="padding: 24px 0;">...</td></tr></table>
    """
    if not targets_outlook(ctx):
        return
    view = word_view(ctx)
    for el in ctx.by_tag(*BLOCKS):
        if el in view.hidden:
            continue
        style = view.styles.get(el, {})
        for prop in ("margin", "margin-top", "margin-bottom", "margin-left", "margin-right"):
            value = style.get(prop, "").replace("!important", "").strip()
            if any((px := length(part)) is not None and px > 0 for part in value.split()):
                yield Finding(
                    f"'{prop}: {value}' on <{tag_of(el)}> is ignored by Outlook for Windows; space it with padding "
                    "on a table cell (or a spacer row) instead",
                    ctx.at_element(el),
                )
                break


def _font_px(el: etree._Element, view: WordView) -> float:
    node: etree._Element | None = el
    while node is not None:
        size = view.styles.get(node, {}).get("font-size")
        if size:
            px = length(size)
            if px is not None:
                return px
        node = node.getparent()
    return DEFAULT_FONT_PX


@rule("KM646", "outlook-line-height-rule", "warning")
def line_height_rule(ctx: Context) -> Iterator[Finding]:
    """A `line-height` under the font's height has no `mso-line-height-rule: exactly`.

    What it does:
        Finds elements Outlook for Windows reads whose `line-height` is a length under their font
        size (the font size in effect there, 16px when none is set: spacer cells with
        `line-height: 1px`, tight headings), and checks that `mso-line-height-rule: exactly`
        applies to them: on the element, an ancestor (`<body>` will do) or a `*`, `html` or
        `body` rule of a `<style>` block. Lines set solid (line-height equal to the font size,
        the frameworks' spacers) grow by a pixel or two and are not reported, nor are taller
        line heights, which Word's "at least" rule leaves as they are.
    Why:
        Word treats `line-height` as a minimum: where it is under the font's natural height, Outlook
        grows the line, so spacers and tight headings come out taller than designed.
    Bad:
        <td style="font-size: 1px; line-height: 1px;">&nbsp;</td>
    Good:
        <td style="font-size: 1px; line-height: 1px; mso-line-height-rule: exactly;">&nbsp;</td>
    """
    if not targets_outlook(ctx):
        return
    view = word_view(ctx)
    if view.line_rule_global:
        return
    for el, _ in ctx.styled:
        value = view.styles.get(el, {}).get("line-height", "")
        if not value or el in view.hidden:
            continue
        font = _font_px(el, view)
        px = length(value, font)
        if px is None or px >= MIN_RATIO * font:
            continue
        chain = [el, *el.iterancestors()]
        if any(view.styles.get(a, {}).get("mso-line-height-rule", "").startswith("exactly") for a in chain):
            continue
        yield Finding(
            f"'line-height: {value}' under the font size ({font:g}px) grows in Outlook for Windows; "
            "add 'mso-line-height-rule: exactly' to the same style (or once to <body>)",
            ctx.at_element(el),
        )


@rule("KM647", "mso-conditional-malformed", "warning")
def conditional_malformed(ctx: Context) -> Iterator[Finding]:
    """An MSO conditional comment is unbalanced or malformed.

    What it does:
        Follows the conditional comments of the compiled body: an `<!--[if mso]>` must end with
        `<![endif]-->` before any other comment starts, an `<!--[if !mso]><!-->` must be closed by
        `<!--<![endif]-->`, no `<![endif]-->` may stand outside a comment, and the condition must be
        written `[if EXPRESSION]>`. It also reports `<!--[if !mso]> ... <![endif]-->`, which hides
        its content from every client.
    Why:
        A conditional comment that does not close swallows the email up to the next `-->`: a
        ghost table's closing tags, or the whole rest of the message, vanish in one client or in
        all of them.
    Bad:
        <!--[if mso]><table role="presentation" width="600"><tr><td>
        <div style="max-width: 600px;">...</div>
        <!--[if mso]></td></tr></table><![endif]-->
    Good:
        <!--[if mso]><table role="presentation" width="600"><tr><td><![endif]-->
        <div style="max-width: 600px;">...</div>
        <!--[if mso]></td></tr></table><![endif]-->
    """
    if not targets_outlook(ctx):
        return
    html = ctx.compiled.marked_body
    revealed: int | None = None  # offset of the open <!--[if !mso]><!-->
    for m in ctx.lexed(html):
        text = m.group(0)
        if text.startswith("<!--"):
            closed = text.endswith("-->") and len(text) >= 7
            inner = text[4:-3] if closed else text[4:]
            expr = condition(inner)
            if expr is not None:
                rest = inner[CONDITION.match(inner).end() :]  # type: ignore[union-attr]
                if REVEALED_TAIL.match(rest):
                    if revealed is not None:
                        yield _unclosed(ctx, revealed)
                    revealed = m.start()
                elif closed and re.search(r"<!--\s*<!\[endif\]\s*\Z", rest, re.IGNORECASE):
                    yield Finding(
                        f"'<!--[if {expr}]>' is closed by '<!--<![endif]-->', the closing of '<!--[if !mso]><!-->': "
                        "Word reads a stray '<!--' inside the conditional; close it with '<![endif]-->'",
                        ctx.at_offset(m.start()),
                    )
                elif not closed or not ENDIF_TAIL.search(rest) or "<!--" in rest:
                    yield Finding(
                        f"'<!--[if {expr}]>' has no '<![endif]-->' before the next comment ends: everything "
                        "up to there is hidden or shown by mistake; end the conditional with '<![endif]-->'",
                        ctx.at_offset(m.start()),
                    )
                elif expr.startswith("!mso"):
                    yield Finding(
                        f"'<!--[if {expr}]> ... <![endif]-->' hides its content from every client; to hide it "
                        "from Outlook only write '<!--[if !mso]><!-->' ... '<!--<![endif]-->'",
                        ctx.at_offset(m.start()),
                    )
            elif CLOSER.match(inner):
                if revealed is None:
                    yield Finding(
                        "'<!--<![endif]-->' closes no '<!--[if !mso]><!-->'; remove it or add the opening",
                        ctx.at_offset(m.start()),
                    )
                revealed = None
            elif re.match(r"\s*\[\s*(?:if\b|endif\b)", inner, re.IGNORECASE) or re.match(
                r"\s*<!\[if\b", inner, re.IGNORECASE
            ):
                yield Finding(
                    f"malformed conditional comment '{' '.join(text.split())[:40]}': write "
                    "'<!--[if mso]>' ... '<![endif]-->' or '<!--[if !mso]><!-->' ... '<!--<![endif]-->'",
                    ctx.at_offset(m.start()),
                )
        elif text.startswith("<![") and m.lastgroup is None:
            low = text.lower().replace(" ", "")
            if low.startswith("<![if"):
                if revealed is not None:
                    yield _unclosed(ctx, revealed)
                revealed = m.start()
            elif low.startswith("<![endif]--"):
                yield Finding(
                    "'<![endif]-->' outside a conditional comment: the '<!--[if ...]>' before it was ended "
                    "early by a '-->' inside it; remove the inner '-->' (or the stray '<![endif]-->')",
                    ctx.at_offset(m.start()),
                )
            elif low.startswith("<![endif]"):
                revealed = None
    if revealed is not None:
        yield _unclosed(ctx, revealed)


def _unclosed(ctx: Context, offset: int) -> Finding:
    return Finding(
        "'<!--[if !mso]><!-->' is not closed by '<!--<![endif]-->' before the next conditional: Outlook for "
        "Windows hides everything after it; add '<!--<![endif]-->' where the hidden part ends",
        ctx.at_offset(offset),
    )


@rule("KM648", "vml-without-namespace", "warning")
def vml_without_namespace(ctx: Context) -> Iterator[Finding]:
    """VML (`<v:rect>`, `<v:roundrect>`...) is used without declaring `xmlns:v`.

    What it does:
        Finds VML elements in `<!--[if mso]>` comments and checks that the VML namespace is
        declared: `xmlns:v="urn:schemas-microsoft-com:vml"` on the `<html>` element, or on the
        first VML element of the comment.
    Why:
        Without the declaration Word does not know the `v:` elements: the bulletproof button or
        background image is simply not drawn in Outlook.
    Bad:
        <html lang="en">...<!--[if mso]><v:roundrect href="{joinLink}" ...>...<![endif]-->
    Good:
        <html lang="en" xmlns:v="urn:schemas-microsoft-com:vml">
        ...<!--[if mso]><v:roundrect href="{joinLink}" ...>...<![endif]-->
    """
    if not targets_outlook(ctx):
        return
    html = ctx.compiled.marked_body
    head = _HTML_TAG.search(html)
    if head is not None and _XMLNS_V.search(head.group(1)):
        return
    for m in ctx.lexed(html):
        text = m.group(0)
        if not text.startswith("<!--") or "<v:" not in text.lower():
            continue
        expr = condition(text[4:])
        if expr is None or not reads_mso(expr):
            continue
        first = _VML_START.search(text)
        if first is None or _XMLNS_V.search(first.group(2)):
            continue
        yield Finding(
            f"VML <v:{first.group(1).lower()}> without the VML namespace: Outlook for Windows does not draw it; "
            f"add {VML_NS} to <html> (or to this element)",
            ctx.at_offset(m.start() + first.start()),
        )
