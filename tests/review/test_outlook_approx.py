"""The Outlook (approximation) view: a fluid corpus email, normal and as Word would read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmsg_authoring.cli import main
from kmsg_authoring.review.outlook import approximate
from tests.conftest import CORPUS, requires_corpus
from tests.review.conftest import needs


def test_approximation_shows_mso_content_and_drops_what_word_ignores() -> None:
    html = (
        "<html><head><style>.a:hover { color: red } .b { border-radius: 4px; color: blue }</style></head><body>"
        '<!--[if mso]><table width="600"><tr><td><![endif]-->'
        '<div style="border-radius: 3px; color: red; display: flex">x</div>'
        '<!--[if !mso]><!--><a href="#">web only</a><!--<![endif]-->'
        "<!--[if mso]></td></tr></table><![endif]--></body></html>"
    )
    word = approximate(html)
    assert '<table width="600"><tr><td>' in word and "</td></tr></table>" in word
    assert "web only" not in word and ":hover" not in word and "border-radius" not in word
    assert "display" not in word and "color: red" in word and ".b { color: blue }" in word


@requires_corpus
@needs("chromium")
def test_a_fluid_corpus_email_differs_in_outlook_and_the_removed_css_is_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = CORPUS / "cerberus" / "cerberus-fluid.html"
    folder = tmp_path / "templates_src" / "fluid"
    folder.mkdir(parents=True)
    (tmp_path / "kmsg.toml").write_text("", encoding="utf-8")
    (folder / "template.yaml").write_text(
        'name: Fluid\nsubject: Hi\ntoAttributePath: "{r.email}"\nmsgParamsMap:\n  r: {type: User}\n'
        "kmsg:\n  jinja: false\n",
        encoding="utf-8",
    )
    (folder / "body.html").write_bytes(source.read_bytes())
    (folder / "samples").mkdir()
    (folder / "samples" / "default.yaml").write_text(
        "users:\n  - {id: a@example.com, email: a@example.com}\nmsgParams:\n  r: {type: User, value: Message.userId}\n",
        encoding="utf-8",
    )
    out = tmp_path / "snaps"
    argv = ["-C", str(tmp_path), "snapshot", "--out", str(out), "--width", "640", "--scheme", "light"]
    code = main([*argv, "--engine", "chromium,outlook-approx"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "Outlook for Windows (approximation): fluid loses" in printed
    normal = out / "fluid/default/01-a@example.com/640-light-chromium.png"
    word = out / "fluid/default/01-a@example.com/640-light-outlook-approx.png"
    assert normal.read_bytes() != word.read_bytes()
    listed = (out / "fluid" / "outlook-approx-removed.txt").read_text(encoding="utf-8")
    assert listed.startswith("Outlook for Windows (approximation)")
    lines = listed.splitlines()[2:]
    assert any("'border-radius" in line for line in lines), listed
    assert all(line.startswith("templates_src/fluid/body.html:") for line in lines if line), listed
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "approximation" in report


def test_the_preview_shows_the_outlook_approximation_with_what_was_removed(tmp_path: Path) -> None:
    from kmsg_authoring.preview.site import PreviewSite
    from kmsg_authoring.source.config import load_config
    from tests.lint.test_outlook import macro_project

    root = macro_project(tmp_path)
    body = root / "templates_src" / "macros" / "body.html"
    body.write_text(
        body.read_text(encoding="utf-8").replace("<h1>", '<h1 style="border-radius: 4px; display: flex;">', 1),
        encoding="utf-8",
    )
    site = PreviewSite(load_config(root), poll_timeout=0.01)
    site.build_all()
    page = site.handle("/t/macros").body.decode("utf-8")
    assert "Outlook for Windows (approximation), 640 px: not a rendering by Word" in page
    assert 'src="/t/macros/email/default/0.html?view=outlook"' in page
    removed = page.split('<aside class="outlook-removed">', 1)[1].split("</aside>", 1)[0]
    assert "templates_src/macros/body.html:4:" in removed and "border-radius" in removed and "display: flex" in removed
    normal = site.handle("/t/macros/email/default/0.html").body.decode("utf-8")
    word = site.handle("/t/macros/email/default/0.html?view=outlook").body.decode("utf-8")
    assert "<!--[if !mso]><!--><a " in normal
    assert "<v:roundrect" in word and "<!--[if" not in word  # Word's view: MSO content shown, the rest hidden
    assert 'href="https://events.example.com/join' in word.split("<v:roundrect", 1)[1]
    assert "display: flex" in normal and "display: flex" not in word
    assert site.handle("/t/macros/email/default/0.html?view=word").status == 404
