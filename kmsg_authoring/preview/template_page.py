"""HTML of a template's preview page: recipients, views, findings, compatibility, contract, deliverability.

Pure functions from what was built and rendered to markup; the page's frame (head, overlay, the
views it is made from) comes from pages.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import Any
from urllib.parse import quote

from kmsg_authoring.errors import KmsgError
from kmsg_authoring.preview.pages import (
    PAGE_FOOT,
    DARK_VIEWS,
    DESKTOP_WIDTH,
    MOBILE_WIDTH,
    OUTLOOK_VIEW,
    ContractView,
    Finding,
    RecipientView,
    TemplateView,
    page_head,
    when,
    count,
    overlay,
)
from kmsg_authoring.render.inbox import InboxLine


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
        f'<p class="muted">Last build {when(view.built_at)} &middot; {errors} error(s), {warnings} warning(s)</p>'
        f"{samples}</header>"
    )
    note = (
        "The last good build is shown below; fix the file and this page reloads by itself."
        if view.body is not None
        else "Fix the file and this page reloads by itself."
    )
    parts = [page_head(f"{view.slug}: kmsg-author preview", view.epoch, view.slug), header, overlay(view.errors, note)]
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
    parts.append(PAGE_FOOT)
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
        page_head(f"{slug}: spam score", epoch, None),
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
    parts.append("</main>" + PAGE_FOOT)
    return "".join(parts)
