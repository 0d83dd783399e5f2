"""pull: remote templates into template folders, refusing to overwrite, and the plan round trip."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from kmsg_authoring.source.config import load_config
from kmsg_authoring.publish.apply import apply_plan
from kmsg_authoring.publish.actions import UNCHANGED
from kmsg_authoring.publish.plan import local_templates, make_plan
from kmsg_authoring.publish.pull import PullRefused, pull, slugify, template_yaml
from tests.publish.fake_api import FakeApi

GUID = "app-1"
FRAGMENT = (
    "<p>Hi {recipient.firstName},</p>\r\n<p><a href='{joinLink}'>Join</a></p>\r\n"
    "<p><a href='{unsubLink}'>Unsubscribe</a></p>"
)
ELSEWHERE = {
    "appGuid": GUID,
    "name": "Made Elsewhere",
    "subject": "You're invited to {eventName}",
    "body": FRAGMENT,
    "toAttributePath": "{recipient.email}",
    "msgParamsMap": {
        "recipient": {"type": "User"},
        "eventName": {"type": "String"},
        "joinLink": {"type": "MagicLink"},
        "unsubLink": {"type": "UnsubscribeUri"},
    },
    "unsubscribeGroups": ["event-invitations"],
    "adminTags": "events",
}


def test_slugify() -> None:
    assert slugify("Event Invitation (Q4)") == "event-invitation-q4"
    assert slugify("!!!") == "template"


def test_template_yaml_has_api_fields_plain_body_setting_and_no_toolkit_tags() -> None:
    remote = {**ELSEWHERE, "id": "x", "version": 3, "status": "enabled", "adminTags": "events,kmsg-author"}
    data = yaml.safe_load(template_yaml(remote))
    assert data == {
        "name": "Made Elsewhere",
        "subject": "You're invited to {eventName}",
        "toAttributePath": "{recipient.email}",
        "msgParamsMap": ELSEWHERE["msgParamsMap"],
        "unsubscribeGroups": ["event-invitations"],
        "adminTags": "events",
        "kmsg": {"jinja": False, "inline_css": False},
    }


def test_pull_writes_the_body_byte_for_byte_and_plan_says_unchanged(tmp_path: Path) -> None:
    api = FakeApi()
    api.client().add_template(ELSEWHERE)
    config = load_config(tmp_path)
    result = pull(api.client(), config, app_guid=GUID)
    assert result.written == [("made-elsewhere", "Made Elsewhere")]
    assert (tmp_path / "templates_src/made-elsewhere/body.html").read_bytes() == FRAGMENT.encode()
    plan = make_plan(api.client(), local_templates(config), environment="t", app_guid=GUID)
    assert [a.kind for a in plan.actions] == [UNCHANGED]


def test_pull_refuses_existing_folders_and_writes_nothing(tmp_path: Path) -> None:
    api = FakeApi()
    api.client().add_template(ELSEWHERE)
    api.client().add_template({**ELSEWHERE, "name": "Second"})
    (tmp_path / "templates_src/made-elsewhere").mkdir(parents=True)
    (tmp_path / "templates_src/made-elsewhere/notes.txt").write_text("mine")
    config = load_config(tmp_path)
    with pytest.raises(PullRefused) as info:
        pull(api.client(), config, app_guid=GUID)
    assert "templates_src/made-elsewhere already exists" in str(info.value) and "--force" in str(info.value)
    assert not (tmp_path / "templates_src/second").exists()
    pull(api.client(), config, app_guid=GUID, force=True)
    assert (tmp_path / "templates_src/made-elsewhere/notes.txt").read_text() == "mine"
    assert (tmp_path / "templates_src/made-elsewhere/body.html").is_file()


def test_pull_by_name(tmp_path: Path) -> None:
    api = FakeApi()
    api.client().add_template(ELSEWHERE)
    api.client().add_template({**ELSEWHERE, "name": "Second"})
    config = load_config(tmp_path)
    assert pull(api.client(), config, app_guid=GUID, names=["Second"]).written == [("second", "Second")]
    with pytest.raises(Exception, match="no template named 'Nope'"):
        pull(api.client(), config, app_guid=GUID, names=["Nope"])


def test_published_examples_pulled_into_an_empty_project_plan_unchanged(example_project: Path, tmp_path: Path) -> None:
    api = FakeApi()
    config = load_config(example_project)
    client = api.client()
    apply_plan(client, make_plan(client, local_templates(config), environment="t", app_guid=GUID))
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(example_project / "kmsg.toml", empty / "kmsg.toml")
    fresh = load_config(empty)
    result = pull(client, fresh, app_guid=GUID)
    # A translation stays with its group: the default locale's template is what is pulled.
    assert result.translations == ["Attendance Confirmation [fr]", "Attendance Confirmation [he]"]
    assert len(result.written) == len(api.live()) - 2 == 4
    plan = make_plan(client, local_templates(fresh), environment="t", app_guid=GUID)
    assert {a.kind for a in plan.actions if a.name not in result.translations} == {UNCHANGED}
    assert plan.nothing_to_publish


def test_a_body_linking_a_remote_stylesheet_keeps_the_link() -> None:
    remote = {**ELSEWHERE, "body": '<link rel="stylesheet" href="https://cdn.example.com/a.css"><p>x</p>'}
    assert yaml.safe_load(template_yaml(remote))["kmsg"] == {
        "jinja": False,
        "inline_css": False,
        "remote_stylesheets": "keep",
    }
