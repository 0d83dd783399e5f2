"""Applying a plan: only the needed requests, no duplicates after ambiguous failures, convergence."""

from __future__ import annotations

from typing import Any

from kmsg_authoring.model import MANAGED_TAG
from kmsg_authoring.publish.apply import DONE, FAILED, SKIPPED, SUPERSEDED, PublishResult, apply_plan
from kmsg_authoring.publish.format import format_result
from kmsg_authoring.publish.actions import LocalTemplate
from kmsg_authoring.publish.plan import make_plan
from tests.publish.fake_api import FakeApi

GUID = "app-1"


def local(name: str, body: str = "<p>Hi {recipient.firstName}</p>") -> LocalTemplate:
    payload = {
        "name": name,
        "subject": f"{name} for {{recipient.firstName}}",
        "body": body,
        "toAttributePath": "{recipient.email}",
        "msgParamsMap": {"recipient": {"type": "User"}},
    }
    return LocalTemplate(name.lower(), f"templates_src/{name.lower()}", payload)


def publish(api: FakeApi, templates: list[LocalTemplate], **kw: Any) -> PublishResult:
    client = api.client()
    plan = make_plan(
        client, templates, environment="test", app_guid=GUID, prune=kw.pop("prune", False), force=kw.pop("force", False)
    )
    return apply_plan(client, plan, **kw)


def test_first_run_adds_then_second_sends_only_a_list() -> None:
    api = FakeApi()
    templates = [local(f"T{i}") for i in range(5)]
    result = publish(api, templates, concurrency=3)
    assert result.ok and len(result.where(DONE)) == 5
    assert sorted(t["name"] for t in api.live()) == [f"T{i}" for i in range(5)]
    api.calls.clear()
    again = publish(api, templates)
    assert api.calls == ["email-template/list"]
    assert again.plan.nothing_to_publish
    assert format_result(again) == "nothing to publish to test (5 unchanged)"


def test_update_sends_only_changed_fields() -> None:
    api = FakeApi()
    publish(api, [local("A"), local("B")])
    api.calls.clear()
    result = publish(api, [local("A", body="<p>new</p>"), local("B")])
    assert api.writes() == ["email-template/update"]
    (outcome,) = result.where(DONE)
    assert outcome.message == "updated body"
    stored = next(t for t in api.live() if t["name"] == "A")
    assert stored["body"] == "<p>new</p>" and stored["version"] == 2


def test_add_dropped_after_the_write_is_looked_up_not_repeated() -> None:
    api = FakeApi()
    api.faults = {2: "drop-after-write"}  # call 1 is the list, call 2 the add
    result = publish(api, [local("A")])
    assert result.ok
    assert len(api.live()) == 1
    # The lookup finds it; the run did not create it itself, so no convergence list follows.
    assert api.calls == ["email-template/list", "email-template/add", "email-template/list"]


def test_add_dropped_before_the_write_is_retried_once_the_name_is_not_found() -> None:
    api = FakeApi()
    api.faults = {2: "drop", 3: "500"}  # the add is lost; the lookup fails once and is retried
    result = publish(api, [local("A")])
    assert result.ok and len(api.live()) == 1
    assert api.calls == [
        "email-template/list",
        "email-template/add",
        "email-template/list",
        "email-template/list",
        "email-template/add",
        "email-template/list",  # the last: the names listed again after adding
    ]


def test_add_5xx_is_ambiguous_and_looked_up() -> None:
    api = FakeApi()
    api.faults = {2: "500"}
    assert publish(api, [local("A")]).ok
    assert api.writes() == ["email-template/add", "email-template/add"]
    assert len(api.live()) == 1


def test_a_400_fails_that_template_only_and_is_named() -> None:
    api = FakeApi()
    api.faults = {2: "400"}
    result = publish(api, [local("A")], concurrency=1)
    assert not result.ok
    (failed,) = result.where(FAILED)
    assert "HTTP 400: injected validation error" in failed.message
    assert api.writes() == ["email-template/add"]  # not retried
    text = format_result(result)
    assert "1 failed:" in text and "A: email-template/add: HTTP 400" in text and "left untouched: A" in text


def test_partial_failure_converges_on_the_next_run() -> None:
    api = FakeApi()
    templates = [local(f"T{i}") for i in range(4)]
    api.faults = {3: "400"}
    first = publish(api, templates, concurrency=1)
    assert len(first.where(FAILED)) == 1 and len(api.live()) == 3
    second = publish(api, templates)
    assert second.ok and len(second.where(DONE)) == 1
    assert len(api.live()) == 4
    api.calls.clear()
    assert publish(api, templates).plan.nothing_to_publish and api.calls == ["email-template/list"]


