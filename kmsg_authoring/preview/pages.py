"""HTML of the preview pages: pure functions from what was built and rendered to markup."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import quote

from kmsg_authoring.errors import KmsgError, Location
from kmsg_authoring.lint.problem import ERROR, Problem
from kmsg_authoring.render.inbox import InboxLine
from kmsg_authoring.render.renderer import Rendering

OVERLAY_ID = "kmsg-error-overlay"
DESKTOP_WIDTH = 640  # the desktop pane starts at this width and can be widened (600 px and up)
MOBILE_WIDTH = 375
# The dark views: the template's own dark-mode rules applied, and full colour inversion.
DARK_VIEWS: tuple[tuple[str, str], ...] = (
    ("dark", "Dark mode (the template's dark styles)"),
    ("inverted", "Dark mode (colours inverted, as the Gmail and Outlook apps do)"),
)
# The Outlook view: what Word ignores taken away (review/outlook.py), labelled as an approximation.
OUTLOOK_VIEW = "outlook"


@dataclass(frozen=True)
class Finding:
    """A lint problem as the preview shows it."""

    severity: str  # ERROR or WARNING (anything else counts as a warning)
    code: str
    message: str
    location: Location | None


def finding_from(problem: Problem) -> Finding:
    """A lint problem as the page shows it."""
    return Finding(problem.severity, problem.code, problem.message, problem.location)


def count(findings: Sequence[Finding]) -> tuple[int, int]:
    """(errors, warnings)."""
    errors = sum(1 for f in findings if f.severity == ERROR)
    return errors, len(findings) - errors


@dataclass(frozen=True)
class IndexRow:
    """One template on the index page."""

    slug: str
    name: str
    errors: list[KmsgError]
    findings: list[Finding]
    built_at: float | None
    thumbnail: str | None = None  # URL of a snapshot of the template (review.thumbs)
    # (locale, messages missing, messages fuzzy) for a template built per locale.
    translations: list[tuple[str, int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class RecipientView:
    """One recipient tab."""

    label: str
    rendering: Rendering
    email_url: str
    unresolved_at: tuple[Location, ...] = ()  # source location of each unresolved reference, in order
    inbox: InboxLine | None = None  # how the inbox list shows the message


@dataclass(frozen=True)
class ContractView:
    """The Contract tab: the token table, a message/send example from the sample, the TypeScript types."""

    rows: list[tuple[str, str, str, str, str]]  # token, type, value, used in, User fields read
    user_fields: list[str]
    images: list[str]
    example: str  # JSON text, secrets as placeholders
    typescript: str
    schema_url: str


@dataclass
class TemplateView:
    """Everything the template page shows."""

    slug: str
    name: str
    epoch: int
    built_at: float | None
    errors: list[KmsgError] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    sample: str | None = None
    sample_generated: bool = False
    recipients: list[RecipientView] = field(default_factory=list)
    body: str | None = None
    payload: dict[str, Any] | None = None
    compat: Any = None  # a lint.compat.TemplateCompat, or the KmsgError that kept it from being made
    contract: ContractView | None = None
    changes: str | None = None  # HTML of the Changes view against the last snapshots (review.thumbs)
    locales: list[str] = field(default_factory=list)  # the locales a template built per locale has
    locale: str | None = None  # the one shown
    outlook_removed: list[Any] = field(default_factory=list)  # review.outlook.Removed, for the Outlook view


def when(ts: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts)) if ts else "never"


def page_head(title: str, epoch: int, slug: str | None) -> str:
    live = f' data-live-slug="{escape(slug)}"' if slug is not None else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        '<link rel="stylesheet" href="/static/preview.css">'
        '<script src="/static/preview.js" defer></script>'
        f'</head><body data-live-epoch="{epoch}"{live}>'
    )


PAGE_FOOT = "</body></html>\n"


def overlay(errors: Sequence[KmsgError], note: str) -> str:
    """The error overlay: each error with the file and line the designer edits."""
    if not errors:
        return ""
    items = "".join(
        f'<li><code class="where">{escape(str(e.location)) if e.location else ""}</code> '
        f'<span class="what">{escape(e.message)}</span></li>'
        for e in errors
    )
    return (
        f'<div id="{OVERLAY_ID}" class="overlay" role="alert"><h2>Build failed</h2>'
        f'<ul>{items}</ul><p class="note">{escape(note)}</p></div>'
    )


def _translations(row: IndexRow) -> str:
    """The translation status of each locale of a template built per locale."""
    if not row.translations:
        return ""
    parts = []
    for code, missing, fuzzy in row.translations:
        gaps = ", ".join(t for t in (f"{missing} missing" if missing else "", f"{fuzzy} fuzzy" if fuzzy else "") if t)
        state = "incomplete" if gaps else "complete"
        parts.append(
            f'<a class="locale {state}" href="/t/{quote(row.slug)}?locale={quote(code)}">'
            f"{escape(code)}{': ' + gaps if gaps else ' ✓'}</a>"
        )
    return f'<br><small class="translations">{" · ".join(parts)}</small>'


def index_page(rows: Sequence[IndexRow], epoch: int, site_errors: Sequence[KmsgError] = ()) -> str:
    """The list of templates with their build and lint status."""
    body = []
    for row in rows:
        errors, warnings = count(row.findings)
        listed = {(str(f.location), f.message) for f in row.findings}
        errors += sum(1 for e in row.errors if (str(e.location), e.message) not in listed)
        status = "failed" if row.errors else ("errors" if errors else ("warnings" if warnings else "ok"))
        body.append(
            f'<tr class="status-{status}" data-slug="{escape(row.slug)}">'
            f'<td><a href="/t/{quote(row.slug)}">{escape(row.slug)}</a></td>'
            f'<td dir="auto" data-label="Name">{escape(row.name)}{_translations(row)}</td>'
            f'<td class="num errors" data-label="Errors">{errors}</td>'
            f'<td class="num warnings" data-label="Warnings">{warnings}</td>'
            f'<td data-label="Status">{"build failed" if row.errors else "built"}</td>'
            f'<td data-label="Last build">{when(row.built_at)}</td>'
            + (_thumb(row) if any(r.thumbnail for r in rows) else "")
            + "</tr>"
        )
    snapshot_head = "<th>Snapshot</th>" if any(r.thumbnail for r in rows) else ""
    table = (
        '<table class="index cards"><thead><tr><th>Template</th><th>Name</th><th>Errors</th><th>Warnings</th>'
        f"<th>Status</th><th>Last build</th>{snapshot_head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        if rows
        else '<p class="empty">No templates yet: add a folder with a template.yaml under the source folder.</p>'
    )
    return (
        page_head("kmsg-author preview", epoch, None)
        + overlay(site_errors, "Fix the file; this page reloads by itself.")
        + f'<header><h1>Templates</h1><p class="muted">{len(rows)} template(s); updates live.</p></header>'
        + f"<main>{table}</main>"
        + PAGE_FOOT
    )


def _thumb(row: IndexRow) -> str:
    if not row.thumbnail:
        return '<td class="thumb" data-label="Snapshot"></td>'
    return (
        f'<td class="thumb" data-label="Snapshot"><a href="/t/{quote(row.slug)}">'
        f'<img src="{escape(row.thumbnail)}" alt="Snapshot of {escape(row.slug)}" width="120" '
        'loading="lazy"></a></td>'
    )


def not_found_page(message: str, epoch: int, slug: str | None = None, links: Sequence[tuple[str, str]] = ()) -> str:
    """A 404 page; for a template that may yet appear, it waits for it like any template page."""
    items = "".join(f'<li><a href="{escape(href)}">{escape(label)}</a></li>' for href, label in links)
    return (
        page_head("Not found", epoch, slug)
        + '<header><p><a href="/">All templates</a></p><h1>Not found</h1></header>'
        + f"<main><p>{escape(message)}</p>"
        + (f'<ul class="links">{items}</ul>' if items else "")
        + "</main>"
        + PAGE_FOOT
    )


def export_index(slug: str, name: str, entries: Sequence[tuple[str, Rendering]]) -> str:
    """index.html of a one-shot preview: each recipient's file with subject, from and to."""
    rows = "".join(
        f'<tr><td><a href="{quote(href)}">{escape(r.user_id)}</a></td><td dir="auto">{escape(r.subject)}</td>'
        f'<td dir="auto">{escape(r.from_name)}{escape(f" <{r.from_email}>" if r.from_email else "")}</td>'
        f"<td>{escape(r.to)}</td>"
        f"<td>{escape('; '.join(f'{u.raw} {u.reason}' for u in r.unresolved)) or 'all resolved'}</td></tr>"
        for href, r in entries
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(slug)}: preview</title>"
        "<style>body{font:14px/1.4 system-ui,sans-serif;margin:1em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;overflow-wrap:anywhere}</style></head><body>"
        f'<h1 dir="auto">{escape(name)} <small>{escape(slug)}</small></h1>'
        "<table><thead><tr><th>Recipient</th><th>Subject</th><th>From</th><th>To</th><th>Tokens</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>\n"
    )


def export_site_index(rows: Sequence[tuple[str, str, str]]) -> str:
    """index.html of `preview --all`: (href, template, status) per template; no link for a failed one."""
    items = "".join(
        "<tr><td>"
        + (f'<a href="{quote(href)}">{escape(slug)}</a>' if href else escape(slug))
        + f"</td><td>{escape(status)}</td></tr>"
        for href, slug, status in rows
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Previews</title>'
        "<style>body{font:14px/1.4 system-ui,sans-serif;margin:1em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;overflow-wrap:anywhere}</style></head><body>"
        "<h1>Previews</h1><table><thead><tr><th>Template</th><th>Status</th></tr></thead>"
        f"<tbody>{items}</tbody></table></body></html>\n"
    )
