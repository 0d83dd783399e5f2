"""unsubscribe-uri/add|get|update|list|delete (section 10.5)."""

from __future__ import annotations

from typing import Any

import pytest

from kmsg_authoring.model import UNSUBSCRIBE_URI_LIST_FILTERS
from tests.sandbox.conftest import APP, Api, Clock


def test_add_get_update_delete(api: Api, other: Api, clock: Clock) -> None:
    added = api.ok("unsubscribe-uri/add", {"appGuid": APP, "uri": "https://events.example.com/unsubscribe"})
    assert {k: added[k] for k in ("partnerId", "appGuid", "uri", "status", "version")} == {
        "partnerId": 1,
        "appGuid": APP,
        "uri": "https://events.example.com/unsubscribe",
        "status": "enabled",
        "version": 1,
    }
    assert added["createdAt"] == added["updatedAt"] == "2026-04-09T04:56:27.940Z"
    assert api.ok("unsubscribe-uri/get", {"id": added["id"]}) == added
    assert other.error("unsubscribe-uri/get", {"id": added["id"]}, 404)["code"] == "notFound"
    clock.advance(seconds=1)
    updated = api.ok("unsubscribe-uri/update", {"id": added["id"], "uri": "https://events.example.com/v2"})
    assert updated["version"] == 2 and updated["uri"].endswith("/v2") and updated["updatedAt"] != added["updatedAt"]
    assert api.ok("unsubscribe-uri/delete", {"id": added["id"]})["uri"].endswith("/v2")
    # Deleted for good, unlike a template.
    assert api.error("unsubscribe-uri/get", {"id": added["id"]}, 404)["message"] == (
        f"unsubscribe URI '{added['id']}' not found"
    )
    assert api.ok("unsubscribe-uri/list") == {"objects": [], "totalCount": 0}


@pytest.mark.parametrize(
    ("endpoint", "body", "message"),
    [
        ("unsubscribe-uri/add", {"appGuid": APP}, "missing required field 'uri'"),
        ("unsubscribe-uri/add", {"uri": "https://x.example"}, "missing required field 'appGuid'"),
        ("unsubscribe-uri/add", {"appGuid": APP, "uri": "u", "status": "paused"}, "field 'status' must be one of"),
        ("unsubscribe-uri/update", {"id": "x", "appGuid": APP}, "unknown field 'appGuid'"),
        ("unsubscribe-uri/list", {"filter": {"uriIn": "u"}}, "field 'filter.uriIn' must be a list"),
    ],
)
def test_bad_requests(api: Api, endpoint: str, body: dict[str, Any], message: str) -> None:
    assert message in api.error(endpoint, body, 400)["message"]


CASES = [
    ("idIn", lambda u: [u[1]["id"]], [1]),
    ("appGuidIn", lambda u: ["app-2"], [2]),
    ("uriIn", lambda u: ["https://a.example/u", "https://c.example/u"], [0, 2]),
    ("status", lambda u: "disabled", [1]),
    ("createdAtGreaterThanOrEqual", lambda u: u[1]["createdAt"], [1, 2]),
    ("updatedAtGreaterThanOrEqual", lambda u: "2026-04-09T05:30:00Z", [1, 2]),
]


@pytest.mark.parametrize(("name", "value", "expected"), CASES, ids=[c[0] for c in CASES])
def test_list_filters(api: Api, clock: Clock, name: str, value: Any, expected: list[int]) -> None:
    uris = []
    for host, app, status in [("a", APP, "enabled"), ("b", APP, "disabled"), ("c", "app-2", "enabled")]:
        uris.append(
            api.ok("unsubscribe-uri/add", {"appGuid": app, "uri": f"https://{host}.example/u", "status": status})
        )
        clock.advance(hours=1)
    got = api.ok("unsubscribe-uri/list", {"filter": {name: value(uris)}, "pager": {"limit": 10}})
    assert [u["id"] for u in got["objects"]] == [uris[i]["id"] for i in expected]
    assert got["totalCount"] == len(expected)
    assert {c[0] for c in CASES} == set(UNSUBSCRIBE_URI_LIST_FILTERS)
