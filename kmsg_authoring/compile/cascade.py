"""The source's cascade kept through CSS inlining: which @media/@supports declarations must become !important.

Inlining moves every plain style rule into style attributes, and a style attribute beats every
stylesheet declaration without `!important`, whatever its selector, order or media query. A
declaration inside `@media` or `@supports` that won on an element before inlining (by coming later
or by a more specific selector) then loses. The analysis here compares, element by element, each
such declaration with every declaration of the same property (or a shorthand of it) that applies
to the element: the winner of the plain rules and the element's own style attribute (what the
inliner leaves there), and the other @media/@supports declarations. Each comparison is made by the
cascade (importance, style attribute or stylesheet, specificity, order) before inlining, and after
it with the chosen declarations made `!important`. A declaration is made `!important` only when
every comparison it takes part in then comes out as in the source; what cannot be kept that way is
returned with the reason, for KM601 to report.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# <style> blocks outside comments (those inside <!--[if mso]> speak to Outlook alone, never inlined).
# The style's text is scanned as runs of characters other than '<' (the regex engine's tight loop)
# rather than with a lazy '.*?', which tries the end tag at every character.
STYLE_OR_COMMENT = re.compile(
    r"<!--.*?(?:-->|\Z)|<style\b[^>]*>([^<]*+(?:<(?!/style\s*>)[^<]*+)*+)(?:</style\s*>|\Z)",
    re.DOTALL | re.IGNORECASE,
)
# A token reference written in CSS (`url({bannerUrl})`) is text, not a block.
_CSS_PART = re.compile(r"/\*.*?(?:\*/|\Z)|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|\{[A-Za-z_][\w.]*\}|[{};]", re.DOTALL)
_DECL_PART = re.compile(r"/\*.*?(?:\*/|\Z)|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|[();]", re.DOTALL)
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)
CONDITIONAL_AT = re.compile(r"@(?:media|supports)\b", re.IGNORECASE)
_IMPORTANT = re.compile(r"!\s*important\s*\Z", re.IGNORECASE)
_PROPERTY = re.compile(r"\A-?[A-Za-z_][\w-]*\Z")
# Shorthands whose value also sets the longhand a declaration names (and the reverse): a fact of CSS.
SHORTHANDS = frozenset(
    {
        "margin",
        "padding",
        "border",
        "border-top",
        "border-right",
        "border-bottom",
        "border-left",
        "border-width",
        "border-style",
        "border-color",
        "border-radius",
        "background",
        "font",
        "list-style",
        "outline",
        "text-decoration",
        "overflow",
        "inset",
        "flex",
        "transition",
        "animation",
    }
)
# Where a declaration stands: the element's style attribute, a plain rule (the inliner moves it into
# the style attribute), a rule in @media or @supports, a plain rule in a <style> the inliner is told
# to leave alone (it stays a stylesheet rule).
INLINE, SHEET, CONDITIONAL, KEPT = "inline", "sheet", "conditional", "kept"
_IGNORED = re.compile(r"""\bdata-(?:css-inline|premailer)\s*=\s*["']?ignore""", re.IGNORECASE)


@dataclass(frozen=True)
class Declaration:
    """One declaration of a stylesheet or style attribute, where it stands in the cascade."""

    prop: str  # lowercased
    value: str
    important: bool
    kind: str  # INLINE (the element's style attribute), SHEET (a plain rule), CONDITIONAL
    specificity: tuple[int, int, int]
    order: int  # document order among all declarations
    end: int = -1  # offset in the HTML where `!important` would go (stylesheet declarations)
    at_rule: str = ""  # "@media (max-width: 480px)" (nested at-rules joined by a space)
    selector: str = ""
    rule_offset: int = -1  # offset in the HTML of the rule's selector text

    def rank(self, promoted: bool = False, inlined: bool = False) -> tuple[bool, bool, tuple[int, int, int], int]:
        """Its precedence: importance, then style attribute over stylesheet, specificity, order."""
        return (self.important or promoted, self.kind == INLINE or inlined, self.specificity, self.order)

    def text(self) -> str:
        return f"{self.prop}: {self.value}{' !important' if self.important else ''}"


@dataclass(frozen=True)
class Conflict:
    """A conditional declaration whose outcome on an element inlining changes, and why it stays changed."""

    declaration: Declaration
    element: Any  # the lxml element of the document before inlining
    other: Declaration
    reason: str


