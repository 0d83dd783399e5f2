"""CSS inlining behind one function, with css-inline (default) or premailer."""

from __future__ import annotations

import re

from kmsg_authoring.source.config import INLINERS
from kmsg_authoring.errors import BuildError

_css_inliner = None
# What precedes <html>: a byte order mark, whitespace, an XML declaration, the doctype, comments.
# The doctype decides the rendering mode (an XHTML 1.0 Transitional doctype is "almost standards":
# images in table cells get no gap below them), so it is kept exactly as the designer wrote it.
_PROLOG = re.compile(r"\A\ufeff?(?:\s|<!--.*?-->|<![^>]*>|<\?[^>]*>)*", re.DOTALL)
_HTML_TAG = re.compile(r"<html\b(?:\"[^\"]*\"|'[^']*'|[^'\">])*>", re.IGNORECASE)
# premailer copies these CSS properties into HTML attributes (height:auto becomes height="auto",
# which collapses an image's placeholder when images are blocked); the CSS already says it.
_PREMAILER_ATTRIBUTES = ["align", "valign", "bgcolor", "width", "height"]


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
                disable_basic_attributes=_PREMAILER_ATTRIBUTES,
                align_floating_images=False,
                allow_network=False,
                allow_loading_external_files=False,
                cssutils_logging_level=logging.CRITICAL,
            ).transform(pretty_print=False)
        )
    except Exception as exc:  # noqa: BLE001 - premailer raises whatever its CSS parser or lxml raises
        raise BuildError(f"CSS inlining failed (premailer): {type(exc).__name__}: {exc}") from None


_STYLE_ATTR = re.compile(r"""\sstyle\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+)""", re.IGNORECASE)


def _with_style(source_tag: str, output_tag: str) -> str:
    """The source's <html> start tag with the style attribute the inliner gave it (`html { ... }` rules
    are inlined there and taken out of the stylesheet, so dropping it would lose them)."""
    out_style = _STYLE_ATTR.search(output_tag)
    if out_style is None:
        return source_tag
    src_style = _STYLE_ATTR.search(source_tag)
    if src_style is not None:
        return source_tag[: src_style.start()] + out_style.group(0) + source_tag[src_style.end() :]
    end = len(source_tag) - 1 - (source_tag.endswith("/>"))
    return source_tag[:end].rstrip() + out_style.group(0) + source_tag[end:]


def keep_document_frame(source: str, output: str) -> str:
    """The inliner's output with everything the source has before <html> and its <html> start tag.

    Both inliners rewrite them: the doctype becomes <!DOCTYPE html> (or is dropped), and a document
    without one gets one. What precedes <html> (doctype with its case and line breaks, comments,
    XML declaration) and the <html> element's attributes (xmlns:v, xmlns:o, lang, dir) are the
    source's, byte for byte, but for the style attribute, which is the inliner's; a source without
    a doctype gets none.
    """
    src_prolog = _PROLOG.match(source)
    out_prolog = _PROLOG.match(output)
    src_end = src_prolog.end() if src_prolog else 0
    out_end = out_prolog.end() if out_prolog else 0
    rest = output[out_end:]
    src_tag = _HTML_TAG.match(source, src_end)
    out_tag = _HTML_TAG.match(output, out_end)
    if src_tag is not None and out_tag is not None:
        rest = _with_style(src_tag.group(0), out_tag.group(0)) + output[out_tag.end() :]
    return source[:src_end] + rest


def inline_css(html: str, engine: str = "css-inline", preserve_cascade: bool = True) -> str:
    """Inline the <style> rules of an HTML document into style attributes; the document frame is kept.

    With preserve_cascade, each @media/@supports declaration that wins on an element before
    inlining and would lose to what the inliner puts on it is first made !important in the
    stylesheet (compile.cascade), so that it still wins; a document without one is inlined as is.
    """
    if preserve_cascade:
        from kmsg_authoring.compile.cascade import analyse, promote

        analysis = analyse(html)
        if analysis.promote:
            html = promote(html, analysis)
    if engine == "css-inline":
        return keep_document_frame(html, _css_inline(html))
    if engine == "premailer":
        # lxml refuses a str that starts with an XML declaration naming an encoding; the prolog is
        # put back from the source anyway.
        prolog = _PROLOG.match(html)
        return keep_document_frame(html, _premailer(html[prolog.end() :] if prolog else html))
    raise BuildError(f"unknown CSS inliner '{engine}' (one of {', '.join(INLINERS)})")
