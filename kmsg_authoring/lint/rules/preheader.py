"""The preheader: the line an inbox shows after the subject."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kmsg_authoring.compile.preheader import inbox_preview, text_runs
from kmsg_authoring.lint.context import Context, Finding
from kmsg_authoring.lint.registry import Option, rule
from kmsg_authoring.model import TOKEN_RE, token_facts

# The first words of the layout chrome that ends up in the inbox when nothing is written for it.
_CHROME = re.compile(
    r"\A(?:view (?:this (?:email|message) )?(?:in (?:your |a )?browser|online|as a web ?page)|web version|"
    r"having trouble (?:viewing|reading)|(?:if you )?(?:can(?:no|')t|cannot) (?:see|view|read)|"
    r"click here to view|email not displaying|unsubscribe)",
    re.IGNORECASE,
)
_MENU_ITEMS = 3  # this many one-to-three-word texts from different cells or links open the body: a menu
_PUNCT = re.compile(r"[^\w{}.]+")


def _norm(text: str) -> str:
    return _PUNCT.sub(" ", text).strip().casefold()


@rule(
    "KM808",
    "weak-preheader",
    "warning",
    options={"min-length": Option("int", 20, "shortest useful preheader, in characters (tokens as written)")},
)
def weak_preheader(ctx: Context) -> Iterator[Finding]:
    """The inbox preview line (the preheader) is missing, too short, the subject again, layout text or a bare name.

    What it does:
        Reads what an inbox shows after the subject: a hidden preheader at the top of the body
        (display:none, max-height:0 with overflow:hidden, opacity:0, mso-hide:all), else the body's
        first visible text. Reports an empty preview; a preheader shorter than `min-length`
        characters; a preview that repeats the subject; a preview that begins with a recipient
        token ({recipient.firstName}...), which is empty for recipients without that field; and a
        body without a preheader, whose preview is whatever text comes first: layout text ("View in
        browser", "Having trouble viewing", "Unsubscribe"), the items of a menu, or a heading.
    Why:
        After the sender and subject, the preview is what decides whether a message is opened.
        Gmail shows about 100 characters of it and iOS Mail two lines; an empty one shows the
        first text of the layout, and a repeated subject wastes the line.
    Bad:
        <body><table><tr><td><a href="https://events.example.com/web">View in browser</a></td></tr>...
    Good:
        <body><div style="display:none;max-height:0;overflow:hidden">Doors open at 9, your ticket is
        inside.</div><table>...
    """
    root = ctx.body_root
    preview = inbox_preview(root)
    anchor = preview.element if preview.element is not None else next(iter(ctx.by_tag("body")), None)
    where = ctx.at_element(anchor) if anchor is not None else ctx.compiled.body_location
    if not preview.text:
        yield Finding("the inbox preview is empty: the body has no text; add a preheader", where)
        return
    shown = preview.own if preview.explicit else preview.text
    minimum = int(ctx.options.get("min-length", 20))
    if preview.explicit and len(shown) < minimum:
        yield Finding(f"preheader is short ({len(shown)} < {minimum} characters): '{shown}'", where)
    subject = str(ctx.payload.get("subject") or "")
    if subject.strip() and _norm(shown).startswith(_norm(subject)):
        yield Finding(f"the inbox preview repeats the subject: '{shown[:60]}'", where)
    first = TOKEN_RE.match(shown)
    if first is not None:
        facts = token_facts(ctx.declared.get(first.group(1)))
        if facts is not None and facts.has_fields:
            yield Finding(
                f"the inbox preview begins with {first.group(0)}, which is empty for a recipient without "
                "that field: start with words, e.g. 'Your ticket, {name}'",
                where,
            )
    if preview.explicit:
        return
    if _CHROME.match(shown):
        yield Finding(f"the inbox preview is layout text: '{shown[:60]}'; add a preheader", where)
        return
    opening: list[object] = []
    for text, el, hidden in text_runs(root):
        words = text.split()
        if hidden or not words:
            continue
        if len(words) > 3 or len(opening) == _MENU_ITEMS:
            break
        opening.append(el)
    if len(opening) == _MENU_ITEMS and len(set(opening)) == _MENU_ITEMS:
        yield Finding(f"the inbox preview is the first words of the layout: '{shown[:60]}'; add a preheader", where)
        return
    yield Finding(
        f"no preheader: the inbox shows the body's first text, '{shown[:60]}'; add a hidden preheader that "
        "says what the email is for",
        where,
    )
