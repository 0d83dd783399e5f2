"""Browser engines that take full-page screenshots of an email, as mail clients render it.

- chromium: Blink, as Gmail and Outlook on the web show mail in most readers' browsers. Headless
  Chromium through Playwright (Debian's /usr/bin/chromium, else one from `playwright install`);
  one browser per run, pages rendered in parallel.
- webkit: WebKit, as Apple Mail renders it. WebKitGTK's MiniBrowser through its WebDriver
  (Debian's webkit2gtk-driver) with Selenium, on a private Xvfb display.
- firefox: Gecko, as Thunderbird renders it. Firefox ESR headless, driven through its built-in
  Marionette protocol with Mozilla's marionette-driver client (neither Debian nor PyPI ships a
  geckodriver for Linux, and `firefox --screenshot` would start one browser per image).

Every engine gets the same offline page (review.page), a viewport exactly the snapshot width,
device scale 1 and the scheme's prefers-color-scheme, and every screenshot is re-encoded by Pillow
so that the same pixels always give the same bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import io
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from kmsg_authoring.errors import ConfigError, KmsgError
from kmsg_authoring.review.schemes import DARK, LIGHT

CHROMIUM, WEBKIT, FIREFOX = "chromium", "webkit", "firefox"
ENGINES: tuple[str, ...] = (CHROMIUM, WEBKIT, FIREFOX)
# Which mail clients each engine stands for (README, report).
CLIENTS: dict[str, str] = {
    CHROMIUM: "Gmail and Outlook on the web in Chrome or Edge (Blink)",
    WEBKIT: "Apple Mail on iOS and macOS (WebKit)",
    FIREFOX: "Thunderbird and webmail in Firefox (Gecko)",
}
EXTRA = "pip install 'kmsg-author[browser]'"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
                 "--font-render-hinting=none", "--force-color-profile=srgb", "--disable-lcd-text"]
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


def _stamp(path: str | None) -> str:
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


# -- Chromium ----------------------------------------------------------------------------------
def chromium_path() -> str | None:
    """Debian's Chromium (or one named by KMSG_CHROMIUM), else None for Playwright's own."""
    explicit = os.environ.get("KMSG_CHROMIUM")
    if explicit:
        return explicit
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _require_playwright() -> None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        raise BrowserMissing(
            "snapshots need Playwright, which is not installed: run " + EXTRA
            + " (and apt-get install chromium, or `playwright install chromium`)") from None


def _chromium_missing(detail: str) -> BrowserMissing:
    return BrowserMissing(
        "cannot start Chromium: install Debian's package (apt-get install chromium) or run "
        f"`playwright install chromium` ({detail.strip().splitlines()[0] if detail.strip() else 'not found'})")


_HEIGHT = ("() => Math.max(document.documentElement.scrollHeight, "
           "document.body ? document.body.scrollHeight : 0)")


class ChromiumEngine(Engine):
    """Headless Chromium through Playwright: one browser, one context per colour scheme, parallel pages."""

    name = CHROMIUM

    def __init__(self, parallel: int = PARALLEL_PAGES) -> None:
        self.parallel = max(1, parallel)
        self.executable = chromium_path()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pw: Any = None
        self._browser: Any = None
        self._contexts: dict[str, Any] = {}

    def identity(self) -> str:
        return f"chromium:{_stamp(self.executable)}"

    def check(self) -> None:
        _require_playwright()
        if self.executable is not None and not Path(self.executable).is_file():
            raise _chromium_missing(f"{self.executable} does not exist")

    async def _open(self) -> Any:
        if self._browser is None:
            from playwright.async_api import async_playwright

            self._pw = await async_playwright().start()
            try:
                self._browser = await self._pw.chromium.launch(
                    executable_path=self.executable, args=CHROMIUM_ARGS, timeout=START_TIMEOUT * 1000)
            except Exception as exc:  # noqa: BLE001 - any launch failure means the browser is missing or broken
                await self._pw.stop()
                self._pw = None
                raise _chromium_missing(str(exc)) from None
        return self._browser

    async def context(self, scheme: str, *, javascript: bool = False) -> Any:
        """The browser context of a colour scheme (network blocked, device scale 1)."""
        key = f"{scheme}:{javascript}"
        if key not in self._contexts:
            browser = await self._open()
            ctx = await browser.new_context(
                viewport={"width": 600, "height": VIEWPORT_HEIGHT}, device_scale_factor=1,
                color_scheme="dark" if scheme == DARK else "light", java_script_enabled=javascript,
                reduced_motion="reduce", locale="en-US", timezone_id="UTC", service_workers="block")

            async def block(route: Any) -> None:
                if route.request.url.startswith(("data:", "about:")):
                    await route.continue_()
                else:
                    await route.abort("blockedbyclient")

            await ctx.route("**/*", block)
            self._contexts[key] = ctx
        return self._contexts[key]

    async def page(self, shot: Shot, *, javascript: bool = False) -> Any:
        """A page showing a shot, loaded and laid out at its width."""
        ctx = await self.context(shot.scheme, javascript=javascript)
        page = await ctx.new_page()
        await page.set_viewport_size({"width": shot.width, "height": VIEWPORT_HEIGHT})
        await page.set_content(shot.html, wait_until="load", timeout=LOAD_TIMEOUT * 1000)
        return page

    async def _capture(self, page: Any, shot: Shot) -> bytes:
        """Size the viewport to the shot's width and the document's height; capture until two frames agree."""
        # The viewport is made as tall as the document rather than using Playwright's full_page
        # capture, which stitched stale frames under load.
        await page.set_viewport_size({"width": shot.width, "height": VIEWPORT_HEIGHT})
        height = VIEWPORT_HEIGHT
        for _ in range(4):
            full = min(int(await page.evaluate(_HEIGHT)), MAX_HEIGHT)
            if full == height:
                break
            height = full
            await page.set_viewport_size({"width": shot.width, "height": height})
        # As Playwright's to_have_screenshot does: capture until two consecutive frames agree, since
        # a busy machine can hand over a frame painted before the resize.
        png = b""
        for _ in range(STABLE_TRIES):
            last = png
            png = await page.screenshot(animations="disabled", caret="hide", type="png",
                                        timeout=LOAD_TIMEOUT * 1000)
            if png == last:
                return bytes(png)
        raise KmsgError(f"{shot.key}: Chromium gave {STABLE_TRIES} different screenshots of the same page")

    async def _shoot_all(self, shots: Sequence[Shot], progress: Callable[[str], None] | None) -> dict[str, bytes]:
        await self._open()
        gate = asyncio.Semaphore(self.parallel)
        out: dict[str, bytes] = {}
        # Shots of the same HTML (widths, schemes) share one page: it is loaded once, and the scheme
        # is switched by media emulation.
        groups: dict[str, list[Shot]] = {}
        for shot in shots:
            groups.setdefault(shot.html, []).append(shot)

        async def group(items: list[Shot]) -> None:
            async with gate:
                first = items[0]
                page = await self.page(first)
                try:
                    for shot in sorted(items, key=lambda s: (s.scheme != first.scheme, s.scheme, -s.width)):
                        await page.emulate_media(color_scheme="dark" if shot.scheme == DARK else "light")
                        # Chromium's PNG encoder gives the same bytes for the same pixels: no re-encoding.
                        out[shot.key] = await self._capture(page, shot)
                        if progress:
                            progress(shot.key)
                finally:
                    await page.close()

        await asyncio.gather(*(group(items) for items in groups.values()))
        return out

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the engine's event loop (the Playwright objects belong to it)."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(coro)

    def shoot(self, shots: Sequence[Shot], progress: Callable[[str], None] | None = None) -> dict[str, bytes]:
        self.check()
        return dict(self.run(self._shoot_all(shots, progress))) if shots else {}

    def close(self) -> None:
        if self._loop is None:
            return

        async def stop() -> None:
            for ctx in self._contexts.values():
                await ctx.close()
            if self._browser is not None:
                await self._browser.close()
            if self._pw is not None:
                await self._pw.stop()

        try:
            self._loop.run_until_complete(stop())
        finally:
            self._contexts.clear()
            self._browser = self._pw = None
            self._loop.close()
            self._loop = None


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
_FRAME_HEIGHT = ("var d = document.getElementById('kmsg-email').contentDocument; "
                 "return Math.max(d.documentElement.scrollHeight, d.body ? d.body.scrollHeight : 0)")
_FRAME_SIZE = "document.getElementById('kmsg-email').style.height = arguments[0] + 'px'"
_FRAME_READY = ("var f = document.getElementById('kmsg-email'); var d = f && f.contentDocument; "
                "return !!(d && d.readyState === 'complete' && d.body)")
# Resolves after two animation frames: the layout and paint of the last change are done.
SETTLE = ("var done = arguments[arguments.length - 1]; "
          "requestAnimationFrame(function () { requestAnimationFrame(function () { done(true); }); });")


def framed(html: str, width: int) -> str:
    """A host page with the email in an iframe of the snapshot width (srcdoc, so it can be measured)."""
    from html import escape

    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            "<style>html,body{margin:0;padding:0;background:transparent}"
            f"iframe{{display:block;border:0;margin:0;padding:0;width:{width}px;height:{VIEWPORT_HEIGHT}px}}</style>"
            f"</head><body><iframe id=\"{FRAME_ID}\" scrolling=\"no\" srcdoc=\"{escape(html, quote=True)}\"></iframe>"
            "</body></html>")


def _framed_shot(shot: Shot, resize: Callable[[int, int], tuple[int, int]], load: Callable[[str], Any],
                 script: Callable[..., Any], settle: Callable[[], Any], capture: Callable[[], bytes],
                 pages: _FilePages, engine: str) -> bytes:
    """Load the email framed at its width, make the frame (and the window) as tall as it, capture the frame."""
    window = max(FRAME_WINDOW, shot.width)
    extra_w, extra_h = resize(window, VIEWPORT_HEIGHT + 200)
    load(pages.url(framed(shot.html, shot.width)))
    _wait_for(lambda: script(_FRAME_READY), LOAD_TIMEOUT, f"{engine}: the email's frame")
    height = VIEWPORT_HEIGHT
    for _ in range(6):
        settle()
        full = min(int(script(_FRAME_HEIGHT)), MAX_HEIGHT)
        if full == height:
            break
        height = full
        script(_FRAME_SIZE, height)
    # A screenshot covers what the window shows: the window is made taller than the frame (and
    # checked, since a window manager-less X server may apply the size late).
    for _ in range(10):
        resize(window + extra_w, height + extra_h + 20)
        settle()
        inner = int(script("return window.innerHeight"))
        if inner >= height:
            break
        extra_h += height - inner  # the toolbar was measured before the first size took effect
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
            raise KmsgError(f"the window's screenshot ({img.size[0]}x{img.size[1]}) is smaller than the email "
                            f"({width}x{height})")
        part = img.convert("RGB").crop((0, 0, width, height))
    out = io.BytesIO()
    part.save(out, format="PNG")
    return out.getvalue()


class _FilePages:
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


def _wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise KmsgError(f"{what} did not start within {timeout:.0f} s")
        time.sleep(0.02)


_MEASURE = ("return [window.innerWidth, window.innerHeight, window.outerWidth, window.outerHeight, "
            "Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)]")


def minibrowser_path() -> str | None:
    """WebKitGTK's MiniBrowser (shipped with libwebkit2gtk, which webkit2gtk-driver depends on)."""
    explicit = os.environ.get("KMSG_MINIBROWSER")
    if explicit:
        return explicit
    found = sorted(glob.glob("/usr/lib/*/webkit2gtk-4.*/MiniBrowser"), reverse=True)
    return found[0] if found else None


