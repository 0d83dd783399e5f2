"""The inbox-readiness lint rules point at the line the designer wrote the problem on."""

from __future__ import annotations

import pytest

from kmsg_authoring.lint import catalog
from tests.lint.cases_deliverability import CASES, LOCATIONS
from tests.lint.conftest import LintFn, lint_one  # noqa: F401 (the fixture)


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_bad_example_is_reported_where_it_was_written(lint_one: LintFn, code: str) -> None:  # noqa: F811
    bad, _ = CASES[code]
    found = [p for p in lint_one(**bad) if p.code == code]
    assert found, f"{code} did not flag its bad example"
    path, line = LOCATIONS.get(code, ("templates_src/t/body.html", 5))
    assert {(p.location.path, p.location.line) for p in found} == {(path, line)}, [str(p) for p in found]


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_rule_is_documented_for_rules(code: str) -> None:
    r = catalog()[code]
    assert set(r.sections) == {"What it does", "Why", "Bad", "Good"} and all(r.sections.values())