@dataclass
class Analysis:
    """What keeping the cascade needs: declarations to make !important, and what cannot be kept."""

    promote: list[Declaration] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


@dataclass
class _Rule:
    selectors: str
    offset: int  # of the selector text
    at_rule: str  # "" for a plain rule
    declarations: list[tuple[str, str, bool, int]]  # (prop, value, important, end offset)


def style_blocks(html: str) -> Iterator[tuple[int, str, bool]]:
    """(offset, text, left alone by the inliner) of each <style> element's CSS outside comments."""
    for block in STYLE_OR_COMMENT.finditer(html):
        if block.group(1) is not None:
            tag = html[block.start() : block.start(1)]
            yield block.start(1), block.group(1), _IGNORED.search(tag) is not None


def declarations(text: str, base: int = 0) -> list[tuple[str, str, bool, int]]:
    """(property, value, important, end) of each declaration in a rule's body or a style attribute;
    end is the offset (from base) where the value stops, before any `!important`."""
    cuts: list[int] = []
    depth = 0
    for m in _DECL_PART.finditer(text):
        char = m.group(0)
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == ";" and depth == 0:
            cuts.append(m.start())
    cuts.append(len(text))
    out: list[tuple[str, str, bool, int]] = []
    start = 0
    for cut in cuts:
        # Comments blanked out, keeping every offset.
        chunk = _CSS_COMMENT.sub(lambda c: " " * len(c.group(0)), text[start:cut])
        chunk_start, start = start, cut + 1
        colon = chunk.find(":")
        prop = chunk[:colon].strip().lower() if colon >= 0 else ""
        if not _PROPERTY.match(prop):
            continue
        value = chunk[colon + 1 :].rstrip()
        important = _IMPORTANT.search(value) is not None
        if important:
            value = _IMPORTANT.sub("", value).rstrip()
        out.append((prop, value.strip(), important, base + chunk_start + colon + 1 + len(value)))
    return out


def style_rules(css: str, base: int = 0) -> Iterator[_Rule]:
    """The style rules of a stylesheet in order: plain ones (at_rule "") and those nested only in
    @media or @supports; rules in other at-rules (@keyframes, @font-face) are left out."""
    stack: list[tuple[str, int, int]] = []  # (prelude, its offset, where the body starts) of each open block
    start = 0
    for m in _CSS_PART.finditer(css):
        char = m.group(0)
        if char == "{":
            raw = css[start : m.start()]
            stack.append((_CSS_COMMENT.sub("", raw).strip(), start + len(raw) - len(raw.lstrip()), m.end()))
            start = m.end()
        elif char == "}":
            if stack:
                prelude, offset, body = stack.pop()
                ats = [p for p, _, _ in stack]
                if prelude and not prelude.startswith("@") and all(CONDITIONAL_AT.match(a) for a in ats):
                    at_rule = " ".join(" ".join(a.split()) for a in ats)
                    yield _Rule(prelude, base + offset, at_rule, declarations(css[body : m.start()], base + body))
            start = m.end()
        elif char == ";" and (not stack or stack[-1][0].startswith("@")):
            start = m.end()  # @import ...; or a stray declaration outside any rule


def split_selectors(selectors: str) -> list[str]:
    """A selector list split at its top-level commas."""
    parts, depth, last = [], 0, 0
    for i, ch in enumerate(selectors):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            parts.append(selectors[last:i].strip())
            last = i + 1
    parts.append(selectors[last:].strip())
    return [p for p in parts if p]


@functools.lru_cache(maxsize=4096)
def compiled_selector(selector: str) -> Any:
    """A compiled CSS selector, or None for what matches no element of a static page (:hover, ::before)."""
    from cssselect import SelectorError
    from cssselect.xpath import ExpressionError
    from lxml.cssselect import CSSSelector

    try:
        return CSSSelector(selector, translator="html")
    except (SelectorError, ExpressionError, ValueError):
        return None


@functools.lru_cache(maxsize=4096)
def specificity(selector: str) -> tuple[int, int, int]:
    """The selector's specificity (ids, classes and attributes and pseudo-classes, types)."""
    import cssselect

    try:
        return max(s.specificity() for s in cssselect.parse(selector))
    except Exception:  # noqa: BLE001 - an unparsable selector was never compiled either
        return (0, 0, 0)


