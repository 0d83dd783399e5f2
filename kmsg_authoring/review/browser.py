"""What every browser engine shares: the shot, the engine interface, the settings, PNG bytes made deterministic."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kmsg_authoring.errors import ConfigError

CHROMIUM, WEBKIT, FIREFOX = "chromium", "webkit", "firefox"
ENGINES: tuple[str, ...] = (CHROMIUM, WEBKIT, FIREFOX)
# Chromium on the email as Outlook for Windows would read it, approximately (review/outlook.py); only on request.
OUTLOOK_APPROX = "outlook-approx"
ALL_ENGINES: tuple[str, ...] = (*ENGINES, OUTLOOK_APPROX)
# Which mail clients each engine stands for (README, report).
CLIENTS: dict[str, str] = {
    CHROMIUM: "Gmail and Outlook on the web in Chrome or Edge (Blink)",
    WEBKIT: "Apple Mail on iOS and macOS (WebKit)",
    FIREFOX: "Thunderbird and webmail in Firefox (Gecko)",
    OUTLOOK_APPROX: "Outlook for Windows (approximation): what Word ignores removed, in Chromium",
}
EXTRA = "pip install 'kmsg-author[browser]'"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--hide-scrollbars",
    "--font-render-hinting=none",
    "--force-color-profile=srgb",
    "--disable-lcd-text",
]
# The window starts this short, so that the document's height is the content's, not the window's;
# it is then made exactly as tall as the document and the whole window is captured.
VIEWPORT_HEIGHT = 100
MAX_HEIGHT = 16384  # px; a taller email is cut at this height
STABLE_TRIES = 6
PARALLEL_PAGES = 4
LOAD_TIMEOUT = 30.0  # seconds for one page (everything is local; this only stops a hang)
START_TIMEOUT = 30.0


class BrowserMissing(ConfigError):
    """An engine (or its Python driver) is not installed; the message says what to install."""


@dataclass(frozen=True)
class Shot:
    """One screenshot to take: the offline page, the viewport width and the colour scheme."""

    key: str
    html: str
    width: int
    scheme: str


def normalize_png(data: bytes) -> bytes:
    """The screenshot re-encoded as an RGB PNG without metadata: the same pixels give the same bytes."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        rgb = img.convert("RGB")
    out = io.BytesIO()
    rgb.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def program_stamp(path: str | None) -> str:
    """A cheap identity of an installed program (path, size, mtime): a new version re-renders."""
    if path is None:
        return "default"
    try:
        st = os.stat(path)
    except OSError:
        return path
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


class Engine:
    """A browser engine: opened on first use, shoots pages, closed at the end of the run."""

    name = ""

    def identity(self) -> str:
        """What the engine's output depends on besides the page (installed version)."""
        raise NotImplementedError

    def check(self) -> None:
        """Raise BrowserMissing unless the engine can start (without starting it)."""
        raise NotImplementedError

    def shoot(self, shots: Sequence[Shot], progress: Callable[[str], None] | None = None) -> dict[str, bytes]:
        """PNG bytes of every shot, by key."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop the browser, if started."""
