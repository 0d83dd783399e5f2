"""Render fidelity of [build] minify and remove_unused_css: every corpus email renders pixel for pixel as without.

Each corpus file is built with the default settings (see tests/corpus_project.py), then with
`[build] minify = true`, with `remove_unused_css = true`, and with both; the four builds are rendered
in Chromium (the `snapshot` engine, started once for the module) at 600 and 375 px, light and dark.
The smaller builds' screenshots must be identical to the default build's, and every token reference
must be in the smaller body as often. `-s` prints the bytes saved.
"""

from __future__ import annotations

import os
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

import pytest

from kmsg_authoring.errors import ConfigError
from kmsg_authoring.project.build import BuildReport, build_project
from kmsg_authoring.review.browser import CHROMIUM
from kmsg_authoring.source.config import load_config
from tests.compile.fidelity import compare, confirmed, render
from tests.conftest import CORPUS, corpus_files, requires_corpus
from tests.corpus_project import make_corpus_project

pytestmark = [requires_corpus, pytest.mark.corpus, pytest.mark.browser]
FILES = corpus_files()
TOKEN = re.compile(r"\{[A-Za-z_][\w.]*\}")
VARIANTS = {
    "minify": "minify = true\n",
    "remove_unused_css": "remove_unused_css = true\n",
    "minify+remove_unused_css": "minify = true\nremove_unused_css = true\n",
}


@dataclass
class Builds:
    reports: dict[str, BuildReport]  # "plain" or a variant -> its build
    differs: dict[str, dict[str, list[str]]]  # variant -> slug -> what differs from the plain build


def _build(root: Path, options: str) -> BuildReport:
    make_corpus_project(root, FILES, CORPUS)
    if options:
        toml = root / "kmsg.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace("[build]\n", f"[build]\n{options}", 1))
    report = build_project(load_config(root))
    assert not report.failures, {slug: [str(e) for e in errors] for slug, errors in report.failures.items()}
    return report


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    from kmsg_authoring.review.engines import Engines

    try:
        Engines((CHROMIUM,)).check()
    except ConfigError as exc:
        if os.environ.get("KMSG_REQUIRE_BROWSER"):
            raise
        pytest.skip(f"Chromium is not installed: {exc}")
    root = tmp_path_factory.mktemp("minify")
    reports = {"plain": _build(root / "plain", "")}
    reports.update({name: _build(root / name, options) for name, options in VARIANTS.items()})
    pages = {f"{slug}|{name}": c.body for name, r in reports.items() for slug, c in r.compiled.items()}
    images = render({CHROMIUM: pages})[CHROMIUM]
    slugs = sorted(reports["plain"].compiled)
    first = {(CHROMIUM, name): compare(images, [(s, f"{s}|plain", f"{s}|{name}") for s in slugs]) for name in VARIANTS}
    # A difference counts when rendering both sides again, in new pages, shows it again.
    again = confirmed({CHROMIUM: pages}, first, lambda name, slug: (f"{slug}|plain", f"{slug}|{name}"))
    return Builds(reports, {name: found for (_, name), found in again.items()})


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_minify_never_changes_how_an_email_looks(builds: Builds, variant: str) -> None:
    plain, small = builds.reports["plain"], builds.reports[variant]
    assert len(small.compiled) == len(plain.compiled) == len(FILES)
    saved = []
    for slug, c in sorted(plain.compiled.items()):
        m = small.compiled[slug]
        assert sorted(TOKEN.findall(m.body)) == sorted(TOKEN.findall(c.body)), slug
        saved.append(len(c.body.encode("utf-8")) - len(m.body.encode("utf-8")))
    before = sum(len(c.body.encode("utf-8")) for c in plain.compiled.values())
    print(
        f"\n{variant}: {before:,} bytes before, {sum(saved):,} saved in all, "
        f"median {statistics.median(saved):,}, least {min(saved):,}, most {max(saved):,}"
    )
    assert min(saved) >= 0 and statistics.median(saved) > 0
    assert not builds.differs[variant], f"{variant} changes how these emails look: {builds.differs[variant]}"


def test_removing_unused_css_saves_more_than_minifying_alone(builds: Builds) -> None:
    minified, both = builds.reports["minify"], builds.reports["minify+remove_unused_css"]
    smaller = [slug for slug, c in both.compiled.items() if len(c.body) < len(minified.compiled[slug].body)]
    assert all(len(c.body) <= len(minified.compiled[slug].body) for slug, c in both.compiled.items())
    assert smaller, "remove_unused_css removed nothing from any corpus email"
