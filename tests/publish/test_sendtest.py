"""send-test: the published template, the sample's msgParams, a test session, polling with backoff."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmsg_authoring.source.config import load_config
from kmsg_authoring.errors import UsageError
from kmsg_authoring.model import POLL_INTERVALS
from kmsg_authoring.publish.apply import apply_plan
from kmsg_authoring.publish.format import format_delivery
from kmsg_authoring.publish.plan import local_templates, make_plan
from kmsg_authoring.publish.sendtest import SESSION_PREFIX, send_test
from tests.publish.fake_api import FakeApi

GUID = "app-1"


@pytest.fixture
def published(example_project: Path) -> tuple[FakeApi, Path]:
    api = FakeApi()
    client = api.client()
    config = load_config(example_project)
    apply_plan(client, make_plan(client, local_templates(config), environment="t", app_guid=GUID))
    return api, example_project


def test_sends_the_published_template_with_the_sample_and_polls_until_completed(
    published: tuple[FakeApi, Path],
) -> None:
    api, root = published
    api.complete_after = 4
    sleeps: list[float] = []
    delivery = send_test(
        api.client(),
        load_config(root),
        app_guid=GUID,
        slug="event-invitation",
        to=["qa@example.com", "lead@example.com"],
        sleep=sleeps.append,
    )
    (request,) = api.sent
    invite = next(t for t in api.live() if t["name"] == "Event Invitation")
    assert request["templateId"] == invite["id"] and request["appGuid"] == GUID
    assert request["userIds"] == ["qa@example.com", "lead@example.com"]
    assert request["receiverType"] == "user" and request["type"] == "email"
    assert request["msgParams"]["eventName"] == {"type": "String", "value": "Annual Conference 2026"}
    assert request["session"].startswith(f"{SESSION_PREFIX}-event-invitation-")
    assert sleeps == list(POLL_INTERVALS)  # a check at once, then after 5, 10 and 30 s
    assert delivery.status == "completed" and delivery.ok and delivery.stats == {"DELIVERED": 1}
    text = format_delivery(delivery)
    assert "bulk bulk_1: completed" in text and "DELIVERED 1" in text


def test_bounces_make_it_fail(published: tuple[FakeApi, Path]) -> None:
    api, root = published
    api.stats = {"DELIVERED": 1, "BOUNCE": 1}
    delivery = send_test(
        api.client(), load_config(root), app_guid=GUID, slug="reminder", to=["a@x.com"], sleep=lambda s: None
    )
    assert not delivery.ok


def test_gives_up_after_the_timeout(published: tuple[FakeApi, Path]) -> None:
    api, root = published
    api.complete_after = 100
    sleeps: list[float] = []
    delivery = send_test(
        api.client(), load_config(root), app_guid=GUID, slug="reminder", to=["a@x.com"], sleep=sleeps.append, timeout=20
    )
    assert delivery.timed_out and not delivery.ok and sleeps == [5.0, 10.0]
    assert delivery.polls == 3  # at once, after 5 s, after 15 s
    assert "still not finished after 15 s" in format_delivery(delivery)


def test_unpublished_template_and_unknown_sample_are_usage_errors(published: tuple[FakeApi, Path]) -> None:
    api, root = published
    config = load_config(root)
    with pytest.raises(UsageError, match="no sample 'nope'"):
        send_test(api.client(), config, app_guid=GUID, slug="event-invitation", to=["a"], sample="nope")
    with pytest.raises(UsageError, match="is not published"):
        send_test(api.client(), config, app_guid="another-app", slug="event-invitation", to=["a"])
    with pytest.raises(UsageError, match="no template 'missing'"):
        send_test(api.client(), config, app_guid=GUID, slug="missing", to=["a"])
    assert api.sent == []


def test_a_message_delivered_at_once_is_reported_without_waiting(published: tuple[FakeApi, Path]) -> None:
    """The first status check goes out right after the send; nothing sleeps when it is already final."""
    api, root = published
    api.complete_after = 1
    sleeps: list[float] = []
    waits: list[float] = []
    delivery = send_test(
        api.client(),
        load_config(root),
        app_guid=GUID,
        slug="reminder",
        to=["a@x.com"],
        sleep=sleeps.append,
        on_wait=waits.append,
    )
    assert delivery.ok and delivery.polls == 1 and sleeps == [] and waits == []
    api.complete_after = 2
    delivery = send_test(
        api.client(),
        load_config(root),
        app_guid=GUID,
        slug="reminder",
        to=["a@x.com"],
        sleep=sleeps.append,
        on_wait=waits.append,
    )
    assert delivery.ok and sleeps == waits == [POLL_INTERVALS[0]]  # the wait is announced, not silent
