"""Token extraction: the grammar, entity-encoded braces, other template languages, contexts."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmsg_authoring.compile import compile_template
from kmsg_authoring.compile.tokens import find_tokens, number_of_tokens_used
from kmsg_authoring.source.config import load_config


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hi {recipient.firstName}!", [("recipient", "firstName")]),
        ("{a}{b.c}", [("a", None), ("b", "c")]),
        ("&#123;eventName&#125;", [("eventName", None)]),
        ("&#x7B;eventName&#X7d;", [("eventName", None)]),
        ("&lbrace;joinLink&rcub;", [("joinLink", None)]),
        ("{{ name }} {{name}} {{#each x}}", []),
        ("*|FNAME|* <%asm_unsubscribe_url%> %%name%%", []),
        ("p { color: red } p{color:red} .a{b:c}", []),
        ("{ spaced } {a..b} {.x} {1abc} {}", []),
        ("{{a}", []),
        ("{a}}", []),
    ],
    ids=[
        "user",
        "adjacent",
        "decimal-entity",
        "hex-entity",
        "named-entity",
        "jinja-style",
        "other-languages",
        "css-braces",
        "malformed",
        "double-open",
        "double-close",
    ],
)
def test_find_tokens(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert [(t.name, t.field) for t in find_tokens(text)] == expected


def test_number_of_tokens_used_counts_distinct_tokens_in_subject_body_and_from_name() -> None:
    payload = {"subject": "{a} {b.x}", "body": "<p>{b.y} {c}</p>", "fromName": "{d}", "toAttributePath": "{e.email}"}
    assert number_of_tokens_used(payload) == 4


names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
fields = st.none() | names
spellings = st.sampled_from([("{", "}"), ("&#123;", "&#125;"), ("&#x7b;", "&#x7d;"), ("&lbrace;", "&rbrace;")])
placements = st.sampled_from(["text", "href", "title", "alt"])
filler = st.text(alphabet="abc xyz.,;:!?-", max_size=12)


def _ref(name: str, field: str | None, spelling: tuple[str, str]) -> str:
    return spelling[0] + name + ("." + field if field else "") + spelling[1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tokens=st.lists(st.tuples(names, fields, spellings, placements, filler), min_size=1, max_size=8),
    subject_tokens=st.lists(st.tuples(names, fields), max_size=3),
    jinja=st.booleans(),
)
def test_extracted_tokens_match_what_was_written(
    make_project: Callable[[dict[str, str]], Path],
    tokens: list[tuple[str, str | None, tuple[str, str], str, str]],
    subject_tokens: list[tuple[str, str | None]],
    jinja: bool,
) -> None:
    parts = []
    expected = []
    for name, field, spelling, placement, text in tokens:
        ref = _ref(name, field, spelling)
        safe = html.escape(text)
        if placement == "text":
            parts.append(f"<p>{safe} {ref} {safe}</p>")
            expected.append((name, field, "text", None))
        elif placement == "href":
            parts.append(f'<a href="{ref}">{safe}</a>')
            expected.append((name, field, "attribute", "href"))
        else:
            tag = "img" if placement == "alt" else "span"
            parts.append(f'<{tag} {placement}="{safe}{ref}">' + ("" if tag == "img" else "x</span>"))
            expected.append((name, field, "attribute", placement))
    # CSS rule braces and other template languages around them must not count.
    body = (
        "<html><head><style>p { color: red } .a{b:c}</style></head><body>\n"
        + "\n".join(parts)
        + "\n<!-- {notAToken} --></body></html>\n"
    )
    subject = "Hi " + " ".join(_ref(n, f, ("{", "}")) for n, f in subject_tokens)
    yaml_subject = subject.replace('"', '\\"')
    root = make_project(
        {
            "templates_src/t/template.yaml": (
                f'name: T\nsubject: "{yaml_subject}"\ntoAttributePath: "{{r.email}}"\nmsgParamsMap: {{r: {{type: User}}}}\n'  # noqa: E501
                + ("" if jinja else "kmsg: {jinja: false}\n")
            ),
            "templates_src/t/body.html": body,
        }
    )
    compiled = compile_template(load_config(root), "t")
    body_refs = [(t.name, t.field, t.where, t.attribute) for t in compiled.tokens if t.where in ("text", "attribute")]
    assert sorted(body_refs, key=repr) == sorted(expected, key=repr)
    assert [(t.name, t.field) for t in compiled.tokens if t.where == "subject"] == list(subject_tokens)
    assert [t.raw for t in compiled.tokens if t.where == "comment"] == ["{notAToken}"]
    # Every reference is written to the body in the spelling the API substitutes, at the offset
    # reported; the manifest's raw keeps it as written.
    for t in compiled.tokens:
        if t.offset >= 0:
            assert compiled.body[t.offset : t.offset + len(t.text)] == t.text
    for name, field, spelling, _, _ in tokens:
        assert _ref(name, field, ("{", "}")) in compiled.body
        assert any(t.raw == _ref(name, field, spelling) for t in compiled.tokens)
    assert "&#123;" not in compiled.body and "&#x7b;" not in compiled.body and "&lbrace;" not in compiled.body


def test_token_contexts_and_source_locations(make_project: Callable[[dict[str, str]], Path]) -> None:
    root = make_project(
        {
            "templates_src/_partials/link.html": '<p>\n  <a href="{joinLink}">Join {eventName}</a>\n</p>\n',
            "templates_src/t/template.yaml": (
                'name: T\nsubject: "Hello {recipient.firstName}"\ntoAttributePath: "{recipient.email}"\n'
                "msgParamsMap:\n  recipient: {type: User}\n  joinLink: {type: MagicLink}\n  eventName: {type: String}\n"
                "  banner: {type: String}\n"
            ),
            "templates_src/t/body.html": (
                "<html><head><style>.x { background: url({banner}); }</style></head>\n"
                '<body><div class="x" style="color:red">A</div>\n'
                "{% include '_partials/link.html' %}\n"
                "<!--[if mso]><p>{eventName}</p><![endif]-->\n"
                "<p>{{ '{eventName}' }}</p>\n"
                "</body></html>\n"
            ),
        }
    )
    compiled = compile_template(load_config(root), "t")
    by = {
        (t.raw, t.where, t.location.path.rsplit("/", 1)[-1], t.location.line, t.location.col, t.mso)
        for t in compiled.tokens
    }
    assert ("{recipient.firstName}", "subject", "template.yaml", 2, 17, False) in by
    assert ("{recipient.email}", "toAttributePath", "template.yaml", 3, 19, False) in by
    assert ("{joinLink}", "attribute", "link.html", 2, 12, False) in by
    assert ("{eventName}", "text", "link.html", 2, 29, False) in by
    assert ("{eventName}", "text", "body.html", 4, 17, True) in by
    assert ("{eventName}", "text", "body.html", 5, 8, False) in by
    css = [t for t in compiled.tokens if t.name == "banner"]
    assert css and all(t.where == "css" for t in css)
    assert {t.location.line for t in css} == {1}
    assert "url({banner})" in compiled.body
