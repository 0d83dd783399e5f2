"""Jinja mistakes reported in the designer's words, where they were made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kmsg_authoring.cli import main
from kmsg_authoring.compile import compile_template
from kmsg_authoring.errors import KmsgError
from kmsg_authoring.source.config import load_config
from kmsg_authoring.source.scaffold import init_project

HEAD = '{% extends "_layouts/base.html" %}\n{% block content %}\n<h1>Hello {recipient.firstName}</h1>\n'


@pytest.mark.parametrize(
    ("body", "where", "says"),
    [
        (
            HEAD + "<p>x {% if brand.company %} y\n<p>{eventName}</p>\n\n{% endblock %}\n",
            "templates_src/welcome/body.html:4:6",
            "'{% if brand.company %}' is never closed: add '{% endif %}' before line 7",
        ),
        (
            HEAD + "  <p>x {% for a in b %}</p>\n",
            "templates_src/welcome/body.html:4:8",
            "'{% for a in b %}' is never closed: add '{% endfor %}' before the end of the file",
        ),
        (
            HEAD + "<p>{{ brand.compnay }} is about {eventName}.</p>\n{% endblock %}\n",
            "templates_src/welcome/body.html:4:7",
            "'brand' has no attribute 'compnay' at build time (did you mean 'brand.company'?)",
        ),
        (
            HEAD + "  <p>{{ brand.eventNmae }}</p>\n{% endblock %}\n",
            "templates_src/welcome/body.html:4:9",
            "templates_src/welcome/samples/default.yaml has a send-time token 'eventName': write {eventName}",
        ),
        (
            '{% extends "_layouts/bsae.html" %}\n{% block content %}{recipient.firstName}{% endblock %}\n',
            "templates_src/welcome/body.html:1:12",
            "template '_layouts/bsae.html' not found (names are relative to templates_src/); "
            "did you mean '_layouts/base.html'?",
        ),
        (
            HEAD + '  {% include "_partials/fotter.html" %}\n{% endblock %}\n',
            "templates_src/welcome/body.html:4:14",
            "did you mean '_partials/footer.html'?",
        ),
        (
            "<p>{recipient.firstName}</p>\n  <p>{{ x }</p> }}\n",
            "templates_src/welcome/body.html:2:18",
            "Jinja syntax error: unexpected '}'",
        ),
        (
            "<p>{recipient.firstName}</p>\n  <p>{% iff x %}</p>\n",
            "templates_src/welcome/body.html:2:9",
            "Encountered unknown tag 'iff'",
        ),
    ],
    ids=["unclosed-if", "unclosed-for", "attribute", "attribute-sample", "layout", "partial", "brace", "tag"],
)
def test_a_jinja_mistake_is_reported_where_it_was_made(tmp_path: Path, body: str, where: str, says: str) -> None:
    init_project(tmp_path)
    (tmp_path / "templates_src" / "_partials").mkdir()
    (tmp_path / "templates_src" / "_partials" / "footer.html").write_text("<p>footer</p>\n", encoding="utf-8")
    (tmp_path / "templates_src" / "welcome" / "body.html").write_text(body, encoding="utf-8")
    with pytest.raises(KmsgError) as caught:
        compile_template(load_config(tmp_path), "welcome")
    assert str(caught.value.location) == where, str(caught.value)
    assert says in str(caught.value)


BODY_END = (
    "{% block content %}\n<h1>Hello {recipient.firstName}</h1>\n<p>This is about {eventName}.</p>\n"
    '{{ button("{joinLink}", "Join {eventName}") }}\n'
)


@pytest.mark.parametrize(
    ("tail", "where"),
    [
        ("{% endblock %}\n<p>See you there.</p>\n", ["templates_src/welcome/body.html:10:1"]),
        ("{% endblock %}  <p>See you there.</p>\n", ["templates_src/welcome/body.html:9:17"]),
        ("{% endblock %}\n\n   {{ brand.company }}\n", ["templates_src/welcome/body.html:11:4"]),
        (
            "{% endblock %}\n{% if brand.company %}\n  <p>{eventName}</p>\n{% endif %}\n<p>x</p>\n",
            ["templates_src/welcome/body.html:11:3", "templates_src/welcome/body.html:13:1"],
        ),
        ("{% endblock %}\n\n{# a comment #}\n{% set x = 1 %}\n", []),
        ("{% endblock %}\n{% macro m() %}<p>m</p>{% endmacro %}\n{% set s %}<p>s</p>{% endset %}\n", []),
        ("<p>See you there.</p>\n{% endblock %}\n", []),
    ],
    ids=["next-line", "same-line", "expression", "if-and-text", "blank", "definitions", "inside"],
)
def test_what_jinja_drops_outside_the_blocks_is_reported_where_it_stands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tail: str, where: list[str]
) -> None:
    """A template that extends a layout: Jinja renders its blocks in the layout and drops the rest."""
    init_project(tmp_path)
    body = tmp_path / "templates_src" / "welcome" / "body.html"
    head = body.read_text(encoding="utf-8").split("{% block content %}", 1)[0]
    body.write_text(head + BODY_END + tail, encoding="utf-8")
    assert main(["-C", str(tmp_path), "lint", "--format", "json"]) == 0
    found = [p for p in json.loads(capsys.readouterr().out)["problems"] if p["code"] == "KM604"]
    assert [f"{p['path']}:{p['line']}:{p['col']}" for p in found] == where
    assert all("never renders it" in p["message"] and p["severity"] == "warning" for p in found)
    assert main(["-C", str(tmp_path), "build"]) == 0  # a warning: the build goes on
    capsys.readouterr()
    html = (tmp_path / "build" / "welcome.html").read_text(encoding="utf-8")
    assert ("See you there" in html) == (not tail.startswith("{% endblock %}"))  # only inside a block
