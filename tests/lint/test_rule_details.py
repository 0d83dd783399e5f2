"""Messages, locations and the finer cases of the rules."""

from __future__ import annotations

import pytest

from kmsg_authoring.errors import Location
from kmsg_authoring.lint import catalog
from kmsg_authoring.lint.registry import DOC_SECTIONS
from tests.lint.conftest import LintFn, codes


def only(problems: list, code: str) -> list:  # type: ignore[type-arg]
    return [p for p in problems if p.code == code]


@pytest.mark.parametrize("code", sorted(catalog()))
def test_every_rule_is_documented(code: str) -> None:
    rule = catalog()[code]
    assert rule.summary and rule.summary.endswith(".")
    for section in DOC_SECTIONS:
        assert rule.sections.get(section, "").strip(), f"{code} lacks '{section}:'"


def test_unknown_user_field_suggests_the_right_spelling_at_the_reference(lint_one: LintFn) -> None:
    problems = only(lint_one(body="<p>Hello there,\n   Hi {recipient.firstname}</p>"), "KM103")
    assert len(problems) == 1
    p = problems[0]
    assert "'firstname'" in p.message and "did you mean 'firstName'?" in p.message
    # Body line 6 (the page wrapper puts the body at line 5), column of the brace.
    assert p.location == Location("templates_src/t/body.html", 6, 7)


def test_undeclared_token_in_subject_points_at_template_yaml(lint_one: LintFn) -> None:
    problems = only(
        lint_one(subject="Welcome to {eventNam}", tokens={"eventName": "String"}, body="<p>{eventName}</p>"), "KM101"
    )
    assert [p.location.path for p in problems] == ["templates_src/t/template.yaml"]
    assert "did you mean 'eventName'?" in problems[0].message


def test_finding_in_a_partial_points_at_the_partial(lint_one: LintFn) -> None:
    files = {
        "templates_src/_partials/footer.html": '<p>Questions?\n<a href="{helpLink.url}">Help</a></p>\n',
    }
    problems = lint_one(
        files=files,
        body='<p>Hi {recipient.firstName}</p>\n{% include "_partials/footer.html" %}',
        tokens={"helpLink": "MagicLink"},
    )
    found = only(problems, "KM104")
    assert [p.location for p in found] == [Location("templates_src/_partials/footer.html", 2, 10)]


@pytest.mark.parametrize(
    ("snippet", "words"),
    [
        ("{ recipient.firstName }", "spaces inside braces"),
        ("{}", "empty token reference"),
        ("{recipient..firstName}", "empty name between dots"),
        ("{recipient.}", "no field after the dot"),
        ("{a.b.c}", "more than one field"),
        ("{recipient.firstName, welcome", "never closed"),
        ("recipient.firstName} welcome", "no opening brace"),
        ("{{recipient.firstName}", "unbalanced braces"),
    ],
    ids=["spaces", "empty", "double-dot", "trailing-dot", "two-fields", "unclosed", "unopened", "unbalanced"],
)
def test_malformed_references(lint_one: LintFn, snippet: str, words: str) -> None:
    problems = only(lint_one(body=f"<p>Hi {snippet}</p><p>{{recipient.firstName}}</p>", jinja=False), "KM107")
    assert len(problems) == 1, problems
    assert words in problems[0].message
    assert problems[0].location.path == "templates_src/t/body.html"


def test_malformed_leaves_css_and_prose_braces_alone(lint_one: LintFn) -> None:
    body = "<style>p { color: red; } .a{margin:0}</style><p>Sets look like {1, 2, 3} and code like if (x) { y(); }</p>"
    assert only(lint_one(body=body, jinja=False), "KM107") == []


@pytest.mark.parametrize(
    "encoded", ["%7BjoinLink%7D", "%7bjoinLink%7d", "%257BjoinLink%257D", "&amp;#123;joinLink&amp;#125;"]
)
def test_mangled_forms(lint_one: LintFn, encoded: str) -> None:
    body = f'<a href="https://x.example.com/?u={encoded}">Go</a><a href="{{joinLink}}">Join</a>'
    problems = only(lint_one(body=body, tokens={"joinLink": "MagicLink"}, jinja=False), "KM109")
    assert len(problems) == 1 and "'{joinLink}'" in problems[0].message


def test_entity_encoded_braces_are_a_valid_reference(lint_one: LintFn) -> None:
    problems = lint_one(body="<p>Hi &#123;recipient.firstName&#125;</p>")
    assert not codes(problems) & {"KM107", "KM109", "KM101"}


def test_magic_link_in_image_src_and_subject(lint_one: LintFn) -> None:
    problems = only(
        lint_one(body='<img src="{joinLink}" alt="">', subject="Join: {joinLink}", tokens={"joinLink": "MagicLink"}),
        "KM201",
    )
    messages = sorted(p.message for p in problems)
    assert len(messages) == 2
    assert "in subject" in messages[0] and "src attribute of <img>" in messages[1]


