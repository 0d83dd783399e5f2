"""An approximation of what Outlook for Windows shows: the compiled email with what Word ignores taken away.

Not a rendering by Word: the Can I email data's unsupported CSS (properties, values, functions, units,
selectors and at-rules Outlook for Windows lacks) is removed, `<!--[if mso]>` content is shown and
`<!--[if !mso]><!-->` content hidden, as Word does, and the result is rendered by Chromium at the width
of Outlook's reading pane. VML is not drawn (Chromium does not know it): its text shows unstyled. It is
labelled an approximation wherever it appears, and what was removed is listed with where it was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from kmsg_authoring.errors import Location
from kmsg_authoring.lint.caniemail import MSO_CLIENT, UNSUPPORTED, Data, load
from kmsg_authoring.lint.scan_memo import AT_RULE, CSS, SELECTOR, features_of
from kmsg_authoring.lint.scanner import Scanner

if TYPE_CHECKING:
    from kmsg_authoring.compile.types import CompiledTemplate

LABEL = "Outlook for Windows (approximation)"
# The reading pane of Outlook for Windows beside the message list on a 1366- to 1920-pixel screen.
PANE_WIDTH = 640

_REVEALED = re.compile(r"<!--\[if\s+!\s*mso[^\]]*\]><!(?:--\s*)?-->.*?<!--\s*<!\[endif\]\s*-->", re.I | re.S)
_HIDDEN = re.compile(r"<!--\[if\s+([^\]]+)\]>(.*?)<!\[endif\]\s*-->", re.I | re.S)
_STYLE_BLOCK = re.compile(r"(<style\b[^>]*>)(.*?)(</style\s*>)", re.I | re.S)
_STYLE_ATTR = re.compile(r"""(\sstyle\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.I)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)


@dataclass(frozen=True)
class Removed:
    """One use of a feature Outlook for Windows ignores, and where the designer wrote it."""

    what: str
    title: str
    url: str
    location: Location

    def __str__(self) -> str:
        return f"{self.location}: '{self.what}' ({self.title}) removed; {self.url}"


class _Judge:
    """Whether CSS (a declaration, a selector, an at-rule) uses a feature Outlook for Windows lacks."""

    def __init__(self, data: Data) -> None:
        self.data = data
        # A scanner over no template: only its readers of CSS text are used, so nothing is located.
        blank = SimpleNamespace(rendered="", source_map=SimpleNamespace(origins={}))
        self.scanner = Scanner(blank, data, {})  # type: ignore[arg-type]

    def _lacks(self, slugs: list[str]) -> bool:
        return any(self.data.features[s].value(MSO_CLIENT) == UNSUPPORTED for s in slugs)

    def declaration(self, prop: str, value: str) -> bool:
        return self._lacks(features_of(self.data, prop.strip().lower(), value.strip())[1])

    def _new_uses(self, fn: Any, text: str) -> bool:
        before = len(self.scanner.uses)
        fn(text, 0, None, ())
        found = [u.feature for u in self.scanner.uses[before:]]
        del self.scanner.uses[before:]
        return self._lacks(found)

    def selector(self, text: str) -> bool:
        return self._new_uses(self.scanner.selectors, text)

    def at_rule(self, text: str) -> bool:
        return self._new_uses(self.scanner.at_rule, text)


def _declarations(text: str, judge: _Judge) -> str:
    kept = []
    for decl in text.split(";"):
        prop, sep, value = decl.partition(":")
        if sep and judge.declaration(prop, value):
            continue
        if decl.strip():
            kept.append(decl.strip())
    return "; ".join(kept)


def _stylesheet(css: str, judge: _Judge) -> str:
    """A stylesheet without the rules, at-rules and declarations Outlook for Windows ignores."""
    css = _COMMENT.sub("", css)
    out: list[str] = []
    i = 0
    while i < len(css):
        open_at = css.find("{", i)
        if open_at < 0:
            break
        head = css[i:open_at].strip()
        depth, j = 1, open_at + 1
        while j < len(css) and depth:
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
        body = css[open_at + 1 : j - 1]
        i = j
        if head.startswith("@"):
            if judge.at_rule(head):
                continue
            inner = _stylesheet(body, judge) if "{" in body else _declarations(body, judge)
            out.append(f"{head} {{ {inner} }}")
        elif not judge.selector(head):
            out.append(f"{head} {{ {_declarations(body, judge)} }}")
    return "\n".join(out)


def approximate(html: str, data: Data | None = None) -> str:
    """The email as Word would read it, approximately (see the module's docstring)."""
    judge = _Judge(data or load())
    html = _REVEALED.sub("", html)

    def conditional(m: re.Match[str]) -> str:
        expr = m.group(1).replace(" ", "").lower()
        return m.group(2) if "mso" in expr and not expr.startswith("!") else ""

    html = _HIDDEN.sub(conditional, html)
    html = _STYLE_BLOCK.sub(lambda m: m.group(1) + _stylesheet(m.group(2), judge) + m.group(3), html)

    def style_attr(m: re.Match[str]) -> str:
        value = m.group(2) if m.group(2) is not None else m.group(3)
        return f'{m.group(1)}"{_declarations(value, judge)}"'

    return _STYLE_ATTR.sub(style_attr, html)


def removed(compiled: CompiledTemplate, root: Path | None = None, data: Data | None = None) -> list[Removed]:
    """The CSS of a template that Outlook for Windows ignores, where the designer wrote it, once per place."""
    from kmsg_authoring.lint.features import scan

    data = data or load()
    found = scan(compiled, data, root)
    out: dict[tuple[str, Location], Removed] = {}
    for use in found.uses:
        if use.mso is False or use.kind not in (CSS, SELECTOR, AT_RULE):
            continue
        feature = data.features[use.feature]
        if feature.value(MSO_CLIENT) != UNSUPPORTED:
            continue
        loc = found.at(use)
        out.setdefault((use.what, loc), Removed(use.what, feature.title, feature.url, loc))
    return list(out.values())
