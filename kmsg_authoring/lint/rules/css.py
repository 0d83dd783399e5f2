"""CSS that the major mail clients drop, checked on the inlined styles of the compiled body."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterator

from lxml import etree

from kmsg_authoring.lint.context import Context, Finding
from kmsg_authoring.lint.registry import Option, rule

OUTLOOK = "Outlook for Windows"
OUTLOOK_GMAIL = "Outlook for Windows and Gmail"


def _any(value: str) -> bool:
    return True


def _values(*names: str) -> Callable[[str], bool]:
    return lambda value: re.sub(r"\s*!important\Z", "", value).strip() in names


# property -> (does this value get dropped?, the clients that drop it)
DROPPED: dict[str, tuple[Callable[[str], bool], str]] = {
    "position": (lambda v: not v.startswith("static"), "Gmail and Outlook for Windows"),
    "display": (_values("flex", "inline-flex", "grid", "inline-grid"), OUTLOOK),
    "float": (lambda v: not v.startswith("none"), OUTLOOK),
    "box-shadow": (_any, OUTLOOK),
    "transform": (_any, OUTLOOK_GMAIL),
    "transition": (_any, OUTLOOK_GMAIL),
    "animation": (_any, OUTLOOK_GMAIL),
    "object-fit": (_any, OUTLOOK_GMAIL),
    "clip-path": (_any, OUTLOOK_GMAIL),
    "filter": (_any, OUTLOOK_GMAIL),
    "mix-blend-mode": (_any, OUTLOOK_GMAIL),
}
# A declaration of a dropped property (its value up to ';'), or a custom property reference.
_DECLARATION = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(p) for p in DROPPED) + r")\s*:\s*([^;]*)|var\(\s*--"
)
_NAMES = (*DROPPED, "var(")  # a style must contain one of them for _DECLARATION to match


@rule("KM510", "unsupported-css", "warning", options={
    "allow": Option("list[str]", [], "CSS properties not to report (you have a fallback for them)"),
})
def unsupported_css(ctx: Context) -> Iterator[Finding]:
    """An inline style uses CSS that a major mail client drops.

    What it does:
        Checks the inlined styles of the compiled body for properties that Outlook for Windows
        (Word's renderer) or Gmail drop: position, display:flex/grid, float, box-shadow,
        transform, transitions and animations, object-fit, clip-path, filter, blend modes and
        custom properties (var(--x)). The `allow` option lists properties you have a fallback for
        ("var()" for custom properties).
    Why:
        The layout that depends on them falls apart in those clients: columns stack or overlap,
        overlays cover the text.
    Bad:
        <div style="display:flex"><div>Left</div><div>Right</div></div>
    Good:
        <table role="presentation"><tr><td>Left</td><td>Right</td></tr></table>
    """
    allowed = {p.lower() for p in ctx.options.get("allow", [])}
    for el, style in _candidates(ctx):
        seen: set[str] = set()
        for m in _DECLARATION.finditer(style):
            prop, value = m.group(1), (m.group(2) or "").strip()
            if prop is None:
                if "var()" not in allowed and "var" not in seen:
                    seen.add("var")
                    yield Finding(f"CSS custom property (var(--...)) is dropped by {OUTLOOK_GMAIL}",
                                  ctx.at_element(el))
                continue
            check, clients = DROPPED[prop]
            if prop not in allowed and prop not in seen and check(value):
                seen.add(prop)
                yield Finding(f"CSS '{prop}: {value}' is dropped by {clients}", ctx.at_element(el))


def _candidates(ctx: Context) -> list[tuple[etree._Element, str]]:
    """(element, lower-cased style) for the inline styles that name a dropped property or var(.

    Most styles name none, and _DECLARATION is slow to run over all of them (its lookbehind and
    eleven alternatives are tried at every character): the distinct lower-cased styles (an
    inliner repeats the same few on many elements) are joined and searched for each name with
    str.find instead, and only the styles found are parsed.
    """
    lowered = [style.lower() for _, style in ctx.styled]
    distinct = list(dict.fromkeys(lowered))
    joined = "\n".join(distinct)
    starts = list(itertools.accumulate((len(style) + 1 for style in distinct), initial=0))
    found: set[str] = set()
    for name in _NAMES:
        at = joined.find(name)
        while at >= 0:
            i = bisect.bisect_right(starts, at) - 1
            found.add(distinct[i])
            at = joined.find(name, starts[i + 1])  # on from the next style
    return [(el, style) for (el, _), style in zip(ctx.styled, lowered) if style in found]
