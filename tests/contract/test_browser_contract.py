"""The Contract tab in headless Chromium: shown on click, secrets absent from the page."""

from __future__ import annotations

# ruff: noqa: F811 - `preview` is the live preview fixture of the browser tests, imported to be shared
from tests.browser import ARGS, CHROMIUM, requires_chromium
from tests.preview.test_browser import LivePreview, preview  # noqa: F401

pytestmark = requires_chromium


def test_the_contract_tab_in_chromium(preview: LivePreview) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.goto(preview.url + "t/attendance-confirmation")
            panel = page.locator("#contract")
            expect(panel).to_be_hidden()
            page.locator("#tab-contract").click()
            expect(panel).to_be_visible()
            expect(panel.locator("table.contract")).to_contain_text("JwtQrCode")
            expect(panel.locator(".send-example")).to_contain_text('"secret": "<your JWT signing secret>"')
            expect(panel.locator(".typescript")).to_contain_text("export interface AttendanceConfirmationMsgParams")
            assert "dev-only-secret" not in page.content()  # the sample's JwtQrCode secret
        finally:
            browser.close()
