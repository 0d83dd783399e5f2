"""`kmsg-author a11y`: axe-core findings in Chromium, located at the source lines the elements came from."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from kmsg_authoring.cli import main
from tests.review.conftest import needs

pytestmark = [pytest.mark.browser, needs("chromium")]

YAML = """\
name: Report
subject: Your report
toAttributePath: "{recipient.email}"
msgParamsMap:
  recipient: {type: User}
"""
SAMPLE = """\
users:
  - {id: jane@example.com, firstName: Jane, email: jane@example.com}
msgParams:
  recipient: {type: User, value: Message.userId}
"""
LAYOUT = """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Report</title></head>
<body style="margin:0;background:#ffffff;font-family:Arial,sans-serif;font-size:16px;color:#222222">
<table width="100%" cellpadding="0" cellspacing="0" border="0">
  <tr><td style="padding:16px">
{% block content %}{% endblock %}
  </td></tr>
</table>
</body>
</html>
"""
BODY = """\
{% extends "_layouts/base.html" %}
{% block content %}
<h1 style="font-size:24px">Hello {recipient.firstName}</h1>
<p>Your monthly report is ready.</p>
<p style="color:#c8c8c8">Figures are provisional.</p>
<img src="https://example.com/chart.png" width="300" height="120">
{% endblock %}
"""


def project(make_project: Callable[[dict[str, str | bytes]], Path], **extra: str) -> Path:
    return make_project(
        {
            "templates_src/_layouts/base.html": LAYOUT,
            "templates_src/report/template.yaml": YAML,
            "templates_src/report/body.html": BODY,
            "templates_src/report/samples/default.yaml": SAMPLE,
            **extra,
        }
    )


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def test_three_findings_at_their_source_lines(
    make_project: Callable[[dict[str, str | bytes]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(make_project)
    code, doc = run_json(capsys, "-C", str(root), "a11y", "--format", "json", "--width", "600,375", "--scheme", "light")
    assert code == 1
    found = {(p["code"], p["path"], p["line"]) for p in doc["problems"]}
    assert found == {
        ("KM906", "templates_src/_layouts/base.html", 5),  # the layout table without role="presentation"
        ("KM901", "templates_src/report/body.html", 5),  # the pale paragraph
        ("KM902", "templates_src/report/body.html", 6),  # the image without alt
    }
    contrast = next(p for p in doc["problems"] if p["code"] == "KM901")
    assert "#c8c8c8" in contrast["message"] and "below 4.5:1" in contrast["message"]
    assert "seen for jane@example.com at 600 px light, 375 px light" in contrast["message"]
    assert all(p["template"] == "report" for p in doc["problems"])


def test_findings_through_the_linter_formats(
    make_project: Callable[[dict[str, str | bytes]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(make_project)
    assert main(["-C", str(root), "a11y", "--format", "sarif", "--width", "600", "--scheme", "light"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    results = sarif["runs"][0]["results"]
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert {r["ruleId"] for r in results} == {"KM901", "KM902", "KM906"}
    assert rules[results[0]["ruleIndex"]]["id"] == results[0]["ruleId"]
    assert main(["-C", str(root), "a11y", "--format", "github", "--width", "600", "--scheme", "light"]) == 1
    github = capsys.readouterr().out
    assert (
        "::error file=templates_src/report/body.html,line=6,col=1,title=KM902 image-without-text-alternative::"
        in github
    )
    assert main(["-C", str(root), "a11y", "--width", "600", "--scheme", "light"]) == 1
    text = capsys.readouterr().out
    assert 'templates_src/_layouts/base.html:5:1: KM906 layout table without role="presentation"' in text


def test_rules_are_configured_like_lint_rules(
    make_project: Callable[[dict[str, str | bytes]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(
        make_project,
        **{
            "kmsg.toml": '[lint]\ndisable = ["layout-table-without-presentation-role"]\n[lint.severity]\nKM901 = "warning"\n'  # noqa: E501
            "[lint.options.text-too-small]\nmin-size = 20\n"
        },
    )
    code, doc = run_json(capsys, "-C", str(root), "a11y", "--format", "json", "--width", "600", "--scheme", "light")
    assert code == 1  # KM902 is still an error
    by_code = {p["code"]: p for p in doc["problems"]}
    assert "KM906" not in by_code
    assert by_code["KM901"]["severity"] == "warning"
    assert "text too small (16 < 20 px)" in by_code["KM907"]["message"]


def test_baseline_fails_only_on_new_findings(
    make_project: Callable[[dict[str, str | bytes]], Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = project(make_project)
    before = tmp_path / "before.json"
    assert (
        main(["-C", str(root), "a11y", "--format", "json", "-o", str(before), "--width", "600", "--scheme", "light"])
        == 1
    )
    capsys.readouterr()
    assert main(["-C", str(root), "a11y", "--baseline", str(before), "--width", "600", "--scheme", "light"]) == 0
    body = root / "templates_src/report/body.html"
    body.write_text(
        body.read_text(encoding="utf-8").replace("<p>Your", '<p><a href="https://x.example"></a>Your'), encoding="utf-8"
    )
    assert main(["-C", str(root), "a11y", "--baseline", str(before), "--width", "600", "--scheme", "light"]) == 1
    assert "1 accessibility finding(s) not in" in capsys.readouterr().err


def test_example_templates_have_no_findings(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(capsys, "-C", str(example_project), "a11y", "--format", "json")
    assert doc["problems"] == [] and code == 0
    assert len(doc["templates"]) == 4


def test_dark_mode_contrast_is_checked(
    make_project: Callable[[dict[str, str | bytes]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    layout = LAYOUT.replace("<table", '<table role="presentation"').replace(
        "</head>", "<style>@media (prefers-color-scheme: dark){body{background:#222222 !important}}</style></head>"
    )
    body = BODY.replace(' style="color:#c8c8c8"', "").replace('height="120">', 'height="120" alt="Chart">')
    root = project(make_project, **{"templates_src/_layouts/base.html": layout, "templates_src/report/body.html": body})
    code, doc = run_json(capsys, "-C", str(root), "a11y", "--format", "json", "--width", "600")
    assert code == 1
    # The body's dark text on the dark background: the heading and both paragraphs, in dark only.
    assert {(p["code"], p["path"], p["line"]) for p in doc["problems"]} == {
        ("KM901", "templates_src/report/body.html", line) for line in (3, 4, 5)
    }
    assert all("600 px dark" in p["message"] and "light" not in p["message"] for p in doc["problems"])
