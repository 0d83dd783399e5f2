"""email-template/add|get|update|delete over real HTTP: ids, versions, timestamps, scoping, errors."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from kmsg_authoring.model import ADD_FIELDS, REQUIRED_ADD_FIELDS
from kmsg_authoring.sandbox import Sandbox, make_ks
from tests.sandbox.conftest import APP, Api, Clock, template_body

ID_RE = re.compile(r"\A[0-9a-f]{24}\Z")
TIMESTAMP_RE = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")


def test_add_answers_the_full_template_object(api: Api) -> None:
    sent = template_body(
        description="Invites",
        adminTags="kmsg-author,events",
        unsubscribeGroups=["events"],
        customHeaders={"X-Campaign": "q4"},
        fromName="{recipient.fullName} team",
    )
    got = api.ok("email-template/add", sent)
    assert ID_RE.match(got["id"])
    assert got["partnerId"] == 1
    for name, value in sent.items():
        assert got[name] == value
    assert got["status"] == "enabled"
    assert got["templateType"] == "email"
    assert got["version"] == 1
    assert got["createdAt"] == got["updatedAt"] == "2026-04-09T04:56:27.940Z"
    # eventName, recipient, joinLink (subject, body and fromName; one count per token)
    assert got["numberOfTokenUsed"] == 3
    assert api.ok("email-template/get", {"id": got["id"]}) == got


def test_ids_are_unique_and_status_can_be_given(api: Api) -> None:
    ids = {api.add(f"T{i}")["id"] for i in range(20)}
    assert len(ids) == 20 and all(ID_RE.match(i) for i in ids)
    assert api.add("Draft", status="disabled")["status"] == "disabled"


def test_real_timestamps_are_iso_8601_with_milliseconds(tmp_path: Any) -> None:
    from kmsg_authoring.sandbox import start_sandbox

    with start_sandbox(tmp_path / "s.sqlite") as sb:
        got = Api(sb).add()
    assert TIMESTAMP_RE.match(got["createdAt"]) and got["createdAt"] == got["updatedAt"]


def test_update_changes_given_fields_only_and_increments_version(api: Api, clock: Clock) -> None:
    added = api.add()
    clock.advance(seconds=90)
    updated = api.ok(
        "email-template/update", {"id": added["id"], "subject": "Updated: {eventName}", "description": "new"}
    )
    assert updated["version"] == 2
    assert updated["subject"] == "Updated: {eventName}" and updated["description"] == "new"
    assert updated["body"] == added["body"] and updated["name"] == added["name"]
    assert updated["createdAt"] == added["createdAt"]
    assert updated["updatedAt"] == "2026-04-09T04:57:57.940Z"
    clock.advance(seconds=1)
    again = api.ok("email-template/update", {"id": added["id"], "body": "<p>{recipient.firstName}</p>"})
    assert again["version"] == 3
    assert again["numberOfTokenUsed"] == 2  # eventName (subject) and recipient (body)
    assert api.ok("email-template/get", {"id": added["id"]}) == again


def test_delete_sets_status_deleted_and_keeps_the_template(api: Api) -> None:
    kept = api.add("Kept")
    gone = api.add("Gone")
    deleted = api.ok("email-template/delete", {"id": gone["id"]})
    assert deleted["status"] == "deleted" and deleted["version"] == 2
    assert api.ok("email-template/get", {"id": gone["id"]})["status"] == "deleted"
    enabled = api.ok("email-template/list", {"filter": {"status": "enabled"}})
    assert [t["id"] for t in enabled["objects"]] == [kept["id"]]
    assert api.ok("email-template/list", {"filter": {"status": "deleted"}})["totalCount"] == 1
    # Deleting again changes nothing: a retried delete is harmless.
    assert api.ok("email-template/delete", {"id": gone["id"]}) == deleted
    # A deleted template can be brought back by an update.
    assert api.ok("email-template/update", {"id": gone["id"], "status": "enabled"})["version"] == 3


def test_objects_belong_to_the_partner_of_the_ks(api: Api, other: Api) -> None:
    mine = api.add("Mine")
    theirs = other.add("Theirs")
    assert theirs["partnerId"] == 2
    assert [t["name"] for t in api.ok("email-template/list")["objects"]] == ["Mine"]
    assert [t["name"] for t in other.ok("email-template/list")["objects"]] == ["Theirs"]
    for endpoint, body in [
        ("email-template/get", {"id": mine["id"]}),
        ("email-template/update", {"id": mine["id"], "name": "Stolen"}),
        ("email-template/delete", {"id": mine["id"]}),
    ]:
        assert other.error(endpoint, body, 404)["code"] == "notFound"
    assert api.ok("email-template/get", {"id": mine["id"]}) == mine


@pytest.mark.parametrize("endpoint", ["email-template/get", "email-template/update", "email-template/delete"])
def test_unknown_id_is_404(api: Api, endpoint: str) -> None:
    err = api.error(endpoint, {"id": "0" * 24}, 404)
    assert err == {"code": "notFound", "message": f"email template '{'0' * 24}' not found"}


def _without(field: str) -> dict[str, Any]:
    body = template_body()
    del body[field]
    return body


BAD_ADDS = [
    *[pytest.param(_without(f), f"missing required field '{f}'", id=f"missing-{f}") for f in REQUIRED_ADD_FIELDS],
    pytest.param({**template_body(), "name": 12}, "field 'name' must be a string (got an integer)", id="name-int"),
    pytest.param(template_body(name=""), "field 'name' must not be empty", id="name-empty"),
    pytest.param(template_body(msgParamsMap=[]), "field 'msgParamsMap' must be an object (got a list)", id="map-list"),
    pytest.param(
        template_body(msgParamsMap={"x": {"type": "Text"}}),
        "field 'msgParamsMap.x.type' must be one of User, String",
        id="token-type",
    ),
    pytest.param(
        template_body(msgParamsMap={"x": {}}), "missing required field 'msgParamsMap.x.type'", id="token-without-type"
    ),
    pytest.param(
        template_body(unsubscribeGroups="events"),
        "field 'unsubscribeGroups' must be a list (got a string)",
        id="groups-str",
    ),
    pytest.param(
        template_body(unsubscribeGroups=[1]), "field 'unsubscribeGroups[0]' must be a string", id="groups-int"
    ),
    pytest.param(
        template_body(status="on"), "field 'status' must be one of enabled, disabled, deleted (got 'on')", id="status"
    ),
    pytest.param(
        template_body(customHeaders={"X-A": 1}), "field 'customHeaders.X-A' must be a string", id="header-int"
    ),
    pytest.param(template_body(adminTags=["a"]), "field 'adminTags' must be a string (got a list)", id="tags-list"),
    pytest.param(template_body(version=4), "field 'version' is read-only", id="read-only-version"),
    pytest.param(template_body(id="abc"), "field 'id' is read-only", id="read-only-id"),
    pytest.param(template_body(templateType="email"), "field 'templateType' is read-only", id="read-only-type"),
    pytest.param(template_body(colour="red"), "unknown field 'colour'", id="unknown"),
    pytest.param([template_body()], "the request body must be an object (got a list)", id="not-object"),
]


@pytest.mark.parametrize(("body", "message"), BAD_ADDS)
def test_add_rejects_bad_requests_with_400(api: Api, body: Any, message: str) -> None:
    err = api.error("email-template/add", body, 400)
    assert err["code"] == "validationError"
    assert message in err["message"]
    assert api.ok("email-template/list")["totalCount"] == 0


def test_400_lists_every_problem_at_once(api: Api) -> None:
    err = api.error("email-template/add", {"appGuid": APP, "name": 1}, 400)
    for problem in ["'subject'", "'body'", "'toAttributePath'", "'msgParamsMap'", "field 'name' must be a string"]:
        assert problem in err["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"subject": "x"}, "missing required field 'id'"),
        ({"id": "x", "appGuid": "other"}, "field 'appGuid' cannot be changed by an update"),
        ({"id": "x", "numberOfTokenUsed": 1}, "field 'numberOfTokenUsed' is read-only"),
        ({"id": "x", "createdAt": "2026-01-01T00:00:00.000Z"}, "field 'createdAt' is read-only"),
        ({"id": "x", "body": None}, "field 'body' must be a string (got null)"),
        ({"id": "x", "msgParamsMap": {"r": {"type": "user"}}}, "field 'msgParamsMap.r.type' must be one of"),
    ],
)
def test_update_rejects_bad_requests_with_400(api: Api, body: dict[str, Any], message: str) -> None:
    added = api.add()
    if body.get("id") == "x":
        body["id"] = added["id"]
    assert message in api.error("email-template/update", body, 400)["message"]
    assert api.ok("email-template/get", {"id": added["id"]})["version"] == 1


def test_add_and_update_take_exactly_the_guide_fields(api: Api) -> None:
    every = template_body(
        description="d",
        **{"from": "a@example.com"},
        fromName="A",
        cc="c@example.com",
        bcc="b@example.com",
        unsubscribeGroups=["g"],
        status="enabled",
        adminTags="t",
        customHeaders={"X": "y"},
    )
    assert set(every) == set(ADD_FIELDS)
    added = api.ok("email-template/add", every)
    assert all(added[f] == every[f] for f in ADD_FIELDS)


def test_body_that_is_not_json_is_400(sandbox: Sandbox, api: Api) -> None:
    response = api.client.post("email-template/add", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "validationError"
    assert "not JSON" in response.json()["message"]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-ks!",
        "Bearer aGVsbG8gd29ybGQ",
        "Bearer " + "djJ8YWJjfHg",  # v2|abc|x: partner id is not a number
    ],
)
def test_requests_without_a_valid_ks_are_401(sandbox: Sandbox, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.post(f"{sandbox.url}/email-template/list", json={}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] in ("unauthorized", "invalidKs")
    if authorization:
        assert authorization.partition(" ")[2] not in body["message"] or not authorization.partition(" ")[2]


def test_a_request_with_a_valid_ks_never_has_the_ks_echoed(api: Api) -> None:
    for response in [
        api.post("email-template/add", {"name": 1}),
        api.post("email-template/get", {"id": "x"}),
        api.post("nope/nope"),
        api.post("email-template/list"),
    ]:
        assert api.ks not in response.text


def test_unknown_endpoint_is_404_json_and_get_is_405(sandbox: Sandbox, api: Api) -> None:
    err = api.error("email-template/clone", {}, 404)
    assert err["code"] == "endpointNotFound"
    assert "email-template/clone" in err["message"]
    response = httpx.get(f"{sandbox.url}/email-template/list")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert httpx.post(sandbox.root_url + "/elsewhere", json={}).status_code == 404


def test_ks_format(sandbox: Sandbox) -> None:
    from kmsg_authoring.sandbox import partner_from_ks
    from kmsg_authoring.sandbox.ks import KsError

    assert partner_from_ks(make_ks(123456)) == 123456
    assert make_ks(5) != make_ks(5)
    import base64

    v1_admin = base64.b64encode(b"0123abcd|77;77;1999999999;2;1234;user;disableentitlement").decode()
    v1_user = base64.b64encode(b"0123abcd|77;77;1999999999;0;1234;user;").decode()
    assert partner_from_ks(v1_admin) == 77
    with pytest.raises(KsError, match="ADMIN KS"):
        partner_from_ks(v1_user)
    with pytest.raises(ValueError):
        make_ks(-1)


def test_an_oversized_body_is_refused_unread(sandbox: Sandbox, api: Api) -> None:
    import http.client
    import json

    from kmsg_authoring.sandbox.server import MAX_BODY_BYTES

    conn = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=10)
    conn.putrequest("POST", "/api/v1/email-template/add")
    conn.putheader("Authorization", f"Bearer {api.ks}")
    conn.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
    conn.endheaders()  # announces a body it never sends: the answer must not wait for it
    response = conn.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["code"] == "payloadTooLarge"
    conn.close()


def test_listening_on_every_address_gives_a_loopback_url(tmp_path: Any) -> None:
    from kmsg_authoring.sandbox import start_sandbox

    with start_sandbox(tmp_path / "s.sqlite", host="0.0.0.0") as sb:
        assert sb.url == f"http://127.0.0.1:{sb.port}/api/v1"
        assert Api(sb).ok("email-template/list")["totalCount"] == 0
