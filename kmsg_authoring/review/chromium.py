"""Chromium: Blink, as Gmail and Outlook on the web show mail; headless through Playwright, pages in parallel."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kmsg_authoring.errors import KmsgError
from kmsg_authoring.review.schemes import DARK
from kmsg_authoring.review.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    EXTRA,
    LOAD_TIMEOUT,
    MAX_HEIGHT,
    PARALLEL_PAGES,
    STABLE_TRIES,
    START_TIMEOUT,
    VIEWPORT_HEIGHT,
    BrowserMissing,
    Engine,
    Shot,
    program_stamp,
)


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
            "snapshots need Playwright, which is not installed: run "
            + EXTRA
            + " (and apt-get install chromium, or `playwright install chromium`)"
        ) from None


def _chromium_missing(detail: str) -> BrowserMissing:
    return BrowserMissing(
        "cannot start Chromium: install Debian's package (apt-get install chromium) or run "
        f"`playwright install chromium` ({detail.strip().splitlines()[0] if detail.strip() else 'not found'})"
    )


_HEIGHT = "() => Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)"


class ChromiumEngine(Engine):
    """Headless Chromium through Playwright: one browser, one context per colour scheme and width, parallel pages."""

    name = CHROMIUM

    def __init__(self, parallel: int = PARALLEL_PAGES) -> None:
        self.parallel = max(1, parallel)
        self.executable = chromium_path()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pw: Any = None
        self._browser: Any = None
        self._contexts: dict[str, Any] = {}

    def identity(self) -> str:
        return f"chromium:{program_stamp(self.executable)}"

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
                    executable_path=self.executable, args=CHROMIUM_ARGS, timeout=START_TIMEOUT * 1000
                )
            except Exception as exc:  # noqa: BLE001 - any launch failure means the browser is missing or broken
                await self._pw.stop()
                self._pw = None
                raise _chromium_missing(str(exc)) from None
        return self._browser

    async def context(self, scheme: str, width: int, *, javascript: bool = False) -> Any:
        """The browser context of a colour scheme and a window width (network blocked, device scale 1).

        Its pages are born at the width they are shot at: a page only ever changes height. A page
        made at one width and narrowed before its content was loaded was seen (rarely, under load)
        to lay the content out at the earlier width.
        """
        key = f"{scheme}:{width}:{javascript}"
        if key not in self._contexts:
            browser = await self._open()
            ctx = await browser.new_context(
                viewport={"width": width, "height": VIEWPORT_HEIGHT},
                device_scale_factor=1,
                color_scheme="dark" if scheme == DARK else "light",
                java_script_enabled=javascript,
                reduced_motion="reduce",
                locale="en-US",
                timezone_id="UTC",
                service_workers="block",
            )

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
        ctx = await self.context(shot.scheme, shot.width, javascript=javascript)
        page = await ctx.new_page()
        await page.set_viewport_size({"width": shot.width, "height": VIEWPORT_HEIGHT})
        await page.set_content(shot.html, wait_until="load", timeout=LOAD_TIMEOUT * 1000)
        return page

    async def _height(self, page: Any, shot: Shot) -> int:
        """The document's height at the shot's width (the window made as tall as the content)."""
        await page.set_viewport_size({"width": shot.width, "height": VIEWPORT_HEIGHT})
        height = VIEWPORT_HEIGHT
        for _ in range(4):
            full = min(int(await page.evaluate(_HEIGHT)), MAX_HEIGHT)
            if full == height:
                break
            height = full
            await page.set_viewport_size({"width": shot.width, "height": height})
        return height

    async def _capture(self, shot: Shot, height: int) -> bytes:
        """Load the shot in a fresh page already sized to width x height; capture until two frames agree."""
        # A page that was resized can hand over a frame composed at its earlier size (seen at 600 px
        # as the 375 px layout tiled twice), so the captured page is never resized after its content
        # is loaded: measuring happens on another page.
        ctx = await self.context(shot.scheme, shot.width)
        for _ in range(2):  # a page laid out at another width is loaded again once in a new page
            page = await ctx.new_page()
            try:
                await page.set_viewport_size({"width": shot.width, "height": height})
                await page.set_content(shot.html, wait_until="load", timeout=LOAD_TIMEOUT * 1000)
                if await page.evaluate("window.innerWidth") != shot.width:
                    continue
                # As Playwright's to_have_screenshot does: capture until two consecutive frames agree.
                png = b""
                for _ in range(STABLE_TRIES):
                    last = png
                    png = await page.screenshot(
                        animations="disabled", caret="hide", type="png", timeout=LOAD_TIMEOUT * 1000
                    )
                    if png == last:
                        return bytes(png)
                raise KmsgError(f"{shot.key}: Chromium gave {STABLE_TRIES} different screenshots of the same page")
            finally:
                await page.close()
        raise KmsgError(f"{shot.key}: Chromium laid the page out at another width than {shot.width} px twice")

    async def _shoot_all(self, shots: Sequence[Shot], progress: Callable[[str], None] | None) -> dict[str, bytes]:
        await self._open()
        gate = asyncio.Semaphore(self.parallel)
        out: dict[str, bytes] = {}
        # Shots of the same HTML (widths, schemes) are measured on one page, loaded once, with the
        # scheme switched by media emulation; each is then captured on a page of its own size.
        groups: dict[str, list[Shot]] = {}
        for shot in shots:
            groups.setdefault(shot.html, []).append(shot)

        async def group(items: list[Shot]) -> None:
            async with gate:
                first = items[0]
                page = await self.page(first)
                try:
                    heights = {}
                    for shot in sorted(items, key=lambda s: (s.scheme != first.scheme, s.scheme, -s.width)):
                        await page.emulate_media(color_scheme="dark" if shot.scheme == DARK else "light")
                        heights[shot.key] = await self._height(page, shot)
                finally:
                    await page.close()
                for shot in items:
                    # Chromium's PNG encoder gives the same bytes for the same pixels: no re-encoding.
                    out[shot.key] = await self._capture(shot, heights[shot.key])
                    if progress:
                        progress(shot.key)

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
