"""Broken CSS in a stylesheet, a <style> block and a style attribute: each finding at the line and
column the designer wrote it, with what to write instead (MDN's data, tinycss2's parse)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kmsg_authoring.lint.registry import catalog
from tests.conftest import requires_corpus
from tests.lint.conftest import LintFn

CSS_CODES = ("KM631", "KM632", "KM633", "KM634", "KM635", "KM636", "KM637")

STYLESHEET = """\
.intro { color: #333
h1 { color: #123456 }
"""

STYLE_BLOCK = """\
<style>
p { colr: red; width: 10qx; }
td { color: #12; padding: 4px !importnt; }
.a { margin: 0 !important auto; display: blok; }
@meida (max-width: 600px) { .b { color: red } }
.c { *zoom: 1; width: 600; text-align: "center"; color: reed; }
} h2 { font-size: 12px }
.ok { mso-line-height-rule: exactly; -webkit-text-size-adjust: 100%; --gap: 4px; font-family: Arial, sans-serif;
  background: url({bannerUrl}); color: {brandColor}; width: calc(100% - 2px); border: 1px solid #ccc; }
</style>
<p style="font-weight: bold; widht: 5px; color: rgb(0 0 0)">x</p>
"""

# (code, line, column, the message contains) in templates_src/t/body.html (its <style> opens on line 6).
EXPECTED_BODY = [
    ("KM633", 7, 5, "unknown property 'colr' (did you mean 'color'?)"),
    ("KM634", 7, 23, "unknown unit 'qx' in '10qx' (did you mean 'px'?)"),
    ("KM634", 8, 13, "invalid colour '#12'"),
    ("KM635", 8, 31, "'!importnt' in 'padding' is not '!important'"),
    ("KM635", 9, 16, "'!important' in 'margin' must end its value"),
    ("KM634", 9, 42, "'blok' is not a value of 'display' (did you mean 'block'?)"),
    ("KM636", 10, 1, "unknown at-rule '@meida' (did you mean 'media'?)"),
    ("KM632", 11, 6, "'*zoom:1' is not a declaration"),
    ("KM634", 11, 23, "'600' has no unit: 'width' takes a length (600px?)"),
    ("KM634", 11, 40, "write center without quotes"),
    ("KM634", 11, 57, "'reed' is not a value of 'color' (did you mean 'red'?)"),
    ("KM631", 12, 1, "stray '}' with no '{' to close: the rule 'h2' after it is dropped"),
    ("KM633", 16, 30, "unknown property 'widht' (did you mean 'width'?)"),
]


@pytest.fixture
def problems(lint_one: LintFn) -> list[tuple[str, str, int, int, str]]:
    files = {"templates_src/_styles/email.css": STYLESHEET}
    body = '<link rel="stylesheet" href="../_styles/email.css">\n' + STYLE_BLOCK
    found = lint_one(body=body, files=files, tokens={"bannerUrl": "String", "brandColor": "String"}, extra="")
    return [(p.code, p.location.path, p.location.line, p.location.col, p.message) for p in found if p.code in CSS_CODES]


def test_a_missing_brace_in_a_linked_stylesheet_is_an_error_at_the_brace_naming_the_dropped_rule(
    problems: list[tuple[str, str, int, int, str]],
) -> None:
    sheet = [p for p in problems if p[1] == "templates_src/_styles/email.css"]
    assert len(sheet) == 1, problems
    code, _, line, col, message = sheet[0]
    assert (code, line, col) == ("KM631", 1, 8)
    assert "'{' of '.intro' is never closed" in message and "'h1'" in message and "dropped" in message


def test_each_broken_declaration_is_located_with_its_suggestion(problems: list[tuple[str, str, int, int, str]]) -> None:
    body = [(c, line, col, m) for c, path, line, col, m in problems if path == "templates_src/t/body.html"]
    assert len(body) == len(EXPECTED_BODY), "\n".join(map(str, body))
    for (code, line, col, message), (want_code, want_line, want_col, want) in zip(body, EXPECTED_BODY, strict=True):
        assert (code, line, col) == (want_code, want_line, want_col), message
        assert want in message


def test_known_prefixes_custom_properties_tokens_and_functions_are_not_findings(
    problems: list[tuple[str, str, int, int, str]],
) -> None:
    text = "\n".join(m for *_, m in problems)
    for quiet in ("mso-", "-webkit-", "--gap", "Arial", "calc", "bannerUrl", "brandColor", "rgb", "bold", "#ccc"):
        assert quiet not in text


def test_the_syntax_error_rule_is_an_error_and_the_rest_are_warnings() -> None:
    rules = catalog()
    assert rules["KM631"].severity == "error"
    assert all(rules[c].severity == "warning" for c in CSS_CODES[1:])


def test_the_shipped_data_is_mdn_data_with_its_license() -> None:
    data_dir = Path(__file__).resolve().parents[2] / "kmsg_authoring" / "lint" / "data"
    data = json.loads((data_dir / "css.json").read_text(encoding="utf-8"))
    assert set(data["source"]) == {"mdn-data", "css-tree"}
    assert "color" in data["properties"] and "px" in data["units"]["length"]
    assert "CC0" in (data_dir / "mdn-data-LICENSE").read_text(encoding="utf-8")
    assert "MIT" in (data_dir / "css-tree-LICENSE").read_text(encoding="utf-8")


def test_the_data_script_makes_the_shipped_file_from_the_npm_packages(tmp_path: Path) -> None:
    """Where the packages are installed (KMSG_CSS_DATA_PACKAGES: a node_modules folder, set by .ci/run),
    the script rebuilds exactly the shipped file from them."""
    import os
    import subprocess
    import sys

    folder = os.environ.get("KMSG_CSS_DATA_PACKAGES")
    if not folder:
        if os.environ.get("KMSG_REQUIRE_CSS_DATA"):
            pytest.fail("KMSG_REQUIRE_CSS_DATA is set but KMSG_CSS_DATA_PACKAGES is not")
        pytest.skip("KMSG_CSS_DATA_PACKAGES (a node_modules folder with css-tree and mdn-data) is not set")
    repo = Path(__file__).resolve().parents[2]
    out = tmp_path / "css.json"
    args = ["--mdn-data", f"{folder}/mdn-data", "--css-tree", f"{folder}/css-tree", "--out", str(out)]
    subprocess.run([sys.executable, str(repo / "scripts" / "css_data.py"), *args], check=True, timeout=120)
    shipped = repo / "kmsg_authoring" / "lint" / "data" / "css.json"
    assert out.read_text(encoding="utf-8") == shipped.read_text(encoding="utf-8")


@requires_corpus
@pytest.mark.corpus
def test_the_corpus_has_no_css_errors_and_its_warnings_are_real(tmp_path: Path) -> None:
    """The 64 real emails: no KM631 (a brace that drops rules); the warnings are counted in docs/css-checks.md."""
    from collections import Counter

    from kmsg_authoring.project.lint import lint_project
    from kmsg_authoring.source.config import load_config
    from tests.conftest import CORPUS, corpus_files
    from tests.corpus_project import make_corpus_project

    slugs = make_corpus_project(tmp_path, corpus_files(), CORPUS, keep_remote=True)
    report = lint_project(load_config(tmp_path), slugs, use_cache=False)
    css = [p for p in report.problems if p.code in CSS_CODES]
    assert [str(p) for p in css if p.severity == "error"] == []
    counts = Counter(p.code for p in css)
    # Each kind the corpus really has: a typo'd !important, an unknown property, a value no browser reads.
    assert counts["KM633"] and counts["KM634"] and counts["KM632"], counts
    for p in css:
        assert p.location.path.startswith(f"templates_src/{p.template}/") and p.location.col >= 1, p
