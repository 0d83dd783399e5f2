"""Add-to-calendar links: the dates of an event, filled in at send time, must be declared tokens."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

from kmsg_authoring.errors import Location
from kmsg_authoring.lint.context import Context, Finding
from kmsg_authoring.lint.registry import rule
from kmsg_authoring.model import TOKEN_RE, TokenType

# host -> the query parameters holding the event's dates
DATE_PARAMS: dict[str, tuple[str, ...]] = {
    "calendar.google.com": ("dates",),
    "www.google.com": ("dates",),
    "outlook.live.com": ("startdt", "enddt"),
    "outlook.office.com": ("startdt", "enddt"),
    "outlook.office365.com": ("startdt", "enddt"),
}
DATE_TYPES: tuple[str, ...] = (TokenType.STRING, TokenType.DYNAMIC)


def calendar_dates(href: str) -> list[tuple[str, str]]:
    """(parameter, value) of the date parameters of an add-to-calendar URL; [] for other URLs."""
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return []
    wanted = DATE_PARAMS.get((parts.hostname or "").lower())
    if not wanted or "calendar" not in parts.path.lower():
        return []
    return [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() in wanted]


@rule("KM649", "calendar-date-undeclared", "error")
def calendar_date_undeclared(ctx: Context) -> Iterator[Finding]:
    """An add-to-calendar link's date token is not declared in msgParamsMap.

    What it does:
        Reads the links to Google Calendar (`dates=`) and to Outlook.com or Office 365
        (`startdt=`, `enddt=`) and checks every token in their dates: it must be declared in
        msgParamsMap, as a String (or Dynamic) token whose value the sender gives in the form
        that calendar reads (Google: 20261115T170000Z, Outlook: 2026-11-15T17:00:00Z).
    Why:
        An undeclared token is sent as its literal name: the calendar opens a new event on
        today's date or refuses the link, and the reader never notices until they miss it.
    Bad:
        <a href="https://calendar.google.com/calendar/render?action=TEMPLATE&amp;text=Webinar
        &amp;dates={eventStart}/{eventEnd}">Add to Google Calendar</a>  (one line)
        (with eventStart and eventEnd not in msgParamsMap)
    Good:
        msgParamsMap: {eventStart: {type: String}, eventEnd: {type: String}}
        and the link above, or the calendar_links() macro
    """
    declared = ctx.declared
    # A token written in a macro's argument is located where the designer wrote it, not in the macro.
    written: dict[str, Location] = {}
    for t in ctx.body_tokens:
        if t.attribute == "href":
            written.setdefault(t.name, t.location)
    for el in ctx.by_tag("a"):
        href = el.get("href")
        if not href or "{" not in href:
            continue
        for param, value in calendar_dates(href):
            for m in TOKEN_RE.finditer(value):
                name = m.group(1)
                if name not in declared:
                    yield Finding(
                        f"calendar link's '{param}' uses '{m.group(0)}', which is not declared in msgParamsMap; "
                        f"declare it ({name}: {{type: {TokenType.STRING}}}) and send the date in the form the "
                        "calendar reads",
                        written.get(name) or ctx.at_element(el),
                    )
                elif declared[name] not in DATE_TYPES:
                    yield Finding(
                        f"calendar link's '{param}' uses '{m.group(0)}', declared as {declared[name]}; a date is "
                        f"a {TokenType.STRING} token",
                        written.get(name) or ctx.at_element(el),
                    )
