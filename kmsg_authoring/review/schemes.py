"""Colour schemes a snapshot is taken in: light, and dark as a dark-mode mail client shows the email.

Each scheme is the HTML variant a client would display plus the `prefers-color-scheme` the engine
reports. Dark uses the email's own `@media (prefers-color-scheme: dark)` rules through the engine's
emulation; `dark_variant` is the one place where a transformation of the HTML for dark mode (for
example the colour inversion some clients apply) plugs in.
"""

from __future__ import annotations

from collections.abc import Callable

LIGHT = "light"
DARK = "dark"
SCHEMES: tuple[str, ...] = (LIGHT, DARK)


def dark_variant(html: str) -> str:
    """The email's HTML as a dark-mode client gets it before rendering (today: unchanged)."""
    return html


VARIANTS: dict[str, Callable[[str], str]] = {LIGHT: lambda html: html, DARK: dark_variant}


def scheme_html(html: str, scheme: str) -> str:
    """The HTML of the email in a colour scheme."""
    return VARIANTS[scheme](html)
