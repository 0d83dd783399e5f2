"""Locales end to end: per-locale builds, token consistency at the PO line, the catalog round trip, publish."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kmsg_authoring.cli import main
from kmsg_authoring.compile.i18n import direction, set_language
from tests.conftest import MINIMAL_BODY, MINIMAL_YAML

Project = Callable[[dict[str, str | bytes]], Path]

TOML = """\
[i18n]
locales = ["en", "fr", "he"]
default_locale = "en"
"""

TEMPLATE = """\
name: Invite
subject: "{{ _('You are invited to {eventName}') }}"
toAttributePath: "{recipient.email}"
msgParamsMap:
  recipient: {type: User}
  eventName: {type: String}
"""

BODY = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Invite</title></head>
<body>
<p>{% trans %}Hi {recipient.firstName}, see you at {eventName}{% endtrans %}</p>
<p>{% trans count=3 %}One seat left{% pluralize %}{{ count }} seats left{% endtrans %}</p>
<p>{{ 1234.5|format_decimal }}</p>
</body></html>
"""

FR = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"

msgid "You are invited to {eventName}"
msgstr "Vous êtes invité à {eventName}"

msgid "Hi {recipient.firstName}, see you at {eventName}"
msgstr "Bonjour {recipient.firstName}, rendez-vous à {eventName}"

msgid "One seat left"
msgid_plural "%(count)s seats left"
msgstr[0] "Une place"
msgstr[1] "%(count)s places"
"""

HE = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "You are invited to {eventName}"
msgstr "הוזמנת ל-{eventName}"

msgid "Hi {recipient.firstName}, see you at {eventName}"
msgstr "שלום {recipient.firstName}, נתראה ב-{eventName}"

msgid "One seat left"
msgid_plural "%(count)s seats left"
msgstr[0] "מקום אחד"
msgstr[1] "%(count)s מקומות"
"""

FR_PO = "templates_src/_locales/fr/LC_MESSAGES/messages.po"
HE_PO = "templates_src/_locales/he/LC_MESSAGES/messages.po"


def files(**overrides: str) -> dict[str, str | bytes]:
    base: dict[str, str | bytes] = {
        "kmsg.toml": TOML,
        "templates_src/invite/template.yaml": TEMPLATE,
        "templates_src/invite/body.html": BODY,
        "templates_src/plain/template.yaml": MINIMAL_YAML,
        "templates_src/plain/body.html": MINIMAL_BODY,
        FR_PO: FR,
        HE_PO: HE,
    }
    base.update(overrides)
    return base


