"""The Outlook for Windows rules (KM641-KM648), the shipped macros and the calendar links."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmsg_authoring.compile import compile_template
from kmsg_authoring.lint import lint_template
from kmsg_authoring.source.config import load_config
from kmsg_authoring.source.scaffold import MACROS, macros_text
from tests.conftest import CORPUS, corpus_files, requires_corpus
from tests.corpus_project import slug_for
from tests.lint.conftest import LintFn, template_files, write

OUTLOOK = {f"KM64{i}" for i in range(1, 9)}


def test_each_rule_points_at_the_line_the_designer_wrote(lint_one: LintFn) -> None:
    body = "\n".join(
        [
            "<p>x</p>",
            '<div style="max-width: 600px;">',  # line 6 of the page (the body starts on line 5)
            '<img src="https://e.example.com/a.png" alt="" style="width: 300px;">',
            '<a href="https://e.example.com" style="background: #0b5cad; display: inline-block;">Go</a>',
            '<div style="margin-top: 20px;">y</div>',
            "</div>",
        ]
    )
    found = {p.code: p for p in lint_one(body=body) if p.code in OUTLOOK}
    assert {c: (p.location.path, p.location.line) for c, p in found.items()} == {
        "KM641": ("templates_src/t/body.html", 6),
        "KM642": ("templates_src/t/body.html", 7),
        "KM643": ("templates_src/t/body.html", 8),
        "KM645": ("templates_src/t/body.html", 9),
    }
    assert 'add width="300"' in found["KM642"].message
    assert "ghost table" in found["KM641"].message and 'width="600"' in found["KM641"].message


def test_a_finding_in_a_layout_points_at_the_layout(lint_one: LintFn) -> None:
    layout = '<!DOCTYPE html>\n<html lang="en">\n<head><title>x</title></head>\n<body>\n'
    layout += '<div style="max-width: 640px;">{% block content %}{% endblock %}</div>\n</body>\n</html>\n'
    body = '{% extends "_layouts/base.html" %}{% block content %}<p>Hi {recipient.firstName}</p>{% endblock %}'
    problems = lint_one(body=body, page=False, files={"templates_src/_layouts/base.html": layout})
    [p] = [p for p in problems if p.code == "KM641"]
    assert (p.location.path, p.location.line) == ("templates_src/_layouts/base.html", 5)


def test_the_rules_run_only_when_outlook_for_windows_is_targeted(lint_one: LintFn) -> None:
    body = '<div style="max-width: 600px; margin: 20px 0;">'
    body += '<img src="https://e.example.com/a.png" alt="" style="width:9px"></div>'
    assert {"KM641", "KM642", "KM645"} <= {p.code for p in lint_one(body=body)}
    others = lint_one(body=body, toml='[lint]\nclients = ["gmail.*", "apple-mail.*"]\n')
    assert not {p.code for p in others} & OUTLOOK
    mso_only = lint_one(body=body, toml='[lint]\nclients = ["outlook.windows"]\n')
    assert {"KM641", "KM642", "KM645"} <= {p.code for p in mso_only}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("<!--[if mso]><table><tr><td>\n<p>x</p>\n<!--[if mso]></td></tr></table><![endif]-->", "no '<![endif]-->'"),
        ("<!--[if !mso]><!--><p>x</p>", "not closed by '<!--<![endif]-->'"),
        ("<p>x</p><!--<![endif]-->", "closes no"),
        ("<!--[if !mso]><p>x</p><![endif]-->", "from every client"),
        ("<!--[if mso]><p>x</p><!--<![endif]-->", "stray '<!--'"),
        ("<!--[if mso]--><p>x</p>", "malformed conditional"),
    ],
    ids=["mso-unclosed", "revealed-unclosed", "stray-close", "not-mso-hidden", "mixed-close", "malformed"],
)
def test_malformed_conditional_comments(lint_one: LintFn, body: str, words: str) -> None:
    found = [p for p in lint_one(body=body) if p.code == "KM647"]
    assert found and words in found[0].message, [p.message for p in found]
    assert found[0].location.path == "templates_src/t/body.html" and found[0].location.line == 5


def test_balanced_conditionals_of_both_forms_are_fine(lint_one: LintFn) -> None:
    body = (
        '<!--[if mso | IE]><table role="presentation" width="600"><tr><td><![endif]-->'
        "<!--[if !mso]><!--><p>web</p><!--<![endif]--><!--[if !mso]><!-- --><p>web</p><!--<![endif]-->"
        "<!--[if mso | IE]></td></tr></table><![endif]-->"
    )
    assert not [p for p in lint_one(body=body) if p.code == "KM647"]


def test_vml_namespace_on_html_element_is_enough(lint_one: LintFn) -> None:
    vml = '<!--[if mso]><v:roundrect href="https://e.example.com" style="width:9px"></v:roundrect><![endif]--><p>x</p>'
    layout = (
        '<!DOCTYPE html>\n<html lang="en" xmlns:v="urn:schemas-microsoft-com:vml">\n<head><title>x</title></head>\n'
    )
    layout += "<body>{% block content %}{% endblock %}</body>\n</html>\n"
    body = '{% extends "_layouts/base.html" %}{% block content %}' + vml + "{% endblock %}"
    problems = lint_one(body=body, page=False, files={"templates_src/_layouts/base.html": layout})
    assert not [p for p in problems if p.code == "KM648"]
    assert [p for p in lint_one(body=vml) if p.code == "KM648"]


def test_content_hidden_from_outlook_is_not_judged_for_it(lint_one: LintFn) -> None:
    body = (
        '<!--[if !mso]><!--><div style="max-width: 600px; margin: 20px 0;"><a href="https://e.example.com" '
        'style="background: #000; padding: 9px;">Go</a></div><!--<![endif]-->'
        '<div style="mso-hide: all; margin: 20px;"><p>x</p></div>'
    )
    assert not {p.code for p in lint_one(body=body)} & OUTLOOK


def test_repeated_background_images_are_one_finding_per_file(lint_one: LintFn) -> None:
    cell = '<td style="background-image: url(https://e.example.com/a.jpg);">x</td>'
    problems = [p for p in lint_one(body=f"<table><tr>{cell * 5}</tr></table>") if p.code == "KM644"]
    assert len(problems) == 1 and "(+4 more in this file)" in problems[0].message


def _lint_raw(root: Path, files: list[Path]) -> dict[str, list[str]]:
    """Lint corpus files as they are (no probe tokens), the Outlook rules' findings by template."""
    write(root, {"kmsg.toml": ""})
    for path in files:
        slug = slug_for(path, CORPUS)
        yaml = f'name: {slug}\nsubject: Hi\ntoAttributePath: "{{recipient.email}}"\n'
        yaml += "msgParamsMap:\n  recipient: {type: User}\nkmsg:\n  jinja: false\n"
        write(root, {f"templates_src/{slug}/template.yaml": yaml})
        (root / f"templates_src/{slug}/body.html").write_bytes(path.read_bytes())
    config = load_config(root)
    out: dict[str, list[str]] = {}
    for path in files:
        slug = slug_for(path, CORPUS)
        problems = lint_template(compile_template(config, slug), config)
        out[slug] = [str(p) for p in problems if p.code in OUTLOOK]
    return out


