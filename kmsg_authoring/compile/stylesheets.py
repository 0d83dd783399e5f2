"""A template's stylesheets: each <link rel=stylesheet> to a project file swapped for its CSS; rules holding tokens."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kmsg_authoring.compile.loader import prepare
from kmsg_authoring.compile.tokens import PLACEHOLDER_RE
from kmsg_authoring.compile.types import MARK_ATTR
from kmsg_authoring.errors import BuildError, Location
from kmsg_authoring.source.project import confine, read_text

if TYPE_CHECKING:
    from kmsg_authoring.compile.tokens import Shield
    from kmsg_authoring.compile.types import SourceMap
    from kmsg_authoring.source.config import Config

_CSS_PART = re.compile(r"/\*.*?\*/|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|[{};]", re.DOTALL)
_LINK_START = re.compile(r"<link\b", re.IGNORECASE)
# A <link> element, or what an HTML parser never looks inside for one: a comment, or the raw text
# of <script>, <style>, <title> and <textarea>.
_LINK_SCAN = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(script|style|title|textarea)\b[^<]*+(?:<(?!/\1\s*>)[^<]*+)*+(?:</\1\s*>|\Z)"
    r"|(?P<link><link\b(?:\"[^\"]*\"|'[^']*'|[^'\">])*>)",
    re.DOTALL | re.IGNORECASE,
)
_ATTR = re.compile(r"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_REMOTE = re.compile(r"\A(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def _attrs(tag: str) -> dict[str, str]:
    return {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in _ATTR.finditer(tag)}


def link_stylesheets(
    html: str, policy: str, config: Config, shield: Shield, marks: SourceMap, body_rel: str, deps: set[str]
) -> str:
    """Replace each <link rel=stylesheet> to a project file by a <style> holding the file.

    Links are found as an HTML parser finds elements: never inside a comment (a commented-out
    hint is not a stylesheet) nor inside the raw text of <script>, <style>, <title> or
    <textarea>. A remote one is kept as written and never downloaded (the linter says which
    clients ignore it), or refused with remote_stylesheets: error.
    """
    if _LINK_START.search(html) is None:
        return html

    def swap(m: re.Match[str]) -> str:
        if m.group("link") is None:
            return m.group(0)
        attrs = _attrs(m.group(0))
        if "stylesheet" not in attrs.get("rel", "").lower().split():
            return m.group(0)
        loc = marks.element_location(attrs.get("data-kmsg-loc")) or Location(body_rel)
        href = attrs.get("href", "")
        if not href:
            raise BuildError("<link rel=stylesheet> without href", loc)
        if _REMOTE.match(href):
            if policy != "error":
                return m.group(0)
            raise BuildError(
                f"remote stylesheet '{href}' is never downloaded; put the CSS in the project, or drop "
                "remote_stylesheets: error (kmsg: in template.yaml, [build] in kmsg.toml) to keep the link",
                loc,
            )
        base = (config.root / loc.path).parent
        target = (config.src_dir / href.lstrip("/")) if href.startswith("/") else base / href
        if not target.resolve().is_relative_to(config.root.resolve()):
            raise BuildError(f"stylesheet '{href}' is outside the project; only files inside it are read", loc)
        if not target.is_file():
            raise BuildError(f"stylesheet '{href}' not found in the project", loc)
        rel = confine(config.root, target)
        deps.add(rel)
        css = prepare(read_text(target, rel, root=config.root), rel, shield, None, jinja=False)
        media = attrs.get("media")
        media_attr = f' media="{media}"' if media else ""
        # Marked as written in the stylesheet, so that findings about its rules point into it.
        mark = marks.add(Location(rel, 1, 1))
        return f'<style{media_attr} {MARK_ATTR}="{mark}">{css}\n</style>'

    return _LINK_SCAN.sub(swap, html)


def token_rules(css: str) -> list[str]:
    """Top-level style rules of a stylesheet whose declarations hold a token placeholder."""
    rules: list[str] = []
    depth = 0
    start = 0
    for m in _CSS_PART.finditer(css):
        char = m.group(0)
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        if depth == 0 and char in "};":
            rule = css[start : m.end()].strip()
            start = m.end()
            if char == "}" and not rule.startswith("@") and PLACEHOLDER_RE.search(rule):
                rules.append(rule)
    return rules
