"""CSS that the major mail clients drop, checked on the inlined styles of the compiled body."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from kmsg_authoring.lint.context import Context, Finding, elements, style_declarations
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
_VAR = re.compile(r"var\(\s*--")


@rule("KM510", "unsupported-css", "warning", options={
    "allow": Option("list[str]", [], "CSS properties not to report (you have a fallback for them)"),
})
def unsupported_css(ctx: Context) -> Iterator[Finding]:
    """An inline style uses CSS that a major mail client drops.

    What it does:
        Checks the inlined styles of the compiled body for properties that Outlook for Windows
        (Word's renderer) or Gmail drop: position, display:flex/grid, float, box-shadow,
        transform, transitions and animations, object-fit, clip-path, filter, blend modes and
        custom properties (var(--x)). The `allow` option lists properties you have a fallback for.
    Why:
        The layout that depends on them falls apart in those clients: columns stack or overlap,
        overlays cover the text.
    Bad:
        <div style="display:flex"><div>Left</div><div>Right</div></div>
    Good:
        <table role="presentation"><tr><td>Left</td><td>Right</td></tr></table>
    """
    allowed = {p.lower() for p in ctx.options.get("allow", [])}
    for el in elements(ctx.body_root):
        style = el.get("style")
        if not style:
            continue
        seen: set[str] = set()
        for prop, value in style_declarations(style).items():
            if prop in allowed or prop in seen:
                continue
            entry = DROPPED.get(prop)
            if entry is not None and entry[0](value):
                seen.add(prop)
                yield Finding(f"CSS '{prop}: {value}' is dropped by {entry[1]}", ctx.at_element(el))
            elif _VAR.search(value) and "var()" not in allowed:
                seen.add(prop)
                yield Finding(f"CSS custom property in '{prop}: {value}' is dropped by {OUTLOOK_GMAIL}",
                              ctx.at_element(el))
