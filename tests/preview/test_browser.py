"""The live preview in headless Chromium: rendered names, the QR image, reload on save, the error overlay."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kmsg_authoring.source.config import load_config
from kmsg_authoring.preview.pages import OVERLAY_ID
from kmsg_authoring.preview.server import LivePreview
from kmsg_authoring.preview.site import PreviewSite

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

# CI installs Chromium and sets KMSG_REQUIRE_BROWSER, so there a missing browser fails instead of skipping.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("KMSG_REQUIRE_BROWSER"),
                       reason="Debian's chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture
def preview(example_project: Path) -> Iterator[LivePreview]:
    live = LivePreview(PreviewSite(load_config(example_project)), port=0)  # the real watchdog watcher
    live.start()
    yield live
    live.stop()


def test_live_preview_in_chromium(preview: LivePreview) -> None:
    from playwright.sync_api import expect, sync_playwright

    root = preview.site.config.root
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.goto(preview.url)
            expect(page.locator("table.index")).to_contain_text("attendance-confirmation")

            page.goto(preview.url + "t/attendance-confirmation")
            expect(page.locator("#r0 .subject")).to_have_text("Jane, you're registered for Annual Conference 2026")
            email = page.frame_locator("#r0-desktop")
            expect(email.locator("h1")).to_have_text("See you there, Jane!")
            qr = email.locator('img[src^="data:image/png;base64,"]')
            expect(qr).to_have_count(1)
            assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
            expect(page.frame_locator("#r0-mobile").locator("h1")).to_have_text("See you there, Jane!")

            # A save on disk shows up without touching the page.
            body = root / "templates_src/attendance-confirmation/body.html"
            body.write_text(body.read_text(encoding="utf-8").replace("See you there", "Welcome aboard"),
                            encoding="utf-8")
            expect(page.frame_locator("#r0-desktop").locator("h1")).to_have_text("Welcome aboard, Jane!",
                                                                                   timeout=15000)

            # Broken YAML: an overlay naming the file and line; the last good preview stays.
            meta = root / "templates_src/attendance-confirmation/template.yaml"
            good = meta.read_text(encoding="utf-8")
            meta.write_text(good.replace("msgParamsMap:", "msgParamsMap: [\n"), encoding="utf-8")
            overlay = page.locator(f"#{OVERLAY_ID}")
            expect(overlay).to_be_visible(timeout=15000)
            expect(overlay).to_contain_text("templates_src/attendance-confirmation/template.yaml:")
            expect(overlay).to_contain_text("invalid YAML")
            expect(page.frame_locator("#r0-desktop").locator("h1")).to_have_text("Welcome aboard, Jane!")

            # Fixing the file clears it.
            meta.write_text(good, encoding="utf-8")
            expect(overlay).to_have_count(0, timeout=15000)
            expect(page.frame_locator("#r0-desktop").locator("h1")).to_have_text("Welcome aboard, Jane!")
        finally:
            browser.close()


def test_compatibility_tab_and_dark_views_in_chromium(preview: LivePreview) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.goto(preview.url + "t/reminder")
            # The Compatibility tab: the overall line and the matrix, Outlook for Windows lacking @media.
            page.click("#tab-compat")
            panel = page.locator("#compat")
            expect(panel).to_be_visible()
            expect(panel.locator(".overall")).to_contain_text("targeted clients")
            expect(panel.locator("table.compat thead")).to_contain_text("Outlook (Windows)")
            row = panel.locator("table.compat tbody tr", has_text="@media (prefers-color-scheme)")
            expect(row.locator("td.unsupported").first).to_be_visible()

            # Both dark views are there, and the dark one applies the template's own dark rules:
            # .container turns #1f2933 under @media (prefers-color-scheme: dark).
            page.click("#tab-preview")
            light = page.frame_locator("#r0-desktop").locator("table.container")
            dark = page.frame_locator("#r0-dark").locator("table.container")
            inverted_html = page.frame_locator("#r0-inverted").locator("html")
            expect(dark).to_have_count(1)

            def bg(loc):  # type: ignore[no-untyped-def]
                return loc.evaluate("el => getComputedStyle(el).backgroundColor")

            expect(light).to_have_count(1)
            assert bg(light) == "rgb(255, 255, 255)"
            assert bg(dark) == "rgb(31, 41, 51)"
            assert "invert(1)" in inverted_html.evaluate("el => getComputedStyle(el).filter")
            assert bg(page.frame_locator("#r0-inverted").locator("table.container")) == "rgb(255, 255, 255)"
        finally:
            browser.close()