@functools.lru_cache(maxsize=4096)
def related(prop: str) -> frozenset[str]:
    """The property and the shorthands that also set it (padding-left: padding)."""
    parts = prop.split("-")
    return frozenset({prop, *("-".join(parts[:i]) for i in range(1, len(parts)) if "-".join(parts[:i]) in SHORTHANDS)})


@functools.lru_cache(maxsize=65536)
def overlap(a: str, b: str) -> bool:
    """Whether two properties set something in common (equal, or one a shorthand of the other)."""
    return b in related(a) or a in related(b)


_ZERO = re.compile(r"(?<![\w.])0(?:px|em|rem|pt|%)(?![\w%])")
# Shorthands of four sides, whose values follow the top, right, bottom, left rule of CSS.
_SIDES = ("top", "right", "bottom", "left")


def _normal(value: str) -> str:
    return _ZERO.sub("0", " ".join(value.lower().split()))


def _side(shorthand: str, value: str, longhand: str) -> str | None:
    """What a four-side shorthand (margin, padding, border-width, inset...) sets a longhand to, if known."""
    parts = _normal(value).split()
    if not 1 <= len(parts) <= 4 or any(c in value for c in "(,/"):
        return None
    for n, side in enumerate(_SIDES):
        name = f"{shorthand}-{side}" if "-" not in shorthand else shorthand.replace("-", f"-{side}-", 1)
        if longhand == name or (shorthand == "inset" and longhand == side):
            top, right = parts[0], parts[1] if len(parts) > 1 else parts[0]
            bottom = parts[2] if len(parts) > 2 else top
            left = parts[3] if len(parts) > 3 else right
            return (top, right, bottom, left)[n]
    return None


def same_effect(a: Declaration, b: Declaration) -> bool:
    """Whether two declarations set what they share to the same value, so which one wins changes nothing."""
    if a.prop == b.prop:
        return _normal(a.value) == _normal(b.value)
    short, long_ = (a, b) if b.prop.startswith(a.prop + "-") or b.prop in _SIDES else (b, a)
    value = _side(short.prop, short.value, long_.prop)
    return value is not None and value == _normal(long_.value)


def _elements(root: Any, selectors: str) -> Iterator[tuple[str, Any]]:
    for selector in split_selectors(selectors):
        match = compiled_selector(selector)
        if match is not None:
            for el in match(root):
                yield selector, el


def _reason(decl: Declaration, other: Declaration, tag: str) -> str:
    """Why a comparison of two declarations on an element cannot come out as in the source."""
    if other.kind != CONDITIONAL and other.important:
        return (
            f"the inlined '{other.text()}' is !important in the style attribute, which no stylesheet "
            "declaration can beat"
        )
    what = {
        INLINE: f"the style attribute's '{other.text()}'",
        SHEET: f"'{other.text()}' of '{other.selector}'",
        CONDITIONAL: f"'{other.text()}' of '{other.at_rule}' rule '{other.selector}'",
        KEPT: f"'{other.text()}' of '{other.selector}'",
    }[other.kind]
    return f"on <{tag}> it must lose to {what}, which !important would overturn"