def test_magic_link_in_an_outlook_button_is_fine(lint_one: LintFn) -> None:
    body = (
        '<!--[if mso]><v:roundrect href="{joinLink}" style="width:200px"><center>Join</center>'
        '</v:roundrect><![endif]--><a href="{joinLink}">Join</a>'
    )
    problems = lint_one(body=body, tokens={"joinLink": "MagicLink"})
    assert not codes(problems) & {"KM201", "KM202", "KM205"}


@pytest.mark.parametrize(
    ("wrapper", "reason"),
    [
        ('<div style="visibility:hidden">{}</div>', "visibility:hidden"),
        ('<td style="font-size:0">{}</td>', "font-size:0"),
        ('<div style="max-height:0;overflow:hidden">{}</div>', "max-height:0"),
        ("<div hidden>{}</div>", "hidden attribute"),
    ],
    ids=["visibility", "font-size", "max-height", "hidden-attribute"],
)
def test_hidden_unsubscribe_links(lint_one: LintFn, wrapper: str, reason: str) -> None:
    link = '<a href="{unsubLink}">Unsubscribe</a>'
    body = (
        "<table><tr>" + wrapper.replace("{}", link) + "</tr></table>"
        if wrapper.startswith("<td")
        else wrapper.replace("{}", link)
    )
    problems = only(
        lint_one(body=body, tokens={"unsubLink": "UnsubscribeUri"}, extra="unsubscribeGroups: [news]\n"), "KM303"
    )
    assert len(problems) == 1 and reason in problems[0].message


def test_hidden_by_a_stylesheet_rule_after_inlining(lint_one: LintFn) -> None:
    body = '<style>.fine { display: none; }</style><p class="fine"><a href="{unsubLink}">Unsubscribe</a></p>'
    problems = lint_one(body=body, tokens={"unsubLink": "UnsubscribeUri"}, extra="unsubscribeGroups: [news]\n")
    assert "KM303" in codes(problems)


def test_empty_unsubscribe_link_and_outlook_only_link(lint_one: LintFn) -> None:
    kw = {"tokens": {"unsubLink": "UnsubscribeUri"}, "extra": "unsubscribeGroups: [news]\n"}
    empty = only(lint_one(body='<a href="{unsubLink}"></a>', **kw), "KM303")
    assert len(empty) == 1 and "no text" in empty[0].message
    mso = only(lint_one(body='<!--[if mso]><a href="{unsubLink}">Unsubscribe</a><![endif]-->', **kw), "KM303")
    assert len(mso) == 1 and "Outlook" in mso[0].message


def test_one_visible_unsubscribe_link_is_enough(lint_one: LintFn) -> None:
    body = (
        '<div style="display:none"><a href="{unsubLink}">Unsubscribe</a></div>'
        '<p><a href="{unsubLink}">Unsubscribe</a></p>'
    )
    problems = lint_one(body=body, tokens={"unsubLink": "UnsubscribeUri"}, extra="unsubscribeGroups: [news]\n")
    assert "KM303" not in codes(problems)


def test_clipping_counts_tokens_at_worst_case_length(lint_one: LintFn) -> None:
    # 95 KB of text plus 20 MagicLinks (800 bytes each at worst) before the link: past 102 KB only
    # because of the token expansion.
    links = '<a href="{joinLink}">Join</a>' * 20
    body = "<p>" + "x" * (95 * 1024) + "</p>" + links + '<a href="{unsubLink}">Unsubscribe</a>'
    kw = {"tokens": {"unsubLink": "UnsubscribeUri", "joinLink": "MagicLink"}, "extra": "unsubscribeGroups: [news]\n"}
    problems = only(lint_one(body=body, preheader=None, **kw), "KM304")
    assert len(problems) == 1 and "111.1 KB > 102.0 KB" in problems[0].message
    short = body.replace("x" * (95 * 1024), "x" * (80 * 1024))
    assert only(lint_one(body=short, **kw), "KM304") == []


@pytest.mark.parametrize(
    ("to", "words"),
    [
        ("{recipient.mail}", "did you mean 'email'?"),
        ("{recipient}", "needs a User field"),
        ("{joinLink}", "not an email address"),
        ("{someone.email}", "not declared"),
        ("{recipient.email} ", "exactly one token reference"),
        ("{recipient.email},{recipient.id}", "exactly one token reference"),
    ],
)
def test_to_attribute_path_variants(lint_one: LintFn, to: str, words: str) -> None:
    problems = only(lint_one(to=to, tokens={"joinLink": "MagicLink"}, body='<a href="{joinLink}">J</a>'), "KM401")
    assert len(problems) == 1 and words in problems[0].message
    assert problems[0].location.path == "templates_src/t/template.yaml" and problems[0].location.line == 3


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("from", "Acme <events@example.com>"),
        ("cc", "a@example.com, b@example.com"),
        ("bcc", "{manager.email}"),
        ("from", "events@@example.com"),
        ("cc", "events@example.com."),
    ],
)
def test_invalid_addresses(lint_one: LintFn, field: str, value: str) -> None:
    problems = only(lint_one(extra=f'{field}: "{value}"\n'), "KM403")
    assert len(problems) == 1 and problems[0].message.startswith(f"{field} ")


