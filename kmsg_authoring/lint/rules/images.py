"""Images: their size attributes, and the weight, pixel size and animation of local image files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from kmsg_authoring.lint.context import Context, Finding, style_declarations
from kmsg_authoring.lint.imageinfo import ImageInfo, read_image_info
from kmsg_authoring.lint.registry import Option, rule
from kmsg_authoring.source.config import Deliverability

_SCHEME = re.compile(r"\A[A-Za-z][A-Za-z0-9+.-]*:")
_PX = re.compile(r"\A(\d+(?:\.\d+)?)(?:px)?\Z")
RETINA_MIN, RETINA_MAX = 2.0, 3.0  # image pixels per displayed pixel worth sending


def _local_images(ctx: Context) -> list[tuple[etree._Element, Path, ImageInfo]]:
    """(img element, file, header) for each <img> whose src is a file of the project's template folders."""
    found: list[tuple[etree._Element, Path, ImageInfo]] | None = ctx.cache.get("local-images")
    if found is not None:
        return found
    found = ctx.cache["local-images"] = []
    config = ctx.config
    if config is None:
        return found
    src_dir = config.src_dir.resolve()
    folder = (config.root / ctx.compiled.folder).resolve()
    for el in ctx.by_tag("img"):
        src = (el.get("src") or "").strip().split("?", 1)[0].split("#", 1)[0]
        if not src or _SCHEME.match(src) or src.startswith(("/", "{")):
            continue
        for base in (folder, src_dir):
            path = (base / src).resolve()
            # Confined: only files inside the template sources are read.
            if path.is_relative_to(src_dir) and path.is_file():
                try:
                    info = read_image_info(path)
                except OSError:
                    info = None
                if info is not None:
                    found.append((el, path, info))
                break
    return found


def _limits(ctx: Context) -> Deliverability:
    return ctx.config.deliverability if ctx.config is not None else Deliverability()


def _kb(size: float) -> str:
    return f"{size / 1024:.0f} KB"


@rule("KM809", "image-too-heavy", "warning")
def image_too_heavy(ctx: Context) -> Iterator[Finding]:
    """A local image file weighs more than `[deliverability] max_image_kb` (200 KB unless set).

    What it does:
        Measures each image file the body references from the template sources (for example
        `src="../_assets/hero.png"`) and compares its size with max_image_kb in kmsg.toml.
    Why:
        Every reader downloads every image, often on a phone network; heavy images load late
        or not at all, and Gmail's image proxy gives up on very large files.
    Bad:
        <img src="../_assets/hero.png" width="600" height="300" alt="">   (a 1.4 MB photo as PNG)
    Good:
        <img src="../_assets/hero.jpg" width="600" height="300" alt="">   (the same photo, 90 KB JPEG)
    """
    limit = _limits(ctx).max_image_kb
    for el, path, info in _local_images(ctx):
        if limit is not None and info.bytes > limit * 1024:
            yield Finding(
                f"image {path.name} weighs {_kb(info.bytes)} (> {limit:g} KB [deliverability] max_image_kb)",
                ctx.at_element(el),
            )


@rule("KM810", "images-over-budget", "warning")
def images_over_budget(ctx: Context) -> Iterator[Finding]:
    """The local images of a template weigh more than `[deliverability] max_total_kb` (800 KB unless set) together.

    What it does:
        Adds up the sizes of the distinct image files the body references from the template
        sources and compares the total with max_total_kb in kmsg.toml.
    Why:
        The message's weight is what the reader waits for: past a few hundred kilobytes it shows
        as blank boxes on slow networks, and mobile readers pay for it.
    Bad:
        Eight 200 KB product photos in one newsletter.
    Good:
        Four photos, each compressed to under 100 KB.
    """
    limit = _limits(ctx).max_total_kb
    images = _local_images(ctx)
    sizes = {path: info.bytes for _, path, info in images}
    total = sum(sizes.values())
    if limit is not None and images and total > limit * 1024:
        yield Finding(
            f"the template's {len(sizes)} images weigh {_kb(total)} together "
            f"(> {limit:g} KB [deliverability] max_total_kb)",
            ctx.at_element(images[0][0]),
        )


