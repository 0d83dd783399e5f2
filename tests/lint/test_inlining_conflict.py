"""KM601 inlining-conflict: a media rule the inlined styles silence, at the line the designer wrote it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmsg_authoring.lint import Problem
from kmsg_authoring.lint.rules.inlining import conditional_rules
from tests.lint.conftest import LintFn, template_files, write

CSS = """\
td.pusher { width: 100px; padding: 10px; }
@media only screen and (max-width: 480px) {
  td[class="pusher"] { width: 20px; padding-left: 0; color: red; }
  .keep { width: 50% !important; }
}
"""
TABLE = '<table><tr><td class="pusher">x</td><td class="keep">y</td></tr></table>'
EXPECTED = {
    (
        "'width' of '@media only screen and (max-width: 480px)' rule 'td[class=\"pusher\"]' never applies to <td>: "
        "the inlined 'width: 100px' wins (add !important)"
    ),
    (
        "'padding-left' of '@media only screen and (max-width: 480px)' rule 'td[class=\"pusher\"]' never applies to "
        "<td>: the inlined 'padding: 10px' wins (add !important)"
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


@pytest.mark.parametrize(
    "body",
    [
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


def test_conditional_rules_lists_rules_nested_in_media_and_supports() -> None:
    css = (
        "a{color:red} /* @media x { b { } } */ @media screen { b, i { width: 1px } "
        "@supports (display:grid) { u { top: 0 } } } @import url(x.css); p { margin: 0 }"
    )
    found = [
        (r.at_rule, r.selectors, css[r.offset : r.offset + len(r.selectors)], r.declarations)
        for r in conditional_rules(css)
    ]
    assert found == [
        ("@media screen", "b, i", "b, i", {"width": "1px"}),
        ("@media screen @supports (display:grid)", "u", "u", {"top": "0"}),
    ]


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
        "rule 'td[class=\"pusher\"]' never applies to <td>"
    ) in out
