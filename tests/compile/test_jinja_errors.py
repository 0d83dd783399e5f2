"""Jinja mistakes reported in the designer's words, where they were made."""

from __future__ import annotations

from pathlib import Path

import pytest

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
