"""The publisher against the local sandbox over real HTTP on 127.0.0.1, the way a user runs it."""

from __future__ import annotations

import logging
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kmsg_authoring.api import MessagingClient
from kmsg_authoring.cli import main
from kmsg_authoring.source.config import load_config
from kmsg_authoring.errors import ApiError
from kmsg_authoring.model import MANAGED_TAG

sandbox = pytest.importorskip("kmsg_authoring.sandbox", reason="the sandbox package is not available")

GUID = "example-app-guid"
PARTNER = 4242
WRITES = ("email-template/add", "email-template/update", "email-template/delete")
# The example attendance confirmation is published once per locale of kmsg.toml's [i18n].
TRANSLATIONS = ["Attendance Confirmation [fr]", "Attendance Confirmation [he]"]


class Env:
    """A project wired to a running sandbox, with the KS in the environment."""

    def __init__(self, root: Path, sb: Any, ks: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.sb, self.ks, self.capsys = root, sb, ks, capsys
        self.seen: list[str] = []

    def run(self, *argv: str) -> tuple[int, str]:
        """Run kmsg-author with --verbose where it applies; returns exit code and stdout+stderr."""
        self.capsys.readouterr()
        code = main(["-C", str(self.root), *argv])
        captured = self.capsys.readouterr()
        text = captured.out + captured.err
        self.seen.append(text)
        return code, text

    def client(self, **kw: Any) -> MessagingClient:
        return MessagingClient(self.sb.url, self.ks, sleep=lambda s: None, **kw)

    def live(self) -> list[dict[str, Any]]:
        with self.client() as c:
            return [t for t in c.list_templates(appGuidIn=[GUID]) if t.get("status") != "deleted"]

    def requests(self) -> list[str]:
        return list(self.sb.request_log)

    def clear(self) -> None:
        self.sb.request_log.clear()


@pytest.fixture
def env(
    example_project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> Iterator[Env]:
    caplog.set_level(logging.DEBUG)
    ks = sandbox.make_ks(PARTNER)
    monkeypatch.setenv("KALTURA_KS", ks)
    monkeypatch.setattr("kmsg_authoring.publish.sendtest.SLEEP", lambda s: None)
    with sandbox.start_sandbox(tmp_path / "sandbox.sqlite") as sb:
        toml = (example_project / "kmsg.toml").read_text(encoding="utf-8")
        toml = re.sub(r'url = "[^"]*"', f'url = "{sb.url}"', toml)
        (example_project / "kmsg.toml").write_text(toml, encoding="utf-8")
        e = Env(example_project, sb, ks, capsys)
        yield e
    # The KS appears in nothing the tests captured: output, errors, logs.
    leftovers = capsys.readouterr()
    for text in [*e.seen, leftovers.out, leftovers.err, caplog.text]:
        assert ks not in text


def test_first_publish_adds_every_example_then_nothing_to_publish(env: Env) -> None:
    code, text = env.run("publish", "--env", "sandbox")
    assert code == 0, text
    assert "published to sandbox: 6 added, 0 updated, 0 deleted, 0 unchanged" in text
    names = sorted(t["name"] for t in env.live())
    assert names == ["Attendance Confirmation", *TRANSLATIONS, "Event Follow-up", "Event Invitation", "Event Reminder"]
    assert all(MANAGED_TAG in t["adminTags"].split(",") for t in env.live())
    env.clear()
    code, text = env.run("publish", "--env", "sandbox", "--verbose")
    assert code == 0
    assert "nothing to publish" in text
    assert env.requests() and set(env.requests()) == {"email-template/list"}
    assert "Bearer <hidden>" in text


def test_edited_body_gives_exactly_one_update_with_the_diff(env: Env) -> None:
    assert env.run("publish", "--env", "sandbox")[0] == 0
    body = env.root / "templates_src/reminder/body.html"
    source = body.read_text(encoding="utf-8")
    edited = source.replace("</p>", " See you there!</p>", 1)
    assert edited != source
    body.write_text(edited, encoding="utf-8")
    env.clear()
    code, text = env.run("plan", "--env", "sandbox")
    assert code == 0 and "~ update    Event Reminder" in text and "body:" in text
    assert "+" in text and "See you there!" in text and "@@" in text
    assert not any(r in WRITES for r in env.requests())
    env.clear()
    code, text = env.run("publish", "--env", "sandbox")
    assert code == 0, text
    assert [r for r in env.requests() if r in WRITES] == ["email-template/update"]
    assert "1 updated" in text and "See you there!" in text  # publish shows the diff it applies
    reminder = next(t for t in env.live() if t["name"] == "Event Reminder")
    assert "See you there!" in reminder["body"] and reminder["version"] == 2


def test_template_edited_through_the_api_is_drift_left_alone_without_force(env: Env) -> None:
    assert env.run("publish", "--env", "sandbox")[0] == 0
    invite = next(t for t in env.live() if t["name"] == "Event Invitation")
    with env.client() as c:
        c.update_template(invite["id"], {"subject": "Edited in the web UI"})
    body = env.root / "templates_src/event-invitation/body.html"
    body.write_text(body.read_text(encoding="utf-8") + "\n<!-- local change -->\n", encoding="utf-8")
    env.clear()
    code, text = env.run("publish", "--env", "sandbox")
    assert code == 1
    assert "drift" in text and "subject" in text and "left untouched: Event Invitation" in text
    assert not any(r in WRITES for r in env.requests())
    assert next(t for t in env.live() if t["name"] == "Event Invitation")["subject"] == "Edited in the web UI"
    code, text = env.run("plan", "--env", "sandbox", "--format", "json")
    assert code == 1 and '"action": "drift"' in text  # CI can gate on a plan that publish would refuse
    code, text = env.run("publish", "--env", "sandbox", "--force")
    assert code == 0, text
    assert next(t for t in env.live() if t["name"] == "Event Invitation")["subject"] != "Edited in the web UI"
    assert "nothing to publish" in env.run("plan", "--env", "sandbox")[1]


def test_prune_deletes_only_managed_templates(env: Env) -> None:
    assert env.run("publish", "--env", "sandbox")[0] == 0
    with env.client() as c:
        c.add_template(
            {
                "appGuid": GUID,
                "name": "Hand Made",
                "subject": "Hi",
                "body": "<p>Hi</p>",
                "toAttributePath": "{recipient.email}",
                "msgParamsMap": {"recipient": {"type": "User"}},
            }
        )
    shutil.rmtree(env.root / "templates_src/follow-up")
    code, text = env.run("publish", "--env", "sandbox")
    assert code == 0 and "kept (use --prune to delete): Event Follow-up" in text
    assert len(env.live()) == 5 + len(TRANSLATIONS)
    env.clear()
    code, text = env.run("publish", "--env", "sandbox", "--prune")
    assert code == 0, text
    assert [r for r in env.requests() if r in WRITES] == ["email-template/delete"]
    assert sorted(t["name"] for t in env.live()) == [
        "Attendance Confirmation",
        *TRANSLATIONS,
        "Event Invitation",
        "Event Reminder",
        "Hand Made",
    ]


def test_pull_into_an_empty_folder_then_plan_shows_everything_unchanged(env: Env, tmp_path: Path) -> None:
    assert env.run("publish", "--env", "sandbox")[0] == 0
    empty = tmp_path / "adopting"
    empty.mkdir()
    shutil.copy(env.root / "kmsg.toml", empty / "kmsg.toml")
    env.root, original = empty, env.root
    code, text = env.run("pull", "--env", "sandbox")
    assert code == 0 and "4 template(s) pulled from sandbox" in text
    for folder in (empty / "templates_src").iterdir():
        meta = (folder / "template.yaml").read_text(encoding="utf-8")
        assert "jinja: false" in meta
        remote = next(t for t in env.live() if t["name"] in meta)
        assert (folder / "body.html").read_bytes() == remote["body"].encode("utf-8")
    env.clear()
    code, text = env.run("plan", "--env", "sandbox")
    assert code == 0 and "nothing to publish (4 unchanged)" in text, text
    assert set(env.requests()) == {"email-template/list"}
    code, text = env.run("pull", "--env", "sandbox")
    assert code == 1 and "is already in templates_src/event-reminder" in text and "--force" in text
    assert env.run("pull", "--env", "sandbox", "--force", "--name", "Event Reminder")[0] == 0
    code, text = env.run("pull", "--env", "sandbox", "--name", "Nope")
    assert code == 2 and "no template named 'Nope'" in text
    env.root = original


def test_send_test_sends_the_published_template_and_reports_delivery(env: Env) -> None:
    assert env.run("publish", "--env", "sandbox")[0] == 0
    code, text = env.run("send-test", "event-invitation", "--env", "sandbox", "--to", "qa@example.com")
    assert code == 0, text
    assert "sent 'Event Invitation'" in text and "completed" in text and "DELIVERED 1" in text
    assert "message/send" in env.requests() and "message/stats" in env.requests()


def test_missing_ks_is_a_config_error(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KALTURA_KS")
    code, text = env.run("plan", "--env", "sandbox")
    assert code == 2 and "KALTURA_KS is not set" in text
    assert env.requests() == []


def test_lint_error_stops_before_any_request(env: Env) -> None:
    meta = env.root / "templates_src/reminder/template.yaml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace("recipient: {type: User}", "recipient: {type: Usr}"), encoding="utf-8"
    )
    code, text = env.run("publish", "--env", "sandbox")
    assert code == 1 and "nothing was sent" in text
    assert env.requests() == []


def test_a_400_is_not_retried(env: Env) -> None:
    with env.client() as c, pytest.raises(ApiError) as info:
        c.add_template({"appGuid": GUID, "name": "No body", "subject": "x"})
    assert info.value.status == 400 and "body" in info.value.message
    assert env.requests() == ["email-template/add"]


def test_fifty_templates_through_faults_end_as_exactly_fifty(env: Env, make_project: Any) -> None:
    from kmsg_authoring.publish import plan as pub
    from kmsg_authoring.publish.apply import apply_plan

    files = {"kmsg.toml": f'[environments.sandbox]\nurl = "{env.sb.url}"\napp_guid = "{GUID}"\n'}
    for i in range(50):
        files[f"templates_src/t{i:02d}/template.yaml"] = (
            f"name: Template {i:02d}\nsubject: Number {i} for {{recipient.firstName}}\n"
            'toAttributePath: "{recipient.email}"\nmsgParamsMap:\n  recipient: {type: User}\n'
        )
        files[f"templates_src/t{i:02d}/body.html"] = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>T</title></head>\n'
            f"<body><p>Hi {{recipient.firstName}}, number {i}</p></body></html>\n"
        )
    config = load_config(make_project(files))
    templates = pub.local_templates(config)
    env.sb.faults = sandbox.Faults(error_rate=0.3, drop_rate=0.1, drop_after_write=True, seed=7)
    runs = []
    with env.client(max_connections=4) as client:
        for _ in range(5):  # a run may leave a template whose every retry failed; the next converges
            plan = pub.make_plan(client, templates, environment="sandbox", app_guid=GUID)
            result = apply_plan(client, plan, concurrency=4)
            runs.append(result)
            if result.ok:
                break
    env.sb.faults = sandbox.Faults()
    assert runs[-1].ok
    live = env.live()
    names = Counter(t["name"] for t in live)
    assert len(live) == 50 and set(names.values()) == {1}
    faults_seen = Counter(env.requests())
    assert faults_seen["email-template/add"] > 50  # the faults did hit the adds


def test_dry_run_and_json_output_for_ci(env: Env) -> None:
    import json

    code, text = env.run("publish", "--env", "sandbox", "--dry-run", "--format", "json")
    assert code == 0
    plan = json.loads(text)
    assert plan["summary"]["add"] == 6 and plan["nothingToPublish"] is False
    assert not any(r in WRITES for r in env.requests())
    code, text = env.run("publish", "--env", "sandbox", "--format", "json")
    assert code == 0
    result = json.loads(text)
    assert list(result) == ["environment", "appGuid", "ok", "nothingToPublish", "summary", "templates"]
    assert result["ok"] is True and result["summary"]["added"] == 6
    assert {t["result"] for t in result["templates"]} == {"done"}
    assert "[#" not in text  # no progress bar without a terminal
    code, text = env.run("plan", "--env", "sandbox", "--format", "json", "--verbose")
    assert json.loads(text[: text.rindex("}") + 1])["nothingToPublish"] is True
    assert "requests: email-template/list 1" in text


def test_progress_bar_draws_only_when_enabled(capsys: pytest.CaptureFixture[str]) -> None:
    from kmsg_authoring.cli.publish import _Progress

    quiet = _Progress(2, enabled=False)
    quiet.step("a")
    quiet.close()
    assert capsys.readouterr().err == ""
    bar = _Progress(2, enabled=True)
    bar.step("first")
    assert "[###############...............] 1/2 first" in capsys.readouterr().err
    bar.step("second")
    bar.close()
    assert "2/2 second" in capsys.readouterr().err


def test_a_rejected_ks_is_reported_as_invalid_or_expired_and_stays_hidden(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = "not-a-real-ks-" + "x" * 20
    monkeypatch.setenv("KALTURA_KS", bad)
    code, text = env.run("plan", "--env", "sandbox", "--verbose")
    assert code == 1 and "invalid or expired KS" in text
    assert bad not in text and env.requests() == ["email-template/list"]  # a 401 is not retried


def _hand_made(env: Env, name: str = "Hand Made", body: str = "<p>Hi {recipient.firstName}</p>") -> str:
    """A template made in the web UI (not managed); returns its id."""
    with env.client() as c:
        return str(
            c.add_template(
                {
                    "appGuid": GUID,
                    "name": name,
                    "subject": "Hi",
                    "body": body,
                    "toAttributePath": "{recipient.email}",
                    "msgParamsMap": {"recipient": {"type": "User"}},
                }
            )["id"]
        )


def test_pulled_templates_are_adopted_then_edits_publish_as_updates_and_drift_is_protected(
    env: Env,
    tmp_path: Path,
) -> None:
    """pull marks what it pulls as managed: edit + publish is an update, not a conflict needing --force."""
    tid = _hand_made(env)
    project = tmp_path / "adopting"
    project.mkdir()
    shutil.copy(env.root / "kmsg.toml", project / "kmsg.toml")
    env.root = project
    code, text = env.run("pull", "--env", "sandbox", "--name", "Hand Made")
    assert code == 0 and "adopted 1 template(s)" in text, text
    remote = next(t for t in env.live() if t["id"] == tid)
    assert MANAGED_TAG in remote["adminTags"].split(",")
    code, text = env.run("plan", "--env", "sandbox")
    assert code == 0 and "nothing to publish (1 unchanged)" in text, text
    body = project / "templates_src/hand-made/body.html"
    body.write_text("<p>Hello {recipient.firstName}</p>", encoding="utf-8")
    env.clear()
    code, text = env.run("publish", "--env", "sandbox")
    assert code == 0 and "1 updated" in text, text
    assert [r for r in env.requests() if r in WRITES] == ["email-template/update"]
    with env.client() as c:
        c.update_template(tid, {"subject": "Edited in the web UI"})
    body.write_text("<p>Bye {recipient.firstName}</p>", encoding="utf-8")
    code, text = env.run("publish", "--env", "sandbox")
    assert code == 1 and "drift" in text and "subject" in text, text


def test_plan_exit_codes_gate_ci(env: Env) -> None:
    """plan: 1 on drift or conflict; --detailed-exitcode: 0 nothing to do, 2 changes, 1 errors."""
    assert env.run("plan", "--env", "sandbox", "--detailed-exitcode")[0] == 2  # four to add
    assert env.run("plan", "--env", "sandbox")[0] == 0
    assert env.run("publish", "--env", "sandbox")[0] == 0
    assert env.run("plan", "--env", "sandbox", "--detailed-exitcode")[0] == 0
    _hand_made(env, name="Event Reminder")  # a second, unmanaged template of the same name: a conflict
    code, text = env.run("plan", "--env", "sandbox")
    assert code == 1 and "conflict" in text
    assert env.run("plan", "--env", "sandbox", "--detailed-exitcode")[0] == 1
    code, text = env.run("plan", "--env", "nope", "--detailed-exitcode")
    assert code == 1 and "nope" in text  # a configuration error is an error, never "changes"


def test_publish_only_limits_what_is_published_and_what_force_overrides(env: Env) -> None:
    """--only by slug or name: the other templates are neither published nor forced."""
    code, text = env.run("publish", "--env", "sandbox", "--only", "reminder", "--only", "Event Follow-up")
    assert code == 0, text
    assert sorted(t["name"] for t in env.live()) == ["Event Follow-up", "Event Reminder"]
    assert env.run("publish", "--env", "sandbox")[0] == 0
    by_name = {t["name"]: t for t in env.live()}
    with env.client() as c:
        for name in ("Event Reminder", "Event Invitation"):
            c.update_template(by_name[name]["id"], {"subject": "Edited in the web UI"})
    for slug in ("reminder", "event-invitation"):
        body = env.root / f"templates_src/{slug}/body.html"
        body.write_text(body.read_text(encoding="utf-8") + "\n<!-- local change -->\n", encoding="utf-8")
    env.clear()
    code, text = env.run("publish", "--env", "sandbox", "--force", "--only", "Event Reminder")
    assert code == 0, text
    assert [r for r in env.requests() if r in WRITES] == ["email-template/update"]
    subjects = {t["name"]: t["subject"] for t in env.live()}
    assert subjects["Event Reminder"] != "Edited in the web UI"
    assert subjects["Event Invitation"] == "Edited in the web UI"  # --force did not reach it
    code, text = env.run("publish", "--env", "sandbox", "--only", "no-such")
    assert code == 2 and "no-such" in text


def test_publish_names_a_sample_error_with_its_code(env: Env) -> None:
    """publish lists what blocks it the way lint does: path:line:col: CODE message."""
    sample = env.root / "templates_src/reminder/samples/default.yaml"
    lines = sample.read_text(encoding="utf-8").splitlines(keepends=True)
    sample.write_text("".join(ln for ln in lines if not ln.lstrip().startswith("eventName:")), encoding="utf-8")
    env.clear()
    code, text = env.run("publish", "--env", "sandbox")
    assert code == 1 and not any(r in WRITES for r in env.requests())
    assert re.search(
        r"templates_src/reminder/samples/default\.yaml:\d+:\d+: KM002 no value for token 'eventName'", text
    ), text
