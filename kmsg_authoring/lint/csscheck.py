"""The CSS a designer wrote, parsed with tinycss2 (a CSS Syntax Level 3 parser) before inlining:
what a browser or a mail client drops, and properties and values MDN's data does not know.

Every `<style>` block and `style` attribute of the template as rendered before inlining (linked
stylesheets are already in it as `<style>` blocks) is parsed once; a finding carries its offset in
that text, and the rules in lint/rules/css.py turn it into the file, line and column the designer
edits. Send-time tokens (`{name}`) are shielded first: a declaration holding one is judged at send
time, not here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import unescape
from typing import TYPE_CHECKING, Any

from kmsg_authoring.lint.cssdata import ANYWHERE_FUNCTIONS, GLOBAL_KEYWORDS, Accepts, CssData, known_property, load
from kmsg_authoring.model import TOKEN_RE

if TYPE_CHECKING:
    from kmsg_authoring.lint.context import Context

# SYNTAX: a brace mistake that drops rules; BRACE: one that a browser mends at the end of the stylesheet.
SYNTAX, BRACE, DECLARATION, PROPERTY, VALUE, IMPORTANT, AT_RULE = (
    "syntax",
    "brace",
    "declaration",
    "property",
    "value",
    "important",
    "at-rule",
)
# Braces outside comments and strings: the blocks of a stylesheet as a browser closes them.
_BRACES = re.compile(r"/\*.*?(?:\*/|\Z)|\"(?:\\.|[^\"\\\n])*\"?|'(?:\\.|[^'\\\n])*'?|[{};]", re.DOTALL)
_SHIELDED = re.compile(r"\A_+\Z")
# At-rules whose block holds rules, and those whose block holds descriptors (not properties).
_RULE_BLOCKS = frozenset({"media", "supports", "document", "-moz-document", "container", "layer", "scope"})
_KEYFRAMES = re.compile(r"\A(?:-[a-z]+-)?keyframes\Z")
_DESCRIPTORS = frozenset({"font-face", "page", "counter-style", "property", "font-palette-values", "viewport"})
_HEX = re.compile(r"\A[0-9a-fA-F]+\Z")
_STYLE_ATTR = re.compile(r"\sstyle\s*=", re.IGNORECASE)


@dataclass(frozen=True)
class CssFinding:
    """One finding: its kind (the rule that reports it), message and offset in the rendered HTML."""

    kind: str
    message: str
    offset: int


def findings(ctx: Context) -> list[CssFinding]:
    """Every CSS finding of a template, computed once for all the CSS rules."""
    found = ctx.cache.get("css-check")
    if found is None:
        rendered = ctx.compiled.rendered
        found = ctx.cache["css-check"] = list(check_html(rendered, ctx.lexed(rendered)))
    if not isinstance(found, list):
        raise RuntimeError("the lint cache holds something else under the CSS check's key")
    return found


def check_html(html: str, tokens: Sequence[re.Match[str]]) -> Iterator[CssFinding]:
    """The findings of every <style> block and style attribute of an HTML text (comments are skipped:
    a stylesheet inside <!--[if mso]> speaks to Outlook for Windows alone)."""
    from kmsg_authoring.lint.context import _token_segments

    for m in tokens:
        if m.lastgroup == "start":
            # Most tags have no style attribute: skip splitting them into attributes.
            if _STYLE_ATTR.search(m.group(0)) is None:
                continue
        elif m.lastgroup != "raw_text":
            continue
        for seg in _token_segments(html, m):
            if seg.kind == "css":
                for f in check_stylesheet(html[seg.start : seg.end]):
                    yield CssFinding(f.kind, f.message, seg.start + f.offset)
            elif seg.kind == "attribute" and seg.attribute == "style":
                value = html[seg.start : seg.end]
                if "&" in value:
                    # Entities are decoded as a browser does; a finding after one is placed at the attribute.
                    for f in check_declarations(unescape(value)):
                        yield CssFinding(f.kind, f.message, seg.start)
                else:
                    for f in check_declarations(value):
                        yield CssFinding(f.kind, f.message, seg.start + f.offset)


def _shield(css: str) -> str:
    """Send-time tokens replaced by underscores of the same length (an identifier, columns unchanged)."""
    return TOKEN_RE.sub(lambda m: "_" * len(m.group(0)), css) if "{" in css else css


class _Lines:
    """Offsets of a text from tinycss2's 1-based lines and columns."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def offset(self, node: Any) -> int:
        line = min(max(node.source_line, 1), len(self.starts))
        return int(self.starts[line - 1] + node.source_column - 1)


