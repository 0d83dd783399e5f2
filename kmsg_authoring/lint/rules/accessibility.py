"""KM901-KM909: accessibility of the rendered email, reported by `kmsg-author a11y` (axe-core in Chromium).

These rules judge the email as a browser lays it out for a recipient (colours, computed font sizes,
the accessibility tree), so the linter does not run them; they sit in the catalog so that they are
documented by `kmsg-author rules`, listed in SARIF, and configured under [lint] like any other rule.
"""

from __future__ import annotations

from kmsg_authoring.lint.registry import Option, Rule, add_rule


# The catalog code of each axe-core rule that applies to email, filled in by the rules below (each
# names the axe-core rules it reports). Landmark, region, bypass and page-title rules are left out:
# mail clients wrap the message in their own page.
AXE_RULES: dict[str, str] = {}
# The rules measured by kmsg-author's own script in the page rather than by axe-core.
LAYOUT_TABLE, SMALL_TEXT = "KM906", "KM907"


def _add(
    code: str,
    name: str,
    severity: str,
    doc: str,
    options: dict[str, Option] | None = None,
    axe: tuple[str, ...] = (),
) -> None:
    add_rule(Rule(code=code, name=name, severity=severity, check=None, doc=doc, options=options or {}))
    A11Y_CODES.append(code)
    AXE_RULES.update(dict.fromkeys(axe, code))


# Every rule of this family, in catalog order.
A11Y_CODES: list[str] = []


_add(
    "KM901",
    "low-contrast-text",
    "error",
    """Text does not stand out enough from its background.

What it does:
    Measures the contrast between each piece of text and the background it is drawn on, as
    laid out for each recipient, width and colour scheme (axe-core's color-contrast), and
    reports text below 4.5:1 (3:1 for large text), as WCAG 2 AA requires.
Why:
    Readers with low vision, on a phone in sunlight or in a dark-mode client that keeps some
    colours and not others cannot read faint text. Footers and "muted" text are the usual
    offenders, and dark mode often turns a fine pair of colours into an unreadable one.
Bad:
    <p style="color:#b0b0b0">Your ticket code is AC26-0042</p>
Good:
    <p style="color:#595959">Your ticket code is AC26-0042</p>
""",
    axe=("color-contrast",),
)

_add(
    "KM902",
    "image-without-text-alternative",
    "error",
    """An image has no text alternative.

What it does:
    Reports images without an alt attribute (or an empty role="img"/SVG name) in the rendered
    email (axe-core's image-alt, role-img-alt, input-image-alt, area-alt, svg-img-alt).
Why:
    Screen readers read the file name instead, and many mail clients block images by default:
    the alt text is then all that any reader sees.
Bad:
    <img src="https://example.com/banner.png" width="600" height="200">
Good:
    <img src="https://example.com/banner.png" width="600" height="200" alt="Annual Conference, 12 May">
    <img src="https://example.com/spacer.gif" width="1" height="1" alt="">   (decoration)
""",
    axe=("image-alt", "role-img-alt", "input-image-alt", "area-alt", "svg-img-alt"),
)

_add(
    "KM903",
    "link-without-name",
    "error",
    """A link has no text a screen reader can announce.

What it does:
    Reports links whose accessible name is empty: an image link without alt, an icon-only link,
    an empty anchor (axe-core's link-name).
Why:
    A screen reader announces such a link as "link" or reads its URL; the reader cannot tell
    where it leads, and a call to action is lost.
Bad:
    <a href="{joinLink}"><img src="https://example.com/join.png" width="200" height="48"></a>
Good:
    <a href="{joinLink}"><img src="https://example.com/join.png" width="200" height="48" alt="Join the event"></a>
""",
    axe=("link-name",),
)

_add(
    "KM904",
    "heading-order",
    "warning",
    """Headings skip a level or are empty.

What it does:
    Reports a heading more than one level below the previous one (an h1 followed by an h4) and
    headings without text (axe-core's heading-order and empty-heading).
Why:
    Screen reader users move through an email by its headings; skipped levels and empty
    headings make the structure read as missing parts.
Bad:
    <h1>Your registration</h1> <h4>What to bring</h4>
Good:
    <h1>Your registration</h1> <h2>What to bring</h2>
""",
    axe=("heading-order", "empty-heading"),
)

_add(
    "KM905",
    "missing-language",
    "error",
    """The email does not declare its language, or declares an invalid one.

What it does:
    Reports an html element without lang, or a lang that is not a valid language tag
    (axe-core's html-has-lang, html-lang-valid and valid-lang).
Why:
    Screen readers choose their pronunciation by the language; without it an English voice
    reads a German email. Some webmail clients keep the attribute on the message container.
Bad:
    <html>
Good:
    <html lang="en">
""",
    axe=("html-has-lang", "html-lang-valid", "valid-lang"),
)

_add(
    "KM906",
    "layout-table-without-presentation-role",
    "error",
    """A table used for layout is not marked role="presentation".

What it does:
    Reports tables without role="presentation" (or "none") that have no header cells, caption
    or thead, that is, tables that lay out the email rather than hold data. An email-specific
    check that axe-core does not make.
Why:
    Screen readers announce every table with its rows and columns ("table, 3 rows, 1 column")
    before reading its content; an email built of nested layout tables becomes a maze of such
    announcements.
Bad:
    <table width="100%" cellpadding="0" cellspacing="0"><tr><td>...</td></tr></table>
Good:
    <table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td>...</td></tr></table>
""",
)

_add(
    "KM907",
    "text-too-small",
    "warning",
    """Text is rendered smaller than the minimum font size.

What it does:
    Reports visible text whose computed font size is below `min-size` pixels (13 by default)
    at any snapshot width. An email-specific check that axe-core does not make.
Why:
    Small text is hard to read on phones, and iOS Mail enlarges text under 13 px by itself,
    which breaks layouts that depend on it.
Bad:
    <p style="font-size:10px">Unsubscribe</p>
Good:
    <p style="font-size:13px">Unsubscribe</p>
""",
    {"min-size": Option("int", 13, "smallest font size in px that is not reported")},
)

_add(
    "KM908",
    "link-only-distinguished-by-colour",
    "warning",
    """A link inside text differs from the text by colour alone.

What it does:
    Reports links in a paragraph that are not underlined (or otherwise marked) and whose colour
    is too close to the surrounding text's (axe-core's link-in-text-block).
Why:
    Readers who do not see the colour difference cannot find the link.
Bad:
    <p>Read the <a href="..." style="text-decoration:none;color:#333">agenda</a> first.</p>
Good:
    <p>Read the <a href="..." style="text-decoration:underline">agenda</a> first.</p>
""",
    axe=("link-in-text-block",),
)

_add(
    "KM909",
    "zoom-disabled",
    "warning",
    """The viewport meta element stops readers from zooming.

What it does:
    Reports a meta viewport with user-scalable=no or a maximum-scale below 2 (axe-core's
    meta-viewport).
Why:
    Readers with low vision zoom into emails on their phones; mail apps that honour the
    element take that away.
Bad:
    <meta name="viewport" content="width=device-width, initial-scale=1, user-scalable=no">
Good:
    <meta name="viewport" content="width=device-width, initial-scale=1">
""",
    axe=("meta-viewport",),
)
