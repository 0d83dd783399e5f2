"""Client support from the Can I email data: CSS, at-rules, selectors, HTML and image formats that a
targeted mail client does not support (`[lint] clients`, default: the clients most mail is opened in)."""

from __future__ import annotations

from collections.abc import Iterator

from kmsg_authoring.lint.caniemail import HARMLESS, LINK_FEATURE
from kmsg_authoring.lint.context import Context, Finding
from kmsg_authoring.lint.scan_memo import AT_RULE, CSS, HTML, IMAGE, SELECTOR, Use
from kmsg_authoring.lint.features import scanned, support, targeted
from kmsg_authoring.lint.registry import Option, rule


def _options(ignore: tuple[str, ...] = ()) -> dict[str, Option]:
    return {
        "ignore": Option("list[str]", list(ignore), "Can I email feature slugs not to report (css-display-flex)"),
        "partial": Option("bool", False, "also report features that targeted clients support only partially"),
    }


def check(ctx: Context, kind: str) -> Iterator[Finding]:
    """Findings for the uses of one kind: one per feature and file, at its first use there."""
    from kmsg_authoring.lint.caniemail import load

    data = load()
    clients = targeted(ctx)
    ignore = set(ctx.options.get("ignore", []))
    report_partial = bool(ctx.options.get("partial", False))
    found = scanned(ctx)
    # A remote stylesheet's <link> is remote-stylesheet's finding (KM602), with the same clients.
    reported_links: set[str | None] = set()
    if kind == HTML:
        from kmsg_authoring.compile.types import MARK_ATTR
        from kmsg_authoring.lint.rules.inlining import remote_stylesheets

        reported_links = {el.get(MARK_ATTR) for el in remote_stylesheets(ctx)}
    table = support(data, clients)
    by_place: dict[tuple[str, str], list[tuple[Use, list[str], list[str]]]] = {}
    for use in found.of_kind(kind):
        if use.feature in ignore:
            continue
        if use.feature == LINK_FEATURE and use.mark is not None and use.mark in reported_links:
            continue
        missing, partial = table.verdict(use)
        if not missing and not (partial and report_partial):
            continue
        by_place.setdefault((use.feature, found.at(use).path), []).append((use, missing, partial))
    for (slug, _), places in by_place.items():
        feature = data.features[slug]
        first = places[0][0]
        missing = sorted({c for _, m, _ in places for c in m}, key=clients.index)
        partial = sorted({c for _, m, p in places for c in p} - set(missing), key=clients.index)
        more = f" (+{len(places) - 1} more in this file)" if len(places) > 1 else ""
        title = f" ({feature.title})" if feature.title.lower() not in first.what.lower() else ""
        yield Finding(
            f"'{first.what}'{title} {table.describe(feature, missing, partial)}{more}; see {feature.url}",
            found.at(first),
        )


@rule("KM611", "client-unsupported-css", "warning", options=_options())
def unsupported_css(ctx: Context) -> Iterator[Finding]:
    """A CSS property, value, function, unit or keyword that a targeted mail client does not support.

    What it does:
        Looks up every declaration the designer wrote (in <style> blocks, stylesheets and style
        attributes) in the Can I email data: properties (position, box-shadow), values
        (display:flex, display:grid), functions (linear-gradient(), var(), calc()), units (rem, vw)
        and keywords (!important). It reports a feature when a targeted client (`[lint] clients`)
        does not support it, naming those clients, the ones that support it partially with the
        data's note, and the feature's page. A declaration inside an MSO conditional comment is
        judged for Outlook for Windows alone, one inside @media only for the clients that apply
        that media query. `partial = true` also reports features that are only partially supported;
        `ignore` lists features you have a fallback for.
    Why:
        The layout that depends on them falls apart in those clients: columns stack or overlap,
        rounded or shadowed buttons turn square and flat.
    Bad:
        <div style="display:flex"><div>Left</div><div>Right</div></div>
    Good:
        <table role="presentation"><tr><td>Left</td><td>Right</td></tr></table>
    """
    return check(ctx, CSS)


@rule("KM612", "client-unsupported-at-rule", "warning", options=_options())
def unsupported_at_rule(ctx: Context) -> Iterator[Finding]:
    """An at-rule or media feature (@media, prefers-color-scheme, @font-face) a targeted client lacks.

    What it does:
        Reports @media rules and their media features (prefers-color-scheme, hover, orientation...),
        @font-face, @import, @supports and @keyframes when a targeted client ignores them, with
        the clients, partial-support notes and the feature's page from the Can I email data.
    Why:
        What those rules do (the mobile layout, dark-mode colours, web fonts) does not happen in
        those clients: the email must still read well without it.
    Bad:
        @media (prefers-color-scheme: dark) { .card { background: #111 !important; } }
        (as the only way the card gets readable colours)
    Good:
        Colours that read well in light and dark, with the dark-mode rule as an enhancement.
    """
    return check(ctx, AT_RULE)


@rule("KM613", "client-unsupported-selector", "warning", options=_options())
def unsupported_selector(ctx: Context) -> Iterator[Finding]:
    """A CSS selector (pseudo-class, pseudo-element, combinator) that a targeted client does not support.

    What it does:
        Checks the selectors of <style> blocks and stylesheets against the Can I email data:
        :hover, :has(), ::before, attribute selectors, sibling and child combinators and the like.
    Why:
        A client that does not understand a selector drops the whole rule (and with a selector
        list, every selector in it): the styles never apply there.
    Bad:
        .button:hover { background: #0b5cad; }  (the only cue that it is a button)
    Good:
        .button { background: #0b5cad; }  with :hover as an enhancement only
    """
    return check(ctx, SELECTOR)


@rule("KM614", "client-unsupported-html", "warning", options=_options(HARMLESS))
def unsupported_html(ctx: Context) -> Iterator[Finding]:
    """An HTML element or attribute (<svg>, <video>, <picture>, srcset) that a targeted client lacks.

    What it does:
        Checks the elements and attributes the designer wrote against the Can I email data. The
        color-scheme meta tag is ignored by default: clients that do not support it skip it
        harmlessly, and the dark-mode rules ask for it.
    Why:
        Unsupported elements are removed or shown empty: an <svg> logo vanishes in Gmail, a
        <video> shows nothing in Outlook.
    Bad:
        <svg width="120" height="40">...</svg>
    Good:
        <img src="https://example.com/logo.png" width="120" height="40" alt="Example">
    """
    return check(ctx, HTML)


@rule("KM615", "client-unsupported-image", "warning", options=_options())
def unsupported_image(ctx: Context) -> Iterator[Finding]:
    """An image format (SVG, WebP, AVIF, base64 data URIs...) that a targeted mail client does not show.

    What it does:
        Reads the format of every image the template uses (<img src>, srcset, background
        attributes and CSS url()) from its file extension or its data-URI type, and checks it
        against the Can I email data.
    Why:
        An unsupported format shows as a broken image or nothing at all.
    Bad:
        <img src="https://example.com/logo.svg" alt="Example">
    Good:
        <img src="https://example.com/logo.png" alt="Example">
    """
    return check(ctx, IMAGE)
