"""Smaller HTML without changing what renders: minify-html on the inlined body, Outlook's conditional comments kept.

Runs after CSS inlining on the body that still carries the compiler's element marks and token
placeholders, so the source map and the token references are made from the minified text as from
any other. minify-html keeps `<pre>` and the white space that renders between inline content, and
minifies the CSS of `<style>` blocks. It would drop every comment: the designer's notes are removed
here first, and the conditional comments Outlook reads (`<!--[if mso]>...<![endif]-->`, and the
`<!--[if !mso]><!-->...<!--<![endif]-->` pair) are kept as written. Attribute values holding a token
stay quoted: the value the API puts there (a URL with `&` and `=`) needs the quotes.
"""

from __future__ import annotations

import re

from kmsg_authoring.compile.tokens import PLACEHOLDER_PREFIX
from kmsg_authoring.compile.types import MARK_ATTR

# Outlook's conditional comments: a hidden block <!--[if mso]>...<![endif]-->, or one half of a revealed
# pair, <!--[if !mso]><!--> and <!--<![endif]-->. minify-html mangles the pair, so each is set aside as
# a word while it runs and put back after.
_CONDITIONAL = re.compile(r"<!--\[if[^\]]*\]>(?:<!-->|.*?<!\[endif\]-->)|<!--<!\[endif\]-->", re.DOTALL | re.IGNORECASE)
_HELD = re.compile(r"kmsgcc(\d+)q")
# White space alone between two inline elements renders as a space, but minify-html drops it inside
# <body> and <div>: it is set aside as a word too. Every element but these block and table ones is
# inline here (custom elements, such as unconverted Inky tags, are inline in browsers).
_BLOCK = (
    r"(?:html|head|body|div|p|table|tbody|thead|tfoot|tr|td|th|caption|colgroup|col|center|h[1-6]|ul|ol|li|"
    r"dl|dt|dd|blockquote|pre|hr|br|form|section|article|header|footer|nav|main|aside|figure|figcaption|"
    r"style|script|meta|link|title|base|noscript|address|fieldset|legend|details|summary|menu|o:p)"
)
_INLINE_GAP = re.compile(
    rf"(</(?!{_BLOCK}\s*>)[a-z][\w:-]*\s*>|<img\b[^>]*>)(\s+)(?=<(?!{_BLOCK}[\s>/])[a-z])", re.IGNORECASE
)
_PLAIN_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# An unquoted attribute value holding a token placeholder, or an unquoted element mark.
_UNQUOTED = re.compile(
    rf"""(\s(?:{MARK_ATTR}|[^\s"'=<>/`]+))=([^\s"'=<>`]*{PLACEHOLDER_PREFIX}\d+q[^\s"'=<>`]*|\d+)(?=[\s/>])"""
)


def _requote(m: re.Match[str]) -> str:
    name, value = m.group(1), m.group(2)
    if value.isdigit() and name.strip() != MARK_ATTR:
        return m.group(0)
    return f'{name}="{value}"'


def minify(html: str) -> str:
    """The HTML minified: plain comments, white space that does not render and CSS white space removed."""
    import minify_html

    held: list[str] = []

    def hold(m: re.Match[str]) -> str:
        held.append(m.group(0))
        return f"kmsgcc{len(held) - 1}q"

    def hold_gap(m: re.Match[str]) -> str:
        held.append(m.group(2))
        return f"{m.group(1)}kmsgcc{len(held) - 1}q"

    kept = _INLINE_GAP.sub(hold_gap, _PLAIN_COMMENT.sub("", _CONDITIONAL.sub(hold, html)))
    small = minify_html.minify(
        kept,
        keep_closing_tags=True,
        keep_html_and_head_opening_tags=True,
        minify_css=True,
        minify_doctype=False,
    )
    return _HELD.sub(lambda m: held[int(m.group(1))], _UNQUOTED.sub(_requote, small))
