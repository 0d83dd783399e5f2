"""Links checked offline: URLs that do not parse, unencoded characters, mailto:/tel:, tokens as hosts, texts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

from lxml import etree

from kmsg_authoring.lint.context import Context, Finding
from kmsg_authoring.lint.registry import rule
from kmsg_authoring.lint.rules.html import urls
from kmsg_authoring.model import TOKEN_RE

# A token reference stands for text the API fills in: replaced by a plain word before a URL is parsed.
_TOKEN_STANDIN = "kmsgtoken"
_HOST = re.compile(
    r"\A(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?\Z"
)
_IPV6 = re.compile(r"\A\[[0-9A-Fa-f:.]+\]\Z")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Characters a URL may not hold as they are (RFC 3986): they must be percent-encoded.
_UNENCODED = re.compile(r"[\s\"<>\\^`{|}]")
_EMAIL = re.compile(
    r"\A[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+\Z"
)
_TEL = re.compile(r"\A\+?[0-9().\-]*[0-9][0-9().\-]*(?:;[A-Za-z0-9-]+=[A-Za-z0-9.+-]+)*\Z")
# Visible text that reads as a web address: a scheme, or www., or a domain with a common ending.
_URL_TEXT = re.compile(
    r"\A(?:(?:https?://)?(?:www\.)[^\s/]+|https?://[^\s/]+|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.(?:com|org|net|io|co|info|biz|edu|gov|uk|de|fr|us))(?:[/?#]\S*)?\Z",
    re.IGNORECASE,
)
_WEB = ("http", "https")
# Merge tags of other senders' template languages: {{ x }}, *|X|*, %%x%%, [[x]], <%= x %>.
_FOREIGN = re.compile(r"\{\{|\*\||%%|\[\[|<%")
_ACTION_WORDS = 5


def _shielded(url: str) -> str:
    """A URL with each token reference replaced by a plain word."""
    return TOKEN_RE.sub(_TOKEN_STANDIN, url)


def _is_token(url: str) -> bool:
    return TOKEN_RE.fullmatch(url) is not None


def _links(ctx: Context) -> Iterator[tuple[str, str, str, etree._Element]]:
    """(tag, attribute, URL stripped, element) for every URL attribute, leaving out URLs that are one
    token and URLs written in another template language (KM108 reports those)."""
    for tag, attr, value, el in urls(ctx):
        url = value.strip()
        if url and not _is_token(url) and not url.startswith("#") and not _FOREIGN.search(url):
            yield tag, attr, url, el


def _web_problem(url: str) -> str | None:
    """Why an http(s) URL does not parse, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return str(exc)
    if not url.lower().startswith(("http://", "https://")):
        return "the scheme must be followed by '//' and a host"
    host = parts.hostname or ""
    if not host:
        return "it has no host"
    if not (_HOST.match(host) or _IPV6.match(parts.netloc.rpartition("@")[2].split(":")[0] or "")):
        return f"'{host}' is not a host name"
    if port == 0:
        return "port 0"
    if _BAD_ESCAPE.search(url):
        return "a '%' that does not start a %XX escape"
    return None


@rule("KM801", "malformed-url", "warning")
def malformed_url(ctx: Context) -> Iterator[Finding]:
    """A link or image URL does not parse.

    What it does:
        Parses every http(s) href, src and background (token references count as plain words):
        the scheme must be followed by `//` and a host name, a port must be a number, and every
        `%` must start a `%XX` escape.
    Why:
        Mail clients and link scanners give up on a URL they cannot parse: the link does nothing,
        or its click tracking rewrites it into one that fails; filters score malformed links.
    Bad:
        <a href="https//events.example.com/agenda">Agenda</a>
        <a href="https://events..example.com/agenda">Agenda</a>
    Good:
        <a href="https://events.example.com/agenda">Agenda</a>
    """
    for tag, attr, url, el in _links(ctx):
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        shielded = _shielded(url)
        if scheme in _WEB or re.match(r"\Ahttps?//", url, re.IGNORECASE):
            why = _web_problem(shielded) if scheme in _WEB else "the scheme has no ':'"
            if why:
                yield Finding(f"malformed URL '{url[:80]}' in {attr} of <{tag}>: {why}", ctx.at_element(el))


