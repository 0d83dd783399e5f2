"""HTML of the preview pages: pure functions from what was built and rendered to markup."""

from __future__ import annotations

import json
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


def _when(ts: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts)) if ts else "never"


def _head(title: str, epoch: int, slug: str | None) -> str:
    live = f' data-live-slug="{escape(slug)}"' if slug is not None else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        '<link rel="stylesheet" href="/static/preview.css">'
        '<script src="/static/preview.js" defer></script>'
        f'</head><body data-live-epoch="{epoch}"{live}>'
    )


_FOOT = "</body></html>\n"


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
            f'<td data-label="Last build">{_when(row.built_at)}</td>'
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
        _head("kmsg-author preview", epoch, None)
        + overlay(site_errors, "Fix the file; this page reloads by itself.")
        + f'<header><h1>Templates</h1><p class="muted">{len(rows)} template(s); updates live.</p></header>'
        + f"<main>{table}</main>"
        + _FOOT
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
        _head("Not found", epoch, slug)
        + '<header><p><a href="/">All templates</a></p><h1>Not found</h1></header>'
        + f"<main><p>{escape(message)}</p>"
        + (f'<ul class="links">{items}</ul>' if items else "")
        + "</main>"
        + _FOOT
    )


def _tabs(group: str, tabs: Sequence[tuple[str, str]]) -> str:
    buttons = "".join(
        f'<button type="button" role="tab" data-target="{escape(pid)}" id="tab-{escape(pid)}" dir="auto">'
        f"{escape(label)}</button>"
        for pid, label in tabs
    )
    return f'<nav class="tabs" role="tablist" data-group="{escape(group)}">{buttons}</nav>'


def _outlook(i: int, src: str, user_id: str, removed: Sequence[Any]) -> str:
    """The Outlook (approximation) frame and, beside it, what was removed and where it was written."""
    from kmsg_authoring.review.outlook import LABEL, PANE_WIDTH

    items = "".join(
        f'<li><code class="where">{escape(str(r.location))}</code> <code>{escape(r.what)}</code> '
        f'(<a href="{escape(r.url)}">{escape(r.title)}</a>)</li>'
        for r in removed
    )
    listing = f"<ul>{items}</ul>" if removed else '<p class="empty">Nothing removed.</p>'
    return (
        f'<figure class="{OUTLOOK_VIEW}"><figcaption>{LABEL}, {PANE_WIDTH} px: not a rendering by Word</figcaption>'
        f'<iframe id="r{i}-{OUTLOOK_VIEW}" class="email {OUTLOOK_VIEW}" '
        'sandbox="allow-popups allow-popups-to-escape-sandbox" '
        f'referrerpolicy="no-referrer" src="{src}?view={OUTLOOK_VIEW}" style="width:{PANE_WIDTH}px" '
        f'title="Email for {escape(user_id)}, {LABEL}"></iframe></figure>'
        f'<aside class="outlook-removed"><h3>Removed for {LABEL}</h3>{listing}</aside>'
    )


