"""Each plural form of a translation is checked against the source form it stands for."""

from __future__ import annotations

import pytest

from tests.i18n.test_locales import BODY, FR, FR_PO, Project, files, po_line, run

PLURAL_BODY = BODY.replace(
    "{% trans count=3 %}One seat left{% pluralize %}{{ count }} seats left{% endtrans %}",
    "{% trans count=3 %}One seat left at {eventName}{% pluralize %}"
    "{{ count }} seats left at {eventName}, {recipient.firstName}{% endtrans %}",
)
SINGULAR = "One seat left at {eventName}"


def catalog(plural_translation: str) -> str:
    return FR.replace(
        'msgid "One seat left"\nmsgid_plural "%(count)s seats left"\n'
        'msgstr[0] "Une place"\nmsgstr[1] "%(count)s places"',
        f'msgid "{SINGULAR}"\n'
        'msgid_plural "%(count)s seats left at {eventName}, {recipient.firstName}"\n'
        'msgstr[0] "Une place à {eventName}"\n'
        f'msgstr[1] "{plural_translation}"',
    )


def test_a_plural_form_with_the_plural_msgids_tokens_passes(
    make_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    po = catalog("%(count)s places à {eventName}, {recipient.firstName}")
    root = make_project(files(**{"templates_src/invite/body.html": PLURAL_BODY, FR_PO: po}))
    code, text = run(capsys, root, "lint")
    assert "KM701" not in text and code == 0, text
    code, text = run(capsys, root, "build")
    assert code == 0, text
    assert "3 places à {eventName}, {recipient.firstName}" in (root / "build/invite.fr.html").read_text()


def test_a_plural_form_dropping_a_token_of_the_plural_msgid_is_reported(
    make_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    po = catalog("%(count)s places à {eventName}")
    root = make_project(files(**{"templates_src/invite/body.html": PLURAL_BODY, FR_PO: po}))
    code, text = run(capsys, root, "lint")
    assert code == 1, text
    assert f"{FR_PO}:{po_line(po, SINGULAR)}:1: KM701 fr: the translation drops token {{recipient.firstName}}" in text
