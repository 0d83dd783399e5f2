"""email-template/list: every filter of section 5.4, the pager and totalCount."""

from __future__ import annotations

from typing import Any

import pytest

from kmsg_authoring.model import DEFAULT_PAGE_LIMIT, TEMPLATE_LIST_FILTERS
from tests.sandbox.conftest import APP, Api, Clock


@pytest.fixture
def seeded(api: Api, other: Api, clock: Clock) -> dict[str, dict[str, Any]]:
    """Five templates of partner 1 created a day apart (one deleted, one in another app), one of partner 2."""
    made = {}
    specs = [
        ("Event Invitation", {"subject": "You're invited to {eventName}", "adminTags": "kmsg-author,events"}),
        ("Event Reminder", {"subject": "Reminder: {eventName}", "adminTags": "kmsg-author, events,reminders"}),
        ("Follow-up", {"subject": "Thanks for joining", "adminTags": "kmsg-author"}),
        ("Hand-made", {"subject": "Hello", "adminTags": "legacy", "appGuid": "app-guid-2"}),
        ("Old Invitation", {"subject": "Invited", "status": "disabled"}),
    ]
    for name, extra in specs:
        made[name] = api.add(name, **extra)
        clock.advance(days=1)
    api.ok("email-template/delete", {"id": made["Follow-up"]["id"]})
    other.add("Event Invitation", adminTags="kmsg-author")
    return made


CASES = [
    ("idIn", lambda s: [s["Follow-up"]["id"], s["Hand-made"]["id"], "0" * 24], ["Follow-up", "Hand-made"]),
    ("idIn", lambda s: [], []),
    ("appGuidIn", lambda s: ["app-guid-2"], ["Hand-made"]),
    (
        "appGuidIn",
        lambda s: [APP, "app-guid-2"],
        ["Event Invitation", "Event Reminder", "Follow-up", "Hand-made", "Old Invitation"],
    ),
    ("name", lambda s: "invitation", ["Event Invitation", "Old Invitation"]),
    ("name", lambda s: "Event", ["Event Invitation", "Event Reminder"]),
    ("nameEq", lambda s: "Event Invitation", ["Event Invitation"]),
    ("nameEq", lambda s: "event invitation", []),
    ("nameEq", lambda s: "Event", []),
    ("subject", lambda s: "{eventName}", ["Event Invitation", "Event Reminder"]),
    ("status", lambda s: "enabled", ["Event Invitation", "Event Reminder", "Hand-made"]),
    ("status", lambda s: "disabled", ["Old Invitation"]),
    ("status", lambda s: "deleted", ["Follow-up"]),
    ("adminTags", lambda s: "event", ["Event Invitation", "Event Reminder"]),
    ("adminTags", lambda s: "kmsg", ["Event Invitation", "Event Reminder", "Follow-up"]),
    ("adminTagsAll", lambda s: "events,kmsg-author", ["Event Invitation", "Event Reminder"]),
    ("adminTagsAll", lambda s: "reminders, kmsg-author", ["Event Reminder"]),
    ("adminTagsAll", lambda s: "event", []),  # whole tags, not substrings
    ("excludeAdminTags", lambda s: "events", ["Follow-up", "Hand-made", "Old Invitation"]),
    ("excludeAdminTags", lambda s: "legacy,reminders", ["Event Invitation", "Follow-up", "Old Invitation"]),
    (
        "createdAtGreaterThanOrEqual",
        lambda s: s["Follow-up"]["createdAt"],
        ["Follow-up", "Hand-made", "Old Invitation"],
    ),
    ("createdAtGreaterThanOrEqual", lambda s: "2026-04-11", ["Follow-up", "Hand-made", "Old Invitation"]),
    ("createdAtLessThanOrEqual", lambda s: s["Event Reminder"]["createdAt"], ["Event Invitation", "Event Reminder"]),
    ("createdAtLessThanOrEqual", lambda s: "2026-04-10T07:00:00+02:00", ["Event Invitation", "Event Reminder"]),
    # Follow-up was updated (deleted) after the last template was created.
    ("updatedAtGreaterThanOrEqual", lambda s: s["Old Invitation"]["createdAt"], ["Follow-up", "Old Invitation"]),
    ("updatedAtLessThanOrEqual", lambda s: s["Event Reminder"]["updatedAt"], ["Event Invitation", "Event Reminder"]),
]


@pytest.mark.parametrize(("name", "value", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_filter(api: Api, seeded: dict[str, dict[str, Any]], name: str, value: Any, expected: list[str]) -> None:
    got = api.ok("email-template/list", {"filter": {name: value(seeded)}})
    assert [t["name"] for t in got["objects"]] == expected
    assert got["totalCount"] == len(expected)


def test_every_filter_of_the_guide_is_covered() -> None:
    assert {c[0] for c in CASES} == set(TEMPLATE_LIST_FILTERS)


def test_filters_combine_and_null_means_absent(api: Api, seeded: dict[str, dict[str, Any]]) -> None:
    got = api.ok(
        "email-template/list",
        {
            "filter": {
                "appGuidIn": [APP],
                "status": "enabled",
                "nameEq": None,
                "adminTagsAll": "kmsg-author",
                "name": "Reminder",
            }
        },
    )
    assert [t["name"] for t in got["objects"]] == ["Event Reminder"]


def test_pager_default_limit_offset_and_total(api: Api) -> None:
    for i in range(DEFAULT_PAGE_LIMIT + 5):
        api.add(f"T{i:02d}")
    first = api.ok("email-template/list", {})
    assert first["totalCount"] == 35
    assert [t["name"] for t in first["objects"]] == [f"T{i:02d}" for i in range(30)]
    rest = api.ok("email-template/list", {"pager": {"offset": 30}})
    assert [t["name"] for t in rest["objects"]] == [f"T{i:02d}" for i in range(30, 35)]
    assert rest["totalCount"] == 35
    page = api.ok("email-template/list", {"filter": {"name": "T1"}, "pager": {"offset": 2, "limit": 3}})
    assert [t["name"] for t in page["objects"]] == ["T12", "T13", "T14"]
    assert page["totalCount"] == 10
    assert api.ok("email-template/list", {"pager": {"offset": 100}}) == {"objects": [], "totalCount": 35}
    big = api.ok("email-template/list", {"pager": {"limit": 500}})
    assert len(big["objects"]) == 35


def test_updates_keep_the_list_order(api: Api) -> None:
    ids = [api.add(f"T{i}")["id"] for i in range(3)]
    api.ok("email-template/update", {"id": ids[0], "name": "T0 renamed"})
    assert [t["id"] for t in api.ok("email-template/list")["objects"]] == ids


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"filter": {"nameEquals": "x"}}, "unknown field 'filter.nameEquals'"),
        ({"filter": {"idIn": "abc"}}, "field 'filter.idIn' must be a list"),
        ({"filter": {"status": "gone"}}, "field 'filter.status' must be one of enabled, disabled, deleted"),
        (
            {"filter": {"createdAtGreaterThanOrEqual": "yesterday"}},
            "filter.createdAtGreaterThanOrEqual is not an ISO 8601",
        ),
        ({"pager": {"limit": 0}}, "field 'pager.limit' must be >= 1"),
        ({"pager": {"offset": -1}}, "field 'pager.offset' must be >= 0"),
        ({"pager": {"offset": "2"}}, "field 'pager.offset' must be an integer (got a string)"),
        ({"filter": []}, "field 'filter' must be an object"),
    ],
)
def test_bad_list_requests_are_400(api: Api, body: dict[str, Any], message: str) -> None:
    assert message in api.error("email-template/list", body, 400)["message"]
