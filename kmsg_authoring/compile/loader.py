"""Preparing sources for the compiler: tokens shielded and elements marked with their source line.

One pass over each source file swaps every send-time token for an inert placeholder that remembers
the token, its file, line and column, and tags every element start with a MARK_ATTR attribute that
remembers where it was written. After Jinja and the CSS inliner, both lead back to the file the
designer edits.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from kmsg_authoring.compile.tokens import PLACEHOLDER_PREFIX, TOKEN_RE, Shield, Shielded
from kmsg_authoring.compile.types import MARK_ATTR, SourceMap
from kmsg_authoring.errors import Location, SourceError
from kmsg_authoring.source.project import LineIndex

_TAG = r"<([A-Za-z][\w:.-]*)(?=[\s/>])"
_SCAN_JINJA = re.compile(
    r"(?=[{&<])(?:\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|(" + TOKEN_RE.pattern + ")|" + _TAG + ")", re.DOTALL
)
_SCAN_PLAIN = re.compile("(?=[{&<])(?:(" + TOKEN_RE.pattern + ")|" + _TAG + ")", re.DOTALL)
_JINJA_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'", re.DOTALL)


def prepare(text: str, rel: str, shield: Shield, marks: SourceMap | None, jinja: bool) -> str:
    """Shield the tokens of a source text and mark its elements (marks=None: tokens only)."""
    for reserved in (PLACEHOLDER_PREFIX, MARK_ATTR):
        if reserved in text:
            line, col = LineIndex(text).line_col(text.index(reserved))
            raise SourceError(f"'{reserved}' is reserved for kmsg-author's own use", Location(rel, line, col))
    scan = _SCAN_JINJA if jinja else _SCAN_PLAIN
    index = LineIndex(text)
    out: list[str] = []
    last = 0

    def swap(start: int, raw: str, name: str, field: str | None) -> str:
        line, col = index.line_col(start)
        return shield.placeholder(Shielded(raw, name, field, rel, line, col))

    # Element starts are by far the most frequent match: their branch is kept lean (this loop is the
    # largest share of a compile's own Python time).
    starts = index.starts
    marked = marks.marks if marks is not None else None
    append = out.append
    for m in scan.finditer(text):
        if m.group(4) is not None:
            if marked is None:
                continue
            start, end = m.span()
            line = bisect_right(starts, start)
            mark = len(marked)
            marked[mark] = Location(rel, line, start - starts[line - 1] + 1)
            append(text[last:end])
            append(f' {MARK_ATTR}="{mark}"')
            last = end
        elif m.group(1) is not None:
            append(text[last : m.start()])
            append(swap(m.start(), m.group(0), m.group(2), m.group(3)))
            last = m.end()
        elif m.group(0)[1] in "{%" and "{" in m.group(0)[2:]:
            # A token in a Jinja string literal ({{ button("{joinLink}", "Join") }}) is shielded where
            # the designer wrote it, so its location is this line, not the macro's.

            def in_string(s: re.Match[str], block_start: int = m.start()) -> str:
                base = block_start + s.start()
                return TOKEN_RE.sub(lambda t: swap(base + t.start(), t.group(0), t.group(1), t.group(2)), s.group(0))

            append(text[last : m.start()])
            append(_JINJA_STRING.sub(in_string, m.group(0)))
            last = m.end()
    out.append(text[last:])
    return "".join(out)
