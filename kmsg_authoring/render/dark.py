"""Dark-mode views of an email, as mail clients darken it.

`dark_variants(html)` returns two transformed copies of the HTML a recipient receives:

- "dark": what dark-mode-aware clients (Apple Mail, Outlook.com, the Outlook apps) do: the template's
  own `@media (prefers-color-scheme: dark)` rules apply whatever the viewer's setting, and the
  `data-ogsc` / `data-ogsb` attributes the Outlook apps set are present, so `[data-ogsc]` and
  `[data-ogsb]` selectors match.
- "inverted": full colour inversion, as the Gmail and Outlook apps treat emails without dark styles:
  every colour is inverted (hue kept), images are inverted back, so a transparent dark logo shows
  what it looks like on the darkened background.

Pure string transformations, usable by the preview and by snapshot tools alike.
"""

from __future__ import annotations

import re

# Media conditions rewritten so that the dark branch always matches and the light branch never does
# (an invalid negative length makes a media query false).
_DARK = re.compile(r"\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.IGNORECASE)
_LIGHT = re.compile(r"\(\s*prefers-color-scheme\s*:\s*light\s*\)", re.IGNORECASE)
_STYLE = re.compile(r"(<style\b[^>]*>)(.*?)(</style\s*>)", re.IGNORECASE | re.DOTALL)
_OPEN = re.compile(r"<(html|body)\b", re.IGNORECASE)
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
ALWAYS, NEVER = "(min-width: 0px)", "(max-width: -1px)"
INVERT_CSS = (
    '<style data-kmsg-dark="inverted">html{background:#ffffff;filter:invert(1) hue-rotate(180deg)}'
    'img,video,picture,svg,[background],[style*="background-image"]{filter:invert(1) hue-rotate(180deg)}</style>'
)
DARK_CSS = '<style data-kmsg-dark="dark">:root{color-scheme:dark}</style>'


def _inject(html: str, css: str) -> str:
    """Add a <style> at the end of <head> (or at the start of the document without one)."""
    m = _HEAD_END.search(html)
    return html[: m.start()] + css + html[m.start() :] if m else css + html


def dark_view(html: str) -> str:
    """The email with its own dark-mode rules applied (prefers-color-scheme: dark, [data-ogsc], [data-ogsb])."""

    def rewrite(m: re.Match[str]) -> str:
        return m.group(1) + _LIGHT.sub(NEVER, _DARK.sub(ALWAYS, m.group(2))) + m.group(3)

    out = _STYLE.sub(rewrite, html)
    out = _OPEN.sub(lambda m: f'{m.group(0)} data-ogsc="" data-ogsb=""', out)
    return _inject(out, DARK_CSS)


def inverted_view(html: str) -> str:
    """The email as a client that inverts every colour shows it (images kept as they are)."""
    return _inject(html, INVERT_CSS)


def dark_variants(html: str) -> dict[str, str]:
    """{"dark": the template's own dark styles applied, "inverted": full colour inversion}."""
    return {"dark": dark_view(html), "inverted": inverted_view(html)}