@functools.lru_cache(maxsize=512)
def check_stylesheet(css: str) -> tuple[CssFinding, ...]:
    """The findings of one stylesheet, offsets relative to its text (memoised: layouts repeat them)."""
    import tinycss2

    shielded = _shield(css)
    lines = _Lines(shielded)
    out: list[CssFinding] = []
    unclosed = _braces(shielded, out)
    rules = tinycss2.parse_stylesheet(shielded, skip_comments=True, skip_whitespace=True)
    _rules(rules, lines, load(), unclosed, out, top=True)
    return tuple(sorted(out, key=lambda f: f.offset))


@functools.lru_cache(maxsize=4096)
def check_declarations(text: str) -> tuple[CssFinding, ...]:
    """The findings of a style attribute's declarations (memoised: inliners repeat the same styles)."""
    import tinycss2

    shielded = _shield(text)
    out: list[CssFinding] = []
    _declarations(tinycss2.parse_component_value_list(shielded), _Lines(shielded), load(), False, out)
    return tuple(out)


def _braces(css: str, out: list[CssFinding]) -> set[int]:
    """Report stray '}' and '{' never closed; the offsets of the unclosed ones."""
    stack: list[tuple[int, int]] = []  # offset of each open '{', and of the start of its prelude
    start = 0
    for m in _BRACES.finditer(css):
        char = m.group(0)
        if char == "{":
            stack.append((m.start(), start))
            start = m.end()
        elif char == "}":
            if stack:
                stack.pop()
            else:
                after = _prelude(css, m.end(), css.find("{", m.end()))
                if after:
                    message = f"stray '}}' with no '{{' to close: the rule '{after}' after it is dropped; remove it"
                    out.append(CssFinding(SYNTAX, message, m.start()))
                else:
                    out.append(CssFinding(BRACE, "stray '}' with no '{' to close; remove it", m.start()))
            start = m.end()
        elif char == ";":
            start = m.end()
    unclosed = set()
    for at, prelude_start in stack:
        name = _prelude(css, prelude_start, at) or "the rule"
        inner = css.find("{", at + 1)
        swallowed = _prelude(css, css.rfind("\n", 0, inner) + 1, inner) if inner > 0 else ""
        unclosed.add(at)
        if name.startswith("@"):
            read = f"the rules after it (from '{swallowed}') are" if swallowed else "what follows it is"
            message = f"'{{' of '{name}' is never closed: {read} read inside it to the end of the stylesheet (add '}}')"
            out.append(CssFinding(BRACE, message, at))
        elif swallowed:
            message = (
                f"'{{' of '{name}' is never closed: the rule '{swallowed}' after it is read inside it "
                "and dropped (add '}')"
            )
            out.append(CssFinding(SYNTAX, message, at))
        else:
            out.append(CssFinding(BRACE, f"'{{' of '{name}' is never closed (add '}}')", at))
    return unclosed


def _prelude(css: str, start: int, end: int) -> str:
    """The selector or at-rule before a '{', as one line (shortened)."""
    if end < 0:
        return ""
    text = " ".join(re.sub(r"/\*.*?(?:\*/|\Z)", " ", css[start:end], flags=re.DOTALL).split())
    return text if len(text) <= 50 else text[:47] + "..."


def _rules(
    rules: Sequence[Any], lines: _Lines, data: CssData, unclosed: set[int], out: list[CssFinding], top: bool
) -> None:
    """The findings of a list of rules (a stylesheet, or the block of @media)."""
    strays = any(f.message.startswith("stray '}'") for f in out)
    for node in rules:
        if node.type == "error":
            # A stray '}' was reported by _braces, and so was the rule it ends without a block.
            if node.kind != "}" and not (strays and node.message.startswith("EOF reached before {} block")):
                out.append(CssFinding(SYNTAX, f"{node.message.rstrip('.')}; this part is dropped", lines.offset(node)))
        elif node.type == "qualified-rule":
            if any(t.type == "error" for t in node.prelude):
                continue  # the stray '}' it starts with is reported
            inside = bool(unclosed) and _block_offset(node, lines) in unclosed
            _declarations(node.content, lines, data, inside, out)
        elif node.type == "at-rule":
            _at_rule(node, lines, data, unclosed, out)


