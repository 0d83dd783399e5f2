"""Guards: the rules that protect recipients or the API cannot be switched off by a template, nor by kmsg.toml;
only kmsg.toml re-grades them, and header injection stays an error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from kmsg_authoring.cli import main
from kmsg_authoring.errors import ConfigError
from kmsg_authoring.lint.registry import GUARD, LOCKED, catalog
from kmsg_authoring.lint.settings import resolve
from kmsg_authoring.source.config import load_config
from kmsg_authoring.source.project import load_yaml
from tests.conftest import MINIMAL_BODY, MINIMAL_YAML
from tests.lint.conftest import LintFn, codes

Project = Callable[[dict[str, str | bytes]], Path]
INJECTION = 'customHeaders: {X-Test: "a\\r\\nBcc: attacker@evil.example"}\n'
GUARDS = sorted(code for code, r in catalog().items() if r.guard)


def test_the_rules_that_protect_recipients_and_the_api_are_guards() -> None:
    rules = catalog()
    assert rules["KM404"].guard == LOCKED  # header injection
    expected = {"KM106", "KM201", "KM301", "KM302", "KM303", "KM304", "KM401", "KM403", "KM405", "KM406"}
    expected |= {"KM408", "KM502", "KM503"}
    assert {code for code, r in rules.items() if r.guard == GUARD} == expected
    assert all(rules[code].severity == "error" for code in GUARDS)


def run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["-C", str(root), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize(
    ("yaml_extra", "body", "code"),
    [
        (INJECTION, MINIMAL_BODY, "KM404"),
        ("", MINIMAL_BODY.replace("</p>", "</p><script>steal()</script>"), "KM502"),
        ("", MINIMAL_BODY.replace("</p>", '</p><a href="javascript:steal()">x</a>'), "KM503"),
    ],
    ids=["header-injection", "script", "javascript-url"],
)
def test_a_template_cannot_disable_its_guards_at_build_lint_plan_or_publish(
    make_project: Project, capsys: pytest.CaptureFixture[str], yaml_extra: str, body: str, code: str
) -> None:
    from kmsg_authoring.publish.plan import local_templates

    root = make_project(
        {
            "templates_src/t/template.yaml": MINIMAL_YAML + yaml_extra + f"kmsg: {{lint: {{disable: [{code}]}}}}\n",
            "templates_src/t/body.html": body,
        }
    )
    for command in ("build", "lint"):
        status, text = run(capsys, root, command)
        assert status == 2, text
        assert f"templates_src/t/template.yaml:{7 if yaml_extra else 6}:" in text and code in text
        assert "protects recipients" in text
    assert not (root / "build/t.json").exists()
    with pytest.raises(ConfigError):  # the build stage of plan and publish
        local_templates(load_config(root))
    # Without the setting, the guard refuses the template itself.
    (root / "templates_src/t/template.yaml").write_text(MINIMAL_YAML + yaml_extra, encoding="utf-8")
    status, text = run(capsys, root, "build")
    assert status == 1 and code in text and not (root / "build/t.json").exists()


@pytest.mark.parametrize("code", GUARDS)
@pytest.mark.parametrize(
    "setting",
    ["disable: [{code}]", "severity: {{{code}: warning}}", "severity: {{{code}: error}}", "options: {{{code}: {{}}}}"],
)
def test_no_template_setting_touches_a_guard(code: str, setting: str) -> None:
    text = f"name: x\nkmsg:\n  lint:\n    {setting.format(code=code)}\n"
    doc = load_yaml(text, "templates_src/t/template.yaml")
    with pytest.raises(ConfigError) as info:
        resolve({}, doc.data["kmsg"]["lint"], doc)
    assert f"rule {code}" in info.value.message and "protects recipients" in info.value.message
    assert info.value.location is not None and info.value.location.path == "templates_src/t/template.yaml"
    assert info.value.location.line == 4


@pytest.mark.parametrize("code", GUARDS)
def test_kmsg_toml_re_grades_a_guard_but_never_disables_it(code: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve({"disable": [code]})
    assert (
        "protects recipients" in info.value.message
        and info.value.location is not None
        and info.value.location.path == "kmsg.toml"
    )
    if catalog()[code].guard == LOCKED:
        with pytest.raises(ConfigError, match="always an error"):
            resolve({"severity": {code: "warning"}})
    else:
        assert resolve({"severity": {code: "warning"}})[code].severity == "warning"
    assert resolve({"severity": {code: "error"}})[code].enabled


@pytest.mark.parametrize("field", ["subject", "fromName", "from", "cc", "bcc"])
def test_a_line_break_in_any_header_is_header_injection(lint_one: LintFn, field: str) -> None:
    injected = "a@example.com\r\nBcc: attacker@evil.example"
    if field == "subject":
        problems = lint_one(subject=injected)
    else:
        problems = lint_one(extra=f"{field}: {json.dumps(injected)}\n")
    found = [p for p in problems if p.code == "KM404"]
    assert found and f"{field} has a line break (header injection)" in found[0].message
    assert found[0].severity == "error"


def test_a_folded_subject_without_a_final_line_break_is_fine(lint_one: LintFn) -> None:
    # subject: >- folds lines into one with no final line break; the lines below are the YAML after it.
    problems = lint_one(subject="Hello {recipient.firstName}, how are you")
    assert "KM404" not in codes(problems)


def test_rules_shows_which_rules_are_guards(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    marked = {line.split()[0] for line in out.splitlines() if "[guard" in line and line.startswith("KM")}
    assert marked == set(GUARDS)
    assert "[guard, always an error]" in next(line for line in out.splitlines() if line.startswith("KM404"))
    assert main(["rules", "KM502"]) == 0
    assert "Nothing disables it" in capsys.readouterr().out


UNSUBSCRIBE = {"extra": "unsubscribeGroups: [event-updates]\n", "tokens": {"unsubLink": "UnsubscribeUri"}}


@pytest.mark.parametrize(
    "body",
    [
        "<p>To unsubscribe, visit {unsubLink}</p>",
        '<p><a href="https://example.com/help" title="{unsubLink}">Unsubscribe</a></p>',
        '<p><img src="{unsubLink}" alt="Unsubscribe"></p>',
        '<p><a data-href="{unsubLink}" href="#">Unsubscribe</a></p>',
        '<p><link rel="alternate" href="{unsubLink}">Unsubscribe below.</p>',
    ],
    ids=["text", "title", "img-src", "other-attribute", "not-a-link"],
)
def test_km302_wants_the_unsubscribe_token_in_the_href_of_a_link(lint_one: LintFn, body: str) -> None:
    assert "KM302" in codes(lint_one(body=body, **UNSUBSCRIBE))


def test_km302_is_satisfied_by_a_link_to_the_token(lint_one: LintFn) -> None:
    assert "KM302" not in codes(lint_one(body='<p><a href="{unsubLink}">Unsubscribe</a></p>', **UNSUBSCRIBE))


def test_the_security_page_lists_the_guards_of_the_registry() -> None:
    from tests.conftest import REPO

    page = (REPO / "docs/security-guards.md").read_text(encoding="utf-8")
    rows = [line.split("|") for line in page.splitlines() if line.startswith("| KM")]
    assert {row[1].strip() for row in rows} == set(GUARDS)
    assert {row[1].strip() for row in rows if "locked" in row[3]} == {"KM404"}
    assert all(catalog()[row[1].strip()].name == row[2].strip() for row in rows)