@rule("KM802", "unencoded-url-character", "warning")
def unencoded_url_character(ctx: Context) -> Iterator[Finding]:
    """A URL holds a space or a character that must be percent-encoded.

    What it does:
        Finds spaces, tabs, line breaks and the characters `"<>\\^`{|}` in href, src and
        background values, outside token references.
    Why:
        Clients cut the URL at a space or encode it differently (Outlook, Gmail and Apple Mail
        each do their own thing), so the reader lands on a broken or different page.
    Bad:
        <a href="https://events.example.com/agenda 2025.pdf">Agenda</a>
    Good:
        <a href="https://events.example.com/agenda%202025.pdf">Agenda</a>
    """
    for tag, attr, url, el in _links(ctx):
        if url.lower().startswith(("mailto:", "tel:", "data:")):
            continue
        m = _UNENCODED.search(_shielded(url))
        if m:
            shown = {" ": "a space", "\t": "a tab", "\n": "a line break"}.get(m.group(0), f"'{m.group(0)}'")
            yield Finding(f"URL '{url[:80]}' in {attr} of <{tag}> holds {shown}: percent-encode it", ctx.at_element(el))


@rule("KM803", "bad-mailto-or-tel", "warning")
def bad_mailto_or_tel(ctx: Context) -> Iterator[Finding]:
    """A `mailto:` or `tel:` link is not well formed.

    What it does:
        Checks each address of a `mailto:` link (before `?`, separated by commas) as an email
        address, and a `tel:` number as digits with an optional leading `+` and the visual
        separators `-`, `.`, `(`, `)`; token references count as valid.
    Why:
        A phone app or mail program opened with a broken address does nothing useful: no call,
        an empty To line, or a message that bounces.
    Bad:
        <a href="mailto:support at example.com">Write to us</a>
        <a href="tel:+1 (555) CALL-NOW">Call us</a>
    Good:
        <a href="mailto:support@example.com?subject=Tickets">Write to us</a>
        <a href="tel:+1-555-225-5669">Call us</a>
    """
    for tag, attr, url, el in _links(ctx):
        scheme, _, rest = url.partition(":")
        scheme = scheme.lower()
        if scheme == "mailto":
            addresses = [unquote(a).strip() for a in rest.split("?", 1)[0].split(",")]
            bad = [a for a in addresses if not (_is_token(a) or _EMAIL.match(a))]
            if bad or not any(addresses):
                what = f"'{bad[0]}' is not an email address" if bad and bad[0] else "it has no address"
                yield Finding(f"mailto: link in {attr} of <{tag}>: {what}", ctx.at_element(el))
        elif scheme == "tel":
            number = _shielded(unquote(rest)).replace(_TOKEN_STANDIN, "0")
            if not _TEL.match(number):
                yield Finding(
                    f"tel: link '{url[:60]}' in {attr} of <{tag}>: a number is digits, an optional leading '+' "
                    "and the separators - . ( ), with no spaces or letters",
                    ctx.at_element(el),
                )


@rule("KM804", "token-as-url-host", "error")
def token_as_url_host(ctx: Context) -> Iterator[Finding]:
    """A token stands where a URL's host should be.

    What it does:
        Finds http(s) URLs whose host (between `//` and the next `/`, `?` or `#`) holds a token
        reference, like `https://{eventHost}/agenda`. A token that is the whole URL (a MagicLink,
        a Dynamic link) is not reported.
    Why:
        The host decides where the reader's click goes: a host that comes from send-time data can
        send every reader anywhere, link checkers and this toolkit cannot resolve it, and filters
        treat links whose host they cannot read as phishing.
    Bad:
        <a href="https://{eventHost}/agenda">Agenda</a>
    Good:
        <a href="https://events.example.com/agenda?event={eventId}">Agenda</a>
    """
    for tag, attr, url, el in _links(ctx):
        m = re.match(r"\A(?:https?:)?//([^/?#]*)", url, re.IGNORECASE)
        host = m.group(1) if m else ""
        token = TOKEN_RE.match(url)
        if token is not None and url[token.end() :].startswith(("/", ".")):
            host = token.group(0)  # `{base}/agenda`: the token stands for the scheme and host
        if host and TOKEN_RE.search(host):
            yield Finding(
                f"token in the host of '{url[:80]}' ({attr} of <{tag}>): write the host, and pass the "
                "varying part in the path or query",
                ctx.at_element(el),
            )