def _block_offset(node: Any, lines: _Lines) -> int:
    """The offset of a rule's '{': after the last token of its prelude."""
    offset = lines.offset(node)
    for t in node.prelude:
        if t.type not in ("whitespace", "comment"):
            offset = lines.offset(t)
    found = lines.text.find("{", offset)
    return found if found >= 0 else len(lines.text)


def _at_rule(node: Any, lines: _Lines, data: CssData, unclosed: set[int], out: list[CssFinding]) -> None:
    import tinycss2

    name = node.lower_at_keyword
    if name not in data.at_rules and not name.startswith("-"):
        out.append(
            CssFinding(
                AT_RULE,
                f"unknown at-rule '@{name}'{_suggest(name, data.at_rules)}; every client drops it"
                + (" and the rules inside it" if node.content is not None else ""),
                lines.offset(node),
            )
        )
        return
    if node.content is None:
        return
    if name in _RULE_BLOCKS or _KEYFRAMES.match(name):
        inner = tinycss2.parse_rule_list(node.content, skip_comments=True, skip_whitespace=True)
        _rules(inner, lines, data, unclosed, out, top=False)
    elif name in _DESCRIPTORS:
        _declarations(node.content, lines, None, bool(unclosed) and _block_offset(node, lines) in unclosed, out)


def _declarations(
    content: Sequence[Any], lines: _Lines, data: CssData | None, in_unclosed: bool, out: list[CssFinding]
) -> None:
    """The findings of a declaration list (a rule's block or a style attribute), split at its ';'.

    `data` None: descriptors (@font-face, @page), whose names are not properties.
    """
    import tinycss2

    segment: list[Any] = []
    for token in [*content, None]:
        if token is not None and not (token.type == "literal" and token.value == ";"):
            segment.append(token)
            continue
        parts = [t for t in segment if t.type not in ("whitespace", "comment")]
        segment = []
        if not parts:
            continue
        first = parts[0]
        if any(t.type == "{} block" for t in parts):
            if not in_unclosed:
                text = " ".join(
                    tinycss2.serialize(parts[: next(i for i, t in enumerate(parts) if t.type == "{} block")]).split()
                )
                out.append(
                    CssFinding(
                        DECLARATION,
                        f"nested rule '{text[:50]}' inside a rule: mail clients drop it "
                        "(write it as a rule of its own)",
                        lines.offset(first),
                    )
                )
            continue
        if first.type == "at-keyword":
            continue
        if first.type != "ident" or len(parts) < 2 or parts[1] != ":":
            text = " ".join(tinycss2.serialize(parts).split())
            out.append(
                CssFinding(
                    DECLARATION,
                    f"'{text[:50]}' is not a declaration (property: value) and is dropped",
                    lines.offset(first),
                )
            )
            continue
        decl = tinycss2.parse_one_declaration(parts)
        if decl.type == "error":
            out.append(
                CssFinding(DECLARATION, f"{decl.message.rstrip('.')}; the declaration is dropped", lines.offset(first))
            )
            continue
        _declaration(decl, lines, data, out)


def _declaration(decl: Any, lines: _Lines, data: CssData | None, out: list[CssFinding]) -> None:
    name = decl.lower_name
    if data is None or name.startswith("--"):
        return
    at = lines.offset(decl)
    if not known_property(data, name):
        out.append(CssFinding(PROPERTY, f"unknown property '{name}'{_suggest(name, _plain(data))}; it is ignored", at))
        return
    value = [t for t in decl.value if t.type not in ("whitespace", "comment")]
    bang = next((i for i, t in enumerate(value) if t == "!"), None)
    if bang is not None:
        after = value[bang + 1] if bang + 1 < len(value) else None
        word = after.value if after is not None and after.type == "ident" else ""
        if word.lower() == "important" or decl.important:
            message = f"'!important' in '{name}' must end its value (the declaration is dropped)"
        else:
            message = f"'!{word}' in '{name}' is not '!important' (the declaration is dropped)"
        out.append(CssFinding(IMPORTANT, message, lines.offset(value[bang])))
        return
    if not value:
        out.append(CssFinding(VALUE, f"'{name}' has no value (the declaration is dropped)", at))
        return
    accepts = data.accepts(name)
    if accepts is None or _unjudged(value):
        return
    for token in value:
        problem = _token_problem(token, name, accepts, data)
        if problem:
            out.append(CssFinding(VALUE, problem, lines.offset(token)))
            return


