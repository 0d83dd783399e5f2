"""The body's size against Gmail's clipping point."""

from __future__ import annotations

from collections.abc import Iterator

from kmsg_authoring.lint.context import Context, Finding
from kmsg_authoring.lint.registry import rule
from kmsg_authoring.lint.sizing import expanded_bytes, kib
from kmsg_authoring.model import GMAIL_CLIP_BYTES


@rule("KM509", "body-too-large", "warning")
def body_too_large(ctx: Context) -> Iterator[Finding]:
    """The body may be larger than Gmail shows before clipping it.

    What it does:
        Measures the compiled body in UTF-8 bytes with each token at a realistic worst-case
        length (a User field 254 bytes, a String 500, a MagicLink 800, an UnsubscribeUri 400, a
        JwtQrCode 1200) and compares it with Gmail's clipping size, 102 KB.
    Why:
        Gmail cuts longer messages and shows "View entire message": the rest, often the footer
        and its unsubscribe link, is not seen, and open tracking stops working.
    Bad:
        A 110 KB newsletter with inlined CSS repeated on every cell.
    Good:
        A body under 102 KB: fewer sections, CSS classes kept in <style>, no whitespace padding;
        `[build] minify = true` in kmsg.toml removes the white space and comments that do not render,
        `remove_unused_css = true` the style rules that match nothing (the message then gives the
        size before and after).
    """
    size = expanded_bytes(ctx)
    if size > GMAIL_CLIP_BYTES:
        before = ctx.compiled.unminified_bytes
        saved = ""
        if before is not None:
            unminified = size + before - len(ctx.compiled.body.encode("utf-8"))
            config = ctx.config
            steps = " and ".join(k for k in ("minify", "remove_unused_css") if config is None or getattr(config, k))
            saved = f"; {kib(unminified)} before [build] {steps}"
        yield Finding(
            f"body may be clipped by Gmail ({kib(size)} > {kib(GMAIL_CLIP_BYTES)} with tokens at worst-case "
            f"length{saved})",
            ctx.compiled.body_location,
        )
