"""What compiling keeps as written: the document frame, stylesheet links, tokens; and what it refuses."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import kmsg_authoring.compile.compiler as compile_module
from kmsg_authoring.cli import main
from kmsg_authoring.compile import CompileEnv, compile_template
from kmsg_authoring.compile.inline import inline_css
from kmsg_authoring.compile.tokens import PLACEHOLDER_RE, Shielded
from kmsg_authoring.errors import BuildError, ConfigError
from kmsg_authoring.source.config import load_config
from tests.conftest import MINIMAL_BODY, MINIMAL_YAML

Project = Callable[[dict[str, str | bytes]], Path]
ENGINES = ("css-inline", "premailer")
TOKENS_YAML = MINIMAL_YAML + "  eventName: {type: String}\n  joinLink: {type: MagicLink}\n"

XHTML_FRAME = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<!doctype html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
    '  "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    "<!-- Designed in-house -->\n"
    '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:o="urn:schemas-microsoft-com:office:office" lang="en" dir="ltr">'
)


def _project(
    make_project: Project,
    body: str,
    *,
    engine: str = "css-inline",
    yaml: str = TOKENS_YAML,
    toml: str = "",
    files: dict[str, str | bytes] | None = None,
) -> Path:
    return make_project(
        {
            "kmsg.toml": f'[build]\ninliner = "{engine}"\n{toml}',
            "templates_src/t/template.yaml": yaml,
            "templates_src/t/body.html": body,
            **(files or {}),
        }
    )


def _body(root: Path) -> str:
    return compile_template(load_config(root), "t").body


@pytest.mark.parametrize("engine", ENGINES)
def test_everything_before_html_and_the_html_attributes_are_kept_byte_for_byte(
    make_project: Project, engine: str
) -> None:
    body = (
        XHTML_FRAME + "\n<head><style>img { height: auto; } td { text-align: center; }</style></head>\n"
        '<body><table><tr><td><img src="https://example.com/a.png" height="170" alt="A"></td></tr></table>'
        "<p>Hi {recipient.firstName}</p></body></html>\n"
    )
    out = _body(_project(make_project, body, engine=engine))
    assert out.startswith(XHTML_FRAME)
    # premailer copies no CSS into HTML attributes: the image keeps height="170", the cell gets no align.
    assert 'height="170"' in out and "align=" not in out and "{recipient.firstName}" in out


@pytest.mark.parametrize("engine", ENGINES)
def test_a_source_without_doctype_gets_none(make_project: Project, engine: str) -> None:
    out = _body(_project(make_project, "<p>Hi {recipient.firstName}</p>\n", engine=engine))
    assert "<!doctype" not in out.lower()
    out = _body(
        _project(make_project, "<html><head></head><body><p>Hi {recipient.firstName}</p></body></html>", engine=engine)
    )
    assert out.startswith("<html>") and "<!doctype" not in out.lower()


def test_a_link_inside_a_comment_is_not_a_stylesheet(make_project: Project) -> None:
    body = (
        '<html><head><!-- <link href="https://fonts.googleapis.com/css?family=Roboto" rel="stylesheet"> -->'
        "<style>/* <link rel=stylesheet href=nope.css> */ p { color: red; }</style></head>"
        "<body><p>Hi {recipient.firstName}</p></body></html>"
    )
    root = _project(make_project, body, yaml=MINIMAL_YAML + "kmsg: {remote_stylesheets: error}\n")
    out = _body(root)
    assert "<!-- <link href=" in out and 'style="color: red;"' in out


REMOTE = (
    '<html><head>\n<link href="https://fonts.googleapis.com/css?family=Roboto" rel="stylesheet">'
    "</head><body><p>Hi {recipient.firstName}</p></body></html>"
)


def test_a_remote_stylesheet_is_kept_with_a_warning_by_default(
    make_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(make_project, REMOTE)
    code = main(["-C", str(root), "build"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert (
        '<link href="https://fonts.googleapis.com/css?family=Roboto" rel="stylesheet">'
        in (root / "build/t.html").read_text()
    )
    assert "templates_src/t/body.html:2:1: KM602" in captured.err + captured.out
    assert "Gmail" in captured.err + captured.out


@pytest.mark.parametrize("where", ["template", "project"])
def test_remote_stylesheets_error_refuses_the_template(
    make_project: Project, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    yaml = TOKENS_YAML + ("kmsg: {remote_stylesheets: error}\n" if where == "template" else "")
    toml = 'remote_stylesheets = "error"\n' if where == "project" else ""
    root = _project(make_project, REMOTE, yaml=yaml, toml=toml)
    code = main(["-C", str(root), "build"])
    err = capsys.readouterr().err
    assert code == 1
    assert (
        "templates_src/t/body.html:2:1: KM001 remote stylesheet 'https://fonts.googleapis.com/css?family=Roboto'" in err
    )


def test_an_unknown_remote_stylesheets_setting_is_a_config_error(make_project: Project) -> None:
    root = _project(make_project, REMOTE, toml='remote_stylesheets = "fetch"\n')
    with pytest.raises(ConfigError, match="remote_stylesheets 'fetch' is not one of keep, error"):
        load_config(root)


def test_an_entity_encoded_token_reaches_the_payload_as_the_api_substitutes_it(
    make_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    body = (
        "<html><body><p>Welcome to &#123;eventName&#125; and &#x7B;eventName&#x7D;</p>"
        '<a href="&lbrace;joinLink&rbrace;">Join</a><p>{recipient.firstName}</p></body></html>'
    )
    root = _project(make_project, body)
    assert main(["-C", str(root), "build"]) == 0, capsys.readouterr().err
    payload = json.loads((root / "build/t.json").read_text())
    assert "<p>Welcome to {eventName} and {eventName}</p>" in payload["body"]
    assert '<a href="{joinLink}">' in payload["body"]
    manifest = json.loads((root / "build/manifest.json").read_text())["templates"]["t"]
    listed = [(t["name"], t["raw"]) for t in manifest["tokens"] if t["name"] != "recipient"]
    assert listed == [
        ("eventName", "&#123;eventName&#125;"),
        ("eventName", "&#x7B;eventName&#x7D;"),
        ("joinLink", "&lbrace;joinLink&rbrace;"),
    ]
    # Each listed offset holds the spelling the API substitutes.
    for t in manifest["tokens"]:
        if t["offset"] >= 0:
            name = "{" + t["name"] + ("." + t["field"] if t["field"] else "") + "}"
            assert payload["body"][t["offset"] : t["offset"] + len(name)] == name


def test_a_removed_template_leaves_no_outputs(make_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(
        {
            "templates_src/a/template.yaml": MINIMAL_YAML,
            "templates_src/a/body.html": MINIMAL_BODY,
            "templates_src/b/template.yaml": MINIMAL_YAML,
            "templates_src/b/body.html": MINIMAL_BODY,
        }
    )
    assert main(["-C", str(root), "build"]) == 0
    (root / "build/stale-from-elsewhere.html").write_text("<p>old</p>")
    for name in ("template.yaml", "body.html"):
        (root / "templates_src/b" / name).unlink()
    (root / "templates_src/b").rmdir()
    assert main(["-C", str(root), "build"]) == 0
    capsys.readouterr()
    kept = sorted(p.name for p in (root / "build").iterdir() if not p.name.startswith(".cache"))
    assert kept == ["a.html", "a.json", "contracts", "manifest.json"]
    assert sorted(p.name for p in (root / "build/contracts").iterdir()) == ["a.schema.json"]
    assert list(json.loads((root / "build/manifest.json").read_text())["templates"]) == ["a"]


# -- the preservation check, driven by inliner stand-ins ---------------------------------------------
def _first_placeholder(html: str) -> str:
    m = PLACEHOLDER_RE.search(html[html.index("<body") :])
    assert m is not None
    return m.group(0)


def _drop(html: str) -> str:
    return html.replace(_first_placeholder(html), "", 1)


def _duplicate(html: str) -> str:
    p = _first_placeholder(html)
    return html.replace(p, p + " " + p, 1)


def _invent(html: str) -> str:
    return html.replace("</body>", "<p>{madeUp}</p></body>")


STAND_INS: dict[str, tuple[Callable[[str], str], str]] = {
    "drops": (_drop, r"dropped token \{eventName\} \(1 before, 0 after\)"),
    "duplicates": (_duplicate, r"duplicated token \{eventName\} \(1 before, 2 after\)"),
    "invents": (_invent, r"made up a token reference \{madeUp\}"),
}


@pytest.mark.parametrize("case", sorted(STAND_INS))
@pytest.mark.parametrize("jinja", [True, False])
def test_an_inliner_that_loses_or_makes_up_a_token_fails_the_build_naming_it(
    make_project: Project, monkeypatch: pytest.MonkeyPatch, case: str, jinja: bool
) -> None:
    change, message = STAND_INS[case]
    monkeypatch.setattr(
        compile_module, "inline_css", lambda html, engine, *rest: change(inline_css(html, engine, *rest))
    )
    yaml = TOKENS_YAML + ("" if jinja else "kmsg: {jinja: false}\n")
    root = _project(make_project, "<html><body>\n<p>See you at {eventName}</p>\n</body></html>", yaml=yaml)
    with pytest.raises(BuildError, match=message) as info:
        compile_template(load_config(root), "t")
    if case != "invents":
        assert str(info.value).startswith("templates_src/t/body.html:2:15:")


def test_a_token_produced_by_a_jinja_expression_is_shielded_once_where_the_expression_stands(
    make_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(
        make_project,
        "<html><body>\n<p>x</p>\n<p>{{ brand.cta }}</p>\n</body></html>",
        toml='[brand]\ncta = "Join {eventName} & <b>now</b>"\n',
    )
    compiled = compile_template(load_config(root), "t")
    assert "<p>Join {eventName} &amp; &lt;b&gt;now&lt;/b&gt;</p>" in compiled.body
    (ref,) = [t for t in compiled.tokens if t.name == "eventName"]
    assert (ref.location.path, ref.location.line, ref.where) == ("templates_src/t/body.html", 3, "text")
    # It went through the shield: an inliner dropping it is caught like any other.
    monkeypatch.setattr(
        compile_module, "inline_css", lambda html, engine, *rest: _drop(inline_css(html, engine, *rest))
    )
    with pytest.raises(BuildError, match=r"dropped token \{eventName\}"):
        compile_template(load_config(root), "t")


def test_a_token_jinja_assembles_from_pieces_is_refused_at_its_line(make_project: Project) -> None:
    root = _project(make_project, '<html><body>\n<p>x</p>\n<p>{{ "{" }}eventName}</p>\n</body></html>')
    with pytest.raises(
        BuildError,
        match=r"templates_src/t/body.html:3:\d+: token reference \{eventName\} is "
        r"assembled by Jinja from pieces",
    ):
        compile_template(load_config(root), "t")


def test_placeholders_have_no_fixed_capacity(make_project: Project) -> None:
    root = _project(make_project, "<html><body><p>{eventName} <a href='{joinLink}'>x</a></p></body></html>")
    config = load_config(root)
    env = CompileEnv(config)
    env.shield.entries.extend([Shielded("{x}", "x", None, None, 1, 1)] * 1_000_000)  # as after many templates
    compiled = compile_template(config, "t", env=env)
    assert "kmsgtk" not in compiled.body
    assert '<p>{eventName} <a href="{joinLink}">x</a></p>' in compiled.body
    assert [t.name for t in compiled.tokens if t.offset >= 0] == ["eventName", "joinLink"]


@pytest.mark.parametrize("engine", [*ENGINES, "no inlining"])
def test_a_body_nested_deeper_than_the_parser_can_represent_is_refused_at_its_location(
    make_project: Project, capsys: pytest.CaptureFixture[str], engine: str
) -> None:
    # Refused before inlining: css-inline crashes on deeper documents still, premailer silently
    # keeps only the first 255 levels (and would hide the rest from the checks after it).
    depth = 3000
    body = (
        "<html><body>\n"
        + "<div>\n" * depth
        + "x"
        + "</div>" * depth
        + '<script>alert(1)</script><a href="javascript:steal()">y</a></body></html>'
    )
    inline = engine != "no inlining"
    yaml = MINIMAL_YAML + ("kmsg: {jinja: false}\n" if inline else "kmsg: {jinja: false, inline_css: false}\n")
    root = _project(make_project, body, yaml=yaml, engine=engine if inline else "css-inline")
    code = main(["-C", str(root), "build"])
    err = capsys.readouterr().err
    assert code == 1
    m = re.search(
        r"templates_src/t/body\.html:(\d+):\d+: KM001 elements nest deeper than an HTML parser can represent", err
    )
    assert m is not None, err
    assert 1000 < int(m.group(1)) <= depth + 1
    assert not (root / "build/t.html").exists()


@pytest.mark.parametrize("engine", ["css-inline", "premailer"])
def test_rules_for_the_html_element_stay_on_it(engine: str) -> None:
    # html { ... } is inlined onto <html> and taken out of the stylesheet: the source's start tag is
    # kept, with the inliner's style attribute, or the rule would be lost.
    html = '<!DOCTYPE html>\n<html lang="en"><head><style>html { height: 100%; }</style></head><body>x</body></html>'
    out = inline_css(html, engine)
    assert out.startswith('<!DOCTYPE html>\n<html lang="en" style="height:')
