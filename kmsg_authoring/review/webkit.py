"""WebKit: as Apple Mail renders it; WebKitGTK's MiniBrowser through its WebDriver with Selenium, on Xvfb."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kmsg_authoring.review.schemes import DARK, LIGHT
from kmsg_authoring.review.browser import (
    EXTRA,
    LOAD_TIMEOUT,
    WEBKIT,
    BrowserMissing,
    Engine,
    Shot,
    normalize_png,
    program_stamp,
)
from kmsg_authoring.review.framing import MEASURE, SETTLE, FilePages, Xvfb, framed_shot


def minibrowser_path() -> str | None:
    """WebKitGTK's MiniBrowser (shipped with libwebkit2gtk, which webkit2gtk-driver depends on)."""
    explicit = os.environ.get("KMSG_MINIBROWSER")
    if explicit:
        return explicit
    found = sorted(glob.glob("/usr/lib/*/webkit2gtk-4.*/MiniBrowser"), reverse=True)
    return found[0] if found else None


class WebKitEngine(Engine):
    """WebKitGTK's MiniBrowser through WebKitWebDriver and Selenium, on a private Xvfb display."""

    name = WEBKIT

    def __init__(self) -> None:
        self.driver_path = os.environ.get("KMSG_WEBKIT_DRIVER") or shutil.which("WebKitWebDriver")
        self.browser_path = minibrowser_path()
        self.xvfb = Xvfb()
        self.pages = FilePages()
        self._drivers: dict[str, Any] = {}

    def identity(self) -> str:
        return f"webkit:{program_stamp(self.driver_path)}:{program_stamp(self.browser_path)}"

    def check(self) -> None:
        for path in (self.driver_path, self.browser_path):
            if path is None or not Path(path).is_file():
                raise BrowserMissing(
                    "the webkit engine needs WebKitGTK's WebDriver and MiniBrowser: "
                    "apt-get install webkit2gtk-driver xvfb" + (f" ({path} does not exist)" if path else "")
                )
        if shutil.which("Xvfb") is None:
            raise BrowserMissing("the webkit engine runs on a virtual display: apt-get install xvfb")
        try:
            import selenium  # noqa: F401
        except ImportError:
            raise BrowserMissing(
                "the webkit engine is driven with Selenium, which is not installed: run " + EXTRA
            ) from None

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
            env = {
                **os.environ,
                "DISPLAY": display,
                "GDK_BACKEND": "x11",
                "NO_AT_BRIDGE": "1",
                "WEBKIT_SKIA_CPU_PAINTING_THREADS": "0",
            }
            service = Service(executable_path=str(self.driver_path), env=env)
            try:
                self._drivers[scheme] = webdriver.WebKitGTK(options=options, service=service)
            except Exception as exc:  # noqa: BLE001 - Selenium raises several kinds on a failed start
                raise BrowserMissing(
                    f"cannot start WebKitGTK through {self.driver_path} "
                    f"(apt-get install webkit2gtk-driver xvfb): {str(exc).strip()[:300]}"
                ) from None
            # A page that never finishes loading is an error after LOAD_TIMEOUT, never a wait forever.
            self._drivers[scheme].set_page_load_timeout(LOAD_TIMEOUT)
        return self._drivers[scheme]

    def _fresh(self, scheme: str) -> Any:
        """A new session for a scheme, the old one (stuck on a page) ended."""
        old = self._drivers.pop(scheme, None)
        if old is not None:
            with contextlib.suppress(Exception):
                old.quit()
        return self._driver(scheme)

    def _shot(self, driver: Any, shot: Shot) -> bytes:
        def resize(width: int, height: int) -> tuple[int, int]:
            driver.set_window_rect(width=width, height=height)
            inner_w, inner_h, outer_w, outer_h, _ = driver.execute_script(MEASURE)
            return outer_w - inner_w, outer_h - inner_h

        def capture() -> bytes:
            return bytes(driver.get_screenshot_as_png())

        return framed_shot(
            shot,
            resize,
            lambda url: driver.get(url),
            driver.execute_script,
            lambda: driver.execute_async_script(SETTLE),
            capture,
            self.pages,
            "WebKitGTK",
        )

    def shoot(self, shots: Sequence[Shot], progress: Callable[[str], None] | None = None) -> dict[str, bytes]:
        self.check()
        out: dict[str, bytes] = {}
        for scheme in (LIGHT, DARK):
            for shot in (s for s in shots if s.scheme == scheme):
                try:
                    png = self._shot(self._driver(scheme), shot)
                except Exception:  # noqa: BLE001 - a session that stopped answering: one retry in a new one
                    png = self._shot(self._fresh(scheme), shot)
                out[shot.key] = normalize_png(png)
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
