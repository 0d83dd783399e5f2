"""Issue 9, item 11: hostile requests get 400/401 with a JSON error, never a dropped connection or a 500."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from kmsg_authoring.sandbox import Sandbox
from kmsg_authoring.sandbox.ks import partner_from_ks
from tests.sandbox.conftest import Api


def raw_post(sandbox: Sandbox, endpoint: str, content: bytes, ks: str) -> httpx.Response:
    """A POST whose body and KS are sent as given (httpx raises if the server drops the connection)."""
    with httpx.Client(timeout=30) as client:
        return client.post(
            f"{sandbox.url}/{endpoint}",
            content=content,
            headers={"Authorization": f"Bearer {ks}", "Content-Type": "application/json"},
        )


def json_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    data: dict[str, Any] = response.json()
    assert set(data) == {"code", "message"}
    return data


def v2_ks(partner: bytes) -> str:
    return base64.urlsafe_b64encode(b"v2|" + partner + b"|sandbox.nonce").decode().rstrip("=")


def test_a_100k_deep_json_body_is_a_400(sandbox: Sandbox, api: Api) -> None:
    response = raw_post(sandbox, "email-template/list", b"[" * 100_000 + b"]" * 100_000, api.ks)
    assert "nested deeper than 64 levels" in json_error(response, 400)["message"]
    api.ok("email-template/list", {})  # and the server still answers


def test_a_body_deep_enough_to_parse_but_not_to_store_is_a_400(sandbox: Sandbox, api: Api) -> None:
    params: Any = "x"
    for _ in range(500):
        params = {"k": params}
    body = {
        "name": "Deep",
        "subject": "s",
        "body": "<p>b</p>",
        "toAttributePath": "{recipient.email}",
        "msgParamsMap": {"a": {"type": "String", "extra": params}},
    }
    response = raw_post(sandbox, "email-template/add", json.dumps(body).encode(), api.ks)
    assert "nested deeper" in json_error(response, 400)["message"]


@pytest.mark.parametrize("digits", [5000, 30, 20])
def test_a_ks_with_a_partner_id_beyond_any_partner_is_a_401(sandbox: Sandbox, digits: int) -> None:
    response = raw_post(sandbox, "email-template/list", b"{}", v2_ks(b"9" * digits))
    data = json_error(response, 401)
    assert data["code"] == "invalidKs" and f"{digits} digits" in data["message"]


def test_the_largest_partner_id_is_still_a_partner() -> None:
    assert partner_from_ks(v2_ks(str(2**63 - 1).encode())) == 2**63 - 1


@pytest.mark.parametrize(
    "pager",
    [
        {"offset": 0, "limit": 10**30},
        {"offset": 10**30, "limit": 10},
        {"offset": -(10**30), "limit": 10},
    ],
    ids=["huge-limit", "huge-offset", "huge-negative-offset"],
)
def test_a_huge_pager_is_a_400(sandbox: Sandbox, api: Api, pager: dict[str, int]) -> None:
    response = raw_post(sandbox, "email-template/list", json.dumps({"pager": pager}).encode(), api.ks)
    assert "beyond 64 bits" in json_error(response, 400)["message"]


def test_the_largest_pager_is_answered(api: Api) -> None:
    api.add()
    assert api.ok("email-template/list", {"pager": {"offset": 2**63 - 1, "limit": 2**63 - 1}})["objects"] == []
    assert len(api.ok("email-template/list", {"pager": {"offset": 0, "limit": 2**63 - 1}})["objects"]) == 1


@pytest.mark.parametrize(
    "content",
    [
        b'{"pager": {"offset": NaN}}',
        b'{"pager": {"limit": Infinity}}',
        b'{"filter": {"name": "' + b"9" * 5000 + b'"}, "pager": 1' + b"0" * 5000 + b"}",
    ],
)
def test_numbers_json_does_not_have_are_a_400(sandbox: Sandbox, api: Api, content: bytes) -> None:
    json_error(raw_post(sandbox, "email-template/list", content, api.ks), 400)
