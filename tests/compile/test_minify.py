"""[build] minify: the compiled body smaller, Outlook's conditional comments, tokens and <pre> kept."""

from __future__ import annotations

import re
from pathlib import Path

from kmsg_authoring.project.build import BuildOptions, build_project
from kmsg_authoring.compile import compile_template
from kmsg_authoring.compile.minify import minify
from kmsg_authoring.lint import lint_template
from kmsg_authoring.source.config import load_config
from tests.lint.conftest import template_files, write

BODY = """<!--[if mso]><table role="presentation"><tr><td width="600"><![endif]-->
<!-- a note for designers only -->
<p   class="lead">Hi   {recipient.firstName} ,  <b>see</b> <i>you</i>   soon</p>
<pre>  two   spaces
   kept  </pre>
<p><a href="{joinLink}" title="Join the event">Join</a></p>
<!--[if !mso]><!--><div>not for Outlook</div><!--<![endif]-->
<!--[if mso]></td></tr></table><![endif]-->"""


def _compiled(root: Path, minify_on: bool, body: str = BODY):  # type: ignore[no-untyped-def]
    toml = f"[build]\nminify = {'true' if minify_on else 'false'}\n"
    write(root, {**template_files(body, tokens={"joinLink": "MagicLink"}), "kmsg.toml": toml})
    config = load_config(root)
    return config, compile_template(config, "t")


def test_minify_keeps_conditional_comments_tokens_and_pre() -> None:
    out = minify(
        "<body>" + BODY.replace("{recipient.firstName}", "kmsgtk0q").replace("{joinLink}", "kmsgtk1q") + "</body>"
    )
    assert "a note for designers" not in out
    for kept in (
        '<!--[if mso]><table role="presentation"><tr><td width="600"><![endif]-->',
        "<!--[if !mso]><!--><div>not for Outlook</div><!--<![endif]-->",
        "<!--[if mso]></td></tr></table><![endif]-->",
        "<pre>  two   spaces\n   kept  </pre>",
        'href="kmsgtk1q"',
        "Hi kmsgtk0q , <b>see</b> <i>you</i> soon",
    ):
        assert kept in out, kept


def test_the_build_minifies_the_payload_body_with_tokens_intact(tmp_path: Path) -> None:
    _, plain = _compiled(tmp_path / "a", False)
    _, small = _compiled(tmp_path / "b", True)
    assert len(small.body) < len(plain.body) and small.unminified_bytes == len(plain.body.encode("utf-8"))
    assert plain.unminified_bytes is None
    assert sorted(re.findall(r"\{[^{}]+\}", small.body)) == sorted(re.findall(r"\{[^{}]+\}", plain.body))
    assert [t.raw for t in small.tokens] == [t.raw for t in plain.tokens]
    assert 'href="{joinLink}"' in small.body and "<!--[if mso]>" in small.body
    # Findings still point at the lines the designer wrote.
    located = {(t.raw, t.location.line) for t in small.tokens if t.where != "subject"}
    assert located == {(t.raw, t.location.line) for t in plain.tokens if t.where != "subject"}


def test_km509_gives_the_size_before_and_after(tmp_path: Path) -> None:
    big = "<p>" + "lorem    ipsum\n      " * 9000 + "</p>"
    config, compiled = _compiled(tmp_path, True, big)
    (found,) = [p for p in lint_template(compiled, config) if p.code == "KM509"]
    m = re.search(
        r"clipped by Gmail \((\d+\.\d) KB > 102\.0 KB .*; (\d+\.\d) KB before \[build\] minify\)", found.message
    )
    assert m is not None and float(m.group(2)) > float(m.group(1)), found.message


def test_minify_is_part_of_the_build_cache_key(tmp_path: Path) -> None:
    root = write(tmp_path, {**template_files(BODY, tokens={"joinLink": "MagicLink"}), "kmsg.toml": ""})
    first = build_project(load_config(root), None, BuildOptions(write=False))
    (root / "kmsg.toml").write_text("[build]\nminify = true\n")
    second = build_project(load_config(root), None, BuildOptions(write=False))
    assert len(second.compiled["t"].body) < len(first.compiled["t"].body)


def test_minify_keeps_the_space_between_inline_elements() -> None:
    out = minify(
        '<body><p>x</p>\n<a href="a">Join</a> <a href="b">Unsubscribe</a>\n<div><img src="i"> <b>c</b></div></body>'
    )
    assert "Join</a> <a" in out and "<img src=i> <b>c</b>" in out
    # A custom element (an unconverted Inky tag) is inline in browsers too.
    assert "</columns> <columns>" in minify("<div><columns>a</columns> <columns>b</columns></div>")
