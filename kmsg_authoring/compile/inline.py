"""CSS inlining behind one function, with css-inline (default) or premailer."""

from __future__ import annotations

from kmsg_authoring.source.config import INLINERS
from kmsg_authoring.errors import BuildError

_css_inliner = None


def _css_inline(html: str) -> str:
    global _css_inliner
    import css_inline

    if _css_inliner is None:
        # keep_style_tags + remove_inlined_selectors: what cannot be inlined (@media, @font-face,
        # pseudo-classes, client-targeting selectors) stays in <style> in the head; the rest moves
        # onto the elements. Nothing is fetched: remote stylesheets are rejected or kept untouched.
        _css_inliner = css_inline.CSSInliner(
            keep_style_tags=True,
            remove_inlined_selectors=True,
            keep_link_tags=True,
            load_remote_stylesheets=False,
        )
    try:
        return str(_css_inliner.inline(html))
    except (ValueError, css_inline.InlineError) as exc:
        raise BuildError(f"CSS inlining failed (css-inline): {exc}") from None


def _premailer(html: str) -> str:
    import logging

    import premailer

    try:
        return str(
            premailer.Premailer(
                html,
                keep_style_tags=True,
                strip_important=False,
                remove_classes=False,
                disable_validation=True,
                disable_link_rewrites=True,
                allow_network=False,
                allow_loading_external_files=False,
                cssutils_logging_level=logging.CRITICAL,
            ).transform()
        )
    except Exception as exc:  # noqa: BLE001 - premailer raises whatever its CSS parser or lxml raises
        raise BuildError(f"CSS inlining failed (premailer): {type(exc).__name__}: {exc}") from None


def inline_css(html: str, engine: str = "css-inline") -> str:
    """Inline the <style> rules of an HTML document into style attributes."""
    if engine == "css-inline":
        return _css_inline(html)
    if engine == "premailer":
        return _premailer(html)
    raise BuildError(f"unknown CSS inliner '{engine}' (one of {', '.join(INLINERS)})")
