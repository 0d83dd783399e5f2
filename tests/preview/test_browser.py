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
from tests.browser import ARGS, CHROMIUM, requires_chromium

pytestmark = requires_chromium


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
            expect(page.locator("#r0 dd.subject")).to_have_text("Jane, you're registered for Annual Conference 2026")
            email = page.frame_locator("#r0-desktop")
            expect(email.locator("h1")).to_have_text("See you there, Jane!")
            qr = email.locator('img[src^="data:image/png;base64,"]')
            expect(qr).to_have_count(1)
            assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
            expect(page.frame_locator("#r0-mobile").locator("h1")).to_have_text("See you there, Jane!")

            # A save on disk shows up without touching the page.
            body = root / "templates_src/attendance-confirmation/body.mjml"  # the example written in MJML
            body.write_text(
                body.read_text(encoding="utf-8").replace("See you there", "Welcome aboard"), encoding="utf-8"
            )
            expect(page.frame_locator("#r0-desktop").locator("h1")).to_have_text("Welcome aboard, Jane!", timeout=15000)

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


# Every element's right edge, and the document's scroll width, must stay within the window.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 0.5 || box.width > width + 0.5)) {
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : '')
                + ' ' + Math.round(box.width) + 'px');
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth, wide: wide};
}"""


# Left edges of the header's wordmark, the content's heading and the footer's text inside an email.
ALIGN_JS = """body => {
  const left = sel => Math.round(body.ownerDocument.querySelector(sel).getBoundingClientRect().left);
  return {header: left('.header span'), content: left('.content h1'), footer: left('.footer p')};
}"""


@pytest.mark.parametrize("width", [1200, 375], ids=["desktop-1200", "phone-375"])
def test_index_and_template_page_fit_the_window(preview: LivePreview, tmp_path: Path, width: int) -> None:
    """Screenshots of the index and every example's page; nothing overflows the window horizontally."""
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get("KMSG_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900}, device_scale_factor=1)
            # Nothing leaves the machine: any request that is not the preview's is refused.
            page.route(
                "**/*", lambda route: route.continue_() if route.request.url.startswith(preview.url) else route.abort()
            )
            examples = ("attendance-confirmation", "event-invitation", "follow-up", "reminder")
            for name, path in (("index", ""), *((slug, f"t/{slug}") for slug in examples)):
                page.goto(preview.url + path)
                if path:
                    for frame in ("desktop", "mobile"):  # every example's frames have rendered their footer
                        expect(page.frame_locator(f"#r0-{frame}").locator(".footer p").first).to_contain_text(
                            "Acme Events"
                        )
                else:
                    expect(page.locator("table.index")).to_contain_text("event-invitation")
                page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True, animations="disabled")
                if path:
                    # The email's header, content and footer start at the same left edge in both frames.
                    for frame in ("desktop", "mobile"):
                        edges = page.frame_locator(f"#r0-{frame}").locator("body").evaluate(ALIGN_JS)
                        assert len(set(edges.values())) == 1, (frame, edges)
                # Each email frame alone too: a full-page shot may leave a frame below the fold blank.
                if path:
                    for frame in ("desktop", "mobile"):
                        page.locator(f"#r0-{frame}").screenshot(
                            path=str(shots / f"{name}-{width}-{frame}.png"), animations="disabled"
                        )
                found = page.evaluate(OVERFLOW_JS)
                assert found["scrollWidth"] <= found["width"], (name, found)
                assert found["wide"] == [], (name, found)
                assert (shots / f"{name}-{width}.png").stat().st_size > 0
        finally:
            browser.close()


def test_an_image_that_cannot_load_is_a_neutral_box_of_its_declared_size(example_project: Path) -> None:
    """A broken image in the preview frame: the placeholder covers the broken icon at width x height."""
    from playwright.sync_api import sync_playwright

    body = example_project / "templates_src/reminder/body.html"
    body.write_text(
        body.read_text(encoding="utf-8").replace(
            "</p>",
            '</p><img id="gone" src="https://images.example.com/missing.png" width="150" height="60" '
            'alt="Banner" style="display:block;border:0;">',
            1,
        ),
        encoding="utf-8",
    )
    live = LivePreview(PreviewSite(load_config(example_project)), port=0)
    live.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 800, "height": 600}, device_scale_factor=1)
                page.route(
                    "**/*", lambda route: route.continue_() if route.request.url.startswith(live.url) else route.abort()
                )
                page.goto(live.url + "t/reminder/email/default/0.html")
                img = page.locator("#gone")
                img.wait_for()
                page.wait_for_function("() => document.getElementById('gone').complete")
                state = img.evaluate("""img => {
                    const before = getComputedStyle(img, '::before');
                    const box = img.getBoundingClientRect();
                    return {loaded: img.naturalWidth > 0, w: Math.round(box.width), h: Math.round(box.height),
                            content: before.content, bg: before.backgroundColor, pos: before.position};
                }""")
                assert state == {
                    "loaded": False,
                    "w": 150,
                    "h": 60,
                    "content": '"Banner"',
                    "bg": "rgb(233, 235, 239)",
                    "pos": "absolute",
                }, state
                shots = Path(os.environ.get("KMSG_SCREENSHOTS", example_project))
                img.screenshot(path=str(shots / "placeholder.png"))
            finally:
                browser.close()
    finally:
        live.stop()


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