def _end(proc: subprocess.Popen[bytes] | None) -> None:
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
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        _end(self.proc)
        self.proc = None


class WebKitEngine(Engine):
    """WebKitGTK's MiniBrowser through WebKitWebDriver and Selenium, on a private Xvfb display."""

    name = WEBKIT

    def __init__(self) -> None:
        self.driver_path = os.environ.get("KMSG_WEBKIT_DRIVER") or shutil.which("WebKitWebDriver")
        self.browser_path = minibrowser_path()
        self.xvfb = Xvfb()
        self.pages = _FilePages()
        self._drivers: dict[str, Any] = {}
        self._chrome: dict[str, tuple[int, int]] = {}

    def identity(self) -> str:
        return f"webkit:{_stamp(self.driver_path)}:{_stamp(self.browser_path)}"

    def check(self) -> None:
        for path in (self.driver_path, self.browser_path):
            if path is None or not Path(path).is_file():
                raise BrowserMissing("the webkit engine needs WebKitGTK's WebDriver and MiniBrowser: "
                                     "apt-get install webkit2gtk-driver xvfb"
                                     + (f" ({path} does not exist)" if path else ""))
        if shutil.which("Xvfb") is None:
            raise BrowserMissing("the webkit engine runs on a virtual display: apt-get install xvfb")
        try:
            import selenium  # noqa: F401
        except ImportError:
            raise BrowserMissing("the webkit engine is driven with Selenium, which is not installed: run "
                                 + EXTRA) from None

    def _driver(self, scheme: str) -> Any:
        # MiniBrowser takes dark mode at start-up only: one session per scheme.
        if scheme not in self._drivers:
            from selenium import webdriver
            from selenium.webdriver.webkitgtk.options import Options
            from selenium.webdriver.webkitgtk.service import Service

            display = self.xvfb.start()
            options = Options()
            options.binary_location = str(self.browser_path)
            options.add_argument("--automation")
            options.add_argument("--proxy=http://127.0.0.1:9")  # a closed port: nothing leaves the machine
            if scheme == DARK:
                options.add_argument("--dark-mode")
            # Skia paints 512 px tiles on worker threads by default, and text crossing a tile edge
            # (right-aligned and right-to-left text at 600 px) then differs by a level or two from run
            # to run; painting on one thread makes the same page give the same bytes.
            env = {**os.environ, "DISPLAY": display, "GDK_BACKEND": "x11", "NO_AT_BRIDGE": "1",
                   "WEBKIT_SKIA_CPU_PAINTING_THREADS": "0"}
            service = Service(executable_path=str(self.driver_path), env=env)
            try:
                self._drivers[scheme] = webdriver.WebKitGTK(options=options, service=service)
            except Exception as exc:  # noqa: BLE001 - Selenium raises several kinds on a failed start
                raise BrowserMissing(f"cannot start WebKitGTK through {self.driver_path} "
                                     f"(apt-get install webkit2gtk-driver xvfb): {str(exc).strip()[:300]}") from None
        return self._drivers[scheme]

    def _shot(self, driver: Any, shot: Shot) -> bytes:
        def resize(width: int, height: int) -> tuple[int, int]:
            driver.set_window_rect(width=width, height=height)
            inner_w, inner_h, outer_w, outer_h, _ = driver.execute_script(_MEASURE)
            return outer_w - inner_w, outer_h - inner_h

        def capture() -> bytes:
            return bytes(driver.get_screenshot_as_png())

        return _framed_shot(shot, resize, lambda url: driver.get(url), driver.execute_script,
                            lambda: driver.execute_async_script(SETTLE), capture, self.pages, "WebKitGTK")

    def shoot(self, shots: Sequence[Shot], progress: Callable[[str], None] | None = None) -> dict[str, bytes]:
        self.check()
        out: dict[str, bytes] = {}
        for scheme in (LIGHT, DARK):
            for shot in (s for s in shots if s.scheme == scheme):
                out[shot.key] = normalize_png(self._shot(self._driver(scheme), shot))
                if progress:
                    progress(shot.key)
        return out

    def close(self) -> None:
        for driver in self._drivers.values():
            with contextlib.suppress(Exception):  # the browser may already be gone
                driver.quit()
        self._drivers.clear()
        self.xvfb.stop()
        self.pages.close()