@functools.lru_cache(maxsize=1)
def _plain(data: CssData) -> frozenset[str]:
    """The property names without a vendor prefix: what an unknown property is compared with."""
    return frozenset(p for p in data.properties if not p.startswith("-"))


def _unjudged(value: Sequence[Any]) -> bool:
    """A value that is resolved later: a var()/env()/attr() in it, or a shielded send-time token."""
    for t in value:
        if t.type == "function" and t.lower_name in ("var", "env", "attr"):
            return True
        if t.type in ("ident", "url") and _SHIELDED.match(t.value):
            return True
        if t.type == "function" and _unjudged(t.arguments):
            return True
    return False


@functools.lru_cache(maxsize=1024)
def _suggest(word: str, choices: frozenset[str]) -> str:
    """did_you_mean, memoised: real stylesheets repeat the same unknown word many times."""
    from kmsg_authoring.lint.context import did_you_mean

    return did_you_mean(word, choices)


def _token_problem(token: Any, prop: str, accepts: Accepts, data: CssData) -> str:
    """Why a top-level token of a value is not one of the property's, or ''."""
    kind = token.type
    types = accepts.types
    takes = _takes(accepts)
    if kind == "ident":
        word = token.lower_value
        if word in GLOBAL_KEYWORDS or word in accepts.keywords or accepts.open or word.startswith("-"):
            return ""
        return f"'{token.value}' is not a value of '{prop}'{_suggest(word, accepts.keywords)}{takes}"
    if kind == "hash":
        if "hex-color" not in types:
            return f"'#{token.value}' is not a value of '{prop}'{takes}"
        if len(token.value) not in (3, 4, 6, 8) or not _HEX.match(token.value):
            return f"invalid colour '#{token.value}': a hex colour has 3, 4, 6 or 8 hex digits (0-9, a-f)"
        return ""
    if kind == "dimension":
        unit = token.lower_unit
        dimension = data.units.get(unit)
        if dimension is None:
            wanted = [u for u, d in data.units.items() if d in types] or list(data.units)
            return f"unknown unit '{unit}' in '{token.serialize()}'{_unit_hint(unit, wanted)}"
        if dimension not in types and "dimension" not in types:
            return f"'{token.serialize()}' is a {dimension}, not a value of '{prop}'{takes}"
        return ""
    if kind == "number":
        if token.value == 0 or types & {"number", "integer"}:
            return ""
        if "length" in types:
            return f"'{token.serialize()}' has no unit: '{prop}' takes a length ({token.serialize()}px?)"
        return f"'{token.serialize()}' is not a value of '{prop}'{takes}"
    if kind == "percentage":
        return "" if "percentage" in types else f"'{token.serialize()}' is not a value of '{prop}'{takes}"
    if kind == "function":
        name = token.lower_name
        if name in accepts.functions or name in ANYWHERE_FUNCTIONS or name.startswith("-"):
            return ""
        if name == "url" and "url-token" in types:
            return ""
        if name in data.functions or f"{name}()" in data.types:
            return f"'{name}()' is not a value of '{prop}'{takes}"
        return f"unknown function '{name}()'{_suggest(name, accepts.functions or data.functions)}"
    if kind == "url":
        return "" if "url-token" in types or "url" in accepts.functions else f"'url()' is not a value of '{prop}'"
    if kind == "string":
        if "string" in types or accepts.open:
            return ""
        unquoted = f" (write {token.value} without quotes)" if token.value.lower() in accepts.keywords else ""
        return f"a quoted string is not a value of '{prop}'{unquoted}"
    return ""


def _unit_hint(unit: str, units: Sequence[str]) -> str:
    """A " (did you mean 'px'?)" for a mistyped unit: the first unit, in the data's order (absolute
    lengths, then font-relative, then viewport...), one letter away from it."""
    for candidate in units:
        if len(candidate) == len(unit) and sum(a != b for a, b in zip(candidate, unit, strict=True)) == 1:
            return f" (did you mean '{candidate}'?)"
    return _suggest(unit, frozenset(units))


def _takes(accepts: Accepts) -> str:
    """'; it takes a length, a percentage or a keyword' (what a value of the property may be)."""
    names = [
        n
        for n, present in (
            ("a length", "length" in accepts.types),
            ("a percentage", "percentage" in accepts.types),
            ("a number", bool(accepts.types & {"number", "integer"})),
            ("a colour", "hex-color" in accepts.types),
            ("a keyword", bool(accepts.keywords)),
        )
        if present
    ]
    if not names:
        return ""
    return "; it takes " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1])
