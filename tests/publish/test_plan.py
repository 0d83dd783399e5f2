"""Planning: matching by name, normalising stored fields, diffs, drift, conflicts and prune."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmsg_authoring.model import MANAGED_TAG
from kmsg_authoring.publish.actions import ADD, CONFLICT, DRIFT, PRUNE, UNCHANGED, UPDATE, LocalTemplate, Plan
from kmsg_authoring.publish.plan import compute_plan
from kmsg_authoring.publish.format import format_plan
from kmsg_authoring.publish.remote import normalize, parse_record, record_tag, tags_for

GUID = "app-1"
BODY = "<html>\n<body>\n<p>Hi {recipient.firstName}</p>\n</body>\n</html>"


def local(name: str = "Invite", **fields: Any) -> LocalTemplate:
    payload = {
        "name": name,
        "subject": "Hello {recipient.firstName}",
        "body": BODY,
        "toAttributePath": "{recipient.email}",
        "msgParamsMap": {"recipient": {"type": "User"}},
        "status": "enabled",
        **fields,
    }
    return LocalTemplate(name.lower(), f"templates_src/{name.lower()}", payload)


def published(template: LocalTemplate, **server: Any) -> dict[str, Any]:
    """What the server holds after the toolkit added template: its add request plus read-only fields."""
    plan = compute_plan([template], [], environment="e", app_guid=GUID)
    return {
        **plan.actions[0].send,
        "id": f"id-{template.name}",
        "partnerId": 1,
        "version": 1,
        "templateType": "email",
        "createdAt": "2026-04-09T04:56:27.940Z",
        **server,
    }


def plan_for(locals_: list[LocalTemplate], remotes: list[dict[str, Any]], **kw: Any) -> Plan:
    return compute_plan(locals_, remotes, environment="staging", app_guid=GUID, **kw)


def test_new_template_is_added_with_the_managed_tag_and_a_publish_record() -> None:
    plan = plan_for([local()], [])
    (action,) = plan.actions
    assert action.kind == ADD
    assert action.send["appGuid"] == GUID and action.send["body"] == BODY
    tags = action.send["adminTags"].split(",")
    assert MANAGED_TAG in tags
    assert parse_record(action.send["adminTags"]) is not None
    assert not plan.nothing_to_publish


def test_published_template_is_unchanged_despite_read_only_fields() -> None:
    template = local(description=None)
    plan = plan_for([template], [published(template, emailProviderId="p", numberOfTokenUsed=2)])
    assert [a.kind for a in plan.actions] == [UNCHANGED]
    assert plan.nothing_to_publish
    assert format_plan(plan).endswith("nothing to publish (1 unchanged)")


@pytest.mark.parametrize(
    ("local_fields", "remote_fields"),
    [
        ({}, {"status": None}),  # the default status
        ({"description": ""}, {}),  # empty and absent
        ({"unsubscribeGroups": []}, {"unsubscribeGroups": None}),
        ({"adminTags": "b, a"}, {}),  # tag order and spacing
        ({"customHeaders": {}}, {"customHeaders": None}),
    ],
    ids=["default-status", "empty-description", "empty-groups", "tag-order", "empty-headers"],
)
def test_normalisation_treats_equivalent_values_as_equal(
    local_fields: dict[str, Any], remote_fields: dict[str, Any]
) -> None:
    template = local(**local_fields)
    remote = published(local(adminTags="a,b") if "adminTags" in local_fields else template)
    remote.update(remote_fields)
    assert normalize(remote) == normalize(template.payload)


def test_edited_body_is_one_update_with_only_changed_fields_and_a_unified_diff() -> None:
    before = local()
    after = local(body=BODY.replace("Hi", "Hello"))
    plan = plan_for([after], [published(before)])
    (action,) = plan.actions
    assert action.kind == UPDATE
    assert [c.field for c in action.changes] == ["body"]
    assert set(action.send) == {"body", "adminTags"}
    assert action.send["body"] == after.payload["body"]
    text = format_plan(plan)
    assert "-<p>Hi {recipient.firstName}</p>" in text
    assert "+<p>Hello {recipient.firstName}</p>" in text
    assert "@@" in text
    assert "0 to add, 1 to update, 0 unchanged" in text


def test_field_change_shows_both_values() -> None:
    plan = plan_for([local(subject="New subject")], [published(local())])
    text = format_plan(plan)
    assert "subject:" in text and "- Hello {recipient.firstName}" in text and "+ New subject" in text


def test_remote_edit_after_publish_is_drift_naming_the_fields() -> None:
    template = local()
    remote = published(template, subject="Edited in the web UI", fromName="Ops")
    plan = plan_for([local(body="<p>changed</p>")], [remote])
    (action,) = plan.actions
    assert action.kind == DRIFT
    assert action.drift == ["subject", "fromName"]
    assert "subject, fromName" in action.reason and "--force" in action.reason
    assert plan.blocked == [action] and not plan.todo


def test_drift_with_force_overwrites() -> None:
    template = local()
    remote = published(template, subject="Edited in the web UI")
    plan = plan_for([template], [remote], force=True)
    (action,) = plan.actions
    assert action.kind == UPDATE and action.send["subject"] == template.payload["subject"]
    assert "subject" in action.reason


def test_remote_edit_without_local_change_is_still_drift() -> None:
    template = local()
    plan = plan_for([template], [published(template, body="<p>edited elsewhere</p>")])
    assert plan.actions[0].kind == DRIFT


def test_remote_edited_to_match_the_project_refreshes_the_record() -> None:
    old, new = local(), local(subject="Same everywhere")
    remote = published(old, subject="Same everywhere")  # edited in the UI to what the project now says
    (action,) = plan_for([new], [remote]).actions
    assert action.kind == UPDATE and set(action.send) == {"adminTags"}
    assert record_tag(normalize(new.payload)) in action.send["adminTags"]


def test_update_record_describes_the_remote_after_the_update() -> None:
    before, after = local(), local(subject="New")
    (action,) = plan_for([after], [published(before)]).actions
    assert parse_record(action.send["adminTags"]) == parse_record(tags_for(normalize(after.payload)))


def test_unmanaged_same_name_is_left_alone_unless_forced() -> None:
    stranger = {**local().payload, "id": "x1", "appGuid": GUID, "subject": "Theirs"}
    plan = plan_for([local()], [stranger])
    assert plan.actions[0].kind == CONFLICT and "not managed" in plan.actions[0].reason
    forced = plan_for([local()], [stranger], force=True)
    assert forced.actions[0].kind == UPDATE
    assert MANAGED_TAG in forced.actions[0].send["adminTags"].split(",")


def test_unmanaged_identical_template_is_unchanged() -> None:
    stranger = {**local().payload, "id": "x1", "appGuid": GUID}
    assert plan_for([local()], [stranger]).actions[0].kind == UNCHANGED


def test_to_attribute_path_cannot_be_updated() -> None:
    plan = plan_for([local(toAttributePath="{other.email}")], [published(local())])
    assert plan.actions[0].kind == CONFLICT and "toAttributePath" in plan.actions[0].reason


def test_prune_lists_only_managed_live_templates_missing_locally() -> None:
    gone = published(local("Gone"))
    deleted = {**published(local("Deleted")), "status": "deleted"}
    stranger = {**local("Stranger").payload, "id": "s", "appGuid": GUID}
    other_app = {**published(local("Elsewhere")), "appGuid": "another-app"}
    plan = plan_for([], [gone, deleted, stranger, other_app])
    assert [(a.kind, a.name) for a in plan.actions] == [(PRUNE, "Gone")]
    assert plan.todo == [] and plan.nothing_to_publish
    assert "1 not in the project (kept without --prune)" not in format_plan(plan)  # nothing to publish
    pruning = plan_for([], [gone, deleted, stranger], prune=True)
    assert [a.name for a in pruning.todo] == ["Gone"] and not pruning.nothing_to_publish


def test_two_managed_copies_of_a_name_use_the_first_created_and_list_the_other() -> None:
    # Left by two publishes at once: every later run uses the copy created first, the same one.
    later = published(local(), id="zz-later", createdAt="2026-04-09T04:56:28.000Z")
    first = published(local(), id="zz-first", createdAt="2026-04-09T04:56:27.000Z")
    plan = plan_for([local()], [later, first])
    used, duplicate = plan.actions
    assert (used.kind, used.remote_id) == (UNCHANGED, "zz-first")
    assert (duplicate.kind, duplicate.remote_id) == (PRUNE, "zz-later")
    assert "duplicate of id zz-first" in duplicate.reason and "--prune" in duplicate.reason
    assert plan.nothing_to_publish
    assert [a.remote_id for a in plan_for([local()], [later, first], prune=True).todo] == ["zz-later"]


def test_a_managed_and_an_unmanaged_template_with_the_name_are_a_conflict() -> None:
    a = published(local())
    b = {**published(local()), "id": "other", "adminTags": "theirs"}
    (action,) = plan_for([local()], [a, b]).actions
    assert action.kind == CONFLICT and "2 remote templates" in action.reason


def test_json_plan_is_stable() -> None:
    plan = plan_for([local("B", subject="x"), local("A")], [published(local("B"))])
    data = plan.to_json()
    assert list(data) == ["environment", "appGuid", "prune", "force", "nothingToPublish", "summary", "templates"]
    assert [t["name"] for t in data["templates"]] == ["A", "B"]
    assert list(data["templates"][0]) == ["name", "action", "slug", "id", "changes", "drift", "reason", "contract"]
    assert data["summary"] == {"add": 1, "update": 1, "unchanged": 0, "drift": 0, "conflict": 0, "prune": 0}
    assert json.loads(json.dumps(data)) == data


texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)


@given(
    subject=texts,
    body=texts,
    description=st.one_of(st.none(), texts),
    groups=st.lists(texts.filter(bool), max_size=3),
    tags=st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), max_size=3),
    status=st.sampled_from([None, "enabled", "disabled"]),
)
def test_what_is_published_plans_unchanged(
    subject: str, body: str, description: str | None, groups: list[str], tags: list[str], status: str | None
) -> None:
    template = local(
        subject=subject,
        body=body,
        description=description,
        unsubscribeGroups=groups,
        adminTags=",".join(tags),
        status=status,
    )
    assert plan_for([template], [published(template)]).actions[0].kind == UNCHANGED


def test_an_app_guid_in_template_yaml_that_differs_from_the_environment_is_a_conflict() -> None:
    plan = plan_for([local("A", appGuid="another-app"), local("B", appGuid=GUID)], [])
    kinds = {a.name: a.kind for a in plan.actions}
    assert kinds == {"A": CONFLICT, "B": ADD}
    assert "another-app" in next(a.reason for a in plan.actions if a.name == "A")
