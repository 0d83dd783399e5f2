"""What the engines driven by URL (WebKitGTK, Firefox) share: the framed page, stable captures, Xvfb."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kmsg_authoring.errors import KmsgError
from kmsg_authoring.review.browser import (
    LOAD_TIMEOUT,
    MAX_HEIGHT,
    STABLE_TRIES,
    START_TIMEOUT,
    VIEWPORT_HEIGHT,
    BrowserMissing,
    Shot,
)


# -- the engines driven by URL: WebKitGTK and Firefox -------------------------------------------
def _stable(capture: Callable[[], bytes], key: str, engine: str, settle: Callable[[], Any] | None = None) -> bytes:
    """Capture until two consecutive screenshots agree (a busy machine can hand over a stale frame)."""
    png = b""
    for _ in range(STABLE_TRIES):
        if settle is not None:
            settle()
        last, png = png, bytes(capture())
        if png == last:
            return png
    raise KmsgError(f"{key}: {engine} gave {STABLE_TRIES} different screenshots of the same page")


FRAME_ID = "kmsg-email"
# WebKitGTK's and Firefox's windows cannot be made as narrow as a phone (about 450 and 500 px at
# least), so these engines show the email in an iframe of exactly the snapshot width, as webmail
# clients do, and capture the iframe.
FRAME_WINDOW = 640
MAX_CHROME = 400  # px: more than any browser toolbar is tall
_FRAME_HEIGHT = (
    "var d = document.getElementById('kmsg-email').contentDocument; "
    "return Math.max(d.documentElement.scrollHeight, d.body ? d.body.scrollHeight : 0)"
)
_FRAME_SIZE = "document.getElementById('kmsg-email').style.height = arguments[0] + 'px'"
_FRAME_READY = (
    "var f = document.getElementById('kmsg-email'); var d = f && f.contentDocument; "
    "return !!(d && d.readyState === 'complete' && d.body)"
)
# Resolves after two animation frames: the layout and paint of the last change are done.
SETTLE = (
    "var done = arguments[arguments.length - 1]; "
    "requestAnimationFrame(function () { requestAnimationFrame(function () { done(true); }); });"
)


def framed(html: str, width: int) -> str:
    """A host page with the email in an iframe of the snapshot width (srcdoc, so it can be measured).

    The frame is sandboxed with only allow-same-origin (so it can be measured): the email can run no
    script, submit no form, refresh nothing and navigate neither itself nor the page away.
    """
    from html import escape

    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        "<style>html,body{margin:0;padding:0;background:transparent}"
        f"iframe{{display:block;border:0;margin:0;padding:0;width:{width}px;height:{VIEWPORT_HEIGHT}px}}</style>"
        f'</head><body><iframe id="{FRAME_ID}" scrolling="no" sandbox="allow-same-origin" '
        f'srcdoc="{escape(html, quote=True)}"></iframe>'
        "</body></html>"
    )


def framed_shot(
    shot: Shot,
    resize: Callable[[int, int], tuple[int, int]],
    load: Callable[[str], Any],
    script: Callable[..., Any],
    settle: Callable[[], Any],
    capture: Callable[[], bytes],
    pages: FilePages,
    engine: str,
) -> bytes:
    """Load the email framed at its width, make the frame (and the window) as tall as it, capture the frame."""
    window = max(FRAME_WINDOW, shot.width)
    extra_w, extra_h = resize(window, VIEWPORT_HEIGHT + 200)
    load(pages.url(framed(shot.html, shot.width)))
    wait_for(lambda: script(_FRAME_READY), LOAD_TIMEOUT, f"{engine}: the email's frame")
    height = VIEWPORT_HEIGHT
    for _ in range(6):
        settle()
        # The window must hold the frame and the toolbar, and is itself at most MAX_HEIGHT tall
        # (Firefox keeps a window within it): a taller email is cut a toolbar's height earlier.
        full = min(int(script(_FRAME_HEIGHT)), MAX_HEIGHT - MAX_CHROME)
        if full == height:
            break
        height = full
        script(_FRAME_SIZE, height)
    # A screenshot covers what the window shows: the window is made taller than the frame (and
    # checked, since a window manager-less X server may apply the size late). The toolbar's height
    # is kept between 0 and MAX_CHROME: measured before the window was mapped it can come out
    # negative or as the whole shortfall, and a window asked for a negative or ever-growing height
    # is refused ("Invalid height value"). Each try asks for a slightly different size, since a
    # request for the size the window already has may never be answered.
    extra_h = min(max(extra_h, 0), MAX_CHROME)
    for attempt in range(10):
        resize(window + max(extra_w, 0), height + extra_h + 20 + attempt)
        settle()
        inner = int(script("return window.innerHeight"))
        if inner >= height:
            break
        extra_h = min(max(extra_h + height - inner, 0), MAX_CHROME)
        time.sleep(0.1)
    else:
        raise KmsgError(f"{shot.key}: {engine} would not make its window {height} px tall")
    # The frame stands at the top left of the page: the window's screenshot is cut to it (element
    # screenshots in WebKitGTK are shifted by the window's toolbar).
    return _crop(_stable(capture, shot.key, engine, settle), shot.width, height)


def _crop(png: bytes, width: int, height: int) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        if img.size[0] < width or img.size[1] < height:
            raise KmsgError(
                f"the window's screenshot ({img.size[0]}x{img.size[1]}) is smaller than the email ({width}x{height})"
            )
        part = img.convert("RGB").crop((0, 0, width, height))
    out = io.BytesIO()
    part.save(out, format="PNG")
    return out.getvalue()


class FilePages:
    """Pages written to a private temporary folder, loaded by file URL."""

    def __init__(self) -> None:
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._count = 0

    def url(self, html: str) -> str:
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="kmsg-snap-")
        self._count += 1
        path = Path(self._dir.name) / f"page{self._count}.html"
        path.write_text(html, encoding="utf-8")
        return path.as_uri()

    def close(self) -> None:
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise KmsgError(f"{what} did not start within {timeout:.0f} s")
        time.sleep(0.02)


MEASURE = (
    "return [window.innerWidth, window.innerHeight, window.outerWidth, window.outerHeight, "
    "Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)]"
)


def end_process(proc: subprocess.Popen[bytes] | None) -> None:
    """Stop a process this run started: politely, then for good."""
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Xvfb:
    """A private virtual X display for the run (WebKitGTK needs a display even without a screen)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.display = ""

    def start(self) -> str:
        if self.proc is not None:
            return self.display
        exe = shutil.which("Xvfb")
        if exe is None:
            raise BrowserMissing("the webkit engine runs on a virtual display: apt-get install xvfb")
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            [exe, "-displayfd", str(write_fd), "-screen", "0", "1280x1024x24", "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        chunks: list[bytes] = []

        def read() -> None:
            with os.fdopen(read_fd, "rb") as fh:
                chunks.append(fh.readline())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        number = chunks[0].strip().decode() if chunks else ""
        if not number.isdigit():
            self.stop()
            raise KmsgError("Xvfb did not start (no display number)")
        self.display = f":{number}"
        return self.display

    def stop(self) -> None:
        end_process(self.proc)
        self.proc = None
