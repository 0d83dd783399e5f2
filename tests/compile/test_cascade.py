"""Cascade-preserving inlining: a media rule that won before inlining still wins after it, with either inliner."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from kmsg_authoring.build import build_project
from kmsg_authoring.compile.cascade import analyse, declarations, promote
from kmsg_authoring.compile.inline import inline_css
from kmsg_authoring.errors import ConfigError
from kmsg_authoring.source.config import load_config
from tests.conftest import MINIMAL_YAML

Project = Callable[[dict[str, str | bytes]], Path]
INLINERS = ["css-inline", "premailer"]
# width: the media rule is as specific as td.pusher and later, so it won; padding-left: its selector
# is less specific than td.pusher's padding, so it lost; .hero: a later, more specific plain rule wins.
BODY = """\
<!DOCTYPE html>
<html><head><style>
td.pusher { width: 100px; padding: 10px; }
.hero td.pusher { color: navy; }
@media only screen and (max-width: 480px) {
  td[class="pusher"] { width: 20px; color: red; }
  td { padding-left: 0; }
}
</style></head>
<body><table class="hero"><tr><td class="pusher">Hi {recipient.firstName}</td></tr></table></body></html>
"""


def _media(html: str) -> str:
    m = re.search(r"@media[^{]*\{(.*)\}", html, re.DOTALL)
    assert m is not None, html
    return " ".join(m.group(1).split())


def _build(root: Path, build: str) -> str:
    (root / "kmsg.toml").write_text(f"[build]\n{build}\n", encoding="utf-8")
    report = build_project(load_config(root))
    assert report.ok, report.failures
    assert not [p for p in report.problems.get("t", []) if p.code == "KM601"]
    return (root / "build" / "t.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("inliner", INLINERS)
def test_a_media_rule_that_won_before_inlining_is_made_important(make_project: Project, inliner: str) -> None:
    root = make_project({"templates_src/t/template.yaml": MINIMAL_YAML, "templates_src/t/body.html": BODY})
    html = _build(root, f'inliner = "{inliner}"')
    media = _media(html)
    assert 'td[class="pusher"] { width: 20px !important; color: red; }' in media
    assert "td { padding-left: 0; }" in media  # it lost in the source: left to lose
    # color: the more specific ".hero td.pusher" won in the source and wins inlined
    assert re.search(r'<td class="pusher" style="[^"]*width: ?100px', html)


def test_preserve_cascade_false_keeps_the_stylesheet_as_written(make_project: Project) -> None:
    root = make_project({"templates_src/t/template.yaml": MINIMAL_YAML, "templates_src/t/body.html": BODY})
    kept = _media(_build(root, ""))
    assert "!important" in kept
    # The setting is part of what a build depends on: switching it rebuilds, never reuses the cache.
    (root / "kmsg.toml").write_text("[build]\npreserve_cascade = false\n", encoding="utf-8")
    report = build_project(load_config(root))
    assert "KM601" in {p.code for p in report.problems["t"]}
    assert "!important" not in _media((root / "build" / "t.html").read_text(encoding="utf-8"))


def test_preserve_cascade_must_be_a_boolean(make_project: Project) -> None:
    root = make_project({"kmsg.toml": '[build]\npreserve_cascade = "yes"\n'})
    with pytest.raises(ConfigError, match=r"\[build\] preserve_cascade must be true or false"):
        load_config(root)


@pytest.mark.parametrize("inliner", INLINERS)
def test_a_document_without_a_conflict_is_inlined_exactly_as_before(inliner: str) -> None:
    html = BODY.replace('td[class="pusher"] { width: 20px; color: red; }', "td { width: 20px; }")
    assert not analyse(html).promote
    assert inline_css(html, inliner, True) == inline_css(html, inliner, False)


def test_the_cascade_decides_not_the_property() -> None:
    # The same property and element each time: only importance, specificity and order differ.
    def promoted(css: str) -> list[str]:
        html = f'<html><head><style>{css}</style></head><body><p id="x" class="c">t</p></body></html>'
        return [f"{d.selector} {d.prop}" for d in analyse(html).promote]

    assert promoted("p { margin: 4px } @media all { .c { margin-top: 0 } }") == [".c margin-top"]
    assert promoted(".c { margin: 4px } @media all { p { margin-top: 0 } }") == []  # less specific
    assert promoted("@media all { .c { margin-top: 0 } } .c { margin: 4px }") == []  # earlier
    assert promoted("#x { margin: 4px } @media all { .c { margin-top: 0 } }") == []  # an id beats a class
    assert promoted("p { margin: 4px !important } @media all { .c { margin-top: 0 } }") == []
    # Two media rules that both won keep their order among themselves: both become !important.
    assert promoted("p { color: red } @media all { .c { color: blue } } @media all { p.c { color: green } }") == [
        ".c color",
        "p.c color",
    ]


def test_declarations_are_found_with_where_important_goes() -> None:
    css = "color: red ; /* a;b */ background: url('a;b.png') ; font: 12px/1 {fontName} !important;x"
    found = declarations(css)
    assert [(p, v, i) for p, v, i, _ in found] == [
        ("color", "red", False),
        ("background", "url('a;b.png')", False),
        ("font", "12px/1 {fontName}", True),
    ]
    assert [css[:end].rsplit(":", 1)[1].strip() for _, _, _, end in found] == [
        "red",
        "url('a;b.png')",
        "12px/1 {fontName}",
    ]


def test_a_token_in_a_media_rule_is_text_not_a_block() -> None:
    html = (
        "<html><head><style>td.a { background: red } @media all { td[class=a] { background: url({bannerUrl}) } }"
        '</style></head><body><table><tr><td class="a">x</td></tr></table></body></html>'
    )
    assert "url({bannerUrl}) !important }" in promote(html, analyse(html))


@pytest.mark.parametrize(
    ("css", "conflicts"),
    [
        # Both !important: the inlined one wins after inlining, where the media rule won before.
        ("p { margin: 0 !important } @media all { .c { margin-left: 4px !important } }", 1),
        # ...but it sets the same value, so which one wins changes nothing.
        ("p { width: 100% !important } @media all { .c { width: 100% !important } }", 0),
        ("p { margin: 0 auto !important } @media all { .c { margin-left: auto !important } }", 0),
        ("p { padding: 0px !important } @media all { .c { padding-top: 0 !important } }", 0),
    ],
)
def test_a_conflict_is_a_change_of_value(css: str, conflicts: int) -> None:
    html = f'<html><head><style>{css}</style></head><body><p class="c">t</p></body></html>'
    assert len(analyse(html).conflicts) == conflicts


def test_pixel_difference_sees_a_change_of_colour_in_opaque_screenshots() -> None:
    import io

    from PIL import Image

    from tests.compile.fidelity import pixel_difference

    def png(colour: str) -> bytes:
        out = io.BytesIO()
        Image.new("RGB", (10, 10), colour).save(out, format="PNG")
        return out.getvalue()

    assert pixel_difference(png("red"), png("red")) is None
    assert pixel_difference(png("red"), png("blue")) == "100 pixels (100.0%) differ in (0, 0, 10, 10)"
