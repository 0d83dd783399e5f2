"""Render an HTML file in headless Chromium the same way every time, and compare two renders pixel by pixel.

Determinism, as Playwright's screenshot options allow: a fixed viewport, device scale 1, animations
disabled, the caret hidden, and every request other than the page itself aborted (images, fonts and
stylesheets behave the same, failed, on both sides of a comparison).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.browser import ARGS, CHROMIUM

WIDTHS = (600, 375)
HEIGHT = 800


class Renderer:
    """One browser page per viewport width, reused for every file."""

    def __init__(self, browser: Any) -> None:
        self.pages: dict[int, Any] = {}
        for width in WIDTHS:
            context = browser.new_context(
                viewport={"width": width, "height": HEIGHT},
                device_scale_factor=1,
                java_script_enabled=False,
                reduced_motion="reduce",
            )
            page = context.new_page()
            page.route("**/*", _only_the_page)
            self.pages[width] = page

    def screenshot(self, path: Path, width: int) -> bytes:
        """A full-page PNG of a local HTML file at a viewport width."""
        page = self.pages[width]
        page.goto(path.resolve().as_uri(), wait_until="load")
        return bytes(page.screenshot(full_page=True, animations="disabled", caret="hide", type="png"))


def _only_the_page(route: Any) -> None:
    """The document itself loads; every other request (images, fonts, stylesheets) is aborted."""
    request = route.request
    if request.is_navigation_request() and request.url.startswith("file://"):
        route.continue_()
    else:
        route.abort()


@contextmanager
def chromium() -> Iterator[Renderer]:
    """Debian's Chromium through Playwright, ready to render."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield Renderer(browser)
        finally:
            browser.close()


def pixel_difference(a: bytes, b: bytes) -> str | None:
    """None when two PNG screenshots have the same pixels, else what differs (size, or how many pixels)."""
    if a == b:
        return None
    from PIL import Image, ImageChops

    img_a = Image.open(io.BytesIO(a)).convert("RGBA")
    img_b = Image.open(io.BytesIO(b)).convert("RGBA")
    if img_a.size != img_b.size:
        return f"size {img_a.size[0]}x{img_a.size[1]} against {img_b.size[0]}x{img_b.size[1]}"
    diff = ImageChops.difference(img_a, img_b)
    if diff.getbbox() is None:
        return None
    red, green, blue, alpha = diff.split()
    largest = ImageChops.lighter(ImageChops.lighter(red, green), ImageChops.lighter(blue, alpha))
    changed = sum(largest.point(lambda v: 255 if v else 0).histogram()[255:])
    return f"{changed} pixels differ in {diff.getbbox()}"