def _recipient(i: int, view: RecipientView, removed: Sequence[Any] = ()) -> str:
    r = view.rendering
    sender = f"{r.from_name} <{r.from_email}>" if r.from_email else r.from_name
    unresolved = ""
    if r.unresolved:
        places = [
            *(f'<code class="where">{escape(str(at))}</code> ' for at in view.unresolved_at),
            *([""] * len(r.unresolved)),
        ]
        items = "".join(
            f"<li>{at}<code>{escape(u.raw)}</code> in {escape(u.where)} {escape(u.reason)}</li>"
            for u, at in zip(r.unresolved, places, strict=False)
        )
        unresolved = f'<div class="unresolved" role="status"><h3>Unresolved tokens</h3><ul>{items}</ul></div>'
    src = escape(view.email_url)
    return (
        f'<section class="panel recipient" id="r{i}" role="tabpanel" data-group="recipients">'
        + _inbox(view.inbox)
        + '<dl class="envelope">'
        f'<dt>Subject</dt><dd class="subject" dir="auto">{escape(r.subject)}</dd>'
        f'<dt>From</dt><dd class="from" dir="auto">{escape(sender)}</dd>'
        f'<dt>To</dt><dd class="to" dir="auto">{escape(r.to)}</dd>'
        "</dl>" + unresolved + '<div class="frames">'
        f'<figure class="desktop"><figcaption>Desktop ({DESKTOP_WIDTH} px, drag to widen)</figcaption>'
        f'<iframe id="r{i}-desktop" class="email desktop" sandbox="allow-popups allow-popups-to-escape-sandbox" '
        f'referrerpolicy="no-referrer" src="{src}" style="width:{DESKTOP_WIDTH}px" '
        f'title="Email for {escape(r.user_id)}, desktop"></iframe></figure>'
        f'<figure class="mobile"><figcaption>Mobile ({MOBILE_WIDTH} px)</figcaption>'
        f'<iframe id="r{i}-mobile" class="email mobile" sandbox="allow-popups allow-popups-to-escape-sandbox" '
        f'referrerpolicy="no-referrer" src="{src}" style="width:{MOBILE_WIDTH}px" '
        f'title="Email for {escape(r.user_id)}, mobile"></iframe></figure>'
        + "".join(
            f'<figure class="{mode}"><figcaption>{caption}</figcaption>'
            f'<iframe id="r{i}-{mode}" class="email {mode}" sandbox="allow-popups allow-popups-to-escape-sandbox" '
            f'referrerpolicy="no-referrer" src="{src}?view={mode}" style="width:{DESKTOP_WIDTH}px" '
            f'title="Email for {escape(r.user_id)}, {caption}"></iframe></figure>'
            for mode, caption in DARK_VIEWS
        )
        + _outlook(i, src, r.user_id, removed)
        + "</div></section>"
    )


def _inbox(line: InboxLine | None) -> str:
    """The message as Gmail's and iOS Mail's inbox lists show it."""
    if line is None:
        return ""
    g_subject, g_preview = line.gmail
    i_subject, i_preview = line.ios
    source = "the preheader" if line.explicit else "the body's first text (no preheader)"
    return (
        '<div class="inbox" aria-label="Inbox line">'
        f'<p class="muted">In the inbox (preview from {source}):</p>'
        f'<div class="inbox-row gmail" dir="auto"><span class="client">Gmail</span> '
        f'<b class="from">{escape(line.from_name)}</b> <b class="subject">{escape(g_subject)}</b>'
        f'<span class="preview"> - {escape(g_preview)}</span></div>'
        f'<div class="inbox-row ios" dir="auto"><span class="client">iOS Mail</span> '
        f'<b class="from">{escape(line.from_name)}</b><br><span class="subject">{escape(i_subject)}</span><br>'
        f'<span class="preview">{escape(i_preview)}</span></div></div>'
    )