def _text(el: etree._Element) -> str:
    return " ".join("".join(el.itertext()).split())


def _host_of(url: str) -> str:
    if "//" not in url:
        url = "//" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


@rule("KM805", "link-text-url-mismatch", "warning")
def link_text_url_mismatch(ctx: Context) -> Iterator[Finding]:
    """A link's visible text is a web address other than the one it goes to.

    What it does:
        Finds `<a>` elements whose text reads as a web address (`https://...`, `www....`,
        `events.example.com`) with a host other than the href's (`www.` aside). Links whose href
        is a token or whose text holds one are left alone.
    Why:
        It is the pattern of phishing: the reader sees one address and lands on another. Spam
        filters score it (SpamAssassin's spoofed-URL rules) and some clients warn about it.
    Bad:
        <a href="https://click.mailer.example.net/x1">https://events.example.com/agenda</a>
    Good:
        <a href="https://events.example.com/agenda">https://events.example.com/agenda</a>
        <a href="https://click.mailer.example.net/x1">See the agenda</a>
    """
    for el in ctx.by_tag("a"):
        href = (el.get("href") or "").strip()
        text = _text(el)
        if not href or _is_token(href) or not text or TOKEN_RE.search(text) or TOKEN_RE.search(href):
            continue
        if not href.lower().startswith(("http://", "https://")) or not _URL_TEXT.match(text):
            continue
        shown, target = _host_of(text), _host_of(href)
        if shown and target and shown != target:
            yield Finding(f"link text '{text[:60]}' shows {shown} but the link goes to {target}", ctx.at_element(el))


@rule("KM806", "conflicting-link-texts", "warning")
def conflicting_link_texts(ctx: Context) -> Iterator[Finding]:
    """The same URL is linked with different texts.

    What it does:
        Groups `<a>` elements by href and reports a link whose visible text differs from the
        first link to the same URL (case and spacing aside). Links with no text (image links)
        are left alone.
        Only short texts (five words or fewer, the length of a button or call to action) are
        compared: a headline and its "Read more" may well go to the same article.
    Why:
        Readers and screen-reader users expect one text to mean one destination: "Cancel my
        seat" and "Keep my seat" going to the same place is a copy-paste mistake that sends
        readers where they did not mean to go.
    Bad:
        <a href="https://events.example.com/seat">Keep my seat</a>
        <a href="https://events.example.com/seat">Cancel my seat</a>
    Good:
        <a href="https://events.example.com/seat">Keep my seat</a>
        <a href="https://events.example.com/cancel">Cancel my seat</a>
    """
    first: dict[str, str] = {}
    for el in ctx.by_tag("a"):
        href = (el.get("href") or "").strip()
        text = _text(el)
        # The address itself shown as text ("or paste this link") is not a second name for it.
        if not href or href.startswith("#") or not text or text == href or _is_token(text) or _URL_TEXT.match(text):
            continue
        seen = first.setdefault(href, text)
        # Calls to action conflict; a headline and its "Read more" to one article do not.
        short = len(seen.split()) <= _ACTION_WORDS and len(text.split()) <= _ACTION_WORDS
        if short and seen.casefold() != text.casefold():
            yield Finding(f"'{text[:50]}' links to {href[:60]}, which '{seen[:50]}' also links to", ctx.at_element(el))
