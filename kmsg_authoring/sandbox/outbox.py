"""The outbox pages: the messages message/send rendered, newest first, each viewable.

Every value put in a page is HTML-escaped; a message body is shown in an iframe with an empty
`sandbox` attribute (no scripts, no same-origin access, no forms), from its `srcdoc`.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from kmsg_authoring.model import FROM_NAME

PAGE_SIZE = 50

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f5f6f8; }
header { background: #1d2330; color: #fff; padding: 12px 24px; }
header a { color: #fff; }
main { padding: 16px 24px; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e3e5ea; vertical-align: top; }
th { background: #eceef2; font-weight: 600; }
.status-delivered { color: #18794e; } .status-error { color: #c62828; } .status-sending { color: #8a6d00; }
.warn { color: #8a6d00; }
iframe { width: 100%; height: 75vh; border: 1px solid #c9ccd3; background: #fff; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; background: #fff; padding: 12px; }
dt { font-weight: 600; } dd { margin: 0; }
nav { margin: 12px 0; }
"""


def _page(title: str, content: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        '<header><strong>kmsg-author sandbox</strong> &middot; <a href="/outbox">outbox</a></header>'
        f"<main>{content}</main></body></html>\n"
    )


def _text(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _status(doc: dict[str, Any]) -> str:
    status = str(doc.get("status", ""))
    extra = f" ({_text(doc['errorEnum'])})" if doc.get("errorEnum") else ""
    return f'<span class="status-{_text(status)}">{_text(status)}</span>{extra}'


def list_page(messages: list[dict[str, Any]], total: int, offset: int, limit: int = PAGE_SIZE) -> str:
    """The outbox: one row per rendered message, newest first."""
    if not messages:
        body = "<p>No messages yet. Messages sent with <code>message/send</code> appear here.</p>"
        return _page("Outbox", f"<h1>Outbox</h1>{body}")
    rows = []
    for m in messages:
        link = f"/outbox/{quote(str(m['id']), safe='')}"
        rows.append(
            "<tr>"
            f"<td>{_text(m.get('createdAt'))}</td>"
            f"<td>{_text(m.get('to') or m.get('userId'))}</td>"
            f'<td><a href="{_text(link)}">{_text(m.get("subject")) or "(no subject)"}</a></td>'
            f"<td>{_text(m.get('templateName'))}</td>"
            f"<td>{_text(m.get('session'))}</td>"
            f"<td>{_status(m)}</td>"
            f"<td>{_text(m.get('partnerId'))}</td>"
            "</tr>"
        )
    nav = []
    if offset > 0:
        nav.append(f'<a href="/outbox?offset={max(0, offset - limit)}">&larr; newer</a>')
    if offset + limit < total:
        nav.append(f'<a href="/outbox?offset={offset + limit}">older &rarr;</a>')
    shown = f"{offset + 1}-{offset + len(messages)} of {total}"
    return _page(
        "Outbox",
        (
            f"<h1>Outbox</h1><p>{shown} messages, newest first.</p>"
            "<table><thead><tr><th>Sent</th><th>To</th><th>Subject</th><th>Template</th><th>Session</th>"
            f"<th>Status</th><th>Partner</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"<nav>{' &middot; '.join(nav)}</nav>"
        ),
    )


def message_page(m: dict[str, Any]) -> str:
    """One rendered message: its envelope, anything left unresolved, and the body in a sandboxed frame."""
    sender = m.get(FROM_NAME) or ""
    if m.get("from"):
        sender = f"{sender} <{m['from']}>" if sender else m["from"]
    fields = [
        ("Subject", _text(m.get("subject"))),
        ("To", _text(m.get("to"))),
        ("From", _text(sender)),
        ("User id", _text(m.get("userId"))),
        ("Template", f"{_text(m.get('templateName'))} ({_text(m.get('templateId'))})"),
        ("Session", _text(m.get("session"))),
        ("Bulk", _text(m.get("bulkId"))),
        ("Status", _status(m)),
        ("Sent", _text(m.get("createdAt"))),
        ("Partner", _text(m.get("partnerId"))),
    ]
    for key in ("cc", "bcc"):
        if m.get(key):
            fields.append((key.capitalize(), _text(m[key])))
    for name, value in (m.get("customHeaders") or {}).items():
        fields.append((f"Header {_text(name)}", _text(value)))
    for a in m.get("attachments") or ():
        fields.append(("Attachment", _text(f"{a.get('fileName')} ({a.get('mimeType')}, {a.get('disposition')})")))
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in fields)
    unresolved = "".join(f"<li>{_text(u)}</li>" for u in m.get("unresolved") or ())
    warn = f'<div class="warn"><p>Unresolved tokens:</p><ul>{unresolved}</ul></div>' if unresolved else ""
    frame = f'<iframe sandbox="" title="message body" srcdoc="{_text(m.get("body"))}"></iframe>'
    return _page(str(m.get("subject") or "Message"), f"<h1>{_text(m.get('subject'))}</h1><dl>{dl}</dl>{warn}{frame}")


def not_found_page(what: str) -> str:
    """A page for a message or path that does not exist."""
    return _page("Not found", f"<h1>Not found</h1><p>{_text(what)}</p>")
