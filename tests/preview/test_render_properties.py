"""Property: any sample that satisfies a template's msgParamsMap renders with no token reference left."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kmsg_authoring.compile.tokens import find_tokens
from kmsg_authoring.model import CURRENT_RECIPIENT, TOKEN_TYPES, USER_FIELDS
from kmsg_authoring.render.renderer import QrColors, render_all
from kmsg_authoring.render.sample_schema import validate_sample
from kmsg_authoring.source.project import YamlDoc

NAMES = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,8}\Z")
# Text that is not itself token syntax: braces and entities are what references are made of.
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="{}&"), max_size=12)
URL = st.from_regex(r"\Ahttps://[a-z]{1,8}\.example\.com/[a-z0-9]{0,6}\Z")
MAGIC = st.fixed_dictionaries(
    {"baseURL": URL},
    optional={"expiry": st.integers(1, 1000), "privileges": TEXT},
)
COLOR = st.from_regex(r"\A#[0-9a-f]{6}\Z")
QR = st.fixed_dictionaries(
    {
        "payload": st.dictionaries(NAMES, st.one_of(TEXT, st.integers(), st.booleans()), max_size=3),
        "secret": st.text(min_size=1, max_size=20),
    },
    optional={
        "options": st.fixed_dictionaries(
            {}, optional={"color": st.fixed_dictionaries({}, optional={"dark": COLOR, "light": COLOR})}
        )
    },
)
USER_VALUE = st.one_of(TEXT.filter(bool), st.integers(0, 10**6))


def value_for(token_type: str, user_ids: list[str]) -> st.SearchStrategy[Any]:
    if token_type == "User":
        return st.sampled_from([CURRENT_RECIPIENT, *user_ids])
    if token_type == "String":
        return TEXT
    if token_type == "MagicLink":
        return MAGIC
    if token_type == "Dynamic":
        return st.one_of(TEXT, MAGIC)
    if token_type == "UnsubscribeUri":
        return URL
    return QR


@st.composite
def template_and_sample(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    msg_map = draw(
        st.dictionaries(NAMES, st.sampled_from(TOKEN_TYPES).map(lambda t: {"type": t}), min_size=1, max_size=6)
    )
    ids = draw(st.lists(st.from_regex(r"\A[a-z]{1,6}@example\.com\Z"), min_size=1, max_size=3, unique=True))
    users = [{"id": uid, **draw(st.dictionaries(st.sampled_from(USER_FIELDS[1:]), USER_VALUE))} for uid in ids]
    params = {name: {"type": d["type"], "value": draw(value_for(d["type"], ids))} for name, d in msg_map.items()}

    def reference(name: str) -> str:
        if msg_map[name]["type"] == "User":
            return "{" + name + "." + draw(st.sampled_from(USER_FIELDS)) + "}"
        return "{" + name + "}"

    names = sorted(msg_map)
    text_refs = [n for n in names if msg_map[n]["type"] != "JwtQrCode"]
    parts = []
    for _ in range(draw(st.integers(1, 8))):
        name = draw(st.sampled_from(names))
        ref = reference(name)
        parts.append(draw(TEXT) + (f'<img src="{ref}">' if draw(st.booleans()) else f"<p>{ref}</p>"))
    subject = (
        "".join(draw(TEXT) + reference(n) for n in draw(st.lists(st.sampled_from(text_refs), max_size=3)))
        if text_refs
        else draw(TEXT)
    )
    user_tokens = [n for n in names if msg_map[n]["type"] == "User"]
    to = "{" + user_tokens[0] + ".email}" if user_tokens else draw(TEXT)
    payload = {
        "subject": subject,
        "body": "".join(parts),
        "toAttributePath": to,
        "fromName": draw(TEXT),
        "msgParamsMap": msg_map,
    }
    return payload, {"users": users, "msgParams": params}


def qr(data: str, colors: QrColors) -> str:
    return "data:image/png;base64,AAAA"


@settings(max_examples=100, deadline=None)
@given(template_and_sample())
def test_samples_that_satisfy_the_map_leave_no_reference_unresolved(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    payload, sample = case
    assert validate_sample(YamlDoc("s.yaml", sample), payload["msgParamsMap"]) == []
    users = sample["users"]
    renderings = render_all(payload, sample["msgParams"], users, [u["id"] for u in users], qr_encoder=qr)
    assert len(renderings) == len(users)
    for r in renderings:
        for text in (r.subject, r.from_name, r.to, r.body):
            assert list(find_tokens(text)) == [], text
        # A satisfying sample leaves only one thing unresolvable: a User field its user lacks.
        for item in r.unresolved:
            assert item.reason.startswith("is empty: user"), item
