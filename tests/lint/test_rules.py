"""Every rule of the catalog: a template it must flag and a fixed one it must not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kmsg_authoring.lint import catalog
from tests.lint.cases_deliverability import CASES as DELIVERABILITY_CASES
from tests.lint.conftest import LintFn, codes

BIG = "<p>" + "lorem ipsum " * 9500 + "</p>"  # about 111 KB
UNSUB = {"unsubLink": "UnsubscribeUri"}
GROUPS = "unsubscribeGroups: [event-updates]\n"
UNSUB_LINK = '<p><a href="{unsubLink}">Unsubscribe</a></p>'


# code -> (keyword arguments of a template that breaks the rule, of one that does not)
def _translated(msgstr: str, *, fuzzy: bool = False) -> dict[str, Any]:
    """A template whose text goes through gettext, linted in French with this translation."""
    po = (
        f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'{"#, fuzzy" + chr(10) if fuzzy else ""}msgid "Hi {{recipient.firstName}}"\n{msgstr}\n'
    )
    return {
        "body": "<p>{% trans %}Hi {recipient.firstName}{% endtrans %}</p>",
        "locale": "fr",
        "toml": '[i18n]\nlocales = ["en", "fr"]\n',
        "files": {"templates_src/_locales/fr/LC_MESSAGES/messages.po": po},
    }


def _extending(body: str) -> dict[str, Any]:
    """A template whose body extends a layout with one block, content."""
    layout = (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Test</title></head>\n'
        '<body><div style="display: none; mso-hide: all;">Your ticket and the venue map are inside.</div>\n'
        "{% block content %}{% endblock %}\n</body>\n</html>\n"
    )
    return {
        "body": '{% extends "_layouts/page.html" %}\n' + body,
        "page": False,
        "files": {"templates_src/_layouts/page.html": layout},
    }


def _mjml(columns: str) -> dict[str, Any]:
    """A template written in MJML whose one section holds these columns."""
    body = (
        "<mjml><mj-head><mj-title>T</mj-title></mj-head><mj-body><mj-section>"
        + columns
        + "</mj-section></mj-body></mjml>"
    )
    return {"body": body, "mjml": True}


_GHOST = (
    '<!--[if mso]><table role="presentation" width="600"><tr><td><![endif]-->{}'
    "<!--[if mso]></td></tr></table><![endif]-->"
)
_CALENDAR = (
    '<a href="https://calendar.google.com/calendar/render?action=TEMPLATE&amp;text=Webinar'
    '&amp;dates={eventStart}/{eventEnd}">Add to Google Calendar</a>'
)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "KM101": (
        {"body": "<p>{eventNmae}</p>", "tokens": {"eventName": "String"}},
        {"body": "<p>{eventName}</p>", "tokens": {"eventName": "String"}},
    ),
    "KM102": ({"tokens": {"eventDate": "String"}}, {"body": "<p>{eventDate}</p>", "tokens": {"eventDate": "String"}}),
    "KM103": ({"body": "<p>Hi {recipient.firstname}</p>"}, {"body": "<p>Hi {recipient.firstName}</p>"}),
    "KM104": (
        {"body": "<p>{eventName.title}</p>", "tokens": {"eventName": "String"}},
        {"body": "<p>{eventName}</p>", "tokens": {"eventName": "String"}},
    ),
    "KM105": ({"body": "<p>Hi {recipient}</p>"}, {"body": "<p>Hi {recipient.fullName}</p>"}),
    "KM106": (
        {"body": "<p>{eventName}</p>", "tokens": {"eventName": "string"}},
        {"body": "<p>{eventName}</p>", "tokens": {"eventName": "String"}},
    ),
    "KM107": ({"body": "<p>Hi { recipient.firstName }</p>"}, {"body": "<p>Hi {recipient.firstName}</p>"}),
    "KM108": (
        {"body": "<p>Hi {{ first_name }}</p>", "jinja": False},
        {"body": "<p>Hi {recipient.firstName}</p>", "jinja": False},
    ),
    "KM109": (
        {
            "body": '<a href="https://events.example.com/go?to=%7BjoinLink%7D">Join</a>',
            "tokens": {"joinLink": "MagicLink"},
        },
        {"body": '<a href="{joinLink}">Join</a>', "tokens": {"joinLink": "MagicLink"}},
    ),
    "KM201": (
        {"body": '<a href="https://events.example.com/?next={joinLink}">Join</a>', "tokens": {"joinLink": "MagicLink"}},
        {"body": '<a href="{joinLink}">Join</a>', "tokens": {"joinLink": "MagicLink"}},
    ),
    "KM202": (
        {"body": "<p>Copy this address: {joinLink}</p>", "tokens": {"joinLink": "MagicLink"}},
        {"body": '<p><a href="{joinLink}"><span>{joinLink}</span></a></p>', "tokens": {"joinLink": "MagicLink"}},
    ),
    "KM203": (
        {"body": "<p>Your ticket: {ticketQr}</p>", "tokens": {"ticketQr": "JwtQrCode"}},
        {"body": '<img src="{ticketQr}" alt="Ticket QR code">', "tokens": {"ticketQr": "JwtQrCode"}},
    ),
    "KM204": (
        {"body": '<table><tr><td><img src="{ticketQr}"></td></tr></table>', "tokens": {"ticketQr": "JwtQrCode"}},
        {
            "body": '<table><tr><td><img src="{ticketQr}"></td></tr><tr><td>Code: 4711</td></tr></table>',
            "tokens": {"ticketQr": "JwtQrCode"},
        },
    ),
    "KM205": (
        {"body": "<!-- greet {recipient.firstName} --><p>Hi {recipient.firstName}</p>"},
        {"body": "<!-- greeting --><p>Hi {recipient.firstName}</p>"},
    ),
    "KM301": ({"extra": GROUPS}, {"extra": GROUPS, "tokens": UNSUB, "body": UNSUB_LINK}),
    "KM302": (
        {"extra": GROUPS, "tokens": UNSUB, "body": "<p>Reply STOP to unsubscribe.</p>"},
        {"extra": GROUPS, "tokens": UNSUB, "body": UNSUB_LINK},
    ),
    "KM303": (
        {"extra": GROUPS, "tokens": UNSUB, "body": '<p style="display:none"><a href="{unsubLink}">Unsubscribe</a></p>'},
        {
            "extra": GROUPS,
            "tokens": UNSUB,
            "body": '<p style="font-size:12px"><a href="{unsubLink}">Unsubscribe</a></p>',
        },
    ),
    "KM304": (
        {"extra": GROUPS, "tokens": UNSUB, "body": BIG + UNSUB_LINK},
        {"extra": GROUPS, "tokens": UNSUB, "body": UNSUB_LINK + BIG + UNSUB_LINK},
    ),
    "KM305": ({"tokens": UNSUB, "body": UNSUB_LINK}, {"tokens": UNSUB, "body": UNSUB_LINK, "extra": GROUPS}),
    "KM306": (
        {"tokens": UNSUB, "body": UNSUB_LINK, "extra": 'unsubscribeGroups: [news, "", news]\n'},
        {"tokens": UNSUB, "body": UNSUB_LINK, "extra": "unsubscribeGroups: [news, events]\n"},
    ),
    "KM401": ({"to": "recipient.email"}, {"to": "{recipient.email}"}),
    "KM402": ({"to": "{recipient.id}"}, {"to": "{recipient.email}"}),
    "KM403": ({"extra": "from: events@example\n"}, {"extra": "from: events@example.com\n"}),
    "KM404": ({"extra": 'customHeaders: {"X Campaign": spring}\n'}, {"extra": "customHeaders: {X-Campaign: spring}\n"}),
    "KM405": ({"extra": "status: active\n"}, {"extra": "status: enabled\n"}),
    "KM406": ({"subject": " "}, {"subject": "Hello"}),
    "KM407": (
        {"subject": "Reminder: " + "the conference " * 6 + "{recipient.firstName}"},
        {"subject": "Tomorrow: your joining link"},
    ),
    "KM408": ({"name": None}, {"name": "Event invitation"}),
    "KM501": (
        {"body": '<div><a href="https://events.example.com"><b>Join</a></b></div>'},
        {"body": '<div><a href="https://events.example.com"><b>Join</b></a></div>'},
    ),
    "KM502": (
        {"body": '<form action="https://events.example.com/rsvp"><button>RSVP</button></form>'},
        {"body": '<a href="https://events.example.com/rsvp">RSVP</a>'},
    ),
    "KM503": (
        {"body": '<a href="javascript:alert(1)">Open</a>'},
        {"body": '<a href="https://events.example.com">Open</a>'},
    ),
    "KM504": (
        {"body": '<img src="https://events.example.com/b.png">'},
        {"body": '<img src="https://events.example.com/b.png" alt="Banner">'},
    ),
    "KM505": (
        {"page": False, "body": "<html><body><p>Hi {recipient.firstName}</p></body></html>"},
        {"page": False, "body": '<html lang="en"><body><p>Hi {recipient.firstName}</p></body></html>'},
    ),
    "KM506": (
        {"body": '<img src="images/logo.png" alt="Logo">'},
        {"body": '<img src="https://events.example.com/images/logo.png" alt="Logo">'},
    ),
    "KM507": (
        {"body": '<a href="http://events.example.com">Agenda</a>'},
        {"body": '<a href="https://events.example.com">Agenda</a>'},
    ),
    "KM508": ({"body": '<a href="#">Agenda</a>'}, {"body": '<a href="https://events.example.com">Agenda</a>'}),
    "KM509": ({"body": BIG}, {"body": "<p>short</p>"}),
    "KM511": ({"body": "<div><p>Thanks</p></div></div>"}, {"body": "<div><p>Thanks</p></div>"}),
    "KM601": (
        {
            "body": "<style>td.pusher { width: 100px !important } @media (max-width: 480px) { td[class=pusher] "
            '{ width: 20px !important } }</style><table><tr><td class="pusher">x</td></tr></table>'
        },
        {
            "body": "<style>td.pusher { width: 100px } @media (max-width: 480px) { td[class=pusher] "
            '{ width: 20px } }</style><table><tr><td class="pusher">x</td></tr></table>'
        },
    ),
    "KM602": (
        {"body": '<link rel="stylesheet" href="https://cdn.example.com/a.css"><p>x</p>'},
        {"body": '<link rel="preconnect" href="https://cdn.example.com"><p>x</p>'},
    ),
    "KM611": (
        {"body": '<div style="display:flex"><div>L</div><div>R</div></div>'},
        {"body": '<div style="display:block"><div>L</div><div>R</div></div>'},
    ),
    "KM612": (
        {"body": "<style>@font-face { font-family: X; src: url(https://e.example.com/x.woff2); }</style><p>x</p>"},
        {"body": "<p>x</p>"},
    ),
    "KM613": (
        {"body": "<style>a:hover { color: #0b5cad; }</style><p>x</p>"},
        {"body": "<style>a { color: #0b5cad; }</style><p>x</p>"},
    ),
    "KM614": ({"body": '<svg width="10" height="10"></svg><p>x</p>'}, {"body": "<p>x</p>"}),
    "KM615": (
        {"body": '<img src="https://e.example.com/a.webp" alt="A">'},
        {"body": '<img src="https://e.example.com/a.jpg" alt="A">'},
    ),
    "KM621": (
        {"body": "<style>@media (prefers-color-scheme: dark) { p { color: #fff; } }</style><p>x</p>"},
        {
            "body": '<meta name="color-scheme" content="light dark">'
            '<meta name="supported-color-schemes" content="light dark">'
            "<style>@media (prefers-color-scheme: dark) { p { color: #fff; } }</style><p>x</p>"
        },
    ),
    "KM622": (
        {"body": '<p style="color:#333333">x</p>'},
        {"body": '<div style="background-color:#ffffff"><p style="color:#333333">x</p></div>'},
    ),
    "KM603": (
        _mjml("<mj-column><mj-text>Hi {recipient.firstName}</mj-text></mj-column> |"),
        _mjml("<mj-column><mj-text>Hi {recipient.firstName}</mj-text></mj-column>"),
    ),
    "KM604": (
        _extending("{% block content %}<p>Hi {recipient.firstName}</p>{% endblock %}\n<p>See you there.</p>"),
        _extending("{% block content %}<p>Hi {recipient.firstName}</p>\n<p>See you there.</p>{% endblock %}"),
    ),
    "KM623": (
        {"body": '<img src="https://e.example.com/logo.png" alt="Logo">'},
        {"body": '<div style="background-color:#ffffff"><img src="https://e.example.com/logo.png" alt="Logo"></div>'},
    ),
    "KM641": (
        {"body": '<div style="max-width: 600px;"><p>x</p></div>'},
        {"body": _GHOST.format('<div style="max-width: 600px;"><p>x</p></div>')},
    ),
    "KM642": (
        {"body": '<img src="https://e.example.com/a.png" alt="" style="width: 100%; max-width: 600px;">'},
        {"body": '<img src="https://e.example.com/a.png" alt="" width="600" style="width: 100%; max-width: 600px;">'},
    ),
    "KM643": (
        {"body": '<a href="https://e.example.com" style="background: #0b5cad; padding: 12px 24px;">Go</a>'},
        {
            "body": '<table role="presentation"><tr><td bgcolor="#0b5cad" style="padding: 12px 24px;">'
            '<a href="https://e.example.com" style="background: #0b5cad; padding: 12px 24px;">Go</a></td></tr></table>'
        },
    ),
    "KM644": (
        {"body": '<table><tr><td style="background-image: url(https://e.example.com/a.jpg);">x</td></tr></table>'},
        {
            "body": '<table><tr><td style="background-image: url(https://e.example.com/a.jpg);"><!--[if mso]>'
            '<v:rect xmlns:v="urn:schemas-microsoft-com:vml" fill="true" stroke="false" style="width:600px;">'
            '<v:fill type="frame" src="https://e.example.com/a.jpg" /><v:textbox><![endif]-->x'
            "<!--[if mso]></v:textbox></v:rect><![endif]--></td></tr></table>"
        },
    ),
    "KM645": (
        {"body": '<div style="margin: 24px 0;"><p>x</p></div>'},
        {"body": '<div style="margin: 0 auto;"><p>x</p></div>'},
    ),
    "KM646": (
        {"body": '<table><tr><td style="font-size: 16px; line-height: 8px;">&nbsp;</td></tr></table>'},
        {
            "body": '<table><tr><td style="font-size: 16px; line-height: 8px; mso-line-height-rule: exactly;">'
            "&nbsp;</td></tr></table>"
        },
    ),
    "KM647": (
        {"body": _GHOST.format("<p>x</p>").replace("<tr><td><![endif]-->", "<tr><td>", 1)},
        {"body": _GHOST.format("<p>x</p>")},
    ),
    "KM648": (
        {"body": '<!--[if mso]><v:rect fill="true" style="width:10px;height:10px;"></v:rect><![endif]--><p>x</p>'},
        {
            "body": '<!--[if mso]><v:rect xmlns:v="urn:schemas-microsoft-com:vml" fill="true"></v:rect>'
            "<![endif]--><p>x</p>"
        },
    ),
    "KM649": (
        {"body": _CALENDAR, "tokens": {"eventStart": "String"}},
        {"body": _CALENDAR, "tokens": {"eventStart": "String", "eventEnd": "String"}},
    ),
    "KM631": (
        {"body": "<style>.a { color: #333\nh1 { color: #123456 }</style><p class='a'>x</p>"},
        {"body": "<style>.a { color: #333 }\nh1 { color: #123456 }</style><p class='a'>x</p>"},
    ),
    "KM632": (
        {"body": "<style>p { color red; margin: 0 }</style><p>x</p>"},
        {"body": "<style>p { color: red; margin: 0 }</style><p>x</p>"},
    ),
    "KM633": ({"body": '<p style="colr: red">x</p>'}, {"body": '<p style="color: red">x</p>'}),
    "KM634": ({"body": '<p style="width: 10qx">x</p>'}, {"body": '<p style="width: 10px">x</p>'}),
    "KM635": (
        {"body": "<style>p { margin: 0 !importnt }</style><p>x</p>"},
        {"body": "<style>p { margin: 0 !important }</style><p>x</p>"},
    ),
    "KM636": (
        {"body": "<style>@meida (max-width: 600px) { p { margin: 0 } }</style><p>x</p>"},
        {"body": "<style>@media (max-width: 600px) { p { margin: 0 } }</style><p>x</p>"},
    ),
    "KM637": (
        {"body": "<style>@media (max-width: 600px) { p { margin: 0 }</style><p>x</p>"},
        {"body": "<style>@media (max-width: 600px) { p { margin: 0 } }</style><p>x</p>"},
    ),
    "KM701": (_translated('msgstr "Bonjour"'), _translated('msgstr "Bonjour {recipient.firstName}"')),
    "KM702": (_translated('msgstr ""'), _translated('msgstr "Bonjour {recipient.firstName}"')),
    "KM703": (
        _translated('msgstr "Bonjour {recipient.firstName}"', fuzzy=True),
        _translated('msgstr "Bonjour {recipient.firstName}"'),
    ),
}


CASES.update(DELIVERABILITY_CASES)


def test_every_rule_with_a_check_has_cases() -> None:
    checked = {code for code, r in catalog().items() if r.check is not None}
    assert checked == set(CASES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_flags_the_bad_template(lint_one: LintFn, code: str) -> None:
    bad, _ = CASES[code]
    problems = lint_one(**bad)
    assert code in codes(problems), [str(p) for p in problems]
    flagged = [p for p in problems if p.code == code]
    assert all(p.severity == catalog()[code].severity and p.name == catalog()[code].name for p in flagged)


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_passes_the_good_template(lint_one: LintFn, code: str) -> None:
    _, good = CASES[code]
    problems = lint_one(**good)
    assert code not in codes(problems), [str(p) for p in problems]


def test_the_minimal_template_has_no_problem_at_all(lint_one: LintFn) -> None:
    assert lint_one() == []


def test_an_empty_body_is_a_missing_required_field(tmp_path: Path) -> None:
    from kmsg_authoring.project.build import BuildOptions, build_project
    from kmsg_authoring.source.config import load_config

    folder = tmp_path / "templates_src" / "t"
    folder.mkdir(parents=True)
    (folder / "template.yaml").write_text(
        'name: T\nsubject: Hi {r.firstName}\ntoAttributePath: "{r.email}"\nmsgParamsMap: {r: {type: User}}\n'
    )
    (folder / "body.html").write_text("  \n")
    report = build_project(load_config(tmp_path), None, BuildOptions(write=False))
    assert [(p.code, p.message) for p in report.problems["t"] if p.code == "KM408"] == [("KM408", "the body is empty")]
    assert "t" in report.failures
