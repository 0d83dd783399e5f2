"""KM601 inlining-conflict: a media rule the inlined styles silence, at the line the designer wrote it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmsg_authoring.lint import Problem
from tests.lint.conftest import LintFn, template_files, write

# width: the media rule won (same specificity, later) and both are !important: an !important in a
# style attribute beats every stylesheet, so it cannot be kept. padding-left: it won, and the build
# keeps it winning (made !important). color: nothing inlined. .keep: nothing inlined.
CSS = """\
td.pusher { width: 100px !important; padding: 10px; }
@media only screen and (max-width: 480px) {
  td[class="pusher"] { width: 20px !important; padding-left: 0; color: red; }
  .keep { width: 50% !important; }
}
"""
TABLE = '<table><tr><td class="pusher">x</td><td class="keep">y</td></tr></table>'
EXPECTED = {
    (
        "'width' of '@media only screen and (max-width: 480px)' rule 'td[class=\"pusher\"]' no longer applies to "
        "<td> after inlining: the inlined 'width: 100px !important' of 'td.pusher' wins; the inlined "
        "'width: 100px !important' is !important in the style attribute, which no stylesheet declaration can beat"
    ),
}


def _conflicts(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.code == "KM601"]


def test_a_media_rule_beaten_by_an_inlined_declaration_is_reported_at_its_line(lint_one: LintFn) -> None:
    problems = _conflicts(lint_one(body=f"<style>\n{CSS}</style>\n{TABLE}", page=False))
    assert {p.message for p in problems} == EXPECTED
    assert {str(p.location) for p in problems} == {"templates_src/t/body.html:4:3"}
    assert all(p.severity == "warning" for p in problems)


@pytest.mark.parametrize("how", ["include", "link"])
def test_a_rule_from_a_shared_stylesheet_is_reported_in_that_file(lint_one: LintFn, how: str) -> None:
    style = (
        '<style>\n{% include "_styles/main.css" %}\n</style>'
        if how == "include"
        else '<link rel="stylesheet" href="../_styles/main.css">'
    )
    problems = _conflicts(
        lint_one(
            body=f"<html><head>{style}</head><body>{TABLE}</body></html>",
            page=False,
            files={"templates_src/_styles/main.css": CSS},
        )
    )
    assert {p.message for p in problems} == EXPECTED
    assert {str(p.location) for p in problems} == {"templates_src/_styles/main.css:3:3"}


def test_a_media_rule_that_would_also_beat_a_style_attribute_is_reported_with_why(lint_one: LintFn) -> None:
    # .col wins over td.col's inlined width on the first cell; on the second, the designer's style
    # attribute beats it in the source, and !important would overturn that.
    body = (
        "<style>\ntd { width: 300px }\n@media (max-width: 480px) {\n  .col { width: 100% }\n}\n</style>"
        '<table><tr><td class="col">a</td><td class="col" style="width: 200px">b</td></tr></table>'
    )
    problems = _conflicts(lint_one(body=body, page=False))
    assert [p.message for p in problems] == [
        "'width' of '@media (max-width: 480px)' rule '.col' no longer applies to <td> after inlining: the "
        "inlined 'width: 300px' of 'td' wins; on <td> it must lose to the style attribute's 'width: 200px', "
        "which !important would overturn"
    ]
    assert str(problems[0].location) == "templates_src/t/body.html:4:3"


def test_with_preserve_cascade_off_every_silenced_media_rule_is_reported(lint_one: LintFn) -> None:
    body = "<style>td.pusher { width: 100px } @media (max-width: 480px) { td.pusher { width: 20px } }</style>" + TABLE
    problems = _conflicts(lint_one(body=body, toml="[build]\npreserve_cascade = false\n"))
    assert [p.message for p in problems] == [
        "'width' of '@media (max-width: 480px)' rule 'td.pusher' no longer applies to <td> after inlining: the "
        "inlined 'width: 100px' of 'td.pusher' wins; preserve_cascade = false under [build] leaves it losing "
        "(remove that setting to keep it winning)"
    ]
    assert not _conflicts(lint_one(body=body))


@pytest.mark.parametrize(
    "body",
    [
        # The build makes the media rule !important, as it won in the source (later, as specific).
        "<style>td.pusher { width: 100px } @media (max-width: 480px) { td[class=pusher] { width: 20px } }</style>"
        + TABLE,
        # Less specific than the inlined rule: it lost in the source too.
        "<style>td.pusher { width: 100px } @media (max-width: 480px) { td { width: 20px } }</style>" + TABLE,
        # !important in the media rule lets it win.
        "<style>td.pusher { width: 100px } @media (max-width: 480px) { td.pusher { width: 20px !important } }</style>"
        + TABLE,
        # The designer's own inline width already beat the media rule before inlining: not inlining's doing.
        (
            "<style>@media (max-width: 480px) { td.pusher { width: 20px } }</style>"
            '<table><tr><td class="pusher" style="width: 100px">x</td></tr></table>'
        ),
        # A property nothing inlined.
        "<style>td.pusher { color: red } @media (max-width: 480px) { td.pusher { width: 20px } }</style>" + TABLE,
        # Rules for Outlook alone, in a conditional comment, are not inlined.
        "<!--[if mso]><style>@media all { td.pusher { width: 20px } }</style><![endif]-->"
        "<style>td.pusher { width: 100px }</style>" + TABLE,
    ],
)
def test_no_conflict_where_the_media_rule_still_wins_or_was_never_inlining_s_doing(lint_one: LintFn, body: str) -> None:
    assert not _conflicts(lint_one(body=body))


def test_kmsg_author_lint_reports_the_conflict_in_the_stylesheet_the_designer_edits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kmsg_authoring.cli import main

    files = template_files(
        body=(f'<html><head><style>\n{{% include "_styles/main.css" %}}\n</style></head><body>{TABLE}</body></html>'),
        page=False,
    )
    write(tmp_path, {**files, "templates_src/_styles/main.css": CSS, "kmsg.toml": ""})
    code = main(["-C", str(tmp_path), "lint", "--strict"])
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "templates_src/_styles/main.css:3:3: KM601 'width' of '@media only screen and (max-width: 480px)' "
        "rule 'td[class=\"pusher\"]' no longer applies to <td>"
    ) in out