def _findings(findings: Sequence[Finding]) -> str:
    if not findings:
        return '<p class="empty">No lint findings.</p>'
    rows = "".join(
        f'<tr class="sev-{escape(f.severity)}"><td><code>{escape(str(f.location)) if f.location else ""}</code></td>'
        f'<td data-label="Severity">{escape(f.severity)}</td><td data-label="Rule"><code>{escape(f.code)}</code></td>'
        f"<td>{escape(f.message)}</td></tr>"
        for f in findings
    )
    return (
        '<table class="findings cards"><thead><tr><th>Where</th><th>Severity</th><th>Rule</th><th>Message</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


_CELL = {
    "y": ("supported", "yes"),
    "a": ("partial", "partial"),
    "n": ("unsupported", "no"),
    "u": ("unknown", "?"),
    "-": ("not-read", "-"),
}


def compat_matrix(compat: Any) -> str:
    """The Compatibility tab: the overall line, then features by targeted client."""
    if compat is None:
        return '<p class="empty">No compatibility summary.</p>'
    if isinstance(compat, KmsgError):
        return f'<p class="error">{escape(str(compat))}</p>'
    head = "".join(f'<th scope="col">{escape(compat.names[c])}</th>' for c in compat.clients)
    status = "".join(f'<td class="{escape(compat.status[c])}">{escape(compat.status[c])}</td>' for c in compat.clients)
    rows = []
    for row in compat.rows:
        cells = []
        for c in compat.clients:
            css, word = _CELL.get(row.cells[c], ("unknown", "?"))
            note = row.notes.get(c, "")
            title = f' title="{escape(note)}"' if note else ""
            cells.append(f'<td class="{css}"{title}>{escape(word)}</td>')
        rows.append(
            f'<tr><th scope="row"><a href="{escape(row.url)}" rel="noreferrer" target="_blank">'
            f'{escape(row.title)}</a> <code class="where">{escape(str(row.location))}</code></th>'
            f"{''.join(cells)}</tr>"
        )
    notes = "".join(f"<li>{escape(n)}</li>" for n in compat.inliner)
    return (
        f'<p class="overall">{escape(compat.overall)}</p>'
        + (f'<ul class="inliner">{notes}</ul>' if notes else "")
        + f'<table class="compat"><thead><tr><th>Feature</th>{head}</tr>'
        + f'<tr class="status"><th>Overall</th>{status}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _contract(view: ContractView) -> str:
    rows = (
        "".join(
            f"<tr><td><code>{escape(token)}</code></td><td>{escape(kind)}</td><td>{escape(value)}</td>"
            f"<td>{escape(used)}</td><td>{escape(fields)}</td></tr>"
            for token, kind, value, used, fields in view.rows
        )
        or '<tr><td colspan="5">No tokens: msgParams may be empty.</td></tr>'
    )
    facts = []
    if view.user_fields:
        facts.append(
            "<p>Recipients' profiles must have: "
            + ", ".join(f"<code>{escape(f)}</code>" for f in view.user_fields)
            + ".</p>"
        )
    if view.images:
        facts.append(
            "<p>Attach inline images (disposition <code>inline</code>) with contentId: "
            + ", ".join(f"<code>{escape(c)}</code>" for c in view.images)
            + ".</p>"
        )
    return (
        '<section class="panel contract" id="contract" role="tabpanel" data-group="main">'
        "<p>What a service calling <code>message/send</code> with this template must pass "
        f'(<a href="{escape(view.schema_url)}">JSON Schema</a>; '
        "<code>kmsg-author check-params</code> checks a request against it).</p>"
        '<table class="contract"><thead><tr><th>Token</th><th>Type</th><th>Value</th><th>Used in</th>'
        f"<th>User fields read</th></tr></thead><tbody>{rows}</tbody></table>{''.join(facts)}"
        "<h3>message/send example (from the sample; secrets are placeholders)</h3>"
        f'<pre class="code"><code class="send-example">{escape(view.example)}</code></pre>'
        "<h3>TypeScript</h3>"
        f'<pre class="code"><code class="typescript">{escape(view.typescript)}</code></pre></section>'
    )


def template_page(view: TemplateView) -> str:
    """A template: envelope and body per recipient, compiled source, API payload, lint findings."""
    samples = ""
    if view.samples:
        current = ' aria-current="page" class="current"'
        links = "".join(
            f'<a href="?sample={quote(s)}"{current if s == view.sample else ""}>{escape(s)}</a>' for s in view.samples
        )
        samples = f'<p class="samples">Sample: {links}</p>'
    elif view.sample_generated:
        samples = (
            f'<p class="samples muted">No sample file: showing one made from the declared token types '
            f"(<code>kmsg-author samples init {escape(view.slug)}</code> writes it for you to edit).</p>"
        )
    if view.locales:
        here = ' aria-current="page" class="current"'
        sample_q = f"&amp;sample={quote(view.sample)}" if view.sample and not view.sample_generated else ""
        links = "".join(
            f'<a href="?locale={quote(c)}{sample_q}" lang="{escape(c.replace("_", "-"))}"'
            f"{here if c == view.locale else ''}>{escape(c)}</a>"
            for c in view.locales
        )
        samples = f'<p class="locales">Locale: {links}</p>' + samples
    errors, warnings = count(view.findings)
    # Errors the findings do not hold (a site-wide kmsg.toml error, a sample that fails to render).
    listed = {(str(f.location), f.message) for f in view.findings}
    errors += sum(1 for e in view.errors if (str(e.location), e.message) not in listed)
    header = (
        '<header><p><a href="/">All templates</a></p>'
        f'<h1 dir="auto">{escape(view.name)} <small>{escape(view.slug)}</small></h1>'
        f'<p class="muted">Last build {_when(view.built_at)} &middot; {errors} error(s), {warnings} warning(s)</p>'
        f"{samples}</header>"
    )
    note = (
        "The last good build is shown below; fix the file and this page reloads by itself."
        if view.body is not None
        else "Fix the file and this page reloads by itself."
    )
    parts = [_head(f"{view.slug}: kmsg-author preview", view.epoch, view.slug), header, overlay(view.errors, note)]
    if view.body is not None:
        parts.append(
            _tabs(
                "main",
                [
                    ("preview", "Preview"),
                    ("source", "HTML source"),
                    ("payload", "API payload"),
                    ("lint", f"Lint ({len(view.findings)})"),
                    ("compat", "Compatibility"),
                    *([("contract", "Contract")] if view.contract is not None else []),
                    *([("changes", "Changes")] if view.changes is not None else []),
                    ("deliverability", "Deliverability"),
                ],
            )
        )
        recipients = "".join(_recipient(i, r, view.outlook_removed) for i, r in enumerate(view.recipients))
        parts.append(
            '<section class="panel" id="preview" role="tabpanel" data-group="main">'
            + _tabs("recipients", [(f"r{i}", r.label) for i, r in enumerate(view.recipients)])
            + recipients
            + "</section>"
        )
        parts.append(
            f'<section class="panel" id="source" role="tabpanel" data-group="main">'
            f'<pre class="code"><code>{escape(view.body)}</code></pre></section>'
        )
        payload = json.dumps(view.payload, indent=2, ensure_ascii=False)
        parts.append(
            f'<section class="panel" id="payload" role="tabpanel" data-group="main">'
            f'<pre class="code"><code>{escape(payload)}</code></pre></section>'
        )
        parts.append(
            f'<section class="panel" id="lint" role="tabpanel" data-group="main">{_findings(view.findings)}</section>'
        )
        parts.append(
            f'<section class="panel" id="compat" role="tabpanel" data-group="main">'
            f"{compat_matrix(view.compat)}</section>"
        )
        if view.contract is not None:
            parts.append(_contract(view.contract))
        if view.changes is not None:
            parts.append(
                f'<section class="panel" id="changes" role="tabpanel" data-group="main">{view.changes}</section>'
            )
        parts.append(_deliverability(view))
    parts.append(_FOOT)
    return "".join(parts)


def _deliverability(view: TemplateView) -> str:
    """The Deliverability tab: a link that scores the template with SpamAssassin (only when asked: it takes seconds)."""
    query = f"?sample={quote(view.sample)}" if view.sample and not view.sample_generated else ""
    return (
        '<section class="panel deliverability" id="deliverability" role="tabpanel" data-group="main">'
        "<p>SpamAssassin's score of each recipient's message, with every rule it hits and the line that "
        "triggered it, as <code>kmsg-author spam</code> reports it. Scoring starts a local spamd and takes a "
        "few seconds, so it runs only when asked.</p>"
        f'<p><a class="button" href="/t/{quote(view.slug)}/spam{query}">Score with SpamAssassin</a></p></section>'
    )


def spam_page(slug: str, epoch: int, result: Any = None, error: KmsgError | None = None) -> str:
    """The spam score of a template's messages (a review.spam.SpamResult), or why it could not be computed."""
    parts = [
        _head(f"{slug}: spam score", epoch, None),
        f'<header><p><a href="/t/{quote(slug)}">Back to {escape(slug)}</a></p>'
        f"<h1>Spam score <small>{escape(slug)}</small></h1></header><main>",
    ]
    if error is not None:
        parts.append(f'<div class="unresolved" role="alert"><p>{escape(str(error))}</p></div>')
    for m in result.messages if result is not None else ():
        over = result.over(m)
        verdict = "over the limit" if over else "under the limit"
        rows = "".join(
            f"<tr><td>{h.points:g}</td><td><code>{escape(h.rule)}</code></td><td>{escape(h.description)}</td>"
            f"<td>{f'<code>{escape(str(h.location))}</code>' if h.location else ''}"
            f"{f' <q>{escape(h.text)}</q>' if h.text and h.location else ''}</td></tr>"
            for h in m.hits
        )
        parts.append(
            f'<section class="spam{" over" if over else ""}"><h2 dir="auto">{escape(m.sample)} / '
            f"{escape(m.recipient)}: {m.score:g} <small>(limit {result.limit(m):g}, {verdict})</small></h2>"
            '<table class="findings cards"><thead><tr><th>Points</th><th>Rule</th><th>Description</th>'
            f"<th>Where</th></tr></thead><tbody>{rows}</tbody></table></section>"
        )
    for errors in result.failures.values() if result is not None else ():
        parts.extend(f'<p class="unresolved">{escape(str(e))}</p>' for e in errors)
    parts.append("</main>" + _FOOT)
    return "".join(parts)


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