def displayed_width(el: etree._Element) -> float | None:
    """The width in px an image is shown at: its width attribute, else its inline CSS width."""
    for value in (el.get("width"), style_declarations(el.get("style") or "").get("width")):
        m = _PX.match((value or "").strip())
        if m and float(m.group(1)) > 0:
            return float(m.group(1))
    return None


@rule("KM811", "image-resolution", "warning")
def image_resolution(ctx: Context) -> Iterator[Finding]:
    """A local image has fewer than 2 or more than 3 pixels per displayed pixel.

    What it does:
        Compares the pixel width of each local image file with the width it is shown at (its
        `width` attribute or inline CSS width, in px).
    Why:
        Phones and most laptops have screens of two or three device pixels per CSS pixel: an
        image with fewer looks blurred, and one with more is weight the reader downloads for
        nothing.
    Bad:
        <img src="../_assets/logo.png" width="200" alt="Acme">   (logo.png is 200 px wide)
    Good:
        <img src="../_assets/logo.png" width="200" alt="Acme">   (logo.png is 400 px wide)
    """
    for el, path, info in _local_images(ctx):
        shown = displayed_width(el)
        if shown is None:
            continue
        ratio = info.width / shown
        if ratio < RETINA_MIN:
            yield Finding(
                f"image {path.name} is {info.width} px wide, shown at {shown:g} px ({ratio:.1f}x): blurred on "
                f"high-density screens; use {RETINA_MIN * shown:.0f} px or more",
                ctx.at_element(el),
            )
        elif ratio > RETINA_MAX:
            yield Finding(
                f"image {path.name} is {info.width} px wide, shown at {shown:g} px ({ratio:.1f}x): "
                f"{RETINA_MAX * shown:.0f} px is enough",
                ctx.at_element(el),
            )


@rule("KM812", "image-without-dimensions", "warning")
def image_without_dimensions(ctx: Context) -> Iterator[Finding]:
    """An image has no `width` or no `height` attribute.

    What it does:
        Finds `<img>` elements without a width attribute or without a height attribute (a
        value of `auto` counts); CSS widths do not count.
    Why:
        Outlook for Windows ignores CSS sizes on images and shows them at their file's pixel
        size, so a 1200 px retina image breaks a 600 px layout; without a height, clients that
        block images collapse the space, and the layout jumps when they load.
    Bad:
        <img src="https://events.example.com/hero.jpg" style="width:100%" alt="">
    Good:
        <img src="https://events.example.com/hero.jpg" width="600" height="300" style="width:100%;height:auto" alt="">
    """
    for el in ctx.by_tag("img"):
        missing = [a for a in ("width", "height") if not (el.get(a) or "").strip()]
        if missing:
            yield Finding(f"<img> has no {' or '.join(missing)} attribute (Outlook needs them)", ctx.at_element(el))


@rule(
    "KM813",
    "animated-gif-too-large",
    "warning",
    options={"max-kb": Option("int", 500, "largest animated GIF, in KB")},
)
def animated_gif_too_large(ctx: Context) -> Iterator[Finding]:
    """A local animated GIF weighs more than `max-kb` (500 KB unless set).

    What it does:
        Counts the frames of each local GIF file and reports an animated one heavier than the
        rule's max-kb option.
    Why:
        Animated GIFs are the heaviest images in email: the whole file loads before the first
        frame is useful on slow networks, and Outlook for Windows shows only the first frame
        anyway, so the message must make sense without the rest.
    Bad:
        <img src="../_assets/countdown.gif" width="600" height="200" alt="">   (3 MB, 120 frames)
    Good:
        <img src="../_assets/countdown.gif" width="600" height="200" alt="">   (300 KB, 12 frames)
    """
    limit = int(ctx.options.get("max-kb", 500))
    for el, path, info in _local_images(ctx):
        if info.format == "gif" and info.animated and info.bytes > limit * 1024:
            yield Finding(
                f"animated GIF {path.name} ({info.frames} frames) weighs {_kb(info.bytes)} (> {limit} KB)",
                ctx.at_element(el),
            )
