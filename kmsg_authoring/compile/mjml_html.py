"""Checked MJML in, the template's HTML out: MRML run, element marks placed, token references counted, styles kept.

The entry of the MJML stage (`to_html`); parsing the MJML is compile/mjml_parse.py's, checking it
compile/mjml_check.py's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from kmsg_authoring.compile.mjml_check import _MARKER, _Stage
from kmsg_authoring.compile.mjml_parse import Node
from kmsg_authoring.compile.tokens import PLACEHOLDER_RE, TOKEN_RE, Shield
from kmsg_authoring.compile.types import MARK_ATTR, SourceMap
from kmsg_authoring.errors import BuildError, Location
from kmsg_authoring.source.config import RENDER_SIZE_LIMIT_MB, RENDER_TIME_LIMIT, MjmlOptions

# Both inliners leave a <style> so marked alone (premailer drops its own attribute as it skips one).
KEEP_STYLE_ATTR = ' data-css-inline="ignore" data-premailer="ignore"'
_MARKER_RE = re.compile(rf"<!--{_MARKER} (\d+)-->")
# For marks and minifying: comments whole, raw-text elements whole, start tags.
_HTML_SCAN = re.compile(
    r"<!--.*?-->|<(pre|textarea|script|style)\b.*?</\1\s*>|<[A-Za-z][^\s/>]*",
    re.DOTALL | re.IGNORECASE,
)
_STYLE_START = re.compile(r"<style\b", re.IGNORECASE)


def _marks_to_elements(html: str) -> str:
    """Each <!--kmsgloc N--> becomes the mark of the next element outside comments (before the next one)."""
    out: list[str] = []
    last = 0
    pending: str | None = None
    for m in _HTML_SCAN.finditer(html):
        token = m.group(0)
        if token.startswith("<!--"):
            marker = _MARKER_RE.fullmatch(token)
            if marker is not None:
                out.append(html[last : m.start()])
                last = m.end()
                pending = marker.group(1)
            continue
        if pending is not None:
            end = m.start() + (len(token) if m.group(1) is None else 1 + len(m.group(1)))
            out.append(html[last:end])
            out.append(f' {MARK_ATTR}="{pending}"')
            last = end
            pending = None
    out.append(html[last:])
    return "".join(out)


def _mark_tag(html: str, tag: str, mark: str | None) -> str:
    if mark is None:
        return html
    m = re.search(rf"<{tag}\b", html, re.IGNORECASE)
    if m is None:
        return html
    return html[: m.end()] + f' {MARK_ATTR}="{mark}"' + html[m.end() :]


def minify(html: str) -> str:
    """Runs of white space in text collapse to one space; comments and pre, textarea, script, style are kept."""
    out: list[str] = []
    last = 0
    for m in re.finditer(
        r"<!--.*?-->|<(pre|textarea|script|style)\b.*?</\1\s*>|<[^>]*>", html, re.DOTALL | re.IGNORECASE
    ):
        out.append(re.sub(r"\s+", " ", html[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(re.sub(r"\s+", " ", html[last:]))
    return "".join(out)


def _placeholders(texts: Iterator[str] | list[str]) -> Counter[str]:
    return Counter(i for t in texts for i in PLACEHOLDER_RE.findall(t))


def to_html(
    mjml: str,
    *,
    root: Path,
    marks: SourceMap,
    shield: Shield,
    options: MjmlOptions,
    default: Location,
    on_read: Callable[[str], None],
    time_limit: float = RENDER_TIME_LIMIT,
    size_limit: int = RENDER_SIZE_LIMIT_MB * 1024 * 1024,
    notes: list[tuple[str, str, Location]] | None = None,
) -> str:
    """Compile a prepared MJML body (tokens shielded, elements marked) to marked HTML with placeholders.

    The MJML stage has the render budgets of a template: it stops past time_limit seconds and
    refuses MJML or HTML larger than size_limit. What MJML would drop silently is dropped, with a
    note added to notes (lint code, message, location).
    """
    stage = _Stage(
        root=root,
        marks=marks,
        shield=shield,
        options=options,
        default=default,
        on_read=on_read,
        time_limit=time_limit,
        size_limit=size_limit,
    )
    nodes = stage.parse(mjml)
    elements = [n for n in nodes if n.name not in ("#text", "#comment")]
    if not elements or elements[0].name != "mjml" or len(elements) > 1:
        first = elements[0] if elements else None
        raise stage.error(
            "an MJML body is one <mjml> element (with <mj-head> and <mj-body> in it)",
            mjml,
            first.start if first is not None else 0,
        )
    root_node = elements[0]
    root_node.children = stage.check(root_node.children, "mjml")
    if notes is not None:
        notes.extend(stage.notes)
    sections = [n.name for n in root_node.children if n.name not in ("#text", "#comment")]
    if "mj-body" not in sections:
        raise stage.node_error("<mjml> has no <mj-body>", root_node)
    for name in ("mj-head", "mj-body"):
        if sections.count(name) > 1:
            second = [n for n in root_node.children if n.name == name][1]
            raise stage.node_error(f"a second <{name}> (MJML takes one)", second)
    out: list[str] = []
    stage.emit([root_node], "#root", out, [0])
    source = "".join(out)
    if stage.extra_head:  # included head elements and no <mj-head> of its own
        source = source.replace("<mj-body", "<mj-head>" + _emit_text(stage, stage.extra_head) + "</mj-head><mj-body", 1)
    styles = list(stage.styles)
    html = stage.mrml(source)
    _check_tokens(stage, source, html)
    html = _marks_to_elements(html)
    head = next((n for n in root_node.children if n.name == "mj-head"), None)
    body = next(n for n in root_node.children if n.name == "mj-body")
    html = _mark_tag(html, "html", root_node.mark)
    html = _mark_tag(html, "head", head.mark if head is not None else None)
    html = _mark_tag(html, "body", body.mark)
    html = _STYLE_START.sub("<style" + KEEP_STYLE_ATTR, html)
    if styles:
        blocks = []
        for style in styles:
            keep = "" if style.attr("inline") == "inline" else KEEP_STYLE_ATTR
            mark = f' {MARK_ATTR}="{style.mark}"' if style.mark is not None else ""
            blocks.append(f'<style{keep} type="text/css"{mark}>{style.content}</style>')
        at = html.lower().rfind("</head>")
        html = html[:at] + "".join(blocks) + html[at:] if at != -1 else "".join(blocks) + html
    if options.minify:
        html = minify(html)
    return html


def _emit_text(stage: _Stage, nodes: list[Node]) -> str:
    out: list[str] = []
    stage.emit(nodes, "mj-head", out, [0])
    return "".join(out)


def _check_tokens(stage: _Stage, source: str, html: str) -> None:
    """MRML kept every shielded reference and made none up.

    A reference in an mj-* attribute (or mj-title) may come out more than once: MRML writes such a
    value in several places (a background image in CSS, in a table attribute and in Outlook's VML).
    A reference in content (text, HTML in mj-text, mj-raw) comes out exactly as often as it went in.
    """
    before = _placeholders([source])
    after = _placeholders([html])
    titles = {i for t in re.findall(r"<mj-title\b.*?</mj-title>", source, re.DOTALL) for i in PLACEHOLDER_RE.findall(t)}
    repeatable = set(stage.attr_placeholders) | titles
    for index, count in sorted(before.items(), key=lambda kv: int(kv[0])):
        kept = after.get(index, 0)
        if kept == count or (index in repeatable and kept >= 1):
            continue
        entry = stage.shield.entries[int(index)]
        what = "dropped" if kept < count else "duplicated"
        hint = ""
        if kept == 0 and index in stage.attr_placeholders:
            tag, attr = stage.attr_placeholders[index]
            hint = (
                f": MRML does not write {attr} of <{tag}> into the HTML here (it leaves out a few attributes "
                "MJML knows, one that needs another, such as target without href, and an unused mj-class)"
            )
        raise BuildError(
            f"MJML {what} token {entry.raw} ({count} before, {kept} after){hint}",
            Location(entry.path or stage.default.path, entry.line, entry.col),
        )
    unknown = set(after) - set(before)
    if unknown:
        raise BuildError(f"MJML produced an unknown placeholder {min(unknown)}", stage.default)
    made_up = TOKEN_RE.search(html)
    if made_up is not None:
        raise BuildError(f"MJML made up a token reference {made_up.group(0)}", stage.default)
