"""The feature scan runs once per template and replays what it has already read: the same uses, at
the same offsets, as reading every tag and stylesheet afresh."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kmsg_authoring.compile import compile_template
from kmsg_authoring.lint import lint_template
from kmsg_authoring.lint import scan_memo as scanner_module
from kmsg_authoring.lint.caniemail import load
from kmsg_authoring.lint.features import Scan, support
from kmsg_authoring.lint.scanner import Scanner
from kmsg_authoring.source.config import load_config
from tests.conftest import CORPUS, corpus_files, requires_corpus
from tests.corpus_project import make_corpus_project
from tests.lint.conftest import template_files, write

# The same start tags (marked apart), the same <style> block twice (once in an MSO comment), the
# same declarations in and out of Outlook's comments: what the scanner replays.
CSS = ".a { display: flex; border-radius: 4px } @media (max-width: 600px) { .a:hover { width: 10rem } }"
DIV = '<div class="a" style="display:flex;background:url(x.svg)">'
REPEATED = f"""\
<style>{CSS}</style>
<!--[if mso]><style>{CSS}</style><![endif]-->
{DIV}<svg width="1"></svg></div>
{DIV}<svg width="1"></svg></div>
<!--[if mso]>{DIV}<img src="a.webp" alt=""></div><![endif]-->
<!--[if !mso]><!-->{DIV}<img src="a.webp" alt=""></div><!--<![endif]-->
<p>Hi {{recipient.firstName}}</p>
"""


def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read every start tag and stylesheet afresh, as the scanner did before it remembered them."""

    def start_tag(self: Any, tag: str, text: str, at: int, skip: int, mso: bool | None) -> None:
        self.element(tag, text[skip:], at + skip, at, mso)

    def stylesheet(self: Any, start: int, end: int, mso: bool | None) -> None:
        self.scan_css(start, end, mso)

    monkeypatch.setattr(Scanner, "start_tag", start_tag)
    monkeypatch.setattr(Scanner, "stylesheet", stylesheet)


def _compiled_examples(tmp_path: Path) -> list[Any]:
    root = write(tmp_path / "p", template_files(REPEATED, jinja=False))
    out = [compile_template(load_config(root), "t")]
    files = corpus_files()
    if files:
        corpus = tmp_path / "corpus"
        config = load_config(corpus) if make_corpus_project(corpus, files, CORPUS) else None
        assert config is not None
        out += [compile_template(config, slug) for slug in sorted(p.name for p in config.src_dir.iterdir())]
    return out


def test_replayed_uses_are_the_uses_read_afresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = _compiled_examples(tmp_path)
    data = load()
    scanner_module.MEMOS.clear()
    remembered = [Scan(c, data).uses for c in compiled]
    again = [Scan(c, data).uses for c in compiled]  # everything replayed now
    with monkeypatch.context() as m:
        _fresh(m)
        fresh = [Scan(c, data).uses for c in compiled]
    assert any(len(u) > 20 for u in fresh)
    for c, a, b, f in zip(compiled, remembered, again, fresh, strict=True):
        assert a == f, c.slug
        assert b == f, c.slug
    # The synthetic template's repeated tags differ only by their marks: each use keeps its own.
    marks = {u.mark for u in fresh[0] if u.feature == "html-svg"}
    assert len(marks) == 2 and None not in marks


def test_memory_stays_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = _compiled_examples(tmp_path)[0]
    monkeypatch.setattr(scanner_module, "MEMO_LIMIT", 2)
    scanner_module.MEMOS.clear()
    expected = Scan(compiled, load()).uses
    for _ in range(3):
        assert Scan(compiled, load()).uses == expected
        memo = scanner_module.memo_for(load())
        assert len(memo.tags) <= 10 and len(memo.sheets) <= 10


def test_a_lint_run_scans_and_lexes_a_template_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kmsg_authoring.lint import context as context_module
    from kmsg_authoring.lint import features as features_module

    root = write(tmp_path / "p", template_files(REPEATED, jinja=False))
    config = load_config(root)
    compiled = compile_template(config, "t")
    scans: list[object] = []
    lexed: list[str] = []
    real_scan, real_lex = features_module.Scan.__init__, context_module.lex

    def counting_scan(self: Any, *args: Any, **kwargs: Any) -> None:
        scans.append(self)
        real_scan(self, *args, **kwargs)

    def counting_lex(html: str) -> Any:
        lexed.append(html)
        return real_lex(html)

    monkeypatch.setattr(features_module.Scan, "__init__", counting_scan)
    monkeypatch.setattr(context_module, "lex", counting_lex)
    problems = lint_template(compiled, config)
    assert {"KM611", "KM613", "KM614", "KM615"} <= {p.code for p in problems}
    assert len(scans) == 1
    assert len(lexed) == len(set(lexed))  # each text lexed once, the scan reading the same matches
    assert lexed.count(compiled.rendered) == 1


def test_support_is_one_table_per_target_set() -> None:
    data = load()
    a = support(data, ("gmail.ios", "outlook.windows"))
    assert support(data, ["gmail.ios", "outlook.windows"]) is a
    assert support(data, ("gmail.ios",)) is not a
    use = scanner_module.Use("css-display-flex", scanner_module.CSS, "display: flex", 0)
    missing, _ = a.verdict(use)
    assert "outlook.windows" in missing
    assert a.verdict(use) is a.verdict(use._replace(offset=99))  # a lookup, not a walk per client


@requires_corpus
def test_corpus_findings_do_not_depend_on_what_was_scanned_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "corpus"
    slugs = make_corpus_project(root, corpus_files()[:12], CORPUS)
    config = load_config(root)
    compiled = [compile_template(config, s) for s in slugs]
    scanner_module.MEMOS.clear()
    warm = [lint_template(c, config) for c in compiled]
    with monkeypatch.context() as m:
        _fresh(m)
        cold = [lint_template(c, config) for c in compiled]
    assert warm == cold
    assert sum(len(p) for p in cold) > 50
