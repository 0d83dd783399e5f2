"""Render fidelity: compiling never changes how an email looks.

Every file of ../shared/corpus is built with the default settings (see tests/corpus_project.py) and
rendered in Debian's Chromium at 600 and 375 px, the body as written against the compiled body,
both from file:// URLs with every other request aborted. The screenshots must be pixel-identical,
or the template must carry an inlining-conflict finding (KM601): a media rule that inlining
silences, which the designer is told about. premailer runs the same test with its exceptions
listed below (and in docs/building.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kmsg_authoring.project.build import BuildReport, build_project
from kmsg_authoring.source.config import load_config
from tests.compile.fidelity import CHROMIUM, WIDTHS, Renderer, chromium, pixel_difference
from tests.conftest import CORPUS, corpus_files, requires_corpus
from tests.corpus_project import make_corpus_project, slug_for

# CI installs Chromium and sets KMSG_REQUIRE_BROWSER, so there a missing browser fails instead of skipping.
pytestmark = [
    requires_corpus,
    pytest.mark.corpus,
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("KMSG_REQUIRE_BROWSER"),
        reason="Debian's chromium is not installed at /usr/bin/chromium",
    ),
]
FILES = corpus_files()
INLINING_CONFLICT = "KM601"
# premailer's render differences on the corpus that no finding explains: corpus file -> reason.
# The "CSS inliners" section of docs/building.md lists the same files.
PREMAILER_EXCEPTIONS: dict[str, str] = {}


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    with chromium() as r:  # one browser, one page per width, for the whole module
        yield r


@pytest.fixture(scope="module")
def originals(renderer: Renderer, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], bytes]:
    """Screenshots of every body as written, by (slug, width); shared by both engines."""
    root = tmp_path_factory.mktemp("originals")
    slugs = make_corpus_project(root, FILES, CORPUS)
    return {
        (slug, width): renderer.screenshot(root / "templates_src" / slug / "body.html", width)
        for slug in slugs
        for width in WIDTHS
    }


def _differences(
    engine: str, renderer: Renderer, originals: dict[tuple[str, int], bytes], root: Path
) -> tuple[BuildReport, dict[str, list[str]]]:
    """Build the corpus with an engine (default settings otherwise); what differs, by slug."""
    make_corpus_project(root, FILES, CORPUS, engine)
    report = build_project(load_config(root))  # as `kmsg-author build` runs: lint on, outputs written
    assert not report.failures, {slug: [str(e) for e in errors] for slug, errors in report.failures.items()}
    differs: dict[str, list[str]] = {}
    for path in FILES:
        slug = slug_for(path, CORPUS)
        for width in WIDTHS:
            found = pixel_difference(
                originals[slug, width], renderer.screenshot(root / "build" / f"{slug}.html", width)
            )
            if found:
                differs.setdefault(slug, []).append(f"{width}px: {found}")
    return report, differs


def _unexplained(report: BuildReport, differs: dict[str, list[str]]) -> dict[str, list[str]]:
    return {
        slug: found
        for slug, found in differs.items()
        if not any(p.code == INLINING_CONFLICT for p in report.problems.get(slug, []))
    }


def test_css_inline_never_changes_how_an_email_looks(
    renderer: Renderer, originals: dict[tuple[str, int], bytes], tmp_path: Path
) -> None:
    report, differs = _differences("css-inline", renderer, originals, tmp_path)
    assert len(report.compiled) == len(FILES)
    assert not _unexplained(report, differs)


def test_premailer_changes_only_its_listed_exceptions(
    renderer: Renderer, originals: dict[tuple[str, int], bytes], tmp_path: Path
) -> None:
    report, differs = _differences("premailer", renderer, originals, tmp_path)
    assert len(report.compiled) == len(FILES)
    listed = {slug_for(CORPUS / rel, CORPUS) for rel in PREMAILER_EXCEPTIONS}
    unexplained = _unexplained(report, differs)
    assert set(unexplained) <= listed, {s: f for s, f in unexplained.items() if s not in listed}
    # The list stays true: an exception that no longer differs is taken off it (and off docs/building.md).
    assert listed <= set(differs), listed - set(differs)