def run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["-C", str(root), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def po_line(text: str, msgid: str) -> int:
    return text.splitlines().index(f'msgid "{msgid}"') + 1


def test_three_locales_build_three_payloads_with_lang_dir_and_translated_subjects(
    make_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(files())
    code, text = run(capsys, root, "build")
    assert code == 0, text
    build = root / "build"
    manifest = json.loads((build / "manifest.json").read_text())["templates"]
    assert sorted(manifest) == ["invite.en", "invite.fr", "invite.he", "plain"]
    assert {k: (v.get("slug"), v.get("locale")) for k, v in manifest.items() if k != "plain"} == {
        "invite.en": ("invite", "en"),
        "invite.fr": ("invite", "fr"),
        "invite.he": ("invite", "he"),
    }
    payloads = {loc: json.loads((build / f"invite.{loc}.json").read_text()) for loc in ("en", "fr", "he")}
    assert {loc: p["subject"] for loc, p in payloads.items()} == {
        "en": "You are invited to {eventName}",
        "fr": "Vous êtes invité à {eventName}",
        "he": "הוזמנת ל-{eventName}",
    }
    assert {loc: p["name"] for loc, p in payloads.items()} == {"en": "Invite", "fr": "Invite [fr]", "he": "Invite [he]"}
    assert all(f"locale:{loc}" in p["adminTags"] for loc, p in payloads.items())
    assert '<html lang="fr" dir="ltr">' in payloads["fr"]["body"]
    assert '<html lang="he" dir="rtl">' in payloads["he"]["body"]
    assert '<html lang="en" dir="ltr">' in payloads["en"]["body"]
    # Tokens inside translated text stay tokens, in the translation's own words and order.
    assert "Bonjour {recipient.firstName}, rendez-vous à {eventName}" in payloads["fr"]["body"]
    assert "שלום {recipient.firstName}, נתראה ב-{eventName}" in payloads["he"]["body"]
    assert "kmsgtk" not in payloads["fr"]["body"]
    # Plurals with the catalog's plural rule, numbers formatted in the locale.
    assert "3 places" in payloads["fr"]["body"] and "3 seats left" in payloads["en"]["body"]
    assert "1\u202f234,5" in payloads["fr"]["body"] and "1,234.5" in payloads["en"]["body"]
    assert (build / "invite.fr.html").read_text() == payloads["fr"]["body"]
    # A template without translatable text builds once, as before.
    assert not (build / "invite.json").exists() and (build / "plain.json").is_file()
    assert 'lang="en" dir' not in json.loads((build / "plain.json").read_text())["body"]
    # The translation's tokens are located at its PO entry.
    fr_tokens = [t for t in manifest["invite.fr"]["tokens"] if t["path"] == FR_PO]
    assert {t["line"] for t in fr_tokens} == {po_line(FR, "Hi {recipient.firstName}, see you at {eventName}")}


def test_a_changed_translation_rebuilds_that_locale(make_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(files())
    assert run(capsys, root, "build")[0] == 0
    po = root / FR_PO
    po.write_text(po.read_text().replace("rendez-vous à", "à bientôt à"))
    code, text = run(capsys, root, "build")
    assert code == 0, text
    assert "à bientôt à {eventName}" in (root / "build/invite.fr.html").read_text()


def test_a_translation_dropping_a_token_fails_lint_at_the_po_line(
    make_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = FR.replace(
        'msgstr "Bonjour {recipient.firstName}, rendez-vous à {eventName}"', 'msgstr "Bonjour {recipient.firstName}"'
    )
    root = make_project(files(**{FR_PO: broken}))
    code, text = run(capsys, root, "lint")
    assert code == 1
    line = po_line(broken, "Hi {recipient.firstName}, see you at {eventName}")
    assert f"{FR_PO}:{line}:1: KM701 fr: the translation drops token {{eventName}}" in text
    code, text = run(capsys, root, "build")
    assert code == 1 and not (root / "build/invite.fr.json").exists()


@pytest.mark.parametrize(
    ("msgstr", "expected"),
    [
        (
            "Bonjour {recipient.firstname}, rendez-vous à {eventName}",
            "token {recipient.firstName} has another field in the translation: {recipient.firstname}",
        ),
        (
            "Bonjour {recipient.firstName}, rendez-vous à {eventNom}",
            "token {eventName} is renamed to {eventNom} in the translation",
        ),
        (
            "Bonjour {recipient.firstName}, rendez-vous à {eventName} {joinLink}",
            "the translation adds token {joinLink}",
        ),
    ],
    ids=["other-field", "renamed", "added"],
)
def test_token_mismatches_are_named(
    make_project: Project, capsys: pytest.CaptureFixture[str], msgstr: str, expected: str
) -> None:
    broken = FR.replace("Bonjour {recipient.firstName}, rendez-vous à {eventName}", msgstr)
    root = make_project(files(**{FR_PO: broken}))
    code, text = run(capsys, root, "lint")
    assert code == 1
    assert f"{FR_PO}:{po_line(broken, 'Hi {recipient.firstName}, see you at {eventName}')}:1: KM701" in text
    assert expected in text


def test_missing_translation_warns_and_strict_gates_it(
    make_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    partial = HE.replace('msgstr "הוזמנת ל-{eventName}"', 'msgstr ""')
    root = make_project(files(**{HE_PO: partial}))
    code, text = run(capsys, root, "lint")
    assert code == 0, text
    assert f"{HE_PO}:{po_line(partial, 'You are invited to {eventName}')}:1: KM702 he:" in text
    assert run(capsys, root, "lint", "--strict")[0] == 1
    assert run(capsys, root, "build")[0] == 0
    # The default-locale text is sent.
    assert json.loads((root / "build/invite.he.json").read_text())["subject"] == "You are invited to {eventName}"


def test_fuzzy_translation_warns_and_is_not_used(make_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    fuzzy = FR.replace('msgid "You are invited to {eventName}"', '#, fuzzy\nmsgid "You are invited to {eventName}"')
    root = make_project(files(**{FR_PO: fuzzy}))
    code, text = run(capsys, root, "lint")
    assert code == 0 and "KM703 fr: translation of 'You are invited to {eventName}' is fuzzy" in text
    assert run(capsys, root, "build")[0] == 0
    assert json.loads((root / "build/invite.fr.json").read_text())["subject"] == "You are invited to {eventName}"


def test_extract_then_update_round_trips(make_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(files())
    code, text = run(capsys, root, "i18n", "extract")
    assert code == 0 and "3 message(s), written" in text, text
    pot = (root / "templates_src/_locales/messages.pot").read_text()
    # Translators see the tokens as written, never a placeholder.
    assert 'msgid "Hi {recipient.firstName}, see you at {eventName}"' in pot and "kmsgtk" not in pot
    assert "#: templates_src/invite/body.html:4" in pot and "#: templates_src/invite/template.yaml:2" in pot
    body = root / "templates_src/invite/body.html"
    new = "<p>{% trans %}Doors open at 9 for {eventName}{% endtrans %}</p>\n</body>"
    body.write_text(body.read_text().replace("</body>", new))
    assert run(capsys, root, "i18n", "extract")[0] == 0
    code, text = run(capsys, root, "i18n", "update")
    assert code == 0 and "1 new (untranslated)" in text, text
    from babel.messages.pofile import read_po

    for po, locale in ((FR_PO, "fr"), (HE_PO, "he")):
        with (root / po).open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        assert catalog.get("Doors open at 9 for {eventName}").string == ""
        kept = catalog.get("Hi {recipient.firstName}, see you at {eventName}").string
        assert (
            kept
            == {
                "fr": "Bonjour {recipient.firstName}, rendez-vous à {eventName}",
                "he": "שלום {recipient.firstName}, נתראה ב-{eventName}",
            }[locale]
        )
    code, text = run(capsys, root, "i18n", "status", "--format", "json")
    status = {r["locale"]: r for r in json.loads(text)["locales"]}
    assert (status["fr"]["translated"], status["fr"]["missing"], status["fr"]["total"]) == (3, 1, 4)
    assert status["en"]["default"] is True
    # A second update changes nothing.
    assert "written" not in run(capsys, root, "i18n", "update")[1]
    # The new message warns until translated.
    assert "KM702 fr: message 'Doors open at 9 for {eventName}' is not translated" in run(capsys, root, "lint")[1]


def test_i18n_without_locales_is_a_usage_error(make_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(files(**{"kmsg.toml": ""}))
    code, text = run(capsys, root, "i18n", "extract")
    assert code == 2 and "[i18n] locales" in text
    # Without locales, {% trans %} still renders the source text in one build.
    code, text = run(capsys, root, "build")
    assert code == 0, text
    assert json.loads((root / "build/invite.json").read_text())["subject"] == "You are invited to {eventName}"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[i18n]\nlocales = ["en", "fr"]\ndefault_locale = "de"\n', "default_locale 'de' must be one of"),
        ('[i18n]\nlocales = ["en", "F R"]\n', "is not a locale code"),
        ('[i18n]\nlocale = ["en"]\n', "unknown key 'locale'"),
    ],
    ids=["default-not-listed", "bad-code", "unknown-key"],
)
def test_bad_i18n_settings_are_config_errors(
    make_project: Project, capsys: pytest.CaptureFixture[str], toml: str, message: str
) -> None:
    root = make_project(files(**{"kmsg.toml": toml}))
    code, text = run(capsys, root, "build")
    assert code == 2 and message in text


def test_a_bad_po_file_is_located(make_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    bad = FR + "\ngarbage line\n"
    root = make_project(files(**{FR_PO: bad}))
    code, text = run(capsys, root, "build")
    assert code == 1 and "not a valid PO file" in text
    assert f"{FR_PO}:{bad.splitlines().index('garbage line') + 1}:" in text


def test_set_language_and_direction() -> None:
    assert direction("he") == "rtl" and direction("ar") == "rtl" and direction("fr") == "ltr"
    html = '<html lang="en" data-kmsg-loc="1"><body></body></html>'
    assert set_language(html, "pt_BR") == '<html lang="pt-BR" dir="ltr" data-kmsg-loc="1"><body></body></html>'
    assert set_language("<p>no document</p>", "he") == "<p>no document</p>"


def test_a_template_built_per_locale_has_one_contract(
    make_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(files())
    assert run(capsys, root, "build")[0] == 0
    contracts = root / "build/contracts"
    assert sorted(p.name for p in contracts.iterdir()) == ["invite.schema.json", "plain.schema.json"]
    schema = json.loads((contracts / "invite.schema.json").read_text())
    assert schema["x-kmsg"]["name"] == "Invite"  # the default locale's name, not "Invite [fr]"
    manifest = json.loads((root / "build/manifest.json").read_text())["templates"]
    assert {manifest[k]["contract"] for k in ("invite.en", "invite.fr", "invite.he")} == {
        "contracts/invite.schema.json"
    }
    # A later build that rebuilds one locale keeps the contract; `contract` names the template by its folder.
    po = root / FR_PO
    po.write_text(po.read_text().replace("rendez-vous à", "à bientôt à"))
    assert run(capsys, root, "build")[0] == 0
    assert (contracts / "invite.schema.json").is_file()
    code, text = run(capsys, root, "contract", "invite")
    assert code == 0 and "eventName" in text, text


def test_an_mjml_body_is_translated_with_lang_and_dir_on_the_email(
    make_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    mjml = (
        '<mjml lang="en"><mj-body><mj-section><mj-column>\n'
        "<mj-text>{% trans %}Hi {recipient.firstName}, see you at {eventName}{% endtrans %}</mj-text>\n"
        "</mj-column></mj-section></mj-body></mjml>\n"
    )
    root = make_project(files(**{"templates_src/invite/body.mjml": mjml, "templates_src/invite/body.html": ""}))
    (root / "templates_src/invite/body.html").unlink()
    code, text = run(capsys, root, "build")
    assert code == 0, text
    he = (root / "build/invite.he.html").read_text()
    # MRML writes the <mjml> root's lang and dir on <html> and on the email's wrapper: both follow the locale.
    assert '<html lang="he" dir="rtl"' in he and 'lang="he" dir="rtl"' in he.split("<body", 1)[1]
    assert "שלום {recipient.firstName}, נתראה ב-{eventName}" in he
    code, text = run(capsys, root, "i18n", "extract")
    assert code == 0, text
    assert "templates_src/invite/body.mjml:2" in (root / "templates_src/_locales/messages.pot").read_text()


# -- publishing to the sandbox ------------------------------------------------------------------

sandbox = pytest.importorskip("kmsg_authoring.sandbox", reason="the sandbox package is not available")
GUID = "example-app-guid"
WRITES = ("email-template/add", "email-template/update", "email-template/delete")


@pytest.fixture
def published(make_project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Any]]:
    ks = sandbox.make_ks(4242)
    monkeypatch.setenv("KALTURA_KS", ks)
    with sandbox.start_sandbox(tmp_path / "sandbox.sqlite") as sb:
        toml = TOML + f'\n[environments.sandbox]\nurl = "{sb.url}"\napp_guid = "{GUID}"\n'
        yield make_project(files(**{"kmsg.toml": toml})), sb


def _writes(sb: Any) -> list[str]:
    return [r for r in sb.request_log if any(w in r for w in WRITES)]


def test_publish_creates_one_template_per_locale_then_only_the_changed_locale(
    published: tuple[Path, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    root, sb = published
    code, text = run(capsys, root, "publish", "--env", "sandbox")
    assert code == 0, text
    from kmsg_authoring.api import MessagingClient

    with MessagingClient(sb.url, sandbox.make_ks(4242)) as client:
        live = {t["name"]: t for t in client.list_templates(appGuidIn=[GUID]) if t.get("status") != "deleted"}
    assert sorted(live) == ["Invite", "Invite [fr]", "Invite [he]", "Minimal"]
    assert "locale:he" in live["Invite [he]"]["adminTags"] and 'dir="rtl"' in live["Invite [he]"]["body"]
    assert live["Invite [fr]"]["subject"] == "Vous êtes invité à {eventName}"
    assert len([r for r in _writes(sb) if "add" in r]) == 4

    sb.request_log.clear()
    code, text = run(capsys, root, "publish", "--env", "sandbox")
    assert code == 0 and "nothing to publish" in text, text
    assert _writes(sb) == []

    po = root / FR_PO
    po.write_text(po.read_text().replace("Vous êtes invité à", "Invitation à"))
    code, text = run(capsys, root, "plan", "--env", "sandbox", "--format", "json")
    plan = json.loads(text)
    assert [(t["name"], t["action"]) for t in plan["templates"] if t["action"] != "unchanged"] == [
        ("Invite [fr]", "update")
    ]
    sb.request_log.clear()
    code, text = run(capsys, root, "publish", "--env", "sandbox")
    assert code == 0, text
    updates = _writes(sb)
    assert updates == ["email-template/update"]
    with MessagingClient(sb.url, sandbox.make_ks(4242)) as client:
        assert client.get_template(live["Invite [fr]"]["id"])["subject"] == "Invitation à {eventName}"
        assert client.get_template(live["Invite [he]"]["id"]) == live["Invite [he]"]

    code, text = run(capsys, root, "ids", "--env", "sandbox", "--format", "json")
    assert code == 0, text
    ids = json.loads(text)["templates"]
    assert ids["invite"] == {
        "en": live["Invite"]["id"],
        "fr": live["Invite [fr]"]["id"],
        "he": live["Invite [he]"]["id"],
    }
    assert ids["plain"] == {"default": live["Minimal"]["id"]}

    # Dropping a locale from kmsg.toml leaves its remote template to --prune, like any other.
    toml = root / "kmsg.toml"
    toml.write_text(toml.read_text().replace('"en", "fr", "he"', '"en", "fr"'))
    code, text = run(capsys, root, "publish", "--env", "sandbox", "--prune")
    assert code == 0 and re.search(r"1 deleted", text), text


def test_extract_skips_templates_that_are_not_jinja(make_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    pulled = MINIMAL_YAML + "kmsg: {jinja: false}\n"
    handlebars = "<p>{{#if vip}}Hi {recipient.firstName}{{/if}}</p>"
    root = make_project(
        files(**{"templates_src/pulled/template.yaml": pulled, "templates_src/pulled/body.html": handlebars})
    )
    code, text = run(capsys, root, "i18n", "extract")
    assert code == 0 and "3 message(s)" in text, text
    body = root / "templates_src/invite/body.html"
    body.write_text(body.read_text() + "{% trans %}unclosed")
    code, text = run(capsys, root, "i18n", "extract")
    assert code == 1 and "templates_src/invite/body.html:" in text and "Jinja syntax error" in text
