"""Render an email as written and as compiled in the snapshot engines, and compare the two pixel by pixel.

The engines are the `snapshot` command's (kmsg_authoring.review): Chromium through Playwright,
WebKitGTK through its WebDriver, Firefox ESR through Marionette, each started once for a whole run,
with a fixed viewport width, device scale 1 and the colour scheme emulated. Both sides get the same
offline page: a Content-Security-Policy that blocks every request (remote images are broken on both
sides alike) and animations frozen. Images are not swapped for placeholder boxes, since a box's size
is read from the tag, and inlining moves a width from a stylesheet onto the tag.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from kmsg_authoring.review.browser import ENGINES, Shot
from kmsg_authoring.review.page import CSP_META, FREEZE_STYLE, inject_head
from kmsg_authoring.review.schemes import SCHEMES, scheme_html

WIDTHS = (600, 375)
SIDES = ("source", "compiled")


@dataclass(frozen=True)
class Pair:
    """An email as written (before inlining) and as compiled (the payload's body)."""

    source: str
    compiled: str


def offline(html: str) -> str:
    """The page an engine loads: nothing fetched, nothing animated."""
    return inject_head(html, CSP_META + FREEZE_STYLE)


def render(
    pages: Mapping[str, Mapping[str, str]],
    widths: Sequence[int] = WIDTHS,
    schemes: Sequence[str] = SCHEMES,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[tuple[str, int, str], bytes]]:
    """engine -> {page key: HTML} rendered at every width and scheme: engine -> (key, width, scheme) -> PNG.

    Every engine is started once for the whole run and renders all its pages (the engines run side
    by side); each page is loaded once per scheme and measured at every width, as `snapshot` does.
    """
    from kmsg_authoring.review.engines import Engines

    shots: dict[str, list[Shot]] = {}
    index: dict[str, tuple[str, int, str]] = {}
    for engine, by_key in pages.items():
        for key, html in by_key.items():
            page = offline(html)
            for scheme in schemes:
                for width in widths:
                    name = f"{key}|{width}|{scheme}"
                    index[name] = (key, width, scheme)
                    shots.setdefault(engine, []).append(Shot(name, scheme_html(page, scheme), width, scheme))
    with Engines(tuple(shots)) as running:
        running.check()
        images = running.shoot(shots, progress)
    return {engine: {index[name]: png for name, png in got.items()} for engine, got in images.items()}


def compare(
    images: Mapping[tuple[str, int, str], bytes],
    pairs: Iterable[tuple[str, str, str]],
    widths: Sequence[int] = WIDTHS,
    schemes: Sequence[str] = SCHEMES,
) -> dict[str, list[str]]:
    """(slug, source key, compiled key) -> slug: what differs (`375px dark: ...`); identical emails are absent."""
    out: dict[str, list[str]] = {}
    for slug, source, compiled in pairs:
        for scheme in schemes:
            for width in widths:
                found = pixel_difference(images[source, width, scheme], images[compiled, width, scheme])
                if found:
                    out.setdefault(slug, []).append(f"{width}px {scheme}: {found}")
    return out


def confirmed(
    pages: Mapping[str, Mapping[str, str]],
    differs: Mapping[tuple[str, str], Mapping[str, list[str]]],
    keys: Callable[[str, str], tuple[str, str]],
) -> dict[tuple[str, str], dict[str, list[str]]]:
    """The differences that show again when both sides are rendered once more, in new pages.

    pages: engine -> page key -> HTML, as rendered; differs: (engine, build) -> slug -> what differed;
    keys(build, slug): the two page keys compared. A capture an engine spoils under load (a frame of
    another layout) is not the build's doing; a difference the build made shows every time.
    """
    again: dict[str, dict[str, str]] = {}
    for (engine, build), found in differs.items():
        for slug in found:
            for key in keys(build, slug):
                again.setdefault(engine, {})[key] = pages[engine][key]
    second = render(again) if again else {}
    return {
        (engine, build): {
            slug: what for slug, what in found.items() if slug in compare(second[engine], [(slug, *keys(build, slug))])
        }
        for (engine, build), found in differs.items()
    }


def differences(
    pairs: Mapping[str, Pair],
    engines: Iterable[str] = ENGINES,
    widths: Sequence[int] = WIDTHS,
    schemes: Sequence[str] = SCHEMES,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, list[str]]]:
    """engine -> slug -> what differs between the email as written and as compiled."""
    pages = {f"{slug}|{side}": getattr(pair, side) for slug, pair in pairs.items() for side in SIDES}
    names = tuple(engines)
    images = render({name: pages for name in names}, widths, schemes, progress)
    keys = [(slug, f"{slug}|source", f"{slug}|compiled") for slug in pairs]
    return {name: compare(images[name], keys, widths, schemes) for name in names}


def pixel_difference(a: bytes, b: bytes) -> str | None:
    """None when two PNG screenshots have the same pixels, else what differs (size, or how many pixels)."""
    if a == b:
        return None
    from PIL import Image, ImageChops

    img_a = Image.open(io.BytesIO(a)).convert("RGBA")
    img_b = Image.open(io.BytesIO(b)).convert("RGBA")
    if img_a.size != img_b.size:
        return f"size {img_a.size[0]}x{img_a.size[1]} against {img_b.size[0]}x{img_b.size[1]}"
    red, green, blue, alpha = ImageChops.difference(img_a, img_b).split()
    # The largest difference of any channel, per pixel; an RGBA image's own getbbox() looks at its
    # alpha alone, which is the same for two opaque screenshots however different they are.
    largest = ImageChops.lighter(ImageChops.lighter(red, green), ImageChops.lighter(blue, alpha))
    box = largest.getbbox()
    if box is None:
        return None
    changed = sum(largest.point(lambda v: 255 if v else 0).histogram()[255:])
    share = 100 * changed / (img_a.size[0] * img_a.size[1])
    return f"{changed} pixels ({share:.1f}%) differ in {box}"
