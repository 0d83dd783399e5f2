"""Render fidelity of [build] minify and remove_unused_css: every corpus email renders pixel for pixel as without.

Each corpus file is built twice with the default settings (see tests/corpus_project.py), once with
`[build] minify = true` (and once more with `remove_unused_css = true` as well), and both builds are
rendered in Debian's Chromium at 600 and 375 px; the screenshots must be identical, and every token
reference must be in the smaller body as often. `-s` prints the bytes saved.
"""

from __future__ import annotations

import os
import re
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest

from kmsg_authoring.project.build import BuildReport, build_project
from kmsg_authoring.source.config import load_config
from tests.compile.fidelity import CHROMIUM, WIDTHS, Renderer, chromium, pixel_difference
from tests.conftest import CORPUS, corpus_files, requires_corpus
from tests.corpus_project import make_corpus_project

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
TOKEN = re.compile(r"\{[A-Za-z_][\w.]*\}")


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    with chromium() as r:
        yield r


def _build(root: Path, options: str) -> BuildReport:
    make_corpus_project(root, FILES, CORPUS)
    if options:
        toml = root / "kmsg.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace("[build]\n", f"[build]\n{options}", 1))
    report = build_project(load_config(root))
    assert not report.failures, {slug: [str(e) for e in errors] for slug, errors in report.failures.items()}
    return report


@pytest.mark.parametrize(
    "options",
    ["minify = true\n", "minify = true\nremove_unused_css = true\n"],
    ids=["minify", "minify+remove_unused_css"],
)
def test_minify_never_changes_how_an_email_looks(renderer: Renderer, tmp_path: Path, options: str) -> None:
    plain = _build(tmp_path / "plain", "")
    small = _build(tmp_path / "minified", options)
    assert len(small.compiled) == len(plain.compiled) == len(FILES)
    differs: dict[str, list[str]] = {}
    saved = []
    for slug, c in sorted(plain.compiled.items()):
        m = small.compiled[slug]
        assert sorted(TOKEN.findall(m.body)) == sorted(TOKEN.findall(c.body)), slug
        saved.append(len(c.body.encode("utf-8")) - len(m.body.encode("utf-8")))
        for width in WIDTHS:
            found = pixel_difference(
                renderer.screenshot(tmp_path / "plain" / "build" / f"{slug}.html", width),
                renderer.screenshot(tmp_path / "minified" / "build" / f"{slug}.html", width),
            )
            if found:
                differs.setdefault(slug, []).append(f"{width}px: {found}")
    before = sum(len(c.body.encode("utf-8")) for c in plain.compiled.values())
    print(
        f"\n{options.strip()!r}: {before:,} bytes before, {sum(saved):,} saved in all, "
        f"median {statistics.median(saved):,}, least {min(saved):,}, most {max(saved):,}"
    )
    assert differs == {}
    assert min(saved) >= 0 and statistics.median(saved) > 0