def test_drift_is_refused_and_reported_as_untouched() -> None:
    api = FakeApi()
    publish(api, [local("A"), local("B")])
    target = next(t for t in api.live() if t["name"] == "A")
    target["subject"] = "edited in the web UI"
    api.calls.clear()
    result = publish(api, [local("A", body="<p>x</p>"), local("B", body="<p>y</p>")])
    assert not result.ok
    assert [o.action.name for o in result.where(SKIPPED)] == ["A"]
    assert api.writes() == ["email-template/update"]  # B only
    assert target["subject"] == "edited in the web UI"
    text = format_result(result)
    assert "left untouched: A" in text and "drift" in text and "subject" in text


def test_prune_deletes_only_managed_templates() -> None:
    api = FakeApi()
    publish(api, [local("Keep"), local("Gone")])
    client = api.client()
    client.add_template({**local("Stranger").payload, "appGuid": GUID})
    kept = publish(api, [local("Keep")])
    assert kept.ok and {t["name"] for t in api.live()} == {"Keep", "Gone", "Stranger"}
    assert kept.plan.nothing_to_publish
    assert "not in the project, kept (use --prune to delete): Gone" in format_result(kept)
    pruned = publish(api, [local("Keep")], prune=True)
    assert pruned.ok and {t["name"] for t in api.live()} == {"Keep", "Stranger"}


def test_delete_retried_after_a_dropped_answer_accepts_the_template_gone() -> None:
    api = FakeApi()
    publish(api, [local("Gone")])
    api.calls.clear()

    # The delete is applied but its answer dropped; the retry is refused (already deleted): a get confirms.
    api.faults = {2: "drop-after-write", 3: "400"}
    result = publish(api, [], prune=True)
    assert result.ok, format_result(result)
    assert api.calls == ["email-template/list", "email-template/delete", "email-template/delete", "email-template/get"]
    assert api.live() == []


def test_adopting_a_stranger_with_force_marks_it_managed() -> None:
    api = FakeApi()
    api.client().add_template({**local("A").payload, "appGuid": GUID, "subject": "theirs"})
    assert not publish(api, [local("A")]).ok
    assert publish(api, [local("A")], force=True).ok
    (stored,) = api.live()
    assert MANAGED_TAG in stored["adminTags"].split(",") and stored["subject"] == "A for {recipient.firstName}"


def test_two_runs_planned_at_once_converge_on_the_copy_created_first() -> None:
    # Issue 9, item 2: both runs list before either adds, so both add every template.
    api = FakeApi()
    templates = [local(f"T{i}") for i in range(4)]
    first_client, second_client = api.client(), api.client()
    first_plan = make_plan(first_client, templates, environment="test", app_guid=GUID)
    second_plan = make_plan(second_client, templates, environment="test", app_guid=GUID)
    first = apply_plan(first_client, first_plan)
    second = apply_plan(second_client, second_plan)
    names = sorted(t["name"] for t in api.live())
    assert names == [f"T{i}" for i in range(4)]  # one copy each
    assert first.ok and len(first.where(DONE, "add")) == 4
    # The second run deleted only its own copies, and says so: exit 0, nothing added by it.
    assert second.ok and [o.status for o in second.outcomes] == [SUPERSEDED] * 4
    kept = {t["name"]: t["id"] for t in api.live()}
    for o in second.outcomes:
        assert f"id {kept[o.action.name]}, kept" in o.message
    assert second.to_json()["summary"]["added"] == 0 and second.to_json()["summary"]["addedElsewhere"] == 4
    assert "4 added by another publish at the same time" in format_result(second)
    api.calls.clear()
    assert publish(api, templates).plan.nothing_to_publish  # no conflict left behind


def test_a_run_whose_copy_lost_to_other_content_fails_and_says_why() -> None:
    api = FakeApi()
    mine, theirs = api.client(), api.client()
    plan_mine = make_plan(mine, [local("A")], environment="test", app_guid=GUID)
    plan_theirs = make_plan(theirs, [local("A", body="<p>other version</p>")], environment="test", app_guid=GUID)
    assert apply_plan(theirs, plan_theirs).ok
    result = apply_plan(mine, plan_mine)
    (outcome,) = result.outcomes
    assert not result.ok and outcome.status == FAILED
    assert "with other content" in outcome.message and "publish again" in outcome.message
    (stored,) = api.live()
    assert stored["body"] == "<p>other version</p>"  # the first copy stays; this run's was deleted
    again = publish(api, [local("A")])
    assert again.ok and [o.action.kind for o in again.outcomes] == ["update"]


def test_a_later_run_uses_the_first_copy_and_deletes_others_only_with_prune() -> None:
    api = FakeApi()
    client = api.client()
    plan = make_plan(client, [local("A")], environment="test", app_guid=GUID)
    assert apply_plan(client, plan).ok
    # Another publish's later copy appears: this run's copy was first, so it keeps it and touches nothing.
    api.client().add_template(plan.actions[0].send)
    api.calls.clear()
    assert publish(api, [local("A")]).ok
    assert api.writes() == [] and len(api.live()) == 2
    pruned = publish(api, [local("A")], prune=True)
    assert pruned.ok and len(api.live()) == 1 and api.live()[0]["id"] == "t1"
