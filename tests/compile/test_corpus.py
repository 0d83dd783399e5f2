"""Every real-world HTML file of ../shared/corpus through the build, with both CSS inliners.

Each file becomes a template body (`kmsg: {jinja: false}`, since many carry other template
languages) with tokens inserted into text, links and CSS declarations; see tests/corpus_project.py.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kmsg_authoring.project.build import BuildOptions, BuildReport, build_project
from kmsg_authoring.compile.extract import parse_html
from kmsg_authoring.compile.types import MARK_ATTR
from kmsg_authoring.source.config import load_config
from tests.conftest import CORPUS, corpus_files, requires_corpus
from tests.corpus_project import INSERT_CSS_ATTR, INSERT_LINK, INSERT_TEXT, make_corpus_project, slug_for

pytestmark = [requires_corpus, pytest.mark.corpus]
FILES = corpus_files()
IDS = [str(p.relative_to(CORPUS)) for p in FILES]
REMOTE_LINK = re.compile(
    r"<link\b[^>]*rel=[\"']?stylesheet[^>]*href=[\"']?(?:https?:)?//|"
    r"<link\b[^>]*href=[\"']?(?:https?:)?//[^>]*rel=[\"']?stylesheet",
    re.IGNORECASE,
)
CONDITIONAL = re.compile(r"<!--\[if [^\]]*\]>(?:(?!-->).)*?<!\[endif\]-->", re.DOTALL)
UNINLINABLE_AT = re.compile(r"@(?:media|font-face|import|supports)\b[^{;]*", re.IGNORECASE)
# Selectors no inliner may move onto elements: user-action pseudo-classes, pseudo-elements and
# selectors that target one mail client.
CLIENT_OR_DYNAMIC = re.compile(
    r":(?:hover|active|focus|visited|target)\b|::?(?:before|after|placeholder)\b|"
    r"\bu\s*[+~]|\[x-apple-data-detectors\]|#MessageViewBody|\[data-ogsc\]",
    re.IGNORECASE,
)


def _build(tmp_path_factory: pytest.TempPathFactory, engine: str) -> tuple[Path, BuildReport]:
    root = tmp_path_factory.mktemp(engine)
    make_corpus_project(root, FILES, CORPUS, engine, keep_remote=True)
    return root, build_project(load_config(root), None, BuildOptions(lint=False, write=True, use_cache=False))


@pytest.fixture(scope="module")
def css_inline_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildReport]:
    return _build(tmp_path_factory, "css-inline")


@pytest.fixture(scope="module")
def premailer_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildReport]:
    return _build(tmp_path_factory, "premailer")


def _ws(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _declarations(style: str) -> list[tuple[str, str]]:
    """(property, value) pairs of a style attribute, in order; property case kept."""
    parts = re.findall(r"((?:[^;(\"']|\([^)]*\)|\"[^\"]*\"|'[^']*')+)", style)
    decls = []
    for part in parts:
        if ":" in part:
            prop, value = part.split(":", 1)
            if prop.strip():
                value = re.sub(r"\s+", " ", value.strip()).replace(", ", ",").replace('"', "'")
                decls.append((prop.strip(), value))
    return decls


def _is_subsequence(needle: list[Any], haystack: list[Any]) -> bool:
    it = iter(haystack)
    return all(any(item == other for other in it) for item in needle)


def _styles_by_mark(html: str) -> dict[str, list[str]]:
    root = parse_html(html)
    found: dict[str, list[str]] = {}
    if root is None:
        return found
    for el in root.getroottree().iter():
        if isinstance(el.tag, str) and el.get(MARK_ATTR) is not None:
            found.setdefault(el.get(MARK_ATTR), []).append(el.get("style") or "")
    return found


def _visible_words(html: str) -> Counter[str]:
    """The words a reader sees. A multiset, since HTML5 parsing (browsers, css-inline) moves stray text
    out of tables ("foster parenting") where libxml2 leaves it in place."""
    return Counter(_visible_text(html).split())


def _visible_text(html: str) -> str:
    root = parse_html(html)
    if root is None:
        return ""
    for bad in root.xpath("//style|//script|//comment()|//title"):
        bad.getparent().remove(bad) if bad.getparent() is not None else None
    return re.sub(r"\s+", " ", "".join(root.itertext())).strip()


def _style_blocks_outside_comments(html: str) -> str:
    """The CSS of <style> blocks outside HTML comments, without CSS comments."""
    return re.sub(
        r"/\*.*?\*/",
        "",
        "\n".join(
            re.findall(
                r"<style\b[^>]*>(.*?)</style>",
                re.sub(r"<!--.*?-->", "", html, flags=re.DOTALL),
                re.DOTALL | re.IGNORECASE,
            )
        ),
        flags=re.DOTALL,
    )


def _top_level_selectors(css: str) -> list[str]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    selectors, depth, start = [], 0, 0
    for i, ch in enumerate(css):
        if ch == "{":
            if depth == 0:
                selectors.append(css[start:i].strip())
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
            if depth == 0:
                start = i + 1
        elif ch == ";" and depth == 0:
            start = i + 1
    return [s for s in selectors if s and not s.startswith("@")]


def _check_common(path: Path, report: BuildReport, engine: str) -> None:
    """Tokens and structure: what both engines must keep."""
    slug = slug_for(path, CORPUS)
    assert slug not in report.failures, report.failures.get(slug)
    compiled = report.compiled[slug]
    body = compiled.body
    # Tokens: text and link references keep their count; the CSS declaration's token survives.
    counts = Counter(t.raw for t in compiled.tokens if t.where in ("text", "attribute"))
    for raw in ("{recipient.firstName}", "{eventName}", "{joinLink}", "{unsubLink}"):
        assert counts[raw] == (INSERT_TEXT + INSERT_LINK).count(raw), raw
        assert body.count(raw) >= 1
    assert "url({bannerUrl})" in body
    assert any(t.name == "bannerUrl" and t.where == "css" for t in compiled.tokens)
    assert "kmsgtk" not in body and MARK_ATTR not in body
    # MSO conditional comments come through as they were written.
    source = re.sub(r' data-kmsg-loc="\d+"', "", compiled.rendered)
    assert Counter(map(_ws, CONDITIONAL.findall(source))) <= Counter(map(_ws, CONDITIONAL.findall(body)))
    # @media, @font-face, @import (in <style> outside comments) stay in a <style> block.
    out_css = _ws(_style_blocks_outside_comments(body))
    for at_rule in UNINLINABLE_AT.findall(_style_blocks_outside_comments(source)):
        assert _ws(at_rule) in out_css, at_rule
    # Entities keep their meaning: the visible text is the same, character for character.
    if engine == "css-inline":
        assert _visible_words(body) == _visible_words(source)
    else:
        # premailer (lxml) drops whitespace-only text between elements (see docs/building.md), but keeps
        # every visible character in order.
        assert "".join(_visible_text(body).split()) == "".join(_visible_text(source).split())


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_css_inline_keeps_tokens_structure_and_declarations(
    path: Path, css_inline_build: tuple[Path, BuildReport]
) -> None:
    _, report = css_inline_build
    _check_common(path, report, "css-inline")
    compiled = report.compiled[slug_for(path, CORPUS)]
    source_styles = _styles_by_mark(compiled.rendered)
    output_styles = _styles_by_mark(compiled.marked_body)
    # Every declaration a designer wrote inline survives, in order: repeated fallbacks
    # (font-size:16px;font-size:1rem), the case of property names (Outlook.com's Margin), !important, mso-*.
    for mark, styles in source_styles.items():
        for style, out in zip(styles, output_styles.get(mark, []), strict=False):
            if style:
                written, result = _declarations(style), _declarations(out)
                # The cascade lets a stylesheet's !important override a plain inline declaration.
                important = {prop for prop, value in result if value.endswith("!important")}
                kept = [(p, v) for p, v in written if v.endswith("!important") or p not in important]
                assert _is_subsequence(kept, result), (style, out)
    # Rules no inliner can apply stay in the head.
    source_css = _style_blocks_outside_comments(compiled.rendered)
    out_css = _ws(_style_blocks_outside_comments(compiled.body))
    for selector_list in _top_level_selectors(source_css):
        for selector in selector_list.split(","):
            if CLIENT_OR_DYNAMIC.search(selector):
                assert _ws(selector) in out_css, selector


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_premailer_keeps_tokens_and_structure(path: Path, premailer_build: tuple[Path, BuildReport]) -> None:
    _check_common(path, premailer_build[1], "premailer")


def test_the_inserted_css_declaration_is_inlined(css_inline_build: tuple[Path, BuildReport]) -> None:
    _, report = css_inline_build
    assert INSERT_CSS_ATTR
    assert all("background-image:url({bannerUrl})" in c.body.replace(" ", "") for c in report.compiled.values())


def test_every_corpus_file_builds_with_the_default_settings(tmp_path: Path) -> None:
    make_corpus_project(tmp_path, FILES, CORPUS)
    report = build_project(load_config(tmp_path))  # as `kmsg-author build` runs: lint on, files written
    assert not report.failures, {slug: [str(e) for e in errors] for slug, errors in report.failures.items()}
    assert len(report.compiled) == len(FILES)
    # A real remote <link rel="stylesheet"> (web fonts) is kept as written, with a warning.
    remote = [p for p in FILES if REMOTE_LINK.search(_outside_comments(p.read_text(encoding="utf-8")))]
    assert remote, "the corpus links a remote stylesheet (mantra-receipt's Google Fonts)"
    for path in remote:
        slug = slug_for(path, CORPUS)
        assert REMOTE_LINK.search(report.compiled[slug].body)
        assert any(p.code == "KM602" for p in report.problems[slug]), slug


def _outside_comments(html: str) -> str:
    return re.sub(r"<!--.*?-->", "", html, flags=re.DOTALL)


def test_remote_stylesheets_are_refused_on_request_and_commented_links_are_not_stylesheets(tmp_path: Path) -> None:
    make_corpus_project(tmp_path, FILES, CORPUS, remote_stylesheets="error")
    report = build_project(load_config(tmp_path), None, BuildOptions(lint=False, write=False, use_cache=False))
    linked = {
        slug_for(p, CORPUS) for p in FILES if REMOTE_LINK.search(_outside_comments(p.read_text(encoding="utf-8")))
    }
    commented = {slug_for(p, CORPUS) for p in FILES if REMOTE_LINK.search(p.read_text(encoding="utf-8"))} - linked
    assert commented, "the Cerberus templates carry a <link> inside a comment"
    assert set(report.failures) == linked
    for failures in report.failures.values():
        assert "remote stylesheet" in str(failures[0]) and "never downloaded" in str(failures[0])
