"""[lint] in kmsg.toml and kmsg: {lint: ...} in template.yaml: disable, re-grade, options, errors."""

from __future__ import annotations

import pytest

from kmsg_authoring.errors import ConfigError
from kmsg_authoring.lint.settings import resolve
from kmsg_authoring.source.project import load_yaml
from tests.lint.conftest import LintFn, codes

UNUSED = {"tokens": {"eventDate": "String"}}  # KM102, a warning


def test_disable_by_code_or_name_in_kmsg_toml(lint_one: LintFn) -> None:
    assert "KM102" in codes(lint_one(**UNUSED))
    assert "KM102" not in codes(lint_one(toml='[lint]\ndisable = ["KM102"]\n', **UNUSED))
    assert "KM102" not in codes(lint_one(toml='[lint]\ndisable = ["unused-token"]\n', **UNUSED))


def test_severity_regrade(lint_one: LintFn) -> None:
    problems = lint_one(toml='[lint.severity]\nKM102 = "error"\n', **UNUSED)
    assert [p.severity for p in problems if p.code == "KM102"] == ["error"]


def test_template_overrides_the_project(lint_one: LintFn) -> None:
    extra = "kmsg:\n  lint:\n    enable: [KM102]\n    severity: {KM102: error}\n"
    problems = lint_one(toml='[lint]\ndisable = ["KM102"]\n', extra=extra, **UNUSED)
    assert [(p.code, p.severity) for p in problems] == [("KM102", "error")]


def test_template_disable(lint_one: LintFn) -> None:
    problems = lint_one(extra="kmsg:\n  lint:\n    disable: [unused-token]\n", **UNUSED)
    assert problems == []


def test_rule_option_in_toml_and_template(lint_one: LintFn) -> None:
    subject = "x" * 70
    assert "KM407" not in codes(lint_one(subject=subject))
    assert "KM407" in codes(lint_one(subject=subject, toml="[lint.options.KM407]\nmax-length = 60\n"))
    extra = "kmsg:\n  lint:\n    options: {subject-too-long: {max-length: 60}}\n"
    problems = [p for p in lint_one(subject=subject, extra=extra) if p.code == "KM407"]
    assert problems[0].message == "subject too long (70 > 60 characters)"


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ('[lint]\ndisable = ["KM999"]\n', "unknown rule 'KM999'"),
        ('[lint]\ndisable = ["unused-tokens"]\n', "did you mean 'unused-token'?"),
        ('[lint]\nignore = ["KM102"]\n', "unknown key 'ignore'"),
        ('[lint.severity]\nKM102 = "fatal"\n', "'fatal' is not one of error, warning"),
        ("[lint.options.KM407]\nmax-lenght = 60\n", "has no option 'max-lenght' (did you mean 'max-length'?)"),
        ('[lint.options.KM407]\nmax-length = "60"\n', "must be a whole number"),
        ('[lint]\ndisable = "KM102"\n', "must be a list"),
        ('[lint]\ndisable = ["KM001"]\n', "cannot be configured"),
    ],
    ids=["code", "name", "key", "severity", "option", "option-type", "not-a-list", "compile-error"],
)
def test_bad_project_settings_are_config_errors_in_kmsg_toml(lint_one: LintFn, toml: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        lint_one(toml=toml)
    assert words in info.value.message
    assert info.value.location is not None and info.value.location.path == "kmsg.toml"
    assert info.value.exit_code == 2


def test_bad_template_settings_point_at_template_yaml() -> None:
    doc = load_yaml("name: x\nkmsg:\n  lint:\n    disable: [KM102, KM777]\n", "templates_src/t/template.yaml")
    with pytest.raises(ConfigError) as info:
        resolve({}, doc.data["kmsg"]["lint"], doc)
    assert "unknown rule 'KM777'" in info.value.message
    assert str(info.value.location) == "templates_src/t/template.yaml:4:22"


def test_defaults_without_settings() -> None:
    settings = resolve({})
    assert settings["KM102"].enabled and settings["KM102"].severity == "warning"
    assert settings["KM407"].options == {"max-length": 78}
