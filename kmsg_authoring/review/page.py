"""The HTML an engine is given: the recipient's email, made deterministic.

A Content-Security-Policy meta element blocks every network request in every engine (the same
policy is also applied by request routing where the engine allows it), and each remote image is
swapped for a neutral placeholder box of its declared size, so a snapshot depends on nothing but
the template, the sample and the engine.
"""

from __future__ import annotations

import re
from urllib.parse import quote

# Data URIs for images and fonts, inline styles; nothing is fetched.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:"
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
# Transitions and animations would make two snapshots of the same email differ.
FREEZE_STYLE = (
    "<style>*,*::before,*::after{animation:none!important;transition:none!important;"
    "caret-color:transparent!important}</style>"
)
PLACEHOLDER_FILL = "#d8dadf"
PLACEHOLDER_LINE = "#b4b8c0"
DEFAULT_BOX = 100  # px, for an image that declares no width or height

_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r"""(\ssrc\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)
_SIZE_ATTR = {
    "width": re.compile(r"""\swidth\s*=\s*["']?\s*(\d+)(?:px)?\s*["']?(?=[\s/>])""", re.IGNORECASE),
    "height": re.compile(r"""\sheight\s*=\s*["']?\s*(\d+)(?:px)?\s*["']?(?=[\s/>])""", re.IGNORECASE),
}
_SIZE_STYLE = {
    "width": re.compile(r"(?:^|[;\s\"'])width\s*:\s*(\d+)px", re.IGNORECASE),
    "height": re.compile(r"(?:^|[;\s\"'])height\s*:\s*(\d+)px", re.IGNORECASE),
}
_STYLE_ATTR = re.compile(r"""\sstyle\s*=\s*("[^"]*"|'[^']*')""", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_HTML = re.compile(r"<html\b[^>]*>", re.IGNORECASE)
_DOCTYPE = re.compile(r"\A\s*<!doctype[^>]*>", re.IGNORECASE)
_META = re.compile(r"""<meta\b(?:"[^"]*"|'[^']*'|[^'">])*>""", re.IGNORECASE)
_HTTP_EQUIV = re.compile(r"""\shttp-equiv\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)


def declared_size(tag: str) -> tuple[int | None, int | None]:
    """The width and height in px an <img> tag declares (attributes, else its inline style)."""
    style_m = _STYLE_ATTR.search(tag)
    style = style_m.group(1) if style_m else ""
    out: list[int | None] = []
    for dim in ("width", "height"):
        m = _SIZE_ATTR[dim].search(tag) or _SIZE_STYLE[dim].search(style)
        out.append(int(m.group(1)) if m else None)
    return out[0], out[1]


def placeholder_uri(width: int, height: int) -> str:
    """A neutral grey box with a thin cross, as an SVG data URI of the given intrinsic size."""
    svg = (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' preserveAspectRatio='none'>"
        f"<rect width='{width}' height='{height}' fill='{PLACEHOLDER_FILL}'/>"
        f"<path d='M0 0L{width} {height}M{width} 0L0 {height}' stroke='{PLACEHOLDER_LINE}' "
        "stroke-width='1' vector-effect='non-scaling-stroke' fill='none'/></svg>"
    )
    return "data:image/svg+xml," + quote(svg, safe="/:=' ")


def _is_data(value: str) -> bool:
    return value.strip("\"' ").lower().startswith("data:")


def placeholder_images(html: str) -> str:
    """Swap the source of every image that would be fetched for a placeholder of its declared size."""

    def swap(m: re.Match[str]) -> str:
        tag = m.group(0)
        src = _SRC.search(tag)
        if src is not None and _is_data(src.group(2)):
            return tag
        width, height = declared_size(tag)
        uri = placeholder_uri(width or DEFAULT_BOX, height or DEFAULT_BOX)
        if src is None:
            return tag
        return tag[: src.start()] + f'{src.group(1)}"{uri}"' + tag[src.end() :]

    return _IMG.sub(swap, html)


def inject_head(html: str, markup: str) -> str:
    """Put markup at the start of the head (made if missing), before anything that could fetch."""
    m = _HEAD.search(html)
    if m is not None:
        return html[: m.end()] + markup + html[m.end() :]
    m = _HTML.search(html) or _DOCTYPE.search(html)
    if m is not None:
        return html[: m.end()] + "<head>" + markup + "</head>" + html[m.end() :]
    return "<head>" + markup + "</head>" + html


def without_refresh(html: str) -> str:
    """The email without its `<meta http-equiv="refresh">` elements (however the attribute is spelled).

    A snapshot is of the email: a refresh would take the engine to another page, or reload it while
    it is being captured, and a Content-Security-Policy does not stop it.
    """
    from html import unescape

    def drop(m: re.Match[str]) -> str:
        equiv = _HTTP_EQUIV.search(m.group(0))
        value = next((g for g in equiv.groups() if g is not None), "") if equiv else ""
        return "" if unescape(value).strip().lower() == "refresh" else m.group(0)

    return _META.sub(drop, html)


def offline_page(html: str) -> str:
    """The email as an engine loads it: network blocked, remote images as boxes, animations frozen,
    no refresh."""
    return inject_head(placeholder_images(without_refresh(html)), CSP_META + FREEZE_STYLE)
