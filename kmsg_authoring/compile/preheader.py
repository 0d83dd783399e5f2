"""The preheader: the text an inbox shows after the subject, hidden in the body or its first visible words.

Mail clients show the first text of the body beside the subject. A "preheader" is a hidden element at
the top of the body written for that place; without one the inbox shows whatever text comes first
(a "View in browser" link, a logo's alt text, a menu). Both the linter (on the compiled template)
and the preview (on each recipient's rendering) read it from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Characters templates pad a preheader with so that the body text does not follow it in the inbox.
FILLER = "\u200c\u200b\u034f\u00a0\u2007\u00ad\u2060\ufeff\u200d"
_FILLER_RUN = re.compile(f"[{FILLER}\\s]+")
_SKIPPED = frozenset(("head", "style", "script", "title", "noscript"))


@dataclass(frozen=True)
class Preview:
    """The start of a message's inbox preview: its text, the element it comes from, and whether a preheader wrote it."""

    text: str  # white space collapsed, filler removed
    element: Any  # the lxml element the first words come from (None: the body has no text)
    explicit: bool  # True: a hidden preheader element; False: the body's first visible text
    own: str = ""  # the preheader's own text (explicit), or the same as text
    padded: bool = False  # the preheader ends in filler, so the body text does not follow it


def _declarations(style: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for decl in style.split(";"):
        prop, sep, value = decl.partition(":")
        if sep:
            out[prop.strip().lower()] = value.strip().lower().replace("!important", "").strip()
    return out


def is_hidden(el: Any) -> bool:
    """Whether an element's own inline style or attributes hide it the way preheaders are hidden."""
    if el.get("hidden") is not None:
        return True
    d = _declarations(el.get("style") or "")
    if d.get("display") == "none" or d.get("visibility") == "hidden" or d.get("mso-hide") == "all":
        return True
    if d.get("opacity") in ("0", "0.0"):
        return True
    zero = ("0", "0px", "0em", "0%")
    return d.get("overflow") == "hidden" and (d.get("max-height") in zero or d.get("height") in zero)


def text_runs(root: Any) -> Iterator[tuple[str, Any, bool]]:
    """(text, element it belongs to, hidden) for the body's text, in reading order."""

    def walk(el: Any, hidden: bool) -> Iterator[tuple[str, Any, bool]]:
        if not isinstance(el.tag, str) or el.tag.lower() in _SKIPPED:
            return
        hidden = hidden or is_hidden(el)
        if el.text:
            yield el.text, el, hidden
        for child in el:
            yield from walk(child, hidden)
            if child.tail:
                yield child.tail, el, hidden

    if root is not None:
        yield from walk(root, False)


def _clean(text: str) -> str:
    return _FILLER_RUN.sub(" ", text).strip()


def inbox_preview(root: Any, limit: int = 200) -> Preview:
    """What an inbox shows after the subject: a hidden preheader (then the body unless padded), or the body's start."""
    runs = [(t, el, hidden) for t, el, hidden in text_runs(root) if _clean(t)]
    if not runs:
        return Preview("", None, False)
    _, first_el, first_hidden = runs[0]
    if first_hidden:
        hidden_parts: list[str] = []
        raw_parts: list[str] = []
        for t, _, hidden in runs:
            if not hidden:
                break
            hidden_parts.append(_clean(t))
            raw_parts.append(t)
        raw = "".join(raw_parts)
        padded = len(raw) - len(raw.rstrip(FILLER + " \t\r\n")) >= 10 and any(ch in raw for ch in FILLER)
        own = " ".join(hidden_parts)
        text = own
        if not padded:
            visible = " ".join(_clean(t) for t, _, hidden in runs if not hidden)
            text = f"{own} {visible}".strip()
        return Preview(text[:limit], first_el, True, own, padded)
    text = " ".join(_clean(t) for t, _, hidden in runs if not hidden)[:limit]
    return Preview(text, first_el, False, text)
