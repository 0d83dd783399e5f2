"""`kmsg-author lint` and `kmsg-author rules` as users run them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sarif_pydantic import Sarif

from kmsg_authoring.cli import main
from tests.lint.conftest import template_files, write


def project(tmp_path: Path, **kw: object) -> Path:
    files = template_files(**kw)  # type: ignore[arg-type]
    return write(tmp_path / "proj", {**files, "kmsg.toml": ""})


def test_examples_lint_clean(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(example_project), "lint", "--strict"]) == 0
    out = capsys.readouterr().out
    assert out.endswith("templates checked, no problems\n")


def test_broken_token_exits_1_with_a_located_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path, body="<p>Hi {recipient.firstname}</p>")
    assert main(["-C", str(root), "lint"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "templates_src/t/body.html:5:7: KM103 unknown User field 'firstname' in "
        "'{recipient.firstname}' (did you mean 'firstName'?)"
    )
    assert out[-1] == "1 error and 0 warnings in 1 template"


def test_warnings_exit_0_unless_strict(tmp_path: Path) -> None:
    root = project(tmp_path, tokens={"eventDate": "String"})
    assert main(["-C", str(root), "lint"]) == 0
    assert main(["-C", str(root), "lint", "--strict"]) == 1


def test_paths_select_templates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write(
        tmp_path / "proj",
        {
            **template_files(slug="good"),
            **template_files(slug="bad", body="<p>{nope}</p>"),
            "templates_src/_partials/foot.html": "<p>foot</p>\n",
            "templates_src/README.md": "notes\n",
            "kmsg.toml": "",
        },
    )
    monkeypatch.chdir(root)
    assert main(["lint", "templates_src/good/body.html", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["templates"] == ["good"]
    assert main(["lint", "templates_src/bad", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["templates"] == ["bad"]
    # A shared partial may be used by any template: all are checked. A file beside them checks none.
    assert main(["lint", "templates_src/_partials/foot.html", "templates_src/README.md", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["templates"] == ["bad", "good"]
    assert main(["lint", "templates_src/README.md"]) == 0
    assert capsys.readouterr().out == "0 templates checked, no problems\n"


def test_project_found_from_the_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(tmp_path / "repo" / "emails", {**template_files(body="<p>{nope}</p>"), "kmsg.toml": ""})
    monkeypatch.chdir(tmp_path / "repo")
    assert main(["lint", "emails/templates_src/t/body.html"]) == 1
    assert "templates_src/t/body.html:5:4: KM101" in capsys.readouterr().out
    assert root.is_dir()


def test_compile_failure_is_reported_as_km001(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path, body="<p>{% if %}</p>")
    assert main(["-C", str(root), "lint", "--format", "github"]) == 1
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("::error file=templates_src/t/body.html,line=5,")
    assert "title=KM001 compile-error::" in line


def test_sarif_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path, body="<p>{nope}</p>")
    out = tmp_path / "lint.sarif"
    assert main(["-C", str(root), "lint", "--format", "sarif", "-o", str(out)]) == 1
    log = Sarif.model_validate_json(out.read_text(encoding="utf-8"))
    assert [r.rule_id for r in log.runs[0].results or []] == ["KM101"]
    assert "report written to" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["lint", "no/such/folder"], "no template 'no/such/folder'"),
        (["lint", "--format", "xml"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str) -> None:
    root = project(tmp_path)
    assert main(["-C", str(root), *argv]) == 2
    assert words in capsys.readouterr().err


def test_config_error_exits_2_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    (root / "kmsg.toml").write_text('[lint]\ndisable = ["KM999"]\n', encoding="utf-8")
    assert main(["-C", str(root), "lint"]) == 2
    assert "kmsg.toml" in capsys.readouterr().err


def test_empty_project_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "kmsg.toml").write_text("", encoding="utf-8")
    assert main(["-C", str(tmp_path), "lint"]) == 2
    assert "no templates" in capsys.readouterr().err


def test_rules_lists_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert "KM103  error    unknown-user-field" in out
    assert "KM407  warning  subject-too-long" in out


def test_rules_explains_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "km407"]) == 0
    out = capsys.readouterr().out
    for part in (
        "KM407 subject-too-long (warning)",
        "What it does:",
        "Why:",
        "Bad:",
        "Good:",
        "max-length (int, default 78)",
        "[lint.options.KM407]",
    ):
        assert part in out
    assert main(["rules", "unknown-user-field"]) == 0
    assert "{recipient.firstname}" in capsys.readouterr().out


def test_rules_unknown_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "unused-tokens"]) == 2
    assert "did you mean 'unused-token'?" in capsys.readouterr().err


def test_build_refuses_a_template_with_lint_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write(
        tmp_path / "proj",
        {
            **template_files(slug="good"),
            **template_files(slug="bad", body="<p>Hi {recipient.firstname}</p>"),
            "kmsg.toml": "",
        },
    )
    assert main(["-C", str(root), "build"]) == 1
    assert "KM103" in capsys.readouterr().err
    assert (root / "build" / "good.json").is_file()
    assert not (root / "build" / "bad.json").exists()


def test_broken_sample_is_reported_as_km002(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    write(
        root,
        {
            "templates_src/t/samples/default.yaml": "msgParams:\n  recipient: {type: User, value: Message.userId}\n  nope: {type: String, value: x}\n"  # noqa: E501
        },
    )
    assert main(["-C", str(root), "lint", "--format", "json"]) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert [(p["code"], p["path"]) for p in problems] == [("KM002", "templates_src/t/samples/default.yaml")]


def test_importing_the_linter_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, kmsg_authoring.lint, kmsg_authoring.lint.formats, kmsg_authoring.cli.lint; "
        "kmsg_authoring.lint.catalog(); "
        "print(sorted(m for m in ('premailer', 'httpx', 'watchdog', 'jsonschema', 'playwright', 'segno', 'jwt')"
        " if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_a_shared_partial_problem_is_reported_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    include = '<p>Hi {recipient.firstName}</p>\n{% include "_partials/foot.html" %}'
    root = write(
        tmp_path / "proj",
        {
            **template_files(slug="a", body=include),
            **template_files(slug="b", body=include),
            "templates_src/_partials/foot.html": "<p>Bye {recipient.firstname}</p>\n",
            "kmsg.toml": "",
        },
    )
    assert main(["-C", str(root), "lint"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        (
            "templates_src/_partials/foot.html:1:8: KM103 unknown User field 'firstname' in "
            "'{recipient.firstname}' (did you mean 'firstName'?)"
        ),
        "1 error and 0 warnings in 2 templates",
    ]


def test_lint_takes_a_slug_like_build(
    example_project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`lint SLUG` checks that template, run from the project folder as build and preview are."""
    monkeypatch.chdir(example_project)
    assert main(["lint", "reminder", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["templates"] == ["reminder"]
    assert main(["lint", "no-such-template"]) == 2
    assert "no template 'no-such-template'" in capsys.readouterr().err


def test_one_format_for_every_finding_whatever_produced_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A build failure reads as lint prints it, with its code and the column of the offending `{{`."""
    root = project(tmp_path, body="<p>Dear {{recipient.lastName}}</p>")
    expected = "templates_src/t/body.html:5:9: KM001 'recipient' is undefined at build time"
    assert main(["-C", str(root), "build"]) == 1
    assert capsys.readouterr().err.startswith(expected)
    assert main(["-C", str(root), "lint"]) == 1
    assert capsys.readouterr().out.startswith(expected)
    assert main(["-C", str(root), "lint", "--format", "json"]) == 1
    (found,) = json.loads(capsys.readouterr().out)["problems"]
    assert (found["code"], found["path"], found["line"], found["col"]) == ("KM001", "templates_src/t/body.html", 5, 9)
    assert main(["-C", str(root), "lint", "--format", "github"]) == 1
    assert capsys.readouterr().out.startswith("::error file=templates_src/t/body.html,line=5,col=9,title=KM001")
    assert main(["-C", str(root), "lint", "--format", "sarif"]) == 1
    (result,) = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert result["ruleId"] == "KM001" and (region["startLine"], region["startColumn"]) == (5, 9)