FIREFOX_PREFS: dict[str, Any] = {
    "marionette.port": 0,  # any free port; Firefox writes it to MarionetteActivePort in the profile
    "network.proxy.type": 1,  # every request goes to a closed local port: nothing leaves the machine
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 9,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 9,
    "network.proxy.allow_hijacking_localhost": True,
    "ui.useOverlayScrollbars": 1,  # a classic scrollbar would take width from the snapshot
    "layout.css.prefers-color-scheme.content-override": 1,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.disabledForTesting": True,
    "app.normandy.enabled": False,
    "extensions.update.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "gfx.font_rendering.opentype_svg.enabled": False,
    "layout.css.devPixelsPerPx": "1.0",
}


def firefox_path() -> str | None:
    """Firefox ESR (or Firefox), or one named by KMSG_FIREFOX."""
    return os.environ.get("KMSG_FIREFOX") or shutil.which("firefox-esr") or shutil.which("firefox")


def _pref_line(name: str, value: Any) -> str:
    import json

    return f"user_pref({json.dumps(name)}, {json.dumps(value)});\n"


class FirefoxEngine(Engine):
    """Firefox ESR headless, driven through its built-in Marionette protocol."""

    name = FIREFOX

    def __init__(self) -> None:
        self.executable = firefox_path()
        self.pages = _FilePages()
        self._profile: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._client: Any = None
        self._scheme = LIGHT

    def identity(self) -> str:
        return f"firefox:{_stamp(self.executable)}"

    def check(self) -> None:
        if self.executable is None or not Path(self.executable).is_file():
            raise BrowserMissing("the firefox engine needs Firefox ESR: apt-get install firefox-esr"
                                 + (f" ({self.executable} does not exist)" if self.executable else ""))
        try:
            import marionette_driver  # noqa: F401
        except ImportError:
            raise BrowserMissing("the firefox engine is driven with marionette-driver, which is not installed: run "
                                 + EXTRA) from None

    def _open(self) -> Any:
        if self._client is None:
            from marionette_driver.marionette import Marionette

            self._profile = tempfile.TemporaryDirectory(prefix="kmsg-firefox-")
            profile = Path(self._profile.name)
            (profile / "user.js").write_text("".join(_pref_line(k, v) for k, v in FIREFOX_PREFS.items()),
                                            encoding="utf-8")
            env = {**os.environ, "MOZ_HEADLESS": "1", "MOZ_CRASHREPORTER_DISABLE": "1"}
            try:
                self._proc = subprocess.Popen(
                    [str(self.executable), "--headless", "--marionette", "-remote-allow-system-access", "--no-remote",
                     "--profile", str(profile),
                     "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            except OSError as exc:
                raise BrowserMissing(f"cannot start {self.executable} (apt-get install firefox-esr): {exc}") from None
            port_file = profile / "MarionetteActivePort"

            def port() -> int:
                if self._proc is not None and self._proc.poll() is not None:
                    raise BrowserMissing(f"{self.executable} exited at start-up (apt-get install firefox-esr)")
                try:
                    text = port_file.read_text(encoding="ascii").strip()
                except OSError:
                    return 0
                return int(text) if text.isdigit() else 0

            number = _wait_for(port, START_TIMEOUT, "Firefox")
            client = Marionette(host="127.0.0.1", port=number)
            client.start_session()
            client.timeout.page_load = LOAD_TIMEOUT
            self._client = client
        return self._client

    def _set_scheme(self, client: Any, scheme: str) -> None:
        if scheme != self._scheme:
            client.set_pref("layout.css.prefers-color-scheme.content-override", 0 if scheme == DARK else 1)
            self._scheme = scheme

    def _shot(self, client: Any, shot: Shot) -> bytes:
        self._set_scheme(client, shot.scheme)

        def resize(width: int, height: int) -> tuple[int, int]:
            client.set_window_rect(width=width, height=height)
            inner_w, inner_h, outer_w, outer_h, _ = client.execute_script(_MEASURE)
            return outer_w - inner_w, outer_h - inner_h

        def script(js: str, *args: Any) -> Any:
            return client.execute_script(js, script_args=list(args))

        def capture() -> bytes:
            return bytes(client.screenshot(full=False, format="binary"))

        return _framed_shot(shot, resize, client.navigate, script, lambda: client.execute_async_script(SETTLE),
                            capture, self.pages, "Firefox")

    def shoot(self, shots: Sequence[Shot], progress: Callable[[str], None] | None = None) -> dict[str, bytes]:
        self.check()
        if not shots:
            return {}
        client = self._open()
        out: dict[str, bytes] = {}
        for shot in sorted(shots, key=lambda s: s.scheme != LIGHT):
            out[shot.key] = normalize_png(self._shot(client, shot))
            if progress:
                progress(shot.key)
        return out

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):  # the browser may already be gone
                self._client.delete_session()
            self._client = None
        _end(self._proc)
        self._proc = None
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None
        self.pages.close()


FACTORIES: dict[str, Callable[[], Engine]] = {CHROMIUM: ChromiumEngine, WEBKIT: WebKitEngine, FIREFOX: FirefoxEngine}


def parse_engines(value: str | Sequence[str]) -> tuple[str, ...]:
    """Engine names from `chromium,webkit` or a list; an unknown name is a usage error."""
    from kmsg_authoring.errors import UsageError

    items = value.split(",") if isinstance(value, str) else list(value)
    names = [str(n).strip().lower() for n in items if str(n).strip()]
    for n in names:
        if n not in ENGINES:
            raise UsageError(f"unknown engine '{n}' (engines: {', '.join(ENGINES)})")
    if not names:
        raise UsageError(f"no engine given (engines: {', '.join(ENGINES)})")
    return tuple(dict.fromkeys(names))


class Engines:
    """The engines of a run, each started once on first use and closed together."""

    def __init__(self, names: Sequence[str], factories: dict[str, Callable[[], Engine]] | None = None) -> None:
        made = factories or FACTORIES
        self.engines: dict[str, Engine] = {n: made[n]() for n in names}

    def check(self) -> None:
        """Fail before any work when an engine is not installed."""
        for engine in self.engines.values():
            engine.check()

    def shoot(self, shots: dict[str, list[Shot]],
              progress: Callable[[str], None] | None = None) -> dict[str, dict[str, bytes]]:
        """Shots per engine -> PNG bytes per engine and key; the engines work at the same time."""
        from concurrent.futures import ThreadPoolExecutor

        work = {name: list(items) for name, items in shots.items() if items}
        if not work:
            return {}
        if len(work) == 1:
            name, items = next(iter(work.items()))
            return {name: self.engines[name].shoot(items, progress)}
        with ThreadPoolExecutor(max_workers=len(work)) as pool:
            futures = {name: pool.submit(self.engines[name].shoot, items, progress) for name, items in work.items()}
            return {name: f.result() for name, f in futures.items()}

    def close(self) -> None:
        """Stop every started browser."""
        for engine in self.engines.values():
            engine.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