@requires_corpus
@pytest.mark.corpus
def test_proven_frameworks_pass_the_outlook_rules(tmp_path: Path) -> None:
    """The current Cerberus templates and Foundation for Emails guard against what these rules report."""
    files = [f for f in corpus_files() if f.parent.name == "foundation-emails" or f.name.startswith("cerberus-")]
    assert len(files) == 7
    found = _lint_raw(tmp_path, files)
    assert all(v == [] for v in found.values()), {k: v for k, v in found.items() if v}


@requires_corpus
@pytest.mark.corpus
def test_the_rules_find_real_outlook_defects_in_the_corpus(tmp_path: Path) -> None:
    files = [f for f in corpus_files() if f.parent.name in ("mailgun-transactional", "postmark-templates")]
    found = [line for lines in _lint_raw(tmp_path, files).values() for line in lines]
    codes = {line.split(": ")[1].split(" ")[0] for line in found}
    assert {"KM641", "KM643", "KM645", "KM647"} <= codes


MJML_DOC = """\
<mjml lang="en"><mj-body>
<mj-section background-url="https://img.example.com/hero.jpg" background-size="cover" background-color="#222222">
<mj-column><mj-text color="#ffffff">Hero</mj-text><mj-spacer height="20px" /><mj-divider /></mj-column></mj-section>
<mj-section><mj-column width="33%"><mj-image src="https://img.example.com/a.png" alt="" /></mj-column>
<mj-column width="67%"><mj-button href="https://x.example.com" inner-padding="12px 24px">Go</mj-button></mj-column>
</mj-section>
<mj-hero background-url="https://img.example.com/hero.jpg" background-height="300px" background-width="600px"
 mode="fixed-height" height="300px"><mj-text>Hi</mj-text><mj-button href="https://x.example.com">Go</mj-button></mj-hero>
<mj-section><mj-group><mj-column><mj-text>a</mj-text></mj-column><mj-column><mj-text>b</mj-text></mj-column>
</mj-group></mj-section>
<mj-wrapper background-url="https://img.example.com/w.jpg" background-color="#eeeeee" padding="20px"><mj-section>
<mj-column><mj-image src="https://img.example.com/b.png" width="100px" alt="" /></mj-column></mj-section></mj-wrapper>
</mj-body></mjml>
"""


