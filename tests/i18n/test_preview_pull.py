"""Locales in the preview (switcher, index status, a sample's locale), pull and the build cache."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kmsg_authoring.cli import main
from kmsg_authoring.preview.site import PreviewSite
from kmsg_authoring.publish.plan import local_templates, make_plan
from kmsg_authoring.publish.pull import pull
from kmsg_authoring.source.config import load_config
from tests.i18n.test_locales import FR_PO, HE, HE_PO, Project, files
from tests.publish.fake_api import FakeApi

SAMPLE = """\
locale: he
users:
  - {id: noa@example.com, firstName: Noa, email: noa@example.com}
msgParams:
  recipient: {type: User, value: Message.userId}
  eventName: {type: String, value: Kenes}
"""


def _h1(html: str) -> str:
    return re.findall(r"<p>(.*?, see you at .*?|Bonjour.*?|שלום.*?)</p>", html)[0]


def test_preview_switches_locales_and_a_sample_sets_one(make_project: Project) -> None:
    partial = HE.replace('msgstr "הוזמנת ל-{eventName}"', 'msgstr ""')
    root = make_project(files(**{HE_PO: partial, "templates_src/invite/samples/hebrew.yaml": SAMPLE}))
    site = PreviewSite(load_config(root))
    site.build_all()
    index = site.handle("/").body.decode()
    assert 'href="/t/invite?locale=fr">fr ✓</a>' in index
    assert 'href="/t/invite?locale=he">he: 1 missing</a>' in index
    page = site.handle("/t/invite?locale=fr").body.decode()
    assert '<a href="?locale=fr&amp;sample=hebrew" lang="fr" aria-current="page" class="current">fr</a>' in page
    email = re.findall(r'/t/invite/email/[^"]*', page)[0]
    assert email.endswith("?locale=fr")
    assert _h1(site.handle(email).body.decode()) == "Bonjour Noa, rendez-vous à Kenes"
    # Without ?locale=, the sample's own locale.
    page = site.handle("/t/invite?sample=hebrew").body.decode()
    email = re.findall(r'/t/invite/email/[^"]*', page)[0]
    shown = site.handle(email).body.decode()
    assert _h1(shown) == "שלום Noa, נתראה ב-Kenes" and '<html lang="he" dir="rtl">' in shown
    payload = json.loads(site.handle("/t/invite/payload.json?locale=he").body)
    assert payload["name"] == "Invite [he]"
    assert site.handle("/t/invite?locale=de").status == 404
    assert site.handle("/t/plain").status == 200


def test_a_sample_locale_outside_the_project_locales_is_an_error(
    make_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = SAMPLE.replace("locale: he", "locale: de")
    root = make_project(files(**{"templates_src/invite/samples/hebrew.yaml": sample}))
    assert main(["-C", str(root), "samples", "check"]) == 1
    captured = capsys.readouterr()
    assert (
        "templates_src/invite/samples/hebrew.yaml:1:1: KM002 locale 'de' is not one of [i18n] locales (en, fr, he)"
        in (captured.out + captured.err)
    )
    assert main(["-C", str(root), "lint"]) == 1
    assert "locale 'de' is not one of [i18n] locales" in capsys.readouterr().out


def test_creating_a_catalog_rebuilds_the_locale(make_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project({k: v for k, v in files().items() if k != FR_PO})
    assert main(["-C", str(root), "build"]) == 0
    assert json.loads((root / "build/invite.fr.json").read_text())["subject"] == "You are invited to {eventName}"
    (root / FR_PO).parent.mkdir(parents=True)
    (root / FR_PO).write_text(files()[FR_PO])  # type: ignore[arg-type]
    assert main(["-C", str(root), "build"]) == 0
    assert json.loads((root / "build/invite.fr.json").read_text())["subject"] == "Vous êtes invité à {eventName}"


def test_removing_all_translatable_text_goes_back_to_one_output(
    make_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(files())
    assert main(["-C", str(root), "build"]) == 0
    assert (root / "build/invite.fr.json").is_file()
    body = root / "templates_src/invite/body.html"
    body.write_text(
        re.sub(
            r"<p>\{% trans.*?\{% endtrans %\}</p>", "<p>Hi {recipient.firstName} at {eventName}</p>", body.read_text()
        )
    )
    (root / "templates_src/invite/template.yaml").write_text(
        files()["templates_src/invite/template.yaml"].replace(  # type: ignore[union-attr]
            "\"{{ _('You are invited to {eventName}') }}\"", "You are invited to {eventName}"
        )
    )
    assert main(["-C", str(root), "build"]) == 0, capsys.readouterr()
    manifest = json.loads((root / "build/manifest.json").read_text())["templates"]
    assert sorted(manifest) == ["invite", "plain"]
    assert sorted(p.name for p in (root / "build").glob("invite*")) == ["invite.html", "invite.json"]


def test_pull_keeps_translations_with_their_group(make_project: Project) -> None:
    root = make_project(files())
    config = load_config(root)
    api = FakeApi()
    templates = local_templates(config)
    assert sorted(t.name for t in templates) == ["Invite", "Invite [fr]", "Invite [he]", "Minimal"]
    for t in templates:
        api.client().add_template({**t.payload, "appGuid": "app-1"})
    elsewhere = root.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "kmsg.toml").write_text(files()["kmsg.toml"])  # type: ignore[arg-type]
    result = pull(api.client(), load_config(elsewhere), app_guid="app-1")
    assert sorted(name for _, name in result.written) == ["Invite", "Minimal"]
    assert result.translations == ["Invite [fr]", "Invite [he]"]
    plan = make_plan(api.client(), templates, environment="t", app_guid="app-1")
    assert {a.name: a.kind for a in plan.actions} == dict.fromkeys(
        ["Invite", "Invite [fr]", "Invite [he]", "Minimal"], "unchanged"
    )
    # Translations are not adopted: their text is not in the project's catalogs, so a publish that
    # would replace it is refused as a conflict rather than overwriting the remote translation.
    assert result.adopted == ["Invite", "Minimal"]


def test_the_example_confirmation_is_translated_into_french_and_hebrew(
    example_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-C", str(example_project), "lint", "--strict"]) == 0, capsys.readouterr()
    assert main(["-C", str(example_project), "build"]) == 0
    build = example_project / "build"
    fr = json.loads((build / "attendance-confirmation.fr.json").read_text())
    he = json.loads((build / "attendance-confirmation.he.json").read_text())
    # A message holding markup is found although the build marks its elements with their source line.
    assert "Votre inscription à <strong" in fr["body"] and "{eventName}</strong> est confirmée." in fr["body"]
    assert fr["name"] == "Attendance Confirmation [fr]" and "locale:fr" in fr["adminTags"]
    assert '<html lang="he" dir="rtl"' in he["body"] and he["subject"] == "{recipient.firstName}, נרשמת ל-{eventName}"
    assert 'alt="קוד QR לכניסה של {recipient.fullName}"' in he["body"]
    capsys.readouterr()
    assert main(["-C", str(example_project), "i18n", "status", "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)["locales"]
    assert [(r["locale"], r["missing"], r["fuzzy"]) for r in status] == [("en", 0, 0), ("fr", 0, 0), ("he", 0, 0)]


def test_editing_a_catalog_rebuilds_the_preview_of_its_templates(make_project: Project) -> None:
    root = make_project(files())
    site = PreviewSite(load_config(root))
    site.build_all()
    po = root / FR_PO
    po.write_text(po.read_text().replace("rendez-vous à", "à bientôt à"))
    assert site.on_change([FR_PO]) == {"invite"}
    payload = json.loads(site.handle("/t/invite/payload.json?locale=fr").body)
    assert "à bientôt à {eventName}" in payload["body"]


def test_one_shot_preview_uses_the_sample_locale(make_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(files(**{"templates_src/invite/samples/hebrew.yaml": SAMPLE}))
    out = root / "out"
    code = main(["-C", str(root), "preview", "invite", "--sample", "hebrew", "--out", str(out)])
    assert code == 0, capsys.readouterr()
    shown = next(out.glob("01-*.html")).read_text()
    assert _h1(shown) == "שלום Noa, נתראה ב-Kenes" and 'dir="rtl"' in shown


def test_send_test_sends_the_sample_locale_template(example_project: Path) -> None:
    from kmsg_authoring.publish.apply import apply_plan
    from kmsg_authoring.publish.sendtest import send_test

    api = FakeApi()
    client = api.client()
    config = load_config(example_project)
    apply_plan(client, make_plan(client, local_templates(config), environment="t", app_guid="app-1"))
    delivery = send_test(
        api.client(),
        config,
        app_guid="app-1",
        slug="attendance-confirmation",
        sample="hebrew",
        to=["qa@example.com"],
        sleep=lambda s: None,
    )
    hebrew = next(t for t in api.live() if t["name"] == "Attendance Confirmation [he]")
    assert delivery.name == "Attendance Confirmation [he]" and api.sent[0]["templateId"] == hebrew["id"]
    send_test(
        api.client(),
        config,
        app_guid="app-1",
        slug="attendance-confirmation",
        to=["qa@example.com"],
        sleep=lambda s: None,
    )
    english = next(t for t in api.live() if t["name"] == "Attendance Confirmation")
    assert api.sent[1]["templateId"] == english["id"]
