"""Breaking-change detection end to end: plan and publish against the local sandbox over real HTTP."""

# ruff: noqa: F811 - `env` is the sandbox fixture of test_sandbox.py, imported to be shared

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kmsg_authoring.contract.schema import check_request, params_schema
from kmsg_authoring.errors import ApiError
from tests.publish.test_sandbox import GUID, WRITES, Env, env  # noqa: F401 - env is the fixture

INVITE = "templates_src/event-invitation"


def _replace(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _add_venue(root: Path) -> None:
    """Add a String token 'venue' to the invitation: declared, used in the body, given in its sample."""
    _replace(
        root,
        f"{INVITE}/template.yaml",
        "  eventDate: {type: String}\n",
        "  eventDate: {type: String}\n  venue: {type: String}\n",
    )
    _replace(root, f"{INVITE}/body.html", "on {eventDate}.</p>", "on {eventDate} at {venue}.</p>")
    _replace(
        root, f"{INVITE}/samples/default.yaml", "  eventDate:", "  venue: {type: String, value: Hall A}\n  eventDate:"
    )


def _invitation(env: Env) -> dict[str, object]:
    return next(t for t in env.live() if t["name"] == "Event Invitation")


def test_adding_a_token_is_refused_by_publish_naming_the_change_and_allow_breaking_publishes_it(env: Env) -> None:
    assert env.run("publish", "--env", "sandbox")[0] == 0
    _add_venue(env.root)
    code, text = env.run("plan", "--env", "sandbox")
    assert code == 1, text  # plan exits 1 when publish would refuse a template
    assert "! conflict  Event Invitation" in text
    assert "breaking: token 'venue' added (String): callers must send it" in text
    env.clear()
    code, text = env.run("publish", "--env", "sandbox")
    assert code == 1, text
    assert (
        "Event Invitation: conflict: breaking change for the services that send this template (token 'venue' "
        "added (String): callers must send it); pass --allow-breaking" in text
    )
    assert not [r for r in env.requests() if r in WRITES]
    assert "venue" not in _invitation(env)["msgParamsMap"]  # type: ignore[operator]
    code, text = env.run("publish", "--env", "sandbox", "--allow-breaking")
    assert code == 0, text
    assert "1 updated" in text
    assert _invitation(env)["msgParamsMap"] == {  # the API's own shape, as published
        "recipient": {"type": "User"},
        "eventName": {"type": "String"},
        "eventDate": {"type": "String"},
        "venue": {"type": "String"},
        "joinLink": {"type": "MagicLink"},
    }


def test_the_template_can_allow_a_named_breaking_change(env: Env) -> None:
    assert env.run("publish", "--env", "sandbox")[0] == 0
    _add_venue(env.root)
    _replace(
        env.root,
        f"{INVITE}/body.html",
        "<h1>You're invited, {recipient.firstName}!</h1>",
        "<h1>You're invited, {recipient.firstName} of {recipient.company}!</h1>",
    )
    with (env.root / f"{INVITE}/template.yaml").open("a", encoding="utf-8") as fh:
        fh.write("kmsg: {contract: {allow_breaking: [venue]}}\n")
    code, text = env.run("publish", "--env", "sandbox")
    assert code == 1  # the newly read User field is not named
    assert "User field 'recipient.company' newly read" in text and "token 'venue'" in text
    _replace(
        env.root, f"{INVITE}/template.yaml", "allow_breaking: [venue]", "allow_breaking: [venue, recipient.company]"
    )
    code, text = env.run("publish", "--env", "sandbox", "--format", "json")
    assert code == 0, text
    result = json.loads(text)
    [invite] = [t for t in result["templates"] if t["name"] == "Event Invitation"]
    assert invite["result"] == "done"
    assert {c["subject"]: c["kind"] for c in invite["contract"]} == {
        "venue": "breaking",
        "recipient.company": "breaking",
    }


def test_removing_a_token_is_reported_compatible_and_published(env: Env) -> None:
    assert env.run("publish", "--env", "sandbox")[0] == 0
    _replace(env.root, f"{INVITE}/template.yaml", "  eventDate: {type: String}\n", "")
    _replace(env.root, f"{INVITE}/body.html", " on {eventDate}.</p>", ".</p>")
    _replace(env.root, f"{INVITE}/body.html", "{eventName} on {eventDate}: your", "{eventName}: your")
    _replace(env.root, f"{INVITE}/samples/default.yaml", '  eventDate: {type: String, value: "March 12, 2026"}\n', "")
    code, text = env.run("plan", "--env", "sandbox")
    assert code == 0, text
    assert "~ update    Event Invitation" in text
    assert "compatible: token 'eventDate' removed: callers may stop sending it" in text
    assert "breaking" not in text
    code, text = env.run("publish", "--env", "sandbox")
    assert code == 0, text
    assert "1 updated" in text
    assert "eventDate" not in _invitation(env)["msgParamsMap"]  # type: ignore[operator]


def test_the_sandbox_answers_a_send_that_breaks_the_contract_with_the_check_params_errors(
    env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert env.run("publish", "--env", "sandbox")[0] == 0
    invite = _invitation(env)
    params = {
        "recipient": {"type": "User", "value": "Message.userId"},
        "eventName": {"type": "MagicLink", "value": {"baseURL": "https://x.example"}},
        "joinLink": {"type": "MagicLink", "value": {"baseURL": "https://events.example.com/join"}},
    }
    body = {
        "receiverType": "user",
        "userIds": ["jane@example.com"],
        "appGuid": GUID,
        "templateId": invite["id"],
        "type": "email",
        "msgParams": params,
    }
    with env.client() as client, pytest.raises(ApiError) as failure:
        client.send_message(body)
    assert failure.value.status == 400
    expected = [str(e) for e in check_request(params_schema(invite["msgParamsMap"]), body, envelope=False)]
    assert expected == [
        "/msgParams/eventDate: missing token 'eventDate' (the template declares a String token)",
        "/msgParams/eventName/type: 'MagicLink' but the template declares 'String'",
    ]
    assert "; ".join(expected) in failure.value.message
    # check-params says the same of the same request.
    fixture = tmp_path / "send.json"
    fixture.write_text(json.dumps(body), encoding="utf-8")
    code, text = env.run("check-params", "event-invitation", str(fixture))
    assert code == 1
    assert [line.split(": ", 1)[1] for line in text.splitlines()[:2]] == expected
    params["eventName"] = {"type": "String", "value": "Expo"}
    params["eventDate"] = {"type": "String", "value": "May 1"}
    with env.client() as client:
        assert client.send_message(body)["status"] == "sending"