def test_mjml_output_passes_the_outlook_rules(tmp_path: Path) -> None:
    """What MJML writes for sections, columns, groups, buttons, images, backgrounds, heroes and wrappers."""
    mjml = pytest.importorskip("mjml")
    html = mjml.mjml2html(MJML_DOC)
    assert "v:rect" in html and "v:image" in html and "<!--[if mso | IE]>" in html  # what the rules follow
    files = template_files(html, page=False, jinja=False)
    root = write(tmp_path, {**files, "kmsg.toml": ""})
    config = load_config(root)
    problems = lint_template(compile_template(config, "t"), config)
    assert not [str(p) for p in problems if p.code in OUTLOOK]


# -- the macros ---------------------------------------------------------------------------------------

MACRO_BODY = """\
{% extends "_layouts/base.html" %}
{% from "_macros/email.html" import button, background, columns, calendar_links %}
{% block content %}<div style="display: none; mso-hide: all;">Doors open at 9: join below or add it to a calendar.</div>
<h1>Hello {recipient.firstName}</h1>
{{ button("{joinLink}", "Join {eventName}") }}
{% call background("{bannerUrl}", "#1f2933") %}<p style="color: #ffffff;">{eventName}</p>{% endcall %}
{% call(i) columns([280, 280]) %}{% if i == 0 %}<p>Left</p>{% else %}<p>Right</p>{% endif %}{% endcall %}
{{ calendar_links("{eventName} & friends", "{eventStart}", "{eventEnd}", "{eventStartIso}", "{eventEndIso}",
   join="{joinUrl}", details="Bring a #laptop", ics_url="https://events.example.com/{eventId}.ics") }}
{% endblock %}
"""
MACRO_TOKENS = {
    "joinLink": "MagicLink",
    "eventName": "String",
    "bannerUrl": "String",
    "eventStart": "String",
    "eventEnd": "String",
    "eventStartIso": "String",
    "eventEndIso": "String",
    "joinUrl": "String",
    "eventId": "String",
}
MACRO_SAMPLE = """\
users:
  - {id: jane@example.com, firstName: Jane, lastName: Doe, email: jane@example.com}
msgParams:
  recipient: {type: User, value: Message.userId}
  joinLink: {type: MagicLink, value: {baseURL: "https://events.example.com/join", expiry: 24}}
  eventName: {type: String, value: Launch}
  bannerUrl: {type: String, value: "https://events.example.com/banner.png"}
  eventStart: {type: String, value: 20261115T170000Z}
  eventEnd: {type: String, value: 20261115T180000Z}
  eventStartIso: {type: String, value: "2026-11-15T17:00:00Z"}
  eventEndIso: {type: String, value: "2026-11-15T18:00:00Z"}
  joinUrl: {type: String, value: "https://events.example.com/room"}
  eventId: {type: String, value: launch}
"""


def macro_project(root: Path) -> Path:
    """A project made by `init`, with one more template that uses every macro."""
    from kmsg_authoring.source.scaffold import init_project

    init_project(root)
    files = template_files(MACRO_BODY, tokens=MACRO_TOKENS, page=False, slug="macros")
    files["templates_src/macros/samples/default.yaml"] = MACRO_SAMPLE
    return write(root, files)


