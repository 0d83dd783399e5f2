"""Samples: validation against msgParamsMap with locations, the default sample, the samples command."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from kmsg_authoring.cli import main
from kmsg_authoring.source.config import load_config
from kmsg_authoring.errors import SourceError, UsageError
from kmsg_authoring.model import TOKEN_TYPES, USER_FIELDS
from kmsg_authoring.render.samples import (
    check_sample_files,
    default_sample,
    parse_sample,
    sample_yaml,
    validate_sample,
)
from kmsg_authoring.source.project import load_yaml

MAP = {
    "recipient": {"type": "User"},
    "eventName": {"type": "String"},
    "joinLink": {"type": "MagicLink"},
    "smart": {"type": "Dynamic"},
    "unsubLink": {"type": "UnsubscribeUri"},
    "checkIn": {"type": "JwtQrCode"},
}
GOOD = """\
users:
  - {id: jane@example.com, firstName: Jane, email: jane@example.com}
msgParams:
  recipient: {type: User, value: Message.userId}
  eventName: {type: String, value: Annual Conference 2026}
  joinLink: {type: MagicLink, value: {baseURL: "https://events.example.com/join", expiry: 48, privileges: "x"}}
  smart: {type: Dynamic, value: hello}
  unsubLink: {type: UnsubscribeUri, value: "https://events.example.com/unsubscribe"}
  checkIn: {type: JwtQrCode, value: {payload: {eventId: "1"}, secret: dev, options: {color: {dark: "#1a237e"}}}}
