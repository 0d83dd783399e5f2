"""Located examples of the inbox-readiness rules (KM801-KM829): a template each must flag, and a fixed one."""

from __future__ import annotations

from typing import Any

LINK = {"joinLink": "MagicLink"}
PREHEADER = "Doors open at 9; your ticket and the venue map are inside."

CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "KM801": (
        {"body": '<p><a href="https//events.example.com/agenda">Agenda</a></p>'},
        {"body": '<p><a href="https://events.example.com/agenda">Agenda</a></p>'},
    ),
    "KM802": (
        {"body": '<p><a href="https://events.example.com/agenda 2025.pdf">Agenda</a></p>'},
        {"body": '<p><a href="https://events.example.com/agenda%202025.pdf">Agenda</a></p>'},
    ),
    "KM803": (
        {"body": '<p><a href="tel:+1 (555) CALL-NOW">Call us</a></p>'},
        {"body": '<p><a href="tel:+1-555-225-5669">Call us</a></p>'},
    ),
    "KM804": (
        {"body": '<p><a href="https://{eventHost}/agenda">Agenda</a></p>', "tokens": {"eventHost": "String"}},
        {
            "body": '<p><a href="https://events.example.com/agenda?e={eventHost}">Agenda</a></p>',
            "tokens": {"eventHost": "String"},
        },
    ),
    "KM805": (
        {"body": '<p><a href="https://click.mailer.example.net/x1">https://events.example.com/agenda</a></p>'},
        {"body": '<p><a href="https://click.mailer.example.net/x1">See the agenda</a></p>'},
    ),
    "KM806": (
        {
            "body": '<p><a href="https://events.example.com/seat">Keep my seat</a> '
            '<a href="https://events.example.com/seat">Cancel my seat</a></p>'
        },
        {
            "body": '<p><a href="https://events.example.com/seat">Keep my seat</a> '
            '<a href="https://events.example.com/cancel">Cancel my seat</a></p>'
        },
    ),
    "KM807": (
        {
            "tokens": {"unsubLink": "UnsubscribeUri"},
            "body": '<p><a href="{unsubLink}">Unsubscribe</a></p>',
            "extra": 'unsubscribeGroups: [news]\ncustomHeaders:\n  List-Unsubscribe: "<{unsubLink}>"\n',
        },
        {
            "tokens": {"unsubLink": "UnsubscribeUri"},
            "body": '<p><a href="{unsubLink}">Unsubscribe</a></p>',
            "extra": 'unsubscribeGroups: [news]\ncustomHeaders:\n  List-Id: "<events.example.com>"\n',
        },
    ),
    "KM808": (
        {
            "body": '<table><tr><td><a href="https://events.example.com/web">View in browser</a></td></tr></table>'
            "<p>Doors open at 9.</p>"
        },
        {
            "body": f'<div style="display:none;max-height:0;overflow:hidden">{PREHEADER}</div>'
            '<table><tr><td><a href="https://events.example.com/web">View in browser</a></td></tr></table>'
        },
    ),
}

# Where the bad example's finding stands, when not on the body's first line (body.html:5).
LOCATIONS: dict[str, tuple[str, int]] = {"KM807": ("templates_src/t/template.yaml", 9)}