def test_macros_render_bulletproof_markup_and_lint_clean_for_every_default_client(tmp_path: Path) -> None:
    root = macro_project(tmp_path)
    assert (root / "templates_src" / MACROS).read_text(encoding="utf-8") == macros_text()
    config = load_config(root)
    compiled = compile_template(config, "macros")
    assert [str(p) for p in lint_template(compiled, config)] == []
    body = compiled.body
    # Outlook gets VML and a ghost table; every other client a link hidden from Word.
    assert '<v:roundrect xmlns:v="urn:schemas-microsoft-com:vml"' in body and 'href="{joinLink}"' in body
    assert body.count('href="{joinLink}"') == 2 and "<!--[if !mso]><!--><a " in body
    assert '<v:fill type="frame" src="{bannerUrl}"' in body and "url('{bannerUrl}')" in body
    assert '<table role="presentation" width="560"' in body and body.count('<td width="280" valign="top">') == 2
    # The calendar links: text percent-encoded for each URL, tokens kept for the send.
    assert "text=%7BeventName%7D" not in body and "text={eventName}%20%26%20friends" in body
    assert "dates={eventStart}/{eventEnd}" in body and "details=Bring%20a%20%23laptop" in body
    assert "outlook.live.com/calendar/0/deeplink/compose?" in body and "startdt={eventStartIso}" in body
    assert "outlook.office.com" in body and 'href="https://events.example.com/{eventId}.ics"' in body
    names = {t.name for t in compiled.tokens}
    assert set(MACRO_TOKENS) <= names


def test_a_magic_link_in_a_button_stays_shielded(tmp_path: Path) -> None:
    """The token in the macro's argument is a token of the template, located at the call."""
    root = macro_project(tmp_path)
    compiled = compile_template(load_config(root), "macros")
    refs = [t for t in compiled.tokens if t.name == "joinLink"]
    assert len(refs) == 2 and {t.location.path for t in refs} == {"templates_src/macros/body.html"}
    assert {t.location.line for t in refs} == {5}
    assert compiled.payload["msgParamsMap"]["joinLink"] == {"type": "MagicLink"}


def test_calendar_link_with_an_undeclared_date_token_is_flagged(lint_one: LintFn) -> None:
    body = '{% from "_macros/email.html" import calendar_links %}\n' + (
        '{{ calendar_links("Webinar", "{eventStart}", "{eventEnd}", "{startIso}", "{endIso}") }}'
    )
    problems = lint_one(
        body=body,
        tokens={"eventStart": "String", "eventEnd": "String", "startIso": "MagicLink"},
        files={f"templates_src/{MACROS}": macros_text()},
    )
    found = [p for p in problems if p.code == "KM649"]
    # endIso undeclared, startIso not a String (in the Outlook.com and Office links, one place each)
    assert sorted(p.message.split(" uses ")[1][:10] for p in found) == ["'{endIso}'", "'{startIso"], found
    assert any("which is not declared in msgParamsMap" in p.message for p in found)
    assert any("declared as MagicLink" in p.message for p in found)
    assert {(p.location.path, p.location.line) for p in found} == {("templates_src/t/body.html", 6)}


def test_new_copies_the_macros_into_a_project_without_them(tmp_path: Path) -> None:
    from kmsg_authoring.source.scaffold import new_template

    write(tmp_path, {"kmsg.toml": ""})
    written = new_template(load_config(tmp_path), "invite")
    assert f"templates_src/{MACROS}" in written
    config = load_config(tmp_path)
    compiled = compile_template(config, "invite")
    problems = lint_template(compiled, config)
    assert "<v:roundrect" in compiled.body and not [str(p) for p in problems if p.code in OUTLOOK or p.is_error]
    (tmp_path / "templates_src" / MACROS).write_text("{# the team's own #}\n" + macros_text(), encoding="utf-8")
    again = new_template(load_config(tmp_path), "reminder")
    assert f"templates_src/{MACROS}" not in again  # never overwritten
    assert (tmp_path / "templates_src" / MACROS).read_text(encoding="utf-8").startswith("{# the team's own #}")
