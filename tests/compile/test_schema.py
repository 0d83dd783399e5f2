"""template.yaml's schema: the build's small validator agrees with jsonschema."""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from kmsg_authoring.compile.schema import template_schema
from kmsg_authoring.source.jsonschema_lite import iter_problems

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
fields = st.sampled_from(
    [
        "name",
        "subject",
        "toAttributePath",
        "msgParamsMap",
        "unsubscribeGroups",
        "customHeaders",
        "status",
        "kmsg",
        "adminTags",
        "unknownField",
        "from",
    ]
)
token_maps = st.dictionaries(
    st.text(min_size=1, max_size=5),
    st.one_of(st.fixed_dictionaries({"type": st.sampled_from(["User", "String", "Bogus"])}), values),
    max_size=3,
)
documents = st.dictionaries(
    fields,
    st.one_of(
        values, token_maps, st.lists(st.text(max_size=3), max_size=2), st.fixed_dictionaries({"jinja": st.booleans()})
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(doc=documents, strict=st.booleans())
def test_small_validator_agrees_with_jsonschema(doc: dict[str, Any], strict: bool) -> None:
    schema = template_schema(strict=strict)
    expected = jsonschema.Draft202012Validator(schema).is_valid(doc)
    assert (not any(iter_problems(doc, schema))) == expected


sample_values = st.one_of(
    values,
    st.fixed_dictionaries({"baseURL": st.sampled_from(["https://x.example", "ftp:x"]), "expiry": st.integers(-1, 5)}),
    st.fixed_dictionaries(
        {"payload": st.dictionaries(st.text(max_size=2), scalars, max_size=2), "secret": st.text(max_size=3)}
    ),
)
sample_docs = st.fixed_dictionaries(
    {
        "msgParams": st.dictionaries(
            st.sampled_from(["recipient", "eventName", "joinLink", "when", "qr", "unsub"]),
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["User", "String", "MagicLink", "Dynamic", "JwtQrCode", "UnsubscribeUri"]),
                    "value": sample_values,
                }
            ),
            max_size=6,
        ),
    },
    optional={
        "users": st.lists(
            st.dictionaries(st.sampled_from(["id", "firstName", "nickname"]), scalars, max_size=3), max_size=2
        ),
        "session": st.text(max_size=3),
        "bogus": scalars,
    },
)


@settings(max_examples=300, deadline=None)
@given(doc=sample_docs)
def test_small_validator_agrees_with_jsonschema_on_sample_schemas(doc: dict[str, Any]) -> None:
    from kmsg_authoring.render.sample_schema import sample_schema

    schema = sample_schema(
        {
            "recipient": {"type": "User"},
            "eventName": {"type": "String"},
            "joinLink": {"type": "MagicLink"},
            "when": {"type": "Dynamic"},
            "qr": {"type": "JwtQrCode"},
            "unsub": {"type": "UnsubscribeUri"},
        }
    )
    expected = jsonschema.Draft202012Validator(schema).is_valid(doc)
    assert (not any(iter_problems(doc, schema))) == expected
