"""The linter's fast paths (HTML lexer, segment finder, CSS pre-filter, locations) against their plain definitions."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from types import SimpleNamespace
from typing import cast

from hypothesis import given, settings
from hypothesis import strategies as st

from kmsg_authoring.compile import compile_template
from kmsg_authoring.compile.types import MARK_ATTR, CompiledTemplate
from kmsg_authoring.errors import Location
from kmsg_authoring.source.config import load_config
from kmsg_authoring.lint.context import TAG_LEX, TAG_NAME_RE, Context, Segment, lex, segments
from kmsg_authoring.lint.rules.references import _WANTED
from tests.lint.conftest import LintFn, codes, template_files, write

# TAG_LEX written the plain way: a lazy scan of <script>/<style> contents, no captured tag names.
PLAIN_LEX = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(script|style)\b((?:\"[^\"]*\"|'[^']*'|[^'\">]+)*+)>(.*?)(?:</\1\s*>|\Z)"
    r"|<[A-Za-z](?:\"[^\"]*\"|'[^']*'|[^'\">]+)*+>"
    r"|</[^>]*>|<![^>]*>|<\?[^>]*>",
    re.DOTALL | re.IGNORECASE,
)
PLAIN_WANTED = re.compile(r"[{}]|\*\||%(?:25)?7[BbDd]|&amp;")

PIECES = [
    "<",
    ">",
    "/",
    "</",
    "/>",
    '"',
    "'",
    "=",
    " ",
    "\n",
    "!",
    "?",
    "-",
    "a",
    "B",
    "p",
    "x=1",
    "{",
    "}",
    "*|",
    "%7B",
    "%257d",
    "&amp;",
    "&amp",
    "%25",
    "script",
    "STYLE",
    "Style",
    "<!--",
    "-->",
    "<style>",
    "</style>",
    "</STYLE >",
    "<script type='a>b'>",
    "</script>",
    "<a href=",
    "<div ",
    "</div>",
    "</ div>",
    "<!DOCTYPE html>",
    "<?xml ?>",
    "\u017f",
    "\u212a",
    "é",
]
html_text = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(html_text)
def test_lexer_matches_its_plain_form_and_names_tags_like_tag_name_re(html: str) -> None:
    fast, plain = list(TAG_LEX.finditer(html)), list(PLAIN_LEX.finditer(html))
    assert [m.span() for m in fast] == [m.span() for m in plain]
    for f, p in zip(fast, plain, strict=False):
        assert [f.span(g) for g in ("raw", "raw_attrs", "raw_text")] == [p.span(g) for g in (1, 2, 3)]
        token = p.group(0)
        if p.group(1):
            assert f.lastgroup == "raw_text"
        elif token.startswith("</"):
            name = TAG_NAME_RE.match("<" + token[2:])
            assert (f.group("end"), f.lastgroup) == ((name.group(1), "end") if name else (None, None))
        elif token.startswith(("<!", "<?")):
            assert f.lastgroup is None
        else:
            name = TAG_NAME_RE.match(token)
            assert (f.group("start"), f.lastgroup) == ((name.group(1), "start") if name else (None, None))


@settings(max_examples=400, deadline=None)
@given(html_text)
def test_wanted_strings_are_what_the_plain_pattern_matches(text: str) -> None:
    assert any(w in text for w in _WANTED) == bool(PLAIN_WANTED.search(text))
    assert {m.group(0) for m in PLAIN_WANTED.finditer(text)} <= set(_WANTED)


def _region(seg: Segment, tokens: list[re.Match[str]]) -> tuple[int, int]:
    """The text run a text segment is, or the span of the tag (comment, element) holding a segment."""
    if seg.kind == "text":
        return seg.start, seg.end
    return next(m.span() for m in tokens if m.start() <= seg.start and seg.end <= m.end())


@settings(max_examples=400, deadline=None)
@given(html_text)
def test_segments_with_want_are_those_of_the_text_runs_and_tags_where_it_matches(html: str) -> None:
    tokens = lex(html)
    every = list(segments(html))
    expected = [s for s in every if PLAIN_WANTED.search(html, *_region(s, tokens))]
    assert list(segments(html, _WANTED)) == expected
    assert list(segments(html, _WANTED, tokens)) == expected


def test_segments_split_text_attributes_css_and_comments() -> None:
    html = '<p class="a">Hi {x}</p><!-- {y} --><style media="all">.a{color:red}</style>tail'
    found = [(s.kind, html[s.start : s.end], s.tag, s.attribute) for s in segments(html)]
    assert found == [
        ("attribute", "a", "p", "class"),
        ("text", "Hi {x}", None, None),
        ("comment", " {y} ", None, None),
        ("attribute", "all", "style", "media"),
        ("css", ".a{color:red}", "style", None),
        ("text", "tail", None, None),
    ]
    wanted = [(s.kind, html[s.start : s.end]) for s in segments(html, _WANTED)]
    assert wanted == [("text", "Hi {x}"), ("comment", " {y} "), ("attribute", "all"), ("css", ".a{color:red}")]


def test_tags_inside_style_and_script_are_not_structure(lint_one: LintFn) -> None:
    body = '<STYLE>td > div { color: red } </div></Style><script type="a>b">if (a<b) { x("</p></div>") }</script>'
    assert not codes(lint_one(body=body + "<div>ok</div>", jinja=False)) & {"KM501", "KM511"}
    problems = lint_one(body="<style>.a{}</style><div><span>x</div></span></table>", jinja=False)
    assert sorted(p.message for p in problems if p.code in ("KM501", "KM511")) == [
        "<span> is not closed before </div> (mis-nested or unclosed tag)",
        "stray </table> with no open <table>",
    ]


STYLE_PIECES = [
    "display:flex",
    "DISPLAY: Grid",
    "position:absolute",
    "background-position:0",
    "Float:left",
    "float:none",
    "box-shadow:none",
    "transform:x",
    "var(--a)",
    "VAR( --b)",
    "color:red",
    ";",
    " ",
    ":",
    "-",
    "\u0130",
    "\u212a",
    "\u03a3",
    "filter",
    "clip-path:circle()",
    "mix-blend-mode:x",
    "object-fit:cover",
    "transition:all",
    "&quot;",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(STYLE_PIECES), max_size=8).map("".join), min_size=1, max_size=6))
def test_feature_scan_finds_display_flex_exactly_where_a_style_declares_it(styles: list[str]) -> None:
    from kmsg_authoring.compile.types import SourceMap
    from kmsg_authoring.lint.context import style_declarations
    from kmsg_authoring.lint.features import scan

    body = "".join(f'<div style="{escape(s)}">x</div>' for s in styles)
    compiled = cast(
        CompiledTemplate,
        SimpleNamespace(
            rendered=f"<html><body>{body}</body></html>",
            source_map=SourceMap(),
            dependencies=(),
            body_location=Location("templates_src/t/body.html", 1, 1),
        ),
    )
    found = sum(1 for u in scan(compiled).uses if u.feature == "css-display-flex")
    expected = 0
    for s in styles:
        decls = [d.partition(":") for d in s.split(";")]
        expected += any(
            sep
            and p.strip().lower() == "display"
            and {"flex", "inline-flex"} & set(re.split(r"[\s,/()!]+", v.strip().lower()))
            for p, sep, v in decls
        )
    assert found == expected
    assert style_declarations  # the helper the rules use for inline styles stays importable


def test_only_two_characters_besides_ascii_letters_lower_case_to_ascii_letters() -> None:
    # javascript-url pre-filters the body with bytes.lower(), which changes ASCII letters only.
    odd = {hex(i): chr(i).lower() for i in range(0x80, 0x110000) if any(c.isascii() for c in chr(i).lower())}
    assert odd == {"0x130": "i\u0307", "0x212a": "k"}


def test_at_offset_agrees_with_the_source_map_at_every_offset(tmp_path: Path) -> None:
    body = (
        '<div class="a">\n  <p>Hi {recipient.firstName}</p><!-- {x} -->\n'
        '<table><tr><td style="color:red">x</td></tr></table>\n<p>end <b>bold</p>\n{{ first_name }}'
    )
    write(tmp_path, {**template_files(body, jinja=False), "kmsg.toml": ""})
    config = load_config(tmp_path)
    compiled = compile_template(config, "t")
    ctx = Context(compiled, config)
    for text in (compiled.marked_body, compiled.rendered):
        assert MARK_ATTR in text
        for offset in range(len(text) + 2):
            expected = compiled.source_map.locate(text, offset) or compiled.body_location
            assert ctx.at_offset(offset, text) == expected, offset