def test_header_injection_and_reserved_headers(lint_one: LintFn) -> None:
    extra = 'customHeaders:\n  X-Note: "a\\r\\nBcc: all@example.com"\n  Subject: hi\n  List-Id: "<e.example.com>"\n'
    messages = sorted(p.message for p in only(lint_one(extra=extra), "KM404"))
    assert len(messages) == 2
    assert "'Subject' is written by the Messaging API" in messages[0]
    assert "'X-Note' has a line break" in messages[1]


def test_status_suggestion(lint_one: LintFn) -> None:
    problems = only(lint_one(extra="status: Enabled\n"), "KM405")
    assert "did you mean 'enabled'?" in problems[0].message


def test_subject_length_is_measured_against_the_limit(lint_one: LintFn) -> None:
    subject = "x" * 92
    problems = only(lint_one(subject=subject), "KM407")
    assert problems[0].message == "subject too long (92 > 78 characters)"


def test_unclosed_and_misnested_locations(lint_one: LintFn) -> None:
    body = "<div>\n<table><tr><td>\n<span>Open\n</td></tr></table>\n</div>\n<div>never closed"
    problems = only(lint_one(body=body), "KM501")
    assert sorted((p.location.line, p.message) for p in problems) == [
        (7, "<span> is not closed before </td> (mis-nested or unclosed tag)"),
        (10, "<div> is never closed"),
    ]


def test_optional_end_tags_are_not_required(lint_one: LintFn) -> None:
    body = "<table><tr><td>a<td>b<tr><td>c</table><ul><li>one<li>two</ul><p>para<p>another<div>x</div></p>"
    problems = lint_one(body=body)
    assert not codes(problems) & {"KM501", "KM511"}


def test_unsupported_css_names_the_client_and_respects_ignore(lint_one: LintFn) -> None:
    body = '<div style="position:absolute">x</div>'
    problems = only(lint_one(body=body), "KM611")
    assert "Outlook (Windows)" in problems[0].message
    toml = '[lint.options.client-unsupported-css]\nignore = ["css-position"]\n'
    assert only(lint_one(body=body, toml=toml), "KM611") == []


def test_jinja_double_braces_of_another_language_are_warnings(lint_one: LintFn) -> None:
    problems = lint_one(body='<p>Hi {{ first_name }}</p><a href="*|UNSUB|*">Unsubscribe</a>', jinja=False)
    found = only(problems, "KM108")
    assert len(found) == 2 and all(p.severity == "warning" for p in found)
    assert "KM506" not in codes(problems)  # the merge tag is not reported again as a relative URL


def test_malformed_reference_in_the_subject_is_located_in_the_value(lint_one: LintFn) -> None:
    problems = only(
        lint_one(
            subject="Hi {recipient.firstName}, see { eventName }",
            tokens={"eventName": "String"},
            body="<p>{eventName}</p>",
        ),
        "KM107",
    )
    # subject: "Hi {recipient.firstName}, see { eventName }" is written quoted on line 2: the value starts at
    # column 11, the bad reference 30 characters later.
    assert [str(p.location) for p in problems] == ["templates_src/t/template.yaml:2:41"]


STYLED = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>T</title>
<style>
{css}
</style></head>
<body><div class="hero"><p>Hi {{recipient.firstName}}</p></div></body></html>
"""


@pytest.mark.parametrize(
    ("css", "reported"),
    [
        (".hero { background-image: url({heroImage}); }", False),
        ("@media (max-width: 600px) { .hero { background: #fff url('{heroImage}') no-repeat; } }", False),
        (".hero { color: red; } .x{heroImage} { color: blue; }", True),
        (".hero { {heroImage}: red; }", True),
        (".hero { color: red; /* {heroImage} */ }", True),
        ("@media (max-width: 600px) { .hero:hover, .{heroImage} { color: red; } }", True),
    ],
    ids=["value", "value-in-media", "selector", "property-name", "css-comment", "selector-in-media"],
)
def test_km205_allows_a_token_in_a_css_value_only(lint_one: LintFn, css: str, reported: bool) -> None:
    """`background-image: url({heroImage})` is substituted like any other token: no warning."""
    body = STYLED.format(css=css)
    found = [p for p in lint_one(body=body, page=False, tokens={"heroImage": "String"}) if p.code == "KM205"]
    assert bool(found) is reported, found
