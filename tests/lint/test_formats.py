"""The output formats: pure functions from a report to text."""

from __future__ import annotations

import json

from sarif_pydantic import Sarif

from kmsg_authoring.errors import Location
from kmsg_authoring.lint import Problem, catalog
from kmsg_authoring.lint.formats import formatter
from kmsg_authoring.lint.formats.github_format import escape_data, escape_property
from kmsg_authoring.lint.report import LintReport

PROBLEMS = (
    Problem(
        Location("templates_src/invite/body.html", 12, 9),
        "KM103",
        "unknown-user-field",
        "error",
        "unknown User field 'firstname' in '{recipient.firstname}' (did you mean 'firstName'?)",
        "invite",
    ),
    Problem(
        Location("templates_src/invite/template.yaml", 3, 1),
        "KM407",
        "subject-too-long",
        "warning",
        "subject too long (92 > 78 characters)",
        "invite",
    ),
    Problem(
        Location("templates_src/news/body.html", 40, 2),
        "KM103",
        "unknown-user-field",
        "error",
        "100% wrong,\r\nsee: here",
        "news",
    ),
)
REPORT = LintReport(PROBLEMS, ("invite", "news", "reminder"))
CLEAN = LintReport((), ("invite",))


def test_text_lines_and_summary() -> None:
    text = formatter("text")(REPORT)
    lines = text.splitlines()
    assert lines[0] == (
        "templates_src/invite/body.html:12:9: KM103 unknown User field 'firstname' in "
        "'{recipient.firstname}' (did you mean 'firstName'?)"
    )
    assert lines[1] == "templates_src/invite/template.yaml:3:1: KM407 subject too long (92 > 78 characters) (warning)"
    assert lines[-1] == "2 errors and 1 warning in 3 templates"
    assert "\033[" not in text
    assert formatter("text")(CLEAN) == "1 template checked, no problems\n"


def test_text_colour_only_when_asked() -> None:
    coloured = formatter("text")(REPORT, color=True)
    assert "\033[31m" in coloured and "\033[33m" in coloured


def test_json_schema_is_stable() -> None:
    doc = json.loads(formatter("json")(REPORT))
    assert doc["version"] == 1
    assert doc["templates"] == ["invite", "news", "reminder"]
    assert doc["summary"] == {"templates": 3, "errors": 2, "warnings": 1}
    assert doc["problems"][0] == {
        "code": "KM103",
        "name": "unknown-user-field",
        "severity": "error",
        "message": "unknown User field 'firstname' in '{recipient.firstname}' (did you mean 'firstName'?)",
        "path": "templates_src/invite/body.html",
        "line": 12,
        "col": 9,
        "template": "invite",
    }
    assert [Problem.from_json(p) for p in doc["problems"]] == list(PROBLEMS)


def test_github_annotations_escape_data_and_properties() -> None:
    lines = formatter("github")(REPORT).splitlines()
    assert lines[0] == (
        "::error file=templates_src/invite/body.html,line=12,col=9,title=KM103 unknown-user-field::"
        "unknown User field 'firstname' in '{recipient.firstname}' (did you mean 'firstName'?)"
    )
    assert lines[1].startswith("::warning file=templates_src/invite/template.yaml,line=3,col=1,")
    assert lines[2].endswith("::100%25 wrong,%0D%0Asee: here")
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert escape_data("a:b,c") == "a:b,c"


def test_sarif_validates_against_the_sarif_object_model() -> None:
    text = formatter("sarif")(REPORT)
    log = Sarif.model_validate_json(text)
    assert log.version == "2.1.0"
    run = log.runs[0]
    rules = run.tool.driver.rules or []
    ids = [r.id for r in rules]
    assert ids == list(catalog()) and len(ids) == len(set(ids))  # every rule, once
    results = run.results or []
    assert len(results) == 3
    first = results[0]
    assert first.rule_id == "KM103" and first.level is not None and first.level.value == "error"
    assert first.rule_index is not None and ids[first.rule_index] == "KM103"
    loc = first.locations[0].physical_location
    assert loc.artifact_location.uri == "templates_src/invite/body.html"  # relative to the project root
    assert (loc.region.start_line, loc.region.start_column) == (12, 9)  # 1-based
    assert results[1].level.value == "warning"
    raw = json.loads(text)
    assert raw["$schema"].endswith("sarif-2.1.0.json")
    rule_doc = raw["runs"][0]["tool"]["driver"]["rules"][ids.index("KM103")]
    assert rule_doc["defaultConfiguration"] == {"level": "error"}
    assert "firstName" in rule_doc["help"]["text"]


def test_sarif_of_a_clean_run_is_valid() -> None:
    log = Sarif.model_validate_json(formatter("sarif")(CLEAN))
    assert log.runs[0].results == []
