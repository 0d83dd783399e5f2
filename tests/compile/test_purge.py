"""[build] remove_unused_css: style rules matching no element removed, everything else byte for byte."""

from __future__ import annotations

import re
from pathlib import Path

from kmsg_authoring.compile import compile_template
from kmsg_authoring.compile.purge import client_patterns, remove_unused_css
from kmsg_authoring.source.config import load_config
from tests.lint.conftest import template_files, write

HEAD = """<html><head><style>
.used { color: red; }
.unused { color: blue; }
.Used-Too, .nowhere { margin: 0; }
@media (max-width: 600px) { .used { width: 100%; } .gone { width: 50%; } }
@media (max-width: 400px) { .gone { width: 10%; } }
@font-face { font-family: X; src: url(x.woff); }
@keyframes spin { from { opacity: 0; } }
u + .body .gmail-fix { display: none; }
#MessageViewBody a { color: inherit; }
[data-ogsc] .dark { color: white; }
[data-ogsb] .dark { background: black; }
a[x-apple-data-detectors] { color: inherit; }
.ExternalClass { width: 100%; }
#outlook a { padding: 0; }
body[data-outlook-cycle] .x { color: red; }
.gmail_default { font-size: 1px; }
a:hover { color: green; }
p::first-line { color: red; }
.a[[broken { color: red; }
table > tbody > tr > td.cell { padding: 0; }
.mso-only { color: red; }
.bg { background: url(kmsgtk1q); }
</style></head><body>
<p class="used">Hi kmsgtk0q</p><p class="used-too" id="x">text .unused stays</p>
<!--[if mso]><div class="mso-only">Outlook</div><![endif]-->
<!--[if mso]><style>.only-in-outlook-comment { color: red; }</style><![endif]-->
<table><tr><td class="cell">cell</td></tr></table>
</body></html>"""


def test_removes_rules_matching_nothing_and_keeps_the_rest_byte_for_byte() -> None:
    out = remove_unused_css(HEAD)
    assert ".unused { color: blue; }" not in out
    assert ".gone" not in out  # inside a kept @media rule, and a @media rule left empty
    assert "@media (max-width: 400px)" not in out
    for kept in (
        ".used { color: red; }",
        ".Used-Too, .nowhere { margin: 0; }",  # one selector used: the rule stays whole
        "@media (max-width: 600px) { .used { width: 100%; }  }",
        "@font-face { font-family: X; src: url(x.woff); }",
        "@keyframes spin { from { opacity: 0; } }",
        "a:hover { color: green; }",
        "p::first-line { color: red; }",
        ".a[[broken { color: red; }",
        "table > tbody > tr > td.cell { padding: 0; }",
        ".mso-only { color: red; }",  # used inside <!--[if mso]>
        ".bg { background: url(kmsgtk1q); }",
        "<!--[if mso]><style>.only-in-outlook-comment { color: red; }</style><![endif]-->",
    ):
        assert kept in out, kept
    # Outside the style blocks, nothing changes.
    assert out[out.index("</style>") :] == HEAD[HEAD.index("</style>") :]
    assert out.count("kmsgtk") == HEAD.count("kmsgtk")


def test_keeps_the_selectors_of_mail_clients_markup_from_the_data_file() -> None:
    out = remove_unused_css(HEAD)
    for selector in (
        "u + .body .gmail-fix",
        "#MessageViewBody a",
        "[data-ogsc] .dark",
        "[data-ogsb] .dark",
        "a[x-apple-data-detectors]",
        ".ExternalClass",
        "#outlook a",
        "body[data-outlook-cycle] .x",
        ".gmail_default",
    ):
        assert selector + " {" in out, selector
    assert len(client_patterns()) >= 10


def test_a_token_in_an_attribute_keeps_every_rule_testing_that_attribute() -> None:
    html = '<style>.a { color: red } #b { color: red } [title] { color: red }</style><p class="kmsgtk0q">x</p>'
    assert remove_unused_css(html) == '<style>.a { color: red }  </style><p class="kmsgtk0q">x</p>'


def test_a_document_without_unused_rules_is_unchanged() -> None:
    html = "<style>p { color: red }</style><p>x</p>"
    assert remove_unused_css(html) == html
    assert remove_unused_css("<p>no style</p>") == "<p>no style</p>"


def _compiled(root: Path, on: bool | None):  # type: ignore[no-untyped-def]
    toml = "" if on is None else f"[build]\nremove_unused_css = {'true' if on else 'false'}\n"
    body = (
        '<style data-css-inline="ignore">.kept { color: red } .dropped { color: blue }</style>'
        '<p class="kept">Hi {recipient.firstName}, <a href="{joinLink}">join</a></p>'
    )
    write(root, {**template_files(body, tokens={"joinLink": "MagicLink"}), "kmsg.toml": toml})
    return compile_template(load_config(root), "t")


def test_the_build_removes_unused_rules_only_when_asked(tmp_path: Path) -> None:
    default = _compiled(tmp_path / "default", None)
    off = _compiled(tmp_path / "off", False)
    on = _compiled(tmp_path / "on", True)
    assert ".dropped" in default.body and default.body == off.body and default.unminified_bytes is None
    assert ".dropped" not in on.body and ".kept { color: red }" in on.body
    assert on.unminified_bytes == len(off.body.encode("utf-8"))
    tokens = re.compile(r"\{[A-Za-z_][\w.]*\}")
    assert sorted(tokens.findall(on.body)) == sorted(tokens.findall(off.body)) != []
    assert [t.raw for t in on.tokens] == [t.raw for t in off.tokens]
