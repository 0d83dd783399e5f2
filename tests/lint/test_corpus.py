"""Real-world emails wrapped as templates: the linter reports no errors that are not real defects."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmsg_authoring.source.config import load_config
from kmsg_authoring.project.lint import lint_project
from tests.conftest import CORPUS, corpus_files, requires_corpus
from tests.corpus_project import make_corpus_project


@requires_corpus
@pytest.mark.corpus
def test_corpus_lints_without_errors(tmp_path: Path) -> None:
    files = corpus_files()
    slugs = make_corpus_project(tmp_path, files, CORPUS, keep_remote=True)
    report = lint_project(load_config(tmp_path), slugs, use_cache=False)
    assert report.templates == tuple(sorted(slugs))
    errors = [str(p) for p in report.problems if p.severity == "error"]
    assert errors == []
    # The hygiene real-world mail carries shows up as warnings, located in the edited body.
    found = {p.code for p in report.problems}
    assert {"KM504", "KM507", "KM108"} <= found
    for p in report.problems:
        assert p.location.path.startswith(f"templates_src/{p.template}/"), p
        assert p.location.line >= 1 and p.location.col >= 1