"""


def problems(text: str) -> list[str]:
    return [
        f"{e.location}: {e.message}" for e in validate_sample(load_yaml(text, "templates_src/t/samples/x.yaml"), MAP)
    ]


def test_a_valid_sample_has_no_problems() -> None:
    assert problems(GOOD) == []
    sample = parse_sample(GOOD, "s.yaml", "x", MAP)
    assert sample.recipients == ["jane@example.com"]
    assert sample.msg_params["eventName"]["value"] == "Annual Conference 2026"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  eventName: {type: String, value: Annual Conference 2026}\n",
            "",
            "x.yaml:3:1: no value for token 'eventName' (msgParamsMap declares a String token",
        ),
        (
            "value: Annual Conference 2026",
            "value: 2026",
            "x.yaml:5:29: msgParams.eventName.value: 2026 is not of type 'string'",
        ),
        (
            "expiry: 48",
            "expiry: soon",
            "x.yaml:6:83: msgParams.joinLink.value.expiry: 'soon' is not of type 'integer'; a MagicLink value is",
        ),
        (
            '{baseURL: "https://events.example.com/join", expiry: 48, privileges: "x"}',
            "https://x.example",
            "x.yaml:6:31: msgParams.joinLink.value: 'https://x.example' is not of type 'object'",
        ),
        ("value: hello", "value: [1, 2]", "x.yaml:7:26: msgParams.smart.value: [1, 2] is neither text nor a MagicLink"),
        (
            'value: "https://events.example.com/unsubscribe"',
            "value: not a uri",
            "x.yaml:8:37: msgParams.unsubLink.value: 'not a uri' is not a valid value here; a UnsubscribeUri value is",
        ),
        ("secret: dev, ", "", "x.yaml:9:30: msgParams.checkIn.value is missing 'secret'"),
        ('dark: "#1a237e"', "dark: navy", "msgParams.checkIn.value.options.color.dark: 'navy' is not a valid value"),
        (
            "{type: MagicLink,",
            "{type: String,",
            "x.yaml:6:14: msgParams.joinLink.type is 'String' but msgParamsMap declares 'MagicLink'",
        ),
        (
            "value: Message.userId",
            "value: bob@example.com",
            "x.yaml:4:27: msgParams.recipient: user 'bob@example.com' is not in users (known: jane@example.com)",
        ),
        (
            "firstName: Jane",
            "firstname: Jane",
            "x.yaml:2:28: unknown User field 'firstname' (did you mean 'firstName'?)",
        ),
        ("msgParams:", "msgParam:", "x.yaml:3:1: unknown key 'msgParam' (did you mean 'msgParams'?)"),
    ],
    ids=[
        "missing-value",
        "number-for-string",
        "bad-expiry",
        "string-for-magiclink",
        "bad-dynamic",
        "bad-unsubscribe-uri",
        "qr-without-secret",
        "bad-colour",
        "wrong-type",
        "user-not-in-users",
        "unknown-user-field",
        "unknown-top-level-key",
    ],
)
def test_problems_are_reported_at_their_line(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    found = problems(GOOD.replace(old, new))
    assert any(expected in p for p in found), found


def test_message_user_id_needs_users() -> None:
    text = GOOD.replace("users:\n  - {id: jane@example.com, firstName: Jane, email: jane@example.com}\n", "")
    assert problems(text) == [
        "templates_src/t/samples/x.yaml:2:27: msgParams.recipient is Message.userId but the sample has no users"
    ]


def test_duplicate_user_ids() -> None:
    text = GOOD.replace("users:\n", "users:\n  - {id: jane@example.com}\n")
    assert problems(text) == [
        "templates_src/t/samples/x.yaml:3:6: user id 'jane@example.com' is listed twice (first as users[0])"
    ]


def test_parse_sample_raises_the_first_problem_with_its_location() -> None:
    with pytest.raises(SourceError) as info:
        parse_sample(GOOD.replace("value: Annual Conference 2026", "value: 2026"), "s.yaml", "x", MAP)
    assert info.value.location is not None and (info.value.location.line, info.value.location.col) == (5, 29)
    with pytest.raises(SourceError, match="invalid YAML"):
        parse_sample("users: [\n", "s.yaml", "x", MAP)


def test_default_sample_covers_every_token_type_and_user_field() -> None:
    every = {f"t{t}": {"type": t} for t in TOKEN_TYPES}
    data = default_sample({"msgParamsMap": every})
    assert set(data["users"][0]) == set(USER_FIELDS) and all(data["users"][0].values())
    assert {p["type"] for p in data["msgParams"].values()} == set(TOKEN_TYPES)
    text = sample_yaml({"msgParamsMap": every})
    assert validate_sample(load_yaml(text, "s.yaml"), every) == []
    assert yaml.safe_load(text) == data


def test_check_sample_files_reports_every_file(make_project: Callable[[dict[str, str]], Path]) -> None:
    root = make_project(
        {
            "templates_src/t/template.yaml": "msgParamsMap: {eventName: {type: String}}\n",
            "templates_src/t/samples/default.yaml": "msgParams: {eventName: {type: String, value: ok}}\n",
            "templates_src/t/samples/bad.yaml": "msgParams: {eventName: {type: String, value: 1}}\n",
            "templates_src/t/samples/broken.yaml": "msgParams: {\n",
        }
    )
    config = load_config(root)
    found = [
        f"{e.location}: {e.message}"
        for e in check_sample_files(config, "templates_src/t", {"msgParamsMap": {"eventName": {"type": "String"}}})
    ]
    assert found[0].startswith("templates_src/t/samples/bad.yaml:1:39: msgParams.eventName.value: 1 is not of type")
    assert found[1].startswith("templates_src/t/samples/broken.yaml:2:1: invalid YAML")
    assert len(found) == 2


def test_samples_init_writes_a_valid_sample_and_refuses_to_overwrite(
    example_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = example_project / "templates_src/reminder/samples/generated.yaml"
    assert main(["-C", str(example_project), "samples", "init", "reminder", "--name", "generated"]) == 0
    assert "wrote templates_src/reminder/samples/generated.yaml" in capsys.readouterr().out
    data = yaml.safe_load(sample.read_text(encoding="utf-8"))
    assert set(data["msgParams"]) == {"recipient", "eventName", "startsIn", "joinLink"}
    assert main(["-C", str(example_project), "samples", "init", "reminder", "--name", "generated"]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    sample.write_text("edited", encoding="utf-8")
    assert main(["-C", str(example_project), "samples", "init", "reminder", "--name", "generated", "--force"]) == 0
    assert sample.read_text(encoding="utf-8") != "edited"
    assert main(["-C", str(example_project), "samples", "check", "reminder"]) == 0
    assert main(["-C", str(example_project), "samples", "init", "nope"]) == 2
    assert "no template 'nope'" in capsys.readouterr().err


def test_samples_check_reports_problems_and_exit_code(
    example_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-C", str(example_project), "samples", "check"]) == 0
    path = example_project / "templates_src/event-invitation/samples/default.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("expiry: 48", "expiry: tomorrow"), encoding="utf-8")
    assert main(["-C", str(example_project), "samples", "check"]) == 1
    err = capsys.readouterr().err
    assert "templates_src/event-invitation/samples/default.yaml:8:" in err
    assert "'tomorrow' is not of type 'integer'" in err


def test_unknown_sample_name_is_a_usage_error(example_project: Path) -> None:
    from kmsg_authoring.compile import compile_template
    from kmsg_authoring.render.samples import load_sample

    config = load_config(example_project)
    with pytest.raises(UsageError, match="no sample 'nope' \\(samples: default\\)"):
        load_sample(config, compile_template(config, "reminder"), "nope")
    assert textwrap  # keep the import for readers adding dedented cases


def test_secrets_never_appear_in_problems() -> None:
    text = GOOD.replace("secret: dev, ", "secret: 12345678, extra: 1, ").replace('{eventId: "1"}', '"sign-me"')
    found = problems(text)
    assert any("msgParams.checkIn.value.secret: <hidden> is not of type 'string'" in p for p in found), found
    assert all("12345678" not in p for p in found), found
    found = problems(
        GOOD.replace("value: {payload", "value: {secret: hunter2-secret, optons: 1, payload").replace(
            "secret: dev, ", ""
        )
    )
    assert found and all("hunter2" not in p for p in found), found


def test_a_dynamic_token_may_be_given_as_what_it_resolves_to() -> None:
    as_link = 'smart: {type: MagicLink, value: {baseURL: "https://e.example.com/j"}}'
    assert problems(GOOD.replace("smart: {type: Dynamic, value: hello}", as_link)) == []
    assert problems(GOOD.replace("smart: {type: Dynamic, value: hello}", "smart: {type: String, value: hi}")) == []
    found = problems(GOOD.replace("smart: {type: Dynamic, value: hello}", "smart: {type: MagicLink, value: hi}"))
    assert len(found) == 1 and "msgParams.smart.value: 'hi' is not of type 'object'" in found[0]
    found = problems(GOOD.replace("smart: {type: Dynamic, value: hello}", "smart: {type: User, value: hi}"))
    assert found == [
        (
            "templates_src/t/samples/x.yaml:7:11: msgParams.smart.type is 'User' but msgParamsMap declares "
            "'Dynamic' (a Dynamic token may also be sent as String or MagicLink)"
        )
    ]


@pytest.mark.parametrize(
    "declared",
    [None, [], "recipient", {"x": "User"}, {"x": {"type": "Nope"}}],
    ids=["none", "list", "string", "bare-type", "unknown-type"],
)
def test_default_sample_of_a_broken_map_is_empty_not_a_crash(declared: object) -> None:
    assert default_sample({"msgParamsMap": declared})["msgParams"] == {}


def test_each_missing_value_names_its_own_token(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two missing values give two messages, one per token (not the first token twice)."""
    two_missing = GOOD.replace("  eventName: {type: String, value: Annual Conference 2026}\n", "").replace(
        "  smart: {type: Dynamic, value: hello}\n", ""
    )
    found = problems(two_missing)
    assert len(found) == 2
    assert any("no value for token 'eventName'" in p for p in found)
    assert any("no value for token 'smart'" in p for p in found)
    path = example_project / "templates_src/event-invitation/samples/default.yaml"
    lines = [
        ln
        for ln in path.read_text(encoding="utf-8").splitlines(keepends=True)
        if not ln.lstrip().startswith(("eventName:", "joinLink:"))
    ]
    path.write_text("".join(lines), encoding="utf-8")
    assert main(["-C", str(example_project), "samples", "check"]) == 1
    err = capsys.readouterr().err
    assert "no value for token 'eventName'" in err and "no value for token 'joinLink'" in err