def analyse(html: str, preserve: bool = True) -> Analysis:
    """Which @media/@supports declarations of a document must become !important to keep its cascade.

    Without preserve, nothing is chosen, and every declaration inlining silences is a conflict.
    """
    blocks = list(style_blocks(html))
    if not any(CONDITIONAL_AT.search(css) for _, css, _ in blocks):
        return Analysis()
    rules = [(r, kept) for offset, css, kept in blocks for r in style_rules(css, offset)]
    conditional_props = {p for r, _ in rules if r.at_rule for p, *_ in r.declarations}
    # Inlining changes an outcome only where a plain rule (inlined) sets a property a conditional
    # declaration sets too.
    relevant = {
        p
        for r, kept in rules
        if not r.at_rule and not kept
        for p, *_ in r.declarations
        if any(overlap(p, q) for q in conditional_props)
    }
    if not relevant:
        return Analysis()
    # The conditional properties that can lose to an inlined one, and those that can meet them.
    hot = {q for q in conditional_props if any(overlap(q, p) for p in relevant)}
    near = {q for q in conditional_props if any(overlap(q, h) for h in hot)}
    from lxml import html as lxml_html

    try:
        root = lxml_html.document_fromstring(html)
    except Exception:  # noqa: BLE001 - a document lxml cannot read has nothing to analyse
        return Analysis()
    per_element: dict[Any, list[Declaration]] = {}
    order = 0
    for r, kept in rules:
        wanted = {
            n
            for n, (prop, *_) in enumerate(r.declarations)
            if (prop in near if r.at_rule else prop in relevant or (kept and prop in near))
        }
        order += len(r.declarations)
        if not wanted:
            continue
        kind = CONDITIONAL if r.at_rule else KEPT if kept else SHEET
        for selector, el in _elements(root, r.selectors):
            spec = specificity(selector)
            for n, (prop, value, important, end) in enumerate(r.declarations):
                if n in wanted:
                    per_element.setdefault(el, []).append(
                        Declaration(
                            prop,
                            value,
                            important,
                            kind,
                            spec,
                            order - len(r.declarations) + n,
                            end,
                            r.at_rule,
                            selector,
                            r.offset,
                        )
                    )
    # element -> its conditional declarations, and what the inliner leaves in its style attribute
    cases: list[tuple[Any, list[Declaration], list[Declaration], list[Declaration]]] = []
    for el, decls in per_element.items():
        conditional = [d for d in decls if d.kind == CONDITIONAL]
        if not conditional:
            continue
        stylesheet = [d for d in decls if d.kind in (CONDITIONAL, KEPT)]
        static: dict[str, Declaration] = {}
        for d in decls:
            if d.kind == SHEET and (d.prop not in static or d.rank() > static[d.prop].rank()):
                static[d.prop] = d
        for n, (prop, value, important, _) in enumerate(declarations(el.get("style") or "")):
            d = Declaration(prop, value, important, INLINE, (1, 0, 0), n)
            if prop not in static or d.rank() > static[prop].rank():
                static[prop] = d
        cases.append((el, conditional, stylesheet, list(static.values())))

    def flips(promoted: set[tuple[int, str]]) -> Iterator[tuple[Any, Declaration, Declaration]]:
        """Every (element, conditional declaration, other) whose order inlining (with promotions) changes."""
        for el, conditional, stylesheet, static in cases:
            for d in conditional:
                mine = _key(d) in promoted
                for other in static:
                    if same_effect(d, other):
                        continue
                    if overlap(d.prop, other.prop) and (d.rank() > other.rank()) != (
                        d.rank(mine) > other.rank(inlined=True)
                    ):
                        yield el, d, other
                for other in stylesheet:
                    if _key(other) != _key(d) and overlap(d.prop, other.prop) and not same_effect(d, other):
                        theirs = _key(other) in promoted
                        if (d.rank() > other.rank()) != (d.rank(mine) > other.rank(theirs)):
                            yield el, d, other

    # Every declaration that loses after inlining where it won before is a candidate; a candidate
    # whose !important would overturn another comparison is dropped (with that comparison as the
    # reason), until none does.
    chosen = {_key(d): d for _, d, _ in flips(set()) if not d.important} if preserve else {}
    dropped: dict[tuple[int, str], str] = {}
    while True:
        broken: dict[tuple[int, str], str] = {}
        for el, d, other in flips(set(chosen)):
            if _key(d) in chosen:
                broken.setdefault(_key(d), _reason(d, other, el.tag))
            elif other.kind == CONDITIONAL and _key(other) in chosen:
                broken.setdefault(_key(other), _reason(other, d, el.tag))
        if not broken:
            break
        for k, why in broken.items():
            del chosen[k]
            dropped[k] = why
    analysis = Analysis(promote=sorted(chosen.values(), key=lambda d: d.end))
    seen: set[tuple[tuple[int, str], int]] = set()
    for el, d, other in flips(set(chosen)):
        if (_key(d), id(el)) in seen or other.kind in (CONDITIONAL, KEPT):
            continue
        seen.add((_key(d), id(el)))
        why = dropped.get(_key(d)) or _reason(d, other, el.tag) if preserve else OFF
        analysis.conflicts.append(Conflict(d, el, other, why))
    return analysis


OFF = "preserve_cascade = false under [build] leaves it losing (remove that setting to keep it winning)"


def _key(d: Declaration) -> tuple[int, str]:
    return (d.end, d.prop)


def promote(html: str, analysis: Analysis) -> str:
    """The document with each chosen declaration marked !important, in the stylesheet as written."""
    out = []
    last = 0
    for d in analysis.promote:
        out.append(html[last : d.end])
        out.append(" !important")
        last = d.end
    out.append(html[last:])
    return "".join(out)
