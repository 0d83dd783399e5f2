"""Outlook for Windows, conditional markup: MSO conditional comments and the VML inside them.

A conditional comment that does not close swallows the email up to the next `-->`, and VML without
its namespace is not drawn. These rules (KM647, KM648) read the compiled body's comments in order
and run only when the targeted clients include Outlook for Windows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kmsg_authoring.lint.context import Context, Finding
from kmsg_authoring.lint.registry import rule
from kmsg_authoring.lint.word_view import (
    CLOSER,
    CONDITION,
    ENDIF_TAIL,
    REVEALED_TAIL,
    condition,
    reads_mso,
    targets_outlook,
)

_VML_START = re.compile(r"<v:([a-z]+)\b((?:\"[^\"]*\"|'[^']*'|[^'\">])*)>", re.IGNORECASE)
_XMLNS_V = re.compile(r"\bxmlns:v\s*=", re.IGNORECASE)
_HTML_TAG = re.compile(r"<html\b((?:\"[^\"]*\"|'[^']*'|[^'\">])*)>", re.IGNORECASE)
VML_NS = 'xmlns:v="urn:schemas-microsoft-com:vml"'


@rule("KM647", "mso-conditional-malformed", "warning")
def conditional_malformed(ctx: Context) -> Iterator[Finding]:
    """An MSO conditional comment is unbalanced or malformed.

    What it does:
        Follows the conditional comments of the compiled body: an `<!--[if mso]>` must end with
        `<![endif]-->` before any other comment starts, an `<!--[if !mso]><!-->` must be closed by
        `<!--<![endif]-->`, no `<![endif]-->` may stand outside a comment, and the condition must be
        written `[if EXPRESSION]>`. It also reports `<!--[if !mso]> ... <![endif]-->`, which hides
        its content from every client.
    Why:
        A conditional comment that does not close swallows the email up to the next `-->`: a
        ghost table's closing tags, or the whole rest of the message, vanish in one client or in
        all of them.
    Bad:
        <!--[if mso]><table role="presentation" width="600"><tr><td>
        <div style="max-width: 600px;">...</div>
        <!--[if mso]></td></tr></table><![endif]-->
    Good:
        <!--[if mso]><table role="presentation" width="600"><tr><td><![endif]-->
        <div style="max-width: 600px;">...</div>
        <!--[if mso]></td></tr></table><![endif]-->
    """
    if not targets_outlook(ctx):
        return
    html = ctx.compiled.marked_body
    revealed: int | None = None  # offset of the open <!--[if !mso]><!-->
    for m in ctx.lexed(html):
        text = m.group(0)
        if text.startswith("<!--"):
            closed = text.endswith("-->") and len(text) >= 7
            inner = text[4:-3] if closed else text[4:]
            expr = condition(inner)
            if expr is not None:
                rest = inner[CONDITION.match(inner).end() :]  # type: ignore[union-attr]
                if REVEALED_TAIL.match(rest):
                    if revealed is not None:
                        yield _unclosed(ctx, revealed)
                    revealed = m.start()
                elif closed and re.search(r"<!--\s*<!\[endif\]\s*\Z", rest, re.IGNORECASE):
                    yield Finding(
                        f"'<!--[if {expr}]>' is closed by '<!--<![endif]-->', the closing of '<!--[if !mso]><!-->': "
                        "Word reads a stray '<!--' inside the conditional; close it with '<![endif]-->'",
                        ctx.at_offset(m.start()),
                    )
                elif not closed or not ENDIF_TAIL.search(rest) or "<!--" in rest:
                    yield Finding(
                        f"'<!--[if {expr}]>' has no '<![endif]-->' before the next comment ends: everything "
                        "up to there is hidden or shown by mistake; end the conditional with '<![endif]-->'",
                        ctx.at_offset(m.start()),
                    )
                elif expr.startswith("!mso"):
                    yield Finding(
                        f"'<!--[if {expr}]> ... <![endif]-->' hides its content from every client; to hide it "
                        "from Outlook only write '<!--[if !mso]><!-->' ... '<!--<![endif]-->'",
                        ctx.at_offset(m.start()),
                    )
            elif CLOSER.match(inner):
                if revealed is None:
                    yield Finding(
                        "'<!--<![endif]-->' closes no '<!--[if !mso]><!-->'; remove it or add the opening",
                        ctx.at_offset(m.start()),
                    )
                revealed = None
            elif re.match(r"\s*\[\s*(?:if\b|endif\b)", inner, re.IGNORECASE) or re.match(
                r"\s*<!\[if\b", inner, re.IGNORECASE
            ):
                yield Finding(
                    f"malformed conditional comment '{' '.join(text.split())[:40]}': write "
                    "'<!--[if mso]>' ... '<![endif]-->' or '<!--[if !mso]><!-->' ... '<!--<![endif]-->'",
                    ctx.at_offset(m.start()),
                )
        elif text.startswith("<![") and m.lastgroup is None:
            low = text.lower().replace(" ", "")
            if low.startswith("<![if"):
                if revealed is not None:
                    yield _unclosed(ctx, revealed)
                revealed = m.start()
            elif low.startswith("<![endif]--"):
                yield Finding(
                    "'<![endif]-->' outside a conditional comment: the '<!--[if ...]>' before it was ended "
                    "early by a '-->' inside it; remove the inner '-->' (or the stray '<![endif]-->')",
                    ctx.at_offset(m.start()),
                )
            elif low.startswith("<![endif]"):
                revealed = None
    if revealed is not None:
        yield _unclosed(ctx, revealed)


def _unclosed(ctx: Context, offset: int) -> Finding:
    return Finding(
        "'<!--[if !mso]><!-->' is not closed by '<!--<![endif]-->' before the next conditional: Outlook for "
        "Windows hides everything after it; add '<!--<![endif]-->' where the hidden part ends",
        ctx.at_offset(offset),
    )


@rule("KM648", "vml-without-namespace", "warning")
def vml_without_namespace(ctx: Context) -> Iterator[Finding]:
    """VML (`<v:rect>`, `<v:roundrect>`...) is used without declaring `xmlns:v`.

    What it does:
        Finds VML elements in `<!--[if mso]>` comments and checks that the VML namespace is
        declared: `xmlns:v="urn:schemas-microsoft-com:vml"` on the `<html>` element, or on the
        first VML element of the comment.
    Why:
        Without the declaration Word does not know the `v:` elements: the bulletproof button or
        background image is simply not drawn in Outlook.
    Bad:
        <html lang="en">...<!--[if mso]><v:roundrect href="{joinLink}" ...>...<![endif]-->
    Good:
        <html lang="en" xmlns:v="urn:schemas-microsoft-com:vml">
        ...<!--[if mso]><v:roundrect href="{joinLink}" ...>...<![endif]-->
    """
    if not targets_outlook(ctx):
        return
    html = ctx.compiled.marked_body
    head = _HTML_TAG.search(html)
    if head is not None and _XMLNS_V.search(head.group(1)):
        return
    for m in ctx.lexed(html):
        text = m.group(0)
        if not text.startswith("<!--") or "<v:" not in text.lower():
            continue
        expr = condition(text[4:])
        if expr is None or not reads_mso(expr):
            continue
        first = _VML_START.search(text)
        if first is None or _XMLNS_V.search(first.group(2)):
            continue
        yield Finding(
            f"VML <v:{first.group(1).lower()}> without the VML namespace: Outlook for Windows does not draw it; "
            f"add {VML_NS} to <html> (or to this element)",
            ctx.at_offset(m.start() + first.start()),
        )
